"""The table editor widget: filter bar, toolbar and shortcuts, save, delete preview, read-only tables."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from core.catalog import load_catalog
from core.db import Database
from core.repository import Filter, fetch_page
from gui.editor.filter_bar import FilterBar


def test_filter_bar_builds_filters_core_accepts(qtbot: QtBot, sqlite_db: Database) -> None:
    """Contains, one-of, between, empty and quick filters become Filters that core runs."""
    catalog = load_catalog(sqlite_db)
    bar = FilterBar(catalog.get("locations"))
    qtbot.addWidget(bar)
    name = bar.add_condition("name")
    assert name.op == "contains"
    name.value_edit.setText("glade")
    kind = bar.add_condition("location_type")
    assert kind.op == "in" and kind.to_filter() is None
    kind.check_values(["forest", "cave"])
    when = bar.add_condition("created_at")
    when.set_op("range")
    when.value_edit.setText("2020-01-01")
    empty = bar.add_condition("full_description")
    empty.set_op("is_null")
    bar.quick.setText("  old ")
    with qtbot.waitSignal(bar.filters_changed, timeout=2000) as got:
        bar.apply_now()
    filters, quick = got.args
    assert filters == [
        Filter("name", "contains", "glade"),
        Filter("location_type", "in", ["forest", "cave"]),
        Filter("created_at", "range", ("2020-01-01", None)),
        Filter("full_description", "is_null"),
    ]
    assert quick == "old"
    page = fetch_page(sqlite_db, catalog, "locations", filters=filters, quick=quick)
    assert page.rows == []

    bar.clear()
    with qtbot.waitSignal(bar.filters_changed, timeout=2000) as got:
        bar.apply_now()
    assert got.args == [[], ""]
