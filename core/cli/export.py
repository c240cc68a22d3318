"""`warden export`: stream the rows of one entity as CSV or JSON, to stdout or a file written whole or not
at all."""

from __future__ import annotations

import argparse
import io
import sys
from typing import Any

from core.cli.targets import db_arg, open_target
from core.errors import WardenError


def add_parser(sub: Any) -> None:
    """The `export` subcommand's arguments."""
    e = sub.add_parser("export", help="stream the rows of one entity as CSV or JSON")
    db_arg(e)
    e.add_argument("--entity", required=True)
    e.add_argument("--format", choices=["csv", "json"], default="csv")
    e.add_argument(
        "--where", action="append", default=[], metavar="COL=VALUE", help="equality filter; repeatable"
    )
    e.add_argument(
        "--sort", action="append", default=[], metavar="COL[:desc]",
        help="sort column; repeatable (without it, rows come in the order the database stores them)",
    )  # fmt: skip
    e.add_argument("-o", "--output", help="file to write (default: standard output)")
    e.add_argument(
        "--bom",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start CSV with a UTF-8 byte-order mark, so Excel reads non-ASCII text "
        "(default: on for -o files on Windows, off elsewhere)",
    )


def run(args: argparse.Namespace, target: str | None) -> int:
    """Stream one entity's rows to stdout or a file (written whole or not at all)."""
    from core.data import repository
    from core.data.exporting import check_target, default_bom, export_file
    from core.schema.load import load_catalog

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
    db = open_target(target)
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
