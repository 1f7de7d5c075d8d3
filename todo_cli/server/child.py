"""A child of the command server: one connection, served as a fresh `todo` would."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import select
import signal
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any

from todo_cli.__main__ import _interrupted_while_loading
from todo_cli.ending import exit_code, flush_standard_streams
from todo_cli.server import client as wire
from todo_cli.server import pages
from todo_cli.server.state import (
    NOTE_COMMAND,
    NOTE_DONE,
    NOTE_STALE,
    NOTE_STOP,
    NOTHING_RAN,
    Server,
    Snapshot,
    import_time_variables,
    log,
    log_by_path,
    note,
    peer_is_us,
    place_of,
)
from todo_cli.server.warm import code_unchanged, fingerprint


@dataclass
class Request:
    """A run request as the client sent it (client.run_request)."""

    version: str
    encoding: str
    interpreter: str
    streams: list[tuple[str, str, bool]]
    umask: int
    ignored: list[int]
    argv0: str
    # RLIMIT_FSIZE (soft, hard): a write past it fails here as in the client's process.
    file_size: tuple[int, int] | None
    argv: list[str]
    environ: list[bytes]
    peer: int = 0  # the client's pid (0: not known)


def child_main(server: Server, conn: socket.socket, state: dict[str, Any]) -> int:
    """A child forked for a connection: serve it; the status to exit with."""
    try:
        become_child(server, state)
        return serve_connection(server, conn)
    except BaseException as exc:  # a child must never return into the server loop
        log(f"child failed: {type(exc).__name__}: {exc}")
        return 70


def spare_main(server: Server, control: socket.socket) -> int:
    """A spare: copy pages ahead, accept the next connection, serve it."""
    try:
        become_child(server, None, keep_listener=True)
        server.spare_pid = os.getpid()
        server.control = control
        assert server.listener is not None
        with contextlib.suppress(Exception):
            pages.copy_ahead(server.pages_path, (server.listener.fileno(), control.fileno()))
        conn = take_connection(server.listener, control)
        server.listener.close()
        if conn is None:
            return NOTHING_RAN  # the server let it go
        # The server watches a copy: it kills the command if the client is
        # killed, and reports a death by signal. Not knowing is no reason to
        # keep a client waiting.
        with contextlib.suppress(OSError):
            socket.send_fds(control, [b"a"], [conn.fileno()])
        return serve_connection(server, conn)
    except BaseException as exc:
        log(f"child failed: {type(exc).__name__}: {exc}")
        return 70


def take_connection(listener: socket.socket, control: socket.socket) -> socket.socket | None:
    """The next connection from this user; None when the server lets the spare go."""
    waiting = select.poll()
    waiting.register(listener.fileno(), select.POLLIN)
    waiting.register(control.fileno(), select.POLLIN)
    while True:
        ready = dict(waiting.poll())
        if control.fileno() in ready:
            return None  # end-of-file: stopped, or gone
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            continue
        if peer_is_us(conn):
            return conn


def become_child(
    server: Server, state: dict[str, Any] | None, *, keep_listener: bool = False
) -> None:
    """Drop the server's descriptors and handlers; be a fresh process's equal."""
    os.setpgid(0, 0)
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    assert server.listener is not None
    if not keep_listener:
        server.listener.close()
    for fd in (server.wake_r, server.wake_w, server.notify_r):
        os.close(fd)
    for other in server.children.values():
        other.conn.close()
        if other.control is not None:
            other.control.close()
    if server.spare is not None:
        server.spare.control.close()
    os.close(server.lock_fd)
    if state is not None:
        _take_state(server, state)
    # As todo_cli.__main__ does for a one-shot process.
    gc.disable()


def ask_for_state(server: Server) -> None:
    """A former spare's view of the server is as old as the spare: ask for today's."""
    if server.control is None:
        return  # forked for this connection: the state came with the fork
    try:
        server.control.settimeout(wire.HANDSHAKE_TIMEOUT_S)
        server.control.sendall(b"?")
        size = int.from_bytes(wire.receive_exactly(server.control, 4), "little")
        _take_state(server, json.loads(wire.receive_exactly(server.control, size)))
    except (OSError, ValueError) as exc:
        log(f"status without the server's state: {exc}")


def _take_state(server: Server, state: dict[str, Any]) -> None:
    server.served = int(state["served"])
    server.last_active = float(state["last_active"])
    server.running = [(int(pid), float(started)) for pid, started in state["running"]]
    server.children = {}


def serve_connection(server: Server, conn: socket.socket) -> int:
    header, fds, truncated = receive_header(conn)
    try:
        if len(header) < wire.HEADER_SIZE or header[:4] != wire.MAGIC:
            return NOTHING_RAN
        if header[4] != wire.PROTOCOL:
            _reply(conn, wire.REFUSED, wire.REFUSED_PROTOCOL)
            return NOTHING_RAN
        op = header[5]
        body = wire.receive_exactly(conn, int.from_bytes(header[8:12], "little"))
        if op == wire.OP_STATUS:
            ask_for_state(server)
            _send_reply(conn, json.dumps(status(server)).encode())
            return NOTHING_RAN
        if op == wire.OP_STOP:
            note(server, NOTE_STOP, urgent=True)
            _send_reply(conn, json.dumps({"pid": os.getppid()}).encode())
            return NOTHING_RAN
        if op != wire.OP_RUN or len(fds) != 4 or truncated:
            _reply(conn, wire.REFUSED, wire.REFUSED_SETUP)
            return NOTHING_RAN
        request = parse_request(body)
        request.peer = peer_pid(conn)
        reason = refusal(server.snapshot, request)
        if reason:
            if reason in (wire.REFUSED_VERSION, wire.REFUSED_STALE):
                note(server, NOTE_STALE, urgent=True)
            _reply(conn, wire.REFUSED, reason)
            return NOTHING_RAN
        let_go_of_server_files(server)
        try:
            adopt(request, fds)
        except OSError as exc:
            log(f"cannot take over the client's process state: {exc}")
            _reply(conn, wire.REFUSED, wire.REFUSED_SETUP)
            return NOTHING_RAN
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
    # From READY on the client forwards its signals here. A Ctrl-C before the
    # command runs ends it as a Ctrl-C while `todo` loads does without the server.
    signal.signal(signal.SIGINT, _interrupted_before_the_command)
    # Announce, then look for a CANCEL: a client that gave up waiting runs the
    # command itself, and must have sent it before it could see this READY
    # (the never-twice argument is in client._handoff).
    _reply(conn, wire.READY, os.getpid())
    try:
        withdrawn = conn.recv(1, socket.MSG_DONTWAIT)
    except BlockingIOError:
        withdrawn = None
    if withdrawn is not None:
        with contextlib.suppress(OSError):
            _reply(conn, wire.CANCELLED, 0)
        return NOTHING_RAN  # CANCEL, or the client is gone
    if INTERRUPT_AT_START in os.environ:
        signal.raise_signal(signal.SIGINT)  # tests only: a Ctrl-C at this very moment
    _guard_the_terminal(request.peer)
    note(server, NOTE_COMMAND)
    code, by_signal = run_command(request.argv)
    if by_signal:
        # An uncaught Ctrl-C: Python ends such a process by the signal itself.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    # The command has ended: a Ctrl-C now must not cost the client its exit code.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Before the client hears of the end (and goes, which would get a child
    # still at work killed): learning the pages below takes a few ms more.
    note(server, NOTE_DONE)
    with contextlib.suppress(OSError):
        _reply(conn, wire.EXIT, code)
    with contextlib.suppress(Exception):
        # The client has its answer: this is on our time.
        pages.learn(server.pages_path, eager=server.served < pages.EAGER_COMMANDS)
    return code & 0xFF


def _guard_the_terminal(client: int) -> None:
    """Stop reading the terminal while the client is a background job of it, as the
    terminal stops a process of its own background job (todo_cli/terminal.py).

    Ctrl-Z stops the command (the client forwards it); `bg` continues the client,
    and the client the command: one that reads the terminal then stops its client
    as the terminal would have (SIGTTIN: "Stopped (tty input)") and waits until
    `fg` makes it the foreground again, or the client is gone (then it ends as a
    Ctrl-C ends it: nothing more was read).
    """
    from todo_cli import terminal

    if client <= 0:
        return

    def wait_for_the_foreground() -> None:
        told = False
        while True:
            where = _client_on_its_terminal(client)
            if where is None:
                raise KeyboardInterrupt  # the client is gone: nobody will answer
            if where:
                return
            if not told:
                with contextlib.suppress(OSError):
                    os.kill(client, signal.SIGTTIN)
                told = True
            time.sleep(0.05)

    def continued(signum: int, frame: object) -> None:
        if terminal.reading:
            wait_for_the_foreground()

    terminal.guard = wait_for_the_foreground
    signal.signal(signal.SIGCONT, continued)


def _client_on_its_terminal(pid: int) -> bool | None:
    """Whether the client's job is its terminal's foreground (True also with no
    terminal at all); None when the client is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()
    except OSError:
        return None
    # After the name: state, ppid, pgrp, session, tty_nr, tpgid.
    if fields[0] in (b"Z", b"X"):
        return None
    pgrp, tty, foreground = int(fields[2]), int(fields[4]), int(fields[5])
    return tty == 0 or foreground in (-1, pgrp)


