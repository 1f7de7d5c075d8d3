"""History and undo, over the journal the database writes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from todo_cli.db.transaction import acting_user, transaction
from todo_cli.domain.ids import is_uuid
from todo_cli.domain.text import plural
from todo_cli.errors import Conflict, Declined, NotFound, Refused
from todo_cli.repository.journal import Change, Clash, JournalRepository, Operation, Plan, Summary
from todo_cli.services.common import Report, deliver

if TYPE_CHECKING:
    from todo_cli.repository.refs import Ref
    from todo_cli.settings import Settings


def history(settings: Settings, *, limit: int | None) -> list[tuple[Operation, Summary]]:
    """The user's operations, newest first, each with what it changed."""
    with transaction(settings, read_only=True) as conn:
        repository = JournalRepository(conn, acting_user(conn))
        found = repository.operations(limit=limit)
        summaries = repository.summaries(found)
        return [(operation, summaries[operation.id]) for operation in found]


def _in_reading_order(changes: list[tuple[Operation, Change]]) -> list[tuple[Operation, Change]]:
    """Within each operation, the task's delete after what went with it (its tags,
    notes, dependencies, in that order): SQLite journals a cascade before the row
    that caused it, PostgreSQL after, each in an order of its own, and a history
    reads the same on both. Otherwise as recorded."""
    ordered: list[tuple[Operation, Change]] = []
    start = 0
    for end in range(1, len(changes) + 1):
        if end == len(changes) or changes[end][0].id != changes[start][0].id:
            group = changes[start:end]
            if any(map(_deletes_the_task, group)):
                # sorted() keeps the recorded order among equals.
                group = sorted(group, key=_cascade_rank)
            ordered += group
            start = end
    return ordered


def _deletes_the_task(pair: tuple[Operation, Change]) -> bool:
    return pair[1].table == "tasks" and pair[1].action == "delete"


# The rows a task's delete takes with it, in the order a history lists them.
_WENT_WITH_IT = {"task_tags": 0, "task_notes": 1, "task_dependencies": 2}


def _cascade_rank(pair: tuple[Operation, Change]) -> tuple[bool, int]:
    change = pair[1]
    went = _WENT_WITH_IT.get(change.table, -1) if change.action == "delete" else -1
    return _deletes_the_task(pair), went


def task_history(
    settings: Settings, ref: Ref, *, limit: int | None = None
) -> tuple[int, list[tuple[Operation, Change]], dict[UUID, str]]:
    """One task's number and recorded changes, oldest first (its tags, notes and
    dependencies too; the latest `limit` of them), and how to name the tasks its
    dependencies name ("#3", or "#3 (deleted)" as the journal tells it). A deleted
    task is found by the number or id it had: "what happened to #2?"."""
    from todo_cli.repository.tasks import TaskRepository

    with transaction(settings, read_only=True) as conn:
        tasks = TaskRepository(conn, acting_user(conn))
        journal = JournalRepository(conn, acting_user(conn))
        try:
            task = tasks.get(ref)
            task_id, number = task.id, task.number
            if ref.prefix is not None and task.number != ref.number:
                # Found by its id's start, which a deleted task's id may start with too:
                # "what happened to 1f3e?" may mean either, so both are named.
                alike = journal.deleted_with_prefix(ref.prefix)
                alike.pop(task.id, None)  # deleted once, and brought back by an undo
                if alike:
                    from todo_cli.repository.refs import ambiguous

                    candidates = [(number, task_id)]
                    candidates += [(held, other) for other, held in alike.items()]
                    raise ambiguous(ref.raw, "tasks (deleted ones too)", candidates)
        except NotFound:
            deleted = journal.deleted_task(ref.number, ref.uuid, ref.prefix)
            if deleted is None:
                raise
            task_id, number = deleted
        changes = _in_reading_order(list(journal.task_changes(task_id)))
        if limit is not None:
            # The latest `limit` operations, each whole (an operation may change many rows).
            latest: list[UUID] = []
            for operation, _ in reversed(changes):
                if operation.id not in latest:
                    latest.append(operation.id)
            kept = set(latest[:limit])
            changes = [(op, change) for op, change in changes if op.id in kept]
        others = {
            UUID(str(change.key[1])) for _, change in changes if change.table == "task_dependencies"
        }
        names = {other.id: f"#{other.number}" for other in tasks.by_ids(sorted(others, key=str))}
        for gone in sorted(others - names.keys(), key=str):
            # Few: only the dependencies this one task's history names.
            held = journal.deleted_task(None, gone)
            if held is not None:
                names[gone] = f"#{held[1]} (deleted)"
        return number, changes, names


