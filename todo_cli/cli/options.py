"""Options and confirmation, declared once and shared by every command that takes them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from todo_cli.errors import ConfirmationRequired

Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (errors too, on stderr).")]
Yes = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask; needed when stdin is not a terminal.")
]


def confirmed(question: str, yes: bool) -> bool:
    """--yes goes ahead; a terminal is asked; anything else is a no."""
    if yes:
        return True
    if not sys.stdin.isatty():
        return False
    return typer.confirm(question, default=False, err=True)


def confirm_or_refuse(question: str, yes: bool) -> None:
    """Go ahead only if confirmed; otherwise ConfirmationRequired, nothing changed."""
    if confirmed(question, yes):
        return
    if not sys.stdin.isatty():
        raise ConfirmationRequired(
            f"{question} needs confirmation", hint="pass --yes; nothing was changed"
        )
    raise ConfirmationRequired("not confirmed", hint="nothing was changed")
