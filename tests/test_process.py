"""The real executable: exit codes, stdin, pipes and terminals as a shell sees them."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO, Todo, imported, interruptible, run_process, sleeping
from todo_cli.db.revisions import HEAD


def test_version(todo: Todo) -> None:
    proc = todo.process("--version")
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith("todo ")


def test_exit_codes_of_a_session(todo: Todo) -> None:
    assert todo.process("add", "Buy milk").returncode == 0
    assert todo.process("show", "99").returncode == 1
    assert todo.process("add", "").returncode == 2
    assert todo.process("list", "--bogus").returncode == 2
    assert todo.process("frobnicate").returncode == 2


def test_usage_error_is_one_line(todo: Todo) -> None:
    proc = todo.process("list", "--bogus")
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert "--bogus" in lines[0]


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("lst", "'list'"), ("hist", "'list', 'history'"), ("chatlog", "'chat-log'")],
)
def test_a_misspelt_command_is_answered_with_the_commands_it_is_close_to(
    todo: Todo, typed: str, suggested: str
) -> None:
    proc = todo.process(typed)
    assert proc.returncode == 2
    assert proc.stderr.decode() == (
        f"error: No such command '{typed}'. Did you mean {suggested}? (see `todo --help`)\n"
    )


def test_a_missing_choice_option_is_one_plain_line(todo: Todo) -> None:
    # click lays the choices out over lines; escaped, they showed as \n\t.
    assert todo.process("chat-log", "new").returncode == 0
    proc = todo.process("chat-log", "append", "1", "hi")
    assert proc.returncode == 2
    assert proc.stderr.decode() == (
        "error: Missing option '--role' / '-r'. Choose from: user, assistant "
        "(see `todo chat-log append --help`)\n"
    )


def test_usage_error_with_json_is_json(todo: Todo) -> None:
    proc = todo.process("list", "--json", "--sort", "nope")
    assert proc.returncode == 2
    assert json.loads(proc.stderr)["error"]["code"] == "usage"


def test_piped_stdin_adds_one_task_per_line(todo: Todo) -> None:
    proc = todo.process("add", "--json", input=b"one\ntwo\r\nthree")
    assert proc.returncode == 0, proc.stderr
    assert [t["title"] for t in json.loads(proc.stdout)] == ["one", "two", "three"]


def test_invalid_utf8_stdin_in_a_real_process(todo: Todo) -> None:
    proc = todo.process("add", input=b"\xc3\x28\n")
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr
    assert todo.process("list", "--json").stdout.strip() == b"[]"


def test_json_output_goes_through_jq_like_parsing(todo: Todo) -> None:
    todo.process("add", "naïve café ☕")
    proc = todo.process("list", "--json")
    assert json.loads(proc.stdout.decode("utf-8"))[0]["title"] == "naïve café ☕"


def test_reader_closing_the_pipe_early_is_not_an_error(todo: Todo) -> None:
    todo.process("add", input="".join(f"t{i}\n" for i in range(3000)).encode())
    env = dict(os.environ) | todo.env
    writer = subprocess.Popen(
        [sys.executable, "-m", "todo_cli", "list", "--all", "--format", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    assert writer.stdout is not None
    first = writer.stdout.readline()
    writer.stdout.close()
    _, err = writer.communicate(timeout=60)
    assert json.loads(first)["number"] == 1
    assert b"Traceback" not in err
    assert writer.returncode == 0


@pytest.mark.parametrize("target", ["-", "/dev/stdout", "fifo"])
def test_an_export_whose_reader_left_early_is_not_an_error_whatever_it_writes_to(
    todo: Todo, tmp_path: Path, target: str
) -> None:
    """`export -o - | head -c 1` was exit 0 and `-o /dev/stdout` (or a FIFO) exit 74,
    "cannot write /dev/stdout: Broken pipe": the same pipe, named."""
    todo.process("add", input="".join(f"t{i}\n" for i in range(3000)).encode())
    env = dict(os.environ) | todo.env
    if target == "fifo":
        fifo = tmp_path / "ff"
        os.mkfifo(fifo)
        writer = subprocess.Popen(
            [sys.executable, "-m", "todo_cli", "export", "--all", "-o", str(fifo)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        with open(fifo, "rb") as reader:
            head = reader.read(10)
    else:
        writer = subprocess.Popen(
            [sys.executable, "-m", "todo_cli", "export", "--all", "-o", target],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        assert writer.stdout is not None
        head = writer.stdout.read(10)
        writer.stdout.close()
    _, err = writer.communicate(timeout=60)
    assert head.startswith(b"[")
    assert (writer.returncode, err) == (0, b"")


def test_a_write_command_whose_reader_left_early_keeps_its_change_with_exit_0(
    todo: Todo,
) -> None:
    # `todo done +x --json | head -c 100`: the reader had what it wanted; the
    # change stands (README, exit codes), as `list | head -1` is no error.
    todo.process("add", input="".join(f"t{i} +x\n" for i in range(3000)).encode())
    env = dict(os.environ) | todo.env
    writer = subprocess.Popen(
        [sys.executable, "-m", "todo_cli", "done", "+x", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    assert writer.stdout is not None
    head = writer.stdout.read(100)
    writer.stdout.close()
    _, err = writer.communicate(timeout=60)
    assert head.startswith(b"[")
    assert b"Traceback" not in err
    assert writer.returncode == 0
    done = json.loads(todo.process("list", "--done", "--json").stdout)
    assert len(done) == 3000


def _run_on_a_terminal(todo: Todo, *args: str, **env: str) -> str:
    """Run with stdout on a pseudo-terminal and return what the terminal got."""
    master, slave = pty.openpty()
    full_env = dict(os.environ) | todo.env | {"TERM": "xterm-256color", "COLUMNS": "100"} | env
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
    proc.communicate(timeout=60)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_terminal_table_has_colour_unless_no_color(todo: Todo) -> None:
    todo.process("add", "plain title")
    assert "\x1b[" in _run_on_a_terminal(todo, "list")
    assert "\x1b[" not in _run_on_a_terminal(todo, "list", NO_COLOR="1")
    # A terminal that shows no escapes says so in TERM.
    assert "\x1b[" not in _run_on_a_terminal(todo, "list", TERM="dumb")


def test_escape_sequences_in_a_title_cannot_reach_the_terminal(todo: Todo) -> None:
    todo.process("add", "evil \x1b]0;pwned\x07 \x1b[2J title")
    screen = _run_on_a_terminal(todo, "list", NO_COLOR="1")
    assert "\x1b]0;" not in screen
    assert "\x1b[2J" not in screen
    assert "\\x1b]0;pwned\\x07" in screen


def test_terminal_wraps_a_long_title_instead_of_cutting_it(todo: Todo) -> None:
    title = " ".join(f"word{i}" for i in range(28))
    todo.process("add", title)
    screen = _run_on_a_terminal(todo, "list", NO_COLOR="1")
    assert "…" not in screen
    assert "word27" in screen


def test_terminal_narrows_long_tags_and_projects_too_so_every_line_fits(todo: Todo) -> None:
    # Only the title gave way, down to 10 cells: a row of long tags and a long project
    # stayed 162 cells wide on an 80-column terminal, and the terminal wrapped it.
    tags = ["+alphabetagammadeltaepsilon", "+zetaetathetaiotakappalambda", "+mununuxiomicron"]
    project = "project:averyveryverylongprojectname.withasubproject.andanotherlevel"
    todo.process("add", "Short title", *tags, project)
    todo.process("add", "Another task with a title that is rather long and goes on")
    screen = _run_on_a_terminal(todo, "list", NO_COLOR="1", COLUMNS="80")
    lines = screen.replace("\r", "").splitlines()
    assert max(len(line) for line in lines) <= 80, screen
    # Folded, never cut off: each piece of the project under the one before.
    pieces = ["averyveryverylongproje", "ctname.withasubproject", ".andanotherlevel"]
    at = [next(n for n, line in enumerate(lines) if piece in line) for piece in pieces]
    assert at == [at[0], at[0] + 1, at[0] + 2], screen
    assert "long and goes on" in screen
    assert "Short title" in screen  # a title no wider than its share is left whole


def test_a_narrow_terminal_folds_a_project_after_its_dot(todo: Todo) -> None:
    # At 40 columns `home.garden` was cut at its tenth cell: `home.garde`, then `n`.
    todo.process(
        "add", "Renew passport", "+travel", "project:home.garden", "recur:weekly", "due:sat"
    )
    todo.process("add", "Call the bank", "+finance", "project:home.admin", "pri:H", "dep:1")
    screen = _run_on_a_terminal(todo, "list", NO_COLOR="1", COLUMNS="40")
    lines = screen.replace("\r", "").splitlines()
    (folded,) = [n for n, line in enumerate(lines) if "home. " in line]
    assert "home.garde" not in screen
    assert lines[folded + 1].split()[0] == "garden", screen
    assert "home.admin" in screen  # as wide as the column: whole


@pytest.mark.parametrize(
    ("text", "width", "pieces"),
    [
        ("home.garden", 10, ["home.", "garden"]),
        ("home.garden.shed", 15, ["home.garden.", "shed"]),
        ("a.bcdefghijkl", 5, ["a.bcd", "efghi", "jkl"]),  # a dot too early: cut at the width
        ("abcdefghijk", 5, ["abcde", "fghij", "k"]),
        ("two words", 5, ["two", "words"]),
    ],
)
def test_fold_breaks_a_long_name_after_a_dot_in_its_second_half(
    text: str, width: int, pieces: list[str]
) -> None:
    from todo_cli.output.table import fold

    assert fold(text, width) == pieces


@contextmanager
def _answering_on_a_terminal(
    todo: Todo, *args: str
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """Run with stdin on a pseudo-terminal (so todo may prompt); yield it and the terminal."""
    terminal, stdin = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "todo_cli", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ) | todo.env,
        cwd=REPO,
        preexec_fn=interruptible,
    )
    try:
        yield proc, terminal
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        os.close(stdin)
        os.close(terminal)


def test_delete_asks_on_a_terminal_and_no_keeps_the_task(todo: Todo) -> None:
    todo.process("add", "keep me")
    with _answering_on_a_terminal(todo, "delete", "1") as (proc, terminal):
        os.write(terminal, b"n\n")
        _, err = proc.communicate(timeout=60)
    # Saying no is a choice, not a failure: exit 0, and it says so.
    assert proc.returncode == 0, err
    assert b"delete #1 keep me? [y/N]" in err
    assert err.endswith(b"nothing was deleted\n")
    assert b"error" not in err
    assert json.loads(todo.process("list", "--json").stdout)[0]["title"] == "keep me"


def test_delete_by_filter_names_every_task_it_asks_about(todo: Todo) -> None:
    # Twelve match: the person answering sees all twelve, not ten "and 2 more".
    titles = [f"item {n}" for n in range(1, 13)]
    todo.process("add", input="".join(f"{title}\n" for title in [*titles, "other"]).encode())
    with _answering_on_a_terminal(todo, "delete", "item") as (proc, terminal):
        os.write(terminal, b"n\n")
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    listed = "".join(f"  #{n} item {n}\n" for n in range(1, 13))
    assert f"delete 12 tasks:\n{listed}delete these 12 tasks? [y/N]".encode() in err
    assert len(json.loads(todo.process("list", "--json").stdout)) == 13
    # No terminal: the refusal stays one line.
    refused = todo.process("delete", "item")
    assert refused.returncode == 2
    assert refused.stderr.decode() == (
        "error: delete 12 tasks: #1 item 1, #2 item 2, #3 item 3, #4 item 4, #5 item 5, "
        "#6 item 6, #7 item 7, #8 item 8, #9 item 9, #10 item 10 and 2 more needs "
        "confirmation (pass --yes; nothing was changed)\n"
    )


def test_chat_log_delete_asks_on_a_terminal_and_yes_deletes_it(todo: Todo) -> None:
    todo.process("chat-log", "new", "--title", "old chat")
    todo.process("chat-log", "append", "1", "--role", "user", "hello")
    with _answering_on_a_terminal(todo, "chat-log", "delete", "1") as (proc, terminal):
        os.write(terminal, b"y\n")
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert b"delete conversation #1 old chat and its 1 message? [y/N]" in err
    assert json.loads(todo.process("chat-log", "list", "--json").stdout) == []


def test_ctrl_c_at_a_prompt_is_exit_130_and_changes_nothing(todo: Todo) -> None:
    todo.process("add", "keep me")
    with _answering_on_a_terminal(todo, "delete", "1") as (proc, _):
        assert proc.stderr is not None
        prompt = b""
        deadline = time.monotonic() + 60
        while b"delete #1" not in prompt and time.monotonic() < deadline:
            prompt += os.read(proc.stderr.fileno(), 1024)
        while not sleeping(proc.pid, "poll") and time.monotonic() < deadline:
            time.sleep(0.01)
        # At the prompt for sure, and waiting where a Ctrl-C cannot be missed:
        # in select() on stdin and the signal wakeup pipe, not in a bare read().
        assert sleeping(proc.pid, "poll")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert b"Traceback" not in prompt + err
    assert json.loads(todo.process("list", "--json").stdout)[0]["title"] == "keep me"


def test_downgrade_asks_on_a_terminal_with_the_row_counts(todo: Todo) -> None:
    todo.process("chat-log", "new", "--title", "goes away")
    with _answering_on_a_terminal(todo, "db", "downgrade", "0001") as (proc, terminal):
        os.write(terminal, b"y\n")
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    # (On PostgreSQL the suite's user, alice, may be named like a member role another
    # test made on the server: that loss is said first, then this one.)
    assert err.startswith(b"this downgrade will "), err
    assert b"delete 1 row in conversations" in err
    assert b"go ahead? [y/N]" in err
    assert todo.process("db", "current").stdout.startswith(b"0001")


def test_a_command_on_sqlite_loads_nothing_of_postgresql(tmp_path: Path) -> None:
    """SQLAlchemy's PostgreSQL dialect (and with it asyncpg's and psycopg's modules) costs
    about 25 ms to import: a command on SQLite must never pay it (the journal's JSONB type
    and partial indexes' dialect keywords once loaded it on every command)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TODO_")}
    env |= {"TODO_DATABASE_URL": f"sqlite:///{tmp_path / 'todo.db'}", "TODO_SERVER": "off"}
    # The first command creates the database (Alembic, which loads every dialect).
    first = [sys.executable, "-m", "todo_cli", "add", "first"]
    made = subprocess.run(first, env=env, cwd=tmp_path, capture_output=True, check=False)
    assert made.returncode == 0
    for args in (["add", "x", "+a", "project:p", "due:fri", "pri:H"], ["list"], ["done", "1"]):
        loaded = imported(["-m", "todo_cli", *args], env, tmp_path)
        assert "todo_cli.db.schema" in loaded
        assert [m for m in loaded if "postgresql" in m or m.startswith("psycopg")] == [], args


_BUILT = """
import sys
import typer.main

built = []
build = typer.main.get_command_from_info


def spy(*args, **options):
    command = build(*args, **options)
    built.append(command.name)
    return command


typer.main.get_command_from_info = spy
sys.argv = ["todo", *sys.argv[1:]]
from todo_cli.__main__ import main
import atexit

# A command ends without the interpreter's teardown (todo_cli/ending.py): no
# `finally` after main() runs, the atexit handlers do.
atexit.register(lambda: sys.stderr.write("built: " + " ".join(built) + "\\n"))
main()
"""


def _built(args: list[str], env: dict[str, str], cwd: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _BUILT, *args], env=env, cwd=cwd, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stderr.decode().splitlines() if x.startswith("built:")]
    return line.split()[1:]


