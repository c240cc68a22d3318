"""The editor's save, with the audit decision for the open database (run on the worker thread).

A database with an audit log gets every save recorded. On one without, the window asks first
(gui/audit/consent_gate.py): the user creates the log, or saves with audit explicitly off for the rest of
the session, which is remembered here per database. A save nobody decided for is refused by core
(AuditUnavailable): the gate asks before any save is sent, so that refusal is only a safety net.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.data.changes import Change
    from core.data.writes import SaveResult
    from core.engine.db import Database
    from core.schema.catalog import Catalog

#: Databases (display URLs) whose saves go with audit off this session: written on the GUI thread, read on
#: workers.
_audit_off: set[str] = set()
_lock = threading.Lock()

AUDIT_OFF_REASON = (
    "This database has no audit log and you chose to save without one for this session: "
    "saves are not recorded."
)


def save(db: Database, catalog: Catalog, changes: list[Change], **options: Any) -> SaveResult:
    """core.data.writes.save, audited when the database has an audit log, else as the user decided."""
    from core.audit.consent import has_audit_log
    from core.data import repository
    from core.data.audit_trail import AUDIT_OFF

    # A database open read-only refuses the save itself (it says why): nothing is written to go unaudited.
    unaudited = is_audit_off(db) or db.capabilities.read_only
    audit = AUDIT_OFF if not has_audit_log(catalog) and unaudited else None
    return repository.save(db, catalog, changes, audit=audit, **options)


def set_audit_off(db: Database) -> None:
    """Save to `db` without audit for the rest of this session (the user chose it)."""
    with _lock:
        _audit_off.add(db.display_url)


def is_audit_off(db: Database) -> bool:
    """Whether the user chose to save to `db` without audit this session."""
    with _lock:
        return db.display_url in _audit_off


def forget_decisions() -> None:
    """Forget every "save without audit" answer (a new session; tests)."""
    with _lock:
        _audit_off.clear()


def needs_consent(db: Database, catalog: Catalog) -> bool:
    """Whether a save to `db` must ask first: writable, no audit log, and no answer yet this session."""
    from core.audit.consent import has_audit_log

    return not db.capabilities.read_only and not has_audit_log(catalog) and not is_audit_off(db)


def audit_off_reason(db: Database, catalog: Catalog) -> str | None:
    """Why saves to this database are not audited (for the status bar), or None when they are (or ask)."""
    from core.audit.consent import has_audit_log

    return AUDIT_OFF_REASON if not has_audit_log(catalog) and is_audit_off(db) else None
