"""Where user data and logs live: platformdirs folders, never beside the executable."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

APP = "Warden"


def data_dir() -> Path:
    """The user data folder (WARDEN_DATA_DIR overrides it, for tests and portable installs)."""
    override = os.environ.get("WARDEN_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP, appauthor=False))


def log_dir() -> Path:
    """The user log folder (WARDEN_LOG_DIR overrides it)."""
    override = os.environ.get("WARDEN_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP, appauthor=False))


def log_file() -> Path:
    """Warden's log file in the log folder (core.logs.setup_logging writes it)."""
    return log_dir() / "warden.log"


def documents_dir() -> Path:
    """Where save dialogs start (exports, SQL files): the user's Documents folder, else the home folder;
    never the current folder, which for an installed app may be the program's own (not writable)."""
    found = Path(platformdirs.user_documents_dir())
    return found if found.is_dir() else Path.home()


def default_database() -> Path:
    """The embedded default database: a SQLite file in the user data folder."""
    return data_dir() / "warden.db"


@contextmanager
def data_dir_at(folder: Path) -> Iterator[Path]:
    """Point the user data folder at `folder` for a while (the selftest's run), then back as it was."""
    before = os.environ.get("WARDEN_DATA_DIR")
    os.environ["WARDEN_DATA_DIR"] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop("WARDEN_DATA_DIR", None)
        else:
            os.environ["WARDEN_DATA_DIR"] = before
