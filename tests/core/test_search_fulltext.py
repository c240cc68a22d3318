"""The keyword side through the reference schema's full-text indexes, on SQLite (FTS5 + triggers) and
PostgreSQL (GIN over a tsvector expression): ranking, edits followed, typing, hybrid fusion, and the
migration that makes the indexes, up and down."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from core.data.query import Filter
from core.engine.db import Database, open_database
from core.migrate import migrations as mig
from core.schema.listing import list_entities
from core.schema.load import load_catalog
from core.schema.models import metadata
from core.search import panel_queries
from core.search.embeddings import local_embedder
from core.search.fulltext import keyword_match, pg_text_index
from core.search.hybrid import FULLTEXT, RRF_K, TEXT_SEARCH, search_text
from core.search.knn_hnsw import plan_uses_index

REVISION = "e3c8f1a6b2d7"
#: (name, type, description): Brenna Hollowreach among rows built to beat her if the ranking were wrong.
NPCS = [
    ("Osric Coldby", "guard", "Osric follows Brenna everywhere; Brenna this, Brenna that, says Brenna."),
    ("Brennaford Watchman", "guard", "He keeps the gate of Brennaford."),
    ("Old Brennan", "merchant", "A trader of salt."),
    ("Brenna Hollowreach", "smith", "A quiet smith of the northern cliffs."),
    (
        "Maud Lantern",
        "quest_giver",
        "Keeper of the lighthouse; the lighthouse is her life, the lighthouse lamp.",
    ),
    (
        "Pell Fisher",
        "merchant",
        "Sells fish by the harbour, mends nets, talks of storms, of the tide, of the old lighthouse, "
        "of boats and of the market square on feast days.",
    ),
    ("Ivo Dunmere", "scholar", "Reads old maps."),
]
SYNTAX = [
    "Brenna'; DROP TABLE npcs; --",
    'x" OR 1=1',
    "NEAR(a b) * - AND",
    "a & b | !c <-> d:*",
    "'' \\ :* ()",
    "%_",
    "\x00",
    "-",
]


def _npcs(db: Database) -> sa.Table:
    return metadata.tables["npcs"]


def _add_npcs(db: Database, rows: list[tuple[str, str, str]]) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            _npcs(db).insert(),
            [{"name": n, "npc_type": t, "description": d, "is_hostile": False} for n, t, d in rows],
        )


@pytest.fixture
def world(empty_url: str) -> Iterator[Database]:
    """A database at the reference schema's head holding the NPCS."""
    db = open_database(empty_url, create=True)
    mig.upgrade(db)
    _add_npcs(db, NPCS)
    yield db
    db.dispose()


def _labels(db: Database, text: str, **options: Any) -> list[str]:
    result = search_text(db, load_catalog(db), "npcs", text, None, mode="keyword", k=10, **options)
    assert result.keyword_source == FULLTEXT or not any(ch.isalnum() for ch in text)
    return [h.label for h in result.hits]


def test_brenna_ranks_brenna_hollowreach_first(world: Database) -> None:
    found = _labels(world, "Brenna")
    # The whole first word of a name, then a name starting with it, a name holding it, then the text.
    assert found == ["Brenna Hollowreach", "Brennaford Watchman", "Old Brennan", "Osric Coldby"]
    assert _labels(world, "brenna hollowreach")[0] == "Brenna Hollowreach"
    # The last word, maybe half typed, is a prefix too.
    assert _labels(world, "Brenna Hol") == ["Brenna Hollowreach"]
    assert set(_labels(world, "Bren")[:2]) == {"Brenna Hollowreach", "Brennaford Watchman"}


def test_text_matches_rank_by_the_index(world: Database) -> None:
    """Rows found in their descriptions alone rank by the index: bm25 on SQLite, ts_rank_cd on PostgreSQL."""
    assert _labels(world, "lighthouse") == ["Maud Lantern", "Pell Fisher"]
    assert _labels(world, "cliffs smith") == ["Brenna Hollowreach"]  # every word, in any order


