"""Deterministic demo data at any scale: a living game world plus shop and agent logs."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import random
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from core import seed_text as tx
from core.db import Database
from core.errors import NotFoundError, WardenError
from core.models import metadata

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

T = TypeVar("T")

Progress = Callable[[str, int, int], None]
Row = tuple[Any, ...]

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAY = 86400.0
BATCH = 10_000

#: Rows of the world, player and catalogue tables: the same at every scale.
FIXED_COUNTS = {
    "regions": 16, "locations": 240, "npcs": 320, "npc_relationships": 480, "objects": 640,
    "object_interactions": 420, "players": 120, "game_sessions": 1200, "player_inventory": 600,
    "player_knowledge": 720, "player_skills": 600, "player_history": 3600, "products": 240,
}
#: Rows of the operations tables per unit of scale.
PER_SCALE = {
    "users": 1000, "orders": 2000, "order_items": 5000, "agent_executions": 2500,
    "tool_executions": 10_000, "llm_round_table_results": 100, "rag_documents": 500,
}
EXTRA_EDGES = 70  # undirected edges added to the spanning tree, so the map has loops
PORTALS = 6  # one-way connections

_V4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_V4_SET = (0x8000 << 48) | (4 << 76)
_EPOCH_NAIVE = EPOCH.replace(tzinfo=None)


class SeedError(WardenError):
    """Demo data cannot be written into this database."""


def expected_counts(scale: int) -> dict[str, int]:
    """Rows `seed` inserts per table at this scale, parents before children."""
    counts = {**FIXED_COUNTS, **{t: n * scale for t, n in PER_SCALE.items()}}
    counts["location_connections"] = 2 * (FIXED_COUNTS["locations"] - 1 + EXTRA_EDGES) + PORTALS
    return {t.name: counts[t.name] for t in metadata.sorted_tables if t.name in counts}


def seed(db: Database, *, scale: int = 1, seed: int = 42, progress: Progress | None = None) -> dict[str, int]:
    """Fill an empty reference schema with demo data in one transaction; returns rows inserted per table."""
    if not isinstance(scale, int) or scale < 1:
        raise SeedError(f"Scale must be a whole number of at least 1, not {scale!r}.")
    totals = expected_counts(scale)
    with db.engine.begin() as conn:
        _check_schema(conn, db, list(totals))
        w = _Writer(conn, db.backend, totals, progress)
        with _bulk_mode(conn, w.sqlite, list(totals)):
            users = _users(w, _rng(seed, "users"), totals["users"])
            world = _world(w, seed)
            _players(w, _rng(seed, "players"), world, users[: PER_SCALE["users"]])
            products = _products(w, _rng(seed, "products"))
            _orders(w, _rng(seed, "orders"), users, products, totals["orders"])
            _agents(w, _rng(seed, "agents"), users, world.loc_names, totals["agent_executions"])
            _round_tables(w, _rng(seed, "round_tables"), world.loc_names, totals["llm_round_table_results"])
            _rag(w, _rng(seed, "rag"), world.loc_names, totals["rag_documents"])
            w.flush()
    return w.counts


class _Rng(random.Random):
    """A Random whose choice and randint cost one float draw each (the stock ones loop on getrandbits)."""

    def choice(self, seq: SupportsLenAndGetItem[T]) -> T:
        """A random element of a non-empty sequence."""
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        """A random integer in [a, b]."""
        return a + int(self.random() * (b - a + 1))


def _rng(seed: int, section: str) -> random.Random:
    """An independent stream per section, so the world does not depend on the scale."""
    return _Rng(f"warden-seed:{seed}:{section}")


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`parts` random sizes of at least 1 that add up to exactly `total`."""
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def _check_schema(conn: sa.Connection, db: Database, tables: Sequence[str]) -> None:
    """Refuse a database without the schema, or one that already holds rows."""
    present = set(sa.inspect(conn).get_table_names())
    missing = [t for t in tables if t not in present]
    if missing:
        raise NotFoundError(
            f"{db.display_url} has no table {missing[0]}: create the schema first (warden migrate upgrade)."
        )
    for t in tables:
        if conn.execute(sa.select(sa.literal(1)).select_from(metadata.tables[t]).limit(1)).first():
            where = db.display_url
            raise SeedError(f"{where} is not empty ({t} has rows); demo data needs an empty database.")


