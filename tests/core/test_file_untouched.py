"""Opening a file changes nothing: a foreign SQLite file keeps its bytes, header and journal mode."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from core import cli
from core.data import writes
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Update
from core.data.exporting import export_file
from core.data.overview import estimate_counts, load_overview
from core.data.repository import fetch_page, get_row
from core.engine.db import Database, open_database
from core.engine.sqlite_access import WARDEN_APPLICATION_ID, header_application_id
from core.errors import PermissionDenied, ReadOnlyError
from core.paths import default_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from tests.fixtures.journal_file import build_journal_file, fingerprint, sidecars

ROLLBACK = b"\x01\x01"  # header bytes 18 and 19 of a rollback-journal file
WAL = b"\x02\x02"


def _rows(db: Database, catalog: Catalog, name: str) -> list[dict[str, Any]]:
    page = fetch_page(db, catalog, name)
    return [dict(zip(page.columns, row, strict=True)) for row in page.rows]


def _journal_mode(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def test_open_browse_export_close_leaves_the_file_as_it_was(journal_file: Path, tmp_path: Path) -> None:
    """Open, browse every table, export and close: same sha256, same header, nothing left beside it."""
    before = fingerprint(journal_file)
    assert before[1][18:20] == ROLLBACK
    db = open_database(journal_file)
    assert not db.capabilities.read_only and db.writes_deferred  # editable, though nothing wrote yet
    catalog, _overview = load_overview(db)
    counts = estimate_counts(db, catalog)
    assert counts["members"] is not None and counts["members"].rows == 6
    for name in ("guilds", "members", "audit_log"):
        assert fetch_page(db, catalog, name).rows
    first = _rows(db, catalog, "guilds")[0]
    assert get_row(db, catalog, "guilds", {"guild_id": first["guild_id"]})["title"] == first["title"]
    result = export_file(db, catalog, "members", tmp_path / "members.csv", "csv")
    assert result.rows == 6
    assert sidecars(journal_file) == []  # not even while it is open
    db.dispose()
    assert fingerprint(journal_file) == before
    assert sidecars(journal_file) == []
    assert _journal_mode(journal_file) == "delete"


def test_warden_inspect_and_export_leave_the_file_as_it_was(
    journal_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`warden inspect` and `warden export` only read: the bytes and header are unchanged."""
    before = fingerprint(journal_file)
    assert cli.main(["inspect", "--db", str(journal_file), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {e["name"] for e in doc["entities"]} >= {"guilds", "members"}
    assert fingerprint(journal_file) == before and sidecars(journal_file) == []
    out = tmp_path / "guilds.json"
    assert (
        cli.main(
            ["export", "--db", str(journal_file), "--entity", "guilds", "--format", "json", "-o", str(out)]
        )
        == 0
    )
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 3
    assert cli.main(["export", "--db", str(journal_file), "--entity", "members"]) == 0
    assert capsys.readouterr().out.count("\n") == 7  # header and six rows on stdout
    assert fingerprint(journal_file) == before and sidecars(journal_file) == []


def test_nothing_writes_the_file_before_the_first_save(journal_file: Path) -> None:
    """Until a save asks for it, the connections are read-only: a stray write is refused by SQLite."""
    before = fingerprint(journal_file)
    db = open_database(journal_file)
    try:
        with pytest.raises(PermissionDenied, match="read-only"), db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_log")
    finally:
        db.dispose()
    assert fingerprint(journal_file) == before


def test_the_first_save_writes_and_keeps_the_journal_mode(journal_file: Path) -> None:
    """The first save switches to read-write connections: the row is saved, the journal mode is kept."""
    db = open_database(journal_file)
    catalog = load_catalog(db)
    guild = _rows(db, catalog, "guilds")[0]
    key = {"guild_id": guild["guild_id"]}
    change = Update("guilds", key, {"motto": "renamed"}, original={"motto": guild["motto"]})
    saved = writes.save(db, catalog, [change], audit=AUDIT_OFF)
    assert [r.key for r in saved.updated] == [key]
    assert not db.writes_deferred
    assert get_row(db, catalog, "guilds", key)["motto"] == "renamed"
    # Later saves, inserts and deletes take the same read-write connections.
    writes.save(
        db,
        catalog,
        [Update("guilds", key, {"motto": "again"}, original={"motto": "renamed"})],
        audit=AUDIT_OFF,
    )
    db.dispose()
    assert fingerprint(journal_file)[1][18:20] == ROLLBACK
    assert _journal_mode(journal_file) == "delete"
    assert sidecars(journal_file) == []
    again = open_database(journal_file)
    try:
        assert get_row(again, load_catalog(again), "guilds", key)["motto"] == "again"
    finally:
        again.dispose()


def test_concurrent_first_saves_all_get_writable_connections(journal_file: Path) -> None:
    """Saves from several threads at once wait for the one switch: none meets a read-only connection."""
    db = open_database(journal_file)
    catalog = load_catalog(db)
    members = _rows(db, catalog, "members")
    errors: list[BaseException] = []
    start = threading.Barrier(len(members))

    def save(row: dict[str, object]) -> None:
        try:
            start.wait()
            change = Update(
                "members",
                {"member_id": row["member_id"]},
                {"joined": "2026-01-01"},
                original={"joined": None},
            )
            writes.save(db, catalog, [change], audit=AUDIT_OFF)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(row,)) for row in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert {r["joined"] for r in _rows(db, catalog, "members")} == {"2026-01-01"}
    db.dispose()
    assert fingerprint(journal_file)[1][18:20] == ROLLBACK and sidecars(journal_file) == []


def test_a_file_already_in_wal_stays_in_wal_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """A foreign WAL file: reads leave its bytes and no -wal/-shm; a save keeps it in WAL."""
    path = build_journal_file(tmp_path / "wal.db", wal=True)
    before = fingerprint(path)
    assert before[1][18:20] == WAL and sidecars(path) == []
    db = open_database(path)
    catalog = load_catalog(db)
    assert fetch_page(db, catalog, "members").rows
    with pytest.raises(PermissionDenied, match="read-only"), db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log")  # query_only until the first save
    db.dispose()
    assert fingerprint(path) == before and sidecars(path) == []
    db = open_database(path)
    catalog = load_catalog(db)
    guild = _rows(db, catalog, "guilds")[0]
    writes.save(
        db,
        catalog,
        [
            Update(
                "guilds", {"guild_id": guild["guild_id"]}, {"motto": "x"}, original={"motto": guild["motto"]}
            )
        ],
        audit=AUDIT_OFF,
    )
    db.dispose()
    assert fingerprint(path)[1][18:20] == WAL and sidecars(path) == []


def test_read_only_on_request_stays_read_only(journal_file: Path) -> None:
    """An explicitly read-only open never becomes writable: a save is a ReadOnlyError, the file unchanged."""
    before = fingerprint(journal_file)
    db = open_database(journal_file, read_only=True)
    catalog = load_catalog(db)
    guild = _rows(db, catalog, "guilds")[0]
    change = Update(
        "guilds", {"guild_id": guild["guild_id"]}, {"motto": "x"}, original={"motto": guild["motto"]}
    )
    with pytest.raises(ReadOnlyError, match="read-only"):
        writes.save(db, catalog, [change], audit=AUDIT_OFF)
    assert db.capabilities.read_only and not db.writes_deferred
    db.dispose()
    assert fingerprint(journal_file) == before and sidecars(journal_file) == []


def test_wardens_own_databases_are_wal(tmp_path: Path) -> None:
    """A file Warden creates is stamped as its own and is WAL; opened again, it is writable at once."""
    path = tmp_path / "mine.db"
    db = open_database(path, create=True)
    with db.transaction() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
    db.dispose()
    header = fingerprint(path)[1]
    assert header[18:20] == WAL and header_application_id(header) == WARDEN_APPLICATION_ID
    again = open_database(path)
    try:
        assert not again.writes_deferred
        with again.engine.begin() as conn:  # writable from the start
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    finally:
        again.dispose()
    assert sidecars(path) == []


def test_the_default_database_is_warden_s_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The default database is Warden's even without the stamp (an older Warden made it): WAL."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    path = build_journal_file(default_database())
    db = open_database(path)
    try:
        assert not db.writes_deferred
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        db.dispose()


def test_a_foreign_file_is_not_stamped(journal_file: Path) -> None:
    """Only files Warden creates carry its application id; a save into another file leaves it unset."""
    db = open_database(journal_file)
    catalog = load_catalog(db)
    guild = _rows(db, catalog, "guilds")[0]
    writes.save(
        db,
        catalog,
        [
            Update(
                "guilds", {"guild_id": guild["guild_id"]}, {"motto": "x"}, original={"motto": guild["motto"]}
            )
        ],
        audit=AUDIT_OFF,
    )
    db.dispose()
    assert header_application_id(fingerprint(journal_file)[1]) == 0


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write any file")
def test_a_file_the_user_may_not_write_is_browsed_and_a_save_says_why(journal_file: Path) -> None:
    """A write-protected file opens and reads; its first save is a ReadOnlyError naming the cause."""
    journal_file.chmod(0o444)
    before = fingerprint(journal_file)
    db = open_database(journal_file)
    try:
        catalog = load_catalog(db)
        guild = _rows(db, catalog, "guilds")[0]
        change = Update(
            "guilds", {"guild_id": guild["guild_id"]}, {"motto": "x"}, original={"motto": guild["motto"]}
        )
        with pytest.raises(ReadOnlyError, match="permissions"):
            writes.save(db, catalog, [change], audit=AUDIT_OFF)
        assert _rows(db, catalog, "guilds")[0] == guild  # still browsable
    finally:
        db.dispose()
        journal_file.chmod(0o644)
    assert fingerprint(journal_file) == before and sidecars(journal_file) == []


def test_warden_demo_on_someone_elses_file_refuses_and_changes_nothing(
    journal_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`warden demo --db theirs.db` refuses a foreign schema; the file is not even switched to WAL."""
    before = fingerprint(journal_file)
    assert cli.main(["demo", "--db", str(journal_file)]) != 0
    assert "not Warden's reference schema" in capsys.readouterr().err
    assert fingerprint(journal_file) == before and sidecars(journal_file) == []


def test_warden_migrate_upgrade_writes_a_foreign_file_in_its_own_journal_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`warden migrate upgrade` on an empty file another program made: the schema is written, no WAL."""
    import sqlite3

    path = tmp_path / "given.db"
    sqlite3.connect(path).close()  # an empty file, as `touch` or another tool leaves it
    assert cli.main(["migrate", "current", "--db", str(path)]) == 0
    assert cli.main(["migrate", "upgrade", "--db", str(path)]) == 0
    capsys.readouterr()
    assert fingerprint(path)[1][18:20] == ROLLBACK and _journal_mode(path) == "delete"
    assert sidecars(path) == [] and not list(tmp_path.glob("given.backup-*"))  # nothing to back up
    db = open_database(path)
    try:
        assert "locations" in load_catalog(db).entities
    finally:
        db.dispose()
