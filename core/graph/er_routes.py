"""Orthogonal lines for the schema view: each FK drawn as right-angle segments between two table boxes.

A line leaves its box from the side facing the other box (top or bottom when one box is above the other, as
the layered layout puts them; left or right when they sit side by side), usually bends twice, and runs its
middle segment in the gap between the two boxes' rows or columns. Of three places for that middle segment
(half-way, else next to either box) the first crossing the fewest other boxes wins; when all three cross one,
a route with a single bend out of a box's side is tried, then one that climbs a free column beside the
boxes in the way (four bends). That is cheap and keeps most lines out of boxes without a full router.
Lines sharing a side of a box leave from spread-out ports, ordered by where they go, so they do not lie on
top of each other; lines sharing a gap are spread across it.
Nothing here needs Qt: boxes are centres and sizes in scene pixels, routes are lists of points.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from core.graph.er_layout import HGAP
from core.graph.layout import Point

Side = Literal["top", "bottom", "left", "right"]
#: How far a line runs out from a box side before it may turn, and the loop of an FK to its own table.
STUB = 14.0
#: Lines that share a gap are this far apart (pixels), within the gap.
SPREAD = 6.0
#: The ports of one side use its middle part (its corners stay free).
PORT_SPAN = 0.7
#: A detour runs this far beside a box in the way (half the layout's gap between boxes), and at most this
#: many columns are tried.
COLUMN_GAP = HGAP / 2
DETOURS = 6
#: Above this many boxes near a link, its routes are tested against them with numpy.
MANY_NEAR = 32


@dataclass(frozen=True)
class Box:
    """A table box: centre and size."""

    x: float
    y: float
    w: float
    h: float

    @property
    def left(self) -> float:
        """Its left edge."""
        return self.x - self.w / 2

    @property
    def right(self) -> float:
        """Its right edge."""
        return self.x + self.w / 2

    @property
    def top(self) -> float:
        """Its top edge (y grows downwards)."""
        return self.y - self.h / 2

    @property
    def bottom(self) -> float:
        """Its bottom edge."""
        return self.y + self.h / 2


def boxes_of(positions: Mapping[str, Point], sizes: Mapping[str, tuple[float, float]]) -> dict[str, Box]:
    """Boxes from centres and sizes (the ids in both)."""
    return {n: Box(x, y, *sizes[n]) for n, (x, y) in positions.items() if n in sizes}


def orthogonal_routes(boxes: Mapping[str, Box], links: Sequence[tuple[str, str]]) -> list[list[Point]]:
    """For each (source, target) link, its route: points joined by horizontal and vertical segments, from
    the source box's border to the target box's border. A link whose ends are unknown gets an empty route."""
    sides: list[tuple[Side, Side] | None] = []
    for a, b in links:
        if a not in boxes or b not in boxes:
            sides.append(None)
        elif a == b:
            sides.append(("right", "right"))
        else:
            sides.append(_facing(boxes[a], boxes[b]))
    ports = _ports(boxes, links, sides)
    index = _BoxIndex(boxes)
    gaps: dict[tuple[str, int], int] = defaultdict(int)  # lines already in a gap (its axis, position)
    routes: list[list[Point]] = []
    for i, (a, b) in enumerate(links):
        side = sides[i]
        if side is None:
            routes.append([])
            continue
        start, end = ports[(i, 0)], ports[(i, 1)]
        if a == b:
            routes.append(_loop(boxes[a], start, end))
            continue
        routes.append(_route(boxes[a], boxes[b], side, start, end, index, (a, b), gaps))
    return routes


def _facing(a: Box, b: Box) -> tuple[Side, Side]:
    """The sides of `a` and `b` that face each other: vertical when one is above the other."""
    if b.bottom <= a.top:
        return "top", "bottom"
    if b.top >= a.bottom:
        return "bottom", "top"
    return ("right", "left") if b.x >= a.x else ("left", "right")


def _ports(
    boxes: Mapping[str, Box], links: Sequence[tuple[str, str]], sides: Sequence[tuple[Side, Side] | None]
) -> dict[tuple[int, int], Point]:
    """Where each line meets its boxes: the lines on one side of a box spread along it, ordered by where
    their other ends are (fewer crossings next to the box)."""
    on_side: dict[tuple[str, Side], list[tuple[float, int, int]]] = defaultdict(list)
    for i, ((a, b), pair) in enumerate(zip(links, sides, strict=True)):
        if pair is None:
            continue
        for end, (me, other, s) in enumerate(((a, b, pair[0]), (b, a, pair[1]))):
            far = boxes[other]
            along = far.x if s in ("top", "bottom") else far.y
            on_side[(me, s)].append((along + end * 1e-6, i, end))
    out: dict[tuple[int, int], Point] = {}
    for (name, side), ends in on_side.items():
        box = boxes[name]
        ends.sort()
        n = len(ends)
        horizontal = side in ("top", "bottom")
        length = (box.w if horizontal else box.h) * PORT_SPAN
        first = (box.x if horizontal else box.y) - length / 2
        for k, (_along, i, end) in enumerate(ends):
            at = first + length * (k + 1) / (n + 1)
            edge = {"top": box.top, "bottom": box.bottom, "left": box.left, "right": box.right}[side]
            out[(i, end)] = (at, edge) if horizontal else (edge, at)
    return out


def _loop(box: Box, start: Point, end: Point) -> list[Point]:
    """An FK to its own table: out of the right side and back in, a little lower."""
    y0, y1 = box.y - box.h / 6, box.y + box.h / 6
    x = box.right + 2 * STUB
    return [(box.right, y0), (x, y0), (x, y1), (box.right, y1)]


def _route(
    a: Box,
    b: Box,
    side: tuple[Side, Side],
    start: Point,
    end: Point,
    index: _BoxIndex,
    ends: tuple[str, str],
    gaps: dict[tuple[str, int], int],
) -> list[Point]:
    vertical = side[0] in ("top", "bottom")
    # The gap the middle segment runs in: between a's side and b's facing side
    if vertical:
        near, far = start[1], end[1]
    else:
        near, far = start[0], end[0]
    across = far - near
    step = min(STUB, abs(across) / 2)
    sign = 1.0 if across >= 0 else -1.0
    options = [(near + far) / 2, far - sign * step, near + sign * step]
    best: list[Point] = []
    best_cost = None
    near_boxes = index.near(a, b, ends)
    for at in options:
        route = _zigzag(start, end, at, vertical)
        cost = near_boxes.crossings(route)
        if best_cost is None or cost < best_cost:
            best, best_cost = route, cost
            if cost == 0:
                break
    if best_cost and vertical:  # every two-bend route crosses a box: one bend, out of a side, may not
        for route in _elbows(a, b, start, end):
            cost = near_boxes.crossings(route)
            if cost < best_cost:
                best, best_cost = route, cost
        if len(best) == 3:
            return best
    if best_cost and vertical:  # still through a box: up a free column between the boxes in the way
        for route in _detours(start, end, near + sign * step, far - sign * step, near_boxes):
            cost = near_boxes.crossings(route)
            if cost < best_cost:
                best, best_cost = route, cost
                if cost == 0:
                    break
        if len(best) == 6:
            return best
    if len(best) == 4:  # spread the lines sharing this gap, inside it
        axis = "y" if vertical else "x"
        at = best[1][1] if vertical else best[1][0]
        slot = (axis, round(at / SPREAD))
        k = gaps[slot]
        gaps[slot] += 1
        shift = ((k + 1) // 2) * SPREAD * (1 if k % 2 else -1)
        lo, hi = min(near, far) + 2, max(near, far) - 2
        moved = min(max(at + shift, lo), hi) if lo < hi else at
        best = _zigzag(start, end, moved, vertical) if moved != at else best
    return best


def _detours(start: Point, end: Point, y1: float, y2: float, near: _Near) -> list[list[Point]]:
    """Routes with four bends: out of the start's side into the gap beside its box (at y1), along it to a
    column beside one of the boxes in the way, up (or down) it to the gap beside the end's box (at y2), and
    in. Columns nearest the straight way first."""
    if abs(y2 - y1) < 1:
        return []
    middle = (start[0] + end[0]) / 2
    columns = sorted(
        {x for x0, x1, _y0, _y1 in near.boxes for x in (x0 - COLUMN_GAP, x1 + COLUMN_GAP)},
        key=lambda x: abs(x - middle),
    )
    return [[start, (start[0], y1), (x, y1), (x, y2), (end[0], y2), end] for x in columns[:DETOURS]]


def _elbows(a: Box, b: Box, start: Point, end: Point) -> list[list[Point]]:
    """Routes with one bend between boxes one above the other: out of a's left or right side across to
    above (or below) b's port, or out of a's port up (or down) to b's side."""
    out = []
    if end[0] > a.right or end[0] < a.left:
        x = a.right if end[0] > a.right else a.left
        out.append([(x, a.y), (end[0], a.y), end])
    if start[0] > b.right or start[0] < b.left:
        x = b.right if start[0] > b.right else b.left
        out.append([start, (start[0], b.y), (x, b.y)])
    return out


