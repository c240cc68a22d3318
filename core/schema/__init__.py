"""What a database holds: the reference models, the catalog, reflection of other databases."""
