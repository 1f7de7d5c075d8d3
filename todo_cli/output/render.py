"""JSON for scripts, and messages for people.

Queries never know how they will be shown; commands pick one function here.
stdout carries data only; everything else goes to stderr.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from todo_cli.domain.fields import TASK_FIELDS, Kind
from todo_cli.domain.text import json_safe, one_line
from todo_cli.domain.text import plural as plural  # the services say counts so too

if TYPE_CHECKING:
    from todo_cli.domain.chat import Conversation, Message
    from todo_cli.domain.fields import Note, Task


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    # Values are UTC already (see db.schema.UTCDateTime): drop "+00:00" and
    # say so the RFC 3339 way.
    return value.isoformat(timespec="microseconds")[:-6] + "Z"


def _same(value: Any) -> Any:
    return value


def _uuid(value: Any) -> str | None:
    return None if value is None else str(value)


def _tags(value: tuple[str, ...]) -> list[str]:
    return list(value)


def _notes(value: tuple[Note, ...]) -> list[dict[str, Any]]:
    return [{"created_at": rfc3339(note.created_at), "text": note.text} for note in value]


def _uuids(value: tuple[Any, ...]) -> list[str]:
    return [str(item) for item in value]


def _numbers(value: tuple[int, ...]) -> list[int]:
    return list(value)


_ENCODE: dict[Kind, Callable[[Any], Any]] = {
    "uuid": _uuid,
    "int": _same,
    "bool": _same,
    "float": _same,
    "text": _same,
    "instant": rfc3339,
    "tags": _tags,
    "notes": _notes,
    "uuids": _uuids,
    "numbers": _numbers,
    "object": _same,
}


def _task_encoder() -> Callable[[Task], dict[str, Any]]:
    """A function building a task's JSON object, written out from the field declaration.

    One dict display with each field's encoder inlined runs in half the time
    of a loop over the fields, which is most of `list --json` at 100,000
    tasks. The generated source only ever holds field names, which are
    Python identifiers by construction (dataclass attributes).
    """
    namespace: dict[str, Any] = {f"_encode_{kind}": encode for kind, encode in _ENCODE.items()}
    items = []
    for spec in TASK_FIELDS:
        if not spec.json:
            continue
        value = f"task.{spec.name}"
        if _ENCODE[spec.kind] is not _same:
            value = f"_encode_{spec.kind}({value})"
        items.append(f"{spec.name!r}: {value}")
    source = "def task_json(task):\n    return {" + ", ".join(items) + "}\n"
    exec(source, namespace)
    function: Callable[[Task], dict[str, Any]] = namespace["task_json"]
    function.__doc__ = "A task as the JSON object scripts read: keys in declaration order."
    return function


task_json = _task_encoder()


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": str(conversation.id),
        "number": conversation.number,
        "title": conversation.title,
        "message_count": conversation.message_count,
        "created_at": rfc3339(conversation.created_at),
        "updated_at": rfc3339(conversation.updated_at),
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "role": message.role.value,
        "content": message.content,
        "created_at": rfc3339(message.created_at),
    }


_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII as is (but what a terminal acts on: text.json_safe):
    the encoding of every item in a list."""
    return json_safe(_compact.encode(value))


def snake_keys(counts: dict[str, int]) -> dict[str, int]:
    """Counts by reason, keyed as JSON keys are (snake_case): "later recurring
    instance" is `later_recurring_instance`, "non-text" `non_text`."""
    keyed: dict[str, int] = {}
    for reason, count in counts.items():
        key = "".join(char if char.isalnum() else " " for char in reason.lower())
        key = "_".join(key.split())
        keyed[key] = keyed.get(key, 0) + count
    return keyed


def utf8_stdout() -> None:
    """stdout in UTF-8 from here on, whatever the locale: for data, not words to read.

    JSON between programs is UTF-8 (RFC 8259), and an export to stdout is the bytes
    `-o FILE` writes. In a Latin-1 locale Python encodes stdout in Latin-1: `export >
    file` then wrote a file `todo import` could not read back, and a character
    Latin-1 lacks (an emoji, an arrow) failed the whole command (exit 74).
    """
    stream = sys.stdout
    encoding = getattr(stream, "encoding", None)
    if not isinstance(encoding, str) or encoding.lower().replace("-", "") == "utf8":
        return
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:  # a TextIOWrapper (not ClosedStdout, not a test's capture)
        reconfigure(encoding="utf-8")


def write_json(value: Any, out: TextIO | None = None) -> None:
    """One JSON document, indented for people who read it."""
    if out is None:
        utf8_stdout()
    (out or sys.stdout).write(json_safe(json.dumps(value, ensure_ascii=False, indent=2)) + "\n")


