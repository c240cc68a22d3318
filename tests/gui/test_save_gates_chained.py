"""The two questions in front of a save, chained: the confirm level's SQL, then the audit consent on a
database without an audit log. SQL confirmed, then Cancel on the consent: nothing is sent, and the next save
shows its SQL again (it may hold other edits), instead of going on the earlier approval."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.fixtures.editing import open_editor, stage, stored
from tests.fixtures.foreign import build_foreign
from tests.fixtures.save_gates import confirm_dialog, confirm_window, consent_dialog

pytestmark = pytest.mark.usefixtures("no_saved_tabs", "data_dir", "no_audit_answers")  # profiles of its own


def test_cancel_at_the_consent_after_the_sql_was_confirmed_asks_for_the_sql_again(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = str(tmp_path / "guilds.db")
    build_foreign(path)
    window = confirm_window(qtbot, path)
    editor = open_editor(qtbot, window, "guilds")
    key = stage(editor, 0, "title", "First")
    before = stored(path, "guilds", key)["title"]
    editor.save()
    confirm_dialog(qtbot, window).save_button.click()
    consent_dialog(qtbot, window).reject()
    qtbot.waitUntil(lambda: window.audit_gate.dialog is None, timeout=5_000)
    assert editor.model.staged_count == 1 and stored(path, "guilds", key)["title"] == before

    stage(editor, 1, "title", "Second, never shown")
    editor.save()
    dialog = confirm_dialog(qtbot, window)  # the SQL of both edits, asked again
    assert window.audit_gate.dialog is None, "the consent was asked before the SQL was shown"
    assert "'Second, never shown'" in dialog.sql.toPlainText()
    dialog.reject()
    assert stored(path, "guilds", key)["title"] == before
