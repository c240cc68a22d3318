"""Export converters: a stored value's cell does not depend on the batch it was read in."""

from __future__ import annotations

from core.data.export_cells import utc_stamps

ODD = "2026-13-45 10:00:00.000000"  # the stored shape, an impossible date
GOOD = ["2026-01-01 10:00:00.000000", "2026-01-01 10:00:00.123456", None]


def test_a_stamp_is_written_alike_in_a_plain_batch_and_in_one_with_something_unusual() -> None:
    plain = utc_stamps([ODD, *GOOD])  # every value has the stored shape: the whole-batch path
    mixed = utc_stamps([ODD, *GOOD, "yesterday"])  # one value that is not: value by value
    assert list(mixed[:-1]) == list(plain)
    assert list(plain) == [
        "2026-13-45T10:00:00+00:00",
        "2026-01-01T10:00:00+00:00",
        "2026-01-01T10:00:00.123456+00:00",
        None,
    ]
    assert mixed[-1] == "yesterday"  # not a time: as stored
