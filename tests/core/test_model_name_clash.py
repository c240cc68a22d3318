"""A database Warden did not create may have tables named like the reference models' (`orders`, `users`)
with columns of its own: they are reflected like any other table, not described as the models' — the
catalog, the navigator's listing, `inspect` and `export` read the columns the table really has (on both
backends). A reference database still takes its tables from the models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import cli
from core.data.overview import describe, listed_overview
from core.engine.db import Database, open_database
from core.schema.catalog import Catalog, CatalogSource
from core.schema.load import load_catalog
from tests.fixtures.postgres import new_pg_database

SCHEMA = [
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total REAL)",
    "INSERT INTO customers (id, name) VALUES (1, 'Ann')",
    "INSERT INTO orders (id, customer_id, total) VALUES (7, 1, 9.5)",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A shop database with its own `orders` table, on each backend."""
    if request.param == "sqlite":
        target = str(tmp_path / "shop.db")
        engine = sa.create_engine(f"sqlite:///{target}")
    else:
        target = new_pg_database(request.getfixturevalue("pg_server"))
        engine = sa.create_engine(target)
    with engine.begin() as conn:
        for sql in SCHEMA:
            conn.exec_driver_sql(sql)
    engine.dispose()
    return target


def test_a_foreign_orders_table_is_reflected_not_taken_from_the_models(
    shop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = open_database(shop)
    try:
        catalog = load_catalog(db, cached=False)
        orders = catalog.get("orders")
        assert [c.name for c in orders.columns] == ["id", "customer_id", "total"]
        assert catalog.source == CatalogSource.REFLECTED and orders.group == "Other"
        assert [fk.target for fk in orders.foreign_keys] == ["customers"]
        assert listed_overview(db) == describe(db, catalog)  # the navigator's listing agrees
    finally:
        db.dispose()
    out_file = tmp_path / "orders.json"
    args = ["export", "--db", shop, "--entity", "orders", "--format", "json", "-o", str(out_file)]
    assert cli.main(args) == 0
    assert json.loads(out_file.read_text()) == [{"id": 7, "customer_id": 1, "total": 9.5}]
    capsys.readouterr()
    assert cli.main(["inspect", "--db", shop, "--json"]) == 0
    entities = {e["name"]: e for e in json.loads(capsys.readouterr().out)["entities"]}
    assert [c["name"] for c in entities["orders"]["columns"]] == ["id", "customer_id", "total"]


def test_the_reference_schema_still_comes_from_the_models(demo_copy: tuple[Database, Catalog]) -> None:
    db, _ = demo_copy
    catalog = load_catalog(db, cached=False)
    assert catalog.source == CatalogSource.MODELS
    assert catalog.get("orders").group == "Operations"
