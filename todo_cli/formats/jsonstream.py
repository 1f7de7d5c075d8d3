"""Big JSON input, read in bounded memory: the one place `todo` does it.

A ChatGPT export or a Taskwarrior export can be hundreds of megabytes, and
``json.load`` of such a file holds all of it as Python objects at once (about
ten times its size). The readers here hold one element (one conversation, one
task, one line) at a time, and refuse what no real file holds: an element
larger than a cap, nesting deeper than a limit, text that is not UTF-8. Every
refusal is an :class:`InvalidInput` that names the file and the element or
line, never a ``MemoryError`` or ``RecursionError``.

Positions in messages follow the :mod:`json` module: lines and columns count
from 1, a line ends at ``\\n``, a column counts characters.

- :func:`peek` tells an array from an object (or nothing) without losing it.
- :func:`iter_array` yields the elements of a top-level array one at a time.
- :func:`iter_lines` and :func:`iter_json_lines` read line-based input
  (:func:`iter_lines_passing_over` and ``on_bad`` pass over a line that cannot be read).
- :func:`load` reads one whole, bounded JSON document.
- :func:`iter_text` decodes a byte stream as strict UTF-8, chunk by chunk.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Final, Literal, Protocol

from todo_cli.errors import InvalidInput

MiB: Final = 1024 * 1024
# The largest ChatGPT conversations seen in real exports are a few MiB; an
# element parses into roughly ten times its size in Python objects, so this
# keeps one element well inside the 400 MiB an import may use.
DEFAULT_MAX_ITEM_BYTES: Final = 32 * MiB
DEFAULT_MAX_LINE_BYTES: Final = 8 * MiB
# Real exports nest about 15 levels; the json module itself recurses once
# per level, so the limit also keeps it far from Python's recursion limit.
DEFAULT_MAX_DEPTH: Final = 100
CHUNK_BYTES: Final = MiB

Start = Literal["array", "object", "empty", "other"]
# Told of a line that cannot be read (its number, why), which is then passed over.
OnBadLine = Callable[[int, str], None]

_BOM: Final = codecs.BOM_UTF8
_WHITESPACE: Final = " \t\r\n"  # JSON's four, and no others (not U+2028, not form feed)

# The scanner's fast path: one regex call skips everything that cannot change
# the nesting depth (strings are taken whole, so brackets inside them do not
# count), and the Python loop runs once per bracket, not once per byte. The
# quantifiers are possessive: nothing here needs backtracking, and without
# the bookkeeping for it the scan runs twice as fast.
_STRING: Final = r'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
_INSIDE: Final = r"(?:" + _STRING + r'|[^"\[\]{}]++)*+'
_TOP: Final = r"(?:" + _STRING + r'|[^"\[\]{},]++)*+'  # between elements a comma ends one
_SKIP_INSIDE_B: Final = re.compile(_INSIDE.encode(), re.DOTALL)
_SKIP_TOP_B: Final = re.compile(_TOP.encode(), re.DOTALL)
_SKIP_INSIDE_S: Final = re.compile(_INSIDE, re.DOTALL)
_WS_RUN_B: Final = re.compile(rb"[ \t\r\n]*")
_WS_RUN_S: Final = re.compile(r"[ \t\r\n]*")


class Readable(Protocol):
    """What the readers need of a stream: ``read`` (a file opened ``rb``, stdin's buffer)."""

    def read(self, size: int = -1, /) -> bytes: ...


class _NotJson(ValueError):
    """NaN and Infinity: Python's json module accepts them, JSON does not."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


class _OutOfRange(ValueError):
    """A number too large to keep. Past a float's range (1e400) Python's json makes
    it Infinity, which no JSON holds, so a task keeping it could never be exported
    as JSON again. An integer of more digits than Python converts (4,300 unless
    configured otherwise) Python refuses with advice about its own settings, which
    tells someone importing a file nothing."""


_INFINITIES: Final = (float("inf"), float("-inf"))


def _finite(text: str) -> float:
    value = float(text)
    if value in _INFINITIES:
        raise _OutOfRange(f"holds {text}, a number too large to keep")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # the json module hands over only digits and a sign
        digits = len(text.removeprefix("-"))
        raise _OutOfRange(f"holds a number of {digits} digits, too large to keep") from None


def _refused(exc: ValueError) -> str:
    """Why a value the decoder refused is refused, after the element's name."""
    return str(exc) if isinstance(exc, _OutOfRange) else f"is not valid JSON: {exc}"


# strict=False: a control character (ESC, \x01) raw inside a string is taken as
# itself. Taskwarrior 2.6 writes them so (a pasted escape sequence in a
# description), and reads its own file back; JSON wants them escaped, but
# nothing is ambiguous about one raw.
_DECODER: Final = json.JSONDecoder(
    parse_constant=_refuse_constant, parse_float=_finite, parse_int=_integer, strict=False
)


class Refused(ValueError):
    """A value :func:`loads` refuses though Python's json takes it (NaN, 1e400, an
    integer of 5,000 digits); its text says why, after the value's name."""


def loads(text: str) -> Any:
    """One JSON value, parsed as every reader here parses one (see :class:`Refused`).

    For a reader that has its text whole and words its own errors: a mistake
    raises :class:`json.JSONDecodeError`, with its position, as :func:`json.loads` does.
    """
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        raise Refused(_refused(exc)) from None


def _skip(pattern: re.Pattern[Any], data: Any, pos: int) -> int:
    """Where a run of ``pattern`` from ``pos`` ends (the patterns match the empty run too)."""
    match = pattern.match(data, pos)
    assert match is not None  # every pattern here ends in '*', so it matches
    return match.end()


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit % MiB == 0 else f"{limit:,} bytes"


def _element(index: int) -> str:
    return f"element {index + 1} (.[{index}])"


# --- strict UTF-8 ---------------------------------------------------------------


def decode(data: bytes, name: str, *, first_line: int = 1) -> str:
    """``data`` as strict UTF-8; an error names the line (``data`` starts on ``first_line``)."""
    try:
        return str(data, "utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        raise InvalidInput(f"{name} is not valid UTF-8 (line {line})") from None


def iter_text(stream: Readable, name: str, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """The stream decoded as strict UTF-8, a chunk at a time; a leading BOM is dropped."""
    # utf-8-sig drops the BOM even when it arrives split across reads.
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    line = 1
    while True:
        data = stream.read(chunk_bytes)
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            # exc.object is what the decoder held back (never a newline:
            # only the start of a multi-byte sequence) plus this read.
            bad = line + exc.object.count(b"\n", 0, exc.start)
            raise InvalidInput(f"{name} is not valid UTF-8 (line {bad})") from None
        if text:
            line += text.count("\n")
            yield text
        if not data:
            return


# --- peeking ----------------------------------------------------------------------


class _Replay:
    """A stream that gives back what :func:`peek` read before going on with the rest."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1, /) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size is None or size < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def peek(stream: Readable, name: str, *, limit: int = MiB) -> tuple[Start, Readable]:
    """How the stream starts, and a stream that still starts at the beginning.

    ``array`` (its first non-space character is ``[``), ``object`` (``{``: one
    object, or JSON Lines of objects), ``empty`` (nothing but white space and a
    BOM) or ``other``. Only the leading white space is read, up to ``limit``.
    """
    head = b""
    while True:
        data = stream.read(CHUNK_BYTES)
        head += data
        body = head.removeprefix(_BOM) if len(head) >= len(_BOM) or not data else b""
        content = body.lstrip(b" \t\r\n")
        if content or not data:
            break
        if len(head) > limit:
            raise InvalidInput(f"{name} starts with more than {_size(limit)} of white space")
    first = content[:1]
    start: Start = (
        "empty"
        if not first
        else "array"
        if first == b"["
        else "object"
        if first == b"{"
        else "other"
    )
    return start, _Replay(head, stream)


# --- arrays -----------------------------------------------------------------------


def _read_first(stream: Readable, size: int) -> tuple[bytes, bool]:
    """The first read of a stream with a leading BOM dropped, even one split across reads;
    and whether the stream had anything at all."""
    raw = stream.read(size)
    while raw and len(raw) < len(_BOM) and _BOM.startswith(raw):
        more = stream.read(size)
        if not more:
            break
        raw += more
    return raw.removeprefix(_BOM), bool(raw)


def _read_at_most(stream: Readable, size: int) -> bytes:
    """Up to ``size`` bytes, however many reads a pipe takes to give them."""
    parts: list[bytes] = []
    total = 0
    while total < size:
        data = stream.read(min(CHUNK_BYTES, size - total))
        if not data:
            break
        parts.append(data)
        total += len(data)
    return b"".join(parts)


class _Source:
    """A byte stream read in chunks, with the line and column of the read position.

    Bytes before the position are dropped when more are read, except from
    ``keep`` on (the start of the element being scanned), so memory holds one
    element plus one chunk.
    """

    def __init__(self, stream: Readable, name: str) -> None:
        self.stream = stream
        self.name = name
        self.buf = b""
        self.pos = 0
        self.eof = False
        self.line = 1
        self.col = 1
        self._started = False  # the first read drops a BOM
        # Whether read_run may try the buffer: once after each read (see read_run).
        self.fast = True
        # How messages name the value at an index: an array's element, or the
        # Nth of a stream of values (iter_values).
        self.element: Callable[[int], str] = _element

    def fill(self, keep: int) -> int:
        """Read more, dropping ``buf[:keep]``; returns how far indexes shifted (``keep``).

        At the end of the stream ``eof`` is set and nothing changes.
        """
        pending = len(self.buf) - keep
        # A token longer than a chunk is rescanned from its start after each
        # read; reading as much again as is pending keeps that linear.
        size = max(CHUNK_BYTES, pending)
        if self._started:
            data = self.stream.read(size)
            more = bool(data)
        else:
            self._started = True
            data, more = _read_first(self.stream, size)
        if not more:
            self.eof = True
            return 0
        self.buf = self.buf[keep:] + data
        self.pos -= keep
        self.fast = True
        return keep

    def skip_space(self) -> int | None:
        """Move past JSON white space; the next byte, or None at the end of the stream."""
        while True:
            end = _skip(_WS_RUN_B, self.buf, self.pos)
            self._advance_ascii(end)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            self.fill(self.pos)
            if self.eof:
                return None

    def step(self) -> None:
        """Move past one ASCII byte that is not a newline (a bracket or a comma)."""
        self.pos += 1
        self.col += 1

    def _advance_ascii(self, end: int) -> None:
        newlines = self.buf.count(b"\n", self.pos, end)
        if newlines:
            self.line += newlines
            self.col = end - self.buf.rfind(b"\n", self.pos, end)
        else:
            self.col += end - self.pos
        self.pos = end

    def advance_text(self, end: int, text: str) -> None:
        """Move past ``buf[pos:end]``, whose decoded text is ``text`` (columns count characters)."""
        newlines = text.count("\n")
        if newlines:
            self.line += newlines
            self.col = len(text) - text.rfind("\n")
        else:
            self.col += len(text)
        self.pos = end

    def error(self, message: str, hint: str | None = None) -> InvalidInput:
        return InvalidInput(f"{self.name}: {message}", hint=hint)

    def found_here(self) -> str:
        """What is at the position, for messages: a quoted character, or the end."""
        if len(self.buf) - self.pos < 4 and not self.eof:
            self.fill(self.pos)  # a character may be cut at the end of the buffer
        if self.pos >= len(self.buf):
            return "the end of the file"
        for size in range(1, 5):
            try:
                character = self.buf[self.pos : self.pos + size].decode("utf-8")
            except UnicodeDecodeError:
                continue
            return f"{character!r} at line {self.line} column {self.col}"
        raise InvalidInput(f"{self.name} is not valid UTF-8 (line {self.line})")

    def read_element(self, index: int, *, max_bytes: int, max_depth: int) -> Any:
        """Parse the element that starts at the position, checking size and depth first."""
        line, col = self.line, self.col
        start = p = self.pos
        depth = 0
        while True:
            p, depth, complete = _scan(self.buf, p, depth, max_depth)
            if complete:
                break
            if depth > max_depth:
                raise self.error(
                    f"{self.element(index)}, starting on line {line}, is nested more than "
                    f"{max_depth} levels deep",
                    hint="no real export nests that deep",
                )
            # All that is buffered from the start belongs to the element so far
            # (p may be back at the quote of a long string).
            if len(self.buf) - start > max_bytes:
                raise self._too_large(index, line, max_bytes)
            shift = self.fill(start)
            if self.eof:
                if depth == 0 and p == len(self.buf):
                    break  # a scalar at the very end; the caller finds the array unclosed
                raise self.error(
                    f"ends inside {self.element(index)}, which starts on line {line}",
                    hint="the file may be cut short",
                )
            start -= shift
            p -= shift
        if p - start > max_bytes:
            raise self._too_large(index, line, max_bytes)
        return self._parse(index, start, p, line, col)

    def read_run(self, *, max_bytes: int, max_depth: int) -> list[Any]:
        """The objects from the position on that the buffer holds whole, parsed at once.

        The fast path of an array of objects (every Taskwarrior export): the
        json module parses object after object straight from the buffer's text,
        with no scan of its own first, which took three quarters of reading
        100,000 tasks. Each object's size and depth are bounded before it is
        kept: by the buffer's length (none is tried in a buffer longer than
        the cap), and by its count of opening brackets (strings' too, so never
        less than its depth). The run stops, the position just past the
        last object kept, at anything else: an element that is not an object,
        one cut off by the end of the buffer, one too large or possibly too
        deep, a mistake, text that is not UTF-8. read_element then reads that
        element as ever, with its checks and its messages. Tried once a read
        (``fast``), so a buffer the run stops early in is not decoded again
        and again: the rest of it goes element by element.
        """
        self.fast = False
        start = self.pos
        if start >= len(self.buf) or self.buf[start] != 0x7B:  # '{'
            return []
        if len(self.buf) - start > max_bytes:
            # An element here could be over the cap: read_element refuses it unparsed.
            return []
        try:
            with memoryview(self.buf) as view:
                # Not final: a character cut at the end of the buffer is left for later.
                text, _ = codecs.utf_8_decode(view[start:], "strict", False)
        except UnicodeDecodeError:
            return []
        parse = _DECODER.raw_decode
        space = _WS_RUN_S
        count = text.count
        values: list[Any] = []
        at = taken = 0
        while True:
            try:
                value, end = parse(text, at)
            except (ValueError, RecursionError):
                break  # cut off by the buffer's end, or refused: read_element says which
            if count("{", at, end) + count("[", at, end) > max_depth:
                break
            values.append(value)
            taken = end
            after = _skip(space, text, end)
            if after >= len(text) or text[after] != ",":
                break
            at = _skip(space, text, after + 1)
            if at >= len(text) or text[at] != "{":
                break
        if values:
            done = text[:taken]
            # Byte for character while the text is ASCII, as exports mostly are.
            size = taken if len(text) == len(self.buf) - start else len(done.encode())
            self.advance_text(start + size, done)
        return values

    def _too_large(self, index: int, line: int, max_bytes: int) -> InvalidInput:
        return self.error(
            f"{self.element(index)}, starting on line {line}, is larger than {_size(max_bytes)}",
            hint="it is too large to import",
        )

    def _parse(self, index: int, start: int, end: int, line: int, col: int) -> Any:
        # A memoryview decodes the slice without first copying it to bytes.
        with memoryview(self.buf) as view:
            try:
                text = str(view[start:end], "utf-8")
            except UnicodeDecodeError as exc:
                bad = line + self.buf.count(b"\n", start, start + exc.start)
                raise InvalidInput(f"{self.name} is not valid UTF-8 (line {bad})") from None
        if not text.strip(_WHITESPACE):
            raise self.error(f"expected a value at line {line} column {col}")
        try:
            value = _DECODER.decode(text)
        except json.JSONDecodeError as exc:
            at_line = line + exc.lineno - 1
            at_col = exc.colno + (col - 1 if exc.lineno == 1 else 0)
            what = f"{self.element(index)} is not valid JSON: {exc.msg}"
            raise self.error(f"{what} at line {at_line} column {at_col}") from None
        except ValueError as exc:  # NaN, 1e400, an integer of 5,000 digits
            raise self.error(f"{self.element(index)} {_refused(exc)}") from None
        self.advance_text(end, text)
        return value


def _scan(buf: bytes, p: int, depth: int, max_depth: int) -> tuple[int, int, bool]:
    """Scan an element from ``p`` at ``depth``: ``(position, depth, complete)``.

    Complete: the position is just past the element. Not complete: either the
    depth went over ``max_depth``, or the buffer ends inside the element (the
    position is at its end, or at the opening quote of a string not yet whole,
    where scanning resumes once more is read).
    """
    # The hot loop of every import: locals and byte values, no helpers.
    top = _SKIP_TOP_B.match
    inside = _SKIP_INSIDE_B.match
    end = len(buf)
    while True:
        skipped = (inside if depth else top)(buf, p)
        p = skipped.end() if skipped else p
        if p >= end or buf[p] == 0x22:  # '"'
            return p, depth, False
        byte = buf[p]
        if byte == 0x5B or byte == 0x7B:  # '[' '{'
            depth += 1
            if depth > max_depth:
                return p, depth, False
        elif depth and (byte == 0x5D or byte == 0x7D):  # ']' '}'
            depth -= 1
            if not depth:
                return p + 1, 0, True
        else:
            return p, depth, True  # a comma or the array's own ']' ends a scalar element
        p += 1


def iter_array(
    stream: Readable,
    name: str,
    *,
    max_item_bytes: int = DEFAULT_MAX_ITEM_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Iterator[tuple[int, Any]]:
    """Each element of the top-level JSON array in ``stream``, with its index (from 0).

    One element is held at a time, or the objects of one read (about a MiB of
    text) when an array of objects goes in runs. An element larger than
    ``max_item_bytes`` (its UTF-8 text) or with containers nested more than
    ``max_depth`` levels inside it is refused while it is being scanned, before
    it is parsed (a run parses only a buffer shorter than the cap, and keeps an
    object only when it cannot be too deep). Errors name the element
    (``element 3 (.[2])``) and the line. The whole file is checked as it is
    read: an error in a later element comes after the earlier ones were
    yielded, so a caller that must be all-or-nothing finishes the iteration
    before it commits.
    """
    source = _Source(stream, name)
    first = source.skip_space()
    if first != ord("["):
        what = "nothing" if first is None else source.found_here()
        raise source.error(f"expected a JSON array, found {what}")
    source.step()
    index = 0
    if source.skip_space() == ord("]"):
        source.step()
    else:
        while True:
            run = (
                source.read_run(max_bytes=max_item_bytes, max_depth=max_depth)
                if source.fast
                else []
            )
            if run:
                # Handed over one at a time, each dropped here as it goes.
                run.reverse()
                while run:
                    yield index, run.pop()
                    index += 1
            else:
                value = source.read_element(index, max_bytes=max_item_bytes, max_depth=max_depth)
                yield index, value
                # The caller has the element now; holding it here too would keep
                # two in memory while the next one is read.
                del value
                index += 1
            after = source.skip_space()
            if after == ord(","):
                source.step()
                if source.skip_space() is None:
                    raise source.error(
                        f"ends before the array is closed (after {_element(index - 1)})",
                        hint="the file may be cut short",
                    )
                continue
            if after == ord("]"):
                source.step()
                break
            if after is None:
                raise source.error(
                    f"ends before the array is closed (after {_element(index - 1)})",
                    hint="the file may be cut short",
                )
            raise source.error(
                f"expected ',' or ']' after {_element(index - 1)}, found {source.found_here()}"
            )
    if source.skip_space() is not None:
        raise source.error(f"unexpected data after the array: {source.found_here()}")


def _peeked(stream: Readable) -> bytes:
    """What :func:`peek` read of ``stream`` and gives back first (nothing for another stream)."""
    return stream._head if isinstance(stream, _Replay) else b""


def starts_utf16(stream: Readable) -> bool:
    """Whether a stream :func:`peek` saw starts with UTF-16's byte order mark (either order).

    Windows tools write UTF-16 text; read as UTF-8 it is "not JSON" or "not
    UTF-8", which names neither the file's real shape nor the way out.
    """
    return _peeked(stream).startswith((b"\xff\xfe", b"\xfe\xff"))


def opens_pretty_object(stream: Readable) -> bool:
    """Whether a stream :func:`peek` saw start with ``{`` has it alone on its first line.

    That is one object written over many lines (``todo show --json``, ``jq .``),
    not JSON Lines, whose first line holds a whole object.
    """
    content = _peeked(stream).removeprefix(_BOM).lstrip(b" \t\r\n")
    first, newline, _ = content.partition(b"\n")
    return bool(newline) and first.strip() == b"{"


def iter_values(
    stream: Readable,
    name: str,
    *,
    max_item_bytes: int = DEFAULT_MAX_ITEM_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Iterator[tuple[int, Any]]:
    """Each of the JSON values written one after another in ``stream``, with its index.

    Objects spread over lines as a pretty-printer writes them, one or several,
    with the bounds of :func:`iter_array`: one value is held at a time.
    """
    source = _Source(stream, name)
    source.element = lambda index: f"object {index + 1}"
    index = 0
    while source.skip_space() is not None:
        if source.buf[source.pos] != ord("{"):
            raise source.error(f"expected a JSON object, found {source.found_here()}")
        value = source.read_element(index, max_bytes=max_item_bytes, max_depth=max_depth)
        yield index, value
        del value
        index += 1


# --- lines ------------------------------------------------------------------------


def iter_lines(
    stream: Readable, name: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[tuple[int, str]]:
    """Each line of ``stream`` with its number (from 1), without its line ending.

    A line ends at ``\\n`` or ``\\r\\n`` only: a lone CR, form feed, vertical
    tab, U+2028 and U+2029 are characters inside a line (``str.splitlines``
    would split at all of them). Blank lines are yielded too; a last line with
    no newline is yielded. A leading BOM is dropped. A line longer than
    ``max_line_bytes`` is refused before it is all read; so is a line that is
    not UTF-8 (see :func:`iter_lines_passing_over`).
    """
    return iter_lines_passing_over(stream, name, None, max_line_bytes=max_line_bytes)


def iter_lines_passing_over(
    stream: Readable,
    name: str,
    on_bad: OnBadLine | None,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[tuple[int, str]]:
    """As :func:`iter_lines`, but a line that is not UTF-8 is told to ``on_bad``
    (when given) and passed over: the lines after it keep their numbers. A line
    too long is still refused: it is not read to its end.
    """
    buf = b""
    pos = 0  # start of the current line in buf
    searched = 0  # where to look for the next newline (earlier bytes have none)
    number = 0
    eof = False
    started = False
    while True:
        newline = buf.find(b"\n", searched)
        if newline < 0:
            if len(buf) - pos > max_line_bytes + 1:  # +1: a CR that a LF may follow
                raise InvalidInput(
                    f"{name}: line {number + 1} is longer than {_size(max_line_bytes)}",
                    hint="it is too large to import",
                )
            if eof:
                if pos < len(buf):
                    number += 1
                    text = _line_text(buf[pos:], name, number, max_line_bytes, on_bad)
                    if text is not None:
                        yield number, text
                return
            if started:
                data = stream.read(CHUNK_BYTES)
                eof = not data
            else:
                started = True
                data, more = _read_first(stream, CHUNK_BYTES)
                eof = not more
            buf = buf[pos:] + data
            searched = len(buf) - len(data)
            pos = 0
            continue
        number += 1
        raw = buf[pos:newline]
        pos = searched = newline + 1
        text = _line_text(raw.removesuffix(b"\r"), name, number, max_line_bytes, on_bad)
        if text is not None:
            yield number, text


def _line_text(
    raw: bytes, name: str, number: int, max_line_bytes: int, on_bad: OnBadLine | None
) -> str | None:
    if len(raw) > max_line_bytes:
        raise InvalidInput(
            f"{name}: line {number} is longer than {_size(max_line_bytes)}",
            hint="it is too large to import",
        )
    if on_bad is None:
        return decode(raw, name, first_line=number)
    try:
        return str(raw, "utf-8")
    except UnicodeDecodeError:
        on_bad(number, "is not valid UTF-8")
        return None


def iter_json_lines(
    stream: Readable,
    name: str,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    on_bad: OnBadLine | None = None,
) -> Iterator[tuple[int, Any]]:
    """Each JSON value of a JSON Lines stream, with its line number; blank lines are skipped.

    A line that is not UTF-8, not JSON or nested too deep is refused, or, given
    ``on_bad``, told to it and passed over: each line stands alone, so the next
    one is read as if it had not been there. A line over ``max_line_bytes`` is
    always refused (it is not read to its end).
    """
    for number, text in iter_lines_passing_over(
        stream, name, on_bad, max_line_bytes=max_line_bytes
    ):
        if not text.strip(_WHITESPACE):
            continue
        if nested_too_deep(text, max_depth):
            reason = f"is nested more than {max_depth} levels deep"
        else:
            try:
                value = _DECODER.decode(text)
            except json.JSONDecodeError as exc:
                reason = f"is not valid JSON: {said(exc)} at column {exc.colno}"
            except ValueError as exc:  # NaN, 1e400, an integer of 5,000 digits
                reason = _refused(exc)
            else:
                yield number, value
                continue
        if on_bad is None:
            raise InvalidInput(f"{name}: line {number} {reason}")
        on_bad(number, reason)


def said(exc: json.JSONDecodeError) -> str:
    """What the JSON reader says is wrong, to be followed by where: some of its
    messages end in "at" already ("Unterminated string starting at")."""
    return exc.msg.removesuffix(" at")


# --- whole documents --------------------------------------------------------------


def load(
    stream: Readable,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_ITEM_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """One JSON document no larger than ``max_bytes``, checked for depth before it is parsed."""
    data = _read_at_most(stream, max_bytes + len(_BOM) + 1)
    if len(data.removeprefix(_BOM)) > max_bytes:
        raise InvalidInput(
            f"{name} is larger than {_size(max_bytes)}", hint="it is too large to import"
        )
    text = decode(data, name).removeprefix("\ufeff")
    if not text.strip(_WHITESPACE):
        raise InvalidInput(f"{name} is empty")
    if nested_too_deep(text, max_depth):
        raise InvalidInput(f"{name} is nested more than {max_depth} levels deep")
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{name} is not valid JSON: {said(exc)} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise InvalidInput(f"{name} {_refused(exc)}") from None


def nested_too_deep(text: str, max_depth: int) -> bool:
    """Whether ``text`` opens more than ``max_depth`` arrays or objects inside each other.

    Brackets inside strings do not count. The text need not be valid JSON:
    this runs before the parser, which reports anything else.
    """
    depth = 0
    p = 0
    end = len(text)
    while True:
        p = _skip(_SKIP_INSIDE_S, text, p)
        if p >= end or text[p] == '"':
            return False  # the end, or a string that never closes: the parser says so
        if text[p] in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
        p += 1
