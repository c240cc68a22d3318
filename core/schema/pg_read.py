"""Reading PostgreSQL's tables in bulk: columns, keys, unique sets, foreign keys and CHECKs of every relation
with three catalog queries, whatever the number of tables.

`MetaData.reflect()` reads the same facts and then builds a Table per relation, which is most of its time at
2,500 tables; here the facts become plain TableSpecs (core/schema/table_spec.py) and a Table is built only
for an entity that is used. SQLAlchemy's `Inspector.get_multi_*` queries were most of the rest (the columns'
alone about a second at 2,500 tables: a subquery per column); the plain ones here take a fraction of that.
A column whose type is not a plain built-in one (an enum, a domain, a composite, a type named in another
schema, a collation of its own) is read by the Inspector instead, for its table only, so such types come out
exactly as SQLAlchemy describes them.
"""

from __future__ import annotations

import operator
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.exc import SAWarning

from core.engine.db import Database
from core.schema.table_spec import ColumnSpec, TableSpec

Place = tuple[str | None, str]

#: pg_constraint.confdeltype as SQLAlchemy spells the action (NO ACTION, the default, as None).
_ON_DELETE = {"c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT", "r": "RESTRICT"}
_CHECK_RE = re.compile(r"^CHECK *\((.+)\)( NO INHERIT)?( NOT VALID)?$", re.S)
_NEXTVAL_RE = re.compile(r"(nextval\(')([^']+)('.*$)")
_ARGS_RE = re.compile(r"\((.*)\)")
_ARGS_DELIM_RE = re.compile(r"\s*,\s*")
_ARRAY_RE = re.compile(r"((?:\[\])*)$")

# The relations asked for, numbered from 1 in the order asked (schema NULL: the default schema).
_PLACES_SQL = """
WITH w AS (
  SELECT w.i, c.oid AS rel
  FROM unnest(CAST(%(schemas)s AS text[]), CAST(%(names)s AS text[])) WITH ORDINALITY AS w(s, n, i)
  JOIN pg_catalog.pg_namespace ns ON ns.nspname = coalesce(w.s, current_schema())
  JOIN pg_catalog.pg_class c ON c.relnamespace = ns.oid AND c.relname = w.n
)
"""

# Every column (a relation without any: one row of NULLs), and whether its type is a plain built-in one:
# a base type (or an array of one) with its own collation. Enums, domains, ranges and composites are not.
# A default and an array's element type are looked up only for the columns that have one (a join would look
# for every column), and the rows come in no order: sorted by the reader (a sort here spilled to disk).
# A plain default is spelt without its relation (relid 0): a DEFAULT cannot name a column, and pg_get_expr
# opens the relation it is given (its relcache entry built on this connection, for every table: half the
# query's server time at 2,500 tables); a generated column's expression names columns, so it keeps it.
_COLUMNS_SQL = (
    _PLACES_SQL
    + """
SELECT w.i, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       CASE WHEN a.atthasdef THEN (
         SELECT pg_catalog.pg_get_expr(d.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE d.adrelid END)
         FROM pg_catalog.pg_attrdef d
         WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) END,
       CASE a.attgenerated WHEN 's' THEN 's' WHEN 'v' THEN 'v' END,
       CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
       coalesce(CASE WHEN t.typcategory = 'A' THEN (
                  SELECT e.typtype FROM pg_catalog.pg_type e WHERE e.oid = t.typelem) END, t.typtype) = 'b'
         AND (a.attcollation = 0 OR a.attcollation = t.typcollation),
       a.attnum
FROM w
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = w.rel AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
"""
)

# The primary key and every whole unique index (no expression, no predicate) with its key columns in order;
# a unique constraint is one of these.
_INDEXES_SQL = (
    _PLACES_SQL
    + """
SELECT w.i, x.indisprimary,
       ARRAY(SELECT (SELECT a.attname FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = x.indrelid AND a.attnum = k.num)
             FROM unnest(x.indkey) WITH ORDINALITY AS k(num, o) WHERE k.o <= x.indnkeyatts ORDER BY k.o)
FROM w JOIN pg_catalog.pg_index x ON x.indrelid = w.rel
WHERE x.indisprimary
   OR (x.indisunique AND x.indisvalid AND x.indexprs IS NULL AND x.indpred IS NULL)
ORDER BY w.i, x.indexrelid
"""
)

