"""Fuzzing what people type into Warden (hypothesis, on real SQLite and PostgreSQL): filter inputs, edits of
JSON and other columns (the save path pasted and typed values take), and connection URLs. Never a crash:
every refusal is a WardenError subclass with a message and no SQL in it; never a partial write: a
refused batch leaves the table and the audit log exactly as they were."""

from __future__ import annotations

import decimal
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data.audit_trail import Auditing
from core.data.changes import Change, Insert, Update
from core.data.repository import Filter, exact_count, fetch_page
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import WardenError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata
from tests.fixtures.postgres import BACKENDS, admin_url, new_pg_database

#: Examples per test; WARDEN_FUZZ_EXAMPLES=2000 for a long run by hand.
FUZZ = settings(
    max_examples=int(os.environ.get("WARDEN_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SQL_WORDS = ("SELECT ", "UPDATE ", "INSERT ", "DELETE ", " WHERE ")

#: Anything a person might type or paste into a cell or a filter.
typed = st.one_of(
    st.text(max_size=40),
    st.text(alphabet='0123456789-.:eE+ TZ{}[]",nul', max_size=20),  # near-numbers, near-times, near-JSON
    st.sampled_from(
        ["", " ", "null", "NULL", "true", "1e309", "NaN", "-0", "9" * 40, "2024-02-30", "{", "[]", "'"]
    ),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.none(),
    st.booleans(),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5) | st.integers(), max_size=3),
    st.lists(st.text(max_size=5) | st.integers(), max_size=3),
)


def clear(exc: WardenError) -> None:
    """A refusal a person can read: a message, and no SQL in it."""
    message = str(exc)
    assert message.strip(), type(exc)
    assert not any(word in message for word in SQL_WORDS), message


@pytest.fixture(params=BACKENDS, scope="module")
def ref(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, Catalog]]:
    """The reference schema with three users and three products, on each backend (shared by the module)."""
    if request.param == "sqlite":
        url = str(tmp_path_factory.mktemp("fuzz") / "fuzz.db")
    else:
        url = new_pg_database(request.getfixturevalue("pg_server"))
    db = open_database(url, create=True)
    metadata.create_all(db.engine)
    catalog = load_catalog(db, cached=False)
    rows: list[Change] = [
        Insert("users", {"username": f"u{i}", "email": f"u{i}@example.org"}) for i in range(3)
    ]
    rows += [Insert("products", {"sku": f"S{i}", "name": f"P{i}", "price": "1.50"}) for i in range(3)]
    save(db, catalog, rows, audit=Auditing(user="setup"))
    yield db, catalog
    db.dispose()


def snapshot(db: Database, catalog: Catalog) -> tuple[list[tuple[Any, ...]], ...]:
    """Every row of users and products and of the audit log, in key order."""
    out = []
    with db.engine.connect() as conn:
        for name in ("users", "products", "admin_audit_log"):
            t = catalog.get(name).table
            out.append([tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))])
    return tuple(out)


def keys_and_versions(db: Database, catalog: Catalog, entity: str) -> list[tuple[uuid.UUID, int]]:
    t = catalog.get(entity).table
    with db.engine.connect() as conn:
        return [(k, v) for k, v in conn.execute(sa.select(t.c.id, t.c.version).order_by(t.c.id))]


# --- filters --------------------------------------------------------------------------------------

USER_COLUMNS = [
    "username",
    "email",
    "display_name",
    "role",
    "is_active",
    "metadata",
    "version",
    "created_at",
    "id",
]
OPS = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "contains",
    "range",
    "in",
    "is_null",
    "not_null",
    "json_eq",
    "like",
    "",
]


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*USER_COLUMNS, "nope", ""]),
            st.sampled_from(OPS),
            typed | st.tuples(typed, typed),
        ),
        min_size=1,
        max_size=3,
    ),
    st.none() | st.text(max_size=12),
)
def test_any_filter_input_reads_rows_or_is_a_clear_error(
    ref: tuple[Database, Catalog], filters: list[tuple[str, str, Any]], quick: str | None
) -> None:
    db, catalog = ref
    wanted = [Filter(c, op, list(v) if isinstance(v, tuple) else v) for c, op, v in filters]
    try:
        page = fetch_page(db, catalog, "users", filters=wanted, quick=quick, limit=10)
        count = exact_count(db, catalog.get("users"), wanted, quick)
    except WardenError as exc:
        clear(exc)
    else:
        assert len(page.rows) == min(count, 10) and count <= 3


# --- edits: JSON and every other kind, in batches ---------------------------------------------------

