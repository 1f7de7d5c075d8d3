"""The date words: zone, whole local days, parsing, refusals and display.

Pure and fast: the clock is always passed in (``now``), in zones with daylight saving.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from todo_cli.domain import dates
from todo_cli.domain.dates import (
    ACCEPTED_FORMS,
    When,
    add_months,
    day_end,
    day_start,
    describe,
    is_all_day,
    is_due_today,
    is_overdue,
    local_date,
    local_text,
    local_zone,
    localize,
    parse_when,
    starts_day,
)
from todo_cli.errors import ExitCode, InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Santiago changes its clocks at midnight: a day that starts at 01:00, a day whose last hour
# happens twice.
SANTIAGO = ZoneInfo("America/Santiago")
ZONES = [BERLIN, NEW_YORK]
LAST = time(23, 59, 59, 999999)
WEEKDAY_NAMES = [
    ("mon", "monday"),
    ("tue", "tuesday"),
    ("wed", "wednesday"),
    ("thu", "thursday"),
    ("fri", "friday"),
    ("sat", "saturday"),
    ("sun", "sunday"),
]


def at(tz: tzinfo, y: int, mo: int, d: int, h: int = 12, mi: int = 0, s: int = 0) -> datetime:
    """A local wall time that exists exactly once, as an aware datetime."""
    return datetime(y, mo, d, h, mi, s, tzinfo=tz)


def parse(text: str, now: datetime, tz: tzinfo, what: str = "due") -> When:
    return parse_when(text, now=now, tz=tz, what=what)


def local(instant: datetime, tz: tzinfo) -> datetime:
    return instant.astimezone(tz)


# -- the user's zone -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Europe/Berlin", ":Europe/Berlin"])
def test_tz_names_the_zone_with_or_without_a_colon(value: str) -> None:
    assert local_zone({"TZ": value}) == BERLIN


def test_tz_may_be_a_zone_file_path() -> None:
    zone = local_zone({"TZ": "/usr/share/zoneinfo/America/New_York"})
    assert datetime(2026, 1, 15, tzinfo=zone).utcoffset() == timedelta(hours=-5)
    assert datetime(2026, 7, 15, tzinfo=zone).utcoffset() == timedelta(hours=-4)


def test_empty_tz_is_utc() -> None:
    assert local_zone({"TZ": ""}) == UTC


def test_unknown_tz_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput, match="'Mars/Olympus'") as caught:
        local_zone({"TZ": "Mars/Olympus"})
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.hint is not None


def test_tz_may_be_a_posix_rule_as_the_c_library_takes_it() -> None:
    # `date` takes TZ=CET-1CEST,M3.5.0,M10.5.0/3; every command once refused it (exit 2).
    zone = local_zone({"TZ": "CET-1CEST,M3.5.0,M10.5.0/3"})
    for instant in ("2026-01-15T12:00", "2026-03-29T00:59", "2026-03-29T01:00",
                    "2026-07-01T12:00", "2026-10-25T00:59", "2026-10-25T01:00"):  # fmt: skip
        utc = datetime.fromisoformat(instant).replace(tzinfo=UTC)
        assert utc.astimezone(zone).isoformat() == utc.astimezone(BERLIN).isoformat(), instant
    assert datetime(2026, 7, 1, 12, tzinfo=zone).tzname() == "CEST"
    assert datetime(2026, 7, 1, tzinfo=local_zone({"TZ": "JST-9"})).utcoffset() == timedelta(
        hours=9
    )


@pytest.mark.parametrize("value", ["CET-1CEST,M13.5.0", "garbage", "X", "Foo/Bar"])
def test_a_tz_that_is_neither_a_zone_nor_a_posix_rule_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match=repr(value)) as caught:
        local_zone({"TZ": value})
    assert "POSIX rule" in (caught.value.hint or "")


@pytest.mark.parametrize(
    "value", ["XXX-24", "XXX24:30", "<+24>-24", "XXX-24:00:01", "CET-1CEST-24,M3.5.0,M10.5.0/3"]
)
def test_a_posix_rule_of_a_day_or_more_off_utc_is_refused_as_no_zone(value: str) -> None:
    # The C library takes offsets up to 24:59:59 (`TZ=XXX-24 date` works); Python's
    # are under a day: every command failed at its first date as a bug (exit 70).
    with pytest.raises(InvalidInput, match=re.escape(repr(value))) as caught:
        local_zone({"TZ": value})
    assert caught.value.exit_code == ExitCode.USAGE
    # Just under a day is a zone.
    assert local_zone({"TZ": "XXX-23:59"}).utcoffset(datetime(2026, 1, 1)) == timedelta(
        hours=23, minutes=59
    )


def test_tz_from_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    assert local_zone() == NEW_YORK


def test_system_zone_symlink_gives_the_named_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "localtime"
    link.symlink_to("/usr/share/zoneinfo/Europe/Berlin")
    monkeypatch.setattr(dates, "_SYSTEM_ZONE_FILE", link)
    assert local_zone({}) == BERLIN


def test_system_zone_copied_file_keeps_daylight_saving_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "localtime"
    copy.write_bytes(Path("/usr/share/zoneinfo/Europe/Berlin").read_bytes())
    monkeypatch.setattr(dates, "_SYSTEM_ZONE_FILE", copy)
    zone = local_zone({})
    assert datetime(2026, 1, 15, tzinfo=zone).utcoffset() == timedelta(hours=1)
    assert datetime(2026, 7, 15, tzinfo=zone).utcoffset() == timedelta(hours=2)


def test_no_system_zone_is_utc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "_SYSTEM_ZONE_FILE", tmp_path / "missing")
    assert local_zone({}) == UTC


# -- whole local days ----------------------------------------------------------------------

# Both directions of the 2026 clock changes in each zone.
DST_DAYS = [
    (BERLIN, date(2026, 3, 29)),
    (BERLIN, date(2026, 10, 25)),
    (NEW_YORK, date(2026, 3, 8)),
    (NEW_YORK, date(2026, 11, 1)),
]


@pytest.mark.parametrize(("tz", "day"), DST_DAYS)
def test_a_day_is_midnight_to_last_microsecond_local_on_a_clock_change(
    tz: tzinfo, day: date
) -> None:
    for d in (day - timedelta(days=1), day, day + timedelta(days=1)):
        start, end = local(day_start(d, tz), tz), local(day_end(d, tz), tz)
        assert (start.date(), start.time()) == (d, time.min)
        assert (end.date(), end.time()) == (d, LAST)
        assert day_start(d, tz).tzinfo == UTC
        assert day_end(d, tz).tzinfo == UTC


def test_spring_forward_day_is_23_hours_and_fall_back_day_25() -> None:
    def length(d: date) -> timedelta:
        return day_end(d, BERLIN) - day_start(d, BERLIN) + timedelta(microseconds=1)

    assert length(date(2026, 3, 29)) == timedelta(hours=23)
    assert length(date(2026, 10, 25)) == timedelta(hours=25)


def test_a_day_whose_midnight_is_skipped_starts_at_its_first_instant() -> None:
    start = day_start(date(2026, 9, 6), SANTIAGO)
    assert local(start, SANTIAGO).time() == time(1, 0)
    assert start == day_end(date(2026, 9, 5), SANTIAGO) + timedelta(microseconds=1)


def test_a_day_whose_last_hour_repeats_ends_when_the_next_begins() -> None:
    end = day_end(date(2026, 4, 4), SANTIAGO)
    assert end == day_start(date(2026, 4, 5), SANTIAGO) - timedelta(microseconds=1)
    assert is_all_day(end, SANTIAGO)


def test_is_all_day_only_at_the_last_microsecond() -> None:
    assert is_all_day(day_end(date(2026, 3, 29), BERLIN), BERLIN)
    assert not is_all_day(day_start(date(2026, 3, 29), BERLIN), BERLIN)
    assert not is_all_day(at(BERLIN, 2026, 3, 29, 23, 59, 59), BERLIN)
    # The same instant is not the end of a day in another zone.
    assert not is_all_day(day_end(date(2026, 3, 29), BERLIN), NEW_YORK)


def test_a_day_whose_last_hour_is_skipped_ends_at_2259_and_is_a_whole_day() -> None:
    nuuk = ZoneInfo("America/Nuuk")  # 23:00 -> 00:00 on 2026-03-28
    end = day_end(date(2026, 3, 28), nuuk)
    assert local(end, nuuk).time() == time(22, 59, 59, 999999)
    assert is_all_day(end, nuuk)
    assert local_text(end, nuuk) == "2026-03-28"
    assert not is_all_day(end - timedelta(hours=1), nuuk)


def test_starts_day_at_the_first_instant_of_the_local_day() -> None:
    assert starts_day(day_start(date(2026, 9, 6), SANTIAGO), SANTIAGO)  # at 01:00
    assert starts_day(day_start(date(2026, 3, 29), BERLIN), BERLIN)
    assert not starts_day(day_start(date(2026, 9, 6), SANTIAGO) + timedelta(hours=1), SANTIAGO)
    assert not starts_day(at(BERLIN, 2026, 3, 29, 0, 0, 1), BERLIN)


def test_local_date_is_the_day_in_the_zone_not_in_utc() -> None:
    late_evening = at(NEW_YORK, 2026, 6, 10, 22)
    assert late_evening.astimezone(UTC).date() == date(2026, 6, 11)
    assert local_date(late_evening, NEW_YORK) == date(2026, 6, 10)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
    ],
)
def test_add_months_clamps_to_the_last_day(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_add_months_past_year_9999_overflows() -> None:
    with pytest.raises(OverflowError):
        add_months(date(9999, 12, 1), 1)


# -- parsing: words ------------------------------------------------------------------------

WED = at(BERLIN, 2026, 6, 10, 15)  # Wednesday 10 June 2026, 15:00 CEST


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("today", date(2026, 6, 10)),
        ("tomorrow", date(2026, 6, 11)),
        ("yesterday", date(2026, 6, 9)),
        ("eow", date(2026, 6, 14)),
        ("eom", date(2026, 6, 30)),
        ("eoy", date(2026, 12, 31)),
        ("3d", date(2026, 6, 13)),
        ("+3d", date(2026, 6, 13)),
        ("-3d", date(2026, 6, 7)),
        ("0d", date(2026, 6, 10)),
        ("2w", date(2026, 6, 24)),
        ("-1w", date(2026, 6, 3)),
        ("1m", date(2026, 7, 10)),
        ("-1m", date(2026, 5, 10)),
        ("1y", date(2027, 6, 10)),
        ("2026-12-24", date(2026, 12, 24)),
        ("TOMORROW", date(2026, 6, 11)),
        ("Fri", date(2026, 6, 12)),
        ("EOM", date(2026, 6, 30)),
        ("3D", date(2026, 6, 13)),
        ("  today  ", date(2026, 6, 10)),
    ],
)
def test_day_words(word: str, expected: date) -> None:
    when = parse(word, WED, BERLIN)
    assert when.is_day
    assert when.day == expected
    assert when.due == day_end(expected, BERLIN)
    assert when.wait == day_start(expected, BERLIN)


def test_now_is_the_instant() -> None:
    when = parse("now", WED, BERLIN)
    assert not when.is_day
    assert when.day is None
    assert when.due == when.wait == WED
    assert when.due.tzinfo == UTC


@pytest.mark.parametrize(("word", "hours"), [("4h", 4), ("+4h", 4), ("-4h", -4), ("4H", 4)])
def test_hours_are_an_instant_from_now(word: str, hours: int) -> None:
    assert parse(word, WED, BERLIN) == When.at(WED + timedelta(hours=hours))


@pytest.mark.parametrize(
    ("now", "tz", "wall"),
    [
        # Berlin springs forward at 02:00: 4 real hours from 00:30 CET read 05:30 CEST.
        (at(BERLIN, 2026, 3, 29, 0, 30), BERLIN, datetime(2026, 3, 29, 5, 30)),
        # and falls back at 03:00: 4 real hours from 00:30 CEST read 03:30 CET.
        (at(BERLIN, 2026, 10, 25, 0, 30), BERLIN, datetime(2026, 10, 25, 3, 30)),
        (at(NEW_YORK, 2026, 3, 8, 0, 30), NEW_YORK, datetime(2026, 3, 8, 5, 30)),
        (at(NEW_YORK, 2026, 11, 1, 0, 30), NEW_YORK, datetime(2026, 11, 1, 3, 30)),
    ],
)
def test_hours_across_a_clock_change_are_real_hours(
    now: datetime, tz: tzinfo, wall: datetime
) -> None:
    due = parse("4h", now, tz).due
    assert due - now == timedelta(hours=4)
    assert local(due, tz).replace(tzinfo=None) == wall


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_today_is_the_local_day_late_in_the_evening(tz: tzinfo) -> None:
    # 23:30 local is already tomorrow in UTC in New York and not yet in Berlin.
    now = at(tz, 2026, 6, 10, 23, 30)
    assert parse("today", now, tz).day == date(2026, 6, 10)
    assert parse("tomorrow", now, tz).day == date(2026, 6, 11)


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_early_in_the_morning_today_is_still_the_local_day(tz: tzinfo) -> None:
    now = at(tz, 2026, 6, 10, 0, 30)
    assert parse("today", now, tz).day == date(2026, 6, 10)


# -- parsing: weekdays and the week boundary -----------------------------------------------


@pytest.mark.parametrize("offset", range(7), ids=[short for short, _ in WEEKDAY_NAMES])
@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_weekday_names_are_the_next_such_day_never_today(offset: int, tz: tzinfo) -> None:
    today = date(2026, 6, 8) + timedelta(days=offset)  # Monday 8 June + offset
    now = at(tz, today.year, today.month, today.day, 9)
    for weekday, names in enumerate(WEEKDAY_NAMES):
        for name in (*names, names[0].upper(), names[1].capitalize()):
            day = parse(name, now, tz).day
            assert day is not None
            assert day.weekday() == weekday, name
            assert 1 <= (day - today).days <= 7, name


def test_weekday_name_on_that_weekday_is_next_week() -> None:
    friday = at(BERLIN, 2026, 6, 12)
    assert parse("fri", friday, BERLIN).day == date(2026, 6, 19)


def test_sunday_to_monday() -> None:
    sunday = at(BERLIN, 2026, 6, 14, 20)
    assert parse("tomorrow", sunday, BERLIN).day == date(2026, 6, 15)
    assert parse("mon", sunday, BERLIN).day == date(2026, 6, 15)
    assert parse("sun", sunday, BERLIN).day == date(2026, 6, 21)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 6, 8), date(2026, 6, 14)),  # Monday: six days ahead
        (date(2026, 6, 13), date(2026, 6, 14)),  # Saturday: tomorrow
        (date(2026, 6, 14), date(2026, 6, 14)),  # Sunday: today
        (date(2026, 6, 15), date(2026, 6, 21)),  # Monday after: the next Sunday
    ],
)
def test_eow_is_this_weeks_sunday(today: date, expected: date) -> None:
    now = at(NEW_YORK, today.year, today.month, today.day, 23)
    assert parse("eow", now, NEW_YORK).day == expected


# -- parsing: month and year ends ----------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "word", "expected"),
    [
        (date(2026, 1, 31), "1m", date(2026, 2, 28)),
        (date(2028, 1, 31), "1m", date(2028, 2, 29)),
        (date(2026, 3, 31), "1m", date(2026, 4, 30)),
        (date(2026, 3, 31), "-1m", date(2026, 2, 28)),
        (date(2026, 2, 10), "eom", date(2026, 2, 28)),
        (date(2028, 2, 10), "eom", date(2028, 2, 29)),
        (date(2026, 4, 30), "eom", date(2026, 4, 30)),
        (date(2026, 12, 31), "tomorrow", date(2027, 1, 1)),
        (date(2026, 12, 31), "eoy", date(2026, 12, 31)),
        (date(2026, 12, 31), "eom", date(2026, 12, 31)),
        (date(2026, 12, 31), "fri", date(2027, 1, 1)),
        (date(2027, 1, 1), "yesterday", date(2026, 12, 31)),
        (date(2026, 12, 15), "1m", date(2027, 1, 15)),
        (date(2028, 2, 29), "1y", date(2029, 2, 28)),
        (date(2028, 2, 29), "4y", date(2032, 2, 29)),
        (date(2028, 2, 29), "-1y", date(2027, 2, 28)),
    ],
)
@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_month_and_year_ends(today: date, word: str, expected: date, tz: tzinfo) -> None:
    now = at(tz, today.year, today.month, today.day, 23, 30)
    assert parse(word, now, tz).day == expected


# -- parsing: ISO --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "utc"),
    [
        # Local wall time: CET in December, CEST in June.
        ("2026-12-24T17:00", datetime(2026, 12, 24, 16, 0, tzinfo=UTC)),
        ("2026-06-24T17:00", datetime(2026, 6, 24, 15, 0, tzinfo=UTC)),
        ("2026-12-24T17:00:30", datetime(2026, 12, 24, 16, 0, 30, tzinfo=UTC)),
        ("2026-12-24T17:00:30.25", datetime(2026, 12, 24, 16, 0, 30, 250000, tzinfo=UTC)),
        ("2026-12-24 17:00", datetime(2026, 12, 24, 16, 0, tzinfo=UTC)),
        ("2026-12-24t17:00", datetime(2026, 12, 24, 16, 0, tzinfo=UTC)),
        # An explicit zone is that exact instant, whatever the local zone.
        ("2026-12-24T17:00:00Z", datetime(2026, 12, 24, 17, 0, tzinfo=UTC)),
        ("2026-12-24t17:00:00z", datetime(2026, 12, 24, 17, 0, tzinfo=UTC)),
        ("2026-12-24T17:00Z", datetime(2026, 12, 24, 17, 0, tzinfo=UTC)),
        ("2026-12-24T17:00:00+01:00", datetime(2026, 12, 24, 16, 0, tzinfo=UTC)),
        ("2026-12-24T17:00:00-05:30", datetime(2026, 12, 24, 22, 30, tzinfo=UTC)),
    ],
)
def test_iso_times(word: str, utc: datetime) -> None:
    when = parse(word, WED, BERLIN)
    assert not when.is_day
    assert when.due == when.wait == when.start == when.end == utc
    assert when.due.tzinfo == UTC


@pytest.mark.parametrize(
    ("tz", "word", "said"),
    [
        # In the spring-forward gap: no such time, as there is no February 30.
        (BERLIN, "2026-03-29T02:30", "there is no 02:30 on 2026-03-29 in Europe/Berlin"),
        (NEW_YORK, "2026-03-08T02:00", "there is no 02:00 on 2026-03-08 in America/New_York"),
    ],
)
def test_a_typed_wall_time_in_the_gap_is_refused(tz: tzinfo, word: str, said: str) -> None:
    with pytest.raises(InvalidInput, match=said):
        parse(word, WED, tz)
    # Either side of the gap, and the same time with its offset, are taken.
    for fine in (word.replace("T02:", "T01:"), word.replace("T02:", "T03:"), word + "-05:00"):
        parse(fine, WED, tz)


def test_localize_moves_a_computed_time_in_the_gap_forward_by_the_gap() -> None:
    # What recurrence uses: the next of a daily 02:30 series still happens.
    due = localize(datetime(2026, 3, 29, 2, 30), BERLIN)
    assert local(due, BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)


@pytest.mark.parametrize(
    ("tz", "word", "utc"),
    [
        # In the fall-back overlap: the first occurrence (summer time still).
        (BERLIN, "2026-10-25T02:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        (NEW_YORK, "2026-11-01T01:30", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    ],
)
def test_an_ambiguous_wall_time_is_its_first_occurrence(
    tz: tzinfo, word: str, utc: datetime
) -> None:
    assert parse(word, WED, tz).due == utc
    assert localize(datetime.strptime(word, "%Y-%m-%dT%H:%M"), tz) == utc


@pytest.mark.parametrize(
    ("tz", "utc", "shown"),
    [
        # The hour Berlin's clocks show twice: its two passes told apart by the offset.
        (BERLIN, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "2026-10-25 02:30 +02:00"),
        (BERLIN, datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "2026-10-25 02:30 +01:00"),
        (NEW_YORK, datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "2026-11-01 01:30 -05:00"),
        # Any other time, as ever: without.
        (BERLIN, datetime(2026, 10, 25, 2, 30, tzinfo=UTC), "2026-10-25 03:30"),
        (BERLIN, datetime(2026, 10, 24, 23, 59, tzinfo=UTC), "2026-10-25 01:59"),
        (BERLIN, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "2026-03-29 03:30"),
        (UTC, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "2026-10-25 00:30"),
    ],
)
def test_a_time_the_clocks_show_twice_is_shown_with_its_offset(
    tz: tzinfo, utc: datetime, shown: str
) -> None:
    from todo_cli.output.tasks import local_time

    assert dates.local_text(utc, tz) == shown
    assert local_time(utc, tz) == shown


def test_localize_refuses_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        localize(WED, BERLIN)


def test_parse_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("today", now=datetime(2026, 6, 10, 12), tz=BERLIN, what="due")


# -- refusals ------------------------------------------------------------------------------

EVERY_FORM = [
    "now",
    "today",
    "tomorrow",
    "yesterday",
    "mon..sun",
    "eow",
    "eom",
    "eoy",
    "3d",
    "2w",
    "1m",
    "1y",
    "4h",
    "-3d",
    "2026-12-24",
    "2026-12-24T17:00",
    "2026-12-24T17:00:00Z",
]


@pytest.mark.parametrize(
    "word",
    [
        "12/01",
        "31/12",
        "next friday",
        "tomorow",
        "",
        " ",
        "fr",
        "tues",
        "3",
        "3 d",
        "1.5d",
        "3min",
        "d",
        "+-3d",
        "20261224",
        "2026-12-24Z",
        "2026-12-24T17",
        "2026-12-24T17:00:00+0100",
        "\u0663d",  # ARABIC-INDIC DIGIT THREE: not a digit we read
    ],
)
@pytest.mark.parametrize("what", ["due", "wait"])
def test_anything_else_is_refused_naming_field_word_and_forms(word: str, what: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(word, WED, BERLIN, what=what)
    error = caught.value
    assert error.exit_code == ExitCode.USAGE
    assert error.message.startswith(f"{what}: {word!r} is not a date")
    assert error.hint == f"use {ACCEPTED_FORMS}"
    for form in EVERY_FORM:
        assert form in error.hint


# A word of an accepted form naming no day or time: the forms would not help; what
# does is said (it was the list of every form).
@pytest.mark.parametrize(
    ("word", "hint"),
    [
        ("2026-02-30", "give a day from 01 to 28"),
        ("2028-02-30", "give a day from 01 to 29"),
        ("2026-04-31", "give a day from 01 to 30"),
        ("2026-13-01", "give a month from 01 to 12"),
        ("2026-12-24T25:00", "give a time from 00:00 to 23:59:59"),
        ("2026-12-24T17:60", "give a time from 00:00 to 23:59:59"),
        ("2026-12-24T17:00:60", "give a time from 00:00 to 23:59:59"),
        ("2026-12-24T17:00:00+24:00", "give an offset from -23:59 to +23:59"),
        ("0000-01-01", "give a day from 0001-01-03 to 9999-12-29"),
        (
            "2026-03-29T02:30",
            "give 2026-03-29T03:30, the time the clocks show then, or the time with an "
            "offset: 2026-03-29T02:30+01:00",
        ),
    ],
)
@pytest.mark.parametrize("what", ["due", "wait"])
def test_a_day_or_time_that_does_not_exist_says_what_to_give(
    word: str, hint: str, what: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(word, WED, BERLIN, what=what)
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.message.startswith(f"{what}: {word!r} is not a date: there is no ")
    assert caught.value.hint == hint


@pytest.mark.parametrize(
    ("tz", "word", "hint"),
    [
        (
            ZoneInfo("America/New_York"),
            "2027-03-14T02:30",
            "give 2027-03-14T03:30, the time the clocks show then, or the time with an "
            "offset: 2027-03-14T02:30-05:00",
        ),
        # Half an hour jumped over.
        (
            ZoneInfo("Australia/Lord_Howe"),
            "2027-10-03T02:15",
            "give 2027-10-03T02:45, the time the clocks show then, or the time with an "
            "offset: 2027-10-03T02:15+10:30",
        ),
        # Seconds and fractions kept: the same moment, not one 45 s off.
        (
            BERLIN,
            "2027-03-28T02:30:45",
            "give 2027-03-28T03:30:45, the time the clocks show then, or the time with an "
            "offset: 2027-03-28T02:30:45+01:00",
        ),
        (
            BERLIN,
            "2027-03-28T02:59:59.5",
            "give 2027-03-28T03:59:59.5, the time the clocks show then, or the time with an "
            "offset: 2027-03-28T02:59:59.5+01:00",
        ),
        # A whole day jumped over (Samoa crossed the date line): the day the clocks show.
        (
            ZoneInfo("Pacific/Apia"),
            "2011-12-30T12:00",
            "give 2011-12-31T12:00, the time the clocks show then, or the time with an "
            "offset: 2011-12-30T12:00-10:00",
        ),
    ],
)
def test_a_time_in_the_gap_says_what_names_the_moment(tz: tzinfo, word: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(word, WED, tz)
    assert caught.value.hint == hint
    jumped = "that whole day" if "Apia" in str(tz) else "it that night"
    assert caught.value.message.endswith(
        f"there is no {word.split('T')[1]} on {word[:10]} in {tz} (the clocks jump over {jumped})"
    )
    # Both suggestions name the same instant, and are taken.
    first, second = hint.split("give ")[1].split(",")[0], hint.rsplit(": ", 1)[1]
    assert parse(first, WED, tz).due == parse(second, WED, tz).due


def test_a_day_the_zone_jumps_over_is_refused_naming_the_day_the_clocks_show() -> None:
    # Samoa went from 2011-12-29 to 12-31: `due:2011-12-30` was stored as the end of
    # the 29th (a day early, silently) and `wait:2011-12-30` as the 31st.
    apia = ZoneInfo("Pacific/Apia")
    with pytest.raises(InvalidInput) as caught:
        parse("2011-12-30", WED, apia)
    assert caught.value.message == (
        "due: '2011-12-30' is not a date: there is no 2011-12-30 in Pacific/Apia "
        "(the clocks jump over that whole day)"
    )
    assert caught.value.hint == "give 2011-12-31, the day the clocks show then"
    assert parse("2011-12-31", WED, apia).day == date(2011, 12, 31)
    # A day whose midnight the clocks skip still is a day (Santiago: 00:00 -> 01:00).
    santiago = ZoneInfo("America/Santiago")
    assert parse("2026-09-06", WED, santiago).day == date(2026, 9, 6)


def test_refusal_reads_as_one_line_for_the_user() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse("tomorow", WED, BERLIN)
    assert str(caught.value) == (
        "due: 'tomorow' is not a date (use now, today, tomorrow, yesterday, a weekday "
        "(mon..sun or monday..sunday), eow, eom, eoy, 3d (or +3d), 2w, 1m, 1y, 4h, -3d, "
        "2026-12-24, 2026-12-24T17:00, 2026-12-24T17:00:00Z, 2026-12-24T17:00+01:00)"
    )


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("2026-02-30", "there is no February 30 in 2026"),
        ("2026-02-29", "there is no February 29 in 2026"),
        ("2026-04-31", "there is no April 31 in 2026"),
        ("2026-13-01", "there is no month 13"),
        ("2026-00-10", "there is no month 0"),
        ("2026-12-24T25:00", "there is no time 25:00:00"),
        ("2026-12-24T24:00", "there is no time 24:00:00"),
        ("2026-12-24T17:00:60", "there is no time 17:00:60"),
        ("99999y", "it is out of range"),
        # Every zone must be able to show a stored instant as a local date and time.
        ("9999-12-31T23:59:59Z", "it is out of range"),
        ("9999-12-30T12:00:00Z", "it is out of range"),
        ("0001-01-01T00:00:00Z", "it is out of range"),
    ],
)
def test_refusal_says_why_a_well_formed_date_does_not_exist(word: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(word, WED, BERLIN)
    assert caught.value.message == f"due: {word!r} is not a date: {reason}"


@pytest.mark.parametrize(
    ("zone", "hint"),
    [
        (BERLIN, "give a day from 0001-01-03 to 9999-12-29"),
        (ZoneInfo("America/New_York"), "give a day from 0001-01-02 to 9999-12-28"),
    ],
)
@pytest.mark.parametrize("word", ["9999-12-31", "0001-01-01", "99999y", "9999999999d"])
def test_a_date_out_of_range_names_the_range_not_the_forms(
    zone: ZoneInfo, hint: str, word: str
) -> None:
    # The hint listed the accepted forms, which the word already had.
    with pytest.raises(InvalidInput) as caught:
        parse(word, WED, zone)
    assert caught.value.hint == hint
    first, last = hint.removeprefix("give a day from ").split(" to ")
    parse(first, WED, zone)  # the ends named are taken
    parse(last, WED, zone)


@pytest.mark.parametrize("zone", [ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")])
def test_the_last_date_accepted_shows_in_every_zone(zone: ZoneInfo) -> None:
    when = parse("9999-12-28", WED, zone)
    assert when.end.astimezone(zone).date() == date(9999, 12, 28)
    assert when.end.astimezone(ZoneInfo("Pacific/Kiritimati")).year == 9999


def test_leap_day_exists_in_a_leap_year() -> None:
    assert parse("2028-02-29", WED, BERLIN).day == date(2028, 2, 29)


# -- filter bounds -------------------------------------------------------------------------


def test_a_day_as_filter_bounds_is_the_whole_local_day() -> None:
    when = parse("2026-03-29", WED, BERLIN)  # spring forward: 23 hours long
    assert when.start == at(BERLIN, 2026, 3, 29, 0)
    assert when.end == at(BERLIN, 2026, 3, 29, 23, 59, 59) + timedelta(microseconds=999999)
    first, last = at(BERLIN, 2026, 3, 29, 0), at(BERLIN, 2026, 3, 29, 23, 59, 59)
    before, after = first - timedelta(microseconds=1), when.end + timedelta(microseconds=1)
    assert when.start <= first <= when.end
    assert when.start <= last <= when.end
    assert before < when.start  # due.before:2026-03-29
    assert after > when.end  # due.after:2026-03-29


def test_an_instant_as_filter_bounds_is_itself() -> None:
    when = parse("2026-12-24T17:00:00Z", WED, BERLIN)
    assert when.start == when.end == datetime(2026, 12, 24, 17, tzinfo=UTC)


def test_when_at_stores_utc() -> None:
    when = When.at(at(NEW_YORK, 2026, 6, 10, 9))
    assert when.start.tzinfo == UTC
    assert when.start == datetime(2026, 6, 10, 13, tzinfo=UTC)


# -- overdue and due today -----------------------------------------------------------------


@pytest.mark.parametrize(("tz", "day"), [*DST_DAYS, (BERLIN, date(2026, 6, 10))])
def test_due_today_is_not_overdue_until_midnight(tz: tzinfo, day: date) -> None:
    due = parse("today", at(tz, day.year, day.month, day.day, 9), tz).due
    last_second = datetime.combine(day, time(23, 59, 59), tz)
    midnight = datetime.combine(day + timedelta(days=1), time.min, tz)
    assert not is_overdue(due, last_second)
    assert is_due_today(due, last_second, tz)
    assert is_overdue(due, midnight)
    assert not is_due_today(due, midnight, tz)


def test_due_today_from_the_first_second_of_the_day() -> None:
    due = day_end(date(2026, 6, 10), NEW_YORK)
    assert is_due_today(due, at(NEW_YORK, 2026, 6, 10, 0, 0, 0), NEW_YORK)
    assert not is_due_today(due, at(NEW_YORK, 2026, 6, 9, 23, 59, 59), NEW_YORK)


def test_a_timed_due_earlier_today_is_overdue_and_due_today() -> None:
    due = at(BERLIN, 2026, 6, 10, 9)
    assert is_overdue(due, WED)
    assert is_due_today(due, WED, BERLIN)


def test_is_overdue_at_the_exact_instant_is_not_yet() -> None:
    assert not is_overdue(WED, WED)
    assert is_overdue(WED, WED + timedelta(microseconds=1))


# -- display -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 6, 10), "today"),
        (date(2026, 6, 11), "tomorrow"),
        (date(2026, 6, 9), "yesterday"),
        (date(2026, 6, 12), "2d"),
        (date(2026, 6, 13), "3d"),
        (date(2026, 6, 23), "13d"),
        (date(2026, 6, 24), "2026-06-24"),
        (date(2026, 6, 7), "3d ago"),
        (date(2026, 5, 28), "13d ago"),
        (date(2026, 5, 27), "2026-05-27"),
        (date(2026, 12, 24), "2026-12-24"),
    ],
)
@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_describe_an_all_day_due(day: date, text: str, tz: tzinfo) -> None:
    now = at(tz, 2026, 6, 10, 23, 30)
    assert describe(day_end(day, tz), now, tz) == text


@pytest.mark.parametrize(
    ("due", "text"),
    [
        (datetime(2026, 6, 10, 17, 0), "17:00"),
        (datetime(2026, 6, 10, 8, 5), "08:05"),
        (datetime(2026, 6, 11, 17, 0), "tomorrow 17:00"),
        (datetime(2026, 6, 9, 17, 0), "yesterday 17:00"),
        (datetime(2026, 6, 8, 17, 0), "2026-06-08 17:00"),
        (datetime(2026, 12, 24, 17, 0), "2026-12-24 17:00"),
    ],
)
@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_describe_a_timed_due_in_local_time(due: datetime, text: str, tz: tzinfo) -> None:
    now = at(tz, 2026, 6, 10, 12)
    assert describe(localize(due, tz), now, tz) == text


def test_describe_across_the_year_end_in_new_york() -> None:
    # 23:00 on Dec 31 in New York is already next year in UTC.
    now = at(NEW_YORK, 2026, 12, 31, 23)
    assert describe(day_end(date(2026, 12, 31), NEW_YORK), now, NEW_YORK) == "today"
    assert describe(day_end(date(2027, 1, 1), NEW_YORK), now, NEW_YORK) == "tomorrow"


def test_describe_on_the_day_after_spring_forward() -> None:
    # The day of the change is 23 hours long; counting days must not be counting hours.
    now = at(BERLIN, 2026, 3, 28, 23, 30)
    assert describe(day_end(date(2026, 3, 29), BERLIN), now, BERLIN) == "tomorrow"
    assert describe(day_end(date(2026, 3, 30), BERLIN), now, BERLIN) == "2d"


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_local_text(tz: tzinfo) -> None:
    assert local_text(day_end(date(2026, 12, 24), tz), tz) == "2026-12-24"
    assert local_text(localize(datetime(2026, 12, 24, 17, 0), tz), tz) == "2026-12-24 17:00"
    assert local_text(day_start(date(2026, 12, 24), tz), tz) == "2026-12-24 00:00"


@pytest.mark.parametrize(
    "word", ["2026-12-24", "2026-12-24T17:00", "2026-03-29T03:30", "2026-10-25T01:15"]
)
@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_what_show_prints_parses_back_to_the_same_due(word: str, tz: tzinfo) -> None:
    due = parse(word, WED, tz).due
    assert parse(local_text(due, tz), WED, tz).due == due


def test_a_fixed_offset_zone_works_too() -> None:
    tz = timezone(timedelta(hours=5, minutes=30))
    now = datetime(2026, 6, 10, 12, tzinfo=tz)
    assert parse("today", now, tz).due == datetime(2026, 6, 10, 23, 59, 59, 999999, tzinfo=tz)


def test_module_imports_nothing_outside_the_standard_library() -> None:
    # A fresh interpreter, since this one has loaded the test suite's third-party imports.
    code = (
        "import sys; before = set(sys.modules); import todo_cli.domain.dates, "
        "todo_cli.domain.recurrence; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    ).stdout.split()
    stdlib = sys.stdlib_module_names
    foreign = [
        name
        for name in loaded
        if name.split(".")[0] not in stdlib
        and not name.startswith(("todo_cli", "_", "__editable__"))
    ]
    assert foreign == []
    assert "todo_cli.domain.dates" in loaded
