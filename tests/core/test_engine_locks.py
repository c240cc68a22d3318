"""Opening a file Warden already holds a lock on keeps that lock.

POSIX drops every lock a process holds on a file when any descriptor of that file closes. Reading a
file's header with open()/close() while another connection in the same process is writing to it would
let a second program write underneath that transaction.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from core.engine.db import open_database, sqlite_driver
from core.engine.sqlite_access import read_header, reads_pages
from tests.fixtures.journal_file import build_journal_file, sidecars

# Another program: its own process, its own SQLite library, no busy wait.
OTHER_WRITER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
try:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO audit_log (message) VALUES ('other program')")
    conn.execute("COMMIT")
    print("wrote")
except sqlite3.OperationalError as exc:
    print("busy" if "locked" in str(exc) else f"error {exc}")
"""


def _other_program_writes(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", OTHER_WRITER, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _open_writable(path: Path) -> None:
    open_database(path).dispose()


def _open_read_only(path: Path) -> None:
    open_database(path, read_only=True).dispose()


def _read_header(path: Path) -> None:
    header = read_header(path, sqlite_driver()[0])
    assert header is not None and header[:16] == b"SQLite format 3\x00"


@pytest.mark.parametrize(
    "look", [_open_writable, _open_read_only, _read_header], ids=["open", "open-read-only", "read_header"]
)
def test_looking_at_a_file_keeps_this_process_write_lock_on_it(
    tmp_path: Path, look: Callable[[Path], None]
) -> None:
    """Connection A holds an uncommitted write; Warden opens the same file in the same process; another
    process still cannot write (SQLITE_BUSY), and A's write commits as its own."""
    path = build_journal_file(tmp_path / "held.db")
    assert _other_program_writes(path) == "wrote"  # nothing holds it yet: the probe itself works
    holder = sqlite_driver()[0].connect(str(path), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO audit_log (message) VALUES ('holder')")
        look(path)
        assert _other_program_writes(path) == "busy"
        holder.execute("COMMIT")
        messages = [r[0] for r in holder.execute("SELECT message FROM audit_log ORDER BY rowid")]
    finally:
        holder.close()
    assert messages == ["created", "other program", "holder"]
    assert sidecars(path) == []


def test_the_driver_reads_headers_through_sqlite() -> None:
    """Warden's SQLite library has the sqlite_dbpage table, so no header is read with open()/close()."""
    module, _ = sqlite_driver()
    assert reads_pages(module)


def test_a_wal_header_is_read_without_leaving_a_wal_or_shm(tmp_path: Path) -> None:
    """The header of a WAL file comes through SQLite whole (bytes 18-19 say WAL) and leaves nothing beside
    it; a file SQLite cannot read as a database is None."""
    path = build_journal_file(tmp_path / "wal.db", wal=True)
    assert sidecars(path) == []
    header = read_header(path, sqlite_driver()[0])
    assert header is not None and header[:16] == b"SQLite format 3\x00" and header[18:20] == b"\x02\x02"
    assert len(header) == 100 and sidecars(path) == []
    junk = tmp_path / "junk.db"
    junk.write_text("hello" * 100)
    assert read_header(junk, sqlite_driver()[0]) is None
    assert read_header(tmp_path / "missing.db", sqlite_driver()[0]) == b""
    assert not (tmp_path / "missing.db").exists()
