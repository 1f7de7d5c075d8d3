"""The journal: operations, the row images the database recorded, and undoing one.

Every write transaction opens an operation first (``repository.recording``);
triggers in the database attach each changed row's images to it
(``db.journal_ddl``).
Undo works on those images alone, table by table and set-wise, so undoing a
bulk add of 100,000 tasks is a handful of statements: rows the operation
added are deleted, rows it changed are set back, rows it deleted come back
with their ids and numbers. Before any of that, every row it touched must
still be exactly as the operation left it; otherwise undo refuses and names
the rows and the later operation that changed them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from todo_cli.db import journal_ddl
from todo_cli.db.schema import PG_SEARCH_VECTORS, SEARCH_VECTOR, journal, metadata, operations
from todo_cli.redact import mask_statement
from todo_cli.repository.batches import chunked
from todo_cli.repository.users import user_id_of

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.sql.elements import ColumnElement

# Parents before children: rows come back in this order, and go in the other.
TABLE_ORDER = ("tasks", "conversations", "task_tags", "task_notes", "task_dependencies", "messages")
# How many rows of each operation `history` looks at to say what it did.
SAMPLE = 5


@dataclass(frozen=True)
class Operation:
    id: UUID
    number: int | None
    created_at: datetime
    command: str
    undoes: UUID | None
    undone_by: UUID | None
    # The number of the operation this one undid (history says "undid #19").
    undoes_number: int | None = None

    @property
    def command_shown(self) -> str:
        """The command as a message names it: its start, where it is long (`xargs todo
        done` over 3,000 ids recorded a line of 111 KB, all of it in undo's message).
        JSON gives it whole."""
        if len(self.command) <= COMMAND_SHOWN:
            return self.command
        return f"{self.command[:COMMAND_SHOWN]}... ({len(self.command):,} characters)"


# The characters of a recorded command a message shows.
COMMAND_SHOWN = 200


@dataclass(frozen=True)
class Change:
    """One row's change within an operation, as the database recorded it."""

    operation: UUID
    table: str
    action: str
    key: list[Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class Summary:
    """What an operation did, counted by table and action, with a few of its rows."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    samples: list[Change] = field(default_factory=list)
    # Its last task update: the samples are its first rows, and an import writes
    # the tasks it completes before the ones it edits.
    last_update: Change | None = None


@dataclass(frozen=True)
class Clash:
    """A row that changed after the operation that undo would revert."""

    table: str
    key: list[Any]
    image: dict[str, Any] | None
    later: Operation | None
    # What happened since: "changed" (a row the operation touched), "deleted" (one it
    # left there, gone now); "added" into
    # a row it added (a note of a task it made: undoing would delete it with that
    # row); "number" (the image is the task that now holds the number of a task
    # undo would bring back).
    kind: str = "changed"
    # The later operation is another user's (on a database without row security,
    # their import of a file that held the row's id): not named, nor shown.
    foreign: bool = False


@dataclass(frozen=True)
class Plan:
    """What undoing an operation does, table by table: rows removed, set back, restored."""

    removed: dict[str, int]
    reverted: dict[str, int]
    restored: dict[str, int]
    tasks: list[Change]
    # Some of the rows of each other table it wrote (conversations, messages...): to
    # name them where an undo is refused over one.
    others: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.removed or self.reverted or self.restored)


def _dashed_prefix(prefix: str) -> str:
    """Hex digits of a UUID's start as the UUID's text has them (dashes after 8, 12, 16, 20)."""
    cuts = [cut for cut in (8, 12, 16, 20) if cut < len(prefix)]
    parts = [prefix[start:end] for start, end in zip([0, *cuts], [*cuts, None], strict=True)]
    return "-".join(parts)


# The root's options that take a value: their value is no command name.
_ROOT_VALUES = frozenset({"--db", "--user"})


def is_import(command: str) -> bool:
    """Whether a recorded command line is `todo import` (root options before it
    aside): what its undo deletes came in from a file, and was never deleted here."""
    import shlex

    try:
        words = iter(shlex.split(command)[1:])
    except ValueError:
        return False
    for word in words:
        if word in _ROOT_VALUES:
            next(words, None)
        elif not word.startswith("-"):
            return word == "import"
    return False


def _image(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str) else dict(value)


def _instant(value: Any) -> datetime | None:
    """A time of a row image: SQLite's UTC text without an offset, PostgreSQL's with one."""
    if not isinstance(value, str):
        return None
    from datetime import UTC

    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _owner_at(owners: list[tuple[int, str | None]], journal_id: int) -> str | None:
    """The owner a task's id had at a journal row: that of its `tasks` row's latest
    change up to it (a tag, note or dependency follows its task's insert), else the
    first known."""
    import bisect

    if not owners:
        return None
    at = bisect.bisect_right(owners, journal_id, key=lambda pair: pair[0])
    return owners[max(at - 1, 0)][1]


def _operation(row: Any) -> Operation:
    # Masked as shown: todo masks its own command lines before it records them, but a
    # change made outside todo is recorded by the database's trigger with the SQL that
    # made it, as it came (a URL's or a role's password may be in it).
    return Operation(
        id=row.id,
        number=row.number,
        created_at=row.created_at,
        command=mask_statement(row.command),
        undoes=row.undoes,
        undone_by=row.undone_by,
        undoes_number=getattr(row, "undoes_number", None),
    )


class JournalRepository:
    """The current user's operations and their changes."""

    def __init__(self, conn: Connection, user: str) -> None:
        self.conn = conn
        self.user = user
        self._owner = operations.c.user_id == user_id_of(user)
        self._sqlite = conn.dialect.name == "sqlite"
        self._written: dict[UUID, dict[str, set[str]]] = {}
        # How many journal rows each operation wrote (with _written).
        self._sizes: dict[UUID, int] = {}

    # --- reading ------------------------------------------------------------

    def operations(
        self, *, limit: int | None = None, before: datetime | None = None
    ) -> list[Operation]:
        """The user's operations that changed something, newest first."""
        from sqlalchemy import exists, select

        changed = exists(select(journal.c.id).where(journal.c.operation_id == operations.c.id))
        undone = operations.alias("undone")
        undoes_number = (
            select(undone.c.number)
            .where(undone.c.id == operations.c.undoes)
            .scalar_subquery()
            .label("undoes_number")
        )
        stmt = (
            select(operations, undoes_number)
            .where(self._owner, changed)
            .order_by(operations.c.number.desc())
        )
        if before is not None:
            stmt = stmt.where(operations.c.created_at < before)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_operation(row) for row in self.conn.execute(stmt)]

    def get(self, operation_id: UUID) -> Operation | None:
        from sqlalchemy import select

        row = self.conn.execute(select(operations).where(operations.c.id == operation_id)).first()
        return None if row is None else _operation(row)

    def summaries(self, found: Sequence[Operation]) -> dict[UUID, Summary]:
        """For each operation: counts of rows by table and action, and its first few
        task and conversation rows of each action."""
        from sqlalchemy import case, func, select

        ids = [operation.id for operation in found]
        result = {operation_id: Summary() for operation_id in ids}
        if not ids:
            return result
        # Rows, not journal entries: a row updated twice in one operation (a reopened
        # task leaves its series, then opens) is one row changed. (Distinct keys of
        # updates alone: inserts and deletes are one a row, and a bulk add's 187,000
        # would be sorted for nothing.)
        updated_rows = func.count(
            func.distinct(case((journal.c.action == "update", journal.c.row_key)))
        )
        counts = (
            select(
                journal.c.operation_id,
                journal.c.table_name,
                journal.c.action,
                func.count(),
                updated_rows,
            )
            .where(journal.c.operation_id.in_(ids))
            .group_by(journal.c.operation_id, journal.c.table_name, journal.c.action)
        )
        touched: dict[UUID, dict[str, set[str]]] = {operation_id: {} for operation_id in ids}
        for operation_id, table, action, count, updated in self.conn.execute(counts):
            result[operation_id].counts[(table, action)] = updated if action == "update" else count
            touched[operation_id].setdefault(table, set()).add(action)
        for operation_id, samples in self._samples(touched).items():
            result[operation_id].samples.extend(samples)
        updating = [op for op in ids if "update" in touched[op].get("tasks", ())]
        for operation_id, change in self._last_task_updates(updating).items():
            result[operation_id].last_update = change
        return result

    def _last_task_updates(self, ids: Sequence[UUID]) -> dict[UUID, Change]:
        """Each of these operations' last task update (one LIMIT each, by its index)."""
        from sqlalchemy import select, union_all

        found: dict[UUID, Change] = {}
        for start in range(0, len(ids), 200):
            parts = [
                select(
                    select(journal)
                    .where(
                        journal.c.operation_id == operation_id,
                        (journal.c.table_name + "") == "tasks",
                        journal.c.action == "update",
                    )
                    .order_by(journal.c.id.desc())
                    .limit(1)
                    .subquery()
                )
                for operation_id in ids[start : start + 200]
            ]
            every = union_all(*parts).subquery()
            for row in self.conn.execute(select(every)):
                found[row.operation_id] = self._change(row)
        return found

    def _samples(
        self, wanted: Mapping[UUID, Mapping[str, Iterable[str]]]
    ) -> dict[UUID, list[Change]]:
        """The first few rows each operation wrote with each action it took in each of its
        tables named (tasks, conversations; ``wanted``: table -> actions), in order.

        One LIMIT a table, action and operation, each by the operation's own index: a
        window over every row of the operations read all 187,000 of a 100,000-task
        import, images and all (0.65 s and 100 MiB for `history --limit 2`). By action:
        the deletes of a reopen (the successors taken back) would crowd out its updates.
        Task updates take twice as many: a task may be updated twice in one operation.
        """
        from sqlalchemy import select, union_all

        found: dict[UUID, list[Change]] = {operation_id: [] for operation_id in wanted}
        triples = [
            (operation_id, table, action)
            for operation_id, tables in wanted.items()
            for table, actions in sorted(tables.items())
            if table in ("tasks", "conversations")
            for action in sorted(actions)
        ]
        # SQLite takes at most 500 SELECTs in one compound statement.
        for start in range(0, len(triples), 200):
            parts = [
                select(
                    select(journal)
                    .where(
                        journal.c.operation_id == operation_id,
                        # Not by the (table_name, row_key) index: see _spans.
                        (journal.c.table_name + "") == table,
                        journal.c.action == action,
                    )
                    .order_by(journal.c.id)
                    .limit(2 * SAMPLE if (table, action) == ("tasks", "update") else SAMPLE)
                    .subquery()
                )
                for operation_id, table, action in triples[start : start + 200]
            ]
            every = union_all(*parts).subquery()
            for row in self.conn.execute(select(every).order_by(every.c.id)):
                found[row.operation_id].append(self._change(row))
        return found

    def task_changes(self, task_id: UUID) -> Iterator[tuple[Operation, Change]]:
        """Every recorded change of one task and its tags, notes and dependencies, oldest first."""
        from sqlalchemy import String, func, literal_column, or_, select

        key = self._key_text([task_id])
        prefix = key[:-1] + ","
        image = func.coalesce(journal.c.after, journal.c.before)
        if self._sqlite:
            note_of = func.json_extract(image, "$.task_id") == task_id.hex
        else:
            # Text in, text out: typed as a row image, "task_id" and the uuid
            # would both be bound as JSON.
            field = image.op("->>", return_type=String())(literal_column("'task_id'"))
            note_of = field == str(task_id)
        stmt = (
            select(
                journal,
                *[
                    operations.c[name]
                    for name in ("number", "created_at", "command", "undoes", "undone_by")
                ],
                operations.c.user_id.label("made_by"),
            )
            .join(operations, operations.c.id == journal.c.operation_id)
            .where(
                # The task is the user's: a change made to it outside todo (an
                # operation of no user) is part of its story too, and it is what
                # an undo refused over it points the user here to see.
                self._owner | operations.c.user_id.is_(None),
                or_(
                    (journal.c.table_name == "tasks") & (journal.c.row_key == key),
                    journal.c.table_name.in_(("task_tags", "task_dependencies"))
                    & journal.c.row_key.startswith(prefix, autoescape=True),
                    (journal.c.table_name == "task_notes") & note_of,
                ),
            )
            .order_by(journal.c.id)
        )
        owners = self._owners_of_task(key)
        me = self.conn.execute(select(user_id_of(self.user))).scalar()
        mine = () if me is None else (me.hex, str(me))
        for row in self.conn.execute(stmt):
            # Changed outside todo while the id was another user's task. (Whose it
            # was is not known once its rows are pruned: then it is the task the
            # user found, theirs.)
            if row.made_by is None and owners and _owner_at(owners, row.id) not in mine:
                continue
            operation = Operation(
                id=row.operation_id,
                number=row.number,
                created_at=row.created_at,
                command=mask_statement(row.command),
                undoes=row.undoes,
                undone_by=row.undone_by,
            )
            yield operation, self._change(row)

    def _owners_of_task(self, key: str) -> list[tuple[int, str | None]]:
        """Whose task the id was from each recorded change of its `tasks` row on, by
        whomever made (journal id, the owner's id as the image holds it): an id can
        pass from one user to another (deleted by one, imported by the other)."""
        from sqlalchemy import select

        stmt = (
            select(journal.c.id, journal.c.before, journal.c.after)
            .where(journal.c.table_name == "tasks", journal.c.row_key == key)
            .order_by(journal.c.id)
        )
        owners = []
        for row in self.conn.execute(stmt):
            image = _image(row.after) or _image(row.before) or {}
            owner = image.get("user_id")
            owners.append((int(row.id), None if owner is None else str(owner)))
        return owners

    def title_removed(self, conversation_id: UUID) -> bool:
        """Whether a change recorded here took the conversation's title away.

        An import takes the title a conversation has gained in a later export, but
        not one a user removed (`chat-log rename N ""`): importing the same file
        again put it back.
        """
        from sqlalchemy import String, func, literal, literal_column, select

        def title(image: Any) -> Any:
            if self._sqlite:
                return func.json_extract(image, "$.title")
            return image.op("->>", return_type=String())(literal_column("'title'"))

        stmt = (
            select(literal(1))
            .select_from(journal.join(operations, operations.c.id == journal.c.operation_id))
            .where(
                self._owner,
                journal.c.table_name == "conversations",
                journal.c.action == "update",
                journal.c.row_key == self._key_text([conversation_id]),
                title(journal.c.before).is_not(None),
                title(journal.c.after).is_(None),
                operations.c.undone_by.is_(None),
                # An undo setting back an import's title removed none of the user's.
                operations.c.undoes.is_(None),
            )
            .limit(1)
        )
        return self.conn.execute(stmt).first() is not None

    def deleted_task(
        self, number: int | None, task_id: UUID | None, prefix: str | None = None
    ) -> tuple[UUID, int] | None:
        """The user's task deleted holding `number` (or with id `task_id`, or the one
        deleted task whose id starts with the hex digits `prefix`; digits given as both,
        the prefix when no deleted task held the number), as the journal tells it: its
        id and number, the latest such delete first; None when not known.

        Raises AmbiguousReference when deleted tasks of several ids match `prefix`.
        """
        if task_id is not None:
            return self._deleted(journal.c.row_key == self._key_text([task_id]), None)
        if number is not None:
            held = self._deleted(self._held_number() == number, None)
            if held is not None or prefix is None:
                return held
            # Digits that are no number a deleted task held: an id prefix (see refs).
        if prefix is None:
            return None
        # The key is JSON text of the id: hex (SQLite) or dashed (PostgreSQL).
        typed = prefix if self._sqlite else _dashed_prefix(prefix)
        return self._deleted(journal.c.row_key.startswith(f'["{typed}', autoescape=True), prefix)

    def deleted_with_prefix(self, prefix: str) -> dict[UUID, int]:
        """The user's deleted tasks whose ids start with the hex digits `prefix`: each
        id, and the number it held (its latest delete's)."""
        typed = prefix if self._sqlite else _dashed_prefix(prefix)
        return self._deleted_all(journal.c.row_key.startswith(f'["{typed}', autoescape=True))

    def _deleted(self, found: ColumnElement[bool], prefix: str | None) -> tuple[UUID, int] | None:
        """The deleted task `found` picks (see deleted_task); with `prefix`, of any number."""
        latest = self._deleted_all(found, first=prefix is None)
        if len(latest) > 1:
            from todo_cli.repository.refs import ambiguous

            candidates = [(number, task) for task, number in latest.items()]
            raise ambiguous(str(prefix), "deleted tasks", candidates)
        return next(iter(latest.items()), None)

    def _deleted_all(self, found: ColumnElement[bool], *, first: bool = False) -> dict[UUID, int]:
        """The deleted tasks `found` picks, latest delete first (`first`: that one only)."""
        from sqlalchemy import select

        # A task deleted outside todo (an operation of no user) is found too, when the
        # row was the user's: "what happened to #2?" is asked most when nobody here did it.
        rows = self.conn.execute(
            select(
                journal.c.row_key,
                journal.c.before,
                operations.c.user_id,
                user_id_of(self.user).label("me"),
            )
            .join(operations, operations.c.id == journal.c.operation_id)
            .where(self._owner | operations.c.user_id.is_(None))
            .where(journal.c.table_name == "tasks", journal.c.action == "delete")
            .where(found)
            .order_by(journal.c.id.desc())
        )
        latest: dict[UUID, int] = {}
        for row in rows:
            image, me = _image(row.before), row.me
            if image is None or me is None:
                continue  # no image, or a user with no rows at all: nothing of theirs
            if row.user_id is None and str(image.get("user_id")) not in (me.hex, str(me)):
                continue  # another user's row, deleted outside todo
            latest.setdefault(UUID(str(json.loads(row.row_key)[0])), int(image["number"]))
            if first:
                break
        rows.close()
        return latest

    def task_deletes(self) -> list[tuple[UUID, int, datetime, bool]]:
        """The user's deleted tasks, the number each held, when it was deleted and
        whether by the undo of an import (which takes back the task's coming in, no
        delete of it), oldest delete first (as far as the journal, unless pruned,
        tells).

        One pass over the deletes (the numbers and ids are in JSON, no index reaches
        them), not one per slice: a restore of 100,000 tasks asks about them all.
        """
        from sqlalchemy import select

        undone = operations.alias("undone")
        stmt = (
            select(
                journal.c.row_key,
                self._held_number().label("number"),
                operations.c.created_at,
                undone.c.command.label("undone_command"),
            )
            .join(operations, operations.c.id == journal.c.operation_id)
            .outerjoin(undone, undone.c.id == operations.c.undoes)
            .where(self._owner, journal.c.table_name == "tasks", journal.c.action == "delete")
            .order_by(journal.c.id)
        )
        return [
            (
                UUID(str(json.loads(row.row_key)[0])),
                int(row.number),
                row.created_at,
                row.undone_command is not None and is_import(row.undone_command),
            )
            for row in self.conn.execute(stmt)
            if row.number is not None
        ]

    def completions_of(self, task_ids: Sequence[UUID]) -> dict[UUID, set[datetime]]:
        """Each completion these tasks had here, as the journal's images of them show it
        (completed_at of every image that is completed: done, reopened, deleted...)."""
        from sqlalchemy import select

        wanted = {self._key_text([task_id]): task_id for task_id in task_ids}
        found: dict[UUID, set[datetime]] = {}
        for chunk in chunked(sorted(wanted)):
            stmt = (
                select(journal.c.row_key, journal.c.before, journal.c.after)
                .join(operations, operations.c.id == journal.c.operation_id)
                .where(
                    self._owner,
                    journal.c.table_name == "tasks",
                    journal.c.row_key.in_(chunk),
                )
            )
            for row in self.conn.execute(stmt):
                for image in (_image(row.before), _image(row.after)):
                    when = _instant((image or {}).get("completed_at"))
                    if image and image.get("completed") and when is not None:
                        found.setdefault(wanted[row.row_key], set()).add(when)
        return found

    def instances_kept_by_deletes(self) -> dict[UUID, tuple[int, datetime]]:
        """Taskwarrior's instances of a series that a task deleted here kept
        (SERIES_HINT's later ones: never tasks here), with the number that task held
        and when it was deleted, the latest delete winning.

        Deleting a series' open task ends the series; Taskwarrior still holds those
        instances, and our export writes no deleted task that would tell it.
        """
        from sqlalchemy import Text, cast, select

        from todo_cli.domain.fields import SERIES_HINT

        stmt = (
            select(journal.c.before, operations.c.created_at)
            .join(operations, operations.c.id == journal.c.operation_id)
            .where(self._owner, journal.c.table_name == "tasks", journal.c.action == "delete")
            .where(cast(journal.c.before, Text).contains(SERIES_HINT, autoescape=True))
            .order_by(journal.c.id)
        )
        kept: dict[UUID, tuple[int, datetime]] = {}
        for row in self.conn.execute(stmt):
            image = _image(row.before)
            if image is None or image.get("number") is None:
                continue
            attributes = _image(image.get("attributes"))
            hint = (attributes or {}).get(SERIES_HINT)
            later = hint.get("later") if isinstance(hint, dict) else None
            for item in later if isinstance(later, list) else ():
                with contextlib.suppress(TypeError, ValueError, AttributeError):
                    kept[UUID(item["uuid"])] = (int(image["number"]), row.created_at)
        return kept

    def _held_number(self) -> ColumnElement[Any]:
        """SQL: the number in a journal row's before image."""
        from sqlalchemy import Integer, String, cast, func, literal_column

        if self._sqlite:
            return cast(func.json_extract(journal.c.before, "$.number"), Integer)
        return cast(
            journal.c.before.op("->>", return_type=String())(literal_column("'number'")), Integer
        )

    def image_in(self, operation_id: UUID, table: str, key: Sequence[Any]) -> dict[str, Any] | None:
        """The row with this key as the operation recorded it (before its change, or
        after it where it added the row): how the user knew it."""
        from sqlalchemy import select

        row = self.conn.execute(
            select(journal.c.before, journal.c.after)
            .where(
                journal.c.operation_id == operation_id,
                journal.c.table_name == table,
                journal.c.row_key == self._key_text(key),
            )
            .order_by(journal.c.id)
            .limit(1)
        ).first()
        if row is None:
            return None
        return _image(row.before) or _image(row.after)

    def _key_text(self, values: Sequence[Any]) -> str:
        """A row key as the triggers write it (JSON text of the key's columns)."""
        if self._sqlite:
            return json.dumps([v.hex if isinstance(v, UUID) else v for v in values]).replace(
                ", ", ","
            )
        return json.dumps([str(v) if isinstance(v, UUID) else v for v in values])

    def _change(self, row: Any) -> Change:
        return Change(
            operation=row.operation_id,
            table=row.table_name,
            action=row.action,
            key=json.loads(row.row_key),
            before=_image(row.before),
            after=_image(row.after),
        )

    def latest_undoable(self, *, besides: UUID | None) -> Operation | None:
        """The user's latest operation that changed something, is not undone, and is no undo."""
        from sqlalchemy import exists, select

        changed = exists(select(journal.c.id).where(journal.c.operation_id == operations.c.id))
        stmt = (
            select(operations)
            .where(
                self._owner,
                changed,
                operations.c.undone_by.is_(None),
                operations.c.undoes.is_(None),
            )
            .order_by(operations.c.number.desc())
            .limit(1)
        )
        if besides is not None:
            stmt = stmt.where(operations.c.id != besides)
        row = self.conn.execute(stmt).first()
        return None if row is None else _operation(row)

    # --- undo -----------------------------------------------------------------

    def _key_values(self, table: str, source: str) -> list[str]:
        """SQL: the key columns' values held in the journal row_key in `source`."""
        key = journal_ddl.JOURNALED[table]
        columns = metadata.tables[table].c
        values = []
        for index, name in enumerate(key):
            if self._sqlite:
                values.append(f"json_extract({source}, '$[{index}]')")
            else:
                kind = "uuid" if columns[name].type.__class__.__name__ == "Uuid" else "text"
                values.append(f"(({source})::jsonb->>{index})::{kind}")
        return values

    def _key_match(self, table: str, alias: str, source: str) -> str:
        """SQL: the row of `table` (as `alias`) whose key is the journal row_key in `source`."""
        key = journal_ddl.JOURNALED[table]
        values = self._key_values(table, source)
        return " AND ".join(
            f"{alias}.{name} = {value}" for name, value in zip(key, values, strict=True)
        )

    def _columns(self, table: str, *, untimed: bool = False) -> list[str]:
        """The table's columns an image holds (``untimed``: without updated_at)."""
        return [
            column.name
            for column in metadata.tables[table].columns
            if not (untimed and column.name == "updated_at")
        ]

    def _image_of(self, table: str, alias: str, *, untimed: bool = False) -> str:
        """SQL: a row as the triggers record it, for comparing with a recorded image
        (``untimed``: without updated_at, as json_remove leaves a recorded one)."""
        columns = self._columns(table, untimed=untimed)
        return "json_object(" + ", ".join(f"'{c}', {alias}.{c}" for c in columns) + ")"

    def _plan_for_size(self, operation: Operation) -> None:
        """Under row security the planner takes an operation's journal rows for one
        (the policy's filter), and joined them to a table's rows pair by pair: 47 s
        to undo a bulk add of 5,000 tasks. An operation of more than a few rows is
        joined by hash, for the rest of this transaction."""
        from todo_cli.db.transaction import isolated

        # (The count comes with the tables it wrote: _written_by, no statement more.)
        if isolated(self.conn) and self._sizes.get(operation.id, 0) > 100:
            self.conn.exec_driver_sql("SET LOCAL enable_nestloop = off")

    def _spans(self, table: str) -> str:
        """SQL: each key the operation touched in `table`, its first and last change."""
        # `table_name || ''`: no index is looked up by it. Otherwise SQLite, with no
        # statistics, walks (table_name, row_key) for its GROUP BY: every change ever
        # made to the table, not this operation's (0.75 s to undo one add after a
        # 100,000-task import, 0.2 s with the operation's own index).
        return (
            "SELECT row_key, min(id) AS first, max(id) AS last FROM journal "
            f"WHERE operation_id = :op AND table_name || '' = '{table}' GROUP BY row_key"
        )

    def _written_by(self, operation: Operation) -> dict[str, set[str]]:
        """The tables the operation wrote, each with the actions it took there.

        An undo sends its statements for these alone, not one for each journaled
        table and step whatever the operation did: the undo of a note sent 37
        statements, each a round trip to a remote server; it sends 14.
        """
        found = self._written.get(operation.id)
        if found is None:
            from sqlalchemy import func, select

            found = {}
            taken = (
                select(journal.c.table_name, journal.c.action, func.count())
                .where(journal.c.operation_id == operation.id)
                .group_by(journal.c.table_name, journal.c.action)
            )
            rows = 0
            for table, action, count in self.conn.execute(taken):
                found.setdefault(table, set()).add(action)
                rows += count
            self._written[operation.id] = found
            self._sizes[operation.id] = rows
        return found

    def clashes(self, operation: Operation, *, limit: int = 10) -> list[Clash]:
        """Rows the operation touched that are no longer as it left them.

        On PostgreSQL the rows are locked first (SQLite's write lock is the whole
        file): a change another session commits while the check runs would otherwise
        be read before it, and overwritten by the revert after it.
        """
        from sqlalchemy import text

        found: list[Clash] = []
        op = operation.id.hex if self._sqlite else operation.id
        written = self._written_by(operation)
        if not self._sqlite:
            self._plan_for_size(operation)
            # The tables whose rows change in place (a row of the others is added or
            # deleted whole; locking asks for UPDATE, which members have on no column
            # of theirs).
            for table in ("tasks", "conversations"):
                if table in written:
                    key = ", ".join(f"r.{name}" for name in journal_ddl.JOURNALED[table])
                    held = ", ".join(self._key_values(table, "f.row_key"))
                    # Each statement after this one sees what the lock waited for.
                    self.conn.execute(
                        text(
                            f"SELECT 1 FROM {table} AS r WHERE ({key}) IN (SELECT {held} "
                            "FROM journal AS f WHERE f.operation_id = :op "
                            f"AND f.table_name || '' = '{table}') FOR UPDATE OF r"
                        ),
                        {"op": op},
                    ).close()
        for table in TABLE_ORDER:
            if table not in written:
                continue
            first_key = journal_ddl.JOURNALED[table][0]
            recorded = ""
            # A task's time of change is left out: an undo moves it (the undo
            # is a change, see _touch), and the undo of the operation before
            # must not read that as a clash. A change by anyone else changes
            # what the task holds, and that is compared.
            untimed = table == "tasks"
            if self._sqlite:
                image = self._image_of(table, "r", untimed=untimed)
                after = "json_remove(last.after, '$.updated_at')" if untimed else "last.after"
                # The image whole first, its columns one by one only when that
                # differs: an image a trigger wrote before a column was added (an
                # older schema, upgraded since) lacks the column, which reads as
                # NULL, what the upgrade put there, as PostgreSQL's
                # jsonb_populate_record reads it. Compared whole, every such image
                # clashed, and no undo reached past the upgrade.
                each = " OR ".join(
                    f"json_extract(last.after, '$.{c}') IS NOT r.{c}"
                    for c in self._columns(table, untimed=untimed)
                )
                differs = f"({image} IS NOT {after} AND ({each}))"
            else:
                # The columns todo keeps, not the whole row: PostgreSQL's
                # stored search vectors are derived and left out of images.
                columns = [
                    column.name
                    for column in metadata.tables[table].columns
                    if not (untimed and column.name == "updated_at")
                ]
                differs = (
                    f"ROW({', '.join('r.' + c for c in columns)}) IS DISTINCT FROM "
                    f"ROW({', '.join('p.' + c for c in columns)})"
                )
                recorded = (
                    f"LEFT JOIN LATERAL jsonb_populate_record(NULL::{table}, last.after) AS p "
                    "ON true "
                )
            sql = (
                f"WITH spans AS ({self._spans(table)}) "
                "SELECT last.row_key AS row_key, last.id AS last_id, "
                f"{self._now_image(table)} AS now_image "
                "FROM spans JOIN journal AS last ON last.id = spans.last "
                f"{recorded}"
                f"LEFT JOIN {table} AS r ON {self._key_match(table, 'r', 'last.row_key')} "
                f"WHERE (last.after IS NULL AND r.{first_key} IS NOT NULL) "
                f"OR (last.after IS NOT NULL AND (r.{first_key} IS NULL OR {differs})) "
                f"LIMIT {limit}"
            )
            for row in self.conn.execute(text(sql), {"op": op}):
                # Gone now (a row the operation left there): deleted since, not changed.
                gone = row.now_image is None
                found.append(self._clash(table, row, row.last_id, "deleted" if gone else "changed"))
            if len(found) >= limit:
                break
        if len(found) < limit and "delete" in written.get("tasks", ()):
            found += self._numbers_taken(operation, limit - len(found))
        if len(found) < limit:
            found += self._added_since(operation, written, limit - len(found))
        return found[:limit]

    def _numbers_taken(self, operation: Operation, limit: int) -> list[Clash]:
        """Tasks that now hold the number of a task the operation deleted (a write
        outside todo can give one out): the task cannot come back under it."""
        from sqlalchemy import text

        op = operation.id.hex if self._sqlite else operation.id
        if self._sqlite:
            held = (
                "r.user_id = json_extract(f.before, '$.user_id') "
                "AND r.number = json_extract(f.before, '$.number')"
            )
        else:
            held = (
                "r.user_id = (f.before->>'user_id')::uuid "
                "AND r.number = (f.before->>'number')::integer"
            )
        row_key = journal_ddl.row_key_of("r", journal_ddl.JOURNALED["tasks"], sqlite=self._sqlite)
        sql = (
            f"WITH spans AS ({self._spans('tasks')}) "
            f"SELECT {row_key} AS row_key, {self._now_image('tasks')} AS now_image "
            "FROM spans JOIN journal AS f ON f.id = spans.first "
            "JOIN journal AS l ON l.id = spans.last "
            f"JOIN tasks AS r ON {held} "
            f"WHERE f.action <> 'insert' AND l.action = 'delete' "
            # Not a task the operation added (an import's task that took the id of one
            # it deleted, keeping its number): the undo takes it away first.
            f"AND {row_key} NOT IN (SELECT s.row_key FROM spans AS s "
            "JOIN journal AS i ON i.id = s.first WHERE i.action = 'insert') "
            f"LIMIT {limit}"
        )
        rows = self.conn.execute(text(sql), {"op": op}).all()
        if not rows:
            return []
        last = self._last_id(operation.id)
        return [self._clash("tasks", row, last, "number") for row in rows]

    def _added_since(
        self, operation: Operation, written: dict[str, set[str]], limit: int
    ) -> list[Clash]:
        """Rows written since the operation into a row it added: a note, tag, dependency
        or message that undoing it would delete with that row (the cascade).

        None of them is a row the operation touched, so the comparison of clashes
        cannot see them: they are the rows held by what it added that its own
        journal does not name. (Asked of its rows, not of the later operations':
        under row security a change made outside todo is not shown to a member.)
        """
        from sqlalchemy import exists, func, select, text

        from todo_cli.db.transaction import isolated

        holding = [
            (child, fk.parent.name, fk.column.table.name)
            for child in TABLE_ORDER
            for fk in metadata.tables[child].foreign_keys
            if "insert" in written.get(fk.column.table.name, ())
        ]
        if not holding:
            return []
        if not isolated(self.conn):
            # Every write is journaled: with no journal row written since into a table
            # that could hold such a row, there is none (and nothing to ask its rows,
            # a second and a half for an import of 100,000 tasks). Under row security
            # a change made outside todo is not shown to a member: ask them.
            last = select(func.max(journal.c.id)).where(journal.c.operation_id == operation.id)
            since = exists().where(
                journal.c.id > last.scalar_subquery(),
                journal.c.table_name.in_([child for child, _, _ in holding]),
            )
            if not self.conn.execute(select(since)).scalar():
                return []
        op = operation.id.hex if self._sqlite else operation.id
        found: list[Clash] = []
        for child, column, parent in holding:
            row_key = journal_ddl.row_key_of("r", journal_ddl.JOURNALED[child], sqlite=self._sqlite)
            (parent_key,) = self._key_values(parent, "f.row_key")
            # Rows it inserted and deleted again hold nothing (the foreign key).
            sql = (
                f"SELECT {row_key} AS row_key, {self._now_image(child)} AS now_image "
                f"FROM {child} AS r WHERE r.{column} IN (SELECT {parent_key} "
                "FROM journal AS f WHERE f.operation_id = :op "
                f"AND f.table_name || '' = '{parent}' AND f.action = 'insert') "  # see _spans
                # NOT IN, not NOT EXISTS: a set hashed once (row keys are never null).
                # Under row security the planner expects one journal row, and the anti
                # join it made of NOT EXISTS compared every pair: 4 s for 1,000 tasks.
                f"AND {row_key} NOT IN (SELECT j.row_key FROM journal AS j "
                f"WHERE j.table_name = '{child}' AND j.operation_id = :op) "
                f"LIMIT {limit - len(found)}"
            )
            for row in self.conn.execute(text(sql), {"op": op}):
                found.append(self._clash(child, row, self._last_id(operation.id), "added"))
            if len(found) >= limit:
                break
        return found

    def _clash(self, table: str, row: Any, after_id: int, kind: str = "changed") -> Clash:
        """A row (its row_key and now_image) that clashes, with the first later operation
        that wrote it past journal row `after_id`."""
        later, foreign, before = self._later(table, row.row_key, after_id)
        # A row deleted since has no image now: the one it had before that change
        # names it ("task #7", not "a row of tasks").
        image = _image(row.now_image) or before
        return Clash(
            table=table,
            key=json.loads(row.row_key),
            image=None if foreign else image,
            later=None if foreign else later,
            kind=kind,
            foreign=foreign,
        )

    def _last_id(self, operation_id: UUID) -> int:
        from sqlalchemy import func, select

        stmt = select(func.max(journal.c.id)).where(journal.c.operation_id == operation_id)
        return int(self.conn.execute(stmt).scalar_one())

    def _now_image(self, table: str) -> str:
        first_key = journal_ddl.JOURNALED[table][0]
        if self._sqlite:
            columns = [column.name for column in metadata.tables[table].columns]
            inner = ", ".join(f"'{c}', r.{c}" for c in columns)
            return f"CASE WHEN r.{first_key} IS NULL THEN NULL ELSE json_object({inner}) END"
        derived = f" - '{SEARCH_VECTOR}'" if table in PG_SEARCH_VECTORS else ""
        return f"CASE WHEN r.{first_key} IS NULL THEN NULL ELSE to_jsonb(r){derived} END"

    def _later(
        self, table: str, row_key: str, after_id: int
    ) -> tuple[Operation | None, bool, dict[str, Any] | None]:
        """The first operation after `after_id` that touched this row and is not undone,
        whether it is another user's (one outside todo is no one's), and the row's
        image before that change.

        An undo is never that change: it puts rows back as they were after the
        operations before it, so what clashes is another change (one outside todo
        after `todo undo` was blamed on the undo, with "undo the later operation
        first", which undo never does); under row security, one this user cannot
        see (None: "by another process").
        """
        from sqlalchemy import select

        theirs = (operations.c.user_id.is_not(None)) & (
            operations.c.user_id != user_id_of(self.user)
        )
        stmt = (
            select(operations, theirs.label("foreign"), journal.c.before.label("row_before"))
            .join(journal, journal.c.operation_id == operations.c.id)
            .where(
                journal.c.table_name == table,
                journal.c.row_key == row_key,
                journal.c.id > after_id,
                operations.c.undone_by.is_(None),
                operations.c.undoes.is_(None),
            )
            .order_by(journal.c.id)
            .limit(1)
        )
        row = self.conn.execute(stmt).first()
        if row is None:
            return None, False, None
        return _operation(row), bool(row.foreign), _image(row.row_before)

    def plan(self, operation: Operation) -> Plan:
        """What undoing `operation` would do, counted (nothing is changed)."""
        from sqlalchemy import text

        op = operation.id.hex if self._sqlite else operation.id
        removed: dict[str, int] = {}
        reverted: dict[str, int] = {}
        restored: dict[str, int] = {}
        written = self._written_by(operation)
        for table in TABLE_ORDER:
            if table not in written:
                continue
            sql = (
                f"WITH spans AS ({self._spans(table)}) "
                "SELECT "
                "sum(CASE WHEN f.action = 'insert' AND l.action <> 'delete' THEN 1 ELSE 0 END), "
                "sum(CASE WHEN f.action <> 'insert' AND l.action <> 'delete' THEN 1 ELSE 0 END), "
                "sum(CASE WHEN f.action <> 'insert' AND l.action = 'delete' THEN 1 ELSE 0 END) "
                "FROM spans JOIN journal AS f ON f.id = spans.first "
                "JOIN journal AS l ON l.id = spans.last"
            )
            gone, back, again = self.conn.execute(text(sql), {"op": op}).one()
            for counts, value in ((removed, gone), (reverted, back), (restored, again)):
                if value:
                    counts[table] = int(value)
        sampled = self._samples({operation.id: self._written_by(operation)})[operation.id]
        tasks = [change for change in sampled if change.table == "tasks"]
        others = [change for change in sampled if change.table != "tasks"]
        return Plan(removed, reverted, restored, tasks, others)

    def revert(self, operation: Operation) -> None:
        """Put every row the operation touched back as it was before it.

        Rows it added go first (children before parents), then rows it
        changed are set back, then rows it deleted come back (parents before
        children), each table in one statement.
        """
        from sqlalchemy import text

        from todo_cli.db.engine import widen_sqlite_cache

        # Undoing a bulk add deletes rows all over the same B-trees it wrote.
        widen_sqlite_cache(self.conn)
        op = operation.id.hex if self._sqlite else operation.id
        written = self._written_by(operation)
        # Each step only where the operation took the actions it reverts: rows it
        # added (an insert first), rows it changed (an update, or a delete then an
        # insert of the same key: there at the end), rows it deleted (a delete last).
        actions = {table: written.get(table, set()) for table in TABLE_ORDER}
        adding = [table for table, taken in actions.items() if "insert" in taken]
        changing = [
            table
            for table, taken in actions.items()
            if "update" in taken or {"delete", "insert"} <= taken
        ]
        deleting = [table for table, taken in actions.items() if "delete" in taken]
        for table in reversed(adding):
            # IN (a subquery run once), not a correlated EXISTS: SQLite would
            # rescan the spans for every row of the table, quadratic in a
            # 100,000-task bulk add (hours instead of seconds).
            key = ", ".join(journal_ddl.JOURNALED[table])
            values = ", ".join(self._key_values(table, "f.row_key"))
            sql = (
                f"WITH spans AS ({self._spans(table)}) "
                f"DELETE FROM {table} WHERE ({key}) IN (SELECT {values} FROM spans "
                "JOIN journal AS f ON f.id = spans.first JOIN journal AS l ON l.id = spans.last "
                "WHERE f.action = 'insert' AND l.action <> 'delete')"
            )
            self.conn.execute(text(sql), {"op": op})
        for table in changing:
            self._set_back(table, op)
        for table in deleting:
            self._restore(table, op)

    def _firsts(self, table: str, condition: str) -> str:
        return (
            f"WITH spans AS ({self._spans(table)}) "
            "SELECT f.row_key AS row_key, f.before AS before FROM spans "
            "JOIN journal AS f ON f.id = spans.first JOIN journal AS l ON l.id = spans.last "
            f"WHERE {condition}"
        )

    def _set_back(self, table: str, op: Any) -> None:
        """Rows the operation changed (and left) get their values from before it.

        A task's updated_at is the time of the undo, and never before the time
        it has: the undo is a change like any other (SPEC: updated_at moves on
        every change). Set back to the time of the change undone (or stamped by
        a clock behind it), a task would read as older than an export taken
        before the undo, and importing that export would bring back what was
        undone. (A task that comes back from a delete keeps its time: it
        is the task as it was.)
        """
        from datetime import UTC, datetime

        from sqlalchemy import bindparam, text

        from todo_cli.db.schema import UTCDateTime, just_after

        key = journal_ddl.JOURNALED[table]
        columns = [c.name for c in metadata.tables[table].columns if c.name not in key]
        if not columns:
            return  # a table of keys alone (tags, dependencies) has nothing to set back
        timed = table == "tasks"
        firsts = self._firsts(table, "f.action <> 'insert' AND l.action <> 'delete'")
        # Never before its creation, whatever the clock says now (a clock set back):
        # the CHECK on tasks would refuse the undo. Nor before the change it takes
        # back (a clock behind the one that made it): the undo is a change after it.
        after = just_after(f"{table}.updated_at", "sqlite" if self._sqlite else "postgresql")
        if self._sqlite:
            sets = ", ".join(
                f"{c} = max(:now, json_extract(o.before, '$.created_at'), {after})"
                if timed and c == "updated_at"
                else f"{c} = json_extract(o.before, '$.{c}')"
                for c in columns
            )
            match = self._key_match(table, table, "o.row_key")
            statement = f"UPDATE {table} SET {sets} FROM ({firsts}) AS o WHERE {match}"
        else:
            sets = ", ".join(
                f"{c} = GREATEST(:now, o.created_at, {after})"
                if timed and c == "updated_at"
                else f"{c} = o.{c}"
                for c in columns
            )
            match = " AND ".join(f"{table}.{c} = o.{c}" for c in key)
            statement = (
                f"UPDATE {table} SET {sets} FROM (SELECT (jsonb_populate_record(NULL::{table}, "
                f"x.before)).* FROM ({firsts}) AS x) AS o WHERE {match}"
            )
        if not timed:
            self.conn.execute(text(statement), {"op": op})
            return
        query = text(statement).bindparams(bindparam("now", type_=UTCDateTime()))
        self.conn.execute(query, {"op": op, "now": datetime.now(UTC)})

    def _restore(self, table: str, op: Any) -> None:
        from sqlalchemy import text

        columns = [c.name for c in metadata.tables[table].columns]
        firsts = self._firsts(table, "f.action <> 'insert' AND l.action = 'delete'")
        names = ", ".join(columns)
        if self._sqlite:
            values = ", ".join(f"json_extract(x.before, '$.{c}')" for c in columns)
            statement = f"INSERT INTO {table} ({names}) SELECT {values} FROM ({firsts}) AS x"
        else:
            statement = (
                f"INSERT INTO {table} ({names}) SELECT {', '.join('o.' + c for c in columns)} "
                f"FROM (SELECT (jsonb_populate_record(NULL::{table}, x.before)).* "
                f"FROM ({firsts}) AS x) AS o"
            )
        self.conn.execute(text(statement), {"op": op})

    def mark_undone(self, operation: Operation, by: UUID) -> None:
        """Link the operation and the undo `by` both ways, in one statement."""
        from sqlalchemy import case, literal, update

        undone, undo = operation.id, by
        self.conn.execute(
            update(operations)
            .where(operations.c.id.in_([undone, undo]))
            .values(
                undone_by=case(
                    (operations.c.id == undone, literal(undo, operations.c.undone_by.type)),
                    else_=operations.c.undone_by,
                ),
                undoes=case(
                    (operations.c.id == undo, literal(undone, operations.c.undoes.type)),
                    else_=operations.c.undoes,
                ),
            )
        )

    def _prunable(self, before: datetime) -> list[ColumnElement[bool]]:
        """The user's operations older than `before`, each undo going with what it undid,
        as conditions that together select them (each within the limits on parameters).

        An undo is pruned exactly when the operation it undid is (an undo of an undo
        with that one, and so on), whatever its own age: with what it undid gone it
        would read as a change of its own, and undo would redo it; kept while that is
        pruned (a clock set back: the undo dated before what it undid), history would
        show a change the data does not hold, no longer undone.
        """
        from sqlalchemy import and_, select

        rows = self.conn.execute(
            select(operations.c.id, operations.c.undoes).where(
                self._owner, operations.c.undoes.is_not(None)
            )
        )
        undid: dict[UUID, UUID] = {undo: target for undo, target in rows}

        def first(undo: UUID) -> UUID:
            seen = {undo}
            target = undid[undo]
            while target in undid and target not in seen:
                seen.add(target)
                target = undid[target]
            return target

        roots = {undo: first(undo) for undo in undid}
        old: set[UUID] = set()
        for chunk in chunked(sorted(set(roots.values()))):
            old.update(
                self.conn.execute(
                    select(operations.c.id).where(
                        self._owner, operations.c.id.in_(chunk), operations.c.created_at < before
                    )
                ).scalars()
            )
        undos = sorted(undo for undo, root in roots.items() if root in old)
        plain = and_(self._owner, operations.c.created_at < before, operations.c.undoes.is_(None))
        return [plain, *(and_(self._owner, operations.c.id.in_(chunk)) for chunk in chunked(undos))]

    def prune_count(self, before: datetime) -> int:
        """How many operations `prune(before)` deletes that `history` lists."""
        return sum(self._listed(prunable) for prunable in self._prunable(before))

    def _listed(self, prunable: ColumnElement[bool]) -> int:
        from sqlalchemy import exists, func, select

        changed = exists(select(journal.c.id).where(journal.c.operation_id == operations.c.id))
        return int(
            self.conn.execute(
                select(func.count()).select_from(operations).where(prunable, changed)
            ).scalar_one()
        )

    def prune(self, before: datetime) -> int:
        """Delete the user's operations older than `before` (their changes go with them),
        each undo with what it undid. Returns how many of them `history` listed."""
        from sqlalchemy import delete

        listed = 0
        # The prune's own operation stays (it records nothing: history and undo pass it
        # over): it tells an import that which numbers deleted tasks held is no longer
        # all in the journal (ImportWriter.pruned).
        own = self.conn.info.get("todo_operation")
        for prunable in self._prunable(before):
            listed += self._listed(prunable)
            kept = prunable if own is None else prunable & (operations.c.id != own)
            self.conn.execute(delete(operations).where(kept))
        return listed


__all__ = [
    "Change",
    "Clash",
    "JournalRepository",
    "Operation",
    "Plan",
    "Summary",
]
