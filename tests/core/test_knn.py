"""Exact and filtered k-NN on real SQLite (sqlite-vec) and PostgreSQL (pgvector) against numpy brute force;
"more like this" on reflected databases (vec0 + BLOB on SQLite, 1536-d pgvector with integer keys); inert
input; HNSW with an index that returns too few rows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from core.data.query import Filter
from core.engine.db import Database, open_database
from core.errors import NotFoundError, ValidationError
from core.schema.load import load_catalog
from core.search.hybrid import search_text
from core.search.knn import more_like_this, nearest
from core.search.targets import vector_targets
from tests.fixtures.postgres import new_pg_database

N, DIM, K = 2000, 32, 10


def clustered(n: int, dim: int, seed: int, clusters: int = 20) -> np.ndarray:
    """Vectors around a few centres, like embeddings of texts on a few topics."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    return (centres[rng.integers(0, clusters, n)] + 0.35 * rng.normal(size=(n, dim))).astype(np.float32)


def kind_of(i: int) -> str:
    """1% of rows are 'rare' (every hundredth); the rest alternate."""
    return "rare" if i % 100 == 0 else ("even" if i % 2 == 0 else "odd")


def brute(
    matrix: np.ndarray, query: np.ndarray, metric: str, keys: list[Any], k: int
) -> list[tuple[Any, float]]:
    """The k nearest (key, distance) in float64, ties by key."""
    m = matrix.astype(np.float64)
    q = np.asarray(query, dtype=np.float64)
    if metric == "cosine":
        d = 1 - (m @ q) / (np.linalg.norm(m, axis=1) * np.linalg.norm(q))
    elif metric == "l2":
        d = np.linalg.norm(m - q, axis=1)
    else:
        d = -(m @ q)
    order = sorted(range(len(keys)), key=lambda i: (d[i], keys[i]))[:k]
    return [(keys[i], float(d[i])) for i in order]


def assert_same(result_hits: list[Any], expected: list[tuple[Any, float]], key: str) -> None:
    assert [h.key[key] for h in result_hits] == [k for k, _ in expected]
    for hit, (_, dist) in zip(result_hits, expected, strict=True):
        assert hit.distance == pytest.approx(dist, abs=1e-5)


@pytest.fixture
def items(backend: str, empty_url: str) -> Iterator[tuple[Database, np.ndarray]]:
    """A database Warden did not create: items(id integer key, name, kind, embedding) with 2,000 clustered
    32-d vectors (BLOB on SQLite, vector(32) on PostgreSQL) and one row without a vector."""
    x = clustered(N, DIM, seed=7)
    eng = sa.create_engine(sa.make_url(empty_url) if backend == "postgresql" else f"sqlite:///{empty_url}")
    emb_type = "vector(32)" if backend == "postgresql" else "BLOB"
    cast = "CAST(:e AS vector)" if backend == "postgresql" else ":e"
    with eng.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, "
            f"embedding {emb_type})"
        )
        rows = [
            {
                "i": i,
                "n": f"item {i}",
                "k": kind_of(i),
                "e": str(v.tolist()) if backend == "postgresql" else v.tobytes(),
            }
            for i, v in enumerate(x)
        ]
        conn.execute(sa.text(f"INSERT INTO items VALUES (:i, :n, :k, {cast})"), rows)
        conn.execute(sa.text("INSERT INTO items VALUES (:i, 'no vector', 'rare', NULL)"), {"i": N})
    eng.dispose()
    db = open_database(empty_url)
    yield db, x
    db.dispose()


@pytest.mark.parametrize("metric", ["cosine", "l2"])
@pytest.mark.parametrize("where", [None, "even", "rare"])
def test_exact_knn_equals_brute_force(items, metric, where):
    db, x = items
    cat = load_catalog(db)
    keys = list(range(N))
    mask = np.array([where is None or kind_of(i) == where for i in keys])
    filters = [Filter("kind", "eq", where)] if where else []
    for seed in (1, 2, 3):
        q = clustered(1, DIM, seed=seed)[0]
        result = nearest(db, cat, "items", q, k=K, metric=metric, filters=filters)
        expected = brute(x[mask], q, metric, [k for k, m in zip(keys, mask, strict=True) if m], K)
        assert len(result.hits) == K  # a filter matching 1% of rows still gets k rows
        assert_same(result.hits, expected, "id")
        assert result.exact and result.provider == (
            "pgvector" if db.backend == "postgresql" else "sqlite-vec"
        )
        assert result.elapsed_ms > 0


