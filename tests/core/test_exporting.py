"""Export: values as stored, the same values as the typed read, a byte-order-mark option, clean file errors.

Every export is checked against an oracle that reads the same view through SQLAlchemy's column types
(core.data.repository.export_rows) and makes each value JSON-able with core.data.repository.to_jsonable, the
row-at-a-time path the export used before it read raw values in batches.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from core import cli
from core.data import exporting
from core.data.exporting import BOM, ExportPathError, default_bom, export_file, write_export
from core.data.repository import Filter, export_rows, to_jsonable
from core.engine.db import Database, open_database
from core.progress import Progress, TaskState
from core.schema.catalog import Catalog
from core.schema.load import load_catalog

# --- fixtures -------------------------------------------------------------------------------------


def _oracle(db: Database, catalog: Catalog, entity: str, **view: Any) -> list[dict[str, Any]]:
    """The view's rows read through the column types, each value made JSON-able one at a time."""
    return [{k: to_jsonable(v) for k, v in row.items()} for row in export_rows(db, catalog, entity, **view)]


def _cell(value: Any) -> str:
    """The CSV text the row-at-a-time export wrote for a JSON-able value."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


# --- the same values as the typed read ------------------------------------------------------------


def test_every_entity_exports_the_typed_values(demo_copy: tuple[Database, Catalog], tmp_path: Path) -> None:
    """CSV and JSON of every demo entity hold exactly the oracle's values, in its order (both backends)."""
    db, catalog = demo_copy
    for name, ent in catalog.entities.items():
        expected = _oracle(db, catalog, name)
        result = export_file(db, catalog, name, tmp_path / f"{name}.json", "json")
        assert result.rows == len(expected)
        assert json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8")) == expected, name
        export_file(db, catalog, name, tmp_path / f"{name}.csv", "csv", batch=7)
        header, *rows = _read_csv(tmp_path / f"{name}.csv")
        assert header == ent.column_names
        assert rows == [[_cell(r[c]) for c in header] for r in expected], name


def test_filtered_sorted_view(demo_copy: tuple[Database, Catalog], tmp_path: Path) -> None:
    """The export is the view: filters, quick filter and sort applied, across batch boundaries."""
    db, catalog = demo_copy
    view: dict[str, Any] = {
        "sort": [("duration_ms", True)],
        "filters": [Filter("status", "in", ["success", "error"])],
        "quick": "a",
    }
    expected = _oracle(db, catalog, "tool_executions", **view)
    assert 100 < len(expected) < 10_000
    export_file(db, catalog, "tool_executions", tmp_path / "t.json", "json", batch=50, **view)
    assert json.loads((tmp_path / "t.json").read_text(encoding="utf-8")) == expected


