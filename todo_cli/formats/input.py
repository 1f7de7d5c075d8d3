"""Reading what users hand in (a file, or stdin as `-`): strictly UTF-8, lines as written.

The one place input text is decoded, so every command treats it alike:

* invalid UTF-8 is an error naming the line, never replaced or guessed;
* a leading byte order mark (as some editors write) is dropped;
* lines end at ``\\n`` or ``\\r\\n`` only: U+2028, a vertical tab, a form
  feed or a lone CR are characters inside a line (``str.splitlines`` would
  cut a title there and shift every line number after it);
* input is bounded: what is read whole must fit comfortably in memory.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from todo_cli.errors import InvalidInput

if TYPE_CHECKING:
    from todo_cli.formats.jsonstream import Readable

# Whole-input reads (stdin bulk add, a transcript) stop here; formats that may
# be bigger (data exports) are streamed instead.
MAX_WHOLE_INPUT = 256 * 1024 * 1024


def describe(source: str) -> str:
    return "stdin" if source == "-" else source


def open_binary(source: str, *, hint: str) -> IO[bytes]:
    """`source` opened for reading bytes: stdin for `-`, else the file."""
    if source == "-":
        from todo_cli.terminal import reads_stdin

        if hasattr(sys.stdin, "buffer"):
            # The terminal's, perhaps: see todo_cli/terminal.py.
            return reads_stdin(sys.stdin.buffer)
        # stdin as a text stream only (as under test runners)
        import io

        return io.BytesIO(sys.stdin.read().encode("utf-8"))
    if not source:
        # Path("") is ".", the working directory: "'' is a directory" would puzzle.
        raise InvalidInput("the file name is empty: give a FILE, or - for stdin", hint=hint)
    try:
        stream = Path(source).open("rb")  # noqa: SIM115 (the caller closes it)
    except FileNotFoundError:
        raise InvalidInput(f"{source}: no such file", hint=hint) from None
    except IsADirectoryError:
        raise InvalidInput(f"{source} is a directory, not a file", hint=hint) from None
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read it: {exc.strerror}", hint=hint) from None
    _refuse_archive(stream, source, hint=hint)
    return stream


# How an archive starts: such a file is bytes to unpack, not text ("not valid UTF-8"
# would say nothing of what to do). A ChatGPT export comes as a zip.
_ARCHIVES = {
    b"PK\x03\x04": ("a zip archive", "unzip it and import the file inside"),
    b"\x1f\x8b": ("gzip-compressed", "gunzip it, and import what comes out"),
}


def _refuse_archive(stream: IO[bytes], source: str, *, hint: str) -> None:
    """Refuse a file that starts as an archive does; else leave it at its start."""
    if not stream.seekable():
        return  # a FIFO, say: what is read could not be put back; judged by its text
    head = stream.read(4)
    stream.seek(0)
    for magic, (what, todo) in _ARCHIVES.items():
        if head.startswith(magic):
            stream.close()
            raise InvalidInput(f"{source} is {what}, not text: {todo}", hint=hint)


def read_text(source: str, *, hint: str) -> str:
    """The whole of `source` (a path, or `-` for stdin) as text."""
    stream = open_binary(source, hint=hint)
    try:
        return read_stream(stream, describe(source), hint=hint)
    finally:
        if source != "-":
            stream.close()


def read_stream(stream: Readable, name: str, *, hint: str) -> str:
    """The whole of an open stream as text (at most :data:`MAX_WHOLE_INPUT` bytes)."""
    try:
        data = stream.read(MAX_WHOLE_INPUT + 1)
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read it: {exc.strerror}", hint=hint) from None
    if len(data) > MAX_WHOLE_INPUT:
        raise InvalidInput(
            f"{name} is larger than {MAX_WHOLE_INPUT // (1024 * 1024)} MiB", hint=hint
        )
    return decode(name, data, hint=hint)


def decode(name: str, data: bytes, *, hint: str) -> str:
    """Strict UTF-8, a leading byte order mark dropped."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{name} is not valid UTF-8 (line {line})", hint=hint) from None
    return text.removeprefix("\ufeff")


def split_lines(text: str) -> list[str]:
    """Lines ending at \\n or \\r\\n only; a final newline ends the last line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def numbered_lines(text: str) -> list[tuple[int, str]]:
    """The lines that hold something, each with its line number (from 1).

    Found by one pattern, blank lines never made: listing every line first held
    a pointer for each, 1.7 GB for the 100 MB of newlines stdin may carry.
    """
    import re

    found = []
    number, at = 1, 0
    for match in re.finditer(r"^.*\S.*$", text, re.MULTILINE):
        number += text.count("\n", at, match.start())
        at = match.start()
        found.append((number, match.group().removesuffix("\r")))
    return found


def in_calendar(value: datetime, where: str) -> datetime:
    """An aware time as UTC, refused where some zone could not show it as a local date
    (days at the calendar's ends): every list, show and search in such a zone
    would fail on it, long after the import."""
    from todo_cli.domain.dates import within_calendar

    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or not within_calendar(instant):
        raise InvalidInput(
            f"{where}: {value.isoformat()} is out of range "
            "(a time between 0001-01-02 and 9999-12-30)"
        )
    return instant
