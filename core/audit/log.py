"""The audit log's entries: listed newest first with filters (user, entity, key, action, time), one by id,
and the entries of one save. Plain data: the viewer and the CLI show them; revert reads them."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from core.data.audit_trail import AUDIT_TABLE, AuditUnavailable, audit_entity
from core.engine.db import Database
from core.errors import NotFoundError, WardenError
from core.schema.catalog import Catalog

__all__ = ["Entry", "EntryFilter", "get_entry", "list_entries", "parse_since", "save_entries"]

DEFAULT_LIMIT = 200


@dataclass(frozen=True)
class Entry:
    """One row's change in one save, as the audit log holds it (values as plain JSON)."""

    id: int
    at: dt.datetime
    user: str
    profile: str
    entity: str
    key: dict[str, Any]
    action: str  # insert, update, delete or revert
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    save_id: str
    reverts: int | None

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the change set (an update's changed fields; an insert's or a delete's whole row)."""
        return tuple({**(self.before or {}), **(self.after or {})})

    @property
    def kind(self) -> str:
        """What the change did to the row, a revert included: insert, update or delete."""
        if self.before is None:
            return "insert"
        return "delete" if self.after is None else "update"

    def as_dict(self) -> dict[str, Any]:
        """The entry as `warden audit --json` prints it."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "user": self.user,
            "profile": self.profile,
            "entity": self.entity,
            "key": self.key,
            "action": self.action,
            "fields": list(self.fields),
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "save_id": self.save_id,
            "reverts": self.reverts,
        }


@dataclass(frozen=True)
class EntryFilter:
    """Which entries to list; None matches anything. `key` is one key value (any key column) or a JSON
    object of the whole key; times are compared in UTC, `since` inclusive, `until` exclusive."""

    user: str | None = None
    entity: str | None = None
    key: str | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    save_id: str | None = None


def _log_table(catalog: Catalog) -> sa.Table:
    found = audit_entity(catalog)
    if found is None:
        raise AuditUnavailable(f"This database has no audit log ({AUDIT_TABLE}).")
    return found.table


def list_entries(
    db: Database,
    catalog: Catalog,
    where: EntryFilter | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    before_id: int | None = None,
) -> list[Entry]:
    """Entries matching `where`, newest first; the next page starts below `before_id` (the last id shown)."""
    t = _log_table(catalog)
    stmt = sa.select(t).where(*_conditions(t, where or EntryFilter(), db.backend)).order_by(t.c.id.desc())
    if before_id is not None:
        stmt = stmt.where(t.c.id < before_id)
    with db.engine.connect() as conn:
        return [_entry(row) for row in conn.execute(stmt.limit(limit)).mappings()]


def get_entry(db: Database, catalog: Catalog, entry_id: int) -> Entry:
    """One entry by its id, or NotFoundError."""
    t = _log_table(catalog)
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == entry_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"The audit log has no entry {entry_id}.")
    return _entry(row)


def save_entries(db: Database, catalog: Catalog, save_id: str) -> list[Entry]:
    """Every entry of one save, in the order the save wrote them."""
    t = _log_table(catalog)
    stmt = sa.select(t).where(t.c.save_id == _save_uuid(save_id)).order_by(t.c.id)
    with db.engine.connect() as conn:
        return [_entry(row) for row in conn.execute(stmt).mappings()]


def _entry(row: sa.RowMapping) -> Entry:
    return Entry(
        id=row["id"],
        at=row["at"],
        user=row["os_user"],
        profile=row["profile"],
        entity=row["entity"],
        key=_json(row["row_key"]) or {},
        action=row["action"],
        before=_json(row["before_json"]),
        after=_json(row["after_json"]),
        reason=row["reason"],
        save_id=str(row["save_id"]),
        reverts=row["reverts"],
    )


def _json(value: Any) -> Any:
    """A JSON column's value: parsed by the driver already, or (entries SQLite wrote as text) parsed here."""
    return json.loads(value) if isinstance(value, str) else value


def _save_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(text).strip())
    except ValueError:
        raise NotFoundError("A save id is a UUID such as 123e4567-e89b-12d3-a456-426614174000.") from None


# --- filters ----------------------------------------------------------------------------------------


def _conditions(t: sa.Table, f: EntryFilter, backend: str) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    if f.user:
        out.append(t.c.os_user == f.user)
    if f.entity:
        out.append(t.c.entity == f.entity)
    if f.action:
        out.append(t.c.action == f.action)
    if f.since is not None:
        out.append(t.c.at >= f.since)
    if f.until is not None:
        out.append(t.c.at < f.until)
    if f.save_id:
        out.append(t.c.save_id == _save_uuid(f.save_id))
    if f.key is not None and f.key.strip():
        out.append(_key_condition(t, f.key.strip(), backend))
    return out


def _key_condition(t: sa.Table, text: str, backend: str) -> sa.ColumnElement[bool]:
    """A whole key given as a JSON object, else one value of any key column (a UUID in any spelling)."""
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        if backend == "postgresql":
            return sa.cast(t.c.row_key, JSONB) == sa.cast(sa.bindparam(None, json.dumps(whole)), JSONB)
        return sa.func.json(t.c.row_key) == sa.func.json(json.dumps(whole, separators=(",", ":")))
    with contextlib.suppress(ValueError):
        text = str(uuid.UUID(text))  # keys are logged as UUIDs with dashes, in lower case
    if backend == "postgresql":
        each = sa.func.jsonb_each_text(sa.cast(t.c.row_key, JSONB)).table_valued("key", "value")
        return sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value == text))
    each = sa.func.json_each(t.c.row_key).table_valued("key", "value")
    return sa.exists(sa.select(sa.literal(1)).select_from(each).where(sa.cast(each.c.value, sa.Text) == text))


_RELATIVE = re.compile(r"^(\d+)\s*(m|min|h|d|w)$", re.I)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """A time as the CLI's --since takes it: ISO 8601 (naive means UTC) or an age such as 30m, 2h, 7d, 1w."""
    now = now or dt.datetime.now(dt.UTC)
    found = _RELATIVE.match(text.strip())
    if found:
        amount, unit = int(found.group(1)), _UNITS[found.group(2).lower()]
        return now - dt.timedelta(**{unit: amount})
    try:
        stamp = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise WardenError(
            "--since takes a time such as 2026-05-01, 2026-05-01T12:30:00Z or an age such as 2h or 7d."
        ) from None
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)
