"""Task commands as a person and a script use them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Todo, id_prefix, run_cli, sql_rows

TASK_KEYS = {
    "id",
    "number",
    "title",
    "description",
    "completed",
    "completed_at",
    "created_at",
    "updated_at",
    "priority",
    "due",
    "wait",
    "project",
    "tags",
    "notes",
    "depends",
    "recur",
    "series_id",
    "urgency",
}


def add(todo: Todo, title: str, *extra: str) -> dict[str, object]:
    result = todo("add", title, *extra, "--json")
    assert result.exit_code == 0, result.stderr
    task: dict[str, object] = result.json()
    return task


def titles(todo: Todo, *args: str) -> list[str]:
    result = todo("list", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return [task["title"] for task in result.json()]


def task_count(todo: Todo) -> int:
    return int(sql_rows(todo.url, "SELECT count(*) FROM tasks")[0][0])


# --- add -----------------------------------------------------------------------


def test_add_prints_the_task_as_json(todo: Todo) -> None:
    task = add(todo, "Buy milk", "-d", "semi-skimmed")
    assert set(task) == TASK_KEYS
    assert task["number"] == 1
    assert task["title"] == "Buy milk"
    assert task["description"] == "semi-skimmed"
    assert task["completed"] is False
    assert task["completed_at"] is None
    assert isinstance(task["created_at"], str)
    assert task["created_at"].endswith("Z")
    assert task["created_at"] == task["updated_at"]


def test_add_without_json_keeps_stdout_empty_and_confirms_on_stderr(todo: Todo) -> None:
    result = todo("add", "Buy milk")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "added #1" in result.stderr


def test_numbers_count_up_per_user(todo: Todo) -> None:
    assert [add(todo, f"t{i}")["number"] for i in range(3)] == [1, 2, 3]
    assert add(todo.as_user("bob"), "bob's first")["number"] == 1


def test_numbers_are_never_reused_after_a_delete(todo: Todo) -> None:
    add(todo, "one")
    add(todo, "two")
    assert todo("delete", "2", "--yes").exit_code == 0
    assert add(todo, "three")["number"] == 3


def test_title_is_trimmed(todo: Todo) -> None:
    assert add(todo, "  Buy milk \n")["title"] == "Buy milk"


@pytest.mark.parametrize(
    ("title", "why"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ("x" * 201, "201 characters"),
        ("nul\x00byte", "NUL"),
    ],
    ids=["empty", "whitespace", "201-characters", "nul-byte"],
)
def test_bad_title_is_exit_2_and_adds_nothing(todo: Todo, title: str, why: str) -> None:
    result = todo("add", title)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert why in result.stderr
    assert task_count(todo) == 0


def test_a_200_character_title_is_fine(todo: Todo) -> None:
    assert add(todo, "x" * 200)["title"] == "x" * 200


def test_a_2001_character_description_is_exit_2(todo: Todo) -> None:
    result = todo("add", "t", "-d", "d" * 2001)
    assert result.exit_code == 2
    assert "2000" in result.stderr
    assert task_count(todo) == 0


def test_sql_looking_text_is_just_text(todo: Todo) -> None:
    title = "'); DROP TABLE tasks; -- 50% off_ \\"
    assert add(todo, title)["title"] == title
    assert titles(todo, "--search", "50% off_") == [title]
    assert titles(todo, "--search", "5_%") == []


def test_markup_and_escape_sequences_are_stored_exactly(todo: Todo) -> None:
    title = "[bold]loud[/bold] \x1b[31mred\x1b[0m \x07bell"
    add(todo, title)
    assert titles(todo) == [title]
    table = todo("list")
    assert "[bold]loud[/bold]" in table.stdout
    assert "\x1b" not in table.stdout
    assert "\x07" not in table.stdout
    assert "\\x1b[31mred" in table.stdout


def test_invalid_input_in_json_mode_is_a_json_error(todo: Todo) -> None:
    result = todo("add", "", "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "invalid_input"
    assert "empty" in error["message"]


# --- add from stdin --------------------------------------------------------------


def test_stdin_lines_become_tasks_in_one_go(todo: Todo) -> None:
    result = todo("add", "--json", input="first\n\n  second  \nthird\n")
    assert result.exit_code == 0, result.stderr
    added = result.json()
    assert [t["title"] for t in added] == ["first", "second", "third"]
    assert [t["number"] for t in added] == [1, 2, 3]


def test_a_bulk_add_says_how_many_and_which_numbers(todo: Todo) -> None:
    three = todo("add", input="first\nsecond\nthird\n")
    assert (three.exit_code, three.stdout, three.stderr) == (0, "", "added 3 tasks: #1..#3\n")
    one = todo("add", input="fourth\n")
    assert (one.exit_code, one.stdout, one.stderr) == (0, "", "added 1 task: #4\n")


def test_dash_title_reads_stdin(todo: Todo) -> None:
    result = todo("add", "-", input="from stdin\n")
    assert result.exit_code == 0, result.stderr
    assert titles(todo) == ["from stdin"]


def test_one_bad_stdin_line_adds_nothing_and_names_the_line(todo: Todo) -> None:
    lines = "fine\nalso fine\n" + "x" * 201 + "\nnever\n"
    result = todo("add", input=lines)
    assert result.exit_code == 2
    assert "line 3" in result.stderr
    assert task_count(todo) == 0


def test_invalid_utf8_on_stdin_adds_nothing(todo: Todo) -> None:
    result = todo("add", input=b"good\nbad \xff\xfe line\n")
    assert result.exit_code == 2
    assert "line 2" in result.stderr
    assert "UTF-8" in result.stderr
    assert task_count(todo) == 0


def test_empty_stdin_is_exit_2(todo: Todo) -> None:
    result = todo("add", input="\n  \n")
    assert result.exit_code == 2
    assert "no tasks" in result.stderr


def test_huge_stdin_is_added_in_one_transaction(todo: Todo) -> None:
    lines = "".join(f"task {i}\n" for i in range(5000))
    result = todo("add", input=lines)
    assert result.exit_code == 0, result.stderr
    assert task_count(todo) == 5000
    last = todo("show", "5000", "--json").json()
    assert last["title"] == "task 4999"


# --- list ------------------------------------------------------------------------


@pytest.fixture
def three(todo: Todo) -> Todo:
    add(todo, "Buy milk", "-d", "from the Corner shop")
    add(todo, "call mom")
    add(todo, "Answer email")
    assert todo("done", "2").exit_code == 0
    return todo


def test_list_shows_open_tasks_by_default(three: Todo) -> None:
    assert titles(three) == ["Buy milk", "Answer email"]


def test_list_done_and_all(three: Todo) -> None:
    assert titles(three, "--done") == ["call mom"]
    # The work still to do first, then what is done.
    assert titles(three, "--all") == ["Buy milk", "Answer email", "call mom"]


def test_list_done_and_all_together_is_exit_2(three: Todo) -> None:
    assert three("list", "--done", "--all").exit_code == 2


def test_search_is_case_insensitive_and_looks_at_descriptions(three: Todo) -> None:
    assert titles(three, "--all", "--search", "CORNER") == ["Buy milk"]
    assert titles(three, "--all", "--search", "mOm") == ["call mom"]


def test_sort_reverse_and_limit(three: Todo) -> None:
    assert titles(three, "--all", "--sort", "title") == ["Answer email", "Buy milk", "call mom"]
    assert titles(three, "--all", "--reverse", "--limit", "2") == ["call mom", "Answer email"]


def test_bad_sort_key_and_limit_are_exit_2(three: Todo) -> None:
    assert three("list", "--sort", "colour").exit_code == 2
    assert three("list", "--limit", "0").exit_code == 2


def test_list_formats(three: Todo) -> None:
    jsonl = three("list", "--format", "jsonl")
    assert [json.loads(line)["title"] for line in jsonl.stdout.splitlines()] == [
        "Buy milk",
        "Answer email",
    ]
    as_json = three("list", "--format", "json")
    assert [t["number"] for t in as_json.json()] == [1, 3]


def test_empty_list_is_an_empty_json_array(todo: Todo) -> None:
    result = todo("list", "--json")
    assert result.exit_code == 0
    assert result.json() == []


def test_empty_list_table_says_so_on_stderr_only(todo: Todo) -> None:
    result = todo("list")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no open tasks" in result.stderr


def test_piped_table_never_truncates_a_long_title(todo: Todo) -> None:
    long_title = "word " * 39 + "final"
    add(todo, long_title)
    table = todo("list")
    assert long_title in table.stdout
    assert "…" not in table.stdout
    assert "\x1b[" not in table.stdout


# --- done / reopen -----------------------------------------------------------------


def test_done_completes_and_reopen_reopens(todo: Todo) -> None:
    add(todo, "t")
    done = todo("done", "1", "--json").json()
    assert done[0]["completed"] is True
    assert done[0]["completed_at"] is not None
    assert done[0]["updated_at"] == done[0]["completed_at"]
    reopened = todo("reopen", "#1", "--json").json()
    assert reopened[0]["completed"] is False
    assert reopened[0]["completed_at"] is None


def test_done_twice_is_fine_and_changes_nothing(todo: Todo) -> None:
    add(todo, "t")
    first = todo("done", "1", "--json").json()[0]
    second = todo("done", "1", "--json")
    assert second.exit_code == 0
    assert second.json()[0] == first
    assert "already done" in todo("done", "1").stderr


def test_done_many_prints_an_array_in_the_order_given(todo: Todo) -> None:
    for title in ("a", "b", "c"):
        add(todo, title)
    result = todo("done", "3", "1", "--json")
    assert [t["title"] for t in result.json()] == ["c", "a"]


def test_done_with_one_missing_ref_changes_nothing(todo: Todo) -> None:
    add(todo, "a")
    result = todo("done", "1", "7")
    assert result.exit_code == 1
    assert "'7'" in result.stderr
    assert titles(todo) == ["a"]


# --- references ------------------------------------------------------------------


def test_references_by_number_hash_uuid_and_prefix(todo: Todo) -> None:
    task = add(todo, "t")
    task_id = str(task["id"])
    prefix = id_prefix(task_id, 6)
    for ref in ("1", "#1", task_id, task_id.upper(), task_id.replace("-", ""), prefix):
        shown = todo("show", ref, "--json")
        assert shown.exit_code == 0, (ref, shown.stderr)
        assert shown.json()["id"] == task_id


def test_ambiguous_prefix_lists_the_candidates(todo: Todo) -> None:
    add(todo, "a")
    add(todo, "b")
    # Give both tasks ids that share a prefix.
    for number, task_id in (
        (1, "abcd1111-0000-4000-8000-000000000001"),
        (2, "abcd2222-0000-4000-8000-000000000002"),
    ):
        _set_id(todo.url, number, task_id)
    result = todo("show", "abcd")
    assert result.exit_code == 1
    assert "#1 (abcd1111)" in result.stderr
    assert "#2 (abcd2222)" in result.stderr
    assert todo("show", "abcd2", "--json").json()["title"] == "b"


def test_ambiguous_ids_alike_in_their_first_eight_digits_are_shown_until_they_differ(
    todo: Todo,
) -> None:
    add(todo, "a")
    add(todo, "b")
    _set_id(todo.url, 1, "12340000-0000-4000-8000-000000000001")
    _set_id(todo.url, 2, "12340000-0000-4000-8000-000000000002")
    result = todo("show", "12340000")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: '12340000' matches several tasks: #1 (12340000-0000-4000-8000-000000000001), "
        "#2 (12340000-0000-4000-8000-000000000002) (give more digits or the number)\n",
    )
    _set_id(todo.url, 2, "12340000-0001-4000-8000-000000000002")
    result = todo("show", "12340000")
    assert "#1 (12340000-0000), #2 (12340000-0001) (give" in result.stderr


@pytest.mark.parametrize("command", [["done"], ["reopen"], ["delete", "--yes"]])
def test_a_lone_double_dash_selects_nothing_and_is_refused(todo: Todo, command: list[str]) -> None:
    """`todo done -- $words` with $words empty must not act on every task."""
    add(todo, "a")
    add(todo, "b")
    todo("done", "2")
    before = todo("list", "--all", "--json").json()
    result = todo(*command, "--")
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: which tasks? give task references or a filter (e.g. `todo {command[0]} 3` or "
        f"`todo {command[0]} +errand`)\n",
    )
    assert todo("list", "--all", "--json").json() == before


def test_taskwarrior_lists_and_ranges_of_numbers_name_those_tasks(todo: Todo) -> None:
    for title in ("first", "second", "third", "Review Q1-3 numbers", "Pay invoices 2,3", "six"):
        add(todo, title)
    done = todo("done", "1-3", "--json")
    assert done.exit_code == 0, done.stderr
    assert [task["number"] for task in done.json()] == [1, 2, 3]
    reopened = todo("reopen", "#3,1", "--json")
    assert [task["number"] for task in reopened.json()] == [3, 1]
    assert todo("done", "1,3-4,#6").exit_code == 0
    assert titles(todo) == ["Pay invoices 2,3"]
    # After --, such a word is text again.
    assert todo("done", "--", "2,3").exit_code == 0
    assert titles(todo) == []


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["3-1"], "error: the range '3-1' runs backwards (write it low to high: 1-3)\n"),
        (
            ["1-10001"],
            "error: the range '1-10001' names 10,001 tasks (a range names at most 10,000; "
            "use a filter for more)\n",
        ),
        (["1-2", "+home"], "error: '1-2' is a task reference and +home is a filter"),
        # Past the largest number: alone an id's start, in a list a number no task has.
        (
            ["1-2147483648"],
            "error: task number '2147483648' in '1-2147483648' is out of range "
            "(a task number is 1 to 2,147,483,647)\n",
        ),
        (
            ["2,99999999999999999999"],
            "error: task number '99999999999999999999' in '2,99999999999999999999' "
            "is out of range (a task number is 1 to 2,147,483,647)\n",
        ),
    ],
)
def test_a_bad_range_is_refused_and_changes_nothing(
    todo: Todo, words: list[str], says: str
) -> None:
    for title in ("a", "b", "c"):
        add(todo, title, "+home")
    result = todo("done", *words)
    assert result.exit_code == 2
    assert result.stderr.startswith(says)
    assert titles(todo) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("words", "advice"),
    [
        (["edit", "1-10001", "+x"], "edit the rest with another command"),
        (["edit", "1", "2-10002", "+x"], "edit the rest with another command"),
        (["edit", "1", "dep:2-10002"], "give the rest in another dep:"),
        (["add", "d", "dep:1-10001"], "give the rest in another dep:"),
        (["delete", "1-10001"], "use a filter for more"),
    ],
)
def test_a_range_too_long_says_what_the_command_can_do_instead(
    todo: Todo, words: list[str], advice: str
) -> None:
    # `edit` takes no filter: "use a filter for more" sent the user to a refusal.
    for title in ("a", "b", "c"):
        add(todo, title)
    result = todo(*words)
    assert result.exit_code == 2
    assert result.stderr.endswith(f"(a range names at most 10,000; {advice})\n")
    assert titles(todo) == ["a", "b", "c"]


def test_an_id_copied_with_its_dashes_is_still_an_id_not_a_range(todo: Todo) -> None:
    add(todo, "a")
    _set_id(todo.url, 1, "12345678-1234-4000-8000-000000000001")
    shown = todo("show", "12345678-1234", "--json")
    assert shown.exit_code == 0, shown.stderr
    assert shown.json()["title"] == "a"
    assert todo("done", "12345678-12").exit_code == 0
    assert titles(todo) == []
    # Dashes where no id has them are no id.
    assert todo("show", "1234-5678").exit_code == 2


def test_eight_digits_are_a_number_first_then_an_id_prefix(todo: Todo) -> None:
    """One id in forty starts with eight decimal digits: copied from `todo show`, they
    find the task when no task has that number. A number a task has comes first; `#`
    means a number only; fewer digits are a number only (a typo must not find an id)."""
    for title in ("a", "b", "c"):
        add(todo, title)
    _set_id(todo.url, 1, "34683280-0000-4000-8000-000000000001")
    _set_id(todo.url, 2, "1234567a-0000-4000-8000-000000000002")
    assert todo("show", "34683280", "--json").json()["title"] == "a"
    assert todo("show", "#34683280").exit_code == 1
    missing = todo("show", "1234567")
    assert (missing.exit_code, missing.stderr) == (
        1,
        "error: no task '1234567' (see `todo list --all`)\n",
    )
    assert todo("done", "34683280").exit_code == 0
    assert [t["title"] for t in todo("list", "--done", "--json").json()] == ["a"]
    # Deleted, the task is still found by those digits in its history.
    assert todo("delete", "34683280", "--yes").exit_code == 0
    history = todo("history", "34683280")
    assert history.exit_code == 0, history.stderr
    assert history.stdout.endswith("  todo delete 34683280 --yes\n    deleted\n"), history.stdout
    # The task holding the number wins over the id that starts with it.
    _set_id(todo.url, 3, "34683280-0000-4000-8000-000000000003")
    _set_number(todo.url, 2, 34683280)
    assert todo("show", "34683280", "--json").json()["title"] == "b"


def test_digits_past_the_largest_number_are_an_id_prefix(todo: Todo) -> None:
    # No task has a number past 2,147,483,647: ten digits above it copied from an id
    # find the task, as ten digits below it do, instead of "number out of range".
    for title in ("a", "b"):
        add(todo, title)
    _set_id(todo.url, 1, "40651123-6322-4d2b-8857-dd389d8cf3a3")
    assert todo("show", "4065112363", "--json").json()["title"] == "a"
    assert todo("show", "40651123632", "--json").json()["title"] == "a"
    assert todo("done", "4065112363").exit_code == 0
    assert [t["title"] for t in todo("list", "--done", "--json").json()] == ["a"]
    missing = todo("show", "99999999999")
    assert (missing.exit_code, missing.stderr) == (
        1,
        "error: no task '99999999999' (see `todo list --all`)\n",
    )
    # With `#` it is a number only, and out of range.
    numbered = todo("show", "#4065112363")
    assert numbered.exit_code == 2
    assert "out of range" in numbered.stderr


def test_zero_padded_digits_are_an_id_prefix_first_then_a_number(todo: Todo) -> None:
    """No one writes task 2 as 00000002; one id in sixteen starts with a 0. Taken as the
    number first, `todo done 00000002` completed #2, not the task whose id it starts."""
    for title in ("a", "b", "c"):
        add(todo, title)
    _set_id(todo.url, 1, "00000002-0000-4000-8000-000000000001")
    _set_id(todo.url, 2, "aaaaaaaa-0000-4000-8000-000000000002")
    _set_id(todo.url, 3, "00000003-0000-4000-8000-000000000003")
    assert todo("done", "00000002").exit_code == 0
    assert [t["title"] for t in todo("list", "--done", "--json").json()] == ["a"]
    # All zeros is no number at all: a prefix only.
    several = todo("show", "0000")
    assert (several.exit_code, several.stderr.split(" (")[0]) == (
        1,
        "error: '0000' matches several tasks: #1",
    )
    # No id starts so: the number. `#` means the number only.
    assert todo("show", "0002", "--json").json()["title"] == "b"
    assert todo("show", "#00000003", "--json").json()["title"] == "c"
    assert todo("show", "00000003", "--json").json()["title"] == "c"


