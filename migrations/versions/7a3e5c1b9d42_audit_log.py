"""Audit log: the admin_audit_log table, one row per row changed by a save made through Warden.

Each entry holds when (UTC), the OS user, the connection profile, the entity and the row's key, the action,
the changed fields before and after (JSON), an optional reason, the save it belongs to, and for a revert
the entry it undid. Written by core/data/audit_trail.py in the save's own transaction.

Revision ID: 7a3e5c1b9d42
Revises: 4c1d2e7a9b30
Create Date: 2026-12-03 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.types

revision: str = "7a3e5c1b9d42"
down_revision: str | Sequence[str] | None = "4c1d2e7a9b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    """JSONB on PostgreSQL, JSON text on SQLite; None stored as SQL NULL."""
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    """Create the audit log and its indexes (time; entity and time; save)."""
    op.create_table(
        "admin_audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("os_user", sa.String(length=128), nullable=False),
        sa.Column("profile", sa.String(length=128), nullable=False),
        sa.Column("entity", sa.String(length=255), nullable=False),
        sa.Column("row_key", _json(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before_json", _json(), nullable=True),
        sa.Column("after_json", _json(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("save_id", sa.Uuid(), nullable=False),
        sa.Column("reverts", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit_log")),
    )
    op.create_index(op.f("ix_admin_audit_log_at"), "admin_audit_log", ["at"], unique=False)
    op.create_index("ix_admin_audit_log_entity_at", "admin_audit_log", ["entity", "at"], unique=False)
    op.create_index(op.f("ix_admin_audit_log_save_id"), "admin_audit_log", ["save_id"], unique=False)


def downgrade() -> None:
    """Drop the audit log (its entries go with it)."""
    op.drop_index(op.f("ix_admin_audit_log_save_id"), table_name="admin_audit_log")
    op.drop_index("ix_admin_audit_log_entity_at", table_name="admin_audit_log")
    op.drop_index(op.f("ix_admin_audit_log_at"), table_name="admin_audit_log")
    op.drop_table("admin_audit_log")
