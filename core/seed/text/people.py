"""What NPCs are called, say and know, and the words of players' profiles."""

from __future__ import annotations

import random
from typing import Any

from core.seed.text.words import ADJ, SIGHTS, SMELLS, TRAITS, article, person

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
HANDLE_A = (
    "shadow", "ember", "frost", "iron", "night", "storm", "silver", "wild", "moon", "raven", "grim", "swift",
    "brave", "lucky", "dusk",
)
HANDLE_B = (
    "fox", "blade", "wolf", "mage", "witch", "hunter", "bard", "rogue", "knight", "owl", "drake", "sage",
    "smith", "rider",
)
_QUESTS = ("Lost", "Silent", "Broken", "Hidden"), ("Heir", "Bell", "Crown", "Road")


def npc_name(rng: random.Random, npc_type: str) -> str:
    """A person's name, or a creature's description for creatures."""
    if npc_type == "creature":
        return f"{rng.choice(ADJ)} {rng.choice(_CREATURES)}"
    return person(rng)


def npc_description(rng: random.Random, name: str, npc_type: str) -> str:
    """Who an NPC is, in two sentences."""
    if npc_type == "creature":
        adj = rng.choice(ADJ).lower()
        return (f"{article(adj).capitalize()} {adj} beast that lurks among {rng.choice(SIGHTS)}. "
                f"It smells of {rng.choice(SMELLS)}.")
    age = rng.choice(("young", "weathered", "elderly", "middle-aged"))
    return (f"{name} is {article(age)} {age} {rng.choice(_RACES)} {_ROLES[npc_type]}. "
            f"They speak in a {rng.choice(_VOICES)} voice and are fond of {rng.choice(_LIKES)}.")


def personality(rng: random.Random) -> dict[str, Any]:
    """Traits, mood, voice and tastes of an NPC."""
    tastes = rng.sample(_LIKES, 3)
    return {"traits": rng.sample(TRAITS, 3), "mood": rng.choice(_MOODS), "voice": rng.choice(_VOICES),
            "alignment": rng.choice(_ALIGN), "likes": tastes[:2], "dislikes": tastes[2:]}


def rumour(rng: random.Random, place: str) -> str:
    """A rumour an NPC might share."""
    return rng.choice(RUMOURS).format(p=place)


def rumours(rng: random.Random, places: list[str], k: int) -> list[str]:
    """`k` different rumours about nearby places."""
    return [r.format(p=rng.choice(places)) for r in rng.sample(RUMOURS, k)]


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
