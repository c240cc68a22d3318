"""The text a row is embedded from: which columns (the reference schema's choice, else the label and the
free-text columns) and how their values are joined."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.errors import FieldProblem, ValidationError
from core.schema.catalog import Entity
from core.search.panel_queries import text_columns

__all__ = ["REFERENCE_TEXT", "row_text", "text_sources"]

#: The reference schema's text per embedded table: the name first, then what describes the row (the
#: seeder's name + description style); other tables use their label and text columns (`text_sources`).
REFERENCE_TEXT: dict[str, tuple[str, ...]] = {
    "regions": ("name", "description"),
    "locations": ("name", "short_description", "full_description"),
    "npcs": ("name", "description"),
    "objects": ("name", "description"),
    "player_knowledge": ("topic", "content"),
    "player_history": ("description",),
    "rag_documents": ("content",),
}


def text_sources(entity: Entity) -> list[str]:
    """The columns a row's text is read from, in order: the reference schema's own choice for its tables,
    else the label column and the free-text columns (long text first)."""
    chosen = REFERENCE_TEXT.get(entity.table.name)
    if chosen and all(n in entity.columns_by_name for n in chosen):
        return list(chosen)
    names = [entity.label] if entity.label and entity.label in entity.columns_by_name else []
    names += [n for n in text_columns(entity) if n not in names]
    if not names:
        raise ValidationError(
            [FieldProblem(entity.name, f"{entity.name} has no text column to embed its rows from")]
        )
    return names


def row_text(values: Sequence[Any]) -> str:
    """The text embedded for one row: its non-empty parts, whitespace folded, joined as sentences."""
    parts = [" ".join(str(v).split()) for v in values if v is not None]
    return ". ".join(p.rstrip(". ") for p in parts if p.strip(". "))
