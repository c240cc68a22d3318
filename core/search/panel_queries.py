"""What the search panel asks: one or several entities searched by text (or by a row's stored vector), each
hit with a snippet of its text, grouped by entity, and which provider and index answered.

Plain data in, plain data out: the panel runs these on a worker (gui/runtime/workers.py). Several entities
share one query embedding, and a long search stops between entities when its task is cancelled.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from core.data.query import Filter, column, entity_of, key_predicate
from core.engine.db import Database
from core.errors import WardenError
from core.progress import TaskState
from core.schema.catalog import Catalog, Entity
from core.search.hybrid import SearchHit, TextEmbedder, check_mode, search_text
from core.search.knn import more_like_this
from core.search.targets import VectorTarget, vector_targets

#: The world entities of the reference schema, searched at once, in this order.
WORLD = ("locations", "npcs", "objects", "regions")
#: How many characters of a row's text a snippet shows.
SNIPPET_CHARS = 180
#: Text columns longer than this are cut before the snippet is looked for (a snippet needs the start only).
READ_CHARS = 4000

#: Words too common to mark in a snippet.
STOP_WORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "of",
        "on", "or", "that", "the", "this", "to", "was", "with",
    }
)  # fmt: skip

Segment = tuple[str, bool]  # a piece of a snippet, and whether it is one of the query's words


@dataclass(frozen=True)
class Found:
    """One row found: where, which, how near, its ranks, and a snippet of its text."""

    entity: str
    key: dict[str, Any]
    label: str
    distance: float | None
    keyword_rank: int | None = None
    semantic_rank: int | None = None
    snippet: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class EntityFound:
    """The rows found in one entity, best first, and how (or why nothing could be searched there)."""

    entity: str
    column: str | None
    hits: list[Found]
    how: str  # "sqlite-vec, exact scan; keywords: text search"
    elapsed_ms: float
    note: str | None = None  # why a fallback answered
    problem: str | None = None  # a message a person can act on: this entity could not be searched


@dataclass(frozen=True)
class PanelAnswer:
    """A whole search: the groups in order, the embedder that read the query, the words to highlight."""

    groups: list[EntityFound]
    provider: str | None
    elapsed_ms: float
    words: tuple[str, ...] = ()
    like: dict[str, Any] | None = field(default=None)  # "more like this": the row's entity and key

    @property
    def count(self) -> int:
        """How many rows were found in all."""
        return sum(len(g.hits) for g in self.groups)


def world_targets(catalog: Catalog) -> list[VectorTarget]:
    """The world entities' vector columns (the first of each), in WORLD order; empty on other databases."""
    first: dict[str, VectorTarget] = {}
    for target in vector_targets(catalog):
        first.setdefault(target.entity, target)
    return [first[name] for name in WORLD if name in first]


def load_embedder() -> str:
    """Load the local embedding model (once per process); its name. ModelNotInstalled says how to install."""
    from core.search.embeddings import local_embedder, model_problem
    from core.search.errors import ModelNotInstalled

    problem = model_problem()  # looked at every time: a package removed since the model loaded is missing
    if problem is not None:
        raise ModelNotInstalled(problem)
    return local_embedder().name


def search(
    db: Database,
    catalog: Catalog,
    targets: Sequence[tuple[str, str | None]],
    text: str,
    *,
    mode: str = "hybrid",
    k: int = 10,
    metric: str = "cosine",
    filters: Iterable[Filter] = (),
    state: TaskState | None = None,
    query_embedder: TextEmbedder | None = None,
) -> PanelAnswer:
    """Search each (entity, vector column) for `text`; the query is embedded once for all of them, by
    `query_embedder` (the columns' provider) or the local model.

    `filters` apply when one entity is searched. An entity that cannot be searched (a vector of another
    size, a filter on a missing column) gets a group with its problem; the others are still searched.
    """
    started = time.perf_counter()
    m = check_mode(mode)
    embedder: _OnceEmbedder | None = None
    if m != "keyword" and query_embedder is not None:
        embedder = _OnceEmbedder(query_embedder)
    elif m != "keyword":
        from core.search.embeddings import local_embedder

        embedder = _OnceEmbedder(local_embedder())
    words = query_words(text)
    kept = list(filters) if len(targets) == 1 else []
    groups = []
    for entity, vector_column in targets:
        if state is not None:
            state.check()
        began = time.perf_counter()
        try:
            result = search_text(
                db, catalog, entity, text, embedder, mode=m, column=vector_column, k=k, metric=metric,
                filters=kept,
            )  # fmt: skip
        except WardenError as exc:
            groups.append(_failed(entity, vector_column, str(exc), began))
            continue
        how = [result.semantic.path] if result.semantic is not None else []
        if result.keyword_source:
            how.append(f"keywords: {result.keyword_source}")
        column_name = result.semantic.column if result.semantic is not None else vector_column
        snippets = row_snippets(db, catalog, entity, [h.key for h in result.hits], words)
        hits = [_found(entity, h, snippets) for h in result.hits]
        note = result.semantic.note if result.semantic is not None else None
        groups.append(EntityFound(entity, column_name, hits, "; ".join(how), result.elapsed_ms, note))
    name = embedder.name if embedder is not None else None
    return PanelAnswer(groups, name, _ms(started), words)


