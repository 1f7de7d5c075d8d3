"""The filter language of `todo list`, `done`, `delete` and `export`.

Terms, all of which must match::

    +tag  -tag            has the tag / has not
    project:NAME          in the project or one of its sub-projects (pro: too)
    project:              in no project
    pri:H  pri:M  pri:L   that priority (priority: too); pri: for none
    due:DATE              due during that day (a time given: that instant's day)
    due.before:DATE       due before it (before the day starts)
    due.after:DATE        due after it (after the day ends)
    due:                  no due date
    +overdue  -overdue    due and past it / not
    +blocked  -blocked    waiting on an open task / not
    words                 text in the title, description or notes (each word)

A known key with a bad value (``due:tomorow``) is an error naming the term, as
is a key that is no filter (``recur:``, ``due.befor:``, see :func:`_misread`);
any other ``key:value`` is a word to search for, and so is a sign with no letter
after it (``+1``). :func:`parse_filter` turns
terms into a :class:`Filter`, a plain description the repository translates
into SQL; nothing here knows SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from todo_cli.domain.limits import PRIORITIES
from todo_cli.domain.names import NAME_RULE, composed, is_name, names_a_tag, project_problem
from todo_cli.domain.text import check_text, escaped
from todo_cli.errors import InvalidInput

_KEYS = {
    "project": "project",
    "pro": "project",
    "proj": "project",
    "pri": "priority",
    "priority": "priority",
    "prio": "priority",
    "due": "due",
    "due.before": "due.before",
    "due.after": "due.after",
}
# Words naming the end of a period: `due.before:eow` means by the end of it.
_ENDS = frozenset({"eow", "eom", "eoy"})
_HINT = (
    "filter terms are +tag, -tag, project:NAME, pri:H|M|L, due:DATE, due.before:DATE, "
    "due.after:DATE, +overdue, -overdue, +blocked, -blocked and words"
)


@dataclass(frozen=True)
class Filter:
    """Which tasks a command means. The empty Filter means all of them."""

    with_tags: tuple[str, ...] = ()
    without_tags: tuple[str, ...] = ()
    # A project and its sub-projects; "" means tasks in no project.
    project: str | None = None
    # A priority; "" means tasks with none.
    priority: str | None = None
    # Due within [start, end] (both inclusive); due_none: no due at all.
    due_from: datetime | None = None
    due_to: datetime | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    due_none: bool = False
    # True: due and past it; False: not (no due, or not yet); None: either.
    overdue: bool | None = None
    blocked: bool | None = None
    words: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self == Filter()


def is_filter_term(word: str) -> bool:
    """Whether `word` can only be a filter term (not a task reference or a plain word)."""
    if word == "--":
        return True
    if word.startswith(("+", "-")) and names_a_tag(word):
        return True
    key, colon, _ = word.partition(":")
    return bool(colon) and key.lower() in _KEYS


# Taskwarrior's attributes that are no filter here (`status:pending`,
# `description.contains:milk`, `entry.before:eow`): its users type them, and as text
# they matched nothing, an empty export taken for a backup. Refused, with what todo has.
_TASKWARRIOR: dict[str, str | None] = {
    # (Said for every command that takes a filter: each has some of these options.)
    "status": "the command's --all, --done or --waiting (see its --help)",
    "description": "words (each is searched for in titles, descriptions and notes)",
    "tags": "+tag and -tag",
    "tag": "+tag and -tag",
    "entry": "list --sort created",
    "end": "list --done and --sort completed",
    "modified": "list --sort updated",
    "start": None,
    "scheduled": None,
    "until": None,
    "uuid": "the id as a reference (todo list ID)",
    "id": "the number as a reference (todo list 12)",
    "limit": "list --limit N",
    "urgency": "list's default order (urgency first)",
}


# Taskwarrior's operators between filter terms. Here every term must match already
# (there is no "either"); as words they were searched for as text, and `list +a or +b`
# listed nothing, an answer that was none.
_OPERATORS = frozenset({"and", "or", "xor", "(", ")"})


def _operator(term: str) -> str | None:
    """The Taskwarrior operator `term` is or carries (`or`, `(`, `(+a`, `+b)`), or None."""
    if term.lower() in _OPERATORS:
        return term.lower()
    if len(term) > 1 and term[0] == "(" and is_filter_term(term.lstrip("(")):
        return "("
    if len(term) > 1 and term[-1] == ")" and is_filter_term(term.rstrip(")")):
        return ")"
    return None


def taskwarrior_key(key: str) -> str | None:
    """The hint for a Taskwarrior attribute (`status`, `tags.has`), or None for another key."""
    base = key.lower().partition(".")[0]
    if base not in _TASKWARRIOR:
        return None
    instead = _TASKWARRIOR[base]
    return f"todo has no {base}: filter" + (f"; use {instead}" if instead else "")


def _misread(key: str) -> bool:
    """Whether `key:` means a filter that does not exist, rather than text.

    A key `add` and `edit` take (`wait:`, `recur:`, `dep:`) is no filter, and
    a known key with a modifier after a dot (`due.befor:`, `pri.above:`,
    `project.not:`) is a misspelt or unsupported one: both are refused. Any
    other `key:` (`re:`, `http:`) is a word to search for.
    """
    from todo_cli.domain.modifiers import KEYS

    lowered = key.lower()
    base = lowered.partition(".")[0]
    return lowered in KEYS or ("." in lowered and (base in _KEYS or base in KEYS))


# More terms than anyone writes by hand; each is a condition of the query, and a few
# hundred exceed SQLite's expression depth and take PostgreSQL's planner seconds.
FILTER_TERMS_MAX = 64


def _state(term: str, before: bool | None) -> bool:
    """``+overdue`` or ``-overdue`` (``blocked`` alike), refused beside the other one.

    Both at once would match nothing; taking the last one acted on the very
    tasks the first one excluded (`todo done +overdue -overdue`).
    """
    wanted = term[0] == "+"
    if before is not None and before != wanted:
        raise InvalidInput(
            f"+{term[1:]} and -{term[1:]} are both given: no task is both",
            hint="give one of them",
        )
    return wanted


def parse_filter(
    terms: Sequence[str], *, now: datetime, tz: tzinfo, without: Sequence[str] = ()
) -> Filter:
    """The filter the terms say; `without` are tags given by name (`--without TAG`).

    `--without a` is `-a` for a tag that a command's short option would take
    (`list -a` is `--all`): each is checked as a tag, then taken as that term,
    first, so that a `--` among the terms leaves it a tag.
    """
    from todo_cli.domain.dates import When, local_date, parse_when

    for tag in without:
        if not is_name(tag):
            raise InvalidInput(f"--without {tag!r}: {NAME_RULE}", hint=_HINT)
    terms = [*(f"-{composed(tag)}" for tag in without), *terms]
    # The first -- ends the terms (after it every word is text); it is not one of them.
    counted = len(terms) - (1 if "--" in terms else 0)
    if counted > FILTER_TERMS_MAX:
        raise InvalidInput(
            f"a filter of {counted:,} terms is more than {FILTER_TERMS_MAX}",
            hint="narrow it down: a project, a tag or words match many tasks at once",
        )

    with_tags: list[str] = []
    without_tags: list[str] = []
    words: list[str] = []
    found: dict[str, object] = {}
    overdue: bool | None = None
    blocked: bool | None = None
    for blank in (term for term in terms if not term.strip()):
        # An empty word searches for nothing and so matches every task: in a script,
        # `todo done "$n"` with $n unset would complete them all.
        raise InvalidInput(
            f"{blank!r} is not a filter term: an empty word matches every task",
            hint="give a word to search for, a +tag, a key:value term or a task reference",
        )
    for term in terms:
        # A byte that is not UTF-8 (`$'caf\\xe9'` in a Latin-1 terminal) reaches
        # Python as a lone surrogate, which no backend can compare with.
        check_text(term, f"filter term '{escaped(term)}'")
    for position, term in enumerate(terms):
        if term == "--":
            # After --, every word is text to search for, as for add and edit.
            words.extend(terms[position + 1 :])
            break
        operator = _operator(term)
        if operator is not None:
            raise InvalidInput(
                f"{term!r} is Taskwarrior's filter syntax, not todo's",
                hint=f"todo has no {'parentheses' if operator in '()' else operator}: every "
                + (
                    "term must match already, so leave it out"
                    if operator == "and"
                    else "term must match, so for either of two, list each"
                )
                + "; after -- it is text to search for",
            )
        if term in ("+overdue", "-overdue"):
            # No task carries the tag "overdue" (it is refused as one): -overdue is
            # "not overdue", as -blocked is "not blocked".
            overdue = _state(term, overdue)
            continue
        if term in ("+blocked", "-blocked"):
            blocked = _state(term, blocked)
            continue
        if term.startswith(("+", "-")) and names_a_tag(term):
            tag = composed(term[1:])
            if not is_name(tag):
                raise InvalidInput(f"{term!r} is not a tag: {NAME_RULE}", hint=_HINT)
            (with_tags if term[0] == "+" else without_tags).append(tag)
            continue
        key, colon, value = term.partition(":")
        name = _KEYS.get(key.lower()) if colon else None
        if name is None:
            taskwarrior = taskwarrior_key(key) if colon else None
            if taskwarrior is not None:
                raise InvalidInput(
                    f"{term!r} is a Taskwarrior filter, not one of todo's",
                    hint=f"{taskwarrior}; after -- it is text to search for",
                )
            if colon and _misread(key):
                # Searched for as text, it would match nothing and say so in
                # silence: `due.befor:fri` reads as a filter that found no task.
                raise InvalidInput(f"{term!r}: {key}: is not a filter term", hint=_HINT)
            words.append(term)
            continue
        if name in found:
            raise InvalidInput(f"{term!r}: {key}: is given twice", hint="give it once")
        if name == "project":
            if value and project_problem(value):
                raise InvalidInput(f"{term!r}: {project_problem(value)}", hint=_HINT)
            found[name] = composed(value)
        elif name == "priority":
            if value and value.upper() not in PRIORITIES:
                raise InvalidInput(f"{term!r}: priority is H, M or L (pri: for none)", hint=_HINT)
            found[name] = value.upper()
        elif name == "due" and not value:
            found["due_none"] = True
            found[name] = None
        else:
            try:
                when = parse_when(value, now=now, tz=tz, what=name)
            except InvalidInput as exc:
                raise InvalidInput(f"{term!r}: {exc.message}", hint=exc.hint) from None
            if name == "due" and when.day is None:
                # `due:DATE` is due that day, a time included (`due:now`, `due:1h`,
                # `due:2026-12-24T17:00`): the local day of that instant.
                when = When.of_day(local_date(when.start, tz), tz)
            if name == "due.before" and value.strip().lower() in _ENDS:
                # "before the end of the week" includes the week's last day.
                when = replace(when, start=when.end + timedelta(microseconds=1))
            found[name] = when
    due = found.get("due")
    before = found.get("due.before")
    after = found.get("due.after")
    return Filter(
        with_tags=tuple(with_tags),
        without_tags=tuple(without_tags),
        project=found.get("project"),  # type: ignore[arg-type]
        priority=found.get("priority"),  # type: ignore[arg-type]
        due_from=getattr(due, "start", None),
        due_to=getattr(due, "end", None),
        due_before=getattr(before, "start", None),
        due_after=getattr(after, "end", None),
        due_none=bool(found.get("due_none")),
        overdue=overdue,
        blocked=blocked,
        words=tuple(words),
    )
