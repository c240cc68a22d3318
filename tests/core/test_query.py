"""core/data/query.py on both backends: the quick search over JSON and numbers, and <, ≤, >, ≥ conditions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from core.data import repository as repo
from core.data.query import OPS, quick_clause
from core.data.repository import Filter
from core.engine.db import Database, open_database
from core.errors import ValidationError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata

T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def insert(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    """Plain Core inserts, so the rows do not depend on save() or validation."""
    with db.engine.begin() as conn:
        for row in rows:
            conn.execute(metadata.tables[table].insert(), row)


def tool_runs(db: Database) -> None:
    """Four tool calls: an order number inside inputs_json, a number in JSON, a duration, a plain one."""
    base = {"correlation_id": "c", "status": "success", "created_at": T0}
    insert(db, "tool_executions", [
        {**base, "id": uuid.UUID(int=1), "tool_name": "lookup_order",
         "inputs_json": {"order_number": "ORD-2024-00042", "reason": "late"}, "duration_ms": 12},
        {**base, "id": uuid.UUID(int=2), "tool_name": "refund",
         "inputs_json": {"order": 90017, "note": "café au lait"}, "duration_ms": 2500},
        {**base, "id": uuid.UUID(int=3), "tool_name": "ping", "inputs_json": {}, "duration_ms": 90017},
        {**base, "id": uuid.UUID(int=4), "tool_name": "pong", "inputs_json": {"n": 250}, "duration_ms": 250,
         "outputs_json": None},
    ])  # fmt: skip


def tools(db: Database, cat: Catalog, *filters: Filter, quick: str | None = None) -> set[str]:
    """tool_name of every tool_executions row that matches."""
    page = repo.fetch_page(db, cat, "tool_executions", filters=list(filters), quick=quick, limit=100)
    i = page.columns.index("tool_name")
    return {r[i] for r in page.rows}


def test_quick_search_finds_an_order_number_inside_json(schema_db: Database) -> None:
    """The quick search reads JSON columns as text (JSONB cast to text on PostgreSQL), case-insensitively,
    non-ASCII included (SQLite keeps it escaped as \\u00e9)."""
    cat = load_catalog(schema_db)
    tool_runs(schema_db)
    assert tools(schema_db, cat, quick="ORD-2024-00042") == {"lookup_order"}
    assert tools(schema_db, cat, quick="ord-2024") == {"lookup_order"}
    assert tools(schema_db, cat, quick="café") == {"refund"}
    assert tools(schema_db, cat, quick="order_number") == {"lookup_order"}  # keys are text too
    assert repo.exact_count(schema_db, cat.get("tool_executions"), quick="ORD-2024-00042") == 1


def test_quick_search_with_a_number_matches_number_columns_by_equality(schema_db: Database) -> None:
    """A number finds rows whose integer or decimal columns equal it (not those that merely contain its
    digits), as well as JSON holding it."""
    cat = load_catalog(schema_db)
    tool_runs(schema_db)
    assert tools(schema_db, cat, quick="90017") == {"refund", "ping"}  # in JSON, and a duration
    assert tools(schema_db, cat, quick="250") == {"pong"}  # not 2500
    assert tools(schema_db, cat, quick="2500") == {"refund"}
    assert tools(schema_db, cat, quick="12") == {"lookup_order"}  # duration 12, not the "2024" digits
    insert(schema_db, "orders", [
        {"id": uuid.UUID(int=10 + i), "order_number": f"A-{i}", "subtotal": Decimal(total),
         "total": Decimal(total), "shipping_json": {}, "payment_json": {}, "created_at": T0,
         "updated_at": T0}
        for i, total in enumerate(["12.50", "125.00", "7.00"])
    ])  # fmt: skip
    page = repo.fetch_page(schema_db, cat, "orders", quick="12.5")
    assert [r[page.columns.index("order_number")] for r in page.rows] == ["A-0"]
    assert repo.exact_count(schema_db, cat.get("orders"), quick="7") == 1


def test_quick_search_never_reads_vector_columns(schema_db: Database) -> None:
    """rag_documents' embedding is not part of the quick search, even for a number."""
    cat = load_catalog(schema_db)
    clause = quick_clause(cat.get("rag_documents"), "1", schema_db.backend)
    sql = str(clause.compile(dialect=schema_db.engine.dialect))
    assert "embedding " not in sql and "embedding)" not in sql and "chunk_index" in sql


