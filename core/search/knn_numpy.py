"""Exact k-NN in numpy over the stored vectors, read in batches: the answer when the database has no vector
extension (sqlite-vec did not load), and for the inner product on SQLite (sqlite-vec has no such distance).

It keeps the same order as the SQL paths: distance, then key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa

from core.search.knn_sql import Metric

#: Rows per batch read from the database.
BATCH = 8192

#: One candidate: (distance, key values, label value).
Candidate = tuple[float, tuple[Any, ...], Any]


def as_vector(value: Any) -> np.ndarray:
    """A stored vector (sqlite-vec BLOB, pgvector array or list) as float32."""
    if isinstance(value, bytes | bytearray | memoryview):
        return np.frombuffer(bytes(value), dtype="<f4").astype(np.float32)
    return np.asarray(value, dtype=np.float32).reshape(-1)


def distances(matrix: np.ndarray, query: np.ndarray, metric: Metric) -> np.ndarray:
    """Distances of each row of `matrix` to `query`, as sqlite-vec and pgvector define them (cosine:
    1 - cos; l2: Euclidean; ip: the negative inner product). A zero vector has no cosine: NaN."""
    if metric == "ip":
        return np.asarray(-(matrix @ query), dtype=np.float64)
    if metric == "l2":
        diff = matrix - query
        squared: np.ndarray = np.einsum("ij,ij->i", diff, diff)
        return np.asarray(np.sqrt(squared), dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(query))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(1.0 - (matrix @ query) / norms, dtype=np.float64)


def scan(
    conn: sa.Connection, stmt: sa.Select[Any], query: np.ndarray, metric: Metric, k: int, n_keys: int
) -> list[Candidate]:
    """The k nearest rows of `stmt` (which selects the vector, the label, then the key columns), nearest
    first, ties by key; rows whose distance is undefined (NaN) are left out."""
    best: list[Candidate] = []
    result = conn.execution_options(yield_per=BATCH).execute(stmt)
    for rows in result.partitions():
        matrix = np.stack([as_vector(r[0]) for r in rows])
        d = distances(matrix, query, metric)
        finite = np.nonzero(~np.isnan(d))[0]
        if len(finite) > k:
            # Every row as near as the k-th: ties at the edge are settled by key below, as ORDER BY does.
            kth = np.partition(d[finite], k - 1)[k - 1]
            finite = finite[d[finite] <= kth]
        best.extend((float(d[i]), tuple(rows[int(i)][2 : 2 + n_keys]), rows[int(i)][1]) for i in finite)
        best = _ranked(best)[:k] if len(best) > k else best
    return _ranked(best)[:k]


def _ranked(cands: Sequence[Candidate]) -> list[Candidate]:
    return sorted(cands, key=lambda c: (c[0], *(_orderable(v) for v in c[1])))


def _orderable(value: Any) -> tuple[int, Any]:
    """A key value that sorts as the database sorts it: NULL last (never in a key, but harmless)."""
    return (1, 0) if value is None else (0, value)
