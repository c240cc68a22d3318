"""Where the record graph's nodes go: igraph's Fruchterman–Reingold, whole or only around what was added.

Positions are scene coordinates (pixels at zoom 1). A first layout places every node. Later layouts keep
every node that already has a position exactly where it is (the ones the user dragged included) and place
only the new ones: each starts on a ring around the node it was expanded from, then a short force pass
moves only them (igraph pins the old ones with equal min/max bounds) among the old nodes near them, so
expanding one node of a big graph costs what its neighbourhood costs, not what the graph costs.
Above FORCE_UP_TO new nodes (a busy record expanded with a high cap) there is no force pass: the new nodes
fill rings around their parent, slot by slot, each slot taken only when its label clashes with no node's
(bench/graph_expand.py: the force pass among 1,000 moving nodes took 2 s; the rings take milliseconds).

Measured on 5,000 nodes and 10,000 edges (bench/graph.py): Fruchterman–Reingold ~0.4 s, Sugiyama ~0.13 s,
DrL 8.6 s, Kamada–Kawai 43 s. Sugiyama is faster but layers a record's 50 neighbours into one long row;
a neighbourhood reads as a star around its record, which a force layout draws.
"""

from __future__ import annotations

import math
import random
import threading
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

Point = tuple[float, float]

#: Scene pixels per layout unit: igraph's FR puts a node's neighbours ~1.7 units from it.
UNIT = 100.0
#: How many placed nodes, the nearest to the new ones, push them in an incremental pass.
NEARBY = 300
#: The median distance (layout units) from a node to its nearest neighbour after a whole layout.
SPACING = 1.1
#: A node and its label, in layout units (a 150-pixel label under a 32-pixel circle): what must not overlap.
LABEL_BOX = (1.5, 0.62)
MAX_APART = 1500
#: Radius (layout units) of the ring new nodes start on around the node they were expanded from.
RING = 2.0
#: Above this many new nodes, they are placed on rings without a force pass (see the module's docstring).
FORCE_UP_TO = 150
#: How far apart ring slots are, in label boxes (rings and slots on a ring): a little more than one.
SLOT = 1.15
_FREE = 1e9  # an unbounded coordinate for igraph's min/max constraints
_rng_lock = threading.Lock()  # igraph's random source is process-wide


@contextmanager
def _seeded(igraph: Any) -> Iterator[None]:
    """igraph's FR jitters nodes at random: a seeded source, so the same graph always gets the same look."""
    with _rng_lock:
        igraph.set_random_number_generator(random.Random(7))
        try:
            yield
        finally:
            igraph.set_random_number_generator(random)


def layout(
    nodes: Sequence[str],
    edges: Iterable[tuple[str, str]],
    *,
    known: Mapping[str, Point] | None = None,
    anchors: Mapping[str, str] | None = None,
) -> dict[str, Point]:
    """Positions for `nodes`: those in `known` keep theirs; the others are placed (near their anchor).

    `anchors` maps a new node to the node it was expanded from (its parent), which it starts around.
    """
    known = {n: known[n] for n in nodes if known and n in known}
    pairs = [(a, b) for a, b in edges if a != b]
    fresh = [n for n in nodes if n not in known]
    if not fresh:
        return dict(known)
    if not known:
        return _full(list(nodes), pairs)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        neighbours[a].add(b)
        neighbours[b].add(a)
    if len(fresh) > FORCE_UP_TO:
        return {**known, **_ringed(fresh, neighbours, known, anchors or {})}
    return {**known, **_around(fresh, pairs, neighbours, known, anchors or {})}


def _full(nodes: list[str], pairs: list[tuple[str, str]]) -> dict[str, Point]:
    """A whole layout, starting from positions hashed from the ids (the same graph always looks the same)."""
    import igraph

    index = {n: i for i, n in enumerate(nodes)}
    graph = igraph.Graph(n=len(nodes), edges=_indexed(pairs, index))
    spread = max(1.0, math.sqrt(len(nodes)))
    seed = [list(_hashed(n, spread)) for n in nodes]
    with _seeded(igraph):
        coords = graph.layout_fruchterman_reingold(seed=seed, niter=500 if len(nodes) <= 2000 else 300)
    points = _apart(_spaced(np.array(coords, dtype=float).reshape(-1, 2)), np.ones(len(nodes), dtype=bool))
    points = points * UNIT
    return _centred({n: (float(x), float(y)) for n, (x, y) in zip(nodes, points.tolist(), strict=True)})