# Foreign keys (not the copies a partitioned target adds per partition) and CHECK constraints.
_CONSTRAINTS_SQL = (
    _PLACES_SQL
    + """
SELECT w.i, con.contype::text,
       ARRAY(SELECT (SELECT a.attname FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = con.conrelid AND a.attnum = k.num)
             FROM unnest(con.conkey) WITH ORDINALITY AS k(num, o) ORDER BY k.o),
       rn.nspname, r.relname,
       ARRAY(SELECT (SELECT a.attname FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = con.confrelid AND a.attnum = k.num)
             FROM unnest(con.confkey) WITH ORDINALITY AS k(num, o) ORDER BY k.o),
       con.confdeltype::text,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_constraintdef(con.oid) END
FROM w JOIN pg_catalog.pg_constraint con ON con.conrelid = w.rel AND con.contype IN ('f', 'c')
LEFT JOIN pg_catalog.pg_class r ON r.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
WHERE con.contype = 'c' OR con.conparentid = 0
ORDER BY w.i, con.conname
"""
)


@dataclass(frozen=True)
class PgForeignKey:
    """One foreign key: its columns, the referred table (schema None: found on the search path; the catalog
    query always names it)."""

    columns: tuple[str, ...]
    referred_schema: str | None
    referred_table: str
    referred_columns: tuple[str, ...]
    ondelete: str | None


@dataclass
class PgTables:
    """What the bulk read found, by (schema as the Table names it, relation name)."""

    specs: dict[Place, TableSpec] = field(default_factory=dict)
    foreign_keys: dict[Place, list[PgForeignKey]] = field(default_factory=dict)
    unique_sets: dict[Place, list[tuple[str, ...]]] = field(default_factory=dict)
    checks: dict[Place, list[str]] = field(default_factory=dict)


def read_tables(
    db: Database,
    places: Iterable[Place],
    *,
    on_columns: Callable[[dict[Place, TableSpec]], None] | None = None,
) -> PgTables:
    """Describe the relations at (schema, name) places; schema None is the default schema (as the reference
    models name their tables). Three catalog queries, run side by side on connections of their own.

    `on_columns` is called with the specs as soon as the columns are read, before the keys and constraints
    are (their primary keys are not set yet): the caller's sampling of the rows starts meanwhile.
    """
    wanted = list(dict.fromkeys(places))
    out = PgTables()
    if not wanted:
        return out
    if (db.engine.dialect.server_version_info or (0,)) < (12,):  # no attgenerated: the Inspector knows
        out = _read_with_inspector(db, wanted)
        if on_columns is not None:
            on_columns(out.specs)
        return out
    params = {"schemas": [s for s, _ in wanted], "names": [n for _, n in wanted]}

    def run(sql: str) -> Sequence[Any]:
        with db.engine.connect() as conn:
            return conn.exec_driver_sql(sql, params).all()

    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="warden-catalog") as pool:
        pending = [pool.submit(run, sql) for sql in (_COLUMNS_SQL, _INDEXES_SQL, _CONSTRAINTS_SQL)]
        inspected = _columns(db, wanted, pending[0].result(), out)
        if inspected:
            _inspect_columns(db, inspected, out)
        if on_columns is not None:
            on_columns(dict(out.specs))
        indexes, constraints = pending[1].result(), pending[2].result()
    for i, primary, names in indexes:
        if primary:
            place = wanted[i - 1]
            spec = out.specs.get(place)
            if spec is not None:
                out.specs[place] = replace(spec, primary_key=tuple(names))
        else:
            out.unique_sets.setdefault(wanted[i - 1], []).append(tuple(names))
    for i, kind, cols, ref_schema, ref_table, ref_cols, on_delete, definition in constraints:
        place = wanted[i - 1]
        if kind == "f" and ref_table is not None:
            out.foreign_keys.setdefault(place, []).append(
                PgForeignKey(tuple(cols), ref_schema, ref_table, tuple(ref_cols), _ON_DELETE.get(on_delete))
            )
        elif kind == "c":
            m = _CHECK_RE.match(definition or "")
            out.checks.setdefault(place, []).append(m.group(1) if m else "")
    return out