def test_reference_utc_timestamps_keep_their_offset(
    demo_copy: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """UTCDateTime columns are stored in UTC by definition: written ISO 8601 with +00:00 on both backends."""
    db, catalog = demo_copy
    export_file(db, catalog, "orders", tmp_path / "o.csv", "csv")
    with (tmp_path / "o.csv").open(encoding="utf-8", newline="") as f:
        stamps = [row["created_at"] for row in csv.DictReader(f)]
    assert stamps and all(s.endswith("+00:00") and s[10] == "T" for s in stamps)


# --- stored values SQLite allows that a canonical batch does not hold -----------------------------


def _odd_tool_rows(path: str, rows: list[tuple[Any, ...]]) -> str:
    """The demo database at `path` with only `rows` in tool_executions (id, inputs, outputs, created_at)."""
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("DELETE FROM tool_executions")
        raw.executemany(
            "INSERT INTO tool_executions (id, correlation_id, tool_name, inputs_json, outputs_json, status,"
            " duration_ms, created_at) VALUES (?, 'c', 't', ?, ?, 'success', 1, ?)",
            rows,
        )
    raw.close()
    return str(path)


Rows = list[dict[str, Any]]


def _export_both(url: str, tmp_path: Path) -> tuple[Rows, Rows, list[list[str]]]:
    """The oracle's rows, the JSON export and the CSV export (header first) of tool_executions at `url`."""
    db = open_database(url)
    try:
        catalog = load_catalog(db)
        expected = _oracle(db, catalog, "tool_executions")
        export_file(db, catalog, "tool_executions", tmp_path / "t.csv", "csv")
        export_file(db, catalog, "tool_executions", tmp_path / "t.json", "json")
    finally:
        db.dispose()
    values = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    return expected, values, _read_csv(tmp_path / "t.csv")


def test_unusual_stored_values_on_sqlite(tmp_path: Path, demo_copy_path: str) -> None:
    """Values another writer left (uppercase or dashed keys, escaped or compact JSON, JSON scalars and
    null, times without a fraction) leave as the typed read gives them; compact JSON text as stored."""
    stamp = "2026-01-01 10:00:00.000000"
    url = _odd_tool_rows(
        demo_copy_path,
        [
            ("12345678-1234-5678-1234-567812345678", "[1, 2]", "5", "2026-01-01 10:00:00.250000"),
            ("EF" * 16, '{"q": "caf\\u00e9"}', "null", "2026-01-01 10:00:00"),
            ("ab" * 16, '{"b": [true, null]}', '"done"', stamp),
            ("cd" * 16, '{"a":1}', "true", stamp),
        ],
    )
    expected, values, (header, *rows) = _export_both(url, tmp_path)
    assert values == expected
    compact = [r for r in expected if r["inputs_json"] == {"a": 1}]
    by_key = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    cdcd = "cdcdcdcd-cdcd-cdcd-cdcd-cdcdcdcdcdcd"
    assert len(compact) == 1 and by_key[cdcd]["inputs_json"] == '{"a":1}'  # the text as stored
    others = [[_cell(r[c]) for c in header] for r in expected if r["id"] != cdcd]
    assert [r for r in rows if r[0] != cdcd] == others
    efef = by_key["efefefef-efef-efef-efef-efefefefefef"]
    assert efef["inputs_json"] == '{"q": "café"}' and efef["outputs_json"] == ""  # characters, not \\u00e9
    assert efef["created_at"] == "2026-01-01T10:00:00+00:00"
    assert by_key["12345678-1234-5678-1234-567812345678"]["created_at"] == "2026-01-01T10:00:00.250000+00:00"
    assert by_key[cdcd]["outputs_json"] == "True" and by_key["ab" * 4 + "-abab-abab-abab-" + "ab" * 6][
        "outputs_json"
    ] == "done"


def test_json_scalars_and_null_in_one_batch(tmp_path: Path, demo_copy_path: str) -> None:
    """A batch mixing JSON null, a JSON string, an object and SQL NULL: each as the typed read gives it."""
    stamp = "2026-01-01 10:00:00.000000"
    odd = [(f"{i:032x}", "{}", v, stamp) for i, v in enumerate(["null", '"done"', '{"a": 1}', None])]
    url = _odd_tool_rows(demo_copy_path, odd)
    expected, values, (header, *rows) = _export_both(url, tmp_path)
    assert values == expected
    assert rows == [[_cell(r[c]) for c in header] for r in expected]
    assert [r[header.index("outputs_json")] for r in rows] == ["", "done", '{"a": 1}', ""]


# --- values as stored in a database Warden did not create -----------------------------------------


COLUMNS = "id INTEGER PRIMARY KEY, at {stamp}, keywords TEXT, note TEXT"


def _foreign_events(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A foreign table with a naive timestamp, JSON kept in a TEXT column, and non-ASCII text."""
    import sqlalchemy as sa

    if backend == "sqlite":
        url = str(tmp_path / "events.db")
        conn = sqlite3.connect(url)
        with conn:
            conn.execute(f"CREATE TABLE events ({COLUMNS.format(stamp='DATETIME')})")
            conn.execute(
                "INSERT INTO events VALUES (1, '2026-01-01 10:00:00', '[\"k1\", \"k2\"]', 'Grüße, Ærø')"
            )
        conn.close()
        return url
    from tests.fixtures.postgres import new_pg_database

    url = new_pg_database(request.getfixturevalue("pg_server"), vector=False)
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.exec_driver_sql(f"CREATE TABLE events ({COLUMNS.format(stamp='TIMESTAMP')})")
        c.exec_driver_sql(
            "INSERT INTO events VALUES (1, '2026-01-01 10:00:00', '[\"k1\", \"k2\"]', 'Grüße, Ærø')"
        )
    eng.dispose()
    return url


def test_naive_datetime_and_json_text_are_exported_as_stored(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A naive DATETIME keeps its stored text (no invented +00:00); JSON kept in TEXT stays that text."""
    db = open_database(_foreign_events(backend, tmp_path, request))
    try:
        catalog = load_catalog(db)
        export_file(db, catalog, "events", tmp_path / "e.csv", "csv")
        export_file(db, catalog, "events", tmp_path / "e.json", "json")
    finally:
        db.dispose()
    header, row = _read_csv(tmp_path / "e.csv")
    assert dict(zip(header, row, strict=True)) == {
        "id": "1",
        "at": "2026-01-01 10:00:00",
        "keywords": '["k1", "k2"]',
        "note": "Grüße, Ærø",
    }
    assert json.loads((tmp_path / "e.json").read_text(encoding="utf-8")) == [
        {"id": 1, "at": "2026-01-01 10:00:00", "keywords": '["k1", "k2"]', "note": "Grüße, Ærø"}
    ]


# --- the byte-order mark --------------------------------------------------------------------------


def test_bom_option(demo_copy_path: str, tmp_path: Path) -> None:
    """bom=True starts CSV with EF BB BF and nothing else changes; JSON never gets one."""
    db = open_database(demo_copy_path)
    try:
        catalog = load_catalog(db)
        for bom in (False, True):
            export_file(db, catalog, "npcs", tmp_path / f"n{bom}.csv", "csv", bom=bom)
            export_file(db, catalog, "npcs", tmp_path / f"n{bom}.json", "json", bom=bom)
    finally:
        db.dispose()
    plain, marked = (tmp_path / "nFalse.csv").read_bytes(), (tmp_path / "nTrue.csv").read_bytes()
    assert not plain.startswith(BOM.encode()) and marked == BOM.encode() + plain
    assert (tmp_path / "nTrue.json").read_bytes() == (tmp_path / "nFalse.json").read_bytes()
    assert (tmp_path / "nTrue.json").read_bytes()[:1] == b"["


def test_bom_default_follows_the_platform() -> None:
    """On by default on Windows (Excel reads UTF-8 CSV only with the mark), off elsewhere."""
    assert default_bom("win32") and not default_bom("linux") and not default_bom("darwin")


def test_cli_bom_flags_and_default(
    capsys: pytest.CaptureFixture[str], demo_copy_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--bom / --no-bom decide; without either a file follows default_bom(), stdout gets none."""

    def export(*extra: str) -> bytes:
        out = tmp_path / "x.csv"
        args = ["export", "--db", demo_copy_path, "--entity", "regions", "-o", str(out), *extra]
        assert cli.main(args) == 0, capsys.readouterr().err
        return out.read_bytes()

    mark = BOM.encode()
    assert export("--bom").startswith(mark) and not export("--no-bom").startswith(mark)
    monkeypatch.setattr(exporting, "default_bom", lambda: False)
    assert not export().startswith(mark)
    monkeypatch.setattr(exporting, "default_bom", lambda: True)  # as on Windows
    assert export().startswith(mark) and not export("--no-bom").startswith(mark)
    capsys.readouterr()
    assert cli.main(["export", "--db", demo_copy_path, "--entity", "regions"]) == 0
    assert not capsys.readouterr().out.startswith(BOM)


def test_cli_stdout_is_the_file_export(
    capsys: pytest.CaptureFixture[str], demo_copy_path: str, tmp_path: Path
) -> None:
    """CSV on stdout is the file export: UTF-8, CRLF line ends untranslated."""
    out = tmp_path / "x.csv"
    assert cli.main(["export", "--db", demo_copy_path, "--entity", "npcs", "-o", str(out)]) == 0
    capsys.readouterr()
    assert cli.main(["export", "--db", demo_copy_path, "--entity", "npcs"]) == 0
    assert capsys.readouterr().out == out.read_bytes().decode("utf-8")


# --- clean errors about the file ------------------------------------------------------------------


def _one_line_error(capsys: pytest.CaptureFixture[str], db: str, output: str) -> str:
    code = cli.main(["export", "--db", db, "--entity", "regions", "-o", output])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USER_ERROR, err
    assert len(err.strip().splitlines()) == 1 and "internal error" not in err and "Traceback" not in err
    return err


def test_cli_missing_folder_is_a_user_error(
    capsys: pytest.CaptureFixture[str], demo_copy_path: str
) -> None:
    """`warden export -o /no/such/dir/x.csv` names the folder and what to do, in one line."""
    err = _one_line_error(capsys, demo_copy_path, "/no/such/dir/x.csv")
    assert "/no/such/dir" in err and "does not exist" in err and "Create it" in err


def test_cli_folder_as_output_is_a_user_error(
    capsys: pytest.CaptureFixture[str], demo_copy_path: str, tmp_path: Path
) -> None:
    """An output path that is a folder is a one-line user error, and the folder is left alone."""
    err = _one_line_error(capsys, demo_copy_path, str(tmp_path))
    assert "is a folder" in err and "file name" in err
    assert tmp_path.is_dir()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write any folder")
def test_cli_unwritable_folder_is_a_user_error(
    capsys: pytest.CaptureFixture[str], demo_copy_path: str, tmp_path: Path
) -> None:
    """A folder the user may not write in is named, with what to do."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        err = _one_line_error(capsys, demo_copy_path, str(locked / "x.csv"))
    finally:
        locked.chmod(0o700)
    assert str(locked) in err and "may not write" in err


def test_export_file_path_errors(demo_copy_path: str, tmp_path: Path) -> None:
    """export_file raises ExportPathError (a user error) and makes nothing for a missing folder or a file
    used as a folder."""
    db = open_database(demo_copy_path)
    try:
        catalog = load_catalog(db)
        with pytest.raises(ExportPathError, match="does not exist"):
            export_file(db, catalog, "regions", tmp_path / "nope" / "x.csv", "csv")
        (tmp_path / "file").write_text("x")
        with pytest.raises(ExportPathError, match="not a folder"):
            export_file(db, catalog, "regions", tmp_path / "file" / "x.csv", "csv")
    finally:
        db.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


# --- nothing half-written -------------------------------------------------------------------------


def test_cancel_keeps_an_existing_file_and_leaves_no_partial(demo_copy_path: str, tmp_path: Path) -> None:
    """A cancelled export over an existing file leaves that file as it was and no partial file."""
    target = tmp_path / "tools.csv"
    target.write_text("yesterday's export\n", encoding="utf-8")
    seen: list[int] = []

    def on_progress(p: Progress) -> None:
        seen.append(p.done)
        if p.done >= 300:
            state.cancel()

    state = TaskState(on_progress=on_progress)

    db = open_database(demo_copy_path)
    try:
        catalog = load_catalog(db)
        result = export_file(
            db, catalog, "tool_executions", target, "csv", state=state, batch=100
        )
        assert _checked_out(db) == 0  # the read-ahead thread gave its connection back
    finally:
        db.dispose()
    assert result.cancelled and seen == [100, 200, 300]
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tools.csv"]


def test_failure_midway_leaves_no_partial(demo_copy_path: str, tmp_path: Path) -> None:
    """An error during the export propagates; no partial file stays and no target appears."""
    def on_progress(p: Progress) -> None:
        raise RuntimeError("boom")

    db = open_database(demo_copy_path)
    try:
        catalog = load_catalog(db)
        with pytest.raises(RuntimeError):
            state = TaskState(on_progress)
            export_file(db, catalog, "tool_executions", tmp_path / "t.json", "json", state=state)
        assert _checked_out(db) == 0
    finally:
        db.dispose()
    assert list(tmp_path.iterdir()) == []


def _checked_out(db: Database) -> int:
    """Connections of the database's pool in use now (the pool of a file database is a QueuePool)."""
    pool = db.engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


def test_a_database_error_while_reading_arrives_unchanged(demo_copy_path: str, tmp_path: Path) -> None:
    """An error the database raises mid-export (read ahead on another thread) is raised to the caller."""
    from core.data.query import Filter

    db = open_database(demo_copy_path)
    try:
        catalog = load_catalog(db)
        with db.engine.begin() as conn:  # a text that is not JSON makes json_extract fail on the third row
            conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body JSON)")
            conn.exec_driver_sql("INSERT INTO notes (body) VALUES ('{}'), ('{}'), ('not json')")
        catalog = load_catalog(db)
        with pytest.raises(Exception) as caught:
            bad = [Filter("body", "json_eq", (["a"], 1))]
            export_file(db, catalog, "notes", tmp_path / "n.csv", "csv", filters=bad)
        assert _checked_out(db) == 0
    finally:
        db.dispose()
    assert isinstance(caught.value, OperationalError) and "malformed JSON" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_bad_column_is_reported_before_any_file(demo_copy_path: str, tmp_path: Path) -> None:
    """An unknown sort column is a NotFoundError, and no file is made."""
    from core.errors import NotFoundError

    db = open_database(demo_copy_path)
    try:
        catalog = load_catalog(db)
        with pytest.raises(NotFoundError):
            export_file(db, catalog, "regions", tmp_path / "t.csv", "csv", sort=[("nope", False)])
        buf = io.StringIO()
        assert write_export(buf, db, catalog, "regions", "csv") == len(_oracle(db, catalog, "regions"))
    finally:
        db.dispose()
    assert list(tmp_path.iterdir()) == []


def test_pooled_connection_is_unmapped_after_export(demo_copy_path: str, tmp_path: Path) -> None:
    """Warden's own file is memory-mapped only for the export: the pooled connection goes back as it was."""
    db = open_database(demo_copy_path)
    try:
        assert db.access is not None and db.access.own  # a demo database is Warden's own
        catalog = load_catalog(db)
        export_file(db, catalog, "tool_executions", tmp_path / "t.csv", "csv")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == 0
    finally:
        db.dispose()


def test_vectors_are_lists_of_floats(tmp_path: Path, demo_copy_path: str) -> None:
    """A stored embedding is exported as the list of its float32 values, as before (CSV: JSON text)."""
    import struct

    path = demo_copy_path
    values = [i / 7 for i in range(384)]
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("UPDATE locations SET embedding = ?", (struct.pack("<384f", *values),))
    raw.close()
    url = str(path)
    db = open_database(url)
    try:
        catalog = load_catalog(db)
        expected = _oracle(db, catalog, "locations")
        export_file(db, catalog, "locations", tmp_path / "l.csv", "csv")
        export_file(db, catalog, "locations", tmp_path / "l.json", "json")
    finally:
        db.dispose()
    stored = [float(f) for f in struct.unpack("<384f", struct.pack("<384f", *values))]
    assert expected and all(r["embedding"] == stored for r in expected)
    assert json.loads((tmp_path / "l.json").read_text(encoding="utf-8")) == expected
    header, *rows = _read_csv(tmp_path / "l.csv")
    assert rows == [[_cell(r[c]) for c in header] for r in expected]
    assert json.loads(rows[0][header.index("embedding")]) == stored


def test_stored_order_exports_every_row_once_in_the_databases_own_order(
    demo_copy: tuple[Database, Catalog], tmp_path: Path
) -> None:
    """The command line's export without --sort reads the table as stored (no key order to keep): the
    same lines as the key-ordered export, each once; with a sort, the sort still rules."""
    db, catalog = demo_copy
    keyed, stored = tmp_path / "keyed.csv", tmp_path / "stored.csv"
    export_file(db, catalog, "locations", keyed, "csv")
    export_file(db, catalog, "locations", stored, "csv", stored_order=True)
    keyed_rows, stored_rows = _read_csv(keyed), _read_csv(stored)
    assert stored_rows[0] == keyed_rows[0]
    assert sorted(stored_rows[1:]) == sorted(keyed_rows[1:]) and len(stored_rows) > 200
    by_name, by_name_keyed = tmp_path / "by_name.csv", tmp_path / "by_name_keyed.csv"
    export_file(db, catalog, "locations", by_name, "csv", sort=[("name", False)], stored_order=True)
    export_file(db, catalog, "locations", by_name_keyed, "csv", sort=[("name", False)])
    assert by_name.read_bytes() == by_name_keyed.read_bytes()


def test_the_command_line_export_without_sort_keeps_every_row(tmp_path: Path, demo_copy_path: str) -> None:
    """`warden export` without --sort writes the whole table (stored order), the same rows as with one."""
    from core import cli

    plain, sorted_ = tmp_path / "plain.csv", tmp_path / "sorted.csv"
    base = ["export", "--db", demo_copy_path, "--entity", "npcs", "--format", "csv", "--no-bom"]
    assert cli.main([*base, "-o", str(plain)]) == 0
    assert cli.main([*base, "--sort", "id", "-o", str(sorted_)]) == 0
    assert sorted(_read_csv(plain)[1:]) == sorted(_read_csv(sorted_)[1:])
