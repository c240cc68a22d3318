"""Validation rejects what PostgreSQL would reject, so SQLite never holds what PostgreSQL would refuse.

For each generated row of raw user input (text of any length, decimals of any scale, huge integers,
stray enum values, NULLs, JSON-ish text):

- if validate() accepts, its coerced row inserts on the backend under test AND on a PostgreSQL oracle;
- if the PostgreSQL oracle refuses the raw row, validate() must have refused it too.

The oracle hands PostgreSQL the raw text as untyped parameters so its own input functions (int4in,
numeric_in, varchar length, CHECKs…) decide, exactly as for a pasted CSV cell. It applies Warden's
two documented conventions first: a blank cell in a typed column is NULL, and NULL for a column with
a default means "use the default". Each example runs in a transaction that is rolled back, so unique
columns (sku, email, username) never collide between examples.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.data.changes import Insert
from core.data.validation import portable_columns, validate
from core.engine.db import Database, open_database
from core.errors import ValidationError, WardenError
from core.schema.catalog import Catalog, Entity
from core.schema.load import load_catalog
from core.schema.models import metadata
from core.schema.models.commerce import PRODUCT_STATUSES, USER_ROLES
from tests.fixtures.postgres import new_pg_database

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TEXT_KINDS = ("string", "text")


@pytest.fixture(scope="module")
def oracle(pg_server) -> Iterator[Database]:
    """A PostgreSQL database with the reference schema that judges raw rows."""
    db = open_database(new_pg_database(pg_server), create=True)
    metadata.create_all(db.engine)
    yield db
    db.dispose()


class Catalogs(tuple[Catalog, Catalog]):
    """The backend's catalog and the oracle's, with a short repr for Hypothesis' failure reports."""

    def __repr__(self) -> str:
        return f"Catalogs({self[0].backend}, {self[1].backend})"


@pytest.fixture
def catalogs(schema_db, oracle) -> Catalogs:
    return Catalogs((load_catalog(schema_db), load_catalog(oracle)))


# --- strategies ---------------------------------------------------------------------------------------


@st.composite
def decimal_text(draw: st.DrawFn) -> str:
    """A decimal literal with a random number of integer digits and decimal places."""
    digits, scale = draw(st.integers(0, 13)), draw(st.integers(0, 4))
    whole = draw(st.integers(0, 10**digits - 1)) if digits else 0
    sign = draw(st.sampled_from(["", "-", "+"]))
    if not scale:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{draw(st.integers(0, 10**scale - 1)):0{scale}d}"


OMIT = object()  # a drawn value meaning "leave the column out of the row"

# Text PostgreSQL takes: no NUL, no lone surrogates (plain st.text() produces both).
clean_text = st.characters(codec="utf-8", exclude_characters="\x00")
prices = st.one_of(
    decimal_text(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from(["12.345", "10000000000", "9999999999.995", "-0.01", "ten", "1,50", "1_000", " ", "5."]),
)
integers = st.one_of(
    st.integers(-5, 5),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63]),
)
stocks = st.one_of(
    integers, integers.map(str), st.sampled_from(["4.2", "", " 7 ", "1e3", "abc", "+3", "0x1f"])
)
tag_lists = st.lists(st.text(max_size=8), max_size=3)
tags = st.one_of(
    tag_lists,
    tag_lists.map(json.dumps),
    st.sampled_from(['{"a": 1}', "[1, 2]", "null", "[", '"red"', "[]", '["a", null]', '["x\\u0000"]']),
    st.text(max_size=10),
)
json_text = st.one_of(
    st.dictionaries(
        st.text(max_size=5), st.one_of(st.integers(), st.floats(), st.text(max_size=5)), max_size=3
    ),
    st.sampled_from(
        ['{"a": 1}', "[1, 2]", "null", "{", '"x"', '{"a": NaN}', '{"k": "\\u0000"}', "1e400", "true"]
    ),
    st.text(max_size=10),
)
booleans = st.one_of(
    st.booleans(),
    st.integers(-1, 2),
    st.sampled_from(["true", "FALSE", " yes ", "no", "on", "off", "1", "0", "t", "f", "y", "maybe", "", "2"]),
)
stamps = st.one_of(
    st.builds(
        lambda d, minutes: d.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes))).isoformat(),
        st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
        st.integers(-14 * 60, 14 * 60),
    ),
    st.datetimes(min_value=dt.datetime(1, 1, 2)).map(dt.datetime.isoformat),
    st.sampled_from(["2024-05-01", "2024-05-01 12:30Z", "yesterday", "2024-13-01T00:00:00", "", "12:30"]),
)


@st.composite
def rows(draw: st.DrawFn, columns: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]]) -> dict:
    """A raw row whose columns are mostly plausible, with up to two wild ones (any value, None, or missing).

    One bad field at a time is what catches a rule validation misses; rows that are wrong everywhere
    would be refused for some other reason and prove nothing.
    """
    wild = draw(st.sets(st.sampled_from(sorted(columns)), max_size=2))
    out = {}
    for name, (plausible, anything) in columns.items():
        strategy = st.one_of(anything, st.none(), st.just(OMIT)) if name in wild else plausible
        value = draw(strategy)
        if value is not OMIT:
            out[name] = value
    return out


