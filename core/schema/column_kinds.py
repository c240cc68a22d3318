"""What a column's type and definition add to its kind: generated and identity columns, PostgreSQL domains,
array items, types the server checks (interval, inet, cidr) and types Warden cannot edit.

`column_traits` is worked out once per column by core/schema/catalog.py's `column_info`; every tool reads
the result from ColumnInfo (generated, identity, read_only_reason, domain, domain_check, item_kind,
server_type).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from core.schema.kinds import ColumnKind, kind_of

#: PostgreSQL types edited as text and checked by the server before a save writes anything.
SERVER_CHECKED = {
    postgresql.INTERVAL: "interval",
    postgresql.INET: "inet",
    postgresql.CIDR: "cidr",
    postgresql.MACADDR: "macaddr",
}
ALWAYS, BY_DEFAULT = "always", "by default"


def base_type(t: sa.types.TypeEngine[Any]) -> tuple[sa.types.TypeEngine[Any], postgresql.DOMAIN | None]:
    """A domain's base type and the domain itself; any other type as it is, and None."""
    if isinstance(t, postgresql.DOMAIN):
        return t.data_type, t
    return t, None


def column_traits(
    col: sa.Column[Any], t: sa.types.TypeEngine[Any], kind: ColumnKind, dialect: sa.Dialect
) -> dict[str, Any]:
    """The ColumnInfo fields a column's definition adds, as keyword arguments (only those that are set).

    `t` is the column's backend type (a domain's base type), `kind` what it makes of it.
    """
    traits: dict[str, Any] = {}
    if col.computed is not None:
        traits["generated"] = str(col.computed.sqltext)
    if col.identity is not None:
        traits["identity"] = ALWAYS if col.identity.always else BY_DEFAULT
    return traits | type_traits(col.type, t, kind, dialect)


def type_traits(
    declared: sa.types.TypeEngine[Any], t: sa.types.TypeEngine[Any], kind: ColumnKind, dialect: sa.Dialect
) -> dict[str, Any]:
    """The ColumnInfo fields a column's type alone adds (domain, array items, server-checked or uneditable
    types): the same for every column declared with that type."""
    traits: dict[str, Any] = {}
    _, domain = base_type(declared)
    if domain is not None:
        # Schema-qualified when it is not on the search path (as SQLAlchemy reflects it).
        traits["domain"] = f"{domain.schema}.{domain.name}" if domain.schema else domain.name
        if domain.check is not None:
            traits["domain_check"] = str(domain.check)
    if kind == ColumnKind.ARRAY and isinstance(t, sa.ARRAY):
        item, _ = base_type(t.item_type)
        traits["item_kind"] = kind_of(item)[0]
        if traits["item_kind"] == ColumnKind.OTHER:  # e.g. inet[]: the driver would bind its items as text[]
            traits["read_only_reason"] = (
                f"Warden cannot edit arrays of {type_label(item)}; it shows them as text"
            )
    server = next((name for cls, name in SERVER_CHECKED.items() if isinstance(t, cls)), None)
    if server is not None:
        traits["server_type"] = server
    elif kind == ColumnKind.OTHER and dialect.name == "postgresql":
        # SQLite stores anything in an untyped column, so only PostgreSQL has types Warden cannot write.
        traits["read_only_reason"] = (
            f"Warden cannot edit values of type {type_label(t)}; it shows them as text"
        )
    return traits


def type_label(t: sa.types.TypeEngine[Any]) -> str:
    """A type's name for a person: its SQL name, or 'unknown' for one SQLAlchemy could not read."""
    if isinstance(t, sa.types.NullType):
        return "unknown"
    return type(t).__name__.lower()


def never_written_reason(
    generated: str | None, identity: str | None, read_only_reason: str | None
) -> str | None:
    """Why a column's values are never written by Warden, or None when they may be."""
    if generated is not None:
        return "it is computed by the database from other columns"
    if identity == ALWAYS:
        return "the database numbers it (identity, generated always); its value arrives after save"
    return read_only_reason
