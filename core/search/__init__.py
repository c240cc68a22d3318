"""Semantic search: embedding providers (local MiniLM, OpenAI-compatible HTTP), k-NN over vector columns."""
