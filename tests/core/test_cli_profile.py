"""`warden profile` and `--profile NAME` on commands (issue 12): profiles added, listed and removed without
a password anywhere but the keyring; read commands on a read-only profile; write commands refused in one
line, or unlocked for the run with a reason that the audit log keeps."""

from __future__ import annotations

import io
import json
from pathlib import Path

import keyring
import pytest
import sqlalchemy as sa
from keyring.backends import fail

from core import cli, paths
from core.audit import secrets
from core.audit.profiles import load_profiles, profiles_path
from core.data.changes import Insert
from core.data.writes import save
from core.engine.db import open_database
from core.schema.load import load_catalog
from tests.core.test_profiles import SECRET
from tests.fixtures.audited import ann_changed
from tests.fixtures.keyrings import MemoryKeyring, memory_keyring

__all__ = ["memory_keyring"]  # the fixture, taken from the module that makes it


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Profiles and logs of the test's own."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WARDEN_LOG_DIR", str(tmp_path / "logs"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.fixture
def audited(empty_url: str) -> str:
    """The reference schema with one user inserted and then renamed (two audit entries)."""
    return ann_changed(empty_url, {"display_name": "Renamed"})


def display_name(url: str) -> object:
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            return conn.execute(sa.text("SELECT display_name FROM users")).scalar_one()
    finally:
        db.dispose()


def everything_written(capsys_text: str) -> str:
    """What a person or a file could read: the output, the profiles file and the log folder."""
    logs = Path(paths.log_dir())
    parts = [capsys_text, profiles_path().read_text(encoding="utf-8") if profiles_path().exists() else ""]
    parts += [p.read_text(encoding="utf-8", errors="replace") for p in logs.rglob("*") if p.is_file()]
    return "\n".join(parts)


def test_profile_add_list_remove(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = ""
    code, out, err = run(capsys, "profile", "list")
    assert code == 0 and "no profiles" in out
    code, out, err = run(capsys, "profile", "add", "local", "--db", str(tmp_path / "game.db"))
    assert code == 0, err
    assert "'local' (editor)" in out
    code, out, err = run(
        capsys, "profile", "add", "prod", "--db", f"postgres://bob:{SECRET}@db.example.com/game"
    )
    assert code == 0, err
    seen += out + err
    assert "'prod' (read-only)" in out and "keyring" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("stdin-Pw-42\n"))
    code, out, err = run(
        capsys, "profile", "add", "stage", "--db", "postgresql://eve@stage:6543/game", "--level", "confirm",
        "--password-stdin",
    )  # fmt: skip
    assert code == 0, err
    seen += out + err
    ring = {user: pw for (_, user), pw in memory_keyring.passwords.items()}
    assert ring == {"bob@db.example.com:5432/game": SECRET, "eve@stage:6543/game": "stdin-Pw-42"}
    code, out, err = run(capsys, "profile", "list")
    seen += out + err
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["local", "editor"],
        ["prod", "read-only"],
        ["stage", "confirm"],
    ]
    assert "password in the keyring" in lines[1]
    code, out, err = run(capsys, "profile", "list", "--json")
    seen += out + err
    doc = json.loads(out)
    assert [(p["name"], p["level"], p["password_kept"]) for p in doc] == [
        ("local", "editor", False),
        ("prod", "read-only", True),
        ("stage", "confirm", True),
    ]
    assert doc[1]["target"] == "postgresql+psycopg://bob@db.example.com:5432/game"
    written = everything_written(seen)
    assert SECRET not in written and "stdin-Pw-42" not in written
    code, out, err = run(capsys, "profile", "remove", "prod")
    assert code == 0 and [p.name for p in load_profiles()] == ["local", "stage"]
    assert secrets.fetch_password("bob@db.example.com:5432/game") is None  # no other profile used it
    assert "no profile 'prod'" in one_line_error(*run(capsys, "profile", "remove", "prod"))


