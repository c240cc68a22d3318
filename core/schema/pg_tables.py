"""PostgreSQL's relations in every schema the user can see: names, partitions, views and materialized views.

One catalog query lists them. An entity's name is the bare table name when that name is unique among the
visible schemas and its schema is on the search path (what `SELECT … FROM name` would find); otherwise it is
"schema.table". Partitions are not entities: they are listed under their root, which is read and written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core.schema.entity_kinds import EntityKind

if TYPE_CHECKING:  # the listing reads the layout without loading the catalog (core/schema/entity_kinds.py)
    from core.engine.db import Database
    from core.schema.catalog import Entity, ForeignKeyInfo

#: pg_class.relkind of the relations Warden lists: tables, partitioned tables, views, materialized views.
_KINDS = {
    "r": EntityKind.TABLE,
    "p": EntityKind.TABLE,
    "v": EntityKind.VIEW,
    "m": EntityKind.MATERIALIZED_VIEW,
}

# System schemas (pg_catalog, information_schema, pg_toast*, other sessions' pg_temp*) are never listed.
_RELATIONS_SQL = """
SELECT n.nspname, c.relname, c.relkind, c.relispartition,
       CASE WHEN c.relispartition THEN rn.nspname END, CASE WHEN c.relispartition THEN r.relname END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class r ON c.relispartition AND r.oid = pg_partition_root(c.oid)
LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND n.nspname <> 'information_schema'
  AND left(n.nspname, 3) <> 'pg_'  -- reserved for the system: pg_catalog, pg_toast*, pg_temp*
  AND has_schema_privilege(n.oid, 'USAGE')
ORDER BY n.nspname, c.relname
"""

READ_ONLY_REASONS = {
    EntityKind.VIEW: "it is a view",
    EntityKind.MATERIALIZED_VIEW: "it is a materialized view: Refresh View runs its query again",
}


@dataclass(frozen=True)
class PgRelation:
    """One listed relation: where it lives, what it is, and the entity name it goes by."""

    schema: str
    relname: str
    kind: EntityKind
    entity: str  # the entity name (bare or "schema.table")
    root: tuple[str, str] | None = None  # a partition's root table (schema, relname)


@dataclass(frozen=True)
class PgLayout:
    """Every visible relation of a PostgreSQL database, and the search path that names them."""

    relations: tuple[PgRelation, ...]
    search_path: tuple[str, ...]
    default_schema: str

    def entities(self) -> list[PgRelation]:
        """The relations that are entities (not partitions)."""
        return [r for r in self.relations if r.root is None]

    @cached_property
    def by_entity(self) -> dict[str, PgRelation]:
        """Entity relations by entity name."""
        return {r.entity: r for r in self.entities()}

    @cached_property
    def _by_place(self) -> dict[tuple[str, str], str]:
        """Entity names by (schema, relname): looked up once per table and foreign key, so a dict."""
        return {(r.schema, r.relname): r.entity for r in self.entities()}

    @cached_property
    def _partitions(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """Partitions (every level) by their root, named bare in their root's schema."""
        found: dict[tuple[str, str], list[str]] = {}
        for p in self.relations:
            if p.root is not None:
                found.setdefault(p.root, []).append(
                    p.relname if p.schema == p.root[0] else f"{p.schema}.{p.relname}"
                )
        return {root: tuple(names) for root, names in found.items()}

    def entity_of(self, schema: str | None, relname: str) -> str | None:
        """The entity name of a table as SQLAlchemy reflected it (schema None: found on the search path)."""
        if schema is not None:
            return self._by_place.get((schema, relname))
        return next(
            (e for s in self.search_path if (e := self._by_place.get((s, relname))) is not None), None
        )

    def partitions_of(self, rel: PgRelation) -> tuple[str, ...]:
        """A partitioned table's partitions (every level), named bare in their root's schema."""
        return self._partitions.get((rel.schema, rel.relname), ())


def read_layout(db: Database) -> PgLayout:
    """List the visible relations with one catalog query, and name them."""
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(_RELATIONS_SQL).all()
        path = tuple(conn.exec_driver_sql("SELECT current_schemas(false)").scalar_one() or ())
        default = str(conn.exec_driver_sql("SELECT current_schema()").scalar_one() or "public")
    tops = [(schema, relname) for schema, relname, _k, part, _rs, _rn in rows if not part]
    seen: dict[str, int] = {}
    for _schema, relname in tops:
        seen[relname] = seen.get(relname, 0) + 1
    relations = []
    for schema, relname, relkind, part, root_schema, root_name in rows:
        bare = seen.get(relname) == 1 and schema in path
        relations.append(
            PgRelation(
                schema=schema,
                relname=relname,
                kind=_KINDS[relkind],
                entity=relname if bare else f"{schema}.{relname}",
                root=(root_schema, root_name) if part and root_name else None,
            )
        )
    return PgLayout(tuple(relations), path, default)


def place_entities(entities: list[Entity], layout: PgLayout) -> list[Entity]:
    """Reflected entities named as the layout says, with their schema, kind, partitions and links."""
    out = []
    for ent in entities:
        schema = ent.table_schema or layout.default_schema
        name = layout.entity_of(schema, ent.table_name) or ent.name
        rel = layout.by_entity.get(name)
        changes: dict[str, Any] = {"name": name, "schema": schema}
        if rel is not None:
            changes["partitions"] = layout.partitions_of(rel)
            if rel.kind in READ_ONLY_REASONS:
                changes["kind"] = rel.kind
                changes["read_only_reason"] = READ_ONLY_REASONS[rel.kind]
        if not isinstance(ent.source, sa.Table) and all(getattr(ent, k) == v for k, v in changes.items()):
            out.append(ent)  # made placed (core/schema/reflect.py)
            continue
        placed = dataclasses.replace(ent, **changes)
        if isinstance(ent.source, sa.Table):  # a spec's foreign keys were named by the reader already
            placed = dataclasses.replace(
                placed, foreign_keys=tuple(_retarget(fk, placed, layout) for fk in ent.foreign_keys)
            )
        out.append(placed)
    return out


def place_modelled(entities: dict[str, Entity], layout: PgLayout) -> dict[str, Entity]:
    """The reference schema's entities with the schema they live in (the default one), their links named as
    the layout names their targets (a reference table whose name another schema shares is "public.x")."""
    out = {}
    for name, ent in entities.items():
        if not isinstance(ent.source, sa.Table):  # reflected from a spec: placed by place_entities
            out[name] = ent
            continue
        placed = (
            ent if ent.schema else dataclasses.replace(ent, schema=ent.table_schema or layout.default_schema)
        )
        fks = tuple(_retarget(fk, placed, layout) for fk in placed.foreign_keys)
        out[name] = dataclasses.replace(placed, foreign_keys=fks)
    return out


def _retarget(fk: ForeignKeyInfo, entity: Entity, layout: PgLayout) -> ForeignKeyInfo:
    """A foreign key naming its entity and its target by entity name, across schemas."""
    referred = {
        tuple(e.parent.name for e in c.elements): c.referred_table
        for c in entity.table.foreign_key_constraints
    }.get(fk.columns)
    target = None
    if referred is not None:
        # A schema-less referred table is one the server finds on the search path (or the default schema).
        target = layout.entity_of(referred.schema, referred.name)
    return dataclasses.replace(fk, entity=entity.name, target=target or fk.target)
