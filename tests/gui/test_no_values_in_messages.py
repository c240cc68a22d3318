"""A row's values never reach what the GUI shows or logs: saves and exports made to fail on purpose in a real
editor, on real SQLite and PostgreSQL. Read are the editor's message and the cell's problem, the export's
message, the crash handler's log and its dialog's texts (crash_report, what the dialog would show), and
the application's log file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.engine.db import Database
from core.schema.catalog import Catalog
from gui.editor.dialogs.export import ExportJob, ExportRequest
from gui.editor.view import TableEditor
from gui.runtime import workers
from gui.runtime.errors import CrashHandler, crash_report
from tests.fixtures.app_log import LogFolder
from tests.fixtures.editing import column, shown_editor, stage
from tests.fixtures.sqlite_locks import write_lock_held

MARKER = "MARKER-7f3a"


@dataclass
class Crashes:
    """A real crash handler (no dialog) writing its own log, and the bugs it was handed."""

    log_path: Path
    bugs: list[BaseException] = field(default_factory=list)

    def shown(self) -> str:
        """Everything the crash dialogs of these bugs would show, and the crash handler's log."""
        texts = []
        for exc in self.bugs:
            report = crash_report(exc, self.log_path)
            texts += [report.text, report.informative, report.details]
        log = self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""
        return "\n".join([*texts, log])


@pytest.fixture
def crashes(workers_door: workers.Workers, tmp_path: Path) -> Iterator[Crashes]:
    """The worker door's bugs go to a CrashHandler writing a log of this test's own; the bugs are kept."""
    found = Crashes(tmp_path / "logs" / "crash.log")
    handler = CrashHandler(found.log_path, show_dialog=False)

    def report(exc: BaseException) -> None:
        found.bugs.append(exc)
        handler.report(exc)

    previous = workers_door.bug_handler
    workers_door.bug_handler = report
    try:
        yield found
    finally:
        workers_door.bug_handler = previous


def failed_save(qtbot: QtBot, editor: TableEditor, name: str, value: str, *, bug: bool = False) -> str:
    """Stage `value` in the first row's `name`, save, and return what the editor shows about the failure.

    A `bug` is the crash handler's to tell: the editor only stops saving, with no message of its own.
    """
    stage(editor, 0, name, value)
    if bug:
        editor.save()
        qtbot.waitUntil(lambda: not editor.model.saving, timeout=15_000)
    else:
        with qtbot.waitSignal(editor.model.save_failed, timeout=15_000):
            editor.save()
    cell = editor.model.index(0, column(editor, name))
    problem = editor.model.data(cell, Qt.ItemDataRole.ToolTipRole)
    return f"{editor.message.text()}\n{problem or ''}"


# How each backend refuses the marker on purpose, or fails on it with a bug (a trigger calling a function
# that does not exist); PL/pgSQL's % is doubled for the driver's parameter style.
REFUSALS = {
    ("sqlite", "trigger"): [
        "CREATE TRIGGER refuse_long BEFORE UPDATE OF display_name ON users "
        "WHEN length(NEW.display_name) > 10 "
        "BEGIN SELECT RAISE(ABORT, 'display name ' || NEW.display_name || ' is too long'); END"
    ],
    ("sqlite", "bug"): [
        "CREATE TRIGGER call_missing BEFORE UPDATE OF display_name ON users "
        "BEGIN SELECT no_such_function(NEW.display_name); END"
    ],
    ("postgresql", "check"): [
        "ALTER TABLE users ADD CONSTRAINT ck_short_name CHECK (length(display_name) < 11) NOT VALID"
    ],
    ("postgresql", "trigger"): [
        "CREATE FUNCTION refuse_long() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'display name %% is too long', NEW.display_name; END $$",
        "CREATE TRIGGER refuse_long BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION refuse_long()",
    ],
    ("postgresql", "bug"): [
        "CREATE FUNCTION call_missing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "PERFORM no_such_function(NEW.display_name); RETURN NEW; END $$",
        "CREATE TRIGGER call_missing BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION call_missing()",
    ],
}


@pytest.mark.parametrize(("backend", "how"), list(REFUSALS), ids=[f"{b}-{h}" for b, h in REFUSALS])
def test_a_save_the_database_refuses_shows_and_logs_no_value(
    qtbot: QtBot,
    demo_copy: tuple[Database, Catalog],
    crashes: Crashes,
    app_log: LogFolder,
    backend: str,
    how: str,
) -> None:
    """A CHECK or a trigger refusing the value, or a bug on the way: the editor's message, the cell's
    problem, the crash dialog's texts, the crash log and the application's log never hold the value."""
    db, cat = demo_copy
    with db.engine.begin() as conn:
        for ddl in REFUSALS[(backend, how)]:
            conn.exec_driver_sql(ddl)
    editor = shown_editor(qtbot, db, cat, "users")
    shown = failed_save(qtbot, editor, "display_name", MARKER, bug=how == "bug")
    assert shown.startswith("Not saved: ") or (how == "bug" and not editor.message.isVisible())
    assert MARKER not in shown and "UPDATE" not in shown
    assert MARKER not in crashes.shown() and MARKER not in app_log.written()
    if how == "trigger":  # a rule of the database, not a bug: its text (which may quote values) is not shown
        assert "A trigger" in shown and not crashes.bugs
    if how == "bug":
        assert len(crashes.bugs) == 1
        report = crash_report(crashes.bugs[0], crashes.log_path)
        assert report.text == f"Something went wrong inside Warden: {type(crashes.bugs[0]).__name__}."
        assert "Traceback" in report.details and "no_such_function" in report.details
    assert editor.staged_label.text() == "1 unsaved change"  # the edit waits for a correction