def test_a_password_without_a_keyring_is_refused_and_nothing_saved(
    capsys: pytest.CaptureFixture[str],
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        err = one_line_error(
            *run(capsys, "profile", "add", "prod", "--db", f"postgres://bob:{SECRET}@h/game")
        )
    finally:
        keyring.set_keyring(previous)
    assert "keyring" in err and SECRET not in err
    assert load_profiles() == []


def add_profile(capsys: pytest.CaptureFixture[str], name: str, target: str, level: str) -> None:
    code, _out, err = run(capsys, "profile", "add", name, "--db", target, "--level", level)
    assert code == 0, err


def test_read_commands_take_a_profile(capsys: pytest.CaptureFixture[str], audited: str) -> None:
    add_profile(capsys, "prod", audited, "read-only")
    code, out, err = run(capsys, "inspect", "--profile", "prod", "--json")
    assert code == 0, err
    assert {e["name"] for e in json.loads(out)["entities"]} >= {"users", "admin_audit_log"}
    code, out, err = run(capsys, "--profile", "prod", "export", "--entity", "users", "--format", "json")
    assert code == 0, err
    assert [r["display_name"] for r in json.loads(out)] == ["Renamed"]
    code, out, err = run(capsys, "audit", "--profile", "prod", "--json")
    assert code == 0, err
    assert [e["action"] for e in json.loads(out)] == ["update", "insert"]
    err = one_line_error(*run(capsys, "inspect", "--profile", "prod", "--db", audited))
    assert "--db and --profile" in err
    err = one_line_error(*run(capsys, "inspect", "--profile", "nope"))
    assert "no profile 'nope'" in err and "prod" in err


def test_revert_on_a_read_only_profile_is_refused_then_unlocked_with_a_reason(
    capsys: pytest.CaptureFixture[str], audited: str
) -> None:
    add_profile(capsys, "prod", audited, "read-only")
    code, out, _ = run(capsys, "audit", "--profile", "prod", "--json")
    newest = json.loads(out)[0]["id"]
    err = one_line_error(*run(capsys, "revert", str(newest), "--profile", "prod"))
    assert "read-only" in err and "prod" in err and "--unlock-reason" in err
    assert display_name(audited) == "Renamed"
    err = one_line_error(*run(capsys, "revert", str(newest), "--profile", "prod", "--unlock-reason", "   "))
    assert "reason" in err
    assert display_name(audited) == "Renamed"
    code, out, err = run(
        capsys, "revert", str(newest), "--profile", "prod", "--unlock-reason", "ticket 42", "--reason", "undo"
    )
    assert code == 0, err
    assert display_name(audited) is None
    code, out, _ = run(capsys, "audit", "--profile", "prod", "--json")
    entries = json.loads(out)
    assert [e["action"] for e in entries] == ["revert", "elevate", "update", "insert"]
    revert, unlock = entries[0], entries[1]
    assert (
        unlock["profile"] == "prod" and unlock["reason"] == "ticket 42" and unlock["after"]["minutes"] is None
    )
    assert revert["profile"] == "prod" and revert["reverts"] == newest
    code, out, _ = run(capsys, "audit", "--profile", "prod", "--json", "--action", "elevate")
    assert code == 0 and [e["reason"] for e in json.loads(out)] == ["ticket 42"]  # unlocks can be listed
    # A writable profile needs no unlock, and its saves name it.
    add_profile(capsys, "dev", audited, "editor")
    code, out, err = run(capsys, "revert", str(entries[0]["id"]), "--profile", "dev")
    assert code == 0, err
    code, out, _ = run(capsys, "audit", "--profile", "dev", "--json")
    assert json.loads(out)[0]["profile"] == "dev"


def test_other_write_commands_refuse_a_read_only_profile(
    capsys: pytest.CaptureFixture[str], audited: str, tmp_path: Path
) -> None:
    add_profile(capsys, "prod", audited, "read-only")
    for args in (
        ["migrate", "upgrade"],
        ["migrate", "downgrade", "base"],
        ["demo"],
        ["audit", "--create-log"],
    ):
        err = one_line_error(*run(capsys, *args, "--profile", "prod"))
        assert "read-only" in err and "--unlock-reason" in err, args
    assert display_name(audited) == "Renamed"
    db = open_database(audited)
    try:  # a region to embed: `embed` is refused before it loads the model
        save(db, load_catalog(db, cached=False), [Insert("regions", {"name": "North", "climate": "cold"})])
    finally:
        db.dispose()
    err = one_line_error(*run(capsys, "embed", "--entity", "regions", "--all", "--profile", "prod"))
    assert "read-only" in err and "--unlock-reason" in err
    assert "--unlock-reason" in one_line_error(
        *run(capsys, "inspect", "--unlock-reason", "x", "--db", audited)
    )


def test_a_command_that_only_reads_refuses_an_unlock_reason_and_writes_no_unlock(
    capsys: pytest.CaptureFixture[str], audited: str
) -> None:
    """--unlock-reason on a read command is one line (exit 2), before the database is opened: no unlock
    entry lands in the audit log where the user only looked. Write commands still unlock (test above)."""
    add_profile(capsys, "prod", audited, "read-only")
    reads = (
        ["inspect"],
        ["export", "--entity", "users", "--format", "json"],
        ["audit"],
        ["graph", "--entity", "users", "--key", "1"],
        ["search", "--entity", "users", "--text", "ann", "--mode", "keyword"],
        ["migrate", "status"],
        ["embed", "--entity", "users", "--all", "--dry-run"],
    )
    for args in reads:
        err = one_line_error(*run(capsys, *args, "--profile", "prod", "--unlock-reason", "ticket 42"))
        assert "only reads" in err and "--unlock-reason" in err, (args, err)
    code, out, err = run(capsys, "audit", "--profile", "prod", "--json", "--action", "elevate")
    assert code == 0 and json.loads(out) == [], err
    code, out, err = run(capsys, "audit", "--profile", "prod", "--json")  # without a reason: reads as before
    assert code == 0 and [e["action"] for e in json.loads(out)] == ["update", "insert"], err


@pytest.mark.parametrize("backend", ["postgresql"])
def test_copy_to_a_read_only_profile_is_refused(
    capsys: pytest.CaptureFixture[str], audited: str, pg_server: object, tmp_path: Path
) -> None:
    from tests.fixtures.postgres import new_pg_database

    add_profile(capsys, "prod", new_pg_database(pg_server), "read-only")
    err = one_line_error(*run(capsys, "copy", "--from", audited, "--profile", "prod"))
    assert "read-only" in err
    err = one_line_error(*run(capsys, "copy", "--from", audited, "--to", audited, "--profile", "prod"))
    assert "--to and --profile" in err


def test_no_password_in_output_errors_or_logs(
    capsys: pytest.CaptureFixture[str], pg_server: object, memory_keyring: MemoryKeyring
) -> None:
    from tests.fixtures.postgres import new_pg_database

    url = sa.make_url(new_pg_database(pg_server, vector=False))
    with_password = url.set(password=SECRET).render_as_string(hide_password=False)
    seen = ""
    code, out, err = run(capsys, "profile", "add", "pg", "--db", with_password)
    assert code == 0, err
    seen += out + err
    for args in (["inspect"], ["inspect", "--json"], ["audit"], ["profile", "list", "--json"]):
        code, out, err = run(capsys, *args, *(["--profile", "pg"] if args[0] != "profile" else []))
        seen += out + err
    # An error on the same server: a database that does not exist.
    missing = url.set(database="no_such_db", password=SECRET).render_as_string(hide_password=False)
    code, out, err = run(capsys, "profile", "add", "gone", "--db", missing)
    assert code == 0, err
    code, out, err = run(capsys, "inspect", "--profile", "gone")
    assert code == 2 and "no_such_db" in err
    seen += out + err
    assert SECRET not in everything_written(seen)
