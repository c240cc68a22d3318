"""Semantic search: one entity or the whole world by meaning, keywords or both, and "more like this"."""
