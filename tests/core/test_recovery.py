"""The recovery file: typed values come back exactly, it is user-only and atomic, keyed without passwords."""

from __future__ import annotations

import datetime as dt
import os
import stat
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.data import recovery
from core.data.recovery import RecoveredRow, RecoveredTable, Recovery

SAMPLE: dict[str, Any] = {
    "id": uuid.UUID("0b7e6c1e-9a35-4c36-9d3c-3b0b8f1c2a11"),
    "naive": dt.datetime(2026, 1, 1, 10, 0, 0, 123456),
    "aware": dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC),
    "offset": dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5, minutes=-30))),
    "day": dt.date(2024, 2, 29),
    "at": dt.time(23, 59, 58),
    "span": dt.timedelta(days=-1, seconds=5, microseconds=7),
    "price": Decimal("12.3400"),
    "blob": b"\x00\xffbytes",
    "flag": True,
    "zero_flag": False,
    "count": 1,
    "big": 2**70,
    "ratio": 0.1,
    "whole": 1.0,
    "nan": float("nan"),
    "inf": float("-inf"),
    "nothing": None,
    "text": 'ünïcode "quoted" \n tab\t',
    "json": {"$": "dict", "v": [1, 2.5, None, True, {"nested": ["a", {"$": "not a tag"}]}], "1": {}},
    "json_list": [{"k": 1}, [], "x", 3],
    "vector": np.arange(384, dtype="<f4") / np.float32(7),
}


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type, all the way down (NaN equals NaN, arrays by dtype and bits)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return (a != a and b != b) or a == b
    if isinstance(a, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def roundtrip(value: Any) -> Any:
    """Through the typed encoding and JSON text, as the file does it."""
    rec = Recovery("x.db", dt.datetime.now(dt.UTC), [RecoveredTable("t", inserts=[{"c": value}])])
    return recovery.loads(recovery.dumps(rec)).tables[0].inserts[0]["c"]


@pytest.mark.parametrize("name", sorted(SAMPLE))
def test_every_kind_of_value_comes_back_exactly(name: str) -> None:
    """UUID, naive and aware datetimes, date, Decimal, bytes, bool, int, float, None, JSON and vectors."""
    back = roundtrip(SAMPLE[name])
    assert same(back, SAMPLE[name]), (name, back)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_any_json_document_comes_back_exactly(value: Any) -> None:
    """A JSON column's documents (including objects that look like our tags) are never confused."""
    assert same(roundtrip(value), value)


def _recovery(target: str) -> Recovery:
    key = (uuid.uuid4(),)
    row = RecoveredRow(key, {"name": "New"}, {"id": key[0], "name": "Old", "version": 3}, 3)
    table = RecoveredTable("npcs", [row], [RecoveredRow(key, {}, {"id": key[0]}, None)], [{"name": "x"}])
    return Recovery(target, dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC), [table])


def test_file_is_user_only_atomic_and_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written under WARDEN_DATA_DIR/recovery, mode 0600 in a 0700 folder, no temp file left; read back."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))
    rec = _recovery(str(tmp_path / "game.db"))
    path = recovery.write_recovery(rec)
    assert path.parent == tmp_path / "data" / "recovery"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # the temp file was renamed, not left
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    back = recovery.read_recovery(str(tmp_path / "game.db"))
    assert back is not None and back.count == 3 and back.saved_at == rec.saved_at
    assert back.tables[0].edits == rec.tables[0].edits and back.tables[0].inserts == [{"name": "x"}]
    assert recovery.read_recovery(str(tmp_path / "other.db")) is None
    recovery.remove_recovery(str(tmp_path / "game.db"))
    assert not path.exists() and recovery.read_recovery(str(tmp_path / "game.db")) is None


def test_one_file_per_database_keyed_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is a hash of the display URL (password masked); relative and absolute paths agree."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert recovery.recovery_path("game.db") == recovery.recovery_path(str(tmp_path / "game.db"))
    shown = "postgresql+psycopg://ann:***@db.example:5432/world"
    path = recovery.recovery_path(shown)
    assert path != recovery.recovery_path("postgresql+psycopg://bob:***@db.example:5432/world")
    recovery.write_recovery(_recovery(shown))
    text = path.read_text(encoding="utf-8")
    assert "***" in text and "ann" in text and "world" in path.read_text() and "ann" not in path.name


def test_an_unreadable_file_is_moved_aside_not_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file this Warden cannot decode is kept beside, under another name, and reads as None."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path))
    path = recovery.recovery_path("a.db")
    path.parent.mkdir(parents=True)
    path.write_text('{"format": "warden-recovery", "version": 99}', encoding="utf-8")
    assert recovery.read_recovery("a.db") is None
    assert not path.exists()
    assert [p.name.startswith(path.stem + ".unreadable-") for p in path.parent.iterdir()] == [True]


def test_a_value_it_cannot_keep_is_refused() -> None:
    """An object of no known type is a TypeError, never written as something else."""
    with pytest.raises(TypeError, match="object"):
        recovery.encode_value(object())


def test_an_older_snapshot_never_overwrites_a_newer_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Snapshots saved out of order (workers): the newest sequence wins, and a removal is a snapshot too."""
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path))
    older, newer, newest = (recovery.next_sequence() for _ in range(3))
    table = _recovery("b.db").tables
    assert recovery.save_recovery("b.db", table, newer)
    assert not recovery.save_recovery("b.db", [], older)  # skipped: the file stays
    assert recovery.read_recovery("b.db") is not None
    assert recovery.save_recovery("b.db", [], newest)
    assert recovery.read_recovery("b.db") is None


def test_a_folder_that_cannot_be_written_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RecoveryNotSaved (a WardenError) names the folder, not a value."""
    (tmp_path / "data").write_text("a file, not a folder", encoding="utf-8")
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(recovery.RecoveryNotSaved, match="recovery"):
        recovery.save_recovery("c.db", _recovery("c.db").tables, recovery.next_sequence())


def test_edits_of_a_reflected_table_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database Warden did not create names its columns with SQLAlchemy's str subclass: still kept."""
    from core.engine.db import open_database
    from core.schema.load import load_catalog
    from tests.fixtures.journal_file import build_journal_file

    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))
    path = str(build_journal_file(tmp_path / "theirs.db"))
    db = open_database(path)
    try:
        guilds = load_catalog(db).get("guilds")
    finally:
        db.dispose()
    names = {c.name: c.name for c in guilds.columns}  # the reflected names, as staging keys its rows
    row = RecoveredRow((1,), {names["title"]: "Renamed"}, {names["guild_id"]: 1, names["title"]: "Old"}, None)
    table = RecoveredTable(guilds.name, [row], [], [{names["title"]: "New", names["extra"]: {"a": 1}}])
    assert recovery.save_recovery(path, [table], recovery.next_sequence())
    back = recovery.read_recovery(path)
    assert back is not None and back.tables[0].entity == "guilds"
    assert back.tables[0].edits[0].values == {"title": "Renamed"}
    assert back.tables[0].edits[0].original == {"guild_id": 1, "title": "Old"}
    assert back.tables[0].inserts == [{"title": "New", "extra": {"a": 1}}]
