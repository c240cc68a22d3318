"""A whole SQLite table exported as text (core/data/export_sqlite.py, csv_text.py) is byte for byte the
value-by-value export (export_columns' converters and csv_lines) of the same rows, on tricky values."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.bootstrap import create_demo_database
from core.data import exporting
from core.data.csv_text import column_cells
from core.data.export_columns import _utc_stamps, _uuid_text
from core.data.export_sqlite import table_text
from core.engine.db import Database, open_database
from core.errors import WardenError
from core.progress import TaskState
from core.schema.catalog import Catalog
from core.schema.load import load_catalog

TEXTS = ["", "plain", "a,b", 'say "hi"', "line\nbreak", "cr\rx", "\r\n", "Grüße, Ærø ✓", "NUL\x00inside", " "]
KEYS = [uuid.UUID(int=i).hex for i in (1, 2**127, 12345)] + [
    "EF" * 16, "12345678-1234-5678-1234-567812345678", "not-a-key", b"\x01" * 16, "ab" * 16
]
JSONS = ['{"a": 1}', "{}", "[]", "[1,2]", '{"q": "caf\\u00e9"}', '{"x": "é"}', "5", '"str"', "null", "",
         '{"b": "x,y"}', "0.1", 1e20, 2**62, b"{}", '{"n":\n1}', None]
NUMBERS = [0, -5, 2**62, 0.1, 1e20, 1.5, "text", "", b"\xff\x00"]
STAMPS = ["2026-01-01 10:00:00.000000", "2026-01-01 10:00:00.250000", "2026-01-01 10:00:00",
          "2026-01-01T10:00:00Z", "junk", "", 0.5, b"2026-01-01 10:00:00.000000"]
ROW = st.tuples(
    st.sampled_from([*TEXTS, 7, 0.25, b"blob"]),  # correlation_id (TEXT affinity: numbers become text)
    st.sampled_from([*KEYS, None, ""]),  # agent_id
    st.sampled_from([*KEYS, None]),  # user_id
    st.sampled_from(JSONS[:-1]),  # inputs_json (NOT NULL)
    st.sampled_from(JSONS),  # outputs_json
    st.sampled_from([*TEXTS, None]),  # error_message
    st.sampled_from(NUMBERS),  # duration_ms (INTEGER affinity: reals stay reals)
    st.sampled_from(STAMPS),  # created_at
)
#: Rows of ordinary values, which the text path writes itself (the others go value by value).
ORDINARY = st.tuples(
    st.sampled_from(TEXTS[:8]),
    st.sampled_from([*KEYS[:3], None, ""]),
    st.sampled_from([*KEYS[:3], None]),
    st.sampled_from([*JSONS[:4], '{"b": "x,y"}', '{"n":\n1}']),
    st.sampled_from([*JSONS[:4], None]),
    st.sampled_from([*TEXTS[:8], None]),
    st.sampled_from([0, -5, 2**62, 17]),
    st.sampled_from(STAMPS[:2]),
)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("export_text") / "demo.db"
    create_demo_database(str(path), scale=1)
    return str(path)


@pytest.fixture(scope="module")
def demo(demo_path: str) -> Iterator[tuple[Database, Catalog]]:
    db = open_database(demo_path)
    yield db, load_catalog(db)
    db.dispose()


def _fill(db: Database, rows: list[tuple[Any, ...]]) -> None:
    """tool_executions holds only `rows` (with fresh keys), written raw as another program might.

    Written through the database's own driver: a second SQLite library in one process (the stdlib's
    beside sqlean) would not see the other's locks on the open file.
    """
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")  # keys of rows that do not exist, as in any file
        conn.exec_driver_sql("DELETE FROM tool_executions")
        conn.exec_driver_sql(
            "INSERT INTO tool_executions (id, correlation_id, tool_name, agent_id, user_id, inputs_json,"
            " outputs_json, status, error_message, duration_ms, created_at)"
            " VALUES (?, ?, 't', ?, ?, ?, ?, 'success', ?, ?, ?)",
            [(f"{i:032x}", *row) for i, row in enumerate(rows)],
        )
        conn.commit()
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.commit()


def _both(db: Database, catalog: Catalog, entity: str, stored: bool, batch: int) -> tuple[str, str]:
    """The CSV of the text path and of the value-by-value path, for the same view and batch size."""
    text_out = io.StringIO()
    exporting.write_export(text_out, db, catalog, entity, "csv", batch=batch, stored_order=stored)
    view = exporting._view(db, catalog, entity, None, (), None, stored)
    rows_out = io.StringIO()
    exporting._write_csv(rows_out, view, exporting._batches(db, view, batch))
    return text_out.getvalue(), rows_out.getvalue()


def test_the_text_path_is_taken_for_a_whole_table(demo: tuple[Database, Catalog]) -> None:
    """tool_executions (keys, text, JSON, integers, UTC times) is read as text; a table with a float or
    a vector column is not."""
    db, catalog = demo
    view = exporting._view(db, catalog, "tool_executions", None, (), None, True)
    assert table_text(db, view.entity, view.columns, stored_order=True) is not None
    assert table_text(db, view.entity, view.columns, stored_order=False) is not None
    vectors = [e for e in catalog.entities.values() if any(c.kind == "vector" for c in e.columns)]
    assert vectors
    view = exporting._view(db, catalog, vectors[0], None, (), None, True)
    assert table_text(db, view.entity, view.columns, stored_order=True) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=12), stored=st.booleans(), batch=st.integers(1, 5))
def test_tricky_values_same_as_value_by_value(
    demo: tuple[Database, Catalog], rows: list[tuple[Any, ...]], stored: bool, batch: int
) -> None:
    """Quotes, commas, line breaks, NULL and empty text, floats (0.1, 1e20) and big integers, BLOBs in any
    column, odd keys, times and JSON, non-ASCII: the same bytes as the value-by-value export."""
    db, catalog = demo
    _fill(db, rows)
    text, by_value = _both(db, catalog, "tool_executions", stored, batch)
    assert text == by_value


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ORDINARY, min_size=1, max_size=12), batch=st.integers(1, 5))
def test_ordinary_values_are_written_from_the_text(
    demo: tuple[Database, Catalog], rows: list[tuple[Any, ...]], batch: int
) -> None:
    """Ordinary values (as Warden stores them, quoting included) never fall back to the rows, and are
    still the same bytes as the value-by-value export and as csv.writer's."""
    db, catalog = demo
    _fill(db, rows)
    view = exporting._view(db, catalog, "tool_executions", None, (), None, True)
    plan = table_text(db, view.entity, view.columns, stored_order=True)
    assert plan is not None

    def no_fallback(_rows: Any) -> list[str]:
        raise AssertionError("an ordinary batch went value by value")

    with db.engine.connect() as conn:
        lines = [ln for b in plan.lines(conn.connection.dbapi_connection, batch, no_fallback) for ln in b]
    text, by_value = _both(db, catalog, "tool_executions", True, batch)
    assert text == by_value
    assert text.split("\r\n", 1)[1] == "".join(f"{ln}\r\n" for ln in lines)
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert len(parsed) == len(rows) + 1


