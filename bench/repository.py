"""Repository bench: keyset pages, counts, get, save and the record form on a 1M-row demo database, by hand.

    python bench/repository.py [--sqlite PATH] [--scale 100] [--pg] [--pg-scale N] [--repeat 15]

Every timed call is one fresh repository call (it opens and closes its own connection, as the app
does). On SQLite, reads and writes are compared with plain stdlib sqlite3 on the same file in the same
run. The goals a user feels: saving 10,000 staged edits in one transaction within 1.5x of the same
UPDATEs by raw `executemany`, and the record form's row with its related counts under 5 ms. Demo
databases are built in a child process; see bench/_common.py.
"""

from __future__ import annotations

import logging
import os
import platform
import sqlite3
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import (
    PgServer,
    Table,
    Timing,
    banner,
    bench_parser,
    build_demo,
    demo_sqlite,
    fmt_ms,
    measure,
    peak_rss_kib,
)

from core.data.changes import Update
from core.data.repository import (
    Filter,
    estimate_count,
    exact_count,
    fetch_page,
    get_row,
    save,
)
from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog

TABLE = "tool_executions"
SORT = [("created_at", True)]
PAGE = 100
ISSUE_SCALE = 100
PAGE_GOAL_MS = 20.0
MANY_EDITS = 10_000
MANY_GOAL_RATIO = 1.5
FORM_GOAL_MS = 5.0


@dataclass
class Result:
    """One line of the report: Warden's timing, the raw baseline if any, and the goal if any."""

    label: str
    warden: Timing
    raw: Timing | None = None
    goal_ms: float | None = None
    goal_ratio: float | None = None

    @property
    def ratio(self) -> float | None:
        """Warden median / raw median."""
        return self.warden.median / self.raw.median if self.raw else None

    @property
    def goal(self) -> str:
        """The goal as text, or '' if this line only reports."""
        parts = [f"< {self.goal_ms:g} ms"] if self.goal_ms is not None else []
        parts += [f"≤ {self.goal_ratio:g}x raw"] if self.goal_ratio is not None else []
        return ", ".join(parts)

    @property
    def passed(self) -> bool | None:
        """PASS/MISS against the goal (median), or None without a goal."""
        return None if self.goal_ms is None and self.goal_ratio is None else not self.missed

    @property
    def missed(self) -> list[str]:
        """Which parts of the goal were missed: 'time', 'ratio'."""
        out = []
        if self.goal_ms is not None and self.warden.median >= self.goal_ms:
            out.append("time")
        if self.goal_ratio is not None and self.ratio is not None and self.ratio > self.goal_ratio:
            out.append("ratio")
        return out

    @property
    def status(self) -> str:
        """'PASS', 'MISS (ratio)' and so on, or '' without a goal."""
        if self.passed is None:
            return ""
        return "PASS" if self.passed else f"MISS ({', '.join(self.missed)})"


def report(title: str, results: list[Result]) -> str:
    """The fixed-width table of one backend."""
    headers = ["measurement", "median ms", "p90 ms", "1st ms", "raw ms", "raw p90", "ratio", "goal", "result"]
    table = Table(headers)
    for r in results:
        table.add(
            r.label,
            fmt_ms(r.warden.median),
            fmt_ms(r.warden.p90),
            fmt_ms(r.warden.cold),
            fmt_ms(r.raw.median) if r.raw else "",
            fmt_ms(r.raw.p90) if r.raw else "",
            f"{r.ratio:.2f}x" if r.ratio is not None else "",
            r.goal,
            r.status,
        )
    return f"{title}\n{table.render()}"


# --- the measurements -----------------------------------------------------------------------------


def bench_open(target: str, repeat: int) -> Result:
    """open_database + load_catalog + dispose, as when a user opens a connection profile."""

    def run() -> Catalog:
        db = open_database(target)
        try:
            return load_catalog(db)
        finally:
            db.dispose()

    return Result("open_database + load_catalog", measure(run, repeat))


