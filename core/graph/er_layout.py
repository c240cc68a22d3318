"""The schema view's diagrams: which boxes and lines a view shows, and where they go.

A view is an ErDiagram: table boxes (or cluster boxes) with their sizes in scene pixels, the lines between
them and their positions. Tables are laid out in layers (igraph's Sugiyama: referred-to tables above the
tables that refer to them), one connected group at a time, the groups packed in rows and tables with no FK
among the shown ones in a grid beside them; clusters are laid out as a graph of clusters (Fruchterman–
Reingold weighted by the FKs between them), each cluster showing only its strongest links so the overview
stays readable. Nothing here queries: the model is built from the catalog in memory.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from core.graph.er import HOOD_CAP, WHOLE_UP_TO, Clustering, ErModel, ErTable, Mode, clusters
from core.graph.layout import Point

#: Box sizes in scene pixels, from a 9-point font (the view draws the boxes at exactly these sizes).
CHAR = 7.0
HEADER = 26.0
ROW = 17.0
PAD = 10.0
MIN_WIDTH = 110.0
MAX_WIDTH = 300.0
#: Gaps between boxes: beside each other in a layer, between layers, between packed groups.
HGAP = 40.0
VGAP = 70.0
GROUP_GAP = 90.0
#: Each cluster shows lines to at most this many other clusters (its strongest links).
CLUSTER_LINKS = 3

NodeKind = Literal["table", "cluster"]


@dataclass(frozen=True)
class ErNode:
    """A box: a table, or a cluster of `members` tables (drilled into with a double-click)."""

    id: str
    kind: NodeKind
    label: str
    size: tuple[float, float]
    table: ErTable | None = None
    members: tuple[str, ...] = ()
    links: int = 0  # a cluster's link tables


@dataclass(frozen=True)
class ErLink:
    """A line: one FK between tables (`via` names it), or `count` FKs between two clusters."""

    source: str
    target: str
    via: str
    count: int = 1


@dataclass(frozen=True)
class ErDiagram:
    """One view of the schema: boxes, lines, positions (box centres), the boxes to mark, and a note."""

    title: str
    nodes: tuple[ErNode, ...]
    links: tuple[ErLink, ...]
    positions: dict[str, Point]
    focus: tuple[str, ...] = ()
    note: str = ""
    method: str = ""
    mode: Mode = "keys"
    members: tuple[str, ...] | None = field(default=None, compare=False)  # what overview() was given


def box_size(table: ErTable, mode: Mode) -> tuple[float, float]:
    """A table box's width and height in scene pixels for `mode`."""
    rows = table.rows(mode)
    chars = max([len(table.name) + 2, *(len(c.name) + len(c.type) + 6 for c in rows)])
    width = min(MAX_WIDTH, max(MIN_WIDTH, chars * CHAR + 2 * PAD))
    return (width, HEADER + ROW * len(rows) + (6 if rows else 0))


def table_node(table: ErTable, mode: Mode) -> ErNode:
    """The box of one table."""
    return ErNode(table.name, "table", table.name, box_size(table, mode), table=table)


# --- views ------------------------------------------------------------------------------------------


def overview(model: ErModel, mode: Mode = "keys", members: Sequence[str] | None = None) -> ErDiagram:
    """The whole schema (or the tables `members` of a cluster): table by table up to WHOLE_UP_TO tables,
    else as clusters."""
    names = sorted(members if members is not None else model.tables)
    title = "Whole schema" if members is None else f"{len(names):,} tables"
    if len(names) <= WHOLE_UP_TO:
        return _tables(model, names, mode, title=title, members=tuple(members or ()) or None)
    grouping = model.clustering if members is None else clusters(model, names)
    if len(grouping.members) <= 1:  # nothing splits them: drawn table by table after all
        return _tables(model, names, mode, title=title, members=tuple(members or ()) or None)
    return _clusters(model, grouping, mode, title, tuple(members or ()) or None)


def around(model: ErModel, table: str, hops: int, mode: Mode = "keys") -> ErDiagram:
    """`table` and the tables up to `hops` FKs away, laid out in layers."""
    names = model.around(table, hops)
    shown = len(names)
    note = f"Showing the nearest {shown:,} tables." if shown >= HOOD_CAP else ""
    plural = "hop" if hops == 1 else "hops"
    return _tables(model, names, mode, title=f"{table} + {hops} {plural}", focus=(table,), note=note)