def test_edits_are_followed(world: Database) -> None:
    npcs = _npcs(world)
    with world.engine.begin() as conn:
        conn.execute(npcs.update().where(npcs.c.name == "Ivo Dunmere").values(description="Reads the stars."))
        conn.execute(npcs.update().where(npcs.c.name == "Pell Fisher").values(name="Pell Stormborn"))
        conn.execute(npcs.delete().where(npcs.c.name == "Maud Lantern"))
        # A write to another column (the vector, as re-embedding does) leaves the index as it was.
        conn.execute(npcs.update().where(npcs.c.name == "Old Brennan").values(is_hostile=True))
    assert _labels(world, "maps") == []
    assert _labels(world, "stars") == ["Ivo Dunmere"]
    assert _labels(world, "stormborn") == ["Pell Stormborn"]
    assert _labels(world, "lighthouse") == ["Pell Stormborn"]
    assert "Old Brennan" in _labels(world, "brennan")


def test_filters_combine_with_the_index(world: Database) -> None:
    assert _labels(world, "Brenna", filters=[Filter("npc_type", "eq", "guard")]) == [
        "Brennaford Watchman",
        "Osric Coldby",
    ]


@pytest.mark.parametrize("typed", SYNTAX)
def test_typed_syntax_is_only_words(world: Database, typed: str) -> None:
    """Quotes, operators and SQL are words to look up (or nothing): never an error, never all rows."""
    found = _labels(world, typed)
    assert len(found) < len(NPCS)
    with world.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(_npcs(world))).scalar() == len(NPCS)


def test_hybrid_fuses_the_index_ranks(world: Database) -> None:
    """Hybrid search fuses the index's ranking with the meaning's (reciprocal rank fusion)."""
    embedder = local_embedder()
    npcs = _npcs(world)
    with world.engine.begin() as conn:
        rows = conn.execute(sa.select(npcs.c.id, npcs.c.name, npcs.c.description)).all()
        vectors = embedder.embed([f"{name}. {text}" for _id, name, text in rows])
        for (key, _name, _text), vector in zip(rows, vectors, strict=True):
            conn.execute(npcs.update().where(npcs.c.id == key).values(embedding=np.asarray(vector)))
    result = search_text(world, load_catalog(world), "npcs", "Brenna", embedder, mode="hybrid", k=5)
    assert result.keyword_source == FULLTEXT and result.semantic is not None
    first = result.hits[0]
    assert first.label == "Brenna Hollowreach" and first.keyword_rank == 1 and first.semantic_rank
    assert first.score == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + first.semantic_rank))
    assert [h.keyword_rank for h in result.hits if h.label.startswith("Brenn")] == [1, 2]


def test_the_panel_says_the_index_answered(world: Database) -> None:
    """The panel's note names the index, never the words typed or the SQL."""
    typed = "Brenna'; DROP TABLE npcs; --"
    answer = panel_queries.search(world, load_catalog(world), [("npcs", None)], typed, mode="keyword")
    (group,) = answer.groups
    assert group.problem is None and group.how == f"keywords: {FULLTEXT}"
    assert "DROP" not in group.how and "Brenna" not in group.how
    assert group.hits == []  # every word must be there: no row holds "drop" and "table"
    answer = panel_queries.search(world, load_catalog(world), [("npcs", None)], "Brenna", mode="keyword")
    assert answer.groups[0].hits[0].label == "Brenna Hollowreach"


def test_postgresql_search_uses_the_gin_index(pg_server: object, tmp_path: Any) -> None:
    """The match is the indexed expression itself: the planner answers it through the GIN index."""
    from tests.fixtures.postgres import new_pg_database

    db = open_database(new_pg_database(pg_server), create=True)
    try:
        mig.upgrade(db)
        _add_npcs(db, NPCS)
        ent = load_catalog(db).get("npcs")
        with db.engine.connect() as conn:
            index = pg_text_index(conn, ent)
            assert index is not None and index.name == "fts_npcs" and index.config == "english"
            match = keyword_match(conn, ent, "Brenna Hollow")
            assert match is not None
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # six rows: make a seq scan unattractive
            stmt = sa.select(sa.func.count()).select_from(match.from_).where(match.where)
            assert plan_uses_index(conn, stmt, "fts_npcs")
            assert conn.execute(stmt).scalar() == 1
    finally:
        db.dispose()


