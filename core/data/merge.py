"""Three-way comparison of a conflicting row: what they changed, what I changed, and whether the two overlap.

A save that finds a row changed since it was loaded (core.errors.Conflict) knows the row three ways: as I
loaded it (`original`), as it is now (`stored`) and my new values (`attempted`). Their changes are where
`stored` differs from `original`; mine are where `attempted` does. When no field changed on both sides to
different values, my edit can be re-based on their row without asking anyone. Pure: no database, no screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import Conflict
from core.schema.catalog import ColumnInfo

__all__ = ["RowMerge", "compare", "merge_note", "same_value"]


@dataclass(frozen=True)
class RowMerge:
    """One conflicting row compared three ways (field names in the entity's column order)."""

    conflict: Conflict
    theirs: tuple[str, ...]  # fields they changed: `stored` differs from `original`
    mine: tuple[str, ...]  # fields I changed: `attempted` differs from `original` (or `original` is unknown)
    both: tuple[str, ...]  # fields in both whose new values differ: only these need a person's choice
    fields: tuple[str, ...]  # every field that changed on either side

    @property
    def clean(self) -> bool:
        """My change of a row that still exists, touching no field they changed to another value."""
        return self.conflict.stored is not None and bool(self.mine) and not self.both


def same_value(a: Any, b: Any) -> bool:
    """Whether two values read from the database are the same value (None only equals None)."""
    if a is None or b is None:
        return a is b
    try:
        equal = a == b
    except (TypeError, ValueError):
        return False
    if isinstance(equal, bool):
        return equal
    try:  # element-wise comparison (arrays): the same only when every element is
        return bool(equal.all()) and len(a) == len(b)
    except (AttributeError, TypeError, ValueError):
        return False


def compare(conflict: Conflict, columns: Sequence[ColumnInfo] = ()) -> RowMerge:
    """The three-way comparison of one conflict; fields in the order of `columns` (the entity's).

    The version counter is bookkeeping, not a change of theirs; vector columns are not edited in a grid and
    are left out. A field I changed whose loaded value is unknown counts as changed on both sides unless
    their value is mine.
    """
    skip = {c.name for c in columns if c.kind == "vector" or c.is_version}
    stored, original, attempted = conflict.stored or {}, conflict.original, conflict.attempted
    order = [c.name for c in columns]
    names = _ordered(order, [*original, *stored, *attempted])
    theirs = tuple(
        n
        for n in names
        if n not in skip and n in original and n in stored and not same_value(stored[n], original[n])
    )
    mine = tuple(
        n for n in names if n in attempted and n not in skip and not _same_as(original, n, attempted[n])
    )
    both = tuple(
        n
        for n in mine
        if conflict.stored is not None
        and (n in theirs or n not in original)
        and not same_value(stored.get(n), attempted[n])
    )
    changed = set(theirs) | set(mine)
    return RowMerge(conflict, theirs, mine, both, tuple(n for n in names if n in changed))


def merge_note(merge: RowMerge, name: str) -> str:
    """The note for a row merged without asking, e.g. 'Someone else changed display_name of “Dmitri”
    meanwhile; your change to email did not overlap and was merged.' (`name` is the row's label, quoted)."""
    mine = _listed(merge.mine)
    yours = f"your change{'s' if len(merge.mine) != 1 else ''} to {mine}"
    verb = "were" if len(merge.mine) != 1 else "was"
    if not merge.theirs:
        return f"Someone else saved {name} meanwhile; {yours} {verb} merged."
    return (
        f"Someone else changed {_listed(merge.theirs)} of {name} meanwhile; {yours} did not overlap and "
        f"{verb} merged."
    )


def _same_as(original: dict[str, Any], name: str, value: Any) -> bool:
    return name in original and same_value(original[name], value)


def _ordered(order: list[str], names: Iterable[str]) -> list[str]:
    """Names in the entity's column order, then any others in the order first seen."""
    seen = dict.fromkeys(names)
    return [n for n in order if n in seen] + [n for n in seen if n not in order]


def _listed(names: tuple[str, ...]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
