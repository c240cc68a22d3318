"""What a copy drops from a fresh target table before its rows and makes again after them, in the same
transaction (PostgreSQL's DDL is transactional: a failure or a cancel puts everything back).

Keeping an index up row by row costs far more than one sort after the rows: a random UUID key touches a
random B-tree page per row. So the table's secondary indexes, its own foreign keys and its primary and
unique keys are dropped. A key that other tables' foreign keys lean on is dropped too when those tables are
still empty (the copy fills parents first): their foreign keys are dropped with it and made again right
after it, each checking no row. A key a view leans on (PostgreSQL refuses the drop), or one a foreign key
of a table holding rows leans on, is kept. Duplicates fail the key's ADD at the end, which names the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from core.migrate.copy_read import table_sql
from core.schema.catalog import Entity

__all__ = ["DeferredKeys"]


@dataclass(frozen=True)
class DeferredKeys:
    """A target table's indexes and constraints dropped for its copy, and how to make them again."""

    table: sql.Composable
    indexes: list[tuple[str, str, str]]  # (schema, name, CREATE INDEX …)
    foreign_keys: list[tuple[str, str]]  # (name, FOREIGN KEY … REFERENCES …)
    unique_keys: list[tuple[str, str]] = field(default_factory=list)  # (name, PRIMARY KEY … | UNIQUE …)
    incoming: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, FOREIGN KEY …)

    @classmethod
    def take(cls, driver: Any, entity: Entity) -> DeferredKeys:
        """Drop what can be made again after the rows (see the module's docstring); what to make again."""
        table = table_sql(entity.schema, entity.table_name)
        name = table.as_string(driver)
        with driver.cursor() as cur:
            cur.execute(
                "select oid, conname, pg_get_constraintdef(oid) from pg_constraint "
                "where conrelid = %s::regclass and contype = 'f'",
                (name,),
            )
            own = [(int(o), str(k), str(d)) for o, k, d in cur.fetchall()]
            incoming = _incoming(cur, name)
            may_go = [o for o, *_ in own] + [o for o, *_ in incoming]  # a foreign key not in it stays
            cur.execute(
                "select i.indexrelid, n.nspname, c.relname, pg_get_indexdef(i.indexrelid) from pg_index i "
                "join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace "
                "where i.indrelid = %s::regclass "
                "and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid) "
                "and not exists (select 1 from pg_constraint f where f.contype = 'f' "
                "and f.conindid = i.indexrelid and f.oid <> all(%s::oid[]) "
                "and f.conparentid <> all(%s::oid[]))",
                (name, may_go, may_go),
            )
            indexes = cur.fetchall()
            cur.execute(
                "select k.conindid, k.conname, pg_get_constraintdef(k.oid) from pg_constraint k "
                "where k.conrelid = %s::regclass and k.contype in ('p', 'u') and not exists "
                "(select 1 from pg_constraint f where f.contype = 'f' and f.conindid = k.conindid "
                "and f.oid <> all(%s::oid[]) and f.conparentid <> all(%s::oid[])) "  # one that stays: kept
                "and not exists (select 1 from pg_depend d where d.refclassid = 'pg_constraint'::regclass "
                "and d.refobjid = k.oid and d.deptype = 'n')",  # a view's GROUP BY leans on it too
                (name, may_go, may_go),
            )
            unique = cur.fetchall()
            going = {int(r[0]) for r in indexes} | {int(r[0]) for r in unique}
            # Only the foreign keys of indexes that go are dropped with them.
            incoming = [i for i in incoming if i[4] in going]
            for _, key, _ in own:
                cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, sql.Identifier(key)))
            for _, child, key, _, _ in incoming:
                cur.execute(
                    sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(child), sql.Identifier(key))
                )
            for _, schema, index, _ in indexes:
                cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, index)))
            for _, key, _ in unique:
                cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, sql.Identifier(key)))
        return cls(
            table,
            [(str(s), str(i), str(d)) for _, s, i, d in indexes],
            [(k, d) for _, k, d in own],
            [(str(k), str(d)) for _, k, d in unique],
            [(child, key, definition) for _, child, key, definition, _ in incoming],
        )

    def restore(self, driver: Any) -> None:
        """Make the indexes and keys again (each key checks every copied row at once), then the other
        tables' foreign keys that lean on them."""
        with driver.cursor() as cur:
            # The sort of an index build in memory, as pgloader sets it (the server's default is 64 MB).
            cur.execute("SET LOCAL maintenance_work_mem = '128MB'")
            for _, _, definition in self.indexes:
                cur.execute(definition)
            for key, definition in [*self.unique_keys, *self.foreign_keys]:
                cur.execute(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(self.table, sql.Identifier(key))
                    + sql.SQL(definition)  # PostgreSQL's own spelling of the key
                )
            for child, key, definition in self.incoming:
                cur.execute(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.SQL(child), sql.Identifier(key))
                    + sql.SQL(definition)
                )


def _incoming(cur: Any, name: str) -> list[tuple[int, str, str, str, int]]:
    """Other tables' foreign keys to this one whose tables hold no row: (oid, table as PostgreSQL spells
    it, name, definition, the index it leans on). Emptiness is a plain read (no lock waited for)."""
    cur.execute(
        "select f.oid, f.conrelid::regclass::text, f.conname, pg_get_constraintdef(f.oid), f.conindid "
        "from pg_constraint f where f.contype = 'f' and f.confrelid = %s::regclass "
        "and f.conrelid <> f.confrelid and f.conparentid = 0",  # a partition's copy goes with its parent's
        (name,),
    )
    found = []
    for oid, child, key, definition, index in cur.fetchall():
        cur.execute(sql.SQL("select exists (select 1 from {})").format(sql.SQL(child)))
        if not cur.fetchone()[0]:
            found.append((int(oid), str(child), str(key), str(definition), int(index)))
    return found
