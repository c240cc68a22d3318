"""`warden selftest` with the GUI's steps: the main window edits a row, the graph panel expands a node.

The core steps are core/cli/selftest.py's; steps 3 and 5 here drive the real screens offscreen, the way a
person would: the window opens the temporary database on a worker, a table editor stages an edit and saves
it through the worker door, the graph tab shows a record and expands a neighbour. The GUI thread never
touches the database: every check of what was written is read back on a worker too. Waits are local event
loops with a time limit, so a step that hangs fails instead of blocking the selftest.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QEventLoop, Qt, QTimer, qVersion
from PySide6.QtWidgets import QApplication

from core.cli.selftest import ENTITY, Run, SelftestFailed, StepResult, run_selftest
from gui.runtime import workers

if TYPE_CHECKING:
    from gui.editor.view import TableEditor
    from gui.main_window import MainWindow

log = logging.getLogger("warden.gui.selftest")

#: How long a step waits for the window, a worker or a signal before it fails (seconds).
WAIT_S = 60.0
#: Bugs raised on workers during the run (type names): a step waiting on one fails at once, not at WAIT_S.
_worker_bugs: list[str] = []
EDIT = Qt.ItemDataRole.EditRole


def run_gui_selftest(say: Callable[[str], object], results: list[StepResult] | None = None) -> bool:
    """The seven steps with the window's edit and graph, offscreen; True if every step passed (each step's
    result also appended to `results`, when given)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from gui.app import create_application

    app = create_application()
    door = workers.current()
    # A bug in a worker goes to the log (redacted there); the step waiting for it fails and says so.
    door.bug_handler, previous = _log_bug, door.bug_handler
    steps = GuiSteps()
    header = f"qt: PySide6 {pyside_version} (Qt {qVersion()}), platform {app.platformName()}"
    try:
        return run_selftest(say, {"edit": steps.edit, "graph": steps.graph}, (header,), results)
    finally:
        door.bug_handler = previous


def _log_bug(exc: BaseException) -> None:
    log.error("bug in a worker: %s", type(exc).__name__, exc_info=exc)
    _worker_bugs.append(type(exc).__name__)


class GuiSteps:
    """Steps 3 and 5 through the real main window, which both share (opened on first use)."""

    def __init__(self) -> None:
        self.window: MainWindow | None = None

    def edit(self, run: Run) -> str:
        """3. The main window opens the database; a table editor stages an edit and saves it."""
        run.database()  # the steps before made it
        key, _ = run.searched()
        app = QApplication.instance()
        if not isinstance(app, QApplication) or app.windowIcon().isNull():
            raise SelftestFailed("the app icon did not load (resources/warden.svg or Qt's svg plugin)")
        window = self._window(run)
        editor = _open_editor(window, ENTITY)
        model = editor.model
        row = next((r for r in range(model.rowCount()) if model.row_key(r) == key), None)
        if row is None:
            raise SelftestFailed(f"the editor does not show the {ENTITY} row searched for")
        column = editor.entity.column_names.index("name")
        name = f"{model.index(row, column).data(EDIT)} (edited)"
        if not model.setData(model.index(row, column), name, EDIT) or model.staged_count != 1:
            raise SelftestFailed("the edit was not staged")
        outcome: dict[str, Any] = {}
        model.saved.connect(lambda result: outcome.setdefault("saved", result))
        model.save_failed.connect(lambda message: outcome.setdefault("failed", message))
        model.conflicted.connect(lambda conflicts: outcome.setdefault("failed", "a conflict"))
        editor.save()
        wait_until(lambda: bool(outcome), "the save")
        if "failed" in outcome:
            raise SelftestFailed(f"the save failed: {outcome['failed']}")
        if model.staged_count:
            raise SelftestFailed("the edit is still staged after the save")
        stored = call(_stored_name, run, key)
        if stored != name:
            raise SelftestFailed("the saved value was not read back")
        return f"{type(window).__name__} and {type(editor).__name__}: one edit staged, saved and read back"

    def graph(self, run: Run) -> str:
        """5. The graph tab shows a record (core.graph on a worker, the scene laid out) and expands a node."""
        from gui.graph.panel import GraphPanel

        run.database()
        key, _ = run.searched()
        window = self._window(run)
        panel = window.show_graph()
        if not isinstance(panel, GraphPanel):
            raise SelftestFailed("the graph tab did not open")
        failures: list[str] = []
        panel.failed.connect(failures.append)
        shown = _counter(panel.graph_shown)
        panel.show_record(ENTITY, key)
        wait_until(lambda: shown[0] >= 1 or bool(failures), "the graph")
        _no_failure(failures)
        before = set(panel.scene.items_by_id)
        start = panel.document.start
        node = next((n for n in panel.document.hood.nodes if n.id != start and not n.aggregate), None)
        if node is None:
            raise SelftestFailed(f"the graph of a {ENTITY} row has no neighbour to expand")
        panel.expand(node.id)
        wait_until(lambda: shown[0] >= 2 or bool(failures), "the expansion")
        _no_failure(failures)
        added = set(panel.scene.items_by_id) - before
        if not added:
            raise SelftestFailed(f"expanding a {node.entity} node showed no new neighbour")
        return f"{len(before)} nodes on the scene, {len(added)} more after expanding one ({node.entity})"

    def _window(self, run: Run) -> MainWindow:
        """The main window on the temporary database (opened on a worker), made once."""
        if self.window is not None:
            return self.window
        from gui.main_window import MainWindow

        window = self.window = MainWindow()
        run.closers.append(self.close)
        window.resize(1200, 800)
        window.show()
        failures: list[str] = []
        window.load_failed.connect(failures.append)
        window.open_target(str(run.path))
        wait_until(lambda: window.catalog is not None or bool(failures), "opening the database")
        _no_failure(failures)
        return window

    def close(self) -> None:
        """Close the window (it disposes the database it opened) and wait for its workers."""
        window, self.window = self.window, None
        if window is None:
            return
        for index in range(window.tabs.count()):
            model = getattr(getattr(window.tabs.widget(index), "model", None), "revert", None)
            if callable(model):
                model()  # nothing staged may ask "Save before quitting?"
        window.close()
        window.deleteLater()
        workers.wait_idle(int(WAIT_S * 1000))
        QApplication.processEvents()


