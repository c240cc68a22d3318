"""PostgreSQL's bulk catalog read (core/schema/pg_read.py): what its own catalog queries must get right, and
the tables whose types it leaves to SQLAlchemy's Inspector, read in the same pass."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from core.engine.db import Database, open_database
from core.schema import pg_read
from core.schema.catalog import Catalog, FkAction
from core.schema.keys import KeySource
from core.schema.load import load_catalog
from tests.fixtures.postgres import new_pg_database_with

DDL = [
    "CREATE SCHEMA shop",
    "CREATE TYPE mood AS ENUM ('calm', 'angry')",
    # A partitioned target: PostgreSQL adds a copy of a foreign key to it for each of its partitions.
    "CREATE TABLE regions (region_id integer PRIMARY KEY, name text NOT NULL) PARTITION BY RANGE (region_id)",
    "CREATE TABLE regions_low PARTITION OF regions FOR VALUES FROM (0) TO (100)",
    "CREATE TABLE regions_high PARTITION OF regions FOR VALUES FROM (100) TO (200)",
    """CREATE TABLE shop.stalls (
        stall_id serial PRIMARY KEY,
        region_id integer REFERENCES regions (region_id) ON DELETE CASCADE,
        price numeric(12, 2) NOT NULL,
        opened timestamp(3) with time zone,
        flags bit varying(5),
        tags varchar(20)[],
        open_for interval day to second,
        CHECK (price >= 0)
    )""",
    # Keyed by a unique index whose INCLUDE column is not part of the key.
    """CREATE TABLE badges (
        code text NOT NULL, label text NOT NULL, note text
    )""",
    "CREATE UNIQUE INDEX badges_code ON badges (code) INCLUDE (label)",
    # An enum column: this table is read by the Inspector, the others by the catalog queries.
    "CREATE TABLE moods (mood_id integer PRIMARY KEY, feeling mood NOT NULL, stall_id integer "
    "REFERENCES shop.stalls (stall_id) ON DELETE SET NULL)",
]


@pytest.fixture
def pg_db(pg_server: object) -> Iterator[Database]:
    """A database with the tables above, open."""
    db = open_database(new_pg_database_with(pg_server, DDL))
    yield db
    db.dispose()


@pytest.fixture
def catalog(pg_db: Database) -> Catalog:
    """Its catalog, read from the database."""
    return load_catalog(pg_db, cached=False)


def test_a_foreign_key_to_a_partitioned_table_is_one_link(catalog: Catalog) -> None:
    """The copies PostgreSQL keeps for each partition of the target are not links of their own."""
    stalls = catalog.entities["shop.stalls"]
    assert [(fk.columns, fk.target, fk.target_columns, fk.ondelete) for fk in stalls.foreign_keys] == [
        (("region_id",), "regions", ("region_id",), FkAction.CASCADE)
    ]
    assert catalog.entities["regions"].partitions == ("regions_high", "regions_low")


def test_built_in_types_and_definitions_read_as_sqlalchemy_reads_them(catalog: Catalog) -> None:
    """Sizes, precision, time zones, arrays, intervals and defaults come out of the catalog queries."""
    stalls = catalog.entities["shop.stalls"]
    assert stalls.schema == "shop"
    assert stalls.key_source == KeySource.PRIMARY_KEY and stalls.primary_key == ("stall_id",)
    cols = {c.name: c for c in stalls.columns}
    assert (cols["price"].precision, cols["price"].scale, cols["price"].nullable) == (12, 2, False)
    assert cols["stall_id"].default is not None and "shop.stalls_stall_id_seq" in cols["stall_id"].default
    table = stalls.table
    assert isinstance(table.c.opened.type, sa.DateTime) and table.c.opened.type.timezone
    tags = table.c.tags.type
    assert (
        isinstance(tags, sa.ARRAY) and isinstance(tags.item_type, sa.String) and tags.item_type.length == 20
    )
    assert isinstance(table.c.flags.type, postgresql.BIT) and table.c.flags.type.varying
    assert "interval" in cols["open_for"].type.lower()


def test_a_unique_index_with_included_columns_keys_by_its_key_columns(catalog: Catalog) -> None:
    """badges has no primary key: its unique index on code is the key; the INCLUDE column is not."""
    badges = catalog.entities["badges"]
    assert (badges.key_source, badges.primary_key) == (KeySource.UNIQUE, ("code",))


def test_a_table_with_an_enum_is_read_by_the_inspector_beside_the_others(pg_db: Database) -> None:
    """The enum's values come from SQLAlchemy's reflection; the table's keys and links from the queries."""
    read = pg_read.read_tables(pg_db, [(None, "moods"), ("shop", "stalls"), (None, "badges")])
    moods = read.specs[(None, "moods")]
    feeling = next(c for c in moods.columns if c.name == "feeling")
    assert isinstance(feeling.type, sa.Enum) and tuple(feeling.type.enums) == ("calm", "angry")
    assert moods.primary_key == ("mood_id",)
    assert [
        (fk.referred_schema, fk.referred_table, fk.ondelete) for fk in read.foreign_keys[(None, "moods")]
    ] == [("shop", "stalls", "SET NULL")]
    assert read.checks[("shop", "stalls")] == ["(price >= (0)::numeric)"]
    assert read.unique_sets[(None, "badges")] == [("code",)]


