"""With or without the command server, `todo` prints the same bytes and exits the same.

One table of command lines, run in order twice: once the usual way
(``TODO_SERVER=off``) and once through a running server, each on its own
database that has seen the same commands. stdout, stderr and the exit code of
every pair must be equal byte for byte, after the parts that differ between
any two runs anyway are masked: ids (random UUIDs), clock times, durations,
and on PostgreSQL the database's name. Every server-side run must have been
served, not run locally by a fallback.

A new command joins the table with one line (add a Case).
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.test_server import (
    Outcome,
    ServerHandle,
    base_environment,
    drain,
    read_until,
    set_window_size,
    short_private_dir,
    todo_executable,
)

pytestmark = [pytest.mark.subprocess, pytest.mark.skipif(sys.platform != "linux", reason="Linux")]

CONVERSATION = json.dumps(
    {
        "title": "Imported",
        "messages": [
            {"role": "user", "content": "naïve question ☕"},
            {"role": "assistant", "content": "an answer\nover two lines"},
        ],
    }
).encode()


@dataclass(frozen=True)
class Case:
    """One command line, and how a shell would run it."""

    name: str
    args: tuple[str, ...]
    stdin: bytes | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    # "": pipes; "stdout": stdout on a terminal; "stdin": stdin on a terminal
    # (answer typed after the prompt); "all": all three on one terminal.
    terminal: str = ""
    prompt: bytes = b"[y/N]: "
    answer: bytes = b""
    size: tuple[int, int] = (24, 80)
    cwd: str = ""  # a directory under the side's, made if missing
    umask: int = 0o022
    files: Mapping[str, bytes] = field(default_factory=dict)  # written first
    modes: tuple[str, ...] = ()  # files whose permission bits must match too
    sqlite_only: bool = False  # names SQLite files (relative URLs, umask)
    database: bool = True  # False: help, usage, version (run on one backend only)
    # Lines in an order that changes from run to run even without the server
    # (set iteration under hash randomisation): compared as sorted lines.
    unordered: bool = False


def c(name: str, *args: str, **how: object) -> Case:
    return Case(name, args, **how)  # type: ignore[arg-type]


CASES: tuple[Case, ...] = (
    # help, usage and version: no database
    c("version", "--version", database=False),
    c("help", "--help", database=False),
    c("add-help", "add", "--help", database=False),
    c("chat-log-help", "chat-log", "--help", database=False),
    c("db-help", "db", "--help", database=False),
    # help is kept laid out for wide terminals: narrow ones get their own
    c("help-columns", "--help", env={"COLUMNS": "60"}, database=False),
    c(
        "add-help-terminal-narrow",
        "add",
        "--help",
        terminal="stdout",
        size=(24, 56),
        database=False,
    ),
    c(
        "db-upgrade-help-wide",
        "db",
        "upgrade",
        "--help",
        terminal="stdout",
        size=(24, 200),
        database=False,
    ),
    c("no-arguments", database=False),
    c("unknown-command", "frobnicate", database=False),
    # a typo of commands typer has not built on a command line, all built in the server
    c("misspelt-command", "lst", database=False),
    c("misspelt-command-two-matches", "hist", "--json", database=False),
    c("misspelt-lazy-group", "chatlog", "list", database=False),
    c("unknown-option", "list", "--bogus", database=False),
    c("bad-choice-as-json", "list", "--json", "--sort", "nope", database=False),
    # a first command creates the database
    c("add", "add", "Buy", "milk"),
    c("add-json", "add", "--json", "Call the bank", "-d", "about the loan"),
    c("add-modifier-like-words", "add", "--", "re:", "meeting", "+notatag"),
    c("add-stdin", "add", stdin=b"from a pipe\nand another\n"),
    c("add-stdin-json", "add", "--json", "-", stdin=b"third\n\n  \nfourth\r\n"),
    c("add-stdin-invalid-utf8", "add", stdin=b"\xc3\x28\n"),
    c("add-empty-title", "add", ""),
    c("add-too-long", "add", "x" * 201),
    c("add-escape-sequences", "add", "evil \x1b]0;pwned\x07 \x1b[2J title"),
    c("list", "list"),
    c("list-json", "list", "--json"),
    c("list-jsonl", "list", "--format", "jsonl"),
    c("list-search", "list", "--search", "BANK", "--json"),
    c("list-limit-sort", "list", "--limit", "2", "--sort", "title", "--reverse"),
    c("list-columns", "list", env={"COLUMNS": "40"}),
    c("list-terminal", "list", terminal="stdout", size=(24, 100)),
    c("list-terminal-narrow", "list", terminal="stdout", size=(24, 36)),
    c("list-terminal-no-color", "list", terminal="stdout", env={"NO_COLOR": "1"}),
    c("list-terminal-columns", "list", terminal="stdout", env={"COLUMNS": "60"}),
    c("list-terminal-dumb", "list", terminal="stdout", env={"TERM": "dumb"}),
    c("show", "show", "1"),
    c("show-hash", "show", "#2", "--json"),
    c("show-missing", "show", "99"),
    c("show-missing-json", "show", "99", "--json"),
    c("done", "done", "1"),
    c("done-many-json", "done", "1", "2", "--json"),
    c("reopen", "reopen", "1"),
    c("edit", "edit", "2", "--title", "New title", "-d", "new words"),
    c("edit-nothing", "edit", "2"),
    c("delete-needs-a-terminal-or-yes", "delete", "3"),
    c("delete-prompt-no", "delete", "3", terminal="stdin", answer=b"n\n"),
    c("delete-prompt-yes", "delete", "3", terminal="stdin", answer=b"y\n"),
    c("delete-prompt-on-one-terminal", "delete", "4", terminal="all", answer=b"y\n"),
    c("delete-yes", "delete", "5", "--yes"),
    c("list-all-json", "list", "--all", "--json"),
    c("list-done", "list", "--done"),
    # fields, notes, tags and projects
    c(
        "add-modifiers",
        "add",
        "Call",
        "the",
        "bank",
        "+finance",
        "pri:H",
        "due:2030-01-15",
        "project:home.garden",
    ),
    c("add-bad-date", "add", "Later", "due:tomorow"),
    c("edit-modifiers", "edit", "2", "+later", "pri:"),
    c("note", "note", "6", "Called,", "they", "will", "ring", "back"),
    c("note-missing-task", "note", "99", "x"),
    c("list-filter", "list", "+finance", "--json"),
    c("list-project", "list", "project:home"),
    c("list-overdue", "list", "+overdue"),
    c("show-with-fields", "show", "6"),
    c("tags", "tags"),
    c("tags-json", "tags", "--json"),
    c("projects", "projects"),
    c("projects-json", "projects", "--json"),
    # the journal
    c("history", "history"),
    c("history-json", "history", "--json", "--limit", "3"),
    c("history-task", "history", "6"),
    c("undo-dry-run", "undo", "--dry-run"),
    c("undo", "undo"),
    c("undo-json", "undo", "--json"),
    # interchange
    c("export", "export", "--all"),
    c("export-taskwarrior", "export", "--all", "--format", "taskwarrior"),
    c("export-todotxt", "export", "--all", "--format", "todotxt"),
    c("export-to-a-file", "export", "--all", "-o", "backup.json", modes=("backup.json",)),
    c("import-dry-run", "import", "backup.json", "--dry-run"),
    c("import-the-same-again", "import", "backup.json", "--json"),
    c(
        "import-todotxt-stdin",
        "import",
        "-",
        "--format",
        "todotxt",
        stdin=b"(A) Call mom +family @phone due:2030-02-01\nx 2030-01-02 2029-12-01 Old thing\n",
    ),
    c("import-missing-file", "import", "nope.json"),
    c("done-by-filter", "done", "+family"),
    # who and where: environment, flags, config file
    c("another-user-add", "add", "bob's task", env={"TODO_USER": "bob"}),
    c("another-user-list", "list", "--json", env={"TODO_USER": "bob"}),
    c("user-flag", "--user", "bob", "list"),
    c("db-flag", "--db", "sqlite:///todo.db", "list", "--json", sqlite_only=True),
    c(
        "config-file-user",
        "list",
        "--json",
        env={"TODO_CONFIG": "config.toml", "TODO_USER": ""},
        files={"config.toml": b'user = "bob"\n'},
    ),
    c(
        "config-file-invalid",
        "list",
        env={"TODO_CONFIG": "bad.toml"},
        files={"bad.toml": b"user = [unclosed\n"},
    ),
    c("bad-connect-timeout", "list", env={"TODO_CONNECT_TIMEOUT": "soon"}),
    c("debug-sql-log", "--debug", "list", "--json"),
    c("debug-env-error", "show", "98", env={"TODO_DEBUG": "0"}),
    c(
        "relative-url-in-another-directory",
        "add",
        "elsewhere",
        cwd="sub/dir",
        env={"TODO_DATABASE_URL": "sqlite:///rel.db"},
        sqlite_only=True,
        modes=("sub/dir/rel.db",),
    ),
    c(
        "relative-url-list",
        "list",
        "--json",
        cwd="sub/dir",
        env={"TODO_DATABASE_URL": "sqlite:///rel.db"},
        sqlite_only=True,
    ),
    c(
        "umask-077-new-database",
        "add",
        "private",
        cwd="private",
        umask=0o077,
        env={"TODO_DATABASE_URL": "sqlite:///p.db"},
        sqlite_only=True,
        modes=("private/p.db",),
    ),
    c(
        "missing-database-directory",
        "list",
        env={"TODO_DATABASE_URL": "sqlite:///no/such/dir/x.db"},
        sqlite_only=True,
    ),
    # chat logs
    c("chat-new", "chat-log", "new", "--title", "Plans"),
    c("chat-append", "chat-log", "append", "1", "--role", "user", "hello there"),
    c(
        "chat-append-stdin",
        "chat-log",
        "append",
        "1",
        "--role",
        "assistant",
        "-",
        stdin="Here:\n\n1. Milk 🥛\r\n\tindented\n".encode(),
    ),
    c("chat-append-bad-role", "chat-log", "append", "1", "--role", "robot", "x"),
    c("chat-show", "chat-log", "show", "1"),
    c("chat-show-json", "chat-log", "show", "1", "--json"),
    c("chat-show-terminal", "chat-log", "show", "1", terminal="stdout", size=(24, 50)),
    c("chat-list", "chat-log", "list"),
    c("chat-list-default", "chat-log"),
    c("chat-list-json", "chat-log", "list", "--json"),
    c("chat-export", "chat-log", "export", "1"),
    c("chat-import", "chat-log", "import", "conv.json", files={"conv.json": CONVERSATION}),
    c("chat-import-missing-file", "chat-log", "import", "nope.json"),
    c("chat-import-stdin-like-path", "chat-log", "import", "-", stdin=CONVERSATION),
    c("chat-delete-prompt-no", "chat-log", "delete", "2", terminal="stdin", answer=b"n\n"),
    c("chat-delete-yes", "chat-log", "delete", "2", "--yes"),
    c("chat-show-missing", "chat-log", "show", "#9"),
    c("chat-rename", "chat-log", "rename", "1", "New", "plans"),
    c("chat-search-json", "chat-log", "search", "hello", "--json"),
    c("chat-search-leaving-out", "chat-log", "search", "hello", "-there"),
    c("chat-search-bad-query", "chat-log", "search", '"unbalanced'),
    # the schema
    c("db-current", "db", "current"),
    c("db-history", "db", "history"),
    c("db-info", "db", "info"),
    c("db-info-json", "db", "info", "--json"),
    # Member administration: refused on SQLite, and by a PostgreSQL role that
    # may not create roles or bypass row security (the suite's todo_app).
    c("db-members", "db", "members"),
    c("db-grant", "db", "grant", "carol"),
    c("db-rotate", "db", "rotate", "carol"),
    c("db-revoke", "db", "revoke", "carol", "--yes"),
    c("db-isolate", "db", "isolate"),
    c("db-upgrade-at-head", "db", "upgrade"),
    c("db-upgrade-sql", "db", "upgrade", "--sql", "--from", "base", unordered=True),
    c("db-downgrade-prompt-no", "db", "downgrade", terminal="stdin", answer=b"n\n"),
    c("db-downgrade-without-yes", "db", "downgrade"),
    c("db-downgrade-yes", "db", "downgrade", "--yes"),
    c("schema-behind", "list"),
    c("db-upgrade", "db", "upgrade"),
    c("list-after-round-trip", "list", "--all", "--json"),
)


# --- masking what differs between any two runs ------------------------------------------------

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# ISO times, and Taskwarrior's compact form (20261130T160842Z).
_TIME = re.compile(
    rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    rb"|\d{8}T\d{6}Z"
    # and a time as --debug shows a statement's parameters
    rb"|datetime\.datetime\([\d, ]+(?:tzinfo=[\w.]+)?\)"
)
_SECONDS = re.compile(rb"\d+\.\d+s\b|\d+(?:\.\d+)?(?:ms|s) ago")


def masked(data: bytes, names: Mapping[bytes, bytes]) -> bytes:
    for name, stand_in in names.items():
        data = data.replace(name, stand_in)
    ids: dict[bytes, bytes] = {}
    data = _UUID.sub(lambda m: ids.setdefault(m.group(0), b"<id%d>" % len(ids)), data)
    return _SECONDS.sub(b"<seconds>", _TIME.sub(b"<time>", data))


# --- running a case ---------------------------------------------------------------------------


def run_case(case: Case, env: Mapping[str, str], side: Path) -> Outcome:
    cwd = side / case.cwd
    cwd.mkdir(parents=True, exist_ok=True)
    for name, content in case.files.items():
        (cwd / name).write_bytes(content)
    env = {k: v for k, v in (dict(env) | dict(case.env)).items() if v != ""}
    argv = [*todo_executable(), *case.args]
    if not case.terminal:
        done = subprocess.run(
            argv,
            input=case.stdin,
            stdin=None if case.stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            env=env,
            cwd=cwd,
            umask=case.umask,
            timeout=120,
            check=False,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)
    master, slave = pty.openpty()
    set_window_size(slave, *case.size)
    on_terminal = {
        "stdout": (subprocess.PIPE if case.stdin else subprocess.DEVNULL, slave, subprocess.PIPE),
        "stdin": (slave, subprocess.PIPE, subprocess.PIPE),
        "all": (slave, slave, slave),
    }[case.terminal]
    proc = subprocess.Popen(
        argv,
        stdin=on_terminal[0],
        stdout=on_terminal[1],
        stderr=on_terminal[2],
        env=env,
        cwd=cwd,
        umask=case.umask,
    )
    os.close(slave)
    try:
        if case.terminal == "stdout":
            out = drain(master)
            _, err = proc.communicate(case.stdin, timeout=120)
        elif case.terminal == "stdin":
            assert proc.stderr is not None
            err = read_until(proc.stderr.fileno(), case.prompt)
            os.write(master, case.answer)
            out, rest = proc.communicate(timeout=120)
            err += rest
        else:
            out = read_until(master, case.prompt)
            os.write(master, case.answer)
            proc.wait(timeout=120)
            out += drain(master)
            err = b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        os.close(master)
    return Outcome(proc.returncode, out, err)


@dataclass
class Sides:
    """The two directories (and databases) the table runs in, and their environments."""

    root: Path
    off_env: dict[str, str]
    on_env: dict[str, str]
    server: ServerHandle
    names: dict[bytes, bytes]
    backend: str


@pytest.fixture(params=["sqlite", "postgresql"])
def sides(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sides]:
    runtime = short_private_dir()
    names: dict[bytes, bytes] = {}
    urls = {"off": "sqlite:///todo.db", "on": "sqlite:///todo.db"}
    made: list[str] = []
    postgres = None
    if request.param == "postgresql":
        postgres = request.getfixturevalue("postgres")
        template = request.getfixturevalue("pg_template")
        for side in ("off", "on"):
            name = f"battery_{side}_{os.getpid()}"
            postgres.drop(name)
            urls[side] = postgres.create(name, template=template)
            made.append(name)
            names[name.encode()] = b"<database>"
    for side in ("off", "on"):
        (tmp_path / side).mkdir()
    off_env = base_environment(runtime, urls["off"]) | {"TODO_SERVER": "off"}
    on_env = base_environment(runtime, urls["on"])
    server = ServerHandle(env=on_env, cwd=tmp_path / "on", runtime=runtime)
    server.start("--idle", "0")
    try:
        yield Sides(tmp_path, off_env, on_env, server, names, request.param)
    finally:
        server.stop()
        for name in made:
            assert postgres is not None
            postgres.drop(name)
        import shutil

        shutil.rmtree(runtime, ignore_errors=True)


def test_every_command_prints_the_same_with_and_without_the_server(sides: Sides) -> None:
    differences = []
    # The two sides share nothing (directories, databases): each case runs on
    # both at once, which halves the time the table takes.
    with ThreadPoolExecutor(2) as pool:
        for case in CASES:
            # On PostgreSQL, only what reaches the database: the rest (help,
            # terminals) does not depend on the backend and ran on SQLite.
            neutral = case.sqlite_only or not case.database or case.terminal
            if sides.backend != "sqlite" and neutral:
                continue
            served_before = sides.server.served()
            off_run = pool.submit(run_case, case, sides.off_env, sides.root / "off")
            on = run_case(case, sides.on_env, sides.root / "on")
            off = off_run.result()
            differences += compare(case, off, on, sides, sides.server.served() - served_before)
    assert differences == []


def compare(case: Case, off: Outcome, on: Outcome, sides: Sides, served: int) -> list[str]:
    """What differs between the two runs of one case (nothing, one hopes)."""
    if served != 1:
        return [f"{case.name}: not served by the server ({on})"]
    differences = []
    got = [masked(x, sides.names) for x in (on.stdout, on.stderr)]
    want = [masked(x, sides.names) for x in (off.stdout, off.stderr)]
    if case.unordered:
        got[0], want[0] = (b"\n".join(sorted(x.split(b"\n"))) for x in (got[0], want[0]))
    if (on.code, *got) != (off.code, *want):
        differences.append(
            f"{case.name}: without {off.code} {want!r}\n"
            f"{' ' * len(case.name)}  with    {on.code} {got!r}"
        )
    for relative in case.modes:
        mode_off = (sides.root / "off" / relative).stat().st_mode & 0o777
        mode_on = (sides.root / "on" / relative).stat().st_mode & 0o777
        if mode_off != mode_on:
            differences.append(f"{case.name}: {relative} is {mode_on:o}, not {mode_off:o}")
    return differences


def test_the_table_covers_every_command() -> None:
    """A command added to the CLI without a line in the table fails here."""
    from typer.main import get_command

    from todo_cli.cli import app

    group = get_command(app)
    context = group.context_class(group, info_name="todo")
    covered = {case.args[0] for case in CASES if case.args and not case.args[0].startswith("-")}
    covered |= {f"{case.args[0]} {case.args[1]}" for case in CASES if len(case.args) > 1}
    missing = []
    for name in group.list_commands(context):  # type: ignore[attr-defined]
        if name == "server":
            continue  # the server's own commands are tested in test_server.py
        sub = group.get_command(context, name)  # type: ignore[attr-defined]
        subcommands = getattr(sub, "commands", None)
        if subcommands:
            sub_context = sub.context_class(sub, info_name=name, parent=context)
            missing += [
                f"{name} {s}"
                for s in sub.list_commands(sub_context)
                if f"{name} {s}" not in covered
            ]
        elif name not in covered:
            missing.append(name)
    assert missing == []
