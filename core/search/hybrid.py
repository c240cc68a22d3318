"""Searching by text: keyword matches, semantic hits, or both fused by reciprocal rank fusion.

The keyword side is the entity's full-text index where it has one (core/search/fulltext.py: SQLite FTS5,
PostgreSQL's GIN tsvector indexes), else the table editor's quick search (core/data/query.py), a substring
match over its text columns; matches rank by how well the label fits (the exact label, then a label
starting with the words, then one holding them, then a match elsewhere), then by the index's rank. The
semantic side is k-NN over the query's embedding (core/search/knn.py). Fusion scores each row
Σ 1 / (RRF_K + rank) over the lists it is in (Cormack et al. 2009).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import sqlalchemy as sa

from core.data.query import LIKE_ESCAPE, Filter, column, entity_of, quick_clause, where_clauses
from core.engine.db import Database
from core.errors import FieldProblem, ValidationError
from core.schema.catalog import Catalog, Entity
from core.search.fulltext import keyword_match
from core.search.knn import Hit, KnnResult, check_metric, nearest
from core.search.knn_paths import hits_from_rows, key_columns
from core.search.targets import vector_of

Mode = Literal["hybrid", "semantic", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "semantic", "keyword")
#: Reciprocal rank fusion's constant: a hit's weight is 1 / (RRF_K + rank).
RRF_K = 60
#: Each side of a hybrid search ranks this many times k candidates (at least POOL_MIN) before fusing.
POOL_FACTOR = 5
POOL_MIN = 50
#: What found the keyword side's rows: a full-text index, or the quick search's substring match.
FULLTEXT = "full-text index"
TEXT_SEARCH = "text search"


class TextEmbedder(Protocol):
    """What a search needs of an embedding provider (core/search/embeddings.py's Embedder)."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 vectors, one row per text."""
        ...


@dataclass(frozen=True)
class SearchHit:
    """One row found by text: key, label, semantic distance (None when only the keywords found it), and its
    rank (1-based) in each list that holds it."""

    key: dict[str, Any]
    label: str
    distance: float | None
    keyword_rank: int | None = None
    semantic_rank: int | None = None
    score: float = 0.0  # the fused score (hybrid); higher first


@dataclass(frozen=True)
class SearchResult:
    """The rows found, best first, and how."""

    hits: list[SearchHit]
    mode: Mode
    semantic: KnnResult | None  # the k-NN that answered the semantic side (provider, index, note)
    keyword_source: str | None  # "full-text index" | "text search"; None without a keyword side
    elapsed_ms: float


def check_mode(mode: str) -> Mode:
    """The mode, or a ValidationError listing the ones there are."""
    for m in MODES:
        if m == mode:
            return m
    raise ValidationError([FieldProblem("mode", f"unknown mode '{mode}'; use one of {', '.join(MODES)}")])


def search_text(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    text: str,
    embedder: TextEmbedder | None,
    *,
    mode: str = "hybrid",
    column: str | None = None,
    k: int = 10,
    metric: str = "cosine",
    filters: Iterable[Filter] = (),
    **options: Any,
) -> SearchResult:
    """The k rows that best match `text`: by keywords, by meaning (needs `embedder`), or both fused."""
    started = time.perf_counter()
    ent = entity_of(catalog, entity)
    m = check_mode(mode)
    filters = list(filters)
    check_metric(metric)
    pool = max(POOL_MIN, POOL_FACTOR * k) if m == "hybrid" else k
    semantic: KnnResult | None = None
    keyword: list[Hit] = []
    source = None
    if m != "keyword":
        if embedder is None:
            raise ValidationError([FieldProblem("mode", "searching by meaning needs an embedding provider")])
        info = vector_of(ent, column)
        if embedder.dimension != info.dimension:
            raise ValidationError(
                [
                    FieldProblem(
                        info.column,
                        f"{ent.name}.{info.column} holds {info.dimension}-d vectors but {embedder.name} "
                        f"makes {embedder.dimension}-d ones; choose a provider of the column's size",
                    )
                ]
            )
        vector = embedder.embed([text])[0]
        semantic = nearest(
            db, catalog, ent, vector, column=info.column, k=pool, metric=metric, filters=filters, **options
        )
    if m != "semantic":
        keyword, source = keyword_search(db, catalog, ent, text, limit=pool, filters=filters)
    hits = _combine(m, keyword, semantic.hits if semantic else [], k)
    return SearchResult(hits, m, semantic, source, (time.perf_counter() - started) * 1000)


def keyword_search(
    db: Database,
    catalog: Catalog,
    entity: Entity | str,
    text: str,
    *,
    limit: int,
    filters: Iterable[Filter] = (),
) -> tuple[list[Hit], str]:
    """Rows the keywords find for `text`, best label fit first, then the full-text index's rank; and what
    found them (FULLTEXT or TEXT_SEARCH). Distance holds the fit: 0 the exact label, 1 a label starting
    with the words as a whole word, 2 one starting with them, 3 a word of the label starting with them,
    4 a label holding them, 5 a match in another column."""
    ent = entity_of(catalog, entity)
    words = " ".join(text.replace("\x00", " ").split())  # no text column holds a NUL (PostgreSQL refuses one)
    if not words or not ent.primary_key:
        return [], TEXT_SEARCH
    label = _label_text(ent)
    with db.engine.connect() as conn:
        match = keyword_match(conn, ent, words)
        found = match.where if match is not None else quick_clause(ent, words, db.backend)
        rank = [match.rank] if match is not None and match.rank is not None else []
        fit = _label_fit(label, words, db.backend)
        stmt = (
            sa.select(fit, label, *key_columns(ent))
            .select_from(match.from_ if match is not None else ent.table)
            .where(found, *where_clauses(ent, filters, None, db.backend))
            .order_by(fit, *rank, sa.func.length(label), *key_columns(ent))
            .limit(limit)
        )
        rows = conn.execute(stmt).all()
    return hits_from_rows(ent, rows), FULLTEXT if match is not None else TEXT_SEARCH


def fuse(keyword: Sequence[Hit], semantic: Sequence[Hit], k: int) -> list[SearchHit]:
    """Reciprocal rank fusion of two ranked lists, best first; ties go to the better semantic rank."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for side, hits in (("keyword_rank", keyword), ("semantic_rank", semantic)):
        for rank, hit in enumerate(hits, start=1):
            entry = found.setdefault(_ident(hit), {"hit": hit, "score": 0.0})
            entry[side] = rank
            entry["score"] += 1.0 / (RRF_K + rank)
            if side == "semantic_rank":
                entry["distance"] = hit.distance
    ordered = sorted(
        found.values(),
        key=lambda e: (-e["score"], e.get("semantic_rank") or len(semantic) + 1, e.get("keyword_rank") or 0),
    )
    return [
        SearchHit(
            e["hit"].key,
            e["hit"].label,
            e.get("distance"),
            e.get("keyword_rank"),
            e.get("semantic_rank"),
            e["score"],
        )
        for e in ordered[:k]
    ]


def _combine(mode: Mode, keyword: list[Hit], semantic: list[Hit], k: int) -> list[SearchHit]:
    if mode == "hybrid":
        return fuse(keyword, semantic, k)
    if mode == "semantic":
        return [SearchHit(h.key, h.label, h.distance, None, i, 0.0) for i, h in enumerate(semantic[:k], 1)]
    return [SearchHit(h.key, h.label, None, i, None, 0.0) for i, h in enumerate(keyword[:k], 1)]


def _ident(hit: Hit) -> tuple[Any, ...]:
    return tuple(hit.key.items())


def _label_text(ent: Entity) -> sa.ColumnElement[Any]:
    """The label column as text, else the first key column as text."""
    name = ent.label or ent.primary_key[0]
    col = column(ent, name)
    return col if ent.column(name).kind in ("string", "text", "enum") else sa.cast(col, sa.Text)


def _label_fit(label: sa.ColumnElement[Any], words: str, backend: str) -> sa.ColumnElement[int]:
    """How well the label fits the words, 0 best (see keyword_search)."""
    w = _escape(words)
    return sa.case(
        (sa.func.lower(label) == sa.bindparam(None, words.lower(), sa.Text), 0),
        (_like(label, w + " %", backend), 1),
        (_like(label, w + "%", backend), 2),
        (_like(label, "% " + w + "%", backend), 3),
        (_like(label, "%" + w + "%", backend), 4),
        else_=5,
    )


def _escape(text: str) -> str:
    return "".join(LIKE_ESCAPE + ch if ch in ("%", "_", LIKE_ESCAPE) else ch for ch in text)


def _like(expr: sa.ColumnElement[Any], pattern: str, backend: str) -> sa.ColumnElement[bool]:
    if backend == "postgresql":
        return expr.ilike(pattern, escape=LIKE_ESCAPE)
    return expr.like(pattern, escape=LIKE_ESCAPE)  # SQLite's LIKE ignores ASCII case already
