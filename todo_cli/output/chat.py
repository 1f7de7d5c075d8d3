"""Conversations for people: a table of them, a transcript of one.

Like the rest of :mod:`todo_cli.output`, this only writes; it never asks the
database. What users typed is passed through
:func:`~todo_cli.domain.text.multi_line` or :func:`~todo_cli.domain.text.one_line`
(never interpreted by the terminal).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from todo_cli.domain.text import multi_line, one_line
from todo_cli.output.render import plural
from todo_cli.output.table import Column, Style, Table, colour_enabled, fold, paint

if TYPE_CHECKING:
    from todo_cli.domain.models import Conversation, Message


def _when(value: datetime) -> str:
    # Seconds matter in a transcript: a reply often comes within the minute.
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def conversations_table(conversations: Sequence[Conversation]) -> None:
    """A table of conversations on stdout."""
    table = Table(
        [
            Column("#", align="right"),
            Column("title", flexible=True),
            Column("messages", align="right"),
            Column("updated"),
        ]
    )
    for conversation in conversations:
        table.add(
            [
                str(conversation.number),
                one_line(conversation.title or ""),
                str(conversation.message_count),
                _when(conversation.updated_at),
            ]
        )
    table.write()


def _shown(content: str) -> str:
    # A transcript separates messages with a blank line of its own; a
    # trailing newline (as `echo ... | append -` leaves) would double it.
    return multi_line(content).rstrip("\n")


_ROLE_STYLE: dict[str, Style] = {"user": "cyan", "assistant": "green"}


def transcript(conversation: Conversation, messages: Sequence[Message]) -> None:
    """A readable transcript on stdout: who said what, when.

    On a terminal long lines wrap at word boundaries to the window; piped,
    every line is written whole, so `todo chat-log show 3 | grep` sees what
    was said. Colour only on a terminal without NO_COLOR.
    """
    out = sys.stdout
    colour = colour_enabled(out)
    width = shutil.get_terminal_size().columns if out.isatty() else 0
    title = f"  {one_line(conversation.title)}" if conversation.title else ""
    facts = (
        f"{plural(conversation.message_count, 'message')}"
        f" · started {_when(conversation.created_at)}"
        f" · updated {_when(conversation.updated_at)}"
        f" · id {conversation.id}"
    )
    out.write(paint(f"#{conversation.number}{title}", "bold", colour) + "\n")
    out.write(paint(facts, "dim", colour) + "\n")
    for message in messages:
        role = paint(message.role.value, _ROLE_STYLE[message.role.value], colour)
        when = paint(f" · {_when(message.created_at)}", "dim", colour)
        out.write(f"\n{role}{when}\n{_wrapped(_shown(message.content), width)}\n")


def _wrapped(text: str, width: int) -> str:
    if width <= 0:
        return text
    return "\n".join(piece for line in text.split("\n") for piece in fold(line, width))
