"""A large table's source side of the copy's check is summed by a helper process
(core/migrate/copy_helper.py): it sums exactly as this process does, a value the check cannot spell still
stops the copy naming the table and column (never the value), a helper that died is said, and a whole copy
through it verifies."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.engine.db import open_database
from core.errors import WardenError
from core.migrate import copy as copy_module
from core.migrate import copy_helper
from core.migrate.copy import copy_database
from core.migrate.copy_digest import DigestPlan, RowDigest, column_plan
from core.migrate.copy_helper import DigestHelper
from core.progress import Cancelled, Progress, TaskState
from tests.fixtures.postgres import new_pg_database

_TYPES = [
    ("id", "uuid", "b", "uuid"),
    ("body", "jsonb", "b", "jsonb"),
    ("note", "text", "b", "text"),
    ("at", "timestamp without time zone", "b", "timestamp"),
    ("price", "numeric(12,2)", "b", "numeric"),
    ("n", "bigint", "b", "int8"),
]


def _plan() -> DigestPlan:
    plans = [column_plan(*spec) for spec in _TYPES]
    assert None not in plans
    return DigestPlan(tuple(p for p in plans if p is not None))


def _rows(start: int, n: int) -> list[tuple[object, ...]]:
    return [
        (
            f"{i:032x}",
            '{"b": [1, 2.50], "a": "x\\u00e9"}' if i % 3 else None,
            f"note\x1f{i}" if i % 5 else "plain",
            f"2024-01-{1 + i % 28:02d} 10:00:00.{i % 1000:06d}",
            i / 4,
            i * 7,
        )
        for i in range(start, start + n)
    ]


def test_the_helper_sums_batches_as_this_process_does() -> None:
    helper = DigestHelper.start()
    assert helper is not None
    here, there = RowDigest(_plan(), "docs"), RowDigest(_plan(), "docs")
    try:
        for table in ("docs", "docs"):  # two tables one after another: the second starts from zero
            here = RowDigest(_plan(), table)
            helper.begin(table, there.plan)
            for start in (0, 500, 1000):
                batch = _rows(start, 500)
                here.add_rows(batch)
                helper.add(list(zip(*batch, strict=True)), len(batch))
            helper.result(there)
            assert (there.rows, there.hexdigest) == (here.rows, here.hexdigest) == (1500, here.hexdigest)
        helper.begin("docs", there.plan)
        changed = _rows(0, 10)
        changed[3] = (*changed[3][:5], 22)
        helper.add(list(zip(*changed, strict=True)), len(changed))
        helper.result(there)
        same = RowDigest(_plan(), "docs")
        same.add_rows(_rows(0, 10))
        assert there.rows == 10 and there.hexdigest != same.hexdigest
    finally:
        helper.close()
    assert helper.proc.returncode is not None  # ended with the copy


def test_the_helper_is_this_checkouts_whatever_the_current_folder_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started from a folder that holds another `core` package (an older checkout), the helper still runs
    this checkout's code: `python -m` put the current folder first on its path, so the other `core` was
    imported and the helper never said it was ready (the copy then summed in its own process)."""
    (tmp_path / "core" / "migrate").mkdir(parents=True)
    (tmp_path / "core" / "__init__.py").write_text("")
    (tmp_path / "core" / "migrate" / "__init__.py").write_text("")
    (tmp_path / "core" / "migrate" / "copy_helper.py").write_text("raise SystemExit(3)\n")
    monkeypatch.chdir(tmp_path)
    helper = DigestHelper.start()
    assert helper is not None
    try:
        assert helper.ready()
    finally:
        helper.close()


def test_a_lone_surrogate_in_the_helper_names_the_table_and_column_not_the_value() -> None:
    helper = DigestHelper.start()
    assert helper is not None
    try:
        helper.begin("docs", _plan())
        batch = _rows(0, 4)
        batch[2] = (batch[2][0], '{"secret": "plugh \\udc00 xyzzy"}', *batch[2][2:])
        helper.add(list(zip(*batch, strict=True)), len(batch))
        with pytest.raises(WardenError) as refused:
            helper.result(RowDigest(_plan(), "docs"))
        helper.begin("docs", _plan())  # the helper goes on with the next table
        helper.add(list(zip(*_rows(0, 4), strict=True)), 4)
        after = RowDigest(_plan(), "docs")
        helper.result(after)
    finally:
        helper.close()
    message = str(refused.value)
    assert "docs" in message and "column body" in message
    assert not [w for w in ("secret", "plugh", "xyzzy") if w in message], "never the value"
    assert after.rows == 4


