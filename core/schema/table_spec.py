"""A table as the catalog read it, before any SQLAlchemy Table exists: what a big schema is made of.

Building an `sa.Table` costs far more than reading what it describes (about 0.4 ms a table: 2,500 tables
take a second), and most tables of a big database are never opened. So reflection describes each table as a
TableSpec, the catalog is built from the specs, and an entity builds its Table on first use
(core/schema/catalog.py, `Entity.table`). Specs are plain frozen data: cheap to keep and to cache on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its name, its parsed type and what its definition says."""

    name: str
    type: sa.types.TypeEngine[Any]
    nullable: bool = True
    default: str | None = None  # the server default as SQL text
    generated: str | None = None  # a generated column's expression
    persisted: bool = False  # a generated column that is stored
    identity: str | None = None  # "always" | "by default" (PostgreSQL identity columns)
    row_id: bool = False  # SQLite's rowid, added as the key of a table without a better one


@dataclass(frozen=True)
class TableSpec:
    """A table or view: its name, schema, columns and primary key (in key order)."""

    name: str
    columns: tuple[ColumnSpec, ...]
    primary_key: tuple[str, ...] = ()
    schema: str | None = None

    def build(self) -> sa.Table:
        """The SQLAlchemy Table this spec describes, on a MetaData of its own.

        It carries no foreign keys: the catalog's ForeignKeyInfo says where links go, and a ForeignKey would
        need its target's Table in the same MetaData.
        """
        cols: list[sa.Column[Any]] = []
        for c in self.columns:
            extra: list[Any] = []
            if c.generated is not None:
                extra.append(sa.Computed(sa.text(c.generated), persisted=c.persisted))
            if c.identity is not None:
                extra.append(sa.Identity(always=c.identity == "always"))
            cols.append(
                sa.Column(
                    c.name,
                    c.type,
                    *extra,
                    nullable=c.nullable,
                    server_default=sa.text(c.default) if c.default is not None else None,
                    info={"row_id": True} if c.row_id else {},
                )
            )
        constraints: list[Any] = [sa.PrimaryKeyConstraint(*self.primary_key)] if self.primary_key else []
        return sa.Table(self.name, sa.MetaData(), *cols, *constraints, schema=self.schema)
