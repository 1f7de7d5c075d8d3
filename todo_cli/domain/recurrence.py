"""Recurrence: the ``recur:`` grammar and the due date of a completed task's successor.

Grammar (case-insensitive), parsed by ``parse_recur(text) -> Recurrence``:

- ``Nd``, ``Nw``, ``Nm``, ``Ny`` (N from 1 to 999): the next task is due N days, weeks,
  months or years AFTER COMPLETION, counted from the local date the task was completed;
- ``+Nd``, ``+Nw``, ``+Nm``, ``+Ny``: the CADENCE of the due dates is kept (weekly from a
  Monday stays on Mondays whenever the task is completed);
- ``daily``, ``weekly``, ``monthly``, ``yearly`` keep the cadence, as Taskwarrior's
  recurrence does: they are ``+1d``, ``+1w``, ``+1m``, ``+1y``;
- ``weekdays``: Monday to Friday on the cadence (Saturday and Sunday are skipped);
- any of the words may also take the leading ``+``.

Anything else is ``InvalidInput`` (exit 2) listing the accepted forms.

Canonical text. ``str(recurrence)`` is what the database stores and JSON prints, and
``parse_recur(str(r)) == r``: ``daily``, ``weekly``, ``monthly``, ``yearly`` and
``weekdays`` for the named cadences (so ``+1w`` is stored as ``weekly``), ``+2w`` for
other cadences, ``2w`` for after-completion.

The series. Each task of a series carries the series' ``anchor`` (the first task's due) and
its ``index`` in the series (0 for the first). In cadence mode occurrence k is the anchor
moved by k intervals in LOCAL wall time, the day of month clamped to the month's last day:
monthly from Jan 31 is Feb 28 (29), Mar 31, Apr 30; yearly from Feb 29 is Feb 28 and again
Feb 29 in the next leap year. Counting from the anchor, not from the previous due, is what
brings the 31st back. ``weekdays`` counts Monday-to-Friday days from the anchor.

``next_due(rec, *, due, anchor, index, completed_at, now, tz) -> Successor``
    The successor's ``due``, ``anchor`` and ``index``, all pure:

    - cadence: the first occurrence after the current one that is after ``now``;
      completing three weeks late gives one task due after now, never a backlog. If ``due``
      is not occurrence ``index`` of ``anchor`` (the user moved the due, or the anchor was
      lost), the current due becomes the anchor, index 0, and the series goes on from it.
    - after completion: N units after the local date of ``completed_at``. A due given as a
      date stays a date (the end of that day); a timed due keeps its local time of day
      (a task due 07:00 completed at 20:00 with ``1w`` is due at 07:00 a week later), since
      the time a task is done at says little about when it should be done next. The
      series restarts there: the successor is its own anchor, index 0.

    Across a daylight-saving change a date-only due stays a whole local day (23:59:59.999999
    local) and a timed due keeps its local wall time (09:00 stays 09:00). A wall time that
    falls in a spring-forward gap moves forward by the gap; one in a fall-back overlap is its
    first occurrence (see ``todo_cli.domain.dates.localize``).

``shift(wait, old_due, new_due, tz) -> datetime | None``
    The successor's wait: moved by as many local calendar days as the due moved, keeping
    its local time of day, so a wait one day before a monthly due stays one day before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import Enum

from todo_cli.domain.dates import (
    add_months,
    day_end,
    day_start,
    is_all_day,
    last_whole_day,
    localize,
    starts_day,
    within_calendar,
)
from todo_cli.errors import InvalidInput

__all__ = [
    "ACCEPTED_FORMS",
    "MAX_COUNT",
    "Recurrence",
    "Successor",
    "Unit",
    "next_due",
    "parse_recur",
    "shift",
]

MAX_COUNT = 999
ACCEPTED_FORMS = (
    "daily, weekly, monthly, yearly, weekdays, Nd, Nw, Nm, Ny after completion, "
    f"+Nd, +Nw, +Nm, +Ny on the due dates' cadence, N from 1 to {MAX_COUNT}"
)


class Unit(Enum):
    """The step of a recurrence; the value is its letter in the canonical text."""

    DAY = "d"
    WEEK = "w"
    MONTH = "m"
    YEAR = "y"
    WEEKDAY = "weekdays"


_NAMED = {
    "daily": Unit.DAY,
    "weekly": Unit.WEEK,
    "monthly": Unit.MONTH,
    "yearly": Unit.YEAR,
}
_NAME_OF = {unit: name for name, unit in _NAMED.items()}
_COUNTED = re.compile(r"(\+?)([0-9]+)([dwmy])")


@dataclass(frozen=True, slots=True)
class Recurrence:
    """How a series repeats: ``count`` ``unit`` steps, on the cadence or after completion.

    ``weekdays`` is ``Recurrence(Unit.WEEKDAY)``: one Monday-to-Friday day, on the cadence.
    """

    unit: Unit
    count: int = 1
    cadence: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_COUNT:
            raise ValueError(f"count must be from 1 to {MAX_COUNT}")
        if self.unit is Unit.WEEKDAY and (self.count != 1 or not self.cadence):
            raise ValueError("weekdays is one day at a time, on the cadence")

    def __str__(self) -> str:
        if self.unit is Unit.WEEKDAY:
            return "weekdays"
        if self.cadence and self.count == 1:
            return _NAME_OF[self.unit]
        return f"{'+' if self.cadence else ''}{self.count}{self.unit.value}"


@dataclass(frozen=True, slots=True)
class Successor:
    """The next task of a series: its due, and the anchor and index it carries."""

    due: datetime
    anchor: datetime
    index: int


def parse_recur(text: str) -> Recurrence:
    """Parse a ``recur:`` value; see the module docstring for the grammar."""
    word = text.strip().lower()
    bare = word.removeprefix("+")
    if bare == "weekdays":
        return Recurrence(Unit.WEEKDAY)
    if bare in _NAMED:
        return Recurrence(_NAMED[bare])
    match = _COUNTED.fullmatch(word)
    if match is None:
        raise _refusal(text, "")
    plus, digits, letter = match.groups()
    # The length check keeps int() away from absurd digit strings (leading zeros aside:
    # `00001d` is a count of 1, as `007d` is 7).
    digits = digits.lstrip("0") or "0"
    count = int(digits) if len(digits) <= 4 else MAX_COUNT + 1
    if not 1 <= count <= MAX_COUNT:
        raise _refusal(text, f": the count must be from 1 to {MAX_COUNT}")
    return Recurrence(Unit(letter), count, cadence=plus == "+")


def _refusal(text: str, reason: str) -> InvalidInput:
    return InvalidInput(
        f"recur: {text!r} is not a recurrence{reason}", hint=f"use {ACCEPTED_FORMS}"
    )


def next_due(
    rec: Recurrence,
    *,
    due: datetime,
    anchor: datetime,
    index: int,
    completed_at: datetime,
    now: datetime,
    tz: tzinfo,
) -> Successor:
    """The successor of the task due at ``due``, occurrence ``index`` of the series at ``anchor``.

    Cadence: the first occurrence after ``index`` that is after both ``due`` and ``now``,
    with the same anchor (re-anchored on ``due`` when ``due`` is not occurrence ``index``).
    After completion: ``rec.count`` units after the local date of ``completed_at``, at the
    due's local time of day (or as a whole day), as a new anchor with index 0.
    """
    all_day = is_all_day(due, tz)
    if not rec.cadence:
        start = completed_at.astimezone(tz).date()
        like = due
        day = due.astimezone(tz).date()
        if not all_day and anchor != due and _due_on(rec, day, anchor, all_day, tz) == due:
            # The due is the anchor's time of day as its day allowed it (02:30 on the
            # night the clocks skip it is 03:30): the series goes on at the anchor's.
            like = anchor
        successor = _within_calendar(
            rec, _due_on(rec, _step(start, rec, 1, tz), like, all_day, tz), tz
        )
        if all_day or successor.astimezone(tz).time() == like.astimezone(tz).time():
            return Successor(successor, successor, 0)
        # Moved by a skipped hour itself: the anchor keeps the time of day given.
        return Successor(successor, like, 0)
    if index < 0 or _occurrence(rec, anchor, index, all_day, tz) != due:
        anchor, index = due, 0
    anchor_day = anchor.astimezone(tz).date()
    k = max(index + 1, _past_occurrences(rec, anchor_day, now.astimezone(tz).date()))
    while True:
        candidate = _occurrence(rec, anchor, k, all_day, tz)
        if candidate > now and candidate > due:
            return Successor(_within_calendar(rec, candidate, tz), anchor, k)
        k += 1


def _within_calendar(rec: Recurrence, due: datetime, tz: tzinfo) -> datetime:
    """`due`, when every zone can still show it (dates.within_calendar), as `due:` takes."""
    if not within_calendar(due):
        raise _past_calendar(rec, tz)
    return due


def _past_calendar(rec: Recurrence, tz: tzinfo) -> InvalidInput:
    # The last day every zone can show (dates.within_calendar), not the year's end, as
    # this zone's days end: west of UTC that is a day earlier.
    last = last_whole_day(tz).isoformat()
    return InvalidInput(
        f"recur: the series {rec} runs past {last}, the last day a task can be due",
        hint="stop the recurrence with recur:",
    )


def shift(
    wait: datetime | None, old_due: datetime, new_due: datetime, tz: tzinfo
) -> datetime | None:
    """The successor's wait: moved by as many local days as the due, same local time of day.

    None stays None. A wait one day before a monthly due stays one day before it, including
    from Jan 31 to Feb 28; a wait at the start of a day stays at the start of a day.
    """
    if wait is None:
        return None
    days = (new_due.astimezone(tz).date() - old_due.astimezone(tz).date()).days
    local = wait.astimezone(tz)
    if starts_day(wait, tz):
        # Where the clocks skip midnight the day began at 01:00: the next one at its start.
        return day_start(local.date() + timedelta(days=days), tz)
    return localize(datetime.combine(local.date() + timedelta(days=days), local.time()), tz)


def _occurrence(rec: Recurrence, anchor: datetime, k: int, all_day: bool, tz: tzinfo) -> datetime:
    # Occurrence k is computed from the anchor, never from the previous one, so that a
    # clamped day (Feb 28) does not stick: the 31st comes back in March.
    return _due_on(rec, _step(anchor.astimezone(tz).date(), rec, k, tz), anchor, all_day, tz)


def _due_on(rec: Recurrence, day: date, like: datetime, all_day: bool, tz: tzinfo) -> datetime:
    try:
        return _at(day, like, all_day, tz)
    except OverflowError:
        # 9999-12-31 itself: its end is the start of a day Python has no date for.
        raise _past_calendar(rec, tz) from None


def _at(day: date, like: datetime, all_day: bool, tz: tzinfo) -> datetime:
    """``day`` as a due shaped like ``like``: the whole day, or at its local wall time."""
    if all_day:
        return day_end(day, tz)
    wall = like.astimezone(tz).replace(tzinfo=None)
    return localize(datetime.combine(day, wall.time()), tz)


def day_after(day: date, rec: Recurrence, tz: tzinfo) -> date | None:
    """The day one step of ``rec`` after ``day`` (None past the calendar's end)."""
    try:
        return _step(day, rec, 1, tz)
    except InvalidInput:
        return None


def _step(start: date, rec: Recurrence, k: int, tz: tzinfo) -> date:
    try:
        if rec.unit is Unit.DAY:
            return start + timedelta(days=k * rec.count)
        if rec.unit is Unit.WEEK:
            return start + timedelta(weeks=k * rec.count)
        if rec.unit is Unit.MONTH:
            return add_months(start, k * rec.count)
        if rec.unit is Unit.YEAR:
            return add_months(start, 12 * k * rec.count)
        return _add_weekdays(start, k)
    except OverflowError:
        raise _past_calendar(rec, tz) from None


def _add_weekdays(start: date, k: int) -> date:
    """``k`` Monday-to-Friday days after ``start`` (a weekend start counts from its Friday)."""
    if k == 0:
        return start
    # From a Saturday or Sunday, counting from the Friday before gives the same days
    # (Sat + 1 = Mon) and lets whole weeks be added at once.
    friday_offset = start.weekday() - 4
    if friday_offset > 0:
        start -= timedelta(days=friday_offset)
    weeks, rest = divmod(k, 5)
    day = start + timedelta(weeks=weeks)
    while rest:
        day += timedelta(days=1)
        if day.weekday() < 5:
            rest -= 1
    return day


def _past_occurrences(rec: Recurrence, anchor_day: date, today: date) -> int:
    """A k such that every occurrence before k falls two local days or more before ``today``.

    Lets a series completed long after its due jump close to now instead of stepping
    through every missed occurrence. Occurrences only grow with k, so it is enough that
    occurrence k - 1 is that far back. Two days, not one, so that a late wall time pushed
    past midnight by a clock change cannot cross into today unseen.
    """
    days = (today - anchor_day).days
    if rec.unit in (Unit.DAY, Unit.WEEK):
        step = rec.count * (7 if rec.unit is Unit.WEEK else 1)
        return (days - 2) // step + 1
    if rec.unit is Unit.WEEKDAY:
        # Five weekdays from a Friday or earlier span at most one week.
        return 5 * ((days - 2) // 7) + 1
    # An occurrence two calendar months back is at least two days back.
    months = (today.year - anchor_day.year) * 12 + today.month - anchor_day.month
    step = rec.count * (12 if rec.unit is Unit.YEAR else 1)
    return (months - 2) // step + 1
