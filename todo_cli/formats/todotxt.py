"""todo.txt: one task a line, read and written so that a file comes back as it went out.

Checked against todo.txt-cli 2.11 (tests/fixtures/todotxt/ are files its ``todo.sh`` made).

A line. ``x `` marks a done task, followed by the completion date and then, optionally, the
creation date (``x 2026-11-30 2026-11-20 Call mom``); an open task may start with a
priority ``(A) `` to ``(Z) `` and then a creation date. The rest is the text, read word by
word:

- the first ``+word`` is the project (``+home.garden``), further ``+words`` are tags;
- ``@context`` is a tag;
- ``due:2026-12-01`` is a due for that whole day (``dates.day_end``), ``t:2026-12-10`` a
  wait from that day's start (``dates.day_start``);
- ``rec:1w`` (after completion) and ``rec:+1w`` (on the due cadence), units d, w, m, y, and
  ``b`` for business days (``rec:+1b`` is ``weekdays``; ``rec:1b`` too, with a notice, as
  todo counts no business days from a completion; more than one business day is a
  problem). A ``rec:`` on a line without ``due:`` stays in the title as text, with a
  notice: our recurrence needs a due;
- ``pri:A`` (clients that keep the priority of a done task that way) is the priority when
  the line has no ``(A)``;
- ``uuid:...`` is the task's id;
- every other word, ``key:value`` pairs included, is text: the title is those words joined by
  single spaces. A ``+word`` or ``@word`` that is not a valid project or tag (``+1``,
  ``@2pm``) is text too.

Priorities: A is H, B is M, C is L; D to Z are L, with a notice naming the line. Dates: the
creation date is created_at (00:00 local; for a line without one, the completion date of a
done line, else ``today``), the completion date completed_at (00:00 local; created_at when a
done line has none); updated_at is the later of the two: todo.txt keeps no modification
time. Bad dates are problems naming the line and the field.

Ids, and importing the same file again. A line without ``uuid:`` gets a uuid5 of its
creation date and its text without the ``pri:``/``uuid:`` words: what ``todo.sh pri`` and
``do`` change (the priority, ``x`` and the completion date) is left out, so a task keeps its
id when it is prioritised or done, and the same file always gives the same ids. Two lines
alike get different ids by their order (the second is the second occurrence); pass one
:class:`Identities` to the reads of ``done.txt`` and then ``todo.txt`` so that a task keeps
its id when todo.sh archives it (and a done line in both files is that one task). Editing
a line's words makes it a new task: write the file back from todo (the writer adds
``uuid:`` wherever the id would not be found again).
A recurring line's ``series_id`` is a uuid5 of its words without dates, so the done copies
and the next instance of a series share it.

Writing (one line per task, no trailing spaces). The canonical layout is: priority (A, B,
C) or ``x`` and the completion date, the creation date, the title, ``+project``, tags as
``@tag``, ``due:``, ``t:``, ``rec:``, ``pri:`` (done tasks with a priority), ``uuid:``
(when the id would not be derived again). Tags go out as ``@tag`` because a ``+word``
before the project would read back as the project. When a line read from a file would not
be written back the same way in that layout (word order, spacing, ``(D)``, ``+tag``, no
creation date...), the original line is kept in ``attributes["todotxt.line"]``, and the
writer uses its text, and its conventions, while the task still says what it says. Every
line written is read back and compared; what todo.txt cannot hold (notes, dependencies, a
description of its own, foreign attributes, the time of day of a due or wait) is reported
in ``notices``, counted by kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from typing import Any, Final, cast
from uuid import UUID, uuid5

from todo_cli.domain.dates import day_end, day_start, is_all_day, local_date, starts_day
from todo_cli.domain.fields import TODOTXT_LINE_HINT, TODOTXT_SPACE_HINT
from todo_cli.domain.ids import is_uuid
from todo_cli.domain.names import composed
from todo_cli.domain.recurrence import Unit, day_after, parse_recur
from todo_cli.errors import InvalidInput
from todo_cli.formats.interchange import (
    TAGS_PER_TASK_MAX,
    ImportBatch,
    Losses,
    Priority,
    TaskRecord,
    check_project,
    check_tag,
    is_hint_key,
    split_title,
)

__all__ = [
    "LINE_HINT",
    "NAMESPACE",
    "Identities",
    "name_namespace",
    "owned_id",
    "priority_letter",
    "read",
    "user_namespace",
    "write",
]

# Ids derived from lines are uuid5 in this namespace; changing it would give every task
# of every file imported before a new id. Never change it.
NAMESPACE: Final = UUID("a3e0c6f4-5b8d-4e21-9f37-1c2d8b6e4a90")
LINE_HINT: Final = TODOTXT_LINE_HINT

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PRIORITY = re.compile(r"\(([A-Z])\)")
_REC = re.compile(r"(\+?)([0-9]+)([dwmyb])")
_SEVERAL_BUSINESS_DAYS = re.compile(r"\+?0*([2-9]|[1-9][0-9]+)b")
_LETTER_OF: Final[dict[str, str]] = {"H": "A", "M": "B", "L": "C"}
_KEYS: Final = ("due", "t", "rec", "pri", "uuid")
# Which of our fields each key sets, for messages.
_FIELD_OF_KEY: Final = {"due": "due", "t": "wait", "rec": "recur", "pri": "priority", "uuid": "id"}


def _priority_of(letter: str) -> Priority:
    return cast(Priority, {"A": "H", "B": "M"}.get(letter, "L"))


@dataclass
class Identities:
    """Occurrence counts behind the derived ids, to share between the reads of one import.

    Read ``done.txt`` first, then ``todo.txt``, with one ``Identities``: done.txt only grows
    at its end (todo.sh appends what it archives), so the n-th occurrence of a line keeps
    its number when the open one is done and moved.
    """

    lines: dict[str, int] = field(default_factory=dict)
    open_series: dict[str, int] = field(default_factory=dict)
    # Where each id was first seen, so that a uuid: given twice is found across files too.
    seen: dict[UUID, str] = field(default_factory=dict)
    # The done lines of done.txt by their words and completion day, and the ids they
    # got: the same done line in todo.txt beside it (done tasks exported there, or kept
    # there by `do -a` after an archive made a copy) is that task again, not another.
    archived: dict[tuple[str, date | None], list[UUID]] = field(default_factory=dict)
    # Ids of the archive: a line of todo.txt naming one is the archive's task again, and
    # todo.txt (the list todo.sh works on; done.txt is its history) is what it holds now.
    from_archive: set[UUID] = field(default_factory=set)
    # Every id the archive's done lines got, by their words (any completion day).
    archived_words: dict[str, list[UUID]] = field(default_factory=dict)
    # The ids lines gave by a `uuid:` word (the others are derived from the words).
    explicit: set[UUID] = field(default_factory=set)
    # The archive's records by id: todo.txt's next line of one (its uuid copied) is
    # told apart from the task reopened.
    archived_records: dict[UUID, TaskRecord] = field(default_factory=dict)
    # The ids derived for lines of the same words (no uuid:, no recurrence), by the
    # words: which line is which of them only the order says, and an archive changes
    # the order (see services.interchange._alike_matched).
    alike: dict[str, list[UUID]] = field(default_factory=dict)

    def alike_groups(self) -> list[list[UUID]]:
        """The ids of each set of two or more lines alike."""
        return [ids for ids in self.alike.values() if len(ids) > 1]

    # The series id of each further open series of the same words -> the words' own.
    base_series: dict[UUID, UUID] = field(default_factory=dict)

    def archived_id(self, key: str, completion: date | None) -> UUID | None:
        """The id of a done line of the archive alike, not yet claimed by another."""
        ids = self.archived.get((key, completion))
        return ids.pop(0) if ids else None

    def line_id(self, key: str) -> UUID:
        count = self.lines.get(key, 0) + 1
        self.lines[key] = count
        return _derived_id(key, count)

    def series_id(self, key: str, *, is_open: bool) -> UUID:
        count = 1
        if is_open:
            count = self.open_series.get(key, 0) + 1
            self.open_series[key] = count
        base = uuid5(NAMESPACE, f"series\x00{key}")
        if count == 1:
            return base
        # A second open series of the same words: its own id, its words' kept.
        numbered = uuid5(NAMESPACE, f"series\x00{key}\x00{count}")
        self.base_series[numbered] = base
        return numbered


def _derived_id(key: str, occurrence: int) -> UUID:
    return uuid5(NAMESPACE, key if occurrence == 1 else f"{key}\x00{occurrence}")


def user_namespace(user_id: UUID) -> UUID:
    """The namespace of a user's ids (see :func:`owned_id`), from their users row's id.

    That id is random and, where members are kept apart, only its user reads it:
    another member cannot work out which ids a user's lines get, and so cannot find
    out, by importing or inserting one (the primary key refuses an id taken), whether
    they hold a task of given words. Made from the user's name, as before
    (:func:`name_namespace`), every login could.
    """
    return uuid5(NAMESPACE, f"user-id\x00{user_id.hex}")


def name_namespace(user: str) -> UUID:
    """The namespace a user's ids were made in before :func:`user_namespace`, from
    their name: a task imported then keeps its id, which the import looks up."""
    return uuid5(NAMESPACE, f"user\x00{user}")


def owned_id(derived: UUID, space: UUID) -> UUID:
    """The id a line's derived id becomes for the user whose namespace is `space`
    (:func:`user_namespace`): the same words in two users' files are two tasks, and
    one user's import never meets (or, where members are kept apart, finds out about)
    another's task. Read derives the line's id alone; the import makes it the
    user's, keeping an older task of this user's that has it as its id, or the id of
    the user's name (made before ids were the user's, or their row's)."""
    return uuid5(space, derived.hex)


