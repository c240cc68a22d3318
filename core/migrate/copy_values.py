"""Values on their way to PostgreSQL's COPY, and the canonical form both sides of a copy are checksummed in.

Rows are read raw from the driver (core/migrate/copy_read.py): SQLite's stored text, numbers and BLOBs, or
psycopg's types (UUID, aware datetime, Decimal, parsed JSON, pgvector arrays). `to_copy` turns a value into
what COPY's text format reads back as the same value, where psycopg's own adapter would not; `value_form`
spells a value of a column kind the same whichever side it was read from, so equal data hashes equal in
`Checksum`. `canonical` is the slower, kind-agnostic spelling for a single value.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import orjson

from core.schema.catalog import ColumnInfo
from core.schema.kinds import ColumnKind

Convert = Callable[[Any], Any]
_MASK = (1 << 64) - 1


def _json_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value  # JSON text from a reflected file: the server parses it into jsonb
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _vector_text(value: Any) -> Any:
    if value is None:
        return None
    arr = _floats(value)
    # A float32 widened to a double prints its exact value; pgvector's strtof reads it back bit for bit.
    return "[" + ",".join(map(repr, arr.tolist())) + "]"


def _floats(value: Any) -> np.ndarray:
    if isinstance(value, bytes | bytearray | memoryview):
        return np.frombuffer(bytes(value), dtype="<f4")
    if isinstance(value, str):  # pgvector's text form, when its type is not registered on the connection
        return np.asarray(json.loads(value), dtype="<f4")
    if hasattr(value, "to_numpy"):  # pgvector's own Vector, as its psycopg loader returns it
        value = value.to_numpy()
    return np.asarray(value, dtype="<f4").reshape(-1)


def _uuid_text(value: Any) -> Any:
    if value is None or isinstance(value, uuid.UUID | str):
        return value  # a UUID's text (hex, with or without dashes): the server reads and checks it
    if isinstance(value, bytes) and len(value) == 16:
        return uuid.UUID(bytes=value)
    return str(uuid.UUID(str(value)))


def _array(value: Any) -> Any:
    if isinstance(value, str):  # a JSON list kept as text
        return json.loads(value)
    return value


def to_copy(target: ColumnInfo) -> Convert | None:
    """How a source value becomes what COPY writes into the target column; None: psycopg's own adapter."""
    if target.kind == ColumnKind.JSON:
        return _json_text
    if target.kind == ColumnKind.VECTOR:
        return _vector_text
    if target.kind == ColumnKind.UUID:
        return _uuid_text
    if target.kind == ColumnKind.ARRAY:
        return _array
    return None


def canonical(value: Any, kind: ColumnKind) -> Any:
    """One value as plain JSON, spelt the same whichever backend and type it was read with."""
    if value is None:
        return None
    if kind == ColumnKind.VECTOR or isinstance(value, np.ndarray) or hasattr(value, "to_numpy"):
        return _floats(value).astype("<f4").tobytes().hex()
    if kind in (ColumnKind.JSON, ColumnKind.ARRAY) and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, uuid.UUID):
        return value.hex
    if kind == ColumnKind.UUID and isinstance(value, str):
        return uuid.UUID(value).hex
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value).isoformat()
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list | tuple | str):
        return value
    return str(value)


#: JSON in one spelling whatever its key order and spacing (orjson: a few times faster than json, which the
#: checksum pays for every JSON value of both sides); json is the fallback for what orjson refuses.
_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _json_form(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str | bytes):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            try:
                value = json.loads(value)
            except ValueError:
                return value  # not JSON: compared as the text it is
    try:
        return orjson.dumps(value, option=_SORTED)
    except TypeError:  # integers past 64 bits, NaN
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _uuid_form(value: Any) -> Any:
    # The 128-bit number: psycopg's UUID has it, SQLite's 32 hex digits parse to it in C.
    if type(value) is uuid.UUID:
        return value.int
    if value is None:
        return None
    try:
        if type(value) is str and len(value) == 32:
            return int(value, 16)
        if isinstance(value, bytes) and len(value) == 16:
            return uuid.UUID(bytes=value).int
        return uuid.UUID(str(value)).int
    except ValueError:
        return value


def _datetime_form(value: Any) -> Any:
    # Aware datetimes hash by their instant; a naive one (SQLite's text, a timestamp column) is UTC.
    if type(value) is str:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _date_form(value: Any) -> Any:
    if type(value) is str:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _time_form(value: Any) -> Any:
    if type(value) is str:
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            return value
    return value


