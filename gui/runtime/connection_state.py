"""The open database's connection state: connected, reconnecting, or unavailable since a given time.

`ConnectionMonitor` learns that the database stopped answering from the worker door: every task failure
whose error is core's ConnectionLost (a read, a count, a save) is reported to it (`Workers.failed`). It then
pings the database on a worker (core/engine/health.py) with backoff, 1 s up to a bound of 30 s between tries;
`retry_now()` pings at once. When a ping answers it is connected again and says so with `recovered`, and the
screens read again what failed meanwhile. Saves are refused while it is not connected (the staged edits stay).
"""

from __future__ import annotations

import enum
import functools
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from core.errors import ConnectionLost
from gui.runtime import workers

if TYPE_CHECKING:
    from core.engine.db import Database

#: Seconds between tries, one after the other; the last is the bound, repeated for as long as it takes.
BACKOFF_S = (1, 2, 4, 8, 15, 30)


class State(enum.Enum):
    """Whether the open database answers."""

    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # a try is under way
    UNAVAILABLE = "unavailable"  # waiting for the next try


def plural(n: int, word: str) -> str:
    """'1 staged edit', '3 staged edits'."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class ConnectionMonitor(QObject):
    """One open database's connection state, with the retries that bring it back."""

    state_changed = Signal(object)  # the new State
    recovered = Signal()  # connected again after being unavailable: read again what failed

    def __init__(self, parent: QObject | None = None, *, backoff: tuple[float, ...] = BACKOFF_S) -> None:
        super().__init__(parent)
        self.backoff = backoff
        #: How many edits are staged in the open editors (the main window counts them), for the message.
        self.count_staged: Callable[[], int] = lambda: 0
        self._db: Database | None = None
        self._state = State.CONNECTED
        self._since: datetime | None = None
        self._tries = 0
        self._delay = 0.0  # seconds of the current wait between tries
        self._next_try_at = 0.0  # time.monotonic() of the next try, while UNAVAILABLE
        self._door: workers.Workers | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.retry_now)

    # --- reading ---------------------------------------------------------------------------------

    @property
    def state(self) -> State:
        """Connected, reconnecting or unavailable."""
        return self._state

    @property
    def connected(self) -> bool:
        """Whether the database answered last time it was asked (or nothing failed since it opened)."""
        return self._state is State.CONNECTED

    @property
    def since(self) -> datetime | None:
        """When the database stopped answering (local time), while it is not connected."""
        return self._since

    @property
    def delay(self) -> float:
        """Seconds of the current wait between two tries: longer after each failed try, up to the bound."""
        return self._delay

    def seconds_left(self) -> int:
        """Whole seconds until the next try (0 while a try is under way or when connected)."""
        if self._state is not State.UNAVAILABLE:
            return 0
        return max(0, int(self._next_try_at - time.monotonic() + 0.999))

    def status_text(self) -> str:
        """What the status bar says: 'Connected', 'Reconnecting…' or 'Unavailable since 14:03'."""
        if self._state is State.CONNECTED:
            return "Connected"
        if self._state is State.RECONNECTING:
            return "Reconnecting…"
        since = self._since.strftime("%H:%M") if self._since is not None else "now"
        return f"Unavailable since {since}"

    def message(self) -> str:
        """The banner's sentence (a refused save's too): what happened, when the next try is, what is kept."""
        if self._state is State.RECONNECTING:
            when = "Retrying now."
        else:
            when = f"Retrying in {self.seconds_left()} s."
        staged = self.count_staged()
        verb = "is" if staged == 1 else "are"
        kept = f" Your {plural(staged, 'staged edit')} {verb} kept." if staged else ""
        return f"The server is unavailable. {when}{kept}"

    def refusal(self) -> str:
        """Why a save is refused now: the server is away, and what stays staged (without a countdown, which
        the banner keeps up to date)."""
        staged = self.count_staged()
        verb = "is" if staged == 1 else "are"
        kept = f"Your {plural(staged, 'staged edit')} {verb} kept; save" if staged else "Save"
        return f"The server is unavailable. {kept} again once it is back."

    # --- changing ----------------------------------------------------------------------------------

    def set_database(self, db: Database | None) -> None:
        """Follow `db` (None: nothing open): connected until one of its calls says otherwise."""
        self._db = db
        self._timer.stop()
        self._tries = 0
        self._since = None
        if db is not None:  # not on close: the application (and its door) may be going away
            self._listen()
        self._set_state(State.CONNECTED)

    def report(self, failure: workers.Failure) -> None:
        """A task failed: when it lost the connection, the database is unavailable from now on."""
        if self._db is None or not isinstance(failure.exception, ConnectionLost):
            return
        if self._state is not State.CONNECTED:
            return  # known already; the retries are under way
        self._since = datetime.now()
        self._tries = 0
        self._wait()

    def retry_now(self) -> None:
        """Ask the database at once whether it answers again (the banner's "Retry now")."""
        from core.engine.health import ping

        if self._db is None or self._state is State.CONNECTED:
            return
        self._timer.stop()
        self._set_state(State.RECONNECTING)
        db = self._db
        workers.run(
            ping, db,
            on_done=functools.partial(self._on_ping_done, db),
            on_error=functools.partial(self._on_ping_failed, db),
            on_aborted=functools.partial(self._on_ping_failed, db, None),  # a bug: wait and ask again
            owner=self, key="ping",
        )  # fmt: skip

    # --- inside ------------------------------------------------------------------------------------

    def _listen(self) -> None:
        """Hear the application's worker door (the door in use now: tests install their own)."""
        door = workers.current()
        if door is self._door:
            return
        if self._door is not None and shiboken6.isValid(self._door):
            self._door.failed.disconnect(self.report)
        self._door = door
        door.failed.connect(self.report)

    def _wait(self) -> None:
        """Unavailable: try again after the next delay of the backoff."""
        delay = self._delay = self.backoff[min(self._tries, len(self.backoff) - 1)]
        self._tries += 1
        self._next_try_at = time.monotonic() + delay
        self._timer.start(int(delay * 1000))
        self._set_state(State.UNAVAILABLE)

    def _on_ping_done(self, db: Database, _result: None) -> None:
        if db is not self._db or self._state is State.CONNECTED:
            return
        self._since = None
        self._tries = 0
        self._set_state(State.CONNECTED)
        self.recovered.emit()

    def _on_ping_failed(self, db: Database, _failure: workers.Failure | None) -> None:
        if db is not self._db or self._state is State.CONNECTED:
            return
        self._wait()

    def _set_state(self, state: State) -> None:
        if state is not self._state:
            self._state = state
            self.state_changed.emit(state)
