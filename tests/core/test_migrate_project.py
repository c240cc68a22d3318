"""External Alembic projects (`--project`): the project's env.py and revisions run in a child process, on
SQLite and PostgreSQL; a broken env.py gives one clear line and Warden goes on; migrations are audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import cli
from core.engine.db import Database, open_database
from core.errors import MigrationFailed, NotFoundError
from core.migrate import migrations as mig
from core.migrate.project import Project, call, find_project
from core.progress import Progress, TaskState
from core.schema.models.audit import AUDIT_TABLE, AuditEntry
from tests.fixtures.external_project import E1, E2, E3, write_project

CHAIN = Path(__file__).resolve().parents[1] / "fixtures" / "migrations_chain"
R1, R2 = "c1a000000001", "c1a000000002"


pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return find_project(write_project(tmp_path / "shop").parent, "shop.models:metadata")


@pytest.fixture
def db(empty_url: str) -> Iterator[Database]:
    database = open_database(empty_url, create=True)
    yield database
    database.dispose()


def _tables(db: Database) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_status_upgrade_downgrade_through_the_child(project: Project, db: Database) -> None:
    found = call(project, db, "status")
    assert found.current == [] and found.heads == [E3]
    assert [r.revision for r in found.pending] == [E1, E2, E3]
    assert [r.doc for r in found.pending] == ["Customers", "Customer email", "Invoices"]
    seen: list[Progress] = []
    log: list[str] = []
    result = call(project, db, "upgrade", state=TaskState(seen.append, log.append))
    assert result.applied == [E1, E2, E3] and result.after == [E3]
    assert {"customers", "invoices"} <= _tables(db)
    assert [p.done for p in seen] == [0, 1, 2, 3]
    assert any("Running upgrade" in line for line in log), "the project's Alembic log streams in"
    after = call(project, db, "status")
    assert after.at_head and after.drift == [], "the project's metadata matches after the upgrade"
    back = call(project, db, "downgrade", E1)
    assert back.applied == [E3, E2] and mig.current(db) == [E1]
    assert (db.backend == "sqlite") == (back.backup is not None), "SQLite files are backed up first"
    assert "invoices" not in _tables(db)
    with db.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("customers")}
    assert columns == {"id", "name"}


def test_lint_sql_and_drift_of_the_project(project: Project, db: Database) -> None:
    call(project, db, "upgrade", E2)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("insert into customers (id, name, email) values (1, 'Ada', 'ada@example.org')")
    found = call(project, db, "lint", E1)
    assert [r.revision for r in found] == [E2] and found[0].destructive
    assert found[0].findings[0].rows == 1
    text = call(project, db, "sql", "head")
    assert "CREATE TABLE invoices" in text
    drift = call(project, db, "check")
    assert [(d.kind, d.table) for d in drift] == [("add_table", "invoices")]


def test_a_broken_env_py_is_one_line_and_changes_nothing(tmp_path: Path, db: Database) -> None:
    broken = find_project(write_project(tmp_path / "broken", env="raises"))
    with pytest.raises(MigrationFailed) as err:
        call(broken, db, "upgrade")
    message = str(err.value)
    assert "SHOP_SETTINGS is not set" in message and "\n" not in message
    assert "Traceback" not in message
    assert mig.current(db) == [] and "customers" not in _tables(db)
    # Warden (this process) goes on: the same database still answers, another project still runs.
    good = find_project(write_project(tmp_path / "good"))
    assert call(good, db, "upgrade", E1).after == [E1]


def test_a_process_killed_by_env_py_is_one_line(tmp_path: Path, db: Database) -> None:
    dying = find_project(write_project(tmp_path / "dying", env="exits"))
    with pytest.raises(MigrationFailed, match="ended without an answer \\(exit code 3\\)") as err:
        call(dying, db, "upgrade")
    assert "\n" not in str(err.value)
    assert mig.current(db) == []


def test_prints_of_the_project_go_to_the_log_not_the_answer(tmp_path: Path, db: Database) -> None:
    chatty = find_project(write_project(tmp_path / "chatty", env="prints"))
    log: list[str] = []
    result = call(chatty, db, "upgrade", E1, state=TaskState(on_partial=log.append))
    assert result.after == [E1]
    assert "shop env.py: hello from the project" in log


def test_projects_that_are_not_there_or_not_alembic(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"No alembic\.ini"):
        find_project(tmp_path)
    (tmp_path / "alembic.ini").write_text("[loggers]\nkeys = root\n")
    with pytest.raises(MigrationFailed, match="no \\[alembic\\] section"):
        find_project(tmp_path)
    (tmp_path / "alembic.ini").write_text("[alembic\nscript_location = x\n")
    with pytest.raises(MigrationFailed, match="cannot be read"):
        find_project(tmp_path)
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/nowhere\n")
    with pytest.raises(MigrationFailed, match=r"holds no env\.py"):
        find_project(tmp_path / "alembic.ini")


def test_cli_project_option(project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = str(tmp_path / "cli.db")
    open_database(target, create=True).dispose()

    def warden(*args: str) -> tuple[int, str, str]:
        code = cli.main(["migrate", *args, "--db", target, "--project", str(project.ini)])
        out, err = capsys.readouterr()
        return code, out, err

    code, _, err = warden("upgrade", E2)
    assert code == 0 and f"Upgraded to {E2}" in err
    code, out, _ = warden("status")
    assert f"current: {E2}" in out and "pending: 1" in out
    code, out, _ = warden("heads")
    assert out.split() == [E3]
    code, _, err = warden("downgrade", "nope")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "nope" in err


def test_each_revision_is_audited(db: Database) -> None:
    """A run writes one "migrate" entry per revision applied or undone; each run has its own save id."""
    first = mig.upgrade(db, "head")
    head = first.after[0]
    below = next(r for r in mig.history() if r.revision == head).down_revision[0]
    query = sa.text(f"select action, entity, reason, save_id from {AUDIT_TABLE} where action = 'migrate'")
    with db.engine.connect() as conn:
        already = len(conn.execute(query).all())
    assert already == 0, "creating the schema of a new database is not audited"
    mig.downgrade(db, below)
    mig.upgrade(db, "head")
    with db.engine.connect() as conn:
        rows = conn.execute(query).all()[already:]
    assert [(r.action, r.entity) for r in rows] == [("migrate", "alembic_version")] * 2
    assert rows[0].reason.startswith(f"downgrade {head}") and rows[1].reason.startswith(f"upgrade {head}")
    assert rows[0].save_id != rows[1].save_id


def test_a_failed_revision_leaves_no_audit_entry(empty_url: str) -> None:
    """Entries are written in each revision's own transaction: on PostgreSQL the two good revisions of the
    failing chain keep theirs and the failed one has none; SQLite is restored from its backup, entries too."""
    db = open_database(empty_url, create=True)
    try:
        with db.engine.begin() as conn:
            AuditEntry.metadata.tables[AUDIT_TABLE].create(conn)
        with pytest.raises(MigrationFailed):
            mig.upgrade(db, "head", scripts=CHAIN)
        with db.engine.connect() as conn:
            reasons = conn.execute(sa.text(f"select reason from {AUDIT_TABLE} order by id")).scalars().all()
        if db.backend == "postgresql":
            assert mig.current(db) == [R2]
            assert [r.split(":")[0] for r in reasons] == [f"upgrade {R1}", f"upgrade {R2}"]
        else:
            assert mig.current(db) == [] and reasons == []
    finally:
        db.dispose()


def test_cancel_reaches_the_child_between_revisions(project: Project, db: Database) -> None:
    """Cancel asked before the first revision: the child stops there, nothing applied, and says so."""
    call(project, db, "upgrade", E1)
    state = TaskState()
    state.cancel()
    result = call(project, db, "upgrade", state=state)
    assert result.cancelled and result.applied == [] and mig.current(db) == [E1]
