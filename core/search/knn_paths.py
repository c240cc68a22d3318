"""The ways k-NN is answered, one function each: sqlite-vec (functions, or vec0's own MATCH), pgvector
(exactly, or through an HNSW index with an exact fallback), and numpy over the stored vectors. Each returns
plain hits, nearest first, ties in key order; core/search/knn.py chooses between them."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from core.data.query import Filter, column, count_rows
from core.schema.catalog import Entity, VectorInfo, VectorStorage
from core.search import knn_numpy
from core.search.knn_hnsw import HnswIndex, hnsw_index, index_rows, plan_mode, reads_alone
from core.search.knn_sql import Metric, distance_expr, has_vector, query_param, vec0_match

#: The filters vec0 applies to its metadata columns inside its own k-NN ("ne" is IS DISTINCT FROM here,
#: which vec0 refuses).
VEC0_FILTER_OPS = ("eq", "lt", "le", "gt", "ge")


@dataclass(frozen=True)
class KnnQuery:
    """One k-NN question as every path takes it: the entity and its vector column, the metric, the query
    vector, the filters' conditions, and k."""

    ent: Entity
    info: VectorInfo
    metric: Metric
    vector: np.ndarray
    where: list[sa.ColumnElement[bool]]
    k: int
    #: What `where` was made from (the filters' columns, operators and values): with the rest of the
    #: question, what a planner's choice depends on, so a plan check can be remembered under it.
    shape: Hashable = ()


@dataclass(frozen=True)
class Hit:
    """One row found: its key (primary-key column → value), its label, its distance (smaller: nearer)."""

    key: dict[str, Any]
    label: str
    distance: float


def label_text(entity: Entity, label: Any, key: Sequence[Any]) -> str:
    """A row's label as shown: its label column, else its key as text."""
    if entity.label and label is not None and str(label) != "":
        return str(label)
    if len(key) == 1:
        return str(key[0])
    return ", ".join(f"{name}={v}" for name, v in zip(entity.primary_key, key, strict=True))


def sqlite_scan(conn: sa.Connection, ask: KnnQuery) -> list[Hit]:
    """sqlite-vec: vec0's own MATCH when it answers the question as asked, else a scan with its functions."""
    ent, info = ask.ent, ask.info
    if info.storage == VectorStorage.VEC0 and not ask.where and ask.metric == info.metric.lower():
        return _vec0(conn, ask)
    dist = distance_expr(ent, info, ask.metric, query_param(ask.vector, info, "sqlite"), "sqlite")
    rows = [*has_vector(ent, info, "sqlite"), *ask.where]
    return hits_from_rows(ent, conn.execute(_nearest(ent, dist, rows, ask.k)))


def vec0_can(ent: Entity, filters: list[Filter]) -> bool:
    """Whether vec0 can apply the filters inside its k-NN: comparisons of a value with metadata columns.
    (It answers other conditions, LIKE among them, with no rows rather than an error.)"""
    return all(
        f.op in VEC0_FILTER_OPS and f.value is not None and f.column not in ent.primary_key for f in filters
    )


def vec0_filtered(conn: sa.Connection, ask: KnnQuery) -> list[Hit] | None:
    """vec0's MATCH with the filters beside it; None when vec0 cannot take them there (a filter on an
    auxiliary column, or a condition other than a comparison), and the caller scans instead."""
    try:
        return _vec0(conn, ask)
    except sa.exc.OperationalError:
        conn.rollback()
        return None


def postgres_search(
    conn: sa.Connection, ask: KnnQuery, exact: bool | None, ef_search: int, threshold: int
) -> tuple[list[Hit], str | None, str | None]:
    """pgvector: through the HNSW index when it may answer, else (or when it returns too few) exactly."""
    ent, info, k = ask.ent, ask.info, ask.k
    dist = distance_expr(ent, info, ask.metric, query_param(ask.vector, info, "postgresql"), "postgresql")
    rows = [*has_vector(ent, info, "postgresql"), *ask.where]
    index: HnswIndex | None = None if exact else hnsw_index(conn, ent, info, ask.metric)
    note = None
    if index is not None and (exact is False or index.rows >= threshold):
        ef = max(ef_search, k)
        # ORDER BY the bare operator expression: the form the index's ordering serves.
        stmt = _nearest(ent, dist, rows, k, ties=False)
        # Everything the planner's choice depends on but the query vector.
        question = (index.name, ent.table.fullname, info.column, ask.metric, k, ef, ask.shape)
        mode = plan_mode(conn, stmt, index.name, ef, question)
        if mode != "exact":
            hits = hits_from_rows(ent, index_rows(conn, stmt, mode, ef))
            if len(hits) == k or count_rows(conn, ent, *rows) <= len(hits):
                return _sorted(hits, ent), index.name, None
            note = f"the index {index.name} returned too few rows for the filters; answered by an exact scan"
    reads_alone(conn)
    # `+ 0` makes the ORDER BY an expression no vector index serves: every matching row is compared.
    hits = hits_from_rows(
        ent, conn.execute(_nearest(ent, dist, rows, k, order=dist + sa.literal(0.0, sa.Float)))
    )
    conn.rollback()
    return hits, None, note


