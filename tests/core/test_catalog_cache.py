"""The catalog is cached per database and schema version: a reopen reflects nothing, any DDL is seen."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.schema import catalog_cache
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata
from tests.fixtures.journal_file import fingerprint
from tests.fixtures.postgres import new_pg_database

SCHEMA = [
    "CREATE TABLE guilds (guild_id INTEGER PRIMARY KEY, title VARCHAR(80) NOT NULL UNIQUE, "
    "rank VARCHAR(10) CHECK (rank IN ('bronze', 'silver', 'gold')), extra TEXT)",
    "CREATE TABLE members (member_id INTEGER PRIMARY KEY, "
    "guild_id INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE, "
    "nick VARCHAR(40), joined DATE)",
    "CREATE INDEX ix_members_guild ON members (guild_id)",
    "CREATE VIEW guild_sizes AS SELECT g.title, count(m.member_id) AS members "
    "FROM guilds g LEFT JOIN members m ON m.guild_id = g.guild_id GROUP BY g.title",
    "INSERT INTO guilds (guild_id, title, rank, extra) VALUES (1, 'Owls', 'gold', '{\"motto\": \"hoot\"}')",
    "INSERT INTO members (member_id, guild_id, nick, joined) VALUES (1, 1, 'ada', '2026-01-02')",
]


@pytest.fixture
def foreign_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A database another program made (raw SQL): two tables with a foreign key, an index, a view, rows."""
    if backend == "sqlite":
        target = str(tmp_path / "foreign.db")
        raw = sqlite3.connect(target)
        raw.executescript(";\n".join(SCHEMA) + ";")
        raw.close()
    else:
        target = new_pg_database(request.getfixturevalue("pg_server"), vector=False)
        engine = sa.create_engine(target)
        with engine.begin() as conn:
            for stmt in SCHEMA:
                conn.exec_driver_sql(stmt)
        engine.dispose()
    db = open_database(target)
    yield db
    db.dispose()


