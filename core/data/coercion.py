"""Turns user input (grid text, a CSV paste, the CLI, a filter box) into a column's Python value.

One parser serves writes and filters. A value to be written must also be one PostgreSQL would store
(VARCHAR length, 32-bit INTEGER, numeric precision, NUL characters…), so that SQLite never holds what
PostgreSQL would refuse. A value that is only compared with stored ones (a filter, a key, a cursor, a
conflict check) skips those rules: `coerce(..., for_filter=True)`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import ipaddress
import json
import math
import re
import uuid
from collections.abc import Callable
from decimal import Decimal, localcontext
from typing import Any

import numpy as np

from core.schema.catalog import ColumnInfo

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "off", "0"})
# The literal syntaxes PostgreSQL's int/numeric input accepts on every supported version (no "1_000").
INTEGER_RE = re.compile(r"\s*[+-]?\d+\s*")
NUMBER_RE = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
FLOAT32_MAX = float(np.finfo(np.float32).max)
JSON_NUL_RE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
#: Compared values of these kinds pass as given: filters refuse them; keys and guards hold what was read.
AS_GIVEN_IN_FILTERS = frozenset({"json", "array", "vector", "binary"})


class Unreadable(ValueError):
    """Input that is no value of the column's kind at all, as opposed to a value that breaks a rule."""


def coerce(column: ColumnInfo, value: Any, *, for_filter: bool = False) -> Any:
    """Turn user input into the column's Python value, or raise ValueError saying why.

    With `for_filter` the value is only compared with stored ones: the rules on what may be stored are
    skipped, and a blank stays itself rather than meaning "no value" (a filter on "" is not IS NULL).
    """
    kind = effective_kind(column)
    if value is None:
        return None
    if for_filter:
        if kind in AS_GIVEN_IN_FILTERS:
            return value
    elif isinstance(value, str) and kind not in ("string", "text") and not value.strip():
        return None  # a blank cell in a typed column means "no value", not an empty string
    return _coercer(column, kind)(column, value, for_filter)


def reader(column: ColumnInfo) -> Callable[[Any], Any]:
    """`coerce(column, value)` for values to be written, with the column's kind worked out once.

    For a batch: validation reads every value of a column through the one reader.
    """
    kind = effective_kind(column)
    read = _coercer(column, kind)
    typed = kind not in ("string", "text")

    def read_value(value: Any) -> Any:
        if value is None:
            return None
        if typed and isinstance(value, str) and not value.strip():
            return None  # a blank cell in a typed column means "no value", not an empty string
        return read(column, value, False)

    return read_value


def effective_kind(column: ColumnInfo) -> str:
    """The column's kind, with a PostgreSQL array reported as JSON read as an array."""
    if column.kind == "json" and column.type.rstrip().endswith("[]"):
        return "array"
    if column.kind == "string" and column.length is None:
        return "text"
    return column.kind


def _coercer(column: ColumnInfo, kind: str) -> Callable[[ColumnInfo, Any, bool], Any]:
    """How a column's values are read: by its kind, or as text the server checks (interval, inet, cidr)."""
    return _server_text if column.server_type else _COERCERS.get(kind, _as_is)


def interval_text(value: dt.timedelta) -> str:
    """A timedelta as PostgreSQL's interval input reads it back exactly ('-1 days 22:00:00' is -2 hours)."""
    whole, micro = divmod(value.seconds * 1_000_000 + value.microseconds, 1_000_000)
    clock = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}" + (
        f".{micro:06d}" if micro else ""
    )
    if not value.days:
        return clock
    return f"{value.days} day{'' if abs(value.days) == 1 else 's'} {clock}"


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


def _string(column: ColumnInfo, value: Any, for_filter: bool) -> str:
    if for_filter:
        return value if isinstance(value, str) else str(value)  # compared, never stored: any text will do
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"expected text, got {type(value).__name__}")
    text = _check_text(value if isinstance(value, str) else str(value))
    if column.length is not None and len(text) > column.length:
        # Enforced on SQLite too, which would otherwise store any length.
        raise ValueError(f"at most {column.length} characters (got {len(text)})")
    return text


