"""The `warden` console script: selftest through the launcher, commands delegated to core.cli."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QLibraryInfo

from gui import launcher, platform_check
from tests.fixtures.dialogs import when_modal


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


# --- start-up: the window shows before the heavy libraries load ---------------------------------------

# core.cli and logging's file handlers too: `warden` alone skips the command line's parser, and the log
# file is set up after the first frame.
HEAVY_MODULES = ("sqlalchemy", "numpy", "pgvector", "core.cli", "logging.handlers")

# Runs `warden` (no arguments: the default database) with a QApplication made first, so an event filter
# sees the main window's first Show and first Paint events: it prints which heavy modules were loaded
# by then (and, at the paint, how many worker tasks run), waits for the navigator to fill, prints them
# again and closes the window.
FIRST_SHOW_SCRIPT = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from gui import launcher
from gui.runtime import workers
from gui.main_window import MainWindow

HEAVY = {heavy!r}
app = QApplication(sys.argv[:1])


def loaded():
    return ",".join(m for m in HEAVY if m in sys.modules) or "-"


class FirstShow(QObject):
    window = None
    painted = False

    def eventFilter(self, obj, event):
        if obj is self.window and not self.painted and event.type() == QEvent.Type.Paint:
            self.painted = True
            print("at paint:", loaded(), "pending", workers.pending_count(), flush=True)
        if self.window is None and event.type() == QEvent.Type.Show and isinstance(obj, MainWindow):
            self.window = obj
            print("at show:", loaded(), flush=True)
            self.poll = QTimer(interval=20)
            self.poll.timeout.connect(self.check)
            self.poll.start()
        return False

    def check(self):
        if self.window.entity_names():
            self.poll.stop()
            print("after load:", loaded(), len(self.window.entity_names()), flush=True)
            self.window.close()


watcher = FirstShow()
app.installEventFilter(watcher)
QTimer.singleShot(60_000, app.quit)  # a safety net: never hang the test run
sys.exit(launcher.main([]))
"""


def _gui_env(tmp_path, **extra):
    """The environment for a `warden` subprocess: its own data, log and config folders."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", WARDEN_LOG_DIR=str(tmp_path / "logs"))
    env.update(WARDEN_DATA_DIR=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.update(extra)
    return env


def test_window_shows_before_sqlalchemy_numpy_and_pgvector_load(tmp_path, demo_template):
    """The usual start (default database at head): the main window is shown before SQLAlchemy,
    numpy and pgvector are imported, and the database starts opening only once the window has painted
    (that import would hold the GIL against the first frame); then they load off the GUI thread and the
    navigator fills."""
    (tmp_path / "data").mkdir()
    shutil.copy(demo_template, tmp_path / "data" / "warden.db")
    env = _gui_env(tmp_path, QT_QPA_PLATFORM="offscreen")
    script = FIRST_SHOW_SCRIPT.format(heavy=HEAVY_MODULES)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert "at show: -" in lines, p.stdout
    assert "at paint: - pending 0" in lines, p.stdout
    after = next(line for line in lines if line.startswith("after load:"))
    assert "sqlalchemy" in after  # the catalog really was loaded, by the worker
    assert "logging.handlers" in after  # and the log file is set up
    assert int(after.split()[-1]) > 10  # and the navigator lists the demo tables


# --- Linux first run: one line instead of Qt's abort --------------------------------------------------


def _run_gui(env, tmp_path):
    """`warden --db <a file>` in a subprocess; (exit code, stderr lines)."""
    target = tmp_path / "absent.db"  # never reached: the display check comes first
    code = f"import sys; from gui.launcher import main; sys.exit(main(['--db', {str(target)!r}]))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert not target.exists()
    return p.returncode, p.stderr.strip().splitlines()


def _without_display(env):
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        env.pop(name, None)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb checks are for Linux")
def test_no_display_is_one_line(tmp_path):
    """Without DISPLAY or WAYLAND_DISPLAY, the launcher says so in one line instead of Qt aborting."""
    code, lines = _run_gui(_without_display(_gui_env(tmp_path)), tmp_path)
    assert code == 2
    assert len(lines) == 1 and "there is no display" in lines[0], lines


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb checks are for Linux")
def test_missing_xcb_library_names_the_package(tmp_path):
    """A libqxcb.so whose libxcb-cursor cannot be found (a copy that asks for a version no system
    has) makes the launcher print one line naming the library and the apt-get command, and exit 2."""
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    real = (plugins / "platforms" / "libqxcb.so").read_bytes()
    assert b"libxcb-cursor.so.0\x00" in real  # Qt 6.5+ needs it, as the README says
    qt = tmp_path / "Qt"
    (qt / "plugins" / "platforms").mkdir(parents=True)
    (qt / "plugins" / "platforms" / "libqxcb.so").write_bytes(
        real.replace(b"libxcb-cursor.so.0\x00", b"libxcb-cursor.so.9\x00")
    )
    # The plugin finds Qt's own libraries through its RUNPATH, $ORIGIN/../../lib.
    (qt / "lib").symlink_to(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath))
    env = _without_display(_gui_env(tmp_path))
    env.update(DISPLAY=":0", QT_QPA_PLATFORM_PLUGIN_PATH=str(qt / "plugins" / "platforms"))
    code, lines = _run_gui(env, tmp_path)
    assert code == 2
    assert len(lines) == 1, lines
    assert "libxcb-cursor.so.9" in lines[0]
    assert "sudo apt-get install libxcb-cursor0" in lines[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb checks are for Linux")
def test_unreachable_x_display_is_one_line(tmp_path):
    """DISPLAY names an X server that does not answer: one line saying so, not Qt's abort."""
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    if platform_check.missing_libraries(plugins):
        pytest.skip("this machine lacks the xcb libraries (covered by the missing-library test)")
    env = _without_display(_gui_env(tmp_path))
    env["DISPLAY"] = ":87"  # no X server listens there
    code, lines = _run_gui(env, tmp_path)
    assert code == 2
    assert len(lines) == 1 and "':87' (DISPLAY) does not answer" in lines[0], lines


