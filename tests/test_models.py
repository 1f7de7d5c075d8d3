"""Input validation: the first of the three layers, without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

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


# Input that the direct path of validate_task takes, and input it leaves to the schema:
# either way the result, or the error, is the schema's own.
_UTC_NOON = datetime(2026, 12, 24, 12, tzinfo=UTC)
TASK_INPUTS: list[dict[str, Any]] = [
    {"title": "Buy milk", "description": None, "tags": []},
    {"title": "  Buy milk  ", "description": "   ", "tags": ["errand", "home"]},
    {"title": "Call", "priority": "H", "due": _UTC_NOON, "wait": None, "project": "home.admin"},
    {"title": "Call", "recur": "weekly", "due": _UTC_NOON, "tags": ["a"] * 2},
    {"title": "x" * 200},
    {"title": "x" * 201},
    {"title": "   "},
    {"title": "\u200b"},
    {"title": "a\x00b"},
    {"title": "a\udcff"},
    {"title": None},
    {"title": 7},
    {"title": b"bytes"},
    {"description": "no title"},
    {"title": "t", "tags": ("a", "b")},
    {"title": "t", "tags": ["a", 1]},
    {"title": "t", "tags": ["+bad"]},
    {"title": "t", "tags": None},
    {"title": "t", "tags": [f"t{n}" for n in range(31)]},
    {"title": "t", "priority": "X"},
    {"title": "t", "priority": None, "project": None, "due": None},
    {"title": "t", "project": "a..b"},
    {"title": "t", "recur": "sometimes"},
    {"title": "t", "due": "2026-12-24"},
    {"title": "t", "colour": "red"},
    {"title": "t", "description": 5},
]


def _through_the_schema(data: dict[str, Any], partial: bool) -> Any:
    from todo_cli.domain import models

    try:
        return models._validate(("task", partial), models._task_rules(partial), data, "line 3: ")
    except InvalidInput as exc:
        return ("refused", exc.message, exc.hint)


@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("data", TASK_INPUTS, ids=range(len(TASK_INPUTS)))
def test_validating_a_task_at_once_is_validating_it_through_the_schema(
    data: dict[str, Any], partial: bool
) -> None:
    try:
        ours: Any = validate_task(data, partial=partial, context="line 3: ")
    except InvalidInput as exc:
        ours = ("refused", exc.message, exc.hint)
    assert ours == _through_the_schema(data, partial)
    if not isinstance(ours, tuple):
        assert [type(value) for value in ours.values()] == [
            type(value) for value in _through_the_schema(data, partial).values()
        ]
