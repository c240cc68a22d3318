"""`warden migrate`: where a database stands, preview and lint, apply migrations, drift, backups."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.cli.targets import db_arg, open_target
from core.errors import WardenError

if TYPE_CHECKING:
    from core.engine.db import Database

ACTIONS = [
    "status",
    "current",
    "heads",
    "history",
    "pending",
    "lint",
    "check",
    "upgrade",
    "downgrade",
    "sql",
    "backups",
    "restore",
    "drop-copy",
]
#: The actions that write to the database (the others read it, or write only a file).
WRITING = ("upgrade", "downgrade", "restore", "drop-copy")
#: Exit code of `check` when the database differs from the models (as `alembic check`, but not an error).
EXIT_DRIFT = 1


def add_parser(sub: Any) -> None:
    """The `migrate` subcommand's arguments."""
    m = sub.add_parser(
        "migrate",
        help="show, preview, lint or apply schema migrations",
        description=(
            "status: current, heads, pending and whether there is drift; lint [FROM:TO]: what each revision "
            "can lose; check: the drift list (exit 1 on drift); sql REV|FROM:TO: the SQL, not run; "
            "upgrade [REV] / downgrade REV (SQLite files are backed up first); backups; restore BACKUP; "
            "drop-copy NAME (a PostgreSQL copy in warden_backup)."
        ),
    )
    db_arg(m)
    m.add_argument("action", choices=ACTIONS)
    m.add_argument(
        "revision",
        nargs="?",
        help="target revision (upgrade defaults to head), a range FROM:TO for sql and lint, or a backup file",
    )
    m.add_argument("--json", action="store_true", help="status, lint, check, backups: print JSON")
    m.add_argument("--output", "-o", help="sql: write the SQL to this file instead of printing it")
    m.add_argument(
        "--project",
        help="run your own app's Alembic project instead of Warden's: its folder or its alembic.ini "
        "(its env.py runs in a separate process)",
    )
    m.add_argument(
        "--metadata",
        help="with --project: MODULE:NAME of the project's MetaData, to compare for drift (status, check)",
    )


def run(args: argparse.Namespace, target: str | None) -> int:
    """Show, preview, lint or apply migrations."""
    from core.migrate import migrations

    action, rev = args.action, args.revision
    if getattr(args, "metadata", None) and not getattr(args, "project", None):
        raise WardenError("--metadata names an external project's MetaData: give --project too")
    core = _Core(args)
    if action == "heads":
        print("\n".join(core.call(None, "heads") if core.project else migrations.heads()))
        return 0
    if action == "history" and (core.project is None or not target):
        for r in core.call(None, "history") if core.project else migrations.history():
            print(_revision_line(r))
        return 0
    if action in ("downgrade", "sql") and not rev:
        raise WardenError(f"`warden migrate {action}` needs a REVISION (see `warden migrate history`)")
    if action == "restore" and not rev:
        raise WardenError("`warden migrate restore` needs a BACKUP file (see `warden migrate backups`)")
    if action == "drop-copy" and not rev:
        raise WardenError("`warden migrate drop-copy` needs a copy's NAME (see `warden migrate backups`)")
    # `touch world.db` then `warden migrate upgrade` fills it
    db = open_target(target, empty_ok=True, writes=action in WRITING)
    try:
        return _on_database(db, action, rev, args, core)
    finally:
        db.dispose()


class _Core:
    """The core functions of an action: Warden's own scripts in this process, or an external project's
    (--project) in a child process (core/migrate/project.py); both give the same objects."""

    def __init__(self, args: argparse.Namespace) -> None:
        from core.migrate.project import Project, find_project

        path = getattr(args, "project", None)
        self.project: Project | None = find_project(path, getattr(args, "metadata", None)) if path else None

    def call(self, db: Database | None, action: str, rev: str | None = None, **kw: Any) -> Any:
        """`action` of the external project on `db`."""
        from core.migrate.project import call

        assert self.project is not None
        return call(self.project, db, action, rev, **kw)


def _on_database(
    db: Database, action: str, rev: str | None, args: argparse.Namespace, core: _Core | None = None
) -> int:
    from core.migrate import backups, lint, migrations, pg_copies

    ext = core if core is not None and core.project is not None else None
    if action == "current":
        cur = ext.call(db, "current") if ext else migrations.current(db)
        print("\n".join(cur) if cur else "(empty database: no revision applied)")
    elif action == "history" and ext:
        for r in ext.call(db, "history"):
            print(_revision_line(r))
    elif action == "pending":
        for r in ext.call(db, "pending") if ext else migrations.pending(db):
            print(_revision_line(r))
    elif action == "status":
        _print_status(ext.call(db, "status") if ext else migrations.status(db), as_json=args.json)
    elif action == "lint":
        found = ext.call(db, "lint", rev or "heads") if ext else lint.lint(db, rev or "heads")
        _print_lint(found, as_json=args.json)
    elif action == "check":
        items = ext.call(db, "check") if ext else migrations.drift_report(db)
        return _print_drift(items, as_json=args.json)
    elif action in ("upgrade", "downgrade"):
        _apply(db, action, rev or "head", ext)
    elif action == "sql":
        text = ext.call(db, "sql", str(rev)) if ext else migrations.sql(db, str(rev))
        if args.output:
            from core.migrate.preview import save

            print(f"Wrote the SQL to {save(text, Path(args.output))}", file=sys.stderr)
        else:
            print(text)
    elif action == "backups" and db.backend == "postgresql":
        _print_copies(pg_copies.list_copies(db), as_json=args.json)
    elif action == "backups":
        _print_backups(backups.list_backups(db), as_json=args.json)
    elif action == "drop-copy":
        pg_copies.drop_copy(db, str(rev))
        print(f"Dropped {pg_copies.SCHEMA}.{rev}", file=sys.stderr)
    elif action == "restore":
        backups.restore(db, Path(str(rev)))
        print(
            f"Restored {db.display_url} from {rev}; it is at {_at(migrations.current(db))}", file=sys.stderr
        )
    return 0


