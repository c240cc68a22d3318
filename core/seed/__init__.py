"""Deterministic demo data at any scale: a living game world plus shop and agent logs."""

from __future__ import annotations

from core.engine.db import Database
from core.schema.models import metadata
from core.seed.agents import add_agents, add_rag, add_round_tables
from core.seed.common import EPOCH, EXTRA_EDGES, FIXED_COUNTS, PER_SCALE, PORTALS, Progress, SeedError, stream
from core.seed.players import add_players
from core.seed.shop import add_orders, add_products, add_users
from core.seed.world import OPPOSITE, add_world
from core.seed.writer import Writer, bulk_mode, check_schema

__all__ = [
    "EPOCH", "FIXED_COUNTS", "OPPOSITE", "PER_SCALE", "Progress", "SeedError", "expected_counts", "seed",
]


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
    db.allow_writes()  # a file read-only until the first write becomes writable here
    with db.engine.begin() as conn:
        check_schema(conn, db, list(totals))
        w = Writer(conn, db.backend, totals, progress)
        with bulk_mode(conn, w.sqlite, list(totals)):
            users = add_users(w, stream(seed, "users"), totals["users"])
            world = add_world(w, seed)
            add_players(w, stream(seed, "players"), world, users[: PER_SCALE["users"]])
            products = add_products(w, stream(seed, "products"))
            add_orders(w, stream(seed, "orders"), users, products, totals["orders"])
            places = world.loc_names
            add_agents(w, stream(seed, "agents"), users, places, totals["agent_executions"])
            add_round_tables(w, stream(seed, "round_tables"), places, totals["llm_round_table_results"])
            add_rag(w, stream(seed, "rag"), places, totals["rag_documents"])
            w.flush()
    return w.counts
