"""Schema view bench (issue 11): a generated 2,500-table reflected schema opened as clusters, "table + 1
hop" and a shortest FK path.

    python bench/graph_er.py                 # 2,500 tables, 5 runs each
    python bench/graph_er.py --tables 500 --repeat 9

The schema is bench/catalog.py's (seeded; cached under bench/.data/catalog-<n>-*.db): tables with 1–3 FKs to
earlier ones, a view every 100th. Its catalog is loaded once (not timed: the schema view starts from the
catalog in memory). Measured, medians over --repeat runs after one warm-up:

- open as clusters: the ER model from the catalog, the clusters and their layout (the worker's part), then
  the scene built, fitted and painted offscreen (the GUI thread's part);
- drill into a cluster: its tables laid out in layers, then shown and painted;
- table + 1 hop: the busiest table (most FKs either way) and a median one, laid out, shown and painted;
- shortest path: between tables picked at random (seeded), found and laid out.

Goals: open as clusters ≤ 2 s; table + 1 hop ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
from collections.abc import Callable
from typing import Any

from _common import REPO_ROOT, Table, Timing, banner, fmt_ms, measure

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CLUSTERS_GOAL_MS = 2000.0
HOP_GOAL_MS = 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tables", type=int, default=2500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from catalog import sqlite_schema_file  # bench/catalog.py: the same generated schema
    from PySide6.QtWidgets import QApplication

    from core.engine.db import open_database
    from core.graph import er_layout
    from core.graph.er import er_model
    from core.schema.load import load_catalog
    from gui.graph.er_scene import ErScene
    from gui.graph.view import GraphView

    print(banner(f"Schema view: {args.tables:,} tables"))
    path = sqlite_schema_file(args.tables)
    app = QApplication.instance() or QApplication([])
    db = open_database(path)
    catalog = load_catalog(db)
    scene = ErScene()
    view = GraphView(scene)
    view.resize(1400, 900)
    view.show()

    def paint(diagram: er_layout.ErDiagram) -> None:
        scene.show_diagram(diagram)
        view.fit()
        view.grab()  # a whole frame, painted
        app.processEvents()

    def core_clusters() -> er_layout.ErDiagram:
        return er_layout.overview(er_model(catalog))

    model = er_model(catalog)
    overview = er_layout.overview(model)
    cluster = max(overview.nodes, key=lambda n: len(n.members))
    degree = {t: len(ns) for t, ns in model.neighbours.items()}
    busiest = max(degree, key=lambda t: (degree[t], t))
    typical = sorted(degree, key=lambda t: (degree[t], t))[len(degree) // 2]
    rng = random.Random(11)
    tables = sorted(t for t in model.tables if model.tables[t].kind == "table")
    pairs = [tuple(rng.sample(tables, 2)) for _ in range(args.repeat + 1)]
    pair_iter = iter(pairs * 3)

    def shortest() -> er_layout.ErDiagram:
        a, b = next(pair_iter)
        return er_layout.path(model, a, b)

    measured: list[tuple[str, Timing, Timing | None, float | None]] = []

    def row(label: str, core: Callable[[], Any], goal: float | None = None, *, shown: bool = True) -> None:
        t_core = measure(core, args.repeat)
        t_all = measure(lambda: paint(core()), args.repeat) if shown else None
        measured.append((label, t_core, t_all, goal))

    row("open as clusters", core_clusters, CLUSTERS_GOAL_MS)
    row(
        f"drill into {cluster.label} ({len(cluster.members)} tables)",
        lambda: er_layout.overview(model, members=cluster.members),
    )
    row(
        f"table + 1 hop: {busiest} ({degree[busiest]} FKs)",
        lambda: er_layout.around(model, busiest, 1),
        HOP_GOAL_MS,
    )
    row(
        f"table + 1 hop: {typical} ({degree[typical]} FKs)",
        lambda: er_layout.around(model, typical, 1),
        HOP_GOAL_MS,
    )
    row("table + 2 hops (busiest)", lambda: er_layout.around(model, busiest, 2))
    row("shortest path (random pairs)", shortest)

    table = Table(["view", "model + layout (ms)", "+ scene and paint (ms)", "goal (ms)", "met"])
    for label, t_core, t_all, goal in measured:
        total = t_all.median if t_all is not None else t_core.median
        table.add(
            label,
            fmt_ms(t_core.median),
            fmt_ms(t_all.median) if t_all is not None else "",
            fmt_ms(goal) if goal else "",
            ("yes" if total <= goal else "NO") if goal else "",
        )
    print(table.render())
    lengths = [len(model.path(a, b) or []) - 1 for a, b in pairs]
    print(f"\n{len(model.tables):,} tables, {len(model.edges):,} FKs; {overview.note}")
    print(f"path lengths (FKs): median {statistics.median(lengths)}, max {max(lengths)}")
    print(f"medians of {args.repeat} runs after one warm-up; repository {REPO_ROOT.name}")
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
