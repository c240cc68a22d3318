"""Connection profiles (issue 12): the profiles file round trip without secrets, default levels, opening a
profile at its level with its keyring password, and elevation: one audit entry, a reason required, expiry."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.audit import secrets
from core.audit.elevation import Elevation, elevate
from core.audit.log import EntryFilter, list_entries
from core.audit.profiles import (
    LEVELS,
    Profile,
    default_level,
    find_profile,
    load_profiles,
    make_profile,
    open_profile,
    profiles_path,
    remove_profile,
    save_profile,
)
from core.data.audit_trail import AuditUnavailable
from core.data.changes import Update
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import NotFoundError, ReadOnlyError, ValidationError, WardenError
from core.schema.load import load_catalog
from tests.fixtures.demo import Demo
from tests.fixtures.keyrings import MemoryKeyring, memory_keyring

SECRET = "s3cret-Xq9!"


pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own
__all__ = ["memory_keyring"]  # the fixtures, taken from the module that makes them


def test_profiles_round_trip_in_order_and_replace_by_name(tmp_path: Path) -> None:
    assert load_profiles() == []
    a = Profile("local", str(tmp_path / "a.db"), "editor")
    b = Profile(
        "prod",
        "postgresql+psycopg://bob@db.example.com:5432/game",
        "read-only",
        "bob@db.example.com:5432/game",
    )
    save_profile(a)
    save_profile(b)
    assert load_profiles() == [a, b]
    changed = Profile("local", str(tmp_path / "a.db"), "confirm")
    save_profile(changed)
    assert load_profiles() == [changed, b]  # replaced in place
    assert find_profile("prod") == b
    remove_profile("local")
    assert load_profiles() == [b]
    with pytest.raises(NotFoundError, match="local"):
        remove_profile("local")


def test_an_unknown_profile_lists_the_known_names() -> None:
    with pytest.raises(NotFoundError, match="no profiles are saved"):
        find_profile("prod")
    for i in range(13):
        save_profile(Profile(f"p{i:02}", f"/tmp/{i}.db", "editor"))
    with pytest.raises(NotFoundError) as caught:
        find_profile("prod")
    text = str(caught.value)
    assert "'prod'" in text and "p00" in text and "p09" in text and "p10" not in text and "3 more" in text


def test_no_password_ever_reaches_the_profiles_file() -> None:
    profile, password = make_profile("prod", f"postgres://bob:{SECRET}@db.example.com:5433/game")
    assert password == SECRET
    assert profile.account == "bob@db.example.com:5433/game"
    assert SECRET not in profile.target and ":***" not in profile.target
    save_profile(profile)
    text = profiles_path().read_text(encoding="utf-8")
    assert SECRET not in text
    assert json.loads(text)["profiles"][0]["target"] == "postgresql+psycopg://bob@db.example.com:5433/game"
    # A profile built by hand with a password in its URL is refused, not written.
    with pytest.raises(WardenError, match="keyring"):
        save_profile(Profile("bad", f"postgresql+psycopg://bob:{SECRET}@h/db", "editor", "bob@h:5432/db"))
    assert SECRET not in profiles_path().read_text(encoding="utf-8")


def test_default_levels_and_level_checks(tmp_path: Path) -> None:
    assert LEVELS == ("read-only", "confirm", "editor")
    assert default_level("postgresql://bob@h/db") == "read-only"
    assert default_level("postgres://bob@h/db") == "read-only"
    assert default_level(str(tmp_path / "x.db")) == "editor"
    assert make_profile("pg", "postgresql://bob@h/db")[0].level == "read-only"
    assert make_profile("file", str(tmp_path / "x.db"))[0].level == "editor"
    assert make_profile("pg", "postgresql://bob@h/db", "editor")[0].writes
    assert not make_profile("file", str(tmp_path / "x.db"), "read-only")[0].writes
    assert make_profile("file", str(tmp_path / "x.db"), "confirm")[0].writes
    with pytest.raises(WardenError, match="level"):
        make_profile("file", str(tmp_path / "x.db"), "admin")  # type: ignore[arg-type]
    with pytest.raises(WardenError, match="name"):
        make_profile("  ", str(tmp_path / "x.db"))


def test_a_damaged_profiles_file_reads_as_none() -> None:
    path = profiles_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert load_profiles() == []
    path.write_text(
        json.dumps({"profiles": [{"name": "x", "target": "/a.db", "level": "owner"}]}), encoding="utf-8"
    )
    assert load_profiles() == []  # an unknown level is not guessed


def test_open_profile_at_its_level(demo_copy_path: str) -> None:
    read_only = open_profile(Profile("prod", demo_copy_path, "read-only"))
    editor = open_profile(Profile("dev", demo_copy_path, "editor"))
    unlocked = open_profile(Profile("prod", demo_copy_path, "read-only"), elevated=True)
    try:
        assert read_only.capabilities.read_only and read_only.profile == "prod"
        assert not editor.capabilities.read_only and editor.profile == "dev"
        assert not unlocked.capabilities.read_only
        with pytest.raises(ReadOnlyError, match=r"read-only \(profile 'prod'\): unlock it"):
            read_only.allow_writes()
    finally:
        for db in (read_only, editor, unlocked):
            db.dispose()


def test_a_postgresql_profile_takes_its_password_from_the_keyring(
    pg_server: object, memory_keyring: MemoryKeyring
) -> None:
    from tests.fixtures.postgres import new_pg_database

    url = new_pg_database(pg_server, vector=False)
    profile, _ = make_profile("pg", url)
    secrets.store_password(profile.account, SECRET)
    assert memory_keyring.passwords[(secrets.KEYRING_SERVICE, profile.account)] == SECRET
    db = open_profile(profile)
    try:
        assert db.url.password == SECRET  # given to the driver (the test server trusts local sockets) ...
        assert SECRET not in db.display_url  # ... never shown
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
    finally:
        db.dispose()
    db = open_profile(profile, password="other")
    try:
        assert db.url.password == "other"
    finally:
        db.dispose()
    secrets.forget_password(profile.account)
    assert secrets.fetch_password(profile.account) is None


def audit_rows(url: str) -> list[dict[str, object]]:
    db = open_database(url)
    try:
        return [e.as_dict() for e in list_entries(db, load_catalog(db), EntryFilter())]
    finally:
        db.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_elevation_writes_one_audit_entry(demo_copy_url: str) -> None:
    profile = Profile("prod", demo_copy_url, "read-only")
    before = len(audit_rows(demo_copy_url))
    db = open_profile(profile, elevated=True)
    try:
        got = elevate(db, profile, "  fix the price of order 7  ", minutes=15)
    finally:
        db.dispose()
    assert got.profile == "prod" and got.reason == "fix the price of order 7" and got.user
    assert got.until is not None and got.active() and not got.active(got.until)
    entries = audit_rows(demo_copy_url)
    assert len(entries) == before + 1
    e = entries[0]
    assert (e["action"], e["entity"], e["key"], e["profile"]) == ("elevate", "", {}, "prod")
    assert e["after"] == {"level": "editor", "minutes": 15}
    assert e["reason"] == "fix the price of order 7"


def test_elevation_needs_a_reason_and_an_audit_log(demo_copy_path: str, tmp_path: Path) -> None:
    profile = Profile("prod", demo_copy_path, "read-only")
    before = audit_rows(demo_copy_path)
    db = open_profile(profile, elevated=True)
    try:
        for blank in ("", "   \n"):
            with pytest.raises(ValidationError, match="reason"):
                elevate(db, profile, blank, minutes=None)
    finally:
        db.dispose()
    assert audit_rows(demo_copy_path) == before
    # A database without the audit log: refused, and the log is not created behind the user's back.
    bare = tmp_path / "bare.db"
    plain = open_database(bare, create=True)
    try:
        with plain.transaction() as conn:
            conn.exec_driver_sql("CREATE TABLE t (id integer PRIMARY KEY)")
        with pytest.raises(AuditUnavailable, match="no audit log"):
            elevate(plain, Profile("bare", str(bare), "read-only"), "needed", minutes=5)
        assert not sa.inspect(plain.engine).has_table("admin_audit_log")
    finally:
        plain.dispose()
    # Nor through a read-only session: the unlock is written through the writable one.
    ro = open_profile(profile)
    try:
        with pytest.raises(ReadOnlyError):
            elevate(ro, profile, "needed", minutes=5)
    finally:
        ro.dispose()


def test_an_elevation_expires() -> None:
    start = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    timed = Elevation("prod", "why", "ann", start + dt.timedelta(minutes=30))
    assert timed.active(start) and timed.active(start + dt.timedelta(minutes=29, seconds=59))
    assert not timed.active(start + dt.timedelta(minutes=30))
    assert not timed.active(start + dt.timedelta(days=1))
    session = Elevation("prod", "why", "ann", None)
    assert session.active(start + dt.timedelta(days=365))


def test_a_save_through_a_profile_names_it_in_the_audit_log(
    sqlite_demo_copy: Demo, demo_copy_path: str
) -> None:
    db0, catalog = sqlite_demo_copy
    with db0.engine.connect() as conn:
        region = conn.exec_driver_sql("SELECT id, name FROM regions ORDER BY id LIMIT 1").one()
    before = len(audit_rows(demo_copy_path))
    db = open_profile(Profile("designers", demo_copy_path, "editor"))
    try:
        save(
            db,
            catalog,
            [Update("regions", {"id": region[0]}, {"name": "Renamed"}, original={"name": region[1]})],
        )
    finally:
        db.dispose()
    entries = audit_rows(demo_copy_path)
    assert len(entries) == before + 1
    entry = entries[0]
    assert entry["profile"] == "designers" and entry["action"] == "update"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_embeddings_written_through_a_profile_name_it_in_the_audit_log(schema_db: Database) -> None:
    from core.search.embeddings import local_embedder
    from core.search.reembed import embed_rows

    table = load_catalog(schema_db).get("regions").table
    with schema_db.engine.begin() as conn:
        conn.execute(table.insert(), [{"id": uuid.uuid4(), "name": "Othiel Meadows"}])
    db = open_profile(Profile("designers", schema_db.display_url, "editor"))
    try:
        embed_rows(db, load_catalog(db), "regions", local_embedder())
    finally:
        db.dispose()
    entries = audit_rows(schema_db.display_url)
    assert [(e["entity"], e["profile"]) for e in entries] == [("regions", "designers")]
