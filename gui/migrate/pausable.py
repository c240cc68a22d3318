"""What a screen offers the migration watch (gui/migrate/watch.py) so it can be paused while a migration runs.

A screen with a `set_paused(reason)` method is paused the same way once the window hands it to the watch
(`MigrationWatch.equip`; the open editors' record forms are found through their editors): the record
form, the graph panel, the search panel and the audit panel have one (the table editors have their own
hold, which also says read-only at an unknown revision). Paused, a screen reads nothing (what is asked
meanwhile waits for the end), keeps what it has staged, and says `reason`. After a run the catalog is
reloaded while the screens are still paused (they follow it then, reading nothing); `set_paused(None)` comes
once it is in place, so a screen reads there, once, with the catalog it already follows. An equipped screen
that stages writes outside the table editors (the graph's link edits) has `hold_writes(reason)`: held at a
revision the migrations do not know, as the table editors are.

`Pause` is the standing such a screen keeps (why it is paused, and whether something asked for meanwhile is
done when it ends); `PausedLine` adds its status line: what the line said before the pause is said again
after it, unless something else spoke meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar, runtime_checkable

#: What a status line said (its text, or the text with how it was shown), kept over a pause.
Said = TypeVar("Said")

#: What a paused screen says (its own line, until the run ends).
PAUSED_READS = "Paused while a migration runs: nothing is read until it ends; staged edits are kept."


@runtime_checkable
class Pausable(Protocol):
    """A screen the migration watch pauses: `reason` while a migration runs, None when it has ended."""

    def set_paused(self, reason: str | None) -> None:
        """Stop reading the database and say `reason` (staged edits kept); None: read again."""


@runtime_checkable
class WriteHoldable(Protocol):
    """A part of a screen that stages writes outside the table editors (the graph's link edits): the watch
    holds it at a revision the migrations do not know, with the reason the table editors show."""

    def hold_writes(self, reason: str | None) -> None:
        """Stage nothing and say `reason` when asked to; None lifts the hold (staged edits stay)."""


@dataclass
class Pause:
    """A screen's pause: why it is paused (`reason`, while a migration runs; None after) and whether
    something was asked for meanwhile (`asked`: a read or a redraw, done once when the pause ends)."""

    reason: str | None = None
    asked: bool = False

    def turn(self, reason: str | None) -> bool:
        """Take the watch's word: `reason`, or None when the run has ended. False when the standing does not
        change (the watch tells every screen again whenever it changes): the screen does nothing then."""
        if (reason is None) == (self.reason is None):
            return False
        self.reason = reason
        return True

    def take_asked(self) -> bool:
        """Whether something waits for the end of the pause; it is done once, so the wish is forgotten."""
        asked, self.asked = self.asked, False
        return asked


@dataclass
class PausedLine(Pause, Generic[Said]):
    """A `Pause` of a screen with a status line. The line says the reason, or `waiting` once something was
    asked for meanwhile; after the pause it says again what it said before, unless something else spoke
    meanwhile (a revert or a model load that ended says how it went, and that stays)."""

    waiting: str = ""  # the line when something was asked for meanwhile
    _before: Said | None = field(default=None, repr=False)  # the line before the pause
    _own: str | None = field(default=None, repr=False)  # the reason the pause said

    def keep(self, said: Said) -> None:
        """The pause has begun (after `turn`): `said`, what the line says now, is said again after it."""
        self._before, self._own = said, self.reason

    def wait(self) -> str:
        """Something was asked for while paused: it is done when the pause ends. The line to say now."""
        self.asked = True
        return self.waiting

    def said_before(self, shown: str) -> Said | None:
        """The pause has ended: what the line said before it when `shown` (the line now) is still the pause's
        own (its reason or the waiting line); None when something else spoke meanwhile."""
        return self._before if shown in (self._own, self.waiting) else None
