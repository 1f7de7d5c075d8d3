"""The one cycle search that `todo edit` and `todo import` share."""

from __future__ import annotations

from todo_cli.domain.graph import find_cycle, path_between


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


def test_the_path_a_new_edge_closes_is_the_shortest_back() -> None:
    edges = {1: [2, 5], 2: [3], 3: [4], 5: [4], 4: [9]}
    assert path_between(edges, [1], 4) == [1, 5, 4]
    assert path_between(edges, [4], 1) is None


def test_a_cycle_elsewhere_is_no_path_to_the_goal() -> None:
    # 2 and 3 wait on each other (written outside todo): 1 -> 2 closes nothing.
    edges = {2: [3], 3: [2]}
    assert path_between(edges, [2], 1) is None
    assert path_between(edges, [2], 2) == [2, 3, 2]


def test_of_several_starts_the_shortest_path_back_is_found_in_one_walk() -> None:
    # 10 -> 11 -> 12 -> 1 and 20 -> 1: of a new 1 -> 10 and 1 -> 20, the second
    # closes the shorter cycle, whichever is named first.
    edges = {10: [11], 11: [12], 12: [1], 20: [1]}
    assert path_between(edges, [10, 20], 1) == [20, 1]
    assert path_between(edges, [20, 10], 1) == [20, 1]
    assert path_between(edges, [10], 1) == [10, 11, 12, 1]
    assert path_between(edges, [], 1) is None


def test_a_long_cycle_is_shown_with_its_middle_counted() -> None:
    from todo_cli.domain.graph import shown_path

    assert shown_path(["#1", "#2", "#1"]) == "#1 -> #2 -> #1"
    steps = [f"#{n}" for n in range(1, 3001)] + ["#1"]
    assert shown_path(steps) == (
        "#1 -> #2 -> #3 -> #4 -> #5 -> #6 -> (2,990 more) -> #2997 -> #2998 -> #2999 -> #3000 -> #1"
    )
    twelve = [f"#{n}" for n in range(1, 13)]
    assert shown_path(twelve) == " -> ".join(twelve)
