"""`todo export` and `todo import`: to and from our JSON, Taskwarrior and todo.txt."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, cast

import typer

from todo_cli.cli.app import app, settings
from todo_cli.cli.options import Json, OnceCommand, Without, WordsCommand, unmark
from todo_cli.errors import InvalidUsage

if TYPE_CHECKING:
    from typing import IO

    from todo_cli.services.interchange import Imported


class ExportFormat(StrEnum):
    json = "json"
    taskwarrior = "taskwarrior"
    todotxt = "todotxt"


class ImportFormat(StrEnum):
    auto = "auto"
    json = "json"
    taskwarrior = "taskwarrior"
    todotxt = "todotxt"


@app.command(cls=WordsCommand)
def export(
    ctx: typer.Context,
    terms: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILTER...",
            help="Which tasks, as for `list`; waiting ones included (a backup holds them).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", "-f", help="json (todo's own, lossless), taskwarrior or todotxt."),
    ] = ExportFormat.json,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE (atomically, private) not stdout; - is stdout.",
        ),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Completed tasks too (open ones always).")
    ] = False,
    without: Without = None,
    json: Annotated[
        bool,
        typer.Option(
            "--json", help="JSON out (the default format; taskwarrior's too) and errors as JSON."
        ),
    ] = False,
) -> None:
    """Export your tasks: a backup that imports back as it was, or for another tool.

    \b
    Examples:
      todo export --all -o backup.json
      todo export --format taskwarrior | task import
      todo export +work --format todotxt > work.txt
    """
    from todo_cli.cli.tasks import _filter, _named, _named_or_searched
    from todo_cli.domain.filters import Filter
    from todo_cli.output import render
    from todo_cli.output.files import atomic_text
    from todo_cli.output.progress import progress
    from todo_cli.repository.tasks import TaskQuery
    from todo_cli.services import interchange

    if json and fmt is ExportFormat.todotxt:
        # As every command's --json: the data printed is JSON. todo.txt is not.
        raise InvalidUsage("--json and --format todotxt: todo.txt is not JSON", hint="give one")
    if output == "":
        raise InvalidUsage("--output: the file name is empty", hint="give a FILE, or - for stdout")
    named = _named(unmark(terms), without, ctx.command_path)
    query = TaskQuery(
        status="all" if all_ else "open",
        waiting="include",
        filter=Filter() if named else _filter(unmark(terms), without),
        sort="number",
        refs=named,
    )
    with _named_or_searched(ctx, named, terms), progress("exporting") as advance:
        # `-` is stdout, as `todo import -` reads stdin: never a file named "-".
        if output is None or output == "-":
            render.utf8_stdout()  # the bytes -o FILE writes
            screen = _on_screen(sys.stdout, fmt)
            notices = interchange.export(
                settings(ctx), query, fmt=fmt.value, out=screen, progress=advance
            )
        else:
            _not_the_database(output, settings(ctx).database_url)
            with atomic_text(output) as out:
                # -o /dev/tty, or /dev/stdout on a terminal: shown as on stdout.
                notices = interchange.export(
                    settings(ctx), query, fmt=fmt.value, out=_on_screen(out, fmt), progress=advance
                )
    for notice in notices:
        render.tell(f"note: {notice}")


def _not_the_database(output: str, database_url: str) -> None:
    """Refuse an export over todo's own SQLite file (or its -wal, -shm): moved over
    it, the JSON of one user's tasks replaced every user's tasks, chat logs and
    history, and the next command found no database."""
    from pathlib import Path

    from todo_cli.db.url import parse_url

    path = parse_url(database_url).sqlite_path
    if path is None:
        return
    try:
        target = Path(output).resolve()
    except (OSError, RuntimeError):
        # The working directory is gone, or a symlink loop (RuntimeError on 3.11):
        # no file to compare with; the write says what is wrong (exit 74).
        return
    for own in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal"))):
        try:
            # By name too: a -wal that is not there now is SQLite's the moment it opens.
            same = target == own.resolve() or target.samefile(own)
        except OSError:
            continue  # one of them is not there: not the same file
        if same:
            raise InvalidUsage(
                f"--output {output}: that is todo's database ({own})",
                hint="export to another file; nothing was written",
            )


class _Shown(io.TextIOBase):
    """A terminal's view of an export: control characters shown as escapes.

    What is written to a pipe or a file is the data byte for byte; on a screen
    a title's escape sequence would recolour it, move the cursor or set the
    window's title (todo.txt is raw text; JSON leaves C1 controls and the
    bidirectional overrides raw too).
    """

    def __init__(self, out: IO[str], *, as_json: bool) -> None:
        super().__init__()
        self._out = out
        self._as_json = as_json

    def write(self, text: str) -> int:
        from todo_cli.domain.text import json_safe, multi_line

        # JSON as JSON still (a \u escape says the same character); text as text.
        self._out.write(json_safe(text) if self._as_json else multi_line(text))
        return len(text)


def _on_screen(out: IO[str], fmt: ExportFormat) -> IO[str]:
    try:
        screen = out.isatty()
    except (ValueError, OSError):
        screen = False
    if not screen:
        return out
    return cast("IO[str]", _Shown(out, as_json=fmt is not ExportFormat.todotxt))


@app.command("import", cls=OnceCommand)
def import_(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FILE|-", help="The file to read, or - for stdin.")
    ],
    fmt: Annotated[
        ImportFormat,
        typer.Option("--format", "-f", help="auto (the default), json, taskwarrior or todotxt."),
    ] = ImportFormat.auto,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Say what would change; change nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Import what is valid and report each task left out."),
    ] = False,
    json: Json = False,
) -> None:
    """Import tasks from todo's JSON, Taskwarrior's export or a todo.txt file, all or nothing.

    Tasks are matched by id: importing the same file twice changes nothing,
    a task changed more recently in the file updates yours, an older one is
    left alone. The whole import is one operation: `todo undo` takes it back.
    A file named todo.txt is read with the done.txt beside it (todo.sh's archive).

    \b
    Examples:
      todo import backup.json
      task export | todo import -
      todo import ~/todo/todo.txt --dry-run
    """
    from todo_cli.db.transaction import interruptible
    from todo_cli.output import render
    from todo_cli.output.progress import progress
    from todo_cli.services import interchange

    def imported(result: Imported) -> None:
        if json:
            render.write_json(_summary_json(result))
            render.flush_stdout()
            return
        for line in _summary_lines(result):
            render.tell(line)

    # The file is read and checked before the transaction opens (seconds, for a big one).
    with interruptible(), progress("importing") as advance:
        interchange.import_tasks(
            settings(ctx),
            source,
            fmt=fmt.value,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            progress=advance,
            report=imported,
        )


def _summary_json(result: Imported) -> dict[str, object]:
    from todo_cli.output.render import snake_keys

    return {
        "format": result.format,
        "dry_run": result.dry_run,
        "added": result.added,
        "updated": result.updated,
        "created": result.created,
        "deleted": result.deleted,
        "unchanged": result.unchanged,
        "skipped": snake_keys(result.skipped),
        "renumbered": {str(old): new for old, new in result.renumbered.items()},
        "renumbered_ids": {str(key): new for key, (_, new) in result.renumbered_ids.items()},
        "problems": result.problems,
        "notices": result.notices,
    }


def _summary_lines(result: Imported) -> list[str]:
    from todo_cli.output import render
    from todo_cli.output.render import plural

    verb = "would import" if result.dry_run else "imported"
    skipped = sum(result.skipped.values())
    # Deleted is said only when there were some: only a Taskwarrior file's tasks deleted
    # there since ours last changed are.
    deleted = f"{result.deleted:,} deleted, " if result.deleted else ""
    # So are the next tasks of series the file completed: tasks new here too.
    created = f"{result.created:,} next of a series made, " if result.created else ""
    lines = [
        f"{verb} from {result.format}: {result.added:,} added, {result.updated:,} updated, "
        f"{created}{deleted}{result.unchanged:,} unchanged, {skipped:,} skipped"
    ]
    for reason, count in sorted(result.skipped.items()):
        lines.append(f"  skipped {plural(count, 'task')}: {reason}")
    lines += render.capped(result.problems, "left out", "left out")
    if result.renumbered_ids:
        # A number several tasks of the file held is told apart by each task's id.
        shown = ", ".join(
            f"#{a} -> #{b}" if a in result.renumbered else f"#{a} -> #{b} ({key.hex[:8]})"
            for key, (a, b) in list(result.renumbered_ids.items())[: render.SHOWN]
        )
        more = " ..." if len(result.renumbered_ids) > render.SHOWN else ""
        from todo_cli.domain.limits import IMPORTED_NUMBER_MAX

        high = any(a > IMPORTED_NUMBER_MAX for a, _ in result.renumbered_ids.values())
        why = "taken here or too high" if high else "taken here"
        lines.append(f"  numbers {why}, so renumbered: {shown}{more}")
    lines += render.capped(result.notices, "note", "notes")
    return lines
