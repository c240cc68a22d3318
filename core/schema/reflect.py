"""Reflection of databases Warden did not create: vec0 tables, enums in CHECKs, JSON in TEXT, BLOB vectors."""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SAWarning

from core.engine.db import Database
from core.schema import keys, pg_tables, sqlite_tables
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
)
from core.schema.kinds import ColumnKind
from core.schema.stored_times import STORED_TIME_KINDS

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
    vec0 = vec0_tables(db) if db.backend == "sqlite" else {}
    virtual = sqlite_tables.virtual_tables(db) if db.backend == "sqlite" else {}
    plain = [n for n in names if n not in vec0 and n not in virtual]
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
        columns = _refine_columns(
            db,
            table,
            tuple(column_info(c, dialect) for c in table.columns),
            _check_enums(db, insp, table.name, table.schema),
        )
        fks = foreign_keys_of(table)
        if db.backend == "sqlite":
            fks = _sqlite_ondelete(db, name, fks)
        version = next(
            (c.name for c in columns if c.name in ("version", "version_id") and c.kind == ColumnKind.INTEGER),
            None,
        )
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


def _sqlite_ondelete(db: Database, table: str, fks: tuple[ForeignKeyInfo, ...]) -> tuple[ForeignKeyInfo, ...]:
    """Fill ON DELETE actions that SQLAlchemy's SQLite reflection drops for column-level REFERENCES."""
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"PRAGMA foreign_key_list({_quote(db, table)})").mappings().all()
    actions: dict[tuple[str, tuple[str, ...]], str] = {}
    by_id: dict[int, list[Any]] = {}
    for r in rows:
        by_id.setdefault(r["id"], []).append(r)
    for parts in by_id.values():
        parts.sort(key=lambda r: r["seq"])
        actions[(parts[0]["table"], tuple(r["from"] for r in parts))] = str(parts[0]["on_delete"]).upper()
    out = []
    for fk in fks:
        action = actions.get((fk.target, fk.columns))
        if action and action != "NO ACTION" and not fk.ondelete:
            fk = dataclasses.replace(fk, ondelete=fk_action(action))
        out.append(fk)
    return tuple(out)


def _check_enums(
    db: Database, insp: Any, table: str, schema: str | None = None
) -> dict[str, tuple[str, ...]]:
    """Enum values declared as `col IN ('a', 'b')` CHECK constraints."""
    try:
        checks = insp.get_check_constraints(table, schema=schema)
    except NotImplementedError:
        return {}
    texts = [c.get("sqltext", "") for c in checks]
    if db.backend == "sqlite":
        with db.engine.connect() as conn:
            sql = conn.exec_driver_sql("select sql from sqlite_master where name = ?", (table,)).scalar()
        # SQLite reflection misses unnamed CHECKs; read them from the CREATE statement.
        texts += re.findall(r"CHECK\s*\((.*?\))\s*\)", sql or "", re.I | re.S)
    found: dict[str, tuple[str, ...]] = {}
    for text in texts:
        m = ENUM_CHECK_RE.search(text)
        values = re.findall(r"'((?:[^']|'')*)'", text)
        if m and values:
            found[m.group(1)] = tuple(v.replace("''", "'") for v in values)
    return found


def _refine_columns(
    db: Database, table: sa.Table, cols: tuple[ColumnInfo, ...], enums: dict[str, tuple[str, ...]]
) -> tuple[ColumnInfo, ...]:
    """Find enums in CHECKs, JSON kept as TEXT and float32 BLOB vectors by looking at the data."""
    textual = [c.name for c in cols if c.kind in (ColumnKind.TEXT, ColumnKind.STRING, ColumnKind.OTHER)]
    blobs = [c.name for c in cols if c.kind in (ColumnKind.BINARY, ColumnKind.OTHER)]
    samples = _sample(db, table, textual + blobs)
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


def _sample(db: Database, table: sa.Table, names: list[str]) -> dict[str, list[Any]]:
    if not names:
        return {}
    out: dict[str, list[Any]] = {}
    with db.engine.connect() as conn:
        for name in names:
            col: sa.ColumnClause[Any] = sa.literal_column(_quote(db, name))
            stmt = (
                sa.select(col)
                .select_from(sa.table(table.name, schema=table.schema))
                .where(col.is_not(None))
                .limit(SAMPLE_ROWS)
            )
            try:
                out[name] = [r[0] for r in conn.execute(stmt)]
            except sa.exc.DBAPIError:
                out[name] = []
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
