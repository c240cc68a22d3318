"""Generated and identity columns, defaults, domains, arrays, server-checked and unknown types (issue 14):
what the catalog says of them, and what a save writes (and never writes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.data import repository as repo
from core.data import server_checks
from core.data.audit_trail import AUDIT_OFF
from core.data.changes import Change, Insert, Update
from core.data.coercion import coerce, interval_text
from core.data.validation import check_value
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import ValidationError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from tests.fixtures.journal_file import fingerprint, sidecars
from tests.fixtures.pg_types import build_pg_types, build_sqlite_generated
from tests.fixtures.postgres import new_pg_database


@pytest.fixture
def pg(pg_server: object) -> Iterator[tuple[Database, Catalog]]:
    url = new_pg_database(pg_server, vector=False)
    build_pg_types(url)
    db = open_database(url)
    yield db, load_catalog(db)
    db.dispose()


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[tuple[Database, Catalog]]:
    path = tmp_path / "potions.db"
    build_sqlite_generated(str(path))
    db = open_database(str(path))
    yield db, load_catalog(db)
    db.dispose()


def spells(db: Database) -> list[dict[str, object]]:
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.exec_driver_sql("SELECT * FROM spells ORDER BY spell_id").mappings()]


def test_the_catalog_marks_generated_identity_domain_array_and_odd_types(pg):
    _, cat = pg
    cols = cat.get("spells").columns_by_name
    assert cols["spell_id"].identity == "always" and cols["spell_id"].never_written_reason
    assert cols["code"].identity == "by default" and cols["code"].never_written_reason is None
    assert "mana" in (cols["cost_total"].generated or "") and cols["cost_total"].never_written_reason
    mana = cols["mana"]
    assert (mana.domain, mana.kind, mana.type) == ("positive_int", "integer", "INTEGER")
    assert "VALUE > 0" in (cols["mana"].domain_check or "")
    assert cols["created_at"].default == "now()" and cols["mana"].default == "10"
    assert (cols["tags"].kind, cols["tags"].item_kind) == ("array", "text")
    assert (cols["levels"].kind, cols["levels"].item_kind) == ("array", "integer")
    assert [cols[n].server_type for n in ("cooldown", "host", "subnet")] == ["interval", "inet", "cidr"]
    for unknown in ("search", "spot", "hosts"):  # tsvector, a composite type, inet[]: shown, never written
        assert cols[unknown].read_only_reason and cols[unknown].never_written_reason
    assert not cat.get("spells").read_only  # the rest of the row stays editable
    described = {c["name"]: c for c in cat.get("spells").as_dict()["columns"]}
    assert described["cost_total"]["generated"] and described["spell_id"]["identity"] == "always"
    assert described["search"]["read_only_reason"] and described["mana"]["domain"] == "positive_int"


def test_sqlite_generated_columns_are_marked(lite):
    _, cat = lite
    cols = cat.get("potions").columns_by_name
    assert cols["price_x2"].generated and cols["label"].generated
    assert cols["price"].never_written_reason is None and cols["price"].default == "5"
    assert cols["name"].read_only_reason is None  # SQLite has no type Warden cannot write


def test_an_insert_leaves_generated_and_identity_to_the_database(pg):
    db, cat = pg
    blank = {"spell_id": None, "cost_total": None, "search": None}  # a new row's blank cells
    result = save(
        db,
        cat,
        [Insert("spells", {**blank, "name": "Frost", "mana": "3", "levels": "[4, 5]"})],
        audit=AUDIT_OFF,
    )
    key = result.inserted[0].key
    assert key["spell_id"] == 2  # the identity's value arrives after save
    row = spells(db)[-1]
    assert (row["cost_total"], row["mana"], row["levels"], row["code"]) == (6, 3, [4, 5], 2)
    assert row["created_at"] is not None


@pytest.mark.parametrize(
    ("column", "value"), [("cost_total", 99), ("spell_id", 7), ("search", "x"), ("spot", "(1,1)")]
)
def test_a_column_never_written_refuses_a_value(pg, column, value):
    db, cat = pg
    with pytest.raises(ValidationError) as err:
        save(
            db, cat, [Update("spells", {"spell_id": 1}, {column: value, "name": "Renamed"})], audit=AUDIT_OFF
        )
    assert [p.column for p in err.value.problems] == [column]
    assert spells(db)[0]["name"] == "Fireball"


def test_identity_by_default_may_be_typed(pg):
    db, cat = pg
    save(db, cat, [Insert("spells", {"name": "Spark", "code": 40})], audit=AUDIT_OFF)
    assert spells(db)[-1]["code"] == 40


def test_sqlite_generated_columns_are_never_written(lite):
    db, cat = lite
    save(
        db,
        cat,
        [Insert("potions", {"name": "Mana", "price": 3, "price_x2": None, "label": None})],
        audit=AUDIT_OFF,
    )
    with pytest.raises(ValidationError):
        save(db, cat, [Update("potions", {"potion_id": 1}, {"price_x2": 1})], audit=AUDIT_OFF)
    with db.engine.connect() as conn:
        got = conn.exec_driver_sql("SELECT name, price_x2, label FROM potions ORDER BY potion_id").all()
    assert [tuple(r) for r in got] == [("Heal", 14, "HEAL"), ("Mana", 6, "MANA")]


def test_arrays_are_read_per_item(pg):
    _, cat = pg
    levels, tags = cat.get("spells").column("levels"), cat.get("spells").column("tags")
    assert coerce(levels, "[1, 2]") == [1, 2] and coerce(levels, ["3"]) == [3]
    with pytest.raises(ValueError, match="item 2"):
        coerce(levels, "[1, 2.5]")
    with pytest.raises(ValueError, match="item 1"):
        coerce(levels, [2**40])  # int[] holds 32-bit integers
    assert coerce(tags, '["a", "b c"]') == ["a", "b c"]


def test_a_domain_is_read_by_its_base_type_and_its_check_is_the_servers(pg):
    db, cat = pg
    with pytest.raises(ValidationError) as err:
        save(db, cat, [Update("spells", {"spell_id": 1}, {"mana": "lots"})], audit=AUDIT_OFF)
    assert err.value.problems[0].column == "mana"
    with pytest.raises(ValidationError) as err:
        # CHECK (VALUE > 0), read here
        save(db, cat, [Update("spells", {"spell_id": 1}, {"mana": -1})], audit=AUDIT_OFF)
    assert [(p.column, p.message) for p in err.value.problems] == [
        ("mana", "must be greater than 0 (got -1)")
    ]
    assert check_value(cat.get("spells"), "mana", "0")[1] == "must be greater than 0 (got 0)"
    assert spells(db)[0]["mana"] == 5


def test_inspect_text_names_the_read_only_columns(pg, capsys):
    from core import cli

    db, _ = pg
    assert cli.main(["inspect", "--db", db.engine.url.render_as_string(hide_password=False)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "spells" in x)
    assert "read-only columns: spell_id, cost_total, hosts, search, spot" in line


def test_server_checked_types_round_trip_as_text(pg):
    db, cat = pg
    row = repo.get_row(db, cat, "spells", {"spell_id": 1})
    ent = cat.get("spells")
    texts = {n: coerce(ent.column(n), row[n]) for n in ("cooldown", "host", "subnet")}
    assert texts == {"cooldown": "02:00:00", "host": "10.0.0.1", "subnet": "10.0.0.0/8"}
    save(
        db,
        cat,
        [Update("spells", {"spell_id": 1}, {"cooldown": "1 day 3 hours", "host": "::1"})],
        audit=AUDIT_OFF,
    )
    stored = spells(db)[0]
    assert stored["cooldown"] == dt.timedelta(days=1, hours=3) and str(stored["host"]) == "::1"


@pytest.mark.parametrize("soft", [True, False], ids=["pg_input_is_valid", "cast_per_value"])
def test_a_bad_server_checked_value_writes_nothing_and_names_its_cell(pg, soft, monkeypatch):
    db, cat = pg
    if not soft:  # as on PostgreSQL before 16
        monkeypatch.setattr(server_checks, "SOFT_INPUT_CHECK", (99,))
    batch: list[Change] = [
        Update("spells", {"spell_id": 1}, {"name": "Changed", "rune": "ABC"}),
        Insert("spells", {"name": "New", "subnet": "10.0.0.0/8"}),
        Insert("spells", {"name": "Bad", "host": "10.0.0.300", "cooldown": "soon", "rune": "abcd"}),
    ]
    with pytest.raises(ValidationError) as err:
        save(db, cat, batch, audit=AUDIT_OFF)
    assert {(p.row, p.column) for p in err.value.problems} == {(2, "host"), (2, "cooldown"), (2, "rune")}
    assert "rune_code" in next(p.message for p in err.value.problems if p.column == "rune")
    assert all("10.0.0.300" not in p.message and "soon" not in p.message for p in err.value.problems)
    assert [r["name"] for r in spells(db)] == ["Fireball"]


@pytest.mark.parametrize(
    "delta",
    [dt.timedelta(hours=2), dt.timedelta(hours=-2), dt.timedelta(days=3, seconds=5, microseconds=7),
     dt.timedelta(days=-1)],
)  # fmt: skip
def test_interval_text_reads_back_exactly(pg, delta):
    db, _ = pg
    with db.engine.connect() as conn:
        back = conn.execute(sa.text("SELECT CAST(:v AS interval)"), {"v": interval_text(delta)}).scalar()
    assert back == delta


def test_reading_a_file_with_generated_columns_changes_no_byte(tmp_path: Path) -> None:
    path = tmp_path / "potions.db"
    build_sqlite_generated(str(path))
    before = fingerprint(path)
    db = open_database(str(path))
    try:
        cat = load_catalog(db)
        assert cat.get("potions").column("price_x2").generated
        assert repo.fetch_page(db, cat, "potions").rows
    finally:
        db.dispose()
    assert fingerprint(path) == before and not sidecars(path)
