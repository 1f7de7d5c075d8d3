"""`todo chat-log`: conversations, messages, references, users, and the database's guarantees."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from tests.conftest import Todo, id_prefix, sql_rows

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def new(todo: Todo, title: str | None = None) -> dict[str, Any]:
    args = ["chat-log", "new", "--json"] + (["--title", title] if title else [])
    result = todo(*args)
    assert result.exit_code == 0, result.stderr
    conversation: dict[str, Any] = result.json()
    return conversation


def say(todo: Todo, conv: str, role: str, text: str) -> dict[str, Any]:
    result = todo("chat-log", "append", conv, "--role", role, text, "--json")
    assert result.exit_code == 0, result.stderr
    message: dict[str, Any] = result.json()
    return message


def export(todo: Todo, conv: str) -> dict[str, Any]:
    result = todo("chat-log", "export", conv)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = result.json()
    return document


def count(url: str, table: str) -> int:
    return int(sql_rows(url, f"SELECT count(*) FROM {table}")[0][0])


# --- new and list -------------------------------------------------------------------


def test_new_conversation_has_the_spec_json_shape(todo: Todo) -> None:
    conversation = new(todo, "Plan the week")
    assert list(conversation) == [
        "id",
        "number",
        "title",
        "message_count",
        "created_at",
        "updated_at",
    ]
    assert conversation["number"] == 1
    assert conversation["title"] == "Plan the week"
    assert conversation["message_count"] == 0
    assert RFC3339_UTC.match(conversation["created_at"])
    assert conversation["updated_at"] == conversation["created_at"]


def test_new_without_a_title_has_a_null_title(todo: Todo) -> None:
    assert new(todo)["title"] is None


def test_new_with_a_201_character_title_is_refused(todo: Todo) -> None:
    result = todo("chat-log", "new", "--title", "x" * 201)
    assert result.exit_code == 2
    assert "limit is 200" in result.stderr
    assert count(todo.url, "conversations") == 0


def test_new_tells_on_stderr_and_keeps_stdout_for_data(todo: Todo) -> None:
    result = todo("chat-log", "new", "--title", "Plan")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "#1" in result.stderr


def test_plain_chat_log_lists_conversations(todo: Todo) -> None:
    new(todo, "First")
    result = todo("chat-log")
    assert result.exit_code == 0, result.stderr
    assert "First" in result.stdout
    assert todo("chat-log", "--json").json()[0]["title"] == "First"


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["list"], "title"),
        (["show", "1"], "messages"),
        (["export", "1"], "messages"),
        (["search", "due"], "message"),
        (["new", "--title", "Second"], "title"),
        (["append", "1", "--role", "user", "again"], "role"),
        (["rename", "1", "Plan it"], "title"),
    ],
)
def test_json_before_the_subcommand_is_json_as_after_it(
    todo: Todo, args: list[str], key: str
) -> None:
    """`chat-log --help` offers --json: given there, the subcommand prints JSON too."""
    new(todo, "Plan")
    assert todo("chat-log", "append", "1", "--role", "user", "what is due").exit_code == 0
    result = todo("chat-log", "--json", *args)
    assert result.exit_code == 0, result.stderr
    found = result.json()
    assert key in (found[0] if isinstance(found, list) else found)


def test_list_with_no_conversations_is_an_empty_array(todo: Todo) -> None:
    result = todo("chat-log", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json() == []
    assert todo("chat-log", "list").stdout == ""


def test_list_is_newest_activity_first_with_message_counts(todo: Todo) -> None:
    new(todo, "older")
    new(todo, "newer")
    say(todo, "1", "user", "bumps the older one")
    say(todo, "1", "assistant", "and again")
    listed = todo("chat-log", "list", "--json").json()
    assert [(c["title"], c["message_count"]) for c in listed] == [("older", 2), ("newer", 0)]


def test_list_table_shows_titles_as_typed_not_as_markup(todo: Todo) -> None:
    new(todo, "[bold]not bold[/bold]")
    result = todo("chat-log", "list")
    assert "[bold]not bold[/bold]" in result.stdout


# --- append -------------------------------------------------------------------------


def test_append_prints_the_message_json(todo: Todo) -> None:
    new(todo)
    message = say(todo, "1", "user", "What is due on Friday?")
    assert list(message) == ["id", "role", "content", "created_at"]
    assert message["role"] == "user"
    assert message["content"] == "What is due on Friday?"
    assert RFC3339_UTC.match(message["created_at"])


def test_append_moves_the_conversations_updated_at(todo: Todo) -> None:
    before = new(todo)
    say(todo, "1", "user", "hello")
    after = todo("chat-log", "list", "--json").json()[0]
    assert after["updated_at"] > before["updated_at"]
    assert after["created_at"] == before["created_at"]


def test_append_keeps_multi_line_stdin_exactly(todo: Todo) -> None:
    new(todo)
    text = "first line\n\n  indented\ttab\nlast line, trailing newline kept\n"
    result = todo("chat-log", "append", "1", "--role", "assistant", "-", input=text)
    assert result.exit_code == 0, result.stderr
    assert export(todo, "1")["messages"][0]["content"] == text


def test_append_with_no_text_reads_piped_stdin(todo: Todo) -> None:
    new(todo)
    result = todo("chat-log", "append", "1", "--role", "user", input="from a pipe")
    assert result.exit_code == 0, result.stderr
    assert export(todo, "1")["messages"][0]["content"] == "from a pipe"


def test_messages_keep_their_order(todo: Todo) -> None:
    new(todo)
    for n in range(5):
        say(todo, "1", "user" if n % 2 == 0 else "assistant", f"message {n}")
    messages = export(todo, "1")["messages"]
    assert [m["content"] for m in messages] == [f"message {n}" for n in range(5)]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--role", "system", "hi"], "'system' is not one of"),
        (["--role", "user", ""], "content is empty"),
        (["--role", "user", "   \n\t"], "content is empty"),
        (["--role", "user", "x" * 100_001], "100001 characters, the limit is 100000"),
        (["hi"], "Missing option '--role'"),
    ],
    ids=["unknown-role", "empty", "blank", "100001-characters", "no-role"],
)
def test_append_of_bad_input_is_refused_and_writes_nothing(
    todo: Todo, args: list[str], expected: str
) -> None:
    new(todo)
    result = todo("chat-log", "append", "1", *args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert count(todo.url, "messages") == 0


def test_append_of_exactly_100000_characters_is_accepted(todo: Todo) -> None:
    new(todo)
    say(todo, "1", "assistant", "y" * 100_000)
    assert len(export(todo, "1")["messages"][0]["content"]) == 100_000


def test_append_to_a_missing_conversation_is_not_found(todo: Todo) -> None:
    result = todo("chat-log", "append", "7", "--role", "user", "hello")
    assert result.exit_code == 1
    assert "no conversation '7'" in result.stderr


# --- show and export ------------------------------------------------------------------


def test_show_prints_a_transcript_in_order(todo: Todo) -> None:
    new(todo, "Groceries")
    say(todo, "1", "user", "What do I need?")
    say(todo, "1", "assistant", "Milk and eggs.")
    result = todo("chat-log", "show", "1")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("#1  Groceries\n2 messages")
    assert out.index("user · ") < out.index("What do I need?") < out.index("assistant · ")
    assert out.index("assistant · ") < out.index("Milk and eggs.")


TZ_REFUSED = (
    "error: TZ: 'Nowhere/City' is not a time zone (set TZ to an IANA name such as "
    "Europe/Berlin, a POSIX rule such as CET-1CEST,M3.5.0,M10.5.0/3, or unset it)\n"
)


def test_a_tz_that_names_no_zone_is_refused_where_local_times_are_shown(
    todo: Todo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chat-log printed its times in UTC as if local, exit 0, where `todo list` refuses.
    new(todo, "Groceries")
    say(todo, "1", "user", "What do I need for the budget?")
    monkeypatch.setenv("TZ", "Nowhere/City")
    for args in (
        ["chat-log"],
        ["chat-log", "list"],
        ["chat-log", "show", "1"],
        ["chat-log", "show", "1", "--format", "markdown"],
        ["chat-log", "search", "budget"],
    ):
        result = todo(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", TZ_REFUSED), args
    # JSON shows no local time (RFC 3339 UTC), as `todo show --json` shows none.
    assert export(todo, "1")["title"] == "Groceries"
    for args in (["chat-log", "list", "--json"], ["chat-log", "search", "budget", "--json"]):
        assert todo(*args).exit_code == 0, args


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
def test_list_show_and_search_give_times_in_the_zone_tz_names(
    todo: Todo, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    new(todo, "Groceries")
    said = say(todo, "1", "user", "What do I need for the budget?")
    monkeypatch.setenv("TZ", zone)

    def local(stamp: str) -> str:
        instant = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")

    when = local(said["created_at"])
    listed = todo("chat-log", "list")
    assert listed.stdout.splitlines()[1].endswith(f"  1  {when}"), listed.stdout
    shown = todo("chat-log", "show", "1").stdout.splitlines()
    started = local(export(todo, "1")["created_at"])
    assert shown[1].startswith(f"1 message · started {started} · updated {when} · id ")
    assert shown[3] == f"user · {when}"
    found = todo("chat-log", "search", "budget").stdout.splitlines()
    assert found[0] == f"#1 Groceries · user · {when}"


def test_show_keeps_long_lines_whole_when_piped(todo: Todo) -> None:
    new(todo)
    long_line = " ".join(["word"] * 900)
    say(todo, "1", "assistant", long_line)
    assert long_line in todo("chat-log", "show", "1").stdout.splitlines()


def test_show_neutralises_escape_sequences_and_ignores_markup(todo: Todo) -> None:
    new(todo, "\x1b[2Jtitle")
    say(todo, "1", "user", "\x1b[31mred[/]\r\n[bold]plain[/bold]\x07")
    out = todo("chat-log", "show", "1").stdout
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\r" not in out
    # A \r\n ends the line as a \n does (text pasted from Windows); a lone \r is escaped.
    assert "\\x1b[31mred[/]\n[bold]plain[/bold]\\x07" in out
    assert "\\x1b[2Jtitle" in out
    # Only the screen is neutralised: the stored text is exactly what was given.
    assert export(todo, "1")["messages"][0]["content"] == "\x1b[31mred[/]\r\n[bold]plain[/bold]\x07"


def test_show_json_is_what_export_prints(todo: Todo) -> None:
    new(todo, "Same")
    say(todo, "1", "user", "hi")
    shown = todo("chat-log", "show", "1", "--json")
    assert shown.exit_code == 0, shown.stderr
    assert shown.json() == export(todo, "1")


def test_export_is_the_conversation_with_its_messages(todo: Todo) -> None:
    conversation = new(todo, "Plan")
    say(todo, "1", "user", "hi")
    document = export(todo, "1")
    assert {
        k: v for k, v in document.items() if k not in ("messages", "updated_at", "message_count")
    } == {k: v for k, v in conversation.items() if k not in ("updated_at", "message_count")}
    assert document["message_count"] == 1
    assert [list(m) for m in document["messages"]] == [["id", "role", "content", "created_at"]]


def test_export_of_an_empty_conversation_has_no_messages(todo: Todo) -> None:
    new(todo)
    assert export(todo, "1")["messages"] == []


# --- references -------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["number", "hash-number", "uuid", "upper-uuid", "prefix"])
def test_a_conversation_is_found_by_any_reference_form(todo: Todo, form: str) -> None:
    new(todo, "decoy")
    target = new(todo, "target")
    ref = {
        "number": "2",
        "hash-number": "#2",
        "uuid": target["id"],
        "upper-uuid": target["id"].upper(),
        "prefix": id_prefix(target["id"]),
    }[form]
    say(todo, ref, "user", "found it")
    assert export(todo, ref)["title"] == "target"
    assert export(todo, "2")["messages"][0]["content"] == "found it"


def test_a_reference_that_is_not_one_is_bad_usage(todo: Todo) -> None:
    result = todo("chat-log", "show", "not-a-ref")
    assert result.exit_code == 2
    assert "not a conversation reference" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["show", "3", "--json"],
        ["show", "3", "--format", "json"],
        # export's --format is what it prints, as show's: JSON asked for, JSON errors.
        ["export", "3", "--format", "json"],
        ["export", "3", "--format=json"],
    ],
)
def test_not_found_with_json_is_a_json_error(todo: Todo, args: list[str]) -> None:
    result = todo("chat-log", *args)
    assert result.exit_code == 1
    assert json.loads(result.stderr)["error"]["code"] == "not_found"


# --- delete -------------------------------------------------------------------------------


def test_delete_takes_the_messages_with_it_in_the_database(todo: Todo) -> None:
    doomed = new(todo, "doomed")
    new(todo, "kept")
    for n in range(3):
        say(todo, "1", "user", f"doomed {n}")
    say(todo, "2", "user", "kept")
    result = todo("chat-log", "delete", "1", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["message_count"] == 3
    orphans = sql_rows(
        todo.url,
        "SELECT count(*) FROM messages m WHERE NOT EXISTS "
        "(SELECT 1 FROM conversations c WHERE c.id = m.conversation_id)",
    )
    assert orphans[0][0] == 0
    remaining = sql_rows(todo.url, "SELECT content FROM messages")
    assert [row[0] for row in remaining] == ["kept"]
    assert doomed["id"] not in {
        str(row[0]) for row in sql_rows(todo.url, "SELECT id FROM conversations")
    }


def test_delete_off_a_terminal_needs_yes_and_changes_nothing(todo: Todo) -> None:
    new(todo)
    say(todo, "1", "user", "still here")
    result = todo("chat-log", "delete", "1")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert count(todo.url, "messages") == 1


def test_a_deleted_conversations_number_is_not_reused(todo: Todo) -> None:
    new(todo)
    assert todo("chat-log", "delete", "1", "--yes").exit_code == 0
    assert new(todo)["number"] == 2
    assert todo("chat-log", "show", "1").exit_code == 1


# --- users ----------------------------------------------------------------------------------


def test_another_users_conversations_are_invisible(todo: Todo) -> None:
    secret = new(todo, "alice's")
    say(todo, "1", "user", "private")
    bob = todo.as_user("bob")
    assert bob("chat-log", "list", "--json").json() == []
    for ref in ("1", "#1", secret["id"], id_prefix(secret["id"])):
        for args in (
            ["show", ref],
            ["export", ref],
            ["delete", ref, "--yes"],
            ["append", ref, "--role", "user", "intrusion"],
        ):
            result = bob("chat-log", *args)
            assert result.exit_code == 1, (args, result.stderr)
            assert "no conversation" in result.stderr
    assert [m["content"] for m in export(todo, "1")["messages"]] == ["private"]


def test_each_user_numbers_their_own_conversations(todo: Todo) -> None:
    new(todo)
    new(todo)
    bob = todo.as_user("bob")
    assert new(bob, "bob's")["number"] == 1
    assert export(bob, "1")["title"] == "bob's"
    assert export(todo, "1")["title"] is None


# --- the database's own guarantees --------------------------------------------------------


def test_the_database_refuses_to_update_a_message(todo: Todo) -> None:
    new(todo)
    say(todo, "1", "user", "the record")
    with pytest.raises(DBAPIError, match="immutable"):
        sql_rows(todo.url, "UPDATE messages SET content = 'tampered'")
    assert export(todo, "1")["messages"][0]["content"] == "the record"


def test_a_conversation_of_1000_messages_imports_and_shows(todo: Todo, tmp_path: Any) -> None:
    lines = [
        json.dumps({"role": "user" if n % 2 else "assistant", "content": f"message {n}"})
        for n in range(1, 1001)
    ]
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    imported = todo("chat-log", "import", str(path), "--json")
    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["message_count"] == 1000

    say(todo, "1", "user", "one more")
    document = export(todo, "1")
    contents = [m["content"] for m in document["messages"]]
    assert contents == [f"message {n}" for n in range(1, 1001)] + ["one more"]
    assert document["message_count"] == 1001

    shown = todo("chat-log", "show", "1")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.count("\nuser · ") + shown.stdout.count("\nassistant · ") == 1001
    assert shown.stdout.index("\nmessage 999\n") < shown.stdout.index("\nmessage 1000\n")
    assert todo("chat-log", "--json").json()[0]["message_count"] == 1001


# --- help ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [[], ["list"], ["new"], ["append"], ["show"], ["delete"], ["export"], ["import"]]
)
def test_every_chat_log_command_has_help_with_an_example(command: list[str]) -> None:
    from tests.conftest import run_cli

    result = run_cli(["chat-log", *command, "--help"])
    assert result.exit_code == 0, result.stderr
    assert "Example" in result.stdout


@pytest.mark.parametrize(("matching", "limit", "shown", "told"), [
    (25, None, 20, True),
    (20, None, 20, False),
    (25, "25", 25, False),
    (25, "3", 3, True),
    (25, "1", 1, True),
])  # fmt: skip
def test_search_says_when_more_match_than_it_shows(
    todo: Todo, matching: int, limit: str | None, shown: int, told: bool
) -> None:
    # It stopped at 20 in silence: a script could not tell the list was cut.
    lines = "".join(
        json.dumps({"role": "user", "content": f"wombat number {i}"}) + "\n"
        for i in range(matching)
    )
    assert todo("chat-log", "import", "-", input=lines).exit_code == 0
    args = ["chat-log", "search", "wombat", "--json", *(["--limit", limit] if limit else [])]
    result = todo(*args)
    assert result.exit_code == 0, result.stderr
    assert len(result.json()) == shown
    best = "the best match" if shown == 1 else f"the {shown} best matches"
    note = f"{best}; more match (--limit N shows N)\n"
    assert result.stderr == (note if told else "")


def _service_settings(todo: Todo) -> Any:
    import os

    from todo_cli.settings import resolve

    env = {**todo.env, "TODO_CONFIG": os.devnull}
    return resolve(db=env["TODO_DATABASE_URL"], user=todo.user, environ=env)


def test_delete_refuses_when_messages_came_while_its_question_waited(todo: Todo) -> None:
    # "delete conversation #1 plan and its 1 message? y" deleted 4: three appended by
    # another shell while the question waited went too.
    from todo_cli.errors import Conflict
    from todo_cli.repository.refs import parse_ref
    from todo_cli.services import chatlog

    conv = new(todo, "plan")
    say(todo, str(conv["number"]), "user", "hello")
    asked: list[int] = []

    def meanwhile(target: Any) -> bool:
        asked.append(target.message_count)
        for n in range(3):
            say(todo, str(conv["number"]), "assistant", f"important answer {n}")
        return True

    settings = _service_settings(todo)
    ref = parse_ref(str(conv["number"]), "conversation")
    with pytest.raises(Conflict) as refused:
        chatlog.delete(settings, ref, confirm=meanwhile)
    assert asked == [1]
    assert refused.value.message == (
        "conversation #1 changed while the question waited: it has 4 messages now, not 1"
    )
    assert refused.value.hint == "nothing was deleted; run it again"
    assert refused.value.exit_code == 1
    assert len(export(todo, "1")["messages"]) == 4
    # Deleted by another command meanwhile: said so, not "no conversation '<uuid>'".
    with pytest.raises(Conflict) as gone:
        chatlog.delete(
            settings,
            ref,
            confirm=lambda target: todo("chat-log", "delete", "1", "--yes").exit_code == 0,
        )
    assert gone.value.message == (
        "conversation #1 was deleted by another command while the question waited"
    )
    # Asked again with nothing changed, it deletes.
    again = new(todo, "again")
    say(todo, str(again["number"]), "user", "hi")
    deleted = chatlog.delete(
        settings,
        parse_ref(str(again["number"]), "conversation"),
        confirm=lambda target: target.message_count == 1,
    )
    assert deleted.message_count == 1
