"""A conflict knows the row three ways: as I loaded it (`original`), as it is now (`stored`) and my values
(`attempted`); core/data/merge.py tells their changes from mine and whether they overlap. Both backends."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from core.data import repository as repo
from core.data.changes import Delete, Update
from core.data.merge import compare, merge_note, same_value
from core.engine.db import Database
from core.errors import Conflict, ConflictError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata

T0 = dt.datetime(2024, 3, 1, 12, 0, 30, tzinfo=dt.UTC)
DMITRI = uuid.UUID(int=7)
RUN = uuid.UUID(int=1007)


@pytest.fixture
def cat(schema_db: Database) -> Catalog:
    """One versioned user, Dmitri, and one tool execution (no version: checked by the loaded values)."""
    with schema_db.engine.begin() as conn:
        conn.execute(
            metadata.tables["users"].insert(),
            {"id": DMITRI, "email": "dmitri@x.org", "username": "dmitri", "display_name": "Dmitri",
             "role": "player", "created_at": T0},
        )  # fmt: skip
        conn.execute(
            metadata.tables["tool_executions"].insert(),
            {"id": RUN, "correlation_id": "c", "tool_name": "t", "status": "success", "inputs_json": {},
             "duration_ms": 5, "created_at": T0},
        )  # fmt: skip
    return load_catalog(schema_db)


def loaded(db: Database, cat: Catalog, entity: str, key: uuid.UUID) -> dict[str, Any]:
    """The row as a reader loads it."""
    row = repo.get_row(db, cat, entity, {"id": key})
    assert row is not None
    return row


def conflict_of(db: Database, cat: Catalog, change: Update | Delete) -> Conflict:
    with pytest.raises(ConflictError) as err:
        repo.save(db, cat, [change])
    [conflict] = err.value.conflicts
    return conflict


def test_an_update_conflict_carries_what_i_loaded(schema_db: Database, cat: Catalog) -> None:
    """Someone renames Dmitri; my email change on the loaded version conflicts and knows all three sides."""
    mine = loaded(schema_db, cat, "users", DMITRI)
    repo.save(schema_db, cat, [Update("users", {"id": DMITRI}, {"display_name": "Dmitri K."}, {}, 1)])
    conflict = conflict_of(
        schema_db, cat, Update("users", {"id": DMITRI}, {"email": "d@new.org"}, dict(mine), mine["version"])
    )
    assert conflict.original["display_name"] == "Dmitri" and conflict.original["email"] == "dmitri@x.org"
    assert conflict.stored is not None and conflict.stored["display_name"] == "Dmitri K."
    assert conflict.attempted == {"email": "d@new.org"}

    merge = compare(conflict, cat.get("users").columns)
    assert merge.theirs == ("display_name",)  # not the version counter: bookkeeping
    assert merge.mine == ("email",)
    assert merge.both == () and merge.clean
    assert merge.fields == ("email", "display_name")  # in column order
    assert merge_note(merge, "“dmitri”") == (
        "Someone else changed display_name of “dmitri” meanwhile; your change to email did not overlap "
        "and was merged."
    )


def test_both_changing_one_field_is_not_clean(schema_db: Database, cat: Catalog) -> None:
    """They and I both change display_name, to different values: that field needs a person's choice."""
    mine = loaded(schema_db, cat, "users", DMITRI)
    repo.save(schema_db, cat, [Update("users", {"id": DMITRI}, {"display_name": "Theirs"}, {}, 1)])
    change = Update("users", {"id": DMITRI}, {"display_name": "Mine", "email": "m@x.org"}, dict(mine), 1)
    merge = compare(conflict_of(schema_db, cat, change), cat.get("users").columns)
    assert merge.theirs == ("display_name",) and merge.mine == ("email", "display_name")  # column order
    assert merge.both == ("display_name",) and not merge.clean


def test_a_conflict_by_loaded_values_carries_them(schema_db: Database, cat: Catalog) -> None:
    """Without a version counter the loaded values are the check, and the conflict hands them back."""
    repo.save(
        schema_db, cat, [Update("tool_executions", {"id": RUN}, {"duration_ms": 9}, {"duration_ms": 5})]
    )
    conflict = conflict_of(
        schema_db, cat, Update("tool_executions", {"id": RUN}, {"duration_ms": 7}, {"duration_ms": 5})
    )
    assert conflict.original == {"duration_ms": 5}
    merge = compare(conflict, cat.get("tool_executions").columns)
    assert merge.theirs == ("duration_ms",) and merge.both == ("duration_ms",) and not merge.clean


def test_a_delete_conflict_carries_the_compared_row(schema_db: Database, cat: Catalog) -> None:
    """I delete Dmitri as loaded; someone renamed him meanwhile: never merged without asking."""
    mine = loaded(schema_db, cat, "users", DMITRI)
    repo.save(schema_db, cat, [Update("users", {"id": DMITRI}, {"display_name": "Renamed"}, {}, 1)])
    original = {k: v for k, v in mine.items() if k != "version"}
    conflict = conflict_of(schema_db, cat, Delete("users", {"id": DMITRI}, original, 1))
    assert conflict.attempted == {} and conflict.original["display_name"] == "Dmitri"
    merge = compare(conflict, cat.get("users").columns)
    assert merge.theirs == ("display_name",) and not merge.clean


def test_a_conflict_made_without_original_still_works() -> None:
    """Existing callers give no original: every field of mine that differs from theirs needs a choice."""
    conflict = Conflict("users", {"id": DMITRI}, {"id": DMITRI, "email": "a", "role": "x"}, {"email": "b"})
    assert conflict.original == {}
    merge = compare(conflict)
    assert merge.theirs == () and merge.mine == ("email",) and merge.both == ("email",) and not merge.clean
    agreed = compare(Conflict("users", {"id": DMITRI}, {"email": "b"}, {"email": "b"}))
    assert agreed.both == () and agreed.clean


def test_same_value_reads_like_the_database() -> None:
    """None only equals None; arrays compare element-wise; JSON compares by content."""
    import numpy as np

    assert same_value(None, None) and not same_value(None, 0) and not same_value("", None)
    assert same_value({"a": [1, 2]}, {"a": [1, 2]}) and not same_value({"a": 1}, {"a": 2})
    assert same_value(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    assert not same_value(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
