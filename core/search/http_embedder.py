"""An OpenAI-compatible /v1/embeddings provider (Ollama, OpenAI, LM Studio …), over urllib only.

The API key lives in the OS keyring (service "Warden", account "embeddings:<base URL>"), never in settings.
Messages name the service's address and the HTTP status, never the texts or the service's answer (it may
quote the texts).
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from core.search.errors import (
    DimensionMismatch,
    EmbeddingUnavailable,
    ProviderFailed,
    ProviderRateLimited,
    ProviderTimeout,
)

log = logging.getLogger("warden.search.http")

KEYRING_SERVICE = "Warden"
DEFAULT_TIMEOUT = 30.0
DEFAULT_BATCH = 64


def keyring_account(base_url: str) -> str:
    """The keyring user name under which the key for `base_url` is kept."""
    return "embeddings:" + base_url.rstrip("/")


def store_api_key(base_url: str, key: str) -> None:
    """Keep the API key for `base_url` in the OS keyring (a KeyringError when there is none)."""
    import keyring

    keyring.set_password(KEYRING_SERVICE, keyring_account(base_url), key)


def api_key(base_url: str) -> str | None:
    """The API key kept for `base_url`, or None (none stored, or no keyring; a local service needs none)."""
    import keyring
    import keyring.errors

    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_account(base_url))
    except keyring.errors.KeyringError as exc:
        log.info("no API key from the keyring for an embedding service: %s", type(exc).__name__)
        return None


def endpoint_url(base_url: str) -> str:
    """The embeddings endpoint for a base URL given with or without /v1 (or as the endpoint itself)."""
    url = base_url.rstrip("/")
    if url.endswith("/embeddings"):
        return url
    if url.endswith("/v1"):
        return url + "/embeddings"
    return url + "/v1/embeddings"


class HttpEmbedder:
    """Embeddings from an OpenAI-compatible service; rows are L2-normalised like the local model's."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        dimension: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        batch_size: int = DEFAULT_BATCH,
        key: str | None = None,
    ):
        """`dimension` None asks the service once (one short text) to learn it."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EmbeddingUnavailable("The embedding service URL must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.url = endpoint_url(base_url)
        self.name = model
        self.timeout = timeout
        self.batch_size = max(1, batch_size)
        # host and port only: a URL may carry a user name or a token in its query
        self.where = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
        self._key = key if key is not None else api_key(base_url)
        if dimension is None:
            dimension = int(self._request(["dimension probe"]).shape[1])
        self.dimension: int = dimension

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """float32 (len(texts), dimension), unit-length rows, in order; one request per `batch_size` texts."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            chunk = self._request(texts[start : start + self.batch_size])
            if chunk.shape[1] != self.dimension:
                raise DimensionMismatch(
                    f"The embedding service at {self.where} returned {chunk.shape[1]}-dimensional vectors "
                    f"for {self.name}, not {self.dimension}; check the model name"
                )
            out[start : start + len(chunk)] = chunk
        return out

    def _request(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        body = json.dumps({"model": self.name, "input": [str(t) for t in texts]}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from None
        except TimeoutError as exc:
            raise self._timeout() from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise self._timeout() from exc
            raise EmbeddingUnavailable(
                f"Cannot reach the embedding service at {self.where} ({_reason(exc.reason)}); "
                "check the URL and that the service is running"
            ) from exc
        except OSError as exc:  # the connection broke while reading the answer
            raise EmbeddingUnavailable(
                f"The connection to the embedding service at {self.where} broke ({type(exc).__name__}); "
                "try again"
            ) from exc
        return _unit_rows(self._vectors(payload, len(texts)))

    def _vectors(self, payload: bytes, expected: int) -> npt.NDArray[np.float32]:
        """The `data[].embedding` arrays of an answer, ordered by `index`."""
        try:
            data: Any = json.loads(payload)["data"]
            items = sorted(data, key=lambda d: int(d.get("index", 0)))
            matrix = np.asarray([d["embedding"] for d in items], dtype=np.float32)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ProviderFailed(
                f"The embedding service at {self.where} answered with something that is not embeddings; "
                "check that the URL points at an OpenAI-compatible /v1/embeddings endpoint"
            ) from None
        if matrix.ndim != 2 or len(matrix) != expected or matrix.shape[1] == 0:
            raise ProviderFailed(
                f"The embedding service at {self.where} returned {len(matrix)} vectors for {expected} texts"
            )
        if not np.isfinite(matrix).all():
            raise ProviderFailed(
                f"The embedding service at {self.where} returned vectors that are not finite"
            )
        return matrix

    def _timeout(self) -> ProviderTimeout:
        return ProviderTimeout(
            f"The embedding service at {self.where} did not answer within {self.timeout:g} s; "
            "check that it is running, or embed fewer rows at a time"
        )

    def _http_error(self, exc: urllib.error.HTTPError) -> EmbeddingUnavailable:
        status = exc.code
        exc.close()
        if status == 429:
            retry = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            when = f"in {retry:g} s" if retry is not None else "later"
            return ProviderRateLimited(
                f"The embedding service at {self.where} is rate-limiting requests (HTTP 429); "
                f"try again {when}",
                retry_after=retry,
            )
        if status in (401, 403):
            return ProviderFailed(
                f"The embedding service at {self.where} refused the API key (HTTP {status}); "
                "store the right key for this URL in the system keyring",
                status=status,
            )
        if status == 404:
            return ProviderFailed(
                f"The embedding service at {self.where} has no embeddings endpoint or no model {self.name!r} "
                "(HTTP 404); check the URL and the model name",
                status=status,
            )
        if status >= 500:
            return ProviderFailed(
                f"The embedding service at {self.where} failed (HTTP {status}); try again later, "
                "or look at the service's log",
                status=status,
            )
        return ProviderFailed(
            f"The embedding service at {self.where} refused the request (HTTP {status}); "
            "check the model name and the service's limits",
            status=status,
        )


def _unit_rows(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length (some services do not normalise); zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: npt.NDArray[np.float32] = (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    return unit


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: not worth parsing for a hint


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "unknown host"
    return type(reason).__name__ if isinstance(reason, BaseException) else "no answer"
