"""Reflection of databases Warden did not create: vec0 tables, enums in CHECKs, JSON in TEXT, BLOB vectors."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.engine.db import Database
from core.schema import keys, pg_read, pg_tables, sqlite_read, sqlite_tables
from core.schema.catalog import (
    ColumnInfo,
    Entity,
    EntityKind,
    ForeignKeyInfo,
    VectorInfo,
    VectorStorage,
    column_info,
    entity_from_table,
    fk_action,
    spec_column_info,
    spec_column_kind,
)
from core.schema.kinds import ColumnKind
from core.schema.names import VEC0_READ_ONLY, vec0_tables
from core.schema.samples import PgSampler, SampleRequest, sample_tables
from core.schema.stored_times import STORED_TIME_KINDS
from core.schema.table_spec import TableSpec

VEC0_COL_RE = re.compile(r"^\+?\"?(\w+)\"?\s+(\w+)(?:\s*\[\s*(\d+)\s*\])?(.*)$", re.S)
ENUM_CHECK_RE = re.compile(r"\"?(\w+)\"?\s*\)?(?:::\w+(?: varying)?)?\s*(?:IN\s*\(|=\s*ANY\s*\()", re.I)
JSON_NAME_HINTS = ("json", "metadata", "payload", "settings", "properties", "attributes", "data")
VECTOR_NAME_HINTS = ("embed", "vector", "vec")


def reflect_entities(
    db: Database, names: list[str], *, layout: pg_tables.PgLayout | None = None
) -> list[Entity]:
    """Reflect the named tables and views into entities of the 'Other' group (on PostgreSQL, named as
    `layout` names them: read here when not given)."""
    if db.backend == "sqlite":
        return _reflect_sqlite(db, names)
    return _reflect_postgresql(db, names, layout or pg_tables.read_layout(db))


@dataclass(frozen=True)
class _Draft:
    """One reflected relation before its rows were sampled."""

    name: str  # the entity name
    spec: TableSpec
    key: keys.RowKey | None  # None: a view (no key)
    columns: tuple[ColumnInfo, ...]
    enums: dict[str, tuple[str, ...]]
    foreign_keys: tuple[ForeignKeyInfo, ...]


def _draft(
    db: Database,
    name: str,
    spec: TableSpec,
    key: keys.RowKey | None,
    checks: list[str],
    fks: Iterable[ForeignKeyInfo],
) -> _Draft:
    columns = tuple(spec_column_info(c, spec, db.engine.dialect) for c in spec.columns)
    ordered = tuple(sorted(fks, key=lambda fk: list(fk.columns)))
    return _Draft(name, spec, key, columns, enums_in(checks), ordered)


def _sample_request(d: _Draft) -> SampleRequest:
    """What to sample of a draft's table: text that may hold JSON, BLOBs that may hold vectors."""
    return _request(d.name, d.spec, [(c.name, c.kind) for c in d.columns])


def _request(name: str, spec: TableSpec, kinds: list[tuple[str, ColumnKind]]) -> SampleRequest:
    """The sample request of entity `name` read from `spec`, its columns given as (name, kind)."""
    textual = [n for n, kind in kinds if kind in _TEXTUAL_KINDS]
    blobs = [n for n, kind in kinds if kind in _BLOB_KINDS]
    sampled = tuple(dict.fromkeys(textual + blobs))  # text that may hold JSON, BLOBs that may be vectors
    return SampleRequest(name, spec.name, spec.schema, sampled, frozenset(blobs))


def _finish(
    db: Database,
    drafts: list[_Draft],
    samples_of: Callable[[str], dict[str, list[Any]]],
    placed: Callable[[_Draft], dict[str, Any]] = lambda d: {},
) -> list[Entity]:
    """Entities of the drafts, their columns refined by their rows' samples (core/schema/samples.py), which
    `samples_of` gives by entity name; `placed` gives a draft's name, schema and partitions on PostgreSQL."""
    out = []
    for d in drafts:
        columns = _refine_columns(db, d.columns, d.enums, samples_of(d.name))
        view = d.key is None
        out.append(
            entity_from_table(
                d.spec,
                db.engine.dialect,
                columns=columns,
                foreign_keys=d.foreign_keys,
                version_column=_version_column(columns),
                kind=EntityKind.VIEW if view else EntityKind.TABLE,
                read_only_reason="it is a view" if view else None,
                key=d.key,
                **placed(d),
            )
        )
    return out


