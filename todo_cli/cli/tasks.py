"""Task commands: add, list, done, reopen, show, edit, note, delete, tags, projects.

Parse words and flags, call one service, render. Nothing else.
"""

from __future__ import annotations

import itertools
import sys
from contextlib import contextmanager
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from todo_cli.cli.app import app, settings
from todo_cli.cli.options import (
    FilterYes,
    Json,
    Limit,
    OnceCommand,
    Without,
    WordsCommand,
    Yes,
    ask,
    refuse_empty_search,
    unmark,
)
from todo_cli.errors import InvalidInput, InvalidUsage, NotFound

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from todo_cli.domain.fields import Task
    from todo_cli.domain.filters import Filter
    from todo_cli.domain.modifiers import Words
    from todo_cli.repository.refs import Ref as TaskRef
    from todo_cli.repository.tasks import AddedTasks, Counted, Status, Waiting
    from todo_cli.services.tasks import Completion, Detail


def _complete(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion: open task numbers (with titles), +tags, project:names."""
    return _candidates(ctx, incomplete, tasks_too=True)


def _complete_done(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion for `reopen`: done task numbers (with titles), +tags, project:names."""
    return _candidates(ctx, incomplete, tasks_too=True, done=True)


def _complete_words(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of add's and edit's words: +tags and project:names only."""
    return _candidates(ctx, incomplete, tasks_too=False)


def _candidates(
    ctx: typer.Context, incomplete: str, *, tasks_too: bool, done: bool = False
) -> list[tuple[str, str]]:
    if not tasks_too and not incomplete.startswith(("+", "project:", "pro:")):
        return []
    try:
        from todo_cli.services import tasks
        from todo_cli.settings import default_sqlite_path, resolve

        # The --db and --user typed on the line being completed: the tasks offered are
        # those the command would act on, never the environment's user's.
        given = ctx.find_root().params
        settings = resolve(db=given.get("db"), user=given.get("user"))
        if settings.is_default_sqlite and not default_sqlite_path().exists():
            return []  # a completion must not be what creates the database
        from todo_cli.db.url import parse_url

        path = parse_url(settings.database_url, settings.database_source).sqlite_path
        if path is not None and not path.exists():
            return []  # nor a file named by a --db typed on the line (or a typo of one)
        from rich.markup import escape

        from todo_cli.domain.text import one_line

        # A title is shown as typed: Typer renders a completion's help as rich
        # markup (`[/bold]` in one title was a MarkupError that emptied the list, and
        # `[urgent] call mom` was offered as " call mom"), and the shell prints it.
        return [
            (value, escape(one_line(help_text)))
            for value, help_text in tasks.completions(settings, incomplete, done=done)
            if value.startswith(incomplete)
        ]
    except Exception:  # completion must never break the shell; it offers nothing instead
        return []


Refs = Annotated[
    list[str],
    typer.Argument(
        metavar="REF...",
        help="Task numbers (12 or #12), UUIDs or UUID prefixes.",
        autocompletion=_complete,
    ),
]
Selector = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="REF...|FILTER...",
        help=(
            "Task numbers (12 or #12), UUIDs or UUID prefixes; or a filter "
            "(+tag, pri:H, words to search for, ...)."
        ),
        autocompletion=_complete,
    ),
]
DoneSelector = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="REF...|FILTER...",
        help=(
            "Task numbers (12 or #12), UUIDs or UUID prefixes; or a filter "
            "(+tag, pri:H, words to search for, ...)."
        ),
        autocompletion=_complete_done,
    ),
]
Ref = Annotated[
    str,
    typer.Argument(
        metavar="REF",
        help="A task number (12 or #12), UUID or UUID prefix.",
        autocompletion=_complete,
    ),
]
TagOption = Annotated[
    list[str] | None,
    typer.Option("--tag", metavar="TAG", help="A tag (repeat for more).", show_default=False),
]
ProjectOption = Annotated[
    str | None,
    typer.Option("--project", metavar="NAME", help="A dotted project, e.g. home.garden."),
]
DueOption = Annotated[
    str | None,
    typer.Option("--due", metavar="DATE", help="When it is due, e.g. fri or 2026-12-24."),
]
WaitOption = Annotated[
    str | None, typer.Option("--wait", metavar="DATE", help="Hide it from `list` until then.")
]
PriorityOption = Annotated[
    str | None, typer.Option("--priority", metavar="H|M|L", help="How much it matters.")
]
RecurOption = Annotated[
    str | None,
    typer.Option(
        "--recur",
        metavar="RULE",
        help="Repeat: daily, weekly, monthly, yearly, weekdays, Nd/Nw/Nm/Ny after completion, "
        "+Nd.. on the due dates' cadence. Needs a due date.",
    ),
]
DependsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--depends",
        metavar="REFS",
        help='Tasks that must be done first: 3,7 (on edit, -3 removes, "" clears; repeat).',
        show_default=False,
    ),
]


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


class Sort(StrEnum):
    # Prefixed: a member named `title` would shadow str.title.
    by_urgency = "urgency"
    by_due = "due"
    by_priority = "priority"
    by_number = "number"
    by_created = "created"
    by_updated = "updated"
    by_title = "title"
    by_completed = "completed"


def _clock() -> tuple[datetime, tzinfo]:
    from datetime import UTC

    from todo_cli.domain.dates import local_zone

    return datetime.now(UTC), local_zone()


def _flags(
    project: str | None,
    due: str | None,
    wait: str | None,
    priority: str | None,
    recur: str | None,
) -> dict[str, str | None]:
    return {"project": project, "due": due, "wait": wait, "priority": priority, "recur": recur}


def _with_word_modifiers(
    words: Words, flags: dict[str, str | None], tags: list[str]
) -> tuple[dict[str, str | None], list[str]]:
    """The command line's modifier words as flags for a bulk add: each stdin line gets them
    (``words.origin`` names each as typed, for the errors of a line that sets it too).

    A field given both as a flag and as a word is refused, as on a single add.
    """
    merged = dict(flags)
    for name, raw in words.raw.items():
        if merged.get(name) is not None:
            raise InvalidInput(
                f"{words.origin[name]!r} and --{name} both set {name}",
                hint="give it once; nothing was added",
            )
        merged[name] = raw
    return merged, [*tags, *words.add_tags]


def _composed(tags: list[str] | None) -> list[str] | None:
    """--tag values in the one form tags typed as words take (names.composed)."""
    from todo_cli.domain.names import composed

    return None if tags is None else [composed(tag) for tag in tags]


def _dependency_refs(
    words: Words, flags: list[str] | None, *, editing: bool
) -> tuple[list[TaskRef], list[TaskRef], bool]:
    """The task references of dep:3,7 / dep:-3 (and --depends, as often as dep:), parsed,
    and whether `dep:` (`--depends ''`) clears the dependencies the task has first."""
    from todo_cli.domain.modifiers import parse_depends
    from todo_cli.repository.refs import number_list, parse_ref

    added, removed = list(words.add_depends), list(words.remove_depends)
    clear = words.clear_depends
    origin = dict(words.depends_origin)
    for flag in flags or ():
        if not flag.strip():
            clear = True
            continue
        more, fewer = parse_depends(f"--depends {flag}", flag, editing=editing)
        added += more
        removed += fewer
        origin |= dict.fromkeys([*more, *fewer], f"--depends {flag}")

    def refs(items: list[str]) -> list[TaskRef]:
        found = []
        for item in items:
            try:
                # `dep:1-3`, `dep:-1-3`: a range, as `done 1-3` and Taskwarrior take.
                numbers = number_list(item, more="give the rest in another dep:") or [item]
                found += [parse_ref(number, "task") for number in numbers]
            except InvalidInput as exc:
                # Named with its word (`dep:3,abc`), as a bad value of any other key is.
                raise InvalidInput(f"{origin[item]!r}: {exc.message}", hint=exc.hint) from None
        return found

    return refs(added), refs(removed), clear


def _values(
    words: Words,
    flags: dict[str, str | None],
    tag_flags: list[str] | None,
    *,
    context: str = "",
    warn: bool = True,
    clock: tuple[datetime, tzinfo] | None = None,
    flag_words: dict[str, str] | None = None,
    untag_flags: list[str] | None = None,
) -> dict[str, Any]:
    """The checked values a line of words (and flags) sets, relative to `clock` (now)."""
    from todo_cli.domain.modifiers import values

    now, tz = clock or _clock()
    try:
        found = values(words, now=now, tz=tz, flags=flags, flag_words=flag_words)
    except InvalidInput as exc:
        raise InvalidInput(f"{context}{exc.message}", hint=exc.hint) from None
    named = [("--tag", tag) for tag in tag_flags or []]
    for flag, tag in named + [("--untag", tag) for tag in untag_flags or []]:
        from todo_cli.domain.names import tag_problem

        problem = tag_problem(tag)
        if problem:
            if not tag:
                tag, problem = "''", "a tag needs a name"  # not "after the +": none typed
            raise InvalidInput(f"{context}{flag} {tag}: {problem}")
    if warn:
        _warn_wait_after_due(found, context)
    return found


def _warn_wait_after_due(found: dict[str, Any], context: str) -> None:
    due, wait = found.get("due"), found.get("wait")
    if due is not None and wait is not None and wait > due:
        from todo_cli.output.render import tell

        tell(f"warning: {context}the task waits until after it is due")


def _new_task(
    title: str | None,
    tags: Sequence[str],
    values: dict[str, Any],
    tag_flags: list[str] | None,
    description: str | None,
    *,
    context: str = "",
) -> dict[str, Any]:
    """A new task's values, checked: the title and tags its words gave, ``values``
    from their modifiers and the flags (``tag_flags`` add tags to every task)."""
    from todo_cli.domain.models import validate_task

    if title is None:
        raise InvalidInput(
            f"{context}a task needs a title besides its modifiers",
            hint='e.g. todo add "Call the bank" +finance',
        )
    data = dict(values)
    data["title"] = title
    data["description"] = description
    data["tags"] = [*tags, *(tag_flags or [])]
    return validate_task(data, context=context)


def _stdin_tasks(
    description: str | None,
    flags: dict[str, str | None] | None = None,
    tag_flags: list[str] | None = None,
    flag_words: dict[str, str] | None = None,
) -> tuple[int, Iterator[dict[str, Any]]]:
    """How many tasks stdin holds (one per non-empty line), and each, modifiers parsed.

    Stdin is read and the flags (--tag, --due, ...; they apply to every line,
    as -d does) are checked at once; each line is checked as the tasks are
    taken, so that on PostgreSQL the server stores the first ones while the
    last are checked. A line that is wrong raises as it is reached, and the
    bulk add, all or nothing, adds nothing.
    """
    from todo_cli.domain.modifiers import Words
    from todo_cli.formats.input import numbered_lines, read_text

    flags = flags or {}
    # One clock for every line: `due:tomorrow` means the same day on the first line and
    # the last, and the local zone is looked up once, not once a line (a few syscalls
    # each, seconds over 100,000 lines).
    clock = _clock()
    # The flags checked once, before stdin is read: their errors name no line, and
    # name a modifier typed on the command line (pri:HH) as it was typed.
    _values(Words(), flags, tag_flags, warn=False, clock=clock, flag_words=flag_words)
    lines = numbered_lines(read_text("-", hint="nothing was added"))
    if not lines:
        raise InvalidInput("no tasks on stdin", hint="give a TITLE or pipe one title per line")
    # A line of plain words with no flags sets nothing but its title: no
    # values to work out (a third of the time a line takes, at 100,000).
    flagless = not tag_flags and all(value is None for value in flags.values())
    return len(lines), _checked_lines(
        lines, description, flags, tag_flags, flag_words, flagless=flagless, clock=clock
    )


# What separates words but is no space to keep in a title: line and paragraph
# breaks and the controls str.split() takes as whitespace. Between two words of
# a stdin line they count as one space; spaces and tabs (and no-break spaces)
# are kept as typed.
_BREAKS = ("\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u2028", "\u2029")


def _breaks(text: str) -> bool:
    return any(char in text for char in _BREAKS)


def _words_as_typed(line: str) -> Words:
    """The words of a stdin line parsed, the title with the spaces typed between its words.

    A line is the title as typed, as a quoted TITLE is (`todo add "a  b"`): the
    modifiers taken out of it, what stood between two words of the title is
    kept (one space where a modifier or a break stood between them).
    """
    from dataclasses import replace

    from todo_cli.domain.modifiers import parse_words

    spans = []
    at = 0
    for word in line.split():  # the words as str.split() finds them, and where
        start = line.index(word, at)
        at = start + len(word)
        spans.append((start, at))
    words = parse_words([line[start:end] for start, end in spans], editing=False)
    if len(words.text_at) < 2:
        return words
    parts = [line[slice(*spans[words.text_at[0]])]]
    for before, here in itertools.pairwise(words.text_at):
        gap = line[spans[before][1] : spans[here][0]]
        if here != before + 1 or _breaks(gap):
            gap = " "
        parts.append(gap + line[slice(*spans[here])])
    return replace(words, text=("".join(parts),), text_at=(words.text_at[0],))


def _title_of_plain(line: str) -> str:
    """The title a line of words alone stands for (see _words_as_typed)."""
    if not _breaks(line):
        return line.strip()
    return _words_as_typed(line).title or ""


def _checked_lines(
    lines: list[tuple[int, str]],
    description: str | None,
    flags: dict[str, str | None],
    tag_flags: list[str] | None,
    flag_words: dict[str, str] | None,
    *,
    flagless: bool,
    clock: tuple[datetime, tzinfo],
) -> Iterator[dict[str, Any]]:
    """The task of each stdin line, checked (see _stdin_tasks)."""
    from todo_cli.domain.modifiers import Words

    for n, line in lines:
        try:
            context = f"stdin line {n}: "
            title: str | None
            tags: Sequence[str]
            values: dict[str, Any]
            # No word of a line without these can be a modifier (a tag starts with +, a
            # key ends in :, and -- ends them): all text, as parse_words would find, sooner.
            plain = "+" not in line and ":" not in line and "--" not in line
            if plain and flagless:
                # Nor is any flag given: the line is the title, and all the task has.
                title, tags, values = _title_of_plain(line), (), {}
            else:
                if plain:
                    words = Words(text=(_title_of_plain(line),))
                else:
                    try:
                        words = _words_as_typed(line)
                    except InvalidInput as exc:
                        raise InvalidInput(
                            f"{context}{exc.message}", hint="nothing was added"
                        ) from None
                if words.add_depends or words.remove_depends or words.clear_depends:
                    raise InvalidInput(
                        f"{context}dep: is not taken on a stdin line",
                        hint="give dep: on the command line, for every line, or add "
                        "dependencies with todo edit; nothing was added",
                    )
                if flagless and not words.raw:
                    values = {}
                else:
                    values = _values(
                        words, flags, tag_flags, context=context, clock=clock, flag_words=flag_words
                    )
                if values.get("recur") and values.get("due") is None:
                    raise InvalidInput(
                        f"{context}recur:{values['recur']} needs a due date",
                        hint="add one, e.g. due:mon; nothing was added",
                    )
                title, tags = words.title, words.add_tags
            task = _new_task(title, tags, values, tag_flags, description, context=context)
        except InvalidInput as exc:
            # Every refusal of a line says so, after its own hint (`due:never` names
            # the date words, a NUL says to remove it).
            if "nothing was added" not in (exc.hint or ""):
                exc.hint = f"{exc.hint}; nothing was added" if exc.hint else "nothing was added"
            raise
        yield task


@app.command(cls=WordsCommand)
def add(
    ctx: typer.Context,
    words: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="WORDS...",
            help="The task, with modifiers: +tag project:NAME due:DATE wait:DATE pri:H|M|L "
            "recur:RULE dep:REFS (-- makes the rest text). "
            "Omit it (or give -) to read one task per stdin line.",
            show_default=False,
            autocompletion=_complete_words,
        ),
    ] = None,
    description: Annotated[
        str | None,
        typer.Option("--description", "-d", metavar="TEXT", help="A longer description."),
    ] = None,
    tag: TagOption = None,
    project: ProjectOption = None,
    due: DueOption = None,
    wait: WaitOption = None,
    priority: PriorityOption = None,
    recur: RecurOption = None,
    depends: DependsOption = None,
    json: Json = False,
) -> None:
    """Add a task. Words are its title; modifiers set its fields.

    \b
    Examples:
      todo add Buy milk
      todo add Call the bank +finance project:home.admin due:fri pri:H
      todo add Water the plants due:sat recur:weekly
      todo add Book the hotel dep:3,7           # waits on tasks 3 and 7
      todo add "Renew passport" -d "Photos first" --due 2026-12-24
      todo add -- Use +1 and due:now as text     # after --, every word is text
      cat ideas.txt | todo add        # one task per non-empty line, all or nothing
    """
    from todo_cli.domain.modifiers import Words, parse_words
    from todo_cli.output import render
    from todo_cli.services import tasks

    typed = unmark(words)
    if not typed and sys.stdin.isatty():
        raise InvalidUsage("missing WORDS", hint='todo add "Buy milk", or pipe titles on stdin')
    tag = _composed(tag)
    flags = _flags(project, due, wait, priority, recur)
    # `todo add - +home due:fri` (a `-` typed before any `--`) and words that are
    # all modifiers with titles piped in: the modifiers apply to every stdin line,
    # as the flags do.
    bulk = not typed or typed == ["-"]
    tags = list(tag or [])
    typed_as_words: dict[str, str] = {}
    every_line = Words()
    if not bulk:
        # A `-` after `--` is marked as text (and kept); only a bare one means stdin.
        parsed = parse_words(unmark([w for w in words or [] if w != "-"]), editing=False)
        if parsed.title is not None and (words or [])[:1] == ["-"]:
            # `todo add - +errand dew:sat`: a leading - asks for stdin, and a word that
            # is no modifier (a typo) would otherwise make one task of the line instead.
            raise InvalidInput(
                f"- reads the titles from stdin, so {parsed.title!r} must be modifiers",
                hint="check the spelling of the keys (due:, wait:, pri:, project:, recur:); "
                "nothing was added",
            )
        if parsed.title is None and ("-" in (words or []) or not sys.stdin.isatty()):
            bulk = True
            flags, tags = _with_word_modifiers(parsed, flags, tags)
            typed_as_words = dict(parsed.origin)
            every_line = parsed
    if bulk:
        from todo_cli.db.transaction import interruptible

        # stdin is read (and checked) before the transaction opens: a pipe may be slow.
        with interruptible():
            # dep: and --depends given on the command line: every line's task waits on them.
            waits_on, _, _ = _dependency_refs(every_line, depends, editing=False)
            count, items = _stdin_tasks(description, flags, tags, typed_as_words)

            def added_many(added: AddedTasks) -> None:
                if json:
                    render.write_json_array(render.task_json(task) for task in added)
                    render.flush_stdout()
                else:
                    count = render.plural(len(added), "task")
                    span = f"#{added.first}" + (
                        "" if added.first == added.last else f"..#{added.last}"
                    )
                    render.tell(f"added {count}: {span}")

            tasks.add_many(settings(ctx), items, count=count, depends=waits_on, report=added_many)
        return

    parsed = parse_words(typed, editing=False)
    values = _values(parsed, flags, tag)
    try:
        new = _new_task(parsed.title, parsed.add_tags, values, tag, description)
    except InvalidInput as exc:
        # "title is empty": what was wrong, and (the other half of every error) where
        # that leaves things.
        exc.hint = exc.hint or "nothing was added"
        raise
    waits_on, _, _ = _dependency_refs(parsed, depends, editing=False)

    def added(task: Task) -> None:
        if json:
            render.write_json(render.task_json(task))
            render.flush_stdout()
        else:
            render.tell(f"added #{task.number}: {task.title}")

    tasks.add(settings(ctx), new, depends=waits_on, report=added)


@contextmanager
def _named_or_titled(ref: str, more: list[str]) -> Iterator[None]:
    """A task number taken as one more task to edit, that names none, says how to
    make it the title instead (`todo edit 1 2026 +x`, meaning the title "2026")."""
    from shlex import join

    from todo_cli.domain.limits import TASK_TITLE_MAX

    try:
        yield
    except NotFound as exc:
        if not more or len(" ".join(more)) > TASK_TITLE_MAX:
            raise  # (no title would hold so many words: suggesting one helps no one)
        titled = f"for a title of those words: todo edit {join([ref])} -- {join(more)}"
        raise NotFound(exc.message, hint=f"{exc.hint}; {titled}" if exc.hint else titled) from None


def _named(
    words: list[str], without: list[str] | None, command: str, search: str | None = None
) -> tuple[TaskRef, ...]:
    """The tasks `list` or `export` words name by reference, if that is all they are.

    Task numbers (`12`, `#12`), Taskwarrior's lists and ranges of them (`1,3`,
    `2-4`) and whole UUIDs name tasks, as they do for `done` (`todo export 12`
    is task 12, not every task whose title holds a 12). A hex prefix (`cafe`) is
    a word to search for here, and so is everything once any other word or a
    `--` is there: `todo list Q4 2026` searches.
    """
    from todo_cli.domain.filters import is_filter_term
    from todo_cli.repository.refs import parse_refs, refuse_broken_list

    words = _without_bare_separator(words)
    head = words[: words.index("--")] if "--" in words else words
    for word in head:
        # `export 1,2,` searched for the text "1,2," and wrote an empty backup, exit 0.
        refuse_broken_list(word, command.split()[-1], writes=False)
    text = [word for word in head if not is_filter_term(word)]
    filtered = without or search is not None
    if text and (len(text) < len(head) or filtered) and all(map(_names_a_task, text)):
        # `todo export 1 +x`: the 1 would be searched for as text, and a script would
        # get other tasks than #1. Refused, as done refuses it.
        from shlex import quote

        terms = [word for word in head if is_filter_term(word)]
        # (`list 2 --search a` listed nothing: #2 and the search, both at once.)
        other = (
            quote(terms[0])
            if terms
            else f"--without {quote(without[0])}"
            if without
            else f"--search {quote(search or '')}"
        )
        raise InvalidUsage(
            f"{text[0]!r} is a task reference and {other} is a filter: "
            "give references alone, or a filter alone",
            hint=f"to search for {text[0]!r} as text, put it after --: "
            f"`{command} {other} -- {quote(text[0])}`",
        )
    if not words or without or "--" in words or not all(map(_names_a_task, words)):
        return ()
    return tuple(parse_refs(_numbers_listed(words), "task"))


def _without_bare_separator(words: list[str]) -> list[str]:
    """`words` without a `--` that ends them: nothing after it is no text to search for
    (`todo export "$id" -- $words` with $words empty is `todo export "$id"`)."""
    if words and words[-1] == "--" and words.count("--") == 1:
        return words[:-1]
    return words


def _names_a_task(word: str) -> bool:
    """A task number (`12`, `#12`), a list or range of them (`1,3`, `2-4`), or a whole
    UUID: words that name tasks wherever they stand (a hex prefix may be a word)."""
    from todo_cli.repository.refs import is_ref_shaped, looks_like_ref, number_list

    whole_uuid = is_ref_shaped(word) and len(word.strip().replace("-", "")) == 32
    try:
        listed = number_list(word) is not None
    except InvalidInput:
        listed = True  # a list's shape with a fault: said where it is read, for its command
    return looks_like_ref(word) or whole_uuid or listed


def _names_more_tasks(word: str) -> bool:
    """After `edit`'s first reference, a word that names a task: as _names_a_task, or 8
    or more hex digits of an id (as `todo export` and scripts cut them). `todo edit 1
    d1031cd2 +x` renamed #1 "d1031cd2"; a shorter hex word is text (cafe, decade)."""
    from todo_cli.repository.refs import is_ref_shaped

    id_like = is_ref_shaped(word) and len(word.strip().replace("-", "")) >= 8
    return id_like or _names_a_task(word)


@contextmanager
def _named_or_searched(
    ctx: typer.Context, named: tuple[TaskRef, ...], terms: list[str] | None
) -> Iterator[None]:
    """A task named by reference that does not exist says how to search for the word."""
    from shlex import join

    try:
        yield
    except NotFound as exc:
        if not named:
            raise
        raise NotFound(exc.message, hint=_search_hint(ctx, join(unmark(terms)))) from None


def _search_hint(ctx: typer.Context, words: str) -> str:
    """How to search for words (shell-quoted) that were taken as task references."""
    return f"to search for {words} as text: {ctx.command_path} -- {words}"


def _filter(terms: list[str], without: list[str] | None = None) -> Filter:
    from todo_cli.domain.filters import parse_filter

    now, tz = _clock()
    return parse_filter(terms, now=now, tz=tz, without=without or ())


@app.command("list", cls=WordsCommand)
def list_(
    ctx: typer.Context,
    terms: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILTER...",
            help="+tag -tag project:NAME (project: for none) pri:H|M|L (pri: for none) "
            "due:DATE (due: for none) due.before:DATE due.after:DATE +overdue -overdue "
            "+blocked -blocked, task numbers, and words, all of which must match.",
            show_default=False,
            autocompletion=_complete,
        ),
    ] = None,
    done: Annotated[bool, typer.Option("--done", help="Only completed tasks.")] = False,
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Open, waiting and completed tasks.")
    ] = False,
    waiting: Annotated[
        bool, typer.Option("--waiting", help="Only tasks hidden until their wait date.")
    ] = False,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            metavar="TEXT",
            help="Only tasks whose title, description or notes contain TEXT (any case).",
        ),
    ] = None,
    without: Without = None,
    limit: Limit = None,
    sort: Annotated[
        Sort, typer.Option("--sort", help="Order by this (urgency: highest first).")
    ] = Sort.by_urgency,
    reverse: Annotated[bool, typer.Option("--reverse", "-r", help="Reverse the order.")] = False,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format", "-f", help="table for people (the default); json or jsonl for scripts."
        ),
    ] = None,
    json: Json = False,
) -> None:
    """List your open tasks, most urgent first (or --done, --waiting, or --all).

    \b
    Examples:
      todo list
      todo list +work -meeting pri:H due.before:eow
      todo list project:home +overdue
      todo list --all --search milk --sort updated --reverse --limit 5
      todo list --json | jq -r '.[].title'
    """
    from dataclasses import replace

    from todo_cli.domain.filters import Filter
    from todo_cli.output import render
    from todo_cli.output.tasks import tasks_table
    from todo_cli.repository.tasks import TaskQuery
    from todo_cli.services import tasks

    status, shown = _status_options(done, all_, waiting)
    if json and fmt not in (None, Format.json):
        raise InvalidUsage(f"--json and --format {fmt} do not go together", hint="pick one")
    refuse_empty_search(search, "task")
    output = Format.json if json else fmt or Format.table
    named = _named(unmark(terms), without, ctx.command_path, search)
    if named and (done or waiting):
        raise InvalidUsage(
            f"--{'done' if done else 'waiting'} chooses among a filter's tasks, and the tasks "
            "here are named: they are shown whatever their status",
            hint="give the references alone, or a filter",
        )
    wanted = Filter() if named else _filter(unmark(terms), without)
    query = TaskQuery(
        status=status,
        waiting=shown,
        filter=wanted,
        search=search,
        sort=sort.value,
        reverse=reverse,
        limit=limit,
        refs=named,
    )
    empty = False
    with _named_or_searched(ctx, named, terms), tasks.listing(settings(ctx), query) as found:
        if output is Format.json:
            render.write_json_array(render.task_json(task) for task in found)
        elif output is Format.jsonl:
            render.write_json_lines(render.task_json(task) for task in found)
        else:
            empty = not tasks_table(found)
    if empty:
        kind = "waiting" if waiting else "" if status == "all" else status
        matching = " matching" if (search or named or not wanted.is_empty) else ""
        hidden = ""
        if shown == "hide":
            # `todo tags` and `todo projects` count a waiting task as open (it is):
            # "no open tasks" alone would deny the one they counted.
            with tasks.listing(settings(ctx), replace(query, waiting="only")) as waiting_ones:
                count = sum(1 for _ in waiting_ones)
            if count:
                hidden = f" ({render.plural(count, 'waiting task')} not shown: add --waiting)"
        render.tell(f"no {kind + ' ' if kind else ''}tasks{matching}{hidden}")