def write_json_array(items: Iterable[dict[str, Any]], out: TextIO | None = None) -> int:
    """A JSON array written item by item (one per line), so a long list never sits in memory."""
    if out is None:
        utf8_stdout()
    stream = out or sys.stdout
    encode = dumps
    count = 0
    for item in items:
        stream.write(("[\n  " if count == 0 else ",\n  ") + encode(item))
        count += 1
    stream.write("[]\n" if count == 0 else "\n]\n")
    return count


def write_json_lines(items: Iterable[dict[str, Any]], out: TextIO | None = None) -> int:
    """JSON Lines: one compact object per line."""
    if out is None:
        utf8_stdout()
    stream = out or sys.stdout
    count = 0
    for item in items:
        stream.write(dumps(item) + "\n")
        count += 1
    return count


def error_json(code: str, message: str, details: dict[str, Any] | None = None) -> str:
    """The error object as stderr carries it: where stderr is not UTF-8 (an ASCII or
    Latin-1 locale) in ASCII, each other character as a JSON \\u escape, so that it
    is the same valid JSON whatever the locale; in UTF-8, as it is. `details` are
    keys beside code and message (TodoError.details)."""
    error = {"error": {"code": code, "message": message, **(details or {})}}
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    if encoding.lower().replace("-", "").replace("_", "") == "utf8":
        return dumps(error)
    return json_safe(json.dumps(error, separators=(",", ":")))


def tell(message: str) -> None:
    """A message for the person at the terminal (stderr), never data.

    One that cannot be written (stderr's reader gone, a full disk) is lost
    and nothing more: a command does not fail, or undo its change, over a
    message. Data goes to stdout, whose failures are errors (flush_stdout).
    """
    with contextlib.suppress(OSError):
        sys.stderr.write(one_line(message) + "\n")


# Items a report names one by one on stderr; --json lists every one.
SHOWN = 20


def capped(items: Sequence[str], label: str, noun: str) -> list[str]:
    """Report lines ("  LABEL: item") for the first SHOWN items, then how many more."""
    lines = [f"  {label}: {item}" for item in items[:SHOWN]]
    if len(items) > SHOWN:
        lines.append(f"  ... and {len(items) - SHOWN:,} more {noun} (--json lists them all)")
    return lines


def reader_gone() -> None:
    """stdout's reader left (`todo list | head -1`): it had all it wanted.

    Point stdout at /dev/null, so nothing more (the interpreter's last flush
    included) complains about the closed pipe.
    """
    import os

    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):
        return  # no descriptor (ClosedStdout, a detached stream): nothing to redirect
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


# What a write to stdout fails with when the output cannot be written: a full
# disk or quota, a file too large, an I/O error, a closed descriptor.
_OUTPUT_ERRNOS = frozenset({"ENOSPC", "EDQUOT", "EFBIG", "EIO", "EBADF"})


def as_output_error(exc: BaseException) -> Exception | None:
    """The OutputError an OSError from writing the output is, or None.

    Unbuffered stdout (PYTHONUNBUFFERED=1, or a write larger than the buffer)
    fails in the write itself rather than in the flush.
    """
    import errno

    from todo_cli.errors import OutputError

    if isinstance(exc, UnicodeEncodeError) and exc.encoding.lower().replace("-", "") != "utf8":
        # `PYTHONIOENCODING=ascii todo list` and a title with an é: the stream's
        # encoding cannot hold the data (a UTF-8 stream holds everything; such an
        # error there would be a bug of ours, and is not hidden here).
        return OutputError(
            f"cannot write the output in {exc.encoding}: it cannot hold "
            f"{exc.object[exc.start : exc.end]!a}",
            hint="use a UTF-8 locale, or PYTHONIOENCODING=utf-8",
        )
    if isinstance(exc, BrokenPipeError) or not isinstance(exc, OSError):
        return None
    if errno.errorcode.get(exc.errno or 0) not in _OUTPUT_ERRNOS:
        return None
    return OutputError(f"cannot write the output: {exc.strerror or exc}")


class ClosedStdout:
    """Stands for a stdout the process was started without (`todo list 1>&-`).

    Python sets sys.stdout to None then; writing to it must be the output
    error it is, and a command that prints nothing must still succeed.
    """

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "stdout is closed")

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        import io

        raise io.UnsupportedOperation("stdout is closed")


class DiscardedStderr:
    """Stands for a stderr the process was started without (`todo add x 2>&-`).

    Python sets sys.stderr to None then. Its messages are for a person who
    chose not to see them: they are dropped, and the command runs as usual.
    """

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        import io

        raise io.UnsupportedOperation("stderr is closed")


def flush_stdout() -> None:
    """Push what was written to stdout out now, so a failure shows here.

    A full disk or a closed stdout becomes an OutputError (exit 74); a reader
    that went away stays a BrokenPipeError, which callers treat as success.
    """
    import errno

    from todo_cli.errors import OutputError

    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise BrokenPipeError(*exc.args) from None
        raise OutputError(f"cannot write the output: {exc.strerror or exc}") from None
    except ValueError:  # stdout was closed under us
        raise OutputError("cannot write the output: stdout is closed") from None
