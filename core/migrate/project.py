"""An external Alembic project (your own app's alembic.ini, env.py and revisions), run in a child process.

The project's code is the user's: `call` runs each action in `core.migrate.project_runner` with the same
interpreter (a frozen build: its own executable with a hidden argument), so an import that fails, an
env.py that raises, prints or hangs cannot take Warden down. Results come back as JSON and are turned
into the same objects the built-in scripts give (Status, RevisionLint, MigrationResult…), so the CLI and
the runner dialog show both alike. Errors come back typed, as one line.
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import core
from core import errors
from core.engine.db import Database
from core.errors import MigrationFailed, NotFoundError, WardenError
from core.migrate.drift import DriftItem
from core.migrate.lint import Finding, RevisionLint
from core.migrate.project_runner import ACTIONS, RUNNER_ARG
from core.migrate.running import MigrationResult
from core.migrate.scripts import MultipleHeads, Revision, project_scripts
from core.migrate.status import GraphNode, Status
from core.progress import Progress, TaskState

INI = "alembic.ini"
#: Seconds a cancelled child gets to stop between revisions before it is killed.
CANCEL_GRACE = 30.0


@dataclass(frozen=True)
class Project:
    """An external Alembic project: its alembic.ini (the folder holding it is the project's root)."""

    ini: Path
    metadata: str | None = None  # "module:name" of its MetaData, for drift; None: drift is not compared

    @property
    def root(self) -> Path:
        """The folder the project's `alembic` commands run in."""
        return self.ini.parent

    @property
    def name(self) -> str:
        """A short name for messages and the dialog: the project's folder."""
        return self.root.name


def find_project(path: str | Path, metadata: str | None = None) -> Project:
    """The project at `path` (a folder holding alembic.ini, or the ini file); checked without running it."""
    ini = Path(path).expanduser()
    if ini.is_dir():
        ini = ini / INI
    if not ini.is_file():
        raise NotFoundError(
            f"No {INI} at {path}: pick the project's folder holding {INI}, or the file itself."
        )
    ini = ini.resolve()
    parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
    try:
        parser.read(ini, encoding="utf-8")
        location = parser.get("alembic", "script_location", fallback=None)
    except (configparser.Error, UnicodeDecodeError) as exc:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MigrationFailed(f"{ini} cannot be read as an Alembic ini file: {why}") from None
    if not parser.has_section("alembic"):
        raise MigrationFailed(f"{ini} has no [alembic] section: it is not an Alembic project's ini file.")
    folder = project_scripts(ini, location)
    if Path(folder).is_absolute() and not (Path(folder) / "env.py").is_file():
        raise MigrationFailed(f"{ini}: its script_location {folder} holds no env.py.")
    return Project(ini, metadata or None)


def runner_command() -> list[str]:
    """How to start the runner with Warden's own interpreter (frozen: the executable, a hidden argument)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, RUNNER_ARG]
    return [sys.executable, "-m", "core.migrate.project_runner"]


def call(
    project: Project,
    db: Database | None,
    action: str,
    revision: str | None = None,
    *,
    state: TaskState | None = None,
    backup_dir: Path | None = None,
) -> Any:
    """Run one action of `project` on `db` in a child process; its result as core's usual objects.

    The child's log lines (Alembic's, the project's prints) reach `state` as partial results, its progress
    as progress; cancel asks it to stop between revisions (and kills it if it does not).
    """
    if action not in ACTIONS:
        raise WardenError(f"`{action}` does not run an external project")
    if db is not None and action in ("upgrade", "downgrade") and db.capabilities.read_only:
        raise errors.ReadOnlyError(f"{db.display_url} is open read-only; reopen it writable to migrate it.")
    request = {
        "project": str(project.ini),
        "target": _target(db),
        "action": action,
        "revision": revision,
        "backup_dir": str(backup_dir) if backup_dir else None,
        "metadata": project.metadata,
    }
    answer = _Child(request, state, project).wait()
    return _decode(action, answer)


def _target(db: Database | None) -> str | None:
    """The database as the child opens it: a SQLite file's path, else the URL with its password."""
    if db is None:
        return None
    if db.backend == "sqlite" and db.url.database:
        return db.url.database
    return db.url.render_as_string(hide_password=False)


class _Child:
    """One runner process: the request in, answers out, stderr streamed to the log, cancel passed on."""

    def __init__(self, request: dict[str, Any], state: TaskState | None, project: Project) -> None:
        self.state, self.project = state, project
        env = dict(os.environ)
        # Warden's own packages first, so `core` is found whatever the project's folder holds.
        home = str(Path(core.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (home, env.get("PYTHONPATH", "")) if p)
        env["PYTHONIOENCODING"] = "utf-8"
        self.proc = subprocess.Popen(
            runner_command(),
            cwd=project.root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.last_log = ""
        assert self.proc.stdin is not None and self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        self.answer: dict[str, Any] | None = None
        self.readers = [
            threading.Thread(target=self._read_answers, args=(self.proc.stdout,), daemon=True),
            threading.Thread(target=self._read_log, args=(self.proc.stderr,), daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    def wait(self) -> dict[str, Any]:
        """The child's answer once it exits; cancel is passed on while it runs."""
        asked_at: float | None = None
        waited = 0.0
        while True:
            try:
                self.proc.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                waited += 0.1
            if self.state is not None and self.state.cancelled and asked_at is None:
                asked_at = waited
                self._send("cancel")
            if asked_at is not None and waited - asked_at > CANCEL_GRACE:
                self.proc.kill()
        for reader in self.readers:
            reader.join(timeout=5)
        if self.answer is None:
            last = f": {self.last_log}" if self.last_log else ""
            raise MigrationFailed(
                f"The migration process of project {self.project.name} ended without an answer "
                f"(exit code {self.proc.returncode}){last}"
            )
        return self.answer

    def _send(self, line: str) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):  # the child is already gone
            pass

    def _read_answers(self, out: IO[str]) -> None:
        for line in out:
            try:
                message = json.loads(line)
            except ValueError:  # something wrote to the real stdout below Python: it is log, not answer
                self._log(line)
                continue
            if not isinstance(message, dict):
                self._log(line)
            elif "progress" in message and self.state is not None:
                done, total, text = message["progress"]
                self.state.set_progress(done, total, text)
            elif "partial" in message and self.state is not None:
                self.state.set_partial_result(message["partial"])
            elif "result" in message or "error" in message:
                self.answer = message

    def _read_log(self, err: IO[str]) -> None:
        for line in err:
            self._log(line)

    def _log(self, line: str) -> None:
        text = line.rstrip()
        if not text:
            return
        self.last_log = text
        if self.state is not None:
            self.state.set_partial_result(text)


# --- answers back into core's objects -------------------------------------------------------------


def _decode(action: str, answer: dict[str, Any]) -> Any:
    if "error" in answer:
        raise _error(answer["error"])
    value = answer["result"]
    decoders: dict[str, Callable[[Any], Any]] = {
        "status": _status,
        "history": lambda v: [_revision(r) for r in v],
        "pending": lambda v: [_revision(r) for r in v],
        "lint": lambda v: [_lint(r) for r in v],
        "check": lambda v: [DriftItem(**d) for d in v],
        "upgrade": _result,
        "downgrade": _result,
    }
    return decoders.get(action, lambda v: v)(value)


def _error(doc: dict[str, Any]) -> WardenError:
    """The child's typed error, as the same class here (MigrationFailed when it names no known one)."""
    message = str(doc.get("message") or "The project's migration failed.")
    if doc.get("heads") is not None:
        return MultipleHeads(message, list(doc["heads"]))
    cls = getattr(errors, str(doc.get("type")), None)
    if isinstance(cls, type) and issubclass(cls, WardenError):
        try:
            return cls(message)
        except TypeError:  # an error class that needs more than a message
            pass
    return MigrationFailed(message)


def _revision(doc: dict[str, Any]) -> Revision:
    return Revision(**{**doc, "down_revision": tuple(doc["down_revision"])})


def _status(doc: dict[str, Any]) -> Status:
    return Status(
        current=doc["current"],
        heads=doc["heads"],
        pending=[_revision(r) for r in doc["pending"]],
        graph=[GraphNode(**{**g, "down_revisions": tuple(g["down_revisions"])}) for g in doc["graph"]],
        drift=None if doc["drift"] is None else [DriftItem(**d) for d in doc["drift"]],
        known=doc["known"],
        notes=doc["notes"],
    )


def _lint(doc: dict[str, Any]) -> RevisionLint:
    return RevisionLint(**{**doc, "findings": [Finding(**f) for f in doc["findings"]]})


def _result(doc: dict[str, Any]) -> MigrationResult:
    return MigrationResult(
        before=doc["before"],
        after=doc["after"],
        applied=doc["applied"],
        backup=Path(doc["backup"]) if doc["backup"] else None,
        cancelled=doc["cancelled"],
        copies=tuple(doc["copies"]),
    )


__all__ = ["CANCEL_GRACE", "INI", "Progress", "Project", "call", "find_project", "runner_command"]
