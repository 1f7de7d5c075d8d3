"""Recurring tasks through the CLI: `recur:`, series, and the successor a completion makes.

The pure rules (the grammar, the successor's due) are unit-tested in
tests/test_recurrence.py; here each behaviour runs through `todo` itself, on
SQLite and on PostgreSQL, with TZ=Europe/Berlin in the command's environment.
The clock is the real one: dates are typed as ISO dates relative to today, and
the expected due is worked out from the completion time the command reports.
Run ``pytest -s -k cadence_table tests/test_recurring.py`` to print the table.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from tests.ci_gate import not_applicable
from tests.conftest import PostgresHandle, Todo, sql_rows
from tests.test_recurrence import instant
from tests.test_round_trips import statements

BERLIN = ZoneInfo("Europe/Berlin")


class BerlinTodo(Todo):
    """`todo` run with TZ=Europe/Berlin, in-process and as a subprocess."""

    @property
    def env(self) -> dict[str, str]:
        return super().env | {"TZ": "Europe/Berlin"}

    def as_user(self, user: str) -> Todo:
        return BerlinTodo(self.url, user)


@pytest.fixture
def todo(db_url: str) -> Todo:
    """This file's `todo`: the suite's, in Berlin time."""
    return BerlinTodo(db_url)


# --- helpers ------------------------------------------------------------------------


def today() -> date:
    return datetime.now(BERLIN).date()


def moment(text: str) -> datetime:
    """An RFC 3339 time from JSON."""
    return datetime.fromisoformat(text)


def local_text(value: datetime) -> str:
    """A due as `show` would print it: a date for a whole day, else date and time."""
    local = value.astimezone(BERLIN)
    if local.time() == time(23, 59, 59, 999999):
        return local.date().isoformat()
    return f"{local.date().isoformat()} {local:%H:%M}"


def add(todo: Todo, *words: str) -> dict[str, Any]:
    result = todo("add", *words, "--json")
    assert result.exit_code == 0, result.stderr
    task: dict[str, Any] = result.json()
    return task


def complete(todo: Todo, ref: str) -> dict[str, Any]:
    """`done REF --json`: the one task, with its `created` list."""
    result = todo("done", ref, "--json")
    assert result.exit_code == 0, result.stderr
    (task,) = result.json()
    assert isinstance(task, dict)
    return task


def successor(todo: Todo, ref: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Complete REF; the completed task and the one task its completion made."""
    done = complete(todo, ref)
    assert len(done["created"]) == 1, done
    return done, done["created"][0]


def every_task(todo: Todo) -> list[dict[str, Any]]:
    """Every task by number, without its urgency: that moves with the clock (a due near
    now) between two commands, and a comparison of before and after must not."""
    result = todo("list", "--all", "--json")
    assert result.exit_code == 0, result.stderr
    tasks: list[dict[str, Any]] = result.json()
    for task in tasks:
        task.pop("urgency")
    return sorted(tasks, key=lambda task: task["number"])


def json_list(todo: Todo, *args: str) -> list[dict[str, Any]]:
    result = todo("list", *args, "--json")
    assert result.exit_code == 0, result.stderr
    tasks: list[dict[str, Any]] = result.json()
    return tasks


def series_counts(url: str, series_id: str) -> tuple[int, int]:
    """(tasks, open tasks) in a series, read from the `tasks` table itself."""
    key = UUID(series_id).hex if url.startswith("sqlite") else series_id
    ((total, still_open),) = sql_rows(
        url,
        "SELECT count(*), coalesce(sum(CASE WHEN completed THEN 0 ELSE 1 END), 0)"
        " FROM tasks WHERE series_id = :series",
        series=key,
    )
    return int(total), int(still_open)


def future_monday(from_day: date) -> date:
    """A Monday a week or more ahead."""
    return from_day + timedelta(days=7 + (7 - from_day.weekday()))


def monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def monday_on_or_before(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- `recur:` on add ------------------------------------------------------------------


def test_recur_without_a_due_is_refused_and_nothing_is_written(todo: Todo) -> None:
    result = todo("add", "Water the plants", "recur:weekly")
    assert result.exit_code == 2
    assert "due" in result.stderr
    assert every_task(todo) == []
    assert sql_rows(todo.url, "SELECT count(*) FROM tasks") == [(0,)]


def test_the_recur_flag_works_like_the_recur_word(todo: Todo) -> None:
    due = future_monday(today()).isoformat()
    by_word = add(todo, "By word", f"due:{due}", "recur:weekly")
    by_flag = add(todo, "By flag", "--due", due, "--recur", "weekly")
    for task in (by_word, by_flag):
        assert task["recur"] == "weekly"
        assert task["series_id"] is not None
    assert by_word["series_id"] != by_flag["series_id"]
    assert complete(todo, "2")["created"][0]["due"] == complete(todo, "1")["created"][0]["due"]


def test_the_recur_flag_without_a_due_is_refused(todo: Todo) -> None:
    result = todo("add", "Water the plants", "--recur", "weekly")
    assert result.exit_code == 2
    assert every_task(todo) == []


@pytest.mark.parametrize("rule", ["fortnightly", "0d", "1000d"])
@pytest.mark.parametrize("form", ["word", "flag"])
def test_an_invalid_rule_is_refused_naming_it(todo: Todo, rule: str, form: str) -> None:
    due = future_monday(today()).isoformat()
    words = [f"recur:{rule}"] if form == "word" else ["--recur", rule]
    result = todo("add", "Water the plants", f"due:{due}", *words)
    assert result.exit_code == 2
    assert rule in result.stderr
    assert "error:" in result.stderr
    assert every_task(todo) == []


def test_each_stdin_line_with_a_recurrence_starts_its_own_series(todo: Todo) -> None:
    due = future_monday(today()).isoformat()
    lines = f"Water the plants due:{due} recur:weekly\nPay rent due:{due} recur:+1m\n"
    result = todo("add", "--json", input=lines)
    assert result.exit_code == 0, result.stderr
    water, rent = result.json()
    assert (water["recur"], rent["recur"]) == ("weekly", "monthly")
    assert None not in (water["series_id"], rent["series_id"])
    assert water["series_id"] != rent["series_id"]


def test_a_stdin_line_repeating_without_a_due_adds_nothing(todo: Todo) -> None:
    due = future_monday(today()).isoformat()
    result = todo("add", input=f"Pay rent due:{due}\nWater the plants recur:weekly\n")
    assert result.exit_code == 2
    assert "due" in result.stderr
    assert every_task(todo) == []


def test_recur_without_a_due_is_exit_2_from_a_real_process(todo: Todo) -> None:
    proc = todo.process("add", "Water the plants", "recur:weekly")
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert b"recur:weekly needs a due date" in proc.stderr


# --- the successor ------------------------------------------------------------------


def test_completing_carries_the_task_into_its_successor(todo: Todo) -> None:
    due = future_monday(today())
    first = add(
        todo,
        "Water the plants",
        "-d",
        "Rain water from the barrel",
        "project:home.garden",
        "+green",
        "+chores",
        "pri:M",
        f"due:{due.isoformat()}",
        "recur:weekly",
    )
    done, nxt = successor(todo, "1")
    assert done["completed"] is True
    assert nxt["number"] == 2
    assert nxt["id"] != first["id"]
    assert nxt["completed"] is False
    for key in ("title", "description", "project", "tags", "priority", "recur", "series_id"):
        assert nxt[key] == first[key], key
    assert nxt["tags"] == ["chores", "green"]
    assert moment(nxt["due"]) == instant((due + timedelta(days=7)).isoformat(), BERLIN)


def test_the_next_task_takes_the_id_derived_from_the_completed_ones(todo: Todo) -> None:
    """So that two databases completing the same task make the same next one."""
    from todo_cli.domain.ids import successor_id

    first = add(todo, "Pay rent", f"due:{future_monday(today()).isoformat()}", "recur:monthly")
    _, nxt = successor(todo, "1")
    assert nxt["id"] == str(successor_id(UUID(first["id"])))
    # Reopened, the next task is taken back; completed again, it is made again.
    assert todo("reopen", "1").exit_code == 0
    assert [t["number"] for t in every_task(todo)] == [1]
    _, again = successor(todo, "1")
    assert (again["id"], again["number"]) == (nxt["id"], 3)


def test_a_task_completed_again_whose_next_task_is_still_there_makes_one_of_another_id(
    todo: Todo,
) -> None:
    """#1 left its series (its next task had been changed), was made to repeat again and
    is completed: the id derived from it is #2's, so #3 gets an id of its own."""
    first = add(todo, "Pay rent", f"due:{future_monday(today()).isoformat()}", "recur:monthly")
    _, kept = successor(todo, "1")
    assert todo("edit", "2", "+changed").exit_code == 0
    assert todo("reopen", "1").exit_code == 0
    assert todo("edit", "1", "recur:weekly").exit_code == 0
    _, nxt = successor(todo, "1")
    assert nxt["number"] == 3
    assert nxt["id"] not in (kept["id"], first["id"])
    found = every_task(todo)
    assert [(t["number"], t["completed"], t["recur"]) for t in found] == [
        (1, True, "weekly"),
        (2, False, "monthly"),
        (3, False, "weekly"),
    ]
    assert todo("undo").exit_code == 0
    assert [(t["number"], t["completed"]) for t in every_task(todo)] == [(1, False), (2, False)]


def test_the_successors_wait_moves_with_its_due(todo: Todo) -> None:
    due = future_monday(today())
    wait = due - timedelta(days=2)
    add(todo, "Water the plants", f"due:{due.isoformat()}", f"wait:{wait.isoformat()}",
        "recur:weekly")  # fmt: skip
    _, nxt = successor(todo, "1")
    moved = wait + timedelta(days=7)
    assert moment(nxt["wait"]) == datetime.combine(moved, time(0), BERLIN).astimezone(UTC)
    assert moment(nxt["due"]) == instant((due + timedelta(days=7)).isoformat(), BERLIN)


def test_a_monthly_wait_one_day_before_stays_one_day_before(todo: Todo) -> None:
    year = today().year + 1
    add(todo, "Pay rent", f"due:{year}-01-31", f"wait:{year}-01-30", "recur:monthly")
    _, nxt = successor(todo, "1")
    last = calendar.monthrange(year, 2)[1]
    assert local_text(moment(nxt["due"])) == f"{year}-02-{last}"
    wait = datetime.combine(date(year, 2, last - 1), time(0), BERLIN)
    assert moment(nxt["wait"]) == wait.astimezone(UTC)


def test_done_says_which_task_was_created_and_when_it_is_due(todo: Todo) -> None:
    due = future_monday(today())
    add(todo, "Water the plants", f"due:{due.isoformat()}", "recur:weekly")
    result = todo("done", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"next: #2, due {(due + timedelta(days=7)).isoformat()}" in result.stderr


def test_done_says_which_task_was_created_from_a_real_process(todo: Todo) -> None:
    due = future_monday(today())
    add(todo, "Water the plants", f"due:{due.isoformat()}T09:00", "recur:weekly")
    proc = todo.process("done", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    stderr = proc.stderr.decode()
    assert "completed #1: Water the plants" in stderr
    assert f"next: #2, due {(due + timedelta(days=7)).isoformat()} 09:00" in stderr


def test_done_json_lists_the_successor_under_created(todo: Todo) -> None:
    add(todo, "Plain task")
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    result = todo("done", "1", "2", "--json")
    assert result.exit_code == 0, result.stderr
    plain, recurring = result.json()
    assert plain["number"] == 1
    assert plain["created"] == []
    assert recurring["number"] == 2
    assert [task["number"] for task in recurring["created"]] == [3]
    listed = {task["number"]: task for task in every_task(todo)}
    # Urgency moves with the clock (the due is near): everything else is the same.
    created = recurring["created"][0]
    assert {k: v for k, v in created.items() if k != "urgency"} == listed[3]


def test_monthly_from_the_31st_comes_back_to_the_31st_after_february(todo: Todo) -> None:
    """The series' anchor is kept in the database and carried from task to task."""
    year = today().year + 1
    add(todo, "Pay rent", f"due:{year}-01-31", "recur:monthly")
    _, february = successor(todo, "1")
    _, march = successor(todo, str(february["number"]))
    _, april = successor(todo, str(march["number"]))
    dues = [local_text(moment(task["due"])) for task in (february, march, april)]
    last = calendar.monthrange(year, 2)[1]
    assert dues == [f"{year}-02-{last}", f"{year}-03-31", f"{year}-04-30"]


@pytest.mark.parametrize(
    "restated", [["recur:monthly"], ["--recur", "monthly", "pri:H"], ["recur:+1m"]]
)
def test_restating_the_recurrence_on_edit_keeps_the_31st_after_february(
    todo: Todo, restated: list[str]
) -> None:
    """A script that always passes the recurrence it has changes nothing of the series:
    restarting it on February's clamped due would keep it on the 28th for good."""
    year = today().year + 1
    add(todo, "Pay rent", f"due:{year}-01-31", "recur:monthly")
    _, february = successor(todo, "1")
    edited = todo("edit", str(february["number"]), *restated, "--json")
    assert edited.exit_code == 0, edited.stderr
    assert edited.json()["series_id"] == february["series_id"]
    _, march = successor(todo, str(february["number"]))
    _, april = successor(todo, str(march["number"]))
    dues = [local_text(moment(task["due"])) for task in (march, april)]
    assert dues == [f"{year}-03-31", f"{year}-04-30"]


def test_a_moved_due_restarts_the_cadence_from_it(todo: Todo) -> None:
    year = today().year + 1
    add(todo, "Pay rent", f"due:{year}-01-31", "recur:monthly")
    _, february = successor(todo, "1")
    moved = todo("edit", str(february["number"]), f"due:{year}-02-15")
    assert moved.exit_code == 0, moved.stderr
    _, march = successor(todo, str(february["number"]))
    assert local_text(moment(march["due"])) == f"{year}-03-15"


def test_recur_and_due_on_one_edit_start_a_series_at_that_due(todo: Todo) -> None:
    due = future_monday(today())
    add(todo, "Water the plants")
    edited = todo("edit", "1", f"due:{due.isoformat()}", "--recur", "weekly", "--json")
    assert edited.exit_code == 0, edited.stderr
    _, nxt = successor(todo, "1")
    assert nxt["series_id"] == edited.json()["series_id"]
    assert local_text(moment(nxt["due"])) == (due + timedelta(days=7)).isoformat()


def test_completing_a_task_that_does_not_repeat_creates_nothing(todo: Todo) -> None:
    add(todo, "Buy milk", f"due:{future_monday(today()).isoformat()}")
    assert complete(todo, "1")["created"] == []
    assert len(every_task(todo)) == 1


def test_completing_the_last_yearly_task_the_calendar_holds_is_refused_and_changes_nothing(
    todo: Todo,
) -> None:
    # Its successor would be due 9999-12-31, a day whose end no date follows.
    add(todo, "Renew", "due:9998-12-31", "recur:yearly")
    before = every_task(todo)
    result = todo("done", "1")
    assert result.exit_code == 2, result.stderr
    assert result.stderr == (
        "error: #1: recur: the series yearly runs past 9999-12-29, the last day a task can be "
        "due (nothing was changed; stop the recurrence with recur:)\n"
    )
    assert every_task(todo) == before


def test_a_bulk_done_refused_for_one_series_names_its_task_and_changes_nothing(
    todo: Todo,
) -> None:
    # By filter, the refusal did not say which of the matched tasks was the one.
    add(todo, "Near", "due:2027-01-01", "recur:yearly", "+bill")
    add(todo, "Far", "due:9998-12-31", "recur:yearly", "+bill")
    before = every_task(todo)
    result = todo("done", "+bill")
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: #2: recur: the series yearly runs past 9999-12-29")
    assert "(nothing was changed; stop the recurrence with recur:)" in result.stderr
    assert every_task(todo) == before


# --- the successor's due, case by case --------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A due typed as an ISO date (from today), a rule, and the successor's local due.

    ``expected`` gets the local date and time the task was completed at (now).
    """

    name: str
    rule: str
    due: Callable[[date], str]
    expected: Callable[[datetime], str]


def _leap_after(day: date) -> int:
    year = day.year + 1
    while not calendar.isleap(year):
        year += 1
    return year


def _months_later(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_nine(now: datetime) -> str:
    day = now.date() if now.time() < time(9, 0) else now.date() + timedelta(days=1)
    return f"{day.isoformat()} 09:00"


CASES = [
    Case("weekly from a future Monday stays on Mondays", "weekly",
         lambda d: future_monday(d).isoformat(),
         lambda now: (future_monday(now.date()) + timedelta(days=7)).isoformat()),
    Case("+1w keeps the cadence as weekly does", "+1w",
         lambda d: future_monday(d).isoformat(),
         lambda now: (future_monday(now.date()) + timedelta(days=7)).isoformat()),
    Case("weekly from a Monday three weeks back: the first Monday not over", "weekly",
         lambda d: (monday_on_or_before(d) - timedelta(weeks=3)).isoformat(),
         lambda now: monday_on_or_after(now.date()).isoformat()),
    Case("+2w three weeks late keeps the two-week cadence", "+2w",
         lambda d: (d - timedelta(days=21)).isoformat(),
         lambda now: (now.date() + timedelta(days=7)).isoformat()),
    Case("daily 09:00 ten days late: the next 09:00", "daily",
         lambda d: f"{(d - timedelta(days=10)).isoformat()}T09:00",
         _next_nine),
    Case("daily, due today: tomorrow", "daily",
         lambda d: d.isoformat(),
         lambda now: (now.date() + timedelta(days=1)).isoformat()),
    Case("monthly from Jan 31: the last day of February", "monthly",
         lambda d: f"{d.year + 1}-01-31",
         lambda now: f"{now.year + 1}-02-{calendar.monthrange(now.year + 1, 2)[1]}"),
    Case("yearly from Feb 29: Feb 28", "yearly",
         lambda d: f"{_leap_after(d)}-02-29",
         lambda now: f"{_leap_after(now.date()) + 1}-02-28"),
    Case("weekdays from a Friday: the Monday after", "weekdays",
         lambda d: (future_monday(d) + timedelta(days=4)).isoformat(),
         lambda now: (future_monday(now.date()) + timedelta(days=7)).isoformat()),
    Case("1w after completion, due 10 days back: a week after today", "1w",
         lambda d: (d - timedelta(days=10)).isoformat(),
         lambda now: (now.date() + timedelta(days=7)).isoformat()),
    Case("1w after completion, due in 20 days at 07:00: 07:00 a week after today", "1w",
         lambda d: f"{(d + timedelta(days=20)).isoformat()}T07:00",
         lambda now: f"{(now.date() + timedelta(days=7)).isoformat()} 07:00"),
    Case("3d after completion, due in 20 days: three days after today", "3d",
         lambda d: (d + timedelta(days=20)).isoformat(),
         lambda now: (now.date() + timedelta(days=3)).isoformat()),
    Case("1m after completion, due 3 days back: a month after today", "1m",
         lambda d: (d - timedelta(days=3)).isoformat(),
         lambda now: _months_later(now.date(), 1).isoformat()),
]  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    due_typed: str
    completed: datetime
    successor_due: datetime
    expected: str


def run_case(todo: Todo, case: Case) -> Outcome:
    typed = case.due(today())
    added = add(todo, "Repeat me", f"due:{typed}", f"recur:{case.rule}")
    done, nxt = successor(todo, str(added["number"]))
    completed = moment(done["completed_at"]).astimezone(BERLIN)
    return Outcome(typed, completed, moment(nxt["due"]), case.expected(completed))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_successors_due_follows_the_rule(todo: Todo, case: Case) -> None:
    outcome = run_case(todo, case)
    assert local_text(outcome.successor_due) == outcome.expected
    # A whole day is due until its last microsecond; a time keeps its wall time.
    assert outcome.successor_due == instant(outcome.expected.replace("T", " "), BERLIN)


def test_cadence_table(todo: Todo, backend: str) -> None:
    """Prints, with ``-s``, the successor of each case as `todo` makes it (quoted in the note)."""
    header = ("case", "rule", "due typed", "completed (now)", "successor's due")
    lines = [header]
    for case in CASES:
        outcome = run_case(todo, case)
        assert local_text(outcome.successor_due) == outcome.expected, case.name
        completed = outcome.completed
        lines.append(
            (
                case.name,
                case.rule,
                outcome.due_typed,
                f"{completed:%a %Y-%m-%d %H:%M}",
                f"{outcome.successor_due.astimezone(BERLIN):%a} "
                + local_text(outcome.successor_due),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rendered = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
                for line in lines]  # fmt: skip
    print(f"\ncadence table ({backend}, TZ=Europe/Berlin)")
    print("\n".join(text.rstrip() for text in rendered))
    assert len(rendered) == len(CASES) + 1


# --- one open task per series ---------------------------------------------------------


def test_completing_twice_makes_one_successor(todo: Todo) -> None:
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    assert len(complete(todo, "1")["created"]) == 1
    again = todo("done", "1")
    assert again.exit_code == 0, again.stderr
    assert "already done #1" in again.stderr
    assert "next:" not in again.stderr
    assert complete(todo, "1")["created"] == []
    assert series_counts(todo.url, first["series_id"]) == (2, 1)


def test_naming_a_task_twice_in_one_done_makes_one_successor(todo: Todo) -> None:
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    prefix = first["id"][:8]
    if prefix.isdigit():  # all digits reads as a task number: name it by its whole UUID
        prefix = first["id"]
    result = todo("done", "1", "#1", prefix, "--json")
    assert result.exit_code == 0, result.stderr
    assert sum(len(task["created"]) for task in result.json()) == 1
    assert series_counts(todo.url, first["series_id"]) == (2, 1)


def test_done_reopen_done_leaves_one_open_task_in_the_series(todo: Todo) -> None:
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    _, taken_back = successor(todo, "1")
    reopened = todo("reopen", "1")
    assert reopened.exit_code == 0, reopened.stderr
    assert f"took back #{taken_back['number']}" in reopened.stderr
    assert series_counts(todo.url, first["series_id"]) == (1, 1)
    # A script learns it too: the task it may hold the id of is gone.
    assert todo("undo").exit_code == 0
    as_json = todo("reopen", "1", "--json")
    assert as_json.exit_code == 0, as_json.stderr
    assert [(t["number"], t["created"], [r["id"] for r in t["removed"]]) for t in
            as_json.json()] == [(1, [], [taken_back["id"]])]  # fmt: skip
    assert as_json.stderr == ""
    _, nxt = successor(todo, "1")
    assert nxt["due"] == taken_back["due"]
    assert series_counts(todo.url, first["series_id"]) == (2, 1)
    open_ones = [t["number"] for t in every_task(todo) if not t["completed"]]
    assert open_ones == [nxt["number"]]


@pytest.mark.parametrize("refs", [["3", "1"], ["1", "3"], ["3", "2", "1"], ["2", "3"]])
def test_reopening_several_of_a_series_in_any_order_leaves_one_open_in_it(
    todo: Todo, refs: list[str]
) -> None:
    # The latest of them named first took its successor back, and an earlier one then
    # found no open task and stayed in the series beside it: a raw UNIQUE error.
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    for ref in ("1", "2", "3"):
        successor(todo, ref)
    reopened = todo("reopen", *refs)
    assert reopened.exit_code == 0, reopened.stderr
    latest = max(int(ref) for ref in refs)
    assert f"reopened #{latest}: Water the plants\n  took back #4" in reopened.stderr
    tasks = {task["number"]: task for task in every_task(todo)}
    assert 4 not in tasks
    in_series = [n for n, task in tasks.items() if task["series_id"] == first["series_id"]]
    open_in_series = [n for n in in_series if not tasks[n]["completed"]]
    assert open_in_series == [latest]
    for ref in refs:
        assert tasks[int(ref)]["completed"] is False
    assert series_counts(todo.url, first["series_id"]) == (len(in_series), 1)


@pytest.mark.parametrize("refs", [["1", "2"], ["2", "1"]])
def test_reopening_two_of_a_series_names_the_one_kept_open_not_the_one_taken_back(
    todo: Todo, refs: list[str]
) -> None:
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    successor(todo, "1")
    successor(todo, "2")
    reopened = todo("reopen", *refs)
    assert reopened.exit_code == 0, reopened.stderr
    assert "  #1 left its series: a later one, #2, is reopened\n" in reopened.stderr
    assert "took back #3, the next of its series" in reopened.stderr
    assert "#3, is open" not in reopened.stderr


def test_reopen_after_the_successor_was_edited_detaches_the_reopened_task(todo: Todo) -> None:
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    _, nxt = successor(todo, "1")
    assert todo("edit", "2", "pri:H").exit_code == 0
    reopened = todo("reopen", "1")
    assert reopened.exit_code == 0, reopened.stderr
    assert "#1 left its series: its next one, #2, had been changed" in reopened.stderr
    tasks = {task["number"]: task for task in every_task(todo)}
    assert tasks[1]["completed"] is False
    assert tasks[1]["series_id"] is None
    assert tasks[1]["recur"] is None
    assert tasks[2]["completed"] is False
    assert tasks[2]["priority"] == "H"
    assert tasks[2]["series_id"] == first["series_id"] == nxt["series_id"]
    assert series_counts(todo.url, first["series_id"]) == (1, 1)


@pytest.mark.parametrize(
    "edit", [["pri:H"], ["+garden"], ["--title", "Water the ferns"], ["due:+1d", "-d", "x"]]
)
def test_reopen_after_an_undone_edit_of_the_successor_takes_it_back(
    todo: Todo, edit: list[str]
) -> None:
    """Undo moves updated_at (it is a change), but the successor is as it was made."""
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    _, nxt = successor(todo, "1")
    assert todo("edit", "2", *edit).exit_code == 0
    assert todo("undo").exit_code == 0
    reopened = todo("reopen", "1")
    assert reopened.exit_code == 0, reopened.stderr
    assert f"took back #{nxt['number']}" in reopened.stderr
    assert "left its series" not in reopened.stderr
    tasks = {task["number"]: task for task in every_task(todo)}
    assert list(tasks) == [1]
    assert tasks[1]["series_id"] == first["series_id"]
    assert series_counts(todo.url, first["series_id"]) == (1, 1)


@pytest.mark.parametrize(
    "taken_back",
    [["reopen", "1"], ["undo"]],
    ids=["reopened", "undone"],
)
def test_a_second_reopen_takes_back_the_next_task_its_second_completion_made(
    todo: Todo, taken_back: list[str]
) -> None:
    # The next task's id is derived from the completed one's: made again by the second
    # completion, it was read as changed by the first one's taking back ("#1 left its
    # series: its next one, #3, had been changed"), and the series had two open tasks.
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    successor(todo, "1")
    assert todo(*taken_back).exit_code == 0
    _, again = successor(todo, "1")
    assert again["number"] == 3
    reopened = todo("reopen", "1")
    assert (reopened.exit_code, reopened.stderr) == (
        0,
        "reopened #1: Water the plants\n  took back #3, the next of its series\n",
    )
    tasks = {task["number"]: task for task in every_task(todo)}
    assert list(tasks) == [1]
    assert (tasks[1]["recur"], tasks[1]["series_id"]) == ("weekly", first["series_id"])
    assert series_counts(todo.url, first["series_id"]) == (1, 1)


def test_a_next_task_made_again_and_completed_then_undone_is_still_taken_back(
    todo: Todo,
) -> None:
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    successor(todo, "1")
    assert todo("reopen", "1").exit_code == 0
    successor(todo, "1")
    assert todo("done", "3").exit_code == 0
    assert todo("undo").exit_code == 0
    reopened = todo("reopen", "1")
    assert "took back #3, the next of its series" in reopened.stderr, reopened.stderr
    assert [task["number"] for task in every_task(todo)] == [1]


def test_a_next_task_made_again_and_edited_is_kept_by_the_second_reopen(todo: Todo) -> None:
    # Its own story starts at its making: an edit of it since is a change.
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    successor(todo, "1")
    assert todo("reopen", "1").exit_code == 0
    successor(todo, "1")
    assert todo("edit", "3", "pri:H").exit_code == 0
    reopened = todo("reopen", "1")
    assert "#1 left its series: its next one, #3, had been changed" in reopened.stderr
    assert [task["number"] for task in every_task(todo)] == [1, 3]


def test_a_successor_deleted_and_brought_back_by_undo_keeps_its_edit(todo: Todo) -> None:
    # An undo's insert brings back the same task: its story (the edit) goes on.
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    successor(todo, "1")
    assert todo("edit", "2", "pri:H").exit_code == 0
    assert todo("delete", "2", "--yes").exit_code == 0
    assert todo("undo").exit_code == 0
    reopened = todo("reopen", "1")
    assert "#1 left its series: its next one, #2, had been changed" in reopened.stderr
    assert [task["number"] for task in every_task(todo)] == [1, 2]


def test_reopen_after_a_second_edit_of_the_successor_still_keeps_it(todo: Todo) -> None:
    """One edit undone, another kept: the successor was changed."""
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    successor(todo, "1")
    assert todo("edit", "2", "pri:H").exit_code == 0
    assert todo("edit", "2", "+garden").exit_code == 0
    assert todo("undo").exit_code == 0
    reopened = todo("reopen", "1")
    assert "#1 left its series: its next one, #2, had been changed" in reopened.stderr
    assert {task["number"] for task in every_task(todo)} == {1, 2}


def test_reopen_after_the_series_went_on_names_the_open_one(todo: Todo) -> None:
    # It said "the next one had been changed" of a successor only completed.
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    successor(todo, "1")
    _, third = successor(todo, "2")
    reopened = todo("reopen", "1")
    assert reopened.exit_code == 0, reopened.stderr
    assert f"#1 left its series: a later one, #{third['number']}, is open" in reopened.stderr


def _ended_series_of_two_done(todo: Todo) -> dict[str, Any]:
    """#1 and #2 of one series, both done, and no open task in it: #2's recurrence was
    stopped before it was completed."""
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    successor(todo, "1")
    assert todo("edit", "2", "recur:").exit_code == 0
    assert todo("done", "2").exit_code == 0
    return first


@pytest.mark.parametrize("refs", [["1", "2"], ["2", "1"]])
def test_reopening_two_done_tasks_of_an_ended_series_keeps_the_later_in_it(
    todo: Todo, refs: list[str]
) -> None:
    # Both were reopened into the series, and the database refused the second open
    # task of it (exit 2, "UNIQUE constraint failed"): nothing else was wrong.
    first = _ended_series_of_two_done(todo)
    reopened = todo("reopen", *refs)
    assert reopened.exit_code == 0, reopened.stderr
    assert "  #1 left its series: a later one, #2, is reopened\n" in reopened.stderr
    tasks = {task["number"]: task for task in every_task(todo)}
    assert [tasks[1]["completed"], tasks[2]["completed"]] == [False, False]
    assert tasks[1]["series_id"] is None
    assert tasks[2]["series_id"] == first["series_id"]
    assert series_counts(todo.url, first["series_id"]) == (1, 1)
    # One change of each task, said as a reopen; one undo sets both back.
    assert todo("history", "-n1", "--json").json()[0]["summary"] == "reopened #1 #2"
    assert todo("undo").exit_code == 0
    tasks = {task["number"]: task for task in every_task(todo)}
    assert [tasks[1]["completed"], tasks[2]["completed"]] == [True, True]
    assert tasks[1]["series_id"] == tasks[2]["series_id"] == first["series_id"]


def test_reopen_beside_an_earlier_open_task_of_the_series_calls_it_earlier(todo: Todo) -> None:
    # It said "a later one, #1, is open" of the task due a week before.
    _ended_series_of_two_done(todo)
    assert todo("reopen", "1").exit_code == 0
    reopened = todo("reopen", "2")
    assert reopened.exit_code == 0, reopened.stderr
    assert "  #2 left its series: an earlier one, #1, is open\n" in reopened.stderr


def _three_done(todo: Todo) -> tuple[date, dict[str, Any]]:
    """#1-#3 of a weekly series done, #4 open and untouched; the first due."""
    monday = future_monday(today())
    first = add(todo, "Weekly", f"due:{monday.isoformat()}", "recur:weekly")
    for ref in ("1", "2", "3"):
        successor(todo, ref)
    return monday, first


def test_a_task_that_takes_back_its_successor_and_then_leaves_the_series_says_both(
    todo: Todo,
) -> None:
    # #3's due moved before #2's: #3 took #4 back, then left the series for #2, and
    # the taking back went unsaid (#4 gone, only `todo history` told).
    monday, first = _three_done(todo)
    assert todo("edit", "3", f"due:{(monday - timedelta(days=1)).isoformat()}").exit_code == 0
    reopened = todo("reopen", "2", "3")
    assert reopened.exit_code == 0, reopened.stderr
    assert "took back #4, the next of its series" in reopened.stderr
    assert "  #3 left its series: a later one, #2, is reopened\n" in reopened.stderr
    tasks = {task["number"]: task for task in every_task(todo)}
    assert sorted(tasks) == [1, 2, 3]
    assert tasks[2]["series_id"] == first["series_id"]
    assert tasks[3]["series_id"] is None
    assert series_counts(todo.url, first["series_id"]) == (2, 1)


@pytest.mark.parametrize("refs", [["3", "4"], ["4", "3", "1"]])
def test_reopening_a_task_with_the_successor_it_takes_back_reports_no_such_open_task(
    todo: Todo, refs: list[str]
) -> None:
    # #4 was said "already open" (and listed by --json as a task) after #3 took it back.
    _three_done(todo)
    said = todo("reopen", *refs)
    assert said.exit_code == 0, said.stderr
    assert "took back #4, the next of its series" in said.stderr
    assert "#4" not in said.stderr.replace("took back #4", "")
    assert todo("undo").exit_code == 0
    result = todo("reopen", *refs, "--json")
    assert result.exit_code == 0, result.stderr
    assert sorted(task["number"] for task in result.json()) == sorted(
        int(ref) for ref in refs if ref != "4"
    )
    assert 4 not in {task["number"] for task in every_task(todo)}


@pytest.mark.parametrize("refs", [["1", "2", "3"], ["3", "2", "1"], ["2", "1", "3"]])
def test_reopening_three_of_a_series_with_no_open_task_names_the_one_that_stays(
    todo: Todo, refs: list[str]
) -> None:
    # "#1 left its series: a later one, #2, is reopened", and #2 had left it too.
    _, first = _three_done(todo)
    assert todo("delete", "4", "--yes").exit_code == 0
    reopened = todo("reopen", *refs)
    assert reopened.exit_code == 0, reopened.stderr
    assert "  #1 left its series: a later one, #3, is reopened\n" in reopened.stderr
    assert "  #2 left its series: a later one, #3, is reopened\n" in reopened.stderr
    assert series_counts(todo.url, first["series_id"]) == (1, 1)


def test_reopen_keeps_a_successor_that_another_task_waits_on(todo: Todo) -> None:
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    _, nxt = successor(todo, "1")
    add(todo, "Buy a hose", f"dep:{nxt['number']}")
    reopened = todo("reopen", "1")
    assert reopened.exit_code == 0
    # Why, as it is: "had been changed" was said of a successor nobody changed.
    assert (
        f"#1 left its series: its next one, #{nxt['number']}, is waited on by another task"
        in reopened.stderr
    )
    tasks = {task["number"]: task for task in every_task(todo)}
    # Nobody edited the successor, but a task waits on it: it is not the completion's
    # to take back. The series still has one open task, and "Buy a hose" still waits.
    assert tasks[3]["depends"] != []
    assert [t["number"] for t in json_list(todo, "+blocked")] == [3]
    assert series_counts(todo.url, first["series_id"])[1] == 1


def test_the_database_refuses_a_second_open_task_in_a_series(todo: Todo) -> None:
    """Straight into the table: a done copy fits (the index is partial), an open one not."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from todo_cli.db.engine import create_engine
    from todo_cli.db.schema import tasks
    from todo_cli.db.url import parse_url

    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    successor(todo, "1")
    sqlite = todo.url.startswith("sqlite")
    new_id = "lower(hex(randomblob(16)))" if sqlite else "gen_random_uuid()"
    copied = [c.name for c in tasks.c if c.name not in ("id", "number")]
    insert = (
        f"INSERT INTO tasks (id, number, {', '.join(copied)})"
        f" SELECT {new_id}, number + 100, {', '.join(copied)} FROM tasks WHERE number = :n"
    )
    engine = create_engine(parse_url(todo.url))
    try:
        with engine.connect() as conn:
            conn.execute(text(insert), {"n": 1})  # a second done task: fine
            with pytest.raises(IntegrityError) as refused:
                conn.execute(text(insert), {"n": 2})  # a second open one
            conn.rollback()
            if sqlite:
                # SQLite names the columns, not the index: the one unique index on them.
                assert "UNIQUE constraint failed: tasks.user_id, tasks.series_id" in str(
                    refused.value
                )
                indexes = conn.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                        " AND tbl_name = 'tasks' AND sql LIKE '%UNIQUE%(user_id, series_id)%'"
                    )
                ).all()
                assert [name for name, _ in indexes] == ["uq_tasks_series_id_open"]
                assert "NOT completed" in indexes[0][1]
            else:
                assert "uq_tasks_series_id_open" in str(refused.value)
    finally:
        engine.dispose()
    assert series_counts(todo.url, first["series_id"]) == (2, 1)


def test_a_series_id_another_user_holds_is_no_bar_to_ones_own_tasks(
    todo: Todo, tmp_path: Any
) -> None:
    """Bob imports alice's export: her series' id comes with the task. The one open
    task a series may have was counted across users: alice's own reopen, bob's import
    and an undo failed on the other's row with the database's raw error."""
    first = add(todo, "Pay rent", f"due:{future_monday(today()).isoformat()}", "recur:monthly")
    successor(todo, "1")
    exported = todo("export")
    assert exported.exit_code == 0, exported.stderr
    # Her open task as another file has it: its own id, her series'.
    (shared,) = json.loads(exported.stdout)
    backup = tmp_path / "alice.json"
    backup.write_text(json.dumps([shared | {"id": str(uuid4())}]), encoding="utf-8")
    assert todo("delete", "2", "--yes").exit_code == 0  # her series ends
    bob = todo.as_user("bob")
    imported = bob("import", str(backup))
    assert imported.exit_code == 0, imported.stderr
    reopened = todo("reopen", "1")
    assert (reopened.exit_code, reopened.stderr) == (0, "reopened #1: Pay rent\n")
    assert todo("undo").exit_code == 0  # the reopen
    undone = todo("undo")  # the delete: her open #2 back, in the series bob has too
    assert undone.exit_code == 0, undone.stderr
    assert series_counts(todo.url, first["series_id"]) == (3, 2)
    assert [(t["number"], t["series_id"]) for t in every_task(todo)] == [
        (1, first["series_id"]),
        (2, first["series_id"]),
    ]
    (his,) = bob("list", "--json").json()
    assert his["series_id"] == first["series_id"]
    # Each completes their own, and each series goes on once, in its own list.
    assert len(complete(bob, str(his["number"]))["created"]) == 1
    assert len(complete(todo, "2")["created"]) == 1
    assert series_counts(todo.url, first["series_id"]) == (5, 2)


# --- editing and deleting a recurring task ------------------------------------------------


def test_edits_to_a_recurring_task_are_carried_to_its_successor(todo: Todo) -> None:
    add(todo, "Water plants", "+old", "pri:L", f"due:{future_monday(today()).isoformat()}",
        "recur:weekly")  # fmt: skip
    edited = todo("edit", "1", "Water", "the", "roses", "pri:H", "+garden", "-old")
    assert edited.exit_code == 0, edited.stderr
    _, nxt = successor(todo, "1")
    assert nxt["title"] == "Water the roses"
    assert nxt["priority"] == "H"
    assert nxt["tags"] == ["garden"]


def test_recur_empty_on_edit_ends_the_series(todo: Todo) -> None:
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    edited = todo("edit", "1", "recur:", "--json")
    assert edited.exit_code == 0, edited.stderr
    assert edited.json()["recur"] is None
    assert complete(todo, "1")["created"] == []
    assert [task["number"] for task in every_task(todo)] == [1]


def test_a_new_recurrence_on_a_done_member_is_refused_naming_the_open_task(todo: Todo) -> None:
    # It changed that done record alone ("edited #1"), and the open task went on monthly.
    add(todo, "Rent", f"due:{future_monday(today()).isoformat()}", "recur:monthly")
    successor(todo, "1")
    before = ok_export(todo)
    result = todo("edit", "1", "recur:weekly")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: #1 is done: its series goes on as #2, which holds its recurrence "
        "(change it there, todo edit 2 recur:weekly; nothing was changed)\n"
    )
    assert ok_export(todo) == before
    # Restated as it is (a script that always passes it): no change, no refusal.
    assert todo("edit", "1", "recur:monthly").exit_code == 0
    # On the open task it changes the series.
    assert todo("edit", "2", "recur:weekly").exit_code == 0
    assert {t["number"]: t["recur"] for t in every_task(todo)} == {1: "monthly", 2: "weekly"}
    # Deleting the done one leaves the series going on.
    assert todo("delete", "1", "--yes").exit_code == 0
    assert len(complete(todo, "2")["created"]) == 1


def ok_export(todo: Todo) -> str:
    result = todo("export", "--all")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_recur_empty_on_a_done_member_ends_the_series_it_names(todo: Todo) -> None:
    # SPEC: `recur:` on edit stops the series. On a done member it changed that row
    # alone, said nothing, and the open task went on repeating.
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    successor(todo, "1")
    successor(todo, "2")
    result = todo("edit", "1", "recur:")
    assert (result.exit_code, result.stderr) == (
        0,
        "edited #1: Water the plants\n  series ended: #3 repeats no more\n",
    )
    assert {t["number"]: t["recur"] for t in every_task(todo)} == {1: None, 2: None, 3: None}
    assert complete(todo, "3")["created"] == []
    assert series_counts(todo.url, first["series_id"]) == (3, 0)
    # One operation: one undo brings the series back (the done first).
    assert todo("undo").exit_code == 0
    assert todo("undo").exit_code == 0
    assert {t["number"]: t["recur"] for t in every_task(todo)} == dict.fromkeys((1, 2, 3), "weekly")
    assert len(complete(todo, "3")["created"]) == 1


def exported(todo: Todo) -> dict[int, dict[str, Any]]:
    """Our own JSON export of every task, by number: the attributes with the rest."""
    result = todo("export", "--all")
    assert result.exit_code == 0, result.stderr
    return {task["number"]: task for task in json.loads(result.stdout)}


@pytest.mark.parametrize("end", ["edit 2 recur:", "edit 1 recur:", "delete 2 --yes"])
def test_a_series_ended_keeps_the_recurrence_each_task_had_for_other_tools(
    todo: Todo, end: str
) -> None:
    """Taskwarrior refuses a task it holds as an instance without its `recur`: the export
    writes the one kept here (tests/test_interchange_tools.py, with the real `task`)."""
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:+2w")
    successor(todo, "1")
    result = todo(*end.split())
    assert result.exit_code == 0, result.stderr
    tasks = exported(todo)
    assert {n: (t["recur"], t["attributes"]) for n, t in tasks.items()} == {
        n: (None, {"todo.ended_recur": "+2w"}) for n in tasks
    }
    assert len(tasks) == (1 if end.startswith("delete") else 2)
    # Nothing an import kept, so `show` says nothing of it.
    assert "kept from its import" not in todo("show", "1").stdout


def test_a_recurrence_given_again_to_a_task_whose_series_ended_starts_its_own(
    todo: Todo,
) -> None:
    """Not the old series: reopened, the task keeps it (the ended task, still in the old
    series, is no open task of the new one), and it is no longer a series that ended."""
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:daily")
    done, nxt = successor(todo, "1")
    assert todo("edit", "2", "recur:").exit_code == 0
    again = todo("edit", "1", "recur:weekly", "--json")
    assert again.exit_code == 0, again.stderr
    assert again.json()["series_id"] not in (None, done["series_id"])
    reopened = todo("reopen", "1")
    assert (reopened.exit_code, reopened.stderr) == (0, "reopened #1: Water the plants\n")
    tasks = exported(todo)
    assert (tasks[1]["recur"], tasks[1]["attributes"]) == ("weekly", {})
    assert (tasks[2]["recur"], tasks[2]["series_id"]) == (None, nxt["series_id"])
    assert len(complete(todo, "1")["created"]) == 1


def test_an_instance_of_a_deleted_template_given_a_recurrence_is_no_ended_task(
    todo: Todo, tmp_path: Any
) -> None:
    """Taskwarrior's second pending instance of a deleted template keeps that series in a
    hint (its first instance holds it here): not shown, and gone once it repeats again."""
    template = str(uuid4())
    due = future_monday(today())
    common = {"description": "Stand-up", "entry": "20261101T090000Z", "recur": "weekly"}
    dues = [(due + timedelta(weeks=i)).strftime("%Y%m%dT120000Z") for i in range(2)]
    objects: list[dict[str, Any]] = [
        {**common, "uuid": template, "status": "deleted", "mask": "--", "due": dues[0]},
        *(
            {**common, "uuid": str(uuid4()), "status": "pending", "parent": template}
            | {"imask": i, "due": dues[i]}
            for i in range(2)
        ),
    ]
    source = tmp_path / "tw.json"
    source.write_text(json.dumps(objects), encoding="utf-8")
    result = todo("import", "--format", "taskwarrior", str(source))
    assert result.exit_code == 0, result.stderr
    tasks = exported(todo)
    ended = {"todo.ended_recur": "weekly", "todo.ended_series": template}
    assert {k: tasks[2]["attributes"][k] for k in ended} == ended
    assert "kept from its import" not in todo("show", "2").stdout
    assert todo("edit", "2", "recur:weekly").exit_code == 0
    tasks = exported(todo)
    assert (tasks[2]["recur"], tasks[2]["attributes"]) == ("weekly", {})
    assert tasks[2]["series_id"] not in (None, template)


def test_a_recurrence_given_to_several_tasks_names_the_one_without_a_due(todo: Todo) -> None:
    for words in (("a", "due:today"), ("b",), ("c", "due:fri")):
        add(todo, *words)
    before = every_task(todo)
    result = todo("edit", "1-3", "recur:weekly")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: #2: recur:weekly needs a due date (add one, e.g. due:mon)\n",
    )
    assert every_task(todo) == before


def test_recur_empty_on_the_open_task_ends_its_done_members_too(todo: Todo) -> None:
    # As a deleted series': a done member reopened and completed starts nothing again.
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    successor(todo, "1")
    result = todo("edit", "2", "recur:")
    assert (result.exit_code, result.stderr) == (0, "edited #2: Water the plants\n")
    assert complete(todo, "2")["created"] == []
    assert todo("reopen", "1").exit_code == 0
    assert complete(todo, "1")["created"] == []
    assert {t["number"]: t["recur"] for t in every_task(todo)} == {1: None, 2: None}


def test_recur_on_edit_of_a_task_with_a_due_starts_a_series(todo: Todo) -> None:
    year = today().year + 1
    add(todo, "Pay rent", f"due:{year}-01-31")
    edited = todo("edit", "1", "recur:monthly", "--json")
    assert edited.exit_code == 0, edited.stderr
    assert edited.json()["recur"] == "monthly"
    assert edited.json()["series_id"] is not None
    _, nxt = successor(todo, "1")
    assert nxt["series_id"] == edited.json()["series_id"]
    assert local_text(moment(nxt["due"])) == f"{year}-02-{calendar.monthrange(year, 2)[1]}"


def test_recur_on_edit_of_a_task_without_a_due_is_refused(todo: Todo) -> None:
    add(todo, "Pay rent")
    result = todo("edit", "1", "--recur", "monthly")
    assert result.exit_code == 2
    assert every_task(todo)[0]["recur"] is None


def test_clearing_the_due_of_a_recurring_task_is_refused(todo: Todo) -> None:
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    result = todo("edit", "1", "due:")
    assert result.exit_code == 2
    assert "recur:" in result.stderr
    (task,) = every_task(todo)
    assert task["due"] == first["due"]
    assert task["recur"] == "weekly"


def test_clearing_the_due_and_ending_the_series_at_once_is_allowed(todo: Todo) -> None:
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    result = todo("edit", "1", "due:", "recur:", "--json")
    assert result.exit_code == 0, result.stderr
    assert (result.json()["due"], result.json()["recur"]) == (None, None)


def test_deleting_a_recurring_task_says_the_series_ends(todo: Todo) -> None:
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    result = todo("delete", "1", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "deleted #1: Water the plants" in result.stderr
    assert "series ends" in result.stderr
    assert every_task(todo) == []


def test_deleting_the_open_task_of_a_series_leaves_no_open_task_in_it(todo: Todo) -> None:
    first = add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}",
                "recur:weekly")  # fmt: skip
    successor(todo, "1")
    result = todo("delete", "2", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "series ends" in result.stderr
    assert series_counts(todo.url, first["series_id"]) == (1, 0)
    assert [task["number"] for task in every_task(todo)] == [1]


def test_a_series_ended_by_a_delete_does_not_start_again_from_a_reopened_task(
    todo: Todo,
) -> None:
    # SPEC: deleting a task ends its series. Reopening and completing the task
    # before it once made a successor all the same.
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    successor(todo, "1")
    assert "series ends" in todo("delete", "2", "--yes").stderr
    assert todo("reopen", "1").exit_code == 0
    done = complete(todo, "1")
    assert done["created"] == []
    assert done["recur"] is None
    assert [(t["number"], t["completed"]) for t in every_task(todo)] == [(1, True)]
    # The undo of the delete brings the series back as it was.
    assert todo("undo").exit_code == 0  # the done
    assert todo("undo").exit_code == 0  # the reopen
    assert todo("undo").exit_code == 0  # the delete
    again = {t["number"]: t for t in every_task(todo)}
    assert (again[1]["recur"], again[2]["recur"]) == ("weekly", "weekly")
    assert again[2]["completed"] is False


def test_deleting_a_done_task_of_a_series_does_not_claim_the_series_ends(todo: Todo) -> None:
    add(todo, "Water the plants", f"due:{future_monday(today()).isoformat()}", "recur:weekly")
    successor(todo, "1")
    result = todo("delete", "1", "--yes")
    assert result.exit_code == 0, result.stderr
    # Task #2 still repeats and completing it goes on with the series ...
    assert len(complete(todo, "2")["created"]) == 1
    # ... so the message must not say that the series ended.
    assert "series ends" not in result.stderr


def test_deleting_a_task_that_does_not_repeat_says_nothing_of_a_series(todo: Todo) -> None:
    add(todo, "Buy milk")
    result = todo("delete", "1", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "series" not in result.stderr


# --- how a recurrence is shown -------------------------------------------------------


def test_list_shows_the_recurrence_in_a_recur_column(todo: Todo) -> None:
    due = future_monday(today()).isoformat()
    add(todo, "Water the plants", f"due:{due}", "recur:weekly")
    add(todo, "Buy milk")
    result = todo("list")
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert "recur" in header.split()
    start = header.index("recur")
    cells = {row.split()[0]: row[start : start + len("weekly")].strip() for row in rows}
    assert cells == {"1": "weekly", "2": ""}


def test_list_has_no_recur_column_when_nothing_repeats(todo: Todo) -> None:
    add(todo, "Buy milk")
    result = todo("list")
    assert "recur" not in result.stdout.splitlines()[0].split()


@pytest.mark.parametrize(
    ("typed", "stored"), [("+1w", "weekly"), ("weekly", "weekly"), ("+1d", "daily"),
                          ("2W", "2w"), ("+2w", "+2w"), ("+weekdays", "weekdays")]
)  # fmt: skip
def test_json_has_the_canonical_recur_and_the_series_id(
    todo: Todo, typed: str, stored: str
) -> None:
    added = add(todo, "Repeat me", f"due:{future_monday(today()).isoformat()}", f"recur:{typed}")
    (listed,) = every_task(todo)
    assert added["recur"] == listed["recur"] == stored
    assert str(UUID(listed["series_id"])) == listed["series_id"]
    assert sql_rows(todo.url, "SELECT recur FROM tasks") == [(stored,)]


# --- round trips on PostgreSQL --------------------------------------------------------


@pytest.mark.parametrize("tags", [[], ["+garden", "+weekly"]], ids=["no tags", "tags"])
def test_completing_a_recurring_task_costs_at_most_two_statements_more_than_a_plain_done(
    todo: Todo, backend: str, postgres: PostgresHandle, tags: list[str]
) -> None:
    if backend == "sqlite":
        not_applicable("round trips are counted at a PostgreSQL server")
    if backend != "postgresql":
        not_applicable("round trips are counted once, on the plain PostgreSQL backend")
    if postgres.server is None:
        not_applicable("needs the suite's own server and its statement log")
    due = future_monday(today()).isoformat()
    add(todo, "Buy milk", f"due:{due}", *tags)
    add(todo, "Water the plants", f"due:{due}", "recur:weekly", *tags)
    plain = statements(postgres, todo, "done", "1")
    recurring = statements(postgres, todo, "done", "2")
    print(f"\nstatements ({len(tags)} tags): plain done {len(plain)}, recurring {len(recurring)}")
    print("\n".join(f"  plain:     {s.sql[:110]}" for s in plain))
    print("\n".join(f"  recurring: {s.sql[:110]}" for s in recurring))
    assert len(recurring) <= len(plain) + 2, recurring
    assert len(every_task(todo)) == 3
