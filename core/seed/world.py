"""The game world: nested regions, a connected map of locations, NPCs, objects and what they offer."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from core.seed.common import DAY, EXTRA_EDGES, FIXED_COUNTS, PORTALS, split, stream
from core.seed.text.objects import (
    OBJECT_NOUNS,
    WEIGHTS,
    interaction_result,
    object_description,
    object_name,
    object_properties,
)
from core.seed.text.people import npc_description, npc_knowledge, npc_name, personality, relationship_note
from core.seed.text.places import (
    THEMES,
    connection_description,
    location_full,
    location_name,
    location_short,
    location_state,
    region_description,
    region_name,
)
from core.seed.writer import Writer

_DELTAS = {"north": (0, 1), "south": (0, -1), "east": (1, 0), "west": (-1, 0), "northeast": (1, 1),
           "northwest": (-1, 1), "southeast": (1, -1), "southwest": (-1, -1)}
#: The direction of the way back.
OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east", "northeast": "southwest",
            "southwest": "northeast", "northwest": "southeast", "southeast": "northwest", "up": "down",
            "down": "up", "in": "out", "out": "in"}
_MINUTES = {"road": (10, 45), "path": (5, 30), "bridge": (2, 10), "door": (1, 1), "stairs": (1, 3),
            "ladder": (1, 2), "tunnel": (3, 15), "gate": (1, 3), "river": (20, 60), "portal": (1, 1)}
_INTERIOR = {"building": "in", "dungeon": "down", "cave": "down"}
_NPC_TYPES = {
    "town": ("merchant", "guard", "innkeeper", "priest", "smith", "villager", "quest_giver", "scholar"),
    "village": ("villager", "villager", "merchant", "quest_giver", "smith"),
    "building": ("innkeeper", "merchant", "scholar", "priest", "smith", "guard"),
}
_WILD_NPCS = ("creature", "creature", "quest_giver", "villager")
_INTERACTIONS = {"weapon": ("wield", "examine"), "armor": ("use", "examine"), "tool": ("use", "combine"),
                 "key": ("use", "examine"), "treasure": ("examine",), "consumable": ("eat", "use"),
                 "furniture": ("use", "examine"), "document": ("read",), "container": ("open", "unlock"),
                 "trinket": ("examine", "use")}
_STRENGTH = {"friend": (20, 90), "rival": (-60, -10), "family": (30, 100), "employer": (0, 60),
             "enemy": (-100, -50), "mentor": (30, 90), "lover": (50, 100), "debtor": (-40, 30)}


@dataclass
class World:
    """What later sections need to know about the world: ids, names and where things are."""

    loc_ids: list[Any] = field(default_factory=list)
    loc_names: list[str] = field(default_factory=list)
    loc_types: list[str] = field(default_factory=list)
    exits: list[dict[str, int]] = field(default_factory=list)
    npc_ids: list[Any] = field(default_factory=list)
    npc_names: list[str] = field(default_factory=list)
    npc_types: list[str] = field(default_factory=list)
    npc_topics: list[list[str]] = field(default_factory=list)
    npcs_at: dict[int, list[int]] = field(default_factory=dict)
    obj_ids: list[Any] = field(default_factory=list)
    obj_names: list[str] = field(default_factory=list)
    obj_types: list[str] = field(default_factory=list)
    takeable: list[int] = field(default_factory=list)
    takeable_at: dict[int, list[int]] = field(default_factory=dict)


def add_world(w: Writer, seed: int) -> World:
    """Regions, a connected map of locations, NPCs, objects and what can be done with them."""
    world = World()
    themes, region_ids = _regions(w, stream(seed, "regions"))
    _locations(w, stream(seed, "locations"), world, themes, region_ids)
    _npcs(w, stream(seed, "npcs"), world)
    _objects(w, stream(seed, "objects"), world)
    return world


def _regions(w: Writer, rng: random.Random) -> tuple[list[str], list[Any]]:
    """Three realms of three provinces; one province is a city of four districts.

    Returns each region's theme ("" for realms, which hold no locations of their own) and its id.
    """
    w.table("regions", "id name description parent_region_id climate danger_level version "
                       "created_at updated_at")
    plain = [t for t in THEMES if t != "city"]
    layout: list[tuple[int, str, int | None]] = []  # (level, theme, parent index)
    for realm in range(3):
        layout.append((0, rng.choice(plain), None))
        top = len(layout) - 1
        for theme in ["plains", "city", "forest"] if realm == 0 else rng.sample(plain, 3):
            layout.append((1, theme, top))
            if theme == "city":
                city = len(layout) - 1
                layout.extend((2, "city", city) for _ in range(4))
    ids: list[Any] = []
    names: list[str] = []
    for i, (level, theme, parent) in enumerate(layout):
        ids.append(w.uid(rng))
        names.append(region_name(rng, level, theme))
        up = None if parent is None else names[parent]
        created = -400 * DAY + i * 3600
        changed = created + rng.randint(0, 90) * DAY
        w.add("regions", (ids[i], names[i], region_description(rng, names[i], theme, up),
                          None if parent is None else ids[parent], THEMES[theme]["climate"],
                          rng.randint(1, 3) + level * 2, 1, w.ts(created), w.ts(changed)))
    return [theme if level else "" for level, theme, _ in layout], ids


def _locations(
    w: Writer, rng: random.Random, world: World, themes: list[str], region_ids: list[Any]
) -> None:
    """Grow the map region by region as a spanning tree on a grid, then add loops and portals.

    Outdoor places sit on grid cells and link to a neighbouring cell, so directions are geometric
    and each way back is the opposite; buildings hang off a cell through a door ("in"), dungeons
    and caves through stairs ("down").
    """
    holders = [i for i, t in enumerate(themes) if t]
    sizes = [7 + s for s in split(rng, FIXED_COUNTS["locations"] - 7 * len(holders), len(holders))]
    cells: dict[tuple[int, int], int] = {}
    where: list[tuple[int, int] | None] = []
    region_of: list[int] = []
    edges: list[tuple[int, int, str, str]] = []  # (a, b, direction from a to b, connection type)
    taken: set[str] = set()

    def connect(a: int, b: int, direction: str, ctype: str) -> None:
        edges.append((a, b, direction, ctype))
        world.exits[a][direction] = b
        world.exits[b][OPPOSITE[direction]] = a

    def place(anchors: list[int]) -> tuple[int, tuple[int, int], str] | None:
        for a in rng.sample(anchors, len(anchors)):
            ax, ay = where[a] or (0, 0)
            for d in rng.sample(list(_DELTAS), 8):
                cell = (ax + _DELTAS[d][0], ay + _DELTAS[d][1])
                if cell not in cells:
                    return a, cell, d
        return None

    for region, size in zip(holders, sizes, strict=True):
        weights = THEMES[themes[region]]["types"]
        types = ["town" if themes[region] == "city" else rng.choice(("village", "road", "wilderness"))]
        types += rng.choices(list(weights), weights=list(weights.values()), k=size - 1)
        members: list[int] = []
        for ltype in types:
            n = len(world.loc_ids)
            name = location_name(rng, ltype)
            while name in taken:
                name = location_name(rng, ltype)
            taken.add(name)
            world.loc_ids.append(w.uid(rng))
            world.loc_names.append(name)
            world.loc_types.append(ltype)
            world.exits.append({})
            region_of.append(region)
            members.append(n)
            way = _INTERIOR.get(ltype)
            deeper = ("dungeon", "cave") if way == "down" else ()
            parents = [m for m in members[:-1] if way and way not in world.exits[m]
                       and (where[m] is not None or world.loc_types[m] in deeper)]
            if way and parents:
                where.append(None)
                ctype = "door" if way == "in" else rng.choice(("stairs", "ladder", "tunnel"))
                connect(rng.choice(parents), n, way, ctype)
                continue
            # grow inside the region; when it is walled in, from anywhere on the map's edge
            spot = place([m for m in members[:-1] if where[m] is not None]) or place(list(cells.values()))
            cell = spot[1] if spot else (0, 0)
            where.append(cell)
            cells[cell] = n
            if spot:
                connect(spot[0], n, spot[2], _grid_type(rng, world.loc_types[spot[0]], ltype))

    loops = [(a, cells[(x + dx, y + dy)], d) for (x, y), a in cells.items()
             for d, (dx, dy) in _DELTAS.items()
             if d in ("north", "east", "northeast", "southeast") and (x + dx, y + dy) in cells
             and d not in world.exits[a]]
    for a, b, d in rng.sample(loops, min(EXTRA_EDGES, len(loops))):
        connect(a, b, d, _grid_type(rng, world.loc_types[a], world.loc_types[b]))
    magic = [i for i, t in enumerate(world.loc_types)
             if t in ("landmark", "ruin", "dungeon") and "in" not in world.exits[i]]
    for a in rng.sample(magic, min(PORTALS, len(magic))):
        b = rng.choice([i for i in range(len(world.loc_ids)) if i != a and i not in world.exits[a].values()])
        edges.append((a, b, "in", "portal"))
        world.exits[a]["in"] = b

    w.table("locations", "id region_id name location_type short_description full_description state_json "
                         "version created_at updated_at")
    for i, ltype in enumerate(world.loc_types):
        short = location_short(rng, ltype)
        exits = [(d, world.loc_names[t]) for d, t in world.exits[i].items()]
        created = -360 * DAY + i * 600
        full, state = location_full(rng, short, ltype, exits), w.json(location_state(rng, ltype))
        w.add("locations", (world.loc_ids[i], region_ids[region_of[i]], world.loc_names[i], ltype, short,
                            full, state, 1, w.ts(created), w.ts(created + rng.randint(0, 200) * DAY)))
    w.table("location_connections", "id source_location_id target_location_id direction connection_type "
                                    "description is_bidirectional travel_minutes version")
    ids, names = world.loc_ids, world.loc_names
    for a, b, d, ctype in edges:
        minutes, both = rng.randint(*_MINUTES[ctype]), ctype != "portal"
        text = connection_description(rng, ctype, d, names[b])
        w.add("location_connections", (w.uid(rng), ids[a], ids[b], d, ctype, text, both, minutes, 1))
        if both:
            back = OPPOSITE[d]
            text = connection_description(rng, ctype, back, names[a])
            w.add("location_connections", (w.uid(rng), ids[b], ids[a], back, ctype, text, True, minutes, 1))


def _grid_type(rng: random.Random, a: str, b: str) -> str:
    """How two neighbouring map cells are joined."""
    if "town" in (a, b):
        return rng.choice(("road", "road", "gate"))
    if "road" in (a, b):
        return "road"
    if "shore" in (a, b):
        return rng.choice(("path", "bridge", "river"))
    return rng.choice(("path", "path", "path", "bridge"))


def _npcs(w: Writer, rng: random.Random, world: World) -> None:
    """NPCs placed by the kind of location, and who they like or hate."""
    w.table("npcs", "id location_id name npc_type description personality_json knowledge_json is_hostile "
                    "version created_at updated_at")
    weights = [4 if t in ("town", "building") else 2 if t == "village" else 1 for t in world.loc_types]
    spots = rng.choices(range(len(world.loc_ids)), weights=weights, k=FIXED_COUNTS["npcs"])
    for i, loc in enumerate(spots):
        ntype = rng.choice(_NPC_TYPES.get(world.loc_types[loc], _WILD_NPCS))
        near = [world.loc_names[t] for t in world.exits[loc].values()] or [world.loc_names[loc]]
        topics = rng.sample(near, min(2, len(near)))
        name = npc_name(rng, ntype)
        wanders = rng.random() < 0.05
        world.npc_ids.append(w.uid(rng))
        world.npc_names.append(name)
        world.npc_types.append(ntype)
        world.npc_topics.append(topics)
        if not wanders:
            world.npcs_at.setdefault(loc, []).append(i)
        created = -300 * DAY + i * 900
        hostile = ntype == "creature" and rng.random() < 0.8
        w.add("npcs", (world.npc_ids[i], None if wanders else world.loc_ids[loc], name, ntype,
                       npc_description(rng, name, ntype), w.json(personality(rng)),
                       w.json(npc_knowledge(rng, topics, near)), hostile, 1,
                       w.ts(created), w.ts(created + rng.randint(0, 150) * DAY)))
    w.table("npc_relationships", "id npc_id other_npc_id relationship_type strength notes version")
    people = [i for i, t in enumerate(world.npc_types) if t != "creature"]
    done: set[tuple[int, int, str]] = set()
    while len(done) < FIXED_COUNTS["npc_relationships"]:
        a, b = rng.sample(people, 2)
        kind = rng.choice(list(_STRENGTH))
        if (a, b, kind) in done:
            continue
        done.add((a, b, kind))
        note = relationship_note(rng, world.npc_names[b])
        w.add("npc_relationships", (w.uid(rng), world.npc_ids[a], world.npc_ids[b], kind,
                                    rng.randint(*_STRENGTH[kind]), note, 1))


def _objects(w: Writer, rng: random.Random, world: World) -> None:
    """Objects lying around (or carried), and the interactions they offer."""
    w.table("objects", "id location_id name object_type description properties_json is_takeable weight_grams "
                       "version created_at updated_at")
    types = list(OBJECT_NOUNS)
    for i in range(FIXED_COUNTS["objects"]):
        loc = rng.randrange(len(world.loc_ids)) if rng.random() < 0.85 else None
        otype = rng.choice(types)
        if loc is None and otype in ("furniture", "container"):
            otype = "trinket"
        name = object_name(rng, otype)
        takeable = otype not in ("furniture", "container") or rng.random() < 0.15
        world.obj_ids.append(w.uid(rng))
        world.obj_names.append(name)
        world.obj_types.append(otype)
        if takeable:
            world.takeable.append(i)
            if loc is not None:
                world.takeable_at.setdefault(loc, []).append(i)
        props = object_properties(rng, otype)
        created = -300 * DAY + i * 700
        w.add("objects", (world.obj_ids[i], None if loc is None else world.loc_ids[loc], name, otype,
                          object_description(rng, name, otype, props), w.json(props), takeable,
                          rng.randint(*WEIGHTS[otype]), 1, w.ts(created),
                          w.ts(created + rng.randint(0, 100) * DAY)))
    w.table("object_interactions", "id object_id required_object_id interaction_type description result_json "
                                   "version")
    keys = [i for i, t in enumerate(world.obj_types) if t == "key"]
    tools = [i for i, t in enumerate(world.obj_types) if t == "tool"]
    for o in rng.sample(range(len(world.obj_ids)), FIXED_COUNTS["object_interactions"]):
        kind = rng.choice(_INTERACTIONS[world.obj_types[o]])
        need = rng.choice(keys) if kind == "unlock" else rng.choice(tools) if kind == "combine" else None
        need = None if need == o else need
        name = world.obj_names[o]
        other = None if need is None else world.obj_names[need]
        text = f"{kind.capitalize()} the {name}" + (f" with the {other}." if other else ".")
        result = w.json(interaction_result(rng, kind, name, other, world.obj_types[o]))
        required = None if need is None else world.obj_ids[need]
        w.add("object_interactions", (w.uid(rng), world.obj_ids[o], required, kind, text, result, 1))

