"""k-NN: Warden's search against raw sqlite-vec, pgvector exact and HNSW, and a numpy `X @ q` scan.

Data: 100,000 × 384 clustered synthetic unit vectors (like embeddings of texts on 300 topics, each
varying along a few directions),
cached under bench/.data/ with the SQLite file built from them (a plain table of float32 BLOBs, as the
reference schema stores embeddings, and a sqlite-vec vec0 table with a metadata column). One row in 50 is
'rare', for the filtered query. PostgreSQL (pgserver, pgvector) is loaded fresh each run, with an HNSW
index (m 16, ef_construction 64) built after the load.

    python bench/knn.py                   # SQLite sides and numpy
    python bench/knn.py --pg              # … and PostgreSQL exact and HNSW (Warden's and a raw psycopg query)
    python bench/knn.py --pg --repeat 30 --rows 20000

Each side answers the same queries (k = 10); it prints the median and p90 milliseconds per query, the
ratio to the numpy scan, and recall@10 against the exact answer. The numpy floor for the filtered query
scans the whole matrix and sets the rows outside the filter aside. Warden's first query on a large SQLite
column reads it into memory (core/search/matrix_cache.py); that first call is left out of the timings
(every side gets one untimed pass) and printed on its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import DATA_DIR, REPO_ROOT, PgServer, Table, banner, bench_parser, fmt_ms, measure

K = 10
DIM = 384
RARE_EVERY = 50


#: The generator's shape: topics, and the few directions each topic's rows vary along (real embeddings
#: of texts lie near a low-dimensional surface; isotropic noise in 384-d would leave every row of a topic
#: almost as near as any other, which no index and no user ever meets).
TOPICS, LATENT = 300, 8


def _topics(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(TOPICS, DIM)).astype(np.float32)
    bases = (0.5 * rng.normal(size=(TOPICS, LATENT, DIM))).astype(np.float32)
    return centres, bases


def _around(centres: np.ndarray, bases: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    topic = rng.integers(0, TOPICS, n)
    z = rng.normal(size=(n, LATENT)).astype(np.float32)
    x = centres[topic] + np.einsum("nl,nld->nd", z, bases[topic]) + 0.05 * rng.normal(size=(n, DIM))
    x = x.astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def vectors(rows: int, seed: int = 5) -> np.ndarray:
    """The cached matrix: `rows` unit vectors of 384 dimensions around TOPICS topics."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"knn-v2-{rows}x{DIM}-seed{seed}.npy"
    if not path.exists():
        x = np.concatenate(
            [_around(*_topics(seed), min(10_000, rows - i), np.random.default_rng(seed + i + 1))
             for i in range(0, rows, 10_000)]
        )  # fmt: skip
        np.save(path, x)
    return np.load(path)


def queries_like(rows: int, n: int, seed: int = 5) -> np.ndarray:
    """`n` query vectors about the same topics as `vectors(rows, seed)`, none of them a stored row."""
    return _around(*_topics(seed), n, np.random.default_rng(seed + 10**6))


def kind(i: int) -> str:
    return "rare" if i % RARE_EVERY == 0 else "common"


def sqlite_file(x: np.ndarray, seed: int) -> Path:
    """The SQLite file of `x`: items (id, name, kind, embedding BLOB) and vitems (vec0, kind metadata)."""
    import sqlite_vec

    from core.engine.db import sqlite_driver

    path = DATA_DIR / f"knn-v2-{len(x)}x{DIM}-seed{seed}.db"
    if path.exists():
        return path
    tmp = path.with_name(path.name + ".creating")
    tmp.unlink(missing_ok=True)
    print(f"  building {path.relative_to(REPO_ROOT)}; cached for later runs", flush=True)
    conn = sqlite_driver()[0].connect(str(tmp))
    conn.enable_load_extension(True)
    sqlite_vec.load(conn)
    conn.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, embedding BLOB)"
    )
    conn.execute("CREATE INDEX ix_items_kind ON items (kind)")
    conn.execute(
        "CREATE VIRTUAL TABLE vitems USING vec0(kind text, embedding float[384] distance_metric=cosine)"
    )
    rows = [(i + 1, f"item {i + 1}", kind(i + 1), v.tobytes()) for i, v in enumerate(x)]
    conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?)", rows)
    conn.executemany(
        "INSERT INTO vitems(rowid, kind, embedding) VALUES (?, ?, ?)", [(r[0], r[2], r[3]) for r in rows]
    )
    conn.commit()
    conn.close()
    tmp.rename(path)
    return path


