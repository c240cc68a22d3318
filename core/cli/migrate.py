"""`warden migrate`: show or apply schema migrations."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli.targets import db_arg, open_target
from core.errors import WardenError


def add_parser(sub: Any) -> None:
    """The `migrate` subcommand's arguments."""
    m = sub.add_parser("migrate", help="show or apply schema migrations")
    db_arg(m)
    m.add_argument(
        "action", choices=["current", "heads", "history", "pending", "upgrade", "downgrade", "sql"]
    )
    m.add_argument("revision", nargs="?", help="target revision (upgrade defaults to head)")


def run(args: argparse.Namespace, target: str | None) -> int:
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
    db = open_target(target)
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
