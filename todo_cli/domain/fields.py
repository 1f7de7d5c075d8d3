"""The one declaration of a task's fields.

:class:`Task` is that declaration: each attribute's type says what it holds,
and :func:`spec` says the rest (its kind, whether it is stored in a column of
``tasks``, its limit, its header when the list table shows it, and how user
input for it is cleaned). Everything else is derived from it:

* the ``tasks`` table's columns and their CHECK constraints (``db.schema``),
* the rows read back as Tasks and the values inserted (``repository.tasks``),
* the JSON encoding, key by key in declaration order (``output.render``),
* the list table's columns (``output.tasks``),
* the validation of what users type (``domain.models.validate_task``).

Adding a field means adding it here, writing a migration, and testing it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Final, Literal
from uuid import UUID

from todo_cli.domain.limits import (
    NOTE_MAX,
    PRIORITIES,
    PROJECT_MAX,
    RECUR_MAX,
    TASK_DESCRIPTION_MAX,
    TASK_TITLE_MAX,
)
from todo_cli.domain.names import clean_tags, project_problem
from todo_cli.domain.text import check_text, is_blank

# How a value is held, encoded and shown:
#   uuid     a UUID; JSON a string
#   int      an integer
#   bool     a boolean
#   float    a number (computed: urgency)
#   text     a string of at most `limit` characters
#   instant  an aware UTC datetime; JSON RFC 3339 with Z
#   tags     a sorted tuple of tag names; JSON an array
#   notes    a tuple of Notes, oldest first; JSON [{created_at, text}]
#   uuids    a tuple of task ids (dependencies); JSON an array of strings
#   numbers  a tuple of task numbers (computed: what a task waits on)
#   object   a JSON object (attributes other tools keep that we do not model)
Kind = Literal[
    "uuid",
    "int",
    "bool",
    "float",
    "text",
    "instant",
    "tags",
    "notes",
    "uuids",
    "numbers",
    "object",
]
# Where a value lives: a column of `tasks` named like the field, a table of
# its own (one row per tag, note or dependency), or nowhere (computed when read).
Stored = Literal["column", "tags", "notes", "depends", "computed"]
# A structural rule the database checks too: a name (like a tag) or a
# dotted path of names (a project).
Rule = Literal["name", "path"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What the rest of the program needs to know of one task field."""

    name: str
    kind: Kind
    nullable: bool
    stored: Stored
    limit: int | None
    # The only values allowed (e.g. priorities), checked by the database too.
    choices: tuple[str, ...] | None
    rule: Rule | None
    # Shown in the list table under this header; None: only in `show` and JSON.
    header: str | None
    # Set by users (add, edit, import): input is passed through `clean`, which
    # returns the value to store or raises ValueError saying what is wrong.
    clean: Callable[[Any], Any] | None
    # Required when a task is added (non-nullable input without a default).
    required: bool
    # Position in the list table, left to right.
    rank: int
    # A key of the task's JSON (`list --json`, `show --json`). Bookkeeping
    # that scripts have no use for stays out (the full export has it all).
    json: bool

    @property
    def column(self) -> bool:
        """Stored in a column of `tasks` named like the field."""
        return self.stored == "column"


def spec(
    kind: Kind,
    *,
    nullable: bool = False,
    stored: Stored = "column",
    limit: int | None = None,
    choices: tuple[str, ...] | None = None,
    rule: Rule | None = None,
    header: str | None = None,
    clean: Callable[[Any], Any] | None = None,
    required: bool = False,
    rank: int = 50,
    json: bool = True,
) -> Any:
    """A dataclass field carrying its FieldSpec (the name is filled in from the class)."""
    return field(
        metadata={
            "spec": {
                "kind": kind,
                "nullable": nullable,
                "stored": stored,
                "limit": limit,
                "choices": choices,
                "rule": rule,
                "header": header,
                "clean": clean,
                "required": required,
                "rank": rank,
                "json": json,
            }
        }
    )


# --- cleaning user input -------------------------------------------------------


def clean_title(value: str) -> str:
    check_text(value, "title")
    value = value.strip()
    if is_blank(value):
        raise ValueError("title is empty")
    if len(value) > TASK_TITLE_MAX:
        raise ValueError(f"title is {len(value)} characters, the limit is {TASK_TITLE_MAX}")
    return value


def clean_description(value: str | None) -> str | None:
    if value is None:
        return None
    check_text(value, "description")
    if is_blank(value):
        return None  # `-d ""` clears a description rather than storing blanks
    if len(value) > TASK_DESCRIPTION_MAX:
        raise ValueError(
            f"description is {len(value)} characters, the limit is {TASK_DESCRIPTION_MAX}"
        )
    return value


