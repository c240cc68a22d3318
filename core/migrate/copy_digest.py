"""A copy's checksum computed by the target server: each row spelt as one canonical text, hashed with md5, the
first 64 bits of the hashes summed (mod 2**64, order-free). PostgreSQL spells the rows it holds with SQL
(`server_digest`, no row leaves the server); the copy spells the source rows it reads from SQLite the same way
in Python (`RowDigest`), so equal data gives equal digests in any process.

The canonical text of a value follows the target column's type, as PostgreSQL prints it: integers and text as
they are, booleans 1/0, UUIDs as 32 hex digits, times as UTC `YYYY-MM-DD HH:MM:SS[.ffffff]` (ISO DateStyle's
text: the fraction's trailing zeros dropped, the point too when none is left), decimals at their
column's scale, jsonb as PostgreSQL prints it (keys by length, then bytes; `", "` and `": "`), double
precision, bytea and vectors as the hex of their binary form. A column of another type has no plan: its table
is checked the slower way (core/migrate/copy_values.Checksum over both sides read back).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import math
import operator
import re
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import repeat
from json.encoder import encode_basestring  # the C escaper: escapes as jsonb does
from typing import Any

import numpy as np
import orjson
from psycopg import sql

from core.errors import WardenError
from core.migrate.copy_values import float_text, value_text, with_nulls

#: Between the values of a row; SEP and ESC inside text are escaped (ESC ESC, ESC SEP), a NULL is ESC N.
SEP, ESC = "\x1f", "\x1e"
NULL = ESC + "N"
_MASK = (1 << 64) - 1
_FIRST_8 = operator.itemgetter(slice(0, 8))
_DIGEST = operator.methodcaller("digest")
#: The md5 of one row (hashlib's public constructor: CPython's private _md5 module is 0.13 µs a row cheaper,
#: about 0.3 s of a scale-100 copy, not worth a private module).
_md5: Callable[[bytes], Any] = hashlib.md5

Column = Sequence[Any]
Canon = Callable[[Column], list[str]]


@dataclass(frozen=True)
class ColumnPlan:
    """One column: the SQL spelling its canonical text on the server, the Python spelling the same from the
    source's raw values (a whole batch's column at once)."""

    name: str
    expression: str  # with {c} for the quoted column
    canon: Canon
    spec: tuple[str, str, str] = ("", "", "")  # column_plan's type arguments: made again in another process


@dataclass(frozen=True)
class DigestPlan:
    """The columns of a table in the order the rows are read."""

    columns: tuple[ColumnPlan, ...]

    def select(self, table: sql.Composable, up_to: int | None) -> sql.Composed:
        """The server's digest: rows and the sum of the rows' hashes (`up_to`: only ids at most that)."""
        parts = [
            sql.SQL("coalesce(" + c.expression + ", {null})").format(
                c=sql.Identifier(c.name), null=sql.Literal(NULL)
            )
            for c in self.columns
        ]
        spaced: list[sql.Composable] = []
        for part in parts:
            spaced += [sql.Literal(SEP), part] if spaced else [part]
        line = sql.SQL(" || ").join(spaced) if spaced else sql.Literal("")
        where = (
            sql.SQL(" where {} <= {}").format(sql.Identifier("id"), sql.Literal(up_to))
            if up_to is not None
            else sql.SQL("")
        )
        return sql.SQL(
            "select count(*), coalesce(sum(('x' || left(md5({line}), 16))::bit(64)::bigint), 0) from {t}{w}"
        ).format(line=line, t=table, w=where)


class RowDigest:
    """The source side: rows as read raw from SQLite, spelt as the plan says, summed as the server sums."""

    def __init__(self, plan: DigestPlan, table: str = "") -> None:
        self.plan = plan
        self.table = table  # named by a refusal
        self.total = 0
        self.rows = 0

    def add_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Count a batch of rows (values in the order of the plan's columns); raises WardenError on a
        value the check cannot spell (named by table and column, never the value)."""
        if rows:
            self.add_columns(list(zip(*rows, strict=True)), len(rows))

    def add_columns(self, columns: Sequence[Column], rows: int) -> None:
        """Count a batch given as its columns (`rows` long each), as `add_rows` does."""
        if not rows:
            return
        texts = []
        for c, col in zip(self.plan.columns, columns, strict=True):
            try:
                texts.append(c.canon(col))
            except _LoneSurrogate:
                raise WardenError(
                    f"Copying {self.table}, column {c.name} failed: a JSON text holds a lone surrogate "
                    "escape (\\ud800 to \\udfff without its pair), which jsonb cannot read. The batches "
                    "copied before it were kept; fix the source and run the copy again to resume."
                ) from None
        lines = map(SEP.join, zip(*texts, strict=True)) if texts else ("" for _ in range(rows))
        hashes = map(_DIGEST, map(_md5, map(str.encode, lines)))
        self.total = (self.total + sum(map(int.from_bytes, map(_FIRST_8, hashes)))) & _MASK
        self.rows += rows

    @property
    def hexdigest(self) -> str:
        """The digest as its plan's tag and 16 hex digits."""
        return digest_text(self.total)


