"""The work that follows a table's copy on threads of their own while the next table is read and copied:
a fresh table's end (its indexes and keys made again, its audit entry, its commit) on one, ANALYZE and the
target's side of the check on two more."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import psycopg

from core.engine.db import Database
from core.migrate.copy_audit import CopyAudit
from core.migrate.copy_digest import DigestPlan
from core.migrate.copy_keys import DeferredKeys
from core.migrate.copy_verify import target_digest
from core.migrate.copy_writer import Copier, refused
from core.schema.catalog import Entity

if TYPE_CHECKING:
    from core.migrate.copy import TableCopy

__all__ = ["Behind", "Ending", "end_fresh"]


def end_fresh(copier: Copier, deferred: DeferredKeys, audit: CopyAudit, done: TableCopy) -> None:
    """A fresh table's end, on the ending thread: indexes and keys made again, the audit entry, the commit
    (a failure rolls all of the table back)."""
    try:
        deferred.restore(copier.conn)
        if done.rows_copied:
            audit.record(copier.conn, done.table, done.rows_source, done.rows_copied, done.rows_present)
        copier.raw.commit()
    except psycopg.Error as exc:
        raise refused(done.table, exc) from None
    finally:
        copier.raw.rollback()
        copier.raw.close()


class Ending:
    """The end of the table copied last (its indexes and keys, audit entry and commit), on a thread of its
    own while the next table's rows are read; what to tell once it is committed, told on the copy's thread."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="warden-copy-ending")
        self.job: tuple[Future[None], Callable[[], None]] | None = None

    def start(self, work: Callable[[], None], then: Callable[[], None]) -> None:
        """Run `work` on the thread; `then` once it has succeeded (at the next `wait`)."""
        self.wait()
        self.job = (self.pool.submit(work), then)

    def done(self) -> bool:
        """Whether nothing is left running."""
        return self.job is None or self.job[0].done()

    def wait(self) -> None:
        """Wait for the running end; raise its failure (the table's refusal), else tell it."""
        if self.job is None:
            return
        future, then = self.job
        self.job = None
        future.result()
        then()

    def close(self) -> None:
        """After a failure or a cancel: let a running end finish (a table is whole or not there)."""
        if self.job is not None:
            with contextlib.suppress(Exception):
                self.job[0].result()
            self.job = None
        self.pool.shutdown(wait=True)


#: Whether the server's autovacuum will ANALYZE this table by itself: its launcher and the statistics it
#: reads are on, and the table does not opt out (reloptions autovacuum_enabled=false).
AUTOVACUUM_ANALYZES = """
SELECT current_setting('autovacuum') = 'on' AND current_setting('track_counts') = 'on'
   AND NOT coalesce(
       (SELECT option_value FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_enabled')
       IN ('false', 'off', 'no', '0'), false)
  FROM pg_class c
 WHERE c.oid = %(table)s::regclass
"""


class Behind:
    """What follows a table's copy, on its own connection while the next table is copied: the target's side
    of the check, done by the server, so this process only waits for it, and ANALYZE where the server's
    autovacuum will not run one. Two at a time: a table's work waits while a table that references it is
    copied (dropping that table's keys locks it), and the tables queued after it need not wait too.

    Planner statistics are autovacuum's to take, as after any bulk load (pgloader leaves them to it too):
    a table filled by the copy passes its analyze threshold, so it is analyzed within autovacuum_naptime
    (a minute by default), and Warden's counts read the live-row statistics meanwhile. An ANALYZE of every
    table on the copy's clock cost about 6.5 s of the server's CPU on the 2.1 M-row demo (the full-text
    index's statistics half of it), which autovacuum then did again. Where autovacuum is off, for the server
    or the table, nothing would take them, so the copy does.
    """

    def __init__(self, source: Database, target: Database, verify: bool) -> None:
        self.source, self.target, self.verify = source, target, verify
        self.pool = ThreadPoolExecutor(2, thread_name_prefix="warden-copy-behind")
        self.jobs: list[tuple[str, Future[tuple[int, str] | None]]] = []

    def table_done(self, src: Entity, tgt: Entity, plan: DigestPlan | None, *, analyze: bool) -> None:
        """Queue the table's ANALYZE (when rows were written and autovacuum will not) and its digest by
        `plan`, the one its source rows were summed by (when verifying and the copy summed them)."""
        self.jobs.append((src.name, self.pool.submit(self._after, src, tgt, plan, analyze)))

    def _after(
        self, src: Entity, tgt: Entity, plan: DigestPlan | None, analyze: bool
    ) -> tuple[int, str] | None:
        if analyze:
            prep = self.target.engine.dialect.identifier_preparer
            name = prep.format_table(tgt.table)
            with self.target.transaction() as conn:
                if not conn.exec_driver_sql(AUTOVACUUM_ANALYZES, {"table": name}).scalar():
                    conn.exec_driver_sql(f"ANALYZE {name}")
        return target_digest(self.source, self.target, src, tgt, plan) if self.verify else None

    def finish(self) -> dict[str, tuple[int, str]]:
        """Wait for every table's work; the digests taken."""
        found = {name: job.result() for name, job in self.jobs}
        return {name: summed for name, summed in found.items() if summed is not None}

    def close(self) -> None:
        """Drop what has not started (a cancel, a failure) and wait for what has."""
        self.pool.shutdown(wait=True, cancel_futures=True)
