"""The keyword side of a search through a full-text index, where the entity has one.

SQLite: the FTS5 index the catalog found over the table (Entity.fulltext), its words looked up as prefixes
(core/data/query.py's fulltext_query) and ranked by bm25. PostgreSQL: a GIN index over a tsvector (an
expression such as migrations/versions/e3c8f1a6b2d7_fulltext_indexes.py makes, or a tsvector column),
matched with `websearch_to_tsquery` (the last word also as a prefix, for search as you type) and ranked by
`ts_rank_cd`. The indexed expression is read back from the index, so the query is the one the index serves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY, TSVECTOR

from core.data.query import fulltext_query, quick_clause
from core.schema.catalog import Entity, FullTextIndex
from core.search.knn_sql import relation_name

#: GIN indexes over one tsvector (a column or an expression), valid and not partial, by name; with the
#: expression that generates the column, when it is a generated tsvector column.
_TEXT_INDEXES = sa.text(
    """
    SELECT ic.relname, pg_get_indexdef(x.indexrelid, 1, true), pg_get_expr(d.adbin, d.adrelid)
    FROM pg_index x
    JOIN pg_class ic ON ic.oid = x.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    JOIN pg_opclass opc ON opc.oid = x.indclass[0]
    LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] AND a.attgenerated = 's'
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE x.indrelid = to_regclass(:rel) AND am.amname = 'gin' AND opc.opcname = 'tsvector_ops'
      AND x.indnatts = 1 AND x.indpred IS NULL AND x.indisvalid
    ORDER BY ic.relname
    """
)
#: The text search configuration an indexed expression names first: to_tsvector('english'::regconfig, …).
_CONFIG_RE = re.compile(r"to_tsvector\('((?:[^']|'')+)'::regconfig")
#: A word that is only letters and digits: safe to write into a tsquery as a prefix (no operator in it).
_PLAIN_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class TextIndex:
    """A PostgreSQL GIN index over a tsvector: its name, the indexed expression as PostgreSQL prints it
    (a column's name for a tsvector column), and the text search configuration the expression (or the
    generated column's expression) names; None: unknown, the database's default is used."""

    name: str
    expression: str
    config: str | None


@dataclass(frozen=True)
class KeywordMatch:
    """How the index finds the rows for a text: the condition, a rank (smaller first; None: the index
    ranks nothing) and the select's FROM (the table, or the table joined to the ranked FTS5 matches)."""

    where: sa.ColumnElement[bool]
    rank: sa.ColumnElement[Any] | None
    from_: sa.FromClause


def pg_text_index(conn: sa.Connection, entity: Entity) -> TextIndex | None:
    """The first GIN tsvector index on the entity's table (by name), or None."""
    rel = relation_name(entity, conn.dialect)
    for name, expression, generated in conn.execute(_TEXT_INDEXES, {"rel": rel}):
        found = _CONFIG_RE.search(f"{expression} {generated or ''}")
        return TextIndex(str(name), str(expression), found.group(1).replace("''", "'") if found else None)
    return None


def keyword_match(conn: sa.Connection, entity: Entity, text: str) -> KeywordMatch | None:
    """The full-text match of `text` on the entity, or None where it has no index to search (or nothing
    typed is a word the index could hold): the caller then matches substrings."""
    if conn.dialect.name == "postgresql":
        index = pg_text_index(conn, entity)
        return _postgres_match(entity, index, text) if index is not None else None
    if entity.fulltext is None or fulltext_query(text, entity.fulltext.module) is None:
        return None
    if entity.fulltext.module != "fts5":  # FTS4 finds the rows (the quick filter's MATCH) but has no bm25
        return KeywordMatch(quick_clause(entity, text, "sqlite"), None, entity.table)
    return _sqlite_match(conn.dialect, entity, entity.fulltext, text)


def _postgres_match(entity: Entity, index: TextIndex, text: str) -> KeywordMatch | None:
    words = text.split()
    if not any(ch.isalnum() for ch in text):
        return None  # no word the index could hold: websearch_to_tsquery would match nothing
    # The indexed expression itself (read from the database's catalog, not typed by the user): the planner
    # uses the index only for the expression it holds.
    vector = sa.literal_column(f"({index.expression})", TSVECTOR)
    config = [sa.cast(sa.bindparam(None, index.config, sa.Text), REGCONFIG)] if index.config else []
    whole = sa.func.websearch_to_tsquery(*config, sa.bindparam(None, text, sa.Text), type_=TSQUERY)
    where: sa.ColumnElement[bool] = vector.op("@@", return_type=sa.Boolean)(whole)
    if _PLAIN_WORD.fullmatch(words[-1]):
        # The last word may be half typed: also the words before it (as websearch reads them) and a word
        # starting with it. It holds letters and digits only, so no tsquery operator.
        head = sa.func.websearch_to_tsquery(*config, sa.bindparam(None, " ".join(words[:-1]), sa.Text))
        prefix = sa.func.to_tsquery(*config, sa.bindparam(None, words[-1] + ":*", sa.Text))
        typing = head.op("&&", return_type=TSQUERY)(prefix)
        where = sa.or_(where, vector.op("@@", return_type=sa.Boolean)(typing))
    # Whole words rank the rows (a row found by the prefix alone ranks after them); higher ts_rank_cd first.
    rank = -sa.func.ts_rank_cd(vector, whole, type_=sa.Float)
    return KeywordMatch(where, rank, entity.table)


def _sqlite_match(dialect: sa.Dialect, entity: Entity, index: FullTextIndex, text: str) -> KeywordMatch:
    query = fulltext_query(text, index.module)
    fts = sa.table(index.table, sa.column("rowid"), sa.column(index.table), sa.column("rank"))
    found = (
        sa.select(fts.c.rowid.label("found_rowid"), fts.c.rank.label("found_rank"))
        .where(fts.c[index.table].op("MATCH")(sa.bindparam(None, query, sa.Text)))
        .subquery("fts_found")
    )
    key: sa.ColumnElement[Any]
    if index.key in entity.table.c:
        key = entity.table.c[index.key]
    else:  # the index's rowid is the table's own rowid, which is no column of the entity
        key = sa.literal_column(f"{dialect.identifier_preparer.quote(entity.table.name)}.rowid")
    # The quick filter's condition (the index's words, or a typed key), ranked by FTS5's rank (bm25: more
    # negative is better); a row found by its key alone ranks after the words' rows.
    rank = sa.func.coalesce(found.c.found_rank, 0.0)
    return KeywordMatch(
        quick_clause(entity, text, "sqlite"), rank, entity.table.outerjoin(found, key == found.c.found_rowid)
    )
