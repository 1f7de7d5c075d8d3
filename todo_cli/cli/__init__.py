"""The `todo` command line: parse, call a service, render. Nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from todo_cli.cli import history, interchange, tasks  # noqa: F401  (they register commands)
from todo_cli.cli.app import app


def main() -> None:
    app()


def run(argv: Sequence[str]) -> int:
    """Run one command line (without the program name) and return its exit code.

    Never raises SystemExit: the command server's children call this.
    """
    from typer.main import get_command

    code = get_command(app).main(args=list(argv), prog_name="todo", standalone_mode=False)
    return int(code) if isinstance(code, int) else 0


__all__ = ["app", "main", "run"]
