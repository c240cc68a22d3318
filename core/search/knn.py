"""Exact and filtered k-NN over any vector column of the catalog, and "more like this" from a stored row.

Which path answers (core/search/knn_paths.py): on SQLite, a large column's in-memory matrix
(core/search/matrix_cache.py), else sqlite-vec's distance functions, or a vec0 table's own MATCH (with
comparisons on its metadata columns inside it); on PostgreSQL, pgvector's operators, exactly, or through an
HNSW index when the column has one and the table is above a size threshold. Filters are the table
editor's (core/data/query.py) and go into the same WHERE, so the answer is the true top-k among the
filtered rows: an index scan runs iteratively in strict order, and when it still returns fewer than k rows
while more match, the exact scan answers. Without the extension, numpy scans the stored vectors (the
result says so).
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
from core.search.knn_paths import (
    Hit,
    KnnQuery,
    candidate_hits,
    label_text,
    numpy_scan,
    postgres_search,
    raw_vector,
    sqlite_scan,
    vec0_can,
    vec0_filtered,
)
from core.search.knn_sql import METRICS, SQLITE_FUNCTIONS, Metric
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
#: hnsw.ef_search for index scans (pgvector's default is 40). On bench/knn.py's 100,000 × 384 vectors, three
#: index builds (HNSW builds differ) gave recall@10 over 200 queries of 0.99 / 0.99 / 0.98 at 200, but
#: 0.98 / 0.99 / 0.977 at 128-160 with one query finding none of its 10 on two builds, and 0.93 at 64.
#: 200 costs the server about 0.25 ms a query more than 100: a search is now one statement, so that shows.
DEFAULT_EF_SEARCH = 200
#: The provider of answers from an in-memory copy of a SQLite column (core/search/matrix_cache.py).
MATRIX = "in-memory matrix"
#: The most rows one search returns.
MAX_K = 1000


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
    ask = KnnQuery(ent, info, m, query, where, k, tuple((f.column, f.op, repr(f.value)) for f in filters))
    native = db.capabilities.vector_search != "fallback"
    if (
        native
        and where
        and info.storage == VectorStorage.VEC0
        and m == info.metric.lower()
        and vec0_can(ent, filters)
    ):
        # vec0 filters its metadata columns inside its own k-NN: the true top-k, without reading the rest.
        with db.engine.connect() as conn:
            filtered = vec0_filtered(conn, ask)
        if filtered is not None:
            return _result(ent, info, m, filtered, "sqlite-vec", None, started)
    if db.backend == "sqlite" and cache is not False:
        min_rows = 0 if cache else matrix_cache.MIN_ROWS
        found = matrix_cache.search(db, ent, info, m, query, where, k, min_rows=min_rows)
        if found is not None:
            # numpy answers here either way; without the extension, the result still says it is missing.
            why = None if native else f"no sqlite-vec: {db.capabilities.vector_reason or 'not loaded'}"
            return _result(ent, info, m, candidate_hits(ent, found), MATRIX, None, started, why)
    with db.engine.connect() as conn:
        if db.capabilities.vector_search == "fallback" or (
            db.backend == "sqlite" and m not in SQLITE_FUNCTIONS
        ):
            note = (
                f"answered by numpy: {db.capabilities.vector_reason or 'no vector extension'}"
                if db.capabilities.vector_search == "fallback"
                else "answered by numpy: sqlite-vec has no inner-product distance"
            )
            return _result(ent, info, m, numpy_scan(conn, ask), "numpy", None, started, note)
        provider = "pgvector" if db.backend == "postgresql" else "sqlite-vec"
        if db.backend == "postgresql":
            hits, index, why = postgres_search(conn, ask, exact, ef_search, index_threshold)
            return _result(ent, info, m, hits, provider, index, started, why)
        return _result(ent, info, m, sqlite_scan(conn, ask), provider, None, started)


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
    stmt = sa.select(raw_vector(entity, info, db.backend)).where(key_predicate(entity, key)).limit(1)
    with db.engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"No {entity.name} row has that key")
    if row[0] is None:
        raise NotFoundError(f"That {entity.name} row has no {info.column} vector yet")
    return _query_vector(knn_numpy.as_vector(row[0]), info)


# --- paths ----------------------------------------------------------------------------------------


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