def test_a_reflected_postgresql_tsvector_column(pg_server: object) -> None:
    """A database Warden did not make: a GIN index on a generated tsvector column is searched with the
    column's own configuration ('simple' here: "running" is not stemmed), a table without one by ILIKE."""
    from tests.fixtures.postgres import new_pg_database

    db = open_database(new_pg_database(pg_server), create=True)
    try:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE notes (id integer PRIMARY KEY, title text, body text, tsv tsvector GENERATED "
                "ALWAYS AS (to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(body, ''))) STORED)"
            )
            conn.exec_driver_sql("CREATE INDEX notes_tsv ON notes USING gin (tsv)")
            conn.exec_driver_sql("CREATE TABLE plain (id integer PRIMARY KEY, title text)")
            conn.exec_driver_sql(
                "INSERT INTO notes (id, title, body) VALUES (1, 'Running water', 'the mill wheel turns'), "
                "(2, 'Still pond', 'the run of the river ends'), (3, 'Runes', 'carved by the runners')"
            )
            conn.exec_driver_sql("INSERT INTO plain VALUES (1, 'Running water'), (2, 'Still pond')")
        cat = load_catalog(db)
        with db.engine.connect() as conn:
            index = pg_text_index(conn, cat.get("notes"))
        assert index is not None and (index.name, index.expression, index.config) == (
            "notes_tsv",
            "tsv",
            "simple",
        )
        found = search_text(db, cat, "notes", "running", None, mode="keyword")
        assert found.keyword_source == FULLTEXT and [h.label for h in found.hits] == ["Running water"]
        # Labels starting with the word first (shorter first), then the body's whole word.
        run = search_text(db, cat, "notes", "run", None, mode="keyword").hits
        assert [h.label for h in run] == ["Runes", "Running water", "Still pond"]
        plain = search_text(db, cat, "plain", "ning wat", None, mode="keyword")
        assert plain.keyword_source == TEXT_SEARCH and [h.label for h in plain.hits] == ["Running water"]
    finally:
        db.dispose()


def test_migration_up_and_down(empty_url: str) -> None:
    """Upgrading fills the index from the rows already there; downgrading drops it (and on SQLite its
    triggers and shadow tables), and the keyword side goes back to substring search."""
    db = open_database(empty_url, create=True)
    try:
        ((down,),) = [r.down_revision for r in mig.history() if r.revision == REVISION]
        mig.upgrade(db, down)
        _add_npcs(db, NPCS)
        assert _source(db, "Brenna") == (TEXT_SEARCH, "Brenna Hollowreach")
        assert mig.upgrade(db, REVISION).applied == [REVISION]
        assert _source(db, "hollowreach") == (FULLTEXT, "Brenna Hollowreach")
        # No drift but the audit log's indexes, which a later revision drops (c6d2f8a4e1b5).
        assert _fulltext_objects(db) and all("admin_audit_log" in d for d in mig.drift(db))
        # The index tables and their shadow tables are no entities: this is still the reference schema.
        cat, listing = load_catalog(db, cached=False), list_entities(db)
        assert cat.source == listing.source == "models"
        assert not [n for n in [*cat.entities, *(e.name for e in listing.entities)] if "fts" in n]
        mig.downgrade(db, down)
        assert _fulltext_objects(db) == []
        assert _source(db, "Brenna") == (TEXT_SEARCH, "Brenna Hollowreach")
        _add_npcs(db, [("Brenna Twice", "guard", "")])  # no trigger is left to fail on a write
        mig.upgrade(db, REVISION)
        assert set(_labels(db, "Brenna")[:2]) == {"Brenna Twice", "Brenna Hollowreach"}
    finally:
        db.dispose()


def _source(db: Database, text: str) -> tuple[str | None, str]:
    result = search_text(db, load_catalog(db, cached=False), "npcs", text, None, mode="keyword")
    return result.keyword_source, result.hits[0].label


def _fulltext_objects(db: Database) -> list[str]:
    """The full-text tables, shadow tables and triggers (SQLite) or indexes (PostgreSQL) there are."""
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name LIKE '%fts%' ORDER BY name"
            )
        else:
            rows = conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'fts%%'")
        return [str(r[0]) for r in rows]
