"""Task commands: each function is one command's transaction and its logic."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from todo_cli.db.transaction import transaction
from todo_cli.domain.filters import Filter
from todo_cli.errors import Declined, NotFound
from todo_cli.repository.refs import Ref
from todo_cli.repository.tasks import AddedTasks, Counted, TaskQuery, TaskRepository
from todo_cli.services.common import Report, deliver

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from todo_cli.domain.fields import Task
    from todo_cli.settings import Settings

# Which tasks a command acts on: the references typed, or a filter.
Selection = Sequence[Ref] | Filter


def add(
    settings: Settings, values: Mapping[str, Any], *, report: Report[Task] | None = None
) -> Task:
    """Add one task from validated values."""
    with transaction(settings) as conn:
        return deliver(report, TaskRepository(conn, settings.user).add(values))


def add_many(
    settings: Settings,
    items: Sequence[Mapping[str, Any]],
    *,
    report: Report[AddedTasks] | None = None,
) -> AddedTasks:
    """Add many tasks, all or nothing, in one transaction."""
    with transaction(settings) as conn:
        return deliver(report, TaskRepository(conn, settings.user).add_many(items))


@contextmanager
def listing(settings: Settings, query: TaskQuery) -> Iterator[Iterator[Task]]:
    """The tasks a listing wants, streamed inside one read-only transaction."""
    with transaction(settings, read_only=True) as conn:
        yield TaskRepository(conn, settings.user).find(query)


def _selected(repository: TaskRepository, selection: Selection, *, status: str) -> list[Task]:
    """The tasks a selection names: by reference, or every match of a filter.

    A filter that matches nothing is NotFound (exit 1): `todo done +errand`
    with no errand left did nothing, and a script should be able to tell.
    """
    if not isinstance(selection, Filter):
        return repository.get_many(selection)
    query = TaskQuery(
        status=status,  # type: ignore[arg-type]
        waiting="include",
        filter=selection,
        sort="number",
    )
    found = list(repository.find(query))
    if not found:
        raise NotFound("no task matches the filter", hint="see `todo list --all` with it")
    return found


def set_completed(
    settings: Settings,
    selection: Selection,
    completed: bool,
    *,
    report: Report[list[tuple[Task, bool]]] | None = None,
) -> list[tuple[Task, bool]]:
    """Complete (or reopen) tasks; each with whether it changed.

    By filter, `done` takes the open tasks that match and `reopen` the done ones.
    """
    with transaction(settings) as conn:
        repository = TaskRepository(conn, settings.user)
        found = _selected(repository, selection, status="open" if completed else "done")
        return deliver(report, repository.set_completed_rows(found, completed))


def show(settings: Settings, ref: Ref) -> Task:
    with transaction(settings, read_only=True) as conn:
        return TaskRepository(conn, settings.user).get(ref)


def edit(
    settings: Settings,
    ref: Ref,
    changes: Mapping[str, Any],
    *,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    report: Report[Task] | None = None,
) -> Task:
    with transaction(settings) as conn:
        task = TaskRepository(conn, settings.user).edit(
            ref, changes, add_tags=add_tags, remove_tags=remove_tags
        )
        return deliver(report, task)


def note(settings: Settings, ref: Ref, text: str, *, report: Report[Task] | None = None) -> Task:
    with transaction(settings) as conn:
        return deliver(report, TaskRepository(conn, settings.user).add_note(ref, text))


def delete(
    settings: Settings,
    selection: Selection,
    *,
    confirm: Callable[[list[Task]], bool] | None,
    report: Report[list[Task]] | None = None,
) -> list[Task]:
    """Delete tasks for good; with `confirm`, only once it says yes.

    The question is asked outside any transaction (a person may take their
    time; SQLite would hold its write lock all along), and then exactly the
    tasks that were shown are deleted, even if numbers or a filter were typed.
    """
    if confirm is not None:
        with transaction(settings, read_only=True) as conn:
            targets = _selected(TaskRepository(conn, settings.user), selection, status="all")
        if not confirm(targets):
            raise Declined("nothing was deleted")
        selection = [Ref.to(task.id) for task in targets]
    with transaction(settings) as conn:
        repository = TaskRepository(conn, settings.user)
        found = _selected(repository, selection, status="all")
        return deliver(report, repository.delete_tasks(found))


def tags(settings: Settings) -> list[Counted]:
    with transaction(settings, read_only=True) as conn:
        return TaskRepository(conn, settings.user).tags()


def projects(settings: Settings) -> list[Counted]:
    with transaction(settings, read_only=True) as conn:
        return TaskRepository(conn, settings.user).projects()


def completions(settings: Settings, incomplete: str) -> list[tuple[str, str]]:
    """What the shell may offer for a word being typed: tasks, +tags or project:names."""
    with transaction(settings, read_only=True) as conn:
        return _completions(conn, settings.user, incomplete)


def _completions(conn: Connection, user: str, incomplete: str) -> list[tuple[str, str]]:
    repository = TaskRepository(conn, user)
    if incomplete.startswith("+"):
        return [(f"+{t.name}", f"{t.count} open") for t in repository.tags()]
    for key in ("project:", "pro:"):
        if incomplete.startswith(key):
            return [(f"{key}{p.name}", f"{p.count} open") for p in repository.projects()]
    query = TaskQuery(status="open", waiting="include", sort="number", limit=200)
    return [(str(task.number), task.title) for task in repository.find(query)]
