"""Exact and filtered k-NN over any vector column of the catalog, and "more like this" from a stored row.

Paths, by backend: SQLite scans with sqlite-vec's distance functions (a vec0 table without filters uses its
own MATCH); PostgreSQL orders by pgvector's operators, exactly, or through an HNSW index when the column has
one and the table is above a size threshold. Filters are the table editor's (core/data/query.py) and go
into the same WHERE, so the answer is the true top-k among the filtered rows: an index scan runs iteratively
in strict order, and when it still returns fewer than k rows while more match, the exact scan answers.
Without the extension, numpy scans the stored vectors (the result says so).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sqlalchemy as sa

from core.data.query import Filter, coerce_key, column, count_rows, entity_of, key_predicate, where_clauses
from core.engine.db import Database
from core.errors import FieldProblem, NotFoundError, ValidationError
from core.schema.catalog import Catalog, Entity, VectorInfo, VectorStorage
from core.search import knn_numpy, matrix_cache
from core.search.knn_sql import (
    METRICS,
    SQLITE_FUNCTIONS,
    HnswIndex,
    Metric,
    distance_expr,
    has_vector,
    hnsw_index,
    query_param,
    set_hnsw_search,
    vec0_match,
)
from core.search.targets import vector_of

__all__ = [
    "DEFAULT_EF_SEARCH",
    "INDEX_THRESHOLD",
    "METRICS",
    "Hit",
    "KnnResult",
    "Metric",
    "check_metric",
    "label_text",
    "more_like_this",
    "nearest",
    "stored_vector",
]

#: Tables with at least this many rows (the planner's estimate) are searched through an HNSW index when
#: one serves the metric; smaller ones are scanned exactly, which is as fast there and never approximate.
INDEX_THRESHOLD = 10_000
#: hnsw.ef_search for index scans (pgvector's default is 40); more candidates, better recall.
DEFAULT_EF_SEARCH = 100
#: The provider of answers from an in-memory copy of a SQLite column (core/search/matrix_cache.py).
MATRIX = "in-memory matrix"
#: The filters vec0 applies to its metadata columns inside its own k-NN ("ne" is IS DISTINCT FROM here,
#: which vec0 refuses).
VEC0_FILTER_OPS = ("eq", "lt", "le", "gt", "ge")
#: The most rows one search returns.
MAX_K = 1000


@dataclass(frozen=True)
class Hit:
    """One row found: its key (primary-key column → value), its label, its distance (smaller: nearer)."""

    key: dict[str, Any]
    label: str
    distance: float


@dataclass(frozen=True)
class KnnResult:
    """The nearest rows, nearest first, and how they were found."""

    hits: list[Hit]
    entity: str
    column: str
    metric: Metric
    provider: str  # "sqlite-vec" | "pgvector" | "numpy"
    index: str | None  # the HNSW index that answered; None for an exact scan
    elapsed_ms: float
    note: str | None = None  # why a fallback answered (no extension, an index that returned too few rows)

    @property
    def exact(self) -> bool:
        """Whether every row was compared (no approximate index)."""
        return self.index is None

    @property
    def path(self) -> str:
        """Which provider and index answered, in words for the status line."""
        how = f"HNSW index {self.index}" if self.index else "exact scan"
        return f"{self.provider}, {how}"


def check_metric(metric: str) -> Metric:
    """The metric, or a ValidationError listing the ones there are."""
    for m in METRICS:
        if m == metric:
            return m
    raise ValidationError(
        [FieldProblem("metric", f"unknown metric '{metric}'; use one of {', '.join(METRICS)}")]
    )


def nearest(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    vector: Sequence[float] | np.ndarray,
    *,
    column: str | None = None,
    k: int = 10,
    metric: str = "cosine",
    filters: Iterable[Filter] = (),
    exact: bool | None = None,
    ef_search: int = DEFAULT_EF_SEARCH,
    index_threshold: int = INDEX_THRESHOLD,
    cache: bool | None = None,
) -> KnnResult:
    """The k rows whose `column` vector is nearest to `vector` among the rows matching `filters`.

    `exact`: None chooses (an HNSW index on tables of at least `index_threshold` rows), True always scans,
    False uses an index whenever one serves the metric. `cache` (SQLite): None keeps an in-memory matrix of
    columns of at least matrix_cache.MIN_ROWS vectors, True of any column, False never.
    """
    started = time.perf_counter()
    ent = entity_of(catalog, entity)
    info = vector_of(ent, column)
    m = check_metric(metric)
    filters = list(filters)
    _check_keyed(ent)
    k = _check_k(k)
    query = _query_vector(vector, info)
    where = where_clauses(ent, filters, None, db.backend)
    native = db.capabilities.vector_search != "fallback"
    if (
        native
        and where
        and info.storage == VectorStorage.VEC0
        and m == info.metric.lower()
        and _vec0_can(ent, filters)
    ):
        # vec0 filters its metadata columns inside its own k-NN: the true top-k, without reading the rest.
        with db.engine.connect() as conn:
            filtered = _vec0_filtered(conn, ent, info, query, where, k)
        if filtered is not None:
            return _result(ent, info, m, filtered, "sqlite-vec", None, started)
    if db.backend == "sqlite" and cache is not False:
        min_rows = 0 if cache else matrix_cache.MIN_ROWS
        found = matrix_cache.search(db, ent, info, m, query, where, k, min_rows=min_rows)
        if found is not None:
            return _result(ent, info, m, _candidate_hits(ent, found), MATRIX, None, started)
    with db.engine.connect() as conn:
        if db.capabilities.vector_search == "fallback" or (
            db.backend == "sqlite" and m not in SQLITE_FUNCTIONS
        ):
            note = (
                f"answered by numpy: {db.capabilities.vector_reason or 'no vector extension'}"
                if db.capabilities.vector_search == "fallback"
                else "answered by numpy: sqlite-vec has no inner-product distance"
            )
            return _result(
                ent, info, m, _numpy(conn, ent, info, m, query, where, k), "numpy", None, started, note
            )
        provider = "pgvector" if db.backend == "postgresql" else "sqlite-vec"
        if db.backend == "postgresql":
            hits, index, why = _postgres(
                conn, ent, info, m, query, where, k, exact, ef_search, index_threshold
            )
            return _result(ent, info, m, hits, provider, index, started, why)
        return _result(ent, info, m, _sqlite(conn, ent, info, m, query, where, k), provider, None, started)


def more_like_this(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    key: dict[str, Any],
    *,
    column: str | None = None,
    k: int = 10,
    metric: str = "cosine",
    filters: Iterable[Filter] = (),
    **options: Any,
) -> KnnResult:
    """The rows nearest to the vector stored in the row with `key` (no embedder needed): the row itself
    first, at distance 0, when the filters keep it (cosine and L2; the inner product ranks as it finds)."""
    ent = entity_of(catalog, entity)
    info = vector_of(ent, column)
    own = coerce_key(ent, key)
    vector = stored_vector(db, ent, info, own)
    filters = list(filters)
    result = nearest(
        db, catalog, ent, vector, column=info.column, k=k, metric=metric, filters=filters, **options
    )
    if result.metric == "ip":
        return result
    others = [h for h in result.hits if h.key != own]
    if len(others) == len(result.hits):  # not among the k: it is still the nearest, if the filters keep it
        with db.engine.connect() as conn:
            where = where_clauses(ent, filters, None, db.backend)
            if not count_rows(conn, ent, key_predicate(ent, own), *where):
                return result
    label = label_text(ent, _label_of(db, ent, own), tuple(own.values()))
    return replace(result, hits=[Hit(dict(own), label, 0.0), *others][:k])


def stored_vector(db: Database, entity: Entity, info: VectorInfo, key: dict[str, Any]) -> np.ndarray:
    """The vector stored in one row (by its coerced key); NotFoundError when the row or vector is missing."""
    stmt = sa.select(_raw(entity, info, db.backend)).where(key_predicate(entity, key)).limit(1)
    with db.engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"No {entity.name} row has that key")
    if row[0] is None:
        raise NotFoundError(f"That {entity.name} row has no {info.column} vector yet")
    return _query_vector(knn_numpy.as_vector(row[0]), info)


def label_text(entity: Entity, label: Any, key: Sequence[Any]) -> str:
    """A row's label as shown: its label column, else its key as text."""
    if entity.label and label is not None and str(label) != "":
        return str(label)
    if len(key) == 1:
        return str(key[0])
    return ", ".join(f"{name}={v}" for name, v in zip(entity.primary_key, key, strict=True))


