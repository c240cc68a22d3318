"""The database a command works on: its --db option, and opening it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from core.errors import WardenError

if TYPE_CHECKING:
    from core.engine.db import Database


def db_arg(p: argparse.ArgumentParser) -> None:
    """A subcommand's own --db, so it may follow the command's name."""
    p.add_argument("--db", dest="db_sub", help="SQLAlchemy URL or SQLite file path")


def require(target: str | None) -> str:
    """The --db target, or the error a command that needs one gives without it."""
    if not target:
        raise WardenError("this command needs --db URL|PATH")
    return target


def open_target(target: str | None, **kw: Any) -> Database:
    """Open the command's database (SQLAlchemy is imported here, when a command needs it)."""
    from core.engine.db import open_database

    return open_database(require(target), **kw)
