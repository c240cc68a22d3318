"""An in-process matrix of one SQLite vector column, for exact k-NN at numpy's speed on large tables.

sqlite-vec's distance functions read every BLOB through SQLite's row machinery on each query (100,000
rows of 384 floats: about 15x a numpy `X @ q` over the same matrix, bench/knn.py). The matrix is read once
and kept with its keys and labels. Before each use it is checked against `PRAGMA data_version` on a
connection of its own that never writes: that number changes whenever any other connection commits to the
file, Warden's own saves and other programs alike, so a stale matrix is never used (it is read again).

Filters stay SQL: the keys of the matching rows are read and looked up in the matrix.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from core.data.query import column
from core.engine.db import Database
from core.schema.catalog import Entity, VectorInfo
from core.search.knn_numpy import Candidate
from core.search.knn_sql import Metric, has_vector

#: Columns with fewer vectors than this are scanned by sqlite-vec (as fast there, and nothing is kept).
MIN_ROWS = 20_000
#: The most memory all matrices of the process may hold; the least recently used go first.
BUDGET_BYTES = 768 * 1024 * 1024
#: Keys per IN (...) list when a filter's matching keys are read.
_READ_BATCH = 8192


@dataclass
class _Matrix:
    """One column's vectors (float32, one row per table row), their norms, keys and labels."""

    version: int
    matrix: np.ndarray
    norms: np.ndarray
    keys: list[tuple[Any, ...]]
    labels: list[Any]
    position: dict[tuple[Any, ...], int] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return int(self.matrix.nbytes)


@dataclass
class _Watch:
    """The cache's own connection to one database (reads only), and its matrices by (entity, column)."""

    conn: sa.Connection
    lock: threading.Lock = field(default_factory=threading.Lock)
    matrices: dict[tuple[str, str], _Matrix] = field(default_factory=dict)


_lock = threading.Lock()
_watches: dict[int, _Watch] = {}
_lru: OrderedDict[tuple[int, str, str], int] = OrderedDict()  # (database, entity, column) → bytes


def search(
    db: Database,
    entity: Entity,
    info: VectorInfo,
    metric: Metric,
    query: np.ndarray,
    where: Sequence[sa.ColumnElement[bool]],
    k: int,
    *,
    min_rows: int = MIN_ROWS,
) -> list[Candidate] | None:
    """The k nearest (distance, key, label) from the cached matrix, nearest first and ties by key; None when
    the column is too small or too large to keep (the caller scans in SQL)."""
    watch = _watch(db)
    with watch.lock:
        version = int(watch.conn.exec_driver_sql("PRAGMA data_version").scalar_one())
        found = watch.matrices.get((entity.name, info.column))
        if found is None or found.version != version:
            found = _load(db, watch, entity, info, version, min_rows)
            if found is None:
                return None
        rows: np.ndarray | None = None
        if where:
            rows = _matching(watch.conn, entity, found, where)
        watch.conn.rollback()  # end the read: an open snapshot would keep the WAL from being checkpointed
    _touch(id(db), entity.name, info.column, found.nbytes)
    return _top(found, rows, query, metric, k)


def drop(db: Database) -> None:
    """Forget every matrix of `db` and close the cache's connection to it."""
    with _lock:
        watch = _watches.pop(id(db), None)
        for name in [n for n in _lru if n[0] == id(db)]:
            del _lru[name]
    if watch is not None:
        with watch.lock:
            watch.matrices.clear()
            watch.conn.close()


def _watch(db: Database) -> _Watch:
    with _lock:
        watch = _watches.get(id(db))
        if watch is None:
            watch = _Watch(db.engine.connect())
            _watches[id(db)] = watch
            # When the Database goes, so do its matrices and the connection (ids are reused).
            weakref.finalize(db, _drop_id, id(db))
        return watch


def _drop_id(ident: int) -> None:
    with _lock:
        watch = _watches.pop(ident, None)
        for name in [n for n in _lru if n[0] == ident]:
            del _lru[name]
    if watch is not None:
        watch.matrices.clear()
        watch.conn.close()


