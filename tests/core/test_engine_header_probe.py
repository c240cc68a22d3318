"""The header probe reads a file at any moment of another connection's writes and checkpoints, and builds
a URI SQLite accepts for every path, Windows UNC paths included.

The probe takes no lock (`immutable=1`), so it can land in the middle of a checkpoint or of a rollback-
journal commit: page 1, with the new database size, is written before the pages that grow the file.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from core.engine.db import open_database, sqlite_driver
from core.engine.sqlite_access import read_header, sqlite_file_uri
from core.errors import ConnectionFailed
from tests.fixtures.journal_file import sidecars

PAGE = 4096

# Another program: writes rows into the file (in WAL mode, checkpointing each commit), again and again.
WRITER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = " + sys.argv[2])
conn.execute("PRAGMA synchronous = OFF")
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)")
print("ready", flush=True)
while True:
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO notes (body) VALUES (?)", [("x" * 1000,)] * 4)
    conn.execute("COMMIT")
    if sys.argv[2] == "WAL":
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
"""


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="pauses the writer with SIGSTOP")
@pytest.mark.parametrize("mode", ["WAL", "DELETE"])
def test_the_header_is_read_at_any_moment_of_another_programs_writes_and_checkpoints(
    tmp_path: Path, mode: str
) -> None:
    """The writer is paused at random moments (often mid-write or mid-checkpoint) while the probe reads:
    every read is the whole header, in its journal mode. (Before, a few in a hundred said "not a database"
    even after two retries.)"""
    path = tmp_path / "busy.db"
    version = b"\x02\x02" if mode == "WAL" else b"\x01\x01"  # bytes 18-19: WAL, or a rollback journal
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), mode], stdout=subprocess.PIPE, text=True
    )
    module = sqlite_driver()[0]
    failed: list[int] = []
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        for probe in range(100):
            os.kill(writer.pid, signal.SIGSTOP)
            try:
                header = read_header(path, module)
            finally:
                os.kill(writer.pid, signal.SIGCONT)
            if header is None or header[:16] != b"SQLite format 3\x00" or header[18:20] != version:
                failed.append(probe)
            time.sleep(random.uniform(0.0, 0.02))  # the next pause lands somewhere else in the cycle
    finally:
        writer.kill()
        writer.wait()
    assert failed == []


def _wal_file(path: Path, rows: int, *, wal: bool = True) -> bytes:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}")
    conn.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO notes (body) VALUES (?)", [("x" * 1000,)] * rows)
    conn.close()  # the last connection checkpoints everything and removes -wal and -shm
    return path.read_bytes()


def test_a_file_caught_mid_checkpoint_gives_its_header_and_is_refused_once_opened(tmp_path: Path) -> None:
    """What the probe sees mid-checkpoint, frozen: page 1 already says the database is larger than the
    file. The probe reads the header (WAL, its application_id); opening the file, which reads under a
    lock, still says it is damaged and leaves nothing beside it."""
    before = _wal_file(tmp_path / "grown.db", 10)
    after = _wal_file(tmp_path / "grown.db", 200)
    path = tmp_path / "caught" / "given.db"
    path.parent.mkdir()
    path.write_bytes(after[:PAGE] + before[PAGE:])
    assert len(after) > len(before)
    header = read_header(path, sqlite_driver()[0])
    assert header == after[:100]
    with pytest.raises(ConnectionFailed, match="is not a SQLite database"):
        open_database(path, read_only=True).dispose()
    assert path.read_bytes() == after[:PAGE] + before[PAGE:] and sidecars(path) == []


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        (PureWindowsPath(r"\\server\share\x.db"), "file:////server/share/x.db"),
        (
            PureWindowsPath(r"\\server\share\dir with space\ä.db"),
            "file:////server/share/dir%20with%20space/%C3%A4.db",
        ),
        (PureWindowsPath(r"\\?\UNC\server\share\x.db"), "file:////server/share/x.db"),
        (PureWindowsPath(r"\\?\C:\data\x.db"), "file:///C:/data/x.db"),
        (PureWindowsPath(r"C:\Users\a b\x#1?.db"), "file:///C:/Users/a%20b/x%231%3F.db"),
        (PurePosixPath("/home/a b/x#1?.db"), "file:///home/a%20b/x%231%3F.db"),
    ],
    ids=["unc", "unc-quoted", "unc-extended", "drive-extended", "drive", "posix"],
)
def test_a_file_uri_has_no_authority_sqlite_refuses(path: PureWindowsPath | PurePosixPath, uri: str) -> None:
    """SQLite takes only an empty authority: a UNC server goes into the path (file:////server/...),
    as SQLite's URI documentation says; everything else is percent-quoted."""
    assert sqlite_file_uri(path) == uri


def test_a_path_a_uri_must_quote_is_probed_and_opened_read_only(tmp_path: Path) -> None:
    """The probe and the read-only connection (`mode=ro`, a rollback-journal file) both find a file whose
    name has characters a URI quotes, and leave nothing beside it."""
    path = tmp_path / "a b#1?%.db"
    content = _wal_file(path, 3, wal=False)
    header = read_header(path, sqlite_driver()[0])
    assert header == content[:100]
    db = open_database(path, read_only=True)
    try:
        assert db.access is not None and db.access.uri.endswith("/a%20b%231%3F%25.db?mode=ro")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM notes").scalar() == 3
    finally:
        db.dispose()
    assert path.read_bytes() == content and sidecars(path) == []
