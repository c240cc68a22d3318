"""Moving a database to PostgreSQL: every table of a source (SQLite file or URL) copied into a PostgreSQL
target with psycopg's COPY, in foreign-key order and in batches, resumable, then verified.

The reference schema's tables come from migrating the target to head; a reflected database's tables are
created from its catalog with their types translated (core/migrate/copy_schema.py). Each batch is its own
committed transaction, so an interrupted copy keeps what it wrote; a second run skips rows whose keys the
target already holds, so nothing is written twice. A table whose rows reference each other (or one without
a key) is copied in one transaction: a parent in a later batch would fail, and a half copy has nothing to
resume by.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import sqlalchemy as sa

from core.data.audit_trail import Auditing
from core.engine.db import Database
from core.errors import MigrationFailed, WardenError
from core.migrate import copy_schema
from core.migrate.copy_audit import AUDIT_TABLE, CopyAudit, make_room
from core.migrate.copy_behind import Behind, Ending, end_fresh
from core.migrate.copy_digest import RowDigest
from core.migrate.copy_helper import HELPER_MIN_ROWS, DigestHelper
from core.migrate.copy_keys import DeferredKeys
from core.migrate.copy_read import raw_batches
from core.migrate.copy_values import Checksum, value_form
from core.migrate.copy_verify import TableCheck, source_digest, verify_tables
from core.migrate.copy_writer import Copier, refused
from core.migrate.running import ensure_schema
from core.migrate.scripts import script_directory
from core.migrate.status import current
from core.progress import Cancelled, TaskState
from core.schema.catalog import Catalog, CatalogSource, ColumnInfo, Entity
from core.schema.load import load_catalog
from core.schema.models import metadata

log = logging.getLogger("warden.copy")

#: Rows per COPY statement and commit (a resumed copy repeats at most one batch's reading).
BATCH_ROWS = 20_000


@dataclass(frozen=True)
class TableCopy:
    """What the copy did to one table: rows in the source, rows it wrote, rows the target already had."""

    table: str
    rows_source: int
    rows_copied: int
    rows_present: int


@dataclass(frozen=True)
class CopyResult:
    """A whole copy: the tables written, the ones created from the reflected schema, and the checks."""

    tables: list[TableCopy]
    created: list[str] = field(default_factory=list)
    migrated: list[str] = field(default_factory=list)  # revisions applied to the target first
    checks: list[TableCheck] = field(default_factory=list)
    audited: bool = False  # each table written has a "copy" entry in the target's audit log

    @property
    def ok(self) -> bool:
        """Whether every table's count and checksum match (True when not verified)."""
        return all(c.ok for c in self.checks)


