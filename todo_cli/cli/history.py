"""`todo history` and `todo undo`: the journal, read and reverted. Parse, call, render."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from todo_cli.cli.app import app, settings
from todo_cli.cli.options import Json, Limit, OnceCommand, Yes, ask
from todo_cli.errors import InvalidUsage

if TYPE_CHECKING:
    from todo_cli.services.history import Undone


@app.command(cls=OnceCommand)
def history(
    ctx: typer.Context,
    ref: Annotated[
        str | None,
        typer.Argument(
            metavar="[REF]", help="One task: its changes, field by field.", show_default=False
        ),
    ] = None,
    limit: Limit = None,
    prune_before: Annotated[
        str | None,
        typer.Option(
            "--prune-before",
            metavar="DATE",
            help="Delete operations older than DATE, with any later undo of them "
            "(asks; --yes when not on a terminal).",
        ),
    ] = None,
    yes: Yes = False,
    json: Json = False,
) -> None:
    """What changed, newest first: each command that changed something, and what.

    With REF, one task's story in the order it happened (oldest first).

    \b
    Examples:
      todo history                    # the latest operations
      todo history 3                  # task 3, field by field (old -> new)
      todo history --prune-before -90d --yes
    """
    from todo_cli.output import history as shown
    from todo_cli.output import render
    from todo_cli.services import history as journal

    if prune_before is not None:
        if ref is not None:
            raise InvalidUsage("--prune-before takes no task", hint="leave REF out")
        if limit is not None:
            # Read as a cap on what is deleted, it was dropped without a word and every
            # operation before DATE went.
            raise InvalidUsage(
                "--prune-before takes no --limit: it deletes every operation before DATE",
                hint="leave --limit out; nothing was deleted",
            )
        _prune(ctx, prune_before, yes, json)
        return
    from datetime import UTC

    from todo_cli.domain.dates import local_zone

    # Looked up before the database is: a TZ that names no zone is refused, as by every
    # command that shows local times, not shown as UTC. The list as JSON shows none (its
    # times are UTC), as `show --json` needs no zone either; a task's has its "changes".
    tz = local_zone() if ref is not None or not json else UTC
    if ref is not None:
        from todo_cli.repository.refs import one_task

        number, changes, names = journal.task_history(
            settings(ctx), one_task(ref, "history"), limit=limit
        )
        if json:
            entries = [
                (
                    operation.id,
                    shown.operation_json(operation)
                    | {
                        "table": change.table,
                        "action": change.action,
                        "changes": shown.field_changes(change, tz, names),
                        "fields": shown.field_values(change),
                    },
                )
                for operation, change in changes
            ]
            # A change of nothing to show (the task's updated_at, moved by a note or
            # a tag) beside the operation's real one is left out, as the text leaves
            # it; an operation with nothing else is kept, as its line is.
            told = {key for key, entry in entries if entry["changes"] or entry["fields"]}
            render.write_json_array(
                entry
                for key, entry in entries
                if entry["changes"] or entry["fields"] or key not in told
            )
        else:
            shown.task_history(number, changes, tz, names)
        return
    rows = journal.history(settings(ctx), limit=limit)
    if json:
        render.write_json_array(shown.operation_json(op, summary) for op, summary in rows)
    elif rows:
        shown.history_table(rows, tz)
    else:
        render.tell("no history yet")


def _prune(ctx: typer.Context, when: str, yes: bool, json: bool) -> None:
    from datetime import UTC, datetime

    from todo_cli.domain.dates import local_zone, parse_when
    from todo_cli.output import render
    from todo_cli.services import history as journal

    before = parse_when(when, now=datetime.now(UTC), tz=local_zone(), what="--prune-before").start

    def confirm(count: int) -> bool:
        return ask(f"delete {render.plural(count, 'operation')} from before {when}?", yes)

    def pruned(count: int) -> None:
        if json:
            render.write_json({"pruned": count})
            render.flush_stdout()
        else:
            render.tell(f"pruned {render.plural(count, 'operation')}")

    journal.prune(settings(ctx), before, confirm=None if yes else confirm, report=pruned)


@app.command(cls=OnceCommand)
def undo(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Say what would change; change nothing.")
    ] = False,
    json: Json = False,
) -> None:
    """Undo your latest change not yet undone (run again: the one before).

    It refuses, changing nothing, when a row it would set back has changed
    since, and says which.

    \b
    Examples:
      todo undo --dry-run
      todo undo
    """
    from todo_cli.output import history as shown
    from todo_cli.output import render
    from todo_cli.services import history as journal

    def undone(result: Undone) -> None:
        if json:
            render.write_json(shown.undone_json(result))
            render.flush_stdout()
        else:
            render.tell(shown.undone_text(result))

    journal.undo(settings(ctx), dry_run=dry_run, report=undone)
