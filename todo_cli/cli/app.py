"""The Typer app, its global options, and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer import _click as click
from typer.core import TyperGroup

from todo_cli import __version__
from todo_cli.errors import ExitCode, TodoError

if TYPE_CHECKING:
    from todo_cli.settings import Settings


@dataclass
class AppState:
    """What the global options said; settings are resolved on first use only."""

    db: str | None = None
    user: str | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from todo_cli.settings import resolve

            self._settings = resolve(db=self.db, user=self.user)
        return self._settings


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def _flag_given(argv: Sequence[str], *flags: str) -> bool:
    for arg in argv:
        if arg == "--":
            return False
        if arg in flags:
            return True
    return False


def _wants_json(argv: Sequence[str]) -> bool:
    if _flag_given(argv, "--json"):
        return True
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg in ("--format", "-f") and i + 1 < len(argv) and argv[i + 1] in ("json", "jsonl"):
            return True
        if arg in ("--format=json", "--format=jsonl"):
            return True
    return False


def _debugging(argv: Sequence[str]) -> bool:
    return _flag_given(argv, "--debug") or os.environ.get("TODO_DEBUG", "") not in ("", "0")


def report(code: str, message: str, *, as_json: bool) -> None:
    from todo_cli.text import one_line

    if as_json:
        from todo_cli.render import error_json

        sys.stderr.write(error_json(code, message) + "\n")
    else:
        sys.stderr.write(f"error: {one_line(message)}\n")


# Command groups built only when named (or when help lists them): a task
# command does not pay to import and build a dozen commands it will not run.
LAZY_GROUPS = {
    "chat-log": ("todo_cli.cli.chatlog", "chat_app"),
    "db": ("todo_cli.cli.db", "db_app"),
}


class TodoGroup(TyperGroup):
    """Runs a command and maps every outcome to an exit code, in one place."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *LAZY_GROUPS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in LAZY_GROUPS or cmd_name in self.commands:
            return super().get_command(ctx, cmd_name)
        import importlib

        from typer.main import get_command

        module_name, attribute = LAZY_GROUPS[cmd_name]
        group = get_command(getattr(importlib.import_module(module_name), attribute))
        group.name = cmd_name
        self.commands[cmd_name] = group
        return group

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # `todo list --json | head -1`: the reader has all it wanted; that
            # is success. Point stdout at devnull so the interpreter's final
            # flush does not complain either.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return None

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = _wants_json(argv)
        code: int
        try:
            result = super().main(
                args=argv,
                prog_name=prog_name or "todo",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
            code = result if isinstance(result, int) else ExitCode.OK
        except TodoError as exc:
            if _debugging(argv):
                raise
            report(exc.code, str(exc), as_json=as_json)
            code = exc.exit_code
        except click.exceptions.NoArgsIsHelpError as exc:
            sys.stderr.write(exc.ctx.get_help() + "\n" if exc.ctx else "")
            code = ExitCode.USAGE
        except click.exceptions.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "todo"
            report("usage", f"{exc.format_message()} (see `{command} --help`)", as_json=as_json)
            code = ExitCode.USAGE
        except typer.Abort:
            sys.stderr.write("\n")
            report("interrupted", "interrupted", as_json=as_json)
            code = ExitCode.INTERRUPTED
        except click.exceptions.ClickException as exc:
            report("usage", exc.format_message(), as_json=as_json)
            code = exc.exit_code
        except KeyboardInterrupt:
            sys.stderr.write("\n")
            code = ExitCode.INTERRUPTED
        except Exception as exc:
            if _debugging(argv):
                raise
            report(
                "internal",
                f"unexpected {type(exc).__name__}: {exc} "
                "(this is a bug; rerun with --debug for the traceback)",
                as_json=as_json,
            )
            code = 70  # EX_SOFTWARE
        if standalone_mode:
            sys.exit(code)
        return code


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"todo {__version__}\n")
        raise typer.Exit()


app = typer.Typer(
    cls=TodoGroup,
    name="todo",
    help="A task manager for people who live in a shell.",
    epilog="Docs: todo COMMAND --help. Exit codes: 0 ok, 1 not found, 2 bad input, "
    "3 database unreachable, 4 schema behind, 130 interrupted.",
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
        bool, typer.Option("--debug", help="Show tracebacks (also TODO_DEBUG=1).")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    debug = debug or _debugging([])
    if debug:
        _log_to_stderr()
    ctx.obj = AppState(db=db, user=user, debug=debug)


def _log_to_stderr() -> None:
    """--debug: what todo connects to (URLs masked) and every SQL statement."""
    import logging

    logging.basicConfig(stream=sys.stderr, format="debug: %(name)s: %(message)s")
    logging.getLogger("todo_cli").setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
