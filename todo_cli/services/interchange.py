"""`todo export` and `todo import`: our own JSON, Taskwarrior and todo.txt.

Every format converts through one task record (formats/interchange.py). An
import reads the whole input first (bounded: a JSON array element by element,
lines one at a time, each with a size cap), and nothing is written if any of
it is wrong, unless skipping is asked for. Then it is one transaction, and
one undoable operation: tasks are matched by id, so importing the same file
twice changes nothing; a task whose `updated_at` is newer than ours updates
ours; an older one is left alone.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar
from uuid import UUID

from todo_cli.db.schema import changed_at
from todo_cli.db.transaction import acting_user, isolated, transaction
from todo_cli.domain.dates import local_date
from todo_cli.domain.fields import ENDED_RECUR_HINT, SERIES_HINT, kept_depends
from todo_cli.domain.ids import is_uuid, new_id, new_ids
from todo_cli.domain.limits import IMPORTED_NUMBER_MAX
from todo_cli.errors import Conflict, InvalidInput, Refused
from todo_cli.formats.interchange import INTEGER_MAX, ImportBatch, Problem, TaskRecord
from todo_cli.repository.tasks import (
    Existing,
    ImportWriter,
    Replacement,
    TaskQuery,
    TaskRepository,
    new_row,
)
from todo_cli.services.common import Report, deliver

if TYPE_CHECKING:
    from todo_cli.domain.fields import Task
    from todo_cli.formats.jsonstream import Readable
    from todo_cli.formats.taskwarrior import Held
    from todo_cli.settings import Settings

Format = Literal["json", "taskwarrior", "todotxt"]
_T = TypeVar("_T")
NOTHING_IMPORTED = "nothing was imported"
# Reasons a task of the file is skipped, as the summary counts them.
SKIP_INVALID = "invalid"
SKIP_SECOND_OPEN = "a second open task of a recurring series"
SKIP_DONE_HERE = "an open copy of a task done here"


# --- tasks and records ---------------------------------------------------------------


def record_of(task: Task) -> TaskRecord:
    """A task as every format sees it."""
    return TaskRecord(
        id=task.id,
        number=task.number,
        title=task.title,
        description=task.description,
        completed=task.completed,
        completed_at=task.completed_at,
        created_at=task.created_at,
        updated_at=task.updated_at,
        priority=task.priority,  # type: ignore[arg-type]
        due=task.due,
        wait=task.wait,
        project=task.project,
        tags=task.tags,
        notes=task.notes,
        depends=task.depends,
        recur=task.recur,
        series_id=task.series_id,
        recur_anchor=task.recur_anchor,
        recur_index=task.recur_index,
        attributes=dict(task.attributes or {}),
    )


def _columns(record: TaskRecord) -> dict[str, Any]:
    """The task columns a record sets (besides id, user and number)."""
    recurring = record.recur is not None
    anchor = record.recur_anchor or (record.due if recurring else None)
    return {
        "title": record.title,
        "description": record.description,
        "completed": record.completed,
        "completed_at": record.completed_at if record.completed else None,
        "created_at": record.created_at,
        "updated_at": _stored_change(record),
        "priority": record.priority,
        "due": record.due,
        "wait": record.wait,
        "project": record.project,
        "recur": record.recur,
        "series_id": record.series_id or (new_id() if recurring else None),
        "recur_anchor": anchor,
        "recur_index": record.recur_index
        if record.recur_index is not None
        else (0 if recurring else None),
        "attributes": dict(record.attributes) or None,
    }


def _stored_change(record: TaskRecord) -> datetime:
    """The time of change a task of the file is stored with (see _columns): never
    before its creation. Taskwarrior gives a recurring instance its template's
    `modified`, older than the instance's own `entry`: compared as the file has
    it, the file's copy read older than itself on the next import ("changed here
    since the file's copy", of a task nobody changed)."""
    return max(record.updated_at, record.created_at)


def _check(record: TaskRecord, where: str) -> Problem | None:
    """What the database would refuse, caught here so the error can name the task."""
    from todo_cli.domain.dates import within_calendar
    from todo_cli.domain.models import validate_task
    from todo_cli.domain.text import check_text

    if record.completed and record.completed_at is None:
        return Problem(where, "completed_at", "a completed task needs completed_at")
    for name in ("due", "wait", "created_at", "updated_at", "completed_at", "recur_anchor"):
        value = getattr(record, name)
        if value is not None and not within_calendar(value):
            # As `due:` refuses it: no zone near the calendar's ends could show it.
            return Problem(where, name, f"{value.isoformat()} is out of range")
    if record.recur is not None and record.due is None:
        return Problem(where, "recur", "a recurring task needs a due date")
    if record.recur_index is not None and record.recur_index > INTEGER_MAX:
        # Reached by a series far behind, caught up from a Taskwarrior index near the end.
        return Problem(
            where, "recur_index", f"is larger than {INTEGER_MAX}, the largest the database holds"
        )
    try:
        validate_task(
            {"title": record.title, "description": record.description, "tags": list(record.tags)}
        )
    except InvalidInput as exc:
        return Problem(where, None, exc.message)
    for index, note in enumerate(record.notes, 1):
        # (A NUL was stored on SQLite and failed the whole import on PostgreSQL,
        # unnamed: a backup that one backend took and the other could not restore.)
        try:
            check_text(note.text, f"note {index}")
        except InvalidInput as exc:
            return Problem(where, "notes", exc.message)
    if record.attributes:
        problem = _check_attributes(record.attributes)
        if problem is not None:
            return Problem(where, "attributes", problem)
    return None


def _check_attributes(attributes: Mapping[str, Any]) -> str | None:
    """Why the database cannot store what a task keeps from another tool, if it cannot.

    A lone surrogate (``"\\ud800"`` in a JSON file) is no UTF-8: the write failed
    as "this is a bug" for the whole import, where the same in a title is refused.
    """
    from todo_cli.domain.text import escaped

    for key, value in attributes.items():
        for what, text in (("name", key), *(("value", part) for part in _strings(value))):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return f"'{escaped(key)}': its {what} is not valid UTF-8"
    return None


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, its objects' keys too."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# --- reading ------------------------------------------------------------------------


def read(
    source: str,
    *,
    fmt: Format | Literal["auto"],
    tz: tzinfo,
    today: date,
    skip_invalid: bool = False,
    archive: Path | None = None,
    held: Held | None = None,
) -> tuple[Format, ImportBatch]:
    """The records of `source` (a path, or `-` for stdin) and the format they were in.

    `archive`: todo.sh's done.txt beside a todo.txt (:func:`done_beside`), read first
    when `source` is todo.txt, its positions "done.txt line N". `held`: the user's
    open task of each of some series (see formats.taskwarrior.read).

    With `skip_invalid`, a line of a line-oriented input (todo.txt, JSON Lines) that
    cannot be read at all (not UTF-8, not JSON) is a problem of the batch, as an invalid
    task is, and the lines after it are read; without, it refuses the whole input. A
    JSON array with a mistake in it refuses the whole input either way: nothing after
    the mistake can be told apart. A line too long to read is always refused.
    """
    unreadable: list[Problem] = []

    def bad_line(where: str, reason: str) -> None:
        unreadable.append(Problem(where, None, reason))

    on_bad = bad_line if skip_invalid else None
    try:
        chosen, batch = _read(
            source, fmt=fmt, tz=tz, today=today, on_bad=on_bad, archive=archive, held=held
        )
    except InvalidInput as exc:
        # Every refusal says what it left as it was, as the one-line error's "(what to do)".
        if exc.hint:
            raise
        raise InvalidInput(exc.message, hint=NOTHING_IMPORTED) from None
    if unreadable:
        batch.problems[:0] = unreadable
    return chosen, batch


def _no_lone_json_value(lines: Iterator[tuple[int, str]], name: str) -> Iterator[tuple[int, str]]:
    """The lines of a stream, refused when all they hold is JSON values that are no
    task list: `jq .tasks file` of a document without them prints `null` (`jq
    '.a, .b'` two of them), and a script imported a task titled "null" (a file
    named *.json is refused the same way). Checked as the lines go by: the first
    that is no JSON value (a todo.txt line) ends the check."""
    import json

    values, other = 0, False
    for number, text in lines:
        if not other and text.strip():
            try:
                value = json.loads(text)
            except ValueError:
                other = True
            else:
                other = isinstance(value, list | dict)
                values += 1
        yield number, text
    if values and not other:
        # As a file named *.json holding it is refused (see _read).
        raise InvalidInput(
            f"{name} holds no JSON array or object (expected a JSON array or JSON Lines of tasks)",
            hint="for a todo.txt task of that text, pass --format todotxt; " + NOTHING_IMPORTED,
        )


def _streamed(source: str) -> bool:
    """Whether `source` is read as it comes (stdin, a pipe, `<(...)`), no file."""
    import os
    import stat

    if source == "-":
        return True
    try:
        return not stat.S_ISREG(os.stat(source).st_mode)
    except OSError:
        return False


def _read(
    source: str,
    *,
    fmt: Format | Literal["auto"],
    tz: tzinfo,
    today: date,
    on_bad: Callable[[str, str], None] | None,
    archive: Path | None = None,
    held: Held | None = None,
) -> tuple[Format, ImportBatch]:
    from todo_cli.formats import jsonstream, owned, taskwarrior
    from todo_cli.formats.input import describe, open_binary

    line_bad = _numbered(on_bad, "line ")

    def as_todotxt(stream: Readable) -> tuple[Format, ImportBatch]:
        lines = jsonstream.iter_lines_passing_over(stream, name, line_bad)
        if fmt == "auto" and _streamed(source):
            lines = _no_lone_json_value(lines, name)
        return "todotxt", _todotxt(lines, archive, tz=tz, today=today, on_bad=on_bad)

    name = describe(source)
    if fmt == "auto":
        _refuse_a_database(source, name)
    stream = open_binary(source, hint=NOTHING_IMPORTED)
    try:
        start, replay = jsonstream.peek(stream, name)
        if jsonstream.starts_utf16(replay):
            raise _utf16(name)
        if start == "empty":
            # An empty todo.txt is a todo.txt (what `todo.sh archive` leaves when all is
            # done, what our export of no open tasks writes), and Taskwarrior's export
            # of no tasks with rc.json.array=off is empty: nothing to import, not an error.
            empty: Format
            if fmt != "auto":
                empty = fmt
            else:
                empty = "json" if source.lower().endswith(_JSON_NAMES) else "todotxt"
            if empty == "todotxt":
                # All done and archived: what todo.sh holds is in done.txt.
                return empty, _todotxt((), archive, tz=tz, today=today, on_bad=on_bad)
            return empty, ImportBatch()
        if fmt == "auto" and start == "other" and source.lower().endswith(_JSON_NAMES):
            # `null`, `42` or `"text"` in tasks.json is a JSON document of the wrong
            # kind (a script's mistake), not a todo.txt file of one task.
            raise InvalidInput(
                f"{name} holds no JSON array or object (expected a JSON array or "
                "JSON Lines of tasks)",
                hint=f"for a todo.txt file, pass --format todotxt; {NOTHING_IMPORTED}",
            )
        if fmt == "todotxt" or (fmt == "auto" and start == "other"):
            return as_todotxt(replay)
        if start == "array":
            items: Iterator[tuple[str, Any]] = (
                (f"task {index + 1}", obj) for index, obj in jsonstream.iter_array(replay, name)
            )
        elif start == "object" and jsonstream.opens_pretty_object(replay):
            items = (
                (f"task {index + 1}", obj) for index, obj in jsonstream.iter_values(replay, name)
            )
        elif start == "object":
            items = (
                (f"line {number}", obj)
                for number, obj in jsonstream.iter_json_lines(replay, name, on_bad=line_bad)
            )
        else:
            raise InvalidInput(
                f"{name} is not JSON (expected a JSON array or JSON Lines of tasks)",
                hint=f"for a todo.txt file, pass --format todotxt; {NOTHING_IMPORTED}",
            )
        try:
            first = next(items, None)
        except InvalidInput as exc:
            if fmt != "auto" or source.lower().endswith(_JSON_NAMES):
                raise
            # (Read again from its start: a file only. What a pipe gave is gone.)
            if not _streamed(source) and _bracketed_text(source):
                # A todo.txt line may start with "[" or "{" ("[work] call Bob", "[ ] call
                # Bob", "{draft} post"): not JSON after all. A bracket followed by what
                # JSON holds there is JSON with a mistake in it, told as such rather
                # than imported as lines.
                stream.close()
                stream = open_binary(source, hint=NOTHING_IMPORTED)
                return as_todotxt(stream)
            # Told it was JSON by its first character only: todo.txt may be meant.
            told = f"{exc.hint}; " if exc.hint else ""
            raise InvalidInput(
                exc.message,
                hint=f"{told}for a todo.txt file, pass --format todotxt; {NOTHING_IMPORTED}",
            ) from None
        if first is None:
            return ("json" if fmt == "auto" else fmt), ImportBatch()
        chosen: Format
        if fmt != "auto":
            chosen = fmt
        elif (chats := _chat_export(first[1])) is not None:
            raise InvalidInput(
                f"{name} is {chats} (conversations, not tasks)",
                hint=f"import it with todo chat-log import; {NOTHING_IMPORTED}",
            )
        elif owned.looks_like(first[1]):
            chosen = "json"
        elif isinstance(first[1], dict) and "uuid" in first[1]:
            chosen = "taskwarrior"
        elif (
            fmt == "auto"
            and not _streamed(source)
            and not source.lower().endswith(_JSON_NAMES)
            and not isinstance(first[1], dict)
            and not _json_throughout(source)
        ):
            # "[1] Draft the plan": a todo.txt line whose bracket reads as JSON up to
            # its close, the words after it being no JSON.
            stream.close()
            stream = open_binary(source, hint=NOTHING_IMPORTED)
            return as_todotxt(stream)
        else:
            # Not an object: todo.txt's "[1] Draft the plan" read from a pipe, or JSON
            # of something else; the way out for the first is said.
            told = (
                "pass --format"
                if isinstance(first[1], dict)
                else "for a todo.txt file, pass --format todotxt"
            )
            raise InvalidInput(
                f"{name}: {first[0]} is neither a todo task (id, title) "
                "nor a Taskwarrior task (uuid, description)",
                hint=f"{told}; {NOTHING_IMPORTED}",
            )
        everything = _chain(first, items)
        if chosen == "taskwarrior":
            return chosen, taskwarrior.read(everything, tz=tz, held=held)
        return chosen, owned.read(everything)
    except RecursionError:
        raise InvalidInput(f"{name} is nested too deeply", hint=NOTHING_IMPORTED) from None
    finally:
        if source != "-":
            stream.close()


def _chat_export(first: Any) -> str | None:
    """Which chat export a file's first element says it is, if it is one: given to
    `todo import`, its conversations read as tasks of ours or of Taskwarrior (ids,
    titles, uuids), each with a list of fields tasks lack."""
    if not isinstance(first, dict):
        return None
    if "mapping" in first and ("create_time" in first or "current_node" in first):
        return "a ChatGPT export"
    if "chat_messages" in first:
        return "a Claude export"
    return None