def _reflect_postgresql(db: Database, names: list[str], layout: pg_tables.PgLayout) -> list[Entity]:
    """Reflect PostgreSQL relations in bulk (core/schema/pg_read.py), named as the layout names them."""
    rels = [layout.by_entity[name] for name in names if name in layout.by_entity]
    place = {r.entity: (None if r.schema == layout.default_schema else r.schema, r.relname) for r in rels}
    # The rows are sampled from the moment the columns are known (the kinds say which columns to sample): the
    # server reads them while the keys and constraints are read and the tables drafted, and the last batches
    # while the first drafts are finished. The requests and their batches are those the drafts would make.
    with PgSampler(db) as sampler:

        def sample(specs: dict[pg_read.Place, TableSpec]) -> None:
            # Columns declared alike share one ColumnSpec (core/schema/pg_read.py): each kind is looked up
            # once, by the spec's id (the specs are held meanwhile, so no id is reused).
            dialect, kind_of = db.engine.dialect, dict[int, ColumnKind]()
            for rel in rels:
                spec = specs.get(place[rel.entity])
                if spec is not None:
                    kinds = []
                    for c in spec.columns:
                        kind = kind_of.get(id(c))
                        if kind is None:
                            kind = kind_of[id(c)] = spec_column_kind(c, dialect)
                        kinds.append((c.name, kind))
                    sampler.add(_request(rel.entity, spec, kinds))
            sampler.flush()

        read = pg_read.read_tables(db, place.values(), on_columns=sample)
        drafts = []
        for rel in rels:
            draft = _pg_draft(db, rel, place[rel.entity], read, layout)
            if draft is not None:
                drafts.append(draft)
        # Named and placed as place_entities would place them, so it leaves them as they are (a copy of each
        # of 2,500 entities was 20 ms).
        rel_of = {r.entity: r for r in rels}

        def placed(d: _Draft) -> dict[str, Any]:
            rel = rel_of[d.name]
            schema = d.spec.schema or layout.default_schema
            return {"name": d.name, "schema": schema, "partitions": layout.partitions_of(rel)}

        entities = _finish(db, drafts, sampler.samples_of, placed)
    return pg_tables.place_entities(entities, layout)


def _pg_draft(
    db: Database,
    rel: pg_tables.PgRelation,
    where: tuple[str | None, str],
    read: pg_read.PgTables,
    layout: pg_tables.PgLayout,
) -> _Draft | None:
    """One PostgreSQL relation's draft; None when it was dropped since the layout was read."""
    spec = read.specs.get(where)
    if spec is None:
        return None
    key = None
    if rel.kind == EntityKind.TABLE:
        spec, key = keys.choose_spec_key(spec, read.unique_sets.get(where, ()), db.backend)
    fks = (
        ForeignKeyInfo(
            entity=rel.entity,
            columns=fk.columns,
            target=layout.entity_of(fk.referred_schema, fk.referred_table) or fk.referred_table,
            target_columns=fk.referred_columns,
            ondelete=fk_action(fk.ondelete),
        )
        for fk in read.foreign_keys.get(where, ())
    )
    return _draft(db, rel.entity, spec, key, read.checks.get(where, []), fks)


def _reflect_sqlite(db: Database, names: list[str]) -> list[Entity]:
    """Reflect SQLite tables and views from one pass of pragmas (core/schema/sqlite_read.py)."""
    vec0 = vec0_tables(db)
    virtual = sqlite_tables.virtual_tables(db)
    plain = [n for n in names if n not in vec0 and n not in virtual]
    read = sqlite_read.read_tables(db, plain)
    rowids = keys.rowid_tables(db.engine)
    known = {name.lower(): name for name in read.sql}
    drafts, unreadable = [], []
    for name in plain:
        spec = read.specs.get(name)
        if spec is None:
            if name in read.unreadable:
                unreadable.append(_unreadable_entity(db, name, read.unreadable[name]))
            continue
        key = None
        if name not in read.views:
            spec, key = keys.choose_spec_key(
                spec, read.unique_sets.get(name, ()), db.backend, has_rowid=name in rowids
            )
        fks = (_spec_foreign_key(db, name, fk, read, known) for fk in read.foreign_keys.get(name, ()))
        drafts.append(_draft(db, name, spec, key, read.check_texts(name), fks))
    with db.engine.connect() as conn:  # one connection for every sample: a new one reads the schema again
        samples = sample_tables(db, conn, [_sample_request(d) for d in drafts])
    out = _finish(db, drafts, samples.__getitem__) + unreadable
    out.extend(_vec0_entity(db, name, decl) for name, decl in vec0.items() if name in names)
    out.extend(
        sqlite_tables.virtual_entities(db, virtual, [n for n in names if n in virtual and n not in vec0])
    )
    return out


