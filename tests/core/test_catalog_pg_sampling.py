"""PostgreSQL's rows are sampled from the moment the columns are read (core/schema/reflect.py): the bulk
reader hands the columns over before it reads the keys and constraints, and the catalog it helps build is
the one the drafts would have sampled for."""

from __future__ import annotations

import sqlalchemy as sa

from core.engine.db import open_database
from core.schema import pg_read
from core.schema.catalog import ColumnKind
from core.schema.load import load_catalog
from core.schema.samples import PgSampler, SampleRequest
from core.schema.table_spec import TableSpec
from tests.fixtures.postgres import new_pg_database

DDL = [
    "CREATE SCHEMA shop",
    "CREATE TABLE guilds (id integer PRIMARY KEY, name text NOT NULL, settings text, logo bytea)",
    "CREATE TABLE shop.stalls (id serial PRIMARY KEY, guild integer REFERENCES guilds, data varchar(200))",
    "CREATE VIEW guild_names AS SELECT id, name FROM guilds",
    """INSERT INTO guilds VALUES (1, 'Red', '{"open": true}', '\\x00'), (2, 'Blue', '[1, 2]', NULL)""",
    """INSERT INTO shop.stalls (guild, data) VALUES (1, 'not json'), (2, '{"x": 1}')""",
]


def _database(pg_server: object) -> str:
    url = new_pg_database(pg_server, vector=False)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for sql in DDL:
            conn.exec_driver_sql(sql)
    engine.dispose()
    return url


def test_the_columns_are_handed_over_before_the_keys_are_read(pg_server: object) -> None:
    """on_columns gets every relation's columns, their primary keys not yet known; the result has them."""
    db = open_database(_database(pg_server))
    try:
        handed: list[dict[pg_read.Place, TableSpec]] = []
        read = pg_read.read_tables(
            db, [(None, "guilds"), ("shop", "stalls"), (None, "guild_names")], on_columns=handed.append
        )
    finally:
        db.dispose()
    assert len(handed) == 1
    early = handed[0]
    assert set(early) == {(None, "guilds"), ("shop", "stalls"), (None, "guild_names")}
    guilds = early[(None, "guilds")]
    assert [c.name for c in guilds.columns] == ["id", "name", "settings", "logo"]
    assert guilds.primary_key == ()
    assert read.specs[(None, "guilds")].primary_key == ("id",)
    assert read.specs[("shop", "stalls")].primary_key == ("id",)


def test_a_flushed_sampler_sends_its_last_small_batch_at_once(pg_server: object) -> None:
    """flush() sends a batch smaller than PG_BATCH without waiting for a samples_of to ask for it."""
    db = open_database(_database(pg_server))
    try:
        with PgSampler(db) as sampler:
            sampler.add(SampleRequest("guilds", "guilds", None, ("settings",)))
            sampler.flush()
            assert sampler._pending == []  # sent, not held back for more requests
            assert sampler.samples_of("guilds") == {"settings": ['{"open": true}', "[1, 2]"]}
    finally:
        db.dispose()


def test_text_holding_json_is_found_from_the_early_samples(pg_server: object) -> None:
    """The catalog still learns from the rows: JSON kept in text, across schemas; other text stays text."""
    db = open_database(_database(pg_server))
    try:
        cat = load_catalog(db, cached=False)
    finally:
        db.dispose()
    kinds = {e.name: {c.name: c.kind for c in e.columns} for e in cat.entities.values()}
    assert kinds["guilds"]["settings"] == ColumnKind.JSON
    assert kinds["guilds"]["name"] == ColumnKind.TEXT
    assert kinds["shop.stalls"]["data"] == ColumnKind.STRING  # one row of it is not JSON
    assert kinds["guild_names"]["name"] == ColumnKind.TEXT