def _open_editor(window: MainWindow, name: str) -> TableEditor:
    """Open `name` from the navigator, as a double-click does, and wait for its rows and exact count."""
    from gui.editor.view import TableEditor

    window.navigator.entity_activated.emit(name)
    editor = window.tabs.currentWidget()
    if not isinstance(editor, TableEditor) or editor.entity.name != name:
        raise SelftestFailed(f"the table editor for {name} did not open")
    wait_until(lambda: editor.model.row_key(0) is not None and editor.model.exact, f"{name}'s rows")
    return editor


def _stored_name(run: Run, key: dict[str, Any]) -> Any:
    """On a worker: the row's name as the database file holds it now."""
    from core.data.repository import get_row

    db, catalog = run.database()
    return get_row(db, catalog, ENTITY, key)["name"]


def _counter(signal: Any) -> list[int]:
    """A one-item list counting how often `signal` fired (read by wait_until's conditions)."""
    count = [0]

    def bump(*_: Any) -> None:
        count[0] += 1

    signal.connect(bump)
    return count


def _no_failure(failures: list[str]) -> None:
    if failures:
        raise SelftestFailed(failures[0])


def wait_until(done: Callable[[], bool], what: str, seconds: float = WAIT_S) -> None:
    """Run the event loop until `done()` or the time limit; SelftestFailed when it did not happen."""
    if done():
        return
    bugs_before = len(_worker_bugs)
    deadline = time.monotonic() + seconds

    def over() -> bool:
        return done() or len(_worker_bugs) > bugs_before or time.monotonic() > deadline

    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: loop.quit() if over() else None)
    timer.start()
    loop.exec()
    timer.stop()
    if done():
        return
    if len(_worker_bugs) > bugs_before:  # e.g. a module missing from a frozen build
        raise SelftestFailed(f"{what} failed: {_worker_bugs[-1]} on a worker (details in the log)")
    raise SelftestFailed(f"{what} did not finish within {seconds:.0f} s")


def call(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` on a worker (the one door), waited for; its result, or its failure raised here."""
    outcome: dict[str, Any] = {}
    workers.run(
        fn,
        *args,
        on_done=lambda result: outcome.setdefault("done", result),
        on_error=lambda failure: outcome.setdefault("failed", failure),
    )
    wait_until(lambda: bool(outcome), f"{getattr(fn, '__name__', 'a call')} on a worker")
    if "failed" in outcome:
        raise outcome["failed"].exception
    return outcome["done"]
