"""`warden copy`: move a database (a SQLite file or a URL) into PostgreSQL, verified table by table."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.cli.targets import ProfileTarget, open_target, profile_arg
from core.errors import WardenError

#: Exit code when a table's rows or checksum differ between source and target (not an error of the command).
EXIT_MISMATCH = 1


def add_parser(sub: Any) -> None:
    """The `copy` subcommand's arguments."""
    p = sub.add_parser(
        "copy",
        help="copy every table of a database into PostgreSQL and verify it",
        description=(
            "Copy every table of --from (a SQLite file or a URL) into the PostgreSQL --to: the reference "
            "schema by migrating the target to head, a reflected database's tables created with translated "
            "types. An interrupted copy resumes where it stopped; running it again adds no rows. Afterwards "
            "every table's row count and checksum are compared; a mismatch exits 1."
        ),
    )
    p.add_argument("--from", dest="source", required=True, help="the source: SQLite file path or URL")
    p.add_argument("--to", dest="target", help="the target: a postgresql+psycopg:// URL (or --profile NAME)")
    profile_arg(p)  # a profile as the target; a read-only one needs --unlock-reason
    p.add_argument("--verify-only", action="store_true", help="only compare counts and checksums")
    p.add_argument(
        "--json",
        action="store_true",
        help="print per table {table, rows_source, rows_target, checksum_match}",
    )


def run(args: argparse.Namespace, target: str | None) -> int:
    """Copy (unless --verify-only), verify, print the comparison; 1 on any mismatch."""
    from core.data.audit_trail import Auditing
    from core.migrate.copy import copy_database
    from core.migrate.copy_verify import verify_tables
    from core.progress import Progress, TaskState

    src = open_target(args.source)
    try:
        dst = open_target(_destination(args.target, target), writes=not args.verify_only)
        try:
            if dst.backend != "postgresql":
                raise WardenError("--to must be a PostgreSQL URL (postgresql+psycopg://…)")
            shown: set[str] = set()

            def on_progress(p: Progress) -> None:
                if args.json or p.message in shown:
                    return
                shown.add(p.message)
                print(p.message, file=sys.stderr)

            state = TaskState(on_progress=on_progress)
            if args.verify_only:
                checks = verify_tables(src, dst, state=state)
            else:
                # The target's audit log names the profile the target was opened with, if any.
                who = Auditing(profile=dst.profile or "default")
                checks = copy_database(src, dst, state=state, auditing=who).checks
        finally:
            dst.dispose()
    finally:
        src.dispose()
    _print(checks, as_json=args.json)
    return 0 if all(c.ok for c in checks) else EXIT_MISMATCH


def _destination(to: str | None, target: str | None) -> str:
    """--to, or the target of --profile (the global --db is not a copy's target)."""
    profile = target if isinstance(target, ProfileTarget) else None
    if to and profile:
        raise WardenError("--to and --profile do not go together: give the target once")
    if not (to or profile):
        raise WardenError("copy needs its target: --to URL or --profile NAME")
    return profile if profile is not None else str(to)


def _print(checks: list[Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps([c.as_dict() for c in checks], indent=2))
        return
    for c in checks:
        if c.missing:
            words = "missing on the target"
        elif c.ok:
            words = "verified"
        elif c.rows_source != c.rows_target:
            words = "row counts differ"
        else:
            words = "checksums differ"
        print(f"{c.table}: {c.rows_source:,} rows in the source, {c.rows_target:,} in the target, {words}")
    bad = [c.table for c in checks if not c.ok]
    if bad:
        print(f"{len(bad)} table(s) differ: {', '.join(bad)}", file=sys.stderr)