USER_EDITS = ["display_name", "metadata", "role", "is_active", "email", "last_login_at"]
PRODUCT_EDITS = ["tags", "price", "stock", "status", "name", "description"]


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(["users", "products"]), st.integers(0, 2), st.integers(0, 5), typed),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_any_batch_of_typed_values_saves_whole_or_writes_nothing(
    ref: tuple[Database, Catalog], edits: list[tuple[str, int, int, Any]], with_insert: bool
) -> None:
    db, catalog = ref
    versions = {name: keys_and_versions(db, catalog, name) for name in ("users", "products")}
    changes: list[Change] = []
    for entity, row, col, value in edits:
        key, version = versions[entity][row]
        name = (USER_EDITS if entity == "users" else PRODUCT_EDITS)[col]
        changes.append(Update(entity, {"id": key}, {name: value}, {}, version))
    if with_insert:  # a new row with a fuzzed JSON document
        fresh = uuid.uuid4().hex
        changes.append(
            Insert("users", {"username": fresh[:12], "email": f"{fresh}@x.org", "metadata": edits[0][3]})
        )
    before = snapshot(db, catalog)
    try:
        result = save(db, catalog, changes, audit=Auditing(user="fuzz"))
    except WardenError as exc:
        clear(exc)
        assert snapshot(db, catalog) == before  # nothing of the batch, no audit entry
        return
    after = snapshot(db, catalog)
    audited = len(after[2]) - len(before[2])
    assert audited == len(result.inserted) + len(result.updated) + len(result.deleted)


@FUZZ
@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=15,
))  # fmt: skip
def test_any_json_document_round_trips_or_is_refused_whole(ref: tuple[Database, Catalog], doc: Any) -> None:
    db, catalog = ref
    key, version = keys_and_versions(db, catalog, "users")[0]
    before = snapshot(db, catalog)
    try:
        save(db, catalog, [Update("users", {"id": key}, {"metadata": doc}, {}, version)])
    except WardenError as exc:
        clear(exc)
        assert snapshot(db, catalog) == before
        return
    t = catalog.get("users").table
    with db.engine.connect() as conn:
        stored = conn.execute(sa.select(t.c.metadata).where(t.c.id == key)).scalar_one()
    assert _same_json(stored, doc)


def _same_json(stored: Any, given_: Any) -> bool:
    """Equal as JSON: a database keeps numbers as numbers (1.0 may come back 1; big ints as they were)."""
    if isinstance(given_, dict):
        return (
            isinstance(stored, dict)
            and stored.keys() == given_.keys()
            and all(_same_json(stored[k], v) for k, v in given_.items())
        )
    if isinstance(given_, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(given_)
            and all(_same_json(s, g) for s, g in zip(stored, given_, strict=True))
        )
    if isinstance(given_, float) and isinstance(stored, int | float | decimal.Decimal):
        return float(stored) == given_ or given_ != given_
    return bool(stored == given_)


# --- connection URLs --------------------------------------------------------------------------------

SCHEMES = ["postgresql", "postgresql+psycopg", "postgres", "postgresql+psycopg2", "sqlite", "mysql", "x", ""]


@st.composite
def urls(draw: st.DrawFn, socket_host: str) -> tuple[str, str | None]:
    """A URL of random parts; hosts are a closed local port or the test server's socket (no DNS lookups)."""
    scheme = draw(st.sampled_from(SCHEMES))
    part = st.text(st.characters(blacklist_characters="/@:?#", blacklist_categories=["Cs"]), max_size=8)
    user = draw(part)
    password = draw(st.none() | part)
    host = draw(st.sampled_from(["127.0.0.1:1", "", "[::1]:1", "localhost:0", ":abc"]))
    database = draw(st.text(max_size=10))
    query = draw(st.dictionaries(
        st.sampled_from(["host", "sslmode", "connect_timeout", "options", "mode", "x", ""]),
        st.sampled_from([socket_host, "require", "1", "-1", "ro", "", "%", "a=b"]) | st.text(max_size=6),
        max_size=2,
    ))  # fmt: skip
    auth = f"{user}:{password}@" if password is not None else (f"{user}@" if user else "")
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{scheme}://{auth}{host}/{database}" + (f"?{params}" if params else ""), password


@FUZZ
@given(data=st.data())
def test_any_connection_url_or_path_opens_or_is_a_clear_error_without_the_password(
    data: st.DataObject, pg_server: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # relative paths land in an empty folder
    socket_host = str(admin_url(pg_server).query.get("host", "/tmp"))
    target, password = data.draw(
        urls(socket_host) | st.tuples(st.text(max_size=30), st.none()), label="target"
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    try:
        db = open_database(target)
    except WardenError as exc:
        clear(exc)
        if password and len(password) > 3 and password not in target.replace(f":{password}@", ""):
            assert password not in str(exc)
    else:
        db.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # opening never creates a file
