"""The search language of `todo chat-log search`, parsed by us, not by the database.

A query is words and "quoted phrases", all of which must be found; ``OR``
between two terms takes either; ``-word`` (or ``NOT word``) leaves out what
has it. ``AND`` may be written but is the default. Operators are capitals only:
``and``, ``or`` and ``not`` are words to find. Matching is by stems and
without accents: "running" finds "runs", "cafe" finds "café".

Each backend's own syntax (SQLite FTS5's MATCH, PostgreSQL's tsquery) treats
some input as operators and fails on some with a database error; so the query
is parsed here into a small tree, errors are told plainly (exit 2), and the
repository builds each backend's query from the tree with every word bound
or quoted, never pasted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from todo_cli.domain.text import check_text, escaped
from todo_cli.errors import InvalidInput

_HINT = 'e.g. planning "next week" -holiday, or budget OR finance'
# Left-out (-word, NOT word) terms in one search (as many as a filter's terms).
LEFT_OUT_MAX = 64
# A quoted phrase (left out when written -"like this"), or a run of non-space.
_TOKEN = re.compile(r'-?"[^"]*"|\S+')


@dataclass(frozen=True)
class Term:
    """A word, or a phrase (words that must come in this order)."""

    words: tuple[str, ...]
    negated: bool = False
    # The term as typed, punctuation kept ("node.js"): PostgreSQL's parser reads some
    # punctuated words as one token (a host name, a file path) in the text as well.
    typed: str = ""

    @property
    def phrase(self) -> bool:
        return len(self.words) > 1

    @property
    def unspaced(self) -> bool:
        """Whether a word of it is written without spaces around it (東京 in 東京タワー):
        full-text indexes hold the whole run as one word, so it is found in the text."""
        return any(_UNSPACED.search(word) for word in self.words)


@dataclass(frozen=True)
class Query:
    """All groups must match; a group matches when any of its terms does."""

    groups: tuple[tuple[Term, ...], ...]

    @property
    def words(self) -> list[str]:
        return [word for group in self.groups for term in group for word in term.words]


# Scripts whose words are not separated by spaces (Thai, Lao, Myanmar, Khmer, Japanese
# kana, Chinese and Japanese ideographs) and Korean Hangul, whose particles join the
# word before them (서울에서): both backends' tokenizers take a whole run as one word.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]"
)


def _words(text: str) -> tuple[str, ...]:
    # Word characters only: punctuation is not searchable and must not reach
    # the database's syntax. A combining mark belongs to the letter before it (Thai
    # and Devanagari vowel signs, an accent typed apart): \w alone cut "สวัสดี" into
    # "สว" and "สด", and the pattern made of those did not match the stored text.
    if text.isascii():
        return tuple(re.findall(r"\w+", text))
    return _joined_marks(re.findall(r"\w+|\W", text))


def _joined_marks(pieces: list[str]) -> tuple[str, ...]:
    """Words of `pieces` (runs of word characters, and single other characters), a
    combining mark (Unicode category M) kept with the word before it."""
    import unicodedata

    words: list[str] = []
    joining = False
    for piece in pieces:
        if piece[0].isalnum() or piece[0] == "_":
            if joining:
                words[-1] += piece
            else:
                words.append(piece)
            joining = True
        elif joining and unicodedata.category(piece)[0] == "M":
            words[-1] += piece
        else:
            joining = False
    return tuple(words)


def parse_query(text: str) -> Query:
    """The query in `text`; InvalidInput (exit 2) saying what is wrong with it."""
    check_text(text, f"the search '{escaped(text)}'")
    if text.count('"') % 2:
        raise InvalidInput("the search has an unbalanced quote", hint=_HINT)
    tokens = _TOKEN.findall(text)
    groups: list[list[Term]] = []
    pending_or = False
    negate_next = False
    # The token before was AND or OR: another operator there has no word on its left.
    joined = False
    for position, token in enumerate(tokens):
        # Operators are written in capitals, as FTS5 and web searches have them:
        # `salt and pepper, not sugar` is six words to find, not a query.
        upper = token if token in ("AND", "OR", "NOT") else ""
        if upper in ("AND", "OR"):
            if not groups or joined or negate_next or position == len(tokens) - 1:
                raise InvalidInput(f"{token!r} needs a word on each side", hint=_HINT)
            pending_or = upper == "OR"
            joined = True
            continue
        joined = False
        if upper == "NOT":
            if negate_next or position == len(tokens) - 1:
                raise InvalidInput("NOT needs a word after it", hint=_HINT)
            negate_next = True
            continue
        negated = negate_next
        if token.startswith("-") and len(token) > 1:
            negated, token = True, token[1:]
        words = _words(token.strip('"'))
        if not words:
            raise InvalidInput(f"{token!r} holds nothing to search for", hint=_HINT)
        term = Term(words, negated, token.strip('"'))
        if pending_or:
            if negated or any(t.negated for t in groups[-1]):
                raise InvalidInput("OR cannot join a left-out (-) word", hint=_HINT)
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = negate_next = False
    if not groups:
        raise InvalidInput("the search is empty", hint=_HINT)
    left_out = sum(term.negated for group in groups for term in group)
    if left_out > LEFT_OUT_MAX:
        # Each is a NOT nested in the one before in SQLite's FTS5 query, whose parser
        # overflowed its stack near a hundred: exit 3 in its own words. (Words to
        # find are not nested: a pasted paragraph of them is searched.)
        raise InvalidInput(
            f"a search that leaves out {left_out:,} terms: at most {LEFT_OUT_MAX}",
            hint='leave out a "phrase" (one term) or fewer words',
        )
    if all(term.negated for group in groups for term in group):
        raise InvalidInput(
            "the search needs a word to find, not only words to leave out", hint=_HINT
        )
    return Query(tuple(tuple(group) for group in groups))


def fts5_match(query: Query) -> str:
    """The query in SQLite FTS5's syntax, every word quoted (no word is read as an operator)."""

    def quoted(term: Term) -> str:
        return '"' + " ".join(term.words) + '"'

    positive = [group for group in query.groups if not group[0].negated]
    negative = [group[0] for group in query.groups if group[0].negated]
    parts = []
    for group in positive:
        alternatives = " OR ".join(quoted(term) for term in group)
        parts.append(f"({alternatives})" if len(group) > 1 else alternatives)
    text = " AND ".join(parts)
    for term in negative:
        text = f"({text}) NOT {quoted(term)}"
    return text


