"""Tables for people, written without holding more than their text.

A general-purpose table library (rich's) keeps a renderable per cell and
measures every one; at 100,000 tasks that took 45 s and 400 MB. A task list
needs much less: columns of plain text, aligned. So rows are kept as tuples of
strings, column widths are counted as they arrive, and the table is written
in one pass at the end.

Piped, a table has no colour, no rule and no wrapping: every line is whole, as
wide as its widest cell, so `grep` and `awk` see everything. On a terminal the
header is bold with a rule under it, rows may be coloured, and the text
columns wrap to the window's width, the widest first. Colour is off when ``NO_COLOR``
is set. Cells are text as shown (already escaped by the caller): nothing in
them is read as markup.
"""

from __future__ import annotations

import os
import shutil
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TextIO

Style = Literal["", "bold", "dim", "red", "yellow", "green", "cyan"]
_SGR: dict[str, str] = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "yellow": "33",
    "green": "32",
    "cyan": "36",
}
_GAP = "  "
# What a text column is narrowed to at the least on a terminal too narrow for it.
_NARROWEST = 10


@dataclass(frozen=True)
class Column:
    header: str
    align: Literal["left", "right"] = "left"
    # The one column that wraps when a terminal is too narrow.
    flexible: bool = False
    # Left out when every row's cell is empty.
    optional: bool = False


_ZWJ = "\u200d"
_EMOJI_PRESENTATION = "\ufe0f"  # VS16: the character before it drawn as an emoji


def cell_width(text: str) -> int:
    """Terminal cells `text` takes: wide East Asian characters take two, marks none.

    Emoji are drawn as one picture per sequence, as terminals and rich measure
    them: what a zero-width joiner joins (a family) and a skin tone take no cells
    of their own, and VS16 makes a narrow symbol (a heart) a two-cell emoji.
    """
    if text.isascii():
        return len(text)
    width = 0
    last = 0  # the cells of the character before, where a modifier may widen it
    joined = False
    for char in text:
        if char == _ZWJ:
            joined = True
            continue
        if char == _EMOJI_PRESENTATION:
            if last == 1:
                width, last = width + 1, 2
            continue
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        if joined or (last and "\U0001f3fb" <= char <= "\U0001f3ff"):
            joined = False  # drawn within the emoji it joins or tones
            continue
        last = 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        width += last
    return width


def colour_enabled(stream: TextIO) -> bool:
    # NO_COLOR (no-color.org), and a terminal that says it shows no escapes at all.
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def paint(text: str, style: Style, enabled: bool) -> str:
    if not enabled or not style or not text:
        return text
    return f"\x1b[{_SGR[style]}m{text}\x1b[0m"


class Table:
    """Collect rows, then :meth:`write` them aligned."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self.widths = [cell_width(c.header) for c in columns]
        self.used = [not c.optional for c in columns]
        self.rows: list[tuple[tuple[str, ...], Style]] = []

    def add(self, cells: Sequence[str], style: Style = "") -> None:
        widths, used = self.widths, self.used
        for i, cell in enumerate(cells):
            if cell:
                used[i] = True
                width = len(cell) if cell.isascii() else cell_width(cell)
                if width > widths[i]:
                    widths[i] = width
        self.rows.append((tuple(cells), style))

    def __len__(self) -> int:
        return len(self.rows)

    def write(self, out: TextIO | None = None) -> None:
        stream = out or sys.stdout
        shown = [i for i, is_used in enumerate(self.used) if is_used]
        widths = {i: self.widths[i] for i in shown}
        terminal = stream.isatty()
        colour = colour_enabled(stream)
        if terminal:
            self._fit(widths, shown)
        header = [self.columns[i].header for i in shown]
        stream.write(paint(self._line(header, shown, widths), "bold", colour) + "\n")
        if terminal:
            rule = _GAP.join(_rule_char(stream) * widths[i] for i in shown)
            stream.write(paint(rule, "dim", colour) + "\n")
        write = stream.write
        for cells, style in self.rows:
            picked = [cells[i] for i in shown]
            if terminal:
                for line in self._wrapped(picked, shown, widths):
                    write(paint(line, style, colour) + "\n")
            else:
                write(self._line(picked, shown, widths) + "\n")

    def _fit(self, widths: dict[int, int], shown: list[int]) -> None:
        """Narrow the text columns so a row fits the terminal, the widest first.

        The flexible column alone, down to 10 cells, left a row of long tags or a
        long project wider than the window, and the terminal wrapped every line
        of it. Each left-aligned column may give way, to its header's width or 10
        cells: the widest is brought down to the next widest, and so on, until
        the row fits (or none can give more: it is then as narrow as it gets).
        """
        total = sum(widths.values()) + len(_GAP) * (len(shown) - 1)
        room = shutil.get_terminal_size().columns
        floor = {
            i: max(_NARROWEST, cell_width(self.columns[i].header))
            for i in shown
            if self.columns[i].flexible or self.columns[i].align == "left"
        }
        while total > room:
            giving = [i for i in floor if widths[i] > floor[i]]
            if not giving:
                return
            widest = max(widths[i] for i in giving)
            at_widest = [i for i in giving if widths[i] == widest]
            below = max((widths[i] for i in giving if widths[i] < widest), default=0)
            # Down to the next widest, or by what is left over, shared out.
            share = -(-(total - room) // len(at_widest))
            for i in at_widest:
                narrower = max(floor[i], below, widths[i] - share)
                total -= widths[i] - narrower
                widths[i] = narrower

    def _line(self, cells: Sequence[str], shown: list[int], widths: dict[int, int]) -> str:
        parts = []
        for cell, i in zip(cells, shown, strict=True):
            pad = widths[i] - (len(cell) if cell.isascii() else cell_width(cell))
            parts.append(" " * pad + cell if self.columns[i].align == "right" else cell + " " * pad)
        return _GAP.join(parts).rstrip()

    def _wrapped(
        self, cells: Sequence[str], shown: list[int], widths: dict[int, int]
    ) -> Iterable[str]:
        """The row as one or more lines, the flexible cell folded to its width."""
        pieces = [fold(cell, widths[i]) for cell, i in zip(cells, shown, strict=True)]
        for n in range(max(len(p) for p in pieces)):
            yield self._line([p[n] if n < len(p) else "" for p in pieces], shown, widths)


def fold(text: str, width: int) -> list[str]:
    """Cut `text` into pieces of at most `width` cells (at spaces where it can)."""
    if cell_width(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if cell_width(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while cell_width(word) > width:
            cut = _cut(word, width)
            # After a dot, comma, hyphen or slash in the piece's second half, where a
            # name has one (a project's `home.` then `garden`, not `home.garde`, `n`).
            parts = max(word.rfind(mark, 0, cut) for mark in ".,-/") + 1
            if 2 * parts >= cut:
                cut = parts
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines or [""]


def _cut(word: str, width: int) -> int:
    used = 0
    for index, char in enumerate(word):
        used += cell_width(char)
        if used > width:
            return max(1, index)
    return len(word)


def _rule_char(stream: TextIO) -> str:
    """The line under the header: a box-drawing one where the terminal's encoding has it.

    A Latin-1 locale has no U+2500: the rule, todo's own, failed a list of plain
    ASCII (exit 74).
    """
    try:
        "\u2500".encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return "-"
    return "\u2500"