def test_zero_padded_digits_in_a_list_or_range_are_refused(todo: Todo) -> None:
    # Alone, 00000002 starts an id; in a list it read as the number 2.
    add(todo, "a")
    for word in ("00000002,1", "0001-0003", "1,0002"):
        result = todo("done", word)
        assert result.exit_code == 2, word
        assert "digits with a leading zero start an id, and a list or range holds numbers" in (
            result.stderr
        )
    assert titles(todo) == ["a"]


def test_a_range_of_missing_tasks_names_ten_of_them(todo: Todo) -> None:
    add(todo, "a")
    result = todo("done", "1-5000")
    named = ", ".join(f"'{n}'" for n in range(2, 12))
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: no tasks {named} and 4,989 more (see `todo list --all`)\n",
    )


def test_every_missing_reference_is_named_and_nothing_changes(todo: Todo) -> None:
    add(todo, "a")
    result = todo("done", "1", "99", "#98", "99")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: no tasks '99', '#98' (see `todo list --all`)\n",
    )
    assert titles(todo) == ["a"]


def _set_number(url: str, number: int, new: int) -> None:
    from sqlalchemy import update

    from todo_cli.db.engine import create_engine
    from todo_cli.db.schema import tasks
    from todo_cli.db.url import parse_url

    engine = create_engine(parse_url(url))
    with engine.begin() as conn:
        conn.execute(update(tasks).where(tasks.c.number == number).values(number=new))
    engine.dispose()


