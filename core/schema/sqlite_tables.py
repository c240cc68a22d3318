"""SQLite's virtual tables: their shadow tables hidden, the tables themselves read-only, FTS indexes found.

A virtual table (FTS3/4/5, R*Tree, sqlite-vec's vec0…) keeps its data in ordinary "shadow" tables named
after it (`items_fts_data`, `boxes_node`…). Writing one of those by hand corrupts the index, so they are never
entities. SQLite 3.37+ says which tables are shadows (`PRAGMA table_list`); where it cannot (an older
library, or a module that is not loaded on this connection, or sqlite-vec's `_vector_chunks00` that it does
not declare) their names say so, by each module's known suffixes.

An external-content FTS4/FTS5 table (`content='items', content_rowid='id'`) indexes the rows of another table;
the quick filter of that table searches through it (core/data/query.py).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core.schema.entity_kinds import FULLTEXT_INDEXED, EntityKind

if TYPE_CHECKING:  # the listing reads virtual tables without the catalog (core/schema/entity_kinds.py)
    from core.engine.db import Database
    from core.schema.catalog import ColumnInfo, Entity, FullTextIndex

log = logging.getLogger(__name__)

#: `CREATE VIRTUAL TABLE <name> USING <module>(<arguments>)`; the name comes from sqlite_master itself.
VIRTUAL_RE = re.compile(
    r"^\s*create\s+virtual\s+table\s+.*?\s+using\s+(\w+)\s*(?:\((.*)\))?[\s;]*$", re.I | re.S
)
#: The shadow tables of each module, as what follows `<virtual table>_` in their names.
SHADOW_SUFFIXES: dict[str, re.Pattern[str]] = {
    "fts3": re.compile(r"content|segments|segdir|docsize|stat"),
    "fts4": re.compile(r"content|segments|segdir|docsize|stat"),
    "fts5": re.compile(r"config|data|docsize|idx|content"),
    "rtree": re.compile(r"node|parent|rowid"),
    "rtree_i32": re.compile(r"node|parent|rowid"),
    "geopoly": re.compile(r"node|parent|rowid"),
    "vec0": re.compile(r"info|chunks|rowids|auxiliary|vector_chunks\d+|metadatachunks\d+|metadatatext\d+"),
}
FULLTEXT_MODULES = ("fts3", "fts4", "fts5")
RTREE_MODULES = ("rtree", "rtree_i32", "geopoly")
#: `name=value` options of an FTS table (value quoted with ', " or [], or bare).
OPTION_RE = re.compile(
    r"^\s*(\w+)\s*=\s*(?:'((?:[^']|'')*)'|\"((?:[^\"]|\"\")*)\"|\[([^\]]*)\]|(\S+))\s*$", re.S
)


@dataclass(frozen=True)
class VirtualTable:
    """One virtual table: its name, its module (lower case) and its options as written."""

    name: str
    module: str
    arguments: tuple[str, ...] = ()

    def option(self, name: str) -> str | None:
        """An FTS option's value (`content`, `content_rowid`…), or None when it is not given."""
        for arg in self.arguments:
            m = OPTION_RE.match(arg)
            if m and m.group(1).lower() == name:
                quoted = next((g for g in m.groups()[1:4] if g is not None), None)
                if quoted is not None:
                    return quoted.replace("''", "'").replace('""', '"')
                return m.group(5)
        return None

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names an FTS or R*Tree table declares (its arguments that are no option)."""
        names = []
        for arg in self.arguments:
            word = arg.strip()
            if not word or OPTION_RE.match(word):
                continue
            names.append(word.split()[0].strip("\"'`[]"))
        return tuple(names)


def virtual_table_sql(db: Database) -> list[tuple[str, str]]:
    """(name, CREATE VIRTUAL TABLE statement) of every virtual table of the main schema."""
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "select name, sql from sqlite_master where type = 'table' and sql like 'CREATE VIRTUAL TABLE%'"
        ).all()
    return [(str(name), str(sql or "")) for name, sql in rows]


def virtual_tables(db: Database) -> dict[str, VirtualTable]:
    """Every virtual table of the main schema by name, whether or not its module is loaded here."""
    found = {}
    for name, sql in virtual_table_sql(db):
        m = VIRTUAL_RE.match(sql or "")
        if m:
            found[name] = VirtualTable(name, m.group(1).lower(), tuple(split_arguments(m.group(2) or "")))
    return found


def split_arguments(text: str) -> list[str]:
    """A module's argument list split on the commas outside brackets and quotes."""
    parts, depth, cur, quote = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def shadow_tables(db: Database, names: Iterable[str], virtual: dict[str, VirtualTable]) -> set[str]:
    """The shadow tables among `names`: those SQLite reports as such, and those named like one."""
    with db.engine.connect() as conn:
        try:
            # SQLite before 3.37 ignores a pragma it does not know: no rows, and the names decide alone.
            listed = conn.exec_driver_sql("PRAGMA main.table_list").all()
        except sa.exc.DBAPIError:
            listed = []
    reported = {str(row[1]) for row in listed if row[2] == "shadow"}
    return {n for n in names if n in reported} | shadow_tables_by_name(names, virtual)


