"""SQL building blocks of reads and writes: filters, ORDER BY, keyset predicates, a row by key, a count.

Filter, key and cursor values are read by core/data/coercion.py as values compared with stored ones,
never stored.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.data.coercion import Unreadable, coerce
from core.errors import FieldProblem, ValidationError
from core.schema import stored_times
from core.schema.catalog import Catalog, ColumnInfo, Entity, FullTextIndex, select_by_key
from core.schema.kinds import ColumnKind

#: (column, descending) pairs, most significant first.
Sort = list[tuple[str, bool]]

#: The values of the ORDER BY columns (sort columns, then primary key) of a page's edge row.
Cursor = tuple[Any, ...]

#: Which way a page was read: from the start or a cursor (after=), or back from the end or a cursor (before=).
PageDirection = Literal["forward", "backward"]

OPS = ("eq", "ne", "lt", "le", "gt", "ge", "contains", "range", "in", "is_null", "not_null", "json_eq")
#: The comparisons and the words a message uses for them.
COMPARISONS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
NUMBER_KINDS = (ColumnKind.INTEGER, ColumnKind.FLOAT, ColumnKind.DECIMAL)
#: Kinds that compare the same way on both backends (text collations differ, so text is not one).
ORDERED_KINDS = (*NUMBER_KINDS, ColumnKind.DATETIME, ColumnKind.DATE, ColumnKind.TIME)
TEXT_KINDS = (ColumnKind.STRING, ColumnKind.TEXT, ColumnKind.ENUM)
#: Searched as their text by the quick search: JSON (JSONB cast to text on PostgreSQL) and text lists.
JSON_TEXT_KINDS = (ColumnKind.JSON, ColumnKind.ARRAY)
UNSORTABLE_KINDS = (ColumnKind.JSON, ColumnKind.VECTOR, ColumnKind.ARRAY, ColumnKind.BINARY)
LIKE_ESCAPE = "\\"
_SQLITE = sqlite.dialect()  # quotes a table name for its rowid


@dataclass(frozen=True)
class Filter:
    """One condition on one column; see OPS for what `op` may be and what `value` it takes."""

    column: str
    op: str
    value: Any = None


def column(entity: Entity, name: str) -> sa.Column[Any]:
    """The table column called `name`, or NotFoundError ("locations has no column 'x'")."""
    entity.column(name)  # raises the readable NotFoundError for unknown names
    for col in entity.table.columns:
        if col.name == name:
            return col
    raise ValidationError([FieldProblem(name, f"{entity.name}.{name} is not a column of its table")])


def entity_of(catalog: Catalog, entity: Entity | str) -> Entity:
    """The entity itself, or the catalog's entity of that name."""
    return entity if isinstance(entity, Entity) else catalog.get(entity)


def select_all(entity: Entity) -> tuple[sa.Select[Any], list[str]]:
    """SELECT of every column in table order, and the column names."""
    cols = list(entity.table.columns)
    return sa.select(*cols), [c.name for c in cols]


