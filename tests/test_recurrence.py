"""Recurrence: the grammar, its canonical text, and the successor's due.

Pure and fast: the clock is passed in. Run ``pytest -s -k cadence_table`` to print the
cadence table in local times.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from todo_cli.domain.dates import add_months, day_end, day_start, is_all_day, local_text, localize
from todo_cli.domain.recurrence import (
    ACCEPTED_FORMS,
    MAX_COUNT,
    Recurrence,
    Successor,
    Unit,
    next_due,
    parse_recur,
    shift,
)
from todo_cli.errors import ExitCode, InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def instant(text: str, tz: tzinfo) -> datetime:
    """``2026-06-08`` as a date-only due (the day's end), ``2026-06-08 09:00`` as a time."""
    if len(text) == len("2026-06-08"):
        return day_end(date.fromisoformat(text), tz)
    return localize(datetime.fromisoformat(text), tz)


def shown(value: datetime, tz: tzinfo) -> str:
    """A due for the printed table: weekday, local date, and time with its zone if timed."""
    local = value.astimezone(tz)
    text = f"{local:%a} {local_text(value, tz)}"
    return text if is_all_day(value, tz) else f"{text} {local:%Z}"


# -- grammar and canonical text ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("daily", Recurrence(Unit.DAY), "daily"),
        ("weekly", Recurrence(Unit.WEEK), "weekly"),
        ("monthly", Recurrence(Unit.MONTH), "monthly"),
        ("yearly", Recurrence(Unit.YEAR), "yearly"),
        ("weekdays", Recurrence(Unit.WEEKDAY), "weekdays"),
        ("+weekly", Recurrence(Unit.WEEK), "weekly"),
        ("+weekdays", Recurrence(Unit.WEEKDAY), "weekdays"),
        ("+1d", Recurrence(Unit.DAY), "daily"),
        ("+1w", Recurrence(Unit.WEEK), "weekly"),
        ("+1m", Recurrence(Unit.MONTH), "monthly"),
        ("+1y", Recurrence(Unit.YEAR), "yearly"),
        ("+2w", Recurrence(Unit.WEEK, 2), "+2w"),
        ("+3d", Recurrence(Unit.DAY, 3), "+3d"),
        ("1d", Recurrence(Unit.DAY, 1, cadence=False), "1d"),
        ("1w", Recurrence(Unit.WEEK, 1, cadence=False), "1w"),
        ("2w", Recurrence(Unit.WEEK, 2, cadence=False), "2w"),
        ("6m", Recurrence(Unit.MONTH, 6, cadence=False), "6m"),
        ("1y", Recurrence(Unit.YEAR, 1, cadence=False), "1y"),
        ("999d", Recurrence(Unit.DAY, MAX_COUNT, cadence=False), "999d"),
        ("+999y", Recurrence(Unit.YEAR, MAX_COUNT), "+999y"),
        ("007d", Recurrence(Unit.DAY, 7, cadence=False), "7d"),
        ("00001d", Recurrence(Unit.DAY, 1, cadence=False), "1d"),
        ("Weekly", Recurrence(Unit.WEEK), "weekly"),
        ("WEEKDAYS", Recurrence(Unit.WEEKDAY), "weekdays"),
        ("+2W", Recurrence(Unit.WEEK, 2), "+2w"),
        (" monthly ", Recurrence(Unit.MONTH), "monthly"),
    ],
)
def test_parse_and_canonical_text(text: str, expected: Recurrence, canonical: str) -> None:
    parsed = parse_recur(text)
    assert parsed == expected
    assert str(parsed) == canonical
    assert parse_recur(str(parsed)) == parsed


