"""The header probe (`PRAGMA writable_schema` on a `mode=ro&immutable=1` connection) never writes: the file
and its -wal/-shm/-journal keep their bytes and times while another program writes and checkpoints, WAL and
rollback journal. A damaged file of Warden's own (application_id set), which the probe now lets through to
the first real connection (a writable one that asks for WAL), is still refused and left as it was."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.engine.db import open_database, sqlite_driver
from core.engine.sqlite_access import WARDEN_APPLICATION_ID, read_header
from core.errors import ConnectionFailed
from tests.core.test_engine_header_probe import WRITER
from tests.fixtures.journal_file import sidecars

PAGE = 4096
SIDES = ("", "-wal", "-shm", "-journal")


def state(path: Path) -> list[tuple[str, str, int, int]]:
    """Each of the file and its side files: name, sha256, mtime (ns), size."""
    found = [Path(str(path) + s) for s in SIDES if Path(str(path) + s).exists()]
    return [
        (p.name, hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_size)
        for p in found
    ]


def stopped(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0] == "T"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="waits for the writer's stop in /proc")
@pytest.mark.parametrize("mode", ["WAL", "DELETE"])
def test_the_probe_changes_nothing_while_another_program_writes(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "busy.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), mode], stdout=subprocess.PIPE, text=True
    )
    module = sqlite_driver()[0]
    changed = []
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        for probe in range(40):
            os.kill(writer.pid, signal.SIGSTOP)
            try:
                while not stopped(writer.pid):  # its last write landed: what follows is the probe's alone
                    time.sleep(0.0005)
                before = state(path)
                header = read_header(path, module)
                if state(path) != before:
                    changed.append(probe)
            finally:
                os.kill(writer.pid, signal.SIGCONT)
            assert header is not None and header.startswith(b"SQLite format 3\x00")
            time.sleep(0.005 * (probe % 4))
    finally:
        writer.kill()
        writer.wait()
    assert changed == []


def _own(path: Path, *, wal: bool) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {WARDEN_APPLICATION_ID}")
    conn.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO notes (body) VALUES (?)", [("x" * 200,)] * 500)
    conn.commit()
    conn.close()
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.mark.parametrize("wal", [False, True], ids=["rollback", "wal"])
@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
def test_a_damaged_file_of_wardens_own_is_refused_and_left_as_it_was(
    tmp_path: Path, wal: bool, read_only: bool
) -> None:
    good = _own(tmp_path / "good.db", wal=wal)
    damaged = {
        "header-only": good[:100],
        "truncated": good[: 3 * PAGE],
        "page-one-scrambled": good[:100] + b"\xff" * (PAGE - 100) + good[PAGE:],
    }
    for name, content in damaged.items():
        path = tmp_path / name / "given.db"
        path.parent.mkdir()
        path.write_bytes(content)
        header = read_header(path, sqlite_driver()[0])
        assert header == content[:100], "the probe reads the header; the real connection judges the rest"
        with pytest.raises(ConnectionFailed, match=r"is not a SQLite database \(or it is damaged\)\.$"):
            open_database(path, read_only=read_only).dispose()
        assert path.read_bytes() == content and sidecars(path) == [], name
