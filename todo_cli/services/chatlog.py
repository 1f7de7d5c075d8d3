"""Chat-log commands: each function is one command's transaction and its logic."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from todo_cli.db.transaction import acting_user, transaction
from todo_cli.errors import Declined
from todo_cli.repository.conversations import ConversationRepository, Hit
from todo_cli.repository.refs import Ref
from todo_cli.services.common import Report, deliver

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy import Connection

    from todo_cli.domain.chat import Conversation, ConversationCreate, Message, MessageCreate
    from todo_cli.domain.search import Query
    from todo_cli.formats.chats import ImportedConversation
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
    """Delete a conversation and its messages; with `confirm`, only once it says yes.

    The question is asked outside any transaction (SQLite would hold its write
    lock while a person reads it). Should another command add or delete messages
    meanwhile, the answer was about other messages: nothing is deleted (Conflict,
    exit 1), as `history --prune-before` does.
    """
    asked: Conversation | None = None
    if confirm is not None:
        with transaction(settings, read_only=True) as conn:
            asked = ConversationRepository(conn, acting_user(conn)).get(ref)
        if not confirm(asked):
            raise Declined("nothing was deleted")
        ref = Ref.to(asked.id)
    with transaction(settings) as conn:
        repository = ConversationRepository(conn, acting_user(conn))
        if asked is not None:
            _as_asked(repository, asked)
        return deliver(report, repository.delete(ref))


def _as_asked(repository: ConversationRepository, asked: Conversation) -> None:
    """Refuse (Conflict) when the conversation the question named changed since."""
    from todo_cli.domain.text import plural
    from todo_cli.errors import Conflict, NotFound

    try:
        now = repository.get(Ref.to(asked.id))
    except NotFound:
        raise Conflict(
            f"conversation #{asked.number} was deleted by another command while the "
            "question waited",
            hint="it is gone already",
        ) from None
    if now.message_count != asked.message_count:
        raise Conflict(
            f"conversation #{asked.number} changed while the question waited: it has "
            f"{plural(now.message_count, 'message')} now, not {asked.message_count:,}",
            hint="nothing was deleted; run it again",
        )


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


def rename(
    settings: Settings, ref: Ref, title: str | None, *, report: Report[Conversation] | None = None
) -> Conversation:
    with transaction(settings) as conn:
        return deliver(report, ConversationRepository(conn, acting_user(conn)).rename(ref, title))


def listed(settings: Settings, *, limit: int | None, title: str | None) -> list[Conversation]:
    with transaction(settings, read_only=True) as conn:
        return ConversationRepository(conn, acting_user(conn)).find(limit=limit, title=title)


def search(settings: Settings, query: Query, *, limit: int) -> list[Hit]:
    """Messages and titles matching `query`, best first."""
    with transaction(settings, read_only=True) as conn:
        return ConversationRepository(conn, acting_user(conn)).search(query, limit=limit)


# --- imports of other tools' exports --------------------------------------------------


@dataclass
class ChatImport:
    """What an import of ChatGPT, Claude or llm conversations did."""

    format: str
    added: int = 0
    extended: int = 0
    unchanged: int = 0
    messages: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    # Each message left out for its content, by conversation and message id: a
    # count alone would not let anyone find it in the export.
    notices: list[str] = field(default_factory=list)

    def skip(self, kind: str, count: int = 1) -> None:
        self.skipped[kind] = self.skipped.get(kind, 0) + count


def import_export(
    settings: Settings,
    conversations: Iterable[ImportedConversation],
    *,
    fmt: str,
    progress: Callable[[int], None] | None = None,
    report: Report[ChatImport] | None = None,
) -> ChatImport:
    """Conversations from another tool, all or nothing, idempotent by the source's ids.

    A conversation seen before (same source and id) gets only the messages
    it did not have, at its end; one seen in full is left alone. Messages
    keep their own times. The export is read as it is written, one
    conversation at a time, so memory stays flat however big it is.
    """
    result = ChatImport(format=fmt)
    with transaction(settings) as conn:
        repository = ConversationRepository(conn, acting_user(conn))
        for imported in conversations:
            _import_one(repository, imported, result)
            if progress is not None:
                progress(1)
        if result.messages >= _ANALYZED_FROM:
            _analyze(conn)
        return deliver(report, result)


# A PostgreSQL import that adds this many messages counts them for the planner at
# once: until autovacuum came by (a minute or two later), a search of a database
# that had been small planned a nested loop over the search index, 10-20 times
# slower (7.4 s against 0.4 s after 40,000 messages).
_ANALYZED_FROM = 5_000


def _analyze(conn: Connection) -> None:
    """ANALYZE the chat-log tables (PostgreSQL, their owner: a member's is skipped with
    a warning by PostgreSQL itself, and autovacuum comes by as before)."""
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    owns = conn.execute(
        text(
            "SELECT pg_catalog.pg_has_role(c.relowner, 'USAGE') FROM pg_catalog.pg_class c "
            "WHERE c.oid = 'public.messages'::pg_catalog.regclass"
        )
    ).scalar()
    if owns:
        conn.execute(text("ANALYZE conversations, messages"))


def _title_removed(repository: ConversationRepository, conversation_id: UUID) -> bool:
    from todo_cli.repository.journal import JournalRepository

    return JournalRepository(repository.conn, repository.user).title_removed(conversation_id)


def _before_one_here(imported: ImportedConversation, known: set[str], added: set[str]) -> bool:
    """Whether a message being added comes, in the export, before one already here."""
    last_known = max(
        (n for n, message in enumerate(imported.messages) if message.source_id in known),
        default=-1,
    )
    return any(message.source_id in added for message in imported.messages[: last_known + 1])


def _wrong_source_id(source_id: str) -> str | None:
    """What keeps a source's id from being stored as it came, if anything."""
    from todo_cli.domain.limits import SOURCE_ID_MAX

    if len(source_id) > SOURCE_ID_MAX:
        return f"is over {SOURCE_ID_MAX} characters"
    if "\x00" in source_id:
        return "contains a NUL byte"
    return None


