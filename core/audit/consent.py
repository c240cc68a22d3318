"""The audit log on a database Warden did not create: whether it has one, and creating it on consent."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from core.data.audit_trail import AUDIT_TABLE, audit_entity
from core.engine.db import Database
from core.schema.catalog import Catalog
from core.schema.models import metadata

__all__ = ["ensure_audit_table", "has_audit_log"]

log = logging.getLogger("warden.audit")


def has_audit_log(catalog: Catalog) -> bool:
    """Whether saves to this database can be audited (its catalog lists the audit log)."""
    return audit_entity(catalog) is not None


def ensure_audit_table(db: Database) -> bool:
    """Create the audit log in `db` if it has none; whether it was created. Call it only after the user
    agreed: it adds a table to their database. The catalog must be loaded again to list it."""
    db.allow_writes()  # ReadOnlyError on a database opened read-only; a foreign file becomes writable here
    table = metadata.tables[AUDIT_TABLE]
    with db.engine.begin() as conn:
        if sa.inspect(conn).has_table(AUDIT_TABLE):
            return False
        table.create(conn)
    log.info("created the audit log on %s", db.display_url)
    return True
