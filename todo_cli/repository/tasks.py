"""Tasks of one user."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import uuid4

from todo_cli.models import Task, TaskCreate, TaskUpdate
from todo_cli.repository.refs import Ref, resolve
from todo_cli.repository.users import take_numbers, upsert_taking_numbers, user_id_of
from todo_cli.schema import tasks

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row

Status = Literal["open", "done", "all"]
SortKey = Literal["number", "created", "updated", "title", "completed"]

# Rows fetched per round trip when streaming a long list.
STREAM_BATCH = 2000
# A list bigger than this streams through a server-side cursor on PostgreSQL;
# a smaller one comes back in the one round trip of a plain query.
STREAM_THRESHOLD = 1000


def _now() -> datetime:
    return datetime.now(UTC)


def _task(row: Row[Any]) -> Task:
    # Rows come from our own CHECKed tables: they are not validated again,
    # which keeps a 100,000-row export fast.
    return Task(
        id=row.id,
        number=row.number,
        title=row.title,
        description=row.description,
        completed=row.completed,
        completed_at=row.completed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True)
class TaskQuery:
    """Which of the user's tasks a listing wants, and in what order."""

    status: Status = "open"
    search: str | None = None
    sort: SortKey = "number"
    reverse: bool = False
    limit: int | None = None


class AddedTasks:
    """What a bulk add wrote: its number range, and its tasks on demand."""

    def __init__(self, rows: list[dict[str, Any]], now: datetime) -> None:
        self._rows = rows
        self._now = now

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def first(self) -> int:
        return int(self._rows[0]["number"])

    @property
    def last(self) -> int:
        return int(self._rows[-1]["number"])

    def __iter__(self) -> Iterator[Task]:
        for row in self._rows:
            yield Task(
                id=row["id"],
                number=row["number"],
                title=row["title"],
                description=row["description"],
                completed=False,
                completed_at=None,
                created_at=self._now,
                updated_at=self._now,
            )


