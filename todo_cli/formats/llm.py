"""Reading the ``llm`` tool's ``logs.db`` (SQLite), never changing it.

Two layouts live in one file. Up to llm 0.31 each prompt and its reply is a
``responses`` row in a ``conversations`` row. From 0.32 each model call is a
``turns`` row in a ``threads`` row, and the text lives in content-addressed
``messages`` (a parent-linked chain) and their ``parts``; the old tables stay,
with their old rows, and are no longer written. A conversation continued with
0.32 becomes a thread with the same id: both halves are read as one
conversation, old rows first.

Either way a model call gives (at most) a user message, its prompt, and an
assistant message, its response, with ids ``<response or turn id>:prompt`` and
``:response``: the turn ids of 0.32 are the response ids of before, so one
scheme serves both, and a call that an in-between version wrote to both
layouts is read once, from its turn (as the tool itself does).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from todo_cli.errors import InvalidInput
from todo_cli.formats.chats import (
    SQLITE_HEADER,
    ImportedConversation,
    ImportedMessage,
    Role,
    Skipped,
    from_iso,
)

# The columns read from each table; a table that lacks one is not llm's.
_NEEDED: Final = {
    "responses": ("id", "prompt", "system", "response", "conversation_id", "datetime_utc"),
    "conversations": ("id", "name"),
    "turns": ("id", "thread_id", "parent_message_hash", "tip_message_hash", "datetime_utc"),
    "threads": ("id", "name", "datetime_utc"),
    "messages": ("hash", "parent_hash", "role"),
    "parts": ("message_hash", "position", "type", "text", "payload"),
    "turn_search": ("turn_id", "prompt", "response"),
    "prompt_attachments": ("response_id",),
    "prompt_fragments": ("response_id",),
    "system_fragments": ("response_id",),
}
_NOT_LLM: Final = "it has neither a responses nor a turns table"


def read(path: Path) -> Iterator[ImportedConversation]:
    """Every conversation in the database at ``path``, ordered by id.

    The file is opened read-only and nothing beside it is created. A
    conversation whose messages are all left out is yielded too, with no
    messages and its ``skipped`` counts.
    """
    name = str(path)
    connection = _open(path, name)
    try:
        yield from _Reader(connection, name).conversations()
    except _NotUtf8 as exc:
        raise InvalidInput(_not_utf8(connection, name, exc.data)) from None
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{name}: cannot read it: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: cannot read it: {_undecoded(exc)}") from None
    finally:
        connection.close()


class _NotUtf8(Exception):
    """A TEXT value that is not UTF-8, met while sqlite3 made a row (which row it
    cannot say: the row is not made yet), with its bytes, to find it again by."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self.data = data


def _strict_text(data: bytes) -> str:
    # sqlite3's own error would quote the whole text, which can be a long prompt.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _NotUtf8(data) from None


# How messages name a row of each table whose text is read (its key columns, and
# the words around them), the same as the reader's own messages name it.
_ROWS: Final = {
    "responses": (("id",), "response {}"),
    "conversations": (("id",), "conversation {}"),
    "turns": (("id",), "turn {}"),
    "threads": (("id",), "thread {}"),
    "messages": (("hash",), "message {}"),
    "parts": (("message_hash", "position"), "message {} part {}"),
    "turn_search": (("turn_id",), "turn {}"),
}
# Read too where the table has it (not every version of llm writes it).
_OPTIONAL: Final = {"responses": ("reasoning",)}