def count_rows(conn: sa.Connection, entity: Entity, *where: sa.ColumnElement[bool]) -> int:
    """How many rows match `where`."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(entity.table).where(*where)).scalar_one())


def fetch_row(conn: sa.Connection, entity: Entity, key: dict[str, Any]) -> dict[str, Any] | None:
    """One row by its (coerced) key as a dict of column name to value, or None."""
    if tuple(key) == entity.primary_key and None not in key.values():
        stmt, names = entity.key_select  # the usual key: one statement per entity, built once
    else:
        for name in key:
            column(entity, name)  # the readable error for a name that is no column
        stmt, names = select_by_key(entity, tuple((name, v is None) for name, v in key.items()))
    params = {f"key_{i}": v for i, v in enumerate(key.values()) if v is not None}
    row = conn.execute(stmt, params).first()
    return dict(zip(names, row, strict=True)) if row is not None else None


def coerce_for(entity: Entity, name: str, value: Any) -> Any:
    """Coerce a value compared with column `name` (filter, key, cursor), or a one-line ValidationError."""
    info = entity.column(name)
    try:
        return coerce(info, value, for_filter=True)
    except Unreadable:
        msg = _unreadable(info, value)
    except (ValueError, TypeError, OverflowError) as exc:
        msg = str(exc) or f"cannot read {value!r} as {info.kind}"
    raise ValidationError([FieldProblem(name, f"{entity.name}.{name}: {msg}")])


def _unreadable(info: ColumnInfo, value: Any) -> str:
    """A filter's words for input that is no value of the column's kind at all."""
    if info.kind == "enum":
        return f"expected one of {', '.join(info.enum_values or ())}, got {str(value)!r}"
    if info.kind == "boolean":
        return f"expected true or false, got {value!r}"
    words = {
        "integer": "a whole number",
        "float": "a number",
        "decimal": "a number",
        "datetime": "a date and time (ISO 8601, e.g. 2024-05-01T12:00:00+00:00)",
        "date": "a date (YYYY-MM-DD)",
        "time": "a time (HH:MM[:SS])",
        "uuid": "a UUID",
    }.get(info.kind, info.kind)
    return f"cannot read {value!r} as {words}"


def coerce_key(entity: Entity, key: dict[str, Any]) -> dict[str, Any]:
    """A full primary key with coerced values, or ValidationError naming what is missing."""
    if not entity.primary_key:
        return {name: coerce_for(entity, name, v) for name, v in key.items()}
    missing = [c for c in entity.primary_key if c not in key]
    if missing:
        raise ValidationError([FieldProblem(c, f"{entity.name}: the key needs {c}") for c in missing])
    return {c: coerce_for(entity, c, key[c]) for c in entity.primary_key}


def key_predicate(entity: Entity, key: dict[str, Any]) -> sa.ColumnElement[bool]:
    """WHERE for one row by its (coerced) key."""
    return sa.and_(*(_equal(column(entity, name), v) for name, v in key.items()))


# --- filters --------------------------------------------------------------------------------------


def where_clauses(
    entity: Entity, filters: Iterable[Filter], quick: str | None, backend: str
) -> list[sa.ColumnElement[bool]]:
    """One WHERE condition per filter, plus the quick search, all coerced and checked first."""
    clauses = [filter_clause(entity, f, backend) for f in filters]
    if quick is not None and quick.strip():
        clauses.append(quick_clause(entity, quick.strip(), backend))
    return clauses


def filter_clause(entity: Entity, f: Filter, backend: str) -> sa.ColumnElement[bool]:
    """The SQL condition for one filter."""
    if f.op not in OPS:
        raise ValidationError(
            [FieldProblem(f.column, f"unknown filter '{f.op}'; use one of {', '.join(OPS)}")]
        )
    col = column(entity, f.column)
    info = entity.column(f.column)
    if f.op == "is_null":
        return col.is_(None)
    if f.op == "not_null":
        return col.is_not(None)
    if f.op == "contains":
        return contains(col, info, str(f.value if f.value is not None else ""), backend)
    if f.op == "json_eq":
        return _json_eq(entity, col, info, f.value, backend)
    if info.kind in ("vector", "json", "array"):
        hint = " (use json_eq for JSON)" if info.kind == "json" else ""
        raise ValidationError(
            [FieldProblem(f.column, f"{entity.name}.{f.column} cannot be filtered with '{f.op}'{hint}")]
        )
    if f.op in ("eq", "ne"):
        value = coerce_for(entity, f.column, f.value)
        if info.times_as_text and value is not None:
            return stored_times.compare(info, col, f.op, value)
        # "not equal" keeps NULLs: a row with no value is not equal to the value asked for.
        return _equal(col, value) if f.op == "eq" else col.is_distinct_from(value)
    if f.op in COMPARISONS:
        return _comparison(entity, col, info, f)
    if f.op == "in":
        values = list(f.value) if isinstance(f.value, list | tuple | set | frozenset) else [f.value]
        coerced = [coerce_for(entity, f.column, v) for v in values]
        present = [v for v in coerced if v is not None]
        parts: list[sa.ColumnElement[bool]] = [col.in_(present)] if present else []
        if present and info.times_as_text:
            parts = [sa.or_(*(stored_times.compare(info, col, "eq", v) for v in present))]
        if len(present) < len(coerced):
            parts.append(col.is_(None))
        return sa.or_(*parts) if parts else sa.false()
    # range
    if not isinstance(f.value, list | tuple) or len(f.value) != 2:
        raise ValidationError([FieldProblem(f.column, "range needs (low, high); either may be empty")])
    lo, hi = (coerce_for(entity, f.column, v) for v in f.value)
    if info.times_as_text:
        ends = [stored_times.compare(info, col, op, v) for op, v in (("ge", lo), ("le", hi)) if v is not None]
        return sa.and_(*ends) if ends else sa.true()
    parts = []
    if lo is not None:
        parts.append(col >= _bind(col, lo))
    if hi is not None:
        parts.append(col <= _bind(col, hi))
    return sa.and_(*parts) if parts else sa.true()


def _comparison(entity: Entity, col: sa.Column[Any], info: ColumnInfo, f: Filter) -> sa.ColumnElement[bool]:
    """`col` <, ≤, > or ≥ the filter's value; only on numbers, dates and times, and never on NULL."""
    sign = COMPARISONS[f.op]
    if info.kind not in ORDERED_KINDS:
        raise ValidationError(
            [FieldProblem(f.column, f"{entity.name}.{f.column} ({info.kind}) cannot be compared with {sign}")]
        )
    value = coerce_for(entity, f.column, f.value)
    if value is None:
        raise ValidationError([FieldProblem(f.column, f"{entity.name}.{f.column} {sign} needs a value")])
    if info.times_as_text:
        return stored_times.compare(info, col, f.op, value)
    bound = _bind(col, value)
    ops = {"lt": col < bound, "le": col <= bound, "gt": col > bound, "ge": col >= bound}
    return ops[f.op]


