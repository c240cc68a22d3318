"""Checks a change batch against the catalog before anything is written, and turns user input into values.

Whatever passes here PostgreSQL accepts too, so SQLite never ends up holding what PostgreSQL would refuse
(VARCHAR lengths, 32-bit INTEGER, numeric precision, NUL characters, non-finite numbers). Nothing here writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import operator
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal, localcontext
from typing import Any

import numpy as np
import sqlalchemy as sa
from pgvector.sqlalchemy import VECTOR
from sqlalchemy.dialects import postgresql

from core.catalog import Catalog, ColumnInfo, Entity
from core.changes import Change, Delete, Insert, Update
from core.errors import FieldProblem, NotFoundError, ValidationError
from core.types import Vector

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "off", "0"})
# The literal syntaxes PostgreSQL's int/numeric input accepts on every supported version (no "1_000").
INTEGER_RE = re.compile(r"\s*[+-]?\d+\s*")
NUMBER_RE = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
FLOAT32_MAX = float(np.finfo(np.float32).max)
IN_CHUNK = 500  # well under SQLite's bound-parameter limit
_PG = postgresql.dialect()  # type: ignore[no-untyped-call]

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
JSON_NUL_RE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
PG_CAST_RE = re.compile(r"::(?:double precision|character varying|\w+)")


def coerce(column: ColumnInfo, value: Any) -> Any:
    """Turn user input (often text from a grid, a CSV paste or the CLI) into the column's Python value."""
    kind = effective_kind(column)
    if value is None:
        return None
    if isinstance(value, str) and kind not in ("string", "text") and not value.strip():
        return None  # a blank cell in a typed column means "no value", not an empty string
    return _COERCERS.get(kind, _as_is)(column, value)


def effective_kind(column: ColumnInfo) -> str:
    """The column's kind, with a PostgreSQL array reported as JSON read as an array."""
    if column.kind == "json" and column.type.rstrip().endswith("[]"):
        return "array"
    if column.kind == "string" and column.length is None:
        return "text"
    return column.kind


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_text(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters (PostgreSQL refuses them)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text") from None
    return text


def _string(column: ColumnInfo, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"expected text, got {type(value).__name__}")
    text = _check_text(value if isinstance(value, str) else str(value))
    if column.length is not None and len(text) > column.length:
        # Enforced on SQLite too, which would otherwise store any length.
        raise ValueError(f"at most {column.length} characters (got {len(text)})")
    return text


def _enum(column: ColumnInfo, value: Any) -> str:
    allowed = column.enum_values or ()
    # Exact match only: PostgreSQL (native enum or CHECK) does not fold case or trim.
    if allowed and value not in allowed:
        raise ValueError(f"must be one of {', '.join(allowed)} (got {_show(value)})")
    return _string(column, value)


def _number(value: Any, example: str, *, whole: bool = False) -> Decimal:
    """Any numeric input as an exact Decimal; text must be a literal PostgreSQL's input functions accept."""
    what = "a whole number" if whole else "a number"
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"expected {what}, not true/false")
    if isinstance(value, str):
        if not (INTEGER_RE if whole else NUMBER_RE).fullmatch(value):
            raise ValueError(f"expected {what} such as {example} (got {_show(value)})")
        d = Decimal(value.strip())
    elif isinstance(value, int | np.integer):
        d = Decimal(int(value))
    elif isinstance(value, float | np.floating):
        d = Decimal(repr(float(value)))  # the shortest repr, not the binary expansion of 0.1
    elif isinstance(value, Decimal):
        d = value
    else:
        raise ValueError(f"expected {what}, got {type(value).__name__}")
    if not d.is_finite():
        # SQLite would store NaN as NULL, and the backends disagree on infinities.
        raise ValueError(f"must be a finite number (got {_show(value)})")
    return d


