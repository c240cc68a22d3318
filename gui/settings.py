"""Small typed helpers over QSettings: column widths per entity and open tabs per connection target."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSettings

ORGANIZATION = "Warden"
APP_NAME = "Warden"
OPEN_TABS_KEY = "main_window/open_tabs"
COLUMN_WIDTHS_KEY = "column_widths"


def settings() -> QSettings:
    """The user's Warden settings in the platform's native store."""
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
