"""`todo chat-log`: conversations of user and assistant messages. Parse, call, render."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from todo_cli.cli.app import settings
from todo_cli.cli.options import Json, Limit, OnceCommand, WordsCommand, Yes, ask, unmark
from todo_cli.domain.chat import Role
from todo_cli.errors import InvalidInput, InvalidUsage

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import tzinfo

    from todo_cli.domain.chat import Conversation, Message
    from todo_cli.formats.jsonstream import Readable

# How many matches `chat-log search` shows without --limit.
SEARCH_SHOWN = 20

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


def _reporter(json: bool, said: Callable[[Conversation], str]) -> Callable[[Conversation], None]:
    """What a command that changes one conversation prints once it has committed:
    the conversation as JSON on stdout, or `said` of it on stderr."""
    from todo_cli.output import render

    def report(conversation: Conversation) -> None:
        if json:
            render.write_json(render.conversation_json(conversation))
            render.flush_stdout()
        else:
            render.tell(said(conversation))

    return report


def _titled(conversation: Conversation) -> str:
    return f": {conversation.title}" if conversation.title else ""


def _group_json(ctx: typer.Context, json: bool) -> bool:
    """--json given to the command, or to `todo chat-log` before it (its help offers
    --json too, so `todo chat-log --json list` is JSON as much as `... list --json`)."""
    parent = ctx.parent
    return json or bool(parent is not None and parent.params.get("json"))


@chat_app.command("list", cls=OnceCommand)
def list_(
    ctx: typer.Context,
    limit: Limit = None,
    search: Annotated[
        str | None,
        typer.Option("--search", "-s", metavar="TEXT", help="Only titles containing TEXT."),
    ] = None,
    json: Json = False,
) -> None:
    """List your conversations, most recent activity first.

    \b
    Examples:
      todo chat-log list --limit 10
      todo chat-log list --search planning
      todo chat-log list --json | jq -r '.[] | "\\(.number) \\(.message_count)"'
    """
    json = _group_json(ctx, json)
    from todo_cli.cli.options import refuse_empty_search

    refuse_empty_search(search, "conversation")
    _list(ctx, json, limit=limit, title=search)


def _zone(json: bool) -> tzinfo:
    """The local zone the times are shown in, looked up before the database is: a TZ
    that names no zone is refused (exit 2), as by the task commands, not read as UTC.
    JSON needs none (its times are UTC), as `todo show --json` needs none."""
    from datetime import UTC

    from todo_cli.domain.dates import local_zone

    return UTC if json else local_zone()


def _list(
    ctx: typer.Context, json: bool, *, limit: int | None = None, title: str | None = None
) -> None:
    from todo_cli.output import render
    from todo_cli.output.chat import conversations_table
    from todo_cli.services import chatlog

    tz = _zone(json)
    found = chatlog.listed(settings(ctx), limit=limit, title=title)
    if json:
        render.write_json_array(render.conversation_json(c) for c in found)
    elif found:
        conversations_table(found, tz)
    elif title is not None:
        render.tell(f"no conversations with {title!r} in the title")
    else:
        render.tell("no conversations (start one with `todo chat-log new`)")


@chat_app.command(cls=OnceCommand)
def new(ctx: typer.Context, title: Title = None, json: Json = False) -> None:
    """Start a conversation.

    \b
    Example:
      todo chat-log new --title "Plan the week"
    """
    json = _group_json(ctx, json)
    from todo_cli.domain.chat import ConversationCreate
    from todo_cli.domain.models import parse
    from todo_cli.services import chatlog

    wanted = parse(ConversationCreate, {"title": title})

    started = _reporter(json, lambda made: f"started conversation #{made.number}{_titled(made)}")
    chatlog.new(settings(ctx), wanted, report=started)


@chat_app.command(cls=OnceCommand)
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
    json = _group_json(ctx, json)
    from todo_cli.domain.chat import MessageCreate
    from todo_cli.domain.models import parse
    from todo_cli.formats.input import read_text
    from todo_cli.output import render
    from todo_cli.repository.refs import parse_ref
    from todo_cli.services import chatlog

    if text is None and sys.stdin.isatty():
        raise InvalidUsage("missing TEXT", hint="give the message, or - to read it from stdin")
    ref = parse_ref(conversation, "conversation")
    if text in (None, "-"):
        from todo_cli.db.transaction import interruptible

        # SIGTERM and SIGHUP as Ctrl-C from here to the command's end, as a write takes them.
        ctx.with_resource(interruptible())
    content = read_text("-", hint="nothing was written") if text in (None, "-") else text
    try:
        message = parse(MessageCreate, {"role": role.value, "content": content})
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=exc.hint or "nothing was written") from None

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


class ShowFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


ShowFormatOption = Annotated[
    ShowFormat | None,
    typer.Option("--format", "-f", help="text (for the terminal), markdown or json."),
]


@chat_app.command(cls=OnceCommand)
def show(
    ctx: typer.Context, conversation: Conv, fmt: ShowFormatOption = None, json: Json = False
) -> None:
    """Show a conversation as a transcript: who said what, and when.

    --json (or --format json) prints what `export` does.

    \b
    Examples:
      todo chat-log show 1
      todo chat-log show 1 --format markdown > plan.md
    """
    json = _group_json(ctx, json)
    _show(ctx, conversation, _format(fmt, json, ShowFormat.text))


@chat_app.command(cls=OnceCommand)
def export(
    ctx: typer.Context, conversation: Conv, fmt: ShowFormatOption = None, json: Json = False
) -> None:
    """Print a conversation and its messages: JSON (the default), Markdown or text.

    `todo chat-log import` reads the JSON back, each message with its own time.

    \b
    Examples:
      todo chat-log export 1 > plan.json
      todo chat-log export 1 --format markdown > plan.md
      todo chat-log export 1 | todo --user bob chat-log import -
    """
    json = _group_json(ctx, json)
    _show(ctx, conversation, _format(fmt, json, ShowFormat.json))


def _format(fmt: ShowFormat | None, json: bool, default: ShowFormat) -> ShowFormat:
    if json and fmt not in (None, ShowFormat.json):
        raise InvalidUsage(f"--json and --format {fmt} do not go together", hint="pick one")
    return ShowFormat.json if json else fmt or default


def _show(ctx: typer.Context, conversation: str, fmt: ShowFormat) -> None:
    from todo_cli.formats.transcript import transcript_json
    from todo_cli.output import render
    from todo_cli.output.chat import transcript
    from todo_cli.repository.refs import parse_ref
    from todo_cli.services import chatlog

    # Markdown shows local times too (formats/markdown.py, in the zone the C library
    # reads from the same TZ): a TZ that names none is refused for it as well.
    tz = _zone(fmt is ShowFormat.json)
    found, messages = chatlog.transcript(settings(ctx), parse_ref(conversation, "conversation"))
    if fmt is ShowFormat.json:
        render.write_json(transcript_json(found, messages))
    elif fmt is ShowFormat.markdown:
        from todo_cli.domain.text import multi_line
        from todo_cli.formats.markdown import transcript as markdown

        # A file gets the record exactly; a terminal never gets what someone typed as
        # escape sequences to act on (as the text format, controls are shown escaped).
        on_terminal = sys.stdout.isatty()
        render.utf8_stdout()  # a record, in the encoding of the files it came from
        for piece in markdown(found, messages):
            sys.stdout.write(multi_line(piece) if on_terminal else piece)
    else:
        transcript(found, messages, tz)


@chat_app.command(cls=OnceCommand)
def rename(
    ctx: typer.Context,
    conversation: Conv,
    title: Annotated[str, typer.Argument(metavar="TITLE", help='The new title; "" removes it.')],
    json: Json = False,
) -> None:
    """Give a conversation a new title.

    \b
    Example:
      todo chat-log rename 3 "Plan for December"
    """
    json = _group_json(ctx, json)
    from todo_cli.domain.chat import ConversationCreate
    from todo_cli.domain.models import parse
    from todo_cli.repository.refs import parse_ref
    from todo_cli.services import chatlog

    ref = parse_ref(conversation, "conversation")
    wanted = parse(ConversationCreate, {"title": title})

    renamed = _reporter(json, lambda found: f"renamed conversation #{found.number}{_titled(found)}")
    chatlog.rename(settings(ctx), ref, wanted.title, report=renamed)


@chat_app.command(cls=WordsCommand)
def search(
    ctx: typer.Context,
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="QUERY...",
            help='Words and "phrases" to find (all of them; AND between two says so too); '
            "OR between two; -word or NOT word leaves out.",
        ),
    ],
    limit: Limit = None,
    json: Json = False,
) -> None:
    """Search the messages and titles of your conversations, best matches first.

    Words match their other forms ("running" finds "runs") and ignore accents
    ("cafe" finds "café"). The 20 best matches, unless --limit says how many
    (when more match, stderr says so).

    \b
    Examples:
      todo chat-log search budget
      todo chat-log search '"next week"' -holiday
      todo chat-log search passport OR visa --limit 5 --json
    """
    json = _group_json(ctx, json)
    from todo_cli.domain.search import parse_query
    from todo_cli.output import render
    from todo_cli.output.chat import hit_json, search_results
    from todo_cli.services import chatlog

    # `-word` is a word here, not an option; `--` only ends the options.
    query = parse_query(" ".join(word for word in unmark(words) if word != "--"))
    tz = _zone(json)
    # One more than shown: whether more match is said, not left to guess.
    shown = limit or SEARCH_SHOWN
    hits = chatlog.search(settings(ctx), query, limit=shown + 1)
    more = len(hits) > shown
    if more:
        hits = hits[:shown]
    if json:
        render.write_json_array(hit_json(hit) for hit in hits)
    elif hits:
        search_results(hits, tz)
    else:
        render.tell("no conversation matches")
    if more:
        best = "the best match" if shown == 1 else f"the {shown} best matches"
        render.tell(f"{best}; more match (--limit N shows N)")


@chat_app.command(cls=OnceCommand)
def delete(ctx: typer.Context, conversation: Conv, yes: Yes = False, json: Json = False) -> None:
    """Delete a conversation and all its messages (asks first; --yes when not on a terminal).

    Answering no deletes nothing and is not an error (exit 0).

    \b
    Example:
      todo chat-log delete 1 --yes
    """
    json = _group_json(ctx, json)
    from todo_cli.domain.text import one_line
    from todo_cli.output import render
    from todo_cli.repository.refs import parse_ref
    from todo_cli.services import chatlog

    ref = parse_ref(conversation, "conversation")

    def confirm(target: Conversation) -> bool:
        name = f" {one_line(target.title)}" if target.title else ""
        count = render.plural(target.message_count, "message")
        return ask(f"delete conversation #{target.number}{name} and its {count}?", yes)

    deleted = _reporter(
        json,
        lambda gone: (
            f"deleted conversation #{gone.number} and its "
            f"{render.plural(gone.message_count, 'message')}"
        ),
    )
    chatlog.delete(settings(ctx), ref, confirm=None if yes else confirm, report=deleted)


class ImportFormat(StrEnum):
    auto = "auto"
    transcript = "transcript"
    chatgpt = "chatgpt"
    claude = "claude"
    llm = "llm"


@chat_app.command("import", cls=OnceCommand)
def import_(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="The file to read, or - for stdin."),
    ],
    fmt: Annotated[
        ImportFormat,
        typer.Option(
            "--format",
            "-f",
            help="auto (the default), transcript (todo's own), chatgpt, claude or llm.",
        ),
    ] = ImportFormat.auto,
    title: Annotated[
        str | None,
        typer.Option(
            "--title", "-t", metavar="TEXT", help="A title (instead of the file's; transcripts)."
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Import conversations, all or nothing: a transcript, or a ChatGPT, Claude or llm export.

    A transcript (a JSON array of {"role", "content"} objects, JSON Lines of
    them, or what `export` prints) becomes a new conversation, each message
    with its time. ChatGPT's and Claude's conversations.json and llm's
    logs.db are read as they are (the file is never changed), and importing
    a newer export adds only what is new: conversations are known by their
    ids there.

    \b
    Examples:
      todo chat-log import chat.json
      todo chat-log import ~/Downloads/chatgpt/conversations.json
      todo chat-log import "$(llm logs path)"
      todo chat-log export 1 | todo chat-log import - --title "Copy of 1"
    """
    json = _group_json(ctx, json)
    from todo_cli.db.transaction import interruptible
    from todo_cli.formats import transcript
    from todo_cli.formats.input import describe
    from todo_cli.output import render
    from todo_cli.services import chatlog

    # The file is read (and checked) before the transaction opens: seconds for a big one.
    with interruptible():
        with _opened(file, fmt) as (chosen, stream):
            if chosen != "transcript":
                if title is not None:
                    raise InvalidUsage("--title is for a transcript", hint="leave it out")
                _import_export(ctx, file, chosen, stream, json)
                return
            assert stream is not None
            parsed = transcript.read(stream, describe(file), title)
        if (
            not parsed.messages
            and parsed.conversation.title is None
            and parsed.conversation_id is None
        ):
            # `[]` (an empty export, say) would otherwise leave an empty, untitled
            # conversation behind, one more each time it is imported.
            raise InvalidInput(
                f"{describe(file)} holds no messages",
                hint=f"{transcript.NOTHING_IMPORTED}; start an empty one with todo chat-log new",
            )

        imported = _reporter(
            json,
            lambda made: (
                f"imported conversation #{made.number} with "
                f"{render.plural(made.message_count, 'message')}"
            ),
        )
        chatlog.import_transcript(settings(ctx), parsed, report=imported)


