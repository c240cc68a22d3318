"""A row's values never reach a message or the log file: saves and exports made to fail on purpose, on real
SQLite and PostgreSQL, through the command line's boundary (core/cli/boundary.py) and the log's formatter."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from core import cli
from core.cli.boundary import EXIT_BUG, EXIT_USER_ERROR
from core.data.changes import Update
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import ValidationError
from core.redact import format_exception
from core.schema.catalog import Catalog
from tests.fixtures.app_log import LogFolder
from tests.fixtures.sqlite_locks import write_lock_held

MARKER = "MARKER-7f3a"


def first_user(db: Database) -> tuple[dict[str, Any], int]:
    """The key and version of one users row."""
    with db.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT id, version FROM users ORDER BY id LIMIT 1").one()
    return {"id": uuid.UUID(str(row[0]))}, int(row[1])


def guarded_save(db: Database, cat: Catalog, values: dict[str, Any]) -> int:
    """Save one edit of the first user behind the command line's boundary; its exit code."""
    key, version = first_user(db)

    def action() -> int:
        save(db, cat, [Update("users", key, values, {}, version)])
        return 0

    return cli.guarded(action, "save")


# How each backend refuses a value on purpose, and a real bug on save (each gets MARKER as display_name).
REFUSALS = {
    "sqlite": {
        "trigger": [
            "CREATE TRIGGER refuse_long BEFORE UPDATE OF display_name ON users "
            "WHEN length(NEW.display_name) > 10 "
            "BEGIN SELECT RAISE(ABORT, 'display name ' || NEW.display_name || ' is too long'); END"
        ],
        "bug": [
            "CREATE TRIGGER call_missing BEFORE UPDATE OF display_name ON users "
            "BEGIN SELECT no_such_function(NEW.display_name); END"
        ],
    },
    "postgresql": {
        "check": [
            "ALTER TABLE users ADD CONSTRAINT ck_short_name CHECK (length(display_name) < 11) NOT VALID"
        ],
        "trigger": [
            "CREATE FUNCTION refuse_long() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'display name %% is too long', NEW.display_name; END $$",
            "CREATE TRIGGER refuse_long BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION refuse_long()",
        ],
        "bug": [
            "CREATE FUNCTION call_missing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "PERFORM no_such_function(NEW.display_name); RETURN NEW; END $$",
            "CREATE TRIGGER call_missing BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION call_missing()",
        ],
    },
}
CASES = [(backend, how) for backend, hows in REFUSALS.items() for how in hows]


@pytest.mark.parametrize(("backend", "how"), CASES, ids=[f"{b}-{h}" for b, h in CASES])
def test_a_refused_save_shows_and_logs_no_value(
    app_log: LogFolder,
    capsys: pytest.CaptureFixture[str],
    demo_copy: tuple[Database, Catalog],
    backend: str,
    how: str,
) -> None:
    """A CHECK or a trigger refusing the value, or a trigger calling a function that does not exist (a bug):
    the line on stderr and the whole log name no value; a bug's log keeps its frames and its SQL."""
    db, cat = demo_copy
    with db.engine.begin() as conn:
        for ddl in REFUSALS[backend][how]:
            conn.exec_driver_sql(ddl)
    code = guarded_save(db, cat, {"display_name": MARKER})
    err = capsys.readouterr().err
    assert code in (EXIT_USER_ERROR, EXIT_BUG) and err.startswith("warden: error: "), err
    assert MARKER not in err and "UPDATE" not in err
    log = app_log.written()
    assert MARKER not in log
    if how == "trigger":  # a rule of the database, not a bug: its text (which may quote values) is not shown
        assert code == EXIT_USER_ERROR and "A trigger" in err
    if how == "bug":
        assert code == EXIT_BUG and "internal error: " in err
        assert "Traceback" in log and ", in save" in log and "UPDATE users SET display_name" in log
        assert "no_such_function" in log  # the driver's first line names objects: it is kept


def test_a_unique_value_taken_meanwhile_is_refused_without_quoting_it(
    app_log: LogFolder, capsys: pytest.CaptureFixture[str], demo_copy: tuple[Database, Catalog]
) -> None:
    """PostgreSQL's DETAIL quotes the taken value ('Key (email)=(…) already exists'): neither the message
    nor the log carries it, and the log's account of that error (when logged) drops the DETAIL."""
    db, cat = demo_copy
    taken = f"{MARKER}@example.org"
    with db.engine.begin() as conn:  # another user took the address meanwhile
        conn.exec_driver_sql(
            f"UPDATE users SET email = '{taken}' WHERE id = (SELECT id FROM users ORDER BY id DESC LIMIT 1)"
        )
    code = guarded_save(db, cat, {"email": taken})
    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR and "must be unique" in err and MARKER not in err
    assert MARKER not in app_log.written()
    key, version = first_user(db)
    with pytest.raises(ValidationError) as refused:
        save(db, cat, [Update("users", key, {"email": taken}, {}, version)])
    text = format_exception(refused.value)
    assert MARKER not in text and "email" in text and "Traceback" in text


def test_a_locked_save_says_so_without_the_value(
    app_log: LogFolder,
    capsys: pytest.CaptureFixture[str],
    sqlite_demo_copy: tuple[Database, Catalog],
    quick_busy: None,
) -> None:
    """The issue's case: a save while another program holds the write lock names neither SQL nor values."""
    db, cat = sqlite_demo_copy
    with write_lock_held(str(db.url.database)):
        code = guarded_save(db, cat, {"display_name": MARKER})
    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR and "locked" in err
    assert MARKER not in err and "parameters" not in err and "UPDATE" not in err
    assert MARKER not in app_log.written()


