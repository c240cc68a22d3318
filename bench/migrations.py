"""Migrations bench (issue 10), two parts in one run, each against its baseline measured in the same run:

1. A migration with its backup: on copies of a SQLite demo database, an upgrade through one revision that
   adds a column to `tool_executions` in batch mode (`recreate="always"`: the table is rebuilt, as a batch
   migration does for most changes on SQLite), run by Warden (`core.migrate.running.upgrade`: the lint,
   the online backup and its integrity check, which runs on a thread while the revision runs and must pass
   before the revision commits, the revision, the audit entry) and by plain
   `alembic upgrade head` (alembic.command, the same script directory and env.py) on another copy of the
   same file. Medians of --repeat runs each, alternating which side goes first; copying the files is not
   timed. Goal: Warden / plain <= 1.3x.
2. The copy to PostgreSQL: Warden's `copy_database` (COPY in batches, then verified by counts and
   checksums) against pgloader moving the same SQLite file to the same server. Both start from an empty
   database on one throwaway PostgreSQL (pgserver); Warden's side is timed from the call to its return
   (migrating the target to head, the copy, sequences, ANALYZE, the verification, which reads every table
   of the target again). pgloader creates its own tables and does not verify. Rows per second count the
   same source rows for both. Each side's database is dropped once timed, so autovacuum's work on the
   tables one side loaded does not run inside the other side's timing. Goal: Warden's rows/s, with
   verification, at least pgloader's. Needs pgloader (Debian: `apt-get install -y pgloader`).

    python bench/migrations.py [--sqlite PATH] [--scale 100] [--part all|backup|copy] [--repeat 3]

The machine's load average is printed beside the numbers: on a shared machine they are only comparable
within one run.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import REPO_ROOT, PgServer, Table, banner, bench_parser, demo_sqlite

#: The bench's own revision, on top of the reference head: a column added to tool_executions in batch mode.
REVISION = '''"""bench: a note column on tool_executions, added in batch mode (the table rebuilt)