def _decimal_form(scale: int | None) -> Convert:
    """Decimals compare by value (15.00 == 15); SQLite's REAL is rounded to the column's scale half away from
    zero, as PostgreSQL's numeric does when it reads it."""
    step = decimal.Decimal(1).scaleb(-scale) if scale is not None else None

    def form(value: Any) -> Any:
        if type(value) is decimal.Decimal:
            return value if value.is_finite() else str(value)
        if type(value) is float:
            if value != value or value in (math.inf, -math.inf):
                return str(decimal.Decimal(value))
            value = decimal.Decimal(repr(value))
        elif type(value) is str:
            try:
                value = decimal.Decimal(value)
            except decimal.InvalidOperation:
                return value
        if step is not None and isinstance(value, decimal.Decimal) and value.is_finite():
            return value.quantize(step, rounding=decimal.ROUND_HALF_UP)
        return value

    return form


def _float_form(value: Any) -> Any:
    return value if value == value else "NaN"  # NaN's hash is its identity; its name compares


def _text_form(value: Any) -> Any:
    if type(value) is str or value is None:
        return value
    return value_text(value)  # SQLite keeps numbers and bytes in a text column: the text COPY sends


def _bytes_form(value: Any) -> Any:
    return value if type(value) is bytes or value is None else bytes(value)


def _vector_form(value: Any) -> Any:
    if type(value) is bytes or value is None:
        return value  # sqlite-vec's float32 little-endian BLOB is already the form
    return _floats(value).astype("<f4", copy=False).tobytes()


def _other_form(value: Any) -> Any:
    return canonical(value, ColumnKind.OTHER)


def value_form(kind: ColumnKind, scale: int | None = None) -> Convert | None:
    """How a value of this kind is spelt for the checksum, as read raw from either backend (None stays None);
    None: as it is (integers, booleans, which hash as 0 and 1 as SQLite stores them)."""
    forms: dict[ColumnKind, Convert] = {
        ColumnKind.UUID: _uuid_form,
        ColumnKind.JSON: _json_form,
        ColumnKind.ARRAY: _json_form,
        ColumnKind.DATETIME: _datetime_form,
        ColumnKind.DATE: _date_form,
        ColumnKind.TIME: _time_form,
        ColumnKind.FLOAT: _float_form,
        ColumnKind.STRING: _text_form,
        ColumnKind.TEXT: _text_form,
        ColumnKind.ENUM: _text_form,
        ColumnKind.VECTOR: _vector_form,
        ColumnKind.BINARY: _bytes_form,
        ColumnKind.OTHER: _other_form,
    }
    if kind == ColumnKind.DECIMAL:
        return _decimal_form(scale)
    return forms.get(kind)


_NONE = type(None)
#: Per kind, the types whose values already hash as their form does: a batch of a column holding only these
#: skips the form (a check of the value types, in C). PostgreSQL's UUID hashes as its 128-bit number, its
#: aware datetime as its instant; text read as text is text.
_AS_IS: dict[ColumnKind, frozenset[type]] = {
    ColumnKind.STRING: frozenset({str, _NONE}),
    ColumnKind.TEXT: frozenset({str, _NONE}),
    ColumnKind.ENUM: frozenset({str, _NONE}),
    ColumnKind.UUID: frozenset({uuid.UUID, _NONE}),
    ColumnKind.BINARY: frozenset({bytes, _NONE}),
    ColumnKind.VECTOR: frozenset({bytes, _NONE}),
    ColumnKind.DATETIME: frozenset({dt.datetime, _NONE}),
    ColumnKind.DATE: frozenset({dt.date, _NONE}),
    ColumnKind.TIME: frozenset({dt.time, _NONE}),
}


def _aware(column: Sequence[Any]) -> bool:
    """Whether a column of datetimes is aware (one column type on PostgreSQL: its first value tells)."""
    first = next((v for v in column if v is not None), None)
    return not isinstance(first, dt.datetime) or first.tzinfo is not None


