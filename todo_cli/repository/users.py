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
        .on_conflict_do_update(index_elements=[users.c.name], set_={counter: column + count})
        .returning(users.c.id, column)
    )


def take_numbers(
    conn: Connection, name: str, counter: Counter, count: int, now: datetime
) -> tuple[UUID, int]:
    """Make the user if missing and reserve `count` numbers; returns (user id, first number)."""
    stmt = upsert_taking_numbers(conn.dialect.name, name, counter, count, now)
    user_id, last = conn.execute(stmt).one()
    return user_id, last - count + 1
