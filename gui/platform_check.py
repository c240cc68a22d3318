"""On Linux: is there a display, and can Qt's xcb plugin load?

Without a display, or without the xcb libraries, Qt aborts the process (qFatal) with advice about
reinstalling the application, which is the wrong fix and cannot be caught from Python. So the launcher
checks the environment first (free), and while the QApplication is made, a Qt message handler turns
Qt's fatal "no platform plugin" into one line saying what is missing and which packages bring it. The
libraries are only looked into on that failure: a check on every start cost about 35 ms before the window.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

#: The Debian/Ubuntu package that provides each library the xcb platform plugin and Qt's GUI need,
#: by library name without its version (`ldd` on libqxcb.so and libQt6XcbQpa.so.6, `dpkg -S` on each).
DEBIAN_PACKAGES = {
    "libxcb-cursor": "libxcb-cursor0",
    "libxcb-icccm": "libxcb-icccm4",
    "libxcb-image": "libxcb-image0",
    "libxcb-keysyms": "libxcb-keysyms1",
    "libxcb-randr": "libxcb-randr0",
    "libxcb-render-util": "libxcb-render-util0",
    "libxcb-render": "libxcb-render0",
    "libxcb-shape": "libxcb-shape0",
    "libxcb-shm": "libxcb-shm0",
    "libxcb-sync": "libxcb-sync1",
    "libxcb-util": "libxcb-util1",
    "libxcb-xfixes": "libxcb-xfixes0",
    "libxcb-xkb": "libxcb-xkb1",
    "libxcb-glx": "libxcb-glx0",
    "libxcb": "libxcb1",
    "libxkbcommon-x11": "libxkbcommon-x11-0",
    "libxkbcommon": "libxkbcommon0",
    "libX11-xcb": "libx11-xcb1",
    "libX11": "libx11-6",
    "libEGL": "libegl1",
    "libGL": "libgl1",
    "libGLX": "libglx0",
    "libOpenGL": "libopengl0",
    "libfontconfig": "libfontconfig1",
    "libfreetype": "libfreetype6",
    "libglib-2.0": "libglib2.0-0",
    "libgthread-2.0": "libglib2.0-0",
    "libdbus-1": "libdbus-1-3",
}
XCB_PLUGIN = "libqxcb.so"
_NOT_FOUND = r"^\s*(\S+)\s+=>\s+not found"
_CANNOT_OPEN = r"(\S+\.so[.\d]*): cannot open shared object file"
EXIT_NO_WINDOW = 2


def display_problem(env: Mapping[str, str] | None = None) -> str | None:
    """One line saying there is no display at all, or None (what the environment alone tells)."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested and not requested.startswith("xcb"):
        return None  # offscreen, wayland, vnc…: the user chose it; Qt's own message is about that choice
    if not requested and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return (
            "Warden cannot open its window: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is "
            "set). Run it inside a desktop session, or use the command line (warden --help)."
        )
    return None


@contextlib.contextmanager
def platform_guard(env: Mapping[str, str] | None = None) -> Iterator[None]:
    """While the QApplication is made: Qt's fatal failure to start a platform plugin becomes one line on
    stderr and exit code 2 (instead of an abort advising a reinstall). Other messages are printed after."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    seen: list[str] = []

    def handler(kind: QtMsgType, _context: Any, text: str) -> None:
        if kind == QtMsgType.QtFatalMsg:
            print(platform_failure_line([*seen, text], os.environ if env is None else env), file=sys.stderr)
            sys.stderr.flush()
            os._exit(EXIT_NO_WINDOW)  # Qt aborts when the handler returns
        seen.append(text)  # held back: if the start fails, the one line replaces them

    previous = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)
        for text in seen:
            print(text, file=sys.stderr)


def platform_failure_line(messages: list[str], env: Mapping[str, str]) -> str:
    """The one line for Qt's failure to start its platform plugin, from what Qt said before it."""
    missing = missing_libraries(_platform_plugin_dir(env))
    if missing:
        line = f"Warden needs these system libraries to open its window: {', '.join(missing)}."
        packages = sorted({p for p in map(debian_package, missing) if p})
        if packages:
            line += f" Install them with: sudo apt-get install {' '.join(packages)}"
        if any(not debian_package(name) for name in missing):
            line += " (Qt's own libraries are missing too: reinstall Warden.)"  # no package brings those
        return line
    display = env.get("DISPLAY", "")
    if any("could not connect to display" in m.lower() for m in messages) and display:
        return (
            f"Warden cannot open its window: the X display '{display}' (DISPLAY) does not answer. "
            "Check that the desktop session is running and DISPLAY names it."
        )
    first = next((m for m in messages if m.strip()), "no reason given").strip().splitlines()[0]
    return f"Warden cannot open its window: Qt could not start its display plugin ({first})."


def missing_libraries(plugin_dir: Path) -> list[str]:
    """The shared libraries the xcb plugin in `plugin_dir` needs and cannot find ([] when it loads)."""
    import ctypes
    import re

    plugin = plugin_dir / XCB_PLUGIN
    if not plugin.is_file():
        return []  # a build without xcb: nothing to say about it here
    try:
        ctypes.CDLL(str(plugin))  # the load Qt failed: its error names the first missing library
        return []
    except OSError as exc:
        first = re.search(_CANNOT_OPEN, str(exc))
        everything = _ldd_missing(plugin)
        return everything or ([first.group(1)] if first else [])


def debian_package(library: str) -> str:
    """The Debian/Ubuntu package for a library file name such as 'libxcb-cursor.so.0' ('' if unknown)."""
    return DEBIAN_PACKAGES.get(library.split(".so", 1)[0], "")


def _ldd_missing(plugin: Path) -> list[str]:
    """Every library `ldd` reports as not found for `plugin`, directly or through another library."""
    import re
    import shutil
    import subprocess

    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(set(re.findall(_NOT_FOUND, out, re.MULTILINE)))


def _platform_plugin_dir(env: Mapping[str, str]) -> Path:
    """Where Qt looks for platform plugins: QT_QPA_PLATFORM_PLUGIN_PATH, else its plugins/platforms."""
    override = env.get("QT_QPA_PLATFORM_PLUGIN_PATH")
    if override:
        return Path(override)
    from PySide6.QtCore import QLibraryInfo

    return Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