def _zigzag(start: Point, end: Point, at: float, vertical: bool) -> list[Point]:
    """start → end with its middle segment at `at` (a y for vertical lines, an x otherwise); a straight line
    when the two ends line up."""
    if vertical:
        if abs(start[0] - end[0]) < 0.5:
            return [start, (start[0], end[1])]
        return [start, (start[0], at), (end[0], at), end]
    if abs(start[1] - end[1]) < 0.5:
        return [start, (end[0], start[1])]
    return [start, (at, start[1]), (at, end[1]), end]


class _BoxIndex:
    """The boxes as arrays, to count how many a route crosses."""

    def __init__(self, boxes: Mapping[str, Box]) -> None:
        self.names = list(boxes)
        self.where = {n: i for i, n in enumerate(self.names)}
        b = list(boxes.values())
        self.x0 = np.array([x.left for x in b], dtype=float)
        self.x1 = np.array([x.right for x in b], dtype=float)
        self.y0 = np.array([x.top for x in b], dtype=float)
        self.y1 = np.array([x.bottom for x in b], dtype=float)

    def near(self, a: Box, b: Box, ends: tuple[str, str]) -> _Near:
        """The other boxes that touch the area spanned by `a` and `b` (where any of their routes runs)."""
        x0, x1 = min(a.left, b.left) - STUB * 3, max(a.right, b.right) + STUB * 3
        y0, y1 = min(a.top, b.top) - STUB * 3, max(a.bottom, b.bottom) + STUB * 3
        hits = np.flatnonzero((self.x1 > x0) & (self.x0 < x1) & (self.y1 > y0) & (self.y0 < y1)).tolist()
        own = {self.where[e] for e in ends}
        return _Near(
            [(self.x0[i], self.x1[i], self.y0[i], self.y1[i]) for i in hits if i not in own]  # plain floats
        )


