"""Slow-statement logging: statements slower than a threshold, with their SQL but never their values."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # core.engine.db imports this module to install the log on every engine it opens
    from core.engine.db import Database

__all__ = ["SlowStatement", "install_slow_log", "record_slow_statement", "slow_log"]

slow_log = logging.getLogger("warden.slow")


@dataclass
class SlowStatement:
    """One statement that took longer than the threshold; parameters are never kept."""

    duration_ms: float
    sql: str
    parameter_count: int
    at: float


def install_slow_log(db: Database, slow_ms: float) -> None:
    """Log every statement slower than `slow_ms`, with its SQL and duration, never its parameters.

    The timing wraps this engine's dialect's execute methods rather than listening to cursor events: an
    engine with any engine-level listener pays for event dispatch on every statement, begin and commit.
    """
    db.slow_ms = slow_ms
    dialect = db.engine.dialect
    do_execute, do_executemany = dialect.do_execute, dialect.do_executemany
    do_execute_no_params = dialect.do_execute_no_params
    clock = time.perf_counter

    def timed_execute(cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        t0 = clock()
        try:
            do_execute(cursor, statement, parameters, context)
        finally:
            if (ms := (clock() - t0) * 1000) >= slow_ms:
                record_slow_statement(db, ms, statement, parameters)

    def timed_executemany(cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        t0 = clock()
        try:
            do_executemany(cursor, statement, parameters, context)
        finally:
            if (ms := (clock() - t0) * 1000) >= slow_ms:
                record_slow_statement(db, ms, statement, parameters)

    def timed_no_params(cursor: Any, statement: str, context: Any = None) -> None:
        t0 = clock()
        try:
            do_execute_no_params(cursor, statement, context)
        finally:
            if (ms := (clock() - t0) * 1000) >= slow_ms:
                record_slow_statement(db, ms, statement, ())

    # Instance attributes: this engine's dialect only (every engine gets a dialect of its own).
    dialect.do_execute = timed_execute  # type: ignore[method-assign]
    dialect.do_executemany = timed_executemany  # type: ignore[method-assign]
    dialect.do_execute_no_params = timed_no_params  # type: ignore[method-assign]


def record_slow_statement(db: Database, ms: float, statement: str, parameters: Any) -> None:
    """Keep and log one slow statement: its duration, SQL and parameter count, never the values."""
    count = len(parameters) if isinstance(parameters, list | tuple | dict) else 0
    db.slow_statements.append(SlowStatement(ms, statement, count, time.time()))
    slow_log.warning(
        "slow statement %.0f ms [%d parameters redacted]: %s", ms, count, " ".join(statement.split())
    )
