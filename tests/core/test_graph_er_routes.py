"""Orthogonal routes of the schema view: every segment horizontal or vertical, ends on the two boxes'
facing sides, lines kept out of other boxes where a bend-less detour exists, ports spread along a side,
an FK to its own table as a loop; on the reference schema's layered diagram and on hand-made boxes."""

from __future__ import annotations

import itertools

import pytest

from core.engine.db import open_database
from core.graph import er_layout
from core.graph.er import er_model
from core.graph.er_routes import Box, boxes_of, is_orthogonal, orthogonal_routes
from core.schema.catalog import Catalog
from core.schema.load import load_catalog


def inside(p: tuple[float, float], box: Box) -> bool:
    return box.left + 0.5 < p[0] < box.right - 0.5 and box.top + 0.5 < p[1] < box.bottom - 0.5


def on_border(p: tuple[float, float], box: Box) -> bool:
    on_x = box.left - 0.01 <= p[0] <= box.right + 0.01
    on_y = box.top - 0.01 <= p[1] <= box.bottom + 0.01
    edge = min(abs(p[0] - box.left), abs(p[0] - box.right), abs(p[1] - box.top), abs(p[1] - box.bottom))
    return on_x and on_y and edge < 0.01


def crosses(route: list[tuple[float, float]], box: Box) -> bool:
    """Whether a segment of `route` passes through the inside of `box`."""
    for (ax, ay), (bx, by) in itertools.pairwise(route):
        if (
            max(ax, bx) > box.left
            and min(ax, bx) < box.right
            and max(ay, by) > box.top
            and min(ay, by) < box.bottom
        ):
            return True
    return False


def crosses_line(a: tuple[float, float], b: tuple[float, float], box: Box, steps: int = 100) -> bool:
    """Whether the straight line a → b passes through the inside of `box` (sampled)."""
    for k in range(1, steps):
        t = k / steps
        x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        if box.left < x < box.right and box.top < y < box.bottom:
            return True
    return False


def test_a_box_above_another_is_joined_top_to_bottom_with_two_bends() -> None:
    boxes = {"child": Box(0, 300, 120, 60), "parent": Box(400, 0, 120, 60)}
    (route,) = orthogonal_routes(boxes, [("child", "parent")])
    assert is_orthogonal(route) and len(route) == 4
    assert route[0][1] == boxes["child"].top and route[-1][1] == boxes["parent"].bottom
    assert on_border(route[0], boxes["child"]) and on_border(route[-1], boxes["parent"])
    # the middle segment runs in the gap between the two rows
    assert boxes["parent"].bottom < route[1][1] < boxes["child"].top


def test_boxes_side_by_side_are_joined_left_to_right() -> None:
    boxes = {"a": Box(0, 0, 100, 80), "b": Box(300, 20, 100, 80)}
    (route,) = orthogonal_routes(boxes, [("a", "b")])
    assert is_orthogonal(route)
    assert route[0][0] == boxes["a"].right and route[-1][0] == boxes["b"].left


def test_a_route_goes_around_a_box_in_its_way_when_a_channel_is_free() -> None:
    """A box sits where the half-way bend would cross it: the route bends next to an end box instead."""
    boxes = {
        "child": Box(0, 400, 100, 50),
        "parent": Box(600, 0, 100, 50),
        "middle": Box(300, 200, 500, 60),  # across the half-way channel
    }
    (route,) = orthogonal_routes(boxes, [("child", "parent")])
    assert is_orthogonal(route)
    assert not crosses(route, boxes["middle"])


def test_lines_sharing_a_side_leave_from_separate_ports_and_a_self_reference_loops() -> None:
    boxes = {
        "hub": Box(0, 0, 200, 60),
        "a": Box(-300, 300, 100, 50),
        "b": Box(0, 300, 100, 50),
        "c": Box(300, 300, 100, 50),
    }
    routes = orthogonal_routes(boxes, [("a", "hub"), ("b", "hub"), ("c", "hub"), ("hub", "hub")])
    assert all(is_orthogonal(r) for r in routes)
    ports = [r[-1] for r in routes[:3]]
    assert len({p for p in ports}) == 3 and all(on_border(p, boxes["hub"]) for p in ports)
    assert [p[0] for p in ports] == sorted(p[0] for p in ports)  # in the order of where they come from
    loop = routes[3]
    assert (
        len(loop) == 4 and loop[0][0] == loop[-1][0] == boxes["hub"].right and loop[1][0] > boxes["hub"].right
    )


@pytest.mark.parametrize("mode", ["names", "keys", "all"])
def test_the_reference_schema_is_routed_at_right_angles_out_of_the_boxes(
    demo_copy_path: str, mode: str
) -> None:
    db = open_database(demo_copy_path)
    try:
        catalog: Catalog = load_catalog(db)
        diagram = er_layout.overview(er_model(catalog), mode)  # type: ignore[arg-type]
    finally:
        db.dispose()
    boxes = boxes_of(diagram.positions, {n.id: n.size for n in diagram.nodes})
    links = [(link.source, link.target) for link in diagram.links]
    routes = orthogonal_routes(boxes, links)
    assert len(routes) == len(links) > 20
    through = 0
    for (a, b), route in zip(links, routes, strict=True):
        assert is_orthogonal(route) and 2 <= len(route) <= 6
        assert on_border(route[0], boxes[a]) and on_border(route[-1], boxes[b])
        assert not any(inside(p, boxes[a]) or inside(p, boxes[b]) for p in route)
        through += sum(crosses(route, box) for name, box in boxes.items() if name not in (a, b))
    # No line crosses another box (straight lines between the same boxes do)
    straight = sum(
        crosses_line((boxes[a].x, boxes[a].y), (boxes[b].x, boxes[b].y), box)
        for a, b in links
        for name, box in boxes.items()
        if name not in (a, b)
    )
    assert through == 0 < straight
