"""Record graph bench, the paint side (bench/graph_fetch.py times the reads): layout and frames, by hand.

    python bench/graph.py [--nodes 5000] [--edges 10000] [--repeat 15]

A synthetic graph (a random tree plus random extra edges, nodes of 8 entities, a fifth of the edges link
rows, a few aggregate nodes) is laid out with core.graph.layout (igraph Fruchterman–Reingold), then shown
in Warden's GraphView (gui/graph) and in a naive QGraphicsView of the same scene: one QGraphicsEllipseItem,
one QGraphicsSimpleTextItem label and one QGraphicsLineItem per node and edge, antialiased, BSP index,
no level of detail. Both views are 1200x800 offscreen; a frame is a synchronous repaint of the viewport
(its real paintEvent into the window's backing store), fully zoomed out (the whole graph fitted) and
zoomed in (zoom 1, the centre). "first ms" is the first frame at that zoom (Warden's node items render
into their per-zoom cache then; later frames, as when panning or hovering, blit it).
Also timed: building Warden's scene, and expanding one node of the laid-out graph by 50 new neighbours
(the incremental layout: only the new nodes move).
"""

from __future__ import annotations

import argparse
import os
import random
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import Table, Timing, banner, fmt_ms, measure
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
)

from core.graph.layout import Point, layout
from core.graph.model import GraphEdge, GraphNode, Neighbourhood
from gui.graph import style
from gui.graph.document import GraphDocument
from gui.graph.scene import GraphScene
from gui.graph.view import GraphView

ENTITIES = ("locations", "npcs", "objects", "regions", "players", "game_sessions", "player_history", "users")
SIZE = (1200, 800)


def synthetic(nodes: int, edges: int, seed: int = 11) -> Neighbourhood:
    """A connected random graph of `nodes` nodes and `edges` edges, as the core hands it to the view."""
    rng = random.Random(seed)
    graph_nodes = []
    for i in range(nodes):
        entity = ENTITIES[i % len(ENTITIES)]
        if i % 500 == 499:
            graph_nodes.append(
                GraphNode(f"+n{i}", entity, None, "", aggregate=True, count=rng.randrange(60, 9000))
            )
        else:
            graph_nodes.append(GraphNode(f"n{i}", entity, (i,), f"{entity[:-1].title()} {i}"))
    ids = [n.id for n in graph_nodes]
    pairs = {(ids[i], ids[rng.randrange(i)]) for i in range(1, nodes)}
    while len(pairs) < edges:
        a, b = rng.sample(ids, 2)
        pairs.add((a, b))
    graph_edges = []
    for k, (a, b) in enumerate(sorted(pairs)):
        if k % 5 == 0:
            graph_edges.append(
                GraphEdge(a, b, "link", "location_connections", {"direction": "north", "type": "path"})
            )
        else:
            graph_edges.append(GraphEdge(a, b, "fk", "npcs.location_id", {}))
    return Neighbourhood(tuple(graph_nodes), tuple(graph_edges))


def naive_scene(hood: Neighbourhood, positions: dict[str, Point]) -> QGraphicsScene:
    """The same graph as one stock item per node, label and edge: what a first QGraphicsView attempt draws."""
    scene = QGraphicsScene()
    r = style.RADIUS
    for e in hood.edges:
        (x1, y1), (x2, y2) = positions[e.source], positions[e.target]
        line = QGraphicsLineItem(x1, y1, x2, y2)
        line.setPen(QPen(style.LINK_EDGE if e.kind == "link" else style.FK_EDGE, 1.4))
        line.setZValue(-1)
        scene.addItem(line)
    for n in hood.nodes:
        x, y = positions[n.id]
        dot = QGraphicsEllipseItem(-r, -r, 2 * r, 2 * r)
        dot.setBrush(QBrush(style.entity_style(n.entity).colour))
        dot.setPen(QPen(QColor("#ffffff"), 2))
        dot.setPos(x, y)
        label = QGraphicsSimpleTextItem(n.label or f"+{n.count} {n.entity}", dot)
        label.setPos(-label.boundingRect().width() / 2, r + 3)
        scene.addItem(dot)
    return scene


