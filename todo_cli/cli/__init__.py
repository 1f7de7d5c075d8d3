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
    app()


def run(argv: Sequence[str]) -> int:
    """Run one command line (without the program name) and return its exit code.

    Never raises SystemExit: the command server's children call this.
    """
    code = command().main(args=list(argv), prog_name="todo", standalone_mode=False)
    return int(code) if isinstance(code, int) else 0


@cache
def command() -> _click.Command:
    """The click command typer builds from `app`, once a process.

    Typer builds it by inspecting every command's signature, about 25 ms: the
    command server builds it before it forks (server.warm.build_command), so
    that its children, which run one command each, start from the built one.
    """
    from typer.main import get_command

    return get_command(app)


__all__ = ["app", "command", "main", "run"]
