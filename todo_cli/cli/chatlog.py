"""`todo chat-log`: conversations of user and assistant messages."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from todo_cli.cli.app import state
from todo_cli.cli.options import Json, Yes, confirm_or_refuse
from todo_cli.errors import InvalidInput, UsageError

if TYPE_CHECKING:
    import json

    from todo_cli.models import ConversationCreate, InputModel, MessageCreate

chat_app = typer.Typer(
    name="chat-log",
    invoke_without_command=True,
    rich_markup_mode=None,
)

Conv = Annotated[
    str,
    typer.Argument(metavar="CONV", help="A conversation number (3 or #3), UUID or UUID prefix."),
]
Title = Annotated[str | None, typer.Option("--title", "-t", metavar="TEXT", help="A title for it.")]
AlwaysJson = Annotated[
    bool, typer.Option("--json", help="Accepted for symmetry: export always prints JSON.")
]
NOTHING_IMPORTED = "nothing was imported"


class Role(StrEnum):
    user = "user"
    assistant = "assistant"


@chat_app.callback()
def chat_log(ctx: typer.Context, json: Json = False) -> None:
    """Conversations of user and assistant messages (with no command: list them).

    \b
    Examples:
      todo chat-log new --title "Plan the week"
      todo chat-log append 1 --role user "What is due on Friday?"
      llm "..." | todo chat-log append 1 --role assistant -
      todo chat-log show 1
    """
    if ctx.invoked_subcommand is None:
        _list(ctx, json)


@chat_app.command("list")
def list_(ctx: typer.Context, json: Json = False) -> None:
    """List your conversations, most recent activity first.

    \b
    Examples:
      todo chat-log list
      todo chat-log list --json | jq -r '.[] | "\\(.number) \\(.message_count)"'
    """
    _list(ctx, json)


def _list(ctx: typer.Context, json: bool) -> None:
    from todo_cli import render, render_chat
    from todo_cli.database import transaction
    from todo_cli.repository.conversations import ConversationRepository

    settings = state(ctx).settings()
    with transaction(settings, read_only=True) as conn:
        found = ConversationRepository(conn, settings.user).find()
    if json:
        render.write_json_array(render.conversation_json(c) for c in found)
    elif found:
        render_chat.conversations_table(found)
    else:
        render.tell("no conversations (start one with `todo chat-log new`)")


@chat_app.command()
def new(ctx: typer.Context, title: Title = None, json: Json = False) -> None:
    """Start a conversation.

    \b
    Example:
      todo chat-log new --title "Plan the week"
    """
    from todo_cli import render
    from todo_cli.database import transaction
    from todo_cli.models import ConversationCreate, parse
    from todo_cli.repository.conversations import ConversationRepository

    wanted = parse(ConversationCreate, {"title": title})
    settings = state(ctx).settings()
    with transaction(settings) as conn:
        conversation = ConversationRepository(conn, settings.user).create(wanted)
    if json:
        render.write_json(render.conversation_json(conversation))
    else:
        render.tell(
            f"started conversation #{conversation.number}"
            + (f": {conversation.title}" if conversation.title else "")
        )


@chat_app.command()
def append(
    ctx: typer.Context,
    conversation: Conv,
    role: Annotated[Role, typer.Option("--role", "-r", help="Who said it.")],
    text: Annotated[
        str | None,
        typer.Argument(help="What was said. - (or nothing, when piped) reads all of stdin."),
    ] = None,
    json: Json = False,
) -> None:
    """Add a message to the end of a conversation. Messages are never edited.

    \b
    Examples:
      todo chat-log append 1 --role user "What is due on Friday?"
      llm "What is due on Friday?" | todo chat-log append 1 --role assistant -
    """
    from todo_cli import render
    from todo_cli.database import transaction
    from todo_cli.models import MessageCreate, parse
    from todo_cli.repository.conversations import ConversationRepository
    from todo_cli.repository.refs import parse_ref

    if text is None and sys.stdin.isatty():
        raise UsageError("missing TEXT", hint="give the message, or - to read it from stdin")
    ref = parse_ref(conversation, "conversation")
    content = _read_stdin() if text in (None, "-") else text
    message = parse(MessageCreate, {"role": role.value, "content": content})
    settings = state(ctx).settings()
    with transaction(settings) as conn:
        updated, added = ConversationRepository(conn, settings.user).append(ref, message)
    if json:
        render.write_json(render.message_json(added))
    else:
        render.tell(
            f"appended {added.role} message {updated.message_count} "
            f"to conversation #{updated.number}"
        )


@chat_app.command()
def show(ctx: typer.Context, conversation: Conv, json: Json = False) -> None:
    """Show a conversation as a transcript: who said what, and when.

    --json prints what `export` does.

    \b
    Examples:
      todo chat-log show 1
      todo chat-log show 1 | less
    """
    _show(ctx, conversation, as_json=json)


@chat_app.command()
def export(ctx: typer.Context, conversation: Conv, json: AlwaysJson = False) -> None:
    """Print a conversation and its messages as one JSON object.

    `todo chat-log import` reads it back as a new conversation.

    \b
    Examples:
      todo chat-log export 1 > plan.json
      todo chat-log export 1 | todo --user bob chat-log import -
    """
    _show(ctx, conversation, as_json=True)


def _show(ctx: typer.Context, conversation: str, *, as_json: bool) -> None:
    from todo_cli import render, render_chat
    from todo_cli.database import transaction
    from todo_cli.repository.conversations import ConversationRepository
    from todo_cli.repository.refs import parse_ref

    ref = parse_ref(conversation, "conversation")
    settings = state(ctx).settings()
    with transaction(settings, read_only=True) as conn:
        found, messages = ConversationRepository(conn, settings.user).get_with_messages(ref)
    if as_json:
        render.write_json(render_chat.transcript_json(found, messages))
    else:
        render_chat.transcript(found, messages)


@chat_app.command()
def delete(ctx: typer.Context, conversation: Conv, yes: Yes = False, json: Json = False) -> None:
    """Delete a conversation and all its messages (asks first; --yes when not on a terminal).

    \b
    Example:
      todo chat-log delete 1 --yes
    """
    from todo_cli import render
    from todo_cli.database import transaction
    from todo_cli.repository.conversations import ConversationRepository
    from todo_cli.repository.refs import Ref, parse_ref

    ref = parse_ref(conversation, "conversation")
    settings = state(ctx).settings()
    if not yes:
        with transaction(settings, read_only=True) as conn:
            target = ConversationRepository(conn, settings.user).get(ref)
        name = f" {target.title!r}" if target.title else ""
        confirm_or_refuse(
            f"delete conversation #{target.number}{name} and its {target.message_count} messages?",
            yes,
        )
        # Delete exactly what was confirmed, even if a number was typed.
        ref = Ref.to(target.id)
    with transaction(settings) as conn:
        deleted = ConversationRepository(conn, settings.user).delete(ref)
    if json:
        render.write_json(render.conversation_json(deleted))
    else:
        render.tell(
            f"deleted conversation #{deleted.number} and its {_messages(deleted.message_count)}"
        )


@chat_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="The file to read, or - for stdin."),
    ],
    title: Annotated[
        str | None,
        typer.Option("--title", "-t", metavar="TEXT", help="A title (instead of the file's)."),
    ] = None,
    json: Json = False,
) -> None:
    """Import a conversation from a file, all or nothing, as a new conversation.

    FILE holds a JSON array of {"role", "content"} objects, one such object
    per line (JSON Lines), or an object with "title" and "messages", which is
    what `export` and `show --json` print.

    \b
    Examples:
      todo chat-log import chat.json
      todo chat-log export 1 | todo chat-log import - --title "Copy of 1"
    """
    from todo_cli import render
    from todo_cli.database import transaction
    from todo_cli.repository.conversations import ConversationRepository

    name = "stdin" if file == "-" else file
    wanted, items = _parse_transcript(name, _read_file(file), title)
    settings = state(ctx).settings()
    with transaction(settings) as conn:
        conversation = ConversationRepository(conn, settings.user).import_(wanted, items)
    if json:
        render.write_json(render.conversation_json(conversation))
    else:
        render.tell(
            f"imported conversation #{conversation.number} with "
            f"{_messages(conversation.message_count)}"
        )


# --- reading input -------------------------------------------------------------


def _read_stdin(*, hint: str = "nothing was written") -> str:
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    return _decode("stdin", data, hint=hint)


def _read_file(file: str) -> str:
    if file == "-":
        return _read_stdin(hint=NOTHING_IMPORTED)
    from pathlib import Path

    try:
        data = Path(file).read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{file}: no such file", hint=NOTHING_IMPORTED) from None
    except OSError as exc:
        raise InvalidInput(
            f"{file}: cannot read it: {exc.strerror}", hint=NOTHING_IMPORTED
        ) from None
    return _decode(file, data, hint=NOTHING_IMPORTED)


def _decode(name: str, data: bytes, *, hint: str) -> str:
    """Strict UTF-8; a leading byte order mark (as some editors write) is dropped."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{name} is not valid UTF-8 (line {line})", hint=hint) from None
    return text.removeprefix("\ufeff")