@contextmanager
def _opened(file: str, fmt: ImportFormat) -> Iterator[tuple[str, Readable | None]]:
    """The format to read `file` as (given, or found from its first bytes), and `file`
    open from its start; no stream for an llm logs.db, which is read from its path.

    `file` is opened once and read forward only: stdin, a pipe or `<(...)` cannot
    be rewound, so what telling the format reads ahead is read again from memory.
    """
    from todo_cli.formats import chats
    from todo_cli.formats.input import describe, open_binary
    from todo_cli.formats.transcript import NOTHING_IMPORTED

    if fmt is ImportFormat.llm:
        _llm_file(file)
        yield "llm", None
        return
    stream = open_binary(file, hint=NOTHING_IMPORTED)
    try:
        if fmt is not ImportFormat.auto:
            yield fmt.value, stream
            return
        ahead = chats.ReadAhead(stream)
        try:
            found: str = chats.detect_stream(ahead, describe(file))
        except chats.Unreadable as exc:
            exc.hint = f"{exc.hint}; {NOTHING_IMPORTED}" if exc.hint else NOTHING_IMPORTED
            raise
        except InvalidInput:
            # Not recognisably another tool's export: read it as a transcript,
            # whose reader says exactly what is wrong with it.
            found = "transcript"
        except OSError as exc:
            raise InvalidInput(
                f"{describe(file)}: cannot read it: {exc.strerror}", hint=NOTHING_IMPORTED
            ) from None
        if found == "llm":
            if file != "-":
                stream.close()
            _llm_file(file)
            yield "llm", None
            return
        yield found, ahead.replay()
    finally:
        if file != "-":
            stream.close()


