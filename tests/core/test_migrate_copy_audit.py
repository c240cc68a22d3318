"""A copy is an audited write (issue 12): each table it writes rows into gets one "copy" entry with the counts
in the target's audit log; the source's entries arrive with their ids, the target's own (its migration to
head) move past them, and the check compares the source's entries only. The dry run makes the tables and
copies nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.data.audit_trail import AUDIT_OFF, Auditing
from core.engine.db import Database, open_database
from core.migrate.copy import copy_database
from tests.core.test_migrate_copy_reflected import build_reflected
from tests.fixtures.demo import Demo
from tests.fixtures.postgres import new_pg_database


@pytest.fixture
def pg_target(pg_server: object) -> Iterator[Database]:
    """A fresh, empty PostgreSQL database (pgvector installed), open."""
    db = open_database(new_pg_database(pg_server))
    yield db
    db.dispose()


def _entries(db: Database, where: str = "") -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        found = conn.exec_driver_sql(
            "select id, entity, action, os_user, profile, after_json, save_id, reason "
            f"from admin_audit_log {where} order by id"
        )
        return [tuple(r) for r in found]


def test_each_table_written_has_one_copy_entry_and_the_source_entries_keep_their_ids(
    sqlite_demo_copy: Demo, pg_target: Database
) -> None:
    src, _ = sqlite_demo_copy
    with src.transaction() as conn:  # an edit audited in the source: it must arrive as it is, same id
        conn.exec_driver_sql(
            "insert into admin_audit_log "
            "(at, os_user, profile, entity, row_key, action, after_json, save_id) values "
            "('2025-01-02 03:04:05.000000', 'ana', 'default', 'users', '{\"id\": \"x\"}', 'update', "
            "'{\"email\": \"a@b.c\"}', '0123456789abcdef0123456789abcdef')"
        )
    mine = [(r[0], r[1], r[2]) for r in _entries(src)]
    last = max(i for i, _, _ in mine)
    result = copy_database(src, pg_target, auditing=Auditing(user="ana", profile="prod"))
    assert result.ok and result.audited
    theirs = _entries(pg_target)
    assert [(r[0], r[1], r[2]) for r in theirs if r[0] <= last] == mine
    own = [r for r in theirs if r[0] > last]
    assert {r[2] for r in own} == {"copy"}, (
        "an empty target's migration to head is not audited (it had no audit log before it)"
    )
    copies = [r for r in own if r[2] == "copy"]
    written = {t.table: t for t in result.tables if t.rows_copied}
    assert sorted(r[1] for r in copies) == sorted(written), "one entry per table written"
    assert len({r[6] for r in copies}) == 1 and {(r[3], r[4]) for r in copies} == {("ana", "prod")}
    users = next(r for r in copies if r[1] == "users")
    assert users[5] == {
        "source": src.display_url,
        "rows_source": written["users"].rows_source,
        "rows_copied": written["users"].rows_copied,
        "rows_present": 0,
    }
    again = copy_database(src, pg_target)
    assert again.ok and sum(t.rows_copied for t in again.tables) == 0
    assert len(_entries(pg_target, "where action = 'copy'")) == len(copies), (
        "nothing written, nothing recorded"
    )


def test_a_target_without_an_audit_log_or_audit_off_records_nothing(
    tmp_path: Path, pg_target: Database
) -> None:
    path = tmp_path / "theirs.db"
    build_reflected(path)
    src = open_database(str(path))
    try:
        result = copy_database(src, pg_target, auditing=AUDIT_OFF)
    finally:
        src.dispose()
    assert result.ok and not result.audited
    assert not sa.inspect(pg_target.engine).has_table("admin_audit_log")


def test_the_dry_run_makes_the_tables_and_copies_no_row(sqlite_demo_copy: Demo, pg_target: Database) -> None:
    src, _ = sqlite_demo_copy
    result = copy_database(src, pg_target, schema_only=True)
    assert result.migrated and not result.checks
    planned = {t.table: t for t in result.tables}
    assert planned["tool_executions"].rows_source > 0
    assert all(t.rows_copied == 0 for t in result.tables)
    with pg_target.engine.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from tool_executions").scalar_one() == 0
        assert (
            conn.exec_driver_sql("select count(*) from admin_audit_log where action = 'copy'").scalar_one()
            == 0
        )


def test_a_copy_entry_cannot_be_reverted_and_nothing_changes(
    sqlite_demo_copy: Demo, pg_target: Database
) -> None:
    from core.audit.revert import Selection, revert
    from core.errors import WardenError
    from core.schema.load import load_catalog

    src, _ = sqlite_demo_copy
    assert copy_database(src, pg_target, verify=False).audited
    (entry,) = _entries(pg_target, "where action = 'copy' and entity = 'users'")
    with pg_target.engine.connect() as conn:
        before = conn.exec_driver_sql("select count(*) from users").scalar_one()
    with pytest.raises(WardenError, match="records a copy, not a row's change"):
        revert(pg_target, load_catalog(pg_target), Selection(entry[0]))
    with pg_target.engine.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from users").scalar_one() == before > 0
