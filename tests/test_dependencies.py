"""Dependencies through the CLI: `dep:`, `--depends`, blocked tasks, cycles, and urgency.

Each test runs on SQLite and on PostgreSQL (the `todo` fixture of tests/conftest.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Todo, sql_rows
from todo_cli.domain import urgency as weights

# --- helpers ------------------------------------------------------------------------


def add(todo: Todo, *words: str) -> dict[str, Any]:
    result = todo("add", *words, "--json")
    assert result.exit_code == 0, result.stderr
    task: dict[str, Any] = result.json()
    return task


def listed(todo: Todo, *args: str) -> list[dict[str, Any]]:
    result = todo("list", *args, "--json")
    assert result.exit_code == 0, result.stderr
    tasks: list[dict[str, Any]] = result.json()
    return tasks


def by_number(todo: Todo) -> dict[int, dict[str, Any]]:
    return {task["number"]: task for task in listed(todo, "--all")}


def numbers(tasks: list[dict[str, Any]]) -> list[int]:
    return [task["number"] for task in tasks]


def column(stdout: str, header: str) -> dict[int, str]:
    """One column of the list table, by task number: the text under a left-aligned header."""
    head, *rows = stdout.splitlines()
    spans = [(match.group(), match.start()) for match in re.finditer(r"\S+", head)]
    names = [name for name, _ in spans]
    assert header in names, head
    at = names.index(header)
    start = spans[at][1]
    end = spans[at + 1][1] if at + 1 < len(spans) else None
    return {int(row.split()[0]): row[start:end].strip() for row in rows}


def snapshot(todo: Todo) -> list[tuple[int, list[str], str]]:
    """What a refused change must leave as it was: each task's dependencies and updated_at."""
    return [(t["number"], t["depends"], t["updated_at"]) for t in listed(todo, "--all")]


# --- adding and removing dependencies -----------------------------------------------------


def test_add_with_dep_waits_on_those_tasks(todo: Todo) -> None:
    first, second = add(todo, "Book flights"), add(todo, "Renew passport")
    third = add(todo, "Pack bags", "dep:1,2")
    assert sorted(third["depends"]) == sorted([first["id"], second["id"]])
    assert sorted(by_number(todo)[3]["depends"]) == sorted([first["id"], second["id"]])


def test_add_with_the_depends_flag_waits_on_those_tasks(todo: Todo) -> None:
    first, second = add(todo, "Book flights"), add(todo, "Renew passport")
    third = add(todo, "Pack bags", "--depends", "1,2")
    assert sorted(third["depends"]) == sorted([first["id"], second["id"]])


@pytest.mark.parametrize(
    ("words", "named"),
    [
        (["second", "dep:-1"], "'dep:-1'"),
        (["second", "dep:1,-1"], "'dep:1,-1'"),
        (["second", "--depends", "-1"], "'--depends -1'"),
    ],
)
def test_add_refuses_removing_a_dependency_and_adds_nothing(
    todo: Todo, words: list[str], named: str
) -> None:
    # A new task waits on nothing yet: dep:1,-1 must not quietly keep the 1.
    add(todo, "first")
    result = todo("add", *words)
    assert result.exit_code == 2, result.stderr
    assert result.stderr == (
        f"error: {named}: a new task has no dependency to remove (dep:-N is for todo edit)\n"
    )
    assert [task["title"] for task in listed(todo)] == ["first"]


@pytest.mark.parametrize(
    "words",
    [["-", "dep:1", "dep:2"], ["dep:1,2"], ["--depends", "1", "--depends", "2"]],
    ids=["words", "word-alone", "flags"],
)
def test_a_bulk_add_waits_on_the_command_lines_dependencies_every_line(
    todo: Todo, words: list[str]
) -> None:
    first, second = add(todo, "Book flights"), add(todo, "Renew passport")
    result = todo("add", *words, "--json", input="Pack bags\nWater the plants +home\n")
    assert result.exit_code == 0, result.stderr
    both = sorted([first["id"], second["id"]])
    assert [(t["number"], sorted(t["depends"])) for t in result.json()] == [(3, both), (4, both)]
    tasks = by_number(todo)
    assert [sorted(tasks[n]["depends"]) for n in (3, 4)] == [both, both]
    assert sorted(numbers(listed(todo, "+blocked"))) == [3, 4]
    assert sql_rows(todo.url, "SELECT count(*) FROM task_dependencies") == [(4,)]


