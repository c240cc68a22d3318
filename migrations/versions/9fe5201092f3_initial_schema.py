"""Initial schema: every table of the reference schema, on SQLite and PostgreSQL.

Revision ID: 9fe5201092f3
Revises:
Create Date: 2026-11-23 11:47:01.777930
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.types

revision: str = "9fe5201092f3"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables with a 384-d embedding column, indexed with HNSW on PostgreSQL.
VECTOR_TABLES = (
    "rag_documents",
    "regions",
    "locations",
    "npcs",
    "objects",
    "player_knowledge",
    "player_history",
)


def upgrade() -> None:
    """Create the reference schema; on PostgreSQL also pgvector and HNSW cosine indexes."""
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:
        # vector(n) columns need the type before the first CREATE TABLE.
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "llm_round_table_results",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("correlation_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column(
            "participants",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("consensus", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Numeric(precision=4, scale=3), nullable=True),
        sa.Column(
            "transcript_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "agreed",
                "split",
                "failed",
                name="round_table_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_round_table_results")),
    )
    op.create_index(
        op.f("ix_llm_round_table_results_correlation_id"),
        "llm_round_table_results",
        ["correlation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_llm_round_table_results_created_at"), "llm_round_table_results", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_llm_round_table_results_status"), "llm_round_table_results", ["status"], unique=False
    )

    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "discontinued",
                name="product_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("tags", sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price >= 0", name=op.f("ck_products_price_non_negative")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_products_stock_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
    )
    op.create_index(op.f("ix_products_created_at"), "products", ["created_at"], unique=False)
    op.create_index(op.f("ix_products_status"), "products", ["status"], unique=False)

    op.create_table(
        "rag_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_path", sa.String(length=500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("chunk_total", sa.Integer(), nullable=False),
        sa.Column("embedding_model", sa.String(length=80), nullable=True),
        sa.Column("embedding", core.types.Vector(384), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rag_documents")),
        sa.UniqueConstraint(
            "source_path", "chunk_index", name=op.f("uq_rag_documents_source_path_chunk_index")
        ),
    )
    op.create_index(op.f("ix_rag_documents_content_hash"), "rag_documents", ["content_hash"], unique=False)
    op.create_index(op.f("ix_rag_documents_created_at"), "rag_documents", ["created_at"], unique=False)

    op.create_table(
        "regions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("parent_region_id", sa.Uuid(), nullable=True),
        sa.Column("climate", sa.String(length=40), nullable=True),
        sa.Column("danger_level", sa.Integer(), nullable=False),
        sa.Column("embedding", core.types.Vector(384), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_region_id"],
            ["regions.id"],
            name=op.f("fk_regions_parent_region_id_regions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
    )
    op.create_index(op.f("ix_regions_created_at"), "regions", ["created_at"], unique=False)
    op.create_index(op.f("ix_regions_parent_region_id"), "regions", ["parent_region_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "player",
                "designer",
                "support",
                "admin",
                name="user_role",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_verified", sa.Boolean(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_created_at"), "users", ["created_at"], unique=False)

    op.create_table(
        "agent_executions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("correlation_id", sa.String(length=36), nullable=False),
        sa.Column("agent_name", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                "cancelled",
                name="agent_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "result_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("tokens_used", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agent_executions_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_executions")),
    )
    op.create_index(
        op.f("ix_agent_executions_correlation_id"), "agent_executions", ["correlation_id"], unique=False
    )
    op.create_index(op.f("ix_agent_executions_created_at"), "agent_executions", ["created_at"], unique=False)
    op.create_index(op.f("ix_agent_executions_status"), "agent_executions", ["status"], unique=False)
    op.create_index(op.f("ix_agent_executions_user_id"), "agent_executions", ["user_id"], unique=False)

    op.create_table(
        "locations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "location_type",
            sa.Enum(
                "town",
                "village",
                "wilderness",
                "forest",
                "dungeon",
                "cave",
                "building",
                "landmark",
                "road",
                "shore",
                "ruin",
                name="location_type",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("short_description", sa.String(length=280), nullable=False),
        sa.Column("full_description", sa.Text(), nullable=True),
        sa.Column(
            "state_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("embedding", core.types.Vector(384), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_locations_region_id_regions"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
    )
    op.create_index(op.f("ix_locations_created_at"), "locations", ["created_at"], unique=False)
    op.create_index(op.f("ix_locations_region_id"), "locations", ["region_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "paid",
                "shipped",
                "delivered",
                "cancelled",
                "refunded",
                name="order_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tax", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "shipping_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "payment_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_orders_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("order_number", name=op.f("uq_orders_order_number")),
    )
    op.create_index(op.f("ix_orders_created_at"), "orders", ["created_at"], unique=False)
    op.create_index(op.f("ix_orders_status"), "orders", ["status"], unique=False)
    op.create_index(op.f("ix_orders_user_id"), "orders", ["user_id"], unique=False)

    op.create_table(
        "location_connections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_location_id", sa.Uuid(), nullable=False),
        sa.Column("target_location_id", sa.Uuid(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "north",
                "south",
                "east",
                "west",
                "northeast",
                "northwest",
                "southeast",
                "southwest",
                "up",
                "down",
                "in",
                "out",
                name="direction",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "connection_type",
            sa.Enum(
                "path",
                "road",
                "door",
                "bridge",
                "stairs",
                "tunnel",
                "ladder",
                "portal",
                "river",
                "gate",
                name="connection_type",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("is_bidirectional", sa.Boolean(), nullable=False),
        sa.Column("travel_minutes", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["source_location_id"],
            ["locations.id"],
            name=op.f("fk_location_connections_source_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_location_id"],
            ["locations.id"],
            name=op.f("fk_location_connections_target_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_connections")),
        sa.UniqueConstraint(
            "source_location_id",
            "target_location_id",
            "direction",
            name=op.f("uq_location_connections_source_location_id_target_location_id_direction"),
        ),
    )
    op.create_index(
        op.f("ix_location_connections_source_location_id"),
        "location_connections",
        ["source_location_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_location_connections_target_location_id"),
        "location_connections",
        ["target_location_id"],
        unique=False,
    )

    op.create_table(
        "npcs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "npc_type",
            sa.Enum(
                "merchant",
                "guard",
                "quest_giver",
                "villager",
                "innkeeper",
                "scholar",
                "creature",
                "priest",
                "smith",
                name="npc_type",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "personality_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "knowledge_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_hostile", sa.Boolean(), nullable=False),
        sa.Column("embedding", core.types.Vector(384), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_npcs_location_id_locations"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_npcs")),
    )
    op.create_index(op.f("ix_npcs_created_at"), "npcs", ["created_at"], unique=False)
    op.create_index(op.f("ix_npcs_location_id"), "npcs", ["location_id"], unique=False)

    op.create_table(
        "objects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "object_type",
            sa.Enum(
                "weapon",
                "armor",
                "tool",
                "key",
                "treasure",
                "consumable",
                "furniture",
                "document",
                "container",
                "trinket",
                name="object_type",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "properties_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_takeable", sa.Boolean(), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("embedding", core.types.Vector(384), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_objects_location_id_locations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objects")),
    )
    op.create_index(op.f("ix_objects_created_at"), "objects", ["created_at"], unique=False)
    op.create_index(op.f("ix_objects_location_id"), "objects", ["location_id"], unique=False)

    op.create_table(
        "order_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_order_items_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
    )
    op.create_index(op.f("ix_order_items_order_id"), "order_items", ["order_id"], unique=False)
    op.create_index(op.f("ix_order_items_product_id"), "order_items", ["product_id"], unique=False)

    op.create_table(
        "players",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("current_location_id", sa.Uuid(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("experience", sa.Integer(), nullable=False),
        sa.Column(
            "settings_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["current_location_id"],
            ["locations.id"],
            name=op.f("fk_players_current_location_id_locations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_players_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_players")),
        sa.UniqueConstraint("username", name=op.f("uq_players_username")),
    )
    op.create_index(op.f("ix_players_created_at"), "players", ["created_at"], unique=False)
    op.create_index(op.f("ix_players_current_location_id"), "players", ["current_location_id"], unique=False)
    op.create_index(op.f("ix_players_user_id"), "players", ["user_id"], unique=False)

    op.create_table(
        "tool_executions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("correlation_id", sa.String(length=36), nullable=False),
        sa.Column("tool_name", sa.String(length=80), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "inputs_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "outputs_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "success",
                "error",
                "timeout",
                "running",
                name="tool_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent_executions.id"],
            name=op.f("fk_tool_executions_agent_id_agent_executions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_tool_executions_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_executions")),
    )
    op.create_index(op.f("ix_tool_executions_agent_id"), "tool_executions", ["agent_id"], unique=False)
    op.create_index(
        op.f("ix_tool_executions_correlation_id"), "tool_executions", ["correlation_id"], unique=False
    )
    op.create_index(op.f("ix_tool_executions_created_at"), "tool_executions", ["created_at"], unique=False)
    op.create_index(op.f("ix_tool_executions_status"), "tool_executions", ["status"], unique=False)
    op.create_index(
        "ix_tool_executions_status_tool_created",
        "tool_executions",
        ["status", "tool_name", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_tool_executions_tool_name"), "tool_executions", ["tool_name"], unique=False)
    op.create_index(op.f("ix_tool_executions_user_id"), "tool_executions", ["user_id"], unique=False)

    op.create_table(
        "game_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("client_version", sa.String(length=20), nullable=True),
        sa.Column("commands_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_game_sessions_player_id_players"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_sessions")),
    )
    op.create_index(op.f("ix_game_sessions_player_id"), "game_sessions", ["player_id"], unique=False)
    op.create_index(op.f("ix_game_sessions_started_at"), "game_sessions", ["started_at"], unique=False)

    op.create_table(
        "npc_relationships",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("npc_id", sa.Uuid(), nullable=False),
        sa.Column("other_npc_id", sa.Uuid(), nullable=False),
        sa.Column(
            "relationship_type",
            sa.Enum(
                "friend",
                "rival",
                "family",
                "employer",
                "enemy",
                "mentor",
                "lover",
                "debtor",
                name="relationship_type",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("strength", sa.Integer(), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("strength BETWEEN -100 AND 100", name=op.f("ck_npc_relationships_strength_range")),
        sa.ForeignKeyConstraint(
            ["npc_id"], ["npcs.id"], name=op.f("fk_npc_relationships_npc_id_npcs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["other_npc_id"],
            ["npcs.id"],
            name=op.f("fk_npc_relationships_other_npc_id_npcs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_npc_relationships")),
        sa.UniqueConstraint(
            "npc_id",
            "other_npc_id",
            "relationship_type",
            name=op.f("uq_npc_relationships_npc_id_other_npc_id_relationship_type"),
        ),
    )
    op.create_index(op.f("ix_npc_relationships_npc_id"), "npc_relationships", ["npc_id"], unique=False)
    op.create_index(
        op.f("ix_npc_relationships_other_npc_id"), "npc_relationships", ["other_npc_id"], unique=False
    )

    op.create_table(
        "object_interactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("required_object_id", sa.Uuid(), nullable=True),
        sa.Column(
            "interaction_type",
            sa.Enum(
                "use",
                "open",
                "read",
                "combine",
                "examine",
                "eat",
                "wield",
                "unlock",
                name="interaction_type",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column(
            "result_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["objects.id"],
            name=op.f("fk_object_interactions_object_id_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["required_object_id"],
            ["objects.id"],
            name=op.f("fk_object_interactions_required_object_id_objects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_object_interactions")),
    )
    op.create_index(
        op.f("ix_object_interactions_object_id"), "object_interactions", ["object_id"], unique=False
    )
    op.create_index(
        op.f("ix_object_interactions_required_object_id"),
        "object_interactions",
        ["required_object_id"],
        unique=False,
    )

    op.create_table(
        "player_inventory",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("is_equipped", sa.Boolean(), nullable=False),
        sa.Column("acquired_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_player_inventory_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["objects.id"],
            name=op.f("fk_player_inventory_object_id_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_player_inventory_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_inventory")),
        sa.UniqueConstraint("player_id", "object_id", name=op.f("uq_player_inventory_player_id_object_id")),
    )
    op.create_index(op.f("ix_player_inventory_object_id"), "player_inventory", ["object_id"], unique=False)
    op.create_index(op.f("ix_player_inventory_player_id"), "player_inventory", ["player_id"], unique=False)

    op.create_table(
        "player_knowledge",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("source_npc_id", sa.Uuid(), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("learned_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("embedding", core.types.Vector(384), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_player_knowledge_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_npc_id"],
            ["npcs.id"],
            name=op.f("fk_player_knowledge_source_npc_id_npcs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_knowledge")),
    )
    op.create_index(op.f("ix_player_knowledge_player_id"), "player_knowledge", ["player_id"], unique=False)
    op.create_index(
        op.f("ix_player_knowledge_source_npc_id"), "player_knowledge", ["source_npc_id"], unique=False
    )

    op.create_table(
        "player_skills",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("skill_name", sa.String(length=60), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("experience", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_player_skills_player_id_players"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_skills")),
        sa.UniqueConstraint("player_id", "skill_name", name=op.f("uq_player_skills_player_id_skill_name")),
    )
    op.create_index(op.f("ix_player_skills_player_id"), "player_skills", ["player_id"], unique=False)

    op.create_table(
        "player_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column(
            "event_type",
            sa.Enum(
                "move",
                "talk",
                "take",
                "drop",
                "use",
                "combat",
                "quest",
                "login",
                "logout",
                "trade",
                name="history_event",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "details_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("occurred_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("embedding", core.types.Vector(384), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_player_history_location_id_locations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_player_history_player_id_players"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["game_sessions.id"],
            name=op.f("fk_player_history_session_id_game_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_history")),
    )
    op.create_index(op.f("ix_player_history_location_id"), "player_history", ["location_id"], unique=False)
    op.create_index(op.f("ix_player_history_occurred_at"), "player_history", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_player_history_player_id"), "player_history", ["player_id"], unique=False)
    op.create_index(op.f("ix_player_history_session_id"), "player_history", ["session_id"], unique=False)
    if postgres:
        # HNSW on PostgreSQL only (sqlite-vec has no index on a plain BLOB); kept out of the models.
        for table in VECTOR_TABLES:
            op.create_index(
                f"hnsw_{table}_embedding",
                table,
                ["embedding"],
                postgresql_using="hnsw",
                postgresql_ops={"embedding": "vector_cosine_ops"},
            )


def downgrade() -> None:
    """Drop every table of the reference schema; their indexes go with them."""
    # The vector extension stays: it belongs to the database, and other schemas may use it.
    op.drop_table("player_history")
    op.drop_table("player_skills")
    op.drop_table("player_knowledge")
    op.drop_table("player_inventory")
    op.drop_table("object_interactions")
    op.drop_table("npc_relationships")
    op.drop_table("game_sessions")
    op.drop_table("tool_executions")
    op.drop_table("players")
    op.drop_table("order_items")
    op.drop_table("objects")
    op.drop_table("npcs")
    op.drop_table("location_connections")
    op.drop_table("orders")
    op.drop_table("locations")
    op.drop_table("agent_executions")
    op.drop_table("users")
    op.drop_table("regions")
    op.drop_table("rag_documents")
    op.drop_table("products")
    op.drop_table("llm_round_table_results")