def _shown_id(source_id: str) -> str:
    """An id as a notice names it: quoted where it holds what a line cannot show,
    its start where it is too long to be read."""
    shown = source_id if len(source_id) <= 60 else source_id[:59] + "\u2026"
    return shown if shown.isprintable() else repr(shown)


def _changed_since(here: str, role: str, content: str) -> bool:
    """Whether a message of the export differs from the same message stored here, as
    the import would store it (a message it would refuse now is no change to say)."""
    from todo_cli.domain.chat import MessageCreate
    from todo_cli.domain.models import parse
    from todo_cli.errors import InvalidInput

    if content == here:
        return False
    try:
        checked = parse(MessageCreate, {"role": role, "content": content})
    except InvalidInput:
        return False
    return checked.content != here


def _import_one(
    repository: ConversationRepository, imported: ImportedConversation, result: ChatImport
) -> None:
    from todo_cli.domain.chat import MessageCreate, Role
    from todo_cli.domain.limits import CONVERSATION_TITLE_MAX
    from todo_cli.domain.models import parse
    from todo_cli.domain.text import check_text
    from todo_cli.errors import InvalidInput

    for kind, count in imported.skipped.items():
        result.skip(kind, count)
    wrong = _wrong_source_id(imported.source_id)
    if wrong is not None:
        # Kept by its id, which the database must hold as it came: the same on every
        # backend (PostgreSQL refused it, exit 3; SQLite took it).
        result.skip("invalid")
        result.notices.append(
            f"conversation {_shown_id(imported.source_id)}: its id {wrong}: left out"
        )
        return
    existing = repository.by_source(imported.source, imported.source_id)
    stored = existing[1] if existing is not None else {}
    known = set(stored)
    items: list[MessageCreate] = []
    ids: list[str] = []
    # Messages here that the export has with other content (Claude keeps a message's
    # uuid when it is edited): kept as they are, messages being never changed, and said.
    changed = 0
    for message in imported.messages:
        if message.source_id in known:
            changed += _changed_since(stored[message.source_id], message.role, message.content)
            continue
        wrong = _wrong_source_id(message.source_id)
        if wrong is not None:
            result.skip("invalid")
            result.notices.append(
                f"conversation {imported.source_id}, message {_shown_id(message.source_id)}: "
                f"its id {wrong}: left out"
            )
            continue
        try:
            checked = parse(MessageCreate, {"role": message.role, "content": message.content})
        except InvalidInput as exc:
            result.skip("too long" if "limit" in exc.message else "invalid")
            result.notices.append(
                f"conversation {imported.source_id}, message {message.source_id}: "
                f"{exc.message}: left out"
            )
            continue
        items.append(
            MessageCreate(
                role=Role(checked.role), content=checked.content, created_at=message.created_at
            )
        )
        ids.append(message.source_id)
    title = (imported.title or "").strip() or None
    if title is not None:
        try:
            # A NUL no backend stores as it came (PostgreSQL refuses it, exit 3 then).
            check_text(title, "its title")
        except InvalidInput as exc:
            result.notices.append(f"conversation {imported.source_id}: {exc.message}: left out")
            title = None
    if title is not None and len(title) > CONVERSATION_TITLE_MAX:
        title = title[: CONVERSATION_TITLE_MAX - 1].rstrip() + "\u2026"
        result.notices.append(
            f"conversation {imported.source_id}: its title is over {CONVERSATION_TITLE_MAX} "
            "characters: shortened"
        )
    if existing is not None:
        conversation, _, last_seq = existing
        if changed:
            result.notices.append(
                f"conversation #{conversation.number} ({imported.source_id}): {changed} "
                "message(s) the export has changed since they were imported are kept as "
                "they were here (messages are never changed)"
            )
        shown = {message.source_id for message in imported.messages}
        if items and known - shown:
            # An earlier prompt edited there (or another answer chosen): the export
            # shows another branch. What is here stays; the branch's new messages follow.
            result.notices.append(
                f"conversation #{conversation.number} ({imported.source_id}): the export "
                f"shows another branch than the one imported before; its "
                f"{len(items)} new message(s) were added after the {last_seq} already here"
            )
        elif items and _before_one_here(imported, known, set(ids)):
            # A message left out before (its content refused then, fixed since) comes
            # before messages imported then: messages here are never moved, so it
            # follows them, out of its place in the conversation, and that is said.
            result.notices.append(
                f"conversation #{conversation.number} ({imported.source_id}): "
                f"{len(items)} message(s) the export has before ones imported earlier "
                f"were added after the {last_seq} already here"
            )
        named = (
            conversation.title is None
            and title is not None
            and not _title_removed(repository, conversation.id)
        )
        if named:
            # Untitled when first imported (Claude names a chat after its first
            # messages), titled in a later export: the title is taken. One given here
            # (`chat-log rename`) is the user's, and stays.
            repository.rename(Ref.to(conversation.id), title)
            result.notices.append(f"conversation #{conversation.number} titled {title!r}")
        if items:
            repository.extend(conversation, items, ids, after_seq=last_seq)
            result.extended += 1
            result.messages += len(items)
        elif named:
            result.extended += 1
        else:
            result.unchanged += 1
        return
    if not items:
        result.skip("empty conversation")
        return
    repository.add_imported(
        source=imported.source,
        source_id=imported.source_id,
        title=title,
        created_at=imported.created_at,
        items=items,
        source_ids=ids,
    )
    result.added += 1
    result.messages += len(items)