def copy_database(
    source: Database,
    target: Database,
    *,
    batch_rows: int = BATCH_ROWS,
    state: TaskState | None = None,
    verify: bool = True,
    auditing: Auditing | None = None,
    schema_only: bool = False,
) -> CopyResult:
    """Copy every table of `source` into the PostgreSQL `target`, then (by default) verify it.

    Each table the copy writes rows into gets a "copy" entry in the target's audit log (`auditing`: who;
    none without an audit log on the target or with audit explicitly off). `schema_only` is the dry run: the
    target's tables are made (migrated to head, reflected ones created), no row is copied, and the tables
    are listed with their rows in the source."""
    _check_target(source, target)
    src_cat = load_catalog(source, cached=False)
    entities = _audit_log_first(copy_schema.copied_entities(src_cat))
    migrated: list[str] = []
    modelled = [e for e in entities if _is_modelled(src_cat, e)]
    if modelled:
        _check_source_at_head(source)
        migrated = ensure_schema(target).applied
    created = copy_schema.create_reflected(target, [e for e in entities if not _is_modelled(src_cat, e)])
    target.dispose()  # pooled connections opened before pgvector existed do not know its type
    tgt_cat = load_catalog(target, cached=False)
    if entities and entities[0].name == AUDIT_TABLE and AUDIT_TABLE in tgt_cat.entities:
        make_room(source, target, entities[0], tgt_cat.get(AUDIT_TABLE))
    if schema_only:
        with source.engine.connect() as conn:
            planned = [TableCopy(e.name, _count(conn, e), 0, 0) for e in entities]
        return CopyResult(tables=planned, created=created, migrated=migrated)
    with source.engine.connect() as conn:
        rows = {e.name: _count(conn, e) for e in entities}
    total = sum(rows.values())
    entities = _big_first(entities, rows)
    behind = Behind(source, target, verify)

    def ended(one: TableCopy) -> None:  # committed: its ANALYZE and the server's digest, behind
        summed = run.sums.get(one.table)
        plan = summed.plan if isinstance(summed, RowDigest) else None
        behind.table_done(src_cat.get(one.table), tgt_cat.get(one.table), plan, analyze=one.rows_copied > 0)

    run = _Run(_Progress(state, total), batch_rows, CopyAudit(tgt_cat, source.display_url, auditing), ended)
    # Counted before any table is copied: a table's end may drop the foreign keys of empty tables that
    # point at it (copy_keys.py), which locks them until its commit, while the next table is being read.
    with target.engine.connect() as conn:
        run.target_rows = {e.name: _count(conn, tgt_cat.get(e.name)) for e in entities}
    if verify and source.backend == "sqlite" and max(rows.values(), default=0) >= HELPER_MIN_ROWS:
        run.helper = DigestHelper.start()  # large tables' source side summed beside the copy
    groups = copy_schema.cycles(entities)
    copied: list[TableCopy] = []
    try:
        for ent in entities:
            group = [e for e in entities if any(ent.name in g and e.name in g for g in groups)]
            if not group:
                copied.append(_copy_table(source, target, ent, tgt_cat, run))
            elif ent is group[-1]:  # every table of the cycle is placed: their other parents are copied
                run.ending.wait()
                done = _copy_cycle(source, target, group, tgt_cat, run)
                copied += done
                for one in done:
                    ended(one)
        run.ending.wait()
        _reset_sequences(target, [tgt_cat.get(e.name) for e in entities])
        target_sums = behind.finish()
    finally:
        run.ending.close()
        behind.close()
        if run.helper is not None:
            run.helper.close()
    checks = (
        verify_tables(source, target, state=state, source_sums=run.sums, target_sums=target_sums)
        if verify
        else []
    )
    return CopyResult(
        tables=copied, created=created, migrated=migrated, checks=checks, audited=run.audit.enabled
    )


@dataclass
class _Run:
    """What every table of one copy shares: progress, batch size, the audit entries, the source's sums."""

    progress: _Progress
    batch_rows: int
    audit: CopyAudit
    ended: Callable[[TableCopy], None]  # a table is committed (the work that follows it is queued)
    sums: dict[str, Checksum | RowDigest] = field(
        default_factory=dict
    )  # taken from the rows as they were copied
    ending: Ending = field(default_factory=lambda: Ending())
    helper: DigestHelper | None = None  # sums a large table's source rows in a second process
    target_rows: dict[str, int] = field(default_factory=dict)  # each table's rows on the target at the start


def _audit_log_first(entities: list[Entity]) -> list[Entity]:
    """The audit log (no foreign keys) before every other table: the copy's own entries come after the ids
    of the entries it copies."""
    return sorted(entities, key=lambda e: e.name != AUDIT_TABLE)


def _check_target(source: Database, target: Database) -> None:
    if target.backend != "postgresql":
        raise WardenError("The copy's target must be a PostgreSQL database (postgresql+psycopg://…).")
    if source.url == target.url:
        raise WardenError("The source and the target are the same database; pick another target.")
    target.allow_writes()


def _is_modelled(catalog: Catalog, entity: Entity) -> bool:
    """A reference-schema table (the target gets it from the migrations), not one reflected."""
    return (
        catalog.source != CatalogSource.REFLECTED
        and isinstance(entity.source, sa.Table)
        and (metadata.tables.get(entity.name) is entity.source)
    )


def _check_source_at_head(source: Database) -> None:
    heads = sorted(script_directory().get_heads())
    at = current(source)
    if at and at != heads:
        raise MigrationFailed(
            f"{source.display_url} is at revision {', '.join(at)}, not at head ({', '.join(heads)}); "
            "upgrade it first (`warden migrate upgrade --db …`) so both sides have the same tables."
        )


