"""A whole SQLite table exported as CSV in stored order by two processes: this one and a helper.

Formatting a row in Python costs more than SQLite reading it, and one process uses one core. The table's
rowid range is cut into CHUNKS ranges: this process takes them from the front and writes them straight
into the export, a helper process (`python -m core.data.export_parallel`) takes them from the back into
a part file of its own; they meet in the middle, so neither waits for the other however fast each runs.
At the end the helper's chunks are copied after this process's, in order. A chunk is the same SELECT
with `rowid BETWEEN lo AND hi`, read in rowid order like the plain scan of the whole table (checked with
EXPLAIN QUERY PLAN), and formatted by the same code (csv_batch), so the file is byte for byte the
one-process export.

Both read one snapshot. This process holds a read transaction over all its chunks; the helper's chunks
count only if no other connection committed between a `PRAGMA data_version` read before either snapshot
began and one after both had: otherwise the helper takes nothing and this process exports every chunk.
If the helper fails or is slow to start, this process does its chunks too: the worst case is the
one-process export. Cancel is checked between batches and ends the helper; progress counts both.

The helper is a plain subprocess, not multiprocessing: spawning with multiprocessing re-runs the caller's
main script in the child, which a script without a `__main__` guard (or the GUI's launcher) cannot take.
It talks over its stdin and stdout in lines, answered by a thread here: "ready" (its snapshot began;
answered 1 to go on, 0 to stop), "claim" (answered with a chunk's number, or -1), and "done i start
length rows" for a chunk written to its part file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from core import helper_process
from core.data.csv_lines import csv_lines
from core.engine.sqlite_access import BUSY_TIMEOUT_MS  # os, threading and core.paths: light for the helper

if TYPE_CHECKING:
    from core.progress import TaskState

__all__ = ["CHUNKS", "PARALLEL_MIN_ROWS", "ChunkPlan", "converted_columns", "csv_batch", "write_csv_parallel"]

log = logging.getLogger(__name__)

#: Below this many rows (by the rowid range) the helper's start costs more than it saves.
PARALLEL_MIN_ROWS = 200_000
#: Chunks of the rowid range: the two sides end at most one chunk apart.
CHUNKS = 64
_WAIT_STEP = 0.02
_COPY_BLOCK = 1 << 20

#: (column index, converter) for each column whose values are converted before writing.
Converters = Sequence[tuple[int, Callable[[Sequence[Any]], Sequence[Any]]]]


def converted_columns(rows: Sequence[Sequence[Any]], converters: Converters) -> list[Sequence[Any]]:
    """A batch of rows as read, as its columns, each converting column converted a whole column at once:
    the one conversion of every export writer (CSV here and in core/data/exporting.py, and JSON there)."""
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for i, convert in converters:
        columns[i] = convert(columns[i])
    return columns


def csv_batch(rows: Sequence[Sequence[Any]], converters: Converters) -> str:
    """The CSV lines of a batch of rows as read, its converting columns converted (converted_columns)."""
    return csv_lines(converted_columns(rows, converters))


@dataclass(frozen=True)
class Opener:
    """How a second connection opens the same SQLite file: read-only, like the export's own."""

    driver: str  # the DB-API module's name: sqlite3 or sqlean
    target: str  # the path, or a mode=ro URI
    uri: bool
    mmap_bytes: int  # 0: read with read(), as a foreign file is

    def connect(self) -> Any:
        """A new connection in autocommit mode that may only read."""
        module = __import__(self.driver)
        conn = module.connect(self.target, uri=self.uri, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = ON")
        if self.mmap_bytes:
            conn.execute(f"PRAGMA mmap_size = {self.mmap_bytes}")
        return conn


@dataclass(frozen=True)
class ChunkPlan:
    """The chunks of an export: one SELECT with two rowid bounds, and each chunk's (lo, hi)."""

    sql: str  # the whole table's SELECT followed by `WHERE <rowid> BETWEEN ? AND ?`
    bounds: list[tuple[int, int]]
    opener: Opener
    converters: Converters
    batch: int


def plan_chunks(
    conn: Any,
    table: str,
    column_names: Sequence[str],
    select_sql: str,
    opener: Opener,
    converters: Converters,
    batch: int,
) -> ChunkPlan | None:
    """The chunk plan of `select_sql` (a SELECT of the whole table `table`, quoted, no WHERE or ORDER BY)
    on the driver connection `conn`, or None when the table is small, has no rowid or is not read by a
    plain scan of its rows (then rowid ranges would not give its stored order)."""
    taken = {name.lower() for name in column_names}
    alias = next((a for a in ("_rowid_", "rowid", "oid") if a not in taken), None)
    if alias is None:
        return None
    try:
        plan = conn.execute(f"EXPLAIN QUERY PLAN {select_sql}").fetchall()
        low, high = conn.execute(f"SELECT min({alias}), max({alias}) FROM {table}").fetchone()
    except Exception:  # a WITHOUT ROWID table has no rowid: the one-process export reads it
        return None
    detail = str(plan[0][-1]) if len(plan) == 1 else ""
    if not detail.startswith("SCAN") or "USING" in detail or "VIRTUAL" in detail:
        return None
    if low is None or high - low + 1 < PARALLEL_MIN_ROWS:
        return None
    step = -(-(high - low + 1) // CHUNKS)
    bounds = [(lo, min(lo + step - 1, high)) for lo in range(low, high + 1, step)]
    return ChunkPlan(f"{select_sql} WHERE {alias} BETWEEN ? AND ?", bounds, opener, converters, batch)


#: The hidden first argument that makes a frozen `warden` executable the helper (gui/launcher.py): a frozen
#: build's sys.executable is the app itself, which has no `-m`.
HELPER_ARG = "__export-part"


def _chunk_rows(cursor: Any, plan: ChunkPlan, chunk: int) -> Iterator[list[Any]]:
    """The rows of one chunk, `plan.batch` at a time."""
    cursor.execute(plan.sql, plan.bounds[chunk])
    while rows := cursor.fetchmany(plan.batch):
        yield rows


# --- the helper process --------------------------------------------------------------------------


def helper_main() -> int:
    """The helper's entry for a frozen build (`warden __export-part`); its exit code."""
    _helper_main()
    return 0


def _helper_main() -> None:
    """The helper process: after its snapshot is approved, claim chunks from the back into its part file."""
    commands, answers = sys.stdin.buffer, sys.stdout.buffer

    def say(line: str) -> None:
        answers.write(line.encode("ascii") + b"\n")
        answers.flush()

    plan, part = pickle.load(commands)  # the caller's own plan, over a pipe only it holds
    conn = plan.opener.connect()
    try:
        cursor = conn.cursor()
        cursor.execute("BEGIN")
        cursor.execute(plan.sql, plan.bounds[-1]).fetchone()  # the snapshot begins with the first read
        say("ready")
        if commands.readline().strip() != b"1":
            return
        with open(part, "wb") as out:
            say("claim")
            while (chunk := int(commands.readline())) >= 0:
                say("claim")  # the next one is answered while this one is written
                start, count = out.tell(), 0
                for rows in _chunk_rows(cursor, plan, chunk):
                    out.write(csv_batch(rows, plan.converters).encode("utf-8"))
                    count += len(rows)
                out.flush()
                say(f"done {chunk} {start} {out.tell() - start} {count}")
    finally:
        conn.close()


# --- this process --------------------------------------------------------------------------------


class _Chunks:
    """Which side writes which chunk: this process from the front, the helper from the back."""

    def __init__(self, n: int) -> None:
        self.lock = threading.Lock()
        self.front, self.back = 0, n - 1
        self.closed = False  # the helper gets no more chunks
        self.done: dict[int, tuple[int, int, int]] = {}  # the helper's chunks: start, length, rows
        self.helper_rows = 0

    def claim(self, front: bool) -> int:
        """The next chunk from the front or the back, or -1 when the two met."""
        with self.lock:
            if self.front > self.back or (self.closed and not front):
                return -1
            if front:
                self.front += 1
                return self.front - 1
            self.back -= 1
            return self.back + 1


def _serve(proc: subprocess.Popen[bytes], chunks: _Chunks, same_snapshot: Any) -> None:
    """Answer the helper's lines until it ends (the thread beside this process's export)."""
    assert proc.stdin is not None and proc.stdout is not None
    with contextlib.suppress(OSError, ValueError):  # the helper ended or was ended: nothing more to answer
        for line in proc.stdout:
            word, *args = line.split()
            if word == b"ready":
                answer = 1 if same_snapshot() else 0
                if not answer:
                    chunks.closed = True
            elif word == b"claim":
                answer = chunks.claim(front=False)
            elif word == b"done":
                chunk, start, length, rows = map(int, args)
                with chunks.lock:
                    chunks.done[chunk] = (start, length, rows)
                    chunks.helper_rows += rows
                continue
            else:
                break
            proc.stdin.write(b"%d\n" % answer)
            proc.stdin.flush()


def _start_helper(plan: ChunkPlan, part: Path) -> subprocess.Popen[bytes]:
    """The helper process, with this checkout of Warden first on its path and the plan on its stdin."""
    proc = helper_process.start("core.data.export_parallel", HELPER_ARG)
    assert proc.stdin is not None
    pickle.dump((plan, str(part)), proc.stdin)
    proc.stdin.flush()
    return proc


def write_csv_parallel(
    out: IO[str], conn: Any, plan: ChunkPlan, part: Path, state: TaskState | None, header: str
) -> int:
    """Write `header` and every chunk of `plan` into `out` with a helper process; the rows written.

    `conn` is this process's driver connection, not in a transaction; it holds one for the whole export
    (rolled back at the end). `part` is the helper's file, removed before returning.
    """
    n = len(plan.bounds)
    chunks = _Chunks(n)
    cursor = conn.cursor()
    watch: Any = None
    proc: subprocess.Popen[bytes] | None = None
    server: threading.Thread | None = None
    try:
        try:
            watch = plan.opener.connect()
            before = _data_version(watch)  # before either snapshot begins
        except Exception as exc:  # the helper could not open the file either: this process does it all
            log.warning("export helper not started (%s); exporting in one process", type(exc).__name__)
            if watch is not None:
                with contextlib.suppress(Exception):
                    watch.close()
            watch = None
        cursor.execute("BEGIN")
        cursor.execute(plan.sql, plan.bounds[0]).fetchone()  # this process's snapshot begins
        try:
            proc = _start_helper(plan, part) if watch is not None else None
        except OSError as exc:
            log.warning("export helper not started (%s); exporting in one process", type(exc).__name__)
        if proc is None:
            chunks.closed = True
        else:
            server = threading.Thread(
                target=_serve, args=(proc, chunks, lambda: _data_version(watch) == before), daemon=True
            )
            server.start()
        out.write(header)
        written = 0

        def tick() -> None:
            """Between batches: stop on cancel, and report the rows both processes wrote."""
            if state is not None:
                state.check()
                state.set_progress(written + chunks.helper_rows, message="rows written")

        def write_chunk(chunk: int) -> None:
            nonlocal written
            for rows in _chunk_rows(cursor, plan, chunk):
                if state is not None:
                    state.check()
                out.write(csv_batch(rows, plan.converters))
                written += len(rows)
                tick()

        while (chunk := chunks.claim(front=True)) >= 0:
            write_chunk(chunk)
        with chunks.lock:
            chunks.closed = True
            helper_first = chunks.back + 1
        if proc is not None:
            if helper_first == n:
                proc.kill()  # it has taken nothing (still starting, or its snapshot was refused)
            while proc.poll() is None:
                tick()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(_WAIT_STEP)
            if server is not None:
                server.join()  # every "done" it sent is in chunks.done now
            if proc.returncode != 0 and helper_first < n:
                log.warning("export helper ended with code %s; its chunks are exported here", proc.returncode)
        for chunk in range(helper_first, n):
            if chunk in chunks.done:
                if state is not None:
                    state.check()
                start, length, _rows = chunks.done[chunk]
                out.flush()  # the text layer's buffer first, then _copy flushes the byte layer's
                _copy(part, out.buffer, start, length)  # type: ignore[attr-defined]
            else:
                write_chunk(chunk)
        written += chunks.helper_rows  # the rows of the helper's chunks, copied above
        log.debug("export in two processes: %d of %d chunks written by the helper", len(chunks.done), n)
        if state is not None:
            state.check()
            state.set_progress(written, message="rows written")
        return written
    finally:
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError):
                    pipe.close()  # type: ignore[union-attr]
        if server is not None:
            server.join()
        with contextlib.suppress(Exception):
            cursor.close()
        with contextlib.suppress(Exception):
            conn.rollback()
        if watch is not None:
            watch.close()
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)


def _data_version(conn: Any) -> int:
    """PRAGMA data_version: it changes when another connection commits to the file."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def _copy(part: Path, into: Any, start: int, length: int) -> None:
    """Append `length` bytes of `part` from `start` to the binary file `into` (flushed): inside the kernel
    where it can (os.copy_file_range), else through a buffer."""
    into.flush()
    with part.open("rb") as src:
        copy_range = getattr(os, "copy_file_range", None)  # Linux
        with contextlib.suppress(OSError):  # another file system, an old kernel: the buffer goes on from here
            while copy_range is not None and length > 0:
                copied = copy_range(src.fileno(), into.fileno(), length, start)
                if not copied:
                    break
                start, length = start + copied, length - copied
        src.seek(start)
        while length > 0:
            block = src.read(min(_COPY_BLOCK, length))
            if not block:
                raise OSError("the export helper's part file is shorter than it said")
            into.write(block)
            length -= len(block)


if __name__ == "__main__":
    _helper_main()
