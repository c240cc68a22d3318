"""Stale embeddings on both backends with the real local model: an edited description counts its row as
stale and re-embedding it makes it fresh again; another model makes every row stale; a vector written
elsewhere is "not tracked" and left alone; counting is one query; a database without the state table
counts only the missing rows until the table is created; `warden embed --stale --json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy import event

from core.engine.db import Database, open_database
from core.schema.load import load_catalog
from core.search.embeddings import LOCAL_MODEL_NAME, local_embedder
from core.search.reembed import embed_rows, row_text
from core.search.stale import EMBEDDING_STATE_TABLE, count_stale, ensure_state_table

ROWS = [
    ("Greyfen Marsh", "Reeds and fog over black water."),
    ("The Salt Cliffs", "White chalk above a grey sea."),
    ("Hollowreach", None),
]


def add_regions(db: Database, rows: Sequence[tuple[str, str | None]]) -> list[uuid.UUID]:
    table = load_catalog(db).get("regions").table
    keys = [uuid.uuid4() for _ in rows]
    with db.engine.begin() as conn:
        conn.execute(
            table.insert(),
            [{"id": k, "name": n, "description": d} for k, (n, d) in zip(keys, rows, strict=True)],
        )
    return keys


def set_description(db: Database, key: uuid.UUID, text: str) -> None:
    table = load_catalog(db).get("regions").table
    with db.engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == key).values(description=text))


def stored(db: Database, key: uuid.UUID) -> np.ndarray:
    table = load_catalog(db).get("regions").table
    with db.engine.connect() as conn:
        value = conn.execute(sa.select(table.c.embedding).where(table.c.id == key)).scalar_one()
    return np.asarray(value, dtype=np.float32)


def test_edit_is_stale_until_reembedded(schema_db: Database) -> None:
    keys = add_regions(schema_db, ROWS)
    cat = load_catalog(schema_db)
    first = count_stale(schema_db, cat, "regions", model=LOCAL_MODEL_NAME)
    assert (first.missing, first.changed, first.stale, first.total, first.tracked) == (3, 0, 3, 3, True)

    done = embed_rows(schema_db, cat, "regions", local_embedder(), which="stale")
    assert done.written == 3
    with schema_db.engine.connect() as conn:
        recorded = conn.execute(sa.text(f"SELECT row_key, model FROM {EMBEDDING_STATE_TABLE}")).all()
    # the same key text on both backends (a copy to PostgreSQL keeps the state)
    assert sorted(recorded) == sorted((k.hex, LOCAL_MODEL_NAME) for k in keys)
    assert count_stale(schema_db, cat, "regions", model=LOCAL_MODEL_NAME).stale == 0

    set_description(schema_db, keys[1], "A lighthouse on the northern cliffs, haunted since the wreck.")
    edited = count_stale(schema_db, cat, "regions", model=LOCAL_MODEL_NAME)
    assert (edited.missing, edited.changed, edited.stale) == (0, 1, 1)

    again = embed_rows(schema_db, cat, "regions", local_embedder(), which="stale")
    assert again.written == 1  # only the edited row
    assert count_stale(schema_db, cat, "regions", model=LOCAL_MODEL_NAME).stale == 0
    want = local_embedder().embed(
        [row_text(["The Salt Cliffs", "A lighthouse on the northern cliffs, haunted since the wreck."])]
    )[0]
    assert float(np.dot(stored(schema_db, keys[1]), want)) > 0.9999


def test_another_model_makes_every_row_stale(schema_db: Database) -> None:
    add_regions(schema_db, ROWS)
    cat = load_catalog(schema_db)
    embed_rows(schema_db, cat, "regions", local_embedder(), which="all")
    assert count_stale(schema_db, cat, "regions", model=LOCAL_MODEL_NAME).changed == 0
    assert count_stale(schema_db, cat, "regions", model="text-embedding-3-small").changed == 3
    assert count_stale(schema_db, cat, "regions").changed == 0  # no model asked for: the text only


def test_vector_written_elsewhere_is_not_tracked_and_left_alone(schema_db: Database) -> None:
    keys = add_regions(schema_db, ROWS[:2])
    cat = load_catalog(schema_db)
    table = cat.get("regions").table
    theirs = np.full(384, 1 / np.sqrt(384), dtype=np.float32)
    with schema_db.engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == keys[0]).values(embedding=theirs))
    count = count_stale(schema_db, cat, "regions", model=LOCAL_MODEL_NAME)
    assert (count.missing, count.changed, count.untracked) == (1, 0, 1)
    done = embed_rows(schema_db, cat, "regions", local_embedder(), which="stale")
    assert done.written == 1  # the row without a vector, not the one embedded elsewhere
    assert np.allclose(stored(schema_db, keys[0]), theirs)


def test_counting_is_one_query(schema_db: Database) -> None:
    add_regions(schema_db, ROWS * 20)
    cat = load_catalog(schema_db)
    embed_rows(schema_db, cat, "regions", local_embedder(), which="all")
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(schema_db.engine, "before_cursor_execute", seen)
    try:
        count = count_stale(schema_db, cat, "regions", model=LOCAL_MODEL_NAME)
    finally:
        event.remove(schema_db.engine, "before_cursor_execute", seen)
    assert count.total == 60
    assert len(statements) == 1


def test_without_state_table_only_missing_rows_are_known(schema_db: Database) -> None:
    add_regions(schema_db, ROWS)
    with schema_db.engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {EMBEDDING_STATE_TABLE}"))
    cat = load_catalog(schema_db, cached=False)
    count = count_stale(schema_db, cat, "regions", model=LOCAL_MODEL_NAME)
    assert (count.missing, count.tracked) == (3, False)
    embed_rows(schema_db, cat, "regions", local_embedder(), which="stale")  # the missing ones; no state kept
    assert ensure_state_table(schema_db) is True
    assert ensure_state_table(schema_db) is False
    cat = load_catalog(schema_db, cached=False)
    tracked = count_stale(schema_db, cat, "regions", model=LOCAL_MODEL_NAME)
    assert (tracked.tracked, tracked.missing, tracked.untracked) == (True, 0, 3)


def test_cli_embed_stale_json(schema_db: Database, empty_url: str) -> None:
    keys = add_regions(schema_db, ROWS)
    schema_db.dispose()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1")
    warden = str(Path(sys.executable).with_name("warden"))

    def stale_json() -> dict[str, object]:
        p = subprocess.run(
            [warden, "embed", "--db", empty_url, "--stale", "--entity", "regions", "--json"],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
        assert p.returncode == 0, p.stderr
        (row,) = json.loads(p.stdout)
        return dict(row)

    first = stale_json()
    assert (first["missing"], first["changed"], first["written"]) == (3, 0, 3)
    db = open_database(empty_url)
    try:
        set_description(db, keys[2], "Now it has a description.")
    finally:
        db.dispose()
    second = stale_json()
    assert (second["missing"], second["changed"], second["written"]) == (0, 1, 1)
    assert stale_json()["written"] == 0
