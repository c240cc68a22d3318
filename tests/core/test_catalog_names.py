"""The names the listing knows without the models (core/schema/entity_kinds.py), and a listing of a foreign
database that loads neither the catalog nor the models: the navigator shows names before they load."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from core.schema.entity_kinds import FULLTEXT_INDEXED, REFERENCE_TABLES
from core.schema.models import metadata
from tests.fixtures.postgres import new_pg_database

REPO = Path(__file__).resolve().parents[2]
CHILD = """
import json, sys
from core.engine.db import open_database
from core.data.overview import listed_overview
db = open_database(sys.argv[1])
overview = listed_overview(db)
db.dispose()
heavy = ["numpy", "pgvector.sqlalchemy", "core.schema.catalog", "core.schema.models", "core.schema.reflect"]
if db.backend == "sqlite":  # sqlite-vec loads numpy as SQLite opens
    heavy.remove("numpy")
print(json.dumps({"tables": overview.tables, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def test_the_reference_table_names_are_the_models():
    """The listing's copy of the reference tables' names is the models' own list."""
    assert set(metadata.tables) == REFERENCE_TABLES
    assert set(FULLTEXT_INDEXED) <= REFERENCE_TABLES


def _listed_in_a_fresh_process(target: str) -> dict[str, list[object]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, target], capture_output=True, text=True, env=env, cwd=REPO, check=True
    )
    result: dict[str, list[object]] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_a_foreign_database_is_listed_without_the_catalog_or_the_models(tmp_path: Path):
    """Listing a database none of whose names is a reference table's loads no catalog, no pgvector types and
    no models (a third of a second before the navigator could show its names)."""
    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE guilds (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE VIEW guild_names AS SELECT name FROM guilds;"
        "CREATE VIRTUAL TABLE notes_fts USING fts5(body);"
    )
    conn.close()
    found = _listed_in_a_fresh_process(str(path))
    assert found["loaded"] == []
    assert found["tables"] == [["Other", "guild_names"], ["Other", "guilds"], ["Other", "notes_fts"]]


def test_a_reference_name_loads_the_models_to_list_it(tmp_path: Path):
    """A table named like a reference table is looked at with the models (is it theirs?)."""
    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
    conn.close()
    found = _listed_in_a_fresh_process(str(path))
    assert "core.schema.models" in found["loaded"]
    assert found["tables"] == [["Other", "orders"]]  # not the models' orders: its columns differ


def test_a_foreign_postgresql_database_is_listed_without_numpy_either(pg_server: object) -> None:
    """On PostgreSQL (no vector extension) nothing before the listing loads numpy: the listing does not."""
    url = new_pg_database(pg_server, vector=False)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA game")
        conn.exec_driver_sql("CREATE TABLE game.zones (id integer PRIMARY KEY)")
    engine.dispose()
    found = _listed_in_a_fresh_process(url)
    assert found["loaded"] == []
    assert found["tables"] == [["Other", "game.zones"]]
