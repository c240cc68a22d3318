"""Agents, their tools and failures, round-table debates and the documents of the RAG store."""

from __future__ import annotations

import random
from typing import Any

TOOL_SETS: dict[str, tuple[str, ...]] = {
    "support-triage": ("search_orders", "get_user", "refund_order", "send_email", "search_kb"),
    "order-assistant": ("search_orders", "get_order", "update_shipping", "check_stock"),
    "world-builder": ("create_location", "connect_locations", "generate_description", "validate_graph"),
    "npc-dialogue": ("get_npc", "search_lore", "generate_reply", "moderate_text"),
    "lore-keeper": ("search_lore", "rag_query", "summarise", "cite_sources"),
    "moderation": ("moderate_text", "get_user", "flag_content", "ban_user"),
    "analytics": ("run_sql", "plot_chart", "summarise"),
}
PROMPTS: dict[str, tuple[str, ...]] = {
    "support-triage": ("Customer {u} says order {o} never arrived; find out why and draft a reply.",
                       "Refund request from {u} for order {o}: check eligibility.",
                       "Why was {u} charged twice?"),
    "order-assistant": ("Change the shipping address of order {o}.",
                        "Is order {o} delayed? Customer {u} asks."),
    "world-builder": ("Add a smugglers' cave east of {p} and connect it to the coast road.",
                      "Check that every location in {p} is reachable."),
    "npc-dialogue": ("Write what the innkeeper at {p} says when asked about the missing heir.",
                     "Player {u} asks the guard at {p} for directions."),
    "lore-keeper": ("Summarise the history of {p} for the wiki.", "Which documents mention the fall of {p}?"),
    "moderation": ("Review chat messages reported against {u}.", "Is the guild name '{p} Raiders' allowed?"),
    "analytics": ("How many orders were refunded last week?",
                  "Plot daily active players for {p} this month."),
}
MODELS = ("warden-large-2", "warden-small-3", "local-llama-8b", "mixtral-8x7b")
_KIND_OF = {"run_sql": "sql", "flag_content": "user", "update_shipping": "order", "check_stock": "order",
            "create_location": "world", "connect_locations": "world", "validate_graph": "world"}
#: What a tool works on, which decides its inputs, outputs, services and errors.
TOOL_KIND = {
    tool: _KIND_OF.get(tool)
    or ("search" if tool.startswith(("search", "rag")) else "user" if tool.endswith("user")
        else "order" if "order" in tool else "text")
    for tools in TOOL_SETS.values()
    for tool in tools
}
_COMMON_ERRORS = (
    "ConnectionError: upstream {svc} closed the connection after {n} ms",
    "HTTP 502 Bad Gateway from {svc}",
    "RateLimitError: 429 Too Many Requests from {svc} (retry after {s}s)",
)
ERRORS: dict[str, tuple[str, ...]] = {
    "search": ("FileNotFoundError: [Errno 2] No such file or directory: 'lore/chunks/{n}.md'",
               "JSONDecodeError: Expecting ',' delimiter: line 1 column {n} (char {s})"),
    "user": ("PermissionError: caller lacks role 'support' for {svc}",
             "KeyError: 'user_id' missing from {svc} payload"),
    "order": ("ValidationError: field 'order_id' must be a UUID, got '{n}'",
              "OperationalError: deadlock detected while updating {svc} (pid {n})"),
    "sql": ('ProgrammingError: relation "orders_archive_{s}" does not exist',
            "OperationalError: canceling statement due to statement timeout ({n} ms)"),
    "world": ('IntegrityError: duplicate key violates unique constraint "uq_location_connections" ({svc})',
              "ValidationError: location {n} would be unreachable from the starting village"),
    "text": ("ContextLengthError: prompt is {n} tokens, the limit is 8192",
             "ContentFilterError: reply blocked by {svc} (category {s})"),
}
SERVICES = {"search": ("lore-index", "search-api"), "user": ("accounts-api", "moderation-api"),
            "order": ("orders-api", "payments", "inventory-service"), "sql": ("warehouse",),
            "world": ("world-api",), "text": ("llm-gateway", "moderation-api")}