def like(
    db: Database,
    catalog: Catalog,
    entity: str,
    key: dict[str, Any],
    *,
    column: str | None = None,
    k: int = 10,
    metric: str = "cosine",
    filters: Iterable[Filter] = (),
) -> PanelAnswer:
    """The rows of `entity` nearest to the vector stored in the row with `key` (no embedder needed)."""
    started = time.perf_counter()
    result = more_like_this(db, catalog, entity, key, column=column, k=k, metric=metric, filters=filters)
    snippets = row_snippets(db, catalog, entity, [h.key for h in result.hits], ())
    hits = [
        Found(entity, h.key, h.label, h.distance, None, i, snippets.get(_ident(h.key), ()))
        for i, h in enumerate(result.hits, 1)
    ]
    group = EntityFound(entity, result.column, hits, result.path, result.elapsed_ms, result.note)
    return PanelAnswer([group], None, _ms(started), (), {"entity": entity, "key": dict(key)})


def query_words(text: str) -> tuple[str, ...]:
    """The words of a query worth marking (two characters or more, not STOP_WORDS), lower-cased, each once."""
    seen: dict[str, None] = {}
    for word in re.findall(r"\w+", text.lower()):
        if len(word) >= 2 and word not in STOP_WORDS:
            seen.setdefault(word, None)
    return tuple(seen)


def text_columns(entity: Entity) -> list[str]:
    """The columns a row's snippet is read from: its free text (long text first), never the label or key."""
    cols = [
        c for c in entity.columns
        if c.kind in ("text", "string") and not c.primary_key and c.name != entity.label
    ]  # fmt: skip
    cols.sort(key=lambda c: (c.kind != "text", -(c.length or 0)))
    return [c.name for c in cols[:3]]


def row_snippets(
    db: Database, catalog: Catalog, entity: Entity | str, keys: Sequence[dict[str, Any]], words: Sequence[str]
) -> dict[tuple[Any, ...], tuple[Segment, ...]]:
    """Each row's snippet, by its key values: the text around the first query word, the words marked."""
    ent = entity_of(catalog, entity)
    names = text_columns(ent)
    if not keys or not names or not ent.primary_key:
        return {}
    keycols = [column(ent, n) for n in ent.primary_key]
    texts = [sa.func.substr(column(ent, n), 1, READ_CHARS) for n in names]
    stmt = sa.select(*keycols, *texts).where(sa.or_(*(key_predicate(ent, dict(k)) for k in keys)))
    with db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    width = len(keycols)
    out = {}
    for row in rows:
        parts: list[str] = []
        for value in row[width:]:
            text = " ".join(str(value).split()) if value is not None else ""
            if text and not any(text in p for p in parts):  # a short text repeated in a long one: once
                parts.append(text)
        out[tuple(row[:width])] = snippet(" · ".join(parts), words)
    return out


def snippet(text: str, words: Sequence[str], chars: int = SNIPPET_CHARS) -> tuple[Segment, ...]:
    """About `chars` characters of `text` around the first of `words` found, split into marked pieces; a
    word of the text is marked when it starts with one of `words` ("lighthouse" marks "lighthouses")."""
    text = " ".join(text.split())
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    pattern = re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE) if words else None
    first = pattern.search(text) if pattern is not None else None
    start = 0
    if first is not None and first.start() > chars // 3:
        start = text.rfind(" ", 0, first.start() - chars // 4) + 1
    end = start + chars
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    shown = ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")
    if pattern is None:
        return ((shown, False),) if shown else ()
    pieces: list[Segment] = []
    at = 0
    for match in pattern.finditer(shown):
        if match.start() > at:
            pieces.append((shown[at : match.start()], False))
        pieces.append((match.group(0), True))
        at = match.end()
    if at < len(shown):
        pieces.append((shown[at:], False))
    return tuple(pieces)


class _OnceEmbedder:
    """An embedder that embeds each text once: several entities searched for one query share its vector."""

    def __init__(self, inner: TextEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self._done: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of `texts`, each text embedded at most once."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._done]
        if missing:
            self._done.update(zip(missing, self.inner.embed(missing), strict=True))
        return np.stack([self._done[t] for t in texts])


def _found(entity: str, hit: SearchHit, snippets: dict[tuple[Any, ...], tuple[Segment, ...]]) -> Found:
    return Found(
        entity, hit.key, hit.label, hit.distance, hit.keyword_rank, hit.semantic_rank,
        snippets.get(_ident(hit.key), ()),
    )  # fmt: skip


def _failed(entity: str, vector_column: str | None, problem: str, began: float) -> EntityFound:
    return EntityFound(entity, vector_column, [], "", _ms(began), problem=problem)


def _ident(key: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(key.values())


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
