"""Reading the terminal as a job of it: a background job that reads is stopped.

Without the command server the kernel sees to it: a process of a background
job that reads its controlling terminal is stopped (SIGTTIN) until `fg`. The
server's child has no controlling terminal (a session of its own) and would
read as it pleased: after Ctrl-Z and `bg`, a `todo delete 1` at its prompt
took the "y" typed for the shell as its answer. The child sets ``guard`` (see
server.child): it stops the command while its client is a background job, and
is called before the terminal is read and whenever the command is continued
while it reads.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

T = TypeVar("T")

# Set by the command server's child; None in a process of its own.
guard: Callable[[], None] | None = None
# Whether the command is reading the terminal (or may, from now on: stdin was
# handed to a reader that reads it as it goes).
reading = False


@contextlib.contextmanager
def reading_terminal() -> Iterator[None]:
    """While the command reads a line of its terminal (a prompt's answer)."""
    global reading
    if guard is None or not _stdin_is_a_terminal():
        yield
        return
    before, reading = reading, True
    try:
        guard()
        yield
    finally:
        reading = before


def reads_stdin(stream: T) -> T:
    """The command reads stdin (`todo add`, `import -`) from `stream`, its buffer:
    the terminal's, when stdin is one, until the end of what is typed (Ctrl-D).
    Returns the stream to read, which says when that end is read: a bulk add
    still at work after it runs on in the background as without the server."""
    global reading
    if guard is None or not _stdin_is_a_terminal():
        return stream
    reading = True
    guard()
    return cast(T, _UntilTheEnd(stream))


class _UntilTheEnd:
    """A stream that ends the terminal's reading once read to its end."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, size: int | None = -1, /) -> bytes:
        global reading
        data: bytes = self._stream.read(size)
        # stdin's buffer returns less than asked for only at the end.
        if size is None or size < 0 or len(data) < size:
            reading = False
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _stdin_is_a_terminal() -> bool:
    try:
        return os.isatty(0)
    except OSError:
        return False