class _Near:
    """The boxes near one link: a handful tested in plain Python, more with numpy (each is cheaper there)."""

    def __init__(self, boxes: list[tuple[float, float, float, float]]) -> None:
        self.boxes = [(float(x0), float(x1), float(y0), float(y1)) for x0, x1, y0, y1 in boxes]
        self.array = np.array(self.boxes, dtype=float).reshape(-1, 4) if len(boxes) > MANY_NEAR else None

    def crossings(self, route: Sequence[Point]) -> int:
        """How many of the boxes the route's segments pass through."""
        segments = [
            (min(ax, bx), max(ax, bx), min(ay, by), max(ay, by))
            for (ax, ay), (bx, by) in itertools.pairwise(route)
        ]
        if self.array is not None:
            x0, x1, y0, y1 = self.array[:, 0], self.array[:, 1], self.array[:, 2], self.array[:, 3]
            hit = np.zeros(len(self.array), dtype=bool)
            for lo_x, hi_x, lo_y, hi_y in segments:
                hit |= (x1 > lo_x) & (x0 < hi_x) & (y1 > lo_y) & (y0 < hi_y)
            return int(hit.sum())
        return sum(
            any(x1 > lo_x and x0 < hi_x and y1 > lo_y and y0 < hi_y for lo_x, hi_x, lo_y, hi_y in segments)
            for x0, x1, y0, y1 in self.boxes
        )


def is_orthogonal(route: Sequence[Point], tolerance: float = 1e-6) -> bool:
    """Whether every segment of `route` is horizontal or vertical."""
    return all(
        abs(ax - bx) <= tolerance or abs(ay - by) <= tolerance
        for (ax, ay), (bx, by) in itertools.pairwise(route)
    )
