"""Passwords of connection profiles in the OS keyring, never in a settings file, a log or a message.

When no keyring backend is usable (headless CI, a minimal Linux), a password lives only in memory for this
process; it is never written anywhere. The GUI and the CLI share these functions.
"""

from __future__ import annotations

import logging

# keyring is imported where a password is kept or read: loading it (and its backends) costs start-up time
# that a SQLite user never needs.

__all__ = [
    "KEYRING_SERVICE",
    "fetch_password",
    "forget_password",
    "forget_session_passwords",
    "keyring_problem",
    "store_password",
]

log = logging.getLogger("warden.secrets")

KEYRING_SERVICE = "Warden"

_session_passwords: dict[str, str] = {}  # account -> password, when there is no keyring


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
    """The password kept for `account` (this session's memory first, then the keyring), or None."""
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


def forget_password(account: str) -> None:
    """Drop the password kept for `account`, from memory and from the keyring (nothing if there is none)."""
    _session_passwords.pop(account, None)
    if keyring_problem() is not None:
        return
    import keyring
    import keyring.errors

    try:
        keyring.delete_password(KEYRING_SERVICE, account)
    except keyring.errors.PasswordDeleteError:
        pass  # nothing kept for it
    except keyring.errors.KeyringError as exc:
        log.warning("cannot forget the password for %s: %s", account, type(exc).__name__)


def forget_session_passwords() -> None:
    """Drop the in-memory passwords (tests, or when the user asks)."""
    _session_passwords.clear()
