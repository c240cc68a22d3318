"""After a migration the screens resume on the reloaded catalog (issue 10: "afterwards the catalog is reloaded
and the open screens follow it"). The catalog reload ends after the run does; the screens stay paused until it
is in place, then read once, with it: an editor shows the column the migration added and never reads its
rows with the old column list, a table opened during the run reads once, the record form reads its related
rows once (with the table the migration added). A run that fails and is restored from its backup resumes the
same way. Real runs of the shop app's Alembic project on SQLite files, through the runner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from core.data.repository import Filter
from core.engine.db import open_database
from core.migrate import migrations as mig
from core.migrate.project import call, find_project
from gui.editor.view import TableEditor
from gui.main_window import MainWindow
from gui.migrate.dialog import MigrationDialog
from gui.runtime import workers
from tests.fixtures.editing import open_editor, open_window
from tests.fixtures.external_project import E1, E2, E3, write_project
from tests.gui.test_search_pause import statements

SCREENSHOTS = Path("/tmp")
pytestmark = pytest.mark.usefixtures("data_dir")


def _shop_at_e1(tmp_path: Path, ini: Path) -> str:
    """A SQLite file the shop app migrated to its first revision (customers without email), two customers."""
    path = tmp_path / "shop.db"
    db = open_database(path, create=True)
    call(find_project(ini), db, "upgrade", E1)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("insert into customers (id, name) values (1, 'Ada'), (2, 'Grace')")
    db.dispose()
    return str(path)


def _failing_e3(ini: Path) -> None:
    """The shop project's third revision fails (after the second one, which adds email, committed)."""
    (script,) = (ini.parent / "shop_migrations" / "versions").glob(f"{E3}_*.py")
    text = script.read_text()
    script.write_text(
        text.replace("op.create_table(", 'raise RuntimeError("invoices refused")\n    op.create_table(', 1)
    )


def _row_reads(seen: list[str]) -> list[str]:
    """The reads of customers' rows (their columns listed) among `seen`."""
    return [s for s in seen if "customers.name" in s and "from customers" in s.lower()]


def _runner(qtbot: QtBot, window: MainWindow, ini: Path) -> MigrationDialog:
    dialog = window.migration_watch.open_runner()
    assert dialog is not None
    with qtbot.waitSignal(window.migration_watch.standing_changed, timeout=30_000):
        dialog.use_project(str(ini.parent))
    qtbot.waitUntil(lambda: dialog.view is not None and dialog.upgrade_button.isEnabled(), timeout=30_000)
    return dialog


def _run(
    qtbot: QtBot,
    window: MainWindow,
    dialog: MigrationDialog,
    editor: TableEditor,
    monkeypatch: pytest.MonkeyPatch,
    *,
    related: bool = True,
) -> dict[str, Any]:
    """Run the upgrade; while it runs, move the form to the second row and open customers filtered. What the
    screens did after the run: the statements run once the watch resumed, the form's related-rows texts."""
    monkeypatch.setattr(dialog, "_confirm", lambda _verb, _flagged: True)
    watch, form = window.migration_watch, editor.form
    assert form is not None
    seen: dict[str, Any] = {"related": [], "resumed": False}

    def on_paused(paused: bool) -> None:
        if paused:
            editor.view.setCurrentIndex(editor.model.index(1, 0))  # the form is asked for the second row
            window._open_entity_tab("customers", [Filter("name", "eq", "Grace")])  # a related-rows link
            seen["filtered"] = window.tabs.currentWidget()
            window.tabs.setCurrentWidget(editor)
        else:
            seen["resumed"] = True

    def on_related() -> None:
        if seen["resumed"]:
            seen["related"].append(form.references.text())

    watch.paused_changed.connect(on_paused)
    form.related_loaded.connect(on_related)
    with statements() as during:
        dialog.run_finished.connect(lambda: seen.setdefault("at_end", len(during)))
        with qtbot.waitSignal(dialog.run_finished, timeout=90_000):
            dialog.start("upgrade")
        qtbot.waitUntil(lambda: seen["resumed"], timeout=30_000)
        filtered = seen["filtered"]
        assert isinstance(filtered, TableEditor)
        qtbot.waitUntil(
            lambda: filtered.model.exact and filtered.model.row_key(0) is not None, timeout=30_000
        )
        if related:  # the form has related rows to read (else it says so without reading, paused or not)
            qtbot.waitUntil(lambda: bool(seen["related"]), timeout=30_000)
        assert workers.wait_idle(30_000)
    seen["after"] = during[seen["at_end"] :]
    return seen


