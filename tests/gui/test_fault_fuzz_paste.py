"""Fuzzing pasted blocks (hypothesis): any clipboard text, TSV from a spreadsheet or CSV lines pasted as they
are (Warden imports rows by pasting; it has no CSV import of its own), read by the editor's paste
(parse_tsv, build_paste), staged as the editor stages it, and saved on a real SQLite file. Never a crash:
a block is refused with problems on its cells, or staged; a staged block saves whole or is refused by a
WardenError with a message, and then the table and the audit log are as they were."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.data.audit_trail import Auditing
from core.data.changes import Delete, Insert
from core.data.repository import fetch_page
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import WardenError
from core.schema.catalog import Catalog
from core.schema.load import load_catalog
from core.schema.models import metadata
from gui.editor.model.staging import NewRow, PasteTarget, Staging, build_paste, new_token, parse_tsv

ROWS = 3

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "0", "-1", "1.5", "1e400", "NaN", "draft", "active", "[]", '["a","b"]', "{", "null",
                     "NULL", '"quoted, with comma"', "x" * 200, "2024-01-01", "true"]),
)  # fmt: skip
#: A block as a spreadsheet copies it, or CSV lines (commas, quotes) pasted as they are.
block = st.one_of(
    st.lists(st.lists(cell, min_size=1, max_size=5), min_size=1, max_size=4).map(
        lambda rows: "\n".join("\t".join(r) for r in rows)
    ),
    st.lists(st.lists(cell, min_size=1, max_size=5), min_size=1, max_size=4).map(
        lambda rows: "\r\n".join(",".join(r) for r in rows) + "\r\n"
    ),
    st.text(max_size=80),
)


@pytest.fixture(scope="module")
def products(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Catalog]]:
    """The reference schema with ROWS products (check constraints, money, a tag list, an enum)."""
    db = open_database(Path(tmp_path_factory.mktemp("paste")) / "paste.db", create=True)
    metadata.create_all(db.engine)
    catalog = load_catalog(db, cached=False)
    save(
        db,
        catalog,
        [Insert("products", {"sku": f"S{i}", "name": f"P{i}", "price": "2.00"}) for i in range(ROWS)],
    )
    yield db, catalog
    db.dispose()


def _snapshot(db: Database, catalog: Catalog) -> tuple[list[Any], list[Any]]:
    with db.engine.connect() as conn:
        out = []
        for name in ("products", "admin_audit_log"):
            t = catalog.get(name).table
            out.append([tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))])
    return out[0], out[1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block, st.integers(0, ROWS + 1), st.integers(0, 11))
def test_any_pasted_block_is_refused_cell_by_cell_or_saves_whole(
    products: tuple[Database, Catalog], text: str, top: int, left: int
) -> None:
    db, catalog = products
    ent = catalog.get("products")
    page = fetch_page(db, catalog, ent, limit=100)
    loaded = [dict(zip(page.columns, r, strict=True)) for r in page.rows]
    staging = Staging(ent)
    grid = parse_tsv(text)
    targets = [
        PasteTarget(("key", staging.key_of(loaded[r])), loaded[r]) if r < len(loaded) else PasteTarget(None)
        for r in range(top, top + len(grid))
    ]
    preview = build_paste(catalog, ent, grid, top, left, targets)
    if not preview.ok:
        event("refused by the preview")
        problems = preview.problems + [c.problem for c in preview.cells if c.problem]
        assert problems and all(isinstance(p, str) and p.strip() for p in problems)
        return
    new_rows: dict[int, NewRow] = {}
    for c in preview.cells:  # staged as the editor's apply_paste stages a clean preview
        target = preview.targets[c.row]
        if target.ref is None:
            new_rows.setdefault(c.row, NewRow(new_token())).values[c.column] = c.value
        elif not ent.column(c.column).primary_key:
            staging.set_value(target.ref, c.column, c.value, target.loaded, c.checked)
    for row in new_rows.values():
        staging.add_insert(row)
    changes, _refs = staging.changes()
    event(f"staged {bool(changes)}")
    before = _snapshot(db, catalog)
    try:
        result = save(db, catalog, changes, audit=Auditing(user="paste"))
    except WardenError as exc:
        assert str(exc).strip() and "INSERT" not in str(exc) and "UPDATE" not in str(exc)
        assert _snapshot(db, catalog) == before  # nothing of the block, no audit entry
        event(f"refused by the save: {type(exc).__name__}")
        return
    after = _snapshot(db, catalog)
    assert len(after[1]) - len(before[1]) == len(result.inserted) + len(result.updated)
    if result.inserted:  # keep the table small: the new rows go again (audited, as any delete)
        save(db, catalog, [Delete("products", s.key, {}, s.version) for s in result.inserted])