def reference_indexes(virtual: dict[str, VirtualTable]) -> set[str]:
    """The reference schema's full-text indexes among the virtual tables: `<table>_fts`, an FTS table whose
    content is that table. They are never listed (searched through their tables); a plain table or any other
    virtual table of such a name is."""
    found = set()
    for table in FULLTEXT_INDEXED:
        vt = virtual.get(f"{table}_fts")
        if vt is None or vt.module not in FULLTEXT_MODULES:
            continue
        content = vt.option("content")
        if content is not None and content.lower() == table:
            found.add(vt.name)
    return found


def shadow_tables_by_name(names: Iterable[str], virtual: dict[str, VirtualTable]) -> set[str]:
    """The shadow tables among `names` by their names alone: `<virtual table>_<a suffix of its module>`."""
    prefixes = [
        (v.name.lower() + "_", SHADOW_SUFFIXES[v.module])
        for v in virtual.values()
        if v.module in SHADOW_SUFFIXES
    ]
    found = set()
    for name in names:
        low = name.lower()
        if any(low.startswith(p) and suffixes.fullmatch(low[len(p) :]) for p, suffixes in prefixes):
            found.add(name)
    return found


# --- entities -------------------------------------------------------------------------------------


def virtual_entities(db: Database, virtual: dict[str, VirtualTable], names: Iterable[str]) -> list[Entity]:
    """Read-only entities for the named virtual tables (not vec0: core/schema/reflect.py reads those).

    One whose module this SQLite does not have cannot be read at all; it is left out, and the log says so.
    """
    out = []
    for name in names:
        vt = virtual[name]
        try:
            out.append(_virtual_entity(db, vt))
        except sa.exc.DBAPIError:
            log.warning("Virtual table %s left out: this SQLite cannot read its module %s", name, vt.module)
    return out


def _virtual_entity(db: Database, vt: VirtualTable) -> Entity:
    from core.schema.catalog import FullTextIndex, column_info, entity_from_table

    with db.engine.connect() as conn:
        info = conn.exec_driver_sql(f"PRAGMA main.table_info({_quote(db, vt.name)})").all()
    declared = [(str(r[1]), str(r[2] or "")) for r in info]
    cols: list[sa.Column[Any]] = []
    if vt.module in RTREE_MODULES:
        # An R*Tree's first column is its rowid; the others are coordinates (auxiliary ones start with +).
        cols.append(sa.Column(declared[0][0], sa.Integer, primary_key=True))
        cols += [sa.Column(n, sa.Float if vt.module != "rtree_i32" else sa.Integer) for n, _ in declared[1:]]
    else:
        key = [sa.Column("rowid", sa.Integer, primary_key=True)] if vt.module in FULLTEXT_MODULES else []
        cols = key + [sa.Column(n, _declared_type(t)) for n, t in declared if n != "rowid"]
    table = sa.Table(vt.name, sa.MetaData(), *cols)
    columns = tuple(column_info(c, db.engine.dialect) for c in table.columns)
    kind = EntityKind.FTS if vt.module in FULLTEXT_MODULES else EntityKind.VIRTUAL
    fulltext = None
    if kind == EntityKind.FTS:
        fulltext = FullTextIndex(vt.name, vt.module, "rowid")
    ent = entity_from_table(
        table,
        db.engine.dialect,
        columns=columns,
        foreign_keys=(),
        kind=kind,
        read_only_reason=read_only_reason(vt),
    )
    return _with_fulltext(ent, fulltext) if fulltext else ent


