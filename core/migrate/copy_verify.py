"""Checking a copy: per table, the row counts and an order-free checksum over the canonical form of every
value (core/migrate/copy_values.py) must be the same on the source and the target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.engine.db import Database
from core.errors import NotFoundError
from core.migrate import copy_schema
from core.migrate.copy_audit import AUDIT_TABLE
from core.migrate.copy_digest import DigestPlan, RowDigest, column_plan, digest_text
from core.migrate.copy_read import raw_batches, table_sql
from core.migrate.copy_values import Checksum
from core.progress import TaskState
from core.schema.catalog import ColumnInfo, Entity
from core.schema.kinds import ColumnKind
from core.schema.load import load_catalog

_STREAM = 10_000


@dataclass(frozen=True)
class TableCheck:
    """One table compared: its rows on each side and whether their checksums agree."""

    table: str
    rows_source: int
    rows_target: int
    checksum_source: str
    checksum_target: str
    missing: bool = False  # the target has no such table

    @property
    def checksum_match(self) -> bool:
        """Whether the checksums over every value agree."""
        return not self.missing and self.checksum_source == self.checksum_target

    @property
    def ok(self) -> bool:
        """Counts and checksums agree."""
        return self.checksum_match and self.rows_source == self.rows_target

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `warden copy --json`."""
        return {
            "table": self.table,
            "rows_source": self.rows_source,
            "rows_target": self.rows_target,
            "checksum_match": self.checksum_match,
        }


def verify_tables(
    source: Database,
    target: Database,
    *,
    state: TaskState | None = None,
    source_sums: Mapping[str, Checksum | RowDigest] | None = None,
    target_sums: Mapping[str, tuple[int, str]] | None = None,
) -> list[TableCheck]:
    """Compare every copied table of `source` with the same table on `target`; `source_sums` are checksums
    of source tables already taken (by the copy that just read them)."""
    known = source_sums or {}
    src_cat = load_catalog(source, cached=False)
    tgt_cat = load_catalog(target, cached=False)
    entities = copy_schema.copied_entities(src_cat)
    checks: list[TableCheck] = []
    for i, src in enumerate(entities):
        if state is not None:
            state.set_progress(i, len(entities), f"Verifying {src.name}")
            state.check()
        try:
            tgt = tgt_cat.get(src.name)
        except NotFoundError:
            mine = _checksum(source, src, copy_schema.written_columns(src))
            checks.append(TableCheck(src.name, mine.rows, 0, mine.hexdigest, "", missing=True))
            continue
        known_sum, summed = known.get(src.name), (target_sums or {}).get(src.name)
        if isinstance(known_sum, RowDigest) and summed is not None:
            # Both sides taken during the copy, with one plan: the source's as it was read, the target's
            # by the server.
            checks.append(TableCheck(src.name, known_sum.rows, summed[0], known_sum.hexdigest, summed[1]))
            continue
        columns = [c for c in copy_schema.written_columns(src) if copy_schema.copied_column(tgt, c.name)]
        theirs_cols = [tgt.columns_by_name[c.name] for c in columns]
        # The target's audit log also holds its own entries (its migration, the copy's), after the source's.
        up_to = last_entry(source, src) if src.name == AUDIT_TABLE else None
        plan = digest_plan(target, tgt, theirs_cols)
        if plan is not None and source.backend == "sqlite":
            # The target's side summed by the server; the source's read now.
            mine_rd = _row_digest(source, src, columns, plan)
            rows, digest = server_digest(target, tgt, plan, up_to)
            checks.append(TableCheck(src.name, mine_rd.rows, rows, mine_rd.hexdigest, digest))
            continue
        if plan is not None and _same_plan(plan, digest_plan(source, src, columns)):
            rows_s, digest_s = server_digest(source, src, plan, None)
            rows, digest = server_digest(target, tgt, plan, up_to)
            checks.append(TableCheck(src.name, rows_s, rows, digest_s, digest))
            continue
        known_old = known.get(src.name)
        mine = known_old if isinstance(known_old, Checksum) else _checksum(source, src, columns)
        theirs = _checksum(target, tgt, theirs_cols, up_to=up_to)
        checks.append(TableCheck(src.name, mine.rows, theirs.rows, mine.hexdigest, theirs.hexdigest))
    if state is not None:
        state.set_progress(len(entities), len(entities), "Verified")
    return checks


