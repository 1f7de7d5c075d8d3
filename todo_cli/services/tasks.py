"""Task commands: each function is one command's transaction and its logic.

Recurrence and dependencies live here, over the pure rules of
:mod:`todo_cli.domain.recurrence`: completing a recurring task makes its
successor in the same transaction; reopening it takes back an untouched
successor; a dependency that would close a cycle is refused, naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any
from uuid import UUID

from todo_cli.db.transaction import acting_user, transaction
from todo_cli.domain.filters import Filter
from todo_cli.domain.graph import path_between, shown_path
from todo_cli.domain.ids import new_id
from todo_cli.errors import Declined, InvalidInput, NotFound
from todo_cli.repository.refs import Ref
from todo_cli.repository.tasks import AddedTasks, Counted, TaskQuery, TaskRepository
from todo_cli.services.common import Report, deliver

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from todo_cli.domain.fields import Task
    from todo_cli.repository.journal import Change
    from todo_cli.repository.tasks import Status, Waiting
    from todo_cli.settings import Settings

# Which tasks a command acts on: the references typed, or a filter.
Selection = Sequence[Ref] | Filter


# The recurrence bookkeeping a series keeps on each of its tasks.
def _zone() -> tzinfo:
    from todo_cli.domain.dates import local_zone

    return local_zone()


def _start_series(values: dict[str, Any], due: datetime | None, *, series: UUID | None) -> None:
    """A task given a recurrence starts (or restarts) its series at its due date."""
    if values.get("recur") is None:
        return
    if due is None:
        raise InvalidInput(
            f"recur:{values['recur']} needs a due date", hint="add one, e.g. due:mon"
        )
    values["series_id"] = series or new_id()
    values["recur_anchor"] = due
    values["recur_index"] = 0


def add(
    settings: Settings,
    values: Mapping[str, Any],
    *,
    depends: Sequence[Ref] = (),
    report: Report[Task] | None = None,
) -> Task:
    """Add one task from validated values (and the tasks it waits on)."""
    wanted = dict(values)
    _start_series(wanted, wanted.get("due"), series=None)
    with transaction(settings) as conn:
        repository = TaskRepository(conn, acting_user(conn))
        waits_on = repository.get_many(depends) if depends else []
        return deliver(report, repository.add(wanted, depends=waits_on))


def add_many(
    settings: Settings,
    items: Iterable[Mapping[str, Any]],
    *,
    count: int | None = None,
    depends: Sequence[Ref] = (),
    report: Report[AddedTasks] | None = None,
) -> AddedTasks:
    """Add many tasks, all or nothing, in one transaction; each waits on ``depends``.

    ``count``: how many ``items`` yields, when it makes them as it goes: on
    PostgreSQL they are made while COPY sends the first (see
    TaskRepository.add_many); whatever it raises adds nothing.
    """
    from todo_cli.db.url import backend_of

    def wanted() -> Iterator[dict[str, Any]]:
        for item in items:
            values = dict(item)
            _start_series(values, values.get("due"), series=None)
            yield values

    made: Iterable[dict[str, Any]] = wanted()
    if backend_of(settings.database_url) != "postgresql":
        # SQLite stores the rows once they are all made, inside its write lock:
        # every item is made (and checked) before the lock is taken.
        made, count = list(made), None
    with transaction(settings) as conn:
        repository = TaskRepository(conn, acting_user(conn))
        waits_on = repository.get_many(depends) if depends else []
        return deliver(report, repository.add_many(made, count, waits_on))


@contextmanager
def listing(settings: Settings, query: TaskQuery) -> Iterator[Iterator[Task]]:
    """The tasks a listing wants, streamed inside one read-only transaction."""
    with transaction(settings, read_only=True) as conn:
        if conn.dialect.name == "sqlite":
            # Sorted by urgency, SQLite sorts every task matched: kept in memory
            # (temp_store=MEMORY, for the statement journals of writes, which a
            # read has none of), that grew by 180 bytes a task, 117 MB at 400,000.
            # In a temporary file past the page cache, the sort stays bounded.
            conn.exec_driver_sql("PRAGMA temp_store=FILE")
        yield TaskRepository(conn, acting_user(conn)).find(query)


def _selected(
    repository: TaskRepository, selection: Selection, *, status: Status, waiting: Waiting
) -> list[Task]:
    """The tasks a selection names: by reference, or every match of a filter.

    A filter selects what `todo list` shows with the same filter and the same
    --done/--waiting/--all: what a person previews is what is acted on (a
    waiting task, hidden from the list, is not completed or deleted with it).
    A filter that matches nothing is NotFound (exit 1): `todo done +errand`
    with no errand left did nothing, and a script should be able to tell.
    """
    if not isinstance(selection, Filter):
        return repository.get_many(selection)
    query = TaskQuery(status=status, waiting=waiting, filter=selection, sort="number")
    found = list(repository.find(query))
    if not found:
        from todo_cli.repository.refs import looks_like_ref

        named = [word for word in selection.words if looks_like_ref(word)]
        if named:
            # `todo done 1 +x`: with a filter term among them, every word is the
            # filter's, and "1" is text to search for, not task #1.
            raise NotFound(
                f"no task matches the filter (with it, {named[0]!r} is text to search "
                "for, not a task)",
                hint="give task references alone, or a filter alone",
            )
        # `reopen` selects among the done tasks, `done` among the open ones (or those
        # --all, --waiting give): the listing that previews each is a different one.
        option = {"done": " --done", "all": " --all"}.get(status) or (
            " --waiting" if waiting == "only" else ""
        )
        listing = f"`todo list{option}`"
        raise NotFound(
            "no task matches the filter",
            hint=f"{listing} with the same filter and options shows what it selects",
        )
    return found


@dataclass(frozen=True)
class Changed:
    """One task `done` or `reopen` acted on, and what followed from it."""

    task: Task
    changed: bool
    # done: the next task of its series; reopen: none.
    created: Task | None = None
    # reopen: the successor taken back (it was never touched).
    removed: Task | None = None
    # reopen: why the task left its series ("" when it did not): the open
    # task of the series is kept, having been changed or made later.
    detached: str = ""


@dataclass(frozen=True)
class Completion:
    results: list[Changed] = field(default_factory=list)

    @property
    def created(self) -> list[Task]:
        return [r.created for r in self.results if r.created is not None]


def successor_values(task: Task, *, now: datetime, tz: tzinfo) -> dict[str, Any] | None:
    """The next task of `task`'s series: what carries over, and its due (and wait).

    With "id": the id it is to take (the place it has in the series as another tool
    keeps it, or one derived from `task`'s id), if no task holds it. None: the series
    ends here, its next due past the `until` Taskwarrior gave it (kept with the task
    from an import).
    """
    from todo_cli.domain.fields import CARRIED_HINTS, SERIES_HINT, is_hint_key
    from todo_cli.domain.ids import successor_id
    from todo_cli.domain.recurrence import next_due, parse_recur, shift

    assert task.recur is not None
    assert task.due is not None
    series_hint = (task.attributes or {}).get(SERIES_HINT)
    if series_hint is not None:
        from todo_cli.formats.taskwarrior import series_zone

        # A series Taskwarrior keeps is stepped in the zone it keeps it in.
        tz = series_zone(series_hint) or tz
    following = next_due(
        parse_recur(task.recur),
        due=task.due,
        anchor=task.recur_anchor or task.due,
        index=task.recur_index or 0,
        completed_at=task.completed_at or now,
        now=now,
        tz=tz,
    )
    if _past_until(task, following.due):
        return None
    attributes = {
        key: value
        for key, value in (task.attributes or {}).items()
        if not is_hint_key(key) or key in CARRIED_HINTS
    }
    taking = None
    taking_fields = False
    if series_hint is not None and following.anchor == (task.recur_anchor or task.due):
        # The series as another tool keeps it goes on with the next task (see
        # formats.taskwarrior.series_after); re-anchored (a due edited), its count
        # of occurrences is not the other tool's, and nothing of it is kept.
        from todo_cli.formats.taskwarrior import series_after

        taking, kept = series_after(series_hint, following.index - (task.recur_index or 0))
        if kept is not None:
            attributes[SERIES_HINT] = kept
            taking_fields = True
    values = {
        "title": task.title,
        "description": task.description,
        "priority": task.priority,
        "project": task.project,
        "tags": task.tags,
        "recur": task.recur,
        "series_id": task.series_id,
        "due": following.due,
        "wait": shift(task.wait, task.due, following.due, tz),
        "recur_anchor": following.anchor,
        "recur_index": following.index,
        # What another tool keeps of the task belongs to its series, as Taskwarrior
        # clones a template's user-defined attributes into each instance (and its
        # tags and project, kept where they are none here); a format's hint about
        # this one task does not carry over.
        "attributes": attributes or None,
    }
    if series_hint is not None and taking_fields:
        # Taskwarrior makes the next instance from the template: its own fields, where
        # ours are unchanged since the series was read (an instance renamed there is
        # that instance; a template given a priority there is the series).
        from todo_cli.formats.taskwarrior import series_fields

        values |= series_fields(series_hint, values)
    # The series as another tool keeps it names the next task; else it is named after
    # the completed one (ids.successor_id says why).
    values["id"] = taking if taking is not None else successor_id(task.id)
    return values


def _past_until(task: Task, due: datetime) -> bool:
    """Whether `due` is after the series' end as Taskwarrior keeps it (`until`)."""
    until = (task.attributes or {}).get("until")
    if not isinstance(until, str):
        return False
    from todo_cli.formats.taskwarrior import parse_date

    try:
        return due > parse_date(until)
    except ValueError:
        return False  # an `until` edited by hand into no date: the series goes on


def set_completed(
    settings: Settings,
    selection: Selection,
    completed: bool,
    *,
    waiting: Waiting = "hide",
    confirm: Callable[[list[Task]], bool] | None = None,
    report: Report[Completion] | None = None,
) -> Completion:
    """Complete (or reopen) tasks, with what follows for recurring ones.

    With `confirm`, a filter's matches are shown to it first, outside any
    transaction (as `delete` does): no is Declined, yes acts on exactly the
    tasks it was shown.

    By filter, `done` takes the open tasks that match, as `list` shows them
    (`waiting`: "hide" as `list`, "only" as `list --waiting`), and `reopen`
    the done ones, as `list --done` shows them. Completing a recurring task
    adds the next of its series (once: a task completed twice, or by two
    processes at once, makes one).
    Reopening one takes back the successor its completion made, if nobody
    touched it; otherwise the reopened task leaves the series, so a series
    never has two open tasks.
    """
    from todo_cli.domain.fields import SERIES_HINT

    status: Status = "open" if completed else "done"
    shown: Waiting = waiting if completed else "include"
    asked: list[Task] | None = None
    if confirm is not None and isinstance(selection, Filter):
        asked = _confirmed(settings, selection, status, shown, confirm, "nothing was changed")
    with transaction(settings) as conn:
        repository = TaskRepository(conn, acting_user(conn))
        if asked is None:
            found = _selected(repository, selection, status=status, waiting=shown)
        else:
            found = _as_asked(repository, asked, "nothing was changed")
        prepared: dict[UUID, Changed] = {}
        leaving: set[UUID] = set()
        if not completed:
            found, prepared, leaving = _before_reopen(repository, found)
        results = []
        tz = _zone() if completed else None
        for task, did in repository.set_completed_rows(found, completed, leaving=leaving):
            change = prepared.get(task.id, Changed(task, did))
            change = Changed(task, did, change.created, change.removed, change.detached)
            if completed and did and task.recur is not None:
                assert tz is not None
                try:
                    values = successor_values(task, now=repository.now, tz=tz)
                except InvalidInput as refused:
                    # Among many tasks (`todo done +bill`), which one's series it is.
                    raise InvalidInput(
                        f"#{task.number}: {refused.message}",
                        hint="; ".join(filter(None, ("nothing was changed", refused.hint))),
                    ) from None
                if values is not None:
                    nxt = repository.add_taking(values, values.pop("id", None))
                    if SERIES_HINT in (task.attributes or {}):
                        # Its id may be the one of an instance Taskwarrior had made.
                        _waiting_on_it_there(repository, nxt)
                    change = Changed(task, did, created=nxt)
                elif task.series_id is not None:
                    # Past its `until`: the series is over, as when it is ended by
                    # hand (a tool holding it as a series is told so on export).
                    repository.end_series([task.series_id])
            results.append(change)
        if completed:
            _stopped(repository, [change.task for change in results if change.changed])
        return deliver(report, Completion(results))


def _stopped(repository: TaskRepository, done: list[Task]) -> None:
    """Tasks done here no longer keep Taskwarrior's `start` (when one was started there),
    as `task done` takes it away: kept, `todo show` listed a done task as started, and
    the next sync read Taskwarrior's copy, without it, as a change ("1 updated")."""
    started = {
        task.id: {key: value for key, value in task.attributes.items() if key != "start"} or None
        for task in done
        if task.attributes and "start" in task.attributes
    }
    if started:
        from todo_cli.repository.tasks import ImportWriter

        ImportWriter(repository.conn, repository.user).set_attributes(started)


def _waiting_on_it_there(repository: TaskRepository, made: Task) -> None:
    """Tasks that wait in Taskwarrior on the instance `made` takes the place of (its
    uuid, kept with them as DEPENDS_HINT: the instance was not imported) wait on it here.

    Not linked, they went back waiting on it, but here nothing waited on the new task:
    completing it in todo did not show them unblocked, nor `dep:-N` reach them.
    """
    from todo_cli.domain.fields import DEPENDS_HINT, kept_depends, without_kept_depends
    from todo_cli.repository.tasks import ImportWriter

    writer = ImportWriter(repository.conn, repository.user)
    named = str(made.id)
    changed = {
        task_id: without_kept_depends(attributes, {named})
        for task_id, attributes in writer.holding(DEPENDS_HINT).items()
        if named in kept_depends(attributes)
    }
    if changed:
        # A new task waits on nothing: no cycle can close through it.
        writer.set_attributes(changed)
        writer.link([(task_id, made.id) for task_id in sorted(changed, key=str)])


def _before_reopen(
    repository: TaskRepository, found: list[Task]
) -> tuple[list[Task], dict[UUID, Changed], set[UUID]]:
    """Make room in each series for the tasks about to be reopened: each one's note,
    the ones that leave their series as they reopen (another task of it is open), and
    the tasks to reopen (less any successor this command took back)."""
    prepared: dict[UUID, Changed] = {}
    leaving: set[UUID] = set()
    # The tasks that left their series for another task of this command, by series:
    # each is told which task stays in it once all are known.
    left_for_ours: dict[UUID, UUID] = {}
    taken_back: set[UUID] = set()
    # The task of each series that this command leaves open in it so far.
    reopening: dict[UUID, Task] = {}

    def leave(task: Task, why: str) -> None:
        # A task that took back its successor and then leaves for a later one of this
        # command: the successor stays removed, and said so.
        removed = prepared[task.id].removed if task.id in prepared else None
        prepared[task.id] = Changed(task, True, removed=removed, detached=why)
        leaving.add(task.id)

    # The open task of each series, and which of them others wait on, asked once for
    # all (a query or two a task made reopening 1,000 of them take seconds). Taken
    # back, a series' open task is gone from `open_ones`, and deleted after the loop.
    def series_of_done(task: Task) -> UUID | None:
        # The series whose open task a done task's reopening looks at (open_successor).
        return task.series_id if task.completed and task.completed_at is not None else None

    open_ones = repository.open_in_series(
        series for task in found if (series := series_of_done(task)) is not None
    )
    waited_on = repository.waited_on(task.id for task in open_ones.values())
    latest = repository.latest_done(open_ones) if open_ones else {}
    gone: list[Task] = []

    def made_by(task: Task, open_one: Task) -> bool:
        # The open task its completion made: made when it was completed, and no task
        # of the series done later (two completions imported from todo.txt on one day
        # are both at its midnight: then the later occurrence's made the open task).
        last = latest.get(open_one.series_id) if open_one.series_id else None
        ours = (task.completed_at, task.due)
        later_done = last is not None and None not in ours and last > ours
        return open_one.created_at == task.completed_at and not later_done

    def untouched(open_one: Task) -> bool:
        # Never edited (or every edit undone), no notes, nothing waits on it and it
        # waits on nothing (a successor is made without dependencies).
        return (
            not open_one.notes
            and not open_one.depends
            and open_one.id not in waited_on
            and _never_changed(repository, open_one)
        )

    # Earlier tasks of a series first, whatever the order they were named in: the
    # open one is then found by each, and the last reopened takes it back, while the
    # earlier ones leave the series (`reopen 3 1` as `reopen 1 3`). The latest first,
    # its successor gone, an earlier one would stay in the series beside it.
    for task in sorted(found, key=_series_order):
        if task.id in taken_back:
            continue  # `reopen 3 4`: #4, #3's successor, is gone with #3's reopening
        series = series_of_done(task)
        open_one = None if series is None else open_ones.get(series)
        if open_one is None:
            if task.completed and task.series_id is not None:
                earlier = reopening.get(task.series_id)
                if earlier is not None:
                    # A series with no open task (ended, its open one deleted) and two
                    # of its done ones reopened: the later one stays in it.
                    leave(earlier, "")
                    left_for_ours[earlier.id] = task.series_id
                reopening[task.series_id] = task
            continue
        assert task.series_id is not None  # it has an open one
        if made_by(task, open_one) and untouched(open_one):
            gone.append(open_one)
            del open_ones[task.series_id]
            prepared[task.id] = Changed(task, True, removed=open_one)
            taken_back.add(open_one.id)
            earlier = reopening.get(task.series_id)
            if earlier is not None:
                leave(earlier, "")
                left_for_ours[earlier.id] = task.series_id
            reopening[task.series_id] = task
        else:
            if made_by(task, open_one) and open_one.id in waited_on:
                why = f"its next one, #{open_one.number}, is waited on by another task"
            elif made_by(task, open_one):
                why = f"its next one, #{open_one.number}, had been changed"
            else:
                which = "a later" if _series_order(open_one) > _series_order(task) else "an earlier"
                why = f"{which} one, #{open_one.number}, is open"
            leave(task, why)
            left_for_ours[task.id] = task.series_id
    if gone:
        repository.delete_tasks(gone)
    for task_id, series_id in left_for_ours.items():
        stays = reopening.get(series_id)
        if stays is not None:
            # `reopen 1 2 3`: #1 and #2 both left for #3, the one the series keeps
            # open (a task taken back by another of this command is no longer open).
            prepared[task_id] = replace(
                prepared[task_id], detached=f"a later one, #{stays.number}, is reopened"
            )
    return [task for task in found if task.id not in taken_back], prepared, leaving


def _series_order(task: Task) -> tuple[datetime, datetime, int]:
    """Where a task stands in its series: by due, then by completion (a task of no
    series, with neither, stands where its making put it)."""
    return (task.due or task.created_at, task.completed_at or task.created_at, task.number)


def _never_changed(repository: TaskRepository, task: Task) -> bool:
    """Whether the task is as the command that made it left it.

    The journal says: every change recorded for it after the one that made it
    is undone, or is an undo (an edit undone is no change). Its time of change
    alone cannot: a change made while the clock was behind the task's own
    time (another machine's) may leave updated_at where it was. Only where
    the journal no longer holds its making (pruned) is an unmoved updated_at
    taken as the answer.

    Its making is the latest insert of its id by a command, not by an undo: a
    next task's id is derived from the completed task's, so completing that task
    again after a reopen or an undo makes a task of the same id, whose story
    starts there. What the id went through before (the first one made, then
    taken back) is another task's, and read as a change it kept every second
    reopen from taking the next one back. An undo's insert brings back the same
    task (an undone delete), whose story goes on.
    """
    from todo_cli.repository.journal import JournalRepository

    made_by = None
    changed = False
    journal = JournalRepository(repository.conn, repository.user)
    for operation, change in journal.task_changes(task.id):
        if (change.table, change.action) == ("tasks", "insert") and operation.undoes is None:
            made_by, changed = operation.id, False
        elif made_by is None:
            changed = True  # its making was pruned from the journal, but not all since
        elif operation.id != made_by and operation.undone_by is None and operation.undoes is None:
            changed = changed or not _times_only(change)
    if made_by is None:
        return not changed and task.updated_at == task.created_at
    return not changed


# What an import of another database's copy of the same task may move and nothing
# else does: the next task of a series completed in both databases is made there at
# that completion's time (its id derived from the completed task's, its content
# the same), and the sync takes the newer copy's times.
_MADE_TIMES = frozenset({"created_at", "updated_at"})


def _times_only(change: Change) -> bool:
    """Whether the change moved the task's times of making and change, and nothing else."""
    if (change.table, change.action) != ("tasks", "update"):
        return False
    before, after = change.before or {}, change.after or {}
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)} <= (
        _MADE_TIMES
    )


