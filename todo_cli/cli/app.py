"""The Typer app, its global options, and the one place outcomes become exit codes."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from typer import _click as click
from typer.core import TyperGroup

from todo_cli import __version__
from todo_cli.errors import ExitCode, OutputError, TodoError

if TYPE_CHECKING:
    from collections.abc import Callable

    from typer.models import CommandInfo

    from todo_cli.settings import Settings


@dataclass
class AppState:
    """What the global options said; settings are resolved on first use only."""

    db: str | None = None
    user: str | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from dataclasses import replace

            from todo_cli.settings import resolve

            resolved = resolve(db=self.db, user=self.user)
            self._settings = replace(resolved, command=command_line())
        return self._settings


_ARGV: ContextVar[tuple[str, ...]] = ContextVar("todo_argv", default=())


def command_line() -> str:
    """This command as typed, for the journal: quoted like a shell, secrets masked."""
    import shlex

    from todo_cli.domain.text import escaped
    from todo_cli.redact import mask_text, scrub

    # Bytes that are not UTF-8 (a Latin-1 file name, which Linux allows) reach
    # Python as lone surrogates, which neither backend stores: kept as escapes.
    # Each argument masked before quoting, and only then: a quoted URL
    # ('...?sslmode=require') would no longer look like a URL to the masking, and
    # a mask applied after quoting would take the closing quote with the value.
    words = ("todo", *(mask_text(escaped(arg)) for arg in _ARGV.get()))
    return scrub(" ".join(_as_typed(word, shlex.quote) for word in words))


# What a shell takes literally outside quotes, in ASCII (shlex.quote's own set).
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")
# What a shell reads specially inside double quotes.
_DOUBLE_SPECIAL = frozenset('"$`\\!')


def _as_typed(word: str, quote: Callable[[str], str]) -> str:
    """`word` as one would type it: bare where a shell takes it as it is (a letter
    outside ASCII too: shlex.quote quoted `Café` as `'Café'`), in double quotes where
    it has an apostrophe and nothing a shell reads in them (`"it's"`, which shlex.quote
    made `'it'"'"'s'`), else as shlex.quote quotes it."""
    if word and all(
        char in _PLAIN or (not char.isascii() and char.isprintable() and not char.isspace())
        for char in word
    ):
        return word
    if "'" in word and not _DOUBLE_SPECIAL & set(word) and word.isprintable():
        return f'"{word}"'
    return quote(word)


@contextlib.contextmanager
def _messages_to_stderr(argv: Sequence[str]) -> Iterator[None]:
    """`--install-completion` prints what it did ("bash completion installed in ...")
    on stdout, which carries data only: it goes to stderr with the other messages."""
    if "--install-completion" not in argv[: argv.index("--") if "--" in argv else None]:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def settings(ctx: typer.Context) -> Settings:
    return state(ctx).settings()


def _flag_given(argv: Sequence[str], *flags: str) -> bool:
    for arg in argv:
        if arg == "--":
            return False
        if arg in flags:
            return True
    return False


# Commands whose --format names what they print (so JSON output means JSON
# errors); for import and export it names a file format.
_OUTPUT_FORMAT_COMMANDS = frozenset({"list", "show"})


def _wants_json(argv: Sequence[str]) -> bool:
    if _flag_given(argv, "--json"):
        return True
    commands = _OUTPUT_FORMAT_COMMANDS
    if "chat-log" in argv:
        # A conversation's export prints it: its --format is what it prints.
        commands = commands | {"export"}
    if not commands & set(argv):
        return False
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg in ("--format", "-f") and i + 1 < len(argv) and argv[i + 1] in ("json", "jsonl"):
            return True
        if arg in ("--format=json", "--format=jsonl"):
            return True
    return False


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def debugging(argv: Sequence[str]) -> bool:
    """--debug, or TODO_DEBUG set to a true value (1, true, yes, on)."""
    if _flag_given(argv, "--debug"):
        return True
    return os.environ.get("TODO_DEBUG", "").strip().lower() in _TRUE


def _check_variables() -> None:
    from todo_cli.server.client import idle_problem, mode_problem

    _check_debug_variable()
    problem = mode_problem(os.environ)
    if problem is not None:
        from todo_cli.errors import ConfigError

        raise ConfigError(problem, hint="e.g. TODO_SERVER=off; nothing was run")
    problem = idle_problem(os.environ)
    if problem is not None:
        from todo_cli.errors import ConfigError

        raise ConfigError(problem, hint="seconds, e.g. TODO_SERVER_IDLE=600; nothing was run")


def _check_debug_variable() -> None:
    value = os.environ.get("TODO_DEBUG", "").strip().lower()
    if value not in _TRUE | _FALSE:
        from todo_cli.errors import ConfigError

        raise ConfigError(
            f"TODO_DEBUG={os.environ['TODO_DEBUG']!r} is neither true nor false",
            hint="use 1 or 0",
        )


# (Not after a second backslash: `\\udce9` typed as text is repr()'d with two.)
_SURROGATE_REPR = re.compile(r"(?<!\\)\\udc([89a-f][0-9a-f])")


def report(
    code: str, message: str, *, as_json: bool, details: dict[str, object] | None = None
) -> None:
    """The one line an error becomes on stderr (with every known password removed);
    with --json, `details` go into its object too, their text cleaned the same way."""
    from todo_cli.domain.text import escaped, one_line
    from todo_cli.redact import scrub

    # A byte that was not UTF-8 in an argument is a lone surrogate, named by repr()
    # as `\\udce9`: said as the byte it was, `\\xe9`, in every message alike.
    def _clean(text: str) -> str:
        return _SURROGATE_REPR.sub(r"\\x\1", escaped(scrub(text)))

    message = _clean(message)
    if as_json:
        from todo_cli.output.render import error_json

        line = error_json(code, message, _cleaned(details, _clean) if details else None)
    else:
        line = f"error: {one_line(message)}"
    # An error line nobody can read (stderr's reader gone): the exit status says it.
    with contextlib.suppress(OSError):
        sys.stderr.write(line + "\n")


def _cleaned(value: Any, clean: Callable[[str], str]) -> Any:
    """`value` (JSON: dicts, lists, text, numbers, None) with `clean` applied to its text."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: _cleaned(item, clean) for key, item in value.items()}
    if isinstance(value, list):
        return [_cleaned(item, clean) for item in value]
    return value


