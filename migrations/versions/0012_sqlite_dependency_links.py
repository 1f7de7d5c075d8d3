"""tasks: a stored count of dependency links on SQLite

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

SQLite only. Sorting by urgency asks of every open task whether an open task
waits on it (blocking) and whether it waits on an open task (blocked): two
lookups a task, and at 100,000 tasks of which 10,000 wait on another they were
0.11 s of a 0.19 s `todo list` statement. Each task now keeps the number of
dependencies naming it, at either end, in a column (``dependency_links``)
that triggers on task_dependencies keep, whoever writes them; a task with
none, which is most tasks, is ranked without the lookups. The upgrade counts
the dependencies already there.

Derived like revision 0011's tag count: not in the journal's row images (its
update trigger fires only for the columns todo writes), and the downgrade
drops it without asking. PostgreSQL is left as it is.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history.
LINKS = "dependency_links"
MORE = f"UPDATE tasks SET {LINKS} = {LINKS} + 1 WHERE id IN (NEW.task_id, NEW.depends_on_id);"
LESS = f"UPDATE tasks SET {LINKS} = {LINKS} - 1 WHERE id IN (OLD.task_id, OLD.depends_on_id);"
LINK_TRIGGERS = {
    "trg_task_dependencies_links_insert": f"AFTER INSERT ON task_dependencies BEGIN {MORE} END",
    "trg_task_dependencies_links_delete": f"AFTER DELETE ON task_dependencies BEGIN {LESS} END",
    "trg_task_dependencies_links_update": (
        f"AFTER UPDATE OF task_id, depends_on_id ON task_dependencies BEGIN {LESS} {MORE} END"
    ),
}


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    op.execute(f"ALTER TABLE tasks ADD COLUMN {LINKS} INTEGER NOT NULL DEFAULT 0")
    for name, body in LINK_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(
        f"UPDATE tasks SET {LINKS} = "
        "(SELECT count(*) FROM task_dependencies d "
        "WHERE d.task_id = tasks.id OR d.depends_on_id = tasks.id)"
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for name in LINK_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute(f"ALTER TABLE tasks DROP COLUMN {LINKS}")