def _apply(db: Database, verb: str, rev: str, ext: _Core | None = None) -> None:
    """Upgrade or downgrade, a line per revision on stderr as it finishes (with --project, the project's
    own log lines too)."""
    from core.migrate import migrations
    from core.progress import TaskState

    state = TaskState(on_partial=lambda line: print(line, file=sys.stderr))
    if ext is not None:
        result = ext.call(db, verb, rev, state=state)
    else:
        run = migrations.upgrade if verb == "upgrade" else migrations.downgrade
        result = run(db, rev, state=state)
    if result.backup is not None:
        print(f"Backup from before the {verb}: {result.backup}", file=sys.stderr)
    done = "Upgraded" if verb == "upgrade" else "Downgraded"
    print(f"{done} to {_at(result.after)}", file=sys.stderr)


def _print_status(status: Any, *, as_json: bool) -> None:
    drift = status.drift or []
    if as_json:
        doc = {
            "current": status.current,
            "heads": status.heads,
            "at_head": status.at_head,
            "pending": [
                {
                    "revision": r.revision,
                    "down_revisions": list(r.down_revision),
                    "message": r.doc,
                    "docstring": r.docstring,
                }
                for r in status.pending
            ],
            "drift": bool(drift),
            "drift_items": [_drift_doc(d) for d in drift],
        }
        print(json.dumps(doc, indent=2))
        return
    print(f"current: {_at(status.current)}")
    print(f"heads:   {', '.join(status.heads)}")
    print(f"pending: {len(status.pending)}")
    for r in status.pending:
        print(f"  {r.revision}  {r.doc}")
    words = f"yes, {len(drift)} difference(s) (see `warden migrate check`)" if drift else "no"
    print(f"drift:   {words if status.drift is not None else 'not compared'}")
    for note in status.notes:
        print(note)


def _print_lint(found: list[Any], *, as_json: bool) -> None:
    if as_json:
        doc = [
            {
                "revision": r.revision,
                "message": r.message,
                "direction": r.verb,
                "destructive": r.destructive,
                "error": r.error,
                "findings": [
                    {
                        "kind": f.kind,
                        "table": f.table,
                        "column": f.column,
                        "words": f.words,
                        "rows": f.rows,
                        "loses_data": f.loses_data,
                        "blocks": f.blocks,
                    }
                    for f in r.findings
                ],
            }
            for r in found
        ]
        print(json.dumps(doc, indent=2))
        return
    if not found:
        print("Nothing to lint: no revision would run.")
    for r in found:
        mark = "destructive" if r.destructive else "safe"
        print(f"{r.revision}  {r.verb}  {mark}  {r.message}")
        for f in r.findings:
            print(f"  - {f.words}")
        if r.error:
            print(f"  ! {r.error}")


def _print_drift(items: list[Any], *, as_json: bool) -> int:
    if as_json:
        print(json.dumps([_drift_doc(d) for d in items], indent=2))
    elif not items:
        print("No drift: the database matches the models.")
    else:
        for d in items:
            print(d.words)
            for line in (d.fix_sql or "(no SQL: fix it by hand)").splitlines():
                if line.strip():
                    print(f"    {line}")
    return EXIT_DRIFT if items else 0


def _print_backups(found: list[Any], *, as_json: bool) -> None:
    if as_json:
        doc = [
            {
                "path": str(b.path),
                "revision": b.revision,
                "size": b.size,
                "created": b.created.isoformat(timespec="seconds"),
            }
            for b in found
        ]
        print(json.dumps(doc, indent=2))
        return
    if not found:
        print("(no backups of this database)")
    for b in found:
        print(f"{b.created:%Y-%m-%d %H:%M:%S}  {_at(b.revision):<16}  {b.size:>12,} bytes  {b.path}")


def _print_copies(found: list[Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps([{"name": c.name, "note": c.note, "rows": c.rows} for c in found], indent=2))
        return
    if not found:
        print("(no copies in warden_backup)")
    for c in found:
        print(f"{c.name}  {c.rows:>10,} rows  {c.note}")


def _drift_doc(d: Any) -> dict[str, Any]:
    return {"kind": d.kind, "table": d.table, "column": d.column, "words": d.words, "fix_sql": d.fix_sql}


def _at(revisions: list[str]) -> str:
    return ", ".join(revisions) or "base"


def _revision_line(r: Any) -> str:
    marks = [
        m
        for m, on in (("head", getattr(r, "is_head", False)), ("current", getattr(r, "is_current", False)))
        if on
    ]
    suffix = f" ({', '.join(marks)})" if marks else ""
    return f"{r.revision}  {getattr(r, 'doc', '') or ''}{suffix}"
