"""Organizing tasks through the real executable: terminals, colours, shell completion,
and what the database server sees (statements and query plans)."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.ci_gate import not_applicable
from tests.conftest import REPO, PostgresHandle, Todo, run_process

pytestmark = pytest.mark.subprocess

ZONE = "Europe/Berlin"
RED = "\x1b[31m"
YELLOW = "\x1b[33m"


def in_days(days: int) -> str:
    return (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=days)).isoformat()


@pytest.fixture(autouse=True)
def _in_berlin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", ZONE)


def given(todo: Todo, *args: str, input: str | None = None) -> None:
    """Set the scene in-process (fast); what is under test runs in a real process."""
    result = todo(*args, input=input)
    assert result.exit_code == 0, result.stderr


def todo_ok(
    todo: Todo, *args: str, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    proc = run_process(list(args), input=input, env=todo.env | {"TZ": ZONE})
    assert proc.returncode == 0, proc.stderr.decode()
    return proc


# --- exit codes and streams ----------------------------------------------------------------------


def test_bad_modifier_is_exit_2_with_one_line_and_no_traceback(todo: Todo) -> None:
    proc = todo.process("add", "Call", "the", "bank", "due:tomorow")
    assert proc.returncode == 2
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: 'due:tomorow'")
    assert proc.stdout == b""


def test_piped_lines_with_modifiers_become_tasks(todo: Todo) -> None:
    proc = todo.process("add", "--json", input=b"a +x\nb pri:H project:home\n")
    assert proc.returncode == 0, proc.stderr
    tasks = json.loads(proc.stdout)
    assert [(t["title"], t["tags"], t["priority"], t["project"]) for t in tasks] == [
        ("a", ["x"], None, None),
        ("b", [], "H", "home"),
    ]


def test_a_filter_matching_nothing_exit_codes(todo: Todo) -> None:
    given(todo, "add", "t", "+x")
    listing = todo.process("list", "+nothing", "--json")
    assert (listing.returncode, listing.stdout.strip()) == (0, b"[]")
    assert todo.process("done", "+nothing").returncode == 1
    assert todo.process("delete", "+nothing", "--yes").returncode == 1


def test_done_by_filter_counts_on_stderr_and_keeps_stdout_for_data(todo: Todo) -> None:
    given(todo, "add", "a", "+errand")
    given(todo, "add", "b", "+errand")
    proc = todo_ok(todo, "done", "+errand")
    assert proc.stdout == b""
    assert b"completed 2 tasks" in proc.stderr


def _on_a_terminal_answering(todo: Todo, answer: bytes, *args: str) -> tuple[int, bytes]:
    """Run with stdin on a pseudo-terminal that types `answer`; exit code and stderr."""
    terminal, stdin = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "todo_cli", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ) | todo.env,
        cwd=REPO,
    )
    try:
        os.write(terminal, answer)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        os.close(stdin)
        os.close(terminal)
    return proc.returncode, err


def test_delete_by_filter_on_a_terminal_names_every_match_and_deletes_them_on_yes(
    todo: Todo,
) -> None:
    given(todo, "add", "Dig the bed", "+home")
    given(todo, "add", "Office plants", "+work")
    given(todo, "add", "Paint the fence", "+home")
    code, err = _on_a_terminal_answering(todo, b"y\n", "delete", "+home")
    assert code == 0, err
    assert (
        b"delete 2 tasks:\n  #1 Dig the bed\n  #3 Paint the fence\ndelete these 2 tasks? [y/N]"
        in err
    )
    remaining = todo("list", "--all", "--json").json()
    assert [t["title"] for t in remaining] == ["Office plants"]


# --- colours on a terminal -----------------------------------------------------------------------


def on_a_terminal(todo: Todo, *args: str, **env: str) -> str:
    """Run with stdout on a pseudo-terminal and return what the terminal got."""
    master, slave = pty.openpty()
    full_env = (
        dict(os.environ) | todo.env | {"TERM": "xterm-256color", "COLUMNS": "120", "TZ": ZONE} | env
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "todo_cli", *args],
        stdout=slave,
        stderr=subprocess.PIPE,
        env=full_env,
        cwd=REPO,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, err = proc.communicate(timeout=60)
    os.close(master)
    assert proc.returncode == 0, err
    return b"".join(chunks).decode("utf-8", "replace")


def screen_line(screen: str, title: str) -> str:
    return next(line for line in screen.splitlines() if title in line)


@pytest.fixture
def dated(todo: Todo) -> Todo:
    given(todo, "add", "late one", "due:yesterday")
    given(todo, "add", "today one", "due:today")
    given(todo, "add", "later one", f"due:{in_days(30)}")
    given(todo, "add", "undated one")
    return todo


def test_overdue_rows_are_red_on_a_terminal(dated: Todo) -> None:
    assert RED in screen_line(on_a_terminal(dated, "list"), "late one")


def test_rows_due_today_are_yellow_on_a_terminal(dated: Todo) -> None:
    line = screen_line(on_a_terminal(dated, "list"), "today one")
    assert YELLOW in line
    assert RED not in line


def test_other_rows_are_not_coloured(dated: Todo) -> None:
    screen = on_a_terminal(dated, "list")
    for title in ("later one", "undated one"):
        line = screen_line(screen, title)
        assert RED not in line
        assert YELLOW not in line


def test_a_timed_due_earlier_today_is_red(todo: Todo) -> None:
    given(todo, "add", "a minute ago", "due:-1h")
    assert RED in screen_line(on_a_terminal(todo, "list"), "a minute ago")


def test_a_done_task_is_not_red(todo: Todo) -> None:
    given(todo, "add", "late but done", "due:yesterday")
    given(todo, "done", "1")
    assert RED not in screen_line(on_a_terminal(todo, "list", "--all"), "late but done")


def test_no_colour_with_no_color(dated: Todo) -> None:
    screen = on_a_terminal(dated, "list", NO_COLOR="1")
    assert "late one" in screen
    assert "\x1b[" not in screen


def test_no_colour_when_piped(dated: Todo) -> None:
    proc = todo_ok(dated, "list")
    assert b"late one" in proc.stdout
    assert b"\x1b[" not in proc.stdout


# --- shell completion ----------------------------------------------------------------------------


def complete(env: dict[str, str], line: str) -> subprocess.CompletedProcess[bytes]:
    """What bash completion gets for the command line typed so far (the cursor at its end)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    return run_process(
        [],
        env=env | {"_TODO_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(cword)},
    )


def offered(todo: Todo, line: str) -> list[str]:
    proc = complete(todo.env, line)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    return proc.stdout.decode().split()


@pytest.fixture
def tagged(todo: Todo) -> Todo:
    given(todo, "add", "Water the roses", "+work", "+wonder", "project:home.garden")
    given(todo, "add", "Paint the shed", "+home", "project:home")
    given(todo, "add", "Done already", "+worn", "project:workshop")
    given(todo, "done", "3")
    given(todo.as_user("bob"), "add", "Bob's task", "+wobble", "project:hobby")
    return todo


def test_completion_offers_open_task_numbers(tagged: Todo) -> None:
    assert offered(tagged, "todo done ") == ["1", "2"]


def test_completion_for_reopen_offers_the_done_tasks(tagged: Todo) -> None:
    assert offered(tagged, "todo reopen ") == ["3"]


def test_completion_offers_the_titles_with_the_numbers(tagged: Todo) -> None:
    # zsh shows a description next to each candidate: here, the task's title.
    proc = run_process(
        [],
        env=tagged.env | {"_TODO_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "todo done "},
    )
    assert proc.returncode == 0, proc.stderr
    assert '"1":"Water the roses"' in proc.stdout.decode()
    assert '"2":"Paint the shed"' in proc.stdout.decode()
    assert "Bob" not in proc.stdout.decode()


@pytest.mark.parametrize(
    ("shell", "action"), [("complete_zsh", None), ("complete_fish", "get-args")]
)
def test_completion_shows_titles_as_typed_not_as_markup(
    todo: Todo, shell: str, action: str | None
) -> None:
    # Typer renders a completion's description as rich markup: one title with a
    # closing tag was a MarkupError (exit 70) that offered no task at all.
    given(todo, "add", "[/bold] fix the markup")
    given(todo, "add", "[urgent] call mom")
    given(todo, "add", "esc \x1b[31mred")
    env = todo.env | {"_TODO_COMPLETE": shell, "_TYPER_COMPLETE_ARGS": "todo show "}
    if action is not None:
        env["_TYPER_COMPLETE_FISH_ACTION"] = action
    proc = run_process([], env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    for title in ("[/bold] fix the markup", "[urgent] call mom", "esc \\x1b[31mred"):
        assert title in out
    assert "\x1b" not in out


def test_completion_offers_tags_after_a_plus(tagged: Todo) -> None:
    assert offered(tagged, "todo list +wo") == ["+wonder", "+work"]


def test_completion_offers_every_tag_after_a_bare_plus(tagged: Todo) -> None:
    assert offered(tagged, "todo list +") == ["+home", "+wonder", "+work"]


def test_completion_offers_projects_after_project(tagged: Todo) -> None:
    assert offered(tagged, "todo list project:") == ["project:home", "project:home.garden"]
    assert offered(tagged, "todo list project:home.") == ["project:home.garden"]


def test_completion_for_done_by_filter_offers_tags(tagged: Todo) -> None:
    assert offered(tagged, "todo done +h") == ["+home"]


def test_completion_never_offers_another_users_tasks_tags_or_projects(tagged: Todo) -> None:
    assert "+wobble" not in offered(tagged, "todo list +")
    assert "project:hobby" not in offered(tagged, "todo list project:")
    assert offered(tagged.as_user("bob"), "todo done ") == ["1"]
    assert offered(tagged.as_user("bob"), "todo list +") == ["+wobble"]


def test_completion_follows_the_user_and_database_typed_on_the_line(
    tagged: Todo, backend: str, tmp_path: Path
) -> None:
    # The environment names the first user; `--user bob` on the line is whom the command
    # acts as, so bob's tasks are offered, never the first user's. On an isolated
    # database, --user naming another than the login is an error: nothing is offered.
    rls = backend == "postgresql-rls"
    assert offered(tagged, "todo --user bob done ") == ([] if rls else ["1"])
    assert offered(tagged, "todo --user bob list +") == ([] if rls else ["+wobble"])
    assert offered(tagged, "todo --user bob add x project:") == ([] if rls else ["project:hobby"])
    assert offered(tagged, "todo --user bob reopen ") == []
    # A database typed on the line is the one read, and completing never creates it.
    other = tmp_path / "other.db"
    assert offered(tagged, f"todo --db sqlite:///{other} done ") == []
    assert not other.exists()


def test_completion_offers_tags_while_adding_and_editing(tagged: Todo) -> None:
    assert offered(tagged, "todo add Call +wo") == ["+wonder", "+work"]
    assert offered(tagged, "todo edit 1 project:home.") == ["project:home.garden"]


def test_completion_on_a_down_database_offers_nothing() -> None:
    down = {"TODO_DATABASE_URL": "postgresql://u:secret@127.0.0.1:1/nothing", "TODO_USER": "a"}
    for line in ("todo done ", "todo list +", "todo list project:"):
        proc = complete(down, line)
        assert (proc.returncode, proc.stdout.strip()) == (0, b""), line
        assert b"Traceback" not in proc.stderr


def test_completion_with_no_database_offers_nothing(tmp_path: Path) -> None:
    # A fresh machine: no URL, no config, no data directory yet.
    env = {
        "XDG_DATA_HOME": str(tmp_path / "fresh-data"),
        "XDG_CONFIG_HOME": str(tmp_path / "fresh-config"),
        "TODO_CONFIG": str(tmp_path / "fresh-config" / "none.toml"),
        "TODO_USER": "someone",
    }
    for line in ("todo done ", "todo list +wo", "todo list project:"):
        proc = complete(env, line)
        assert (proc.returncode, proc.stdout.strip()) == (0, b""), line
        assert b"Traceback" not in proc.stderr


def test_completion_of_an_unreadable_sqlite_file_offers_nothing(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-database.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    env = {"TODO_DATABASE_URL": f"sqlite:///{bogus}", "TODO_USER": "someone"}
    proc = complete(env, "todo done ")
    assert (proc.returncode, proc.stdout.strip()) == (0, b"")
    assert b"Traceback" not in proc.stderr


# --- statements at the PostgreSQL server ---------------------------------------------------------


@pytest.fixture
def pg_todo(todo: Todo, backend: str, postgres: PostgresHandle) -> Todo:
    if backend == "sqlite":
        not_applicable("statements are counted at a PostgreSQL server")
    if backend != "postgresql":
        not_applicable("the budget is for a plain PostgreSQL database")
    if postgres.server is None:
        not_applicable("needs the suite's own server and its statement log")
    return todo


def statements(postgres: PostgresHandle, todo: Todo, *args: str) -> list[str]:
    """Every statement the server ran for one command, BEGIN to COMMIT, from its log."""
    assert postgres.server is not None
    database = todo.url.rsplit("/", 1)[1].split("?")[0]
    offset = postgres.server.log_offset()
    todo_ok(todo, *args)
    # The server logs a statement as it runs it; wait for the final COMMIT.
    deadline = time.monotonic() + 5
    sent = postgres.server.statements_for(database, offset)
    while (not sent or sent[-1] != "COMMIT") and time.monotonic() < deadline:
        time.sleep(0.02)
        sent = postgres.server.statements_for(database, offset)
    return sent


def test_add_with_two_tags_is_at_most_6_statements(pg_todo: Todo, postgres: PostgresHandle) -> None:
    sent = statements(postgres, pg_todo, "add", "Call", "the", "bank", "+a", "+b", "pri:H")
    assert len(sent) <= 6, sent
    assert sent[-1] == "COMMIT"


def test_list_by_tag_and_project_is_at_most_6_statements(
    pg_todo: Todo, postgres: PostgresHandle
) -> None:
    given(pg_todo, "add", input="a +x project:p\nb +x\nc project:p\n")
    sent = statements(postgres, pg_todo, "list", "+x", "project:p", "--json")
    assert len(sent) <= 6, sent


def test_list_with_a_limit_by_tag_and_project_is_at_most_6_statements(
    pg_todo: Todo, postgres: PostgresHandle
) -> None:
    given(pg_todo, "add", input="a +x project:p\nb +x\nc project:p\n")
    sent = statements(postgres, pg_todo, "list", "+x", "project:p", "--limit", "50")
    assert len(sent) <= 6, sent


# --- query plans: the index on tags --------------------------------------------------------------

TASKS_FOR_PLANS = 20_000


def _debug_statement(stderr: str) -> tuple[str, Any]:
    """The listing's SQL and parameters, as `--debug` logs them (SQLAlchemy's engine log)."""
    return _debug_statement_of(stderr, "SELECT tasks.id", "task_tags.tag =")


def _debug_statement_of(stderr: str, start: str, *containing: str) -> tuple[str, Any]:
    """The first logged statement that starts so and contains these, with its parameters."""
    prefix = "debug: sqlalchemy.engine.Engine: "
    entries = ("\n" + stderr).split("\n" + prefix)
    for position, entry in enumerate(entries):
        if entry.startswith(start) and all(part in entry for part in containing):
            logged = entries[position + 1].split("] ", 1)[1].strip()
            # SQLAlchemy logs the parameters as a Python literal (datetimes as constructors).
            parameters = eval(logged, {"__builtins__": {}, "datetime": __import__("datetime")})
            return entry.strip(), parameters
    raise AssertionError(f"no listing statement in:\n{stderr[-3000:]}")


def _many(todo: Todo) -> None:
    lines = "".join(f"t{i} +tag{i % 7} project:p{i % 11}\n" for i in range(TASKS_FOR_PLANS))
    given(todo, "add", input=lines)


def _plan(todo: Todo, backend: str, sql: str, parameters: Any) -> str:
    """The plan of the listing's own statement, as its backend explains it."""
    if backend.startswith("postgresql"):
        import psycopg

        # As the app role, with the statistics autovacuum would have gathered by now.
        with psycopg.connect(todo.url) as conn:
            conn.execute("ANALYZE")
            return "\n".join(str(row[0]) for row in conn.execute("EXPLAIN " + sql, parameters))
    with closing(sqlite3.connect(todo.url.removeprefix("sqlite:///"))) as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql, parameters).fetchall()
    return "\n".join(str(row[3]) for row in rows)


def test_list_by_tag_and_project_uses_the_tag_index(todo: Todo, backend: str) -> None:
    _many(todo)
    proc = todo_ok(todo, "--debug", "list", "+tag3", "project:p5", "--limit", "50", "--json")
    tasks = json.loads(proc.stdout)
    # i % 7 == 3 and i % 11 == 5: one task in 77 (259 of them), cut to the limit.
    expected = sum(1 for i in range(TASKS_FOR_PLANS) if i % 7 == 3 and i % 11 == 5)
    assert len(tasks) == min(expected, 50)
    assert all(t["tags"] == ["tag3"] and t["project"] == "p5" for t in tasks)
    sql, parameters = _debug_statement(proc.stderr.decode())
    plan = _plan(todo, backend, sql, parameters)
    print(plan)  # shown with -s, or when the test fails
    if backend.startswith("postgresql"):
        assert "ix_task_tags_tag_task_id" in plan or "ix_tasks_user_id_project" in plan, plan
    else:
        assert any(
            "task_tags USING COVERING INDEX ix_task_tags_tag_task_id (tag=?)" in line
            or "task_tags USING INDEX ix_task_tags_tag_task_id (tag=?)" in line
            for line in plan.splitlines()
        ), plan
        # The tag drives: tasks are read by id, those carrying it only, not by
        # a walk through every open task of the user.
        assert plan.splitlines()[0] == "SEARCH tasks USING INDEX sqlite_autoindex_tasks_1 (id=?)"
        assert "ix_tasks_user_id_completed_number" not in plan, plan


@pytest.mark.parametrize("fmt", ["todotxt", "json", "taskwarrior"])
def test_an_export_on_a_terminal_shows_escape_sequences_as_text(todo: Todo, fmt: str) -> None:
    # todo.txt is raw text and JSON leaves C1 controls raw: on a screen a title's
    # sequence recoloured the terminal. To a pipe it is the data, byte for byte.
    title = "\x1b[31mRED\x1b[0m and \x9b1m \u202eright"
    given(todo, "add", "--", title)
    screen = on_a_terminal(todo, "export", "--format", fmt)
    assert "\x1b" not in screen
    assert "\x9b" not in screen
    assert "\u202e" not in screen
    if fmt == "todotxt":
        assert "\\x9b1m \\u202eright" in screen
    else:
        # Still JSON: the same characters, as JSON's escapes.
        (task,) = json.loads(screen)
        key = "title" if fmt == "json" else "description"
        assert task[key] == title
    piped = todo("export", "--format", fmt)
    assert "\x9b1m" in piped.stdout
    assert ("\x1b[31mRED" if fmt == "todotxt" else "\\u001b[31mRED") in piped.stdout


@pytest.mark.parametrize(
    "command", [["list", "--json"], ["list", "--format", "jsonl"], ["show", "1", "--json"]]
)
def test_json_output_writes_c1_controls_and_bidi_overrides_as_escapes(
    todo: Todo, command: list[str]
) -> None:
    # Raw in a JSON string they are valid JSON, and a terminal acts on them: U+009B
    # is a one-byte CSI. Escaped, the document says the same and shows as text.
    title = "csi \x9b1m rtl \u202e nel \x85 café"
    given(todo, "add", "--", title)
    screen = on_a_terminal(todo, *command)
    for char in ("\x9b", "\u202e", "\x85"):
        assert char not in screen
    assert "\\u009b1m" in screen
    assert "café" in screen
    first = screen.strip().splitlines()[0] if command[1] == "--format" else screen
    parsed = json.loads(first)
    assert (parsed[0] if isinstance(parsed, list) else parsed)["title"] == title


@pytest.mark.parametrize("target", ["/dev/stdout", "/dev/fd/1"])
def test_export_to_a_terminal_by_its_path_writes_escapes_too(todo: Todo, target: str) -> None:
    # `-o /dev/stdout` on a terminal wrote the raw C1 CSI and the RTL override.
    given(todo, "add", "--", "csi \x9b2J rtl \u202e end")
    screen = on_a_terminal(todo, "export", "-o", target)
    for raw in ("\x9b", "\u202e"):
        assert raw not in screen
    for escape in ("\\u009b2J", "\\u202e"):
        assert escape in screen


@pytest.mark.parametrize(("answer", "left"), [(b"n\n", 5), (b"y\n", 0)], ids=["no", "yes"])
def test_done_by_a_filter_matching_more_than_3_asks_on_a_terminal(
    todo: Todo, answer: bytes, left: int
) -> None:
    # `todo done -x` (a negation typed by mistake) completed every task at once.
    for n in range(1, 6):
        given(todo, "add", f"task {n}", "+x")
    code, err = _on_a_terminal_answering(todo, answer, "done", "+x")
    assert code == 0, err
    listed = "".join(f"  #{n} task {n}\n" for n in range(1, 6))
    assert f"complete 5 tasks:\n{listed}complete these 5 tasks? [y/N]: ".encode() in err
    assert len(todo("list", "--json").json()) == left
    if left:
        assert err.endswith(b"nothing was changed\n")


def test_done_by_a_filter_of_3_or_with_yes_or_by_numbers_does_not_ask(todo: Todo) -> None:
    for n in range(1, 6):
        given(todo, "add", f"task {n}", "+x" if n <= 3 else "+y")
    for args in (
        ["done", "+x"],  # three
        ["reopen", "+x"],
        ["done", "1", "2", "3", "4", "5"],  # named one by one
        ["reopen", "-nosuch", "--yes"],  # five, and --yes
    ):
        code, err = _on_a_terminal_answering(todo, b"", *args)
        assert (code, b"[y/N]" in err) == (0, False), (args, err)
    assert len(todo("list", "--json").json()) == 5
