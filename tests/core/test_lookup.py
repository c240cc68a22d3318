"""Label look-ups on both backends: type-ahead order, limits, wildcards, keys, batch labels."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from core.data.lookup import LabelMatch, label_for, labels_for, search_labels
from core.engine.db import Database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata

NAMES = [f"Ashen Vale {i:02d}" for i in range(60)] + [
    "Vale of Ash",
    "The ashen road",
    "100% Sure_Thing",
    "100 Percent",
    "Brightwater",
]


@pytest.fixture
def regions(schema_db: Database) -> dict[str, uuid.UUID]:
    """A region per name in NAMES, inserted with a Core insert; name → id."""
    ids = {name: uuid.uuid4() for name in NAMES}
    table = metadata.tables["regions"]  # the model's Table: its Python-side defaults fill the rest
    with schema_db.transaction() as conn:
        conn.execute(table.insert(), [{"id": i, "name": n, "danger_level": 1} for n, i in ids.items()])
    return ids


@pytest.fixture
def catalog(schema_db: Database, regions: dict[str, uuid.UUID]) -> Catalog:
    """The catalog of the filled database."""
    return load_catalog(schema_db)


@pytest.fixture
def statements(schema_db: Database) -> Iterator[list[str]]:
    """Every SQL statement run on the engine while the test runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(schema_db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(schema_db.engine, "before_cursor_execute", record)


def labels(matches: list[LabelMatch]) -> list[str]:
    """The labels of matches, in order."""
    return [m.label for m in matches]


def test_prefix_matches_come_before_substring_matches(schema_db: Database, catalog: Catalog) -> None:
    found = labels(search_labels(schema_db, catalog, "regions", "ash", limit=100))
    assert found[:2] == ["Ashen Vale 00", "Ashen Vale 01"]
    assert "Vale of Ash" in found and "The ashen road" in found
    first_substring = min(found.index("Vale of Ash"), found.index("The ashen road"))
    assert all(label.lower().startswith("ash") for label in found[:first_substring])
    assert all("ash" in label.lower() for label in found)


def test_search_is_case_insensitive(schema_db: Database, catalog: Catalog) -> None:
    assert labels(search_labels(schema_db, catalog, "regions", "BRIGHT")) == ["Brightwater"]


def test_limit_caps_the_rows_read(schema_db: Database, catalog: Catalog, statements: list[str]) -> None:
    found = search_labels(schema_db, catalog, "regions", "vale", limit=7)
    assert len(found) == 7
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert selects and all("LIMIT" in s.upper() for s in selects)


def test_default_limit_is_fifty(schema_db: Database, catalog: Catalog) -> None:
    assert len(search_labels(schema_db, catalog, "regions", "")) == 50
    assert len(search_labels(schema_db, catalog, "regions", "a")) == 50


def test_like_wildcards_match_themselves(schema_db: Database, catalog: Catalog) -> None:
    assert labels(search_labels(schema_db, catalog, "regions", "100%")) == ["100% Sure_Thing"]
    assert labels(search_labels(schema_db, catalog, "regions", "e_t")) == ["100% Sure_Thing"]
    assert search_labels(schema_db, catalog, "regions", "%%") == []


def test_matches_carry_the_key(schema_db: Database, catalog: Catalog, regions: dict[str, uuid.UUID]) -> None:
    (match,) = search_labels(schema_db, catalog, "regions", "brightwater")
    assert match.key == {"id": regions["Brightwater"]}


def test_a_pasted_key_finds_its_row_first(
    schema_db: Database, catalog: Catalog, regions: dict[str, uuid.UUID]
) -> None:
    key = regions["Vale of Ash"]
    found = search_labels(schema_db, catalog, "regions", str(key))
    assert found[0] == LabelMatch({"id": key}, "Vale of Ash")


def test_label_for_and_labels_for(
    schema_db: Database, catalog: Catalog, regions: dict[str, uuid.UUID]
) -> None:
    assert label_for(schema_db, catalog, "regions", {"id": regions["Brightwater"]}) == "Brightwater"
    assert label_for(schema_db, catalog, "regions", {"id": uuid.uuid4()}) is None
    wanted = [regions["Brightwater"], str(regions["Vale of Ash"]), None, uuid.uuid4(), "not a uuid"]
    assert labels_for(schema_db, catalog, "regions", wanted) == {
        regions["Brightwater"]: "Brightwater",
        str(regions["Vale of Ash"]): "Vale of Ash",
    }


def test_labels_for_many_keys_in_batches(
    schema_db: Database, catalog: Catalog, regions: dict[str, uuid.UUID], statements: list[str]
) -> None:
    many = list(regions.values()) + [uuid.uuid4() for _ in range(1200)]
    found = labels_for(schema_db, catalog, "regions", many)
    assert found == {i: n for n, i in regions.items()}
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3


def test_entity_without_label_falls_back_to_its_key(schema_db: Database) -> None:
    with schema_db.transaction() as conn:
        conn.execute(sa.text("CREATE TABLE gauges (id INTEGER PRIMARY KEY, weight FLOAT)"))
        conn.execute(sa.text("INSERT INTO gauges (id, weight) VALUES (7, 1.5), (17, 2.5), (8, 3.5)"))
    catalog = load_catalog(schema_db)
    assert catalog.get("gauges").label is None
    found = search_labels(schema_db, catalog, "gauges", "7")
    assert found[0] == LabelMatch({"id": 7}, "7")  # the exact key first
    assert labels(found) == ["7", "17"]
    assert label_for(schema_db, catalog, "gauges", {"id": 8}) == "8"
    assert labels_for(schema_db, catalog, "gauges", [8, 17, 99]) == {8: "8", 17: "17"}
