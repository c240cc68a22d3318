"""Reflection of databases Warden did not create: vec0 tables, enums in CHECKs, JSON in TEXT, BLOB vectors."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import warnings
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SAWarning

from core.engine.db import Database
from core.schema import keys, pg_tables, sqlite_read, sqlite_tables
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
    foreign_keys_of,
    spec_column_info,
)
from core.schema.kinds import ColumnKind
from core.schema.stored_times import STORED_TIME_KINDS
from core.schema.table_spec import TableSpec

VEC0_RE = re.compile(r"create\s+virtual\s+table\s+\"?(\w+)\"?\s+using\s+vec0\s*\((.*)\)\s*$", re.I | re.S)
VEC0_COL_RE = re.compile(r"^\+?\"?(\w+)\"?\s+(\w+)(?:\s*\[\s*(\d+)\s*\])?(.*)$", re.S)
ENUM_CHECK_RE = re.compile(r"\"?(\w+)\"?\s*\)?(?:::\w+(?: varying)?)?\s*(?:IN\s*\(|=\s*ANY\s*\()", re.I)
JSON_NAME_HINTS = ("json", "metadata", "payload", "settings", "properties", "attributes", "data")
VECTOR_NAME_HINTS = ("embed", "vector", "vec")
SAMPLE_ROWS = 20


def table_names(db: Database) -> list[str]:
    """User tables and views, without any virtual table's shadow tables or SQLite internals."""
    if db.backend == "postgresql":  # every schema the user can see, partitions under their table
        return [r.entity for r in pg_tables.read_layout(db).entities()]
    insp = sa.inspect(db.engine)
    names = list(insp.get_table_names()) + list(insp.get_view_names())
    if db.backend != "sqlite":
        return names
    vec0 = vec0_tables(db)
    shadows = sqlite_tables.shadow_tables(db, names, sqlite_tables.virtual_tables(db))
    return [n for n in names if n not in shadows and not n.startswith("sqlite_")] + [
        v for v in vec0 if v not in names
    ]


def vec0_tables(db: Database) -> dict[str, str]:
    """sqlite-vec virtual tables by name, with their column declarations."""
    found = {}
    for name, sql in sqlite_tables.virtual_table_sql(db):
        m = VEC0_RE.match(sql)
        if m:
            found[name] = m.group(2)
    return found


def reflect_entities(db: Database, names: list[str]) -> list[Entity]:
    """Reflect the named tables and views into entities of the 'Other' group."""
    if db.backend == "sqlite":
        return _reflect_sqlite(db, names)
    vec0: dict[str, str] = {}
    virtual: dict[str, sqlite_tables.VirtualTable] = {}
    plain = list(names)
    md = sa.MetaData()
    layout = pg_tables.read_layout(db) if db.backend == "postgresql" else None
    with warnings.catch_warnings():
        # Unknown column types (e.g. from extensions) reflect as NullType; that is expected here.
        warnings.simplefilter("ignore", SAWarning)
        if layout is not None:
            tables = pg_tables.reflect_tables(db, md, plain, layout)
        else:
            md.reflect(bind=db.engine, only=plain, views=True)
            tables = {name: md.tables[name] for name in plain}
    insp = sa.inspect(db.engine)
    views = set(insp.get_view_names())
    rowids = keys.rowid_tables(db.engine) if db.backend == "sqlite" else set()
    out: list[Entity] = []
    for name in plain:
        table = tables[name]
        # Before the columns are read: a table keyed by its rowid gains a rowid column (core/schema/keys.py).
        key = None if name in views else keys.choose_key(table, db.backend, has_rowid=name in rowids)
        dialect = db.engine.dialect
        columns = tuple(column_info(c, dialect) for c in table.columns)
        samples = _sample(db, table.name, table.schema, _sampled(columns))
        columns = _refine_columns(db, columns, _check_enums(db, insp, table.name, table.schema), samples)
        fks = foreign_keys_of(table)
        version = _version_column(columns)
        view = name in views
        out.append(
            entity_from_table(
                table,
                dialect,
                columns=columns,
                foreign_keys=fks,
                version_column=version,
                kind=EntityKind.VIEW if view else EntityKind.TABLE,
                read_only_reason="it is a view" if view else None,
                key=key,
            )
        )
    out.extend(_vec0_entity(db, name, decl) for name, decl in vec0.items() if name in names)
    out.extend(
        sqlite_tables.virtual_entities(db, virtual, [n for n in names if n in virtual and n not in vec0])
    )
    return pg_tables.place_entities(out, layout) if layout is not None else out


