"""Conversations of one user, and their messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from todo_cli.models import Conversation, ConversationCreate, Message, MessageCreate
from todo_cli.repository.refs import Ref, resolve
from todo_cli.repository.users import take_numbers, user_id_of
from todo_cli.schema import conversations, messages

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row
    from sqlalchemy.sql.elements import ColumnElement

NOUN = "conversation"


def _now() -> datetime:
    return datetime.now(UTC)


def _message_count() -> ColumnElement[int]:
    from sqlalchemy import func, select

    return (
        select(func.count())
        .where(messages.c.conversation_id == conversations.c.id)
        .scalar_subquery()
    )


def _conversation(row: Row[Any], message_count: int) -> Conversation:
    # Rows come from our own CHECKed tables: no need to validate them again.
    return Conversation(
        id=row.id,
        number=row.number,
        title=row.title,
        message_count=message_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _message(row: Row[Any]) -> Message:
    return Message(id=row.id, role=row.role, content=row.content, created_at=row.created_at)


class ConversationRepository:
    """The current user's conversations, over the caller's connection and transaction."""

    def __init__(self, conn: Connection, user: str) -> None:
        self.conn = conn
        self.user = user
        self._owner = conversations.c.user_id == user_id_of(user)

    # --- writes -----------------------------------------------------------

    def create(self, new: ConversationCreate) -> Conversation:
        return self.import_(new, [])

    def import_(self, new: ConversationCreate, items: Sequence[MessageCreate]) -> Conversation:
        """A new conversation holding `items` in order, written in one go.

        The messages share one timestamp; ``seq`` keeps their order.
        """
        now = _now()
        user_id, number = take_numbers(self.conn, self.user, "conversation_counter", 1, now)
        conversation_id = uuid4()
        self.conn.execute(
            conversations.insert().values(
                id=conversation_id,
                user_id=user_id,
                number=number,
                title=new.title,
                created_at=now,
                updated_at=now,
            )
        )
        if items:
            # One executemany: SQLAlchemy batches it into multi-row INSERTs.
            self.conn.execute(
                messages.insert(),
                [
                    {
                        "id": uuid4(),
                        "conversation_id": conversation_id,
                        "seq": seq,
                        "role": item.role,
                        "content": item.content,
                        "created_at": now,
                    }
                    for seq, item in enumerate(items, 1)
                ],
            )
        return Conversation(
            id=conversation_id,
            number=number,
            title=new.title,
            message_count=len(items),
            created_at=now,
            updated_at=now,
        )

    def append(self, ref: Ref, new: MessageCreate) -> tuple[Conversation, Message]:
        """Add a message at the end of a conversation and move its updated_at."""
        from sqlalchemy import case, func, literal, select, update

        (found,) = self._resolve(ref)
        now = _now()
        # The UPDATE comes first: on PostgreSQL its row lock makes concurrent
        # appends to one conversation take turns, so each sees the other's
        # seq. (SQLite's BEGIN IMMEDIATE already serialises writers.) Another
        # machine's clock may run behind; updated_at still never goes back.
        stamp = literal(now, conversations.c.updated_at.type)
        row = self.conn.execute(
            update(conversations)
            .where(conversations.c.id == found.id)
            .values(
                updated_at=case(
                    (conversations.c.updated_at > stamp, conversations.c.updated_at),
                    else_=stamp,
                )
            )
            .returning(*conversations.c)
        ).one()
        message_id = uuid4()
        next_seq = (
            select(func.coalesce(func.max(messages.c.seq), 0) + 1)
            .where(messages.c.conversation_id == found.id)
            .scalar_subquery()
        )
        self.conn.execute(
            messages.insert().values(
                id=message_id,
                conversation_id=found.id,
                seq=next_seq,
                role=new.role,
                content=new.content,
                created_at=now,
            )
        )
        message = Message(id=message_id, role=new.role, content=new.content, created_at=now)
        return _conversation(row, self._count(found.id)), message

    def delete(self, ref: Ref) -> Conversation:
        """Delete a conversation; the database's ON DELETE CASCADE takes its messages."""
        from sqlalchemy import delete

        conversation = self.get(ref)
        self.conn.execute(delete(conversations).where(conversations.c.id == conversation.id))
        return conversation

    # --- reads ------------------------------------------------------------

    def get(self, ref: Ref) -> Conversation:
        (row,) = self._resolve(ref)
        return _conversation(row, self._count(row.id))

    def get_with_messages(self, ref: Ref) -> tuple[Conversation, list[Message]]:
        (row,) = self._resolve(ref)
        found = self.messages(row.id)
        return _conversation(row, len(found)), found

    def messages(self, conversation_id: UUID) -> list[Message]:
        """The messages of one of the user's conversations, oldest first."""
        from sqlalchemy import select

        owned = select(conversations.c.id).where(self._owner, conversations.c.id == conversation_id)
        stmt = (
            select(messages).where(messages.c.conversation_id.in_(owned)).order_by(messages.c.seq)
        )
        return [_message(row) for row in self.conn.execute(stmt)]

    def find(self, *, limit: int | None = None) -> list[Conversation]:
        """The user's conversations, most recent activity first."""
        from sqlalchemy import select

        stmt = (
            select(conversations, _message_count().label("message_count"))
            .where(self._owner)
            .order_by(conversations.c.updated_at.desc(), conversations.c.number.desc())
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_conversation(row, row.message_count) for row in self.conn.execute(stmt)]

    def _count(self, conversation_id: UUID) -> int:
        from sqlalchemy import func, select

        stmt = select(func.count()).where(messages.c.conversation_id == conversation_id)
        return int(self.conn.execute(stmt).scalar_one())

    def _resolve(self, ref: Ref) -> list[Row[Any]]:
        return resolve(self.conn, conversations, self._owner, [ref], NOUN)