def test_a_key_that_holds_null_keeps_its_row_and_place(tmp_path: Path) -> None:
    """A foreign table whose text key allows NULL (SQLite permits it): key order puts those rows where the
    view's ORDER BY does, and stored order keeps every row."""
    path = tmp_path / "nullkey.db"
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
        raw.executemany("INSERT INTO t VALUES (?, ?)", [("b", "x,1"), (None, "n1"), ("a", ""), (None, "n2")])
    raw.close()
    db = open_database(str(path))
    try:
        catalog = load_catalog(db)
        for stored in (True, False):
            text, by_value = _both(db, catalog, "t", stored, 1)
            assert sorted(text.splitlines()) == sorted(by_value.splitlines())
            assert len(text.splitlines()) == 5
            if not stored:
                assert text == by_value
    finally:
        db.dispose()


def test_cancel_stops_the_reading_thread(demo: tuple[Database, Catalog], tmp_path: Path) -> None:
    """A cancelled text export leaves no file and no reading thread behind."""
    db, catalog = demo
    _fill(db, [("c", None, None, "{}", None, None, 1, STAMPS[0])] * 50)

    class CancelAfterFirst(TaskState):
        def set_progress(self, done: int, total: int | None = None, message: str = "") -> None:
            self.cancel()

    result = exporting.export_file(
        db, catalog, "tool_executions", tmp_path / "t.csv", "csv", state=CancelAfterFirst(), batch=5
    )
    assert result.cancelled and not (tmp_path / "t.csv").exists()
    assert not [t for t in threading.enumerate() if t.name == "warden-export-reader"]


def test_a_failing_writer_stops_the_reading_thread(demo: tuple[Database, Catalog]) -> None:
    """An error while writing (a full disk, say) ends the export and its reading thread."""
    db, catalog = demo
    _fill(db, [("c", None, None, "{}", None, None, 1, STAMPS[0])] * 50)

    class Full(io.StringIO):
        def write(self, s: str) -> int:
            if self.tell() > 200:
                raise WardenError("disk full")
            return super().write(s)

    with pytest.raises(WardenError):
        exporting.write_export(Full(), db, catalog, "tool_executions", "csv", batch=5, stored_order=True)
    assert not [t for t in threading.enumerate() if t.name == "warden-export-reader"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*KEYS[:4], "", "ab" * 16]), min_size=1, max_size=8))
def test_key_cells_match_the_value_converter(keys: list[str]) -> None:
    """Keys as text (NULL as ""): the batch rewrite gives str(uuid.UUID(...)) or leaves the batch to the
    value-by-value converter, never anything else."""
    cells = column_cells("uuid", keys)
    if cells is not None:
        assert cells == ["" if v is None else v for v in _uuid_text([k or None for k in keys])]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*STAMPS[:4], "2026-12-31 23:59:59.999999"]), min_size=1, max_size=8))
def test_time_cells_match_the_value_converter(stamps: list[str]) -> None:
    """UTC times as text: the batch rewrite gives datetime.isoformat() with +00:00, or defers."""
    cells = column_cells("utc", stamps)
    if cells is not None:
        assert cells == list(_utc_stamps(stamps))
