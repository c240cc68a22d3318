"""Search by text with the real local MiniLM embedder on the demo world: hybrid search puts the NPC named
first; HNSW on PostgreSQL reaches recall@10 ≥ 0.95 against the exact answer on the demo embeddings."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from core.data.query import Filter
from core.engine.db import Database, open_database
from core.errors import ValidationError
from core.schema.load import load_catalog
from core.search.embeddings import local_embedder
from core.search.hybrid import RRF_K, fuse, search_text
from core.search.knn import Hit, nearest

NAMES = ["Brenna Redton", "Brenna the Quiet", "Bram Stonereach", "Osric Coldby"]


def npc_text(name: str, npc_type: str) -> str:
    """The text each demo NPC is embedded from here: short, so that the test embeds 320 rows quickly."""
    return f"{name}, {npc_type.replace('_', ' ')}"


@pytest.fixture(scope="module")
def npc_vectors(demo_template: Path) -> dict[str, np.ndarray]:
    """MiniLM vectors of the demo NPCs, by name and type text, embedded once for the module."""
    conn = sqlite3.connect(demo_template)
    try:
        rows = conn.execute("SELECT DISTINCT name, npc_type FROM npcs").fetchall()
    finally:
        conn.close()
    texts = [npc_text(n, t) for n, t in rows]
    return dict(zip(texts, local_embedder().embed(texts), strict=True))


@pytest.fixture
def world(demo_copy_url: str, npc_vectors: dict[str, np.ndarray]) -> Iterator[Database]:
    """A copy of the demo database whose NPCs carry their MiniLM vectors."""
    db = open_database(demo_copy_url)
    npcs = load_catalog(db).get("npcs").table
    with db.engine.begin() as conn:
        rows = conn.execute(sa.select(npcs.c.id, npcs.c.name, npcs.c.npc_type)).all()
        conn.execute(
            npcs.update().where(npcs.c.id == sa.bindparam("k")).values(embedding=sa.bindparam("e")),
            [{"k": r[0], "e": npc_vectors[npc_text(r[1], r[2])]} for r in rows],
        )
    yield db
    db.dispose()


def test_hybrid_puts_the_named_npc_first(world):
    cat = load_catalog(world)
    embedder = local_embedder()
    for name in NAMES:
        result = search_text(world, cat, "npcs", name, embedder, mode="hybrid", k=5)
        first = result.hits[0]
        assert first.label == name and first.keyword_rank == 1 and first.semantic_rank is not None
        assert first.score == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + first.semantic_rank))
        assert result.semantic is not None and result.keyword_source == "full-text index"
    # A first name alone: the Brennas come before anyone else, by both lists.
    brennas = search_text(world, cat, "npcs", "Brenna", embedder, mode="hybrid", k=5).hits
    assert all(h.label.startswith("Brenna") and h.keyword_rank and h.semantic_rank for h in brennas)
    # Meaning alone: a smith is found by a word that is not in any name.
    smiths = search_text(world, cat, "npcs", "blacksmith", embedder, mode="semantic", k=5, filters=[])
    assert smiths.hits[0].keyword_rank is None and smiths.hits[0].distance is not None
    typed = search_text(
        world,
        cat,
        "npcs",
        "Brenna",
        embedder,
        mode="hybrid",
        k=50,
        filters=[Filter("npc_type", "eq", "smith")],
    )
    with world.engine.connect() as conn:
        smith_names = set(conn.execute(sa.text("SELECT name FROM npcs WHERE npc_type = 'smith'")).scalars())
    assert typed.hits and {h.label for h in typed.hits} <= smith_names


def test_hybrid_query_text_is_inert(world):
    cat = load_catalog(world)
    for text in ("Brenna'; DROP TABLE npcs; --", 'x" OR 1=1', "NEAR(a b) * -", "%_"):
        result = search_text(world, cat, "npcs", text, local_embedder(), mode="hybrid", k=5)
        assert len(result.hits) == 5  # the semantic side always finds rows; the words are only words
    with world.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM npcs")).scalar() == 320


def test_dimension_mismatch_is_an_error(world):
    cat = load_catalog(world)

    class Wide:
        name = "wide-model"
        dimension = 1536

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.ones((len(texts), 1536), dtype=np.float32)

    with pytest.raises(ValidationError, match="1536"):
        search_text(world, cat, "npcs", "Brenna", Wide(), mode="semantic")


def test_fuse_is_reciprocal_rank_fusion():
    def hit(i: int) -> Hit:
        return Hit({"id": i}, f"row {i}", float(i))

    fused = fuse([hit(1), hit(2), hit(3)], [hit(3), hit(4), hit(1)], k=10)
    # 3 (ranks 3 and 1) and 1 (ranks 1 and 3) score alike, as do 4 and 2: the better semantic rank goes first.
    assert [h.key["id"] for h in fused] == [3, 1, 4, 2]
    assert (fused[1].keyword_rank, fused[1].semantic_rank) == (1, 3)
    assert fused[1].score == pytest.approx(1 / 61 + 1 / 63) == fused[0].score
    assert fused[3].distance is None and fused[3].semantic_rank is None


@pytest.mark.parametrize("backend", ["postgresql"])
def test_hnsw_recall_on_demo_embeddings(world, npc_vectors):
    """recall@10 of the reference schema's HNSW index against the exact scan, with and without a filter."""
    cat = load_catalog(world)
    queries = list(npc_vectors.values())[::8] + list(
        local_embedder().embed(["a haunted lighthouse", "blacksmith"])
    )
    found = total = 0
    for i, q in enumerate(queries):
        filters = [Filter("npc_type", "eq", "merchant")] if i % 2 else []
        exact = nearest(world, cat, "npcs", q, k=10, filters=filters, exact=True)
        approx = nearest(world, cat, "npcs", q, k=10, filters=filters, exact=False)
        assert approx.index == "hnsw_npcs_embedding" and len(approx.hits) == 10
        found += len(
            {tuple(h.key.values()) for h in exact.hits} & {tuple(h.key.values()) for h in approx.hits}
        )
        total += len(exact.hits)
    assert found / total >= 0.95
