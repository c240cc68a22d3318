"""A column of SQLite numbers goes to COPY as each number's shortest text, all at once when every number is
finite; NaN and the infinities keep PostgreSQL's words (a column holding one, or whose sum overflows, is
spelt a value at a time, as before)."""

from __future__ import annotations

from core.migrate.copy_values import copy_texts, float_text


def test_finite_numbers_are_spelt_as_their_shortest_text() -> None:
    assert copy_texts([14.99, 3, None, 0.1, -2.5e-7, 10**20]) == [
        "14.99", "3", "\\N", "0.1", "-2.5e-07", "100000000000000000000"
    ]  # fmt: skip
    assert copy_texts([0.1 + 0.2]) == [float_text(0.1 + 0.2)] == ["0.30000000000000004"]


def test_nan_infinities_and_an_overflowing_sum_keep_postgresqls_words() -> None:
    assert copy_texts([1.5, float("nan"), 2]) == ["1.5", "NaN", "2"]
    assert copy_texts([float("inf"), float("-inf"), None]) == ["Infinity", "-Infinity", "\\N"]
    assert copy_texts([1e308, 1e308, 7]) == ["1e+308", "1e+308", "7"]  # their sum overflows
    assert copy_texts([1.5, 10**400]) == ["1.5", str(10**400)]  # no double holds the int
