"""Where a database stands: current, heads, pending with docstrings, the history graph, drift in words."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.migrate import migrations as mig
from core.migrate.drift import drift_report
from core.migrate.status import graph, status

CHAIN = Path(__file__).resolve().parents[1] / "fixtures" / "migrations_chain"

REVISION = '''"""{doc}"""

import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("t_{rev}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("t_{rev}")
'''


@pytest.fixture
def db(empty_url: str) -> Iterator[Database]:
    """A fresh, empty database on each backend."""
    database = open_database(empty_url, create=True)
    yield database
    database.dispose()


def branchy(tmp_path: Path, *, merged: bool) -> Path:
    """A script folder: base a, two branches b and c from it, and (when merged) m joining them."""
    scripts = tmp_path / "branchy"
    (scripts / "versions").mkdir(parents=True)
    shutil.copy(CHAIN / "env.py", scripts / "env.py")
    revs: list[tuple[str, object, str]] = [
        ("aaa", None, "Base."),
        ("bbb", "aaa", "Branch b."),
        ("ccc", "aaa", "Branch c."),
    ]
    if merged:
        revs.append(("mmm", ("bbb", "ccc"), "Merge b and c."))
    for rev, down, doc in revs:
        (scripts / "versions" / f"{rev}.py").write_text(REVISION.format(rev=rev, down=down, doc=doc))
    return scripts


def test_status_of_an_empty_database_lists_every_revision_pending(db: Database) -> None:
    found = status(db)
    assert found.current == [] and found.heads == mig.heads() and not found.at_head
    assert [r.revision for r in found.pending][-1] in found.heads
    assert all(r.doc and r.docstring.startswith(r.doc.splitlines()[0][:20]) for r in found.pending)
    assert not any(n.applied for n in found.graph)
    assert found.drift is not None and any(d.words == "missing table regions" for d in found.drift)


def test_status_after_upgrade_is_at_head_without_drift(db: Database) -> None:
    mig.upgrade(db)
    found = status(db)
    assert found.at_head and found.pending == [] and found.current == found.heads
    assert (
        all(n.applied for n in found.graph)
        and [n.revision for n in found.graph if n.is_current] == found.heads
    )
    assert found.drift == []


def test_status_of_a_chain_part_way(db: Database) -> None:
    mig.upgrade(db, "c1a000000001", scripts=CHAIN)
    found = status(db, scripts=CHAIN)
    assert found.current == ["c1a000000001"] and found.heads == ["c1a000000003"]
    assert [r.revision for r in found.pending] == ["c1a000000002", "c1a000000003"]
    assert found.pending[0].doc == "Add notes.tag, a short label."
    assert "second revision of the test chain" in found.pending[0].docstring
    assert {n.revision: n.applied for n in found.graph} == {
        "c1a000000003": False,
        "c1a000000002": False,
        "c1a000000001": True,
    }
    assert found.drift is None  # no models to compare an outside chain with


def test_graph_marks_branch_points_and_merges(db: Database, tmp_path: Path) -> None:
    scripts = branchy(tmp_path, merged=True)
    mig.upgrade(db, "bbb", scripts=scripts)
    nodes = {n.revision: n for n in graph(db, scripts=scripts)}
    assert nodes["aaa"].is_branch_point and not nodes["bbb"].is_branch_point
    assert nodes["mmm"].is_merge and set(nodes["mmm"].down_revisions) == {"bbb", "ccc"}
    assert {r for r, n in nodes.items() if n.applied} == {"aaa", "bbb"}
    assert [r.revision for r in status(db, scripts=scripts).pending] == ["ccc", "mmm"]


def test_drift_after_a_manual_alter_table_in_words_with_fix_sql(db: Database) -> None:
    mig.upgrade(db)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE locations ADD COLUMN scribbles TEXT")
        conn.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("DROP INDEX ix_orders_user_id")
    items = {d.words: d for d in drift_report(db)}
    assert set(items) == {
        "extra column locations.scribbles",
        "extra table stray",
        "missing index ix_orders_user_id on orders",
    }
    assert "DROP TABLE stray" in items["extra table stray"].fix_sql
    assert (
        "CREATE INDEX ix_orders_user_id ON orders (user_id)"
        in items["missing index ix_orders_user_id on orders"].fix_sql
    )
    column_fix = items["extra column locations.scribbles"].fix_sql
    if db.backend == "postgresql":
        assert "ALTER TABLE locations DROP COLUMN scribbles" in column_fix
    else:  # SQLite rebuilds the table (Alembic batch mode) without the column
        assert "_alembic_tmp_locations" in column_fix and "scribbles" not in column_fix.split("INSERT")[0]
    assert mig.drift(db) == list(items) or set(mig.drift(db)) == set(items)


def test_drift_names_types_as_the_database_writes_them(db: Database) -> None:
    mig.upgrade(db)
    if db.backend == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE users ALTER COLUMN username TYPE TEXT")
            conn.exec_driver_sql("ALTER TABLE locations ALTER COLUMN embedding TYPE vector(3) USING NULL")
        words = {d.words for d in drift_report(db)}
        assert "type differs: users.username is TEXT in the database, VARCHAR(40) in the models" in words
        assert (
            "type differs: locations.embedding is VECTOR(3) in the database, VECTOR(384) in the models"
            in words
        )
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE shape (id INTEGER NOT NULL PRIMARY KEY, name TEXT)")
        m = sa.MetaData()
        sa.Table("shape", m, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(100)))
        words = {d.words for d in drift_report(db, m) if d.table == "shape"}
        assert words == {"type differs: shape.name is TEXT in the database, VARCHAR(100) in the models"}


def test_drift_ignores_sqlite_vec_shadow_tables(tmp_path: Path) -> None:
    db = open_database(tmp_path / "vec.db", create=True)
    mig.upgrade(db)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE VIRTUAL TABLE note_vectors USING vec0(embedding float[4])")
        conn.exec_driver_sql("CREATE VIRTUAL TABLE note_text USING fts5(body)")
    assert drift_report(db) == []
    db.dispose()


def test_drift_reports_enum_values_alembic_check_misses(db: Database) -> None:
    mig.upgrade(db)
    enum_col = next(
        (t.name, c.name, c.type)
        for t in _models().sorted_tables
        for c in t.columns
        if isinstance(c.type, sa.Enum)
    )
    table, column, type_ = enum_col
    kept = list(type_.enums)[:-1]
    values = ", ".join(f"'{v}'" for v in kept)
    checks = sa.inspect(db.engine).get_check_constraints(table)
    (check,) = [c for c in checks if column in str(c["sqltext"])]
    if db.backend == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{check["name"]}"')
            conn.exec_driver_sql(
                f'ALTER TABLE {table} ADD CONSTRAINT "{check["name"]}" CHECK ({column} IN ({values}))'
            )
    else:
        sql = _sqlite_create(db, table)
        old = str(check["sqltext"])
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA writable_schema = ON")
            conn.execute(
                sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"),
                {"sql": sql.replace(old, f"{column} IN ({values})"), "t": table},
            )
            conn.exec_driver_sql("PRAGMA writable_schema = OFF")
        db.engine.dispose()
    found = [d for d in drift_report(db) if d.kind == "enum_values"]
    assert [(d.table, d.column) for d in found] == [(table, column)]
    assert "1 value(s) missing in the database" in found[0].words


def _models() -> sa.MetaData:
    from core.schema.models import metadata

    return metadata


def _sqlite_create(db: Database, table: str) -> str:
    with db.engine.connect() as conn:
        return str(
            conn.execute(sa.text("select sql from sqlite_master where name = :t"), {"t": table}).scalar()
        )
