"""A one-row save's audit entry goes to SQLite's driver cursor (core/data/audit_trail.py `_on_driver`):
without SQLAlchemy's per-statement execution, yet seen by the statement hooks and the slow log, with the
same typed errors, in the save's own transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.audit.log import list_entries
from core.data.audit_trail import Auditing
from core.data.changes import Insert, Update
from core.data.writes import save
from core.engine.db import Database, open_database
from core.engine.slowlog import install_slow_log
from core.errors import ConstraintViolated
from core.schema.catalog import Catalog
from core.schema.load import load_catalog

ENTRY = "INSERT INTO admin_audit_log"


@pytest.fixture
def sqlite_schema(tmp_path: Path) -> Iterator[Database]:
    """A SQLite file with the reference schema (the one-entry statement is SQLite's)."""
    from core.schema.models import metadata

    db = open_database(str(tmp_path / "w.db"), create=True)
    metadata.create_all(db.engine)
    yield db
    db.dispose()


def _user(db: Database, catalog: Catalog) -> dict[str, Any]:
    saved = save(db, catalog, [Insert("users", {"username": "a", "email": "a@x.org", "display_name": "A"})])
    return saved.inserted[0].key


def test_the_entry_skips_sqlalchemys_execution_but_hooks_see_it(sqlite_schema: Database) -> None:
    """The cursor hooks see the entry's INSERT once before and once after it runs, with its 11 values, and no
    SQLAlchemy execution context (none is built for it); the entries are stored."""
    catalog = load_catalog(sqlite_schema, cached=False)
    key = _user(sqlite_schema, catalog)
    sent: list[tuple[str, Any, Any]] = []
    ran: list[tuple[str, Any]] = []
    engine = sqlite_schema.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *a: sent.append((a[2], a[3], a[4])))
    sa.event.listen(engine, "after_cursor_execute", lambda *a: ran.append((a[2], a[4])))
    for i in range(2):
        save(sqlite_schema, catalog, [Update("users", key, {"display_name": f"n{i}"}, {}, i + 1)])
    entries = [(params, context) for sql, params, context in sent if sql.startswith(ENTRY)]
    assert len(entries) == 2 and all(isinstance(p, tuple) and len(p) == 11 for p, _ in entries)
    assert [context for _, context in entries] == [None, None]
    assert [context for sql, context in ran if sql.startswith(ENTRY)] == [None, None]
    assert [e.after for e in list_entries(sqlite_schema, catalog)][:2] == [
        {"display_name": "n1"},
        {"display_name": "n0"},
    ]


def test_a_hook_that_rewrites_the_statement_is_obeyed(sqlite_schema: Database) -> None:
    """A before_cursor_execute hook with retval=True changes what the driver runs, as in SQLAlchemy."""
    catalog = load_catalog(sqlite_schema, cached=False)
    key = _user(sqlite_schema, catalog)

    def rewrite(_c: Any, _cur: Any, sql: str, params: Any, *_: Any) -> tuple[str, Any]:
        if sql.startswith(ENTRY):
            params = (*params[:8], "rewritten", *params[9:])  # the reason column
        return sql, params

    sa.event.listen(sqlite_schema.engine, "before_cursor_execute", rewrite, retval=True)
    edit = Update("users", key, {"display_name": "b"}, {}, 1)
    save(sqlite_schema, catalog, [edit], audit=Auditing(user="u"))
    assert list_entries(sqlite_schema, catalog)[0].reason == "rewritten"


def test_the_slow_log_times_the_entry(sqlite_schema: Database) -> None:
    """The slow log wraps the dialect's execute: the entry's INSERT is timed like every other statement."""
    catalog = load_catalog(sqlite_schema, cached=False)
    key = _user(sqlite_schema, catalog)
    install_slow_log(sqlite_schema, 0.0)
    save(sqlite_schema, catalog, [Update("users", key, {"display_name": "b"}, {}, 1)])
    logged = [s for s in sqlite_schema.slow_statements if s.sql.startswith(ENTRY)]
    assert len(logged) == 1 and logged[0].parameter_count == 11


def test_a_refused_entry_is_a_typed_error_and_the_save_writes_nothing(sqlite_schema: Database) -> None:
    """A driver error on the entry is the same typed error SQLAlchemy's path raises, and rolls the whole
    save back: the edited row keeps its value and no entry is left."""
    catalog = load_catalog(sqlite_schema, cached=False)
    key = _user(sqlite_schema, catalog)
    with sqlite_schema.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER no_entries BEFORE INSERT ON admin_audit_log BEGIN SELECT RAISE(ABORT, 'no'); END"
        )
    with pytest.raises(ConstraintViolated):
        save(sqlite_schema, catalog, [Update("users", key, {"display_name": "b"}, {}, 1)])
    with sqlite_schema.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT display_name FROM users").scalar_one() == "A"
        assert conn.exec_driver_sql("SELECT count(*) FROM admin_audit_log").scalar_one() == 1  # the insert's
    with sqlite_schema.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER no_entries")
    save(sqlite_schema, catalog, [Update("users", key, {"display_name": "b"}, {}, 1)])  # the connection works
    assert list_entries(sqlite_schema, catalog)[0].after == {"display_name": "b"}