def test_inner_product_and_numpy_fallback_equal_brute_force(items):
    db, x = items
    cat = load_catalog(db)
    q = clustered(1, DIM, seed=4)[0]
    result = nearest(db, cat, "items", q, k=K, metric="ip", filters=[Filter("kind", "eq", "rare")])
    rare = [i for i in range(N) if kind_of(i) == "rare"]
    assert_same(result.hits, brute(x[rare], q, "ip", rare, K), "id")
    # Without the extension (as when sqlite-vec fails to load) numpy answers, and says so.
    db.capabilities.vector_search = "fallback"
    db.capabilities.vector_reason = "the extension did not load"
    for metric in ("cosine", "l2"):
        result = nearest(db, cat, "items", q, k=K, metric=metric)
        assert result.provider == "numpy" and "did not load" in (result.note or "")
        assert_same(result.hits, brute(x, q, metric, list(range(N)), K), "id")
    if db.backend == "sqlite":  # a large column's matrix answers too, and says the extension is missing
        result = nearest(db, cat, "items", q, k=K, cache=True)
        assert result.provider == "in-memory matrix" and "did not load" in (result.note or "")


def test_reference_schema_column_with_filter(backend, demo_copy_url):
    """The demo's npcs.embedding (384-d, UUID keys): exact k-NN with the table editor's enum filter."""
    db = open_database(demo_copy_url)
    try:
        cat = load_catalog(db)
        npcs = cat.get("npcs")
        with db.engine.begin() as conn:
            rows = conn.execute(
                sa.select(npcs.table.c.id, npcs.table.c.npc_type).order_by(npcs.table.c.id)
            ).all()
            x = clustered(len(rows), 384, seed=11)
            conn.execute(
                npcs.table.update()
                .where(npcs.table.c.id == sa.bindparam("k"))
                .values(embedding=sa.bindparam("e")),
                [{"k": r[0], "e": v} for r, v in zip(rows, x, strict=True)],
            )
        assert ("npcs", "embedding") in {(t.entity, t.column) for t in vector_targets(cat)}
        q = clustered(1, 384, seed=12)[0]
        smiths = [i for i, r in enumerate(rows) if r[1] == "smith"]
        result = nearest(db, cat, "npcs", q, k=K, filters=[Filter("npc_type", "eq", "smith")])
        assert_same(result.hits, brute(x[smiths], q, "cosine", [rows[i][0] for i in smiths], K), "id")
        assert all(h.label for h in result.hits)
        like = more_like_this(db, cat, "npcs", {"id": str(rows[5][0])}, k=K, metric="l2")
        assert like.hits[0].key == {"id": rows[5][0]} and like.hits[0].distance == 0.0
        assert_same(like.hits, brute(x, x[5], "l2", [r[0] for r in rows], K), "id")
    finally:
        db.dispose()


