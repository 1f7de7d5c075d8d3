"""The filter language of `list`, `done` and `delete`: terms into a plain description.

Pure and fast: no database, and the clock is passed in. What the description selects is
tested through the CLI on both backends (test_organize.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from todo_cli.domain.dates import day_end, day_start
from todo_cli.domain.filters import Filter, is_filter_term, parse_filter
from todo_cli.errors import ExitCode, InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")
# A Monday, at noon in Berlin: this week ends on Sunday December 6.
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN)
SUNDAY = date(2026, 12, 6)


def parsed(line: str) -> Filter:
    return parse_filter(line.split(), now=NOW, tz=BERLIN)


def refusal(line: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parsed(line)
    return caught.value


def test_no_terms_is_the_empty_filter() -> None:
    assert parse_filter([], now=NOW, tz=BERLIN).is_empty


def test_a_term_makes_the_filter_non_empty() -> None:
    assert not parsed("+work").is_empty


def test_the_issue_example_with_every_kind_of_term() -> None:
    found = parsed("+work -home project:home pri:H due.before:eow +overdue words")
    assert found == Filter(
        with_tags=("work",),
        without_tags=("home",),
        project="home",
        priority="H",
        # Before the end of the week includes the week's Sunday.
        due_before=day_start(SUNDAY + timedelta(days=1), BERLIN),
        overdue=True,
        words=("words",),
    )


def test_tags_with_and_without() -> None:
    found = parsed("+a +b -c -d")
    assert found.with_tags == ("a", "b")
    assert found.without_tags == ("c", "d")


def test_project_keeps_its_name() -> None:
    assert parsed("project:home.garden").project == "home.garden"
    assert parsed("pro:home").project == "home"


def test_an_empty_project_means_tasks_in_no_project() -> None:
    assert parsed("project:").project == ""


def test_priority_is_upper_cased() -> None:
    assert parsed("pri:h").priority == "H"
    assert parsed("priority:L").priority == "L"


def test_an_empty_priority_means_tasks_with_none() -> None:
    assert parsed("pri:").priority == ""


def test_due_on_a_day_is_that_whole_local_day() -> None:
    found = parsed("due:2026-12-24")
    assert found.due_from == day_start(date(2026, 12, 24), BERLIN)
    assert found.due_to == day_end(date(2026, 12, 24), BERLIN)


@pytest.mark.parametrize(
    ("term", "day"),
    [
        ("due:2026-12-24T17:00", date(2026, 12, 24)),
        ("due:2026-12-24T00:30", date(2026, 12, 24)),  # 23:30 UTC the day before
        ("due:2026-12-24T23:30:00Z", date(2026, 12, 25)),  # 00:30 in Berlin
        ("due:now", date(2026, 11, 30)),
        ("due:13h", date(2026, 12, 1)),  # 01:00 tomorrow
    ],
)
def test_due_at_an_instant_is_the_local_day_of_that_instant(term: str, day: date) -> None:
    found = parsed(term)
    assert found.due_from == day_start(day, BERLIN)
    assert found.due_to == day_end(day, BERLIN)


def test_an_empty_due_means_tasks_with_none() -> None:
    found = parsed("due:")
    assert found.due_none
    assert found.due_from is None


def test_due_before_a_day_is_before_the_day_starts() -> None:
    assert parsed("due.before:tomorrow").due_before == day_start(date(2026, 12, 1), BERLIN)


def test_due_after_a_day_is_after_the_day_ends() -> None:
    assert parsed("due.after:tomorrow").due_after == day_end(date(2026, 12, 1), BERLIN)


def test_minus_overdue_is_not_overdue_not_a_tag() -> None:
    found = parsed("-overdue")
    assert found.overdue is False
    assert found.without_tags == ()
    assert parsed("pri:H").overdue is None


def test_overdue_and_blocked_are_conditions_not_tags() -> None:
    found = parsed("+overdue +blocked")
    assert found.overdue
    assert found.blocked is True
    assert found.with_tags == ()
    assert parsed("-blocked").blocked is False


@pytest.mark.parametrize("terms", ["+overdue -overdue", "-blocked pri:H +blocked"])
def test_a_condition_and_its_opposite_are_refused(terms: str) -> None:
    # Taking the last one, `todo done +overdue -overdue` completed tasks the
    # first term excluded; both at once match no task.
    name = terms.split()[-1][1:]
    with pytest.raises(InvalidInput, match=f"\\+{name} and -{name} are both given"):
        parsed(terms)
    assert parsed("+overdue +overdue").overdue is True


def test_plain_words_are_searched_for() -> None:
    assert parsed("Café milk").words == ("Café", "milk")


@pytest.mark.parametrize("term", ["re:meeting", "http://example.com", "+1", "+1st", "-1st", "+"])
def test_an_unknown_key_is_a_word_to_search_for(term: str) -> None:
    # (A sign with no letter after it starts no tag: `+1` is text, as on add.)
    assert parsed(term).words == (term,)


@pytest.mark.parametrize(
    "term",
    [
        "due.soon:fri",
        "due.befor:tomorrow",
        "pri.above:L",
        "project.not:home",
        "recur:daily",
        "wait:tomorrow",
        "dep:1",
        "depends:1",
        "WAIT.after:fri",
    ],
)
def test_a_key_that_is_no_filter_is_refused_not_searched_for(term: str) -> None:
    # Searched for as text it would match nothing, and the empty list would look
    # like the answer to a filter that does not exist.
    error = refusal(term)
    assert error.exit_code == ExitCode.USAGE
    assert f"{term!r}: {term.partition(':')[0]}: is not a filter term" in error.message
    assert "due.before:DATE" in (error.hint or "")


@pytest.mark.parametrize(
    ("term", "instead"),
    [
        (
            "status:pending",
            "todo has no status: filter; use the command's --all, --done or --waiting "
            "(see its --help)",
        ),
        (
            "Status:completed",
            "todo has no status: filter; use the command's --all, --done or --waiting "
            "(see its --help)",
        ),
        ("description.contains:milk", "todo has no description: filter; use words"),
        ("tags.has:home", "todo has no tags: filter; use +tag and -tag"),
        ("entry.before:eow", "todo has no entry: filter; use list --sort created"),
        ("limit:5", "todo has no limit: filter; use list --limit N"),
        ("scheduled:today", "todo has no scheduled: filter; after -- it is text"),
    ],
)
def test_a_taskwarrior_filter_is_refused_saying_what_todo_has(term: str, instead: str) -> None:
    # `todo export status:pending` exported nothing, exit 0: an empty backup.
    error = refusal(term)
    assert error.exit_code == ExitCode.USAGE
    assert error.message == f"{term!r} is a Taskwarrior filter, not one of todo's"
    assert (error.hint or "").startswith(instead)
    assert (error.hint or "").endswith("after -- it is text to search for")


@pytest.mark.parametrize(
    ("line", "term", "named"),
    [
        ("+a or +b", "or", "or"),
        ("+a and -b", "and", "and"),
        ("+a xor +b", "xor", "xor"),
        ("+a OR +b", "OR", "or"),
        ("( +a or +b )", "(", "parentheses"),
        ("(+a +b)", "(+a", "parentheses"),
        ("+a pro:home)", "pro:home)", "parentheses"),
        ("or", "or", "or"),
    ],
)
def test_taskwarriors_operators_are_refused_not_searched_for(
    line: str, term: str, named: str
) -> None:
    # `todo list +a or +b` searched for the word "or" among the tasks tagged a and b:
    # an empty list, exit 0, that read as "nothing tagged a or b".
    error = refusal(line)
    assert error.exit_code == ExitCode.USAGE
    assert error.message == f"{term!r} is Taskwarrior's filter syntax, not todo's"
    assert (error.hint or "").startswith(f"todo has no {named}: every term must match")
    # Every term must match already: `and` is left out, not listed apart.
    advice = "already, so leave it out" if named == "and" else "so for either of two, list each"
    assert advice in (error.hint or "")
    assert (error.hint or "").endswith("after -- it is text to search for")


def test_an_operator_after_a_double_dash_and_a_word_with_brackets_are_text() -> None:
    assert parsed("+a -- or (b)").words == ("or", "(b)")
    assert parsed("(draft) notes)").words == ("(draft)", "notes)")


def test_taskwarriors_spellings_of_project_and_priority_filter() -> None:
    found = parsed("proj:home prio:h")
    assert (found.project, found.priority) == ("home", "H")


@pytest.mark.parametrize(
    ("term", "why"),
    [
        ("pri:X", "H, M or L"),
        ("project:a..b", "not a project"),
        ("+a.b", "not a tag"),
        ("-a$", "not a tag"),
        ("due:tomorow", "not a date"),
        ("due.before:31/12", "not a date"),
        ("due.after:2026-02-30", "February 30"),
    ],
)
def test_a_bad_term_is_refused_naming_it(term: str, why: str) -> None:
    error = refusal(term)
    assert error.exit_code == ExitCode.USAGE
    assert repr(term) in error.message
    assert why in error.message


def test_a_refused_date_lists_the_accepted_forms() -> None:
    hint = refusal("due.before:tomorow").hint or ""
    assert "eow" in hint
    assert "2026-12-24" in hint


def test_a_refused_term_lists_the_filter_terms() -> None:
    assert "+overdue" in (refusal("pri:X").hint or "")


def test_a_key_given_twice_is_refused() -> None:
    assert "'pri:L'" in refusal("pri:H pri:L").message


def test_dates_are_relative_to_the_given_clock() -> None:
    next_week = parse_filter(["due.before:eow"], now=NOW + timedelta(days=7), tz=BERLIN)
    assert next_week.due_before == day_start(SUNDAY + timedelta(days=8), BERLIN)


@pytest.mark.parametrize("value", ["eow", " eow", "EOW ", "\teom", "eoy\n"])
def test_the_end_of_a_period_is_the_same_with_spaces_around_it(value: str) -> None:
    # `'due.before: eow'` parsed the date (which takes the spaces) but missed the
    # period's last day, which `due.before:eow` includes.
    spaced = parse_filter([f"due.before:{value}"], now=NOW, tz=BERLIN)
    bare = parse_filter([f"due.before:{value.strip().lower()}"], now=NOW, tz=BERLIN)
    assert spaced.due_before == bare.due_before
    assert spaced.due_before is not None


@pytest.mark.parametrize(
    ("word", "is_term"),
    [
        ("+work", True),
        ("-home", True),
        ("+overdue", True),
        ("project:home", True),
        ("PRI:h", True),
        ("due.before:eow", True),
        ("12", False),
        ("#12", False),
        ("-12", False),
        ("+12", False),
        ("1a2b3c", False),
        ("re:meeting", False),
        ("milk", False),
    ],
)
def test_a_filter_term_is_told_from_a_task_reference(word: str, is_term: bool) -> None:
    # `todo done 12` names a task; `todo done +errand` is a filter.
    assert is_filter_term(word) is is_term
