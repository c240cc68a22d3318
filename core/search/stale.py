"""Stale embeddings: what each stored vector was embedded from, and which rows no longer match it.

For every row a Warden run embeds, the embedding state table (core/schema/models/embedding_state.py) keeps
the hash of the row's text and the model's name. A row is stale when it has no vector, or its text's hash or
the model differs now; a row with a vector but no record was embedded elsewhere ("not tracked") and is left
alone, since its vectors may come from a model Warden does not know.

The hash is computed by the database, the same expression when a run reads a row and when rows are counted,
so counting is one query (an outer join of the entity with its state) however many rows there are.
PostgreSQL has md5(); on SQLite the same hash is a Python function registered on the connection at hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.data.query import coerce_key, column, entity_of, key_predicate
from core.engine.db import Database
from core.schema.catalog import Catalog, Entity, VectorStorage
from core.schema.models import metadata
from core.schema.models.embedding_state import EMBEDDING_STATE_TABLE
from core.search.targets import vector_of
from core.search.texts import text_sources

__all__ = [
    "EMBEDDING_STATE_TABLE",
    "StaleCount",
    "count_stale",
    "ensure_state_table",
    "has_state_table",
    "key_text",
    "prepare",
    "record_state",
    "stale_join",
    "stale_keys",
    "text_hash",
]

log = logging.getLogger("warden.search.stale")

#: Between the parts of a row's key and of its text in what is hashed (a character no text holds).
SEP = "\x1f"
#: The SQLite function that hashes a row's text parts like PostgreSQL's md5 of them joined.
HASH_FUNCTION = "warden_text_hash"


@dataclass(frozen=True)
class StaleCount:
    """One vector column's rows: without a vector, changed since embedded, embedded elsewhere, in all."""

    entity: str
    column: str
    missing: int
    changed: int
    untracked: int
    total: int
    tracked: bool  # whether the database keeps the embedding state (without it only `missing` is known)

    @property
    def stale(self) -> int:
        """The rows a re-embed of stale rows writes: no vector, or text or model changed."""
        return self.missing + self.changed


def state_table() -> sa.Table:
    """The embedding state table of the reference models."""
    return metadata.tables[EMBEDDING_STATE_TABLE]


def has_state_table(catalog: Catalog) -> bool:
    """Whether this database keeps the embedding state (its catalog lists the table)."""
    return EMBEDDING_STATE_TABLE in catalog.entities


def ensure_state_table(db: Database) -> bool:
    """Create the embedding state table in `db` if it has none; whether it was created. Call it only after
    the user agreed: it adds a table to their database. The catalog must be loaded again to list it."""
    db.allow_writes()  # ReadOnlyError on a database opened read-only; a foreign file becomes writable here
    with db.engine.begin() as conn:
        if sa.inspect(conn).has_table(EMBEDDING_STATE_TABLE):
            return False
        state_table().create(conn)
    log.info("created the embedding state table on %s", db.display_url)
    return True


def _hash_parts(*parts: Any) -> str:
    return hashlib.md5(
        SEP.join("" if p is None else str(p) for p in parts).encode(), usedforsecurity=False
    ).hexdigest()


def prepare(conn: sa.Connection) -> None:
    """Make text_hash usable on this connection (SQLite: register its function; PostgreSQL has md5)."""
    if conn.dialect.name == "sqlite":
        raw: Any = conn.connection.driver_connection
        raw.create_function(HASH_FUNCTION, -1, _hash_parts, deterministic=True)


def text_hash(ent: Entity, sources: Sequence[str], backend: str) -> sa.ColumnElement[str]:
    """The hash of the row's text columns, computed by the database (a row of text at most once)."""
    cols = [column(ent, n) for n in sources]
    if backend == "postgresql":
        parts: list[sa.ColumnElement[Any]] = []
        for i, c in enumerate(cols):
            if i:
                parts.append(sa.literal(SEP))
            parts.append(sa.func.coalesce(sa.cast(c, sa.Text), ""))
        return sa.func.md5(sa.func.concat(*parts), type_=sa.String)
    hashed: sa.ColumnElement[str] = getattr(sa.func, HASH_FUNCTION)(*cols, type_=sa.String)
    return hashed


def key_text(ent: Entity, backend: str) -> sa.ColumnElement[str]:
    """The row's key values as one text (the state's row_key), computed by the database; the same text on
    both backends for the same key (UUIDs as 32 hex digits, bytes as hex), so a copy keeps its state."""
    texts = [_key_part(column(ent, n), backend) for n in ent.primary_key]
    out: sa.ColumnElement[str] = texts[0]
    for t in texts[1:]:
        out = out.concat(SEP).concat(t)
    return out


def _key_part(col: sa.Column[Any], backend: str) -> sa.ColumnElement[str]:
    """One key column as text (SQLite stores a UUID as 32 hex digits; PostgreSQL's text of one has dashes)."""
    if backend == "postgresql":
        if isinstance(col.type, sa.Uuid):
            return sa.func.replace(sa.cast(col, sa.Text), "-", "", type_=sa.Text)
        if isinstance(col.type, sa.LargeBinary):
            return sa.func.upper(sa.func.encode(col, "hex", type_=sa.Text), type_=sa.Text)
        return sa.cast(col, sa.Text)
    # A BLOB key (other tools' files) as hex; anything else as its text.
    blob = sa.func.typeof(col) == "blob"
    return sa.case((blob, sa.func.hex(col, type_=sa.Text)), else_=sa.cast(col, sa.Text))


