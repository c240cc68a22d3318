"""The `warden` console script: selftest through the launcher, commands delegated to core.cli."""

from __future__ import annotations

import os
import subprocess
import sys

from gui import launcher


def test_selftest_runs_core_and_qt_checks():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1")
    code = "import sys; from gui.launcher import main; sys.exit(main(['selftest']))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    assert "vector search: sqlite-vec" in p.stdout
    assert "selftest: ok" in p.stdout and "qt: PySide6 6.11" in p.stdout


def test_commands_go_to_the_cli(tmp_path, capsys):
    missing = tmp_path / "none.db"
    assert launcher.main(["inspect", "--db", str(missing)]) != 0
    assert "No such database file" in capsys.readouterr().err
    assert not missing.exists()
