"""The `warden` command line on real databases: demo, inspect, export, migrate, and clean errors."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core import cli
from tests.fixtures.postgres import new_pg_database


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> str:
    """A demo database that `warden demo` builds, once for the module (the tests only read it)."""
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    assert cli.main(["demo", "--db", str(path), "--scale", "1"]) == 0
    return str(path)


@pytest.fixture(scope="module")
def demo_pg(pg_server: object, pg_demo_template: str) -> str:
    """A copy of the session's PostgreSQL demo template, once for the module (the tests only read it)."""
    return new_pg_database(pg_server, template=pg_demo_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_demo(request: pytest.FixtureRequest) -> str:
    """The module's demo database on each backend, shared by its tests: a path or a URL."""
    return str(request.getfixturevalue("demo_url" if request.param == "sqlite" else "demo_pg"))


def test_inspect_json(capsys, shared_demo):
    code, out, _ = run(capsys, "inspect", "--db", shared_demo, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["backend"] in ("sqlite", "postgresql")
    assert doc["capabilities"]["vector_search"] in ("sqlite-vec", "pgvector")
    ents = {e["name"]: e for e in doc["entities"]}
    assert ents["locations"]["vectors"] == [
        {
            "column": "embedding",
            "dimension": 384,
            "storage": ents["locations"]["vectors"][0]["storage"],
            "metric": "cosine",
        }
    ]
    assert "password" not in out


def test_inspect_text(capsys, demo_url):
    code, out, _ = run(capsys, "inspect", "--db", demo_url)
    assert code == 0
    assert "World" in out and "location_connections" in out and "sqlite-vec" in out


def test_export_formats_agree(capsys, shared_demo, tmp_path):
    code, out, _ = run(capsys, "export", "--db", shared_demo, "--entity", "orders", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows and {"order_number", "total", "shipping_json"} <= set(rows[0])
    target = tmp_path / "orders.csv"
    code, _, err = run(
        capsys, "export", "--db", shared_demo, "--entity", "orders", "--format", "csv", "-o", str(target)
    )
    assert code == 0 and "Wrote" in err
    csv_rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(csv_rows) == len(rows)
    by_number = {r["order_number"]: r for r in rows}
    first = csv_rows[0]
    assert json.loads(first["shipping_json"]) == by_number[first["order_number"]]["shipping_json"]
    assert first["total"] == by_number[first["order_number"]]["total"]


def test_export_where_and_sort(capsys, shared_demo):
    code, out, _ = run(
        capsys,
        "export",
        "--db",
        shared_demo,
        "--entity",
        "tool_executions",
        "--format",
        "json",
        "--where",
        "status=error",
        "--sort",
        "created_at:desc",
    )
    assert code == 0
    rows = json.loads(out)
    assert rows and all(r["status"] == "error" and r["error_message"] for r in rows)
    stamps = [r["created_at"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)


def test_migrate_commands(capsys, shared_demo):
    code, heads, _ = run(capsys, "migrate", "heads", "--db", shared_demo)
    assert code == 0 and heads.strip()
    code, cur, _ = run(capsys, "migrate", "current", "--db", shared_demo)
    assert code == 0 and heads.split()[0] in cur
    code, out, _ = run(capsys, "migrate", "pending", "--db", shared_demo)
    assert code == 0 and out.strip() == ""
    code, hist, _ = run(capsys, "migrate", "history", "--db", shared_demo)
    assert code == 0 and heads.split()[0] in hist


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["export", "--entity", "nope"], "Unknown entity 'nope'"),
        (["export", "--entity", "locations", "--where", "nope=1"], "no column 'nope'"),
        (["export", "--entity", "locations", "--where", "missing-equals"], "COL=VALUE"),
        (["migrate", "upgrade", "nope"], "nope"),
        (["migrate", "downgrade"], "needs a REVISION"),
        (["export", "--entity", "players", "--where", "level=high"], "level"),
    ],
)
def test_user_errors_are_one_line(capsys, demo_url, args, needle):
    code, _out, err = run(capsys, *args[:1], "--db", demo_url, *args[1:])
    assert code != 0
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_and_junk_files(capsys, tmp_path):
    missing = tmp_path / "no" / "such.db"
    code, _, err = run(capsys, "inspect", "--db", str(missing))
    assert code != 0 and "No such database file" in err
    assert not missing.parent.exists()
    junk = tmp_path / "junk.db"
    junk.write_text("hello" * 100)
    code, _, err = run(capsys, "inspect", "--db", str(junk))
    assert code != 0 and "not a SQLite database" in err


def test_locked_database_is_one_line(tmp_path):
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO t VALUES (1)")
    try:
        p = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from core.cli import main; sys.exit(main(sys.argv[1:]))",
                "inspect",
                "--db",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).parents[2],
        )
    finally:
        holder.rollback()
        holder.close()
    assert p.returncode != 0
    assert "locked" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_wrong_password_and_server_down(capsys, pg_server):
    import sqlalchemy as sa

    url = sa.make_url(pg_server.get_uri()).set(drivername="postgresql+psycopg", database="does_not_exist")
    code, _, err = run(capsys, "inspect", "--db", url.render_as_string(hide_password=False))
    assert code != 0 and "does not exist" in err
    code, _, err = run(capsys, "inspect", "--db", "postgresql://nobody:hunter2@127.0.0.1:1/none")
    assert code != 0 and "hunter2" not in err and "Cannot reach" in err


def test_a_driver_failure_after_opening_is_its_typed_message(capsys, tmp_path, quick_busy):
    """The database opened fine, then another program held its write lock: one line saying so."""
    from core.engine.db import open_database
    from tests.fixtures.sqlite_locks import write_lock_held

    path = tmp_path / "busy.db"
    open_database(path, create=True).dispose()
    with write_lock_held(str(path)):
        code, _, err = run(capsys, "migrate", "upgrade", "--db", str(path))
    assert code == cli.EXIT_USER_ERROR, err
    assert "is locked by another program" in err and "Traceback" not in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_bug_is_one_line_without_the_statement(capsys):
    """A bug's message is its type only (its text may quote SQL or values); the log has the traceback."""

    def bug() -> int:
        raise RuntimeError("no such table: audit\n[SQL: SELECT * FROM audit WHERE secret = ?]")

    code = cli.guarded(bug, "test")
    err = capsys.readouterr().err
    assert code == 1 and "internal error: RuntimeError (details in " in err and "audit" not in err
    assert "SELECT" not in err and len(err.strip().splitlines()) == 1
