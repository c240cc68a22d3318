"""Engines: SQLite (busy_timeout, foreign_keys, sqlite-vec; WAL for Warden's own files) and PostgreSQL
(psycopg 3, pgvector). A SQLite file Warden did not create is read-only until the first save
(core/engine/sqlite_access.py)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

if TYPE_CHECKING:  # the ORM is loaded by the first session: the catalog and the CLI's reads never need it
    from sqlalchemy.orm import Session, sessionmaker

from core.engine.connections import display_pg_url
from core.engine.driver_errors import install_translation, pg_connect_message, sqlite_open_message, where_of
from core.engine.interrupt import install_interrupts
from core.engine.read_only import PG_READ_ONLY_OPTIONS, guard_pg_engine, guard_sqlite_connection
from core.engine.slowlog import SlowStatement, install_slow_log
from core.engine.slowlog import (
    record_slow_statement as record_slow_statement,  # re-exported for callers of core.engine.db
)
from core.engine.sqlite_access import (
    BUSY_TIMEOUT_MS,
    WARDEN_APPLICATION_ID,
    SqliteAccess,
    is_wardens_own,
    read_header,
    reads_pages,
)
from core.errors import ConnectionFailed, ReadOnlyError

log = logging.getLogger("warden.db")

SQLITE_HEADER = b"SQLite format 3\x00"
DEFAULT_SLOW_MS = 500.0


@dataclass
class Capabilities:
    """What an open database can do, for `warden inspect` and the status bar."""

    backend: str  # "sqlite" | "postgresql"
    driver: str
    server_version: str
    library_versions: dict[str, str] = field(default_factory=dict)
    vector_search: str = "fallback"  # "sqlite-vec" | "pgvector" | "fallback"
    vector_reason: str | None = None  # why vector search is not native, when it is not
    read_only: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return asdict(self)


@dataclass
class Database:
    """An open database: its engine, what it can do, and a recent slow-statement list."""

    engine: Engine
    url: URL
    capabilities: Capabilities
    slow_statements: deque[SlowStatement] = field(default_factory=lambda: deque(maxlen=200))
    slow_ms: float = DEFAULT_SLOW_MS  # statements at least this slow are logged (see core/engine/slowlog.py)
    access: SqliteAccess | None = None  # a SQLite file's connection rules (None on PostgreSQL)
    profile: str | None = None  # the connection profile it was opened through (core/audit/profiles.py)
    #: Called before every write but a migration's; raises ReadOnlyError when writes are held on a writable
    #: connection (a revision its migrations do not know: core/migrate/status.py hold_writes).
    write_guard: Callable[[], None] | None = None
    _sessions: sessionmaker[Session] | None = None

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.capabilities.backend

    @property
    def display_url(self) -> str:
        """The URL or file path, with any password hidden."""
        return display_url(self.url)

    def session(self) -> Session:
        """A new Session; callers use it for one user action and close it."""
        if self._sessions is None:
            from sqlalchemy.orm import sessionmaker

            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions()

    @property
    def writes_deferred(self) -> bool:
        """Whether a SQLite file is read-only only until the first save (writes are still allowed)."""
        return self.access is not None and self.access.writes_deferred

    def allow_writes(self, *, migration: bool = False) -> None:
        """Ready the database for a write; every core write path calls this before it writes.

        A SQLite file opened read-only until the first save gets read-write connections from now on (its
        journal mode unchanged); a database opened read-only on request raises ReadOnlyError, and so does
        one whose writes are held (`write_guard`) unless a `migration` writes: that is the way out.
        """
        if self.capabilities.read_only:
            if self.profile is not None:
                raise ReadOnlyError(
                    f"This connection is read-only (profile '{self.profile}'): unlock it to edit."
                )
            raise ReadOnlyError(f"{self.display_url} is open read-only; reopen it writable to change it.")
        if self.write_guard is not None and not migration:
            self.write_guard()
        if self.access is not None:
            self.access.allow_writes(self.dispose)  # the pool's read-only connections are closed

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A connection inside one write transaction, committed on success and rolled back on error."""
        self.allow_writes()
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def display_url(url: URL | str) -> str:
    """A URL safe to show: SQLite as its file path, PostgreSQL as display_pg_url shows it (password hidden,
    a socket directory readable), others with the password masked."""
    u = make_url(url) if isinstance(url, str) else url
    if u.get_backend_name() == "sqlite":
        return u.database or ":memory:"
    shown = u.render_as_string(hide_password=True)
    return display_pg_url(shown) if u.get_backend_name() == "postgresql" else shown