def _set_id(url: str, number: int, task_id: str) -> None:
    from uuid import UUID

    from sqlalchemy import update

    from todo_cli.db.engine import create_engine
    from todo_cli.db.schema import tasks
    from todo_cli.db.url import parse_url

    engine = create_engine(parse_url(url))
    with engine.begin() as conn:
        conn.execute(update(tasks).where(tasks.c.number == number).values(id=UUID(task_id)))
    engine.dispose()


@pytest.mark.parametrize("ref", ["xyz", "#", "12ab-zz", "abc", "0", "-1", "1.5"])
def test_malformed_reference_is_exit_2(todo: Todo, ref: str) -> None:
    add(todo, "t")
    result = todo("show", "--", ref)
    assert result.exit_code == 2, result.stderr


def test_unknown_number_is_exit_1(todo: Todo) -> None:
    result = todo("show", "42")
    assert result.exit_code == 1
    assert "no task '42'" in result.stderr


# --- show / edit / delete ---------------------------------------------------------


def test_show_for_people(todo: Todo) -> None:
    add(todo, "Buy milk", "-d", "line one\nline two")
    result = todo("show", "1")
    assert "#1  Buy milk" in result.stdout
    assert "status:   open" in result.stdout
    assert "    line two" in result.stdout


def test_edit_changes_title_and_moves_updated_at(todo: Todo) -> None:
    before = add(todo, "old")
    after = todo("edit", "1", "--title", "new", "--json").json()
    assert after["title"] == "new"
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] > before["updated_at"]