@dataclass(frozen=True)
class Undone:
    """The operation undo reverted (or would revert, with --dry-run), and how."""

    operation: Operation
    plan: Plan
    dry_run: bool


def _refuse(
    operation: Operation, clashes: list[Clash], numbers: Mapping[UUID, int] | None = None
) -> Conflict:
    kinds = {clash.kind for clash in clashes[:5]}
    if len(kinds) == 1:
        rows = "; ".join(_clash_text(clash) for clash in clashes[:5])
        rows += f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        rows += " " + _SINCE[kinds.pop()]
    else:
        rows = "; ".join(f"{_clash_text(clash)} {_SINCE[clash.kind]}" for clash in clashes[:5])
        rows += f"; and {len(clashes) - 5} more" if len(clashes) > 5 else ""
    if all(clash.later is not None and clash.later.number is not None for clash in clashes):
        hint = "undo the later operation first; nothing was changed"
    else:
        # A change made outside todo (psql, another program) is no operation of
        # the user's: undo cannot take it back, so "undo the later one" would
        # send them after something they cannot reach.
        where = f"todo history {_task_named(clashes, numbers or {})}"
        hint = (
            "a change made outside todo is not undone by todo, and this operation is not "
            f"undone over it (what happened to the row is in `{where}`); "
            "nothing was changed"
        )
    return Conflict(
        f"cannot undo #{operation.number} ({operation.command_shown}): {rows}",
        hint=hint,
    )


def _task_named(clashes: list[Clash], numbers: Mapping[UUID, int]) -> str:
    """How `todo history` finds the task of the first clash: its number, or the number
    the task a tag, note or dependency row belongs to holds now (`numbers`: the row
    does not say), else that task's id."""
    for clash in clashes:
        image = clash.image or {}
        if clash.table == "tasks" and isinstance(image.get("number"), int):
            return str(image["number"])
    for task_id in _tasks_of(clashes):
        return str(numbers.get(task_id, task_id))
    return "NUMBER"


def _tasks_of(clashes: list[Clash]) -> list[UUID]:
    """The tasks the tag, note and dependency rows of these clashes belong to."""
    found = []
    for clash in clashes:
        task_id = (clash.image or {}).get("task_id")
        if task_id is None and clash.table in ("task_tags", "task_dependencies") and clash.key:
            task_id = clash.key[0]  # the row's key starts with its task's id
        if isinstance(task_id, str) and is_uuid(task_id):
            found.append(UUID(task_id))
    return found


_SINCE = {
    "changed": "changed since",
    "deleted": "deleted since",
    "added": "added since to what it added",
    "number": "taken since: the number of a task it would bring back",
}
_ROW_NAMES = {
    "task_notes": "a note",
    "task_dependencies": "a dependency",
    "conversations": "a conversation",
    "messages": "a message",
}


def _row_name(table: str, image: dict[str, Any]) -> str:
    if table == "tasks" and "number" in image:
        return f"task #{image['number']}"
    if table == "task_tags" and "tag" in image:
        return f"tag +{image['tag']}"
    if table == "conversations" and "number" in image:
        return f"conversation #{image['number']}"
    return _ROW_NAMES.get(table, f"a row of {table}")


def _clash_text(clash: Clash) -> str:
    image = clash.image or {}
    if clash.kind == "number":
        what = f"#{image.get('number')} by {image.get('title')!r}"
    else:
        what = _row_name(clash.table, image)
    if clash.later is None:
        return f"{what} (by another process)"
    if clash.later.number is None:  # a write outside todo (psql) has no number
        # PostgreSQL's command reads "outside todo: <the statement>", SQLite's has none.
        statement = clash.later.command.removeprefix("outside todo").lstrip(": ")
        return f"{what} (outside todo{': ' + statement if statement else ''})"
    return f"{what} (by #{clash.later.number}: {clash.later.command_shown})"


