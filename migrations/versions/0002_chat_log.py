"""chat log: conversations and immutable messages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history. Later limits change in later revisions.
CONVERSATION_TITLE_MAX = 200
MESSAGE_CONTENT_MAX = 5000
USER_NAME_MAX = 100


def _instant() -> sa.DateTime:
    """A UTC instant: timestamptz on PostgreSQL, fixed-width ISO 8601 text on SQLite."""
    return sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def _not_blank_and_at_most(column: str, limit: int) -> str:
    return f"length(trim({column})) >= 1 AND length({column}) <= {limit}"


def _users(*extra: SchemaItem) -> sa.Table:
    """The users table as revision 0001 left it.

    SQLite batch mode rebuilds a table by copy-and-rename; giving it the full
    definition keeps the CHECK constraints (which reflection would lose) and
    lets `--sql` work without a database to reflect.
    """
    return sa.Table(
        "users",
        sa.MetaData(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(USER_NAME_MAX), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("task_counter", sa.Integer(), server_default="0", nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.CheckConstraint(
            _not_blank_and_at_most("name", USER_NAME_MAX), name=op.f("ck_users_name_length")
        ),
        sa.CheckConstraint("task_counter >= 0", name=op.f("ck_users_task_counter")),
    )


def _conversation_counter() -> sa.Column[int]:
    return sa.Column("conversation_counter", sa.Integer(), server_default="0", nullable=False)


_REFUSE_UPDATE_PG = """
CREATE FUNCTION todo_refuse_message_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'messages are immutable: UPDATE of message % refused', OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def upgrade() -> None:
    with op.batch_alter_table("users", copy_from=_users()) as batch:
        batch.add_column(_conversation_counter())
        batch.create_check_constraint(
            op.f("ck_users_conversation_counter"), "conversation_counter >= 0"
        )

    op.create_table(
        "conversations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(CONVERSATION_TITLE_MAX), nullable=True),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("updated_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_conversations_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "number", name="uq_conversations_user_id_number"),
        sa.CheckConstraint("number >= 1", name=op.f("ck_conversations_number_positive")),
        sa.CheckConstraint(
            f"title IS NULL OR ({_not_blank_and_at_most('title', CONVERSATION_TITLE_MAX)})",
            name=op.f("ck_conversations_title_length"),
        ),
        sa.CheckConstraint(
            "updated_at >= created_at", name=op.f("ck_conversations_updated_after_created")
        ),
    )
    op.create_index(
        "ix_conversations_user_id_updated_at", "conversations", ["user_id", "updated_at"]
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_messages_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_id_seq"),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_messages_seq_positive")),
        sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f("ck_messages_role")),
        sa.CheckConstraint(
            _not_blank_and_at_most("content", MESSAGE_CONTENT_MAX),
            name=op.f("ck_messages_content_length"),
        ),
    )
    # Messages are a record: the database itself refuses to rewrite one.
    if op.get_context().dialect.name == "postgresql":
        op.execute(_REFUSE_UPDATE_PG)
        op.execute(
            "CREATE TRIGGER trg_messages_immutable BEFORE UPDATE ON messages "
            "FOR EACH ROW EXECUTE FUNCTION todo_refuse_message_update()"
        )
    else:
        op.execute(
            "CREATE TRIGGER trg_messages_immutable BEFORE UPDATE ON messages "
            "BEGIN SELECT RAISE(ABORT, 'messages are immutable: UPDATE refused'); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER trg_messages_immutable ON messages")
        op.execute("DROP FUNCTION todo_refuse_message_update()")
    else:
        op.execute("DROP TRIGGER trg_messages_immutable")
    op.drop_table("messages")
    op.drop_index("ix_conversations_user_id_updated_at", table_name="conversations")
    op.drop_table("conversations")
    users = _users(
        _conversation_counter(),
        sa.CheckConstraint("conversation_counter >= 0", name=op.f("ck_users_conversation_counter")),
    )
    with op.batch_alter_table("users", copy_from=users) as batch:
        batch.drop_constraint(op.f("ck_users_conversation_counter"), type_="check")
        batch.drop_column("conversation_counter")
