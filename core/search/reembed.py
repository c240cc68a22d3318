"""Filling vector columns: how many rows have no vector, and (re-)embedding missing, stale, all or chosen
rows in batches.

Each batch is read, embedded (identical texts once) and written in its own transaction, so a cancel keeps
what is done. Vectors are bound parameters of the column's type (pgvector on PostgreSQL, sqlite-vec's
float32 BLOB on SQLite). The version counter is not touched: a vector is derived from the row's text, and an
editor holding the row must still be able to save it. With an audit log in the database, each written row
gets an "update" entry of its vector (before and after), so it can be reverted like any other edit.
Where the database keeps the embedding state (core/search/stale.py), each written row's text hash and model
are recorded in the same transaction as its vector.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa
from pgvector.sqlalchemy import VECTOR

from core.data.audit_trail import AUDIT_OFF, Auditing, Trail, _insert, audit_entity, plain
from core.data.query import coerce_key, column, entity_of, key_predicate
from core.engine.db import Database
from core.errors import FieldProblem, ValidationError
from core.progress import TaskState
from core.schema.catalog import Catalog, Entity, VectorInfo, VectorStorage
from core.search import stale
from core.search.embeddings import Embedder
from core.search.targets import vector_of
from core.search.texts import REFERENCE_TEXT, row_text, text_sources

__all__ = [
    "BATCH_ROWS",
    "REFERENCE_TEXT",
    "WORLD_ENTITIES",
    "EmbedResult",
    "TaskShare",
    "count_missing",
    "embed_rows",
    "fill_missing",
    "row_text",
    "text_sources",
]

#: Rows per batch: one read, one embedding call and one write transaction each.
BATCH_ROWS = 256
#: The entities the default database fills in the background on first start.
WORLD_ENTITIES = ("locations", "npcs", "objects", "regions")
#: The reason an embedding's audit entries give when the caller gives none.
AUDIT_REASON = "embedding from the row's text"

Which = Literal["missing", "stale", "all"]


@dataclass(frozen=True)
class EmbedResult:
    """What one run wrote: rows given a vector, rows skipped for having no text, distinct texts embedded."""

    entity: str
    column: str
    written: int
    skipped: int
    embedded: int


def count_missing(
    db: Database, catalog: Catalog, entity: Entity | str, column_name: str | None = None
) -> int:
    """How many rows of the entity have no vector in the column (NULL)."""
    ent = entity_of(catalog, entity)
    info = vector_of(ent, column_name)
    if info.storage == VectorStorage.VEC0:
        return 0  # a vec0 row always holds its vector
    stmt = sa.select(sa.func.count()).select_from(ent.table).where(column(ent, info.column).is_(None))
    with db.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def embed_rows(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    embedder: Embedder,
    *,
    column_name: str | None = None,
    which: Which | Sequence[dict[str, Any]] = "missing",
    state: TaskState | None = None,
    batch_rows: int = BATCH_ROWS,
    auditing: Auditing | None = None,
    sources: Sequence[str] | None = None,
) -> EmbedResult:
    """Embed the rows' text and store the vectors: rows without one ("missing"), rows without one or whose
    text or model changed since embedded ("stale"), every row ("all"), or the rows with the given keys.
    Batches of `batch_rows`, each in its own transaction; progress and cancel through `state` (a cancel
    raises Cancelled after the last finished batch, which stays written).

    `sources` names the columns the text is read from (default: text_sources), e.g. a short text for
    pictures and tests. Audited (an "update" entry per row) when the database has an audit log and
    `auditing` is not off.
    """
    ent = entity_of(catalog, entity)
    info = vector_of(ent, column_name)
    if not ent.primary_key:
        raise ValidationError([FieldProblem(ent.name, f"{ent.name} has no key, so its rows cannot be named")])
    if embedder.dimension != info.dimension:
        raise ValidationError(
            [
                FieldProblem(
                    info.column,
                    f"{embedder.name} makes {embedder.dimension}-dimensional vectors but {ent.name}."
                    f"{info.column} holds {info.dimension}; choose a provider of the column's size",
                )
            ]
        )
    if ent.read_only:
        raise ValidationError([FieldProblem(ent.name, f"{ent.name} is read-only: {ent.read_only_reason}")])
    sources = list(sources) if sources is not None else text_sources(ent)
    keys = [column(ent, n) for n in ent.primary_key]
    texts = [column(ent, n) for n in sources]
    vec = column(ent, info.column)
    tracked = stale.has_state_table(catalog) and info.storage != VectorStorage.VEC0
    source: sa.FromClause = ent.table
    where: list[sa.ColumnElement[bool]] = []
    chosen: list[dict[str, Any]] | None = None
    if which == "missing" or which == "stale":
        if info.storage == VectorStorage.VEC0:
            return EmbedResult(ent.name, info.column, 0, 0, 0)
        if which == "stale" and tracked:
            source, st = stale.stale_join(ent, info.column, db.backend)
            changed = stale.changed_condition(ent, info.column, st, sources, db.backend, embedder.name)
            where.append(sa.or_(vec.is_(None), changed))
        else:
            where.append(vec.is_(None))
    elif which != "all":
        chosen = [coerce_key(ent, dict(k)) for k in which]
    # What each row's state records: its key and text hash, read with its text (the same snapshot).
    marks = [stale.key_text(ent, db.backend), stale.text_hash(ent, sources, db.backend)] if tracked else []
    if db.profile is not None and (auditing is None or auditing.profile == "default"):
        auditing = dataclasses.replace(auditing or Auditing(), profile=db.profile)  # entries name the profile
    trail = _trail(catalog, auditing)
    writer = _writer(ent, info, db.backend)
    total = len(chosen) if chosen is not None else _count(db, source, where)
    done = written = skipped = embedded = 0
    last: tuple[Any, ...] | None = None
    label = f"Embedding {ent.name}"
    if state is not None:
        state.set_progress(0, total, label)
    while True:
        if state is not None:
            state.check()
        stmt = sa.select(*keys, *texts, *marks, _raw(vec, db.backend) if trail else sa.null()).select_from(
            source
        )
        if chosen is not None:
            batch_keys = chosen[done : done + batch_rows]
            if not batch_keys:
                break
            stmt = stmt.where(sa.or_(*(key_predicate(ent, k) for k in batch_keys)))
        else:
            after = [sa.tuple_(*keys) > sa.tuple_(*last)] if last is not None else []
            stmt = stmt.where(*where, *after).order_by(*keys).limit(batch_rows)
        with db.engine.connect() as conn:
            if tracked:
                stale.prepare(conn)
            rows = conn.execute(stmt).all()
        if not rows:
            break
        width = len(keys)
        last = tuple(rows[-1][:width])
        after_text = width + len(sources)
        todo = [
            (tuple(r[:width]), row_text(r[width:after_text]), r[-1], tuple(r[after_text:-1])) for r in rows
        ]
        skipped += sum(1 for t in todo if not t[1])
        todo = [t for t in todo if t[1]]
        if todo:
            unique = list(dict.fromkeys(t[1] for t in todo))
            vectors = dict(zip(unique, np.asarray(embedder.embed(unique), dtype=np.float32), strict=True))
            embedded += len(unique)
            with db.transaction() as conn:  # readies a file opened read-only until its first write
                writer(conn, [(key, vectors[text]) for key, text, _, _ in todo])
                if trail is not None:
                    trail(conn, ent, info, [(key, old, vectors[text]) for key, text, old, _ in todo])
                if tracked:
                    stale.record_state(
                        conn, ent, info.column, embedder.name, [(m[0], m[1]) for *_, m in todo]
                    )
            written += len(todo)
        done += len(rows) if chosen is None else len(batch_keys)
        if state is not None:
            state.set_progress(min(done, total), total, label)
        if chosen is None and len(rows) < batch_rows:
            break
    return EmbedResult(ent.name, info.column, written, skipped, embedded)


def fill_missing(
    db: Database,
    catalog: Catalog,
    embedder: Callable[[], Embedder],
    entities: Sequence[str] = WORLD_ENTITIES,
    *,
    state: TaskState | None = None,
    auditing: Auditing | None = AUDIT_OFF,
    batch_rows: int = BATCH_ROWS,
) -> int:
    """Embed the rows without a vector of each of `entities` (those the catalog has, first vector column),
    with one progress over all of them; the rows written. `embedder` is called only when a row is missing,
    so a database already filled never loads the model.

    Audit is off by default: this completes the demo data the seeder wrote (also unaudited), and thousands
    of entries of vectors would bury the edits people made in the audit log.
    """
    todo: list[tuple[Entity, int]] = []
    for name in entities:
        if name not in catalog.entities:
            continue
        ent = catalog.get(name)
        if ent.vectors and ent.primary_key and not ent.read_only:
            missing = count_missing(db, catalog, ent)
            if missing:
                todo.append((ent, missing))
    total = sum(n for _, n in todo)
    if not total:
        return 0
    if state is not None:
        state.check()  # before the model loads: a window closed at once does not wait for it
    model = embedder()
    done = written = 0
    for ent, missing in todo:
        part = TaskShare(state, done, total) if state is not None else None
        result = embed_rows(
            db, catalog, ent, model, which="missing", state=part, auditing=auditing, batch_rows=batch_rows
        )
        written += result.written
        done += missing
    if state is not None:
        state.set_progress(total, total, "Embedding done")
    return written


class TaskShare(TaskState):
    """One entity's share of a longer run (a fill, a re-embed of several columns): its progress reported as
    part of the whole, its cancel the whole's."""

    def __init__(self, whole: TaskState, offset: int, total: int) -> None:
        super().__init__()
        self.whole, self.offset, self.total = whole, offset, total

    def set_progress(self, done: int, total: int | None = None, message: str = "") -> None:
        self.whole.set_progress(self.offset + done, self.total, message)

    def check(self) -> None:
        self.whole.check()

    @property
    def cancelled(self) -> bool:
        return self.whole.cancelled


