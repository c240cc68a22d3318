"""Embedding state: per embedded row and vector column, the hash of the text embedded and the model.

A row whose text or model changed since its vector was written is stale (core/search/stale.py counts them
in one query and re-embeds them). Written only by core/search/reembed.py.

Revision ID: b5e2a7c4d913
Revises: 7a3e5c1b9d42
Create Date: 2026-12-03 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types

revision: str = "b5e2a7c4d913"
down_revision: str | Sequence[str] | None = "7a3e5c1b9d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the embedding state table (its key: entity, column, row key)."""
    op.create_table(
        "warden_embedding_state",
        sa.Column("entity", sa.String(length=255), nullable=False),
        sa.Column("column", sa.String(length=255), nullable=False),
        sa.Column("row_key", sa.String(length=1024), nullable=False),
        sa.Column("text_hash", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("embedded_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity", "column", "row_key", name=op.f("pk_warden_embedding_state")),
    )


def downgrade() -> None:
    """Drop the embedding state (every row then counts as not tracked)."""
    op.drop_table("warden_embedding_state")
