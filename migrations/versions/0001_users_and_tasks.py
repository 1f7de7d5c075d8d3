"""users and tasks

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history. Later limits change in later revisions.
TASK_TITLE_MAX = 200
TASK_DESCRIPTION_MAX = 2000
USER_NAME_MAX = 100


def _instant() -> sa.DateTime:
    """A UTC instant: timestamptz on PostgreSQL, fixed-width ISO 8601 text on SQLite."""
    return sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def _not_blank_and_at_most(column: str, limit: int) -> str:
    return f"length(trim({column})) >= 1 AND length({column}) <= {limit}"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(USER_NAME_MAX), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("task_counter", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.CheckConstraint(
            _not_blank_and_at_most("name", USER_NAME_MAX), name=op.f("ck_users_name_length")
        ),
        sa.CheckConstraint("task_counter >= 0", name=op.f("ck_users_task_counter")),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(TASK_TITLE_MAX), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("completed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("completed_at", _instant(), nullable=True),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("updated_at", _instant(), nullable=False),
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
    )
    op.create_index(
        "ix_tasks_user_id_completed_number", "tasks", ["user_id", "completed", "number"]
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_user_id_completed_number", table_name="tasks")
    op.drop_table("tasks")
    op.drop_table("users")
