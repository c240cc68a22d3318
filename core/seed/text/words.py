"""Vocabulary every kind of demo text draws on, and the names built from it."""

from __future__ import annotations

import random

PRE = (
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
ADJ = (
    "Whispering", "Sunken", "Forgotten", "Silent", "Crooked", "Gilded", "Shattered", "Mossy", "Ancient",
    "Hollow", "Burning", "Drowned", "Weeping", "Howling", "Broken", "Pale", "Crimson", "Lonely", "Windswept",
    "Hidden", "Verdant", "Frozen", "Twisted", "Starlit",
)
PERSON_FIRST = (
    "Aldric", "Mira", "Thorne", "Elowen", "Bram", "Isolde", "Garrick", "Wren", "Tobias", "Seraphine", "Hal",
    "Ysolde", "Corwin", "Maren", "Edric", "Liora", "Osric", "Brenna", "Fenwick", "Alys", "Rowan", "Tamsin",
    "Gideon", "Nerys", "Cedric", "Ilsa", "Percival", "Odile", "Jory", "Sabine",
)
_EPITHET = (
    "the Bold", "the Grey", "Half-Hand", "the Quiet", "Silvertongue", "the Elder", "One-Eye", "the Wanderer",
    "Lightfoot",
)
SIGHTS = (
    "lichen-covered stones", "a half-buried cart wheel", "old campfire ashes", "carved waymarkers",
    "tracks of some large beast", "a shrine strung with ribbons", "rusted chains",
    "crows watching from above", "wildflowers pushing through cracks", "a collapsed wall",
    "fresh bootprints in the mud", "a toppled statue",
)
SOUNDS = (
    "wind moaning through gaps", "distant bells", "dripping water", "the creak of old timber", "gulls crying",
    "the hum of insects", "muffled voices", "a river rushing somewhere below", "nothing at all",
)
SMELLS = (
    "woodsmoke", "wet earth", "salt and tar", "pine resin", "old parchment", "rot", "baking bread", "incense",
)
TRAITS = (
    "gruff", "honest", "curious", "greedy", "kind", "suspicious", "cheerful", "melancholy", "proud",
    "cowardly", "loyal", "scheming", "pious", "reckless", "patient", "boastful", "shy",
)


def article(word: str) -> str:
    """'a' or 'an' before `word`."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def compound(rng: random.Random) -> str:
    """An English-sounding place name such as Ashford or Ravenmere."""
    return rng.choice(PRE) + rng.choice(_SUF)


def exotic(rng: random.Random) -> str:
    """A fantasy name built from syllables, such as Valmoreth."""
    name = rng.choice(_SYL_A) + rng.choice(_SYL_B)
    return name + rng.choice(_SYL_C) if rng.random() < 0.6 else name


def person(rng: random.Random) -> str:
    """A character name: a first name with a family name or an epithet."""
    first = rng.choice(PERSON_FIRST)
    return f"{first} {rng.choice(_EPITHET)}" if rng.random() < 0.25 else f"{first} {compound(rng)}"
