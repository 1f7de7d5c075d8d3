"""Options and confirmation, declared once and shared by every command that takes them."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperOption

from todo_cli.domain.limits import COUNT_MAX
from todo_cli.errors import ConfirmationRequired, InvalidInput

Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (errors too, on stderr).")]
Yes = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask; needed when stdin is not a terminal.")
]
FilterYes = Annotated[
    bool,
    typer.Option("--yes", "-y", help="By filter: do not ask (a terminal asks past 3 tasks)."),
]
Without = Annotated[
    list[str] | None,
    typer.Option(
        "--without",
        metavar="TAG",
        help="Only tasks without TAG (repeatable): -TAG, for a tag that is also a short "
        "option (-a, -n...).",
        show_default=False,
    ),
]
Limit = Annotated[
    int | None,
    typer.Option(
        "--limit", "-n", min=1, max=COUNT_MAX, metavar="N", help="At most N.", show_default=False
    ),
]


def ask(question: str, yes: bool, *, unasked: str | None = None) -> bool:
    """--yes goes ahead; a terminal is asked (no is False); with neither, refuse.

    Without a terminal nobody can answer, and guessing "yes" would destroy
    data: that is ConfirmationRequired (exit 2), nothing changed. `unasked`
    is what the refusal says (default: the question, as a statement).
    """
    if yes:
        return True
    if not sys.stdin.isatty():
        raise ConfirmationRequired(
            unasked or f"{question.rstrip('?')} needs confirmation",
            hint="pass --yes; nothing was changed",
        )
    # Not click.confirm: it hands the prompt's last space to input(), which
    # writes it to stdout, so `todo delete 1 > file` would leave " " in file.
    sys.stderr.write(f"{question} [y/N]: ")
    sys.stderr.flush()
    from todo_cli.terminal import reading_terminal

    with reading_terminal():
        answer = _answer()
    if not answer:
        sys.stderr.write("\n")  # end of input: the line the answer would have ended
    return answer.strip().lower() in ("y", "yes")


def _answer() -> str:
    """One line from the terminal, or KeyboardInterrupt as soon as Ctrl-C comes.

    A bare readline() can miss a Ctrl-C that arrives just before it blocks:
    the C-level handler has run, Python has not acted on it yet, and read()
    then waits for a line that nobody is going to type. With the signal
    module's wakeup pipe, a signal at any moment makes the pipe readable, so
    the wait below ends at once and Python raises KeyboardInterrupt. (A tty in
    canonical mode hands over one line per read, so stdin's own buffer holds
    nothing select() could not see.)
    """
    import os
    import select
    import signal

    wake_r, wake_w = os.pipe()  # not pipe2: macOS has none (Python's pipes are not inherited)
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)  # the wakeup fd must be: a full pipe may not block a handler
    try:
        previous = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    except ValueError:  # not the main thread: no handler could run here anyway
        os.close(wake_r)
        os.close(wake_w)
        return sys.stdin.readline()
    try:
        while sys.stdin not in select.select([sys.stdin, wake_r], [], [])[0]:
            # A signal whose handler returned (a resized window): keep waiting.
            os.read(wake_r, 512)
        return sys.stdin.readline()
    finally:
        signal.set_wakeup_fd(previous)
        os.close(wake_r)
        os.close(wake_w)


# Marks a word that starts with a dash (`-home`, a tag filter) so click does
# not read it as a cluster of short options (`-h -o -m -e`, or `-d ome`).
WORD_MARK = "\x1f"


# Commands that only read (a refusal of theirs need not say nothing was changed).
_READ_ONLY = frozenset(
    {"list", "export", "show", "history", "search", "tags", "projects", "info", "members"}
)


def refuse_repeated(
    ctx: click.Context,
    params: Sequence[Any],
    args: list[str],
    *,
    group: bool = False,
    attached: bool = True,
) -> None:
    """Refuse an option of one value given twice, as the same key given twice as a
    word is (`due:fri due:mon`): click would keep the last, silently (`chat-log append
    --role user --role assistant` stored the message as the assistant's).

    A group's own options end at its first word (the command's name). `attached`:
    a short option's value may be joined to it (`-rassistant`, `-n3`), as click reads
    it; where `-word` is a word (WordsCommand: `-nightly` is a tag left out), not.
    """
    options = [param for param in params if isinstance(param, TyperOption)]
    takes_value = {
        name for param in options if not param.is_flag and not param.count for name in param.opts
    }
    single = {
        name: param
        for param in options
        if not param.is_flag and not param.count and not param.multiple
        for name in param.opts
    }
    flags = {name for param in options if param.is_flag or param.count for name in param.opts}
    given: dict[str | None, str] = {}
    expect_value = False
    for arg in args:
        if expect_value:
            expect_value = False
            continue
        if arg == "--" or (group and not arg.startswith("-")):
            return
        if not arg.startswith("-") or arg.startswith("--") or not attached or len(arg) <= 2:
            spelled = [arg.split("=", 1)[0] if arg.startswith("--") else arg]
            expect_value = arg in takes_value
        else:
            spelled, expect_value = _cluster(arg, flags, takes_value)
        for name in spelled:
            _once(ctx, single, given, name, group=group)


def _cluster(arg: str, flags: set[str], takes_value: set[str]) -> tuple[list[str], bool]:
    """The options of a cluster of short ones as click reads it (`-nfjson`: -n, then
    -f with the value `json`); whether the next word is the last one's value."""
    names = []
    for index, letter in enumerate(arg[1:], 1):
        name = "-" + letter
        names.append(name)
        if name in takes_value:
            return names, index == len(arg) - 1
        if name not in flags:
            break  # not an option here: click says so
    return names, False


