"""Export rows to CSV or JSON: the one row writer the CLI and the GUI share, and a cancellable file export.

`write_rows` writes whatever rows it is given; `export_file` streams a filtered, sorted view of an entity
into a file, reports progress, and on cancel or failure removes the partial file.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from core.catalog import Catalog
from core.db import Database
from core.query import Filter, Sort

__all__ = ["FORMATS", "ExportResult", "export_file", "write_rows"]

FORMATS = ("csv", "json")


@dataclass(frozen=True)
class ExportResult:
    """What an export did: rows written, and whether it was cancelled (then the file was removed)."""

    path: str
    rows: int
    cancelled: bool = False


def write_rows(out: IO[str], fmt: str, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as CSV (a header, then one line per row) or a JSON array; the number of rows written."""
    from core.repository import to_jsonable

    n = 0
    if fmt == "json":
        out.write("[")
        for row in rows:
            out.write(",\n" if n else "\n")
            json.dump({k: to_jsonable(v) for k, v in row.items()}, out, ensure_ascii=False)
            n += 1
        out.write("\n]\n" if n else "]\n")
        return n
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(to_jsonable(row.get(c))) for c in columns])
        n += 1
    return n


def _csv_cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    return v


class _Cancelled(Exception):
    """Raised inside the row stream when the export was cancelled."""


def export_file(
    db: Database,
    catalog: Catalog,
    entity: str,
    path: str | Path,
    fmt: str,
    *,
    sort: Sort | None = None,
    filters: Iterable[Filter] = (),
    quick: str | None = None,
    cancel: threading.Event | None = None,
    on_row: Callable[[int], None] | None = None,
) -> ExportResult:
    """Stream the view into `path`; `cancel` is checked between rows and a cancelled export leaves no file.

    `on_row(n)` is called after every row with the number written so far (from this, the calling thread).
    """
    from core.repository import export_rows

    ent = catalog.get(entity)
    rows = export_rows(db, catalog, ent, sort=sort, filters=list(filters), quick=quick)
    target = Path(path)

    def guarded() -> Iterator[dict[str, Any]]:
        for n, row in enumerate(rows, start=1):
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            yield row
            if on_row is not None:
                on_row(n)

    try:
        with target.open("w", encoding="utf-8", newline="") as out:
            n = write_rows(out, fmt, ent.column_names, guarded())
    except _Cancelled:
        _close(rows)
        target.unlink(missing_ok=True)
        return ExportResult(str(target), 0, cancelled=True)
    except BaseException:
        _close(rows)
        target.unlink(missing_ok=True)
        raise
    return ExportResult(str(target), n)


def _close(rows: Iterator[Any]) -> None:
    """Close the row stream now, so its connection (and server-side cursor) is released at once."""
    close = getattr(rows, "close", None)
    if close is not None:
        close()