def path(model: ErModel, start: str, end: str, mode: Mode = "keys") -> ErDiagram:
    """The shortest FK path from `start` to `end`, one table under the other (an empty diagram with a note
    when there is none)."""
    found = model.path(start, end)
    title = f"{start} → {end}"
    if found is None:
        note = f"No chain of foreign keys links {start} and {end}."
        return ErDiagram(title, (), (), {}, (start, end), note, mode=mode)
    nodes = [table_node(model.tables[n], mode) for n in found]
    steps = {(found[i], found[i + 1]) for i in range(len(found) - 1)}
    links = [
        ErLink(e.source, e.target, e.via)
        for e in model.edges_among(found)
        if (e.source, e.target) in steps or (e.target, e.source) in steps
    ]
    # One FK per step is enough to show the way; several FKs between the same two tables all count.
    y = 0.0
    positions: dict[str, Point] = {}
    for node in nodes:
        h = node.size[1]
        positions[node.id] = (0.0, y + h / 2)
        y += h + VGAP
    hops = len(found) - 1
    note = f"{hops} foreign key{'s' if hops != 1 else ''} apart." if hops else ""
    return ErDiagram(title, tuple(nodes), tuple(links), positions, (start, end), note, mode=mode)


def _tables(
    model: ErModel,
    names: Sequence[str],
    mode: Mode,
    *,
    title: str,
    focus: tuple[str, ...] = (),
    note: str = "",
    members: tuple[str, ...] | None = None,
) -> ErDiagram:
    nodes = [table_node(model.tables[n], mode) for n in names]
    edges = model.edges_among(names)
    links = [ErLink(e.source, e.target, e.via) for e in edges]
    sizes = {n.id: n.size for n in nodes}
    # Referred-to tables above the tables that refer to them: edges go from the target to the source.
    positions = layered(list(names), sizes, [(e.target, e.source) for e in edges])
    return ErDiagram(title, tuple(nodes), tuple(links), positions, focus, note, "tables", mode, members)


def _clusters(
    model: ErModel, grouping: Clustering, mode: Mode, title: str, members: tuple[str, ...] | None
) -> ErDiagram:
    nodes = []
    for key, names in grouping.members.items():
        links = sum(model.tables[n].is_link for n in names)
        label = key
        width = min(MAX_WIDTH, max(150.0, len(label) * 11.0 + 3 * PAD))  # names grow when zoomed out
        height = 56.0 + min(40.0, 6.0 * math.log2(len(names)))
        nodes.append(ErNode(f"cluster:{key}", "cluster", label, (width, height), members=names, links=links))
    strongest = _strongest(grouping.links, CLUSTER_LINKS)
    lines = [ErLink(f"cluster:{a}", f"cluster:{b}", f"{a} — {b}", count) for (a, b), count in strongest]
    sizes = {n.id: n.size for n in nodes}
    positions = _cluster_positions(
        [n.id for n in nodes], sizes, [(a.source, a.target, a.count) for a in lines]
    )
    by = {
        "schema": "schema",
        "group": "group",
        "prefix": "name prefix",
        "community": "foreign-key communities",
    }
    total = sum(len(n.members) for n in nodes)
    note = f"{total:,} tables in {len(nodes)} clusters by {by.get(grouping.method, '')}."
    note += " Double-click a cluster to see its tables."
    return ErDiagram(title, tuple(nodes), tuple(lines), positions, (), note, grouping.method, mode, members)


def _strongest(links: Mapping[tuple[str, str], int], per: int) -> list[tuple[tuple[str, str], int]]:
    """The links that are among the `per` strongest of either of their clusters."""
    ranked: dict[str, list[tuple[int, tuple[str, str]]]] = defaultdict(list)
    for pair, count in links.items():
        ranked[pair[0]].append((count, pair))
        ranked[pair[1]].append((count, pair))
    kept: set[tuple[str, str]] = set()
    for options in ranked.values():
        options.sort(key=lambda item: (-item[0], item[1]))
        kept.update(pair for _count, pair in options[:per])
    return sorted((pair, links[pair]) for pair in kept)


