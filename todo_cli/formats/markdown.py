"""A conversation as a Markdown transcript: readable anywhere, content as written.

The title, then each message under a bold **User** or **Assistant** line with
its time. Message content is written exactly (a transcript is a record), so
code blocks and lists in it come out as their author wrote them. A message
that leaves a code block open (a reply cut off mid-block) gets the fence that
closes it, so that the next message's heading is not read as code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from todo_cli.domain.chat import Conversation, Message

_SPEAKER = {"user": "User", "assistant": "Assistant"}
_LINE_ENDING = re.compile("\r\n|\r|\n")
_LINE_BREAKS = re.compile("\\s*(?:\r\n|\r|\n)\\s*")


def transcript(conversation: Conversation, messages: Sequence[Message]) -> Iterator[str]:
    """The Markdown document, a piece at a time."""
    # A heading is one line: a title's line break would end it and begin a paragraph.
    title = _LINE_BREAKS.sub(" ", conversation.title or f"Conversation #{conversation.number}")
    # isoformat, not strftime's %Y, which does not pad years before 1000.
    local = conversation.created_at.astimezone()
    started = f"{local.date().isoformat()} {local:%H:%M}"
    count = len(messages)
    yield f"# {title}\n\n"
    yield f"*Conversation #{conversation.number}, started {started}, "
    yield f"{count} message{'' if count == 1 else 's'}.*\n"
    for message in messages:
        sent = message.created_at.astimezone()
        when = f"{sent.date().isoformat()} {sent:%H:%M:%S}"
        content = message.content.rstrip("\r\n")
        closing = _open_fence(content)
        if closing is not None:
            content += f"\n{closing}"
        yield f"\n**{_SPEAKER[message.role.value]}** · {when}\n\n{content}\n"


def _open_fence(content: str) -> str | None:
    """The fence that closes a code block `content` leaves open, or None.

    As CommonMark reads fences: a line of three or more backticks or tildes,
    indented by at most three spaces, opens a block (backticks: none in its
    info string); a line of the same character, at least as long, and nothing
    else but spaces, closes it.
    """
    opened: str | None = None
    # CommonMark's line endings: a message pasted from Windows ends its lines in \r\n.
    for line in _LINE_ENDING.split(content):
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) > 3 or stripped[:3] not in ("```", "~~~"):
            continue
        char = stripped[0]
        run = len(stripped) - len(stripped.lstrip(char))
        fence = stripped[:run]
        rest = stripped[run:]
        if opened is None:
            if char == "`" and "`" in rest:
                continue  # inline code, not a fence
            opened = fence
        elif char == opened[0] and run >= len(opened) and not rest.strip(" \t"):
            opened = None
    return opened
