"""A cell is read (coerced) once, as it is typed or pasted: staging marks it checked and the save takes it
as read (plain Python: no database write, no Qt)."""

from __future__ import annotations

import uuid

import pytest

from core.data.changes import Insert, Update
from core.data.validation import validate
from core.engine.db import Database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from gui.editor.model.staging import UNSET, NewRow, PasteTarget, Staging, build_paste, new_token
from tests.fixtures.coercion_reads import count_reads


@pytest.fixture
def catalog(sqlite_db: Database) -> Catalog:
    """The reference schema's catalog."""
    return load_catalog(sqlite_db)


def test_a_pasted_cell_is_read_once_up_to_the_save(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = count_reads(monkeypatch, "integer")
    products = catalog.get("products")
    stock = [c.name for c in products.columns].index("stock")
    key = (uuid.uuid4(),)
    loaded = {"id": key[0], "stock": 1, "version": 1}
    preview = build_paste(
        catalog, products, [["12"], ["-3"]], 0, stock, [PasteTarget(("key", key), loaded)] * 2
    )
    good, bad = preview.cells
    assert (good.value, good.problem, good.checked) == (12, None, True)
    assert bad.problem == "must be at least 0 (got -3)" and not bad.checked
    assert reads == ["12", "-3"]  # one read per pasted cell, the row check included

    staging = Staging(products)
    staging.set_value(("key", key), "stock", good.value, loaded, checked=good.checked)
    [change], _ = staging.changes()
    assert isinstance(change, Update) and change.checked == frozenset({"stock"})
    assert validate(catalog, [change]) == [change]
    assert reads == ["12", "-3"]  # the save's validation took it as read


def test_unchecked_and_unstaged_values_are_read_by_the_save(catalog: Catalog) -> None:
    staging = Staging(catalog.get("products"))
    key = (uuid.uuid4(),)
    loaded = {"id": key[0], "stock": 1, "version": 1}
    staging.set_value(("key", key), "stock", 5, loaded, checked=True)
    staging.set_value(("key", key), "stock", "7", loaded)  # as typed, not read: the save reads it
    row = NewRow(new_token(), {"name": "Lamp"}, {"name"})
    staging.add_insert(row)
    staging.set_value(("new", row.token), "name", UNSET, None, checked=True)
    insert, update = staging.changes()[0]
    assert isinstance(insert, Insert) and insert.checked == frozenset()
    assert isinstance(update, Update) and update.checked == frozenset()
