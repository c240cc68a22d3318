"""Players and what they carry, know, can do and have done."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.models.base import Base, created, embedding, enum, group, json_column, key, ref, version
from core.types import UTCDateTime, utcnow

HISTORY_EVENTS = ("move", "talk", "take", "drop", "use", "combat", "quest", "login", "logout", "trade")


class Player(Base):
    """A player character, optionally tied to an operations user."""

    __tablename__ = "players"
    __table_args__ = group("Players", "username")
    id: Mapped[uuid.UUID] = key()
    username: Mapped[str] = mapped_column(sa.String(40), nullable=False, unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(80))
    user_id: Mapped[uuid.UUID | None] = ref("users.id", ondelete="SET NULL", nullable=True)
    current_location_id: Mapped[uuid.UUID | None] = ref("locations.id", ondelete="SET NULL", nullable=True)
    level: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    experience: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    settings_json: Mapped[dict[str, Any]] = json_column()
    version: Mapped[int] = version()
    created_at: Mapped[dt.datetime] = created()
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class GameSession(Base):
    """One play session of a player."""

    __tablename__ = "game_sessions"
    __table_args__ = group("Players", "started_at")
    id: Mapped[uuid.UUID] = key()
    player_id: Mapped[uuid.UUID] = ref("players.id", ondelete="CASCADE")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    client_version: Mapped[str | None] = mapped_column(sa.String(20))
    commands_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    version: Mapped[int] = version()


class PlayerInventory(Base):
    """An object a player carries."""

    __tablename__ = "player_inventory"
    __table_args__ = (
        sa.UniqueConstraint("player_id", "object_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        {"info": {"group": "Players", "label": "quantity", "link": True}},
    )
    id: Mapped[uuid.UUID] = key()
    player_id: Mapped[uuid.UUID] = ref("players.id", ondelete="CASCADE")
    object_id: Mapped[uuid.UUID] = ref("objects.id", ondelete="CASCADE")
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    is_equipped: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    version: Mapped[int] = version()


class PlayerKnowledge(Base):
    """Something a player has learned, often from an NPC."""

    __tablename__ = "player_knowledge"
    __table_args__ = group("Players", "topic")
    id: Mapped[uuid.UUID] = key()
    player_id: Mapped[uuid.UUID] = ref("players.id", ondelete="CASCADE")
    source_npc_id: Mapped[uuid.UUID | None] = ref("npcs.id", ondelete="SET NULL", nullable=True)
    topic: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    content: Mapped[str] = mapped_column(sa.Text, nullable=False)
    learned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    embedding: Mapped[np.ndarray | None] = embedding()
    version: Mapped[int] = version()


class PlayerSkill(Base):
    """A skill level of a player."""

    __tablename__ = "player_skills"
    __table_args__ = (
        sa.UniqueConstraint("player_id", "skill_name"),
        {"info": {"group": "Players", "label": "skill_name"}},
    )
    id: Mapped[uuid.UUID] = key()
    player_id: Mapped[uuid.UUID] = ref("players.id", ondelete="CASCADE")
    skill_name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    level: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    experience: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    version: Mapped[int] = version()


class PlayerHistory(Base):
    """An event in a player's past: an append-only log, so it carries no version counter."""

    __tablename__ = "player_history"
    __table_args__ = group("Players", "event_type")
    id: Mapped[uuid.UUID] = key()
    player_id: Mapped[uuid.UUID] = ref("players.id", ondelete="CASCADE")
    session_id: Mapped[uuid.UUID | None] = ref("game_sessions.id", ondelete="SET NULL", nullable=True)
    location_id: Mapped[uuid.UUID | None] = ref("locations.id", ondelete="SET NULL", nullable=True)
    event_type: Mapped[str] = mapped_column(enum("history_event", *HISTORY_EVENTS), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)
    details_json: Mapped[dict[str, Any]] = json_column()
    occurred_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, index=True
    )
    embedding: Mapped[np.ndarray | None] = embedding()