def _traceback(exc: BaseException) -> None:
    """--debug: the traceback, with every known password removed, then the error line."""
    import traceback

    from todo_cli.redact import scrub

    sys.stderr.write(scrub("".join(traceback.format_exception(exc))))


# Command groups built only when named (or when help lists them): a task
# command does not pay to import and build a dozen commands it will not run.
LAZY_GROUPS = {
    "chat-log": ("todo_cli.cli.chatlog", "chat_app"),
    "db": ("todo_cli.cli.db", "db_app"),
    "server": ("todo_cli.cli.server", "server_app"),
}


# The width click lays help out in on any terminal 80 columns or wider, and
# with no terminal at all (its fallback is 80 columns): min(columns, 80) - 2.
WIDE_HELP_WIDTH = 78

# Help pages rendered in this process: (command, command path, width) -> page.
_HELP_PAGES: dict[tuple[click.Command, str, int], str] = {}


class HelpContext(click.Context):
    """A context that keeps each help page it renders, for the process's life.

    A page is a pure function of the command (the tree is built once a
    process and never changes) and the width it is laid out in, so the
    command server renders every page ahead (render_help_pages) and a served
    `todo --help` only writes one out: 1.5-3 ms of text wrapping less.
    """

    def get_help(self) -> str:
        key = (self.command, self.command_path, self.make_formatter().width)
        page = _HELP_PAGES.get(key)
        if page is None:
            page = _HELP_PAGES[key] = super().get_help()
        return page


def keep_help_pages(command: click.Command) -> click.Command:
    """Give a command, and every command under it, contexts that keep their help."""
    command.context_class = HelpContext
    for sub in getattr(command, "commands", {}).values():
        keep_help_pages(sub)
    return command


def render_help_pages(group: click.Command, name: str = "todo") -> None:
    """Render every page of a (fully loaded) command tree at the wide width."""

    def render(command: click.Command, name: str, parent: HelpContext | None) -> None:
        # Made as click's make_context makes them (its context settings: the
        # -h option...), without parsing anything.
        settings = dict(command.context_settings)
        if parent is None:
            settings.setdefault("terminal_width", WIDE_HELP_WIDTH)
        ctx = HelpContext(command, info_name=name, parent=parent, **settings)
        ctx.get_help()
        for sub_name, sub in sorted(getattr(command, "commands", {}).items()):
            render(sub, sub_name, ctx)

    render(group, name, None)


