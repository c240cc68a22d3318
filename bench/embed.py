"""The local embedder (numpy, no torch) against sentence-transformers + torch on the same model files.

Both sides embed the same demo texts (regions, locations, NPCs, objects, player knowledge and history, RAG
chunks from the scale-1 demo database) in the same run:

- model load: a fresh child process per sample (imports included, as at first use in the app), sides
  alternating;
- warm query embedding: one short query text at a time, after a warm-up;
- re-embedding throughput: `--rows` texts (default 2,000) per sample, and once 10,000 rows.

It prints medians, ratios Warden / sentence-transformers, the smallest cosine between the two sides'
vectors, and the goals of issue #9 with PASS/MISS. Both sides use every core (OpenBLAS here, torch's
intra-op threads there).

    python bench/embed.py                      # 5 samples each
    python bench/embed.py --repeat 3 --rows 1000 --big 0   # quicker; no 10,000-row pass
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import REPO_ROOT, Table, banner, bench_parser, demo_sqlite, fmt_ms, measure

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

TEXT_COLUMNS = [
    ("regions", "description"),
    ("locations", "full_description"),
    ("npcs", "description"),
    ("objects", "description"),
    ("player_knowledge", "content"),
    ("player_history", "description"),
    ("rag_documents", "content"),
]
QUERIES = [
    "a haunted lighthouse on the northern cliffs",
    "Brenna Hollowreach",
    "merchant who sells rare spices",
    "the refund for my order never arrived",
    "tool call timed out after thirty seconds",
    "where can I find a healing potion",
    "dragon sleeping in a cave",
    "customer cannot log in after password reset",
]

LOAD_WARDEN = (
    "import time; t = time.perf_counter()\n"
    "from core.search.embeddings import local_embedder\n"
    "local_embedder()\n"
    "print((time.perf_counter() - t) * 1000)\n"
)
LOAD_ST = (
    "import time; t = time.perf_counter()\n"
    "from sentence_transformers import SentenceTransformer\n"
    "from core.search.embeddings import model_dir\n"
    "SentenceTransformer(str(model_dir()), device='cpu')\n"
    "print((time.perf_counter() - t) * 1000)\n"
)


def demo_texts(db: Path) -> list[str]:
    """Every text of the demo's embedded columns, in a fixed interleaved order (short and long mixed)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        columns = [
            [r[0] for r in conn.execute(f"SELECT {c} FROM {t} WHERE {c} IS NOT NULL ORDER BY rowid")]
            for t, c in TEXT_COLUMNS
        ]
    finally:
        conn.close()
    out: list[str] = []
    for i in range(max(len(c) for c in columns)):
        out.extend(c[i] for c in columns if i < len(c))
    return out


def rows(texts: Sequence[str], n: int) -> list[str]:
    """`n` rows of text: the demo texts, repeated with a row number when there are fewer."""
    return [texts[i] if i < len(texts) else f"{texts[i % len(texts)]} (row {i})" for i in range(n)]


def load_ms(code: str) -> float:
    """Milliseconds to import and load a model in a fresh interpreter (measured inside it)."""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def throughput(embed: Callable[[Sequence[str]], Any], texts: Sequence[str], repeat: int) -> list[float]:
    """Rows per second of each of `repeat` passes over `texts`."""
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        embed(texts)
        rates.append(len(texts) / (time.perf_counter() - t0))
    return rates


