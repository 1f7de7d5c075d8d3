"""Checks and display helpers for text that users type.

Stored text is kept exactly as given; only what is *shown* on a terminal is
neutralised, so a title holding an escape sequence cannot move the cursor,
recolour the screen or display reversed, yet still exports byte for byte.
"""

from __future__ import annotations

import re

from todo_cli.errors import InvalidInput

# C0 controls, DEL and C1, and the Unicode formatting characters that change
# how the text around them is displayed: bidirectional embeddings, overrides
# and isolates (a title holding U+202E shows reversed), and the line and
# paragraph separators, which terminals may break lines on.
_FORMATTING = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_ESCAPE_ALL = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMATTING}]")
# The same, but tab and newline kept: a transcript's layout is the writer's.
_ESCAPE_BUT_LAYOUT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMATTING}]")

# Characters that take no room: a title made only of these (and whitespace)
# looks empty, so it is refused like a blank one.
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068"
    "\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\uffa0"
)


def check_text(value: str, what: str) -> None:
    """Refuse what no backend can store faithfully: NUL and unpaired surrogates."""
    if "\x00" in value:
        raise InvalidInput(f"{what} contains a NUL byte", hint="remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} is not valid UTF-8", hint="fix the encoding") from None


def escaped(value: str) -> str:
    """`value` with the bytes that were not UTF-8 (lone surrogates, as Python reads
    them from the command line) written as `\\xe9` escapes, to name it in an error."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate no byte stands for (from \\udXXX in JSON)
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def is_blank(value: str) -> bool:
    """True when nothing would be seen: only whitespace and invisible characters."""
    return all(char.isspace() or char in _INVISIBLE for char in value)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# What JSON leaves raw in a string that a terminal acts on: C1 controls (U+009B is a
# one-byte CSI) and the formatting characters above. JSON's own \u escape says the
# same character, so the document means what it did.
# Lone surrogates too (bytes of an argument or a path that were not UTF-8): written raw,
# they made the document invalid UTF-8; as escapes it is valid JSON a parser reads.
_JSON_UNSAFE = re.compile(f"[\x80-\x9f{_FORMATTING}\ud800-\udfff]")


def json_safe(encoded: str) -> str:
    """JSON text with each character a terminal would act on written as a \\u escape."""
    if encoded.isascii():
        return encoded
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", encoded)


def shows_escaped(value: str) -> bool:
    """Whether `value` holds a character :func:`one_line` would show as an escape."""
    return _ESCAPE_ALL.search(value) is not None


def one_line(value: str) -> str:
    """Text for a table cell or a message: every control character shown as an escape."""
    return _ESCAPE_ALL.sub(_escape, value)


def multi_line(value: str) -> str:
    """Text for a transcript: newlines and tabs kept, other controls escaped."""
    return _ESCAPE_BUT_LAYOUT.sub(_escape, value)


def plural(count: int, noun: str) -> str:
    """`count` of `noun`, as every message says it: "1 task", "2,000 tasks"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
