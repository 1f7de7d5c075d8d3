"""Chat logs from other tools: the shapes every reader yields, and telling the formats apart.

The readers (:mod:`.chatgpt`, :mod:`.claude`, :mod:`.llm`) turn an export into
:class:`ImportedConversation` values one at a time, so an import holds one
conversation in memory however large the export is. They keep the source's
own ids and times, which is what makes a second import of a newer export add
only what is new.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

from todo_cli.errors import InvalidInput
from todo_cli.formats import jsonstream
from todo_cli.formats.input import in_calendar

Source = Literal["chatgpt", "claude", "llm"]
Format = Literal["chatgpt", "claude", "llm", "transcript"]
Role = Literal["user", "assistant"]

FORMATS: Final[tuple[Format, ...]] = ("chatgpt", "claude", "llm", "transcript")
ACCEPTED: Final = (
    "a ChatGPT export (conversations.json), a Claude export (conversations.json), "
    "an llm logs.db, or a transcript (a JSON array of {role, content}, JSON Lines of them, "
    "or an object with title and messages)"
)
SQLITE_HEADER: Final = b"SQLite format 3\x00"


@dataclass(frozen=True, slots=True)
class ImportedMessage:
    source_id: str  # the source's own id for the message (stable across exports)
    role: Role
    content: str
    created_at: datetime  # aware, UTC; the message's own time from the source


@dataclass(frozen=True, slots=True)
class ImportedConversation:
    source: Source
    source_id: str  # the source's conversation id
    title: str | None
    created_at: datetime
    updated_at: datetime | None
    messages: tuple[ImportedMessage, ...]  # in conversation order (times may tie)
    # What was left out, by kind: whole messages ("system", "tool", "hidden",
    # "empty", "other-role") and parts of kept messages ("non-text" such as an
    # image or attachment, "reasoning", "fragment").
    skipped: Mapping[str, int]


class Skipped:
    """Counts of what a reader left out of one conversation, by kind."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def add(self, kind: str, count: int = 1) -> None:
        if count:
            self._counts[kind] += count

    def update(self, other: Skipped) -> None:
        self._counts.update(other._counts)

    def total(self) -> int:
        return self._counts.total()

    def frozen(self) -> Mapping[str, int]:
        return MappingProxyType(dict(sorted(self._counts.items())))


def each_conversation(
    stream: jsonstream.Readable,
    name: str,
    conversation: Callable[[Any, str], ImportedConversation],
    *,
    max_item_bytes: int = jsonstream.DEFAULT_MAX_ITEM_BYTES,
) -> Iterator[ImportedConversation]:
    """The conversations of an export that is one JSON array of them (ChatGPT's,
    Claude's), in file order: ``conversation`` of each item, read one at a time, and
    of where it stands, which its errors name (``conversation 3 (.[2])``)."""
    for index, item in jsonstream.iter_array(stream, name, max_item_bytes=max_item_bytes):
        yield conversation(item, f"{name}: conversation {index + 1} (.[{index}])")


# --- times ------------------------------------------------------------------------

# Python's datetime covers years 1-9999; a Unix time outside this range is
# corrupt data, not a date anyone chatted on.
_UNIX_MIN: Final = 0.0
_UNIX_MAX: Final = 253_402_300_799.0  # 9999-12-31T23:59:59Z


