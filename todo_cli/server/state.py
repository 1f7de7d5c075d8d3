"""What the command server and its children share: their records, notes and log."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

# Child exit status: the request was stopped before any command ran.
NOTHING_RAN = 0


# Children's notes to the server.
NOTE_COMMAND = b"c"
NOTE_STALE = b"s"
NOTE_STOP = b"q"
NOTE_DONE = b"d"  # the command has ended: what the child does now is for later


@dataclass
class Snapshot:
    """What a request is checked against: the code on disk when the server started."""

    version: str
    fingerprint: tuple[tuple[str, int, int], ...]
    interpreter: str
    encoding: str
    package_dir: str
    path_dirs: tuple[str, ...]
    # An inotify descriptor on the directories the fingerprint covers, readable
    # once anything changed in them (-1: none; every request compares).
    watch_fd: int = -1
    # The server's variables read as code is imported (import_time_variables):
    # a client whose own differ is refused.
    environment: frozenset[bytes] = frozenset()
    # Where the server runs (place_of: its namespaces and root), compared with
    # each client's.
    place: tuple[str, ...] = ()


# Variables that Python or a library reads once, as it starts or is imported
# (PYTHONTZPATH by zoneinfo, PYTHONHASHSEED, PYTHONINTMAXSTRDIGITS, PSYCOPG_IMPL by
# psycopg...): in the server's child they are long read, with the server's values.
# So are the dynamic loader's (LD_PRELOAD: `faketime todo ...` loads a library that
# sets the clock back; the child, forked from a server without it, kept the real
# clock) and glibc's tunables.
IMPORT_TIME_PREFIXES = (b"PYTHON", b"PSYCOPG_IMPL=", b"LD_", b"GLIBC_TUNABLES=")
# Those whose effect the request carries itself (the standard streams' encoding and
# buffering, the interpreter signature's flags, warning options and module path).
CARRIED = (
    b"PYTHONUNBUFFERED=",
    b"PYTHONIOENCODING=",
    b"PYTHONPATH=",
    b"PYTHONSAFEPATH=",
    b"PYTHONWARNINGS=",
    b"PYTHONUTF8=",
    b"PYTHONOPTIMIZE=",
    b"PYTHONDEVMODE=",
)


def import_time_variables(items: Iterable[bytes]) -> frozenset[bytes]:
    """The ``NAME=value`` items among ``items`` that code reads as it is imported."""
    return frozenset(
        item
        for item in items
        if item.startswith(IMPORT_TIME_PREFIXES) and not item.startswith(CARRIED)
    )


# What places a process in the system: its file systems (mount namespace), network,
# user namespace and root directory (chroot).
PLACE = ("ns/mnt", "ns/net", "ns/user", "root")


def place_of(pid: int | str) -> tuple[str, ...]:
    """Where process ``pid`` ("self": this one) runs; () when that cannot be read."""
    try:
        return tuple(os.readlink(f"/proc/{pid}/{name}") for name in PLACE)
    except OSError:
        return ()


@dataclass
class Child:
    pid: int
    conn: socket.socket  # the server's copy of the client's connection
    started: float
    control: socket.socket | None = None  # a former spare's line to the server
    killed: bool = False
    command: bool = False  # it runs a command (not a status or stop request)
    done: bool = False  # its command has ended


@dataclass
class Spare:
    """A child forked ahead of the next connection, which it accepts itself.

    Forking a server this size takes milliseconds (its page tables are
    copied): done ahead, between commands, no client waits for it; and with
    the spare accepting, the server is not on the way of a command at all.
    It tells the server on ``control`` that it took a connection (and passes
    the server a copy of it, to watch), and may later ask it for its state.
    """

    pid: int
    control: socket.socket


@dataclass
class Server:
    """The listening socket and what the children need to know of the server."""

    path: str
    log_path: str
    pages_path: str
    lock_fd: int
    idle_s: float
    snapshot: Snapshot
    listener: socket.socket | None = None
    started: float = field(default_factory=time.time)
    last_active: float = field(default_factory=time.monotonic)
    served: int = 0
    children: dict[int, Child] = field(default_factory=dict)
    spare: Spare | None = None
    # In a child: the commands running when it took its connection.
    running: list[tuple[int, float]] = field(default_factory=list)
    # In a child that was a spare: its own pid (its memory is what a spare holds)
    # and its line to the server.
    spare_pid: int = 0
    control: socket.socket | None = None
    dependencies: dict[str, str] = field(default_factory=dict)
    early_notes: dict[int, set[str]] = field(default_factory=dict)  # see server._mark
    stopping: str = ""
    notify_r: int = -1
    notify_w: int = -1
    wake_r: int = -1
    wake_w: int = -1
    socket_ino: int = 0
    # The serving process (set as it starts to serve): the children's parent.
    pid: int = 0


# Where log() writes: standard error until the server opens its log, then a
# descriptor of the log's own. A child's descriptor 2 becomes the client's
# stderr when it takes a command: a line logged after that must not land on
# the user's screen.
_log_fd = [2]
# In a child, the log's path instead (see log_by_path).
_log_path = [""]


def log_to(fd: int) -> None:
    _log_fd[0] = fd


def log_by_path(path: str) -> None:
    """Log by opening ``path`` for each line, and close the descriptor held so far.

    For a child before it takes a command: a descriptor of the log left open
    is one the command could open again as ``/dev/fd/N`` (a link to one, say)
    and overwrite. Descriptor 2 is left alone (the client's stderr will take
    its place), and the log is never created here: a server that could not
    open one logs nowhere.
    """
    if _log_fd[0] > 2:
        with contextlib.suppress(OSError):
            os.close(_log_fd[0])
    _log_fd[0] = -1
    _log_path[0] = path


def log(message: str) -> None:
    """A line in the server's log (see log_to and log_by_path)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    line = f"{stamp} [{os.getpid()}] {message}\n".encode("utf-8", "replace")
    with contextlib.suppress(OSError):
        if _log_fd[0] >= 0:
            os.write(_log_fd[0], line)
        elif _log_path[0]:
            flags = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(_log_path[0], flags)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def note(server: Server, kind: bytes, *, urgent: bool = False) -> None:
    """Tell the server something (a child's note: kind and pid, one atomic write).

    The server reads notes when it wakes for another reason; an urgent one
    wakes it (SIGUSR1). A server that is gone (killed) hears nothing: a note is
    no part of the command, whose outcome the client must still get; and the
    signal goes to the server only, never to whoever adopted its orphans.
    """
    with contextlib.suppress(OSError):
        os.write(server.notify_w, kind + os.getpid().to_bytes(4, "little"))
    if urgent and server.pid and os.getppid() == server.pid:
        with contextlib.suppress(OSError):
            os.kill(server.pid, signal.SIGUSR1)


def peer_is_us(conn: socket.socket) -> bool:
    """Whether the other end runs as this user (SO_PEERCRED); closes it if not."""
    conn.setblocking(True)
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    peer_pid, peer_uid = (int.from_bytes(creds[i : i + 4], sys.byteorder) for i in (0, 4))
    if peer_uid == os.getuid():
        return True
    log(f"refused a connection from uid {peer_uid} (pid {peer_pid})")
    conn.close()
    return False
