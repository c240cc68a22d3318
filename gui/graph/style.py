"""How the record graph looks: a colour and a letter per entity, edge colours, sizes and zoom thresholds."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from PySide6.QtGui import QColor

#: Node circle radius and the widest label, in scene units (pixels at zoom 1).
RADIUS = 16.0
LABEL_WIDTH = 150.0
#: Below this zoom the graph is drawn as coloured dots and plain lines (labels, letters, arrowheads gone).
DOTS_BELOW = 0.3
#: Below this zoom a node shows no label (its letter and colour still tell its entity).
LABELS_BELOW = 0.36
#: Between LABELS_BELOW and this zoom, labels keep the size they have at this zoom on screen (up to
#: LABEL_GROWTH times their size in the scene), so a fitted graph of a few dozen nodes stays readable.
LABELS_READABLE_AT = 0.8
LABEL_GROWTH = LABELS_READABLE_AT / LABELS_BELOW
#: Below this zoom edges have no labels.
EDGE_LABELS_BELOW = 0.9

FK_EDGE = QColor("#8a94a6")
LINK_EDGE = QColor("#3b6fb6")
SELECTED = QColor("#f0a202")
FOUND = QColor("#d7263d")
#: Staged link edits, until Save: a new link, and an edge about to be deleted.
STAGED_NEW = QColor("#2e9d4a")
STAGED_GONE = QColor("#d7263d")
TEXT = QColor("#1f2430")
LABEL_BACK = QColor(255, 255, 255, 215)
AGGREGATE_FILL = QColor("#eef1f6")
AGGREGATE_LINE = QColor("#5b6577")

# Colour-blind-friendly, distinct on white (Okabe–Ito and Tableau hues); entities of the reference schema
# get fixed ones so the world always looks the same, others a hue picked from their name.
PALETTE = (
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#7a5195", "#8c6d31",
    "#4e79a7", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#9c755f", "#edc948", "#bab0ac",
)  # fmt: skip
FIXED = {
    "locations": "#0072b2",
    "regions": "#56b4e9",
    "npcs": "#e69f00",
    "objects": "#009e73",
    "players": "#cc79a7",
    "users": "#7a5195",
    "orders": "#d55e00",
    "products": "#59a14f",
    "agent_executions": "#8c6d31",
    "tool_executions": "#b07aa1",
    "game_sessions": "#e15759",
    "player_history": "#edc948",
    "player_skills": "#76b7b2",
    "player_knowledge": "#9c755f",
    "player_inventory": "#bab0ac",
    "object_interactions": "#4e79a7",
    "npc_relationships": "#e69f00",
    "order_items": "#d55e00",
    "rag_documents": "#76b7b2",
    "llm_round_table_results": "#8c6d31",
}


@dataclass(frozen=True)
class EntityStyle:
    """An entity's colour and the letter drawn in its nodes."""

    colour: QColor
    letter: str


def entity_style(entity: str) -> EntityStyle:
    """The colour and letter of `entity`'s nodes (the same in every session)."""
    bare = entity.rsplit(".", 1)[-1]  # a PostgreSQL "schema.table" keeps its table's look
    fixed = FIXED.get(bare)
    colour = QColor(fixed or PALETTE[zlib.crc32(bare.encode()) % len(PALETTE)])
    return EntityStyle(colour, letters(bare))


def letters(name: str) -> str:
    """One or two letters for an entity: its words' initials ("player_history" → "PH", "locations" → "L")."""
    words = [w for w in name.replace("-", "_").replace(" ", "_").split("_") if w]
    initials = "".join(w[0] for w in words if w[0].isalnum())[:2]
    return (initials or "?").upper()


def text_on(colour: QColor) -> QColor:
    """Black or white, whichever reads better on `colour`."""
    luminance = 0.299 * colour.redF() + 0.587 * colour.greenF() + 0.114 * colour.blueF()
    return QColor("#111111") if luminance > 0.6 else QColor("#ffffff")
