"""What every section of the demo data shares: its sizes, its "now" and its random streams."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from core.errors import WardenError

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

T = TypeVar("T")

Progress = Callable[[str, int, int], None]
Row = tuple[Any, ...]

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAY = 86400.0

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


class SeedError(WardenError):
    """Demo data cannot be written into this database."""


class _Rng(random.Random):
    """A Random whose choice and randint cost one float draw each (the stock ones loop on getrandbits)."""

    def choice(self, seq: SupportsLenAndGetItem[T]) -> T:
        """A random element of a non-empty sequence."""
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        """A random integer in [a, b]."""
        return a + int(self.random() * (b - a + 1))


def stream(seed: int, section: str) -> random.Random:
    """An independent stream per section, so the world does not depend on the scale."""
    return _Rng(f"warden-seed:{seed}:{section}")


def split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`parts` random sizes of at least 1 that add up to exactly `total`."""
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def to_ascii(text: str) -> str:
    """Lower-case ASCII for e-mail addresses, user names and paths."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
