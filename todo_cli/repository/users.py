"""Users: made on first write, and the counters that number their things."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID, uuid4

from todo_cli.db.schema import users

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.sql.elements import ColumnElement

Counter = Literal["task_counter", "conversation_counter", "operation_counter"]


def user_id_of(name: str) -> ColumnElement[Any]:
    """A scalar subquery for the user's id, so reads need no separate lookup."""
    from sqlalchemy import select

    return select(users.c.id).where(users.c.name == name).scalar_subquery()


def upsert_taking_numbers(
    dialect_name: str, name: str, counter: Counter, count: int, now: datetime
) -> Any:
    """An INSERT .. ON CONFLICT that makes the user if missing and advances a counter.

    It returns ``(id, counter)``: the last of ``count`` numbers now reserved.
    The conflict update takes the user's row lock (PostgreSQL) inside the
    write transaction (SQLite's BEGIN IMMEDIATE), so concurrent adders each get
    their own numbers, and a number is never handed out twice.
    """
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]

    from sqlalchemy import false, literal_column, null

    column = users.c[counter]
    # The row a member's own login would make is theirs (granted); one an admin
    # makes for a name (`--user alice`) is not, until `todo db grant` says so.
    # Under row security the proposed row is checked too, even when the user's
    # row exists and only its counter moves: it must read as theirs.
    granted = literal_column("session_user") == name if dialect_name == "postgresql" else false()
    # And it is the very role's (revision 0017), as a grant binds it.
    role_oid = (
        literal_column(
            "(SELECT r.oid::bigint FROM pg_catalog.pg_roles r WHERE r.rolname = session_user)"
        )
        if dialect_name == "postgresql"
        else null()
    )
    return (
        insert(users)
        .values(
            id=uuid4(),
            name=name,
            created_at=now,
            task_counter=count if counter == "task_counter" else 0,
            conversation_counter=count if counter == "conversation_counter" else 0,
            operation_counter=count if counter == "operation_counter" else 0,
            granted=granted,
            role_oid=role_oid,
        )
        .on_conflict_do_update(
            index_elements=[users.c.name],
            set_={counter: _past_held(dialect_name, counter, column) + count},
        )
        .returning(users.c.id, column)
    )


def _past_held(dialect_name: str, counter: Counter, column: Any) -> Any:
    """The counter, or the largest number a row of the user holds if that is higher.

    A row written outside todo (psql, sqlite3) with a number above the counter
    made the next `todo add` take that number again, and the unique key refuse
    it, and every add after it, until the row went. The largest is read from the
    (user_id, number) key's index, in the same statement.
    """
    from sqlalchemy import func, literal_column, select

    from todo_cli.db.schema import conversations, tasks

    table = {"task_counter": tasks, "conversation_counter": conversations}.get(counter)
    if table is None:
        return column  # operations: numbered by todo alone
    held = (
        select(func.coalesce(func.max(table.c.number), 0))
        # The row being updated. Not users.c.id: an INSERT's subquery is correlated
        # with nothing, and it read every user's rows (FROM tasks, users).
        .where(table.c.user_id == literal_column("users.id"))
        .scalar_subquery()
    )
    # (SQLite's max() of two arguments is PostgreSQL's greatest().)
    return func.greatest(column, held) if dialect_name == "postgresql" else func.max(column, held)


# The largest number a PostgreSQL integer holds: numbers end there on both backends
# (SQLite's go on, and its export would then be refused by every import).
NUMBER_MAX = 2**31 - 1


def take_numbers(
    conn: Connection, name: str, counter: Counter, count: int, now: datetime
) -> tuple[UUID, int]:
    """Make the user if missing and reserve `count` numbers; returns (user id, first number)."""
    stmt = upsert_taking_numbers(conn.dialect.name, name, counter, count, now)
    user_id, last = numbered(conn, stmt, counter, count).one()
    if last > NUMBER_MAX:
        raise numbers_used_up(counter, count)
    return user_id, last - count + 1


def numbered(conn: Connection, stmt: Any, counter: Counter, count: int) -> Any:
    """The result of a statement that advances `counter` by `count`.

    Past NUMBER_MAX, PostgreSQL refuses the update ("integer out of range"): said
    as the input error it is (exit 2), not as a database failure (exit 3).
    """
    from sqlalchemy.exc import DataError

    try:
        return conn.execute(stmt)
    except DataError as exc:
        if "out of range" not in str(exc.orig):
            raise
        raise numbers_used_up(counter, count) from None


def numbers_used_up(counter: Counter, count: int) -> Exception:
    from todo_cli.errors import InvalidInput

    noun = counter.removesuffix("_counter")
    wanted = "" if count == 1 else f" for {count} new {noun}s"
    return InvalidInput(
        f"no {noun} number is left{wanted}: #{NUMBER_MAX} is the largest",
        hint="nothing was changed",
    )
