"""Destructive-change lint on real databases: each revision's operations, recorded, with affected rows."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.engine.db import Database, open_database
from core.migrate import migrations as mig
from core.migrate.lint import lint

CHAIN = Path(__file__).resolve().parents[1] / "fixtures" / "migrations_chain"

BASE = '''"""Notes with a body, a label and a rank."""

import sqlalchemy as sa
from alembic import op

revision = "l1000000base"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("body", sa.Text),
        sa.Column("label", sa.String(100)),
        sa.Column("rank", sa.BigInteger),
    )
    op.create_index("ix_notes_label", "notes", ["label"])


def downgrade() -> None:
    op.drop_table("notes")
'''

STEP = '''"""{doc}"""

import sqlalchemy as sa
from alembic import op

revision = "l1000000step"
down_revision = "l1000000base"
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
'''


@pytest.fixture
def db(empty_url: str) -> Iterator[Database]:
    """A fresh, empty database on each backend."""
    database = open_database(empty_url, create=True)
    yield database
    database.dispose()


def project(tmp_path: Path, doc: str, body: str) -> Path:
    """A script folder: the notes table, then one step whose upgrade() is `body`."""
    scripts = tmp_path / "lintme"
    (scripts / "versions").mkdir(parents=True)
    shutil.copy(CHAIN / "env.py", scripts / "env.py")
    (scripts / "versions" / "base.py").write_text(BASE)
    (scripts / "versions" / "step.py").write_text(STEP.format(doc=doc, body=body))
    return scripts


def notes_at_base(db: Database, scripts: Path) -> None:
    """The base revision applied and four notes written: three bodies, one long label, one NULL rank."""
    mig.upgrade(db, "l1000000base", scripts=scripts)
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("insert into notes (id, body, label, rank) values (:i, :b, :l, :r)"),
            [
                {"i": 1, "b": "one", "l": "short", "r": 1},
                {"i": 2, "b": "two", "l": "a label longer than ten", "r": 2},
                {"i": 3, "b": "three", "l": None, "r": None},
                {"i": 4, "b": None, "l": "x", "r": 4},
            ],
        )


def _snapshot(db: Database) -> tuple[list[str], list[tuple[object, ...]], list[str]]:
    with db.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text("select * from notes order by id"))]
    return mig.current(db), rows, sorted(c["name"] for c in sa.inspect(db.engine).get_columns("notes"))


def test_a_dropped_column_counts_the_values_it_loses(db: Database, tmp_path: Path) -> None:
    scripts = project(
        tmp_path,
        "Drop notes.body.",
        '    with op.batch_alter_table("notes") as batch:\n        batch.drop_column("body")',
    )
    notes_at_base(db, scripts)
    before = _snapshot(db)
    (found,) = lint(db, scripts=scripts)
    assert (
        found.revision == "l1000000step" and found.verb == "upgrade" and found.message == "Drop notes.body."
    )
    assert [f.words for f in found.findings] == ["drops column body from notes: 3 rows hold a value"]
    assert found.findings[0].rows == 3 and found.findings[0].loses_data and found.destructive
    assert _snapshot(db) == before  # the lint executes nothing


def test_a_narrowed_type_counts_the_values_that_do_not_fit(db: Database, tmp_path: Path) -> None:
    scripts = project(
        tmp_path,
        "Shorter labels, smaller ranks.",
        '    with op.batch_alter_table("notes") as batch:\n'
        '        batch.alter_column("label", type_=sa.String(10), existing_type=sa.String(100))\n'
        '        batch.alter_column("rank", type_=sa.Integer(), existing_type=sa.BigInteger())',
    )
    notes_at_base(db, scripts)
    words = [f.words for f in lint(db, scripts=scripts)[0].findings]
    assert "narrows notes.label: length 100 to 10: 1 row holds a longer value" in words
    assert "narrows notes.rank: BIGINT to INTEGER: 3 rows hold a value" in words


def test_not_null_without_a_default_on_a_table_with_rows(db: Database, tmp_path: Path) -> None:
    scripts = project(
        tmp_path,
        "Required fields.",
        '    op.add_column("notes", sa.Column("kind", sa.String(10), nullable=False))\n'
        '    with op.batch_alter_table("notes") as batch:\n'
        '        batch.alter_column("body", nullable=False, existing_type=sa.Text())',
    )
    notes_at_base(db, scripts)
    findings = lint(db, scripts=scripts)[0].findings
    words = [f.words for f in findings]
    assert "adds NOT NULL column kind to notes without a default: 4 rows exist" in words
    assert "makes notes.body NOT NULL: 1 row has no value" in words
    assert not any(f.loses_data for f in findings if f.kind == "not_null")


def test_dropped_indexes_and_tables(db: Database, tmp_path: Path) -> None:
    scripts = project(
        tmp_path,
        "Drop it all.",
        '    op.drop_index("ix_notes_label", table_name="notes")\n    op.drop_table("notes")',
    )
    notes_at_base(db, scripts)
    findings = lint(db, scripts=scripts)[0].findings
    assert [f.words for f in findings] == [
        "drops index ix_notes_label on notes",
        "drops table notes: 4 rows hold data",
    ]
    assert [f.loses_data for f in findings] == [False, True]


def test_a_downgrade_lints_the_revisions_it_would_undo(db: Database) -> None:
    mig.upgrade(db, "c1a000000002", scripts=CHAIN)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("insert into notes (id, body, tag) values (1, 'a', 't'), (2, 'b', null)")
    one = lint(db, "c1a000000001", scripts=CHAIN)
    assert [(r.revision, r.verb) for r in one] == [("c1a000000002", "downgrade")]
    assert [f.words for f in one[0].findings] == ["drops column tag from notes: 1 row holds a value"]
    both = lint(db, "base", scripts=CHAIN)
    assert [r.revision for r in both] == ["c1a000000002", "c1a000000001"]
    assert both[1].findings[0].words == "drops table notes: 2 rows hold data"
    assert mig.current(db) == ["c1a000000002"]


def test_a_range_and_a_script_that_raises(db: Database) -> None:
    found = lint(db, "c1a000000001:head", scripts=CHAIN)
    assert [r.revision for r in found] == ["c1a000000002", "c1a000000003"]
    assert not found[0].destructive
    broken = found[1]
    assert broken.error == "its upgrade() raised RuntimeError: revision three stops halfway on purpose"
    assert [f.kind for f in broken.findings] == ["sql"] and broken.destructive


def test_the_reference_revisions_drop_indexes_but_no_data(db: Database) -> None:
    found = lint(db)
    assert [r.revision for r in found] == [r.revision for r in mig.pending(db)]
    dropped = [f for r in found for f in r.findings]
    assert "drops index ix_tool_executions_status on tool_executions" in [f.words for f in dropped]
    assert not any(f.loses_data for f in dropped) and all(r.error is None for r in found)


def test_sqlite_rebuild_that_would_drop_a_trigger_or_break_a_view(tmp_path: Path) -> None:
    db = open_database(tmp_path / "rebuild.db", create=True)
    scripts = project(
        tmp_path,
        "Drop notes.rank.",
        '    with op.batch_alter_table("notes") as batch:\n        batch.drop_column("rank")',
    )
    notes_at_base(db, scripts)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE log (note_id INTEGER)")
        conn.exec_driver_sql(
            "CREATE TRIGGER notes_log AFTER INSERT ON notes BEGIN INSERT INTO log VALUES (new.id); END"
        )
        conn.exec_driver_sql("CREATE VIEW short_notes AS SELECT id, body FROM notes WHERE length(body) < 4")
        conn.exec_driver_sql("CREATE INDEX ix_notes_lower ON notes (lower(body))")
    words = [f.words for f in lint(db, scripts=scripts)[0].findings]
    assert words[0] == "drops column rank from notes: 3 rows hold a value"
    assert any("trigger notes_log" in w for w in words)
    assert any("view short_notes depends on" in w and "alembic#1207" in w for w in words)
    assert any("expression index ix_notes_lower" in w for w in words)
    db.dispose()
