"""The application log: one rotating file in the user log folder, shared by the CLI and the GUI."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from core.paths import log_file

_configured: Path | None = None


def setup_logging(level: int = logging.INFO) -> Path:
    """Send warden.* log records to the log file once per process; return the file's path."""
    global _configured
    if _configured is not None:
        return _configured
    path = log_file()
    folder = path.parent
    root = logging.getLogger("warden")
    root.setLevel(level)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        # An unwritable log folder must not stop the app; keep records in memory-less null handler.
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    _configured = path
    return path
