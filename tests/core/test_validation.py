"""Validation coerces user input to column types and lists every problem of a batch before any write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import numpy as np
import pytest
import sqlalchemy as sa

from core.data.changes import Delete, Insert, Update
from core.data.validation import coerce, portable_columns, validate, value_problem
from core.errors import ValidationError
from core.schema.catalog import Catalog, ColumnInfo
from core.schema.load import load_catalog

U1 = "123e4567-e89b-12d3-a456-426614174000"


@pytest.fixture
def cat(schema_db) -> Catalog:
    return load_catalog(schema_db)


def column(cat: Catalog, entity: str, name: str) -> ColumnInfo:
    """A column as validation sees it (tags is an array on both backends)."""
    return portable_columns(cat.get(entity))[name]


def problems(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[int | None, str, str]]:
    return [(p.row, p.column, p.message) for p in exc.value.problems]


def free(kind: str, **kw) -> ColumnInfo:
    """A column of a kind the reference schema does not use (date, time, float, binary)."""
    return ColumnInfo(
        name="x", type=kw.pop("type", kind.upper()), kind=kind, nullable=True, primary_key=False, **kw
    )


# --- coercion ----------------------------------------------------------------------------------------


def test_integers(cat):
    stock = column(cat, "products", "stock")
    assert coerce(stock, "42") == 42 and coerce(stock, " -7 ") == -7 and coerce(stock, 42.0) == 42
    assert coerce(stock, Decimal("3")) == 3 and coerce(stock, np.int64(5)) == 5
    assert coerce(stock, 2**31 - 1) == 2**31 - 1
    for bad, text in [
        ("4.2", "whole number"),
        (4.2, "whole number"),
        ("abc", "whole number"),
        (True, "true/false"),
        ("42.0", "whole number"),
        (2**31, "32-bit"),
        ("-2147483649", "32-bit"),
        ("9" * 5000, "32-bit"),
    ]:
        with pytest.raises(ValueError, match=text):
            coerce(stock, bad)
    big = free("integer", type="BIGINT")
    assert coerce(big, 2**63 - 1) == 2**63 - 1
    with pytest.raises(ValueError, match="64-bit"):
        coerce(big, 2**63)
    with pytest.raises(ValueError, match="16-bit"):
        coerce(free("integer", type="SMALLINT"), 40000)


def test_decimals_keep_precision_and_scale(cat):
    price = column(cat, "products", "price")
    assert coerce(price, "12.5") == Decimal("12.50") and str(coerce(price, "12.5")) == "12.50"
    assert coerce(price, 3) == Decimal("3.00") and coerce(price, 0.1) == Decimal("0.10")
    assert coerce(price, "12.500") == Decimal("12.50"), "trailing zeros lose nothing"
    assert coerce(price, "9999999999.99") == Decimal("9999999999.99")
    assert coerce(price, "1e3") == Decimal("1000.00")
    with pytest.raises(ValueError, match=r"at most 2 decimal places \(got 3\)"):
        coerce(price, "12.345")
    with pytest.raises(ValueError, match=r"at most 10 digits before the decimal point \(got 11\)"):
        coerce(price, "10000000000")
    for bad in ("NaN", "Infinity", "12,50", "1_000", "", "ten"):
        if bad == "":
            assert coerce(price, bad) is None, "a blank cell in a number column means no value"
            continue
        with pytest.raises(ValueError):
            coerce(price, bad)


def test_floats():
    real = free("float", type="REAL")
    assert coerce(free("float", type="FLOAT"), "1.5") == 1.5 and coerce(real, 2) == 2.0
    for bad in ("nan", float("inf"), "1e400", "x", True):
        with pytest.raises(ValueError):
            coerce(free("float", type="FLOAT"), bad)
    with pytest.raises(ValueError, match="single-precision"):
        coerce(real, 1e39)


@pytest.mark.parametrize("text", ["true", "TRUE", "Yes", "on", "1", "t"])
def test_booleans_true(cat, text):
    assert coerce(column(cat, "users", "is_active"), text) is True


@pytest.mark.parametrize("text", ["false", "No", "OFF", "0", 0, False])
def test_booleans_false(cat, text):
    assert coerce(column(cat, "users", "is_active"), text) is False


def test_boolean_nonsense(cat):
    with pytest.raises(ValueError, match="expected true or false"):
        coerce(column(cat, "users", "is_active"), "maybe")
    with pytest.raises(ValueError):
        coerce(column(cat, "users", "is_active"), 2)


def test_datetimes_are_utc(cat):
    when = column(cat, "users", "last_login_at")
    utc = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)
    assert coerce(when, "2024-05-01T12:30:00") == utc, "naive input is read as UTC"
    assert coerce(when, "2024-05-01T14:30:00+02:00") == utc
    assert coerce(when, "2024-05-01 12:30Z").tzinfo == dt.UTC
    assert coerce(when, dt.datetime(2024, 5, 1, 12, 30)) == utc
    with pytest.raises(ValueError, match="ISO 8601"):
        coerce(when, "yesterday")
    naive = free("datetime", type="TIMESTAMP WITHOUT TIME ZONE")
    assert coerce(naive, "2024-05-01T14:30:00+02:00") == dt.datetime(2024, 5, 1, 12, 30)


def test_dates_times_binary():
    assert coerce(free("date"), "2024-05-01") == dt.date(2024, 5, 1)
    assert coerce(free("time"), "13:45") == dt.time(13, 45)
    assert coerce(free("binary"), "0x00ff") == b"\x00\xff" and coerce(free("binary"), bytearray(b"a")) == b"a"
    for kind, bad in [
        ("date", "2024-13-01"),
        ("date", "2024-05-01T10:00"),
        ("time", "25:00"),
        ("binary", "zz"),
    ]:
        with pytest.raises(ValueError):
            coerce(free(kind), bad)


def test_uuids(cat):
    key = column(cat, "products", "id")
    assert coerce(key, U1) == uuid.UUID(U1) == coerce(key, U1.replace("-", ""))
    with pytest.raises(ValueError, match="expected a UUID"):
        coerce(key, "not-a-uuid")


def test_json(cat):
    shipping = column(cat, "orders", "shipping_json")
    assert coerce(shipping, '{"city": "Bree"}') == {"city": "Bree"}
    assert coerce(shipping, {"a": [1, 2]}) == {"a": [1, 2]}
    with pytest.raises(ValueError, match=r"is not valid JSON: .* at line 2, column 8"):
        coerce(shipping, '{"a": 1,\n  "b": }')
    with pytest.raises(ValueError, match="finite"):
        coerce(shipping, '{"a": NaN}')
    with pytest.raises(ValueError, match="NUL"):
        coerce(shipping, '{"a": "x\\u0000y"}')


def test_tags_are_a_list_of_text_on_both_backends(cat):
    tags = column(cat, "products", "tags")
    assert tags.kind == "array", "SQLite stores JSON, but PostgreSQL's text[] is the stricter reading"
    assert coerce(tags, '["red", "blue"]') == ["red", "blue"] and coerce(tags, ("a",)) == ["a"]
    for bad in ('{"a": 1}', "[1, 2]", '"red"', "null", "[", {"a": 1}):
        with pytest.raises(ValueError):
            coerce(tags, bad)


def test_enums(cat):
    status = column(cat, "products", "status")
    assert coerce(status, "active") == "active" and coerce(status, "") is None
    with pytest.raises(ValueError, match="must be one of draft, active, discontinued"):
        coerce(status, "Active")


def test_strings(cat):
    sku = column(cat, "products", "sku")
    assert coerce(sku, "x" * 32) == "x" * 32 and coerce(sku, "") == "" and coerce(sku, 12) == "12"
    with pytest.raises(ValueError, match=r"at most 32 characters \(got 33\)"):
        coerce(sku, "x" * 33)
    with pytest.raises(ValueError, match="NUL"):
        coerce(sku, "a\x00b")
    assert coerce(column(cat, "products", "description"), "y" * 100_000) == "y" * 100_000


def test_vectors(cat):
    emb = column(cat, "regions", "embedding")
    vec = coerce(emb, [0.5] * 384)
    assert isinstance(vec, np.ndarray) and vec.dtype == np.float32 and vec.shape == (384,)
    assert coerce(emb, "[" + ",".join(["1"] * 384) + "]").sum() == 384
    for bad, text in [
        ([0.5] * 3, "expected 384 numbers"),
        ([float("nan")] * 384, "finite"),
        ([1e39] * 384, "finite"),
        (["a"] * 384, "list of numbers"),
    ]:
        with pytest.raises(ValueError, match=text):
            coerce(emb, bad)


# --- batches -----------------------------------------------------------------------------------------


def product(**values) -> Insert:
    return Insert("products", {"sku": "SKU-1", "name": "Lamp", "price": "9.99", **values})


def test_valid_insert_is_coerced_and_writable(schema_db, cat):
    batch = [product(stock="3", tags='["x"]', status="", version=None)]
    [ins] = validate(cat, batch)
    assert ins.values == {"sku": "SKU-1", "name": "Lamp", "price": Decimal("9.99"), "stock": 3, "tags": ["x"]}
    assert batch[0].values["stock"] == "3", "the caller's change is not modified"
    with schema_db.transaction() as conn:
        conn.execute(cat.get("products").table.insert().values(ins.values))
        assert conn.execute(sa.text("select status from products")).scalar() == "draft"


def test_every_problem_is_listed_at_once(cat):
    with pytest.raises(ValidationError) as exc:
        validate(
            cat,
            [
                product(),
                product(price="1.234", stock="many", status="gone", colour="red"),
                Insert("products", {}),
            ],
        )
    found = problems(exc)
    assert [(r, c) for r, c, _ in found] == [
        (1, "price"),
        (1, "stock"),
        (1, "status"),
        (1, "colour"),
        (2, "sku"),
        (2, "name"),
        (2, "price"),
    ]
    assert (1, "colour", "products has no column 'colour'") in found
    assert all(m == "is required" for r, _, m in found if r == 2)
    assert "row 2: price: at most 2 decimal places (got 3)" in str(exc.value)


def test_not_null_and_defaults(cat):
    key = {"id": U1}
    [ins, upd] = validate(cat, [product(stock=None), Update("products", key, {"description": None})])
    assert "stock" not in ins.values, "a blank NOT NULL column with a default takes the default"
    assert upd.values == {"description": None} and upd.key == {"id": uuid.UUID(U1)}
    with pytest.raises(ValidationError) as exc:
        validate(cat, [Update("products", key, {"stock": None, "name": ""}), product(name=None)])
    assert problems(exc) == [(0, "stock", "is required"), (1, "name", "is required")]


def test_blank_text_in_a_required_label_column_is_refused(cat):
    """A blank `name *` would show as an empty row in the grid and in every FK picker."""
    assert cat.get("locations").label == "name"
    key = {"id": U1}
    with pytest.raises(ValidationError) as exc:
        validate(
            cat,
            [
                Update("locations", key, {"name": ""}),
                Update("locations", key, {"name": "  \t"}),
                product(sku=""),  # the label of products
            ],
        )
    assert problems(exc) == [
        (0, "name", "is required and cannot be blank"),
        (1, "name", "is required and cannot be blank"),
        (2, "sku", "is required and cannot be blank"),
    ]
    assert "row 1: name: is required and cannot be blank" in str(exc.value)
    # Other NOT NULL text columns, and a label that may be NULL, still take an empty string.
    [upd, ins] = validate(cat, [Update("locations", key, {"short_description": ""}), product(name="")])
    assert upd.values == {"short_description": ""} and ins.values["name"] == ""
    cat.entities["users"] = dataclasses.replace(cat.get("users"), label="display_name")  # nullable
    [upd] = validate(cat, [Update("users", key, {"display_name": ""})])
    assert upd.values == {"display_name": ""}


def test_value_problem_says_what_validate_says_for_one_value(cat):
    locations = cat.get("locations")
    assert value_problem(locations, "name", "N" * 150) == "at most 120 characters (got 150)"
    assert value_problem(locations, "name", " ") == "is required and cannot be blank"
    assert value_problem(locations, "name", "Bree") is None
    assert value_problem(locations, "short_description", "") is None
    assert value_problem(cat.get("products"), "stock", "-1") == "must be at least 0 (got -1)"
    assert value_problem(cat.get("products"), "stock", "1x").startswith("expected a whole number")
    assert value_problem(locations, "colour", "red") == "locations has no column 'colour'"


def test_primary_key_cannot_be_updated(cat):
    with pytest.raises(ValidationError, match="primary key and cannot be changed"):
        validate(cat, [Update("products", {"id": U1}, {"id": str(uuid.uuid4())})])
    [upd] = validate(cat, [Update("products", {"id": U1}, {"id": U1.upper(), "stock": 1})])
    assert upd.values == {"stock": 1}, "restating the same key is harmless"
    with pytest.raises(ValidationError) as exc:
        validate(cat, [Update("products", {"sku": "x"}, {}), Delete("products", {"id": "nope"})])
    assert [(r, c) for r, c, _ in problems(exc)] == [(0, "id"), (0, "sku"), (1, "id")]


def test_unknown_and_read_only_entities(cat):
    cat.entities["regions"] = dataclasses.replace(cat.get("regions"), read_only_reason="it is a view")
    with pytest.raises(ValidationError) as exc:
        validate(cat, [Insert("nope", {}), Delete("regions", {"id": U1}), product()])
    assert [(r, c) for r, c, _ in problems(exc)] == [(0, "nope"), (1, "regions")]
    assert "cannot be changed because it is a view" in str(exc.value)


def test_simple_checks_are_enforced(cat):
    with pytest.raises(ValidationError) as exc:
        validate(cat, [product(stock=-1, price="-0.01"), Insert("npc_relationships", {"strength": 101})])
    found = {(r, c): m for r, c, m in problems(exc)}
    assert found[(0, "stock")] == "must be at least 0 (got -1)"
    assert found[(0, "price")].startswith("must be at least 0")
    assert found[(1, "strength")] == "must be between -100 and 100 (got 101)"


def test_varchar_length_is_enforced_on_sqlite_too(schema_db, cat):
    with pytest.raises(ValidationError, match=r"row 1: sku: at most 32 characters \(got 40\)"):
        validate(cat, [product(sku="S" * 40)])


def region(rid: uuid.UUID, **values) -> Insert:
    return Insert("regions", {"id": rid, "name": "North", **values})


def location(rid: uuid.UUID | str) -> Insert:
    return Insert("locations", {"region_id": rid, "name": "Bree", "location_type": "town"})


def test_foreign_keys_need_a_target(schema_db, cat):
    missing, kept = uuid.uuid4(), uuid.uuid4()
    with schema_db.transaction() as conn:
        conn.execute(cat.get("regions").table.insert().values(id=kept, name="Kept"))
    with schema_db.engine.connect() as conn:
        with pytest.raises(ValidationError) as exc:
            validate(cat, [location(missing), location(str(kept))], conn)
        assert problems(exc) == [(0, "region_id", f"refers to a missing regions row (id = {missing})")]
        assert len(validate(cat, [location(str(kept))], conn)) == 1
        assert validate(cat, [location(missing)]), "without a connection only the batch itself is checked"


def test_target_inserted_earlier_in_the_batch(schema_db, cat):
    rid = uuid.uuid4()
    with schema_db.engine.connect() as conn:
        checked = validate(
            cat, [region(rid), location(str(rid)), region(uuid.uuid4(), parent_region_id=rid)], conn
        )
        with pytest.raises(ValidationError, match="row 1: region_id: refers to a missing regions row"):
            validate(cat, [location(rid), region(rid)], conn)
        assert conn.execute(sa.text("select count(*) from regions")).scalar() == 0, (
            "validation writes nothing"
        )
    with schema_db.transaction() as conn:
        for change in checked:
            conn.execute(cat.get(change.entity).table.insert().values(change.values))


def test_target_deleted_earlier_in_the_batch(schema_db, cat):
    rid = uuid.uuid4()
    with schema_db.transaction() as conn:
        conn.execute(cat.get("regions").table.insert().values(id=rid, name="Old"))
    with (
        schema_db.engine.connect() as conn,
        pytest.raises(ValidationError, match="deleted earlier in this batch"),
    ):
        validate(cat, [Delete("regions", {"id": rid}), location(rid)], conn)


def test_reference_lookups_are_batched(schema_db, cat):
    rids = [uuid.uuid4() for _ in range(3)]
    with schema_db.transaction() as conn:
        conn.execute(cat.get("regions").table.insert(), [{"id": r, "name": "R"} for r in rids])
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_):
        statements.append(statement)

    sa.event.listen(schema_db.engine, "before_cursor_execute", count)
    try:
        with schema_db.engine.connect() as conn:
            validate(cat, [location(r) for r in rids * 50], conn)
    finally:
        sa.event.remove(schema_db.engine, "before_cursor_execute", count)
    assert len([s for s in statements if "regions" in s]) == 1


def test_reflected_tables_get_values_they_can_store(empty_url):
    """JSON kept in TEXT comes back as JSON text and BLOB vectors as float32 bytes, so they insert as is."""
    from core.engine.db import open_database
    from tests.fixtures.foreign import build_foreign

    build_foreign(empty_url)
    db = open_database(empty_url)
    cat = load_catalog(db)
    guild = Insert("guilds", {"guild_id": "900", "title": "Wardens", "rank": "gold", "extra": '{"a": 1}'})
    member = Insert("members", {"guild_id": 900, "nick": "Ann", "bio_embedding": [0.5] * 8})
    with db.engine.connect() as conn:
        checked = validate(cat, [guild, member], conn)
    assert checked[0].values["extra"] == '{"a": 1}'
    with db.transaction() as conn:
        for change in checked:
            conn.execute(cat.get(change.entity).table.insert().values(change.values))
    with pytest.raises(ValidationError) as exc:
        validate(
            cat, [Insert("guilds", {"title": "x", "rank": "platinum"}), Insert("gold_guilds", {"title": "x"})]
        )
    assert [(r, c) for r, c, _ in problems(exc)] == [(0, "rank"), (1, "gold_guilds")]
    assert "must be one of bronze, silver, gold" in str(exc.value)
    db.dispose()
