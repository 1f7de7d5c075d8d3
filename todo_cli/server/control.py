"""Start, stop and ask the command server: what `todo server ...` does."""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from todo_cli.server import client as wire
from todo_cli.server import server

# A server imports everything before it answers: seconds on a cold disk.
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 5.0


class ControlError(Exception):
    """The server cannot be started or reached; the message says why."""


@dataclass(frozen=True)
class Started:
    pid: int
    already_running: bool


@dataclass(frozen=True)
class Stopped:
    pid: int
    still_running: int  # commands the server waits for before it exits


def socket_path(environ: Mapping[str, str]) -> str:
    """The socket path; ControlError when its directory is not private."""
    if sys.platform != "linux":
        raise ControlError("the command server runs on Linux only (it needs SO_PEERCRED)")
    directory = wire.runtime_dir(environ)
    if os.path.lexists(directory) and not wire.is_private_dir(directory):
        raise ControlError(
            f"{directory} is not a private directory of this user (mode 0700, ours, no link); "
            "remove it or fix its owner and mode"
        )
    path = wire.socket_path(environ, check=False)
    assert path is not None
    return path


def status(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The running server's status, None when there is none."""
    found = server.query_status(socket_path(environ))
    if found is not None:
        # Run by the server itself, this very command is not one to list.
        found["running"] = [c for c in found["running"] if c["pid"] != os.getpid()]
    return found


def start(environ: Mapping[str, str], idle_s: float) -> Started:
    """Start a server in the background unless one runs; wait until it listens."""
    path = socket_path(environ)
    running = server.query_status(path)
    if running is not None:
        return Started(pid=int(running["pid"]), already_running=True)
    ready_r, ready_w = os.pipe()
    os.set_inheritable(ready_w, True)
    null = os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, null, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, null, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, null, os.O_WRONLY, 0),
    ]
    argv = [
        sys.executable,
        "-P",
        "-m",
        "todo_cli.server.server",
        "--idle",
        repr(float(idle_s)),  # (not :g, six digits: 2147483 became 2147480)
        "--ready-fd",
        str(ready_w),
    ]
    try:
        os.posix_spawn(
            sys.executable,
            argv,
            wire.server_environment(),
            file_actions=actions,
            setsid=True,
        )
    except OSError as exc:
        raise ControlError(f"cannot start {sys.executable}: {exc.strerror}") from None
    finally:
        os.close(ready_w)
    try:
        answer = _read_line(ready_r, START_TIMEOUT_S)
    finally:
        os.close(ready_r)
    word, _, rest = answer.partition(" ")
    if word in ("ok", "running") and rest.isdigit():
        return Started(pid=int(rest), already_running=word == "running")
    if word == "error":
        raise ControlError(rest)
    log = path.removesuffix(".sock") + ".log"
    raise ControlError(f"the server exited while starting (its log: {log})")


def _read_line(fd: int, timeout: float) -> str:
    data = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").strip()


def stop(environ: Mapping[str, str]) -> Stopped | None:
    """Stop the running server (None when there is none); wait a little for it to go.

    Commands it is running finish first: the server stops listening at once
    and exits after its last child.
    """
    path = socket_path(environ)
    before = server.query_status(path)
    reply = server.request(path, wire.OP_STOP)
    if reply is None:
        return None
    import json

    pid = int(json.loads(reply)["pid"])
    # Run by the server itself (a child of it), this command is one it waits for.
    ours = [c for c in before["running"] if c["pid"] != os.getpid()] if before else []
    if pid == os.getppid():
        return Stopped(pid=pid, still_running=len(ours))
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return Stopped(pid=pid, still_running=len(ours) if _alive(pid) else 0)


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie, exited but not yet collected, does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return False