@contextlib.contextmanager
def _bulk_mode(conn: sa.Connection, sqlite: bool, tables: list[str]) -> Iterator[None]:
    """On SQLite, build secondary indexes once at the end and use a bigger page cache.

    The indexes are dropped and re-created from their own DDL inside the same transaction,
    so a failure rolls the schema back with the rows.
    """
    if not sqlite:
        yield
        return
    # The sqlite3 module opens its implicit transaction only at the first INSERT, so DDL run before
    # that would be committed on the spot; begin explicitly so the DROP INDEX can be rolled back.
    if not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN")
    marks = ", ".join("?" * len(tables))
    saved = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master"
        f" WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        tuple(tables),
    ).all()
    cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
    conn.exec_driver_sql("PRAGMA cache_size = -131072")
    quote = conn.dialect.identifier_preparer.quote
    try:
        for name, _ in saved:
            conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
        yield
        for _, ddl in saved:
            conn.exec_driver_sql(ddl)
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {cache}")


class _Writer:
    """Buffers rows per table and writes them in batches, parents first.

    On SQLite rows are built directly in the stored form SQLAlchemy writes (32-hex UUIDs, naive UTC
    timestamps, JSON text, REAL numerics) and go straight to executemany; on PostgreSQL they are
    Python values bound by SQLAlchemy.
    """

    def __init__(self, conn: sa.Connection, backend: str, totals: dict[str, int], progress: Progress | None):
        self.conn = conn
        self.sqlite = backend == "sqlite"
        self.totals = totals
        self.progress = progress
        self.counts = dict.fromkeys(totals, 0)
        self._order = {name: i for i, name in enumerate(totals)}
        self._buffers: dict[str, list[Row]] = {}
        self._statements: dict[str, Any] = {}
        self._columns: dict[str, list[str]] = {}
        self._json_cache: dict[Any, Any] = {}

    # values in the form the backend stores or binds

    def uid(self, rng: random.Random) -> Any:
        """A random version-4 UUID drawn from `rng`."""
        n = rng.getrandbits(128) & _V4_CLEAR | _V4_SET
        return f"{n:032x}" if self.sqlite else uuid.UUID(int=n)

    def ts(self, seconds: float) -> Any:
        """The moment `seconds` after the epoch (negative: before it)."""
        if self.sqlite:
            return (_EPOCH_NAIVE + dt.timedelta(seconds=seconds)).isoformat(" ", "microseconds")
        return EPOCH + dt.timedelta(seconds=seconds)

    def json(self, value: Any) -> Any:
        """A JSON value; None stays SQL NULL."""
        return json.dumps(value) if self.sqlite and value is not None else value

    def cached_json(self, key: Any, make: Callable[[], Any]) -> Any:
        """`self.json(make())`, computed once per distinct key (small values repeat a lot)."""
        value = self._json_cache.get(key)
        if value is None:
            value = self._json_cache[key] = self.json(make())
        return value

    def tags(self, value: list[str]) -> Any:
        """A list of tags (a JSON list on SQLite, a text array on PostgreSQL)."""
        return json.dumps(value) if self.sqlite else value

    def money(self, value: Decimal | None) -> Any:
        """An exact amount; SQLite stores NUMERIC as REAL, as SQLAlchemy does."""
        return float(value) if self.sqlite and value is not None else value

    # rows

    def table(self, name: str, columns: str) -> None:
        """Declare the columns (space-separated) of the rows about to be added to `name`."""
        cols = self._columns[name] = columns.split()
        if self.sqlite:
            q = self.conn.dialect.identifier_preparer.quote
            marks = ", ".join("?" * len(cols))
            self._statements[name] = f"INSERT INTO {q(name)} ({', '.join(map(q, cols))}) VALUES ({marks})"
        else:
            real = metadata.tables[name]
            light = sa.table(name, *(sa.column(c, _pg_type(real.c[c])) for c in cols))
            self._statements[name] = light.insert()
        self._buffers.setdefault(name, [])

    def add(self, name: str, row: Row) -> None:
        """Queue one row; hand over a batch when the buffer is full."""
        buf = self._buffers[name]
        buf.append(row)
        if len(buf) >= BATCH:
            self.flush()

    def extend(self, name: str, rows: list[Row]) -> None:
        """Queue several rows of one table."""
        buf = self._buffers[name]
        buf.extend(rows)
        if len(buf) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write every queued row, parent tables first, and report progress."""
        for name in sorted(self._buffers, key=self._order.__getitem__):
            rows = self._buffers[name]
            if not rows:
                continue
            if self.sqlite:
                self.conn.exec_driver_sql(self._statements[name], rows)
            else:
                cols = self._columns[name]
                self.conn.execute(self._statements[name], [dict(zip(cols, r, strict=True)) for r in rows])
            self.counts[name] += len(rows)
            self._buffers[name] = []
            if self.progress:
                self.progress(name, self.counts[name], self.totals[name])


def _pg_type(col: sa.Column[Any]) -> Any:
    """The column's type, except that a nullable JSON column writes None as SQL NULL."""
    if isinstance(col.type, sa.JSON) and col.nullable:
        return postgresql.JSONB(none_as_null=True)
    return col.type