def _columns(db: Database, wanted: list[Place], rows: Sequence[Any], out: PgTables) -> list[Place]:
    """TableSpecs of the relations whose column types are all plain ones; the places of the others."""
    names: dict[str, Callable[..., sa.types.TypeEngine[Any]]] = db.engine.dialect.ischema_names  # type: ignore[attr-defined]
    types: dict[str, sa.types.TypeEngine[Any] | None] = {}
    by_place: dict[Place, list[ColumnSpec]] = {}
    # Columns declared alike (id, name, created_at … in table after table) share one frozen spec: described
    # once (core/schema/catalog.py, spec_column_info) and pickled once into the catalog cache file. The key is
    # the row's name, type, NOT NULL, default, generated, identity and plain type (its default qualified).
    alike: dict[tuple[Any, ...], ColumnSpec] = {}
    odd: set[Place] = set()
    last, place, cols = 0, wanted[0], []
    # By relation, then column number (a relation without columns has one row, its number NULL).
    for row in sorted(rows, key=_BY_RELATION_AND_NUMBER):
        if row[0] != last:
            last, place = row[0], wanted[row[0] - 1]
            cols = by_place.setdefault(place, [])
        # A column of the default schema declared as one seen before (most of them): its spec, found at once.
        if place[0] is None and (spec := alike.get(row[1:8])) is not None:
            cols.append(spec)
            continue
        _i, name, format_type, not_null, default, generated, identity, plain, _number = row
        if name is None or place in odd:  # a relation without columns, or one the Inspector reads
            continue
        t = _plain_type(format_type, names, types) if plain else None
        if t is None:
            odd.add(place)
            continue
        if default is not None and place[0] is not None:
            default = _qualified_sequence(default, place[0])
        key = (name, format_type, not_null, default, generated, identity, plain)
        spec = alike.get(key)
        if spec is None:
            computed = generated is not None
            spec = ColumnSpec(
                name=name,
                type=t,
                nullable=not not_null,
                default=None if computed else default,
                generated=default if computed else None,
                persisted=generated == "s",
                identity=identity,
            )
            if not isinstance(t, sa.ARRAY):  # an array's type is its own object (_plain_type)
                alike[key] = spec
        cols.append(spec)
    for place, cols in by_place.items():
        if place not in odd:
            out.specs[place] = TableSpec(name=place[1], columns=tuple(cols), schema=place[0])
    return [p for p in wanted if p in odd]


_BY_RELATION_AND_NUMBER = operator.itemgetter(0, 8)


def _qualified_sequence(default: str, schema: str) -> str:
    """A nextval default of a table outside the default schema, its sequence named with the schema, as
    SQLAlchemy's reflection names it."""
    m = _NEXTVAL_RE.search(default)
    if m is None or "." in m.group(2):
        return default
    return f'{m.group(1)}"{schema}".{m.group(2)}{m.group(3)}'


def _plain_type(
    format_type: str,
    names: dict[str, Callable[..., sa.types.TypeEngine[Any]]],
    types: dict[str, sa.types.TypeEngine[Any] | None],
) -> sa.types.TypeEngine[Any] | None:
    """The type of a built-in type's format_type text, as SQLAlchemy's reflection builds it; None when the
    name is not one the dialect knows. One object per text that holds no other type (arrays do), so what
    is worked out from a type is worked out once (core/schema/catalog.py)."""
    if format_type in types:
        return types[format_type]
    found = _parse_type(format_type, names)
    if not isinstance(found, sa.ARRAY):
        types[format_type] = found
    return found


def _parse_type(
    format_type: str, names: dict[str, Callable[..., sa.types.TypeEngine[Any]]]
) -> sa.types.TypeEngine[Any] | None:
    """format_type text -> a type, following SQLAlchemy's PostgreSQL reflection for built-in types."""
    m = _ARGS_RE.search(format_type)
    type_args = _ARGS_DELIM_RE.split(m.group(1)) if m and m.group(1) else []
    array = _ARRAY_RE.search(format_type)
    dims = len(array.group(1)) // 2 if array else 0
    attype = _ARRAY_RE.sub("", _ARGS_RE.sub("", format_type))
    schema_type = names.get(attype.lower())
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    if attype == "numeric":
        if len(type_args) == 2:
            args = tuple(int(a) for a in type_args)
    elif attype == "double precision":
        args = (53,)
    elif attype == "integer":
        args = ()
    elif attype in ("timestamp with time zone", "time with time zone"):
        kwargs["timezone"] = True
        if len(type_args) == 1:
            kwargs["precision"] = int(type_args[0])
    elif attype in ("timestamp without time zone", "time without time zone", "time"):
        kwargs["timezone"] = False
        if len(type_args) == 1:
            kwargs["precision"] = int(type_args[0])
    elif attype == "bit varying":
        kwargs["varying"] = True
        if len(type_args) == 1:
            args = (int(type_args[0]),)
    elif attype == "interval" or attype.startswith("interval "):
        schema_type = pg.INTERVAL
        fields = re.match(r"interval (.+)", attype)
        if fields:
            kwargs["fields"] = fields.group(1)
        if len(type_args) == 1:
            kwargs["precision"] = int(type_args[0])
    else:
        try:
            args = (int(type_args[0]), *type_args[1:])
        except (ValueError, IndexError):
            args = tuple(type_args)
    if schema_type is None:
        return None
    t = schema_type(*args, **kwargs)
    return sa.ARRAY(t) if dims else t


