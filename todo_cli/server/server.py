"""The command server: a warm process that forks one child per `todo` command.

Started by `todo server start`, or with ``server = "auto"`` by the first
`todo` that finds none (todo_cli/server/client.py). It imports once what the
commands import, then keeps a child forked ahead (a spare) that accepts the
next connection itself, checks that the peer runs as this user
(SO_PEERCRED), and serves it; the server forks the next spare when no command
runs (with none waiting, it accepts and forks for each connection itself).

A child becomes what a fresh `todo` process would have been: it takes the
client's stdin, stdout, stderr and working directory (passed as descriptors),
its environment, umask, argv and ignored signals, and runs the command; its
exit code goes back to the client.

The server itself never reads a config, never connects to a database and
never opens a transaction: every child builds its own settings, engine and
connection, so nothing is inherited across fork but imported code. Besides
forking, the server watches its children: a child whose client went away
(killed, say) is killed too, and a child that died of a signal is reported
to its client so that the client can die of it in turn.

Run as ``python -P -m todo_cli.server.server [--idle SECONDS] [--ready-fd N]``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from todo_cli.server import client as wire
from todo_cli.server.child import child_main, spare_main
from todo_cli.server.state import (
    NOTE_COMMAND,
    NOTE_DONE,
    NOTE_STALE,
    NOTE_STOP,
    Child,
    Server,
    Spare,
    log,
    log_to,
    peer_is_us,
)
from todo_cli.server.warm import (
    build_command,
    dependency_versions,
    take_snapshot,
    warm_up,
    watch_code,
)

if TYPE_CHECKING:
    from types import FrameType

# Thirty minutes unused and it goes: its memory is worth more than a warm start
# an hour later.
DEFAULT_IDLE_S = 30 * 60.0
# The longest idle time: the server's waits are in milliseconds of a C int (past
# it the server failed just after `start` said it had started). 24 days; 0 is never.
IDLE_MAX_S = (2**31 - 1) // 1000


def check_idle(seconds: float, source: str) -> float:
    """``seconds`` as an idle time, or ValueError naming ``source`` and the bounds."""
    if not 0 <= seconds <= IDLE_MAX_S:  # (NaN is neither)
        raise ValueError(
            f"{source} must be 0 to {IDLE_MAX_S:,} seconds (24 days; 0 is never): {seconds:,.10g}"
        )
    return seconds


# How long a new server waits for the old one to release the socket path.
LOCK_WAIT_S = 10.0


def _config_file_readable() -> bool:
    """Whether todo takes the config file (the client's own reading of it is a
    lean one, for the mode alone): `server = "auto"` beside a key todo refuses
    (or `server = "AUTO"`) started a server for 30 minutes from a command that
    failed, exit 3, and from each one after it."""
    from todo_cli.errors import TodoError
    from todo_cli.settings import config_path, read_config_file

    try:
        read_config_file(config_path(os.environ))
    except TodoError:
        return False
    return True


class StartError(Exception):
    """The server cannot start (an unsafe directory, a path too long...)."""


# --- start ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    idle, ready_fd = _parse_arguments(sys.argv[1:] if argv is None else argv)
    # Whatever the starter left open (a pipe of its caller, say) would be held
    # for the server's lifetime and keep a reader waiting for end-of-file.
    if ready_fd > 3:
        os.closerange(3, ready_fd)
    os.closerange(max(3, ready_fd + 1), 1 << 16)
    if ready_fd < 0 and not _config_file_readable():
        return  # started by `auto` from a config file the command refuses
    try:
        # Only `todo server start` (which waits on ready_fd) needs the pid of
        # a server that won the race; a server started by `auto` just goes.
        server = prepare(os.environ, idle, wait=ready_fd >= 0)
    except StartError as exc:
        _tell_starter(ready_fd, f"error {exc}")
        raise SystemExit(1) from None
    if isinstance(server, int):
        _tell_starter(ready_fd, f"running {server}")
        return
    log(f"starting: pid {os.getpid()}, todo {server.snapshot.version}, idle {server.idle_s:g}s")
    failed = warm_up()
    if failed:
        log("not preloaded (imported by the commands that need them): " + ", ".join(failed))
    try:
        if not build_command():
            log("todo_cli.cli.command is missing: each command builds the CLI itself")
    except Exception as exc:
        log(f"cannot build the CLI ahead: {type(exc).__name__}: {exc}")
    import threading

    if threading.active_count() > 1:
        # fork() copies one thread; a lock another thread held would stay held.
        _tell_starter(ready_fd, "error an import started a thread; cannot fork safely")
        log("error: threads after warm-up: " + ", ".join(t.name for t in threading.enumerate()))
        raise SystemExit(1)
    server.dependencies = dependency_versions()
    if not watch_code(server.snapshot):
        log("not watching the code: each command compares its files' times")
    # Frozen objects are left alone by the collector, so children do not copy
    # the pages a collection would have touched.
    gc.collect()
    gc.freeze()
    try:
        listen(server)
    except OSError as exc:
        _tell_starter(ready_fd, f"error cannot listen on {server.path}: {exc.strerror}")
        raise SystemExit(1) from None
    _tell_starter(ready_fd, f"ok {os.getpid()}")
    try:
        serve(server)
    except BaseException:
        # A bug: say so where someone may look. The socket left behind
        # refuses connections, which clients take for "no server".
        import traceback

        log("stopped by an error:\n" + traceback.format_exc())
        raise


def _parse_arguments(argv: Sequence[str]) -> tuple[float | None, int]:
    idle: float | None = None
    ready_fd = -1
    args = list(argv)
    while args:
        option = args.pop(0)
        value = args.pop(0) if args else ""
        if option == "--idle":
            idle = float(value)
        elif option == "--ready-fd":
            ready_fd = int(value)
        else:
            raise SystemExit("usage: python -m todo_cli.server.server [--idle S] [--ready-fd N]")
    return idle, ready_fd


def _tell_starter(ready_fd: int, line: str) -> None:
    """One line for `todo server start`, which waits on this pipe: ok, running or error."""
    if ready_fd < 0:
        if line.startswith("error"):
            log(line)
        return
    with contextlib.suppress(OSError):
        os.write(ready_fd, line.encode("utf-8", "replace") + b"\n")
        os.close(ready_fd)


def resolve_idle(environ: Mapping[str, str]) -> float:
    """Idle seconds: ``TODO_SERVER_IDLE``, else ``server_idle_timeout`` in the config.

    Raises ValueError for a value that is not a number of seconds >= 0.
    """
    raw = environ.get(wire.IDLE_VARIABLE, "").strip()
    source = wire.IDLE_VARIABLE
    if not raw:
        try:
            raw = (wire.config_value(environ, "server_idle_timeout") or "").strip()
        except ValueError:
            # Not a regular file (a named pipe, a device): left alone, as a file
            # that is no TOML is; the commands' settings say what is wrong with it.
            raw = ""
        source = "server_idle_timeout in the config file"
    if not raw:
        return DEFAULT_IDLE_S
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"{source} is not a number of seconds: {raw!r}") from None
    return check_idle(seconds, source)


def ensure_runtime_dir(environ: Mapping[str, str]) -> str:
    directory = wire.runtime_dir(environ)
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, 0o700)
    if not wire.is_private_dir(directory):
        raise StartError(
            f"{directory} is not a private directory of this user (mode 0700, ours, no link); "
            "remove it or fix its owner and mode"
        )
    return directory


def prepare(environ: Mapping[str, str], idle: float | None, *, wait: bool) -> Server | int:
    """Claim the socket path: a Server, or the pid of the server that already has it."""
    try:
        directory = ensure_runtime_dir(environ)
    except OSError as exc:
        raise StartError(f"cannot make {wire.runtime_dir(environ)}: {exc.strerror}") from None
    key = wire.installation_key()
    path = f"{directory}/server-{key}.sock"
    if len(os.fsencode(path)) >= 108:
        raise StartError(f"socket path too long for the system: {path}")
    lock_fd = _lock(f"{directory}/server-{key}.lock", path, wait=wait)
    if lock_fd is None:
        # Another server has the path (or is starting): `auto` started two at once.
        # (Taken for a lock, 0 let this one unlink the other's socket and listen
        # in its place, the other left running where nobody could reach it.)
        return 0
    if lock_fd < 0:
        return -lock_fd
    # The log's time also tells `auto` clients that a server is starting.
    _open_log(f"{directory}/server-{key}.log")
    if idle is None:
        try:
            idle = resolve_idle(environ)
        except ValueError as exc:
            log(f"{exc}; using {DEFAULT_IDLE_S:g}")
            idle = DEFAULT_IDLE_S
    os.chdir("/")  # no directory of anyone's kept busy
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    return Server(
        path=path,
        log_path=f"{directory}/server-{key}.log",
        pages_path=_fresh(directory, f"server-{key}.pages"),
        lock_fd=lock_fd,
        idle_s=idle,
        snapshot=take_snapshot(),
    )


def _fresh(directory: str, name: str) -> str:
    """A path with nothing left at it (or next to it) by an earlier server."""
    for entry in os.listdir(directory):
        if entry == name or entry.startswith(name + "."):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{directory}/{entry}")
    return f"{directory}/{name}"


LOG_MAX = 1024 * 1024


def _open_log(path: str) -> None:
    """Standard error becomes a log next to the socket, for what nobody sees.

    Appending: a server being replaced may still write its last lines, and the
    replaced one's are kept to be read (it was emptied at each start). Emptied
    once it holds more than LOG_MAX bytes, so that it stays small.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
        if os.fstat(fd).st_size > LOG_MAX:
            os.ftruncate(fd, 0)
    except OSError:
        return
    os.dup2(fd, 2)
    log_to(fd)  # kept: the children's descriptor 2 is their client's stderr