def _llm_file(file: str) -> None:
    """Refuse what an llm logs.db cannot be read from: SQLite needs the file itself."""
    from pathlib import Path

    from todo_cli.formats.transcript import NOTHING_IMPORTED

    if file == "-":
        raise InvalidUsage("an llm logs.db is read from its file", hint="give its path")
    path = Path(file)
    if not path.exists():
        raise InvalidInput(f"{file}: no such file", hint=NOTHING_IMPORTED)
    if path.is_dir():
        raise InvalidInput(f"{file} is a directory, not a file", hint=NOTHING_IMPORTED)
    if not path.is_file():
        raise InvalidUsage(
            f"{file} is not a regular file: an llm logs.db is read from its file",
            hint="give its path, not a pipe",
        )


def _import_export(
    ctx: typer.Context, file: str, fmt: str, stream: Readable | None, json: bool
) -> None:
    """Import another tool's export: from `stream`, or for llm from the file at `file`."""
    from pathlib import Path

    from todo_cli.formats import chatgpt, claude, llm
    from todo_cli.formats.input import describe
    from todo_cli.output import render
    from todo_cli.output.progress import progress
    from todo_cli.services import chatlog

    def imported(result: chatlog.ChatImport) -> None:
        if json:
            render.write_json(
                {
                    "format": result.format,
                    "conversations": {
                        "added": result.added,
                        "extended": result.extended,
                        "unchanged": result.unchanged,
                    },
                    "messages_added": result.messages,
                    "skipped": render.snake_keys(result.skipped),
                    "notices": result.notices,
                }
            )
            render.flush_stdout()
            return
        render.tell(
            f"imported from {result.format}: {render.plural(result.added, 'conversation')} "
            f"added, {result.extended:,} extended, {result.unchanged:,} unchanged; "
            f"{render.plural(result.messages, 'message')} added"
        )
        for kind, count in sorted(result.skipped.items()):
            render.tell(f"  skipped {count:,}: {kind}")
        for line in render.capped(result.notices, "note", "notes"):
            render.tell(line)

    name = describe(file)
    with progress("importing") as advance:
        if stream is None:
            chatlog.import_export(
                settings(ctx), llm.read(Path(file)), fmt=fmt, progress=advance, report=imported
            )
            return
        reader = chatgpt.read if fmt == "chatgpt" else claude.read
        chatlog.import_export(
            settings(ctx), reader(stream, name), fmt=fmt, progress=advance, report=imported
        )