def test_more_like_this_on_vec0_and_blob(tmp_path):
    """A SQLite file another program made with raw SQL: a vec0 table (with a metadata column) and a table of
    float32 BLOB embeddings; each row's neighbours start with itself at distance 0."""
    import sqlite_vec

    from core.engine.db import sqlite_driver

    path = tmp_path / "theirs.db"
    x = clustered(300, 16, seed=3)
    raw = sqlite_driver()[0].connect(str(path))
    raw.enable_load_extension(True)
    sqlite_vec.load(raw)
    raw.execute(
        "CREATE VIRTUAL TABLE chunks USING vec0(topic text, embedding float[16] distance_metric=cosine)"
    )
    raw.execute("CREATE TABLE notes (note_id INTEGER PRIMARY KEY, title TEXT, embedding BLOB)")
    for i, v in enumerate(x):
        raw.execute(
            "INSERT INTO chunks(rowid, topic, embedding) VALUES (?, ?, ?)", (i + 1, f"t{i % 4}", v.tobytes())
        )
        raw.execute("INSERT INTO notes VALUES (?, ?, ?)", (i + 1, f"note {i + 1}", v.tobytes()))
    raw.commit()
    raw.close()
    db = open_database(str(path))
    try:
        cat = load_catalog(db)
        assert {(t.entity, t.storage) for t in vector_targets(cat)} >= {("chunks", "vec0"), ("notes", "blob")}
        keys = list(range(1, 301))
        for entity, key in (("chunks", "rowid"), ("notes", "note_id")):
            for metric in ("cosine", "l2"):
                result = more_like_this(db, cat, entity, {key: 42}, k=K, metric=metric)
                assert result.hits[0].key == {key: 42} and result.hits[0].distance == 0.0
                assert_same(result.hits[1:], brute(x, x[41], metric, keys, K)[1:], key)
        assert more_like_this(db, cat, "notes", {"note_id": "42"}, k=3).hits[0].label == "note 42"
        # vec0's metadata column filters inside the scan: the true top-k of topic t1.
        t1 = [i for i in range(300) if i % 4 == 1]
        for f in (
            Filter("topic", "eq", "t1"),
            Filter("topic", "contains", "1"),
            Filter("topic", "in", ["t1"]),
        ):
            for metric in ("cosine", "l2"):
                result = nearest(db, cat, "chunks", x[0], k=K, metric=metric, filters=[f])
                assert_same(result.hits, brute(x[t1], x[0], metric, [i + 1 for i in t1], K), "rowid")
        with pytest.raises(NotFoundError):
            more_like_this(db, cat, "notes", {"note_id": 999})
    finally:
        db.dispose()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM notes").fetchone() == (300,)


def test_more_like_this_pgvector_1536_integer_keys(pg_server):
    """A PostgreSQL database Warden did not create: vector(1536), integer keys, an HNSW index."""
    url = new_pg_database(pg_server)
    x = clustered(400, 1536, seed=5)
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE passages (pid BIGINT PRIMARY KEY, body TEXT, emb vector(1536))")
        conn.execute(
            sa.text("INSERT INTO passages VALUES (:p, :b, CAST(:e AS vector))"),
            [{"p": 10 * (i + 1), "b": f"passage {i}", "e": str(v.tolist())} for i, v in enumerate(x)],
        )
        conn.exec_driver_sql("CREATE INDEX passages_emb_hnsw ON passages USING hnsw (emb vector_cosine_ops)")
    eng.dispose()
    db = open_database(url)
    try:
        cat = load_catalog(db)
        info = cat.get("passages").vectors[0]
        assert (info.column, info.dimension, info.storage) == ("emb", 1536, "pgvector")
        keys = [10 * (i + 1) for i in range(400)]
        result = more_like_this(db, cat, "passages", {"pid": "70"}, k=K)
        assert result.hits[0].key == {"pid": 70} and result.hits[0].distance == 0.0
        assert result.index is None  # 400 rows: below the threshold, scanned exactly
        assert_same(result.hits[1:], brute(x, x[6], "cosine", keys, K)[1:], "pid")
        indexed = more_like_this(db, cat, "passages", {"pid": 70}, k=K, exact=False)
        assert indexed.index == "passages_emb_hnsw" and indexed.hits[0].key == {"pid": 70}
    finally:
        db.dispose()


