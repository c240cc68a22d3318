"""`warden inspect`: describe the entities, keys, links and vectors of a database."""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from core.cli.targets import db_arg, open_target
from core.schema.keys import KeySource

if TYPE_CHECKING:
    from core.schema.catalog import Entity


def add_parser(sub: Any) -> None:
    """The `inspect` subcommand's arguments."""
    i = sub.add_parser("inspect", help="describe the entities, keys, links and vectors of a database")
    db_arg(i)
    i.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, target: str | None) -> int:
    """Describe a database's entities, as text or JSON."""
    from core.schema.catalog_cache import collector_paused

    # Python's exit runs one last full collection, whatever the collector's state: it walked the catalog's
    # hundreds of thousands of objects again (0.4 s of a 2,500-table inspect). Frozen at exit, they are left
    # to the process's end; registered once, so a process that runs many commands (the tests) is unchanged
    # until it ends.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    # The collector stays paused for the whole command: the catalog, its document and its JSON are hundreds
    # of thousands of objects, none of them garbage, and each time a pause ended the first collection walked
    # them all (a quarter of a second at 2,500 tables, three times over).
    with collector_paused():
        return _run(args, target)


def _run(args: argparse.Namespace, target: str | None) -> int:
    from core.schema import catalog_cache

    db = open_target(target)
    try:
        # The server works out the schema's stamp (the cache's key) while the catalog's code is imported.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="warden-stamp") as pool:
            stamp = pool.submit(catalog_cache.stamp_of, db)
            from core.schema.load import load_catalog

            cat = load_catalog(db, stamp=stamp.result)
        doc: dict[str, Any] = {
            "backend": db.backend,
            "url": db.display_url,
            "source": cat.source,
            "capabilities": db.capabilities.as_dict(),
        }
    finally:
        db.dispose()
    if args.json:
        sys.stdout.write(_as_json(doc, cat.ordered()))
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
        if e.partitions:
            flags.append("partitioned: " + ", ".join(e.partitions))
        if e.vectors:
            flags.append("vectors: " + ", ".join(f"{v.column}[{v.dimension}]" for v in e.vectors))
        if e.fulltext is not None and e.fulltext.table != e.name:
            flags.append(f"full-text index: {e.fulltext.table} ({e.fulltext.module.upper()})")
        fixed = [c.name for c in e.columns if c.never_written_reason and not e.read_only]
        if fixed:  # generated, identity-always and unknown-type columns (core/schema/column_kinds.py)
            flags.append("read-only columns: " + ", ".join(fixed))
        if e.read_only:
            flags.append(f"read-only: {e.read_only_reason}")
        elif e.key_source == KeySource.UNIQUE:
            flags.append(f"keyed by unique {', '.join(e.primary_key)}")
        elif e.key_source == KeySource.ROWID:
            flags.append(f"keyed by its rowid ({e.primary_key[0]}; VACUUM may renumber it)")
        targets = sorted({fk.target for fk in e.foreign_keys})
        if targets:
            flags.append("→ " + ", ".join(targets))
        print(f"  {e.name:<26} {'; '.join(flags)}")
    return 0


def _as_json(doc: dict[str, Any], entities: Iterable[Entity]) -> str:
    """The document (its entities from `entities`) indented, one entity per line, written at once.

    json's C encoder only writes without indentation: an indented dump of 2,500 entities runs the pure
    Python one (seconds); one compact line per entity keeps it fast and still readable line by line.
    """
    head = json.dumps(doc, indent=2)
    lines = ",\n".join("    " + line for line in _entity_lines(entities))
    return f'{head[:-2]},\n  "entities": [\n{lines}\n  ]\n}}\n'


def _entity_lines(entities: Iterable[Entity]) -> Iterator[str]:
    """json.dumps(entity.as_dict()) of each entity, each distinct column written once: columns declared alike
    share one ColumnInfo (32,000 columns of 2,500 tables are 1,700 objects), and their JSON was most of it."""
    written: dict[int, str] = {}  # id of a ColumnInfo (all held by the entities) -> its JSON
    for e in entities:
        columns = []
        for c in e.columns:
            text = written.get(id(c))
            if text is None:
                text = written[id(c)] = json.dumps(c.as_dict())
            columns.append(text)
        before, after = e.dict_parts()
        # The compact encoder writes '{"a": 1, "b": 2}': the columns go between the two halves.
        yield f'{json.dumps(before)[:-1]}, "columns": [{", ".join(columns)}], {json.dumps(after)[1:]}'
