"""Chat-log commands: each function is one command's transaction and its logic."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from todo_cli.db.transaction import acting_user, transaction
from todo_cli.errors import Declined
from todo_cli.repository.conversations import ConversationRepository
from todo_cli.repository.refs import Ref
from todo_cli.services.common import Report, deliver

if TYPE_CHECKING:
    from todo_cli.domain.models import Conversation, ConversationCreate, Message, MessageCreate
    from todo_cli.formats.transcript import Transcript
    from todo_cli.settings import Settings


def conversations(settings: Settings) -> list[Conversation]:
    with transaction(settings, read_only=True) as conn:
        return ConversationRepository(conn, acting_user(conn)).find()


def new(
    settings: Settings, wanted: ConversationCreate, *, report: Report[Conversation] | None = None
) -> Conversation:
    with transaction(settings) as conn:
        return deliver(report, ConversationRepository(conn, acting_user(conn)).create(wanted))


def append(
    settings: Settings,
    ref: Ref,
    message: MessageCreate,
    *,
    report: Report[tuple[Conversation, Message]] | None = None,
) -> tuple[Conversation, Message]:
    with transaction(settings) as conn:
        return deliver(report, ConversationRepository(conn, acting_user(conn)).append(ref, message))


def transcript(settings: Settings, ref: Ref) -> tuple[Conversation, list[Message]]:
    with transaction(settings, read_only=True) as conn:
        return ConversationRepository(conn, acting_user(conn)).get_with_messages(ref)


def delete(
    settings: Settings,
    ref: Ref,
    *,
    confirm: Callable[[Conversation], bool] | None,
    report: Report[Conversation] | None = None,
) -> Conversation:
    """Delete a conversation and its messages; with `confirm`, only once it says yes."""
    if confirm is not None:
        with transaction(settings, read_only=True) as conn:
            target = ConversationRepository(conn, acting_user(conn)).get(ref)
        if not confirm(target):
            raise Declined("nothing was deleted")
        ref = Ref.to(target.id)
    with transaction(settings) as conn:
        return deliver(report, ConversationRepository(conn, acting_user(conn)).delete(ref))


def import_transcript(
    settings: Settings, transcript: Transcript, *, report: Report[Conversation] | None = None
) -> Conversation:
    with transaction(settings) as conn:
        imported = ConversationRepository(conn, acting_user(conn)).import_(
            transcript.conversation,
            transcript.messages,
            conversation_id=transcript.conversation_id,
            created_at=transcript.created_at,
        )
        return deliver(report, imported)
