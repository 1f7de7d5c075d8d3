"""The chat-log's own transcript format, read and written.

What `todo chat-log export` and `show --json` print is one JSON object: the
conversation's fields and its ``messages``, each with id, role, content and
time. `import` reads that back, keeping each message's time and id (a
transcript is a record), and also accepts the simpler shapes people write by
hand: a JSON array of ``{role, content}`` objects, or one such object per line
(JSON Lines). Every message is checked before anything is written.

It is read with the limits of every import (:mod:`.jsonstream`): an element
of an array, or an object over many lines, up to 32 MiB, a line up to 8 MiB,
each refused by name once read past; read from its stream (:func:`read`), a
file of any size is held in bounded memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from todo_cli.errors import InvalidInput
from todo_cli.formats import jsonstream
from todo_cli.formats.input import MAX_WHOLE_INPUT, in_calendar

if TYPE_CHECKING:
    from todo_cli.domain.chat import Conversation, ConversationCreate, Message, MessageCreate
    from todo_cli.formats.jsonstream import Readable

T = TypeVar("T")

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


def read(stream: Readable, name: str, title: str | None) -> Transcript:
    """The conversation in ``stream``; InvalidInput naming the first thing wrong.

    Read in bounded memory: each piece has the limit it has in every import,
    and is refused once it is read past that, so a file of any size is refused
    having read little more than one limit. A JSON array is read element by
    element (each at most 32 MiB); other text line by line (each at most
    8 MiB): JSON Lines, or one object on one line. An object over many lines
    (``jq .``, what ``export`` prints) is one piece of at most 32 MiB. The
    messages are all held until they are written (all or nothing), so the file
    as a whole is bounded too, at :data:`MAX_WHOLE_INPUT`.
    """
    try:
        document, items = _items(_Bounded(stream, name), name)
    except RecursionError:
        raise InvalidInput(f"{name} is nested too deeply", hint=NOTHING_IMPORTED) from None
    except OSError as exc:
        raise InvalidInput(
            f"{name}: cannot read it: {exc.strerror}", hint=NOTHING_IMPORTED
        ) from None
    return _transcript(name, document, items, title)


def parse(name: str, text: str, title: str | None) -> Transcript:
    """:func:`read` of text already read whole: the same limits, the same messages."""
    return read(_TextStream(text), name, title)


def _transcript(
    name: str, document: dict[str, Any], items: list[tuple[str, Any]], title: str | None
) -> Transcript:
    from todo_cli.domain.chat import ConversationCreate

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


class _Bounded:
    """``stream``, refused once more than :data:`MAX_WHOLE_INPUT` is read of it."""

    def __init__(self, stream: Readable, name: str) -> None:
        self._stream = stream
        self._name = name
        self._read = 0

    def read(self, size: int = -1, /) -> bytes:
        room = MAX_WHOLE_INPUT + 1 - self._read  # a byte past the limit tells it is past
        data = self._stream.read(room if size is None or size < 0 else min(size, room))
        self._read += len(data)
        if self._read > MAX_WHOLE_INPUT:
            raise InvalidInput(
                f"{self._name} is larger than {MAX_WHOLE_INPUT // jsonstream.MiB} MiB",
                hint=NOTHING_IMPORTED,
            )
        return data


class _TextStream:
    """Text already decoded, read again as the UTF-8 it was, a piece at a time
    (encoding it whole would hold the file a second time)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._at = 0

    def read(self, size: int = -1, /) -> bytes:
        end = len(self._text) if size is None or size < 0 else self._at + size
        piece = self._text[self._at : end]
        self._at += len(piece)
        return piece.encode("utf-8")


def _told(exc: InvalidInput) -> InvalidInput:
    """A refusal by the JSON reader, saying too that nothing was imported."""
    if not exc.hint:
        exc.hint = NOTHING_IMPORTED
    elif NOTHING_IMPORTED not in exc.hint:
        exc.hint = f"{exc.hint}; {NOTHING_IMPORTED}"
    return exc


def _telling(pieces: Iterator[T]) -> Iterator[T]:
    """``pieces`` from the JSON reader, its refusals told by :func:`_told`."""
    try:
        yield from pieces
    except InvalidInput as exc:
        raise _told(exc) from None


def _items(stream: Readable, name: str) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The file's conversation fields (if any) and its messages, each labelled for errors."""
    try:
        start, replay = jsonstream.peek(stream, name)
    except InvalidInput as exc:
        raise _told(exc) from None
    if start == "empty":
        raise InvalidInput(f"{name} is empty", hint=f"expected {SHAPES}")
    if start == "array":
        elements = _telling(jsonstream.iter_array(replay, name))
        return {}, [(f"message {i + 1} (.[{i}])", item) for i, item in elements]
    return _lines_or_document(name, _telling(jsonstream.iter_lines(replay, name)))


