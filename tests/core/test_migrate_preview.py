"""SQL preview for any range, both directions, from Alembic's offline mode; nothing touches the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.errors import MigrationFailed, NotFoundError
from core.migrate import migrations as mig
from core.migrate.preview import save, sql

CHAIN = Path(__file__).resolve().parents[1] / "fixtures" / "migrations_chain"


@pytest.fixture
def db(empty_url: str) -> Iterator[Database]:
    """A fresh, empty database on each backend."""
    database = open_database(empty_url, create=True)
    yield database
    database.dispose()


def test_a_range_upward_from_base() -> None:
    text = sql("postgresql", "base:c1a000000002", scripts=CHAIN)
    assert "CREATE TABLE notes" in text and "ALTER TABLE notes ADD COLUMN tag VARCHAR(40)" in text
    assert "score" not in text  # the range stops at its end


def test_a_range_downward_names_each_revision_undone() -> None:
    text = sql("postgresql", "c1a000000002:base", scripts=CHAIN)
    assert text.index("ALTER TABLE notes DROP COLUMN tag") < text.index("DROP TABLE notes")
    assert "-- Running downgrade c1a000000002 -> c1a000000001" in text


def test_a_middle_range_between_two_revisions() -> None:
    text = sql("postgresql", "c1a000000001:c1a000000002", scripts=CHAIN)
    assert "ADD COLUMN tag" in text and "CREATE TABLE notes" not in text


def test_a_database_target_starts_at_its_current_revision(db: Database) -> None:
    mig.upgrade(db, "c1a000000001", scripts=CHAIN)
    text = sql(db, "c1a000000002", scripts=CHAIN)
    assert "CREATE TABLE notes" not in text and "ADD COLUMN tag" in text
    assert mig.current(db) == ["c1a000000001"]  # a preview changes nothing
    assert "tag" not in {c["name"] for c in sa.inspect(db.engine).get_columns("notes")}
    assert "DROP TABLE notes" in sql(db, "base", scripts=CHAIN)  # below the current one: a downgrade


def test_a_revision_that_fails_names_itself() -> None:
    with pytest.raises(MigrationFailed, match="stopped at revision c1a000000003: revision three stops"):
        sql("postgresql", "head", scripts=CHAIN)


def test_a_sqlite_batch_rebuild_is_refused_with_a_reason() -> None:
    with pytest.raises(MigrationFailed, match=r"revision c1a000000002: it rebuilds a table \(Alembic batch"):
        sql("sqlite", "c1a000000002:base", scripts=CHAIN)


def test_unknown_revisions_in_a_range(db: Database) -> None:
    with pytest.raises(NotFoundError, match="Unknown revision 'nope'"):
        sql("sqlite", "nope:head", scripts=CHAIN)
    with pytest.raises(NotFoundError, match="Unknown revision 'nope'"):
        sql(db, "base:nope")


def test_the_reference_schema_both_ways_and_saved(tmp_path: Path) -> None:
    (head,) = mig.heads()
    up = sql("sqlite", f"base:{head}")
    down = sql("sqlite", f"{head}:base")
    assert "CREATE TABLE regions" in up and "DROP TABLE regions" in down
    saved = save(up, tmp_path / "upgrade.sql")
    assert saved.read_text(encoding="utf-8") == up
