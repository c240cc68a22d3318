"""The reference schema: world content for designers, operations data for support staff."""

from core.schema.models.audit import AuditEntry
from core.schema.models.base import Base
from core.schema.models.commerce import Order, OrderItem, Product, User
from core.schema.models.embedding_state import EmbeddingState
from core.schema.models.operations import AgentExecution, LlmRoundTableResult, RagDocument, ToolExecution
from core.schema.models.players import (
    GameSession,
    Player,
    PlayerHistory,
    PlayerInventory,
    PlayerKnowledge,
    PlayerSkill,
)
from core.schema.models.world import (
    Location,
    LocationConnection,
    Npc,
    NpcRelationship,
    Object,
    ObjectInteraction,
    Region,
)

metadata = Base.metadata

__all__ = [
    "AgentExecution",
    "AuditEntry",
    "Base",
    "EmbeddingState",
    "GameSession",
    "LlmRoundTableResult",
    "Location",
    "LocationConnection",
    "Npc",
    "NpcRelationship",
    "Object",
    "ObjectInteraction",
    "Order",
    "OrderItem",
    "Player",
    "PlayerHistory",
    "PlayerInventory",
    "PlayerKnowledge",
    "PlayerSkill",
    "Product",
    "RagDocument",
    "Region",
    "ToolExecution",
    "User",
    "metadata",
]