def digest_text(total: int) -> str:
    """A digest as `md5:` and 16 hex digits (a sum of signed or unsigned 64-bit halves alike)."""
    return f"md5:{total & _MASK:016x}"


# --- one column at a time: NULLs become NULL, the rest is spelt by a per-type function ---


def _with_nulls(col: Column, spell: Callable[[Column], list[str]]) -> list[str]:
    return with_nulls(col, spell, NULL)


def _types(col: Column) -> set[type]:
    return set(map(type, col))


def _escaped(texts: list[str]) -> list[str]:
    """Text with SEP and ESC inside escaped (rare: checked over the whole column at once in C)."""
    joined = "".join(texts)
    if SEP not in joined and ESC not in joined:
        return texts
    return [t.replace(ESC, ESC + ESC).replace(SEP, ESC + SEP) for t in texts]


def _text(col: Column) -> list[str]:
    def spell(values: Column) -> list[str]:
        # SQLite keeps numbers (and bytes) in a column of another affinity: their text is what COPY sent.
        texts = list(values) if _types(values) <= {str} else list(map(value_text, values))
        return _escaped(texts)

    return _with_nulls(col, spell)


def _padded(col: Column) -> list[str]:
    def spell(values: Column) -> list[str]:
        return [t.rstrip(" ") for t in _text(values)]

    return _with_nulls(col, spell)


def _integer(col: Column) -> list[str]:
    return _with_nulls(col, lambda values: list(map(str, values)))


_TRUE = {"t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"}


def _boolean(col: Column) -> list[str]:
    def one(value: Any) -> str:
        if isinstance(value, str):
            return "1" if value.strip().lower() in _TRUE else "0"
        return "1" if value else "0"

    return _with_nulls(col, lambda values: list(map(one, values)))


def _uuid(col: Column) -> list[str]:
    def spell(values: Column) -> list[str]:
        # 32 characters PostgreSQL read as a UUID are 32 hex digits (no room for dashes or braces): in lower
        # case they are its text without dashes.
        if _types(values) <= {str} and set(map(len, values)) <= {32}:
            joined = "".join(values)
            if joined == joined.lower():
                return list(values)
        return [_uuid_hex(v) for v in values]

    return _with_nulls(col, spell)


def _uuid_hex(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, bytes) and len(value) == 16:
        return uuid.UUID(bytes=value).hex
    try:
        return uuid.UUID(str(value)).hex
    except ValueError:
        return str(value)  # the target refused it already, or holds something else: a mismatch


def _stamped(values: Column) -> bool:
    """Whether every value is `YYYY-MM-DD HH:MM:SS.ffffff` (SQLAlchemy's own spelling on SQLite), checked
    by the separators' places in the joined column (digits elsewhere: PostgreSQL read them as a time)."""
    if not _types(values) <= {str} or set(map(len, values)) != {26}:
        return False
    joined, n = "".join(values), len(values)
    return all(
        joined[at::26] == ch * n
        for at, ch in ((4, "-"), (7, "-"), (10, " "), (13, ":"), (16, ":"), (19, "."))
    )


def _timestamp(aware: bool) -> Canon:
    """A time as the server's text of it in UTC (ISO DateStyle): SQLite's naive text is UTC; for a column
    without time zone an offset in the text is dropped, as PostgreSQL's input does."""

    def spell(values: Column) -> list[str]:
        if _stamped(values):
            # The fraction's trailing zeros go, then a point left alone (the seconds' digits stop both).
            return list(map(str.rstrip, map(str.rstrip, values, repeat("0")), repeat(".")))
        return [_stamp_text(v, aware) for v in values]

    return lambda col: _with_nulls(col, spell)


