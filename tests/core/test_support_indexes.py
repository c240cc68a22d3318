"""Filtered log views in their default order (newest first) are read in index order, never sorted whole.

A support filter (status, tool name, or both) on a million tool executions must not make SQLite read and
sort every matching row to show the first screenful. EXPLAIN QUERY PLAN of the statement the editor's
first page runs says whether it does ("USE TEMP B-TREE FOR ORDER BY" = a sort of all matches; sorting
only ties of the last term is fine).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.data.repository import Filter, fetch_page
from core.engine.db import open_database
from core.migrate import migrations
from core.schema.load import load_catalog

CASES = [
    ("tool_executions", [Filter("status", "eq", "error")]),
    ("tool_executions", [Filter("tool_name", "eq", "search_lore")]),
    ("tool_executions", [Filter("status", "eq", "error"), Filter("tool_name", "eq", "search_lore")]),
    ("agent_executions", [Filter("status", "eq", "failed")]),
    ("orders", [Filter("status", "eq", "shipped")]),
]


@pytest.mark.parametrize(("entity", "filters"), CASES, ids=lambda c: c if isinstance(c, str) else None)
def test_filtered_default_order_uses_an_index(tmp_path: Path, entity: str, filters: list[Filter]) -> None:
    db = open_database(tmp_path / "warden.db", create=True)
    migrations.upgrade(db)
    catalog = load_catalog(db)
    order = catalog.get(entity).default_sort
    assert order == [("created_at", True)]
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        fetch_page(db, catalog, entity, sort=order, filters=filters, limit=64)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    ((statement, parameters),) = [s for s in seen if f"FROM {entity}" in s[0]]
    with db.engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    assert any("USING INDEX" in step for step in plan), plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan  # every match read and sorted
    db.dispose()
