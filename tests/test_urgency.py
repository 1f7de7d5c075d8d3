"""Urgency, the number `todo list` sorts by, held to the table in its docstring.

Pure and fast: no database, and the clock is passed in. That the database computes the
same numbers is tested on both backends in test_organize.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from tests.conftest import Todo
from todo_cli.domain import urgency as module
from todo_cli.domain.urgency import due_factor, rounded, urgency

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
README = Path(__file__).resolve().parent.parent / "README.md"


def score(
    *,
    priority: str | None = None,
    due_in_days: float | None = None,
    age_days: float = 0.0,
    tags: int = 0,
    project: bool = False,
    blocking: bool = False,
    blocked: bool = False,
) -> float:
    """Urgency of a task described relative to NOW."""
    return urgency(
        priority=priority,
        due=None if due_in_days is None else NOW + timedelta(days=due_in_days),
        created_at=NOW - timedelta(days=age_days),
        tag_count=tags,
        has_project=project,
        blocking=blocking,
        blocked=blocked,
        now=NOW,
    )


def test_a_bare_new_task_is_zero() -> None:
    assert score() == 0.0


@pytest.mark.parametrize(("priority", "weight"), [("H", 6.0), ("M", 3.9), ("L", 1.8), (None, 0)])
def test_priority_weights(priority: str | None, weight: float) -> None:
    assert score(priority=priority) == weight


def test_high_outranks_medium_outranks_low_outranks_none() -> None:
    assert score(priority="H") > score(priority="M") > score(priority="L") > score()


@pytest.mark.parametrize("days", [14, 15, 100, 10_000])
def test_a_due_two_weeks_away_or_more_is_twelve_times_0_2(days: float) -> None:
    assert score(due_in_days=days) == 2.4


@pytest.mark.parametrize("days_overdue", [7, 7.5, 8, 365])
def test_a_due_a_week_overdue_or_more_is_the_full_twelve(days_overdue: float) -> None:
    assert score(due_in_days=-days_overdue) == 12.0


@pytest.mark.parametrize(
    ("days_overdue", "factor"),
    [(-14, 0.2), (-10.5, 0.3333), (-7, 0.4667), (-3.5, 0.6), (0, 0.7333), (3.5, 0.8667), (7, 1)],
)
def test_the_due_factor_is_linear_from_14_days_away_to_7_days_overdue(
    days_overdue: float, factor: float
) -> None:
    # 0.8 over 21 days: each day nearer adds 0.8 / 21 = 0.0381 to the factor.
    assert due_factor(days_overdue) == pytest.approx(factor, abs=1e-4)


def test_the_due_term_rises_every_hour_as_the_due_nears_and_passes() -> None:
    hourly = [score(due_in_days=-hours / 24) for hours in range(-14 * 24, 7 * 24 + 1)]
    assert all(a < b for a, b in pairwise(hourly))


def test_a_due_outranks_no_due() -> None:
    assert score(due_in_days=365) > score()


def test_a_task_a_week_overdue_outranks_a_high_priority_one_due_later() -> None:
    # 12 for the due against 6 + 2.4: a missed date weighs more than a priority.
    assert score(due_in_days=-7) > score(priority="H", due_in_days=30)


@pytest.mark.parametrize(
    ("age_days", "term"), [(0, 0.0), (36.5, 0.2), (182.5, 1.0), (365, 2.0), (3650, 2.0)]
)
def test_age_grows_to_two_over_a_year_then_stays(age_days: float, term: float) -> None:
    assert score(age_days=age_days) == term


def test_a_task_from_the_future_has_no_age() -> None:
    # A clock that went backwards must not make a task less urgent than a new one.
    assert score(age_days=-3) == 0.0


@pytest.mark.parametrize(("tags", "term"), [(0, 0.0), (1, 0.8), (2, 0.9), (3, 1.0), (4, 1.0)])
def test_tags_count_up_to_three(tags: int, term: float) -> None:
    assert score(tags=tags) == term


def test_thirty_tags_count_as_three() -> None:
    assert score(tags=30) == 1.0


def test_a_project_adds_one() -> None:
    assert score(project=True) == 1.0


def test_blocking_another_task_adds_eight() -> None:
    assert score(blocking=True) == 8.0


def test_being_blocked_takes_five() -> None:
    assert score(blocked=True) == -5.0
    assert score(priority="H", blocked=True) == 1.0


def test_the_terms_add_up() -> None:
    total = score(priority="M", due_in_days=3.5, age_days=36.5, tags=2, project=True)
    assert total == pytest.approx(3.9 + 12 * 0.6 + 0.2 + 0.9 + 1.0, abs=1e-4)


def test_urgency_is_rounded_to_four_decimals() -> None:
    value = score(due_in_days=1 / 3, age_days=1 / 7)
    assert value == round(value, 4)
    assert rounded(1.23456789) == 1.2346


def test_the_weights_are_taskwarriors_defaults() -> None:
    # Users of Taskwarrior expect its order: urgency.*.coefficient in its taskrc(5).
    assert module.PRIORITY == {"H": 6.0, "M": 3.9, "L": 1.8}
    assert (module.DUE, module.AGE, module.TAGS, module.PROJECT) == (12.0, 2.0, 1.0, 1.0)
    assert (module.BLOCKING, module.BLOCKED) == (8.0, -5.0)


def test_the_documents_and_the_formula_agree_on_the_due_day() -> None:
    on_the_day = {round(due_factor(-hours / 24), 4) for hours in range(24)}
    for document in (module.__doc__ or "", README.read_text(encoding="utf-8")):
        claims_0_8 = "0.8 on the day it is due" in document
        assert not claims_0_8 or 0.8 in on_the_day


def test_the_readme_states_the_formula() -> None:
    text = README.read_text(encoding="utf-8").lower()
    assert "urgency" in text
    for weight in ("6.0", "3.9", "1.8", "12.0", "365", "8.0", "-5.0"):
        assert weight in text


def test_a_done_task_has_no_urgency_and_lists_after_the_open_ones(todo: Todo) -> None:
    for args in (["A", "pri:H", "due:yesterday"], ["B", "dep:1"], ["C", "dep:2"]):
        assert todo("add", *args).exit_code == 0
    assert todo("done", "1").exit_code == 0
    listed = todo("list", "--all", "--json").json()
    assert [(t["number"], t["urgency"]) for t in listed][-1] == (1, 0.0)
    assert [t["number"] for t in listed] == [2, 3, 1]  # 3 is blocked: below 0, above done
    done = todo("list", "--done", "--json").json()
    assert [t["urgency"] for t in done] == [0.0]
    reopened = todo("reopen", "1", "--json")
    assert reopened.exit_code == 0
    assert reopened.json()[0]["urgency"] > 0


def test_all_lists_the_done_tasks_as_done_does_latest_completed_first(todo: Todo) -> None:
    for title in ("A", "B", "C", "D", "E"):
        assert todo("add", title).exit_code == 0
    for number in ("3", "1", "4"):  # one command each: three completion times
        assert todo("done", number).exit_code == 0

    def numbers(*args: str) -> list[int]:
        return [task["number"] for task in todo("list", *args, "--json").json()]

    assert numbers("--done") == [4, 1, 3]
    assert numbers("--all") == [2, 5, 4, 1, 3]
    assert numbers("--all", "--reverse") == [3, 1, 4, 5, 2]