READINGS = {
    "sqlite": "CREATE TABLE readings (id INTEGER PRIMARY KEY, label TEXT, level REAL, day DATE, data JSON)",
    "postgresql": "CREATE TABLE readings (id SERIAL PRIMARY KEY, label TEXT, level REAL, day DATE, "
    "data JSONB)",
}


@pytest.fixture
def readings(empty_url: str, backend: str) -> Any:
    """A database Warden did not create: single-precision levels, dates and JSON."""
    db = open_database(empty_url, create=True)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(READINGS[backend])
        rows = [("low", 0.1, "2024-01-05"), ("mid", 2.5, "2024-02-10"), ("high", 7.0, "2024-03-15"),
                ("none", None, None)]  # fmt: skip
        for label, level, day in rows:
            conn.execute(
                sa.text("INSERT INTO readings (label, level, day, data) VALUES (:l, :v, :d, :j)"),
                {"l": label, "v": level, "d": dt.date.fromisoformat(day) if day else None, "j": '{"k": 1}'},
            )
    yield db, load_catalog(db)
    db.dispose()


def labels(db: Database, cat: Catalog, *filters: Filter, quick: str | None = None) -> set[str]:
    """label of every readings row that matches."""
    page = repo.fetch_page(db, cat, "readings", filters=list(filters), quick=quick, limit=100)
    i = page.columns.index("label")
    return {r[i] for r in page.rows}


def test_quick_search_finds_a_single_precision_float(readings: Any) -> None:
    """0.1 in a REAL column is found by the text 0.1 (a float4 on PostgreSQL is not the double 0.1)."""
    db, cat = readings
    assert labels(db, cat, quick="0.1") == {"low"}
    assert labels(db, cat, quick="7") == {"high"}


def test_comparison_ops_on_floats_and_dates(readings: Any) -> None:
    """lt, le, gt, ge compare by the column's type; NULL matches none of them."""
    db, cat = readings
    assert {"lt", "le", "gt", "ge"} <= set(OPS)
    assert labels(db, cat, Filter("level", "lt", "2.5")) == {"low"}
    assert labels(db, cat, Filter("level", "le", "2.5")) == {"low", "mid"}
    assert labels(db, cat, Filter("level", "gt", 2.5)) == {"high"}
    assert labels(db, cat, Filter("level", "ge", "0.1")) == {"low", "mid", "high"}
    assert labels(db, cat, Filter("day", "ge", "2024-02-10")) == {"mid", "high"}
    assert labels(db, cat, Filter("day", "lt", "2024-02-10")) == {"low"}
    assert labels(db, cat, Filter("level", "ne", "2.5")) == {"low", "high", "none"}
    assert labels(db, cat, Filter("level", "gt", "0"), Filter("level", "lt", 7)) == {"low", "mid"}


def test_comparison_ops_on_integers_and_timestamps(schema_db: Database) -> None:
    """The same on the reference schema: an INTEGER duration and a UTC timestamp."""
    cat = load_catalog(schema_db)
    tool_runs(schema_db)
    assert tools(schema_db, cat, Filter("duration_ms", "gt", "250")) == {"refund", "ping"}
    assert tools(schema_db, cat, Filter("duration_ms", "le", "250")) == {"lookup_order", "pong"}
    later = (T0 + dt.timedelta(seconds=1)).isoformat()
    every = {"lookup_order", "refund", "ping", "pong"}
    assert tools(schema_db, cat, Filter("created_at", "lt", later)) == every
    assert tools(schema_db, cat, Filter("created_at", "gt", later)) == set()


def test_comparison_errors_are_one_line_messages(schema_db: Database) -> None:
    """A comparison on a column that has no order, a value that is no number, or no value: a message."""
    cat = load_catalog(schema_db)
    tool_runs(schema_db)
    cases = [
        (Filter("tool_name", "lt", "m"), r"tool_name \(string\) cannot be compared with <"),
        (Filter("inputs_json", "ge", "1"), "inputs_json cannot be filtered with .ge. \\(use json_eq"),
        (Filter("id", "gt", str(uuid.UUID(int=1))), r"id \(uuid\) cannot be compared with >"),
        (Filter("duration_ms", "lt", "soon"), "cannot read 'soon' as a whole number"),
        (Filter("created_at", "le", "yesterday"), "as a date and time"),
        (Filter("duration_ms", "gt", None), "duration_ms > needs a value"),
        (Filter("duration_ms", "less", 1), "unknown filter 'less'"),
    ]
    for f, message in cases:
        with pytest.raises(ValidationError, match=message) as info:
            repo.fetch_page(schema_db, cat, "tool_executions", filters=[f])
        assert "\n" not in str(info.value)
