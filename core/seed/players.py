"""Players: their sessions, what they did on the map, and what they carry, know and can do."""

from __future__ import annotations

import random
from typing import Any

from core.seed.common import DAY, FIXED_COUNTS, Row, split
from core.seed.text.people import HANDLE_A, HANDLE_B, npc_name, player_settings, quest, rumour
from core.seed.text.words import article, person
from core.seed.world import World
from core.seed.writer import Writer

_SKILLS = ("swordplay", "archery", "lockpicking", "alchemy", "herbalism", "stealth", "persuasion", "smithing",
           "cartography", "fishing", "lore", "survival")
_EVENTS = (("move",) * 8 + ("talk",) * 3
           + ("take", "take", "use", "use", "drop", "combat", "combat", "quest", "trade"))
_CLIENTS = ("1.4.2", "1.4.3", "1.5.0", "1.5.1", "2.0.0-beta")
_VERBS = {"take": "Picked up", "drop": "Dropped", "use": "Used"}


def add_players(w: Writer, rng: random.Random, world: World, users: list[tuple[Any, str]]) -> None:
    """Players with the sessions they played and what they did, walking the real map."""
    w.table("players", "id username display_name user_id current_location_id level experience settings_json "
                       "version created_at last_seen_at")
    w.table("game_sessions", "id player_id started_at ended_at client_version commands_count version")
    w.table("player_history", "id player_id session_id location_id event_type description details_json "
                              "occurred_at")
    n = FIXED_COUNTS["players"]
    sessions = split(rng, FIXED_COUNTS["game_sessions"], n)
    events = iter(split(rng, FIXED_COUNTS["player_history"], FIXED_COUNTS["game_sessions"]))
    linked = iter(rng.sample(users, n))
    starts = [i for i, t in enumerate(world.loc_types) if t in ("town", "village")]
    handles: set[str] = set()
    ids, joined = [], []
    for p in range(n):
        pid = w.uid(rng)
        handle = rng.choice(HANDLE_A) + rng.choice(("", "_")) + rng.choice(HANDLE_B)
        while handle in handles:
            handle = f"{handle}{rng.randint(1, 99)}"
        handles.add(handle)
        created = -330 * DAY + p * 1.6 * DAY + rng.random() * DAY
        here = rng.choice(starts)
        t = created + rng.random() * DAY
        played: list[Row] = []
        history: list[Row] = []
        for s in range(sessions[p]):
            sid, start, count = w.uid(rng), t, next(events)
            for e in range(count):
                kind = "login" if e == 0 else "logout" if e == count - 1 else rng.choice(_EVENTS)
                kind, text, details, here = _event(rng, world, here, kind)
                t += rng.randint(20, 900)
                history.append((w.uid(rng), pid, sid, world.loc_ids[here], kind, text, w.json(details),
                                w.ts(t)))
            still_on = s == sessions[p] - 1 and rng.random() < 0.05
            played.append((sid, pid, w.ts(start), None if still_on else w.ts(t + 5), rng.choice(_CLIENTS),
                           count + rng.randint(0, 40), 1))
            t += rng.uniform(0.3, 6) * DAY
        level = rng.randint(1, 60)
        user = next(linked)[0] if rng.random() < 0.7 else None
        w.add("players", (pid, handle, person(rng), user, world.loc_ids[here], level,
                          level * level * 100 + rng.randint(0, 99), w.json(player_settings(rng)), 1,
                          w.ts(created), w.ts(t)))
        w.extend("game_sessions", played)
        w.extend("player_history", history)
        ids.append(pid)
        joined.append(created)
    _player_things(w, rng, world, ids, joined)


def _event(rng: random.Random, world: World, here: int, kind: str) -> tuple[str, str, dict[str, Any], int]:
    """One history event at `here`: (type, description, details, where the player is afterwards)."""
    name = world.loc_names[here]
    if kind == "talk" and world.npcs_at.get(here):
        npc = rng.choice(world.npcs_at[here])
        who, topic = world.npc_names[npc], rng.choice(world.npc_topics[npc])
        return kind, f"Talked with {who} about {topic}.", {"npc": who, "topic": topic}, here
    if kind in _VERBS and world.takeable_at.get(here):
        obj = world.obj_names[rng.choice(world.takeable_at[here])]
        return kind, f"{_VERBS[kind]} the {obj} in {name}.", {"object": obj}, here
    if kind == "combat":
        foe, outcome = npc_name(rng, "creature"), rng.choice(("won", "won", "fled", "lost"))
        details = {"enemy": foe, "outcome": outcome, "damage_taken": rng.randint(0, 40)}
        return kind, f"Fought {article(foe)} {foe.lower()} in {name} and {outcome}.", details, here
    if kind == "quest":
        title, stage = quest(rng), rng.randint(1, 5)
        return kind, f"Reached stage {stage} of {title}.", {"quest": title, "stage": stage}, here
    if kind == "trade":
        gold = rng.randint(2, 300)
        return kind, f"Traded goods worth {gold} gold in {name}.", {"gold": gold}, here
    if kind in ("login", "logout"):
        verb = "Entered the world" if kind == "login" else "Left the world"
        return kind, f"{verb} at {name}.", {"client": rng.choice(_CLIENTS)}, here
    direction, there = rng.choice(list(world.exits[here].items()))
    to = world.loc_names[there]
    details = {"from": name, "to": to, "direction": direction}
    return "move", f"Went {direction} from {name} to {to}.", details, there


def _player_things(
    w: Writer, rng: random.Random, world: World, players: list[Any], joined: list[float]
) -> None:
    """Inventory, knowledge and skills of every player."""
    w.table("player_inventory", "id player_id object_id quantity is_equipped acquired_at version")
    for p, k in enumerate(split(rng, FIXED_COUNTS["player_inventory"], len(players))):
        for o in rng.sample(world.takeable, min(k, len(world.takeable))):
            otype = world.obj_types[o]
            w.add("player_inventory", (w.uid(rng), players[p], world.obj_ids[o],
                                       rng.randint(1, 6) if otype == "consumable" else 1,
                                       otype in ("weapon", "armor") and rng.random() < 0.5,
                                       w.ts(joined[p] + rng.uniform(0.1, 20) * DAY), 1))
    w.table("player_knowledge", "id player_id source_npc_id topic content learned_at version")
    people = [i for i, t in enumerate(world.npc_types) if t != "creature"]
    for p, k in enumerate(split(rng, FIXED_COUNTS["player_knowledge"], len(players))):
        for _ in range(k):
            npc = rng.choice(people)
            topic = rng.choice(world.npc_topics[npc])
            content = f"{world.npc_names[npc]} said that {rumour(rng, topic)}."
            source = None if rng.random() < 0.1 else world.npc_ids[npc]
            w.add("player_knowledge", (w.uid(rng), players[p], source, topic, content,
                                       w.ts(joined[p] + rng.uniform(0.1, 30) * DAY), 1))
    w.table("player_skills", "id player_id skill_name level experience version")
    for p in range(0, len(players), 2):  # 5 skills on average, exactly: pairs of players share 10
        d = rng.randint(-2, 2)
        for q, k in ((p, 5 + d), (p + 1, 5 - d)):
            for skill in rng.sample(_SKILLS, k):
                level = rng.randint(1, 50)
                xp = level * 40 + rng.randint(0, 39)
                w.add("player_skills", (w.uid(rng), players[q], skill, level, xp, 1))

