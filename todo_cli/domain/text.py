"""Checks and display helpers for text that users type.

Stored text is kept exactly as given; only what is *shown* on a terminal is
neutralised, so a title holding an escape sequence cannot move the cursor or
recolour the screen, yet still exports byte for byte.
"""

from __future__ import annotations

import re

from todo_cli.errors import InvalidInput

# C0 controls (bar tab and newline, which are handled per use), DEL, and C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_KEEP_NONE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_text(value: str, what: str) -> None:
    """Refuse what no backend can store faithfully: NUL and unpaired surrogates."""
    if "\x00" in value:
        raise InvalidInput(f"{what} contains a NUL byte", hint="remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} is not valid UTF-8", hint="fix the encoding") from None


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    return f"\\x{ord(char):02x}"


def one_line(value: str) -> str:
    """Text for a table cell: every control character shown as an escape."""
    return _CONTROL_KEEP_NONE.sub(_escape, value)


def multi_line(value: str) -> str:
    """Text for a transcript: newlines and tabs kept, other controls escaped."""
    return _CONTROL.sub(_escape, value)
