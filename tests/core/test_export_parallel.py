"""The two-process CSV export of a whole SQLite table (core/data/export_parallel.py): the same bytes as
the one-process export, one snapshot even while another connection writes, and cancel leaving nothing.

The tables here are a few hundred thousand rows, so that the helper process has started before this
process has written every chunk; PARALLEL_MIN_ROWS is set per test to choose one process or two.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest

from core.data import export_cells, export_parallel, repository
from core.data.exporting import export_file
from core.engine.db import open_database, sqlite_driver
from core.progress import Progress, TaskState
from core.schema.load import load_catalog

ROWS = 150_000
ONE_PROCESS = 10**12


def _fill(path: str, rows: int = ROWS, *, odd: bool = True) -> None:
    """tool_executions at `path` with `rows` rows (rowid = n); with `odd`, stored values of every kind the
    export treats apart: keys in upper case or with dashes, JSON escaped, compact, non-ASCII or a scalar,
    text with quotes, commas, line breaks, empty or NULL, times with and without a fraction, a float in
    an INTEGER column, a BLOB in a TEXT column."""
    raw = sqlite3.connect(path)
    inputs = [
        '{"q": 1}',
        '{"q": "caf\\u00e9"}',
        '{"a":1}',
        '["x", "y"]',
        '{"t": "naïve, \\"q\\""}',
        "5",
        '"s"',
    ]
    outputs = [None, '{"hits": 3}', "null", "true", "[1,2]"]
    errors = [None, "", 'said "no"', "a,b", "line\nbreak", "cr\rhere", "plain", "ünï"]
    times = ["2026-01-01 10:00:00.250000", "2026-01-01 10:00:00.000000", "2026-01-01 10:00:00", "2026-02-03"]
    with raw:
        raw.execute("DELETE FROM tool_executions")
        raw.execute("CREATE TEMP TABLE odd (i INTEGER PRIMARY KEY, inputs, outputs, err, created, dur)")
        raw.executemany(
            "INSERT INTO odd VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    i,
                    inputs[i % len(inputs)] if odd else '{"q": 1}',
                    outputs[i % len(outputs)] if odd else None,
                    errors[i % len(errors)] if odd else None,
                    times[i % len(times)] if odd else times[0],
                    (1.5 if i % 5 == 0 else i) if odd else 0,
                )
                for i in range(41)
            ],
        )
        key = "printf('%032x', n)"
        dashed = f"substr({key},1,8)||'-'||substr({key},9,4)||'-'||substr({key},13,4)||'-'||substr({key},17)"
        ident = f"CASE WHEN n % 13 = 0 THEN upper({key}) WHEN n % 17 = 0 THEN {dashed} ELSE {key} END"
        raw.execute(
            f"""INSERT INTO tool_executions (rowid, id, correlation_id, tool_name, agent_id, inputs_json,
                outputs_json, status, error_message, duration_ms, created_at)
            WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {rows})
            SELECT n, {ident}, 'corr-' || (n / 7), CASE WHEN {int(odd)} AND n % 3 = 0 THEN 'a,b' ELSE 't' END,
                CASE WHEN n % 2 THEN {key} END, inputs, outputs, 'success',
                CASE WHEN {int(odd)} AND n % 1000 = 0 THEN CAST('blob' AS BLOB) ELSE err END, dur, created
            FROM c JOIN odd ON odd.i = n % 41"""
        )
    raw.close()


def _export(
    path: str, target: Path, min_rows: int, monkeypatch: pytest.MonkeyPatch, state: TaskState | None = None
) -> int:
    monkeypatch.setattr(export_parallel, "PARALLEL_MIN_ROWS", min_rows)
    db = open_database(path)
    try:
        return export_file(
            db, load_catalog(db), "tool_executions", target, "csv", stored_order=True, state=state
        ).rows
    finally:
        db.dispose()


def _helper_writing(folder: Path, timeout: float = 60.0) -> bool:
    """Wait until the helper has made its part file in `folder` (its snapshot was approved and it is
    taking chunks): on a busy machine it may start after this process wrote its first rows."""
    deadline = time.monotonic() + timeout
    while not list(folder.glob("*.part")):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _waiting_for_helper(folder: Path, progress: list[int] | None = None) -> TaskState:
    """A TaskState whose first progress waits for the helper to write, so that it surely takes chunks;
    each progress's count goes into `progress`."""
    seen: list[bool] = []

    def on_progress(p: Progress) -> None:
        if not seen:
            seen.append(_helper_writing(folder))
        if progress is not None:
            progress.append(p.done)

    return TaskState(on_progress=on_progress)


def _helper_chunks(caplog: pytest.LogCaptureFixture) -> int:
    """How many chunks the helper wrote in the last two-process export, from its debug line."""
    lines = [r.getMessage() for r in caplog.records if "chunks written by the helper" in r.getMessage()]
    assert lines, "the export did not go through two processes"
    return int(lines[-1].split(":")[1].split()[0])