def main() -> int:
    parser = bench_parser(__doc__, default_scale=1)
    parser.add_argument("--repeat", type=int, default=5, help="samples per measurement (default 5)")
    parser.add_argument("--rows", type=int, default=2000, help="texts per throughput sample (default 2,000)")
    parser.add_argument("--big", type=int, default=10_000, help="rows of the one long pass (0: skip)")
    args = parser.parse_args()

    import numpy as np
    from sentence_transformers import SentenceTransformer

    from core.search.embeddings import local_embedder, model_dir

    db = args.sqlite or demo_sqlite(args.scale)
    texts = demo_texts(db)
    sample = rows(texts, args.rows)
    print(banner(f"embedding: {len(texts):,} demo texts, {os.cpu_count()} cores"))

    print("  model load (fresh processes) …", flush=True)
    warden_load, st_load = [], []
    for _ in range(args.repeat):
        warden_load.append(load_ms(LOAD_WARDEN))
        st_load.append(load_ms(LOAD_ST))

    med = statistics.median
    print(f"    warden {med(warden_load):,.0f} ms, st {med(st_load):,.0f} ms", flush=True)
    ours = local_embedder()
    ref = SentenceTransformer(str(model_dir()), device="cpu")

    def st_embed(batch: Sequence[str]) -> Any:
        return ref.encode(list(batch), batch_size=32, normalize_embeddings=True)

    print("  warm query …", flush=True)
    queries = iter(QUERIES * 1000)
    q_ours = measure(lambda: ours.embed([next(queries)]), max(20, args.repeat * 8), warmup=3)
    q_st = measure(lambda: st_embed([next(queries)]), max(20, args.repeat * 8), warmup=3)

    print(f"    warden {q_ours.median:.1f} ms, st {q_st.median:.1f} ms", flush=True)
    print(f"  throughput, {len(sample):,} rows …", flush=True)
    ours.embed(sample[:64])
    st_embed(sample[:64])
    tp_ours = throughput(ours.embed, sample, args.repeat)
    print(f"    warden {statistics.median(tp_ours):,.0f} rows/s …", flush=True)
    tp_st = throughput(st_embed, sample, args.repeat)
    print(f"    st {statistics.median(tp_st):,.0f} rows/s", flush=True)

    a, b = ours.embed(sample), np.asarray(st_embed(sample), np.float32)
    worst_cos = float(np.min(np.sum(a * b, axis=1)))

    big_ours = big_st = None
    if args.big:
        print(f"  throughput, {args.big:,} rows (once each) …", flush=True)
        big = rows(texts, args.big)
        big_ours = throughput(ours.embed, big, 1)[0]
        print(f"    warden {args.big / big_ours:.1f} s …", flush=True)
        big_st = throughput(st_embed, big, 1)[0]

    table = Table(["measure", "warden (numpy)", "sentence-transformers", "warden / st"])
    med = statistics.median
    table.add(
        "model load, ms (median)",
        fmt_ms(med(warden_load)),
        fmt_ms(med(st_load)),
        f"{med(warden_load) / med(st_load):.2f}x",
    )
    table.add(
        "warm query, ms (median)",
        fmt_ms(q_ours.median),
        fmt_ms(q_st.median),
        f"{q_ours.median / q_st.median:.2f}x",
    )
    table.add("warm query, ms (p90)", fmt_ms(q_ours.p90), fmt_ms(q_st.p90), "")
    table.add(
        f"throughput, {len(sample):,} rows, rows/s (median)",
        f"{med(tp_ours):,.0f}",
        f"{med(tp_st):,.0f}",
        f"{med(tp_ours) / med(tp_st):.2f}x",
    )
    if big_ours and big_st:
        table.add(
            f"{args.big:,} rows, s",
            f"{args.big / big_ours:.1f}",
            f"{args.big / big_st:.1f}",
            f"{big_st / big_ours:.2f}x",
        )
    print()
    print(table.render())
    print(f"\n  smallest cosine between the two sides over {len(sample):,} texts: {worst_cos:.6f}")

    goals = [
        ("warm query embedding <= 15 ms", q_ours.median <= 15),
        ("model load <= 2 s", med(warden_load) <= 2000),
        ("throughput >= 0.8x sentence-transformers", med(tp_ours) >= 0.8 * med(tp_st)),
    ]
    if big_ours:
        goals.append((f"{args.big:,} rows in < 60 s", args.big / big_ours < 60))
    print()
    for goal, ok in goals:
        print(f"  {'PASS' if ok else 'MISS'}  {goal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
