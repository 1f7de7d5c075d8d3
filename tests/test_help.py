"""Every command explains itself, with an example."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer import _click as click
from typer.core import TyperGroup
from typer.main import get_command

from tests.conftest import run_cli
from todo_cli.cli import app


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, TyperGroup):
            # Through list_commands/get_command, as click does: some groups load lazily.
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])
        else:
            paths.append(path)

    walk(get_command(app), [])
    return paths


COMMANDS = _command_paths()


def test_the_commands_of_the_spec_exist() -> None:
    names = {" ".join(path) for path in COMMANDS}
    expected = {
        "add",
        "list",
        "done",
        "reopen",
        "show",
        "edit",
        "delete",
        "chat-log list",
        "chat-log new",
        "chat-log append",
        "chat-log show",
        "chat-log delete",
        "chat-log export",
        "chat-log import",
        "db upgrade",
        "db downgrade",
        "db current",
        "db history",
        "db info",
    }
    assert expected <= names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path))
def test_every_command_has_help_with_an_example(path: list[str]) -> None:
    result = run_cli([*path, "--help"])
    assert result.exit_code == 0
    assert "Usage: todo" in result.stdout
    assert "Example" in result.stdout


def test_top_level_help_lists_the_exit_codes() -> None:
    result = run_cli(["--help"])
    assert result.exit_code == 0
    words = " ".join(result.stdout.split())
    for code in (
        "0 ok",
        "1 not found",
        "2 bad input",
        "3 database",
        "4 schema",
        "70 ",
        "74 ",
        "130",
    ):
        assert code in words


def test_no_arguments_shows_help_on_stdout_and_exit_0() -> None:
    result = run_cli([])
    assert result.exit_code == 0
    assert "Usage: todo" in result.stdout
    assert result.stderr == ""


def test_help_lists_each_command_once() -> None:
    for args in ([], ["--help"]):
        listed = run_cli(args).stdout
        for name in ("chat-log", "db", "list"):
            assert sum(line.split()[0:1] == [name] for line in listed.splitlines()) == 1


@pytest.mark.parametrize(
    ("words", "expected"),
    [("todo li", "list"), ("todo db up", "upgrade"), ("todo chat-log ap", "append")],
)
def test_shell_completion_knows_every_command(words: str, expected: str) -> None:
    from tests.conftest import run_process

    proc = run_process(
        [],
        env={
            "_TODO_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - 1),
        },
    )
    assert proc.stdout.decode().split() == [expected]


def test_install_completion_says_what_it_did_on_stderr_not_stdout(tmp_path: Path) -> None:
    # stdout carries data only; "bash completion installed in ..." is a message.
    from tests.conftest import run_process

    env = {"HOME": str(tmp_path), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    proc = run_process(["--install-completion", "bash"], env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    assert "completion installed in " in proc.stderr.decode()
    assert (tmp_path / ".bash_completions" / "todo.sh").exists()


# --- help pages kept for the process's life (rendered ahead by the command server) -----------


def _printed_page(path: list[str], env: dict[str, str]) -> str:
    """What `todo PATH --help` prints, in a process of its own (no page kept ahead)."""
    from tests.conftest import run_process

    proc = run_process([*path, "--help"], env=env | {"TODO_SERVER": "off"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().rstrip("\n")


def _kept_pages() -> dict[str, str]:
    from todo_cli.cli import command
    from todo_cli.cli.app import _HELP_PAGES, WIDE_HELP_WIDTH
    from todo_cli.server.warm import build_command

    _HELP_PAGES.clear()
    assert build_command()
    assert {width for _, _, width in _HELP_PAGES} == {WIDE_HELP_WIDTH}
    # One page per command path, each for the command the CLI runs.
    tree = command()
    assert len({path for _, path, _ in _HELP_PAGES}) == len(_HELP_PAGES)
    assert any(cmd is tree for cmd, _, _ in _HELP_PAGES)
    return {path: page for (_, path, _), page in _HELP_PAGES.items()}


def test_the_pages_kept_ahead_are_those_a_wide_terminal_or_no_terminal_gets() -> None:
    from concurrent.futures import ThreadPoolExecutor

    kept = _kept_pages()
    # Every command and group, the top level included: nothing renders live.
    assert set(kept) == {
        " ".join(["todo", *path[:depth]]) for path in COMMANDS for depth in range(len(path) + 1)
    }
    paths = [path.split()[1:] for path in sorted(kept)]
    # A wide terminal, exactly 80 columns, no terminal (stdout a pipe).
    environments = [{"COLUMNS": "200"}, {"COLUMNS": "80"}, {"COLUMNS": ""}]
    with ThreadPoolExecutor(4) as pool:
        for env in environments:
            printed = list(pool.map(_printed_page, paths, [env] * len(paths)))
            for path, page in zip(paths, printed, strict=True):
                assert kept[" ".join(["todo", *path])] == page, (path, env)


def test_a_narrow_terminal_gets_its_own_page_not_the_kept_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from todo_cli.cli import command

    kept = _kept_pages()
    monkeypatch.setenv("COLUMNS", "60")
    # As a served `todo add --help` makes its contexts: each command's own class.
    tree = command()
    root = tree.context_class(tree, info_name="todo", **tree.context_settings)
    add = tree.get_command(root, "add")  # type: ignore[attr-defined]
    narrow = add.context_class(add, info_name="add", parent=root).get_help()
    assert narrow == _printed_page(["add"], {"COLUMNS": "60"})
    assert narrow != kept["todo add"]
    assert "modifiers set its\n  fields." in narrow  # wrapped at 58 columns


def test_no_help_page_shows_a_placeholder_of_the_option_parser() -> None:
    # `edit --title <str>`, `db grant --connection-limit <int range>`: every other option
    # says what it takes in todo's words (TEXT, N).
    for path, page in _kept_pages().items():
        for placeholder in ("<str>", "<int", "<float", "<text>", "<integer"):
            assert placeholder not in page, (path, placeholder)