def _big_first(entities: list[Entity], rows: dict[str, int]) -> list[Entity]:
    """The copy's order: the audit log first, parents before the tables that reference them, and among the
    tables whose parents are placed the one with the most rows first, so a large table's end (its indexes
    and keys, on the server) overlaps the reading of a large next table here, not of a small one. Tables
    that reference each other in a circle keep `entities`' order."""
    names = {e.name for e in entities}
    todo, placed, order = list(entities), set[str](), list[Entity]()
    while todo:
        ready = [
            e
            for e in todo
            if all(f.target in placed or f.target == e.name or f.target not in names for f in e.foreign_keys)
        ]
        if not ready:
            return entities  # a cycle: its tables stay next to each other, in one transaction
        pick = max(ready, key=lambda e: (e.name == AUDIT_TABLE, rows[e.name]))
        order.append(pick)
        placed.add(pick.name)
        todo.remove(pick)
    return order


def _count(conn: sa.Connection, entity: Entity) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(entity.table)).scalar_one())


class _Progress:
    """Rows done of all tables, reported through the task state after every batch."""

    def __init__(self, state: TaskState | None, total: int) -> None:
        self.state, self.total, self.done = state, total, 0

    def batch(self, table: str, rows: int, *, check: bool = True) -> None:
        self.done += rows
        if self.state is not None:
            self.state.set_progress(self.done, self.total, f"Copying {table}")
            if check:
                self.state.check()

    def table_done(self, done: TableCopy) -> None:
        if self.state is not None:
            self.state.set_partial_result(done)


