"""`todo chat-log`: conversations of user and assistant messages. Parse, call, render."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from todo_cli.cli.app import settings
from todo_cli.cli.options import Json, Yes, ask
from todo_cli.domain.models import Role
from todo_cli.errors import InvalidUsage

if TYPE_CHECKING:
    from todo_cli.domain.models import Conversation, Message

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
    from todo_cli.output import render
    from todo_cli.output.chat import conversations_table
    from todo_cli.services import chatlog

    found = chatlog.conversations(settings(ctx))
    if json:
        render.write_json_array(render.conversation_json(c) for c in found)
    elif found:
        conversations_table(found)
    else:
        render.tell("no conversations (start one with `todo chat-log new`)")


@chat_app.command()
def new(ctx: typer.Context, title: Title = None, json: Json = False) -> None:
    """Start a conversation.

    \b
    Example:
      todo chat-log new --title "Plan the week"
    """
    from todo_cli.domain.models import ConversationCreate, parse
    from todo_cli.output import render
    from todo_cli.services import chatlog

    wanted = parse(ConversationCreate, {"title": title})

    def started(conversation: Conversation) -> None:
        if json:
            render.write_json(render.conversation_json(conversation))
            render.flush_stdout()
        else:
            render.tell(
                f"started conversation #{conversation.number}"
                + (f": {conversation.title}" if conversation.title else "")
            )

    chatlog.new(settings(ctx), wanted, report=started)


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
    from todo_cli.domain.models import MessageCreate, parse
    from todo_cli.formats.input import read_text
    from todo_cli.output import render
    from todo_cli.repository.refs import parse_ref
    from todo_cli.services import chatlog

    if text is None and sys.stdin.isatty():
        raise InvalidUsage("missing TEXT", hint="give the message, or - to read it from stdin")
    ref = parse_ref(conversation, "conversation")
    content = read_text("-", hint="nothing was written") if text in (None, "-") else text
    message = parse(MessageCreate, {"role": role.value, "content": content})

    def appended(result: tuple[Conversation, Message]) -> None:
        updated, added = result
        if json:
            render.write_json(render.message_json(added))
            render.flush_stdout()
        else:
            render.tell(
                f"appended {added.role.value} message {updated.message_count} "
                f"to conversation #{updated.number}"
            )

    chatlog.append(settings(ctx), ref, message, report=appended)


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

    `todo chat-log import` reads it back, each message with its own time.

    \b
    Examples:
      todo chat-log export 1 > plan.json
      todo chat-log export 1 | todo --user bob chat-log import -
    """
    _show(ctx, conversation, as_json=True)


def _show(ctx: typer.Context, conversation: str, *, as_json: bool) -> None:
    from todo_cli.formats.transcript import transcript_json
    from todo_cli.output import render
    from todo_cli.output.chat import transcript
    from todo_cli.repository.refs import parse_ref
    from todo_cli.services import chatlog

    found, messages = chatlog.transcript(settings(ctx), parse_ref(conversation, "conversation"))
    if as_json:
        render.write_json(transcript_json(found, messages))
    else:
        transcript(found, messages)


@chat_app.command()
def delete(ctx: typer.Context, conversation: Conv, yes: Yes = False, json: Json = False) -> None:
    """Delete a conversation and all its messages (asks first; --yes when not on a terminal).

    Answering no deletes nothing and is not an error (exit 0).

    \b
    Example:
      todo chat-log delete 1 --yes
    """
    from todo_cli.domain.text import one_line
    from todo_cli.output import render
    from todo_cli.repository.refs import parse_ref
    from todo_cli.services import chatlog

    ref = parse_ref(conversation, "conversation")

    def confirm(target: Conversation) -> bool:
        name = f" {one_line(target.title)}" if target.title else ""
        count = render.plural(target.message_count, "message")
        return ask(f"delete conversation #{target.number}{name} and its {count}?", yes)

    def deleted(gone: Conversation) -> None:
        if json:
            render.write_json(render.conversation_json(gone))
            render.flush_stdout()
        else:
            render.tell(
                f"deleted conversation #{gone.number} and its "
                f"{render.plural(gone.message_count, 'message')}"
            )

    chatlog.delete(settings(ctx), ref, confirm=None if yes else confirm, report=deleted)


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
    what `export` and `show --json` print (each message keeps its time).

    \b
    Examples:
      todo chat-log import chat.json
      todo chat-log export 1 | todo chat-log import - --title "Copy of 1"
    """
    from todo_cli.formats import transcript
    from todo_cli.formats.input import describe, read_text
    from todo_cli.output import render
    from todo_cli.services import chatlog

    text = read_text(file, hint=transcript.NOTHING_IMPORTED)
    parsed = transcript.parse(describe(file), text, title)

    def imported(conversation: Conversation) -> None:
        if json:
            render.write_json(render.conversation_json(conversation))
            render.flush_stdout()
        else:
            render.tell(
                f"imported conversation #{conversation.number} with "
                f"{render.plural(conversation.message_count, 'message')}"
            )

    chatlog.import_transcript(settings(ctx), parsed, report=imported)
