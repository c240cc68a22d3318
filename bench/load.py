"""Load: writer processes edit random rows through core's save while a reader pages tool_executions.

    python bench/load.py                      # SQLite (WAL, 2 writers) and PostgreSQL (4 writers), 60 s each
    python bench/load.py --seconds 10         # a short run
    python bench/load.py --no-pg              # SQLite only; --no-sqlite for PostgreSQL only
    python bench/load.py --repeat 3           # three rounds of audit on and off, in alternating order

Each backend runs the same load twice in the same run, audit on and audit explicitly off, for `--seconds`
each; with `--repeat N`, N rounds of both in alternating order (on/off, off/on, …), so that a machine whose
load changes during the run, or a database that grows, weighs on both sides alike. Before the first
round, both phases run unmeasured for `--warmup` seconds each (default 5), so that neither measured phase
pays alone for a fresh copy's first-time work (pages from disk, the WAL created). It does not remove the
order effect seen on SQLite: the round that runs audit on first has measured the higher ratio (60 s x 2:
1.64x/1.18x without the warm-up; 1.29x/1.08x and 1.60x/1.36x with it), which is why rounds alternate.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import PgServer, Table, banner, bench_parser, build_demo, demo_sqlite, fmt_ms

#: The columns writers edit, per entity: users by version, tool_executions by the loaded value.
EDITED = {"users": "display_name", "tool_executions": "error_message"}
HOT_ROWS = 60  # rows per entity the writers share: small, so edits collide and conflicts happen
THINK_MS = 5.0  # at most this long between reading a row and saving it
PAGE = 100
GOAL_RATIO = 1.3


@dataclass
class Attempt:
    """One save a writer tried."""

    outcome: str  # saved | conflict | the error's type name
    ms: float
    entity: str
    key: str
    value: str


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


# --- the processes --------------------------------------------------------------------------------


def _open(target: str) -> tuple[Any, Any]:
    from core.engine.db import open_database
    from core.schema.load import load_catalog

    db = open_database(target)
    return db, load_catalog(db)


def writer(
    target: str, user: str, index: int, pool: list[tuple[str, str]], start: Any, seconds: float, out: str
) -> None:
    """Edit random rows of `pool` until the time is up; write the attempts to `out` (JSON)."""
    import sqlalchemy as sa

    from core.data.audit_trail import AUDIT_OFF, Auditing
    from core.data.changes import Update
    from core.data.writes import save
    from core.errors import ConflictError, WardenError

    db, catalog = _open(target)
    audit = Auditing(user=user) if user.startswith("load-on") else AUDIT_OFF
    rng = random.Random(index * 7919 + len(user))
    attempts: list[Attempt] = []
    start.wait()
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        entity, key_hex = rng.choice(pool)
        ent = catalog.get(entity)
        col, key = EDITED[entity], uuid.UUID(key_hex)
        t = ent.table
        version = t.c.version if ent.version_column else sa.null()
        with db.engine.connect() as conn:  # as the editor loads the row
            old, ver = conn.execute(sa.select(t.c[col], version).where(t.c.id == key)).one()
        time.sleep(rng.uniform(0, THINK_MS / 1000))
        n += 1
        value = f"{user}-w{index}-{n}"
        change = Update(entity, {"id": key}, {col: value}, {col: old}, ver, frozenset({col}))
        t0 = time.perf_counter()
        try:
            save(db, catalog, [change], audit=audit)
            outcome = "saved"
        except ConflictError:
            outcome = "conflict"
        except WardenError as exc:
            outcome = type(exc).__name__
        attempts.append(Attempt(outcome, (time.perf_counter() - t0) * 1000, entity, key_hex, value))
    db.dispose()
    Path(out).write_text(json.dumps([a.__dict__ for a in attempts]))


def reader(target: str, start: Any, seconds: float, out: str) -> None:
    """Page through tool_executions by keyset until the time is up; each page's milliseconds to `out`."""
    from core.data.repository import fetch_page

    db, catalog = _open(target)
    times: list[float] = []
    start.wait()
    deadline = time.monotonic() + seconds
    cursor = None
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        page = fetch_page(db, catalog, "tool_executions", limit=PAGE, after=cursor)
        times.append((time.perf_counter() - t0) * 1000)
        cursor = page.last_cursor if page.has_more else None
    db.dispose()
    Path(out).write_text(json.dumps(times))


# --- one phase ------------------------------------------------------------------------------------


@dataclass
class Phase:
    """What one phase's processes did."""

    name: str  # on | off
    user: str  # the OS user its writers' entries name: load-<name>-<round>
    seconds: float
    attempts: list[Attempt]
    pages: list[float]
    problems: list[str]

    @property
    def saved(self) -> list[Attempt]:
        return [a for a in self.attempts if a.outcome == "saved"]

    def row(self, table: Table, backend: str, writers: int) -> None:
        """This phase's line of the table (a pooled phase: every round's attempts and pages)."""
        saved = [a.ms for a in self.saved]
        conflicts = sum(1 for a in self.attempts if a.outcome == "conflict")
        table.add(
            f"{backend} audit {self.name} ({writers} writers)",
            f"{len(self.attempts):,}",
            f"{len(saved) / self.seconds:,.1f}",
            f"{100 * conflicts / max(1, len(self.attempts)):.1f}%",
            fmt_ms(percentile(saved, 50)),
            fmt_ms(percentile(saved, 99)),
            f"{len(self.pages):,}",
            fmt_ms(percentile(self.pages, 99)),
            "ok" if not self.problems else "FAILED",
        )


