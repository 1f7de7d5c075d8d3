"""The words of `todo add` and `todo edit`: text, +tags and key:value modifiers.

Pure and fast: no database, and the clock is passed in. The date words themselves are
tested in test_dates.py; here only how a modifier hands its value to them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from todo_cli.domain.dates import day_end, day_start
from todo_cli.domain.modifiers import Words, parse_words, values
from todo_cli.errors import ExitCode, InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")
# A Monday, at noon in Berlin.
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN)
FRIDAY = date(2026, 12, 4)


def add_words(line: str) -> Words:
    return parse_words(line.split(), editing=False)


def edit_words(line: str) -> Words:
    return parse_words(line.split(), editing=True)


def checked(line: str, *, editing: bool = False, **flags: str | None) -> dict[str, object]:
    words = parse_words(line.split(), editing=editing)
    return values(words, now=NOW, tz=BERLIN, flags=flags)


def refusal(line: str, *, editing: bool = False) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        checked(line, editing=editing)
    return caught.value


# --- text and modifiers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "title"),
    [
        (["Call", "", "mom"], "Call mom"),
        (["Buy", "  milk  "], "Buy milk"),
        (["\t", "New  York", " trip"], "New  York trip"),  # a word's own spaces stay
        (["", " "], "  "),  # all blank: refused as an empty title
    ],
)
def test_text_words_are_joined_by_single_spaces(words: list[str], title: str) -> None:
    assert parse_words(words, editing=False).title == title


def test_the_issue_example_is_a_title_and_four_modifiers() -> None:
    words = add_words("Call the bank +finance project:home.admin due:fri pri:H")
    assert words.title == "Call the bank"
    assert words.add_tags == ("finance",)
    assert words.raw == {"project": "home.admin", "due": "fri", "priority": "H"}


def test_plain_words_are_the_title_joined_by_single_spaces() -> None:
    words = parse_words(["Buy", "milk"], editing=False)
    assert words.title == "Buy milk"
    assert words.raw == {}
    assert words.add_tags == ()


def test_one_quoted_argument_is_the_title_as_it_was_typed() -> None:
    assert parse_words(["Buy milk"], editing=False).title == "Buy milk"


def test_modifiers_may_come_anywhere_among_the_words() -> None:
    words = add_words("pri:H Call +finance the due:fri bank")
    assert words.title == "Call the bank"
    assert words.add_tags == ("finance",)
    assert words.raw == {"priority": "H", "due": "fri"}


def test_only_modifiers_is_no_title() -> None:
    assert add_words("+finance pri:H").title is None


def test_after_a_double_dash_every_word_is_text() -> None:
    words = add_words("-- +1 is text due:fri")
    assert words.title == "+1 is text due:fri"
    assert words.add_tags == ()
    assert words.raw == {}


def test_words_before_a_double_dash_are_still_modifiers() -> None:
    words = add_words("pri:H -- due:fri +x")
    assert words.raw == {"priority": "H"}
    assert words.title == "due:fri +x"


@pytest.mark.parametrize(
    "line",
    ["re: meeting", "http://example.com", "note:call them", "at 10:30", "ratio 3:1", "due.x:fri"],
)
def test_an_unknown_key_is_text(line: str) -> None:
    words = add_words(line)
    assert words.title == line
    assert words.raw == {}


@pytest.mark.parametrize(
    ("word", "field"),
    [
        ("project:home", "project"),
        ("pro:home", "project"),
        ("due:fri", "due"),
        ("wait:fri", "wait"),
        ("pri:H", "priority"),
        ("priority:H", "priority"),
        ("recur:weekly", "recur"),
    ],
)
def test_known_keys_and_their_short_forms(word: str, field: str) -> None:
    assert field in add_words(f"t {word}").raw


def test_a_key_is_known_in_any_case() -> None:
    assert add_words("t PRI:h Due:fri").raw == {"priority": "h", "due": "fri"}


def test_a_key_given_twice_is_refused_naming_both_words() -> None:
    error = refusal("t due:fri due:mon")
    assert "due:fri" in error.message
    assert "due:mon" in error.message


def test_a_key_given_twice_under_two_spellings_is_refused() -> None:
    error = refusal("t pri:H priority:L")
    assert "pri:H" in error.message
    assert "priority:L" in error.message


def test_dependencies_are_parsed_as_additions_and_removals() -> None:
    words = edit_words("dep:3,7 dep:-4")
    assert words.add_depends == ("3", "7")
    assert words.remove_depends == ("4",)


def test_an_empty_dependency_value_clears_and_an_empty_item_is_refused() -> None:
    words = edit_words("dep: dep:3")
    assert (words.clear_depends, words.add_depends, words.changes_anything) == (True, ("3",), True)
    assert edit_words("dep:").changes_anything
    assert not edit_words("dep:3").clear_depends
    assert refusal("t dep:3,").message == "'dep:3,': an empty task reference"


# --- tags ---------------------------------------------------------------------------


def test_tags_are_collected_in_order() -> None:
    assert add_words("t +b +a +café").add_tags == ("b", "a", "café")


def test_a_dash_word_is_text_when_adding() -> None:
    words = add_words("pay -home rent")
    assert words.title == "pay -home rent"
    assert words.remove_tags == ()


def test_a_dash_word_removes_a_tag_when_editing() -> None:
    words = edit_words("-home +work -t")
    assert words.remove_tags == ("home", "t")
    assert words.add_tags == ("work",)
    assert words.title is None


def test_a_lone_dash_is_text_when_editing() -> None:
    assert edit_words("a - b").title == "a - b"


@pytest.mark.parametrize(
    ("word", "why"),
    [
        ("+" + "a" * 51, "51 characters"),
        ("+has.dot", "starts with a letter"),
        ("+a:b", "starts with a letter"),
        ("+a$", "starts with a letter"),
        ("+overdue", "filter"),
        ("+blocked", "filter"),
    ],
    ids=["51-characters", "dot", "colon", "dollar-after-a-letter", "overdue", "blocked"],
)
def test_a_bad_tag_is_refused_naming_the_word(word: str, why: str) -> None:
    error = refusal(f"t {word}")
    assert error.exit_code == ExitCode.USAGE
    assert repr(word) in error.message
    assert why in error.message


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("vote +1 on the PR", "vote +1 on the PR"),
        ("Learn C + Python", "Learn C + Python"),
        ("+1st draft", "+1st draft"),
        ("save +$5 a day", "save +$5 a day"),
        ("c++ and +_x", "c++ and +_x"),
    ],
    ids=["plus-one", "lone-plus", "digit-first", "dollar", "underscore-first"],
)
def test_a_plus_word_with_no_letter_after_the_sign_is_text(line: str, title: str) -> None:
    # No tag starts that way, so it is no tag typed wrong: it is text, as Taskwarrior has it.
    words = add_words(line)
    assert words.title == title
    assert words.add_tags == ()


def test_a_minus_word_with_no_letter_after_the_sign_is_text_when_editing() -> None:
    words = edit_words("rate -5 points -home")
    assert words.title == "rate -5 points"
    assert words.remove_tags == ("home",)


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [("t proj:home", "project", "home"), ("t prio:h", "priority", "h")],
    ids=["proj", "prio"],
)
def test_taskwarriors_own_key_spellings_are_keys(line: str, field: str, value: str) -> None:
    words = add_words(line)
    assert words.title == "t"
    assert words.raw == {field: value}


def test_depends_is_taskwarriors_spelling_of_dep() -> None:
    words = add_words("t depends:3,7")
    assert words.title == "t"
    assert words.add_depends == ("3", "7")


def test_a_50_character_tag_is_fine() -> None:
    assert add_words("t +" + "a" * 50).add_tags == ("a" * 50,)


def test_a_bad_tag_to_remove_is_refused_too() -> None:
    assert "'-a.b'" in refusal("-a.b", editing=True).message


def test_a_refused_tag_says_how_to_write_it_as_text() -> None:
    assert "--" in (refusal("t +a.b").hint or "")


# --- values ----------------------------------------------------------------------------


def test_due_as_a_weekday_is_the_end_of_that_local_day() -> None:
    due = checked("t due:fri")["due"]
    assert due == day_end(FRIDAY, BERLIN)
    assert isinstance(due, datetime)
    assert due.tzinfo == UTC
    local = due.astimezone(BERLIN)
    assert (local.date(), local.time()) == (FRIDAY, time(23, 59, 59, 999999))


def test_wait_as_a_day_is_the_start_of_that_local_day() -> None:
    assert checked("t wait:fri")["wait"] == day_start(FRIDAY, BERLIN)


def test_a_due_with_a_time_is_that_instant() -> None:
    assert checked("t due:2026-12-24T17:00")["due"] == datetime(2026, 12, 24, 16, 0, tzinfo=UTC)


def test_priority_is_upper_cased() -> None:
    assert checked("t pri:m")["priority"] == "M"


def test_a_dotted_project_is_kept() -> None:
    assert checked("t project:home.garden.shed")["project"] == "home.garden.shed"


@pytest.mark.parametrize("word", ["due:", "wait:", "pri:", "priority:", "project:", "pro:"])
def test_an_empty_value_clears_the_field(word: str) -> None:
    assert list(checked(word, editing=True).values()) == [None]


def test_values_holds_only_the_fields_given() -> None:
    assert set(checked("t pri:H")) == {"priority"}


@pytest.mark.parametrize(
    ("word", "why"),
    [
        ("pri:X", "H, M, L"),
        ("pri:HH", "H, M, L"),
        ("project:a..b", "not a project"),
        ("project:.a", "not a project"),
        ("project:a.", "not a project"),
        ("project:1a", "not a project"),
        ("project:" + "a" * 101, "101 characters"),
        ("due:31/12", "not a date"),
        ("due:2026-02-30", "February 30"),
        ("due:tomorow", "not a date"),
        ("wait:next-friday", "not a date"),
    ],
)
def test_a_known_key_with_a_bad_value_is_refused_naming_the_word(word: str, why: str) -> None:
    error = refusal(f"t {word}")
    assert error.exit_code == ExitCode.USAGE
    assert repr(word) in error.message
    assert why in error.message


@pytest.mark.parametrize("word", ["due:31/12", "due:tomorow", "wait:xmas"])
def test_a_refused_date_lists_the_accepted_forms(word: str) -> None:
    hint = refusal(f"t {word}").hint or ""
    assert "eow" in hint
    assert "2026-12-24" in hint


# Of an accepted form, but no such day: the days there are, not every form again.
def test_a_day_that_does_not_exist_says_which_days_there_are() -> None:
    assert refusal("t due:2026-02-30").hint == "give a day from 01 to 28"


def test_a_100_character_project_is_fine() -> None:
    project = "a" * 49 + "." + "b" * 50
    assert checked(f"t project:{project}")["project"] == project


def test_flags_set_fields_like_words() -> None:
    found = checked("t", project="home", due="fri", wait="fri", priority="l")
    assert found == {
        "project": "home",
        "due": day_end(FRIDAY, BERLIN),
        "wait": day_start(FRIDAY, BERLIN),
        "priority": "L",
    }


def test_a_flag_and_the_same_modifier_are_refused_naming_both() -> None:
    # Neither is dropped silently: two words for one field are refused too.
    with pytest.raises(InvalidInput, match=r"'pri:H' and --priority L both set priority"):
        checked("t pri:H", priority="L")


def test_a_flag_left_out_changes_nothing() -> None:
    assert checked("t pri:H", priority=None) == {"priority": "H"}


def test_a_bad_flag_is_refused_naming_the_flag() -> None:
    with pytest.raises(InvalidInput) as caught:
        values(add_words("t"), now=NOW, tz=BERLIN, flags={"due": "tomorow"})
    assert "--due tomorow" in caught.value.message


def test_a_flag_value_is_not_parsed_as_words() -> None:
    # A script passes one value per flag; a space in it is no word boundary.
    with pytest.raises(InvalidInput):
        values(add_words("t"), now=NOW, tz=BERLIN, flags={"priority": "H pri:L"})


def test_dates_are_relative_to_the_given_clock() -> None:
    later = NOW + timedelta(days=7)
    found = values(add_words("t due:fri"), now=later, tz=BERLIN)
    assert found["due"] == day_end(FRIDAY + timedelta(days=7), BERLIN)


def test_dates_are_whole_days_in_the_given_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    in_tokyo = values(add_words("t due:2026-12-24"), now=NOW, tz=tokyo)["due"]
    in_berlin = values(add_words("t due:2026-12-24"), now=NOW, tz=BERLIN)["due"]
    assert in_tokyo == day_end(date(2026, 12, 24), tokyo)
    assert in_berlin - in_tokyo == timedelta(hours=8)