def _stamp_text(value: Any, aware: bool) -> str:
    when = value
    if isinstance(value, str):
        try:
            when = _rounded(value, dt.datetime.fromisoformat(value.strip()))
        except ValueError:
            return _INFINITE.get(value.strip().lower(), value)
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        when = dt.datetime(value.year, value.month, value.day)
    if not isinstance(when, dt.datetime):
        return str(value)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC) if aware else when
        when = when.replace(tzinfo=None)
    # Not strftime: its %Y has no leading zeros before year 1000 on glibc (.NET's 0001-01-01 sentinel).
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d} {when.hour:02d}:{when.minute:02d}:" + (
        f"{when.second:02d}" + (f".{when.microsecond:06d}".rstrip("0") if when.microsecond else "")
    )


#: PostgreSQL's times and dates past every other, as it prints them.
_INFINITE = {"infinity": "infinity", "+infinity": "infinity", "-infinity": "-infinity"}
_LONG_FRACTION = re.compile(r":\d\d\.(\d{7,})")


def _rounded(text: str, when: dt.datetime) -> dt.datetime:
    """A time whose text has more than six fractional digits (.NET writes seven) at the microsecond
    PostgreSQL makes of it: the rint of the fraction's double times a million (ParseFractionalSecond), where
    fromisoformat truncates."""
    found = _LONG_FRACTION.search(text)
    if found is None:
        return when
    micro = round(float("0." + found.group(1)) * 1_000_000)
    return when.replace(microsecond=0) + dt.timedelta(microseconds=micro)


_DAY = re.compile(r"(?:\d{4}-\d\d-\d\d\x00)*")


def _date(col: Column) -> list[str]:
    def spell(values: Column) -> list[str]:
        if _types(values) <= {str} and _DAY.fullmatch("\x00".join(values) + "\x00"):
            return list(values)
        return [_date_text(v) for v in values]

    return _with_nulls(col, spell)


def _date_text(value: Any) -> str:
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).date().isoformat()
        except ValueError:
            return _INFINITE.get(value.strip().lower(), value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


_ANY_DAY = dt.date(2000, 1, 1)


def _time(col: Column) -> list[str]:
    def one(value: Any) -> str:
        moment = value
        if isinstance(value, str):
            try:
                moment = dt.time.fromisoformat(value.strip())
            except ValueError:
                return value
            day = dt.datetime.combine(_ANY_DAY, moment)
            rounded = _rounded(value, day)
            if rounded.date() != _ANY_DAY:
                return "24:00:00"  # time's own end of day, where PostgreSQL rounds 23:59:59.9999995 up to
            moment = rounded.time()
        if not isinstance(moment, dt.time):
            return str(value)
        text = f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
        return text + (f".{moment.microsecond:06d}".rstrip("0") if moment.microsecond else "")

    return _with_nulls(col, lambda values: list(map(one, values)))


#: numeric(p, s) holds up to 1000 digits; Python's default context (28) would refuse wider ones at quantize.
_WIDE = decimal.Context(prec=1000)


def _numeric(scale: int | None) -> Canon:
    """numeric's text: at the column's scale (rounded half away from zero, as numeric's input rounds), or as
    written when the column has none; no sign on a zero."""
    step = decimal.Decimal(1).scaleb(-scale) if scale is not None else None

    def one(value: Any) -> str:
        if type(value) is float:
            if not math.isfinite(value):
                return float_text(value)
            number = decimal.Decimal(repr(value))
        else:
            try:
                number = decimal.Decimal(str(value).strip())
            except decimal.InvalidOperation:
                return str(value)
        if not number.is_finite():
            return "NaN" if number.is_nan() else ("Infinity" if number > 0 else "-Infinity")
        if step is not None:
            number = number.quantize(step, rounding=decimal.ROUND_HALF_UP, context=_WIDE)
        if number == 0:
            number = abs(number)
        return format(number, "f")

    def spell(values: Column) -> list[str]:
        # Prices repeat: each distinct value spelt once; by type too when types mix (1 == 1.0 == True, but
        # numeric keeps 1.0's digit).
        if len(_types(values)) == 1:
            known = {v: one(v) for v in set(values)}
            return list(map(known.__getitem__, values))
        keys = list(zip(map(type, values), values, strict=True))
        typed = {k: one(k[1]) for k in set(keys)}
        return list(map(typed.__getitem__, keys))

    return lambda col: _with_nulls(col, spell)


def _double(col: Column) -> list[str]:
    def spell(values: Column) -> list[str]:
        if _types(values) <= {float, int}:
            text = np.asarray(values, dtype=">f8").tobytes().hex()
            return [text[i : i + 16] for i in range(0, len(text), 16)]
        return [_double_hex(v) for v in values]

    return _with_nulls(col, spell)


def _double_hex(value: Any) -> str:
    try:
        return struct.pack(">d", float(value)).hex()
    except (TypeError, ValueError):
        return str(value)


def _bytea(col: Column) -> list[str]:
    def one(value: Any) -> str:
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value).hex()
        return str(value).encode().hex()

    return _with_nulls(col, lambda values: list(map(one, values)))