@pytest.fixture
def undecodable_row(demo_copy_path: str) -> str:
    """The demo copy with a display name holding the marker and a byte that is not UTF-8: reading it fails,
    and Python's sqlite3 quotes the text it cannot decode in its error."""
    conn = sqlite3.connect(demo_copy_path)
    try:
        bad = (MARKER + " ").encode().hex() + "ff"
        conn.execute(
            f"UPDATE users SET display_name = CAST(X'{bad}' AS TEXT) "
            "WHERE rowid = (SELECT min(rowid) FROM users)"
        )
        conn.commit()
    finally:
        conn.close()
    return demo_copy_path


def test_an_export_whose_read_fails_shows_and_logs_no_value(
    app_log: LogFolder, capsys: pytest.CaptureFixture[str], undecodable_row: str, tmp_path: Path
) -> None:
    """`warden export` meets a row it cannot read: a bug, whose line and log name the column, not its text."""
    code = cli.main(["export", "--db", undecodable_row, "--entity", "users", "-o", str(tmp_path / "u.csv")])
    err = capsys.readouterr().err
    assert code == EXIT_BUG and "internal error: OperationalError" in err
    assert MARKER not in err
    log = app_log.written()
    assert MARKER not in log
    assert "Could not decode to UTF-8 column 'display_name'" in log and "FROM users" in log
    assert not (tmp_path / "u.csv").exists()


def test_an_export_to_an_unwritable_place_shows_and_logs_no_value(
    app_log: LogFolder, capsys: pytest.CaptureFixture[str], demo_copy_path: str, tmp_path: Path
) -> None:
    """An export whose folder is a file fails before any row is read, with a message about the path."""
    with sqlite3.connect(demo_copy_path) as conn:
        conn.execute("UPDATE users SET display_name = ? WHERE rowid = 1", (MARKER,))
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    code = cli.main(
        ["export", "--db", demo_copy_path, "--entity", "users", "-o", str(not_a_folder / "u.csv")]
    )
    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR and "is a file, not a folder" in err and MARKER not in err
    assert MARKER not in app_log.written()


def test_log_exception_anywhere_keeps_the_frames_and_drops_the_values(
    app_log: LogFolder, tmp_path: Path
) -> None:
    """`log.exception` in any warden module is redacted by the log file's formatter, even when another
    handler formatted (and cached) the record's traceback first."""
    first = logging.FileHandler(tmp_path / "other.log", encoding="utf-8")
    first.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("warden.test_no_values")
    log.addHandler(first)  # runs before the warden logger's file handler, and caches exc_text
    try:

        def read_age(value: str) -> int:
            return int(value)

        def look_up(row: dict[str, str]) -> str:
            return row[MARKER]

        for fail in (lambda: read_age(MARKER), lambda: look_up({})):
            try:
                fail()
            except Exception:
                log.exception("reading a row failed")
    finally:
        log.removeHandler(first)
        first.close()
    text = app_log.written()
    assert "reading a row failed" in text and ", in read_age" in text and ", in look_up" in text
    assert "ValueError: (message withheld" in text and "KeyError: (message withheld" in text
    assert MARKER not in text


def test_a_warden_error_keeps_its_message_and_code_errors_theirs() -> None:
    """What is kept: Warden's own messages and messages that come from code; frames always."""
    from core.errors import NotFoundError

    def broken() -> None:
        try:
            raise NotFoundError("users has no such column: age")
        except NotFoundError as exc:
            raise AttributeError("'NoneType' object has no attribute 'rows'") from exc

    with pytest.raises(AttributeError) as caught:
        broken()
    text = format_exception(caught.value)
    assert "core.errors.NotFoundError: users has no such column: age" in text
    assert "direct cause" in text and "AttributeError: 'NoneType' object has no attribute 'rows'" in text
    assert text.count("Traceback (most recent call last):") == 2 and ", in broken" in text


def test_a_driver_error_keeps_its_names_and_drops_its_detail(pg_server: object) -> None:
    """PostgreSQL's unique violation, raised by the driver itself: its SQLSTATE and names are kept, the
    DETAIL line that quotes the value is not."""
    from tests.fixtures.postgres import new_pg_database

    db = open_database(new_pg_database(pg_server), create=True)
    try:
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("CREATE TABLE t (email text CONSTRAINT t_email_key UNIQUE)")
            cur.execute("INSERT INTO t VALUES (%s)", (MARKER,))
            with pytest.raises(Exception) as caught:
                cur.execute("INSERT INTO t VALUES (%s)", (MARKER,))
        finally:
            raw.close()
    finally:
        db.dispose()
    assert MARKER in str(caught.value)  # the driver's own text quotes it
    text = format_exception(caught.value)
    assert MARKER not in text
    assert "SQLSTATE 23505" in text and "constraint t_email_key" in text and "table t" in text


def test_a_sqlite_trigger_text_is_withheld(tmp_path: Path) -> None:
    """SQLite's RAISE takes an expression (3.48+), so a trigger's text may quote the row: the typed message
    and the redacted traceback leave it out, whichever code the driver gives (sqlean: only 19)."""
    from core.engine.db import sqlite_driver
    from core.engine.driver_errors import translate

    conn = sqlite_driver()[0].connect(str(tmp_path / "t.db"))
    try:
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.execute(
            "CREATE TRIGGER r BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'refused ' || NEW.x); END"
        )
        with pytest.raises(Exception) as caught:
            conn.execute("INSERT INTO t VALUES (?)", (MARKER,))
    finally:
        conn.close()
    assert MARKER in str(caught.value)  # the driver's own text quotes it
    typed = translate(caught.value, "t.db")
    assert typed is not None and "trigger" in str(typed) and MARKER not in str(typed)
    text = format_exception(caught.value)
    assert MARKER not in text and "SQLITE_CONSTRAINT" in text
