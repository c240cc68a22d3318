"""Alembic environment: runs on a connection passed in config.attributes, a URL, or offline as SQL."""

from __future__ import annotations

from typing import Any

from alembic import context

import migrations

config = context.config


def _options(dialect_name: str, skipped: set[str] | None = None, *, online: bool = False) -> dict[str, Any]:
    """configure() options: the shared autogenerate hooks plus per-revision transactions and callbacks."""
    callbacks = list(config.attributes.get("on_version_apply", ()))
    if online and dialect_name == "sqlite":
        callbacks.insert(0, migrations.sqlite_foreign_key_check)
    options = migrations.context_options(dialect_name, skipped)
    return {**options, "transaction_per_migration": True, "on_version_apply": callbacks}


def run_offline() -> None:
    """Write the SQL of the migrations to the output buffer instead of running it."""
    dialect_name = config.attributes.get("dialect_name") or "sqlite"
    context.configure(dialect_name=dialect_name, literal_binds=True, **_options(dialect_name))
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Any) -> None:
    """Run the migrations on a connection that is not yet in a transaction."""
    if connection.dialect.name != "sqlite":
        context.configure(connection=connection, **_options(connection.dialect.name, online=True))
        with context.begin_transaction():
            context.run_migrations()
        return
    skipped = migrations.sqlite_virtual_tables(connection)
    with migrations.sqlite_migration_mode(connection):
        context.configure(connection=connection, **_options("sqlite", skipped, online=True))
        with context.begin_transaction():
            context.run_migrations()


def run_online() -> None:
    """Use the shared connection when core passed one, else open the configured URL with core.engine.db."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    from core.engine.db import open_database

    db = open_database(config.get_main_option("sqlalchemy.url") or "", create=True)
    try:
        with db.engine.connect() as conn:
            run_on(conn)
            conn.commit()
    finally:
        db.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