products = rows({
    "sku": (st.text(clean_text, min_size=1, max_size=32), st.text(max_size=40)),
    "name": (st.text(clean_text, max_size=120), st.text(max_size=140)),
    "description": (st.none() | st.text(clean_text, max_size=300), st.text(max_size=300)),
    "price": (st.decimals(0, "9999999999.99", places=2).map(str) | st.integers(0, 10**10 - 1), prices),
    "stock": (st.just(OMIT) | st.integers(0, 2**31 - 1) | st.integers(0, 99).map(str), stocks),
    "status": (st.just(OMIT) | st.sampled_from(PRODUCT_STATUSES), st.text(max_size=30)),
    "tags": (st.just(OMIT) | st.lists(st.text(clean_text, max_size=8), max_size=3).map(json.dumps), tags),
})  # fmt: skip
users = rows({
    "email": (st.text(clean_text, max_size=254), st.text(max_size=260)),
    "username": (st.text(clean_text, max_size=40), st.text(max_size=45)),
    "role": (st.sampled_from(USER_ROLES), st.sampled_from(["Admin", " admin", "root", ""])),
    "is_active": (st.booleans() | st.sampled_from(["yes", "off", "1"]), booleans),
    "last_login_at": (st.none() | st.just("2024-05-01T12:30:00+02:00"), stamps),
    "metadata": (st.just('{"plan": "pro"}') | st.just(OMIT), json_text),
})  # fmt: skip


# --- the oracle -----------------------------------------------------------------------------------------


def pg_text(value: Any) -> str:
    """The text a person would have typed for a non-text value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def postgresql_accepts(pg: sa.Connection, entity: Entity, raw: dict[str, Any]) -> bool:
    """Whether PostgreSQL's own input functions accept the raw row (in a savepoint that is rolled back)."""
    cols = portable_columns(entity)
    given = {}
    for name, value in raw.items():
        blank = value is None or (
            isinstance(value, str) and not value.strip() and cols[name].kind not in TEXT_KINDS
        )
        if not (blank and cols[name].has_default):  # a blank cell in a new row takes the column's default
            given[name] = None if blank else value
    for c in entity.table.columns:  # Python-side defaults, as SQLAlchemy's insert would fill them
        if c.name not in given and c.default is not None:
            given[c.name] = c.default.arg if c.default.is_scalar else c.default.arg(None)  # type: ignore[union-attr]
    names, exprs, params = [], [], {}
    for i, (name, value) in enumerate(given.items()):
        names.append(f'"{name}"')
        if value is None:
            exprs.append("NULL")
        elif cols[name].kind == "array":
            # text[] from JSON text, the form a tags cell is typed in; '{a,b}' is PostgreSQL's, not Warden's.
            exprs.append(f"ARRAY(SELECT jsonb_array_elements_text(%(p{i})s::jsonb))")
            params[f"p{i}"] = value if isinstance(value, str) else json.dumps(value)
        else:
            exprs.append(f"%(p{i})s")  # untyped: PostgreSQL applies the column's input function
            params[f"p{i}"] = pg_text(value)
    sql = f"INSERT INTO {entity.name} ({', '.join(names)}) VALUES ({', '.join(exprs)})"
    try:
        with pg.begin_nested() as sp:
            pg.exec_driver_sql(sql, params)
            sp.rollback()
    # A broken constraint is core's ConstraintViolated; psycopg refuses NUL and lone surrogates itself.
    except (sa.exc.DBAPIError, WardenError, UnicodeEncodeError):
        return False
    return True


def insert_fails(conn: sa.Connection, entity: Entity, values: dict[str, Any]) -> str | None:
    """Why inserting the coerced values fails, or None when it works (rolled back either way)."""
    try:
        with conn.begin_nested() as sp:
            conn.execute(entity.table.insert().values(values))
            sp.rollback()
    except (sa.exc.SQLAlchemyError, WardenError) as exc:  # WardenError: a constraint the database enforces
        return str(exc).splitlines()[0]
    return None


def check_row(db: Database, oracle: Database, catalogs: Catalogs, table: str, raw: dict) -> None:
    """The property, for one raw row of `table`."""
    cat, pg_cat = catalogs
    with db.engine.connect() as conn, oracle.engine.connect() as pg:
        try:
            [checked] = validate(cat, [Insert(table, dict(raw))], conn)
        except ValidationError:
            checked = None
        if checked is not None:
            for target, catalog in ((conn, cat), (pg, pg_cat)):
                why = insert_fails(target, catalog.get(table), checked.values)
                assert why is None, (
                    f"validated {raw!r} as {checked.values!r}, but {target.dialect.name} says {why}"
                )
        pg_accepts = postgresql_accepts(pg, pg_cat.get(table), raw)
        verdicts = ("refuses", "accepts")
        event(f"validation {verdicts[checked is not None]}, PostgreSQL {verdicts[pg_accepts]}")
        if not pg_accepts:
            assert checked is None, f"PostgreSQL refuses {raw!r}, but validation accepted {checked.values!r}"
        conn.rollback()  # nothing of an example is kept, so unique columns never collide
        pg.rollback()


@SETTINGS
@given(raw=products)
def test_products_validation_rejects_what_postgresql_rejects(schema_db, oracle, catalogs, raw):
    check_row(schema_db, oracle, catalogs, "products", raw)


@SETTINGS
@given(raw=users)
def test_users_validation_rejects_what_postgresql_rejects(schema_db, oracle, catalogs, raw):
    check_row(schema_db, oracle, catalogs, "users", raw)
