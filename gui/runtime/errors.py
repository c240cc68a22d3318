"""The one boundary for bugs in the GUI: the crash handler writes the traceback to the log file and shows it.

Failures a person can act on (core's WardenError) are shown where they happened, by the screen that asked;
anything else is a bug and comes here, exactly once: from sys.excepthook (the GUI thread), from
threading.excepthook (Python threads) and from the worker door (gui/runtime/workers.py), which hands every
bug raised in a core call to its bug handler instead of to the caller.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QMessageBox

from core.redact import format_exception

APP_NAME = "Warden"

log = logging.getLogger("warden.gui")

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def bug_message(exc: BaseException) -> str:
    """The one line a screen may show about a bug that went to the crash handler (without its text)."""
    return (
        f"Warden hit a bug ({type(exc).__name__}) and stopped this; the details are in the log. "
        "You can keep working or restart Warden."
    )


@dataclass(frozen=True)
class CrashReport:
    """What the crash dialog shows: the exception's type (never its message), where the log is, the details.

    The details are the traceback as the log has it: frames kept, messages that may quote values withheld.
    """

    text: str
    informative: str
    details: str


def crash_report(
    exc: BaseException, log_path: Path, *, written: bool = True, details: str | None = None
) -> CrashReport:
    """The crash dialog's texts for a bug: no message, SQL or value of the exception's own in its text.

    `written`: whether the details reached the log file; if not, the dialog says so and where it tried.
    `details`: the traceback as already formatted for the log (the handler's), so it is not formatted twice;
    without it, `exc`'s own traceback.
    """
    where = (
        f"The details were written to\n{log_path}\n"
        if written
        else f"The details could not be written to\n{log_path}\nso they are only under Show Details.\n"
    )
    return CrashReport(
        text=f"Something went wrong inside {APP_NAME}: {type(exc).__name__}.",
        informative=(
            f"This is a bug, not something you did. {where}"
            "Your data was not changed by this error. You can keep working or restart Warden."
        ),
        details=format_exception(exc) if details is None else details,
    )


def to_excepthook(exc: BaseException) -> None:
    """Hand a bug to whatever sys.excepthook is now: the crash handler in the app, pytest-qt's in tests."""
    sys.excepthook(type(exc), exc, exc.__traceback__)


class CrashHandler:
    """sys.excepthook for bugs: writes the traceback to the log file and shows it in a dialog.

    Both carry the traceback as core/redact.py formats it: every frame, and no message that may quote values.
    """

    def __init__(self, log_path: Path, *, show_dialog: bool = True) -> None:
        self.log_path = log_path
        self.show_dialog = show_dialog
        self._previous: ExceptHook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self._showing = False

    def install(self) -> None:
        """Make this the handler for uncaught exceptions (GUI thread and Python threads)."""
        self._previous, self._previous_thread_hook = sys.excepthook, threading.excepthook
        sys.excepthook = self
        threading.excepthook = self._on_thread_exception

    def uninstall(self) -> None:
        """Restore the handlers that were there before install()."""
        sys.excepthook = self._previous
        threading.excepthook = self._previous_thread_hook

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """Record a bug, then tell the user where the details are."""
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous(exc_type, exc, tb)
            return
        details = format_exception(exc, tb)  # once: the log and the dialog show the same text
        report = crash_report(exc, self.log_path, written=self.write(details), details=details)
        if self.show_dialog and self._can_show_dialog():
            self._show(report)
        else:
            print(report.details, file=sys.stderr)

    def report(self, exc: BaseException) -> None:
        """Record a caught bug with the traceback it carries (the worker door's bug handler)."""
        self(type(exc), exc, exc.__traceback__)

    def write(self, text: str) -> bool:
        """Append a traceback to the log file, through the warden logger if it writes there; never raises.
        False when the file could not be written (the text then goes to stderr, if there is one)."""
        if self._logger_writes_log_file():
            log.critical("unhandled exception:\n%s", text)
            return True
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a", encoding="utf-8") as fh:
                fh.write(f"{stamp} CRASH unhandled exception\n{text}\n")
        except OSError:
            if sys.stderr is not None:  # a windowed build has none
                print(text, file=sys.stderr)
            return False
        return True

    def _logger_writes_log_file(self) -> bool:
        target = str(self.log_path.resolve())
        for logger in (log, logging.getLogger("warden")):
            for handler in logger.handlers:
                if isinstance(handler, logging.FileHandler) and handler.baseFilename == target:
                    return True
        return False

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            text = f"{args.exc_type.__name__} (no exception object)\n"
        else:
            text = format_exception(args.exc_value, args.exc_traceback)
        self.write(f"in thread {args.thread.name if args.thread else '?'}:\n{text}")

    def _can_show_dialog(self) -> bool:
        app = QApplication.instance()
        return app is not None and QThread.currentThread() is app.thread() and not self._showing

    def _show(self, report: CrashReport) -> None:
        self._showing = True
        try:
            box = QMessageBox(QMessageBox.Icon.Critical, f"{APP_NAME} hit a bug", "")
            box.setText(report.text)
            box.setInformativeText(report.informative)
            box.setDetailedText(report.details)
            box.exec()
        finally:
            self._showing = False
