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
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from todo_cli.domain.text import multi_line, one_line
from todo_cli.output.render import plural
from todo_cli.output.table import Column, Style, Table, colour_enabled, fold, paint

if TYPE_CHECKING:
    from todo_cli.domain.chat import Conversation, Message
    from todo_cli.repository.conversations import Hit


def _when(value: datetime, tz: tzinfo) -> str:
    # Seconds matter in a transcript: a reply often comes within the minute.
    # isoformat, not strftime's %Y, which does not pad years before 1000 on every platform.
    local = value.astimezone(tz)
    return f"{local.date().isoformat()} {local:%H:%M:%S}"


def conversations_table(conversations: Sequence[Conversation], tz: tzinfo) -> None:
    """A table of conversations on stdout, times in ``tz`` (the command's local zone)."""
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
                _when(conversation.updated_at, tz),
            ]
        )
    table.write()


def _shown(content: str) -> str:
    # A transcript separates messages with a blank line of its own; a
    # trailing newline (as `echo ... | append -` leaves) would double it.
    # A line ending in \r\n (text pasted from Windows) ends as any other: the \r is
    # no character of the line to show escaped.
    return multi_line(content.replace("\r\n", "\n")).rstrip("\n")


_ROLE_STYLE: dict[str, Style] = {"user": "cyan", "assistant": "green"}


def transcript(conversation: Conversation, messages: Sequence[Message], tz: tzinfo) -> None:
    """A readable transcript on stdout: who said what, when (in ``tz``, the local zone).

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
        f" · started {_when(conversation.created_at, tz)}"
        f" · updated {_when(conversation.updated_at, tz)}"
        f" · id {conversation.id}"
    )
    out.write(paint(f"#{conversation.number}{title}", "bold", colour) + "\n")
    out.write(paint(facts, "dim", colour) + "\n")
    for message in messages:
        role = paint(message.role.value, _ROLE_STYLE[message.role.value], colour)
        when = paint(f" · {_when(message.created_at, tz)}", "dim", colour)
        out.write(f"\n{role}{when}\n{_wrapped(_shown(message.content), width)}\n")


def _wrapped(text: str, width: int) -> str:
    if width <= 0:
        return text
    return "\n".join(piece for line in text.split("\n") for piece in fold(line, width))


def search_results(hits: Sequence[Hit], tz: tzinfo) -> None:
    """Each hit on a line of its own (two, with the snippet): where, who, when (in ``tz``,
    the local zone), what.

    On a colour terminal the matched words are bold; piped, they are marked
    [like this], so a script or `grep` sees where they are.
    """
    from todo_cli.domain.search import MATCH_END, MATCH_START

    out = sys.stdout
    colour = colour_enabled(out)
    start, end = ("\x1b[1m", "\x1b[0m") if colour else ("[", "]")
    for hit in hits:
        title = f" {one_line(hit.conversation_title)}" if hit.conversation_title else ""
        head = f"#{hit.conversation_number}{title}"
        if hit.message_id is None:
            where = "title"
        else:
            assert hit.role is not None
            assert hit.created_at is not None
            where = f"{hit.role.value} · {_when(hit.created_at, tz)}"
        out.write(paint(head, "bold", colour) + " · " + paint(where, "dim", colour) + "\n")
        out.write(f"  {_marked(hit.snippet, MATCH_START, MATCH_END, start, end)}\n")


def hit_json(hit: Hit) -> dict[str, Any]:
    from todo_cli.domain.search import snippet_parts
    from todo_cli.output.render import rfc3339

    text, spans = snippet_parts(hit.snippet)
    return {
        "conversation": {
            "id": str(hit.conversation_id),
            "number": hit.conversation_number,
            "title": hit.conversation_title,
        },
        "message": None
        if hit.message_id is None
        else {
            "id": str(hit.message_id),
            "role": hit.role.value if hit.role else None,
            "created_at": rfc3339(hit.created_at),
        },
        "snippet": text,
        "matches": [list(span) for span in spans],
    }


def _marked(snippet: str, mark_start: str, mark_end: str, start: str, end: str) -> str:
    """The snippet shown safely (what users typed is escaped), matches between start and end."""
    pieces = []
    for part in snippet.split(mark_start):
        inside, _, outside = part.partition(mark_end) if mark_end in part else ("", "", part)
        if inside:
            pieces.append(start + one_line(inside) + end)
        pieces.append(one_line(outside))
    return "".join(pieces)