def _lock(lock_path: str, socket_path: str, *, wait: bool) -> int | None:
    """The lock fd, or minus the pid of a live server that holds the path; None
    when another holds it and `wait` is not asked (a server started by `auto`).

    The lock says who owns the socket path: whoever holds it may remove a
    socket left behind by a server that died. An old server releases it when
    it stops listening, so a replacement waits a little for it.
    """
    import fcntl

    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(lock_path, flags, 0o600)
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if not wait:
                os.close(fd)
                return None
        status = query_status(socket_path)
        if status is not None:
            os.close(fd)
            return -int(status["pid"])
        if time.monotonic() > deadline:
            os.close(fd)
            raise StartError("another server holds the socket path but does not answer")
        time.sleep(0.05)


def query_status(path: str) -> dict[str, Any] | None:
    """A running server's status, None when nothing answers at ``path``."""
    reply = request(path, wire.OP_STATUS)
    return None if reply is None else dict(json.loads(reply))


def request(path: str, op: int, timeout: float = wire.HANDSHAKE_TIMEOUT_S) -> bytes | None:
    """Send a status or stop request; the reply's bytes, None when nothing answers."""
    sock = wire.connect(path)
    if sock is None:
        return None
    try:
        sock.settimeout(timeout)
        sock.sendall(wire.request_header(op, 0))
        head = wire.receive_exactly(sock, wire.MESSAGE_SIZE)
        if len(head) < wire.MESSAGE_SIZE or head[:1] != wire.REPLY:
            return None
        size = int.from_bytes(head[1:], "little", signed=True)
        data = wire.receive_exactly(sock, size)
        return data if len(data) == size else None
    except OSError:
        return None
    finally:
        sock.close()


