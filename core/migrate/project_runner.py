"""The child process that runs an external Alembic project (core/migrate/project.py starts it).

The project's env.py and revisions are the user's code: they run here, never in Warden's own process, so
their imports, prints and crashes cannot take Warden down. The request is one JSON line on stdin; further
stdin lines ("cancel") stop a run between revisions. Answers are JSON lines on stdout (`progress`,
`partial`, then one `result` or `error`); anything the project prints or logs goes to stderr, which the
parent streams into its log.

Run as `python -m core.migrate.project_runner`, or in a frozen build as `warden <RUNNER_ARG>`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import IO, Any

from core.errors import WardenError
from core.progress import Progress, TaskState

#: The hidden first argument that makes a frozen `warden` executable this runner (gui/launcher.py).
RUNNER_ARG = "__migrate-project"
#: Actions that run the project's code; everything else (backups, copies) needs no project.
ACTIONS = ("status", "current", "heads", "history", "pending", "lint", "check", "sql", "upgrade", "downgrade")


class _Answers:
    """JSON lines on the real stdout, one writer at a time (progress comes from the migration's thread)."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.lock = threading.Lock()

    def send(self, kind: str, value: Any) -> None:
        line = json.dumps({kind: value}, default=_plain)
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()


def _plain(value: Any) -> Any:
    """Dataclasses, paths, times and tuples as JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def run(request: dict[str, Any], state: TaskState) -> Any:
    """One action of the project at `request["project"]` (its alembic.ini) on `request["target"]`."""
    from core.engine.db import open_database
    from core.migrate import drift, lint, preview, running, status

    ini = Path(request["project"])
    # The project's own modules (its metadata, helpers its revisions import) are found from its folder,
    # as when its developers run `alembic` there.
    sys.path.insert(0, str(ini.parent))
    action, rev = request["action"], request.get("revision")
    if action == "heads":
        return status.heads(scripts=ini)
    if action == "history" and not request.get("target"):
        return status.history(scripts=ini)
    db = open_database(request["target"])
    try:
        if action == "status":
            return status.status(db, scripts=ini, metadata=_metadata(request.get("metadata")))
        if action == "check":
            found = _metadata(request.get("metadata"))
            if found is None:
                raise WardenError(
                    "Drift of an external project needs its metadata: give --metadata MODULE:NAME "
                    "(e.g. myapp.models:metadata)."
                )
            return drift.drift_report(db, found)
        if action == "current":
            return status.current(db)
        if action == "history":
            return status.history(db, scripts=ini)
        if action == "pending":
            return status.pending(db, scripts=ini)
        if action == "lint":
            return lint.lint(db, rev or "heads", scripts=ini)
        if action == "sql":
            return preview.sql(db, rev or "heads", scripts=ini)
        backup_dir = Path(request["backup_dir"]) if request.get("backup_dir") else None
        if action == "upgrade":
            return running.upgrade(db, rev or "head", backup_dir=backup_dir, state=state, scripts=ini)
        if action == "downgrade":
            return running.downgrade(db, str(rev), backup_dir=backup_dir, state=state, scripts=ini)
        raise WardenError(f"Unknown project action {action!r}")
    finally:
        db.dispose()


def _metadata(name: str | None) -> Any:
    """The project's MetaData named "module:attribute" (imported here, in the child), or None."""
    if not name:
        return None
    module, _, attr = name.partition(":")
    import sqlalchemy as sa

    try:
        found = getattr(importlib.import_module(module), attr or "metadata")
    except (ImportError, AttributeError) as exc:
        raise WardenError(f"The project's metadata {name!r} cannot be loaded: {exc}") from None
    if not isinstance(found, sa.MetaData):
        found = getattr(found, "metadata", None)  # a declarative Base names its MetaData `metadata`
    if not isinstance(found, sa.MetaData):
        raise WardenError(f"{name!r} is not a SQLAlchemy MetaData (or a declarative Base).")
    return found


def _listen_for_cancel(source: IO[str], state: TaskState) -> None:
    """Cancel the run when the parent writes "cancel" (or closes stdin: the parent is gone)."""
    for line in source:
        if line.strip() == "cancel":
            break
    state.cancel()


def main() -> int:
    """Read the request, run it, answer; exit 0 with a result, 2 with an error."""
    answers = _Answers(sys.stdout)
    request = json.loads(sys.stdin.readline())
    state = TaskState(
        on_progress=lambda p: answers.send("progress", _progress(p)),
        on_partial=lambda v: answers.send("partial", str(v)),
    )
    threading.Thread(target=_listen_for_cancel, args=(sys.stdin, state), daemon=True).start()
    code = 0
    # The project's prints must not mix with the answers: they go to stderr, into the parent's log.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            answers.send("result", run(request, state))
        except WardenError as exc:
            answers.send("error", {"type": type(exc).__name__, "message": str(exc), **_extra(exc)})
            code = 2
        except BaseException as exc:  # the project's code failed outside a migration (imports, env.py)
            answers.send("error", {"type": "MigrationFailed", "message": _project_failed(exc)})
            code = 2
    sys.stderr.flush()
    # Threads the project started must not keep the process (and the parent waiting on it) alive.
    os._exit(code)


def _progress(p: Progress) -> list[Any]:
    return [p.done, p.total, p.message]


def _extra(exc: WardenError) -> dict[str, Any]:
    heads = getattr(exc, "heads", None)
    return {"heads": heads} if heads is not None else {}


def _project_failed(exc: BaseException) -> str:
    """One line naming what failed in the project's code."""
    lines = str(exc).strip().splitlines()
    why = lines[0].rstrip(".") if lines else ""
    name = type(exc).__name__
    return f"The project's migration code failed: {name}{': ' + why if why else ''}."


if __name__ == "__main__":
    sys.exit(main())