def _integer(column: ColumnInfo, value: Any) -> int:
    t = column.type.upper()
    bits = (
        64
        if ("BIGINT" in t or "INT8" in t or "BIGSERIAL" in t)
        else 16
        if ("SMALLINT" in t or "INT2" in t)
        else 32
    )
    d = _number(value, "42", whole=True)
    if d != d.to_integral_value():
        raise ValueError(f"expected a whole number (got {_show(value)})")
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if not lo <= d <= hi:  # compared as Decimal: never builds a 5000-digit int
        # INTEGER is 32-bit on PostgreSQL, so it is held to that on SQLite too.
        raise ValueError(f"must be between {lo} and {hi} (a {bits}-bit integer)")
    return int(d)


def _decimal(column: ColumnInfo, value: Any) -> Decimal:
    """Check precision and scale; PostgreSQL would silently round extra places, which loses data."""
    d = _number(value, "12.50")
    if column.precision is None:
        return d
    scale = column.scale or 0  # NUMERIC(p) means NUMERIC(p, 0)
    parts = d.as_tuple()
    digits, exponent = list(parts.digits), int(parts.exponent)
    while exponent < 0 and digits and digits[-1] == 0:  # 12.500 has two places, not three
        digits.pop()
        exponent += 1
    places, whole = max(0, -exponent), max(0, len(digits) + exponent) if digits != [0] else 0
    wrong = []
    if places > scale:
        wrong.append(f"at most {scale} decimal places (got {places})")
    if whole > column.precision - scale:
        wrong.append(f"at most {column.precision - scale} digits before the decimal point (got {whole})")
    if wrong:
        raise ValueError("; ".join(wrong))
    with localcontext() as ctx:
        ctx.prec = column.precision + 2
        return d.quantize(Decimal(1).scaleb(-scale))


def _float(column: ColumnInfo, value: Any) -> float:
    number = float(_number(value, "1.5"))
    t = column.type.upper()
    single = t in ("REAL", "FLOAT4") or bool((m := re.fullmatch(r"FLOAT\((\d+)\)", t)) and int(m[1]) <= 24)
    if not math.isfinite(number) or (
        single and (abs(number) > FLOAT32_MAX or (number != 0 and np.float32(number) == 0))
    ):
        raise ValueError(
            f"does not fit a {'single' if single else 'double'}-precision number (got {_show(value)})"
        )
    return number


def _boolean(column: ColumnInfo, value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueError(f"expected true or false (yes/no, on/off, 1/0), got {_show(value)}")


def _iso(value: Any, cls: Any, example: str) -> Any:
    if isinstance(value, str):
        try:
            return cls.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"expected {example} (got {_show(value)})") from None
    raise ValueError(f"expected {example}, got {type(value).__name__}")


def _datetime(column: ColumnInfo, value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        stamp = dt.datetime.combine(value, dt.time())
    else:
        stamp = _iso(value, dt.datetime, "an ISO 8601 time such as 2024-05-01T12:30:00Z")
    if stamp.tzinfo is None:
        # Naive input is read as UTC, not local time, so a CLI run means the same on every machine.
        stamp = stamp.replace(tzinfo=dt.UTC)
    try:
        stamp = stamp.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"is out of range (got {_show(value)})") from None
    if "WITHOUT TIME ZONE" in column.type.upper() or column.type.upper() == "TIMESTAMP":
        # PostgreSQL would shift an aware value into the session's zone for a naive column.
        return stamp.replace(tzinfo=None)
    return stamp


def _date(column: ColumnInfo, value: Any) -> dt.date:
    if isinstance(value, dt.datetime) and value.timetz() != dt.time():
        raise ValueError(f"expected a date without a time (got {_show(value)})")
    if isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    return _iso(value, dt.date, "a date such as 2024-05-01")  # type: ignore[no-any-return]


def _time(column: ColumnInfo, value: Any) -> dt.time:
    return value if isinstance(value, dt.time) else _iso(value, dt.time, "a time such as 13:45:00")


