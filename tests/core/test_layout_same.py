"""The incremental layout's output is pinned: the same graph places its new nodes at the same positions, in
every process (no set order leaks into them) and from one change of core/graph/layout.py to the next."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.graph.layout import FORCE_UP_TO, layout

Point = tuple[float, float]
Graph = tuple[list[str], list[tuple[str, str]], dict[str, Point], dict[str, str]]


def grown(per_anchor: int) -> Graph:
    """A placed hub with 12 leaves over part of a circle and a chain of 5 off one leaf; then new nodes:
    `per_anchor` expanded from the hub and from leaf3 each, 3 linked to chain2 only, and 4 loose."""
    known: dict[str, Point] = {"hub": (0.0, 0.0)}
    edges: list[tuple[str, str]] = []
    for i in range(12):
        t = math.pi * i / 10
        known[f"leaf{i}"] = (300 * math.cos(t), 200 * math.sin(t))
        edges.append(("hub", f"leaf{i}"))
    for i in range(5):
        known[f"chain{i}"] = (600.0 + 150 * i, 40.0 * i)
        edges.append((f"chain{i - 1}" if i else "leaf0", f"chain{i}"))
    nodes, anchors = list(known), {}
    for anchor in ("hub", "leaf3"):
        for i in range(per_anchor):
            node = f"new-{anchor}-{i}"
            nodes.append(node)
            edges.append((anchor, node))
            anchors[node] = anchor
    for i in range(3):
        nodes.append(f"linked{i}")
        edges.append(("chain2", f"linked{i}"))
    nodes += [f"loose{i}" for i in range(4)]
    edges.append(("new-hub-0", "leaf5"))
    return nodes, edges, known, anchors


def placed(per_anchor: int) -> dict[str, Point]:
    nodes, edges, known, anchors = grown(per_anchor)
    return layout(nodes, edges, known=known, anchors=anchors)


#: The force pass (a few new nodes): positions as placed when this test was written.
FORCED = {
    "new-hub-0": (74.114, 71.35),
    "new-hub-1": (105.076, -123.152),
    "new-leaf3-0": (322.116, 240.079),
    "new-leaf3-1": (242.58, 312.983),
    "linked0": (697.659, 115.658),
    "linked2": (729.188, 188.7),
    "loose0": (420.691, 435.184),
    "loose3": (446.195, -183.7),
}
#: The rings (over FORCE_UP_TO new nodes): the same.
RINGED = {
    "new-hub-0": (-58.612, -121.61),
    "new-hub-79": (846.615, -426.649),
    "new-leaf3-0": (373.645, 255.21),
    "new-leaf3-79": (-384.676, 740.149),
    "linked0": (1675.665, -26.709),
    "linked2": (1712.816, 116.12),
    "loose0": (1863.421, 50.84),
    "loose3": (2045.0, 88.941),
}


def test_a_few_new_nodes_are_placed_where_they_were() -> None:
    """The force pass (igraph's FR, seeded): within half a pixel, for igraph's arithmetic."""
    points = placed(2)
    assert len(points) == len(grown(2)[0])
    for node, (x, y) in FORCED.items():
        assert points[node] == pytest.approx((x, y), abs=0.5), node


def test_many_new_nodes_are_placed_where_they_were() -> None:
    """The rings are plain arithmetic: to a thousandth of a pixel."""
    nodes, _edges, known, _anchors = grown(80)
    assert len(nodes) - len(known) > FORCE_UP_TO
    points = placed(80)
    for node, (x, y) in RINGED.items():
        assert points[node] == pytest.approx((x, y), abs=1e-3), node


def test_an_expansion_is_placed_the_same_in_every_process() -> None:
    """Two processes with other string hashes (so other set orders) place the new nodes identically."""
    root = Path(__file__).resolve().parents[2]
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]);"
        "from tests.core.test_layout_same import placed;"
        "print(json.dumps(sorted(placed(2).items())))"
    )
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(root)], env=env, capture_output=True, text=True, check=True
        )
        runs.append(json.loads(done.stdout))
    assert runs[0] == runs[1]
