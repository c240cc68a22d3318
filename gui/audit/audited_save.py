"""The editor's save, with the audit decision for the open database (run on the worker thread).

A database with an audit log gets every save recorded. On one without, the window does not ask yet
whether to create the log (core.audit.consent.ensure_audit_table), so its saves go with audit explicitly
off, as before the log existed. STOPGAP (issue 12): the consent dialog and the status-bar notice replace
the second branch; until then `audit_off_reason` says which databases save unaudited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.data.changes import Change
    from core.data.writes import SaveResult
    from core.engine.db import Database
    from core.schema.catalog import Catalog


def save(db: Database, catalog: Catalog, changes: list[Change], **options: Any) -> SaveResult:
    """core.data.writes.save, audited when the database has an audit log, else with audit off."""
    from core.audit.consent import has_audit_log
    from core.data import repository
    from core.data.audit_trail import AUDIT_OFF

    audit = None if has_audit_log(catalog) else AUDIT_OFF
    return repository.save(db, catalog, changes, audit=audit, **options)


def audit_off_reason(catalog: Catalog) -> str | None:
    """Why saves to this database are not audited (for the status bar), or None when they are."""
    from core.audit.consent import has_audit_log

    return None if has_audit_log(catalog) else "no audit log: saves are not audited"