def _by_schema(places: list[Place]) -> dict[str | None, list[str]]:
    """The names of `places` per schema, as the Inspector's get_multi_* calls take them."""
    by_schema: dict[str | None, list[str]] = {}
    for schema, name in places:
        by_schema.setdefault(schema, []).append(name)
    return by_schema


def _inspect_columns(db: Database, places: list[Place], out: PgTables) -> None:
    """The columns of `places` through SQLAlchemy's Inspector (types that are not plain built-in ones)."""
    inspector = sa.inspect(db.engine)
    with warnings.catch_warnings():
        # Unknown column types (e.g. from extensions) reflect as NullType; that is expected here.
        warnings.simplefilter("ignore", SAWarning)
        for schema, names in _by_schema(places).items():
            found = inspector.get_multi_columns(schema=schema, filter_names=names, kind=ObjectKind.ANY)
            for place, cols in found.items():
                out.specs[place] = TableSpec(
                    name=place[1], columns=tuple(_column(c) for c in cols), schema=place[0]
                )


def _read_with_inspector(db: Database, wanted: list[Place]) -> PgTables:
    """Every fact through the Inspector (servers before PostgreSQL 12)."""
    out = PgTables()
    _inspect_columns(db, wanted, out)
    inspector = sa.inspect(db.engine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # as _inspect_columns: extension types are expected
        for schema, names in _by_schema(wanted).items():
            _inspect_keys(inspector, {"schema": schema, "filter_names": names, "kind": ObjectKind.ANY}, out)
    return out


def _inspect_keys(inspector: Any, kw: dict[str, Any], out: PgTables) -> None:
    """Primary keys, foreign keys, unique sets and CHECKs of one schema's tables through the Inspector."""
    for place, pk in inspector.get_multi_pk_constraint(**kw).items():
        spec = out.specs.get(place)
        if spec is not None and pk["constrained_columns"]:
            out.specs[place] = replace(spec, primary_key=tuple(pk["constrained_columns"]))
    for place, links in inspector.get_multi_foreign_keys(**kw).items():
        out.foreign_keys[place] = [_foreign_key(fk) for fk in links]
    for place, constraints in inspector.get_multi_unique_constraints(**kw).items():
        out.unique_sets.setdefault(place, []).extend(tuple(u["column_names"]) for u in constraints)
    for place, found in inspector.get_multi_indexes(**kw).items():
        out.unique_sets.setdefault(place, []).extend(
            tuple(str(c) for c in ix["column_names"])
            for ix in found
            if ix.get("unique")
            and not ix.get("expressions")
            and None not in ix["column_names"]
            and not (ix.get("dialect_options") or {}).get("postgresql_where")
        )
    for place, texts in inspector.get_multi_check_constraints(**kw).items():
        out.checks[place] = [str(c.get("sqltext", "")) for c in texts]


def _column(c: Any) -> ColumnSpec:
    computed = c.get("computed")
    identity = c.get("identity")
    default = c.get("default")
    return ColumnSpec(
        name=c["name"],
        type=c["type"],
        nullable=bool(c.get("nullable", True)),
        default=None if default is None else str(default),
        generated=str(computed["sqltext"]) if computed else None,
        persisted=bool(computed.get("persisted")) if computed else False,
        identity=("always" if identity.get("always") else "by default") if identity else None,
    )


def _foreign_key(fk: Any) -> PgForeignKey:
    return PgForeignKey(
        columns=tuple(fk["constrained_columns"]),
        referred_schema=fk.get("referred_schema"),
        referred_table=fk["referred_table"],
        referred_columns=tuple(fk["referred_columns"]),
        ondelete=(fk.get("options") or {}).get("ondelete"),
    )