def test_chosen_platform_and_wayland_are_left_to_qt():
    """QT_QPA_PLATFORM=offscreen (tests, a headless selftest) and a Wayland session skip the xcb checks."""
    assert platform_check.display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert platform_check.display_problem({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":87"}) is None


def test_only_a_plain_start_skips_the_command_line_parser():
    """`warden` and `warden --db X` open the window directly; anything else goes through the parser."""
    marker = launcher._NOT_JUST_THE_WINDOW
    assert launcher._window_target([]) is None
    assert launcher._window_target(["--db", "world.db"]) == "world.db"
    assert launcher._window_target(["--db=postgres://me@host/db"]) == "postgres://me@host/db"
    for argv in (["--db"], ["--db", "--help"], ["--db="], ["inspect", "--db", "x.db"], ["--help"]):
        assert launcher._window_target(argv) == marker, argv


# --- `warden --profile NAME`: the window on a saved profile, at its level ------------------------------

PROFILE_SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from gui import launcher
from gui.main_window import MainWindow

app = QApplication(sys.argv[:1])


def check():
    window = next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)), None)
    db = window.open_db.database if window is not None else None
    if db is None or not window.entity_names():
        return
    print("opened:", db.url.database, "read_only:", db.capabilities.read_only, "title:", window.windowTitle())
    poll.stop()
    window.close()


poll = QTimer(interval=50)
poll.timeout.connect(check)
poll.start()
QTimer.singleShot(60_000, app.quit)
sys.exit(launcher.main(["--profile", "world"]))
"""


def test_profile_opens_the_window_on_its_database_at_its_level(tmp_path, demo_template):
    """`warden --profile world` opens the profile's file read-only (its level), with the level in the
    title; an unknown profile is one line on stderr and exit 2, before any window."""
    env = _gui_env(tmp_path, QT_QPA_PLATFORM="offscreen")
    world = tmp_path / "world.db"
    shutil.copy(demo_template, world)
    code = (
        "from core.audit.profiles import Profile, save_profile; "
        f"save_profile(Profile('world', {str(world)!r}, 'read-only'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    p = subprocess.run(
        [sys.executable, "-c", PROFILE_SCRIPT], capture_output=True, text=True, timeout=120, env=env
    )
    assert p.returncode == 0, p.stderr
    line = next(ln for ln in p.stdout.splitlines() if ln.startswith("opened:"))
    assert str(world) in line and "read_only: True" in line and "READ-ONLY" in line, line
    code = "import sys; from gui.launcher import main; sys.exit(main(['--profile', 'nope']))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "nope" in p.stderr, p.stderr


# --- the windowed build has no stderr: a failure to start is shown in a dialog -------------------------


def test_without_a_console_a_failure_to_start_is_shown_in_a_dialog(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    seen: list[str] = []

    def read_and_close(box: QMessageBox) -> None:
        seen.append(box.text())
        box.accept()

    when_modal(QMessageBox, read_and_close, name="startFailure")
    with monkeypatch.context() as m:
        m.setattr(sys, "stderr", None)  # as PyInstaller's windowed exe starts
        code = launcher.main(["--profile", "no-such-profile"])
        assert sys.stderr is None
    assert code == 2
    assert len(seen) == 1 and "no-such-profile" in seen[0]
    assert not seen[0].startswith("warden: error:")


def test_with_a_console_a_failure_to_start_is_one_line_and_no_dialog(capsys):
    assert launcher.main(["--profile", "no-such-profile"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("warden: error:") and "no-such-profile" in err
