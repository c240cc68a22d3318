"""Messages and displayed URLs name the PostgreSQL server Warden really talks to: a Unix-socket directory as a
path (the test server listens on one), never 'localhost' or `%2Ftmp%2F…`."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.engine.connections import display_pg_url, display_safe, pg_url
from core.engine.db import display_url, open_database
from core.engine.driver_errors import pg_target_name
from core.errors import ConnectionFailed
from tests.fixtures.pg_password import password_role
from tests.fixtures.postgres import new_pg_database


def _socket_dir(url: str | sa.URL) -> str:
    folder = sa.make_url(url).query["host"]
    assert isinstance(folder, str) and folder.startswith("/"), "pgserver listens on a Unix socket"
    return folder


def test_a_wrong_password_on_a_socket_names_the_socket_directory(pg_server: object) -> None:
    """The server refuses the password: the message names the socket directory, port and database."""
    url = new_pg_database(pg_server, vector=False)
    folder = _socket_dir(url)
    with password_role(pg_server, url) as role:
        wrong = role.url.set(password="not-the-Pa55word").render_as_string(hide_password=False)
        with pytest.raises(ConnectionFailed) as caught:
            open_database(wrong)
    message = str(caught.value)
    assert message.startswith(f"PostgreSQL at {folder}:5432/{role.url.database} refused user '{role.name}'")
    assert "wrong user name or password" in message
    assert "localhost" not in message and "not-the-Pa55word" not in message


def test_a_missing_database_on_a_socket_names_the_socket_directory(pg_server: object) -> None:
    """A database name that does not exist: the message says where it was looked for."""
    url = sa.make_url(new_pg_database(pg_server, vector=False)).set(database="no_such_db")
    with pytest.raises(ConnectionFailed) as caught:
        open_database(url.render_as_string(hide_password=False))
    where = f"PostgreSQL at {_socket_dir(url)}:5432/no_such_db"
    assert str(caught.value) == f"{where}: database 'no_such_db' does not exist."


def test_an_unknown_user_is_named_like_a_wrong_password(pg_server: object) -> None:
    """A user name the server does not know gets the same short message (which of the two, it never says)."""
    url = sa.make_url(new_pg_database(pg_server, vector=False)).set(username="nobody_here")
    with pytest.raises(ConnectionFailed) as caught:
        open_database(url.render_as_string(hide_password=False))
    where = f"PostgreSQL at {_socket_dir(url)}:5432/{url.database}"
    assert str(caught.value) == f"{where} refused user 'nobody_here': wrong user name or password."


def test_no_host_names_the_one_libpq_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a host in the URL, libpq takes PGHOST and PGPORT: so does the name in messages."""
    url = sa.make_url("postgresql+psycopg://ann@/game")
    monkeypatch.setenv("PGHOST", "/run/postgresql")
    monkeypatch.setenv("PGPORT", "5433")
    assert pg_target_name(url) == "PostgreSQL at /run/postgresql:5433/game"
    assert pg_target_name(sa.make_url("postgresql+psycopg://ann@db.example.com:6543/game")) == (
        "PostgreSQL at db.example.com:6543/game"
    )


def test_an_open_socket_database_shows_its_directory_decoded(pg_server: object) -> None:
    """The URL shown of an open database (status bar, title, welcome page) reads `host=/tmp/…`."""
    url = new_pg_database(pg_server, vector=False)
    folder = _socket_dir(url)
    db = open_database(url)
    try:
        shown = db.display_url
    finally:
        db.dispose()
    assert f"host={folder}" in shown and "%2F" not in shown
    assert shown == display_url(url) == display_safe(url)


def test_shown_urls_hide_every_password_and_stay_urls() -> None:
    """Passwords are hidden wherever a URL holds one; the readable text still parses to the same target."""
    built = pg_url("/tmp/pg sock", 5433, "game data", "ann@corp", "p@ss:w/rd", sslmode="require")
    shown = display_safe(built)
    assert shown == "postgresql+psycopg://ann%40corp:***@:5433/game data?host=/tmp/pg sock&sslmode=require"
    parsed = sa.make_url(shown)
    assert parsed.query == {"host": "/tmp/pg sock", "sslmode": "require"} and parsed.database == "game data"
    pasted = "postgres://ann:p/a:ss@db.example.com/game?password=hunter2&options=-c%20a%3Db"
    assert display_pg_url(pasted) == "postgres://ann:***@db.example.com/game?password=***&options=-c a%3Db"
    assert display_url(sa.make_url(pasted.replace("postgres:", "postgresql:"))).count("***") == 2
