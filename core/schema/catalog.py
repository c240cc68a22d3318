"""Entity catalog: the tables, columns, keys, links and vectors a database has.

For the reference schema it comes from the models; for a database Warden did not create it comes
from reflection (see core/schema/reflect.py). Either way every tool is driven from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from core.engine.db import Database
from core.errors import NotFoundError

LABEL_CANDIDATES = (
    "name",
    "title",
    "username",
    "sku",
    "order_number",
    "email",
    "label",
    "slug",
    "code",
    "topic",
)
GROUP_ORDER = ("World", "Players", "Operations", "Other")
HIDDEN_TABLES = {"alembic_version"}


@dataclass(frozen=True)
class ColumnInfo:
    """One column, as the editors and validation need it."""

    name: str
    type: str  # the SQL type on this backend, e.g. VARCHAR(120), UUID, VECTOR(384)
    # string|text|integer|decimal|float|boolean|datetime|date|time|json|array|uuid|enum|vector|binary|other
    kind: str
    nullable: bool
    primary_key: bool
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    default: str | None = None
    has_default: bool = False
    autoincrement: bool = False
    enum_values: tuple[str, ...] | None = None
    vector_dim: int | None = None
    is_version: bool = False
    # SQLite date/time text in whatever shape the app that wrote it chose (a file Warden did not create):
    # compared by its meaning, never with SQLAlchemy's own spelling of a value (core/schema/stored_times.py).
    times_as_text: bool = False


@dataclass(frozen=True)
class ForeignKeyInfo:
    """A foreign key from `entity` (columns) to `target` (target_columns)."""

    entity: str
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    ondelete: str | None = None  # CASCADE | SET NULL | RESTRICT | NO ACTION | None

    @property
    def name(self) -> str:
        """A readable name for the link, e.g. locations.region_id → regions."""
        return f"{self.entity}.{','.join(self.columns)} → {self.target}"


@dataclass(frozen=True)
class VectorInfo:
    """A vector column and where it lives."""

    column: str
    dimension: int
    storage: str  # "pgvector" | "blob" | "vec0"
    metric: str = "cosine"


@dataclass
class Entity:
    """A table (or view, or vec0 table) Warden can browse."""

    name: str
    table: sa.Table
    columns: list[ColumnInfo]
    primary_key: tuple[str, ...]
    group: str = "Other"
    label: str | None = None
    foreign_keys: list[ForeignKeyInfo] = field(default_factory=list)
    referenced_by: list[ForeignKeyInfo] = field(default_factory=list)
    vectors: list[VectorInfo] = field(default_factory=list)
    is_link: bool = False
    read_only_reason: str | None = None
    version_column: str | None = None
    kind: str = "table"  # table | view | vec0
    #: The order an editor opens in, as (column, descending) pairs; None is key order. Log-like tables
    #: of the reference schema open newest first.
    default_sort: list[tuple[str, bool]] | None = None

    @property
    def read_only(self) -> bool:
        """Whether Warden refuses to write this entity (see read_only_reason)."""
        return self.read_only_reason is not None

    def column(self, name: str) -> ColumnInfo:
        """A column by name, or NotFoundError listing what exists."""
        for c in self.columns:
            if c.name == name:
                return c
        raise NotFoundError(
            f"{self.name} has no column '{name}'. Columns: {', '.join(c.name for c in self.columns)}"
        )

    @property
    def column_names(self) -> list[str]:
        """Column names in table order."""
        return [c.name for c in self.columns]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `warden inspect --json`."""
        return {
            "name": self.name,
            "label": self.label,
            "group": self.group,
            "kind": self.kind,
            "read_only": self.read_only,
            "read_only_reason": self.read_only_reason,
            "is_link": self.is_link,
            "primary_key": list(self.primary_key),
            "version_column": self.version_column,
            "columns": [
                {
                    "name": c.name,
                    "type": c.type,
                    "kind": c.kind,
                    "nullable": c.nullable,
                    "primary_key": c.primary_key,
                    "length": c.length,
                    "default": c.default,
                    "enum_values": list(c.enum_values) if c.enum_values else None,
                }
                for c in self.columns
            ],
            "foreign_keys": [
                {
                    "columns": list(fk.columns),
                    "target": fk.target,
                    "target_columns": list(fk.target_columns),
                    "ondelete": fk.ondelete,
                }
                for fk in self.foreign_keys
            ],
            "referenced_by": [
                {"entity": fk.entity, "columns": list(fk.columns), "target_columns": list(fk.target_columns)}
                for fk in self.referenced_by
            ],
            "vectors": [
                {"column": v.column, "dimension": v.dimension, "storage": v.storage, "metric": v.metric}
                for v in self.vectors
            ],
        }


