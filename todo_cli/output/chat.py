"""How conversations are shown: a table of them, a transcript of one, JSON of both.

Like :mod:`todo_cli.render`, this only writes; it never asks the database.
What users typed is always wrapped in ``Text`` (never read as markup) and
passed through :func:`~todo_cli.text.multi_line` or
:func:`~todo_cli.text.one_line` (never interpreted by the terminal).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from todo_cli.render import conversation_json, message_json, new_table, stdout_console
from todo_cli.text import multi_line, one_line

if TYPE_CHECKING:
    from todo_cli.models import Conversation, Message


def _when(value: datetime) -> str:
    # Seconds matter in a transcript: a reply often comes within the minute.
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def transcript_json(conversation: Conversation, messages: Sequence[Message]) -> dict[str, Any]:
    """The conversation with its messages: what `export` and `show --json` print.

    `import` reads it back (ids and times are ignored; a new conversation is made).
    """
    return conversation_json(conversation) | {"messages": [message_json(m) for m in messages]}


def conversations_table(conversations: Sequence[Conversation]) -> None:
    """A table of conversations on stdout."""
    from rich.text import Text

    console, table, piped = new_table()
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("title", overflow="ignore" if piped else "fold", no_wrap=piped)
    table.add_column("messages", justify="right", no_wrap=True)
    table.add_column("updated", no_wrap=True)
    for conversation in conversations:
        table.add_row(
            Text(str(conversation.number)),
            Text(one_line(conversation.title or "")),
            Text(str(conversation.message_count)),
            Text(_when(conversation.updated_at)),
        )
    if piped:
        measurement = table.__rich_measure__(console, console.options.update(max_width=100_000))
        console.width = max(80, int(measurement.maximum))
    console.print(table)


def _header(conversation: Conversation) -> tuple[str, str]:
    title = f"  {one_line(conversation.title)}" if conversation.title else ""
    facts = (
        f"{_plural(conversation.message_count, 'message')}"
        f" · started {_when(conversation.created_at)}"
        f" · updated {_when(conversation.updated_at)}"
        f" · id {conversation.id}"
    )
    return f"#{conversation.number}{title}", facts


def _shown(content: str) -> str:
    # A transcript separates messages with a blank line of its own; a
    # trailing newline (as `echo ... | append -` leaves) would double it.
    return multi_line(content).rstrip("\n")


def transcript(conversation: Conversation, messages: Sequence[Message]) -> None:
    """A readable transcript on stdout: who said what, when.

    On a terminal long lines wrap to the window; piped, every line is written
    whole, so `todo chat-log show 3 | grep` sees what was said.
    """
    if sys.stdout.isatty():
        _transcript_on_terminal(conversation, messages)
        return
    out = sys.stdout
    title, facts = _header(conversation)
    out.write(f"{title}\n{facts}\n")
    for message in messages:
        out.write(f"\n{message.role} · {_when(message.created_at)}\n{_shown(message.content)}\n")


def _transcript_on_terminal(conversation: Conversation, messages: Sequence[Message]) -> None:
    from rich.text import Text

    console = stdout_console()
    plain = bool(os.environ.get("NO_COLOR"))
    title, facts = _header(conversation)
    console.print(Text(title, style="" if plain else "bold"))
    console.print(Text(facts, style="" if plain else "dim"))
    for message in messages:
        console.print()
        console.print(
            Text.assemble(
                (message.role, "" if plain else _ROLE_STYLE[message.role]),
                (f" · {_when(message.created_at)}", "" if plain else "dim"),
            )
        )
        console.print(Text(_shown(message.content)), overflow="fold")


_ROLE_STYLE = {"user": "bold cyan", "assistant": "bold green"}
