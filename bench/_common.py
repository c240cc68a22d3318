"""Shared helpers for the hand-run benches: timing, peak RSS, fixed-width tables, demo databases.

Benches are scripts (`python bench/<name>.py`), so this module also puts the repository root on
sys.path: the package `migrations` must resolve to the folder, not to a stale editable install.
Demo databases are seeded in a child process, so the bench's own peak RSS measures the bench only.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "bench" / ".data"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

#: Files whose content decides what a demo database holds; a change to any rebuilds the cache.
SEED_INPUTS = (
    "core/seed/**/*.py", "core/schema/models/*.py", "core/types.py", "migrations/versions/*.py",
)


# --- timing ---------------------------------------------------------------------------------------


@dataclass
class Timing:
    """Wall-clock samples of one measurement, in milliseconds; `cold` is the first (uncounted) call."""

    samples: list[float]
    cold: float | None = None
    result: Any = field(default=None, repr=False)

    @property
    def median(self) -> float:
        """The median sample."""
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        """The 90th percentile (nearest rank)."""
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def measure(fn: Callable[[], Any], repeat: int, *, warmup: int = 1) -> Timing:
    """Call `fn` `warmup` times (the first is kept as `cold`), then `repeat` timed times."""
    cold: float | None = None
    result: Any = None
    for i in range(warmup):
        t0 = time.perf_counter()
        result = fn()
        if i == 0:
            cold = (time.perf_counter() - t0) * 1000
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return Timing(samples, cold, result)


def peak_rss_kib() -> int:
    """This process's peak resident set size in KiB (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def fmt_ms(value: float | None) -> str:
    """Milliseconds with precision that suits their size; '—' for none."""
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    if value < 1000:
        return f"{value:.1f}"
    return f"{value:,.0f}"


# --- tables ---------------------------------------------------------------------------------------


class Table:
    """A fixed-width text table; the first column is left-aligned, the rest right-aligned."""

    def __init__(
        self, headers: Sequence[str], *, left: Sequence[int] = (0,), drop_empty: bool = True
    ) -> None:
        self.headers = list(headers)
        self.left = set(left)
        self.drop_empty = drop_empty  # leave out columns with no value in any row
        self.rows: list[list[str] | None] = []

    def add(self, *cells: object) -> None:
        """Append a row; cells are turned into text."""
        self.rows.append(["" if c is None else str(c) for c in cells])

    def rule(self) -> None:
        """Append a separator line."""
        self.rows.append(None)

    def render(self) -> str:
        """The table as text, ready to paste into a note."""
        body = [r for r in self.rows if r is not None]
        keep = [i for i in range(len(self.headers)) if not self.drop_empty or any(r[i] for r in body)]
        widths = {i: max([len(self.headers[i]), *(len(r[i]) for r in body)]) for i in keep}

        def line(cells: Sequence[str]) -> str:
            parts = [cells[i].ljust(widths[i]) if i in self.left else cells[i].rjust(widths[i]) for i in keep]
            return "  ".join(parts).rstrip()

        sep = "  ".join("-" * widths[i] for i in keep)
        out = [line(self.headers), sep]
        out += [sep if r is None else line(r) for r in self.rows]
        return "\n".join(out)


