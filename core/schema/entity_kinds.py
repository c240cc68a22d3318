"""The words the listing and the catalog share: what sort of relation an entity is, where a catalog came from,
the navigator's groups, and the names of the reference schema's tables.

Kept apart from core/schema/catalog.py, which loads numpy, pgvector and the models: a navigator lists a
foreign database's names (core/schema/listing.py) before any of those load.
"""

from __future__ import annotations

from enum import StrEnum

GROUP_ORDER = ("World", "Players", "Operations", "Other")
#: Never listed: Alembic's version table.
HIDDEN_TABLES = frozenset({"alembic_version"})
#: The reference tables with an FTS5 index `<table>_fts` on SQLite (migrations/versions/
#: e3c8f1a6b2d7_fulltext_indexes.py), kept by triggers and searched through the tables they index: such an
#: index is never listed (core/schema/sqlite_tables.py, reference_indexes); a plain table of that name is.
FULLTEXT_INDEXED = (
    "regions", "locations", "npcs", "objects", "player_knowledge", "player_history", "rag_documents",
)  # fmt: skip
#: The reference models' table names (core/schema/models; a test holds the two equal). A database with none
#: of them is listed without loading the models.
REFERENCE_TABLES = frozenset(
    {
        "admin_audit_log", "agent_executions", "game_sessions", "llm_round_table_results",
        "location_connections", "locations", "npc_relationships", "npcs", "object_interactions", "objects",
        "order_items", "orders", "player_history", "player_inventory", "player_knowledge", "player_skills",
        "players", "products", "rag_documents", "regions", "tool_executions", "users",
        "warden_embedding_state",
    }
)  # fmt: skip


class EntityKind(StrEnum):
    """What sort of relation an entity is."""

    TABLE = "table"
    VIEW = "view"
    VEC0 = "vec0"
    MATERIALIZED_VIEW = "materialized_view"  # PostgreSQL: rows kept from a query until refreshed
    FTS = "fts"  # a SQLite full-text virtual table (FTS3/4/5)
    VIRTUAL = "virtual"  # any other SQLite virtual table (R*Tree, …)


class CatalogSource(StrEnum):
    """Where a catalog's entities came from."""

    MODELS = "models"  # the reference schema's models
    REFLECTED = "reflected"  # a database Warden did not create
    MIXED = "mixed"
