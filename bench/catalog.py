"""Large-schema bench: Warden's catalog of a 2,500-table database against a plain `MetaData.reflect()`.

    python bench/catalog.py                    # SQLite, 2,500 tables, 3 runs each
    python bench/catalog.py --pg --repeat 5    # … and a throwaway PostgreSQL (pgserver)
    python bench/catalog.py --tables 500 --no-gui
    python bench/catalog.py --no-sqlite --pg-url URL   # a PostgreSQL database that already holds the schema

The schema is generated (seeded, so every run builds the same one): tables of 8–15 columns with an integer
primary key, 1–3 foreign keys to earlier tables, an index on a foreign key, unique constraints on some,
five rows each (reflection samples text and BLOB columns), and a view for every 100th table. The SQLite file
is cached under bench/.data/, named by a hash of the generated SQL; PostgreSQL is built fresh in pgserver.

Measured, medians over --repeat runs (plus one warm-up run that is not counted):

- baseline: `sa.MetaData().reflect(views=True)` on a plain engine — the same run, the same database;
- Warden, cold: `load_catalog(db, cached=False)` on an open database;
- Warden, reopen in the same process: `load_catalog(db)` with the catalog held in memory;
- Warden, reopen from the cache file: `load_catalog(db)` after the memory was cleared;
- `warden inspect --json` as a fresh process: with an empty data folder (cold), and with the cache file
  written by a previous run (warm);
- the navigator: a fresh `warden --db FILE` process, offscreen, from the window's first frame (when the app
  starts opening the database) until the main window's `navigator_filled` (the navigator lists the entities,
  from a listing of their names while the catalog is read; the child quits once the catalog is there): cold
  (empty data folder) and warm (the cache file of a previous run).

The issue's goals (#14, "Large schemas"): inspect --json ≤ 2 s and ≤ 0.45× the baseline; the navigator filled
within 1 s of the window appearing, on both backends.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import logging
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import DATA_DIR, REPO_ROOT, PgServer, Table, Timing, banner, fmt_ms, measure

TABLES = 2500
ROWS = 5
VIEW_EVERY = 100
INSPECT_GOAL_S = 2.0
INSPECT_GOAL_RATIO = 0.45
NAVIGATOR_GOAL_S = 1.0
RESULT_PREFIX = "RESULT "
NOUNS = (
    "customer", "invoice", "shipment", "ledger", "asset", "contract", "ticket", "campaign", "vendor",
    "payment", "warehouse", "employee", "project", "task", "device", "sensor", "store", "product", "review",
    "account", "booking", "course", "lesson", "patient", "visit", "policy", "claim", "route", "vehicle",
)  # fmt: skip
#: (name, SQLite type, PostgreSQL type, a value for row n as SQL)
COLUMNS: tuple[tuple[str, str, str, Callable[[int], str]], ...] = (
    ("name", "VARCHAR(120) NOT NULL", "VARCHAR(120) NOT NULL", lambda n: f"'Item {n}'"),
    ("code", "VARCHAR(32) NOT NULL", "VARCHAR(32) NOT NULL", lambda n: f"'C-{n:05d}'"),
    (
        "status",
        "VARCHAR(16) NOT NULL DEFAULT 'new'",
        "VARCHAR(16) NOT NULL DEFAULT 'new'",
        lambda n: "'open'",
    ),
    ("amount", "NUMERIC(12, 2)", "NUMERIC(12, 2)", lambda n: f"{n * 10}.50"),
    ("quantity", "INTEGER", "INTEGER", lambda n: str(n)),
    ("is_active", "BOOLEAN NOT NULL DEFAULT 1", "BOOLEAN NOT NULL DEFAULT TRUE", lambda n: "TRUE"),
    ("created_at", "TIMESTAMP", "TIMESTAMPTZ", lambda n: f"'2026-01-0{n} 10:00:00'"),
    ("updated_at", "TIMESTAMP", "TIMESTAMPTZ", lambda n: f"'2026-02-0{n} 11:30:00'"),
    ("notes", "TEXT", "TEXT", lambda n: f"'note {n}'"),
    ("email", "VARCHAR(200)", "VARCHAR(200)", lambda n: f"'user{n}@example.com'"),
    ("score", "REAL", "DOUBLE PRECISION", lambda n: f"{n}.25"),
    ("due_date", "DATE", "DATE", lambda n: f"'2026-03-0{n}'"),
    ("payload", "JSON", "JSONB", lambda n: f"'{{\"n\": {n}}}'"),
    ("external_ref", "VARCHAR(64)", "VARCHAR(64)", lambda n: f"'ext-{n}'"),
    ("priority", "SMALLINT", "SMALLINT", lambda n: str(n % 3)),
)


# --- the schema -----------------------------------------------------------------------------------


def schema_sql(backend: str, tables: int = TABLES, seed: int = 14) -> list[str]:
    """The statements that build the bench schema on `backend` ('sqlite' or 'postgresql'), in order."""
    rng = random.Random(seed)
    pg = backend == "postgresql"
    names = [f"{NOUNS[i % len(NOUNS)]}_{i:04d}" for i in range(tables)]
    out: list[str] = []
    for i, name in enumerate(names):
        extra = rng.sample(COLUMNS[3:], rng.randint(4, 10))  # name, code and status always; 8–15 in all
        chosen = [*COLUMNS[:3], *sorted(extra, key=COLUMNS.index)]
        targets = rng.sample(names[:i], min(i, rng.randint(1, 3)))
        cols = ["id INTEGER PRIMARY KEY"]
        cols += [f"{c[0]} {c[2] if pg else c[1]}" for c in chosen]
        cols += [f"{t}_id INTEGER REFERENCES {t}(id)" for t in targets]
        if rng.random() < 0.4:
            cols.append("UNIQUE (code)")
        if rng.random() < 0.2 and any(c[0] == "external_ref" for c in chosen):
            cols.append("UNIQUE (name, external_ref)")
        out.append(f"CREATE TABLE {name} (\n  " + ",\n  ".join(cols) + "\n)")
        indexed = f"{targets[0]}_id" if targets else "name"
        out.append(f"CREATE INDEX ix_{name}_{indexed} ON {name} ({indexed})")
        col_names = ["id", *(c[0] for c in chosen), *(f"{t}_id" for t in targets)]
        rows = [
            "(" + ", ".join([str(n), *(c[3](n) for c in chosen), *(str(n) for _ in targets)]) + ")"
            for n in range(1, ROWS + 1)
        ]
        out.append(f"INSERT INTO {name} ({', '.join(col_names)}) VALUES " + ", ".join(rows))
        if i % VIEW_EVERY == VIEW_EVERY - 1 and targets:
            t = targets[0]
            out.append(
                f"CREATE VIEW v_{name} AS SELECT a.id, a.name, a.status, b.name AS {t}_name "
                f"FROM {name} a JOIN {t} b ON b.id = a.{t}_id"
            )
    return out


def sqlite_schema_file(tables: int) -> Path:
    """The bench's SQLite file, built on first use and cached under bench/.data/ by a hash of its SQL."""
    statements = schema_sql("sqlite", tables)
    digest = hashlib.sha256("\n;\n".join(statements).encode()).hexdigest()[:10]
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"catalog-{tables}-{digest}.db"
    if path.exists():
        print(f"  using cached {path.relative_to(REPO_ROOT)}", flush=True)
        return path
    for old in DATA_DIR.glob(f"catalog-{tables}-*.db"):
        old.unlink()
    tmp = path.with_name(path.name + ".creating")
    tmp.unlink(missing_ok=True)
    t0 = time.perf_counter()
    conn = sqlite3.connect(tmp)
    try:
        conn.executescript("BEGIN;\n" + ";\n".join(statements) + ";\nCOMMIT;")
    finally:
        conn.close()
    tmp.rename(path)
    print(f"  built {path.relative_to(REPO_ROOT)} ({tables:,} tables) in {time.perf_counter() - t0:.1f} s")
    return path