def _once(
    ctx: click.Context,
    single: dict[str, Any],
    given: dict[str | None, str],
    spelled: str,
    *,
    group: bool,
) -> None:
    if spelled in single:
        param = single[spelled]
        if param.name in given:
            first = given[param.name]
            twice = (
                f"{spelled} is given twice"
                if first == spelled
                else f"{first} and {spelled} are the same option"
            )
            # (Said of a command that changes things; `list` changes none.)
            # (At the root no command is known yet: said of none.)
            read_only = group or ctx.info_name in _READ_ONLY
            changed = "" if read_only else "; nothing was changed"
            raise click.exceptions.UsageError(f"{twice}: give it once{changed}", ctx)
        given[param.name] = spelled


class OnceCommand(TyperCommand):
    """A command whose options of one value are given at most once each."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        refuse_repeated(ctx, self.params, args)
        return super().parse_args(ctx, args)


# A value joined to a short option, as getopt reads `-n5`.
_NUMBER = re.compile(r"-?[0-9]+")


class WordsCommand(TyperCommand):
    """A command taking free words, where `-word` is a word and `--` ends options.

    Only this command's exact short options (`-n 5`, `-d TEXT`) are options
    (`-h` only before any word);
    anything else starting with one dash (`-home`, `-5`, `-t` where there is
    no -t) is a word, as is every
    argument after `--` (the `--` itself is kept as a word too: it means
    "the rest is text" to the modifier parser).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = [param for param in self.params if isinstance(param, TyperOption)]
        known = {name for param in options for name in (*param.opts, *param.secondary_opts)}
        known |= {*ctx.help_option_names, "-"}
        takes_value = {
            name
            for param in options
            if not param.is_flag and not param.count
            for name in param.opts
        }
        # What a short option's value may be, joined to it, that no word would be: a
        # number, or one of the option's choices (`-fjson`).
        joined = {
            name: frozenset(getattr(param.type, "choices", ()))
            for param in options
            for name in param.opts
            if name in takes_value and len(name) == 2
        }
        refuse_repeated(ctx, self.params, args, attached=False)
        marked: list[str] = []
        literal = expect_value = worded = False
        for arg in args:
            if expect_value:
                marked.append(arg)
                expect_value = False
            elif literal or arg == "--":
                literal = True
                marked.append(WORD_MARK + arg)
            elif arg in takes_value:
                marked.append(arg)
                expect_value = True
            elif arg[:2] in joined and (_NUMBER.fullmatch(arg[2:]) or arg[2:] in joined[arg[:2]]):
                # `-n5`, `-fjson`: getopt's spelling of `-n 5`, and a word here (-TAG,
                # "without tag n5"): which one was meant is not guessed.
                option, value = arg[:2], arg[2:]
                changed = "" if ctx.info_name in _READ_ONLY else "; nothing was changed"
                what = f": give the option's value apart ({option} {value})"
                param = next(param for param in options if option in param.opts)
                try:
                    param.type.convert(value, param, ctx)
                except click.exceptions.BadParameter as refused:
                    # `-n-1`: suggesting `-n -1` would only meet the range's refusal next.
                    what = f", and {option} {value} is refused too: {refused.message.rstrip('.')}"
                raise click.exceptions.UsageError(
                    f"{arg} is read neither as {option} {value} nor as a word{what}; a "
                    f"word that starts with a dash (-TAG) is a word here{changed}",
                    ctx,
                )
            elif arg.startswith("-") and not arg.startswith("--") and arg not in known:
                # `-home`, `-5`, and `-t` where this command has no -t option.
                marked.append(WORD_MARK + arg)
                worded = True
            elif arg == "-h" and worded:
                # After a word, -h is one more (`todo add Fix -h handling`, `todo list
                # +work -h`): asking for help there would drop what was typed, exit 0.
                marked.append(WORD_MARK + arg)
            else:
                marked.append(arg)
                worded = worded or not arg.startswith("-")
        return super().parse_args(ctx, marked)


def unmark(words: list[str] | None) -> list[str]:
    return [word.removeprefix(WORD_MARK) for word in words or []]


def refuse_empty_search(search: str | None, noun: str) -> None:
    """`--search ""` finds everything, as an empty filter word would: refused as that is
    (`--search "$q"` with $q unset is a script's mistake, not a wish for every row)."""
    if search is not None and not search.strip():
        raise InvalidInput(
            f"--search {search!r} is empty: it would match every {noun}",
            hint="give the text to search for, or leave --search out",
        )
    if search is not None:
        from todo_cli.domain.text import check_text, escaped

        check_text(search, f"--search '{escaped(search)}'")
