"""Operations logs: agent runs and their tool calls, round-table debates, and chunked RAG documents."""

from __future__ import annotations

import hashlib
import random
import uuid
from decimal import Decimal
from typing import Any

from core.seed.common import DAY, split, to_ascii
from core.seed.text.agents import (
    MODELS,
    PROMPTS,
    RAG_SECTIONS,
    SUMMARIES,
    TOOL_KIND,
    TOOL_SETS,
    rag_chunk,
    round_table,
    tool_error,
)
from core.seed.writer import Writer, v4_bits

_SQL = "select count(*) from orders where status = 'refunded'"
_WAYS = ("north", "south", "east", "west", "down")


def _corr(rng: random.Random) -> str:
    """A correlation id in the usual 36-character form."""
    return str(uuid.UUID(int=v4_bits(rng)))


def _tool_io(w: Writer, rng: random.Random, tool: str, place: str, user: str) -> tuple[Any, Any]:
    """Plausible inputs and outputs of one tool call, encoded once per distinct value."""
    r, enc = rng.random, w.cached_json
    kind = TOOL_KIND[tool]
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


def add_agents(
    w: Writer, rng: random.Random, users: list[tuple[Any, str]], places: list[str], count: int
) -> None:
    """Agent runs with 1-13 tool calls each, sharing the run's correlation id; about 5% of calls fail."""
    w.table("agent_executions", "id correlation_id agent_name user_id prompt status result_json tokens_used "
                                "duration_ms created_at completed_at")
    w.table("tool_executions", "id correlation_id tool_name agent_id user_id inputs_json outputs_json status "
                               "error_message duration_ms created_at")
    step = (180 * DAY - 3600) / count  # the last run ends before the epoch, the demo's "now"
    agents = list(TOOL_SETS)
    rand, new_id, ts = rng.random, w.uid, w.ts
    for block in range(0, count, 4):  # four runs share sixteen calls, so counts are exact at any scale
        for j, k in enumerate(split(rng, 16, 4)):
            aid, corr, agent = new_id(rng), _corr(rng), rng.choice(agents)
            uid, uname = rng.choice(users) if rand() < 0.7 else (None, "guest")
            place, tools = rng.choice(places), TOOL_SETS[agent]
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
                    outputs, error = None, tool_error(rng, TOOL_KIND[tool])
                elif status == "timeout":
                    ms, outputs = rng.choice((30000, 60000)), None
                    error = f"Timed out after {ms} ms waiting for {tool}"
                elif status == "running":
                    ms, outputs = 0, None
                calls.append((new_id(rng), corr, tool, aid, uid, inputs, outputs, status, error, ms, ts(t)))
                t += ms / 1000 + 0.05 + rand() * 2
                last = status
            model = rng.choice(MODELS)
            status = {"running": "running", "error": "failed", "timeout": "failed"}.get(last, "succeeded")
            if status == "succeeded" and rand() < 0.01:
                status = "cancelled"
            result: dict[str, Any] = {}
            if status == "failed":
                result = {"model": model, "stopped_after": k, "error": error}
            elif status != "running":
                summary = rng.choice(SUMMARIES[agent]).format(u=uname, p=place)
                result = {"summary": summary, "model": model, "steps": k}
            order = f"WD-{rng.randint(1, 2000):07d}"
            prompt = rng.choice(PROMPTS[agent]).format(u=uname, o=order, p=place)
            w.add("agent_executions", (aid, corr, agent, uid, prompt, status, w.json(result),
                                       rng.randint(200, 8000) * k // 2, int((t - start) * 1000), ts(start),
                                       None if status == "running" else ts(t)))
            w.extend("tool_executions", calls)


def add_round_tables(w: Writer, rng: random.Random, places: list[str], count: int) -> None:
    """Several models debating a design or support question."""
    w.table("llm_round_table_results", "id correlation_id topic participants rounds consensus confidence "
                                       "transcript_json status created_at")
    for i in range(count):
        topic, models, status, consensus, transcript = round_table(rng, places)
        confidence = None if status == "failed" else Decimal(rng.randint(350, 990)) / 1000
        rounds = len(transcript["rounds"])
        w.add("llm_round_table_results", (w.uid(rng), _corr(rng), topic, w.json(models), rounds, consensus,
                                          w.money(confidence), w.json(transcript), status,
                                          w.ts(-200 * DAY + i * 190 * DAY / count)))


def add_rag(w: Writer, rng: random.Random, places: list[str], count: int) -> None:
    """Chunked source documents; content_hash is the SHA-256 of the chunk's content."""
    w.table("rag_documents", "id source_path content content_hash chunk_index chunk_total embedding_model "
                             "version created_at")
    doc = 0
    for block in range(0, count, 10):  # ten chunks per block, split into 2-5 documents
        for total in split(rng, 10, rng.randint(2, 5)):
            doc += 1
            place, section = rng.choice(places), rng.choice(RAG_SECTIONS)
            slug = to_ascii(place).replace(" ", "-").replace("'", "")
            path = f"docs/{section}/{slug}-{doc:06d}.md"
            for c in range(total):
                text = rag_chunk(rng, place, section, c, total, places)
                w.add("rag_documents", (w.uid(rng), path, text, hashlib.sha256(text.encode()).hexdigest(), c,
                                        total, None, 1, w.ts(-250 * DAY + (block + c) * 240 * DAY / count)))
