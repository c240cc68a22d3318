"""Names and descriptions of regions, locations and the ways between them."""

from __future__ import annotations

import random
from typing import Any

from core.seed.text.words import (
    ADJ,
    PERSON_FIRST,
    PRE,
    SIGHTS,
    SMELLS,
    SOUNDS,
    TRAITS,
    article,
    compound,
    exotic,
)

THEMES: dict[str, dict[str, Any]] = {
    "forest": {"climate": "temperate", "feature": ("Wood", "Weald", "Forest", "Greenwood"),
               "types": {"forest": 5, "village": 1, "ruin": 1, "road": 1, "landmark": 1, "cave": 1,
                         "building": 1}},
    "coast": {"climate": "maritime", "feature": ("Coast", "Shore", "Strand", "Bay"),
              "types": {"shore": 5, "village": 2, "town": 1, "road": 1, "landmark": 1, "building": 2,
                        "cave": 1}},
    "mountains": {"climate": "alpine", "feature": ("Peaks", "Heights", "Crags", "Spine"),
                  "types": {"wilderness": 4, "cave": 2, "dungeon": 2, "landmark": 1, "road": 1,
                            "village": 1}},
    "marsh": {"climate": "humid", "feature": ("Fens", "Marsh", "Mire", "Bog"),
              "types": {"wilderness": 4, "ruin": 2, "shore": 1, "village": 1, "road": 1, "dungeon": 1}},
    "plains": {"climate": "mild", "feature": ("Downs", "Fields", "Plains", "Meadows"),
               "types": {"wilderness": 3, "village": 2, "road": 2, "town": 1, "landmark": 1, "building": 2}},
    "city": {"climate": "temperate", "feature": ("Quarter", "Ward", "District", "Rows"),
             "types": {"town": 2, "building": 5, "landmark": 1, "road": 2, "dungeon": 1}},
    "desert": {"climate": "arid", "feature": ("Wastes", "Sands", "Barrens", "Dunes"),
               "types": {"wilderness": 4, "ruin": 3, "landmark": 1, "cave": 1, "road": 1, "dungeon": 1}},
}

_LOC_NOUNS: dict[str, tuple[str, ...]] = {
    "forest": ("Glade", "Grove", "Thicket", "Wood", "Clearing", "Copse"),
    "wilderness": ("Hill", "Moor", "Heath", "Pass", "Ridge", "Field", "Tor", "Hollow"),
    "dungeon": ("Crypt", "Catacombs", "Vault", "Oubliette", "Halls", "Barrow", "Undercroft"),
    "cave": ("Cave", "Grotto", "Cavern", "Den", "Sinkhole"),
    "landmark": ("Monolith", "Obelisk", "Statue", "Falls", "Oak", "Well", "Standing Stones", "Cairn"),
    "shore": ("Cove", "Beach", "Strand", "Point", "Sands", "Inlet"),
    "ruin": ("Tower", "Keep", "Abbey", "Chapel", "Fort", "Manor"),
    "building": ("Inn", "Tavern", "Temple", "Library", "Smithy", "Guildhall", "Watchtower", "Apothecary",
                 "Bathhouse"),
}
_ANIMALS = (
    "Stag", "Boar", "Raven", "Dragon", "Goose", "Badger", "Lantern", "Anchor", "Griffin", "Fox",
)
_SIGHTS_INSIDE = (
    "a cold hearth", "cobwebbed rafters", "a faded tapestry", "scratch marks on the door", "empty bottles",
    "a table set for a meal no one ate", "a locked trunk", "old bloodstains", "a guttering candle",
    "a heap of mouldy straw",
)
_OPENINGS: dict[str, tuple[str, ...]] = {
    "town": ("Cobbled lanes crowd around a busy market square", "Timber houses lean over narrow streets",
             "Criers shout the news from the steps of the town hall"),
    "village": ("A handful of thatched cottages huddle together", "A quiet hamlet sprawls beside a mill pond",
                "Chickens scatter between a smithy and a well"),
    "wilderness": ("Open country rolls away in every direction", "Rough grass and bracken cover the slopes",
                   "A cold wind sweeps across bare rock and heather"),
    "forest": ("Tall trees close overhead, filtering the light",
               "Ferns and fallen logs choke the forest floor",
               "Birdsong falls silent as you step beneath the boughs"),
    "dungeon": ("Cold stone corridors stretch into darkness", "Niches line the walls, each holding old bones",
                "Water drips from a vaulted ceiling onto worn flagstones"),
    "cave": ("The rock ceiling dips low and glistens with damp", "A natural cavern opens out, echoing softly",
             "Pale roots hang through cracks in the stone"),
    "building": ("Worn floorboards creak beneath your feet", "Lamplight falls across a cluttered room",
                 "A fire crackles in a soot-stained hearth"),
    "landmark": ("A striking sight rises above the surrounding land",
                 "Travellers have gathered here for centuries", "Pilgrims have left offerings at its foot"),
    "road": ("A well-travelled road runs between fields and hedges",
             "Ruts and hoofprints score the muddy track",
             "A milestone leans at the roadside, its numbers worn away"),
    "shore": ("Waves break against a ragged line of rocks", "Pale sand stretches along the water's edge",
              "Fishing nets dry on poles above the tideline"),
    "ruin": ("Broken walls outline what was once a proud hall", "Ivy swallows the remains of old masonry",
             "Charred beams jut from a heap of fallen stone"),
}
_INDOOR = ("building", "dungeon", "cave")
WEATHER = ("clear", "fog", "rain", "drizzle", "overcast", "snow", "storm", "windy")
CONNECTION_WORDS = {
    "path": "a narrow path", "road": "the road", "door": "a heavy door", "bridge": "a creaking bridge",
    "stairs": "worn stairs", "tunnel": "a low tunnel", "ladder": "a rope ladder",
    "portal": "a shimmering portal", "river": "the river", "gate": "an iron gate",
}


