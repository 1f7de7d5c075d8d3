"""`todo db`: schema migrations (Alembic) and database facts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from todo_cli.cli.app import settings as settings_of
from todo_cli.cli.options import Json, Yes, ask
from todo_cli.errors import InvalidUsage

db_app = typer.Typer(
    name="db",
    help="Migrate the schema and inspect the database.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Sql = Annotated[bool, typer.Option("--sql", help="Print the SQL instead of running it.")]
From = Annotated[
    str | None,
    typer.Option(
        "--from",
        metavar="REV",
        help="With --sql: the revision to start from (default: the database's).",
    ),
]


@db_app.command()
def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target: head, an id, or +N.")] = "head",
    sql: Sql = False,
    start: From = None,
    json: Json = False,
) -> None:
    """Upgrade the schema (default: to head), all in one transaction.

    \b
    Examples:
      todo db upgrade
      todo db upgrade --sql --from base > schema.sql
    """
    from todo_cli.db import migrate
    from todo_cli.output import render

    if start is not None and not sql:
        raise InvalidUsage("--from goes with --sql", hint="add --sql, or leave --from out")
    settings = settings_of(ctx)
    if sql:
        sys.stdout.write(
            migrate.offline_sql(settings, direction="upgrade", target=revision, start=start)
        )
        return
    before, after = migrate.upgrade(settings, revision)
    if json:
        render.write_json({"from": before, "to": after})
    elif before == after:
        render.tell(f"already at {after or 'base'}")
    else:
        render.tell(f"upgraded {before or 'base'} -> {after or 'base'}")


@db_app.command()
def downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target: -N steps, an id, or base.")] = "-1",
    yes: Yes = False,
    sql: Sql = False,
    start: From = None,
    json: Json = False,
) -> None:
    """Downgrade the schema (default: one step), all in one transaction.

    If rows would be lost it says how many, and asks (or needs --yes).

    \b
    Examples:
      todo db downgrade            # one step back
      todo db downgrade base --yes
    """
    from todo_cli.db import migrate
    from todo_cli.output import render

    if start is not None and not sql:
        raise InvalidUsage("--from goes with --sql", hint="add --sql, or leave --from out")
    settings = settings_of(ctx)
    if sql:
        sys.stdout.write(
            migrate.offline_sql(settings, direction="downgrade", target=revision, start=start)
        )
        return

    def confirm(losses: list[migrate.DataLoss]) -> bool:
        listing = "; ".join(loss.describe() for loss in losses)
        if yes:
            render.tell(f"this downgrade will {listing}")
            return True
        return ask(
            f"this downgrade will {listing}; go ahead?",
            yes,
            unasked=f"this downgrade would {listing}",
        )

    before, after, losses = migrate.downgrade(settings, revision, confirm=confirm)
    if json:
        render.write_json(
            {
                "from": before,
                "to": after,
                "deleted": [{"table": x.table, "column": x.column, "rows": x.rows} for x in losses],
            }
        )
    elif before == after:
        render.tell(f"already at {after or 'base'}")
    else:
        render.tell(f"downgraded {before or 'base'} -> {after or 'base'}")


@db_app.command()
def current(ctx: typer.Context, json: Json = False) -> None:
    """Print the database's schema revision.

    \b
    Example:
      todo db current
    """
    from todo_cli.db import migrate
    from todo_cli.db.revisions import HEAD
    from todo_cli.output import render

    revision = migrate.current(settings_of(ctx))
    if json:
        render.write_json({"current": revision, "head": HEAD})
    else:
        mark = " (head)" if revision == HEAD else f" (head is {HEAD})"
        sys.stdout.write(f"{revision or 'base'}{mark}\n")


@db_app.command()
def history(ctx: typer.Context, json: Json = False) -> None:
    """List the schema revisions, newest first; > marks the database's.

    \b
    Example:
      todo db history
    """
    from todo_cli.db import migrate
    from todo_cli.errors import TodoError
    from todo_cli.output import render

    try:
        revisions = migrate.history(settings_of(ctx))
    except TodoError:
        # History is a property of this todo; show it even with no database.
        revisions = migrate.history(None)
    if json:
        render.write_json(
            [
                {
                    "revision": r.revision,
                    "down_revision": r.down_revision,
                    "description": r.description,
                    "is_head": r.is_head,
                    "is_current": r.is_current,
                }
                for r in revisions
            ]
        )
        return
    for r in revisions:
        mark = ">" if r.is_current else " "
        head = " (head)" if r.is_head else ""
        sys.stdout.write(f"{mark} {r.revision}  {r.description.splitlines()[0]}{head}\n")


@db_app.command()
def info(ctx: typer.Context, json: Json = False) -> None:
    """Show the backend, masked URL, server version and revisions.

    \b
    Example:
      todo db info --json
    """
    from dataclasses import asdict

    from todo_cli.db import migrate
    from todo_cli.output import render

    settings = settings_of(ctx)
    facts = migrate.info(settings)
    data = asdict(facts) | {
        "user": settings.user,
        "up_to_date": facts.current_revision == facts.head_revision,
    }
    if json:
        render.write_json(data)
        return
    width = max(len(key) for key in data)
    for key, value in data.items():
        sys.stdout.write(f"{key.ljust(width)}  {'-' if value is None else value}\n")
