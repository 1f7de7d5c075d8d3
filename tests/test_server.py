"""The command server: lifecycle, fallback, security, signals, concurrency.

Every test runs the real `todo` executable (the one next to this Python) in
subprocesses, with a private runtime directory of its own, so a server a
developer runs is never touched. What the command server must never change
(the output, byte for byte) is tested by tests/test_server_battery.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import pty
import re
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.ci_gate import not_applicable
from tests.conftest import REPO, imported, open_files, sleeping
from todo_cli.server import child as child_module
from todo_cli.server import client as wire
from todo_cli.server import server as server_module

pytestmark = [pytest.mark.subprocess, pytest.mark.skipif(sys.platform != "linux", reason="Linux")]


def todo_executable() -> list[str]:
    """`todo` as installed next to this interpreter, else `python -m todo_cli`."""
    script = Path(sys.executable).with_name("todo")
    return [str(script)] if script.exists() else [sys.executable, "-m", "todo_cli"]


# --- running todo -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a shell sees of one `todo` run."""

    code: int
    stdout: bytes
    stderr: bytes


def run_todo(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: Path,
    stdin: bytes | None = None,
    umask: int = -1,
    executable: Sequence[str] | None = None,
    timeout: float = 120,
) -> Outcome:
    proc = subprocess.run(
        [*(executable or todo_executable()), *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        env=dict(env),
        cwd=cwd,
        umask=umask,
        timeout=timeout,
        check=False,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def set_window_size(fd: int, rows: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def read_until(fd: int, marker: bytes, timeout: float = 60) -> bytes:
    """Read from ``fd`` until ``marker`` appears (or end of file, or the timeout)."""
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        if not select.select([fd], [], [], 0.1)[0]:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # a terminal whose other side closed
            break
        if not chunk:
            break
        data += chunk
    return data


def drain(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


# A tiny launcher that gives `todo` a controlling terminal, as a shell does for
# a foreground job, so that Ctrl-C typed at the terminal becomes SIGINT.
WITH_TERMINAL = (
    "import fcntl, os, sys, termios; os.setsid(); "
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execv(sys.argv[1], sys.argv[1:])"
)


def start_on_terminal(
    args: Sequence[str], env: Mapping[str, str], cwd: Path
) -> tuple[subprocess.Popen[bytes], int]:
    """`todo` with stdin, stdout and stderr on a new terminal it controls; (process, master)."""
    master, slave = pty.openpty()
    set_window_size(slave, 24, 80)
    exe = todo_executable()
    proc = subprocess.Popen(
        [sys.executable, "-c", WITH_TERMINAL, *exe[:1], *exe[1:], *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=dict(env),
        cwd=cwd,
    )
    os.close(slave)
    return proc, master


# --- a server for one test --------------------------------------------------------------------


@dataclass
class ServerHandle:
    """A command server in a private runtime directory, and the environment to reach it."""

    env: dict[str, str]
    cwd: Path
    runtime: Path
    started: list[int] = field(default_factory=list)
    package: str | None = None  # the todo_cli directory it serves, if not this one

    @property
    def path(self) -> str:
        found = wire.socket_path(self.env, check=False, package=self.package)
        assert found is not None
        return found

    def status(self) -> dict[str, Any] | None:
        return server_module.query_status(self.path)

    def served(self) -> int:
        found = self.status()
        assert found is not None, "no server is running"
        return int(found["commands_served"])

    def todo(self, *args: str, stdin: bytes | None = None, **env: str) -> Outcome:
        return run_todo(args, self.env | env, cwd=self.cwd, stdin=stdin)

    def start(self, *extra: str) -> int:
        result = self.todo("server", "start", "--json", *extra, TODO_SERVER="off")
        assert result.code == 0, result.stderr
        pid = int(json.loads(result.stdout)["pid"])
        self.started.append(pid)
        return pid

    def stop(self) -> None:
        self.todo("server", "stop", TODO_SERVER="off")

    def adding(self, **env: str) -> subprocess.Popen[bytes]:
        """`todo add` reading its titles from a pipe the test holds (and may never close)."""
        return subprocess.Popen(
            [*todo_executable(), "add"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env | env,
            cwd=self.cwd,
        )

    def wait_for(self, check: Callable[[], bool], timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(0.05)
        return check()

    def log(self) -> str:
        logs = list((self.runtime / "todo-cli").glob("*.log"))
        return "".join(p.read_text("utf-8", "replace") for p in logs)


def short_private_dir() -> Path:
    """A runtime directory: private, and short (a socket path has ~107 bytes)."""
    return Path(tempfile.mkdtemp(prefix="todo-rt-", dir="/tmp"))


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    path = short_private_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def base_environment(runtime: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TODO_SERVER")}
    # Bytecode as a user's `todo` has it: written once, then read.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env | {
        "XDG_RUNTIME_DIR": str(runtime),
        "TODO_DATABASE_URL": url,
        "TODO_USER": "alice",
        "TERM": "xterm-256color",
    }


@pytest.fixture
def served(runtime_dir: Path, tmp_path: Path) -> Iterator[ServerHandle]:
    """A running server, and the environment (a SQLite database in tmp_path) to use it."""
    handle = ServerHandle(
        env=base_environment(runtime_dir, "sqlite:///todo.db"), cwd=tmp_path, runtime=runtime_dir
    )
    handle.start("--idle", "0")
    yield handle
    handle.stop()
    for pid in handle.started:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def unserved(runtime_dir: Path, tmp_path: Path) -> ServerHandle:
    """The environment of `served`, with no server started."""
    return ServerHandle(
        env=base_environment(runtime_dir, "sqlite:///todo.db"), cwd=tmp_path, runtime=runtime_dir
    )


def titles(handle: ServerHandle) -> list[str]:
    result = handle.todo("list", "--all", "--json", TODO_SERVER="off")
    assert result.code == 0, result.stderr
    return [task["title"] for task in json.loads(result.stdout)]


# --- lifecycle --------------------------------------------------------------------------------


def test_a_command_is_served_and_prints_what_it_would_print(served: ServerHandle) -> None:
    before = served.served()
    result = served.todo("add", "--json", "Buy milk")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["title"] == "Buy milk"
    assert served.served() == before + 1
    assert titles(served) == ["Buy milk"]


def test_python_dash_m_is_served_too(served: ServerHandle) -> None:
    before = served.served()
    result = run_todo(
        ["--version"], served.env, cwd=served.cwd, executable=[sys.executable, "-m", "todo_cli"]
    )
    assert result.code == 0
    assert result.stdout.startswith(b"todo ")
    assert served.served() == before + 1


def test_a_served_command_imports_the_client_and_nothing_more(served: ServerHandle) -> None:
    """The client's start-up is the interpreter's and the client's: nothing else.

    (An editable install's path finder imports `re` and pathlib at start-up,
    so the baseline hides them here; tests/test_packaging.py holds the
    installed script to one that imports neither.)"""
    script = Path(sys.executable).with_name("todo")
    if not script.exists():
        not_applicable("todo is not installed next to this Python")
    before = served.served()
    interpreter = imported(["-c", "pass"], served.env, served.cwd)
    client = imported([str(script), "--version"], served.env, served.cwd)
    assert served.served() == before + 1
    assert (
        client - interpreter
        == {
            "_socket",
            "todo_cli",
            "todo_cli.__main__",
            "todo_cli.server",
            "todo_cli.server.client",
        }
        - interpreter
    )


def test_the_server_builds_the_cli_before_it_forks(served: ServerHandle) -> None:
    """Built in each child, typer's command cost ~25 ms of every served command."""
    from todo_cli import cli
    from todo_cli.server import warm

    assert warm.build_command() is True
    assert cli.command() is cli.command()
    log = served.log()
    assert "starting: pid" in log
    assert "each command builds the CLI itself" not in log
    assert "cannot build the CLI ahead" not in log


def test_start_twice_reports_the_running_server(served: ServerHandle) -> None:
    result = served.todo("server", "start", "--json", TODO_SERVER="off")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {"pid": served.started[0], "already_running": True}


def test_status_reports_pid_version_uptime_memory_and_commands(served: ServerHandle) -> None:
    served.todo("--version")
    result = served.todo("server", "status", "--json", TODO_SERVER="off")
    assert result.code == 0, result.stderr
    status = json.loads(result.stdout)
    from todo_cli import __version__

    assert status["pid"] == served.started[0]
    assert status["version"] == __version__
    assert status["uptime_s"] >= 0
    assert status["rss_bytes"] > 10 * 1024 * 1024
    assert 0 < status["private_bytes"] < status["rss_bytes"]
    assert status["commands_served"] >= 1
    assert status["running"] == []
    assert status["socket"] == served.path
    people = served.todo("server", "status", TODO_SERVER="off")
    assert people.code == 0
    assert re.search(rb"^memory +[\d.]+ MiB resident", people.stdout, re.M)


def test_status_shows_a_running_commands_private_memory(served: ServerHandle) -> None:
    proc = served.adding()
    try:
        assert served.wait_for(lambda: bool(_status(served)["running"])), served.log()
        (child,) = _status(served)["running"]
        assert child["private_bytes"] > 0
    finally:
        _, err = proc.communicate(b"from a pipe\n", timeout=60)
    assert proc.returncode == 0, err
    assert titles(served) == ["from a pipe"]


def _status(handle: ServerHandle) -> dict[str, Any]:
    found = handle.status()
    assert found is not None
    return found


def test_status_without_a_server_is_exit_1(unserved: ServerHandle) -> None:
    result = unserved.todo("server", "status")
    assert result.code == 1
    assert result.stderr == (
        b"error: no command server is running (start one: todo server start)\n"
    )


def test_stop_stops_it_and_removes_the_socket(served: ServerHandle) -> None:
    pid = served.started[0]
    result = served.todo("server", "stop", TODO_SERVER="off")
    assert result.code == 0, result.stderr
    assert result.stderr == f"stopped the command server (pid {pid})\n".encode()
    assert not os.path.exists(served.path)
    assert not _alive(pid)
    assert served.todo("server", "stop").stderr == b"no command server was running\n"


def test_stop_through_the_server_itself_does_not_wait_for_itself(served: ServerHandle) -> None:
    started = time.monotonic()
    result = served.todo("server", "stop")
    assert result.code == 0, result.stderr
    assert time.monotonic() - started < 3
    assert served.wait_for(lambda: not _alive(served.started[0]), timeout=10)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except OSError:
        return False


def test_it_exits_after_the_idle_time(unserved: ServerHandle) -> None:
    pid = unserved.start("--idle", "1")
    assert unserved.wait_for(lambda: not _alive(pid), timeout=15)
    assert not os.path.exists(unserved.path)


@pytest.mark.parametrize("unbuffered", [True, False], ids=["PYTHONUNBUFFERED=1", "buffered"])
def test_stdout_and_stderr_into_one_file_come_in_the_order_they_would_here(
    served: ServerHandle, unbuffered: bool
) -> None:
    # Unbuffered (a container's PYTHONUNBUFFERED=1, a cron log), the data line comes
    # before the note; the server's child, always buffered, wrote the note first.
    assert served.todo("add", "Buy milk", TODO_SERVER="off").code == 0
    assert served.todo("note", "1", "hello", TODO_SERVER="off").code == 0
    env = {k: v for k, v in served.env.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    both: dict[str, bytes] = {}
    for mode in ("off", "on"):
        path = served.cwd / f"both-{mode}.txt"
        with path.open("wb") as out:
            subprocess.run(
                [*todo_executable(), "export", "--format", "todotxt"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                env=env | {"TODO_SERVER": mode}, cwd=served.cwd, check=True,
            )  # fmt: skip
        both[mode] = path.read_bytes()
    assert both["on"] == both["off"]
    if unbuffered:
        assert both["on"].index(b"Buy milk") < both["on"].index(b"note: todo.txt")


def test_a_file_size_limit_holds_in_the_server_as_here(served: ServerHandle) -> None:
    # `ulimit -f`: here a write past it fails (exit 74); the server's child had its own.
    import resource

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    lines = "".join(f"Task number {n}\n" for n in range(3000)).encode()
    assert served.todo("add", "-", stdin=lines, TODO_SERVER="off").code == 0
    before = served.served()
    outcomes = {}
    for mode in ("off", "on"):
        target = served.cwd / f"limited-{mode}.json"
        proc = subprocess.run(
            [*todo_executable(), "export", "-o", target.name],
            stdin=subprocess.DEVNULL, capture_output=True, preexec_fn=limited,
            env=served.env | {"TODO_SERVER": mode}, cwd=served.cwd, check=False,
        )  # fmt: skip
        outcomes[mode] = (proc.returncode, proc.stderr.replace(target.name.encode(), b"FILE"))
        assert not target.exists()
    too_large = (74, b"error: cannot write FILE: File too large\n")
    assert outcomes["on"] == outcomes["off"] == too_large
    assert served.served() == before + 1
    # The next command, unlimited, is not held to it.
    assert served.todo("export", "-o", str(served.cwd / "whole.json")).code == 0
    assert (served.cwd / "whole.json").stat().st_size > 100_000


@pytest.mark.parametrize(
    "limit", ["RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_NOFILE"], ids=str.lower
)
def test_a_command_under_another_resource_limit_runs_in_the_client(
    served: ServerHandle, limit: str
) -> None:
    # `ulimit -t 1; seq 200000 | todo add` was killed without the server and added
    # 200,000 tasks with it: the server's child had the server's limits.
    import resource

    which = getattr(resource, limit)
    soft, hard = resource.getrlimit(which)
    lower = 1_000_000_000 if limit != "RLIMIT_NOFILE" else 512
    if soft != resource.RLIM_INFINITY and soft <= lower:
        lower = soft - 1

    def limited() -> None:
        resource.setrlimit(which, (lower, hard))

    before = served.served()
    proc = subprocess.run(
        [*todo_executable(), "add", "limited"],
        stdin=subprocess.DEVNULL, capture_output=True, preexec_fn=limited,
        env=served.env, cwd=served.cwd, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert served.served() == before  # run here, under its limit
    assert served.todo("add", "unlimited").code == 0
    assert served.served() == before + 1
    assert titles(served) == ["limited", "unlimited"]


def test_a_server_whose_socket_was_removed_exits_and_another_starts(
    unserved: ServerHandle,
) -> None:
    # `rm` of the socket left a server nobody could reach: status said none ran,
    # stop stopped none, start waited 10 s and failed, until its idle exit (never).
    pid = unserved.start("--idle", "0")
    os.unlink(unserved.path)
    assert unserved.wait_for(lambda: not _alive(pid), timeout=40), unserved.log()
    assert "stopped (its socket is gone)" in unserved.log()
    again = unserved.start("--idle", "0")
    try:
        assert again != pid
        assert unserved.todo("add", "served again").code == 0
        assert unserved.served() == 1
    finally:
        unserved.stop()


def test_the_log_keeps_what_a_replaced_server_wrote(unserved: ServerHandle) -> None:
    first = unserved.start("--idle", "0")
    unserved.stop()
    assert unserved.wait_for(lambda: not _alive(first))
    unserved.start("--idle", "0")
    unserved.stop()
    assert unserved.log().count("starting: pid") == 2


def _servers_of(runtime: Path) -> list[int]:
    """The server processes (not their children) that serve this runtime directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"todo_cli.server.server" in command and (
            b"XDG_RUNTIME_DIR=" + bytes(runtime) in environ
        ):
            found.append(int(entry.name))
    # A server's spare and command children are forks of it: their parent is one.
    return [pid for pid in found if _parent(pid) not in found]


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return int(stat.read().rpartition(b")")[2].split()[1])


def test_first_commands_at_once_start_one_server(unserved: ServerHandle) -> None:
    # `server = "auto"`: each of them started a server, and the ones that lost the
    # race took the lock for theirs all the same (fd 0), unlinked the winner's
    # socket and listened in its place: servers nobody could reach or stop.
    assert unserved.todo("add", "seed", TODO_SERVER="off").code == 0
    auto = unserved.env | {"TODO_SERVER": "auto"}
    firsts = [
        subprocess.Popen(
            [*todo_executable(), "list"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=auto,
            cwd=unserved.cwd,
        )
        for _ in range(4)
    ]
    for proc in firsts:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert unserved.wait_for(lambda: unserved.status() is not None)
    time.sleep(3)  # (every server started has bound its socket, or given up, by now)
    try:
        assert len(_servers_of(unserved.runtime)) == 1, unserved.log()
    finally:
        unserved.stop()
    assert unserved.wait_for(lambda: not _servers_of(unserved.runtime)), unserved.log()


def test_status_polled_neither_counts_as_a_command_nor_keeps_it_running(
    unserved: ServerHandle,
) -> None:
    # `watch todo server status`: served by the server itself, each status was a
    # command served, and kept the server from its idle exit for as long as it ran.
    pid = unserved.start("--idle", "2")
    started = time.monotonic()
    first = unserved.todo("server", "status", "--json")
    assert first.code == 0, first.stderr
    assert json.loads(first.stdout)["commands_served"] == 0
    while _alive(pid) and time.monotonic() - started < 15:
        unserved.todo("server", "status")
        time.sleep(0.3)
    assert not _alive(pid)
    assert unserved.todo("server", "status").code == 1


def test_idle_time_comes_from_the_environment(unserved: ServerHandle) -> None:
    result = unserved.todo("server", "start", "--json", TODO_SERVER_IDLE="1", TODO_SERVER="off")
    assert result.code == 0, result.stderr
    pid = int(json.loads(result.stdout)["pid"])
    assert unserved.wait_for(lambda: not _alive(pid), timeout=15)


def test_a_bad_idle_setting_is_a_config_error(unserved: ServerHandle) -> None:
    result = unserved.todo("server", "start", TODO_SERVER_IDLE="soon", TODO_SERVER="off")
    assert result.code == 3
    assert b"TODO_SERVER_IDLE is not a number of seconds: 'soon'" in result.stderr


@pytest.mark.parametrize("mode", ["auto", "on", "off"])
def test_a_bad_idle_variable_is_refused_by_every_command_and_starts_no_server(
    unserved: ServerHandle, mode: str
) -> None:
    # `auto` started a server on the default 30 minutes in its place, exit 0, said
    # only in the server's log; a bad server_idle_timeout in the config file is exit 3.
    for idle, why in (("abc", "is not a number of seconds: 'abc'"), ("-5", "must be 0 to")):
        result = unserved.todo("list", TODO_SERVER=mode, TODO_SERVER_IDLE=idle)
        assert (result.code, result.stdout) == (3, b"")
        assert result.stderr.startswith(f"error: TODO_SERVER_IDLE {why}".encode())
        assert result.stderr.endswith(b"(seconds, e.g. TODO_SERVER_IDLE=600; nothing was run)\n")
    assert unserved.status() is None
    assert unserved.todo("list", TODO_SERVER="off", TODO_SERVER_IDLE="60").code == 0


@pytest.mark.parametrize("idle", ["inf", "nan", "2147484", "3000000", "-1", "-0.5"])
def test_an_idle_time_the_server_cannot_wait_is_refused_before_it_starts(
    unserved: ServerHandle, idle: str
) -> None:
    # `start` said "started the command server" and the server failed two seconds
    # later (its waits are in milliseconds of a C int); `status` found none.
    result = unserved.todo("server", "start", "--idle", idle, TODO_SERVER="off")
    assert result.code == 2, result.stderr
    assert result.stderr.startswith(
        b"error: --idle must be 0 to 2,147,483 seconds (24 days; 0 is never): "
    )
    assert unserved.status() is None
    from_env = unserved.todo("server", "start", TODO_SERVER_IDLE=idle, TODO_SERVER="off")
    assert from_env.code == 3
    assert b"TODO_SERVER_IDLE must be 0 to 2,147,483 seconds" in from_env.stderr
    assert unserved.status() is None


def test_the_longest_idle_time_is_taken(unserved: ServerHandle) -> None:
    pid = unserved.start("--idle", "2147483")
    try:
        assert _status(unserved)["idle_timeout_s"] == 2147483
        assert _alive(pid)
    finally:
        assert unserved.todo("server", "stop", TODO_SERVER="off").code == 0


def test_auto_starts_a_server_on_first_use(unserved: ServerHandle) -> None:
    first = unserved.todo("add", "first", TODO_SERVER="auto")
    assert first.code == 0, first.stderr
    assert unserved.wait_for(lambda: unserved.status() is not None)
    try:
        before = unserved.served()
        second = unserved.todo("add", "second", TODO_SERVER="auto")
        assert second.code == 0, second.stderr
        assert unserved.served() == before + 1
        assert titles(unserved) == ["first", "second"]
    finally:
        unserved.stop()


def test_auto_in_the_config_file_starts_one_too(unserved: ServerHandle) -> None:
    config = unserved.cwd / "config.toml"
    config.write_text('server = "auto"  # start on first use\nserver_idle_timeout = 600\n')
    assert unserved.todo("--version", TODO_CONFIG=str(config)).code == 0
    assert unserved.wait_for(lambda: unserved.status() is not None)
    try:
        assert _status(unserved)["idle_timeout_s"] == 600
        assert unserved.todo("list", TODO_CONFIG=str(config)).code == 0
    finally:
        unserved.stop()


@pytest.mark.parametrize(
    "text",
    [
        'server = "auto"\nusr = "me"\n',
        'server = "AUTO"\n',
        'server = "auto"\nserver_idle_timeout = -5\n',
    ],
    ids=["unknown-key", "upper-case", "bad-idle"],
)
def test_a_config_file_todo_refuses_starts_no_server(unserved: ServerHandle, text: str) -> None:
    # The command failed (exit 3) and a server ran for 30 minutes all the same:
    # the client's lean reading of the file saw `auto` in it.
    config = unserved.cwd / "config.toml"
    config.write_text(text)
    for _ in range(2):
        result = unserved.todo("list", TODO_CONFIG=str(config))
        assert result.code == 3, result.stderr
    time.sleep(3)  # (a server started by it has bound its socket by now)
    assert unserved.status() is None
    assert not _servers_of(unserved.runtime)


@pytest.mark.parametrize(
    "text",
    [
        'server = "off"\n',
        # A byte-order mark (a Windows editor's "UTF-8 with BOM"), which the CLI reads
        # past: the client's lean scan did not, and saw no `server` key.
        '\ufeffserver = "off"\n',
        # A line of a multi-line string that looks like a table: the scan stopped there.
        'user = """\n[me]"""\nserver = "off"\n',
    ],
    ids=["plain", "byte-order-mark", "multi-line-string"],
)
def test_off_ignores_a_running_server(served: ServerHandle, text: str) -> None:
    before = served.served()
    assert served.todo("add", "here", TODO_SERVER="off").code == 0
    config = served.cwd / "config.toml"
    config.write_text(text, "utf-8")
    assert served.todo("list", TODO_CONFIG=str(config)).code == 0
    assert served.served() == before


def test_the_server_holds_no_database_connection(served: ServerHandle) -> None:
    assert served.todo("add", "one").code == 0
    assert served.todo("list").code == 0
    pid = served.started[0]
    targets = open_files(pid)
    assert not [t for t in targets if t.endswith((".db", ".db-wal", ".db-journal"))]
    inet = _inet_socket_inodes(pid)
    assert not [t for t in targets if t.startswith("socket:[") and t[8:-1] in inet]
    maps = Path(f"/proc/{pid}/maps").read_text()
    assert "todo.db" not in maps


def _inet_socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                inodes.add(line.split()[9])
    return inodes


def test_twenty_clients_at_once_all_succeed(served: ServerHandle) -> None:
    before = served.served()
    procs = [
        subprocess.Popen(
            [*todo_executable(), "add", f"task {i}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=served.env,
            cwd=served.cwd,
        )
        for i in range(20)
    ]
    results = [(p, *p.communicate(timeout=120)) for p in procs]
    assert [(p.returncode, err) for p, _, err in results if p.returncode] == []
    assert sorted(titles(served)) == sorted(f"task {i}" for i in range(20))
    assert served.served() == before + 20
    numbers = json.loads(served.todo("list", "--json", TODO_SERVER="off").stdout)
    assert sorted(t["number"] for t in numbers) == list(range(1, 21))


# --- the same process state as a fresh process ------------------------------------------------


def test_relative_sqlite_url_is_the_clients_working_directory(served: ServerHandle) -> None:
    elsewhere = served.cwd / "elsewhere"
    elsewhere.mkdir()
    before = served.served()
    result = run_todo(
        ["add", "there"], served.env | {"TODO_DATABASE_URL": "sqlite:///rel.db"}, cwd=elsewhere
    )
    assert result.code == 0, result.stderr
    assert served.served() == before + 1
    assert (elsewhere / "rel.db").exists()
    assert not (served.cwd / "rel.db").exists()


def test_umask_applies_to_the_files_a_command_creates(served: ServerHandle) -> None:
    # todo creates its database 0600 whatever the umask; a umask that takes
    # the owner's write bit too shows whether the command ran under the
    # client's umask (0400) or the server's (0600). Compared with the same
    # command run without the server, so the outcome (and the exit code, for
    # a user whom the read-only file stops) is the same either way.
    seen = {}
    for side, env in (("off", served.env | {"TODO_SERVER": "off"}), ("on", served.env)):
        where = served.cwd / f"mask-{side}"
        where.mkdir()
        result = run_todo(["add", "x"], env, cwd=where, umask=0o277)
        seen[side] = (result.code, (where / "todo.db").stat().st_mode & 0o777)
    assert seen["on"] == seen["off"]
    assert seen["on"][1] == 0o400
    assert served.served() == 1


def test_a_deleted_working_directory_behaves_as_without_the_server(served: ServerHandle) -> None:
    gone = served.cwd / "gone"
    outcomes = []
    for mode in ("off", "on"):
        gone.mkdir()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import os, sys; os.rmdir(os.getcwd()); os.execv(sys.argv[1], sys.argv[1:])",
                *todo_executable(),
                "--version",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=served.env | {"TODO_SERVER": mode},
            cwd=gone,
        )
        out, err = proc.communicate(timeout=60)
        outcomes.append((proc.returncode, out, err))
    assert outcomes[0] == outcomes[1]


def test_the_terminal_window_size_reaches_the_command(served: ServerHandle) -> None:
    served.todo("add", " ".join(f"word{i}" for i in range(30)))
    screens = []
    for mode in ("off", "on"):
        master, slave = pty.openpty()
        set_window_size(slave, 30, 50)
        proc = subprocess.Popen(
            [*todo_executable(), "list"],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=served.env | {"TODO_SERVER": mode, "NO_COLOR": "1"},
            cwd=served.cwd,
        )
        os.close(slave)
        screen = drain(master)
        proc.communicate(timeout=60)
        os.close(master)
        screens.append(screen)
    assert screens[0] == screens[1]
    assert max(len(line) for line in screens[1].decode().splitlines()) <= 50


# --- files named by the client's own descriptors -----------------------------------------------


def in_bash(line: str, env: Mapping[str, str], *, cwd: Path) -> Outcome:
    """A command line as typed at a bash prompt, `todo` being the one under test.

    `todo` is a shell function, so that the line reads as a user's; ``{todo}``
    stands for the executable itself (``exec {todo} ...`` keeps the shell's pid).
    """
    executable = shlex.join(todo_executable())
    script = f'todo() {{ {executable} "$@"; }}\n' + line.replace("{todo}", executable)
    proc = subprocess.run(
        ["bash", "-c", script],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=dict(env),
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def both_ways(
    handle: ServerHandle, line: str, *, shared_database: bool = True, on: str = "on", **env: str
) -> dict[str, tuple[Outcome, bytes]]:
    """``line`` run with TODO_SERVER=off and with TODO_SERVER=``on`` ("": unset),
    each in a directory of its own: what the shell saw, and what the command wrote
    into out.json there. A variable given as "" is unset."""
    seen = {}
    for mode, server in (("off", "off"), ("on", on)):
        where = handle.cwd / mode
        where.mkdir()
        side = handle.env | env | {"TODO_SERVER": server}
        if shared_database:
            side["TODO_DATABASE_URL"] = shared_url(handle)
        result = in_bash(line, {k: v for k, v in side.items() if v != ""}, cwd=where)
        out = where / "out.json"
        seen[mode] = (result, out.read_bytes() if out.exists() else b"")
    return seen


def shared_url(handle: ServerHandle) -> str:
    """One database for both sides: the same tasks, the same ids."""
    return f"sqlite:///{handle.cwd / 'todo.db'}"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("todo export -o /dev/fd/4 4>out.json", 0),
        # The server's child had its notes to the server at 10: the server died.
        ("todo export -o /dev/fd/10 10>out.json", 0),
        ("todo export --output=/proc/self/fd/4 4>out.json", 0),
        ("exec {todo} export -o /proc/$$/fd/4 4>out.json", 0),
        # Not open here; the server's child had its log there (and wrote into it).
        ("todo export -o /dev/fd/5 4>out.json", 74),
        # A pipe, as `>(wc -c)` is: the child had its connection at 3 (exit 74).
        ("todo export -o /dev/fd/3 3>&1 >/dev/null | wc -c", 0),
    ],
    ids=["dev-fd-4", "dev-fd-10", "proc-self-fd", "proc-pid-fd", "not-open", "a-pipe"],
)
def test_a_file_named_by_a_descriptor_of_the_client_gets_what_it_would_without_the_server(
    served: ServerHandle, line: str, code: int
) -> None:
    added = served.todo("add", "task one", TODO_SERVER="off", TODO_DATABASE_URL=shared_url(served))
    assert added.code == 0, added.stderr
    seen = both_ways(served, line)
    assert seen["on"] == seen["off"]
    off, written = seen["off"]
    assert off.code == code, off
    if code == 0:  # the export itself, in the file or counted by wc
        assert b"task one" in written or int(off.stdout) > 100, off
    # The server lives on, its log none the worse.
    assert served.status() is not None
    assert "task one" not in served.log()


def test_a_file_the_shell_hands_over_as_a_descriptor_is_read_as_without_the_server(
    served: ServerHandle,
) -> None:
    # `<(...)`: the command reads /dev/fd/63, which the server's child does not have.
    line = (
        'printf \'[{"role":"user","content":"hi"}]\' > t.json\ntodo chat-log import <(cat t.json)'
    )
    seen = both_ways(served, line, shared_database=False)
    assert seen["on"] == seen["off"]
    assert seen["off"][0] == Outcome(0, b"", b"imported conversation #1 with 1 message\n")


@pytest.mark.parametrize(
    "line",
    [
        "printf 'user = \"alice\"\\n' > c.toml\nTODO_CONFIG=/dev/fd/5 todo list --json 5<c.toml",
        "TODO_CONFIG=<(printf 'user = \"alice\"\\n') todo list --json",
    ],
    ids=["a-file", "a-pipe"],
)
def test_a_config_file_named_by_a_descriptor_is_the_clients(
    served: ServerHandle, line: str
) -> None:
    added = served.todo("add", "alice's", TODO_SERVER="off", TODO_DATABASE_URL=shared_url(served))
    assert added.code == 0, added.stderr
    # No TODO_USER: the user is the config file's (else the login's, who has no
    # tasks). TODO_SERVER unset: the client reads the config file for the mode,
    # and must not use up a pipe the command reads after it.
    seen = both_ways(served, line, on="", TODO_USER="")
    assert seen["on"] == seen["off"]
    off, _ = seen["off"]
    assert off.code == 0, off
    assert [task["title"] for task in json.loads(off.stdout)] == ["alice's"]


def test_the_standard_streams_by_name_are_still_served(served: ServerHandle) -> None:
    # The child has the client's 0, 1 and 2: /dev/stdout and /dev/fd/2 are the same there.
    added = served.todo("add", "task one", TODO_SERVER="off", TODO_DATABASE_URL=shared_url(served))
    assert added.code == 0, added.stderr
    before = served.served()
    seen = both_ways(served, "todo export -o /dev/stdout && todo export -o /dev/fd/2")
    assert seen["on"] == seen["off"]
    assert b"task one" in seen["off"][0].stdout
    assert seen["off"][0].stdout == seen["off"][0].stderr
    assert served.served() == before + 2


@pytest.mark.parametrize(
    "name",
    [
        "/dev/fd/4",
        "/dev/fd/63",
        "/proc/self/fd/10",
        "/proc/4242/fd/3",
        "//dev//fd/4",
        "fd/4",
        "/proc/self/environ",
        "/proc/thread-self/fd/0",
        "self/cmdline",
        "--output=/dev/fd/4",
        "-o/dev/fd/4",
        "/dev/fd/4" + "0" * 5000,
        "/dev/tty",
        "--output=/dev/tty",
    ],
)
def test_a_name_of_the_clients_own_files_runs_the_command_here(name: str) -> None:
    assert wire.names_own_files(["export", name], {}) is True
    assert wire.names_own_files(["list"], {"TODO_CONFIG": name}) is True


@pytest.mark.parametrize(
    "name",
    ["/dev/fd/0", "/dev/fd/1", "/dev/fd/2", "/dev/stdin", "/dev/stderr", "backup.json", "fd/",
     "note to self", "selfish", "/dev/fd/x"],
)  # fmt: skip
def test_other_names_are_served(name: str) -> None:
    assert wire.names_own_files(["export", name], {}) is False
    assert wire.names_own_files(["list"], {"TODO_CONFIG": name, "PATH": "/dev/fd/4"}) is False


def test_export_to_dev_tty_writes_the_terminal_as_without_the_server(
    served: ServerHandle,
) -> None:
    # The served child has no controlling terminal: "cannot write /dev/tty: No such
    # device or address", exit 74, where `todo` alone writes the terminal.
    assert served.todo("add", "on the terminal").code == 0
    before = served.served()
    proc, master = start_on_terminal(["export", "-o", "/dev/tty"], served.env, served.cwd)
    try:
        shown = read_until(master, b"]", timeout=60)
        assert proc.wait(timeout=60) == 0
    finally:
        os.close(master)
    assert b"on the terminal" in shown
    assert served.served() == before  # run here


def test_a_command_in_the_server_holds_no_file_of_the_servers(served: ServerHandle) -> None:
    """What still reaches the server's child (a link to /dev/fd/5, say) finds none
    of the server's files there: its log, its code watch and its notes were once
    at 5, 6 and 10, for the command to overwrite or read."""
    proc = served.adding()
    held: dict[int, str] = {}
    try:
        assert served.wait_for(lambda: bool(_status(served)["running"])), served.log()
        (child,) = _status(served)["running"]
        for entry in Path(f"/proc/{child['pid']}/fd").iterdir():
            with contextlib.suppress(OSError):
                held[int(entry.name)] = os.readlink(entry)
    finally:
        _, err = proc.communicate(b"from a pipe\n", timeout=60)
    assert proc.returncode == 0, err
    assert held
    assert {fd: target for fd, target in held.items() if fd > 2 and "socket:[" not in target} == {}
    assert titles(served) == ["from a pipe"]


# --- signals ----------------------------------------------------------------------------------


def test_ctrl_c_at_a_prompt_is_exit_130_and_changes_nothing(served: ServerHandle) -> None:
    served.todo("add", "keep me")
    seen = []
    for mode in ("off", "on"):
        before = served.served()
        proc, master = start_on_terminal(
            ["delete", "1"], served.env | {"TODO_SERVER": mode}, served.cwd
        )
        try:
            screen = read_until(master, b"[y/N]: ")
            assert b"delete #1" in screen
            reader = _status(served)["running"][0]["pid"] if mode == "on" else proc.pid
            # At the prompt for sure: asleep waiting for the answer.
            assert served.wait_for(functools.partial(sleeping, reader, "poll"))
            os.write(master, b"\x03")  # Ctrl-C, as typed
            proc.wait(timeout=60)
            screen += drain(master)
        finally:
            os.close(master)
        seen.append((proc.returncode, screen))
        assert served.served() == before + (mode == "on")
    assert seen[0] == seen[1]
    assert seen[0][0] == 130
    assert titles(served) == ["keep me"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_to_the_client_ends_the_command_as_without_the_server(
    served: ServerHandle, signum: int
) -> None:
    outcomes = []
    for mode in ("off", "on"):
        proc = served.adding(TODO_SERVER=mode)
        assert proc.stdin is not None
        proc.stdin.write(b"never added\n")
        proc.stdin.flush()
        reader = proc.pid
        if mode == "on":
            assert served.wait_for(lambda: bool(_status(served)["running"])), served.log()
            reader = _status(served)["running"][0]["pid"]
        # Past the imports and the argument parsing: blocked reading stdin.
        assert served.wait_for(functools.partial(_reading_a_pipe, reader))
        proc.send_signal(signum)
        # stdin stays open until the command has ended: closing it sooner races
        # the signal (through the server it is forwarded by the client, which a
        # loaded machine may run later), and end of input would let `add` finish.
        proc.wait(timeout=60)
        out, err = proc.communicate(timeout=60)
        outcomes.append((proc.returncode, out, err))
    assert outcomes[0] == outcomes[1]
    # A write command reading its input takes SIGTERM and SIGHUP as Ctrl-C too.
    assert outcomes[1][:2] == (130, b"")
    assert outcomes[1][2].endswith(b"error: interrupted (nothing was changed)\n")
    assert titles(served) == []
    assert served.wait_for(lambda: _status(served)["running"] == [], timeout=10)


def _reading_a_pipe(pid: int) -> bool:
    """Whether ``pid`` sleeps in a read of a pipe (as `todo add` does on piped stdin)."""
    return sleeping(pid, "pipe")


def test_a_killed_client_takes_its_command_with_it(served: ServerHandle) -> None:
    proc = served.adding()
    assert proc.stdin is not None
    proc.stdin.write(b"never added\n")
    proc.stdin.flush()
    assert served.wait_for(lambda: bool(_status(served)["running"])), served.log()
    (child,) = _status(served)["running"]
    proc.kill()
    proc.communicate(timeout=60)
    assert served.wait_for(lambda: not _alive(child["pid"]), timeout=10)
    assert served.wait_for(lambda: _status(served)["running"] == [], timeout=10)
    assert titles(served) == []


def test_a_server_killed_during_a_command_leaves_the_commands_outcome_alone(
    served: ServerHandle,
) -> None:
    # The server dies (kill -9) while its child runs a command: the command ends
    # as it would have, and the client gets its exit code and nothing else on
    # stderr (once: exit 70, "stopped before the command finished", and the
    # child's log line about its broken note written to the user's stderr).
    proc = served.adding()
    assert served.wait_for(lambda: bool(_status(served)["running"])), served.log()
    server_pid = _status(served)["pid"]
    os.kill(server_pid, signal.SIGKILL)
    assert served.wait_for(lambda: not _alive(server_pid), timeout=10)
    out, err = proc.communicate(b"first\nsecond\n", timeout=60)
    assert (proc.returncode, out, err) == (0, b"", b"added 2 tasks: #1..#2\n")
    assert titles(served) == ["first", "second"]


def test_ignored_signals_stay_ignored_in_the_command(served: ServerHandle) -> None:
    # `nohup todo ...`: SIGHUP ignored by the client must be ignored by the command.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
            "os.execv(sys.argv[1], sys.argv[1:])",
            *todo_executable(),
            "add",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=served.env,
        cwd=served.cwd,
    )
    assert served.wait_for(lambda: bool(_status(served)["running"])), served.log()
    (child,) = _status(served)["running"]
    os.kill(child["pid"], signal.SIGHUP)
    _, err = proc.communicate(b"survived\n", timeout=60)
    assert proc.returncode == 0, err
    assert titles(served) == ["survived"]


# --- fallback ---------------------------------------------------------------------------------


def test_no_server_runs_the_command_here(unserved: ServerHandle) -> None:
    result = unserved.todo("add", "--json", "alone")
    assert result.code == 0, result.stderr
    assert titles(unserved) == ["alone"]


def test_a_stale_socket_file_runs_the_command_here_once(unserved: ServerHandle) -> None:
    directory = Path(wire.runtime_dir(unserved.env))
    directory.mkdir(mode=0o700)
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(unserved.path)
    dead.close()  # the file stays, nobody listens: ECONNREFUSED
    result = unserved.todo("add", "once")
    assert result.code == 0, result.stderr
    assert titles(unserved) == ["once"]


class FakeServer:
    """A stand-in for a broken or foreign server, on the socket path `todo` will try."""

    def __init__(self, path: str, behave: Callable[[socket.socket], None]) -> None:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(path)
        self.listener.listen(8)
        self.connections = 0
        self.behave = behave
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                self.behave(conn)

    def close(self) -> None:
        self.listener.close()


def _read_request(conn: socket.socket) -> None:
    header = conn.recv(wire.HEADER_SIZE)
    size = int.from_bytes(header[8:12], "little")
    while size > 0:
        chunk = conn.recv(min(size, 65536))
        if not chunk:
            return
        size -= len(chunk)


def _hangs(conn: socket.socket) -> None:
    _read_request(conn)
    time.sleep(wire.HANDSHAKE_TIMEOUT_S + 2)


def _cancelled(conn: socket.socket) -> None:
    """A server too slow to answer in time, honouring the client's CANCEL."""
    _read_request(conn)
    assert conn.recv(1) == wire.CANCEL
    # The client may be gone already: after its CANCEL it waits no more.
    with contextlib.suppress(OSError):
        conn.sendall(wire.CANCELLED + bytes(4))


def _refuses(conn: socket.socket) -> None:
    _read_request(conn)
    conn.sendall(wire.REFUSED + wire.REFUSED_VERSION.to_bytes(4, "little"))


def _garbage(conn: socket.socket) -> None:
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\n")


@pytest.mark.parametrize(
    "behave",
    [lambda conn: None, _refuses, _garbage, _hangs, _cancelled],
    ids=["closes-at-once", "refuses", "answers-garbage", "never-answers", "too-slow"],
)
def test_a_broken_server_means_the_command_runs_here_exactly_once(
    unserved: ServerHandle, behave: Callable[[socket.socket], None]
) -> None:
    fake = FakeServer(unserved.path, behave)
    try:
        result = unserved.todo("add", "--json", "exactly once")
    finally:
        fake.close()
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["title"] == "exactly once"
    assert fake.connections == 1
    assert titles(unserved) == ["exactly once"]


def _accepts_then_dies(conn: socket.socket) -> None:
    _read_request(conn)
    # READY: the command is the server's now; then the server "crashes".
    conn.sendall(wire.READY + os.getpid().to_bytes(4, "little"))


def test_a_server_that_dies_after_accepting_is_never_a_second_run(
    unserved: ServerHandle,
) -> None:
    fake = FakeServer(unserved.path, _accepts_then_dies)
    try:
        result = unserved.todo("add", "at most once")
    finally:
        fake.close()
    assert result.code == wire.LOST
    assert result.stderr.startswith(b"error: the command server stopped before the command")
    assert titles(unserved) == []  # the fake ran nothing, and the client did not either


def _accepts_and_exits_5(conn: socket.socket) -> None:
    _read_request(conn)
    conn.sendall(wire.READY + os.getpid().to_bytes(4, "little"))
    conn.sendall(wire.EXIT + (5).to_bytes(4, "little"))


def test_the_exit_code_is_the_commands(unserved: ServerHandle) -> None:
    fake = FakeServer(unserved.path, _accepts_and_exits_5)
    try:
        result = unserved.todo("add", "x")
    finally:
        fake.close()
    assert result == Outcome(5, b"", b"")


def test_another_interpreter_setup_runs_the_command_here(served: ServerHandle) -> None:
    before = served.served()
    result = served.todo("add", "here", PYTHONWARNINGS="ignore::DeprecationWarning")
    assert result.code == 0, result.stderr
    assert served.served() == before
    assert titles(served) == ["here"]


@pytest.fixture
def copied_package(tmp_path: Path) -> Path:
    """A copy of todo_cli, importable through PYTHONPATH, to change under a server."""
    import todo_cli

    site = tmp_path / "site"
    shutil.copytree(
        Path(todo_cli.__file__).parent,
        site / "todo_cli",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return site


def _serving_the_copy(unserved: ServerHandle, copied_package: Path) -> ServerHandle:
    """A handle whose `todo` (and server) import the copied package."""
    return ServerHandle(
        env=unserved.env | {"PYTHONPATH": str(copied_package)},
        cwd=unserved.cwd,
        runtime=unserved.runtime,
        package=str(copied_package / "todo_cli"),
    )


@pytest.mark.parametrize("change", ["version", "code", "new-module", "new-directory"])
def test_changed_code_is_never_served_by_the_old_server(
    unserved: ServerHandle, copied_package: Path, change: str
) -> None:
    handle = _serving_the_copy(unserved, copied_package)
    old = handle.start("--idle", "0")
    try:
        assert handle.todo("--version").code == 0
        init = copied_package / "todo_cli" / "__init__.py"
        if change == "version":
            init.write_text(init.read_text().replace('__version__ = "', '__version__ = "9.'))
        elif change == "code":
            (copied_package / "todo_cli" / "cli" / "app.py").touch()
        elif change == "new-module":
            (copied_package / "todo_cli" / "cli" / "extra.py").write_text("")
        else:
            # Empty yet, but what is put in it later is not watched by this server.
            (copied_package / "todo_cli" / "plugins").mkdir()
        result = handle.todo("--version")
        assert result.code == 0, result.stderr
        if change == "version":
            assert result.stdout.startswith(b"todo 9.")
        # The old server stops, and starts a successor with the new code.
        assert handle.wait_for(lambda: not _alive(old), timeout=15)
        assert handle.wait_for(lambda: handle.status() is not None)
        new = _status(handle)
        assert new["pid"] != old
        assert handle.todo("--version").stdout == result.stdout
        assert handle.served() == new["commands_served"] + 1
    finally:
        handle.stop()


def test_the_server_watches_its_code_rather_than_rereading_it(served: ServerHandle) -> None:
    # An inotify descriptor: a request checks it (one poll) instead of taking
    # the times of every file of the package (see server.warm.watch_code).
    pid = _status(served)["pid"]
    assert "anon_inode:inotify" in open_files(pid)
    assert "not watching the code" not in Path(_status(served)["log"]).read_text()


def test_a_change_that_leaves_the_code_as_it_was_keeps_the_server(
    unserved: ServerHandle, copied_package: Path
) -> None:
    handle = _serving_the_copy(unserved, copied_package)
    old = handle.start("--idle", "0")
    try:
        app = copied_package / "todo_cli" / "cli" / "app.py"
        # An event in a watched directory: the files' sizes and times say the same.
        app.chmod(app.stat().st_mode)
        before = handle.served()
        for _ in range(2):
            assert handle.todo("--version").code == 0
        assert handle.served() == before + 2
        assert _status(handle)["pid"] == old
        # A real change afterwards is still caught.
        app.touch()
        assert handle.todo("--version").code == 0
        assert handle.wait_for(lambda: not _alive(old), timeout=15)
    finally:
        handle.stop()


# --- security ---------------------------------------------------------------------------------


def test_socket_and_directory_are_private(served: ServerHandle) -> None:
    directory = Path(served.path).parent
    assert directory.stat().st_mode & 0o777 == 0o700
    assert os.stat(served.path).st_mode & 0o777 == 0o600
    assert directory.stat().st_uid == os.getuid()


def test_a_directory_others_can_enter_is_not_used(unserved: ServerHandle) -> None:
    directory = Path(wire.runtime_dir(unserved.env))
    directory.mkdir(mode=0o700)
    fake = FakeServer(unserved.path, _accepts_and_exits_5)
    directory.chmod(0o755)
    try:
        result = unserved.todo("add", "here")
    finally:
        fake.close()
    assert result.code == 0, result.stderr
    assert fake.connections == 0
    assert titles(unserved) == ["here"]
    refused = unserved.todo("server", "start", TODO_SERVER="off")
    assert refused.code == 3
    assert b"is not a private directory of this user" in refused.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another user")
def test_the_server_refuses_another_user(served: ServerHandle) -> None:
    # Open the directories and the socket for this test only: the uid check must
    # hold alone.
    directory = Path(served.path).parent
    served.runtime.chmod(0o711)
    directory.chmod(0o711)
    os.chmod(served.path, 0o666)
    before = served.served()
    script = (
        "import os, socket, sys\n"
        "os.setgid(65534)\n"
        "os.setuid(65534)\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "s.connect(sys.argv[1])\n"
        "try:\n"
        "    s.sendall(b'todo' + bytes((1, ord('s'), 0, 0)) + bytes(4))\n"
        "    print('answered' if s.recv(64) else 'closed')\n"
        "except OSError:  # reset, or a broken pipe: closed before reading\n"
        "    print('closed')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, served.path],
        capture_output=True,
        timeout=60,
        check=False,
    )
    directory.chmod(0o700)
    served.runtime.chmod(0o700)
    # Closed unanswered (reset or a broken pipe: the request was never read).
    assert result.stdout.strip() == b"closed", result.stderr
    assert "refused a connection from uid 65534" in served.log()
    assert served.served() == before


def test_the_server_environment_keeps_no_database_credentials(unserved: ServerHandle) -> None:
    result = unserved.todo(
        "server",
        "start",
        "--json",
        TODO_SERVER="off",
        TODO_DATABASE_URL="postgresql://u:secret@db.invalid/x",
        PGPASSWORD="secret",
    )
    assert result.code == 0, result.stderr
    pid = int(json.loads(result.stdout)["pid"])
    try:
        assert b"secret" not in Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        unserved.stop()


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_the_client_ends_as_a_command_killed_by_a_signal_did(signum: int) -> None:
    """SIGKILL (the OOM killer, kill -9) takes no handler: the client still dies by it,
    exit 128+9 to the shell as without the server, not a traceback and exit 1."""
    code = f"from todo_cli.server.client import _die_like; _die_like({int(signum)})"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, cwd=REPO, timeout=60, check=False
    )
    assert (proc.returncode, proc.stderr) == (-signum, b"")


# --- what runs in the client's own process -------------------------------------------------------


def test_shell_completion_finds_the_users_shell_while_a_server_runs(served: ServerHandle) -> None:
    # Typer finds the shell among todo's ancestors: through the server, those were
    # the server's ("Shell  not supported.", exit 1).
    before = served.served()
    seen = both_ways(served, "todo --show-completion")
    assert seen["on"] == seen["off"]
    off, _ = seen["off"]
    assert off.code == 0, off
    assert b"_todo_completion" in off.stdout
    assert served.served() == before


@pytest.mark.parametrize(
    "argv",
    [["--show-completion"], ["--install-completion"], ["--install-completion=zsh"],
     ["--show-completion", "bash"]],
)  # fmt: skip
def test_completion_options_run_in_the_client(argv: list[str]) -> None:
    assert wire.runs_here(argv) is True


# Gives `todo` a terminal as a background job of an interactive shell has it:
# the terminal controls the session, the job has a process group of its own that
# is not the terminal's foreground. Exits 100 + the signal that stopped `todo`.
AS_A_BACKGROUND_JOB = """
import fcntl, os, sys, termios
os.setsid()
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.execv(sys.argv[1], sys.argv[1:])
_, status = os.waitpid(pid, os.WUNTRACED)
if os.WIFSTOPPED(status):
    os.killpg(pid, 9)
    os.waitpid(pid, 0)
    sys.exit(100 + os.WSTOPSIG(status))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_background_job_does_not_take_the_terminals_input(served: ServerHandle) -> None:
    # `todo delete 1 &`, then the user types a line meant for the shell: without the
    # server the terminal stops the job (SIGTTIN) when it reads; served, the child
    # read the terminal and took "y" for the prompt's answer.
    assert served.todo("add", "keep me").code == 0
    master, slave = pty.openpty()
    exe = todo_executable()
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_A_BACKGROUND_JOB, *exe, "delete", "1"],
        stdin=slave, stdout=slave, stderr=slave, env=served.env, cwd=served.cwd,
    )  # fmt: skip
    os.close(slave)
    try:
        assert b"[y/N]: " in read_until(master, b"[y/N]: ")
        os.write(master, b"y\n")
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert code == 100 + signal.SIGTTIN
    assert titles(served) == ["keep me"]


# A job of an interactive shell's terminal, started in the foreground; on SIGUSR1
# the "shell" does what Ctrl-Z and `bg` do: stops the job (SIGTSTP), takes the
# terminal back, and continues the job in the background. Exits 100 + the signal
# that stops `todo` then (0 and its code if it ends instead).
AS_A_JOB_SENT_TO_THE_BACKGROUND = """
import fcntl, os, signal, sys, termios
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
os.setsid()
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
moved = []
signal.signal(signal.SIGUSR1, lambda *_: moved.append(1))
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)
    signal.signal(signal.SIGUSR1, signal.SIG_DFL)
    while os.tcgetpgrp(0) != os.getpgrp():
        pass
    os.execv(sys.argv[1], sys.argv[1:])
os.setpgid(pid, pid)
os.tcsetpgrp(0, pid)
while not moved:
    signal.pause()
os.killpg(pid, signal.SIGTSTP)
_, status = os.waitpid(pid, os.WUNTRACED)
assert os.WIFSTOPPED(status), status
os.tcsetpgrp(0, os.getpgrp())
os.killpg(pid, signal.SIGCONT)
sys.stdout.write("bg done\\n")
sys.stdout.flush()
_, status = os.waitpid(pid, os.WUNTRACED)
if os.WIFSTOPPED(status):
    os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.exit(100 + os.WSTOPSIG(status))
sys.exit(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.parametrize(
    ("args", "typed"),
    [(["delete", "1"], b""), (["add", "-"], b"task one\n")],
    ids=["prompt", "bulk-add"],
)
def test_a_job_sent_to_the_background_while_it_reads_reads_nothing_more(
    served: ServerHandle, args: list[str], typed: bytes
) -> None:
    # `todo delete 1`, Ctrl-Z at its prompt, `bg`, then "y" typed for the shell:
    # the served command read it and deleted the task (a bulk add took the shell's
    # next lines for tasks). Without the server the terminal stops the job when it
    # reads ("Stopped (tty input)").
    assert served.todo("add", "keep me").code == 0
    before = served.served()
    master, slave = pty.openpty()
    exe = todo_executable()
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_A_JOB_SENT_TO_THE_BACKGROUND, *exe, *args],
        stdin=slave, stdout=slave, stderr=slave, env=served.env, cwd=served.cwd,
    )  # fmt: skip
    os.close(slave)
    try:
        if typed:
            time.sleep(1)  # (the served command is reading)
            os.write(master, typed)
        else:
            assert b"[y/N]: " in read_until(master, b"[y/N]: ")
        proc.send_signal(signal.SIGUSR1)
        assert b"bg done" in read_until(master, b"bg done")
        os.write(master, b"y\n\x04")
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert code == 100 + signal.SIGTTIN
    assert served.served() == before + 1  # it was the served command that stopped
    assert titles(served) == ["keep me"]


def test_a_bulk_add_that_has_read_its_end_runs_on_in_the_background(
    served: ServerHandle,
) -> None:
    # `todo add -`, lines and Ctrl-D, then Ctrl-Z and `bg` while it still works (here
    # held up by another writer): it read the terminal no more, and was stopped all
    # the same until `fg` (on PostgreSQL holding up every other writer meanwhile).
    import sqlite3

    assert served.todo("add", "seed").code == 0
    master, slave = pty.openpty()
    exe = todo_executable()
    holder = sqlite3.connect(served.cwd / "todo.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_A_JOB_SENT_TO_THE_BACKGROUND, *exe, "add", "-"],
        stdin=slave, stdout=slave, stderr=slave, env=served.env, cwd=served.cwd,
    )  # fmt: skip
    os.close(slave)
    try:
        time.sleep(1)
        os.write(master, b"one\ntwo\n\x04")
        time.sleep(1)  # (read to its end, and waiting for the write lock)
        proc.send_signal(signal.SIGUSR1)
        assert b"bg done" in read_until(master, b"bg done")
        time.sleep(1)
        holder.execute("COMMIT")
        code = proc.wait(timeout=60)
    finally:
        holder.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert code == 0
    assert titles(served) == ["seed", "one", "two"]


def test_a_foreground_command_on_a_terminal_is_still_served(served: ServerHandle) -> None:
    before = served.served()
    proc, master = start_on_terminal(["list"], served.env, served.cwd)
    try:
        read_until(master, b"\n", timeout=60)
        assert proc.wait(timeout=60) == 0
    finally:
        os.close(master)
    assert served.served() == before + 1


# --- Ctrl-C as a served command starts ---------------------------------------------------------


def test_ctrl_c_just_as_a_served_command_starts_is_exit_130_and_changes_nothing(
    served: ServerHandle,
) -> None:
    # The child interrupts itself between READY and the command, where a forwarded
    # Ctrl-C can land: it was "child failed: KeyboardInterrupt" and exit 70.
    env = served.env | {child_module.INTERRUPT_AT_START: "1"}
    result = run_todo(["add", "never added"], env, cwd=served.cwd)
    assert result == Outcome(130, b"", b"error: interrupted (nothing was changed)\n")
    assert titles(served) == []
    assert "child failed" not in served.log()


# --- a server that does not answer -------------------------------------------------------------


@pytest.mark.parametrize("answered", [False, True], ids=["nothing-came", "ready-came"])
def test_withdrawing_from_a_stalled_server_waits_no_second_time(answered: bool) -> None:
    # A stopped server (kill -STOP) cost two handshake timeouts a command, not one:
    # the CANCEL's look for a late READY waited the socket's timeout out again.
    ours, theirs = socket.socketpair()
    with ours, theirs:
        if answered:
            theirs.sendall(wire.READY + (4242).to_bytes(4, "little"))
        ours.settimeout(wire.HANDSHAKE_TIMEOUT_S)
        started = time.monotonic()
        outcome = wire._cancel(ours)
        assert time.monotonic() - started < wire.HANDSHAKE_TIMEOUT_S / 2
        assert theirs.recv(1) == wire.CANCEL
    assert outcome == ((wire.READY, 4242) if answered else (b"", 0))


# --- environment the server cannot take over ---------------------------------------------------


def _zone_file() -> Path:
    import zoneinfo

    for directory in zoneinfo.TZPATH:
        found = Path(directory, "Asia", "Tokyo")
        if found.is_file():
            return found
    not_applicable("no system time zone files (Asia/Tokyo) to copy")


@pytest.mark.parametrize(
    "line",
    [
        # A zone found only through PYTHONTZPATH, which zoneinfo read in the server long ago.
        "mkdir -p tz/Mars && cp {zone} tz/Mars/Base\n"
        "PYTHONTZPATH=$PWD/tz TZ=Mars/Base todo add 'on Mars' --due 2030-01-01T09:00 --json",
        # A zone file on the client's own descriptor.
        "TZ=/dev/fd/3 todo add 'by fd' --due 2030-01-01T09:00 --json 3<{zone}",
    ],
    ids=["PYTHONTZPATH", "TZ=/dev/fd/3"],
)
def test_a_time_zone_the_server_cannot_see_is_the_clients(served: ServerHandle, line: str) -> None:
    seen = both_ways(served, line.replace("{zone}", shlex.quote(str(_zone_file()))))
    off, _ = seen["off"]
    assert off.code == 0, off
    # 09:00 in Tokyo.
    assert json.loads(off.stdout)["due"] == "2030-01-01T00:00:00.000000Z"
    on, _ = seen["on"]
    assert on.code == 0, on
    assert json.loads(on.stdout)["due"] == json.loads(off.stdout)["due"]


@pytest.mark.parametrize(
    ("env", "served_there"),
    [
        ({"PSYCOPG_IMPL": "python"}, False),
        ({"PYTHONINTMAXSTRDIGITS": "640"}, False),
        ({"PYTHONHASHSEED": "7"}, False),
        ({"TZ": ":/proc/self/fd/0"}, False),
        # The dynamic loader's, read as the process starts (`faketime todo` sets
        # LD_PRELOAD: served, the child kept the real clock).
        ({"LD_BIND_NOW": "1"}, False),
        # libfaketime's own: a server faked too has its clock running on since it
        # started (a task dated the next day twenty seconds later), or another offset.
        ({"FAKETIME": "@2027-01-01 23:59:45"}, False),
        ({"FAKETIME_NO_CACHE": "1"}, False),
        # What the request carries itself, or any ordinary zone: served.
        ({"PYTHONUNBUFFERED": "1"}, True),
        ({"TZ": "Asia/Tokyo"}, True),
    ],
    ids=lambda value: ",".join(value) if isinstance(value, dict) else str(value),
)
def test_variables_read_at_import_time_run_the_command_in_the_client(
    served: ServerHandle, env: dict[str, str], served_there: bool
) -> None:
    here = run_todo(["list"], served.env | env | {"TODO_SERVER": "off"}, cwd=served.cwd)
    before = served.served()
    assert run_todo(["list"], served.env | env, cwd=served.cwd) == here
    assert served.served() == before + served_there


def test_a_clock_faked_by_libfaketime_is_told_by_its_preload_or_its_variables() -> None:
    from todo_cli.server.client import clock_faked

    library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
    assert clock_faked({"LD_PRELOAD": f"/opt/other.so:{library}"})
    assert clock_faked({"FAKETIME": "+2d"})
    assert not clock_faked({"LD_PRELOAD": "/opt/other.so", "TZ": "Europe/Berlin"})
    assert not clock_faked({})


# --- another place: namespaces, niceness -------------------------------------------------------


def _unshare_works() -> None:
    if shutil.which("unshare") is None:
        not_applicable("no unshare here")
    probe = subprocess.run(["unshare", "-m", "-n", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        not_applicable("unshare -m -n needs root (or user namespaces) here")


def test_a_read_only_mount_holds_for_a_command_in_its_mount_namespace(
    served: ServerHandle,
) -> None:
    # Served, the child wrote through the server's view of the file system.
    _unshare_works()
    added = served.todo("add", "before", TODO_SERVER="off", TODO_DATABASE_URL=shared_url(served))
    assert added.code == 0, added.stderr
    top = shlex.quote(str(served.cwd))
    line = (
        f"unshare -m sh -c 'mount --bind -o ro {top} {top} && exec \"$@\"' sh "
        "{todo} add 'past a read-only mount'"
    )
    seen = both_ways(served, line)
    assert seen["on"] == seen["off"]
    assert seen["off"][0].code != 0, seen["off"]
    assert titles(served) == ["before"]


def test_a_command_in_another_network_namespace_runs_in_the_client(served: ServerHandle) -> None:
    _unshare_works()
    before = served.served()
    result = in_bash("unshare -n {todo} add offline", served.env, cwd=served.cwd)
    assert result.code == 0, result.stderr
    assert served.served() == before
    assert titles(served) == ["offline"]


@contextlib.contextmanager
def _served_under(served: ServerHandle, wrapper: list[str], title: str) -> Iterator[int]:
    """`WRAPPER todo add` run through the server: the pid of the child running it,
    taken while the command waits for its title on stdin; then the title goes in."""
    proc = subprocess.Popen(
        [*wrapper, *todo_executable(), "add"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=served.env, cwd=served.cwd,
    )  # fmt: skip
    try:
        assert served.wait_for(lambda: bool(_status(served)["running"])), served.log()
        (child,) = _status(served)["running"]
        # Taken before the command runs: set for sure once it shows as running.
        yield int(child["pid"])
    finally:
        _, err = proc.communicate(title.encode() + b"\n", timeout=60)
    assert proc.returncode == 0, err
    assert titles(served) == [title]


def test_a_nice_command_runs_as_nicely_in_the_server(served: ServerHandle) -> None:
    niceness = min(os.getpriority(os.PRIO_PROCESS, 0) + 7, 19)
    with _served_under(served, ["nice", "-n", "7"], "nicely") as child:
        assert os.getpriority(os.PRIO_PROCESS, child) == niceness


def test_a_command_pinned_to_a_cpu_runs_on_it_in_the_server(served: ServerHandle) -> None:
    # `taskset -c 0 todo import ...` ran on every CPU in the server's child.
    if len(os.sched_getaffinity(0)) < 2:
        not_applicable("one CPU: no other affinity to tell apart")
    cpu = min(os.sched_getaffinity(0))
    with _served_under(served, ["taskset", "-c", str(cpu)], "pinned") as child:
        assert os.sched_getaffinity(child) == {cpu}


# --- a config file that is no file -------------------------------------------------------------


def test_a_named_pipe_as_config_file_is_not_waited_on(served: ServerHandle) -> None:
    # TODO_SERVER unset: the client reads the config file for the mode; it waited
    # forever for a writer to the pipe. (With none, it is an empty config file.)
    seen = both_ways(served, "mkfifo config.fifo\nTODO_CONFIG=config.fifo todo list", on="")
    assert seen["on"] == seen["off"]
    assert seen["off"][0].code == 0, seen["off"]


def test_the_client_reads_no_device_as_its_config_file() -> None:
    # /dev/zero was read until memory ran out (here: 1 GiB of address space).
    script = (
        "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from todo_cli.server import client\n"
        "for path in ('/dev/zero', '/dev/null', '/'):\n"
        "    try:\n"
        "        client.config_value({'TODO_CONFIG': path}, 'server')\n"
        "    except ValueError:\n"
        "        pass\n"
        "    else:\n"
        "        raise SystemExit(path + ' was read')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
