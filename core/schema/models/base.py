"""Declarative base and the column helpers every model shares."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.types import JSONType, Money, UTCDateTime, UUIDType, Vector, new_uuid, utcnow

EMBEDDING_DIM = 384

# Named constraints let Alembic's batch mode rebuild SQLite tables reliably.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every reference model."""

    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {
        uuid.UUID: UUIDType,
        dict[str, Any]: JSONType,
        dt.datetime: UTCDateTime(),
        Decimal: Money,
        np.ndarray: Vector(EMBEDDING_DIM),
    }


def key() -> Mapped[uuid.UUID]:
    """A UUID primary key generated on the client."""
    return mapped_column(UUIDType, primary_key=True, default=new_uuid)


def ref(target: str, *, ondelete: str, nullable: bool = False) -> Mapped[Any]:
    """An indexed foreign key to `target` ("table.column")."""
    return mapped_column(UUIDType, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True)


def enum(name: str, *values: str) -> sa.Enum:
    """A portable enum: VARCHAR plus a CHECK constraint on both dialects."""
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def json_column(nullable: bool = False) -> Mapped[Any]:
    """A JSON object column (JSONB on PostgreSQL), defaulting to {}."""
    return mapped_column(JSONType, nullable=nullable, default=dict)


def embedding() -> Mapped[np.ndarray | None]:
    """A 384-d all-MiniLM-L6-v2 embedding; NULL until an embedder fills it."""
    return mapped_column(Vector(EMBEDDING_DIM), nullable=True, info={"embedding_model": "all-MiniLM-L6-v2"})


def created() -> Mapped[dt.datetime]:
    """Creation time in UTC, indexed for support filters."""
    return mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)


def updated() -> Mapped[dt.datetime]:
    """Last update time in UTC."""
    return mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)


def version() -> Mapped[int]:
    """Optimistic-concurrency counter, bumped by every save."""
    return mapped_column(sa.Integer, nullable=False, default=1, server_default="1", info={"version": True})


def group(name: str, label: str, **extra: Any) -> dict[str, Any]:
    """Table info: navigator group and the column that names a row."""
    return {"info": {"group": name, "label": label, **extra}}