# -- parsing a line ---------------------------------------------------------------------------


class _LineError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class _Prefix:
    """What comes before the text: ``x`` and the dates, or the priority and the date."""

    completed: bool
    completion: date | None
    creation: date | None
    letter: str | None
    text: str


def _date(word: str, field_name: str) -> date:
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise _LineError(field_name, f"{word!r} is not a date that exists") from None


def _split_prefix(line: str) -> _Prefix:
    words = line.split(" ")
    completed = words[0] == "x" and len(words) > 1
    letter: str | None = None
    completion: date | None = None
    creation: date | None = None
    at = 0
    if completed:
        at = 1
        if at < len(words) and _DATE.fullmatch(words[at]):
            completion = _date(words[at], "completed_at")
            at += 1
            if at < len(words) and _DATE.fullmatch(words[at]):
                creation = _date(words[at], "created_at")
                at += 1
    else:
        priority = _PRIORITY.fullmatch(words[0])
        if priority is not None and len(words) > 1:
            letter = priority[1]
            at = 1
        if at < len(words) and _DATE.fullmatch(words[at]):
            creation = _date(words[at], "created_at")
            at += 1
    return _Prefix(completed, completion, creation, letter, " ".join(words[at:]))


@dataclass
class _Text:
    """The words of a line's text, sorted into our fields."""

    words: list[str] = field(default_factory=list)
    project: str | None = None
    tags: list[str] = field(default_factory=list)
    plus_tags: set[str] = field(default_factory=set)
    due: date | None = None
    wait: date | None = None
    recur: str | None = None
    pri: str | None = None
    uuid: UUID | None = None
    # The words the id and the series are derived from.
    id_words: list[str] = field(default_factory=list)
    series_words: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _parse_text(text: str) -> _Text:
    parsed = _Text()
    tokens = text.split()
    # A due: that is read as a date (one of words, "due:soon", stays in the title, and
    # a rec: beside it has no due to repeat from: kept too, not a refused line).
    has_due = any(token.startswith("due:") and token[4:5].isdigit() for token in tokens)
    seen: set[str] = set()
    for token in tokens:
        kind = _classify(token, parsed, has_due, seen)
        if kind == "text":
            parsed.words.append(token)
        if kind not in ("pri", "uuid"):
            parsed.id_words.append(token)
            if kind not in ("due", "t"):
                parsed.series_words.append(token)
    if len(parsed.tags) > TAGS_PER_TASK_MAX:
        count = len(parsed.tags)
        parsed.problems.append(("tags", f"{count} tags, the limit is {TAGS_PER_TASK_MAX}"))
    return parsed