def bench_parser(doc: str | None, default_scale: int) -> argparse.ArgumentParser:
    """A bench's argument parser with the options every bench takes: the demo database and its scale."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sqlite", type=Path, help="an existing SQLite demo database (default: build and cache one)"
    )
    parser.add_argument(
        "--scale", type=int, default=default_scale, help="demo scale to build (10,000 tool rows per unit)"
    )
    return parser


def banner(title: str) -> str:
    """A section heading."""
    return f"\n== {title} " + "=" * max(0, 96 - len(title) - 4)


# --- progress -------------------------------------------------------------------------------------


def progress_printer(prefix: str = "  ", every: float = 3.0) -> Callable[[str, int, int], None]:
    """A seed progress callback: a line when a table is complete, else at most one every `every` seconds."""
    last = [0.0]
    start = time.perf_counter()

    def report(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        finished = total > 0 and done >= total
        if finished or now - last[0] >= every:
            pct = f"{100 * done / total:5.1f}%" if total else ""
            print(f"{prefix}{now - start:6.1f}s  {stage:<24} {done:>10,} / {total:<10,} {pct}", flush=True)
            last[0] = now

    return report


# --- demo databases -------------------------------------------------------------------------------


def seed_fingerprint() -> str:
    """A short hash of the seeder, models and migrations: the cache key of a demo database."""
    digest = hashlib.sha256()
    for pattern in SEED_INPUTS:
        for path in sorted(REPO_ROOT.glob(pattern)):
            digest.update(path.relative_to(REPO_ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def build_demo(target: str, *, scale: int, seed: int = 42) -> float:
    """Create, migrate and seed `target` (path or URL) in a child process; seconds taken."""
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "bench._common", "seed", target, str(scale), str(seed)]
    subprocess.run(cmd, cwd=REPO_ROOT, check=True)
    return time.perf_counter() - t0


def demo_sqlite(scale: int, *, seed: int = 42, rebuild: bool = False) -> Path:
    """A cached SQLite demo database at this scale under bench/.data/, built on first use.

    It is built under a temporary name and renamed when complete, so an interrupted build never
    passes for a cached one; older builds of the same scale and seed are removed.
    """
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    stem = f"demo-s{scale}-seed{seed}"
    path = DATA_DIR / f"{stem}-{seed_fingerprint()}.db"
    if path.exists() and not rebuild:
        print(f"  using cached {path.relative_to(REPO_ROOT)}", flush=True)
        return path
    for old in DATA_DIR.glob(f"{stem}-*.db*"):
        old.unlink()
    tmp = path.with_name(path.name + ".creating")
    print(f"  building {path.relative_to(REPO_ROOT)} (scale {scale}); cached for later runs", flush=True)
    took = build_demo(str(tmp), scale=scale, seed=seed)
    _checkpoint_sqlite(tmp)
    tmp.rename(path)
    print(f"  built in {took:.1f} s", flush=True)
    return path


def _checkpoint_sqlite(path: Path) -> None:
    """Fold the WAL into the file so that it can be renamed on its own."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()


class PgServer:
    """A throwaway PostgreSQL (pgserver) in a temporary folder, stopped and deleted on exit."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="warden-bench-pg-")
        self._server: Any = None

    def __enter__(self) -> PgServer:
        with warnings.catch_warnings():
            # platformdirs warns about XDG_RUNTIME_DIR on headless machines; pgserver does not use it.
            warnings.simplefilter("ignore")
            import pgserver

            self._server = pgserver.get_server(Path(self._dir.name), cleanup_mode="stop")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._server is not None:
                self._server.cleanup()
        finally:
            self._dir.cleanup()

    def admin_url(self) -> Any:
        """The server's own URL, with the psycopg 3 driver."""
        import sqlalchemy as sa

        return sa.make_url(self._server.get_uri()).set(drivername="postgresql+psycopg")

    def new_database(self, name: str, *, vector: bool = True) -> str:
        """Create an empty database (with the vector extension) and return its URL."""
        import sqlalchemy as sa

        admin = self.admin_url()
        for url, sql in ((admin, f'CREATE DATABASE "{name}"'), (admin.set(database=name), None)):
            if sql is None and not vector:
                break
            eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            try:
                with eng.connect() as conn:
                    conn.exec_driver_sql(sql or "CREATE EXTENSION IF NOT EXISTS vector")
            finally:
                eng.dispose()
        return str(admin.set(database=name).render_as_string(hide_password=False))

    def demo_database(self, name: str, scale: int) -> str:
        """A new database seeded with the demo at `scale`, then vacuumed and analyzed; its URL."""
        url = self.new_database(name)
        print("  seeding PostgreSQL …", flush=True)
        build_demo(url, scale=scale)
        self.vacuum_analyze(url)
        return url

    def vacuum_analyze(self, url: str) -> float:
        """VACUUM ANALYZE every table, as autovacuum would soon after a bulk load; seconds taken."""
        import sqlalchemy as sa

        t0 = time.perf_counter()
        eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with eng.connect() as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        finally:
            eng.dispose()
        return time.perf_counter() - t0


def _seed_main(argv: Sequence[str]) -> None:
    """Child-process entry point: create, migrate and seed one database, printing progress."""
    parser = argparse.ArgumentParser(prog="bench._common seed")
    parser.add_argument("target")
    parser.add_argument("scale", type=int)
    parser.add_argument("seed", type=int)
    args = parser.parse_args(argv)
    from core.bootstrap import create_demo_database

    report = progress_printer("    ")
    counts = create_demo_database(args.target, scale=args.scale, seed=args.seed, progress=report)
    print(f"    {sum(counts.values()):,} rows in {len(counts)} tables", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        # Bulk index builds are slow statements by design; keep them out of the progress lines.
        logging.getLogger("warden.slow").setLevel(logging.ERROR)
        _seed_main(sys.argv[2:])
    else:
        sys.exit("usage: python -m bench._common seed TARGET SCALE SEED")
