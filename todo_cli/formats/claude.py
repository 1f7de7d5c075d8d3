"""Reading a Claude data export (``conversations.json``), one conversation at a time.

The export is an array of conversations, each with its ``chat_messages`` in
order; a message's text is in ``text``, and also in its ``content`` blocks,
which hold what is not text too (tool use, thinking, images).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

from todo_cli.errors import InvalidInput
from todo_cli.formats import jsonstream
from todo_cli.formats.chats import (
    ImportedConversation,
    ImportedMessage,
    Role,
    Skipped,
    each_conversation,
    from_iso,
)

_ROLES: Final[dict[str, Role]] = {"human": "user", "assistant": "assistant"}
_BLOCK_KINDS: Final = {
    "tool_use": "tool",
    "tool_result": "tool",
    "thinking": "reasoning",
    "redacted_thinking": "reasoning",
}


def read(
    stream: jsonstream.Readable,
    name: str,
    *,
    max_item_bytes: int = jsonstream.DEFAULT_MAX_ITEM_BYTES,
) -> Iterator[ImportedConversation]:
    """The conversations of the export in ``stream``, in file order."""
    return each_conversation(stream, name, _conversation, max_item_bytes=max_item_bytes)


def _conversation(item: Any, where: str) -> ImportedConversation:
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} is not an object")
    source_id = item.get("uuid")
    if not isinstance(source_id, str) or not source_id:
        raise InvalidInput(f"{where} has no uuid")
    where = f"{where}, uuid {source_id!r},"
    created = from_iso(item.get("created_at"), f"{where} created_at")
    updated = from_iso(item.get("updated_at"), f"{where} updated_at")
    chat_messages = item.get("chat_messages")
    if chat_messages is None:
        chat_messages = []
    if not isinstance(chat_messages, list):
        raise InvalidInput(f"{where} chat_messages is not an array")
    skipped = Skipped()
    messages: list[ImportedMessage] = []
    seen: dict[str, str] = {}
    # A message without a time takes the one before it (the conversation's
    # own for the first), so times never run backwards.
    last_time = created
    for position, chat_message in enumerate(chat_messages):
        at_message = f"{where} message {position + 1} (.chat_messages[{position}])"
        if not isinstance(chat_message, dict):
            raise InvalidInput(f"{at_message} is not an object")
        at = from_iso(chat_message.get("created_at"), f"{at_message} created_at")
        last_time = at = at or last_time or updated
        if at is None:
            raise InvalidInput(f"{where} has no created_at, nor has message {position + 1}")
        kept = _message(chat_message, at, skipped, at_message)
        if kept is not None:
            # A message is known by its uuid (a re-import adds only new ones): two
            # messages of one conversation cannot share one.
            first = seen.setdefault(kept.source_id, at_message)
            if first is not at_message:
                raise InvalidInput(
                    f"{at_message} has the same uuid as{first.removeprefix(where)}: "
                    f"{kept.source_id!r}"
                )
            messages.append(kept)
    start = created or (messages[0].created_at if messages else updated)
    if start is None:
        raise InvalidInput(f"{where} has no created_at")
    title = item.get("name")
    return ImportedConversation(
        source="claude",
        source_id=source_id,
        title=(title.strip() or None) if isinstance(title, str) else None,
        created_at=start,
        updated_at=updated,
        messages=tuple(messages),
        skipped=skipped.frozen(),
    )


def _message(
    chat_message: dict[str, Any], at: datetime, skipped: Skipped, where: str
) -> ImportedMessage | None:
    """The message as imported, or None with the reason counted in ``skipped``."""
    source_id = chat_message.get("uuid")
    if not isinstance(source_id, str) or not source_id:
        raise InvalidInput(f"{where} has no uuid")
    sender = chat_message.get("sender")
    role = _ROLES.get(sender) if isinstance(sender, str) else None
    if role is None:
        skipped.add("other-role")
        return None
    before = skipped.total()
    text = _text(chat_message, skipped)
    skipped.add("non-text", _attached(chat_message))
    if text.strip():
        return ImportedMessage(source_id, role, text, at)
    if skipped.total() == before:
        skipped.add("empty")  # nothing at all, not even something that is not text
    return None


def _attached(chat_message: dict[str, Any]) -> int:
    """How many files the user attached (left out: names and extracted text are not the message).

    A document is in ``attachments`` (with its extracted text) and often in
    ``files`` too, under the same name; it counts once.
    """
    attachments = chat_message.get("attachments")
    files = chat_message.get("files")
    attachments = attachments if isinstance(attachments, list) else []
    files = files if isinstance(files, list) else []
    names = {item.get("file_name") for item in attachments if isinstance(item, dict)}
    others = [
        item for item in files if not isinstance(item, dict) or item.get("file_name") not in names
    ]
    return len(attachments) + len(others)


def _text(chat_message: dict[str, Any], skipped: Skipped) -> str:
    """``text``, or when that is empty the ``content`` blocks of type text; others counted."""
    text = chat_message.get("text")
    blocks = chat_message.get("content")
    if not isinstance(blocks, list):
        blocks = []
    texts: list[str] = []
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            block_text = block.get("text")
            if isinstance(block_text, str):
                texts.append(block_text)
            continue
        skipped.add(_BLOCK_KINDS.get(kind, "non-text") if isinstance(kind, str) else "non-text")
    if isinstance(text, str) and text.strip():
        return text
    return "\n".join(texts)
