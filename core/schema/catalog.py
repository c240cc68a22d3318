"""Entity catalog: the tables, columns, keys, links and vectors a database has.

For the reference schema it comes from the models; for a database Warden did not create it comes
from reflection (see core/schema/reflect.py). Either way every tool is driven from it.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal

import sqlalchemy as sa
from pgvector.sqlalchemy import VECTOR
from sqlalchemy.dialects import postgresql

from core.errors import NotFoundError
from core.schema.column_kinds import base_type, column_traits, never_written_reason, type_traits

# The words the listing shares, defined apart so that it loads without this module; named here as before.
from core.schema.entity_kinds import GROUP_ORDER as GROUP_ORDER
from core.schema.entity_kinds import CatalogSource as CatalogSource
from core.schema.entity_kinds import EntityKind as EntityKind
from core.schema.keys import ROWID_NOTE, KeySource, RowKey, no_key_reason
from core.schema.kinds import ColumnKind, backend_type, kind_of
from core.schema.table_spec import ColumnSpec, TableSpec
from core.types import Vector

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
KNOWN_LISTED = 30  # an "unknown entity" message lists every entity up to this many
_PG = postgresql.dialect()  # type: ignore[no-untyped-call, unused-ignore]  # SQLAlchemy's dialect class is untyped


class VectorStorage(StrEnum):
    """Where a vector column's values live."""

    PGVECTOR = "pgvector"
    BLOB = "blob"  # float32 little-endian bytes, sqlite-vec's format
    VEC0 = "vec0"  # a sqlite-vec virtual table


class FkAction(StrEnum):
    """What a foreign key does when the row it points at is deleted."""

    CASCADE = "CASCADE"
    SET_NULL = "SET NULL"
    SET_DEFAULT = "SET DEFAULT"
    RESTRICT = "RESTRICT"
    NO_ACTION = "NO ACTION"


#: Which way a foreign key links a row to others: it references them, or they reference it.
LinkDirection = Literal["outgoing", "incoming"]


def fk_action(text: str | None) -> FkAction | None:
    """An ON DELETE action as the model or the database spells it; None when there is none."""
    return FkAction(" ".join(text.upper().split())) if text else None


@dataclass(frozen=True)
class ColumnInfo:
    """One column, as the editors and validation need it."""

    name: str
    type: str  # the SQL type on this backend, e.g. VARCHAR(120), UUID, VECTOR(384)
    kind: ColumnKind
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
    # What the column's definition adds (core/schema/column_kinds.py): a generated column's expression, an
    # identity ("always" | "by default"), why a type Warden cannot edit is read-only, a domain and its CHECK,
    # an array's item kind, and a type the server checks before a save writes (interval, inet, cidr).
    generated: str | None = None
    identity: str | None = None
    read_only_reason: str | None = None
    domain: str | None = None
    domain_check: str | None = None
    item_kind: ColumnKind | None = None
    server_type: str | None = None
    # SQLite's rowid, added as the key of a table without a better one (core/schema/keys.py): never written,
    # never exported or kept as a reference (VACUUM may renumber it).
    row_id: bool = False

    @property
    def never_written_reason(self) -> str | None:
        """Why this column is never written (generated, identity always, a type it cannot edit); or None."""
        return never_written_reason(self.generated, self.identity, self.read_only_reason)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of a column in `warden inspect --json`."""
        return {
            "name": self.name,
            "type": self.type,
            "kind": self.kind,
            "nullable": self.nullable,
            "primary_key": self.primary_key,
            "length": self.length,
            "default": self.default,
            "enum_values": list(self.enum_values) if self.enum_values else None,
            "generated": self.generated,
            "identity": self.identity,
            "read_only_reason": self.never_written_reason,
            "domain": self.domain,
            "domain_check": self.domain_check,
            "item_kind": self.item_kind,
            "server_type": self.server_type,
            "row_id": self.row_id,
        }


@dataclass(frozen=True)
class ForeignKeyInfo:
    """A foreign key from `entity` (columns) to `target` (target_columns)."""

    entity: str
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    ondelete: FkAction | None = None

    @property
    def name(self) -> str:
        """A readable name for the link, e.g. locations.region_id → regions."""
        return f"{self.entity}.{','.join(self.columns)} → {self.target}"


@dataclass(frozen=True)
class VectorInfo:
    """A vector column and where it lives."""

    column: str
    dimension: int
    storage: VectorStorage
    metric: str = "cosine"


@dataclass(frozen=True)
class FullTextIndex:
    """A SQLite FTS4/FTS5 table that indexes an entity's rows: `key` is the entity's column holding the
    index's rowid (content_rowid)."""

    table: str
    module: str  # fts4 or fts5
    key: str