# A variable of the client's environment that has the child interrupt itself
# between READY and the command (the moment a Ctrl-C can fall into): for tests.
INTERRUPT_AT_START = "TODO_SERVER_TEST_INTERRUPT_AT_START"


def _interrupted_before_the_command(signum: int, frame: object) -> None:
    """Ctrl-C after READY, before the command started: exit 130 with the line a
    `todo` interrupted while loading prints (nothing ran, nothing changed)."""
    _interrupted_while_loading()  # exits


def peer_pid(conn: socket.socket) -> int:
    """The client's pid as this process's namespace sees it (0: not visible)."""
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    except OSError:
        return 0
    return int.from_bytes(creds[:4], sys.byteorder)


def let_go_of_server_files(server: Server) -> None:
    """Close what the child holds of the server's that a path could reach.

    The command may open ``/dev/fd/N`` (the client runs those itself, see
    client.names_own_files; a link to one still gets here): that must not be
    the server's log (the command would overwrite it) nor its code watch. What
    stays are sockets (the client's connection, a spare's control line, the
    notes to the server), which no path opens.
    """
    log_by_path(server.log_path)
    if server.snapshot.watch_fd >= 0:
        # Needed no more: the code was checked (refusal) before the command.
        with contextlib.suppress(OSError):
            os.close(server.snapshot.watch_fd)
        server.snapshot.watch_fd = -1


