"""Export bench: Warden's CSV export of 1,000,000 tool_executions against its old code and the sqlite3 shell.

    python bench/export.py [--sqlite PATH] [--scale 100] [--repeat 3] [--baseline bf46654] [--skip-old]

Sides, each run in a fresh process, alternating so that drift on the machine hits all alike:

1. Warden: core.data.exporting.export_file of the whole table (no filter, no sort: the view in key order);
1b. Warden, stored order: the same with stored_order=True, as `warden export` without --sort runs it
    (a whole table: two processes, core/data/export_parallel.py); 1c: the same in one process;
2. old: the same call on the code of `--baseline` (default bf46654, the commit before the batch export),
   extracted with `git archive` into a temporary folder and imported from there;
3. sqlite3 -csv, same order: the sqlite3 command-line shell exporting the same rows in the same order
   (`SELECT * ... ORDER BY` the key), its output redirected to a file;
4. sqlite3 -csv, table order: plain `SELECT *` (what a user types in the shell; no order to follow).

The 3x goal is checked like for like: Warden's view against the shell in the same order, and Warden's
stored-order export against the shell's plain `SELECT *`.

The Python sides time export_file only (the database is opened and its catalog loaded before the clock
starts); the shell is timed from its start to its exit. CPU is user + system time of that process and
its children (the export's helper process). The
page cache is warmed first. Warden's and the old code's files are compared byte for byte. The shell
writes stored values (keys as 32 hex digits, times without the `T` and offset), so its file is smaller.
Needs the `sqlite3` shell (Debian: `apt-get install -y sqlite3`) and git.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import io
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import REPO_ROOT, Table, banner, bench_parser, demo_sqlite

TABLE = "tool_executions"
ISSUE_SCALE = 100
BASELINE = "bf46654"  # the commit before the batch export
RESULT_PREFIX = "RESULT "
SIDES = {
    "new": "Warden",
    "new_stored": "Warden, stored order",
    "new_stored_one": "Warden, stored, 1 process",
    "old": "Warden @ baseline",
    "shell": "sqlite3 -csv, same order",
    "shell_plain": "sqlite3 -csv, table order",
}


# --- child side -----------------------------------------------------------------------------------


def child_main(root: str, db_path: str, out: str, stored: bool = False, one: bool = False) -> None:
    """Export TABLE with the core package found under `root`; print one RESULT line of JSON. `one`: in one
    process (no helper process for a whole table in stored order; core/data/export_parallel.py)."""
    sys.path.insert(0, root)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # A baseline from before core moved into packages (bee3f0f) has the flat layout; a name missing under
    # `root` would otherwise come from this checkout (the editable install finds it).
    flat = (Path(root) / "core" / "exporting.py").exists()
    modules = (
        ("core.exporting", "core.db", "core.catalog")
        if flat
        else ("core.data.exporting", "core.engine.db", "core.schema.load")
    )
    export_file = importlib.import_module(modules[0]).export_file
    open_database = importlib.import_module(modules[1]).open_database
    load_catalog = importlib.import_module(modules[2]).load_catalog
    if one:
        parallel: Any = importlib.import_module("core.data.export_parallel")
        parallel.PARALLEL_MIN_ROWS = 10**12

    db = open_database(db_path)
    catalog = load_catalog(db)
    own = bool(getattr(getattr(db, "access", None), "own", False))
    before = _cpu()
    t0 = time.perf_counter()
    result = export_file(db, catalog, TABLE, out, "csv", **({"stored_order": True} if stored else {}))
    wall = time.perf_counter() - t0
    cpu = _cpu() - before  # with the export's helper process, when it had one
    db.dispose()
    print(RESULT_PREFIX + json.dumps({"wall": wall, "cpu": cpu, "rows": result.rows, "own": own}), flush=True)


def _cpu() -> float:
    """User + system seconds of this process and of its children that ended."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


# --- parent side ----------------------------------------------------------------------------------


