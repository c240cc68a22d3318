"""Audit log: drop the time and entity-and-time indexes; the save index stays.

Every audited save adds one entry, and each index of the log is one more page SQLite reads and writes to
the WAL per save (a one-row save writes its row, the entry, and one page per index). Neither index served
the audit viewer: it lists entries newest first (ORDER BY id DESC … LIMIT), so the planner walks the table
by id for a time filter, and took (entity, at) for an entity filter only to sort all that entity's entries
by id afterwards (on 100,000 entries, 146 ms for a common entity; 8 ms walking by id). A whole save's
entries (revert) are still found through the save_id index.

Revision ID: c6d2f8a4e1b5
Revises: e3c8f1a6b2d7
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c6d2f8a4e1b5"
down_revision: str | Sequence[str] | None = "e3c8f1a6b2d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Drop the audit log's time index and its entity-and-time index."""
    op.drop_index("ix_admin_audit_log_entity_at", table_name="admin_audit_log")
    op.drop_index(op.f("ix_admin_audit_log_at"), table_name="admin_audit_log")


def downgrade() -> None:
    """Create the two indexes again."""
    op.create_index(op.f("ix_admin_audit_log_at"), "admin_audit_log", ["at"], unique=False)
    op.create_index("ix_admin_audit_log_entity_at", "admin_audit_log", ["entity", "at"], unique=False)
