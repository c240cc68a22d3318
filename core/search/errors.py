"""Typed errors of the embedding providers; each message says what to do, never the text being embedded."""

from __future__ import annotations

from core.errors import WardenError


class EmbeddingUnavailable(WardenError):
    """No embedding can be made: the model is not installed, the service is unreachable or refused."""


class ModelNotInstalled(EmbeddingUnavailable):
    """The local model package is missing or incomplete."""


class ProviderTimeout(EmbeddingUnavailable):
    """The embedding service did not answer in time."""


class ProviderRateLimited(EmbeddingUnavailable):
    """The embedding service refused for now (HTTP 429); trying again later may succeed."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after  # seconds, when the service said


class ProviderFailed(EmbeddingUnavailable):
    """The embedding service answered with an error or with something that is not embeddings."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status, None when there was no HTTP answer


class DimensionMismatch(WardenError):
    """A provider's vectors do not fit a vector column (different dimension)."""
