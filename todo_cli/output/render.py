"""How results are shown: JSON for scripts, rich tables and text for people.

Queries never know how they will be shown; commands pick one function here.
stdout carries data only; everything else goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TextIO

from todo_cli.text import one_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table as RichTable

    from todo_cli.models import Conversation, Message, Task


# --- JSON -----------------------------------------------------------------


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    # Values are UTC already (see schema.UTCDateTime); say so the RFC 3339 way.
    return value.isoformat(timespec="microseconds").replace("+00:00", "Z")


def task_json(task: Task) -> dict[str, Any]:
    return {
        "id": str(task.id),
        "number": task.number,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "completed_at": rfc3339(task.completed_at),
        "created_at": rfc3339(task.created_at),
        "updated_at": rfc3339(task.updated_at),
    }


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": str(conversation.id),
        "number": conversation.number,
        "title": conversation.title,
        "message_count": conversation.message_count,
        "created_at": rfc3339(conversation.created_at),
        "updated_at": rfc3339(conversation.updated_at),
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "role": message.role,
        "content": message.content,
        "created_at": rfc3339(message.created_at),
    }


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII as is: the encoding of every item in a list.

    It is also what the database produces for `list --json` (see
    TaskRepository.find_as_json), so the two paths agree byte for byte.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_json(value: Any, out: TextIO | None = None) -> None:
    """One JSON document, indented for people who read it."""
    (out or sys.stdout).write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def write_encoded_array(encoded: Iterable[str], out: TextIO | None = None) -> int:
    """A JSON array of already-encoded items, one per line, written as they come."""
    stream = out or sys.stdout
    count = 0
    for item in encoded:
        stream.write(("[\n  " if count == 0 else ",\n  ") + item)
        count += 1
    stream.write("[]\n" if count == 0 else "\n]\n")
    return count


def write_encoded_lines(encoded: Iterable[str], out: TextIO | None = None) -> int:
    """JSON Lines of already-encoded items."""
    stream = out or sys.stdout
    count = 0
    for item in encoded:
        stream.write(item + "\n")
        count += 1
    return count


def write_json_array(items: Iterable[dict[str, Any]], out: TextIO | None = None) -> int:
    """A JSON array written item by item, so a long list never sits in memory."""
    return write_encoded_array((dumps(item) for item in items), out)


def error_json(code: str, message: str) -> str:
    return dumps({"error": {"code": code, "message": message}})


# --- people ---------------------------------------------------------------


def stdout_console() -> Console:
    """A console for data on stdout.

    On a terminal it wraps to the window. Piped, it has no colour and is as
    wide as the widest line, so nothing is ever cut or wrapped for a script.
    rich honours NO_COLOR itself.
    """
    from rich.console import Console

    if sys.stdout.isatty():
        return Console(file=sys.stdout, highlight=False, markup=False, emoji=False)
    return Console(
        file=sys.stdout,
        highlight=False,
        markup=False,
        emoji=False,
        no_color=True,
        color_system=None,
        width=100_000,
        soft_wrap=True,
    )


def tell(message: str) -> None:
    """A message for the person at the terminal (stderr), never data."""
    sys.stderr.write(one_line(message) + "\n")


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def new_table() -> tuple[Console, RichTable, bool]:
    """A console for stdout, an empty table styled for it, and whether stdout is piped.

    Piped, the table has no box and no colour, and never wraps or cuts a cell.
    """
    from rich import box
    from rich.table import Table

    piped = not sys.stdout.isatty()
    table = Table(
        box=None if piped else box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style=None if piped or os.environ.get("NO_COLOR") else "bold",
    )
    return stdout_console(), table, piped


def tasks_table(tasks: Iterator[Task]) -> int:
    """A table of tasks on stdout; returns how many rows it showed."""
    from rich.text import Text

    console, table, piped = new_table()
    overflow: Literal["ignore", "fold"] = "ignore" if piped else "fold"
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("done", no_wrap=True)
    table.add_column("title", overflow=overflow, no_wrap=piped)
    table.add_column("created", no_wrap=True)
    count = 0
    for task in tasks:
        # Text(), not a str: what the user typed is never read as markup.
        table.add_row(
            Text(str(task.number)),
            Text("x" if task.completed else ""),
            Text(one_line(task.title)),
            Text(_when(task.created_at)),
        )
        count += 1
    if count:
        if piped:
            console.width = max(80, _natural_width(table, console))
        console.print(table)
    return count


def _natural_width(table: Any, console: Console) -> int:
    measurement = table.__rich_measure__(console, console.options.update(max_width=100_000))
    return int(measurement.maximum)


def task_detail(task: Task) -> None:
    out = sys.stdout
    out.write(f"#{task.number}  {one_line(task.title)}\n")
    status = f"done {_when(task.completed_at)}" if task.completed else "open"
    out.write(f"  status:   {status}\n")
    out.write(f"  id:       {task.id}\n")
    out.write(f"  created:  {_when(task.created_at)}\n")
    out.write(f"  updated:  {_when(task.updated_at)}\n")
    if task.description is not None:
        from todo_cli.text import multi_line

        out.write("  description:\n")
        for line in multi_line(task.description).splitlines() or [""]:
            out.write(f"    {line}\n")