@dataclass(frozen=True)
class Entity:
    """A table (or view, or vec0 table) Warden can browse; built once (entity_from_table), never changed.

    Values derived from it (cached properties) are worked out on first use and live as long as it does.
    `source` is the SQLAlchemy Table (the reference models', a virtual table's) or the TableSpec reflection
    read; `table` is built from a spec on first use (core/schema/table_spec.py says why).
    """

    name: str
    source: sa.Table | TableSpec
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...]
    group: str = "Other"
    label: str | None = None
    foreign_keys: tuple[ForeignKeyInfo, ...] = ()
    referenced_by: tuple[ForeignKeyInfo, ...] = ()
    vectors: tuple[VectorInfo, ...] = ()
    is_link: bool = False
    read_only_reason: str | None = None
    version_column: str | None = None
    kind: EntityKind = EntityKind.TABLE
    #: The order an editor opens in, as (column, descending) pairs; None is key order. Log-like tables
    #: of the reference schema open newest first.
    default_sort: list[tuple[str, bool]] | None = field(default=None, hash=False)
    #: The full-text index over this entity's rows (SQLite FTS4/FTS5), which the quick filter searches.
    fulltext: FullTextIndex | None = None
    #: The PostgreSQL schema the relation lives in (None on SQLite). The name is "schema.table" where a bare
    #: name would be ambiguous or off the search path (core/schema/pg_tables.py).
    schema: str | None = None
    #: A partitioned table's partitions (PostgreSQL), listed under it: rows are read and written through it.
    partitions: tuple[str, ...] = ()
    #: What `primary_key` is: the declared primary key, a unique NOT NULL column set, or SQLite's rowid
    #: (core/schema/keys.py); None when the entity has no key.
    key_source: KeySource | None = None

    @property
    def read_only(self) -> bool:
        """Whether Warden refuses to write this entity (see read_only_reason)."""
        return self.read_only_reason is not None

    @cached_property
    def table(self) -> sa.Table:
        """The SQLAlchemy Table statements are built on (from the spec, on first use)."""
        source = self.source
        return source.build() if isinstance(source, TableSpec) else source

    @property
    def table_name(self) -> str:
        """The relation's own name in the database (without its schema), known without building the Table."""
        return self.source.name

    @property
    def table_schema(self) -> str | None:
        """The schema the Table names (None: the default one), known without building the Table."""
        return self.source.schema

    def column(self, name: str) -> ColumnInfo:
        """A column by name, or NotFoundError listing what exists."""
        found = self.columns_by_name.get(name)
        if found is None:
            raise NotFoundError(
                f"{self.name} has no column '{name}'. Columns: {', '.join(c.name for c in self.columns)}"
            )
        return found

    @cached_property
    def columns_by_name(self) -> dict[str, ColumnInfo]:
        """Columns by name."""
        return {c.name: c for c in self.columns}

    @property
    def column_names(self) -> list[str]:
        """Column names in table order."""
        return [c.name for c in self.columns]

    @cached_property
    def portable_columns(self) -> dict[str, ColumnInfo]:
        """Columns by name as the strictest backend sees them (tags: JSON on SQLite, text[] on PostgreSQL)."""
        cols = {}
        for col in self.columns:
            sa_col = self.table.c.get(col.name)
            if (
                col.kind == ColumnKind.JSON
                and sa_col is not None
                and isinstance(sa_col.type.dialect_impl(_PG), sa.ARRAY)
            ):
                col = dataclasses.replace(col, kind=ColumnKind.ARRAY)
            cols[col.name] = col
        return cols

    @cached_property
    def json_as_text(self) -> frozenset[str]:
        """JSON columns kept in a type that binds text (reflected TEXT)."""
        return frozenset(
            name
            for name, col in self.portable_columns.items()
            if col.kind == ColumnKind.JSON and not isinstance(self._sa_type(name), sa.JSON | sa.ARRAY)
        )

    @cached_property
    def vectors_as_blob(self) -> frozenset[str]:
        """Vector columns kept in a type that binds bytes (reflected BLOB)."""
        return frozenset(
            name
            for name, col in self.portable_columns.items()
            if col.kind == ColumnKind.VECTOR and not isinstance(self._sa_type(name), Vector | VECTOR)
        )

    @cached_property
    def key_select(self) -> tuple[sa.Select[Any], tuple[str, ...]]:
        """SELECT of one row by its whole primary key (bound as key_0, key_1…), and the column names.

        Built once: a statement that is reused keeps its cache key, so SQLAlchemy compiles it only once.
        """
        return select_by_key(self, tuple((name, False) for name in self.primary_key))

    def _sa_type(self, name: str) -> sa.types.TypeEngine[Any] | None:
        sa_col = self.table.c.get(name)
        return sa_col.type if sa_col is not None else None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `warden inspect --json`."""
        head, tail = self.dict_parts()
        return {**head, "columns": [c.as_dict() for c in self.columns], **tail}

    def dict_parts(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """as_dict without its columns: the keys before "columns" and the keys after it, in order (inspect
        writes each distinct column once: core/cli/inspect.py)."""
        head = {
            "name": self.name,
            "label": self.label,
            "group": self.group,
            "kind": self.kind,
            "read_only": self.read_only,
            "read_only_reason": self.read_only_reason,
            "is_link": self.is_link,
            "primary_key": list(self.primary_key),
            "key_source": self.key_source,
            "version_column": self.version_column,
        }
        tail = {
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
            "fulltext": dataclasses.asdict(self.fulltext) if self.fulltext else None,
            "schema": self.schema,
            "partitions": list(self.partitions),
        }
        return head, tail


@dataclass(frozen=True)
class Catalog:
    """Every entity of one database, by name."""

    entities: dict[str, Entity]
    source: CatalogSource
    backend: str
    #: PostgreSQL's schemas on the search path, in order (current_schemas); empty on SQLite.
    search_path: tuple[str, ...] = ()

    def get(self, name: str) -> Entity:
        """An entity by name, or by "schema.table", or by a bare table name (the first match on the search
        path); else NotFoundError naming the ones that exist."""
        found = self.entities.get(name)
        if found is None:
            found = self._by_table_name(name)
        if found is None:
            raise NotFoundError(f"Unknown entity '{name}'. {self._known_hint(name)}")
        return found

    def _known_hint(self, name: str) -> str:
        """The entities to name in an "unknown entity" message: all of a small catalog; of a big one, the
        names closest to `name` (a list of 2,500 names on one line helps nobody)."""
        names = sorted(self.entities)
        if len(names) <= KNOWN_LISTED:
            return f"Known entities: {', '.join(names) or 'none'}"
        close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
        close += [n for n in names if name.lower() in n.lower() and n not in close][: 5 - len(close)]
        guess = f"Did you mean: {', '.join(close)}? " if close else ""
        return f"{guess}{len(names)} entities; `warden inspect` lists them."

    def _by_table_name(self, name: str) -> Entity | None:
        """The entity a PostgreSQL user means by "schema.table" or a bare name, as the server resolves it."""
        placed = [e for e in self.entities.values() if e.schema is not None]
        qualified = [e for e in placed if f"{e.schema}.{e.table_name}" == name]
        if qualified:
            return qualified[0]
        on_path = [e for e in placed if e.table_name == name and e.schema in self.search_path]
        on_path.sort(key=lambda e: self.search_path.index(str(e.schema)))
        return on_path[0] if on_path else None

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.ordered())

    def ordered(self) -> list[Entity]:
        """Entities by navigator group, then name."""
        rank = {g: i for i, g in enumerate(GROUP_ORDER)}
        return sorted(self.entities.values(), key=lambda e: (rank.get(e.group, len(rank)), e.name))

    def as_dict(self) -> list[dict[str, Any]]:
        """The entity list of `warden inspect --json`."""
        return [e.as_dict() for e in self.ordered()]


def select_by_key(
    entity: Entity, shape: tuple[tuple[str, bool], ...]
) -> tuple[sa.Select[Any], tuple[str, ...]]:
    """SELECT of every column of the row whose key columns are given as (name, is NULL) pairs; a value that
    is not NULL is bound as key_<position>. Also the column names, in table order."""
    cols = list(entity.table.columns)
    where = [
        entity.table.c[name].is_(None)
        if null
        else entity.table.c[name] == sa.bindparam(f"key_{i}", type_=entity.table.c[name].type)
        for i, (name, null) in enumerate(shape)
    ]
    return sa.select(*cols).where(*where).limit(1), tuple(c.name for c in cols)


def column_info(col: sa.Column[Any], dialect: sa.Dialect) -> ColumnInfo:
    """Describe one column for editors and validation."""
    t, domain = base_type(backend_type(col.type, dialect))
    kind, dim = kind_of(t)
    try:
        # A variant compiles as this backend's own; a domain as its base type (the domain is in `domain`).
        type_name = str((t if domain is not None else col.type).compile(dialect=dialect))
    except Exception:  # NullType and exotic reflected types do not compile
        type_name = type(col.type).__name__.upper()
    default = None
    if col.server_default is not None and hasattr(col.server_default, "arg"):
        default = str(getattr(col.server_default.arg, "text", col.server_default.arg))
    elif isinstance(col.default, sa.ColumnDefault) and col.default.is_scalar:
        default = repr(col.default.arg)
    enums = tuple(t.enums) if isinstance(t, sa.Enum) else None
    return ColumnInfo(
        name=col.name,
        type=type_name,
        kind=kind,
        nullable=bool(col.nullable) and not col.primary_key,
        primary_key=col.primary_key,
        length=getattr(t, "length", None),
        precision=getattr(t, "precision", None) if kind == ColumnKind.DECIMAL else None,
        scale=getattr(t, "scale", None) if kind == ColumnKind.DECIMAL else None,
        default=default,
        has_default=col.default is not None or col.server_default is not None or _is_autoinc(col),
        autoincrement=_is_autoinc(col),
        enum_values=enums,
        vector_dim=dim,
        is_version=bool(col.info.get("version")),
        **column_traits(col, t, kind, dialect),
    )


def spec_column_info(col: ColumnSpec, spec: TableSpec, dialect: sa.Dialect) -> ColumnInfo:
    """Describe one column of a TableSpec as column_info describes a Table's, without building the Table.

    What depends on the type alone is worked out once per type object (a reader shares one object among the
    columns declared alike), so a schema of thousands of columns compiles only its few distinct types.
    """
    in_key = col.name in spec.primary_key
    autoinc = in_key and len(spec.primary_key) == 1 and isinstance(col.type, sa.Integer)
    # The very same ColumnSpec object (a reader shares one per declaration) is found by its id first:
    # hashing the spec's fields for every one of 30,000 columns was most of this function's time.
    by_id = (id(col), in_key, autoinc, dialect.name)
    held = _INFOS_BY_ID.get(by_id)
    if held is not None and held[0] is col:
        return held[1]
    # Columns declared alike (id, name, created_at … in table after table) share one frozen ColumnInfo: made
    # once, and pickled once into the catalog cache file.
    key = (col, in_key, autoinc, dialect.name)
    try:
        shared = _COLUMN_INFOS.get(key)
    except TypeError:  # a type of an extension that cannot be hashed: described on its own
        return _column_info_of(col, in_key, autoinc, dialect)
    if shared is None:
        if len(_COLUMN_INFOS) > 50_000:  # columns of databases long closed
            _COLUMN_INFOS.clear()
            _INFOS_BY_ID.clear()
        shared = _COLUMN_INFOS[key] = _column_info_of(col, in_key, autoinc, dialect)
    if len(_INFOS_BY_ID) > 50_000:
        _INFOS_BY_ID.clear()
    _INFOS_BY_ID[by_id] = (col, shared)  # the spec is held with it: its id is not reused meanwhile
    return shared


def spec_column_kind(col: ColumnSpec, dialect: sa.Dialect) -> ColumnKind:
    """The kind spec_column_info gives `col` (its type's alone), before the table's key is known."""
    kind: ColumnKind = _type_facts(col.type, dialect)["kind"]
    return kind


#: ColumnInfo by (ColumnSpec, in the key, autoincrement, dialect); a ColumnSpec holds its type object, so
#: only columns of the very same type object (a reader shares one per declaration) are the same entry.
_COLUMN_INFOS: dict[tuple[ColumnSpec, bool, bool, str], ColumnInfo] = {}
#: The same by the ColumnSpec object's id, with the object (spec_column_info).
_INFOS_BY_ID: dict[tuple[int, bool, bool, str], tuple[ColumnSpec, ColumnInfo]] = {}


def _column_info_of(col: ColumnSpec, in_key: bool, autoinc: bool, dialect: sa.Dialect) -> ColumnInfo:
    facts = _type_facts(col.type, dialect)
    kind = facts["kind"]
    traits = dict(facts["traits"])
    if col.generated is not None:
        traits["generated"] = col.generated
    if col.identity is not None:
        traits["identity"] = col.identity
    return ColumnInfo(
        name=col.name,
        type=facts["type"],
        kind=kind,
        nullable=col.nullable and not in_key,
        primary_key=in_key,
        length=facts["length"],
        precision=facts["precision"],
        scale=facts["scale"],
        default=col.default,
        # Identity and generated columns are server defaults of their own (as SQLAlchemy models them).
        has_default=col.default is not None
        or col.identity is not None
        or col.generated is not None
        or autoinc,
        autoincrement=autoinc,
        enum_values=facts["enums"],
        vector_dim=facts["dim"],
        **traits,
    )


_FACTS: dict[tuple[int, str], tuple[sa.types.TypeEngine[Any], dict[str, Any]]] = {}


def _type_facts(declared: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> dict[str, Any]:
    """What a column's type alone says (its SQL name, kind, sizes, enum values, traits), cached per type
    object; the object is held with its facts, so its id is never reused for another while cached."""
    held = _FACTS.get((id(declared), dialect.name))
    if held is not None and held[0] is declared:
        return held[1]
    t, domain = base_type(backend_type(declared, dialect))
    kind, dim = kind_of(t)
    try:
        type_name = str((t if domain is not None else declared).compile(dialect=dialect))
    except Exception:  # NullType and exotic reflected types do not compile
        type_name = type(declared).__name__.upper()
    facts = {
        "type": type_name,
        "kind": kind,
        "dim": dim,
        "length": getattr(t, "length", None),
        "precision": getattr(t, "precision", None) if kind == ColumnKind.DECIMAL else None,
        "scale": getattr(t, "scale", None) if kind == ColumnKind.DECIMAL else None,
        "enums": tuple(t.enums) if isinstance(t, sa.Enum) else None,
        "traits": type_traits(declared, t, kind, dialect),
    }
    if len(_FACTS) > 50_000:  # types of databases long closed
        _FACTS.clear()
    _FACTS[(id(declared), dialect.name)] = (declared, facts)
    return facts


def _is_autoinc(col: sa.Column[Any]) -> bool:
    return (
        col.primary_key
        and isinstance(col.type, sa.Integer)
        and col.autoincrement in (True, "auto")
        and len(col.table.primary_key.columns) == 1
    )


def foreign_keys_of(table: sa.Table) -> tuple[ForeignKeyInfo, ...]:
    """A table's foreign keys, ordered by their columns."""
    return tuple(
        ForeignKeyInfo(
            entity=table.name,
            columns=tuple(e.parent.name for e in fk.elements),
            target=fk.referred_table.name,
            target_columns=tuple(e.column.name for e in fk.elements),
            ondelete=fk_action(fk.ondelete),
        )
        for fk in sorted(table.foreign_key_constraints, key=lambda f: [e.parent.name for e in f.elements])
        if fk.referred_table is not None
    )


def vectors_of(columns: tuple[ColumnInfo, ...], dialect: sa.Dialect) -> tuple[VectorInfo, ...]:
    """The vector columns among `columns`, stored as pgvector on PostgreSQL and as BLOBs on SQLite."""
    storage = VectorStorage.PGVECTOR if dialect.name == "postgresql" else VectorStorage.BLOB
    return tuple(
        VectorInfo(c.name, c.vector_dim, storage)
        for c in columns
        if c.kind == ColumnKind.VECTOR and c.vector_dim
    )


def entity_from_table(
    table: sa.Table | TableSpec,
    dialect: sa.Dialect,
    *,
    columns: tuple[ColumnInfo, ...] | None = None,
    foreign_keys: tuple[ForeignKeyInfo, ...] | None = None,
    vectors: tuple[VectorInfo, ...] | None = None,
    version_column: str | None = None,
    kind: EntityKind = EntityKind.TABLE,
    read_only_reason: str | None = None,
    key: RowKey | None = None,
    name: str | None = None,
    schema: str | None = None,
    partitions: tuple[str, ...] = (),
) -> Entity:
    """Build an entity from a Table (mapped or reflected) or a TableSpec; reflection passes what it found in
    the data, and the key it chose (core/schema/keys.py) where that is not the declared primary key, and
    on PostgreSQL the entity's name, schema and partitions (the table's name by default)."""
    if isinstance(table, TableSpec):
        cols = (
            columns
            if columns is not None
            else tuple(spec_column_info(c, table, dialect) for c in table.columns)
        )
        declared, fks, info = table.primary_key, foreign_keys or (), {}
    else:
        cols = columns if columns is not None else tuple(column_info(c, dialect) for c in table.columns)
        declared = tuple(c.name for c in table.primary_key.columns)
        fks = foreign_keys if foreign_keys is not None else foreign_keys_of(table)
        info = dict(table.info)
    read_only_reason = read_only_reason or info.get("read_only")
    if key is None:
        key = RowKey(declared, KeySource.PRIMARY_KEY) if declared else RowKey((), None, no_key_reason(""))
    pk = key.columns
    if key.source == KeySource.UNIQUE:  # editors treat its columns as they treat a primary key's
        cols = tuple(dataclasses.replace(c, primary_key=True) if c.name in pk else c for c in cols)
    elif key.source == KeySource.ROWID:
        note = f"SQLite's rowid {ROWID_NOTE}"
        cols = tuple(
            dataclasses.replace(c, row_id=True, read_only_reason=note) if c.name in pk else c for c in cols
        )
        # The conflict check is the whole row as loaded: a version counter's values repeat across rows, so
        # after a VACUUM renumbered them it could pass on another row.
        version_column = None
    if version_column is None:
        version_column = next((c.name for c in cols if c.is_version), None)
    if read_only_reason is None and not pk:
        read_only_reason = key.reason or no_key_reason("")
    return Entity(
        name=table.name if name is None else name,
        source=table,
        columns=cols,
        primary_key=pk,
        group=info.get("group", "Other"),
        label=info.get("label") or guess_label(cols, pk),
        foreign_keys=fks,
        vectors=vectors if vectors is not None else vectors_of(cols, dialect),
        # The reference models say what is a link; only reflected tables need the heuristic.
        is_link=bool(info["link"])
        if "link" in info
        else ("group" not in info and looks_like_link(cols, pk, fks)),
        version_column=version_column,
        read_only_reason=read_only_reason,
        kind=kind,
        default_sort=parse_order(info.get("order_by"), [c.name for c in cols]),
        key_source=key.source if pk else None,
        schema=schema,
        partitions=partitions,
    )


def guess_label(cols: Sequence[ColumnInfo], pk: tuple[str, ...]) -> str | None:
    """The column that best names a row: name, title, username, sku… else the first short text column."""
    names = {c.name for c in cols}
    for cand in LABEL_CANDIDATES:
        if cand in names:
            return cand
    for c in cols:
        if c.kind == ColumnKind.STRING and c.name not in pk:
            return c.name
    return None


def looks_like_link(cols: Sequence[ColumnInfo], pk: tuple[str, ...], fks: Sequence[ForeignKeyInfo]) -> bool:
    """A table whose main job is joining two others: two or more FKs and little else."""
    if len(fks) < 2:
        return False
    fk_cols = {c for fk in fks for c in fk.columns}
    bookkeeping = {"version", "created_at", "updated_at"}
    payload = [c for c in cols if c.name not in fk_cols and c.name not in pk and c.name not in bookkeeping]
    return len(payload) <= 4


def link_references(entities: dict[str, Entity]) -> dict[str, Entity]:
    """The entities again, each with its referenced_by filled from every other entity's foreign keys."""
    incoming: dict[str, list[ForeignKeyInfo]] = {name: [] for name in entities}
    for ent in entities.values():
        for fk in ent.foreign_keys:
            if fk.target in incoming:
                incoming[fk.target].append(fk)
    # An entity nothing refers to (and that says so) is kept as it is: a copy of each of 2,500 was 20 ms.
    return {
        name: ent
        if not incoming[name] and not ent.referenced_by
        else dataclasses.replace(ent, referenced_by=tuple(incoming[name]))
        for name, ent in entities.items()
    }


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