@dataclass(frozen=True)
class Detail:
    """One task, with the tasks it waits on and the tasks that wait on it."""

    task: Task
    waits_on: list[Task]
    waited_on_by: list[Task]


def show(settings: Settings, ref: Ref) -> Detail:
    with transaction(settings, read_only=True) as conn:
        repository = TaskRepository(conn, acting_user(conn))
        task = repository.get(ref)
        waits_on = repository.by_ids(task.depends) if task.depends else []
        return Detail(task, waits_on, repository.waiting_on(task))


def get(settings: Settings, ref: Ref) -> Task:
    with transaction(settings, read_only=True) as conn:
        return TaskRepository(conn, acting_user(conn)).get(ref)


class _Dependencies:
    """The user's dependencies (who waits on whom), read once per command and kept in
    step as its tasks are edited. Read again for each task, an edit of 5,000 tasks
    that adds a dependency took eight minutes (tasks times dependencies)."""

    def __init__(self, repository: TaskRepository) -> None:
        self.repository = repository
        self.edges: dict[UUID, set[UUID]] | None = None

    def current(self) -> dict[UUID, set[UUID]]:
        if self.edges is None:
            self.edges = {}
            for waiting, waited in self.repository.dependency_edges():
                self.edges.setdefault(waiting, set()).add(waited)
        return self.edges

    def changed(self, task: Task, adding: Sequence[Task], removing: Sequence[Task]) -> None:
        """What the edit of `task` wrote, once it is written."""
        if self.edges is None or not (adding or removing):
            return  # not read yet: read when needed, with the change in it
        waits_on = self.edges.setdefault(task.id, set())
        waits_on.difference_update(other.id for other in removing)
        waits_on.update(other.id for other in adding)


