"""PostgreSQL: a revision that drops or narrows data runs after its tables were copied into warden_backup."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.errors import NotFoundError
from core.migrate import migrations as mig
from core.migrate.pg_copies import SCHEMA, drop_copy, list_copies
from tests.fixtures.postgres import new_pg_database

CHAIN = Path(__file__).resolve().parents[1] / "fixtures" / "migrations_chain"
R1, R2 = "c1a000000001", "c1a000000002"


@pytest.fixture
def pg(pg_server: object) -> Iterator[Database]:
    """A PostgreSQL database at the chain's second revision with tagged notes."""
    db = open_database(new_pg_database(pg_server))
    mig.upgrade(db, R2, scripts=CHAIN)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("insert into notes (id, body, tag) values (1, 'a', 'red'), (2, 'b', null)")
    yield db
    db.dispose()


def test_a_downgrade_that_drops_a_column_copies_its_table_first(pg: Database) -> None:
    result = mig.downgrade(pg, R1, scripts=CHAIN)
    assert result.after == [R1] and len(result.copies) == 1
    (name,) = result.copies
    assert name.startswith(f"notes_{R2}_")
    with pg.engine.connect() as conn:
        kept = conn.execute(sa.text(f'select id, tag from {SCHEMA}."{name}" order by id')).all()
    assert [tuple(r) for r in kept] == [(1, "red"), (2, None)]  # the dropped values can be brought back
    (listed,) = list_copies(pg)
    assert listed.name == name and listed.rows == 2
    assert listed.note == f"Warden copy of notes before revision {R2}"
    drop_copy(pg, name)
    assert list_copies(pg) == []
    with pytest.raises(NotFoundError, match="No copy named"):
        drop_copy(pg, name)


def test_a_revision_that_loses_nothing_copies_nothing(pg: Database) -> None:
    mig.downgrade(pg, "base", scripts=CHAIN)  # copies notes twice: a column, then the table
    assert len(list_copies(pg)) == 2
    result = mig.upgrade(pg, R2, scripts=CHAIN)
    assert result.copies == () and len(list_copies(pg)) == 2


def test_the_cli_lists_and_drops_copies(pg: Database, capsys: pytest.CaptureFixture[str]) -> None:
    from core import cli

    url = pg.url.render_as_string(hide_password=False)
    mig.downgrade(pg, R1, scripts=CHAIN)
    assert cli.main(["migrate", "backups", "--db", url, "--json"]) == 0
    (copy,) = json.loads(capsys.readouterr().out)
    assert copy["rows"] == 2 and copy["name"].startswith("notes_")
    assert cli.main(["migrate", "drop-copy", copy["name"], "--db", url]) == 0
    assert list_copies(pg) == []