def receive_header(conn: socket.socket) -> tuple[bytes, list[int], bool]:
    """The header, the descriptors that came with it (the caller closes them),
    and whether there were more descriptors than room for them."""
    import array

    fds: list[int] = []
    data = b""
    truncated = False
    space = socket.CMSG_SPACE(8 * array.array("i").itemsize)
    while len(data) < wire.HEADER_SIZE:
        chunk, ancillary, flags, _ = conn.recvmsg(
            wire.HEADER_SIZE - len(data), space, socket.MSG_CMSG_CLOEXEC
        )
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                received = array.array("i")
                received.frombytes(payload[: len(payload) - len(payload) % received.itemsize])
                fds.extend(received)
        truncated = truncated or bool(flags & socket.MSG_CTRUNC)
        if not chunk:
            break
        data += chunk
    return data, fds, truncated


def parse_request(body: bytes) -> Request:
    encoding = sys.getfilesystemencoding()
    fields = body.split(b"\0")

    def text(index: int) -> str:
        return fields[index].decode(encoding, "surrogateescape")

    argc = int(text(10))
    streams = []
    for index in (3, 4, 5):
        name, errors, *unbuffered = text(index).split("\x1e")
        streams.append((name, errors, unbuffered == ["1"]))
    return Request(
        version=text(0),
        encoding=text(1),
        interpreter=text(2),
        streams=streams,
        umask=int(text(6)),
        ignored=[int(s) for s in text(7).split(",") if s],
        argv0=text(8),
        file_size=_limits(text(9)),
        argv=[f.decode(encoding, "surrogateescape") for f in fields[11 : 11 + argc]],
        environ=[f for f in fields[11 + argc :] if b"=" in f],
    )