def test_hnsw_that_returns_too_few_rows_falls_back_to_exact(pg_server):
    """pgvector's HNSW with a selective filter can return fewer than k rows (pgvector#751): here the index
    may visit one tuple, so the exact scan must answer, with the true top-k among the filtered rows."""
    url = new_pg_database(pg_server)
    x = clustered(N, DIM, seed=8)
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, kind TEXT, embedding vector(32))")
        conn.execute(
            sa.text("INSERT INTO items VALUES (:i, :k, CAST(:e AS vector))"),
            [{"i": i, "k": kind_of(i), "e": str(v.tolist())} for i, v in enumerate(x)],
        )
        conn.exec_driver_sql("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops)")
        conn.exec_driver_sql(f'ALTER DATABASE "{sa.make_url(url).database}" SET hnsw.max_scan_tuples = 1')
    eng.dispose()
    db = open_database(url)
    try:
        cat = load_catalog(db)
        rare = [i for i in range(N) if kind_of(i) == "rare"]
        q = clustered(1, DIM, seed=9)[0]
        result = nearest(
            db, cat, "items", q, k=K, metric="l2", filters=[Filter("kind", "eq", "rare")], exact=False
        )
        assert result.index is None and "too few" in (result.note or "")
        assert_same(result.hits, brute(x[rare], q, "l2", rare, K), "id")
        # The index that serves the metric is used when asked; one for another metric never is.
        assert nearest(db, cat, "items", q, k=K, metric="l2", exact=False).index == "items_hnsw"
        assert nearest(db, cat, "items", q, k=K, metric="cosine", exact=False).index is None
        # When the planner answers a filter through another index, the result does not claim the HNSW one.
        by_key = nearest(db, cat, "items", q, k=K, metric="l2", filters=[Filter("id", "eq", 5)], exact=False)
        assert [h.key for h in by_key.hits] == [{"id": 5}] and by_key.index is None
    finally:
        db.dispose()


SQL_BITS = [
    "x'; DROP TABLE items; --",
    'item" OR 1=1 --',
    "item 1); DELETE FROM items WHERE (1=1",
    "%_\\",
    'NEAR(a b) OR * "',
]


def test_inert_input(items):
    """Quotes, semicolons and SQL fragments in query text and filter values are only text."""
    db, _ = items
    cat = load_catalog(db)
    q = clustered(1, DIM, seed=1)[0]
    for bit in SQL_BITS:
        assert nearest(db, cat, "items", q, k=K, filters=[Filter("kind", "eq", bit)]).hits == []
        assert nearest(db, cat, "items", q, k=K, filters=[Filter("name", "contains", bit)]).hits == []
        assert search_text(db, cat, "items", bit, None, mode="keyword").hits == []
    with pytest.raises(ValidationError):
        nearest(db, cat, "items", q, k=K, filters=[Filter("id", "eq", "1 OR 1=1")])
    with pytest.raises(ValidationError):
        more_like_this(db, cat, "items", {"id": "1; DROP TABLE items"})
    with pytest.raises(ValidationError):
        nearest(db, cat, "items", [0.5] * (DIM - 1))  # the wrong dimension is an error, not a wrong answer
    with pytest.raises(ValidationError):
        nearest(db, cat, "items", [float("nan")] * DIM)
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM items")).scalar() == N + 1
    # A row whose own text holds SQL is found by it, as text.
    writer = sa.create_engine(db.url)  # another program's write (Warden opens a foreign file read-only)
    with writer.begin() as conn:
        conn.execute(sa.text("UPDATE items SET name = :n WHERE id = 3"), {"n": SQL_BITS[0]})
    writer.dispose()
    found = search_text(db, cat, "items", SQL_BITS[0], None, mode="keyword")
    assert [h.key for h in found.hits] == [{"id": 3}] and found.hits[0].keyword_rank == 1
    assert json.dumps(found.hits[0].label) == json.dumps(SQL_BITS[0])


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("metric", ["cosine", "l2", "ip"])
def test_matrix_cache_equals_brute_force(items, metric):
    """The in-memory matrix of a SQLite column answers as sqlite-vec does: same keys, same order."""
    db, x = items
    cat = load_catalog(db)
    for where in (None, "rare"):
        filters = [Filter("kind", "eq", where)] if where else []
        keys = [i for i in range(N) if where is None or kind_of(i) == where]
        for seed in (1, 2):
            q = clustered(1, DIM, seed=seed)[0]
            cached = nearest(db, cat, "items", q, k=K, metric=metric, filters=filters, cache=True)
            assert cached.provider == "in-memory matrix" and len(cached.hits) == K
            assert_same(cached.hits, brute(x[keys], q, metric, keys, K), "id")
            if metric != "ip":
                scanned = nearest(db, cat, "items", q, k=K, metric=metric, filters=filters, cache=False)
                assert [h.key for h in scanned.hits] == [h.key for h in cached.hits]
    assert more_like_this(db, cat, "items", {"id": 9}, k=3, cache=True).hits[0].key == {"id": 9}


