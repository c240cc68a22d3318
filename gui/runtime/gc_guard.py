"""Python's cyclic garbage collector, kept on the GUI thread.

CPython collects reference cycles in whichever thread crosses an allocation threshold: in Warden that is
often a worker turning rows into Python objects. A cycle that holds a Qt object would then be destroyed
off the GUI thread, which Qt does not allow; the result is a native crash later, somewhere in the event
loop. So while workers run, automatic collection is off and a GUI-thread timer collects instead, each
generation when its threshold says so (the recipe calibre and pyqtgraph use).
"""

from __future__ import annotations

import gc

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

INTERVAL_MS = 200  # a generation-0 pass takes well under a millisecond; often enough that cycles stay few


class GuiThreadCollector(QObject):
    """Disables automatic collection and collects from a timer on the GUI thread."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        gc.disable()
        self._timer.start()

    def collect_due(self) -> int:
        """Collect the oldest generation whose threshold is exceeded (as automatic collection would);
        the number of unreachable objects found."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return 0
        generation = 2 if counts[2] > thresholds[2] else 1 if counts[1] > thresholds[1] else 0
        return gc.collect(generation)

    def stop(self) -> None:
        """Give collection back to Python (collecting what is due first)."""
        self._timer.stop()
        gc.enable()
        gc.collect()


_collector: GuiThreadCollector | None = None


def keep_gc_on_gui_thread() -> GuiThreadCollector:
    """Install the collector on the running application (once); call it from the GUI thread."""
    global _collector
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("the GUI-thread collector needs the application, from its thread")
    if _collector is None or not shiboken6.isValid(_collector):
        _collector = GuiThreadCollector(app)
    return _collector
