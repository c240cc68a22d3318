"""PostgreSQL connection targets: URLs from host/port/database/user/sslmode, parsing them back (a pasted
`postgres://` URL too), testing them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from core.errors import ConnectionFailed

if TYPE_CHECKING:
    from core.engine.db import Capabilities

# SQLAlchemy (and core.engine.db) are imported inside the functions that need them: the GUI imports this
# module to tell a URL from a path before its window is shown, and SQLAlchemy alone takes longer than that.

DEFAULT_PORT = 5432
DRIVER = "postgresql+psycopg"
#: libpq's SSL modes, weakest first; "" leaves it to libpq (its default is "prefer").
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
#: URL schemes that name PostgreSQL: `postgres` is what psql, Heroku and most hosted services print.
PG_SCHEMES = ("postgresql", "postgres")
#: Query parameters whose values display_pg_url hides, and the characters it shows unquoted in the others.
SECRET_QUERY_KEYS = frozenset({"password", "sslpassword"})
READABLE_IN_QUERY = "/:,@ "
CREDENTIALS = re.compile(r"(?P<user>[^:/@]*)(?::(?P<password>[^@]*))?@")


@dataclass(frozen=True)
class PgTarget:
    """Where a PostgreSQL database is, without its password."""

    host: str
    port: int
    database: str
    user: str
    sslmode: str = ""  # one of SSL_MODES, or "" for libpq's default

    @property
    def account(self) -> str:
        """The keyring user name for this target: 'user@host:port/db' (the SSL mode is not part of it)."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def url(self, password: str | None = None) -> str:
        """The full URL (with `password` if given)."""
        return pg_url(self.host, self.port, self.database, self.user, password, sslmode=self.sslmode)


def pg_url(
    host: str,
    port: int | str | None,
    database: str,
    user: str,
    password: str | None = None,
    *,
    sslmode: str = "",
) -> str:
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
    sslmode = sslmode.strip().lower()
    if sslmode and sslmode not in SSL_MODES:
        raise ConnectionFailed(f"SSL mode must be one of {', '.join(SSL_MODES)}, not '{sslmode}'.")
    from sqlalchemy.engine import URL

    socket_dir = host.startswith("/")  # a Unix-socket directory, as psql accepts for -h
    url = URL.create(
        DRIVER,
        username=user.strip() or None,
        password=password or None,
        host=None if socket_dir else host,
        port=number,
        database=database.strip(),
        query={**({"host": host} if socket_dir else {}), **({"sslmode": sslmode} if sslmode else {})},
    )
    return url.render_as_string(hide_password=False)


def parse_pg_url(url: str) -> PgTarget:
    """The host, port, database, user and SSL mode of a PostgreSQL URL (its password is ignored)."""
    return parse_pasted_url(url)[0]


def parse_pasted_url(url: str) -> tuple[PgTarget, str | None]:
    """The target and the password of a PostgreSQL URL, as a user pastes it (`postgres://u:pw@h:5432/db`)."""
    from core.engine.db import to_url

    text = url.strip()
    if not is_pg_url(text):
        raise ConnectionFailed(f"Not a PostgreSQL URL: {display_safe(text)}")
    u = to_url(text)  # ConnectionFailed, password masked, if it does not parse
    socket_dir = u.query.get("host")
    host = u.host or (socket_dir if isinstance(socket_dir, str) else None) or "localhost"
    sslmode = u.query.get("sslmode")
    mode = sslmode.lower() if isinstance(sslmode, str) and sslmode.lower() in SSL_MODES else ""
    target = PgTarget(host, u.port or DEFAULT_PORT, u.database or "", u.username or "", mode)
    return target, u.password if isinstance(u.password, str) else None


def display_safe(url: str) -> str:
    """A URL with its password hidden (a PostgreSQL one as display_pg_url shows it); the text without its
    credentials if it does not parse."""
    if is_pg_url(url):
        return display_pg_url(url)
    from sqlalchemy.exc import ArgumentError

    from core.engine.db import display_url

    try:
        return display_url(url)
    except ArgumentError:
        return url.split("@", 1)[-1] if "@" in url else url


def display_pg_url(url: str) -> str:
    """A PostgreSQL URL as people see it (status bar, title, recent list, messages): the password hidden and
    the query readable, `?host=/tmp/pg` rather than `?host=%2Ftmp%2Fpg`.

    Plain string work (no SQLAlchemy): the recent list shows URLs before SQLAlchemy has loaded.
    """
    scheme, _, rest = url.strip().partition("://")
    # user[:password]@ as SQLAlchemy reads it: a password typed unquoted may hold '/' or ':', not '@'
    creds = CREDENTIALS.match(rest)
    user = f"{creds['user']}{':***' if creds['password'] is not None else ''}@" if creds else ""
    _, hostport, path, query, _fragment = urlsplit(f"//{rest[creds.end() if creds else 0 :]}")
    params = [
        # libpq takes a password in the query too; what stays quoted keeps the text a URL (& = # ? %)
        f"{key}={'***' if key.lower() in SECRET_QUERY_KEYS else quote(value, safe=READABLE_IN_QUERY)}"
        for key, value in parse_qsl(query, keep_blank_values=True)
    ]
    path = quote(unquote(path), safe=READABLE_IN_QUERY)  # a database name with a space reads as typed
    return f"{scheme}://{user}{hostport}{path}" + (f"?{'&'.join(params)}" if params else "")


def is_pg_url(target: str) -> bool:
    """Whether `target` is a PostgreSQL URL (postgresql://, postgres://, postgresql+psycopg://…)."""
    scheme, sep, _rest = target.strip().partition("://")
    return bool(sep) and scheme.split("+", 1)[0].lower() in PG_SCHEMES


def test_connection(url: str) -> Capabilities:
    """Open `url`, read what it can do and close it again; ConnectionFailed with one line if it cannot."""
    from core.engine.db import open_database

    try:
        db = open_database(url)
    except ConnectionFailed as exc:
        raise ConnectionFailed(str(exc).splitlines()[0] if str(exc) else "Connection failed.") from None
    try:
        return db.capabilities
    finally:
        db.dispose()
