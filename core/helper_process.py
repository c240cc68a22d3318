"""A helper process of Warden's own, beside the one at work (a two-process export, a copy's check).

From a checkout it is this module run by the same Python (`python -P -m`), with this checkout first on its
path; a frozen build has no `-m` (its sys.executable is the app itself), so it runs itself with a hidden
first argument that gui/launcher.py hands to the helper's entry. The helper talks over its stdin and stdout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["available", "start"]


def available() -> bool:
    """Whether a helper process can be started: an executable to run (a Python, or the frozen app)."""
    return bool(sys.executable)


def start(module: str, frozen_arg: str) -> subprocess.Popen[bytes]:
    """`module` as a helper process with pipes on its stdin and stdout (its stderr dropped, no console
    window on Windows); OSError when it cannot be started."""
    # -P: `-m` would put the current folder first on the path, and a folder holding another `core` package
    # (an older checkout) would be imported instead of this one.
    frozen = getattr(sys, "frozen", False)
    command = [sys.executable, frozen_arg] if frozen else [sys.executable, "-P", "-m", module]
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # Windows: no console window flashes up
    )