# Fields that `export` and `show --json` print but a new conversation makes anew.
_CONVERSATION_OUTPUT_FIELDS = frozenset(
    {"id", "number", "message_count", "created_at", "updated_at"}
)
_MESSAGE_OUTPUT_FIELDS = frozenset({"id", "created_at"})
_SHAPES = (
    'a JSON array of {"role", "content"} objects, JSON Lines, '
    'or an object with "title" and "messages"'
)


def _parse_transcript(
    name: str, text: str, title: str | None
) -> tuple[ConversationCreate, list[MessageCreate]]:
    """The conversation a file describes, every message checked before anything is written."""
    from todo_cli.models import ConversationCreate, MessageCreate

    if not text.strip():
        raise InvalidInput(f"{name} is empty", hint=f"expected {_SHAPES}")
    try:
        file_title, items = _items(name, text)
    except RecursionError:
        raise InvalidInput(f"{name} is nested too deeply", hint=NOTHING_IMPORTED) from None
    chosen = title if title is not None else file_title
    wanted = _checked(ConversationCreate, {"title": chosen}, f"{name}: ")
    return wanted, [_message(MessageCreate, f"{name}: {label}: ", item) for label, item in items]


def _items(name: str, text: str) -> tuple[Any, list[tuple[str, Any]]]:
    """The file's title (if it has one) and its messages, each with a label for errors."""
    import json

    try:
        document = json.loads(text)
    except json.JSONDecodeError as whole:
        return None, _json_lines(name, text, whole)
    if isinstance(document, list):
        return None, [(f"message {i} (.[{i - 1}])", item) for i, item in enumerate(document, 1)]
    if isinstance(document, dict) and not {"role", "content"} & document.keys():
        return document.get("title"), _object_items(name, document)
    if isinstance(document, dict):
        return None, [("line 1", document)]  # JSON Lines of one message
    raise InvalidInput(
        f"{name}: expected {_SHAPES}, not {_json_type(document)}", hint=NOTHING_IMPORTED
    )