# --- writing --------------------------------------------------------------------------------------

#: Writes (key values, vector) pairs in the caller's transaction.
Writer = Callable[[sa.Connection, list[tuple[tuple[Any, ...], np.ndarray]]], None]
#: Records (key values, stored vector, new vector) triples in the audit log, in the same transaction.
Recorder = Callable[[sa.Connection, Entity, VectorInfo, list[tuple[tuple[Any, ...], Any, np.ndarray]]], None]


def _count(db: Database, source: sa.FromClause, where: list[sa.ColumnElement[bool]]) -> int:
    with db.engine.connect() as conn:
        stale.prepare(conn)
        return int(conn.execute(sa.select(sa.func.count()).select_from(source).where(*where)).scalar_one())


def _raw(vec: sa.ColumnElement[Any], backend: str) -> sa.ColumnElement[Any]:
    """The stored vector for the audit entry's "before": bytes on SQLite, pgvector's array otherwise."""
    return sa.type_coerce(vec, sa.LargeBinary) if backend == "sqlite" else vec


def _writer(ent: Entity, info: VectorInfo, backend: str) -> Writer:
    """An executemany UPDATE of the vector column by key, every value a bound parameter."""
    table = ent.table
    key_params = {n: f"_key_{i}" for i, n in enumerate(ent.primary_key)}
    stmt = sa.update(table).where(
        *(column(ent, n) == sa.bindparam(p, type_=column(ent, n).type) for n, p in key_params.items())
    )
    if backend == "postgresql":
        value: sa.BindParameter[Any] = sa.bindparam("_vector", type_=VECTOR(info.dimension))
    else:
        value = sa.bindparam("_vector", type_=sa.LargeBinary)
    stmt = stmt.values({info.column: value})

    def write(conn: sa.Connection, rows: list[tuple[tuple[Any, ...], np.ndarray]]) -> None:
        params = []
        for key, vector in rows:
            v: Any = vector if backend == "postgresql" else vector.astype("<f4").tobytes()
            params.append({"_vector": v, **{p: key[i] for i, p in enumerate(key_params.values())}})
        conn.execute(stmt, params)

    return write


def _trail(catalog: Catalog, auditing: Auditing | None) -> Recorder | None:
    """A recorder of one "update" entry per embedded row, or None without an audit log or with audit off."""
    how = auditing if auditing is not None else Auditing()
    log = audit_entity(catalog)
    if log is None or not how.enabled:
        return None
    if how.reason is None:
        how = dataclasses.replace(how, reason=AUDIT_REASON)

    def record(
        conn: sa.Connection,
        ent: Entity,
        info: VectorInfo,
        rows: list[tuple[tuple[Any, ...], Any, np.ndarray]],
    ) -> None:
        trail = Trail(log.table, how)
        entries = []
        for key, old, new in rows:
            before = None if old is None else _as_list(old)
            row_key = {n: plain(v) for n, v in zip(ent.primary_key, key, strict=True)}
            entries.append(
                (ent.name, row_key, "update", {info.column: before}, {info.column: plain(new)}, None)
            )
        # The save's own recorder and INSERT … SELECT: entries in exactly the format revert reads.
        _insert(conn, log.table, trail._common(), entries)

    return record


def _as_list(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return plain(np.frombuffer(bytes(value), dtype="<f4"))
    return plain(np.asarray(value, dtype=np.float32))
