"""The date words: the user's zone, whole local days, parsing and display.

Convention. Times are stored as aware UTC instants. A date with no time is the whole local
day: a ``due`` given as a date is stored as :func:`day_end` of that day (23:59:59.999999
local), so "overdue" is simply ``due < now`` and a task due today is not overdue until
midnight; :func:`is_all_day` tells such a due apart so it is shown as a date. A ``wait``
given as a date is :func:`day_start` of that day (hidden until the day begins).

Zone and days
    ``local_zone(environ=None) -> tzinfo``
        The user's zone: ``TZ`` (an IANA name, optionally ``:``-prefixed, or a zone file
        path; an unknown one is ``InvalidInput``), else ``/etc/localtime`` as a real zone
        with its daylight-saving rules, else UTC.
    ``localize(wall, tz) -> datetime``
        A naive local wall time as a UTC instant; see "Clock changes" below.
    ``day_start(day, tz)``, ``day_end(day, tz) -> datetime``
        00:00 and 23:59:59.999999 local of ``day``, as UTC instants.
    ``is_all_day(instant, tz) -> bool``, ``starts_day(instant, tz) -> bool``
        Whether the instant is the last (a due given as a date) or the first (a wait
        given as a date) instant of its local day.
    ``local_date(instant, tz) -> date``
        The local calendar day of an instant.
    ``add_months(day, months) -> date``
        Calendar months, clamped to the month's last day (Jan 31 + 1 = Feb 28 or 29).

Parsing
    ``parse_when(text, *, now, tz, what) -> When``
        One date word, relative to the aware ``now`` in zone ``tz``. ``what`` names the
        field ("due", "wait", "due.before") in the error message. Accepted, case-insensitive:

        - ``now`` (an instant); ``today``, ``tomorrow``, ``yesterday`` (days);
        - ``mon``..``sun``, ``monday``..``sunday``: the next such day, never today;
        - ``eow`` (Sunday of this week, today on a Sunday), ``eom`` (last day of this
          month), ``eoy`` (December 31 of this year);
        - ``Nd``, ``Nw``, ``Nm``, ``Ny`` with an optional ``+`` or ``-``: the day that many
          days, weeks, months or years from today (months and years clamp to the month's
          last day); ``Nh``, ``+Nh``, ``-Nh``: the instant that many real hours from now
          (four hours across a clock change are still four hours). ``m`` is months.
        - ISO ``2026-12-24`` (a day); ``2026-12-24T17:00``, ``2026-12-24T17:00:00`` and
          with fractional seconds (local wall time); any of these with ``Z`` or an offset
          ``+01:00`` (that exact instant). A space may stand for the ``T``, so what
          ``local_text`` prints can be typed back.

        Anything else is ``InvalidInput`` (exit 2) whose message names the field and the
        word and whose hint lists every accepted form (:data:`ACCEPTED_FORMS`); a day that
        does not exist (``2026-02-30``) says so. Nothing is guessed.

    ``When`` (frozen): ``day`` (the local date, or None for an instant), ``start`` and
    ``end`` (UTC: the day's first and last microsecond, or the instant twice), and

        - ``is_day``: whether it is a whole local day;
        - ``due``: the instant to store as a due (``end``: a day is due until it is over);
        - ``wait``: the instant to store as a wait (``start``: hidden until the day begins);
        - filter bounds: ``due.before:X`` is ``due < X.start``; ``due.after:X`` is
          ``due > X.end``; ``due:X`` is ``X.start <= due <= X.end``.

Display
    ``describe(instant, now, tz) -> str``
        Short and relative, for a table column. An all-day due: ``today``, ``tomorrow``,
        ``yesterday``, ``3d`` (2 to 13 days ahead), ``3d ago`` (2 to 13 days back), else
        ``2026-12-24``. A timed one: ``17:00`` (today), ``tomorrow 17:00``,
        ``yesterday 17:00``, else ``2026-12-24 17:00``.
    ``local_text(instant, tz) -> str``
        For ``show``: ``2026-12-24`` for an all-day due, else ``2026-12-24 17:00``.
    ``is_overdue(due, now) -> bool``: ``due < now``.
    ``is_due_today(due, now, tz) -> bool``
        Whether the due falls on today's local date. A timed due earlier today is both
        overdue and due today: colour by :func:`is_overdue` first.

Clock changes. A typed local wall time that never happens (the spring-forward gap: 02:30 on
the night Berlin goes to summer time) is refused, as February 30 is: nothing is guessed. One
that happens twice (the fall-back overlap) is its first occurrence: 02:30 on the night Berlin
goes back is 02:30 CEST (``fold=0``, PEP 495); an offset (``+01:00``) names the second. A time
that recurrence computes (:func:`localize`) into a gap moves forward by the gap instead: the
next of a daily 02:30 series is 03:30 that night, not no task at all.
"""

