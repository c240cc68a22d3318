"""Copying the demo database from SQLite into PostgreSQL (issue 10, "Moving to PostgreSQL"): every table
verified by count and checksum, a second run adds nothing, an interrupted copy resumes, and the copy answers
a filtered page the way the source does."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa

from core.data.query import Filter
from core.data.repository import fetch_page
from core.engine.db import Database, open_database
from core.migrate.copy import copy_database
from core.migrate.copy_values import canonical
from core.progress import Cancelled, Progress, TaskState
from core.schema.catalog import Catalog
from core.schema.kinds import ColumnKind
from core.schema.load import load_catalog
from core.search.knn import nearest
from tests.fixtures.demo import Demo
from tests.fixtures.postgres import new_pg_database


@pytest.fixture
def pg_target(pg_server: object) -> Iterator[Database]:
    """A fresh, empty PostgreSQL database (pgvector installed), open."""
    db = open_database(new_pg_database(pg_server))
    yield db
    db.dispose()


def _source_rows(db: Database) -> dict[str, int]:
    cat = load_catalog(db)
    with db.engine.connect() as conn:
        return {
            e.name: int(conn.execute(sa.select(sa.func.count()).select_from(e.table)).scalar_one())
            for e in cat.entities.values()
            if e.kind == "table"
        }


def test_demo_copied_verified_and_a_second_run_adds_nothing(
    sqlite_demo_copy: Demo, pg_target: Database
) -> None:
    src, _ = sqlite_demo_copy
    counts = _source_rows(src)
    result = copy_database(src, pg_target)
    assert result.migrated, "the target was migrated to head first"
    assert result.ok and result.checks
    assert {c.table: c.rows_target for c in result.checks} == counts
    assert all(c.checksum_match for c in result.checks)
    assert {t.table: t.rows_copied for t in result.tables} == counts
    again = copy_database(src, pg_target)
    assert sum(t.rows_copied for t in again.tables) == 0
    assert again.ok and {c.table: c.rows_target for c in again.checks} == counts


def test_an_interrupted_copy_resumes_where_it_stopped(sqlite_demo_copy: Demo, pg_target: Database) -> None:
    src, _ = sqlite_demo_copy
    counts = _source_rows(src)
    batches: list[Progress] = []

    def stop_after_batches(p: Progress) -> None:
        batches.append(p)
        if len(batches) == 8:  # in the middle of a table: its transaction is rolled back whole
            state.cancel()

    state = TaskState(on_progress=stop_after_batches)
    with pytest.raises(Cancelled):
        copy_database(src, pg_target, batch_rows=400, state=state)
    kept = _target_rows(pg_target, counts, src)
    assert 0 < sum(kept.values()) < sum(counts.values()), "the tables finished before cancel were kept"
    assert all(kept[t] in (0, counts[t]) for t in counts), "no table is left half copied"
    # The table a batch was read from last: a table's end, told from its own thread once committed, reports
    # again with no new rows (and may come after the next table's first batches).
    read = [
        b
        for before, b in zip([None, *batches], batches, strict=False)
        if before is None or b.done > before.done
    ]
    interrupted = read[-1].message.removeprefix("Copying ")
    assert kept[interrupted] == 0 < counts[interrupted]
    assert _indexes(pg_target, interrupted), "its indexes, dropped for the copy, are back"
    result = copy_database(src, pg_target, batch_rows=400)
    assert result.ok
    assert sum(t.rows_copied for t in result.tables) == sum(counts.values()) - sum(kept.values())
    assert _target_rows(pg_target, counts, src) == counts


def test_a_table_the_target_holds_part_of_is_completed_by_key(
    sqlite_demo_copy: Demo, pg_target: Database
) -> None:
    """A half-copied table (an older run, rows deleted by hand) gets exactly its missing rows, once."""
    src, _ = sqlite_demo_copy
    counts = _source_rows(src)
    assert copy_database(src, pg_target, verify=False).tables
    indexes = _indexes(pg_target, "tool_executions")
    with pg_target.transaction() as conn:
        gone = conn.exec_driver_sql(
            "delete from tool_executions where id in (select id from tool_executions order by id limit 1500)"
        ).rowcount
    assert gone == 1500
    result = copy_database(src, pg_target, batch_rows=400)
    assert result.ok
    done = {t.table: t for t in result.tables}["tool_executions"]
    assert (done.rows_copied, done.rows_present) == (1500, counts["tool_executions"] - 1500)
    assert _target_rows(pg_target, counts, src) == counts
    assert _indexes(pg_target, "tool_executions") == indexes


def _indexes(db: Database, table: str) -> list[str]:
    with db.engine.connect() as conn:
        found = conn.exec_driver_sql(
            f"select indexname from pg_indexes where tablename = '{table}' order by 1"
        )
        return [str(r[0]) for r in found]


def _target_rows(db: Database, counts: dict[str, int], source: Database) -> dict[str, int]:
    """Rows per table; of the audit log, the entries that came from the source (its ids), not its own."""
    with source.engine.connect() as conn:
        last = int(conn.exec_driver_sql("select coalesce(max(id), 0) from admin_audit_log").scalar_one())
    with db.engine.connect() as conn:
        found = {t: int(conn.exec_driver_sql(f'select count(*) from "{t}"').scalar_one()) for t in counts}
        found["admin_audit_log"] = int(
            conn.exec_driver_sql(f"select count(*) from admin_audit_log where id <= {last}").scalar_one()
        )
    return found


def test_the_copy_answers_a_filtered_page_as_the_source_does(
    sqlite_demo_copy: Demo, pg_target: Database
) -> None:
    src, src_cat = sqlite_demo_copy
    vectors = _embed_locations(src, src_cat)
    assert copy_database(src, pg_target, verify=False).tables
    tgt_cat = load_catalog(pg_target)
    # The same k-NN query (exact scans) finds the same rows at the same distances: vectors arrived exactly.
    near = [
        nearest(db, cat, "locations", vectors[7], k=12, exact=True, filters=[Filter("region_id", "not_null")])
        for db, cat in ((src, src_cat), (pg_target, tgt_cat))
    ]
    assert [h.key for h in near[0].hits] == [h.key for h in near[1].hits]
    assert [h.distance for h in near[0].hits] == pytest.approx([h.distance for h in near[1].hits], abs=1e-6)
    assert near[1].provider == "pgvector"
    for entity, filters in (
        ("tool_executions", [Filter("status", "eq", "error"), Filter("duration_ms", "gt", 100)]),
        ("products", [Filter("price", "range", (10, 60))]),
        ("locations", [Filter("region_id", "not_null")]),
    ):
        pages = [
            fetch_page(db, cat, entity, filters=filters, limit=40)
            for db, cat in ((src, src_cat), (pg_target, tgt_cat))
        ]
        assert pages[0].rows, entity
        assert _canonical(pages[0].rows) == _canonical(pages[1].rows), entity
        assert pages[0].has_more == pages[1].has_more


def _embed_locations(db: Database, catalog: Catalog) -> np.ndarray:
    """Give every location a vector of its own (the demo leaves them empty), in key order."""
    table = catalog.get("locations").table
    rng = np.random.default_rng(3)
    with db.transaction() as conn:
        keys = conn.execute(sa.select(table.c.id).order_by(table.c.id)).scalars().all()
        vectors = rng.standard_normal((len(keys), 384)).astype("<f4")
        for key, vec in zip(keys, vectors, strict=True):
            conn.execute(table.update().where(table.c.id == key).values(embedding=vec))
    return vectors


def _canonical(rows: list[tuple[object, ...]]) -> list[list[object]]:
    return [[canonical(v, ColumnKind.OTHER) for v in row] for row in rows]