def build_pg(url: str, tables: int) -> float:
    """Create the bench schema in the (empty) PostgreSQL database at `url`; seconds taken.

    A transaction per 500 statements: one for all of them would hold a lock per new relation and run out of
    the lock table (max_locks_per_transaction).
    """
    import sqlalchemy as sa

    t0 = time.perf_counter()
    engine = sa.create_engine(url)
    statements = schema_sql("postgresql", tables)
    try:
        for start in range(0, len(statements), 500):
            with engine.begin() as conn:
                for stmt in statements[start : start + 500]:
                    conn.exec_driver_sql(stmt)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return time.perf_counter() - t0


# --- in-process measurements ----------------------------------------------------------------------


def plain_reflect(url: str) -> Callable[[], Any]:
    """The baseline: a plain engine's MetaData.reflect() of every table and view."""
    import sqlalchemy as sa
    from sqlalchemy.exc import SAWarning

    engine = sa.create_engine(url)

    def run() -> int:
        md = sa.MetaData()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            md.reflect(bind=engine, views=True)
        return len(md.tables)

    return run


def in_process(url: str, repeat: int) -> dict[str, Timing]:
    """Baseline and Warden's load_catalog (cold, reopened from memory, reopened from the cache file)."""
    from core.engine.db import open_database
    from core.schema import catalog_cache
    from core.schema.load import load_catalog

    out: dict[str, Timing] = {}
    out["reflect"] = measure(plain_reflect(url), repeat)
    print(f"  MetaData.reflect(): {out['reflect'].result:,} tables and views", flush=True)
    db = open_database(url)
    try:
        out["cold"] = measure(lambda: load_catalog(db, cached=False), repeat)
        print(f"  load_catalog: {len(out['cold'].result.entities):,} entities", flush=True)
        load_catalog(db)  # fills the cache (memory and file)
        out["memory"] = measure(lambda: load_catalog(db), repeat)

        def from_file() -> Any:
            catalog_cache.forget()
            return load_catalog(db)

        out["file"] = measure(from_file, repeat)
        same = out["file"].result.as_dict() == out["cold"].result.as_dict()
        print(f"  cached catalog equals a fresh one: {same}", flush=True)
    finally:
        db.dispose()
    return out


