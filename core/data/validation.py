"""Checks a change batch against the catalog before anything is written.

Whatever passes here PostgreSQL accepts too, so SQLite never ends up holding what PostgreSQL would refuse
(VARCHAR lengths, 32-bit INTEGER, numeric precision, NUL characters, non-finite numbers). Values are read
by core/data/coercion.py; this adds required columns, keys, simple CHECKs and foreign keys. Nothing here
writes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import operator
import re
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa

from core.data.changes import Change, Delete, Insert, Update
from core.data.coercion import coerce, reader
from core.data.server_checks import server_problems
from core.errors import FieldProblem, NotFoundError, ValidationError
from core.schema.catalog import Catalog, ColumnInfo, Entity

__all__ = ["check_value", "coerce", "portable_columns", "simple_checks", "validate", "value_problem"]

BLANK_LABEL = "is required and cannot be blank"
IN_CHUNK = 500  # well under SQLite's bound-parameter limit

# Simple numeric CHECKs validation evaluates itself; anything else is left to the database.
_CHECK_OPS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    ">=": (operator.ge, "at least"), ">": (operator.gt, "greater than"), "<=": (operator.le, "at most"),
    "<": (operator.lt, "less than"), "=": (operator.eq, "equal to"), "<>": (operator.ne, "other than"),
    "!=": (operator.ne, "other than"),
}  # fmt: skip
_NUM = r"(-?\d+(?:\.\d+)?)"
_COL = r'(?:"?\w+"?\.)?"?(\w+)"?'
CHECK_CMP_RE = re.compile(rf"{_COL}\s*(>=|<=|<>|!=|>|<|=)\s*{_NUM}")
CHECK_BETWEEN_RE = re.compile(rf"{_COL}\s+BETWEEN\s+{_NUM}\s+AND\s+{_NUM}", re.I)
PG_CAST_RE = re.compile(r"::(?:double precision|character varying|\w+)")


# --- the batch ---------------------------------------------------------------------------------------

Problem = Callable[[str, str], None]
_FAILED = object()


def validate(catalog: Catalog, changes: list[Change], conn: sa.Connection | None = None) -> list[Change]:
    """Check a batch: copies with coerced values, or one ValidationError listing every problem.

    Every value is read (coerced) here once; keys too, so the writes use them as they come back.
    """
    problems: list[FieldProblem] = []
    checked: list[tuple[Entity | None, Change]] = []
    rules: dict[str, _Rules | str] = {}  # per entity of the batch: worked out at its first change
    for row, change in enumerate(changes):

        def problem(column: str, message: str, row: int = row) -> None:
            problems.append(FieldProblem(column, message, row))

        found = rules.get(change.entity)
        if found is None:
            found = rules[change.entity] = _rules_of(catalog, change.entity)
        if isinstance(found, str):
            problem(change.entity, found)
            checked.append((None, change))
        else:
            checked.append((found.entity, _check_change(found, change, problem)))
    if conn is not None:
        _check_references(catalog, checked, conn, problems)
        problems.extend(server_problems(checked, conn))
    if problems:
        raise ValidationError(problems)
    return [change for _, change in checked]


@dataclasses.dataclass(frozen=True)
class _Rules:
    """What checking values of one entity needs: its columns, their readers and simple CHECKs."""

    entity: Entity
    shape: _Shape
    readers: dict[str, Callable[[Any], Any]]  # coercion.reader per column
    checks: dict[str, list[tuple[str, Decimal, str]]]  # simple_checks
    key_names: frozenset[str]


def _rules(entity: Entity) -> _Rules:
    shape = _shape(entity)
    readers = {name: reader(col) for name, col in shape.cols.items()}
    checks = simple_checks(entity.table)
    domains = {c.name: c.domain_check for c in entity.columns if c.domain_check}
    if domains:  # a domain's CHECK (on VALUE) holds for each column of the domain
        checks = {**checks}
        for name, text in domains.items():
            found = [(op, limit, message) for _, op, limit, message in _parse_check(text)]
            checks[name] = checks.get(name, []) + found
    return _Rules(entity, shape, readers, checks, frozenset(entity.primary_key))


def _rules_of(catalog: Catalog, name: str) -> _Rules | str:
    """The rules of an entity, or why no change of it can be checked."""
    try:
        entity = catalog.get(name)
    except NotFoundError as exc:
        return str(exc)
    if entity.read_only_reason:
        return f"cannot be changed because {entity.read_only_reason}"
    return _rules(entity)


def portable_columns(entity: Entity) -> dict[str, ColumnInfo]:
    """Columns by name as the strictest backend sees them (tags: JSON on SQLite, text[] on PostgreSQL)."""
    return dict(_shape(entity).cols)


@dataclasses.dataclass(frozen=True)
class _Shape:
    """What checking a change needs to know of one entity, worked out once per entity (see _shape)."""

    cols: dict[str, ColumnInfo]  # portable_columns
    as_text: frozenset[str]  # JSON columns kept in a type that binds text (reflected TEXT)
    as_blob: frozenset[str]  # vector columns kept in a type that binds bytes (reflected BLOB)


def _shape(entity: Entity) -> _Shape:
    """What checking a change needs to know of the entity (derived once by the frozen entity itself)."""
    return _Shape(entity.portable_columns, entity.json_as_text, entity.vectors_as_blob)


def _check_change(rules: _Rules, change: Change, problem: Problem) -> Change:
    """The change with its key and values read; the change itself when reading changed nothing."""
    entity, cols = rules.entity, rules.shape.cols
    key: dict[str, Any] = {} if isinstance(change, Insert) else _key(rules, change.key, problem)
    if isinstance(change, Delete):
        return change if key is change.key else dataclasses.replace(change, key=key)
    checked = change.checked
    if type(change) is Update and key is change.key and _all_checked(rules, change):
        return change  # the editor's edit: read as typed, nothing left but NULLs in required columns
    values: dict[str, Any] = {}
    same = True  # every value kept as the very object given: the change itself can be returned
    for name, given in change.values.items():
        col = cols.get(name)
        if col is None:
            problem(name, f"{entity.name} has no column '{name}'")
        elif isinstance(change, Update) and name in rules.key_names:
            if _read_or(rules, name, given, _FAILED) != key.get(name):  # restating the same key is harmless
                problem(
                    name, "is part of the primary key and cannot be changed; insert a copy, delete this row"
                )
        elif (never := col.never_written_reason) is not None:
            if not (isinstance(change, Insert) and given is None):  # a new row's blank cell: left out
                problem(name, f"cannot be written: {never}")
            same = False
        elif (value := given if name in checked else _read_field(rules, col, given, problem)) is _FAILED:
            continue
        elif value is None and not col.nullable:
            if not (isinstance(change, Insert) and (col.has_default or col.autoincrement)):
                problem(name, "is required")
            # else: a blank cell in a new row; leaving the column out lets its default apply
            same = False
        elif name not in checked and _blank_label(entity, col, value):
            problem(name, BLANK_LABEL)
        else:
            stored = values[name] = _for_storage(rules, name, value)
            same = same and stored is given
    if isinstance(change, Update):
        if same and key is change.key and len(values) == len(change.values):
            return change  # read already (checked, or values that read as themselves): nothing to copy
        return dataclasses.replace(change, key=key, values=values)
    for col in cols.values():
        if col.name not in change.values and not (col.nullable or col.has_default or col.autoincrement):
            problem(col.name, "is required")
    if same and len(values) == len(change.values):
        return change
    return dataclasses.replace(change, values=values)


def _all_checked(rules: _Rules, change: Update) -> bool:
    """Whether every value is checked and storable as it is: then only a NULL in a required column fails."""
    if not change.checked.issuperset(change.values) or rules.shape.as_text or rules.shape.as_blob:
        return False
    cols = rules.shape.cols
    for name, value in change.values.items():
        col = cols.get(name)
        if col is None or (value is None and not col.nullable) or name in rules.key_names:
            return False  # the general loop says why
        if col.never_written_reason is not None:
            return False  # refused in the general loop
    return True


def check_value(entity: Entity, column: str, raw: Any) -> tuple[Any, str | None]:
    """Read one typed cell as validate() would: (its value, None), or (what to keep, why it cannot be saved).

    The editor reads each cell once, here, and stages the value with its column in Update/Insert.checked
    when there is no problem, so validate() does not read it again. A value that cannot be read at all is
    returned as given. Required-but-NULL and foreign keys are left to validate(), which knows whether the
    row is new and what the database holds.
    """
    rules = _rules(entity)
    col = rules.shape.cols.get(column)
    if col is None:
        return raw, f"{entity.name} has no column '{column}'"
    found: list[str] = []

    def problem(_column: str, message: str) -> None:
        found.append(message)

    value = _read(rules, col, raw, problem)
    if value is _FAILED:
        return raw, found[0]
    if _passes_checks(rules, col, value, problem) and _blank_label(entity, col, value):
        found.append(BLANK_LABEL)
    return value, (found[0] if found else None)


def _blank_label(entity: Entity, col: ColumnInfo, value: Any) -> bool:
    """Blank text in a required label column: the row would show blank in the grid and every FK picker."""
    return col.name == entity.label and not col.nullable and isinstance(value, str) and not value.strip()


def value_problem(entity: Entity, column: str, value: Any) -> str | None:
    """Why `value` cannot be saved in `column`, as validate() would say it, or None; reads no database."""
    return check_value(entity, column, value)[1]


def _coerce_or(col: ColumnInfo, value: Any, fallback: Any) -> Any:
    try:
        return coerce(col, value)
    except ValueError:
        return fallback


def _read_or(rules: _Rules, name: str, value: Any, fallback: Any) -> Any:
    try:
        return rules.readers[name](value)
    except ValueError:
        return fallback


def _read_field(rules: _Rules, col: ColumnInfo, raw: Any, problem: Problem) -> Any:
    """The value read for `col`, after simple CHECKs; _FAILED once reported."""
    value = _read(rules, col, raw, problem)
    return value if value is _FAILED or _passes_checks(rules, col, value, problem) else _FAILED


def _read(rules: _Rules, col: ColumnInfo, raw: Any, problem: Problem) -> Any:
    """The value read for `col`; _FAILED once reported."""
    try:
        return rules.readers[col.name](raw)
    except ValueError as exc:
        problem(col.name, str(exc))
        return _FAILED


def _passes_checks(rules: _Rules, col: ColumnInfo, value: Any, problem: Problem) -> bool:
    """Whether a read value passes the column's simple CHECKs (a failure is reported)."""
    checks = rules.checks.get(col.name)
    if checks and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        for op, limit, message in checks:
            if not _CHECK_OPS[op][0](Decimal(value), limit):
                problem(col.name, f"{message} (got {value})")
                return False
    return True


