"""First run builds the embedded default database in the user data folder, atomically."""

from __future__ import annotations

from core.bootstrap import SCHEMA_HEAD, ensure_default_database
from core.data.repository import exact_count
from core.engine.db import open_database
from core.migrate.migrations import current, downgrade, heads, history
from core.schema.load import load_catalog


def test_first_run_creates_migrates_and_seeds(tmp_path, monkeypatch):
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))
    path = ensure_default_database()
    assert path == tmp_path / "data" / "warden.db" and path.exists()
    assert not list(path.parent.glob("*.creating*")), "no temporary file is left behind"
    db = open_database(path)
    try:
        assert current(db) == heads()
        cat = load_catalog(db)
        assert exact_count(db, cat.get("locations")) >= 200
    finally:
        db.dispose()
    stamp = path.stat().st_mtime_ns
    assert ensure_default_database() == path and path.stat().st_mtime_ns == stamp, "second run reuses it"


def test_interrupted_first_run_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path))
    (tmp_path / "warden.db.creating").write_bytes(b"half-written")
    path = ensure_default_database()
    db = open_database(path)
    try:
        assert load_catalog(db).get("regions")
    finally:
        db.dispose()


def test_a_default_database_from_an_older_warden_is_upgraded(tmp_path, monkeypatch):
    """Opening the default database after an upgrade of Warden migrates it, with a backup first."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path))
    path = ensure_default_database()
    db = open_database(path)
    try:
        older = history()[-1].revision  # the first revision
        downgrade(db, older)
        assert current(db) == [older]
    finally:
        db.dispose()
    before = set(tmp_path.rglob("*"))
    assert ensure_default_database() == path
    db = open_database(path)
    try:
        assert current(db) == heads()
        assert exact_count(db, load_catalog(db).get("locations")) >= 200  # the rows are still there
    finally:
        db.dispose()
    backups = [p for p in set(tmp_path.rglob("*")) - before if "backup" in p.name or p.suffix == ".bak"]
    assert backups, sorted(str(p) for p in set(tmp_path.rglob("*")) - before)


def test_schema_head_is_the_newest_revision():
    """bootstrap.SCHEMA_HEAD lets a start skip Alembic; it must name the newest shipped revision."""
    assert heads() == [SCHEMA_HEAD], "a new migration: set core.bootstrap.SCHEMA_HEAD to its revision"