def _spaced(points: np.ndarray) -> np.ndarray:
    """`points` spread out evenly until most nodes have room for their label (a median nearest-neighbour
    distance of SPACING units): FR packs the leaves of a busy node closer than their labels are wide."""
    n = len(points)
    if n < 3:
        return points
    if n > MAX_APART:  # too many for all pairs: give each node a SPACING-sized square of the bounding box
        span = points.max(axis=0) - points.min(axis=0)
        area = float(span[0] * span[1])
        scale = math.sqrt(n * SPACING * SPACING / area) if area > 0 else 1.0
        return points * scale if scale > 1 else points
    gaps = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(gaps, np.inf)
    nearest = float(np.median(gaps.min(axis=1)))
    return points * (SPACING / nearest) if 0 < nearest < SPACING else points


def _around(
    fresh: list[str],
    pairs: list[tuple[str, str]],
    neighbours: Mapping[str, set[str]],
    known: Mapping[str, Point],
    anchors: Mapping[str, str],
) -> dict[str, Point]:
    """Place `fresh` nodes among fixed `known` ones: a ring around each anchor, then a local force pass."""
    import igraph

    start = _ring_starts(fresh, known, anchors, neighbours)
    # Old nodes near the new ones push them (the nearest NEARBY of them, and those they link to); the rest
    # of the graph is too far to matter, and leaving it out keeps an expansion's cost its own.
    linked = {m for n in fresh for m in neighbours.get(n, ()) if m in known}
    names = list(known)
    old = np.array([known[n] for n in names], dtype=float)
    centre = np.array(_centre(start.values()))
    near = np.argsort(np.hypot(*(old - centre).T))[:NEARBY]
    fixed = list(dict.fromkeys([*(names[int(i)] for i in near), *sorted(linked)]))
    order = fresh + fixed
    index = {n: i for i, n in enumerate(order)}
    graph = igraph.Graph(n=len(order), edges=_indexed(pairs, index))
    seed = [[start[n][0] / UNIT, start[n][1] / UNIT] for n in fresh] + [
        [known[n][0] / UNIT, known[n][1] / UNIT] for n in fixed
    ]
    free = len(fresh)
    low_x = [-_FREE] * free + [p[0] for p in seed[free:]]
    high_x = [_FREE] * free + [p[0] for p in seed[free:]]
    low_y = [-_FREE] * free + [p[1] for p in seed[free:]]
    high_y = [_FREE] * free + [p[1] for p in seed[free:]]
    with _seeded(igraph):
        coords = graph.layout_fruchterman_reingold(
            seed=seed,
            niter=120,
            start_temp=1.0,  # new nodes start where they belong: let them settle, not wander
            minx=low_x,
            maxx=high_x,
            miny=low_y,
            maxy=high_y,
            grid=False,  # the pass is local and small; the grid's cells would span the unbounded ones
        )
    moving = np.arange(len(order)) < free
    points = _apart(np.array(coords, dtype=float).reshape(-1, 2), moving)
    return {n: (float(points[i, 0]) * UNIT, float(points[i, 1]) * UNIT) for i, n in enumerate(fresh)}


