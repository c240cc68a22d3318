"""`warden migrate status | lint | check | sql -o | upgrade | backups | restore` on real databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import cli
from core.engine.db import open_database
from core.migrate import migrations as mig


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _initial() -> str:
    (rev,) = [r.revision for r in mig.history() if not r.down_revision]
    return rev


def fresh(target: str) -> str:
    """Create the (empty) database, as commands open only databases that exist."""
    open_database(target, create=True).dispose()
    return target


pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


def test_status_json_then_upgrade_then_status_text(
    capsys: pytest.CaptureFixture[str], empty_url: str
) -> None:
    fresh(empty_url)
    assert run(capsys, "migrate", "upgrade", _initial(), "--db", empty_url)[0] == 0
    code, out, _ = run(capsys, "migrate", "status", "--db", empty_url, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["current"] == [_initial()] and doc["heads"] == mig.heads() and not doc["at_head"]
    assert [p["revision"] for p in doc["pending"]][-1] in doc["heads"]
    assert all(p["message"] and p["docstring"] for p in doc["pending"])
    assert doc["drift"] is True and doc["drift_items"]  # the models are at head, the database is not
    code, _, err = run(capsys, "migrate", "upgrade", "--db", empty_url)
    assert code == 0 and f"Upgraded to {mig.heads()[0]}" in err and "done (" in err
    code, out, _ = run(capsys, "migrate", "status", "--db", empty_url)
    assert code == 0 and "pending: 0" in out and "drift:   no" in out and f"current: {mig.heads()[0]}" in out


def test_check_lists_drift_and_exits_1(capsys: pytest.CaptureFixture[str], empty_url: str) -> None:
    db = open_database(empty_url, create=True)
    mig.upgrade(db)
    assert run(capsys, "migrate", "check", "--db", empty_url) == (
        0,
        "No drift: the database matches the models.\n",
        "",
    )
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    db.dispose()
    code, out, _ = run(capsys, "migrate", "check", "--db", empty_url)
    assert code == 1 and out.splitlines()[:2] == ["extra table stray", "    DROP TABLE stray;"]
    code, out, _ = run(capsys, "migrate", "check", "--db", empty_url, "--json")
    assert code == 1 and [d["words"] for d in json.loads(out)] == ["extra table stray"]


def test_lint_a_range_and_the_pending_revisions(capsys: pytest.CaptureFixture[str], empty_url: str) -> None:
    fresh(empty_url)
    assert run(capsys, "migrate", "upgrade", _initial(), "--db", empty_url)[0] == 0
    code, out, _ = run(capsys, "migrate", "lint", "--db", empty_url)
    assert code == 0 and "4c1d2e7a9b30  upgrade  destructive" in out
    assert "  - drops index ix_tool_executions_status on tool_executions" in out
    code, out, _ = run(capsys, "migrate", "lint", f"4c1d2e7a9b30:{_initial()}", "--db", empty_url, "--json")
    (down,) = json.loads(out)
    assert down["revision"] == "4c1d2e7a9b30" and down["direction"] == "downgrade"
    assert "drops index ix_tool_executions_status_created on tool_executions" in [
        f["words"] for f in down["findings"]
    ]


def test_sql_of_a_range_to_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = fresh(str(tmp_path / "w.db"))
    target = tmp_path / "up.sql"
    code, out, err = run(capsys, "migrate", "sql", f"base:{_initial()}", "--db", path, "-o", str(target))
    assert code == 0 and out == "" and str(target) in err
    assert "CREATE TABLE regions" in target.read_text(encoding="utf-8")


def test_backups_are_listed_and_one_restored(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = fresh(str(tmp_path / "w.db"))
    assert run(capsys, "migrate", "upgrade", _initial(), "--db", path)[0] == 0
    code, _, err = run(capsys, "migrate", "upgrade", "--db", path)
    assert code == 0 and "Backup from before the upgrade: " in err
    code, out, _ = run(capsys, "migrate", "backups", "--db", path, "--json")
    (backup,) = json.loads(out)
    assert backup["revision"] == [_initial()] and backup["size"] > 0
    code, _, err = run(capsys, "migrate", "restore", backup["path"], "--db", path)
    assert code == 0 and f"it is at {_initial()}" in err
    db = open_database(path)
    assert mig.current(db) == [_initial()]
    assert "ix_tool_executions_status_created" not in {
        i["name"] for i in sa.inspect(db.engine).get_indexes("tool_executions")
    }
    db.dispose()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["migrate", "restore"], "needs a BACKUP"),
        (["migrate", "lint", "nope:head"], "Unknown revision 'nope'"),
        (["migrate", "restore", "/no/such/backup.db"], "No backup at"),
    ],
)
def test_user_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], expected: str
) -> None:
    code, _, err = run(capsys, *args, "--db", fresh(str(tmp_path / "e.db")))
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