def test_edit_with_empty_description_removes_it(todo: Todo) -> None:
    add(todo, "t", "-d", "something")
    assert todo("edit", "1", "--description", "", "--json").json()["description"] is None


def test_edit_with_nothing_to_change_is_exit_2(todo: Todo) -> None:
    add(todo, "t")
    assert todo("edit", "1").exit_code == 2


def test_edit_with_a_bad_title_changes_nothing(todo: Todo) -> None:
    before = add(todo, "keep me")
    assert todo("edit", "1", "--title", " ").exit_code == 2
    assert todo("show", "1", "--json").json() == before


@pytest.mark.parametrize("piped", ["Buy oat milk\n", "Buy oat milk", "Buy oat milk\r\n"])
def test_edit_with_a_lone_dash_takes_the_title_from_stdin(todo: Todo, piped: str) -> None:
    # As `add -` and `note 3 -` read stdin: one line, less the newline that ends it.
    add(todo, "Buy milk")
    result = todo("edit", "1", "-", "pri:H", "--json", input=piped)
    assert result.exit_code == 0, result.stderr
    assert (result.json()["title"], result.json()["priority"]) == ("Buy oat milk", "H")


@pytest.mark.parametrize(
    ("piped", "message"),
    [
        (
            "one\ntwo\n",
            "error: stdin holds 2 lines: a title is one line (join them first, "
            "or give the rest as a note with `todo note N -`; nothing was changed)\n",
        ),
        ("", "error: stdin holds no title (nothing was changed)\n"),
        ("  \n", "error: stdin holds no title (nothing was changed)\n"),
    ],
)
def test_edit_with_a_lone_dash_refuses_what_is_no_title_and_changes_nothing(
    todo: Todo, piped: str, message: str
) -> None:
    before = add(todo, "Buy milk")
    result = todo("edit", "1", "-", "pri:H", input=piped)
    assert (result.exit_code, result.stderr) == (2, message)
    assert todo("show", "1", "--json").json() == before


