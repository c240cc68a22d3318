"""What the open connection may do, as the badge, the window title and the editors say it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from core.engine.db import Database

Level = Literal["read-only", "confirm", "editor"]  # core.audit.profiles.Level, without loading core here


@dataclass(frozen=True)
class LevelState:
    """The open connection's effective level: its profile's, or what an unlock made of it."""

    level: Level
    profile: str | None = None  # the profile's name; None for a file or URL opened without one
    unlocked: bool = False  # a read-only connection unlocked for editing (saves are confirmed)
    until: dt.datetime | None = None  # when the unlock ends; None: with this session

    @property
    def badge_text(self) -> str:
        """The status bar badge's text; "" when there is nothing to warn about (an editor without profile)."""
        if self.unlocked:
            return f"UNLOCKED until {_local(self.until)}" if self.until else "UNLOCKED (this session)"
        if self.level == "read-only":
            return "READ-ONLY"
        if self.level == "confirm":
            return "CONFIRM"
        return "EDITOR" if self.profile else ""

    @property
    def title_tag(self) -> str:
        """The window title's tag: " [READ-ONLY]", " [CONFIRM]", " [UNLOCKED until 14:05]", or ""."""
        text = self.badge_text
        return f" [{text}]" if text and text != "EDITOR" else ""

    @property
    def tooltip(self) -> str:
        """What the badge's level means, and what to do about it."""
        who = f"Profile '{self.profile}'" if self.profile else "This connection"
        if self.unlocked:
            end = f"until {_local(self.until)}" if self.until else "until Warden closes"
            return (
                f"{who} is unlocked for editing {end} (recorded in the audit log); every save shows its SQL."
            )
        if self.level == "read-only":
            return f"{who} is read-only: the database refuses every write. Click to unlock editing…"
        if self.level == "confirm":
            return f"{who} asks before every save, showing the SQL it will run."
        return f"{who} saves without asking."

    @property
    def confirms(self) -> bool:
        """Whether a save shows its SQL and asks first."""
        return self.level == "confirm" or self.unlocked


def locked_reason(db: Database) -> str:
    """Why an editing action is off on a read-only connection, naming its profile when it has one."""
    profile = getattr(db, "profile", None)  # set by core.audit.profiles.open_profile
    what = (
        f"This connection is read-only (profile '{profile}')" if profile else "This connection is read-only"
    )
    return f"{what}: use File → Unlock Editing… to change data."


def _local(when: dt.datetime | None) -> str:
    if when is None:
        return ""
    return (when.astimezone() if when.tzinfo else when).strftime("%H:%M")