def _for_storage(rules: _Rules, name: str, value: Any) -> Any:
    """Reflected tables may keep JSON in TEXT and vectors in BLOBs: hand them what their type binds."""
    if value is not None and name in rules.shape.as_text:
        return json.dumps(value)
    if value is not None and name in rules.shape.as_blob:
        return np.asarray(value, dtype="<f4").tobytes()
    return value


def _key(rules: _Rules, raw: dict[str, Any], problem: Problem) -> dict[str, Any]:
    """The key read; `raw` itself when every value reads as itself."""
    entity = rules.entity
    key: dict[str, Any] = {}
    same = len(raw) == len(entity.primary_key)
    for name in entity.primary_key:
        given = raw.get(name)
        try:
            value = key[name] = rules.readers[name](given)
        except ValueError as exc:
            problem(name, f"key {exc}")
            same = False
            continue
        if value is None:
            problem(name, "is missing from the row's key")
            same = False
        same = same and value is given
    if same:
        return raw
    names = ", ".join(entity.primary_key)
    for name in raw:
        if name not in rules.key_names:
            problem(name, f"is not part of the primary key of {entity.name} ({names})")
    return key


@functools.lru_cache(maxsize=512)
def simple_checks(table: sa.Table) -> dict[str, list[tuple[str, Decimal, str]]]:
    """Single-column numeric CHECKs (`col >= 0`, `col BETWEEN a AND b`) by column name."""
    found: dict[str, list[tuple[str, Decimal, str]]] = defaultdict(list)
    for constraint in table.constraints:
        if not isinstance(constraint, sa.CheckConstraint):
            continue
        try:
            text = str(constraint.sqltext)
        except Exception:  # an expression that does not compile without a dialect: not a simple check
            continue
        for col, op, limit, message in _parse_check(text):
            if col in table.c:
                found[col].append((op, limit, message))
    return dict(found)


