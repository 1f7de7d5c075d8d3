"""The tables, as SQLAlchemy Core metadata.

Only the repository and the migrations import this module. The migrations
create the real schema; this metadata describes the same thing, and a test
checks that Alembic's autogenerate finds no difference between the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from todo_cli.limits import (
    CONVERSATION_TITLE_MAX,
    MESSAGE_CONTENT_MAX,
    ROLES,
    TASK_DESCRIPTION_MAX,
    TASK_TITLE_MAX,
    USER_NAME_MAX,
)

# The revision this code expects. A test checks it is the Alembic head, so a
# command can check the schema without importing Alembic.
HEAD_REVISION = "0002"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both backends.

    PostgreSQL stores ``timestamptz``. SQLite has no time type, so the value is
    stored as fixed-width ISO 8601 text in UTC: it sorts chronologically as
    text and parses back with the C-speed ``datetime.fromisoformat``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if dialect.name == "sqlite":
            return _sqlite_text(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


@lru_cache(maxsize=16)
def _sqlite_text(value: datetime) -> str:
    # A bulk add binds the same instant 200,000 times; format it once.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def not_blank_and_at_most(column: str, limit: int) -> str:
    return f"length(trim({column})) >= 1 AND length({column}) <= {limit}"


users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(USER_NAME_MAX), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Per-user counters hand out task and conversation numbers. A number is
    # never reused, even after a delete, so `todo done 3` can never hit a
    # newer task than the one the user meant.
    Column("task_counter", Integer, nullable=False, server_default="0"),
    Column("conversation_counter", Integer, nullable=False, server_default="0"),
    UniqueConstraint("name"),
    CheckConstraint(not_blank_and_at_most("name", USER_NAME_MAX), name="name_length"),
    CheckConstraint("task_counter >= 0", name="task_counter"),
    CheckConstraint("conversation_counter >= 0", name="conversation_counter"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(TASK_TITLE_MAX), nullable=False),
    Column("description", Text, nullable=True),
    Column("completed", Boolean, nullable=False, server_default=false()),
    Column("completed_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Leads with user_id, so it also serves the foreign key and `list --all`.
    UniqueConstraint("user_id", "number"),
    CheckConstraint("number >= 1", name="number_positive"),
    CheckConstraint(not_blank_and_at_most("title", TASK_TITLE_MAX), name="title_length"),
    CheckConstraint(
        f"description IS NULL OR length(description) <= {TASK_DESCRIPTION_MAX}",
        name="description_length",
    ),
    CheckConstraint(
        "(completed AND completed_at IS NOT NULL) OR (NOT completed AND completed_at IS NULL)",
        name="completed_at_matches",
    ),
    CheckConstraint("updated_at >= created_at", name="updated_after_created"),
    # `todo list` (open) and `todo list --done`, in number order.
    Index(None, "user_id", "completed", "number"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(CONVERSATION_TITLE_MAX), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_id", "number"),
    CheckConstraint("number >= 1", name="number_positive"),
    CheckConstraint(
        f"title IS NULL OR ({not_blank_and_at_most('title', CONVERSATION_TITLE_MAX)})",
        name="title_length",
    ),
    CheckConstraint("updated_at >= created_at", name="updated_after_created"),
    # `todo chat-log`: newest activity first.
    Index(None, "user_id", "updated_at"),
)

_roles = ", ".join(f"'{role}'" for role in ROLES)

messages = Table(
    "messages",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "conversation_id",
        Uuid,
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Order within the conversation; timestamps can tie in a bulk import.
    Column("seq", Integer, nullable=False),
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Leads with conversation_id, so it also serves the foreign key.
    UniqueConstraint("conversation_id", "seq"),
    CheckConstraint("seq >= 1", name="seq_positive"),
    CheckConstraint(f"role IN ({_roles})", name="role"),
    CheckConstraint(not_blank_and_at_most("content", MESSAGE_CONTENT_MAX), name="content_length"),
)
