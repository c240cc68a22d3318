"""The schema view's model (an ER diagram) as plain data: tables, foreign keys, clusters and partial views.

Built from a catalog already in memory (no query): every entity is a table node with its columns, every
foreign key an edge from the referring table to the referred one, link tables marked. A big schema is shown
as clusters first (by PostgreSQL schema, by navigator group, by name prefix, or by community detection on
the FK graph), each one drilled into; "a table and N hops" and "the shortest FK path from A to B" are
breadth-first searches over the FKs taken both ways. Laying a view out is core/graph/er_layout.py's job.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from core.errors import NotFoundError

if TYPE_CHECKING:
    from core.schema.catalog import Catalog

#: What a table box shows: its name only, its key columns (primary and foreign), or every column.
Mode = Literal["names", "keys", "all"]
ClusterMethod = Literal["schema", "group", "prefix", "community", "none"]
#: Up to this many tables are drawn table by table; more are shown as clusters to drill into.
WHOLE_UP_TO = 120
#: A "table + N hops" view stops at this many tables (the nearest ones first).
HOOD_CAP = 300
OTHER = "(other)"


@dataclass(frozen=True)
class ErColumn:
    """A column as the diagram shows it."""

    name: str
    type: str
    primary: bool
    foreign: bool
    nullable: bool


@dataclass(frozen=True)
class ErTable:
    """A table (or view) node: its columns, and whether it is a link table."""

    name: str
    columns: tuple[ErColumn, ...]
    is_link: bool = False
    kind: str = "table"
    schema: str | None = None
    group: str = "Other"

    @property
    def key_columns(self) -> tuple[ErColumn, ...]:
        """The primary and foreign key columns."""
        return tuple(c for c in self.columns if c.primary or c.foreign)

    def rows(self, mode: Mode) -> tuple[ErColumn, ...]:
        """The columns a box shows in `mode`."""
        if mode == "names":
            return ()
        return self.key_columns if mode == "keys" else self.columns


@dataclass(frozen=True)
class ErEdge:
    """A foreign key: `source`'s `columns` refer to `target`."""

    source: str
    target: str
    columns: tuple[str, ...]

    @property
    def via(self) -> str:
        """A readable name: "orders.user_id → users"."""
        return f"{self.source}.{','.join(self.columns)} → {self.target}"


@dataclass(frozen=True)
class Clustering:
    """Tables grouped for the overview: how, each cluster's members, and FKs counted between clusters."""

    method: ClusterMethod
    members: dict[str, tuple[str, ...]]
    of: dict[str, str]
    links: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass
class ErModel:
    """A catalog's tables and foreign keys, with the undirected adjacency the partial views walk."""

    tables: dict[str, ErTable]
    edges: tuple[ErEdge, ...]

    @cached_property
    def neighbours(self) -> dict[str, list[str]]:
        """Each table's tables one FK away, either way, sorted (so searches are deterministic)."""
        around: dict[str, set[str]] = defaultdict(set)
        for e in self.edges:
            if e.source != e.target:
                around[e.source].add(e.target)
                around[e.target].add(e.source)
        return {t: sorted(around.get(t, ())) for t in self.tables}

    def table(self, name: str) -> ErTable:
        """The table called `name`, or NotFoundError."""
        found = self.tables.get(name)
        if found is None:
            raise NotFoundError(f"There is no table '{name}' in this database.")
        return found

    def edges_among(self, names: Iterable[str]) -> list[ErEdge]:
        """The foreign keys whose both ends are in `names`."""
        inside = set(names)
        return [e for e in self.edges if e.source in inside and e.target in inside]

    def around(self, name: str, hops: int, cap: int = HOOD_CAP) -> list[str]:
        """`name` and the tables up to `hops` FKs away (either way), nearest first, at most `cap`."""
        self.table(name)
        seen = {name: 0}
        order = [name]
        queue = deque([name])
        while queue and len(order) < cap:
            t = queue.popleft()
            if seen[t] >= hops:
                continue
            for m in self.neighbours[t]:
                if m not in seen:
                    seen[m] = seen[t] + 1
                    order.append(m)
                    queue.append(m)
                    if len(order) >= cap:
                        break
        return order

    def path(self, start: str, end: str) -> list[str] | None:
        """The tables on a shortest FK path from `start` to `end` (FKs taken either way); None if none."""
        self.table(start)
        self.table(end)
        parent: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            t = queue.popleft()
            if t == end:
                out: list[str] = []
                step: str | None = t
                while step is not None:
                    out.append(step)
                    step = parent[step]
                return out[::-1]
            for m in self.neighbours[t]:
                if m not in parent:
                    parent[m] = t
                    queue.append(m)
        return None

    @cached_property
    def clustering(self) -> Clustering:
        """The overview's clusters (worked out once per model)."""
        return clusters(self)


