"""GUI test rules: offscreen Qt, isolated settings and logs; Qt warnings and leaked threads fail a test."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMessageLogContext, QSettings, Qt, QThreadPool, QtMsgType, qInstallMessageHandler
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from core.engine.db import Database, open_database
from gui.runtime import workers
from tests.fixtures.demo import Demo
from tests.fixtures.save_gates import no_audit_answers  # noqa: F401  (a fixture for every GUI test)
from tests.fixtures.workers import crash_log, workers_door  # noqa: F401  (fixtures for every GUI test)

FAILING_LEVELS = {QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg}
THREAD_GRACE_S = 5.0
# Said by the offscreen platform plugin itself on every top-level show(); it means nothing off-screen.
IGNORED_QT_MESSAGES = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",  # said by QToolTip.showText off-screen
)


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """QSettings, the data folder and the log file go to a temporary folder, never the tester's own.

    With WARDEN_DATA_DIR set, gui.settings keeps its ini file there; a data folder the caller chose is kept.
    """
    root = tmp_path_factory.mktemp("warden-user")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(root / "settings"))
    previous = {name: os.environ.get(name) for name in ("WARDEN_LOG_DIR", "WARDEN_DATA_DIR")}
    os.environ["WARDEN_LOG_DIR"] = str(root / "logs")
    if not previous["WARDEN_DATA_DIR"]:
        os.environ["WARDEN_DATA_DIR"] = str(root / "data")
    yield root
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def fail_on_qt_warnings(qapp: QApplication) -> Iterator[list[str]]:
    """Any Qt warning, critical or fatal message during a test fails it (messages are still passed on)."""
    messages: list[str] = []

    def handler(kind: QtMsgType, context: QMessageLogContext, text: str) -> None:
        if kind in FAILING_LEVELS and not text.startswith(IGNORED_QT_MESSAGES):
            messages.append(f"{kind.name}: {text} ({context.category})")
        if callable(previous):
            previous(kind, context, text)

    previous = qInstallMessageHandler(handler)
    try:
        yield messages
    finally:
        qInstallMessageHandler(previous)
    if messages:
        pytest.fail("Qt warnings during the test:\n" + "\n".join(messages), pytrace=False)


@pytest.fixture(autouse=True)
def mouse_buttons_released(qapp: QApplication) -> Iterator[None]:
    """QTest remembers the buttons a test left pressed (a double click has no release of its own): the next
    test's mouse moves would carry them, and a view ignores a hover with a button held. Release them all."""
    yield
    spare = QWidget()  # never shown: the release only resets QTest's remembered state
    for button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton):
        QTest.mouseRelease(spare, button)
    spare.deleteLater()


def _python_threads() -> set[threading.Thread]:
    """Threads started from Python. Qt pool threads that ran Python code appear as _DummyThread
    entries, which Python 3.11 never removes; the pool's own count covers those."""
    dummy: type[Any] = getattr(threading, "_DummyThread", ())
    return {t for t in threading.enumerate() if not isinstance(t, dummy)}


@pytest.fixture(autouse=True)
def no_leaked_threads(qapp: QApplication, fail_on_qt_warnings: list[str]) -> Iterator[None]:
    """A test must end with no worker task pending, the Qt pool idle and no extra Python thread."""
    before = _python_threads()
    yield
    assert workers.wait_idle(10_000), f"{workers.pending_count()} worker task(s) still pending"
    pool = QThreadPool.globalInstance()
    assert pool.waitForDone(10_000), "the Qt thread pool did not finish"
    assert pool.activeThreadCount() == 0, f"{pool.activeThreadCount()} Qt pool thread(s) still busy"
    deadline = time.monotonic() + THREAD_GRACE_S
    leaked = _python_threads() - before
    for thread in leaked:
        thread.join(max(0.0, deadline - time.monotonic()))
    still = [t.name for t in _python_threads() - before]
    assert not still, f"the test leaked running thread(s): {still}"
    assert len(_python_threads()) <= len(before), "the Python thread count did not return to its baseline"


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A real SQLite file with the reference schema (sqlite-vec loaded), disposed after the test."""
    from core.schema.models import metadata

    db = open_database(tmp_path / "x.db", create=True)
    metadata.create_all(db.engine)
    yield db
    db.dispose()


@pytest.fixture
def demo_copy(demo_copy: Demo) -> Iterator[Demo]:
    """tests/fixtures/demo.py's demo_copy; the test's workers finish before it is closed."""
    yield demo_copy
    workers.wait_idle()


@pytest.fixture
def sqlite_demo_copy(sqlite_demo_copy: Demo) -> Iterator[Demo]:
    """tests/fixtures/demo.py's sqlite_demo_copy; the test's workers finish before it is closed."""
    yield sqlite_demo_copy
    workers.wait_idle()


@pytest.fixture
def no_saved_tabs() -> Iterator[None]:
    """No tab list saved by an earlier test is reopened, and none this test saves is left behind."""
    from gui import settings as saved

    saved.settings().remove(saved.OPEN_TABS_KEY)
    yield
    saved.settings().remove(saved.OPEN_TABS_KEY)


@pytest.fixture
def own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder (recovery files, settings) of this test only; the test's workers finish in it."""
    folder = tmp_path / "data"
    monkeypatch.setenv("WARDEN_DATA_DIR", str(folder))
    yield folder
    assert workers.wait_idle(10_000)