def _vector(col: Column) -> list[str]:
    """pgvector's binary form: dimensions and a zero as two 16-bit numbers, then big-endian float32s."""

    def one(value: Any) -> str:
        if isinstance(value, bytes | bytearray | memoryview):
            floats = np.frombuffer(bytes(value), dtype="<f4")
        elif isinstance(value, str):
            floats = np.asarray(json.loads(value), dtype="<f4")
        else:
            floats = np.asarray(value, dtype="<f4").reshape(-1)
        return struct.pack(">HH", len(floats), 0).hex() + floats.astype(">f4").tobytes().hex()

    return _with_nulls(col, lambda values: list(map(one, values)))


# --- JSON as jsonb prints it ---


#: JSON numbers with a fraction or exponent read as decimals: jsonb keeps 1.0 and 1.50 as written.
_DECODER = json.JSONDecoder(parse_float=decimal.Decimal)


#: JSON without fractions or exponents (most: strings, integers, booleans) is parsed by orjson and printed
#: by the C encoder with jsonb's ", " and ": ", keys put in jsonb's order first; a number with a fraction or
#: an exponent (a float from orjson) sends the text to the decimal path, which keeps 1.50 and 1e2 as jsonb
#: does. The server's side is jsonb's own text: no space is dropped, so strings compare as they are.
_SPECIAL = frozenset({dict, list, float})
_ORDERS: dict[tuple[str, ...], tuple[str, ...] | None] = {}  # a dict's keys -> jsonb's order (None: as is)


class _Fraction(Exception):
    """A float in orjson's parse: the text goes the decimal way."""


def _jsonb_ordered(value: Any) -> Any:
    """A parsed JSON value with every object's keys in jsonb's order (objects of one shape repeat: their
    order is found once); raises _Fraction on a float."""
    kind = type(value)
    if kind is float:
        raise _Fraction
    if kind is list:
        return value if _SPECIAL.isdisjoint(map(type, value)) else list(map(_jsonb_ordered, value))
    if kind is not dict:
        return value
    keys = tuple(value)
    if keys in _ORDERS:
        order = _ORDERS[keys]
    else:
        ordered = tuple(sorted(keys, key=lambda k: _key_order((k, None))))
        order = None if ordered == keys else ordered
        if len(_ORDERS) < 10_000:
            _ORDERS[keys] = order
    if order is not None:
        value = dict(zip(order, map(value.__getitem__, order), strict=True))
    if _SPECIAL.isdisjoint(map(type, value.values())):
        return value
    return {k: _jsonb_ordered(v) for k, v in value.items()}


#: jsonb's separators; its escapes are encode_basestring's (ensure_ascii off), as in _jsonb.
_SPACED = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(", ", ": ")).encode


def _jsonb_text(value: Any) -> str:
    if isinstance(value, str):
        try:
            return _SPACED(_jsonb_ordered(orjson.loads(value)))
        except (orjson.JSONDecodeError, _Fraction, TypeError, ValueError):
            pass  # a fraction, or what orjson refuses (integers past 64 bits, NaN): the decimal path says
    return _jsonb_spaced(value)


class _LoneSurrogate(Exception):
    """A JSON text's escape spells half a surrogate pair: no UTF-8 for md5, and jsonb refuses it."""


def _jsonb_spaced(value: Any) -> str:
    if isinstance(value, str | bytes):
        try:
            parsed = _DECODER.decode(value if isinstance(value, str) else value.decode())
        except ValueError:
            return value if isinstance(value, str) else value.hex()
        text = _jsonb(parsed)
        if not text.isascii():  # orjson refuses lone surrogates; Python's decoder keeps them
            try:
                text.encode()
            except UnicodeEncodeError:
                raise _LoneSurrogate from None
        return text
    if type(value) is float:
        return _jsonb(decimal.Decimal(repr(value))) if math.isfinite(value) else float_text(value)
    return _jsonb(value)


def _key_order(item: tuple[str, Any]) -> tuple[int, bytes]:
    raw = item[0].encode()
    return len(raw), raw