def _enum(column: ColumnInfo, value: Any, for_filter: bool) -> str:
    allowed = column.enum_values or ()
    # Exact match only: PostgreSQL (native enum or CHECK) does not fold case or trim.
    if allowed and (str(value) if for_filter else value) not in allowed:
        raise Unreadable(f"must be one of {', '.join(allowed)} (got {_show(value)})")
    return _string(column, value, for_filter)


def _number(value: Any, example: str, *, whole: bool = False) -> Decimal:
    """Any numeric input as an exact Decimal; text must be a literal PostgreSQL's input functions accept."""
    what = "a whole number" if whole else "a number"
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"expected {what}, not true/false")
    if isinstance(value, str):
        if not (INTEGER_RE if whole else NUMBER_RE).fullmatch(value):
            raise Unreadable(f"expected {what} such as {example} (got {_show(value)})")
        d = Decimal(value.strip())
    elif isinstance(value, int | np.integer):
        d = Decimal(int(value))
    elif isinstance(value, float | np.floating):
        d = Decimal(repr(float(value)))  # the shortest repr, not the binary expansion of 0.1
    elif isinstance(value, Decimal):
        d = value
    else:
        raise Unreadable(f"expected {what}, got {type(value).__name__}")
    if not d.is_finite():
        # SQLite would store NaN as NULL, and the backends disagree on infinities.
        raise ValueError(f"must be a finite number (got {_show(value)})")
    return d


@functools.lru_cache(maxsize=256)
def _integer_bits(sql_type: str) -> int:
    t = sql_type.upper()
    if "BIGINT" in t or "INT8" in t or "BIGSERIAL" in t:
        return 64
    return 16 if ("SMALLINT" in t or "INT2" in t) else 32


def _integer(column: ColumnInfo, value: Any, for_filter: bool) -> int:
    # A filter may compare past the column's width, but no integer column anywhere holds more.
    bits = 64 if for_filter else _integer_bits(column.type)
    d = _number(value, "42", whole=True)
    if d != d.to_integral_value():
        raise ValueError(f"expected a whole number (got {_show(value)})")
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if not lo <= d <= hi:  # compared as Decimal: never builds a 5000-digit int
        # INTEGER is 32-bit on PostgreSQL, so it is held to that on SQLite too.
        raise ValueError(f"must be between {lo} and {hi} (a {bits}-bit integer)")
    return int(d)


def _decimal(column: ColumnInfo, value: Any, for_filter: bool) -> Decimal:
    """Check precision and scale; PostgreSQL would silently round extra places, which loses data."""
    d = _number(value, "12.50")
    if column.precision is None or for_filter:
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


def _float(column: ColumnInfo, value: Any, for_filter: bool) -> float:
    if for_filter and isinstance(value, float) and not math.isfinite(value):
        return value  # a stored inf or NaN (a page's cursor, a conflict check's loaded value), as read
    number = float(_number(value, "1.5"))
    t = column.type.upper()
    single = t in ("REAL", "FLOAT4") or bool((m := re.fullmatch(r"FLOAT\((\d+)\)", t)) and int(m[1]) <= 24)
    single = single and not for_filter  # a double-precision bound still compares with single values
    if not math.isfinite(number) or (
        single and (abs(number) > FLOAT32_MAX or (number != 0 and np.float32(number) == 0))
    ):
        raise ValueError(
            f"does not fit a {'single' if single else 'double'}-precision number (got {_show(value)})"
        )
    return number


def _boolean(column: ColumnInfo, value: Any, for_filter: bool) -> bool:
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
    raise Unreadable(f"expected true or false (yes/no, on/off, 1/0), got {_show(value)}")


def _iso(value: Any, cls: Any, example: str) -> Any:
    if isinstance(value, str):
        try:
            return cls.fromisoformat(value.strip())
        except ValueError:
            raise Unreadable(f"expected {example} (got {_show(value)})") from None
    raise Unreadable(f"expected {example}, got {type(value).__name__}")


def _datetime(column: ColumnInfo, value: Any, for_filter: bool) -> dt.datetime:
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


def _date(column: ColumnInfo, value: Any, for_filter: bool) -> dt.date:
    # Writing would lose the time of day; a filter has always compared by the date alone.
    if not for_filter and isinstance(value, dt.datetime) and value.timetz() != dt.time():
        raise ValueError(f"expected a date without a time (got {_show(value)})")
    if isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    parsed: dt.date = _iso(value, dt.date, "a date such as 2024-05-01")
    return parsed