def listen(server: Server) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(server.path)  # left by a server that died: we hold the lock
    previous = os.umask(0o177)
    try:
        listener.bind(server.path)
    finally:
        os.umask(previous)
    os.chmod(server.path, 0o600)
    listener.listen(128)
    listener.setblocking(False)
    server.listener = listener
    server.socket_ino = os.stat(server.path).st_ino


# --- the loop -------------------------------------------------------------------------


def _wake(signum: int, frame: FrameType | None) -> None:
    """Signals only wake the loop (through the wakeup fd); the loop does the work."""


def serve(server: Server) -> None:
    server.pid = os.getpid()
    server.wake_r, server.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    # A socket pair rather than a pipe: a child keeps the writing end while its
    # command runs, and a pipe's could be opened again as /dev/fd/N and written
    # to (notes nobody sent, the server stopped); no path opens a socket. A note
    # (5 bytes, one write) arrives whole, as it did in a pipe.
    reader, writer = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    server.notify_r, server.notify_w = reader.detach(), writer.detach()
    os.set_blocking(server.notify_r, False)
    signal.set_wakeup_fd(server.wake_w, warn_on_full_buffer=False)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
        signal.signal(signum, _wake)
    Loop(server).run()
    log(f"stopped ({server.stopping}) after {server.served} commands")


