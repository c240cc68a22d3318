"""The application log: one rotating file in the user log folder, shared by the CLI and the GUI."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import Any

from core.paths import log_file
from core.redact import format_exception

_configured: Path | None = None
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Formats records as logging does, but an exception's traceback without the values it may quote.

    `log.exception(...)` anywhere goes through here: the traceback keeps its frames, each message is
    kept only when it cannot carry row values (core/redact.py). The record's own message is left as it is.
    """

    def formatException(self, ei: Any) -> str:
        """The redacted traceback of a record's exc_info."""
        exc = ei[1] if ei else None
        if not isinstance(exc, BaseException):
            return ""
        return format_exception(exc, ei[2]).rstrip("\n")

    def format(self, record: logging.LogRecord) -> str:
        """The record's line; its traceback formatted here, never another handler's cached text."""
        cached = record.exc_text
        record.exc_text = None  # another handler's formatter may have cached the unredacted text
        try:
            return super().format(record)
        finally:
            record.exc_text = cached


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
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    root.addHandler(handler)
    _configured = path
    return path
