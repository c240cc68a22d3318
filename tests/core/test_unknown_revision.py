"""A database at a revision Warden's migrations do not know is read-only in core too (issue 10, "When Warden
connects"): the CLI's writes and core's save refuse with the reason, as the window's editors do; the
migration runner still runs (it is the way out); a database without a version table is not held.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import cli
from core.cli.targets import open_target
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Insert
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import ReadOnlyError
from core.migrate import running
from core.migrate.first_write import check_on_first_write
from core.migrate.project import call, find_project
from core.migrate.scripts import script_directory
from core.migrate.status import check_writes, hold_writes
from core.schema.load import load_catalog
from tests.fixtures.audited import ann_changed
from tests.fixtures.external_project import E2, write_project
from tests.fixtures.unknown_revision import UNKNOWN, stand_at, stand_file_at

CHAIN = Path(__file__).resolve().parents[1] / "fixtures" / "migrations_chain"
R1, R2 = "c1a000000001", "c1a000000002"


pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


@pytest.fixture
def renamed(empty_url: str) -> str:
    """The reference schema with one user, renamed by a second save (an audit entry to revert)."""
    return ann_changed(empty_url, {"email": "new@example.org"})


def _email(url: str) -> str:
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            return str(conn.execute(sa.text("SELECT email FROM users")).scalar_one())
    finally:
        db.dispose()


def _update_entry(capsys: pytest.CaptureFixture[str], url: str) -> int:
    assert cli.main(["audit", "--db", url, "--json", "--action", "update"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    return int(entry["id"])


def test_a_cli_write_is_refused_at_an_unknown_revision_and_allowed_at_a_known_one(
    capsys: pytest.CaptureFixture[str], renamed: str
) -> None:
    entry = _update_entry(capsys, renamed)
    stand_file_at(renamed, UNKNOWN)
    code = cli.main(["revert", "--db", renamed, str(entry)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, "one line on stderr, exit 2"
    assert f"revision {UNKNOWN}" in err and "Read-only" in err and "Warden's migrations" in err
    assert _email(renamed) == "new@example.org", "nothing was written"

    stand_file_at(renamed, script_directory().get_current_head() or "")  # Warden's own head: a known one
    assert cli.main(["revert", "--db", renamed, str(entry)]) == 0, capsys.readouterr().err
    assert _email(renamed) == "ann@example.org"


@pytest.fixture
def at_chain(empty_url: str) -> Iterator[Database]:
    """A database another project (the fixture chain) migrated to its second revision, opened as the CLI
    opens it; Warden's migrations do not know that revision."""
    db = open_database(empty_url, create=True)
    running.upgrade(db, R2, scripts=CHAIN)
    db.dispose()
    opened = open_target(empty_url)
    yield opened
    opened.dispose()


def _notes(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM notes")).scalar_one())


def test_core_save_refuses_but_the_runner_still_migrates(at_chain: Database) -> None:
    db = at_chain
    cat = load_catalog(db, cached=False)
    with pytest.raises(ReadOnlyError, match=f"revision {R2}, which Warden's migrations do not know"):
        save(db, cat, [Insert("notes", {"body": "hello"})], audit=AUDIT_OFF)
    assert _notes(db) == 0
    result = running.downgrade(db, R1, scripts=CHAIN)  # the way out is a migration: it is not held
    assert result.after == [R1]
    cols = {c["name"] for c in sa.inspect(db.engine).get_columns("notes")}
    assert "tag" not in cols, "the downgrade ran"
    with pytest.raises(ReadOnlyError):  # still a revision Warden's migrations do not know
        save(db, load_catalog(db, cached=False), [Insert("notes", {"body": "hello"})], audit=AUDIT_OFF)
    check_writes(db, scripts=CHAIN)  # the project that knows it: the hold is lifted
    assert db.write_guard is None
    save(db, load_catalog(db, cached=False), [Insert("notes", {"body": "hello"})], audit=AUDIT_OFF)
    assert _notes(db) == 1


def test_a_database_without_a_version_table_is_not_held(empty_url: str) -> None:
    db = open_database(empty_url, create=True)
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    db.dispose()
    db = open_target(empty_url)
    try:
        save(
            db, load_catalog(db, cached=False), [Insert("notes", {"id": 1, "body": "hello"})], audit=AUDIT_OFF
        )
        assert _notes(db) == 1 and db.write_guard is None, "checked once, nothing held"
    finally:
        db.dispose()


def test_a_hold_refuses_every_write_path_but_a_migration(at_chain: Database) -> None:
    db = at_chain
    hold_writes(db, "held for the test")
    with pytest.raises(ReadOnlyError, match="held for the test"):
        db.allow_writes()
    with pytest.raises(ReadOnlyError, match="held for the test"), db.transaction():
        pass
    db.allow_writes(migration=True)
    hold_writes(db, None)
    db.allow_writes()


def test_the_first_write_check_asks_the_external_project_picked(empty_url: str, tmp_path: Path) -> None:
    """The window's check for a database whose project was picked (its alembic.ini): a revision that project
    knows is not held (Warden's own migrations would hold it), one it does not know is, naming it."""
    ini = write_project(tmp_path / "shop")
    db = open_database(empty_url, create=True)
    try:
        call(find_project(ini), db, "upgrade", E2)
        customer = Insert("customers", {"id": 1, "name": "Ada", "email": "ada@example.org"})
        check_on_first_write(db)  # Warden's migrations do not know E2
        with pytest.raises(ReadOnlyError, match=f"revision {E2}, which Warden's migrations do not know"):
            save(db, load_catalog(db, cached=False), [customer], audit=AUDIT_OFF)
        check_on_first_write(db, str(ini))
        save(db, load_catalog(db, cached=False), [customer], audit=AUDIT_OFF)
        assert db.write_guard is None, "checked once: the project knows its revision"
        stand_at(db, UNKNOWN)
        check_on_first_write(db, str(ini))
        with pytest.raises(ReadOnlyError, match=f"revision {UNKNOWN}, which the project shop do not know"):
            save(
                db,
                load_catalog(db, cached=False),
                [Insert("customers", {"id": 2, "name": "Bo"})],
                audit=AUDIT_OFF,
            )
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM customers")).scalar_one() == 1
    finally:
        db.dispose()