def _load(
    db: Database, watch: _Watch, entity: Entity, info: VectorInfo, version: int, min_rows: int
) -> _Matrix | None:
    """Read the column's vectors, keys and labels; None when it has fewer than `min_rows` or would not fit."""
    watch.matrices.pop((entity.name, info.column), None)
    has = has_vector(entity, info, "sqlite")
    conn = watch.conn
    n = int(conn.execute(sa.select(sa.func.count()).select_from(entity.table).where(*has)).scalar_one())
    if n < min_rows or n * info.dimension * 4 > BUDGET_BYTES:
        conn.rollback()
        return None
    keys = [column(entity, name) for name in entity.primary_key]
    label = column(entity, entity.label) if entity.label else sa.null()
    vec = sa.type_coerce(column(entity, info.column), sa.LargeBinary)
    stmt = sa.select(vec, label, *keys).select_from(entity.table).where(*has)
    blobs: list[bytes] = []
    labels: list[Any] = []
    key_rows: list[tuple[Any, ...]] = []
    for row in conn.execute(stmt):
        blobs.append(bytes(row[0]))
        labels.append(row[1])
        key_rows.append(tuple(row[2:]))
    conn.rollback()
    if not blobs:
        return None
    matrix = (
        np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), info.dimension).astype(np.float32)
    )
    found = _Matrix(version, matrix, np.linalg.norm(matrix, axis=1), key_rows, labels)
    found.position = {key: i for i, key in enumerate(key_rows)}
    watch.matrices[(entity.name, info.column)] = found
    return found


def _matching(
    conn: sa.Connection, entity: Entity, found: _Matrix, where: Sequence[sa.ColumnElement[bool]]
) -> np.ndarray:
    """The matrix rows of the rows that match the filters. Only keys are read (a row without a vector is
    not in the matrix): asking for the vector too would make SQLite read every matching BLOB."""
    keys = [column(entity, name) for name in entity.primary_key]
    stmt = sa.select(*keys).select_from(entity.table).where(*where)
    position = found.position
    at = [position.get(tuple(r)) for r in conn.execute(stmt).all()]
    return np.array([i for i in at if i is not None], dtype=np.int64)


def _top(
    found: _Matrix, rows: np.ndarray | None, query: np.ndarray, metric: Metric, k: int
) -> list[Candidate]:
    """The k nearest of `rows` (all when None), as sqlite-vec measures them, ties by key."""
    matrix = found.matrix if rows is None else found.matrix[rows]
    if len(matrix) == 0:
        return []
    dots = matrix @ query
    if metric == "ip":
        d = -dots
    elif metric == "l2":
        # |x|² - 2x·q + |q|² picks the candidates; float32 loses small distances to cancellation, so the
        # nearest few are measured again directly.
        sq = (found.norms if rows is None else found.norms[rows]) ** 2
        d = np.full(len(matrix), np.inf)
        near = np.argpartition(sq - 2 * dots, min(len(matrix), 4 * k + 32) - 1)[: 4 * k + 32]
        d[near] = np.linalg.norm(matrix[near] - query, axis=1)
    else:
        norms = found.norms if rows is None else found.norms[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = 1 - dots / (norms * float(np.linalg.norm(query)))
    d = d.astype(np.float64)
    ok = np.nonzero(~np.isnan(d))[0]
    if len(ok) > k:
        kth = np.partition(d[ok], k - 1)[k - 1]
        ok = ok[d[ok] <= kth]
    index = ok if rows is None else rows[ok]
    cands = [(float(d[i]), found.keys[j], found.labels[j]) for i, j in zip(ok, index, strict=True)]
    cands.sort(key=lambda c: (c[0], *c[1]))
    return cands[:k]


def _touch(ident: int, entity: str, col: str, nbytes: int) -> None:
    """Mark a matrix used; drop the least recently used ones beyond the budget."""
    evict: list[tuple[int, str, str]] = []
    with _lock:
        _lru[(ident, entity, col)] = nbytes
        _lru.move_to_end((ident, entity, col))
        total = sum(_lru.values())
        for name, size in list(_lru.items())[:-1]:
            if total <= BUDGET_BYTES:
                break
            evict.append(name)
            total -= size
            del _lru[name]
        watches = {name: _watches.get(name[0]) for name in evict}
    for name, watch in watches.items():
        if watch is not None:
            with watch.lock:
                watch.matrices.pop((name[1], name[2]), None)
