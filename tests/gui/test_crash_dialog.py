"""The crash dialog a bug shows: the log file's path, in the platformdirs user log folder (never the current
or the program's folder), with the traceback written there; and the truth when the log cannot be written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from core.paths import log_file
from gui.runtime.errors import CrashHandler
from tests.fixtures.dialogs import when_modal


def crash(handler: CrashHandler) -> QMessageBox | None:
    """Hand the handler a real bug on the GUI thread; the dialog it showed (read, then closed), if any."""
    seen: list[QMessageBox] = []

    def read_and_close(box: QMessageBox) -> None:
        seen.append(box)
        box.setProperty("informative", box.informativeText())
        box.setProperty("details", box.detailedText())
        box.accept()

    found: dict[str, int] = {}
    try:
        found["missing"]
    except KeyError as exc:
        when_modal(QMessageBox, read_and_close)
        handler(type(exc), exc, exc.__traceback__)
    return seen[0] if seen else None


@pytest.fixture
def user_log_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No WARDEN_LOG_DIR: the log folder is platformdirs' user log folder, under a temporary home."""
    monkeypatch.delenv("WARDEN_LOG_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "home" / "state"))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    yield Path(platformdirs.user_log_dir("Warden", appauthor=False))


def test_the_crash_dialog_names_the_log_in_the_user_log_folder(
    qtbot: QtBot, tmp_path: Path, user_log_folder: Path
) -> None:
    """The app's handler (gui/app.py installs it with core.paths.log_file()) writes the traceback to the user
    log folder and its dialog names that file; the current folder stays empty."""
    path = log_file()
    assert path.parent == user_log_folder and user_log_folder.is_relative_to(tmp_path / "home")
    box = crash(CrashHandler(path))
    assert box is not None
    assert f"The details were written to\n{path}\n" in box.property("informative")
    assert "KeyError" in box.text() and "missing" not in box.text()  # the type, never the message
    text = path.read_text(encoding="utf-8")
    assert " CRASH " in text and "in crash" in text and "Traceback" in box.property("details")
    assert list((tmp_path / "cwd").iterdir()) == []


def test_a_log_that_cannot_be_written_is_not_claimed(qtbot: QtBot, tmp_path: Path) -> None:
    """When the log folder cannot be made (a file is in its way), the dialog says the details could not be
    written there and are only under Show Details, instead of pointing at a file that does not exist."""
    blocker = tmp_path / "logs"
    blocker.write_text("not a folder", encoding="utf-8")
    path = blocker / "warden.log"
    box = crash(CrashHandler(path))
    assert box is not None
    said = box.property("informative")
    assert f"could not be written to\n{path}\nso they are only under Show Details" in said
    assert "Traceback" in box.property("details")
    assert not path.exists()


def test_the_log_and_the_dialog_carry_the_same_traceback(qtbot: QtBot, tmp_path: Path) -> None:
    """The details under Show Details are the traceback the log holds for that crash, word for word, and
    the log holds it once."""
    path = tmp_path / "logs" / "warden.log"
    box = crash(CrashHandler(path))
    assert box is not None
    details = box.property("details")
    assert details.startswith("Traceback") and details.rstrip().splitlines()[-1].startswith("KeyError:")
    assert path.read_text(encoding="utf-8").count(details) == 1