def pick_filter(db: Database, catalog: Catalog) -> tuple[str, str, int]:
    """status='error' and the most common tool name (falling back to the most common among errors)."""
    t = catalog.get(TABLE).table
    n = sa.func.count().label("n")
    with db.engine.connect() as conn:
        by_tool = sa.select(t.c.tool_name, n).group_by(t.c.tool_name).order_by(n.desc()).limit(1)
        tool = str(conn.execute(by_tool).one()[0])
        errors = t.c.status == "error"
        matches = conn.execute(sa.select(sa.func.count()).where(errors, t.c.tool_name == tool)).scalar_one()
        if not matches:
            by_error = sa.select(t.c.tool_name, n).where(errors).group_by(t.c.tool_name).order_by(n.desc())
            tool, matches = conn.execute(by_error.limit(1)).one()
    return "error", str(tool), int(matches)


def bench_reads(db: Database, catalog: Catalog, repeat: int, *, goals: bool) -> tuple[list[Result], str]:
    """Pages and counts of tool_executions; returns the results and a line describing the filter."""
    ent = catalog.get(TABLE)
    status, tool, matches = pick_filter(db, catalog)
    filters = [Filter("status", "eq", status), Filter("tool_name", "eq", tool)]
    goal = PAGE_GOAL_MS if goals else None

    def first() -> Any:
        return fetch_page(db, catalog, TABLE, sort=SORT, limit=PAGE)

    def last() -> Any:
        return fetch_page(db, catalog, TABLE, sort=SORT, limit=PAGE, from_end=True)

    def filtered() -> Any:
        return fetch_page(db, catalog, TABLE, sort=SORT, filters=filters, limit=PAGE)

    results = [
        Result(f"first page ({PAGE}, created_at desc)", measure(first, repeat), goal_ms=goal),
        Result(f"last page ({PAGE}, from_end)", measure(last, repeat), goal_ms=goal),
        Result(f"filtered page ({PAGE}, status+tool_name)", measure(filtered, repeat)),
        Result("estimate_count (no filter)", measure(lambda: estimate_count(db, ent), repeat)),
        Result("exact_count (no filter)", measure(lambda: exact_count(db, ent), repeat)),
    ]
    for r, check in zip(results[:3], ("forward", "backward", "forward"), strict=True):
        page = r.warden.result
        expected = min(PAGE, matches) if "filtered" in r.label else PAGE
        assert page.direction == check and len(page.rows) == expected, r.label
    note = f"filter: status = '{status}' AND tool_name = '{tool}' ({matches:,} matching rows)"
    return results, note


@dataclass
class Target:
    """One row the single-row benches read and write, and how to put it back afterwards."""

    entity: str
    key: uuid.UUID
    column: str
    original: Any
    version: int | None


