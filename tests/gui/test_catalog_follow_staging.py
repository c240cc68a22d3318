"""Staged edits after the entity changed shape: kept on columns that still exist, dropped and told otherwise.

Plain Python on a real SQLite file whose table is altered between two catalog loads (no Qt is used).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.data.audit_trail import AUDIT_OFF
from core.data.repository import Filter, get_row
from core.data.writes import save
from core.engine.db import Database, open_database
from core.schema.catalog import Catalog, Entity
from core.schema.load import load_catalog
from gui.editor.model.page_loading import Query
from gui.editor.model.staging import NewRow, Staging, new_token
from gui.editor.staged_follow import Followed, dropped_message, follow_query, follow_staging, same_shape

ROWS = {1: ("Idea 1", "k1", "first"), 2: ("Idea 2", "k2", "second"), 3: ("Idea 3", "k3", "third")}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A foreign SQLite file with one `ideas` table of three rows, open for writing."""
    database = open_database(tmp_path / "ideas.db", create=True)
    database.allow_writes()
    with database.transaction() as conn:
        conn.execute(
            sa.text("CREATE TABLE ideas (id INTEGER PRIMARY KEY, title TEXT NOT NULL, kw TEXT, note TEXT)")
        )
        for key, (title, kw, note) in ROWS.items():
            conn.execute(
                sa.text("INSERT INTO ideas VALUES (:id, :t, :k, :n)"),
                {"id": key, "t": title, "k": kw, "n": note},
            )
    yield database
    database.dispose()


def ddl(db: Database, *statements: str) -> Catalog:
    """Change the schema, then describe the database again."""
    with db.transaction() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    return load_catalog(db)


def loaded(key: int) -> dict[str, object]:
    """The row as an editor loaded it before the schema changed."""
    title, kw, note = ROWS[key]
    return {"id": key, "title": title, "kw": kw, "note": note}


def staged(entity: Entity) -> Staging:
    """Edits on rows 1 (title, kw) and 2 (kw), row 3 deleted, a new row, and errors on row 1."""
    staging = Staging(entity)
    staging.set_value(("key", (1,)), "title", "Renamed", loaded(1))
    staging.set_value(("key", (1,)), "kw", "new-kw", loaded(1))
    staging.set_value(("key", (2,)), "kw", "other-kw", loaded(2))
    staging.mark_deleted((3,), loaded(3), True)
    token = new_token()
    staging.add_insert(NewRow(token, {"title": "Fresh", "kw": "fresh-kw"}))
    staging.errors[(("key", (1,)), "kw")] = "too long"
    staging.errors[(("key", (1,)), "title")] = "looks odd"
    return staging


def test_edits_on_a_dropped_column_are_dropped_and_counted(db: Database) -> None:
    """kw vanishes with its three staged values (row 2 had no other); title edits, deletes, new rows stay."""
    before = load_catalog(db).get("ideas")
    staging = staged(before)
    after = ddl(db, "ALTER TABLE ideas DROP COLUMN kw").get("ideas")

    followed = follow_staging(staging, after)

    assert followed.dropped == {"kw": 3}
    assert not followed.kept_everything
    new = followed.staging
    assert new.entity is after
    assert {k: e.values for k, e in new.edits.items()} == {(1,): {"title": "Renamed"}}
    assert new.edits[(1,)].original == {"id": 1, "title": "Idea 1", "note": "first"}
    assert list(new.deletes) == [(3,)] and "kw" not in new.deletes[(3,)].original
    assert [r.values for r in new.inserts] == [{"title": "Fresh"}]
    assert [r.token for r in new.inserts] == [r.token for r in staging.inserts]
    assert new.errors == {(("key", (1,)), "title"): "looks odd"}
    assert (
        dropped_message(followed, "ideas")
        == "3 staged edits on column 'kw' were dropped: it no longer exists."
    )
    # The staging it came from is untouched (the editor swaps it in only once the new entity is shown).
    assert staging.entity is before and staging.edits[(2,)].values == {"kw": "other-kw"}