@dataclass
class Side:
    """Every run of one side: seconds of wall clock and CPU, and what it wrote."""

    name: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    bytes: int = 0
    digest: str = ""
    notes: list[str] = field(default_factory=list)

    def median(self, which: str) -> float:
        """The median of the wall or cpu samples."""
        values = sorted(getattr(self, which))
        mid = len(values) // 2
        return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def extract_baseline(ref: str, into: Path) -> Path:
    """The core package (and what it imports) of commit `ref`, extracted under `into`; that folder."""
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", ref, "core", "migrations"],
        check=True,
        capture_output=True,
    ).stdout
    target = into / f"warden-{ref}"
    target.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def run_python_side(
    root: Path, db: Path, out: Path, *, stored: bool = False, one: bool = False
) -> dict[str, Any]:
    """One export in a fresh interpreter with the core package under `root`; its RESULT."""
    cmd = [sys.executable, __file__, "--child", str(root), "--db", str(db), "--out", str(out)]
    cmd += ["--stored"] if stored else []
    cmd += ["--one"] if one else []
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"export under {root} failed (exit {proc.returncode})")
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX) :])
    return result


def run_shell(shell: str, db: Path, sql: str, out: Path) -> dict[str, Any]:
    """The sqlite3 shell's CSV export of `sql` into `out`: wall and CPU seconds of the process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with out.open("wb") as f:
        subprocess.run([shell, "-readonly", "-csv", "-header", str(db), sql], stdout=f, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}


def file_digest(path: Path) -> str:
    """sha256 of a file, read in 16 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 24):
            h.update(block)
    return h.hexdigest()


