"""The SQL side of k-NN: distance expressions (sqlite-vec functions, pgvector operators), the query
vector as a bound parameter, and the HNSW index a PostgreSQL column has.

A vector is always a bound parameter, never text inside the SQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from core.data.query import column
from core.schema.catalog import Entity, VectorInfo, VectorStorage

Metric = Literal["cosine", "l2", "ip"]
METRICS: tuple[Metric, ...] = ("cosine", "l2", "ip")
#: pgvector's operator per metric; <#> is the negative inner product, so smaller is nearer on all three.
PG_OPERATORS: dict[str, str] = {"cosine": "<=>", "l2": "<->", "ip": "<#>"}
#: sqlite-vec's distance functions; it has none for the inner product (that one is computed in numpy).
SQLITE_FUNCTIONS: dict[str, str] = {"cosine": "vec_distance_cosine", "l2": "vec_distance_l2"}
#: The operator class an HNSW index needs to serve each metric (vector_cosine_ops, halfvec_cosine_ops…).
OPCLASS_SUFFIX: dict[str, str] = {"cosine": "_cosine_ops", "l2": "_l2_ops", "ip": "_ip_ops"}

#: The column's valid, whole-table HNSW indexes with their operator classes, and the planner's row estimate
#: of the table, in one round trip.
_HNSW_INDEXES = sa.text(
    """
    SELECT ic.relname, opc.opcname, t.reltuples
    FROM pg_index x
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_class ic ON ic.oid = x.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    JOIN pg_opclass opc ON opc.oid = x.indclass[0]
    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
    WHERE x.indrelid = to_regclass(:rel) AND am.amname = 'hnsw' AND a.attname = :col
      AND x.indnatts = 1 AND x.indpred IS NULL AND x.indisvalid
    ORDER BY ic.relname
    """
)
#: How long (seconds) a connection trusts a plan check it made: statistics, settings and indexes change, so
#: the planner is asked again now and then. A stale answer only mislabels: the query is exact unless it
#: really runs through the index, and too few rows are caught by counting.
PLAN_TTL = 30.0
#: The plan checks a connection remembers (its `info`, which lives as long as the driver's connection).
_PLANS = "warden.knn.plans"
_MAX_PLANS = 256


@dataclass(frozen=True)
class HnswIndex:
    """An HNSW index over one vector column, and the table's estimated row count."""

    name: str
    rows: int


class _DriverVector(sa.types.UserDefinedType[Any]):
    """A pgvector parameter handed to the driver as it is: psycopg sends a numpy array in pgvector's binary
    format (its dumper is registered on every connection), rather than SQLAlchemy's VECTOR formatting each
    number as text first."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "vector"


def query_param(vector: np.ndarray, info: VectorInfo, backend: str) -> sa.BindParameter[Any]:
    """The query vector as a bound parameter: pgvector's type on PostgreSQL, sqlite-vec's float32 BLOB on
    SQLite."""
    if backend == "postgresql":
        return sa.bindparam("query_vector", np.asarray(vector, dtype=np.float32), type_=_DriverVector())
    return sa.bindparam("query_vector", vector.astype("<f4").tobytes(), type_=sa.LargeBinary)


def distance_expr(
    entity: Entity, info: VectorInfo, metric: Metric, query: sa.BindParameter[Any], backend: str
) -> sa.ColumnElement[float]:
    """The distance between the column and the bound query vector, smaller being nearer."""
    col = column(entity, info.column)
    if backend == "postgresql":
        return col.op(PG_OPERATORS[metric], return_type=sa.Float)(query)
    fn = getattr(sa.func, SQLITE_FUNCTIONS[metric])
    result: sa.ColumnElement[float] = fn(col, query, type_=sa.Float)
    return result


def has_vector(entity: Entity, info: VectorInfo, backend: str) -> list[sa.ColumnElement[bool]]:
    """The rows that hold a vector of the column's dimension (a foreign BLOB of another length is skipped,
    which sqlite-vec would refuse with an error)."""
    if info.storage == VectorStorage.VEC0:
        return []  # a vec0 row always holds its vector; asking would make vec0 read every one
    col = column(entity, info.column)
    where: list[sa.ColumnElement[bool]] = [col.is_not(None)]
    if backend == "sqlite" and info.storage == VectorStorage.BLOB:
        where.append(sa.func.length(col) == info.dimension * 4)
    return where


def vec0_match(
    entity: Entity, info: VectorInfo, query: sa.BindParameter[Any], k: int
) -> sa.ColumnElement[bool]:
    """sqlite-vec's own k-NN on a vec0 table: `col MATCH :q AND k = :k` (exact, the table's metric)."""
    col = column(entity, info.column)
    return sa.and_(
        col.op("MATCH")(query), sa.literal_column("k") == sa.bindparam("knn_k", k, type_=sa.Integer)
    )


def relation_name(entity: Entity, dialect: sa.Dialect) -> str:
    """The table's quoted, schema-qualified name as to_regclass reads it."""
    return str(dialect.identifier_preparer.format_table(entity.table))


