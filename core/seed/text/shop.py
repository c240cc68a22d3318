"""Customer names, the catalogue and the JSON of accounts and orders."""

from __future__ import annotations

import random
from typing import Any

from core.seed.text.words import compound

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