def _refuse_cycles(
    repository: TaskRepository,
    task: Task,
    adding: Sequence[Task],
    removing: Sequence[Task],
    graph: _Dependencies | None = None,
) -> None:
    """A dependency that would let a task wait on itself, by any path, is refused.

    (What the task stops waiting on, ``removing``, changes nothing of it: a path back
    to the task ends there, and what it waits on is never walked.)
    """
    if any(other.id == task.id for other in adding):
        raise InvalidInput(f"#{task.number} cannot wait on itself", hint="nothing was changed")
    if not adding:
        return
    edges = (graph or _Dependencies(repository)).current()
    # A cycle the new dependencies close runs through one of them: a path back from
    # the task waited on. One already there (written outside todo) is no edit's doing.
    back = path_between(edges, [other.id for other in adding], task.id)
    if back is not None:
        cycle = [task.id, *back]
        numbers = {t.id: t.number for t in repository.by_ids(cycle)}
        shown = shown_path([f"#{numbers.get(step, '?')}" for step in cycle])
        raise InvalidInput(
            f"that makes a cycle: {shown} (each waits on the next)",
            hint="nothing was changed",
        )


@dataclass(frozen=True)
class Edited:
    """The task after an edit, and whether the edit changed it (`-nosuch`, a priority
    it has, or `dep:-3` on a task not waiting on #3 change nothing)."""

    task: Task
    changed: bool
    # The open task of the series a `recur:` on a done member ended (its number), which
    # repeats no more: the edit named another task.
    stopped: int | None = None