class Loop:
    """What the server watches, and what each event means.

    The listening socket is watched only while there is no spare (a spare
    accepts connections itself). Children's notes are not watched at all: a
    note never wakes the server (on a small machine that would take the
    processor from a command or its client); they are read whenever the loop
    wakes for something else, and what is urgent (stop, stale) comes with a
    signal.
    """

    def __init__(self, server: Server) -> None:
        assert server.listener is not None
        self.server = server
        self.listener_fd = server.listener.fileno()
        self.poller = select.poll()
        self.poller.register(server.wake_r, select.POLLIN)
        self.listening = False
        self.conns: dict[int, int] = {}  # a client connection's fd -> its child's pid
        self.controls: dict[int, int] = {}  # a control line's fd -> its (spare) child's pid

    def run(self) -> None:
        server = self.server
        self.keep_a_spare()
        while not (server.stopping and not server.children):
            ready = dict(self.poller.poll(_poll_timeout_ms(server)))
            # Notes first: a child notes that its command ended before its
            # client can go, so a client gone with its command ended is known
            # as such. Then what may close fds, accepting last: an fd closed
            # on the way may be reused by a new connection, and no event read
            # before that must then be taken for the new one's.
            read_notes(server)
            for fd in [fd for fd in ready if fd in self.conns]:
                self.poller.unregister(fd)
                client_gone(server, self.conns.pop(fd))
            for fd in [fd for fd in ready if fd in self.controls]:
                self.control_message(fd)
            if server.wake_r in ready:
                self.signals()
            if self.listening and self.listener_fd in ready and not server.stopping:
                for child in accept(server):
                    self.watch_child(child)
            if server.listener is not None and not server.stopping and _idle_for_good(server):
                server.stopping = "idle"
            if server.listener is not None and not server.stopping and _socket_gone(server):
                server.stopping = "its socket is gone"
            if server.stopping and server.listener is not None:
                self.listen(on=False)
                self.drop_spare()
                stop_listening(server)
            self.keep_a_spare()

    def listen(self, *, on: bool) -> None:
        on = on and self.server.listener is not None and not self.server.stopping
        if on != self.listening:
            if on:
                self.poller.register(self.listener_fd, select.POLLIN)
            else:
                self.poller.unregister(self.listener_fd)
            self.listening = on

    def keep_a_spare(self) -> None:
        server = self.server
        if server.spare is not None or server.listener is None or server.stopping:
            return
        if not _quiet(server):
            self.listen(on=True)  # meanwhile, connections get a child of their own
            return
        try:
            spare = fork_spare(server)
        except OSError as exc:
            log(f"cannot fork a spare: {exc}")
            self.listen(on=True)
            return
        self.listen(on=False)
        self.controls[spare.control.fileno()] = spare.pid
        self.poller.register(spare.control.fileno(), select.POLLIN)

    def drop_spare(self) -> None:
        """Let the spare go (it reads end-of-file, and exits unless it serves by then)."""
        spare, self.server.spare = self.server.spare, None
        if spare is not None:
            self.drop_control(spare.control)
        self.listen(on=True)

    def drop_control(self, control: socket.socket) -> None:
        fd = control.fileno()
        if self.controls.pop(fd, None) is not None:
            self.poller.unregister(fd)
        control.close()

    def watch_child(self, child: Child) -> None:
        self.conns[child.conn.fileno()] = child.pid
        self.poller.register(child.conn.fileno(), select.POLLRDHUP)

    def control_message(self, fd: int) -> None:
        server = self.server
        pid = self.controls[fd]
        spare = server.spare
        if spare is not None and spare.pid == pid:
            self.spare_took_one(spare)
            return
        child = server.children.get(pid)
        if child is None or child.control is None or child.control.fileno() != fd:
            return
        try:
            asked = child.control.recv(1, socket.MSG_DONTWAIT)
        except OSError:
            asked = b""
        if asked == b"?":
            data = json.dumps(handed_state(server)).encode()
            with contextlib.suppress(OSError):
                child.control.sendall(len(data).to_bytes(4, "little") + data, socket.MSG_NOSIGNAL)
        elif not asked:
            self.drop_control(child.control)
            child.control = None

    def spare_took_one(self, spare: Spare) -> None:
        """The spare accepted a connection (and sent a copy), or is gone."""
        server = self.server
        try:
            # One byte: a status request ("?") may follow at once, for later.
            message, fds, _, _ = socket.recv_fds(spare.control, 1, 1)
        except OSError:
            message, fds = b"", []
        server.spare = None
        if message == b"a" and fds:
            conn = socket.socket(fileno=fds[0])
            child = Child(pid=spare.pid, conn=conn, started=time.monotonic(), control=spare.control)
            for flag in server.early_notes.pop(spare.pid, ()):
                setattr(child, flag, True)
            server.children[spare.pid] = child
            self.watch_child(child)
        else:
            for extra in fds:
                os.close(extra)
            self.drop_control(spare.control)
        self.listen(on=True)

    def signals(self) -> None:
        server = self.server
        for number in _drain(server.wake_r):
            if number == signal.SIGCHLD:
                for child in reap(server):
                    fd = child.conn.fileno()
                    if self.conns.pop(fd, None) is not None:
                        self.poller.unregister(fd)
                    child.conn.close()
                    if child.control is not None:
                        self.drop_control(child.control)
            elif number == signal.SIGUSR1:
                read_notes(server)  # a child found the code stale, or was asked to stop
            elif not server.stopping:
                server.stopping = signal.Signals(number).name