def _classify(token: str, parsed: _Text, has_due: bool, seen: set[str]) -> str:
    """Sort one word into ``parsed``; returns its kind: text, project, tag or the key."""
    sigil, name = token[0], token[1:]
    if sigil in "+@" and name:
        name = composed(name)  # as typed on the command line: é is one character
        as_project = check_project(name) if sigil == "+" and parsed.project is None else None
        if sigil == "+" and parsed.project is None and as_project is None:
            parsed.project = name
            return "project"
        reason = check_tag(name)
        if reason is not None and as_project is not None:
            reason = as_project  # the first +word is read as the project: its rule tells
        if reason is None:
            if name not in parsed.tags:
                parsed.tags.append(name)
            if sigil == "+":
                parsed.plus_tags.add(name)
            return "tag"
        if name[0].isalpha():
            parsed.notices.append(f"{token} kept in the title: {reason}")
        return "text"
    key, colon, value = token.partition(":")
    if not colon or key not in _KEYS or not value:
        return "text"
    field_name = _FIELD_OF_KEY[key]
    if key == "rec" and not has_due:
        parsed.notices.append(f"{token} kept in the title: a recurrence needs a due: date")
        return "text"
    if key == "rec" and (several := _SEVERAL_BUSINESS_DAYS.fullmatch(value.lower())):
        # Valid to todo.txt's recurrence add-on, but no recurrence here (weekdays go
        # one at a time): the task is taken, its rec: kept as written, and said so.
        parsed.notices.append(
            f"{token} kept in the title: every {several.group(1)} business days is no "
            "recurrence todo has (rec:1b, weekdays, is)"
        )
        return "text"
    if key in ("due", "t") and not value[0].isdigit():
        # Words, not a date mistyped ("due:tomorrow", "t:soon"): todo.sh takes the
        # line as it is, and so a title of ours holding them is written; the task is
        # taken with the word kept, rather than the whole file refused.
        parsed.notices.append(f"{token} kept in the title: not a date such as 2026-12-24")
        return "text"
    if key == "uuid" and not is_uuid(value):
        # Prose ("error uuid:1234"), not an id: kept as written, as our export writes it.
        parsed.notices.append(f"{token} kept in the title: not a UUID")
        return "text"
    if key in seen:
        parsed.problems.append((field_name, f"{key}: is given twice"))
        return key
    seen.add(key)
    try:
        _take_key(key, value, parsed)
    except _LineError as error:
        parsed.problems.append((error.field_name, error.message))
    return key


