"""ForeignKeyPicker on real databases: debounced off-thread search, at most 50 matches, picking sets a key."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QTableView
from pytestqt.qtbot import QtBot

from core.data import lookup
from core.engine.db import Database
from core.schema.catalog import Catalog, ColumnInfo, ForeignKeyInfo
from core.schema.load import load_catalog
from core.schema.models import metadata
from gui.editor.delegates import fk_picker
from gui.editor.delegates.cell_delegate import CellDelegate, EditorContext
from gui.editor.delegates.fk_picker import MAX_MATCHES, ForeignKeyPicker
from gui.editor.model.roles import Role
from gui.runtime import workers
from tests.fixtures.threads import statement_threads

EDIT = Qt.ItemDataRole.EditRole
REGION_FK = ForeignKeyInfo("locations", ("region_id",), "regions", ("id",))
NAMES = [f"Ashen Vale {i:02d}" for i in range(70)] + [
    "Vale of Ash",
    "Brightwater",
    "Cinder Marsh",
    "Dawnreach",
    "Emberfall Heights",
    "Frostmere",
    "Glimmerwood",
    "Hollow Crown",
    "Ironstep Pass",
    "Saltmarsh Flats",
]
SCREENSHOT = Path("/tmp/fk_picker.png")


@pytest.fixture
def regions(schema_db: Database) -> dict[str, uuid.UUID]:
    """Regions named NAMES; name → id."""
    ids = {name: uuid.uuid4() for name in NAMES}
    with schema_db.transaction() as conn:
        conn.execute(metadata.tables["regions"].insert(), [{"id": i, "name": n} for n, i in ids.items()])
    return ids


@pytest.fixture
def catalog(schema_db: Database, regions: dict[str, uuid.UUID]) -> Iterator[Catalog]:
    """The catalog; after the test, every worker has finished before the database is disposed."""
    yield load_catalog(schema_db)
    assert workers.wait_idle(10_000)


@pytest.fixture
def db_threads(schema_db: Database, catalog: Catalog) -> Iterator[list[int]]:
    """The thread id of every statement run from now on."""
    with statement_threads(schema_db.engine) as seen:
        yield seen


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every search the picker starts (the real search still runs)."""
    texts: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> list[lookup.LabelMatch]:
        texts.append(args[3])
        return lookup.search_labels(*args, **kwargs)

    monkeypatch.setattr(fk_picker, "search_labels", counted)
    return texts


def make_picker(qtbot: QtBot, db: Database, catalog: Catalog, *, nullable: bool = True) -> ForeignKeyPicker:
    """A shown picker for locations.region_id with no current value; waits for its first list."""
    picker = ForeignKeyPicker(db, catalog, REGION_FK, nullable=nullable)
    qtbot.addWidget(picker)
    picker.resize(420, 300)
    picker.show()
    with qtbot.waitSignal(picker.matches_shown):
        picker.set_value(None)
    return picker


def test_typing_searches_after_a_pause_off_the_gui_thread(
    qtbot: QtBot, schema_db: Database, catalog: Catalog, db_threads: list[int], searches: list[str]
) -> None:
    picker = make_picker(qtbot, schema_db, catalog)
    assert picker.list.count() == MAX_MATCHES  # the first 50 by label, never the whole table
    with qtbot.waitSignal(picker.matches_shown, timeout=3000) as shown:
        qtbot.keyClicks(picker.line_edit, "vale")  # four keystrokes, one search
    assert searches == ["", "vale"]
    assert shown.args == [MAX_MATCHES]
    labels = [m.label for m in picker.matches()]
    assert len(labels) == MAX_MATCHES and all("vale" in label.lower() for label in labels)
    with qtbot.waitSignal(picker.matches_shown, timeout=3000):
        qtbot.keyClicks(picker.line_edit, " 0")
    assert [m.label for m in picker.matches()] == [f"Ashen Vale 0{i}" for i in range(10)]
    assert db_threads, "the searches ran no statement"
    assert threading.get_ident() not in db_threads, "a statement ran on the GUI thread"


def test_a_newer_search_drops_the_older_result(qtbot: QtBot, schema_db: Database, catalog: Catalog) -> None:
    picker = make_picker(qtbot, schema_db, catalog)
    shown: list[int] = []
    picker.matches_shown.connect(shown.append)
    picker.search("frost")
    picker.search("marsh")
    assert workers.wait_idle(5000)
    assert shown == [2]
    assert [m.label for m in picker.matches()] == ["Cinder Marsh", "Saltmarsh Flats"]


def test_no_match_says_so(qtbot: QtBot, schema_db: Database, catalog: Catalog) -> None:
    picker = make_picker(qtbot, schema_db, catalog)
    with qtbot.waitSignal(picker.matches_shown):
        qtbot.keyClicks(picker.line_edit, "zzz")
    assert picker.list.count() == 0 and "No match" in picker.status.text()


def test_choosing_a_match_sets_the_key(
    qtbot: QtBot, schema_db: Database, catalog: Catalog, regions: dict[str, uuid.UUID]
) -> None:
    picker = make_picker(qtbot, schema_db, catalog)
    with qtbot.waitSignal(picker.matches_shown):
        qtbot.keyClicks(picker.line_edit, "marsh")
    qtbot.keyClick(picker.line_edit, Qt.Key.Key_Down)
    with qtbot.waitSignal(picker.committed):
        qtbot.keyClick(picker.line_edit, Qt.Key.Key_Return)
    assert picker.value() == regions["Saltmarsh Flats"]
    assert picker.line_edit.text() == "Saltmarsh Flats"


