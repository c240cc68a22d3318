"""Elevation: unlocking a read-only profile for writing, for this session or for some minutes.

An unlock needs a reason and is itself an audit log entry (action "elevate"), written before anything
else through the writable session, so every write it allows follows its record.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from core.audit.profiles import Level, Profile
from core.data.audit_trail import AUDIT_TABLE, AuditUnavailable, os_user
from core.engine.db import Database
from core.errors import FieldProblem, ValidationError
from core.schema.models import metadata

__all__ = ["ELEVATE_ACTION", "Elevation", "elevate"]

log = logging.getLogger("warden.audit")

#: The audit log action of an unlock.
ELEVATE_ACTION = "elevate"


@dataclass(frozen=True)
class Elevation:
    """A read-only profile unlocked: by whom, why, and until when (None: until the session ends)."""

    profile: str
    reason: str
    user: str
    until: dt.datetime | None  # aware UTC; None = for this session

    def active(self, now: dt.datetime | None = None) -> bool:
        """Whether the unlock still holds at `now` (default: the current time)."""
        if self.until is None:
            return True
        return (now or dt.datetime.now(dt.UTC)) < self.until


def elevate(
    db_writable: Database,
    profile: Profile,
    reason: str,
    *,
    minutes: int | None,
    level: Level = "editor",
) -> Elevation:
    """Unlock `profile` for writing (to `level`) for `minutes`, or for the session when None.

    `db_writable` is the profile's database opened writable (open_profile(..., elevated=True)); the unlock
    is one audit log entry written through it. A blank reason is a ValidationError; a database without an
    audit log is AuditUnavailable: an unlock nobody can trace is not offered, and the log is not created here.
    """
    why = reason.strip()
    if not why:
        raise ValidationError([FieldProblem("reason", "say why the profile is unlocked")])
    if minutes is not None and minutes < 1:
        raise ValidationError([FieldProblem("minutes", "an unlock lasts at least one minute")])
    now = dt.datetime.now(dt.UTC)
    user = os_user()
    table = metadata.tables[AUDIT_TABLE]
    with db_writable.transaction() as conn:
        if not sa.inspect(conn).has_table(AUDIT_TABLE):
            raise AuditUnavailable(
                f"This database has no audit log ({AUDIT_TABLE}), so profile '{profile.name}' cannot be "
                "unlocked: an unlock is recorded there. Create the audit log first (audit --create-log)."
            )
        conn.execute(
            table.insert().values(
                at=now,
                os_user=user,
                profile=profile.name,
                entity="",
                row_key={},
                action=ELEVATE_ACTION,
                before_json=None,
                after_json={"level": level, "minutes": minutes},
                reason=why,
                save_id=uuid.uuid4(),
                reverts=None,
            )
        )
    log.info(
        "profile %s unlocked by %s for %s", profile.name, user, f"{minutes} min" if minutes else "the session"
    )
    until = now + dt.timedelta(minutes=minutes) if minutes is not None else None
    return Elevation(profile=profile.name, reason=why, user=user, until=until)