def key_order_sql(db: Path) -> str:
    """SELECT * in the order of Warden's unsorted view: the primary key, ascending."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        key = [r[1] for r in sorted(conn.execute(f"PRAGMA table_info({TABLE})"), key=lambda r: r[5]) if r[5]]
    finally:
        conn.close()
    return f"SELECT * FROM {TABLE} ORDER BY {', '.join(key)}"


def warm(path: Path) -> float:
    """Read the database file once so no side pays for cold disk reads; seconds taken."""
    t0 = time.perf_counter()
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass
    return time.perf_counter() - t0


def report(sides: dict[str, Side], rows: int) -> tuple[str, list[str]]:
    """The table of medians and ratios, the goals with PASS/MISS, and the goals missed."""
    new = sides["new"]
    table = Table(["side", "wall s (median)", "CPU s (median)", "rows/s", "MiB written", "vs Warden"])
    for side in sides.values():
        wall = side.median("wall")
        ratio = f"{wall / new.median('wall'):.2f}x" if side is not new else ""
        table.add(
            side.name,
            f"{wall:.2f}",
            f"{side.median('cpu'):.2f}",
            f"{rows / wall:,.0f}",
            f"{side.bytes / 2**20:,.0f}",
            ratio,
        )
    goals = Table(["goal", "measured (wall)", "measured (CPU)", "target", "result"])
    missed: list[str] = []
    if "old" in sides:
        old = sides["old"]
        speedup = old.median("wall") / new.median("wall")
        cpu_speedup = old.median("cpu") / new.median("cpu")
        ok = speedup >= 5
        missed += [] if ok else ["5x faster than the old export"]
        verdict = "PASS" if ok else "MISS"
        goals.add("Warden vs old export", f"{speedup:.2f}x faster", f"{cpu_speedup:.2f}x", ">= 5x", verdict)
    pairs = [("new", "shell"), ("new_stored", "shell_plain"), ("new_stored_one", "shell_plain")]
    pairs.append(("new", "shell_plain"))
    for mine, key in pairs:
        ours, side = sides[mine], sides[key]
        times = ours.median("wall") / side.median("wall")
        cpu_ratio = ours.median("cpu") / side.median("cpu")
        like_for_like = (mine, key) in (("new", "shell"), ("new_stored", "shell_plain"))
        ok = times <= 3
        if like_for_like and not ok:
            missed.append(f"within 3x of {side.name}")
        label = f"{ours.name} / {side.name}"
        target, verdict = ("<= 3x", "PASS" if ok else "MISS") if like_for_like else ("(for reference)", "")
        goals.add(label, f"{times:.2f}x", f"{cpu_ratio:.2f}x", target, verdict)
    return table.render() + "\n\n" + goals.render(), missed


def main(argv: list[str] | None = None) -> int:
    """Parse arguments; run every side --repeat times; print medians, ratios and the goals."""
    parser = bench_parser(__doc__, ISSUE_SCALE)
    add = parser.add_argument
    add("--repeat", type=int, default=3, help="runs per side, each in a fresh process")
    add("--baseline", default=BASELINE, help="git revision of the old export (default: %(default)s)")
    add("--skip-old", action="store_true", help="leave out the old export (about 57 s a run) and its goal")
    add("--shell", default=shutil.which("sqlite3") or "sqlite3", help="the sqlite3 command-line shell")
    add("--child", help=argparse.SUPPRESS)
    add("--db", help=argparse.SUPPRESS)
    add("--out", help=argparse.SUPPRESS)
    add("--stored", action="store_true", help=argparse.SUPPRESS)
    add("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child, args.db, args.out, args.stored, args.one)
        return 0
    if not shutil.which(args.shell):
        raise SystemExit("the sqlite3 shell is not installed (Debian: apt-get install -y sqlite3)")

    shell_version = subprocess.run([args.shell, "-version"], capture_output=True, text=True).stdout.split()[0]
    print(
        f"Warden export bench — Python {platform.python_version()}, sqlite3 shell {shell_version}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    print(banner("SQLite"))
    db = args.sqlite.resolve() if args.sqlite else demo_sqlite(args.scale)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = int(conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])
    conn.close()
    sql = key_order_sql(db)
    print(f"  {rows:,} {TABLE} rows in {db}; page cache warmed in {warm(db):.1f} s")
    print(f"  same-order SQL for the shell: {sql}")
    sides = {key: Side(name) for key, name in SIDES.items() if not (args.skip_old and key == "old")}
    with tempfile.TemporaryDirectory(prefix="warden-bench-export-") as tmp:
        work = Path(tmp)
        old_root = work
        if "old" in sides:
            old_root = extract_baseline(args.baseline, work)
            print(f"  baseline {args.baseline} extracted to {old_root}")
        for i in range(args.repeat):
            for key, side in sides.items():
                out = work / f"{key}.csv"
                if key == "new":
                    result = run_python_side(REPO_ROOT, db, out)
                    note = "memory-mapped (Warden's own file)" if result["own"] else "read() (a foreign file)"
                    side.notes = [f"{rows:,} rows written; pages {note}"]
                elif key == "new_stored":
                    result = run_python_side(REPO_ROOT, db, out, stored=True)
                elif key == "new_stored_one":
                    result = run_python_side(REPO_ROOT, db, out, stored=True, one=True)
                elif key == "old":
                    result = run_python_side(old_root, db, out)
                else:
                    query = sql if key == "shell" else f"SELECT * FROM {TABLE}"
                    result = run_shell(args.shell, db, query, out)
                side.wall.append(result["wall"])
                side.cpu.append(result["cpu"])
                side.bytes = out.stat().st_size
                if key in ("new", "new_stored", "new_stored_one", "old") and i == 0:
                    side.digest = file_digest(out)
                out.unlink()
                wall, cpu = result["wall"], result["cpu"]
                print(f"  run {i + 1} {side.name:<26} wall {wall:7.2f} s  cpu {cpu:7.2f} s", flush=True)
    print()
    if "old" in sides:
        same = sides["new"].digest == sides["old"].digest
        print(f"  Warden's file and the old code's file are {'identical' if same else 'DIFFERENT'} (sha256)")
    same = sides["new_stored"].digest == sides["new_stored_one"].digest
    verdict = "identical" if same else "DIFFERENT"
    print(f"  the stored-order files of two processes and of one are {verdict} (sha256)")
    for side in sides.values():
        for note in side.notes:
            print(f"  {side.name}: {note}")
    print(f"\nseconds, median of {args.repeat} runs per side; rows/s from the wall-clock median")
    text, missed = report(sides, rows)
    print(text)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f} (timings on a busy machine are noisier)")
    print(f"goals: {'all PASS' if not missed else 'MISS: ' + ', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
