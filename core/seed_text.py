"""Word lists and small text generators that make the demo data read like a game and a shop."""

from __future__ import annotations

import random
from typing import Any

# --- world words ------------------------------------------------------------------------------------

_PRE = (
    "Ash", "Thorn", "Raven", "Elder", "Stone", "Mist", "Wolf", "Gold", "Iron", "Briar", "Frost", "Amber",
    "Oak", "Black", "Silver", "Ember", "Storm", "Willow", "Grey", "Red", "High", "Deep", "Cold", "Bright",
    "Hawk", "Moss", "Salt", "Dusk", "Dawn", "Fern", "Hollow", "Bramble", "Crow", "Stag", "Rook",
)
_SUF = (
    "ford", "wick", "mere", "vale", "reach", "watch", "holm", "stead", "gate", "moor", "fell", "haven",
    "crest", "by", "ton", "dale", "wood", "march", "well", "barrow",
)
_SYL_A = (
    "Val", "Kael", "Mor", "Tir", "Ael", "Dor", "Syl", "Eth", "Bran", "Cal", "Ist", "Lor", "Nym", "Oth",
    "Qua", "Ryn", "Ser", "Ul", "Zan", "Gal",
)
_SYL_B = (
    "mor", "eth", "ar", "iel", "dor", "an", "wyn", "ith", "ora", "und", "el", "is", "ae", "on", "ul",
)
_SYL_C = (
    "eth", "ar", "ion", "os", "mar", "dell", "oth", "ira", "wyn", "gard", "heim", "ys",
)
_ADJ = (
    "Whispering", "Sunken", "Forgotten", "Silent", "Crooked", "Gilded", "Shattered", "Mossy", "Ancient",
    "Hollow", "Burning", "Drowned", "Weeping", "Howling", "Broken", "Pale", "Crimson", "Lonely", "Windswept",
    "Hidden", "Verdant", "Frozen", "Twisted", "Starlit",
)
_PERSON_FIRST = (
    "Aldric", "Mira", "Thorne", "Elowen", "Bram", "Isolde", "Garrick", "Wren", "Tobias", "Seraphine", "Hal",
    "Ysolde", "Corwin", "Maren", "Edric", "Liora", "Osric", "Brenna", "Fenwick", "Alys", "Rowan", "Tamsin",
    "Gideon", "Nerys", "Cedric", "Ilsa", "Percival", "Odile", "Jory", "Sabine",
)
_EPITHET = (
    "the Bold", "the Grey", "Half-Hand", "the Quiet", "Silvertongue", "the Elder", "One-Eye", "the Wanderer",
    "Lightfoot",
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
_SIGHTS = (
    "lichen-covered stones", "a half-buried cart wheel", "old campfire ashes", "carved waymarkers",
    "tracks of some large beast", "a shrine strung with ribbons", "rusted chains",
    "crows watching from above", "wildflowers pushing through cracks", "a collapsed wall",
    "fresh bootprints in the mud", "a toppled statue",
)
_SIGHTS_INSIDE = (
    "a cold hearth", "cobwebbed rafters", "a faded tapestry", "scratch marks on the door", "empty bottles",
    "a table set for a meal no one ate", "a locked trunk", "old bloodstains", "a guttering candle",
    "a heap of mouldy straw",
)
_SOUNDS = (
    "wind moaning through gaps", "distant bells", "dripping water", "the creak of old timber", "gulls crying",
    "the hum of insects", "muffled voices", "a river rushing somewhere below", "nothing at all",
)
_SMELLS = (
    "woodsmoke", "wet earth", "salt and tar", "pine resin", "old parchment", "rot", "baking bread", "incense",
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


def article(word: str) -> str:
    """'a' or 'an' before `word`."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def compound(rng: random.Random) -> str:
    """An English-sounding place name such as Ashford or Ravenmere."""
    return rng.choice(_PRE) + rng.choice(_SUF)


def exotic(rng: random.Random) -> str:
    """A fantasy name built from syllables, such as Valmoreth."""
    name = rng.choice(_SYL_A) + rng.choice(_SYL_B)
    return name + rng.choice(_SYL_C) if rng.random() < 0.6 else name


def person(rng: random.Random) -> str:
    """A character name: a first name with a family name or an epithet."""
    first = rng.choice(_PERSON_FIRST)
    return f"{first} {rng.choice(_EPITHET)}" if rng.random() < 0.25 else f"{first} {compound(rng)}"


_REALM_NAMES = ("The Kingdom of {x}", "The {x} Reach", "The Free Marches of {x}", "{x} Dominion")


def region_name(rng: random.Random, level: int, theme: str) -> str:
    """A region name fitting its depth: realms, provinces, districts."""
    feature = rng.choice(THEMES[theme]["feature"])
    if level == 0:
        pattern = rng.choice(_REALM_NAMES)
        return pattern.format(x=exotic(rng))
    if level == 1:
        return rng.choice((compound(rng), f"The {rng.choice(_ADJ)}", exotic(rng))) + f" {feature}"
    return f"The {rng.choice(_ADJ)} {feature}"


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
    first = rng.choice(_REGION_OPEN).format(n=name, a=article(climate), c=climate, s1=rng.choice(_SIGHTS),
                                            s2=rng.choice(_SIGHTS))
    more = [m for m in _REGION_MORE if parent or "{p}" not in m]
    second = rng.choice(more).format(t=rng.choice(_TRAITS), sound=rng.choice(_SOUNDS), p=parent)
    return f"{first} {second}" + (f" It lies within {parent}." if parent and rng.random() < 0.5 else "")


def location_name(rng: random.Random, ltype: str) -> str:
    """A location name in the style of its type."""
    if ltype in ("town", "village"):
        if rng.random() < 0.7:
            return compound(rng)
        return f"{rng.choice(_PRE)} {rng.choice(('Cross', 'End', 'Green'))}"
    if ltype == "road":
        return rng.choice((f"The {compound(rng)} Road", f"{rng.choice(_ADJ)} Crossing",
                           f"{compound(rng)} Bridge"))
    if ltype == "ruin":
        return rng.choice((f"Ruins of {compound(rng)}", f"The Fallen {rng.choice(_LOC_NOUNS['ruin'])}"))
    if ltype == "building" and rng.random() < 0.4:
        return f"The {rng.choice(_ADJ)} {rng.choice(_ANIMALS)} {rng.choice(('Inn', 'Tavern'))}"
    noun = rng.choice(_LOC_NOUNS[ltype])
    if rng.random() < 0.3:
        who = rng.choice(_PERSON_FIRST)
        return f"{who}'s {noun}" if ltype == "building" else f"{noun} of {who}"
    return f"The {rng.choice(_ADJ)} {noun}"


def location_short(rng: random.Random, ltype: str) -> str:
    """A one-line description shown in lists."""
    sight = rng.choice(_SIGHTS_INSIDE if ltype in _INDOOR else _SIGHTS)
    how = rng.random()
    if how < 0.4:
        return f"{rng.choice(_OPENINGS[ltype])}. You notice {sight}."
    lead = rng.choice(("nearby you spot", "you can make out", "beyond lies"))
    return f"{rng.choice(_OPENINGS[ltype])}; {lead} {sight}."


def location_full(rng: random.Random, short: str, ltype: str, exits: list[tuple[str, str]]) -> str:
    """A room description: the short line, sounds and smells, and the ways out."""
    parts = [short, f"You hear {rng.choice(_SOUNDS)}, and the air smells of {rng.choice(_SMELLS)}."]
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


# --- characters -------------------------------------------------------------------------------------

_TRAITS = (
    "gruff", "honest", "curious", "greedy", "kind", "suspicious", "cheerful", "melancholy", "proud",
    "cowardly", "loyal", "scheming", "pious", "reckless", "patient", "boastful", "shy",
)
_MOODS = ("content", "wary", "irritable", "jovial", "anxious", "bored", "grieving", "hopeful")
_VOICES = ("gravelly", "soft", "booming", "lilting", "nasal", "hoarse", "measured")
_ALIGN = ("lawful good", "neutral good", "true neutral", "chaotic neutral", "lawful neutral", "chaotic good")
_LIKES = (
    "ale", "gossip", "old songs", "gold", "quiet evenings", "riddles", "fine cloth", "honest work", "rain",
)
_RACES = ("human", "half-elf", "dwarf", "halfling", "elf", "gnome")
_ROLES = {
    "merchant": "trader who haggles over every copper", "guard": "watchman who distrusts strangers",
    "quest_giver": "troubled soul looking for capable help", "villager": "local who knows every rumour",
    "innkeeper": "host who never forgets a face", "scholar": "scholar buried in crumbling books",
    "creature": "", "priest": "priest who tends a small shrine", "smith": "smith with soot-blackened arms",
}
_CREATURES = ("Wolf", "Troll", "Wyrm", "Spider", "Wraith", "Boar", "Ghoul", "Harpy", "Bear", "Basilisk")
RUMOURS = (
    "the old mine is haunted", "a dragon was sighted over {p}", "the bridge toll went up again",
    "smugglers use the caves near {p}", "the baron's heir has vanished", "wolves are bolder this winter",
    "a stranger paid in ancient coin at {p}", "the well water at {p} tastes of iron",
)


def npc_name(rng: random.Random, npc_type: str) -> str:
    """A person's name, or a creature's description for creatures."""
    if npc_type == "creature":
        return f"{rng.choice(_ADJ)} {rng.choice(_CREATURES)}"
    return person(rng)


def npc_description(rng: random.Random, name: str, npc_type: str) -> str:
    """Who an NPC is, in two sentences."""
    if npc_type == "creature":
        adj = rng.choice(_ADJ).lower()
        return (f"{article(adj).capitalize()} {adj} beast that lurks among {rng.choice(_SIGHTS)}. "
                f"It smells of {rng.choice(_SMELLS)}.")
    age = rng.choice(("young", "weathered", "elderly", "middle-aged"))
    return (f"{name} is {article(age)} {age} {rng.choice(_RACES)} {_ROLES[npc_type]}. "
            f"They speak in a {rng.choice(_VOICES)} voice and are fond of {rng.choice(_LIKES)}.")


def personality(rng: random.Random) -> dict[str, Any]:
    """Traits, mood, voice and tastes of an NPC."""
    tastes = rng.sample(_LIKES, 3)
    return {"traits": rng.sample(_TRAITS, 3), "mood": rng.choice(_MOODS), "voice": rng.choice(_VOICES),
            "alignment": rng.choice(_ALIGN), "likes": tastes[:2], "dislikes": tastes[2:]}


def rumour(rng: random.Random, place: str) -> str:
    """A rumour an NPC might share."""
    return rng.choice(RUMOURS).format(p=place)


def rumours(rng: random.Random, places: list[str], k: int) -> list[str]:
    """`k` different rumours about nearby places."""
    return [r.format(p=rng.choice(places)) for r in rng.sample(RUMOURS, k)]


# --- objects ----------------------------------------------------------------------------------------

OBJECT_NOUNS: dict[str, tuple[str, ...]] = {
    "weapon": ("Sword", "Dagger", "Axe", "Spear", "Longbow", "Mace", "Halberd"),
    "armor": ("Helm", "Shield", "Gauntlets", "Cuirass", "Boots", "Cloak"),
    "tool": ("Lantern", "Rope", "Pickaxe", "Hammer", "Spyglass", "Compass", "Tinderbox"),
    "key": ("Key", "Skeleton Key", "Rune Key", "Signet"),
    "treasure": ("Goblet", "Crown", "Ring", "Amulet", "Coin Purse", "Gemstone"),
    "consumable": ("Healing Draught", "Loaf of Bread", "Waterskin", "Elixir", "Herb Bundle", "Torch"),
    "furniture": ("Table", "Bed", "Bookshelf", "Altar", "Throne", "Bench", "Hearth"),
    "document": ("Map", "Letter", "Journal", "Scroll", "Ledger", "Notice"),
    "container": ("Chest", "Barrel", "Crate", "Sack", "Coffer", "Urn"),
    "trinket": ("Figurine", "Music Box", "Bone Dice", "Locket", "Feather Charm", "Seashell"),
}
_OBJECT_ADJ = ("Rusted", "Gleaming", "Notched", "Elven", "Dwarven", "Old", "Ornate", "Plain", "Cracked")
_MATERIALS = ("Iron", "Steel", "Bronze", "Silver", "Oak", "Bone", "Brass", "Obsidian", "Copper", "Ash")
_CONDITION = ("pristine", "good", "worn", "battered", "broken")
_RARITY = ("common", "common", "common", "uncommon", "uncommon", "rare", "epic")


def object_name(rng: random.Random, otype: str) -> str:
    """An object's name: adjective, material and noun, or a document about a place."""
    noun = rng.choice(OBJECT_NOUNS[otype])
    if otype == "document":
        return f"{noun} of {compound(rng)}"
    if otype in ("consumable",):
        return noun if rng.random() < 0.5 else f"{rng.choice(('Small', 'Fine', 'Stale', 'Blessed'))} {noun}"
    adj = rng.choice(_OBJECT_ADJ)
    return f"{adj} {rng.choice(_MATERIALS)} {noun}" if rng.random() < 0.7 else f"{adj} {noun}"


_DETAILS = {
    "weapon": ("a leather-wrapped grip", "runes along the blade", "a chipped edge",
               "a maker's mark near the hilt"),
    "armor": ("dented plates", "a faded crest", "fresh rivets", "a torn lining"),
    "tool": ("a worn handle", "initials scratched into it", "oiled hinges", "a cracked lens"),
    "key": ("teeth worn smooth", "a ribbon tied to the bow", "strange runes", "a ring of tarnished brass"),
    "treasure": ("a glint of gemstones", "a noble's crest", "fine filigree", "a jeweller's stamp"),
    "consumable": ("a faint herbal smell", "a wax seal", "a spot of mould", "a label in spidery script"),
    "furniture": ("deep scratches", "a layer of dust", "a hidden drawer", "carved vines"),
    "document": ("faded ink", "a broken wax seal", "notes in the margin", "a water-stained corner"),
    "container": ("an iron band", "a heavy padlock", "a false bottom", "splintered planks"),
    "trinket": ("tiny carvings", "a chipped corner", "a faint hum", "a name engraved on it"),
}
WEIGHTS = {
    "weapon": (800, 4500), "armor": (500, 12000), "tool": (100, 3000), "key": (20, 150),
    "treasure": (10, 1500), "consumable": (50, 1200), "furniture": (15000, 90000), "document": (5, 400),
    "container": (2000, 40000), "trinket": (10, 500),
}


def detail(rng: random.Random, otype: str) -> str:
    """A detail a player notices on an object."""
    return rng.choice(_DETAILS[otype])


def object_description(rng: random.Random, name: str, otype: str, props: dict[str, Any]) -> str:
    """What a player sees when examining an object."""
    plural = name.endswith("s") and not name.endswith("ss")
    lead = f"{'A pair of' if plural else article(name).capitalize()} {name} with {detail(rng, otype)}."
    tail = rng.choice((f"It looks {props['condition']}.", f"A trader might pay {props['value']} gold for it.",
                       f"It smells faintly of {rng.choice(_SMELLS)}."))
    return f"{lead} {tail}"


def interaction_result(
    rng: random.Random, kind: str, name: str, other: str | None, otype: str
) -> dict[str, Any]:
    """What happens when a player does `kind` with an object."""
    if kind == "wield":
        return {"message": f"You grip the {name}; it feels {rng.choice(('balanced', 'heavy', 'light'))}.",
                "effects": {"attack": rng.randint(1, 12)}}
    if kind == "examine":
        return {"message": f"You notice {detail(rng, otype)}.", "reveals": rng.random() < 0.3}
    if kind == "read":
        return {"message": f"The {name} speaks of how {rumour(rng, compound(rng))}.", "effects": {"lore": 1}}
    if kind == "eat":
        return {"message": f"You finish the {name}.", "consumes": True,
                "effects": {"heal": rng.randint(5, 40)}}
    if kind == "unlock":
        return {"message": f"The {other or 'key'} turns with a click.", "effects": {"unlocked": True}}
    if kind == "open":
        return {"message": f"The {name} creaks open.", "contains": rng.randint(0, 5)}
    if kind == "combine" and other:
        return {"message": f"You fit the {name} to the {other}.",
                "creates": f"makeshift {name.split()[-1].lower()}"}
    effect = rng.choice(("light", "noise", "warmth"))
    return {"message": f"You use the {name}.", "effects": {effect: rng.randint(1, 20)}}


def object_properties(rng: random.Random, otype: str) -> dict[str, Any]:
    """Game properties of an object, by type."""
    props: dict[str, Any] = {
        "value": rng.randint(1, 500), "condition": rng.choice(_CONDITION), "rarity": rng.choice(_RARITY),
    }
    if otype == "weapon":
        props["damage"] = f"1d{rng.choice((4, 6, 8, 10, 12))}"
    elif otype == "armor":
        props["defense"] = rng.randint(1, 8)
    elif otype == "container":
        props |= {"capacity": rng.randint(5, 40), "locked": rng.random() < 0.4}
    elif otype == "document":
        language = rng.choice(("Common", "Elvish", "Dwarvish", "Old Imperial"))
        props |= {"language": language, "pages": rng.randint(1, 40)}
    elif otype == "consumable":
        props |= {"effect": rng.choice(("heal", "restore", "light", "warmth")), "potency": rng.randint(5, 50)}
    elif otype == "tool":
        props["durability"] = rng.randint(10, 100)
    return props


# --- people and shop --------------------------------------------------------------------------------

FIRST_NAMES = (
    "Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Iris", "Jonas", "Kara", "Liam",
    "Maya", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Xena",
    "Yusuf", "Zoe", "Aiko", "Bruno", "Carmen", "Dmitri", "Elif", "Farid", "Greta", "Hana", "Ivan", "Julia",
    "Kenji", "Lena", "Marco", "Nina", "Omar", "Priya", "Rafael", "Sofia", "Tomas", "Uma", "Viktor", "Wanda",
    "Yara",
)
LAST_NAMES = (
    "Smith", "Müller", "Garcia", "Rossi", "Kowalski", "Nguyen", "Jensen", "Silva", "Novak", "Dubois",
    "Tanaka", "Okafor", "Petrov", "Larsen", "Costa", "Fischer", "Moreau", "Bianchi", "Andersen", "Weber",
    "Santos", "Kim", "Haddad", "Brennan", "Ortiz", "Lindqvist", "Horvat", "Yilmaz", "Berg", "Walsh",
)
HANDLE_A = (
    "shadow", "ember", "frost", "iron", "night", "storm", "silver", "wild", "moon", "raven", "grim", "swift",
    "brave", "lucky", "dusk",
)
HANDLE_B = (
    "fox", "blade", "wolf", "mage", "witch", "hunter", "bard", "rogue", "knight", "owl", "drake", "sage",
    "smith", "rider",
)
PRODUCT_KINDS = (
    ("GEM", "Gem Bundle ({n})", ("currency", "digital"), "A pouch of {n} gems to spend in the Warden store."),
    ("PAK", "{x} Starter Pack", ("bundle", "digital"),
     "Gear, gold and a map: all a new adventurer needs to reach {x}."),
    ("COS", "{x} Cloak Skin", ("cosmetic", "digital"),
     "A cloak skin woven in the colours of {x}. Cosmetic only."),
    ("MRC", "{x} Hoodie", ("merch", "apparel"),
     "Soft cotton hoodie with the {x} crest embroidered on the chest."),
    ("MAP", "{x} Cloth Map", ("merch", "collectible"),
     "Printed cloth map of the lands around {x}, 60 x 40 cm."),
    ("EXP", "Expansion: The {x} Reach", ("expansion", "digital"),
     "New quests, monsters and ruins beyond {x}."),
    ("MUG", "{x} Tavern Mug", ("merch", "homeware"),
     "Stoneware mug from the tavern at {x}. Dishwasher safe."),
    ("FIG", "{x} Figurine", ("merch", "collectible", "limited"),
     "Hand-painted figurine of the warden of {x}."),
)
TOOL_SETS: dict[str, tuple[str, ...]] = {
    "support-triage": ("search_orders", "get_user", "refund_order", "send_email", "search_kb"),
    "order-assistant": ("search_orders", "get_order", "update_shipping", "check_stock"),
    "world-builder": ("create_location", "connect_locations", "generate_description", "validate_graph"),
    "npc-dialogue": ("get_npc", "search_lore", "generate_reply", "moderate_text"),
    "lore-keeper": ("search_lore", "rag_query", "summarise", "cite_sources"),
    "moderation": ("moderate_text", "get_user", "flag_content", "ban_user"),
    "analytics": ("run_sql", "plot_chart", "summarise"),
}
PROMPTS: dict[str, tuple[str, ...]] = {
    "support-triage": ("Customer {u} says order {o} never arrived; find out why and draft a reply.",
                       "Refund request from {u} for order {o}: check eligibility.",
                       "Why was {u} charged twice?"),
    "order-assistant": ("Change the shipping address of order {o}.",
                        "Is order {o} delayed? Customer {u} asks."),
    "world-builder": ("Add a smugglers' cave east of {p} and connect it to the coast road.",
                      "Check that every location in {p} is reachable."),
    "npc-dialogue": ("Write what the innkeeper at {p} says when asked about the missing heir.",
                     "Player {u} asks the guard at {p} for directions."),
    "lore-keeper": ("Summarise the history of {p} for the wiki.", "Which documents mention the fall of {p}?"),
    "moderation": ("Review chat messages reported against {u}.", "Is the guild name '{p} Raiders' allowed?"),
    "analytics": ("How many orders were refunded last week?",
                  "Plot daily active players for {p} this month."),
}
MODELS = ("warden-large-2", "warden-small-3", "local-llama-8b", "mixtral-8x7b")
_KIND_OF = {"run_sql": "sql", "flag_content": "user", "update_shipping": "order", "check_stock": "order",
            "create_location": "world", "connect_locations": "world", "validate_graph": "world"}
#: What a tool works on, which decides its inputs, outputs, services and errors.
TOOL_KIND = {
    tool: _KIND_OF.get(tool)
    or ("search" if tool.startswith(("search", "rag")) else "user" if tool.endswith("user")
        else "order" if "order" in tool else "text")
    for tools in TOOL_SETS.values()
    for tool in tools
}
_COMMON_ERRORS = (
    "ConnectionError: upstream {svc} closed the connection after {n} ms",
    "HTTP 502 Bad Gateway from {svc}",
    "RateLimitError: 429 Too Many Requests from {svc} (retry after {s}s)",
)
ERRORS: dict[str, tuple[str, ...]] = {
    "search": ("FileNotFoundError: [Errno 2] No such file or directory: 'lore/chunks/{n}.md'",
               "JSONDecodeError: Expecting ',' delimiter: line 1 column {n} (char {s})"),
    "user": ("PermissionError: caller lacks role 'support' for {svc}",
             "KeyError: 'user_id' missing from {svc} payload"),
    "order": ("ValidationError: field 'order_id' must be a UUID, got '{n}'",
              "OperationalError: deadlock detected while updating {svc} (pid {n})"),
    "sql": ('ProgrammingError: relation "orders_archive_{s}" does not exist',
            "OperationalError: canceling statement due to statement timeout ({n} ms)"),
    "world": ('IntegrityError: duplicate key violates unique constraint "uq_location_connections" ({svc})',
              "ValidationError: location {n} would be unreachable from the starting village"),
    "text": ("ContextLengthError: prompt is {n} tokens, the limit is 8192",
             "ContentFilterError: reply blocked by {svc} (category {s})"),
}
SERVICES = {"search": ("lore-index", "search-api"), "user": ("accounts-api", "moderation-api"),
            "order": ("orders-api", "payments", "inventory-service"), "sql": ("warehouse",),
            "world": ("world-api",), "text": ("llm-gateway", "moderation-api")}


def tool_error(rng: random.Random, kind: str) -> str:
    """A realistic error message of a failed tool call."""
    template = rng.choice(_COMMON_ERRORS + ERRORS[kind])
    return template.format(svc=rng.choice(SERVICES[kind]), n=rng.randint(10, 9999), s=rng.randint(1, 60))
ROUND_TABLE_TOPICS = (
    "Should the ferry to {p} run at night?", "Is the drop rate of rare items in {p} too generous?",
    "How should refunds for the expansion set around {p} be handled?", "Does {p} need a second inn?",
    "Should guest checkout require an email address?", "Which quests in {p} confuse new players?",
)
SUMMARIES: dict[str, tuple[str, ...]] = {
    "support-triage": ("Drafted a reply to {u} and proposed a refund.",
                       "Found a carrier delay; told {u} to wait two days."),
    "order-assistant": ("Updated the order and e-mailed {u} a confirmation.",
                        "Order is on time; replied to {u}."),
    "world-builder": ("Added the location near {p} and connected it both ways.",
                      "Every location in {p} is reachable."),
    "npc-dialogue": ("Wrote four lines of dialogue set in {p}.", "Gave directions from {p} in character."),
    "lore-keeper": ("Summarised the history of {p} in 180 words.", "Found 3 documents that mention {p}."),
    "moderation": ("No rule broken by {u}; closed the report.", "Warned {u} for spam."),
    "analytics": ("Counted the refunds and plotted them by day.", "Plotted daily active players."),
}
RAG_SECTIONS = ("lore", "support", "design", "runbooks")
RAG_SENTENCES = (
    "{p} was founded by exiles who crossed {x} in the year of the long frost.",
    "When a customer reports a missing order, first confirm the shipping address and carrier status.",
    "Refunds for digital goods are granted within 14 days if the items are unused.",
    "Every location must be reachable from the starting village; run validate_graph after edits.",
    "The guards of {p} change watch at dusk and dawn, and the gate closes at midnight.",
    "If the payments provider returns HTTP 502, retry with exponential backoff before escalating.",
    "NPC dialogue should stay under three sentences and reveal at most one clue per exchange.",
    "The ruins near {p} hold a sealed vault that only the rune key can open.",
    "Tool timeouts above 30 seconds are logged as incidents and reviewed weekly.",
    "Merchants in {x} raise prices during festivals and lower them after storms.",
)


# --- JSON content -----------------------------------------------------------------------------------

_STANCES = ("yes, with limits", "no", "only for new players", "needs more data", "yes")
_QUESTS = ("Lost", "Silent", "Broken", "Hidden"), ("Heir", "Bell", "Crown", "Road")


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


def npc_knowledge(rng: random.Random, topics: list[str], near: list[str]) -> dict[str, Any]:
    """What an NPC can talk about."""
    extra = rng.sample(("Elvish", "Dwarvish", "Old Imperial", "Thieves' Cant"), rng.randint(0, 2))
    said = rumours(rng, near, rng.randint(1, 3))
    return {"topics": topics, "rumours": said, "languages": ["Common", *extra]}


def relationship_note(rng: random.Random, other: str) -> str | None:
    """A designer's note on how one NPC knows another."""
    return rng.choice((f"Owes {other} {rng.randint(5, 400)} gold since the winter fair.",
                       f"Has known {other} since childhood.", f"Suspects {other} of lying about the fire.",
                       f"Meets {other} every market day.", None))


def quest(rng: random.Random) -> str:
    """A quest title."""
    return f"The {rng.choice(_QUESTS[0])} {rng.choice(_QUESTS[1])}"


def player_settings(rng: random.Random) -> dict[str, Any]:
    """A player's client settings."""
    return {"difficulty": rng.choice(("story", "normal", "hard")), "text_speed": rng.choice(("slow", "fast")),
            "color_scheme": rng.choice(("amber", "green", "classic")), "sound": rng.random() < 0.7,
            "autosave": True, "language": rng.choice(("en", "de", "fr", "es"))}


def user_meta(rng: random.Random) -> dict[str, Any]:
    """An account's metadata."""
    return {"signup_source": rng.choice(("web", "steam", "mobile", "referral")),
            "locale": rng.choice(("en-GB", "en-US", "de-DE", "fr-FR", "ja-JP")),
            "newsletter": rng.random() < 0.4, "theme": rng.choice(("dark", "light", "system"))}


def shipping(rng: random.Random, digital: bool) -> dict[str, Any]:
    """Where an order goes (digital orders go nowhere)."""
    if digital:
        return {"method": "digital"}
    street = f"{rng.randint(1, 180)} {rng.choice(LAST_NAMES)} {rng.choice(('Street', 'Lane', 'Road', 'Way'))}"
    return {"method": rng.choice(("standard", "express")),
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "street": street,
            "city": compound(rng), "postcode": f"{rng.randint(10000, 99999)}",
            "country": rng.choice(("DE", "GB", "US", "FR", "NL"))}


def payment(rng: random.Random) -> dict[str, Any]:
    """How an order was paid."""
    return {"method": rng.choice(("card", "card", "paypal", "gift_card")), "captured": True,
            "provider_ref": f"pi_{rng.getrandbits(64):016x}"}


def round_table(
    rng: random.Random, places: list[str]
) -> tuple[str, list[str], str, str | None, dict[str, Any]]:
    """One debate: topic, participants, status, consensus and transcript."""
    topic = rng.choice(ROUND_TABLE_TOPICS).format(p=rng.choice(places))
    models = rng.sample(MODELS, rng.randint(2, 4))
    status = rng.choice(("agreed",) * 13 + ("split",) * 5 + ("failed",) * 2)
    rounds = [{"round": r + 1, "positions": {m: rng.choice(_STANCES) for m in models}}
              for r in range(rng.randint(1, 5))]
    reason = rng.choice(RAG_SENTENCES).format(p=rng.choice(places), x=rng.choice(places))
    consensus = None if status == "failed" else f"{rng.choice(_STANCES).capitalize()}: {reason}"
    return topic, models, status, consensus, {"rounds": rounds}


def rag_chunk(rng: random.Random, place: str, section: str, index: int, total: int, places: list[str]) -> str:
    """One chunk of a document about `place`."""
    body = " ".join(rng.sample(RAG_SENTENCES, rng.randint(3, 5))).format(p=place, x=rng.choice(places))
    return f"# {place} ({section}, part {index + 1} of {total})\n\n{body}"
