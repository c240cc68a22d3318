"""What each stored vector was embedded from: its row's text hash and the model (core/search/stale.py)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.models.base import Base
from core.types import UTCDateTime

EMBEDDING_STATE_TABLE = "warden_embedding_state"


class EmbeddingState(Base):
    """One embedded row of one vector column: the text's hash and the model when it was embedded.

    A row is stale when its text's hash or the model differs now. Written only by core/search/reembed.py.
    """

    __tablename__ = EMBEDDING_STATE_TABLE
    __table_args__ = (
        {
            "info": {
                "group": "Operations",
                "label": "row_key",
                "read_only": "only Warden's embedding runs write the embedding state",
            }
        },
    )
    entity: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    column: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    #: The row's key values as text, joined by a unit separator (core/search/stale.py's key_text).
    row_key: Mapped[str] = mapped_column(sa.String(1024), primary_key=True)
    text_hash: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    model: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    embedded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