def _copy_table(
    source: Database,
    target: Database,
    src: Entity,
    tgt_cat: Catalog,
    run: _Run,
    shared: Any = None,
) -> TableCopy:
    """Copy the rows of one table the target does not hold yet, or all of them into an empty table.

    An empty table is filled in one transaction, its secondary indexes and foreign keys made again after
    its rows (a sort and a join each, instead of index and reference upkeep per row), so a cancel leaves it
    empty; that end (and its commit) runs on `run.ending`'s thread while the next table's first rows are read
    and spelt. A table the target already holds some rows of (an older run) is completed in committed
    batches. `shared`: a raw connection whose one transaction holds a whole cycle of tables (its caller
    waits for the table before and tells the tables' ends)."""
    tgt = tgt_cat.get(src.name)
    columns = [c for c in copy_schema.written_columns(src) if copy_schema.copied_column(tgt, c.name)]
    with source.engine.connect() as conn:
        n_source = _count(conn, src)
    n_target = run.target_rows[src.name]
    fresh = n_target == 0 and shared is None
    one_go = shared is not None or fresh or not src.primary_key or copy_schema.self_referencing(src)
    # The audit log's count says nothing: the target's own entries are in it too.
    if (n_target == n_source and src.name != AUDIT_TABLE) or n_source == 0:
        run.ending.wait()
        done = TableCopy(src.name, n_source, 0, n_target)  # copied by an earlier run (verify tells)
        run.progress.batch(src.name, n_source)
        run.progress.table_done(done)
        if shared is None:
            run.ended(done)
        return done
    present = _present_keys(target, tgt, src) if n_target and src.primary_key else set()
    copier = Copier(shared or target.engine.raw_connection(), tgt, columns, src.name)
    summed = source_digest(source, target, tgt, columns)
    big = isinstance(summed, RowDigest) and n_source >= HELPER_MIN_ROWS
    remote = run.helper if big and run.helper is not None and run.helper.ready() else None
    if remote is not None and isinstance(summed, RowDigest):
        remote.begin(src.name, summed.plan)
    keyed = _key_reader(src, columns) if present else None
    written = last = 0
    handed = False
    try:
        batches = raw_batches(source, src, columns, run.batch_rows)
        nxt = next(batches, None)
        # While the table before ends (its indexes, keys and commit on the server), this one's first batches
        # are read, summed and spelt here; nothing of it reaches the server before that commit, so no lock of
        # the table before is waited for (dropping this one's keys locks the tables they reference).
        # A batch is kept as its COPY text, or as its rows when psycopg's adapters must write them.
        ahead: list[tuple[int, list[tuple[Any, ...]], bytes | None]] = []
        size = 0
        while fresh and nxt is not None and not run.ending.done() and size < _AHEAD_BYTES:
            batch, nxt = nxt, next(batches, None)
            spelt = copier.spelt(_summed_columns(summed, batch, remote))
            ahead.append((len(batch), batch if spelt is None else [], spelt))
            size += len(spelt) if spelt is not None else 200 * len(batch)
            run.progress.batch(src.name, len(batch))
        run.ending.wait()
        if n_target and not src.primary_key:
            copier.clear()  # a keyless table's half copy cannot be told apart: copy it again whole
        deferred = DeferredKeys.take(copier.conn, tgt) if fresh else None
        if deferred is not None:
            copier.freeze()  # its keys dropped first: the other tables' foreign keys to it went with them
        # One COPY statement for a table copied in one go: its rows' references are checked at its end.
        with copier.statement() if one_go else contextlib.nullcontext() as one:
            for n, batch, spelt in ahead:
                assert one is not None  # spelt ahead: a fresh table, copied in one statement
                if spelt is not None:
                    one.write(spelt)
                else:
                    copier.write_rows(one, batch)
                written += n
            ahead.clear()
            while nxt is not None:
                batch, nxt = nxt, next(batches, None)
                cols = _summed_columns(summed, batch, remote)
                rows = batch if keyed is None else [r for r in batch if keyed(r) not in present]
                shared_cols = cols if keyed is None else None
                if one is not None:
                    copier.write_rows(one, rows, shared_cols)
                else:
                    with copier.statement() as each:
                        copier.write_rows(each, rows, shared_cols)
                    if nxt is not None:
                        copier.raw.commit()  # the last batch commits with the table's audit entry
                written += len(rows)
                if one is None and nxt is None:
                    last = len(batch)  # told once committed: a cancel there would drop it
                else:
                    run.progress.batch(src.name, len(batch))
        rows_present = n_target if not src.primary_key else n_source - written
        if remote is not None and isinstance(summed, RowDigest):
            remote.result(summed)  # before the commit: a value the check cannot spell stops the table
        if summed is not None:
            run.sums[src.name] = summed
        done = TableCopy(src.name, n_source, written, rows_present)
        if deferred is not None:
            # A fresh table's indexes, keys, audit entry and commit: on the ending thread, told after.
            run.ending.start(
                lambda: end_fresh(copier, deferred, run.audit, done),
                lambda: _told(run, done, 0),
            )
            handed = True
            return done
        if written:
            run.audit.record(copier.conn, src.name, n_source, written, rows_present)
        if shared is None:
            copier.raw.commit()
    except Cancelled:
        log.info("copy cancelled in %s after %d rows", src.name, written)
        raise
    except psycopg.Error as exc:
        raise refused(src.name, exc) from None
    finally:
        if shared is None and not handed:
            copier.raw.rollback()  # nothing when committed; else what this table wrote since the last batch
            copier.raw.close()
    _told(run, done, last, ended=shared is None)
    return done


#: How much of a table's COPY text is spelt ahead while the table before it ends.
_AHEAD_BYTES = 64 * 1024 * 1024


def _summed_columns(
    summed: Checksum | RowDigest | None, batch: list[tuple[Any, ...]], remote: DigestHelper | None = None
) -> list[tuple[Any, ...]]:
    """The batch's columns (made once for the check's spelling and COPY's text lines), the batch summed
    (by the helper process when `remote`)."""
    cols = list(zip(*batch, strict=True))
    if remote is not None:
        remote.add(cols, len(batch))
    elif isinstance(summed, RowDigest):
        summed.add_columns(cols, len(batch))
    elif summed is not None:
        summed.add_rows(batch)
    return cols