def _lines_or_document(
    name: str, lines: Iterator[tuple[int, str]]
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """JSON Lines, when the first line that holds something is a whole value;
    else one document over many lines. (A line that ``str.strip`` empties is blank.)
    """
    first: tuple[int, Any] | None = None
    for number, line in lines:
        if not line.strip():
            continue
        try:
            first = (number, jsonstream.loads(line))
        except json.JSONDecodeError as exc:
            return _document(name, number, line, lines, exc)
        except jsonstream.Refused as exc:
            raise InvalidInput(f"{name}: line {number} {exc}", hint=NOTHING_IMPORTED) from None
        break
    if first is None:
        raise InvalidInput(f"{name} is empty", hint=f"expected {SHAPES}")
    items = [(f"line {first[0]}", first[1])]
    for number, line in lines:
        if line.strip():
            items.append((f"line {number}", _line_value(name, number, line)))
    if len(items) > 1:
        return {}, items
    return _shape(name, first[1], items[0][0])


def _line_value(name: str, number: int, line: str) -> Any:
    try:
        return jsonstream.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{name}: line {number} is not JSON: {jsonstream.said(exc)} at column {exc.colno}",
            hint=NOTHING_IMPORTED,
        ) from None
    except jsonstream.Refused as exc:
        raise InvalidInput(f"{name}: line {number} {exc}", hint=NOTHING_IMPORTED) from None


def _document(
    name: str,
    number: int,
    line: str,
    lines: Iterator[tuple[int, str]],
    unfinished: json.JSONDecodeError,
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """One JSON document from line ``number`` (``line``, which is not a whole value:
    ``unfinished`` says why) on, read whole and bounded as an element of an array
    is: what `export` prints, or one message, written over many lines."""
    limit = jsonstream.DEFAULT_MAX_ITEM_BYTES
    # The blank lines before it keep its lines' numbers, for messages.
    kept = ["\n" * (number - 1) + line]
    size = len(line.encode("utf-8"))
    for _, more in lines:
        size += 1 + len(more.encode("utf-8"))
        if size > limit:
            if unfinished.pos < len(line.rstrip()):
                # Wrong before its line ends (broken JSON Lines, say): that is
                # what to fix, and what the whole document's parse would say too.
                raise _not_json(name, unfinished, number)
            raise InvalidInput(
                f"{name} is larger than {limit // jsonstream.MiB} MiB",
                hint=f"it is too large to import; {NOTHING_IMPORTED}",
            )
        kept.append(more)
    try:
        document = jsonstream.loads("\n".join(kept))
    except json.JSONDecodeError as exc:
        raise _not_json(name, exc) from None
    except jsonstream.Refused as exc:
        raise InvalidInput(f"{name} {exc}", hint=NOTHING_IMPORTED) from None
    return _shape(name, document)


def _not_json(name: str, exc: json.JSONDecodeError, line: int = 1) -> InvalidInput:
    """The document is not JSON, where ``exc`` says (on the document's ``line``)."""
    return InvalidInput(
        f"{name} is not JSON: {jsonstream.said(exc)} "
        f"at line {line + exc.lineno - 1} column {exc.colno}",
        hint=f"expected {SHAPES}; {NOTHING_IMPORTED}",
    )


def _shape(
    name: str, document: Any, label: str = "line 1"
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """What a file that is one JSON value holds (``label`` names a message)."""
    if isinstance(document, dict) and not {"role", "content"} & document.keys():
        return document, _object_items(name, document)
    if isinstance(document, dict):
        return {}, [(label, document)]  # JSON Lines of one message
    raise InvalidInput(
        f"{name}: expected {SHAPES}, not {json_type(document)}", hint=NOTHING_IMPORTED
    )


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


# The form of an RFC 3339 time, whatever its numbers.
_TIME_FORM = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _instant(where: str, value: Any) -> datetime | None:
    """An RFC 3339 time with its zone (`2026-11-24T09:30:00Z`), as UTC."""
    if value is None:
        return None
    parsed: datetime | None = None
    why = ""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            # A time of the right form with a field out of range ("month must be in
            # 1..12") is said as such, not as one of the wrong form.
            if _TIME_FORM.match(value):
                why = f": {exc}"
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(
            f"{where}created_at {value!r} is not a time with a zone (like "
            f"2026-11-24T09:30:00Z){why}",
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
