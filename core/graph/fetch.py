"""The batched reads of the record graph: one statement per step (an FK in one direction, or a link table
from one end) for a whole frontier of records, with `IN (…)` over their keys, chunked.

A capped step numbers each owner's neighbours (ROW_NUMBER, by label then key) and counts them all (COUNT
OVER the owner) in the same statement: the rows up to the cap and the exact count of the rest arrive
together, however many neighbours there are, so busy nodes cost no extra statement.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.data.query import UNSORTABLE_KINDS
from core.graph.links import Step
from core.schema.catalog import Entity

#: Keys per IN (...) list; well under SQLite's and PostgreSQL's parameter limits, also for composite keys.
CHUNK = 500

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
    for start in range(0, len(owners), CHUNK):
        chunk = list(owners[start : start + CHUNK])
        stmt = _statement(shape, _owner_in(shape.owner_key, chunk), cap=cap, remaining=remaining)
        n_owner, n_key = len(shape.owner_key), len(shape.neighbour_key)
        for row in conn.execute(stmt):
            values = tuple(row)
            at = n_owner + n_key
            label = values[at] if shape.label is not None else None
            at += 1 if shape.label is not None else 0
            attrs = dict(zip(attributes, values[at : at + len(attributes)], strict=True))
            total = int(values[-1]) if cap is not None else 1
            yield Reached(values[:n_owner], values[n_owner : n_owner + n_key], label, attrs, total)


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


def _statement(
    shape: _Shape, where: sa.ColumnElement[bool], *, cap: int | None, remaining: int | None
) -> sa.Select[Any]:
    """The step's SELECT: every neighbour, or per owner a numbered window of them with their count."""
    cols = [
        *(c.label(f"o{i}") for i, c in enumerate(shape.owner_key)),
        *(c.label(f"k{i}") for i, c in enumerate(shape.neighbour_key)),
        *([shape.label.label("lbl")] if shape.label is not None else []),
        *(c.label(f"a{i}") for i, c in enumerate(shape.attributes)),
    ]
    base = sa.select(*cols).select_from(shape.select_from).where(where)
    if cap is None:
        return base
    number = sa.func.row_number().over(partition_by=shape.owner_key, order_by=shape.order)
    total = sa.func.count().over(partition_by=shape.owner_key)
    inner = base.add_columns(number.label("rn"), total.label("total")).subquery("w")
    shown = [c for c in inner.c if c.name != "rn"]
    if remaining is None:
        window = inner.c.rn <= cap
    else:  # the next `cap` after those already paged in: (total - remaining) of them
        first = inner.c.total - remaining
        window = sa.and_(inner.c.rn > first, inner.c.rn <= first + cap)
    return (
        sa.select(*shown)
        .where(window)
        .order_by(*(inner.c[f"o{i}"] for i in range(len(shape.owner_key))), inner.c.rn)
    )