def _due_text(task: Task) -> str:
    from todo_cli.domain.dates import local_text

    return local_text(task.due, _clock()[1]) if task.due else "-"


def _selection(
    ctx: typer.Context, args: list[str] | None, without: list[str] | None
) -> list[TaskRef] | Filter:
    """References, or (when any word is a filter term or text, or --without) a filter."""
    from todo_cli.domain.filters import is_filter_term
    from todo_cli.repository.refs import (
        is_ref_shaped,
        number_list,
        parse_refs,
        refuse_broken_list,
    )

    def names_tasks(word: str) -> bool:
        """A reference, or Taskwarrior's list or range of them (`1,3`, `2-4`)."""
        return is_ref_shaped(word) or number_list(word) is not None

    # `todo done -- $words` with $words empty is no filter at all, not one that
    # matches every task: as a bare `todo done`, it is refused; `done 1 --` is `done 1`.
    words = _without_bare_separator(unmark(args))
    for word in words[: words.index("--")] if "--" in words else words:
        refuse_broken_list(word, ctx.command_path.split()[-1])
    if without or any(is_filter_term(word) or not names_tasks(word) for word in words):
        # A reference beside filter terms would be searched for as text, and the filter
        # would act on other tasks than the one named (`todo done 2 +errand` completing
        # the errands whose titles hold a 2): refused. After --, a word is text.
        head = words[: words.index("--")] if "--" in words else words
        named = next((word for word in head if names_tasks(word)), None)
        if named is not None and all(word.strip() for word in words):
            from shlex import join, quote

            other = next((word for word in head if not names_tasks(word)), None)
            tail = words[len(head) + 1 :]  # the text after --
            # Without another word, it is --without, or the text after --, that made
            # this a filter: named as typed, and kept whole in the command suggested.
            given = (
                quote(other)
                if other
                else f"--without {quote(without[0])}"
                if without
                else join(["--", *tail])
            )
            options = [part for word in without or () for part in ("--without", word)]
            terms = [word for word in head if not names_tasks(word)]
            texts = [word for word in head if names_tasks(word)] + tail
            suggested = join([*ctx.command_path.split(), *options, *terms, "--", *texts])
            raise InvalidUsage(
                f"{named!r} is a task reference and {given} is a filter: "
                "give references alone, or a filter alone",
                hint=f"to search for {named!r} as text, put it after --: "
                f"`{suggested}`; nothing was changed",
            )
        return _filter(words, without)
    if not words:
        raise InvalidUsage(
            "which tasks? give task references or a filter",
            hint=f"e.g. `{ctx.command_path} 3` or `{ctx.command_path} +errand`",
        )
    return parse_refs(_numbers_listed(words), "task")