def test_edit_with_a_dash_after_the_double_dash_or_among_words_takes_it_as_text(
    todo: Todo,
) -> None:
    add(todo, "Buy milk")
    assert todo("edit", "1", "--", "-", input="not read\n").stderr == "edited #1: -\n"
    assert todo("edit", "1", "a", "-", "b", input="not read\n").stderr == "edited #1: a - b\n"


@pytest.mark.parametrize(
    ("command", "words", "message"),
    [
        ("note", ["1-2", "Called"], "error: '1-2' names 2 tasks: todo note takes one"),
        ("show", ["2,1"], "error: '2,1' names 2 tasks: todo show takes one"),
        ("history", ["1-2"], "error: '1-2' names 2 tasks: todo history takes one"),
    ],
)
def test_a_command_of_one_task_refuses_a_list_as_naming_several(
    todo: Todo, command: str, words: list[str], message: str
) -> None:
    # Not "not a task reference": it is one, of two tasks.
    add(todo, "Buy milk")
    add(todo, "Call the bank")
    result = todo(command, *words)
    first = words[0][0]
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"{message} (give one, e.g. todo {command} {first})\n"
    assert todo("show", "1", "--json").json()["notes"] == []
    assert todo("show", "1,1", "--json").json()["title"] == "Buy milk"


