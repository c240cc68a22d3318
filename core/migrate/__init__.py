"""Alembic as an API: status, upgrades, downgrades, backups."""
