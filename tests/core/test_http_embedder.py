"""The OpenAI-compatible embedding provider against a small stub server on 127.0.0.1, started by the test."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import keyring
import keyring.backend
import numpy as np
import pytest
from keyring.backends import fail

from core.errors import WardenError
from core.search.embeddings import check_dimension
from core.search.errors import (
    DimensionMismatch,
    EmbeddingUnavailable,
    ProviderFailed,
    ProviderRateLimited,
    ProviderTimeout,
)
from core.search.http_embedder import HttpEmbedder, endpoint_url, store_api_key

SECRET_TEXT = "customer 4711 complains about invoice INV-SECRET"


def stub_vector(text: str, dim: int) -> list[float]:
    """A deterministic, not normalised vector for `text` (what a service might send)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return (np.random.default_rng(seed).standard_normal(dim) * 3.0).tolist()


class Stub:
    """What the stub answers next, and what it was sent."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.dim = 1536
        self.requests: list[dict[str, Any]] = []
        self.authorization: list[str | None] = []
        self.paths: list[str] = []


class Handler(BaseHTTPRequestHandler):
    stub: Stub

    def do_POST(self) -> None:
        stub = self.server.stub  # type: ignore[attr-defined]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        stub.requests.append(body)
        stub.authorization.append(self.headers.get("Authorization"))
        stub.paths.append(self.path)
        mode = stub.mode
        if mode == "slow":
            time.sleep(3.0)  # far longer than the client's timeout in the test; bounded
        if mode in ("429", "500", "401", "404"):
            # a real service may echo the input in its error: the client must not show it
            self._send(int(mode), {"error": {"message": f"failed on {body['input']}"}}, retry="7")
            return
        if mode == "garbage":
            self._send(200, {"object": "list", "result": "nope"})
            return
        texts = body["input"]
        count = len(texts) - 1 if mode == "short" else len(texts)
        data = [
            {"object": "embedding", "index": i, "embedding": stub_vector(t, stub.dim)}
            for i, t in enumerate(texts[:count])
        ]
        # answered out of order: the client must use `index`
        self._send(200, {"object": "list", "data": list(reversed(data)), "model": body["model"]})

    def _send(self, status: int, payload: dict[str, Any], retry: str | None = None) -> None:
        raw = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            if retry:
                self.send_header("Retry-After", retry)
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[tuple[Stub, str]]:
    """A stub /v1/embeddings server on 127.0.0.1 (a free port), and its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = Stub()
    server.stub = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join(5)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps secrets in a dict (no OS keyring in CI)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored secret, or None."""
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret."""
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget a secret."""
        self.secrets.pop((service, username), None)


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture
def no_ring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_embeds_in_batches_in_order_normalised(stub: tuple[Stub, str], no_ring: None) -> None:
    state, url = stub
    texts = [f"text number {i}" for i in range(150)]
    embedder = HttpEmbedder(url, "text-embedding-3-small", batch_size=64)
    assert embedder.dimension == 1536  # learned from one probe request
    vectors = embedder.embed(texts)
    assert vectors.shape == (150, 1536) and vectors.dtype == np.float32
    expected = np.asarray([stub_vector(t, 1536) for t in texts], np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    assert [len(r["input"]) for r in state.requests] == [1, 64, 64, 22]
    assert {r["model"] for r in state.requests} == {"text-embedding-3-small"}
    assert set(state.paths) == {"/v1/embeddings"}
    assert state.authorization == [None] * 4  # no keyring, no key: a local server needs none
    assert embedder.embed([]).shape == (0, 1536)


def test_key_comes_from_the_keyring(stub: tuple[Stub, str], ring: MemoryKeyring) -> None:
    state, url = stub
    store_api_key(url, "sk-test-123")
    assert ring.secrets == {("Warden", f"embeddings:{url}"): "sk-test-123"}
    HttpEmbedder(url, "m", dimension=1536).embed(["a"])
    assert state.authorization == ["Bearer sk-test-123"]


def test_endpoint_from_base_url() -> None:
    assert endpoint_url("http://localhost:11434") == "http://localhost:11434/v1/embeddings"
    assert endpoint_url("http://localhost:11434/v1/") == "http://localhost:11434/v1/embeddings"
    assert endpoint_url("https://api.example.com/v1/embeddings") == "https://api.example.com/v1/embeddings"
    with pytest.raises(EmbeddingUnavailable, match="http:// or https://"):
        HttpEmbedder("localhost:11434", "m", dimension=3)


def _failure(url: str, *, timeout: float = 10.0) -> WardenError:
    embedder = HttpEmbedder(url, "m", dimension=1536, timeout=timeout)
    with pytest.raises(WardenError) as info:
        embedder.embed([SECRET_TEXT])
    message = str(info.value)
    assert SECRET_TEXT not in message and "INV-SECRET" not in message
    assert "127.0.0.1" in message
    return info.value


def test_timeout_is_a_clear_error(stub: tuple[Stub, str], no_ring: None) -> None:
    state, url = stub
    state.mode = "slow"
    started = time.monotonic()
    exc = _failure(url, timeout=0.3)
    assert time.monotonic() - started < 2.5  # it gave up; it did not wait for the answer
    assert isinstance(exc, ProviderTimeout)
    assert "did not answer within 0.3 s" in str(exc)


def test_rate_limit_is_a_clear_error(stub: tuple[Stub, str], no_ring: None) -> None:
    state, url = stub
    state.mode = "429"
    exc = _failure(url)
    assert isinstance(exc, ProviderRateLimited)
    assert exc.retry_after == 7.0
    assert "rate-limiting requests (HTTP 429); try again in 7 s" in str(exc)


def test_server_error_is_a_clear_error(stub: tuple[Stub, str], no_ring: None) -> None:
    state, url = stub
    state.mode = "500"
    exc = _failure(url)
    assert isinstance(exc, ProviderFailed) and exc.status == 500
    assert "failed (HTTP 500); try again later" in str(exc)


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("401", "refused the API key (HTTP 401)"),
        ("404", "no model 'm' (HTTP 404)"),
        ("garbage", "not embeddings"),
        ("short", "returned 0 vectors for 1 texts"),
    ],
)
def test_refusals_and_nonsense_are_clear_errors(
    stub: tuple[Stub, str], no_ring: None, mode: str, words: str
) -> None:
    state, url = stub
    state.mode = mode
    exc = _failure(url)
    assert isinstance(exc, ProviderFailed)
    assert words in str(exc)


def test_nobody_listening_is_a_clear_error(no_ring: None) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exc = _failure(f"http://127.0.0.1:{port}")
    assert type(exc) is EmbeddingUnavailable
    assert "connection refused" in str(exc)


def test_dimension_mismatch(stub: tuple[Stub, str], no_ring: None) -> None:
    state, url = stub
    embedder = HttpEmbedder(url, "nomic-embed-text", dimension=1536)
    check_dimension(embedder, 1536)
    with pytest.raises(
        DimensionMismatch, match="1536-dimensional vectors but the column embedding holds 384"
    ):
        check_dimension(embedder, 384, column="embedding")
    state.dim = 768  # the service serves another model than the column was made with
    with pytest.raises(
        DimensionMismatch, match="returned 768-dimensional vectors for nomic-embed-text, not 1536"
    ):
        embedder.embed(["a"])