class LabelledItem(QStandardItem):
    """A foreign-key cell: EditRole holds the key, DisplayRole shows the referenced row's label."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def data(self, role: int = Qt.ItemDataRole.UserRole + 1) -> Any:
        """The label for display; everything else as stored."""
        if role == Qt.ItemDataRole.DisplayRole:
            return self.label
        return super().data(role)


def table_of(qtbot: QtBot, db: Database, catalog: Catalog, rows: list[dict[str, Any]]) -> QTableView:
    """A locations-like grid (name, region, type, active, embedding) with a CellDelegate over `db`."""
    columns = [
        ColumnInfo("name", "VARCHAR(120)", "string", False, False, length=120),
        ColumnInfo("region_id", "UUID", "uuid", True, False),
        ColumnInfo("location_type", "VARCHAR(24)", "enum", False, False, enum_values=("town", "cave")),
        ColumnInfo("is_active", "BOOLEAN", "boolean", False, False),
        ColumnInfo("embedding", "VECTOR(384)", "vector", True, False, vector_dim=384),
    ]
    model = QStandardItemModel(len(rows), len(columns))
    model.setHorizontalHeaderLabels([c.name for c in columns])
    for r, row in enumerate(rows):
        for c, info in enumerate(columns):
            item = LabelledItem(row["region_label"]) if info.name == "region_id" else QStandardItem()
            item.setData(info, Role.COLUMN)
            item.setData(REGION_FK if info.name == "region_id" else None, Role.FOREIGN_KEY)
            item.setData(row[info.name], EDIT)
            model.setItem(r, c, item)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setItemDelegate(CellDelegate(view, context=EditorContext(db, catalog)))
    view.setEditTriggers(
        QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
    )
    view.resize(820, 420)
    for c, width in enumerate((150, 250, 110, 80, 200)):
        view.setColumnWidth(c, width)
    view.show()
    qtbot.waitExposed(view)
    return view


def open_picker(qtbot: QtBot, view: QTableView, row: int) -> ForeignKeyPicker:
    """Start editing the region cell of `row`; the picker's first list has arrived."""
    index = view.model().index(row, 1)
    view.setCurrentIndex(index)
    view.edit(index)
    picker = view.indexWidget(index)
    assert isinstance(picker, ForeignKeyPicker)
    qtbot.waitUntil(lambda: picker.list.count() > 0 and workers.pending_count() == 0)
    return picker


def grid_rows(regions: dict[str, uuid.UUID], count: int = 8) -> list[dict[str, Any]]:
    """Rows for table_of."""
    rng = np.random.default_rng(7)
    places = [
        "Old Mill",
        "Harbour Gate",
        "Sunken Crypt",
        "Watchtower",
        "Fisher's Rest",
        "Bell Inn",
        "Mine",
        "Ford",
    ]
    region_names = ["Brightwater", "Frostmere", "Cinder Marsh", "Dawnreach"]
    return [
        {
            "name": places[i % len(places)],
            "region_id": regions[region_names[i % 4]],
            "region_label": region_names[i % 4],
            "location_type": ("town", "cave")[i % 2],
            "is_active": i % 3 != 0,
            "embedding": rng.normal(size=384).astype(np.float32),
        }
        for i in range(count)
    ]


def test_in_a_grid_choosing_sets_the_cell_and_escape_keeps_it(
    qtbot: QtBot, schema_db: Database, catalog: Catalog, regions: dict[str, uuid.UUID], db_threads: list[int]
) -> None:
    view = table_of(qtbot, schema_db, catalog, grid_rows(regions))
    index = view.model().index(0, 1)
    picker = open_picker(qtbot, view, 0)
    assert picker.line_edit.text() == "Brightwater"  # the label, looked up in the background
    assert picker.matches()[picker.list.currentRow()].key == {"id": regions["Brightwater"]}
    with qtbot.waitSignal(picker.matches_shown):
        qtbot.keyClicks(picker.line_edit, "glimmer")
    qtbot.keyClick(picker.line_edit, Qt.Key.Key_Return)
    assert index.data(EDIT) == regions["Glimmerwood"]
    assert view.state() != QAbstractItemView.State.EditingState
    picker = open_picker(qtbot, view, 0)
    with qtbot.waitSignal(picker.matches_shown):
        qtbot.keyClicks(picker.line_edit, "dawn")
    qtbot.keyClick(picker.line_edit, Qt.Key.Key_Escape)
    assert index.data(EDIT) == regions["Glimmerwood"]
    assert view.state() != QAbstractItemView.State.EditingState
    assert threading.get_ident() not in db_threads


def test_clearing_sets_null_only_when_the_column_allows_it(
    qtbot: QtBot, schema_db: Database, catalog: Catalog
) -> None:
    picker = make_picker(qtbot, schema_db, catalog, nullable=False)
    picker.line_edit.clear()
    qtbot.keyClick(picker.line_edit, Qt.Key.Key_Return)
    assert picker.value() is fk_picker.INVALID and "cannot be empty" in picker.status.text()
    picker = make_picker(qtbot, schema_db, catalog, nullable=True)
    with qtbot.waitSignal(picker.committed):
        qtbot.keyClick(picker.line_edit, Qt.Key.Key_Return)  # empty text
    assert picker.value() is None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_screenshot_of_an_open_picker(
    qtbot: QtBot, schema_db: Database, catalog: Catalog, regions: dict[str, uuid.UUID]
) -> None:
    view = table_of(qtbot, schema_db, catalog, grid_rows(regions, 12))
    picker = open_picker(qtbot, view, 2)
    with qtbot.waitSignal(picker.matches_shown):
        qtbot.keyClicks(picker.line_edit, "ash")
    assert view.grab().save(str(SCREENSHOT))
