"""The types every task format converts through: one task record, and what an import found.

``TaskRecord`` is the product's own task record, field for field what ``todo export --format
json`` writes per task (one JSON object each, keys in declaration order). The Taskwarrior and
todo.txt modules read into it and write from it, so a conversion between two formats always
goes through this one shape.

An import never raises half way: it returns an :class:`ImportBatch` with the records it could
build, every :class:`Problem` it found (each naming the position, such as ``line 4`` or
``task 3``, and the field), what it skipped on purpose (counted by reason), and notices for
lossy but accepted mappings. The caller decides: any problem means nothing is imported.

Attributes. ``attributes`` keeps what a foreign format has and we do not model, so that it is
written back: Taskwarrior's user-defined attributes and unknown keys, as they were. Keys
holding a ``.`` are reserved for format hints (``todotxt.line``, ``taskwarrior.recur``): they
remember how a value was spelled in its format, so that it comes back as it went out; no
Taskwarrior attribute can hold a ``.`` (the dot separates an attribute from its modifier in
``due.before:``), so the two never clash, and the Taskwarrior writer never writes them.

The limits are checked lightly here, so that a problem can name its line; the models check
every limit again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, cast, get_args
from uuid import UUID

from todo_cli.domain.fields import TASK_FIELDS, Note, is_hint_key
from todo_cli.domain.limits import (
    NOTE_MAX,
    PROJECT_MAX,
    TAG_MAX,
    TAGS_PER_TASK_MAX,
    TASK_DESCRIPTION_MAX,
    TASK_TITLE_MAX,
)
from todo_cli.domain.names import composed, project_problem, tag_problem
from todo_cli.domain.recurrence import parse_recur
from todo_cli.errors import InvalidInput

__all__ = [
    "DESCRIPTION_MAX",
    "ELLIPSIS",
    "INTEGER_MAX",
    "NOTE_MAX",
    "PRIORITIES",
    "PROJECT_MAX",
    "TAGS_PER_TASK_MAX",
    "TAG_MAX",
    "TITLE_MAX",
    "ImportBatch",
    "InvalidRecord",
    "Note",
    "Priority",
    "Problem",
    "TaskRecord",
    "check_project",
    "check_tag",
    "format_instant",
    "is_hint_key",
    "parse_instant",
    "split_title",
]

# The product's limits, named once in the domain; the models enforce them again.
TITLE_MAX: Final = TASK_TITLE_MAX
DESCRIPTION_MAX: Final = TASK_DESCRIPTION_MAX

# The largest task number or series index the database holds: an INTEGER column, which
# PostgreSQL keeps in 32 bits (SQLite in 64). A file is refused beyond it on both backends,
# so that what one backend takes the other takes too.
INTEGER_MAX: Final = 2**31 - 1

Priority = Literal["H", "M", "L"]
PRIORITIES: Final[tuple[str, ...]] = get_args(Priority)

# A shortened title ends with this, so that nobody takes it for the whole text.
ELLIPSIS: Final = "\u2026"
# A word boundary further back than this makes a title too short to recognise: cut mid-word.
_MIN_WORD_CUT: Final = TITLE_MAX // 2

_INSTANT = re.compile(
    # RFC 3339 (5.6): "T" and "Z" may be lower case too.
    # Up to nanoseconds (Go's RFC3339Nano, JavaScript's milliseconds): cut to the
    # microsecond, what the database holds, as fromisoformat cuts them.
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


# -- instants --------------------------------------------------------------------------------


def format_instant(instant: datetime) -> str:
    """RFC 3339 in UTC with microseconds: ``2026-11-24T09:30:00.000000Z``."""
    if instant.tzinfo is None:
        raise ValueError("expected an aware datetime")
    # isoformat is C code and several times faster than strftime, which
    # matters at 100,000 tasks with three instants each.
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_instant(text: str) -> datetime:
    """An RFC 3339 instant with ``Z`` or an offset, as an aware UTC datetime.

    Raises ValueError. A time without a zone is refused: it would mean a different instant
    on every machine.
    """
    match = _INSTANT.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 time such as 2026-11-24T09:30:00.000000Z")
    try:
        # Upper case: the pattern let through no letter but t and z.
        value = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date that exists") from None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:30:00-01:00 is in year 10000 in UTC.
        raise ValueError(f"{text!r} is out of range") from None


# -- names and text -------------------------------------------------------------------------


def check_tag(tag: str) -> str | None:
    """Why ``tag`` is not a tag, or None when it is one (the product's own rule)."""
    return tag_problem(tag)


def check_project(project: str) -> str | None:
    """Why ``project`` is not a project path, or None when it is one (the product's own rule)."""
    return project_problem(project)


def split_title(text: str) -> tuple[str, str | None]:
    """A title for a foreign task text, and the description that keeps the rest.

    Other tools have one text where we have a title (one line, up to 200 characters) and a
    description. Text that fits is the title alone. Longer or multi-line text keeps its
    first line as the title, shortened at a word boundary with an ellipsis when it is too
    long, and all of it as the description, so nothing is lost and writers can tell (by
    calling this again) that the title came from the description. Whitespace around the
    text is dropped, as the product drops it from titles.
    """
    whole = text.strip()
    first = whole.splitlines()[0].strip() if whole else ""
    if first == whole and len(whole) <= TITLE_MAX:
        return whole, None
    if len(first) > TITLE_MAX:
        cut = first[: TITLE_MAX - len(ELLIPSIS)]
        space = cut.rfind(" ")
        if space >= _MIN_WORD_CUT:
            cut = cut[:space]
        first = cut.rstrip() + ELLIPSIS
    return first, whole


# -- the record ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """Why part of an input cannot be taken: where (``line 4``, ``task 3``), which field."""

    where: str
    field: str | None
    message: str

    def __str__(self) -> str:
        if self.field is None:
            return f"{self.where}: {self.message}"
        return f"{self.where}: {self.field}: {self.message}"


class InvalidRecord(ValueError):
    """A JSON object that is not a task record; ``problems`` says every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """One task as every format sees it; see the module docstring.

    Instants are aware UTC datetimes. ``tags`` is sorted, ``notes`` in time order,
    ``depends`` sorted by text; ``recur`` is the canonical text of
    :func:`todo_cli.domain.recurrence.parse_recur`. A ``due`` given as a whole day is
    23:59:59.999999 local of that day (``dates.day_end``).
    """

    id: UUID
    number: int | None
    title: str
    description: str | None
    completed: bool
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    priority: Priority | None = None
    due: datetime | None = None
    wait: datetime | None = None
    project: str | None = None
    tags: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    depends: tuple[UUID, ...] = ()
    recur: str | None = None
    series_id: UUID | None = None
    # Where the series' cadence counts from and this task's place in it.
    recur_anchor: datetime | None = None
    recur_index: int | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``todo export --format json`` writes for this task."""
        return {
            "id": str(self.id),
            "number": self.number,
            "title": self.title,
            "description": self.description,
            "completed": self.completed,
            "completed_at": _instant_or_none(self.completed_at),
            "created_at": format_instant(self.created_at),
            "updated_at": format_instant(self.updated_at),
            "priority": self.priority,
            "due": _instant_or_none(self.due),
            "wait": _instant_or_none(self.wait),
            "project": self.project,
            "tags": list(self.tags),
            "notes": [
                {"created_at": format_instant(note.created_at), "text": note.text}
                for note in self.notes
            ],
            "depends": [str(dependency) for dependency in self.depends],
            "recur": self.recur,
            "series_id": None if self.series_id is None else str(self.series_id),
            "recur_anchor": _instant_or_none(self.recur_anchor),
            "recur_index": self.recur_index,
            "attributes": dict(sorted(self.attributes.items())),
        }

    @classmethod
    def from_json(cls, obj: Any, where: str) -> TaskRecord:
        """The record a JSON object describes; raises :class:`InvalidRecord` naming each field.

        Strict: a key we do not know, a value of the wrong type or out of its limits is a
        problem. ``id``, ``title``, ``completed``, ``created_at`` and ``updated_at`` are
        required; a missing optional key is null (or empty). ``recur`` is stored in its
        canonical text; ``tags`` and ``depends`` sorted.
        """
        return _RecordReader(obj, where).read()


def _instant_or_none(instant: datetime | None) -> str | None:
    return None if instant is None else format_instant(instant)


class Losses:
    """What a format could not hold, kind by kind, naming the first tasks of each kind.

    A count alone leaves the user to find which of thousands of tasks lost what; the first
    few are named (``#12``, or the id of a task without a number) so that they can be looked
    at, or fixed before exporting again.
    """

    SHOWN: Final = 5

    def __init__(self, label: str) -> None:
        self._label = label
        self._counts: dict[str, int] = {}
        self._named: dict[str, list[str]] = {}

    def add(self, kind: str, record: TaskRecord) -> None:
        count = self._counts.get(kind, 0)
        self._counts[kind] = count + 1
        if count < self.SHOWN:
            name = str(record.id) if record.number is None else f"#{record.number}"
            self._named.setdefault(kind, []).append(name)

    def notices(self) -> list[str]:
        """One line per kind, in the order the kinds were first met."""
        lines = []
        for kind, count in self._counts.items():
            named = ", ".join(self._named[kind])
            more = f" and {count - self.SHOWN} more" if count > self.SHOWN else ""
            lines.append(f"{self._label}: {count} task(s): {kind}: {named}{more}")
        return lines


# What `list --json` and `show --json` add that todo works out (urgency): read past,
# so that their output imports like an export.
_COMPUTED: Final = frozenset(spec.name for spec in TASK_FIELDS if spec.stored == "computed")
_KEYS: Final = (
    "id",
    "number",
    "title",
    "description",
    "completed",
    "completed_at",
    "created_at",
    "updated_at",
    "priority",
    "due",
    "wait",
    "project",
    "tags",
    "notes",
    "depends",
    "recur",
    "series_id",
    "recur_anchor",
    "recur_index",
    "attributes",
)
_REQUIRED: Final = frozenset({"id", "title", "completed", "created_at", "updated_at"})
_NIL: Final = UUID(int=0)
_NEVER: Final = datetime(1970, 1, 1, tzinfo=UTC)


class _RecordReader:
    """Reads one JSON object field by field, collecting every problem before raising."""

    def __init__(self, obj: Any, where: str) -> None:
        self.obj = obj
        self.where = where
        self.problems: list[Problem] = []

    def problem(self, key: str | None, message: str) -> None:
        self.problems.append(Problem(self.where, key, message))

    def read(self) -> TaskRecord:
        obj = self.obj
        if not isinstance(obj, dict):
            raise InvalidRecord([Problem(self.where, None, "a task is a JSON object")])
        for key in obj:
            if key not in _KEYS and key not in _COMPUTED:
                self.problem(key, "is not a field of a task")
        for key in sorted(_REQUIRED - obj.keys()):
            self.problem(key, "is missing")
        record_id = self.uuid("id")
        title = self.text("title", TITLE_MAX, nullable=False)
        created_at = self.instant("created_at")
        updated_at = self.instant("updated_at")
        # Read every field before raising, so that one error message lists them all.
        record = TaskRecord(
            id=record_id or _NIL,
            number=self.number(),
            title=title or "",
            description=self.text("description", DESCRIPTION_MAX, nullable=True),
            completed=self.boolean("completed"),
            completed_at=self.instant("completed_at"),
            created_at=created_at or _NEVER,
            updated_at=updated_at or _NEVER,
            priority=self.priority(),
            due=self.instant("due"),
            wait=self.instant("wait"),
            project=self.project(),
            tags=self.tags(),
            notes=self.notes(),
            depends=self.depends(),
            recur=self.recur(),
            series_id=self.uuid("series_id"),
            recur_anchor=self.instant("recur_anchor"),
            recur_index=self.index("recur_index"),
            attributes=self.attributes(),
        )
        # A required value that is missing or bad has a problem: the stand-ins never leave.
        if self.problems:
            raise InvalidRecord(self.problems)
        return record

    def uuid(self, key: str) -> UUID | None:
        value = self.obj.get(key)
        if value is None:
            if key in _REQUIRED and key in self.obj:
                # An `"id": null` stood in as the nil uuid: a second file's overwrote the
                # first's task.
                self.problem(key, "is null")
            return None
        if not isinstance(value, str):
            self.problem(key, "is not a UUID string")
            return None
        try:
            return UUID(value)
        except ValueError:
            self.problem(key, f"{value!r} is not a UUID")
            return None

    def number(self) -> int | None:
        value = self.obj.get("number")
        if value is None:
            return None
        # bool is an int in Python; true is not a task number.
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem("number", "is not a positive integer")
            return None
        if value > INTEGER_MAX:
            self.problem("number", f"is larger than {INTEGER_MAX}, the largest a task can have")
            return None
        return value

    def index(self, key: str) -> int | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(key, "is not a whole number, 0 or more")
            return None
        if value > INTEGER_MAX:
            self.problem(key, f"is larger than {INTEGER_MAX}, the largest the database holds")
            return None
        return value

    def text(self, key: str, limit: int, *, nullable: bool) -> str | None:
        value = self.obj.get(key)
        if value is None:
            if not nullable and key in self.obj:
                self.problem(key, "is null")
            return None
        if not isinstance(value, str):
            self.problem(key, "is not a string")
            return None
        if not nullable and not value.strip():
            self.problem(key, "is blank")
        if len(value) > limit:
            self.problem(key, f"is {len(value)} characters, the limit is {limit}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.obj.get(key, False)
        if not isinstance(value, bool):
            self.problem(key, "is not true or false")
            return False
        return value

    def instant(self, key: str) -> datetime | None:
        value = self.obj.get(key)
        if value is None:
            if key in _REQUIRED and key in self.obj:
                self.problem(key, "is null")
            return None
        if not isinstance(value, str):
            self.problem(key, "is not a time string")
            return None
        try:
            return parse_instant(value)
        except ValueError as reason:
            self.problem(key, str(reason))
            return None

    def priority(self) -> Priority | None:
        value = self.obj.get("priority")
        if value is None:
            return None
        if value not in PRIORITIES:
            self.problem("priority", f"{value!r} is not H, M or L")
            return None
        return cast(Priority, value)

    def project(self) -> str | None:
        value = self.obj.get("project")
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem("project", "is not a string")
            return None
        reason = check_project(value)
        if reason is not None:
            self.problem("project", reason)
        return composed(value)

    def tags(self) -> tuple[str, ...]:
        value = self.obj.get("tags", [])
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            self.problem("tags", "is not a list of strings")
            return ()
        for tag in value:
            reason = check_tag(tag)
            if reason is not None:
                self.problem("tags", reason)
        # As typed on the command line: é as e + U+0301 is the é of one character.
        tags = tuple(sorted({composed(tag) for tag in value}))
        if len(tags) > TAGS_PER_TASK_MAX:
            self.problem("tags", f"{len(tags)} tags, the limit is {TAGS_PER_TASK_MAX}")
        return tags

    def notes(self) -> tuple[Note, ...]:
        value = self.obj.get("notes", [])
        if not isinstance(value, list):
            self.problem("notes", "is not a list")
            return ()
        notes: list[Note] = []
        for index, item in enumerate(value, 1):
            if not isinstance(item, dict) or set(item) != {"created_at", "text"}:
                self.problem("notes", f"note {index} is not {{created_at, text}}")
                continue
            text = item["text"]
            if not isinstance(text, str) or not text.strip() or len(text) > NOTE_MAX:
                self.problem("notes", f"note {index}: text is not 1 to {NOTE_MAX} characters")
                continue
            try:
                created_at = parse_instant(item["created_at"])
            except (ValueError, TypeError) as reason:
                self.problem("notes", f"note {index}: created_at: {reason}")
                continue
            notes.append(Note(created_at, text))
        # In the order the database gives them back: by time, then text. Notes of
        # one instant kept in the file's order read as a change of the task at
        # every import of the same file (an empty "edited" in history each time).
        return tuple(sorted(notes))

    def depends(self) -> tuple[UUID, ...]:
        value = self.obj.get("depends", [])
        if not isinstance(value, list):
            self.problem("depends", "is not a list of UUIDs")
            return ()
        found: set[UUID] = set()
        for item in value:
            try:
                found.add(UUID(item))
            except (ValueError, TypeError, AttributeError):
                import json

                # As JSON says it (null, not Python's None).
                shown = json.dumps(item, ensure_ascii=False)
                self.problem("depends", f"{shown} is not a UUID")
        return tuple(sorted(found, key=str))

    def recur(self) -> str | None:
        value = self.obj.get("recur")
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem("recur", "is not a string")
            return None
        try:
            return str(parse_recur(value))
        except InvalidInput as refusal:
            self.problem("recur", str(refusal).removeprefix("recur: "))  # named once
            return None

    def attributes(self) -> dict[str, Any]:
        value = self.obj.get("attributes", {})
        if not isinstance(value, dict):
            self.problem("attributes", "is not an object")
            return {}
        return dict(value)


# -- what an import found -------------------------------------------------------------------


@dataclass
class ImportBatch:
    """What reading one input gave: records, problems, what was skipped, lossy notices.

    ``skipped`` counts tasks not imported on purpose, by reason (``{"deleted": 3}``);
    ``notices`` are one line each, naming the position (``line 4: priority (D) imported as
    L``). Any problem means the input must not be imported. ``positions`` says where in the
    input each record came from (``task 2``, ``line 4``), for messages about it made later;
    ``rejected`` holds the ids of the tasks a problem left out.
    """

    records: list[TaskRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    positions: dict[UUID, str] = field(default_factory=dict)
    # The ids of tasks of the input refused for a problem (where the id could be read): a
    # dependency on one of them is told as skipped with it, not as missing from the input.
    rejected: set[UUID] = field(default_factory=set)
    # todo.txt beside its done.txt: ids of the archive's tasks that a line of todo.txt
    # holds now (its record replaces theirs), and for an open line without uuid: whose
    # words an archived done line has, the ids of those (the one reopened here, if any,
    # is this line).
    superseded: set[UUID] = field(default_factory=set)
    twins: dict[UUID, list[UUID]] = field(default_factory=dict)
    # A done line of todo.txt taken as the archive's task with the same words and day
    # (by its id): the id the line would have alone, and where it is. The database
    # tells which it is: the task added again and done the same day is that other id.
    done_twins: dict[UUID, tuple[UUID, str]] = field(default_factory=dict)
    # Tasks the input has as deleted (Taskwarrior's status), not imported: where each
    # is and when it was deleted (None if the input does not say). One the user has
    # here, unchanged since then, is deleted here too.
    deleted: dict[UUID, tuple[str, datetime | None]] = field(default_factory=dict)
    # An open recurring line that a todo.txt tool made as the next of a done one (it
    # marks the line `x` and adds a copy with the next due: topydo, Simpletask): its id,
    # and the done task's. It is that task's series here, so the series gets no twin.
    next_of: dict[UUID, UUID] = field(default_factory=dict)
    # todo.txt: the ids its lines gave by `uuid:`. Every other id was derived from the
    # words, the same for every user; the import makes those the user's own
    # (formats.todotxt.owned_id). None: every id is the input's own.
    explicit: set[UUID] | None = None
    # todo.txt: the derived ids of each set of lines alike (the same words and creation
    # day, without uuid:), which the database may match to its tasks otherwise.
    alike: list[list[UUID]] = field(default_factory=list)
    # Taskwarrior: the series kept with an open task here that the file does not hold
    # (unchanged there), as the file's template and done instances have moved it on:
    # task id -> its new SERIES_HINT (formats.taskwarrior._from_the_open_one).
    series_moved: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    # Taskwarrior: the open task of a series here that the file does not hold -> the
    # file's pending instance in its place (made there since the last import): one
    # occurrence, whose uuid the task here takes (formats.taskwarrior._same_place).
    same_occurrence: dict[UUID, UUID] = field(default_factory=dict)
    # Taskwarrior: the file's pending instances by series and place (imask): a task of
    # the series made here since, done or open, in one of those places is that instance.
    pending_places: dict[UUID, dict[int, UUID]] = field(default_factory=dict)

    def problem(self, where: str, field_name: str | None, message: str) -> None:
        self.problems.append(Problem(where, field_name, message))

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def absorb(self, other: ImportBatch) -> None:
        """Take in what ``other`` read after this batch (the next file of one import)."""
        if other.superseded:
            # The later file holds these tasks now: the earlier one's copies go.
            self.records = [r for r in self.records if r.id not in other.superseded]
        self.records.extend(other.records)
        self.deleted |= other.deleted
        self.problems.extend(other.problems)
        for reason, count in other.skipped.items():
            self.skip(reason, count)
        self.notices.extend(other.notices)
        self.positions.update(other.positions)
        self.rejected.update(other.rejected)
        self.twins.update(other.twins)
        self.done_twins.update(other.done_twins)
        self.next_of.update(other.next_of)

    def raise_for_problems(self, source: str, *, shown: int = 10) -> None:
        """Raise ``InvalidInput`` (exit 2) listing the first ``shown`` problems, if any;
        its ``details`` list every one, for --json's error object."""
        if not self.problems:
            return
        lines = [str(problem) for problem in self.problems[:shown]]
        more = len(self.problems) - shown
        if more > 0:
            lines.append(f"and {more} more")
        count = len(self.problems)
        # One line, as every error is: problems are separated by "; ".
        error = InvalidInput(
            f"{source}: {count} problem{'' if count == 1 else 's'}, nothing imported: "
            + "; ".join(lines),
            hint="fix the input and import again"
            + ("; --json lists every problem" if more > 0 else ""),
        )
        error.details["problems"] = [
            {"where": problem.where, "field": problem.field, "message": problem.message}
            for problem in self.problems
        ]
        raise error
