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
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

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