def _take_key(key: str, value: str, parsed: _Text) -> None:
    field_name = _FIELD_OF_KEY[key]
    if key in ("due", "t"):
        if not _DATE.fullmatch(value):
            raise _LineError(field_name, f"{value!r} is not a date such as 2026-12-24")
        day = _date(value, field_name)
        if key == "due":
            parsed.due = day
        else:
            parsed.wait = day
    elif key == "rec":
        parsed.recur = _recur_from_todotxt(value)
        if parsed.recur == "weekdays" and not value.startswith("+"):
            # The add-on counts rec:1b from the completion; weekdays keep the due's own
            # cadence, the one business-day recurrence todo has (written back +1b).
            parsed.notices.append(
                f"rec:{value} taken as weekdays, on the due's cadence (as rec:+1b): todo has "
                "no business days counted from the completion"
            )
    elif key == "pri":
        if not re.fullmatch(r"[A-Za-z]", value):
            raise _LineError("priority", f"pri:{value} is not a letter A to Z")
        parsed.pri = value.upper()
    else:
        parsed.uuid = UUID(value)  # is_uuid said so


def _recur_from_todotxt(value: str) -> str:
    match = _REC.fullmatch(value.lower())
    if match is None:
        raise _LineError(
            "recur", f"rec:{value} is not a recurrence such as 1w, +1w (units d, w, m, y, b)"
        )
    plus, count, unit = match.groups()
    if unit == "b":
        if int(count) != 1:
            raise _LineError(
                "recur", f"rec:{value}: business days go one at a time (rec:1b is weekdays)"
            )
        return "weekdays"
    try:
        return str(parse_recur(f"{plus}{count}{unit}"))
    except InvalidInput as refusal:
        # The field is named once: "recur: rec:0d ...", not "recur: recur: '0d' ...".
        raise _LineError("recur", refusal.message.removeprefix("recur: ")) from None


def _recur_to_todotxt(recur: str) -> str:
    rec = parse_recur(recur)
    if rec.unit is Unit.WEEKDAY:
        return "+1b"
    return f"{'+' if rec.cadence else ''}{rec.count}{rec.unit.value}"


@dataclass(frozen=True, slots=True)
class _Fields:
    """What a line says, in our terms: the fields a written line must give back."""

    title: str
    description: str | None
    completed: bool
    priority: Priority | None
    due: datetime | None
    wait: datetime | None
    project: str | None
    tags: frozenset[str]
    recur: str | None


def _fields_of(prefix: _Prefix, text: _Text, tz: tzinfo) -> _Fields:
    title, description = split_title(" ".join(text.words))
    letter = prefix.letter or text.pri
    return _Fields(
        title=title,
        description=description,
        completed=prefix.completed,
        priority=None if letter is None else _priority_of(letter),
        due=None if text.due is None else day_end(text.due, tz),
        wait=None if text.wait is None else day_start(text.wait, tz),
        project=text.project,
        tags=frozenset(text.tags),
        recur=text.recur,
    )


def _fields_of_record(record: TaskRecord) -> _Fields:
    # A description the title was not cut from cannot be written at all (reported apart);
    # one it was cut from is the text of the line and must read back.
    description = record.description
    if description is not None and not _is_long_title(record):
        description = None
    return _Fields(
        title=record.title,
        description=description,
        completed=record.completed,
        priority=record.priority,
        due=record.due,
        wait=record.wait,
        project=record.project,
        tags=frozenset(record.tags),
        recur=record.recur,
    )


def _is_long_title(record: TaskRecord) -> bool:
    """Whether the title was cut from the description (a text too long for a title)."""
    return record.description is not None and split_title(record.description) == (
        record.title,
        record.description,
    )


# -- reading ----------------------------------------------------------------------------------