def to_url(target: str | Path) -> URL:
    """Turn a SQLAlchemy URL or a plain file path (meaning SQLite) into a URL."""
    text = str(target)
    if "://" not in text:
        try:
            path = Path(text).expanduser()
        except RuntimeError:  # ~name of a user this system does not know: a file name like any other
            path = Path(text)
        return URL.create("sqlite", database=str(path))
    text = text.strip()  # a pasted URL often brings a space or a newline along
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise ConnectionFailed(f"Not a database URL or file path: {_mask(text)}") from exc
    if url.get_backend_name() == "sqlite" and any(
        (url.host, url.port, url.query, url.username, url.password)
    ):
        raise ConnectionFailed(
            "A SQLite URL names a file and nothing else: sqlite:///path/to/file.db (three slashes, no '?')."
        )
    name, _, driver = url.drivername.partition("+")
    if name.lower() in ("postgresql", "postgres"):
        # `postgres://` is what psql and hosted services print; SQLAlchemy knows only `postgresql`.
        url = url.set(drivername=f"postgresql+{driver or 'psycopg'}")
    return url


def _mask(text: str) -> str:
    """Hide a password in a URL-like string that could not be parsed."""
    if "@" in text and "://" in text:
        scheme, rest = text.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return text


def open_database(
    target: str | Path,
    *,
    create: bool = False,
    read_only: bool = False,
    slow_ms: float = DEFAULT_SLOW_MS,
    empty_ok: bool = False,
) -> Database:
    """Open a database from a URL or file path, check it answers, and report its capabilities.

    A missing SQLite file is an error unless `create` is true; a file that is not SQLite is an error; an
    empty (zero-byte) file is one too, unless `create` or `empty_ok` (a migration to head fills it).
    """
    url = to_url(target)
    backend = url.get_backend_name()
    if backend == "sqlite":
        db = _open_sqlite(url, create=create, read_only=read_only, empty_ok=empty_ok)
    elif backend == "postgresql":
        db = _open_postgresql(url, read_only=read_only)
    else:
        raise ConnectionFailed(f"Unsupported database '{backend}': Warden opens SQLite and PostgreSQL.")
    install_slow_log(db, slow_ms)
    install_interrupts(db.engine)
    # After the first connection: a file that cannot be opened is a ConnectionFailed, as above.
    install_translation(db.engine, where_of(db.url), read_only=db.capabilities.read_only)
    return db


# --- SQLite -----------------------------------------------------------------------------------------


def sqlite_driver() -> tuple[ModuleType, str | None]:
    """The DB-API module to use for SQLite, and why sqlite-vec cannot load, if it cannot.

    The stdlib module is preferred where it can load extensions and has the sqlite_dbpage table (a file's
    header is read through it: core/engine/sqlite_access.read_header); sqlean-py, which has both, otherwise.
    """
    import sqlite3

    reasons: list[str] = []
    candidates: list[ModuleType] = [sqlite3]
    try:
        import sqlean

        candidates.append(sqlean)
    except ImportError:
        reasons.append("sqlean-py is not installed")
    loading: list[ModuleType] = []
    for module in candidates:
        why = _vec_load_problem(module)
        if why is None:
            if reads_pages(module):
                return module, None  # the first that has both: the later candidates need no probe
            loading.append(module)
        else:
            reasons.append(f"{module.__name__}: {why}")
    if loading:
        return loading[0], None
    return next((m for m in candidates if reads_pages(m)), candidates[0]), "; ".join(reasons)


_driver_cache: tuple[ModuleType, str | None] | None = None
_driver_lock = threading.Lock()


def _cached_sqlite_driver() -> tuple[ModuleType, str | None]:
    global _driver_cache
    with _driver_lock:
        if _driver_cache is None:
            _driver_cache = sqlite_driver()
        return _driver_cache


def _vec_load_problem(module: Any) -> str | None:
    """None if sqlite-vec loads with this driver, else a short reason."""
    try:
        import sqlite_vec
    except ImportError:
        return "the sqlite-vec package is not installed"
    conn = module.connect(":memory:")
    try:
        if not hasattr(conn, "enable_load_extension"):
            return "this Python's sqlite3 was built without extension loading"
        conn.enable_load_extension(True)
        sqlite_vec.load(conn)
        conn.execute("select vec_version()").fetchone()
        return None
    except Exception as exc:  # any failure to load means: no native vector search
        return f"sqlite-vec failed to load ({exc})"
    finally:
        conn.close()