def as_written(value: object) -> str:
    """A value of a file as a message quotes it: JSON's own spelling (`true`, `null`,
    `[1]`), not Python's (`True`), which a search of the file does not find; a
    string quoted as the other messages quote one."""
    if isinstance(value, str):
        return repr(value)
    import json

    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def from_unix(value: object, where: str) -> datetime | None:
    """A Unix time in seconds (int or float) as aware UTC; None for null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{where}: a time must be a number of seconds, not {as_written(value)}")
    if not math.isfinite(value) or not _UNIX_MIN <= value <= _UNIX_MAX:
        raise InvalidInput(f"{where}: {value!r} is not a time")
    return in_calendar(datetime.fromtimestamp(value, UTC), where)


def from_iso(value: object, where: str) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset, any fraction of a second) as aware UTC.

    None for null or an empty string. A time without an offset is taken as
    UTC: every tool read here writes UTC, and some (old llm) leave the offset off.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: a time must be a string, not {as_written(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{where}: {value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return in_calendar(parsed, where)


# --- detection --------------------------------------------------------------------


def detect(path: Path) -> Format:
    """Which format the file at ``path`` holds, from its first bytes and first element.

    An SQLite database is ``llm``; a JSON array whose first element has
    ``mapping`` is ``chatgpt`` (one without ``current_node`` is then told as a
    ChatGPT conversation that lacks it), one with ``chat_messages``
    and ``uuid`` is ``claude``, and one of ``{role, content}`` objects (or an
    empty array), an object, or JSON Lines is ``transcript``. Anything else is
    refused, naming the formats that are read (``--format`` chooses one).
    """
    try:
        with path.open("rb") as stream:
            return detect_stream(stream, str(path))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory, not a file") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it: {exc.strerror}") from None


def detect_stream(stream: jsonstream.Readable, name: str) -> Format:
    """:func:`detect` for an open stream, read forward only (it is never rewound).

    It reads the first bytes and, for a JSON array, its first element (at most
    :data:`jsonstream.DEFAULT_MAX_ITEM_BYTES`): wrap a stream that cannot seek
    (stdin, a pipe) in :class:`ReadAhead` to read it again from its start.
    """
    header = _read_at_most(stream, len(SQLITE_HEADER))
    if header == SQLITE_HEADER:
        return "llm"
    start, replay = jsonstream.peek(Replay(header, stream), name)
    if start == "empty":
        raise InvalidInput(f"{name} is empty", hint=f"expected {ACCEPTED}")
    if start == "object":
        return "transcript"
    if start != "array":
        raise _unknown(name, "it is not JSON")
    try:
        first = next(jsonstream.iter_array(replay, name), None)
    except InvalidInput as exc:
        # The first element itself cannot be read (NaN, too large, cut short): that is
        # what is wrong with the file, whatever export it is, not that it is none.
        raise Unreadable(exc.message, hint=exc.hint) from None
    if first is None:
        return "transcript"  # an empty array: the transcript reader has its say
    return _format_of(first[1], name)


class Unreadable(InvalidInput):
    """The input's JSON cannot be read where detection had to: said as it is, rather
    than read again as some other shape whose reader would blame a field."""


def _read_at_most(stream: jsonstream.Readable, size: int) -> bytes:
    """Up to ``size`` bytes, however many reads a pipe takes to give them."""
    data = b""
    while len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            break
        data += more
    return data


class Replay:
    """``head``, then the rest of ``stream``: a stream read again from its start."""

    def __init__(self, head: bytes, stream: jsonstream.Readable) -> None:
        self._head = head
        self._at = 0
        self._stream = stream

    def read(self, size: int = -1, /) -> bytes:
        if self._at >= len(self._head):
            return self._stream.read(size)
        if size is None or size < 0:
            data = self._head[self._at :] + self._stream.read()
        else:
            data = self._head[self._at : self._at + size]
            if len(data) < size:
                data += self._stream.read(size - len(data))
        self._at += len(data)
        if self._at >= len(self._head):
            self._head = b""  # read again in full: let it go
            self._at = 0
        return data


class ReadAhead:
    """A stream that keeps what is read through it, to be read again by :meth:`replay`.

    For telling the format of stdin or a pipe, which cannot seek: what
    :func:`detect_stream` reads (the first element at most) is kept, nothing more.
    """

    def __init__(self, stream: jsonstream.Readable) -> None:
        self._stream = stream
        self._kept: list[bytes] = []

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        self._kept.append(data)
        return data

    def replay(self) -> Replay:
        """The stream from its start: what was read ahead, then the rest (no more is kept)."""
        head = b"".join(self._kept)
        self._kept = []
        return Replay(head, self._stream)


def _format_of(first: Any, name: str) -> Format:
    if not isinstance(first, dict):
        raise _unknown(name, "its first element is not an object")
    keys = first.keys()
    looks: dict[Format, bool] = {
        "chatgpt": "mapping" in keys,
        "claude": {"chat_messages", "uuid"} <= keys,
        "transcript": bool({"role", "content"} & keys),
    }
    matches = [fmt for fmt, hit in looks.items() if hit]
    if len(matches) > 1:
        raise InvalidInput(
            f"{name} looks like both {' and '.join(matches)}",
            hint="choose one with --format",
        )
    if not matches:
        raise _unknown(name, "its first element has none of the fields those formats have")
    return matches[0]


def _unknown(name: str, why: str) -> InvalidInput:
    return InvalidInput(
        f"{name} is not a chat log this reads ({why})",
        hint=f"expected {ACCEPTED}; --format chooses one",
    )
