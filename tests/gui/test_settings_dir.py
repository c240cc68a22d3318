"""Settings follow the data folder: with WARDEN_DATA_DIR set, QSettings is an ini file there (tests too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui import app as gui_app
from gui import settings as saved


def test_settings_follow_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """gui.settings and gui.app settings are one ini file in WARDEN_DATA_DIR, read back as written."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "portable"))
    saved.set_open_tabs("demo.db", ["npcs", "regions"])
    saved.set_grid_font_size(13)
    gui_app.settings().setValue("main_window/last_folder", "/somewhere")
    assert Path(gui_app.settings().fileName()) == tmp_path / "portable" / "settings.ini"
    assert Path(saved.settings().fileName()) == tmp_path / "portable" / "settings.ini"
    saved.settings().sync()
    text = (tmp_path / "portable" / "settings.ini").read_text(encoding="utf-8")
    assert "grid_font_pt=13" in text and "last_folder" in text and "npcs" in text
    assert saved.open_tabs("demo.db") == ["npcs", "regions"]
    assert saved.grid_font_size() == 13


def test_grid_font_size_is_clamped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored size outside the range (or not a number) comes back within it."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path))
    assert saved.grid_font_size() == saved.DEFAULT_GRID_FONT_PT
    assert saved.set_grid_font_size(500) == saved.GRID_FONT_RANGE[1]
    saved.settings().setValue(saved.GRID_FONT_KEY, "big")
    assert saved.grid_font_size() == saved.DEFAULT_GRID_FONT_PT
