"""Tasks for people: the list table and the detail of one task.

Both are derived from the declaration of a task's fields: the table shows the
fields that have a header there (a column only when some row has a value for
it), the detail every field that has a value. Dates are shown in local time,
due dates short and relative; on a colour terminal an overdue task is red and
one due today yellow.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from todo_cli.domain.fields import TASK_FIELDS, UNSHOWN_HINTS, FieldSpec, Kind, Task
from todo_cli.domain.text import multi_line, one_line
from todo_cli.output.table import Column, Style, Table


def _zone() -> tzinfo:
    from todo_cli.domain.dates import local_zone

    return local_zone()


def local_time(value: datetime | None, tz: tzinfo | None = None) -> str:
    if value is None:
        return ""
    from todo_cli.domain.dates import wall_clock

    local = value.astimezone(tz)
    # isoformat, not strftime's %Y, which does not pad years before 1000 (dates.local_text).
    return f"{local.date().isoformat()} {wall_clock(local)}"


def _text(value: Any) -> str:
    return "" if value is None else one_line(str(value))


class _Cells:
    """How each field's value is shown in a cell, given the clock and the zone."""

    def __init__(self, now: datetime, tz: tzinfo) -> None:
        from todo_cli.domain.dates import day_end, describe, local_date, local_text, starts_day

        def waits(value: datetime | None) -> str:
            # A wait given as a day begins at the day's start: show the day.
            if value is None:
                return ""
            if starts_day(value, tz):
                return describe(day_end(local_date(value, tz), tz), now, tz)
            return describe(value, now, tz)

        self.by_kind: dict[Kind, Callable[[Any], str]] = {
            "uuid": _text,
            "int": _text,
            "text": _text,
            "bool": lambda value: "x" if value else "",
            "float": lambda value: f"{value:.1f}",
            "instant": lambda value: local_text(value, tz) if value else "",
            "tags": lambda value: " ".join(value),
            "notes": lambda value: str(len(value)) if value else "",
            "uuids": lambda value: " ".join(str(item) for item in value),
            "numbers": lambda value: ",".join(str(item) for item in value),
            "object": lambda value: (
                ", ".join(f"{k}={v}" for k, v in sorted(value.items())) if value else ""
            ),
        }
        # In the table, dates a person plans by are shown relative to now.
        relative: dict[str, Callable[[Any], str]] = {
            "due": lambda value: describe(value, now, tz) if value else "",
            "wait": waits,
        }
        self.table = {
            spec.name: relative.get(spec.name, self.by_kind[spec.kind]) for spec in TASK_FIELDS
        }


# Always there: what a task is called. Other columns appear when some row
# has a value (a list of open tasks has no "done" column).
_ALWAYS = {"number", "title"}
_TABLE_FIELDS: list[FieldSpec] = sorted(
    (spec for spec in TASK_FIELDS if spec.header), key=lambda spec: spec.rank
)


def _style(task: Task, now: datetime, tz: tzinfo) -> Style:
    from todo_cli.domain.dates import is_due_today

    if task.completed or task.due is None:
        return ""
    if task.due < now:
        return "red"
    return "yellow" if is_due_today(task.due, now, tz) else ""


def tasks_table(tasks: Iterable[Task], *, now: datetime | None = None) -> int:
    """A table of tasks on stdout; returns how many rows it showed."""
    now = now or datetime.now(UTC)
    tz = _zone()
    cells = _Cells(now, tz).table
    table = Table(
        [
            Column(
                spec.header or spec.name,
                align="right" if spec.kind in ("int", "float") else "left",
                flexible=spec.name == "title",
                optional=spec.name not in _ALWAYS,
            )
            for spec in _TABLE_FIELDS
        ]
    )
    shown = [(spec.name, cells[spec.name]) for spec in _TABLE_FIELDS]
    # A done task's "done" cell says when: `list --done` is read as "what did I finish".
    done_at = [name for name, _ in shown].index("completed")
    for task in tasks:
        row = [show(getattr(task, name)) for name, show in shown]
        if task.completed and task.completed_at is not None:
            row[done_at] = local_time(task.completed_at, tz)
        table.add(row, _style(task, now, tz))
    if len(table):
        table.write()
    return len(table)


