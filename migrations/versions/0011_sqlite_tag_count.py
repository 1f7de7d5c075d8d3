"""tasks: a stored tag count on SQLite

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

SQLite only. Sorting by urgency needs each task's number of tags, and SQLite
looked up the tags of every open task to get it: at 100,000 tasks that was
0.17 s of a 0.25 s `todo list`. Each task now keeps the count in a column
(``tag_count``) that triggers on task_tags keep, whoever writes the tags; the
upgrade counts the tags already there.

The count is derived, not data: the journal's row images leave it out, its
update trigger now fires only for an UPDATE of the columns todo writes (so
keeping the count is not journaled), and the downgrade drops it without
asking. PostgreSQL counts tags in the query and is left as it is.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history.
COLUMNS = (
    "id", "user_id", "number", "title", "description", "completed", "completed_at",
    "created_at", "updated_at", "priority", "due", "wait", "project", "recur",
    "series_id", "recur_anchor", "recur_index", "attributes",
)  # fmt: skip
COUNT = "tag_count"
MORE = f"UPDATE tasks SET {COUNT} = {COUNT} + 1 WHERE id = NEW.task_id;"
LESS = f"UPDATE tasks SET {COUNT} = {COUNT} - 1 WHERE id = OLD.task_id;"
COUNT_TRIGGERS = {
    "trg_task_tags_count_insert": f"AFTER INSERT ON task_tags BEGIN {MORE} END",
    "trg_task_tags_count_delete": f"AFTER DELETE ON task_tags BEGIN {LESS} END",
    "trg_task_tags_count_update": f"AFTER UPDATE OF task_id ON task_tags BEGIN {LESS} {MORE} END",
}


def _journal_update_trigger(*, update_of: bool) -> str:
    """Revision 0006's update trigger of tasks; with ``update_of``, for its columns only."""
    image = ", ".join(f"'{c}', {{row}}.{c}" for c in COLUMNS)
    before = "json_object(" + image.format(row="OLD") + ")"
    after = "json_object(" + image.format(row="NEW") + ")"
    event = "UPDATE OF " + ", ".join(COLUMNS) if update_of else "UPDATE"
    return (
        f"CREATE TRIGGER trg_tasks_journal_update AFTER {event} ON tasks "
        "BEGIN INSERT INTO operations (id, created_at, command, open) "
        "SELECT lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%f', 'now'), "
        "'outside todo', 1 WHERE NOT EXISTS (SELECT 1 FROM operations WHERE open); "
        "INSERT INTO journal (operation_id, table_name, action, row_key, before, after) "
        "VALUES ((SELECT id FROM operations WHERE open ORDER BY rowid DESC LIMIT 1), "
        f"'tasks', 'update', json_array(NEW.id), {before}, {after}); END"
    )


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    # First the journal's trigger, so that counting the tags below is not journaled.
    op.execute("DROP TRIGGER trg_tasks_journal_update")
    op.execute(_journal_update_trigger(update_of=True))
    op.execute(f"ALTER TABLE tasks ADD COLUMN {COUNT} INTEGER NOT NULL DEFAULT 0")
    for name, body in COUNT_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(
        f"UPDATE tasks SET {COUNT} = "
        "(SELECT count(*) FROM task_tags WHERE task_tags.task_id = tasks.id)"
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for name in COUNT_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute(f"ALTER TABLE tasks DROP COLUMN {COUNT}")
    op.execute("DROP TRIGGER trg_tasks_journal_update")
    op.execute(_journal_update_trigger(update_of=False))