# --- world ------------------------------------------------------------------------------------------

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
class _World:
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


def _world(w: _Writer, seed: int) -> _World:
    """Regions, a connected map of locations, NPCs, objects and what can be done with them."""
    world = _World()
    themes, region_ids = _regions(w, _rng(seed, "regions"))
    _locations(w, _rng(seed, "locations"), world, themes, region_ids)
    _npcs(w, _rng(seed, "npcs"), world)
    _objects(w, _rng(seed, "objects"), world)
    return world


def _regions(w: _Writer, rng: random.Random) -> tuple[list[str], list[Any]]:
    """Three realms of three provinces; one province is a city of four districts.

    Returns each region's theme ("" for realms, which hold no locations of their own) and its id.
    """
    w.table("regions", "id name description parent_region_id climate danger_level version "
                       "created_at updated_at")
    plain = [t for t in tx.THEMES if t != "city"]
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
        names.append(tx.region_name(rng, level, theme))
        up = None if parent is None else names[parent]
        created = -400 * DAY + i * 3600
        changed = created + rng.randint(0, 90) * DAY
        w.add("regions", (ids[i], names[i], tx.region_description(rng, names[i], theme, up),
                          None if parent is None else ids[parent], tx.THEMES[theme]["climate"],
                          rng.randint(1, 3) + level * 2, 1, w.ts(created), w.ts(changed)))
    return [theme if level else "" for level, theme, _ in layout], ids


def _locations(
    w: _Writer, rng: random.Random, world: _World, themes: list[str], region_ids: list[Any]
) -> None:
    """Grow the map region by region as a spanning tree on a grid, then add loops and portals.

    Outdoor places sit on grid cells and link to a neighbouring cell, so directions are geometric
    and each way back is the opposite; buildings hang off a cell through a door ("in"), dungeons
    and caves through stairs ("down").
    """
    holders = [i for i, t in enumerate(themes) if t]
    sizes = [7 + s for s in _split(rng, FIXED_COUNTS["locations"] - 7 * len(holders), len(holders))]
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
        weights = tx.THEMES[themes[region]]["types"]
        types = ["town" if themes[region] == "city" else rng.choice(("village", "road", "wilderness"))]
        types += rng.choices(list(weights), weights=list(weights.values()), k=size - 1)
        members: list[int] = []
        for ltype in types:
            n = len(world.loc_ids)
            name = tx.location_name(rng, ltype)
            while name in taken:
                name = tx.location_name(rng, ltype)
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
        short = tx.location_short(rng, ltype)
        exits = [(d, world.loc_names[t]) for d, t in world.exits[i].items()]
        created = -360 * DAY + i * 600
        full, state = tx.location_full(rng, short, ltype, exits), w.json(tx.location_state(rng, ltype))
        w.add("locations", (world.loc_ids[i], region_ids[region_of[i]], world.loc_names[i], ltype, short,
                            full, state, 1, w.ts(created), w.ts(created + rng.randint(0, 200) * DAY)))
    w.table("location_connections", "id source_location_id target_location_id direction connection_type "
                                    "description is_bidirectional travel_minutes version")
    ids, names = world.loc_ids, world.loc_names
    for a, b, d, ctype in edges:
        minutes, both = rng.randint(*_MINUTES[ctype]), ctype != "portal"
        text = tx.connection_description(rng, ctype, d, names[b])
        w.add("location_connections", (w.uid(rng), ids[a], ids[b], d, ctype, text, both, minutes, 1))
        if both:
            back = OPPOSITE[d]
            text = tx.connection_description(rng, ctype, back, names[a])
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


