"""CSV text for a batch of rows given as columns, exactly as csv.writer (the excel dialect) writes them.

csv.writer looks at every character of every field in its C loop, deciding about quotes. An export
knows more: a column batch of keys, times, numbers or status words holds no comma, quote or line break
at all. So each column is checked once per batch (one join and four substring searches, at C speed) and
only a column holding one of them is quoted value by value. Lines are then joined with str.join.
tests/core/test_csv_lines.py holds the result to csv.writer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["csv_lines"]

_LINE_END = "\r\n"
_QUOTE, _QUOTES = '"', '""'  # a quote inside a quoted field is doubled


def csv_lines(columns: Sequence[Sequence[Any]]) -> str:
    """The CSV lines (each ending in CRLF) of the rows whose columns are given, as csv.writer writes them.

    Values are written as csv.writer writes them: None as an empty field, str as it is, anything else
    as str() gives it (floats as repr, True as "True").
    """
    if not columns or not columns[0]:
        return ""
    cells = [_cells(column) for column in columns]
    if len(cells) == 1:
        # csv.writer quotes a lone empty field, or the line would be blank (and read as no row).
        return _LINE_END.join([v if v else '""' for v in cells[0]]) + _LINE_END
    return _LINE_END.join(map(",".join, zip(*cells, strict=True))) + _LINE_END


def _cells(column: Sequence[Any]) -> Sequence[str]:
    """The column's values as CSV fields: None as "", the rest as text, quoted where csv.writer quotes."""
    try:
        joined = "".join(column)  # at C speed, and a TypeError says some value is None or not text
        texts: Sequence[str] = column
    except TypeError:
        texts = ["" if v is None else v if type(v) is str else str(v) for v in column]
        joined = "".join(texts)
    # Four substring searches (memchr speed) cost less than one regular expression over the batch.
    if not ('"' in joined or "," in joined or "\n" in joined or "\r" in joined):
        return texts  # nothing to quote anywhere: the common case for keys, times, numbers, names
    return [
        f'"{v.replace(_QUOTE, _QUOTES)}"' if ('"' in v or "," in v or "\n" in v or "\r" in v) else v
        for v in texts
    ]