def hnsw_index(conn: sa.Connection, entity: Entity, info: VectorInfo, metric: Metric) -> HnswIndex | None:
    """The HNSW index on the column that serves `metric`, or None; with the planner's row estimate."""
    rel = relation_name(entity, conn.dialect)
    for name, opclass, estimate in conn.execute(_HNSW_INDEXES, {"rel": rel, "col": info.column}):
        if str(opclass).endswith(OPCLASS_SUFFIX[metric]):
            rows = int(estimate) if estimate is not None and estimate >= 0 else -1
            return HnswIndex(str(name), rows)
    return None


def set_hnsw_search(conn: sa.Connection, ef_search: int) -> None:
    """ef_search for this transaction, and iterative scans in strict distance order, so that a filter does
    not leave the index with fewer than k rows (pgvector 0.8+; an older one ignores the unknown setting).
    Sequential scans are off for it: the caller chose the index, and the planner would otherwise sort a
    scan of the whole table whenever its estimates make that look cheaper."""
    conn.execute(
        sa.text(
            "SELECT set_config('hnsw.ef_search', :ef, true), set_config('hnsw.iterative_scan', :mode, true), "
            "set_config('enable_seqscan', 'off', true)"
        ),
        {"ef": str(int(ef_search)), "mode": "strict_order"},
    )


class _Explain(Executable, ClauseElement):
    """EXPLAIN (FORMAT JSON) of a statement, its parameters bound as the statement binds them (SQLAlchemy's
    documented custom-construct recipe)."""

    inherit_cache = False

    def __init__(self, stmt: sa.Select[Any]) -> None:
        self.stmt = stmt


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.stmt, **kw)


def remembered_plan(conn: sa.Connection, key: Hashable) -> bool | None:
    """Whether this connection's last plan check under `key` (in the last PLAN_TTL seconds) found the index;
    None when it made none. `key` names everything the plan depends on but the query vector."""
    known = conn.info.get(_PLANS, {}).get(key)
    if known is None or time.monotonic() - known[1] >= PLAN_TTL:
        return None
    return bool(known[0])


def remember_plan(conn: sa.Connection, key: Hashable, uses_index: bool) -> None:
    """Keep a plan check's answer on the connection (its `info` lives as long as the driver's connection)."""
    plans: dict[Hashable, tuple[bool, float]] = conn.info.setdefault(_PLANS, {})
    if len(plans) >= _MAX_PLANS:
        plans.clear()
    plans[key] = (uses_index, time.monotonic())


def plan_uses_index(conn: sa.Connection, stmt: sa.Select[Any], index: str) -> bool:
    """Whether the planner would answer `stmt` through the index named `index` (with this transaction's
    settings): a filter can make it prefer another plan, and then the answer is exact, not the index's."""
    plan = conn.execute(_Explain(stmt)).scalar_one()
    text = plan if isinstance(plan, str) else json.dumps(plan)
    return f'"Index Name": "{index}"' in text or f'"Index Name": {json.dumps(index)}' in text
