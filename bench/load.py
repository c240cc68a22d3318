"""Load: writer processes edit random rows through core's save while a reader pages tool_executions.

    python bench/load.py                      # SQLite (WAL, 2 writers) and PostgreSQL (4 writers), 60 s each
    python bench/load.py --seconds 10         # a short run
    python bench/load.py --no-pg              # SQLite only; --no-sqlite for PostgreSQL only
    python bench/load.py --repeat 3           # three rounds of audit on and off, in alternating order
    python bench/load.py --slot 0             # each round as two whole phases (audit on, then off)

Each backend runs the same load with audit on and with audit explicitly off, for `--seconds` each. The
same processes switch between the two every `--slot` seconds (default 1; the writers and the reader
switch together, each save and page counted for the side its slot belongs to), so both sides sample the
same machine. A save's p50 is its CPU time (waits for the write lock add 0.01-0.05 ms to it), and that
CPU time drifts with what else the machine runs: six identical 10 s phases of audit off, one after the
other at load average 3-4, measured save p50 from 0.51 to 0.87 ms. Two whole phases one after the other
compared two moments of the machine as much as the audit (60 s x 2 rounds: 1.64x in the round that ran
audit on first, 1.18x in the other). Checkpoints stay with the side that causes them: one starts on the
save that takes the WAL past its mark, and audit on writes two thirds of the frames either way.
`--slot 0` runs each round as two whole phases as before. With `--repeat N`, N rounds, the side that
starts alternating (on/off, off/on, …). Before the first round both sides run unmeasured for
`--warmup` seconds each (default 5), so neither pays alone for a fresh copy's first-time work (pages from
disk, the WAL created).
The table's "save cpu" is the saving process's CPU time per save (p50): the save's cost without waits.
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
from _common import PgServer, Table, banner, bench_parser, demo_sqlite, fmt_ms

#: The columns writers edit, per entity: users by version, tool_executions by the loaded value, npcs by
#: version with an updated_at SQLAlchemy fills in (as most world and commerce tables have).
EDITED = {"users": "display_name", "tool_executions": "error_message", "npcs": "description"}
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
    side: str = "on"  # on | off: audit on or off for this save
    cpu_ms: float = 0.0  # the writer's CPU time during the save


def side_at(elapsed: float, first: str, slot: float) -> str:
    """Which side (audit on or off) runs `elapsed` seconds into a mixed run: `first`, then the other,
    alternating every `slot` seconds (slot 0: `first` throughout)."""
    if slot <= 0 or int(elapsed // slot) % 2 == 0:
        return first
    return "off" if first == "on" else "on"


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


def load_edited(db: Any, catalog: Any, entity: str, key_hex: str) -> tuple[str, uuid.UUID, Any, int | None]:
    """Read one hot row's edited column and version as the editor loads it: (column, key, value, version)."""
    import sqlalchemy as sa

    t = catalog.get(entity).table
    col, key = EDITED[entity], uuid.UUID(key_hex)
    version = t.c.version if catalog.get(entity).version_column else sa.null()
    with db.engine.connect() as conn:
        old, ver = conn.execute(sa.select(t.c[col], version).where(t.c.id == key)).one()
    return col, key, old, ver


def writer(
    target: str,
    users: dict[str, str],
    index: int,
    pool: list[tuple[str, str]],
    start: Any,
    run: tuple[float, str, float],
    out: str,
) -> None:
    """Edit random rows of `pool` until the time is up; write the attempts to `out` (JSON).

    `run`: (seconds, the first side, slot); each save is audited as its side says, as `users[side]`."""

    from core.data.audit_trail import AUDIT_OFF, Auditing
    from core.data.changes import Update
    from core.data.writes import save
    from core.errors import ConflictError, WardenError

    db, catalog = _open(target)
    audits = {"on": Auditing(user=users["on"]), "off": AUDIT_OFF}
    rng = random.Random(index * 7919 + len(users[run[1]]))
    attempts: list[Attempt] = []
    seconds, first, slot = run
    start.wait()
    began = time.monotonic()
    deadline = began + seconds
    n = 0
    while (now := time.monotonic()) < deadline:
        side = side_at(now - began, first, slot)
        user = users[side]
        entity, key_hex = rng.choice(pool)
        col, key, old, ver = load_edited(db, catalog, entity, key_hex)
        time.sleep(rng.uniform(0, THINK_MS / 1000))
        n += 1
        value = f"{user}-w{index}-{n}"
        change = Update(entity, {"id": key}, {col: value}, {col: old}, ver, frozenset({col}))
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            save(db, catalog, [change], audit=audits[side])
            outcome = "saved"
        except ConflictError:
            outcome = "conflict"
        except WardenError as exc:
            outcome = type(exc).__name__
        ms, cpu_ms = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        attempts.append(Attempt(outcome, ms, entity, key_hex, value, side, cpu_ms))
    db.dispose()
    Path(out).write_text(json.dumps([a.__dict__ for a in attempts]))


