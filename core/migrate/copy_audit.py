"""A copy is an audited write: each table it writes rows into gets one "copy" entry in the target's audit log,
with the counts, in the transaction of the table's last rows (issue 12). Without an audit log on the target,
or with audit explicitly off, nothing is recorded.

The target's audit log holds the source's entries with their ids (a revert entry names the id it undid), then
the target's own: the entries of its migration to head, written before the copy, are moved past the
source's ids (`make_room`), and the copy's come last. A check compares the source's ids only (copy_verify.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from core.data.audit_trail import AUDIT_TABLE, Auditing, audit_entity
from core.engine.db import Database
from core.migrate.copy_read import raw_batches, table_sql
from core.migrate.copy_values import value_form
from core.schema.catalog import Catalog, Entity
from core.schema.kinds import ColumnKind

log = logging.getLogger("warden.copy")

#: The audit log's action of a copy's entries.
COPY_ACTION = "copy"


def make_room(source: Database, target: Database, src_log: Entity, tgt_log: Entity) -> int:
    """Move the target's own entries whose ids the source's entries use (its migration to head, written
    just before the copy) past both sides' last id; how many moved. An entry copied from the source by an
    earlier run keeps its id: it has the same save as the source's entry of that id."""
    if "id" not in tgt_log.columns_by_name or "save_id" not in src_log.columns_by_name:
        return 0
    key = (tgt_log.columns_by_name["id"], tgt_log.columns_by_name["save_id"])
    theirs = {r[0]: _save(r[1]) for b in raw_batches(target, tgt_log, key) for r in b}
    if not theirs:
        return 0
    cols = (src_log.columns_by_name["id"], src_log.columns_by_name["save_id"])
    mine = {r[0]: _save(r[1]) for b in raw_batches(source, src_log, cols) for r in b}
    moved = [i for i, save in theirs.items() if i in mine and mine[i] != save]
    if moved:
        shift = max(max(mine), max(theirs))
        table = tgt_log.table
        with target.transaction() as conn:
            conn.execute(table.update().where(table.c.id.in_(moved)).values(id=table.c.id + shift))
        log.info("moved %d of the target's own audit entries past the source's", len(moved))
    return len(moved)


def _save(value: Any) -> Any:
    form = value_form(ColumnKind.UUID)
    return value if form is None or value is None else form(value)


class CopyAudit:
    """The entries of one copy run: who (OS user, connection profile), from where, one per table written."""

    def __init__(self, target_catalog: Catalog, source_name: str, auditing: Auditing | None = None) -> None:
        self.auditing = auditing if auditing is not None else Auditing()
        log = audit_entity(target_catalog) if self.auditing.enabled else None
        self.table = log.table if log is not None else None
        self.source_name = source_name
        self.save_id = uuid.uuid4()

    @property
    def enabled(self) -> bool:
        """Whether entries are written (the target has an audit log and audit is on)."""
        return self.table is not None

    def record(self, driver: Any, table: str, rows_source: int, rows_copied: int, rows_present: int) -> None:
        """Add the table's entry through `driver` (a psycopg connection, in the transaction that wrote the
        rows). The log's key sequence is first moved past the ids a copy of the log itself brought."""
        if self.table is None:
            return
        how = self.auditing
        name = table_sql(self.table.schema, self.table.name)
        with driver.cursor() as cur:
            cur.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), coalesce(max(id), 0) + 1, false) FROM {}"
                ).format(name),
                (name.as_string(driver),),
            )
            cur.execute(
                sql.SQL(
                    "INSERT INTO {} (at, os_user, profile, entity, row_key, action, before_json, after_json, "
                    "reason, save_id) VALUES (%s, %s, %s, %s, %s, %s, NULL, %s, %s, %s)"
                ).format(name),
                (
                    dt.datetime.now(dt.UTC),
                    how.user,
                    how.profile,
                    table,
                    Jsonb({}),
                    COPY_ACTION,
                    Jsonb(
                        {
                            "source": self.source_name,
                            "rows_source": rows_source,
                            "rows_copied": rows_copied,
                            "rows_present": rows_present,
                        }
                    ),
                    how.reason,
                    self.save_id,
                ),
            )


__all__ = ["AUDIT_TABLE", "COPY_ACTION", "CopyAudit", "make_room"]
