"""Keyset paging, forwards and backwards, always equals the full sorted, filtered result (both backends)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data import repository as repo
from core.data.repository import Filter
from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata
from tests.fixtures.postgres import BACKENDS, new_pg_database

N_ROWS = 200
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
LOCATIONS = [uuid.UUID(int=100 + i) for i in range(4)]
NAMES = ["Axe", "Bell", "Candle", "Dagger", "axe", "Rope", "Bell"]  # duplicates and case differences
TYPES = ["weapon", "tool", "key", "treasure"]
WORDS = ["old", "rusty", "gleaming", "cursed", "tiny"]
SORTABLE = ["name", "object_type", "description", "weight_grams", "is_takeable", "location_id", "created_at"]
SORTABLE += ["id"]


def _rows() -> list[dict[str, Any]]:
    """Varied rows: NULLs in several columns and many equal sort values."""
    rng = random.Random(7)
    rows = []
    for i in range(N_ROWS):
        rows.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128)),
                "name": rng.choice(NAMES),
                "object_type": rng.choice(TYPES),
                "description": None if rng.random() < 0.3 else f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
                "weight_grams": rng.choice([0, 5, 5, 100, 250, 1000, i]),
                "is_takeable": rng.random() < 0.5,
                "location_id": None if rng.random() < 0.25 else rng.choice(LOCATIONS),
                "created_at": T0 + dt.timedelta(hours=rng.choice([0, 1, 1, 2, 3, i])),
                "properties_json": {"rarity": rng.choice(["common", "rare"]), "level": rng.randint(1, 3)},
            }
        )
    return rows


@dataclass(repr=False)
class Filled:
    """The module's database, its catalog and every row as read back."""

    db: Database
    cat: Catalog
    every: list[dict[str, Any]]

    def __repr__(self) -> str:  # hypothesis prints fixtures in its reports; keep that short
        return f"Filled({self.db.backend}, {len(self.every)} rows)"


@pytest.fixture(scope="module", params=BACKENDS)
def filled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    """One database per backend for the whole module, with ~200 objects; yields it and every row."""
    if request.param == "sqlite":
        url = str(Path(tmp_path_factory.mktemp("props")) / "props.db")
    else:
        url = new_pg_database(request.getfixturevalue("pg_server"))
    db = open_database(url, create=True)
    metadata.create_all(db.engine)
    region = uuid.UUID(int=1)
    with db.engine.begin() as conn:
        conn.execute(metadata.tables["regions"].insert(), [{"id": region, "name": "R"}])
        conn.execute(
            metadata.tables["locations"].insert(),
            [
                {"id": k, "region_id": region, "name": f"L{i}", "location_type": "town"}
                for i, k in enumerate(LOCATIONS)
            ],
        )
        conn.execute(metadata.tables["objects"].insert(), _rows())
    cat = load_catalog(db)
    # The reference result comes from one full fetch, as stored (and read back) by the database.
    every = list(repo.export_rows(db, cat, "objects"))
    assert len(every) == N_ROWS
    yield Filled(db, cat, every)
    db.dispose()


def _matches(row: dict[str, Any], f: Filter) -> bool:
    """The Python meaning of one filter."""
    v = row[f.column]
    if f.op == "eq":
        return v == f.value
    if f.op == "ne":
        return v != f.value
    if f.op == "contains":
        return v is not None and f.value.lower() in v.lower()
    if f.op == "range":
        lo, hi = f.value
        return v is not None and (lo is None or v >= lo) and (hi is None or v <= hi)
    if f.op == "in":
        return v in f.value
    if f.op == "is_null":
        return v is None
    if f.op == "not_null":
        return v is not None
    if f.op == "json_eq":
        path, expected = f.value
        node: Any = v
        for p in path:
            node = node.get(p) if isinstance(node, dict) else None
        return node == expected and type(node) is type(expected)
    raise AssertionError(f.op)


def _quick(row: dict[str, Any], text: str | None) -> bool:
    """The Python meaning of quick search (the texts used here are never UUIDs or numbers).

    JSON columns are searched as their stored text; the texts used here never span a key and its value,
    so the key order and spacing of SQLite's JSON text and PostgreSQL's jsonb::text do not matter."""
    if text is None:
        return True
    texts = [row[c] or "" for c in TEXT_COLUMNS] + [json.dumps(row["properties_json"])]
    return any(text.lower() in t.lower() for t in texts)


def _compare(order: list[tuple[str, bool]], a: dict[str, Any], b: dict[str, Any]) -> int:
    """Row order with NULL as the largest value, each column in its direction."""
    for name, desc in order:
        x, y = a[name], b[name]
        if x == y:
            continue
        if x is None:
            c = 1
        elif y is None:
            c = -1
        else:
            c = -1 if x < y else 1
        return -c if desc else c
    return 0


FILTERS = st.sampled_from(
    [
        Filter("weight_grams", "range", (5, 250)),
        Filter("weight_grams", "range", (None, 100)),
        Filter("weight_grams", "ne", 5),
        Filter("object_type", "in", ["weapon", "key"]),
        Filter("object_type", "eq", "tool"),
        Filter("description", "contains", "RUSTY"),
        Filter("description", "is_null"),
        Filter("description", "not_null"),
        Filter("location_id", "eq", LOCATIONS[1]),
        Filter("location_id", "ne", LOCATIONS[0]),
        Filter("location_id", "is_null"),
        Filter("is_takeable", "eq", True),
        Filter("name", "eq", "Bell"),
        Filter("created_at", "range", (T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=50))),
        Filter("properties_json", "json_eq", (["rarity"], "rare")),
        Filter("properties_json", "json_eq", (["level"], 2)),
    ]
)
QUICK = st.sampled_from([None, "ell", "RUSTY", "ax", "o", "zzz"])
TEXT_COLUMNS = ("name", "object_type", "description")  # what quick search looks through in objects
SORTS = st.lists(st.tuples(st.sampled_from(SORTABLE), st.booleans()), max_size=3, unique_by=lambda t: t[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sort=SORTS, filters=st.lists(FILTERS, max_size=2), quick=QUICK, limit=st.integers(1, 60))
def test_keyset_pages_concatenate_to_the_sorted_result(filled, sort, filters, quick, limit):
    db, cat, every = filled.db, filled.cat, filled.every
    order = [(n, d) for n, d in sort] + ([] if any(n == "id" for n, _ in sort) else [("id", False)])
    expected = [r["id"] for r in sorted(
        (r for r in every if all(_matches(r, f) for f in filters) and _quick(r, quick)),
        key=functools.cmp_to_key(functools.partial(_compare, order)),
    )]  # fmt: skip
    fetch = functools.partial(
        repo.fetch_page, db, cat, "objects", sort=sort, filters=filters, quick=quick, limit=limit
    )

    forwards: list[uuid.UUID] = []
    page = fetch()
    assert page.order == order
    while True:
        assert len(page.rows) <= limit
        assert page.rows or not forwards, "a page after a cursor that promised more is never empty"
        forwards += [r[page.columns.index("id")] for r in page.rows]
        if not page.has_more:
            break
        page = fetch(after=page.last_cursor)
    assert forwards == expected

    backwards: list[uuid.UUID] = []
    page = fetch(from_end=True)
    while True:
        assert page.rows or not backwards
        backwards = [r[page.columns.index("id")] for r in page.rows] + backwards
        if not page.has_more:
            break
        page = fetch(before=page.first_cursor)
    assert backwards == expected

    assert repo.exact_count(db, cat.get("objects"), filters, quick) == len(expected)
