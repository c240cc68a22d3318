"""The panel's "Search in" box: the world entities at once, or one vector column of the catalog.

Read from the catalog only (no query), so it fits reflected databases as well as the reference schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QComboBox

if TYPE_CHECKING:
    from core.schema.catalog import Catalog

WORLD = "world"  # the item data of "the world entities at once"
Target = tuple[str, str | None]  # entity, vector column


class TargetBox(QComboBox):
    """A combo box of search targets; each item's data is WORLD or an (entity, column) pair."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("searchTarget")
        self.setToolTip("Which entity's vector column to search")

    def fill(self, catalog: Catalog | None) -> None:
        """List the catalog's vector columns (and the world entities at once when there are several),
        keeping the current choice when it is still there; emits no change signal."""
        chosen = self.currentData()
        self.blockSignals(True)
        try:
            self.clear()
            if catalog is not None:
                from core.search.panel_queries import world_targets
                from core.search.targets import vector_targets

                world = world_targets(catalog)
                if len(world) > 1:
                    self.addItem(f"World: {', '.join(t.entity for t in world)}", WORLD)
                for t in vector_targets(catalog):
                    self.addItem(f"{t.entity} · {t.column} ({t.dimension}-d)", (t.entity, t.column))
            if self.count() == 0:
                self.addItem("No vector columns in this database", None)
            # findData cannot compare Python tuples: look for the old choice by hand
            at = next((i for i in range(self.count()) if self.itemData(i) == chosen), 0)
            self.setCurrentIndex(at)
        finally:
            self.blockSignals(False)

    def targets(self, catalog: Catalog | None) -> list[Target]:
        """The (entity, vector column) pairs the current choice searches."""
        data: Any = self.currentData()
        if data == WORLD and catalog is not None:
            from core.search.panel_queries import world_targets

            return [(t.entity, t.column) for t in world_targets(catalog)]
        if isinstance(data, tuple):
            return [(str(data[0]), str(data[1]))]
        return []

    def choose(self, entity: str, column: str | None = None) -> bool:
        """Choose one entity's vector column (its first, without `column`); False when it is not listed."""
        for i in range(self.count()):
            data = self.itemData(i)
            if isinstance(data, tuple) and data[0] == entity and (column is None or data[1] == column):
                self.setCurrentIndex(i)
                return True
        return False
