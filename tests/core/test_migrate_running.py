"""Running migrations: progress per revision, cancel between revisions, checked backups kept in the user data
folder, listed and restored, and refusals before anything runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import paths
from core.engine.db import Database, open_database
from core.errors import MigrationFailed
from core.migrate import backups
from core.migrate import migrations as mig
from core.progress import Progress, TaskState

CHAIN = Path(__file__).resolve().parents[1] / "fixtures" / "migrations_chain"
R1, R2 = "c1a000000001", "c1a000000002"


pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


@pytest.fixture
def db(empty_url: str) -> Iterator[Database]:
    """A fresh, empty database on each backend."""
    database = open_database(empty_url, create=True)
    yield database
    database.dispose()


@pytest.fixture
def notes(tmp_path: Path) -> Iterator[Database]:
    """A SQLite file at the chain's first revision with three notes."""
    database = open_database(tmp_path / "notes.db", create=True)
    mig.upgrade(database, R1, scripts=CHAIN)
    with database.engine.begin() as conn:
        conn.exec_driver_sql("insert into notes (id, body) values (1, 'a'), (2, 'b'), (3, null)")
    yield database
    database.dispose()


def _notes(db: Database) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("select id, body from notes order by id"))]


def test_progress_and_a_log_line_per_revision(db: Database) -> None:
    seen: list[Progress] = []
    log: list[str] = []
    result = mig.upgrade(db, R2, state=TaskState(seen.append, log.append), scripts=CHAIN)
    assert result.applied == [R1, R2] and result.after == [R2] and not result.cancelled
    assert [(p.done, p.total) for p in seen] == [(0, 2), (1, 2), (2, 2)]
    assert seen[0].message == f"Upgrade {R1} (1 of 2)" and seen[-1].message == "Upgrade finished"
    assert [line.split(" done")[0] for line in log] == [f"Upgrade of {R1}", f"Upgrade of {R2}"]
    down: list[Progress] = []
    back = mig.downgrade(db, "base", state=TaskState(down.append), scripts=CHAIN)
    assert back.applied == [R2, R1] and back.after == [] and [p.done for p in down] == [0, 1, 2]


def test_cancel_stops_between_revisions(db: Database) -> None:
    def on_progress(p: Progress) -> None:
        if p.done == 1:
            state.cancel()

    state = TaskState(on_progress)
    result = mig.upgrade(db, R2, state=state, scripts=CHAIN)
    assert result.cancelled and result.applied == [R1] and result.after == [R1]
    assert mig.current(db) == [R1]
    assert mig.upgrade(db, R2, scripts=CHAIN).applied == [R2]  # and carries on later from there


def test_sqlite_backup_is_checked_kept_in_the_data_folder_and_listed(notes: Database) -> None:
    result = mig.upgrade(notes, R2, scripts=CHAIN)
    assert result.backup is not None and result.backup.parent == paths.data_dir() / "backups"
    assert backups.integrity_problem(notes, result.backup) is None
    copy = sqlite3.connect(result.backup)
    try:
        assert copy.execute("select version_num from alembic_version").fetchall() == [(R1,)]
    finally:
        copy.close()
    (listed,) = backups.list_backups(notes)
    assert listed.path == result.backup and listed.revision == [R1]
    assert listed.size == result.backup.stat().st_size > 0 and listed.created.year >= 2024
    assert backups.list_backups(folder=listed.path.parent) == [listed]


def test_restore_an_earlier_backup(notes: Database) -> None:
    first = mig.upgrade(notes, R2, scripts=CHAIN)
    with notes.engine.begin() as conn:
        conn.exec_driver_sql("delete from notes where id = 1")
    assert first.backup is not None
    backups.restore(notes, first.backup)
    assert _notes(notes) == [(1, "a"), (2, "b"), (3, None)]
    assert mig.current(notes) == [R1]
    assert "tag" not in {c["name"] for c in sa.inspect(notes.engine).get_columns("notes")}


def test_a_damaged_backup_is_not_restored(notes: Database, tmp_path: Path) -> None:
    junk = tmp_path / "junk.backup-1.db"
    junk.write_bytes(b"not a database" * 500)
    with pytest.raises(MigrationFailed, match="is damaged"):
        backups.restore(notes, junk)
    assert _notes(notes) == [(1, "a"), (2, "b"), (3, None)]


def test_a_backup_failing_its_check_rolls_the_revision_back(notes: Database) -> None:
    # A real damaged file: an index whose schema names another column than the one it was built on. The
    # backup API copies pages as they are, so the backup fails `PRAGMA integrity_check` too; the check runs
    # while the revision does, and the revision must not commit before it has answered.
    with notes.engine.begin() as conn:
        conn.exec_driver_sql("create table side (a integer, b integer)")
        conn.exec_driver_sql("create index side_a on side (a)")
        conn.exec_driver_sql("insert into side values (1, 10), (2, 20)")
    file = backups.sqlite_file(notes)
    assert file is not None
    notes.dispose()
    raw = sqlite3.connect(file)
    raw.execute("PRAGMA writable_schema = ON")
    raw.execute("update sqlite_master set sql = 'CREATE INDEX side_a ON side (b)' where name = 'side_a'")
    raw.commit()
    raw.close()
    with pytest.raises(MigrationFailed, match=r"failed its integrity check .*nothing was changed"):
        mig.upgrade(notes, R2, scripts=CHAIN)
    assert mig.current(notes) == [R1] and _notes(notes) == [(1, "a"), (2, "b"), (3, None)]
    assert "tag" not in {c["name"] for c in sa.inspect(notes.engine).get_columns("notes")}
    assert backups.list_backups(notes) == [] and not list((paths.data_dir() / "backups").glob("*.db"))


def test_refused_when_the_backup_folder_is_not_writable(notes: Database, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("x")
    with pytest.raises(MigrationFailed, match=r"Cannot write backups to .*nothing was changed"):
        mig.upgrade(notes, R2, backup_dir=blocked / "backups", scripts=CHAIN)
    assert mig.current(notes) == [R1]


def test_refused_when_the_disk_is_too_full(notes: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # The free space is real; asking for more room than any disk has stands in for a full one.
    monkeypatch.setattr(backups, "SPARE_BYTES", 1 << 62)
    with pytest.raises(MigrationFailed, match=r"Not enough disk space for a backup.*nothing was changed"):
        mig.upgrade(notes, R2, scripts=CHAIN)
    assert mig.current(notes) == [R1] and backups.list_backups(notes) == []


def test_a_rebuild_under_a_view_is_refused_before_it_starts(notes: Database) -> None:
    mig.upgrade(notes, R2, scripts=CHAIN)
    with notes.engine.begin() as conn:
        conn.exec_driver_sql("CREATE VIEW tagged AS SELECT id, tag FROM notes WHERE tag IS NOT NULL")
    with pytest.raises(
        MigrationFailed, match=f"Refused before it started: revision {R2} rebuilds table notes"
    ):
        mig.downgrade(notes, R1, scripts=CHAIN)
    assert mig.current(notes) == [R2]
    with notes.engine.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from tagged").scalar() == 0  # the view is still there


def test_downgrade_then_upgrade_on_both_backends(db: Database) -> None:
    mig.upgrade(db, R2, scripts=CHAIN)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("insert into notes (id, body, tag) values (1, 'a', 't')")
    result = mig.downgrade(db, R1, scripts=CHAIN)
    assert result.applied == [R2] and result.after == [R1]
    assert (result.backup is not None) == (db.backend == "sqlite")
    assert _notes(db) == [(1, "a")]
    assert mig.upgrade(db, R2, scripts=CHAIN).after == [R2]