def edit(
    settings: Settings,
    refs: Sequence[Ref],
    changes: Mapping[str, Any],
    *,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    remove_kept_tags: Sequence[str] = (),
    add_depends: Sequence[Ref] = (),
    remove_depends: Sequence[Ref] = (),
    clear_depends: bool = False,
    report: Report[list[Edited]] | None = None,
) -> list[Edited]:
    """The same changes to each task named, in one transaction (one undo), or none.

    `clear_depends` takes every dependency a task has away before `add_depends`
    are added (`dep: dep:7` leaves the task waiting on #7 alone).
    `remove_kept_tags`: tags that are none here (`@phone`) which an import kept with
    the tasks to write back to Taskwarrior; one no task named keeps is refused.

    Each task is checked as it comes, against what the ones before it became:
    a dependency cycle the edit of the third would close is refused, and the
    first two are rolled back with it.
    """
    with transaction(settings) as conn:
        repository = TaskRepository(conn, acting_user(conn))
        found = repository.get_many(refs)
        adding = repository.get_many(add_depends) if add_depends else []
        removing = repository.get_many(remove_depends) if remove_depends else []
        both = [other for other in adding if other.id in {gone.id for gone in removing}]
        if both:
            # dep:2 dep:-<2's id>: one would win by an order nobody sees.
            raise InvalidInput(
                f"#{both[0].number} is both added to and removed from the dependencies",
                hint="give one; nothing was changed",
            )
        outcomes = []
        untagged: set[str] = set()
        graph = _Dependencies(repository)
        for task in found:
            wanted = dict(changes)
            _done_member_keeps_its_recurrence(repository, task, changes)
            _recurrence_edit(task, wanted)
            _kept_fields_edit(task, wanted)
            # A tag of a tag's shape may be kept too (past the most a task has here).
            untagged |= _kept_tags_removed(task, wanted, [*remove_kept_tags, *remove_tags])
            _series_fields_edit(task, wanted, add_tags, remove_tags)
            taken = removing
            if clear_depends:
                _kept_dependencies_cleared(task, wanted)
                # What it waits on now, but for what the edit adds again (kept).
                again = {other.id for other in adding}
                kept_out = [d for d in task.depends if d not in again]
                taken = [*removing, *repository.by_ids(kept_out)] if kept_out else removing
            _refuse_cycles(repository, task, adding, taken, graph)
            ending = "recur" in changes and changes["recur"] is None and task.series_id
            carrier = repository.open_successor(task) if ending else None
            edited = repository.edit(
                task,
                wanted,
                add_tags=add_tags,
                remove_tags=remove_tags,
                add_depends=adding,
                remove_depends=taken,
            )
            graph.changed(task, adding, taken)
            if ending and task.series_id is not None:
                # `recur:` stops the series (SPEC), whichever member it names: on a
                # done one it changed that row alone, and the open task went on
                # repeating. Its done members lose theirs too, as a deleted series'
                # do, so that reopening and completing one starts nothing again.
                repository.end_series([task.series_id])
            stopped = carrier.number if carrier is not None and carrier.recur else None
            # Every change moves updated_at: tags and dependencies too.
            changed = edited.updated_at != task.updated_at or stopped is not None
            outcomes.append(Edited(edited, changed, stopped))
        unknown = [name for name in remove_kept_tags if name not in untagged]
        if unknown:
            # As the words refuse a tag that is none (nothing was changed: rolled back).
            from todo_cli.domain.names import tag_problem

            raise InvalidInput(
                f"--untag {unknown[0]}: {tag_problem(unknown[0])}",
                hint="nor is it a tag a task named keeps from its import (`todo show` lists "
                "those); nothing was changed",
            )
        return deliver(report, outcomes)


