"""`warden demo`: create (or reuse) a database, migrate it to head and fill it with deterministic rows."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from core.cli.targets import db_arg, require, require_writable
from core.errors import WardenError


def add_parser(sub: Any) -> None:
    """The `demo` subcommand's arguments."""
    d = sub.add_parser("demo", help="create a database and fill it with deterministic demo data")
    db_arg(d)
    d.add_argument(
        "--scale", type=int, default=1, help="operations tables grow linearly (100 → 1M tool runs)"
    )
    d.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same rows")
    d.add_argument(
        "--embed", action="store_true", help="also fill every embedding column with the local model's vectors"
    )


def run(args: argparse.Namespace, target: str | None) -> int:
    """Create the database and seed it, with a progress bar on stderr."""
    from core import seed
    from core.bootstrap import create_demo_database

    if args.scale < 1:
        raise WardenError("--scale must be 1 or more")
    bar = ProgressBar(sum(seed.expected_counts(args.scale).values()))
    t0 = time.perf_counter()
    target = require_writable(target, "demo")  # a read-only profile: refused, or unlocked (audited)
    counts = create_demo_database(target, scale=args.scale, seed=args.seed, progress=bar.update)
    bar.close()
    total = sum(counts.values())
    secs = max(time.perf_counter() - t0, 1e-9)
    print(f"Seeded {total:,} rows in {secs:.1f} s ({total / secs:,.0f} rows/s)", file=sys.stderr)
    if args.embed:
        _embed(require(target))
    return 0


def _embed(target: str) -> None:
    """Fill every vector column of the new database with the local model's vectors, with a progress line."""
    from core.cli.embed import ProgressLine
    from core.engine.db import open_database
    from core.progress import TaskState
    from core.schema.load import load_catalog
    from core.search.embeddings import local_embedder
    from core.search.reembed import fill_missing

    t0 = time.perf_counter()
    line = ProgressLine()
    db = open_database(target)
    try:
        cat = load_catalog(db)
        names = [e.name for e in cat.ordered() if e.vectors]
        state = TaskState(on_progress=lambda p: line.update(p.done, p.total, p.message))
        written = fill_missing(db, cat, local_embedder, names, state=state)
    finally:
        line.close()
        db.dispose()
    print(f"Embedded {written:,} rows in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


class ProgressBar:
    """A small progress bar on stderr; quiet lines when stderr is not a terminal."""

    def __init__(self, total: int):
        self.total = max(total, 1)
        self.done: dict[str, int] = {}
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def update(self, table: str, done: int, _total: int) -> None:
        """Record progress of one table and redraw at most ten times a second."""
        self.done[table] = done
        now = time.monotonic()
        if now - self.last < (0.1 if self.tty else 2.0):
            return
        self.last = now
        n = sum(self.done.values())
        frac = min(n / self.total, 1.0)
        bar = "#" * int(frac * 30)
        line = f"[{bar:<30}] {frac:4.0%} {n:>10,}/{self.total:,} rows  {table}"
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Finish the bar's line."""
        if self.tty:
            print(file=sys.stderr)