def test_a_command_line_builds_only_the_command_it_runs(tmp_path: Path) -> None:
    """Typer builds a command by inspecting its function's signature: ~25 ms for all
    of todo's, of every command line. Each is built when it is asked for; `--help`
    lists them all, so it builds them all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TODO_")}
    env |= {"TODO_DATABASE_URL": f"sqlite:///{tmp_path / 'todo.db'}", "TODO_SERVER": "off"}
    assert _built(["add", "first", "+a", "due:fri"], env, tmp_path) == ["add"]
    assert _built(["list"], env, tmp_path) == ["list"]
    assert _built(["done", "1"], env, tmp_path) == ["done"]
    assert _built(["history", "--limit", "1"], env, tmp_path) == ["history"]
    everything = _built(["--help"], env, tmp_path)
    for name in ("add", "list", "done", "edit", "undo", "import", "projects", "tags"):
        assert everything.count(name) >= 1, name


def test_a_write_command_loads_the_operation_recorder_not_the_journal_reader(
    tmp_path: Path,
) -> None:
    """Every write opens an operation (repository.recording); reading and undoing the
    journal (repository.journal, its row images and dataclasses) is for history and
    undo alone: about 7 ms of imports a command does not pay."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TODO_")}
    env |= {"TODO_DATABASE_URL": f"sqlite:///{tmp_path / 'todo.db'}", "TODO_SERVER": "off"}
    first = [sys.executable, "-m", "todo_cli", "add", "first"]
    assert subprocess.run(first, env=env, cwd=tmp_path, capture_output=True).returncode == 0
    for args in (["add", "x", "+a", "due:fri"], ["done", "1"], ["edit", "2", "pri:H"]):
        loaded = imported(["-m", "todo_cli", *args], env, tmp_path)
        assert "todo_cli.repository.recording" in loaded, args
        assert "todo_cli.repository.journal" not in loaded, args
    assert "todo_cli.repository.journal" in imported(["-m", "todo_cli", "history"], env, tmp_path)


