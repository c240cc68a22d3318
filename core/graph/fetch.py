"""The batched reads of the record graph: for a whole frontier of records, a step (an FK in one
direction, or a link table from one end) costs a fixed number of statements with `IN (…)` over their
keys, chunked, never one per record.

A capped step first counts each owner's neighbours (one GROUP BY). Owners within the cap get all their
neighbours in one statement; busy owners get their first `cap` by label then key, each through its own
ORDER BY … LIMIT branch of one UNION ALL (a top-N an index serves, where a window over all their
neighbours would sort 100,000 rows to keep 50). The count makes the aggregate node's number exact.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.data.export_columns import plain_value
from core.data.query import UNSORTABLE_KINDS
from core.graph.links import Step
from core.schema.catalog import Entity

#: Keys per IN (...) list; well under SQLite's and PostgreSQL's parameter limits, also for composite keys.
CHUNK = 500
#: Busy owners per UNION ALL; SQLite allows 500 terms in a compound SELECT.
BRANCHES = 100

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Reached:
    """One neighbour reached by a step: whose neighbour it is, its key and label value, the link row's
    attribute values (links only), and how many neighbours the owner has this way in all."""

    owner: Key
    key: Key
    label: Any
    attributes: dict[str, Any]
    total: int


@dataclass(frozen=True)
class _Shape:
    """A step's SELECT before its WHERE: the owner's key, the neighbour's key and label, the link's
    attribute columns, and the order neighbours are numbered in."""

    select_from: sa.FromClause
    owner_key: list[sa.ColumnElement[Any]]
    neighbour_key: list[sa.ColumnElement[Any]]
    label: sa.ColumnElement[Any] | None
    attributes: list[sa.ColumnElement[Any]]
    order: list[sa.ColumnElement[Any]]


def reach(
    conn: sa.Connection,
    step: Step,
    owners: Sequence[Key],
    attributes: Sequence[str],
    *,
    cap: int | None,
    remaining: int | None = None,
) -> Iterator[Reached]:
    """The neighbours of `owners` (raw key values) through `step`: per owner, the first `cap` of them (all
    when `cap` is None); with `remaining`, the next `cap` after the first (total - remaining) instead."""
    shape = _shape(step, attributes)
    if cap is None:
        for chunk in _chunks(owners, CHUNK):
            yield from _rows(
                conn, shape, attributes, _select(shape).where(_owner_in(shape.owner_key, chunk)), {}
            )
        return
    totals = _counts(conn, shape, owners)
    small = [k for k in owners if 0 < totals.get(_same(k), 0) <= cap and remaining is None]
    busy = [k for k in owners if totals.get(_same(k), 0) > (cap if remaining is None else 0)]
    for chunk in _chunks(small, CHUNK):
        stmt = (
            _select(shape).where(_owner_in(shape.owner_key, chunk)).order_by(*shape.owner_key, *shape.order)
        )
        yield from _rows(conn, shape, attributes, stmt, totals)
    for chunk in _chunks(busy, BRANCHES):
        branches = []
        for k in chunk:
            skip = 0 if remaining is None else max(0, totals[_same(k)] - remaining)
            one = _select(shape).where(*(c == v for c, v in zip(shape.owner_key, k, strict=True)))
            branches.append(one.order_by(*shape.order).limit(cap).offset(skip).subquery().select())
        page = branches[0] if len(branches) == 1 else sa.union_all(*branches)
        yield from _rows(conn, shape, attributes, page, totals)


def _same(key: Key) -> Key:
    """A key as export writes it: the same for a value as bound and as the driver returns it."""
    return tuple(plain_value(v) for v in key)


def _chunks(keys: Sequence[Key], size: int) -> Iterator[list[Key]]:
    for start in range(0, len(keys), size):
        yield list(keys[start : start + size])


def _counts(conn: sa.Connection, shape: _Shape, owners: Sequence[Key]) -> dict[Key, int]:
    """How many neighbours each owner has this way (owners without any are left out)."""
    totals: dict[Key, int] = {}
    for chunk in _chunks(owners, CHUNK):
        stmt = (
            sa.select(*shape.owner_key, sa.func.count())
            .select_from(shape.select_from)
            .where(_owner_in(shape.owner_key, chunk))
            .group_by(*shape.owner_key)
        )
        for row in conn.execute(stmt):
            totals[_same(tuple(row[:-1]))] = int(row[-1])
    return totals


def _rows(
    conn: sa.Connection,
    shape: _Shape,
    attributes: Sequence[str],
    stmt: sa.Select[Any] | sa.CompoundSelect[Any],
    totals: dict[Key, int],
) -> Iterator[Reached]:
    """The rows of `stmt` (columns as _select orders them) as Reached, each with its owner's total."""
    n_owner, n_key = len(shape.owner_key), len(shape.neighbour_key)
    labelled = 1 if shape.label is not None else 0
    total_of: dict[Key, int] = {}  # by the owner's key as returned: _same once per owner, not per row
    for row in conn.execute(stmt):
        values = tuple(row)
        owner, key = values[:n_owner], values[n_owner : n_owner + n_key]
        label = values[n_owner + n_key] if labelled else None
        attrs = dict(zip(attributes, values[n_owner + n_key + labelled :], strict=True))
        total = total_of.get(owner)
        if total is None:
            total = total_of[owner] = totals.get(_same(owner), 1)
        yield Reached(owner, key, label, attrs, total)


