"""Faults: a chain whose third revision fails halfway, unknown revisions, two heads, a locked file. Each is a
typed error with a clear message, and no rows are lost (table checksums before and after)."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.errors import DatabaseBusy, MigrationFailed, NotFoundError
from core.migrate import backups
from core.migrate import migrations as mig
from tests.fixtures.sqlite_locks import write_lock_held

CHAIN = Path(__file__).resolve().parents[1] / "fixtures" / "migrations_chain"
R1, R2, R3 = "c1a000000001", "c1a000000002", "c1a000000003"

REVISION = '''"""{doc}"""

import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("t_{rev}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("t_{rev}")
'''


pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


@pytest.fixture
def notes(empty_url: str) -> Iterator[Database]:
    """The chain's first revision on each backend, with a hundred notes."""
    database = open_database(empty_url, create=True)
    mig.upgrade(database, R1, scripts=CHAIN)
    with database.engine.begin() as conn:
        conn.execute(
            sa.text("insert into notes (id, body) values (:i, :b)"),
            [{"i": i, "b": f"note {i}" if i % 7 else None} for i in range(100)],
        )
    yield database
    database.dispose()


def checksums(db: Database, columns: dict[str, str] | None = None) -> dict[str, str]:
    """A checksum of every table's rows (all columns, or the ones named per table), in key order."""
    found = {}
    with db.engine.connect() as conn:
        for table in sorted(sa.inspect(conn).get_table_names()):
            cols = (columns or {}).get(table, "*")
            rows = conn.execute(sa.text(f"select {cols} from {table} order by 1")).all()
            found[table] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return found


def test_the_failing_chain_loses_nothing_and_names_the_revision(notes: Database) -> None:
    before = checksums(notes)
    with pytest.raises(MigrationFailed) as caught:
        mig.upgrade(notes, scripts=CHAIN)
    message = str(caught.value)
    assert f"Upgrade of revision {R3} (Add notes.score, then fail halfway) failed" in message
    assert "revision three stops halfway on purpose" in message and "\n" not in message
    if notes.backend == "sqlite":  # the whole run undone: restored from the backup taken before it
        assert "Warden restored the database from the backup taken before the upgrade" in message
        assert mig.current(notes) == [R1]
        assert checksums(notes) == before
        (kept,) = backups.list_backups(notes)
        assert str(kept.path) in message and kept.revision == [R1]
    else:  # one transaction per revision: the database stays at the last good one
        assert "It was rolled back; the database is at c1a000000002" in message
        assert mig.current(notes) == [R2]
        columns = {"notes": "id, body", "alembic_version": "*"}
        assert checksums(notes, columns)["notes"] == before["notes"]
        assert "score" not in {c["name"] for c in sa.inspect(notes.engine).get_columns("notes")}


def test_an_unknown_revision_changes_nothing(notes: Database) -> None:
    before = checksums(notes)
    with pytest.raises(NotFoundError, match=r"Unknown revision 'nope'.*warden migrate history"):
        mig.upgrade(notes, "nope", scripts=CHAIN)
    with pytest.raises(NotFoundError, match="Unknown revision 'nope'"):
        mig.downgrade(notes, "nope", scripts=CHAIN)
    assert checksums(notes) == before and backups.list_backups(notes) == []


def test_two_heads_make_head_ambiguous_and_offer_them(empty_url: str, tmp_path: Path) -> None:
    scripts = tmp_path / "twoheads"
    (scripts / "versions").mkdir(parents=True)
    shutil.copy(CHAIN / "env.py", scripts / "env.py")
    for rev, down in (("aaa", None), ("bbb", "aaa"), ("ccc", "aaa")):
        (scripts / "versions" / f"{rev}.py").write_text(REVISION.format(rev=rev, down=down, doc=rev))
    db = open_database(empty_url, create=True)
    try:
        with pytest.raises(mig.MultipleHeads) as caught:
            mig.upgrade(db, scripts=scripts)
        assert caught.value.heads == ["bbb", "ccc"] and "'head' is ambiguous" in str(caught.value)
        assert isinstance(caught.value, MigrationFailed)
        assert mig.current(db) == []
        assert mig.upgrade(db, "bbb", scripts=scripts).applied == ["aaa", "bbb"]
        assert mig.upgrade(db, "heads", scripts=scripts).after == ["bbb", "ccc"]
    finally:
        db.dispose()


def test_a_locked_file_waits_then_fails_clearly_and_changes_nothing(tmp_path: Path, quick_busy: None) -> None:
    db = open_database(tmp_path / "locked.db", create=True)
    mig.upgrade(db, R1, scripts=CHAIN)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("insert into notes (id, body) values (1, 'a')")
    before = checksums(db)
    started = time.monotonic()
    with write_lock_held(str(tmp_path / "locked.db")), pytest.raises(DatabaseBusy) as caught:
        mig.upgrade(db, scripts=CHAIN)
    assert time.monotonic() - started >= 0.2  # it waited for the busy timeout first
    message = str(caught.value)
    assert f"Upgrade of revision {R2}" in message and "\n" not in message
    assert "rolled back; the database is at c1a000000001" in message
    assert mig.current(db) == [R1] and checksums(db) == before
    db.dispose()
