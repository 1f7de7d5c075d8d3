"""The dependency graph: one cycle search for every path that adds dependencies.

`todo edit N depends:M` and `todo import` both refuse a dependency that lets a
task wait on itself, by any path; they share this walk so that they cannot
disagree about what a cycle is.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def find_cycle(edges: Mapping[Node, Iterable[Node]], starts: Iterable[Node]) -> list[Node] | None:
    """A cycle reachable from ``starts``, as ``[a, b, ..., a]`` (each waits on the next), or None.

    Depth first and iterative (a chain of 100,000 dependencies must not meet
    Python's recursion limit); each node is finished once, so the walk is linear
    in the edges however many starts share them.
    """
    finished: set[Node] = set()
    for start in starts:
        if start in finished:
            continue
        path: list[Node] = [start]
        on_path = {start}
        branches = [iter(edges.get(start, ()))]
        while branches:
            step = next(branches[-1], None)
            if step is None:
                branches.pop()
                done = path.pop()
                on_path.discard(done)
                finished.add(done)
            elif step in on_path:
                return [*path[path.index(step) :], step]
            elif step not in finished:
                path.append(step)
                on_path.add(step)
                branches.append(iter(edges.get(step, ())))
    return None


def starting_at(cycle: list[Node], node: Node) -> list[Node]:
    """The same cycle told from ``node`` when it is on it (``[node, ..., node]``)."""
    if node not in cycle[:-1]:
        return cycle
    at = cycle.index(node)
    return [*cycle[at:-1], *cycle[:at], node]
