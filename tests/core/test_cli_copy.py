"""`warden copy --from PATH --to URL [--verify-only] [--json]` (issue 10): per-table counts and checksum match
as JSON, a line per table otherwise, and a non-zero exit when a tampered target no longer matches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import cli
from core.cli.copy import EXIT_MISMATCH
from core.engine.db import open_database
from tests.core.test_migrate_copy_reflected import build_reflected
from tests.fixtures.postgres import new_pg_database


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_copy_json_then_verify_only_finds_the_tampered_table(
    tmp_path: Path, pg_server: object, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "theirs.db"
    build_reflected(path)
    url = new_pg_database(pg_server)
    code, out, err = run(capsys, "copy", "--from", str(path), "--to", url, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc == [
        {"table": "authors", "rows_source": 6, "rows_target": 6, "checksum_match": True},
        {"table": "books", "rows_source": 30, "rows_target": 30, "checksum_match": True},
    ]
    code, out, _ = run(capsys, "copy", "--from", str(path), "--to", url)
    assert code == 0
    assert out.splitlines() == [
        "authors: 6 rows in the source, 6 in the target, verified",
        "books: 30 rows in the source, 30 in the target, verified",
    ]
    target = open_database(url)
    try:
        with target.transaction() as conn:  # the same number of rows, one value changed
            conn.execute(sa.text("update books set title = 'changed' where id = 5"))
    finally:
        target.dispose()
    code, out, err = run(capsys, "copy", "--from", str(path), "--to", url, "--verify-only", "--json")
    assert code == EXIT_MISMATCH != 0
    by_table = {d["table"]: d for d in json.loads(out)}
    assert by_table["books"] == {
        "table": "books",
        "rows_source": 30,
        "rows_target": 30,
        "checksum_match": False,
    }
    assert by_table["authors"]["checksum_match"] is True
    code, out, err = run(capsys, "copy", "--from", str(path), "--to", url, "--verify-only")
    assert code == EXIT_MISMATCH
    assert "books: 30 rows in the source, 30 in the target, checksums differ" in out
    assert "changed" not in out + err, "row values never appear in messages"


def test_copy_refuses_a_target_that_is_not_postgresql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "theirs.db"
    build_reflected(path)
    other = tmp_path / "other.db"
    open_database(str(other), create=True).dispose()
    code, _, err = run(capsys, "copy", "--from", str(path), "--to", str(other))
    assert code == 2
    assert err.startswith("warden: error:") and "PostgreSQL" in err and len(err.splitlines()) == 1


def test_the_copy_is_audited_on_the_target_as_the_user_running_it(
    demo_copy_path: str, pg_server: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.data.audit_trail import os_user

    url = new_pg_database(pg_server)
    code, _, err = run(capsys, "copy", "--from", demo_copy_path, "--to", url, "--json")
    assert code == 0, err
    target = open_database(url)
    try:
        with target.engine.connect() as conn:
            who = conn.exec_driver_sql(
                "select distinct os_user, profile from admin_audit_log where action = 'copy'"
            ).all()
            tables = conn.exec_driver_sql(
                "select count(*) from admin_audit_log where action = 'copy' and entity = 'tool_executions'"
            ).scalar_one()
    finally:
        target.dispose()
    assert [tuple(r) for r in who] == [(os_user(), "default")] and tables == 1