def test_the_inspector_path_of_servers_before_12_reads_the_same_facts(pg_db: Database) -> None:
    """Servers before PostgreSQL 12 are read through the Inspector alone: on this schema it finds the same
    columns, primary keys, unique sets and CHECKs as the catalog queries, and the same foreign key to another
    schema (a foreign key to a partitioned table, which such servers cannot have, differs: the Inspector
    lists its copies on the partitions)."""
    wanted = [(None, "regions"), ("shop", "stalls"), (None, "badges"), (None, "moods")]
    fast = pg_read.read_tables(pg_db, wanted)
    old = pg_read._read_with_inspector(pg_db, wanted)
    for place in wanted:
        assert [c.name for c in old.specs[place].columns] == [c.name for c in fast.specs[place].columns]
        assert old.specs[place].primary_key == fast.specs[place].primary_key
        assert set(old.unique_sets.get(place, [])) == set(fast.unique_sets.get(place, [])), place
        assert len(old.checks.get(place, [])) == len(fast.checks.get(place, [])), place
    moods = (None, "moods")
    assert old.foreign_keys[moods] == fast.foreign_keys[moods]


def test_columns_declared_alike_are_one_spec(pg_server: object) -> None:
    """Columns declared alike in two tables are read as one frozen spec (described and cached once); an
    array column keeps a type object of its own, and the tables still read as declared."""
    columns = "(id integer PRIMARY KEY, name text NOT NULL, tags text[], note varchar(20) DEFAULT 'x')"
    tables = [f"CREATE TABLE {t} {columns}" for t in ("left_side", "right_side")]
    db = open_database(new_pg_database_with(pg_server, tables))
    try:
        read = pg_read.read_tables(db, [(None, "left_side"), (None, "right_side")])
        left, right = read.specs[(None, "left_side")], read.specs[(None, "right_side")]
        assert (
            [c.name for c in left.columns]
            == ["id", "name", "tags", "note"]
            == [c.name for c in right.columns]
        )
        assert left.columns[1] is right.columns[1] and left.columns[3] is right.columns[3]
        assert left.columns[2] is not right.columns[2] and left.columns[2].type is not right.columns[2].type
        assert left.columns[3].default == "'x'::character varying" and not left.columns[1].nullable
        cat = load_catalog(db, cached=False)
        assert cat.get("left_side").as_dict()["columns"] == cat.get("right_side").as_dict()["columns"]
    finally:
        db.dispose()
