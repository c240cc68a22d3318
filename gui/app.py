"""The QApplication: names, settings, style, icon, the worker door and the crash handler, and `main()`."""

from __future__ import annotations

import gc
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QEvent,
    QObject,
    QSettings,
    QSize,
    QTimer,
)
from PySide6.QtGui import QIcon, QImageReader, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from gui import settings as saved
from gui.runtime import workers
from gui.runtime.errors import APP_NAME, CrashHandler

if TYPE_CHECKING:
    from core.audit.profiles import Profile

ORGANIZATION = "Warden"
SHUTDOWN_WAIT_MS = 10_000
FIRST_PAINT_FALLBACK_MS = 1_000  # open the database anyway if the window has not painted by then

log = logging.getLogger("warden.gui")


def settings() -> QSettings:
    """The user's Warden settings (window geometry, last folder…): the same store as gui.settings."""
    return saved.settings()


def resource_bytes(name: str) -> bytes | None:
    """A file from the resources package, or None if it is missing."""
    # The package's folders first: a plain file read, without importlib.resources (about 6 ms before the
    # window). A stale editable install can also make `resources` a namespace package importlib.resources
    # cannot read; its folders are still on __path__.
    try:
        import resources as package
    except ModuleNotFoundError:
        return None
    for folder in getattr(package, "__path__", []):
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate.read_bytes()
    from importlib import resources  # a package in an archive

    try:
        return resources.files("resources").joinpath(name).read_bytes()
    except (OSError, ModuleNotFoundError):
        return None


def load_stylesheet() -> str:
    """The application style sheet from resources/style.qss ('' if it is missing)."""
    data = resource_bytes("style.qss")
    return data.decode("utf-8") if data else ""


def app_icon() -> QIcon:
    """The Warden icon from resources/warden.svg (an empty icon if it cannot be read)."""
    data = resource_bytes("warden.svg")
    icon = QIcon()
    if not data:
        return icon
    raw = QByteArray(data)
    for size in (16, 24, 32, 48, 64, 128, 256):
        buffer = QBuffer(raw)  # kept in a name: the reader does not own it
        reader = QImageReader(buffer, QByteArray(b"svg"))
        reader.setScaledSize(QSize(size, size))  # render the SVG at each size, not scale one bitmap
        image = reader.read()
        if not image.isNull():
            icon.addPixmap(QPixmap.fromImage(image))
    return icon


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication with Warden's names, style and icon (the existing one if there is one)."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APP_NAME)
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        from gui.platform_check import platform_guard

        with platform_guard():  # no display or no xcb libraries: one line and exit 2, not Qt's abort
            app = QApplication(list(argv or sys.argv[:1]))
    app.setApplicationDisplayName(APP_NAME)
    app.setStyle("Fusion")
    app.setStyleSheet(load_stylesheet())
    app.setWindowIcon(app_icon())
    if workers.current().parent() is not app:
        workers.install(workers.Workers(app))  # the application owns the worker door
    return app


def quit_on_interrupt(app: QApplication) -> None:
    """Let Ctrl+C in the terminal close the windows and quit, as it would any console program."""

    def interrupted(_signum: int, _frame: object) -> None:
        app.closeAllWindows()
        app.quit()

    signal.signal(signal.SIGINT, interrupted)
    # Python runs signal handlers only between bytecodes; an idle timer lets it in while Qt waits.
    wake = QTimer(app)
    wake.timeout.connect(lambda: None)
    wake.start(250)


class _AfterFirstPaint(QObject):
    """Runs an action once, as soon as the watched widget has painted for the first time."""

    def __init__(self, widget: QWidget, action: Callable[[], None], fallback_ms: int) -> None:
        super().__init__(widget)
        self._widget = widget
        self._action: Callable[[], None] | None = action
        widget.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self, self._run)  # minimised or never exposed: do not wait for ever

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """On the first paint, queue the action for right after it (the frame reaches the screen first)."""
        if event.type() == QEvent.Type.Paint and self._action is not None:
            QTimer.singleShot(0, self, self._run)
        return False

    def _run(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            self._widget.removeEventFilter(self)
            action()


def after_first_paint(
    widget: QWidget, action: Callable[[], None], fallback_ms: int = FIRST_PAINT_FALLBACK_MS
) -> None:
    """Run `action` once `widget` has painted its first frame (or after `fallback_ms`, whichever is first).

    Opening a database loads SQLAlchemy, numpy and pgvector on a worker; that import holds the GIL most of
    the time, so starting it before the first frame would make the window appear later.
    """
    _AfterFirstPaint(widget, action, fallback_ms)


def install_crash_handler(log_path: Path, *, show_dialog: bool = True) -> CrashHandler:
    """The one crash handler for uncaught exceptions and for bugs in core calls (the worker door's)."""
    handler = CrashHandler(log_path, show_dialog=show_dialog)
    handler.install()
    workers.current().bug_handler = handler.report
    return handler


def main(db_target: str | None = None, *, profile: Profile | None = None) -> int:
    """Open the main window (on `db_target`, a file path or URL, or the saved `profile`, if given) and run
    the event loop. A PostgreSQL URL opens read-only, as any new connection to a server (unlock to edit)."""
    from gui.main_window import MainWindow

    app = create_application()
    quit_on_interrupt(app)
    app.aboutToQuit.connect(lambda: workers.shutdown(SHUTDOWN_WAIT_MS))
    window = MainWindow(build_later=True)  # the bare frame shows first; its parts come after that frame
    window.show()

    def start() -> None:
        from core.logs import setup_logging
        from core.paths import log_file

        # From the first frame on (a bug before it prints its traceback, as Python does by default); the
        # log folder's path needs platformdirs, which the bare window does without.
        install_crash_handler(log_file())
        window.build()
        from gui.search.embed_fill import attach  # the default database's vectors, filled in the background

        attach(window)
        from gui.search.save_reembed import attach as follow_saves  # a save's changed texts: re-embedded

        follow_saves(window)
        gc.enable()  # the launcher paused cyclic collection until the window is up
        setup_logging()  # after the first frame: the log file's handler is not needed to show a window
        if profile is not None:
            # At its level; a PostgreSQL password from the keyring (else the connection dialog asks).
            window.connection_actions.open_profile(profile)
        elif db_target:
            from core.engine.connections import is_pg_url

            window.open_target(db_target, read_only=is_pg_url(db_target))

    after_first_paint(window, start)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
