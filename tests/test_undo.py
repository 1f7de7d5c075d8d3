"""`todo history` and `todo undo` through the CLI, on SQLite and PostgreSQL.

History lists the user's operations newest first and a task's changes field
by field; undo reverts the user's latest operation not yet undone (and no
undo itself), is recorded, and refuses, changing nothing, when a row it would
set back has changed since.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.ci_gate import not_applicable
from tests.conftest import REPO, RLS, Todo, sql_rows
from tests.test_journal import (
    TRANSCRIPT,
    count,
    engine_for,
    execute,
    ok,
    operations,
    seed,
    user_id,
)

OPERATION_KEYS = {"id", "number", "created_at", "command", "undone", "undoes"}


def tasks(todo: Todo) -> list[dict[str, Any]]:
    """Every task of the user as `list --all --json` shows it, urgency aside (it ages), and
    updated_at aside (an undo is a change: it moves, see test_an_undo_is_a_change...)."""
    found = ok(todo, "list", "--all", "--json").json()
    return sorted(
        ({k: v for k, v in task.items() if k not in ("urgency", "updated_at")} for task in found),
        key=lambda task: task["number"],
    )


def task(todo: Todo, number: int) -> dict[str, Any]:
    shown: dict[str, Any] = ok(todo, "show", str(number), "--json").json()
    return shown


def history(todo: Todo, *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(todo, "history", *args, "--json").json()
    return found


def numbers(todo: Todo) -> list[int]:
    return [t["number"] for t in tasks(todo)]


def age(url: str, user: str, numbers: list[int], when: datetime) -> None:
    """Make some of a user's operations old, straight in the table."""
    from sqlalchemy import update

    from todo_cli.db.schema import operations as table

    owner = user_id(url, user)
    with engine_for(url) as engine, engine.begin() as conn:
        conn.execute(
            update(table)
            .where(table.c.user_id == owner, table.c.number.in_(numbers))
            .values(created_at=when)
        )


def bulk(n: int, suffix: str = "") -> str:
    return "".join(f"task {i}{suffix}\n" for i in range(n))


# --- history --------------------------------------------------------------------------


def test_history_lists_operations_newest_first_with_number_time_and_command(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "add", "Call the bank")
    ok(todo, "done", "1")
    found = history(todo)
    assert [(op["number"], op["command"]) for op in found] == [
        (3, "todo done 1"),
        (2, "todo add 'Call the bank'"),
        (1, "todo add 'Buy milk'"),
    ]
    times = [datetime.fromisoformat(op["created_at"].replace("Z", "+00:00")) for op in found]
    assert times == sorted(times, reverse=True)
    assert all(abs(datetime.now(UTC) - t).total_seconds() < 120 for t in times)


def test_history_json_has_the_operation_its_summary_and_its_changes(todo: Todo) -> None:
    ok(todo, "add", "Buy milk", "+home")
    [op] = history(todo)
    assert set(op) == OPERATION_KEYS | {"summary", "changes"}
    UUID(op["id"])
    assert (op["undone"], op["undoes"]) == (False, None)
    assert op["summary"] == "added #1 (Buy milk)"
    assert sorted((c["table"], c["action"], c["rows"]) for c in op["changes"]) == [
        ("task_tags", "insert", 1),
        ("tasks", "insert", 1),
    ]


def test_history_table_shows_number_command_and_what_changed(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "done", "1")
    result = ok(todo, "history")
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert "command" in lines[0]
    assert "what changed" in lines[0]
    assert lines[1].split()[0] == "2"
    assert "todo done 1" in lines[1]
    assert "completed #1" in lines[1]
    assert lines[2].split()[0] == "1"
    assert "added #1 (Buy milk)" in lines[2]
    added = datetime.fromisoformat(history(todo)[1]["created_at"].replace("Z", "+00:00"))
    assert added.astimezone().strftime("%Y-%m-%d %H:%M") in lines[2]


def test_history_says_which_tasks_were_completed(todo: Todo) -> None:
    ok(todo, "add", input=bulk(4))
    ok(todo, "done", "3", "4")
    assert history(todo)[0]["summary"] == "completed #3 #4"
    assert "completed #3 #4" in ok(todo, "history").stdout


def test_history_says_which_task_was_deleted_with_its_title(todo: Todo) -> None:
    ok(todo, "add", input=bulk(6))
    ok(todo, "add", "Buy milk")
    ok(todo, "delete", "7", "--yes")
    assert history(todo)[0]["summary"] == "deleted #7 (Buy milk)"
    assert "deleted #7 (Buy milk)" in ok(todo, "history").stdout


def test_history_counts_a_bulk_add_of_a_thousand_tasks(todo: Todo) -> None:
    ok(todo, "add", input=bulk(1000))
    assert history(todo)[0]["summary"] == "added 1,000 tasks"
    assert "added 1,000 tasks" in ok(todo, "history").stdout


def test_history_says_in_words_what_an_import_linking_a_dependency_did(
    todo: Todo, tmp_path: Path
) -> None:
    """A backup edited by hand to add a dependency, imported: the operation changed no
    task row, and history named the table ("insert 1 task_dependencies")."""
    ok(todo, "add", "Buy paint")
    ok(todo, "add", "Paint wall")
    backup = json.loads(ok(todo, "export", "--all").stdout)
    backup[1]["depends"] = [backup[0]["id"]]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(backup), "utf-8")
    ok(todo, "import", str(edited))
    assert history(todo)[0]["summary"] == "added 1 task dependency"
    assert "added 1 task dependency" in ok(todo, "history").stdout


def test_history_says_what_chat_log_commands_did(todo: Todo) -> None:
    ok(todo, "chat-log", "new", "-t", "planning")
    ok(todo, "chat-log", "append", "1", "-r", "user", "hello")
    ok(todo, "chat-log", "import", "-", input=TRANSCRIPT)
    ok(todo, "chat-log", "rename", "2", "imported")
    ok(todo, "chat-log", "rename", "2", "imported")  # its title already: no change
    ok(todo, "chat-log", "delete", "1", "--yes")
    assert [op["summary"] for op in history(todo)] == [
        "deleted conversation #1",
        "renamed conversation #2",
        "imported conversation #2 (2 messages)",
        "appended 1 message to conversation #1",
        "started conversation #1",
    ]


def test_history_limit_shows_only_the_latest(todo: Todo) -> None:
    for title in ("one", "two", "three", "four"):
        ok(todo, "add", title)
    assert [op["number"] for op in history(todo, "--limit", "2")] == [4, 3]
    lines = [line for line in ok(todo, "history", "--limit", "2").stdout.splitlines() if line]
    assert len(lines) == 3  # the header and two operations


def test_history_leaves_out_commands_that_changed_nothing(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "done", "1")
    ok(todo, "done", "1")  # already done: nothing changed
    assert [op["command"] for op in history(todo)] == ["todo done 1", "todo add 'Buy milk'"]


@pytest.mark.parametrize(
    "words",
    [["--title", "Buy milk"], ["pri:"], ["pri:H"], ["due:2026-12-24"], ["pri:H", "+errand"]],
)
def test_an_edit_to_what_the_task_already_holds_is_no_change_and_no_step_to_undo(
    todo: Todo, words: list[str]
) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", *words)  # the task holds it now, if it did not already
    before = task(todo, 1)
    steps = history(todo)
    time.sleep(0.01)  # a write now would move updated_at
    ok(todo, "edit", "1", *words)
    assert task(todo, 1) == before
    assert history(todo) == steps


def test_history_of_another_user_is_empty(todo: Todo) -> None:
    seed(todo)
    bob = todo.as_user("bob")
    assert history(bob) == []
    result = ok(bob, "history")
    assert result.stdout == ""
    assert "no history yet" in result.stderr