def _apart(points: np.ndarray, moving: np.ndarray, rounds: int = 30) -> np.ndarray:
    """`points` with overlapping labels pushed apart: two nodes closer than a label box (LABEL_BOX units)
    both move half the overlap along the axis where it is smaller; only `moving` ones move (the others are
    placed or pinned). Skipped above MAX_APART nodes, where labels show only zoomed in."""
    n = len(points)
    if n < 2 or n > MAX_APART or not moving.any():
        return points
    points = points.copy()
    width, height = LABEL_BOX
    for _ in range(rounds):
        dx = points[:, None, 0] - points[None, :, 0]
        dy = points[:, None, 1] - points[None, :, 1]
        over_x = width - np.abs(dx)
        over_y = height - np.abs(dy)
        clash = (over_x > 0) & (over_y > 0)
        np.fill_diagonal(clash, False)
        if not clash.any():
            break
        along_x = clash & (over_x / width <= over_y / height)
        along_y = clash & ~along_x
        sign_x = np.where(dx >= 0, 1.0, -1.0)
        sign_y = np.where(dy >= 0, 1.0, -1.0)
        # Each pair's push, shared: a node whose partner is fixed takes all of it.
        share = np.where(moving[None, :], 0.5, 1.0)
        push_x = (along_x * over_x * sign_x * share).sum(axis=1)
        push_y = (along_y * over_y * sign_y * share).sum(axis=1)
        step = np.column_stack((push_x, push_y)) * moving[:, None]
        points += np.clip(step, -width, width) * 0.5
    return points


