"""`warden audit` lists the audit log's entries; `warden revert` undoes one entry, some of its fields, or
its whole save, as a new audited change with the usual conflict check.

The text listing names rows and fields but shows no values; `--json` prints the entries with their
before and after values (keeping them is the audit log's job).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.cli.targets import db_arg, open_target
from core.errors import WardenError

#: Every action an entry records: row changes, and the writes that change no single row (an unlock, a
#: revision run, a copied table).
ACTIONS = ("insert", "update", "delete", "revert", "elevate", "migrate", "copy")


class _Listing:
    """The `audit` command."""

    def add_parser(self, sub: Any) -> None:
        """The `audit` subcommand's arguments."""
        a = sub.add_parser("audit", help="list the audit log: who changed which rows, when")
        db_arg(a)
        a.add_argument("--entity", help="only changes of this entity (table)")
        a.add_argument("--key", help="only changes of this row: a key value, or the whole key as JSON")
        a.add_argument("--since", metavar="T", help="only changes since T: an ISO time, or an age: 2h, 7d")
        a.add_argument("--user", help="only changes made by this OS user")
        a.add_argument("--action", choices=ACTIONS, help="only changes of this kind")
        a.add_argument("--limit", type=int, default=200, help="at most this many entries, newest first")
        a.add_argument("--json", action="store_true", help="print JSON, with before and after values")
        a.add_argument(
            "--create-log",
            action="store_true",
            help="add the audit log (table admin_audit_log) to a database without one, so saves are audited",
        )

    def run(self, args: argparse.Namespace, target: str | None) -> int:
        """List entries newest first, as text (no values) or JSON."""
        from core.audit.log import EntryFilter, list_entries, parse_since
        from core.schema.load import load_catalog

        if args.create_log:
            return _create_log(target)
        if args.limit < 1:
            raise WardenError("--limit must be at least 1")
        since = parse_since(args.since) if args.since else None
        where = EntryFilter(user=args.user, entity=args.entity, key=args.key, action=args.action, since=since)
        db = open_target(target)
        try:
            catalog = load_catalog(db)
            if args.entity:
                where = EntryFilter(**{**where.__dict__, "entity": catalog.get(args.entity).name})
            entries = list_entries(db, catalog, where, limit=args.limit)
        finally:
            db.dispose()
        if args.json:
            sys.stdout.write(json.dumps([e.as_dict() for e in entries], indent=2, ensure_ascii=False) + "\n")
            return 0
        if not entries:
            print("no entries")
            return 0
        for e in entries:
            key = ", ".join(f"{k}={v}" for k, v in e.key.items())
            what = f"reverts {e.reverts}: " if e.reverts is not None else ""
            line = (
                f"{e.id:>7}  {e.at:%Y-%m-%d %H:%M:%S}Z  {e.user}@{e.profile}  {e.action:<7} "
                f"{e.entity} [{key}]  {what}{', '.join(e.fields)}"
            )
            print(line + (f"  ({e.reason})" if e.reason else ""))
        return 0


def _create_log(target: str | None) -> int:
    """Add the audit log to the database (the user asked for it by the option)."""
    from core.audit.consent import ensure_audit_table

    db = open_target(target, writes=True)
    try:
        created = ensure_audit_table(db)
        where = db.display_url
    finally:
        db.dispose()
    print(f"Created the audit log in {where}." if created else f"{where} has an audit log already.")
    return 0


class _Reverting:
    """The `revert` command."""

    def add_parser(self, sub: Any) -> None:
        """The `revert` subcommand's arguments."""
        r = sub.add_parser("revert", help="undo one audit log entry (or some of its fields, or its save)")
        db_arg(r)
        r.add_argument("entry_id", type=int, metavar="ENTRY_ID", help="the entry's id (warden audit)")
        r.add_argument("--fields", help="only these fields of an update, comma-separated")
        r.add_argument("--whole-save", action="store_true", help="undo every entry of the entry's save")
        r.add_argument("--reason", help="why, kept with the revert's entries")

    def run(self, args: argparse.Namespace, target: str | None) -> int:
        """Revert as asked; prints what was written (rows, not values)."""
        from core.audit.log import get_entry
        from core.audit.revert import Selection, revert, revert_save
        from core.schema.load import load_catalog

        fields = tuple(f.strip() for f in (args.fields or "").split(",") if f.strip())
        if fields and args.whole_save:
            raise WardenError("--fields and --whole-save do not go together: a save is undone whole")
        db = open_target(target, writes=True)
        try:
            catalog = load_catalog(db)
            if args.whole_save:
                entry = get_entry(db, catalog, args.entry_id)
                result = revert_save(db, catalog, entry.save_id, reason=args.reason)
                what = f"the save of entry {args.entry_id}"
            else:
                result = revert(db, catalog, Selection(args.entry_id, fields), reason=args.reason)
                what = f"entry {args.entry_id}" + (f" ({', '.join(fields)})" if fields else "")
        finally:
            db.dispose()
        done = [
            f"{len(rows)} row{'s' if len(rows) != 1 else ''} {verb}"
            for rows, verb in (
                (result.updated, "updated"),
                (result.inserted, "restored"),
                (result.deleted, "deleted"),
            )
            if rows
        ]
        print(f"Reverted {what}: {', '.join(done) or 'nothing to write'}.")
        return 0


listing = _Listing()
reverting = _Reverting()