def pick_row(db: Database, catalog: Catalog, entity: str, column: str) -> Target:
    """A row from the middle of `entity`, by primary key order."""
    ent = catalog.get(entity)
    t = ent.table
    total = exact_count(db, ent)
    version = t.c[ent.version_column] if ent.version_column else sa.null()
    stmt = sa.select(t.c.id, t.c[column], version).order_by(t.c.id).offset(total // 2).limit(1)
    with db.engine.connect() as conn:
        key, value, ver = conn.execute(stmt).one()
    return Target(entity, key, column, value, ver)


# Single-row operations take microseconds: they get more samples and a real warm-up on both sides,
# so interpreter and cache warm-up (the first ~15 calls) does not decide the median.
ROW_REPEAT = 200
ROW_WARMUP = 20


def bench_get(
    db: Database, catalog: Catalog, target: Target, raw: sqlite3.Connection | None, repeat: int
) -> Result:
    """repository.get_row against SELECT * … WHERE id = ? (UUIDs are 32-char hex on SQLite)."""
    repeat, warm = max(repeat, ROW_REPEAT), ROW_WARMUP
    warden = measure(lambda: get_row(db, catalog, target.entity, {"id": target.key}), repeat, warmup=warm)
    assert warden.result["id"] == target.key
    base = None
    if raw is not None:
        sql = f"SELECT * FROM {target.entity} WHERE id = ?"
        base = measure(lambda: raw.execute(sql, (target.key.hex,)).fetchone(), repeat, warmup=warm)
        assert base.result is not None
    return Result(f"get_row {target.entity}", warden, base)


def bench_save(
    db: Database, catalog: Catalog, target: Target, raw: sqlite3.Connection | None, repeat: int
) -> Result:
    """repository.save of one Update (conflict check by version, else by the original value) vs raw UPDATE."""
    state: dict[str, Any] = {"value": target.original, "version": target.version, "n": 0}
    versioned = target.version is not None

    def next_value() -> Any:
        state["n"] += 1
        return f"bench {state['n']}" if isinstance(target.original, str) else target.original + state["n"]

    def warden_save() -> Any:
        new = next_value()
        key, original = {"id": target.key}, {target.column: state["value"]}
        change = Update(target.entity, key, {target.column: new}, original, state["version"])
        result = save(db, catalog, [change])
        state["value"], state["version"] = new, result.updated[0].version
        return result

    def raw_save() -> int:
        assert raw is not None
        new = next_value()
        if versioned:
            sql = (
                f"UPDATE {target.entity} SET {target.column} = ?, version = version + 1"
                " WHERE id = ? AND version = ?"
            )
            args = (new, target.key.hex, state["version"])
        else:
            sql = f"UPDATE {target.entity} SET {target.column} = ? WHERE id = ? AND {target.column} = ?"
            args = (new, target.key.hex, state["value"])
        count = raw.execute(sql, args).rowcount
        raw.commit()
        assert count == 1, "raw update matched no row"
        state["value"] = new
        state["version"] = state["version"] + 1 if versioned else None
        return count

    repeat, warm = max(repeat, ROW_REPEAT), ROW_WARMUP
    warden = measure(warden_save, repeat, warmup=warm)
    base = measure(raw_save, repeat, warmup=warm) if raw is not None else None
    restore(db, target)
    guard = "by version" if versioned else "by original value"
    return Result(f"save {target.entity}.{target.column} ({guard})", warden, base)


MANY_REPEAT_CAP = 9  # a 10,000-row save takes a few hundred ms: fewer samples, alternating with raw


def bench_save_many(
    db: Database,
    catalog: Catalog,
    entity: str,
    col: str,
    raw: sqlite3.Connection | None,
    repeat: int,
    *,
    staged: bool = True,
) -> Result:
    """repository.save of MANY_EDITS staged Updates in one transaction vs the same UPDATEs by executemany.

    The edits are built before the clock starts, as the editor's staging holds them: read once as typed
    (Update.checked), unless `staged` is False (values given as the CLI gives them, read by the save).
    Both sides commit. The raw side runs the SQL Warden runs (check by version, else by original value).
    """
    ent = catalog.get(entity)
    t, versioned = ent.table, ent.version_column is not None
    total = exact_count(db, ent)
    picked = sa.select(t.c.id, t.c[col], t.c.version if versioned else sa.null()).order_by(t.c.id)
    with db.engine.connect() as conn:
        rows = conn.execute(picked.offset(total // 3).limit(MANY_EDITS)).all()
    originals = [(key, value, ver) for key, value, ver in rows]
    current = {key: (value, ver) for key, value, ver in rows}
    step = [0]

    def bumped(value: Any) -> Any:
        return f"bench {step[0]}" if isinstance(value, str) or value is None else value + 1

    def warden_save() -> float:
        step[0] += 1
        checked = frozenset({col}) if staged else frozenset()
        changes = [
            Update(entity, {"id": key}, {col: bumped(value)}, {col: value}, ver, checked)
            for key, (value, ver) in current.items()
        ]
        t0 = time.perf_counter()
        result = save(db, catalog, changes)
        took = (time.perf_counter() - t0) * 1000
        assert len(result.updated) == len(changes)
        for ch, saved in zip(changes, result.updated, strict=True):
            current[ch.key["id"]] = (ch.values[col], saved.version)
        return took

    def raw_save() -> float:
        assert raw is not None
        step[0] += 1
        # The statements Warden's save runs.
        if versioned:
            sql = f"UPDATE {entity} SET {col}=?, version=({entity}.version + 1) WHERE {entity}.id = ? AND "
            sql += f"{entity}.version = ?"
            args = [(bumped(v), key.hex, ver) for key, (v, ver) in current.items()]
        else:
            sql = f"UPDATE {entity} SET {col} = ? WHERE {entity}.id = ? AND {entity}.{col} IS ?"
            args = [(bumped(v), key.hex, v) for key, (v, _) in current.items()]
        t0 = time.perf_counter()
        raw.execute("BEGIN")
        count = raw.executemany(sql, args).rowcount
        raw.commit()
        took = (time.perf_counter() - t0) * 1000
        assert count == len(args), "raw executemany matched fewer rows"
        for (key, (_, ver)), arg in zip(list(current.items()), args, strict=True):
            current[key] = (arg[0], ver + 1 if versioned else None)
        return took

    runs = max(3, min(repeat, MANY_REPEAT_CAP))
    mine: list[float] = []
    theirs: list[float] = []
    try:
        warden_save()  # warm-up: statement compiled, pages cached, on both sides alike
        if raw is not None:
            raw_save()
        for _ in range(runs):  # alternating, so load on the machine falls on both sides alike
            mine.append(warden_save())
            if raw is not None:
                theirs.append(raw_save())
    finally:
        put_back(db, t, col, versioned, originals)
    guard = "by version" if versioned else "by original value"
    label = f"save {MANY_EDITS:,} {'staged edits' if staged else 'unread values'} of {entity}.{col} ({guard})"
    base = Timing(theirs) if theirs else None
    goal = MANY_GOAL_RATIO if base and staged else None
    return Result(label, Timing(mine), base, goal_ratio=goal)


def put_back(db: Database, t: sa.Table, col: str, versioned: bool, rows: list[tuple[Any, Any, Any]]) -> None:
    """Restore the rows a bench edited, so a cached demo database stays as built."""
    values: dict[str, Any] = {col: sa.bindparam("value")}
    if versioned:
        values["version"] = sa.bindparam("ver")
    stmt = t.update().where(t.c.id == sa.bindparam("key")).values(values)
    with db.engine.begin() as conn:
        conn.execute(stmt, [{"key": key, "value": value, "ver": ver} for key, value, ver in rows])


def bench_record_form(db: Database, catalog: Catalog, entity: str, repeat: int) -> Result:
    """The record form's load: the row, its related groups with their counts, and their FK labels.

    gui/editor/form.py's load_related, as its worker runs it, for a row from the middle of `entity`.
    """
    from gui.editor.form import load_related  # the form's own call; no widget is made

    ent = catalog.get(entity)
    t = ent.table
    total = exact_count(db, ent)
    with db.engine.connect() as conn:
        key = conn.execute(sa.select(t.c.id).order_by(t.c.id).offset(total // 2).limit(1)).scalar_one()
    repeat, warm = max(repeat, ROW_REPEAT // 4), ROW_WARMUP
    timing = measure(lambda: load_related(db, catalog, entity, {"id": key}), repeat, warmup=warm)
    groups, _labels = timing.result
    counts = ", ".join(f"{g.entity} {g.count:,}" for g in groups)
    return Result(f"record form {entity} ({counts})", timing, goal_ms=FORM_GOAL_MS)


def restore(db: Database, target: Target) -> None:
    """Put the benched row back as it was, so a cached demo database stays as built."""
    t = db_table(db, target.entity)
    values: dict[str, Any] = {target.column: target.original}
    if target.version is not None:
        values["version"] = target.version
    with db.engine.begin() as conn:
        conn.execute(t.update().where(t.c.id == target.key).values(values))


def db_table(db: Database, name: str) -> sa.Table:
    """The model table called `name`."""
    from core.schema.models import metadata

    return metadata.tables[name]


# --- one backend ----------------------------------------------------------------------------------


def run_backend(
    name: str, target: str, repeat: int, *, sqlite_path: Path | None = None, goals: bool = False
) -> list[Result]:
    """Every measurement on one database; prints its table and returns the results."""
    results = [bench_open(target, repeat)]
    db = open_database(target)
    raw: sqlite3.Connection | None = None
    try:
        catalog = load_catalog(db)
        rows = exact_count(db, catalog.get(TABLE))
        version = db.capabilities.server_version
        print(f"  {rows:,} {TABLE} rows; {name} {version}; {repeat} timed runs after 1 warm-up (1st ms)")
        reads, note = bench_reads(db, catalog, repeat, goals=goals)
        results += reads
        print(f"  {note}")
        if sqlite_path is not None:
            raw = sqlite3.connect(sqlite_path, timeout=5)
            print(f"  Warden's driver: {db.capabilities.driver} (SQLite {version}); "
                  f"raw baseline: stdlib sqlite3 (SQLite {sqlite3.sqlite_version}), one held connection")
            # The same settings Warden's connections use, so the baseline differs only in the layer above.
            raw.execute("PRAGMA synchronous = NORMAL")
            raw.execute("PRAGMA foreign_keys = ON")
        for entity, col in ((TABLE, "duration_ms"), ("users", "display_name")):
            row = pick_row(db, catalog, entity, col)
            results.append(bench_get(db, catalog, row, raw, repeat))
            results.append(bench_save(db, catalog, row, raw, repeat))
        for entity, col in ((TABLE, "duration_ms"), ("users", "display_name")):
            results.append(bench_save_many(db, catalog, entity, col, raw, repeat))
        results.append(bench_save_many(db, catalog, "users", "display_name", raw, repeat, staged=False))
        for entity in ("users", TABLE):
            results.append(bench_record_form(db, catalog, entity, repeat))
    finally:
        if raw is not None:
            raw.close()
        db.dispose()
    print()
    print(report(f"{name}: {rows:,} {TABLE} rows, median of {repeat} runs", results))
    return results


def goals_summary(results: list[Result]) -> str:
    """The goals, one line each, with PASS/MISS."""
    table = Table(["goal (SQLite, 1M rows)", "median ms", "ratio", "target", "result"])
    for r in results:
        if r.passed is not None:
            ratio = f"{r.ratio:.2f}x" if r.ratio is not None else ""
            table.add(r.label, fmt_ms(r.warden.median), ratio, r.goal, r.status)
    return table.render()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the SQLite (and optionally PostgreSQL) benches, print the report."""
    parser = bench_parser(__doc__, ISSUE_SCALE)
    parser.add_argument("--pg", action="store_true", help="also bench a throwaway PostgreSQL (pgserver)")
    parser.add_argument("--pg-scale", type=int, default=ISSUE_SCALE, help="demo scale for PostgreSQL")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per measurement")
    args = parser.parse_args(argv)
    # Slow-statement logging stays on (its cost is part of Warden); only its console lines are muted.
    logging.getLogger("warden.slow").setLevel(logging.ERROR)

    print(f"Warden repository bench — Python {platform.python_version()}, SQLAlchemy {sa.__version__}, "
          f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    print(banner("SQLite"))
    path = args.sqlite.resolve() if args.sqlite else demo_sqlite(args.scale)
    if args.sqlite:
        print(f"  using {path} (one row of {TABLE} and of users is written and put back)")
    sqlite_results = run_backend("SQLite", str(path), args.repeat, sqlite_path=path, goals=True)
    rss_sqlite = peak_rss_kib()

    if args.pg:
        print(banner(f"PostgreSQL (scale {args.pg_scale})"))
        if args.pg_scale < ISSUE_SCALE:
            print(f"  NOTE: scale {args.pg_scale} (--pg-scale), smaller than the issue's {ISSUE_SCALE}")
        with PgServer() as server:
            url = server.new_database("warden_bench")
            print(f"  seeding scale {args.pg_scale} in a child process")
            took = build_demo(url, scale=args.pg_scale)
            print(f"  seeded in {took:.1f} s; VACUUM ANALYZE in {server.vacuum_analyze(url):.1f} s")
            run_backend("PostgreSQL", url, args.repeat)

    print(banner("Goals"))
    print(goals_summary(sqlite_results))
    print()
    print(f"peak RSS: {rss_sqlite / 1024:,.1f} MiB after SQLite", end="")
    print(f", {peak_rss_kib() / 1024:,.1f} MiB at the end" if args.pg else "", end="")
    print(" (ru_maxrss; demo data is seeded in a child process and not counted)")
    print(f"load average at end: {os.getloadavg()[0]:.2f} (timings on a busy machine are noisier)")
    misses = [f"{r.label} ({', '.join(r.missed)})" for r in sqlite_results if r.passed is False]
    print(f"goals: {'all PASS' if not misses else 'MISS: ' + '; '.join(misses)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