def test_the_kept_edits_save_on_the_new_schema(db: Database) -> None:
    """The batch from the followed staging is valid for the altered table: it saves, and checks conflicts."""
    staging = staged(load_catalog(db).get("ideas"))
    staging.errors.clear()
    catalog = ddl(
        db, "ALTER TABLE ideas DROP COLUMN kw", "ALTER TABLE ideas ADD COLUMN mood TEXT DEFAULT 'calm'"
    )

    changes, _refs = follow_staging(staging, catalog.get("ideas")).staging.changes()
    result = save(db, catalog, changes, audit=AUDIT_OFF)  # their database has no audit log

    assert len(result.updated) == 1 and len(result.deleted) == 1 and len(result.inserted) == 1
    row = get_row(db, catalog, "ideas", {"id": 1})
    assert (row["title"], row["note"], row["mood"]) == ("Renamed", "first", "calm")
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ideas WHERE id = 3")).scalar_one() == 0


def test_a_new_column_keeps_everything(db: Database) -> None:
    """Adding a column drops nothing and tells nothing."""
    staging = staged(load_catalog(db).get("ideas"))
    after = ddl(db, "ALTER TABLE ideas ADD COLUMN mood TEXT").get("ideas")

    followed = follow_staging(staging, after)

    assert followed.kept_everything and dropped_message(followed, "ideas") is None
    assert {k: e.values for k, e in followed.staging.edits.items()} == {
        k: e.values for k, e in staging.edits.items()
    }
    assert followed.staging.errors == staging.errors
    assert "mood" in followed.staging.entity.column_names


def test_a_changed_key_drops_the_edits_of_loaded_rows(db: Database) -> None:
    """Loaded rows are known by key: with another key they cannot be matched, new rows still can."""
    staging = staged(load_catalog(db).get("ideas"))
    after = ddl(
        db,
        "CREATE TABLE ideas2 (code TEXT PRIMARY KEY, id INTEGER, title TEXT NOT NULL, kw TEXT, note TEXT)",
        "DROP TABLE ideas",
        "ALTER TABLE ideas2 RENAME TO ideas",
    ).get("ideas")

    followed = follow_staging(staging, after)

    assert followed.rows_dropped == 3  # rows 1 and 2 edited, row 3 deleted
    assert not followed.staging.edits and not followed.staging.deletes
    assert [r.values for r in followed.staging.inserts] == [{"title": "Fresh", "kw": "fresh-kw"}]
    assert (
        dropped_message(followed, "ideas") == "3 staged row changes were dropped: the key of ideas changed."
    )


def test_messages_name_each_vanished_column() -> None:
    """One column: 'it'; several: each counted, 'they'; one value: 'was'."""
    empty = Staging.__new__(Staging)
    assert (
        dropped_message(Followed(empty, {"b": 1, "a": 2}), "t")
        == "2 staged edits on column 'a' and 1 on column 'b' were dropped: they no longer exist."
    )
    assert (
        dropped_message(Followed(empty, {"x": 1}), "t")
        == "1 staged edit on column 'x' was dropped: it no longer exists."
    )
    assert dropped_message(Followed(empty), "t") is None


def test_the_order_and_filters_keep_what_still_exists(db: Database) -> None:
    """Filters on a vanished column go, the others and the quick filter stay; an order on it falls back."""
    before = load_catalog(db).get("ideas")
    after = ddl(db, "ALTER TABLE ideas DROP COLUMN kw").get("ideas")
    by_title = Filter("title", "contains", "Idea")
    query = Query(sort=[("kw", True)], filters=(by_title, Filter("kw", "eq", "k1")), quick="1")

    followed = follow_query(query, before, after)

    assert followed == Query(sort=after.default_sort, filters=(by_title,), quick="1")
    assert follow_query(Query(sort=[("note", False)]), before, after).sort == [("note", False)]


def test_the_shape_is_what_the_grid_shows(db: Database) -> None:
    """A new table pointing at it leaves the shape alone; a new column changes it."""
    before = load_catalog(db).get("ideas")
    pointed_at = ddl(db, "CREATE TABLE votes (id INTEGER PRIMARY KEY, idea INTEGER REFERENCES ideas(id))")
    assert pointed_at.get("ideas").referenced_by and same_shape(before, pointed_at.get("ideas"))
    assert not same_shape(before, ddl(db, "ALTER TABLE ideas ADD COLUMN mood TEXT").get("ideas"))
