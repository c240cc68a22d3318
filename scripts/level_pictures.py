"""Render the protection-level pictures (issue 12) into docs/screenshots/: the badges, a read-only profile's
editor, Unlock Editing…, the confirm level's SQL before a save, the unlocked window and the connection
dialog's Profile section.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/level_pictures.py (or call level_pictures(target)
from scripts/screenshots.py with its demo database). Profiles are opened, never saved: the user's
profiles.json is not touched.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # beside screenshots.py, whose helpers it uses
import screenshots as shots  # it puts the project root on the path

OUT = shots.OUT


def over(window: Any, dialog: Any, name: str) -> None:
    """The window with a dialog (a window of its own) painted over its middle, as the user sees it."""
    from PySide6.QtGui import QPainter

    picture = window.grab()
    painter = QPainter(picture)
    painter.drawPixmap(
        (picture.width() - dialog.width()) // 2, (picture.height() - dialog.height()) // 3, dialog.grab()
    )
    painter.end()
    picture.save(str(OUT / name))
    print(f"wrote docs/screenshots/{name}")


def grab(widget: Any, name: str) -> None:
    if not widget.grab().save(str(OUT / name)):
        raise OSError(f"could not write {OUT / name}")
    print(f"wrote docs/screenshots/{name}")


def level_pictures(target: str) -> None:
    """Every picture, on a copy of the demo database at `target`."""
    import datetime as dt

    from PySide6.QtWidgets import QHBoxLayout, QWidget

    from core.audit.profiles import Profile
    from core.engine.connections import PgTarget
    from gui.connection.dialog import ConnectionDialog
    from gui.main_window import MainWindow
    from gui.safety.level_badge import LevelBadge
    from gui.safety.state import LevelState

    path = str(Path(target).with_name("levels.db"))
    shutil.copy(target, path)
    window = MainWindow()
    window.resize(*shots.SIZE)
    window.show()
    window.connection_actions.profile_chosen.emit(Profile("prod-world", path, "read-only"), path)
    shots.settle(lambda: window.catalog is not None and bool(window.entity_names()))
    editor = shots.open_entity(window, "regions")
    shots.settle()
    grab(window, "level_read_only.png")
    dialog = window.safety.ask_unlock()
    assert dialog is not None
    dialog.reason.setPlainText("Fix the Ashen Reach's climate (ticket SUP-311)")
    dialog.duration.setCurrentIndex(0)
    shots.settle()
    over(window, dialog, "unlock_dialog.png")
    dialog.unlock_button.click()
    shots.settle(lambda: window.safety.elevation is not None)
    shots.type_into_cell(editor, 0, "climate", "temperate")
    editor.save()
    shots.settle(lambda: window.save_gate.dialog is not None)
    confirm = window.save_gate.dialog
    assert confirm is not None
    over(window, confirm, "confirm_save.png")
    confirm.reject()
    shots.settle()
    grab(window, "level_unlocked.png")
    editor.model.revert()
    window.close()
    window.deleteLater()
    shots.settle()

    strip = QWidget()
    strip.setStyleSheet("background: #f3f4f6;")
    row = QHBoxLayout(strip)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    for state in (
        LevelState("read-only", "prod"),
        LevelState("confirm", "staging"),
        LevelState("confirm", "prod", unlocked=True, until=until),
        LevelState("editor", "local"),
    ):
        badge = LevelBadge()
        badge.show_state(state)
        row.addWidget(badge)
    strip.show()
    shots.settle()
    grab(strip, "level_badges.png")
    strip.close()

    connect = ConnectionDialog(PgTarget("db.example.org", 5432, "world", "support"))
    connect.save_profile.setChecked(True)
    connect.profile_name.setText("prod-world")
    connect.show()
    shots.settle(lambda: "Checking" not in connect.keyring_note.text())
    grab(connect, "connection_profile.png")
    connect.reject()
    connect.deleteLater()
    shots.settle()


def main() -> int:
    """A small demo database in a temporary folder, with settings and data folders of its own."""
    from PySide6.QtCore import QSettings

    from core.bootstrap import create_demo_database
    from gui.app import create_application
    from gui.runtime import workers

    with tempfile.TemporaryDirectory(prefix="warden-p2-") as d:
        for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(fmt, QSettings.Scope.UserScope, str(Path(d) / "settings"))
        os.environ["WARDEN_DATA_DIR"] = str(Path(d) / "data")
        target = str(Path(d) / "world.db")
        create_demo_database(target, scale=1)
        app = create_application([])
        try:
            level_pictures(target)
        finally:
            workers.shutdown()
            app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
