"""Plain change records: what the editor stages and repository.save writes in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Insert:
    """A new row; missing columns take their defaults.

    `checked` names columns whose values validation.check_value read and passed (the editor reads each
    cell as it is typed): validation keeps them as they are instead of reading them a second time. For an
    Update, their `original` values are the row as loaded from the database, used as they are too.
    """

    entity: str
    values: dict[str, Any]
    checked: frozenset[str] = frozenset()


@dataclass
class Update:
    """New values for some columns of one row.

    `original` holds the values as loaded (at least the edited columns), used for the conflict check
    when the entity has no version counter; `version` is the loaded version counter, if any; `checked` as
    for Insert.
    """

    entity: str
    key: dict[str, Any]
    values: dict[str, Any]
    original: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    checked: frozenset[str] = frozenset()


@dataclass
class Delete:
    """Remove one row, if it is still as loaded."""

    entity: str
    key: dict[str, Any]
    original: dict[str, Any] = field(default_factory=dict)
    version: int | None = None


Change = Insert | Update | Delete