def _ring_starts(
    fresh: list[str],
    known: Mapping[str, Point],
    anchors: Mapping[str, str],
    neighbours: Mapping[str, set[str]],
) -> dict[str, Point]:
    """Each new node's start: on a ring around its anchor (or a placed neighbour, or the graph's centre),
    spread evenly over the side of the anchor that faces away from the nodes already around it."""
    groups, loose = _groups(fresh, known, anchors, neighbours)
    centre = _centre(known.values())
    start: dict[str, Point] = {}
    for anchor, members in groups.items():
        ax, ay = known[anchor]
        facing, arc = _facing(known[anchor], _placed_around(anchor, known, neighbours), centre)
        radius = RING * UNIT * max(1.0, math.sqrt(len(members) / 8))
        for i, n in enumerate(members):
            t = facing - arc / 2 + arc * (i + 0.5) / len(members)
            start[n] = (ax + radius * math.cos(t), ay + radius * math.sin(t))
    if loose:
        right = max(p[0] for p in known.values()) + RING * UNIT
        for i, n in enumerate(loose):
            start[n] = (right + (i % 10) * UNIT, centre[1] + (i // 10) * UNIT)
    return start


def _groups(
    fresh: list[str],
    known: Mapping[str, Point],
    anchors: Mapping[str, str],
    neighbours: Mapping[str, set[str]],
) -> tuple[dict[str, list[str]], list[str]]:
    """The new nodes by the placed node they start around (their anchor, else a placed neighbour), and the
    loose ones that have neither."""
    groups: dict[str, list[str]] = defaultdict(list)
    loose: list[str] = []
    for n in fresh:
        anchor = anchors.get(n)
        if anchor is None or anchor not in known:
            anchor = next((m for m in sorted(neighbours.get(n, ())) if m in known), None)
        if anchor is None:
            loose.append(n)
        else:
            groups[anchor].append(n)
    return groups, loose


def _placed_around(
    anchor: str, known: Mapping[str, Point], neighbours: Mapping[str, set[str]]
) -> list[Point]:
    """Where `anchor`'s neighbours that are already placed are: what its new nodes face away from.

    In name order, not the set's: the order of a sum moves their centre by rounding, and the force pass
    makes that a visible difference, so a set order (another in every process) would place them elsewhere.
    """
    return [known[m] for m in sorted(neighbours.get(anchor, ())) if m in known]


def _facing(anchor: Point, around: list[Point], centre: Point) -> tuple[float, float]:
    """The direction (radians) new nodes around `anchor` face, and the arc they spread over: away from what
    is already there (the anchor's placed neighbours `around`, or the graph's centre)."""
    ax, ay = anchor
    ox, oy = _centre(around) if around else centre
    facing = math.atan2(ay - oy, ax - ox) if (ax, ay) != (ox, oy) else 0.0
    arc = math.pi * 2 if not around and (ax, ay) == (ox, oy) else math.pi * 1.5
    return facing, arc


def _ringed(
    fresh: list[str],
    neighbours: Mapping[str, set[str]],
    known: Mapping[str, Point],
    anchors: Mapping[str, str],
) -> dict[str, Point]:
    """Place many `fresh` nodes without a force pass: each anchor's new nodes fill rings around it (circles
    measured in label boxes, so wide ellipses on screen) over the side facing away from what is there, the
    nearest ring first, in their order (a fetch's order: by label). A slot is taken only when a node's label
    box there is clear of every node placed, old or new, so nothing overlaps and nothing old moves."""
    groups, loose = _groups(fresh, known, anchors, neighbours)
    centre = _centre(known.values())
    taken = _Boxes(LABEL_BOX[0] * UNIT, LABEL_BOX[1] * UNIT)
    for point in known.values():
        taken.add(point)
    work = [(known[a], members, _placed_around(a, known, neighbours)) for a, members in groups.items()]
    if loose:  # nothing placed links them: they gather right of the graph
        work.append(((max(p[0] for p in known.values()) + RING * UNIT, centre[1]), loose, []))
    placed: dict[str, Point] = {}
    for anchor, members, around in work:
        facing, arc = _facing(anchor, around, centre)
        slots = _ring_slots(anchor, facing, arc, len(members), taken)
        placed.update(zip(members, slots, strict=True))
    return placed


def _ring_slots(anchor: Point, facing: float, arc: float, count: int, taken: _Boxes) -> list[Point]:
    """`count` clear slots on rings around `anchor` over `arc` centred on `facing`, nearest ring first, each
    ring in angle order (a ring left part-empty is centred on `facing`); each slot taken joins `taken`."""
    width, height = taken.width, taken.height
    ax, ay = anchor
    turn = math.atan2(math.sin(facing) / height, math.cos(facing) / width)  # `facing`, in label boxes
    found: list[tuple[float, int, Point]] = []
    ring = RING
    while len(found) < count:
        slots = max(1, int(arc * ring / SLOT))
        step = arc / slots
        for i in sorted(range(slots), key=lambda k: abs(k - (slots - 1) / 2)):
            t = turn - arc / 2 + step * (i + 0.5)
            point = (ax + ring * math.cos(t) * width, ay + ring * math.sin(t) * height)
            if taken.clear(point):
                taken.add(point)
                found.append((ring, i, point))
                if len(found) == count:
                    break
        ring += SLOT
    return [point for _ring, _i, point in sorted(found)]


class _Boxes:
    """Label boxes placed so far, in a grid of box-sized cells: whether a new one clashes costs nine cells."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self._cells: dict[tuple[int, int], list[Point]] = defaultdict(list)

    def _cell(self, point: Point) -> tuple[int, int]:
        return (math.floor(point[0] / self.width), math.floor(point[1] / self.height))

    def add(self, point: Point) -> None:
        """Mark a node's box at `point` as taken."""
        self._cells[self._cell(point)].append(point)

    def clear(self, point: Point) -> bool:
        """Whether a node's box at `point` overlaps no box taken."""
        cx, cy = self._cell(point)
        x, y = point
        for i in (cx - 1, cx, cx + 1):
            for j in (cy - 1, cy, cy + 1):
                for qx, qy in self._cells.get((i, j), ()):
                    if abs(qx - x) < self.width and abs(qy - y) < self.height:
                        return False
        return True


def _indexed(pairs: list[tuple[str, str]], index: Mapping[str, int]) -> list[tuple[int, int]]:
    """Edges between nodes of `index`, as index pairs (edges to nodes outside it are left out)."""
    return [(index[a], index[b]) for a, b in pairs if a in index and b in index]


def _hashed(node: str, spread: float) -> Point:
    """A start position derived from the id only (crc32, not hash(): the same in every process)."""
    h = zlib.crc32(node.encode())
    return ((h & 0xFFFF) / 0xFFFF * spread, (h >> 16) / 0xFFFF * spread)


def _centre(points: Iterable[Point]) -> Point:
    """The mean of `points` ((0, 0) for none)."""
    xs, ys, count = 0.0, 0.0, 0
    for x, y in points:
        xs, ys, count = xs + x, ys + y, count + 1
    return (xs / count, ys / count) if count else (0.0, 0.0)


def _centred(points: dict[str, Point]) -> dict[str, Point]:
    """`points` moved so that their mean is the origin."""
    cx, cy = _centre(points.values())
    return {n: (x - cx, y - cy) for n, (x, y) in points.items()}