def _numbers_listed(words: list[str], *, more: str | None = None) -> list[str]:
    """Words with each list or range of numbers (`1,3`, `2-4`) spelled out, as
    Taskwarrior users write them: as text they would find titles holding "2-4"
    and act on those. After --, a word is text. `more`: the advice for a range
    too long (a filter, where the command takes one)."""
    from todo_cli.repository.refs import number_list

    spelled: list[str] = []
    for index, word in enumerate(words):
        if word == "--":
            return spelled + words[index:]
        listed = number_list(word) if more is None else number_list(word, more=more)
        spelled.extend([word] if listed is None else listed)
    return spelled


def _status_options(done: bool, all_: bool, waiting: bool) -> tuple[Status, Waiting]:
    """What --done, --all and --waiting select, as `list` reads them (at most one)."""
    if sum((done, all_, waiting)) > 1:
        raise InvalidUsage("--done, --waiting and --all do not go together", hint="pick one")
    status: Status = "all" if all_ else "done" if done else "open"
    shown: Waiting = "only" if waiting else "include" if (all_ or done) else "hide"
    return status, shown


def _by_filter_only(selection: list[TaskRef] | Filter, **flags: bool) -> None:
    """Options that choose among a filter's matches are refused beside references."""
    given = [name for name, on in flags.items() if on]
    if given and isinstance(selection, list):
        raise InvalidUsage(
            f"--{given[0]} chooses among the tasks a filter selects, and no filter was given",
            hint="give a filter (+tag, pri:H, ...), or the references alone; nothing was changed",
        )