class Checksum:
    """An order-free checksum of a table's rows: the sum (mod 2**64) of each row's hash over the canonical
    form of its values, so it streams in any order and a duplicated row changes it.

    The row hash is Python's own (SipHash for text and bytes), keyed per process: the source and the target
    are summed in the same process, and the digests of two runs are not comparable. It costs a tenth of a
    sha256 over the row's text, which decided the copy's speed.
    """

    def __init__(self, kinds: Sequence[ColumnKind], scales: Sequence[int | None] | None = None) -> None:
        self.kinds = tuple(kinds)
        scales = scales or [None] * len(self.kinds)
        forms = [value_form(k, s) for k, s in zip(self.kinds, scales, strict=True)]
        self._forms = [
            (i, f, _AS_IS.get(k, frozenset()))
            for i, (f, k) in enumerate(zip(forms, self.kinds, strict=True))
            if f
        ]
        self.total = 0
        self.rows = 0

    def add(self, row: Sequence[Any]) -> None:
        """Count one row (values in the order of `kinds`)."""
        self.add_rows((row,))

    def add_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Count a batch of rows as read raw from the driver (values in the order of `kinds`)."""
        if not rows:
            return
        hashed: Any = rows
        if self._forms:  # column by column: the loops run in C (map, zip), only the forms in Python
            columns = list(zip(*rows, strict=True))
            for i, form, as_is in self._forms:
                if not set(map(type, columns[i])) <= as_is or not _aware(columns[i]):
                    columns[i] = tuple(map(form, columns[i]))
            hashed = zip(*columns, strict=True)
        self.total = (self.total + sum(map(hash, map(tuple, hashed)))) & _MASK
        self.rows += len(rows)

    @property
    def hexdigest(self) -> str:
        """The checksum as 16 hex digits."""
        return f"{self.total:016x}"


#: COPY's text format: a NULL, and what a backslash, tab, newline and carriage return inside a value become.
COPY_NULL = "\\N"
_COPY_SPECIAL = ("\\", "\t", "\n", "\r")


def _copy_escaped(texts: list[str]) -> list[str]:
    """Text escaped for COPY, over the whole column at once (C's replace on one joined string); a value
    holding a NUL (which PostgreSQL's text refuses anyway) is escaped one by one."""
    joined = "\x00".join(texts)
    if not any(ch in joined for ch in _COPY_SPECIAL):
        return texts
    if joined.count("\x00") != len(texts) - 1:
        return [_copy_escape(t) for t in texts]
    return _copy_escape(joined).split("\x00")


def _all_finite(numbers: Sequence[Any]) -> bool:
    """Whether no number is NaN or infinite, by their sum (one NaN or infinity makes it so; an overflow only
    answers no)."""
    try:
        return math.isfinite(sum(numbers))
    except OverflowError:  # an int too large for a double
        return False


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def float_text(value: float) -> str:
    """A double as PostgreSQL reads and prints it: its shortest repr, or NaN / Infinity / -Infinity."""
    if math.isfinite(value):
        return repr(value)
    return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")


def value_text(value: Any) -> str:
    """One raw SQLite value as the text COPY sends (before escaping), which a text column stores as it is:
    text as is, bytes as bytea's hex input, doubles as `float_text`, other numbers in digits."""
    if isinstance(value, str):
        return value
    if type(value) is float:
        return float_text(value)
    if isinstance(value, bytes):
        return "\\x" + value.hex()  # bytea's hex input (its backslash escaped with the rest)
    return str(value)


def with_nulls(column: Sequence[Any], spell: Callable[[Sequence[Any]], list[str]], null: str) -> list[str]:
    """A column spelt by `spell` (which never sees a None), each None as `null`."""
    if None not in column:
        return spell(column)
    spelt = iter(spell([v for v in column if v is not None]))
    return [null if v is None else next(spelt) for v in column]


_PLAIN = frozenset({str, int, float, bytes})
#: Conversions that leave text as it is: a column holding only text (and NULLs) skips them.
_TEXT_KEPT = frozenset({str, _NONE})


def copy_column(convert: Convert | None, column: Sequence[Any]) -> Sequence[Any]:
    """A batch's column converted for its target (`to_copy`), the whole column at once where it can be."""
    if convert is None:
        return column
    if convert in (_json_text, _uuid_text) and set(map(type, column)) <= _TEXT_KEPT:
        return column  # both keep text as it is: no call per value
    return list(map(convert, column))


def copy_texts(column: Sequence[Any]) -> list[str] | None:
    """A batch's column of raw SQLite values (str, int, float, bytes, None) as COPY's text format; None
    when it holds another type (psycopg's adapters write those)."""
    kinds = set(map(type, column))
    kinds.discard(_NONE)
    if not kinds <= _PLAIN:
        return None
    return with_nulls(column, lambda values: _copy_spelt(values, kinds), COPY_NULL)


def _copy_spelt(values: Sequence[Any], kinds: set[type]) -> list[str]:
    if kinds <= {str}:
        texts = list(values)
    elif kinds <= {int}:
        texts = list(map(str, values))
    elif kinds <= {int, float} and _all_finite(values):
        texts = list(map(repr, values))  # a finite float's repr is float_text's, an int's is its digits
    else:
        texts = list(map(value_text, values))
    if str in kinds or bytes in kinds:
        texts = _copy_escaped(texts)
    return texts