def _kept_dependencies_cleared(task: Task, wanted: dict[str, Any]) -> None:
    """`dep:` clears the dependencies Taskwarrior gave the task on tasks not here, kept
    to be written back (DEPENDS_HINT), as well as ours: otherwise it waits on them
    again in Taskwarrior, and nothing here could take them away."""
    from todo_cli.domain.fields import DEPENDS_HINT

    attributes = dict(wanted.get("attributes", task.attributes) or {})
    if DEPENDS_HINT in attributes:
        del attributes[DEPENDS_HINT]
        wanted["attributes"] = attributes or None


def _kept_tags_removed(task: Task, wanted: dict[str, Any], names: Sequence[str]) -> set[str]:
    """Take the tags `names` out of those Taskwarrior gave the task that are none here
    (kept in TASKWARRIOR_TAGS_HINT and written back); returns those it had."""
    from todo_cli.domain.fields import TASKWARRIOR_TAGS_HINT

    attributes = dict(wanted.get("attributes", task.attributes) or {})
    kept = attributes.get(TASKWARRIOR_TAGS_HINT)
    if not names or not isinstance(kept, list):
        return set()
    found = {name for name in names if name in kept}
    if found:
        left = [name for name in kept if name not in found]
        if left:
            attributes[TASKWARRIOR_TAGS_HINT] = left
        else:
            del attributes[TASKWARRIOR_TAGS_HINT]
        wanted["attributes"] = attributes or None
    return found


