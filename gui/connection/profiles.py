"""Recent connections in QSettings (display-safe, never a password); passwords live in the OS keyring
through core.audit.secrets, shared with the CLI (re-exported here for the dialog and the menu).

When no keyring backend is usable (headless CI, a minimal Linux), a password lives only in memory
for this session; it is never written to settings or logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.audit.secrets import (
    KEYRING_SERVICE,
    fetch_password,
    forget_session_passwords,
    keyring_problem,
    store_password,
)
from gui.settings import settings

__all__ = [
    "KEYRING_SERVICE",
    "MAX_RECENT",
    "RecentConnection",
    "clear_recent",
    "fetch_password",
    "forget_session_passwords",
    "keyring_problem",
    "recent_connections",
    "remember_connection",
    "store_password",
]

RECENT_KEY = "connections/recent"
MAX_RECENT = 10


@dataclass(frozen=True)
class RecentConnection:
    """One recent connection: a SQLite path or a PostgreSQL URL without password."""

    target: str  # a file path, or a URL without password
    kind: str  # "sqlite" | "postgresql"
    account: str = ""  # keyring user name for PostgreSQL: user@host:port/db

    @property
    def label(self) -> str:
        """The text of its menu entry."""
        return self.account if self.kind == "postgresql" else self.target


def recent_connections() -> list[RecentConnection]:
    """Recent connections, most recent first."""
    raw = settings().value(RECENT_KEY)
    try:
        items = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        items = []
    out: list[RecentConnection] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("target"), str):
            kind, account = str(item.get("kind", "sqlite")), str(item.get("account", ""))
            out.append(RecentConnection(item["target"], kind, account))
    return out[:MAX_RECENT]


def remember_connection(entry: RecentConnection) -> list[RecentConnection]:
    """Put `entry` first in the recent list (once, at most MAX_RECENT kept); the new list."""
    if ":***@" in entry.target:
        raise ValueError("a recent connection is a target without password, not a masked URL")
    entries = [entry] + [e for e in recent_connections() if e.target != entry.target]
    entries = entries[:MAX_RECENT]
    data = [{"target": e.target, "kind": e.kind, "account": e.account} for e in entries]
    settings().setValue(RECENT_KEY, json.dumps(data))
    return entries


def clear_recent() -> None:
    """Forget every recent connection."""
    settings().remove(RECENT_KEY)