# A spare is forked when no command runs, so that the fork (milliseconds of
# copying page tables) never competes for the processor with a command whose
# client waits; or once the commands running are this old (at a prompt, say).
SPARE_AFTER_S = 0.25


def _quiet(server: Server) -> bool:
    now = time.monotonic()
    return all(now - child.started >= SPARE_AFTER_S for child in server.children.values())


# How often the server looks whether its socket is still there, when nothing
# else wakes it: one removed (`rm` of the runtime directory's files) left a
# server nobody could reach, stop or replace until its idle exit (never, with
# --idle 0).
SOCKET_CHECK_S = 10.0


def _poll_timeout_ms(server: Server) -> int:
    if server.spare is None and server.children and not server.stopping:
        return int(SPARE_AFTER_S * 1000)  # time to fork the spare
    check = int(SOCKET_CHECK_S * 1000)
    if server.stopping:
        return -1  # a child's end (SIGCHLD) or its client's wakes the loop
    if server.children or server.idle_s <= 0:
        return check
    left = server.idle_s - (time.monotonic() - server.last_active)
    return min(max(0, int(left * 1000) + 1), check)


def _socket_gone(server: Server) -> bool:
    """Whether the socket path no longer leads to this server's socket."""
    try:
        return os.stat(server.path).st_ino != server.socket_ino
    except FileNotFoundError:
        return True
    except OSError:
        return False  # unknown (a directory made unreadable): go on serving


def _idle_for_good(server: Server) -> bool:
    return (
        not server.children
        and server.idle_s > 0
        and time.monotonic() - server.last_active >= server.idle_s
    )


def _drain(fd: int) -> bytes:
    data = b""
    with contextlib.suppress(BlockingIOError):
        # Notes: a multiple of 5, each note one write of 5 bytes, queued whole.
        while chunk := os.read(fd, 4095):
            data += chunk
    return data


def read_notes(server: Server) -> None:
    """Children's notes: a command started, the code is stale, stop."""
    data = _drain(server.notify_r)
    for offset in range(0, len(data) - len(data) % 5, 5):
        kind = data[offset : offset + 1]
        pid = int.from_bytes(data[offset + 1 : offset + 5], "little")
        if kind == NOTE_COMMAND:
            server.served += 1
            _mark(server, pid, "command")
        elif kind == NOTE_DONE:
            _mark(server, pid, "done")
        elif kind == NOTE_STALE and not server.stopping:
            server.stopping = "stale"
        elif kind == NOTE_STOP and not server.stopping:
            server.stopping = "stop"


def _mark(server: Server, pid: int, flag: str) -> None:
    child = server.children.get(pid)
    if child is not None:
        setattr(child, flag, True)
    else:
        # A spare's note can come before the server has read its "took one"
        # message: kept until it has.
        server.early_notes.setdefault(pid, set()).add(flag)