ROUND_TABLE_TOPICS = (
    "Should the ferry to {p} run at night?", "Is the drop rate of rare items in {p} too generous?",
    "How should refunds for the expansion set around {p} be handled?", "Does {p} need a second inn?",
    "Should guest checkout require an email address?", "Which quests in {p} confuse new players?",
)
SUMMARIES: dict[str, tuple[str, ...]] = {
    "support-triage": ("Drafted a reply to {u} and proposed a refund.",
                       "Found a carrier delay; told {u} to wait two days."),
    "order-assistant": ("Updated the order and e-mailed {u} a confirmation.",
                        "Order is on time; replied to {u}."),
    "world-builder": ("Added the location near {p} and connected it both ways.",
                      "Every location in {p} is reachable."),
    "npc-dialogue": ("Wrote four lines of dialogue set in {p}.", "Gave directions from {p} in character."),
    "lore-keeper": ("Summarised the history of {p} in 180 words.", "Found 3 documents that mention {p}."),
    "moderation": ("No rule broken by {u}; closed the report.", "Warned {u} for spam."),
    "analytics": ("Counted the refunds and plotted them by day.", "Plotted daily active players."),
}
RAG_SECTIONS = ("lore", "support", "design", "runbooks")
RAG_SENTENCES = (
    "{p} was founded by exiles who crossed {x} in the year of the long frost.",
    "When a customer reports a missing order, first confirm the shipping address and carrier status.",
    "Refunds for digital goods are granted within 14 days if the items are unused.",
    "Every location must be reachable from the starting village; run validate_graph after edits.",
    "The guards of {p} change watch at dusk and dawn, and the gate closes at midnight.",
    "If the payments provider returns HTTP 502, retry with exponential backoff before escalating.",
    "NPC dialogue should stay under three sentences and reveal at most one clue per exchange.",
    "The ruins near {p} hold a sealed vault that only the rune key can open.",
    "Tool timeouts above 30 seconds are logged as incidents and reviewed weekly.",
    "Merchants in {x} raise prices during festivals and lower them after storms.",
)
_STANCES = ("yes, with limits", "no", "only for new players", "needs more data", "yes")


def tool_error(rng: random.Random, kind: str) -> str:
    """A realistic error message of a failed tool call."""
    template = rng.choice(_COMMON_ERRORS + ERRORS[kind])
    return template.format(svc=rng.choice(SERVICES[kind]), n=rng.randint(10, 9999), s=rng.randint(1, 60))


def round_table(
    rng: random.Random, places: list[str]
) -> tuple[str, list[str], str, str | None, dict[str, Any]]:
    """One debate: topic, participants, status, consensus and transcript."""
    topic = rng.choice(ROUND_TABLE_TOPICS).format(p=rng.choice(places))
    models = rng.sample(MODELS, rng.randint(2, 4))
    status = rng.choice(("agreed",) * 13 + ("split",) * 5 + ("failed",) * 2)
    rounds = [{"round": r + 1, "positions": {m: rng.choice(_STANCES) for m in models}}
              for r in range(rng.randint(1, 5))]
    reason = rng.choice(RAG_SENTENCES).format(p=rng.choice(places), x=rng.choice(places))
    consensus = None if status == "failed" else f"{rng.choice(_STANCES).capitalize()}: {reason}"
    return topic, models, status, consensus, {"rounds": rounds}


def rag_chunk(rng: random.Random, place: str, section: str, index: int, total: int, places: list[str]) -> str:
    """One chunk of a document about `place`."""
    body = " ".join(rng.sample(RAG_SENTENCES, rng.randint(3, 5))).format(p=place, x=rng.choice(places))
    return f"# {place} ({section}, part {index + 1} of {total})\n\n{body}"