Revision ID: {revision}
Revises: {down}
"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tool_executions", recreate="always") as batch:
        batch.add_column(sa.Column("bench_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tool_executions", recreate="always") as batch:
        batch.drop_column("bench_note")
'''
BENCH_REVISION = "b3nch0a0d0c0"


def main() -> int:
    """Run the bench and print its tables."""
    parser = bench_parser(__doc__, default_scale=100)
    parser.add_argument("--part", choices=("all", "backup", "copy"), default="all", help="which part to run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side of each part")
    parser.add_argument("--batch", type=int, default=20_000, help="rows per COPY batch (Warden)")
    parser.add_argument("--no-pgloader", action="store_true", help="time Warden's copy only")
    args = parser.parse_args()
    os.environ.setdefault("WARDEN_DATA_DIR", tempfile.mkdtemp(prefix="warden-bench-data-"))
    os.environ.setdefault("WARDEN_LOG_DIR", tempfile.mkdtemp(prefix="warden-bench-logs-"))
    path = (args.sqlite or demo_sqlite(args.scale)).resolve()
    with tempfile.TemporaryDirectory(prefix="warden-bench-migrations-") as folder:
        work = Path(folder)
        base = _at_head(path, work / "base.db")
        if args.part in ("all", "backup"):
            print(banner("A migration with its backup vs plain alembic upgrade"))
            print(_migration_part(base, work, args.repeat).render())
        if args.part in ("all", "copy"):
            print(banner("Copy a SQLite demo database to PostgreSQL"))
            print(_copy_part(base, args.batch, args.no_pgloader, args.repeat).render())
    return 0


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def _fresh(source: Path, to: Path) -> Path:
    """A copy of the SQLite file at `to` (its WAL folded in by its last writer), old sidecars gone."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{to}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, to)
    return to


def _at_head(path: Path, to: Path) -> Path:
    """A copy of the demo at the reference head (upgraded when it is behind; not timed)."""
    from core.engine.db import open_database
    from core.migrate.running import upgrade
    from core.migrate.scripts import script_directory
    from core.migrate.status import current

    _fresh(path, to)
    db = open_database(str(to))
    try:
        if sorted(current(db)) != sorted(script_directory().get_heads()):
            print(f"  upgrading a copy of {path.name} to head first (not timed)", flush=True)
            upgrade(db, backup_dir=to.parent / "head-backup")
            shutil.rmtree(to.parent / "head-backup", ignore_errors=True)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.dispose()
    return to


def _scripts(work: Path) -> Path:
    """The reference script directory plus the bench's revision, in a folder of its own."""
    from core.migrate.scripts import script_directory

    (head,) = script_directory().get_heads()
    folder = work / "scripts"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "versions").mkdir(parents=True)
    source = REPO_ROOT / "migrations"
    for name in ("env.py", "script.py.mako"):
        shutil.copy(source / name, folder / name)
    for file in (source / "versions").glob("*.py"):
        shutil.copy(file, folder / "versions" / file.name)
    text = REVISION.format(revision=BENCH_REVISION, down=head)
    (folder / "versions" / f"{BENCH_REVISION}_bench_note.py").write_text(text)
    return folder


def _migration_part(base: Path, work: Path, repeat: int) -> Table:
    scripts = _scripts(work)
    warden: list[float] = []
    plain: list[float] = []
    backup_mb = 0.0
    load_before = _load()
    for i in range(repeat):
        sides = [_warden_upgrade, _plain_upgrade] if i % 2 == 0 else [_plain_upgrade, _warden_upgrade]
        for side in sides:
            trial = _fresh(base, work / "trial.db")
            took, size = side(trial, scripts, work / "backups")
            (warden if side is _warden_upgrade else plain).append(took)
            backup_mb = max(backup_mb, size)
            shutil.rmtree(work / "backups", ignore_errors=True)
            print(f"  {side.__name__.strip('_')}: {took:.1f} s", flush=True)
    table = Table(["side", "median s", "runs", "note"])
    w, p = statistics.median(warden), statistics.median(plain)
    runs = ", ".join
    table.add(
        "Warden upgrade + backup", f"{w:.1f}", runs(f"{t:.1f}" for t in warden), f"backup {backup_mb:,.0f} MB"
    )
    table.add("plain alembic upgrade", f"{p:.1f}", runs(f"{t:.1f}" for t in plain), "")
    table.rule()
    goal = "PASS" if w / p <= 1.3 else "MISS"
    table.add("Warden / plain", f"{w / p:.2f}x", "", f"goal <= 1.3x: {goal}; {load_before} -> {_load()}")
    return table


def _warden_upgrade(trial: Path, scripts: Path, backups: Path) -> tuple[float, float]:
    """Warden's upgrade of `trial` through the bench revision; seconds and the backup's size in MB."""
    from core.engine.db import open_database
    from core.migrate.running import upgrade

    db = open_database(str(trial))
    try:
        t0 = time.perf_counter()
        result = upgrade(db, "heads", backup_dir=backups, scripts=scripts)
        took = time.perf_counter() - t0
    finally:
        db.dispose()
    if BENCH_REVISION not in result.after:
        raise SystemExit(f"Warden's upgrade did not reach the bench revision: {result.after}")
    size = result.backup.stat().st_size / 1e6 if result.backup is not None else 0.0
    return took, size


def _plain_upgrade(trial: Path, scripts: Path, _backups: Path) -> tuple[float, float]:
    """`alembic upgrade head` with the same script directory and env.py, on its own URL; seconds."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(stdout=io.StringIO())
    cfg.set_main_option("script_location", str(scripts))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{trial}")
    t0 = time.perf_counter()
    command.upgrade(cfg, "head")
    return time.perf_counter() - t0, 0.0


def _copy_part(path: Path, batch: int, no_pgloader: bool, repeat: int) -> Table:
    table = Table(["side", "rows", "median s", "rows/s", "verified", "runs s", "note"])
    loader = None if no_pgloader else shutil.which("pgloader")
    warden: list[float] = []
    loaded: list[float] = []
    verified: set[str] = set()
    rows, tables, summary = 0, "", ""
    with PgServer() as server:
        load_before = _load()
        for i in range(repeat):
            sides = ["warden", "pgloader"] if i % 2 == 0 else ["pgloader", "warden"]
            for side in sides:
                if side == "warden":
                    name = f"warden_copy_{i}"
                    rows, took, ok, tables = _warden(path, server.new_database(name), batch)
                    warden.append(took)
                    verified.add(ok)
                elif loader is not None:
                    name = f"pgloader_copy_{i}"
                    took, summary = _pgloader(loader, path, server.new_database(name, vector=False))
                    loaded.append(took)
                else:
                    continue
                print(f"  {side}: {took:.1f} s ({_load()})", flush=True)
                _drop(server, name)
        load_after = _load()
    w = statistics.median(warden)
    runs = ", ".join
    table.add(
        "Warden copy + verify",
        f"{rows:,}",
        f"{w:.1f}",
        f"{rows / w:,.0f}",
        " / ".join(sorted(verified)),
        runs(f"{t:.1f}" for t in warden),
        tables,
    )
    if not loaded:
        table.add("pgloader", "", "", "", "", "", "skipped" if no_pgloader else "not installed")
        return table
    p = statistics.median(loaded)
    table.add(
        "pgloader (no verify)",
        f"{rows:,}",
        f"{p:.1f}",
        f"{rows / p:,.0f}",
        "no",
        runs(f"{t:.1f}" for t in loaded),
        summary,
    )
    table.rule()
    goal = "PASS" if p / w >= 1 else "MISS"
    table.add(
        "Warden / pgloader",
        "",
        "",
        f"{p / w:.2f}x",
        "",
        "",
        f"goal >= 1x: {goal}; {load_before} -> {load_after}",
    )
    return table


def _drop(server: PgServer, name: str) -> None:
    """Drop a side's database once it is timed (not timed): autovacuum's work on its freshly loaded tables
    (a VACUUM and an ANALYZE of each, within a minute of the load) would otherwise run during the next
    side's timing, whichever side that is."""
    import sqlalchemy as sa

    eng = sa.create_engine(server.admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        eng.dispose()


def _warden(path: Path, url: str, batch: int) -> tuple[int, float, str, str]:
    """Copy with verification; rows copied, seconds, whether every table matched, the table count."""
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
    # Debian's pgloader (SBCL) runs out of heap on the demo's wide JSON rows with its default prefetch of
    # 100,000 rows ("GC invariant lost"): smaller batches, as its FAQ advises.
    options = ["prefetch rows = 10000", "batch rows = 10000"]
    cmd: list[Any] = [loader, "--no-ssl-cert-verification", *(x for o in options for x in ("--with", o))]
    cmd += [f"sqlite://{path}", target]
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
