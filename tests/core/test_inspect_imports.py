"""`warden inspect` on a database Warden did not create loads only what describing it needs: not the ORM,
numpy or the reference models (a third of a second of every cold `inspect`), and the catalog cache's code
version is worked out without importing the modules it hashes."""

from __future__ import annotations

import json
import os
import pkgutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.fixtures.postgres import new_pg_database

REPO = Path(__file__).resolve().parents[2]
HEAVY = ["numpy", "sqlalchemy.orm", "core.schema.models"]
INSPECT_CHILD = """
import contextlib, io, json, sys
from core import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = cli.main(["inspect", "--db", sys.argv[1], "--json"])
doc = json.loads(out.getvalue())
heavy = json.loads(sys.argv[2])
print(json.dumps({
    "code": code,
    "entities": {e["name"]: [c["kind"] for c in e["columns"]] for e in doc["entities"]},
    "loaded": [m for m in heavy if m in sys.modules],
}))
"""
VERSION_CHILD = """
import json, pkgutil, sys
import core.schema
from core.schema import catalog_cache
version = catalog_cache.code_version()
loaded = "core.schema.models" in sys.modules or "core.schema.catalog" in sys.modules
print(json.dumps({"loaded": loaded, "modules": sorted(catalog_cache._catalog_modules()), "version": version}))
"""


def _child(code: str, *args: str, data_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "WARDEN_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=REPO, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_inspect_of_a_foreign_postgresql_database_loads_no_orm_numpy_or_models(
    pg_server: object, tmp_path: Path
) -> None:
    """A cold `inspect --json` (no cache file) and a warm one (its cache file) describe the tables, JSON kept
    as text found from the rows, without loading the ORM, numpy or the models."""
    url = new_pg_database(pg_server, vector=False)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE guilds (id integer PRIMARY KEY, name text, settings text)")
        conn.exec_driver_sql("""INSERT INTO guilds VALUES (1, 'Red', '{"open": true}')""")
        conn.exec_driver_sql("CREATE TABLE members (id integer PRIMARY KEY, guild integer REFERENCES guilds)")
    engine.dispose()
    for _run in ("cold", "warm"):
        found = _child(INSPECT_CHILD, url, json.dumps(HEAVY), data_dir=tmp_path)
        assert found["code"] == 0
        assert found["entities"] == {"guilds": ["integer", "text", "json"], "members": ["integer", "integer"]}
        assert found["loaded"] == []
    assert list((tmp_path / "catalog-cache").glob("*.catalog"))  # the second run read the first one's file


def test_inspect_of_the_reference_schema_still_describes_its_models(tmp_path: Path) -> None:
    """A database with the reference tables is described from the models, loaded for it."""
    path = tmp_path / "warden.db"
    from core.engine.db import open_database
    from core.schema.models import metadata

    db = open_database(str(path), create=True)
    metadata.create_all(db.engine)
    db.dispose()
    found = _child(INSPECT_CHILD, str(path), json.dumps(HEAVY), data_dir=tmp_path)
    assert found["code"] == 0
    assert set(found["entities"]) >= {"orders", "players"}
    assert "core.schema.models" in found["loaded"]


def test_the_cache_code_version_hashes_every_catalog_module_without_importing_them(tmp_path: Path) -> None:
    """The cache's code version covers core.types and every module under core/schema (the models too), and
    working it out imports none of them; nor does the cache itself load the catalog's code (inspect imports
    it while the server works out the stamp)."""
    found = _child(VERSION_CHILD, data_dir=tmp_path)
    assert found["loaded"] is False
    import core.schema

    walked = {m.name for m in pkgutil.walk_packages(core.schema.__path__, "core.schema.")}
    assert found["modules"] == sorted({"core.types", *walked})
    assert "core.schema.models.players" in walked


def test_a_foreign_sqlite_file_is_inspected_without_the_models_or_the_orm(tmp_path: Path) -> None:
    """On SQLite too (numpy comes with sqlite-vec there, so only the ORM and the models are looked for)."""
    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE guilds (id INTEGER PRIMARY KEY, name TEXT)")
    conn.close()
    found = _child(INSPECT_CHILD, str(path), json.dumps(HEAVY[1:]), data_dir=tmp_path)
    assert found["code"] == 0
    assert found["entities"] == {"guilds": ["integer", "text"]}
    assert found["loaded"] == []


def test_load_catalog_keys_the_cache_by_a_stamp_it_is_given(tmp_path: Path) -> None:
    """A stamp asked for before (inspect sends its query early) is the cache's key, as stamp_of's own is; a
    None stamp (an in-memory database's) builds the catalog every time."""
    from core.engine.db import open_database
    from core.schema import catalog_cache
    from core.schema.load import load_catalog

    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE guilds (id INTEGER PRIMARY KEY, name TEXT)")
    conn.close()
    db = open_database(str(path))
    try:
        builds = catalog_cache.stats.builds
        unkeyed = [load_catalog(db, stamp=lambda: None) for _ in range(2)]
        assert catalog_cache.stats.builds == builds + 2
        assert unkeyed[0] is not unkeyed[1]
        stamp = catalog_cache.stamp_of(db)
        given = load_catalog(db, stamp=lambda: stamp)
        assert load_catalog(db) is given  # found in memory by the stamp stamp_of works out
        assert catalog_cache.stats.builds == builds + 3
    finally:
        catalog_cache.forget()
        db.dispose()