def task_detail(
    task: Task, *, waits_on: Sequence[Task] = (), waited_on_by: Sequence[Task] = ()
) -> None:
    """Every field of one task that has a value, one per line; text and notes in full."""
    from todo_cli.domain.dates import starts_day

    now = datetime.now(UTC)
    tz = _zone()
    cells = _Cells(now, tz).by_kind
    out = sys.stdout
    out.write(f"#{task.number}  {one_line(task.title)}\n")
    status = f"done {local_time(task.completed_at, tz)}" if task.completed else "open"
    out.write(f"  status:   {status}\n")
    skip = {
        "number",
        "title",
        "completed",
        "completed_at",
        "description",
        "notes",
        "depends",
        "blocked_by",
        "blocks",
        "recur_anchor",
        "recur_index",
        "attributes",
    }
    for spec in TASK_FIELDS:
        value = getattr(task, spec.name)
        if spec.name in skip or value is None or value == "" or value == ():
            continue
        # "series id" would be the one label longer than the column it sets the values in.
        label = "series" if spec.name == "series_id" else spec.name.removesuffix("_at")
        shown = local_time(value, tz) if spec.name in ("created_at", "updated_at") else None
        if spec.name == "wait" and starts_day(value, tz):
            # A wait given as a day begins at the day's start: the day, as `list` shows it.
            shown = value.astimezone(tz).date().isoformat()
        out.write(f"  {(label + ':').ljust(9)} {shown or cells[spec.kind](value)}\n")
    for label, related in (("waits on", waits_on), ("waited on by", waited_on_by)):
        if related:
            out.write(f"  {label}:\n")
            for other in related:
                state = "done" if other.completed else "open"
                out.write(f"    #{other.number} {one_line(other.title)} ({state})\n")
    if task.description is not None:
        out.write("  description:\n")
        for line in multi_line(task.description).split("\n"):
            out.write(f"    {line}\n")
    if task.notes:
        out.write("  notes:\n")
        for note in task.notes:
            lines = multi_line(note.text).split("\n")
            out.write(f"    {local_time(note.created_at, tz)}  {lines[0]}\n")
            for line in lines[1:]:
                out.write(f"{' ' * 22}{line}\n")
    # The recurrence of a series that ended here is todo's own note for another
    # tool (ENDED_HINTS), and what is kept only to be written back (UNSHOWN_HINTS),
    # is nothing to show of what an import kept.
    kept = {k: v for k, v in (task.attributes or {}).items() if k not in UNSHOWN_HINTS}
    if kept:
        # What an import kept that todo has no field for (a Taskwarrior UDA, an
        # unknown key): exported back as it came, and shown, as everything is here.
        import json

        out.write("  kept from its import:\n")
        for key, value in sorted(kept.items()):
            text = (
                value
                if isinstance(value, str)
                else _json_shown(json.dumps(value, ensure_ascii=False))
            )
            out.write(f"    {one_line(key)}: {one_line(text)}\n")


def _json_shown(text: str) -> str:
    """A JSON value's text with its strings' characters as one_line shows them.

    JSON writes a control character as ``\\u001b`` and a C1 one (U+009B) raw, which
    one_line then showed as ``\\x9b``: a kept tag read in two notations on one line,
    neither the ``\\x1b`` of the title and the import's notice. The escapes JSON made
    are undone (an escaped backslash kept), and one_line escapes every control alike.
    """
    import re

    def undo(found: re.Match[str]) -> str:
        if found[1]:
            return found[1]
        return chr(int(found[2], 16))

    # Written with ensure_ascii=False, JSON escapes no character above U+001F.
    return re.sub(r"(\\\\)|\\u(00[01][0-9a-f])", undo, text)