def test_matrix_cache_sees_other_writers(demo_copy_path):
    """A cached matrix is never used stale: a row inserted by another process and a vector saved through
    Warden's own save path are both found by the next search."""
    import subprocess
    import sys

    from core.data.changes import Update
    from core.data.repository import save

    db = open_database(demo_copy_path)
    try:
        cat = load_catalog(db)
        npcs = cat.get("npcs")
        with db.engine.begin() as conn:
            rows = conn.execute(
                sa.select(npcs.table.c.id, npcs.table.c.version).order_by(npcs.table.c.id)
            ).all()
            x = clustered(len(rows), 384, seed=21)
            conn.execute(
                npcs.table.update()
                .where(npcs.table.c.id == sa.bindparam("k"))
                .values(embedding=sa.bindparam("e")),
                [{"k": r[0], "e": v} for r, v in zip(rows, x, strict=True)],
            )
            regions = cat.get("regions").table
            conn.execute(regions.update().values(embedding=clustered(1, 384, seed=23)[0]))
        q = clustered(1, 384, seed=22)[0]
        before = nearest(db, cat, "npcs", q, k=3, cache=True)
        assert before.provider == "in-memory matrix"
        # Another program inserts a region whose vector is the query (regions have an embedding too).
        first = nearest(db, cat, "regions", q, k=1, cache=True)
        assert first.provider == "in-memory matrix"
        script = """
import sqlite3, sys, uuid
c = sqlite3.connect(sys.argv[1])
stamp = "2026-01-01 00:00:00.000000"
c.execute(
    "INSERT INTO regions (id, name, description, danger_level, embedding, version, created_at, updated_at) "
    "VALUES (?, 'Far Shore', '', 1, ?, 1, ?, ?)",
    (uuid.uuid4().hex, bytes.fromhex(sys.argv[2]), stamp, stamp),
)
c.commit()
"""
        subprocess.run(
            [sys.executable, "-c", script, demo_copy_path, q.astype("<f4").tobytes().hex()], check=True
        )
        after = nearest(db, cat, "regions", q, k=1, cache=True).hits
        assert after[0].label == "Far Shore" and after[0].distance == pytest.approx(0, abs=1e-6)
        assert after != first.hits
        # Warden's own save gives the last NPC the query's vector: it comes first at once.
        target = rows[-1]
        assert before.hits[0].key != {"id": target[0]}
        save(db, cat, [Update("npcs", {"id": target[0]}, {"embedding": q}, version=target[1])])
        saved = nearest(db, cat, "npcs", q, k=3, cache=True)
        assert saved.hits[0].key == {"id": target[0]} and saved.hits[0].distance == pytest.approx(0, abs=1e-6)
    finally:
        db.dispose()


def test_keyword_side_uses_the_full_text_index(tmp_path):
    """On a table a SQLite FTS5 index covers, the keyword side looks words up in it (word prefixes, any
    order), and query syntax typed by a user is only words."""
    from tests.fixtures.virtual_tables import build_virtual_tables

    db = open_database(str(build_virtual_tables(tmp_path / "virtual.db")))
    try:
        cat = load_catalog(db)
        assert cat.get("items").fulltext is not None
        found = search_text(db, cat, "items", "drag fire", None, mode="keyword")
        assert found.keyword_source == "full-text index"
        assert [h.label for h in found.hits] == ["Dragon fire"]  # both words, as prefixes, in one row
        assert [h.label for h in search_text(db, cat, "items", "wyrm", None, mode="keyword").hits] == [
            "Wyrm scale shield",  # the label starts with the word
            "Ice wyrm",  # the label holds it
        ]
        for bit in SQL_BITS:
            assert search_text(db, cat, "items", bit, None, mode="keyword").hits == []
    finally:
        db.dispose()