# --- how a command's process ends ---------------------------------------------------------

_ENDING = """
import atexit, sys, threading, time
class Torn:
    def __del__(self):
        print("torn down", file=sys.stderr, flush=True)
keep = Torn()
atexit.register(lambda: print("atexit ran", file=sys.stderr))
if "--thread" in sys.argv:
    sys.argv.remove("--thread")
    def late():
        time.sleep(2)
        print("thread done", file=sys.stderr)
    threading.Thread(target=late).start()
sys.argv = ["todo", *sys.argv[1:]]
from todo_cli.__main__ import main
main()
"""


def _ending(todo: Todo, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", _ENDING, *args],
        input=stdin,
        capture_output=True,
        env=dict(os.environ) | todo.env | {"TODO_SERVER": "off"},
        cwd=REPO,
        timeout=60,
    )


def test_a_command_ends_without_the_interpreters_teardown_output_and_status_intact(
    todo: Todo,
) -> None:
    # The teardown (clearing every module, finalizers, a last collection) was
    # ~100 ms of each command; atexit handlers and the final flush still run.
    lines = b"".join(b"task %d\n" % n for n in range(3000))
    added = _ending(todo, "add", stdin=lines)
    assert added.returncode == 0, added.stderr
    assert b"atexit ran" in added.stderr
    assert b"torn down" not in added.stderr
    listed = _ending(todo, "list", "--json", "--limit", "3000")
    assert listed.returncode == 0
    assert len(json.loads(listed.stdout)) == 3000
    missing = _ending(todo, "show", "99999")
    assert (missing.returncode, b"atexit ran" in missing.stderr) == (1, True)
    assert _ending(todo, "list", "--limit", "x").returncode == 2