def _uuid(column: ColumnInfo, value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value.strip())  # with or without dashes
        except ValueError:
            pass
    raise ValueError(f"expected a UUID such as 123e4567-e89b-12d3-a456-426614174000 (got {_show(value)})")


def _json(column: ColumnInfo, value: Any) -> Any:
    parsed = value.tolist() if isinstance(value, np.ndarray) else value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
        except (ValueError, RecursionError) as exc:  # over-long integers, absurd nesting
            raise ValueError(f"is not valid JSON: {exc}") from None
    try:
        text = json.dumps(parsed, allow_nan=False, ensure_ascii=False)
    except ValueError:
        raise ValueError("JSON numbers must be finite (no NaN or Infinity)") from None
    except (TypeError, RecursionError) as exc:
        raise ValueError(f"cannot be stored as JSON ({exc})") from None
    if JSON_NUL_RE.search(text):  # an unescaped \u0000: jsonb refuses it
        raise ValueError("must not contain NUL characters (PostgreSQL refuses them)")
    _check_text(text)  # lone surrogates
    return parsed


def _array(column: ColumnInfo, value: Any) -> list[str]:
    parsed = _json(column, value) if isinstance(value, str) else value
    if isinstance(parsed, tuple):
        parsed = list(parsed)
    if not isinstance(parsed, list) or not all(isinstance(x, str) for x in parsed):
        raise ValueError('expected a list of text such as ["red", "blue"]')
    return [_check_text(x) for x in parsed]


def _vector(column: ColumnInfo, value: Any) -> np.ndarray:
    if isinstance(value, str):
        value = _json(column, value)  # pgvector's text form '[1,2,3]' is JSON
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("expected a list of numbers") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError("expected a flat, non-empty list of numbers")
    if column.vector_dim and arr.shape[0] != column.vector_dim:
        raise ValueError(f"expected {column.vector_dim} numbers (got {arr.shape[0]})")
    with np.errstate(over="ignore"):
        arr32 = arr.astype(np.float32)
    if not np.isfinite(arr32).all():
        raise ValueError("every number must be finite and fit a 32-bit float")
    return arr32