from __future__ import annotations

import os
import re
from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from todo_cli.errors import InvalidInput

__all__ = [
    "ACCEPTED_FORMS",
    "When",
    "add_months",
    "day_end",
    "day_start",
    "describe",
    "is_all_day",
    "is_due_today",
    "is_overdue",
    "local_date",
    "local_text",
    "local_zone",
    "localize",
    "parse_when",
    "starts_day",
]

ACCEPTED_FORMS = (
    "now, today, tomorrow, yesterday, a weekday (mon..sun or monday..sunday), eow, eom, "
    "eoy, 3d (or +3d), 2w, 1m, 1y, 4h, -3d, 2026-12-24, 2026-12-24T17:00, "
    "2026-12-24T17:00:00Z, 2026-12-24T17:00+01:00"
)

_LAST_MICROSECOND = time(23, 59, 59, 999999)
_ONE_MICROSECOND = timedelta(microseconds=1)
_SYSTEM_ZONE_FILE = Path("/etc/localtime")
# Within 13 days a count of days reads faster than a date; beyond two weeks it does not.
_RELATIVE_DAYS_SHOWN = 13

_WEEKDAYS = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
# English names, not calendar.month_name, which follows the process locale.
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# [0-9], not \d: \d also matches other scripts' digits, which int() would then accept.
_RELATIVE = re.compile(r"([+-]?)([0-9]+)([dwmyh])")
_ISO = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[t ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,6}))?)?"
    r"(?P<zone>z|[+-][0-9]{2}:[0-9]{2})?)?"
)
# More digits than this cannot be a date before year 10000 in any unit.
_MAX_COUNT_DIGITS = 9


# -- zone and days -------------------------------------------------------------------------


def local_zone(environ: Mapping[str, str] | None = None) -> tzinfo:
    """The user's time zone, with its daylight-saving rules.

    ``TZ`` wins when set: an IANA name (``Europe/Berlin``), optionally with the leading
    ``:`` POSIX allows, or an absolute path to a zone file. An empty ``TZ`` means UTC, as
    for the C library. A ``TZ`` that names no zone is refused (``InvalidInput``) rather
    than silently replaced, because every date the user types would shift. Without ``TZ``
    the system zone (``/etc/localtime``) as a real zone, never a fixed offset, so that
    dates on the other side of a daylight-saving change get their own offset; UTC when
    there is none. ``environ`` defaults to ``os.environ``.
    """
    env = os.environ if environ is None else environ
    raw = env.get("TZ")
    if raw is not None:
        return _zone_from_tz(raw)
    return _system_zone()


def zone_name(tz: tzinfo) -> str | None:
    """A name :func:`zone_named` gives ``tz`` back by (its IANA name or file, "UTC"),
    or None for a zone that has none (a POSIX rule's)."""
    if tz is UTC:
        return "UTC"
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) and key else None


def zone_named(name: str) -> tzinfo | None:
    """The zone of a name :func:`zone_name` gave; None when this machine has none by it."""
    try:
        return _zone_from_tz(name) if name.strip() else None
    except InvalidInput:
        return None


