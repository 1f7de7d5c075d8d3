"""Conversations of one user, and their messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from todo_cli.db.schema import conversations, messages
from todo_cli.domain.models import Conversation, ConversationCreate, Message, MessageCreate, Role
from todo_cli.repository.refs import Ref, resolve
from todo_cli.repository.users import take_numbers, user_id_of

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
    return Message(id=row.id, role=Role(row.role), content=row.content, created_at=row.created_at)


class ConversationRepository:
    """The current user's conversations, over the caller's connection and transaction."""

    def __init__(self, conn: Connection, user: str) -> None:
        self.conn = conn
        self.user = user
        self._owner = conversations.c.user_id == user_id_of(user)

    # --- writes -----------------------------------------------------------

    def create(self, new: ConversationCreate) -> Conversation:
        return self.import_(new, [])

    def import_(
        self,
        new: ConversationCreate,
        items: Sequence[MessageCreate],
        *,
        conversation_id: UUID | None = None,
        created_at: datetime | None = None,
    ) -> Conversation:
        """A new conversation holding `items` in order, written in one go.

        A transcript is a record: each message keeps its own time and id when
        it has them (an id already taken in this database, e.g. by the
        conversation this one was exported from, is replaced by a new one).
        Messages without a time take the moment of the import; ``seq`` keeps
        the order either way.
        """
        now = _now()
        times = [item.created_at or now for item in items]
        started = min([created_at or now, *times])
        updated = max([started, *times])
        wanted = [conversation_id] if conversation_id else []
        wanted_messages = [item.id for item in items if item.id is not None]
        taken = self._taken(wanted, wanted_messages)
        user_id, number = take_numbers(self.conn, self.user, "conversation_counter", 1, now)
        if conversation_id is None or conversation_id in taken:
            conversation_id = uuid4()
        self.conn.execute(
            conversations.insert().values(
                id=conversation_id,
                user_id=user_id,
                number=number,
                title=new.title,
                created_at=started,
                updated_at=updated,
            )
        )
        if items:
            # One executemany: SQLAlchemy batches it into multi-row INSERTs.
            self.conn.execute(
                messages.insert(),
                [
                    {
                        "id": item.id if item.id is not None and item.id not in taken else uuid4(),
                        "conversation_id": conversation_id,
                        "seq": seq,
                        "role": item.role,
                        "content": item.content,
                        "created_at": when,
                    }
                    for seq, (item, when) in enumerate(zip(items, times, strict=True), 1)
                ],
            )
        return Conversation(
            id=conversation_id,
            number=number,
            title=new.title,
            message_count=len(items),
            created_at=started,
            updated_at=updated,
        )

    def _taken(self, conversation_ids: list[UUID], message_ids: list[UUID]) -> set[UUID]:
        """Which of these ids already name a row in this database (anyone's)."""
        from sqlalchemy import select, union_all

        if not conversation_ids and not message_ids:
            return set()
        queries = []
        if conversation_ids:
            queries.append(
                select(conversations.c.id).where(conversations.c.id.in_(conversation_ids))
            )
        if message_ids:
            queries.append(select(messages.c.id).where(messages.c.id.in_(message_ids)))
        return {row[0] for row in self.conn.execute(union_all(*queries))}

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

    def find(self) -> list[Conversation]:
        """The user's conversations, most recent activity first."""
        from sqlalchemy import select

        stmt = (
            select(conversations, _message_count().label("message_count"))
            .where(self._owner)
            .order_by(conversations.c.updated_at.desc(), conversations.c.number.desc())
        )
        return [_conversation(row, row.message_count) for row in self.conn.execute(stmt)]

    def _count(self, conversation_id: UUID) -> int:
        from sqlalchemy import func, select

        stmt = select(func.count()).where(messages.c.conversation_id == conversation_id)
        return int(self.conn.execute(stmt).scalar_one())

    def _resolve(self, ref: Ref) -> list[Row[Any]]:
        return resolve(self.conn, conversations, list(conversations.c), self._owner, [ref], NOUN)
