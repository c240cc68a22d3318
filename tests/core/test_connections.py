"""PostgreSQL targets: URL building and parsing, and testing a connection against a real server."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.engine import connections
from core.engine.connections import PgTarget, display_safe, is_pg_url, parse_pasted_url, parse_pg_url, pg_url
from core.engine.db import open_database, to_url
from core.errors import ConnectionFailed
from tests.fixtures.postgres import new_pg_database


def test_pg_url_quotes_every_part() -> None:
    """Passwords and names with URL syntax in them survive the round trip."""
    url = pg_url("db.example.com", "6543", "game data", "ann@corp", "p@ss:w/rd?#")
    parsed = sa.make_url(url)
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.host, parsed.port, parsed.database) == ("db.example.com", 6543, "game data")
    assert parsed.username == "ann@corp" and parsed.password == "p@ss:w/rd?#"
    assert "p@ss" not in display_safe(url)


def test_pg_url_defaults_and_errors() -> None:
    """An empty port means 5432; bad ports and empty hosts are one-line errors."""
    assert sa.make_url(pg_url("h", "", "d", "u")).port == 5432
    assert sa.make_url(pg_url("h", None, "d", "u")).password is None
    for host, port, message in (("", 5432, "host"), ("h", "abc", "number"), ("h", 70000, "between")):
        with pytest.raises(ConnectionFailed, match=message):
            pg_url(host, port, "d", "u")
    with pytest.raises(ConnectionFailed, match="database"):
        pg_url("h", 5432, " ", "u")


def test_parse_pg_url_drops_the_password() -> None:
    """Parsing gives the target; its keyring account name is user@host:port/db."""
    target = parse_pg_url(pg_url("h", 5433, "game", "ann", "secret"))
    assert target == PgTarget("h", 5433, "game", "ann")
    assert target.account == "ann@h:5433/game"
    assert "secret" not in target.url()
    assert sa.make_url(target.url("secret")).password == "secret"
    assert is_pg_url(target.url()) and not is_pg_url("/tmp/x.db")
    with pytest.raises(ConnectionFailed, match="Not a PostgreSQL URL"):
        parse_pg_url("sqlite:///x.db")


def test_socket_directory_host_round_trips() -> None:
    """A host that is a Unix-socket directory (as psql -h takes) goes into the query, and back."""
    url = pg_url("/run/postgresql", 5433, "game", "ann", "pw")
    assert sa.make_url(url).query["host"] == "/run/postgresql"
    assert parse_pg_url(url) == PgTarget("/run/postgresql", 5433, "game", "ann")


def _fields(url: str) -> tuple[str, int, str, str, str | None]:
    """The dialog's fields for a test server URL (pgserver listens on a Unix socket)."""
    u = sa.make_url(url)
    host = u.host or str(u.query["host"])
    return host, u.port or 5432, u.database or "", u.username or "", u.password


def test_test_connection_reports_capabilities(pg_server: object) -> None:
    """A server reached through a URL built from fields answers with its version and pgvector."""
    caps = connections.test_connection(pg_url(*_fields(new_pg_database(pg_server))))
    assert caps.backend == "postgresql" and caps.server_version
    assert caps.vector_search == "pgvector"


def test_test_connection_without_pgvector(pg_server: object) -> None:
    """A database without the extension reports the fallback and why."""
    caps = connections.test_connection(new_pg_database(pg_server, vector=False))
    assert caps.vector_search == "fallback" and "pgvector" in (caps.vector_reason or "")


def test_test_connection_failure_is_one_line_without_password() -> None:
    """An unreachable server is a one-line ConnectionFailed that never shows the password."""
    with pytest.raises(ConnectionFailed) as info:
        connections.test_connection(pg_url("127.0.0.1", 1, "nope", "ann", "hunter2secret"))
    message = str(info.value)
    assert "\n" not in message and "hunter2secret" not in message
    assert "127.0.0.1:1" in message


def test_postgres_scheme_urls_are_postgresql() -> None:
    """postgres://, postgresql:// and postgresql+psycopg:// name PostgreSQL; a file named so does not."""
    for url in ("postgres://ann@h/game", "postgresql://ann@h/game", "postgresql+psycopg://ann@h/game"):
        assert is_pg_url(url) and to_url(url).drivername == "postgresql+psycopg"
        assert parse_pg_url(url) == PgTarget("h", 5432, "game", "ann")
    assert is_pg_url("  POSTGRES://ann@h/game\n") and to_url("  POSTGRES://ann@h/game\n").host == "h"
    for path in ("/tmp/postgresql.db", "postgresql_backup.db", "postgres:/tmp/x.db", "sqlite:///x.db"):
        assert not is_pg_url(path)


def test_a_pasted_url_gives_every_field_and_the_password() -> None:
    """A URL as hosting services print it: user, password (percent-quoted), host, port, db and SSL mode."""
    target, password = parse_pasted_url("postgres://ann:p%40ss%3Aw@db.example.com:6543/game?sslmode=require")
    assert target == PgTarget("db.example.com", 6543, "game", "ann", "require")
    assert password == "p@ss:w"
    assert target.account == "ann@db.example.com:6543/game"  # the keyring key is the same with or without SSL
    url = target.url(password)
    assert sa.make_url(url).query["sslmode"] == "require" and sa.make_url(url).password == "p@ss:w"
    assert parse_pasted_url(target.url()) == (target, None)
    with pytest.raises(ConnectionFailed, match="Not a PostgreSQL URL") as info:
        parse_pasted_url("mysql://ann:hunter2@h/game")
    assert "hunter2" not in str(info.value)


def test_ssl_mode_is_checked() -> None:
    """Only libpq's SSL modes are accepted; none leaves sslmode out of the URL."""
    assert "sslmode" not in sa.make_url(pg_url("h", 5432, "d", "u")).query
    assert sa.make_url(pg_url("h", 5432, "d", "u", sslmode="verify-full")).query["sslmode"] == "verify-full"
    with pytest.raises(ConnectionFailed, match="SSL mode"):
        pg_url("h", 5432, "d", "u", sslmode="sometimes")


def test_postgres_url_opens_and_its_ssl_mode_reaches_the_connection(pg_server: object) -> None:
    """`postgres://…?sslmode=disable` opens (it was 'Unsupported database'), and psycopg got the SSL mode."""
    url = sa.make_url(new_pg_database(pg_server)).set(drivername="postgres")
    url = url.update_query_dict({"sslmode": "disable"})
    db = open_database(url.render_as_string(hide_password=False))
    try:
        assert db.backend == "postgresql"
        with db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None and raw.info.get_parameters()["sslmode"] == "disable"
    finally:
        db.dispose()