def _kept_fields_edit(task: Task, wanted: dict[str, Any]) -> None:
    """A project or priority given (or cleared) replaces one Taskwarrior had that is
    none here (`project:'Side Stuff'`, `priority:1`, kept in TASKWARRIOR_PROJECT_HINT
    and TASKWARRIOR_PRIORITY_HINT and written back): otherwise `project:` or `pri:`
    could never take it away."""
    from todo_cli.domain.fields import TASKWARRIOR_PRIORITY_HINT, TASKWARRIOR_PROJECT_HINT

    attributes = dict(wanted.get("attributes", task.attributes) or {})
    hints = {"project": TASKWARRIOR_PROJECT_HINT, "priority": TASKWARRIOR_PRIORITY_HINT}
    taken = [hint for field, hint in hints.items() if field in wanted and hint in attributes]
    for hint in taken:
        del attributes[hint]
    if taken:
        wanted["attributes"] = attributes or None


def _series_fields_edit(
    task: Task, wanted: dict[str, Any], add_tags: Sequence[str], remove_tags: Sequence[str]
) -> None:
    """A series' open task edited here changes the series: what is kept of the series as
    Taskwarrior keeps it (SERIES_HINT "own") takes the new title, priority, project or
    tags, so that the template goes back with them and a later sync reads the open
    task against them (formats.taskwarrior.series_edited)."""
    from todo_cli.domain.fields import SERIES_HINT

    attributes = dict(wanted.get("attributes", task.attributes) or {})
    hint = attributes.get(SERIES_HINT)
    if not isinstance(hint, dict) or "own" not in hint:
        return
    from todo_cli.formats.taskwarrior import series_edited

    def fields(values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "title": values.get("title", task.title),
            "description": values.get("description", task.description),
            "priority": values.get("priority", task.priority),
            "project": values.get("project", task.project),
            # What Taskwarrior took that is none here (`+@home`) is kept and written back
            # with them: `--untag @home` is an edit of the tags too.
            "attributes": values.get("attributes", task.attributes),
        }

    tags = set(task.tags)
    if "tags" in wanted:
        tags = set(wanted["tags"] or ())
    edited = series_edited(
        hint,
        fields({}) | {"tags": task.tags},
        fields(wanted) | {"tags": tuple((tags | set(add_tags)) - set(remove_tags))},
    )
    if edited is not None:
        wanted["attributes"] = {**attributes, SERIES_HINT: edited}