class TodoGroup(TyperGroup):
    """Runs a command and maps every outcome to an exit code, in one place."""

    context_class = HelpContext
    # Commands typer has not built yet (see `defer`), by name, in the order they
    # were declared; empty when typer built them all (typer.testing, get_command).
    _unbuilt: dict[str, CommandInfo]
    _declared: list[str]
    _options: dict[str, Any]

    def defer(self, infos: Sequence[CommandInfo], **options: Any) -> None:
        """Build each of these commands only when it is asked for.

        Typer builds a command by inspecting its function's signature (the
        annotations evaluated, every option made): ~25 ms for all of todo's
        commands, of which a command line runs one. `options` are what typer's
        own builder passes (pretty_exceptions_short, rich_markup_mode).
        """
        from typer.main import get_command_name

        self._unbuilt = {
            info.name or get_command_name(getattr(info.callback, "__name__", "")): info
            for info in infos
        }
        self._declared = [*self.commands, *self._unbuilt]
        self._options = options

    def _typed_path(self, argv: Sequence[str]) -> str:
        """The command path that `argv` names ("todo db downgrade"), read word by word."""
        path, command = ["todo"], cast(click.Command, self)
        words = iter(argv)
        for word in words:
            if not isinstance(command, TyperGroup):
                break
            if word.startswith("-"):
                # `--user add`: a group's option value is no command name.
                takes_value = any(
                    word in param.opts and not getattr(param, "is_flag", True)
                    for param in command.params
                )
                if takes_value:
                    next(words, None)
                continue
            found = command.get_command(click.Context(command), word)
            if found is None:
                break
            path.append(word)
            command = found
        return " ".join(path)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from todo_cli.cli.options import refuse_repeated

        # `todo --db A --db B add x` acted on B without a word.
        refuse_repeated(ctx, self.params, args, group=True)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        loaded = [*getattr(self, "_declared", ()), *super().list_commands(ctx)]
        names = list(dict.fromkeys(loaded))
        return [*names, *(name for name in LAZY_GROUPS if name not in names)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        unbuilt = getattr(self, "_unbuilt", {})
        if cmd_name in unbuilt and cmd_name not in self.commands:
            from typer.main import get_command_from_info

            self.commands[cmd_name] = get_command_from_info(unbuilt[cmd_name], **self._options)
        if cmd_name not in LAZY_GROUPS or cmd_name in self.commands:
            found = super().get_command(ctx, cmd_name)
            return keep_help_pages(found) if found is not None else None
        import importlib

        from typer.main import get_command

        module_name, attribute = LAZY_GROUPS[cmd_name]
        group = get_command(getattr(importlib.import_module(module_name), attribute))
        group.name = cmd_name
        self.commands[cmd_name] = group
        return keep_help_pages(group)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Typer's, with "Did you mean" drawn from every command's name.

        Typer draws it from the commands built so far: none on a command line
        (see `defer`), all of them in the warm command server, whose answer
        must read the same.
        """
        try:
            return self._click_resolve_command(ctx, args)
        except click.exceptions.UsageError as exc:
            if self.suggest_commands and args:
                from difflib import get_close_matches

                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    suggestions = ", ".join(f"{match!r}" for match in matches)
                    exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # `todo list --json | head -1`: the reader has all it wanted; that
            # is success. (Caught here, before click's own handling of EPIPE,
            # which exits 1.)
            from todo_cli.output.render import reader_gone

            reader_gone()
            return ExitCode.OK

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        code = self._run(argv, prog_name, complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self, argv: list[str], prog_name: str | None, complete_var: str | None, **extra: Any
    ) -> int:
        _ARGV.set(tuple(argv))
        if sys.stdout is None:  # started with stdout closed
            from todo_cli.output.render import ClosedStdout

            sys.stdout = ClosedStdout()
        if sys.stderr is None:  # started with stderr closed (`todo add x 2>&-`)
            from todo_cli.output.render import DiscardedStderr

            # Messages for a person who asked not to see them: the command still
            # does its work, and its exit status still says how it went.
            sys.stderr = DiscardedStderr()
        as_json = _wants_json(argv)
        debug = debugging(argv)
        recorder = sys.modules.get("todo_cli.db.transaction")
        if recorder is not None:
            recorder.forget_commits()
        try:
            _check_variables()
            with _messages_to_stderr(argv):
                result = super().main(
                    args=argv,
                    prog_name=prog_name or "todo",
                    complete_var=complete_var,
                    standalone_mode=False,
                    **extra,
                )
            if result == ExitCode.INTERRUPTED:
                # Typer turns a KeyboardInterrupt into Exit(130): said as one line
                # like any other ending, unless the change had already committed.
                return _interrupted(as_json)
            _flush_output()
            return result if isinstance(result, int) else ExitCode.OK
        except BrokenPipeError:
            # `todo list --json | head -1`: the reader has all it wanted.
            from todo_cli.output.render import reader_gone

            reader_gone()
            return ExitCode.OK
        except TodoError as exc:
            if debug:
                _traceback(exc)
            if exc.exit_code == ExitCode.OK:  # declined at a prompt: not an error
                from todo_cli.output.render import tell

                tell(exc.message)
            else:
                report(exc.code, str(exc), as_json=as_json, details=exc.details)
            return exc.exit_code
        except click.exceptions.NoArgsIsHelpError as exc:
            # Bare `todo` (or `todo db`): the help, as asked for, on stdout.
            sys.stdout.write(exc.ctx.get_help() + "\n" if exc.ctx else "")
            return ExitCode.OK
        except click.exceptions.UsageError as exc:
            # The parser raises some (an option missing its value) with no context:
            # point at the help of the command typed, not at todo's.
            command = exc.ctx.command_path if exc.ctx else self._typed_path(argv)
            # click lays some out over lines ("Choose from:\n\tuser,\n\tassistant"):
            # an error is one line, and escaped those showed as \n and \t.
            message = re.sub(r"\s*\n\s*", " ", exc.format_message())
            # click names its own types ("'abc' is not a valid int range"): said
            # in the words of every other bad value.
            message = re.sub(
                r"is not a valid (int|integer|float)( range)?\.",
                lambda m: "is not a whole number." if m[1] != "float" else "is not a number.",
                message,
            )
            report("usage", f"{message} (see `{command} --help`)", as_json=as_json)
            return ExitCode.USAGE
        except (typer.Abort, KeyboardInterrupt):
            return _interrupted(as_json)
        except click.exceptions.ClickException as exc:
            report("usage", exc.format_message(), as_json=as_json)
            return exc.exit_code
        except Exception as exc:
            from todo_cli.output.render import as_output_error, reader_gone

            failed = as_output_error(exc)
            if isinstance(failed, OutputError):
                if debug:
                    _traceback(exc)
                reader_gone()  # what is left in stdout's buffer must not fail at exit
                report(failed.code, str(failed), as_json=as_json)
                return failed.exit_code
            if debug:
                _traceback(exc)
            report(
                "internal",
                f"unexpected {type(exc).__name__}: {exc} "
                "(this is a bug, please report it; --debug shows the traceback)",
                as_json=as_json,
            )
            return ExitCode.INTERNAL


def _interrupted(as_json: bool) -> int:
    """Ctrl-C: exit 130 and one line, its transaction rolled back; or, when it
    came after the command's change committed (db.transaction.committed_last),
    exit 0 in silence: the change stands, and a script that retried on 130
    would make it twice."""
    recorder = sys.modules.get("todo_cli.db.transaction")
    if recorder is not None and recorder.committed_last():
        with contextlib.suppress(OutputError, KeyboardInterrupt):
            _flush_output()
        return ExitCode.OK
    with contextlib.suppress(OSError, ValueError):
        if sys.stderr.isatty():
            # The terminal echoed ^C where the cursor was: the error starts a line.
            # A pipe or file gets the one line alone.
            sys.stderr.write("\n")
    # Said even after "added #1: ...": that line came before the commit this undid.
    report("interrupted", "interrupted (nothing was changed)", as_json=as_json)
    return ExitCode.INTERRUPTED


def _flush_output() -> None:
    """Make a write error (a full disk, a closed stdout) show up while we can report it."""
    from todo_cli.output.render import flush_stdout

    try:
        flush_stdout()
    except OutputError:
        # Nothing more can reach stdout; keep the interpreter's exit quiet.
        from todo_cli.output.render import reader_gone

        reader_gone()
        raise


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"todo {__version__}\n")
        raise typer.Exit()


app = typer.Typer(
    cls=TodoGroup,
    name="todo",
    help="A task manager for people who live in a shell.\n\n"
    "\b\nExamples:\n"
    "  todo add Call the bank +finance due:fri pri:H\n"
    "  todo list +finance\n"
    "  todo done 1\n"
    "  todo undo",
    epilog="Docs: todo COMMAND --help. Exit codes: 0 ok, 1 not found, 2 bad input, "
    "3 database unreachable, 4 schema not at this todo's revision, 70 internal error, "
    "74 output not written, 130 interrupted.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Database URL (else TODO_DATABASE_URL, the config file, or local SQLite).",
            show_default=False,
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            metavar="NAME",
            help="Act as this user (else TODO_USER, the config file, or your login name).",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and SQL (also TODO_DEBUG=1).")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    if debug or debugging([]):
        _log_to_stderr()
    ctx.obj = AppState(db=db, user=user)


def _log_to_stderr() -> None:
    """--debug: what todo connects to (URLs masked) and every SQL statement."""
    import logging

    from todo_cli.redact import scrub

    class Scrubbed(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return scrub(super().format(record))

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Scrubbed("debug: %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger("todo_cli").setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    logging.getLogger("psycopg").setLevel(logging.WARNING)
