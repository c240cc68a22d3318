"""The navigator lists a database's entities from a listing of their names before its catalog is read
(issue 14: a usable navigator at once, even at thousands of tables); an entity opened meanwhile opens as
soon as the catalog is there."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from gui.main_window import MainWindow

pytestmark = pytest.mark.usefixtures("no_saved_tabs")


def test_names_are_listed_before_the_catalog_and_match_it(qtbot: QtBot, demo_copy_path: str) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    seen: list[tuple[str, list[str], bool]] = []
    window.navigator_filled.connect(
        lambda _o: seen.append(("filled", window.entity_names(), window.open_db.catalog is None))
    )
    window.overview_loaded.connect(lambda _o: seen.append(("catalog", window.entity_names(), False)))
    with qtbot.waitSignal(window.overview_loaded, timeout=20_000):
        window.open_target(demo_copy_path)
    assert [event for event, _names, _ in seen] == ["filled", "catalog"]
    (_, listed, before_catalog), (_, from_catalog, _) = seen
    assert before_catalog  # the names came before the catalog did
    assert listed == from_catalog and "locations" in listed


def test_an_entity_opened_from_the_listing_opens_when_the_catalog_comes(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    # Double-clicked while only the listing is there: nothing to open it with yet, so it waits.
    window.navigator_filled.connect(lambda _o: window.navigator.entity_activated.emit("npcs"))
    with qtbot.waitSignal(window.overview_loaded, timeout=20_000):
        window.open_target(demo_copy_path)
    qtbot.waitUntil(lambda: "npcs" in window.open_entity_names(), timeout=10_000)
    assert window.open_entity_names().count("npcs") == 1