_REALM_NAMES = ("The Kingdom of {x}", "The {x} Reach", "The Free Marches of {x}", "{x} Dominion")


def region_name(rng: random.Random, level: int, theme: str) -> str:
    """A region name fitting its depth: realms, provinces, districts."""
    feature = rng.choice(THEMES[theme]["feature"])
    if level == 0:
        pattern = rng.choice(_REALM_NAMES)
        return pattern.format(x=exotic(rng))
    if level == 1:
        return rng.choice((compound(rng), f"The {rng.choice(ADJ)}", exotic(rng))) + f" {feature}"
    return f"The {rng.choice(ADJ)} {feature}"


_REGION_OPEN = (
    "{n} is {a} {c} land of {s1} and {s2}.",
    "Travellers crossing {n} remember {s1} and {s2}.",
    "Maps of {n}, {a} {c} country, mark little beyond {s1}.",
)
_REGION_MORE = (
    "Locals keep their doors barred after dusk.", "Caravans avoid it in winter.", "Few maps of it agree.",
    "It has been at peace for a generation.", "Its people are known for their {t} hospitality.",
    "At night you hear {sound}.", "Taxes here go to {p}.",
)


def region_description(rng: random.Random, name: str, theme: str, parent: str | None) -> str:
    """Two or three sentences about a region."""
    climate = THEMES[theme]["climate"]
    first = rng.choice(_REGION_OPEN).format(n=name, a=article(climate), c=climate, s1=rng.choice(SIGHTS),
                                            s2=rng.choice(SIGHTS))
    more = [m for m in _REGION_MORE if parent or "{p}" not in m]
    second = rng.choice(more).format(t=rng.choice(TRAITS), sound=rng.choice(SOUNDS), p=parent)
    return f"{first} {second}" + (f" It lies within {parent}." if parent and rng.random() < 0.5 else "")


def location_name(rng: random.Random, ltype: str) -> str:
    """A location name in the style of its type."""
    if ltype in ("town", "village"):
        if rng.random() < 0.7:
            return compound(rng)
        return f"{rng.choice(PRE)} {rng.choice(('Cross', 'End', 'Green'))}"
    if ltype == "road":
        return rng.choice((f"The {compound(rng)} Road", f"{rng.choice(ADJ)} Crossing",
                           f"{compound(rng)} Bridge"))
    if ltype == "ruin":
        return rng.choice((f"Ruins of {compound(rng)}", f"The Fallen {rng.choice(_LOC_NOUNS['ruin'])}"))
    if ltype == "building" and rng.random() < 0.4:
        return f"The {rng.choice(ADJ)} {rng.choice(_ANIMALS)} {rng.choice(('Inn', 'Tavern'))}"
    noun = rng.choice(_LOC_NOUNS[ltype])
    if rng.random() < 0.3:
        who = rng.choice(PERSON_FIRST)
        return f"{who}'s {noun}" if ltype == "building" else f"{noun} of {who}"
    return f"The {rng.choice(ADJ)} {noun}"


def location_short(rng: random.Random, ltype: str) -> str:
    """A one-line description shown in lists."""
    sight = rng.choice(_SIGHTS_INSIDE if ltype in _INDOOR else SIGHTS)
    how = rng.random()
    if how < 0.4:
        return f"{rng.choice(_OPENINGS[ltype])}. You notice {sight}."
    lead = rng.choice(("nearby you spot", "you can make out", "beyond lies"))
    return f"{rng.choice(_OPENINGS[ltype])}; {lead} {sight}."


def location_full(rng: random.Random, short: str, ltype: str, exits: list[tuple[str, str]]) -> str:
    """A room description: the short line, sounds and smells, and the ways out."""
    parts = [short, f"You hear {rng.choice(SOUNDS)}, and the air smells of {rng.choice(SMELLS)}."]
    if ltype in ("dungeon", "cave", "ruin") and rng.random() < 0.5:
        parts.append("Something has disturbed the dust here recently.")
    if exits:
        ways = ", ".join(f"{d} to {n}" for d, n in exits[:-1])
        last = f"{exits[-1][0]} to {exits[-1][1]}"
        parts.append(f"Exits lead {ways} and {last}." if ways else f"An exit leads {last}.")
    return " ".join(parts)


def connection_description(rng: random.Random, ctype: str, direction: str, target: str) -> str:
    """How a way out looks from its source."""
    verb = rng.choice(("leads", "winds", "runs", "climbs", "twists"))
    return f"{CONNECTION_WORDS[ctype].capitalize()} {verb} {direction} towards {target}."


def location_state(rng: random.Random, ltype: str) -> dict[str, Any]:
    """Live state of a location: light, weather outdoors, sometimes an event."""
    indoor = ltype in _INDOOR
    state: dict[str, Any] = {"lit": not indoor or rng.random() < 0.6, "visited": rng.randint(0, 5000),
                             "danger": rng.randint(0, 10)}
    if not indoor:
        state["weather"] = rng.choice(WEATHER)
    if rng.random() < 0.2:
        state["event"] = rng.choice(("market day", "festival", "curfew", "plague", "siege"))
    return state
