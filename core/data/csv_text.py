"""CSV cells of a column batch from its stored values as text, by operations over the whole batch at once.

An export of a whole SQLite table reads a batch as one string (core/data/export_sqlite.py) and splits it
into the values of each column as text, NULL as "". This module makes a column's cells from them with str
and numpy operations over the whole batch joined into one string: quote doubling, keys rebuilt as
8-4-4-4-12 UUID text, UTC times as ISO 8601 with +00:00. The cells are exactly what export_columns'
converters and csv_lines write for the same values (tests/core/test_export_text.py holds them to it); a
batch holding anything else gives None, and the caller reads that batch value by value.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

__all__ = ["KINDS", "SEP", "column_cells"]

SEP = "\x00"  # joins a column's values; a value holding it makes the batch go value by value
KINDS = ("plain", "uuid", "utc", "json")

#: Rewrites `n` non-empty values joined by SEP into their cells, or None when one is not of its form.
_Rewrite = Callable[[str, int], "list[str] | None"]

_HEX = np.zeros(256, dtype=bool)
_HEX[list(b"0123456789abcdef")] = True
# Where each of a stored key's 32 hex digits goes in its 36-character UUID text, and where the dashes go.
_UUID_AT = np.array([i + (i >= 8) + (i >= 12) + (i >= 16) + (i >= 20) for i in range(32)])
_DASHES = [8, 13, 18, 23]
# SQLAlchemy's SQLite DATETIME storage format, "2026-01-01 10:00:00.000000": its marks and digits.
_STAMP_MARKS = [4, 7, 10, 13, 16, 19]
_STAMP_MARK_BYTES = np.frombuffer(b"-- ::.", dtype=np.uint8)
_STAMP_DIGITS = [i for i in range(26) if i not in _STAMP_MARKS]
_UTC = np.frombuffer(b"+00:00", dtype=np.uint8)
#: The bytes that make csv.writer quote a field (ASCII: never part of a longer UTF-8 sequence).
_SPECIAL = np.zeros(256, dtype=bool)
_SPECIAL[list(b'",\n\r')] = True
#: A CSV cell after the first that is neither empty nor an object or array (quoted or not).
_NOT_OBJECT = re.compile(r'\x00(?:[^{\["\x00]|"[^{\[])')


def column_cells(kind: str, values: list[str]) -> list[str] | None:
    """The CSV cells of a column batch of stored values as text (NULL as ""); None if one is unusual.

    `kind` is ColumnExport.text_kind: "plain" text written as stored, "uuid" keys stored as 32 hex digits,
    "utc" times stored as SQLAlchemy's DATETIME text, "json" object or array text, which comes already
    quoted as csv.writer quotes it (SQLite did that while the batch was read, see export_sqlite). Unusual
    is a value holding SEP, or one this kind does not write as a cheap rewrite of its text (an uppercase
    key, JSON with non-ASCII or \\u escapes, a scalar); the value-by-value path writes those.
    """
    text = SEP.join(values)  # whole-batch checks and rewrites run over one string, at C speed
    n = len(values)
    if text.count(SEP) != n - 1:
        return None
    if kind == "plain":
        return _quoted(values, text, n)
    if kind == "json":
        return values if _plain_json(text) else None
    if kind == "uuid":
        return _with_empties(values, text, _uuids)
    if kind == "utc":
        return _with_empties(values, text, _stamps)
    raise ValueError(f"unknown text kind {kind!r}")


def _quoted(values: list[str], text: str, n: int) -> list[str]:
    """The values as csv.writer writes them: a value holding a quote, comma or line break quoted."""
    if not ('"' in text or "," in text or "\n" in text or "\r" in text):
        return values
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    needs = np.zeros(n, dtype=bool)
    # The value holding each special byte is the number of separators before it.
    needs[np.searchsorted(np.flatnonzero(data == 0), np.flatnonzero(_SPECIAL[data]))] = True
    body = text.replace('"', '""') if '"' in text else text  # a value without quotes is unchanged by it
    if needs.all():  # JSON objects, say: every value quoted, at C speed
        return ('"' + body.replace(SEP, f'"{SEP}"') + '"').split(SEP)
    return [f'"{v}"' if q else v for v, q in zip(body.split(SEP), needs.tolist(), strict=True)]


def _plain_json(text: str) -> bool:
    """Whether every CSV cell is empty or ASCII object or array text without \\u escapes (as stored)."""
    return (
        (text[:1] in ("{", "[", SEP, "") or text[:2] in ('"{', '"['))
        and text.isascii()
        and "\\u" not in text
        and _NOT_OBJECT.search(text) is None
    )


def _with_empties(values: list[str], text: str, rewrite: _Rewrite) -> list[str] | None:
    """`rewrite` of the non-empty values, the empty ones (NULLs) left empty."""
    cells = rewrite(text, len(values))
    if cells is not None:
        return cells
    present = [v for v in values if v]
    if len(present) == len(values):
        return None
    if not present:
        return values
    rewritten = rewrite(SEP.join(present), len(present))
    if rewritten is None:
        return None
    it = iter(rewritten)
    return [next(it) if v else v for v in values]


def _matrix(text: str, n: int, width: int) -> np.ndarray | None:
    """The values as a byte matrix, a row of `width` bytes and SEP each, if all are ASCII of that width."""
    if len(text) != (width + 1) * n - 1 or not text.isascii():
        return None
    matrix = np.frombuffer((text + SEP).encode("ascii"), dtype=np.uint8).reshape(n, width + 1)
    return None if matrix[:, width].any() else matrix


def _uuids(text: str, n: int) -> list[str] | None:
    """Keys stored as 32 lowercase hex digits as 8-4-4-4-12 UUID text, as str(uuid.UUID(...)) writes them."""
    matrix = _matrix(text, n, 32)
    if matrix is None or not _HEX[matrix[:, :32]].all():
        return None
    out = np.zeros((n, 37), dtype=np.uint8)  # the last column stays SEP
    out[:, _UUID_AT] = matrix[:, :32]
    out[:, _DASHES] = ord("-")
    return out.tobytes().decode("ascii").split(SEP)[:-1]


def _stamps(text: str, n: int) -> list[str] | None:
    """UTC times stored as "2026-01-01 10:00:00.000000" as datetime.isoformat() writes them, with +00:00."""
    matrix = _matrix(text, n, 26)
    if matrix is None:
        return None
    digits = matrix[:, _STAMP_DIGITS]
    marks_ok = (matrix[:, _STAMP_MARKS] == _STAMP_MARK_BYTES).all()
    if not (marks_ok and ((digits >= ord("0")) & (digits <= ord("9"))).all()):
        return None
    out = np.zeros((n, 33), dtype=np.uint8)  # the last column stays SEP
    out[:, :26] = matrix[:, :26]
    out[:, 10] = ord("T")
    out[:, 26:32] = _UTC
    cells = out.tobytes().decode("ascii").split(SEP)[:-1]
    for i in np.flatnonzero((matrix[:, 20:26] == ord("0")).all(axis=1)).tolist():
        cells[i] = cells[i][:19] + "+00:00"  # isoformat() leaves out a zero fraction of a second
    return cells
