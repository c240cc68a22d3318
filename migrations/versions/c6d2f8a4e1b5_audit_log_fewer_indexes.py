"""Audit log: drop its three indexes (time; entity and time; save).

Every audited save adds an entry, and each index of the log is one more page SQLite reads and writes to the
WAL per save: a one-row save wrote its row, the entry and three index pages. The audit viewer lists entries
newest first (ORDER BY id DESC … LIMIT), so the planner walks the table by id for a time, user or action
filter whatever the indexes, and took (entity, at) for an entity filter only to sort all of that entity's
entries by id afterwards (146 ms for a common entity on 100,000 entries; 8 ms walking by id). A whole
save's entries (a revert) are read by one pass over the log: tens of milliseconds on 100,000 entries, for a
revert a person asks for, against a page less on every save.

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
    """Drop the audit log's indexes (its entries stay)."""
    op.drop_index(op.f("ix_admin_audit_log_save_id"), table_name="admin_audit_log")
    op.drop_index("ix_admin_audit_log_entity_at", table_name="admin_audit_log")
    op.drop_index(op.f("ix_admin_audit_log_at"), table_name="admin_audit_log")


def downgrade() -> None:
    """Create the three indexes again."""
    op.create_index(op.f("ix_admin_audit_log_at"), "admin_audit_log", ["at"], unique=False)
    op.create_index("ix_admin_audit_log_entity_at", "admin_audit_log", ["entity", "at"], unique=False)
    op.create_index(op.f("ix_admin_audit_log_save_id"), "admin_audit_log", ["save_id"], unique=False)
