"""Saved schema views: a named view (what it shows, its display mode, where each box is) as a readable JSON
file in the user data folder, one folder per database.

A view stores what it is ("overview" of some tables, a table + N hops, a path) rather than the tables it
showed, so opening it on a changed schema shows today's tables: boxes still there keep the saved positions
exactly (the ones the user dragged included), and only tables new to the view are laid out, in layers of
their own beside the others. Files hold table names and coordinates only, never row values.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.errors import NotFoundError
from core.graph import er_layout
from core.graph.er import ErModel, Mode
from core.graph.layout import Point
from core.paths import data_dir

FOLDER = "schema_views"


@dataclass(frozen=True)
class SavedView:
    """A named view: `request` is what it shows (["overview", tables or None], ["around", table, hops],
    ["path", start, end]), `mode` what its boxes show, `positions` where they were."""

    name: str
    request: tuple[Any, ...]
    mode: Mode
    positions: dict[str, Point]


def views_folder(database: str) -> Path:
    """The folder of `database`'s saved views (`database` is its display URL or path)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", Path(database).stem or database).strip("-")[:40] or "database"
    digest = hashlib.sha256(database.encode()).hexdigest()[:8]
    return data_dir() / FOLDER / f"{slug}-{digest}"


def view_names(database: str) -> list[str]:
    """The names of `database`'s saved views, sorted."""
    folder = views_folder(database)
    names = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            names.append(str(json.loads(path.read_text(encoding="utf-8"))["name"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a file someone broke by hand is skipped, not fatal
    return sorted(names, key=str.casefold)


def save_view(database: str, view: SavedView) -> Path:
    """Write `view` (replacing one of the same name); returns its file."""
    folder = views_folder(database)
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "name": view.name,
        "database": database,
        "view": list(view.request),
        "mode": view.mode,
        "positions": {n: [round(x, 1), round(y, 1)] for n, (x, y) in sorted(view.positions.items())},
    }
    path = folder / _file_name(view.name)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2, ensure_ascii=False)
    os.replace(tmp, path)  # never half-written
    return path


def load_view(database: str, name: str) -> SavedView:
    """The saved view called `name`, or NotFoundError."""
    path = views_folder(database) / _file_name(name)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        request = tuple(document["view"])
        positions = {str(n): (float(p[0]), float(p[1])) for n, p in document.get("positions", {}).items()}
        mode = document.get("mode", "keys")
    except FileNotFoundError:
        raise NotFoundError(f"There is no saved view called '{name}'.") from None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise NotFoundError(f"The saved view '{name}' could not be read ({path.name}).") from exc
    if mode not in ("names", "keys", "all"):
        mode = "keys"
    return SavedView(str(document.get("name", name)), request, mode, positions)


def show_view(model: ErModel, view: SavedView, mode: Mode | None = None) -> er_layout.ErDiagram:
    """The view on today's schema: saved boxes where they were, new tables laid out beside them."""
    kind, *args = view.request
    mode = mode or view.mode
    if kind == "around":
        diagram = er_layout.around(model, str(args[0]), int(args[1]), mode)
    elif kind == "path":
        diagram = er_layout.path(model, str(args[0]), str(args[1]), mode)
    else:
        members = [m for m in args[0] if m in model.tables] if args and args[0] else None
        diagram = er_layout.overview(model, mode, members)
    return placed(diagram, view.positions)


def placed(diagram: er_layout.ErDiagram, saved: dict[str, Point]) -> er_layout.ErDiagram:
    """`diagram` with the boxes of `saved` at their saved positions and only the others laid out (among
    themselves, to the right of the saved ones)."""
    kept = {n.id: saved[n.id] for n in diagram.nodes if n.id in saved}
    if not kept:
        return diagram
    fresh = [n for n in diagram.nodes if n.id not in kept]
    positions = dict(kept)
    if fresh:
        sizes = {n.id: n.size for n in diagram.nodes}
        ids = {n.id for n in fresh}
        pairs = [
            (link.target, link.source) for link in diagram.links if link.source in ids and link.target in ids
        ]
        new = er_layout.layered([n.id for n in fresh], sizes, pairs)
        right = max(x + sizes[n][0] / 2 for n, (x, _y) in kept.items()) + er_layout.GROUP_GAP
        top = min(y - sizes[n][1] / 2 for n, (_x, y) in kept.items())
        left = min(x - sizes[n][0] / 2 for n, (x, _y) in new.items())
        high = min(y - sizes[n][1] / 2 for n, (_x, y) in new.items())
        positions.update({n: (x - left + right, y - high + top) for n, (x, y) in new.items()})
    added = len(fresh)
    note = (
        f"{added} table{'s' if added != 1 else ''} new since the view was saved." if added else diagram.note
    )
    return replace(diagram, positions=positions, note=note)


def _file_name(name: str) -> str:
    """A file name for a view's name: readable, safe on every system, distinct per name."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:60] or "view"
    return f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:6]}.json"
