"""Render the README's pictures offscreen into docs/screenshots/ from a fresh demo database.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT))


def main() -> int:
    """Build a scale-1 demo database, open the main window on it and save each picture."""
    from PySide6.QtCore import QElapsedTimer
    from PySide6.QtWidgets import QApplication

    from core.bootstrap import create_demo_database
    from gui import workers
    from gui.app import create_application
    from gui.main_window import MainWindow

    from PySide6.QtCore import QSettings

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="warden-shots-") as d:
        # Pictures must not touch the user's own settings (recent connections, geometry).
        for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(fmt, QSettings.Scope.UserScope, str(Path(d) / "settings"))
        target = str(Path(d) / "world.db")
        create_demo_database(target, scale=1)
        app = create_application([])
        window = MainWindow()
        window.resize(1200, 800)
        window.show()
        window.open_target(target)
        timer = QElapsedTimer()
        timer.start()
        while window.overview is None and timer.elapsed() < 30_000:
            QApplication.processEvents()
            workers.wait_idle(50)
        QApplication.processEvents()
        path = OUT / "main_window.png"
        window.grab().save(str(path))
        print(f"wrote {path.relative_to(ROOT)}")
        window.close()
        workers.shutdown()
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