def read(
    lines: Iterable[tuple[int, str]],
    *,
    tz: tzinfo,
    today: date,
    identities: Identities | None = None,
    source: str | None = None,
    archive: bool = False,
) -> ImportBatch:
    """Map todo.txt lines (number, text) to task records; see the module docstring.

    ``today`` is the creation day of lines without a creation date. ``identities`` carries
    the derived-id counts across the files of one import; ``source`` (``done.txt``) is put
    before the line number in positions. ``archive``: these are done.txt's lines, read
    before the todo.txt beside it (see :class:`Identities`).
    """
    batch = ImportBatch()
    ids = identities if identities is not None else Identities()
    for number, raw in lines:
        line = raw.strip()
        if not line:
            continue
        where = f"{source} line {number}" if source else f"line {number}"
        try:
            record = _read_line(line, where, tz, today, ids, batch, archive=archive)
        except OverflowError:
            # due:9999-12-31 in a zone west of UTC ends in year 10000.
            batch.problem(where, None, "a date on the line is out of range")
            continue
        if record is None:
            continue
        first = ids.seen.get(record.id)
        archived = ids.archived_records.get(record.id) if first is not None else None
        if (
            archived is not None
            and not archive
            and _next_pair(archived, record, tz) == (archived, record)
        ):
            # done.txt holds the task done (a tool archived it), todo.txt the next line
            # the tool wrote with the uuid copied: the next task, not the task reopened.
            following = replace(record, id=_next_id(archived.id, record))
            batch.next_of[following.id] = archived.id
            batch.positions[following.id] = where
            batch.records.append(following)
            continue
        if first is not None and not archive and record.id in ids.from_archive:
            # In done.txt and in todo.txt: one task, as todo.txt has it now (reopened
            # since it was archived, or its done line exported there too).
            ids.from_archive.discard(record.id)
            batch.superseded.add(record.id)
            said = "the same done task" if record.completed else "the same task, open again,"
            batch.notices.append(f"{where}: {said} as {first}: taken once, as this line has it")
            ids.seen[record.id] = where
            batch.positions[record.id] = where
            batch.records.append(record)
            continue
        if first is not None:
            earlier = next((r for r in reversed(batch.records) if r.id == record.id), None)
            pair = None if earlier is None else _next_pair(earlier, record, tz)
            if pair is None and earlier is not None and earlier.completed:
                # Done twice or more in the tool: this line comes after the last of them.
                done_since = [r for r in batch.records if batch.next_of.get(r.id) == earlier.id]
                last = max(done_since, key=lambda r: r.due or r.created_at, default=None)
                if last is not None and _next_pair(last, record, tz) == (last, record):
                    pair = (earlier, record)
            if earlier is None or pair is None:
                batch.problem(where, "id", f"{record.id} is already the id of {first}")
                continue
            # The later occurrence of the two is the tool's next task: an id of its own.
            keeper, following = pair
            renamed = replace(following, id=_next_id(keeper.id, following))
            batch.next_of[renamed.id] = keeper.id
            if following is record:
                batch.positions[renamed.id] = where
                batch.records.append(renamed)
                continue
            # The next line came first: it gives the id back to the done one.
            batch.records[batch.records.index(earlier)] = renamed
            batch.positions[renamed.id] = batch.positions.pop(earlier.id)
        ids.seen[record.id] = where
        if archive:
            ids.from_archive.add(record.id)
            ids.archived_records[record.id] = record
        batch.positions[record.id] = where
        batch.records.append(record)
    join_series(batch, ids, tz)
    return batch


def _next_pair(
    earlier: TaskRecord, record: TaskRecord, tz: tzinfo
) -> tuple[TaskRecord, TaskRecord] | None:
    """Two lines with one id, when they are a recurring task done and a later occurrence
    of it (open, or done in turn): what a todo.txt tool writes when it completes one,
    the `uuid:` copied with the line. The task first, then its next. Anything else is
    a uuid given twice. (The callers know the two are one task: by the uuid.)"""
    if earlier.recur is None or record.recur is None:
        return None
    if earlier.due is None or record.due is None or earlier.due == record.due:
        return None
    if not earlier.completed and not record.completed:
        return None  # two open copies
    if earlier.completed != record.completed:
        keeper, following = (earlier, record) if earlier.completed else (record, earlier)
    else:  # both done: the one done first is the task
        keeper, following = sorted(
            (earlier, record), key=lambda r: (r.completed_at or r.created_at, r.due)
        )
    return (keeper, following) if _comes_after(keeper, following, tz) else None


def _comes_after(done: TaskRecord, following: TaskRecord, tz: tzinfo) -> bool:
    """Whether ``following`` is due where the occurrence after ``done`` falls: one step
    of its recurrence after its due (a cadence, `+1w`) or after the day it was done
    (`1w`: finished early, the next is due before the done one). Tools differ in
    which they count from; a line due elsewhere is the task with its due edited."""
    if done.due is None or following.due is None or done.recur is None:
        return False
    try:
        rec = parse_recur(done.recur)
    except InvalidInput:
        return False  # refused on its own line already
    due_day = local_date(following.due, tz)
    starts = [local_date(done.due, tz)]
    if done.completed_at is not None:
        starts.append(local_date(done.completed_at, tz))
    return any(day_after(start, rec, tz) == due_day for start in starts)