def frame_ms(view: QGraphicsView, repeat: int) -> Timing:
    """Time repainting the whole viewport (its paintEvent, into the offscreen window's backing store, as on
    screen: item caches apply), `repeat` times; the first (uncounted) frame is `cold`."""
    return measure(view.viewport().repaint, repeat, warmup=1)


def zoom_out(view: QGraphicsView, bounds: QRectF) -> None:
    view.fitInView(bounds, Qt.AspectRatioMode.KeepAspectRatio)
    if isinstance(view, GraphView):
        view.graph.set_zoom(view.zoom)


def zoom_in(view: QGraphicsView, bounds: QRectF) -> None:
    view.resetTransform()
    if isinstance(view, GraphView):
        view.set_zoom(1.0)
    view.centerOn(bounds.center())


def main() -> None:
    """Lay out the synthetic graph, time both views' frames, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--edges", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    print(banner(f"record graph: layout and paint, {args.nodes:,} nodes, {args.edges:,} edges"))
    hood = synthetic(args.nodes, args.edges)
    ids = [n.id for n in hood.nodes]
    pairs = [(e.source, e.target) for e in hood.edges]
    table = Table(["measurement", "median ms", "p90 ms", "first ms", "naive median ms", "Warden / naive"])
    add = table.add

    def row(*cells: object) -> None:
        add(*cells, *([""] * (6 - len(cells))))

    table.add = row  # type: ignore[method-assign]  # rows without a naive side leave its columns empty

    timing = measure(lambda: layout(ids, pairs), max(1, args.repeat // 5), warmup=1)
    positions: dict[str, Point] = timing.result
    table.add(
        "layout (Fruchterman–Reingold, whole)", fmt_ms(timing.median), fmt_ms(timing.p90), fmt_ms(timing.cold)
    )

    hub = ids[0]
    new = [f"new{i}" for i in range(50)]
    grown_ids = ids + new
    grown_pairs = pairs + [(hub, n) for n in new]
    timing = measure(
        lambda: layout(grown_ids, grown_pairs, known=positions, anchors=dict.fromkeys(new, hub)), args.repeat
    )
    table.add("layout: expand one node by 50", fmt_ms(timing.median), fmt_ms(timing.p90), fmt_ms(timing.cold))

    doc = GraphDocument(ids[0], hood, dict(positions), set())
    scene = GraphScene()
    started = time.perf_counter()
    scene.show_document(doc)
    table.add("build Warden's scene", fmt_ms((time.perf_counter() - started) * 1000), "", "")
    view = GraphView(scene)
    view.resize(*SIZE)
    view.show()
    started = time.perf_counter()
    naive = naive_scene(hood, positions)
    naive_build = (time.perf_counter() - started) * 1000
    naive_view = QGraphicsView(naive)
    naive_view.setRenderHint(QPainter.RenderHint.Antialiasing)
    naive_view.resize(*SIZE)
    naive_view.show()
    app.processEvents()
    table.add("build naive scene", fmt_ms(naive_build), "", "")
    bounds = naive.itemsBoundingRect()
    for name, place in (
        ("frame, zoomed out (whole graph)", zoom_out),
        ("frame, zoomed in (zoom 1)", zoom_in),
    ):
        place(view, bounds)
        place(naive_view, bounds)
        app.processEvents()
        ours = frame_ms(view, args.repeat)
        theirs = frame_ms(naive_view, args.repeat)
        zoom = f" at zoom {view.zoom:.2f}"
        table.add(
            name + zoom,
            fmt_ms(ours.median),
            fmt_ms(ours.p90),
            fmt_ms(ours.cold),
            fmt_ms(theirs.median),
            f"{ours.median / theirs.median:.{2 if ours.median >= 0.01 * theirs.median else 4}f}x",
        )
    print(table.render())
    print("goals: a frame in 33 ms or less with level of detail, and at most 0.5x the naive view's")


if __name__ == "__main__":
    main()