def undo(settings: Settings, *, dry_run: bool, report: Report[Undone] | None = None) -> Undone:
    """Revert the user's latest operation not yet undone; this undo is itself recorded.

    Refuses (Conflict, exit 1, nothing changed) when a row the operation
    touched has changed since: undoing it would overwrite that change.
    """
    reverting: Operation | None = None
    try:
        # A dry run reverts too, and rolls back: under row security no clash check
        # sees another user's row holding an id the undo would bring back, only the
        # primary key does, so only trying tells what the undo would do.
        with transaction(settings) as conn:
            repository = JournalRepository(conn, acting_user(conn))
            current: UUID | None = conn.info.get("todo_operation")
            operation = repository.latest_undoable(besides=current)
            if operation is None:
                raise NotFound("nothing to undo", hint="see `todo history`")
            clashes = repository.clashes(operation)
            if any(clash.foreign for clash in clashes):
                # Another user's operation since: theirs is neither named nor shown,
                # and "undo it first" is not this user's to do. The user's own row,
                # as this operation recorded it, is named.
                own = [
                    _row_name(
                        clash.table, repository.image_in(operation.id, clash.table, clash.key) or {}
                    )
                    for clash in clashes
                    if clash.foreign
                ]
                raise _taken_by_another(operation, own)
            if clashes:
                from todo_cli.repository.tasks import TaskRepository

                owned = TaskRepository(conn, acting_user(conn)).by_ids(_tasks_of(clashes))
                raise _refuse(operation, clashes, {task.id: task.number for task in owned})
            plan = repository.plan(operation)
            reverting = operation
            repository.revert(operation)
            if dry_run:
                raise _Rehearsed(Undone(operation, plan, dry_run))
            assert current is not None  # a transaction that writes is an operation
            repository.mark_undone(operation, current)
            # What is reported is the operation as it now stands: undone, by this one.
            operation = replace(operation, undone_by=current)
            return deliver(report, Undone(operation, plan, dry_run))
    except _Rehearsed as rolled_back:
        return deliver(report, rolled_back.undone)
    except Refused as exc:
        # A row it would bring back has an id another user's row holds now (their
        # import of a file that had it): under row security no clash check can
        # see that row, and the primary key refuses. Rolled back, and told as the
        # conflict it is rather than as the database's words.
        if reverting is None or not (exc.constraint or "").startswith("pk_"):
            raise
        table = _PRIMARY_KEYS.get(exc.constraint or "")
        named = _brought_back(settings, reverting, table) if table else []
        raise _taken_by_another(reverting, named) from None


# The tables whose rows an undo brings back under their own ids, by primary key.
_PRIMARY_KEYS = {
    "pk_tasks": "tasks",
    "pk_conversations": "conversations",
    "pk_messages": "messages",
}


def _brought_back(settings: Settings, operation: Operation, table: str) -> list[str]:
    """The rows of `table` undoing `operation` would bring back, named as it recorded
    them: one of them has an id another user's row holds now (which one, the database
    alone can tell; where it is one, it is that one)."""
    with transaction(settings, read_only=True) as conn:
        plan = JournalRepository(conn, acting_user(conn)).plan(operation)
    named = [
        _row_name(change.table, change.before or {})
        for change in (plan.tasks if table == "tasks" else plan.others)
        if change.table == table and change.action == "delete" and change.before is not None
    ]
    if len(named) > 1:
        return [f"one of {', '.join(named[:5])}{' and more' if len(named) > 5 else ''}"]
    return named


class _Rehearsed(Exception):
    """Carries a dry run's result out of the transaction it rolls back."""

    def __init__(self, undone: Undone) -> None:
        super().__init__("dry run")
        self.undone = undone


def _taken_by_another(operation: Operation, rows: Sequence[str] = ()) -> Conflict:
    named = f": {', '.join(dict.fromkeys(rows))}" if rows else ""
    return Conflict(
        f"cannot undo #{operation.number} ({operation.command_shown}): a row it would bring "
        f"back has an id that another user's row holds now{named}",
        hint="it cannot come back under that id; nothing was changed",
    )


def prune(
    settings: Settings,
    before: datetime,
    *,
    confirm: Callable[[int], bool] | None,
    report: Report[int] | None = None,
) -> int:
    """Delete the user's operations older than `before`: nothing else ever deletes them."""
    with transaction(settings, read_only=True) as conn:
        count = JournalRepository(conn, acting_user(conn)).prune_count(before)
    if count == 0:
        # Nothing to confirm: asking "delete 0 operations?" (or refusing a script
        # without --yes) would be noise, and nothing is written (a user with no
        # operations gets no users row from it either).
        return deliver(report, 0)
    if confirm is not None and not confirm(count):
        raise Declined("nothing was pruned")
    with transaction(settings) as conn:
        journal = JournalRepository(conn, acting_user(conn))
        if confirm is not None:
            # Other shells wrote on while the question waited (`--prune-before
            # tomorrow` takes their operations too): a "yes" covers the operations
            # it was shown, and no others, as `todo db downgrade` does.
            now = journal.prune_count(before)
            if now != count:
                raise Conflict(
                    f"operations changed while the prune waited for its answer: it would "
                    f"now delete {plural(now, 'operation')}, not {count:,}",
                    hint="nothing was pruned; run it again",
                )
        return deliver(report, journal.prune(before))
