"""HNSW searches on PostgreSQL in few statements: once a pooled connection knows the column's index and how
the planner answers the question, a search is the k-NN query alone; the connection goes back to the pool as
it was (transactions, sequential scans); and what it remembers never makes an answer wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from core.data.query import Filter
from core.engine.db import Database, open_database
from core.schema.load import load_catalog
from core.search.knn import nearest
from tests.core.test_knn import assert_same, brute, clustered, kind_of
from tests.fixtures.postgres import new_pg_database

N, DIM, K = 20_000, 32, 10


@pytest.fixture(scope="module")
def indexed_url(pg_server: object) -> tuple[str, np.ndarray]:
    """items(id, kind, embedding vector(32)) with 20,000 vectors in small clusters, an HNSW cosine index,
    analysed (so that the planner answers an unfiltered k-NN through the index without being pushed)."""
    url = new_pg_database(pg_server)
    x = clustered(N, DIM, seed=11, clusters=2000)
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, kind TEXT, embedding vector(32))")
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cur.copy("COPY items (id, kind, embedding) FROM STDIN") as copy:
            for i, v in enumerate(x):
                copy.write_row((i, kind_of(i), str(v.tolist())))
        conn.exec_driver_sql("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_cosine_ops)")
        conn.exec_driver_sql("ANALYZE items")
    eng.dispose()
    return url, x


@pytest.fixture
def indexed(indexed_url: tuple[str, np.ndarray]) -> Iterator[tuple[Database, np.ndarray, str]]:
    """The indexed table, opened with a fresh pool (whose connections have learnt nothing yet)."""
    url, x = indexed_url
    db = open_database(url)
    yield db, x, url
    db.dispose()


def statements_of(db: Database) -> list[str]:
    """The statements the engine sends from now on (their first words), appended as they go."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()[:3]))

    sa.event.listen(db.engine, "before_cursor_execute", note)
    return sent


def recall(hits: list[Any], truth: list[tuple[Any, float]]) -> float:
    return len({h.key["id"] for h in hits} & {k for k, _ in truth}) / len(truth)


def test_a_known_question_is_one_statement(indexed):
    db, x, _ = indexed
    cat = load_catalog(db)
    queries = (x[::4001] + 0.2 * np.random.default_rng(12).normal(size=(5, DIM))).astype(np.float32)
    for q in queries[:3]:  # each pooled connection learns the index and the plan once
        assert nearest(db, cat, "items", q, k=K, exact=False).index == "items_hnsw"
    sent = statements_of(db)
    found = []
    for q in queries:
        result = nearest(db, cat, "items", q, k=K, exact=False)
        assert result.index == "items_hnsw" and len(result.hits) == K
        found.append(recall(result.hits, brute(x, q, "cosine", list(range(N)), K)))
    assert sum(found) / len(found) >= 0.9  # the index's answer, with hnsw.ef_search in force
    # No catalog lookup, no EXPLAIN, no settings, no BEGIN/ROLLBACK: the k-NN query alone, each time.
    assert len(sent) == len(queries) and all(s.startswith("SELECT items.embedding") for s in sent)


def test_the_connection_goes_back_as_it_was(indexed):
    """After searches through the index (as it stands, and with sequential scans off for a filter the
    planner would otherwise scan for), a pooled connection runs transactions that roll back and plans with
    sequential scans allowed."""
    db, x, _ = indexed
    cat = load_catalog(db)
    q = clustered(1, DIM, seed=13)[0]
    rare = [Filter("kind", "eq", "rare")]
    for filters in ([], rare, [], rare):
        result = nearest(db, cat, "items", q, k=K, filters=filters, exact=False)
        assert result.index == "items_hnsw"
    keys = [i for i in range(N) if kind_of(i) == "rare"]
    assert_same(
        nearest(db, cat, "items", q, k=K, filters=rare, exact=False).hits,
        brute(x[keys], q, "cosine", keys, K),
        "id",
    )
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW enable_seqscan").scalar() == "on"
        conn.exec_driver_sql("INSERT INTO items (id, kind) VALUES (-1, 'tmp')")
        conn.rollback()
        assert conn.exec_driver_sql("SELECT count(*) FROM items WHERE id = -1").scalar() == 0
        conn.rollback()


def test_a_remembered_index_that_is_gone_still_gives_the_true_answer(indexed):
    """The connection remembers the index and the plan for a while; dropped meanwhile, the planner scans
    exactly, so the hits are still the true top-k. (A table of its own, so that the others keep theirs.)"""
    db, x, url = indexed
    n = 2000
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE few AS SELECT * FROM items WHERE id < {n}")
        conn.exec_driver_sql("ALTER TABLE few ADD PRIMARY KEY (id)")
        conn.exec_driver_sql("CREATE INDEX few_hnsw ON few USING hnsw (embedding vector_cosine_ops)")
    cat = load_catalog(db)
    q = (x[7] + 0.2).astype(np.float32)
    try:
        assert nearest(db, cat, "few", q, k=K, exact=False).index == "few_hnsw"
        with eng.begin() as conn:
            conn.exec_driver_sql("DROP INDEX few_hnsw")
        result = nearest(db, cat, "few", q, k=K, exact=False)
        assert_same(result.hits, brute(x[:n], q, "cosine", list(range(n)), K), "id")
    finally:
        with eng.begin() as conn:
            conn.exec_driver_sql("DROP TABLE few")
        eng.dispose()