def _not_utf8(connection: sqlite3.Connection, name: str, data: bytes) -> str:
    """The row and column that hold ``data``, text that is not UTF-8, found again by
    its bytes: one bad prompt among thousands is to be found and fixed, so it is
    named by its response (or turn, or message) and column, as a BLOB is. Searched
    only once the import has failed; the file is blamed if it is not found.
    """
    try:
        for table, (keys, label) in _ROWS.items():
            present = {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
            wanted = (*_NEEDED[table], *_OPTIONAL.get(table, ()))
            for column in (column for column in wanted if column in present):
                connection.text_factory = bytes  # the key may be what is not UTF-8
                found = connection.execute(
                    f'SELECT {", ".join(keys)} FROM "{table}"'
                    f' WHERE CAST("{column}" AS BLOB) = ? LIMIT 1',
                    (data,),
                ).fetchone()
                connection.text_factory = _strict_text
                if found is not None:
                    row = label.format(*(_shown(key) for key in found))
                    return f"{name}: {row} {column} holds text that is not valid UTF-8"
    except (_NotUtf8, sqlite3.DatabaseError):
        pass  # the table's own columns cannot be read (a name that is not UTF-8, say)
    return f"{name} holds text that is not valid UTF-8"


def _shown(key: Any) -> str:
    """A key as messages show it: quoted text, its bytes if they are not UTF-8."""
    if isinstance(key, bytes):
        try:
            return repr(key.decode("utf-8"))
        except UnicodeDecodeError:
            return repr(key)
    return str(key)  # a part's position


def _open(path: Path, name: str) -> sqlite3.Connection:
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except FileNotFoundError:
        raise InvalidInput(f"{name}: no such file") from None
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read it: {exc.strerror}") from None
    if not header.startswith(SQLITE_HEADER):
        raise InvalidInput(f"{name} is not an llm logs database (it is not SQLite)")
    uri = path.resolve().as_uri() + "?mode=ro"
    # A database in WAL mode (header byte 18 is 2), opened read-only while it
    # has no -wal file, gets -wal and -shm files made beside it that a
    # read-only connection then cannot remove. With no -wal file there is
    # nothing in one to read, so the file is opened immutable: nothing is made.
    if len(header) > 18 and header[18] == 2 and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
        connection.text_factory = _strict_text
        connection.execute("PRAGMA query_only = ON")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{name}: cannot read it as a database: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: cannot read it as a database: {_undecoded(exc)}") from None
    return connection


def _undecoded(exc: UnicodeDecodeError) -> str:
    """SQLite's error message that sqlite3 could not decode (TEXT values are decoded by
    _strict_text): a damaged schema's "malformed database schema (NAME)" carries the
    damaged bytes of the name."""
    data = exc.object if isinstance(exc.object, bytes) else bytes(exc.object)
    return data.decode("utf-8", "backslashreplace")


@dataclass(frozen=True, slots=True)
class _Call:
    """One model call: a legacy response row or a turn, as the messages it gives."""

    messages: list[tuple[str, Role, str]]  # (source id, role, text)
    at: datetime | None


@dataclass(frozen=True, slots=True)
class _Group:
    """The calls of one conversation (or thread), from one layout."""

    key: str
    title: str | None
    calls: list[_Call]
    skipped: Skipped
    started: datetime | None  # the thread's own time, for a thread whose calls have none


class _Reader:
    def __init__(self, connection: sqlite3.Connection, name: str) -> None:
        self.db = connection
        self.name = name
        self.columns = self._columns()
        if "responses" not in self.columns and "turns" not in self.columns:
            raise InvalidInput(f"{name} is not an llm logs database ({_NOT_LLM})")
        # 0.32 keeps the text in messages and parts; turn_search (which holds
        # the same text flattened) is the fallback if they are not there.
        self.has_store = {"messages", "parts"} <= self.columns.keys()

    def _columns(self) -> dict[str, set[str]]:
        tables = [
            row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        found: dict[str, set[str]] = {}
        for table in tables:
            if table not in _NEEDED:
                continue
            names = {row[1] for row in self.db.execute(f'PRAGMA table_info("{table}")')}
            missing = [column for column in _NEEDED[table] if column not in names]
            if missing:
                raise InvalidInput(
                    f"{self.name} is not an llm logs database "
                    f"(its {table} table has no {missing[0]} column)"
                )
            found[table] = names
        return found

    def conversations(self) -> Iterator[ImportedConversation]:
        # Both sides come sorted by conversation id, so a continued
        # conversation's two halves meet without holding either side whole.
        for old, new in _merge(self._legacy_groups(), self._thread_groups()):
            yield self._conversation(old, new)

    # --- up to 0.31 -------------------------------------------------------------------

    def _legacy_groups(self) -> Iterator[_Group]:
        if "responses" not in self.columns:
            return
        has = self.columns.keys()
        response_columns = self.columns["responses"]
        count = "(SELECT count(*) FROM {table} WHERE {table}.response_id = r.id)"
        select = [
            "coalesce(r.conversation_id, r.id) COLLATE BINARY AS key",
            "r.id",
            "r.prompt",
            "r.system",
            "r.response",
            "r.datetime_utc",
            "c.name" if "conversations" in has else "NULL",
            "r.reasoning" if "reasoning" in response_columns else "NULL",
            *(
                count.format(table=table) if table in has else "0"
                for table in ("prompt_attachments", "prompt_fragments", "system_fragments")
            ),
        ]
        sql = f"SELECT {', '.join(select)} FROM responses AS r"
        if "conversations" in has:
            sql += " LEFT JOIN conversations AS c ON c.id = r.conversation_id"
        if "turns" in has:
            # Written twice by a version in between: the turn is the record.
            sql += " WHERE r.id NOT IN (SELECT id FROM turns)"
        sql += " ORDER BY key, r.datetime_utc, r.id"
        rows = self.db.execute(sql)
        for key, group in itertools.groupby(rows, key=lambda row: row[0]):
            calls: list[_Call] = []
            title: str | None = None
            skipped = Skipped()
            for row in group:
                title = title or _title(row[6])
                calls.append(self._legacy_call(row, skipped))
            yield _Group(str(key), title, calls, skipped, None)

    def _legacy_call(self, row: Sequence[Any], skipped: Skipped) -> _Call:
        _, response_id, prompt, system, response, at, _, reasoning = row[:8]
        attachments, fragments, system_fragments = row[8:]
        where = f"{self.name}: response {response_id!r}"
        skipped.add("system", 1 if _has_text(system) or system_fragments else 0)
        skipped.add("reasoning", 1 if _has_text(reasoning) else 0)
        skipped.add("non-text", attachments)
        skipped.add("fragment", fragments)
        messages: list[tuple[str, Role, str]] = []
        if _has_text(prompt):
            messages.append((f"{response_id}:prompt", "user", _text(prompt, f"{where} prompt")))
        elif not (attachments or fragments):
            skipped.add("empty")
        if _has_text(response):
            answer = _text(response, f"{where} response")
            messages.append((f"{response_id}:response", "assistant", answer))
        else:
            skipped.add("empty")  # a call that only asked for tools, or failed
        return _Call(messages, from_iso(at, f"{where} datetime_utc"))

    # --- 0.32 and later ---------------------------------------------------------------

    def _thread_groups(self) -> Iterator[_Group]:
        if "turns" not in self.columns:
            return
        has_threads = "threads" in self.columns
        sql = (
            "SELECT coalesce(t.thread_id, t.id) COLLATE BINARY AS key, t.id,"
            " t.parent_message_hash, t.tip_message_hash, t.datetime_utc, "
            + ("th.name, th.datetime_utc" if has_threads else "NULL, NULL")
            + " FROM turns AS t"
            + (" LEFT JOIN threads AS th ON th.id = t.thread_id" if has_threads else "")
            + " ORDER BY key, t.datetime_utc, t.id"
        )
        for key, group in itertools.groupby(self.db.execute(sql), key=lambda row: row[0]):
            calls: list[_Call] = []
            title: str | None = None
            started: datetime | None = None
            skipped = Skipped()
            for _, turn_id, parent, tip, at, thread_name, thread_at in group:
                where = f"{self.name}: turn {turn_id!r}"
                title = title or _title(thread_name)
                started = started or from_iso(thread_at, f"{where} thread datetime_utc")
                messages = (
                    self._turn_messages(turn_id, parent, tip, skipped, where)
                    if self.has_store
                    else self._searched_turn(turn_id, where, skipped)
                )
                calls.append(_Call(messages, from_iso(at, f"{where} datetime_utc")))
            yield _Group(str(key), title, calls, skipped, started)

    def _turn_messages(
        self, turn_id: str, parent: str | None, tip: str | None, skipped: Skipped, where: str
    ) -> list[tuple[str, Role, str]]:
        """The prompt and the response of a turn, from its message chain.

        The turn's input is the chain up to ``parent``, but only its last run
        of non-assistant messages is new (a system prompt on the first turn,
        tool results, the prompt); before that is the history, re-sent as
        context, which earlier turns (or old rows) already gave. The turn's
        output is the chain from ``tip`` back to ``parent``.
        """
        inputs: list[tuple[str, str]] = []  # (hash, role), newest first
        seen: set[str] = set()
        step = parent
        while step is not None:
            row = self._message(step, seen, where)
            if row[2] == "assistant":
                break
            inputs.append((row[0], row[2]))
            step = row[1]
        outputs: list[tuple[str, str]] = []
        step = tip
        while step is not None and step != parent:
            row = self._message(step, seen, where)
            outputs.append((row[0], row[2]))
            step = row[1]
        if step != parent:
            raise InvalidInput(f"{where}: its messages do not lead back to its prompt")
        prompt = self._side(reversed(inputs), "user", skipped)
        response = self._side(reversed(outputs), "assistant", skipped)
        return _prompt_and_response(turn_id, prompt, response, skipped)

    def _message(self, message_hash: str, seen: set[str], where: str) -> tuple[str, Any, Any]:
        if message_hash in seen:
            raise InvalidInput(f"{where}: its messages form a cycle at {message_hash!r}")
        seen.add(message_hash)
        row = self.db.execute(
            "SELECT hash, parent_hash, role FROM messages WHERE hash = ?", (message_hash,)
        ).fetchone()
        if row is None:
            raise InvalidInput(f"{where}: message {message_hash!r} is missing")
        return (row[0], row[1], row[2])

    def _side(self, chain: Iterable[tuple[str, str]], role: str, skipped: Skipped) -> str | None:
        """The text of the messages of ``role`` in ``chain`` (None if none has a text part)."""
        texts: list[str] = []
        for message_hash, message_role in chain:
            if message_role != role:
                skipped.add(message_role if message_role in ("system", "tool") else "other-role")
                continue
            text = self._parts_text(message_hash, skipped)
            if text is not None:
                texts.append(text)
        # The tool's own search text joins a turn's texts with nothing between.
        return "".join(texts) if texts else None

    def _parts_text(self, message_hash: str, skipped: Skipped) -> str | None:
        """The message's text parts joined; None if it has none but has other parts (counted)."""
        texts: list[str] = []
        fragments = 0
        parts = 0
        for position, kind, text, payload in self.db.execute(
            'SELECT "position", type, text, payload FROM parts WHERE message_hash = ?'
            ' ORDER BY "position"',
            (message_hash,),
        ):
            parts += 1
            if kind == "text":
                where = f"{self.name}: message {message_hash!r}"
                if text is not None:
                    texts.append(_text(text, f"{where} part {position} text"))
                    continue
                literal, used = _literal_text(payload, where)
                texts.append(literal)
                fragments += used
            elif kind == "reasoning":
                skipped.add("reasoning")
            elif kind in ("tool_call", "tool_result"):
                skipped.add("tool")
            else:
                skipped.add("non-text")  # an attachment
        skipped.add("fragment", fragments)
        joined = "".join(texts)
        if fragments:
            # llm puts fragments (files, pages) before the typed prompt, joined
            # by newlines; they are left out as the old layout's prompt column
            # left them out, and the newlines that joined them go with them.
            joined = joined.strip("\n")
        if not joined.strip() and (parts > len(texts) or fragments):
            return None  # a tool call, an attachment, only fragments: counted above
        return joined

    def _searched_turn(
        self, turn_id: str, where: str, skipped: Skipped
    ) -> list[tuple[str, Role, str]]:
        if "turn_search" not in self.columns:
            raise InvalidInput(
                f"{self.name} has turns but no messages, parts or turn_search table to read"
            )
        row = self.db.execute(
            "SELECT prompt, response FROM turn_search WHERE turn_id = ?", (turn_id,)
        ).fetchone()
        if row is None:
            skipped.add("empty")  # the tool indexes every turn that has any text
            return []
        prompt, response = row
        return _prompt_and_response(
            turn_id,
            _text(prompt, f"{where} prompt") if _has_text(prompt) else None,
            _text(response, f"{where} response") if _has_text(response) else None,
            skipped,
        )

    # --- both -------------------------------------------------------------------------

    def _conversation(self, old: _Group | None, new: _Group | None) -> ImportedConversation:
        groups = [group for group in (old, new) if group is not None]
        key = groups[0].key
        skipped = Skipped()
        for group in groups:
            skipped.update(group.skipped)
        calls = [call for group in groups for call in group.calls]
        known = [call.at for call in calls if call.at is not None]
        started = next((group.started for group in groups if group.started), None)
        # A call without a time takes the one before it (the first known one
        # for those at the start), so times never run backwards.
        last = known[0] if known else started
        if last is None:
            raise InvalidInput(f"{self.name}: conversation {key!r} has no times")
        messages: list[ImportedMessage] = []
        for call in calls:
            last = call.at or last
            messages.extend(
                ImportedMessage(source_id, role, text, last)
                for source_id, role, text in call.messages
            )
        return ImportedConversation(
            source="llm",
            source_id=key,
            # The first name it was given, in the old tables if it has one there.
            title=next((group.title for group in groups if group.title), None),
            created_at=messages[0].created_at if messages else last,
            updated_at=messages[-1].created_at if messages else None,
            messages=tuple(messages),
            skipped=skipped.frozen(),
        )


def _merge(
    old: Iterator[_Group], new: Iterator[_Group]
) -> Iterator[tuple[_Group | None, _Group | None]]:
    """Pairs of groups with the same key from two iterators sorted by key."""
    left, right = next(old, None), next(new, None)
    while left is not None or right is not None:
        if right is None or (left is not None and left.key < right.key):
            yield left, None
            left = next(old, None)
        elif left is None or right.key < left.key:
            yield None, right
            right = next(new, None)
        else:
            yield left, right
            left, right = next(old, None), next(new, None)


def _prompt_and_response(
    call_id: str, prompt: str | None, response: str | None, skipped: Skipped
) -> list[tuple[str, Role, str]]:
    messages: list[tuple[str, Role, str]] = []
    sides: tuple[tuple[str, Role, str | None], ...] = (
        ("prompt", "user", prompt),
        ("response", "assistant", response),
    )
    for suffix, role, text in sides:
        if text is None:
            continue
        if text.strip():
            messages.append((f"{call_id}:{suffix}", role, text))
        else:
            skipped.add("empty")
    return messages


def _literal_text(payload: Any, where: str) -> tuple[str, int]:
    """A text part stored as references: its literal pieces, and how many fragments it used."""
    try:
        pieces = json.loads(payload)["text_ref"] if isinstance(payload, str) else None
    except (ValueError, KeyError, TypeError):
        pieces = None
    if not isinstance(pieces, list):
        raise InvalidInput(f"{where} has a text part with neither text nor text_ref")
    literal = [
        piece["literal"] for piece in pieces if isinstance(piece, dict) and "literal" in piece
    ]
    return "".join(str(text) for text in literal), len(pieces) - len(literal)


def _has_text(value: Any) -> bool:
    return isinstance(value, str | bytes) and bool(value.strip())


def _text(value: Any, where: str) -> str:
    if isinstance(value, bytes):  # a BLOB where text belongs: only if it is UTF-8
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"{where} holds text that is not valid UTF-8") from None
    return str(value)


def _title(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None