class TaskRepository:
    """The current user's tasks, over the caller's connection and transaction."""

    def __init__(self, conn: Connection, user: str) -> None:
        self.conn = conn
        self.user = user
        self._owner = tasks.c.user_id == user_id_of(user)

    # --- writes -----------------------------------------------------------

    def add(self, new: TaskCreate) -> Task:
        """Add one task: on PostgreSQL, one statement and one round trip."""
        now = _now()
        task_id = uuid4()
        if self.conn.dialect.name == "postgresql":
            return self._add_in_one_statement(new, task_id, now)
        user_id, number = take_numbers(self.conn, self.user, "task_counter", 1, now)
        self.conn.execute(tasks.insert().values(self._row(new, task_id, user_id, number, now)))
        return Task(
            id=task_id,
            number=number,
            title=new.title,
            description=new.description,
            completed=False,
            completed_at=None,
            created_at=now,
            updated_at=now,
        )

    def _add_in_one_statement(self, new: TaskCreate, task_id: Any, now: datetime) -> Task:
        from sqlalchemy import false, literal, null, select

        user = upsert_taking_numbers("postgresql", self.user, "task_counter", 1, now).cte("u")
        source = select(
            literal(task_id, tasks.c.id.type),
            user.c.id,
            user.c.task_counter,
            literal(new.title, tasks.c.title.type),
            literal(new.description, tasks.c.description.type)
            if new.description is not None
            else null(),
            false(),
            null(),
            literal(now, tasks.c.created_at.type),
            literal(now, tasks.c.updated_at.type),
        )
        stmt = (
            tasks.insert()
            .from_select(
                [
                    "id",
                    "user_id",
                    "number",
                    "title",
                    "description",
                    "completed",
                    "completed_at",
                    "created_at",
                    "updated_at",
                ],
                source,
            )
            .returning(*tasks.c)
        )
        return _task(self.conn.execute(stmt).one())

    def add_many(self, new: Sequence[TaskCreate]) -> AddedTasks:
        """Add tasks in bulk: one counter update, then COPY (PostgreSQL) or executemany.

        The models of what was added are built only if the caller iterates
        the result (``--json``): for 100,000 tasks that is most of the cost.
        """
        now = _now()
        if not new:
            return AddedTasks([], now)
        user_id, first = take_numbers(self.conn, self.user, "task_counter", len(new), now)
        rows = [
            self._row(item, uuid4(), user_id, first + offset, now)
            for offset, item in enumerate(new)
        ]
        if self.conn.dialect.name == "postgresql":
            self._copy_in(rows)
        else:
            self.conn.execute(tasks.insert(), rows)
        return AddedTasks(rows, now)

    def _copy_in(self, rows: list[dict[str, Any]]) -> None:
        """COPY rows in on the command's own connection and transaction.

        Multi-row INSERTs spend most of their time in the driver splitting and
        binding 9,000-parameter statements; COPY streams rows in psycopg's C
        code, several times faster for a bulk add of 100,000 tasks.
        """
        columns = list(rows[0])
        raw: Any = self.conn.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY tasks ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row[column] for column in columns])

    @staticmethod
    def _row(
        new: TaskCreate, task_id: Any, user_id: Any, number: int, now: datetime
    ) -> dict[str, Any]:
        return {
            "id": task_id,
            "user_id": user_id,
            "number": number,
            "title": new.title,
            "description": new.description,
            "completed": False,
            "completed_at": None,
            "created_at": now,
            "updated_at": now,
        }

    def set_completed(self, refs: Sequence[Ref], completed: bool) -> list[tuple[Task, bool]]:
        """Complete (or reopen) tasks; returns each task and whether it changed.

        A task already in the wanted state is left exactly as it was, its
        updated_at included: nothing changed.
        """
        from sqlalchemy import update

        found = resolve(self.conn, tasks, self._owner, refs, "task")
        to_change = [row.id for row in found if row.completed != completed]
        changed: dict[Any, Task] = {}
        if to_change:
            now = _now()
            stmt = (
                update(tasks)
                .where(tasks.c.id.in_(to_change))
                .values(
                    completed=completed, completed_at=now if completed else None, updated_at=now
                )
                .returning(*tasks.c)
            )
            changed = {row.id: _task(row) for row in self.conn.execute(stmt)}
        return [(changed.get(row.id) or _task(row), row.id in changed) for row in found]

    def edit(self, ref: Ref, changes: TaskUpdate) -> Task:
        from sqlalchemy import update

        (row,) = resolve(self.conn, tasks, self._owner, [ref], "task")
        values: dict[str, Any] = changes.changes()
        if not values:
            return _task(row)
        values["updated_at"] = _now()
        stmt = update(tasks).where(tasks.c.id == row.id).values(**values).returning(*tasks.c)
        return _task(self.conn.execute(stmt).one())

    def delete(self, refs: Sequence[Ref]) -> list[Task]:
        from sqlalchemy import delete

        found = resolve(self.conn, tasks, self._owner, refs, "task")
        ids = [row.id for row in found]
        self.conn.execute(delete(tasks).where(tasks.c.id.in_(ids)))
        return [_task(row) for row in found]

    # --- reads ------------------------------------------------------------

    def get_many(self, refs: Sequence[Ref]) -> list[Task]:
        return [_task(row) for row in resolve(self.conn, tasks, self._owner, refs, "task")]

    def get(self, ref: Ref) -> Task:
        return self.get_many([ref])[0]

    def find(self, query: TaskQuery, *, stream: bool = False) -> Iterator[Task]:
        """The user's tasks, in order.

        With ``stream`` a long list comes in batches (a server-side cursor on
        PostgreSQL), so 100,000 tasks never sit in memory at once; without it,
        the rows come in the one round trip of a plain query.
        """
        from sqlalchemy import select

        stmt = self._filtered(select(tasks), query)
        if stream and (query.limit is None or query.limit > STREAM_THRESHOLD):
            stmt = stmt.execution_options(yield_per=STREAM_BATCH)
        for row in self.conn.execute(stmt):
            yield _task(row)

    def find_as_json(self, query: TaskQuery) -> Iterator[str]:
        """The same tasks as :meth:`find`, each already encoded as a JSON object.

        The database builds the JSON (SQLite's json_object, PostgreSQL's
        row_to_json): exporting 100,000 tasks through Python objects costs
        four times as long. The output is byte for byte what
        ``render.task_json`` gives for the same task, which a test holds.
        Streams in batches, so memory stays flat however long the list.
        """
        stmt = self._filtered(self._json_select(), query)
        if query.limit is None or query.limit > STREAM_THRESHOLD:
            stmt = stmt.execution_options(yield_per=STREAM_BATCH)
        for (encoded,) in self.conn.execute(stmt):
            yield encoded

    def _json_select(self) -> Any:
        from sqlalchemy import String, Text, case, cast, func, literal_column, select, true

        if self.conn.dialect.name == "postgresql":

            def stamp(column: Any) -> Any:
                return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')

            fields = (
                select(
                    cast(tasks.c.id, String).label("id"),
                    tasks.c.number,
                    tasks.c.title,
                    tasks.c.description,
                    tasks.c.completed,
                    stamp(tasks.c.completed_at).label("completed_at"),
                    stamp(tasks.c.created_at).label("created_at"),
                    stamp(tasks.c.updated_at).label("updated_at"),
                )
                .correlate(tasks)
                .lateral("t")
            )
            # As text: psycopg would otherwise parse the JSON back into dicts.
            return select(cast(func.row_to_json(literal_column("t")), Text)).select_from(
                tasks.join(fields, true())
            )

        # SQLite keeps a UUID as 32 hex digits and a time as ISO 8601 UTC text
        # (see schema.UTCDateTime): both need only dressing up.
        raw_id = cast(tasks.c.id, String)
        dashed = (
            func.substr(raw_id, 1, 8)
            + "-"
            + func.substr(raw_id, 9, 4)
            + "-"
            + func.substr(raw_id, 13, 4)
            + "-"
            + func.substr(raw_id, 17, 4)
            + "-"
            + func.substr(raw_id, 21)
        )

        def zulu(column: Any) -> Any:
            return cast(column, String) + "Z"

        return select(
            func.json_object(
                "id",
                dashed,
                "number",
                tasks.c.number,
                "title",
                tasks.c.title,
                "description",
                tasks.c.description,
                "completed",
                func.json(case((tasks.c.completed, "true"), else_="false")),
                "completed_at",
                case((tasks.c.completed_at.is_(None), None), else_=zulu(tasks.c.completed_at)),
                "created_at",
                zulu(tasks.c.created_at),
                "updated_at",
                zulu(tasks.c.updated_at),
            )
        )

    def _filtered(self, stmt: Any, query: TaskQuery) -> Any:
        from sqlalchemy import or_

        stmt = stmt.where(self._owner)
        if query.status != "all":
            stmt = stmt.where(tasks.c.completed.is_(query.status == "done"))
        if query.search:
            stmt = stmt.where(
                or_(
                    tasks.c.title.icontains(query.search, autoescape=True),
                    tasks.c.description.icontains(query.search, autoescape=True),
                )
            )
        key = {
            "number": tasks.c.number,
            "created": tasks.c.created_at,
            "updated": tasks.c.updated_at,
            "title": tasks.c.title,
            "completed": tasks.c.completed_at,
        }[query.sort]
        order = [key.desc() if query.reverse else key.asc()]
        if query.sort != "number":
            order.append(tasks.c.number.desc() if query.reverse else tasks.c.number.asc())
        stmt = stmt.order_by(*order)
        if query.limit is not None:
            stmt = stmt.limit(query.limit)
        return stmt
