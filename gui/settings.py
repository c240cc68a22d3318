"""Typed helpers over QSettings: column widths per entity, open tabs per target, the grid's font size."""

from __future__ import annotations

import json
import os
from typing import Any

from PySide6.QtCore import QSettings

ORGANIZATION = "Warden"
APP_NAME = "Warden"
OPEN_TABS_KEY = "main_window/open_tabs"
COLUMN_WIDTHS_KEY = "column_widths"
GRID_FONT_KEY = "view/grid_font_pt"
SETTINGS_FILE = "settings.ini"
#: The grid's font size in points: the style sheet's default, and the range View → Font size keeps to.
DEFAULT_GRID_FONT_PT = 10
GRID_FONT_RANGE = (7, 28)


def settings() -> QSettings:
    """The user's Warden settings: an ini file in the data folder when WARDEN_DATA_DIR points one out
    (a portable install, a test), else the platform's native store."""
    if os.environ.get("WARDEN_DATA_DIR"):
        from core.paths import data_dir  # only here: platformdirs is not needed before the window shows

        return QSettings(str(data_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APP_NAME)


def _json_value(key: str, default: Any) -> Any:
    raw = settings().value(key)
    if not isinstance(raw, str):
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return default


def column_widths(entity: str) -> dict[str, int]:
    """Saved column widths of `entity`'s grid, column name → pixels (empty if none saved)."""
    stored = _json_value(COLUMN_WIDTHS_KEY, {}).get(entity, {})
    return {str(k): int(v) for k, v in stored.items() if isinstance(v, int) and v > 0}


def set_column_widths(entity: str, widths: dict[str, int]) -> None:
    """Remember `entity`'s column widths (column name → pixels)."""
    every = _json_value(COLUMN_WIDTHS_KEY, {})
    every[entity] = {str(k): int(v) for k, v in widths.items()}
    settings().setValue(COLUMN_WIDTHS_KEY, json.dumps(every, sort_keys=True))


def open_tabs(target: str) -> list[str]:
    """The entity tabs that were open the last time `target` (a display-safe target) was closed."""
    names = _json_value(OPEN_TABS_KEY, {}).get(target, [])
    return [str(n) for n in names] if isinstance(names, list) else []


def set_open_tabs(target: str, names: list[str]) -> None:
    """Remember the entity tabs open on `target` (a display-safe target, never a password)."""
    every = _json_value(OPEN_TABS_KEY, {})
    if names:
        every[target] = list(names)
    else:
        every.pop(target, None)
    settings().setValue(OPEN_TABS_KEY, json.dumps(every, sort_keys=True))


def grid_font_size() -> int:
    """The grid's font size in points (View → Font size), within GRID_FONT_RANGE."""
    raw = settings().value(GRID_FONT_KEY)
    try:
        size = int(str(raw)) if raw is not None else DEFAULT_GRID_FONT_PT
    except ValueError:
        size = DEFAULT_GRID_FONT_PT
    return min(max(size, GRID_FONT_RANGE[0]), GRID_FONT_RANGE[1])


def set_grid_font_size(points: int) -> int:
    """Remember the grid's font size (clamped to GRID_FONT_RANGE); returns the size kept."""
    size = min(max(int(points), GRID_FONT_RANGE[0]), GRID_FONT_RANGE[1])
    settings().setValue(GRID_FONT_KEY, size)
    return size
