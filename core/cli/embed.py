"""`warden embed`: store the local model's vectors of one entity's rows, for the rows without one (--missing)
or for every row (--all), in batches with a progress line on stderr."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from core.cli.targets import db_arg, open_target


def add_parser(sub: Any) -> None:
    """The `embed` subcommand's arguments."""
    e = sub.add_parser("embed", help="fill an entity's vector column with embeddings of each row's text")
    db_arg(e)
    e.add_argument("--entity", required=True)
    e.add_argument("--column", help="the vector column to fill (default: the entity's first)")
    which = e.add_mutually_exclusive_group(required=True)
    which.add_argument("--missing", action="store_true", help="only rows that have no vector yet")
    which.add_argument("--all", action="store_true", help="every row (re-embed)")


def run(args: argparse.Namespace, target: str | None) -> int:
    """Embed the chosen rows and print what was written."""
    from core.progress import Progress, TaskState
    from core.schema.load import load_catalog
    from core.search.embeddings import local_embedder
    from core.search.reembed import count_missing, embed_rows
    from core.search.targets import vector_of

    line = ProgressLine()
    t0 = time.perf_counter()
    db = open_target(target)
    try:
        cat = load_catalog(db)
        ent = cat.get(args.entity)
        info = vector_of(ent, args.column)
        if args.missing and not count_missing(db, cat, ent, info.column):
            print(f"{ent.name}.{info.column}: every row has a vector", file=sys.stderr)
            return 0  # nothing to do: the model is not even loaded

        def on_progress(p: Progress) -> None:
            line.update(p.done, p.total, p.message)

        result = embed_rows(
            db,
            cat,
            ent,
            local_embedder(),
            column_name=info.column,
            which="missing" if args.missing else "all",
            state=TaskState(on_progress=on_progress),
        )
    finally:
        line.close()
        db.dispose()
    secs = max(time.perf_counter() - t0, 1e-9)
    skipped = f", {result.skipped:,} without text left empty" if result.skipped else ""
    print(
        f"Embedded {result.written:,} rows of {result.entity}.{result.column} "
        f"({result.embedded:,} distinct texts) in {secs:.1f} s{skipped}",
        file=sys.stderr,
    )
    return 0


class ProgressLine:
    """One progress line on stderr, redrawn in place on a terminal; a line every few seconds otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.drawn = False

    def update(self, done: int, total: int | None, message: str) -> None:
        """Show `done` of `total` rows, at most ten times a second (every two seconds off a terminal)."""
        now = time.monotonic()
        finished = total is not None and done >= total
        if not finished and now - self.last < (0.1 if self.tty else 2.0):
            return
        self.last = now
        if total:
            frac = min(done / total, 1.0)
            text = f"[{'#' * int(frac * 30):<30}] {frac:4.0%} {done:>8,}/{total:,} rows  {message}"
        else:
            text = f"{done:,} rows  {message}"
        self.drawn = True
        print(("\r" + text) if self.tty else text, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Finish the line on a terminal."""
        if self.tty and self.drawn:
            print(file=sys.stderr)
