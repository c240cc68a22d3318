"""Names, descriptions, properties and interactions of the world's objects."""

from __future__ import annotations

import random
from typing import Any

from core.seed.text.people import rumour
from core.seed.text.words import SMELLS, article, compound

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
                       f"It smells faintly of {rng.choice(SMELLS)}."))
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