def test_history_of_a_task_shows_each_field_old_and_new(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H")
    ok(todo, "edit", "1", "Buy", "oat", "milk", "project:home")
    out = ok(todo, "history", "1").stdout
    assert "todo edit 1 pri:H" in out
    assert "priority: - -> H" in out
    assert "title: Buy milk -> Buy oat milk" in out
    assert "project: - -> home" in out
    assert out.index("priority: - -> H") < out.index("title: Buy milk -> Buy oat milk")


def test_history_of_a_series_ended_shows_the_recurrence_not_todos_own_note(todo: Todo) -> None:
    """`recur:` keeps the recurrence for other tools in the attributes: the user
    changed the recurrence, and that is all history says, as text and as JSON."""
    import json

    ok(todo, "add", "Stand-up", "due:tomorrow", "recur:daily")
    ok(todo, "edit", "1", "recur:")
    out = ok(todo, "history", "1").stdout
    assert out.split("todo edit 1 recur:\n", 1)[1] == "    recur: daily -> -\n"
    [_, edit] = ok(todo, "history", "1", "--json").json()
    assert [field["field"] for field in edit["fields"]] == ["recur"]
    # Attributes of an import's own still show, as JSON on both backends.
    exported = [
        {"uuid": "6513270e-269e-4d37-b2a7-4de452e6b438", "description": "Buy", "estimate": "3"}
        | {"status": "pending", "entry": "20260105T080000Z", "modified": "20260105T080000Z"}
    ]
    ok(todo, "import", "--format", "taskwarrior", "-", input=json.dumps(exported))
    exported[0] |= {"estimate": "4", "modified": "20260106T080000Z"}
    ok(todo, "import", "--format", "taskwarrior", "-", input=json.dumps(exported))
    out = ok(todo, "history", "2").stdout
    assert '    attributes: {"estimate":"3"} -> {"estimate":"4"}\n' in out


def test_history_of_a_deleted_task_is_found_by_its_number_and_by_its_id(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "add", "Find the wallet", "dep:1")
    task_id = ok(todo, "show", "2", "--json").json()["id"]
    ok(todo, "delete", "2", "--yes")
    out = ok(todo, "history", "2").stdout
    assert out.startswith("#2 ")
    assert "todo add 'Find the wallet' dep:1" in out
    assert "    deleted\n" in out.split("todo delete 2 --yes")[1]
    assert ok(todo, "history", task_id).stdout == out
    assert ok(todo, "history", task_id[:13]).stdout == out  # a prefix, dash and all
    undashed = task_id.replace("-", "")
    # A prefix of digits alone reads as a task number (numbers come first): one
    # id in a hundred starts with ten digits, so the prefix goes on to a hex letter.
    length = next(n for n in range(10, 33) if not undashed[:n].isdigit())
    assert ok(todo, "history", undashed[:length]).stdout == out
    assert todo("history", "3").exit_code == 1  # never a task: still not found
    other = todo.as_user("bob")
    assert other("history", "2").exit_code == 1  # nor another user's deleted task


def two_tasks_sharing_a_prefix(todo: Todo, *titles: str) -> tuple[str, str]:
    """Two tasks imported whose ids both start with abcd: #1 (abcd1111), #2 (abcd2222)."""
    import json

    first, second = "abcd1111-0000-4000-8000-000000000001", "abcd2222-0000-4000-8000-000000000002"
    exported = [
        {"id": task_id, "title": title, "completed": False}
        | {"created_at": "2026-11-20T08:00:00.000000Z", "updated_at": "2026-11-20T08:00:00.000000Z"}
        for task_id, title in zip((first, second), titles, strict=True)
    ]
    ok(todo, "import", "-", input=json.dumps(exported))
    return first, second


def test_history_by_an_id_prefix_that_two_deleted_tasks_share_is_ambiguous(todo: Todo) -> None:
    first, second = two_tasks_sharing_a_prefix(todo, "Buy milk", "Find the wallet")
    ok(todo, "delete", first, second, "--yes")
    result = todo("history", "abcd")
    assert result.exit_code == 1
    assert "'abcd' matches several deleted tasks: #2 (abcd2222), #1 (abcd1111)" in result.stderr
    assert "nothing" not in result.stdout
    assert (
        ok(todo, "history", "abcd2", "--json").json()
        == ok(todo, "history", second, "--json").json()
    )
    assert ok(todo, "history", "abcd1").stdout == ok(todo, "history", first).stdout
    assert todo("history", "abcd3").exit_code == 1


# A prefix that a task's id and a deleted task's id both start with showed the task's
# history alone, naming neither: "what happened to abcd?" may mean the deleted one.
def test_history_by_an_id_prefix_a_task_and_a_deleted_task_share_is_ambiguous(
    todo: Todo,
) -> None:
    two_tasks_sharing_a_prefix(todo, "Old tax papers", "Buy milk")
    ok(todo, "edit", "1", "Tax papers 2023")
    ok(todo, "delete", "1", "--yes")
    before = ok(todo, "history", "--json").json()
    result = todo("history", "abcd")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "error: 'abcd' matches several tasks (deleted ones too): #2 (abcd2222), "
        "#1 (abcd1111) (give more digits or the number)\n",
    )
    assert ok(todo, "history", "--json").json() == before
    # More digits, or the number, tell them apart.
    assert ok(todo, "history", "abcd2").stdout == ok(todo, "history", "2").stdout
    assert "deleted" in ok(todo, "history", "abcd1").stdout
    # A task deleted and brought back by undo is one task, not two.
    ok(todo, "delete", "2", "--yes")
    ok(todo, "undo")
    assert ok(todo, "history", "abcd2").stdout == ok(todo, "history", "2").stdout


