"""Tags and projects: the words that organise tasks.

A tag, and each dotted segment of a project, starts with a letter and holds
letters, digits, ``_`` and ``-``. Letters are Unicode letters: ``+café`` is a
tag like ``+cafe``. Tags are at most 50 characters, projects 100, and a task
has at most 30 tags. A few words are filters rather than tags
(``+overdue``, ``+blocked``), so no task may carry them as tags.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from todo_cli.domain.limits import PROJECT_MAX, TAG_MAX, TAGS_PER_TASK_MAX

# Letters as Unicode has them (not [A-Za-z]): `[^\W\d_]` is a letter.
NAME = re.compile(r"[^\W\d_][\w-]*")
# Words a filter reads as conditions, never as tags.
VIRTUAL_TAGS = frozenset({"overdue", "blocked"})
NAME_RULE = "a tag starts with a letter and holds letters, digits, _ and -"


def composed(name: str) -> str:
    """A tag or project as one form of its text (NFC): é typed as e + U+0301 is the é
    typed as one character, so both are one tag and a filter finds either."""
    if name.isascii():
        return name
    import unicodedata

    return unicodedata.normalize("NFC", name)


def is_name(text: str) -> bool:
    """Whether ``text`` is a tag or a project's segment by its characters (see NAME_RULE)."""
    if NAME.fullmatch(text):
        return True
    # A word's combining marks are not \w to Python: Devanagari's vowel signs
    # (हिंदी), an accent typed as its own character (e + U+0301). They belong
    # to the letter before them, so they are letters here too.
    import unicodedata

    return (
        text[:1].isalpha()
        and text[:1] != "_"
        and all(c.isalnum() or c in "_-" or unicodedata.category(c)[0] == "M" for c in text)
    )


def names_a_tag(word: str) -> bool:
    """Whether a ``+word`` (or ``-word``) is meant as a tag: a letter follows the sign.

    ``+1``, ``+`` or ``+$5`` cannot be tags at all, so they are text, as Taskwarrior
    takes them (`todo add vote +1 on the PR`); a letter makes it a tag, and a tag
    that breaks the rules after it (``+home.garden``) is an error, never text.
    """
    return word[1:2].isalpha()


def tag_problem(tag: str) -> str | None:
    """Why ``tag`` cannot be a tag, or None when it can."""
    if not tag:
        return "a tag needs a name after the +"
    if not is_name(tag):
        return f"{tag!r} is not a tag: {NAME_RULE}"
    if len(tag) > TAG_MAX:
        return f"tag {tag!r} is {len(tag)} characters, the limit is {TAG_MAX}"
    if tag in VIRTUAL_TAGS:
        return f"{tag!r} is a filter (+{tag}), not a tag"
    return None


def project_problem(project: str) -> str | None:
    """Why ``project`` cannot be a project path, or None when it can."""
    if len(project) > PROJECT_MAX:
        return f"project is {len(project)} characters, the limit is {PROJECT_MAX}"
    if not all(is_name(segment) for segment in project.split(".")):
        return (
            f"{project!r} is not a project: dotted names (home.garden), each starting "
            "with a letter and holding letters, digits, _ and -"
        )
    return None


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """A task's tags, checked, without repeats, sorted; ValueError says what is wrong."""
    found = set()
    for tag in tags:
        problem = tag_problem(tag)
        if problem:
            raise ValueError(problem)
        found.add(tag)
    if len(found) > TAGS_PER_TASK_MAX:
        raise ValueError(f"{len(found)} tags, a task has at most {TAGS_PER_TASK_MAX}")
    return tuple(sorted(found))


def project_tree(counts: Iterable[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """Projects in use as a tree: (name, own count, count with sub-projects), parents first.

    A parent in use only through its sub-projects is there with its own count
    0 (``project:home`` matches home.garden too, so `home` is a project in use).
    Siblings sort by name, each followed by its sub-projects.
    """
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    for name, count in counts:
        own[name] = own.get(name, 0) + count
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            ancestor = ".".join(parts[:depth])
            total[ancestor] = total.get(ancestor, 0) + count
    return [
        (name, own.get(name, 0), total[name])
        for name in sorted(total, key=lambda name: name.split("."))
    ]
