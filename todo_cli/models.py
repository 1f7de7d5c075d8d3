"""Domain models: what commands take in and what the repository gives back.

Create and update models validate input (the first of three layers; the
tables' CHECK constraints are the last). Public models are plain, frozen
values that know nothing of SQLAlchemy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from todo_cli.errors import InvalidInput
from todo_cli.limits import (
    CONVERSATION_TITLE_MAX,
    MESSAGE_CONTENT_MAX,
    TASK_DESCRIPTION_MAX,
    TASK_TITLE_MAX,
)
from todo_cli.text import check_text

Role = Literal["user", "assistant"]

# Every model defers building its validator until first used: `todo list`
# builds none, and `todo add` only the one it validates with.


def _title(value: str, limit: int) -> str:
    check_text(value, "title")
    value = value.strip()
    if not value:
        raise ValueError("title is empty")
    if len(value) > limit:
        raise ValueError(f"title is {len(value)} characters, the limit is {limit}")
    return value


def _optional_text(value: str | None, what: str, limit: int) -> str | None:
    if value is None:
        return None
    check_text(value, what)
    if not value.strip():
        return None  # `-d ""` clears a description rather than storing blanks
    if len(value) > limit:
        raise ValueError(f"{what} is {len(value)} characters, the limit is {limit}")
    return value


class TaskCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    title: str
    description: str | None = None

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str) -> str:
        return _title(value, TASK_TITLE_MAX)

    @field_validator("description")
    @classmethod
    def _check_description(cls, value: str | None) -> str | None:
        return _optional_text(value, "description", TASK_DESCRIPTION_MAX)


class TaskUpdate(BaseModel):
    """Only the fields that were given are changed (``model_fields_set``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    title: str | None = None
    description: str | None = None

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str | None) -> str | None:
        return None if value is None else _title(value, TASK_TITLE_MAX)

    @field_validator("description")
    @classmethod
    def _check_description(cls, value: str | None) -> str | None:
        return _optional_text(value, "description", TASK_DESCRIPTION_MAX)


class Task(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: UUID
    number: int
    title: str
    description: str | None
    completed: bool
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ConversationCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    title: str | None = None

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return _title(value, CONVERSATION_TITLE_MAX)


class Conversation(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: UUID
    number: int
    title: str | None
    message_count: int
    created_at: datetime
    updated_at: datetime


class MessageCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)

    role: Role
    # Kept exactly as given (no stripping): a transcript is a record.
    content: str

    @field_validator("content")
    @classmethod
    def _check_content(cls, value: str) -> str:
        check_text(value, "content")
        if not value.strip():
            raise ValueError("content is empty")
        if len(value) > MESSAGE_CONTENT_MAX:
            raise ValueError(
                f"content is {len(value)} characters, the limit is {MESSAGE_CONTENT_MAX}"
            )
        return value


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: UUID
    role: Role
    content: str
    created_at: datetime


M = TypeVar("M", bound=BaseModel)


def describe_validation_error(exc: ValidationError) -> str:
    """One readable sentence for the first thing wrong, without pydantic's jargon."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if first["type"] == "value_error":
        return str(first["ctx"]["error"])
    if first["type"] == "literal_error" and where == "role":
        return f"role must be 'user' or 'assistant', not {first['input']!r}"
    if first["type"] == "missing":
        return f"{where} is missing"
    if first["type"] == "extra_forbidden":
        return f"unexpected field {where!r}"
    if first["type"].endswith("_type"):
        return f"{where} must be a {first['type'].removesuffix('_type')}"
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def parse(model: type[M], data: dict[str, Any], *, context: str = "") -> M:
    """Validate input, turning failure into InvalidInput (exit 2)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message = describe_validation_error(exc)
        raise InvalidInput(f"{context}{message}" if context else message) from None
    except InvalidInput as exc:
        if context:
            raise InvalidInput(f"{context}{exc.message}", hint=exc.hint) from None
        raise
