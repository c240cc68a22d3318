"""The embedding provider of each vector column, chosen in the search panel and remembered per database and
column (QSettings): the local all-MiniLM-L6-v2 model, or an OpenAI-compatible service (base URL and model;
its key stays in the OS keyring, core/search/http_embedder.py). Never the database's password: the database
is named by its display URL."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from gui.settings import settings

if TYPE_CHECKING:
    from core.search.embeddings import Embedder

PROVIDERS_KEY = "search/providers"
LOCAL = "local"
HTTP = "http"
#: The local model's name (core/search/embeddings.py LOCAL_MODEL_NAME), without importing core's numpy here.
LOCAL_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class ProviderChoice:
    """Which provider embeds a column: the local model, or a service's base URL and model name."""

    kind: str = LOCAL
    base_url: str = ""
    model: str = ""

    @property
    def model_name(self) -> str:
        """The model's name as the embedding state records it (an embedder's `name`)."""
        return LOCAL_MODEL if self.kind == LOCAL else self.model

    @property
    def label(self) -> str:
        """How the panel's provider box shows it."""
        if self.kind == LOCAL:
            return f"Local · {LOCAL_MODEL}"
        return f"{self.model} · {self.base_url}"


def _every() -> dict[str, dict[str, str]]:
    raw = settings().value(PROVIDERS_KEY)
    try:
        every = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        every = {}
    return every if isinstance(every, dict) else {}


def _slot(database: str, entity: str, column: str) -> str:
    return f"{database}|{entity}.{column}"


def remembered(database: str, entity: str, column: str) -> ProviderChoice:
    """The provider chosen last for this database's column (the local model when none was)."""
    found = _every().get(_slot(database, entity, column))
    if not isinstance(found, dict) or found.get("kind") not in (LOCAL, HTTP):
        return ProviderChoice()
    return ProviderChoice(str(found["kind"]), str(found.get("base_url", "")), str(found.get("model", "")))


def remember(database: str, entity: str, column: str, choice: ProviderChoice) -> None:
    """Remember `choice` for this database's column."""
    every = _every()
    every[_slot(database, entity, column)] = asdict(choice)
    settings().setValue(PROVIDERS_KEY, json.dumps(every, sort_keys=True))


def known_services() -> list[ProviderChoice]:
    """The services chosen for any column so far, each once (the provider box lists them)."""
    seen: dict[tuple[str, str], ProviderChoice] = {}
    for found in _every().values():
        if isinstance(found, dict) and found.get("kind") == HTTP:
            choice = ProviderChoice(HTTP, str(found.get("base_url", "")), str(found.get("model", "")))
            seen.setdefault((choice.base_url, choice.model), choice)
    return list(seen.values())


def make_embedder(choice: ProviderChoice, dimension: int) -> Embedder:
    """On a worker: the embedder of `choice` for a column of `dimension` (loads the model, or names the
    service; a service of another size fails when it answers, with DimensionMismatch)."""
    if choice.kind == HTTP:
        from core.search.http_embedder import HttpEmbedder

        return HttpEmbedder(choice.base_url, choice.model, dimension=dimension)
    from core.search.embeddings import local_embedder

    return local_embedder()
