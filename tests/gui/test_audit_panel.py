"""The audit viewer panel on the real demo database: entries load through the worker door, filters narrow
them, Revert of one checked field changes exactly that field of that row, errors show as a line."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialog, QLabel
from pytestqt.qtbot import QtBot

from core.data.changes import Change, Update
from core.data.writes import save
from gui.audit.panel import AuditPanel
from tests.fixtures.demo import Demo


def _twenty_renamed(demo: Demo) -> list[dict[str, Any]]:
    """Rename twenty users in one save; their keys."""
    db, cat = demo
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, display_name, email, version FROM users ORDER BY id LIMIT 20")
        ).all()
    keys = [{"id": r[0]} for r in rows]
    changes: list[Change] = [
        Update("users", k, {"display_name": f"renamed {i}", "email": f"r{i}@example.org"},
               {"display_name": r[1], "email": r[2]}, r[3])
        for i, (k, r) in enumerate(zip(keys, rows, strict=True))
    ]  # fmt: skip
    save(db, cat, changes)
    return keys


def _users(demo: Demo) -> dict[str, tuple[Any, ...]]:
    with demo[0].engine.connect() as conn:
        return {
            str(r[0]): tuple(r[1:])
            for r in conn.execute(sa.text("SELECT id, display_name, email FROM users"))
        }


def test_the_panel_lists_filters_and_reverts_one_field(
    qtbot: QtBot, qtmodeltester: Any, sqlite_demo_copy: Demo
) -> None:
    keys = _twenty_renamed(sqlite_demo_copy)
    panel = AuditPanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    panel.show()
    panel.set_database(*sqlite_demo_copy)
    qtbot.waitUntil(lambda: panel.entries.rowCount() == 20, timeout=30_000)
    qtmodeltester.check(panel.entries)
    assert panel.status.text() == "20 entries."

    panel.key_edit.setText(str(keys[7]["id"]))
    panel.refresh()
    qtbot.waitUntil(lambda: panel.entries.rowCount() == 1, timeout=30_000)
    panel.table.selectionModel().select(
        panel.entries.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert sorted(panel.fields.names) == ["display_name", "email"]
    qtmodeltester.check(panel.fields)
    row = panel.fields.names.index("email")
    panel.fields.setData(
        panel.fields.index(row, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert panel.revert_button.text() == "Revert 1 field"
    if os.environ.get("WARDEN_SCREENSHOTS"):
        panel.grab().save(os.environ["WARDEN_SCREENSHOTS"])

    before = _users(sqlite_demo_copy)
    panel.reason_edit.setText("wrong address")
    panel.revert_button.click()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Reverted: 1 row written."), timeout=30_000)
    after = _users(sqlite_demo_copy)
    changed = {k for k in after if after[k] != before[k]}
    seventh = str(keys[7]["id"]).replace("-", "")
    assert [k.replace("-", "") for k in changed] == [seventh]
    (k,) = changed
    assert after[k][0] == "renamed 7" and after[k][1] != "r7@example.org"
    assert panel.entries.rowCount() == 2 and panel.entries.entry(0).action == "revert"


def test_a_conflicting_revert_says_so_in_one_line(qtbot: QtBot, sqlite_demo_copy: Demo) -> None:
    keys = _twenty_renamed(sqlite_demo_copy)
    db, cat = sqlite_demo_copy
    save(db, cat, [Update("users", keys[0], {"display_name": "later"}, {"display_name": "renamed 0"})])
    panel = AuditPanel()
    qtbot.addWidget(panel)
    panel.set_database(db, cat)
    panel.key_edit.setText(str(keys[0]["id"]))
    panel.refresh()
    qtbot.waitUntil(lambda: panel.entries.rowCount() == 2, timeout=30_000)
    panel.table.selectRow(1)  # the first rename, older than the later edit
    panel.revert_button.click()
    qtbot.waitUntil(lambda: "changed in the database" in panel.status.text(), timeout=30_000)
    assert "later" not in panel.status.text()
    assert _users(sqlite_demo_copy)


def test_the_editors_save_is_audited(qtbot: QtBot, sqlite_demo_copy: Demo) -> None:
    """A cell edited in the table editor and saved is in the audit log, with what it was before."""
    from core.audit.log import list_entries
    from gui.editor.model.table_model import TableEditorModel

    db, cat = sqlite_demo_copy
    model = TableEditorModel(db, cat, "regions")
    qtbot.waitUntil(lambda: not model.counting and not model.loading_rows, timeout=30_000)
    names = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    cell = model.index(0, names.index("name"))
    old = model.data(cell)
    assert model.setData(cell, "Audited Marches")
    with qtbot.waitSignal(model.saved, timeout=30_000):
        model.save()
    (entry,) = list_entries(db, cat)
    assert (entry.entity, entry.action) == ("regions", "update")
    assert (entry.before, entry.after) == ({"name": old}, {"name": "Audited Marches"})


def test_the_consent_dialog_says_what_each_answer_does(qtbot: QtBot) -> None:
    """Create, save without audit, or cancel: the dialog keeps the answer; closing it is Cancel."""
    from gui.audit.consent import AuditChoice, AuditConsentDialog

    for button, choice in (("create_button", AuditChoice.CREATE), ("off_button", AuditChoice.AUDIT_OFF)):
        dialog = AuditConsentDialog("theirs.db")
        qtbot.addWidget(dialog)
        dialog.show()
        label = dialog.findChild(QLabel)
        assert label is not None and "has no audit log" in label.text()
        getattr(dialog, button).click()
        assert dialog.choice == choice and dialog.result() == QDialog.DialogCode.Accepted
        if os.environ.get("WARDEN_SCREENSHOTS") and choice == AuditChoice.CREATE:
            dialog.grab().save(os.environ["WARDEN_SCREENSHOTS"].replace(".png", "_consent.png"))
    dialog = AuditConsentDialog("theirs.db")
    qtbot.addWidget(dialog)
    dialog.reject()
    assert dialog.choice == AuditChoice.CANCEL
