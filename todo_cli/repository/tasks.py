"""Tasks of one user.

What is read and written is derived from the one declaration of a task's
fields (:mod:`todo_cli.domain.fields`): a column field is a column of
``tasks``; tags and notes live in tables of their own and come back with each
task as one aggregate per row; urgency is computed by the database so a list
can be sorted and cut (``LIMIT``) where the rows are.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from todo_cli.db.schema import (
    DEPENDENCY_LINKS,
    TAG_COUNT,
    JSONText,
    changed_at,
    task_dependencies,
    task_notes,
    task_tags,
    tasks,
)
from todo_cli.domain import urgency as weights
from todo_cli.domain.fields import COLUMN_FIELDS, TASK_FIELDS, Note, Task
from todo_cli.domain.filters import Filter
from todo_cli.domain.ids import new_id, reference_id, reference_ids
from todo_cli.repository.batches import chunked
from todo_cli.repository.refs import Ref, resolve
from todo_cli.repository.users import (
    numbered,
    take_numbers,
    upsert_taking_numbers,
    user_id_of,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection, Dialect, Row, Table
    from sqlalchemy.sql.elements import ColumnElement

Status = Literal["open", "done", "all"]
Waiting = Literal["hide", "only", "include"]
SortKey = Literal[
    "urgency", "due", "priority", "number", "created", "updated", "title", "completed"
]

# Rows fetched per round trip when streaming a long list.
STREAM_BATCH = 2000
# A list bigger than this streams through a server-side cursor on PostgreSQL;
# a smaller one comes back in the one round trip of a plain query.
STREAM_THRESHOLD = 1000


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TaskQuery:
    """Which of the user's tasks a listing wants, and in what order."""

    status: Status = "open"
    waiting: Waiting = "hide"
    filter: Filter = field(default_factory=Filter)
    search: str | None = None
    sort: SortKey = "urgency"
    reverse: bool = False
    limit: int | None = None
    # Tasks named by reference (`todo list 3 7`, `todo export 1-5`): those, whatever
    # their status or wait; one that does not exist is NotFound.
    refs: tuple[Ref, ...] = ()


# What an export written by SQLite checks a row against (TaskRepository.exported):
# the forms todo itself stores. Instants are UTC to the microsecond, without a zone.
# The shape is checked, not each digit (twice as fast): what else is written
# outside todo (a space for the T, no microseconds, an offset) is caught.
_INSTANT_GLOB = "????-??-??T??:??:??.??????"
_ID_GLOB = "[0-9a-f]" * 32
_HEX_DIGITS = "0123456789abcdef"
_UUID_PARTS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
# No task field holds this: a column edit() cannot compare is written.
_UNSET = object()
_INSTANT_COLUMNS = ("completed_at", "created_at", "updated_at", "due", "wait", "recur_anchor")
_TEXT_COLUMNS = ("title", "description", "priority", "project", "recur", "attributes")


def _instant_text(sql: str) -> str:
    """PostgreSQL: an instant as todo writes it, UTC to the microsecond with a Z."""
    return f"""to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


# The lists of a task's export object on PostgreSQL: for each key, the table,
# one item's JSON text and the order (as Python sorts: text by code point,
# COLLATE "C"; ids by their bytes).
_POSTGRESQL_EXPORT_LISTS: dict[str, tuple[Table, str, str]] = {
    "tags": (task_tags, "to_json(task_tags.tag)::text", 'task_tags.tag COLLATE "C"'),
    "notes": (
        task_notes,
        f"""'{{"created_at":"' || {_instant_text("task_notes.created_at")} || '","text":' """
        "|| to_json(task_notes.text)::text || '}'",
        'task_notes.created_at, task_notes.text COLLATE "C"',
    ),
    "depends": (
        task_dependencies,
        "to_json(task_dependencies.depends_on_id::text)::text",
        "task_dependencies.depends_on_id",
    ),
}


def _postgresql_export_list(key: str) -> str:
    """The SQL of one list's JSON text, aggregated from its table's rows."""
    _table, item, order = _POSTGRESQL_EXPORT_LISTS[key]
    return f"'[' || string_agg({item}, ',' ORDER BY {order}) || ']'"


def _postgresql_export_object(*, joined: bool) -> str:
    """The SQL of one task's export object on PostgreSQL, "attributes" left out.

    Built as text, not with json_build_object (whose output has spaces, and
    sorts nothing): to_json(text) escapes a string exactly as Python's json
    does with ensure_ascii off; lists are sorted as Python sorts them;
    instants are UTC to the microsecond with a Z. Each list is a subquery
    run for the task, or (``joined``) a column of the per-task lists joined
    in as ``list_<key>`` (TaskRepository._exported_by_postgresql).
    """

    def string(sql: str) -> str:
        return f"coalesce(to_json({sql})::text, 'null')"

    def number(sql: str) -> str:
        return f"coalesce(({sql})::text, 'null')"

    def quoted_instant(sql: str) -> str:
        return f"""coalesce('"' || {_instant_text(sql)} || '"', 'null')"""

    def array(key: str) -> str:
        if joined:
            return f"coalesce(list_{key}.a, '[]')"
        table = _POSTGRESQL_EXPORT_LISTS[key][0].name
        of_the_task = f"FROM {table} WHERE {table}.task_id = tasks.id"
        return f"coalesce((SELECT {_postgresql_export_list(key)} {of_the_task}), '[]')"

    fields = {
        "id": "to_json(tasks.id::text)::text",
        "number": number("tasks.number"),
        "title": string("tasks.title"),
        "description": string("tasks.description"),
        "completed": "CASE WHEN tasks.completed THEN 'true' ELSE 'false' END",
        "completed_at": quoted_instant("tasks.completed_at"),
        "created_at": quoted_instant("tasks.created_at"),
        "updated_at": quoted_instant("tasks.updated_at"),
        "priority": string("tasks.priority"),
        "due": quoted_instant("tasks.due"),
        "wait": quoted_instant("tasks.wait"),
        "project": string("tasks.project"),
        "tags": array("tags"),
        "notes": array("notes"),
        "depends": array("depends"),
        "recur": string("tasks.recur"),
        "series_id": string("tasks.series_id::text"),
        "recur_anchor": quoted_instant("tasks.recur_anchor"),
        "recur_index": number("tasks.recur_index"),
    }
    body = " || ',' || ".join(f"""'"{key}":' || {sql}""" for key, sql in fields.items())
    return f"'{{' || {body} || '}}'"


_POSTGRESQL_EXPORT_OBJECT = _postgresql_export_object(joined=False)
_POSTGRESQL_EXPORT_OBJECT_JOINED = _postgresql_export_object(joined=True)


# --- reading rows back as Tasks ---------------------------------------------------


def _tags(value: str | None) -> tuple[str, ...]:
    return tuple(sorted(value.split(" "))) if value else ()


def _notes(value: Any) -> tuple[Note, ...]:
    """Notes from their JSON aggregate of [created_at, text] pairs, put in time order."""
    if not value or value == "[]":
        return ()
    pairs = json.loads(value) if isinstance(value, str) else value
    return tuple(sorted(Note(created_at=_instant(when), text=text) for when, text in pairs))


def _instant(text: str) -> datetime:
    # SQLite keeps UTC without an offset; PostgreSQL's JSON has one.
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``+column``: the same value, which no index of SQLite's serves."""
    from sqlalchemy.sql import operators
    from sqlalchemy.sql.elements import UnaryExpression

    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _urgency(value: float | None) -> float:
    return weights.rounded(float(value or 0.0))


def _uuids(value: str | None) -> tuple[UUID, ...]:
    return tuple(sorted(UUID(item) for item in value.split(" "))) if value else ()


def _numbers(value: str | None) -> tuple[int, ...]:
    return tuple(sorted(int(item) for item in value.split(" "))) if value else ()


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "tags": _tags,
    "notes": _notes,
    "float": _urgency,
    "uuids": _uuids,
    "numbers": _numbers,
}


def _row_reader() -> Callable[[Row[Any]], Task]:
    """A function making a Task of a selected row, written out from the declaration.

    Column fields pass through as SQLAlchemy typed them; the aggregates and
    the computed urgency are converted. A generated function with the
    conversions inlined is a third faster than a loop over converters at
    100,000 rows. The source holds only field positions and kinds.
    """
    args = []
    for index, spec in enumerate(TASK_FIELDS):
        args.append(f"_{spec.kind}(row[{index}])" if spec.kind in _CONVERT else f"row[{index}]")
    namespace: dict[str, Any] = {"Task": Task} | {f"_{k}": f for k, f in _CONVERT.items()}
    exec("def read(row):\n    return Task(" + ", ".join(args) + ")\n", namespace)
    reader: Callable[[Row[Any]], Task] = namespace["read"]
    return reader


_task = _row_reader()


def new_row(
    values: Mapping[str, Any], *, task_id: UUID, user_id: Any, number: int, now: datetime
) -> dict[str, Any]:
    """Every column of a new task: defaults, then the user's values."""
    row = _EMPTY_ROW.copy()
    for name, value in values.items():
        if name in row:
            row[name] = value
    row.update(id=task_id, user_id=user_id, number=number, created_at=now, updated_at=now)
    return row


# The columns of a task nobody has set anything on.
_EMPTY_ROW: dict[str, Any] = {
    spec.name: False if spec.kind == "bool" else None for spec in COLUMN_FIELDS
}


# What an INSERT or UPDATE hands back: the plain columns. (A RETURNING list
# with the correlated aggregates would be rendered unqualified, and on
# PostgreSQL `task_id = id` inside the notes aggregate would silently mean
# the note's id.) Tags and notes are known to the writer; urgency is computed.
_PLAIN_COLUMNS = [tasks.c[spec.name] for spec in COLUMN_FIELDS]
# What ties a task to its series: a task that leaves it has none of them.
SERIES_COLUMNS = ("recur", "series_id", "recur_anchor", "recur_index")


def _task_of(
    row: Mapping[str, Any],
    now: datetime,
    *,
    tags: Sequence[str] = (),
    notes: tuple[Note, ...] = (),
    depends: Sequence[UUID] = (),
    blocked_by: Sequence[int] = (),
    blocks: Sequence[int] = (),
) -> Task:
    """The Task just written, with its urgency worked out as the database would."""
    values = {spec.name: row[spec.name] for spec in COLUMN_FIELDS}
    values["tags"] = tuple(sorted(tags))
    values["notes"] = notes
    values["depends"] = tuple(sorted(depends))
    values["blocked_by"] = tuple(sorted(blocked_by))
    values["blocks"] = tuple(sorted(blocks))
    values["urgency"] = weights.urgency(
        priority=row["priority"],
        due=row["due"],
        created_at=row["created_at"],
        tag_count=len(tags),
        has_project=row["project"] is not None,
        blocked=bool(blocked_by),
        blocking=bool(blocks),
        completed=bool(row["completed"]),
        now=now,
    )
    return Task(**values)


