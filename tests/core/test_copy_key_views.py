"""A fresh table's primary key is dropped for its copy and built again after its rows (7c38e7a), unless
something leans on it: a foreign key, or a view whose GROUP BY relies on the key (PostgreSQL records that
dependency and refuses the drop). Such a key stays, and the copy goes through."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.engine.db import open_database
from core.migrate.copy import copy_database
from tests.fixtures.postgres import new_pg_database


def test_a_key_a_view_leans_on_is_kept_and_the_copy_goes_through(tmp_path: Path, pg_server: object) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as c:
        c.execute("create table items (id integer primary key, name text)")
        c.executemany("insert into items values (?, ?)", [(i, f"n{i}") for i in range(1, 50)])
    c.close()
    source, target = open_database(str(path)), open_database(new_pg_database(pg_server))
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql("create table items (id bigint primary key, name text)")
            conn.exec_driver_sql("create view named as select id, name from items group by id")
        result = copy_database(source, target)
        with target.engine.connect() as conn:
            seen = conn.exec_driver_sql("select count(*) from named").scalar_one()
    finally:
        source.dispose()
        target.dispose()
    assert result.ok and seen == 49