# --- paths ----------------------------------------------------------------------------------------


def _sqlite(
    conn: sa.Connection,
    ent: Entity,
    info: VectorInfo,
    metric: Metric,
    query: np.ndarray,
    where: list[sa.ColumnElement[bool]],
    k: int,
) -> list[Hit]:
    """sqlite-vec: vec0's own MATCH when it answers the question as asked, else a scan with its functions."""
    q = query_param(query, info, "sqlite")
    keys = [column(ent, name) for name in ent.primary_key]
    if info.storage == VectorStorage.VEC0 and not where and metric == info.metric.lower():
        dist: sa.ColumnElement[Any] = sa.literal_column("distance")
        # vec0 takes ORDER BY distance alone; ties are then put in key order as the scan orders them.
        stmt = _select(ent, dist).where(vec0_match(ent, info, q, k)).order_by(dist)
        return _sorted(_hits(ent, conn.execute(stmt)), ent)
    dist = distance_expr(ent, info, metric, q, "sqlite")
    stmt = _select(ent, dist).where(*has_vector(ent, info, "sqlite"), *where).order_by(dist, *keys).limit(k)
    return _hits(ent, conn.execute(stmt))


def _vec0_can(ent: Entity, filters: list[Filter]) -> bool:
    """Whether vec0 can apply the filters inside its k-NN: comparisons of a value with metadata columns.
    (It answers other conditions, LIKE among them, with no rows rather than an error.)"""
    return all(
        f.op in VEC0_FILTER_OPS and f.value is not None and f.column not in ent.primary_key for f in filters
    )


