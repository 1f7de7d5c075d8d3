"""Every command explains itself, with an example."""

from __future__ import annotations

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
