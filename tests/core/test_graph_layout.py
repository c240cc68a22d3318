"""The record graph's layout: whole, incremental (old nodes and pins stay put), and remembered per start."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from core.graph.layout import FORCE_UP_TO, LABEL_BOX, UNIT, layout
from core.graph.layout_store import SavedLayout, load_layout, save_layout, store_path


def _star(centre: str, count: int, prefix: str) -> tuple[list[str], list[tuple[str, str]]]:
    leaves = [f"{prefix}{i}" for i in range(count)]
    return leaves, [(centre, leaf) for leaf in leaves]


def test_first_layout_places_every_node_apart() -> None:
    """Every node gets a position; no two share one; neighbours sit about a unit from their centre."""
    leaves, edges = _star("c", 20, "n")
    positions = layout(["c", *leaves], edges)
    assert set(positions) == {"c", *leaves}
    points = list(positions.values())
    closest = min(math.dist(a, b) for i, a in enumerate(points) for b in points[i + 1 :])
    assert closest > 0.3 * UNIT
    assert all(0.5 * UNIT < math.dist(positions["c"], positions[leaf]) < 5 * UNIT for leaf in leaves)


def test_first_layout_is_the_same_every_time() -> None:
    leaves, edges = _star("c", 12, "n")
    assert layout(["c", *leaves], edges) == layout(["c", *leaves], edges)


def test_expanding_keeps_every_existing_node_where_it_is() -> None:
    """Nodes already placed (the pinned one included) do not move; the new ones land near their parent."""
    first, edges = _star("c", 15, "n")
    before = layout(["c", *first], edges)
    pinned = dict(before)
    pinned["n3"] = (before["n3"][0] + 700.0, before["n3"][1] - 400.0)  # the user dragged it away
    added, more = _star("n3", 25, "m")
    after = layout(["c", *first, *added], edges + more, known=pinned, anchors=dict.fromkeys(added, "n3"))
    for node, point in pinned.items():
        assert after[node] == point
    parent = after["n3"]
    far = max(math.dist(parent, after[m]) for m in added)
    assert far < 6 * UNIT, "new nodes are laid out around the node they were expanded from"
    old_points = list(pinned.values())
    for m in added:
        assert min(math.dist(after[m], p) for p in old_points) > 0.2 * UNIT


def test_nothing_new_changes_nothing() -> None:
    leaves, edges = _star("c", 5, "n")
    placed = layout(["c", *leaves], edges)
    assert layout(["c", *leaves], edges, known=placed) == placed


def test_expanding_a_big_graph_lays_out_only_the_neighbourhood() -> None:
    """Adding 30 nodes to a placed graph of 3,000 stays fast: old nodes far away are not in the pass."""
    import time

    nodes = [f"n{i}" for i in range(3000)]
    edges = [(f"n{i}", f"n{i // 3}") for i in range(1, 3000)]
    placed = {n: ((i % 60) * UNIT, (i // 60) * UNIT) for i, n in enumerate(nodes)}
    added, more = _star("n0", 30, "m")
    started = time.perf_counter()
    after = layout(nodes + added, edges + more, known=placed, anchors=dict.fromkeys(added, "n0"))
    assert time.perf_counter() - started < 1.0
    assert all(after[n] == placed[n] for n in nodes)


@pytest.mark.usefixtures("_own_data_dir")
def test_layouts_are_remembered_per_database_and_start() -> None:
    saved = SavedLayout({"a": (1.5, -2.0), "b": (300.25, 4.0)}, frozenset({"b"}))
    save_layout("demo.db", "locations:[1]", saved)
    save_layout("demo.db", "locations:[2]", SavedLayout({"z": (0.0, 0.0)}))
    assert load_layout("demo.db", "locations:[1]") == SavedLayout(
        {"a": (1.5, -2.0), "b": (300.2, 4.0)}, frozenset({"b"})
    )
    assert load_layout("other.db", "locations:[1]") == SavedLayout()
    assert load_layout("demo.db", "locations:[2]").positions == {"z": (0.0, 0.0)}


@pytest.mark.usefixtures("_own_data_dir")
def test_an_unreadable_layout_file_starts_afresh() -> None:
    store_path().parent.mkdir(parents=True, exist_ok=True)
    store_path().write_text("{not json", encoding="utf-8")
    assert load_layout("demo.db", "x") == SavedLayout()
    save_layout("demo.db", "x", SavedLayout({"x": (1.0, 2.0)}))
    assert load_layout("demo.db", "x").positions == {"x": (1.0, 2.0)}


@pytest.fixture
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_DATA_DIR", str(tmp_path / "data"))


def _clashes(points: dict[str, tuple[float, float]], new: set[str]) -> list[tuple[str, str]]:
    """Pairs of nodes, one of them new, whose label boxes (LABEL_BOX) overlap."""
    width, height = LABEL_BOX[0] * UNIT, LABEL_BOX[1] * UNIT
    names = sorted(points)
    return [
        (a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if (a in new or b in new)
        and abs(points[a][0] - points[b][0]) < width
        and abs(points[a][1] - points[b][1]) < height
    ]


def test_expanding_by_a_thousand_places_them_on_rings_clear_of_every_label() -> None:
    """A busy node expanded with a high cap: 1,000 new nodes, above FORCE_UP_TO, take ring slots around
    their parent; old nodes stay put, and no new label box overlaps an old one or another new one."""
    first, edges = _star("c", 12, "n")
    before = layout(["c", *first], edges)
    added, more = _star("n4", 1000, "m")
    assert len(added) > FORCE_UP_TO
    after = layout(["c", *first, *added], edges + more, known=before, anchors=dict.fromkeys(added, "n4"))
    assert all(after[n] == p for n, p in before.items())
    assert set(after) == {"c", *first, *added}
    assert _clashes(after, set(added)) == []
    # Around their parent, the nearest ring first: the first new nodes (a fetch's order) sit closest
    distance = [math.dist(after["n4"], after[m]) for m in added]
    assert distance[0] < 4 * UNIT and distance[0] <= distance[-1]
    assert max(distance) < 60 * UNIT  # rings, not a line: 1,000 labels fit within 6,000 pixels


def test_ring_slots_avoid_old_nodes_in_the_way() -> None:
    """Old nodes packed right where the rings go: the new nodes skip those slots, and nothing overlaps."""
    known = {"hub": (0.0, 0.0)}
    known |= {f"old{i}": ((i % 10 - 5) * 160.0, (i // 10 - 5) * 70.0 + 35.0) for i in range(100)}
    known.pop("old55", None)
    added = [f"m{i}" for i in range(400)]
    after = layout(
        [*known, *added], [("hub", m) for m in added], known=known, anchors=dict.fromkeys(added, "hub")
    )
    assert all(after[n] == p for n, p in known.items())
    assert _clashes(after, set(added)) == []