def test_screens_resume_on_the_reloaded_catalog_and_read_once(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ini = write_project(tmp_path / "shop")
    path = _shop_at_e1(tmp_path, ini)
    window = open_window(qtbot, path)
    window.resize(1200, 600)
    dialog = _runner(qtbot, window, ini)
    editor = open_editor(qtbot, window, "customers")
    editor.view.setCurrentIndex(editor.model.index(0, 0))
    form = editor.show_form()
    qtbot.waitUntil(lambda: "no links" in form.references.text(), timeout=10_000)  # no invoices yet
    assert workers.wait_idle(30_000)

    seen = _run(qtbot, window, dialog, editor, monkeypatch)
    assert mig.current(open_database(path)) == [E3]
    assert "email" in editor.entity.column_names, "the editor follows the column the migration added"
    header = editor.model.headerData(editor.entity.column_names.index("email"), _horizontal())
    assert header == "email"
    reads = _row_reads(seen["after"])
    old = [s for s in reads if "customers.email" not in s]
    assert not old, f"rows read with the catalog from before the run: {old[:2]}"
    filtered: TableEditor = seen["filtered"]
    assert filtered.model.total == 1 and filtered.model.row_values(0)["name"] == "Grace"
    assert "email" in filtered.entity.column_names and filtered.isEnabled()
    filtered_reads = [s for s in reads if "WHERE" in s and "customers.name" in s.split("WHERE", 1)[1]]
    assert len(filtered_reads) == 1, f"the table opened during the run reads its rows once: {reads}"
    assert seen["related"] and all("no links" not in text for text in seen["related"]), (
        f"the form read its related rows with the old catalog: {seen['related']}"
    )
    assert len(seen["related"]) == 1, f"the form read its related rows once: {seen['related']}"
    assert form.key == {"id": 2}
    window.tabs.setCurrentWidget(editor)
    editor.grab().save(str(SCREENSHOTS / "warden_resumed_catalog.png"))
    dialog.close()


def test_a_failed_run_restored_from_its_backup_resumes_on_the_reloaded_catalog(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ini = write_project(tmp_path / "shop")
    _failing_e3(ini)
    path = _shop_at_e1(tmp_path, ini)
    window = open_window(qtbot, path)
    dialog = _runner(qtbot, window, ini)
    editor = open_editor(qtbot, window, "customers")
    editor.view.setCurrentIndex(editor.model.index(0, 0))
    form = editor.show_form()
    qtbot.waitUntil(lambda: "no links" in form.references.text(), timeout=10_000)
    assert workers.wait_idle(30_000)

    seen = _run(qtbot, window, dialog, editor, monkeypatch, related=False)
    assert "restored" in dialog.message.text(), dialog.message.text()
    assert mig.current(open_database(path)) == [E1], "the backup from before the run is back"
    assert "email" not in editor.entity.column_names and editor.isEnabled()
    reads = _row_reads(seen["after"])
    assert reads and not [s for s in reads if "customers.email" in s], "a read of a column the restore undid"
    filtered: TableEditor = seen["filtered"]
    assert filtered.model.total == 1 and filtered.isEnabled() and not filtered.reads_paused
    assert form.key == {"id": 2} and form.references.text() == "customers has no links to other tables."
    assert E2 not in mig.current(open_database(path)), (
        "the revision that committed before the failure is undone"
    )
    dialog.close()


def _horizontal() -> Any:
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal
