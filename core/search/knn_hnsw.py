"""PostgreSQL HNSW search in as few round trips as it can: what a connection has learnt is kept on it.

A search through the index needs to know the column's HNSW index, how the planner answers the question,
and pgvector's settings (ef_search, strict-order iterative scans). Asking the catalog, EXPLAIN and
set_config on every search took most of its time, so each pooled connection remembers in its `info` (which
lives as long as the driver's connection) the index and the plan for PLAN_TTL seconds, and the settings it
has made for its session. A question whose plan uses the index unaided then runs as one statement on an
autocommit connection; one the planner answers by the index only with sequential scans off gets them off
for its own transaction (the previous way, one statement more); one it answers another way is scanned
exactly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from core.schema.catalog import Entity, VectorInfo
from core.search.knn_sql import OPCLASS_SUFFIX, Metric, relation_name

#: How the planner answers one question: through the index as it stands ("index"), through it only with
#: sequential scans off ("forced"), or not through it ("exact": the plan compares every matching row).
PlanMode = Literal["index", "forced", "exact"]

#: How long (seconds) a connection trusts what it learnt about an index or a plan: indexes, statistics and
#: sizes change, so it asks again now and then. A stale answer costs speed or a label, never a wrong
#: answer: a plan that does not use the index is exact, and too few rows from the index are caught by
#: counting.
PLAN_TTL = 30.0
_INDEXES = "warden.knn.hnsw_indexes"
_PLANS = "warden.knn.plans"
_SESSION = "warden.knn.session"
_MAX_REMEMBERED = 256
#: pgvector's iterative scans in strict distance order: a filter then does not leave the index with fewer
#: than k rows (pgvector 0.8+; an older one ignores the unknown setting).
ITERATIVE_SCAN = "strict_order"

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
_SET_LOCAL = sa.text(
    "SELECT set_config('hnsw.ef_search', :ef, true), set_config('hnsw.iterative_scan', :mode, true)"
)
_SET_LOCAL_NO_SEQSCAN = sa.text(
    "SELECT set_config('hnsw.ef_search', :ef, true), set_config('hnsw.iterative_scan', :mode, true), "
    "set_config('enable_seqscan', 'off', true)"
)
_SET_SESSION = sa.text(
    "SELECT set_config('hnsw.ef_search', :ef, false), set_config('hnsw.iterative_scan', :mode, false)"
)


@dataclass(frozen=True)
class HnswIndex:
    """An HNSW index over one vector column, and the table's estimated row count."""

    name: str
    rows: int


def hnsw_index(conn: sa.Connection, entity: Entity, info: VectorInfo, metric: Metric) -> HnswIndex | None:
    """The HNSW index on the column that serves `metric`, or None; with the planner's row estimate.
    Remembered on the connection for PLAN_TTL seconds."""
    rel = relation_name(entity, conn.dialect)
    key = (rel, info.column, metric)
    known = _recall(conn, _INDEXES, key)
    if known is not None:
        remembered: HnswIndex | None = known[0]
        return remembered
    found = None
    for name, opclass, estimate in conn.execute(_HNSW_INDEXES, {"rel": rel, "col": info.column}):
        if str(opclass).endswith(OPCLASS_SUFFIX[metric]):
            found = HnswIndex(str(name), int(estimate) if estimate is not None and estimate >= 0 else -1)
            break
    _keep(conn, _INDEXES, key, found)
    return found


def plan_mode(
    conn: sa.Connection, stmt: sa.Select[Any], index: str, ef_search: int, key: Hashable
) -> PlanMode:
    """How the planner answers `stmt` (see PlanMode), remembered on the connection for PLAN_TTL seconds
    under `key`, which names everything the plan depends on but the query vector (table, column, metric,
    k, ef_search, filters). Asking leaves no transaction open."""
    known = _recall(conn, _PLANS, key)
    if known is not None:
        learnt: PlanMode = known[0]
        return learnt
    mode: PlanMode = "exact"
    conn.execute(_SET_LOCAL, _params(ef_search))
    if plan_uses_index(conn, stmt, index):
        mode = "index"
    else:
        # Sequential scans off: the caller chose the index, and the planner would otherwise sort a scan of
        # the whole table whenever its estimates make that look cheaper (a small table, most filters).
        conn.execute(_SET_LOCAL_NO_SEQSCAN, _params(ef_search))
        if plan_uses_index(conn, stmt, index):
            mode = "forced"
    conn.rollback()
    _keep(conn, _PLANS, key, mode)
    return mode


def index_rows(conn: sa.Connection, stmt: sa.Select[Any], mode: PlanMode, ef_search: int) -> list[Any]:
    """The rows of `stmt`, run through the index as `plan_mode` found it answers: "index" as one statement
    on an autocommit connection whose session has the settings (set once per value), "forced" in a
    transaction of its own with sequential scans off. Leaves no transaction open."""
    if mode == "forced":
        conn.execute(_SET_LOCAL_NO_SEQSCAN, _params(ef_search))
        rows = list(conn.execute(stmt))
        conn.rollback()  # the settings were for this query only
        return rows
    reads_alone(conn)  # and the settings made below stay with the session
    want = (int(ef_search), ITERATIVE_SCAN)
    if conn.info.get(_SESSION) != want:
        # Only k-NN scans HNSW indexes, and it always wants these, so they may outlive the search.
        conn.execute(_SET_SESSION, _params(ef_search))
        conn.info[_SESSION] = want
    return list(conn.execute(stmt))


def reads_alone(conn: sa.Connection) -> None:
    """Put the connection in autocommit for the rest of this checkout (the pool restores the engine's level
    when it is returned): a single read then needs no BEGIN and ROLLBACK round trips. A transaction a
    catalog lookup began is ended first; nothing in it is needed."""
    if conn.in_transaction():
        conn.rollback()
    conn.execution_options(isolation_level="AUTOCOMMIT")


class _Explain(Executable, ClauseElement):
    """EXPLAIN (FORMAT JSON) of a statement, its parameters bound as the statement binds them (SQLAlchemy's
    documented custom-construct recipe)."""

    inherit_cache = False

    def __init__(self, stmt: sa.Select[Any]) -> None:
        self.stmt = stmt


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.stmt, **kw)


def plan_uses_index(conn: sa.Connection, stmt: sa.Select[Any], index: str) -> bool:
    """Whether the planner would answer `stmt` through the index named `index` (with this transaction's
    settings): a filter can make it prefer another plan, and then the answer is exact, not the index's."""
    plan = conn.execute(_Explain(stmt)).scalar_one()
    text = plan if isinstance(plan, str) else json.dumps(plan)
    return f'"Index Name": "{index}"' in text or f'"Index Name": {json.dumps(index)}' in text


def _params(ef_search: int) -> dict[str, str]:
    return {"ef": str(int(ef_search)), "mode": ITERATIVE_SCAN}


def _recall(conn: sa.Connection, bucket: str, key: Hashable) -> tuple[Any, float] | None:
    """What the connection learnt under `key` in the last PLAN_TTL seconds, with when; None if nothing."""
    known: tuple[Any, float] | None = conn.info.get(bucket, {}).get(key)
    if known is None or time.monotonic() - known[1] >= PLAN_TTL:
        return None
    return known


def _keep(conn: sa.Connection, bucket: str, key: Hashable, value: Any) -> None:
    kept: dict[Hashable, tuple[Any, float]] = conn.info.setdefault(bucket, {})
    if len(kept) >= _MAX_REMEMBERED:
        kept.clear()
    kept[key] = (value, time.monotonic())
