"""Taskwarrior: read what ``task export`` writes, write what ``task import`` reads.

Checked against Taskwarrior 2.6.2 (tests/fixtures/taskwarrior/ are its real output).

Layout. ``task export`` writes a JSON array (``rc.json.array=on``, the default) or, with it
off, one object a line; ``task import`` reads both. :func:`parse_text` takes either;
:func:`read` takes objects one by one with their position (``task 3``, ``line 3``), so a
streaming JSON reader can feed it. :func:`write` streams a JSON array, object by object.

Reading, key by key:

- ``uuid`` is the id. The same uuid twice in one input is a problem.
- ``description`` is the title. One that does not fit a title (over 200 characters, or
  several lines) keeps its first line, shortened at a word boundary, as the title and the
  whole text as the description, with a notice (``interchange.split_title``).
- ``entry`` is created_at; ``modified`` is updated_at (entry when absent).
- ``status``: ``pending`` and ``waiting`` (older files) are open, ``completed`` is done
  with ``end`` as completed_at (without ``end``, as ``task import`` takes it: ``modified``,
  else ``entry``, with a notice), ``deleted`` is not imported (``skipped["deleted"]``), and
  ``recurring`` is a template, not a task: see Recurrence. Anything else is a problem.
- ``due``, ``wait``: ``20261124T093000Z``. Taskwarrior stores a due typed as a date as
  00:00 local time, so a due at exactly 00:00 local is read as that whole day (our
  23:59:59.999999 local); a due really meant for midnight reads as the day too.
- ``priority`` H/M/L, ``project``, ``tags`` (an array),
  ``annotations`` (notes, with their times), ``depends`` (an array of uuids, or the older
  comma-separated string). A dependency on a task of the input that is not imported
  (deleted, a template, a later recurring instance) is dropped or redirected, with a notice.
- ``id``, ``urgency`` (output only), ``mask``, ``imask``, ``rtype``, ``parent``
  (recurrence bookkeeping) are not kept as attributes: the writer makes the bookkeeping
  again, from what is kept of the series (below) where there is some.
- A tag, project or priority Taskwarrior takes that is none here (``+@home``, ``a.b``,
  ``project:My Project``, a priority ``uda.priority.values`` lists beside H, M and L: ``task
  import`` takes any word), and the tags past the most a task has here, do not refuse the
  task: they are kept in ``attributes`` (``taskwarrior.tags``, ``taskwarrior.project``,
  ``taskwarrior.priority``), said in a notice, written back, and carried to the next task
  of a series.
- Every other key (``scheduled``, ``until``, ``start``, user-defined attributes, keys we
  do not know) is kept as-is in ``attributes`` and written back.

Recurrence. Taskwarrior keeps a template (``status: recurring``, ``recur``, ``mask``) and
makes a pending instance per due date (``parent`` = the template, ``imask`` its index),
several at once when the series is behind. We keep one open task per series: the pending
instance with the earliest due carries the recurrence, ``series_id`` is the template's
uuid, and the later pending instances are not imported (``skipped["later recurring
instance"]``, one notice per series): completing the open task makes the next one.
A deleted template's series has ended: each of its pending instances is imported, with
no recurrence (ENDED_RECUR_HINT), the first in the series, the others keeping it in
ENDED_SERIES_HINT (a series has one open task here); all are written back as instances
of that template.
What Taskwarrior keeps of the series beside that task (the template's first due and mask,
the task's index, the later instances as written) is kept with it
(``attributes["taskwarrior.series"]``, unless the series has just begun and there is
nothing beyond the task itself). A
template with no pending instance becomes an open task itself (a new id derived from the
template's uuid, so that importing again finds it), with a notice. Completed instances keep
their ``series_id`` and ``recur``. Taskwarrior's recurrence always keeps the cadence of the
due dates, so ``weekly`` is ``weekly``, ``2w``/``biweekly``/``fortnight`` are ``+2w``,
``quarterly`` ``+3m``, ``semiannual`` ``+6m``, ``annual``/``yearly`` ``yearly``,
``3days`` ``+3d``, ``P1W`` ``weekly``; month words Taskwarrior counts as 30 days
(``2mo``, ``2months``) become calendar months with a notice; hours and minutes are a
problem. When the mapping does not give back the original word, the word is kept in
``attributes["taskwarrior.recur"]`` and written back while the recurrence is unchanged.

Writing. Open tasks are ``pending`` (2.6 itself writes a waiting task as pending with a
future ``wait``; it turns an imported ``waiting`` into that too), done ones ``completed``
with ``end``. Times are written to the second (Taskwarrior keeps no fraction). A due that is
a whole day is written as 00:00 local of that day, as Taskwarrior stores dates. Notes are
annotations; a description that is not the long text the title was cut from has no place in
Taskwarrior and is written as an annotation at created_at. A recurring open task is written
as a template (uuid = ``series_id``, ``mask`` ``-``) plus the task as its instance 0
(``parent``, ``imask`` 0), so its uuid survives: 2.6, given a pending task with ``recur``
and no ``parent``, turns that task itself into the template and makes the instance under a
new uuid. A task imported with its series kept, while its recurrence is unchanged, is
written with the template's own due and mask, its own index, and the later instances as
Taskwarrior wrote them: imported into the data it came from, Taskwarrior finds its series
as it left it and makes no instance twice; into fresh data, the same instances exist.
Completing that task here goes on with the series as kept (:func:`series_after`): the
next task takes the uuid and index of Taskwarrior's instance for its occurrence.
Completed tasks of a series are written with ``parent`` and ``recur``. After
``task import``, Taskwarrior makes further instances of the template up to now as it always
does (``rc.recurrence=off`` holds that back).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final, cast
from uuid import UUID, uuid5

from todo_cli.domain.dates import (
    day_end,
    day_start,
    is_all_day,
    local_date,
    zone_name,
    zone_named,
)
from todo_cli.domain.fields import (
    DEAD_TEMPLATE_HINT,
    DEPENDS_HINT,
    ENDED_RECUR_HINT,
    ENDED_SERIES_HINT,
    IMASK_HINT,
    SERIES_HINT,
    TASKWARRIOR_PRIORITY_HINT,
    TASKWARRIOR_PROJECT_HINT,
    TASKWARRIOR_TAGS_HINT,
    with_kept_depends,
)
from todo_cli.domain.names import composed
from todo_cli.domain.recurrence import Recurrence, Unit, parse_recur
from todo_cli.errors import InvalidInput
from todo_cli.formats.interchange import (
    DESCRIPTION_MAX,
    INTEGER_MAX,
    NOTE_MAX,
    PRIORITIES,
    TAGS_PER_TASK_MAX,
    ImportBatch,
    Losses,
    Note,
    Priority,
    Problem,
    TaskRecord,
    check_project,
    check_tag,
    is_hint_key,
    split_title,
)

__all__ = [
    "parse_date",
    "parse_text",
    "read",
    "recur_from_taskwarrior",
    "recur_to_taskwarrior",
    "series_after",
    "series_edited",
    "series_fields",
    "series_zone",
    "write",
]

# The importing user's open task of each of some series: series id -> (task id, what
# it keeps of the series, SERIES_HINT, or None). Asked of the database while the file
# is read.
Held = Callable[[Sequence[UUID]], dict[UUID, tuple[UUID, Any]]]

# Ids we derive (a template's own open task, a lone recurring task's series) are uuid5 in
# this namespace, so importing the same file again derives the same ids. Never change it.
NAMESPACE: Final = UUID("6f1c9a52-3d0e-4c57-9a8e-2b7d4e1f0a63")

RECUR_HINT: Final = "taskwarrior.recur"
# Taskwarrior stamps an instance it makes with the template's `modified`, which
# can be earlier than the instance's `entry`; we keep updated >= created, so the
# original is kept here and written back while the task is unchanged.
MODIFIED_HINT: Final = "taskwarrior.modified"
# A due at 00:00 local is a whole day, stored as the day's last microsecond in the
# zone of the import: exported from another zone (a cron job in UTC, a laptop
# after a trip), it was no longer 00:00 there and went back as 23:59:59, a change
# nobody made. Taskwarrior's own due is kept here and written back while ours is
# still that whole day (_due_as_it_was).
DUE_HINT: Final = "taskwarrior.due"
# SERIES_HINT (domain.fields) is the series as Taskwarrior keeps it, on the open
# task that carries it: the template's due and mask, the task's own index, and
# the later pending instances not imported, as Taskwarrior wrote them. Written
# back while the recurrence is unchanged, so that `task import` of our export
# into the data it came from finds its series as it was and makes no instance
# twice. It goes on with the next task when the open one is done (series_after).
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
SKIP_DELETED: Final = "deleted"
SKIP_TEMPLATE: Final = "recurring template"
SKIP_LATER_INSTANCE: Final = "later recurring instance"

_STATUSES: Final = frozenset({"pending", "waiting", "completed", "deleted", "recurring"})
_OPEN: Final = frozenset({"pending", "waiting"})
# Keys mapped to our fields, and Taskwarrior's own bookkeeping: never kept as attributes,
# never written from attributes.
_MAPPED: Final = frozenset(
    {
        "uuid",
        "description",
        "status",
        "entry",
        "modified",
        "end",
        "due",
        "wait",
        "priority",
        "project",
        "tags",
        "annotations",
        "depends",
        "recur",
    }
)
_BOOKKEEPING: Final = frozenset({"id", "urgency", "mask", "imask", "parent", "rtype"})
# A template is cloned into each new instance: it must not carry what belongs to one task.
_NOT_ON_TEMPLATE: Final = frozenset({"start", "end"})

_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z", re.ASCII)
_ISO_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)
# A day alone (2026-12-01 or 20261201): `task import` takes it as local midnight.
_DAY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})", re.ASCII)


# -- dates ------------------------------------------------------------------------------------


def parse_date(value: Any) -> datetime:
    """A Taskwarrior date as an aware UTC datetime (ValueError if it is none)."""
    return _parse_date(value)


def _parse_date(value: Any, tz: tzinfo | None = None) -> datetime:
    """A Taskwarrior date (``20261124T093000Z``) as an aware UTC datetime; ValueError if not.

    What `task import` reads besides: extended ISO with Z or an offset, and (given
    ``tz``, the zone Taskwarrior ran in) a day alone, as its midnight there.
    """
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date string such as 20261124T093000Z")
    match = _DATE.fullmatch(value)
    try:
        if match is not None:
            # Since 3.11 fromisoformat reads the basic form (and Z) in C: a
            # 100,000-task import parses a quarter of a million of these.
            return datetime.fromisoformat(value)
        # Hand-made files sometimes hold extended ISO; Taskwarrior reads it too.
        if _ISO_DATE.fullmatch(value):
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        if tz is not None and (day := _DAY.fullmatch(value)) is not None:
            year, month, day_of_month = map(int, day.groups())
            return datetime(year, month, day_of_month, tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise ValueError(f"{value!r} is not a date that exists") from None
    except OverflowError:
        # An offset past the calendar's end (9999-12-31T23:30:00-01:00 is year 10000 in
        # UTC): every caller takes a ValueError for a date it cannot read.
        raise ValueError(f"{value!r} is out of range") from None
    raise ValueError(f"{value!r} is not a date such as 20261124T093000Z")


def _format_date(instant: datetime) -> str:
    # Taskwarrior keeps whole seconds: the fraction is dropped (truncated, never rounded up
    # into the next second).
    # Not strftime's %Y, which does not pad years before 1000 (999 would read as 9990).
    utc = instant.astimezone(UTC)
    return f"{utc.year:04d}{utc:%m%dT%H%M%SZ}"


# -- recurrence words -------------------------------------------------------------------------

_NAMED_RECUR: Final = {
    "daily": "+1d",
    "day": "+1d",
    "weekly": "+1w",
    "biweekly": "+2w",
    "fortnight": "+2w",
    "monthly": "+1m",
    "bimonthly": "+2m",
    "quarterly": "+3m",
    "semiannual": "+6m",
    "annual": "+1y",
    "yearly": "+1y",
    "biannual": "+2y",
    "biyearly": "+2y",
    "weekdays": "weekdays",
}
# Unit words after a count, by what they mean to Taskwarrior's recurrence (checked with
# 2.6: 2m, 1q and 2y step calendar months and years; 2mo, 2months, 2qtr step fixed days).
_COUNTED_UNITS: Final = {
    **dict.fromkeys(("d", "day", "days"), ("d", 1)),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), ("w", 1)),
    "m": ("m", 1),
    "q": ("m", 3),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), ("y", 1)),
}
_DAY_COUNTED_UNITS: Final = {
    **dict.fromkeys(("mo", "mos", "mth", "mths", "mnths", "month", "months"), ("m", 1, 30)),
    **dict.fromkeys(("qtr", "qtrs", "qrtrs", "quarter", "quarters"), ("m", 3, 91)),
}
_SUB_DAY_UNITS: Final = frozenset(
    {"h", "hr", "hrs", "hour", "hours", "min", "mins", "minute", "minutes", "s", "sec", "secs"}
    | {"second", "seconds"}
)
_HOUR_UNITS: Final = frozenset({"h", "hr", "hrs", "hour", "hours"})
_COUNTED = re.compile(r"([0-9]+)\s*([a-z]+)", re.ASCII)
_ISO_PERIOD = re.compile(
    r"P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?(T.*)?", re.ASCII
)
_TASKWARRIOR_WORD: Final = {Unit.DAY: "daily", Unit.WEEK: "weekly", Unit.MONTH: "monthly"} | {
    Unit.YEAR: "yearly"
}


def recur_from_taskwarrior(text: str) -> tuple[str, str | None]:
    """Our canonical recurrence for a Taskwarrior ``recur`` value, and a notice if lossy.

    Raises ValueError (the message says why) for what our grammar cannot say: hours,
    minutes, seconds, zero, mixed ISO periods.
    """
    word = text.strip().lower()
    notice: str | None = None
    ours = _NAMED_RECUR.get(word)
    if ours is None:
        ours, notice = _counted_recur(text, word)
    try:
        return str(parse_recur(ours)), notice
    except InvalidInput as refusal:
        raise ValueError(f"{text!r}: {refusal.message}") from None


def _counted_recur(text: str, word: str) -> tuple[str, str | None]:
    counted = _COUNTED.fullmatch(word)
    if counted is not None:
        count, unit = int(counted[1][:6]), counted[2]
        if count == 0:
            raise ValueError(f"{text!r} does not repeat (a count of 0)")
        if unit in _COUNTED_UNITS:
            letter, factor = _COUNTED_UNITS[unit]
            return f"+{count * factor}{letter}", None
        if unit in _DAY_COUNTED_UNITS:
            letter, factor, days = _DAY_COUNTED_UNITS[unit]
            ours = f"+{count * factor}{letter}"
            return ours, (
                f"recur {text!r} repeats every {count * days} days in Taskwarrior; "
                f"imported as {ours} (calendar months)"
            )
        if unit in _HOUR_UNITS and count % 24 == 0:
            # 24h, 48h: whole days (as local days here, over a change of the clocks).
            days = count // 24
            return f"+{days}d", (
                f"recur {text!r} counts hours in Taskwarrior; imported as every "
                f"{days} day{'s' if days > 1 else ''} (local days, over a change of the clocks too)"
            )
        if unit in _SUB_DAY_UNITS:
            within = (
                "repeats within a day"
                if count < 24 or unit not in _HOUR_UNITS
                else ("is no whole number of days")
            )
            raise ValueError(f"{text!r} {within}; the shortest recurrence is daily")
        raise ValueError(f"{text!r} is not a Taskwarrior recurrence")
    period = _ISO_PERIOD.fullmatch(text.strip().upper())
    if period is None or not any(period.groups()):
        raise ValueError(f"{text!r} is not a Taskwarrior recurrence")
    years, months, weeks, days_text, clock = period.groups()
    if clock is not None:
        raise ValueError(f"{text!r} repeats within a day; the shortest recurrence is daily")
    if (years or months) and (weeks or days_text):
        raise ValueError(f"{text!r} mixes months and days, which no recurrence of ours can")
    if years or months:
        total = int(years or 0) * 12 + int(months or 0)
        return (f"+{total // 12}y" if total % 12 == 0 else f"+{total}m"), None
    total_days = int(weeks or 0) * 7 + int(days_text or 0)
    return (f"+{total_days // 7}w" if total_days % 7 == 0 else f"+{total_days}d"), None


def recur_to_taskwarrior(recur: str) -> tuple[str, bool]:
    """The Taskwarrior ``recur`` for our canonical recurrence, and whether it is exact.

    Taskwarrior has no after-completion recurrence: ``2w`` (two weeks after completion)
    is written as Taskwarrior's ``2w``, which keeps the cadence, and reported as inexact.
    """
    rec: Recurrence = parse_recur(recur)
    if rec.unit is Unit.WEEKDAY:
        return "weekdays", True
    if rec.cadence and rec.count == 1:
        return _TASKWARRIOR_WORD[rec.unit], True
    return f"{rec.count}{rec.unit.value}", rec.cadence


# -- reading ----------------------------------------------------------------------------------

# Reports a problem of the object being read: (field, message).
_Report = Callable[[str, str], None]


@dataclass
class _Task:
    """One Taskwarrior object after its fields were mapped, before recurrence is resolved."""

    where: str
    status: str
    record: TaskRecord
    parent: UUID | None
    imask: int | None
    # Our recurrence of this object's own ``recur``, and the notice its mapping gave.
    recur: str | None
    recur_notice: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    # As Taskwarrior wrote them: a template's due, mask and recur; a pending
    # instance's whole object (a later one is written back as it was).
    raw: dict[str, Any] | None = None
    # A deleted template (its ``recur`` mapped into ``recur``): its series has ended.
    dead_template: bool = False


def parse_text(text: str, name: str, *, tz: tzinfo) -> ImportBatch:
    """Read a whole ``task export`` output: a JSON array, or one object a line.

    Positions are ``task N`` (the N-th element of the array) or ``line N``. ``name`` (the
    file) is used in messages about the document as a whole.
    """
    syntax: list[tuple[str, str]] = []
    body = text.lstrip("\ufeff \t\r\n")
    objects: list[tuple[str, Any]] = []
    if body.startswith("["):
        try:
            document = json.loads(body, strict=False)  # as jsonstream
        except json.JSONDecodeError as error:
            syntax.append((f"line {_line_of(text, body, error)}", f"not JSON: {error.msg}"))
        else:
            if isinstance(document, list):
                objects = [(f"task {index}", obj) for index, obj in enumerate(document, 1)]
            else:
                syntax.append(("line 1", f"{name} is not a Taskwarrior export"))
    else:
        for number, line in enumerate(text.splitlines(), 1):
            # Older exports ended each line with a comma; a blank line is no task.
            stripped = line.strip().removesuffix(",")
            if not stripped:
                continue
            try:
                objects.append((f"line {number}", json.loads(stripped, strict=False)))
            except json.JSONDecodeError as error:
                syntax.append((f"line {number}", f"not JSON: {error.msg}"))
    batch = read(objects, tz=tz)
    batch.problems[:0] = [Problem(where, None, message) for where, message in syntax]
    return batch


def _line_of(text: str, body: str, error: json.JSONDecodeError) -> int:
    # The decoder counts lines in `body`; the lines stripped from the front count too.
    skipped = text[: len(text) - len(body)].count("\n")
    return error.lineno + skipped


def read(
    objects: Iterable[tuple[str, Any]],
    *,
    tz: tzinfo,
    held: Held | None = None,
) -> ImportBatch:
    """Map Taskwarrior objects, each with its position, to task records.

    See the module docstring for the mapping. ``tz`` is the zone Taskwarrior ran in: it
    decides which dues are whole days (00:00 local). Memory grows with the number of tasks
    (records are small); the raw text need not be held.

    ``held``: the importing user's open task of each of some series (series id -> task
    id, and what it keeps of the series: SERIES_HINT). A series with several pending
    instances keeps the one that is its open task here as such, so that a change made
    to it in Taskwarrior is taken (and the ones Taskwarrior made meanwhile are not). A
    template with no pending instance in the file (a sync of what changed: the
    instances Taskwarrior did not change are not in it) goes on from the open task
    here: see _from_the_open_one.
    """
    batch = ImportBatch()
    tasks: list[_Task] = []
    seen: dict[UUID, str] = {}
    unheld: dict[tuple[str, str], list[str]] = {}
    for where, obj in objects:
        try:
            task = _map_object(where, obj, tz, batch, unheld)
        except OverflowError:
            # A date at the calendar's end, as a local day in this zone, is past it.
            batch.problem(where, None, "a date of the task is out of range")
            continue
        if task is None:
            continue
        first = seen.get(task.record.id)
        if first is not None:
            batch.problem(where, "uuid", f"{task.record.id} is already the uuid of {first}")
            continue
        seen[task.record.id] = where
        batch.positions[task.record.id] = where
        tasks.append(task)
    _resolve(tasks, batch, tz, held)
    for (what, value), wheres in unheld.items():
        batch.notices.append(
            f"{_listed(wheres)}: {what} {value!r} is no {what} here: kept with the "
            "task, shown by todo show and written back on Taskwarrior export"
        )
    return batch


def _listed(wheres: list[str], most: int = 5) -> str:
    shown = ", ".join(wheres[:most])
    return shown if len(wheres) <= most else f"{shown} and {len(wheres) - most} more"


def _map_object(
    where: str,
    obj: Any,
    tz: tzinfo,
    batch: ImportBatch,
    unheld: dict[tuple[str, str], list[str]] | None = None,
) -> _Task | None:
    """The fields of one object, or None (with problems in ``batch``) when it is unusable.

    ``unheld``: a tag or project Taskwarrior took that is none here -> the positions
    of the tasks that have it (kept in their attributes, TASKWARRIOR_TAGS_HINT and
    TASKWARRIOR_PROJECT_HINT; read() says so once a value).
    """
    if not isinstance(obj, dict):
        batch.problem(where, None, "a Taskwarrior task is a JSON object")
        return None
    before = len(batch.problems)

    def problem(key: str, message: str) -> None:
        # Every problem of this object names its position.
        batch.problem(where, key, message)

    def date(key: str, *, required: bool = False) -> datetime | None:
        # JSON null is no date, as an absent key (Taskwarrior writes neither for none).
        if obj.get(key) is None:
            if required:
                problem(key, "is missing")
            return None
        try:
            value = _parse_date(obj[key], tz)
            value.astimezone(tz)  # a local day past the calendar's end (9999-12-31 in Berlin)
        except ValueError as reason:
            problem(key, str(reason))
            return None
        except OverflowError:
            problem(key, f"{obj[key]} is out of range")
            return None
        return value

    uuid = _uuid(obj.get("uuid"), "uuid", problem, required=True)
    # `task import` takes a task without a status as pending.
    status = obj.get("status", "pending")
    if status not in _STATUSES:
        problem(
            "status",
            f"{status!r} is not pending, waiting, completed, deleted or recurring",
        )
    if status == "deleted":
        # Not imported, so its other fields do not matter; its uuid still counts (a
        # duplicate, a dependency on it), so it travels as a stub that is never emitted.
        if uuid is None:
            return None
        stub = TaskRecord(uuid, None, "-", None, False, None, _EPOCH, _deleted_at(obj, tz))
        if "parent" not in obj and isinstance(obj.get("recur"), str):
            # A deleted template: Taskwarrior makes no more tasks of its series (what
            # `task delete` of a template, or our export of a series ended here, leaves).
            ended = None
            with contextlib.suppress(ValueError):
                ended = recur_from_taskwarrior(obj["recur"])[0]
            raw = {key: value for key, value in obj.items() if key not in ("id", "urgency")}
            return _Task(where, "deleted", stub, None, None, ended, raw=raw, dead_template=True)
        # An occurrence of a series deleted alone keeps its place in it: its due, its
        # template and index say which date is not to come back (_after_the_done_ones).
        try:
            # Read as a due of a task is (a whole day at 00:00 local): the next
            # occurrence is counted from it, whole-day as the completed ones'.
            stub = replace(stub, due=_due_from_taskwarrior(_parse_date(obj["due"], tz), tz))
            template = UUID(obj["parent"])
        except (KeyError, ValueError, TypeError, AttributeError):
            return _Task(where, "deleted", stub, None, None, None)
        return _Task(where, "deleted", stub, template, _index(obj.get("imask")), None)

    title, description = _title(obj.get("description"), problem, where, batch)
    entry = date("entry")
    modified = date("modified")
    end = date("end")
    if obj.get("entry") is None:
        # `task import` takes a task without `entry` and makes it now: a hand-made file,
        # or a script's. Taken from its last change, else its end, else now; said.
        taken = "modified" if modified is not None else "end" if end is not None else "now"
        entry = modified or end or datetime.now(UTC)
        batch.notices.append(f"{where}: no entry (when it was made): taken as {taken}")
    due = date("due")
    due_there = None
    if due is not None:
        whole_day = _due_from_taskwarrior(due, tz)
        if whole_day != due:
            due_there, due = _format_date(due), whole_day
    wait = date("wait")
    priority, odd_priority = _priority(obj.get("priority"), problem)
    project, odd_project = _project(obj.get("project"), problem)
    tags, odd_tags = _tags(obj.get("tags"), problem)
    if len(tags) > TAGS_PER_TASK_MAX:
        # Taskwarrior has no such limit: the tags past it are kept, as one none here is.
        tags, more = tags[:TAGS_PER_TASK_MAX], tags[TAGS_PER_TASK_MAX:]
        odd_tags = tuple(sorted((*odd_tags, *more)))
        batch.notices.append(
            f"{where}: {len(tags) + len(more)} tags, {TAGS_PER_TASK_MAX} the most a task "
            f"has here: the other {len(more)} ({_listed(list(more))}) are kept with the "
            "task, shown by todo show and written back on Taskwarrior export"
        )
    notes = _annotations(
        obj.get("annotations"), problem, tz, lambda text: batch.notices.append(f"{where}: {text}")
    )
    depends = _depends(obj.get("depends"), problem)
    parent = _uuid(obj.get("parent"), "parent", problem, required=False)
    imask = _index(obj.get("imask"))
    if imask is not None and imask >= INTEGER_MAX:
        # The index of the instance after it must fit the database too.
        problem("imask", f"is larger than {INTEGER_MAX - 1}, the largest the database holds")
    recur: str | None = None
    notice: str | None = None
    attributes = {
        key: value for key, value in obj.items() if key not in _MAPPED and key not in _BOOKKEEPING
    }
    if "recur" in obj:
        raw = obj["recur"]
        if not isinstance(raw, str):
            problem("recur", "is not a string")
        else:
            try:
                recur, notice = recur_from_taskwarrior(raw)
            except ValueError as reason:
                problem("recur", str(reason))
            else:
                if recur_to_taskwarrior(recur)[0] != raw:
                    attributes[RECUR_HINT] = raw
    if len(batch.problems) > before or uuid is None or entry is None or title is None:
        if uuid is not None:
            batch.rejected.add(uuid)
        return None
    if odd_project is not None:
        attributes[TASKWARRIOR_PROJECT_HINT] = odd_project
    if odd_tags:
        attributes[TASKWARRIOR_TAGS_HINT] = list(odd_tags)
    if odd_priority is not None:
        attributes[TASKWARRIOR_PRIORITY_HINT] = odd_priority
    if unheld is not None:
        for what, values in (
            ("priority", [odd_priority] if odd_priority else []),
            ("project", [odd_project] if odd_project else []),
            ("tag", [tag for tag in odd_tags if check_tag(tag) is not None]),
        ):
            for value in values:
                unheld.setdefault((what, value), []).append(where)
    if modified is not None and modified < entry:
        attributes[MODIFIED_HINT] = obj["modified"]
    if due_there is not None:
        attributes[DUE_HINT] = due_there
    completed = status == "completed"
    completed_at = end
    if completed and end is None:
        # `task import` takes a completed task without `end` (a hand-made file) and sets
        # it: so do we, from its last change, else its entry (required here), and say so.
        taken = "modified" if modified is not None else "entry"
        completed_at = modified or entry
        batch.notices.append(
            f"{where}: completed without end: taken as completed at its {taken} time ({obj[taken]})"
        )
    changed = modified or entry
    if modified is None and completed and completed_at is not None and completed_at > entry:
        # Without `modified` its last change is known to be its completion at least.
        changed = completed_at
    record = TaskRecord(
        id=uuid,
        number=None,
        title=title,
        description=description,
        completed=completed,
        completed_at=completed_at if completed else None,
        created_at=entry,
        updated_at=changed,
        priority=priority,
        due=due,
        wait=wait,
        project=project,
        tags=tags,
        notes=notes,
        depends=depends,
        attributes=attributes,
    )
    kept: dict[str, Any] | None = None
    if status == "recurring":
        kept = {
            key: obj[key] for key in ("due", "mask", "recur", "entry", *_SERIES_OWN) if key in obj
        }
    elif status in _OPEN and parent is not None:
        kept = {key: value for key, value in obj.items() if key not in ("id", "urgency")}
    return _Task(where, cast(str, status), record, parent, imask, recur, notice, attributes, kept)


def _deleted_at(obj: dict[str, Any], tz: tzinfo) -> datetime:
    """When a deleted task was deleted: its last change (`task delete` sets `end` and
    `modified`); _EPOCH when the object says neither, or not readably."""
    for key in ("modified", "end"):
        try:
            return _parse_date(obj[key], tz)
        except (KeyError, ValueError):
            continue
    return _EPOCH


def _index(value: Any) -> int | None:
    # 2.6 writes an index it was given in a file back as 0.000000 (it keeps numbers as text).
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        # Longer than any index the database holds: too large, and said so by the caller
        # (int() itself refuses thousands of digits).
        return int(value) if len(value) <= len(str(INTEGER_MAX)) else INTEGER_MAX
    return None


def _due_as_it_was(record: TaskRecord) -> str | None:
    """Taskwarrior's due (DUE_HINT) while the task's due is still the whole day that
    began then: its last microsecond, a day of 23 to 25 hours later (whatever zone
    the import ran in). None when the due was changed here, or none is kept."""
    kept = record.attributes.get(DUE_HINT)
    if not isinstance(kept, str) or record.due is None or record.due.microsecond != 999_999:
        return None
    try:
        began = _parse_date(kept)
    except ValueError:
        return None  # a hint edited by hand: the task's own due stands
    length = record.due - began
    return kept if timedelta(hours=22) < length < timedelta(hours=26) else None


def _whole_day_zone(record: TaskRecord, tz: tzinfo) -> tzinfo | None:
    """The zone the task's due is a whole day in, as Taskwarrior writes one (00:00): the
    export's, or that of the series Taskwarrior keeps it in (a `todo done` under another
    TZ made the next task a whole day there). None: a due at a time of day."""
    if record.due is None:
        return None
    if is_all_day(record.due, tz):
        return tz
    zone = series_zone(record.attributes.get(SERIES_HINT))
    return zone if zone is not None and is_all_day(record.due, zone) else None


def _due_from_taskwarrior(due: datetime, tz: tzinfo) -> datetime:
    # Taskwarrior stores a date typed without a time as 00:00 local: that is a whole day,
    # which we keep as its last microsecond so that "overdue" is simply due < now.
    day = local_date(due, tz)
    return day_end(day, tz) if due == day_start(day, tz) else due


def _uuid(value: Any, key: str, problem: _Report, *, required: bool) -> UUID | None:
    if value is None:
        if required:
            problem(key, "is missing")
        return None
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        problem(key, f"{value!r} is not a UUID")
        return None


def _title(
    value: Any, problem: _Report, where: str, batch: ImportBatch
) -> tuple[str | None, str | None]:
    if value is None:
        problem("description", "is missing")
        return None, None
    if not isinstance(value, str):
        problem("description", "is not a text")
        return None, None
    if not value.strip():
        problem("description", "is empty")
        return None, None
    title, description = split_title(value)
    if description is None and title != value:
        # Taskwarrior keeps them; a title here has none (as `todo add` trims them).
        batch.notices.append(f"{where}: spaces around the description left out")
    if description is not None:
        if len(description) > DESCRIPTION_MAX:
            problem(
                "description",
                f"is {len(description)} characters, the limit is {DESCRIPTION_MAX}",
            )
            return None, None
        batch.notices.append(
            f"{where}: description does not fit a title (one line, 200 characters): "
            "the title is its first line (cut to 200 characters with \u2026 where longer), "
            "the whole text is kept as the description"
        )
    return title, description


def _priority(value: Any, problem: _Report) -> tuple[Priority | None, str | None]:
    """The priority, and one Taskwarrior took that is none here (`uda.priority.values`
    may list any word beside H, M and L): the task keeps it (see _map_object)."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        problem("priority", "is not a string")
        return None, None
    if value not in PRIORITIES:
        return None, value
    return cast(Priority, value), None


