"""Refreshing a PostgreSQL materialized view: its query runs again and its rows are replaced."""

from __future__ import annotations

import sqlalchemy as sa

from core.engine.db import Database
from core.errors import NotFoundError, WardenError
from core.schema.catalog import Catalog, EntityKind


def refresh_materialized_view(db: Database, catalog: Catalog, name: str) -> None:
    """Run REFRESH MATERIALIZED VIEW on entity `name`, in one transaction (readers see the old rows until it
    commits). Anything that is not a materialized view is refused with a message.

    It is a write: it goes through the write door every write takes (Database.transaction → allow_writes), so
    a connection opened read-only (a read-only profile) or held (a revision the migrations do not know)
    refuses it with ReadOnlyError. It is not in the audit log: the log records rows by key, with what they
    were, to revert; a refresh replaces the view's rows from its query, which nothing could revert."""
    entity = catalog.get(name)
    if entity.kind != EntityKind.MATERIALIZED_VIEW:
        raise WardenError(f"{entity.name} is not a materialized view, so it has nothing to refresh.")
    with db.transaction() as conn:
        quoted = conn.dialect.identifier_preparer.format_table(entity.table)
        if conn.execute(sa.select(sa.func.to_regclass(quoted))).scalar() is None:  # dropped meanwhile
            raise NotFoundError(f"{entity.name} is no longer in the database; open it again to see what is.")
        conn.exec_driver_sql(f"REFRESH MATERIALIZED VIEW {quoted}")
