"""`todo server`: the optional command server that keeps `todo`'s imports warm."""

from __future__ import annotations

import json as jsonlib
import os
import sys
from typing import Annotated, Any

import typer

from todo_cli.cli.options import Json, OnceCommand
from todo_cli.errors import ConfigError, NotFound

server_app = typer.Typer(
    name="server",
    help="A background process that makes every todo command start in milliseconds.\n\n"
    "\b\nExamples:\n"
    "  todo server start\n"
    "  todo server status\n"
    "  todo server stop",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Idle = Annotated[
    float | None,
    typer.Option(
        "--idle",
        metavar="SECONDS",
        # (No min=: check_idle refuses a negative one as every other bad value,
        # naming the bounds, where click's range message did not.)
        help="Exit after this long unused; 0 never (default: TODO_SERVER_IDLE, "
        "server_idle_timeout in the config file, or 1800).",
        show_default=False,
    ),
]


@server_app.command(cls=OnceCommand)
def start(idle: Idle = None, json: Json = False) -> None:
    """Start the command server in the background (if none is running).

    Commands then run in a child of the server, which has imported everything
    already; they behave exactly as without it. `server = "auto"` in the config
    file (or TODO_SERVER=auto) starts it on first use instead.

    \b
    Examples:
      todo server start
      todo server start --idle 0     # until `todo server stop`
    """
    from todo_cli.server import control
    from todo_cli.server.server import resolve_idle

    if idle is None:
        try:
            idle = resolve_idle(os.environ)
        except ValueError as exc:
            raise ConfigError(str(exc), hint="give a number of seconds, 0 for never") from None
    else:
        from todo_cli.errors import InvalidUsage
        from todo_cli.server.server import check_idle

        try:
            check_idle(idle, "--idle")
        except ValueError as exc:
            raise InvalidUsage(str(exc), hint="no server was started") from None
    try:
        started = control.start(os.environ, idle)
    except control.ControlError as exc:
        raise ConfigError(f"cannot start the command server: {exc}") from None
    if json:
        _write_json({"pid": started.pid, "already_running": started.already_running})
    elif started.already_running:
        _say(f"the command server is already running (pid {started.pid})")
    else:
        _say(f"started the command server (pid {started.pid})")


@server_app.command(cls=OnceCommand)
def stop(json: Json = False) -> None:
    """Stop the command server; commands it is running finish first.

    \b
    Example:
      todo server stop
    """
    from todo_cli.server import control

    try:
        stopped = control.stop(os.environ)
    except control.ControlError as exc:
        raise ConfigError(str(exc)) from None
    if json:
        _write_json({"pid": stopped.pid if stopped else None, "stopped": stopped is not None})
    elif stopped is None:
        _say("no command server was running")
    elif stopped.still_running:
        _say(
            f"the command server (pid {stopped.pid}) takes no more commands "
            f"and exits after the {stopped.still_running} it is running"
        )
    else:
        _say(f"stopped the command server (pid {stopped.pid})")


@server_app.command(cls=OnceCommand)
def status(json: Json = False) -> None:
    """Show the command server: pid, version, uptime, memory, commands served.

    Memory: resident is what the server holds (mostly shared with its
    children); private is what a process holds alone.

    \b
    Examples:
      todo server status
      todo server status --json | jq .rss_bytes
    """
    from todo_cli.server import control

    try:
        found = control.status(os.environ)
    except control.ControlError as exc:
        raise ConfigError(str(exc)) from None
    if found is None:
        raise NotFound("no command server is running", hint="start one: todo server start")
    if json:
        _write_json(found)
    else:
        sys.stdout.write(_describe(found))


def _describe(found: dict[str, Any]) -> str:
    idle = found["idle_timeout_s"]
    exits = f"exits after {_duration(idle)} unused" if idle else "never exits unused"
    memory = f"{_mib(found['rss_bytes'])} resident, {_mib(found['private_bytes'])} private"
    if found.get("spare_private_bytes"):
        memory += f"; its spare child {_mib(found['spare_private_bytes'])} private"
    running = found["running"]
    commands = f"{found['commands_served']} served"
    if running:
        each = ", ".join(
            f"pid {c['pid']} for {c['seconds']:g}s ({_mib(c['private_bytes'])} private)"
            for c in running
        )
        commands += f"; {len(running)} running: {each}"
    lines = [
        ("server", f"pid {found['pid']}, todo {found['version']} (Python {found['python']})"),
        ("uptime", f"{_duration(found['uptime_s'])} ({exits})"),
        ("memory", memory),
        ("commands", commands),
        ("socket", found["socket"]),
    ]
    if found.get("code_changed"):
        lines.append(("note", "todo changed on disk; the next command restarts the server"))
    return "".join(f"{name:<10}{text}\n" for name, text in lines)


def _duration(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _mib(size: int | None) -> str:
    return "?" if size is None else f"{size / 1024 / 1024:.1f} MiB"


def _write_json(value: Any) -> None:
    from todo_cli.output.render import utf8_stdout

    utf8_stdout()
    sys.stdout.write(jsonlib.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _say(message: str) -> None:
    """A message for the person at the terminal: stderr, never data."""
    sys.stderr.write(message + "\n")
