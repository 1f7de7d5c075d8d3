"""Options declared once and shared by every command that takes them."""

from __future__ import annotations

from typing import Annotated

import typer

Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (errors too, on stderr).")]
Yes = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask; needed when stdin is not a terminal.")
]