def _done_member_keeps_its_recurrence(
    repository: TaskRepository, task: Task, changes: Mapping[str, Any]
) -> None:
    """A new recurrence on a done task of a series going on is refused, naming the task
    to change instead.

    It changed that done record alone, "edited #1", while the open task went on as
    before: the user who edited the number they had just completed believed the
    series changed. (`recur:` alone ends the series from any of its tasks.)
    """
    if changes.get("recur") is None or not task.completed or task.recur is None:
        return
    if changes["recur"] == task.recur and changes.get("due", task.due) == task.due:
        return  # restated (a script that always passes it): no change, as _recurrence_edit
    carrier = repository.open_successor(task) if task.series_id is not None else None
    if carrier is None or carrier.recur is None:
        return
    raise InvalidInput(
        f"#{task.number} is done: its series goes on as #{carrier.number}, which holds "
        "its recurrence",
        hint=f"change it there, todo edit {carrier.number} recur:{changes['recur']}; "
        "nothing was changed",
    )


def _recurrence_edit(task: Task, wanted: dict[str, Any]) -> None:
    """`recur:` ends a series; `recur:X` starts or changes one; a series keeps its due."""
    from todo_cli.domain.fields import ENDED_RECUR_HINT, UNSHOWN_HINTS

    due = wanted.get("due", task.due)
    attributes = dict(task.attributes or {})
    if "recur" in wanted:
        if wanted["recur"] is None:
            wanted.update(dict.fromkeys(("recur", "recur_anchor", "recur_index")))
            if task.recur is not None:
                # Kept for a tool that holds the task as one of a series (ENDED_RECUR_HINT).
                wanted["attributes"] = {**attributes, ENDED_RECUR_HINT: task.recur}
            return
        if wanted["recur"] == task.recur and due == task.due:
            # The recurrence it has, restated (a script that always passes it): no
            # change. Restarting the series here would anchor it on this due, one
            # a short month clamped (the 28th for the 31st), for good.
            del wanted["recur"]
            return
        # A task whose series ended (or that never had one) starts a series of its own:
        # the old one's other tasks are no part of it.
        try:
            _start_series(wanted, due, series=task.series_id if task.recur is not None else None)
        except InvalidInput as exc:
            # Of several tasks edited at once, the one without a due is named.
            raise InvalidInput(f"#{task.number}: {exc.message}", hint=exc.hint) from None
        if not UNSHOWN_HINTS.isdisjoint(attributes):
            # Its series goes on again: no longer one that ended (nor of Taskwarrior's
            # deleted template).
            for key in UNSHOWN_HINTS:
                attributes.pop(key, None)
            wanted["attributes"] = attributes or None
        return
    if task.recur is not None and "due" in wanted and due is None:
        raise InvalidInput(
            f"#{task.number} repeats ({task.recur}) and needs its due date",
            hint="end the series with recur: to clear the due date",
        )


