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


def path_between(
    edges: Mapping[Node, Iterable[Node]], starts: Iterable[Node], goal: Node
) -> list[Node] | None:
    """A shortest path ``[start, ..., goal]`` along ``edges`` (each waits on the next)
    from any of ``starts``, or None.

    What new dependencies ``goal -> start`` close: a cycle through one of them,
    and only through them, so that a cycle elsewhere (written outside todo)
    blames no edit. One breadth-first walk from all the starts at once: an edit
    adding fifty dependencies walks the graph once, not fifty times, and the
    path found is still the shortest of all.
    """
    came_from: dict[Node, Node | None] = dict.fromkeys(starts)
    frontier = list(came_from)
    while frontier:
        following: list[Node] = []
        for node in frontier:
            for step in edges.get(node, ()):
                if step == goal:
                    path: list[Node] = [step, node]
                    back = came_from[node]
                    while back is not None:
                        path.append(back)
                        back = came_from[back]
                    return path[::-1]
                if step in came_from:
                    continue
                came_from[step] = node
                following.append(step)
        frontier = following
    return None


# Steps of a cycle shown in a message: a chain of 3,000 dependencies made one line of
# 26 KB (and an import repeated it for every task of it).
SHOWN_STEPS = 12


def shown_path(steps: list[str]) -> str:
    """``a -> b -> ... -> a``, the middle of a long one left out and counted."""
    if len(steps) <= SHOWN_STEPS:
        return " -> ".join(steps)
    head, tail = steps[: SHOWN_STEPS // 2], steps[-(SHOWN_STEPS // 2 - 1) :]
    hidden = len(steps) - len(head) - len(tail)
    return " -> ".join([*head, f"({hidden:,} more)", *tail])