def _told(run: _Run, done: TableCopy, last: int, *, ended: bool = True) -> None:
    """A table's copy is committed: its last rows and the table told, its ANALYZE and digest queued (no
    cancel raised here: the table is kept, so it is told whole; the next batch's check stops the copy)."""
    run.progress.batch(done.table, last, check=False)
    log.info("copied %s: %d rows written, %d already there", done.table, done.rows_copied, done.rows_present)
    run.progress.table_done(done)
    if ended:
        run.ended(done)


def _copy_cycle(
    source: Database,
    target: Database,
    group: list[Entity],
    tgt_cat: Catalog,
    run: _Run,
) -> list[TableCopy]:
    """Tables whose foreign keys reference each other in a circle: their constraints are made deferrable and
    deferred, every table is copied in one transaction (checked at its commit), then they are put back."""
    tables = [tgt_cat.get(e.name) for e in group]
    constraints = _cycle_constraints(target, tables)
    _set_deferrable(target, constraints, True)  # an interrupted run leaves them deferrable: the next one ends
    raw = target.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        done = [_copy_table(source, target, e, tgt_cat, run, shared=raw) for e in group]
        try:
            raw.commit()
        except psycopg.Error as exc:
            raise refused(", ".join(e.name for e in group), exc) from None
    finally:
        raw.rollback()
        raw.close()
    _set_deferrable(target, constraints, False)
    return done


def _cycle_constraints(target: Database, tables: list[Entity]) -> list[tuple[str, str]]:
    """The foreign keys between different tables of a cycle, as (quoted table, constraint name)."""
    prep = target.engine.dialect.identifier_preparer
    names = [prep.format_table(t.table) for t in tables]
    with target.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select c.conrelid::regclass::text, c.conname from pg_constraint c "
                "where c.contype = 'f' and c.conrelid <> c.confrelid "
                "and c.conrelid = any(cast(:t as regclass[])) and c.confrelid = any(cast(:t as regclass[]))"
            ),
            {"t": names},
        ).all()
    return [(str(r[0]), str(r[1])) for r in rows]


def _set_deferrable(target: Database, constraints: list[tuple[str, str]], deferrable: bool) -> None:
    prep = target.engine.dialect.identifier_preparer
    words = "DEFERRABLE INITIALLY IMMEDIATE" if deferrable else "NOT DEFERRABLE"
    with target.transaction() as conn:
        for table, name in constraints:
            conn.exec_driver_sql(f"ALTER TABLE {table} ALTER CONSTRAINT {prep.quote(name)} {words}")


def _key_reader(entity: Entity, columns: list[ColumnInfo]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A row's key in its canonical form, from a row of `columns` as the driver read it."""
    names = [c.name for c in columns]
    parts = [(names.index(k), value_form(entity.columns_by_name[k].kind)) for k in entity.primary_key]
    return lambda row: tuple(row[i] if form is None or row[i] is None else form(row[i]) for i, form in parts)


def _present_keys(target: Database, tgt: Entity, src: Entity) -> set[tuple[Any, ...]]:
    """The keys the target already holds, in the canonical form the source's keys are compared in."""
    key_cols = [tgt.columns_by_name[k] for k in src.primary_key]
    keyed = _key_reader(tgt, key_cols)
    return {keyed(row) for batch in raw_batches(target, tgt, key_cols) for row in batch}


def _reset_sequences(target: Database, entities: Sequence[Entity]) -> None:
    """Serial and identity keys continue after the copied rows: the sequence is set to max(key) + 1."""
    prep = target.engine.dialect.identifier_preparer
    with target.transaction() as conn:
        for ent in entities:
            for name in ent.primary_key:
                table = prep.format_table(ent.table)
                seq = conn.execute(
                    sa.text("select pg_get_serial_sequence(:t, :c)"), {"t": table, "c": name}
                ).scalar()
                if seq is None:
                    continue
                top = conn.execute(sa.select(sa.func.max(ent.table.c[name]))).scalar()
                conn.execute(sa.text("select setval(:s, :v, false)"), {"s": seq, "v": int(top or 0) + 1})


__all__ = ["BATCH_ROWS", "CopyResult", "TableCheck", "TableCopy", "copy_database"]