def er_model(catalog: Catalog) -> ErModel:
    """The ER model of every entity in `catalog` (read from memory, no query)."""
    tables: dict[str, ErTable] = {}
    edges: list[ErEdge] = []
    types: dict[str, str] = {}  # a big schema repeats a few dozen type names thousands of times
    for entity in catalog.entities.values():
        referring = {c for fk in entity.foreign_keys for c in fk.columns}
        primary = set(entity.primary_key)
        columns = tuple(
            ErColumn(
                c.name,
                types.get(c.type) or types.setdefault(c.type, _short_type(c.type)),
                c.name in primary,
                c.name in referring,
                c.nullable,
            )
            for c in entity.columns
            if not c.row_id
        )
        tables[entity.name] = ErTable(
            entity.name, columns, entity.is_link, str(entity.kind), entity.schema, entity.group
        )
        edges.extend(ErEdge(fk.entity, fk.target, fk.columns) for fk in entity.foreign_keys)
    return ErModel(tables, tuple(e for e in edges if e.source in tables and e.target in tables))


def _short_type(sql_type: str) -> str:
    """A type as a box shows it: lower case, without a collation."""
    return sql_type.split(" COLLATE ")[0].lower()


# --- clusters ----------------------------------------------------------------------------------------


def clusters(model: ErModel, names: Sequence[str] | None = None) -> Clustering:
    """`names` (default: every table) in clusters: by schema when there are several, else by navigator
    group (the reference schema), else by name prefix when prefixes group most tables, else by community
    detection (Louvain) on the FK graph."""
    whole = names is None or len(names) == len(model.tables)
    names = sorted(names if names is not None else model.tables)
    if len(names) <= 1:
        return _clustering(model, "none", {n: names[0] for n in names})
    tables = model.tables
    for method in ("schema", "group"):
        if method == "group" and not whole:
            continue  # a drilled-into cluster is one group already
        keys = {n: str(getattr(tables[n], method) or "") for n in names}
        if len(set(keys.values())) > 1 and all(keys.values()):
            return _clustering(model, method, keys)
    by_prefix = _prefixes(names)
    if by_prefix is not None:
        return _clustering(model, "prefix", by_prefix)
    return _clustering(model, "community", _communities(model, names))


def _prefixes(names: Sequence[str]) -> dict[str, str] | None:
    """Tables by the first word of their name ("order_items" → "order"), if that groups them usefully: at
    least two groups of two, most tables in such a group, none holding more than half."""
    prefix = {n: _bare(n).split("_", 1)[0] for n in names}
    sizes = Counter(prefix.values())
    grouped = {p for p, count in sizes.items() if count >= 2}
    covered = sum(sizes[p] for p in grouped)
    if len(grouped) < 2 or covered < 0.7 * len(names) or max(sizes.values()) > 0.5 * len(names):
        return None
    return {n: prefix[n] if prefix[n] in grouped else OTHER for n in names}


def _communities(model: ErModel, names: Sequence[str]) -> dict[str, str]:
    """Louvain communities of the FK graph among `names`, each named after its most linked table; tables
    with no FK among them go together."""
    import igraph

    index = {n: i for i, n in enumerate(names)}
    pairs = {
        (min(index[e.source], index[e.target]), max(index[e.source], index[e.target]))
        for e in model.edges_among(names)
        if e.source != e.target
    }
    graph = igraph.Graph(n=len(names), edges=sorted(pairs))
    found = graph.community_multilevel()
    degree = graph.degree()
    out: dict[str, str] = {}
    for members in found:
        if len(members) == 1 and degree[members[0]] == 0:
            out[names[members[0]]] = "(no links)"
            continue
        hub = max(members, key=lambda i: (degree[i], -i))
        for i in members:
            out[names[i]] = _bare(names[hub])
    return out


def _clustering(model: ErModel, method: ClusterMethod, of: dict[str, str]) -> Clustering:
    members: dict[str, list[str]] = defaultdict(list)
    for name in sorted(of):
        members[of[name]].append(name)
    links: Counter[tuple[str, str]] = Counter()
    for e in model.edges:
        a, b = of.get(e.source), of.get(e.target)
        if a is not None and b is not None and a != b:
            links[(min(a, b), max(a, b))] += 1
    return Clustering(method, {k: tuple(v) for k, v in sorted(members.items())}, of, dict(links))


def _bare(name: str) -> str:
    """A table's name without its PostgreSQL schema."""
    return name.rsplit(".", 1)[-1]
