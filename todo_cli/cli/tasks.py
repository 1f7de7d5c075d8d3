"""Task commands: add, list, done, reopen, show, edit, delete."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from todo_cli.cli.app import app, state
from todo_cli.cli.options import Json, Yes, confirm_or_refuse
from todo_cli.errors import InvalidInput, UsageError

if TYPE_CHECKING:
    from todo_cli.models import Task, TaskCreate
    from todo_cli.repository.tasks import Status

Refs = Annotated[
    list[str],
    typer.Argument(metavar="REF...", help="Task numbers (12 or #12), UUIDs or UUID prefixes."),
]
Ref = Annotated[
    str, typer.Argument(metavar="REF", help="A task number (12 or #12), UUID or UUID prefix.")
]
Description = Annotated[
    str | None,
    typer.Option("--description", "-d", metavar="TEXT", help="A longer description."),
]


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


class Sort(StrEnum):
    by_number = "number"
    by_created = "created"
    by_updated = "updated"
    by_title = "title"
    by_completed = "completed"


def _read_stdin_lines() -> list[tuple[int, str]]:
    """Non-empty stdin lines with their line numbers; strict UTF-8."""
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"stdin line {line} is not valid UTF-8", hint="nothing was added"
        ) from None
    text = text.removeprefix("\ufeff")
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _parse_stdin_tasks(description: str | None) -> list[TaskCreate]:
    from todo_cli.models import TaskCreate, parse

    lines = _read_stdin_lines()
    if not lines:
        raise InvalidInput("no tasks on stdin", hint="give a TITLE or pipe one title per line")
    return [
        parse(
            TaskCreate,
            {"title": line, "description": description},
            context=f"stdin line {n}: ",
        )
        for n, line in lines
    ]


@app.command()
def add(
    ctx: typer.Context,
    title: Annotated[
        str | None,
        typer.Argument(help="The task. Omit it (or give -) to read one task per stdin line."),
    ] = None,
    description: Description = None,
    json: Json = False,
) -> None:
    """Add a task.

    \b
    Examples:
      todo add "Buy milk"
      todo add "Renew passport" -d "Photos first"
      cat ideas.txt | todo add        # one task per non-empty line, all or nothing
    """
    from todo_cli import render
    from todo_cli.database import transaction
    from todo_cli.models import TaskCreate, parse
    from todo_cli.repository.tasks import TaskRepository

    settings = state(ctx).settings()
    if title is None and sys.stdin.isatty():
        raise UsageError("missing TITLE", hint='todo add "Buy milk", or pipe titles on stdin')
    if title is None or title == "-":
        new = _parse_stdin_tasks(description)
        with transaction(settings) as conn:
            added = TaskRepository(conn, settings.user).add_many(new)
        if json:
            render.write_json_array(render.task_json(task) for task in added)
        else:
            plural = "s" if len(added) != 1 else ""
            render.tell(f"added {len(added)} task{plural}: #{added.first}..#{added.last}")
        return

    one = parse(TaskCreate, {"title": title, "description": description})
    with transaction(settings) as conn:
        task = TaskRepository(conn, settings.user).add(one)
    if json:
        render.write_json(render.task_json(task))
    else:
        render.tell(f"added #{task.number}: {task.title}")


@app.command("list")
def list_(
    ctx: typer.Context,
    done: Annotated[bool, typer.Option("--done", help="Only completed tasks.")] = False,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Open and completed tasks.")] = False,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            metavar="TEXT",
            help="Only tasks whose title or description contains TEXT (case-insensitive).",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, metavar="N", help="At most N tasks.")
    ] = None,
    sort: Annotated[Sort, typer.Option("--sort", help="Order by this.")] = Sort.by_number,
    reverse: Annotated[bool, typer.Option("--reverse", "-r", help="Reverse the order.")] = False,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="table for people; json or jsonl for scripts.")
    ] = Format.table,
    json: Json = False,
) -> None:
    """List your open tasks (or --done, or --all).

    \b
    Examples:
      todo list
      todo list --all --search milk --sort updated --reverse --limit 5
      todo list --json | jq -r '.[].title'
    """
    from todo_cli import render
    from todo_cli.database import transaction
    from todo_cli.repository.tasks import TaskQuery, TaskRepository

    if done and all_:
        raise UsageError("--done and --all do not go together", hint="pick one")
    settings = state(ctx).settings()
    status: Status = "all" if all_ else "done" if done else "open"
    output = Format.json if json else fmt
    query = TaskQuery(status=status, search=search, sort=sort.value, reverse=reverse, limit=limit)
    with transaction(settings, read_only=True) as conn:
        repository = TaskRepository(conn, settings.user)
        if output is Format.json:
            render.write_encoded_array(repository.find_as_json(query))
        elif output is Format.jsonl:
            render.write_encoded_lines(repository.find_as_json(query))
        elif not render.tasks_table(repository.find(query)):
            render.tell(
                f"no {'' if status == 'all' else status + ' '}tasks"
                + (f" matching {search!r}" if search else "")
            )


def _set_completed(ctx: typer.Context, refs: list[str], completed: bool, json: bool) -> None:
    from todo_cli import render
    from todo_cli.database import transaction
    from todo_cli.repository.refs import parse_refs
    from todo_cli.repository.tasks import TaskRepository

    parsed = parse_refs(refs, "task")
    settings = state(ctx).settings()
    with transaction(settings) as conn:
        results = TaskRepository(conn, settings.user).set_completed(parsed, completed)
    if json:
        render.write_json_array(render.task_json(task) for task, _ in results)
        return
    verb = "completed" if completed else "reopened"
    already = "already done" if completed else "already open"
    for task, changed in results:
        render.tell(f"{verb if changed else already} #{task.number}: {task.title}")


@app.command()
def done(ctx: typer.Context, refs: Refs, json: Json = False) -> None:
    """Mark tasks done (already done is fine).

    \b
    Examples:
      todo done 3
      todo done 3 '#4' 1a2b3c
    """
    _set_completed(ctx, refs, True, json)


@app.command()
def reopen(ctx: typer.Context, refs: Refs, json: Json = False) -> None:
    """Mark done tasks open again.

    \b
    Example:
      todo reopen 3
    """
    _set_completed(ctx, refs, False, json)


@app.command()
def show(ctx: typer.Context, ref: Ref, json: Json = False) -> None:
    """Show one task in full.

    \b
    Example:
      todo show 3
    """
    from todo_cli import render
    from todo_cli.database import transaction
    from todo_cli.repository.refs import parse_ref
    from todo_cli.repository.tasks import TaskRepository

    parsed = parse_ref(ref, "task")
    settings = state(ctx).settings()
    with transaction(settings, read_only=True) as conn:
        task = TaskRepository(conn, settings.user).get(parsed)
    if json:
        render.write_json(render.task_json(task))
    else:
        render.task_detail(task)


@app.command()
def edit(
    ctx: typer.Context,
    ref: Ref,
    title: Annotated[str | None, typer.Option("--title", "-t", help="A new title.")] = None,
    description: Annotated[
        str | None,
        typer.Option(
            "--description", "-d", metavar="TEXT", help='A new description; -d "" removes it.'
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Change a task's title or description.

    \b
    Examples:
      todo edit 3 --title "Buy oat milk"
      todo edit 3 -d ""               # remove the description
    """
    from todo_cli import render
    from todo_cli.database import transaction
    from todo_cli.models import TaskUpdate, parse
    from todo_cli.repository.refs import parse_ref
    from todo_cli.repository.tasks import TaskRepository

    given = {k: v for k, v in {"title": title, "description": description}.items() if v is not None}
    if not given:
        raise UsageError("nothing to change", hint="give --title or --description")
    parsed = parse_ref(ref, "task")
    changes = parse(TaskUpdate, given)
    settings = state(ctx).settings()
    with transaction(settings) as conn:
        task = TaskRepository(conn, settings.user).edit(parsed, changes)
    if json:
        render.write_json(render.task_json(task))
    else:
        render.tell(f"edited #{task.number}: {task.title}")


@app.command()
def delete(ctx: typer.Context, refs: Refs, yes: Yes = False, json: Json = False) -> None:
    """Delete tasks for good (asks first; --yes when not on a terminal).

    \b
    Example:
      todo delete 3 4 --yes
    """
    from todo_cli import render
    from todo_cli.database import transaction
    from todo_cli.repository.refs import parse_refs
    from todo_cli.repository.tasks import TaskRepository

    parsed = parse_refs(refs, "task")
    settings = state(ctx).settings()
    if not yes:
        with transaction(settings, read_only=True) as conn:
            targets: list[Task] = TaskRepository(conn, settings.user).get_many(parsed)
        names = ", ".join(f"#{t.number} {t.title!r}" for t in targets)
        confirm_or_refuse(f"delete {names}?", yes)
        # Delete exactly what was confirmed, even if numbers were typed.
        from todo_cli.repository.refs import Ref

        parsed = [Ref.to(t.id) for t in targets]
    with transaction(settings) as conn:
        deleted = TaskRepository(conn, settings.user).delete(parsed)
    if json:
        render.write_json_array(render.task_json(task) for task in deleted)
    else:
        for task in deleted:
            render.tell(f"deleted #{task.number}: {task.title}")