def _reflect_sqlite(db: Database, names: list[str]) -> list[Entity]:
    """Reflect SQLite tables and views from one pass of pragmas (core/schema/sqlite_read.py)."""
    vec0 = vec0_tables(db)
    virtual = sqlite_tables.virtual_tables(db)
    plain = [n for n in names if n not in vec0 and n not in virtual]
    read = sqlite_read.read_tables(db, plain)
    rowids = keys.rowid_tables(db.engine)
    known = {name.lower(): name for name in read.sql}
    out: list[Entity] = []
    with db.engine.connect() as conn:  # one connection for every sample: a new one reads the schema again
        for name in plain:
            entity = _sqlite_entity(db, conn, name, read, rowids, known)
            if entity is not None:
                out.append(entity)
    out.extend(_vec0_entity(db, name, decl) for name, decl in vec0.items() if name in names)
    out.extend(
        sqlite_tables.virtual_entities(db, virtual, [n for n in names if n in virtual and n not in vec0])
    )
    return out


def _sqlite_entity(
    db: Database,
    conn: sa.Connection,
    name: str,
    read: sqlite_read.SqliteTables,
    rowids: set[str],
    known: dict[str, str],
) -> Entity | None:
    """One SQLite table or view as an entity, from what the pass read and a sample of its rows."""
    dialect = db.engine.dialect
    spec = read.specs.get(name)
    if spec is None:
        return _unreadable_entity(db, name, read.unreadable[name]) if name in read.unreadable else None
    view = name in read.views
    key = None
    if not view:
        spec, key = keys.choose_spec_key(
            spec, read.unique_sets.get(name, ()), db.backend, has_rowid=name in rowids
        )
    columns = tuple(spec_column_info(c, spec, dialect) for c in spec.columns)
    samples = sample_rows(db, conn, name, None, _sampled(columns))
    columns = _refine_columns(db, columns, enums_in(read.check_texts(name)), samples)
    fks = tuple(
        sorted(
            (_spec_foreign_key(db, name, fk, read, known) for fk in read.foreign_keys.get(name, ())),
            key=lambda fk: list(fk.columns),
        )
    )
    return entity_from_table(
        spec,
        dialect,
        columns=columns,
        foreign_keys=fks,
        version_column=_version_column(columns),
        kind=EntityKind.VIEW if view else EntityKind.TABLE,
        read_only_reason="it is a view" if view else None,
        key=key,
    )


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


def _check_enums(
    db: Database, insp: Any, table: str, schema: str | None = None
) -> dict[str, tuple[str, ...]]:
    """Enum values declared as `col IN ('a', 'b')` CHECK constraints."""
    try:
        checks = insp.get_check_constraints(table, schema=schema)
    except NotImplementedError:
        return {}
    return enums_in([c.get("sqltext", "") for c in checks])


def enums_in(texts: list[str]) -> dict[str, tuple[str, ...]]:
    """Enum values of the CHECK constraints among `texts` that read `col IN ('a', 'b')`, by column."""
    found: dict[str, tuple[str, ...]] = {}
    for text in texts:
        m = ENUM_CHECK_RE.search(text)
        values = re.findall(r"'((?:[^']|'')*)'", text)
        if m and values:
            found[m.group(1)] = tuple(v.replace("''", "'") for v in values)
    return found


def _textual(cols: tuple[ColumnInfo, ...]) -> list[str]:
    return [c.name for c in cols if c.kind in (ColumnKind.TEXT, ColumnKind.STRING, ColumnKind.OTHER)]


def _blobs(cols: tuple[ColumnInfo, ...]) -> list[str]:
    return [c.name for c in cols if c.kind in (ColumnKind.BINARY, ColumnKind.OTHER)]