def contains(col: sa.ColumnElement[Any], info: ColumnInfo, text: str, backend: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring match; % and _ in `text` match themselves."""
    escaped = "".join(LIKE_ESCAPE + ch if ch in ("%", "_", LIKE_ESCAPE) else ch for ch in text)
    pattern = f"%{escaped}%"
    target: sa.ColumnElement[Any] = col if info.kind in ("string", "text") else sa.cast(col, sa.Text)
    if backend == "postgresql":
        return target.ilike(pattern, escape=LIKE_ESCAPE)
    # SQLite's LIKE is case-insensitive for ASCII already.
    return target.like(pattern, escape=LIKE_ESCAPE)


def quick_clause(entity: Entity, text: str, backend: str) -> sa.ColumnElement[bool]:
    """OR of contains over every text and JSON column, exact matches on UUID and integer key columns, and,
    when `text` is a number, equality on every number column. Vectors and binary columns are not searched.

    On a SQLite table a full-text index covers (Entity.fulltext), the words are looked up in that index
    instead (fulltext_clause), and a typed key still finds its row."""
    if entity.fulltext is not None and backend == "sqlite":
        found = fulltext_clause(entity, entity.fulltext, text)
        if found is not None:
            return found
    parts: list[sa.ColumnElement[bool]] = []
    for info in entity.columns:
        col = column(entity, info.name)
        if info.kind in TEXT_KINDS:
            parts.append(contains(col, info, text, backend))
        elif info.kind in JSON_TEXT_KINDS:
            parts.append(_json_contains(col, info, text, backend))
        elif info.kind == "uuid" or info.kind in NUMBER_KINDS:
            # A pasted id or a number should find its row even though they are not text: by equality,
            # which an index on the column serves.
            with contextlib.suppress(ValueError, TypeError, OverflowError):
                value = coerce(info, text, for_filter=True)
                parts.append(col == _number_bind(col, info, value))
    return sa.or_(*parts) if parts else sa.false()


def fulltext_clause(entity: Entity, index: FullTextIndex, text: str) -> sa.ColumnElement[bool] | None:
    """Rows whose indexed text has words starting with each of the words typed (MATCH on the FTS table),
    or whose key equals the text; None when nothing typed is a word the index could hold."""
    query = fulltext_query(text, index.module)
    if query is None:
        return None
    fts = sa.table(index.table, sa.column("rowid"), sa.column(index.table))  # the hidden column MATCH takes
    matches = sa.select(fts.c.rowid).where(fts.c[index.table].op("MATCH")(sa.bindparam(None, query, sa.Text)))
    key: sa.ColumnElement[Any]
    if index.key in entity.table.c:
        key = entity.table.c[index.key]
    else:  # the index's rowid is the table's own rowid, which is no column of the entity
        key = sa.literal_column(f"{_SQLITE.identifier_preparer.quote(entity.table.name)}.rowid")
    parts: list[sa.ColumnElement[bool]] = [key.in_(matches)]
    for name in entity.primary_key:
        info = entity.column(name)
        if info.kind == "uuid" or info.kind in NUMBER_KINDS:
            with contextlib.suppress(ValueError, TypeError, OverflowError):
                col = column(entity, name)
                parts.append(col == _number_bind(col, info, coerce(info, text, for_filter=True)))
    return sa.or_(*parts)


def fulltext_query(text: str, module: str) -> str | None:
    """The typed words as an FTS query of prefix phrases ("drag"* "fire"*: rows holding both), so that no
    word is read as FTS syntax (AND, NEAR, -, :, *, quotes) and no typing is a syntax error; None when
    no word holds a letter or digit (which the index never holds)."""
    phrases = []
    for word in text.replace("\x00", " ").split():  # the FTS parsers read a NUL as the query's end
        if not any(ch.isalnum() for ch in word):
            continue
        if module == "fts5":
            phrases.append('"' + word.replace('"', '""') + '"*')
        else:  # FTS3/4 phrases cannot hold a quote; the prefix star goes inside
            phrases.append('"' + word.replace('"', " ") + '*"')
    return " ".join(phrases) or None


def _json_contains(col: sa.Column[Any], info: ColumnInfo, text: str, backend: str) -> sa.ColumnElement[bool]:
    """A substring of a JSON column's text (jsonb::text on PostgreSQL, the stored JSON text on SQLite)."""
    found = contains(col, info, text, backend)
    escaped = json.dumps(text)[1:-1]  # how json.dumps stores "é" ("\u00e9") or a quote inside a string
    if backend != "postgresql" and escaped != text:
        found = sa.or_(found, contains(col, info, escaped, backend))
    return found


def _number_bind(col: sa.Column[Any], info: ColumnInfo, value: Any) -> sa.ColumnElement[Any]:
    """The value to compare a number column with; a float is cast to the column's type so that 0.1 finds
    the single-precision 0.1 a REAL column holds."""
    if info.kind == "float":
        return sa.cast(_bind(col, value), col.type)
    return _bind(col, value)


def _json_eq(
    entity: Entity, col: sa.Column[Any], info: ColumnInfo, value: Any, backend: str
) -> sa.ColumnElement[bool]:
    """JSON value at a path equals `expected` (None: JSON null or missing)."""
    if info.kind != "json":
        raise ValidationError([FieldProblem(info.name, f"{entity.name}.{info.name} is not a JSON column")])
    if not isinstance(value, list | tuple) or len(value) != 2 or not isinstance(value[0], list | tuple):
        raise ValidationError([FieldProblem(info.name, "json_eq needs (path list, expected value)")])
    path, expected = list(value[0]), value[1]
    if not path or not all(isinstance(p, str | int) and not isinstance(p, bool) for p in path):
        raise ValidationError([FieldProblem(info.name, "a JSON path is a list of keys and indexes")])
    if backend == "postgresql":
        # Compare jsonb with jsonb: type-exact, and no cast of other rows' values can fail.
        jb = col if isinstance(col.type, postgresql.JSONB) else sa.cast(col, postgresql.JSONB)
        node: sa.ColumnElement[Any] = jb[tuple(path)]
        if expected is None:
            missing: sa.ColumnElement[bool] = node.as_string().is_(None)  # JSON null or no such path
            return missing
        match: sa.ColumnElement[bool] = node == sa.bindparam(None, expected, type_=postgresql.JSONB)
        return match
    jpath = sqlite_json_path(path)
    extracted = sa.func.json_extract(col, jpath)
    jtype = sa.func.json_type(col, jpath)
    if expected is None:
        return extracted.is_(None)
    if isinstance(expected, bool):
        return jtype == ("true" if expected else "false")
    if isinstance(expected, int | float):
        return sa.and_(jtype.in_(("integer", "real")), extracted == expected)
    if isinstance(expected, str):
        return sa.and_(jtype == "text", extracted == expected)
    # Objects and arrays come back from json_extract as minified JSON text.
    return extracted == sa.func.json(json.dumps(expected))


def sqlite_json_path(path: Sequence[str | int]) -> str:
    """A SQLite JSON path ($."key"[0]) for a list of keys and indexes."""
    out = "$"
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        elif '"' in p:
            raise ValidationError([FieldProblem(p, "JSON keys with a double quote cannot be matched")])
        else:
            out += f'."{p}"'
    return out


# --- order and keyset -----------------------------------------------------------------------------


def order_columns(entity: Entity, sort: Sort | None) -> list[tuple[ColumnInfo, bool]]:
    """The full ORDER BY: the chosen columns, then the primary key as tie-breaker (ascending)."""
    out: list[tuple[ColumnInfo, bool]] = []
    seen: set[str] = set()
    for name, desc in sort or []:
        info = entity.column(name)
        if info.kind in UNSORTABLE_KINDS:
            raise ValidationError([FieldProblem(name, f"{entity.name}.{name} ({info.kind}) cannot sort")])
        if name not in seen:
            seen.add(name)
            out.append((info, bool(desc)))
    tie = list(entity.primary_key)
    if not tie:
        # No key: every sortable column, so that OFFSET pages are at least repeatable.
        tie = [c.name for c in entity.columns if c.kind not in UNSORTABLE_KINDS]
    for name in tie:
        if name not in seen:
            seen.add(name)
            out.append((entity.column(name), False))
    return out


def order_by(
    entity: Entity, order: list[tuple[ColumnInfo, bool]], *, reverse: bool = False
) -> list[sa.ColumnElement[Any]]:
    """ORDER BY clauses where NULL sorts as the largest value (NULLS LAST ascending) on both backends."""
    out: list[sa.ColumnElement[Any]] = []
    for info, desc in order:
        col = column(entity, info.name)
        d = desc != reverse
        clause = col.desc() if d else col.asc()
        if info.nullable:
            # Only where needed: an explicit NULLS clause on a NOT NULL column stops SQLite using an index.
            clause = clause.nulls_first() if d else clause.nulls_last()
        out.append(clause)
    return out


def after_predicate(
    entity: Entity, order: list[tuple[ColumnInfo, bool]], cursor: Cursor, *, reverse: bool = False
) -> sa.ColumnElement[bool]:
    """Rows strictly after `cursor` in `order` (strictly before it when `reverse`), NULL being largest."""
    if len(cursor) != len(order):
        raise ValidationError([FieldProblem("cursor", "this cursor belongs to another sort order; reload")])
    cols = [column(entity, info.name) for info, _ in order]
    # A time another app spelt its own way comes as the stored text (fetch_page): compared as it is,
    # exactly as ORDER BY compares the stored texts; re-bound as a datetime it would sort elsewhere.
    binds = [
        None if v is None
        else stored_times.cursor_bind(v) if stored_times.is_stored(info, v)
        else _bind(col, coerce_for(entity, info.name, v))
        for col, (info, _), v in zip(cols, order, cursor, strict=True)
    ]  # fmt: skip
    dirs = [desc != reverse for _, desc in order]
    nullable = [info.nullable for info, _ in order]
    if len(set(dirs)) == 1 and not any(nullable) and all(b is not None for b in binds):
        # One direction and no NULLs: a row-value comparison, which both planners serve from an index.
        left = sa.tuple_(*cols)
        right = sa.tuple_(*binds)
        return left < right if dirs[0] else left > right
    terms: list[sa.ColumnElement[bool]] = []
    for i, (col, b, d, can_null) in enumerate(zip(cols, binds, dirs, nullable, strict=True)):
        step = _beyond(col, b, d, can_null)
        if step is not None:
            same = (cols[j].is_(None) if binds[j] is None else cols[j] == binds[j] for j in range(i))
            terms.append(sa.and_(*same, step))
    return sa.or_(*terms) if terms else sa.false()


def _beyond(
    col: sa.Column[Any], bound: sa.BindParameter[Any] | None, desc: bool, can_null: bool
) -> sa.ColumnElement[bool] | None:
    """`col` strictly past the bound value (None: NULL) in its direction, NULL counting as the largest."""
    if not desc:
        if bound is None:
            return None  # nothing is larger than NULL
        return sa.or_(col > bound, col.is_(None)) if can_null else col > bound
    if bound is None:
        return col.is_not(None)
    return col < bound


def _bind(col: sa.ColumnElement[Any], v: Any) -> sa.BindParameter[Any]:
    """A typed parameter: SQLAlchemy refuses `col > True` with a bare Python bool."""
    return sa.bindparam(None, v, type_=col.type)


def _equal(col: sa.ColumnElement[Any], v: Any) -> sa.ColumnElement[bool]:
    return col.is_(None) if v is None else col == v