def _set_completed(
    ctx: typer.Context,
    args: list[str] | None,
    without: list[str] | None,
    completed: bool,
    json: bool,
    *,
    waiting: bool = False,
    yes: bool = False,
) -> None:
    from todo_cli.output import render
    from todo_cli.services import tasks

    selection = _selection(ctx, args, without)
    _by_filter_only(selection, waiting=waiting)
    by_filter = not isinstance(selection, list)
    verb = "complete" if completed else "reopen"

    def confirm(targets: list[Task]) -> bool:
        # A filter that matches more than a few is asked about first, as Taskwarrior
        # does: `todo done -x` (a negation typed by mistake) completed every task.
        if len(targets) <= BULK_UNASKED:
            return True
        from todo_cli.domain.text import one_line

        listed = "".join(f"  #{task.number} {one_line(task.title)}\n" for task in targets)
        return ask(f"{verb} {len(targets)} tasks:\n{listed}{verb} these {len(targets)} tasks?", yes)

    def changed(completion: Completion) -> None:
        if json:
            # One object per task acted on, as before; `created` lists the
            # tasks its completion made (the next of a recurring series),
            # `removed` those its reopening took back (that next task, deleted:
            # a script holding its id must learn it is gone), and `blocked_by`
            # the numbers of the open tasks it waits on (what the text says as
            # "it was waiting on #1, still open").
            render.write_json_array(
                render.task_json(r.task)
                | {
                    "created": [render.task_json(r.created)] if r.created else [],
                    "removed": [render.task_json(r.removed)] if r.removed else [],
                    "blocked_by": list(r.task.blocked_by),
                }
                for r in completion.results
            )
            render.flush_stdout()
            return
        did = "completed" if completed else "reopened"
        already = "already done" if completed else "already open"
        for r in completion.results:
            render.tell(f"{did if r.changed else already} #{r.task.number}: {r.task.title}")
            if r.changed and completed and r.task.blocked_by:
                still = ", ".join(f"#{n}" for n in r.task.blocked_by)
                render.tell(f"  note: it was waiting on {still}, still open")
            if r.created is not None:
                render.tell(f"  next: #{r.created.number}, due {_due_text(r.created)}")
            if r.removed is not None:
                render.tell(f"  took back #{r.removed.number}, the next of its series")
            if r.detached:
                render.tell(f"  #{r.task.number} left its series: {r.detached}")
        if by_filter:
            count = sum(r.changed for r in completion.results)
            render.tell(f"{did} {render.plural(count, 'task')}")

    # Off a terminal nobody could answer: a script's filter acts, as ever (undo takes it back).
    asking = by_filter and not yes and sys.stdin.isatty()
    with _hex_words_searchable(ctx, None if by_filter else args):
        tasks.set_completed(
            settings(ctx),
            selection,
            completed,
            waiting="only" if waiting else "hide",
            confirm=confirm if asking else None,
            report=changed,
        )