def _sampled(cols: tuple[ColumnInfo, ...]) -> list[str]:
    """The columns whose values say more than their type: text that may hold JSON, BLOBs that may be
    vectors."""
    return list(dict.fromkeys(_textual(cols) + _blobs(cols)))


def _refine_columns(
    db: Database,
    cols: tuple[ColumnInfo, ...],
    enums: dict[str, tuple[str, ...]],
    samples: dict[str, list[Any]],
) -> tuple[ColumnInfo, ...]:
    """Find enums in CHECKs, JSON kept as TEXT and float32 BLOB vectors by looking at the data."""
    textual, blobs = _textual(cols), _blobs(cols)
    out = []
    for c in cols:
        if c.name in enums and c.kind in (ColumnKind.STRING, ColumnKind.TEXT, ColumnKind.OTHER):
            c = dataclasses.replace(c, kind=ColumnKind.ENUM, enum_values=enums[c.name])
        elif c.name in textual and _looks_like_json(c.name, samples.get(c.name, [])):
            c = dataclasses.replace(c, kind=ColumnKind.JSON)
        elif c.name in blobs:
            dim = _blob_vector_dim(c.name, samples.get(c.name, []))
            if dim:
                c = dataclasses.replace(c, kind=ColumnKind.VECTOR, vector_dim=dim)
        elif c.kind in STORED_TIME_KINDS and db.backend == "sqlite":
            # Another app's spelling ('2026-01-01 10:00:00', '…T…Z'), not SQLAlchemy's '….000000'.
            c = dataclasses.replace(c, times_as_text=True)
        out.append(c)
    return tuple(out)


def _sample(db: Database, table: str, schema: str | None, names: list[str]) -> dict[str, list[Any]]:
    """Up to SAMPLE_ROWS values of each named column that are not NULL (see sample_rows)."""
    if not names:
        return {}
    with db.engine.connect() as conn:
        return sample_rows(db, conn, table, schema, names)


def sample_rows(
    db: Database, conn: sa.Connection, table: str, schema: str | None, names: list[str]
) -> dict[str, list[Any]]:
    """Up to SAMPLE_ROWS values of each named column that are not NULL: one query for the first rows of
    the table, and one more per column only where those rows held no value of it and there may be more."""
    out: dict[str, list[Any]] = {name: [] for name in names}
    if not names:
        return out
    relation = ".".join(_quote(db, p) for p in (schema, table) if p)
    listed = ", ".join(_quote(db, n) for n in names)
    try:
        rows = conn.exec_driver_sql(f"SELECT {listed} FROM {relation} LIMIT {SAMPLE_ROWS}").all()
    except sa.exc.DBAPIError:
        return out
    for row in rows:
        for name, value in zip(names, row, strict=True):
            if value is not None:
                out[name].append(value)
    if len(rows) < SAMPLE_ROWS:
        return out
    for name in [n for n in names if not out[n]]:  # sparse: look further than the first rows
        col = _quote(db, name)
        sql = f"SELECT {col} FROM {relation} WHERE {col} IS NOT NULL LIMIT {SAMPLE_ROWS}"
        with contextlib.suppress(sa.exc.DBAPIError):
            out[name] = [r[0] for r in conn.exec_driver_sql(sql)]
    return out


def _quote(db: Database, name: str) -> str:
    return db.engine.dialect.identifier_preparer.quote(name)


def _looks_like_json(name: str, values: list[Any]) -> bool:
    """JSON kept as TEXT: a JSON-ish name, or every sampled value a JSON object or array."""
    strings = [v for v in values if isinstance(v, str)]
    parsed = 0
    for v in strings:
        s = v.strip()
        if not s or s[0] not in "{[":
            return False
        try:
            json.loads(s)
        except ValueError:
            return False
        parsed += 1
    if parsed:
        return True
    return not strings and any(h in name.lower() for h in JSON_NAME_HINTS if h != "data")


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
        read_only_reason="it is a sqlite-vec vec0 virtual table; Warden shows it read-only",
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
