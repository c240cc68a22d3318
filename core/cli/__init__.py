"""The `warden` command line: a thin layer over core. Errors a user can cause are one line on stderr."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from core.errors import WardenError

log = logging.getLogger("warden.cli")
EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    p = argparse.ArgumentParser(prog="warden", description="Browse and edit an application's database.")
    p.add_argument("--db", help="SQLAlchemy URL or SQLite file path (default: the embedded demo database)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("demo", help="create a database and fill it with deterministic demo data")
    _db_arg(d)
    d.add_argument(
        "--scale", type=int, default=1, help="operations tables grow linearly (100 → 1M tool runs)"
    )
    d.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same rows")

    m = sub.add_parser("migrate", help="show or apply schema migrations")
    _db_arg(m)
    m.add_argument(
        "action", choices=["current", "heads", "history", "pending", "upgrade", "downgrade", "sql"]
    )
    m.add_argument("revision", nargs="?", help="target revision (upgrade defaults to head)")

    i = sub.add_parser("inspect", help="describe the entities, keys, links and vectors of a database")
    _db_arg(i)
    i.add_argument("--json", action="store_true", help="print JSON instead of text")

    e = sub.add_parser("export", help="stream the rows of one entity as CSV or JSON")
    _db_arg(e)
    e.add_argument("--entity", required=True)
    e.add_argument("--format", choices=["csv", "json"], default="csv")
    e.add_argument(
        "--where", action="append", default=[], metavar="COL=VALUE", help="equality filter; repeatable"
    )
    e.add_argument(
        "--sort", action="append", default=[], metavar="COL[:desc]",
        help="sort column; repeatable (without it, rows come in the order the database stores them)",
    )
    e.add_argument("-o", "--output", help="file to write (default: standard output)")
    e.add_argument(
        "--bom",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start CSV with a UTF-8 byte-order mark, so Excel reads non-ASCII text "
        "(default: on for -o files on Windows, off elsewhere)",
    )

    sub.add_parser("selftest", help="check that the installation works (sqlite-vec, migrations, Qt)")
    return p


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", dest="db_sub", help="SQLAlchemy URL or SQLite file path")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command (the GUI itself is started by gui.launcher, which calls this for commands)."""
    args = build_parser().parse_args(argv)
    target = getattr(args, "db_sub", None) or args.db
    if args.command is None:
        return _fail("no command given; run `warden --help` (the `warden` launcher opens the GUI)")
    return guarded(lambda: COMMANDS[args.command](args, target), target, args.command)


def guarded(action: Callable[[], int], target: str | None, what: str = "command") -> int:
    """Run `action` behind the CLI's error boundary: user errors are one line, bugs go to the log."""
    from core.logs import setup_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    log_path = setup_logging()
    try:
        return action()
    except WardenError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted", code=130)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); that is not an error of ours.
        sys.stderr.close()
        return 0
    except Exception as exc:
        friendly = _friendly_db_error(exc, target)
        if friendly:
            return _fail(friendly)
        log.exception("internal error in %s", what)
        return _fail(f"internal error: {type(exc).__name__}: {exc} (details in {log_path})", code=1)


def _fail(message: str, code: int = EXIT_USER_ERROR) -> int:
    first = " ".join(message.split())
    print(f"warden: error: {first}", file=sys.stderr)
    return code


def _friendly_db_error(exc: Exception, target: str | None) -> str | None:
    """A one-line message for driver errors a user can cause (locked file, server gone)."""
    from sqlalchemy.exc import DBAPIError

    from core.engine.db import display_url, sqlite_error_message, to_url

    if not isinstance(exc, DBAPIError) or target is None:
        return None
    url = to_url(target)
    if url.get_backend_name() == "sqlite":
        return sqlite_error_message(url.database or target, exc)
    text = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
    if url.password:
        text = text.replace(str(url.password), "***")
    return f"database error on {display_url(url)}: {text}"


def _require(target: str | None) -> str:
    if not target:
        raise WardenError("this command needs --db URL|PATH")
    return target


def _open(target: str | None, **kw: Any) -> Any:
    from core.engine.db import open_database

    return open_database(_require(target), **kw)


# --- commands ---------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, target: str | None) -> int:
    """Create (or reuse) a database, migrate it to head and fill it with demo data."""
    from core import seed
    from core.bootstrap import create_demo_database

    if args.scale < 1:
        raise WardenError("--scale must be 1 or more")
    bar = ProgressBar(sum(seed.expected_counts(args.scale).values()))
    t0 = time.perf_counter()
    counts = create_demo_database(_require(target), scale=args.scale, seed=args.seed, progress=bar.update)
    bar.close()
    total = sum(counts.values())
    secs = max(time.perf_counter() - t0, 1e-9)
    print(f"Seeded {total:,} rows in {secs:.1f} s ({total / secs:,.0f} rows/s)", file=sys.stderr)
    return 0


def cmd_migrate(args: argparse.Namespace, target: str | None) -> int:
    """Show or apply migrations."""
    from core.migrate import migrations

    action, rev = args.action, args.revision
    if action == "heads":
        print("\n".join(migrations.heads()))
        return 0
    if action == "history":
        for r in migrations.history():
            print(_revision_line(r))
        return 0
    if action in ("downgrade", "sql") and not rev:
        raise WardenError(f"`warden migrate {action}` needs a REVISION (see `warden migrate history`)")
    db = _open(target)
    try:
        if action == "current":
            cur = migrations.current(db)
            print("\n".join(cur) if cur else "(empty database: no revision applied)")
        elif action == "pending":
            for r in migrations.pending(db):
                print(_revision_line(r))
        elif action == "upgrade":
            migrations.upgrade(db, rev or "head")
            print(f"Upgraded to {', '.join(migrations.current(db)) or 'base'}", file=sys.stderr)
        elif action == "downgrade":
            migrations.downgrade(db, rev)
            print(f"Downgraded to {', '.join(migrations.current(db)) or 'base'}", file=sys.stderr)
        elif action == "sql":
            print(migrations.sql(db, rev))
    finally:
        db.dispose()
    return 0


