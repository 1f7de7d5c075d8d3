"""The chat log's models: conversations and messages, as commands take and get them.

Apart from :mod:`todo_cli.domain.models` (which validates them) so that a task
command does not define them: each frozen dataclass costs a command ~0.3 ms to
create, and `todo add` is measured against the bare imports of its stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from todo_cli.domain.limits import CONVERSATION_TITLE_MAX, MESSAGE_CONTENT_MAX, MESSAGE_ROLES
from todo_cli.domain.text import check_text, is_blank

if TYPE_CHECKING:
    from pydantic_core import core_schema as cs


class Role(StrEnum):
    """Who said a message (CLI choices, models); limits.MESSAGE_ROLES names them for the CHECK."""

    user = "user"
    assistant = "assistant"


def _conversation_title(value: str | None) -> str | None:
    if value is None or is_blank(value):
        return None
    check_text(value, "title")
    value = value.strip()
    if len(value) > CONVERSATION_TITLE_MAX:
        raise ValueError(f"title is {len(value)} characters, the limit is {CONVERSATION_TITLE_MAX}")
    return value


def _content(value: str) -> str:
    # Kept exactly as given (no stripping): a transcript is a record.
    check_text(value, "content")
    if is_blank(value):
        raise ValueError("content is empty")
    if len(value) > MESSAGE_CONTENT_MAX:
        raise ValueError(f"content is {len(value)} characters, the limit is {MESSAGE_CONTENT_MAX}")
    return value


# --- input --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversationCreate:
    title: str | None = None

    @staticmethod
    def rules() -> dict[str, cs.TypedDictField]:
        from todo_cli.domain.models import field_rule, text_rule

        return {"title": field_rule(text_rule(_conversation_title, nullable=True), required=False)}


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageCreate:
    role: Role
    content: str
    # Kept when a transcript is imported: a message's time and id are a record too.
    created_at: datetime | None = None
    id: UUID | None = None

    @staticmethod
    def rules() -> dict[str, cs.TypedDictField]:
        from pydantic_core import core_schema as cs

        from todo_cli.domain.models import field_rule, text_rule

        return {
            "role": field_rule(cs.no_info_after_validator_function(Role, _roles())),
            "content": field_rule(text_rule(_content)),
        }


def _roles() -> cs.CoreSchema:
    from pydantic_core import core_schema as cs

    return cs.literal_schema(list(MESSAGE_ROLES))


# --- public ---------------------------------------------------------------------


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