@dataclass
class Catalog:
    """Every entity of one database, by name."""

    entities: dict[str, Entity]
    source: str  # "models" | "reflected" | "mixed"
    backend: str

    def get(self, name: str) -> Entity:
        """An entity by name, or NotFoundError naming the ones that exist."""
        try:
            return self.entities[name]
        except KeyError:
            known = ", ".join(sorted(self.entities)) or "none"
            raise NotFoundError(f"Unknown entity '{name}'. Known entities: {known}") from None

    def __iter__(self) -> Any:
        return iter(self.ordered())

    def ordered(self) -> list[Entity]:
        """Entities by navigator group, then name."""
        rank = {g: i for i, g in enumerate(GROUP_ORDER)}
        return sorted(self.entities.values(), key=lambda e: (rank.get(e.group, len(rank)), e.name))

    def as_dict(self) -> list[dict[str, Any]]:
        """The entity list of `warden inspect --json`."""
        return [e.as_dict() for e in self.ordered()]


def load_catalog(db: Database) -> Catalog:
    """Describe `db`: reference tables from the models, everything else by reflection."""
    from core.schema import reflect
    from core.schema.models import metadata

    present = reflect.table_names(db)
    modelled = [t for name, t in metadata.tables.items() if name in present]
    entities: dict[str, Entity] = {t.name: entity_from_table(t, db.engine.dialect) for t in modelled}
    others = [n for n in present if n not in entities and n not in HIDDEN_TABLES]
    if others:
        for ent in reflect.reflect_entities(db, others):
            entities[ent.name] = ent
    link_references(entities)
    source = "models" if not others else ("reflected" if not modelled else "mixed")
    return Catalog(entities=entities, source=source, backend=db.backend)


def entity_from_table(table: sa.Table, dialect: sa.Dialect, **overrides: Any) -> Entity:
    """Build an entity from a Table (mapped or reflected)."""
    from core.schema.reflect import column_info

    cols = [column_info(c, dialect) for c in table.columns]
    pk = tuple(c.name for c in table.primary_key.columns)
    info = table.info
    fks = [
        ForeignKeyInfo(
            entity=table.name,
            columns=tuple(e.parent.name for e in fk.elements),
            target=fk.referred_table.name,
            target_columns=tuple(e.column.name for e in fk.elements),
            ondelete=(fk.ondelete or "").upper() or None,
        )
        for fk in sorted(table.foreign_key_constraints, key=lambda f: [e.parent.name for e in f.elements])
        if fk.referred_table is not None
    ]
    vectors = [
        VectorInfo(c.name, c.vector_dim, "pgvector" if dialect.name == "postgresql" else "blob")
        for c in cols
        if c.kind == "vector" and c.vector_dim
    ]
    version_col = next((c.name for c in cols if c.is_version), None)
    ent = Entity(
        name=table.name,
        table=table,
        columns=cols,
        primary_key=pk,
        group=info.get("group", "Other"),
        label=info.get("label") or guess_label(cols, pk),
        foreign_keys=fks,
        vectors=vectors,
        # The reference models say what is a link; only reflected tables need the heuristic.
        is_link=bool(info["link"])
        if "link" in info
        else ("group" not in info and looks_like_link(cols, pk, fks)),
        version_column=version_col,
        read_only_reason=None if pk else "it has no primary key, so Warden cannot tell its rows apart",
        default_sort=parse_order(info.get("order_by"), [c.name for c in cols]),
    )
    for k, v in overrides.items():
        setattr(ent, k, v)
    return ent


def guess_label(cols: list[ColumnInfo], pk: tuple[str, ...]) -> str | None:
    """The column that best names a row: name, title, username, sku… else the first short text column."""
    names = {c.name for c in cols}
    for cand in LABEL_CANDIDATES:
        if cand in names:
            return cand
    for c in cols:
        if c.kind == "string" and c.name not in pk:
            return c.name
    return None


def looks_like_link(cols: list[ColumnInfo], pk: tuple[str, ...], fks: list[ForeignKeyInfo]) -> bool:
    """A table whose main job is joining two others: two or more FKs and little else."""
    if len(fks) < 2:
        return False
    fk_cols = {c for fk in fks for c in fk.columns}
    bookkeeping = {"version", "created_at", "updated_at"}
    payload = [c for c in cols if c.name not in fk_cols and c.name not in pk and c.name not in bookkeeping]
    return len(payload) <= 4


def link_references(entities: dict[str, Entity]) -> None:
    """Fill each entity's referenced_by from every other entity's foreign keys."""
    for ent in entities.values():
        ent.referenced_by = []
    for ent in entities.values():
        for fk in ent.foreign_keys:
            target = entities.get(fk.target)
            if target is not None:
                target.referenced_by.append(fk)


def parse_order(spec: str | None, names: list[str]) -> list[tuple[str, bool]] | None:
    """Table info "order_by" ("-created_at, name": a leading "-" is descending) as (column, descending)
    pairs; None when absent. A column the table does not have is a mistake in the model."""
    if not spec:
        return None
    order = [(part.strip().lstrip("-"), part.strip().startswith("-")) for part in spec.split(",")]
    unknown = [name for name, _ in order if name not in names]
    if unknown:
        raise ValueError(f"order_by names unknown columns: {', '.join(unknown)}")
    return order
