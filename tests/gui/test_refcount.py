"""PySide6 6.12.0 corrupts reference counts on Python 3.11; this guards against it coming back.

There, every call of a Qt method returning nothing drops a reference to None and every signal emit
drops a reference to True/False, until the interpreter frees a singleton and crashes far from the cause.
"""

from __future__ import annotations

import sys

import PySide6
import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel, QWidget

CALLS = 20_000
CHUNK = 100  # check after every chunk: on 6.12.0, True (about 600 references) is gone within ~6 chunks
TOLERANCE = 100

# References handed back to the singletons a broken build stole, so that a failing test reports
# cleanly instead of the interpreter aborting later while deallocating True or None.
_RESTORED: list[object] = []


class _Emitter(QObject):
    """Carries a bool signal, as many of Warden's widgets do."""

    toggled = Signal(bool)


def _singleton_counts() -> tuple[int, int, int]:
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def _restore(drift: list[int]) -> None:
    for value, lost in zip((None, True, False), drift, strict=True):
        if lost < 0:
            _RESTORED.extend([value] * -lost)


def test_void_calls_and_bool_emits_keep_singleton_refcounts(qapp: QApplication) -> None:
    """Many void Qt calls and bool signal emits leave the refcounts of None, True and False unchanged."""
    widget = QWidget()
    label = QLabel(widget)
    emitter = _Emitter()
    received = [0, 0]  # emits seen with False, True: counted, not kept, so no bool is retained

    def count(value: bool) -> None:
        received[value] += 1

    emitter.toggled.connect(count)
    before = _singleton_counts()
    for _chunk in range(CALLS // CHUNK):
        for i in range(CHUNK):
            widget.setEnabled(True)
            label.setText("x")
            label.setVisible(False)
            emitter.toggled.emit(i % 2 == 0)
        drift = [a - b for a, b in zip(_singleton_counts(), before, strict=True)]
        if any(abs(d) > TOLERANCE for d in drift):
            _restore(drift)
            pytest.fail(f"refcount drift of (None, True, False): {drift} (PySide6 {PySide6.__version__})")
    assert received == [CALLS // 2, CALLS // 2]
    widget.deleteLater()
    emitter.deleteLater()
