"""Before the QApplication exists on Linux: is there a display, and can Qt's xcb plugin load?

Without a display, or without the xcb libraries, Qt aborts the process (qFatal) with advice about
reinstalling the application, which is the wrong fix and cannot be caught from Python. So the launcher
asks first, and prints one line saying what is missing and which packages bring it.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

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
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
_CANNOT_OPEN = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")


def display_problem(env: Mapping[str, str] | None = None, plugin_dir: Path | None = None) -> str | None:
    """One line saying why Qt could not open a window here, or None when it can (or we cannot tell)."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested and not requested.startswith("xcb"):
        return None  # offscreen, wayland, vnc…: the user chose it; Qt's own message is about that choice
    wayland = bool(env.get("WAYLAND_DISPLAY"))
    if not requested and not env.get("DISPLAY") and not wayland:
        return (
            "Warden cannot open its window: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is "
            "set). Run it inside a desktop session, or use the command line (warden --help)."
        )
    if not requested and wayland:
        return None  # Qt tries its wayland plugin first, and needs no xcb library when that works
    missing = missing_libraries(plugin_dir or _platform_plugin_dir(env))
    if missing:
        line = f"Warden needs these system libraries to open its window: {', '.join(missing)}."
        packages = sorted({p for p in map(debian_package, missing) if p})
        if packages:
            line += f" Install them with: sudo apt-get install {' '.join(packages)}"
        if any(not debian_package(name) for name in missing):
            line += " (Qt's own libraries are missing too: reinstall Warden.)"  # no package brings those
        return line
    display = env.get("DISPLAY", "")
    if display and not x_display_reachable(display):
        return (
            f"Warden cannot open its window: the X display '{display}' (DISPLAY) does not answer. "
            "Check that the desktop session is running and DISPLAY names it."
        )
    return None


def missing_libraries(plugin_dir: Path) -> list[str]:
    """The shared libraries the xcb plugin in `plugin_dir` needs and cannot find ([] when it loads)."""
    plugin = plugin_dir / XCB_PLUGIN
    if not plugin.is_file():
        return []  # a build without xcb: nothing to say about it here
    try:
        ctypes.CDLL(str(plugin))  # the same load Qt is about to do; a success costs nothing extra
        return []
    except OSError as exc:
        first = _CANNOT_OPEN.search(str(exc))
        everything = _ldd_missing(plugin)
        return everything or ([first.group(1)] if first else [])


def x_display_reachable(display: str) -> bool:
    """Whether an X server answers at `display` (True when libxcb cannot be asked: Qt will say)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return connection is not None and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection is not None:
            xcb.xcb_disconnect(connection)  # an error connection is freed the same way


def debian_package(library: str) -> str:
    """The Debian/Ubuntu package for a library file name such as 'libxcb-cursor.so.0' ('' if unknown)."""
    return DEBIAN_PACKAGES.get(library.split(".so", 1)[0], "")


def _ldd_missing(plugin: Path) -> list[str]:
    """Every library `ldd` reports as not found for `plugin`, directly or through another library."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(set(_NOT_FOUND.findall(out)))


def _platform_plugin_dir(env: Mapping[str, str]) -> Path:
    """Where Qt looks for platform plugins: QT_QPA_PLATFORM_PLUGIN_PATH, else its plugins/platforms."""
    override = env.get("QT_QPA_PLATFORM_PLUGIN_PATH")
    if override:
        return Path(override)
    from PySide6.QtCore import QLibraryInfo

    return Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
