"""Remembered graph layouts: node positions and pins per database and starting record, in one JSON file.

The file lives in the user data folder (core/paths.py). It holds node ids and coordinates only (ids carry
keys, never other row values). The most recent MAX_GRAPHS graphs are kept; older ones are forgotten.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.graph.layout import Point
from core.paths import data_dir

log = logging.getLogger("warden.graph.layout_store")

MAX_GRAPHS = 200
FILE_NAME = "graph_layouts.json"
_lock = threading.Lock()  # saves run on worker threads: one read-modify-write at a time


@dataclass(frozen=True)
class SavedLayout:
    """A graph's positions and the nodes the user pinned by dragging them."""

    positions: dict[str, Point] = field(default_factory=dict)
    pinned: frozenset[str] = frozenset()


def store_path() -> Path:
    """The file that holds every remembered layout."""
    return data_dir() / FILE_NAME


def load_layout(database: str, start: str) -> SavedLayout:
    """The layout remembered for `start` (a node id) on `database` (its display URL); empty if none."""
    entry = _read().get(_slot(database, start))
    if not isinstance(entry, dict):
        return SavedLayout()
    try:
        positions = {str(n): (float(p[0]), float(p[1])) for n, p in entry.get("positions", {}).items()}
        pinned = frozenset(str(n) for n in entry.get("pinned", ()))
    except (TypeError, ValueError, IndexError, AttributeError):
        log.warning("a remembered graph layout was unreadable and is ignored")
        return SavedLayout()
    return SavedLayout(positions, pinned & positions.keys())


def save_layout(database: str, start: str, layout: SavedLayout) -> None:
    """Remember `layout` for `start` on `database`, as the most recent one."""
    entry = {
        "positions": {n: [round(x, 1), round(y, 1)] for n, (x, y) in layout.positions.items()},
        "pinned": sorted(layout.pinned),
    }
    slot = _slot(database, start)
    with _lock:
        data = _read()
        data.pop(slot, None)
        data[slot] = entry
        while len(data) > MAX_GRAPHS:
            data.pop(next(iter(data)))
        _write(data)


def _slot(database: str, start: str) -> str:
    return f"{database}\n{start}"


def _read() -> dict[str, Any]:
    path = store_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("the remembered graph layouts could not be read and start afresh")
        return {}
    return data if isinstance(data, dict) else {}


def _write(data: dict[str, Any]) -> None:
    """Write through a temporary file and a rename, so a crash never leaves half a file."""
    path = store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".graph_layouts-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