def test_a_command_waits_for_a_thread_that_is_not_a_daemon_as_python_does(todo: Todo) -> None:
    done = _ending(todo, "--thread", "list")
    assert done.returncode == 0, done.stderr
    assert b"thread done" in done.stderr


def _in_its_environment(todo: Todo, argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        argv,
        capture_output=True,
        env=dict(os.environ) | todo.env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def _with_stdin_closed(todo: Todo, *args: str) -> subprocess.CompletedProcess[bytes]:
    # As a shell's `todo ... <&-`: descriptor 0 closed, not redirected.
    script = 'exec "$0" -m todo_cli "$@" <&-'
    return _in_its_environment(todo, ["sh", "-c", script, sys.executable, *args])


def test_a_closed_stdin_reads_as_an_empty_one(todo: Todo) -> None:
    # Python leaves sys.stdin None then; every command reading or asking must act as
    # with </dev/null: nothing on stdin, no one to answer, never "this is a bug".
    assert todo.process("add", "Buy milk").returncode == 0
    cases = {
        ("add",): "error: no tasks on stdin (give a TITLE or pipe one title per line)\n",
        ("add", "-"): "error: no tasks on stdin (give a TITLE or pipe one title per line)\n",
        ("delete", "1"): "error: delete #1 Buy milk needs confirmation "
        "(pass --yes; nothing was changed)\n",
    }
    for args, expected in cases.items():
        proc = _with_stdin_closed(todo, *args)
        assert (proc.returncode, proc.stderr.decode()) == (2, expected), args
    listed = json.loads(todo.process("list", "--json").stdout)
    assert [task["title"] for task in listed] == ["Buy milk"]
    proc = _with_stdin_closed(todo, "import", "-", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["added"] == 0


def test_output_in_an_encoding_that_cannot_hold_the_data_is_exit_74(todo: Todo) -> None:
    # PYTHONIOENCODING=ascii and a title with an é: the output cannot be written,
    # as with a full disk, never "unexpected UnicodeEncodeError (this is a bug)".
    assert todo.process("add", "café").returncode == 0
    ascii_env = todo.env | {"PYTHONIOENCODING": "ascii"}
    listed = run_process(["list"], env=ascii_env)
    assert listed.returncode == 74
    assert listed.stderr.decode().endswith(
        "error: cannot write the output in ascii: it cannot hold '\\xe9' "
        "(use a UTF-8 locale, or PYTHONIOENCODING=utf-8)\n"
    )
    # JSON is data for programs: UTF-8 whatever the stream's encoding (RFC 8259).
    added = run_process(["add", "naïve", "--json"], env=ascii_env)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout.decode("utf-8"))["title"] == "naïve"
    titles = [task["title"] for task in json.loads(todo.process("list", "--json").stdout)]
    assert titles == ["café", "naïve"]


def _patched(todo: Todo, patch: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """`todo ARGS` in a process of its own, with `patch` (Python, run first) in
    place: a signal at a moment no outside timing could hit every time."""
    script = (
        "import os, signal, sys\n"
        f"{patch}"
        f"sys.argv = ['todo', *{list(args)!r}]\n"
        "from todo_cli.__main__ import main\n"
        "main()\n"
    )
    return _in_its_environment(todo, [sys.executable, "-c", script])


_CTRL_C_AT = {
    # Ctrl-C as the commit begins: held off until the connection is closed.
    "during the commit": (
        "from todo_cli.db import transaction as t\n"
        "hold = t.hold_interrupts\n"
        "def pressed():\n"
        "    held = hold()\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return held\n"
        "t.hold_interrupts = pressed\n"
    ),
    # Ctrl-C once it is all done, as the output is flushed.
    "after the commit": (
        "import todo_cli.cli.app\n"
        "app = sys.modules['todo_cli.cli.app']\n"
        "flush = app._flush_output\n"
        "def pressed():\n"
        "    app._flush_output = flush\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    flush()\n"
        "app._flush_output = pressed\n"
    ),
}


@pytest.mark.parametrize("moment", list(_CTRL_C_AT))
def test_ctrl_c_once_the_change_is_committing_ends_with_exit_0(todo: Todo, moment: str) -> None:
    # Exit 130 says "rolled back": a script retrying on it would add the task twice.
    proc = _patched(todo, _CTRL_C_AT[moment], "add", "Buy milk")
    assert (proc.returncode, proc.stderr) == (0, b"added #1: Buy milk\n")
    listed = json.loads(todo.process("list", "--json").stdout)
    assert [task["title"] for task in listed] == ["Buy milk"]


# A write command says what it did before it commits: a signal in that gap.
_BEFORE_THE_COMMIT = (
    "from todo_cli.repository import recording\n"
    "finish = recording.finish\n"
    "def finished(conn):\n"
    "    finish(conn)\n"
    "    os.kill(os.getpid(), signal.SIG{name})\n"
    "recording.finish = finished\n"
)


@pytest.mark.parametrize("name", ["TERM", "HUP"])
def test_sigterm_or_sighup_before_the_commit_is_taken_as_ctrl_c(todo: Todo, name: str) -> None:
    # `timeout`, systemd or a closed ssh session: by their default the process ended
    # with "added #1" on stderr, nothing stored and nothing more said (exit 143/129).
    proc = _patched(todo, _BEFORE_THE_COMMIT.format(name=name), "add", "Buy milk")
    assert (proc.returncode, proc.stderr.decode().splitlines()) == (
        130,
        ["added #1: Buy milk", "error: interrupted (nothing was changed)"],
    )
    assert json.loads(todo.process("list", "--json").stdout) == []
    # The next command works, and nothing of the rolled-back one is in the history.
    assert todo.process("add", "Call mum").returncode == 0
    assert [t["title"] for t in json.loads(todo.process("list", "--json").stdout)] == ["Call mum"]


def test_a_sighup_ignored_by_nohup_stays_ignored(todo: Todo) -> None:
    patch = "signal.signal(signal.SIGHUP, signal.SIG_IGN)\n" + _BEFORE_THE_COMMIT.format(name="HUP")
    proc = _patched(todo, patch, "add", "Buy milk")
    assert (proc.returncode, proc.stderr) == (0, b"added #1: Buy milk\n")
    listed = json.loads(todo.process("list", "--json").stdout)
    assert [task["title"] for task in listed] == ["Buy milk"]


@pytest.mark.parametrize("name", ["TERM", "HUP"])
def test_sigterm_or_sighup_once_the_commit_begins_lets_the_change_stand(
    todo: Todo, name: str
) -> None:
    patch = (
        "from todo_cli.db import transaction as t\n"
        "hold = t._hold_terminations\n"
        "def held(handlers):\n"
        "    hold(handlers)\n"
        f"    os.kill(os.getpid(), signal.SIG{name})\n"
        "t._hold_terminations = held\n"
    )
    proc = _patched(todo, patch, "add", "Buy milk")
    assert (proc.returncode, proc.stderr) == (0, b"added #1: Buy milk\n")
    listed = json.loads(todo.process("list", "--json").stdout)
    assert [task["title"] for task in listed] == ["Buy milk"]


# The command's own PostgreSQL session ended (a server restart, an admin's
# pg_terminate_backend) at a moment of the command: before its commit, or as the
# commit is sent (ended from another session, so that the commit meets it).
_SESSION_ENDED = {
    "during the command": (
        "from todo_cli.repository import recording\n"
        "finish = recording.finish\n"
        "def finished(conn):\n"
        "    finish(conn)\n"
        "    conn.exec_driver_sql('SELECT pg_terminate_backend(pg_backend_pid())')\n"
        "recording.finish = finished\n"
    ),
    "while committing": (
        "import psycopg\n"
        "from todo_cli.repository import recording\n"
        "from todo_cli.db import transaction as t\n"
        "finish, hold, pids = recording.finish, t._hold_terminations, []\n"
        "def finished(conn):\n"
        "    finish(conn)\n"
        "    pids.append(conn.exec_driver_sql('SELECT pg_backend_pid()').scalar())\n"
        "def held(handlers):\n"
        "    hold(handlers)\n"
        "    url = os.environ['TODO_DATABASE_URL'].replace('+psycopg', '')\n"
        "    with psycopg.connect(url, autocommit=True) as other:\n"
        "        other.execute('SELECT pg_terminate_backend(%s)', pids)\n"
        "recording.finish, t._hold_terminations = finished, held\n"
    ),
}


@pytest.mark.parametrize("moment", list(_SESSION_ENDED))
def test_a_connection_lost_during_a_command_says_so_and_what_became_of_the_change(
    todo: Todo, backend: str, moment: str
) -> None:
    # It said "cannot reach ...: the connection is lost (check the URL, that the
    # server is up, and the network)": advice for connecting, nothing of the change.
    if backend == "sqlite":
        from tests.ci_gate import not_applicable

        not_applicable("a PostgreSQL session")
    proc = _patched(todo, _SESSION_ENDED[moment], "add", "Buy milk")
    assert proc.returncode == 3, proc.stderr
    error = proc.stderr.decode().splitlines()[-1]
    assert error.startswith("error: lost the connection to postgresql"), error
    assert ":***@" in error
    if moment == "during the command":
        assert " during the command: " in error
        assert error.endswith(
            "(its change was rolled back; run it again once the server is reachable)"
        )
    else:
        assert " while committing: " in error
        assert error.endswith(
            "(whether the change stands cannot be told: `todo history` lists it if it does)"
        )
    # Nothing stood either way (the session ended before the commit reached it).
    assert json.loads(todo.process("list", "--json").stdout) == []


_MIGRATION_CTRL_C_AT = {
    # As the migration's commit begins: the downgrade stands, said and exit 0.
    "during the commit": (_CTRL_C_AT["during the commit"], 0),
    # After it, in the look at who can still use the database (a second connection,
    # PostgreSQL): the downgrade stands, exit 0 (it said "nothing was changed", 130).
    "in the look after the commit": (
        "from contextlib import contextmanager\n"
        "from todo_cli.db import migrate\n"
        "made, calls = migrate.migration_connection, []\n"
        "@contextmanager\n"
        "def looked(settings, **options):\n"
        "    calls.append(1)\n"
        "    with made(settings, **options) as conn:\n"
        "        if len(calls) == 2:\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "        yield conn\n"
        "migrate.migration_connection = looked\n",
        0,
    ),
    # Before it (the last check of the migration): rolled back, exit 130.
    "before the commit": (
        "from todo_cli.db import migrate\n"
        "def pressed(conn):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "migrate._check_foreign_keys = pressed\n",
        130,
    ),
}


@pytest.mark.parametrize("moment", list(_MIGRATION_CTRL_C_AT))
def test_ctrl_c_in_a_downgrade_says_what_happened_to_it(todo: Todo, moment: str) -> None:
    # It said "interrupted (nothing was changed)", exit 130, of a downgrade that had
    # committed and dropped the tags, notes and journal.
    assert todo.process("add", "keep", "+tagged").returncode == 0
    patch, code = _MIGRATION_CTRL_C_AT[moment]
    proc = _patched(todo, patch, "db", "downgrade", "0001", "--yes")
    assert proc.returncode == code, proc.stderr
    current = todo.process("db", "current").stdout.decode()
    if code == 0:
        assert f"downgraded {HEAD} -> 0001" in proc.stderr.decode().splitlines()
        assert b"interrupted" not in proc.stderr
        assert current.startswith("0001")
    else:
        assert proc.stderr.decode().splitlines()[-1] == "error: interrupted (nothing was changed)"
        assert current.startswith(f"{HEAD} (head)")
        assert todo("list", "+tagged", "--json").json()[0]["tags"] == ["tagged"]


# What meets a statement of SQLite's table copy, and how the command must end.
_IN_THE_TABLE_COPY = {
    "ctrl-c": (
        "        os.kill(os.getpid(), signal.SIGINT)\n",
        130,
        "error: interrupted (nothing was changed)",
    ),
    # As SQLite does on SQLITE_FULL: the whole transaction rolled back, the table
    # being copied into gone with it.
    "full disk": (
        "        cursor.connection.execute('ROLLBACK')\n"
        "        raise sqlite3.OperationalError('database or disk is full')\n",
        3,
        ": database or disk is full (free some disk space)",
    ),
}


@pytest.mark.parametrize("what", list(_IN_THE_TABLE_COPY))
def test_the_first_error_in_a_sqlite_table_copy_is_the_one_told(tmp_path: Path, what: str) -> None:
    # Alembic's batch mode went on with its table copy after the first error, and its
    # clean-up's error came out instead: a Ctrl-C as "Can't reconnect until invalid
    # transaction is rolled back" (exit 3), a full disk as "no such table:
    # _alembic_tmp_tasks".
    body, code, said = _IN_THE_TABLE_COPY[what]
    todo = Todo(f"sqlite:///{tmp_path / 'todo.db'}")
    assert todo.process("add", "keep").returncode == 0
    assert todo.process("db", "downgrade", "0002", "--yes").returncode == 0
    meeting = (
        "import sqlite3\n"
        "from sqlalchemy import event\n"
        "from sqlalchemy.engine import Engine\n"
        "@event.listens_for(Engine, 'before_cursor_execute')\n"
        "def meeting(conn, cursor, statement, *args):\n"
        "    if statement.startswith('INSERT INTO _alembic_tmp_'):\n"
    ) + body
    for args in (["db", "upgrade"], ["add", "more"]):  # by hand, and on first use
        proc = _patched(todo, meeting, *args)
        assert proc.returncode == code, proc.stderr
        last = proc.stderr.decode().splitlines()[-1]
        assert last.startswith("error: "), last
        assert last.endswith(said), last
        assert todo.process("db", "current").stdout.startswith(b"0002")


def test_ctrl_c_while_waiting_for_another_writer_on_sqlite_is_answered_at_once(
    tmp_path: Path,
) -> None:
    # SQLite's busy wait sleeps in C: a Ctrl-C pressed while another process held
    # the file's write lock was answered when the 30 s wait ran out.
    todo = Todo(f"sqlite:///{tmp_path / 'todo.db'}")
    assert todo.process("add", "one").returncode == 0
    with contextlib.closing(sqlite3.connect(tmp_path / "todo.db", isolation_level=None)) as held:
        held.execute("BEGIN IMMEDIATE")
        proc = subprocess.Popen(
            [sys.executable, "-m", "todo_cli", "add", "two"],
            env=dict(os.environ) | todo.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=interruptible,
        )
        time.sleep(1.5)  # started, and waiting for the lock
        assert proc.poll() is None
        pressed = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        answered = time.monotonic() - pressed
    assert proc.returncode == 130, err
    assert err.decode().splitlines()[-1] == "error: interrupted (nothing was changed)"
    assert answered < 10  # not the 30 s of the whole wait
    assert [t["title"] for t in todo("list", "--json").json()] == ["one"]


def test_ctrl_c_before_the_commit_is_one_line_and_exit_130(todo: Todo) -> None:
    # Typer turns the KeyboardInterrupt into Exit(130): said, with --json as JSON.
    pressed = (
        "from todo_cli.repository import recording\n"
        "def pressed(conn):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "recording.finish = pressed\n"
    )
    proc = _patched(todo, pressed, "add", "Buy milk", "--json")
    assert proc.returncode == 130, proc.stderr
    (line,) = proc.stderr.splitlines()  # a pipe: no blank line before it
    assert json.loads(line) == {
        "error": {"code": "interrupted", "message": "interrupted (nothing was changed)"}
    }
    assert json.loads(todo.process("list", "--json").stdout) == []
    plain = _patched(todo, pressed, "add", "Buy milk")
    # What it did is said before the commit (see README); the Ctrl-C came before
    # that commit and took it back: one more line, no blank one.
    assert (plain.returncode, plain.stderr) == (
        130,
        b"added #1: Buy milk\nerror: interrupted (nothing was changed)\n",
    )
    assert json.loads(todo.process("list", "--json").stdout) == []


@pytest.mark.parametrize("module", ["todo_cli.server.client", "typer", "todo_cli.ending"])
def test_ctrl_c_while_the_command_is_still_loading_is_one_line_and_exit_130(
    todo: Todo, module: str
) -> None:
    # A quarter of a `todo list` is imports: a Ctrl-C then printed a traceback of
    # whatever module was loading, and the status of a process killed by SIGINT.
    pressed = (
        "class Pressed:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {module!r}:\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Pressed())\n"
    )
    assert todo.process("add", "kept").returncode == 0
    for args, line in (
        (["add", "Buy milk"], b"error: interrupted (nothing was changed)\n"),
        (
            ["add", "Buy milk", "--json"],
            b'{"error":{"code":"interrupted","message":"interrupted (nothing was changed)"}}\n',
        ),
    ):
        proc = _patched(todo, pressed, *args)
        assert (proc.returncode, proc.stderr) == (130, line)
        assert proc.stdout == b""
    assert [t["title"] for t in json.loads(todo.process("list", "--json").stdout)] == ["kept"]


def test_ctrl_c_while_the_command_line_is_being_built_is_one_line_and_exit_130(
    todo: Todo,
) -> None:
    # After the imports, typer builds the command group (a few ms): a Ctrl-C there
    # printed a traceback, and no JSON error under --json.
    pressed = (
        "fired = []\n"
        "def hook(frame, event, arg):\n"
        "    if event == 'call' and not fired and frame.f_code.co_name == 'get_command':\n"
        "        fired.append(1)\n"
        "        sys.setprofile(None)\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.setprofile(hook)\n"
    )
    for args, line in (
        (["add", "Buy milk"], b"error: interrupted (nothing was changed)\n"),
        (
            ["add", "Buy milk", "--json"],
            b'{"error":{"code":"interrupted","message":"interrupted (nothing was changed)"}}\n',
        ),
    ):
        proc = _patched(todo, pressed, *args)
        assert (proc.returncode, proc.stderr, proc.stdout) == (130, line, b"")
    assert json.loads(todo.process("list", "--json").stdout) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_export_ended_by_a_signal_leaves_no_temporary_file(
    todo: Todo, tmp_path: Path, signum: int
) -> None:
    # `timeout`, systemd and a closed terminal send these: the hidden temporary
    # beside the target (half an export) must go, and the old file stay.
    assert todo.process("add", "Buy milk").returncode == 0
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    target = tmp_path / "out.json"
    target.write_text("the old export\n")
    ended = (
        "from todo_cli.services import interchange\n"
        "real = interchange.export\n"
        "def export(*args, **kwargs):\n"
        "    kwargs['out'].write('[half')\n"
        f"    os.kill(os.getpid(), {int(signum)})\n"
        "    return real(*args, **kwargs)\n"
        "interchange.export = export\n"
    )
    proc = _patched(todo, ended, "export", "-o", str(target))
    assert proc.returncode == -signum, proc.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.json"]
    assert target.read_text() == "the old export\n"


def _todo_popen(
    todo: Todo, args: list[str], *, stdin: int, stdout: int, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "todo_cli", *args],
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=dict(os.environ) | todo.env | (env or {}),
        cwd=REPO,
    )


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_non_blocking_stdout_gets_all_of_the_output_and_stays_non_blocking(
    todo: Todo, unbuffered: str
) -> None:
    # A parent with an event loop (Node) may hand over a non-blocking pipe. Writing
    # 1 MB of JSON into it cut the output short with exit 0 (PYTHONUNBUFFERED) or
    # failed with an internal error: todo waits for the reader, as cat does.
    lines = "".join(f"task {n}\n" for n in range(1, 3001)).encode()
    reading, writing = os.pipe()
    os.set_blocking(writing, False)
    env = {"PYTHONUNBUFFERED": unbuffered} if unbuffered else {}
    proc = _todo_popen(todo, ["add", "--json"], stdin=subprocess.PIPE, stdout=writing, env=env)
    assert proc.stdin is not None
    assert proc.stderr is not None
    proc.stdin.write(lines)
    proc.stdin.close()
    time.sleep(1)  # the pipe is full by now: the command waits, it does not give up
    import threading

    chunks: list[bytes] = []

    def read_all() -> None:
        while chunk := os.read(reading, 65536):  # ends once `writing` is closed too
            chunks.append(chunk)

    reader = threading.Thread(target=read_all)
    reader.start()
    assert proc.wait(timeout=60) == 0
    still_non_blocking = not os.get_blocking(writing)
    os.close(writing)
    reader.join(timeout=60)
    os.close(reading)
    with proc.stderr:
        assert proc.stderr.read() == b""
    added = json.loads(b"".join(chunks))
    assert [task["title"] for task in added] == [f"task {n}" for n in range(1, 3001)]
    assert still_non_blocking  # as the parent left it (its event loop expects it so)
    assert len(todo("list", "--json").json()) == 3000


def test_a_non_blocking_stdin_is_read_to_its_end(todo: Todo) -> None:
    # Only what the pipe held when todo first read it was taken (one task of three),
    # and the rest lost with exit 0.
    reading, writing = os.pipe()
    os.set_blocking(reading, False)
    proc = _todo_popen(todo, ["add"], stdin=reading, stdout=subprocess.PIPE)
    os.close(reading)
    os.write(writing, b"first line\n")
    time.sleep(1.5)
    os.write(writing, b"second line\nthird line\n")
    os.close(writing)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (0, b"", b"added 3 tasks: #1..#3\n")
    titles = [task["title"] for task in todo("list", "--json").json()]
    assert titles == ["first line", "second line", "third line"]


def _catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler of its own for `signum` (/proc's SigCgt)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize(
    "args",
    [
        ["add", "-"],
        ["import", "-"],
        ["chat-log", "import", "-"],
        ["edit", "1", "-"],
        ["note", "1", "-"],
        ["chat-log", "append", "1", "--role", "user", "-"],
    ],
    ids="_".join,
)
def test_a_signal_while_a_write_command_reads_its_input_is_taken_as_ctrl_c(
    todo: Todo, args: list[str], signum: int
) -> None:
    """`add -` and `import` read their input before the transaction opens: SIGTERM or
    SIGHUP there (`timeout`, a closed ssh session) ended them with 143 or 129 and not
    a word, where README says a write command takes them as Ctrl-C."""
    assert todo("add", "kept").exit_code == 0
    assert todo("chat-log", "new", "--title", "kept").exit_code == 0
    before = (todo("export", "--all").stdout, todo("chat-log", "export", "1").stdout)
    proc = _todo_popen(todo, args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(b"Buy milk\n")
    proc.stdin.flush()  # and left open: the command waits for the rest
    deadline = time.monotonic() + 30
    try:
        while not _catches(proc.pid, signum) and proc.poll() is None:
            assert time.monotonic() < deadline, "the command never took the signal"
            time.sleep(0.02)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (130, b"error: interrupted (nothing was changed)\n")
    assert (todo("export", "--all").stdout, todo("chat-log", "export", "1").stdout) == before
    assert len(todo("chat-log", "list", "--json").json()) == 1