@contextmanager
def _hex_words_searchable(ctx: typer.Context, words: list[str] | None) -> Iterator[None]:
    """A task named by hex digits (`todo done cafe`) that does not exist says how to
    search for the word, as `list` says it: README names `todo done -- cafe`, and the
    error said only "no task 'cafe'"."""
    try:
        yield
    except NotFound as exc:
        import re

        # Hex digits with a letter among them (`cafe`, `3f2a91c0-7b`): not a number,
        # a list or a range (`1-5000`), which name tasks by number alone.
        hexes = [
            word
            for word in words or ()
            if re.fullmatch(r"[0-9a-fA-F-]+", word.strip()) and re.search(r"[a-fA-F]", word.strip())
        ]
        if not hexes:
            raise
        from shlex import join

        raise NotFound(exc.message, hint=_search_hint(ctx, join(hexes))) from None


# A filter matching more tasks than this asks first on a terminal (Taskwarrior's rc.bulk).
BULK_UNASKED = 3


@app.command(cls=WordsCommand)
def done(
    ctx: typer.Context,
    refs: Selector = None,
    without: Without = None,
    waiting: Annotated[
        bool,
        typer.Option(
            "--waiting", help="By filter: the waiting tasks it matches (as list --waiting)."
        ),
    ] = False,
    yes: FilterYes = False,
    json: Json = False,
) -> None:
    """Mark tasks done (already done is fine), by reference or by filter.

    A filter completes the tasks `todo list` shows with it: waiting ones
    (hidden until their wait date) only with --waiting. On a terminal, a
    filter matching more than 3 tasks names them and asks first.

    \b
    Examples:
      todo done 3
      todo done 3 '#4' 1a2b3c
      todo done +errand               # every open task tagged errand
    """
    _set_completed(ctx, refs, without, True, json, waiting=waiting, yes=yes)