def _blocked_after(result: list[tuple[Task, bool]], now: datetime) -> list[tuple[Task, bool]]:
    """Each task's `blocked_by` and `blocks` as they are once the whole command is done.

    The tasks were read before any of them changed: in `todo done 1 2`, #2
    waiting on #1 would say #1 is "still open" though the same command
    completed it (and in `reopen 1 2` the other way round).
    """
    state = {task.id: task for task, _ in result}
    numbers = {task.number for task in state.values()}
    # Who waits on whom among them, gathered once: asking every task of the command
    # about every other took minutes for `todo done +tag` on 65,000 tasks.
    waiting: dict[UUID, list[Task]] = {}
    for other in state.values():
        for depended in other.depends:
            waiting.setdefault(depended, []).append(other)
    fixed = []
    for task, changed in result:
        blocked = {n for n in task.blocked_by if n not in numbers}
        blocked |= {state[d].number for d in task.depends if d in state and not state[d].completed}
        blocks = {n for n in task.blocks if n not in numbers}
        blocks |= {t.number for t in waiting.get(task.id, ()) if not t.completed}
        if (blocked, blocks) != (set(task.blocked_by), set(task.blocks)):
            # Rebuilt as a written task is, its urgency included.
            row = {spec.name: getattr(task, spec.name) for spec in COLUMN_FIELDS}
            kept = _kept(task) | {"blocked_by": blocked, "blocks": blocks}
            task = _task_of(row, now, **kept)
        fixed.append((task, changed))
    return fixed


def _kept(task: Task) -> dict[str, Any]:
    """What a task carries besides its columns, for rebuilding it after an update."""
    return {
        "tags": task.tags,
        "notes": task.notes,
        "depends": task.depends,
        "blocked_by": task.blocked_by,
        "blocks": task.blocks,
    }


class AddedTasks:
    """What a bulk add wrote: its number range, and its tasks on demand."""

    def __init__(
        self,
        rows: list[dict[str, Any]],
        tags: list[tuple[str, ...]],
        now: datetime,
        depends: Sequence[Task] = (),
    ):
        self._rows = rows
        self._tags = tags
        self._now = now
        # What every task of the bulk add waits on (`todo add - dep:3 < list`).
        self._depends = depends

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def first(self) -> int:
        return int(self._rows[0]["number"])

    @property
    def last(self) -> int:
        return int(self._rows[-1]["number"])

    def __iter__(self) -> Iterator[Task]:
        depends = [task.id for task in self._depends]
        blocked_by = [task.number for task in self._depends if not task.completed]
        for row, tags in zip(self._rows, self._tags, strict=True):
            yield _task_of(row, self._now, tags=tags, depends=depends, blocked_by=blocked_by)


@dataclass(frozen=True)
class Counted:
    """A tag or project in use, and how many open tasks carry it."""

    name: str
    count: int
    # A project: its open tasks and those of its sub-projects.
    total: int | None = None