def test_a_bulk_add_waiting_on_a_missing_task_adds_nothing(todo: Todo) -> None:
    add(todo, "Book flights")
    result = todo("add", "-", "dep:1,9", input="Pack bags\n")
    assert (result.exit_code, result.stderr) == (1, "error: no task '9' (see `todo list --all`)\n")
    assert numbers(listed(todo)) == [1]


def test_a_dependency_on_a_stdin_line_is_refused_and_nothing_is_added(todo: Todo) -> None:
    add(todo, "Book flights")
    result = todo("add", "-", input="Pack bags\nWater the plants dep:1\n")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: stdin line 2: dep: is not taken on a stdin line (give dep: on the command "
        "line, for every line, or add dependencies with todo edit; nothing was added)\n",
    )
    assert numbers(listed(todo)) == [1]


def test_the_depends_flag_repeats_as_the_dep_word_does(todo: Todo) -> None:
    for title in ("a", "b", "c"):
        add(todo, title)
    fourth = add(todo, "d", "--depends", "1", "--depends", "2,3")
    assert len(fourth["depends"]) == 3
    result = todo("edit", "4", "--depends", "-1", "--depends", "-2", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["depends"] == [by_number(todo)[3]["id"]]


def test_depends_are_the_ids_of_the_tasks_as_strings(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:2")
    tasks = by_number(todo)
    assert tasks[3]["depends"] == [tasks[2]["id"]]
    assert all(isinstance(item, str) for item in tasks[3]["depends"])
    assert tasks[1]["depends"] == tasks[2]["depends"] == []


def test_edit_adds_and_removes_dependencies_in_one_command(todo: Todo) -> None:
    first = add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1")
    fourth = add(todo, "Buy a suitcase")
    edited = todo("edit", "3", "dep:4", "dep:-1", "--json")
    assert edited.exit_code == 0, edited.stderr
    assert edited.json()["depends"] == [fourth["id"]]
    assert by_number(todo)[3]["depends"] == [fourth["id"]]
    assert first["id"] not in by_number(todo)[3]["depends"]


def test_edit_with_the_depends_flag_adds_and_removes(todo: Todo) -> None:
    add(todo, "Book flights")
    second = add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1")
    assert todo("edit", "3", "--depends", "2").exit_code == 0
    assert todo("edit", "3", "--depends", "-1").exit_code == 0
    assert by_number(todo)[3]["depends"] == [second["id"]]


def test_dependencies_take_ranges_as_done_and_taskwarrior_do(todo: Todo) -> None:
    ids = [add(todo, title)["id"] for title in ("a", "b", "c", "d", "e")]
    assert todo("edit", "5", "dep:1-3").exit_code == 0
    assert sorted(by_number(todo)[5]["depends"]) == sorted(ids[:3])
    assert todo("edit", "5", "dep:-1-2").exit_code == 0  # Taskwarrior's depends:-1-2
    assert by_number(todo)[5]["depends"] == ids[2:3]
    assert sorted(add(todo, "f", "dep:2-3,4")["depends"]) == sorted(ids[1:4])
    assert todo("edit", "4", "--depends", "1-2").exit_code == 0
    assert sorted(by_number(todo)[4]["depends"]) == sorted(ids[:2])
    before = snapshot(todo)
    backwards = todo("edit", "5", "dep:3-1")
    assert (backwards.exit_code, backwards.stderr) == (
        2,
        "error: 'dep:3-1': the range '3-1' runs backwards (write it low to high: 1-3)\n",
    )
    itself = todo("edit", "5", "dep:4-5")
    assert (itself.exit_code, itself.stderr) == (
        2,
        "error: #5 cannot wait on itself (nothing was changed)\n",
    )
    assert snapshot(todo) == before


def test_a_dependency_on_a_missing_task_is_not_found(todo: Todo) -> None:
    add(todo, "Book flights")
    result = todo("add", "Pack bags", "dep:1,9")
    assert result.exit_code == 1
    assert "no task" in result.stderr
    assert numbers(listed(todo, "--all")) == [1]


def test_a_dependency_on_another_users_task_is_not_found(todo: Todo) -> None:
    theirs = add(todo, "Alice's secret plan")
    bob = todo.as_user("bob")
    refused = bob("add", "Spy on Alice", f"dep:{theirs['id']}")
    assert refused.exit_code == 1
    assert "no task" in refused.stderr
    assert listed(bob, "--all") == []
    add(bob, "Bob's own task")
    refused = bob("edit", "1", "--depends", theirs["id"])
    assert refused.exit_code == 1
    assert "no task" in refused.stderr
    assert listed(bob, "--all")[0]["depends"] == []
    assert sql_rows(todo.url, "SELECT count(*) FROM task_dependencies") == [(0,)]


# --- blocked tasks ----------------------------------------------------------------------


def test_the_table_shows_the_open_dependencies_in_a_deps_column(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1,2")
    before = todo("list")
    assert before.exit_code == 0, before.stderr
    assert column(before.stdout, "deps") == {1: "", 2: "", 3: "1,2"}
    assert todo("done", "1").exit_code == 0
    after = todo("list")
    assert column(after.stdout, "deps") == {2: "", 3: "2"}


def test_the_table_has_no_deps_column_when_nothing_waits(todo: Todo) -> None:
    add(todo, "Book flights")
    assert "deps" not in todo("list").stdout.splitlines()[0].split()


def test_plus_blocked_lists_the_tasks_with_an_open_dependency(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1")
    add(todo, "Buy a suitcase", "dep:1,2")
    assert numbers(listed(todo, "+blocked", "--sort", "number")) == [3, 4]


def test_minus_blocked_lists_the_others(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1")
    add(todo, "Buy a suitcase", "dep:1,2")
    assert numbers(listed(todo, "-blocked", "--sort", "number")) == [1, 2]


def test_completing_a_dependency_unblocks(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1")
    add(todo, "Buy a suitcase", "dep:1,2")
    assert todo("done", "1").exit_code == 0
    assert numbers(listed(todo, "+blocked")) == [4]
    assert numbers(listed(todo, "-blocked", "--sort", "number")) == [2, 3]
    assert todo("done", "2").exit_code == 0
    assert listed(todo, "+blocked") == []


def test_reopening_a_dependency_blocks_again(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    assert todo("done", "1").exit_code == 0
    assert listed(todo, "+blocked") == []
    assert todo("reopen", "1").exit_code == 0
    assert numbers(listed(todo, "+blocked")) == [2]


def test_blocked_tasks_rank_lower_and_blocking_ones_higher(todo: Todo) -> None:
    add(todo, "Book flights")  # blocking: 8.0
    add(todo, "Pay rent", "pri:H")  # 6.0
    add(todo, "Pack bags", "pri:H", "dep:1")  # 6.0 - 5.0
    add(todo, "Water the plants", "pri:L")  # 1.8
    ranked = listed(todo)
    assert numbers(ranked) == [1, 2, 4, 3]
    urgency = {task["number"]: task["urgency"] for task in ranked}
    assert urgency[1] == pytest.approx(weights.BLOCKING, abs=0.001)
    assert urgency[3] == pytest.approx(weights.PRIORITY["H"] + weights.BLOCKED, abs=0.001)
    assert urgency[1] - urgency[2] == pytest.approx(8.0 - 6.0, abs=0.001)
    assert urgency[3] - urgency[2] == pytest.approx(-5.0, abs=0.001)


def test_urgency_is_back_to_plain_once_the_dependency_is_done(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    add(todo, "Water the plants")
    assert todo("done", "1").exit_code == 0
    urgency = {task["number"]: task["urgency"] for task in listed(todo)}
    assert urgency[2] == pytest.approx(urgency[3], abs=0.001)
    assert urgency[2] == pytest.approx(0.0, abs=0.001)


def test_the_urgency_a_write_reports_matches_the_list(todo: Todo) -> None:
    add(todo, "Book flights")
    blocked = add(todo, "Pack bags", "dep:1")
    assert blocked["urgency"] == pytest.approx(weights.BLOCKED, abs=0.001)
    edited = todo("edit", "1", "pri:H", "--json")
    assert edited.json()["urgency"] == pytest.approx(
        weights.PRIORITY["H"] + weights.BLOCKING, abs=0.001
    )
    assert {t["number"]: t["urgency"] for t in listed(todo)}[1] == pytest.approx(
        edited.json()["urgency"], abs=0.001
    )


# --- cycles ---------------------------------------------------------------------------


def test_a_two_task_cycle_is_refused_naming_it(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    before = snapshot(todo)
    result = todo("edit", "1", "dep:2")
    assert result.exit_code == 2
    assert "#1 -> #2 -> #1" in result.stderr
    assert snapshot(todo) == before


def test_a_three_task_cycle_is_refused_naming_it(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags")
    assert todo("edit", "1", "dep:2").exit_code == 0
    assert todo("edit", "2", "dep:3").exit_code == 0
    before = snapshot(todo)
    result = todo("edit", "3", "dep:1")
    assert result.exit_code == 2
    assert "#3 -> #1 -> #2 -> #3" in result.stderr
    assert snapshot(todo) == before


def test_a_cycle_written_outside_todo_blames_no_edit_that_closes_none(todo: Todo) -> None:
    """#1 and #2 wait on each other, written with psql or sqlite3: a new dependency on
    them makes no cycle, and is taken; one that closes a cycle of its own is refused."""
    from sqlalchemy import text

    from todo_cli.db.engine import create_engine
    from todo_cli.db.url import parse_url

    for title in ("Book flights", "Renew passport", "Pack bags"):
        add(todo, title)
    assert todo("edit", "2", "dep:1").exit_code == 0
    engine = create_engine(parse_url(todo.url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO task_dependencies (task_id, depends_on_id) SELECT a.id, b.id "
                    "FROM tasks a, tasks b WHERE a.number = 1 AND b.number = 2 "
                    "AND a.user_id = b.user_id"
                )
            )
    finally:
        engine.dispose()
    result = todo("edit", "3", "dep:1")
    assert result.exit_code == 0, result.stderr
    assert len(by_number(todo)[3]["depends"]) == 1
    add(todo, "Call the embassy", "dep:3")
    before = snapshot(todo)
    result = todo("edit", "3", "dep:4")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: that makes a cycle: #3 -> #4 -> #3 (each waits on the next) (nothing was "
        "changed)\n",
    )
    assert snapshot(todo) == before


def test_a_cycle_through_the_depends_flag_is_refused(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags", "--depends", "1")
    before = snapshot(todo)
    result = todo("edit", "1", "--depends", "2")
    assert result.exit_code == 2
    assert "#1 -> #2 -> #1" in result.stderr
    assert snapshot(todo) == before


def test_a_task_waiting_on_itself_is_refused_naming_it(todo: Todo) -> None:
    add(todo, "Book flights")
    before = snapshot(todo)
    result = todo("edit", "1", "dep:1")
    assert result.exit_code == 2
    assert "#1" in result.stderr
    assert "itself" in result.stderr
    assert snapshot(todo) == before


def test_a_refused_cycle_leaves_the_other_changes_of_the_command_undone(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    before = by_number(todo)[1]
    result = todo("edit", "1", "Book", "trains", "pri:H", "+travel", "dep:2")
    assert result.exit_code == 2
    after = by_number(todo)[1]
    assert (after["title"], after["priority"], after["tags"], after["depends"]) == (
        before["title"],
        before["priority"],
        before["tags"],
        before["depends"],
    )


def test_removing_the_closing_dependency_in_the_same_edit_is_no_cycle(todo: Todo) -> None:
    first = add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    assert todo("edit", "2", "dep:-1").exit_code == 0
    edited = todo("edit", "1", "dep:2", "--json")
    assert edited.exit_code == 0, edited.stderr
    assert by_number(todo)[2]["depends"] == []
    assert first["id"] not in edited.json()["depends"]


# --- done, delete and show ---------------------------------------------------------------


def test_completing_a_blocked_task_is_allowed_and_says_what_was_still_open(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1,2")
    result = todo("done", "3")
    assert result.exit_code == 0, result.stderr
    assert "completed #3: Pack bags" in result.stderr
    assert "waiting on #1, #2, still open" in result.stderr
    assert by_number(todo)[3]["completed"] is True


def test_completing_a_task_names_only_the_dependencies_still_open(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1,2")
    assert todo("done", "1").exit_code == 0
    result = todo("done", "3")
    assert result.exit_code == 0, result.stderr
    assert "waiting on #2, still open" in result.stderr


def test_done_json_says_which_dependencies_were_still_open(todo: Todo) -> None:
    # What the text says as "it was waiting on #2, still open", for scripts.
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1,2")
    assert todo("done", "1").exit_code == 0
    result = todo("done", "3", "1", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    done = {t["number"]: t for t in result.json()}
    assert (done[3]["blocked_by"], done[1]["blocked_by"]) == ([2], [])


@pytest.mark.parametrize("order", [["1", "3"], ["3", "1"]], ids=["first-first", "it-first"])
def test_completing_a_task_with_what_it_waits_on_says_only_what_stays_open(
    todo: Todo, order: list[str]
) -> None:
    # The tasks were read before the command completed any: #1, completed by
    # this very command, was named "still open".
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1,2")
    result = todo("done", *order)
    assert result.exit_code == 0, result.stderr
    assert "it was waiting on #2, still open" in result.stderr
    assert "#1, #2" not in result.stderr
    reopened = todo("reopen", "1", "3", "--json")
    # Reopened together, #3 waits on both again.
    assert {t["number"]: t["blocked_by"] for t in reopened.json()} == {1: [], 3: [1, 2]}
    listed = {t["number"]: t["urgency"] for t in todo("list", "--json").json()}
    assert {t["number"]: t["urgency"] for t in reopened.json()} == {1: listed[1], 3: listed[3]}


def test_completing_an_unblocked_task_says_nothing_of_dependencies(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    assert todo("done", "1").exit_code == 0
    result = todo("done", "2")
    assert result.exit_code == 0, result.stderr
    assert "waiting on" not in result.stderr


def test_deleting_a_task_removes_it_from_the_dependencies_of_others(todo: Todo) -> None:
    add(todo, "Book flights")
    second = add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1,2")
    add(todo, "Buy a suitcase", "dep:1")
    result = todo("delete", "1", "--yes")
    assert result.exit_code == 0, result.stderr
    tasks = by_number(todo)
    assert tasks[3]["depends"] == [second["id"]]
    assert tasks[4]["depends"] == []
    assert numbers(listed(todo, "+blocked")) == [3]
    assert tasks[4]["urgency"] == pytest.approx(0.0, abs=0.001)
    assert sql_rows(todo.url, "SELECT count(*) FROM task_dependencies") == [(1,)]


def test_a_task_that_waited_on_a_deleted_one_has_changed(todo: Todo) -> None:
    """Its dependencies changed: its time of change moves on (an import of an older
    copy is then not newer), and only for the tasks that waited on it."""
    add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    add(todo, "Water plants")
    before = by_number(todo)
    assert todo("delete", "1", "--yes").exit_code == 0
    after = by_number(todo)
    assert after[2]["depends"] == []
    assert after[2]["updated_at"] > before[2]["updated_at"]
    assert after[3]["updated_at"] == before[3]["updated_at"]


def test_show_lists_what_a_task_waits_on_with_numbers_and_titles(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1,2")
    assert todo("done", "2").exit_code == 0
    result = todo("show", "3")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("  waits on:")
    assert lines[start + 1 : start + 3] == [
        "    #1 Book flights (open)",
        "    #2 Renew passport (done)",
    ]
    assert "  waited on by:" not in lines


def test_show_lists_what_waits_on_a_task_with_numbers_and_titles(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    add(todo, "Buy a suitcase", "dep:1")
    result = todo("show", "1")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("  waited on by:")
    assert lines[start + 1 : start + 3] == [
        "    #2 Pack bags (open)",
        "    #3 Buy a suitcase (open)",
    ]
    assert "  waits on:" not in lines


def test_show_of_a_done_task_still_lists_what_waited_on_it(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    add(todo, "Buy a suitcase", "dep:1")
    assert todo("done", "3", "1").exit_code == 0
    lines = todo("show", "1").stdout.splitlines()
    start = lines.index("  waited on by:")
    assert lines[start + 1 : start + 3] == [
        "    #2 Pack bags (open)",
        "    #3 Buy a suitcase (done)",
    ]


def test_show_of_a_done_task_lists_what_waited_on_it_when_all_of_those_are_done(
    todo: Todo,
) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    assert todo("done", "2", "1").exit_code == 0
    lines = todo("show", "1").stdout.splitlines()
    start = lines.index("  waited on by:")
    assert lines[start + 1] == "    #2 Pack bags (done)"


def test_show_of_an_open_task_lists_a_done_task_that_waited_on_it(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    assert todo("done", "2").exit_code == 0
    lines = todo("show", "1").stdout.splitlines()
    assert "  waited on by:" in lines
    start = lines.index("  waited on by:")
    assert lines[start + 1] == "    #2 Pack bags (done)"


def test_show_json_lists_the_dependencies(todo: Todo) -> None:
    first = add(todo, "Book flights")
    add(todo, "Pack bags", "dep:1")
    result = todo("show", "2", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["depends"] == [first["id"]]


def test_dep_words_from_a_real_process(todo: Todo) -> None:
    add(todo, "Book flights")
    add(todo, "Pack bags")
    proc = todo.process("edit", "1", "dep:2")
    assert proc.returncode == 0, proc.stderr
    proc = todo.process("edit", "2", "dep:1")
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert b"#2 -> #1 -> #2" in proc.stderr


@pytest.mark.parametrize(
    "words",
    [["dep:"], ["--depends", ""], ["DEP:"], ["dep:", "+errand"]],
)
def test_an_empty_dependency_value_clears_them_all_as_due_does(
    todo: Todo, words: list[str]
) -> None:
    # Taskwarrior's `depends:` clears too: an empty value clears, whatever the key.
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Pack bags", "dep:1,2")
    result = todo("edit", "3", *words)
    assert (result.exit_code, result.stderr) == (0, "edited #3: Pack bags\n")
    tasks = by_number(todo)
    assert tasks[3]["depends"] == []
    assert tasks[1]["depends"] == tasks[2]["depends"] == []
    assert todo("list", "+blocked", "--json").json() == []
    undone = todo("undo")
    assert undone.exit_code == 0, undone.stderr
    assert sorted(by_number(todo)[3]["depends"]) == sorted([tasks[1]["id"], tasks[2]["id"]])


def test_an_empty_dependency_value_with_others_keeps_only_those(todo: Todo) -> None:
    # `dep: dep:2` is "wait on #2 alone": one already there stays (no unlink and
    # relink), the others go.
    add(todo, "Book flights")
    add(todo, "Renew passport")
    add(todo, "Call the bank")
    add(todo, "Pack bags", "dep:1,2")
    tasks = by_number(todo)
    for words in (["dep:", "dep:2,3"], ["dep:2,3", "--depends", ""]):
        result = todo("edit", "4", *words)
        assert (result.exit_code, result.stderr) == (0, "edited #4: Pack bags\n")
        assert sorted(by_number(todo)[4]["depends"]) == sorted([tasks[2]["id"], tasks[3]["id"]])
        again = todo("edit", "4", *words)
        assert again.stderr == "unchanged #4: Pack bags (it was so already)\n"
        assert todo("edit", "4", "dep:1,2", "dep:-3").exit_code == 0


def test_an_empty_dependency_value_on_a_task_waiting_on_nothing_changes_nothing(
    todo: Todo,
) -> None:
    add(todo, "Book flights")
    result = todo("edit", "1", "dep:")
    assert (result.exit_code, result.stderr) == (
        0,
        "unchanged #1: Book flights (it was so already)\n",
    )
    assert todo("history", "--json").json()[0]["command"] == "todo add 'Book flights' --json"


@pytest.mark.parametrize("words", [["dep:"], ["--depends", ""]])
def test_an_empty_dependency_value_on_add_waits_on_nothing(todo: Todo, words: list[str]) -> None:
    # As `todo add x due:` adds a task with no due date.
    add(todo, "Book flights")
    result = todo("add", "Pack bags", *words, "--json")
    assert result.exit_code == 0, result.stderr
    assert (result.json()["title"], result.json()["depends"]) == ("Pack bags", [])


@pytest.mark.parametrize(
    ("command", "word", "item"),
    [
        (["add", "third", "dep:1,abc"], "dep:1,abc", "abc"),
        (["add", "third", "--depends", "abc"], "--depends abc", "abc"),
        (["edit", "2", "dep:-zz"], "dep:-zz", "zz"),
    ],
)
def test_a_bad_dependency_reference_names_the_word_it_came_from(
    todo: Todo, command: list[str], word: str, item: str
) -> None:
    # As `due:tomorow` is named, so is `dep:1,abc`: which word of the line is wrong.
    add(todo, "Book flights")
    add(todo, "Pack bags")
    result = todo(*command)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {word!r}: {item!r} is not a task reference "
        "(use a number like 12 or #12, a UUID, or 4+ hex digits of one)\n",
    )
    assert sorted(by_number(todo)) == [1, 2]
    assert by_number(todo)[2]["depends"] == []


def test_an_empty_dependency_value_clears_one_kept_for_taskwarrior_too(
    todo: Todo, tmp_path: Path
) -> None:
    # A dependency on a task not in the file is kept to be written back: `dep:` said
    # "unchanged", and the export still made the task wait there.
    elsewhere = "5d0c4a84-7c4e-4a51-9d2f-2b0e5f3e6a01"
    waiter = {
        "uuid": "9b7e3c1a-0a3e-4b8e-8f5e-0c6c9d1e2f30",
        "description": "Waiter",
        "status": "pending",
        "entry": "20261120T093000Z",
        "modified": "20261120T093000Z",
        "depends": [elsewhere],
    }
    source = tmp_path / "work.json"
    source.write_text(json.dumps([waiter]), encoding="utf-8")
    assert todo("import", str(source)).exit_code == 0
    result = todo("edit", "1", "dep:")
    assert (result.exit_code, result.stderr) == (0, "edited #1: Waiter\n")
    (back,) = json.loads(todo("export", "--format", "taskwarrior").stdout)
    assert "depends" not in back
    assert todo("undo").exit_code == 0
    (back,) = json.loads(todo("export", "--format", "taskwarrior").stdout)
    assert back["depends"] == [elsewhere]


def test_an_empty_dependency_value_on_a_stdin_line_is_refused_as_any_dep_is(
    todo: Todo,
) -> None:
    add(todo, "Book flights")
    result = todo("add", "-", input="Pack bags dep:\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: stdin line 1: dep: is not taken on a stdin line")
    assert sorted(by_number(todo)) == [1]


def test_an_edit_of_many_tasks_adding_a_dependency_reads_the_dependencies_once(
    todo: Todo,
) -> None:
    # Read again for each task's cycle check: 5,000 tasks gaining one took eight minutes
    # on a database with 6,000 dependencies (tasks times dependencies).
    for n in range(1, 7):
        add(todo, f"t{n}")
    proc = todo.process("--debug", "edit", "1-5", "dep:6")
    assert proc.returncode == 0, proc.stderr
    read = "SELECT task_dependencies.task_id, task_dependencies.depends_on_id"
    assert proc.stderr.decode().count(read) == 1
    waiting = [t["depends"] != [] for t in listed(todo, "--all", "--sort", "number")]
    assert waiting == [True] * 5 + [False]
    # A cycle one of the tasks would close is still found, and nothing is changed.
    before = listed(todo, "--all", "--sort", "number")
    refused = todo("edit", "5,6", "dep:1")
    assert (refused.exit_code, refused.stderr) == (
        2,
        "error: that makes a cycle: #6 -> #1 -> #6 (each waits on the next) (nothing was "
        "changed)\n",
    )
    assert listed(todo, "--all", "--sort", "number") == before
