"""Migrations bench, the copy to PostgreSQL: Warden's `copy_database` (COPY in batches, then verified by
counts and checksums) against pgloader moving the same SQLite file to the same server, in the same run.

    python bench/migrations.py [--sqlite PATH] [--scale 100] [--batch 5000] [--no-pgloader]

Both sides start from an empty database on one throwaway PostgreSQL 18 (pgserver). Warden's side is timed
from the call to its return: migrating the target to head, the copy, resetting sequences and the
verification (every table's rows read again on the target and checksummed). pgloader creates its own tables
and does not verify. Rows per second count the same source rows for both. The goal: Warden's rows/s, with
verification, at least pgloader's. Needs pgloader (Debian: `apt-get install -y pgloader`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import PgServer, Table, banner, bench_parser, demo_sqlite


def main() -> int:
    """Run the bench and print its table."""
    parser = bench_parser(__doc__, default_scale=100)
    parser.add_argument("--batch", type=int, default=5_000, help="rows per COPY batch (Warden)")
    parser.add_argument("--no-pgloader", action="store_true", help="time Warden only")
    args = parser.parse_args()
    os.environ.setdefault("WARDEN_DATA_DIR", tempfile.mkdtemp(prefix="warden-bench-data-"))
    os.environ.setdefault("WARDEN_LOG_DIR", tempfile.mkdtemp(prefix="warden-bench-logs-"))
    print(banner("Copy a SQLite demo database to PostgreSQL"))
    path = (args.sqlite or demo_sqlite(args.scale)).resolve()
    table = Table(["side", "rows", "seconds", "rows/s", "verified", "note"])
    with PgServer() as server:
        rows, seconds, verified, note = _warden(path, server.new_database("warden_copy"), args.batch)
        table.add(
            "Warden copy + verify", f"{rows:,}", f"{seconds:.1f}", f"{rows / seconds:,.0f}", verified, note
        )
        warden_rate = rows / seconds
        loader = shutil.which("pgloader")
        if args.no_pgloader or loader is None:
            table.add("pgloader", "", "", "", "", "skipped" if args.no_pgloader else "not installed")
        else:
            url = server.new_database("pgloader_copy", vector=False)
            took, note = _pgloader(loader, path, url)
            table.add("pgloader (no verify)", f"{rows:,}", f"{took:.1f}", f"{rows / took:,.0f}", "no", note)
            goal = "PASS" if warden_rate >= rows / took else "MISS"
            table.rule()
            table.add(
                "Warden / pgloader", "", "", f"{warden_rate / (rows / took):.2f}x", "", f"goal >= 1x: {goal}"
            )
    print(table.render())
    return 0


def _warden(path: Path, url: str, batch: int) -> tuple[int, float, str, str]:
    """Copy with verification; rows copied, seconds, whether every table matched, the slowest table."""
    from core.engine.db import open_database
    from core.migrate.copy import copy_database

    source, target = open_database(str(path), read_only=True), open_database(url)
    try:
        t0 = time.perf_counter()
        result = copy_database(source, target, batch_rows=batch)
        took = time.perf_counter() - t0
    finally:
        source.dispose()
        target.dispose()
    rows = sum(t.rows_source for t in result.tables)
    bad = [c.table for c in result.checks if not c.ok]
    return rows, took, "yes" if not bad else f"NO: {', '.join(bad)}", f"{len(result.tables)} tables"


def _pgloader(loader: str, path: Path, url: str) -> tuple[float, str]:
    """pgloader moving the file into `url`'s database; seconds, and its own summary line."""
    import sqlalchemy as sa

    u = sa.make_url(url)
    socket_dir = str(u.query.get("host", "")) or "/tmp"
    port = u.port or 5432
    # pgloader reads a socket directory as unix:DIR:PORT in place of a host name.
    target = f"pgsql://{u.username}@unix:{socket_dir}:{port}/{u.database}"
    cmd: list[Any] = [loader, "--no-ssl-cert-verification", f"sqlite://{path}", target]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return took, "FAILED: " + " | ".join(tail)
    lines = [ln for ln in done.stdout.splitlines() if "Total import time" in ln]
    return took, " ".join(lines[-1].split()) if lines else ""


if __name__ == "__main__":
    raise SystemExit(main())
