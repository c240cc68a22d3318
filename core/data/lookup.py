"""Label look-ups for foreign keys: type-ahead search on a target's label column, and labels by key.

A row's label is its entity's label column (catalog `Entity.label`), else its primary key as text.
Every query is bounded (LIMIT, or IN over the keys asked for); none reads a whole table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.data.coercion import coerce
from core.data.query import LIKE_ESCAPE, column, entity_of
from core.engine.db import Database
from core.schema.catalog import Catalog, Entity, ForeignKeyInfo

DEFAULT_LIMIT = 50
#: Keys per IN (...) list in labels_for; well under SQLite's and PostgreSQL's parameter limits.
BATCH = 500

FkLabels = dict[str, dict[Any, str]]  # fk column → {key value: label of the row it points at}


@dataclass(frozen=True)
class LabelMatch:
    """One row found by a label search: its key (column → value) and its label."""

    key: dict[str, Any]
    label: str


def search_labels(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    text: str,
    *,
    limit: int = DEFAULT_LIMIT,
    key_columns: Sequence[str] | None = None,
) -> list[LabelMatch]:
    """Rows whose label contains `text` (case-insensitive): an exact key match, then prefix, then substring.

    `key_columns` names the columns returned as the key (a foreign key's target columns); by default
    the primary key. At most `limit` rows are read.
    """
    ent = entity_of(catalog, entity)
    keys = tuple(key_columns or ent.primary_key)
    limit = max(0, int(limit))
    text = text.strip()
    if limit == 0:
        return []
    found: dict[tuple[Any, ...], LabelMatch] = {}
    with db.engine.connect() as conn:
        exact = _key_equals(ent, keys, text)
        if not text:
            wheres: list[sa.ColumnElement[bool]] = [sa.true()]
        else:
            prefix = _like(_label_expr(ent, keys), _escape(text) + "%", db.backend)
            anywhere = _like(_label_expr(ent, keys), "%" + _escape(text) + "%", db.backend)
            wheres = ([exact] if exact is not None else []) + [prefix, sa.and_(anywhere, sa.not_(prefix))]
        for where in wheres:
            if len(found) >= limit:
                break
            for ident, match in _matches(conn, ent, keys, where, limit - len(found)):
                found.setdefault(ident, match)
    return list(found.values())[:limit]


def _matches(
    conn: sa.Connection, ent: Entity, keys: Sequence[str], where: sa.ColumnElement[bool], limit: int
) -> list[tuple[tuple[Any, ...], LabelMatch]]:
    """Up to `limit` rows matching `where`, by label then key, as (key values, match) pairs."""
    label = _label_expr(ent, keys)
    key_cols = [column(ent, c) for c in keys]
    stmt = sa.select(label, *key_cols).where(where).order_by(label, *key_cols).limit(limit)
    out = []
    for row in conn.execute(stmt):
        ident = tuple(row[1:])
        text = _text(row[0] if ent.label else None, keys, ident)
        out.append((ident, LabelMatch(dict(zip(keys, ident, strict=True)), text)))
    return out


def label_for(db: Database, catalog: Catalog, entity: Entity | str, key: dict[str, Any]) -> str | None:
    """The label of the row with `key`, or None when there is no such row."""
    ent = entity_of(catalog, entity)
    names = tuple(key)
    label = _label_expr(ent, names)
    where = sa.and_(*(column(ent, n) == _value(ent, n, v) for n, v in key.items()))
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(label).where(where).limit(1)).first()
    if row is None:
        return None
    return _text(row[0] if ent.label else None, names, tuple(key.values()))


def labels_for(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    keys: Iterable[Any],
    *,
    key_column: str | None = None,
) -> dict[Any, str]:
    """Labels of many rows at once, for showing foreign-key cells: {key value as given: label}.

    `keys` are values of `key_column` (default: the single primary-key column); missing rows and
    None are left out of the result.
    """
    ent = entity_of(catalog, entity)
    name = key_column or _single_key(ent)
    wanted: dict[Any, Any] = {}
    for given in keys:
        if given is None or given in wanted:
            continue
        with contextlib.suppress(ValueError, TypeError):
            wanted[given] = _value(ent, name, given)
    by_value: dict[Any, str] = {}
    col = column(ent, name)
    label = _label_expr(ent, (name,))
    values = list(dict.fromkeys(wanted.values()))
    with db.engine.connect() as conn:
        for start in range(0, len(values), BATCH):
            chunk = values[start : start + BATCH]
            for text, value in conn.execute(sa.select(label, col).where(col.in_(chunk))):
                by_value[value] = _text(text if ent.label else None, (name,), (value,))
    return {given: by_value[v] for given, v in wanted.items() if v in by_value}


def page_labels(db: Database, catalog: Catalog, ent: Entity, rows: Sequence[Sequence[Any]]) -> FkLabels:
    """Labels of the rows' foreign-key values, {fk column: {value: target label}}, for each single-column
    foreign key; `rows` hold values in table column order. One bounded query per foreign-key column."""
    names = ent.column_names
    labels: FkLabels = {}
    for fk in ent.foreign_keys:
        if len(fk.columns) != 1 or fk.target not in catalog.entities or fk.columns[0] not in names:
            continue
        i = names.index(fk.columns[0])
        values = {row[i] for row in rows if row[i] is not None}
        if values:
            key = fk.target_columns[0]
            labels[fk.columns[0]] = labels_for(db, catalog, fk.target, values, key_column=key)
    return labels


def opening_matches(
    db: Database, catalog: Catalog, fk: ForeignKeyInfo, value: Any, *, limit: int = DEFAULT_LIMIT
) -> list[LabelMatch]:
    """What a foreign-key picker opens on: the row `value` refers to (when it exists), then the first
    rows by label; at most `limit` in all."""
    keys = fk.target_columns
    current = search_labels(db, catalog, fk.target, str(value), limit=1, key_columns=keys)
    current = [m for m in current if m.key.get(keys[0]) == value]
    rest = search_labels(db, catalog, fk.target, "", limit=limit, key_columns=keys)
    return current + [m for m in rest if m not in current][: limit - len(current)]


def _single_key(ent: Entity) -> str:
    if len(ent.primary_key) != 1:
        raise ValueError(f"{ent.name} has a composite key; name the key column to look labels up by")
    return ent.primary_key[0]


def _value(ent: Entity, name: str, value: Any) -> Any:
    """A key value as the column compares it (a UUID typed as text becomes a UUID)."""
    return coerce(ent.column(name), value, for_filter=True)


def _label_expr(ent: Entity, keys: Sequence[str]) -> sa.ColumnElement[Any]:
    """The label column as text, or the first key column as text when the entity has no label."""
    name = ent.label or keys[0]
    col = column(ent, name)
    if ent.column(name).kind in ("string", "text", "enum"):
        return col
    return sa.cast(col, sa.Text)


def _key_equals(ent: Entity, keys: Sequence[str], text: str) -> sa.ColumnElement[bool] | None:
    """Key = text, when a single key column can read `text` (a pasted id finds its row)."""
    if len(keys) != 1 or not text:
        return None
    info = ent.column(keys[0])
    if info.kind not in ("uuid", "integer"):
        return None
    try:
        value = coerce(info, text, for_filter=True)
    except (ValueError, TypeError, OverflowError):
        return None
    match: sa.ColumnElement[bool] = column(ent, keys[0]) == value
    return match


def _escape(text: str) -> str:
    """`text` with LIKE's wildcards (and the escape character) made literal."""
    return "".join(LIKE_ESCAPE + ch if ch in ("%", "_", LIKE_ESCAPE) else ch for ch in text)


def _like(expr: sa.ColumnElement[Any], pattern: str, backend: str) -> sa.ColumnElement[bool]:
    if backend == "postgresql":
        return expr.ilike(pattern, escape=LIKE_ESCAPE)
    # SQLite's LIKE is case-insensitive (for ASCII) already.
    return expr.like(pattern, escape=LIKE_ESCAPE)


def _text(label: Any, keys: Sequence[str], ident: Sequence[Any]) -> str:
    """A label for display: the label value, else the key as text."""
    if label is not None and str(label) != "":
        return str(label)
    if len(ident) == 1:
        return str(ident[0])
    return ", ".join(f"{k}={v}" for k, v in zip(keys, ident, strict=True))