def _zone_from_tz(raw: str) -> tzinfo:
    name = raw[1:] if raw.startswith(":") else raw
    if not name.strip():
        return UTC
    try:
        if name.startswith("/"):
            with open(name, "rb") as handle:
                return ZoneInfo.from_file(handle, key=name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    try:
        return _posix_rule_zone(name)
    except ValueError:
        raise InvalidInput(
            f"TZ: {raw!r} is not a time zone",
            hint="set TZ to an IANA name such as Europe/Berlin, a POSIX rule such as "
            "CET-1CEST,M3.5.0,M10.5.0/3, or unset it",
        ) from None


def _posix_rule_zone(rule: str) -> ZoneInfo:
    """The zone a POSIX TZ rule (``CET-1CEST,M3.5.0,M10.5.0/3``, ``JST-9``) describes.

    The C library (and so `date`) takes such a rule where no zone file has the
    name; zoneinfo reads one only as the footer of a zone file, which it follows
    for every instant after the file's last transition. So: a zone file of no
    transitions, one placeholder type, and the rule as its footer. A rule
    zoneinfo cannot parse is ValueError.
    """
    import io
    import struct

    if not rule.isascii() or "\n" in rule or "/" in rule.split(",", 1)[0]:
        raise ValueError(rule)

    def header() -> bytes:
        # Version 2; counts: UT/local and standard/wall indicators, leap seconds,
        # transitions, types (one) and designation bytes ("UTC\0").
        return b"TZif2" + bytes(15) + struct.pack(">6l", 0, 0, 0, 0, 1, 4)

    types = struct.pack(">lBB", 0, 0, 0) + b"UTC\0"
    data = header() + types + header() + types + b"\n" + rule.encode("ascii") + b"\n"
    zone = ZoneInfo.from_file(io.BytesIO(data), key=rule)
    # The C library takes offsets up to 24:59:59 (`XXX-24`); Python's are under a
    # day, and such a zone failed later, at the first date, as a bug (exit 70).
    # Asked in January and July: a rule's standard and daylight offsets both.
    for month in (1, 7):
        try:
            datetime(2000, month, 15, 12, tzinfo=zone).utcoffset()
        except (ValueError, OverflowError):
            raise ValueError(rule) from None
    return zone


def _system_zone() -> tzinfo:
    # A key (Europe/Berlin) is preferred to the file's bytes: it is cached by zoneinfo and
    # prints as a name. The symlink target ends in .../zoneinfo/<key> on every common system.
    try:
        target = os.path.realpath(_SYSTEM_ZONE_FILE)
    except OSError:
        return UTC
    marker = "/zoneinfo/"
    if marker in target:
        key = target.rsplit(marker, 1)[1]
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    try:
        with open(_SYSTEM_ZONE_FILE, "rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError):
        return UTC


def localize(wall: datetime, tz: tzinfo) -> datetime:
    """The UTC instant of a naive local wall time in ``tz``.

    A wall time that happens twice (the hour the clocks go back) takes the first
    occurrence; one that never happens (the hour the clocks go forward) moves forward by
    the gap (02:30 on a spring-forward night in Berlin is 03:30 CEST). Both are what
    ``fold=0`` means (PEP 495), chosen so that no input is refused for the clock's sake.
    """
    if wall.tzinfo is not None:
        raise ValueError("localize takes a naive wall time")
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def day_start(day: date, tz: tzinfo) -> datetime:
    """00:00 local of ``day`` (or the first instant of it, if midnight is skipped), in UTC."""
    return localize(datetime.combine(day, time.min), tz)


def day_end(day: date, tz: tzinfo) -> datetime:
    """The last microsecond of ``day`` in local time (23:59:59.999999), in UTC.

    Computed as one microsecond before the next day starts, so that it is right even when
    23:59:59.999999 happens twice (clocks going back at midnight): a day ends when the next
    one begins.
    """
    return day_start(day + timedelta(days=1), tz) - _ONE_MICROSECOND


def is_all_day(instant: datetime, tz: tzinfo) -> bool:
    """Whether ``instant`` is the last microsecond of its local day: a due given as a
    date, not a time. That is 23:59:59.999999 local, except on a day whose last hour the
    clocks skip (Greenland springs forward from 23:00 to 00:00): there it is 22:59:59.999999,
    and a due given as that date was shown as "22:59", and its series went on timed."""
    local = _aware(instant).astimezone(tz)
    if local.time() == _LAST_MICROSECOND:
        return True
    return (
        local.microsecond == _LAST_MICROSECOND.microsecond
        and local.second == _LAST_MICROSECOND.second
        and _aware(instant) == day_end(local.date(), tz)
    )


def starts_day(instant: datetime, tz: tzinfo) -> bool:
    """Whether ``instant`` is the first instant of its local day (a wait given as a date):
    00:00 local, or 01:00 where the clocks skip midnight (Santiago, Havana)."""
    local = _aware(instant).astimezone(tz)
    if local.time() == time.min:
        return True
    return (
        local.microsecond == 0
        and local.second == 0
        and _aware(instant) == day_start(local.date(), tz)
    )


def local_date(instant: datetime, tz: tzinfo) -> date:
    """The local calendar day ``instant`` falls on."""
    return _aware(instant).astimezone(tz).date()


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the target month's last day.

    Jan 31 + 1 is Feb 28 (29 in a leap year); Feb 29 + 12 is Feb 28. Raises
    ``OverflowError`` outside years 1 to 9999.
    """
    total = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    last = monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def _aware(instant: datetime) -> datetime:
    # A naive datetime here is a programming error, not user input: fail loudly.
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("expected an aware datetime")
    return instant


# -- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class When:
    """A parsed date word: a whole local day, or an instant.

    ``day`` is the local date for a whole day and None for an instant. ``start`` and ``end``
    are aware UTC instants: the day's first and last microsecond, or the instant itself
    twice. Build one with :meth:`of_day` or :meth:`at`.
    """

    day: date | None
    start: datetime
    end: datetime

    @classmethod
    def of_day(cls, day: date, tz: tzinfo) -> When:
        """The whole local ``day`` in ``tz``."""
        return cls(day, day_start(day, tz), day_end(day, tz))

    @classmethod
    def at(cls, instant: datetime) -> When:
        """Exactly ``instant`` (stored in UTC)."""
        utc = _aware(instant).astimezone(UTC)
        return cls(None, utc, utc)

    @property
    def is_day(self) -> bool:
        """Whether this is a whole local day rather than an instant."""
        return self.day is not None

    @property
    def due(self) -> datetime:
        """The instant to store as a due: a day is due until it is over."""
        return self.end

    @property
    def wait(self) -> datetime:
        """The instant to store as a wait: a day's task is hidden until the day begins."""
        return self.start


def parse_when(text: str, *, now: datetime, tz: tzinfo, what: str) -> When:
    """Parse one date word relative to ``now`` (aware) in zone ``tz``.

    See the module docstring for the grammar. ``what`` names the field in the message of
    the ``InvalidInput`` raised for anything not accepted.
    """
    now = _aware(now)
    word = text.strip().lower()
    today = now.astimezone(tz).date()
    try:
        when = _parse_word(word, now=now, today=today, tz=tz)
    except _NoSuchDate as reason:
        raise InvalidInput(f"{what}: {text!r} is not a date: {reason}", hint=reason.hint) from None
    except (OverflowError, ValueError):
        # Date arithmetic past year 9999 (or before year 1) ends here.
        raise _out_of_range(what, text, tz) from None
    if when is None:
        raise _refusal(what, text, "")
    if not (within_calendar(when.start) and within_calendar(when.end)):
        # Kept a day inside the calendar's ends, so that every zone (UTC+14 to
        # UTC-12) can still show the instant as a local date and time.
        raise _out_of_range(what, text, tz)
    return when


def _out_of_range(what: str, text: str, tz: tzinfo) -> InvalidInput:
    # The form is right: the forms accepted would not help, the range does.
    return InvalidInput(
        f"{what}: {text!r} is not a date: it is out of range",
        hint=f"give a day from {first_whole_day(tz).isoformat()} to "
        f"{last_whole_day(tz).isoformat()}",
    )


# The first and last instants a date word may name (see parse_when).
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def within_calendar(instant: datetime) -> bool:
    """Whether every zone (UTC+14 to UTC-12) can show `instant` as a local date and time:
    a day inside the calendar's ends. Dates typed, imported and made by recurrence alike."""
    return _EARLIEST <= instant <= _LATEST


def first_whole_day(tz: tzinfo) -> date:
    """The first day a date given can name in zone ``tz`` (its start within the
    calendar): 0001-01-02 in UTC and west of it, 0001-01-03 east of it."""
    day = _EARLIEST.astimezone(tz).date()
    while True:
        try:
            if day_start(day, tz) >= _EARLIEST:
                return day
        except OverflowError:
            pass  # its start is before year 1 in UTC
        day += timedelta(days=1)


def last_whole_day(tz: tzinfo) -> date:
    """The last day a due given as a date can name in zone ``tz`` (its end within the
    calendar): 9999-12-29 in UTC and east of it, 9999-12-28 west of it."""
    day = _LATEST.astimezone(tz).date()
    while day_end(day, tz) > _LATEST:
        day -= timedelta(days=1)
    return day


class _NoSuchDate(Exception):
    """A well-formed ISO word naming a day or time that does not exist, and what to
    give instead: the forms accepted would not help, the word has one of them."""

    def __init__(self, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.hint = hint


def wall_clock(local: datetime) -> str:
    """A local time's hour and minute, ``02:30``; with its offset, ``02:30 +01:00``,
    where the zone's clocks show that time twice (the hour a change back from summer
    time repeats): two instants an hour apart read the same otherwise."""
    text = f"{local:%H:%M}"
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        text += " " + _offset_text(local.utcoffset())
    return text


def _clock_text(wall: datetime) -> str:
    """A wall time as an ISO word writes it: ``02:30``, ``02:30:45``, ``02:59:59.5``."""
    text = f"{wall:%H:%M}"
    if wall.second or wall.microsecond:
        text += f":{wall:%S}"
    if wall.microsecond:
        text += f".{wall.microsecond:06d}".rstrip("0")
    return text


def _offset_text(offset: timedelta | None) -> str:
    """``+01:00`` for an hour east of UTC (``+05:45``, ``-03:30``)."""
    minutes = round((offset or timedelta()).total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _refusal(what: str, text: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{what}: {text!r} is not a date{reason}", hint=f"use {ACCEPTED_FORMS}")


def _parse_word(word: str, *, now: datetime, today: date, tz: tzinfo) -> When | None:
    if word == "now":
        return When.at(now)
    day = _named_day(word, today)
    if day is not None:
        return When.of_day(day, tz)
    relative = _RELATIVE.fullmatch(word)
    if relative is not None:
        return _relative(relative, now=now, today=today, tz=tz)
    iso = _ISO.fullmatch(word)
    if iso is not None:
        return _iso(iso, tz)
    return None


def _named_day(word: str, today: date) -> date | None:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word == "yesterday":
        return today - timedelta(days=1)
    if word == "eow":
        return today + timedelta(days=6 - today.weekday())
    if word == "eom":
        return today.replace(day=monthrange(today.year, today.month)[1])
    if word == "eoy":
        return date(today.year, 12, 31)
    weekday = _WEEKDAYS.get(word)
    if weekday is not None:
        # 1 to 7 days ahead: "fri" on a Friday is next week's Friday, never today.
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return None


def _relative(match: re.Match[str], *, now: datetime, today: date, tz: tzinfo) -> When:
    sign, digits, unit = match.groups()
    if len(digits) > _MAX_COUNT_DIGITS:
        raise OverflowError("count too large")
    count = -int(digits) if sign == "-" else int(digits)
    if unit == "h":
        # Real hours, counted on the UTC timeline: 4h across a clock change is 4 hours.
        return When.at(now.astimezone(UTC) + timedelta(hours=count))
    if unit == "d":
        day = today + timedelta(days=count)
    elif unit == "w":
        day = today + timedelta(weeks=count)
    elif unit == "m":
        day = add_months(today, count)
    else:
        day = add_months(today, 12 * count)
    return When.of_day(day, tz)


def _iso(match: re.Match[str], tz: tzinfo) -> When:
    year, month, day = (int(match[name]) for name in ("year", "month", "day"))
    if not 1 <= month <= 12:
        raise _NoSuchDate(f"there is no month {month}", "give a month from 01 to 12")
    if year < 1 or not 1 <= day <= monthrange(year, month)[1]:
        raise _NoSuchDate(
            f"there is no {_MONTH_NAMES[month - 1]} {day} in {year:04d}",
            f"give a day from {first_whole_day(tz).isoformat()} to {last_whole_day(tz).isoformat()}"
            if year < 1
            else f"give a day from 01 to {monthrange(year, month)[1]}",
        )
    calendar_day = date(year, month, day)
    if match["hour"] is None:
        begins = day_start(calendar_day, tz).astimezone(tz).date()
        if begins != calendar_day:
            # Samoa went from 2011-12-29 to 12-31: a due on the 30th was stored as
            # the end of the 29th (the day before, silently), a wait as the 31st.
            where = getattr(tz, "key", None) or "the local time zone"
            raise _NoSuchDate(
                f"there is no {calendar_day} in {where} (the clocks jump over that whole day)",
                f"give {begins}, the day the clocks show then",
            )
        return When.of_day(calendar_day, tz)
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    microsecond = int((match["fraction"] or "0").ljust(6, "0"))
    if hour > 23 or minute > 59 or second > 59:
        raise _NoSuchDate(
            f"there is no time {hour:02d}:{minute:02d}:{second:02d}",
            "give a time from 00:00 to 23:59:59",
        )
    wall = datetime.combine(calendar_day, time(hour, minute, second, microsecond))
    zone = match["zone"]
    if zone is None:
        instant = localize(wall, tz)
        if instant.astimezone(tz).replace(tzinfo=None) != wall:
            where = getattr(tz, "key", None) or "the local time zone"
            # The clock's time at that instant (the gap's length later), and the time
            # as given with the offset before the jump, both name the moment meant.
            shown = instant.astimezone(tz).replace(tzinfo=None)
            earlier = _offset_text((instant - (shown - wall)).astimezone(tz).utcoffset())
            jumped = "that whole day" if shown - wall >= timedelta(days=1) else "it that night"
            raise _NoSuchDate(
                f"there is no {_clock_text(wall)} on {calendar_day} in {where} "
                f"(the clocks jump over {jumped})",
                f"give {shown.date()}T{_clock_text(shown)}, the time the clocks show then, "
                f"or the time with an offset: {calendar_day}T{_clock_text(wall)}{earlier}",
            )
        return When.at(instant)
    if zone == "z":
        return When.at(wall.replace(tzinfo=UTC))
    offset_hours, offset_minutes = int(zone[1:3]), int(zone[4:6])
    if offset_hours > 23 or offset_minutes > 59:
        raise _NoSuchDate(f"there is no offset {zone}", "give an offset from -23:59 to +23:59")
    offset = timedelta(hours=offset_hours, minutes=offset_minutes)
    return When.at(wall.replace(tzinfo=timezone(-offset if zone[0] == "-" else offset)))


# -- display -------------------------------------------------------------------------------


def describe(instant: datetime, now: datetime, tz: tzinfo) -> str:
    """Short and relative, for a table column.

    An all-day due: ``today``, ``tomorrow``, ``yesterday``, ``3d`` (2 to 13 days ahead),
    ``3d ago`` (2 to 13 days back), else ``2026-12-24``. A timed one: ``17:00`` (today),
    ``tomorrow 17:00``, ``yesterday 17:00``, else ``2026-12-24 17:00``.
    """
    local = _aware(instant).astimezone(tz)
    today = _aware(now).astimezone(tz).date()
    days = (local.date() - today).days
    if is_all_day(instant, tz):
        if days == 0:
            return "today"
        if days == 1:
            return "tomorrow"
        if days == -1:
            return "yesterday"
        if 2 <= days <= _RELATIVE_DAYS_SHOWN:
            return f"{days}d"
        if -_RELATIVE_DAYS_SHOWN <= days <= -2:
            return f"{-days}d ago"
        return local.date().isoformat()
    clock = wall_clock(local)
    if days == 0:
        return clock
    if days == 1:
        return f"tomorrow {clock}"
    if days == -1:
        return f"yesterday {clock}"
    return f"{local.date().isoformat()} {clock}"


def local_text(instant: datetime, tz: tzinfo) -> str:
    """For ``show``: ``2026-12-24`` for an all-day due, else ``2026-12-24 17:00`` local."""
    local = _aware(instant).astimezone(tz)
    if is_all_day(instant, tz):
        return local.date().isoformat()
    # isoformat, not strftime's %Y, which does not pad years before 1000 on every platform.
    return f"{local.date().isoformat()} {wall_clock(local)}"


def is_overdue(due: datetime, now: datetime) -> bool:
    """Whether ``due`` has passed. An all-day due passes when its local day is over."""
    return _aware(due) < _aware(now)


def is_due_today(due: datetime, now: datetime, tz: tzinfo) -> bool:
    """Whether ``due`` falls on today's local date.

    Independent of :func:`is_overdue`: a timed due earlier today is both; colour overdue
    first.
    """
    return local_date(due, tz) == local_date(now, tz)
