"""Support filter indexes: status (and tool name) with created_at, so filtered logs open newest first fast.

The editor opens tool_executions, agent_executions and orders newest first. A filter on status alone
(or on tool_name alone) then had only a one-column index: the database read every matching row and
sorted them (e.g. 950,000 successful tool calls) to show the first screenful. These composite indexes
give the rows in order; they replace the one-column ones they start with.

Revision ID: 4c1d2e7a9b30
Revises: 9fe5201092f3
Create Date: 2026-11-23 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "4c1d2e7a9b30"
down_revision: str | Sequence[str] | None = "9fe5201092f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, old one-column index, its column, new composite index)
REPLACED = (
    ("tool_executions", "ix_tool_executions_status", "status", "ix_tool_executions_status_created"),
    ("tool_executions", "ix_tool_executions_tool_name", "tool_name", "ix_tool_executions_tool_created"),
    ("agent_executions", "ix_agent_executions_status", "status", "ix_agent_executions_status_created"),
    ("orders", "ix_orders_status", "status", "ix_orders_status_created"),
)


def upgrade() -> None:
    """Create each composite index, then drop the one-column index it makes redundant."""
    for table, old, column, new in REPLACED:
        op.create_index(new, table, [column, "created_at"], unique=False)
        op.drop_index(old, table_name=table)


def downgrade() -> None:
    """Put the one-column indexes back and drop the composite ones."""
    for table, old, column, new in reversed(REPLACED):
        op.create_index(old, table, [column], unique=False)
        op.drop_index(new, table_name=table)