# --- layouts ----------------------------------------------------------------------------------------


def layered(
    ids: list[str], sizes: Mapping[str, tuple[float, float]], pairs: Sequence[tuple[str, str]]
) -> dict[str, Point]:
    """Box centres: each connected group of `ids` in layers (Sugiyama, `pairs` pointing down), the groups
    packed in rows, the boxes with no line among `ids` in a grid after them."""
    import igraph

    index = {n: i for i, n in enumerate(ids)}
    directed = sorted({(index[a], index[b]) for a, b in pairs if a != b and a in index and b in index})
    whole = igraph.Graph(n=len(ids), edges=directed, directed=True)
    blocks: list[dict[str, Point]] = []
    loose: list[str] = []
    for part in whole.connected_components(mode="weak"):
        if len(part) == 1:
            loose.append(ids[part[0]])
            continue
        sub = whole.subgraph(part)
        coords = sub.layout_sugiyama(maxiter=50).coords
        blocks.append(_layers([ids[i] for i in part], coords, sizes))
    blocks.sort(key=lambda b: -len(b))
    if loose:
        blocks.append(_grid(loose, sizes))
    return _pack(blocks, sizes)


def _layers(
    names: list[str], coords: Sequence[Sequence[float]], sizes: Mapping[str, tuple[float, float]]
) -> dict[str, Point]:
    """Sugiyama's (x, layer) turned into pixels: layers as tall as their tallest box, boxes never overlap."""
    rows: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for name, (x, layer) in zip(names, coords, strict=True):
        rows[round(layer)].append((float(x), name))
    # A table referred to by dozens would make a layer dozens of boxes wide: long layers wrap. Each row
    # keeps Sugiyama's order (fewest crossings) and is packed and centred: its x would leave gaps for
    # the long edges' bends, which straight lines do not have.
    per_row = max(6, math.ceil(math.sqrt(len(names)) * 1.5))
    out: dict[str, Point] = {}
    top = 0.0
    for layer in sorted(rows):
        placed = [name for _x, name in sorted(rows[layer])]
        for start in range(0, len(placed), per_row):
            row = placed[start : start + per_row]
            width = sum(sizes[n][0] for n in row) + HGAP * (len(row) - 1)
            left = -width / 2
            for name in row:
                w, h = sizes[name]
                out[name] = (left + w / 2, top + h / 2)
                left += w + HGAP
            last = start + per_row >= len(placed)
            top += max(sizes[n][1] for n in row) + (VGAP if last else VGAP / 2)
    return out


def _grid(names: list[str], sizes: Mapping[str, tuple[float, float]]) -> dict[str, Point]:
    """Boxes in rows of about equal width and height (a square-ish block)."""
    width = max(sizes[n][0] for n in names) + HGAP
    per_row = max(1, math.ceil(math.sqrt(len(names) * 1.6)))
    out: dict[str, Point] = {}
    top = 0.0
    for start in range(0, len(names), per_row):
        row = names[start : start + per_row]
        height = max(sizes[n][1] for n in row)
        for i, name in enumerate(row):
            out[name] = (i * width, top + sizes[name][1] / 2)
        top += height + VGAP / 2
    return out


def _bounds(
    block: Mapping[str, Point], sizes: Mapping[str, tuple[float, float]]
) -> tuple[float, float, float, float]:
    xs0 = min(x - sizes[n][0] / 2 for n, (x, _y) in block.items())
    ys0 = min(y - sizes[n][1] / 2 for n, (_x, y) in block.items())
    xs1 = max(x + sizes[n][0] / 2 for n, (x, _y) in block.items())
    ys1 = max(y + sizes[n][1] / 2 for n, (_x, y) in block.items())
    return xs0, ys0, xs1, ys1