def _revision_line(r: Any) -> str:
    marks = [
        m
        for m, on in (("head", getattr(r, "is_head", False)), ("current", getattr(r, "is_current", False)))
        if on
    ]
    suffix = f" ({', '.join(marks)})" if marks else ""
    return f"{r.revision}  {getattr(r, 'doc', '') or ''}{suffix}"


def cmd_inspect(args: argparse.Namespace, target: str | None) -> int:
    """Describe a database's entities."""
    from core.schema.catalog import load_catalog

    db = _open(target)
    try:
        cat = load_catalog(db)
        doc = {
            "backend": db.backend,
            "url": db.display_url,
            "source": cat.source,
            "capabilities": db.capabilities.as_dict(),
            "entities": cat.as_dict(),
        }
    finally:
        db.dispose()
    if args.json:
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    caps = doc["capabilities"]
    vec = caps["vector_search"] + (f" ({caps['vector_reason']})" if caps["vector_reason"] else "")
    print(f"{doc['url']}  [{doc['backend']} {caps['server_version']}]  vectors: {vec}")
    group = None
    for e in cat.ordered():
        if e.group != group:
            group = e.group
            print(f"\n{group}")
        flags = [f"{len(e.columns)} columns"]
        if e.is_link:
            flags.append("link")
        if e.vectors:
            flags.append("vectors: " + ", ".join(f"{v.column}[{v.dimension}]" for v in e.vectors))
        if e.read_only:
            flags.append(f"read-only: {e.read_only_reason}")
        targets = sorted({fk.target for fk in e.foreign_keys})
        if targets:
            flags.append("→ " + ", ".join(targets))
        print(f"  {e.name:<26} {'; '.join(flags)}")
    return 0


def cmd_export(args: argparse.Namespace, target: str | None) -> int:
    """Stream one entity's rows to stdout or a file (written whole or not at all)."""
    from core.data import repository
    from core.data.exporting import check_target, default_bom, export_file
    from core.schema.catalog import load_catalog

    filters = []
    for w in args.where:
        col, sep, value = w.partition("=")
        if not sep or not col:
            raise WardenError(f"--where needs COL=VALUE, got '{w}'")
        filters.append(repository.Filter(col.strip(), "eq", value))
    sort = []
    for s in args.sort:
        col, _, direction = s.partition(":")
        sort.append((col, direction.lower() == "desc"))
    if args.output:
        check_target(args.output)  # a missing or unwritable folder is reported before the database opens
    # A file gets the platform's default; a pipe's reader is rarely Excel, so stdout only on --bom.
    bom = args.bom if args.bom is not None else bool(args.output) and default_bom()
    db = _open(target)
    try:
        cat = load_catalog(db)
        ent = cat.get(args.entity)
        for f in filters:
            ent.column(f.column)
        # Without --sort the rows come as the database stores them, like the sqlite3 shell's dump: a
        # command-line export has no view whose order it must keep, and key order costs an index lookup
        # per row.
        view: dict[str, Any] = {"sort": sort or None, "filters": filters, "bom": bom, "stored_order": True}
        if args.output:
            n = export_file(db, cat, ent.name, args.output, args.format, **view).rows
            print(f"Wrote {n:,} rows to {args.output}", file=sys.stderr)
        else:
            _export_to_stdout(db, cat, ent.name, args.format, view)
    finally:
        db.dispose()
    return 0


def _export_to_stdout(db: Any, cat: Any, entity: str, fmt: str, view: dict[str, Any]) -> None:
    """Write the export to stdout as UTF-8 with the format's own line ends (CSV's CRLF untranslated)."""
    import io

    from core.data.exporting import write_export as write

    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stand-in for stdout
        write(sys.stdout, db, cat, entity, fmt, **view)
        return
    sys.stdout.flush()
    out = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=False)
    try:
        write(out, db, cat, entity, fmt, **view)
        out.flush()
    finally:
        out.detach()  # leave sys.stdout's buffer open


def cmd_selftest(_args: argparse.Namespace, _target: str | None) -> int:
    """Check the data core of the installation: sqlite-vec, migrations, catalog (gui.launcher adds Qt)."""
    from core.cli.selftest import run_selftest

    return 0 if run_selftest(print) else 1


COMMANDS = {
    "demo": cmd_demo,
    "migrate": cmd_migrate,
    "inspect": cmd_inspect,
    "export": cmd_export,
    "selftest": cmd_selftest,
}


class ProgressBar:
    """A small progress bar on stderr; quiet lines when stderr is not a terminal."""

    def __init__(self, total: int):
        self.total = max(total, 1)
        self.done: dict[str, int] = {}
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def update(self, table: str, done: int, _total: int) -> None:
        """Record progress of one table and redraw at most ten times a second."""
        self.done[table] = done
        now = time.monotonic()
        if now - self.last < (0.1 if self.tty else 2.0):
            return
        self.last = now
        n = sum(self.done.values())
        frac = min(n / self.total, 1.0)
        bar = "#" * int(frac * 30)
        line = f"[{bar:<30}] {frac:4.0%} {n:>10,}/{self.total:,} rows  {table}"
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Finish the bar's line."""
        if self.tty:
            print(file=sys.stderr)
