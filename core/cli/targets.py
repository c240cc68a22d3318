"""The database a command works on: its --db or --profile option, and opening it.

`--profile NAME` names a saved connection profile (core/audit/profiles.py): its target, and its level. A
read-only profile opens a read-only session, so a write command fails with one line saying so, unless
`--unlock-reason TEXT` unlocks it for that run (an audited elevation, core/audit/elevation.py). Only a
command that writes unlocks (open_target's `writes`): one that only reads refuses the reason in one line,
rather than write an unlock into the audit log where the user only looked.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.errors import ReadOnlyError, WardenError
from core.migrate.first_write import check_on_first_write

if TYPE_CHECKING:
    from core.audit.profiles import Profile
    from core.engine.db import Database


class ProfileTarget(str):
    """A command's target that came from a profile: the profile's target text, with the profile beside it."""

    profile: Profile
    unlock_reason: str | None

    def __new__(cls, profile: Profile, unlock_reason: str | None = None) -> ProfileTarget:
        """The target of `profile`; `unlock_reason` unlocks a read-only profile for this run."""
        made = super().__new__(cls, profile.target)
        made.profile = profile
        made.unlock_reason = unlock_reason
        return made


def db_arg(p: argparse.ArgumentParser) -> None:
    """A subcommand's own --db and --profile (with --unlock-reason), so they may follow the command's name."""
    p.add_argument("--db", dest="db_sub", help="SQLAlchemy URL or SQLite file path")
    profile_arg(p)


def profile_arg(p: argparse.ArgumentParser) -> None:
    """A subcommand's own --profile, and --unlock-reason for the commands that write through one."""
    p.add_argument("--profile", dest="profile_sub", metavar="NAME", help="a saved connection profile")
    p.add_argument(
        "--unlock-reason",
        metavar="TEXT",
        help="a command that writes: unlock a read-only profile for this run (the reason is audited)",
    )


def resolve(args: argparse.Namespace) -> str | None:
    """The command's target: its --db, or the target of its --profile (a ProfileTarget), or None."""
    db = getattr(args, "db_sub", None) or getattr(args, "db", None)
    name = getattr(args, "profile_sub", None) or getattr(args, "profile", None)
    if name is None:
        if getattr(args, "unlock_reason", None) is not None:
            raise WardenError(
                "--unlock-reason unlocks a read-only profile: give the profile with --profile NAME"
            )
        return db
    if db:
        raise WardenError("--db and --profile do not go together: the profile names its database")
    from core.audit.profiles import find_profile

    return ProfileTarget(find_profile(name), getattr(args, "unlock_reason", None))


def run_on_target(run: Callable[[argparse.Namespace, str | None], int], args: argparse.Namespace) -> int:
    """Run a command on its resolved target; a write refused on a read-only profile says how to unlock it."""
    target = resolve(args)
    try:
        return run(args, target)
    except ReadOnlyError as exc:
        if not isinstance(target, ProfileTarget) or target.profile.writes or target.unlock_reason is not None:
            raise
        if "--unlock-reason" in str(exc):
            raise
        hint = f"Add --unlock-reason TEXT to unlock profile '{target.profile.name}' for this run."
        raise ReadOnlyError(f"{exc} {hint}") from None


def require(target: str | None) -> str:
    """The --db target, or the error a command that needs one gives without it."""
    if not target:
        raise WardenError("this command needs --db URL|PATH or --profile NAME")
    return target


def require_writable(target: str | None, command: str) -> str:
    """The target of a command that writes and opens the database on its own (demo), as a URL it can open
    (a profile's password from the keyring): a read-only profile is refused without an unlock reason, and
    with one the unlock is written to the audit log first."""
    found = require(target)
    if not isinstance(found, ProfileTarget):
        return found
    from core.audit.profiles import connect_target

    profile = found.profile
    if not profile.writes:
        if found.unlock_reason is None:
            raise ReadOnlyError(
                f"Profile '{profile.name}' is read-only and `{command}` writes: "
                "add --unlock-reason TEXT to unlock it for this run."
            )
        # Records the unlock (AuditUnavailable without an audit log).
        open_target(found, writes=True).dispose()
    return connect_target(profile)


def open_target(target: str | None, *, writes: bool = False, **kw: Any) -> Database:
    """Open the command's database; its first write checks its revision first (core/migrate/status.py): at a
    revision Warden's migrations do not know every write but a migration's is refused, as in the window.

    `writes`: the command means to write, so a read-only profile given --unlock-reason is unlocked (and the
    unlock audited); a command that only reads is refused the reason before anything is opened.
    """
    if not writes and isinstance(target, ProfileTarget) and target.unlock_reason is not None:
        raise WardenError(
            "This command only reads: --unlock-reason unlocks a read-only profile for a command that "
            "writes. Leave it out."
        )
    db = _open(target, **kw)
    check_on_first_write(db)  # as the window does (Alembic is imported by a command that writes, only then)
    return db


def _open(target: str | None, **kw: Any) -> Database:
    """Open the command's database (SQLAlchemy is imported here, when a command needs it).

    A profile's target opens as its level says; a read-only profile given an unlock reason opens writable
    after the unlock is written to the audit log, and without one it is refused on the first write.
    """
    if not isinstance(target, ProfileTarget):
        from core.engine.db import open_database

        return open_database(require(target), **kw)
    kw.pop("empty_ok", None)  # a profile's file was opened before: it is a database
    from core.audit.profiles import open_profile

    profile, reason = target.profile, target.unlock_reason
    if profile.writes or reason is None:
        return open_profile(profile)
    from core.audit.elevation import elevate

    db = open_profile(profile, elevated=True)
    try:
        elevate(db, profile, reason, minutes=None)
    except BaseException:
        db.dispose()
        raise
    return db