def test_every_recurrence_round_trips_through_its_text() -> None:
    every = [Recurrence(Unit.WEEKDAY)] + [
        Recurrence(unit, count, cadence)
        for unit in (Unit.DAY, Unit.WEEK, Unit.MONTH, Unit.YEAR)
        for count in range(1, MAX_COUNT + 1)
        for cadence in (True, False)
    ]
    texts = {str(rec) for rec in every}
    assert len(texts) == len(every)
    for rec in every:
        assert parse_recur(str(rec)) == rec


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "+",
        "d",
        "biweekly",
        "weekday",
        "fortnightly",
        "every week",
        "1 w",
        "1.5w",
        "2x",
        "1h",
        "-1w",
        "++1w",
        "2weekdays",
        "2daily",
        "w1",
        "\u0661w",  # ARABIC-INDIC DIGIT ONE
    ],
)
def test_anything_else_is_refused_naming_the_word_and_forms(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_recur(text)
    error = caught.value
    assert error.exit_code == ExitCode.USAGE
    assert error.message == f"recur: {text!r} is not a recurrence"
    assert error.hint == f"use {ACCEPTED_FORMS}"
    for form in ("daily", "weekly", "monthly", "yearly", "weekdays", "Nd", "+Nw", "1 to 999"):
        assert form in error.hint


@pytest.mark.parametrize("text", ["0d", "+0w", "1000d", "+1000m", "99999999999999999999y"])
def test_count_out_of_bounds_says_the_bounds(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_recur(text)
    assert caught.value.message == (
        f"recur: {text!r} is not a recurrence: the count must be from 1 to 999"
    )


def test_refusal_reads_as_one_line_for_the_user() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_recur("biweekly")
    assert str(caught.value) == (
        "recur: 'biweekly' is not a recurrence (use daily, weekly, monthly, yearly, weekdays, "
        "Nd, Nw, Nm, Ny after completion, +Nd, +Nw, +Nm, +Ny on the due dates' cadence, "
        "N from 1 to 999)"
    )


@pytest.mark.parametrize(
    ("unit", "count", "cadence"),
    [
        (Unit.DAY, 0, True),
        (Unit.DAY, 1000, False),
        (Unit.WEEKDAY, 2, True),
        (Unit.WEEKDAY, 1, False),
    ],
)
def test_a_recurrence_that_cannot_be_written_cannot_be_built(
    unit: Unit, count: int, cadence: bool
) -> None:
    with pytest.raises(ValueError, match=r"count|weekdays"):
        Recurrence(unit, count, cadence)


# -- the cadence table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One successor: local texts in ``zone``; the task is completed, and ``now`` is, at
    ``completed``. ``anchor`` defaults to ``due`` and ``index`` to 0 (the first task)."""

    rule: str
    recur: str
    due: str
    completed: str
    expected: str
    expected_index: int
    zone: ZoneInfo = BERLIN
    anchor: str | None = None
    index: int = 0


TABLE = [
    Row("weekly from a Monday stays on Mondays", "weekly", "2026-06-08", "2026-06-10 10:00",
        "2026-06-15", 1),
    Row("+1w is weekly", "+1w", "2026-06-08", "2026-06-10 10:00", "2026-06-15", 1),
    Row("weekly, timed, done the next Sunday", "weekly", "2026-06-08 09:00", "2026-06-14 20:00",
        "2026-06-15 09:00", 1),
    Row("monthly from Jan 31", "monthly", "2026-01-31", "2026-01-31 18:00", "2026-02-28", 1),
    Row("... the 31st comes back", "monthly", "2026-02-28", "2026-02-28 18:00", "2026-03-31", 2,
        anchor="2026-01-31", index=1),
    Row("... and clamps again", "monthly", "2026-03-31", "2026-03-31 18:00", "2026-04-30", 3,
        anchor="2026-01-31", index=2),
    Row("monthly from Jan 31, leap year", "monthly", "2028-01-31", "2028-01-31 18:00",
        "2028-02-29", 1),
    Row("... then Mar 31", "monthly", "2028-02-29", "2028-02-29 18:00", "2028-03-31", 2,
        anchor="2028-01-31", index=1),
    Row("yearly from Feb 29", "yearly", "2028-02-29", "2028-02-29 18:00", "2029-02-28", 1),
    Row("... Feb 28 again", "yearly", "2029-02-28", "2029-02-28 18:00", "2030-02-28", 2,
        anchor="2028-02-29", index=1),
    Row("... Feb 29 in the next leap year", "yearly", "2031-02-28", "2031-02-28 18:00",
        "2032-02-29", 4, anchor="2028-02-29", index=3),
    Row("weekdays from a Thursday", "weekdays", "2026-06-11", "2026-06-11 17:00",
        "2026-06-12", 1),
    Row("weekdays, done on the Friday", "weekdays", "2026-06-12", "2026-06-12 17:00",
        "2026-06-15", 1),
    Row("weekdays, timed, done on the Friday", "weekdays", "2026-06-12 09:00",
        "2026-06-12 09:30", "2026-06-15 09:00", 1),
    Row("weekdays, Friday's done on Saturday", "weekdays", "2026-06-12", "2026-06-13 10:00",
        "2026-06-15", 1),
    Row("weekdays, Friday's done next Tuesday", "weekdays", "2026-06-12", "2026-06-16 10:00",
        "2026-06-16", 2),
    Row("weekdays from a Saturday due", "weekdays", "2026-06-13", "2026-06-13 10:00",
        "2026-06-15", 1),
    Row("weekly, three weeks late", "weekly", "2026-06-01", "2026-06-23 10:00", "2026-06-29", 4),
    Row("weekly, late, due today still counts", "weekly", "2026-06-01", "2026-06-22 10:00",
        "2026-06-22", 3),
    Row("+2w, three weeks late", "+2w", "2026-06-01", "2026-06-22 10:00", "2026-06-29", 2),
    Row("monthly from the 31st, months late", "monthly", "2026-01-31", "2026-04-15 10:00",
        "2026-04-30", 3),
    Row("daily 09:00, done late at 10:00", "daily", "2026-06-01 09:00", "2026-06-10 10:00",
        "2026-06-11 09:00", 10),
    Row("daily, done two days early", "daily", "2026-06-12", "2026-06-10 10:00", "2026-06-13", 1),
    Row("1w after completion", "1w", "2026-06-08", "2026-06-11 15:00", "2026-06-18", 0),
    Row("1w after completion, timed keeps 07:00", "1w", "2026-06-08 07:00", "2026-06-11 20:00",
        "2026-06-18 07:00", 0),
    Row("1m after completion on Jan 31", "1m", "2026-01-31", "2026-01-31 18:00", "2026-02-28", 0),
    Row("3d after completion, done early", "3d", "2026-06-20", "2026-06-10 10:00", "2026-06-13",
        0),
    Row("1d after completion, 22:00 in New York", "1d", "2026-06-10", "2026-06-10 22:00",
        "2026-06-11", 0, zone=NEW_YORK),
    Row("daily date-only into summer time", "daily", "2026-03-28", "2026-03-28 20:00",
        "2026-03-29", 1),
    Row("daily 09:00 into summer time", "daily", "2026-03-28 09:00", "2026-03-28 09:30",
        "2026-03-29 09:00", 1),
    Row("weekly 09:00 into winter time", "weekly", "2026-10-18 09:00", "2026-10-18 09:30",
        "2026-10-25 09:00", 1),
    Row("weekly date-only into winter time", "weekly", "2026-10-18", "2026-10-18 20:00",
        "2026-10-25", 1),
    Row("monthly 09:00 from Jan 31 into summer", "monthly", "2026-02-28 09:00",
        "2026-02-28 09:30", "2026-03-31 09:00", 2, anchor="2026-01-31 09:00", index=1),
    Row("1d after completion 09:00 into summer", "1d", "2026-03-28 09:00", "2026-03-28 10:00",
        "2026-03-29 09:00", 0),
    Row("daily 09:00 into summer time (NY)", "daily", "2026-03-07 09:00", "2026-03-07 09:30",
        "2026-03-08 09:00", 1, zone=NEW_YORK),
    Row("weekly date-only into winter time (NY)", "weekly", "2026-10-31", "2026-10-31 20:00",
        "2026-11-07", 1, zone=NEW_YORK),
    Row("daily 02:30 into the gap moves forward", "daily", "2026-03-07 02:30",
        "2026-03-07 03:00", "2026-03-08 03:30", 1, zone=NEW_YORK),
    Row("... and 02:30 comes back after it", "daily", "2026-03-08 03:30", "2026-03-08 04:00",
        "2026-03-09 02:30", 2, zone=NEW_YORK, anchor="2026-03-07 02:30", index=1),
    Row("daily 01:30 into the overlap: the first", "daily", "2026-10-31 01:30",
        "2026-10-31 02:00", "2026-11-01 01:30", 1, zone=NEW_YORK),
    Row("a moved due re-anchors the series", "monthly", "2026-02-15", "2026-02-15 18:00",
        "2026-03-15", 1, anchor="2026-01-31", index=1),
]  # fmt: skip


def successor_of(row: Row) -> Successor:
    tz = row.zone
    completed = instant(row.completed, tz)
    return next_due(
        parse_recur(row.recur),
        due=instant(row.due, tz),
        anchor=instant(row.anchor or row.due, tz),
        index=row.index,
        completed_at=completed,
        now=completed,
        tz=tz,
    )


@pytest.mark.parametrize("row", TABLE, ids=[row.rule for row in TABLE])
def test_cadence_rules(row: Row) -> None:
    tz = row.zone
    successor = successor_of(row)
    assert shown(successor.due, tz) == shown(instant(row.expected, tz), tz)
    assert successor.due == instant(row.expected, tz)
    assert successor.index == row.expected_index
    if parse_recur(row.recur).cadence:
        assert successor.due > instant(row.completed, tz)
    else:
        assert successor.anchor == successor.due


def test_cadence_table() -> None:
    """Prints the table with ``-s``; it is quoted in the resolution note."""
    header = ("rule", "recur", "zone", "due", "completed (= now)", "successor's due", "#")
    lines = [header]
    for row in TABLE:
        tz = row.zone
        successor = successor_of(row)
        lines.append(
            (
                row.rule,
                row.recur,
                str(tz),
                shown(instant(row.due, tz), tz),
                shown(instant(row.completed, tz), tz),
                shown(successor.due, tz),
                str(successor.index),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rendered = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
                for line in lines]  # fmt: skip
    print("\n" + "\n".join(text.rstrip() for text in rendered))
    assert len(rendered) == len(TABLE) + 1


# -- the series ----------------------------------------------------------------------------


def chain(rec: str, first: datetime, steps: int, tz: tzinfo) -> list[datetime]:
    """Complete each task on its due day, ``steps`` times; the successors' dues."""
    recurrence = parse_recur(rec)
    due, anchor, index, dues = first, first, 0, []
    for _ in range(steps):
        done = due - timedelta(hours=1)
        successor = next_due(
            recurrence, due=due, anchor=anchor, index=index, completed_at=done, now=done, tz=tz
        )
        due, anchor, index = successor.due, successor.anchor, successor.index
        dues.append(due)
    return dues


def test_monthly_from_the_31st_for_a_year() -> None:
    dues = chain("monthly", instant("2026-01-31", BERLIN), 12, BERLIN)
    assert [local_text(due, BERLIN) for due in dues] == [
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
        "2026-10-31",
        "2026-11-30",
        "2026-12-31",
        "2027-01-31",
    ]


def test_yearly_from_feb_29_returns_in_each_leap_year() -> None:
    dues = chain("yearly", instant("2028-02-29", NEW_YORK), 8, NEW_YORK)
    assert [local_text(due, NEW_YORK) for due in dues] == [
        "2029-02-28",
        "2030-02-28",
        "2031-02-28",
        "2032-02-29",
        "2033-02-28",
        "2034-02-28",
        "2035-02-28",
        "2036-02-29",
    ]


def test_weekly_09_00_keeps_its_wall_time_all_year() -> None:
    dues = chain("weekly", instant("2026-01-05 09:00", BERLIN), 60, BERLIN)
    assert {due.astimezone(BERLIN).strftime("%a %H:%M") for due in dues} == {"Mon 09:00"}
    assert {due.astimezone(BERLIN).utcoffset() for due in dues} == {
        timedelta(hours=1),
        timedelta(hours=2),
    }


def test_weekdays_never_falls_on_a_weekend() -> None:
    dues = chain("weekdays", instant("2026-06-10", BERLIN), 30, BERLIN)
    days = [due.astimezone(BERLIN).date() for due in dues]
    assert all(day.weekday() < 5 for day in days)
    assert len(set(days)) == 30
    assert days[-1] == date(2026, 7, 22)  # 30 weekdays after Wednesday 10 June


def test_cadence_keeps_the_anchor_and_counts_the_index() -> None:
    anchor = instant("2026-01-31", BERLIN)
    completed = instant("2026-03-31 10:00", BERLIN)
    result = next_due(
        parse_recur("monthly"),
        due=instant("2026-03-31", BERLIN),
        anchor=anchor,
        index=2,
        completed_at=completed,
        now=completed,
        tz=BERLIN,
    )
    assert result == Successor(instant("2026-04-30", BERLIN), anchor, 3)


def test_after_completion_restarts_the_series_at_the_successor() -> None:
    completed = instant("2026-06-11 15:00", BERLIN)
    result = next_due(
        parse_recur("2w"),
        due=instant("2026-06-08", BERLIN),
        anchor=instant("2026-05-25", BERLIN),
        index=1,
        completed_at=completed,
        now=completed,
        tz=BERLIN,
    )
    assert result == Successor(instant("2026-06-25", BERLIN), instant("2026-06-25", BERLIN), 0)


@pytest.mark.parametrize(
    ("zone", "first", "given", "moved"),
    [
        # The clocks skip 02:00-03:00 (Berlin) and 02:00-02:30 (Lord Howe) that night.
        ("Europe/Berlin", "2026-03-28", "02:30", "03:30"),
        ("Australia/Lord_Howe", "2026-10-03", "02:15", "02:45"),
    ],
)
def test_after_completion_a_time_the_clocks_skipped_once_comes_back_after(
    zone: str, first: str, given: str, moved: str
) -> None:
    """The night the time does not exist the task is due when it does; the next day
    it is due at the time given again, not at the moved one for good."""
    tz = ZoneInfo(zone)
    due = anchor = instant(f"{first} {given}", tz)
    index = 0
    seen = []
    for _ in range(4):
        completed = due - timedelta(hours=2)
        following = next_due(
            parse_recur("1d"),
            due=due,
            anchor=anchor,
            index=index,
            completed_at=completed,
            now=completed,
            tz=tz,
        )
        due, anchor, index = following.due, following.anchor, following.index
        seen.append(local_text(due, tz)[-5:])
    assert seen == [moved, given, given, given]


def test_a_date_only_successor_is_a_whole_day_on_both_sides_of_a_clock_change() -> None:
    for tz, first in [(BERLIN, "2026-03-20"), (BERLIN, "2026-10-20"), (NEW_YORK, "2026-03-01")]:
        for due in chain("daily", instant(first, tz), 14, tz):
            assert is_all_day(due, tz)


def test_a_whole_day_series_stays_whole_through_a_day_whose_last_hour_is_skipped() -> None:
    # Greenland springs forward at 23:00 on the last Saturday of March (since 2024): that
    # day ends at 22:59:59.999999, and a weekly series through it went on at "22:59".
    nuuk = ZoneInfo("America/Nuuk")
    dues = list(chain("weekly", instant("2026-03-21", nuuk), 4, nuuk))
    assert [shown(due, nuuk) for due in dues] == [
        "Sat 2026-03-28",
        "Sat 2026-04-04",
        "Sat 2026-04-11",
        "Sat 2026-04-18",
    ]
    assert all(is_all_day(due, nuuk) for due in dues)


def test_a_wait_at_the_start_of_a_day_whose_midnight_is_skipped_stays_at_the_start() -> None:
    # Santiago's 2026-09-06 begins at 01:00: a wait given as that day moves to the next
    # day's start (00:00), not to 01:00 every week after.
    santiago = ZoneInfo("America/Santiago")
    wait = day_start(date(2026, 9, 6), santiago)
    moved = shift(wait, instant("2026-09-07", santiago), instant("2026-09-14", santiago), santiago)
    assert moved == day_start(date(2026, 9, 13), santiago)


def test_years_late_is_one_successor_after_now_quickly() -> None:
    now = instant("2026-06-10 10:00", BERLIN)
    result = next_due(
        parse_recur("daily"),
        due=instant("2016-01-01", BERLIN),
        anchor=instant("2016-01-01", BERLIN),
        index=0,
        completed_at=now,
        now=now,
        tz=BERLIN,
    )
    assert result.due == instant("2026-06-10", BERLIN)
    assert result.index == (date(2026, 6, 10) - date(2016, 1, 1)).days


def occurrences_one_by_one(rec: Recurrence, first: date, until: date) -> list[date]:
    """Every date-only occurrence from ``first`` to ``until``, stepping one by one."""
    days, k, day = [first], 0, first
    while day <= until:
        k += 1
        if rec.unit is Unit.WEEKDAY:
            day += timedelta(days=1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
        elif rec.unit in (Unit.DAY, Unit.WEEK):
            day = first + timedelta(days=k * rec.count * (7 if rec.unit is Unit.WEEK else 1))
        else:
            day = add_months(first, k * rec.count * (12 if rec.unit is Unit.YEAR else 1))
        days.append(day)
    return days


@pytest.mark.parametrize(
    "rec", ["daily", "+3d", "weekly", "+2w", "weekdays", "monthly", "+2m", "yearly"]
)
@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK], ids=str)
def test_skipping_missed_occurrences_matches_stepping_one_by_one(rec: str, tz: tzinfo) -> None:
    recurrence = parse_recur(rec)
    first = date(2026, 1, 31)
    anchor = day_end(first, tz)
    series = occurrences_one_by_one(recurrence, first, first + timedelta(days=800))
    for days_late in range(0, 800, 3):
        today = first + timedelta(days=days_late)
        # A date-only occurrence is not over until its day is: the first one on or after
        # today, and never the current one.
        index = max(1, bisect_left(series, today))
        for hour in (0, 23):
            now = localize(datetime(today.year, today.month, today.day, hour), tz)
            result = next_due(
                recurrence, due=anchor, anchor=anchor, index=0, completed_at=now, now=now, tz=tz
            )
            assert (result.due, result.index) == (day_end(series[index], tz), index)


def test_a_series_past_year_9999_is_refused() -> None:
    due = instant("9999-06-01", BERLIN)
    with pytest.raises(InvalidInput, match="9999"):
        next_due(
            parse_recur("yearly"),
            due=due,
            anchor=due,
            index=0,
            completed_at=due,
            now=due,
            tz=BERLIN,
        )


@pytest.mark.parametrize(
    ("text", "day", "zone", "last"),
    [
        ("daily", "9999-12-29", ZoneInfo("UTC"), "9999-12-29"),
        ("+2d", "9999-12-28", ZoneInfo("Asia/Tokyo"), "9999-12-29"),
        ("weekdays", "9999-12-29", ZoneInfo("UTC"), "9999-12-29"),
        ("monthly", "9999-11-30", ZoneInfo("Pacific/Kiritimati"), "9999-12-29"),
        # Whole days: the next one, 9999-12-31, ends when a day Python has no date for begins.
        # West of UTC the last day a due can name ends a day earlier: said so.
        ("yearly", "9998-12-31", ZoneInfo("America/New_York"), "9999-12-28"),
        ("daily", "9999-12-28", ZoneInfo("America/New_York"), "9999-12-28"),
        ("1y", "9998-12-31", ZoneInfo("UTC"), "9999-12-29"),
    ],
)
def test_a_successor_no_zone_could_show_is_refused(
    text: str, day: str, zone: ZoneInfo, last: str
) -> None:
    """Days and weekdays step within the year, but past the day `due:` still takes."""
    due = instant(day, zone)
    with pytest.raises(InvalidInput, match=f"runs past {last}, the last day a task can be due"):
        next_due(
            parse_recur(text), due=due, anchor=due, index=0, completed_at=due, now=due, tz=zone
        )


# -- the successor's wait ------------------------------------------------------------------


def test_no_wait_stays_no_wait() -> None:
    assert shift(None, instant("2026-01-31", BERLIN), instant("2026-02-28", BERLIN), BERLIN) is None


def test_a_wait_one_day_before_a_monthly_due_stays_one_day_before() -> None:
    wait = day_start(date(2026, 1, 30), BERLIN)
    moved = shift(wait, instant("2026-01-31", BERLIN), instant("2026-02-28", BERLIN), BERLIN)
    assert moved == day_start(date(2026, 2, 27), BERLIN)


def test_a_wait_at_the_start_of_a_day_stays_at_the_start_across_a_clock_change() -> None:
    wait = day_start(date(2026, 3, 27), BERLIN)  # CET
    moved = shift(wait, instant("2026-03-28", BERLIN), instant("2026-04-04", BERLIN), BERLIN)
    assert moved == day_start(date(2026, 4, 3), BERLIN)  # CEST
    assert moved is not None
    assert moved - wait == timedelta(days=7, hours=-1)


def test_a_timed_wait_keeps_its_local_time() -> None:
    wait = instant("2026-10-20 08:00", NEW_YORK)
    moved = shift(
        wait, instant("2026-10-21 09:00", NEW_YORK), instant("2026-11-04 09:00", NEW_YORK), NEW_YORK
    )
    assert moved == instant("2026-11-03 08:00", NEW_YORK)


def test_a_wait_before_a_clock_change_keeps_its_wall_time_when_the_due_is_after_it() -> None:
    # Saturday 08:00 CET before a Sunday 09:00 CEST due: a week on, 08:00 CEST, not 09:00.
    wait = instant("2026-03-28 08:00", BERLIN)
    moved = shift(
        wait, instant("2026-03-29 09:00", BERLIN), instant("2026-04-05 09:00", BERLIN), BERLIN
    )
    assert moved == instant("2026-04-04 08:00", BERLIN)