def _binary(column: ColumnInfo, value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    text = value.strip() if isinstance(value, str) else ""
    if text[:2].lower() in ("\\x", "0x") and re.fullmatch(r"(?:[0-9a-fA-F]{2})*", text[2:]):
        return bytes.fromhex(text[2:])
    raise ValueError(f"expected bytes or hex such as 0x00ff (got {_show(value)})")


def _as_is(column: ColumnInfo, value: Any) -> Any:
    return value


_COERCERS: dict[str, Callable[[ColumnInfo, Any], Any]] = {
    "string": _string, "text": _string, "enum": _enum, "integer": _integer, "decimal": _decimal,
    "float": _float, "boolean": _boolean, "datetime": _datetime, "date": _date, "time": _time,
    "uuid": _uuid, "json": _json, "array": _array, "vector": _vector, "binary": _binary,
}  # fmt: skip


# --- the batch ---------------------------------------------------------------------------------------

Problem = Callable[[str, str], None]
_FAILED = object()


def validate(catalog: Catalog, changes: list[Change], conn: sa.Connection | None = None) -> list[Change]:
    """Check a batch: copies with coerced values, or one ValidationError listing every problem."""
    problems: list[FieldProblem] = []
    checked: list[tuple[Entity | None, Change]] = []
    for row, change in enumerate(changes):

        def problem(column: str, message: str, row: int = row) -> None:
            problems.append(FieldProblem(column, message, row))

        entity: Entity | None = None
        try:
            entity = catalog.get(change.entity)
        except NotFoundError as exc:
            problem(change.entity, str(exc))
        if entity is not None and entity.read_only_reason:
            problem(entity.name, f"cannot be changed because {entity.read_only_reason}")
            entity = None
        checked.append((entity, change if entity is None else _check_change(entity, change, problem)))
    if conn is not None:
        _check_references(catalog, checked, conn, problems)
    if problems:
        raise ValidationError(problems)
    return [change for _, change in checked]


def portable_columns(entity: Entity) -> dict[str, ColumnInfo]:
    """Columns by name as the strictest backend sees them (tags: JSON on SQLite, text[] on PostgreSQL)."""
    out = {}
    for col in entity.columns:
        sa_col = entity.table.c.get(col.name)
        if col.kind == "json" and sa_col is not None and isinstance(sa_col.type.dialect_impl(_PG), sa.ARRAY):
            col = dataclasses.replace(col, kind="array")
        out[col.name] = col
    return out


def _check_change(entity: Entity, change: Change, problem: Problem) -> Change:
    cols = portable_columns(entity)
    key = {} if isinstance(change, Insert) else _key(entity, cols, change.key, problem)
    if isinstance(change, Delete):
        return dataclasses.replace(change, key=key)
    values: dict[str, Any] = {}
    for name, given in change.values.items():
        col = cols.get(name)
        if col is None:
            problem(name, f"{entity.name} has no column '{name}'")
        elif isinstance(change, Update) and name in entity.primary_key:
            if _coerce_or(col, given, _FAILED) != key.get(name):  # restating the same key is harmless
                problem(
                    name, "is part of the primary key and cannot be changed; insert a copy, delete this row"
                )
        elif (value := _coerce_field(entity, col, given, problem)) is _FAILED:
            continue
        elif value is None and not col.nullable:
            if not (isinstance(change, Insert) and (col.has_default or col.autoincrement)):
                problem(name, "is required")
            # else: a blank cell in a new row; leaving the column out lets its default apply
        else:
            values[name] = value
    if isinstance(change, Update):
        return dataclasses.replace(change, key=key, values=values)
    for col in cols.values():
        if col.name not in change.values and not (col.nullable or col.has_default or col.autoincrement):
            problem(col.name, "is required")
    return Insert(change.entity, values)


def _coerce_or(col: ColumnInfo, value: Any, fallback: Any) -> Any:
    try:
        return coerce(col, value)
    except ValueError:
        return fallback


def _coerce_field(entity: Entity, col: ColumnInfo, raw: Any, problem: Problem) -> Any:
    """The coerced value after simple CHECKs, in the form its SQL type binds; _FAILED once reported."""
    try:
        value = coerce(col, raw)
    except ValueError as exc:
        problem(col.name, str(exc))
        return _FAILED
    numeric = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    for op, limit, message in simple_checks(entity.table).get(col.name, ()) if numeric else ():
        if not _CHECK_OPS[op][0](Decimal(value), limit):
            problem(col.name, f"{message} (got {value})")
            return _FAILED
    sa_type = entity.table.c[col.name].type if col.name in entity.table.c else None
    # Reflected tables may keep JSON in TEXT and vectors in BLOBs: hand them what their type binds.
    if value is not None and col.kind == "json" and not isinstance(sa_type, sa.JSON | sa.ARRAY):
        return json.dumps(value)
    if value is not None and col.kind == "vector" and not isinstance(sa_type, Vector | VECTOR):
        return np.asarray(value, dtype="<f4").tobytes()
    return value


def _key(
    entity: Entity, cols: dict[str, ColumnInfo], raw: dict[str, Any], problem: Problem
) -> dict[str, Any]:
    key: dict[str, Any] = {}
    for name in entity.primary_key:
        try:
            key[name] = coerce(cols[name], raw.get(name))
        except ValueError as exc:
            problem(name, f"key {exc}")
            continue
        if key[name] is None:
            problem(name, "is missing from the row's key")
    for name in set(raw) - set(entity.primary_key):
        problem(name, f"is not part of the primary key of {entity.name} ({', '.join(entity.primary_key)})")
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
