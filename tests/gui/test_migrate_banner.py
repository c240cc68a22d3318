"""The migration banner and exclusive access: behind head it offers the runner; at a revision the scripts do
not know the editors are read-only with the reason until the right project is picked; while a migration
runs the editors are paused (staged edits kept) and resume after it, done or failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from core.engine.db import open_database
from core.migrate import migrations as mig
from core.migrate.project import call, find_project
from gui.editor.view import TableEditor
from gui.main_window import MainWindow
from gui.migrate.dialog import MigrationDialog
from gui.migrate.watch import PAUSED
from gui.runtime import workers
from tests.fixtures.editing import open_editor, open_window, stage
from tests.fixtures.external_project import E2, E3, write_project

SCREENSHOTS = Path("/tmp")


pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


@pytest.fixture
def behind(tmp_path: Path) -> str:
    """A SQLite file at Warden's first reference revision: the later ones are pending."""
    path = tmp_path / "behind.db"
    db = open_database(path, create=True)
    (first,) = [r.revision for r in mig.history() if not r.down_revision]
    mig.upgrade(db, first)
    db.dispose()
    return str(path)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A SQLite file the shop app migrated to its second revision with its own project, one customer in it."""
    ini = write_project(tmp_path / "shop")
    path = tmp_path / "shop.db"
    db = open_database(path, create=True)
    call(find_project(ini), db, "upgrade", E2)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("insert into customers (id, name, email) values (1, 'Ada', 'ada@example.org')")
    db.dispose()
    yield str(path), ini


def _runner(qtbot: QtBot, window: MainWindow) -> MigrationDialog:
    qtbot.mouseClick(window.migration_banner.review_button, _left())
    dialog = window.findChild(MigrationDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.view is not None, timeout=30_000)
    return dialog


def _left() -> object:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_behind_head_banner_opens_the_runner(qtbot: QtBot, behind: str) -> None:
    window = open_window(qtbot, behind)
    banner = window.migration_banner
    qtbot.waitUntil(banner.isVisible, timeout=15_000)
    n = len(mig.pending(open_database(behind)))
    assert banner.label.text() == f"This database is {n} revision{'s' if n != 1 else ''} behind."
    assert banner.review_button.text() == "Review migrations…"
    window.resize(1100, 500)
    window.grab().save(str(SCREENSHOTS / "warden_migration_banner.png"))
    window.navigator.entity_activated.emit("regions")  # an empty table: no rows to wait for
    editor = window.tabs.currentWidget()
    assert isinstance(editor, TableEditor)
    assert editor.read_only_reason() is None, "behind head is no reason to stop editing"
    dialog = _runner(qtbot, window)
    assert dialog.header.text().startswith("At ")
    dialog.close()


def test_unknown_revision_is_read_only_until_the_project_is_picked_then_a_run_pauses_editors(
    qtbot: QtBot, shop: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, ini = shop
    window = open_window(qtbot, path)
    banner, watch = window.migration_banner, window.migration_watch
    qtbot.waitUntil(lambda: banner.isVisible() and watch.standing is not None, timeout=15_000)
    assert watch.standing is not None and not watch.standing.known
    assert E2 in banner.label.text() and "Read-only" in banner.label.text()
    assert banner.review_button.text() == "Pick project…" and not banner.close_button.isVisible()
    editor = open_editor(qtbot, window, "customers")
    reason = editor.read_only_reason()
    assert reason is not None and "Pick the right project" in reason
    assert not editor.actions_by_name["insert"].isEnabled()
    assert editor.message.isVisible()
    window.resize(1100, 500)
    window.grab().save(str(SCREENSHOTS / "warden_migration_unknown.png"))

    dialog = _runner(qtbot, window)
    with qtbot.waitSignal(watch.standing_changed, timeout=30_000):
        dialog.use_project(str(ini.parent))
    assert watch.standing is not None and watch.standing.known and watch.standing.pending == 1
    assert banner.label.text() == "This database is 1 revision behind of the project shop."
    assert editor.read_only_reason() is None and editor.actions_by_name["insert"].isEnabled()
    qtbot.waitUntil(lambda: dialog.view is not None and dialog.upgrade_button.isEnabled(), timeout=30_000)
    assert dialog.view is not None and dialog.view.status.heads == [E3]
    assert dialog.header.text().endswith("drift not compared") and dialog.tabs.tabText(1) == "Drift"
    dialog.grab().save(str(SCREENSHOTS / "warden_migration_project.png"))

    key = stage(editor, 0, "name", "Ada Lovelace")
    seen: list[tuple[bool, str | None, int]] = []

    def on_paused(paused: bool) -> None:  # the editors as they are when the run starts and ends
        seen.append((editor.isEnabled(), editor.read_only_reason(), editor.model.staged_count))

    watch.paused_changed.connect(on_paused)
    monkeypatch.setattr(dialog, "_confirm", lambda _verb, _flagged: True)
    with qtbot.waitSignal(window.open_db.catalog_changed, timeout=60_000):
        dialog.start("upgrade")
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=30_000)
    assert seen == [(False, PAUSED, 1), (True, None, 1)], "paused with the edit kept, then resumed"
    assert "invoices" in window.entity_names(), "the catalog was read again after the run"
    assert editor.model.staged_count == 1 and key == {"id": 1}
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=30_000)
    dialog.close()
    assert shiboken6.isValid(editor) and editor.isEnabled()


def test_a_failed_run_resumes_the_editors(
    qtbot: QtBot, shop: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ini = shop
    broken = write_project(tmp_path / "broken", env="raises")
    window = open_window(qtbot, path)
    editor = open_editor(qtbot, window, "customers")
    dialog = _runner(qtbot, window)
    with qtbot.waitSignal(window.migration_watch.standing_changed, timeout=30_000):
        dialog.use_project(str(broken))
    qtbot.waitUntil(lambda: dialog.view is not None and dialog.upgrade_button.isEnabled(), timeout=30_000)
    monkeypatch.setattr(dialog, "_confirm", lambda _verb, _flagged: True)
    paused: list[bool] = []
    window.migration_watch.paused_changed.connect(paused.append)
    dialog.start("upgrade")
    qtbot.waitUntil(lambda: paused == [True, False], timeout=60_000)
    qtbot.waitUntil(lambda: "SHOP_SETTINGS is not set" in dialog.message.text(), timeout=30_000)
    assert "\n" not in dialog.message.text()
    assert editor.isEnabled() and editor.read_only_reason() is None
    # The runner and the banner read the project's standing again (child processes): let them finish.
    qtbot.waitUntil(lambda: workers.pending_count() == 0, timeout=60_000)
    dialog.close()