def _declared_type(text: str) -> sa.types.TypeEngine[Any]:
    upper = text.upper()
    if "INT" in upper:
        return sa.Integer()
    if any(t in upper for t in ("REAL", "FLOA", "DOUB")):
        return sa.Float()
    if "BLOB" in upper:
        return sa.LargeBinary()
    return sa.Text()


def read_only_reason(vt: VirtualTable) -> str:
    """Why a virtual table is shown read-only, in a person's words."""
    if vt.module in FULLTEXT_MODULES:
        content = vt.option("content")
        if content:
            return (
                f"it is the full-text index ({vt.module.upper()}) of {content}; edit {content} instead, "
                "and its index follows"
            )
        return f"it is a full-text ({vt.module.upper()}) virtual table; Warden shows it read-only"
    if vt.module in RTREE_MODULES:
        return "it is an R*Tree virtual table (a spatial index); Warden shows it read-only"
    return f"it is a virtual table ({vt.module}); Warden shows it read-only"


# --- full-text indexes over tables ----------------------------------------------------------------


def with_fulltext(db: Database, entities: dict[str, Entity]) -> dict[str, Entity]:
    """The entities again, each table covered by an external-content FTS4/FTS5 index marked with it."""
    if db.backend != "sqlite":
        return entities
    indexes = fulltext_indexes(db, virtual_tables(db), entities)
    return {
        name: _with_fulltext(ent, indexes[name]) if name in indexes else ent for name, ent in entities.items()
    }


def fulltext_indexes(
    db: Database, virtual: dict[str, VirtualTable], entities: dict[str, Entity]
) -> dict[str, FullTextIndex]:
    """For each table an external-content FTS4/FTS5 index covers, that index (the first by name)."""
    from core.schema.catalog import FullTextIndex

    found: dict[str, FullTextIndex] = {}
    by_lower = {name.lower(): ent for name, ent in entities.items()}  # SQLite's names ignore case
    for vt in sorted(virtual.values(), key=lambda v: v.name):
        content = vt.option("content") if vt.module in ("fts4", "fts5") else None
        target = by_lower.get(content.lower()) if content else None
        if target is None or target.name in found or target.kind != EntityKind.TABLE:
            continue
        key = vt.option("content_rowid") if vt.module == "fts5" else None
        key = key or _rowid_alias(target) or "rowid"
        if key != "rowid" and key not in target.columns_by_name:
            continue  # an index whose rowid names no column of the table: it cannot be joined
        found[target.name] = FullTextIndex(vt.name, vt.module, key)
    return found


def _rowid_alias(entity: Entity) -> str | None:
    """The INTEGER PRIMARY KEY column, which is the rowid itself, if the table has one."""
    pk: list[ColumnInfo] = [c for c in entity.columns if c.primary_key]
    if len(pk) == 1 and pk[0].type.upper() == "INTEGER":
        return pk[0].name
    return None


def _with_fulltext(entity: Entity, index: FullTextIndex) -> Entity:
    return dataclasses.replace(entity, fulltext=index)


def _quote(db: Database, name: str) -> str:
    return db.engine.dialect.identifier_preparer.quote(name)