def pick_pool(target: str) -> list[tuple[str, str]]:
    """HOT_ROWS keys of each edited entity (a fixed random choice, the same for both phases)."""
    import sqlalchemy as sa

    db, catalog = _open(target)
    pool: list[tuple[str, str]] = []
    try:
        with db.engine.connect() as conn:
            for entity in EDITED:
                t = catalog.get(entity).table
                keys = [r[0] for r in conn.execute(sa.select(t.c.id).order_by(t.c.id).limit(2000))]
                pool += [(entity, uuid.UUID(str(k)).hex) for k in random.Random(5).sample(keys, HOT_ROWS)]
    finally:
        db.dispose()
    return pool


def run_phase(
    target: str, phase: str, writers: int, pool: list[tuple[str, str]], seconds: float, round_: int = 0
) -> Phase:
    """Start the writers and the reader together, wait for them, and check what they left."""
    user = f"load-{phase}-{round_}"
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(writers + 2)
    with tempfile.TemporaryDirectory(prefix="warden-load-") as d:
        outs = [os.path.join(d, f"w{i}.json") for i in range(writers)]
        procs = [
            ctx.Process(target=writer, args=(target, user, i, pool, start, seconds, outs[i]))
            for i in range(writers)
        ]
        page_out = os.path.join(d, "reader.json")
        procs.append(ctx.Process(target=reader, args=(target, start, seconds, page_out)))
        before = audit_count(target, user)
        for p in procs:
            p.start()
        start.wait()  # every process has opened the database: the clock starts for all at once
        for p in procs:
            p.join()
        problems = [f"a process ended with exit code {p.exitcode}" for p in procs if p.exitcode]
        if problems:
            return Phase(phase, user, seconds, [], [], problems)
        attempts = [Attempt(**a) for out in outs for a in json.loads(Path(out).read_text())]
        pages = json.loads(Path(page_out).read_text())
    phase_ = Phase(phase, user, seconds, attempts, pages, [])
    phase_.problems = check(target, phase_, audit_count(target, user) - before)
    return phase_


def audit_count(target: str, user: str) -> int:
    """Entries written as this OS user (a phase's writers write as load-<phase>-<round>)."""
    import sqlalchemy as sa

    db, catalog = _open(target)
    try:
        t = catalog.get("admin_audit_log").table
        with db.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(t.c.os_user == user)).scalar_one())
    finally:
        db.dispose()


def check(target: str, phase: Phase, audited: int) -> list[str]:
    """The issue's checks: successes or conflicts only; audit count; replay of the audit log."""
    import sqlalchemy as sa

    from core.audit.log import EntryFilter, list_entries

    problems = [f"{a.outcome}: an attempt ended in neither success nor conflict" for a in phase.attempts
                if a.outcome not in ("saved", "conflict")]  # fmt: skip
    saved = phase.saved
    expected = len(saved) if phase.name == "on" else 0
    if audited != expected:
        problems.append(f"{audited} audit entries for {expected} audited successes")
    db, catalog = _open(target)
    try:
        final: dict[tuple[str, str], Any] = {}
        with db.engine.connect() as conn:
            for entity, col in EDITED.items():
                t = catalog.get(entity).table
                for key, value in conn.execute(sa.select(t.c.id, t.c[col])):
                    final[(entity, uuid.UUID(str(key)).hex)] = value
        written: dict[tuple[str, str], set[str]] = {}
        for a in saved:
            written.setdefault((a.entity, a.key), set()).add(a.value)
        if phase.name == "on":
            entries = list_entries(db, catalog, EntryFilter(user=phase.user), limit=max(1, audited) + 10)
            replay: dict[tuple[str, str], Any] = {}
            logged: set[tuple[str, str, str]] = set()
            for e in reversed(entries):  # oldest first: the last entry of a row is its value now
                row = (e.entity, uuid.UUID(str(e.key["id"])).hex)
                after = (e.after or {})[EDITED[e.entity]]
                replay[row] = after
                logged.add((*row, after))
            if logged != {(a.entity, a.key, a.value) for a in saved}:
                problems.append("the audit log's changes are not the successful saves")
            lost = [row for row, value in replay.items() if final[row] != value]
            if lost:
                problems.append(f"{len(lost)} rows whose value is not the audit log's last change")
        else:
            stray = [row for row, values in written.items() if final[row] not in values]
            if stray:
                problems.append(f"{len(stray)} touched rows hold a value no writer saved")
    finally:
        db.dispose()
    return problems


# --- one backend ----------------------------------------------------------------------------------