# Marks around a match in a snippet, for the renderer to show as it likes.
MATCH_START = "\x02"
MATCH_END = "\x03"


def snippet_parts(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """A snippet's plain text, and where in it each match starts and ends."""
    text = []
    spans = []
    position = 0
    start = 0
    for char in snippet:
        if char == MATCH_START:
            start = position
        elif char == MATCH_END:
            spans.append((start, position))
        else:
            text.append(char)
            position += 1
    return "".join(text), spans


def text_pattern(
    term: Term, *, postgres: bool = False, spell: Callable[[str], str] | None = None
) -> str:
    """A regular expression for the term's words in order, found in the text itself.

    A word written with spaces is whole (a word boundary each side); a word of an
    unspaced script may sit inside a run (東京 in 東京タワー). Between two words anything
    but letters and digits, at least one such character between two spaced words.
    The words are \\w+ runs: nothing in them is an operator. ``postgres`` writes
    PostgreSQL's syntax (\\m and \\M mark the start and end of a word); else Python's.
    ``spell`` writes a spaced word's pattern (as it is, without).
    """
    start, end, gap = (r"\m", r"\M", "[^[:alnum:]]") if postgres else (r"\b", r"\b", r"[\W_]")
    pattern = ""
    previous_unspaced = True
    for word in term.words:
        unspaced = bool(_UNSPACED.search(word))
        if pattern:
            pattern += gap + ("*" if unspaced or previous_unspaced else "+")
        pattern += word if unspaced else f"{start}{spell(word) if spell else word}{end}"
        previous_unspaced = unspaced
    return pattern


# A word of a snippet longer than this is cut in its middle (a base64 blob, a minified
# line): SQLite's snippet counts words, and one word may be a message's whole 100,000.
SNIPPET_WORD_MAX = 40
_LONG_WORD = re.compile(f"[^\\s{MATCH_START}{MATCH_END}]{{{SNIPPET_WORD_MAX + 1},}}")


def short_words(snippet: str) -> str:
    """``snippet`` with each word past SNIPPET_WORD_MAX characters outside its matches
    cut to its start and end around "…"; a match is shown whole."""
    half = SNIPPET_WORD_MAX // 2

    def cut(match: re.Match[str]) -> str:
        word = match.group()
        return f"{word[:half]}…{word[-half:]}"

    pieces = re.split(f"({MATCH_START}[^{MATCH_END}]*{MATCH_END})", snippet)
    return "".join(
        piece if piece.startswith(MATCH_START) else _LONG_WORD.sub(cut, piece) for piece in pieces
    )


def text_snippet(text: str, patterns: list[str], *, before: int = 40, width: int = 160) -> str:
    """The passage of `text` around its first match of any of `patterns` (Python regular
    expressions, matched ignoring case), each match in it between MATCH_START and MATCH_END;
    '…' where the text is cut. The text's start when nothing matches."""
    # Accents ignored, as the search itself ignores them: "zurich" marks "Zürich".
    folded, origin = _unmarked(text)
    found: list[tuple[int, int]] = []
    for pattern in patterns:
        for match in re.finditer(_unmarked(pattern)[0], folded, re.IGNORECASE):
            if match.end() > match.start():
                found.append(_span_in(text, origin, match.start(), match.end()))
    first = min((start for start, _ in found), default=0)
    begin = max(0, first - before)
    finish = min(len(text), begin + width)
    marked = []
    position = begin
    for start, end in sorted(found):
        if start < position or end > finish:
            continue
        marked += [text[position:start], MATCH_START, text[start:end], MATCH_END]
        position = end
    marked.append(text[position:finish])
    return ("…" if begin else "") + "".join(marked) + ("…" if finish < len(text) else "")


def _unmarked(text: str) -> tuple[str, list[int] | None]:
    """`text` without its combining marks (é as e), and for each of its characters the
    index in `text` it comes from (None: the same text, ASCII)."""
    if text.isascii():
        return text, None
    import unicodedata

    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFD", char):
            if not unicodedata.combining(part):
                chars.append(part)
                origin.append(index)
    return "".join(chars), origin


def _span_in(text: str, origin: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """Where in `text` a match of its unmarked form (start, end) is, its marks with it."""
    if origin is None:
        return start, end
    import unicodedata

    first, last = origin[start], origin[end - 1] + 1
    while last < len(text) and unicodedata.combining(text[last]):
        last += 1  # "e" then U+0301: the accent is the letter's
    return first, last