def stop_listening(server: Server) -> None:
    """No new commands; the socket path is free for a successor at once."""
    assert server.listener is not None
    with contextlib.suppress(OSError):
        if os.stat(server.path).st_ino == server.socket_ino:
            os.unlink(server.path)
    server.listener.close()
    server.listener = None
    os.close(server.lock_fd)
    if server.stopping == "stale":
        spawn_replacement(server.idle_s)


def spawn_replacement(idle_s: float) -> None:
    """The code changed under a running server: a new one takes over, with new code."""
    null = os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, null, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, null, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, null, os.O_WRONLY, 0),
    ]
    argv = [sys.executable, "-P", "-m", "todo_cli.server.server", "--idle", repr(float(idle_s))]
    try:
        os.posix_spawn(sys.executable, argv, os.environ, file_actions=actions, setsid=True)
    except OSError as exc:
        log(f"cannot start a replacement: {exc}")


def accept(server: Server) -> list[Child]:
    """Connections taken by the server itself (no spare was waiting): a fork each."""
    assert server.listener is not None
    accepted = []
    while True:
        try:
            conn, _ = server.listener.accept()
        except BlockingIOError:
            break
        except OSError as exc:
            log(f"accept failed: {exc}")
            break
        if not peer_is_us(conn):
            continue
        read_notes(server)  # so that a status request counts every command so far
        try:
            pid = fork_child(server, conn, handed_state(server))
        except OSError as exc:
            # No process for it: closed unanswered, the client runs it itself.
            log(f"cannot fork: {exc}")
            conn.close()
            continue
        child = Child(pid=pid, conn=conn, started=time.monotonic())
        server.children[pid] = child
        accepted.append(child)
    return accepted


def handed_state(server: Server) -> dict[str, Any]:
    """What a child needs of the server as it is now (for `todo server status`)."""
    return {
        "served": server.served,
        "last_active": server.last_active,
        "running": [(c.pid, c.started) for c in server.children.values() if c.command],
    }


def fork_child(server: Server, conn: socket.socket, state: dict[str, Any]) -> int:
    """A child for this connection (OSError when the system has no process to spare)."""
    pid = os.fork()
    if pid == 0:
        os._exit(child_main(server, conn, state))
    _own_group(pid)
    return pid


def fork_spare(server: Server) -> Spare:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        pid = os.fork()
    except OSError:
        ours.close()
        theirs.close()
        raise
    if pid == 0:
        ours.close()
        os._exit(spare_main(server, theirs))
    theirs.close()
    _own_group(pid)
    server.spare = Spare(pid=pid, control=ours)
    return server.spare


def _own_group(pid: int) -> None:
    # Also done by the child itself: whichever runs first, the group exists
    # before the client (or client_gone) signals it.
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)


def client_gone(server: Server, pid: int) -> None:
    child = server.children.get(pid)
    if child is None or child.killed or child.done:
        return
    child.killed = True
    # A zombie (done, not yet reaped) ignores it; its pid cannot be reused yet.
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def reap(server: Server) -> list[Child]:
    """Collect finished children, tell each client how its command ended."""
    read_notes(server)  # which of them ran a command: only that is use (see below)
    gone = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        if server.spare is not None and pid == server.spare.pid:
            # Died waiting (its control line reads end-of-file: handled there).
            continue
        child = server.children.pop(pid, None)
        server.early_notes.pop(pid, None)
        if child is None:
            continue  # a spare we let go, or a replacement server we started
        if os.WIFSIGNALED(status):
            message = wire.SIGNALED + os.WTERMSIG(status).to_bytes(4, "little", signed=True)
        else:
            # The child sent it already, unless it died mid-way; a second copy is ignored.
            message = wire.EXIT + os.waitstatus_to_exitcode(status).to_bytes(
                4, "little", signed=True
            )
        with contextlib.suppress(OSError):
            child.conn.send(message, socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
        gone.append(child)
        if child.command:
            # Use is a command run: a status request (a health check polling it)
            # neither keeps the server from its idle exit nor counts.
            server.last_active = time.monotonic()
    return gone


if __name__ == "__main__":
    main()