def _next_id(done: UUID, following: TaskRecord) -> UUID:
    # From the done task and the due: the same file read again gives the same id.
    due = following.due.isoformat() if following.due is not None else ""
    return uuid5(NAMESPACE, f"next\x00{done}\x00{due}")


def join_series(batch: ImportBatch, ids: Identities, tz: tzinfo) -> None:
    """An open recurring line without `uuid:` whose words a done one with `uuid:` has
    (its series' words, dates aside), due where that one's next falls, is that task's
    next: a todo.txt tool completed it and wrote the next line without the uuid (with
    it: see _next_pair). Two tasks of the same words are told apart by the due."""
    done: dict[UUID, list[TaskRecord]] = {}
    for record in batch.records:
        if record.completed and record.recur is not None and record.id in ids.explicit:
            assert record.series_id is not None  # a recurring line has one
            done.setdefault(ids.base_series.get(record.series_id, record.series_id), []).append(
                record
            )
    if not done:
        return
    for record in batch.records:
        if record.completed or record.recur is None or record.id in ids.explicit:
            continue
        if record.id in batch.next_of or record.series_id is None:
            continue
        candidates = done.get(ids.base_series.get(record.series_id, record.series_id), [])
        previous = next((d for d in candidates if _comes_after(d, record, tz)), None)
        if previous is not None:
            batch.next_of[record.id] = previous.id


def _no_words(prefix: _Prefix) -> str:
    """Why a line with no words of a title is no task: what it holds instead."""
    if prefix.text.strip():
        return "the line has no words besides projects, tags and keys"
    dates = (prefix.creation is not None) + (prefix.completion is not None)
    held = [
        name
        for name, there in (
            ("a done mark", prefix.completed),
            ("a priority", prefix.letter is not None),
            ("a date" if dates == 1 else "dates", dates > 0),
        )
        if there
    ]
    return f"the line has nothing but {' and '.join(held) or 'its prefix'}, no words"


def _read_line(
    line: str,
    where: str,
    tz: tzinfo,
    today: date,
    ids: Identities,
    batch: ImportBatch,
    *,
    archive: bool = False,
) -> TaskRecord | None:
    # A byte-order mark inside the file: files joined with `cat`, each with its own.
    line = line.removeprefix("\ufeff")
    try:
        prefix = _split_prefix(line)
    except _LineError as error:
        batch.problem(where, error.field_name, error.message)
        return None
    text = _parse_text(prefix.text)
    for field_name, message in text.problems:
        batch.problem(where, field_name, message)
    batch.notices.extend(f"{where}: {notice}" for notice in text.notices)
    if not text.words:
        batch.problem(where, "title", _no_words(prefix))
    if text.problems or not text.words:
        return None
    fields = _fields_of(prefix, text, tz)
    if fields.description is not None:
        batch.notices.append(
            f"{where}: the text is over 200 characters: the title is shortened, the whole "
            "text kept as the description"
        )
    letter = prefix.letter or text.pri
    if letter is not None and letter not in "ABC":
        batch.notices.append(f"{where}: priority ({letter}) imported as L")
    if prefix.letter is not None and text.pri is not None and text.pri != prefix.letter:
        batch.notices.append(f"{where}: pri:{text.pri} ignored: the line starts with ({letter})")

    key = _id_key(prefix.creation, text.id_words)
    again = None
    if prefix.completed and text.uuid is None and not archive:
        again = ids.archived_id(key, prefix.completion)
    derived = again if again is not None else ids.line_id(key)
    if again is None and text.uuid is None and fields.recur is None:
        ids.alike.setdefault(key, []).append(derived)
    if again is not None:
        # Or the task added again after the archived one and done the same day: the
        # id this line would have alone (not taken from the count: it is not known
        # yet which it is; see services.interchange._done_twins).
        alone = _derived_id(key, ids.lines.get(key, 0) + 1)
        batch.done_twins[again] = (alone, where)
    if archive and prefix.completed and text.uuid is None:
        ids.archived.setdefault((key, prefix.completion), []).append(derived)
    if archive and prefix.completed:
        ids.archived_words.setdefault(key, []).append(text.uuid or derived)
    elif not archive and not prefix.completed and text.uuid is None:
        twins = ids.archived_words.get(key)
        if twins:
            # Added again after the archived one, or that one reopened here: only the
            # database can tell (see services.interchange._reopened_twins).
            # Shared, not copied (10,000 lines alike): done.txt is read whole first.
            batch.twins[derived] = twins
    # A done line without a creation date was made no later than it was done: its
    # completion day, which (unlike today) is the same on every import.
    created_at = day_start(prefix.creation or prefix.completion or today, tz)
    completed_at = None
    if prefix.completed:
        completed_at = created_at if prefix.completion is None else day_start(prefix.completion, tz)
    if text.uuid is not None:
        ids.explicit.add(text.uuid)
    record = TaskRecord(
        id=text.uuid or derived,
        number=None,
        title=fields.title,
        description=fields.description,
        completed=prefix.completed,
        completed_at=completed_at,
        created_at=created_at,
        updated_at=max(created_at, completed_at or created_at),
        priority=fields.priority,
        due=fields.due,
        wait=fields.wait,
        project=fields.project,
        tags=tuple(sorted(fields.tags)),
        recur=fields.recur,
        series_id=(
            None
            if fields.recur is None
            else ids.series_id(" ".join(text.series_words), is_open=not prefix.completed)
        ),
    )
    # Keep the line itself only when the canonical layout would not give it back.
    body = _canonical(record, tz, None)
    expected = body if record.id == derived else f"{body} uuid:{record.id}"
    if expected != line:
        record = replace(record, attributes={LINE_HINT: line})
    return record


