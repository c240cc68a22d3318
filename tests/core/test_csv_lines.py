"""core.data.csv_lines writes exactly what csv.writer writes, for rows of text, numbers, booleans, NULLs."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.data.csv_lines import csv_lines

#: Characters that matter to CSV (delimiter, quote, line breaks), the join separator, and ordinary text.
TEXT = st.text(alphabet=st.sampled_from(list(',"\r\n\x00 \tabé✓')), max_size=6)
VALUES = st.one_of(st.none(), TEXT, st.integers(), st.floats(), st.booleans())


def _csv_writer(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


@settings(max_examples=400, deadline=None)
@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda n: st.lists(st.lists(VALUES, min_size=n, max_size=n), min_size=1, max_size=12)
    )
)
def test_same_as_csv_writer(rows: list[list[Any]]) -> None:
    """Any batch, given as columns, gives csv.writer's text for the same rows."""
    columns = [list(c) for c in zip(*rows, strict=True)]
    assert csv_lines(columns) == _csv_writer(rows)


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT.map(lambda t: '{"' + t + '": 1}'), min_size=1, max_size=12), st.lists(TEXT, min_size=1))
def test_columns_that_all_need_quoting(objects: list[str], other: list[str]) -> None:
    """A column whose every value needs quoting (JSON objects) is quoted as csv.writer quotes it."""
    rows = [[o, other[i % len(other)]] for i, o in enumerate(objects)]
    assert csv_lines([objects, [r[1] for r in rows]]) == _csv_writer(rows)


def test_lone_empty_fields_and_no_rows() -> None:
    """A one-column row that is empty (None or "") is written "" as csv.writer does; no rows, no text."""
    assert csv_lines([[None, "", "x"]]) == _csv_writer([[None], [""], ["x"]]) == '""\r\n""\r\nx\r\n'
    assert csv_lines([]) == "" and csv_lines([[]]) == ""
