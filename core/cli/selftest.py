"""`warden selftest`: prove an installation (or a frozen build) does real work, offline, in seven steps.

Each step prints one line (`selftest 1/7 migrate: ok (0.4 s) · …` or `… FAILED: <why>`); a failed step does
not stop the others, which run where they can. Everything happens in a temporary folder that is always
removed, with the user data folder pointed there for the run, so the selftest leaves no trace in the user's
settings, backups or recent connections. The GUI's two steps (edit, graph) are gui/selftest.py's; this
module's versions of them go through the same core functions without a window.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import logging
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import paths
from core.errors import WardenError

if TYPE_CHECKING:
    from core.data.audit_trail import Auditing
    from core.engine.db import Database
    from core.schema.catalog import Catalog

log = logging.getLogger("warden.selftest")

#: The seven steps, in order (issue 13).
STEPS = ("migrate", "seed", "edit", "search", "graph", "backup", "audit")
#: The entity whose rows are embedded, searched, edited and shown in the graph: few rows, linked both ways.
ENTITY = "regions"
#: The reason the audit step's save gives, so its entry is found again.
REASON = "warden selftest"


class SelftestFailed(WardenError):
    """A step ran but found the wrong answer; the message says what was expected."""


@dataclass
class Run:
    """What the steps share: the temporary folder, the database, and what earlier steps found."""

    folder: Path
    db: Database | None = None
    catalog: Catalog | None = None
    target: dict[str, Any] | None = None  # the key of the row the search must find
    query: str | None = None  # the text searched for (the target's description)
    closers: list[Callable[[], None]] = field(default_factory=list)  # run before the folder is removed

    @property
    def path(self) -> Path:
        """The temporary database file."""
        return self.folder / "selftest.db"

    def database(self) -> tuple[Database, Catalog]:
        """The migrated database and its catalog; SelftestFailed when the steps before did not make them."""
        if self.db is None or self.catalog is None:
            raise SelftestFailed("needs the database of steps 1 and 2, which failed")
        return self.db, self.catalog

    def searched(self) -> tuple[dict[str, Any], str]:
        """The row the search must find and its text; SelftestFailed when step 2 did not choose one."""
        if self.target is None or self.query is None:
            raise SelftestFailed("needs the demo rows of step 2, which failed")
        return self.target, self.query


#: A step: does its work on the run, raises on failure, returns a short note shown after "ok".
Step = Callable[[Run], str]


# --- what is installed (the selftest's first lines, and Help → About) -----------------------------------


@dataclass(frozen=True)
class Installation:
    """Versions and folders of this installation, read without opening any database file."""

    warden: str
    python: str
    sqlite: str
    sqlite_vec: str
    pgvector: str
    model: str
    model_folder: str  # where its files are read from ('' when they are not there)
    model_problem: str | None  # why it cannot load, if it cannot
    data_folder: str
    log_folder: str

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) in the order the About box and the selftest show them."""
        return [
            ("Warden", self.warden),
            ("Python", self.python),
            ("SQLite", self.sqlite),
            ("sqlite-vec", self.sqlite_vec),
            ("pgvector", self.pgvector),
            ("Model", self.model),
            ("Model folder", self.model_problem or self.model_folder),
            ("Data folder", self.data_folder),
            ("Log folder", self.log_folder),
        ]


def installation() -> Installation:
    """What this installation runs with: loads sqlite-vec into an in-memory connection, reads no file."""
    from core.engine.db import sqlite_driver
    from core.search.embeddings import LOCAL_DIMENSION, LOCAL_MODEL_NAME, model_dir, model_problem

    module, vec_problem = sqlite_driver()
    folder = model_dir()
    problem = model_problem()
    return Installation(
        warden=package_version("warden", "unknown"),
        python=f"{platform.python_version()} ({'frozen' if getattr(sys, 'frozen', False) else 'source'})",
        sqlite=f"{module.sqlite_version} ({module.__name__})",
        sqlite_vec=_sqlite_vec_version() if vec_problem is None else f"not loaded: {vec_problem}",
        pgvector=_pgvector_version(),
        model=f"{LOCAL_MODEL_NAME}, {LOCAL_DIMENSION} dimensions",
        model_folder=str(folder) if folder is not None else "",
        model_problem=problem,
        data_folder=str(paths.data_dir()),
        log_folder=str(paths.log_dir()),
    )