@pytest.fixture(autouse=True)
def fresh_memory() -> Iterator[None]:
    """Each test starts with no catalog held in memory (other tests' databases are not ours to count)."""
    catalog_cache.forget()
    yield
    catalog_cache.forget()


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements `db` runs inside the block (SQLAlchemy's public cursor event)."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def ddl(db: Database, sql: str) -> None:
    """Change the schema from another connection, as another program would."""
    if db.backend == "sqlite":
        raw = sqlite3.connect(str(db.url.database))
        raw.executescript(sql)
        raw.close()
    else:
        engine = sa.create_engine(db.url)
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
        engine.dispose()


def builds() -> int:
    return catalog_cache.stats.builds


def test_reopen_uses_the_cache_and_reflects_nothing(foreign_db: Database) -> None:
    """The second load (same process) and a load from the cache file only read the schema's version."""
    before = builds()
    first = load_catalog(foreign_db)
    assert builds() == before + 1
    with statements(foreign_db) as seen:
        again = load_catalog(foreign_db)
    assert again is first and builds() == before + 1
    fingerprint_statements = 2 if foreign_db.backend == "sqlite" else 1  # schema_version + sqlite_master
    assert len(seen) == fingerprint_statements, seen
    assert not any(
        "PRAGMA table_info" in s or "information_schema" in s or "pg_attribute a\n" in s for s in seen
    )

    catalog_cache.forget()  # a new process: only the cache file is left
    hits = catalog_cache.stats.disk_hits
    with statements(foreign_db) as seen:
        from_file = load_catalog(foreign_db)
    assert catalog_cache.stats.disk_hits == hits + 1 and builds() == before + 1
    assert len(seen) == fingerprint_statements
    assert from_file is not first
    assert from_file.as_dict() == first.as_dict() == load_catalog(foreign_db, cached=False).as_dict()
    assert from_file.source == first.source and from_file.backend == first.backend
    # the cached entities work as fresh ones do: their tables build statements
    members = from_file.get("members")
    assert [c.name for c in members.table.columns] == ["member_id", "guild_id", "nick", "joined"]
    assert {fk.target for fk in members.foreign_keys} == {"guilds"}
    assert members.key_select[1] == ("member_id", "guild_id", "nick", "joined")
    with foreign_db.engine.connect() as conn:
        assert conn.execute(sa.select(members.table.c.nick)).scalar() == "ada"


DDL: dict[str, tuple[str, Callable[[Catalog], bool]]] = {
    "create table": (
        "CREATE TABLE quests (quest_id INTEGER PRIMARY KEY, goal TEXT)",
        lambda c: "quests" in c.entities,
    ),
    "add column": (
        "ALTER TABLE members ADD COLUMN score INTEGER",
        lambda c: "score" in c.get("members").column_names,
    ),
    "drop table": ("DROP VIEW guild_sizes; DROP TABLE members", lambda c: "members" not in c.entities),
    "drop view": ("DROP VIEW guild_sizes", lambda c: "guild_sizes" not in c.entities),
    "rename column": (
        "ALTER TABLE members RENAME COLUMN nick TO handle",
        lambda c: "handle" in c.get("members").column_names,
    ),
    "create view": (
        "CREATE VIEW owls AS SELECT * FROM guilds WHERE title = 'Owls'",
        lambda c: "owls" in c.entities,
    ),
}


@pytest.mark.parametrize("change", list(DDL))
def test_any_ddl_invalidates_the_cache(foreign_db: Database, change: str) -> None:
    """A schema change made by anyone is seen on the next load, in this process and from the file."""
    sql, seen_in = DDL[change]
    first = load_catalog(foreign_db)
    assert not seen_in(first)
    ddl(foreign_db, sql)
    before = builds()
    changed = load_catalog(foreign_db)
    assert builds() == before + 1 and seen_in(changed)
    catalog_cache.forget()
    assert seen_in(load_catalog(foreign_db)) and builds() == before + 1  # the file was written again


def test_postgresql_ddl_the_fingerprint_sees(pg_server: object) -> None:
    """On PostgreSQL: a new schema, a column's type, a constraint and a default each change the fingerprint;
    another session's temporary table, ANALYZE and data changes do not."""
    url = new_pg_database(pg_server, vector=False)
    db = open_database(url)
    try:
        ddl(db, ";".join(SCHEMA[:2]))
        stamps = [catalog_cache.stamp_of(db)]
        for sql in (
            "CREATE SCHEMA game",
            "CREATE TABLE game.zones (zone_id INTEGER PRIMARY KEY)",
            "ALTER TABLE members ALTER COLUMN nick TYPE TEXT",
            "ALTER TABLE members ADD CONSTRAINT nick_once UNIQUE (nick)",
            "ALTER TABLE members ALTER COLUMN joined SET DEFAULT CURRENT_DATE",
            "ALTER TABLE members ALTER COLUMN joined SET DEFAULT '2026-01-01'",
            "CREATE TYPE mood AS ENUM ('calm', 'angry')",
            "ALTER TYPE mood ADD VALUE 'sleepy'",
            "GRANT SELECT ON members TO PUBLIC",  # who may see it changed: counted (it only costs a rebuild)
        ):
            ddl(db, sql)
            stamps.append(catalog_cache.stamp_of(db))
        versions = [s.version for s in stamps if s is not None]
        assert len(set(versions)) == len(stamps), "every DDL above changes the version"

        steady = catalog_cache.stamp_of(db)
        engine = sa.create_engine(url)
        with engine.connect() as other:  # another session's temp table lives and dies without a trace
            other.exec_driver_sql("CREATE TEMPORARY TABLE scratch (n INTEGER)")
            assert catalog_cache.stamp_of(db) == steady
        engine.dispose()
        ddl(db, "INSERT INTO guilds (guild_id, title) VALUES (7, 'Bats'); ANALYZE")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM guilds")
        assert catalog_cache.stamp_of(db) == steady
    finally:
        db.dispose()


def test_a_damaged_cache_file_is_ignored_and_written_again(foreign_db: Database) -> None:
    """Garbage, a truncated file or an empty one: the catalog is read again, never an error."""
    first = load_catalog(foreign_db)
    stamp = catalog_cache.stamp_of(foreign_db)
    assert stamp is not None
    path = catalog_cache.cache_file(stamp.database)
    good = path.read_bytes()
    for damage in (b"not a pickle at all", good[: len(good) // 2], b""):
        path.write_bytes(damage)
        catalog_cache.forget()
        before = builds()
        again = load_catalog(foreign_db)
        assert builds() == before + 1 and again.as_dict() == first.as_dict()
        catalog_cache.forget()
        hits = catalog_cache.stats.disk_hits
        assert load_catalog(foreign_db).as_dict() == first.as_dict()
        assert catalog_cache.stats.disk_hits == hits + 1  # rewritten whole


def test_another_wardens_cache_is_not_read(foreign_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache file written by other catalog code (another Warden version) is not used."""
    load_catalog(foreign_db)
    catalog_cache.forget()
    monkeypatch.setattr(catalog_cache, "code_version", lambda: "another warden")
    before = builds()
    load_catalog(foreign_db)
    assert builds() == before + 1


def test_wardens_own_database_keeps_the_models_tables(schema_db: Database) -> None:
    """From the cache file, a reference table is the models' own Table (the ORM and writes rely on it)."""
    first = load_catalog(schema_db)
    catalog_cache.forget()
    hits = catalog_cache.stats.disk_hits
    cached = load_catalog(schema_db)
    assert catalog_cache.stats.disk_hits == hits + 1
    assert cached.as_dict() == first.as_dict()
    for name in ("regions", "locations", "orders"):
        assert cached.get(name).table is metadata.tables[name]


def test_sqlite_file_at_the_same_path_is_told_apart(tmp_path: Path) -> None:
    """Another file put where the first was, with as many schema changes, is not taken for it."""
    path = tmp_path / "swap.db"
    for table in ("apples", "pears"):
        path.unlink(missing_ok=True)
        conn = sqlite3.connect(path)
        conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT)")
        conn.close()
        db = open_database(path)
        try:
            assert list(load_catalog(db).entities) == [table]
        finally:
            db.dispose()


def test_reading_through_the_cache_changes_no_byte(foreign_db: Database) -> None:
    """The version pragma and sqlite_master are reads: the file keeps every byte."""
    if foreign_db.backend != "sqlite":
        pytest.skip("a SQLite file's bytes")
    path = Path(str(foreign_db.url.database))
    before = fingerprint(path)
    load_catalog(foreign_db)
    load_catalog(foreign_db)
    catalog_cache.forget()
    load_catalog(foreign_db)
    foreign_db.dispose()
    assert fingerprint(path) == before


def test_in_memory_databases_are_not_cached() -> None:
    """An in-memory database has nothing to be found by again."""
    db = open_database(":memory:", create=True)
    try:
        assert catalog_cache.stamp_of(db) is None
        before = builds()
        load_catalog(db)
        load_catalog(db)
        assert builds() == before + 2
    finally:
        db.dispose()