def reader(target: str, start: Any, run: tuple[float, str, float], out: str) -> None:
    """Page through tool_executions by keyset until the time is up; each page's side and milliseconds to
    `out` (the side of the slot the page started in)."""
    from core.data.repository import fetch_page

    db, catalog = _open(target)
    times: list[tuple[str, float]] = []
    seconds, first, slot = run
    start.wait()
    began = time.monotonic()
    deadline = began + seconds
    cursor = None
    while (now := time.monotonic()) < deadline:
        side = side_at(now - began, first, slot)
        t0 = time.perf_counter()
        page = fetch_page(db, catalog, "tool_executions", limit=PAGE, after=cursor)
        times.append((side, (time.perf_counter() - t0) * 1000))
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
            fmt_ms(percentile([a.cpu_ms for a in self.saved], 50)),
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
    target: str,
    sides: tuple[str, ...],
    writers: int,
    pool: list[tuple[str, str]],
    seconds: float,
    round_: int = 0,
    slot: float = 0.0,
) -> dict[str, Phase]:
    """Start the writers and the reader together, wait for them, and check what they left.

    `sides`: ("on",), ("off",), or both in the order they start; with both, the processes switch side
    every `slot` seconds for 2 x `seconds`, so each side gets `seconds`."""
    users = {name: f"load-{name}-{round_}" for name in ("on", "off")}
    run = (seconds * len(sides), sides[0], slot if len(sides) > 1 else 0.0)
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(writers + 2)
    with tempfile.TemporaryDirectory(prefix="warden-load-") as d:
        outs = [os.path.join(d, f"w{i}.json") for i in range(writers)]
        procs = [
            ctx.Process(target=writer, args=(target, users, i, pool, start, run, outs[i]))
            for i in range(writers)
        ]
        page_out = os.path.join(d, "reader.json")
        procs.append(ctx.Process(target=reader, args=(target, start, run, page_out)))
        before = audit_count(target, users["on"])
        for p in procs:
            p.start()
        start.wait()  # every process has opened the database: the clock starts for all at once
        for p in procs:
            p.join()
        problems = [f"a process ended with exit code {p.exitcode}" for p in procs if p.exitcode]
        if problems:
            return {name: Phase(name, users[name], seconds, [], [], problems) for name in sides}
        attempts = [Attempt(**a) for out in outs for a in json.loads(Path(out).read_text())]
        pages = json.loads(Path(page_out).read_text())
    phases = {
        name: Phase(
            name,
            users[name],
            seconds,
            [a for a in attempts if a.side == name],
            [ms for side, ms in pages if side == name],
            [],
        )
        for name in sides
    }
    problems = check(target, phases, audit_count(target, users["on"]) - before)
    for phase in phases.values():
        phase.problems = list(problems)
    return phases


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


def check(target: str, phases: dict[str, Phase], audited: int) -> list[str]:
    """The issue's checks: successes or conflicts only; audit count; replay of the audit log.

    `phases`: one run's sides (audit on, off, or both mixed); `audited`: the entries its audited side added.
    """
    import sqlalchemy as sa

    from core.audit.log import EntryFilter, list_entries

    attempts = [a for phase in phases.values() for a in phase.attempts]
    problems = [f"{a.outcome}: an attempt ended in neither success nor conflict" for a in attempts
                if a.outcome not in ("saved", "conflict")]  # fmt: skip
    on = phases.get("on")
    expected = len(on.saved) if on is not None else 0
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
        for a in attempts:
            if a.outcome == "saved":
                written.setdefault((a.entity, a.key), set()).add(a.value)
        stray = [row for row, values in written.items() if final[row] not in values]
        if stray:
            problems.append(f"{len(stray)} touched rows hold a value no writer saved")
        if on is not None:
            entries = list_entries(db, catalog, EntryFilter(user=on.user), limit=max(1, audited) + 10)
            replay: dict[tuple[str, str], Any] = {}
            logged: set[tuple[str, str, str]] = set()
            for e in reversed(entries):  # oldest first: the last entry of a row is its value now
                row = (e.entity, uuid.UUID(str(e.key["id"])).hex)
                after = (e.after or {})[EDITED[e.entity]]
                replay[row] = after
                logged.add((*row, after))
            if logged != {(a.entity, a.key, a.value) for a in on.saved}:
                problems.append("the audit log's changes are not the successful saves")
            # A row whose value now an audited save wrote (values name their side's user) is the log's last.
            last_audited = {(a.entity, a.key) for a in on.saved if final[(a.entity, a.key)] == a.value}
            lost = [row for row, value in replay.items() if row in last_audited and final[row] != value]
            lost += [row for row in last_audited if row not in replay]
            if lost:
                problems.append(f"{len(lost)} rows whose value is not the audit log's last change")
    finally:
        db.dispose()
    return problems


