"""Recent connections in QSettings (display-safe, never a password) and passwords in the OS keyring.

When no keyring backend is usable (headless CI, a minimal Linux), a password lives only in memory
for this session; it is never written to settings or logs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from gui.settings import settings

# keyring is imported where a password is kept or read: loading it (and its backends) costs start-up time
# that a SQLite user never needs.

log = logging.getLogger("warden.gui.connection")

KEYRING_SERVICE = "Warden"
RECENT_KEY = "connections/recent"
MAX_RECENT = 10

_session_passwords: dict[str, str] = {}  # account → password, when there is no keyring


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


def keyring_problem() -> str | None:
    """Why passwords cannot be kept in the OS keyring, or None when they can."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return "No system keyring is available: the password is kept in memory for this session only."
    return None


def store_password(account: str, password: str) -> bool:
    """Keep `password` for `account`: in the OS keyring (True) or, without one, in memory (False)."""
    import keyring
    import keyring.errors

    if keyring_problem() is None:
        try:
            keyring.set_password(KEYRING_SERVICE, account, password)
            _session_passwords.pop(account, None)
            return True
        except keyring.errors.KeyringError as exc:
            log.warning("the keyring refused the password for %s: %s", account, type(exc).__name__)
    _session_passwords[account] = password
    return False


def fetch_password(account: str) -> str | None:
    """The password kept for `account` (keyring first, then this session's memory), or None."""
    if account in _session_passwords:
        return _session_passwords[account]
    if keyring_problem() is not None:
        return None
    import keyring
    import keyring.errors

    try:
        return keyring.get_password(KEYRING_SERVICE, account)
    except keyring.errors.KeyringError as exc:
        log.warning("cannot read the keyring for %s: %s", account, type(exc).__name__)
        return None


def forget_session_passwords() -> None:
    """Drop the in-memory passwords (tests, or when the user asks)."""
    _session_passwords.clear()
