"""Audit cost in one process: the same single-row saves as bench/load.py's writers, audited and not.

    python bench/audit_cost.py                   # SQLite and PostgreSQL, 2,000 saves per side
    python bench/audit_cost.py --saves 5000      # more saves per side
    python bench/audit_cost.py --no-pg           # SQLite only; --no-sqlite for PostgreSQL only
    python bench/audit_cost.py --churn           # another connection commits before each save

One process, no other writer: each round loads a random row of bench/load.py's hot rows (users by version,
tool_executions by the loaded value, npcs by version with an updated_at) as the editor does and saves one edit
of it with audit on, then loads and saves another with audit off (the order alternating every round), so both
sides sample the same moment of the machine. It prints each side's CPU time per save (process_time; p50 and
mean) and wall time (p50), and the audit on / off ratios. Under bench/load.py's load a save's p50 is its CPU
time, so this is the number to compare while the machine is shared; bench/load.py stays the measure of the
issue's goal.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import PgServer, Table, banner, bench_parser, demo_sqlite, fmt_ms
from load import GOAL_RATIO, load_edited, percentile, pick_pool


def run(
    target: str, saves: int, warmup: int, churn: bool = False
) -> dict[str, tuple[list[float], list[float]]]:
    """`saves` audited and `saves` unaudited saves, interleaved; per side (CPU ms, wall ms) of each save.

    `churn`: before each save another connection commits a write (as load.py's other writers do, which on
    SQLite empties the saving connection's page cache: the save reads its pages again)."""
    import sqlalchemy as sa

    from core.data.audit_trail import AUDIT_OFF, Auditing
    from core.data.changes import Update
    from core.data.writes import save
    from core.engine.db import open_database
    from core.schema.load import load_catalog

    pool = pick_pool(target)
    db = open_database(target)
    catalog = load_catalog(db)
    audits = {"on": Auditing(user="cost-on"), "off": AUDIT_OFF}
    rng = random.Random(11)
    other = sa.create_engine(db.engine.url) if churn else None
    out: dict[str, tuple[list[float], list[float]]] = {"on": ([], []), "off": ([], [])}
    try:
        for n in range(warmup + saves):
            for side in ("on", "off") if n % 2 == 0 else ("off", "on"):
                entity, key_hex = rng.choice(pool)
                col, key, old, ver = load_edited(db, catalog, entity, key_hex)
                t = catalog.get(entity).table
                change = Update(entity, {"id": key}, {col: f"{side}-{n}"}, {col: old}, ver, frozenset({col}))
                if other is not None:
                    with other.begin() as conn:  # not audited: it only stands for another writer's commit
                        conn.execute(t.update().where(t.c.id == key).values({col: old}))
                c0, t0 = time.process_time(), time.perf_counter()
                save(db, catalog, [change], audit=audits[side])
                wall, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
                if n >= warmup:
                    out[side][0].append(cpu)
                    out[side][1].append(wall)
    finally:
        db.dispose()
        if other is not None:
            other.dispose()
    return out


def report(label: str, sides: dict[str, tuple[list[float], list[float]]], table: Table) -> str:
    """This backend's two lines of the table; its ratio line."""
    for side in ("on", "off"):
        cpu, wall = sides[side]
        table.add(
            f"{label} audit {side}",
            f"{len(cpu):,}",
            fmt_ms(percentile(cpu, 50)),
            fmt_ms(statistics.fmean(cpu)),
            fmt_ms(percentile(wall, 50)),
            fmt_ms(percentile(wall, 99)),
        )
    ratio = {
        what: (percentile(sides["on"][i], 50) or 0) / (percentile(sides["off"][i], 50) or 1)
        for what, i in (("cpu", 0), ("wall", 1))
    }
    verdict = "under" if ratio["cpu"] <= GOAL_RATIO else "over"
    return (
        f"  {label}: audit on / off, p50 CPU {ratio['cpu']:.2f}x, p50 wall {ratio['wall']:.2f}x "
        f"({verdict} the load goal's {GOAL_RATIO}x); load average {os.getloadavg()[0]:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the interleaved saves on the chosen backends and print the table."""
    parser = bench_parser(__doc__, default_scale=1)
    parser.add_argument("--saves", type=int, default=2000, help="measured saves per side")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured saves per side first")
    parser.add_argument(
        "--churn", action="store_true", help="another connection commits before each save (SQLite's cache)"
    )
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(banner("audit cost: one process, audited and unaudited single-row saves interleaved"))
    print(f"  load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    table = Table(["saves", "n", "cpu p50", "cpu mean", "wall p50", "wall p99"])
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="warden-audit-cost-") as scratch:
        os.environ.setdefault("WARDEN_DATA_DIR", os.path.join(scratch, "data"))
        os.environ.setdefault("WARDEN_LOG_DIR", os.path.join(scratch, "logs"))
        if not args.no_sqlite:
            copy = Path(scratch) / "cost.db"
            shutil.copy(args.sqlite or demo_sqlite(args.scale), copy)  # the demo cache stays as built
            lines.append(report("SQLite", run(str(copy), args.saves, args.warmup, args.churn), table))
        if not args.no_pg:
            with PgServer() as pg:
                url = pg.demo_database("cost", args.scale)
                lines.append(report("PostgreSQL", run(url, args.saves, args.warmup, args.churn), table))
    print()
    print(table.render())
    print()
    print("\n".join(lines))
    print(f"  load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
