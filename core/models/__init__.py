"""The reference schema: world content for designers, operations data for support staff."""

from core.models.base import Base
from core.models.commerce import Order, OrderItem, Product, User
from core.models.operations import AgentExecution, LlmRoundTableResult, RagDocument, ToolExecution
from core.models.players import (
    GameSession,
    Player,
    PlayerHistory,
    PlayerInventory,
    PlayerKnowledge,
    PlayerSkill,
)
from core.models.world import (
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
    "Base",
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