@pytest.mark.parametrize(
    ("command", "word"),
    [
        (["done"], "1,"),
        (["delete", "--yes"], "1,"),
        (["done"], "1,,2"),
        (["done"], "#1,"),
        (["done"], "1-"),
        (["done"], "1-2,"),
    ],
)
def test_a_list_of_numbers_with_a_part_missing_is_refused_not_searched_for(
    todo: Todo, command: list[str], word: str
) -> None:
    # As text, `todo done 1,` completed "Pay rent 1,200 EUR" (a script building `1,2,3,`).
    add(todo, "Buy milk")
    add(todo, "Pay rent 1,200 EUR")
    name = command[0]
    result = todo(*command, word)
    quoted = f"'{word}'" if word.startswith("#") else word
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {word!r} is a list of task numbers with a part missing (write it whole, "
        f"as 1,3 or 2-4; to search for it as text: `todo {name} -- {quoted}`; "
        "nothing was changed)\n",
    )
    assert [t["completed"] for t in todo("list", "--all", "--json").json()] == [False, False]
    searched = todo("done", "--", "1,")
    assert searched.stderr.startswith("completed #2: Pay rent 1,200 EUR")


@pytest.mark.parametrize("command", ["list", "export"])
@pytest.mark.parametrize("word", ["1,2,", "3-", "1,,2"])
def test_list_and_export_refuse_a_list_of_numbers_with_a_part_missing(
    todo: Todo, command: str, word: str
) -> None:
    # `todo export 1,2,` searched for the text "1,2," and wrote an empty backup (exit 0).
    add(todo, "Buy milk")
    add(todo, "Pay rent 1,200 EUR")
    result = todo(command, word, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert json.loads(result.stderr)["error"]["message"] == (
        f"{word!r} is a list of task numbers with a part missing (write it whole, as 1,3 "
        f"or 2-4; to search for it as text: `todo {command} -- {word}`)"
    )
    searched = todo(command, "--json", "--", "1,")
    assert [task["number"] for task in searched.json()] == [2]


def test_edit_refuses_a_broken_list_instead_of_suggesting_it_as_a_title(todo: Todo) -> None:
    add(todo, "Buy milk")
    add(todo, "Call the bank")
    result = todo("edit", "1,", "2", "+errand")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: '1,' is a list of task numbers with a part missing "
        "(write it whole, as 1,3 or 2-4; nothing was changed)\n",
    )


@pytest.mark.parametrize("words", [["1", "HUGE", "+x"], ["HUGE", "+x"], ["1", "#HUGE", "+x"]])
def test_edit_of_a_task_number_of_thousands_of_digits_is_out_of_range(
    todo: Todo, words: list[str]
) -> None:
    # int() of 4,301 digits and more is an error of its own: exit 70, "this is a bug".
    add(todo, "Buy milk")
    huge = "1" + "0" * 4300
    result = todo("edit", *(word.replace("HUGE", huge) for word in words))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: task number '")
    assert "characters)' is out of range" in result.stderr


