"""PostgreSQL connection targets: URLs from host/port/database/user, parsing them back, testing them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import ConnectionFailed

if TYPE_CHECKING:
    from core.db import Capabilities

# SQLAlchemy (and core.db) are imported inside the functions that need them: the GUI imports this module
# to tell a URL from a path before its window is shown, and SQLAlchemy alone takes longer than that.

DEFAULT_PORT = 5432
DRIVER = "postgresql+psycopg"


@dataclass(frozen=True)
class PgTarget:
    """Where a PostgreSQL database is, without its password."""

    host: str
    port: int
    database: str
    user: str

    @property
    def account(self) -> str:
        """The keyring user name for this target: 'user@host:port/db'."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def url(self, password: str | None = None) -> str:
        """The full URL (with `password` if given)."""
        return pg_url(self.host, self.port, self.database, self.user, password)


def pg_url(host: str, port: int | str | None, database: str, user: str, password: str | None = None) -> str:
    """A psycopg PostgreSQL URL with every part quoted (passwords may hold '@', ':' or '/')."""
    host = host.strip()
    if not host:
        raise ConnectionFailed("Enter the PostgreSQL server's host name.")
    if not database.strip():
        raise ConnectionFailed("Enter the database name.")
    try:
        number = int(port) if port not in (None, "") else DEFAULT_PORT
    except ValueError:
        raise ConnectionFailed(f"Port must be a number, not '{port}'.") from None
    if not 0 < number < 65536:
        raise ConnectionFailed(f"Port must be between 1 and 65535, not {number}.")
    from sqlalchemy.engine import URL

    socket_dir = host.startswith("/")  # a Unix-socket directory, as psql accepts for -h
    url = URL.create(
        DRIVER,
        username=user.strip() or None,
        password=password or None,
        host=None if socket_dir else host,
        port=number,
        database=database.strip(),
        query={"host": host} if socket_dir else {},
    )
    return url.render_as_string(hide_password=False)


def parse_pg_url(url: str) -> PgTarget:
    """The host, port, database and user of a PostgreSQL URL (its password is ignored)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        u = make_url(url)
    except ArgumentError as exc:
        raise ConnectionFailed(f"Not a database URL: {display_safe(url)}") from exc
    if u.get_backend_name() != "postgresql":
        raise ConnectionFailed(f"Not a PostgreSQL URL: {display_safe(url)}")
    socket_dir = u.query.get("host")
    host = u.host or (socket_dir if isinstance(socket_dir, str) else None) or "localhost"
    return PgTarget(host, u.port or DEFAULT_PORT, u.database or "", u.username or "")


def display_safe(url: str) -> str:
    """A URL with its password hidden; the text unchanged if it does not parse."""
    from sqlalchemy.exc import ArgumentError

    from core.db import display_url

    try:
        return display_url(url)
    except ArgumentError:
        return url.split("@", 1)[-1] if "@" in url else url


def is_pg_url(target: str) -> bool:
    """Whether `target` names a PostgreSQL database (rather than a SQLite file)."""
    return target.startswith(("postgresql", "postgres:"))


def test_connection(url: str) -> Capabilities:
    """Open `url`, read what it can do and close it again; ConnectionFailed with one line if it cannot."""
    from core.db import open_database

    try:
        db = open_database(url)
    except ConnectionFailed as exc:
        raise ConnectionFailed(str(exc).splitlines()[0] if str(exc) else "Connection failed.") from None
    try:
        return db.capabilities
    finally:
        db.dispose()