def _id_key(creation: date | None, words: list[str]) -> str:
    return f"{'' if creation is None else creation.isoformat()}\x00{' '.join(words)}"


# -- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hint:
    """The line a task was read from: its text and its conventions."""

    prefix: _Prefix
    text: _Text


def _hint_of(record: TaskRecord) -> _Hint | None:
    line = record.attributes.get(LINE_HINT)
    if not isinstance(line, str):
        return None
    try:
        prefix = _split_prefix(line)
    except _LineError:
        return None
    text = _parse_text(prefix.text)
    return None if text.problems else _Hint(prefix, text)


def _prefix_text(record: TaskRecord, tz: tzinfo, hint: _Hint | None) -> str:
    """``x 2026-11-30 2026-11-20 `` or ``(A) 2026-11-20 ``, in the hint's conventions."""
    with_creation = hint is None or hint.prefix.creation is not None
    creation = f"{local_date(record.created_at, tz).isoformat()} " if with_creation else ""
    if record.completed:
        # A creation date needs the completion date before it, or it would be read as one.
        with_completion = (
            hint is None
            or not hint.prefix.completed
            or hint.prefix.completion is not None
            or with_creation
        )
        done = record.completed_at or record.updated_at
        completion = f"{local_date(done, tz).isoformat()} " if with_completion else ""
        return f"x {completion}{creation}"
    if record.priority is None:
        return creation
    return f"({_letter(record.priority, hint)}) {creation}"


def priority_letter(record: TaskRecord) -> str | None:
    """The letter a line of the task shows: (D) to (Z) are all L, and only its line
    (the hint) says which one; None without a priority."""
    return None if record.priority is None else _letter(record.priority, _hint_of(record))


def _letter(priority: Priority, hint: _Hint | None) -> str:
    if hint is not None:
        letter = hint.prefix.letter or hint.text.pri
        if letter is not None and _priority_of(letter) == priority:
            return letter
    return _LETTER_OF[priority]


def _canonical(record: TaskRecord, tz: tzinfo, hint: _Hint | None) -> str:
    """The whole line (without ``uuid:``) in the canonical layout and the hint's conventions."""
    text = record.title
    if record.description is not None and _is_long_title(record):
        text = record.description
    words = [" ".join(text.split())]
    plus = hint.text.plus_tags if hint is not None and record.project is not None else set()
    if record.project is not None:
        words.append(f"+{record.project}")
    words.extend(f"+{tag}" for tag in record.tags if tag in plus)
    words.extend(f"@{tag}" for tag in record.tags if tag not in plus)
    if record.due is not None:
        words.append(f"due:{local_date(record.due, tz).isoformat()}")
    if record.wait is not None:
        words.append(f"t:{local_date(record.wait, tz).isoformat()}")
    if record.recur is not None and record.due is not None:
        words.append(f"rec:{_recur_to_todotxt(record.recur)}")
    if record.completed and record.priority is not None:
        words.append(f"pri:{_letter(record.priority, hint)}")
    return _prefix_text(record, tz, hint) + " ".join(words)


def write(
    records: Iterable[TaskRecord],
    *,
    tz: tzinfo,
    notices: list[str] | None = None,
    spaces: Sequence[UUID] = (),
) -> Iterator[str]:
    """One todo.txt line per record, each ending in a newline; see the module docstring.

    What todo.txt cannot hold is added to ``notices`` (when given), one line per kind with
    a count and the first tasks named (:class:`Losses`), once the last record is written.
    ``spaces`` are the namespaces of the user whose tasks they are (theirs and their
    name's): an id the line derives for them (:func:`owned_id`) needs no ``uuid:``.
    """
    counts: dict[str, int] = {}
    losses = Losses("todo.txt")
    for record in records:
        yield _line(record, tz, counts, losses, spaces) + "\n"
    if notices is not None:
        notices.extend(losses.notices())


