"""Foreign-key labels a screen needs, as core offers them: a page's labels, a picker's opening rows."""

from __future__ import annotations

import uuid

import pytest

from core.data.lookup import opening_matches, page_labels
from core.engine.db import Database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata


@pytest.fixture
def nested(schema_db: Database) -> tuple[Catalog, dict[str, uuid.UUID]]:
    """Regions nested through parent_region_id (a foreign key to regions); the catalog and name → id."""
    ids = {name: uuid.uuid4() for name in ("Ashen Vale", "Brightwater", "Cinder Reach", "Dunmoor")}
    parents = {"Brightwater": "Ashen Vale", "Cinder Reach": "Ashen Vale", "Dunmoor": "Brightwater"}
    rows = [
        {"id": i, "name": n, "danger_level": 1, "parent_region_id": ids.get(parents.get(n, ""))}
        for n, i in ids.items()
    ]
    with schema_db.transaction() as conn:
        conn.execute(metadata.tables["regions"].insert(), rows)
    return load_catalog(schema_db), ids


def test_page_labels_name_each_foreign_key_value_of_the_rows(
    schema_db: Database, nested: tuple[Catalog, dict[str, uuid.UUID]]
) -> None:
    catalog, ids = nested
    regions = catalog.get("regions")
    names = regions.column_names
    parent = names.index("parent_region_id")
    rows = [tuple(ids["Ashen Vale"] if i == parent else None for i in range(len(names)))]
    rows.append(tuple(ids["Brightwater"] if i == parent else None for i in range(len(names))))
    rows.append(tuple(None for _ in names))  # NULL: nothing to look up
    labels = page_labels(schema_db, catalog, regions, rows)
    assert labels == {
        "parent_region_id": {ids["Ashen Vale"]: "Ashen Vale", ids["Brightwater"]: "Brightwater"}
    }
    assert page_labels(schema_db, catalog, regions, []) == {}


def test_a_picker_opens_on_the_current_row_then_the_first_by_label(
    schema_db: Database, nested: tuple[Catalog, dict[str, uuid.UUID]]
) -> None:
    catalog, ids = nested
    fk = catalog.get("regions").foreign_keys[0]
    matches = opening_matches(schema_db, catalog, fk, ids["Dunmoor"])
    assert [m.label for m in matches] == ["Dunmoor", "Ashen Vale", "Brightwater", "Cinder Reach"]
    assert matches[0].key == {"id": ids["Dunmoor"]}
    first = opening_matches(schema_db, catalog, fk, ids["Cinder Reach"], limit=2)
    assert [m.label for m in first] == ["Cinder Reach", "Ashen Vale"]
    missing = opening_matches(schema_db, catalog, fk, uuid.uuid4(), limit=3)  # a dangling key
    assert [m.label for m in missing] == ["Ashen Vale", "Brightwater", "Cinder Reach"]