def _spec_foreign_key(
    db: Database,
    table: str,
    fk: sqlite_read.SqliteForeignKey,
    read: sqlite_read.SqliteTables,
    known: dict[str, str],
) -> ForeignKeyInfo:
    """A foreign key of a SQLite table, its target named as the database names it (SQLite's names are not
    case-sensitive), its target columns the target's primary key where the REFERENCES clause names none."""
    target = known.get(fk.target.lower(), fk.target)
    columns = fk.target_columns
    if any(c is None for c in columns):
        spec = read.specs.get(target)
        columns = spec.primary_key if spec is not None else sqlite_read.primary_key_of(db, target)
    return ForeignKeyInfo(
        entity=table,
        columns=fk.columns,
        target=target,
        target_columns=tuple(str(c) for c in columns),
        ondelete=fk_action(fk.on_delete),
    )


def _unreadable_entity(db: Database, name: str, reason: str) -> Entity:
    """A relation SQLite could not describe (e.g. a view over a dropped table): listed, with no columns,
    read-only with the reason, so the catalog says what it could not read."""
    spec = TableSpec(name=name, columns=())
    return entity_from_table(
        spec, db.engine.dialect, kind=EntityKind.VIEW, read_only_reason=f"{reason}; Warden cannot show it"
    )


def _version_column(columns: tuple[ColumnInfo, ...]) -> str | None:
    """A reflected table's version counter: an integer column named version or version_id."""
    return next(
        (c.name for c in columns if c.name in ("version", "version_id") and c.kind == ColumnKind.INTEGER),
        None,
    )


def enums_in(texts: list[str]) -> dict[str, tuple[str, ...]]:
    """Enum values of the CHECK constraints among `texts` that read `col IN ('a', 'b')`, by column."""
    found: dict[str, tuple[str, ...]] = {}
    for text in texts:
        m = ENUM_CHECK_RE.search(text)
        values = re.findall(r"'((?:[^']|'')*)'", text)
        if m and values:
            found[m.group(1)] = tuple(v.replace("''", "'") for v in values)
    return found


# Sets made once: an enum member looked up per column (ColumnKind.TEXT…) was most of these scans' time.
_TEXTUAL_KINDS = frozenset((ColumnKind.TEXT, ColumnKind.STRING, ColumnKind.OTHER))
_BLOB_KINDS = frozenset((ColumnKind.BINARY, ColumnKind.OTHER))
_ENUM_KINDS = frozenset((ColumnKind.STRING, ColumnKind.TEXT, ColumnKind.OTHER))


def _refine_columns(
    db: Database,
    cols: tuple[ColumnInfo, ...],
    enums: dict[str, tuple[str, ...]],
    samples: dict[str, list[Any]],
) -> tuple[ColumnInfo, ...]:
    """Find enums in CHECKs, JSON kept as TEXT and float32 BLOB vectors by looking at the data."""
    out = []
    for c in cols:
        kind = c.kind
        if c.name in enums and kind in _ENUM_KINDS:
            c = dataclasses.replace(c, kind=ColumnKind.ENUM, enum_values=enums[c.name])
        elif kind in _TEXTUAL_KINDS and _looks_like_json(c.name, samples.get(c.name, [])):
            c = _as_json(c)
        elif kind in _BLOB_KINDS:
            dim = _blob_vector_dim(c.name, samples.get(c.name, []))
            if dim:
                c = dataclasses.replace(c, kind=ColumnKind.VECTOR, vector_dim=dim)
        elif c.kind in STORED_TIME_KINDS and db.backend == "sqlite":
            # Another app's spelling ('2026-01-01 10:00:00', '…T…Z'), not SQLAlchemy's '….000000'.
            c = _times_as_text(c)
        out.append(c)
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _as_json(c: ColumnInfo) -> ColumnInfo:
    """`c` holding JSON as text; one object for the columns declared alike, as _times_as_text."""
    return dataclasses.replace(c, kind=ColumnKind.JSON)