def test_a_bug_in_the_helper_reaches_the_crash_handler_with_its_traceback() -> None:
    """A batch the helper cannot take (here: one column short) is a bug, as in one process: its traceback
    comes back (never a value), not "the check process stopped", which a second run would repeat."""
    helper = DigestHelper.start()
    assert helper is not None
    try:
        helper.begin("docs", _plan())
        batch = [row[:-1] for row in _rows(0, 4)]
        helper.add(list(zip(*batch, strict=True)), len(batch))
        with pytest.raises(RuntimeError) as bug:
            helper.result(RowDigest(_plan(), "docs"))
    finally:
        helper.close()
    assert "docs" in str(bug.value) and "Traceback" in str(bug.value)


def test_a_helper_that_died_is_said_naming_the_table() -> None:
    helper = DigestHelper.start()
    assert helper is not None
    try:
        helper.begin("docs", _plan())
        helper.proc.kill()
        helper.proc.wait()
        helper.add(list(zip(*_rows(0, 4), strict=True)), 4)
        with pytest.raises(WardenError, match="Checking docs failed: the copy's check process stopped"):
            helper.result(RowDigest(_plan(), "docs"))
    finally:
        helper.close()


def test_a_helper_that_never_answers_is_ended_and_the_copy_sums_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copy_helper, "_READY_SECONDS", 0.5)
    silent = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    helper = DigestHelper(silent)
    try:
        assert helper.ready() is False and helper.ready() is False  # asked once
        assert silent.wait(timeout=10) != 0  # ended by `ready`, not by its own end
    finally:
        helper.close()


def _source(path: Path, surrogate: bool) -> Path:
    with sqlite3.connect(path) as c:
        c.execute("create table docs (id integer primary key, body json, note text)")
        c.execute("create table small (id integer primary key, tag text)")
        rows = [(i, f'{{"k": {i}, "a": [1, "x"]}}', f"n{i}") for i in range(1, 3001)]
        if surrogate:
            rows[2500] = (2501, '{"secret": "plugh \\udc00 xyzzy"}', "n")
        c.executemany("insert into docs values (?, ?, ?)", rows)
        c.executemany("insert into small values (?, ?)", [(i, f"t{i}") for i in range(1, 11)])
    c.close()
    return path


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[DigestHelper | None]:
    """The helpers the copies start, in order (each as DigestHelper.start made it); tables of 1,000 rows
    or more go through a helper (docs, small here)."""
    monkeypatch.setattr(copy_module, "HELPER_MIN_ROWS", 1000)
    helpers: list[DigestHelper | None] = []
    real_start = DigestHelper.start

    def start() -> DigestHelper | None:
        helpers.append(real_start())
        return helpers[-1]

    monkeypatch.setattr(DigestHelper, "start", staticmethod(start))
    return helpers


@pytest.mark.parametrize("surrogate", [False, True])
def test_a_copy_summed_by_the_helper_verifies_and_refuses_like_one_process(
    tmp_path: Path, pg_server: object, started: list[DigestHelper | None], surrogate: bool
) -> None:
    url = new_pg_database(pg_server)
    source, target = open_database(str(_source(tmp_path / "s.db", surrogate))), open_database(url)
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql("create table docs (id bigint primary key, body jsonb, note text)")
            conn.exec_driver_sql("create table small (id bigint primary key, tag text)")
        if surrogate:
            with pytest.raises(WardenError) as refused:
                copy_database(source, target, batch_rows=500)
            assert "docs" in str(refused.value) and "column body" in str(refused.value)
            assert "plugh" not in str(refused.value)
        else:
            result = copy_database(source, target, batch_rows=500)
            assert result.ok and {(c.table, c.rows_target) for c in result.checks} == {
                ("docs", 3000),
                ("small", 10),
            }
    finally:
        source.dispose()
        target.dispose()
    assert len(started) == 1 and started[0] is not None and started[0].proc.returncode is not None


def test_a_cancel_in_a_table_the_helper_sums_ends_it_and_a_second_run_verifies(
    tmp_path: Path, pg_server: object, started: list[DigestHelper | None]
) -> None:
    seen: list[Progress] = []

    def stop_in_docs(p: Progress) -> None:
        seen.append(p)
        if p.message == "Copying docs" and p.done >= 1500:
            state.cancel()

    state = TaskState(on_progress=stop_in_docs)
    url = new_pg_database(pg_server)
    source, target = open_database(str(_source(tmp_path / "s.db", False))), open_database(url)
    try:
        with target.transaction() as conn:
            conn.exec_driver_sql("create table docs (id bigint primary key, body jsonb, note text)")
            conn.exec_driver_sql("create table small (id bigint primary key, tag text)")
        with pytest.raises(Cancelled):
            copy_database(source, target, batch_rows=500, state=state)
        first = started[0]
        assert first is not None and first.proc.returncode is not None, "the helper ended with the copy"
        with target.engine.connect() as conn:
            assert conn.exec_driver_sql("select count(*) from docs").scalar_one() == 0
        result = copy_database(source, target, batch_rows=500)
    finally:
        source.dispose()
        target.dispose()
    assert result.ok and {(c.table, c.rows_target) for c in result.checks} == {("docs", 3000), ("small", 10)}