def _limits(text: str) -> tuple[int, int] | None:
    soft, _, hard = text.partition(",")
    return (int(soft), int(hard)) if hard else None


def refusal(snapshot: Snapshot, request: Request) -> int:
    """Why this server must not run the request (0: it may)."""
    if request.version != snapshot.version:
        return wire.REFUSED_VERSION
    if request.encoding != snapshot.encoding or request.interpreter != snapshot.interpreter:
        return wire.REFUSED_INTERPRETER
    if not code_unchanged(snapshot):
        return wire.REFUSED_STALE
    if foreign_environment(snapshot, request.environ):
        return wire.REFUSED_ENVIRONMENT
    if elsewhere(snapshot, request.peer):
        return wire.REFUSED_PLACE
    return 0


def foreign_environment(snapshot: Snapshot, environ: list[bytes]) -> bool:
    """Whether the client's environment means something else here: variables that
    code read as it was imported (PYTHONTZPATH, PSYCOPG_IMPL...) differ from the
    server's, or TZ names a file of the client's own (``/dev/fd/3``, ``/proc/...``)."""
    for item in environ:
        if item.startswith(b"TZ="):
            zone = item[4:] if item[3:4] == b":" else item[3:]
            if zone.startswith((b"/dev/fd/", b"/proc/")):
                return True
    return import_time_variables(environ) != snapshot.environment


def elsewhere(snapshot: Snapshot, pid: int) -> bool:
    """Whether the client runs in another place than the server: another mount
    namespace (`unshare -m` and a read-only mount the command must not write
    past), network namespace (`unshare -n`), user namespace or root (chroot);
    or under another scheduling policy (`chrt --idle`). Unknown is elsewhere."""
    if pid <= 0 or not snapshot.place or place_of(pid) != snapshot.place:
        return True
    try:
        if os.sched_getscheduler(pid) != os.sched_getscheduler(0):
            return True
    except OSError:
        return True
    return _limits_of(pid) != _limits_of("self")


def _limits_of(pid: int | str) -> list[bytes] | None:
    """The process's resource limits but the file size (which the child takes,
    adopt): `ulimit -t 1` or `-v 100000` of the client's must hold for the
    command, and a limit raised here might not be lowered back (a hard one
    never), so a client with any other runs the command itself."""
    try:
        with open(f"/proc/{pid}/limits", "rb") as limits:
            return [line for line in limits if not line.startswith(b"Max file size ")]
    except OSError:
        return None


def adopt(request: Request, fds: list[int]) -> None:
    """Take the client's streams, directory, umask, environment, argv and signals."""
    stdin, stdout, stderr, cwd = fds
    os.fchdir(cwd)
    os.dup2(stdin, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    os.umask(request.umask)
    # `nice todo ...`: the command runs as nicely as the client (never less: only
    # raising it needs no privilege).
    niceness = os.getpriority(os.PRIO_PROCESS, request.peer)
    if niceness > os.getpriority(os.PRIO_PROCESS, 0):
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    # `taskset -c 0 todo ...`: the command runs on the client's CPUs.
    with contextlib.suppress(OSError):
        cpus = os.sched_getaffinity(request.peer)
        if cpus != os.sched_getaffinity(0):
            os.sched_setaffinity(0, cpus)
    import resource

    try:
        if request.file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, request.file_size)
    except ValueError as exc:
        # Above this process's own hard limit: the client's may not be taken; it
        # runs the command itself (the caller refuses on OSError).
        raise OSError(f"file size limit {request.file_size}: {exc}") from None
    environb = os.environb
    environb.clear()
    for item in request.environ:
        key, _, value = item.partition(b"=")
        if key:
            environb[key] = value
    # Read once per process by the C library: a new TZ needs telling.
    time.tzset()
    import locale

    with contextlib.suppress(locale.Error):
        locale.setlocale(locale.LC_CTYPE, "")  # as every Python does at start
    for signum in request.ignored:
        signal.signal(signum, signal.SIG_IGN)
    sys.argv = [request.argv0, *request.argv]
    sys.stdin = sys.__stdin__ = _standard_stream(0, "r", *request.streams[0])  # type: ignore[misc]
    sys.stdout = sys.__stdout__ = _standard_stream(1, "w", *request.streams[1])  # type: ignore[misc]
    sys.stderr = sys.__stderr__ = _standard_stream(2, "w", *request.streams[2])  # type: ignore[misc]


