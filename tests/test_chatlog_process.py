"""`todo chat-log` as a shell runs it: real stdin, pipes and exit codes."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Todo

pytestmark = pytest.mark.subprocess


def test_append_from_stdin_keeps_the_bytes_exactly(todo: Todo) -> None:
    assert todo("chat-log", "new").exit_code == 0
    text = "Here is the plan:\n\n1. Milk 🥛\n2. Eggs\r\n\tindented\n"
    result = todo.process(
        "chat-log", "append", "1", "--role", "assistant", "-", input=text.encode("utf-8")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    exported = todo.process("chat-log", "export", "1")
    assert json.loads(exported.stdout)["messages"][0]["content"] == text


def test_append_of_stdin_that_is_not_utf8_exits_2_and_writes_nothing(todo: Todo) -> None:
    assert todo("chat-log", "new").exit_code == 0
    result = todo.process(
        "chat-log", "append", "1", "--role", "user", "-", input=b"ok\nnot \xff utf-8\n"
    )
    assert result.returncode == 2
    assert result.stderr.decode().startswith("error: stdin is not valid UTF-8 (line 2)")
    assert json.loads(todo.process("chat-log", "export", "1").stdout)["messages"] == []


def test_show_piped_is_plain_text_with_no_escape_codes(todo: Todo) -> None:
    assert todo("chat-log", "new", "--title", "Plain").exit_code == 0
    long_line = "a long answer " * 300
    assert todo("chat-log", "append", "1", "--role", "assistant", long_line).exit_code == 0
    result = todo.process("chat-log", "show", "1")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode("utf-8")
    assert "\x1b" not in out
    assert long_line in out.splitlines()


def test_not_found_exits_1_in_a_real_process(todo: Todo) -> None:
    result = todo.process("chat-log", "show", "#9")
    assert result.returncode == 1
    assert result.stderr.decode().startswith("error: no conversation '#9'")


def _on_a_terminal(todo: Todo, *args: str, columns: int) -> str:
    """Run `todo` with stdout on a pseudo-terminal `columns` wide; returns what it showed."""
    import os
    import pty
    import subprocess
    import sys

    from tests.conftest import REPO

    controller, terminal = pty.openpty()
    env = dict(os.environ) | todo.env | {"COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "xterm"}
    chunks = []
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "todo_cli", *args],
            stdout=terminal,
            stderr=subprocess.PIPE,
            env=env,
            cwd=REPO,
        ) as process:
            os.close(terminal)
            while True:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the terminal closed: the process is done writing
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            _, stderr = process.communicate(timeout=60)
            assert process.returncode == 0, stderr
    finally:
        os.close(controller)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_show_on_a_terminal_wraps_long_content_and_neutralises_escapes(todo: Todo) -> None:
    assert todo("chat-log", "new").exit_code == 0
    words = " ".join(["word"] * 100)
    assert todo("chat-log", "append", "1", "--role", "user", words + "\x1b[2J").exit_code == 0
    shown = _on_a_terminal(todo, "chat-log", "show", "1", columns=60)
    assert "\x1b" not in shown  # NO_COLOR: no styling; the content's escape is shown as text
    assert "\\x1b[2J" in shown
    lines = shown.splitlines()
    assert max(len(line) for line in lines[2:]) <= 60
    assert sum(line.count("word") for line in lines) == 100


def test_markdown_on_a_terminal_shows_escapes_as_text_and_a_file_gets_them_exactly(
    todo: Todo,
) -> None:
    hostile = "\x1b]0;pwned\x07 \x1b[2J plain"
    assert todo("chat-log", "new", "--title", "\x1b[31mred").exit_code == 0
    assert todo("chat-log", "append", "1", "--role", "user", hostile).exit_code == 0
    for command in ("show", "export"):
        shown = _on_a_terminal(todo, "chat-log", command, "1", "--format", "markdown", columns=80)
        assert "\x1b" not in shown
        assert "\x07" not in shown
        assert "\\x1b]0;pwned\\x07 \\x1b[2J plain" in shown
        assert "# \\x1b[31mred" in shown
        piped = todo("chat-log", command, "1", "--format", "markdown")
        assert hostile in piped.stdout


def test_concurrent_appends_to_one_conversation_all_land_in_order(todo: Todo) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import REPO, sql_rows

    assert todo("chat-log", "new").exit_code == 0
    env = dict(os.environ) | todo.env
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "todo_cli",
                "chat-log",
                "append",
                "1",
                "--role",
                "user",
                f"writer {n}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        for n in range(4)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    rows = sql_rows(todo.url, "SELECT seq, content FROM messages ORDER BY seq")
    assert [row[0] for row in rows] == list(range(1, 5))
    assert sorted(row[1] for row in rows) == sorted(f"writer {n}" for n in range(4))