# --- fresh processes ------------------------------------------------------------------------------

NAVIGATOR_CHILD = """
import sys, time
from PySide6.QtCore import QTimer
from gui import app as warden_app
from gui.main_window import MainWindow
from gui.runtime import workers

app = warden_app.create_application()
window = MainWindow(build_later=True)
window.show()
marks = {}

def filled(_overview):
    marks["filled"] = time.perf_counter()
    print("RESULT " + str((marks["filled"] - marks["window"]) * 1000), flush=True)


def catalog_loaded(_overview):
    print("CATALOG " + str((time.perf_counter() - marks["window"]) * 1000), flush=True)
    QTimer.singleShot(0, app.quit)

def start():
    marks["window"] = time.perf_counter()
    window.build()
    window.navigator_filled.connect(filled)
    window.overview_loaded.connect(catalog_loaded)
    window.load_failed.connect(lambda message: (print(message, file=sys.stderr), app.exit(3)))
    window.open_target(sys.argv[1])

warden_app.after_first_paint(window, start)
QTimer.singleShot(120_000, lambda: app.exit(4))
app.aboutToQuit.connect(lambda: workers.shutdown(2000))
code = app.exec()
window.close()
sys.exit(code)
"""


def child_env(data_dir: Path) -> dict[str, str]:
    """The environment of a Warden child process: offscreen, its own data, log and settings folders."""
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1", WARDEN_DATA_DIR=str(data_dir),
        WARDEN_LOG_DIR=str(data_dir / "logs"), XDG_CONFIG_HOME=str(data_dir / "config"),
        PYTHONPATH=str(REPO_ROOT),
    )  # fmt: skip
    return env