def _npcs(w: _Writer, rng: random.Random, world: _World) -> None:
    """NPCs placed by the kind of location, and who they like or hate."""
    w.table("npcs", "id location_id name npc_type description personality_json knowledge_json is_hostile "
                    "version created_at updated_at")
    weights = [4 if t in ("town", "building") else 2 if t == "village" else 1 for t in world.loc_types]
    spots = rng.choices(range(len(world.loc_ids)), weights=weights, k=FIXED_COUNTS["npcs"])
    for i, loc in enumerate(spots):
        ntype = rng.choice(_NPC_TYPES.get(world.loc_types[loc], _WILD_NPCS))
        near = [world.loc_names[t] for t in world.exits[loc].values()] or [world.loc_names[loc]]
        topics = rng.sample(near, min(2, len(near)))
        name = tx.npc_name(rng, ntype)
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
                       tx.npc_description(rng, name, ntype), w.json(tx.personality(rng)),
                       w.json(tx.npc_knowledge(rng, topics, near)), hostile, 1,
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
        note = tx.relationship_note(rng, world.npc_names[b])
        w.add("npc_relationships", (w.uid(rng), world.npc_ids[a], world.npc_ids[b], kind,
                                    rng.randint(*_STRENGTH[kind]), note, 1))


def _objects(w: _Writer, rng: random.Random, world: _World) -> None:
    """Objects lying around (or carried), and the interactions they offer."""
    w.table("objects", "id location_id name object_type description properties_json is_takeable weight_grams "
                       "version created_at updated_at")
    types = list(tx.OBJECT_NOUNS)
    for i in range(FIXED_COUNTS["objects"]):
        loc = rng.randrange(len(world.loc_ids)) if rng.random() < 0.85 else None
        otype = rng.choice(types)
        if loc is None and otype in ("furniture", "container"):
            otype = "trinket"
        name = tx.object_name(rng, otype)
        takeable = otype not in ("furniture", "container") or rng.random() < 0.15
        world.obj_ids.append(w.uid(rng))
        world.obj_names.append(name)
        world.obj_types.append(otype)
        if takeable:
            world.takeable.append(i)
            if loc is not None:
                world.takeable_at.setdefault(loc, []).append(i)
        props = tx.object_properties(rng, otype)
        created = -300 * DAY + i * 700
        w.add("objects", (world.obj_ids[i], None if loc is None else world.loc_ids[loc], name, otype,
                          tx.object_description(rng, name, otype, props), w.json(props), takeable,
                          rng.randint(*tx.WEIGHTS[otype]), 1, w.ts(created),
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
        result = w.json(tx.interaction_result(rng, kind, name, other, world.obj_types[o]))
        required = None if need is None else world.obj_ids[need]
        w.add("object_interactions", (w.uid(rng), world.obj_ids[o], required, kind, text, result, 1))


# --- players ----------------------------------------------------------------------------------------

_SKILLS = ("swordplay", "archery", "lockpicking", "alchemy", "herbalism", "stealth", "persuasion", "smithing",
           "cartography", "fishing", "lore", "survival")
_EVENTS = (("move",) * 8 + ("talk",) * 3
           + ("take", "take", "use", "use", "drop", "combat", "combat", "quest", "trade"))
_CLIENTS = ("1.4.2", "1.4.3", "1.5.0", "1.5.1", "2.0.0-beta")
_VERBS = {"take": "Picked up", "drop": "Dropped", "use": "Used"}


def _players(w: _Writer, rng: random.Random, world: _World, users: list[tuple[Any, str]]) -> None:
    """Players with the sessions they played and what they did, walking the real map."""
    w.table("players", "id username display_name user_id current_location_id level experience settings_json "
                       "version created_at last_seen_at")
    w.table("game_sessions", "id player_id started_at ended_at client_version commands_count version")
    w.table("player_history", "id player_id session_id location_id event_type description details_json "
                              "occurred_at")
    n = FIXED_COUNTS["players"]
    sessions = _split(rng, FIXED_COUNTS["game_sessions"], n)
    events = iter(_split(rng, FIXED_COUNTS["player_history"], FIXED_COUNTS["game_sessions"]))
    linked = iter(rng.sample(users, n))
    starts = [i for i, t in enumerate(world.loc_types) if t in ("town", "village")]
    handles: set[str] = set()
    ids, joined = [], []
    for p in range(n):
        pid = w.uid(rng)
        handle = rng.choice(tx.HANDLE_A) + rng.choice(("", "_")) + rng.choice(tx.HANDLE_B)
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
        w.add("players", (pid, handle, tx.person(rng), user, world.loc_ids[here], level,
                          level * level * 100 + rng.randint(0, 99), w.json(tx.player_settings(rng)), 1,
                          w.ts(created), w.ts(t)))
        w.extend("game_sessions", played)
        w.extend("player_history", history)
        ids.append(pid)
        joined.append(created)
    _player_things(w, rng, world, ids, joined)


def _event(rng: random.Random, world: _World, here: int, kind: str) -> tuple[str, str, dict[str, Any], int]:
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
        foe, outcome = tx.npc_name(rng, "creature"), rng.choice(("won", "won", "fled", "lost"))
        details = {"enemy": foe, "outcome": outcome, "damage_taken": rng.randint(0, 40)}
        return kind, f"Fought {tx.article(foe)} {foe.lower()} in {name} and {outcome}.", details, here
    if kind == "quest":
        quest, stage = tx.quest(rng), rng.randint(1, 5)
        return kind, f"Reached stage {stage} of {quest}.", {"quest": quest, "stage": stage}, here
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
    w: _Writer, rng: random.Random, world: _World, players: list[Any], joined: list[float]
) -> None:
    """Inventory, knowledge and skills of every player."""
    w.table("player_inventory", "id player_id object_id quantity is_equipped acquired_at version")
    for p, k in enumerate(_split(rng, FIXED_COUNTS["player_inventory"], len(players))):
        for o in rng.sample(world.takeable, min(k, len(world.takeable))):
            otype = world.obj_types[o]
            w.add("player_inventory", (w.uid(rng), players[p], world.obj_ids[o],
                                       rng.randint(1, 6) if otype == "consumable" else 1,
                                       otype in ("weapon", "armor") and rng.random() < 0.5,
                                       w.ts(joined[p] + rng.uniform(0.1, 20) * DAY), 1))
    w.table("player_knowledge", "id player_id source_npc_id topic content learned_at version")
    people = [i for i, t in enumerate(world.npc_types) if t != "creature"]
    for p, k in enumerate(_split(rng, FIXED_COUNTS["player_knowledge"], len(players))):
        for _ in range(k):
            npc = rng.choice(people)
            topic = rng.choice(world.npc_topics[npc])
            content = f"{world.npc_names[npc]} said that {tx.rumour(rng, topic)}."
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


# --- shop -------------------------------------------------------------------------------------------

_ROLES = ("player",) * 85 + ("designer",) * 5 + ("support",) * 7 + ("admin",) * 3
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")
_ORDER_STATUS = (("delivered",) * 45 + ("shipped",) * 15 + ("paid",) * 15 + ("pending",) * 10
                 + ("cancelled",) * 8 + ("refunded",) * 7)
_TAX = {"EUR": Decimal("0.19"), "GBP": Decimal("0.20"), "USD": Decimal("0.08")}
_CENT = Decimal("0.01")


def _ascii(text: str) -> str:
    """Lower-case ASCII for e-mail addresses, user names and paths."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _users(w: _Writer, rng: random.Random, count: int) -> list[tuple[Any, str]]:
    """Accounts with unique e-mails and user names; returns (id, username) pairs."""
    w.table("users", "id email username display_name role is_active is_verified metadata version created_at "
                     "last_login_at")
    seen: dict[str, int] = {}
    out = []
    step = 700 * DAY / count
    for i in range(count):
        first, last = rng.choice(tx.FIRST_NAMES), rng.choice(tx.LAST_NAMES)
        local = _ascii(f"{first}.{last}")
        handle = _ascii(rng.choice((f"{first}{last[0]}", f"{first}_{last}", f"{last}{first[0]}")))
        # a number only after the first use; the bases hold no digits, so the results stay unique
        for key in (local, handle):
            seen[key] = seen.get(key, 0) + 1
        username = handle if seen[handle] == 1 else f"{handle}{seen[handle]}"
        email = (local if seen[local] == 1 else f"{local}{seen[local]}") + "@" + rng.choice(_DOMAINS)
        uid = w.uid(rng)
        created = -730 * DAY + i * step
        login = None if rng.random() < 0.1 else w.ts(created + rng.uniform(0, -created))
        w.add("users", (uid, email, username, f"{first} {last}", rng.choice(_ROLES), rng.random() < 0.95,
                        rng.random() < 0.8, w.json(tx.user_meta(rng)), 1, w.ts(created), login))
        out.append((uid, username))
    return out


def _products(w: _Writer, rng: random.Random) -> list[tuple[Any, Decimal, bool]]:
    """The shop's catalogue, a few items free; returns (id, price, digital) per product."""
    w.table("products", "id sku name description price stock status tags version created_at updated_at")
    out = []
    for i in range(FIXED_COUNTS["products"]):
        code, pattern, tags, blurb = tx.PRODUCT_KINDS[i % len(tx.PRODUCT_KINDS)]
        words = {"n": rng.choice((100, 250, 500, 1200, 5000)), "x": tx.compound(rng)}
        digital = "digital" in tags
        base = rng.choice((0, 2, 4, 9, 14, 19, 24, 29, 49, 79))
        price = Decimal(f"{base}.99") if i % 17 else Decimal("0.00")
        extra = rng.sample(("new", "sale", "bestseller", "gift"), rng.randint(0, 2))
        created = -720 * DAY + i * DAY
        pid = w.uid(rng)
        status = rng.choice(("active",) * 8 + ("draft", "discontinued"))
        w.add("products", (pid, f"{code}-{i + 1:05d}", pattern.format(**words), blurb.format(**words),
                           w.money(price), 99999 if digital else rng.randint(0, 400), status,
                           w.tags([*tags, *extra]), 1, w.ts(created),
                           w.ts(created + rng.randint(0, 300) * DAY)))
        out.append((pid, price, digital))
    return out


def _orders(w: _Writer, rng: random.Random, users: list[tuple[Any, str]],
            products: list[tuple[Any, Decimal, bool]], count: int) -> None:
    """Orders (about 8% by guests) of 1-7 lines; subtotal + tax = total, to the cent."""
    w.table("orders", "id order_number user_id status currency subtotal tax total shipping_json payment_json "
                      "version created_at updated_at")
    w.table("order_items", "id order_id product_id quantity unit_price version")
    step = 365 * DAY / count
    for block in range(0, count, 4):  # four orders share ten lines, so totals are exact at any scale
        for j, k in enumerate(_split(rng, 10, 4)):
            i = block + j
            oid = w.uid(rng)
            lines = [(p, rng.choice((1, 1, 1, 1, 1, 1, 2, 2, 3, 5))) for p in rng.sample(products, k)]
            subtotal = sum((p[1] * q for p, q in lines), Decimal("0.00"))
            currency = rng.choice(("EUR", "EUR", "EUR", "GBP", "USD"))
            tax = (subtotal * _TAX[currency]).quantize(_CENT, ROUND_HALF_UP)
            ship = tx.shipping(rng, all(p[2] for p, _ in lines))
            created = -365 * DAY + (i + rng.random()) * step
            w.add("orders", (oid, f"WD-{i + 1:07d}", None if rng.random() < 0.08 else rng.choice(users)[0],
                             rng.choice(_ORDER_STATUS), currency, w.money(subtotal), w.money(tax),
                             w.money(subtotal + tax), w.json(ship), w.json(tx.payment(rng)), 1, w.ts(created),
                             w.ts(min(created + rng.randint(0, 20) * DAY, -60.0))))
            w.extend("order_items", [(w.uid(rng), oid, p[0], q, w.money(p[1]), 1) for p, q in lines])


# --- agents, round tables, documents -----------------------------------------------------------------

_SQL = "select count(*) from orders where status = 'refunded'"
_WAYS = ("north", "south", "east", "west", "down")


def _corr(rng: random.Random) -> str:
    """A correlation id in the usual 36-character form."""
    return str(uuid.UUID(int=rng.getrandbits(128) & _V4_CLEAR | _V4_SET))


def _tool_io(w: _Writer, rng: random.Random, tool: str, place: str, user: str) -> tuple[Any, Any]:
    """Plausible inputs and outputs of one tool call, encoded once per distinct value."""
    r, enc = rng.random, w.cached_json
    kind = tx.TOOL_KIND[tool]
    if kind == "search":
        lim, hits = (5, 10, 20)[int(r() * 3)], int(r() * 21)
        return (enc(("q", place, lim), lambda: {"query": place, "limit": lim}),
                enc(("h", hits), lambda: {"hits": hits}))
    if kind == "user":
        role = ("player", "support")[int(r() * 2)]
        return (enc(("u", user), lambda: {"username": user}),
                enc(("r", role), lambda: {"found": True, "role": role}))
    if kind == "order":
        num, st = int(r() * 2000) + 1, ("paid", "shipped", "delivered")[int(r() * 3)]
        return (enc(("o", num), lambda: {"order_number": f"WD-{num:07d}"}),
                enc(("s", st), lambda: {"status": st}))
    if kind == "world":
        way, edges = _WAYS[int(r() * 5)], int(r() * 9)
        return (enc(("w", place, way), lambda: {"near": place, "direction": way}),
                enc(("e", edges), lambda: {"ok": True, "edges_changed": edges}))
    if kind == "sql":
        value = int(r() * 91)
        return enc(("sql",), lambda: {"sql": _SQL}), enc(("v", value), lambda: {"rows": 1, "value": value})
    tokens, chars = (256, 512, 1024)[int(r() * 3)], 80 + int(r() * 2321)
    return (enc(("t", place, tokens), lambda: {"subject": place, "max_tokens": tokens}),
            enc(("c", chars), lambda: {"chars": chars}))


def _agents(
    w: _Writer, rng: random.Random, users: list[tuple[Any, str]], places: list[str], count: int
) -> None:
    """Agent runs with 1-13 tool calls each, sharing the run's correlation id; about 5% of calls fail."""
    w.table("agent_executions", "id correlation_id agent_name user_id prompt status result_json tokens_used "
                                "duration_ms created_at completed_at")
    w.table("tool_executions", "id correlation_id tool_name agent_id user_id inputs_json outputs_json status "
                               "error_message duration_ms created_at")
    step = (180 * DAY - 3600) / count  # the last run ends before the epoch, the demo's "now"
    agents = list(tx.TOOL_SETS)
    rand, new_id, ts = rng.random, w.uid, w.ts
    for block in range(0, count, 4):  # four runs share sixteen calls, so counts are exact at any scale
        for j, k in enumerate(_split(rng, 16, 4)):
            aid, corr, agent = new_id(rng), _corr(rng), rng.choice(agents)
            uid, uname = rng.choice(users) if rand() < 0.7 else (None, "guest")
            place, tools = rng.choice(places), tx.TOOL_SETS[agent]
            start = -180 * DAY + (block + j + rand()) * step
            t, last, error, calls = start + 0.2 + rand() * 2.8, "success", None, []
            for n in range(k):
                tool = tools[int(rand() * len(tools))]
                r = rand()
                status = ("error" if r < 0.05 else "timeout" if r < 0.065
                          else "running" if r < 0.07 and n == k - 1 else "success")
                inputs, outputs = _tool_io(w, rng, tool, place, uname)
                ms, error = int(rng.expovariate(1 / 400)) + 15, None
                if status == "error":
                    outputs, error = None, tx.tool_error(rng, tx.TOOL_KIND[tool])
                elif status == "timeout":
                    ms, outputs = rng.choice((30000, 60000)), None
                    error = f"Timed out after {ms} ms waiting for {tool}"
                elif status == "running":
                    ms, outputs = 0, None
                calls.append((new_id(rng), corr, tool, aid, uid, inputs, outputs, status, error, ms, ts(t)))
                t += ms / 1000 + 0.05 + rand() * 2
                last = status
            model = rng.choice(tx.MODELS)
            status = {"running": "running", "error": "failed", "timeout": "failed"}.get(last, "succeeded")
            if status == "succeeded" and rand() < 0.01:
                status = "cancelled"
            result: dict[str, Any] = {}
            if status == "failed":
                result = {"model": model, "stopped_after": k, "error": error}
            elif status != "running":
                summary = rng.choice(tx.SUMMARIES[agent]).format(u=uname, p=place)
                result = {"summary": summary, "model": model, "steps": k}
            order = f"WD-{rng.randint(1, 2000):07d}"
            prompt = rng.choice(tx.PROMPTS[agent]).format(u=uname, o=order, p=place)
            w.add("agent_executions", (aid, corr, agent, uid, prompt, status, w.json(result),
                                       rng.randint(200, 8000) * k // 2, int((t - start) * 1000), ts(start),
                                       None if status == "running" else ts(t)))
            w.extend("tool_executions", calls)


def _round_tables(w: _Writer, rng: random.Random, places: list[str], count: int) -> None:
    """Several models debating a design or support question."""
    w.table("llm_round_table_results", "id correlation_id topic participants rounds consensus confidence "
                                       "transcript_json status created_at")
    for i in range(count):
        topic, models, status, consensus, transcript = tx.round_table(rng, places)
        confidence = None if status == "failed" else Decimal(rng.randint(350, 990)) / 1000
        rounds = len(transcript["rounds"])
        w.add("llm_round_table_results", (w.uid(rng), _corr(rng), topic, w.json(models), rounds, consensus,
                                          w.money(confidence), w.json(transcript), status,
                                          w.ts(-200 * DAY + i * 190 * DAY / count)))


def _rag(w: _Writer, rng: random.Random, places: list[str], count: int) -> None:
    """Chunked source documents; content_hash is the SHA-256 of the chunk's content."""
    w.table("rag_documents", "id source_path content content_hash chunk_index chunk_total embedding_model "
                             "version created_at")
    doc = 0
    for block in range(0, count, 10):  # ten chunks per block, split into 2-5 documents
        for total in _split(rng, 10, rng.randint(2, 5)):
            doc += 1
            place, section = rng.choice(places), rng.choice(tx.RAG_SECTIONS)
            slug = _ascii(place).replace(" ", "-").replace("'", "")
            path = f"docs/{section}/{slug}-{doc:06d}.md"
            for c in range(total):
                text = tx.rag_chunk(rng, place, section, c, total, places)
                w.add("rag_documents", (w.uid(rng), path, text, hashlib.sha256(text.encode()).hexdigest(), c,
                                        total, None, 1, w.ts(-250 * DAY + (block + c) * 240 * DAY / count)))
