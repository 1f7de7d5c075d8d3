"""The database itself enforces the limits, the cascades and immutable messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, delete, func, insert, inspect, select, text, update
from sqlalchemy.exc import DBAPIError

from todo_cli.db.engine import create_engine
from todo_cli.db.schema import conversations, messages, task_notes, task_tags, tasks, users
from todo_cli.db.url import parse_url
from todo_cli.domain.limits import MESSAGE_CONTENT_MAX

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


def refusal(conn: Connection, statement: Any) -> str:
    """What the database refused `statement` with, as the error itself tells it.

    A named constraint by its name (`ck_tasks_title_length`); a NOT NULL as
    `not null: tasks.title`; on PostgreSQL, a VARCHAR's own length check as
    the type (`character varying(200)`), as it fires before any CHECK; a
    trigger's refusal as its message. Fails the test if it was accepted.
    """
    savepoint = conn.begin_nested()
    try:
        conn.execute(statement)
    except DBAPIError as exc:
        savepoint.rollback()
        if conn.dialect.name == "postgresql":
            return _postgres_refusal(exc.orig)
        return _sqlite_refusal(conn, str(exc.orig))
    savepoint.rollback()
    pytest.fail(f"the database accepted {statement}")


def _postgres_refusal(error: Any) -> str:
    diag = error.diag
    if diag.constraint_name:
        return str(diag.constraint_name)
    if error.sqlstate == "23502":
        return f"not null: {diag.table_name}.{diag.column_name}"
    if error.sqlstate == "22001":
        return str(diag.message_primary).removeprefix("value too long for type ")
    return str(diag.message_primary)


def _sqlite_refusal(conn: Connection, message: str) -> str:
    kind, _, detail = message.partition(" constraint failed: ")
    if kind == "CHECK":
        return detail
    if kind == "NOT NULL":
        return f"not null: {detail}"
    if kind == "UNIQUE":
        # SQLite names the columns, not the constraint: find it in the table's own DDL.
        table = detail.split(".", 1)[0]
        columns = [column.split(".", 1)[1] for column in detail.split(", ")]
        found = inspect(conn)
        keys = [found.get_pk_constraint(table), *found.get_unique_constraints(table)]
        for key in keys:
            if key.get("constrained_columns", key.get("column_names")) == columns:
                return str(key["name"])
    return message


def task_row(user_id: UUID, **values: Any) -> dict[str, Any]:
    return {
        "id": uuid4(),
        "user_id": user_id,
        "number": 1,
        "title": "t",
        "created_at": NOW,
        "updated_at": NOW,
    } | values


def message_row(conv_id: UUID, **values: Any) -> dict[str, Any]:
    return {
        "id": uuid4(),
        "conversation_id": conv_id,
        "seq": 1,
        "role": "user",
        "content": "c",
        "created_at": NOW,
    } | values


@pytest.mark.parametrize("title", ["", "   "], ids=["empty", "spaces"])
def test_database_rejects_a_blank_task_title(conn: Connection, title: str) -> None:
    row = task_row(make_user(conn), title=title)
    assert refusal(conn, insert(tasks).values(**row)) == "ck_tasks_title_length"


def test_database_rejects_a_201_character_title(conn: Connection) -> None:
    row = task_row(make_user(conn), title="x" * 201)
    # PostgreSQL checks a VARCHAR's length before any CHECK constraint; SQLite
    # has no length on its types, so there the CHECK is what refuses it.
    expected = {
        "postgresql": "character varying(200)",
        "sqlite": "ck_tasks_title_length",
    }[conn.dialect.name]
    assert refusal(conn, insert(tasks).values(**row)) == expected


def test_database_accepts_a_200_character_title(conn: Connection) -> None:
    user_id = make_user(conn)
    make_task(conn, user_id, title="x" * 200)


def test_database_rejects_a_2001_character_description(conn: Connection) -> None:
    row = task_row(make_user(conn), description="d" * 2001)
    assert refusal(conn, insert(tasks).values(**row)) == "ck_tasks_description_length"


def test_database_rejects_completed_without_completed_at(conn: Connection) -> None:
    row = task_row(make_user(conn), completed=True)
    assert refusal(conn, insert(tasks).values(**row)) == "ck_tasks_completed_at_matches"


def test_database_rejects_a_task_without_a_title(conn: Connection) -> None:
    row = task_row(make_user(conn), title=None)
    assert refusal(conn, insert(tasks).values(**row)) == "not null: tasks.title"


def test_database_rejects_a_duplicate_number_for_one_user(conn: Connection) -> None:
    user_id = make_user(conn)
    make_task(conn, user_id, number=1)
    row = task_row(user_id, number=1)
    assert refusal(conn, insert(tasks).values(**row)) == "uq_tasks_user_id_number"


def test_two_users_may_both_have_task_number_one(conn: Connection) -> None:
    make_task(conn, make_user(conn, "alice"), number=1)
    make_task(conn, make_user(conn, "bob"), number=1)


def test_database_rejects_a_duplicate_user_name(conn: Connection) -> None:
    make_user(conn, "alice")
    statement = insert(users).values(id=uuid4(), name="alice", created_at=NOW)
    assert refusal(conn, statement) == "uq_users_name"


@pytest.mark.parametrize("role", ["system", "USER", ""])
def test_database_rejects_a_bad_role(conn: Connection, role: str) -> None:
    row = message_row(make_conversation(conn, make_user(conn)), role=role)
    assert refusal(conn, insert(messages).values(**row)) == "ck_messages_role"


@pytest.mark.parametrize(
    "content",
    ["", "   ", "x" * (MESSAGE_CONTENT_MAX + 1)],
    ids=["empty", "spaces", "one-over-the-limit"],
)
def test_database_rejects_bad_message_content(conn: Connection, content: str) -> None:
    row = message_row(make_conversation(conn, make_user(conn)), content=content)
    assert refusal(conn, insert(messages).values(**row)) == "ck_messages_content_length"


def test_database_accepts_a_100000_character_message(conn: Connection) -> None:
    make_message(conn, make_conversation(conn, make_user(conn)), content="x" * 100_000)


def test_database_refuses_to_update_a_message(conn: Connection) -> None:
    conv_id = make_conversation(conn, make_user(conn))
    msg_id = make_message(conn, conv_id)
    statement = update(messages).where(messages.c.id == msg_id).values(content="forged")
    assert refusal(conn, statement).startswith("messages are immutable: UPDATE ")
    assert conn.execute(select(messages.c.content)).scalar_one() == "hello"


def test_database_refuses_an_update_in_raw_sql_too(conn: Connection) -> None:
    conv_id = make_conversation(conn, make_user(conn))
    make_message(conn, conv_id)
    statement = text("UPDATE messages SET role = 'assistant'")
    assert refusal(conn, statement).startswith("messages are immutable: UPDATE ")
    assert conn.execute(select(messages.c.role)).scalar_one() == "user"


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


def test_database_rejects_a_priority_other_than_h_m_or_l(conn: Connection) -> None:
    row = task_row(make_user(conn), priority="X")
    assert refusal(conn, insert(tasks).values(**row)) == "ck_tasks_priority"


@pytest.mark.parametrize(
    "project",
    ["a..b", "1abc", "a b", ".home", "home.", "home:garden"],
)
def test_database_rejects_a_malformed_project(conn: Connection, project: str) -> None:
    row = task_row(make_user(conn), project=project)
    assert refusal(conn, insert(tasks).values(**row)) == "ck_tasks_project"


def test_database_accepts_a_dotted_project(conn: Connection) -> None:
    make_task(conn, make_user(conn), project="home.garden-2_b")


def make_tag(conn: Connection, task_id: UUID, tag: str) -> None:
    conn.execute(insert(task_tags).values(task_id=task_id, tag=tag))


@pytest.mark.parametrize("tag", ["1st", "a b", "+x", "a.b", ""])
def test_database_rejects_a_malformed_tag(conn: Connection, tag: str) -> None:
    task_id = make_task(conn, make_user(conn))
    statement = insert(task_tags).values(task_id=task_id, tag=tag)
    assert refusal(conn, statement) == "ck_task_tags_tag"


def test_database_rejects_a_51_character_tag(conn: Connection) -> None:
    task_id = make_task(conn, make_user(conn))
    statement = insert(task_tags).values(task_id=task_id, tag="t" * 51)
    # As for titles: PostgreSQL's VARCHAR(50) refuses it before the CHECK does.
    expected = {
        "postgresql": "character varying(50)",
        "sqlite": "ck_task_tags_tag",
    }[conn.dialect.name]
    assert refusal(conn, statement) == expected


def test_database_rejects_a_tag_given_twice(conn: Connection) -> None:
    task_id = make_task(conn, make_user(conn))
    make_tag(conn, task_id, "home")
    statement = insert(task_tags).values(task_id=task_id, tag="home")
    assert refusal(conn, statement) == "pk_task_tags"


@pytest.mark.parametrize("note", ["", "  ", "n" * 2001], ids=["empty", "spaces", "2001-characters"])
def test_database_rejects_a_bad_note(conn: Connection, note: str) -> None:
    task_id = make_task(conn, make_user(conn))
    statement = insert(task_notes).values(id=uuid4(), task_id=task_id, created_at=NOW, text=note)
    assert refusal(conn, statement) == "ck_task_notes_text_length"


def test_deleting_a_task_deletes_its_tags_and_notes(conn: Connection) -> None:
    user_id = make_user(conn)
    doomed = make_task(conn, user_id, number=1)
    kept = make_task(conn, user_id, number=2)
    for task_id in (doomed, kept):
        make_tag(conn, task_id, "home")
        make_tag(conn, task_id, "errand")
        conn.execute(
            insert(task_notes).values(id=uuid4(), task_id=task_id, created_at=NOW, text="n")
        )
    conn.execute(delete(tasks).where(tasks.c.id == doomed))
    assert set(conn.execute(select(task_tags.c.task_id)).scalars()) == {kept}
    assert list(conn.execute(select(task_notes.c.task_id)).scalars()) == [kept]


def test_timestamps_come_back_timezone_aware_utc(conn: Connection) -> None:
    user_id = make_user(conn)
    make_task(conn, user_id)
    created = conn.execute(select(tasks.c.created_at)).scalar_one()
    assert created == NOW
    assert created.utcoffset() is not None
    assert created.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 1, 1, 22, 4, 5, tzinfo=ZoneInfo("America/New_York")),
    ],
)
def test_sqlite_stores_every_instant_as_the_same_fixed_width_utc_text(moment: datetime) -> None:
    # Text sorts as time only while every value is written alike: one UTC
    # form, microseconds always there, whatever zone the value came in.
    from sqlalchemy.dialects import sqlite

    from todo_cli.db.schema import UTCDateTime

    bind = UTCDateTime().process_bind_param
    assert bind(moment, sqlite.dialect()) == "2026-01-02T03:04:05.000000"
    for early in (
        datetime(999, 1, 2, 3, 4, 5, 7, tzinfo=UTC),
        datetime(999, 1, 2, 4, 4, 5, 7, tzinfo=timezone(timedelta(hours=1))),
    ):
        assert bind(early, sqlite.dialect()) == "0999-01-02T03:04:05.000007"
    with pytest.raises(ValueError, match="naive datetime"):
        bind(moment.replace(tzinfo=None), sqlite.dialect())


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