@app.command(cls=WordsCommand)
def reopen(
    ctx: typer.Context,
    refs: DoneSelector = None,
    without: Without = None,
    yes: FilterYes = False,
    json: Json = False,
) -> None:
    """Mark done tasks open again, by reference or by filter (asked as done asks).

    \b
    Example:
      todo reopen 3
    """
    _set_completed(ctx, refs, without, False, json, yes=yes)


@app.command(cls=OnceCommand)
def show(ctx: typer.Context, ref: Ref, json: Json = False) -> None:
    """Show one task in full, notes included.

    \b
    Example:
      todo show 3
    """
    from todo_cli.output import render
    from todo_cli.output.tasks import task_detail
    from todo_cli.repository.refs import one_task
    from todo_cli.services import tasks

    detail: Detail = tasks.show(settings(ctx), one_task(ref, "show"))
    if json:
        render.write_json(render.task_json(detail.task))
    else:
        task_detail(detail.task, waits_on=detail.waits_on, waited_on_by=detail.waited_on_by)


@app.command(cls=WordsCommand)
def edit(
    ctx: typer.Context,
    ref: Ref,
    words: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="WORDS...",
            help="+tag adds a tag, -tag removes one, key:value sets a field (key: clears it); "
            "other words are a new title (a lone - reads it from stdin).",
            show_default=False,
            autocompletion=_complete_words,
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", metavar="TEXT", help="A new title.")
    ] = None,
    description: Annotated[
        str | None,
        typer.Option(
            "--description", "-d", metavar="TEXT", help='A new description; "" removes it.'
        ),
    ] = None,
    tag: TagOption = None,
    untag: Annotated[
        list[str] | None,
        typer.Option("--untag", metavar="TAG", help="Remove a tag (repeat for more)."),
    ] = None,
    project: ProjectOption = None,
    due: DueOption = None,
    wait: WaitOption = None,
    priority: PriorityOption = None,
    recur: RecurOption = None,
    depends: DependsOption = None,
    json: Json = False,
) -> None:
    """Change a task, or several at once: title, description, tags, fields, dependencies.

    A word that starts with - removes a tag, so edit's options are long ones,
    but for -d (the description, as on add): remove a tag d with --untag d.
    Task numbers after the first (`3 5 9`, `1-4,7`) edit those tasks too, all
    in one change that one undo takes back; a title is one task's alone.

    \b
    Examples:
      todo edit 3 Buy oat milk                 # a new title
      echo "Buy oat milk" | todo edit 3 -      # the new title from stdin
      todo edit 3 +urgent -someday pri:H due:tomorrow
      todo edit 1-4,7 project:home +weekend    # five tasks at once
      todo edit 3 due: project:                # clear the due date and project
      todo edit 3 dep:5 dep:-2                 # now waits on 5, no longer on 2
      todo edit 3 dep:                         # waits on nothing any more
      todo edit 3 recur:                       # the series ends with this task
      todo edit 3 -d "Photos first"            # a new description
      todo edit 3 -d ""                        # remove the description
    """
    from dataclasses import replace

    from todo_cli.domain.models import validate_task
    from todo_cli.domain.modifiers import parse_words
    from todo_cli.output import render
    from todo_cli.repository.refs import parse_refs, refuse_broken_list
    from todo_cli.services import tasks

    # The reference is a word too: after `--`, or as `-5`, it comes marked.
    ref = unmark([ref])[0]
    refuse_broken_list(ref, "edit", searches=False)  # not moved into a title by a hint
    typed = unmark(words)
    parsed = parse_words(typed, editing=True)
    tag, untag = _composed(tag), _composed(untag)
    # Words that only name tasks, before any --, are more tasks to edit: `todo edit
    # 2 3 +x` tags both (as a title, "3" renamed #2). `todo edit 2 3 eggs` is a title.
    # (After --, words are the title's.)
    head = typed[: typed.index("--")] if "--" in typed else typed
    before = parse_words(head, editing=True).text
    more: list[str] = []
    if before and all(map(_names_more_tasks, before)):
        more, parsed = list(before), replace(parsed, text=parsed.text[len(before) :])
    from shlex import join

    from todo_cli.repository.refs import is_ref_shaped

    ref_shaped = _names_a_task(ref) or is_ref_shaped(ref)
    named = next((word for word in head if _names_more_tasks(word)), None)
    if not ref_shaped and named is not None:
        # `todo edit -a 1 pri:H`: a tag to remove typed before the task. What is
        # wrong is the reference, whatever else the words would change.
        rest = list(typed)
        rest.remove(named)
        # The options given go into the command shown too, so that it does what was meant.
        options: list[str] = []
        for flag, value in (
            ("--title", title),
            ("-d", description),
            ("--project", project),
            ("--due", due),
            ("--wait", wait),
            ("--priority", priority),
            ("--recur", recur),
        ):
            if value is not None:
                options += [flag, value]
        for flag, values in (("--tag", tag), ("--untag", untag), ("--depends", depends)):
            for value in values or ():
                options += [flag, value]
        if json:
            options.append("--json")
        raise InvalidUsage(
            f"{ref!r} is not a task reference",
            hint=f"the task comes first: todo edit {join([named, ref, *rest, *options])}",
        )
    # edit takes no filter: a range past the limit is edited in parts.
    selection = _numbers_listed([ref, *more], more="edit the rest with another command")
    # `1 1` and `1 #1` name one task, as everywhere else (they are edited once).
    distinct = {
        # (Digits past 19 are no task number: compared as text, and refused below as
        # out of range; int() of 4,301 digits and more is an error of its own.)
        int(word.removeprefix("#")) if _short_digits(word.removeprefix("#")) else word.lower()
        for word in selection
    }
    # The JSON is an array when the references may name many: several words (of one
    # task too, `1 1`), or a range or list, however many it names (`5-5` is spelled
    # out as `5`): a script's `todo edit "$refs" --json | jq '.[]'` broke when $refs
    # named one.
    several = len(selection) > 1 or selection != [ref, *more]
    if len(distinct) > 1 and (title is not None or parsed.title is not None):
        # One title on many tasks is a slip (`todo edit 1-3 Renamed`), never a wish.
        given_title = "--title" if title is not None else repr(parsed.title)
        raise InvalidUsage(
            f"{given_title} would be the title of {len(distinct)} tasks: a title is one task's",
            hint="edit titles one task at a time; nothing was changed",
        )
    flags = _flags(project, due, wait, priority, recur)
    given = any(v is not None for v in flags.values()) or title is not None
    wanted = parsed.changes_anything or given or description is not None
    # An empty --depends is not "nothing": it clears the dependencies.
    if not (wanted or tag or untag or depends is not None):
        if not ref_shaped:
            parse_refs([ref], "task")  # `todo edit -a`: says what a reference is
        if more:
            from todo_cli.domain.limits import TASK_TITLE_MAX

            shown = ", ".join(join([word]) for word in selection[:10])
            if len(selection) > 10:
                shown += f" and {len(selection) - 10:,} more"
            titled = f"for a title of those words: todo edit {join([ref])} -- {join(more)}"
            raise InvalidUsage(
                f"nothing to change on {shown}",
                hint=titled if len(" ".join(more)) <= TASK_TITLE_MAX else "nothing was changed",
            )
        raise InvalidUsage(
            "nothing to change", hint="give words (+tag, due:fri, a new title) or options"
        )
    refs = parse_refs(selection, "task")
    # The edited task is checked instead: its stored due counts too.
    # A tag no tag here (@phone, a.b) that an import kept with a task, to be written
    # back to Taskwarrior: --untag takes it away (the service refuses one no task
    # named keeps). Refused here as no tag, nothing could remove it.
    from todo_cli.domain.names import tag_problem

    kept_untags = [name for name in untag or [] if name and tag_problem(name)]
    untag = [name for name in untag or [] if name not in kept_untags]
    changes = _values(parsed, flags, tag, warn=False, untag_flags=untag)
    if title is not None and parsed.title is not None:
        raise InvalidInput(
            f"the words {parsed.title!r} and --title {title!r} both set the title",
            hint="give it once; nothing was changed",
        )
    adding_tags = [*parsed.add_tags, *(tag or [])]
    removing_tags = [*parsed.remove_tags, *untag]
    both = sorted(set(adding_tags) & set(removing_tags))
    if both:
        # Which one wins would depend on an order nobody sees: refuse instead.
        raise InvalidInput(
            f"the tag {both[0]!r} is both added and removed", hint="give one; nothing was changed"
        )
    text = title if title is not None else parsed.title
    if text == "-" and title is None and "-" in (words or []):
        # A bare `-` (not after --) is stdin, as for `add -` and `note 3 -`: the new title.
        text = _title_from_stdin(ctx)
    if text is not None:
        changes["title"] = text
    if description is not None:
        changes["description"] = description
    try:
        changes = validate_task(changes, partial=True)
    except InvalidInput as exc:
        exc.hint = exc.hint or "nothing was changed"
        raise
    adding, removing, clearing = _dependency_refs(parsed, depends, editing=True)

    def edited(outcomes: list[tasks.Edited]) -> None:
        if json:
            # Several tasks named: an array (of one, when they were one task twice).
            if several:
                render.write_json_array(render.task_json(o.task) for o in outcomes)
            else:
                render.write_json(render.task_json(outcomes[0].task))
            render.flush_stdout()
        for outcome in outcomes:
            task = outcome.task
            if not json:
                done = "edited" if outcome.changed else "unchanged"
                already = "" if outcome.changed else " (it was so already)"
                render.tell(f"{done} #{task.number}: {task.title}{already}")
                if outcome.stopped is not None:
                    render.tell(f"  series ended: #{outcome.stopped} repeats no more")
            dated = "wait" in changes or "due" in changes
            if dated and task.wait is not None and task.due is not None and task.wait > task.due:
                render.tell(f"warning: #{task.number} waits until after it is due")
        if len(outcomes) > 1 and not json:
            count = sum(outcome.changed for outcome in outcomes)
            render.tell(f"edited {render.plural(count, 'task')}")

    with _named_or_titled(ref, more):
        tasks.edit(
            settings(ctx),
            refs,
            changes,
            add_tags=adding_tags,
            remove_tags=removing_tags,
            remove_kept_tags=kept_untags,
            add_depends=adding,
            remove_depends=removing,
            clear_depends=clearing,
            report=edited,
        )


