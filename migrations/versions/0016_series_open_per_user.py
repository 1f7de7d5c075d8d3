"""tasks: one open task per series and user, not per series across users

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

A series id comes with a task into another user's list: bob imports alice's
export, and todo.txt derives a recurring line's series from its words, the
same in every file. The unique index that keeps a series to one open task
(uq_tasks_series_id_open) held the id across users: bob's import, alice's own
`reopen` and `undo` failed on a row of the other's, with the database's raw
error, and where members are kept apart it told one whether another holds a
series. The index is now on (user_id, series_id), under the same name, with
the same condition.

The downgrade puts the index on the series alone back. Where several users
have an open task in one series, each user's tasks of it after the first
user's get a series id of their own (said and asked before, as rows it
changes): the old index could not be made over them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Connection

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_tasks_series_id_open"
# Frozen: a revision is history.
OPEN_IN_SERIES = "series_id IS NOT NULL AND NOT completed"

# (user, series) pairs whose tasks the downgrade moves to a series of their own: a
# series open under several users, every user's but the first one's.
SHARED = sa.text(
    "SELECT t.user_id, t.series_id FROM tasks t "
    "WHERE t.series_id IS NOT NULL AND EXISTS ("
    " SELECT 1 FROM tasks o WHERE o.series_id = t.series_id AND NOT o.completed"
    " AND o.user_id < t.user_id) "
    "AND EXISTS (SELECT 1 FROM tasks m WHERE m.series_id = t.series_id"
    " AND m.user_id = t.user_id AND NOT m.completed) "
    "GROUP BY t.user_id, t.series_id ORDER BY t.user_id, t.series_id"
)


def upgrade() -> None:
    op.drop_index(INDEX, table_name="tasks")
    op.create_index(
        INDEX,
        "tasks",
        ["user_id", "series_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_IN_SERIES),
        postgresql_where=sa.text(OPEN_IN_SERIES),
    )


def _shared(conn: Connection) -> list[tuple[object, object]]:
    return [(row[0], row[1]) for row in conn.execute(SHARED)]


def losses(conn: Connection) -> list[tuple[str, int, str]]:
    """Tasks whose series id the downgrade changes (see the module's docstring)."""
    pairs = _shared(conn)
    if not pairs:
        return []
    rows = 0
    for user_id, series_id in pairs:
        rows += int(
            conn.execute(
                sa.text("SELECT count(*) FROM tasks WHERE user_id = :u AND series_id = :s"),
                {"u": user_id, "s": series_id},
            ).scalar_one()
        )
    return [
        (
            "tasks",
            rows,
            f"give {rows} task(s) a series id of their own: their series has an open "
            "task of another user's too, which the older index refuses",
        )
    ]


def downgrade() -> None:
    # In SQL, so that `db downgrade --sql` prints it too. The new ids are made once a
    # (user, series) pair, in a temporary table: a random value in the UPDATE itself
    # could differ between the tasks of one pair.
    sqlite = op.get_context().dialect.name == "sqlite"
    new = (
        "lower(hex(randomblob(16)))"
        if sqlite
        else "md5(random()::text || clock_timestamp()::text || s.user_id::text)::uuid"
    )
    op.execute(
        f"CREATE TEMPORARY TABLE todo_moved_series AS SELECT s.user_id, s.series_id, "
        f"{new} AS new_id FROM ({SHARED.text}) s"
    )
    op.execute(
        "UPDATE tasks SET series_id = m.new_id FROM todo_moved_series m "
        "WHERE tasks.user_id = m.user_id AND tasks.series_id = m.series_id"
    )
    op.execute("DROP TABLE todo_moved_series")
    op.drop_index(INDEX, table_name="tasks")
    op.create_index(
        INDEX,
        "tasks",
        ["series_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_IN_SERIES),
        postgresql_where=sa.text(OPEN_IN_SERIES),
    )