def _project(value: Any, problem: _Report) -> tuple[str | None, str | None]:
    """The project, and a project Taskwarrior took that is none here (`My Project`,
    `2024.Q1`): the task is not refused for it, it keeps it (see _map_object)."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        problem("project", "is not a string")
        return None, None
    if check_project(value) is not None:
        return None, value
    return composed(value), None


def _tags(value: Any, problem: _Report) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tags, and those Taskwarrior took that are none here (`@home`, `a.b`), kept."""
    if value is None:
        return (), ()
    # Very old versions wrote tags as one comma-separated string.
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(tag, str) for tag in items):
        problem("tags", "is not a list of strings")
        return (), ()
    tags: list[str] = []
    odd: list[str] = []
    # As typed on the command line: é as e + U+0301 is the é of one character.
    for tag in sorted({composed(tag) for tag in items if tag}):
        (odd if check_tag(tag) is not None else tags).append(tag)
    return tuple(tags), tuple(odd)


def _annotations(
    value: Any, problem: _Report, tz: tzinfo, notice: Callable[[str], None]
) -> tuple[Note, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problem("annotations", "is not a list")
        return ()
    notes: list[Note] = []
    for index, item in enumerate(value, 1):
        if not isinstance(item, dict):
            problem("annotations", f"annotation {index} is not an object")
            continue
        text = item.get("description")
        if isinstance(text, str) and not text.strip():
            # Taskwarrior takes one and drops it (an annotation holds some text).
            notice(f"annotation {index} is empty: left out")
            continue
        if not isinstance(text, str):
            problem("annotations", f"annotation {index} has no description")
            continue
        if len(text) > NOTE_MAX:
            problem(
                "annotations",
                f"annotation {index} is {len(text)} characters, the limit is {NOTE_MAX}",
            )
            continue
        if item.get("entry") is None:
            problem("annotations", f"annotation {index} has no entry (the time it was made)")
            continue
        try:
            created_at = _parse_date(item.get("entry"), tz)
        except ValueError as reason:
            problem("annotations", f"annotation {index}: entry: {reason}")
            continue
        notes.append(Note(created_at, text))
    return tuple(sorted(notes))  # as the database gives them back: by time, then text


def _depends(value: Any, problem: _Report) -> tuple[UUID, ...]:
    if value is None or value == "":
        return ()
    # 2.6 writes an array; older versions one comma-separated string.
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        problem("depends", "is not a list of uuids")
        return ()
    found: set[UUID] = set()
    for item in items:
        try:
            found.add(UUID(item.strip() if isinstance(item, str) else item))
        except (ValueError, TypeError, AttributeError):
            problem("depends", f"{item!r} is not a uuid")
    return tuple(sorted(found, key=str))


def _resolve(
    tasks: list[_Task],
    batch: ImportBatch,
    tz: tzinfo,
    held: Held | None = None,
) -> None:
    """Turn templates into the recurrence of one open instance each; fix up dependencies."""
    templates = {task.record.id: task for task in tasks if task.status == "recurring"}
    dead = {task.record.id: task for task in tasks if task.dead_template}
    open_by_series: dict[UUID, list[_Task]] = {}
    redirect: dict[UUID, UUID | None] = {}
    for task in tasks:
        if task.status == "deleted":
            redirect[task.record.id] = None
            batch.skip(SKIP_DELETED)
            deleted_at = task.record.updated_at
            batch.deleted[task.record.id] = (
                task.where,
                None if deleted_at == _EPOCH else deleted_at,
            )
        elif task.status in _OPEN:
            series = _series_of(task)
            if series is not None:
                open_by_series.setdefault(series, []).append(task)
                if task.imask is not None:
                    batch.pending_places.setdefault(series, {})[task.imask] = task.record.id

    # The open task of each series: the one held here already (the series is at it
    # here), else the earliest due (no due last), then the lowest index. Every series
    # of the file is asked about (its template's, its open instances'): what is kept
    # of it here beside its open task covers the instances a filtered export leaves
    # out (_from_the_open_one, _hint_kept).
    asked = sorted({*open_by_series, *templates}, key=str)
    found = held(asked) if held is not None and asked else {}
    # The series' open task here, where the file holds it open: it stays the open one.
    in_file_open = {task.record.id for task in tasks if task.status in _OPEN}
    open_here = {
        series_id: task_id for series_id, (task_id, _) in found.items() if task_id in in_file_open
    }
    # Templates whose series is at an open task here the file does not hold: unchanged
    # in Taskwarrior since, and still the series' open task (series id -> that task).
    at_open_here: dict[UUID, UUID] = {}
    # Later instances kept here that the file did not hold, now the series' open task
    # and the ones after it: not in the file, so not counted or named as skipped.
    recalled: set[UUID] = set()
    # Pending instances of the file kept with their series' open task here, which the
    # file does not hold: instance id -> that task.
    kept_with: dict[UUID, UUID] = {}
    # The file's own tasks, by id: made once (asked for every series of the file).
    in_file = {task.record.id: task for task in tasks}
    for series_id in asked:
        if series_id not in found or series_id in dead or found[series_id][0] in in_file:
            continue
        task_id, hint = found[series_id]
        twin = _same_place(open_by_series.get(series_id, ()), hint)
        if twin is not None:
            # The instance Taskwarrior made for the place of the series' open task here
            # (made by `todo done` after the last import: its uuid was not known then):
            # one occurrence, which the task here becomes (it takes the instance's
            # uuid, as `todo done` gives the next task the uuid of an instance it knows).
            # Read as a later instance, the export wrote both back: two pending tasks
            # for one date there. The file's copy is not imported (the task here is the
            # newer: made since the file's last import); the series goes on as with any
            # open task here the file does not hold, its later instances kept with it
            # (left out, the template went back with a shorter mask, and Taskwarrior
            # made their dates again).
            batch.same_occurrence[task_id] = twin.record.id
            # Its pending instances before that place are behind the series here (done
            # here since, or passed over): neither is the series' open task.
            place = twin.imask if twin.imask is not None else 0  # (_same_place: one)
            behind = [
                task
                for task in open_by_series[series_id]
                if task is twin or (task.imask is not None and task.imask < place)
            ]
            members = [task for task in open_by_series[series_id] if task not in behind]
            if members:
                open_by_series[series_id] = members
            else:
                del open_by_series[series_id]
            # (Not imported: the task here, by its new id, and the tasks here they are.)
            redirect.update((task.record.id, task.record.id) for task in behind)
            task_id = twin.record.id
            found[series_id] = (task_id, hint)
        after = [task for task in open_by_series.get(series_id, ()) if _after_kept(task, hint)]
        moved = _series_moved(templates.get(series_id), hint, in_file, after)
        if moved is not None:
            batch.series_moved[task_id] = moved
        if after:
            # Later instances changed there (or made since): the series is at its open
            # task here, unchanged there; they go with what it keeps of the series.
            # Read as open tasks, they were "a second open task" left out, and the
            # export written back took the change away there.
            remaining = [task for task in open_by_series[series_id] if task not in after]
            if remaining:
                open_by_series[series_id] = remaining
            else:
                del open_by_series[series_id]
            kept_with.update((task.record.id, task_id) for task in after)
            batch.skip(SKIP_LATER_INSTANCE, len(after))
            batch.notices.append(
                f"{', '.join(task.where for task in after)}: later pending instances of a "
                "recurring task whose open task here the file does not hold: kept with it "
                "(one open task per series), as the file has them"
            )
    for series_id, template in templates.items():
        if series_id not in found:
            continue
        if found[series_id][0] in batch.same_occurrence.values():
            # The task here that takes its instance's uuid: the file's copy is not read,
            # and the series stays at it, as at any open task here the file does not hold.
            if series_id not in open_by_series:
                at_open_here[series_id] = found[series_id][0]
            continue
        kept = _from_the_open_one(template, found[series_id], in_file, tz, batch)
        if isinstance(kept, UUID):
            if series_id not in open_by_series:
                at_open_here[series_id] = kept
        elif kept:
            # Beside any instance Taskwarrior made since (the file has those): the
            # earliest pending one is the series' open task, as ever.
            open_by_series.setdefault(series_id, []).extend(kept)
            recalled.update(task.record.id for task in kept)
            tasks.extend(kept)
    carriers: dict[UUID, _Task] = {}
    # Pending instances of a deleted template besides the one that keeps its series:
    # tasks of a series that has ended, each imported (Taskwarrior lists them all, and
    # makes no more of them), kept as instances of it for writing back.
    apart: set[UUID] = set()
    # The later instances not imported, kept with their series' open task: a task
    # waiting on one keeps that dependency for Taskwarrior (_fix_dependencies).
    apart_later: set[UUID] = set(kept_with)
    redirect.update(kept_with)
    for series_id, members in open_by_series.items():
        here = open_here.get(series_id)
        members.sort(key=lambda task: (task.record.id != here, *_instance_order(task)))
        carrier, later = members[0], members[1:]
        carriers[series_id] = carrier
        if series_id in dead:
            apart.update(task.record.id for task in later)
            continue
        for task in later:
            redirect[task.record.id] = carrier.record.id
            apart_later.add(task.record.id)
        later = [task for task in later if task.record.id not in recalled]
        if not later:
            continue
        batch.skip(SKIP_LATER_INSTANCE, len(later))
        places = ", ".join(task.where for task in later)
        if carrier.record.id == here:
            batch.notices.append(
                f"{places}: other pending instances of the recurring task at {carrier.where} "
                "not imported: one open task per series, and that one is the series' open "
                "task here"
            )
        else:
            batch.notices.append(
                f"{places}: later pending instances of the recurring task at {carrier.where} "
                "not imported: one open task per series, the next one comes when it is done"
            )

    hints: dict[UUID, dict[str, Any] | None] = {}
    for series_id, carrier in carriers.items():
        if series_id in templates:
            hints[carrier.record.id] = _series_hint(
                templates[series_id], carrier, open_by_series[series_id], tz
            )
        elif (
            series_id in found
            and series_id not in dead
            and found[series_id][0] == (carrier.record.id)
        ):
            hints[carrier.record.id] = _hint_kept(
                found[series_id][1], carrier, open_by_series[series_id], in_file
            )
    for series_id, carrier in carriers.items():
        if (
            carrier.parent is not None
            and series_id not in templates
            and series_id not in dead
            and hints.get(carrier.record.id) is None
        ):
            # `task status:pending export`: what Taskwarrior keeps of the series is not
            # here, and an export written back would make its template anew.
            batch.notices.append(
                f"{carrier.where}: the recurring template it is an instance of is not in "
                "the file: written back, the series starts over in Taskwarrior (export "
                "with the templates: task status:pending or status:recurring export)"
            )

    made: list[TaskRecord] = []
    for uuid, template in templates.items():
        if uuid in at_open_here:
            # Changed in Taskwarrior, its instances not: the series goes on here as it is.
            batch.skip(SKIP_TEMPLATE)
            redirect[uuid] = at_open_here[uuid]
            continue
        if uuid in carriers:
            # Its recurrence travels with its open instance: the template itself
            # is not imported. (One with no open instance is: as that task,
            # counted as added, not as skipped.)
            batch.skip(SKIP_TEMPLATE)
            redirect[uuid] = carriers[uuid].record.id
            continue
        # A template whose instances are all done (or were never made): its series is
        # still alive in Taskwarrior, which would make the next instance on its next run.
        record = replace(
            template.record,
            id=uuid5(NAMESPACE, f"{uuid}/open"),
            recur=template.recur,
            series_id=uuid,
            attributes=template.attributes,
        )
        record = _after_the_done_ones(record, template, tasks, tz)
        if record.id in in_file:
            # The open task made the last time, written back and done in Taskwarrior:
            # this one is the occurrence after it, an id of its own (the same for the
            # same file, so that importing it again adds nothing). Made under the first
            # id again, it overwrote the done one, and the completion was lost.
            occurrence = record.due.isoformat() if record.due is not None else "-"
            record = replace(record, id=uuid5(NAMESPACE, f"{uuid}/open/{occurrence}"))
        if _past_its_until(record, template):
            # Taskwarrior makes no instance after `until` (it had deleted the last
            # ones): the series is over there, and not started again here.
            batch.skip(SKIP_TEMPLATE)
            batch.notices.append(
                f"{template.where}: recurring template whose series ended at its until "
                f"({template.attributes['until']}): no open task made"
            )
            continue
        batch.positions[record.id] = template.where
        made.append(record)
        redirect[uuid] = record.id
        batch.notices.append(
            # (Read so on every import of the file: "imported" said it of one that
            # added nothing, the open task made by the first.)
            f"{template.where}: recurring template with no pending instance: read as its open task"
        )
        if template.recur_notice:
            batch.notices.append(f"{template.where}: {template.recur_notice}")

    for task in tasks:
        if task.status in ("deleted", "recurring") or task.record.id in redirect:
            continue
        record = task.record
        series = _series_of(task)
        recur = task.recur
        notice = task.recur_notice
        parent = templates.get(series) if series is not None else None
        if parent is not None and parent.recur is not None:
            # The template's recurrence is the series' own; an instance only copies it.
            recur, notice = parent.recur, parent.recur_notice
            attributes = dict(record.attributes)
            attributes.pop(RECUR_HINT, None)
            if RECUR_HINT in parent.attributes:
                attributes[RECUR_HINT] = parent.attributes[RECUR_HINT]
            record = replace(record, attributes=attributes)
        elif series is not None and series in dead:
            # Its template was deleted: Taskwarrior makes no more tasks of the series,
            # and neither does todo. The recurrence it had is kept for writing the task
            # back, an instance still (ENDED_RECUR_HINT).
            ended = recur or dead[series].recur
            recur, notice = None, None
            attributes = dict(record.attributes)
            if ended is not None:
                attributes[ENDED_RECUR_HINT] = ended
            # The deleted template and the task's index as Taskwarrior has them: written
            # back unchanged, so that a round trip changes nothing there.
            if dead[series].raw is not None:
                attributes[DEAD_TEMPLATE_HINT] = dead[series].raw
            if task.imask is not None:
                attributes[IMASK_HINT] = task.imask
            if record.id in apart:
                # One open task per series here: the others keep it in a hint.
                attributes[ENDED_SERIES_HINT] = str(series)
                series = None
            if attributes != record.attributes:
                record = replace(record, attributes=attributes)
        if (
            task.status == "completed"
            and task.parent is not None
            and task.imask is not None
            and IMASK_HINT not in record.attributes
        ):
            # Its place in the series, written back: without it `task import` read the
            # done instance as index 0 and marked that place of the template's mask.
            record = replace(record, attributes={**record.attributes, IMASK_HINT: task.imask})
        if notice and task.status in _OPEN:
            batch.notices.append(f"{task.where}: {notice}")
        if task.status in _OPEN and recur is not None and record.due is None:
            batch.problem(task.where, "recur", "a recurring task needs a due date")
            batch.rejected.add(record.id)
            continue
        if recur != record.recur or series != record.series_id:
            record = replace(record, recur=recur, series_id=series)
        hint = hints.get(record.id)
        if hint is not None:
            record = replace(record, attributes={**record.attributes, SERIES_HINT: hint})
        made.append(record)

    batch.records.extend(_fix_dependencies(made, redirect, batch, tasks, apart_later))


def _from_the_open_one(
    template: _Task,
    here: tuple[UUID, Any],
    in_file: Mapping[UUID, _Task],
    tz: tzinfo,
    batch: ImportBatch,
) -> UUID | list[_Task]:
    """A template in the file whose series has an open task here (``here``: its id and
    SERIES_HINT): the instances the file does not hold that its series goes on with.

    `task modified.after:X export` holds what changed since X: the template (its mask
    moves when an instance is done) and the instance done, not the later instances
    Taskwarrior made before X and has not touched. Read alone, the template looked
    like a series with no pending instance, and a second open task was made beside
    Taskwarrior's (which the export back then wrote twice). The open task here is
    not in the file: it is unchanged there, and the series stays at it (its id; with
    no pending instance in the file, the template makes none). It is done or deleted
    in the file: the later instances it keeps that the file does not hold are still
    pending in Taskwarrior, and are what a whole export would have held: mapped from
    their kept objects. Still open in the file (a filtered export holding the template
    when Taskwarrior made an instance since): the kept ones not in the file stay kept
    after it, where they were dropped, and the next task of the series here took an id
    of its own beside Taskwarrior's instance. Nothing kept (a task made here, or every
    kept one changed): [] (the template is read as ever).
    """
    task_id, hint = here
    if task_id not in in_file:
        return task_id  # (what the file changed of its series: batch.series_moved)
    if not isinstance(hint, dict):
        return []
    status_there = in_file[task_id].status
    done_here = status_there not in _OPEN
    recalled: list[_Task] = []
    for raw in hint.get("later") or ():
        if not isinstance(raw, dict) or not isinstance(raw.get("uuid"), str):
            continue
        where = f"instance {raw['uuid']} (kept here)"
        scratch = ImportBatch()  # taken when it was imported: its notices were said then
        try:
            instance = _map_object(where, raw, tz, scratch)
        except OverflowError:
            continue
        if instance is None or scratch.problems or instance.record.id in in_file:
            continue  # in the file: changed in Taskwarrior, the file's copy is the one
        if instance.status in _OPEN and instance.parent == template.record.id:
            batch.positions[instance.record.id] = where
            recalled.append(instance)
    if recalled and done_here:
        batch.notices.append(
            f"{template.where}: the recurring task's open task here is "
            f"{'deleted' if status_there == 'deleted' else 'done'} in the file: "
            "its series goes on with the instances Taskwarrior had made, kept here since "
            "the last import"
        )
    return recalled


def _same_place(members: Sequence[_Task], hint: Any) -> _Task | None:
    """The one pending instance of the file in the place (``imask``) of the series' open
    task here, as what is kept of the series beside it (SERIES_HINT) counts places."""
    if not isinstance(hint, dict):
        return None
    own = _index(hint.get("imask"))
    same = [task for task in members if own is not None and task.imask == own]
    return same[0] if len(same) == 1 else None


def _after_kept(task: _Task, hint: Any) -> bool:
    """Whether a pending instance of the file comes after the series' open task here, as
    what is kept of the series beside it (SERIES_HINT) counts its places."""
    if not isinstance(hint, dict):
        return False
    own = _index(hint.get("imask"))
    return own is not None and task.imask is not None and task.imask > own


def _series_moved(
    template: _Task | None, hint: Any, in_file: Collection[UUID], given: Sequence[_Task] = ()
) -> dict[str, Any] | None:
    """The series kept with an open task here that the file does not hold, as the file
    has moved it on: the template's due and mask as the file has them, without the
    later instances the file holds done or deleted (out of turn: written back as
    pending beside the file's copy, their uuid went to Taskwarrior twice), and with
    the file's copies of the pending ones ``given`` (changed there, or made since).
    None: unchanged, or nothing whole kept."""
    if not isinstance(hint, dict) or not isinstance(hint.get("later"), list):
        return None
    moved = {**hint, "later": _later_as_the_file_has_them(hint["later"], in_file, given)}
    kept = (template.raw or {}) if template is not None else {}
    if isinstance(kept.get("due"), str) and isinstance(kept.get("mask"), str):
        moved.update(due=kept["due"], mask=kept["mask"])
        if isinstance(kept.get("entry"), str):
            moved["entry"] = kept["entry"]
        had, read = hint.get("own"), hint.get("read")
        if isinstance(had, dict):
            # The template changed there (a priority given to the series): the open
            # task here, unchanged there, is as it was read.
            own = {key: _own_value(kept, key) for key in _SERIES_OWN}
            read = read if isinstance(read, dict) else {}
            as_read = {key: read.get(key, had.get(key)) for key in _SERIES_OWN}
            moved["own"] = own
            moved.pop("read", None)
            if apart := {k: v for k, v in as_read.items() if v != own[k]}:
                moved["read"] = apart
    return None if moved == hint else moved


def _later_as_the_file_has_them(
    kept: list[Any], in_file: Collection[UUID], given: Iterable[_Task]
) -> list[Any]:
    """A series' kept later instances (SERIES_HINT "later") as the file has them: the
    file's copy of one it holds pending (``given``: changed there), none of one it holds
    done or deleted, and the pending ones ``given`` that were not kept (made there
    since), in the series' order."""
    copies = {
        task.raw["uuid"]: task.raw
        for task in given
        if task.raw is not None and isinstance(task.raw.get("uuid"), str)
    }
    later: list[Any] = []
    for raw in kept:
        uuid = raw.get("uuid") if isinstance(raw, dict) else None
        if isinstance(uuid, str) and _uuid_in(uuid, in_file):
            if uuid in copies:
                later.append(copies.pop(uuid))  # changed there: the file's copy
            continue  # done or deleted there
        later.append(raw)
    later.extend(copies.values())  # made there since
    later.sort(key=lambda item: (isinstance(item, dict) and _index(item.get("imask"))) or 0)
    return later


def _uuid_in(text: str, ids: Collection[UUID]) -> bool:
    try:
        return UUID(text) in ids
    except ValueError:
        return False


def _hint_kept(
    hint: Any, carrier: _Task, members: list[_Task], in_file: Mapping[UUID, _Task]
) -> dict[str, Any] | None:
    """SERIES_HINT of a series' open task here that is in the file without its template
    (`task modified.after:X export` after an instance was edited there: the template
    did not change, and is not in it): the series as kept here, the later instances
    as the file has them. Read alone, the task lost what was kept of its series, and
    our export written back started the series over in Taskwarrior: every later
    occurrence twice. None: nothing whole kept."""
    if not isinstance(hint, dict) or not isinstance(hint.get("later"), list):
        return None
    others = [task for task in members if task is not carrier]
    later = _later_as_the_file_has_them(hint["later"], in_file, others)
    imask = carrier.imask if carrier.imask is not None else hint.get("imask")
    kept = {**hint, "imask": imask, "later": later}
    own = hint.get("own")
    if isinstance(own, dict):
        # The template unchanged (not in the file): the instance edited there is that
        # instance, not the series.
        kept.pop("read", None)
        if read := _read_apart(own, carrier.raw or {}):
            kept["read"] = read
    return kept


def _series_hint(
    template: _Task, carrier: _Task, members: list[_Task], tz: tzinfo
) -> dict[str, Any] | None:
    """SERIES_HINT of a series' open task: what Taskwarrior keeps of the series beside it."""
    kept = template.raw or {}
    if not isinstance(kept.get("due"), str) or not isinstance(kept.get("mask"), str):
        return None
    if carrier.imask is None or not isinstance(kept.get("recur"), str):
        return None
    later = [task.raw for task in members[1:] if task.raw is not None]
    own = {key: _own_value(kept, key) for key in _SERIES_OWN}
    read = _read_apart(own, carrier.raw or {})
    # Kept for a series just begun too: its first due, count and zone are Taskwarrior's
    # (written from the open task once it was done here, a monthly series from the
    # 31st started over from the 31st of the next month, and one done under another
    # zone moved to another day there).
    hint = {
        "recur": kept["recur"],
        "due": kept["due"],
        "mask": kept["mask"],
        "imask": carrier.imask,
        "later": later,
        "own": own,
    }
    if read:
        hint["read"] = read
    if isinstance(kept.get("entry"), str):
        # When the series was made there: written back as it was (the open task's
        # `entry` is when that instance was made).
        hint["entry"] = kept["entry"]
    if (zone := zone_name(tz)) is not None:
        # Taskwarrior steps a series in its own zone, the one it was synced in: the
        # next task here is stepped there too (series_zone). Stepped in another zone
        # (`todo done` under TZ=America/New_York of a Berlin series), a week's whole
        # day came out an hour off across a daylight-saving change, the count of
        # occurrences started over, and Taskwarrior got a second task that day.
        hint["zone"] = zone
    return hint


def series_zone(hint: Any) -> tzinfo | None:
    """The zone a series kept as Taskwarrior keeps it is stepped in (SERIES_HINT "zone"),
    if it has one this machine knows."""
    zone = hint.get("zone") if isinstance(hint, dict) else None
    return zone_named(zone) if isinstance(zone, str) else None


# What Taskwarrior makes each new instance of a series from: its template's own
# fields. An instance renamed there (or given a tag) is that instance alone, and a
# template changed there (`task <template> modify priority:H`) is the series: kept
# beside the open task here (SERIES_HINT "own"; "read": the open task's value, as
# read, where it was not the template's), the template is written back with its
# own fields while the open task's are unchanged here since, and the next task
# here takes them (series_fields). Before, the template went back as the open task
# was: one instance renamed renamed the series there, and a template's new
# priority was taken away.
_SERIES_OWN: Final = ("description", "priority", "project", "tags")


def _own_value(obj: Mapping[str, Any], key: str) -> Any:
    """A field of a Taskwarrior object as the series compares it: absent and empty are
    None, tags a sorted list."""
    value = obj.get(key)
    if key == "tags" and isinstance(value, list):
        return sorted({tag for tag in value if isinstance(tag, str) and tag}) or None
    return value if isinstance(value, str) and value else None


def _read_apart(own: Mapping[str, Any], instance: Mapping[str, Any]) -> dict[str, Any]:
    """An open instance's fields that are not its template's (own)."""
    return {
        key: value
        for key in _SERIES_OWN
        if key in own and (value := _own_value(instance, key)) != own[key]
    }


def _after_the_done_ones(
    record: TaskRecord, template: _Task, tasks: list[_Task], tz: tzinfo
) -> TaskRecord:
    """The open task of a template whose instances are done (or deleted): the one after
    the last of them.

    The template holds the first instance's due; an instance already done at that due
    (or later) is not to be done again, nor one deleted there (`task N delete` of that
    occurrence alone: mask "X"). The next one is what `todo done` on the last instance
    would have made.
    """
    from todo_cli.domain.recurrence import next_due, shift

    done = [
        task
        for task in tasks
        if task.parent == template.record.id
        and task.status in ("completed", "deleted")
        and task.record.due is not None
    ]
    if not done or record.due is None or template.recur is None:
        return record
    last = max(done, key=lambda task: (task.record.due, task.imask or 0))
    assert last.record.due is not None
    following = next_due(
        parse_recur(template.recur),
        due=last.record.due,
        anchor=record.due,
        index=last.imask if last.imask is not None else 0,
        completed_at=last.record.completed_at or last.record.due,
        now=datetime.now(UTC),
        tz=tz,
    )
    return replace(
        record,
        due=following.due,
        wait=shift(record.wait, record.due, following.due, tz),
        recur_anchor=following.anchor,
        recur_index=following.index,
    )


def _past_its_until(record: TaskRecord, template: _Task) -> bool:
    """Whether the open task a template would make is due after the template's `until`."""
    until = template.attributes.get("until")
    if record.due is None or not isinstance(until, str):
        return False
    try:
        return record.due > parse_date(until)
    except ValueError:
        return False  # an `until` that is no date: kept as it is, the series goes on


def _series_of(task: _Task) -> UUID | None:
    """The series a task belongs to: its template, or its own for a lone open recurring task."""
    if task.parent is not None:
        return task.parent
    if task.status in _OPEN and task.recur is not None:
        # Not a shape 2.6 writes (it makes such a task a template), but a file may hold it.
        return uuid5(NAMESPACE, f"{task.record.id}/series")
    return None


def _instance_order(task: _Task) -> tuple[bool, datetime, int]:
    due = task.record.due
    return (due is None, due or _EPOCH, task.imask if task.imask is not None else 0)


def _fix_dependencies(
    records: list[TaskRecord],
    redirect: dict[UUID, UUID | None],
    batch: ImportBatch,
    tasks: list[_Task],
    later: set[UUID],
) -> Iterator[TaskRecord]:
    """The records with their dependencies on tasks not imported as they are: one on a
    deleted task and one on a later instance of a series kept for Taskwarrior
    (DEPENDS_HINT), not linked here; one on a template on its open instance. Moved to
    the series' open task, a task waiting on the 30 March standup waited on the 23rd's,
    here and, written back, in Taskwarrior; the instance goes back with its series, and
    once the series reaches it here the task waits on it (services.tasks)."""
    where = {task.record.id: task.where for task in tasks}
    for record in records:
        if not any(dependency in redirect for dependency in record.depends):
            yield record
            continue
        kept: set[UUID] = set()
        elsewhere: list[str] = []
        for dependency in record.depends:
            target = redirect.get(dependency, dependency)
            if dependency in later and dependency != record.id:
                elsewhere.append(str(dependency))
                batch.notices.append(
                    f"{where.get(record.id, str(record.id))}: depends on {dependency}, a "
                    "later instance of a recurring task, not imported: kept with it for "
                    "Taskwarrior, not linked here"
                )
            elif target is None:
                # Taskwarrior keeps it (`task undo` brings the task back): dropped, the
                # export written back took it from a task nobody had changed there.
                elsewhere.append(str(dependency))
                batch.notices.append(
                    f"{where.get(record.id, str(record.id))}: depends on {dependency}, "
                    "deleted there: kept with it for Taskwarrior, not linked here"
                )
            elif target != record.id or dependency == record.id:
                # A task redirected to this one (a later instance of its own series) is
                # no dependency; a task naming itself is a cycle, which the import refuses.
                kept.add(target)
        record = replace(record, depends=tuple(sorted(kept, key=str)))
        if elsewhere:
            record = replace(record, attributes=with_kept_depends(record.attributes, elsewhere))
        yield record


# -- writing ----------------------------------------------------------------------------------


def write(
    records: Iterable[TaskRecord],
    *,
    tz: tzinfo,
    json_lines: bool = False,
    notices: list[str] | None = None,
) -> Iterator[str]:
    """The text of a ``task import`` file, object by object: a JSON array by default.

    ``tz`` is the zone Taskwarrior will run in (a whole-day due is written as 00:00 local).
    ``json_lines`` writes one object a line instead (``task import`` reads both). What
    Taskwarrior cannot hold exactly is added to ``notices`` (when given), one line per kind
    with a count and the first tasks named (:class:`Losses`), once the last record is written.
    """
    losses = Losses("Taskwarrior")
    templates_written: dict[UUID, int] = {}
    first = True
    if not json_lines:
        yield "["
    for record in records:
        for obj in _objects(record, tz, losses, templates_written):
            text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            if json_lines:
                yield text + "\n"
            else:
                yield ("\n" if first else ",\n") + text
            first = False
    if not json_lines:
        yield "\n]\n"
    if notices is not None:
        notices.extend(losses.notices())


def _attribute(value: Any) -> Any:
    # Taskwarrior keeps every value as text: a number given as a JSON number is stored as
    # "3.000000" and comes back so, while "3" comes back as 3 for a numeric attribute (and
    # as "3" for an undeclared one, which is how 2.6 writes those anyway).
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _objects(
    record: TaskRecord, tz: tzinfo, losses: Losses, templates: dict[UUID, int]
) -> Iterator[dict[str, Any]]:
    def loss(kind: str) -> None:
        losses.add(kind, record)

    obj: dict[str, Any] = {
        key: _attribute(value)
        for key, value in record.attributes.items()
        if not is_hint_key(key) and key not in _MAPPED and key not in _BOOKKEEPING
    }
    # (A task done here keeps no `start`: `todo done` takes it away, as `task done`
    # does. One done in Taskwarrior with it, `task modify status:completed`, keeps it
    # there, and so here: dropped, the export written back changed it there, and the
    # next sync read "1 updated".)
    description = record.title
    annotations = [
        {"entry": _format_date(note.created_at), "description": note.text} for note in record.notes
    ]
    if record.description is not None:
        if split_title(record.description) == (record.title, record.description):
            description = record.description
        else:
            annotations.insert(
                0,
                {"entry": _format_date(record.created_at), "description": record.description},
            )
            loss("description written as an annotation (Taskwarrior has one text per task)")
    obj.update(
        {
            "uuid": str(record.id),
            "description": description,
            "status": "completed" if record.completed else "pending",
            "entry": _format_date(record.created_at),
            "modified": _format_date(record.updated_at),
        }
    )
    modified = record.attributes.get(MODIFIED_HINT)
    if isinstance(modified, str) and record.updated_at == record.created_at:
        try:
            if _parse_date(modified) < record.created_at:
                obj["modified"] = modified
        except ValueError:
            pass  # a hint edited by hand: the task's own time stands
    if record.completed:
        obj["end"] = _format_date(record.completed_at or record.updated_at)
    if record.due is not None:
        kept_due = _due_as_it_was(record)
        whole_day = _whole_day_zone(record, tz)
        if kept_due is not None:
            obj["due"] = kept_due
        elif whole_day is not None:
            obj["due"] = _format_date(day_start(local_date(record.due, whole_day), whole_day))
        else:
            obj["due"] = _format_date(record.due)
            if record.due == day_start(local_date(record.due, tz), tz):
                loss("due at 00:00 local time: Taskwarrior shows it as a date")
    if record.wait is not None:
        obj["wait"] = _format_date(record.wait)
    odd_priority = record.attributes.get(TASKWARRIOR_PRIORITY_HINT)
    if record.priority is not None:
        obj["priority"] = record.priority
    elif isinstance(odd_priority, str) and odd_priority:
        obj["priority"] = odd_priority
    odd_project = record.attributes.get(TASKWARRIOR_PROJECT_HINT)
    if record.project is not None:
        obj["project"] = record.project
    elif isinstance(odd_project, str) and odd_project:
        obj["project"] = odd_project
    tags = set(record.tags)
    odd_tags = record.attributes.get(TASKWARRIOR_TAGS_HINT)
    if isinstance(odd_tags, list):
        tags.update(tag for tag in odd_tags if isinstance(tag, str) and tag)
    if tags:
        obj["tags"] = sorted(tags)
    if annotations:
        obj["annotations"] = annotations
    depends = [str(dependency) for dependency in record.depends]
    elsewhere = record.attributes.get(DEPENDS_HINT)
    if isinstance(elsewhere, list):
        # Waited on in Taskwarrior, never here (see DEPENDS_HINT).
        depends += [d for d in elsewhere if isinstance(d, str) and d not in depends]
    if depends:
        obj["depends"] = depends

    if record.recur is None:
        ended = record.attributes.get(ENDED_RECUR_HINT)
        series = _ended_series(record)
        if isinstance(ended, str) and series is not None:
            yield from _ended(record, obj, ended, losses, templates, series)
        else:
            yield obj
        return
    recur, exact = _recur_word(record.recur, record.attributes)
    if not exact:
        loss("recurrence after completion written as Taskwarrior's (on the due cadence)")
    if record.completed:
        obj.update(recur=recur, rtype="periodic")
        if record.series_id is not None:
            obj["parent"] = str(record.series_id)
            own = record.attributes.get(IMASK_HINT)
            kept = record.attributes.get(SERIES_HINT)
            if own is None and isinstance(kept, dict):
                own = kept.get("imask")  # done here: its place as the series kept it
            if isinstance(own, int) and not isinstance(own, bool) and own >= 0:
                obj["imask"] = own  # its place there
        yield obj
        return
    if record.due is None:
        loss("recurrence without a due date not written (Taskwarrior needs a due)")
        yield obj
        return
    series = _series_of_record(record)
    index = templates.get(series)
    later: list[dict[str, Any]] = []
    if index is None:
        index = 0
        template = _template(obj, series, "recurring", recur)
        kept = _kept_series(record.attributes.get(SERIES_HINT), recur)
        if kept is not None:
            # The series as Taskwarrior left it: its first due, its mask, this task's
            # index and the instances after it, so that it makes none of them again.
            _as_kept(template, kept)
            index = kept["imask"]
            # Instances the series passed over here (done late, past their dates):
            # deleted there too, as the mask has them ("X").
            stamp = {"status": "deleted", "end": obj["modified"], "modified": obj["modified"]}
            later = [item | stamp for item in kept["gone"]] + kept["later"]
        yield template
    templates[series] = index + 1
    obj.update(parent=str(series), imask=index, recur=recur, rtype="periodic")
    yield obj
    yield from later


def _recur_word(recur: str, attributes: Mapping[str, Any]) -> tuple[str, bool]:
    """Our recurrence as Taskwarrior says it, and whether that is exact: the word the
    task came with (RECUR_HINT) while it still means this recurrence."""
    word, exact = recur_to_taskwarrior(recur)
    hint = attributes.get(RECUR_HINT)
    if isinstance(hint, str):
        with contextlib.suppress(ValueError):
            if recur_from_taskwarrior(hint)[0] == recur:
                return hint, True
    return word, exact


def _series_of_record(record: TaskRecord) -> UUID:
    """The uuid of a series' template: its series id, or one derived from the task's
    own id where the series has none apart from the task (a shape a file may hold)."""
    series = record.series_id
    if series is None or series == record.id:
        series = uuid5(NAMESPACE, f"{record.id}/series")
    return series


def _template(obj: dict[str, Any], series: UUID, status: str, recur: str) -> dict[str, Any]:
    """A series' template, made from the object of its task: what belongs to one task
    (its start and end, annotations, dependencies) left out."""
    template = {
        key: value
        for key, value in obj.items()
        if key not in _NOT_ON_TEMPLATE and key not in ("annotations", "depends")
    }
    template.update(uuid=str(series), status=status, recur=recur, rtype="periodic", mask="-")
    return template


def _ended_series(record: TaskRecord) -> UUID | None:
    """The series a task without recurrence ended with: its own, or the one kept for it
    (ENDED_SERIES_HINT) when another task of that series holds it here."""
    if record.series_id is not None:
        return _series_of_record(record)
    kept = record.attributes.get(ENDED_SERIES_HINT)
    if isinstance(kept, str):
        with contextlib.suppress(ValueError):
            return UUID(kept)
    return None


def _ended(
    record: TaskRecord,
    obj: dict[str, Any],
    ended: str,
    losses: Losses,
    templates: dict[UUID, int],
    series: UUID,
) -> Iterator[dict[str, Any]]:
    """A task of a series that ended here, written as Taskwarrior ends a series.

    Taskwarrior refuses an update that takes ``recur`` from a task it holds as an
    instance (2.6 can crash on one), and then the whole ``task import`` fails. So the
    task is written as an instance still, with the recurrence it had (``ended``,
    ENDED_RECUR_HINT), and its template as deleted: Taskwarrior makes no more tasks of
    a deleted template. The later instances it had made, kept with the open task
    (SERIES_HINT), are deleted with it, as ``task delete`` of a template offers.
    """
    try:
        word, _ = _recur_word(ended, record.attributes)
    except ValueError:
        yield obj  # a hint edited by hand: the task as it is
        return
    if "due" not in obj:
        losses.add("recurrence of an ended series not written: Taskwarrior needs a due", record)
        yield obj
        return
    kept = _kept_series(record.attributes.get(SERIES_HINT), word)
    index = templates.get(series)
    if index is None:
        index = 0
        as_it_was = record.attributes.get(DEAD_TEMPLATE_HINT)
        if isinstance(as_it_was, dict) and as_it_was.get("uuid") == str(series):
            template = dict(as_it_was)  # Taskwarrior's own, as it wrote it
        else:
            template = _template(obj, series, "deleted", word)
            template["end"] = obj["modified"]
            if kept is not None:
                _as_kept(template, kept)
        yield template
        templates[series] = index
    obj.update(parent=str(series), recur=word, rtype="periodic")
    later: list[dict[str, Any]] = []
    own = record.attributes.get(IMASK_HINT)
    if isinstance(own, int) and not isinstance(own, bool) and own >= 0:
        obj["imask"] = own  # its place in the series as Taskwarrior had it
        templates[series] = max(templates[series], own + 1)
    if not record.completed:
        if kept is not None:
            index = kept["imask"]
            gone = {"status": "deleted", "end": obj["modified"], "modified": obj["modified"]}
            later = [item | gone for item in [*kept["gone"], *kept["later"]]]
        if "imask" not in obj:
            obj["imask"] = index
            templates[series] = max(templates[series], index + 1)
    yield obj
    yield from later


def _as_kept(template: dict[str, Any], kept: Mapping[str, Any]) -> None:
    """A template made from its open task, given the series' own first due and mask.

    Taskwarrior gives each instance it makes the template's wait as a distance
    before (or after) its due: the open task's wait kept beside the template's
    older due put every later instance's wait days past its due (hidden until
    after it was due). The distance is kept instead.
    """
    due, wait = template.get("due"), template.get("wait")
    template.update(due=kept["due"], mask=kept["mask"])
    if kept["entry"] is not None:
        template["entry"] = kept["entry"]
    own, read = kept["own"], kept["read"]
    for key, value in own.items():
        if _own_value(template, key) == read.get(key, value):
            # Unchanged here since it was read: the series' own (see _SERIES_OWN).
            if value is None:
                template.pop(key, None)
            else:
                template[key] = value
    if isinstance(due, str) and isinstance(wait, str) and due != kept["due"]:
        with contextlib.suppress(ValueError):
            template["wait"] = _format_date(
                parse_date(kept["due"]) + (parse_date(wait) - parse_date(due))
            )


def _kept_series(hint: Any, recur: str) -> dict[str, Any] | None:
    """SERIES_HINT when it is whole and the recurrence is still the one it was kept with."""
    if not isinstance(hint, dict) or hint.get("recur") != recur:
        return None
    due, mask, imask, later = (hint.get(key) for key in ("due", "mask", "imask", "later"))
    if not (isinstance(due, str) and isinstance(mask, str) and isinstance(later, list)):
        return None
    if isinstance(imask, bool) or not isinstance(imask, int) or not 0 <= imask < len(mask):
        return None
    gone = hint.get("gone", [])
    if not isinstance(gone, list):
        return None
    if not all(
        isinstance(item, dict) and isinstance(item.get("uuid"), str) for item in [*later, *gone]
    ):
        return None
    return {
        "due": due,
        "mask": mask,
        "imask": imask,
        "later": [dict(item) for item in later],
        "gone": [dict(item) for item in gone],
        "own": _own_fields(hint.get("own")),
        "read": _own_fields(hint.get("read")),
        "entry": entry if isinstance(entry := hint.get("entry"), str) else None,
    }


def _own_fields(kept: Any) -> dict[str, Any]:
    """SERIES_HINT's "own" or "read" as written: what is not a field of _SERIES_OWN
    with a value it can have (a hint edited by hand) is left out."""
    if not isinstance(kept, dict):
        return {}
    return {
        key: value
        for key, value in kept.items()
        if key in _SERIES_OWN
        and (
            value is None
            or (key != "tags" and isinstance(value, str) and value)
            or (key == "tags" and _own_value({"tags": value}, "tags") == value)
        )
    }


def _there(values: Mapping[str, Any]) -> dict[str, Any]:
    """Our title, description, priority, project and tags as Taskwarrior's fields of
    _SERIES_OWN, compared as _own_value compares them (see _objects)."""
    title, description = values["title"], values["description"]
    there = (
        description
        if description is not None and split_title(description) == (title, description)
        else title
    )
    # What Taskwarrior took that is none here is kept beside the task and written back
    # as its priority, project and tags (see _objects): so is it compared.
    kept = values.get("attributes") or {}
    priority, project = values["priority"], values["project"]
    odd_priority, odd_project = (
        kept.get(TASKWARRIOR_PRIORITY_HINT),
        kept.get(TASKWARRIOR_PROJECT_HINT),
    )
    if priority is None and isinstance(odd_priority, str) and odd_priority:
        priority = odd_priority
    if project is None and isinstance(odd_project, str) and odd_project:
        project = odd_project
    tags = set(values["tags"])
    odd_tags = kept.get(TASKWARRIOR_TAGS_HINT)
    if isinstance(odd_tags, list):
        tags.update(tag for tag in odd_tags if isinstance(tag, str) and tag)
    return {
        "description": there,
        "priority": priority,
        "project": project,
        "tags": sorted(tags) or None,
    }


def series_edited(
    hint: Any, before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, Any] | None:
    """SERIES_HINT of a series' open task edited here (``before`` and ``after``: its
    title, description, priority, project and tags): the fields edited are the
    series' own now, as the template goes back with them. None: nothing to change."""
    if not isinstance(hint, dict) or not isinstance(hint.get("own"), dict):
        return None
    was, now = _there(before), _there(after)
    edited = {key: value for key, value in now.items() if value != was[key]}
    if not edited:
        return None
    read = hint.get("read")
    read = {k: v for k, v in read.items() if k not in edited} if isinstance(read, dict) else {}
    changed = {**hint, "own": {**hint["own"], **edited}}
    changed.pop("read", None)
    if read:
        changed["read"] = read
    if isinstance(hint.get("later"), list):
        changed["later"] = [_with_series_edit(item, hint["own"], edited) for item in hint["later"]]
    return changed


def _with_series_edit(item: Any, own: Mapping[str, Any], edited: Mapping[str, Any]) -> Any:
    """A later instance Taskwarrior had made, given the series' fields edited here where
    it has the template's value, as `task modify` of a recurring task carries a change
    to its pending instances. Written back as Taskwarrior had it, a priority given to
    the series here was lost there once the instance before it was done there."""
    if not isinstance(item, dict):
        return item
    moved = dict(item)
    for key, value in edited.items():
        if key not in own or _own_value(item, key) != own[key]:
            continue  # the instance's own value (changed there): it stays
        if value is None:
            moved.pop(key, None)
        else:
            moved[key] = value
    return moved


def series_fields(hint: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The next task's title, description, priority, project and tags, from the done
    task's ``values``: the template's own where the done task's field is unchanged
    here since the series was read (SERIES_HINT "own" and "read"), as Taskwarrior
    makes its next instance from the template; the done task's where it changed here
    (the series changed here) or where the template's is none here (an odd priority)."""
    if not isinstance(hint, dict) or not isinstance(hint.get("recur"), str):
        return {}
    kept = _kept_series(hint, hint["recur"])
    if kept is None or not kept["own"]:
        return {}
    own, read = kept["own"], kept["read"]
    ours = _there(values)
    taken: dict[str, Any] = {}
    odd: dict[str, Any] = {}
    for key, value in own.items():
        if ours[key] != read.get(key, value) or value == ours[key]:
            continue
        if key == "description":
            if value is not None:
                title, whole = split_title(value)
                taken["title"] = title
                if whole is not None:
                    taken["description"] = whole
        elif key == "priority":
            # One none here (`priority:1`) is kept beside the task, as an import keeps it.
            usual = value is None or value in PRIORITIES
            taken["priority"] = value if usual else None
            odd[TASKWARRIOR_PRIORITY_HINT] = None if usual else value
        elif key == "project":
            usual = value is None or check_project(value) is None
            taken["project"] = value if usual else None
            odd[TASKWARRIOR_PROJECT_HINT] = None if usual else value
        else:
            tags = [tag for tag in value or () if check_tag(tag) is None]
            more = [tag for tag in value or () if check_tag(tag) is not None]
            if len(tags) > TAGS_PER_TASK_MAX:
                tags, more = tags[:TAGS_PER_TASK_MAX], tags[TAGS_PER_TASK_MAX:] + more
            taken["tags"] = tuple(tags)
            odd[TASKWARRIOR_TAGS_HINT] = more or None
    if odd:
        # The done task's own odd fields go with it, not to the next task: the fields
        # taken from the template are the template's, odd ones too.
        attributes = dict(values.get("attributes") or {})
        for hint, kept in odd.items():
            if kept is None:
                attributes.pop(hint, None)
            else:
                attributes[hint] = kept
        taken["attributes"] = attributes or None
    return taken


def series_after(hint: Any, steps: int) -> tuple[UUID | None, dict[str, Any] | None]:
    """The kept series once its open task is done: its next task's uuid and SERIES_HINT.

    ``steps``: how many occurrences on from the done task the next one is (more than
    one when the series was behind and the ones in between were passed over). The next
    task is the instance Taskwarrior has (or would make) at that index: it takes that
    instance's uuid, so that our export written back into the data it came from updates
    that instance instead of adding a second task for the same occurrence. The done
    task's place in the mask is "+"; places passed over are "X" (Taskwarrior makes no
    task for them), and the instances it had made there are kept as gone (written
    deleted); the later instances past the next task stay kept. (None, None) when
    nothing is kept or the hint is not whole.
    """
    if not isinstance(hint, dict) or steps < 1 or not isinstance(hint.get("recur"), str):
        return None, None
    kept = _kept_series(hint, hint["recur"])
    if kept is None:
        return None, None
    done, index = kept["imask"], kept["imask"] + steps
    mask = list(kept["mask"])
    mask[done] = "+"
    if index >= len(mask):
        mask.extend("X" * (index - len(mask)))
        mask.append("-")
    taken: UUID | None = None
    later = []
    gone = kept["gone"]
    for item in kept["later"]:
        place = _index(item.get("imask"))
        if place is None:
            continue
        if place < index:
            # Passed over: the series went past its date here. Written as deleted (the
            # mask's "X"), or Taskwarrior would keep it pending, and an import of its
            # data would take it for the series' open task again.
            mask[place] = "X"
            gone = [*gone, item]
            continue
        if place > index:
            later.append(item)
            continue
        try:
            taken = UUID(item["uuid"])
        except ValueError:
            taken = None
    following = {
        "recur": hint["recur"],
        "due": kept["due"],
        "mask": "".join(mask),
        "imask": index,
        "later": later,
    }
    if kept["own"]:
        # The next task takes the template's own fields (series_fields): none apart.
        following["own"] = kept["own"]
    if kept["entry"] is not None:
        following["entry"] = kept["entry"]
    if isinstance(hint.get("zone"), str):
        following["zone"] = hint["zone"]
    if gone:
        following["gone"] = gone
    return taken, following