def _vec0_filtered(
    conn: sa.Connection,
    ent: Entity,
    info: VectorInfo,
    query: np.ndarray,
    where: list[sa.ColumnElement[bool]],
    k: int,
) -> list[Hit] | None:
    """vec0's MATCH with the filters beside it; None when vec0 cannot take them there (a filter on an
    auxiliary column, or a condition other than a comparison), and the caller scans instead."""
    q = query_param(query, info, "sqlite")
    dist: sa.ColumnElement[Any] = sa.literal_column("distance")
    stmt = _select(ent, dist).where(vec0_match(ent, info, q, k), *where).order_by(dist)
    try:
        return _sorted(_hits(ent, conn.execute(stmt)), ent)
    except sa.exc.OperationalError:
        conn.rollback()
        return None


def _postgres(
    conn: sa.Connection,
    ent: Entity,
    info: VectorInfo,
    metric: Metric,
    query: np.ndarray,
    where: list[sa.ColumnElement[bool]],
    k: int,
    exact: bool | None,
    ef_search: int,
    threshold: int,
) -> tuple[list[Hit], str | None, str | None]:
    """pgvector: through the HNSW index when it may answer, else (or when it returns too few) exactly."""
    q = query_param(query, info, "postgresql")
    dist = distance_expr(ent, info, metric, q, "postgresql")
    keys = [column(ent, name) for name in ent.primary_key]
    rows = [*has_vector(ent, info, "postgresql"), *where]
    index: HnswIndex | None = None if exact else hnsw_index(conn, ent, info, metric)
    note = None
    if index is not None and (exact is False or index.rows >= threshold):
        set_hnsw_search(conn, max(ef_search, k))
        # ORDER BY the bare operator expression: the form the index's ordering serves.
        hits = _hits(ent, conn.execute(_select(ent, dist).where(*rows).order_by(dist).limit(k)))
        conn.rollback()  # the settings were for this query only
        if len(hits) == k or count_rows(conn, ent, *rows) <= len(hits):
            return _sorted(hits, ent), index.name, None
        note = f"the index {index.name} returned too few rows for the filters; answered by an exact scan"
    # `+ 0` makes the ORDER BY an expression no vector index serves: every matching row is compared.
    exact_order = dist + sa.literal(0.0, sa.Float)
    stmt = _select(ent, dist).where(*rows).order_by(exact_order, *keys).limit(k)
    hits = _hits(ent, conn.execute(stmt))
    conn.rollback()
    return hits, None, note