@pytest.mark.parametrize(("word", "named"), [("-1", "'-1'"), ("--", "'--'")])
def test_note_names_a_bad_reference_as_typed(todo: Todo, word: str, named: str) -> None:
    add(todo, "Buy milk")
    result = todo("note", word, "1", "hello")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {named} is not a task reference")
    assert "\x1f" not in result.stderr


def test_delete_without_a_terminal_needs_yes(todo: Todo) -> None:
    add(todo, "t")
    result = todo("delete", "1")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert task_count(todo) == 1


def test_delete_with_yes_prints_what_it_deleted(todo: Todo) -> None:
    add(todo, "a")
    add(todo, "b")
    result = todo("delete", "1", "2", "--yes", "--json")
    assert [t["title"] for t in result.json()] == ["a", "b"]
    assert task_count(todo) == 0


# --- users never see each other's tasks ------------------------------------------------


def test_a_second_user_never_sees_the_first_users_tasks(todo: Todo) -> None:
    alice_task = add(todo, "alice's secret")
    bob = todo.as_user("bob")
    add(bob, "bob's own")
    assert titles(bob, "--all") == ["bob's own"]
    assert titles(bob, "--all", "--search", "secret") == []
    alice_id = str(alice_task["id"])
    for command in (
        ["show", alice_id],
        ["done", alice_id],
        ["reopen", alice_id],
        ["edit", alice_id, "--title", "pwned"],
        ["delete", alice_id, "--yes"],
        ["show", id_prefix(alice_id)],
    ):
        result = bob(*command)
        assert result.exit_code == 1, (command, result.stderr)
        assert "no task" in result.stderr
    assert todo("show", "1", "--json").json() == alice_task


def test_list_and_show_encode_tricky_text_byte_for_byte_alike(todo: Todo) -> None:
    """`list` streams its JSON, `show` prints one object: the same encoding, byte for byte."""
    from todo_cli.output.render import dumps

    tricky = [
        "naïve café ☕ 🎉",
        'quote " and backslash \\ and slash /',
        "tab\tescape \x1b[31m del \x7f bell \x07 unit \x1f",
        "line separator \u2028 and bom \ufeff inside",
    ]
    for title in tricky:
        add(todo, title, "-d", "first line\nsecond line")
    add(todo, "no description")
    assert todo("done", "2").exit_code == 0
    # Split on newlines only: str.splitlines would also split at U+2028.
    lines = todo("list", "--all", "--format", "jsonl").stdout.rstrip("\n").split("\n")
    assert len(lines) == len(tricky) + 1
    for line in lines:
        listed = json.loads(line)
        shown = todo("show", str(listed["number"]), "--json").json()
        assert listed == shown
        assert line == dumps(shown)
    as_array = todo("list", "--all", "--json").json()
    assert [json.loads(line) for line in lines] == as_array


def test_edit_names_a_reference_given_after_the_double_dash_as_typed(todo: Todo) -> None:
    add(todo, "a")
    result = todo("edit", "--", "pri:H")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: '--' is not a task reference (use a number like 12 or #12, a UUID, or 4+ hex "
        "digits of one)\n",
    )
    assert todo("show", "1", "--json").json()["priority"] is None


@pytest.mark.parametrize(
    "words",
    [["-nosuch"], ["+x"], ["pri:H"], ["dep:-2"], ["Pay rent"]],
)
def test_an_edit_that_changes_nothing_says_so(todo: Todo, words: list[str]) -> None:
    add(todo, "Pay rent", "+x", "pri:H")
    add(todo, "other")
    before = todo("show", "1", "--json").json()
    result = todo("edit", "1", *words)
    assert (result.exit_code, result.stderr) == (
        0,
        "unchanged #1: Pay rent (it was so already)\n",
    )
    assert todo("show", "1", "--json").json()["updated_at"] == before["updated_at"]
    changed = todo("edit", "1", "pri:L")
    assert changed.stderr == "edited #1: Pay rent\n"


def test_list_done_shows_the_latest_completed_first(todo: Todo) -> None:
    for title in ("a", "b", "c"):
        add(todo, title)
    for ref in ("2", "3", "1"):
        assert todo("done", ref).exit_code == 0
    assert titles(todo, "--done") == ["a", "c", "b"]
    assert titles(todo, "--done", "--reverse") == ["b", "c", "a"]
    assert titles(todo, "--done", "--limit", "1") == ["a"]
    assert titles(todo, "--done", "--sort", "number") == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["add", "x" * 201],
            "error: title is 201 characters, the limit is 200 (nothing was added)",
        ),
        (["add", " "], "error: title is empty (nothing was added)"),
        (["edit", "1", "--title", " "], "error: title is empty (nothing was changed)"),
        (
            ["edit", "1", "-d", "x" * 2001],
            "error: description is 2001 characters, the limit is 2000 (nothing was changed)",
        ),
        (
            ["add", "x", "-d", "a", "-d", "b"],
            "error: -d is given twice: give it once; nothing was changed (see `todo add --help`)",
        ),
    ],
)
def test_a_value_over_its_limit_is_one_error_line_saying_nothing_changed(
    todo: Todo, args: list[str], says: str
) -> None:
    before = add(todo, "a")
    result = todo(*args)
    assert (result.exit_code, result.stderr) == (2, says + "\n")
    assert todo("list", "--all", "--json").json() == [before]


