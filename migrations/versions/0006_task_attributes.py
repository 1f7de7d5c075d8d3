"""task attributes: what other tools keep that todo does not model (Taskwarrior UDAs)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: the columns of tasks before and after this revision. SQLite's
# journal triggers name every column, so they are made again with the new
# list (PostgreSQL's record whole rows and need nothing).
BEFORE = (
    "id", "user_id", "number", "title", "description", "completed", "completed_at",
    "created_at", "updated_at", "priority", "due", "wait", "project", "recur",
    "series_id", "recur_anchor", "recur_index",
)  # fmt: skip
AFTER = (*BEFORE, "attributes")
ACTIONS = ("insert", "update", "delete")


def _trigger_name(action: str) -> str:
    return f"trg_tasks_journal_{action}"


def _image(row: str, columns: Sequence[str]) -> str:
    return "json_object(" + ", ".join(f"'{c}', {row}.{c}" for c in columns) + ")"


def _sqlite_triggers(columns: Sequence[str]) -> list[str]:
    opened = (
        "INSERT INTO operations (id, created_at, command, open) "
        "SELECT lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%f', 'now'), "
        "'outside todo', 1 WHERE NOT EXISTS (SELECT 1 FROM operations WHERE open);"
    )
    current = "(SELECT id FROM operations WHERE open ORDER BY rowid DESC LIMIT 1)"
    statements = []
    for action in ACTIONS:
        row = "OLD" if action == "delete" else "NEW"
        before = _image("OLD", columns) if action != "insert" else "NULL"
        after = _image("NEW", columns) if action != "delete" else "NULL"
        statements.append(
            f"CREATE TRIGGER {_trigger_name(action)} AFTER {action.upper()} ON tasks "
            f"BEGIN {opened} "
            "INSERT INTO journal (operation_id, table_name, action, row_key, before, after) "
            f"VALUES ({current}, 'tasks', '{action}', json_array({row}.id), {before}, {after}); END"
        )
    return statements


def _replace_sqlite_triggers(columns: Sequence[str]) -> None:
    for action in ACTIONS:
        op.execute(f"DROP TRIGGER {_trigger_name(action)}")
    for statement in _sqlite_triggers(columns):
        op.execute(statement)


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    # A plain ADD COLUMN (no table rebuild), so the table keeps its triggers.
    op.add_column("tasks", sa.Column("attributes", sa.Text(), nullable=True))
    if sqlite:
        _replace_sqlite_triggers(AFTER)


def downgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    if sqlite:
        # A trigger naming the column would stop it from being dropped.
        for action in ACTIONS:
            op.execute(f"DROP TRIGGER {_trigger_name(action)}")
        op.execute("ALTER TABLE tasks DROP COLUMN attributes")
        for statement in _sqlite_triggers(BEFORE):
            op.execute(statement)
    else:
        op.drop_column("tasks", "attributes")
