"""The words of `todo add` and `todo edit`: text, and modifiers like ``+tag`` or ``due:fri``.

A word is a modifier when it is ``+tag``, ``-tag`` (edit only; a letter after the
sign: ``+1`` and a lone ``+`` are text), or ``key:value``
with a known key: ``project:`` (``pro:``), ``due:``, ``wait:``, ``pri:``
(``priority:``), ``recur:``, ``dep:``. Every other word is text, joined by
single spaces into the title::

    todo add Call the bank +finance project:home.admin due:fri pri:H

gives the title "Call the bank". An unknown key (``re: meeting``) is text; a
known key with a bad value (``due:tomorow``) is an error naming the word, never
text. After ``--`` every word is text. An empty value clears (``due:``).
``dep:3,7`` adds dependencies and ``dep:-3`` removes one.

Parsing is in two steps, both pure: :func:`parse_words` sorts the words, and
:func:`values` turns the raw modifier values into field values (dates need
the clock and the zone, which the caller passes in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from todo_cli.domain.names import composed, names_a_tag, tag_problem
from todo_cli.errors import InvalidInput

# key as typed -> field it sets
KEYS: Mapping[str, str] = {
    "project": "project",
    "pro": "project",
    "due": "due",
    "wait": "wait",
    "pri": "priority",
    "priority": "priority",
    "recur": "recur",
    "dep": "depends",
    # Taskwarrior's own spellings, which its users type without thinking.
    "proj": "project",
    "prio": "priority",
    "depends": "depends",
}
_TEXT_HINT = "put -- before words that are text"


@dataclass(frozen=True)
class Words:
    """What a line of words says: its text, and the changes it asks for."""

    text: tuple[str, ...] = ()
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    # field name -> the raw value typed after `key:` ("" clears)
    raw: Mapping[str, str] = field(default_factory=dict)
    # field name -> the word it came from, for error messages
    origin: Mapping[str, str] = field(default_factory=dict)
    add_depends: tuple[str, ...] = ()
    remove_depends: tuple[str, ...] = ()
    # `dep:` with no value: every dependency the task has goes (edit; on add, none)
    clear_depends: bool = False
    # each dependency reference -> the word it came from (`dep:3,x`), for errors
    depends_origin: Mapping[str, str] = field(default_factory=dict)
    # where each word of `text` was among the words parsed (their indexes)
    text_at: tuple[int, ...] = ()

    @property
    def title(self) -> str | None:
        if not self.text:
            return None
        # Words joined by single spaces: an empty or padded word (a script's "$var")
        # adds no run of spaces. All blank, the title is, and is refused as empty.
        joined = " ".join(word for word in (word.strip() for word in self.text) if word)
        return joined or " ".join(self.text)

    @property
    def changes_anything(self) -> bool:
        return bool(
            self.text
            or self.add_tags
            or self.remove_tags
            or self.raw
            or self.add_depends
            or self.remove_depends
            or self.clear_depends
        )


def parse_words(words: Sequence[str], *, editing: bool) -> Words:
    """Sort `words` into text and modifiers. ``editing`` allows ``-tag`` (removal)."""
    text: list[str] = []
    text_at: list[int] = []
    add_tags: list[str] = []
    remove_tags: list[str] = []
    raw: dict[str, str] = {}
    origin: dict[str, str] = {}
    add_depends: list[str] = []
    remove_depends: list[str] = []
    clear_depends = False
    depends_origin: dict[str, str] = {}
    for position, word in enumerate(words):
        if word == "--":
            text.extend(words[position + 1 :])
            text_at.extend(range(position + 1, len(words)))
            break
        if word.startswith("+") and names_a_tag(word):
            add_tags.append(_tag(word))
            continue
        if editing and word.startswith("-") and names_a_tag(word):
            remove_tags.append(_tag(word))
            continue
        key, colon, value = word.partition(":")
        name = KEYS.get(key.lower()) if colon else None
        if name is None:
            text.append(word)
            text_at.append(position)
            continue
        if name == "depends":
            if not value:
                # An empty value clears, as `due:` does (Taskwarrior's `depends:` too).
                clear_depends = True
                continue
            added, removed = parse_depends(word, value, editing=editing)
            add_depends.extend(added)
            remove_depends.extend(removed)
            depends_origin.update(dict.fromkeys([*added, *removed], word))
            continue
        if name in raw:
            raise InvalidInput(
                f"{word!r}: {key}: is given twice ({origin[name]!r} too)", hint="give it once"
            )
        raw[name] = composed(value) if name == "project" else value
        origin[name] = word
    return Words(
        text=tuple(text),
        add_tags=tuple(add_tags),
        remove_tags=tuple(remove_tags),
        raw=raw,
        origin=origin,
        add_depends=tuple(add_depends),
        remove_depends=tuple(remove_depends),
        clear_depends=clear_depends,
        depends_origin=depends_origin,
        text_at=tuple(text_at),
    )


def _tag(word: str) -> str:
    name = composed(word[1:])
    problem = tag_problem(name)
    if problem:
        raise InvalidInput(f"{word!r}: {problem}", hint=_TEXT_HINT)
    return name


def parse_depends(word: str, value: str, *, editing: bool) -> tuple[list[str], list[str]]:
    """`dep:3,7` adds, `dep:-3` removes (editing only); each item a task reference.

    (An empty value clears every dependency: the callers see to it, as a flag.)

    ``word`` is what the user typed (`dep:3,7`, `--depends 3,7`), for the errors.
    """
    added, removed = [], []
    for item in value.split(","):
        item = item.strip()
        if not item or item == "-":
            raise InvalidInput(f"{word!r}: an empty task reference", hint="e.g. dep:3,7")
        if item.startswith("-") and not editing:
            # A new task waits on nothing yet: dropped in silence, dep:1,-1 would add #1.
            raise InvalidInput(
                f"{word!r}: a new task has no dependency to remove",
                hint="dep:-N is for todo edit",
            )
        if item.startswith("-"):
            removed.append(item[1:])
        else:
            added.append(item)
    return added, removed


def values(
    words: Words,
    *,
    now: datetime,
    tz: tzinfo,
    flags: Mapping[str, str | None] | None = None,
    flag_words: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Checked field values for the modifiers and flags; "" clears (None).

    A flag and a modifier for the same field are refused, as two modifiers are.

    Each value goes through its field's own check (validate_task), so an
    error names the word at fault: `'pri:X': priority 'X' is not one of H, M, L`.
    """
    from todo_cli.domain.dates import parse_when
    from todo_cli.domain.models import validate_task

    raw = dict(words.raw)
    origin = dict(words.origin)
    for name, value in (flags or {}).items():
        if value is not None:
            if name in raw:
                # `flag_words`: a flag that was typed as a word (`todo add due:mon`
                # with lines on stdin, each line getting it), named as typed.
                other = (flag_words or {}).get(name)
                shown = repr(other) if other is not None else f"--{name} {value}"
                raise InvalidInput(
                    f"{origin[name]!r} and {shown} both set {name}", hint="give it once"
                )
            raw[name] = composed(value) if name == "project" else value
            typed_as = (flag_words or {}).get(name)
            origin[name] = typed_as if typed_as is not None else f"--{name} {value}"
    result: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            typed: Any = value or None
            if name == "due" and value:
                typed = parse_when(value, now=now, tz=tz, what="due").due
            elif name == "wait" and value:
                typed = parse_when(value, now=now, tz=tz, what="wait").wait
            result.update(validate_task({name: typed}, partial=True))
        except InvalidInput as exc:
            message = exc.message.removeprefix(f"{name}: ")
            hint = exc.hint or _VALUE_HINTS.get((name, origin[name].startswith("--")))
            raise InvalidInput(f"{origin[name]!r}: {message}", hint=hint) from None
    return result


# What to write instead, where a field's own check says only what is wrong.
# (By field, and whether it was given as a flag: the way to clear it is told as typed.)
_VALUE_HINTS: Mapping[tuple[str, bool], str] = {
    ("priority", False): "pri: with no value clears it",
    ("priority", True): "--priority '' clears it",
}