def _pack(blocks: list[dict[str, Point]], sizes: Mapping[str, tuple[float, float]]) -> dict[str, Point]:
    """Blocks side by side in rows no wider than a square of their total area would be (the widest block
    alone excepted), centred on the origin."""
    boxes = [_bounds(b, sizes) for b in blocks]
    area = sum((x1 - x0 + GROUP_GAP) * (y1 - y0 + GROUP_GAP) for x0, y0, x1, y1 in boxes)
    limit = max([math.sqrt(area) * 1.4, *(x1 - x0 for x0, _y0, x1, _y1 in boxes)])
    out: dict[str, Point] = {}
    left = top = row_height = 0.0
    for block, (x0, y0, x1, y1) in zip(blocks, boxes, strict=True):
        if left > 0 and left + (x1 - x0) > limit:
            left, top, row_height = 0.0, top + row_height + GROUP_GAP, 0.0
        for name, (x, y) in block.items():
            out[name] = (x - x0 + left, y - y0 + top)
        left += x1 - x0 + GROUP_GAP
        row_height = max(row_height, y1 - y0)
    return _centred(out)


def _cluster_positions(
    ids: list[str], sizes: Mapping[str, tuple[float, float]], lines: Sequence[tuple[str, str, int]]
) -> dict[str, Point]:
    """Cluster boxes: a weighted force layout, spread until no two boxes overlap."""
    import igraph

    if not ids:
        return {}
    index = {n: i for i, n in enumerate(ids)}
    graph = igraph.Graph(n=len(ids), edges=[(index[a], index[b]) for a, b, _c in lines])
    weights = [1.0 + math.log(c) for _a, _b, c in lines]
    rng = random.Random(11)
    seed = [[rng.random(), rng.random()] for _ in ids]
    coords = np.array(
        graph.layout_fruchterman_reingold(seed=seed, weights=weights or None, niter=500).coords, dtype=float
    ).reshape(-1, 2)
    box = np.array([sizes[n] for n in ids], dtype=float) + np.array([HGAP * 1.5, VGAP])
    linked = {n for a, b, _c in lines for n in (a, b)}
    if linked and len(linked) < len(ids):
        # FR pushes clusters with no line far away: they go in a column beside the others instead.
        inside = np.array([n in linked for n in ids])
        placed = _spread(coords[inside], box[inside])
        right = float((placed[:, 0] + box[inside, 0] / 2).max()) + GROUP_GAP
        top = float((placed[:, 1] - box[inside, 1] / 2).min())
        points = np.zeros((len(ids), 2))
        points[inside] = placed
        for i in np.flatnonzero(~inside).tolist():
            points[i] = (right + box[i, 0] / 2, top + box[i, 1] / 2)
            top += box[i, 1]
    else:
        points = _spread(coords, box)
    return _centred({n: (float(x), float(y)) for n, (x, y) in zip(ids, points.tolist(), strict=True)})


def _spread(points: np.ndarray, box: np.ndarray, rounds: int = 200) -> np.ndarray:
    """`points` scaled so that linked neighbours sit about a box apart, then pushed apart until no two boxes
    (`box` each one's width and height, gaps included) overlap."""
    n = len(points)
    if n < 2:
        return points * 0
    gaps = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(gaps, np.inf)
    nearest = float(np.median(gaps.min(axis=1))) or 1.0
    points = points * (float(np.median(box[:, 0])) / nearest)
    half = box / 2
    for _ in range(rounds):
        dx = points[:, None, 0] - points[None, :, 0]
        dy = points[:, None, 1] - points[None, :, 1]
        over_x = half[:, None, 0] + half[None, :, 0] - np.abs(dx)
        over_y = half[:, None, 1] + half[None, :, 1] - np.abs(dy)
        clash = (over_x > 0) & (over_y > 0)
        np.fill_diagonal(clash, False)
        if not clash.any():
            break
        along_x = clash & (over_x / box[:, None, 0] <= over_y / box[:, None, 1])
        along_y = clash & ~along_x
        sign_x = np.where(dx >= 0, 1.0, -1.0)
        sign_y = np.where(dy >= 0, 1.0, -1.0)
        push_x = (along_x * over_x * sign_x).sum(axis=1) * 0.5
        push_y = (along_y * over_y * sign_y).sum(axis=1) * 0.5
        points = points + np.column_stack((push_x, push_y)) * 0.6
    return points


def _centred(points: dict[str, Point]) -> dict[str, Point]:
    if not points:
        return points
    cx = sum(p[0] for p in points.values()) / len(points)
    cy = sum(p[1] for p in points.values()) / len(points)
    return {n: (x - cx, y - cy) for n, (x, y) in points.items()}
