"""The `todo` command line: parse, call a service, render. Nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from todo_cli.cli import history, interchange, tasks  # noqa: F401  (they register commands)
from todo_cli.cli.app import app

if TYPE_CHECKING:
    from typer import _click


def main() -> None:
    command().main(prog_name="todo")


def run(argv: Sequence[str]) -> int:
    """Run one command line (without the program name) and return its exit code.

    Never raises SystemExit: the command server's children call this.
    """
    code = command().main(args=list(argv), prog_name="todo", standalone_mode=False)
    return int(code) if isinstance(code, int) else 0


@cache
def command() -> _click.Command:
    """The click command typer builds from `app`, once a process.

    Typer builds a command by inspecting its signature, about 25 ms for all
    of them: the group is built here with its global options only, and each
    command the first time it is asked for (TodoGroup.defer), so a command
    line pays for the one it runs. The command server builds them all before
    it forks (server.warm.build_command), so that its children start from
    the built ones.
    """
    from copy import copy

    from typer.main import get_command

    from todo_cli.cli.app import TodoGroup

    bare = copy(app)
    bare.registered_commands = []
    group = get_command(bare)
    if isinstance(group, TodoGroup):
        group.defer(
            app.registered_commands,
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
        )
    return group


__all__ = ["app", "command", "main", "run"]