@app.command(cls=WordsCommand)
def note(
    ctx: typer.Context,
    ref: Ref,
    text: Annotated[
        list[str], typer.Argument(metavar="TEXT...", help="The note; - reads it from stdin.")
    ],
    json: Json = False,
) -> None:
    """Add a note to a task: a timestamped line, shown by `show`.

    Words starting with - are words of the note (`-5 outside`); after `--`,
    every word is, - too.

    \b
    Examples:
      todo note 3 Called, they will ring back on Monday
      pbpaste | todo note 3 -
    """
    from todo_cli.cli.options import WORD_MARK
    from todo_cli.domain.fields import clean_note
    from todo_cli.output import render
    from todo_cli.repository.refs import one_task
    from todo_cli.services import tasks

    # The reference is a word too: after `--`, or as `-5`, it comes marked (edit's).
    parsed = one_task(unmark([ref])[0], "note")
    words = list(text)
    if WORD_MARK + "--" in words:
        words.remove(WORD_MARK + "--")  # the first `--` ends the options: no word of it
    given = " ".join(unmark(words))
    if text == ["-"]:
        from todo_cli.db.transaction import interruptible
        from todo_cli.formats.input import read_text

        # SIGTERM and SIGHUP as Ctrl-C from here to the command's end, as a write takes them.
        ctx.with_resource(interruptible())
        # As `chat-log append ... -`: the note is stdin, less the newline that ends it.
        given = read_text("-", hint="nothing was written").removesuffix("\n")
        given = given.removesuffix("\r")
    try:
        written = clean_note(given)
    except ValueError as exc:
        raise InvalidInput(str(exc), hint="nothing was changed") from None

    def noted(task: Task) -> None:
        if json:
            render.write_json(render.task_json(task))
            render.flush_stdout()
        else:
            render.tell(f"noted on #{task.number}: {task.title}")

    tasks.note(settings(ctx), parsed, written, report=noted)