def test_two_processes_write_the_same_bytes_as_one(
    demo_copy_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A mixed table of every kind of stored value: the helper's chunks and this process's, put together,
    are byte for byte the one-process export, in the same (stored) order."""
    _fill(demo_copy_path)
    caplog.set_level(logging.DEBUG, logger="core.data.export_parallel")
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert _export(demo_copy_path, one, ONE_PROCESS, monkeypatch) == ROWS
    assert not [r for r in caplog.records if "chunks written by the helper" in r.getMessage()]
    progress: list[int] = []
    assert _export(demo_copy_path, two, 1000, monkeypatch, _waiting_for_helper(tmp_path, progress)) == ROWS
    assert _helper_chunks(caplog) > 0
    assert two.read_bytes() == one.read_bytes()
    assert progress == sorted(progress) and progress[-1] == ROWS and len(progress) > 100  # both sides count
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.csv", "two.csv"]  # no part file left


def test_the_helpers_converters_match_the_typed_read_module() -> None:
    """The helper imports export_cells alone (not SQLAlchemy); its plain types are repository's."""
    assert export_cells._PLAIN_TYPES == repository.PLAIN_TYPES


def test_one_snapshot_while_another_connection_writes(
    demo_copy_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A writer commits all the time: every 97th row's duration goes up by one per commit. The export is
    one snapshot: those rows all show the same duration (a helper reading a later snapshot would show
    others), so the helper takes no chunk unless no commit fell while it started."""
    _fill(demo_copy_path, odd=False)
    caplog.set_level(logging.DEBUG, logger="core.data.export_parallel")
    stop, commits = threading.Event(), [0]

    driver, _ = sqlite_driver()  # Warden's own: two SQLite libraries in one process break each other's locks

    def write() -> None:
        conn = driver.connect(demo_copy_path, timeout=10)
        while not stop.is_set():
            with conn:
                conn.execute("UPDATE tool_executions SET duration_ms = duration_ms + 1 WHERE rowid % 97 = 0")
            commits[0] += 1
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        target = tmp_path / "t.csv"
        assert _export(demo_copy_path, target, 1000, monkeypatch) == ROWS
    finally:
        stop.set()
        writer.join()
    assert commits[0] > 1
    durations: dict[bool, set[str]] = {True: set(), False: set()}
    with target.open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
        i, d = header.index("id"), header.index("duration_ms")
        for row in rows:
            durations[int(row[i].replace("-", ""), 16) % 97 == 0].add(row[d])
    assert durations[False] == {"0"} and len(durations[True]) == 1
    _helper_chunks(caplog)  # the export went through the two-process path


def test_a_foreign_file_is_left_as_it_was(
    demo_copy_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another program's rollback-journal file, exported by two processes: its bytes are unchanged and
    nothing is left beside it (the helper opens it read-only too)."""
    _fill(demo_copy_path)
    raw = sqlite3.connect(demo_copy_path)
    raw.execute("PRAGMA journal_mode = DELETE")
    raw.execute("PRAGMA application_id = 0")  # not Warden's own
    raw.close()
    folder = Path(demo_copy_path).parent
    before = sorted(p.name for p in folder.iterdir())
    digest = hashlib.sha256(Path(demo_copy_path).read_bytes()).hexdigest()
    caplog.set_level(logging.DEBUG, logger="core.data.export_parallel")
    assert (
        _export(demo_copy_path, tmp_path / "t.csv", 1000, monkeypatch, _waiting_for_helper(tmp_path)) == ROWS
    )
    assert _helper_chunks(caplog) > 0
    assert hashlib.sha256(Path(demo_copy_path).read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in folder.iterdir()) == before == ["demo.db"]


def _helpers_running() -> list[int]:
    """Process ids of this process's children running the export helper (Linux: from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"core.data.export_parallel" in cmdline:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="looks for the helper in /proc")
def test_cancel_ends_the_helper_and_leaves_no_file(
    demo_copy_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancel during a two-process export: no export, no partial or part file, no helper left running."""
    _fill(demo_copy_path)
    target = tmp_path / "tools.csv"
    target.write_text("yesterday's export\n", encoding="utf-8")
    running: list[list[int]] = []

    def on_progress(_p: Progress) -> None:
        if not state.cancelled:
            assert _helper_writing(tmp_path)
            running.append(_helpers_running())
            state.cancel()

    state = TaskState(on_progress=on_progress)
    monkeypatch.setattr(export_parallel, "PARALLEL_MIN_ROWS", 1000)
    db = open_database(demo_copy_path)
    try:
        result = export_file(
            db, load_catalog(db), "tool_executions", target, "csv", stored_order=True, state=state
        )
    finally:
        db.dispose()
    assert result.cancelled
    assert running and running[0]  # the helper was there when cancel was asked
    assert _helpers_running() == []
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tools.csv"]


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in app is a shell script")
def test_a_frozen_build_starts_itself_as_the_helper(
    demo_copy_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A frozen build's executable is the app (no `-m`): the helper is `<app> __export-part`, which the
    launcher hands to the helper's entry. Stood in for by a script that runs the launcher."""
    _fill(demo_copy_path, odd=False)
    caplog.set_level(logging.DEBUG, logger="core.data.export_parallel")
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert _export(demo_copy_path, one, ONE_PROCESS, monkeypatch) == ROWS
    app = tmp_path / "app" / "warden"
    app.parent.mkdir()
    root = Path(__file__).resolve().parents[2]
    app.write_text(f'#!/bin/sh\ncd "{root}" && exec "{sys.executable}" -m gui.launcher "$@"\n')
    app.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    assert _export(demo_copy_path, two, 1000, monkeypatch, _waiting_for_helper(tmp_path)) == ROWS
    assert _helper_chunks(caplog) > 0
    assert two.read_bytes() == one.read_bytes()