def _standard_stream(
    fd: int, mode: str, encoding: str, errors: str, unbuffered: bool = False
) -> io.TextIOWrapper:
    """A standard stream made as CPython makes them at start (create_stdio)."""
    raw = io.FileIO(fd, mode + "b", closefd=False)
    raw.name = ("<stdin>", "<stdout>", "<stderr>")[fd]
    # The buffer size io.open picks (the file's block size), as at start: the
    # same sizes give the same interleaving of stdout and stderr on one screen.
    size = os.fstat(fd).st_blksize
    size = size if size > 1 else io.DEFAULT_BUFFER_SIZE
    # Unbuffered as the client's output is (PYTHONUNBUFFERED, python -u): each write
    # goes out at once, straight to the file, so stdout and stderr interleave alike.
    at_once = unbuffered and mode == "w"
    buffer: Any = raw
    if not at_once:
        buffer = io.BufferedReader(raw, size) if mode == "r" else io.BufferedWriter(raw, size)
    stream = io.TextIOWrapper(
        buffer,
        encoding=encoding,
        errors=errors,
        newline="\n",
        line_buffering=not at_once and (raw.isatty() or fd == 2),
        write_through=at_once,
    )
    setattr(stream, "mode", mode)  # noqa: B010 - TextIOWrapper.mode is not declared writable
    return stream


def run_command(argv: list[str]) -> tuple[int, bool]:
    """Run the command as a process would, ending included; (exit code, by SIGINT)."""
    by_signal = False
    try:
        from todo_cli.cli import run

        # From here on Ctrl-C is the command's to handle, as in a fresh process.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        code = run(argv)
    except SystemExit as exc:
        code = exit_code(exc.code)
    except KeyboardInterrupt:
        sys.excepthook(*sys.exc_info())
        code, by_signal = 130, True
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    import atexit

    atexit._run_exitfuncs()
    return flush_standard_streams(code), by_signal


def _reply(conn: socket.socket, kind: bytes, value: int) -> None:
    conn.sendall(kind + value.to_bytes(4, "little", signed=True), socket.MSG_NOSIGNAL)


def _send_reply(conn: socket.socket, data: bytes) -> None:
    conn.sendall(wire.REPLY + len(data).to_bytes(4, "little") + data, socket.MSG_NOSIGNAL)


def status(server: Server) -> dict[str, Any]:
    """The server as `todo server status` shows it (computed in a child)."""
    pid = os.getppid()
    now = time.monotonic()
    memory = process_memory(pid)
    return {
        "pid": pid,
        "version": server.snapshot.version,
        "python": sys.version.split()[0],
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(server.started)),
        "uptime_s": round(time.time() - server.started, 1),
        "rss_bytes": memory.get("Rss"),
        "private_bytes": memory.get("Private"),
        "commands_served": server.served,
        "code_changed": fingerprint(server.snapshot.package_dir, server.snapshot.path_dirs)
        != server.snapshot.fingerprint,
        "idle_timeout_s": server.idle_s,
        "spare_private_bytes": process_memory(server.spare_pid).get("Private")
        if server.spare_pid
        else None,
        "idle_s": round(now - server.last_active, 1) if not server.running else 0.0,
        "socket": server.path,
        "log": server.log_path,
        "running": [
            {
                "pid": child,
                "seconds": round(now - started, 1),
                "private_bytes": process_memory(child).get("Private"),
            }
            for child, started in server.running
        ],
        "dependencies": server.dependencies,
    }


def process_memory(pid: int) -> dict[str, int]:
    """Resident and private (unshared) bytes of a process, from /proc."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                name, _, rest = line.partition(b":")
                if name in (b"Rss", b"Private_Clean", b"Private_Dirty"):
                    size = int(rest.split()[0]) * 1024
                    key = "Rss" if name == b"Rss" else "Private"
                    found[key] = found.get(key, 0) + size
    except (OSError, ValueError, IndexError):
        pass
    return found
