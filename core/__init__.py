"""Warden's data core: engines, schema, catalog, repository, migrations. Never imports Qt."""