def _jsonb(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return str(encode_basestring(value))
    if kind is dict:
        items = sorted(value.items(), key=_key_order)
        return "{" + ", ".join(f"{encode_basestring(k)}: {_jsonb(v)}" for k, v in items) + "}"
    if kind is list:
        return "[" + ", ".join(map(_jsonb, value)) + "]"
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is decimal.Decimal:
        return format(abs(value) if value == 0 else value, "f")
    if kind is float:
        return format(decimal.Decimal(repr(value)), "f")
    return str(encode_basestring(str(value)))


class _JsonColumn:
    """JSON texts repeat (the same tool inputs, the same small results): each distinct text is spelt once,
    remembered across batches up to a bound."""

    LIMIT = 200_000

    def __init__(self) -> None:
        self.known: dict[type, dict[Any, str]] = {}  # one cache per type: 1 == 1.0 == True, spelt apart

    def __call__(self, col: Column) -> list[str]:
        return _with_nulls(col, self._spell)

    def _spell(self, values: Column) -> list[str]:
        kinds = _types(values)
        if len(kinds) != 1:
            return [self._spell([v])[0] for v in values]  # rare: SQLite's numbers beside JSON texts
        known = self.known.setdefault(kinds.pop(), {})
        if len(known) > self.LIMIT:
            known.clear()
        for v in set(values) - known.keys():
            known[v] = _jsonb_text(v)
        return list(map(known.__getitem__, values))


# --- the plan of a table, from its target columns' types ---


def column_plan(name: str, pg_type: str, type_kind: str, type_name: str) -> ColumnPlan | None:
    """The plan of one column from PostgreSQL's format_type, typtype and typname; None: no plan."""
    plan = _column_plan(name, pg_type, type_kind, type_name)
    return None if plan is None else replace(plan, spec=(pg_type, type_kind, type_name))


def _column_plan(name: str, pg_type: str, type_kind: str, type_name: str) -> ColumnPlan | None:
    spelt = _TYPES.get(pg_type)
    if spelt is not None:
        expression, canon = spelt
        return ColumnPlan(name, expression, canon() if isinstance(canon, type) else canon)
    if pg_type.startswith("character varying"):
        return ColumnPlan(name, _TEXT_SQL, _text)
    if re.fullmatch(r"character(?:\(\d+\))?", pg_type):
        # char(n) pads with spaces; its text drops every trailing space (a value's own ones too).
        return ColumnPlan(name, _TEXT_SQL, _padded)
    if pg_type.startswith("numeric"):
        found = re.fullmatch(r"numeric(?:\((\d+),(\d+)\))?", pg_type)
        if found is None:
            return None
        scale = int(found.group(2)) if found.group(2) is not None else None
        return ColumnPlan(name, "{c}::text", _numeric(scale))
    if type_name == "vector" and type_kind == "b":
        return ColumnPlan(name, "encode(vector_send({c}), 'hex')", _vector)
    if type_kind == "e":  # an enum: its label
        return ColumnPlan(name, _TEXT_SQL, _text)
    return None


_TEXT_SQL = "replace(replace({c}::text, E'\\x1e', E'\\x1e\\x1e'), E'\\x1f', E'\\x1e\\x1f')"
# A time's or date's own text in ISO DateStyle (the digest's transaction sets it): `infinity`, and " BC"
# after a year before 1 (SQLite's text for such a time is no ISO time: a mismatch either way). 0.4 the
# server time of to_char's spelling (1 M timestamps, psql timing).
_STAMP_SQL = "{c}::text"
_TYPES: dict[str, tuple[str, Any]] = {
    "text": (_TEXT_SQL, _text),
    "integer": ("{c}::text", _integer),
    "bigint": ("{c}::text", _integer),
    "smallint": ("{c}::text", _integer),
    "boolean": ("{c}::int::text", _boolean),
    "uuid": ("encode(uuid_send({c}), 'hex')", _uuid),  # its 16 bytes in hex: the text without dashes
    "jsonb": ("{c}::text", _JsonColumn),
    "json": ("{c}::jsonb::text", _JsonColumn),
    "timestamp with time zone": ("({c} at time zone 'UTC')::text", _timestamp(aware=True)),
    "timestamp without time zone": (_STAMP_SQL, _timestamp(aware=False)),
    "date": (_STAMP_SQL, _date),
    "time without time zone": ("{c}::text", _time),
    "double precision": ("encode(float8send({c}), 'hex')", _double),
    "bytea": ("encode({c}, 'hex')", _bytea),
}


__all__ = ["NULL", "SEP", "ColumnPlan", "DigestPlan", "RowDigest", "column_plan", "digest_text"]