def exact_top(x: np.ndarray, q: np.ndarray, keys: np.ndarray) -> list[int]:
    """The true top-k keys by cosine (unit vectors: by dot product), ties by key."""
    d = 1 - x @ q
    order = np.lexsort((keys, d))[:K]
    return [int(keys[i]) for i in order]


def recall(got: list[list[int]], truth: list[list[int]]) -> float:
    return sum(len(set(g) & set(t)) for g, t in zip(got, truth, strict=True)) / sum(len(t) for t in truth)


def side(
    table: Table, name: str, run: Callable[[np.ndarray], list[int]], queries: np.ndarray, repeat: int,
    truth: list[list[int]], floor: float | None,
) -> float:  # fmt: skip
    """Time `run` over the queries (each timing is one pass over all, divided per query); one table row."""
    got = [run(q) for q in queries]  # warm, and the answers for recall
    per_query = []
    for _ in range(repeat):
        t = measure(lambda: [run(q) for q in queries], 1, warmup=0)
        per_query.append(t.median / len(queries))
    per_query.sort()
    med = per_query[len(per_query) // 2]
    p90 = per_query[max(0, int(0.9 * len(per_query)) - 1)]
    ratio = f"{med / floor:.2f}x" if floor else "1.00x"
    table.add(name, fmt_ms(med), fmt_ms(p90), ratio, f"{recall(got, truth):.3f}")
    return med


def main() -> None:
    parser = bench_parser(__doc__, 1)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7, help="timed passes over the queries")
    parser.add_argument("--pg", action="store_true", help="also PostgreSQL exact and HNSW (pgserver)")
    parser.add_argument("--ef-search", type=int, default=None, help="default: the app's (core.search.knn)")
    args = parser.parse_args()
    if args.ef_search is None:
        from core.search.knn import DEFAULT_EF_SEARCH

        args.ef_search = DEFAULT_EF_SEARCH
    logging.getLogger("warden.slow").setLevel(logging.ERROR)

    from core.data.query import Filter
    from core.engine.db import open_database, sqlite_driver
    from core.schema.load import load_catalog
    from core.search.knn import nearest

    print(banner(f"k-NN, {args.rows:,} × {DIM}, k = {K}"))
    x = vectors(args.rows)
    keys = np.arange(1, len(x) + 1)
    rare = np.array([kind(int(k)) == "rare" for k in keys])
    x_rare, keys_rare = np.ascontiguousarray(x[rare]), keys[rare]
    print("  the filtered floor scans the whole matrix and sets the other rows aside", flush=True)
    queries = queries_like(args.rows, args.queries)
    truth = [exact_top(x, q, keys) for q in queries]
    truth_rare = [exact_top(x_rare, q, keys_rare) for q in queries]
    path = sqlite_file(x, 5)
    db = open_database(str(path))
    cat = load_catalog(db)
    rare_filter = [Filter("kind", "eq", "rare")]
    t0 = time.perf_counter()
    nearest(db, cat, "items", queries[0], k=K)
    print(
        f"  Warden: first query on the BLOB column, reading it into memory: {time.perf_counter() - t0:.2f} s"
    )

    import sqlite_vec

    raw = sqlite_driver()[0].connect(str(path))
    raw.enable_load_extension(True)
    sqlite_vec.load(raw)

    def numpy_scan(mask: np.ndarray | None) -> Callable[[np.ndarray], list[int]]:
        """`X @ q` over the whole matrix; with a mask, the rows outside it are set aside after the product."""

        def run(q: np.ndarray) -> list[int]:
            d = x @ q
            if mask is not None:
                d[~mask] = -np.inf
            top = np.argpartition(-d, K)[:K]
            return [int(keys[i]) for i in top[np.argsort(-d[top])]]

        return run

    def warden(entity: str, filters: list[Any], **kw: Any) -> Callable[[np.ndarray], list[int]]:
        key = cat.get(entity).primary_key[0]
        return lambda q: [h.key[key] for h in nearest(db, cat, entity, q, k=K, filters=filters, **kw).hits]

    def vec0(filtered: bool) -> Callable[[np.ndarray], list[int]]:
        sql = "SELECT rowid FROM vitems WHERE embedding MATCH ? AND k = ?" + (
            " AND kind = 'rare'" if filtered else ""
        )
        return lambda q: [r[0] for r in raw.execute(sql + " ORDER BY distance", (q.tobytes(), K))]

    sides: list[tuple[str, Callable[[np.ndarray], list[int]], Callable[[np.ndarray], list[int]]]] = [
        ("numpy X @ q (floor)", numpy_scan(None), numpy_scan(rare)),
        ("Warden, SQLite BLOB column", warden("items", []), warden("items", rare_filter)),
        (
            "Warden, SQLite BLOB, no matrix cache",
            warden("items", [], cache=False),
            warden("items", rare_filter, cache=False),
        ),
        ("Warden, SQLite vec0 table", warden("vitems", []), warden("vitems", [Filter("kind", "eq", "rare")])),
        ("raw sqlite-vec vec0 MATCH", vec0(False), vec0(True)),
    ]
    pg = PgServer() if args.pg else None
    try:
        if pg is not None:
            pg.__enter__()
            url = load_pg(pg, x)
            pdb = open_database(url)
            pcat = load_catalog(pdb)

            def pg_side(filters: list[Any], exact: bool) -> Callable[[np.ndarray], list[int]]:
                return lambda q: [
                    h.key["id"]
                    for h in nearest(
                        pdb, pcat, "items", q, k=K, filters=filters, exact=exact, ef_search=args.ef_search
                    ).hits
                ]

            raw_pg = raw_pg_query(url, args.ef_search)
            sides += [
                ("Warden, PostgreSQL exact", pg_side([], True), pg_side(rare_filter, True)),
                (
                    f"Warden, PostgreSQL HNSW (ef {args.ef_search})",
                    pg_side([], False),
                    pg_side(rare_filter, False),
                ),
                (f"raw psycopg, pgvector HNSW (ef {args.ef_search})", raw_pg(False), raw_pg(True)),
            ]
        for title, pick, truths in (
            ("unfiltered", 1, truth),
            (f"filtered: 1 row in {RARE_EVERY}", 2, truth_rare),
        ):
            print(banner(title))
            table = Table(["side", "median ms", "p90 ms", "/ numpy", "recall@10"])
            floor = None
            for name, plain, filtered in sides:
                med = side(table, name, plain if pick == 1 else filtered, queries, args.repeat, truths, floor)
                floor = floor or med
            print(table.render(), flush=True)
    finally:
        db.dispose()
        if pg is not None:
            pg.__exit__(None, None, None)


