"""`warden search`: the rows of one entity nearest to a text (by meaning, keywords or both) or to a row's
stored vector (`--like KEY`, which needs no model)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.cli.targets import db_arg, open_target
from core.errors import WardenError


def add_parser(sub: Any) -> None:
    """The `search` subcommand's arguments."""
    s = sub.add_parser("search", help="find the rows nearest to a text or to another row (k-NN, hybrid)")
    db_arg(s)
    s.add_argument("--entity", required=True)
    s.add_argument("--column", help="the vector column to search (default: the entity's first)")
    what = s.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="search for rows that mean this (and, in hybrid mode, hold its words)")
    what.add_argument(
        "--like", metavar="KEY", help="rows like the row with this key (a JSON object for a composite key)"
    )
    s.add_argument("-k", type=int, default=10, help="how many rows (default 10)")
    s.add_argument("--metric", choices=["cosine", "l2", "ip"], default="cosine")
    s.add_argument(
        "--mode",
        choices=["hybrid", "semantic", "keyword"],
        help="how to rank (default: semantic; --like ranks by the stored vector only)",
    )
    s.add_argument(
        "--where", action="append", default=[], metavar="COL=VALUE", help="equality filter; repeatable"
    )
    s.add_argument("--json", action="store_true", help="print a JSON list of {key, label, distance}")


def run(args: argparse.Namespace, target: str | None) -> int:
    """Search one entity and print the rows found, nearest first."""
    from core.data.query import Filter
    from core.schema.load import load_catalog
    from core.search.hybrid import check_mode

    mode = check_mode(args.mode or "semantic")
    if args.like is not None and mode != "semantic":
        raise WardenError(
            "--like ranks rows by the stored vector only; use --text for keyword or hybrid search"
        )
    filters = []
    for w in args.where:
        col, sep, value = w.partition("=")
        if not sep or not col.strip():
            raise WardenError(f"--where needs COL=VALUE, got '{w}'")
        filters.append(Filter(col.strip(), "eq", value))
    db = open_target(target)
    try:
        cat = load_catalog(db)
        ent = cat.get(args.entity)
        for f in filters:
            ent.column(f.column)
        options: dict[str, Any] = {
            "column": args.column,
            "k": args.k,
            "metric": args.metric,
            "filters": filters,
        }
        if args.like is not None:
            rows, path = _like(db, cat, ent, args.like, options)
        else:
            rows, path = _text(db, cat, ent, args.text, mode, options)
    finally:
        db.dispose()
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_table(rows)
        print(path, file=sys.stderr)
    return 0


def _like(
    db: Any, cat: Any, ent: Any, text: str, options: dict[str, Any]
) -> tuple[list[dict[str, Any]], str]:
    from core.search.knn import more_like_this

    result = more_like_this(db, cat, ent, _key(ent, text), **options)
    rows = [{"key": _key_out(ent, h.key), "label": h.label, "distance": h.distance} for h in result.hits]
    return rows, _path(result.path, result.elapsed_ms, result.note)


def _text(
    db: Any, cat: Any, ent: Any, text: str, mode: str, options: dict[str, Any]
) -> tuple[list[dict[str, Any]], str]:
    from core.search.hybrid import search_text

    embedder = None
    if mode != "keyword":
        from core.search.embeddings import local_embedder

        embedder = local_embedder()
    result = search_text(db, cat, ent, text, embedder, mode=mode, **options)
    rows = []
    for h in result.hits:
        row: dict[str, Any] = {"key": _key_out(ent, h.key), "label": h.label, "distance": h.distance}
        if mode != "semantic":
            row["keyword_rank"] = h.keyword_rank
        if mode == "hybrid":
            row["semantic_rank"] = h.semantic_rank
        rows.append(row)
    how = [f"keywords: {result.keyword_source}"] if result.keyword_source else []
    if result.semantic is not None:
        how.append(result.semantic.path)
    note = result.semantic.note if result.semantic else None
    return rows, _path("; ".join(how), result.elapsed_ms, note)


def _key(ent: Any, text: str) -> dict[str, Any]:
    """The key typed after --like: the value of a single-column key, or a JSON object of a composite one."""
    if len(ent.primary_key) == 1:
        return {ent.primary_key[0]: text}
    try:
        key = json.loads(text)
    except ValueError:
        key = None
    if not isinstance(key, dict):
        names = ", ".join(ent.primary_key)
        raise WardenError(f"{ent.name} has a composite key; give --like a JSON object of {names}")
    return key


def _key_out(ent: Any, key: dict[str, Any]) -> Any:
    """A key as `warden export` prints its values: the value of a single-column key, else an object."""
    from core.data.repository import to_jsonable

    if len(ent.primary_key) == 1:
        return to_jsonable(key[ent.primary_key[0]])
    return {name: to_jsonable(v) for name, v in key.items()}


def _path(how: str, elapsed_ms: float, note: str | None) -> str:
    return f"{how} · {elapsed_ms:.0f} ms" + (f" ({note})" if note else "")


def _print_table(rows: list[dict[str, Any]]) -> None:
    """One line per row: rank, distance, label, key."""
    if not rows:
        print("no rows found")
        return
    for i, row in enumerate(rows, 1):
        dist = "" if row["distance"] is None else f"{row['distance']:.4f}"
        key = row["key"] if not isinstance(row["key"], dict) else json.dumps(row["key"], ensure_ascii=False)
        print(f"{i:>3}  {dist:>8}  {row['label']}  [{key}]")