def timed_process(cmd: list[str], data_dir: Path) -> tuple[float, str]:
    """Run `cmd` to its end; wall-clock milliseconds and its stdout (a failure stops the bench)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=child_env(data_dir), capture_output=True, text=True)
    took = (time.perf_counter() - t0) * 1000
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"{cmd[1:3]} failed (exit {proc.returncode})")
    return took, proc.stdout


def inspect_run(target: str, data_dir: Path) -> float:
    """`warden inspect --json` in a fresh process; milliseconds to its end."""
    cmd = [sys.executable, "-c", "import sys; from gui.launcher import main; sys.exit(main(sys.argv[1:]))"]
    took, out = timed_process([*cmd, "inspect", "--db", target, "--json"], data_dir)
    json.loads(out)  # the whole document came out
    return took


def navigator_run(target: str, data_dir: Path) -> float:
    """A fresh window on `target`: milliseconds from its first frame until the navigator is filled."""
    _took, out = timed_process([sys.executable, "-c", NAVIGATOR_CHILD, target], data_dir)
    lines = [ln for ln in out.splitlines() if ln.startswith(RESULT_PREFIX)]
    return float(lines[-1][len(RESULT_PREFIX) :])


def in_empty_folder(run: Callable[[str, Path], float], target: str, scratch: str) -> float:
    """`run` with a new, empty data folder: nothing cached."""
    return run(target, Path(tempfile.mkdtemp(dir=scratch)))


def reported(fn: Callable[[], float], repeat: int, *, warmup: int = 1) -> Timing:
    """Like _common.measure, but each sample is the milliseconds `fn` returns (what the child measured)."""
    cold = [fn() for _ in range(warmup)]
    return Timing([fn() for _ in range(repeat)], cold[0] if cold else None, None)


def processes(target: str, repeat: int, *, gui: bool) -> dict[str, Timing]:
    """inspect --json and the navigator in fresh processes, each cold (empty data folder) and warm."""
    out: dict[str, Timing] = {}
    kinds: list[tuple[str, Callable[[str, Path], float]]] = [("inspect", inspect_run)]
    if gui:
        kinds.append(("navigator", navigator_run))
    for label, run in kinds:
        # inspect is timed from outside (the whole process); the navigator by what the child reports, from the
        # window's first frame to the filled navigator (its process also starts Python and reads the catalog).
        timed = measure if label == "inspect" else reported
        with tempfile.TemporaryDirectory(prefix="warden-bench-") as scratch:
            warm_dir = Path(scratch) / "warm"  # kept across runs: the cache file of the previous run is read
            out[f"{label} cold"] = timed(functools.partial(in_empty_folder, run, target, scratch), repeat)
            out[f"{label} warm"] = timed(functools.partial(run, target, warm_dir), repeat)
        print(f"  {label}: done", flush=True)
    return out


# --- the report -----------------------------------------------------------------------------------


def report(backend: str, results: dict[str, Timing]) -> tuple[str, list[tuple[str, str, str, bool]]]:
    """The table of medians and ratios against the baseline, and the goals with their verdicts."""
    base = results["reflect"].median
    labels = {
        "reflect": "MetaData.reflect() (baseline)",
        "cold": "load_catalog, no cache",
        "memory": "load_catalog, reopen (in memory)",
        "file": "load_catalog, reopen (cache file)",
        "inspect cold": "warden inspect --json, no cache (process)",
        "inspect warm": "warden inspect --json, cache file (process)",
        "navigator cold": "navigator filled after window, no cache",
        "navigator warm": "navigator filled after window, cache file",
    }
    table = Table(["measurement", "median ms", "p90 ms", "first ms", "vs reflect"])
    for key, label in labels.items():
        t = results.get(key)
        if t is None:
            continue
        table.add(label, fmt_ms(t.median), fmt_ms(t.p90), fmt_ms(t.cold), f"{t.median / base:.2f}x")
    goals: list[tuple[str, str, str, bool]] = []
    if "inspect cold" in results:
        ms = results["inspect cold"].median
        goals.append((f"{backend}: inspect --json, no cache", f"{ms / 1000:.2f} s", "<= 2 s", ms <= 2000))
        ratio = ms / base
        goals.append(
            (f"{backend}: inspect / reflect", f"{ratio:.2f}x", "<= 0.45x", ratio <= INSPECT_GOAL_RATIO)
        )
    for key in ("navigator cold", "navigator warm"):
        if key in results:
            ms = results[key].median
            goals.append((f"{backend}: {key}", f"{ms / 1000:.2f} s", "<= 1 s", ms <= 1000 * NAVIGATOR_GOAL_S))
    return table.render(), goals


def run_backend(
    backend: str, url: str, target: str, repeat: int, *, gui: bool
) -> list[tuple[str, str, str, bool]]:
    """Measure one backend and print its table; its goals."""
    results = in_process(url, repeat)
    results.update(processes(target, repeat, gui=gui))
    text, goals = report(backend, results)
    print()
    print(text)
    return goals


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the schemas, run the measurements, print the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tables", type=int, default=TABLES, help="tables in the generated schema")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    parser.add_argument("--pg", action="store_true", help="also bench a throwaway PostgreSQL (pgserver)")
    parser.add_argument(
        "--pg-url",
        help="bench this PostgreSQL database (built before by build_pg with the same --tables) instead of a "
        "throwaway one: a server kept running skips the build",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--no-gui", action="store_true", help="skip the navigator measurements")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Slow-statement logging stays on (its cost is part of Warden); only its console lines are muted.
    logging.getLogger("warden.slow").setLevel(logging.ERROR)
    # The in-process cache file goes to a scratch data folder, never the user's.
    os.environ["WARDEN_DATA_DIR"] = tempfile.mkdtemp(prefix="warden-bench-data-")
    # An installed Warden runs from compiled bytecode (pip and PyInstaller both ship it); a checkout with
    # PYTHONDONTWRITEBYTECODE would compile every module in every child. The uncounted warm-up run writes
    # the children's bytecode to a scratch folder, never beside the sources (as bench/startup.py does).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="warden-bench-pycache-")
    import sqlalchemy as sa

    print(f"Warden catalog bench — {args.tables:,} tables, Python {platform.python_version()}, "
          f"SQLAlchemy {sa.__version__}, {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at start; {args.repeat} runs each")  # fmt: skip
    goals: list[tuple[str, str, str, bool]] = []
    if not args.no_sqlite:
        print(banner("SQLite"))
        path = sqlite_schema_file(args.tables)
        goals += run_backend("SQLite", f"sqlite:///{path}", str(path), args.repeat, gui=not args.no_gui)
    if args.pg_url:
        print(banner("PostgreSQL (given database)"))
        goals += run_backend("PostgreSQL", args.pg_url, args.pg_url, args.repeat, gui=not args.no_gui)
    elif args.pg:
        print(banner("PostgreSQL"))
        with PgServer() as server:
            url = server.new_database("warden_catalog_bench", vector=False)
            print(f"  built {args.tables:,} tables in {build_pg(url, args.tables):.1f} s", flush=True)
            goals += run_backend("PostgreSQL", url, url, args.repeat, gui=not args.no_gui)
    print(banner("Goals (issue 14, large schemas)"))
    table = Table(["goal", "measured (median)", "target", "result"])
    for name, measured, target, ok in goals:
        table.add(name, measured, target, "PASS" if ok else "MISS")
    print(table.render())
    print(f"load average at end: {os.getloadavg()[0]:.2f} (timings on a busy machine are noisier)")
    shutil.rmtree(os.environ["WARDEN_DATA_DIR"], ignore_errors=True)
    shutil.rmtree(os.environ["PYTHONPYCACHEPREFIX"], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
