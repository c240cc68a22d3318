"""Re-embedding on both backends with the real local model: rows without a vector are counted and filled
with exactly the model's vectors of their text, a cancel keeps the finished batches, identical texts are
embedded once, and each written row is an audited update."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from core.data.audit_trail import AUDIT_OFF
from core.engine.db import Database
from core.errors import ValidationError
from core.progress import Cancelled, Progress, TaskState
from core.schema.load import load_catalog
from core.search.embeddings import LOCAL_DIMENSION, LOCAL_MODEL_NAME, local_embedder
from core.search.reembed import count_missing, embed_rows, fill_missing, row_text, text_sources

NAMES = ["Greyfen Marsh", "The Salt Cliffs", "Hollowreach", "Emberfall", "Lantern Coast"]


class Counting:
    """The real local embedder, counting the texts it is given (to see identical texts embedded once)."""

    name = LOCAL_MODEL_NAME
    dimension = LOCAL_DIMENSION

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return local_embedder().embed(texts)


def add_regions(db: Database, rows: Sequence[tuple[str, str | None]]) -> list[uuid.UUID]:
    table = load_catalog(db).get("regions").table
    keys = [uuid.uuid4() for _ in rows]
    with db.engine.begin() as conn:
        conn.execute(
            table.insert(),
            [{"id": k, "name": n, "description": d} for k, (n, d) in zip(keys, rows, strict=True)],
        )
    return keys


def vectors(db: Database) -> dict[uuid.UUID, Any]:
    table = load_catalog(db).get("regions").table
    with db.engine.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(sa.select(table.c.id, table.c.embedding))}


def expected(name: str, description: str | None) -> np.ndarray:
    return local_embedder().embed([row_text([name, description])])[0]


def test_text_is_name_then_description(schema_db):
    cat = load_catalog(schema_db)
    assert text_sources(cat.get("locations")) == ["name", "short_description", "full_description"]
    assert text_sources(cat.get("npcs")) == ["name", "description"]
    assert row_text(["Brenna  Hollowreach", None, "A quiet\nsmith."]) == "Brenna Hollowreach. A quiet smith"


def test_embed_missing_fills_exactly_those_rows(schema_db):
    rows = [(n, f"A windswept land called {n}.") for n in NAMES]
    keys = add_regions(schema_db, rows)
    cat = load_catalog(schema_db)
    table = cat.get("regions").table
    kept = np.zeros(LOCAL_DIMENSION, np.float32)
    kept[0] = 1.0
    with schema_db.engine.begin() as conn:
        conn.execute(table.update().where(table.c.id.in_(keys[:2])).values(embedding=kept))
    assert count_missing(schema_db, cat, "regions") == 3

    result = embed_rows(schema_db, cat, "regions", local_embedder(), which="missing", batch_rows=2)

    assert (result.written, result.skipped) == (3, 0)
    assert count_missing(schema_db, cat, "regions") == 0
    stored = vectors(schema_db)
    for k in keys[:2]:
        assert np.array_equal(stored[k], kept)  # rows that had a vector keep it
    for k, (n, d) in zip(keys[2:], rows[2:], strict=True):
        got = stored[k]
        assert got is not None
        assert np.allclose(got, expected(n, d), atol=1e-6)


def test_embed_all_and_chosen_keys(schema_db):
    rows = [(n, None) for n in NAMES[:3]]
    keys = add_regions(schema_db, rows)
    cat = load_catalog(schema_db)
    table = cat.get("regions").table
    embed_rows(schema_db, cat, "regions", local_embedder(), which="all")
    with schema_db.engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == keys[1]).values(name="Renamed Vale"))
    result = embed_rows(schema_db, cat, "regions", local_embedder(), which=[{"id": str(keys[1])}])
    assert result.written == 1
    stored = vectors(schema_db)
    assert np.allclose(stored[keys[1]], expected("Renamed Vale", None), atol=1e-6)
    assert np.allclose(stored[keys[0]], expected(NAMES[0], None), atol=1e-6)


def test_cancel_after_one_batch_keeps_that_batch(schema_db):
    add_regions(schema_db, [(n, "Fog and reeds.") for n in NAMES])
    cat = load_catalog(schema_db)
    seen: list[Progress] = []

    def on_progress(p: Progress) -> None:
        seen.append(p)
        if p.done > 0:
            state.cancel()  # asked while the first batch's progress is reported

    state = TaskState(on_progress=on_progress)
    with pytest.raises(Cancelled):
        embed_rows(schema_db, cat, "regions", local_embedder(), batch_rows=2, state=state)
    assert count_missing(schema_db, cat, "regions") == 3
    assert [(p.done, p.total) for p in seen] == [(0, 5), (2, 5)]
    # Running again fills the rest.
    embed_rows(schema_db, cat, "regions", local_embedder(), batch_rows=2)
    assert count_missing(schema_db, cat, "regions") == 0


def test_identical_texts_are_embedded_once(schema_db):
    keys = add_regions(schema_db, [("Twin Peaks", "Two summits.")] * 4 + [("Lone Hill", None)])
    cat = load_catalog(schema_db)
    counting = Counting()
    result = embed_rows(schema_db, cat, "regions", counting)
    assert sorted(counting.texts) == ["Lone Hill", "Twin Peaks. Two summits"]
    assert (result.written, result.embedded) == (5, 2)
    stored = vectors(schema_db)
    assert all(np.array_equal(stored[keys[0]], stored[k]) for k in keys[1:4])


def test_each_row_is_an_audited_update(schema_db):
    keys = add_regions(schema_db, [(n, None) for n in NAMES[:2]])
    cat = load_catalog(schema_db)
    embed_rows(schema_db, cat, "regions", local_embedder())
    log = cat.get("admin_audit_log").table
    with schema_db.engine.connect() as conn:
        entries = conn.execute(sa.select(log.c.entity, log.c.row_key, log.c.action, log.c.after_json)).all()
    assert sorted(e.row_key["id"] for e in entries) == sorted(str(k) for k in keys)
    assert {(e.entity, e.action) for e in entries} == {("regions", "update")}
    assert all(len(e.after_json["embedding"]) == LOCAL_DIMENSION for e in entries)
    # Audit explicitly off writes no entry.
    embed_rows(schema_db, cat, "regions", local_embedder(), which="all", auditing=AUDIT_OFF)
    with schema_db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(log)).scalar_one() == 2


def test_a_provider_of_another_size_is_refused(schema_db):
    add_regions(schema_db, [("Anywhere", None)])
    cat = load_catalog(schema_db)

    class Wide(Counting):
        dimension = 1536

    with pytest.raises(ValidationError, match="1536"):
        embed_rows(schema_db, cat, "regions", Wide())
    assert count_missing(schema_db, cat, "regions") == 1


def test_fill_missing_loads_the_model_only_when_rows_miss_a_vector(schema_db):
    add_regions(schema_db, [(n, None) for n in NAMES[:3]])
    cat = load_catalog(schema_db)
    loads: list[Counting] = []

    def factory() -> Counting:
        loads.append(Counting())
        return loads[-1]

    seen: list[Progress] = []
    assert fill_missing(schema_db, cat, factory, state=TaskState(on_progress=seen.append)) == 3
    assert len(loads) == 1 and count_missing(schema_db, cat, "regions") == 0
    assert seen[-1].done == seen[-1].total == 3
    assert fill_missing(schema_db, cat, factory) == 0
    assert len(loads) == 1  # nothing missing: the model was not asked for
