"""Two people edit the same row: changes that do not overlap merge by themselves, with a note; changes that
overlap open the conflict dialog, which lists every field changed on either side. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QGroupBox, QLabel
from pytestqt.qtbot import QtBot

from core.data import repository as repo
from core.data.changes import Update
from core.engine.db import Database, open_database
from core.errors import Conflict
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata
from gui.editor.dialogs.conflict_dialog import KEEP_MINE, ConflictDialog
from gui.editor.view import TableEditor
from gui.runtime import workers
from tests.fixtures.editing import shown_editor

T0 = dt.datetime(2024, 3, 1, 12, 0, 30, tzinfo=dt.UTC)
DMITRI, OLGA = uuid.UUID(int=7), uuid.UUID(int=8)
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def users(schema_db: Database) -> Iterator[Catalog]:
    """Two users, dmitri and olga, each at version 1; the test's workers finish before the database closes."""
    with schema_db.engine.begin() as conn:
        conn.execute(
            metadata.tables["users"].insert(),
            [{"id": DMITRI, "email": "dmitri@x.org", "username": "dmitri", "display_name": "Dmitri",
              "role": "player", "created_at": T0},
             {"id": OLGA, "email": "olga@x.org", "username": "olga", "display_name": "Olga",
              "role": "player", "created_at": T0}],
        )  # fmt: skip
    yield load_catalog(schema_db)
    workers.wait_idle()


@pytest.fixture
def someone_else(empty_url: str, schema_db: Database) -> Iterator[Database]:
    """Another program's connection to the same database."""
    other = open_database(empty_url)
    yield other
    other.dispose()


def theirs(other: Database, key: uuid.UUID, values: dict[str, Any]) -> None:
    """Someone else saves `values` on the row, through their own connection and Warden's own save."""
    catalog = load_catalog(other)
    row = repo.get_row(other, catalog, "users", {"id": key})
    assert row is not None
    repo.save(other, catalog, [Update("users", {"id": key}, values, version=row["version"])])


def stored(db: Database, catalog: Catalog, key: uuid.UUID) -> dict[str, Any]:
    row = repo.get_row(db, catalog, "users", {"id": key})
    assert row is not None
    return row


def edit(editor: TableEditor, key: uuid.UUID, column: str, value: str) -> None:
    """Type a value into the user's cell, as the grid's editor does."""
    model = editor.model
    row = next(r for r in range(model.rowCount()) if (model.row_key(r) or {}).get("id") == key)
    assert model.setData(model.index(row, editor.entity.column_names.index(column)), value)


def open_dialog(qtbot: QtBot, editor: TableEditor) -> ConflictDialog:
    qtbot.waitUntil(lambda: isinstance(editor.conflict_dialog, ConflictDialog), timeout=10_000)
    dialog = editor.conflict_dialog
    assert dialog is not None
    return dialog


def grid_texts(box: QGroupBox) -> list[str]:
    return [label.text() for label in box.findChildren(QLabel)]


def test_changes_of_other_fields_merge_and_both_are_saved(
    qtbot: QtBot, schema_db: Database, users: Catalog, someone_else: Database
) -> None:
    """They rename Dmitri while I change his email: one Save writes both, and a note says it merged."""
    editor = shown_editor(qtbot, schema_db, users, "users")
    edit(editor, DMITRI, "email", "dmitri@new.org")
    theirs(someone_else, DMITRI, {"display_name": "Dmitri K."})
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        editor.save()
    row = stored(schema_db, users, DMITRI)
    assert row["display_name"] == "Dmitri K." and row["email"] == "dmitri@new.org"
    assert row["version"] == 3  # theirs, then mine on top of theirs
    assert editor.conflict_dialog is None
    assert not editor.model.has_changes
    assert editor.message.text() == (
        "Saved. Someone else changed display_name of “dmitri” meanwhile; your change to email did not "
        "overlap and was merged."
    )
    assert editor.message.note_visible()


def test_overlapping_changes_ask_and_list_both_sides(
    qtbot: QtBot, schema_db: Database, users: Catalog, someone_else: Database
) -> None:
    """They change display_name and email, I change email: the dialog names Dmitri, lists both fields with
    the value as loaded, theirs and mine, and asks only about email; keep mine saves theirs and mine."""
    editor = shown_editor(qtbot, schema_db, users, "users")
    edit(editor, DMITRI, "email", "mine@x.org")
    theirs(someone_else, DMITRI, {"display_name": "Dmitri K.", "email": "theirs@x.org"})
    editor.save()
    dialog = open_dialog(qtbot, editor)
    [box] = dialog.findChildren(QGroupBox)
    assert "“dmitri”" in box.title()
    texts = grid_texts(box)
    for text in (
        "display_name",
        "Dmitri",
        "Dmitri K.",
        "email",
        "dmitri@x.org",
        "theirs@x.org",
        "mine@x.org",
    ):
        assert text in texts, text
    assert "unchanged" in texts  # display_name: mine left it alone
    assert [f.column for f in dialog.fields[0]] == ["email"]  # the one field to decide
    assert not dialog.merged_label.isVisible()
    dialog.field(0, "email").set_choice(KEEP_MINE)
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        dialog.apply_button.click()
    row = stored(schema_db, users, DMITRI)
    assert row["display_name"] == "Dmitri K." and row["email"] == "mine@x.org"


