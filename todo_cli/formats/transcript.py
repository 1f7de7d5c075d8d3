"""The chat-log's own transcript format, read and written.

What `todo chat-log export` and `show --json` print is one JSON object: the
conversation's fields and its ``messages``, each with id, role, content and
time. `import` reads that back, keeping each message's time and id (a
transcript is a record), and also accepts the simpler shapes people write by
hand: a JSON array of ``{role, content}`` objects, or one such object per line
(JSON Lines). Every message is checked before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from todo_cli.errors import InvalidInput
from todo_cli.formats.input import in_calendar, numbered_lines

if TYPE_CHECKING:
    from todo_cli.domain.chat import Conversation, ConversationCreate, Message, MessageCreate

NOTHING_IMPORTED = "nothing was imported"
SHAPES = (
    'a JSON array of {"role", "content"} objects, JSON Lines, '
    'or an object with "title" and "messages"'
)
# Fields that `export` prints and that a new conversation makes anew.
_CONVERSATION_OUTPUT_FIELDS = frozenset({"number", "message_count", "updated_at"})
_CONVERSATION_KEPT_FIELDS = frozenset({"id", "created_at", "title", "messages"})
_MESSAGE_FIELDS = frozenset({"id", "role", "content", "created_at"})


@dataclass(frozen=True)
class Transcript:
    """A conversation as a file describes it, checked and ready to write."""

    conversation: ConversationCreate
    messages: list[MessageCreate]
    conversation_id: UUID | None = None
    created_at: datetime | None = None


def transcript_json(conversation: Conversation, messages: Sequence[Message]) -> dict[str, Any]:
    """The conversation with its messages: what `export` and `show --json` print."""
    from todo_cli.output.render import conversation_json, message_json

    return conversation_json(conversation) | {"messages": [message_json(m) for m in messages]}


def parse(name: str, text: str, title: str | None) -> Transcript:
    """The conversation `text` describes; InvalidInput naming the first thing wrong."""
    from todo_cli.domain.chat import ConversationCreate

    if not text.strip():
        raise InvalidInput(f"{name} is empty", hint=f"expected {SHAPES}")
    try:
        document, items = _items(name, text)
    except RecursionError:
        raise InvalidInput(f"{name} is nested too deeply", hint=NOTHING_IMPORTED) from None
    chosen = title if title is not None else document.get("title")
    # A title given as --title is the option's, not the file's, to be blamed for.
    wanted = _checked(
        ConversationCreate, {"title": chosen}, "--title: " if title is not None else f"{name}: "
    )
    messages = [_message(f"{name}: {label}: ", item) for label, item in items]
    _refuse_repeated_ids(name, [label for label, _ in items], messages)
    return Transcript(
        conversation=wanted,
        messages=messages,
        conversation_id=_uuid(f"{name}: ", document.get("id")),
        created_at=_instant(f"{name}: ", document.get("created_at")),
    )


def _items(name: str, text: str) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The file's conversation fields (if any) and its messages, each labelled for errors."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as whole:
        return {}, _json_lines(name, text, whole)
    if isinstance(document, list):
        return {}, [(f"message {i} (.[{i - 1}])", item) for i, item in enumerate(document, 1)]
    if isinstance(document, dict) and not {"role", "content"} & document.keys():
        return document, _object_items(name, document)
    if isinstance(document, dict):
        return {}, [("line 1", document)]  # JSON Lines of one message
    raise InvalidInput(
        f"{name}: expected {SHAPES}, not {json_type(document)}", hint=NOTHING_IMPORTED
    )


def _json_lines(name: str, text: str, whole: json.JSONDecodeError) -> list[tuple[str, Any]]:
    numbered = numbered_lines(text)
    try:
        first = json.loads(numbered[0][1])
    except json.JSONDecodeError:
        # Not JSON Lines either: the whole-document error is the useful one.
        raise InvalidInput(
            f"{name} is not JSON: {whole.msg} at line {whole.lineno} column {whole.colno}",
            hint=f"expected {SHAPES}; {NOTHING_IMPORTED}",
        ) from None
    items = [(f"line {numbered[0][0]}", first)]
    for n, line in numbered[1:]:
        try:
            items.append((f"line {n}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"{name}: line {n} is not JSON: {exc.msg} at column {exc.colno}",
                hint=NOTHING_IMPORTED,
            ) from None
    return items


def _object_items(name: str, document: dict[str, Any]) -> list[tuple[str, Any]]:
    known = _CONVERSATION_OUTPUT_FIELDS | _CONVERSATION_KEPT_FIELDS
    unexpected = sorted(document.keys() - known)
    if unexpected:
        raise InvalidInput(
            f"{name}: unexpected field {unexpected[0]!r}",
            hint=f'expected "title" and "messages"; {NOTHING_IMPORTED}',
        )
    if "messages" not in document:
        raise InvalidInput(f'{name}: "messages" is missing', hint=NOTHING_IMPORTED)
    messages = document["messages"]
    if not isinstance(messages, list):
        raise InvalidInput(
            f'{name}: "messages" must be an array, not {json_type(messages)}',
            hint=NOTHING_IMPORTED,
        )
    return [(f"message {i} (.messages[{i - 1}])", item) for i, item in enumerate(messages, 1)]


def _message(where: str, item: Any) -> MessageCreate:
    from dataclasses import replace

    from todo_cli.domain.chat import MessageCreate

    if not isinstance(item, dict):
        raise InvalidInput(
            f'{where}expected an object with "role" and "content", not {json_type(item)}',
            hint=NOTHING_IMPORTED,
        )
    unexpected = sorted(item.keys() - _MESSAGE_FIELDS)
    if unexpected:
        raise InvalidInput(
            f"{where}unexpected field {unexpected[0]!r}",
            hint=f'expected "role" and "content"; {NOTHING_IMPORTED}',
        )
    checked: MessageCreate = _checked(
        MessageCreate, {key: item[key] for key in ("role", "content") if key in item}, where
    )
    return replace(
        checked,
        id=_uuid(where, item.get("id")),
        created_at=_instant(where, item.get("created_at")),
    )


def _refuse_repeated_ids(name: str, labels: list[str], messages: list[MessageCreate]) -> None:
    """Two messages of the file with one id: named here, before the database's key
    refuses the second with a bare UNIQUE error."""
    first: dict[UUID, str] = {}
    for label, message in zip(labels, messages, strict=True):
        if message.id is None:
            continue
        if message.id in first:
            raise InvalidInput(
                f"{name}: {label}: id {str(message.id)!r} is already the id of {first[message.id]}",
                hint=f"give each message its own id, or none; {NOTHING_IMPORTED}",
            )
        first[message.id] = label


def _uuid(where: str, value: Any) -> UUID | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return UUID(value)
    except ValueError:
        raise InvalidInput(
            f"{where}id {value!r} is not a UUID", hint=f"fix or remove it; {NOTHING_IMPORTED}"
        ) from None


def _instant(where: str, value: Any) -> datetime | None:
    """An RFC 3339 time with its zone (`2026-11-24T09:30:00Z`), as UTC."""
    if value is None:
        return None
    parsed: datetime | None = None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(
            f"{where}created_at {value!r} is not a time with a zone (like 2026-11-24T09:30:00Z)",
            hint=f"fix or remove it; {NOTHING_IMPORTED}",
        )
    try:
        return in_calendar(parsed, f"{where}created_at")
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=f"fix or remove it; {NOTHING_IMPORTED}") from None


def _checked(model: Any, data: dict[str, Any], where: str) -> Any:
    from todo_cli.domain.models import parse as validate

    try:
        return validate(model, data, context=where)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=NOTHING_IMPORTED) from None


def json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
