"""Record graph bench, the fetch side (G2's bench/graph.py times the paint): reading neighbourhoods.

    python bench/graph_fetch.py [--scale 10] [--pg] [--repeat 9]

A scratch copy of the demo database gets one busy region (5,000 locations, 1,000 of them in a second
region) and one busy user (100,000 tool executions), the issue's examples of nodes that must not freeze
the app. Timed, each a fresh core call as the GUI's worker makes it: expanding a node with 1,000
neighbours (all fetched: cap 1,000), the same region and the user with the default cap of 50 (50 rows and
the exact count of the rest), and a 2-hop view of the user with a cap of 50. Beside each, the statements
it ran (before_cursor_execute), and a baseline that reads the same neighbours one node at a time
(core.data.repository.related per record, the N+1 pattern the issue warns about) for the 2-hop view.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import PgServer, Table, Timing, banner, bench_parser, build_demo, demo_sqlite, fmt_ms, measure

from core.data.repository import related
from core.engine.db import Database, open_database
from core.graph.model import Neighbourhood
from core.graph.neighbourhood import expand, neighbourhood, node_id
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata

BIG_REGION = 5_000
THOUSAND = 1_000
BUSY_USER = 100_000


def add_busy_nodes(db: Database) -> tuple[str, str, str]:
    """A region with 5,000 locations, another with 1,000, a user with 100,000 tool executions; their ids."""
    regions, locations = metadata.tables["regions"], metadata.tables["locations"]
    users, tools = metadata.tables["users"], metadata.tables["tool_executions"]
    big, thousand, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as conn:
        conn.execute(
            regions.insert(),
            [
                {"id": big, "name": "Bench Sprawl", "danger_level": 1},
                {"id": thousand, "name": "Bench Thousand", "danger_level": 1},
            ],
        )
        conn.execute(
            locations.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "region_id": big if i < BIG_REGION else thousand,
                    "name": f"Bench place {i:05d}",
                    "location_type": "town",
                }
                for i in range(BIG_REGION + THOUSAND)
            ],
        )
        conn.execute(users.insert(), [{"id": user, "email": "busy@bench.invalid", "username": "bench_busy"}])
        for start in range(0, BUSY_USER, 10_000):
            conn.execute(
                tools.insert(),
                [
                    {
                        "id": uuid.uuid4(),
                        "correlation_id": str(uuid.uuid4()),
                        "tool_name": f"tool_{i % 40}",
                        "user_id": user,
                        "inputs_json": {},
                        "status": "success",
                        "duration_ms": i % 500,
                        "created_at": now,
                    }
                    for i in range(start, start + 10_000)
                ],
            )
    return str(thousand), str(big), str(user)


def n_plus_one(db: Database, catalog: Catalog, hood: Neighbourhood) -> int:
    """The baseline: every record of a 1-hop view expanded one record at a time (repository.related)."""
    rows = 0
    for node in hood.nodes:
        if node.aggregate or node.key is None:
            continue
        ent = catalog.entities[node.entity]
        for group in related(db, catalog, ent, dict(zip(ent.primary_key, node.key, strict=True)), limit=50):
            rows += len(group.rows)
    return rows


class Statements:
    """Counts statements run on an engine."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        sa.event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1

    def of(self, fn: Any) -> int:
        """How many statements one call of `fn` runs."""
        before = self.count
        fn()
        return self.count - before


def run_side(label: str, url: str, repeat: int, table: Table) -> None:
    """Time every measurement on one database."""
    db = open_database(url)
    try:
        thousand, big, user = add_busy_nodes(db)
        cat = load_catalog(db)
        stmts = Statements(db)

        def start(entity: str, key: str, cap: int) -> Neighbourhood:
            # The view a double-click expands: the record alone (an empty expand-by follows nothing).
            return neighbourhood(db, cat, entity, {"id": key}, cap=cap, follow=[])

        cases: list[tuple[str, Any]] = []
        for name, entity, key, cap in (
            (f"expand region, {THOUSAND:,} neighbours, cap {THOUSAND:,}", "regions", thousand, THOUSAND),
            (f"expand region, {BIG_REGION:,} neighbours, cap 50", "regions", big, 50),
            (f"expand user, {BUSY_USER:,} tool runs, cap 50", "users", user, 50),
        ):
            seed = start(entity, key, cap)
            ident = node_id(entity, (key,))
            cases.append(
                (name, lambda seed=seed, ident=ident, cap=cap: expand(db, cat, seed, ident, cap=cap))
            )
        cases.append(
            ("user 2 hops, cap 50", lambda: neighbourhood(db, cat, "users", {"id": user}, depth=2, cap=50))
        )
        one_hop = neighbourhood(db, cat, "users", {"id": user}, cap=50)
        cases.append(("baseline: 1 hop + related() per node", lambda: n_plus_one(db, cat, one_hop)))
        for name, fn in cases:
            timing: Timing = measure(fn, repeat)
            result = timing.result
            shown = len(result.nodes) if isinstance(result, Neighbourhood) else result
            table.add(
                label,
                name,
                fmt_ms(timing.median),
                fmt_ms(timing.p90),
                fmt_ms(timing.cold),
                stmts.of(fn),
                shown,
            )
    finally:
        db.dispose()


def main() -> None:
    """Build the scratch databases, time the reads, print the table."""
    parser = bench_parser(__doc__, default_scale=10)
    parser.add_argument("--pg", action="store_true", help="also on a throwaway PostgreSQL 18 + pgvector")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(banner("record graph: fetch"))
    table = Table(
        ["backend", "measurement", "median ms", "p90 ms", "first ms", "statements", "nodes/rows"], left=(0, 1)
    )
    source = args.sqlite or demo_sqlite(args.scale)
    with tempfile.TemporaryDirectory(prefix="warden-bench-graph-") as tmp:
        scratch = Path(tmp) / "graph.db"
        shutil.copy(source, scratch)
        run_side("sqlite", str(scratch), args.repeat, table)
    if args.pg:
        with PgServer() as pg:
            url = pg.new_database("graph_bench")
            build_demo(url, scale=args.scale)
            table.rule()
            run_side("postgresql", url, args.repeat, table)
    print(table.render())


if __name__ == "__main__":
    main()
