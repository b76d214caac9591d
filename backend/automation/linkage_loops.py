"""Rule loops: rule A's actions switch a device (or one fed from it on the supply tree)
whose metric rule B watches, and B's actions switch what A watches, possibly through
more rules. Such rules would fire each other for ever; saving one is refused, naming the
loop. A rule acting on what it watches itself is not a loop (a protective rule: it
removes its own cause; its cool-down bounds it).

``find_loop`` is pure (a graph of rule ids); ``edges`` builds the graph from a site's
facts (backend/automation/linkage_site.py)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleShape:
    id: int                  # 0: the rule being created
    name: str
    watched: frozenset[int]
    affected: frozenset[int]


def edges(rules: list[RuleShape]) -> dict[int, set[int]]:
    """A -> B when A's actions change what B watches (A != B)."""
    return {a.id: {b.id for b in rules if b.id != a.id and a.affected & b.watched}
            for a in rules}


def find_loop(graph: dict[int, set[int]], start: int) -> list[int] | None:
    """A cycle through ``start`` (``[start, ..., start]``), the shortest found by a
    breadth-first walk; None if there is none."""
    paths = [[start]]
    seen = {start}
    while paths:
        nxt = []
        for path in paths:
            for b in sorted(graph.get(path[-1], ())):
                if b == start:
                    return [*path, start]
                if b not in seen:
                    seen.add(b)
                    nxt.append([*path, b])
        paths = nxt
    return None
