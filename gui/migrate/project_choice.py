"""The external Alembic project picked for a database, remembered per database (its display-safe target)."""

from __future__ import annotations

import json

from gui.settings import settings

PROJECTS_KEY = "migrate/projects"


def _every() -> dict[str, str]:
    raw = settings().value(PROJECTS_KEY)
    try:
        found = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def project_for(target: str) -> str | None:
    """The alembic.ini picked for `target` (a display URL, never a password), or None: Warden's own."""
    return _every().get(target)


def remember_project(target: str, ini: str | None) -> None:
    """Remember `ini` for `target`; None forgets it (Warden's own migrations again)."""
    every = _every()
    if ini:
        every[target] = ini
    else:
        every.pop(target, None)
    settings().setValue(PROJECTS_KEY, json.dumps(every, sort_keys=True))
