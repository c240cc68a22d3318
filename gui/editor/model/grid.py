"""Grid rows of the table editor: the staged new rows first, then the row window's database rows. No Qt.

A grid row is referred to by what it is, not where it is: ("key", primary-key tuple) for a database row,
("new", token) for a staged new row (model/staging.py's RowRef), so staged state survives sorting,
filtering and refreshing.
"""

from __future__ import annotations

from typing import Any

from gui.editor.model.roles import RowState
from gui.editor.model.row_window import RowWindow
from gui.editor.model.staging import UNSET, RowRef, Staging

Located = tuple[RowRef | None, tuple[Any, ...] | None]


class Grid:
    """Where a grid row's values come from: its identity, its loaded values and its staged ones."""

    def __init__(self, staging: Staging, window: RowWindow) -> None:
        self.staging, self.window = staging, window
        self.entity = staging.entity
        self.names = window.names
        self._located_at: tuple[int, ...] = ()
        self._located: Located = (None, None)

    @property
    def new_rows(self) -> int:
        """Staged new rows, shown above the database rows."""
        return len(self.staging.inserts)

    @property
    def rows(self) -> int:
        """Staged new rows plus the database rows (estimated until counted)."""
        return len(self.staging.inserts) + self.window.total

    def locate(self, row: int) -> Located:
        """A grid row's identity and its loaded values (None, None for a placeholder).

        A view asks for every cell of a row in turn: the last database row located is kept until the
        page cache, the row count or the number of staged new rows changes.
        """
        inserts = self.staging.inserts
        n = len(inserts)
        if row < n:
            return ("new", inserts[row].token), None
        window = self.window
        stamp = (row, n, window.total, window.cache.generation)
        if stamp == self._located_at:
            return self._located
        loaded = window.row(row - n)
        found: Located = (None, None) if loaded is None else (("key", window.key(loaded)), loaded)
        self._located_at, self._located = stamp, found
        return found

    def state(self, ref: RowRef) -> str:
        """What the row is: inserted, deleted, edited or loaded (a RowState)."""
        kind, ident = ref
        if kind == "new":
            return RowState.INSERTED
        if ident in self.staging.deletes:
            return RowState.DELETED
        return RowState.EDITED if ident in self.staging.edits else RowState.LOADED

    def shown(self, ref: RowRef, loaded: tuple[Any, ...] | None, col: int) -> tuple[Any, Any]:
        """The value a cell shows and its staged value (UNSET when it has none)."""
        staging = self.staging
        quiet = not staging.count and not staging.errors  # nothing staged: skip the lookups
        staged = UNSET if quiet else staging.value(ref, self.names[col])
        return (staged if staged is not UNSET else (loaded[col] if loaded is not None else None)), staged

    def row_values(self, row: int) -> dict[str, Any]:
        """The row as shown (staged values over loaded ones); {} for a placeholder."""
        ref, loaded = self.locate(row)
        if ref is None:
            return {}
        return {name: self.shown(ref, loaded, c)[0] for c, name in enumerate(self.names)}

    def row_dict(self, row: tuple[Any, ...] | None) -> dict[str, Any] | None:
        """A loaded row as {column: value}."""
        return dict(zip(self.names, row, strict=True)) if row is not None else None

    def key_dict(self, key: tuple[Any, ...]) -> dict[str, Any]:
        """A key tuple as {key column: value}."""
        return dict(zip(self.entity.primary_key, key, strict=True))

    def rows_of(self, refs: set[RowRef]) -> list[int]:
        """The grid rows these refs are on now (loaded or staged new rows)."""
        n = len(self.staging.inserts)
        keys = {ident for kind, ident in refs if kind == "key"}
        rows = [n + p for p in self.window.positions_of(keys)]
        rows += [i for i, r in enumerate(self.staging.inserts) if ("new", r.token) in refs]
        return rows