def _line(
    record: TaskRecord, tz: tzinfo, counts: dict[str, int], losses: Losses, spaces: Sequence[UUID]
) -> str:
    def loss(kind: str) -> None:
        losses.add(kind, record)

    if record.notes:
        loss("notes not written (todo.txt has no place for them)")
    if record.depends:
        loss("dependencies not written (todo.txt has no place for them)")
    if record.description is not None and not _is_long_title(record):
        loss("description not written (todo.txt has one text per task)")
    if any(not is_hint_key(key) for key in record.attributes):
        loss("foreign attributes not written")

    hint = _hint_of(record)
    want = _fields_of_record(record)
    candidates: list[str] = []
    if hint is not None:
        # The line as it was read, with its prefix brought up to date; and, for a task done
        # since, the same with the priority kept as pri:.
        prefix = _prefix_text(record, tz, hint)
        if not record.completed and hint.text.pri is not None and hint.prefix.letter is None:
            # An open line that gives its priority as pri:A alone, as it came.
            bare = _prefix_text(replace(record, priority=None), tz, hint)
            candidates.append(bare + hint.prefix.text)
        candidates.append(prefix + hint.prefix.text)
        if record.completed and record.priority is not None and hint.text.pri is None:
            letter = _letter(record.priority, hint)
            candidates.append(f"{prefix}{hint.prefix.text} pri:{letter}")
    canonical = _canonical(record, tz, hint)
    candidates.append(canonical)
    if hint is not None:
        # The line's own conventions may not read back once the task changed: "(A) x
        # marks the spot" without its priority starts with "x ", a done mark; with the
        # creation date first, it cannot.
        candidates.append(_canonical(record, tz, None))
    line = canonical
    for candidate in candidates:
        if _reads_back(candidate, tz) == want:
            line = candidate
            break
    else:
        _report_differences(_reads_back(canonical, tz), want, record, tz, loss)

    return _with_id(line, record.id, counts, spaces, record.attributes)


def kept_space(attributes: Mapping[str, Any]) -> UUID | None:
    """The namespace a task's line id was made in, as the task keeps it (None: none,
    or not a UUID)."""
    kept = attributes.get(TODOTXT_SPACE_HINT)
    if not isinstance(kept, str):
        return None
    try:
        return UUID(kept)
    except ValueError:
        return None


def _with_id(
    line: str,
    record_id: UUID,
    counts: dict[str, int],
    spaces: Sequence[UUID],
    attributes: Mapping[str, Any],
) -> str:
    """``line`` with a ``uuid:`` word when reading it would not give ``record_id`` back."""
    prefix = _split_prefix(line)
    text = _parse_text(prefix.text)
    key = _id_key(prefix.creation, text.id_words)
    occurrence = counts.get(key, 0) + 1
    counts[key] = occurrence
    if text.uuid is not None:
        if text.uuid == record_id:
            return line
        words = [
            f"uuid:{record_id}" if word.startswith("uuid:") else word for word in line.split(" ")
        ]
        return " ".join(words)
    derived = _derived_id(key, occurrence)
    if record_id == derived or any(record_id == owned_id(derived, space) for space in spaces):
        return line
    kept = kept_space(attributes)
    if kept is not None and record_id == owned_id(derived, kept):
        return line  # made in another database's namespace, kept with the task
    return f"{line} uuid:{record_id}"


def _reads_back(line: str, tz: tzinfo) -> _Fields | None:
    try:
        prefix = _split_prefix(line)
    except _LineError:
        return None
    text = _parse_text(prefix.text)
    if text.problems or not text.words:
        return None
    return _fields_of(prefix, text, tz)


def _report_differences(
    got: _Fields | None,
    want: _Fields,
    record: TaskRecord,
    tz: tzinfo,
    report: Callable[[str], None],
) -> None:
    if got is None:
        report("title does not make a todo.txt line that reads back")
        return
    for name in want.__dataclass_fields__:
        if getattr(got, name) == getattr(want, name):
            continue
        if name in ("due", "wait") and getattr(want, name) is not None:
            instant = cast(datetime, getattr(want, name))
            whole_day = is_all_day(instant, tz) if name == "due" else starts_day(instant, tz)
            if not whole_day:
                report(f"{name}: time of day dropped (todo.txt holds dates)")
                continue
        if name == "recur" and record.recur is not None and record.due is None:
            report("recurrence without a due date not written")
            continue
        report(f"{name} does not read back the same from todo.txt")
