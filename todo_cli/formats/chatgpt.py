"""Reading a ChatGPT data export (``conversations.json``), one conversation at a time.

Each conversation's ``mapping`` is a tree that keeps every branch: an edited
prompt or a regenerated answer starts a new one. The conversation as the user
last saw it is the path from ``current_node`` up through ``parent`` to the
root, reversed; only that path is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from todo_cli.errors import InvalidInput
from todo_cli.formats import jsonstream
from todo_cli.formats.chats import (
    ImportedConversation,
    ImportedMessage,
    Role,
    Skipped,
    each_conversation,
    from_unix,
)

_TEXT_TYPES = frozenset({"text", "multimodal_text"})
# A reasoning model's thinking, shown folded in the app; not the answer.
_REASONING_TYPES = frozenset({"thoughts", "reasoning_recap"})


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
    source_id = item.get("conversation_id") or item.get("id")
    if not isinstance(source_id, str):
        raise InvalidInput(f"{where} has no conversation_id or id")
    where = f"{where}, id {source_id!r},"
    created = from_unix(item.get("create_time"), f"{where} create_time")
    updated = from_unix(item.get("update_time"), f"{where} update_time")
    skipped = Skipped()
    messages: list[ImportedMessage] = []
    # A message without a time takes the one before it on the branch (the
    # conversation's own for the first), so times never run backwards.
    last_time = created
    # A message is known by its id (a re-import adds only new ones): two messages of
    # one branch cannot share one. By id, the node each was first seen at.
    seen: dict[str, str] = {}
    for node_id, message in _current_branch(item, where):
        at = from_unix(message.get("create_time"), f"{where} message {node_id!r}")
        last_time = at = at or last_time or updated
        if at is None:
            raise InvalidInput(f"{where} has no create_time, nor has message {node_id!r}")
        kept = _message(message, node_id, at, skipped, where)
        if kept is not None:
            first = seen.setdefault(kept.source_id, node_id)
            if first != node_id:
                raise InvalidInput(
                    f"{where} message {node_id!r} has the same id as message {first!r}: "
                    f"{kept.source_id!r}"
                )
            messages.append(kept)
    start = created or (messages[0].created_at if messages else updated)
    if start is None:
        raise InvalidInput(f"{where} has no create_time")
    title = item.get("title")
    return ImportedConversation(
        source="chatgpt",
        source_id=source_id,
        title=(title.strip() or None) if isinstance(title, str) else None,
        created_at=start,
        updated_at=updated,
        messages=tuple(messages),
        skipped=skipped.frozen(),
    )


def _current_branch(item: dict[str, Any], where: str) -> list[tuple[str, dict[str, Any]]]:
    """The messages from the root to ``current_node``, with their node ids.

    A node id seen twice (a cycle) or a parent missing from ``mapping`` is a
    broken export: refused, never an endless walk.
    """
    mapping = item.get("mapping")
    if not isinstance(mapping, dict):
        raise InvalidInput(f"{where} has no mapping")
    node_id = item.get("current_node")
    if node_id is None and "current_node" not in item:
        raise InvalidInput(f"{where} has no current_node (the message it ends at)")
    if not isinstance(node_id, str) or node_id not in mapping:
        shown = "null" if node_id is None else repr(node_id)
        raise InvalidInput(f"{where} current_node {shown} is not in its mapping")
    branch: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    while node_id is not None:
        if not isinstance(node_id, str):
            raise InvalidInput(f"{where} has a parent that is not a node id: {node_id!r}")
        if node_id in seen:
            raise InvalidInput(f"{where} mapping has a cycle through node {node_id!r}")
        seen.add(node_id)
        node = mapping.get(node_id)
        if not isinstance(node, dict):
            raise InvalidInput(f"{where} mapping has no node {node_id!r}")
        message = node.get("message")
        if isinstance(message, dict):
            branch.append((node_id, message))
        elif message is not None:
            raise InvalidInput(f"{where} node {node_id!r} has a message that is not an object")
        node_id = node.get("parent")
    branch.reverse()
    return branch


def _message(
    message: dict[str, Any], node_id: str, at: datetime, skipped: Skipped, where: str
) -> ImportedMessage | None:
    """The message as imported, or None with the reason counted in ``skipped``."""
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    metadata = message.get("metadata")
    if role in ("system", "tool"):
        skipped.add(role)
        return None
    if role not in ("user", "assistant"):
        skipped.add("other-role")
        return None
    if isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation"):
        skipped.add("hidden")  # custom instructions, context the app adds
        return None
    if message.get("recipient", "all") != "all":
        skipped.add("tool")  # the assistant addressing a tool (code to run, a search)
        return None
    text = _text(message.get("content"), skipped)
    if text is None:
        return None
    if not text.strip():
        skipped.add("empty")
        return None
    source_id = message.get("id") or node_id
    if not isinstance(source_id, str):
        raise InvalidInput(f"{where} message {node_id!r} has an id that is not a string")
    user_or_assistant: Role = "user" if role == "user" else "assistant"
    return ImportedMessage(source_id, user_or_assistant, text, at)


def _part_text(part: Any) -> str | None:
    """A part's text: a string, or what was said in a voice conversation (an
    ``audio_transcription`` part, beside the audio it transcribes); None for an
    image, the audio itself or a file."""
    if isinstance(part, str):
        return part
    if (
        isinstance(part, dict)
        and part.get("content_type") == "audio_transcription"
        and isinstance(part.get("text"), str)
    ):
        text: str = part["text"]
        return text
    return None


def _text(content: Any, skipped: Skipped) -> str | None:
    """The text of a message's content; None (counted) when it has no text part at all."""
    if not isinstance(content, dict):
        return ""
    kind = content.get("content_type")
    if kind in _REASONING_TYPES:
        skipped.add("reasoning")
        return None
    if kind not in _TEXT_TYPES:
        skipped.add("non-text")  # code for a tool, browsing results, ...
        return None
    parts = content.get("parts")
    if not isinstance(parts, list):
        return ""
    texts = [text for part in parts if (text := _part_text(part)) is not None]
    # Images, audio and files in a multimodal message.
    skipped.add("non-text", len(parts) - len(texts))
    joined = "\n".join(texts)
    if not joined.strip() and len(texts) < len(parts):
        return None  # only an image (say): counted above, and not also as empty
    return joined
