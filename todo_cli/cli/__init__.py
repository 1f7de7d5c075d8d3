"""The `todo` command line: parse, call the repository, render. Nothing else."""

from __future__ import annotations

from todo_cli.cli import tasks  # noqa: F401  (registers the task commands)
from todo_cli.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