def package_version(name: str, missing: str) -> str:
    """An installed distribution's version from its metadata, or `missing` (a build that left it out)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return missing


def _sqlite_vec_version() -> str:
    import sqlite_vec

    return str(getattr(sqlite_vec, "__version__", None) or package_version("sqlite-vec", "loaded"))


def _pgvector_version() -> str:
    try:
        import pgvector  # noqa: F401  (the package the PostgreSQL vectors go through)
    except ImportError:
        return "not installed"
    return package_version("pgvector", "installed")


# --- the command --------------------------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    """The `selftest` subcommand."""
    s = sub.add_parser(
        "selftest", help="check that the installation works: seven offline steps, from migrating to audit"
    )
    s.add_argument(
        "--json", action="store_true", help="print the steps as JSON on stdout (the lines go to stderr)"
    )


def run(args: argparse.Namespace, _target: str | None) -> int:
    """The selftest without a window (gui.launcher runs `warden selftest` with the GUI's steps)."""
    return run_command(run_selftest, bool(getattr(args, "json", False)))


def run_command(selftest: Callable[..., bool], as_json: bool) -> int:
    """Run `selftest` (core's run_selftest or the GUI's) as the command does: exit 0 only if all passed;
    with `as_json`, the lines on stderr and {"ok", "steps": [...]} on stdout."""
    for stream in (sys.stdout, sys.stderr):  # a console in a legacy code page must not fail a line
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    if not as_json:
        return 0 if selftest(print) else 1
    results: list[StepResult] = []
    ok = selftest(lambda line: print(line, file=sys.stderr), results=results)
    json.dump({"ok": ok, "steps": [dataclasses.asdict(r) for r in results]}, sys.stdout)
    sys.stdout.write("\n")
    return 0 if ok else 1


def core_steps() -> dict[str, Step]:
    """The seven steps as core runs them (edit and graph without a window)."""
    return {
        "migrate": migrate,
        "seed": seed_demo,
        "edit": edit_row,
        "search": search,
        "graph": expand_graph,
        "backup": status_and_backup,
        "audit": audit_entry,
    }


def run_selftest(
    say: Callable[[str], object],
    steps: Mapping[str, Step] | None = None,
    header: tuple[str, ...] = (),
    results: list[StepResult] | None = None,
) -> bool:
    """Run the seven steps in a temporary folder, one line each, then a summary; True if all passed.
    Each step's result is also appended to `results`, when given."""
    chosen = {**core_steps(), **(steps or {})}
    started = time.perf_counter()
    for line in (*_header(), *header):
        say(line)
    done = results if results is not None else []
    with tempfile.TemporaryDirectory(prefix="warden-selftest-", ignore_cleanup_errors=True) as name:
        run = Run(Path(name))
        with paths.data_dir_at(run.folder / "data"):
            try:
                for number, step in enumerate(STEPS, 1):
                    done.append(_run_step(number, step, chosen[step], run))
                    say(done[-1].line())
            finally:
                _close(run)
    passed = sum(r.ok for r in done)
    seconds = time.perf_counter() - started
    ok = passed == len(STEPS)
    verdict = "ok" if ok else "FAILED"
    say(f"selftest: {verdict} ({passed} of {len(STEPS)} steps passed in {seconds:.1f} s)")
    return ok


def _header() -> list[str]:
    """The installation's facts, printed first: what a frozen build carries shows before any step."""
    try:
        found = installation()
    except Exception as exc:  # the steps still run and say what fails
        log.exception("reading the installation's versions failed")
        return [f"installation: could not be read ({type(exc).__name__})"]
    vec = "sqlite-vec " + found.sqlite_vec if not found.sqlite_vec.startswith("not") else found.sqlite_vec
    model = found.model_problem or f"{found.model} from {found.model_folder}"
    return [
        f"warden {found.warden}, python {found.python}",
        f"sqlite {found.sqlite}; vector search: {vec}",
        f"model: {model}",
        f"data folder: {found.data_folder}; log folder: {found.log_folder}",
    ]


@dataclass(frozen=True)
class StepResult:
    """How one step went: its number and name, whether it passed, how long it took, its note or why not."""

    number: int
    name: str
    ok: bool
    seconds: float
    text: str

    def line(self) -> str:
        """The step's printed line."""
        head = f"selftest {self.number}/{len(STEPS)} {self.name}: "
        if self.ok:
            return head + f"ok ({self.seconds:.1f} s)" + (f" - {self.text}" if self.text else "")
        return head + f"FAILED: {self.text} ({self.seconds:.1f} s)"


def _run_step(number: int, name: str, step: Step, run: Run) -> StepResult:
    """One step; a failure says why (a typed error's message, else the bug's type and where the log is)."""
    started = time.perf_counter()
    try:
        note, ok = step(run), True
    except WardenError as exc:
        note, ok = " ".join(str(exc).split()), False
    except Exception as exc:  # a bug: its traceback to the log (redacted there), its type on the line
        log.exception("selftest step %s failed", name)
        note, ok = f"{type(exc).__name__} (details in {paths.log_file()})", False
    return StepResult(number, name, ok, time.perf_counter() - started, note)


def _close(run: Run) -> None:
    """Close what the steps opened (windows first, then the database), so the folder can be removed."""
    for close in reversed(run.closers):
        try:
            close()
        except Exception:  # closing must not hide the steps' results; the log keeps it
            log.exception("closing after the selftest failed")
    if run.db is not None:
        run.db.dispose()


# --- the steps (core) ---------------------------------------------------------------------------------


def migrate(run: Run) -> str:
    """1. A new SQLite file with sqlite-vec, migrated to head by the runner's upgrade."""
    from core.engine.db import open_database
    from core.migrate import running, status

    db = run.db = open_database(run.path, create=True)
    running.upgrade(db, "head", backup_dir=run.folder / "backups")
    current, heads = status.current(db), status.heads()
    if not current or sorted(current) != sorted(heads):
        raise SelftestFailed(f"the database is at {current or 'no revision'}, not at the head {heads}")
    caps = db.capabilities
    if caps.vector_search != "sqlite-vec":
        raise SelftestFailed(f"migrated, but sqlite-vec did not load: {caps.vector_reason}")
    vec = caps.library_versions.get("sqlite-vec", "?")
    return f"at {', '.join(current)}; sqlite {caps.server_version}, sqlite-vec {vec}"


def seed_demo(run: Run) -> str:
    """2. The demo data, and real embeddings of every region from the bundled model (never downloaded)."""
    from core import seed
    from core.data.audit_trail import AUDIT_OFF
    from core.schema.load import load_catalog
    from core.search.embeddings import local_embedder
    from core.search.reembed import count_missing, embed_rows

    if run.db is None:
        raise SelftestFailed("needs the database of step 1, which failed")
    db = run.db
    counts = seed.seed(db, scale=1)
    catalog = run.catalog = load_catalog(db)
    run.target, run.query = _described_row(db, catalog)  # before the model: the steps that need no model run
    embedder = local_embedder()
    done = embed_rows(db, catalog, ENTITY, embedder, auditing=AUDIT_OFF)  # demo data: not the users' edits
    if done.written != counts[ENTITY] or count_missing(db, catalog, ENTITY):
        raise SelftestFailed(f"{done.written} of {counts[ENTITY]} {ENTITY} were embedded")
    return (
        f"{sum(counts.values()):,} rows; {done.written} {ENTITY} embedded by {embedder.name} "
        f"({embedder.dimension} dimensions)"
    )


def _described_row(db: Database, catalog: Catalog) -> tuple[dict[str, Any], str]:
    """The region the search must find, and its description (the first region in key order)."""
    from core.data.repository import fetch_page

    page = fetch_page(db, catalog, ENTITY, limit=1)
    if not page.rows:
        raise SelftestFailed(f"the demo has no {ENTITY}")
    row = dict(zip(page.columns, page.rows[0], strict=True))
    entity = catalog.get(ENTITY)
    return {name: row[name] for name in entity.primary_key}, str(row["description"])


def edit_row(run: Run) -> str:
    """3. (without a window) One staged change saved by the save path the editor uses, and read back."""
    _save_one_value(run, "name", lambda name: f"{name} (checked)")
    return "one change saved and read back"


def _save_one_value(
    run: Run, column: str, changed: Callable[[Any], Any], audit: Auditing | None = None
) -> Any:
    """Save one column of the searched row through the editor's save path (its old value and version kept
    for the conflict check) and read it back; the value saved."""
    from core.data.changes import Update
    from core.data.repository import get_row
    from core.data.writes import save

    db, catalog = run.database()
    key, _ = run.searched()
    before = get_row(db, catalog, ENTITY, key)
    value = changed(before[column])
    save(
        db,
        catalog,
        [Update(ENTITY, key, {column: value}, {column: before[column]}, before.get("version"))],
        audit=audit,
    )
    if get_row(db, catalog, ENTITY, key)[column] != value:
        raise SelftestFailed("the saved value was not read back")
    return value


def search(run: Run) -> str:
    """4. A semantic search with the bundled model: the nearest region is the one whose description it is."""
    from core.search.embeddings import local_embedder
    from core.search.hybrid import search_text

    db, catalog = run.database()
    key, text = run.searched()
    result = search_text(db, catalog, catalog.get(ENTITY), text, local_embedder(), mode="semantic", k=3)
    hits = result.hits
    if not hits or hits[0].key != key:
        raise SelftestFailed(f"the nearest {ENTITY} row is not the one whose description was searched for")
    distance = hits[0].distance
    return f"nearest hit found, distance {distance:.3f}" if distance is not None else "nearest hit found"


def expand_graph(run: Run) -> str:
    """5. (without a window) A region's neighbourhood, then one neighbour expanded (core.graph)."""
    from core.graph.neighbourhood import expand, merged, neighbourhood

    db, catalog = run.database()
    key, _ = run.searched()
    hood = neighbourhood(db, catalog, ENTITY, key)
    start = hood.nodes[0].id
    node = next((n for n in hood.nodes if n.id != start and not n.aggregate), None)
    if node is None:
        raise SelftestFailed(f"the {ENTITY} row has no neighbour to expand")
    more = expand(db, catalog, hood, node.id)
    if not more.nodes:
        raise SelftestFailed(f"expanding a {node.entity} node found no new neighbour")
    return f"{len(hood.nodes)} nodes, then {len(merged(hood, more).nodes)} after expanding one"


def status_and_backup(run: Run) -> str:
    """6. The migration status as the runner reads it (with drift), then a checked backup of the file."""
    from core.migrate import backups, status

    db, _ = run.database()
    found = status.status(db)
    if not found.at_head:
        raise SelftestFailed(f"the status says {len(found.pending)} revisions are pending after step 1")
    if found.drift:
        raise SelftestFailed(f"the status found {len(found.drift)} differences from the models")
    folder = run.folder / "backups"
    copy = backups.take(db, folder)
    listed = [b.path for b in backups.list_backups(db, folder)]
    if copy not in listed:
        raise SelftestFailed("the backup taken is not listed")
    return f"at head, no drift; backup of {copy.stat().st_size / 1e6:.1f} MB checked and listed"


def audit_entry(run: Run) -> str:
    """7. A save with a reason writes an audit entry; the audit log's listing reads it back."""
    from core.audit.log import EntryFilter, list_entries
    from core.data.audit_trail import Auditing

    db, catalog = run.database()
    level = _save_one_value(run, "danger_level", lambda old: int(old or 0) % 5 + 1, Auditing(reason=REASON))
    entries = list_entries(db, catalog, EntryFilter(entity=ENTITY, action="update"), limit=20)
    mine = [e for e in entries if e.reason == REASON and (e.after or {}).get("danger_level") == level]
    if not mine:
        raise SelftestFailed("the audit log has no entry for the save just made")
    return f"entry {mine[0].id} written and read back"
