"""A conversation as a Markdown transcript: readable anywhere, content as written.

The title, then each message under a bold **User** or **Assistant** line with
its time. Message content is written exactly (a transcript is a record), so
code blocks and lists in it come out as their author wrote them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from todo_cli.domain.chat import Conversation, Message

_SPEAKER = {"user": "User", "assistant": "Assistant"}


def transcript(conversation: Conversation, messages: Sequence[Message]) -> Iterator[str]:
    """The Markdown document, a piece at a time."""
    title = conversation.title or f"Conversation #{conversation.number}"
    started = conversation.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    count = len(messages)
    yield f"# {title}\n\n"
    yield f"*Conversation #{conversation.number}, started {started}, "
    yield f"{count} message{'' if count == 1 else 's'}.*\n"
    for message in messages:
        when = message.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        content = message.content.rstrip("\n")
        yield f"\n**{_SPEAKER[message.role.value]}** · {when}\n\n{content}\n"