def _refuse_a_database(source: str, name: str) -> None:
    """An SQLite file (an llm logs.db, a todo database) is no file of tasks: said so,
    not read as todo.txt lines that are not UTF-8."""
    import os
    import stat

    from todo_cli.formats.chats import SQLITE_HEADER

    if source == "-":
        return
    try:
        # A regular file only: what is read of a pipe (`<(...)`) is gone for the reader.
        if not stat.S_ISREG(os.stat(source).st_mode):
            return
        with open(source, "rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError:
        return  # opened again to be read, which says what is wrong
    if header == SQLITE_HEADER:
        raise InvalidInput(
            f"{name} is an SQLite database, not a file of tasks",
            hint="an llm logs.db is imported with todo chat-log import; a todo database is "
            f"used with --db sqlite:///PATH and its tasks exported; {NOTHING_IMPORTED}",
        )


def _utf16(name: str) -> InvalidInput:
    return InvalidInput(
        f"{name} is UTF-16 text (it starts with UTF-16's byte order mark); todo reads UTF-8",
        hint=f"save it as UTF-8, e.g. with iconv -f UTF-16 -t UTF-8; {NOTHING_IMPORTED}",
    )


def _todotxt(
    lines: Iterable[tuple[int, str]],
    archive: Path | None,
    *,
    tz: tzinfo,
    today: date,
    on_bad: Callable[[str, str], None] | None,
) -> ImportBatch:
    """todo.txt's lines, after those of its done.txt when there is one (see done_beside)."""
    from todo_cli.formats import jsonstream, todotxt
    from todo_cli.formats.input import open_binary

    identities = todotxt.Identities()
    if archive is None:
        alone = todotxt.read(lines, tz=tz, today=today, identities=identities)
        alone.explicit = identities.explicit
        alone.alike = identities.alike_groups()
        return alone

    with open_binary(str(archive), hint=NOTHING_IMPORTED) as stream:
        if stream.seekable():  # a FIFO is judged by its text
            head = stream.read(2)
            stream.seek(0)
            if head in (b"\xff\xfe", b"\xfe\xff"):
                raise _utf16(str(archive))
        archived = jsonstream.iter_lines_passing_over(
            stream, str(archive), _numbered(on_bad, _ARCHIVE_WHERE)
        )
        batch = todotxt.read(
            archived, tz=tz, today=today, identities=identities, source="done.txt", archive=True
        )
    found = len(batch.records) + len(batch.problems)
    batch.absorb(todotxt.read(lines, tz=tz, today=today, identities=identities))
    # A done line of done.txt and the next line a tool wrote in todo.txt: one series.
    todotxt.join_series(batch, identities, tz)
    batch.explicit = identities.explicit
    batch.alike = identities.alike_groups()
    batch.notices.insert(
        0, f"also read {archive}, todo.sh's archive of done tasks: {found} line(s)"
    )
    return batch


def _numbered(
    on_bad: Callable[[str, str], None] | None, where: str
) -> Callable[[int, str], None] | None:
    """A line-number callback for the readers, telling ``on_bad`` the line's position."""
    if on_bad is None:
        return None
    return lambda number, reason: on_bad(f"{where}{number}", reason)


# File names that say "JSON": auto-detection does not read them as todo.txt.
_JSON_NAMES = (".json", ".jsonl", ".ndjson")


# How much of a file _json_throughout parses whole.
MAX_JSON_SNIFF = 8 * 1024 * 1024


def _bracketed_text(source: str) -> bool:
    """Whether the file's "[" or "{" opens text ("[work] call Bob", "[ ] call Bob",
    "{draft} post"), not a JSON array or object."""
    with open(source, "rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    after = head[1:].lstrip(b" \t\r\n")
    if head[:1] == b"{":
        # An object opens with a key or closes at once; a word is text, and so is one
        # after an empty object on its line ("{} placeholder").
        if after[:1] == b"}":
            rest = after[1:].lstrip(b" \t")
            return bool(rest) and rest[:1] not in b"\r\n"
        return bool(after) and after[:1] != b'"'
    if after[:1] == b"]":
        # An empty array ends its line; words after it on the line are a task's.
        rest = after[1:].lstrip(b" \t")
        return bool(rest) and rest[:1] not in b"\r\n"
    # An array of tasks (or of their JSON Lines' kin) opens with one of these; a
    # todo.txt tag in brackets opens with a word.
    return bool(after) and after[:1] not in b'{["]'


def _json_throughout(source: str) -> bool:
    """Whether the file is one JSON value, or JSON Lines (its first line one value).

    Asked only of a file whose first element is no task, so an error either way: it
    tells whether to say so as JSON or to read the file as todo.txt."""
    from todo_cli.formats import jsonstream

    with open(source, "rb") as handle:
        head = handle.read(MAX_JSON_SNIFF + 1)
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    if len(head) <= MAX_JSON_SNIFF:
        with contextlib.suppress(ValueError, RecursionError):
            jsonstream.loads(text)
            return True
    first = text.lstrip().split("\n", 1)[0]
    try:
        jsonstream.loads(first)
    except (ValueError, RecursionError):
        return False
    return True


def _chain(first: tuple[str, Any], rest: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    yield first
    yield from rest


# --- importing -------------------------------------------------------------------------


@dataclass
class Imported:
    """What an import did (or, with --dry-run, would do)."""

    format: str
    added: int = 0
    updated: int = 0
    # The next tasks of series the file completed (as `todo done` makes them).
    created: int = 0
    # Tasks of the user's that the file has as deleted since they last changed here.
    deleted: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    # A number of the file that one new task held, and the one it has here.
    renumbered: dict[int, int] = field(default_factory=dict)
    # Every task renumbered, by id: its number in the file and the one it has here.
    # Where several tasks of one file held a number (two exports joined), its
    # entry in `renumbered` would say which of them, so it is left to this one.
    renumbered_ids: dict[UUID, tuple[int, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    dry_run: bool = False
    # Tasks deleted here that the file brought back (not reported: their links are).
    came_back: set[UUID] = field(default_factory=set)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count


class _DryRun(Exception):
    """Carries the result out of a transaction that must not commit."""

    def __init__(self, result: Imported) -> None:
        super().__init__("dry run")
        self.result = result


def import_tasks(
    settings: Settings,
    source: str,
    *,
    fmt: Format | Literal["auto"] = "auto",
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    report: Report[Imported] | None = None,
) -> Imported:
    from todo_cli.domain.dates import local_zone
    from todo_cli.formats.input import describe

    tz = local_zone()
    archive = done_beside(source)
    unread = _done_not_read(source) if archive is None else None
    chosen, batch = read(
        source,
        fmt=fmt,
        tz=tz,
        today=datetime.now(tz).date(),
        skip_invalid=skip_invalid,
        archive=archive,
        held=_open_here(settings),
    )
    if chosen != "todotxt":
        archive = unread = None
    result = Imported(format=chosen, dry_run=dry_run, notices=list(batch.notices))
    if unread is not None:
        result.notices.insert(0, unread)
    for reason, count in batch.skipped.items():
        result.skip(reason, count)
    records = list(batch.records)
    problems = list(batch.problems)
    rejected = set(batch.rejected)
    checked: list[TaskRecord] = []
    for index, record in enumerate(records, 1):
        # Where the reader found it: a position in the file counts every element of
        # it, those not imported (deleted, templates) too, as the reader's own do.
        where = batch.positions.get(record.id, f"task {index}")
        problem = _check(record, f"{where} ({record.id})")
        if problem is None:
            checked.append(record)
        else:
            problems.append(problem)
            rejected.add(record.id)
    if problems and not skip_invalid:
        ImportBatch(problems=problems).raise_for_problems(describe(source))
    for problem in problems:
        result.problems.append(str(problem))
    if problems:
        # Tasks are counted, not problems: a task with two bad fields is one task left
        # out (each problem is still listed). A problem's position names its task.
        result.skip(SKIP_INVALID, len({problem.where for problem in problems}))
    try:
        with transaction(settings) as conn:
            by_content = chosen == "todotxt"
            if batch.same_occurrence or batch.pending_places:
                _same_occurrence(conn, acting_user(conn), batch, result)
            if batch.explicit is not None:
                checked, rejected = _owned_ids(conn, acting_user(conn), checked, batch, rejected)
            if batch.alike:
                checked = _alike_matched(conn, acting_user(conn), checked, batch, tz)
            if batch.twins:
                checked = _reopened_twins(conn, acting_user(conn), checked, batch, result)
            if batch.done_twins:
                checked = _done_twins(conn, acting_user(conn), checked, batch, result)
            if batch.next_of:
                checked = _next_in_series(conn, acting_user(conn), checked, batch.next_of)
            if batch.series_moved:
                checked = checked + _series_moved_here(
                    conn, acting_user(conn), batch.series_moved, batch.positions
                )
            if any(record.depends for record in checked):
                checked = _without_cycles(
                    conn, acting_user(conn), checked, batch.positions, result, rejected,
                    source=describe(source), skip_invalid=skip_invalid,
                )  # fmt: skip
            known: dict[UUID, Existing] | None = None
            if batch.deleted:
                # Which tasks are newer is judged on ours as they were before the
                # import's own deletes: deleting a task moves the time of change of
                # those that waited on it, which would make their newer copies in
                # the file look older than ours, and left out.
                known = ImportWriter(conn, acting_user(conn)).existing([r.id for r in checked])
                # A series the file carries on (an open recurring task of it: its
                # template lives there) does not end with the instance deleted there.
                alive = {
                    r.series_id
                    for r in checked
                    if r.series_id is not None and r.recur is not None and not r.completed
                }
                # What each task waits on there: linked, or kept (on a task the file
                # has deleted, which the reader keeps with it: DEPENDS_HINT).
                depends_there = {
                    r.id: {*map(str, r.depends), *kept_depends(r.attributes)} for r in checked
                }
                _deleted_there(conn, acting_user(conn), batch.deleted, result, alive, depends_there)
            _apply(
                conn,
                acting_user(conn),
                checked,
                result,
                progress,
                known=known,
                ended_at={task_id: when for task_id, (_, when) in batch.deleted.items() if when},
                by_content=by_content,
                from_taskwarrior=chosen == "taskwarrior",
                exact=chosen == "json",
                written_at=_written_at_of(source, archive, batch) if by_content else None,
                positions=batch.positions,
                rejected=rejected,
                skip_invalid=skip_invalid,
            )
            if not (result.added or result.updated):
                from todo_cli.repository import recording

                recording.discard_if_empty(conn)
            if dry_run:
                raise _DryRun(result)
            return deliver(report, result)
    except _DryRun as rolled_back:
        return deliver(report, rolled_back.result)
    except Refused as exc:
        # Under row security another member's tasks are invisible, so the check of
        # _apply cannot see that an id of the file is theirs: the primary key says so.
        if exc.constraint == "pk_tasks":
            held = _held_by_another(settings, [record.id for record in checked])
            if held:
                # Named as where todo sees every user's tasks (_apply).
                raise _theirs_refused(held, batch.positions) from None
            raise InvalidInput(
                f"a task of {describe(source)} is already in this database, under another user",
                hint=f"its id is taken; {NOTHING_IMPORTED}",
            ) from None
        raise


def _theirs_refused(ids: list[UUID], positions: Mapping[UUID, str] | None = None) -> InvalidInput:
    """The refusal of a file holding other users' tasks: all of them named (the first
    few, and how many), where one at a time a file of many took as many tries; with
    --json every one, where in the file, as the problems of any refused import."""
    more = ""
    if len(ids) > 1:
        shown = ", ".join(str(task_id) for task_id in ids[1:6])
        rest = f" and {len(ids) - 6:,} more" if len(ids) > 6 else ""
        more = f" (and {len(ids) - 1:,} more: {shown}{rest})"
    error = InvalidInput(
        f"task {ids[0]} is already in this database, under another user{more}",
        hint=NOTHING_IMPORTED,
    )
    error.details["problems"] = [
        {
            "where": f"{(positions or {}).get(task_id, 'a task')} ({task_id})",
            "field": "id",
            "message": "is already in this database, under another user",
        }
        for task_id in ids
    ]
    return error


class _Held(Exception):
    def __init__(self, task_ids: list[UUID]) -> None:
        self.task_ids = task_ids


def _held_by_another(settings: Settings, ids: list[UUID]) -> list[UUID]:
    """These ids another user's tasks hold, asked of the key (row security hides their
    tasks) in a transaction of its own, rolled back: the import refused for them names
    them, as ones seen are named."""
    try:
        with transaction(settings) as conn:
            writer = ImportWriter(conn, acting_user(conn))
            existing = writer.existing(ids)
            held = writer.held_unseen([task_id for task_id in ids if task_id not in existing])
            raise _Held([task_id for task_id in ids if task_id in held])
    except _Held as found:
        return found.task_ids


def _owned_ids(
    conn: Any,
    user: str,
    records: list[TaskRecord],
    batch: ImportBatch,
    rejected: set[UUID],
) -> tuple[list[TaskRecord], set[UUID]]:
    """todo.txt's derived ids made the user's (formats.todotxt.owned_id), everywhere the
    batch names them: two users' "Buy milk" were one id, the second import refused as
    "already in this database, under another user" (which, where members are kept
    apart, told one whether another has a task of those words).

    A new task's id is made in the namespace of the user's name: two databases that
    import the same file give its lines the same ids, and stay one set of tasks when
    synced by our JSON. Where row security keeps members apart, the name is no
    secret (any member could work the ids out and ask the primary key): there it is
    the namespace of the user's row's random id, which no other member reads. The
    task keeps its namespace (TODOTXT_SPACE_HINT), so that restored or synced into
    another database by our JSON, where the user's row has another id or the user
    another name, its line still finds it. A line finds the task of this user's that
    has, or had (deleted here: it stays deleted), any of the ids it may have been
    given: the line's own (before ids were the user's), the name's, or one in a
    namespace the user's tasks keep; only then is it new.
    """
    from todo_cli.db.transaction import isolated
    from todo_cli.domain.fields import TODOTXT_SPACE_HINT
    from todo_cli.formats.todotxt import name_namespace, owned_id, user_namespace
    from todo_cli.repository.journal import JournalRepository
    from todo_cli.repository.users import take_numbers

    named = {record.id for record in records} | set(batch.positions) | rejected
    named |= set(batch.twins) | {twin for twins in _each_once(batch.twins) for twin in twins}
    named |= set(batch.done_twins) | {pair[0] for pair in batch.done_twins.values()}
    named |= set(batch.next_of) | set(batch.next_of.values())
    named |= {task_id for group in batch.alike for task_id in group}
    derived = sorted(named - (batch.explicit or set()), key=str)
    if not derived:
        return records, rejected
    writer = ImportWriter(conn, user)
    space = name_namespace(user)
    if isolated(conn):
        user_id = writer.user_row_id()
        if user_id is None:  # the member's first write: their row (and its id) made now
            user_id, _ = take_numbers(conn, user, "task_counter", 0, datetime.now(UTC))
        space = user_namespace(user_id)
    # (Each namespace with the hex the task made in it keeps: None for the name's.)
    spaces: dict[UUID, str | None] = {name_namespace(user): None}
    spaces |= {kept: kept.hex for kept in writer.todotxt_spaces() if kept != space}
    candidates = {
        old: [(old, None), *((owned_id(old, s), kept) for s, kept in spaces.items())]
        for old in derived
    }
    existing = writer.existing([task_id for each in candidates.values() for task_id, _ in each])
    mine = {task_id for task_id, found in existing.items() if found.mine}
    deleted = {
        task_id
        for task_id, _, _, by_undo in JournalRepository(conn, user).task_deletes()
        if not by_undo
    }
    made: dict[UUID, tuple[UUID, str | None]] = {}
    for old in derived:
        found = [pair for pair in candidates[old] if pair[0] in mine]
        found = found or [pair for pair in candidates[old] if pair[0] in deleted]
        # A new task keeps its namespace, the name's too: restored under another name
        # (another login on another machine), its line finds it there.
        made[old] = found[0] if found else (owned_id(old, space), space.hex)
    ids = {old: task_id for old, (task_id, _) in made.items()}
    kept_in = {task_id: space for task_id, space in made.values() if space is not None}

    def own(task_id: UUID) -> UUID:
        return ids.get(task_id, task_id)

    _renamed(batch, own)
    owned = []
    for record in records:
        if record.id in ids:
            task_id = ids[record.id]
            record = replace(record, id=task_id)
            if task_id in kept_in:
                attributes = {**record.attributes, TODOTXT_SPACE_HINT: kept_in[task_id]}
                record = replace(record, attributes=attributes)
        owned.append(record)
    return owned, {own(task_id) for task_id in rejected}


def _same_occurrence(conn: Any, user: str, batch: ImportBatch, result: Imported) -> None:
    """The open task of a series here that the file does not hold takes the uuid of the
    file's pending instance in its place (formats.taskwarrior._same_place): one
    occurrence, one task on both sides, as `todo done` makes the next task with the
    uuid of the instance Taskwarrior had made, where it knows it."""
    writer = ImportWriter(conn, user)
    taken = _taken(writer, batch.same_occurrence.values())
    for old, new in sorted(batch.same_occurrence.items(), key=lambda pair: str(pair[1])):
        where = batch.positions.get(new, str(new))
        if new in taken:
            continue  # a task already (imported apart): the file's copy is that task
        number = writer.take_id(old, new)
        if number is None:
            raise Conflict(
                f"{where}: the open task of its recurring series here changed while the "
                "file was read; nothing was imported",
                hint="run the import again",
            )
        result.notices.append(
            f"{where}: the instance Taskwarrior made for the date of #{number}, the open "
            f"task of its series here: one task, and #{number} takes its uuid"
        )
    _done_in_their_places(writer, batch, result)


def _taken(writer: ImportWriter, ids: Iterable[UUID]) -> set[UUID]:
    """Which of these ids a task holds, anyone's: seen, or (under row security) held
    by another member's task, which only the primary key knows."""
    wanted = sorted(ids, key=str)
    taken = set(writer.existing(wanted))
    return taken | writer.held_unseen([task_id for task_id in wanted if task_id not in taken])


def _done_in_their_places(writer: ImportWriter, batch: ImportBatch, result: Imported) -> None:
    """A task of a series done here, made by `todo done` after the last import (its
    uuid todo's own), in the place of a pending instance of the file that Taskwarrior
    made since: one occurrence, which the done task is (it takes the instance's uuid,
    as the open one does in _same_occurrence). Left apart, the instance stayed
    pending there beside ours done, and done there too it came back as a second
    completion of one date."""
    from todo_cli.domain.fields import IMASK_HINT, SERIES_HINT

    in_file = set(batch.positions) | set(batch.deleted)
    in_file |= {task_id for places in batch.pending_places.values() for task_id in places.values()}
    pairs: dict[UUID, UUID] = {}
    for task_id, series_id, attributes in writer.done_in_series(sorted(batch.pending_places)):
        if task_id in in_file:
            continue
        kept = attributes or {}
        place = kept.get(IMASK_HINT)
        if place is None and isinstance(kept.get(SERIES_HINT), dict):
            place = kept[SERIES_HINT].get("imask")
        if not isinstance(place, int) or isinstance(place, bool):
            continue
        instance = batch.pending_places.get(series_id, {}).get(place)
        if instance is not None and instance not in batch.same_occurrence.values():
            pairs[task_id] = instance
    if not pairs:
        return
    taken = _taken(writer, pairs.values())
    for old, new in sorted(pairs.items(), key=lambda pair: str(pair[1])):
        if new in taken:
            continue
        number = writer.take_id(old, new, open_only=False)
        if number is None:
            continue  # gone meanwhile: the instance stays as the file has it
        where = batch.positions.get(new, f"instance {new}")
        result.notices.append(
            f"{where}: the instance Taskwarrior made for the date of #{number}, done here: "
            f"one task, and #{number} takes its uuid"
        )


def _deleted_there(
    conn: Any,
    user: str,
    deleted: dict[UUID, tuple[str, datetime | None]],
    result: Imported,
    alive: set[UUID] | None = None,
    depends_there: Mapping[UUID, set[str]] | None = None,
) -> None:
    """The user's tasks that the file has as deleted: deleted here too, as `todo delete`
    would, unless changed here since (or the file does not say when): those are left.

    Kept, a task deleted in Taskwarrior would come back there with the next export.
    Each one deleted here counts as deleted, no longer as skipped; undo brings it back.
    ``depends_there``: the dependencies of the file's tasks; one of ours on a task
    deleted so is kept with it (DEPENDS_HINT), as Taskwarrior keeps it.
    """
    from todo_cli.formats.taskwarrior import SKIP_DELETED

    writer = ImportWriter(conn, user)
    found = writer.existing(sorted(deleted, key=str))
    doomed: list[UUID] = []
    kept: list[str] = []
    for task_id, it in sorted(found.items(), key=lambda item: item[1].number):
        if not it.mine:
            continue
        where, when = deleted[task_id]
        if when is not None and when > it.updated_at:
            doomed.append(task_id)
        else:
            kept.append(f"#{it.number} ({where})")
    if kept:
        result.notices.append(
            f"{len(kept)} task(s) deleted in the file left as they are: changed here since "
            f"(or the file does not say when it was deleted): {', '.join(kept)}"
        )
    if not doomed:
        return
    repository = TaskRepository(conn, user, lean=True)
    found_tasks = repository.by_ids(doomed)
    if depends_there:
        _keep_dependencies_on(writer, repository, set(doomed), depends_there)
    # Deleted, the open task of a series ends it (as `todo delete`), unless the file
    # carries the series on: its done tasks kept their recurrence there, and lost it
    # here while the file's next open task went on repeating.
    going_on = [t for t in found_tasks if alive and t.series_id in alive]
    gone = repository.delete_ending_series([t for t in found_tasks if t not in going_on])
    gone += repository.delete_tasks(going_on)
    result.deleted += len(gone)
    left = result.skipped.get(SKIP_DELETED, 0) - len(gone)
    if left > 0:
        result.skipped[SKIP_DELETED] = left
    else:
        result.skipped.pop(SKIP_DELETED, None)
    result.notices.append(
        "deleted here, as the file has them deleted: "
        + ", ".join(f"#{t.number}" for t in sorted(gone, key=lambda t: t.number))
    )


def _keep_dependencies_on(
    writer: ImportWriter,
    repository: TaskRepository,
    doomed: set[UUID],
    depends_there: Mapping[UUID, set[str]],
) -> None:
    """Our dependencies on tasks about to be deleted as the file has them deleted, where
    the file's copy of the waiting task still has them: kept with it (DEPENDS_HINT).

    Taskwarrior keeps a dependency on a deleted task (`task undo` brings the task
    back). Linked here, it went with the task deleted here, though the import said it
    was kept, and the next export took it away there from a task nobody changed.
    """
    from todo_cli.domain.fields import with_kept_depends

    named = {str(task_id) for task_id in doomed}
    waiting = {
        task_id: {UUID(uuid) for uuid in gone}
        for task_id, depends in depends_there.items()
        if (gone := named & depends)
    }
    if not waiting:
        return
    linked = writer.dependencies_of(sorted(waiting, key=str))
    keep = {
        task_id: sorted(str(d) for d in gone & linked.get(task_id, set()))
        for task_id, gone in waiting.items()
    }
    keep = {task_id: uuids for task_id, uuids in keep.items() if uuids}
    if keep:
        writer.set_attributes(
            {
                task.id: with_kept_depends(task.attributes or {}, keep[task.id])
                for task in repository.by_ids(sorted(keep, key=str))
            }
        )


def _open_here(settings: Settings) -> Held:
    """The user's open task of each of some series (series id -> task id, SERIES_HINT):
    asked while the file is read (before the import's own transaction, which writes)."""

    def open_here(series_ids: Sequence[UUID]) -> dict[UUID, tuple[UUID, Any]]:
        with transaction(settings, read_only=True) as conn:
            found = ImportWriter(conn, acting_user(conn)).open_in_series(series_ids)
        return {series_id: (task_id, hint) for series_id, (task_id, _, hint) in found.items()}

    return open_here


def _without_cycles(
    conn: Any,
    user: str,
    records: list[TaskRecord],
    positions: dict[UUID, str],
    result: Imported,
    rejected: set[UUID],
    *,
    source: str,
    skip_invalid: bool,
) -> list[TaskRecord]:
    """The tasks of the file whose dependencies make a cycle, told before anything is
    written: by position and field, refusing the import, or with --skip-invalid left
    out (each named; a task that waits on one is told as skipped with it).

    The file's dependencies are taken over ours for its tasks; the check made once
    the import is written (_refuse_cycles) still has the last word.
    """
    from todo_cli.domain.graph import find_cycle, shown_path

    graph: dict[UUID, list[UUID]] = {}
    for waiting, waited in TaskRepository(conn, user, lean=True).dependency_edges():
        graph.setdefault(waiting, []).append(waited)
    for record in records:
        graph[record.id] = list(record.depends)
    mine = {record.id for record in records}
    left_out: set[UUID] = set()
    found: list[Problem] = []
    while (cycle := find_cycle(graph, sorted(mine - left_out, key=str))) is not None:
        members = [task_id for task_id in cycle[:-1] if task_id in mine]
        if not members:
            break  # a cycle of ours alone, not this file's: _refuse_cycles tells it
        # A task of the file by its place there, one already here by its number.
        here = [task_id for task_id in cycle if task_id not in positions]
        numbers = {
            task.id: f"#{task.number}"
            for task in TaskRepository(conn, user, lean=True).by_ids(here)
        }
        path = shown_path(
            [positions.get(task_id) or numbers.get(task_id, str(task_id)) for task_id in cycle]
        )
        problems = [
            Problem(
                f"{positions.get(task_id, 'a task')} ({task_id})",
                "depends",
                f"makes a cycle: {path}",
            )
            for task_id in members
        ]
        # Every cycle is found before the import is refused: each one named at once,
        # not one per run.
        found += problems
        for task_id in members:
            left_out.add(task_id)
            graph.pop(task_id, None)
    if found and not skip_invalid:
        ImportBatch(problems=found).raise_for_problems(source)
    result.problems.extend(str(problem) for problem in found)
    if not left_out:
        return records
    result.skip(SKIP_INVALID, len(left_out))
    rejected.update(left_out)
    return [record for record in records if record.id not in left_out]


def _alike_matched(
    conn: Any, user: str, records: list[TaskRecord], batch: ImportBatch, tz: tzinfo
) -> list[TaskRecord]:
    """Lines alike (the same words and creation day, no uuid:) matched to the tasks here
    that they still are, rather than by their order.

    Such lines get their ids by their order, and the order changes when todo.sh
    archives one: `do` then `archive` moves the done line to done.txt, read first, so
    it took the open task's id and the open line the done one's: both "updated",
    done and open swapped. Here a line keeps the task its order gives it when that
    task is as the line says (done or open, and the day it was done); the others
    take, among the ids of their set, a task that is; any line left keeps an id of
    the set. Only sets whose every line is a task here: which is which is all that
    is in question. Lines still in their order change nothing.
    """
    by_id = {record.id: record for record in records}
    groups = [[by_id[i] for i in group if i in by_id] for group in batch.alike]
    groups = [members for members in groups if len(members) > 1]
    if not groups:
        return records
    ids = sorted({record.id for members in groups for record in members}, key=str)
    here = {task.id: task for task in TaskRepository(conn, user, lean=True).by_ids(ids)}

    def state(it: TaskRecord | Task) -> tuple[bool, date | None]:
        # Done or not, and the day: what `do` and `archive` change. (Not the priority:
        # `pri` keeps a line where it is, so the order holds.)
        if it.completed_at is None or not it.completed:
            return (False, None)
        return (True, local_date(it.completed_at, tz))

    moved: dict[UUID, UUID] = {}
    for members in groups:
        if any(record.id not in here for record in members):
            # A line of the set new here (added again, or reopened and written back
            # beside its archived copy): _reopened_twins and _done_twins tell those.
            continue
        # A line keeps its own task when that task is as the line says; the other lines
        # take, in their order, the tasks left that are as they say; those still left
        # keep their own id if free, else the first id free (a new task, or one changed).
        taken: dict[UUID, UUID] = {}  # a line's id -> the id it takes
        used: set[UUID] = set()
        waiting: dict[tuple[bool, date | None], list[UUID]] = {}
        for record in members:
            task = here.get(record.id)
            if task is not None and state(task) == state(record):
                taken[record.id] = record.id
                used.add(record.id)
        for record in members:
            task = here.get(record.id)
            if record.id not in used and task is not None:
                waiting.setdefault(state(task), []).append(record.id)
        for record in members:
            if record.id in taken:
                continue
            matching = waiting.get(state(record), [])
            while matching and matching[0] in used:
                matching.pop(0)
            if matching:
                taken[record.id] = matching.pop(0)
                used.add(taken[record.id])
        free = [record.id for record in members if record.id not in used]
        for record in members:
            if record.id not in taken:
                own = record.id if record.id in free else free[0]
                free.remove(own)
                taken[record.id] = own
        moved |= {line: task_id for line, task_id in taken.items() if line != task_id}
    if not moved:
        return records

    def new(task_id: UUID) -> UUID:
        return moved.get(task_id, task_id)

    _renamed(batch, new)  # a permutation of each set's ids
    return [replace(record, id=new(record.id)) for record in records]


def _renamed(batch: ImportBatch, rename: Callable[[UUID], UUID]) -> None:
    """Every id the batch's maps hold renamed: they follow the records' ids."""
    batch.positions = {rename(key): where for key, where in batch.positions.items()}
    batch.twins = _twins_renamed(batch.twins, rename)
    batch.done_twins = {
        rename(key): (rename(alone), where) for key, (alone, where) in batch.done_twins.items()
    }
    batch.next_of = {rename(key): rename(done) for key, done in batch.next_of.items()}
    batch.alike = [[rename(task_id) for task_id in group] for group in batch.alike]


def _each_once(twins: Mapping[UUID, list[UUID]]) -> Iterator[list[UUID]]:
    """The lists of `twins`, each once: the open lines of one set of words share
    theirs (formats.todotxt), and 10,000 lines alike would make 10,000 x 10,000."""
    return iter({id(shared): shared for shared in twins.values()}.values())


def _twins_renamed(
    twins: Mapping[UUID, list[UUID]], rename: Callable[[UUID], UUID]
) -> dict[UUID, list[UUID]]:
    """`twins` with every id renamed, the lists its lines share still shared."""
    renamed: dict[int, list[UUID]] = {}
    out = {}
    for key, shared in twins.items():
        if id(shared) not in renamed:
            renamed[id(shared)] = [rename(twin) for twin in shared]
        out[rename(key)] = renamed[id(shared)]
    return out


def _reopened_twins(
    conn: Any, user: str, records: list[TaskRecord], batch: ImportBatch, result: Imported
) -> list[TaskRecord]:
    """An open line of todo.txt, without uuid:, whose words a done line of done.txt has:
    that task reopened here (the database holds it open) or a task added again.

    Reopened here and written back, the line derives another id beside done.txt than
    alone: it takes the archived task's id, and its record replaces the archive's. A
    line whose own id is a task here already keeps it; one task is taken once.
    """
    wanted = {twin for twins in _each_once(batch.twins) for twin in twins}
    candidates = [r.id for r in records if r.id in batch.twins]
    repository = TaskRepository(conn, user, lean=True)
    here = {task.id: task for task in repository.by_ids(sorted(wanted | set(candidates), key=str))}
    from_lines = {
        r.id for r in records if not batch.positions.get(r.id, "").startswith(_ARCHIVE_WHERE)
    }
    taken: dict[UUID, UUID] = {}
    for record_id in candidates:
        if record_id in here:
            continue  # a task here already: this line is it
        for twin in batch.twins[record_id]:
            found = here.get(twin)
            if found is None or found.completed or twin in from_lines:
                continue
            if twin not in taken.values():
                taken[record_id] = twin
                break
    if not taken:
        return records
    archived = set(taken.values())
    kept = []
    for record in records:
        if record.id in archived:
            continue  # the archive's copy: the line of todo.txt holds it now
        reopened = taken.get(record.id)
        if reopened is not None:
            where = batch.positions.get(record.id, "a line")
            result.notices.append(
                f"{where}: the same task, open again, as {batch.positions.get(reopened)}: "
                "taken once, as this line has it"
            )
            batch.positions[reopened] = where
            record = replace(record, id=reopened)
        kept.append(record)
    return kept


def _next_in_series(
    conn: Any, user: str, records: list[TaskRecord], next_of: Mapping[UUID, UUID]
) -> list[TaskRecord]:
    """The next line a todo.txt tool wrote for a recurring task it completed goes in that
    task's series here: the file derives a series from the words, while the task's own
    (made here, its line carrying `uuid:`) is another, and the series went on twice."""
    here = TaskRepository(conn, user, lean=True).by_ids(sorted(set(next_of.values()), key=str))
    series = {task.id: task.series_id for task in here if task.series_id is not None}
    return [
        replace(record, series_id=series[next_of[record.id]])
        if record.id in next_of and next_of[record.id] in series
        else record
        for record in records
    ]


def _done_twins(
    conn: Any, user: str, records: list[TaskRecord], batch: ImportBatch, result: Imported
) -> list[TaskRecord]:
    """A done line of todo.txt with the words and day of a done line of done.txt: read
    as that archived task (its copy kept in todo.txt), unless the task this line would
    be alone is open here: the same words added again after the archive, and done
    (`todo.sh do`) the same day. That task is completed, and the archive's stays."""
    alone = {again: pair[0] for again, pair in batch.done_twins.items()}
    here = {
        task.id: task
        for task in TaskRepository(conn, user, lean=True).by_ids(sorted(alone.values(), key=str))
    }
    held = {record.id for record in records}
    kept = []
    for record in records:
        own = alone.get(record.id)
        task = here.get(own) if own is not None else None
        if own is not None and task is not None and not task.completed and own not in held:
            where = batch.done_twins[record.id][1]
            said = f"{where}: the same done task as "
            result.notices[:] = [n for n in result.notices if not n.startswith(said)]
            batch.positions[own] = where
            record = replace(record, id=own)
        kept.append(record)
    return kept


def _apply(
    conn: Any,
    user: str,
    records: list[TaskRecord],
    result: Imported,
    progress: Callable[[int], None] | None,
    *,
    by_content: bool,
    from_taskwarrior: bool = False,
    exact: bool = False,
    written_at: Callable[[UUID], datetime | None] | None = None,
    positions: dict[UUID, str] | None = None,
    rejected: set[UUID] | None = None,
    skip_invalid: bool = False,
    known: dict[UUID, Existing] | None = None,
    ended_at: Mapping[UUID, datetime] | None = None,
) -> None:
    """Write the records: new ones added, newer ones updated, the rest left alone.

    ``known``: which of the records' ids are taken, as they were before this
    import changed anything (else asked here).

    ``ended_at``: series whose recurring template the file has deleted, and when
    (Taskwarrior). A series of ours not changed here since has ended: its tasks
    repeat no more, as when its open task is deleted here (see
    TaskRepository.end_series), whether or not Taskwarrior changed them.

    ``by_content``: the format keeps no time of change (todo.txt), so a task
    is newer when what the format holds differs from ours (todo.sh's `pri`,
    `do` or an edit), and it takes the moment of the import; only what the
    format holds changes (a description, notes and dependencies stay). A task
    changed here after the file was last written (``written_at`` of the task's
    id: the modification time of the file it came from; none for stdin) is
    ours, newer, and left alone.

    A recurring series has one open task: an open task of the file whose series
    already has one here (or earlier in the file) is left out, and said so.

    ``rejected``: tasks of the file skipped as invalid; a dependency on one of them
    is left out, and said so.

    ``skip_invalid``: a task of the file that is another user's here is left out
    (as an invalid one, and said so) instead of refusing the import. (Under row
    security it is invisible: the database's key refuses it, and the import.)

    ``from_taskwarrior``: Taskwarrior keeps whole seconds and one text: a task of
    ours that went there and was changed there comes back with what it could not
    hold taken from ours (see _back_from_taskwarrior).

    ``exact``: the format holds every field as we do (our own JSON). A task of the
    file with our very time of change but other content was edited in the file
    by hand (ours has not changed since that time, so the file's copy is the
    later one): it is taken, its time of change as the file has it, and said so.
    (So each import of a file edited again and again takes its edits; a copy of
    the file from before an edit, imported after it, takes the old content back:
    the file imported last wins a tie, as one undo takes it back.)
    """
    from todo_cli.domain.dates import local_zone

    now = datetime.now(UTC)
    tz = local_zone()
    read_notices = len(result.notices)  # the reader's, about tasks as they were read
    writer = ImportWriter(conn, user)
    existing = writer.existing([record.id for record in records]) if known is None else known
    if skip_invalid and isolated(conn):
        # Another member's task is invisible under row security, yet its id is taken:
        # asked of the key, it is left out as one seen would be, not refusing the file.
        unseen = [record.id for record in records if record.id not in existing]
        for task_id in writer.held_unseen(unseen):
            existing[task_id] = Existing(mine=False, updated_at=now, number=0)
    if from_taskwarrior:
        records = _later_not_held(writer, records, result, positions or {})
    ours: dict[UUID, TaskRecord] = {}
    if by_content:
        mine = [record.id for record in records if (f := existing.get(record.id)) and f.mine]
        ours = _records_of(conn, user, mine)
    # What the file would write, in its order: new tasks and replacements of ours.
    writes: list[TaskRecord] = []
    # Ours as of the same moment, the file naming dependencies: see _mend_dependencies.
    tied: list[TaskRecord] = []
    kept_newer = timeless = 0
    # Ids of the file that are another user's tasks, left out (``skip_invalid``).
    foreign: set[UUID] = set()
    # ... or refused, all of them named (no ``skip_invalid``).
    theirs: list[UUID] = []
    older: list[UUID] = []
    # ... those from Taskwarrior: named only where they differ from ours (see below).
    older_there: list[TaskRecord] = []
    returning: list[UUID] = []
    # Ours as of the same moment, in a format that holds all of a task: see ``exact``.
    same_time: list[TaskRecord] = []
    # Not newer than ours, from Taskwarrior, with the series as Taskwarrior keeps it.
    hinted: list[TaskRecord] = []
    # Older than ours, in such a format: said to be left alone where they differ.
    before: list[TaskRecord] = []
    # Of a series the file ended (``ended_at``), and not newer than ours.
    ending: list[TaskRecord] = []
    # From Taskwarrior, changed in the very second ours last changed: said where they differ.
    same_second: list[TaskRecord] = []
    for record in records:
        found = existing.get(record.id)
        if found is None:
            writes.append(record)
        elif not found.mine:
            if not skip_invalid:
                theirs.append(record.id)
                continue
            # Theirs is not touched, nor linked to: left out like an invalid task.
            where = (positions or {}).get(record.id, "a task")
            result.problems.append(
                f"{where} ({record.id}): is already in this database, under another user"
            )
            result.skip(SKIP_INVALID)
            foreign.add(record.id)
        elif by_content:
            if not _differs(record, here := ours.get(record.id), tz) or _as_exported(
                record, here, tz
            ):
                result.unchanged += 1
            elif (file_time := None if written_at is None else written_at(record.id)) is None:
                # A pipe has no time: the line may be an edit made in todo.txt, or a
                # stale copy of a task changed here since. Taking it could undo that
                # change in silence; leaving it loses nothing and says so.
                timeless += 1
                result.unchanged += 1
            elif found.updated_at > file_time:
                kept_newer += 1
                result.unchanged += 1
            else:
                writes.append(_overlaid(ours[record.id], record, now, tz))
        elif (stored := _stored_change(record)) > found.updated_at:
            writes.append(record)
            if from_taskwarrior:
                returning.append(record.id)
        else:
            if ended_at and record.recur is None and ENDED_RECUR_HINT in record.attributes:
                ending.append(record)
            if from_taskwarrior and SERIES_HINT in record.attributes:
                hinted.append(record)
            if exact and record.updated_at < stored == found.updated_at:
                # Its time of change is before its creation: the file's copy is
                # older than ours as the file has it (stored at its creation, see
                # _stored_change, it read as of the same moment and was taken).
                before.append(record)
            elif exact and stored == found.updated_at:
                same_time.append(record)
            elif record.depends and stored == found.updated_at:
                tied.append(record)
            elif exact and stored < found.updated_at:
                before.append(record)
            elif from_taskwarrior and _same_second(stored, found.updated_at):
                # Taskwarrior keeps whole seconds: ours, written there, reads older. A
                # change made there in that second reads so too.
                if stored < found.updated_at:
                    same_second.append(record)
            elif stored < found.updated_at:
                older.append(record.id)
                if from_taskwarrior:
                    older_there.append(record)
            result.unchanged += 1
        if progress is not None:
            progress(1)
    if theirs:
        raise _theirs_refused(theirs, positions)
    # Ours numbered otherwise in a file of our own (edited there): an import numbers
    # no task of the user's again. Said: the rest of such a task was taken in silence.
    # Not where the file's number is another task's here (an import renumbered the
    # task when it came in, said then): a sync would say so at every import.
    numbered_otherwise = [
        (found.number, record.number)
        for record in (records if exact else [])
        if (found := existing.get(record.id)) is not None
        and found.mine
        and record.number is not None
        and record.number != found.number
    ]
    if numbered_otherwise:
        taken_here = writer.numbers_taken(sorted({there for _, there in numbered_otherwise}))
        numbered_otherwise = [pair for pair in numbered_otherwise if pair[1] not in taken_here]
    if numbered_otherwise:
        shown = ", ".join(
            f"#{mine} ({theirs} in the file)" for mine, theirs in numbered_otherwise[:5]
        )
        more = len(numbered_otherwise) - 5
        result.notices.append(
            f"{len(numbered_otherwise)} task(s) keep their number here, not the file's "
            f"(an import numbers no task of yours again): {shown}"
            + (f" and {more} more" if more > 0 else "")
        )
    numbers = {task_id: found.number for task_id, found in existing.items() if found.mine}
    if ending:
        assert ended_at is not None
        ended, already = _series_ended_there(conn, user, ending, existing, ended_at)
        writes += ended
        result.unchanged -= len(ended)
        gone = {record.id for record in ended} | already
        older = [task_id for task_id in older if task_id not in gone]
        if ended:
            result.notices.append(
                f"{len(ended)} task(s) repeat no more, as the file has the recurring template "
                f"of their series deleted: {_named(sorted(numbers[r.id] for r in ended))}"
            )
    if before:
        older += [record.id for record in _differing(conn, user, before, numbers)[0]]
    if same_time:
        differing, alike = _differing(conn, user, same_time, numbers)
        # Edited in the file without a new time of change: taken, and the import is
        # the change (SPEC: updated_at moves on every change). Kept at the file's
        # time, ours read as of the same moment as every other copy: the next
        # import of one (the other database of a sync, the backup) took that back,
        # and the edit was lost on both sides. (Just after ours where this clock is
        # behind it, another machine's: at now, the copies read newer than the edit.)
        writes += [
            replace(
                record,
                updated_at=max(changed_at(now, existing[record.id].updated_at), record.created_at),
            )
            for record in differing
        ]
        tied += [record for record in alike if record.depends]
        result.unchanged -= len(differing)
        if differing:
            result.notices.append(
                f"{len(differing)} task(s) edited in the file without a new updated_at, "
                f"taken: {_named([numbers[record.id] for record in differing])}"
            )
    if hinted:
        # Taskwarrior made more instances of a series (it runs ahead of the open task)
        # without changing the task: its copy is not newer, yet the series it keeps
        # beside it is. Taken, the task's content left as ours, so that our export
        # written back holds those instances and Taskwarrior makes none of them twice.
        held = _records_of(conn, user, [record.id for record in hinted])
        for record in hinted:
            here = held.get(record.id)
            hint = record.attributes[SERIES_HINT]
            if here is None or here.recur != record.recur:
                continue
            if _series_behind(hint, here.attributes.get(SERIES_HINT)):
                continue  # an older file's: the series has moved on since (kept)
            if here.attributes.get(SERIES_HINT) != hint:
                writes.append(replace(here, attributes={**here.attributes, SERIES_HINT: hint}))
                result.unchanged -= 1
    if returning:
        held = _records_of(conn, user, returning)
        back = [
            _back_from_taskwarrior(record, held[record.id]) if record.id in held else record
            for record in writes
        ]
        # Changed there and changed back (`task modify pri:L`, then `pri:H`): a later
        # time of change, but nothing to write. (Taken, it was an edit of nothing.)
        writes = [
            record
            for record in back
            if (had := held.get(record.id)) is None
            or _as_imported(record, had) != had
            or set(record.depends) != set(had.depends)
        ]
        result.unchanged += len(back) - len(writes)
    if exact:
        _successors_taken_back(conn, user, records, writes, existing, result, positions or {})
    left_out = _second_open_tasks(writer, writes, numbers)
    deletes: list[tuple[UUID, int, datetime, bool]] | None = None
    stay_deleted: dict[UUID, int] = {}
    if not exact and any(r.id not in existing and r.id not in left_out for r in writes):
        # A format that syncs (Taskwarrior, todo.txt) cannot say a task was deleted
        # here: its copy, unchanged since, would bring the task back on every import.
        # A task deleted here after the file's copy last changed stays deleted; one
        # changed there since comes back (with its number, in _insert).
        from todo_cli.repository.journal import JournalRepository

        deletes = JournalRepository(conn, user).task_deletes()
        # A task whose import an undo took back was never deleted here: the same
        # file imported again brings it back. (An undone add or `done` is a change
        # made here, later than the file's copy: that stands.)
        # (Oldest first: the latest delete of a task stands. The undo of an import
        # puts back what was before it, a delete of the task before it too.)
        latest = {
            task_id: (number, when) for task_id, number, when, undone in deletes if not undone
        }
        archived = _archived_done_here(conn, user, writes, existing, latest, positions, tz)
        for record in writes:
            if record.id in existing or record.id not in latest:
                continue
            number, deleted_at = latest[record.id]
            changed = (
                record.updated_at
                if not by_content
                else (None if written_at is None else written_at(record.id))
            )
            if (changed is not None and changed <= deleted_at) or record.id in archived:
                stay_deleted[record.id] = number
        if stay_deleted:
            writes = [r for r in writes if r.id not in stay_deleted]
            result.unchanged += len(stay_deleted)
            result.notices.append(
                f"{len(stay_deleted)} task(s) deleted here after the file's copy last "
                f"changed, left deleted: {_named(sorted(stay_deleted.values()))}"
            )
        if from_taskwarrior:
            writes = _ended_with_a_delete(conn, user, writes, existing, written_at, result)
    absent = {task_id for task_id in left_out if task_id not in existing} | foreign
    absent |= stay_deleted.keys()
    skipped = (
        dict.fromkeys(rejected or (), SKIP_INVALID)
        | dict.fromkeys(foreign, SKIP_INVALID)
        | dict.fromkeys(absent - foreign - stay_deleted.keys(), SKIP_SECOND_OPEN)
        | dict.fromkeys(stay_deleted, "deleted here")
    )
    of_file = [r for r in records if r.id not in absent]
    if from_taskwarrior:
        # Kept with the task as it is written: set after, an added task read in its
        # history as added and edited by the one import.
        kept = _kept_missing(writer, of_file, [r for r in writes if r.id not in left_out], skipped)
        writes = [replace(r, attributes=kept[r.id]) if r.id in kept else r for r in writes]
    new = [r for r in writes if r.id not in existing and r.id not in left_out]
    updates = [r for r in writes if r.id in existing and r.id not in left_out]
    # A task the file completes goes first, so that one it opens in the same
    # series never meets the old open one (the database checks each statement).
    parts = writer.parts_of([record.id for record in updates])
    # Our JSON's newer copy of a task replaces ours whole: a note added here, on the
    # copy changed earlier, goes with the update. Said, naming the tasks (undo brings
    # the notes back), rather than found out later in `todo show`.
    dropped: list[int] = []
    replacements: list[Replacement] = []
    for record in sorted(updates, key=lambda r: not r.completed):
        values = _columns(record) | {"number": existing[record.id].number}
        now_held = parts[record.id]
        # Taskwarrior's annotations are its notes too: a record from it holds the
        # notes of ours it matched, with our times (_back_from_taskwarrior).
        if (exact or from_taskwarrior) and now_held.notes:
            in_file = {(note.created_at, note.text) for note in record.notes}
            if any(
                (when, text) not in in_file
                # A note of whole seconds came from Taskwarrior (ours have their
                # microseconds, there too): removed there, it is no note added here.
                and not (from_taskwarrior and when.microsecond == 0)
                for _, when, text in now_held.notes
            ):
                dropped.append(existing[record.id].number)
        replacements.append(
            (record.id, values, record.tags, _notes(record), record.depends, now_held)
        )
    writer.replace_all(replacements)
    result.updated += len(updates)
    if dropped:
        result.notices.append(
            f"{len(dropped)} task(s) updated from the file's newer copy lose notes added "
            "here that the file does not have (removed there, or added here after its copy: "
            f"todo undo brings them back): {_named(dropped)}"
        )
    numbers |= _insert(writer, new, result, now, deletes)
    if by_content or exact:
        # Completed in todo.txt (todo.sh's `do`) or in our JSON by hand, which make
        # no next task of a recurring one: made here, as `todo done` would (unless
        # the file brought the series' open task itself).
        done_there = [r.id for r in updates if r.completed and not existing[r.id].completed]
        # todo.sh's `do` takes the priority off the line it completes (`x (A) ...` is
        # not todo.txt): the next task has the one the task had, as with `todo done`.
        priorities = {
            r.id: had.priority
            for r in updates
            if r.priority is None and (had := ours.get(r.id)) is not None and had.priority
        }
        _series_go_on(conn, user, done_there, result, positions or {}, tz, priorities)
    if result.renumbered_ids:
        holders = Counter(record.number for record in records)
        result.renumbered = {
            old: number for old, number in result.renumbered_ids.values() if holders[old] == 1
        }
    titles = {record.id: record.title for record in records if record.id in left_out}
    stale = 0
    for task_id, holder in left_out.items():
        where = (positions or {}).get(task_id, "a task")
        done_here = existing.get(task_id)
        if done_here is not None and done_here.completed:
            # The file's open copy of a task done here (a todo.txt line not yet written
            # again, or a copy reopened elsewhere): no second task; named as `list` does.
            result.notices.append(
                f"{where}: #{done_here.number} {titles[task_id]!r} is done here and its series "
                f"goes on as #{numbers[holder]}: the file's open copy of it is left out"
            )
            stale += 1
            continue
        result.notices.append(
            f"{where} ({task_id}): its series already has open #{numbers[holder]}; left out"
        )
    if stale:
        result.skip(SKIP_DONE_HERE, stale)
    if len(left_out) > stale:
        result.skip(SKIP_SECOND_OPEN, len(left_out) - stale)
    written = [r for r in writes if r.id not in left_out]
    _link(
        writer,
        of_file,
        written,
        result,
        skipped,
        keep_missing=from_taskwarrior,
    )
    # After the new tasks are in: a dependency left out before may point at one.
    mended = _mend_dependencies(writer, tied, result, skipped if exact else None)
    if result.added:
        # Only a task that arrives can be one a kept dependency names (one LIKE over
        # the user's tasks: not for an import that added nothing).
        _kept_dependencies_here(writer, records, written, result, counted=mended)
    if result.came_back:
        _waiting_again(writer, records, written, result, counted=mended)
    # A series the file ended changes by that (its tasks repeat no more), not by these.
    same_second = [r for r in same_second if not (ended_at and r.series_id in ended_at)]
    if same_second:
        unsure = _differ_from_ours(conn, user, same_second)
        if unsure:
            result.notices.append(
                f"{len(unsure)} task(s) left as they are: changed in Taskwarrior in the "
                "second they last changed here, which Taskwarrior cannot tell apart (it "
                "keeps whole seconds): " + _named([numbers[task_id] for task_id in unsure])
            )
    if older_there:
        # Ours written there with a newer `modified` and the content Taskwarrior had
        # (a `todo done` undone here): `task import` skips it, keeping its own older
        # stamp, and every later sync named the task as left alone, though the two
        # copies are the same.
        unlike = set(_differ_from_ours(conn, user, older_there))
        same_there = {record.id for record in older_there} - unlike
        older = [task_id for task_id in older if task_id not in same_there]
    if older:
        result.notices.append(
            f"{len(older)} task(s) left as they are: changed here since the file's copy "
            f"of them: {_named([numbers[task_id] for task_id in older])}"
        )
    if kept_newer:
        result.notices.append(
            f"{kept_newer} task(s) left as they are: changed here after the file was written"
        )
    if timeless:
        result.notices.append(
            f"{timeless} task(s) differ from the todo.txt read from a pipe, and were left as "
            "they are: a pipe has no time to tell which is newer (import the file by name, "
            "or as todo import - < FILE, to take its changes)"
        )
    _forget_notices_of_untouched(result, read_notices, records, written, tied, positions)


# How formats.taskwarrior tells what it keeps of a task beside its fields.
_KEPT = ": kept with the task"


def _later_not_held(
    writer: ImportWriter,
    records: list[TaskRecord],
    result: Imported,
    positions: dict[UUID, str],
) -> list[TaskRecord]:
    """The records, each series Taskwarrior keeps beside its open task (SERIES_HINT)
    without the pending instances that are tasks here already.

    A task done here and reopened in Taskwarrior is pending there beside the series'
    open task: filed as a later instance of it, our export would write its uuid twice
    (done, and pending). It stays as it is here, and is said to.
    """
    later = {
        UUID(raw["uuid"]): record
        for record in records
        if isinstance(hint := record.attributes.get(SERIES_HINT), dict)
        for raw in hint.get("later") or ()
        if isinstance(raw, dict) and isinstance(raw.get("uuid"), str) and is_uuid(raw["uuid"])
    }
    if not later:
        return records
    held = writer.existing(sorted(later, key=str))
    if not held:
        return records
    for task_id, found in sorted(held.items(), key=lambda item: item[1].number):
        carrier = later[task_id]
        where = positions.get(carrier.id, "a task")
        whose = f"#{found.number} here" if found.mine else "another user's task here"
        result.notices.append(
            f"{task_id}: pending in the file beside the open task of its series "
            f"({where}), is {whose}: left as it is (one open task per series)"
        )
    out = []
    for record in records:
        hint = record.attributes.get(SERIES_HINT)
        if isinstance(hint, dict) and any(later.get(task_id) is record for task_id in held):
            kept = [
                raw
                for raw in hint.get("later") or ()
                if not (isinstance(raw, dict) and _held_uuid(raw.get("uuid"), held))
            ]
            record = replace(
                record, attributes={**record.attributes, SERIES_HINT: {**hint, "later": kept}}
            )
        out.append(record)
    return out


def _held_uuid(text: object, held: Mapping[UUID, object]) -> bool:
    return isinstance(text, str) and is_uuid(text) and UUID(text) in held


def _forget_notices_of_untouched(
    result: Imported,
    read_notices: int,
    records: list[TaskRecord],
    written: list[TaskRecord],
    tied: list[TaskRecord],
    positions: dict[UUID, str] | None,
) -> None:
    """What the reader said it keeps of a task left as it is here ("project 'my project'
    is no project here: kept with the task") told of an import that did not happen to
    it: dropped. (What it said of how a line was matched stands.)"""
    if not positions or not result.notices[:read_notices]:
        return
    touched = {record.id for record in written} | {record.id for record in tied}
    untouched = {positions[r.id] for r in records if r.id not in touched and r.id in positions}
    if untouched:
        result.notices[:read_notices] = [
            notice
            for notice in result.notices[:read_notices]
            if notice.partition(": ")[0] not in untouched or _KEPT not in notice
        ]


def _series_go_on(
    conn: Any,
    user: str,
    completed: list[UUID],
    result: Imported,
    positions: dict[UUID, str],
    tz: tzinfo,
    priorities: Mapping[UUID, str] | None = None,
) -> None:
    """The next task of each recurring task the import completed, where its series has
    no open one (the file may hold one: a todo.txt tool that makes the next line).

    ``priorities``: the priority a task had before the file completed it without one.
    """
    if not completed:
        return
    from todo_cli.services.tasks import successor_values

    repository = TaskRepository(conn, user)
    for task in repository.by_ids(completed):
        if task.recur is None or repository.open_successor(task) is not None:
            continue
        try:
            values = successor_values(task, now=repository.now, tz=tz)
        except InvalidInput as exc:
            # A series that would run past the calendar: the line or task it is named.
            where = positions.get(task.id, f"#{task.number}")
            raise InvalidInput(
                f"{where}: #{task.number} {task.title!r} done: {exc.message}",
                hint=f"nothing was imported; {exc.hint}" if exc.hint else "nothing was imported",
            ) from None
        if values is None:
            # The series ends with it (Taskwarrior's until), as `todo done` ends it.
            if task.series_id is not None:
                repository.end_series([task.series_id])
            continue
        if priorities and task.id in priorities:
            values["priority"] = priorities[task.id]
        # Made at its completion, as `todo done` makes it: `reopen` knows the next task
        # its completion made by that time, and takes it back (not the import's time).
        made_at = task.completed_at
        maker = TaskRepository(conn, user, now=made_at) if made_at is not None else repository
        following = maker.add_taking(values, values.pop("id", None))
        result.created += 1
        assert following.due is not None  # a recurring task has one
        where = positions.get(task.id, f"#{task.number}")
        result.notices.append(
            f"{where}: #{task.number} {task.title!r} done, so its series goes on: "
            f"next #{following.number}, due {local_date(following.due, tz).isoformat()}"
        )


def _differing(
    conn: Any, user: str, records: list[TaskRecord], numbers: dict[UUID, int]
) -> tuple[list[TaskRecord], list[TaskRecord]]:
    """Of tasks of a file in our own format (the user's, numbered here as
    ``numbers`` says): those whose content differs from ours, and those alike.

    The number is no content: an import may have given the task another. Nor is a
    dependency the file names that we lack: it was left out when the task came in,
    its other end missing (see _mend_dependencies); one we have that the file
    lacks was taken out there.
    """
    alike: list[TaskRecord] = []
    if len(records) > _BY_TEXT:
        same = _alike_as_exported(conn, user, records, numbers)
        alike = [record for record in records if record.id in same]
        records = [record for record in records if record.id not in same]
    ours = _records_of(conn, user, [record.id for record in records])
    differing: list[TaskRecord] = []
    for record in records:
        mine = ours[record.id]  # the caller found each of them the user's
        if _as_imported(record, mine) == mine and set(mine.depends) <= set(record.depends):
            alike.append(record)
        else:
            differing.append(record)
    return differing, alike


def _series_moved_here(
    conn: Any, user: str, moved: Mapping[UUID, dict[str, Any]], positions: dict[UUID, str]
) -> list[TaskRecord]:
    """Open tasks here the file does not hold, each with the series Taskwarrior keeps
    beside it as the file has moved it on (batch.series_moved): records as they are
    but for that, which the import takes as it takes a series Taskwarrior ran ahead
    with (_apply's `hinted`), so that our export written back holds neither a done
    instance as pending nor the template's old mask."""
    found = _records_of(conn, user, list(moved))
    out = []
    for task_id, hint in moved.items():
        record = found.get(task_id)
        if record is None or record.completed or SERIES_HINT not in record.attributes:
            continue
        ours = record.attributes[SERIES_HINT]
        taken: dict[str, Any] | None = hint
        if _series_behind(hint, ours):
            taken = _past_ours(hint, ours)
            if taken is None:
                continue
        positions.setdefault(task_id, f"#{record.number}")
        out.append(replace(record, attributes={**record.attributes, SERIES_HINT: taken}))
    return out


def _past_ours(given: Mapping[str, Any], ours: Any) -> dict[str, Any] | None:
    """A series as the file keeps it that is behind ours only in what was done here
    since its import ('-' in its mask where ours has '+' or 'X': Taskwarrior has not
    heard of it yet), with places ours has not reached (instances Taskwarrior made
    meanwhile): ours, with those places and the later instances the file has there.
    Refused whole as behind, they were left out: the template went back with our
    shorter mask, and Taskwarrior made their dates again. None: behind otherwise."""
    if not isinstance(ours, dict) or given.get("recur") != ours.get("recur"):
        return None
    new, old = given.get("mask"), ours.get("mask")
    if not (isinstance(new, str) and isinstance(old, str)) or len(new) <= len(old):
        return None
    if any(n != o and not (n == "-" and o in "+X") for n, o in zip(new, old, strict=False)):
        return None
    return {**given, "mask": old + new[len(old) :]}


def _series_behind(given: Any, ours: Any) -> bool:
    """Whether a series as a file keeps it beside its open task (SERIES_HINT) is older
    than ours: an occurrence still open in its mask that ours has done or deleted
    ('-' where ours has '+' or 'X'), a shorter mask, or a later instance in an older
    copy than ours. Its task no newer than ours, such a file's series was taken all
    the same, and our export brought instances deleted in Taskwarrior back to life.
    """
    if not (isinstance(given, dict) and isinstance(ours, dict)):
        return False
    new, old = given.get("mask"), ours.get("mask")
    if given.get("recur") != ours.get("recur") or not (
        isinstance(new, str) and isinstance(old, str)
    ):
        return False  # another recurrence: no count of occurrences to compare
    if len(new) < len(old) or any(o not in "-W" and n != o for n, o in zip(new, old, strict=False)):
        return True
    if new != old:
        return False
    ours_later = {
        item.get("uuid"): item.get("modified")
        for item in ours.get("later") or ()
        if isinstance(item, dict)
    }
    return any(
        isinstance(item, dict)
        and isinstance(item.get("modified"), str)
        and isinstance(ours_later.get(item.get("uuid")), str)
        and item["modified"] < ours_later[item.get("uuid")]
        for item in given.get("later") or ()
    )


def _records_of(conn: Any, user: str, ids: list[UUID]) -> dict[UUID, TaskRecord]:
    """The user's tasks with these ids, as every format sees them."""
    return {task.id: record_of(task) for task in TaskRepository(conn, user, lean=True).by_ids(ids)}


def _named(numbers: list[int], shown: int = 5) -> str:
    """A few tasks by number, to look at: "#4, #9, #12 and 3 more"."""
    named = ", ".join(f"#{number}" for number in sorted(numbers)[:shown])
    return named + (f" and {len(numbers) - shown} more" if len(numbers) > shown else "")


def _as_imported(record: TaskRecord, mine: TaskRecord) -> TaskRecord:
    """The record as importing it over ``mine`` would store it (see _columns), but for
    what is no content: the number, the time of change, the dependencies."""
    stored = _columns(record)
    return replace(
        record,
        number=mine.number,
        updated_at=mine.updated_at,
        depends=mine.depends,
        completed_at=stored["completed_at"],
        recur_anchor=stored["recur_anchor"],
        recur_index=stored["recur_index"],
        # A recurring task the file gives no series joins a new one (_columns makes
        # one up): any series is it.
        series_id=record.series_id or (mine.series_id if record.recur is not None else None),
    )


# Past this many tasks to compare, ours are read as the export writes them (about
# 1.5 s for all of 100,000) rather than one by one (ten times that).
_BY_TEXT = 5000
_ID_FIRST = '{"id":"'


def _alike_as_exported(
    conn: Any, user: str, records: list[TaskRecord], numbers: dict[UUID, int]
) -> set[UUID]:
    """The records whose object in our export is ours, byte for byte (but the number).

    An export of ours is byte-identical to itself imported and exported again: a
    task of the file just as we have it writes the same object. One that does not
    is compared field by field (see _differing): it may still be alike.
    """
    from todo_cli.formats import owned

    wanted = {record.id: record for record in records}
    repository = TaskRepository(conn, user, lean=True)
    everything = TaskQuery(status="all", waiting="include", sort="number")
    same: set[UUID] = set()
    for text in _encoded(repository.exported(everything)):
        if not text.startswith(_ID_FIRST):
            continue  # not as our writer puts it: compared field by field
        task_id = UUID(text[len(_ID_FIRST) : len(_ID_FIRST) + 36])
        record = wanted.get(task_id)
        if record is not None and owned.encode_numbered(record, numbers[task_id]) == text:
            same.add(task_id)
    return same


def _back_from_taskwarrior(record: TaskRecord, ours: TaskRecord) -> TaskRecord:
    """Our task, written to Taskwarrior and changed there, as the file has it now.

    What Taskwarrior could not hold is ours again where the file still says the
    same: a description (written there as an annotation at created_at: the
    annotation of that text and time is the description, not a new note), and
    the fractions of a second of created_at, completed_at and the notes' times
    (Taskwarrior keeps whole seconds: the same second is the same time), and a
    recurrence after completion (Taskwarrior has none: ours went there as the cadence
    it writes for it, and the file still has that).
    """
    from todo_cli.domain.fields import IMASK_HINT
    from todo_cli.formats.taskwarrior import (
        DUE_HINT,
        MODIFIED_HINT,
        RECUR_HINT,
        recur_to_taskwarrior,
    )

    changes: dict[str, Any] = {}
    if ours.recur is not None and record.recur is not None and record.recur != ours.recur:
        there = record.attributes.get(RECUR_HINT) or recur_to_taskwarrior(record.recur)[0]
        if there == recur_to_taskwarrior(ours.recur)[0]:
            changes["recur"] = ours.recur
            attributes = {k: v for k, v in record.attributes.items() if k != RECUR_HINT}
            if RECUR_HINT in ours.attributes:
                attributes[RECUR_HINT] = ours.attributes[RECUR_HINT]
            changes["attributes"] = attributes
    if _same_second(record.created_at, ours.created_at):
        changes["created_at"] = ours.created_at
    if (
        record.completed_at is not None
        and ours.completed_at is not None
        and _same_second(record.completed_at, ours.completed_at)
    ):
        changes["completed_at"] = ours.completed_at
    notes = list(record.notes)
    if ours.description is not None and record.description is None:
        for note in notes:
            if note.text == ours.description and _about(note.created_at, ours.created_at):
                notes.remove(note)
                changes["description"] = ours.description
                break
    unclaimed = list(ours.notes)
    kept = []
    for note in notes:
        # Its own second first: of two notes of one text, the other one's time (a few
        # seconds before) was taken for the one Taskwarrior kept, and written back so.
        mine = next(
            (
                n
                for n in unclaimed
                if n.text == note.text and _same_second(note.created_at, n.created_at)
            ),
            None,
        ) or next(
            (n for n in unclaimed if n.text == note.text and _about(note.created_at, n.created_at)),
            None,
        )
        if mine is not None:
            unclaimed.remove(mine)
        kept.append(mine or note)
    if kept != list(record.notes):
        changes["notes"] = tuple(kept)
    there = record.attributes.get(DUE_HINT)
    if (
        record.due != ours.due
        and ours.due is not None
        and isinstance(there, str)
        and DUE_HINT not in ours.attributes
        and _instant(there) == ours.due
    ):
        # A due at 00:00 set here (`due:2027-05-10T00:00`): Taskwarrior's due is that
        # very instant, which it shows as a date, and which reads back as the whole
        # day. The same instant is no change: taken, the due moved to the day's end
        # at the first other change there.
        attributes = dict(changes.get("attributes", record.attributes))
        attributes.pop(DUE_HINT, None)
        changes["attributes"] = attributes
        changes["due"] = ours.due
    elif record.due == ours.due and there != ours.attributes.get(DUE_HINT):
        # The same whole day: Taskwarrior's 00:00 of it is kept as ours had it (none,
        # for a task made here), not taken for a change.
        attributes = dict(changes.get("attributes", record.attributes))
        attributes.pop(DUE_HINT, None)
        if DUE_HINT in ours.attributes:
            attributes[DUE_HINT] = ours.attributes[DUE_HINT]
        changes["attributes"] = attributes
    if (
        ours.recur is not None
        and record.recur is not None
        and record.recur_anchor is None
        and record.series_id == ours.series_id
        and record.due == ours.due
    ):
        # Taskwarrior has no anchor and count of ours (it steps a series by what is kept
        # of it, SERIES_HINT): read as anchored on its own due, an instance changed
        # there (or not: stamped by `task import`) read as a change nobody made, and
        # was named as left alone on every sync.
        changes["recur_anchor"] = ours.recur_anchor
        changes["recur_index"] = ours.recur_index
    kept_series = ours.attributes.get(SERIES_HINT)
    if (
        record.completed
        and ours.completed
        and isinstance(kept_series, dict)
        and SERIES_HINT not in record.attributes
        and record.attributes.get(IMASK_HINT) == kept_series.get("imask")
    ):
        # Done here, it went there with its place in the series (its imask, from the
        # series it kept), and `task import` stamped it: read back, that place is the
        # series it keeps, not a change ("1 updated" after every `todo done` synced).
        attributes = dict(changes.get("attributes", record.attributes))
        attributes.pop(IMASK_HINT, None)
        attributes[SERIES_HINT] = kept_series
        if MODIFIED_HINT in ours.attributes:
            attributes[MODIFIED_HINT] = ours.attributes[MODIFIED_HINT]
        changes["attributes"] = attributes
    given = record.attributes.get(SERIES_HINT)
    if (
        isinstance(given, dict)
        and isinstance(kept_series, dict)
        and "gone" in kept_series
        and given == {key: value for key, value in kept_series.items() if key != "gone"}
    ):
        # The instances the series passed over here went there as deleted (ours keeps
        # them as "gone" to write them so): Taskwarrior's series is ours, not a change.
        attributes = dict(changes.get("attributes", record.attributes))
        attributes[SERIES_HINT] = kept_series
        changes["attributes"] = attributes
    elif given is not None and _series_behind(given, ours.attributes.get(SERIES_HINT)):
        # The task changed there after our export was written back (Taskwarrior's
        # import gives what it changes a new `modified`), its series as it was then:
        # an older copy of the series than ours, which has moved on since (an
        # occurrence done or deleted). Taken, it rolled the series back, and our export
        # brought an instance deleted there back to life.
        attributes = dict(changes.get("attributes", record.attributes))
        attributes[SERIES_HINT] = ours.attributes[SERIES_HINT]
        changes["attributes"] = attributes
    return replace(record, **changes) if changes else record


def _instant(text: str) -> datetime | None:
    """A Taskwarrior date kept as it was written (DUE_HINT), or None if it is none."""
    from todo_cli.formats.taskwarrior import parse_date

    try:
        return parse_date(text)
    except ValueError:
        return None


def _differ_from_ours(conn: Any, user: str, records: list[TaskRecord]) -> list[UUID]:
    """Of Taskwarrior's copies of the user's tasks, those whose content is not ours
    (what Taskwarrior could not hold taken from ours, as on an update)."""
    held = _records_of(conn, user, [record.id for record in records])
    differing = []
    for record in records:
        had = held.get(record.id)
        if had is None:
            continue
        # What a person changes: what todo keeps for Taskwarrior alone (the series as
        # it keeps it, say) is taken from the file whatever the times.
        back = replace(_back_from_taskwarrior(record, had), attributes=had.attributes)
        if _as_imported(back, had) != had or set(back.depends) != set(had.depends):
            differing.append(record.id)
    return differing


def _same_second(theirs: datetime, ours: datetime) -> bool:
    return theirs == ours.replace(microsecond=0)


def _about(theirs: datetime, ours: datetime) -> bool:
    """An annotation's time for a time of ours: its second, or a few later (Taskwarrior
    keys annotations by the second, and moves one that shares its second on)."""
    return 0 <= (theirs - ours.replace(microsecond=0)).total_seconds() <= _ANNOTATION_SHIFT_S


_ANNOTATION_SHIFT_S = 5


def _mend_dependencies(
    writer: ImportWriter,
    tied: list[TaskRecord],
    result: Imported,
    skipped: dict[UUID, str] | None = None,
) -> set[UUID]:
    """Dependencies a file names for a task we hold as of the same moment, that we lack.

    Same time, same task: the file's dependencies are ours too. One we lack was left
    out when the task came in (its other end was skipped, or not there yet), and now
    that both ends are here it is linked; the task counts as updated, not unchanged.
    ``skipped`` (our own format, id -> why skipped): one whose other end is still not
    here is said left out, as when the task came in: a dependency added to a backup
    by hand on a task that is not there (a uuid mistyped) was dropped in silence.
    (Not for Taskwarrior: it keeps such a dependency with the task, and says so.)
    """
    if not tied:
        return set()
    have = writer.dependencies_of([record.id for record in tied])
    for record in tied:
        if record.id in record.depends:
            raise _cycle([record.id, record.id])
    wanted = {record.id: set(record.depends) - have.get(record.id, set()) for record in tied}
    wanted = {task_id: missing for task_id, missing in wanted.items() if missing}
    if not wanted:
        return set()
    present = writer.mine(sorted({d for missing in wanted.values() for d in missing}, key=str))
    if skipped is not None:
        for task_id, missing in wanted.items():
            for dependency in sorted(missing - present, key=str):
                why = (
                    f"which was skipped ({skipped[dependency]})"
                    if dependency in skipped
                    else "which is not in the file nor one of your tasks"
                )
                result.notices.append(f"{task_id}: depends on {dependency}, {why}: left out")
    edges = [
        (a, b) for a, missing in wanted.items() for b in sorted(missing, key=str) if b in present
    ]
    if not edges:
        return set()
    writer.link(edges)
    _refuse_cycles(writer, {a for a, _ in edges})
    mended = {a for a, _ in edges}
    result.updated += len(mended)
    result.unchanged -= len(mended)
    return mended


def _kept_dependencies_here(
    writer: ImportWriter,
    records: list[TaskRecord],
    written: list[TaskRecord],
    result: Imported,
    *,
    counted: set[UUID],
) -> None:
    """Dependencies kept for Taskwarrior (DEPENDS_HINT) on tasks that are here now: linked.

    A task whose Taskwarrior dependency was not in its file keeps the uuid for
    Taskwarrior alone. Once that task is here (this import, or one before), the
    dependency is one of ours: linked, and no longer kept, so that removing it here
    (`dep:-N`) removes it from the next export too. One that would close a cycle
    with the user's own dependencies is left out, and said so.
    """
    from todo_cli.domain.fields import kept_depends, without_kept_depends

    holders, present = _kept_and_here(writer)
    if not present:
        return
    changed: dict[UUID, dict[str, Any] | None] = {}
    pairs = []
    for task_id, attributes in sorted(holders.items(), key=lambda item: str(item[0])):
        kept = kept_depends(attributes)
        here = [uuid for uuid in kept if is_uuid(uuid) and UUID(uuid) in present]
        if not here:
            continue
        changed[task_id] = without_kept_depends(attributes, set(here))
        pairs += [(task_id, UUID(uuid)) for uuid in here]
    writer.set_attributes(changed)
    writer.link(_acyclic(writer, pairs, result, "in Taskwarrior"))
    # Counted once: a task of this file already is (an unchanged one now is updated).
    in_file = {record.id for record in records}
    counted = counted | {record.id for record in written}
    for task_id in changed:
        if task_id not in counted:
            result.updated += 1
            if task_id in in_file:
                result.unchanged -= 1


def _waiting_again(
    writer: ImportWriter,
    records: list[TaskRecord],
    written: list[TaskRecord],
    result: Imported,
    *,
    counted: set[UUID],
) -> None:
    """The file's tasks that wait on a task it brought back (deleted here): waiting again.

    Deleting a task takes every dependency on it (the tasks that waited on it change
    only by that); the file, older, still has them. Restoring the task links them
    again, as the undo of the delete would, but for one that would now close a cycle
    (left out, and said so).
    """

    counted = counted | {record.id for record in written}
    wanted = [
        (record.id, waited)
        for record in records
        if record.id not in counted
        for waited in record.depends
        if waited in result.came_back
    ]
    if not wanted:
        return
    mine = writer.mine(sorted({waiting for waiting, _ in wanted}, key=str))
    edges = _acyclic(writer, [pair for pair in wanted if pair[0] in mine], result, "in the file")
    writer.link(edges)
    again = {waiting for waiting, _ in edges}
    result.updated += len(again)
    result.unchanged -= len(again)


def _acyclic(
    writer: ImportWriter, pairs: list[tuple[UUID, UUID]], result: Imported, where: str
) -> list[tuple[UUID, UUID]]:
    """The (waiting, waited on) pairs to link: those not linked yet that close no cycle
    with the user's dependencies and the pairs before them. One that would is left
    out, and said so ("#3 waits on #5 `where`, which would make a cycle here")."""
    from todo_cli.domain.graph import find_cycle

    if not pairs:
        return []
    graph: dict[UUID, list[UUID]] = {}
    for waiting, waited in TaskRepository(writer.conn, writer.user, lean=True).dependency_edges():
        graph.setdefault(waiting, []).append(waited)
    edges = []
    for waiting, waited in pairs:
        if waited == waiting or waited in graph.get(waiting, []):
            continue
        graph.setdefault(waiting, []).append(waited)
        if find_cycle(graph, [waiting]) is not None:
            graph[waiting].remove(waited)
            numbers = writer.existing([waiting, waited])
            result.notices.append(
                f"#{numbers[waiting].number} waits on #{numbers[waited].number} {where}, "
                "which would make a cycle here: left out"
            )
            continue
        edges.append((waiting, waited))
    return edges


def _kept_and_here(writer: ImportWriter) -> tuple[dict[UUID, dict[str, Any]], set[UUID]]:
    """The user's tasks keeping dependencies for Taskwarrior (DEPENDS_HINT), with their
    attributes, and which of the uuids kept are tasks of the user's here now."""
    from todo_cli.domain.fields import DEPENDS_HINT, kept_depends

    holders = writer.holding(DEPENDS_HINT)
    named = {
        UUID(uuid)
        for attributes in holders.values()
        for uuid in kept_depends(attributes)
        if is_uuid(uuid)
    }
    return holders, writer.mine(sorted(named, key=str)) if named else set()


def _series_ended_there(
    conn: Any,
    user: str,
    ending: list[TaskRecord],
    existing: Mapping[UUID, Existing],
    ended_at: Mapping[UUID, datetime],
) -> tuple[list[TaskRecord], set[UUID]]:
    """Ours, for the records of ``ending`` whose series here the file ended after
    ours last changed: with no recurrence (kept in ENDED_RECUR_HINT, and what
    Taskwarrior keeps of the ended series beside it), changed when it ended.

    And the ids of those whose last change here is that end, made by an import of
    the same deletion before: not changed here since the file's copy, whatever
    their times say.
    """
    from todo_cli.domain.fields import DEAD_TEMPLATE_HINT, ENDED_RECUR_HINT, IMASK_HINT

    here = _records_of(conn, user, [record.id for record in ending])
    ended: list[TaskRecord] = []
    already: set[UUID] = set()
    for record in ending:
        mine = here.get(record.id)
        if mine is None or mine.series_id is None:
            continue
        if mine.recur is None:
            if mine.updated_at == ended_at.get(mine.series_id):
                already.add(record.id)
            continue
        when = ended_at.get(mine.series_id)
        if when is None or when <= existing[record.id].updated_at:
            continue  # changed here since: the series goes on
        kept = {
            key: record.attributes[key]
            for key in (DEAD_TEMPLATE_HINT, IMASK_HINT)
            if key in record.attributes
        }
        attributes = {**mine.attributes, ENDED_RECUR_HINT: mine.recur, **kept}
        ended.append(replace(mine, recur=None, updated_at=when, attributes=attributes))
    return ended, already


def _ended_with_a_delete(
    conn: Any,
    user: str,
    writes: list[TaskRecord],
    existing: Mapping[UUID, Any],
    written_at: Callable[[UUID], datetime | None] | None,
    result: Imported,
) -> list[TaskRecord]:
    """``writes`` without Taskwarrior's instances of a series whose open task was
    deleted here, unless changed there since: that task kept them (SERIES_HINT) and
    they went with it (read back, an instance of the deleted template is a task of an
    ended series, ENDED_RECUR_HINT). Counted as skipped, as when the task came in."""
    from todo_cli.domain.fields import ENDED_RECUR_HINT
    from todo_cli.formats.taskwarrior import SKIP_LATER_INSTANCE
    from todo_cli.repository.journal import JournalRepository

    ended = [r for r in writes if r.id not in existing and ENDED_RECUR_HINT in r.attributes]
    if not ended:
        return writes
    kept = JournalRepository(conn, user).instances_kept_by_deletes()
    gone: dict[UUID, int] = {}
    for record in ended:
        if record.id not in kept:
            continue
        number, deleted_at = kept[record.id]
        changed = record.updated_at if written_at is None else written_at(record.id)
        if changed is not None and changed <= deleted_at:
            gone[record.id] = number
    if not gone:
        return writes
    result.skip(SKIP_LATER_INSTANCE, len(gone))
    result.notices.append(
        f"{len(gone)} Taskwarrior instance(s) of the series of a task deleted here left "
        f"out, as they went with it: {_named(sorted(set(gone.values())))}"
    )
    return [r for r in writes if r.id not in gone]


def _successors_taken_back(
    conn: Any,
    user: str,
    records: list[TaskRecord],
    writes: list[TaskRecord],
    existing: Mapping[UUID, Existing],
    result: Imported,
    positions: Mapping[UUID, str],
) -> None:
    """Take back the next task a completion made here, where the file reopens that task.

    Reopened in another database, a recurring task's next task went there, as `todo
    reopen` takes it back; here it stayed open, and the file's reopened task was left
    out as a second open task of its series, in every sync both ways. The next task
    is known by its id (derived from the completed task's: ids.successor_id); it is
    taken back as reopen takes it: when the file does not hold it, nobody changed
    it since it was made, and no task waits on it. Else the file's task is left out.
    """
    from todo_cli.domain.ids import successor_id

    reopened = [
        r for r in writes if not r.completed and r.series_id is not None and r.id in existing
    ]
    if not reopened:
        return
    in_file = {r.id for r in records}
    following = {successor_id(r.id): r for r in reopened}
    candidates = [task_id for task_id in following if task_id not in in_file]
    if not candidates:
        return
    repository = TaskRepository(conn, user, lean=True)
    # Read once: compared as records, and the ones taken back deleted as these tasks.
    held = {task.id: task for task in repository.by_ids([r.id for r in reopened] + candidates)}
    ours = {task_id: record_of(task) for task_id, task in held.items()}
    waited_on = repository.waited_on(candidates)
    taken: dict[UUID, TaskRecord] = {}
    for task_id in candidates:
        record = following[task_id]
        nxt, was = ours.get(task_id), ours.get(record.id)
        if (
            nxt is None
            or was is None
            or not was.completed
            or nxt.completed
            or nxt.series_id != record.series_id
            or nxt.updated_at != nxt.created_at
            or task_id in waited_on
        ):
            continue
        taken[task_id] = record
    if not taken:
        return
    gone = repository.delete_tasks([held[task_id] for task_id in sorted(taken, key=str)])
    result.deleted += len(gone)
    for task in sorted(gone, key=lambda t: t.number):
        record = taken[task.id]
        where = positions.get(record.id, f"#{existing[record.id].number}")
        result.notices.append(
            f"{where}: #{existing[record.id].number} reopened, so #{task.number}, the next "
            "task its completion made, is taken back (as todo reopen takes it)"
        )


def _second_open_tasks(
    writer: ImportWriter, writes: list[TaskRecord], numbers: dict[UUID, int]
) -> dict[UUID, UUID]:
    """The writes that would give a series a second open task: id -> the series' open task.

    The open task a series has here stays (unless the file closes it or moves it
    to another series); else the first open one of the series in the file. The
    numbers of the open tasks found here are added to ``numbers``.
    """
    series = sorted(
        {r.series_id for r in writes if not r.completed and r.series_id is not None}, key=str
    )
    if not series:
        return {}
    written = {r.id: r for r in writes}
    holders: dict[UUID, UUID] = {}
    for series_id, (task_id, number, _) in writer.open_in_series(series).items():
        numbers[task_id] = number
        write = written.get(task_id)
        if write is None or (not write.completed and write.series_id == series_id):
            holders[series_id] = task_id
    left_out: dict[UUID, UUID] = {}
    for record in writes:
        if record.completed or record.series_id is None:
            continue
        holder = holders.setdefault(record.series_id, record.id)
        if holder != record.id:
            left_out[record.id] = holder
    return left_out


def _done_not_read(source: str) -> str | None:
    """What to say of a done.txt beside a todo.txt that is there but not read: not a
    file (a directory, say), or not readable. (None: no done.txt, or the file itself.)"""
    if source == "-" or Path(source).name != "todo.txt":
        return None
    done = Path(source).with_name("done.txt")
    try:
        if not done.exists() or done.samefile(source):
            return None
    except OSError:
        return f"{done}, todo.sh's archive of done tasks, cannot be read: not read"
    return f"{done} is not a file, so todo.sh's archive of done tasks was not read"


def done_beside(source: str) -> Path | None:
    """todo.sh's archive, ``done.txt``, beside the ``todo.txt`` being imported.

    todo.sh keeps one list in two files: ``do`` moves a done line from todo.txt to the end
    of done.txt. Read apart, a done line and an open one alike (the same words, the same
    creation day: "Water plants" added again) would both be the first of their kind, so
    one would take the other's id; read together, done.txt first, each keeps its own.
    """
    if source == "-":
        return None
    path = Path(source)
    if path.name != "todo.txt":
        return None
    done = path.with_name("done.txt")
    try:
        if not done.is_file() or done.samefile(path):
            return None
    except OSError:
        return None
    return done


def _archived_done_here(
    conn: Any,
    user: str,
    writes: list[TaskRecord],
    existing: Mapping[UUID, Any],
    latest: Mapping[UUID, tuple[int, datetime]],
    positions: Mapping[UUID, str] | None,
    tz: tzinfo,
) -> set[UUID]:
    """Tasks deleted here whose done.txt line is no change made there since.

    todo.sh only appends to done.txt: its time of change moves with every task
    `do` or `archive` moves there, and a task deleted here came back from its
    old, unchanged line at the next import. Such a line is a completion the task
    had here (when deleted, or before a reopen), or one made on a day before the
    delete; either way no change there after it. (A task never done here, done
    there on the day of its delete, may have been done after it: it comes back,
    as the file's time says.)
    """
    done_on = {
        r.id: local_date(r.completed_at, tz)
        for r in writes
        if r.completed
        and r.completed_at is not None
        and r.id not in existing
        and r.id in latest
        and (positions or {}).get(r.id, "").startswith(_ARCHIVE_WHERE)
    }
    if not done_on:
        return set()
    from todo_cli.repository.journal import JournalRepository

    completions = JournalRepository(conn, user).completions_of(list(done_on))
    return {
        task_id
        for task_id, day in done_on.items()
        if day < local_date(latest[task_id][1], tz)
        or day in {local_date(when, tz) for when in completions.get(task_id, ())}
    }


def _written_at_of(
    source: str, archive: Path | None, batch: ImportBatch
) -> Callable[[UUID], datetime | None]:
    """When the file each task of the batch came from was last written."""
    main = _written_at(source)
    if archive is None:
        return lambda _task_id: main
    archived_at = _written_at(str(archive))
    from_archive = {
        task_id for task_id, where in batch.positions.items() if where.startswith(_ARCHIVE_WHERE)
    }
    return lambda task_id: archived_at if task_id in from_archive else main


_ARCHIVE_WHERE = "done.txt line "


def _written_at(source: str) -> datetime | None:
    """When the file was last written: None for a pipe, which has no such time.

    Stdin redirected from a file (`todo import - < todo.txt`) is that file, and
    has its time, as the same file given by name does.
    """
    import os
    import stat
    import sys

    if source != "-":
        return datetime.fromtimestamp(os.stat(source).st_mtime, UTC)
    try:
        found = os.fstat(sys.stdin.fileno())
    except (OSError, ValueError):
        return None
    return datetime.fromtimestamp(found.st_mtime, UTC) if stat.S_ISREG(found.st_mode) else None


def _overlaid(current: TaskRecord, record: TaskRecord, now: datetime, tz: tzinfo) -> TaskRecord:
    """Our task with what a todo.txt line holds of it taken from the line."""
    taken = {
        name: getattr(current if _held_alike(name, record, current, tz) else record, name)
        for name in _TODOTXT_FIELDS
    }
    if record.completed == current.completed:
        # The day it was done is all todo.txt keeps of the time.
        taken["completed_at"] = current.completed_at
    else:
        # The day's midnight, or the task's making where that is later: done the day it
        # was made (`todo.sh do` of a task added this morning), it was done after.
        done_at = record.completed_at
        made = current.created_at
        taken["completed_at"] = max(done_at, made) if done_at and made else done_at
    from todo_cli.formats.todotxt import LINE_HINT, priority_letter

    # The line as it now reads: its conventions (which of (D)-(Z) an L is) are its
    # own, and a line read with none (written as todo writes it) has no hint.
    attributes = {name: value for name, value in current.attributes.items() if name != LINE_HINT}
    if LINE_HINT in record.attributes:
        attributes[LINE_HINT] = record.attributes[LINE_HINT]
    if (
        _priority_dropped_by_done(record)
        and LINE_HINT in current.attributes
        and priority_letter(replace(current, attributes=attributes)) != priority_letter(current)
    ):
        # todo.sh's `do` took the (D) off the line: the task keeps its priority (see
        # _held_alike), and the letter with it, from the line it had, as `todo done`
        # keeps both. (Read from the done line, a (D) task came back as (C).)
        attributes[LINE_HINT] = current.attributes[LINE_HINT]
    return replace(current, **taken, attributes=attributes, updated_at=now)


# What a todo.txt line holds of a task: the fields an edit there can change.
_TODOTXT_FIELDS = ("title", "completed", "priority", "due", "wait", "project", "tags", "recur")
# Of these, todo.txt holds the day only (`due:2026-12-24`, `t:2026-12-24`).
_DAYS_ONLY = ("due", "wait")


def _held_alike(name: str, record: TaskRecord, current: TaskRecord, tz: tzinfo) -> bool:
    """Whether our value of field `name` is the line's, as far as todo.txt can say.

    Its export of a task due at 17:00 says `due:` that day: read back, the
    line's due is the whole day, and is the same due (the time is kept), not a
    change that moves it to midnight.
    """
    ours, theirs = getattr(current, name), getattr(record, name)
    if name == "priority" and _priority_dropped_by_done(record):
        # todo.sh's `do` drops the line's (A): a done line without a priority says
        # nothing of it. Read as cleared, a task done there lost it for good (a
        # reopen here brought it back without one), where `todo done` keeps it.
        return True
    if name in _DAYS_ONLY and ours is not None and theirs is not None:
        return bool(local_date(ours, tz) == local_date(theirs, tz))
    return bool(ours == theirs)


def _priority_dropped_by_done(record: TaskRecord) -> bool:
    """Whether the line is done with no priority on it (`pri:A` would give one)."""
    return record.completed and record.priority is None


def _differs(record: TaskRecord, current: TaskRecord | None, tz: tzinfo) -> bool:
    if current is None:
        return False
    if record.completed and current.completed:
        # The day it was done is all todo.txt keeps of the time.
        fields = [f for f in _TODOTXT_FIELDS if f != "completed"]
    else:
        fields = list(_TODOTXT_FIELDS)
    if not all(_held_alike(name, record, current, tz) for name in fields):
        return True
    # (C) to (D) with `todo.sh pri`: L either way, but not the line it was.
    from todo_cli.formats.todotxt import priority_letter

    if _priority_dropped_by_done(record):
        return False
    return priority_letter(record) != priority_letter(current)


def _as_exported(record: TaskRecord, current: TaskRecord | None, tz: tzinfo) -> bool:
    """Whether a todo.txt line is what our todo.txt export writes of the task, read back.

    A title with todo.txt's own words in it ("pri:A text", "has +plus words") does not
    read back the same (the export says so): the line that export wrote is still the
    task as it is here, not an edit made in todo.txt that would rewrite the task.
    """
    if current is None:
        return False
    from todo_cli.formats import todotxt

    line = "".join(todotxt.write([current], tz=tz)).rstrip("\n")
    back = todotxt.read([(1, line)], tz=tz, today=datetime.now(tz).date())
    return (
        len(back.records) == 1 and not back.problems and not _differs(record, back.records[0], tz)
    )


def _notes(record: TaskRecord, ids: Iterator[UUID] | None = None) -> list[dict[str, Any]]:
    """The rows of a task's notes, their ids taken from `ids` (made here if not given)."""
    if not record.notes:
        return []
    if ids is None:
        ids = iter(new_ids(len(record.notes)))
    return [
        {"id": next(ids), "task_id": record.id, "created_at": note.created_at, "text": note.text}
        for note in record.notes
    ]


_BATCH = 5000


def _insert(
    writer: ImportWriter,
    new: list[TaskRecord],
    result: Imported,
    now: datetime,
    deletes: list[tuple[UUID, int, datetime, bool]] | None = None,
) -> dict[UUID, int]:
    """New tasks, keeping their numbers where free (reported where not); their numbers.

    ``deletes``: the journal's task deletes (JournalRepository.task_deletes), when the
    caller has them already; asked here otherwise.

    A number is free when no task holds it and none was deleted holding it:
    numbers are never reused, even after a delete. A deleted task that comes
    back (the same id) takes its own number back: that is no reuse. Numbers
    above the user's counter were never handed out, so the journal is asked
    only about those at or below it.
    """
    if not new:
        return {}
    counter = writer.counter()
    if deletes is None:
        deletes = _task_deletes(writer, new, counter)
    # A task deleted here that a file without numbers (Taskwarrior, todo.txt) brings
    # back: it takes its own number back, as our JSON's copy of it would, and is said
    # to have come back. (The latest delete of an id stands: deletes come oldest first.)
    held = {task_id: number for task_id, number, _, _ in deletes}
    if any(record.number is None and record.id in held for record in new):
        new = [
            replace(record, number=held[record.id])
            if record.number is None and record.id in held
            else record
            for record in new
        ]
    wanted = sorted({record.number for record in new if record.number is not None})
    taken = writer.numbers_taken(wanted) if wanted else set()
    # The tasks deleted here while holding each number: a number handed out once
    # belongs to that task (another task may not have it, the same task coming back
    # may). One below the counter that no deleted task held was never handed out (an
    # earlier import left it free) and may be kept.
    holders: dict[int, set[UUID]] = {}
    for task_id, held_number, _, _ in deletes:
        holders.setdefault(held_number, set()).add(task_id)
    # Once the journal was pruned, a number at or below the counter that it knows no
    # holder of may have been a deleted task's: kept only where it knows.
    unknown_below = (
        counter if counter and wanted and wanted[0] <= counter and writer.pruned() else 0
    )
    kept: dict[UUID, int] = {}
    used: set[int] = set()
    for record in new:
        number = record.number
        if (
            number is not None
            and number <= IMPORTED_NUMBER_MAX
            and number not in taken
            and number not in used
            and holders.get(number, {record.id}) == {record.id}
            and (number > unknown_below or number in holders)
        ):
            kept[record.id] = number
            used.add(number)
    # A task deleted here that the file brings back (an older backup): said, as a
    # change of ours that the file's copy undoes (one undo takes the import back).
    # (Only a delete made here: one whose import an undo took back just comes in.)
    deleted = {task_id for task_id, _, _, undone in deletes if not undone}
    returned = {
        task_id: n
        for task_id, n in kept.items()
        if task_id in holders.get(n, ()) and task_id in deleted
    }
    result.came_back |= returned.keys()
    back = list(returned.values())
    if back:
        result.notices.append(
            f"{len(back)} task(s) deleted here came back from the file: {_named(back)}"
        )
    needing = [record for record in new if record.id not in kept]
    highest = max(counter, max(used, default=0))
    if needing and highest + len(needing) > INTEGER_MAX:
        # Numbers are handed out above the highest one held: too few are left for these.
        raise InvalidInput(
            f"{len(needing)} new task(s) need a number, and {INTEGER_MAX - highest} "
            f"are left above #{highest} (#{INTEGER_MAX} is the largest a task can have)",
            hint=NOTHING_IMPORTED,
        )
    user_id, first = writer.reserve(len(needing), max(used, default=0), now)
    numbers = dict(kept)
    too_high = 0
    for offset, record in enumerate(needing):
        numbers[record.id] = first + offset
        # (A number too high that the next free one happens to be is no change.)
        if record.number is not None and record.number != first + offset:
            result.renumbered_ids[record.id] = (record.number, first + offset)
            too_high += record.number > IMPORTED_NUMBER_MAX
    if too_high:
        result.notices.append(
            f"{too_high} task(s) numbered above #{IMPORTED_NUMBER_MAX:,} in the file were "
            "given new numbers: numbers are handed out above the largest one held, and "
            "one that high would leave too few for new tasks"
        )
    # Rows are built and written a slice at a time: the driver's copy of a
    # 100,000-row batch would otherwise sit beside ours at the peak.
    for start in range(0, len(new), _BATCH):
        rows, tag_rows, note_rows = [], [], []
        batch = new[start : start + _BATCH]
        # The notes' ids made in one call: one clock read and one os.urandom a
        # batch, not a task (0.8 s of a 100,000-task import, sampled).
        note_ids = iter(new_ids(sum(len(record.notes) for record in batch)))
        for record in batch:
            columns = _columns(record)
            rows.append(
                new_row(columns, task_id=record.id, user_id=user_id, number=0, now=now)
                | {"number": numbers[record.id]}
                | {k: v for k, v in columns.items() if k in ("created_at", "updated_at")}
            )
            tag_rows += [{"task_id": record.id, "tag": tag} for tag in record.tags]
            note_rows += _notes(record, note_ids)
        writer.insert(rows, tag_rows, note_rows)
    result.added += len(new)
    return numbers


def _task_deletes(
    writer: ImportWriter, new: list[TaskRecord], counter: int
) -> list[tuple[UUID, int, datetime, bool]]:
    """The user's deleted tasks and their numbers, where the import needs them: for a
    task of the file without a number, or with one at or below the counter (numbers
    above it were never handed out). With the journal pruned, less is known."""
    if not any(record.number is None or record.number <= counter for record in new):
        return []
    from todo_cli.repository.journal import JournalRepository

    return JournalRepository(writer.conn, writer.user).task_deletes()


def _link(
    writer: ImportWriter,
    records: list[TaskRecord],
    written: list[TaskRecord],
    result: Imported,
    skipped: dict[UUID, str] | None = None,
    *,
    keep_missing: bool = False,
) -> None:
    """Dependencies by id, for the tasks written: to tasks in the file or already the user's.

    A dependency on a task of the file that was skipped (``skipped``: id -> why) and
    is not the user's either is left out, and said so; a task naming itself is a
    cycle, refused as any other. ``keep_missing`` (Taskwarrior): one on a task that is
    neither in the file nor here (a filtered `task export`) is kept with the task
    (DEPENDS_HINT, by _kept_missing as it is written) and written back, so that
    Taskwarrior keeps it.
    """
    in_file = {record.id for record in records}
    outside = sorted({d for r in written for d in r.depends if d not in in_file}, key=str)
    known = in_file | (writer.mine(outside) if outside else set())
    edges = []
    for record in written:
        for dependency in record.depends:
            if dependency == record.id:
                raise _cycle([record.id, record.id])
            if dependency in known:
                edges.append((record.id, dependency))
            elif skipped and dependency in skipped:
                result.notices.append(
                    f"{record.id}: depends on {dependency}, which was skipped "
                    f"({skipped[dependency]}): left out"
                )
            elif keep_missing:
                result.notices.append(
                    f"{record.id}: depends on {dependency}, which is not in the file "
                    "nor one of your tasks: kept with it for Taskwarrior, not linked here"
                )
            else:
                result.notices.append(
                    f"{record.id}: depends on {dependency}, which is not in the file "
                    "nor one of your tasks: left out"
                )
    linked = writer.link(edges)
    if linked:
        _refuse_cycles(writer, {a for a, _ in linked})


def _kept_missing(
    writer: ImportWriter,
    records: list[TaskRecord],
    written: list[TaskRecord],
    skipped: Mapping[UUID, str],
) -> dict[UUID, dict[str, Any]]:
    """The attributes of each task to write that depends on a task neither in the file
    (`records`) nor here, nor skipped: its own, with those dependencies kept
    (DEPENDS_HINT) beside what the format kept already (a later instance of a series).
    _link says each, as it links the others."""
    from todo_cli.domain.fields import with_kept_depends

    in_file = {record.id for record in records}
    outside = sorted({d for r in written for d in r.depends if d not in in_file}, key=str)
    known = in_file | (writer.mine(outside) if outside else set())
    kept: dict[UUID, dict[str, Any]] = {}
    for record in written:
        missing = [
            str(dependency)
            for dependency in record.depends
            if dependency != record.id and dependency not in known and dependency not in skipped
        ]
        if missing:
            kept[record.id] = with_kept_depends(record.attributes, missing)
    return kept


def _refuse_cycles(writer: ImportWriter, starts: set[UUID]) -> None:
    """Dependencies that let a task wait on itself, by any path, refuse the import.

    Walked from the tasks this import linked, over every dependency of the user's
    (the file's and those already here), as `todo edit` refuses one. (A cycle of
    the file's own links over ours is told before, by _without_cycles: one found
    here closes through a task kept as it is here, newer than the file's copy.)
    """
    from todo_cli.domain.graph import find_cycle
    from todo_cli.repository.tasks import TaskRepository

    repository = TaskRepository(writer.conn, writer.user, lean=True)
    graph: dict[UUID, list[UUID]] = {}
    for waiting, waited in repository.dependency_edges():
        graph.setdefault(waiting, []).append(waited)
    cycle = find_cycle(graph, sorted(starts, key=str))
    if cycle is not None:
        # All of them the user's by now: named by number and title, as `list` shows
        # them (the ids alone said nothing of which tasks to look at).
        tasks = {task.id: task for task in repository.by_ids(sorted(set(cycle), key=str))}
        raise _cycle(
            cycle,
            [
                f"#{tasks[task_id].number} {tasks[task_id].title!r}"
                if task_id in tasks
                else str(task_id)
                for task_id in cycle
            ],
            hint="a link kept here (changed here since the file's copy) and one of the "
            "file close it: take one out, here with todo edit N dep:-M or in the file, "
            "and import again; " + NOTHING_IMPORTED,
        )


def _cycle(
    cycle: list[UUID], named: list[str] | None = None, hint: str = NOTHING_IMPORTED
) -> InvalidInput:
    """The refusal of a cycle, ``[a, b, ..., a]`` (a task naming itself is ``[a, a]``),
    its tasks shown as ``named`` says (their ids, by default)."""
    from todo_cli.domain.graph import shown_path

    return InvalidInput(
        "the dependencies make a cycle: "
        + shown_path(named or [str(task_id) for task_id in cycle])
        + " (each waits on the next)",
        hint=hint,
    )


# --- exporting ---------------------------------------------------------------------------


def export(
    settings: Settings,
    query: TaskQuery,
    *,
    fmt: Format,
    out: IO[str],
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Write the tasks a query selects to `out` in `fmt`; returns notices of what was lossy."""
    from todo_cli.domain.dates import local_zone
    from todo_cli.formats import owned, taskwarrior, todotxt

    notices: list[str] = []
    tz = local_zone()
    with transaction(settings, read_only=True) as conn:
        repository = TaskRepository(conn, acting_user(conn), lean=True)
        pieces: Iterable[str]
        if fmt == "json":
            # Each object written by the database: several times faster.
            pieces = owned.write_encoded(_counted(_encoded(repository.exported(query)), progress))
            for piece in pieces:
                out.write(piece)
            return notices
        records = _counted((record_of(task) for task in repository.find(query)), progress)
        if fmt == "taskwarrior":
            records = _kept_for_taskwarrior(ImportWriter(conn, acting_user(conn)), records)
            pieces = taskwarrior.write(records, tz=tz, notices=notices)
        else:
            pieces = todotxt.write(records, tz=tz, notices=notices, spaces=_spaces(conn))
        for piece in pieces:
            out.write(piece)
    return notices


def _kept_for_taskwarrior(
    writer: ImportWriter, records: Iterator[TaskRecord]
) -> Iterator[TaskRecord]:
    """The records, with the dependencies kept for Taskwarrior (DEPENDS_HINT) on tasks
    that are here left out: those are ours now, linked or unlinked here (a database
    from before imports linked them keeps the copies until its next import)."""
    from todo_cli.domain.fields import DEPENDS_HINT

    here = {str(task_id) for task_id in _kept_and_here(writer)[1]}
    for record in records:
        kept = record.attributes.get(DEPENDS_HINT)
        if here and isinstance(kept, list) and here.intersection(kept):
            rest = [uuid for uuid in kept if uuid not in here]
            attributes = {k: v for k, v in record.attributes.items() if k != DEPENDS_HINT}
            record = replace(record, attributes=attributes | ({DEPENDS_HINT: rest} if rest else {}))
        yield record


def _spaces(conn: Any) -> list[UUID]:
    """The namespaces of the acting user's todo.txt ids (formats.todotxt.owned_id): their
    row's, and their name's, in which tasks imported before were given theirs."""
    from todo_cli.formats.todotxt import name_namespace, user_namespace

    user = acting_user(conn)
    user_id = ImportWriter(conn, user).user_row_id()
    by_name = name_namespace(user)
    return [by_name] if user_id is None else [user_namespace(user_id), by_name]


def _encoded(exported: Iterator[tuple[str, str | None] | Task]) -> Iterator[str]:
    """Our JSON objects from what the database wrote (or a task it left to us)."""
    from todo_cli.formats import owned

    for item in exported:
        if isinstance(item, tuple):
            head, attributes = item
            yield f'{head[:-1]},"attributes":{owned.encode_attributes(attributes)}}}'
        else:
            yield owned.encode(record_of(item))


def _counted(records: Iterator[_T], progress: Callable[[int], None] | None) -> Iterator[_T]:
    for record in records:
        yield record
        if progress is not None:
            progress(1)
