"""The source side of a copy's check summed by a second process, beside the copy.

Spelling every source value canonically and hashing each row (core/migrate/copy_digest.RowDigest) costs this
process about as much as reading the rows and writing them as COPY text, and one process uses one core
while the server, busy only with parsing the COPY, leaves the other one mostly idle. A large table's batches
(the columns this process has read and will send, so exactly the rows copied: one snapshot) are pickled to a
helper process (`python -m core.migrate.copy_helper`; a frozen build runs itself with HELPER_ARG,
gui/launcher.py), which sums them by the same plan and answers the table's rows and sum at its end.

The helper is a plain subprocess, not multiprocessing (which re-runs the caller's main script in the child).
It says ("ready",) once its imports are done, then reads pickled messages on its stdin: ("begin", table,
specs) with the plan's columns as column_plan's arguments, ("add", columns, rows) for a batch, ("end",) for
the answer on its stdout: ("ok", rows, total) or ("error", message) for a value the check cannot spell
(named by table and column, as RowDigest says it).
"""

from __future__ import annotations

import contextlib
import io
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any

from core import helper_process
from core.errors import WardenError
from core.migrate.copy_digest import DigestPlan, RowDigest, column_plan
from core.redact import format_exception

#: The hidden first argument that makes a frozen `warden` executable the helper (a frozen build's
#: sys.executable is the app itself, which has no `-m`).
HELPER_ARG = "__copy-digest"
#: Tables with fewer rows to copy are summed in this process: the batches' trip costs more than it saves.
HELPER_MIN_ROWS = 50_000
#: How long the helper may take to start (its imports) before the copy sums in this process.
_READY_SECONDS = 60.0
#: Batches queued for the helper (the copy goes on reading while the helper sums the ones before).
_QUEUED = 8

__all__ = ["HELPER_ARG", "HELPER_MIN_ROWS", "DigestHelper", "helper_main"]


class DigestHelper:
    """One helper process for a whole copy: tables are summed one after another."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.queue: queue.Queue[bytes | None] = queue.Queue(_QUEUED)
        self.broken: OSError | None = None
        self.started: bool | None = None  # its first word read: whether it runs
        # A thread writes to the pipe (the write waits while the helper sums, without holding the GIL).
        self.thread = threading.Thread(target=self._send, name="warden-copy-digest", daemon=True)
        self.thread.start()

    @classmethod
    def start(cls) -> DigestHelper | None:
        """The helper process, starting (`ready` tells whether it runs), or None when none can be started
        (the copy sums in this process)."""
        if not helper_process.available():
            return None
        try:
            return cls(helper_process.start("core.migrate.copy_helper", HELPER_ARG))
        except OSError:
            return None

    def ready(self) -> bool:
        """Whether the helper runs: waits for its first word (once), its imports done. False: it could not
        start (a frozen build without the hook, no pipes): the copy sums in this process."""
        if self.started is None:
            heard: list[object] = []

            def listen() -> None:
                with contextlib.suppress(EOFError, OSError, pickle.UnpicklingError):
                    assert self.proc.stdout is not None
                    heard.append(pickle.load(self.proc.stdout))

            # A thread reads it: a helper that never answers (a frozen build without its hook) is ended.
            listener = threading.Thread(target=listen, name="warden-copy-digest-ready", daemon=True)
            listener.start()
            listener.join(_READY_SECONDS)
            self.started = heard == [("ready",)]
            if not self.started:
                self.proc.kill()
        return self.started

    def begin(self, table: str, plan: DigestPlan) -> None:
        """A table's rows follow, summed by `plan`."""
        self._put(("begin", table, [(c.name, *c.spec) for c in plan.columns]))

    def add(self, columns: Sequence[Sequence[Any]], rows: int) -> None:
        """One batch, as its columns."""
        self._put(("add", columns, rows))

    def result(self, into: RowDigest) -> None:
        """Wait for the table's sum and put it in `into`; raises WardenError as RowDigest would, or when
        the helper stopped."""
        self._put(("end",))
        reply = None
        if self.ready():  # its first word read first
            try:
                assert self.proc.stdout is not None
                reply = pickle.load(self.proc.stdout)
            except (EOFError, OSError, pickle.UnpicklingError):
                pass
        if isinstance(reply, tuple) and reply[0] == "bug" and self.broken is None:
            # As the same bug in this process would: the crash handler, with the helper's traceback.
            raise RuntimeError(f"the copy's check process failed on {into.table}:\n{reply[1]}")
        if not isinstance(reply, tuple) or reply[0] not in ("ok", "error") or self.broken is not None:
            raise WardenError(
                f"Checking {into.table} failed: the copy's check process stopped. "
                "The tables copied before it were kept; run the copy again to resume."
            )
        if reply[0] == "error":
            raise WardenError(str(reply[1]))
        into.rows, into.total = int(reply[1]), int(reply[2])

    def close(self) -> None:
        """End the helper (after the copy, a failure or a cancel): every answer wanted has been read, so
        it is ended at once (a cancel does not wait for the batches queued)."""
        self.proc.kill()
        self.proc.wait()
        with contextlib.suppress(queue.Full):
            self.queue.put(None, timeout=5)  # the sender's writes fail at once now: it drains and ends
        self.thread.join(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()

    def _put(self, message: tuple[Any, ...]) -> None:
        self.queue.put(_dumps(message))

    def _send(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        while (data := self.queue.get()) is not None:
            if self.broken is None:
                try:
                    stdin.write(data)
                    stdin.flush()
                except OSError as exc:  # the helper ended: told at the table's result
                    self.broken = exc


def _dumps(message: tuple[Any, ...]) -> bytes:
    """A message pickled without the memo: a batch's columns are some 200,000 distinct strings and numbers
    (no object met twice, none holding itself), which the memo would record one by one. Tool executions'
    20,000-row batch: 45 -> 15 ms here, 14 -> 10 ms to load in the helper (load 4.4)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo (documented as deprecated; the C pickler honours it)
    pickler.dump(message)
    return out.getvalue()


def helper_main() -> int:
    """The helper process: sum each table's batches, answer at its end; ends with its stdin."""
    messages, answers = sys.stdin.buffer, sys.stdout.buffer
    digest: RowDigest | None = None
    error: str | None = None
    bug: str | None = None
    pickle.dump(("ready",), answers)
    answers.flush()
    while True:
        try:
            message = pickle.load(messages)  # the caller's own messages, over a pipe only it holds
        except EOFError:
            return 0
        try:
            if message[0] == "begin":
                bug = None
                plans = [column_plan(*spec) for spec in message[2]]
                digest = RowDigest(DigestPlan(tuple(p for p in plans if p is not None)), message[1])
                error = None if None not in plans else f"Checking {message[1]} failed: a column has no plan."
            elif message[0] == "add" and digest is not None and error is None and bug is None:
                digest.add_columns(message[1], message[2])
        except WardenError as exc:
            error = str(exc)
        except Exception as exc:  # a bug: its traceback (no message that may quote values) goes back
            bug = format_exception(exc)
        if message[0] == "end":
            if bug is not None:
                reply: tuple[Any, ...] = ("bug", bug)
            elif digest is None:
                reply = ("error", "The copy's check process got no table.")
            else:
                reply = ("error", error) if error is not None else ("ok", digest.rows, digest.total)
            pickle.dump(reply, answers, protocol=pickle.HIGHEST_PROTOCOL)
            answers.flush()


if __name__ == "__main__":
    sys.exit(helper_main())
