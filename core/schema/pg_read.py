"""Reading PostgreSQL's tables in bulk: each kind of fact (columns, keys, foreign keys, unique constraints,
indexes, CHECKs) with one query per schema, through SQLAlchemy's `Inspector.get_multi_*`.

`MetaData.reflect()` reads the same facts and then builds a Table per relation, which is most of its time at
2,500 tables; here the facts become plain TableSpecs (core/schema/table_spec.py) and a Table is built only
for an entity that is used.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.exc import SAWarning

from core.engine.db import Database
from core.schema.table_spec import ColumnSpec, TableSpec


@dataclass(frozen=True)
class PgForeignKey:
    """One foreign key: its columns, the referred table (schema None: found on the search path)."""

    columns: tuple[str, ...]
    referred_schema: str | None
    referred_table: str
    referred_columns: tuple[str, ...]
    ondelete: str | None


@dataclass
class PgTables:
    """What the bulk read found, by (schema as the Table names it, relation name)."""

    specs: dict[tuple[str | None, str], TableSpec] = field(default_factory=dict)
    foreign_keys: dict[tuple[str | None, str], list[PgForeignKey]] = field(default_factory=dict)
    unique_sets: dict[tuple[str | None, str], list[tuple[str, ...]]] = field(default_factory=dict)
    checks: dict[tuple[str | None, str], list[str]] = field(default_factory=dict)


def read_tables(db: Database, places: Iterable[tuple[str | None, str]]) -> PgTables:
    """Describe the relations at (schema, name) places; schema None is the default schema (as the reference
    models name their tables). A handful of queries per schema, whatever the number of tables."""
    by_schema: dict[str | None, list[str]] = {}
    for schema, name in places:
        by_schema.setdefault(schema, []).append(name)
    out = PgTables()
    types: dict[Any, sa.types.TypeEngine[Any]] = {}
    with warnings.catch_warnings():
        # Unknown column types (e.g. from extensions) reflect as NullType; that is expected here.
        warnings.simplefilter("ignore", SAWarning)
        for schema, names in by_schema.items():
            kw: dict[str, Any] = {"schema": schema, "filter_names": names, "kind": ObjectKind.ANY}
            columns, keys, fks, uniques, indexes, checks = _facts(db, kw)
            for place, cols in columns.items():
                declared = keys.get(place)
                pk = tuple(declared["constrained_columns"] or ()) if declared else ()
                out.specs[place] = TableSpec(
                    name=place[1],
                    columns=tuple(_column(c, types) for c in cols),
                    primary_key=pk,
                    schema=place[0],
                )
            for place, links in fks.items():
                out.foreign_keys[place] = [_foreign_key(fk) for fk in links]
            for place, constraints in uniques.items():
                out.unique_sets.setdefault(place, []).extend(tuple(u["column_names"]) for u in constraints)
            for place, found in indexes.items():
                out.unique_sets.setdefault(place, []).extend(
                    tuple(str(c) for c in ix["column_names"])
                    for ix in found
                    if ix.get("unique")
                    and not ix.get("expressions")
                    and None not in ix["column_names"]
                    and not (ix.get("dialect_options") or {}).get("postgresql_where")
                )
            for place, texts in checks.items():
                out.checks[place] = [str(c.get("sqltext", "")) for c in texts]
    return out


#: The Inspector calls that read one schema's facts, in the order _facts returns them.
FACTS = (
    "get_multi_columns",
    "get_multi_pk_constraint",
    "get_multi_foreign_keys",
    "get_multi_unique_constraints",
    "get_multi_indexes",
    "get_multi_check_constraints",
)


def _facts(db: Database, kw: dict[str, Any]) -> list[dict[Any, Any]]:
    """Every FACTS call for one schema, run side by side on connections of their own.

    Each is one catalog query whose time is mostly the server's (the columns' alone about a second at
    2,500 tables); one after the other, the server worked on one at a time while Warden waited. An
    Inspector is not shared between threads: each call gets its own.
    """

    def read(name: str) -> dict[Any, Any]:
        found: dict[Any, Any] = getattr(sa.inspect(db.engine), name)(**kw)
        return found

    with ThreadPoolExecutor(max_workers=len(FACTS), thread_name_prefix="warden-catalog") as pool:
        return list(pool.map(read, FACTS))


def _column(c: Any, types: dict[Any, sa.types.TypeEngine[Any]]) -> ColumnSpec:
    computed = c.get("computed")
    identity = c.get("identity")
    default = c.get("default")
    return ColumnSpec(
        name=c["name"],
        type=_shared(c["type"], types),
        nullable=bool(c.get("nullable", True)),
        default=None if default is None else str(default),
        generated=str(computed["sqltext"]) if computed else None,
        persisted=bool(computed.get("persisted")) if computed else False,
        identity=("always" if identity.get("always") else "by default") if identity else None,
    )


def _shared(
    t: sa.types.TypeEngine[Any], types: dict[Any, sa.types.TypeEngine[Any]]
) -> sa.types.TypeEngine[Any]:
    """One type object for every column declared alike (what is worked out from a type is then worked out
    once: core/schema/catalog.py). Types holding other objects (arrays, domains, enums) are not shared."""
    attrs = vars(t)
    if not all(isinstance(v, str | int | float | bool | type(None)) for v in attrs.values()):
        return t
    return types.setdefault((type(t), tuple(sorted(attrs.items()))), t)


def _foreign_key(fk: Any) -> PgForeignKey:
    return PgForeignKey(
        columns=tuple(fk["constrained_columns"]),
        referred_schema=fk.get("referred_schema"),
        referred_table=fk["referred_table"],
        referred_columns=tuple(fk["referred_columns"]),
        ondelete=(fk.get("options") or {}).get("ondelete"),
    )