def test_the_table_lines_up_after_emoji_sequences(todo: Todo) -> None:
    """A family (joined by zero-width joiners), a skin tone and a heart drawn as an
    emoji (VS16) take two cells each, as terminals draw them: the next column lines up."""
    for title in ("family \U0001f468\u200d\U0001f469\u200d\U0001f467", "ok \U0001f44d\U0001f3fd",
                  "heart \u2764\ufe0f", "plain title"):  # fmt: skip
        assert todo("add", title).exit_code == 0
    result = todo("list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "#  title        urg",
        "1  family \U0001f468\u200d\U0001f469\u200d\U0001f467    0.0",
        "2  ok \U0001f44d\U0001f3fd        0.0",
        "3  heart \u2764\ufe0f     0.0",
        "4  plain title  0.0",
    ]


def test_a_listing_on_sqlite_sorts_in_a_temporary_file_not_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sorted by urgency, SQLite sorts every task matched: with temporary storage in
    memory (what writes want, for their statement journals) `list --json` grew by 180
    bytes a task (117 MB at 400,000); a listing spills its sort to a file instead."""
    from todo_cli.db.transaction import transaction
    from todo_cli.repository.tasks import TaskQuery, TaskRepository
    from todo_cli.services import tasks
    from todo_cli.settings import resolve

    settings = resolve(db=f"sqlite:///{tmp_path / 'todo.db'}", user="alice", environ={})
    assert run_cli(["--db", settings.database_url, "--user", "alice", "add", "one"]).exit_code == 0
    seen: list[int] = []
    find = TaskRepository.find

    def finding(self: TaskRepository, query: TaskQuery) -> Any:
        # 1: FILE; 2: MEMORY.
        seen.append(self.conn.exec_driver_sql("PRAGMA temp_store").scalar_one())
        return find(self, query)

    monkeypatch.setattr(TaskRepository, "find", finding)
    with tasks.listing(settings, TaskQuery()) as found:
        assert [task.title for task in found] == ["one"]
    assert seen == [1]
    with transaction(settings) as conn:  # a write keeps its statement journals in memory
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2


# --- a question answered after another command changed its tasks ------------------------------


def _service_settings(todo: Todo) -> Any:
    import os

    from todo_cli.settings import resolve

    env = {**todo.env, "TODO_CONFIG": os.devnull}
    return resolve(db=env["TODO_DATABASE_URL"], user=todo.user, environ=env)


@pytest.mark.parametrize("verb", ["done", "delete"])
def test_a_task_deleted_while_the_question_waited_is_named_as_shown(todo: Todo, verb: str) -> None:
    # `todo done +errand` answered yes after another shell deleted #2: the error named
    # a uuid the user never saw ("no task 'e1c40beb-...'"). Nothing is done, the task
    # is named as the question listed it.
    from datetime import UTC, datetime

    from todo_cli.domain.filters import parse_filter
    from todo_cli.errors import Conflict
    from todo_cli.services import tasks

    for title in ("a", "b", "c", "d", "e"):
        add(todo, title, "+errand")
    shown: list[list[int]] = []

    def meanwhile(targets: list[Any]) -> bool:
        shown.append([task.number for task in targets])
        assert todo("delete", "2", "4", "--yes").exit_code == 0
        return True

    errands = parse_filter(["+errand"], now=datetime.now(UTC), tz=UTC)
    settings = _service_settings(todo)

    def act() -> object:
        if verb == "done":
            return tasks.set_completed(settings, errands, True, confirm=meanwhile)
        return tasks.delete(settings, errands, confirm=meanwhile)

    with pytest.raises(Conflict) as refused:
        act()
    assert shown == [[1, 2, 3, 4, 5]]
    assert refused.value.message == (
        "#2 'b', #4 'd' were deleted by another command while the question waited"
    )
    what = "changed" if verb == "done" else "deleted"
    assert refused.value.hint == f"nothing was {what}; run it again"
    assert refused.value.exit_code == 1
    left = todo("list", "--all", "--json").json()
    assert [(task["number"], task["completed"]) for task in left] == [
        (1, False),
        (3, False),
        (5, False),
    ]
    # Asked again, it acts on what is left.
    if verb == "done":
        done = tasks.set_completed(settings, errands, True, confirm=lambda targets: True)
        assert [r.task.number for r in done.results if r.changed] == [1, 3, 5]
    else:
        gone = tasks.delete(settings, errands, confirm=lambda targets: True)
        assert [task.number for task in gone] == [1, 3, 5]
