"""`warden embed`: store the local model's vectors of an entity's rows, for the rows without one (--missing),
the stale ones (--stale: no vector, or text or model changed since embedded) or every row (--all), in batches
with a progress line on stderr. --stale without --entity goes through every vector column."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.cli.targets import db_arg, open_target
from core.errors import WardenError

if TYPE_CHECKING:
    from core.engine.db import Database
    from core.schema.catalog import Catalog
    from core.search.embeddings import Embedder
    from core.search.reembed import Which


def add_parser(sub: Any) -> None:
    """The `embed` subcommand's arguments."""
    e = sub.add_parser("embed", help="fill an entity's vector column with embeddings of each row's text")
    db_arg(e)
    e.add_argument("--entity", help="the entity to embed (needed except with --stale: then every entity)")
    e.add_argument("--column", help="the vector column to fill (default: the entity's first)")
    which = e.add_mutually_exclusive_group(required=True)
    which.add_argument("--missing", action="store_true", help="only rows that have no vector yet")
    which.add_argument(
        "--stale",
        action="store_true",
        help="rows with no vector, or whose text or model changed since embedded",
    )
    which.add_argument("--all", action="store_true", help="every row (re-embed)")
    e.add_argument("--dry-run", action="store_true", help="count the rows to embed; write nothing")
    e.add_argument(
        "--track",
        action="store_true",
        help="create the embedding state table on a database without one, so stale rows can be found",
    )
    e.add_argument("--json", action="store_true", help="print a JSON list of counts per vector column")


@dataclass
class ColumnReport:
    """One vector column's counts before the run, and what the run wrote."""

    entity: str
    column: str
    missing: int
    changed: int
    untracked: int
    total: int
    tracked: bool
    written: int = 0
    skipped: int = 0
    embedded: int = 0


def run(args: argparse.Namespace, target: str | None) -> int:
    """Embed the chosen rows and print what was written."""
    from core.schema.load import load_catalog

    if not args.entity and not args.stale:
        raise WardenError("--missing and --all need --entity NAME (only --stale goes through every entity)")
    line = ProgressLine(quiet=args.json)
    t0 = time.perf_counter()
    db = open_target(target, writes=args.track or not args.dry_run)
    try:
        cat = load_catalog(db)
        if args.track:
            from core.search.stale import ensure_state_table

            if ensure_state_table(db):
                cat = load_catalog(db, cached=False)
        reports = _embed(db, cat, args, line)
    finally:
        line.close()
        db.dispose()
    secs = max(time.perf_counter() - t0, 1e-9)
    if args.json:
        json.dump([vars(r) for r in reports], sys.stdout)
        print()
    else:
        _print(reports, args, secs)
    return 0


def _embed(db: Database, cat: Catalog, args: argparse.Namespace, line: ProgressLine) -> list[ColumnReport]:
    from core.progress import Progress, TaskState
    from core.search.embeddings import LOCAL_MODEL_NAME, local_embedder
    from core.search.reembed import embed_rows
    from core.search.stale import count_stale

    reports = []
    for ent_name, col in _columns(cat, args):
        c = count_stale(db, cat, ent_name, col, model=LOCAL_MODEL_NAME)
        reports.append(
            ColumnReport(c.entity, c.column, c.missing, c.changed, c.untracked, c.total, c.tracked)
        )
    model: Embedder | None = None

    def on_progress(p: Progress) -> None:
        line.update(p.done, p.total, p.message)

    for r in reports:
        todo = r.total if args.all else r.missing if args.missing else r.missing + r.changed
        if args.dry_run or not todo:
            continue  # nothing to do: the model is not even loaded
        if model is None:
            db.allow_writes()  # a read-only connection refuses now, not after the model loaded (seconds)
            model = local_embedder()
        which: Which = "all" if args.all else "missing" if args.missing else "stale"
        result = embed_rows(
            db,
            cat,
            r.entity,
            model,
            column_name=r.column,
            which=which,
            state=TaskState(on_progress=on_progress),
        )
        r.written, r.skipped, r.embedded = result.written, result.skipped, result.embedded
    return reports


def _columns(cat: Catalog, args: argparse.Namespace) -> list[tuple[str, str]]:
    """The (entity, vector column) pairs to look at: the one asked for, or every one --stale can embed."""
    from core.schema.catalog import VectorStorage
    from core.search.targets import vector_of, vector_targets
    from core.search.texts import text_sources

    if args.entity:
        ent = cat.get(args.entity)
        return [(ent.name, vector_of(ent, args.column).column)]
    out = []
    for t in vector_targets(cat):
        ent = cat.get(t.entity)
        if t.storage == VectorStorage.VEC0 or ent.read_only or (args.column and t.column != args.column):
            continue
        try:
            text_sources(ent)
        except WardenError:
            continue  # no text to embed its rows from
        out.append((t.entity, t.column))
    return out


def _print(reports: list[ColumnReport], args: argparse.Namespace, secs: float) -> None:
    """One line per vector column on stderr: what was stale and what was written."""
    for r in reports:
        name = f"{r.entity}.{r.column}"
        if args.stale or args.dry_run:
            known = (
                f"{r.changed:,} changed since embedded" if r.tracked else "changes not tracked (see --track)"
            )
            extra = f", {r.untracked:,} embedded elsewhere (left alone)" if r.untracked else ""
            print(f"{name}: {r.missing:,} without a vector, {known}{extra}", file=sys.stderr)
        if args.dry_run:
            continue
        if r.written or r.skipped:
            skipped = f", {r.skipped:,} without text left empty" if r.skipped else ""
            print(
                f"Embedded {r.written:,} rows of {name} ({r.embedded:,} distinct texts){skipped}",
                file=sys.stderr,
            )
        elif args.missing and not r.missing:
            print(f"{name}: every row has a vector", file=sys.stderr)
        elif args.stale and not (r.missing + r.changed):
            print(f"{name}: nothing stale", file=sys.stderr)
    if not args.dry_run:
        print(f"Done in {secs:.1f} s", file=sys.stderr)


class ProgressLine:
    """One progress line on stderr, redrawn in place on a terminal; a line every few seconds otherwise."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.tty = sys.stderr.isatty() and not quiet
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
