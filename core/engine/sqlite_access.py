"""How a SQLite file is opened: Warden's own databases in WAL, any other file read-only until the first save.

Reading a file never writes it. Only Warden's own databases are switched to WAL: the default database,
and files Warden created (they carry WARDEN_APPLICATION_ID in the header's application_id field, so a demo
database is known as Warden's when it is opened again). Any other file keeps its journal mode; concurrency
there comes from busy_timeout alone.

Until the first save, a file Warden did not create is opened so that nothing can write it:
- a rollback-journal file with `mode=ro`: SQLite then creates no file beside it;
- a file already in WAL read-write with `PRAGMA query_only`, because a `mode=ro` connection to a WAL file
  has to create `-wal` and `-shm` and cannot remove them, while the last read-write connection to close
  removes both.
The first save makes the next connections read-write (`allow_writes`), the journal mode untouched.

The header is read through the SQLite library of the connections, never with open()/close(): POSIX drops
every lock a process holds on a file when any descriptor of that file closes, so a plain read while another
connection of this process holds a lock would let another program write underneath it. SQLite's unix VFS
shares one record per file across the connections of a process and keeps a closed descriptor open until
their locks are released (read_header).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path, PurePath, PureWindowsPath
from typing import Any

from core.errors import ReadOnlyError
from core.paths import default_database

__all__ = [
    "BUSY_TIMEOUT_MS",
    "WARDEN_APPLICATION_ID",
    "SqliteAccess",
    "header_application_id",
    "header_is_wal",
    "is_wardens_own",
    "read_header",
    "reads_pages",
    "sqlite_file_uri",
]

#: WAL pages after which a commit checkpoints a Warden file (SQLite's default is 1000; see configure).
WAL_CHECKPOINT_PAGES = 5000
#: "WARD": written into the header of every file Warden creates (PRAGMA application_id).
WARDEN_APPLICATION_ID = 0x57415244
BUSY_TIMEOUT_MS = 5000
MEMORY = ":memory:"


#: Page 1's first 100 bytes, through SQLite (SQLITE_ENABLE_DBPAGE_VTAB: sqlean-py has it).
HEADER_QUERY = "SELECT substr(data, 1, 100) FROM sqlite_dbpage WHERE pgno = 1"
#: SQLITE_CORRUPT, SQLITE_NOTADB: SQLite cannot read the file as a database.
NOT_A_DATABASE = (11, 26)


@functools.cache
def reads_pages(module: Any) -> bool:
    """Whether a SQLite DB-API module has the sqlite_dbpage table (read_header reads through it)."""
    conn = module.connect(MEMORY)
    try:
        conn.execute("SELECT 1 FROM sqlite_dbpage LIMIT 0")
        return True
    except module.Error:
        return False
    finally:
        conn.close()


def read_header(path: str | Path, module: Any) -> bytes | None:
    """The file's first 100 bytes (the SQLite header), read through `module`, the library of the file's
    connections; b"" for a missing, empty or unopenable file; None when SQLite cannot read it as a database.

    `immutable=1`: the probe takes no lock and opens no journal, -wal or -shm, so it leaves nothing beside
    the file; its descriptor closes through the VFS, which keeps it open while this process holds locks.
    Without a lock the probe can read the file while another connection checkpoints into it: page 1 (with
    the new database size) lands before the pages that grow the file, and naming sqlite_dbpage makes SQLite
    read the schema, whose pages can be half written. `writable_schema` (harmless on a read-only
    connection) makes SQLite read on through both instead of saying SQLITE_CORRUPT; the header itself is
    still checked (magic, page size, versions). A truncated file passes here and is refused by the first
    real connection, which reads under a lock. (Header PRAGMAs such as application_id need no schema, but
    none says WAL, bytes 18-19, and page 1's size check fails them mid-checkpoint just the same.)
    """
    if not reads_pages(module):
        return _read_raw(path)  # a library without sqlite_dbpage: the POSIX lock hazard stays (see above)
    try:
        conn = module.connect(sqlite_file_uri(Path(path).resolve()) + "?mode=ro&immutable=1", uri=True)
    except module.Error:
        return b""
    try:
        conn.execute("PRAGMA writable_schema = ON")
        row = conn.execute(HEADER_QUERY).fetchone()
    except module.Error as exc:
        return None if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in NOT_A_DATABASE else b""
    finally:
        conn.close()
    return bytes(row[0]) if row else b""


def sqlite_file_uri(path: PurePath) -> str:
    """An absolute path as a SQLite URI filename, percent-quoted.

    `as_uri()` names a Windows UNC path's server as the URI's authority (file://server/share/x.db), which
    SQLite refuses: it takes only an empty or "localhost" authority. The server goes into the path instead,
    file:////server/share/x.db, which SQLite on Windows opens as that UNC path.
    """
    if isinstance(path, PureWindowsPath):
        text = str(path)
        if text.startswith("\\\\?\\UNC\\"):  # the extended-length forms that resolve() can return
            path = PureWindowsPath("\\\\" + text[8:])
        elif text.startswith("\\\\?\\"):
            path = PureWindowsPath(text[4:])
        if path.drive.startswith("\\\\"):
            return "file:////" + path.as_uri().removeprefix("file://")
    return path.as_uri()


def _read_raw(path: str | Path) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(100)
    except OSError:
        return b""


def header_is_wal(header: bytes) -> bool:
    """Whether the header says WAL: the file format write/read versions (bytes 18 and 19) are 2."""
    return len(header) >= 20 and (header[18] == 2 or header[19] == 2)


def header_application_id(header: bytes) -> int:
    """The header's application_id (bytes 68-71, big-endian); 0 when unset or unreadable."""
    return int.from_bytes(header[68:72], "big") if len(header) >= 72 else 0


def is_wardens_own(path: str, header: bytes) -> bool:
    """Whether a SQLite file is Warden's own: the default database, or a file Warden created (`header`)."""
    if path == MEMORY:
        return True
    if header_application_id(header) == WARDEN_APPLICATION_ID:
        return True
    try:
        return Path(path).resolve() == default_database().resolve()
    except OSError:
        return False


class SqliteAccess:
    """One SQLite file's connection rules: how a connection opens, its PRAGMAs, and the first-save switch."""

    def __init__(self, path: str, *, own: bool, read_only: bool, header: bytes) -> None:
        self.path = path
        self.own = own or path == MEMORY
        self.read_only = read_only  # asked for: never becomes writable
        self.wal = path != MEMORY and header_is_wal(header)
        # Warden's own databases write from the start; any other file once the first save asks for it.
        self.writable = self.own and not read_only
        self._switch = threading.Lock()
        self._switched = self.writable

    @property
    def uri(self) -> str:
        """The read-only URI of the file (absolute and percent-quoted, as SQLite's URI filenames need)."""
        return sqlite_file_uri(Path(self.path).resolve()) + "?mode=ro"

    def on_do_connect(self, _dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        """Open a rollback-journal file read-only (`mode=ro`) until the first save."""
        if not self.writable and not self.wal and self.path != MEMORY:
            cargs[:1] = [self.uri]
            cparams["uri"] = True

    def configure(self, cursor: Any) -> None:
        """Per-connection PRAGMAs: busy_timeout and foreign keys always; WAL only for Warden's own files."""
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if self.path == MEMORY:
            return
        if not self.writable:
            if self.wal:
                cursor.execute("PRAGMA query_only = ON")  # read-write only so it can tidy up at close
            return
        if self.own:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            # An audited one-row save adds two pages to the WAL (its row's and the entry's; 1,053 frames for
            # 500 saves, 508 without audit): checkpointing every WAL_CHECKPOINT_PAGES instead of SQLite's
            # 1000 keeps the checkpoint (two fsyncs, paid by the save that crosses the mark) rarer per save
            # than before auditing (bench/load.py, machine load 11-14, when the log had three indexes: mean
            # save latency with audit over without 3.0x -> 1.5x, p99 57 -> 24 ms; the median is the same).
            cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")

    @property
    def writes_deferred(self) -> bool:
        """Whether the file is read-only only until the first save (rather than writable, or read-only)."""
        return not self.writable and not self.read_only

    def allow_writes(self, reopen: Callable[[], None]) -> None:
        """Make the next connections read-write, calling `reopen` once to drop the read-only ones.

        Concurrent first saves wait for the one switch, so none of them gets a read-only connection. A file
        the user may not write (permissions, read-only media) is a ReadOnlyError, and stays read-only.
        """
        if self._switched:
            return
        with self._switch:
            if self._switched:
                return
            folder = Path(self.path).parent
            if not os.access(self.path, os.W_OK) or not os.access(folder, os.W_OK):
                # SQLite would open it read-only without a word, and the write would fail with a driver error.
                what = "file" if not os.access(self.path, os.W_OK) else f"folder {folder}"
                raise ReadOnlyError(
                    f"{self.path} cannot be saved: you may not write the {what}. "
                    "Check its permissions, or copy it somewhere you may write."
                )
            self.writable = True
            reopen()
            self._switched = True
