"""Domain models: what commands take in and what the repository gives back.

Every model is a frozen dataclass that knows nothing of SQLAlchemy. The input
models (TaskCreate, TaskUpdate, ConversationCreate, MessageCreate) are made by
`parse`, which validates with pydantic's validation engine, pydantic-core,
against the rules each model states next to its fields: the first of three
layers, the tables' CHECK constraints being the last. The public models (Task,
Conversation, Message) are built by the repository from its own checked rows.

Why not ``pydantic.BaseModel``: defining the first BaseModel class loads
pydantic's model machinery, about 190 million instructions (45 ms, a sixth of
the whole stack's import time) on every `todo add`, while a pydantic-core
validator costs nothing beyond ``import pydantic``. The validation, its error
types and their wording are pydantic's either way (see ``python -m tests.perf``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeVar
from uuid import UUID

from todo_cli.errors import InvalidInput
from todo_cli.limits import (
    CONVERSATION_TITLE_MAX,
    MESSAGE_CONTENT_MAX,
    TASK_DESCRIPTION_MAX,
    TASK_TITLE_MAX,
)
from todo_cli.text import check_text

if TYPE_CHECKING:
    from typing import Self

    from pydantic_core import SchemaValidator, ValidationError
    from pydantic_core import core_schema as cs

# pydantic-core is imported only where input is validated: `todo list`,
# `done` or `show` take no text and do not pay for it (~20 ms).

Role = Literal["user", "assistant"]


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


def _task_title(value: str) -> str:
    return _title(value, TASK_TITLE_MAX)


def _task_description(value: str | None) -> str | None:
    return _optional_text(value, "description", TASK_DESCRIPTION_MAX)


def _conversation_title(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return _title(value, CONVERSATION_TITLE_MAX)


def _content(value: str) -> str:
    # Kept exactly as given (no stripping): a transcript is a record.
    check_text(value, "content")
    if not value.strip():
        raise ValueError("content is empty")
    if len(value) > MESSAGE_CONTENT_MAX:
        raise ValueError(f"content is {len(value)} characters, the limit is {MESSAGE_CONTENT_MAX}")
    return value


def _text(check: Callable[[Any], Any], *, nullable: bool = False) -> cs.CoreSchema:
    """A string (never a number or bytes coerced to one) passed through ``check``."""
    from pydantic_core import core_schema as cs

    text: cs.CoreSchema = cs.str_schema(strict=True)
    if nullable:
        text = cs.nullable_schema(text)
    return cs.no_info_after_validator_function(check, text)


def _roles() -> cs.CoreSchema:
    from pydantic_core import core_schema as cs

    return cs.literal_schema(["user", "assistant"])


def _field(schema: cs.CoreSchema, *, required: bool = True) -> cs.TypedDictField:
    from pydantic_core import core_schema as cs

    return cs.typed_dict_field(schema, required=required)


# --- input --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskCreate:
    title: str
    description: str | None = None

    @staticmethod
    def rules() -> dict[str, cs.TypedDictField]:
        return {
            "title": _field(_text(_task_title)),
            "description": _field(_text(_task_description, nullable=True), required=False),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskUpdate:
    """Only the fields that were given are changed (``given``)."""

    title: str | None = None
    description: str | None = None
    given: frozenset[str] = field(default=frozenset())

    @staticmethod
    def rules() -> dict[str, cs.TypedDictField]:
        return {
            "title": _field(_text(_task_title), required=False),
            "description": _field(_text(_task_description, nullable=True), required=False),
        }

    @classmethod
    def from_valid(cls, data: dict[str, Any]) -> Self:
        return cls(**data, given=frozenset(data))

    def changes(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in sorted(self.given)}


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversationCreate:
    title: str | None = None

    @staticmethod
    def rules() -> dict[str, cs.TypedDictField]:
        return {"title": _field(_text(_conversation_title, nullable=True), required=False)}


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageCreate:
    role: Role
    content: str

    @staticmethod
    def rules() -> dict[str, cs.TypedDictField]:
        return {
            "role": _field(_roles()),
            "content": _field(_text(_content)),
        }


# --- public ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    id: UUID
    number: int
    title: str
    description: str | None
    completed: bool
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation:
    id: UUID
    number: int
    title: str | None
    message_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    id: UUID
    role: Role
    content: str
    created_at: datetime


# --- validation -----------------------------------------------------------------


class InputModel(Protocol):
    """What `parse` needs of a model: its rules, and a constructor for valid data."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @staticmethod
    def rules() -> dict[str, cs.TypedDictField]: ...


M = TypeVar("M", bound=InputModel)

# One validator per model, built on first use: `todo add` builds one, `todo list` none.
_validators: dict[type[Any], SchemaValidator] = {}


def _validator(model: type[Any]) -> SchemaValidator:
    validator = _validators.get(model)
    if validator is None:
        from pydantic_core import SchemaValidator
        from pydantic_core import core_schema as cs

        schema = cs.typed_dict_schema(model.rules(), extra_behavior="forbid")
        validator = _validators[model] = SchemaValidator(schema)
    return validator


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


def parse(model: type[M], data: Mapping[str, Any], *, context: str = "") -> M:
    """Validate input into ``model``, turning failure into InvalidInput (exit 2)."""
    from pydantic_core import ValidationError

    try:
        valid: dict[str, Any] = _validator(model).validate_python(data)
    except ValidationError as exc:
        message = describe_validation_error(exc)
        raise InvalidInput(f"{context}{message}" if context else message) from None
    except InvalidInput as exc:
        if context:
            raise InvalidInput(f"{context}{exc.message}", hint=exc.hint) from None
        raise
    from_valid = getattr(model, "from_valid", None)
    return from_valid(valid) if from_valid is not None else model(**valid)