def run_backend(
    label: str, target: str, writers: int, seconds: float, table: Table, repeat: int = 1, warmup: float = 0.0
) -> list[str]:
    """`repeat` rounds of both phases on one database, in alternating order, after `warmup` seconds of each
    unmeasured (their checks still hold); the audit-cost summary lines."""
    pool = pick_pool(target)
    if warmup > 0:
        for name in ("on", "off"):
            warm = run_phase(target, name, writers, pool, warmup, -1)
            for p in warm.problems:
                print(f"  CHECK FAILED ({label}, warm-up, audit {name}): {p}", flush=True)
        print(
            f"  {label}: warm-up done ({warmup:g} s audit on, {warmup:g} s audit off, not measured)",
            flush=True,
        )
    print(
        f"  {label}: {writers} writers + 1 reader, {repeat} round(s) of {seconds:g} s audit on and "
        f"{seconds:g} s audit off",
        flush=True,
    )
    rounds: list[dict[str, Phase]] = []
    ratios: list[float | None] = []  # each round's save p50 with audit on over audit off
    for r in range(repeat):
        order = ("on", "off") if r % 2 == 0 else ("off", "on")
        rounds.append({name: run_phase(target, name, writers, pool, seconds, r) for name in order})
        p50s = {name: percentile([a.ms for a in ph.saved], 50) for name, ph in rounds[-1].items()}
        ratios.append(p50s["on"] / p50s["off"] if p50s["on"] and p50s["off"] else None)
        print(
            f"  round {r + 1}: save p50 audit on {fmt_ms(p50s['on'])}, off {fmt_ms(p50s['off'])}; "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    pooled = {name: _pooled([rd[name] for rd in rounds]) for name in ("on", "off")}
    for phase in pooled.values():
        phase.row(table, label, writers)
        for p in phase.problems:
            print(f"  CHECK FAILED ({label}, audit {phase.name}): {p}", flush=True)
    lines = []
    on, off = pooled["on"], pooled["off"]
    p50_on, p50_off = percentile([a.ms for a in on.saved], 50), percentile([a.ms for a in off.saved], 50)
    mean_on = statistics.fmean([a.ms for a in on.saved]) if on.saved else None
    mean_off = statistics.fmean([a.ms for a in off.saved]) if off.saved else None
    if p50_on and p50_off and mean_on and mean_off:
        ratio = p50_on / p50_off
        verdict = "PASS" if ratio <= GOAL_RATIO else "MISS"
        lines.append(
            f"  {label}: save latency audit on / off: p50 {ratio:.2f}x, mean {mean_on / mean_off:.2f}x "
            f"(goal <= {GOAL_RATIO}x on p50: {verdict})"
        )
        each = [x for x in ratios if x is not None]
        if len(each) > 1 and len(each) == len(ratios):
            shown = ", ".join(f"{x:.2f}x" for x in each)
            lines.append(f"  {label}: p50 ratio per round {shown}; median {statistics.median(each):.2f}x")
    return lines


def _pooled(phases: list[Phase]) -> Phase:
    """One phase's rounds as one: their attempts, pages, seconds and problems together."""
    return Phase(
        phases[0].name,
        phases[0].user,
        sum(p.seconds for p in phases),
        [a for p in phases for a in p.attempts],
        [t for p in phases for t in p.pages],
        [f"round {i + 1}: {problem}" for i, p in enumerate(phases) for problem in p.problems],
    )


def main(argv: list[str] | None = None) -> int:
    """Run the load on the chosen backends and print the table and the checks."""
    parser = bench_parser(__doc__, default_scale=1)
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds per phase (audit on, audit off)")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--pg-writers", type=int, default=4)
    parser.add_argument("--sqlite-writers", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of audit on and off per backend, in alternating order"
    )
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="unmeasured seconds of each phase before the first round"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(banner("load: writers + a reader, audit on and off"))
    print(f"  load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    table = Table(
        ["load", "attempts", "edits/s", "conflicts", "save p50", "save p99", "pages", "page p99", "checks"]
    )
    summary: list[str] = []
    with tempfile.TemporaryDirectory(prefix="warden-load-data-") as scratch:
        os.environ.setdefault("WARDEN_DATA_DIR", os.path.join(scratch, "data"))
        os.environ.setdefault("WARDEN_LOG_DIR", os.path.join(scratch, "logs"))
        if not args.no_sqlite:
            source = args.sqlite or demo_sqlite(args.scale)
            copy = Path(scratch) / "load.db"
            shutil.copy(source, copy)  # the demo cache stays as built
            summary += run_backend(
                "SQLite", str(copy), args.sqlite_writers, args.seconds, table, args.repeat, args.warmup
            )
        if not args.no_pg:
            with PgServer() as pg:
                url = pg.new_database("load")
                print("  seeding PostgreSQL …", flush=True)
                build_demo(url, scale=args.scale)
                pg.vacuum_analyze(url)
                summary += run_backend(
                    "PostgreSQL", url, args.pg_writers, args.seconds, table, args.repeat, args.warmup
                )
    print()
    print(table.render())
    print()
    print("\n".join(summary))
    print(f"  load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    failed = any(r is not None and r[-1] == "FAILED" for r in table.rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