def _short_digits(word: str) -> bool:
    return word.isdecimal() and len(word) <= 19


def _title_from_stdin(ctx: typer.Context) -> str:
    """One line of stdin, less the newline that ends it: a title (`todo edit 3 -`)."""
    from todo_cli.db.transaction import interruptible
    from todo_cli.formats.input import read_text, split_lines

    # SIGTERM and SIGHUP as Ctrl-C from here to the command's end, as a write takes them.
    ctx.with_resource(interruptible())
    lines = split_lines(read_text("-", hint="nothing was changed"))
    if len(lines) > 1:
        raise InvalidInput(
            f"stdin holds {len(lines):,} lines: a title is one line",
            hint="join them first, or give the rest as a note with `todo note N -`; "
            "nothing was changed",
        )
    if not lines or not lines[0].strip():
        raise InvalidInput("stdin holds no title", hint="nothing was changed")
    return lines[0]


def _naming(targets: list[Task]) -> str:
    from todo_cli.domain.text import one_line

    names = ", ".join(f"#{task.number} {one_line(task.title)}" for task in targets[:10])
    more = f" and {len(targets) - 10} more" if len(targets) > 10 else ""
    return names + more


@app.command(cls=WordsCommand)
def delete(
    ctx: typer.Context,
    refs: Selector = None,
    without: Without = None,
    done: Annotated[
        bool, typer.Option("--done", help="By filter: the completed tasks it matches.")
    ] = False,
    waiting: Annotated[
        bool, typer.Option("--waiting", help="By filter: the waiting tasks it matches.")
    ] = False,
    all_: Annotated[
        bool, typer.Option("--all", help="By filter: open, waiting and completed tasks.")
    ] = False,
    yes: Yes = False,
    json: Json = False,
) -> None:
    """Delete tasks for good, by reference or by filter (asks first; --yes when not on a terminal).

    A filter deletes the tasks `todo list` shows with it and the same
    --done, --waiting or --all: open ones by default. Answering no deletes
    nothing and is not an error (exit 0).

    \b
    Examples:
      todo delete 3 4 --yes
      todo delete +someday            # asks, naming every task it would delete
    """
    from todo_cli.output import render
    from todo_cli.services import tasks

    status, shown = _status_options(done, all_, waiting)
    selection = _selection(ctx, refs, without)
    _by_filter_only(selection, done=done, waiting=waiting, all=all_)

    def confirm(targets: list[Task]) -> bool:
        if len(targets) == 1:
            return ask(f"delete {_naming(targets)}?", yes)
        from todo_cli.domain.text import one_line

        # The person answering sees every task that would go, one a line (as
        # `todo delete --help` promises); a refusal (no terminal) stays one line.
        listed = "".join(f"  #{task.number} {one_line(task.title)}\n" for task in targets)
        return ask(
            f"delete {len(targets)} tasks:\n{listed}delete these {len(targets)} tasks?",
            yes,
            unasked=f"delete {len(targets)} tasks: {_naming(targets)} needs confirmation",
        )

    def deleted(gone: list[Task]) -> None:
        if json:
            render.write_json_array(render.task_json(task) for task in gone)
            render.flush_stdout()
        else:
            for task in gone:
                # Only the open task of a series carries it on.
                ends = (
                    f" (its series ends: it repeated {task.recur})"
                    if task.recur and not task.completed
                    else ""
                )
                render.tell(f"deleted #{task.number}: {task.title}{ends}")

    with _hex_words_searchable(ctx, refs if isinstance(selection, list) else None):
        tasks.delete(
            settings(ctx),
            selection,
            status=status,
            waiting=shown,
            confirm=None if yes else confirm,
            report=deleted,
        )


def _counted(
    found: list[Counted], json: bool, prefix: str, noun: str, *, with_total: bool = False
) -> None:
    """Names in use with their counts; `with_total`: and with their sub-projects' (projects)."""
    from todo_cli.output import render
    from todo_cli.output.table import Column, Table

    if json:
        render.write_json(
            [
                {"name": c.name, "count": c.count} | ({"total": c.total} if with_total else {})
                for c in found
            ]
        )
        return
    if not found:
        render.tell(f"no {noun}s on open tasks")
        return
    columns = [Column(noun), Column("open", align="right")]
    if with_total:
        columns.append(Column("with sub-projects", align="right"))
    table = Table(columns)
    for counted in found:
        cells = [f"{prefix}{counted.name}", str(counted.count)]
        table.add([*cells, str(counted.total)] if with_total else cells)
    table.write()


@app.command("tags", cls=OnceCommand)
def tags_(ctx: typer.Context, json: Json = False) -> None:
    """List the tags on your open tasks, waiting ones too, with how many carry each.

    \b
    Example:
      todo tags
    """
    from todo_cli.services import tasks

    _counted(tasks.tags(settings(ctx)), json, "+", "tag")


@app.command(cls=OnceCommand)
def projects(ctx: typer.Context, json: Json = False) -> None:
    """List the projects of your open tasks, waiting ones too, with how many are in each.

    A project's sub-projects (home.garden in home) follow it; the last column
    counts their tasks too, as `todo list project:home` selects them (and the
    waiting ones it hides). A project in use only through its sub-projects is
    listed with 0 of its own.

    \b
    Example:
      todo projects --json
    """
    from todo_cli.services import tasks

    _counted(tasks.projects(settings(ctx)), json, "", "project", with_total=True)