def _json_lines(name: str, text: str, whole: json.JSONDecodeError) -> list[tuple[str, Any]]:
    import json

    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    try:
        first = json.loads(numbered[0][1])
    except json.JSONDecodeError:
        # Not JSON Lines either: the whole-document error is the useful one.
        raise InvalidInput(
            f"{name} is not JSON: {whole.msg} at line {whole.lineno} column {whole.colno}",
            hint=f"expected {_SHAPES}; {NOTHING_IMPORTED}",
        ) from None
    items = [(f"line {numbered[0][0]}", first)]
    for n, line in numbered[1:]:
        try:
            items.append((f"line {n}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"{name}: line {n} is not JSON: {exc.msg} at column {exc.colno}",
                hint=NOTHING_IMPORTED,
            ) from None
    return items


def _object_items(name: str, document: dict[str, Any]) -> list[tuple[str, Any]]:
    unexpected = sorted(document.keys() - _CONVERSATION_OUTPUT_FIELDS - {"title", "messages"})
    if unexpected:
        raise InvalidInput(
            f"{name}: unexpected field {unexpected[0]!r}",
            hint=f'expected "title" and "messages"; {NOTHING_IMPORTED}',
        )
    if "messages" not in document:
        raise InvalidInput(f'{name}: "messages" is missing', hint=NOTHING_IMPORTED)
    messages = document["messages"]
    if not isinstance(messages, list):
        raise InvalidInput(
            f'{name}: "messages" must be an array, not {_json_type(messages)}',
            hint=NOTHING_IMPORTED,
        )
    return [(f"message {i} (.messages[{i - 1}])", item) for i, item in enumerate(messages, 1)]


def _message(model: type[MessageCreate], where: str, item: Any) -> MessageCreate:
    if not isinstance(item, dict):
        raise InvalidInput(
            f'{where}expected an object with "role" and "content", not {_json_type(item)}',
            hint=NOTHING_IMPORTED,
        )
    unexpected = sorted(item.keys() - _MESSAGE_OUTPUT_FIELDS - {"role", "content"})
    if unexpected:
        raise InvalidInput(
            f"{where}unexpected field {unexpected[0]!r}",
            hint=f'expected "role" and "content"; {NOTHING_IMPORTED}',
        )
    return _checked(model, {key: item[key] for key in ("role", "content") if key in item}, where)


M = TypeVar("M", bound="InputModel")


def _checked(model: type[M], data: dict[str, Any], where: str) -> M:
    from todo_cli.models import parse

    try:
        return parse(model, data, context=where)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=NOTHING_IMPORTED) from None


def _json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def _messages(count: int) -> str:
    return f"{count} message{'' if count == 1 else 's'}"
