"""Table editor feature: model (pages + staged edits), delegates, view, record form, undo."""
