"""`warden search` on real demo databases: --like (no model), --where, keyword and hybrid --text, --json's
shape, the text output, and clean one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa

from core import cli
from core.engine.db import open_database
from core.schema.load import load_catalog
from core.search.embeddings import local_embedder


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def npcs_db(demo_copy_url: str) -> Iterator[tuple[str, dict[str, np.ndarray], dict[str, str]]]:
    """A demo copy whose NPCs hold random unit vectors, except Brenna Redton, who holds her name's MiniLM
    vector; with the vectors and the NPC types by key as `warden export` prints keys (UUID text)."""
    db = open_database(demo_copy_url)
    try:
        npcs = load_catalog(db).get("npcs").table
        rng = np.random.default_rng(3)
        with db.engine.begin() as conn:
            rows = conn.execute(sa.select(npcs.c.id, npcs.c.name, npcs.c.npc_type)).all()
            x = rng.normal(size=(len(rows), 384)).astype(np.float32)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            for i, r in enumerate(rows):
                if r[1] == "Brenna Redton":
                    x[i] = local_embedder().embed([r[1]])[0]
            conn.execute(
                npcs.update().where(npcs.c.id == sa.bindparam("k")).values(embedding=sa.bindparam("e")),
                [{"k": r[0], "e": v} for r, v in zip(rows, x, strict=True)],
            )
    finally:
        db.dispose()
    vectors = {str(r[0]): v for r, v in zip(rows, x, strict=True)}
    yield demo_copy_url, vectors, {str(r[0]): r[2] for r in rows}


def cosine_order(vectors: dict[str, np.ndarray], key: str, allowed: set[str] | None = None) -> list[str]:
    q = vectors[key]
    keys = [k for k in vectors if allowed is None or k in allowed]
    return sorted(keys, key=lambda k: (1 - float(np.dot(vectors[k], q)), k))


def test_like_json(capsys, npcs_db):
    url, vectors, _ = npcs_db
    code, out, _ = run(capsys, "export", "--db", url, "--entity", "npcs", "--format", "json")
    exported = {r["id"] for r in json.loads(out)}
    key = sorted(vectors)[7]
    code, out, err = run(
        capsys, "search", "--db", url, "--entity", "npcs", "--like", key, "-k", "5", "--json"
    )
    assert code == 0, err
    rows = json.loads(out)
    assert [set(r) for r in rows] == [{"key", "label", "distance"}] * 5
    assert rows[0]["key"] == key and rows[0]["distance"] == 0.0
    assert {r["key"] for r in rows} <= exported  # keys print as export prints them
    assert [r["key"] for r in rows] == cosine_order(vectors, key)[:5]
    dists = [r["distance"] for r in rows]
    assert dists == sorted(dists)


def test_like_where_and_metric(capsys, npcs_db):
    url, vectors, types = npcs_db
    key = next(k for k in sorted(vectors) if types[k] == "smith")
    code, out, err = run(
        capsys, "search", "--db", url, "--entity", "npcs", "--column", "embedding", "--like", key,
        "--where", "npc_type=smith", "--metric", "l2", "--json",
    )  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)
    smiths = {k for k, t in types.items() if t == "smith"}
    assert len(rows) == 10 and {r["key"] for r in rows} <= smiths and rows[0]["key"] == key
    # Unit vectors: L2 order is cosine order.
    assert [r["key"] for r in rows] == cosine_order(vectors, key, smiths)[:10]


def test_text_modes(capsys, npcs_db):
    url, _, _ = npcs_db
    code, out, err = run(
        capsys, "search", "--db", url, "--entity", "npcs", "--text", "Brenna", "--mode", "keyword", "--json"
    )
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all(r["label"].startswith("Brenna") and r["distance"] is None for r in rows)
    assert [r["keyword_rank"] for r in rows] == list(range(1, len(rows) + 1))
    code, out, err = run(
        capsys, "search", "--db", url, "--entity", "npcs", "--text", "Brenna Redton", "--mode", "hybrid",
        "-k", "3", "--json",
    )  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)
    assert set(rows[0]) == {"key", "label", "distance", "keyword_rank", "semantic_rank"}
    assert rows[0]["label"] == "Brenna Redton" and rows[0]["keyword_rank"] == rows[0]["semantic_rank"] == 1
    # --text without --mode ranks by meaning only.
    code, out, err = run(
        capsys, "search", "--db", url, "--entity", "npcs", "--text", "Brenna Redton", "--json"
    )
    assert code == 0, err
    rows = json.loads(out)
    assert set(rows[0]) == {"key", "label", "distance"} and rows[0]["label"] == "Brenna Redton"
    # Without --json: one line per row, and how it was answered on stderr.
    code, out, err = run(
        capsys, "search", "--db", url, "--entity", "npcs", "--text", "Brenna Redton", "-k", "2"
    )
    assert code == 0 and len(out.splitlines()) == 2 and "Brenna Redton" in out.splitlines()[0]
    assert "exact scan" in err and " ms" in err


def test_errors_are_one_clean_line(capsys, npcs_db):
    url, vectors, _ = npcs_db
    key = sorted(vectors)[0]
    bad = [
        ("--entity", "no_such", "--like", key),
        ("--entity", "npcs", "--like", "00000000-0000-0000-0000-000000000000"),
        ("--entity", "npcs", "--like", "not a key'; DROP TABLE npcs; --"),
        ("--entity", "npcs", "--like", key, "--mode", "hybrid"),
        ("--entity", "npcs", "--like", key, "--where", "no_such_column=1"),
        ("--entity", "npcs", "--like", key, "--where", "npc_type"),
        ("--entity", "npcs", "--like", key, "--column", "name"),
        ("--entity", "npcs", "--like", key, "-k", "0"),
        ("--entity", "orders", "--like", key),
    ]
    for args in bad:
        code, out, err = run(capsys, "search", "--db", url, *args)
        assert code == 2, args
        assert err.startswith("warden: error: ") and len(err.strip().splitlines()) == 1 and not out, args
        assert "SELECT" not in err and "Traceback" not in err
    code, out, _ = run(capsys, "export", "--db", url, "--entity", "npcs", "--format", "json")
    assert len(json.loads(out)) == 320