def stale_join(
    ent: Entity, column_name: str, backend: str, state: sa.Table | None = None
) -> tuple[sa.FromClause, sa.Table]:
    """The entity outer-joined to its rows' embedding state for `column_name`, and the state table."""
    st = state if state is not None else state_table()
    on = sa.and_(
        st.c.entity == ent.name, st.c["column"] == column_name, st.c.row_key == key_text(ent, backend)
    )
    return ent.table.outerjoin(st, on), st


def changed_condition(
    ent: Entity, column_name: str, st: sa.Table, sources: Sequence[str], backend: str, model: str | None
) -> sa.ColumnElement[bool]:
    """A tracked row with a vector whose text (or, given `model`, the model) differs from its record."""
    differs = st.c.text_hash != text_hash(ent, sources, backend)
    if model is not None:
        differs = sa.or_(differs, st.c.model != model)
    return sa.and_(column(ent, column_name).is_not(None), st.c.row_key.is_not(None), differs)


def count_stale(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    column_name: str | None = None,
    *,
    model: str | None = None,
    sources: Sequence[str] | None = None,
) -> StaleCount:
    """How many rows have no vector, changed their text (or, given `model`, were embedded by another model)
    since embedded, or carry a vector Warden did not write; one query."""
    ent = entity_of(catalog, entity)
    info = vector_of(ent, column_name)
    tracked = has_state_table(catalog)
    if info.storage == VectorStorage.VEC0 or not ent.primary_key:
        return StaleCount(ent.name, info.column, 0, 0, 0, 0, False)  # a vec0 row always holds its vector
    vec = column(ent, info.column)
    missing = sa.func.count().filter(vec.is_(None))
    if not tracked:
        with db.engine.connect() as conn:
            m, total = conn.execute(sa.select(missing, sa.func.count()).select_from(ent.table)).one()
        return StaleCount(ent.name, info.column, int(m), 0, 0, int(total), False)
    src = list(sources) if sources is not None else text_sources(ent)
    joined, st = stale_join(ent, info.column, db.backend)
    changed = changed_condition(ent, info.column, st, src, db.backend, model)
    untracked = sa.and_(vec.is_not(None), st.c.row_key.is_(None))
    stmt = sa.select(
        missing, sa.func.count().filter(changed), sa.func.count().filter(untracked), sa.func.count()
    ).select_from(joined)
    with db.engine.connect() as conn:
        prepare(conn)
        m, c, u, total = conn.execute(stmt).one()
    return StaleCount(ent.name, info.column, int(m), int(c), int(u), int(total), True)


def record_state(
    conn: sa.Connection, ent: Entity, column_name: str, model: str, rows: Sequence[tuple[str, str]]
) -> None:
    """Record (row key text, text hash) pairs as embedded by `model` now, in the caller's transaction."""
    if not rows:
        return
    st = state_table()
    conn.execute(
        sa.delete(st).where(
            st.c.entity == ent.name, st.c["column"] == column_name, st.c.row_key == sa.bindparam("_key")
        ),
        [{"_key": k} for k, _ in rows],
    )
    now = dt.datetime.now(dt.UTC)
    conn.execute(
        sa.insert(st),
        [
            {"entity": ent.name, "column": column_name, "row_key": k, "text_hash": h, "model": model,
             "embedded_at": now}
            for k, h in rows
        ],
    )  # fmt: skip


def stale_keys(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    column_name: str | None,
    keys: Sequence[dict[str, Any]],
    *,
    model: str | None = None,
    batch: int = 500,
) -> list[dict[str, Any]]:
    """Which of the rows with `keys` are stale (no vector, or text or model changed): after a save, the rows
    whose text it changed. Rows embedded elsewhere are left alone; without the state table, only the rows
    without a vector are known."""
    ent = entity_of(catalog, entity)
    info = vector_of(ent, column_name)
    if info.storage == VectorStorage.VEC0 or not ent.primary_key or not keys:
        return []
    vec = column(ent, info.column)
    cols = [column(ent, n) for n in ent.primary_key]
    source: sa.FromClause = ent.table
    stale: sa.ColumnElement[bool] = vec.is_(None)
    if has_state_table(catalog):
        source, st = stale_join(ent, info.column, db.backend)
        changed = changed_condition(ent, info.column, st, text_sources(ent), db.backend, model)
        stale = sa.or_(stale, changed)
    found: list[dict[str, Any]] = []
    coerced = [coerce_key(ent, dict(k)) for k in keys]
    with db.engine.connect() as conn:
        prepare(conn)
        for start in range(0, len(coerced), batch):
            chunk = coerced[start : start + batch]
            stmt = (
                sa.select(*cols)
                .select_from(source)
                .where(stale, sa.or_(*(key_predicate(ent, k) for k in chunk)))
            )
            found += [dict(zip(ent.primary_key, row, strict=True)) for row in conn.execute(stmt)]
    return found