def clean_priority(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    upper = value.upper()
    if upper not in PRIORITIES:
        raise ValueError(f"priority {value!r} is not one of H, M, L")
    return upper


def clean_instant(value: datetime | None) -> datetime | None:
    """An aware datetime, in UTC. Date words are turned into instants before this."""
    from datetime import UTC

    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{value!r} is not a time with a zone")
    return value.astimezone(UTC)


def clean_project(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    check_text(value, "project")
    problem = project_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def clean_recur(value: str | None) -> str | None:
    """The recurrence in its canonical form (`+1w` is stored as `weekly`)."""
    from todo_cli.domain.recurrence import parse_recur

    if value is None or value == "":
        return None
    return str(parse_recur(value))


def clean_note(value: str) -> str:
    check_text(value, "note")
    if is_blank(value):
        raise ValueError("note is empty")
    if len(value) > NOTE_MAX:
        raise ValueError(f"note is {len(value)} characters, the limit is {NOTE_MAX}")
    return value


@dataclass(frozen=True, slots=True, order=True)
class Note:
    """A line added to a task over time (Taskwarrior's annotations)."""

    created_at: datetime
    text: str


# --- the declaration -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Task:
    """A task as the repository returns it. The order is the JSON key order."""

    id: UUID = spec("uuid")
    number: int = spec("int", header="#", rank=0)
    title: str = spec(
        "text", limit=TASK_TITLE_MAX, header="title", clean=clean_title, required=True, rank=90
    )
    description: str | None = spec(
        "text", nullable=True, limit=TASK_DESCRIPTION_MAX, clean=clean_description
    )
    completed: bool = spec("bool", header="done", rank=10)
    completed_at: datetime | None = spec("instant", nullable=True)
    created_at: datetime = spec("instant")
    updated_at: datetime = spec("instant")
    priority: str | None = spec(
        "text",
        nullable=True,
        limit=1,
        choices=PRIORITIES,
        header="pri",
        clean=clean_priority,
        rank=20,
    )
    due: datetime | None = spec(
        "instant", nullable=True, header="due", clean=clean_instant, rank=30
    )
    wait: datetime | None = spec(
        "instant", nullable=True, header="wait", clean=clean_instant, rank=35
    )
    project: str | None = spec(
        "text",
        nullable=True,
        limit=PROJECT_MAX,
        rule="path",
        header="project",
        clean=clean_project,
        rank=40,
    )
    tags: tuple[str, ...] = spec("tags", stored="tags", header="tags", clean=clean_tags, rank=50)
    notes: tuple[Note, ...] = spec("notes", stored="notes")
    # The tasks that must be done first, by id.
    depends: tuple[UUID, ...] = spec("uuids", stored="depends")
    recur: str | None = spec(
        "text", nullable=True, limit=RECUR_MAX, header="recur", clean=clean_recur, rank=45
    )
    # Every task of one recurring series shares it; one is open at a time.
    series_id: UUID | None = spec("uuid", nullable=True)
    # Where the series' cadence is counted from (its first due) and this
    # task's place in it: monthly from Jan 31 comes back to the 31st.
    recur_anchor: datetime | None = spec("instant", nullable=True, json=False)
    recur_index: int | None = spec("int", nullable=True, json=False)
    # The numbers of the open tasks this one waits on (computed when read).
    blocked_by: tuple[int, ...] = spec(
        "numbers", stored="computed", header="deps", json=False, rank=60
    )
    # The numbers of the open tasks that wait on this one (computed when read).
    blocks: tuple[int, ...] = spec("numbers", stored="computed", json=False)
    # What another tool keeps that we do not model (Taskwarrior's user-defined
    # attributes), so an export gives it back. Only the full export shows it.
    attributes: Mapping[str, Any] | None = spec("object", nullable=True, json=False)
    urgency: float = spec("float", stored="computed", header="urg", rank=100)


TASK_FIELDS: tuple[FieldSpec, ...] = tuple(
    FieldSpec(name=f.name, **f.metadata["spec"]) for f in fields(Task)
)
# Fields users set (add, edit, import) with words like `due:fri`: their names.
SETTABLE = frozenset(f.name for f in TASK_FIELDS if f.clean is not None)
FIELDS_BY_NAME: dict[str, FieldSpec] = {f.name: f for f in TASK_FIELDS}
# The columns of `tasks` that hold fields, in declaration order.
COLUMN_FIELDS: tuple[FieldSpec, ...] = tuple(f for f in TASK_FIELDS if f.column)
INPUT_FIELDS: tuple[FieldSpec, ...] = tuple(f for f in TASK_FIELDS if f.clean is not None)


# The one hint that goes on from a task to the next of its series: what Taskwarrior
# keeps of a recurring series beside its open task (formats.taskwarrior).
SERIES_HINT: Final = "taskwarrior.series"


# The recurrence a task had when its series ended here (`recur:` on a member, or its
# open task deleted). Another tool may hold the task as one of a series: Taskwarrior
# refuses to take back an instance without `recur`, so its writer gives it this one
# and ends the series there too (formats.taskwarrior). Not carried to other tasks.
ENDED_RECUR_HINT: Final = "todo.ended_recur"
# The series (its template's uuid) of a task that ended with it but cannot keep it as
# its series_id: Taskwarrior's other pending instances of a deleted template. A series
# holds one open task here, and Taskwarrior takes them back only as instances of it.
ENDED_SERIES_HINT: Final = "todo.ended_series"
# todo's own notes for another tool: not shown as kept from an import.
ENDED_HINTS: Final = frozenset({ENDED_RECUR_HINT, ENDED_SERIES_HINT})
# A deleted template as Taskwarrior wrote it, and an instance's index in its series:
# kept with the tasks of a series that ended there, written back unchanged.
DEAD_TEMPLATE_HINT: Final = "taskwarrior.template"
IMASK_HINT: Final = "taskwarrior.imask"
# Kept for writing back alone: nothing a user reads in `show`.
UNSHOWN_HINTS: Final = ENDED_HINTS | {DEAD_TEMPLATE_HINT, IMASK_HINT}


# Tasks a Taskwarrior task waits on that are not here (a filtered `task export`):
# their uuids, written back with its `depends` so that Taskwarrior keeps them.
DEPENDS_HINT: Final = "taskwarrior.depends"


def kept_depends(attributes: Mapping[str, Any]) -> list[str]:
    """The uuids a task keeps for Taskwarrior (DEPENDS_HINT): text, as JSON holds them."""
    value = attributes.get(DEPENDS_HINT)
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def with_kept_depends(attributes: Mapping[str, Any], added: list[str]) -> dict[str, Any]:
    """`attributes` keeping these uuids for Taskwarrior too, beside those kept already."""
    return {**attributes, DEPENDS_HINT: sorted({*kept_depends(attributes), *added})}


def without_kept_depends(attributes: Mapping[str, Any], gone: set[str]) -> dict[str, Any] | None:
    """`attributes` no longer keeping these uuids (linked here now); None when nothing
    is left, as a task keeping nothing stores it."""
    rest = [uuid for uuid in kept_depends(attributes) if uuid not in gone]
    others = {key: value for key, value in attributes.items() if key != DEPENDS_HINT}
    return (others | {DEPENDS_HINT: rest} if rest else others) or None


# Tags, a project and a priority Taskwarrior holds that are none here (`+@home`,
# `a.b`, `project:My Project`, `priority:1` where `uda.priority.values` lists it,
# tags past the most a task has here): kept with the task, written back to
# Taskwarrior, and carried to the next task of a series as the rest of the task is.
TASKWARRIOR_TAGS_HINT: Final = "taskwarrior.tags"
TASKWARRIOR_PROJECT_HINT: Final = "taskwarrior.project"
TASKWARRIOR_PRIORITY_HINT: Final = "taskwarrior.priority"
# The todo.txt line a task was read from: its conventions (`+phone` a tag written
# with +, no creation date, `(D)` for an L) go on with the next task of a series.
TODOTXT_LINE_HINT: Final = "todotxt.line"
# The namespace a todo.txt line's id was made in (formats.todotxt.owned_id): its
# user's row's random id, which another database (a restore, a sync by our JSON)
# does not have; kept with the task so that its line finds it there too.
TODOTXT_SPACE_HINT: Final = "todotxt.space"
CARRIED_HINTS: Final = frozenset(
    {TASKWARRIOR_TAGS_HINT, TASKWARRIOR_PROJECT_HINT, TASKWARRIOR_PRIORITY_HINT, TODOTXT_LINE_HINT}
)


def is_hint_key(key: str) -> bool:
    """Whether a key of ``Task.attributes`` is a format's hint about this one task
    (``todotxt.line``, ``taskwarrior.series``: dotted) rather than another tool's data."""
    return "." in key
