"""`warden embed` on a demo database: --missing fills the rows without a vector with the model's vectors of
their text and reports progress, a second --missing has nothing to do, --all re-embeds, errors are one
line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from core import cli
from core.search.embeddings import local_embedder
from core.search.reembed import row_text


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def region_vectors(path: Path) -> dict[str, tuple[str, np.ndarray | None]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT id, name, description, embedding FROM regions").fetchall()
    finally:
        conn.close()
    return {
        r[0]: (row_text([r[1], r[2]]), None if r[3] is None else np.frombuffer(r[3], "<f4")) for r in rows
    }


def test_embed_missing_then_all(capsys, demo_copy_path):
    db = str(demo_copy_path)
    before = region_vectors(demo_copy_path)
    assert before and all(v is None for _, v in before.values())

    code, _, err = run(capsys, "embed", "--db", db, "--entity", "regions", "--missing")

    assert code == 0, err
    assert f"{len(before)}/{len(before)} rows" in err  # the progress line reached the end
    assert f"Embedded {len(before)} rows of regions.embedding" in err
    after = region_vectors(demo_copy_path)
    texts = [t for t, _ in after.values()]
    want = local_embedder().embed(texts)
    for (_, got), w in zip(after.values(), want, strict=True):
        assert got is not None and np.allclose(got, w, atol=1e-6)

    code, _, err = run(capsys, "embed", "--db", db, "--entity", "regions", "--missing")
    assert code == 0 and "every row has a vector" in err

    conn = sqlite3.connect(demo_copy_path)
    with conn:
        conn.execute("UPDATE regions SET embedding = NULL WHERE rowid = 1")
        conn.execute("UPDATE regions SET name = 'Renamed Vale' WHERE rowid = 2")
    conn.close()
    code, _, err = run(capsys, "embed", "--db", db, "--entity", "regions", "--all")
    assert code == 0, err
    assert f"Embedded {len(before)} rows" in err
    final = region_vectors(demo_copy_path)
    text, renamed = next((t, v) for t, v in final.values() if t.startswith("Renamed Vale"))
    assert renamed is not None and np.allclose(renamed, local_embedder().embed([text])[0], atol=1e-6)
    assert all(v is not None for _, v in final.values())


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--entity", "users", "--missing"], "no vector column"),
        (["--entity", "nope", "--all"], "Unknown entity"),
        (["--entity", "regions", "--column", "name", "--all"], "not a vector column"),
    ],
)
def test_errors_are_one_line(capsys, demo_copy_path, args, words):
    code, _, err = run(capsys, "embed", "--db", str(demo_copy_path), *args)
    assert code == 2
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_or_all_is_required(capsys, demo_copy_path):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["embed", "--db", str(demo_copy_path), "--entity", "regions"])
    assert exit_.value.code == 2
    assert "--missing" in capsys.readouterr().err


@pytest.mark.slow  # about 6,000 rows embedded: a minute or two on two cores
def test_demo_embed_fills_every_vector_column(capsys, tmp_path):
    from core.engine.db import open_database
    from core.schema.load import load_catalog
    from core.search.reembed import count_missing

    path = tmp_path / "embedded.db"
    code, _, err = run(capsys, "demo", "--db", str(path), "--embed")
    assert code == 0, err
    assert "Embedded" in err and "100%" in err
    db = open_database(path)
    try:
        cat = load_catalog(db)
        vectored = [e for e in cat.ordered() if e.vectors]
        assert {e.name for e in vectored} >= {"locations", "npcs", "objects", "regions", "rag_documents"}
        assert all(count_missing(db, cat, e) == 0 for e in vectored)
    finally:
        db.dispose()
    rows = region_vectors(path)
    text, got = next(iter(rows.values()))
    assert got is not None
    assert np.allclose(got, local_embedder().embed([text])[0], atol=1e-6)
