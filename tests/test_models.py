"""Input validation: the first of the three layers, without a database."""

from __future__ import annotations

import dataclasses

import pytest

from todo_cli.domain.chat import ConversationCreate, MessageCreate, Role
from todo_cli.domain.limits import (
    MESSAGE_CONTENT_MAX,
    MESSAGE_ROLES,
    TASK_DESCRIPTION_MAX,
    TASK_TITLE_MAX,
)
from todo_cli.domain.models import parse, validate_task
from todo_cli.errors import InvalidInput


def test_a_title_is_stripped_and_a_blank_description_becomes_none() -> None:
    task = validate_task({"title": "  Buy milk  ", "description": "   "})
    assert task == {"title": "Buy milk", "description": None}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "   "}, "title is empty"),
        ({"title": "x" * (TASK_TITLE_MAX + 1)}, "title is 201 characters, the limit is 200"),
        ({"title": "ok", "description": "d" * (TASK_DESCRIPTION_MAX + 1)}, "description is 2001"),
        ({"description": "no title"}, "title is missing"),
        ({"title": 12}, "title must be a string"),
        ({"title": b"bytes"}, "title must be a string"),
        ({"title": "ok", "colour": "red"}, "unexpected field 'colour'"),
        ({"title": "nul\x00inside"}, "title contains a NUL byte"),
        ({"title": "\u200b\ufeff \u200b"}, "title is empty"),
    ],
    ids=["blank", "201", "description-2001", "missing", "int", "bytes", "unknown", "nul", "zwsp"],
)
def test_bad_task_input_is_refused_with_a_plain_sentence(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_task(data)
    assert message in caught.value.message
    assert "pydantic" not in caught.value.message


def test_an_error_names_where_it_came_from_when_given_a_context() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_task({"title": " "}, context="stdin line 3: ")
    assert caught.value.message == "stdin line 3: title is empty"


def test_an_update_changes_only_what_was_given() -> None:
    assert validate_task({"title": " New "}, partial=True) == {"title": "New"}
    # -d "" clears the description: given, and None.
    assert validate_task({"description": ""}, partial=True) == {"description": None}


def test_an_update_may_not_blank_the_title() -> None:
    with pytest.raises(InvalidInput, match="title is empty"):
        validate_task({"title": " "}, partial=True)


def test_a_blank_conversation_title_is_no_title() -> None:
    assert parse(ConversationCreate, {"title": "  "}) == ConversationCreate(title=None)


def test_message_content_is_kept_exactly() -> None:
    text = "  two spaces, a tab\t and a newline\n"
    assert parse(MessageCreate, {"role": "user", "content": text}).content == text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "bot", "content": "hi"}, "role must be 'user' or 'assistant', not 'bot'"),
        ({"role": "user", "content": "  \n"}, "content is empty"),
        ({"role": "user", "content": "x" * (MESSAGE_CONTENT_MAX + 1)}, "content is 100001"),
        ({"role": "user"}, "content is missing"),
        ({"role": "user", "content": ["a"]}, "content must be a string"),
    ],
)
def test_bad_messages_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(MessageCreate, data)
    assert message in caught.value.message


def test_models_are_frozen() -> None:
    message = parse(MessageCreate, {"role": "user", "content": "x"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.content = "y"  # type: ignore[misc]


def test_the_roles_the_check_allows_are_the_roles_a_message_takes() -> None:
    # The CHECK constraint reads MESSAGE_ROLES (the schema must not define
    # the chat models); the CLI's choices and the models read Role.
    assert tuple(Role) == MESSAGE_ROLES