def _parse_check(text: str) -> list[tuple[str, str, Decimal, str]]:
    flat = PG_CAST_RE.sub("", text)  # PostgreSQL reflects `strength >= '-100'::integer`
    flat = " ".join(flat.replace("(", " ").replace(")", " ").replace("'", "").split())
    if re.search(r"\b(OR|NOT)\b", flat, re.I):
        return []
    m = CHECK_BETWEEN_RE.fullmatch(flat)
    if m:
        message = f"must be between {m[2]} and {m[3]}"
        return [(m[1], ">=", Decimal(m[2]), message), (m[1], "<=", Decimal(m[3]), message)]
    out = []
    for part in re.split(r"\s+AND\s+", flat, flags=re.I):
        m = CHECK_CMP_RE.fullmatch(part)
        if not m:
            return []  # anything not fully understood is left to the database
        out.append((m[1], m[2], Decimal(m[3]), f"must be {_CHECK_OPS[m[2]][1]} {m[3]}"))
    return out


# --- foreign keys ------------------------------------------------------------------------------------


def _check_references(
    catalog: Catalog,
    checked: list[tuple[Entity | None, Change]],
    conn: sa.Connection,
    problems: list[FieldProblem],
) -> None:
    """Every foreign key set in the batch must name an existing row, or one inserted earlier in the batch."""
    present: dict[tuple[str, tuple[str, ...]], set[Any]] = defaultdict(set)  # inserted so far in the batch
    gone: dict[str, set[Any]] = defaultdict(set)  # primary keys deleted so far in the batch
    wanted: dict[tuple[str, tuple[str, ...]], dict[Any, list[tuple[int, str]]]] = defaultdict(dict)
    for row, (entity, change) in enumerate(checked):
        if entity is None:
            continue
        values = change.key if isinstance(change, Delete) else change.values
        if isinstance(change, Update):
            if not entity.foreign_keys:
                continue  # most edits: nothing to look up
        else:
            pk = tuple(values.get(c) for c in entity.primary_key)
        if isinstance(change, Delete):
            gone[entity.name].add(pk)
            present[(entity.name, entity.primary_key)].discard(pk)
            continue
        if isinstance(change, Insert):  # before its own references: a row may point at itself
            for tcols in {fk.target_columns for fk in entity.referenced_by}:
                present[(entity.name, tcols)].add(tuple(values.get(c) for c in tcols))
            gone[entity.name].discard(pk)
        for fk in entity.foreign_keys:
            if isinstance(change, Update) and fk.columns[0] not in values:
                continue  # not edited here (a part of it missing reads as NULL below: not checked either)
            ref, where = tuple(values.get(c) for c in fk.columns), ", ".join(fk.columns)
            if (
                None in ref
                or fk.target not in catalog.entities
                or ref in present[(fk.target, fk.target_columns)]
            ):
                continue
            if fk.target_columns == catalog.entities[fk.target].primary_key and ref in gone[fk.target]:
                problems.append(
                    FieldProblem(where, f"refers to a {fk.target} row deleted earlier in this batch", row)
                )
            else:
                wanted[(fk.target, fk.target_columns)].setdefault(ref, []).append((row, where))
    for (target, tcols), refs in wanted.items():
        existing = _existing(conn, catalog.entities[target], tcols, list(refs))
        for ref, users in refs.items():
            shown = ", ".join(f"{c} = {v}" for c, v in zip(tcols, ref, strict=True))
            problems.extend(
                FieldProblem(where, f"refers to a missing {target} row ({shown})", row)
                for row, where in users
                if ref not in existing
            )


def _existing(
    conn: sa.Connection, target: Entity, tcols: tuple[str, ...], refs: list[tuple[Any, ...]]
) -> set[Any]:
    """Which of `refs` exist in `target`: one SELECT … IN (…) per chunk of keys."""
    cols, infos = [target.table.c[c] for c in tcols], portable_columns(target)
    found: set[Any] = set()
    for start in range(0, len(refs), IN_CHUNK):
        chunk = refs[start : start + IN_CHUNK]
        cond = cols[0].in_([r[0] for r in chunk]) if len(cols) == 1 else sa.tuple_(*cols).in_(chunk)
        for db_row in conn.execute(sa.select(*cols).where(cond)):
            # Normalise what the database returns the way the batch's values were coerced.
            found.add(tuple(_coerce_or(infos[c], v, v) for c, v in zip(tcols, db_row, strict=True)))
    return found