def _time(column: ColumnInfo, value: Any, for_filter: bool) -> dt.time:
    return value if isinstance(value, dt.time) else _iso(value, dt.time, "a time such as 13:45:00")


def _uuid(column: ColumnInfo, value: Any, for_filter: bool) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value.strip())  # with or without dashes
        except ValueError:
            pass
    raise Unreadable(f"expected a UUID such as 123e4567-e89b-12d3-a456-426614174000 (got {_show(value)})")


def _json(column: ColumnInfo, value: Any, for_filter: bool = False) -> Any:
    parsed = value.tolist() if isinstance(value, np.ndarray) else value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise Unreadable(
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


def _array(column: ColumnInfo, value: Any, for_filter: bool) -> list[Any]:
    parsed = _json(column, value) if isinstance(value, str) else value
    if isinstance(parsed, tuple):
        parsed = list(parsed)
    if column.item_kind not in (None, "text", "string"):
        if not isinstance(parsed, list):
            raise ValueError("expected a list such as [1, 2, 3]")
        return _array_items(column, parsed)
    if not isinstance(parsed, list) or not all(isinstance(x, str) for x in parsed):
        raise ValueError('expected a list of text such as ["red", "blue"]')
    return [_check_text(x) for x in parsed]


def _array_items(column: ColumnInfo, items: list[Any]) -> list[Any]:
    """Each item read as the array's item kind (an int[]'s as integers); a problem names the item."""
    item = array_item_column(column)
    read = _COERCERS.get(effective_kind(item), _as_is)
    out = []
    for i, x in enumerate(items, 1):
        try:
            out.append(None if x is None else read(item, x, False))
        except ValueError as exc:
            raise ValueError(f"item {i}: {exc}") from None
    return out


@functools.lru_cache(maxsize=256)
def array_item_column(column: ColumnInfo) -> ColumnInfo:
    """An array column's items as a column of their own (INTEGER[] -> INTEGER), for reading each item."""
    kind = column.item_kind or "text"
    return dataclasses.replace(column, kind=kind, type=column.type.removesuffix("[]"), item_kind=None)  # type: ignore[arg-type]


def _server_text(column: ColumnInfo, value: Any, for_filter: bool) -> str:
    """An interval, inet or cidr as the text the server reads (and checks before the save writes it)."""
    if isinstance(value, dt.timedelta):
        return interval_text(value)
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return str(value)
    if isinstance(value, ipaddress.IPv4Interface | ipaddress.IPv6Interface):
        return str(value.ip) if value.network.prefixlen == value.max_prefixlen else str(value)
    if not isinstance(value, str):
        raise Unreadable(f"expected text such as {_SERVER_EXAMPLES.get(column.server_type or '', '…')}")
    return _check_text(value.strip())


_SERVER_EXAMPLES = {
    "interval": "2 hours",
    "inet": "192.168.0.1",
    "cidr": "10.0.0.0/8",
    "macaddr": "08:00:2b:01:02:03",
}


def _vector(column: ColumnInfo, value: Any, for_filter: bool) -> np.ndarray:
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


def _binary(column: ColumnInfo, value: Any, for_filter: bool) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    text = value.strip() if isinstance(value, str) else ""
    if text[:2].lower() in ("\\x", "0x") and re.fullmatch(r"(?:[0-9a-fA-F]{2})*", text[2:]):
        return bytes.fromhex(text[2:])
    raise ValueError(f"expected bytes or hex such as 0x00ff (got {_show(value)})")


def _as_is(column: ColumnInfo, value: Any, for_filter: bool) -> Any:
    return value


_COERCERS: dict[str, Callable[[ColumnInfo, Any, bool], Any]] = {
    "string": _string, "text": _string, "enum": _enum, "integer": _integer, "decimal": _decimal,
    "float": _float, "boolean": _boolean, "datetime": _datetime, "date": _date, "time": _time,
    "uuid": _uuid, "json": _json, "array": _array, "vector": _vector, "binary": _binary,
}  # fmt: skip
