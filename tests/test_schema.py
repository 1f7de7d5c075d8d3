"""The database itself enforces the limits, the cascades and immutable messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from todo_cli.db.engine import create_engine
from todo_cli.db.schema import conversations, messages, tasks, users
from todo_cli.db.url import parse_url

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def conn(db_url: str) -> Iterator[Connection]:
    engine = create_engine(parse_url(db_url))
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def make_user(conn: Connection, name: str = "alice") -> UUID:
    user_id = uuid4()
    conn.execute(insert(users).values(id=user_id, name=name, created_at=NOW))
    return user_id


def make_task(conn: Connection, user_id: UUID, number: int = 1, **values: Any) -> UUID:
    task_id = uuid4()
    row = {
        "id": task_id,
        "user_id": user_id,
        "number": number,
        "title": "t",
        "created_at": NOW,
        "updated_at": NOW,
    } | values
    conn.execute(insert(tasks).values(**row))
    return task_id


def make_conversation(conn: Connection, user_id: UUID) -> UUID:
    conv_id = uuid4()
    conn.execute(
        insert(conversations).values(
            id=conv_id, user_id=user_id, number=1, created_at=NOW, updated_at=NOW
        )
    )
    return conv_id


def make_message(conn: Connection, conv_id: UUID, seq: int = 1, **values: Any) -> UUID:
    msg_id = uuid4()
    row = {
        "id": msg_id,
        "conversation_id": conv_id,
        "seq": seq,
        "role": "user",
        "content": "hello",
        "created_at": NOW,
    } | values
    conn.execute(insert(messages).values(**row))
    return msg_id


def refused(conn: Connection, statement: Any) -> bool:
    savepoint = conn.begin_nested()
    try:
        conn.execute(statement)
    except (IntegrityError, DBAPIError):
        savepoint.rollback()
        return True
    savepoint.rollback()
    return False


@pytest.mark.parametrize("title", ["", "   ", "x" * 201], ids=["empty", "spaces", "201-characters"])
def test_database_rejects_a_bad_task_title(conn: Connection, title: str) -> None:
    user_id = make_user(conn)
    row = {
        "id": uuid4(),
        "user_id": user_id,
        "number": 1,
        "title": title,
        "created_at": NOW,
        "updated_at": NOW,
    }
    assert refused(conn, insert(tasks).values(**row))


def test_database_accepts_a_200_character_title(conn: Connection) -> None:
    user_id = make_user(conn)
    make_task(conn, user_id, title="x" * 200)


def test_database_rejects_a_2001_character_description(conn: Connection) -> None:
    user_id = make_user(conn)
    row = {
        "id": uuid4(),
        "user_id": user_id,
        "number": 1,
        "title": "t",
        "description": "d" * 2001,
        "created_at": NOW,
        "updated_at": NOW,
    }
    assert refused(conn, insert(tasks).values(**row))


def test_database_rejects_completed_without_completed_at(conn: Connection) -> None:
    user_id = make_user(conn)
    row = {
        "id": uuid4(),
        "user_id": user_id,
        "number": 1,
        "title": "t",
        "completed": True,
        "created_at": NOW,
        "updated_at": NOW,
    }
    assert refused(conn, insert(tasks).values(**row))


def test_database_rejects_a_duplicate_number_for_one_user(conn: Connection) -> None:
    user_id = make_user(conn)
    make_task(conn, user_id, number=1)
    row = {
        "id": uuid4(),
        "user_id": user_id,
        "number": 1,
        "title": "t",
        "created_at": NOW,
        "updated_at": NOW,
    }
    assert refused(conn, insert(tasks).values(**row))


def test_two_users_may_both_have_task_number_one(conn: Connection) -> None:
    make_task(conn, make_user(conn, "alice"), number=1)
    make_task(conn, make_user(conn, "bob"), number=1)


def test_database_rejects_a_duplicate_user_name(conn: Connection) -> None:
    make_user(conn, "alice")
    assert refused(conn, insert(users).values(id=uuid4(), name="alice", created_at=NOW))


@pytest.mark.parametrize("role", ["system", "USER", ""])
def test_database_rejects_a_bad_role(conn: Connection, role: str) -> None:
    conv_id = make_conversation(conn, make_user(conn))
    row = {
        "id": uuid4(),
        "conversation_id": conv_id,
        "seq": 1,
        "role": role,
        "content": "c",
        "created_at": NOW,
    }
    assert refused(conn, insert(messages).values(**row))


@pytest.mark.parametrize("content", ["", "x" * 100_001], ids=["empty", "100001-characters"])
def test_database_rejects_bad_message_content(conn: Connection, content: str) -> None:
    conv_id = make_conversation(conn, make_user(conn))
    row = {
        "id": uuid4(),
        "conversation_id": conv_id,
        "seq": 1,
        "role": "user",
        "content": content,
        "created_at": NOW,
    }
    assert refused(conn, insert(messages).values(**row))


def test_database_refuses_to_update_a_message(conn: Connection) -> None:
    conv_id = make_conversation(conn, make_user(conn))
    msg_id = make_message(conn, conv_id)
    assert refused(conn, update(messages).where(messages.c.id == msg_id).values(content="forged"))
    assert conn.execute(select(messages.c.content)).scalar_one() == "hello"


def test_database_refuses_an_update_in_raw_sql_too(conn: Connection) -> None:
    conv_id = make_conversation(conn, make_user(conn))
    make_message(conn, conv_id)
    assert refused(conn, text("UPDATE messages SET role = 'assistant'"))


def test_deleting_a_conversation_deletes_its_messages(conn: Connection) -> None:
    conv_id = make_conversation(conn, make_user(conn))
    for seq in range(1, 4):
        make_message(conn, conv_id, seq=seq)
    conn.execute(delete(conversations).where(conversations.c.id == conv_id))
    assert conn.execute(select(func.count()).select_from(messages)).scalar_one() == 0


def test_deleting_a_user_deletes_their_tasks_conversations_and_messages(conn: Connection) -> None:
    alice = make_user(conn, "alice")
    bob = make_user(conn, "bob")
    make_task(conn, alice)
    make_task(conn, bob)
    make_message(conn, make_conversation(conn, alice))
    conn.execute(delete(users).where(users.c.id == alice))
    assert conn.execute(select(tasks.c.user_id)).scalars().all() == [bob]
    assert conn.execute(select(func.count()).select_from(conversations)).scalar_one() == 0
    assert conn.execute(select(func.count()).select_from(messages)).scalar_one() == 0


def test_timestamps_come_back_timezone_aware_utc(conn: Connection) -> None:
    user_id = make_user(conn)
    make_task(conn, user_id)
    created = conn.execute(select(tasks.c.created_at)).scalar_one()
    assert created == NOW
    assert created.utcoffset() is not None
    assert created.utcoffset().total_seconds() == 0


EXPECTED_CHECKS = {
    "ck_users_name_length",
    "ck_users_task_counter",
    "ck_users_conversation_counter",
    "ck_tasks_number_positive",
    "ck_tasks_title_length",
    "ck_tasks_description_length",
    "ck_tasks_completed_at_matches",
    "ck_tasks_updated_after_created",
    "ck_conversations_number_positive",
    "ck_conversations_title_length",
    "ck_conversations_updated_after_created",
    "ck_messages_seq_positive",
    "ck_messages_role",
    "ck_messages_content_length",
}
EXPECTED_INDEXES = {
    "ix_tasks_user_id_completed_number",
    "ix_conversations_user_id_updated_at",
}


def test_constraints_and_indexes_carry_their_conventional_names(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        names = set(
            conn.execute(
                text(
                    "SELECT conname FROM pg_constraint c "
                    "JOIN pg_namespace n ON n.oid = c.connamespace "
                    "WHERE n.nspname = current_schema()"
                )
            ).scalars()
        )
        indexes = set(
            conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
            ).scalars()
        )
        triggers = set(
            conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars()
        )
    else:
        ddl = " ".join(
            conn.execute(text("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")).scalars()
        )
        names = {
            name
            for name in EXPECTED_CHECKS
            | {
                "uq_users_name",
                "fk_tasks_user_id_users",
                "fk_messages_conversation_id_conversations",
            }
            if name in ddl
        }
        indexes = set(
            conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars()
        )
        triggers = set(
            conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        )
    assert names >= EXPECTED_CHECKS
    assert {
        "uq_users_name",
        "fk_tasks_user_id_users",
        "fk_messages_conversation_id_conversations",
    } <= names
    assert indexes >= EXPECTED_INDEXES
    assert "trg_messages_immutable" in triggers
