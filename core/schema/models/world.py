"""World content that designers edit: regions, locations and their connections, NPCs, objects."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.models.base import (
    Base,
    created,
    embedding,
    enum,
    group,
    json_column,
    key,
    ref,
    updated,
    version,
)

LOCATION_TYPES = (
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
)
DIRECTIONS = (
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
)
CONNECTION_TYPES = ("path", "road", "door", "bridge", "stairs", "tunnel", "ladder", "portal", "river", "gate")
NPC_TYPES = (
    "merchant",
    "guard",
    "quest_giver",
    "villager",
    "innkeeper",
    "scholar",
    "creature",
    "priest",
    "smith",
)
RELATIONSHIP_TYPES = ("friend", "rival", "family", "employer", "enemy", "mentor", "lover", "debtor")
OBJECT_TYPES = (
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
)
INTERACTION_TYPES = ("use", "open", "read", "combine", "examine", "eat", "wield", "unlock")


class Region(Base):
    """A named area of the world; regions nest through parent_region_id."""

    __tablename__ = "regions"
    __table_args__ = group("World", "name")
    id: Mapped[uuid.UUID] = key()
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    parent_region_id: Mapped[uuid.UUID | None] = ref("regions.id", ondelete="SET NULL", nullable=True)
    climate: Mapped[str | None] = mapped_column(sa.String(40))
    danger_level: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    embedding: Mapped[np.ndarray | None] = embedding()
    version: Mapped[int] = version()
    created_at: Mapped[dt.datetime] = created()
    updated_at: Mapped[dt.datetime] = updated()


class Location(Base):
    """A place a player can stand in."""

    __tablename__ = "locations"
    __table_args__ = group("World", "name")
    id: Mapped[uuid.UUID] = key()
    region_id: Mapped[uuid.UUID] = ref("regions.id", ondelete="RESTRICT")
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    location_type: Mapped[str] = mapped_column(enum("location_type", *LOCATION_TYPES), nullable=False)
    short_description: Mapped[str] = mapped_column(sa.String(280), nullable=False, default="")
    full_description: Mapped[str | None] = mapped_column(sa.Text)
    state_json: Mapped[dict[str, Any]] = json_column()
    embedding: Mapped[np.ndarray | None] = embedding()
    version: Mapped[int] = version()
    created_at: Mapped[dt.datetime] = created()
    updated_at: Mapped[dt.datetime] = updated()


class LocationConnection(Base):
    """A way from one location to another."""

    __tablename__ = "location_connections"
    __table_args__ = (
        sa.UniqueConstraint("source_location_id", "target_location_id", "direction"),
        group("World", "direction", link=True),
    )
    id: Mapped[uuid.UUID] = key()
    source_location_id: Mapped[uuid.UUID] = ref("locations.id", ondelete="CASCADE")
    target_location_id: Mapped[uuid.UUID] = ref("locations.id", ondelete="CASCADE")
    direction: Mapped[str] = mapped_column(enum("direction", *DIRECTIONS), nullable=False)
    connection_type: Mapped[str] = mapped_column(enum("connection_type", *CONNECTION_TYPES), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.String(500))
    is_bidirectional: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    travel_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=5)
    version: Mapped[int] = version()


class Npc(Base):
    """A non-player character."""

    __tablename__ = "npcs"
    __table_args__ = group("World", "name")
    id: Mapped[uuid.UUID] = key()
    location_id: Mapped[uuid.UUID | None] = ref("locations.id", ondelete="SET NULL", nullable=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    npc_type: Mapped[str] = mapped_column(enum("npc_type", *NPC_TYPES), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    personality_json: Mapped[dict[str, Any]] = json_column()
    knowledge_json: Mapped[dict[str, Any]] = json_column()
    is_hostile: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    embedding: Mapped[np.ndarray | None] = embedding()
    version: Mapped[int] = version()
    created_at: Mapped[dt.datetime] = created()
    updated_at: Mapped[dt.datetime] = updated()


class NpcRelationship(Base):
    """How one NPC feels about another."""

    __tablename__ = "npc_relationships"
    __table_args__ = (
        sa.UniqueConstraint("npc_id", "other_npc_id", "relationship_type"),
        sa.CheckConstraint("strength BETWEEN -100 AND 100", name="strength_range"),
        {"info": {"group": "World", "label": "relationship_type", "link": True}},
    )
    id: Mapped[uuid.UUID] = key()
    npc_id: Mapped[uuid.UUID] = ref("npcs.id", ondelete="CASCADE")
    other_npc_id: Mapped[uuid.UUID] = ref("npcs.id", ondelete="CASCADE")
    relationship_type: Mapped[str] = mapped_column(
        enum("relationship_type", *RELATIONSHIP_TYPES), nullable=False
    )
    strength: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    notes: Mapped[str | None] = mapped_column(sa.String(500))
    version: Mapped[int] = version()


class Object(Base):
    """A thing in the world, possibly takeable."""

    __tablename__ = "objects"
    __table_args__ = group("World", "name")
    id: Mapped[uuid.UUID] = key()
    location_id: Mapped[uuid.UUID | None] = ref("locations.id", ondelete="SET NULL", nullable=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    object_type: Mapped[str] = mapped_column(enum("object_type", *OBJECT_TYPES), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    properties_json: Mapped[dict[str, Any]] = json_column()
    is_takeable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    weight_grams: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    embedding: Mapped[np.ndarray | None] = embedding()
    version: Mapped[int] = version()
    created_at: Mapped[dt.datetime] = created()
    updated_at: Mapped[dt.datetime] = updated()


class ObjectInteraction(Base):
    """Something a player can do with an object, optionally needing another object."""

    __tablename__ = "object_interactions"
    __table_args__ = group("World", "interaction_type")
    id: Mapped[uuid.UUID] = key()
    object_id: Mapped[uuid.UUID] = ref("objects.id", ondelete="CASCADE")
    required_object_id: Mapped[uuid.UUID | None] = ref("objects.id", ondelete="SET NULL", nullable=True)
    interaction_type: Mapped[str] = mapped_column(
        enum("interaction_type", *INTERACTION_TYPES), nullable=False
    )
    description: Mapped[str | None] = mapped_column(sa.String(500))
    result_json: Mapped[dict[str, Any]] = json_column()
    version: Mapped[int] = version()