def target_digest(
    source: Database, target: Database, src: Entity, tgt: Entity, plan: DigestPlan | None
) -> tuple[int, str] | None:
    """The target table's rows and server-side digest by `plan` (the one the copy summed the source's rows
    by), as `verify_tables` takes it for a SQLite source (taken early, while the copy goes on); None without
    a plan or when the source is not SQLite."""
    if source.backend != "sqlite" or plan is None:
        return None
    up_to = last_entry(source, src) if src.name == AUDIT_TABLE else None
    return server_digest(target, tgt, plan, up_to)


def source_digest(
    source: Database, target: Database, tgt: Entity, columns: Sequence[ColumnInfo]
) -> Checksum | RowDigest | None:
    """What a copy sums the source's rows into as it reads them, for `verify_tables`: the server-side plan's
    digest from SQLite, the slower Checksum when the target's types have no plan; None when the verification
    reads the source itself (both sides on PostgreSQL servers)."""
    theirs = [tgt.columns_by_name[c.name] for c in columns]
    plan = digest_plan(target, tgt, theirs)
    if plan is not None:
        return RowDigest(plan, tgt.name) if source.backend == "sqlite" else None
    return Checksum([c.kind for c in columns], [c.scale for c in columns])


def digest_plan(db: Database, entity: Entity, columns: Sequence[ColumnInfo]) -> DigestPlan | None:
    """The server-side digest's plan for these columns of a PostgreSQL table; None on SQLite, on a server
    whose text is not UTF-8 (md5 hashes the server's bytes) or when a column's type has no plan."""
    if db.backend != "postgresql":
        return None
    with db.engine.connect() as conn:
        driver: Any = conn.connection.driver_connection
        if driver.info.parameter_status("server_encoding") != "UTF8":
            return None
        rows = driver.execute(
            "select a.attname, format_type(a.atttypid, a.atttypmod), t.typtype, t.typname "
            "from pg_attribute a join pg_type t on t.oid = a.atttypid "
            "where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped",
            (table_sql(entity.schema, entity.table_name).as_string(driver),),
        ).fetchall()
        driver.rollback()
    types = {str(r[0]): (str(r[1]), str(r[2]), str(r[3])) for r in rows}
    plans = []
    for c in columns:
        found = types.get(c.name)
        one = column_plan(c.name, *found) if found is not None else None
        if one is None:
            return None
        plans.append(one)
    return DigestPlan(tuple(plans))


def _same_plan(mine: DigestPlan, theirs: DigestPlan | None) -> bool:
    return theirs is not None and [c.expression for c in mine.columns] == [
        c.expression for c in theirs.columns
    ]


def server_digest(db: Database, entity: Entity, plan: DigestPlan, up_to: int | None) -> tuple[int, str]:
    """The table's rows and digest, summed by the PostgreSQL server (no row leaves it)."""
    with db.engine.connect() as conn:
        driver: Any = conn.connection.driver_connection
        driver.execute("SET LOCAL DateStyle = 'ISO, YMD'")  # times and dates spelt as the plan says
        rows, total = driver.execute(
            plan.select(table_sql(entity.schema, entity.table_name), up_to)
        ).fetchone()
        driver.rollback()
    return int(rows), digest_text(int(total))


def _row_digest(db: Database, entity: Entity, columns: list[ColumnInfo], plan: DigestPlan) -> RowDigest:
    found = RowDigest(plan, entity.name)
    for batch in raw_batches(db, entity, columns, _STREAM):
        found.add_rows(batch)
    return found


def last_entry(db: Database, entity: Entity) -> int | None:
    """The highest id of an audit log (0 when empty); None when it has no integer id."""
    col = entity.columns_by_name.get("id")
    if col is None or col.kind != ColumnKind.INTEGER:
        return None
    with db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(entity.table.c.id))).scalar() or 0)


def _checksum(db: Database, entity: Entity, columns: list[ColumnInfo], up_to: int | None = None) -> Checksum:
    """Stream the table's columns, raw from the driver, through a Checksum; with `up_to`, only the rows
    whose id is at most that (an audit log's entries that came from the source)."""
    found = Checksum([c.kind for c in columns], [c.scale for c in columns])
    names = [c.name for c in columns]
    at = names.index("id") if up_to is not None and "id" in names else None
    for batch in raw_batches(db, entity, columns, _STREAM):
        if at is not None:
            batch = [r for r in batch if r[at] <= up_to]
        found.add_rows(batch)
    return found