class TaskRepository:
    """The current user's tasks, over the caller's connection and transaction."""

    def __init__(
        self, conn: Connection, user: str, *, now: datetime | None = None, lean: bool = False
    ) -> None:
        self.conn = conn
        self.user = user
        self.now = now or _now()
        # Lean rows skip what only a reader of the list needs (urgency and the
        # open-dependency numbers): export writes neither, and they are the
        # per-row subqueries that cost most at 100,000 tasks.
        self.lean = lean
        self._owner = tasks.c.user_id == user_id_of(user)
        self._owner_by_ids = owner_beside_ids(user)

    # --- what a row holds -------------------------------------------------

    @functools.cached_property
    def _columns(self) -> list[ColumnElement[Any]]:
        """One expression per field, in declaration order.

        Built when first read: `add` returns the row it wrote and never
        selects, and the urgency and dependency subqueries were a few
        milliseconds of every command's start.
        """
        from sqlalchemy import Float, String, literal, null

        computed: dict[str, ColumnElement[Any]] = {
            "tags": self._tag_list(),
            "notes": self._note_list(),
            "depends": self._depends_list(),
        }
        if self.lean:
            computed["blocked_by"] = null().cast(String)
            computed["blocks"] = null().cast(String)
            computed["urgency"] = literal(0.0, Float)
        else:
            computed["blocked_by"] = self._open_numbers(waits_on=True)
            computed["blocks"] = self._open_numbers(waits_on=False)
            computed["urgency"] = self._urgency()
        return [
            tasks.c[spec.name] if spec.column else computed[spec.name].label(spec.name)
            for spec in TASK_FIELDS
        ]

    @property
    def _sqlite(self) -> bool:
        return self.conn.dialect.name == "sqlite"

    def _tag_list(self) -> ColumnElement[Any]:
        from sqlalchemy import func, select

        return (
            select(func.aggregate_strings(task_tags.c.tag, " "))
            .where(task_tags.c.task_id == tasks.c.id)
            .scalar_subquery()
        )

    def _depends_list(self) -> ColumnElement[Any]:
        from sqlalchemy import String, cast, func, select

        return (
            select(func.aggregate_strings(cast(task_dependencies.c.depends_on_id, String), " "))
            .where(task_dependencies.c.task_id == tasks.c.id)
            .scalar_subquery()
        )

    def _open_numbers(self, *, waits_on: bool) -> ColumnElement[Any]:
        """Numbers of the open tasks this one waits on (or that wait on it)."""
        from sqlalchemy import String, cast, func, select

        other = tasks.alias("other")
        mine, theirs = (
            (task_dependencies.c.task_id, task_dependencies.c.depends_on_id)
            if waits_on
            else (task_dependencies.c.depends_on_id, task_dependencies.c.task_id)
        )
        return (
            select(func.aggregate_strings(cast(other.c.number, String), " "))
            .select_from(task_dependencies.join(other, other.c.id == theirs))
            .where(mine == tasks.c.id, other.c.completed.is_(False))
            .scalar_subquery()
        )

    def _has_open(self, *, waits_on: bool) -> ColumnElement[Any]:
        """Whether the task waits on an open task (or an open task waits on it).

        Membership in one set the database works out once a statement (the
        user's tasks on one end of a dependency whose other end is open), not
        a subquery run for every task: sorting 100,000 tasks by urgency, with
        10,000 dependencies, takes 0.2 s less.
        """
        from sqlalchemy import select

        other = tasks.alias("other")
        mine, theirs = (
            (task_dependencies.c.task_id, task_dependencies.c.depends_on_id)
            if waits_on
            else (task_dependencies.c.depends_on_id, task_dependencies.c.task_id)
        )
        owner: ColumnElement[Any] = other.c.user_id
        completed: ColumnElement[Any] = other.c.completed
        if self._sqlite:
            # Offered the index on (user, status), SQLite would build the set
            # from every open task of the user; the dependencies are far fewer.
            owner, completed = _unindexed(owner), _unindexed(completed)
        return tasks.c.id.in_(
            select(mine)
            .select_from(task_dependencies.join(other, other.c.id == theirs))
            .where(owner == user_id_of(self.user), completed.is_(False))
        )

    def _tag_count(self) -> ColumnElement[Any]:
        """The task's number of tags: SQLite keeps it in the row (db.schema.TAG_COUNT)."""
        from sqlalchemy import Integer, func, literal_column, select

        if self._sqlite:
            return literal_column(f"tasks.{TAG_COUNT}", Integer)
        return select(func.count()).where(task_tags.c.task_id == tasks.c.id).scalar_subquery()

    def _note_list(self) -> ColumnElement[Any]:
        """The task's notes as one JSON array of [created_at, text] pairs.

        Unordered: SQLite before 3.44 has no ORDER BY inside an aggregate, and
        a FROM-subquery cannot see the outer row; the reader sorts them.
        """
        from sqlalchemy import func, select

        pair = func.json_array if self._sqlite else func.json_build_array
        aggregate = func.json_group_array if self._sqlite else func.json_agg
        return (
            select(aggregate(pair(task_notes.c.created_at, task_notes.c.text)))
            .where(task_notes.c.task_id == tasks.c.id)
            .scalar_subquery()
        )

    def _day_number(self, column: Any) -> ColumnElement[Any]:
        """An instant as a number of days on the scale of `_day_number_now`."""
        from sqlalchemy import func, literal_column

        if self._sqlite:
            return func.julianday(column)
        # date_part is double precision (extract is numeric since PostgreSQL 14).
        return func.date_part(literal_column("'epoch'"), column) / weights.SECONDS_PER_DAY

    def _day_number_now(self) -> ColumnElement[Any]:
        """The command's time as `_day_number` reads it.

        Worked out by the database from the instant (once a statement: SQLite
        lifts an expression of parameters out of its loop), so that a statement
        holds the time itself, as `--debug` shows it, not numbers made from it.
        """
        from sqlalchemy import literal

        return self._day_number(literal(self.now, tasks.c.due.type))

    def _clamp(self, value: ColumnElement[Any], low: float, high: float) -> ColumnElement[Any]:
        from sqlalchemy import func, literal

        lowest, highest = (func.max, func.min) if self._sqlite else (func.greatest, func.least)
        return highest(lowest(value, literal(low)), literal(high))

    def _urgency(self) -> ColumnElement[Any]:
        """The urgency formula of domain.urgency, as one SQL expression.

        A sorted list works it out for every open task, so each row costs as
        few steps as it can: everything that depends on now alone is folded
        into one value a statement, leaving one linear function of the stored
        day number per ramp, clamped (at 100,000 tasks the statement took 77 ms
        with both ramps written out step by step, 72 ms folded). The due term is
        DUE x (DUE_MIN + DUE_SPAN x clamp((now - due + FAR) / SPAN, 0, 1)),
        that is clamp(due_at_zero - day(due) x slope, DUE x DUE_MIN,
        DUE x (DUE_MIN + DUE_SPAN)); the age term likewise. The float steps
        differ from domain.urgency's, by far less than the 4 decimals both
        round to. A searched CASE evaluates its operand once per WHEN, so the
        tag count goes through a simple CASE.
        """
        from sqlalchemy import Float, case, literal

        def number(value: float) -> ColumnElement[Any]:
            return literal(value, Float)

        today = self._day_number_now()
        span = weights.DUE_FAR_DAYS + weights.DUE_LATE_DAYS
        due_slope = weights.DUE * weights.DUE_SPAN / span
        due_low = weights.DUE * weights.DUE_MIN
        due_at_zero = (today + number(weights.DUE_FAR_DAYS)) * number(due_slope) + number(due_low)
        due_high = due_low + weights.DUE * weights.DUE_SPAN
        due_ramp = due_at_zero - self._day_number(tasks.c.due) * number(due_slope)
        due_term = case(
            (tasks.c.due.is_(None), number(0.0)),
            # Most due dates lie beyond either end of the ramp, where it is flat:
            # compared as stored (as the due filters compare them), not read as days.
            (
                tasks.c.due >= self._at(self.now + timedelta(days=weights.DUE_FAR_DAYS)),
                number(due_low),
            ),
            (
                tasks.c.due <= self._at(self.now - timedelta(days=weights.DUE_LATE_DAYS)),
                number(due_high),
            ),
            else_=self._clamp(due_ramp, due_low, due_high),
        )
        age_slope = number(weights.AGE / weights.AGE_DAYS)
        age_ramp = today * age_slope - self._day_number(tasks.c.created_at) * age_slope
        age_term = self._clamp(age_ramp, 0.0, weights.AGE)
        priority_term = case(
            {p: number(w) for p, w in weights.PRIORITY.items()},
            value=tasks.c.priority,
            else_=number(0.0),
        )
        tag_term = case(
            {n: number(weights.TAGS * step) for n, step in enumerate(weights.TAG_STEPS[:-1])},
            value=self._tag_count(),
            else_=number(weights.TAGS * weights.TAG_STEPS[-1]),
        )
        project_term = case((tasks.c.project.is_(None), number(0.0)), else_=number(weights.PROJECT))
        dependency_terms = case(
            (self._has_open(waits_on=False), number(weights.BLOCKING)), else_=number(0.0)
        ) + case((self._has_open(waits_on=True), number(weights.BLOCKED)), else_=number(0.0))
        if self._sqlite:
            # A task no dependency names (most tasks) neither blocks nor is blocked:
            # it is spared both lookups (db.schema.DEPENDENCY_LINKS).
            dependency_terms = case(
                (self._dependency_links() == 0, number(0.0)), else_=dependency_terms
            )
        # A done task has no urgency (domain.urgency): the whole sum is skipped for it.
        return case(
            (tasks.c.completed.is_(True), number(0.0)),
            else_=priority_term + due_term + age_term + tag_term + project_term + dependency_terms,
        )

    def _dependency_links(self) -> ColumnElement[Any]:
        """SQLite: how many dependencies name the task, at either end (kept in the row)."""
        from sqlalchemy import Integer, literal_column

        return literal_column(f"tasks.{DEPENDENCY_LINKS}", Integer)

    # --- writes -----------------------------------------------------------

    def add(
        self,
        values: Mapping[str, Any],
        *,
        depends: Sequence[Task] = (),
        task_id: UUID | None = None,
        or_else: UUID | None = None,
    ) -> Task:
        """Add one task: on PostgreSQL one statement, plus one each for tags and dependencies.

        ``task_id``: its id, when it is not to be a new one. ``or_else`` (PostgreSQL
        only): the id it takes instead where a row the transaction sees has ``task_id``.
        """
        tags = tuple(values.get("tags") or ())
        task_id = task_id or reference_id()
        if self.conn.dialect.name == "postgresql":
            row = self._add_in_one_statement(values, task_id, or_else)
        else:
            user_id, number = take_numbers(self.conn, self.user, "task_counter", 1, self.now)
            row = new_row(values, task_id=task_id, user_id=user_id, number=number, now=self.now)
            self.conn.execute(tasks.insert().values(row))
        if tags:
            self.conn.execute(
                task_tags.insert(), [{"task_id": row["id"], "tag": tag} for tag in tags]
            )
        if depends:
            self._link(row["id"], [task.id for task in depends])
        return _task_of(
            row,
            self.now,
            tags=tags,
            depends=[task.id for task in depends],
            blocked_by=[task.number for task in depends if not task.completed],
        )

    def _link(self, task_id: UUID, depends_on: Sequence[UUID]) -> None:
        self.conn.execute(
            task_dependencies.insert(),
            [{"task_id": task_id, "depends_on_id": other} for other in depends_on],
        )

    def add_taking(self, values: Mapping[str, Any], task_id: UUID | None) -> Task:
        """Add one task under `task_id` if no task has it, else (or with None) a new id.

        Another user's task may have it where row security hides it from this
        one: the primary key tells, and the insert is taken back to a savepoint.
        """
        from sqlalchemy.exc import IntegrityError

        from todo_cli.db.transaction import isolated

        if task_id is None:
            return self.add(values)
        if self.conn.dialect.name == "postgresql" and not isolated(self.conn):
            # Every row is in sight: the insert itself takes the other id where one
            # has this one, and a savepoint's two round trips are spared.
            return self.add(values, task_id=task_id, or_else=reference_id())
        try:
            with self.conn.begin_nested():
                return self.add(values, task_id=task_id)
        except IntegrityError:
            # A refusal for any other reason comes again, and goes on, from this one.
            return self.add(values)

    def _add_in_one_statement(
        self, values: Mapping[str, Any], task_id: UUID, or_else: UUID | None = None
    ) -> dict[str, Any]:
        from sqlalchemy import case, exists, literal, null, select

        user = upsert_taking_numbers("postgresql", self.user, "task_counter", 1, self.now).cte("u")
        row = new_row(values, task_id=task_id, user_id=None, number=0, now=self.now)
        computed: dict[str, ColumnElement[Any]] = {
            "user_id": user.c.id,
            "number": user.c.task_counter,
        }
        if or_else is not None:
            taken = exists().where(tasks.c.id == literal(task_id, tasks.c.id.type))
            computed["id"] = case(
                (taken, literal(or_else, tasks.c.id.type)),
                else_=literal(task_id, tasks.c.id.type),
            )

        def value(name: str) -> ColumnElement[Any]:
            if name in computed:
                return computed[name]
            return null() if row[name] is None else literal(row[name], tasks.c[name].type)

        stmt = (
            tasks.insert()
            .from_select(list(row), select(*(value(name) for name in row)))
            .returning(tasks.c.user_id, tasks.c.number, tasks.c.id)
        )
        row["user_id"], row["number"], row["id"] = numbered(
            self.conn, stmt, "task_counter", 1
        ).one()
        return row

    def add_many(
        self,
        items: Iterable[Mapping[str, Any]],
        count: int | None = None,
        depends: Sequence[Task] = (),
    ) -> AddedTasks:
        """Add tasks in bulk: one counter update, then COPY (PostgreSQL) or executemany.

        With ``count`` (exactly how many ``items`` yields), the items may be
        made as they are written: on PostgreSQL, the server stores the first
        rows while the caller is still checking the last (an error the caller
        raises then ends the command before it commits: nothing is added).

        The models of what was added are built only if the caller iterates
        the result (``--json``): for 100,000 tasks that is most of the cost.
        """
        if count is None:
            items = list(items)
            count = len(items)
        if not count:
            return AddedTasks([], [], self.now)
        user_id, first = take_numbers(self.conn, self.user, "task_counter", count, self.now)
        rows: list[dict[str, Any]] = []
        tags: list[tuple[str, ...]] = []

        def made() -> Iterator[dict[str, Any]]:
            for number, task_id, item in zip(
                range(first, first + count), reference_ids(count), items, strict=True
            ):
                row = new_row(item, task_id=task_id, user_id=user_id, number=number, now=self.now)
                rows.append(row)
                tags.append(tuple(item.get("tags") or ()))
                yield row

        bulk_insert(self.conn, "tasks", made())
        tag_rows = [
            {"task_id": row["id"], "tag": tag}
            for row, names in zip(rows, tags, strict=True)
            for tag in names
        ]
        bulk_insert(self.conn, "task_tags", tag_rows)
        # New tasks wait on older ones: no cycle can close through them.
        links = [
            {"task_id": row["id"], "depends_on_id": other.id} for row in rows for other in depends
        ]
        bulk_insert(self.conn, "task_dependencies", links)
        return AddedTasks(rows, tags, self.now, depends)

    def set_completed(self, refs: Sequence[Ref], completed: bool) -> list[tuple[Task, bool]]:
        """Complete (or reopen) tasks; returns each task and whether it changed.

        A task already in the wanted state is left exactly as it was, its
        updated_at included: nothing changed.
        """
        return self.set_completed_rows(self._resolve(refs), completed)

    def set_completed_rows(
        self, found: Sequence[Task], completed: bool, *, leaving: Collection[UUID] = ()
    ) -> list[tuple[Task, bool]]:
        """Complete (or reopen) these tasks; each with whether this call changed it.

        The UPDATE itself checks the state: two processes completing one task
        at once both reach it, but on PostgreSQL the second waits for the
        first's row lock and then finds nothing to change, so exactly one of
        them sees the task change (and makes a recurring task's successor).

        ``leaving``: tasks that leave their series as they change (a reopened one
        whose series has another open task), in the same update of their row: one
        change of it, in the journal as in `todo history`.
        """
        from sqlalchemy import update

        to_change = [task.id for task in found if task.completed != completed]
        changed: dict[Any, Task] = {}
        before = {task.id: task for task in found}
        staying = [task_id for task_id in to_change if task_id not in leaving]
        gone = [task_id for task_id in to_change if task_id in leaving]
        series = dict.fromkeys(SERIES_COLUMNS)
        for ids, more in ((gone, series), (staying, {})):
            for chunk in chunked(ids):
                stmt = (
                    update(tasks)
                    .where(tasks.c.id.in_(chunk), tasks.c.completed.is_(not completed))
                    .values(
                        completed=completed,
                        completed_at=self.now if completed else None,
                        updated_at=self._not_back(),
                        **more,
                    )
                    .returning(*_PLAIN_COLUMNS)
                )
                changed |= {
                    row.id: _task_of(dict(row._mapping), self.now, **_kept(before[row.id]))
                    for row in self.conn.execute(stmt)
                }
        result = []
        for task in found:
            if task.id in changed:
                result.append((changed[task.id], True))
            elif task.completed == completed:
                result.append((task, False))
            else:  # another process changed it first: it is as wanted, not by us
                result.append((replace(task, completed=completed), False))
        return _blocked_after(result, self.now)

    def open_successor(self, task: Task) -> Task | None:
        """The open task of `task`'s series made when `task` was completed, if any."""
        from sqlalchemy import select

        if task.series_id is None or task.completed_at is None:
            return None
        stmt = select(*self._columns).where(
            self._owner,
            tasks.c.series_id == task.series_id,
            tasks.c.completed.is_(False),
        )
        row = self.conn.execute(stmt).first()
        return None if row is None else _task(row)

    def open_in_series(self, series_ids: Iterable[UUID]) -> dict[UUID, Task]:
        """The open task of each of these series that has one (a series has one at most),
        by series: one query where :meth:`open_successor` for each is one a task."""
        from sqlalchemy import select

        found: dict[UUID, Task] = {}
        for chunk in chunked(sorted(set(series_ids), key=str)):
            stmt = select(*self._columns).where(
                self._owner, tasks.c.series_id.in_(chunk), tasks.c.completed.is_(False)
            )
            for row in self.conn.execute(stmt):
                task = _task(row)
                assert task.series_id is not None
                found[task.series_id] = task
        return found

    def latest_done(self, series_ids: Iterable[UUID]) -> dict[UUID, tuple[datetime, datetime]]:
        """The latest (completion, due) among the done tasks of each of these series."""
        from sqlalchemy import func, select

        found: dict[UUID, tuple[datetime, datetime]] = {}
        for chunk in chunked(sorted(set(series_ids), key=str)):
            # One row a series, picked by the database: a series done thousands of
            # times sent every one of its done tasks for Python to compare.
            rank = (
                func.row_number()
                .over(
                    partition_by=tasks.c.series_id,
                    order_by=(tasks.c.completed_at.desc(), tasks.c.due.desc()),
                )
                .label("rank")
            )
            ranked = (
                select(tasks.c.series_id, tasks.c.completed_at, tasks.c.due, rank)
                .where(
                    self._owner,
                    tasks.c.series_id.in_(chunk),
                    tasks.c.completed.is_(True),
                    tasks.c.completed_at.is_not(None),
                    tasks.c.due.is_not(None),
                )
                .subquery()
            )
            stmt = select(ranked.c.series_id, ranked.c.completed_at, ranked.c.due).where(
                ranked.c.rank == 1
            )
            for series, completed_at, due in self.conn.execute(stmt):
                found[series] = (completed_at, due)
        return found

    def waited_on(self, ids: Iterable[UUID]) -> set[UUID]:
        """Which of these tasks one of the user's tasks waits on (:meth:`waiting_on`,
        for many at once)."""
        from sqlalchemy import select

        found: set[UUID] = set()
        for chunk in chunked(sorted(set(ids), key=str)):
            stmt = (
                select(task_dependencies.c.depends_on_id)
                .join(tasks, tasks.c.id == task_dependencies.c.task_id)
                .where(self._owner, task_dependencies.c.depends_on_id.in_(chunk))
                .distinct()
            )
            found.update(self.conn.execute(stmt).scalars())
        return found

    def edit(
        self,
        task: Task,
        changes: Mapping[str, Any],
        *,
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
        add_depends: Sequence[Task] = (),
        remove_depends: Sequence[Task] = (),
    ) -> Task:
        """Change a task's fields, tags and dependencies; returns it as it now is."""
        from sqlalchemy import delete, update

        from todo_cli.domain.names import clean_tags
        from todo_cli.errors import InvalidInput

        # A field set to what it already holds is no change: with nothing else to
        # do, nothing is written, updated_at stays and undo has no step to take back.
        columns = {
            name: value
            for name, value in changes.items()
            if name != "tags" and getattr(task, name, _UNSET) != value
        }
        tags = set(task.tags)
        if "tags" in changes:
            tags = set(changes["tags"] or ())
        new_tags = (tags | set(add_tags)) - set(remove_tags)
        try:
            clean_tags(new_tags)
        except ValueError as exc:
            raise InvalidInput(
                f"#{task.number}: {exc}", hint="remove some with -tag; nothing was changed"
            ) from None
        gone, added = set(task.tags) - new_tags, new_tags - set(task.tags)
        depends = {t.id: t for t in add_depends if t.id not in task.depends}
        undepends = [t.id for t in remove_depends if t.id in task.depends]
        if not columns and not gone and not added and not depends and not undepends:
            return task
        if gone:
            self.conn.execute(
                delete(task_tags).where(task_tags.c.task_id == task.id, task_tags.c.tag.in_(gone))
            )
        if added:
            self.conn.execute(
                task_tags.insert(), [{"task_id": task.id, "tag": tag} for tag in sorted(added)]
            )
        if undepends:
            self.conn.execute(
                delete(task_dependencies).where(
                    task_dependencies.c.task_id == task.id,
                    task_dependencies.c.depends_on_id.in_(undepends),
                )
            )
        if depends:
            self._link(task.id, list(depends))
        stmt = (
            update(tasks)
            .where(tasks.c.id == task.id)
            .values(**columns, updated_at=self._moved(task))
            .returning(*_PLAIN_COLUMNS)
        )
        row = self.conn.execute(stmt).one()
        removed_numbers = {t.number for t in remove_depends}
        blocked_by = {n for n in task.blocked_by if n not in removed_numbers}
        blocked_by |= {t.number for t in depends.values() if not t.completed}
        kept = _kept(task) | {
            "tags": sorted(new_tags),
            "depends": [*(d for d in task.depends if d not in undepends), *depends],
            "blocked_by": sorted(blocked_by),
        }
        return _task_of(dict(row._mapping), self.now, **kept)

    def _not_back(self) -> Any:
        """A statement's time of change for its rows: now, or just after theirs where
        that is not before now.

        As _moved, set-based: a clock behind the one that wrote the task (another
        machine's, an NTP step) must neither move it back (the CHECK that a task
        is updated after it was created) nor leave it where it was: `todo done`
        that kept the time read as no change to an import of the file the task
        came from, which took the open copy back ("edited in the file without a
        new updated_at").
        """
        from sqlalchemy import case, literal, literal_column

        from todo_cli.db.schema import just_after

        # Typed as the column, so that SQLite stores the time in the column's own form
        # (an untyped value would be the driver's, which sorts differently).
        now = literal(self.now, tasks.c.updated_at.type)
        after = literal_column(
            just_after("tasks.updated_at", self.conn.dialect.name), tasks.c.updated_at.type
        )
        return case((tasks.c.updated_at >= now, after), else_=now)

    def _moved(self, task: Task) -> datetime:
        """The task's time of change for a change made now: now, and never not later.

        A clock behind the task's last change (another machine's, an NTP step)
        must neither move it back (the CHECK that a task is updated after it
        was created) nor leave it where it was: a change that keeps updated_at
        reads as no change to an import elsewhere ("newer updates"), and to a
        reopen asking whether its successor was touched.
        """
        return changed_at(self.now, task.updated_at)

    def dependency_edges(self) -> list[tuple[UUID, UUID]]:
        """Every (task, waits on) pair among the user's tasks: the graph a cycle check walks."""
        from sqlalchemy import select

        stmt = (
            select(task_dependencies.c.task_id, task_dependencies.c.depends_on_id)
            .join(tasks, tasks.c.id == task_dependencies.c.task_id)
            .where(self._owner)
        )
        return [(row[0], row[1]) for row in self.conn.execute(stmt)]

    def add_note(self, ref: Ref, text: str) -> Task:
        """Add a note to a task (and move its updated_at); returns the task."""
        from sqlalchemy import update

        (task,) = self._resolve([ref])
        self.conn.execute(
            task_notes.insert().values(id=new_id(), task_id=task.id, created_at=self.now, text=text)
        )
        stmt = (
            update(tasks)
            .where(tasks.c.id == task.id)
            .values(updated_at=self._moved(task))
            .returning(*_PLAIN_COLUMNS)
        )
        row = self.conn.execute(stmt).one()
        notes = tuple(sorted((*task.notes, Note(created_at=self.now, text=text))))
        return _task_of(dict(row._mapping), self.now, **(_kept(task) | {"notes": notes}))

    def delete(self, refs: Sequence[Ref]) -> list[Task]:
        return self.delete_tasks(self._resolve(refs))

    def delete_tasks(self, found: Sequence[Task]) -> list[Task]:
        from sqlalchemy import delete, select, update

        for chunk in chunked([task.id for task in found]):
            # A task that waited on one of these waits on it no more (its dependency
            # goes with it): a change of that task, so its time of change moves on,
            # and an import of an older copy of it is not taken as newer.
            waiting = select(task_dependencies.c.task_id).where(
                task_dependencies.c.depends_on_id.in_(chunk)
            )
            touch = (
                update(tasks)
                .where(self._owner, tasks.c.id.in_(waiting), tasks.c.id.not_in(chunk))
                .values(updated_at=self._not_back())
            )
            drop = delete(tasks).where(tasks.c.id.in_(chunk))
            if self.conn.dialect.name == "postgresql":
                # One statement, as the delete alone was: both parts see the rows as
                # they were before it (the dependencies, not yet cascaded away).
                self.conn.execute(drop.add_cte(touch.cte("touched")))
            else:
                self.conn.execute(touch)
                self.conn.execute(drop)
        return list(found)

    def delete_ending_series(self, found: Sequence[Task]) -> list[Task]:
        """Delete these tasks as `todo delete` does: the open task of a series carries
        it on, and deleted, the series ends (see :meth:`end_series`)."""
        gone = self.delete_tasks(found)
        ended = {t.series_id for t in gone if t.series_id and t.recur and not t.completed}
        self.end_series(sorted(ended, key=str))
        return gone

    def end_series(self, series: Sequence[UUID]) -> None:
        """The user's tasks of these series repeat no more.

        Deleting the open task of a series ends the series: its done tasks
        lose their recurrence (they stay in the series, as its history), so
        reopening and completing one starts nothing again. Each keeps the
        recurrence it had in its attributes (ENDED_RECUR_HINT), for a tool that
        holds it as one of a series.
        """
        from sqlalchemy import bindparam, select, update

        from todo_cli.domain.fields import ENDED_RECUR_HINT

        ended = []
        for chunk in chunked(list(series)):
            stmt = select(tasks.c.id, tasks.c.recur, tasks.c.attributes).where(
                self._owner, tasks.c.series_id.in_(chunk), tasks.c.recur.is_not(None)
            )
            ended += [
                {
                    "task": task_id,
                    "attributes": {**(attributes or {}), ENDED_RECUR_HINT: recur},
                }
                for task_id, recur, attributes in self.conn.execute(stmt)
            ]
        if ended:
            self.conn.execute(
                update(tasks)
                .where(tasks.c.id == bindparam("task"))
                .values(
                    recur=None, attributes=bindparam("attributes"), updated_at=self._not_back()
                ),
                ended,
            )

    # --- reads ------------------------------------------------------------

    def get_many(self, refs: Sequence[Ref]) -> list[Task]:
        return self._resolve(refs)

    def get(self, ref: Ref) -> Task:
        return self.get_many([ref])[0]

    def by_ids(self, ids: Sequence[UUID]) -> list[Task]:
        """The user's tasks with these ids, by number (ids of others are left out)."""
        from sqlalchemy import select

        found: list[Task] = []
        for chunk in chunked(list(ids)):
            stmt = (
                select(*self._columns)
                .where(self._owner_by_ids, tasks.c.id.in_(chunk))
                .order_by(tasks.c.number)
            )
            found += [_task(row) for row in self.conn.execute(stmt)]
        # Each part comes by number; several are put in order as one read would be.
        found.sort(key=lambda task: task.number)
        return found

    def waiting_on(self, task: Task) -> list[Task]:
        """The user's tasks that wait on `task`, by number."""
        from sqlalchemy import select

        stmt = (
            select(*self._columns)
            .where(
                self._owner,
                tasks.c.id.in_(
                    select(task_dependencies.c.task_id).where(
                        task_dependencies.c.depends_on_id == task.id
                    )
                ),
            )
            .order_by(tasks.c.number)
        )
        return [_task(row) for row in self.conn.execute(stmt)]

    def find(self, query: TaskQuery) -> Iterator[Task]:
        """The user's tasks, in order, streamed.

        A long list comes in batches (a server-side cursor on PostgreSQL), so
        100,000 tasks never sit in memory at once; a short one comes back in
        the one round trip of a plain query.
        """
        from sqlalchemy import select

        stmt = self._filtered(select(*self._columns), query)
        for row in self._stream(stmt, limit=query.limit):
            yield _task(row)

    def _stream(
        self,
        stmt: Any,
        *,
        limit: int | None = None,
        long: Callable[[], Any] | None = None,
        before_long: Any = None,
    ) -> Iterator[Any]:
        """The rows of a query, in batches when there are many.

        On PostgreSQL a long list may be asked for by another statement (made
        by ``long`` only when the list is long: the same rows written for
        many), after ``before_long``.
        """
        if limit is not None and limit <= STREAM_THRESHOLD:
            yield from self.conn.execute(stmt)
            return
        if self.conn.dialect.name == "postgresql":
            # A server-side cursor costs three statements more (DECLARE,
            # FETCH, CLOSE): ask plainly first, and stream only a long list.
            first = self.conn.execute(stmt.limit(STREAM_THRESHOLD + 1)).all()
            if len(first) <= STREAM_THRESHOLD:
                yield from first
                return
            del first
            if before_long is not None:
                self.conn.execute(before_long)
            stmt = stmt if long is None else long()
        yield from self.conn.execute(stmt.execution_options(yield_per=STREAM_BATCH))

    def exported(self, query: TaskQuery) -> Iterator[tuple[str, str | None] | Task]:
        """The tasks a query selects, each as its export object, written by the database.

        Each task comes as the text of its JSON object (todo's own export
        format) with ``"attributes"`` left out, and its attributes as stored:
        the caller encodes those (formats.owned.encode_attributes) and puts
        them in last. The same bytes as the object made from the task read
        the usual way, several times faster. On SQLite, a row the database
        cannot vouch for (an instant, id or value not in the form todo
        writes: written outside todo) comes as a Task instead, read the
        usual way; PostgreSQL's types leave no such row.
        """
        if self._sqlite:
            return self._exported_by_sqlite(query)
        return self._exported_by_postgresql(query)

    def _exported_by_postgresql(self, query: TaskQuery) -> Iterator[tuple[str, str | None]]:
        """Each task's object, as text PostgreSQL writes.

        A short export (a plain query) runs a subquery per task for each list.
        A long one (streamed) joins in each list of every task of the user,
        aggregated in one pass: at 100,000 tasks the statement takes half the
        time. With the planner told not to use nested loops for it: right
        after an import, with no statistics yet, it joined the lists by
        nested loop and took minutes. And without JIT, whose compiling of the
        long object expression (0.4 s) bought nothing back.
        """
        from sqlalchemy import String, literal_column, select, text, type_coerce

        attributes = type_coerce(tasks.c.attributes, String)
        short = self._filtered(
            select(literal_column(_POSTGRESQL_EXPORT_OBJECT, String), attributes).select_from(
                tasks
            ),
            query,
        )

        def long() -> Any:
            joined: Any = tasks
            for key in _POSTGRESQL_EXPORT_LISTS:
                lists = self._postgresql_lists(key)
                joined = joined.outerjoin(lists, lists.c.task_id == tasks.c.id)
            return self._filtered(
                select(
                    literal_column(_POSTGRESQL_EXPORT_OBJECT_JOINED, String), attributes
                ).select_from(joined),
                query,
            )

        plan = text(
            "SELECT set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)"
        )
        for row in self._stream(short, long=long, before_long=plan):
            yield row[0], row[1]  # a plain tuple: the caller tells it from a Task

    def _postgresql_lists(self, key: str) -> Any:
        """One list (tags, notes, dependencies) of each of the user's tasks, as JSON text."""
        from sqlalchemy import String, literal_column, select

        rows = _POSTGRESQL_EXPORT_LISTS[key][0]
        owner = tasks.alias("owner")
        return (
            select(
                rows.c.task_id,
                literal_column(_postgresql_export_list(key), String).label("a"),
            )
            .select_from(rows.join(owner, owner.c.id == rows.c.task_id))
            .where(owner.c.user_id == user_id_of(self.user))
            .group_by(rows.c.task_id)
            .subquery(f"list_{key}")
        )

    def _exported_by_sqlite(self, query: TaskQuery) -> Iterator[tuple[str, str | None] | Task]:
        from sqlalchemy import Integer, String, and_, case, func, literal, or_, select, type_coerce

        def text(column: Any) -> ColumnElement[Any]:
            return type_coerce(column, String)  # as stored: no conversion on the way out

        def instant(column: Any) -> ColumnElement[Any]:
            return text(column).concat("Z")

        def dashed(column: Any) -> ColumnElement[Any]:
            hexed = text(column)
            parts = [func.substr(hexed, start, size) for start, size in _UUID_PARTS]
            joined: ColumnElement[Any] = parts[0]
            for part in parts[1:]:
                joined = joined.concat("-").concat(part)
            return joined

        def is_instant(column: Any, *, nullable: bool = True) -> ColumnElement[Any]:
            canonical = text(column).op("GLOB", is_comparison=True)(_INSTANT_GLOB)
            return or_(column.is_(None), canonical) if nullable else canonical

        def is_id(column: Any, *, nullable: bool = False) -> ColumnElement[Any]:
            canonical = text(column).op("GLOB", is_comparison=True)(_ID_GLOB)
            return or_(column.is_(None), canonical) if nullable else canonical

        def is_text(column: Any) -> ColumnElement[Any]:
            return func.typeof(column).in_(["text", "null"])

        def is_integer(column: Any) -> ColumnElement[Any]:
            return func.typeof(column).in_(["integer", "null"])

        def ordered_array(
            item: Callable[[Any], ColumnElement[Any]], child: Table, *columns: Any
        ) -> ColumnElement[Any]:
            """The task's rows of `child` as a JSON array of `item`, sorted by `columns`."""
            rows = (
                select(*columns)
                .where(child.c.task_id == tasks.c.id)
                .correlate(tasks)
                .order_by(*columns)
                .subquery()
            )
            # json_group_array keeps the order of a subquery that sorts.
            return select(func.json_group_array(item(rows.c))).scalar_subquery()

        # Without the id, which comes as stored: dashed and checked in Python,
        # which does both faster than SQLite's string functions.
        obj = func.json_object(
            "number", tasks.c.number,
            "title", tasks.c.title,
            "description", tasks.c.description,
            "completed", func.json(case((tasks.c.completed.is_(True), "true"), else_="false")),
            "completed_at", instant(tasks.c.completed_at),
            "created_at", instant(tasks.c.created_at),
            "updated_at", instant(tasks.c.updated_at),
            "priority", tasks.c.priority,
            "due", instant(tasks.c.due),
            "wait", instant(tasks.c.wait),
            "project", tasks.c.project,
            "tags", ordered_array(lambda c: c.tag, task_tags, task_tags.c.tag),
            "notes", ordered_array(
                lambda c: func.json_object("created_at", instant(c.created_at), "text", c.text),
                task_notes, task_notes.c.created_at, task_notes.c.text,
            ),
            "depends", ordered_array(
                lambda c: dashed(c.depends_on_id),
                task_dependencies, task_dependencies.c.depends_on_id,
            ),
            "recur", tasks.c.recur,
            "series_id", dashed(tasks.c.series_id),
            "recur_anchor", instant(tasks.c.recur_anchor),
            "recur_index", tasks.c.recur_index,
        )  # fmt: skip
        odd_children = {
            task_tags: ~is_text(task_tags.c.tag),
            task_notes: ~is_instant(task_notes.c.created_at, nullable=False)
            | ~is_text(task_notes.c.text),
            task_dependencies: ~is_id(task_dependencies.c.depends_on_id),
        }
        vouched = and_(
            is_id(tasks.c.series_id, nullable=True),
            func.typeof(tasks.c.number) == "integer",
            is_integer(tasks.c.recur_index),
            type_coerce(tasks.c.completed, Integer).in_([0, 1]),
            *(is_instant(tasks.c[name]) for name in _INSTANT_COLUMNS),
            *(is_text(tasks.c[name]) for name in _TEXT_COLUMNS),
        )
        # Tags, notes and dependencies are checked row by row only when some
        # odd one exists at all: one look at each table first, not three
        # subqueries for every task.
        anywhere = [select(literal(1)).where(odd).exists() for odd in odd_children.values()]
        if self.conn.execute(select(or_(*anywhere))).scalar():
            vouched = and_(
                vouched,
                *(
                    ~select(literal(1)).where(child.c.task_id == tasks.c.id, odd).exists()
                    for child, odd in odd_children.items()
                ),
            )
        stmt = self._filtered(
            select(obj, text(tasks.c.attributes), vouched, text(tasks.c.id)), query
        )
        for encoded, attributes, ok, task_id in self._stream(stmt):
            if ok and len(task_id) == 32 and not task_id.strip(_HEX_DIGITS):
                yield (
                    f'{{"id":"{task_id[:8]}-{task_id[8:12]}-{task_id[12:16]}-'
                    f'{task_id[16:20]}-{task_id[20:]}",{encoded[1:]}',
                    attributes,
                )
            else:
                # By the id as stored, which need not be the form todo binds.
                unusual = select(*self._columns).where(self._owner, text(tasks.c.id) == task_id)
                yield _task(self.conn.execute(unusual).one())

    def tags(self) -> list[Counted]:
        """Tags on the user's open tasks, with how many carry each; by name."""
        from sqlalchemy import func, select

        stmt = (
            select(task_tags.c.tag, func.count())
            .join(tasks, tasks.c.id == task_tags.c.task_id)
            .where(self._owner, tasks.c.completed.is_(False))
            .group_by(task_tags.c.tag)
        )
        # Sorted here, by code point: a PostgreSQL database's collation (ICU's "a ä aa
        # b B") is not SQLite's order, nor the order of the tags a task lists.
        rows = sorted(self.conn.execute(stmt), key=lambda row: row[0])
        return [Counted(name, count) for name, count in rows]

    def projects(self) -> list[Counted]:
        """Projects of the user's open tasks, with how many tasks are in each; by name."""
        from sqlalchemy import func, select

        stmt = (
            select(tasks.c.project, func.count())
            .where(self._owner, tasks.c.completed.is_(False), tasks.c.project.is_not(None))
            .group_by(tasks.c.project)
        )
        rows = sorted(self.conn.execute(stmt), key=lambda row: row[0])
        return [Counted(name, count) for name, count in rows]

    def _resolve(self, refs: Sequence[Ref]) -> list[Task]:
        return [
            _task(row)
            for row in resolve(self.conn, tasks, self._columns, self._owner, refs, "task")
        ]

    # --- filters and order ---------------------------------------------------

    def _lower(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """Unicode-aware lower case on both backends (db.transaction.lowered)."""
        from todo_cli.db.transaction import lowered

        return lowered(self.conn, column)

    def _contains(self, word: str) -> ColumnElement[Any]:
        """The word in the title, the description or a note, in any case and Unicode form."""
        from sqlalchemy import exists, false, or_, select

        from todo_cli.db.transaction import folded
        from todo_cli.domain.limits import NOTE_MAX, TASK_DESCRIPTION_MAX, TASK_TITLE_MAX

        needle = folded(word)
        if len(needle) > max(NOTE_MAX, TASK_DESCRIPTION_MAX, TASK_TITLE_MAX):
            # Longer than any text it could be in: no task has it, and the database
            # would refuse so long a pattern (SQLite: "LIKE pattern too complex").
            return false()
        in_notes = exists(
            select(task_notes.c.id).where(
                task_notes.c.task_id == tasks.c.id,
                self._lower(task_notes.c.text).contains(needle, autoescape=True),
            )
        )
        return or_(
            self._lower(tasks.c.title).contains(needle, autoescape=True),
            self._lower(tasks.c.description).contains(needle, autoescape=True),
            in_notes,
        )

    def _filtered(self, stmt: Any, query: TaskQuery) -> Any:
        owner: ColumnElement[Any] = tasks.c.user_id
        completed: ColumnElement[Any] = tasks.c.completed
        if self._sqlite and query.filter.with_tags:
            # SQLite plans without statistics: offered the index on (user,
            # status) it reads every open task of the user, however few carry
            # the tag. Written with a unary + (SQLite's idiom for "no index
            # here"), those two terms leave the tag's index to drive, and a
            # task is read only if it carries the tag: at 100,000 tasks, a
            # tag on one in five lists in 90 ms instead of 140 (and one on
            # nine in ten in 380 instead of 430: never slower).
            owner, completed = _unindexed(owner), _unindexed(completed)
        stmt = stmt.where(owner == user_id_of(self.user))
        if query.refs:
            # Named, so shown as they are: done or waiting ones too.
            from todo_cli.repository.batches import ids_in

            named = {task.id for task in self._resolve(query.refs)}
            stmt = stmt.where(ids_in(self.conn, tasks.c.id, sorted(named)))
        else:
            if query.status != "all":
                stmt = stmt.where(completed.is_(query.status == "done"))
            if query.waiting == "hide":
                stmt = stmt.where((tasks.c.wait.is_(None)) | (tasks.c.wait <= self._at(self.now)))
            elif query.waiting == "only":
                stmt = stmt.where(tasks.c.wait > self._at(self.now))
        for clause in self._conditions(query.filter):
            stmt = stmt.where(clause)
        if query.search:
            stmt = stmt.where(self._contains(query.search))
        stmt = stmt.order_by(*self._order(query))
        if query.limit is not None:
            stmt = stmt.limit(query.limit)
        return stmt

    def _at(self, instant: datetime) -> ColumnElement[Any]:
        from sqlalchemy import literal

        return literal(instant, tasks.c.due.type)

    def _conditions(self, wanted: Filter) -> Iterator[ColumnElement[Any]]:
        from sqlalchemy import func, select

        for tag in wanted.with_tags:
            yield tasks.c.id.in_(select(task_tags.c.task_id).where(task_tags.c.tag == tag))
        for tag in wanted.without_tags:
            yield tasks.c.id.not_in(select(task_tags.c.task_id).where(task_tags.c.tag == tag))
        if wanted.project == "":
            yield tasks.c.project.is_(None)
        elif wanted.project is not None:
            # Case-sensitive on both backends (SQLite's LIKE is not): the project
            # itself, or one inside it.
            inside = wanted.project + "."
            yield (tasks.c.project == wanted.project) | (
                func.substr(tasks.c.project, 1, len(inside)) == inside
            )
        if wanted.priority == "":
            yield tasks.c.priority.is_(None)
        elif wanted.priority is not None:
            yield tasks.c.priority == wanted.priority
        if wanted.due_none:
            yield tasks.c.due.is_(None)
        if wanted.due_from is not None and wanted.due_to is not None:
            yield tasks.c.due.between(self._at(wanted.due_from), self._at(wanted.due_to))
        if wanted.due_before is not None:
            yield tasks.c.due < self._at(wanted.due_before)
        if wanted.due_after is not None:
            yield tasks.c.due > self._at(wanted.due_after)
        if wanted.overdue is not None:
            # No due date is "not overdue": the IS NOT NULL keeps NOT from meeting a NULL.
            late = (
                tasks.c.completed.is_(False)
                & tasks.c.due.is_not(None)
                & (tasks.c.due < self._at(self.now))
            )
            yield late if wanted.overdue else ~late
        if wanted.blocked is not None:
            blocked = self._has_open(waits_on=True)
            if self._sqlite:
                # Looked up only for a task some dependency names (db.schema.DEPENDENCY_LINKS).
                blocked = (self._dependency_links() != 0) & blocked
            yield blocked if wanted.blocked else ~blocked
        for word in wanted.words:
            yield self._contains(word)

    def _order(self, query: TaskQuery) -> list[Any]:
        from sqlalchemy import case, literal_column

        ascending = {"due", "number", "created", "updated", "title", "completed"}
        key: ColumnElement[Any] = {
            "urgency": literal_column("urgency"),
            "due": tasks.c.due,
            # No priority sorts as no due does: last, whichever way the order runs.
            "priority": case({"H": 3, "M": 2, "L": 1}, value=tasks.c.priority),
            "number": tasks.c.number,
            "created": tasks.c.created_at,
            "updated": tasks.c.updated_at,
            "title": self._lower(tasks.c.title),
            "completed": tasks.c.completed_at,
        }[query.sort]
        first_is_low = (query.sort in ascending) != query.reverse
        if query.sort == "urgency" and query.status == "done":
            # A done task's urgency is 0: "most urgent" of them means nothing, and
            # `list --done --limit 5` asks for the last five finished.
            key, first_is_low = tasks.c.completed_at, query.reverse
        order = []
        if query.sort == "urgency" and query.status == "all":
            # The work still to do first, then what is done (urgency 0, as a blocked
            # open task may be below that).
            done = tasks.c.completed
            order.append(done.desc() if query.reverse else done.asc())
        order.append(key.asc().nulls_last() if first_is_low else key.desc().nulls_last())
        if query.sort == "urgency" and query.status == "all":
            # The done ones (urgency 0 alike) as `list --done` shows them: the latest
            # completed first. Open tasks have no completion time: nothing changes there.
            done_at = tasks.c.completed_at
            order.append(done_at.asc() if query.reverse else done_at.desc())
        if query.sort != "number":
            order.append(tasks.c.number.desc() if query.reverse else tasks.c.number.asc())
        return order


# --- import: rows as another tool (or a backup) has them ------------------------------


@dataclass(frozen=True)
class Existing:
    """A task id already in the database: whose it is, and when it last changed."""

    mine: bool
    updated_at: datetime
    number: int
    completed: bool = False


@dataclass
class Parts:
    """What a task has besides its columns: tags, notes (id, time, text), dependencies."""

    tags: set[str] = field(default_factory=set)
    notes: list[tuple[UUID, datetime, str]] = field(default_factory=list)
    depends: set[UUID] = field(default_factory=set)


# One task an import updates: its id, its columns' values, the tags, note rows
# and dependencies it is to have, and what it has now.
Replacement = tuple[
    UUID, dict[str, Any], Sequence[str], Sequence[dict[str, Any]], Sequence[UUID], Parts
]


def owner_beside_ids(user: str) -> ColumnElement[bool]:
    """The user's condition for a read of tasks by their ids.

    Written on an expression of the column, not the column: SQLite otherwise
    reads by the owner's index (user_id, number), walking all the user's
    tasks in number order for each thousand ids, 45 ms a thousand at 100,000
    tasks against 7 ms by the ids' own index; an import updating 100,000
    tasks spent 4.7 s there. An expression leaves no index to the owner's
    term on either backend, and the ids' is the one that narrows.
    """
    from sqlalchemy import func

    return func.coalesce(tasks.c.user_id, tasks.c.user_id) == user_id_of(user)


class ImportWriter:
    """The writes of one import, over the caller's transaction: bulk, all or nothing."""

    def __init__(self, conn: Connection, user: str) -> None:
        self.conn = conn
        self.user = user
        self._owner = tasks.c.user_id == user_id_of(user)
        # Dependencies an updated task had and keeps: there already, not linked again.
        self._kept_edges: set[tuple[UUID, UUID]] = set()

    def existing(self, ids: Sequence[UUID]) -> dict[UUID, Existing]:
        """Which of these ids are taken, and by whom (checked a thousand at a time)."""
        from sqlalchemy import select

        found: dict[UUID, Existing] = {}
        mine = tasks.c.user_id == user_id_of(self.user)
        for chunk in chunked(ids):
            stmt = select(
                tasks.c.id,
                mine.label("mine"),
                tasks.c.updated_at,
                tasks.c.number,
                tasks.c.completed,
            ).where(tasks.c.id.in_(chunk))
            for row in self.conn.execute(stmt):
                found[row.id] = Existing(
                    bool(row.mine), row.updated_at, row.number, bool(row.completed)
                )
        return found

    def done_in_series(self, series_ids: Sequence[UUID]) -> list[tuple[UUID, UUID, Any]]:
        """The user's done tasks of these series: (task id, series id, attributes)."""
        from sqlalchemy import select

        found = []
        for chunk in chunked(series_ids):
            stmt = select(tasks.c.id, tasks.c.series_id, tasks.c.attributes).where(
                self._owner, tasks.c.series_id.in_(chunk), tasks.c.completed.is_(True)
            )
            found += [(row.id, row.series_id, row.attributes) for row in self.conn.execute(stmt)]
        return found

    def take_id(self, old: UUID, new: UUID, *, open_only: bool = True) -> int | None:
        """The user's task `old` given the id `new`, which no task holds: its row,
        tags, notes and dependencies (both ways) as they were, under the new id and the
        same number (returned). Rows are keyed by it: the old go (one delete each) and
        the new come (one insert each), journaled as such, so undo puts the old id back.
        None, changing nothing, where `old` is not the user's open task (`open_only`),
        or not the user's task."""
        from sqlalchemy import delete, insert, or_, select

        which = select(tasks).where(self._owner, tasks.c.id == old)
        if open_only:
            which = which.where(tasks.c.completed.is_(False))
        found = self.conn.execute(which).mappings()
        row = found.one_or_none()
        if row is None:
            return None
        tags = self.conn.execute(select(task_tags).where(task_tags.c.task_id == old)).mappings()
        tag_rows = [dict(tag) | {"task_id": new} for tag in tags]
        notes = self.conn.execute(select(task_notes).where(task_notes.c.task_id == old)).mappings()
        note_rows = [dict(note) | {"task_id": new} for note in notes]
        links = self.conn.execute(
            select(task_dependencies).where(
                or_(task_dependencies.c.task_id == old, task_dependencies.c.depends_on_id == old)
            )
        ).mappings()
        link_rows = [
            {key: new if value == old else value for key, value in link.items()} for link in links
        ]
        # Deleted first: the number is the user's once (unique), and the delete takes
        # the tags, notes and links with it (ON DELETE CASCADE).
        self.conn.execute(delete(tasks).where(tasks.c.id == old))
        self.conn.execute(insert(tasks), [dict(row) | {"id": new}])
        for table, rows in ((task_tags, tag_rows), (task_notes, note_rows)):
            if rows:
                self.conn.execute(insert(table), rows)
        if link_rows:
            self.conn.execute(insert(task_dependencies), link_rows)
        return int(row["number"])

    def held_unseen(self, ids: Sequence[UUID]) -> set[UUID]:
        """Of these ids (none of them a task this user sees), those another user's task
        holds. Under row security only the primary key knows them: a stand-in row is
        inserted for each, ON CONFLICT DO NOTHING, inside a savepoint rolled back at
        once (nothing stays, the journal's rows neither); the ids it could not take
        are held. PostgreSQL only: elsewhere every task is seen (an empty set)."""
        from sqlalchemy import bindparam, select, text

        from todo_cli.domain.limits import COUNT_MAX
        from todo_cli.repository.users import user_id_of

        if not ids or self.conn.dialect.name != "postgresql":
            return set()
        me = self.conn.execute(select(user_id_of(self.user))).scalar()
        if me is None:
            return set()  # no task of theirs yet, and none taken in their name
        base = self.conn.execute(
            text("SELECT coalesce(max(number), 0) FROM tasks WHERE user_id = :me"), {"me": me}
        ).scalar_one()
        if base + len(ids) > COUNT_MAX:
            return set()  # no numbers left for stand-ins: the key still refuses, as ever
        probe = text(
            "INSERT INTO tasks (id, user_id, number, title, created_at, updated_at) "
            "SELECT w.id, :me, :base + w.n, 'stand-in', now(), now() "
            "FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS w(id, n) "
            "ON CONFLICT DO NOTHING RETURNING id"
        ).bindparams(bindparam("ids", expanding=False))
        savepoint = self.conn.begin_nested()
        try:
            taken = {row[0] for row in self.conn.execute(
                probe, {"me": me, "base": base, "ids": [str(i) for i in ids]}
            )}  # fmt: skip
        finally:
            savepoint.rollback()
        return set(ids) - {UUID(str(value)) for value in taken}

    def numbers_taken(self, numbers: Sequence[int]) -> set[int]:
        from sqlalchemy import select

        taken: set[int] = set()
        for chunk in chunked(numbers):
            stmt = select(tasks.c.number).where(self._owner, tasks.c.number.in_(chunk))
            taken |= {row[0] for row in self.conn.execute(stmt)}
        return taken

    def pruned(self) -> bool:
        """Whether the user's journal was ever pruned (`history --prune-before` keeps
        its own operation, which records nothing): the task deletes it held, and so
        which numbers deleted tasks held, may be gone from it."""
        from sqlalchemy import exists, select

        from todo_cli.db.schema import journal, operations, users

        recorded = exists(select(journal.c.id).where(journal.c.operation_id == operations.c.id))
        stmt = select(
            exists(
                select(operations.c.id).where(
                    operations.c.user_id
                    == select(users.c.id).where(users.c.name == self.user).scalar_subquery(),
                    operations.c.command.contains("--prune-before", autoescape=True),
                    ~recorded,
                )
            )
        )
        return bool(self.conn.execute(stmt).scalar())

    def todotxt_spaces(self) -> set[UUID]:
        """The namespaces the user's tasks keep their todo.txt line ids were made in
        (TODOTXT_SPACE_HINT): one a database, most often this one."""
        from sqlalchemy import Text, select, type_coerce

        from todo_cli.domain.fields import TODOTXT_SPACE_HINT

        # As text: compared as the JSON column, the pattern was bound as JSON too.
        marker = f'"{TODOTXT_SPACE_HINT}":"'
        stored = type_coerce(tasks.c.attributes, Text)
        stmt = select(tasks.c.attributes).where(
            self._owner, stored.contains(marker, autoescape=True)
        )
        found: set[UUID] = set()
        for (attributes,) in self.conn.execute(stmt):
            kept = (attributes or {}).get(TODOTXT_SPACE_HINT)
            if isinstance(kept, str):
                with contextlib.suppress(ValueError):
                    found.add(UUID(kept))
        return found

    def user_row_id(self) -> UUID | None:
        """The id of the user's row: None before their first write."""
        from sqlalchemy import select

        from todo_cli.db.schema import users

        stmt = select(users.c.id).where(users.c.name == self.user)
        found: UUID | None = self.conn.execute(stmt).scalar_one_or_none()
        return found

    def counter(self) -> int:
        """The last task number ever handed out to the user (0 before the first).

        Numbers at or below it were given once, to a task that may since be
        deleted: they are never given again. The user's row is locked
        (PostgreSQL) so that no `todo add` takes the next number meanwhile.
        """
        from sqlalchemy import select

        from todo_cli.db.schema import users

        stmt = select(users.c.task_counter).where(users.c.name == self.user).with_for_update()
        found = self.conn.execute(stmt).scalar_one_or_none()
        return int(found or 0)

    def open_in_series(self, series_ids: Sequence[UUID]) -> dict[UUID, tuple[UUID, int, Any]]:
        """The user's open task of each of these series: series id -> (task id, number,
        what it keeps of the series as Taskwarrior does, SERIES_HINT, or None)."""
        from sqlalchemy import select

        from todo_cli.domain.fields import SERIES_HINT

        found: dict[UUID, tuple[UUID, int, Any]] = {}
        for chunk in chunked(series_ids):
            stmt = select(tasks.c.series_id, tasks.c.id, tasks.c.number, tasks.c.attributes).where(
                self._owner, tasks.c.series_id.in_(chunk), tasks.c.completed.is_(False)
            )
            for row in self.conn.execute(stmt):
                found[row.series_id] = (row.id, row.number, (row.attributes or {}).get(SERIES_HINT))
        return found

    def reserve(self, count: int, at_least: int, now: datetime) -> tuple[Any, int]:
        """The user's id, and the first of `count` new numbers above `at_least` and the counter.

        The counter moves past every number an import keeps, so a number is
        never handed out twice.
        """
        from sqlalchemy import update

        from todo_cli.db.schema import users

        user_id, first = take_numbers(self.conn, self.user, "task_counter", count, now)
        if at_least >= first:  # numbers the import keeps reach past the counter
            first = at_least + 1
            self.conn.execute(
                update(users).where(users.c.id == user_id).values(task_counter=at_least + count)
            )
        return user_id, first

    def insert(
        self,
        rows: list[dict[str, Any]],
        tag_rows: list[dict[str, Any]],
        note_rows: list[dict[str, Any]],
    ) -> None:
        """New tasks with their tags and notes, in bulk (COPY on PostgreSQL)."""
        bulk_insert(self.conn, "tasks", rows)
        bulk_insert(self.conn, "task_tags", tag_rows)
        bulk_insert(self.conn, "task_notes", note_rows)

    def parts_of(self, ids: Sequence[UUID]) -> dict[UUID, Parts]:
        """The tags, notes and dependencies these tasks have now (a thousand at a time)."""
        from sqlalchemy import select

        found = {task_id: Parts() for task_id in ids}
        for chunk in chunked(ids):
            stmt: Any = select(task_tags.c.task_id, task_tags.c.tag)
            for row in self.conn.execute(stmt.where(task_tags.c.task_id.in_(chunk))):
                found[row.task_id].tags.add(row.tag)
            stmt = select(task_notes.c.task_id, task_notes.c.id, task_notes.c.created_at)
            stmt = stmt.add_columns(task_notes.c.text).where(task_notes.c.task_id.in_(chunk))
            for row in self.conn.execute(stmt):
                found[row.task_id].notes.append((row.id, row.created_at, row.text))
            stmt = select(task_dependencies.c.task_id, task_dependencies.c.depends_on_id)
            for row in self.conn.execute(stmt.where(task_dependencies.c.task_id.in_(chunk))):
                found[row.task_id].depends.add(row.depends_on_id)
        return found

    def replace_all(self, replacements: Sequence[Replacement]) -> None:
        """Tasks of the user's, each made what the import says: columns, tags, notes
        and dependencies (the last linked by :meth:`link`).

        Each replacement's ``held`` is what the task has now (:meth:`parts_of`).
        Only what differs is written: a tag, note or dependency a task keeps is
        not deleted and added again, which its history and an undo would show as
        a change. Every kind of write is one executemany over all the tasks, the
        tasks' rows first and in the order given (the database checks each
        statement: a task completed before the one its series opens), then the
        tags, notes and dependencies: one statement built per command rather
        than one per task, which made an import updating 100,000 tasks spend
        most of its time building statements.
        """
        from sqlalchemy import bindparam, delete, update

        if not replacements:
            return
        rows = [{"_task": task_id, **values} for task_id, values, *_ in replacements]
        if self.conn.dialect.name == "postgresql":
            # One statement for the tasks completed, then one for the rest: the
            # journal's statement trigger runs twice, not once a task (10,000
            # UPDATEs spent 6.8 s in it), and no task opened meets one the
            # file completes in the same series (each row is checked as written).
            completed = [row for row in rows if row["completed"]]
            others = [row for row in rows if not row["completed"]]
            for part in (completed, others):
                if part:
                    _update_unnest(self.conn, "tasks", "id", part)
        else:
            self.conn.execute(update(tasks).where(tasks.c.id == bindparam("_task")), rows)
        gone_tags: list[dict[str, Any]] = []
        new_tags: list[dict[str, Any]] = []
        gone_notes: list[UUID] = []
        new_notes: list[dict[str, Any]] = []
        gone_depends: list[dict[str, Any]] = []
        for task_id, _values, tags, notes, depends, held in replacements:
            wanted = set(tags)
            gone_tags += [{"_task": task_id, "_tag": t} for t in sorted(held.tags - wanted)]
            new_tags += [{"task_id": task_id, "tag": t} for t in tags if t not in held.tags]
            # A note is kept when one of the same time and text is wanted (each matched once).
            unmatched: dict[tuple[datetime, str], list[UUID]] = {}
            for note_id, created_at, text in held.notes:
                unmatched.setdefault((created_at, text), []).append(note_id)
            for note in notes:
                same = unmatched.get((note["created_at"], note["text"]))
                if same:
                    same.pop()
                else:
                    new_notes.append(note)
            gone_notes += sorted(note_id for ids in unmatched.values() for note_id in ids)
            kept = held.depends & set(depends)
            gone_depends += [
                {"_task": task_id, "_on": on} for on in sorted(held.depends - kept, key=str)
            ]
            self._kept_edges.update((task_id, on) for on in kept)
        if gone_tags:
            self.conn.execute(
                delete(task_tags).where(
                    task_tags.c.task_id == bindparam("_task"), task_tags.c.tag == bindparam("_tag")
                ),
                gone_tags,
            )
        if new_tags:
            self.conn.execute(task_tags.insert(), new_tags)
        for chunk in chunked(gone_notes):
            self.conn.execute(delete(task_notes).where(task_notes.c.id.in_(chunk)))
        if new_notes:
            self.conn.execute(task_notes.insert(), new_notes)
        if gone_depends:
            self.conn.execute(
                delete(task_dependencies).where(
                    task_dependencies.c.task_id == bindparam("_task"),
                    task_dependencies.c.depends_on_id == bindparam("_on"),
                ),
                gone_depends,
            )

    def holding(self, key: str) -> dict[UUID, dict[str, Any]]:
        """The user's tasks whose attributes have `key`, with their attributes."""
        from sqlalchemy import String, select, type_coerce

        # Attributes are JSON text on both backends, keys quoted: a LIKE finds the few.
        # (As text: the column's own type would encode the pattern as JSON.)
        stmt = select(tasks.c.id, tasks.c.attributes).where(
            self._owner, type_coerce(tasks.c.attributes, String).like(f'%"{key}"%')
        )
        return {row[0]: row[1] for row in self.conn.execute(stmt) if row[1] and key in row[1]}

    def mine(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of these ids are the user's tasks."""
        from sqlalchemy import select

        found: set[UUID] = set()
        for chunk in chunked(ids):
            stmt = select(tasks.c.id).where(owner_beside_ids(self.user), tasks.c.id.in_(chunk))
            found |= {row[0] for row in self.conn.execute(stmt)}
        return found

    def dependencies_of(self, ids: Sequence[UUID]) -> dict[UUID, set[UUID]]:
        """The tasks each of these waits on (checked a thousand at a time)."""
        from sqlalchemy import select

        found: dict[UUID, set[UUID]] = {}
        for chunk in chunked(ids):
            stmt = select(task_dependencies.c.task_id, task_dependencies.c.depends_on_id).where(
                task_dependencies.c.task_id.in_(chunk)
            )
            for row in self.conn.execute(stmt):
                found.setdefault(row.task_id, set()).add(row.depends_on_id)
        return found

    def set_attributes(self, attributes: Mapping[UUID, dict[str, Any] | None]) -> None:
        """These tasks' attributes, as given (nothing else of them changes)."""
        from sqlalchemy import bindparam, update

        if attributes:
            self.conn.execute(
                update(tasks)
                .where(self._owner, tasks.c.id == bindparam("task"))
                .values(attributes=bindparam("attributes")),
                [{"task": key, "attributes": value} for key, value in attributes.items()],
            )

    def link(self, edges: Sequence[tuple[UUID, UUID]]) -> list[tuple[UUID, UUID]]:
        """These dependencies, but for those an updated task kept (:meth:`replace`):
        the ones written."""
        edges = [edge for edge in edges if edge not in self._kept_edges]
        if edges:
            self.conn.execute(
                task_dependencies.insert(),
                [{"task_id": a, "depends_on_id": b} for a, b in edges],
            )
        return edges


def bulk_insert(conn: Connection, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Rows into `table` in one pass, on the command's connection and transaction.

    Every row has the same keys (whole rows: no column defaults are filled
    in). PostgreSQL: COPY, the rows taken one by one as they come, or one
    INSERT ... SELECT FROM unnest() where row security refuses COPY. SQLite:
    see _insert_sqlite.
    """
    from todo_cli.db.transaction import isolated

    if conn.dialect.name == "postgresql" and not isolated(conn):
        _copy_stream(conn, table, iter(rows))
        return
    rows = list(rows)
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _insert_unnest(conn, table, rows)
    else:
        _insert_sqlite(conn, table, rows)


def _copy_stream(conn: Connection, table: str, rows: Iterator[dict[str, Any]]) -> None:
    """COPY rows in as they come (none: no statement). The server stores each
    batch psycopg sends while the next rows are being made.

    Multi-row INSERTs spend most of their time in the driver splitting and
    binding 9,000-parameter statements; COPY streams rows in psycopg's C code,
    several times faster for 100,000 tasks.
    """
    first = next(rows, None)
    if first is None:
        return
    columns = list(first)
    raw: Any = conn.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in itertools.chain((first,), rows):
            stored = _json_as_text(row, conn.dialect)
            copy.write_row([stored[column] for column in columns])


def _json_as_text(row: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    """A row as COPY and unnest take it: no type processing runs there, so the JSON
    column (a task's attributes) is given as the text its own type would store."""
    attributes = row.get("attributes")
    if attributes is None:
        return row
    return row | {"attributes": JSONText().process_bind_param(attributes, dialect)}


def _unnest_arrays(
    conn: Connection, table: str, columns: list[str], rows: list[dict[str, Any]]
) -> tuple[str, list[list[Any]]]:
    """`unnest(...)`'s placeholders for these columns of `table`, one typed array each
    (`%s::text[]`), and the arrays: each column's values over the rows, the JSON
    column as the text its own type would store (_json_as_text)."""
    table_columns = tasks.metadata.tables[table].c
    arrays = ", ".join(
        f"%s::{table_columns[column].type.compile(dialect=conn.dialect)}[]" for column in columns
    )
    given = [_json_as_text(row, conn.dialect) for row in rows]
    return arrays, [[row[column] for row in given] for column in columns]


def _insert_unnest(conn: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows in as one INSERT of one array per column, unnested by the server: still
    one statement, where row-level security refuses COPY FROM."""
    columns = list(rows[0])
    arrays, values = _unnest_arrays(conn, table, columns, rows)
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})", values
        )


def _update_unnest(conn: Connection, table: str, key: str, rows: list[dict[str, Any]]) -> None:
    """Rows of `table` set to these values in one UPDATE from one array per column
    (PostgreSQL): each row's `_task` is its `key`. Every row has the same keys."""
    columns = [column for column in rows[0] if column != "_task"]
    arrays, values = _unnest_arrays(
        conn, table, [key, *columns], [row | {key: row["_task"]} for row in rows]
    )
    assignments = ", ".join(f"{column} = given.{column}" for column in columns)
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} "
            f"FROM unnest({arrays}) AS given({', '.join([key, *columns])}) "
            f"WHERE {table}.{key} = given.{key}",
            values,
        )


def _insert_sqlite(conn: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """The rows in as few statements as SQLite takes them, their values converted once.

    SQLAlchemy's executemany spends more time per row on its parameter
    bookkeeping than SQLite spends storing the row; the columns' own bind
    processors convert each value here, so what is stored is the same. Rows
    that share most columns go in from a JSON array (see _sqlite_json_arrays);
    the others through the driver's own executemany.
    """
    from todo_cli.db.engine import widen_sqlite_cache

    widen_sqlite_cache(conn)
    columns = list(rows[0])
    convert = _row_converter(conn, table, tuple(columns))
    raw: Any = conn.connection.driver_connection
    # Column by column: what rows share shows, and a column's values go on as they are.
    by_column = list(zip(*map(convert, rows), strict=True))
    varying = [
        index
        for index, values in enumerate(by_column)
        if values.count(values[0]) != len(values)  # C-speed: `is` before `==`
    ]
    # (One row, all of it shared, gains nothing: executemany.)
    if (
        0 < 2 * len(varying) <= len(columns)
        and _json_exact(by_column, varying)
        and _sqlite_json_arrays(raw)
    ):
        statement, constants = _insert_from_json(table, by_column, columns, varying)
        differing = [by_column[index] for index in varying]

        def insert() -> None:
            for start in range(0, len(rows), _JSON_CHUNK):
                end = start + _JSON_CHUNK
                chunk = list(zip(*(values[start:end] for values in differing), strict=True))
                raw.execute(statement, (json.dumps(chunk, ensure_ascii=False), *constants))

    else:
        placeholders = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"

        def insert() -> None:
            raw.executemany(statement, zip(*by_column, strict=True))

    _with_row_triggers_set_based(raw, table, insert)


# SQLite reads a JSON array of rows in one statement from 3.38 (json_each built
# in, `->>` giving SQL values). Passing only what differs from row to row that
# way, and what every row shares as parameters once, stores 100,000 bulk-added
# tasks in 0.4 s instead of 1.1 s for executemany, which binds every column of
# every row. (The JSON of 100,000 rows of all 27 columns is slower than that.)
# Asked of the first connection that needs it, once a process: [answer].
_JSON_ARRAYS: list[bool] = []


def _sqlite_json_arrays(raw: Any) -> bool:
    """Whether this SQLite reads a JSON array of rows: 3.38 or later, with the JSON
    functions it builds in unless left out at compile time (SQLITE_OMIT_JSON)."""
    if not _JSON_ARRAYS:
        import sqlite3

        readable = sqlite3.sqlite_version_info >= (3, 38, 0)
        if readable:
            try:
                probe = "SELECT value ->> 0 FROM json_each('[[1]]')"
                readable = raw.execute(probe).fetchall() == [(1,)]
            except sqlite3.Error:
                readable = False
        _JSON_ARRAYS.append(readable)
    return _JSON_ARRAYS[0]


# Rows per statement: the JSON text of a chunk stays a few MiB, far below
# SQLite's limit on one value (1 GB), however long the input.
_JSON_CHUNK = 50_000
# What JSON carries to SQLite exactly as binding would: text, integers (which
# JSON and SQLite both hold to 64 bits; our ints are numbers and counts) and
# NULL. A float might not come back to the same bits, bytes not at all.
_JSON_EXACT = frozenset({str, int, type(None)})


def _json_exact(by_column: list[tuple[Any, ...]], varying: list[int]) -> bool:
    return all(set(map(type, by_column[index])) <= _JSON_EXACT for index in varying)


def _insert_from_json(
    table: str, by_column: list[tuple[Any, ...]], columns: list[str], varying: list[int]
) -> tuple[str, list[Any]]:
    """INSERT ... SELECT from a JSON array of rows (?1) of the `varying` columns' values;
    every other column is the same for every row: its first value, one parameter each."""
    place = {index: offset for offset, index in enumerate(varying)}
    constants: list[Any] = []
    values = []
    for index, values_of_column in enumerate(by_column):
        if index in place:
            values.append(f"value ->> {place[index]}")
        else:
            constants.append(values_of_column[0])
            values.append(f"?{len(constants) + 1}")
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM json_each(?1) ORDER BY key"
    )
    return statement, constants


# Past this rowid SQLite may hand out rowids below the largest (it picks free
# ones at random once the largest possible is taken): new rows are no longer
# exactly those past the largest there was.
_ROWID_CEILING = 2**62


def _set_based_work(table: str) -> list[tuple[str, str]]:
    """The row triggers on inserts into `table` that a bulk insert does in one statement each.

    Each is (trigger, statement): the statement does for every row past a
    rowid (?1) at once what the trigger does for one row.
    """
    from todo_cli.db import journal_ddl
    from todo_cli.db.schema import sqlite_tag_count_bulk

    key = journal_ddl.JOURNALED.get(table)
    work = []
    if key is not None:
        columns = [column.name for column in tasks.metadata.tables[table].c]
        work.append(
            (
                journal_ddl.trigger_name(table, "insert"),
                journal_ddl.sqlite_journal_inserted(table, columns, key),
            )
        )
    if table == "task_tags":
        work.append(sqlite_tag_count_bulk())
    return work


def _with_row_triggers_set_based(raw: Any, table: str, insert: Callable[[], object]) -> None:
    """Run `insert` (new rows into `table`, SQLite) with its row triggers' work done in bulk.

    The journal's insert trigger writes one journal row per inserted row, a
    statement of its own each time: for a bulk add that was more than half of
    the command; the tag count's trigger updates a task per tag row. Here
    those triggers are taken off for `insert` alone, their work is done
    afterwards by one statement each over the new rows (the journal's images
    by journal_ddl.sqlite_journal_inserted, to the same operation), and the
    triggers are put back from their own text. This connection holds SQLite's
    write lock for the whole transaction, so no other writer's rows can slip
    in while they are off, and other connections only ever see the committed
    state: the triggers, and every row journaled and counted.

    Should `insert` fail (or be interrupted) partway, the work is done for
    the rows it did insert and the triggers put back all the same before the
    error goes on, as the triggers would have left it: the caller's rollback
    takes it all back, and a caller that goes on is journaled as ever. (A
    savepoint around it all would be simpler, but SQLite then keeps a copy of
    every page each row's statement touches until the savepoint ends: with
    the tag count's updates that made an import's tags three times slower.)
    """
    from todo_cli.db import journal_ddl

    found = dict(
        raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            (table,),
        ).fetchall()
    )
    steps = [
        (trigger, statement) for trigger, statement in _set_based_work(table) if trigger in found
    ]
    (last,) = raw.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}").fetchone()
    if not steps or last >= _ROWID_CEILING:
        insert()  # the triggers, whatever they are, do what they do
        return

    def catch_up() -> None:
        raw.execute(journal_ddl.SQLITE_OPEN_OPERATION)
        for trigger, statement in steps:
            raw.execute(statement, (last,))
            raw.execute(found[trigger])

    for trigger, _ in steps:
        raw.execute(f"DROP TRIGGER {trigger}")
    try:
        insert()
    except BaseException:
        # Should the connection fail too (a full disk), the error to report is the
        # first, and the caller's rollback puts the triggers back with the rest.
        with contextlib.suppress(Exception):
            catch_up()
        raise
    catch_up()


def _row_converter(
    conn: Connection, table: str, columns: tuple[str, ...]
) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function turning a row into the driver's tuple, written out for these columns.

    A loop over (column, processor) pairs costs more per row than the processors
    themselves; a generated function with each processor called by name, and plain
    columns passed through, makes 100,000 rows about twice as fast. A processed
    value that is the very object of the row before (a bulk add's user, its
    one time, a flag) is not processed again: processors are pure. Column names
    come from the schema, never from input.
    """
    table_columns = tasks.metadata.tables[table].c
    namespace: dict[str, Any] = {"_unset": object()}
    state: list[str] = []
    body: list[str] = []
    parts = []
    for index, column in enumerate(columns):
        processor = table_columns[column].type.bind_processor(conn.dialect)
        if processor is None:
            parts.append(f"row[{column!r}]")
            continue
        namespace[f"p{index}"] = processor
        state += [f"seen{index}", f"made{index}"]
        body += [
            f"        value = row[{column!r}]",
            f"        if value is not seen{index}:",
            f"            seen{index}, made{index} = value, p{index}(value)",
        ]
        parts.append(f"made{index}")
    if not state:
        exec("def make():\n    return lambda row: (" + ", ".join(parts) + ",)\n", namespace)
    else:
        source = [
            "def make():",
            "    " + " = ".join(state) + " = _unset",
            "    def convert(row):",
            "        nonlocal " + ", ".join(state),
            *body,
            "        return (" + ", ".join(parts) + ",)",
            "    return convert",
        ]
        exec("\n".join(source) + "\n", namespace)
    converter: Callable[[dict[str, Any]], tuple[Any, ...]] = namespace["make"]()
    return converter
