"""`warden audit` and `warden revert` on real databases: the JSON shape, the text listing without values,
reverting an entry or some of its fields, and clean one-line errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import cli
from core.engine.db import open_database
from tests.fixtures.audited import ann_changed


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def audited(empty_url: str) -> str:
    """The reference schema with one user inserted and then renamed by two saves (two entries)."""
    return ann_changed(empty_url, {"display_name": "Secret Name", "email": "new@example.org"})


def _user(url: str) -> dict[str, object]:
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT * FROM users")).mappings().one())
    finally:
        db.dispose()


def test_audit_json_lists_entries_newest_first_with_values(capsys, audited):
    code, out, err = run(capsys, "audit", "--db", audited, "--json")
    assert code == 0, err
    entries = json.loads(out)
    assert [e["action"] for e in entries] == ["update", "insert"]
    update = entries[0]
    keys = {"id", "at", "user", "profile", "entity", "key", "action", "fields", "before", "after", "reason",
            "save_id", "reverts"}  # fmt: skip
    assert set(update) == keys
    assert update["entity"] == "users" and update["profile"] == "default" and update["reverts"] is None
    assert update["before"] == {"display_name": None, "email": "ann@example.org"}
    assert update["after"] == {"display_name": "Secret Name", "email": "new@example.org"}
    assert sorted(update["fields"]) == ["display_name", "email"]
    assert set(update["key"]) == {"id"}
    code, out, _ = run(capsys, "audit", "--db", audited, "--json", "--key", update["key"]["id"],
                       "--entity", "users", "--since", "1h")  # fmt: skip
    assert code == 0 and len(json.loads(out)) == 2
    code, out, _ = run(capsys, "audit", "--db", audited, "--json", "--action", "insert")
    assert code == 0 and [e["action"] for e in json.loads(out)] == ["insert"]


def test_audit_text_names_rows_and_fields_but_no_values(capsys, audited):
    code, out, _ = run(capsys, "audit", "--db", audited)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "update" in lines[0] and "users [id=" in lines[0]
    assert lines[0].endswith(("display_name, email", "email, display_name"))  # jsonb keeps no key order
    assert "Secret Name" not in out and "new@example.org" not in out


def test_revert_one_field_then_the_rest(capsys, audited):
    code, out, _ = run(capsys, "audit", "--db", audited, "--json", "--action", "update")
    (update,) = json.loads(out)
    code, out, err = run(capsys, "revert", "--db", audited, str(update["id"]), "--fields", "email",
                         "--reason", "typo")  # fmt: skip
    assert code == 0, err
    assert out.strip() == f"Reverted entry {update['id']} (email): 1 row updated."
    row = _user(audited)
    assert (row["email"], row["display_name"]) == ("ann@example.org", "Secret Name")
    code, out, _ = run(capsys, "audit", "--db", audited, "--json", "--action", "revert")
    (rev,) = json.loads(out)
    assert (rev["reverts"], rev["reason"], rev["after"]) == (
        update["id"],
        "typo",
        {"email": "ann@example.org"},
    )

    # Reverting the whole entry now conflicts: its email is no longer what the entry set.
    code, out, err = run(capsys, "revert", "--db", audited, str(update["id"]))
    assert code == 2 and out == ""
    assert err.startswith("warden: error: 1 row changed in the database") and len(err.splitlines()) == 1
    code, _, err = run(capsys, "revert", "--db", audited, str(update["id"]), "--fields", "display_name")
    assert code == 0, err
    assert _user(audited)["display_name"] is None


def test_revert_whole_save_and_cli_errors(capsys, audited):
    code, out, _ = run(capsys, "audit", "--db", audited, "--json", "--action", "insert")
    (insert,) = json.loads(out)
    code, _, err = run(capsys, "revert", "--db", audited, str(insert["id"]), "--fields", "email")
    assert code == 2 and "revert the whole entry" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, "revert", "--db", audited, "999999")
    assert code == 2 and err.strip() == "warden: error: The audit log has no entry 999999."
    code, _, err = run(capsys, "audit", "--db", audited, "--since", "yesterday-ish")
    assert code == 2 and "--since takes" in err
    code, _, err = run(capsys, "audit", "--db", audited, "--entity", "nope")
    assert code == 2 and "Unknown entity" in err
    # The insert was changed later: undoing it would delete a row that is no longer as inserted.
    code, _, err = run(capsys, "revert", "--db", audited, str(insert["id"]), "--whole-save")
    assert code == 2 and "changed in the database" in err


def test_audit_on_a_database_without_the_log(capsys, tmp_path: Path):
    path = tmp_path / "theirs.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    raw.close()
    code, out, err = run(capsys, "audit", "--db", str(path))
    assert code == 2 and out == "" and "no audit log" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, "revert", "--db", str(path), "1")
    assert code == 2 and "no audit log" in err
    code, out, err = run(capsys, "audit", "--db", str(path), "--create-log")
    assert code == 0, err
    assert out.strip() == f"Created the audit log in {path}."
    code, out, _ = run(capsys, "audit", "--db", str(path), "--create-log")
    assert code == 0 and out.strip().endswith("has an audit log already.")
    code, out, err = run(capsys, "audit", "--db", str(path), "--json")
    assert code == 0 and json.loads(out) == []