def test_a_unique_value_taken_meanwhile_shows_and_logs_no_value(
    qtbot: QtBot, demo_copy: tuple[Database, Catalog], crashes: Crashes, app_log: LogFolder
) -> None:
    """PostgreSQL's DETAIL quotes the taken address; SQLite names the column: neither shows the value."""
    db, cat = demo_copy
    taken = f"{MARKER}@example.org"
    editor = shown_editor(qtbot, db, cat, "users")
    with db.engine.begin() as conn:  # another user took the address meanwhile
        conn.exec_driver_sql(
            f"UPDATE users SET email = '{taken}' WHERE id = (SELECT id FROM users ORDER BY id DESC LIMIT 1)"
        )
    shown = failed_save(qtbot, editor, "email", taken)
    assert "must be unique" in shown and MARKER not in shown, shown
    assert MARKER not in crashes.shown() and MARKER not in app_log.written()


def test_a_locked_save_shows_and_logs_no_value(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog], quick_busy: None, crashes: Crashes,
    app_log: LogFolder,
) -> None:  # fmt: skip
    """The issue's case: the locked-save message showed the SQL and the row's values."""
    db, cat = sqlite_demo_copy
    editor = shown_editor(qtbot, db, cat, "users")
    with write_lock_held(str(db.url.database)):
        shown = failed_save(qtbot, editor, "display_name", MARKER)
    assert "locked" in shown and MARKER not in shown and "parameters" not in shown
    assert not crashes.bugs and MARKER not in app_log.written()


@pytest.fixture
def undecodable_users(demo_copy_path: str) -> str:
    """The demo copy with a display name holding the marker and a byte that is not UTF-8: reading it fails,
    and Python's sqlite3 quotes the text it cannot decode in its error."""
    conn = sqlite3.connect(demo_copy_path)
    try:
        bad = (MARKER + " ").encode().hex() + "ff"
        conn.execute(
            f"UPDATE users SET display_name = CAST(X'{bad}' AS TEXT) "
            "WHERE rowid = (SELECT max(rowid) FROM users)"
        )
        conn.commit()
    finally:
        conn.close()
    return demo_copy_path


def run_export(qtbot: QtBot, db: Database, cat: Catalog, path: Path) -> str:
    """Export users to `path` through the editor's export job; the message it fails with."""
    parent = shown_editor(qtbot, db, cat, "products")  # any widget: the job's progress dialog needs one
    job = ExportJob(db, cat, ExportRequest("users"), parent)
    with qtbot.waitSignal(job.failed, timeout=15_000) as failed:
        job.start(str(path), "csv")
    message = str(failed.args[0])
    assert job.error == message
    return message


def run_aborted_export(qtbot: QtBot, db: Database, cat: Catalog, path: Path) -> None:
    """Export users to `path` through the editor's export job, which a bug stops (`aborted`, no message)."""
    parent = shown_editor(qtbot, db, cat, "products")
    job = ExportJob(db, cat, ExportRequest("users"), parent)
    with qtbot.waitSignal(job.aborted, timeout=15_000):
        job.start(str(path), "csv")
    assert job.error is None and not job.running


def test_an_export_whose_read_fails_shows_and_logs_no_value(
    qtbot: QtBot, undecodable_users: str, crashes: Crashes, app_log: LogFolder, tmp_path: Path
) -> None:
    """An export meets a row it cannot read: a bug, whose message, crash dialog and logs name no value."""
    from core.engine.db import open_database
    from core.schema.load import load_catalog

    db = open_database(undecodable_users)
    try:
        run_aborted_export(qtbot, db, load_catalog(db), tmp_path / "users.csv")
    finally:
        db.dispose()
    assert len(crashes.bugs) == 1
    shown = crashes.shown()
    assert "display_name" in shown and "Traceback" in shown
    assert MARKER not in shown and MARKER not in app_log.written()
    assert not (tmp_path / "users.csv").exists()


def test_an_export_to_an_unwritable_place_shows_and_logs_no_value(
    qtbot: QtBot, sqlite_demo_copy: tuple[Database, Catalog], crashes: Crashes, app_log: LogFolder,
    tmp_path: Path,
) -> None:  # fmt: skip
    """An export into a 'folder' that is a file: a message about the path, nothing about the rows."""
    db, cat = sqlite_demo_copy
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE users SET display_name = '{MARKER}'")
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    message = run_export(qtbot, db, cat, not_a_folder / "users.csv")
    assert "is a file, not a folder" in message and MARKER not in message
    assert not crashes.bugs and MARKER not in app_log.written()
