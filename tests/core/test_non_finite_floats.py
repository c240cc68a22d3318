"""Floats that are not finite (inf, -inf, and NaN on PostgreSQL; SQLite stores a NaN as NULL).

JSON exports them as the strings "Infinity", "-Infinity" and "NaN", so a strict parser reads the file;
CSV as inf, -inf and nan. They are read, sorted, paged and filtered, a row holding one can be edited,
and typing one into a float column is refused with a reason.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import cli
from core.data import writes
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Update
from core.data.exporting import write_export
from core.data.repository import Filter, fetch_page, get_row
from core.engine.db import Database, open_database
from core.errors import ValidationError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from tests.fixtures.odd_names import READINGS, build_odd_names
from tests.fixtures.postgres import new_pg_database


def strict_loads(text: str) -> Any:
    """json.loads as a strict parser reads JSON: Infinity, -Infinity and NaN are not JSON."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def readings(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Database, Catalog]]:
    """The `readings (°C)` table (inf, -inf, NaN or NULL, 1.5) on the current backend, open."""
    if backend == "sqlite":
        url = str(tmp_path / "readings.db")
    else:
        url = new_pg_database(request.getfixturevalue("pg_server"), vector=False)
    build_odd_names(url)
    db = open_database(url)
    try:
        yield db, load_catalog(db)
    finally:
        db.dispose()


def _export(db: Database, catalog: Catalog, entity: str, fmt: str, **view: Any) -> str:
    out = io.StringIO()
    write_export(out, db, catalog, entity, fmt, **view)
    return out.getvalue()


def test_json_export_is_strict_json(readings: tuple[Database, Catalog]) -> None:
    """inf, -inf and NaN leave as strings a strict parser reads; finite values and NULL as they are."""
    db, catalog = readings
    nan = "NaN" if db.backend == "postgresql" else None  # SQLite stored the NaN as NULL
    expected = [
        {"id": 1, "value": "Infinity", "single": "Infinity", "note": "hot"},
        {"id": 2, "value": "-Infinity", "single": "-Infinity", "note": "cold"},
        {"id": 3, "value": nan, "single": nan, "note": "unknown"},
        {"id": 4, "value": 1.5, "single": 2.5, "note": "fine"},
    ]
    assert strict_loads(_export(db, catalog, READINGS, "json")) == expected
    for batch in (1, 3):  # a batch without any of them is written as it is, the others as text
        out = io.StringIO()
        write_export(out, db, catalog, READINGS, "json", batch=batch)
        assert strict_loads(out.getvalue()) == expected


def test_csv_export_keeps_them_readable(readings: tuple[Database, Catalog]) -> None:
    """CSV writes inf, -inf and nan, which float() reads back."""
    db, catalog = readings
    rows = list(csv.reader(io.StringIO(_export(db, catalog, READINGS, "csv"))))
    nan = "nan" if db.backend == "postgresql" else ""
    assert rows == [
        ["id", "value", "single", "note"],
        ["1", "inf", "inf", "hot"],
        ["2", "-inf", "-inf", "cold"],
        ["3", nan, nan, "unknown"],
        ["4", "1.5", "2.5", "fine"],
    ]


def test_the_cli_json_export_is_strict_json(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    """`warden export --format json` to stdout and to a file."""
    url = (
        str(tmp_path / "r.db")
        if backend == "sqlite"
        else new_pg_database(request.getfixturevalue("pg_server"))
    )
    build_odd_names(url)
    assert cli.main(["export", "--db", url, "--entity", READINGS, "--format", "json", "--sort", "id"]) == 0
    assert strict_loads(capsys.readouterr().out)[0]["value"] == "Infinity"
    out = tmp_path / "r.json"
    assert cli.main(["export", "--db", url, "--entity", READINGS, "--format", "json", "-o", str(out)]) == 0
    assert {r["value"] for r in strict_loads(out.read_text(encoding="utf-8"))} >= {"Infinity", "-Infinity"}


def test_nested_non_finite_values_in_a_json_column(tmp_path: Path) -> None:
    """JSON text another program wrote with NaN or Infinity inside (Python's json.dumps does) exports as
    strict JSON too; CSV writes the stored text."""
    path = tmp_path / "j.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE doc (id INTEGER PRIMARY KEY, body JSON, x REAL)")
    conn.execute(
        """INSERT INTO doc VALUES (1, '{"a": NaN, "b": [Infinity, 1.5]}', 2.0), (2, '[-Infinity]', 9e999)"""
    )
    conn.commit()
    conn.close()
    db = open_database(path)
    try:
        catalog = load_catalog(db)
        assert strict_loads(_export(db, catalog, "doc", "json")) == [
            {"id": 1, "body": {"a": "NaN", "b": ["Infinity", 1.5]}, "x": 2.0},
            {"id": 2, "body": ["-Infinity"], "x": "Infinity"},
        ]
        assert _export(db, catalog, "doc", "csv").splitlines()[2] == "2,[-Infinity],inf"
    finally:
        db.dispose()


def test_read_sorted_paged_and_filtered(readings: tuple[Database, Catalog]) -> None:
    """Pages hold the floats as read; a sort pages past an infinity; comparisons find them."""
    db, catalog = readings
    page = fetch_page(db, catalog, READINGS, sort=[("value", True)], limit=1)
    seen = list(page.rows)
    while page.has_more:  # the cursor carries inf, -inf (and NaN): each page goes on after it
        page = fetch_page(db, catalog, READINGS, sort=[("value", True)], limit=1, after=page.last_cursor)
        seen.extend(page.rows)
    assert sorted(r[0] for r in seen) == [1, 2, 3, 4]
    values = [r[1] for r in seen]
    assert math.inf in values and -math.inf in values
    hot = fetch_page(db, catalog, READINGS, filters=[Filter("value", "gt", 1e308)])
    assert [r[0] for r in hot.rows] == [1] + (
        [3] if db.backend == "postgresql" else []
    )  # NaN sorts last there
    cold = fetch_page(db, catalog, READINGS, filters=[Filter("value", "lt", -1e308)])
    assert [r[0] for r in cold.rows] == [2]


def test_a_row_holding_one_is_edited_and_typing_one_is_refused(readings: tuple[Database, Catalog]) -> None:
    """Another field of the row saves (its conflict check compares the loaded inf); "inf" typed into the
    float column is refused with a reason, and nothing is written."""
    db, catalog = readings
    for key in (1, 3):
        row = get_row(db, catalog, READINGS, {"id": key})
        change = Update(READINGS, {"id": key}, {"note": "edited"}, original=dict(row))
        writes.save(db, catalog, [change], audit=AUDIT_OFF)
        assert get_row(db, catalog, READINGS, {"id": key})["note"] == "edited"
    for typed in ("inf", "-Infinity", "nan", math.inf):
        change = Update(READINGS, {"id": 4}, {"value": typed}, original={"value": 1.5})
        with pytest.raises(ValidationError) as refused:
            writes.save(db, catalog, [change], audit=AUDIT_OFF)
        assert "number" in str(refused.value)
    assert get_row(db, catalog, READINGS, {"id": 4})["value"] == 1.5