def _open_sqlite(url: URL, *, create: bool, read_only: bool, empty_ok: bool = False) -> Database:
    path = url.database or ":memory:"
    module, vec_problem = _cached_sqlite_driver()
    fresh = False  # Warden makes this file now: it is Warden's own
    header = b""
    if path != ":memory:":
        p = Path(path)
        if p.is_dir():
            raise ConnectionFailed(f"{p} is a folder, not a SQLite database file.")
        if not p.exists():
            if not create:
                raise ConnectionFailed(f"No such database file: {p}")
            if read_only:
                raise ConnectionFailed(f"Cannot create {p} read-only.")
            if not p.parent.exists():
                p.parent.mkdir(parents=True, exist_ok=True)
            fresh = True
        elif p.stat().st_size > 0:
            read = read_header(p, module)  # through SQLite: open()/close() would drop this process's locks
            if read is None:
                raise ConnectionFailed(f"{p} is not a SQLite database (or it is damaged).")
            if read and not read.startswith(SQLITE_HEADER):
                raise ConnectionFailed(f"{p} is not a SQLite database.")
            header = read
        elif not (create or empty_ok):
            # SQLite would read it as a database without tables; to a person it is a file with nothing in it.
            raise ConnectionFailed(
                f"{p} is an empty file (0 bytes), not a database yet: "
                f"`warden migrate upgrade --db {p}` or `warden demo --db {p}` makes one."
            )
        else:
            fresh = create and not read_only
    # `create` on a file that already has content does not make it Warden's: `warden demo` on someone's
    # database must not switch it to WAL (it refuses a foreign schema without writing anything).
    own = fresh or is_wardens_own(path, header)
    access = SqliteAccess(path, own=own, read_only=read_only, header=header)
    connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    # hide_parameters: a bug's logged error never carries the row values it was bound to.
    engine = sa.create_engine(url, module=module, connect_args=connect_args, hide_parameters=True)
    # A dialect event, not an engine one: engine-level listeners cost event dispatch on every statement.
    event.listen(engine, "do_connect", access.on_do_connect)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        access.configure(cur)
        cur.close()
        if vec_problem is None:
            import sqlite_vec

            dbapi_conn.enable_load_extension(True)
            sqlite_vec.load(dbapi_conn)
            dbapi_conn.enable_load_extension(False)
        if read_only:
            guard_sqlite_connection(dbapi_conn)  # the file refuses every write, whatever the SQL

    versions = {"sqlite": module.sqlite_version, "driver": module.__name__}
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("select count(*) from sqlite_master").scalar()
            if vec_problem is None:
                versions["sqlite-vec"] = str(conn.exec_driver_sql("select vec_version()").scalar())
            if fresh and path != ":memory:":
                conn.exec_driver_sql(f"PRAGMA application_id = {WARDEN_APPLICATION_ID}")
                conn.commit()
    except DBAPIError as exc:
        engine.dispose()
        raise ConnectionFailed(sqlite_open_message(path, exc)) from None
    caps = Capabilities(
        backend="sqlite",
        driver=module.__name__,
        server_version=module.sqlite_version,
        library_versions=versions,
        vector_search="sqlite-vec" if vec_problem is None else "fallback",
        vector_reason=vec_problem,
        read_only=read_only,
    )
    return Database(engine=engine, url=make_url(f"sqlite:///{path}"), capabilities=caps, access=access)


# --- PostgreSQL -------------------------------------------------------------------------------------


def _open_postgresql(url: URL, *, read_only: bool) -> Database:
    try:
        engine = sa.create_engine(
            url,
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": 10,
                "application_name": "warden",
                **({"options": PG_READ_ONLY_OPTIONS} if read_only else {}),
            },
            hide_parameters=True,  # as on SQLite: no row values in a logged error
        )
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:  # ImportError: a driver not installed
        raise ConnectionFailed(f"Unsupported PostgreSQL driver in {display_url(url)}: {exc}") from None

    if read_only:
        guard_pg_engine(engine, where_of(url))
    vector_state: dict[str, bool] = {}

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        if read_only:
            dbapi_conn.read_only = True
        try:
            from pgvector.psycopg import register_vector

            register_vector(dbapi_conn)
            vector_state["registered"] = True
        except Exception:
            # The vector extension is not installed in this database: a capability, not a crash.
            vector_state["registered"] = False
        if not dbapi_conn.autocommit:
            dbapi_conn.rollback()

    try:
        with engine.connect() as conn:
            server = str(conn.exec_driver_sql("show server_version").scalar())
            ext = conn.exec_driver_sql(
                "select extversion from pg_extension where extname = 'vector'"
            ).scalar()
            available = conn.exec_driver_sql(
                "select 1 from pg_available_extensions where name = 'vector'"
            ).scalar()
    except DBAPIError as exc:
        engine.dispose()
        raise ConnectionFailed(pg_connect_message(url, exc)) from None
    except ValueError as exc:  # a setting the driver cannot even encode (a host name that is not IDNA)
        engine.dispose()
        kind = type(exc).__name__
        raise ConnectionFailed(f"{display_url(url)}: a connection setting is not valid ({kind}).") from None
    import psycopg

    versions = {"postgresql": server, "psycopg": psycopg.__version__}
    if ext:
        versions["pgvector"] = str(ext)
        reason = None
    elif available:
        reason = "the pgvector extension is available but not created in this database"
    else:
        reason = "the pgvector extension is not installed on this server"
    caps = Capabilities(
        backend="postgresql",
        driver="psycopg",
        server_version=server,
        library_versions=versions,
        vector_search="pgvector" if ext else "fallback",
        vector_reason=reason,
        read_only=read_only,
    )
    return Database(engine=engine, url=url, capabilities=caps)
