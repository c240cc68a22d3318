"""Delete preview, paste preview and conflict dialogs on real demo data (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from PySide6.QtWidgets import QTreeWidgetItemIterator
from pytestqt.qtbot import QtBot

from core.data.writes import delete_preview
from core.engine.db import Database
from core.errors import Conflict
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from gui.editor.dialogs.conflict_dialog import MERGE, TAKE_THEIRS, ConflictDialog
from gui.editor.dialogs.delete_dialog import DeletePreviewDialog
from gui.editor.dialogs.paste_dialog import PastePreviewDialog
from tests.fixtures.world import busy_location

SHOTS = Path("/tmp/warden_shots")


def _effects(dialog: DeletePreviewDialog) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    it = QTreeWidgetItemIterator(dialog.tree)
    while it.value():
        item = it.value()
        out[(item.text(2), item.text(0))] = int(item.text(1).replace(",", ""))
        it += 1
    return out


def test_delete_preview_of_a_location(qtbot: QtBot, demo_copy: tuple[Database, Catalog]) -> None:
    """Connections cascade, NPCs and objects are cleared; Delete is enabled."""
    db, catalog = demo_copy
    preview = delete_preview(db, catalog, "locations", [busy_location(db)])
    dialog = DeletePreviewDialog(preview)
    qtbot.addWidget(dialog)
    effects = _effects(dialog)
    assert effects[("location_connections", "Deleted too")] >= 1
    assert effects[("npcs", "Cleared")] >= 1
    assert effects[("objects", "Cleared")] >= 1
    assert not dialog.blocked_label.isVisibleTo(dialog)
    assert dialog.delete_button.isEnabled()
    assert dialog.cancel_button.isDefault()
    if db.backend == "sqlite":
        SHOTS.mkdir(exist_ok=True)
        dialog.grab().save(str(SHOTS / "delete_preview_location.png"))


def test_delete_preview_of_a_region_is_blocked(qtbot: QtBot, demo_copy: tuple[Database, Catalog]) -> None:
    """Locations restrict deleting their region: the dialog says why and refuses."""
    db, catalog = demo_copy
    with db.engine.connect() as conn:
        region = conn.execute(sa.text("SELECT region_id FROM locations LIMIT 1")).scalar_one()
    preview = delete_preview(db, catalog, "regions", [{"id": region}])
    assert preview.blocked
    dialog = DeletePreviewDialog(preview)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.blocked_label.isVisible()
    assert "locations" in dialog.blocked_label.text()
    assert "Can't delete" in dialog.blocked_label.text()
    assert not dialog.delete_button.isEnabled()
    assert "locations" in dialog.delete_button.toolTip()
    assert ("locations", "Blocks") in _effects(dialog)
    if db.backend == "sqlite":
        SHOTS.mkdir(exist_ok=True)
        dialog.grab().save(str(SHOTS / "delete_preview_region.png"))


def _conflicts() -> list[Conflict]:
    a, b, c = ({"id": uuid.uuid4()} for _ in range(3))
    return [
        Conflict(
            "locations",
            a,
            {"id": a["id"], "name": "Their Glade", "short_description": "theirs", "version": 3},
            {"name": "My Glade", "short_description": "mine"},
        ),
        Conflict("locations", b, None, {"name": "Gone"}),
        Conflict(
            "objects",
            c,
            {"id": c["id"], "weight_grams": 100, "name": "Lamp"},
            {"weight_grams": 250, "name": "Lamp"},
        ),
    ]


def test_conflict_dialog_choices_make_resolutions(qtbot: QtBot) -> None:
    """Keep mine, take theirs and merge per field; a deleted row drops my change."""
    conflicts = _conflicts()
    dialog = ConflictDialog(conflicts)
    qtbot.addWidget(dialog)
    assert dialog.resolutions()[0][1] == {"name": "My Glade", "short_description": "mine"}

    dialog.field(0, "name").set_choice(TAKE_THEIRS)
    merged = dialog.field(0, "short_description")
    merged.set_choice(MERGE)
    assert not merged.result.isReadOnly()
    merged.result.setText("theirs and mine")
    dialog.field(2, "weight_grams").set_choice(TAKE_THEIRS)
    dialog.field(2, "name").set_choice(TAKE_THEIRS)

    resolutions = dialog.resolutions()
    assert resolutions[0] == (conflicts[0].key, {"short_description": "theirs and mine"})
    assert resolutions[1] == (conflicts[1].key, None)
    assert resolutions[2] == (conflicts[2].key, None)
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        dialog.apply_button.click()


def test_conflict_dialog_checks_merged_values(qtbot: QtBot, sqlite_db: Database) -> None:
    """A merged value that is no value of its column is marked and blocks saving."""
    catalog = load_catalog(sqlite_db)
    infos = {e.name: {c.name: c for c in e.columns} for e in catalog.entities.values()}
    conflicts = _conflicts()
    dialog = ConflictDialog(conflicts, infos)
    qtbot.addWidget(dialog)
    dialog.resize(900, 560)
    weight = dialog.field(2, "weight_grams")
    weight.set_choice(MERGE)
    weight.result.setText("heavy")
    weight.result.textEdited.emit("heavy")
    assert weight.error
    assert not dialog.apply_button.isEnabled()
    weight.result.setText("175")
    weight.result.textEdited.emit("175")
    assert dialog.apply_button.isEnabled()
    assert dialog.resolutions()[2][1] == {"weight_grams": 175, "name": "Lamp"}
    dialog.field(0, "short_description").set_choice(MERGE)
    dialog.field(0, "short_description").result.setText("a merged line")
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "conflict_dialog.png"))


@dataclass
class _Cell:
    row: int
    column: str
    value: Any
    problem: str | None = None


@dataclass
class _Preview:
    cells: list[_Cell] = field(default_factory=list)


def test_paste_dialog_with_a_bad_row(qtbot: QtBot) -> None:
    """A bad value is red with its reason; Stage stays disabled."""
    preview = _Preview(
        [
            _Cell(4, "name", "Mossy Hollow"),
            _Cell(4, "travel_minutes", 12),
            _Cell(5, "name", "Old Mill"),
            _Cell(5, "travel_minutes", "soon", "not a whole number: 'soon'"),
        ]
    )
    dialog = PastePreviewDialog(preview, entity="location_connections")
    qtbot.addWidget(dialog)
    assert dialog.problem_cells() == [(1, 1)]
    assert dialog.table.item(1, 1).toolTip() == "not a whole number: 'soon'"
    assert dialog.table.verticalHeaderItem(0).text() == "5"
    assert not dialog.stage_button.isEnabled()
    assert "row 6, travel_minutes" in dialog.status.text()
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "paste_bad.png"))


def test_paste_dialog_all_good_stages(qtbot: QtBot) -> None:
    """With no problems, Stage is the default and accepts."""
    dialog = PastePreviewDialog(_Preview([_Cell(0, "name", "A"), _Cell(1, "name", "B")]))
    qtbot.addWidget(dialog)
    assert dialog.stage_button.isEnabled() and dialog.stage_button.isDefault()
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        dialog.stage_button.click()