def test_history_of_a_task_takes_limit_as_its_latest_changes(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H")
    ok(todo, "edit", "1", "pri:L")
    found = ok(todo, "history", "1", "--limit", "1", "--json").json()
    assert [entry["command"] for entry in found] == ["todo edit 1 pri:L"]
    ok(todo, "edit", "1", "+a", "+b", "pri:H")  # one operation, three rows
    found = ok(todo, "history", "1", "--limit", "1", "--json").json()
    assert [entry["command"] for entry in found] == ["todo edit 1 +a +b pri:H"] * 3


TZ_REFUSED = (
    "error: TZ: 'Nowhere/City' is not a time zone (set TZ to an IANA name such as "
    "Europe/Berlin, a POSIX rule such as CET-1CEST,M3.5.0,M10.5.0/3, or unset it)\n"
)


def test_history_refuses_a_tz_that_names_no_zone_as_the_task_commands_do(
    todo: Todo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It printed its times in UTC as if local, exit 0, where `todo list` refuses.
    ok(todo, "add", "Buy milk", "due:2030-01-04T17:00")
    monkeypatch.setenv("TZ", "Nowhere/City")
    for args in (["list"], ["history"], ["history", "1"]):
        result = todo(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", TZ_REFUSED), args
    # A task's history as JSON has its changes in local time too ("due: - -> ... 17:00").
    result = todo("history", "1", "--json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert json.loads(result.stderr)["error"] == {
        "code": "invalid_input",
        "message": TZ_REFUSED.removeprefix("error: ").rstrip("\n"),
    }
    # The list as JSON shows no local time (RFC 3339 UTC), as `show --json` shows none.
    assert (
        ok(todo, "history", "--json").json()[0]["command"]
        == "todo add 'Buy milk' due:2030-01-04T17:00"
    )


def test_history_shows_its_times_in_the_zone_tz_names(
    todo: Todo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zoneinfo import ZoneInfo

    ok(todo, "add", "Buy milk")
    created = datetime.fromisoformat(history(todo)[0]["created_at"].replace("Z", "+00:00"))
    for zone in ("America/New_York", "Asia/Kolkata"):
        monkeypatch.setenv("TZ", zone)
        local = created.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        assert ok(todo, "history").stdout.splitlines()[1].startswith(f"1  {local}  todo add")
        assert ok(todo, "history", "1").stdout.splitlines()[0].startswith(f"#1  {local}  todo add")


def test_history_of_a_task_shows_a_date_as_a_date_and_a_time_as_a_time(todo: Todo) -> None:
    ok(todo, "add", "Buy milk", "due:2030-01-04")
    ok(todo, "edit", "1", "due:2030-01-04T17:00")
    ok(todo, "edit", "1", "due:")
    out = ok(todo, "history", "1").stdout
    assert "due: 2030-01-04 -> 2030-01-04 17:00" in out
    assert "due: 2030-01-04 17:00 -> -" in out


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_history_of_a_task_shows_a_wait_given_as_a_day_as_that_day(
    todo: Todo, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    # It was "wait: 2027-01-05 00:00 -> 2027-02-01 00:00", where show said 2027-02-01.
    monkeypatch.setenv("TZ", zone)
    ok(todo, "add", "Renew the passport", "wait:2027-01-05")
    ok(todo, "edit", "1", "wait:2027-02-01")
    assert "\n  wait:     2027-02-01\n" in ok(todo, "show", "1").stdout
    ok(todo, "edit", "1", "wait:2027-02-01T09:30")
    out = ok(todo, "history", "1").stdout.splitlines()
    assert [line for line in out if line.startswith("    wait:")] == [
        "    wait: 2027-01-05 -> 2027-02-01",
        "    wait: 2027-02-01 -> 2027-02-01 09:30",
    ]


def test_history_of_a_task_names_the_tasks_it_waits_on_by_number(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "add", "Find the wallet")
    ok(todo, "edit", "1", "dep:2")
    ok(todo, "edit", "1", "dep:-2")
    out = ok(todo, "history", "1").stdout
    assert "waits on #2" in out
    assert "no longer waits on #2" in out
    found = ok(todo, "history", "1", "--json").json()
    assert ["waits on #2"] in [entry["changes"] for entry in found]


def test_history_of_a_task_names_a_deleted_dependency_by_the_number_it_had(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "add", "Find the wallet", "dep:1")
    ok(todo, "delete", "1", "--yes")
    out = ok(todo, "history", "2").stdout.splitlines()
    assert out[2] == "    waits on #1 (deleted)"
    assert out[-1] == "    no longer waits on #1 (deleted)"
    found = ok(todo, "history", "2", "--json").json()
    assert [entry["changes"] for entry in found][-1] == ["no longer waits on #1 (deleted)"]


def test_history_of_a_task_as_json_gives_each_fields_values_as_data(
    todo: Todo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Times RFC 3339 UTC, as every JSON output has them, whatever the local zone (the
    text of `changes` is for people: local time); an added task with what it set."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    ok(todo, "add", "Buy milk", "due:2026-12-24T17:00", "+home")
    ok(todo, "add", "Find the wallet")
    ok(todo, "edit", "1", "dep:2", "pri:H")
    ok(todo, "done", "1")
    found = ok(todo, "history", "1", "--json").json()
    fields = [(e["table"], e["action"], e["fields"]) for e in found]
    wallet = ok(todo, "show", "2", "--json").json()["id"]
    added = next(f for table, action, f in fields if (table, action) == ("tasks", "insert"))
    assert {f["field"]: (f["before"], f["after"]) for f in added} == {
        "number": (None, 1),
        "title": (None, "Buy milk"),
        "completed": (None, False),
        "created_at": (None, ok(todo, "show", "1", "--json").json()["created_at"]),
        "due": (None, "2026-12-24T16:00:00.000000Z"),
    }
    assert ("task_tags", "insert", [{"field": "tag", "before": None, "after": "home"}]) in fields
    assert (
        "task_dependencies",
        "insert",
        [{"field": "depends", "before": None, "after": wallet}],
    ) in fields
    assert ("tasks", "update", [{"field": "priority", "before": None, "after": "H"}]) in fields
    completed = fields[-1][2]
    assert [f["field"] for f in completed] == ["completed", "completed_at"]
    assert (completed[0]["before"], completed[0]["after"]) == (False, True)
    assert completed[1]["before"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", completed[1]["after"])


def test_history_of_a_deleted_task_reads_the_same_on_every_backend(todo: Todo) -> None:
    """What went with the task (its tags), then the task: SQLite journals a cascade
    before the row that caused it, PostgreSQL after."""
    ok(todo, "add", "Buy milk", "+home", "+shop")
    ok(todo, "add", "Pay rent")
    ok(todo, "edit", "1", "dep:2")
    ok(todo, "note", "1", "from the corner shop")
    ok(todo, "delete", "1", "--yes")
    lines = ok(todo, "history", "1").stdout.splitlines()
    # (Its notes and tags went in one order on SQLite and in another on PostgreSQL.)
    assert [line.strip() for line in lines[-5:]] == [
        "-home",
        "-shop",
        "note removed: from the corner shop",
        "no longer waits on #2",
        "deleted",
    ]
    found = ok(todo, "history", "1", "--json").json()
    assert [(e["table"], e["action"]) for e in found][-5:] == [
        ("task_tags", "delete"),
        ("task_tags", "delete"),
        ("task_notes", "delete"),
        ("task_dependencies", "delete"),
        ("tasks", "delete"),
    ]


def test_history_of_a_next_task_made_again_after_an_undo_says_which_number_each_had(
    todo: Todo,
) -> None:
    # The next task of a series takes an id derived from the completed one's: made,
    # taken back by undo, made again (#3, numbers are never reused), one id held
    # both numbers, and `history 2` and `history 3` told one story with none.
    ok(todo, "add", "Rent", "due:2026-12-01", "recur:monthly")
    ok(todo, "done", "1")
    ok(todo, "undo")
    ok(todo, "done", "1")
    for number in ("2", "3"):
        lines = [line.strip() for line in ok(todo, "history", number).stdout.splitlines()]
        assert [line for line in lines if not line.startswith("#")] == [
            "added as #2",
            "deleted (#2)",
            "added as #3",
        ]
    # A task that only ever had one number reads as ever.
    lines = ok(todo, "history", "1").stdout.splitlines()
    assert lines[1].strip() == "added"


def test_history_of_a_task_shows_tags_added_and_removed(todo: Todo) -> None:
    ok(todo, "add", "Buy milk", "+home")
    ok(todo, "edit", "1", "-home", "+shop")
    lines = [line.strip() for line in ok(todo, "history", "1").stdout.splitlines()]
    assert lines.count("+home") == 1
    assert lines.count("-home") == 1
    assert lines.count("+shop") == 1


def test_history_of_a_task_shows_its_notes(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "note", "1", "semi-skimmed")
    assert "note added: semi-skimmed" in ok(todo, "history", "1").stdout


def test_history_of_a_task_shows_its_completion(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "done", "1")
    assert "completed: no -> yes" in ok(todo, "history", "1").stdout


def test_history_of_a_task_leaves_out_other_tasks(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "add", "Call the bank")
    ok(todo, "edit", "2", "pri:L")
    out = ok(todo, "history", "1").stdout
    assert "Call the bank" not in out
    assert "pri:L" not in out


def test_history_of_a_task_as_json(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H", "+home")
    found = history(todo, "1")
    assert all(
        set(entry) == OPERATION_KEYS | {"table", "action", "changes", "fields"} for entry in found
    )
    assert [e["number"] for e in found] == sorted(e["number"] for e in found)
    assert sorted((e["number"], e["table"], e["action"]) for e in found) == [
        (1, "tasks", "insert"),
        (2, "task_tags", "insert"),
        (2, "tasks", "update"),
    ]
    edits = {e["table"]: e["changes"] for e in found if e["number"] == 2}
    assert edits == {"tasks": ["priority: - -> H"], "task_tags": ["+home"]}


def test_history_of_a_task_as_json_leaves_out_what_the_text_leaves_out(todo: Todo) -> None:
    # A note also moves the task's updated_at: that was an entry of its own, with no
    # changes and no fields, which `jq length` counted as a change.
    ok(todo, "add", "Buy milk")
    ok(todo, "note", "1", "Oat milk")
    found = history(todo, "1")
    assert [(e["number"], e["table"], e["changes"]) for e in found] == [
        (1, "tasks", ["added"]),
        (2, "task_notes", ["note added: Oat milk"]),
    ]
    assert len(todo("history", "1").stdout.splitlines()) == 4


def test_history_of_another_users_task_is_not_found(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    result = todo.as_user("bob")("history", "1")
    assert result.exit_code == 1


# --- undo: what comes back ------------------------------------------------------------


def test_undo_of_a_delete_restores_ids_numbers_tags_notes_and_dependencies(todo: Todo) -> None:
    ok(todo, "add", "Buy milk", "+home", "+shop", "pri:H")
    ok(todo, "note", "1", "semi-skimmed")
    ok(todo, "add", "Bake a cake", "dep:1")
    before = tasks(todo)
    ok(todo, "delete", "1", "--yes")
    assert task(todo, 2)["depends"] == []
    result = ok(todo, "undo")
    assert "undid" in result.stderr
    assert tasks(todo) == before
    assert task(todo, 2)["depends"] == [before[0]["id"]]
    assert count(todo.url, "task_dependencies") == 1


def test_undo_of_deleting_a_task_and_one_that_waits_on_it_restores_both(todo: Todo) -> None:
    ok(todo, "add", "Buy flour")
    ok(todo, "add", "Bake a cake", "dep:1", "+kitchen")
    before = tasks(todo)
    ok(todo, "delete", "1", "2", "--yes")
    ok(todo, "undo")
    assert tasks(todo) == before


def test_undo_of_an_edit_restores_the_dependencies(todo: Todo) -> None:
    ok(todo, "add", "Buy flour")
    ok(todo, "add", "Buy eggs")
    ok(todo, "add", "Bake a cake", "dep:1")
    before = tasks(todo)
    ok(todo, "edit", "3", "dep:-1", "dep:2")
    assert task(todo, 3)["depends"] == [before[1]["id"]]
    ok(todo, "undo")
    assert tasks(todo) == before


def test_undo_of_a_reopen_that_took_back_a_successor_brings_it_back(todo: Todo) -> None:
    ok(todo, "add", "Water the plants", "recur:weekly", "due:2030-01-06")
    ok(todo, "done", "1")
    before = tasks(todo)
    assert len(before) == 2
    ok(todo, "reopen", "1")
    assert numbers(todo) == [1]
    ok(todo, "undo")
    assert tasks(todo) == before


def test_undo_of_an_import_removes_the_tasks_it_added(todo: Todo) -> None:
    ok(todo, "add", "keep me")
    imported = (
        '[{"uuid": "5f0c6a3e-1111-4222-8333-444455556666", "description": "From Taskwarrior",'
        ' "status": "pending", "entry": "20260101T000000Z", "tags": ["imported"],'
        ' "estimate": "2h"}]'
    )
    ok(todo, "import", "-", "--format", "taskwarrior", input=imported)
    ok(todo, "undo")
    assert [t["title"] for t in tasks(todo)] == ["keep me"]
    assert count(todo.url, "task_tags") == 0


def test_undo_of_a_chat_log_delete_restores_the_conversation_and_its_messages(
    todo: Todo,
) -> None:
    ok(todo, "chat-log", "new", "-t", "planning")
    ok(todo, "chat-log", "append", "1", "-r", "user", "What is due?")
    ok(todo, "chat-log", "append", "1", "-r", "assistant", "Nothing.")
    before = ok(todo, "chat-log", "export", "1").json()
    ok(todo, "chat-log", "delete", "1", "--yes")
    assert count(todo.url, "messages") == 0
    ok(todo, "undo")
    assert ok(todo, "chat-log", "export", "1").json() == before
    assert count(todo.url, "messages") == 2


def test_undo_of_an_add_removes_the_task_and_its_number_stays_unused(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "add", "Typo", "+home")
    ok(todo, "undo")
    assert numbers(todo) == [1]
    assert count(todo.url, "task_tags") == 0
    assert ok(todo, "add", "Call the bank", "--json").json()["number"] == 3


def test_undo_of_a_bulk_add_of_a_thousand_removes_all_of_them(todo: Todo) -> None:
    ok(todo, "add", "keep me")
    ok(todo, "add", input=bulk(1000, " +bulk"))
    result = ok(todo, "undo")
    assert "removed 1,000 tasks, 1,000 task tags" in result.stderr
    assert numbers(todo) == [1]
    assert count(todo.url, "task_tags") == 0


def test_undo_of_completing_a_recurring_task_removes_its_successor_and_reopens_it(
    todo: Todo,
) -> None:
    ok(todo, "add", "Water the plants", "recur:weekly", "due:2030-01-06")
    before = tasks(todo)
    completed = ok(todo, "done", "1", "--json").json()
    assert len(completed[0]["created"]) == 1
    ok(todo, "undo")
    assert tasks(todo) == before
    assert ok(todo, "add", "next", "--json").json()["number"] == 3


def test_undo_of_an_edit_restores_title_priority_and_tags(todo: Todo) -> None:
    ok(todo, "add", "Buy milk", "+home", "pri:L")
    before = tasks(todo)
    ok(todo, "edit", "1", "Buy", "oat", "milk", "pri:H", "-home", "+shop", "due:2030-01-01")
    ok(todo, "undo")
    assert tasks(todo) == before
    assert (before[0]["title"], before[0]["priority"], before[0]["tags"]) == (
        "Buy milk",
        "L",
        ["home"],
    )


def test_an_undo_is_a_change_so_an_export_from_before_it_does_not_bring_the_edit_back(
    todo: Todo, tmp_path: Path
) -> None:
    # SPEC: updated_at moves on every change. Set back to the time of the add, the
    # undone task read as older than an export taken after the edit, and importing
    # that export brought back the title the undo had taken away.
    ok(todo, "add", "Buy milk")
    added = task(todo, 1)["updated_at"]
    time.sleep(0.01)
    ok(todo, "edit", "1", "Buy", "oat", "milk")
    edited = task(todo, 1)["updated_at"]
    ok(todo, "export", "-o", str(tmp_path / "after-the-edit.json"))
    ok(todo, "undo")
    undone = task(todo, 1)
    assert undone["title"] == "Buy milk"
    assert undone["updated_at"] > edited > added
    imported = ok(todo, "import", str(tmp_path / "after-the-edit.json"), "--json").json()
    assert (imported["updated"], imported["unchanged"]) == (0, 1)
    assert task(todo, 1)["title"] == "Buy milk"
    # A deleted task comes back as it was, its time included.
    ok(todo, "delete", "1", "--yes")
    ok(todo, "undo")
    assert task(todo, 1)["updated_at"] == undone["updated_at"]


def test_an_undo_with_the_clock_behind_the_tasks_creation_still_works(
    todo: Todo, tmp_path: Path
) -> None:
    # A task made "tomorrow" (a clock that was ahead, or one set back since):
    # an undo's time must not put updated_at before created_at, which the
    # database refuses (it was "CHECK constraint failed", exit 2).
    from datetime import timedelta

    ahead = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    backup = tmp_path / "ahead.json"
    backup.write_text(
        '[{"id": "0b6b9b0e-7f3c-4c5e-9a59-2b1e7f0f6a11", "number": 1, "title": "from ahead", '
        f'"completed": false, "created_at": "{ahead}", "updated_at": "{ahead}"}}]'
    )
    ok(todo, "import", str(backup))
    ok(todo, "edit", "1", "+later")
    result = ok(todo, "undo")
    assert "set back 1 task" in result.stderr
    undone = task(todo, 1)
    assert (undone["tags"], undone["created_at"]) == ([], ahead)
    assert undone["updated_at"] >= undone["created_at"]


def test_undo_of_a_completion_reopens_the_task(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    before = tasks(todo)
    ok(todo, "done", "1")
    ok(todo, "undo")
    assert tasks(todo) == before


def test_undo_of_a_note_removes_it(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    before = tasks(todo)
    ok(todo, "note", "1", "semi-skimmed")
    ok(todo, "undo")
    assert tasks(todo) == before
    assert count(todo.url, "task_notes") == 0


def test_undo_of_a_chat_log_import_removes_what_it_added(todo: Todo) -> None:
    ok(todo, "chat-log", "new", "-t", "planning")
    ok(todo, "chat-log", "import", "-", input=TRANSCRIPT)
    ok(todo, "undo")
    assert [c["number"] for c in ok(todo, "chat-log", "list", "--json").json()] == [1]
    assert count(todo.url, "messages") == 0
    assert count(todo.url, "conversations") == 1


def test_undo_of_a_chat_log_append_removes_the_message(todo: Todo) -> None:
    ok(todo, "chat-log", "new", "-t", "planning")
    before = ok(todo, "chat-log", "export", "1").json()
    ok(todo, "chat-log", "append", "1", "-r", "user", "hello")
    ok(todo, "undo")
    assert ok(todo, "chat-log", "export", "1").json() == before


def test_undo_again_reverts_the_operation_before(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "add", "Call the bank")
    ok(todo, "done", "1")
    ok(todo, "undo")
    assert [t["completed"] for t in tasks(todo)] == [False, False]
    ok(todo, "undo")
    assert numbers(todo) == [1]
    ok(todo, "undo")
    assert numbers(todo) == []
    result = todo("undo")
    assert result.exit_code == 1
    assert "nothing to undo" in result.stderr


def test_undo_never_undoes_an_undo(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "undo")
    result = todo("undo")
    assert result.exit_code == 1
    assert numbers(todo) == []


def test_an_undone_edit_then_the_add_before_it_undo_cleanly(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H")
    ok(todo, "undo")
    assert task(todo, 1)["priority"] is None
    ok(todo, "undo")
    assert numbers(todo) == []


def test_undo_is_recorded_and_history_marks_what_it_undid(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "add", "Call the bank")
    ok(todo, "undo")
    found = history(todo)
    assert [(op["number"], op["command"], op["undone"]) for op in found] == [
        (3, "todo undo", False),
        (2, "todo add 'Call the bank'", True),
        (1, "todo add 'Buy milk'", False),
    ]
    assert found[0]["undoes"] == found[1]["id"]
    assert found[0]["summary"].startswith("undid")
    lines = ok(todo, "history").stdout.splitlines()
    assert "todo undo" in lines[1]
    assert "(undone)" in lines[2]
    assert "(undone)" not in lines[3]


def test_history_says_which_operation_an_undo_undid_in_the_words_undo_used(todo: Todo) -> None:
    ok(todo, "add", "Buy milk", "+home", "+errand")
    ok(todo, "note", "1", "from the corner shop")
    ok(todo, "delete", "1", "--yes")
    said = ok(todo, "undo").stderr
    assert "restored 1 task, 2 task tags, 1 task note" in said
    ok(todo, "edit", "1", "pri:H")
    ok(todo, "undo")
    found = history(todo)
    assert [(op["number"], op["summary"]) for op in found if op["undoes"]] == [
        (6, "undid #5: set back 1 task"),
        (4, "undid #3: restored 1 task, 2 task tags, 1 task note"),
    ]
    lines = ok(todo, "history").stdout.splitlines()
    assert lines[1].endswith("undid #5: set back 1 task")
    ok(todo, "add", "a", "+x")
    ok(todo, "undo")
    assert history(todo, "--limit", "1")[0]["summary"] == "undid #7: removed 1 task, 1 task tag"


def test_a_dependency_is_one_dependency_and_two_are_dependencies(todo: Todo) -> None:
    ok(todo, "add", "A")
    ok(todo, "add", "B", "dep:1")
    assert "removed 1 task, 1 task dependency" in ok(todo, "undo").stderr
    ok(todo, "add", "C")
    ok(todo, "add", "D", "dep:1,3")
    said = ok(todo, "undo").stderr
    assert "removed 1 task, 2 task dependencies" in said
    assert history(todo, "--limit", "1")[0]["summary"].endswith("2 task dependencies")


def test_history_says_reopened_once_when_reopening_also_left_the_series(todo: Todo) -> None:
    ok(todo, "add", "R", "due:mon", "recur:weekly")
    ok(todo, "done", "1")
    ok(todo, "done", "2")
    ok(todo, "reopen", "1")
    assert history(todo, "--limit", "1")[0]["summary"] == "reopened #1"


def _daily_done(todo: Todo, count: int) -> None:
    """#1..#count, daily tasks tagged +r, completed in one command: each has its
    successor, #count+1 on."""
    for n in range(1, count + 1):
        ok(todo, "add", f"W{n}", "+r", "due:tomorrow", "recur:daily")
    ok(todo, "done", "+r")


def test_history_of_a_reopen_that_takes_back_five_successors_names_the_reopened(
    todo: Todo,
) -> None:
    # The five deletes of the successors crowded the updates out of the rows history
    # reads: it said "edited  and 5 more; deleted 5 tasks".
    _daily_done(todo, 5)
    ok(todo, "reopen", "+r")
    assert history(todo, "--limit", "1")[0]["summary"] == (
        "reopened #1 #2 #3 #4 #5; deleted 5 tasks"
    )


def test_history_of_a_reopen_whose_tasks_left_their_series_counts_each_task_once(
    todo: Todo,
) -> None:
    # Each task leaving its series was two changes of its row: "edited #1 #2 #3 and 1
    # more" for three tasks, "and 9 more" for seven.
    _daily_done(todo, 7)
    ok(todo, "edit", "8-14", "pri:H")
    ok(todo, "reopen", "1-7")
    (latest,) = history(todo, "--limit", "1")
    assert latest["summary"] == "reopened #1 #2 #3 #4 #5 and 2 more"
    assert latest["changes"] == [{"table": "tasks", "action": "update", "rows": 7}]


def test_undo_says_what_it_undid(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    result = ok(todo, "undo")
    assert result.stdout == ""
    assert "undid #1 (todo add 'Buy milk'): removed 1 task" in result.stderr


def test_undo_json(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H", "+home")
    found = ok(todo, "undo", "--json").json()
    assert set(found) == {"dry_run", "undone", "removed", "set_back", "restored"}
    assert set(found["undone"]) == OPERATION_KEYS
    assert found["dry_run"] is False
    assert (found["undone"]["number"], found["undone"]["command"]) == (2, "todo edit 1 pri:H +home")
    assert found["undone"]["undone"] is True  # as the operation now stands
    assert ok(todo, "undo", "--dry-run", "--json").json()["undone"]["undone"] is False
    assert found["removed"] == {"task_tags": 1}
    assert found["set_back"] == {"tasks": 1}
    assert found["restored"] == {}


def test_undo_dry_run_says_what_would_change_and_changes_nothing(todo: Todo) -> None:
    ok(todo, "add", "Buy milk", "+home")
    ok(todo, "note", "1", "semi-skimmed")
    ok(todo, "delete", "1", "--yes")
    before = (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal"))
    result = ok(todo, "undo", "--dry-run")
    assert "would undo #3 (todo delete 1 --yes)" in result.stderr
    assert "restored 1 task, 1 task tag, 1 task note" in result.stderr
    assert (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal")) == before
    assert history(todo)[0]["undone"] is False


def test_undo_dry_run_json(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    found = ok(todo, "undo", "--dry-run", "--json").json()
    assert found["dry_run"] is True
    assert found["removed"] == {"tasks": 1}
    assert numbers(todo) == [1]


def test_undo_with_nothing_to_undo_is_exit_1(todo: Todo) -> None:
    result = todo("undo")
    assert result.exit_code == 1
    assert "nothing to undo" in result.stderr


def test_undo_in_a_real_process_exits_1_with_nothing_to_undo(todo: Todo) -> None:
    proc = todo.process("undo")
    assert proc.returncode == 1
    assert b"nothing to undo" in proc.stderr
    assert proc.stdout == b""


@contextmanager
def sqlite_steps() -> Iterator[list[int]]:
    """Count SQLite virtual machine steps (in thousands) of every connection opened meanwhile.

    A count of work, not of seconds: the same on a busy machine as on an idle one.
    """
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    def connected(dbapi_connection: Any, _: Any) -> None:
        if hasattr(dbapi_connection, "set_progress_handler"):
            dbapi_connection.set_progress_handler(tick, 1000)

    event.listen(Pool, "connect", connected)
    try:
        yield steps
    finally:
        event.remove(Pool, "connect", connected)


def test_undo_of_a_bulk_add_on_sqlite_does_work_in_proportion_to_its_rows(
    todo: Todo, backend: str
) -> None:
    if backend != "sqlite":
        not_applicable("counts SQLite's virtual machine steps")
    work = {}
    for n in (250, 2000):
        ok(todo, "add", input=bulk(n))
        with sqlite_steps() as steps:
            ok(todo, "undo")
        work[n] = steps[0]
    assert numbers(todo) == []
    # Eight times the rows: about eight times the work (quadratic would be 64).
    assert work[2000] <= 16 * work[250], work


# --- users ----------------------------------------------------------------------------


def test_another_users_undo_has_nothing_to_undo_and_changes_nothing(todo: Todo) -> None:
    seed(todo)
    before = (tasks(todo), history(todo), count(todo.url, "operations"))
    result = todo.as_user("bob")("undo")
    assert result.exit_code == 1
    assert "nothing to undo" in result.stderr
    assert (tasks(todo), history(todo), count(todo.url, "operations")) == before


@pytest.mark.parametrize("kind", ["task", "conversation"])
def test_undo_blocked_by_another_users_import_names_nothing_of_theirs(
    todo: Todo, tmp_path: Path, kind: str, backend: str
) -> None:
    """Alice deletes, bob imports her export (the ids were free): her undo cannot bring
    the row back under its id. Refused, without bob's command, file or numbers, and
    without "undo the later operation first", which is not hers to do."""
    bob = todo.as_user("bob")
    path = tmp_path / "alice.json"
    if kind == "task":
        ok(todo, "add", "Secret task")
        ok(todo, "export", "--all", "-o", str(path))
        ok(todo, "delete", "1", "--yes")
        ok(bob, "import", str(path))
    else:
        ok(todo, "chat-log", "new", "--title", "Secret chat")
        ok(todo, "chat-log", "append", "1", "--role", "user", "hello")
        path.write_text(ok(todo, "chat-log", "export", "1").stdout, encoding="utf-8")
        ok(todo, "chat-log", "delete", "1", "--yes")
        ok(bob, "chat-log", "import", str(path))
    before = (count(todo.url, "operations"), count(todo.url, "journal"))
    result = todo("undo")
    assert result.exit_code == 1, result.stderr
    # Her own row is named, as she knew it (under row security no check sees bob's row:
    # the primary key refuses, and the rows of its table her undo brings back are
    # named, of which one is his: the conversation, restored before its messages).
    named = {"task": ": task #1", "conversation": ": conversation #1, a message"}[kind]
    if backend == RLS and kind == "conversation":
        named = ": conversation #1"
    assert (
        f"a row it would bring back has an id that another user's row holds now{named} "
        "(it cannot come back"
    ) in result.stderr
    assert "bob" not in result.stderr
    assert str(path) not in result.stderr
    assert "undo the later operation first" not in result.stderr
    assert (count(todo.url, "operations"), count(todo.url, "journal")) == before


def test_undo_reverts_the_users_own_latest_operation_not_someone_elses(todo: Todo) -> None:
    ok(todo, "add", "alice's")
    bob = todo.as_user("bob")
    ok(bob, "add", "bob's")
    ok(todo, "undo")
    assert numbers(todo) == []
    assert [t["title"] for t in tasks(bob)] == ["bob's"]
    assert history(bob)[0]["undone"] is False


# --- undo: refusing when a row has changed since -------------------------------------------


def test_undo_names_the_task_another_process_deleted_since(todo: Todo, backend: str) -> None:
    # A row gone has no image now: the refusal said "a row of tasks".
    ok(todo, "add", "Buy milk", "+errand")
    ok(todo, "note", "1", "a note")
    execute(todo.url, "DELETE FROM tasks")
    result = todo("undo")
    assert result.exit_code == 1
    if backend == RLS:
        # The admin's delete: no member sees another's journal, so it is not named.
        assert "(by another process)" in result.stderr
        return
    assert result.stderr.startswith(
        "error: cannot undo #2 (todo note 1 'a note'): task #1 (outside todo"
    ), result.stderr
    assert "a row of tasks" not in result.stderr


def test_undo_refuses_when_another_process_changed_the_row_since(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H")
    execute(todo.url, "UPDATE tasks SET title = 'Buy bread'")
    before = (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal"))
    result = todo("undo")
    assert result.exit_code == 1
    assert "cannot undo #2 (todo edit 1 pri:H)" in result.stderr
    assert "task #1" in result.stderr
    assert "outside todo" in result.stderr or "another process" in result.stderr
    assert "outside todo: outside todo" not in result.stderr
    # Not "undo the later operation first": that change is no operation of theirs.
    assert "later operation" not in result.stderr
    assert "a change made outside todo is not undone by todo" in result.stderr
    assert (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal")) == before
    assert history(todo)[0]["undone"] is False


def without_attributes(todo: Todo, backend: str) -> None:
    """Make every journal image of the database as a todo of schema 0005 wrote it: with
    no `attributes`, the column 0006 added to tasks (NULL in each row the upgrade kept)."""
    drop = "json_remove({0}, '$.attributes')" if backend == "sqlite" else "{0} - 'attributes'"
    execute(
        todo.url,
        f"UPDATE journal SET before = {drop.format('before')}, after = {drop.format('after')}",
    )
    images = sql_rows(todo.url, "SELECT before, after FROM journal WHERE table_name = 'tasks'")
    assert images
    assert not any("attributes" in str(image) for row in images for image in row)


def test_undo_reaches_past_an_upgrade_whose_images_lack_a_column(todo: Todo, backend: str) -> None:
    # A SQLite file written by a todo of schema 0005 and upgraded by an ordinary
    # command refused every undo, "changed since (by another process)": SQLite
    # compared each image whole, and the old ones lack the columns added since.
    ok(todo, "add", "Buy milk", "+shop", "pri:H")
    ok(todo, "add", "Call mom")
    ok(todo, "edit", "1", "Buy oat milk")
    ok(todo, "done", "2")
    ok(todo, "note", "1", "two litres")
    ok(todo, "delete", "2", "--yes")
    without_attributes(todo, backend)
    for number in range(6, 0, -1):
        result = todo("undo")
        assert (result.exit_code, result.stderr.split(" (")[0]) == (0, f"undid #{number}")
    assert tasks(todo) == []


def test_a_column_an_old_image_lacks_still_clashes_when_changed_outside_todo(
    todo: Todo, backend: str
) -> None:
    # Read as NULL, what the upgrade put there: a value there since is a change.
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H")
    without_attributes(todo, backend)
    execute(todo.url, """UPDATE tasks SET attributes = '{"x": "1"}'""")
    before = (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal"))
    result = todo("undo")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot undo #2 (todo edit 1 pri:H): task #1 ("), (
        result.stderr
    )
    assert (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal")) == before


def test_a_change_outside_todo_after_an_undo_is_named_not_the_undo(
    todo: Todo, backend: str
) -> None:
    # The refusal named the undo ("by #3: todo undo") and said "undo the later
    # operation first", which undo never does: the user was stuck.
    ok(todo, "add", "Milk")
    ok(todo, "edit", "1", "pri:L")
    ok(todo, "undo")
    execute(todo.url, "UPDATE tasks SET title = 'Buy oat milk'")
    before = (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal"))
    result = todo("undo")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot undo #1 (todo add Milk): task #1 ("), (
        result.stderr
    )
    assert "todo undo" not in result.stderr
    assert "later operation" not in result.stderr
    assert "a change made outside todo is not undone by todo" in result.stderr
    assert ("(by another process)" if backend == RLS else "(outside todo") in result.stderr
    assert (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal")) == before


def test_a_task_deleted_outside_todo_is_found_by_its_history(
    todo: Todo, backend: str, request: pytest.FixtureRequest
) -> None:
    """`todo history 1` shows a task deleted or not; deleted with psql or sqlite3, the
    journal holds it under no user, and it is found as the user's own row."""
    if backend == "postgresql-rls":
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="outside changes are hidden by row security")
        )
    ok(todo, "add", "Buy milk")
    bob = todo.as_user("bob")
    ok(bob, "add", "Bob's errand")
    # Alice's #1, then bob's #1 (the latest delete of a #1 is bob's).
    execute(todo.url, "DELETE FROM tasks WHERE title = 'Buy milk'")
    execute(todo.url, "DELETE FROM tasks WHERE title = 'Bob''s errand'")
    shown = ok(todo, "history", "1").stdout.splitlines()
    assert shown[0].startswith("#1  ")
    assert shown[0].endswith("todo add 'Buy milk'")
    assert shown[-2].startswith("#-  ")
    assert "outside todo" in shown[-2]
    assert shown[-1] == "    deleted"
    theirs = ok(bob, "history", "1").stdout.splitlines()
    assert theirs[0].endswith('todo add "Bob\'s errand"')
    assert todo.as_user("carol")("history", "1").exit_code == 1


def test_a_tasks_history_shows_no_outside_change_made_while_another_user_held_its_id(
    todo: Todo, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Alice deletes a task, bob imports it (same id); a change made to bob's task
    outside todo, tags too, is bob's story: alice's `history ID` stops at her delete."""
    if backend == "postgresql-rls":
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="outside changes are hidden by row security")
        )
    ok(todo, "add", "Old draft")
    task_id = ok(todo, "list", "--json").json()[0]["id"]
    ok(todo, "export", "1", "-o", str(tmp_path / "one.json"))
    ok(todo, "delete", "1", "--yes")
    bob = todo.as_user("bob")
    ok(bob, "import", str(tmp_path / "one.json"))
    ok(bob, "edit", "1", "Bob: salary talk", "+hr")
    execute(todo.url, "UPDATE tasks SET title = 'Bob: resign on Friday'")
    execute(todo.url, "DELETE FROM task_tags")
    mine = ok(todo, "history", task_id).stdout
    assert "Bob" not in mine
    assert "hr" not in mine
    assert "outside todo" not in mine
    assert mine.splitlines()[-1] == "    deleted"
    theirs = ok(bob, "history", task_id).stdout
    assert "    title: Bob: salary talk -> Bob: resign on Friday" in theirs
    assert theirs.splitlines()[-1] == "    -hr"


def test_an_outside_change_to_a_task_whose_history_was_pruned_is_in_its_history(
    todo: Todo, backend: str, request: pytest.FixtureRequest
) -> None:
    # With no recorded row of the task left to say whose it was, every outside
    # change was taken for another user's and left out: "no recorded changes".
    if backend == "postgresql-rls":
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="outside changes are hidden by row security")
        )
    ok(todo, "add", "Old task")
    ok(todo, "history", "--prune-before", "2999-01-01", "--yes")
    execute(todo.url, "INSERT INTO task_tags SELECT id, 'hacked' FROM tasks")
    shown = ok(todo, "history", "1").stdout.splitlines()
    assert shown[-1] == "    +hacked"


def test_undo_refusal_names_no_number_for_a_write_outside_todo(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H")
    execute(todo.url, "UPDATE tasks SET title = 'Buy bread'")
    result = todo("undo")
    assert result.exit_code == 1
    assert "#None" not in result.stderr


def test_the_change_outside_todo_that_stops_an_undo_is_in_the_tasks_history(
    todo: Todo,
) -> None:
    """The refusal points to `todo history 1`: the change it names must be there."""
    ok(todo, "add", "Buy milk", "+home")
    ok(todo, "edit", "1", "pri:H")
    execute(todo.url, "UPDATE tasks SET title = 'Buy bread'")
    execute(todo.url, "DELETE FROM task_tags")
    refused = todo("undo")
    assert refused.exit_code == 1
    # The task's own number, not a placeholder to fill in.
    assert "(what happened to the row is in `todo history 1`)" in refused.stderr
    shown = ok(todo, "history", "1").stdout.splitlines()
    assert shown[-1] == "    -home"
    assert "    title: Buy milk -> Buy bread" in shown
    outside_heads = [line for line in shown if line.startswith("#-  ")]
    assert outside_heads, shown
    assert all("outside todo" in line for line in outside_heads)
    changes = ok(todo, "history", "1", "--json").json()
    outside = [change for change in changes if change["number"] is None]
    assert [(c["table"], c["action"], c["changes"]) for c in outside] == [
        ("tasks", "update", ["title: Buy milk -> Buy bread"]),
        ("task_tags", "delete", ["-home"]),
    ]
    assert [c["number"] for c in changes if c["number"] is not None] == [1, 1, 2]
    # Another user's task history shows none of it.
    bob = todo.as_user("bob")
    ok(bob, "add", "bob's")
    assert [c["number"] for c in ok(bob, "history", "1", "--json").json()] == [1]


# A tag deleted outside todo from one of two tasks: the refusal said `todo history
# NUMBER`, naming neither. The tag's task is named by the number it holds (the row holds
# none: it is looked up).
def test_a_refusal_over_a_tag_changed_outside_todo_names_the_tags_task(
    todo: Todo, backend: str
) -> None:
    ok(todo, "add", "a")
    ok(todo, "add", "b")
    ok(todo, "edit", "1", "2", "+y")
    execute(
        todo.url,
        "DELETE FROM task_tags WHERE tag = 'y' "
        "AND task_id = (SELECT id FROM tasks WHERE number = 2)",
    )
    refused = todo("undo")
    assert refused.exit_code == 1
    second = ok(todo, "show", "2", "--json").json()["id"]
    assert ") deleted since (" in refused.stderr
    assert "(what happened to the row is in `todo history 2`)" in refused.stderr
    if backend != RLS:  # (row security hides a change made outside todo from history)
        assert ok(todo, "history", second).stdout.splitlines()[-1] == "    -y"


@pytest.mark.parametrize(
    ("steps", "outside", "said"),
    [
        (
            [["add", "A"], ["note", "1", "hello"]],
            "DELETE FROM task_notes",
            "cannot undo #2 (todo note 1 hello): a note (",
        ),
        (
            [["add", "A"], ["edit", "1", "pri:H"]],
            "DELETE FROM tasks",
            "cannot undo #2 (todo edit 1 pri:H): task #1 (",
        ),
    ],
    ids=["note", "task"],
)
def test_an_undo_refused_over_a_row_deleted_outside_todo_says_deleted(
    todo: Todo, backend: str, steps: list[list[str]], outside: str, said: str
) -> None:
    # It said "changed since" of a row deleted since, and named a note's task by its id.
    for step in steps:
        ok(todo, *step)
    execute(todo.url, outside)
    refused = todo("undo")
    assert refused.exit_code == 1
    assert ") deleted since (" in refused.stderr
    assert "changed since" not in refused.stderr
    if backend != RLS:  # (row security hides the row's story from the member: unnamed)
        assert refused.stderr.startswith(f"error: {said}"), refused.stderr
        assert "(what happened to the row is in `todo history 1`)" in refused.stderr


def test_undo_refuses_when_a_task_it_added_was_deleted_outside_todo(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "add", "Call the bank")
    execute(todo.url, "DELETE FROM tasks WHERE title = 'Call the bank'")
    result = todo("undo")
    assert result.exit_code == 1
    assert "cannot undo #2" in result.stderr
    assert numbers(todo) == [1]


def test_undo_refuses_when_a_tag_it_removed_was_put_back_outside_todo(todo: Todo) -> None:
    ok(todo, "add", "Buy milk", "+home")
    ok(todo, "edit", "1", "-home")
    execute(todo.url, "INSERT INTO task_tags (task_id, tag) SELECT id, 'home' FROM tasks")
    before = count(todo.url, "journal")
    result = todo("undo")
    assert result.exit_code == 1
    assert "tag +home (" in result.stderr
    assert count(todo.url, "journal") == before


def test_undo_refuses_to_reach_past_an_outside_change_that_a_later_undo_left_in_place(
    todo: Todo,
) -> None:
    """A (edit), X (outside todo), B (edit), undo of B: the row is as X left it, not as A did.

    Through todo alone a user cannot make this happen: every later operation of
    theirs is either undone (which puts back exactly what the one before left)
    or is itself the latest undoable. Only a write outside todo between two of
    their operations can leave a row that undo of the older one would overwrite.
    """
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H")  # A
    execute(todo.url, "UPDATE tasks SET title = 'Buy bread'")  # X
    ok(todo, "edit", "1", "pri:L")  # B
    ok(todo, "undo")  # reverts B: priority H, title as X left it
    assert (task(todo, 1)["title"], task(todo, 1)["priority"]) == ("Buy bread", "H")
    result = todo("undo")
    assert result.exit_code == 1
    assert "cannot undo #2 (todo edit 1 pri:H)" in result.stderr
    assert "task #1" in result.stderr
    assert (task(todo, 1)["title"], task(todo, 1)["priority"]) == ("Buy bread", "H")


def _new_id(url: str) -> str:
    """SQL for a fresh row id, as each backend stores one."""
    return "lower(hex(randomblob(16)))" if url.startswith("sqlite") else "gen_random_uuid()"


def test_undo_of_an_add_refuses_to_delete_a_note_and_tag_added_to_it_outside_todo(
    todo: Todo,
) -> None:
    """Undoing the add deletes the task, and with it (the cascade) every note and tag it
    holds: one added since outside todo is no row the add touched, and would go unsaid."""
    ok(todo, "add", "Renew passport", "+home")
    execute(
        todo.url,
        f"INSERT INTO task_notes (id, task_id, created_at, text) SELECT {_new_id(todo.url)}, "
        "id, created_at, 'appointment is on the 12th' FROM tasks",
        "INSERT INTO task_tags (task_id, tag) SELECT id, 'errand' FROM tasks",
    )
    before = (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal"))
    for args in (("undo", "--dry-run"), ("undo",)):
        result = todo(*args)
        assert result.exit_code == 1, result.stderr
        line = result.stderr.splitlines()[0]
        # Who wrote them: SQLite knows no statement, PostgreSQL names it; under row
        # security a member is not shown the change's operation at all.
        assert re.fullmatch(
            r"error: cannot undo #1 \(todo add 'Renew passport' \+home\): "
            r"tag \+errand \((outside todo.*|by another process)\); "
            r"a note \((outside todo.*|by another process)\) added since to what it added "
            r"\(a change made outside todo is not undone by todo, .*; nothing was changed\)",
            line,
        ), line
    assert (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal")) == before
    assert [t["notes"][0]["text"] for t in tasks(todo)] == ["appointment is on the 12th"]


def test_undo_of_a_chat_log_refuses_to_delete_a_message_added_to_it_outside_todo(
    todo: Todo,
) -> None:
    ok(todo, "chat-log", "new", "-t", "planning")
    execute(
        todo.url,
        "INSERT INTO messages (id, conversation_id, seq, role, content, created_at) "
        f"SELECT {_new_id(todo.url)}, id, 1, 'user', 'typed in by hand', created_at "
        "FROM conversations",
    )
    result = todo("undo")
    assert result.exit_code == 1, result.stderr
    assert re.search(
        r"\): a message \((outside todo.*|by another process)\) added since to what it added",
        result.stderr,
    ), result.stderr
    assert count(todo.url, "messages") == 1
    assert count(todo.url, "conversations") == 1


def test_undo_of_a_delete_refuses_when_the_tasks_number_was_taken_outside_todo(
    todo: Todo,
) -> None:
    """Not the database's words (a unique constraint, exit 2) after a dry run that said
    it would work: both refuse, exit 1, naming the task that holds the number now."""
    ok(todo, "add", "Keep")
    ok(todo, "add", "Gone")
    ok(todo, "delete", "2", "--yes")
    execute(
        todo.url,
        "INSERT INTO tasks (id, user_id, number, title, created_at, updated_at) "
        f"SELECT {_new_id(todo.url)}, user_id, 2, 'Added by hand', created_at, updated_at "
        "FROM tasks",
    )
    before = (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal"))
    for args in (("undo", "--dry-run"), ("undo",)):
        result = todo(*args)
        assert result.exit_code == 1, result.stderr
        assert re.match(
            r"error: cannot undo #3 \(todo delete 2 --yes\): #2 by 'Added by hand' "
            r"\((outside todo.*|by another process)\) taken since: the number of a task it "
            r"would bring back \(",
            result.stderr,
        ), result.stderr
    assert (tasks(todo), count(todo.url, "operations"), count(todo.url, "journal")) == before


def test_undo_of_an_add_is_not_blocked_by_the_notes_and_tags_it_made_itself(
    todo: Todo,
) -> None:
    ok(todo, "add", "Renew passport", "+home", "+errand")
    ok(todo, "note", "1", "appointment is on the 12th")
    ok(todo, "undo")  # the note
    ok(todo, "undo")  # the add, its tags with it
    assert tasks(todo) == []
    assert count(todo.url, "task_tags") == 0


def test_undo_is_not_blocked_by_changes_to_rows_it_did_not_touch(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "add", "Call the bank")
    execute(todo.url, "UPDATE tasks SET title = 'Buy bread' WHERE number = 1")
    ok(todo, "undo")
    assert [t["title"] for t in tasks(todo)] == ["Buy bread"]


# --- prune ------------------------------------------------------------------------------


def test_prune_without_yes_and_without_a_terminal_refuses_with_exit_2(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    age(todo.url, "alice", [1], datetime(2020, 1, 1, tzinfo=UTC))
    result = todo("history", "--prune-before", "2021-01-01")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert count(todo.url, "operations") == 1
    proc = todo.process("history", "--prune-before", "2021-01-01", input=b"y\n")
    assert proc.returncode == 2
    assert count(todo.url, "operations") == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--limit", "1"],
            "error: --prune-before takes no --limit: it deletes every operation before DATE "
            "(leave --limit out; nothing was deleted)\n",
        ),
        (["1"], "error: --prune-before takes no task (leave REF out)\n"),
    ],
    ids=["limit", "task"],
)
def test_prune_refuses_what_it_cannot_honour_and_deletes_nothing(
    todo: Todo, extra: list[str], message: str
) -> None:
    # `--limit 1` read as a cap on what is deleted; it was dropped and all three went.
    for title in ("A", "B", "C"):
        ok(todo, "add", title)
    result = todo("history", "--prune-before", "2999-01-01", "--yes", *extra)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)
    assert count(todo.url, "operations") == 3


def test_prune_refuses_when_operations_changed_while_its_question_waited(todo: Todo) -> None:
    # "delete 2 operations?" answered yes deleted 4: another shell's add and done,
    # made while the question waited, went too (`--prune-before tomorrow`).
    from datetime import timedelta

    from todo_cli.errors import Conflict
    from todo_cli.services import history
    from todo_cli.settings import resolve

    ok(todo, "add", "first")
    ok(todo, "add", "second")
    env = {**todo.env, "TODO_CONFIG": os.devnull}
    settings = resolve(db=env["TODO_DATABASE_URL"], user=todo.user, environ=env)
    asked: list[int] = []

    def meanwhile(shown: int) -> bool:
        asked.append(shown)
        ok(todo, "add", "made in another shell")
        return True

    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(Conflict) as refused:
        history.prune(settings, tomorrow, confirm=meanwhile)
    assert asked == [2]
    assert refused.value.message == (
        "operations changed while the prune waited for its answer: it would now delete "
        "3 operations, not 2"
    )
    assert refused.value.hint == "nothing was pruned; run it again"
    assert count(todo.url, "operations") == 3
    # Asked again, the answer covers what it was shown.
    assert history.prune(settings, tomorrow, confirm=lambda shown: shown == 3) == 3


def test_prune_with_nothing_before_the_date_asks_nothing_and_says_so(todo: Todo) -> None:
    # No terminal, no --yes: there is nothing to confirm, so no refusal either.
    ok(todo, "add", "Buy milk")
    result = todo("history", "--prune-before", "2021-01-01")
    assert (result.exit_code, result.stderr) == (0, "pruned 0 operations\n")
    found = ok(todo, "history", "--prune-before", "2021-01-01", "--json").json()
    assert found == {"pruned": 0}
    assert count(todo.url, "operations") == 1


# A user with nothing to prune got a users row from it: pruning nothing writes nothing.
def test_prune_by_a_user_with_nothing_writes_nothing(todo: Todo, backend: str) -> None:
    if backend == "postgresql-rls":
        not_applicable("a member is its login role: --user names no other user there")
    ok(todo, "add", "Buy milk")
    users = count(todo.url, "users")
    result = todo("--user", "ghost", "history", "--prune-before", "now", "--yes")
    assert (result.exit_code, result.stderr) == (0, "pruned 0 operations\n")
    assert count(todo.url, "users") == users
    assert count(todo.url, "operations") == 1


def test_prune_with_yes_deletes_only_operations_before_the_date(todo: Todo) -> None:
    for title in ("one", "two", "three"):
        ok(todo, "add", title)
    age(todo.url, "alice", [1, 2], datetime(2020, 1, 1, tzinfo=UTC))
    result = ok(todo, "history", "--prune-before", "2021-01-01", "--yes")
    assert "pruned 2 operations" in result.stderr
    assert [op["number"] for op in history(todo)] == [3]
    assert count(todo.url, "journal") == 1
    assert numbers(todo) == [1, 2, 3]


def test_prune_json_says_how_many(todo: Todo) -> None:
    ok(todo, "add", "one")
    age(todo.url, "alice", [1], datetime(2020, 1, 1, tzinfo=UTC))
    found = ok(todo, "history", "--prune-before", "2021-01-01", "--yes", "--json").json()
    assert found == {"pruned": 1}


def test_prune_says_as_many_operations_as_history_listed(todo: Todo) -> None:
    ok(todo, "add", "one")
    ok(todo, "done", "1")
    ok(todo, "done", "1")  # already done: changed nothing, so history leaves it out
    listed = len(history(todo))
    age(todo.url, "alice", [1, 2, 3], datetime(2020, 1, 1, tzinfo=UTC))
    found = ok(todo, "history", "--prune-before", "2021-01-01", "--yes", "--json").json()
    assert found == {"pruned": listed}


def test_prune_leaves_other_users_operations_alone(todo: Todo) -> None:
    ok(todo, "add", "alice's")
    bob = todo.as_user("bob")
    ok(bob, "add", "bob's")
    age(todo.url, "alice", [1], datetime(2020, 1, 1, tzinfo=UTC))
    age(todo.url, "bob", [1], datetime(2020, 1, 1, tzinfo=UTC))
    ok(todo, "history", "--prune-before", "2021-01-01", "--yes")
    assert history(todo) == []
    assert [op["command"] for op in history(bob)] == ['todo add "bob\'s"']


def test_nothing_but_prune_deletes_an_operation(todo: Todo) -> None:
    seed(todo)
    ok(todo, "add", "Pay rent", "+bills")
    ok(todo, "edit", "3", "-bills")
    seen = {op.id for op in operations(todo.url)}
    ok(todo, "delete", "1", "2", "3", "--yes")
    ok(todo, "chat-log", "delete", "1", "--yes")
    ok(todo, "undo")
    ok(todo, "undo")
    ok(todo, "undo", "--dry-run")
    execute(todo.url, "DELETE FROM tasks")
    ok(todo, "history", "--prune-before", "2000-01-01", "--yes")
    ok(todo.as_user("bob"), "history", "--prune-before", "2100-01-01", "--yes")
    assert seen <= {op.id for op in operations(todo.url)}
    assert len(history(todo, "--limit", "100")) == 11


def test_pruning_an_undone_operation_does_not_make_its_undo_undoable(todo: Todo) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "undo")
    age(todo.url, "alice", [1], datetime(2020, 1, 1, tzinfo=UTC))
    ok(todo, "history", "--prune-before", "2021-01-01", "--yes")
    result = todo("undo")
    assert result.exit_code == 1
    assert numbers(todo) == []


def test_prune_counts_and_asks_about_the_later_undo_that_goes_with_an_old_operation(
    todo: Todo,
) -> None:
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "--title", "Buy oat milk")
    ok(todo, "undo")  # a recent undo of the edit
    ok(todo, "add", "Call mom")
    age(todo.url, "alice", [1, 2], datetime(2020, 1, 1, tzinfo=UTC))
    asked = todo("history", "--prune-before", "2021-01-01")
    assert asked.exit_code == 2
    assert "delete 3 operations from before 2021-01-01 needs confirmation" in asked.stderr
    found = ok(todo, "history", "--prune-before", "2021-01-01", "--yes", "--json").json()
    assert found == {"pruned": 3}
    assert [op["number"] for op in history(todo)] == [4]


def test_an_undo_dated_before_the_operation_it_undid_stays_with_it(todo: Todo) -> None:
    # The clock was set back between an edit and its undo: the undo is the older by date.
    # Pruned alone, history showed the edit, not undone, and a title the task never had.
    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "--title", "Buy oat milk")
    ok(todo, "undo")
    age(todo.url, "alice", [1, 3], datetime(2020, 1, 1, tzinfo=UTC))
    found = ok(todo, "history", "--prune-before", "2021-01-01", "--yes", "--json").json()
    assert found == {"pruned": 1}
    listed = history(todo)
    assert [(op["number"], op["undone"]) for op in listed] == [(3, False), (2, True)]
    assert todo("undo").exit_code == 1  # nothing left to undo: the edit is undone
    assert [task["title"] for task in tasks(todo)] == ["Buy milk"]


def test_a_pruned_operation_takes_its_journal_rows_with_it(todo: Todo) -> None:
    ok(todo, "add", input=bulk(10))
    ok(todo, "add", "keep")
    age(todo.url, "alice", [1], datetime(2020, 1, 1, tzinfo=UTC))
    ok(todo, "history", "--prune-before", "2021-01-01", "--yes")
    rows = sql_rows(todo.url, "SELECT count(*) FROM journal")
    assert rows[0][0] == 1


# --- undo at the same time ------------------------------------------------------------------


def _spawn(todo: Todo, *args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ) | todo.env | {"TODO_CONNECT_RETRIES": "3"}
    return subprocess.Popen(
        [sys.executable, "-m", "todo_cli", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_undos_run_at_once_each_revert_a_different_operation(todo: Todo) -> None:
    for n in range(1, 5):
        ok(todo, "add", f"task {n}")
    procs = [_spawn(todo, "undo") for _ in range(4)]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    assert numbers(todo) == []
    undone = [op["undoes"] for op in history(todo) if op["undoes"]]
    assert len(undone) == len(set(undone)) == 4


def _sessions_waiting_on_a_lock(watch: Any, wanted: int) -> int:
    """How many sessions of the database wait on a lock, once `wanted` do (or after
    60 s): the moment the commands spawned are held up where the test wants them."""
    from sqlalchemy import text

    waiting_on_a_lock = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 60
    waiting = 0
    while waiting < wanted and time.monotonic() < deadline:
        time.sleep(0.05)
        waiting = int(watch.execute(waiting_on_a_lock).scalar_one())
        watch.rollback()
    return waiting


def test_an_undo_that_waited_for_another_reverts_the_operation_before(
    todo: Todo, backend: str
) -> None:
    """Two undos held up on one row: the second must not revert what the first just did."""
    if backend == "sqlite":
        not_applicable("SQLite runs one writing transaction at a time, from its start")
    if backend != "postgresql":
        not_applicable("watches the server's sessions and locks rows as the tables' owner")
    from sqlalchemy import text

    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H")  # A
    ok(todo, "edit", "1", "pri:L")  # B
    procs: list[subprocess.Popen[bytes]] = []
    with engine_for(todo.url) as engine:
        try:
            with engine.connect() as holder, engine.connect() as watch:
                holder.execute(text("SELECT id FROM tasks FOR UPDATE"))
                procs = [_spawn(todo, "undo") for _ in range(2)]
                waiting = _sessions_waiting_on_a_lock(watch, 2)
                assert waiting == 2, "both undos should be waiting on the locked row"
                holder.rollback()
        finally:
            outcomes = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outcomes
    assert task(todo, 1)["priority"] is None
    assert [op["undone"] for op in history(todo) if not op["undoes"]] == [True, True, False]


def test_an_undo_refuses_a_change_committed_while_it_checked(todo: Todo, backend: str) -> None:
    """psql changes the task and commits while `undo` runs: the undo read the row before
    that commit, and its revert, waiting for the lock, then wrote the whole row back over
    the change (the description psql set, never touched by the edit, was lost)."""
    if backend == "sqlite":
        not_applicable("SQLite runs one writing transaction at a time, from its start")
    if backend != "postgresql":
        not_applicable("watches the server's sessions and changes rows as the tables' owner")
    from sqlalchemy import text

    ok(todo, "add", "Buy milk")
    ok(todo, "edit", "1", "pri:H")
    procs: list[subprocess.Popen[bytes]] = []
    with engine_for(todo.url) as engine:
        try:
            with engine.connect() as writer, engine.connect() as watch:
                writer.execute(text("UPDATE tasks SET description = 'psql note' WHERE number = 1"))
                procs = [_spawn(todo, "undo")]
                waiting = _sessions_waiting_on_a_lock(watch, 1)
                assert waiting == 1, "the undo should be waiting on the changed row"
                writer.commit()
        finally:
            outcomes = [proc.communicate(timeout=120) for proc in procs]
    (proc,) = procs
    assert proc.returncode == 1, outcomes
    assert "cannot undo #2 (todo edit 1 pri:H): task #1" in outcomes[0][1].decode()
    assert (task(todo, 1)["description"], task(todo, 1)["priority"]) == ("psql note", "H")


def test_history_names_the_sampled_tasks_in_number_order() -> None:
    # PostgreSQL journals a bulk update in the order it finds the rows: "completed #6
    # #89 #391 #21 #250 and 595 more". The numbers shown are put in order.
    import uuid
    from datetime import UTC, datetime

    from todo_cli.output.history import describe
    from todo_cli.repository.journal import Change, Operation, Summary

    operation = Operation(uuid.uuid4(), 7, datetime.now(UTC), "todo done +bulk", None, None)

    def completed(number: int) -> Change:
        image = {"number": number, "completed": False}
        return Change(operation.id, "tasks", "update", [str(number)], image,
                      image | {"completed": True})  # fmt: skip

    samples = [completed(n) for n in (6, 89, 391, 21, 250)]
    summary = Summary(counts={("tasks", "update"): 600}, samples=samples)
    assert describe(operation, summary) == "completed #6 #21 #89 #250 #391 and 595 more"


def test_history_leaves_out_a_sampled_task_whose_later_update_the_sample_cut_off() -> None:
    # A row updated twice in one operation (a task leaving its series, then reopened)
    # whose second update falls past the rows history reads would read as an edit of
    # a completed task: "edited ..." for a reopen.
    import uuid
    from datetime import UTC, datetime

    from todo_cli.output.history import describe
    from todo_cli.repository.journal import SAMPLE, Change, Operation, Summary

    operation = Operation(uuid.uuid4(), 3, datetime.now(UTC), "todo reopen 1-6", None, None)
    done = {"completed": True, "series_id": "s"}

    def change(number: int, before: dict[str, object], after: dict[str, object]) -> Change:
        return Change(operation.id, "tasks", "update", [str(number)],
                      before | {"number": number}, after | {"number": number})  # fmt: skip

    samples = [change(2, done, done | {"completed": False})]
    for number in range(3, 7):
        samples += [
            change(number, done, done | {"series_id": None}),
            change(number, done | {"series_id": None}, {"completed": False, "series_id": None}),
        ]
    # The lowest number last (PostgreSQL's order of rows), its reopen cut off.
    samples.append(change(1, done, done | {"series_id": None}))
    assert len(samples) == 2 * SAMPLE
    summary = Summary(counts={("tasks", "update"): 6}, samples=samples)
    assert describe(operation, summary) == "reopened #2 #3 #4 #5 #6 and 1 more"


def test_a_long_command_is_named_by_its_start_in_undo_and_history(todo: Todo) -> None:
    # `todo list ... | xargs todo done`: 3,000 ids made undo's one line 111 KB long.
    assert todo("add", input="".join(f"task {n}\n" for n in range(1, 121))).exit_code == 0
    numbers = [str(n) for n in range(1, 121)]
    command = "todo done " + " ".join(numbers)
    assert len(command) == 381
    assert todo("done", *numbers).exit_code == 0
    shown = f"{command[:200]}... (381 characters)"
    undone = todo("undo")
    assert (undone.exit_code, undone.stderr) == (0, f"undid #2 ({shown}): set back 120 tasks\n")
    assert todo("history", "--json").json()[1]["command"] == command
    lines = todo("history", "1").stdout.splitlines()
    assert any(shown in line for line in lines), lines


def test_history_tells_apart_the_two_passes_of_the_hour_clocks_show_twice(
    todo: Todo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 02:30 in Berlin on 2026-10-25 happens twice: a due moved from the first to the
    # second read "due: 2026-10-25 02:30 -> 2026-10-25 02:30", a change of nothing.
    monkeypatch.setenv("TZ", "Europe/Berlin")
    ok(todo, "add", "Call", "due:2026-10-25T02:30")
    ok(todo, "edit", "1", "due:2026-10-25T02:30+01:00")
    lines = todo("history", "1").stdout.splitlines()
    assert lines[-1] == "    due: 2026-10-25 02:30 +02:00 -> 2026-10-25 02:30 +01:00"
    assert "  due:      2026-10-25 02:30 +01:00" in todo("show", "1").stdout.splitlines()