def _numpy(
    conn: sa.Connection,
    ent: Entity,
    info: VectorInfo,
    metric: Metric,
    query: np.ndarray,
    where: list[sa.ColumnElement[bool]],
    k: int,
) -> list[Hit]:
    """Exact k-NN in numpy over the stored vectors of the matching rows."""
    label = [column(ent, ent.label)] if ent.label else [sa.null()]
    keys = [column(ent, name) for name in ent.primary_key]
    backend = conn.dialect.name
    stmt = sa.select(_raw(ent, info, backend), *label, *keys).where(*has_vector(ent, info, backend), *where)
    return _candidate_hits(ent, knn_numpy.scan(conn, stmt, query, metric, k, len(keys)))


def _candidate_hits(ent: Entity, found: list[knn_numpy.Candidate]) -> list[Hit]:
    return [
        Hit(dict(zip(ent.primary_key, key, strict=True)), label_text(ent, lab, key), d)
        for d, key, lab in found
    ]


# --- pieces ---------------------------------------------------------------------------------------


def _select(ent: Entity, dist: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """SELECT distance, label (NULL without a label column), then the key columns."""
    label = column(ent, ent.label) if ent.label else sa.null()
    return sa.select(dist, label, *(column(ent, name) for name in ent.primary_key)).select_from(ent.table)


def _hits(ent: Entity, rows: Iterable[Sequence[Any]]) -> list[Hit]:
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


def _raw(ent: Entity, info: VectorInfo, backend: str) -> sa.ColumnElement[Any]:
    """The vector column as stored: bytes on SQLite (decoded once per batch), pgvector's array otherwise."""
    col = column(ent, info.column)
    return sa.type_coerce(col, sa.LargeBinary) if backend == "sqlite" else col


def _label_of(db: Database, ent: Entity, key: dict[str, Any]) -> Any:
    if not ent.label:
        return None
    with db.engine.connect() as conn:
        return conn.execute(
            sa.select(column(ent, ent.label)).where(key_predicate(ent, key)).limit(1)
        ).scalar()


def _result(
    ent: Entity,
    info: VectorInfo,
    metric: Metric,
    hits: list[Hit],
    provider: str,
    index: str | None,
    started: float,
    note: str | None = None,
) -> KnnResult:
    elapsed = (time.perf_counter() - started) * 1000
    return KnnResult(hits, ent.name, info.column, metric, provider, index, elapsed, note)


def _check_keyed(ent: Entity) -> None:
    if not ent.primary_key:
        raise ValidationError([FieldProblem(ent.name, f"{ent.name} has no key, so its rows cannot be named")])


def _check_k(k: int) -> int:
    if not 1 <= int(k) <= MAX_K:
        raise ValidationError([FieldProblem("k", f"k is a number of rows from 1 to {MAX_K}")])
    return int(k)


def _query_vector(vector: Sequence[float] | np.ndarray, info: VectorInfo) -> np.ndarray:
    """The query as float32 of the column's dimension; a mismatch or a value that is no number is an error."""
    try:
        arr = np.asarray(vector, dtype=np.float32).reshape(-1)
    except (TypeError, ValueError):
        raise ValidationError([FieldProblem("query", "the query vector must be a list of numbers")]) from None
    if arr.shape[0] != info.dimension:
        raise ValidationError(
            [
                FieldProblem(
                    "query",
                    f"the query has {arr.shape[0]} dimensions but {info.column} holds {info.dimension}; "
                    "use a provider that makes vectors of the column's size",
                )
            ]
        )
    if not np.isfinite(arr).all():
        raise ValidationError(
            [FieldProblem("query", "the query vector holds a value that is not a finite number")]
        )
    return arr