@functools.lru_cache(maxsize=4096)
def _times_as_text(c: ColumnInfo) -> ColumnInfo:
    """`c` compared by the meaning of its date/time text; one object for the columns declared alike (their
    ColumnInfo is shared: core/schema/catalog.py, spec_column_info)."""
    return dataclasses.replace(c, times_as_text=True)


def _quote(db: Database, name: str) -> str:
    return db.engine.dialect.identifier_preparer.quote(name)


def _looks_like_json(name: str, values: list[Any]) -> bool:
    """JSON kept as TEXT: a JSON-ish name, or every sampled value a JSON object or array."""
    parsed = 0
    for v in values:
        if not isinstance(v, str):
            continue
        s = v.strip()
        if not s or s[0] not in "{[":
            return False
        try:
            json.loads(s)
        except ValueError:
            return False
        parsed += 1
    return parsed > 0 or _json_name(name)  # no text at all: the name says


@functools.lru_cache(maxsize=4096)
def _json_name(name: str) -> bool:
    """A name that says JSON (metadata, payload…; not a bare 'data'); names recur table after table."""
    return any(h in name.lower() for h in JSON_NAME_HINTS if h != "data")


def _blob_vector_dim(name: str, values: list[Any]) -> int | None:
    """A float32 vector BLOB: a vector-ish name and equal-length samples divisible by 4."""
    if not any(h in name.lower() for h in VECTOR_NAME_HINTS):
        return None
    lengths = {len(bytes(v)) for v in values if isinstance(v, bytes | memoryview | bytearray)}
    if len(lengths) != 1:
        return None
    n = lengths.pop()
    return n // 4 if n and n % 4 == 0 else None


def _vec0_entity(db: Database, name: str, decl: str) -> Entity:
    """An entity for a sqlite-vec vec0 virtual table, keyed by rowid and shown read-only."""
    cols: list[sa.Column[Any]] = [sa.Column("rowid", sa.Integer, primary_key=True)]
    vectors: list[VectorInfo] = []
    for part in _split_decl(decl):
        m = VEC0_COL_RE.match(part.strip())
        if not m or "=" in m.group(1):
            continue
        col_name, typ, dim, rest = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
        if "=" in part.split()[0]:
            continue
        if typ in ("float", "int8", "bit") and dim:
            cols.append(sa.Column(col_name, sa.LargeBinary))
            metric = re.search(r"distance_metric\s*=\s*(\w+)", rest or "")
            vectors.append(
                VectorInfo(col_name, int(dim), VectorStorage.VEC0, metric.group(1) if metric else "l2")
            )
        elif typ in ("integer", "int"):
            if "primary key" in (rest or "").lower():
                cols[0] = sa.Column(col_name, sa.Integer, primary_key=True)
            else:
                cols.append(sa.Column(col_name, sa.Integer))
        elif typ == "float":
            cols.append(sa.Column(col_name, sa.Float))
        else:
            cols.append(sa.Column(col_name, sa.Text))
    table = sa.Table(name, sa.MetaData(), *cols)
    dims = {v.column: v.dimension for v in vectors}
    columns = tuple(
        dataclasses.replace(c, kind=ColumnKind.VECTOR, vector_dim=dims[c.name], type=f"float[{dims[c.name]}]")
        if c.name in dims
        else c
        for c in (column_info(col, db.engine.dialect) for col in table.columns)
    )
    return entity_from_table(
        table,
        db.engine.dialect,
        columns=columns,
        vectors=tuple(vectors),
        kind=EntityKind.VEC0,
        read_only_reason=VEC0_READ_ONLY,
    )


def _split_decl(decl: str) -> list[str]:
    """Split a vec0 column list on top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in decl:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts
