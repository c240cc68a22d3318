"""Agent and tool execution logs and RAG documents: mostly read by support staff."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.models.base import Base, created, embedding, enum, group, json_column, key, ref, version
from core.types import JSONType, UTCDateTime

AGENT_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
TOOL_STATUSES = ("success", "error", "timeout", "running")


class AgentExecution(Base):
    """One run of an agent: a log row, so it carries no version counter."""

    __tablename__ = "agent_executions"
    __table_args__ = (
        # Support filters by status, newest first (the editor's default order).
        sa.Index("ix_agent_executions_status_created", "status", "created_at"),
        group("Operations", "agent_name", order_by="-created_at"),
    )
    id: Mapped[uuid.UUID] = key()
    correlation_id: Mapped[str] = mapped_column(sa.String(36), nullable=False, index=True)
    agent_name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    user_id: Mapped[uuid.UUID | None] = ref("users.id", ondelete="SET NULL", nullable=True)
    prompt: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(enum("agent_status", *AGENT_STATUSES), nullable=False)
    result_json: Mapped[dict[str, Any]] = json_column()
    tokens_used: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    duration_ms: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = created()
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ToolExecution(Base):
    """One tool call made by an agent: the table support staff search most."""

    __tablename__ = "tool_executions"
    __table_args__ = (
        # The support view: filter by status, by tool or by both, newest first (the editor's default order).
        sa.Index("ix_tool_executions_status_tool_created", "status", "tool_name", "created_at"),
        sa.Index("ix_tool_executions_status_created", "status", "created_at"),
        sa.Index("ix_tool_executions_tool_created", "tool_name", "created_at"),
        {"info": {"group": "Operations", "label": "tool_name", "order_by": "-created_at"}},
    )
    id: Mapped[uuid.UUID] = key()
    correlation_id: Mapped[str] = mapped_column(sa.String(36), nullable=False, index=True)
    tool_name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    agent_id: Mapped[uuid.UUID | None] = ref("agent_executions.id", ondelete="SET NULL", nullable=True)
    user_id: Mapped[uuid.UUID | None] = ref("users.id", ondelete="SET NULL", nullable=True)
    inputs_json: Mapped[dict[str, Any]] = json_column()
    outputs_json: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(enum("tool_status", *TOOL_STATUSES), nullable=False)
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    duration_ms: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = created()


class LlmRoundTableResult(Base):
    """The outcome of several models debating one question."""

    __tablename__ = "llm_round_table_results"
    __table_args__ = group("Operations", "topic")
    id: Mapped[uuid.UUID] = key()
    correlation_id: Mapped[str] = mapped_column(sa.String(36), nullable=False, index=True)
    topic: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    participants: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    rounds: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    consensus: Mapped[str | None] = mapped_column(sa.Text)
    confidence: Mapped[Decimal | None] = mapped_column(sa.Numeric(4, 3))
    transcript_json: Mapped[dict[str, Any]] = json_column()
    status: Mapped[str] = mapped_column(
        enum("round_table_status", "agreed", "split", "failed"), nullable=False, index=True
    )
    created_at: Mapped[dt.datetime] = created()


class RagDocument(Base):
    """One chunk of a source document, embedded for retrieval."""

    __tablename__ = "rag_documents"
    __table_args__ = (
        sa.UniqueConstraint("source_path", "chunk_index"),
        {"info": {"group": "Operations", "label": "source_path"}},
    )
    id: Mapped[uuid.UUID] = key()
    source_path: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    content: Mapped[str] = mapped_column(sa.Text, nullable=False)
    content_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    chunk_index: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    chunk_total: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    embedding_model: Mapped[str | None] = mapped_column(sa.String(80))
    embedding: Mapped[np.ndarray | None] = embedding()
    version: Mapped[int] = version()
    created_at: Mapped[dt.datetime] = created()