def test_a_merged_row_beside_an_overlapping_one_is_said_in_the_dialog(
    qtbot: QtBot, schema_db: Database, users: Catalog, someone_else: Database
) -> None:
    """Dmitri merges by himself; Olga overlaps and goes to the dialog, which says Dmitri merged."""
    editor = shown_editor(qtbot, schema_db, users, "users")
    edit(editor, DMITRI, "email", "dmitri@new.org")
    edit(editor, OLGA, "display_name", "Olga (mine)")
    theirs(someone_else, DMITRI, {"display_name": "Dmitri K."})
    theirs(someone_else, OLGA, {"display_name": "Olga (theirs)"})
    editor.save()
    dialog = open_dialog(qtbot, editor)
    [box] = dialog.findChildren(QGroupBox)
    assert "“olga”" in box.title()
    assert dialog.merged_label.text() == (
        "Someone else changed display_name of “dmitri” meanwhile; your change to email did not overlap "
        "and was merged."
    )
    with qtbot.waitSignal(editor.model.saved, timeout=10_000):
        dialog.apply_button.click()  # keep mine by default
    assert stored(schema_db, users, OLGA)["display_name"] == "Olga (mine)"
    dmitri = stored(schema_db, users, DMITRI)
    assert dmitri["display_name"] == "Dmitri K." and dmitri["email"] == "dmitri@new.org"


def test_a_merge_saves_again_once_and_asks_if_that_conflicts_too(
    schema_db: Database, users: Catalog, someone_else: Database
) -> None:
    """Someone saves Dmitri again between my merge and its save: no second merge, the dialog asks.

    The editor's plain parts (tests/gui/editor/model/test_parts.py) on the real database, so the test can
    act between the conflict and the save after the merge.
    """
    from gui.audit.audited_save import save  # the editor's save (audited, issue 12)
    from tests.gui.editor.model.test_parts import Parts

    parts = Parts(schema_db, users, "users")
    row = next(r for r in range(parts.window.total) if (parts.window.row(r) or (None,))[0] == DMITRI)
    parts.history.edit_cell(row, parts.col("email"), "dmitri@new.org")
    theirs(someone_else, DMITRI, {"display_name": "Dmitri K."})
    run, saves = parts.saver.run, []

    def interleaved(fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn is save:
            saves.append(fn)
            if len(saves) == 2:  # the save after the merge: someone else was quicker again
                theirs(someone_else, DMITRI, {"role": "support"})
        return run(fn, *args, **kwargs)

    parts.saver.run = interleaved
    parts.saver.save()
    parts.worker.drain()
    assert len(saves) == 2, "one merge, saved again once"
    assert [e[0] for e in parts.host.events].count("conflicted") == 1
    assert "saved" not in [e[0] for e in parts.host.events]
    [(_, [conflict])] = [e for e in parts.host.events if e[0] == "conflicted"]
    assert conflict.stored["role"] == "support" and conflict.original["display_name"] == "Dmitri K."
    assert parts.staging.count == 1 and parts.saver.merged == []
    now = stored(schema_db, users, DMITRI)
    assert now["email"] == "dmitri@x.org" and now["role"] == "support"  # nothing of mine written


def test_the_dialog_with_both_kinds_of_field_renders(qtbot: QtBot, schema_db: Database, backend: str) -> None:
    """One row where both sides changed different fields and the same field: a screenshot to look at."""
    if backend != "sqlite":
        pytest.skip("one picture is enough")
    catalog = load_catalog(schema_db)
    infos = {e.name: {c.name: c for c in e.columns} for e in catalog.entities.values()}
    loaded = {"id": DMITRI, "email": "dmitri@x.org", "username": "dmitri", "display_name": "Dmitri",
              "role": "player", "version": 1}  # fmt: skip
    now = {**loaded, "display_name": "Dmitri K.", "role": "support", "version": 2}
    conflict = Conflict("users", {"id": DMITRI}, now, {"email": "d@new.org", "role": "admin"}, loaded)
    dialog = ConflictDialog([conflict], infos, labels={0: "dmitri"})
    qtbot.addWidget(dialog)
    dialog.resize(980, 330)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.wait(50)  # the scroll area settles its size
    assert [f.column for f in dialog.fields[0]] == ["email", "role"]  # mine, in column order
    [box] = dialog.findChildren(QGroupBox)
    assert "version" not in grid_texts(box)  # bookkeeping, not a change of theirs
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = dialog.grab()
    image.save("/tmp/conflict.png")
    image.save(str(SHOTS / "conflict_dialog.png"))
