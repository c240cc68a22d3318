"""The audit log: one row per written row of every save made through Warden (core/data/audit_trail.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.models.base import Base
from core.types import UTCDateTime, UUIDType

AUDIT_TABLE = "admin_audit_log"
AUDIT_ACTIONS = ("insert", "update", "delete", "revert")

#: JSON whose Python None is SQL NULL (an insert has no "before", a delete no "after"), not JSON null.
AuditJSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


class AuditEntry(Base):
    """One row's change in one save: who, when, which row, and the changed fields before and after.

    Written only by core/data/audit_trail.py inside the save's own transaction; editors never write it.
    """

    __tablename__ = AUDIT_TABLE
    __table_args__ = (
        # No index but the key: each would be a page more per audited save, and the viewer lists newest
        # first, walking by id (migrations/versions/c6d2f8a4e1b5_audit_log_fewer_indexes.py).
        {
            "info": {
                "group": "Operations",
                "label": "action",
                "order_by": "-id",
                # Why editors must not write it (core/data/writes.py refuses; the catalog may say so too).
                "read_only": "only Warden's saves add to the audit log",
            }
        },
    )
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    os_user: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    profile: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    entity: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    row_key: Mapped[dict[str, Any]] = mapped_column(AuditJSON, nullable=False)
    action: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    before_json: Mapped[dict[str, Any] | None] = mapped_column(AuditJSON)
    after_json: Mapped[dict[str, Any] | None] = mapped_column(AuditJSON)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    save_id: Mapped[uuid.UUID] = mapped_column(UUIDType, nullable=False)
    #: The entry a revert undid (action "revert"); None for other changes.
    reverts: Mapped[int | None] = mapped_column(sa.Integer)