def _shape(step: Step, attributes: Sequence[str]) -> _Shape:
    """The tables of a step joined owner → (link →) neighbour, each aliased (an FK may point at its own
    table)."""
    owner = step.owner.table.alias("o")
    near = step.neighbour.table.alias("n")
    mine = step.mine
    attrs: list[sa.ColumnElement[Any]] = []
    link_key: list[sa.ColumnElement[Any]] = []
    if step.kind == "outgoing":  # owner.cols → neighbour.target_cols
        joined = owner.join(near, _on(owner, mine.columns, near, mine.target_columns))
    elif step.kind == "incoming":  # neighbour.cols → owner.target_cols
        joined = near.join(owner, _on(near, mine.columns, owner, mine.target_columns))
    else:  # link.mine → owner, link.far → neighbour
        assert step.link is not None and step.far is not None
        link = step.link.table.alias("l")
        joined = owner.join(link, _on(link, mine.columns, owner, mine.target_columns)).join(
            near, _on(link, step.far.columns, near, step.far.target_columns)
        )
        attrs = [link.c[name] for name in attributes]
        link_key = [link.c[name] for name in step.link.primary_key]
    label = near.c[step.neighbour.label] if step.neighbour.label else None
    neighbour_key: list[sa.ColumnElement[Any]] = [near.c[name] for name in step.neighbour.primary_key]
    orderable = label is not None and _orderable(step.neighbour, str(step.neighbour.label))
    return _Shape(
        select_from=joined,
        owner_key=[owner.c[name] for name in step.owner.primary_key],
        neighbour_key=neighbour_key,
        label=label,
        attributes=attrs,
        order=([label] if orderable and label is not None else []) + neighbour_key + link_key,
    )


def _on(
    left: sa.FromClause, left_cols: Sequence[str], right: sa.FromClause, right_cols: Sequence[str]
) -> sa.ColumnElement[bool]:
    return sa.and_(*(left.c[a] == right.c[b] for a, b in zip(left_cols, right_cols, strict=True)))


def _orderable(entity: Entity, name: str) -> bool:
    """Whether rows can be put in order by this column on both backends (JSON and vectors cannot)."""
    return entity.column(name).kind not in UNSORTABLE_KINDS


def _owner_in(owner_key: list[sa.ColumnElement[Any]], keys: list[Key]) -> sa.ColumnElement[bool]:
    if len(owner_key) == 1:
        return owner_key[0].in_([k[0] for k in keys])
    return sa.tuple_(*owner_key).in_(keys)


def _select(shape: _Shape) -> sa.Select[Any]:
    """The step's SELECT of owner key, neighbour key, label and link attributes, before its WHERE."""
    cols = [
        *(c.label(f"o{i}") for i, c in enumerate(shape.owner_key)),
        *(c.label(f"k{i}") for i, c in enumerate(shape.neighbour_key)),
        *([shape.label.label("lbl")] if shape.label is not None else []),
        *(c.label(f"a{i}") for i, c in enumerate(shape.attributes)),
    ]
    return sa.select(*cols).select_from(shape.select_from)
