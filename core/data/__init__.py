"""Reads, filters, writes, validation, coercion, look-ups and export over the catalog."""