# --- one backend ----------------------------------------------------------------------------------


def run_sides(
    target: str,
    order: tuple[str, str],
    writers: int,
    pool: list[tuple[str, str]],
    seconds: float,
    round_: int,
    slot: float,
) -> dict[str, Phase]:
    """Both sides for `seconds` each: mixed in one run switching every `slot` seconds, or (slot 0) as two
    whole phases in `order`."""
    if slot > 0:
        return run_phase(target, order, writers, pool, seconds, round_, slot)
    return {name: run_phase(target, (name,), writers, pool, seconds, round_)[name] for name in order}


def run_backend(
    label: str,
    target: str,
    writers: int,
    seconds: float,
    table: Table,
    repeat: int = 1,
    warmup: float = 0.0,
    slot: float = 0.0,
) -> list[str]:
    """`repeat` rounds of both sides on one database, the first side alternating, after `warmup` seconds of
    each unmeasured (their checks still hold); the audit-cost summary lines."""
    pool = pick_pool(target)
    how = f"switching every {slot:g} s" if slot > 0 else "as whole phases"
    if warmup > 0:
        for name, warm in run_sides(target, ("on", "off"), writers, pool, warmup, -1, slot).items():
            for p in warm.problems:
                print(f"  CHECK FAILED ({label}, warm-up, audit {name}): {p}", flush=True)
        print(
            f"  {label}: warm-up done ({warmup:g} s audit on, {warmup:g} s audit off, not measured)",
            flush=True,
        )
    print(
        f"  {label}: {writers} writers + 1 reader, {repeat} round(s) of {seconds:g} s audit on and "
        f"{seconds:g} s audit off, {how}",
        flush=True,
    )
    rounds: list[dict[str, Phase]] = []
    ratios: list[float | None] = []  # each round's save p50 with audit on over audit off
    for r in range(repeat):
        order = ("on", "off") if r % 2 == 0 else ("off", "on")
        rounds.append(run_sides(target, order, writers, pool, seconds, r, slot))
        p50s = {name: percentile([a.ms for a in ph.saved], 50) for name, ph in rounds[-1].items()}
        ratios.append(p50s["on"] / p50s["off"] if p50s["on"] and p50s["off"] else None)
        print(
            f"  round {r + 1}: save p50 audit on {fmt_ms(p50s['on'])}, off {fmt_ms(p50s['off'])}; "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    pooled = {name: _pooled([rd[name] for rd in rounds]) for name in ("on", "off")}
    said: set[str] = set()  # a mixed run's problems belong to both sides: said once
    for phase in pooled.values():
        phase.row(table, label, writers)
        for p in phase.problems:
            if p not in said:
                said.add(p)
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
    parser.add_argument(
        "--slot",
        type=float,
        default=1.0,
        help="seconds between switches of audit on and off within one run (0: two whole phases per round)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(banner("load: writers + a reader, audit on and off"))
    print(f"  load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    columns = ["load", "attempts", "edits/s", "conflicts", "save p50", "save cpu", "save p99", "pages"]
    table = Table([*columns, "page p99", "checks"])
    summary: list[str] = []
    with tempfile.TemporaryDirectory(prefix="warden-load-data-") as scratch:
        os.environ.setdefault("WARDEN_DATA_DIR", os.path.join(scratch, "data"))
        os.environ.setdefault("WARDEN_LOG_DIR", os.path.join(scratch, "logs"))
        if not args.no_sqlite:
            source = args.sqlite or demo_sqlite(args.scale)
            copy = Path(scratch) / "load.db"
            shutil.copy(source, copy)  # the demo cache stays as built
            summary += run_backend(
                "SQLite",
                str(copy),
                args.sqlite_writers,
                args.seconds,
                table,
                args.repeat,
                args.warmup,
                slot=args.slot,
            )
        if not args.no_pg:
            with PgServer() as pg:
                url = pg.demo_database("load", args.scale)
                summary += run_backend(
                    "PostgreSQL",
                    url,
                    args.pg_writers,
                    args.seconds,
                    table,
                    args.repeat,
                    args.warmup,
                    slot=args.slot,
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
