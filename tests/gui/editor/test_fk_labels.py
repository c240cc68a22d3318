"""Foreign-key cells show the label of the row they point at, resolved in workers with their page."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.data.repository import fetch_page
from gui.editor.model.page_cache import PageCache
from gui.editor.model.roles import Role
from gui.runtime import workers
from tests.fixtures.demo import Demo
from tests.fixtures.table_model import col, open_model
from tests.fixtures.threads import statement_threads

DISPLAY, EDIT, TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole


def _region_names(demo_copy: Demo) -> dict[Any, str]:
    db, catalog = demo_copy
    label = catalog.get("regions").label
    assert label is not None
    page = fetch_page(db, catalog, "regions", limit=1000)
    names = [c.name for c in catalog.get("regions").columns]
    return {row[names.index("id")]: row[names.index(label)] for row in page.rows}


def test_locations_show_region_names(qtbot: QtBot, demo_copy: Demo) -> None:
    """region_id cells read as the region's name; the key stays the edit value and is in the tooltip."""
    names = _region_names(demo_copy)
    db, catalog = demo_copy
    with statement_threads(db.engine) as threads:
        model = open_model(qtbot, db, catalog, "locations")
        region = col(model, "region_id")
        checked = 0
        for r in range(min(model.rowCount(), 20)):
            index = model.index(r, region)
            key = index.data(EDIT)
            if key is None:
                continue
            assert isinstance(key, uuid.UUID)
            assert index.data(DISPLAY) == names[key]
            assert index.data(TIP) == f"{names[key]} — {key}"
            assert index.data(Role.FULL_TEXT) == str(key)
            checked += 1
        assert checked > 0

        # A staged FK edit (what the picker hands over) shows its label once a worker found it.
        other = next(k for k in names if k != model.index(0, region).data(EDIT))
        assert model.setData(model.index(0, region), other)
        assert model.index(0, region).data(EDIT) == other
        qtbot.waitUntil(lambda: model.index(0, region).data(DISPLAY) == names[other], timeout=10_000)

        # A key with no row behind it is shown as the key.
        ghost = uuid.uuid4()
        assert model.setData(model.index(1, region), ghost)
        model.index(1, region).data(DISPLAY)  # asks for the label
        workers.wait_idle()
        qtbot.wait(50)
        assert model.index(1, region).data(DISPLAY) == str(ghost)
        assert model.index(1, region).data(EDIT) == ghost
    assert threads, "no statement was recorded"
    assert threading.main_thread().ident not in threads


def test_labels_live_and_die_with_their_page() -> None:
    """Labels are stored with the page they came with and are gone when the page is evicted."""
    from gui.editor.model.page_loading import Loaded

    cache = PageCache()
    key = uuid.uuid4()
    cache.store(Loaded(("head", 0), [(1, key)], None, None, labels={"region_id": {key: "Brightwater"}}))
    assert cache.label(0, 1, "region_id", key) == "Brightwater"
    assert cache.label(0, 1, "region_id", uuid.uuid4()) is None
    assert cache.label(5, 10, "region_id", key) is None
    cache.clear()
    assert cache.label(0, 1, "region_id", key) is None