def note(settings: Settings, ref: Ref, text: str, *, report: Report[Task] | None = None) -> Task:
    with transaction(settings) as conn:
        return deliver(report, TaskRepository(conn, acting_user(conn)).add_note(ref, text))


def delete(
    settings: Settings,
    selection: Selection,
    *,
    status: Status = "open",
    waiting: Waiting = "hide",
    confirm: Callable[[list[Task]], bool] | None,
    report: Report[list[Task]] | None = None,
) -> list[Task]:
    """Delete tasks for good; with `confirm`, only once it says yes.

    By filter, the tasks `list` shows with the same filter and the same
    `status` and `waiting` (open ones by default, as `list`).

    The question is asked outside any transaction (a person may take their
    time; SQLite would hold its write lock all along), and then exactly the
    tasks that were shown are deleted, even if numbers or a filter were typed.
    Deleting the open task of a recurring series ends the series; deleting a
    task others wait on frees them (the database drops the dependency).
    """
    asked: list[Task] | None = None
    if confirm is not None:
        asked = _confirmed(settings, selection, status, waiting, confirm, "nothing was deleted")
    with transaction(settings) as conn:
        repository = TaskRepository(conn, acting_user(conn))
        if asked is None:
            found = _selected(repository, selection, status=status, waiting=waiting)
        else:
            found = _as_asked(repository, asked, "nothing was deleted")
        return deliver(report, repository.delete_ending_series(found))


def _confirmed(
    settings: Settings,
    selection: Selection,
    status: Status,
    waiting: Waiting,
    confirm: Callable[[list[Task]], bool],
    declined: str,
) -> list[Task]:
    """The tasks a selection names, once `confirm` says yes to them: exactly those,
    as they were shown (see _as_asked).

    Asked outside any transaction (a person may take their time; SQLite would
    hold its write lock all along). No is Declined, saying `declined`.
    """
    with transaction(settings, read_only=True) as conn:
        targets = _selected(
            TaskRepository(conn, acting_user(conn)), selection, status=status, waiting=waiting
        )
    if not confirm(targets):
        raise Declined(declined)
    return targets


def _as_asked(repository: TaskRepository, asked: list[Task], nothing: str) -> list[Task]:
    """The tasks a question listed and the user said yes to, as they are now.

    Another command may have deleted some while the question waited: the user
    agreed to act on all of them together, so nothing is done, and the tasks are
    named as the question showed them (their ids, looked up by reference, said
    "no task '<uuid>'": an id the user never saw). Conflict (exit 1).
    """
    from todo_cli.domain.text import one_line
    from todo_cli.errors import Conflict

    now = {task.id: task for task in repository.by_ids([task.id for task in asked])}
    gone = [task for task in asked if task.id not in now]
    if gone:
        named = ", ".join(f"#{task.number} {one_line(task.title)!r}" for task in gone[:5])
        more = f" and {len(gone) - 5:,} more" if len(gone) > 5 else ""
        were = "was" if len(gone) == 1 else "were"
        raise Conflict(
            f"{named}{more} {were} deleted by another command while the question waited",
            hint=f"{nothing}; run it again",
        )
    return [now[task.id] for task in asked]


def tags(settings: Settings) -> list[Counted]:
    with transaction(settings, read_only=True) as conn:
        return TaskRepository(conn, acting_user(conn)).tags()


def projects(settings: Settings) -> list[Counted]:
    """Projects of the open tasks, as a tree: each with its sub-projects' tasks counted too."""
    from todo_cli.domain.names import project_tree

    with transaction(settings, read_only=True) as conn:
        found = TaskRepository(conn, acting_user(conn)).projects()
    tree = project_tree((counted.name, counted.count) for counted in found)
    return [Counted(name, own, total) for name, own, total in tree]


def completions(
    settings: Settings, incomplete: str, *, done: bool = False
) -> list[tuple[str, str]]:
    """What the shell may offer for a word being typed: tasks (open ones, or done ones
    for `reopen`), +tags or project:names."""
    with transaction(settings, read_only=True) as conn:
        return _completions(conn, acting_user(conn), incomplete, done=done)


def _completions(
    conn: Connection, user: str, incomplete: str, *, done: bool = False
) -> list[tuple[str, str]]:
    repository = TaskRepository(conn, user)
    if incomplete.startswith("+"):
        return [(f"+{t.name}", f"{t.count} open") for t in repository.tags()]
    for key in ("project:", "pro:"):
        if incomplete.startswith(key):
            return [(f"{key}{p.name}", f"{p.count} open") for p in repository.projects()]
    query = TaskQuery(
        status="done" if done else "open", waiting="include", sort="number", limit=200
    )
    return [(str(task.number), task.title) for task in repository.find(query)]