def numpy_scan(conn: sa.Connection, ask: KnnQuery) -> list[Hit]:
    """Exact k-NN in numpy over the stored vectors of the matching rows."""
    ent, info = ask.ent, ask.info
    label = [column(ent, ent.label)] if ent.label else [sa.null()]
    keys = key_columns(ent)
    backend = conn.dialect.name
    stmt = sa.select(raw_vector(ent, info, backend), *label, *keys).where(
        *has_vector(ent, info, backend), *ask.where
    )
    return candidate_hits(ent, knn_numpy.scan(conn, stmt, ask.vector, ask.metric, ask.k, len(keys)))


def candidate_hits(ent: Entity, found: list[knn_numpy.Candidate]) -> list[Hit]:
    return [
        Hit(dict(zip(ent.primary_key, key, strict=True)), label_text(ent, lab, key), d)
        for d, key, lab in found
    ]


# --- pieces ---------------------------------------------------------------------------------------


def key_columns(ent: Entity) -> list[sa.ColumnElement[Any]]:
    """The entity's key columns, in key order."""
    return [column(ent, name) for name in ent.primary_key]


def _nearest(
    ent: Entity,
    dist: sa.ColumnElement[Any],
    where: Sequence[sa.ColumnElement[bool]],
    k: int | None,
    *,
    order: sa.ColumnElement[Any] | None = None,
    ties: bool = True,
) -> sa.Select[Any]:
    """SELECT distance, label (NULL without a label column), then the key columns, of the rows `where`
    holds, ordered by `order` (the distance unless given), ties in key order unless `ties` is False (an
    index orders by the distance alone), the first k (all when k is None: vec0 takes its k in MATCH)."""
    label = column(ent, ent.label) if ent.label else sa.null()
    stmt = sa.select(dist, label, *key_columns(ent)).select_from(ent.table).where(*where)
    stmt = stmt.order_by(dist if order is None else order, *(key_columns(ent) if ties else ()))
    return stmt if k is None else stmt.limit(k)


def _vec0(conn: sa.Connection, ask: KnnQuery) -> list[Hit]:
    """vec0's own k-NN (MATCH, k, the table's metric), with the filters beside it; vec0 takes ORDER BY
    distance alone, so ties are then put in key order as the scan orders them."""
    ent, info = ask.ent, ask.info
    match = vec0_match(ent, info, query_param(ask.vector, info, "sqlite"), ask.k)
    dist: sa.ColumnElement[Any] = sa.literal_column("distance")
    stmt = _nearest(ent, dist, [match, *ask.where], None, ties=False)
    return _sorted(hits_from_rows(ent, conn.execute(stmt)), ent)


def hits_from_rows(ent: Entity, rows: Iterable[Sequence[Any]]) -> list[Hit]:
    """Hits from rows of (distance, label, *key columns)."""
    out = []
    for row in rows:
        key = tuple(row[2:])
        out.append(
            Hit(dict(zip(ent.primary_key, key, strict=True)), label_text(ent, row[1], key), float(row[0]))
        )
    return out


def _sorted(hits: list[Hit], ent: Entity) -> list[Hit]:
    """Index hits in the exact scan's order (distance, then key): the index orders by distance only."""
    return sorted(hits, key=lambda h: (h.distance, *(h.key[name] for name in ent.primary_key)))


def raw_vector(ent: Entity, info: VectorInfo, backend: str) -> sa.ColumnElement[Any]:
    """The vector column as stored: bytes on SQLite (decoded once per batch), pgvector's array otherwise."""
    col = column(ent, info.column)
    return sa.type_coerce(col, sa.LargeBinary) if backend == "sqlite" else col
