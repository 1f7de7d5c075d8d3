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
have an open task in one series, the user the series is first of keeps its id
and each other one's tasks of it get a series id of their own (said and asked
before, as rows it changes): the old index could not be made over them. First:
whose task of it was made first, then who has more of its tasks, then the
user made first. (By the users' ids alone, random, the series' own user could
lose it: a Taskwarrior series is its template's uuid, and the export after the
upgrade back wrote a second template, every later task made twice there.)
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

# Each user's part of each series: when its first task was made, how many it has,
# whether one is open, and when the user was made.
_PER_USER = (
    "(SELECT t.user_id, t.series_id, min(t.created_at) AS first_made, count(*) AS made,"
    " max(CASE WHEN t.completed THEN 0 ELSE 1 END) AS open, min(u.created_at) AS joined"
    " FROM tasks t JOIN users u ON u.id = t.user_id WHERE t.series_id IS NOT NULL"
    " GROUP BY t.user_id, t.series_id)"
)
# (user, series) pairs whose tasks the downgrade moves to a series of their own: a
# series open under several users, every user's but the first one's (see above).
SHARED = sa.text(
    f"SELECT p.user_id, p.series_id FROM {_PER_USER} p WHERE p.open = 1 AND EXISTS ("
    f" SELECT 1 FROM {_PER_USER} o WHERE o.series_id = p.series_id AND o.open = 1"
    " AND o.user_id <> p.user_id AND (o.first_made < p.first_made"
    " OR (o.first_made = p.first_made AND (o.made > p.made"
    " OR (o.made = p.made AND (o.joined < p.joined"
    " OR (o.joined = p.joined AND o.user_id < p.user_id)))))))"
    " ORDER BY p.user_id, p.series_id"
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
    # A random (version 4) UUID, as every id here is. SQLite has no function for one:
    # 32 random hex digits, the version digit 4 and the variant one of 8, 9, a or b
    # (taken from the digit it replaces, so that every task of a pair gets the same).
    new = "hex(randomblob(16))" if sqlite else "gen_random_uuid()"
    op.execute(
        f"CREATE TEMPORARY TABLE todo_moved_series AS SELECT s.user_id, s.series_id, "
        f"{new} AS new_id FROM ({SHARED.text}) s"
    )
    uuid4 = (
        "lower(substr(m.new_id, 1, 12) || '4' || substr(m.new_id, 14, 3) || "
        "substr('89ab', 1 + (instr('0123456789ABCDEF', substr(m.new_id, 17, 1)) - 1) % 4, 1)"
        " || substr(m.new_id, 18))"
        if sqlite
        else "m.new_id"
    )
    op.execute(
        f"UPDATE tasks SET series_id = {uuid4} FROM todo_moved_series m "
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
