"""recurrence and dependencies

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history. Later limits change in later revisions.
TASK_TITLE_MAX = 200
TASK_DESCRIPTION_MAX = 2000
PROJECT_MAX = 100
RECUR_MAX = 16
PRIORITY_CHECK = "priority IS NULL OR priority IN ('H', 'M', 'L')"
PROJECT_RULE = (
    "length(project) BETWEEN 1 AND 100 AND substr(project, 1, 1) NOT BETWEEN '0' AND '9' "
    "AND project NOT LIKE '.%' AND project NOT LIKE '%.' AND project NOT LIKE '%..%' "
    "AND project NOT LIKE '% %' AND project NOT LIKE '%+%' AND project NOT LIKE '%@%' "
    "AND project NOT LIKE '%,%' AND project NOT LIKE '%:%' AND project NOT LIKE '%#%' "
    "AND project NOT LIKE '%\"%'"
)
RECUR_COMPLETE = (
    "recur IS NULL OR (due IS NOT NULL AND series_id IS NOT NULL "
    "AND recur_anchor IS NOT NULL AND recur_index IS NOT NULL)"
)
OPEN_IN_SERIES = "series_id IS NOT NULL AND NOT completed"


def _instant() -> sa.DateTime:
    """A UTC instant: timestamptz on PostgreSQL, fixed-width ISO 8601 text on SQLite."""
    return sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def _not_blank_and_at_most(column: str, limit: int) -> str:
    return f"length(trim({column})) >= 1 AND length({column}) <= {limit}"


def _new_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("recur", sa.String(RECUR_MAX), nullable=True),
        sa.Column("series_id", sa.Uuid(), nullable=True),
        sa.Column("recur_anchor", _instant(), nullable=True),
        sa.Column("recur_index", sa.Integer(), nullable=True),
    ]


def _new_checks() -> list[sa.CheckConstraint]:
    return [
        sa.CheckConstraint(
            f"recur IS NULL OR length(recur) <= {RECUR_MAX}", name=op.f("ck_tasks_recur_length")
        ),
        sa.CheckConstraint(RECUR_COMPLETE, name=op.f("ck_tasks_recur_complete")),
    ]


def _tasks(*extra: SchemaItem) -> sa.Table:
    """The tasks table as revision 0003 left it (plus `extra`).

    SQLite batch mode rebuilds a table by copy-and-rename; giving it the full
    definition keeps the CHECK constraints (which reflection would lose) and
    lets `--sql` work without a database to reflect.
    """
    return sa.Table(
        "tasks",
        sa.MetaData(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(TASK_TITLE_MAX), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("completed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("completed_at", _instant(), nullable=True),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("updated_at", _instant(), nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_tasks_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "number", name="uq_tasks_user_id_number"),
        sa.CheckConstraint("number >= 1", name=op.f("ck_tasks_number_positive")),
        sa.CheckConstraint(
            _not_blank_and_at_most("title", TASK_TITLE_MAX), name=op.f("ck_tasks_title_length")
        ),
        sa.CheckConstraint(
            f"description IS NULL OR length(description) <= {TASK_DESCRIPTION_MAX}",
            name=op.f("ck_tasks_description_length"),
        ),
        sa.CheckConstraint(
            "(completed AND completed_at IS NOT NULL) OR (NOT completed AND completed_at IS NULL)",
            name=op.f("ck_tasks_completed_at_matches"),
        ),
        sa.CheckConstraint("updated_at >= created_at", name=op.f("ck_tasks_updated_after_created")),
        sa.Column("priority", sa.String(1), nullable=True),
        sa.Column("due", _instant(), nullable=True),
        sa.Column("wait", _instant(), nullable=True),
        sa.Column("project", sa.String(PROJECT_MAX), nullable=True),
        sa.CheckConstraint(PRIORITY_CHECK, name=op.f("ck_tasks_priority")),
        sa.CheckConstraint(f"project IS NULL OR ({PROJECT_RULE})", name=op.f("ck_tasks_project")),
        sa.Index("ix_tasks_user_id_completed_number", "user_id", "completed", "number"),
        sa.Index("ix_tasks_user_id_project", "user_id", "project"),
        sa.Index("ix_tasks_user_id_due", "user_id", "due"),
    )


def upgrade() -> None:
    with op.batch_alter_table("tasks", copy_from=_tasks()) as batch:
        for column in _new_columns():
            batch.add_column(column)
        for check in _new_checks():
            batch.create_check_constraint(check.name, check.sqltext)  # type: ignore[arg-type]
    # A series never has two open tasks, whatever writes to the database.
    op.create_index(
        "uq_tasks_series_id_open",
        "tasks",
        ["series_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_IN_SERIES),
        postgresql_where=sa.text(OPEN_IN_SERIES),
    )
    op.create_table(
        "task_dependencies",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("depends_on_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "depends_on_id", name="pk_task_dependencies"),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name="fk_task_dependencies_task_id_tasks", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["depends_on_id"],
            ["tasks.id"],
            name="fk_task_dependencies_depends_on_id_tasks",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "task_id <> depends_on_id", name=op.f("ck_task_dependencies_not_itself")
        ),
    )
    op.create_index(
        "ix_task_dependencies_depends_on_id_task_id",
        "task_dependencies",
        ["depends_on_id", "task_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_task_dependencies_depends_on_id_task_id", table_name="task_dependencies")
    op.drop_table("task_dependencies")
    op.drop_index("uq_tasks_series_id_open", table_name="tasks")
    with op.batch_alter_table("tasks", copy_from=_tasks(*_new_columns(), *_new_checks())) as batch:
        for check in _new_checks():
            batch.drop_constraint(check.name, type_="check")  # type: ignore[arg-type]
        for column in _new_columns():
            batch.drop_column(column.name)
