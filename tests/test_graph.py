"""The one cycle search that `todo edit` and `todo import` share."""

from __future__ import annotations

from todo_cli.domain.graph import find_cycle, starting_at


def test_no_cycle_in_a_tree_with_shared_branches() -> None:
    edges = {1: [2, 3], 2: [4], 3: [4], 4: []}
    assert find_cycle(edges, [1, 2, 3, 4]) is None


def test_a_cycle_is_told_as_a_closed_path() -> None:
    edges = {1: [2], 2: [3], 3: [1]}
    assert find_cycle(edges, [1]) == [1, 2, 3, 1]


def test_a_cycle_away_from_the_start_is_found_when_reachable() -> None:
    edges = {0: [1], 1: [2], 2: [1]}
    assert find_cycle(edges, [0]) == [1, 2, 1]
    assert find_cycle(edges, [5]) is None


def test_a_self_loop_is_a_cycle() -> None:
    assert find_cycle({7: [7]}, [7]) == [7, 7]


def test_a_chain_of_100000_does_not_recurse_and_its_closing_edge_is_found() -> None:
    n = 100_000
    edges = {i: [i + 1] for i in range(n)}
    assert find_cycle(edges, [0]) is None
    edges[n] = [0]
    cycle = find_cycle(edges, [0])
    assert cycle is not None
    assert len(cycle) == n + 2
    assert cycle[0] == cycle[-1] == 0


def test_starting_at_rotates_to_the_node_and_leaves_other_cycles_alone() -> None:
    assert starting_at([2, 3, 1, 2], 1) == [1, 2, 3, 1]
    assert starting_at([2, 3, 2], 9) == [2, 3, 2]
