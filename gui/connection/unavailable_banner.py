"""The one banner above the tabs while the open database does not answer, with "Retry now".

It reads everything it says from the connection monitor (gui/runtime/connection_state.py) and says it again
every second, so the countdown to the next try runs; it hides itself as soon as the database answers.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from gui.runtime.connection_state import ConnectionMonitor, State

STYLE = """
QFrame#unavailableBanner { background: #fdecea; border: 1px solid #f1b0a8; border-radius: 4px; }
QLabel#unavailableText { color: #8e1b10; background: transparent; }
"""
TICK_MS = 1000


class UnavailableBanner(QFrame):
    """The banner: "The server is unavailable. Retrying in N s. Your N staged edits are kept.", Retry now."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unavailableBanner")
        self.setStyleSheet(STYLE)
        self.monitor: ConnectionMonitor | None = None
        self.label = QLabel()
        self.label.setObjectName("unavailableText")
        self.label.setWordWrap(True)
        self.retry_button = QPushButton("Retry now")
        self.retry_button.setObjectName("retryNow")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._ticks = QTimer(self)
        self._ticks.setInterval(TICK_MS)
        self._ticks.timeout.connect(self.update_text)
        self.retry_button.clicked.connect(self._on_retry_button_clicked)
        self.hide()

    def follow(self, monitor: ConnectionMonitor) -> None:
        """Show `monitor`'s state from now on."""
        self.monitor = monitor
        monitor.state_changed.connect(self._on_monitor_state_changed)
        self._on_monitor_state_changed(monitor.state)

    def update_text(self) -> None:
        """Say the monitor's sentence again (the countdown and the staged edits move)."""
        if self.monitor is not None:
            self.label.setText(self.monitor.message())

    def _on_monitor_state_changed(self, state: State) -> None:
        down = state is not State.CONNECTED
        self.retry_button.setEnabled(state is State.UNAVAILABLE)
        if down:
            self.update_text()
            self._ticks.start()
        else:
            self._ticks.stop()
        self.setVisible(down)

    def _on_retry_button_clicked(self) -> None:
        if self.monitor is not None:
            self.monitor.retry_now()
