"""The operation a write transaction is recorded under: opened first, closed last.

Every command that writes opens one (``db.transaction``); the journal's
triggers attach each changed row to it (``db.journal_ddl``). Apart from
:mod:`todo_cli.repository.journal`, which reads and undoes operations: a write
command needs only these few statements, not the journal's reader.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from todo_cli.db.schema import journal, operations
from todo_cli.domain.ids import new_id
from todo_cli.repository.users import take_numbers, upsert_taking_numbers

if TYPE_CHECKING:
    from sqlalchemy import Connection


def begin(conn: Connection, user: str, command: str, now: datetime) -> UUID:
    """Open the operation a write transaction's changes are recorded under.

    On PostgreSQL one statement makes the user if missing, takes the next
    operation number and stamps the transaction id the triggers look for.
    """
    from sqlalchemy import Text, cast, func, literal, select

    operation_id = new_id()
    if conn.dialect.name == "postgresql":
        user_row = upsert_taking_numbers("postgresql", user, "operation_counter", 1, now).cte("u")
        source = select(
            literal(operation_id, operations.c.id.type),
            user_row.c.id,
            user_row.c.operation_counter,
            literal(now, operations.c.created_at.type),
            literal(command, operations.c.command.type),
            func.txid_current(),
        )
        columns = ["id", "user_id", "number", "created_at", "command", "txid"]
        # The same statement names the operation for the journal's triggers
        # (revision 0010): they honour the name for this transaction's id only.
        named = func.set_config("todo.operation", cast(operations.c.id, Text), True)
        conn.execute(operations.insert().from_select(columns, source).returning(named))
        return operation_id
    user_id, number = take_numbers(conn, user, "operation_counter", 1, now)
    conn.execute(
        operations.insert().values(
            id=operation_id,
            user_id=user_id,
            number=number,
            created_at=now,
            command=command,
            open=True,
        )
    )
    return operation_id


def finish(conn: Connection) -> None:
    """SQLite: the operation is written; later writes belong to another."""
    from sqlalchemy import update

    if conn.dialect.name == "sqlite":
        conn.execute(update(operations).where(operations.c.open.is_(True)).values(open=False))


def discard_if_empty(conn: Connection) -> None:
    """Drop this transaction's operation when nothing was recorded under it.

    For commands that know they may have changed nothing (an import of what is
    already here): an empty operation would only use up a number. Its number
    stays unused, as an undone add's task numbers do.
    """
    from sqlalchemy import delete, exists, select

    operation_id = conn.info.get("todo_operation")
    if operation_id is None:
        return
    recorded = exists(select(journal.c.id).where(journal.c.operation_id == operation_id))
    conn.execute(delete(operations).where(operations.c.id == operation_id, ~recorded))