def raw_pg_query(url: str, ef_search: int) -> Callable[[bool], Callable[[np.ndarray], list[int]]]:
    """The same k-NN as one hand-written statement on one autocommit psycopg connection with the settings
    made once: what the server and the driver cost, without Warden."""
    import sqlalchemy as sa
    from pgvector.psycopg import register_vector

    conn: Any = sa.create_engine(url).raw_connection().driver_connection
    conn.autocommit = True
    register_vector(conn)
    conn.execute(f"SET hnsw.ef_search = {int(ef_search)}")
    conn.execute("SET hnsw.iterative_scan = strict_order")

    def make(filtered: bool) -> Callable[[np.ndarray], list[int]]:
        sql = "SELECT id FROM items" + (" WHERE kind = 'rare'" if filtered else "")
        sql += " ORDER BY embedding <=> %s LIMIT 10"
        return lambda q: [r[0] for r in conn.execute(sql, (q,))]

    return make


def load_pg(pg: PgServer, x: np.ndarray) -> str:
    """A fresh database holding items(id, name, kind, embedding vector(384)) with an HNSW cosine index."""
    import sqlalchemy as sa

    url = pg.new_database("knn")
    eng = sa.create_engine(url)
    t0 = time.perf_counter()
    with eng.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, "
            "embedding vector(384))"
        )
        conn.exec_driver_sql("CREATE INDEX ix_items_kind ON items (kind)")
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cur.copy("COPY items (id, name, kind, embedding) FROM STDIN") as copy:
            for i, v in enumerate(x):
                copy.write_row(
                    (i + 1, f"item {i + 1}", kind(i + 1), "[" + ",".join(map(str, v.tolist())) + "]")
                )
    print(f"  PostgreSQL: {len(x):,} rows copied in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    with eng.begin() as conn:
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        conn.exec_driver_sql("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_cosine_ops)")
    print(f"  PostgreSQL: HNSW index built in {time.perf_counter() - t0:.1f} s", flush=True)
    eng.dispose()
    pg.vacuum_analyze(url)
    return url


if __name__ == "__main__":
    main()
