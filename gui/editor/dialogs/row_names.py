"""Rows named for people: the label of each row a dialog talks about, looked up on a worker.

A delete preview or a conflict that says "id=0f21d69e-…" asks the user to know keys by heart. These
functions run in gui/runtime/workers.py (they read the database) and return plain strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # core loads SQLAlchemy: only on the worker that looks labels up
    from core.data.writes import DeletePreview
    from core.engine.db import Database
    from core.schema.catalog import Catalog

#: A title names at most this many rows, then says how many more.
NAMED_ROWS = 5


def row_labels(db: Database, catalog: Catalog, entity: str, keys: list[dict[str, Any]]) -> list[str | None]:
    """Worker side: the label of each row with these keys (None for a row that is gone), in order."""
    from core.data.lookup import label_for, labels_for

    ent = catalog.get(entity)
    if not ent.label:
        return [None] * len(keys)  # no label column: its key is all there is, and the dialog counts instead
    if len(ent.primary_key) == 1 and all(set(k) == set(ent.primary_key) for k in keys):
        column = ent.primary_key[0]
        found = labels_for(db, catalog, ent, [k[column] for k in keys], key_column=column)
        return [found.get(k[column]) for k in keys]
    return [label_for(db, catalog, ent, k) for k in keys]


def preview_with_labels(
    db: Database, catalog: Catalog, entity: str, keys: list[dict[str, Any]]
) -> tuple[DeletePreview, list[str]]:
    """Worker side: what deleting these rows would do, and the labels of (at most NAMED_ROWS + 1 of) them."""
    from core.data.writes import delete_preview

    preview = delete_preview(db, catalog, entity, keys)
    labels = [label for label in row_labels(db, catalog, entity, keys[: NAMED_ROWS + 1]) if label]
    return preview, labels


def quoted(label: str, limit: int = 60) -> str:
    """A label in quotes, shortened to `limit` characters."""
    text = " ".join(label.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def names_text(labels: list[str], total: int) -> str:
    """'“A”', '“A” and “B”', '“A”, “B” and 3 more' for `total` rows whose first labels are `labels`."""
    shown = [quoted(label) for label in labels[:NAMED_ROWS]]
    if not shown:
        return ""
    rest = total - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest:,} more"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]
