"""Files that are not sound SQLite databases: a non-SQLite file, truncated databases (mid-page, at page
boundaries, a WAL-mode file), a damaged header, an empty file. Opening them (writable, read-only, through
`warden inspect`) gives a clear typed error and leaves every byte
as it was with nothing new beside it (no -wal, -shm or -journal)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from core import cli
from core.engine.db import open_database
from core.errors import ConnectionFailed
from core.schema.load import load_catalog

PAGE = 4096


def _sound(path: Path, *, wal: bool = False) -> bytes:
    """A sound database of about 120 pages (a table and an index), as another program would leave it."""
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("CREATE INDEX notes_body ON notes (body)")
    conn.executemany(
        "INSERT INTO notes (body) VALUES (?)", [(f"note {i} " + "x" * 100,) for i in range(2000)]
    )
    conn.commit()
    conn.close()
    data = path.read_bytes()
    path.unlink()
    return data


def _bad_files(tmp_path: Path) -> dict[str, bytes]:
    good = _sound(tmp_path / "good.db")
    wal = _sound(tmp_path / "wal.db", wal=True)
    return {
        "not-sqlite": b"not a database\n" * 300,
        "text-file": "name,value\nä,1\n".encode(),
        "header-only": good[:100],
        "first-page": good[:PAGE],
        "two-pages": good[: 2 * PAGE],
        "mid-page": good[: len(good) // 2 + 7],
        "last-page-missing": good[:-PAGE],
        "wal-truncated": wal[: 3 * PAGE],
        "magic-damaged": b"SQLite format 2\x00" + good[16:],
        "page-size-damaged": good[:16] + b"\x00\x03" + good[18:],
        "header-zeroed": bytes(100) + good[100:],
    }


def _folder_with(tmp_path: Path, name: str, content: bytes) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    path = folder / "given.db"
    path.write_bytes(content)
    return path


def _unchanged(path: Path, content: bytes) -> None:
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(content).hexdigest()
    assert sorted(p.name for p in path.parent.iterdir()) == ["given.db"]  # no -wal, -shm, -journal


@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
def test_a_damaged_or_foreign_file_is_a_clear_error_and_stays_as_it_was(
    tmp_path: Path, read_only: bool
) -> None:
    for name, content in _bad_files(tmp_path).items():
        path = _folder_with(tmp_path, name, content)
        with pytest.raises(ConnectionFailed) as caught:
            db = open_database(path, read_only=read_only)
            try:
                load_catalog(db, cached=False)
            finally:
                db.dispose()
        message = str(caught.value)
        assert message in (
            f"{path} is not a SQLite database.",
            f"{path} is not a SQLite database (or it is damaged).",
        ), (
            name,
            message,
        )
        _unchanged(path, content)


def test_warden_inspect_of_a_damaged_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, content in _bad_files(tmp_path).items():
        path = _folder_with(tmp_path, name, content)
        assert cli.main(["inspect", "--db", str(path)]) == 2, name
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1 and "is not a SQLite database" in err, (
            name,
            err,
        )
        assert "Traceback" not in err
        _unchanged(path, content)


def test_an_empty_file_is_a_clear_error_and_is_not_written(tmp_path: Path) -> None:
    """A zero-byte file is refused with a message that says what it is and how to make it a database,
    writable or read-only, and nothing is written, not even a header; `warden migrate upgrade` (which
    fills a `touch`ed file) may still open it."""
    for read_only in (False, True):
        path = _folder_with(tmp_path, f"empty-{read_only}", b"")
        with pytest.raises(ConnectionFailed, match=r"is an empty file \(0 bytes\), not a database yet"):
            open_database(path, read_only=read_only)
        _unchanged(path, b"")
    path = _folder_with(tmp_path, "empty-migrate", b"")
    db = open_database(path, empty_ok=True)
    try:
        assert load_catalog(db, cached=False).entities == {}
    finally:
        db.dispose()
    _unchanged(path, b"")
