"""The SQL side of k-NN: distance expressions (sqlite-vec functions, pgvector operators), the query
vector as a bound parameter (core/search/knn_hnsw.py finds and uses a PostgreSQL column's HNSW index).

A vector is always a bound parameter, never text inside the SQL.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import sqlalchemy as sa

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
