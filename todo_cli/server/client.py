"""The command server's client: hands one command line to a warm server.

`todo` calls :func:`run` before it imports anything else, so this module must
cost next to nothing: it imports ``os`` and ``sys`` (loaded by every Python
start with site) and the C halves of ``socket`` and ``signal`` (``_socket``,
``_signal``): the Python wrappers would add ``enum`` and ``selectors``, about
as much again as the whole interpreter start. ``typing`` is not imported
either (see ``TYPE_CHECKING`` below).

One connection per command, on a Unix socket in a private directory:

* client -> server: a 12-byte header (``MAGIC``, protocol, operation, two
  spare bytes, body length) and a body of NUL-separated fields. The first
  ``sendmsg`` carries stdin, stdout, stderr and the working directory as
  SCM_RIGHTS file descriptors, so the command reads and writes the client's
  own terminal, pipes or files.
* server -> client: 5-byte messages, a kind and a little-endian int32:
  ``READY pid`` (the command starts: where to forward signals), then
  ``EXIT code`` or ``SIGNALED signum``; or ``REFUSED reason`` (stale code,
  another version...: run it here). ``CANCELLED`` answers a ``CANCEL``.
* client -> server, only when no answer comes in time: one ``CANCEL`` byte.
  Together with ``READY`` it makes running a command twice impossible (see
  :func:`_handoff`).

Only those four descriptors reach the server's child: a command line that
names another descriptor of this process (``/dev/fd/4``, the ``/dev/fd/63``
of a shell's ``<(...)``) runs here (see :func:`names_own_files`).
"""

import os
import sys

# Not typing.TYPE_CHECKING: importing typing would cost more than this module.
# Type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    import socket as _socket
    from collections.abc import Mapping
else:
    import _signal
    import _socket

MAGIC = b"todo"
PROTOCOL = 1
HEADER_SIZE = 12
MESSAGE_SIZE = 5

# Operations (the header's fifth byte).
OP_RUN = ord("r")
OP_STATUS = ord("s")
OP_STOP = ord("q")

# Message kinds.
READY = b"r"
REFUSED = b"n"
EXIT = b"x"
SIGNALED = b"k"
CANCELLED = b"c"
REPLY = b"j"  # followed by a length and that many bytes (status, stop)
CANCEL = b"z"

# Why a server refused (REFUSED's value); the client runs the command itself.
REFUSED_PROTOCOL = 1
REFUSED_VERSION = 2
REFUSED_STALE = 3
REFUSED_INTERPRETER = 4
REFUSED_SETUP = 5
# Variables read as code is imported (PYTHONTZPATH...) differ from the server's,
# or TZ names a file of the client's own (/dev/fd/3).
REFUSED_ENVIRONMENT = 6
# The client runs elsewhere: another mount or network namespace, another root.
REFUSED_PLACE = 7

# Exit code when the server lost a command it had accepted (sysexits EX_SOFTWARE,
# as the CLI's own "this is a bug" exit).
LOST = 70

# How long to wait for a server that took the connection but does not answer
# (stopped, or stuck) before running the command here. Generous: on a swamped
# machine a server is merely slow, and running the command here is slower.
HANDSHAKE_TIMEOUT_S = 5.0

# Signals a terminal or a supervisor sends to "the command": forwarded to it.
FORWARDED = (
    _signal.SIGINT,
    _signal.SIGTERM,
    _signal.SIGHUP,
    _signal.SIGQUIT,
    _signal.SIGUSR1,
    _signal.SIGUSR2,
    _signal.SIGWINCH,
    _signal.SIGTSTP,
    _signal.SIGCONT,
)

# Environment variables that say whether to use the server.
MODE_VARIABLE = "TODO_SERVER"
IDLE_VARIABLE = "TODO_SERVER_IDLE"
_OFF = ("off", "0", "no", "false", "never")
_ON = ("on", "1", "yes", "true", "")
# A server started this recently may still be importing (or has just failed):
# `auto` does not start another meanwhile.
STARTING_S = 10.0


def run(argv: "list[str]") -> "int | None":
    """Run one command line on the server; None when it must run here instead.

    Never raises because of the server: no server, a stale or foreign one, a
    broken socket, anything unexpected before the server accepted the command,
    all mean None, and the caller runs the command the usual way.
    """
    if sys.platform != "linux":
        return None  # SO_PEERCRED, POLLRDHUP: the server is Linux-only
    if _command_of(argv) == "server":
        # `todo server status|start|stop` ask the server from here: run by it, a
        # status would count itself as a command served and keep it from its idle exit.
        return None
    try:
        # First: such a command runs here whatever the mode, and TODO_CONFIG may
        # itself be one (a `<(...)`), which reading it for the mode would use up.
        if names_own_files(argv, os.environ) or runs_here(argv) or clock_faked(os.environ):
            return None
        mode = server_mode(os.environ)
        if mode == "off":
            return None
        path = socket_path(os.environ)
        sock = None if path is None else connect(path)
        if sock is None:
            if mode == "auto" and _may_start(os.environ):
                start_in_background()
            return None
    except Exception:
        return None
    return _handoff(sock, argv)


def clock_faked(environ: "Mapping[str, str]") -> bool:
    """Whether this process's clock is libfaketime's (`faketime todo ...`).

    The server's child reads the server's clock: faked too, it has run on since
    the server started (`faketime '2027-01-01 23:59:45'` gave a task the next
    day's date twenty seconds later), and with another offset the one the server
    was started with. Such a command runs here, and starts no server (auto).
    """
    preload = environ.get("LD_PRELOAD", "")
    return "faketime" in preload.lower() or any(name.startswith("FAKETIME") for name in environ)


def _command_of(argv: "list[str]") -> "str | None":
    """The command word of a command line: the first word that is no option of todo's."""
    words = iter(argv)
    for word in words:
        if word in ("--db", "--user"):
            next(words, None)  # its value
        elif not word.startswith("-"):
            return word
        elif word == "--":
            return next(words, None)
    return None


def runs_here(argv: "list[str]") -> bool:
    """Whether the command line needs this very process, not a child of the server's.

    * ``--show-completion`` and ``--install-completion`` find the user's shell
      among this process's ancestors: the server's child has the server there.
    * A background job of a terminal (``todo delete 1 &``): without the server
      the terminal stops it (SIGTTIN) when it reads, or writes with ``stty
      tostop``; the server's child, in a session of its own, would read the
      terminal as it pleased and take the next command line typed for its
      prompt's answer. Here the terminal treats it as the job it is.
    """
    for word in argv:
        if word.startswith(_HERE_OPTIONS):
            return True
    return _in_background()


# Options that look at this process's ancestors (typer's shell detection).
_HERE_OPTIONS = ("--show-completion", "--install-completion")


def _in_background() -> bool:
    """Whether a standard stream is this process's controlling terminal and this
    process is not in its foreground process group (a few microseconds)."""
    group = os.getpgrp()
    for fd in (0, 1, 2):
        try:
            if os.tcgetpgrp(fd) != group:
                return True
        except OSError:
            pass  # no terminal, or not the one that controls this process
    return False


def names_own_files(argv: "list[str]", environ: "Mapping[str, str]") -> bool:
    """Whether the command may name a file of this process by a name that is the
    process's own: a descriptor above 2 (``/dev/fd/4``, ``/proc/self/fd/4``,
    ``/proc/PID/fd/4``, what a shell's ``<(...)`` or ``>(...)`` expands to), a
    ``/proc/self`` entry, or its controlling terminal (``/dev/tty``).

    Run by the server's child, such a name is the child's: it holds only this
    process's stdin, stdout and stderr (``/dev/stdin`` and ``/dev/fd/1`` are the
    same there), so ``/dev/fd/4`` would be nothing, or a file of the server's.
    Read loosely, anywhere in an argument (``--output=/dev/fd/4``,
    ``-o/dev/fd/4``, a title): a false alarm only costs the server's speed. The
    variables that name files todo, libpq and OpenSSL read (``TODO_CONFIG``,
    ``PGPASSFILE``, ``PGSSLROOTCERT``, ``XDG_CONFIG_HOME``...) are read alike.
    A link to such a name is not seen: the child finds nothing there.
    """
    for text in argv:
        if _names_own_file(text):
            return True
    # Values read only for these keys: decoding every value costs more than the rest.
    return any(
        _names_own_file(environ[key])
        for key in environ
        if key.startswith(_FILE_VARIABLES) or key == "HOME"
    )


# The variables names_own_files reads (their prefixes).
_FILE_VARIABLES = ("TODO_", "PG", "XDG_", "SSL_CERT_")


def _names_own_file(text: str) -> bool:
    """Whether ``text`` holds ``fd/N`` with N above 2, a ``self`` of /proc, or
    ``/dev/tty``."""
    at = text.find("fd/")
    while at >= 0:
        end = start = at + 3
        while end < len(text) and text[end] in "0123456789":
            end += 1
        # Compared as text: int() refuses more than 4300 digits.
        if text[start:end].lstrip("0") not in ("", "1", "2"):
            return True  # fd/4, fd/63, fd/10...
        at = text.find("fd/", start)
    at = text.find("self")
    while at >= 0:
        before, after = text[at - 1 : at], text[at + 4 : at + 5]
        # /proc/self, /proc/thread-self and what is under them; self/... in /proc.
        if (before in ("/", "-") and after in ("", "/")) or (before in ("", "=") and after == "/"):
            return True
        at = text.find("self", at + 4)
    # /dev/tty: the process's controlling terminal, which the server's child (in a
    # session of its own) has none of: "No such device or address".
    return "/dev/tty" in text


def _may_start(environ: "Mapping[str, str]") -> bool:
    """Whether `auto` should start a server: its directory is safe or not there yet,
    and no server started in the last few seconds (its log says when)."""
    directory = runtime_dir(environ)
    if not is_private_dir(directory):
        return not os.path.lexists(directory)
    try:
        started = os.stat(f"{directory}/server-{installation_key()}.log").st_mtime
    except OSError:
        return True
    import time

    return time.time() - started > STARTING_S


# --- where the server lives ---------------------------------------------------------


def server_mode(environ: "Mapping[str, str]") -> str:
    """``auto``, ``on`` (use a running server) or ``off``.

    ``TODO_SERVER`` first, else ``server`` in the config file, else ``on``: a
    server someone started with `todo server start` is used, none is started.
    """
    raw = environ.get(MODE_VARIABLE, "")
    if not raw.strip():
        raw = config_value(environ, "server") or ""
    value = raw.strip().lower()
    if value in ("auto", *_ON) and idle_problem(environ) is not None:
        # `auto` started a server on the default idle time in its place, said only
        # in the server's log: run here, where the CLI refuses it (exit 3).
        return "off"
    if value == "auto":
        return "auto"
    if value in _ON:
        return "on"
    # Off, or a value nobody meant (`TODO_SERVER=bogus`): run here, where the CLI
    # says what is wrong with it (mode_problem) rather than guess.
    return "off"


def mode_problem(environ: "Mapping[str, str]") -> "str | None":
    """What is wrong with ``TODO_SERVER``, if anything (the config file's key is
    checked with the rest of the file)."""
    raw = environ.get(MODE_VARIABLE, "")
    if raw.strip().lower() in ("auto", *_ON, *_OFF):
        return None
    return f"{MODE_VARIABLE}={raw!r} is not on, off or auto"


def idle_problem(environ: "Mapping[str, str]") -> "str | None":
    """What is wrong with ``TODO_SERVER_IDLE``, if it is set: every command refuses a
    bad one, as a bad ``server_idle_timeout`` in the config file."""
    raw = environ.get(IDLE_VARIABLE, "")
    if not raw.strip():
        return None
    from todo_cli.server.server import resolve_idle  # (only where it is set)

    try:
        resolve_idle({IDLE_VARIABLE: raw})
    except ValueError as exc:
        return str(exc)
    return None


def config_path(environ: "Mapping[str, str]") -> str:
    """The config file, as todo_cli.settings finds it."""
    explicit = environ.get("TODO_CONFIG")
    if explicit is not None:
        # Empty: no file to read here; the command itself refuses it.
        return os.path.expanduser(explicit)
    from todo_cli.dirs import user_dir

    return os.path.join(user_dir("config", environ), "config.toml")


def config_value(environ: "Mapping[str, str]", key: str) -> "str | None":
    """A top-level string or number of the config file, read without a TOML parser.

    tomllib costs every command ~10 ms to import; the keys this needs are
    simple (``server = "auto"``, ``server_idle_timeout = 600``), so a line
    scan finds them. A value it cannot read simply (a multi-line string, an
    escape) goes to tomllib, which is then worth its price.
    """
    data = _read_config(config_path(environ))
    if data is None:
        return None
    try:
        # utf-8-sig, as the CLI's settings read it: a file a Windows editor began with
        # a byte-order mark hid its first key here, and `server = "off"` was not seen.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if '"""' in text or "'''" in text:
        # A multi-line string may hold lines that look like a table or a key.
        return _config_value_by_toml(text, key)
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            return None  # top-level keys come before the first table
        name, equals, value = line.partition("=")
        if not equals or name.strip().strip("\"'") != key:
            continue
        value = value.strip()
        quote = value[:1]
        if quote in ('"', "'"):
            end = value.find(quote, 1)
            rest = value[end + 1 :].strip() if end > 0 else ""
            inner = value[1:end] if end > 0 else ""
            if end > 0 and (not rest or rest.startswith("#")) and "\\" not in inner:
                return inner
        else:
            bare = value.split("#", 1)[0].strip()
            if bare and all(c in "0123456789.+-_eE" for c in bare):
                return bare
        return _config_value_by_toml(text, key)
    return None


# A config file larger than this is no config file the client reads (the CLI's
# settings then say what they make of it).
CONFIG_LIMIT = 1 << 20


def _read_config(path: str) -> "bytes | None":
    """The config file's bytes; None when there is none or it cannot be read (the
    CLI reports unreadable ones itself).

    Raises ValueError for what is not a regular file or is too large, which the
    command then reads itself, here (run() runs it here on any exception): a
    named pipe would keep the open waiting until someone writes to it, a device
    such as /dev/zero would be read until memory ran out. Looked at before it is
    opened, and opened without waiting, in case it was replaced meanwhile.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not _regular_size_ok(st):
        raise ValueError(f"config file {path!r} is not a regular file of at most 1 MiB")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not _regular_size_ok(os.fstat(fd)):
            raise ValueError(f"config file {path!r} was replaced by something else")
        data = b""
        while chunk := os.read(fd, 65536):
            data += chunk
            if len(data) > CONFIG_LIMIT:
                raise ValueError(f"config file {path!r} is too large")
        return data
    except OSError:
        return None
    finally:
        os.close(fd)


def _regular_size_ok(st: "os.stat_result") -> bool:
    return st.st_mode & 0o170000 == 0o100000 and st.st_size <= CONFIG_LIMIT


def _config_value_by_toml(text: str, key: str) -> "str | None":
    import tomllib

    try:
        value = tomllib.loads(text).get(key)
    except tomllib.TOMLDecodeError:
        return None
    return None if value is None or isinstance(value, dict | list) else str(value)


def runtime_dir(environ: "Mapping[str, str]") -> str:
    """The directory that holds the socket: private to this user."""
    base = environ.get("XDG_RUNTIME_DIR", "")
    if base.startswith("/"):
        return base.rstrip("/") + "/todo-cli"
    return f"/tmp/todo-cli-{os.getuid()}"


def is_private_dir(path: str) -> bool:
    """A real directory (not a link), ours, that nobody else may enter."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (
        st.st_mode & 0o170000 == 0o040000 and st.st_uid == os.getuid() and st.st_mode & 0o077 == 0
    )


def installation_key(package: "str | None" = None) -> str:
    """Names this installation (interpreter prefix and package directory).

    Two installations (a checkout and a released copy, two virtualenvs) get
    two servers, so a client never reaches code other than its own.
    """
    if package is None:
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digest = 0xCBF29CE484222325  # FNV-1a: stable across processes, no hashlib import
    for byte in os.fsencode(sys.prefix + "\0" + package):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


def socket_path(
    environ: "Mapping[str, str]", *, check: bool = True, package: "str | None" = None
) -> "str | None":
    """The server's socket, or None when its directory is not safely ours."""
    directory = runtime_dir(environ)
    if check and not is_private_dir(directory):
        return None
    return f"{directory}/server-{installation_key(package)}.sock"


def connect(path: str) -> "_socket.socket | None":
    """A connection to the server at ``path`` run by this user; None if none answers.

    No server, a socket left by a dead one (ECONNREFUSED): one failed
    system call, a few microseconds.
    """
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
    try:
        sock.settimeout(HANDSHAKE_TIMEOUT_S)
        sock.connect(path)
        # The directory is private, so only we (or root) could have made the
        # socket; checking the peer too costs one system call.
        creds = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
        if int.from_bytes(creds[4:8], sys.byteorder) != os.getuid():
            raise OSError("the server is not ours")
    except OSError:
        sock.close()
        return None
    return sock


def start_in_background() -> None:
    """Start a server for the next commands; this one runs here meanwhile.

    The server gets no terminal and no pipe of ours (a pipe held open would
    keep `todo list | less` waiting), and a session of its own.
    """
    devnull = os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, devnull, os.O_WRONLY, 0),
    ]
    # -P: the working directory is not on the server's module path.
    argv = [sys.executable, "-P", "-m", "todo_cli.server.server"]
    try:
        os.posix_spawn(
            sys.executable, argv, server_environment(), file_actions=actions, setsid=True
        )
    except OSError:
        return  # no server this time; the command runs here all the same


def server_environment() -> "dict[bytes, bytes]":
    """The environment a server starts with: ours without database settings.

    Each command brings its own environment; the server needs only what
    decides how Python and the config file are found, and should not keep a
    password in its environment for hours.
    """
    return {
        key: value
        for key, value in os.environb.items()
        if not key.startswith((b"TODO_", b"PG")) or key in (b"TODO_CONFIG", b"TODO_SERVER_IDLE")
    }


# --- one command ----------------------------------------------------------------------


def request_header(op: int, length: int) -> bytes:
    return MAGIC + bytes((PROTOCOL, op, 0, 0)) + length.to_bytes(4, "little")


def run_request(argv: "list[str]", ignored: "list[int]") -> bytes:
    """The body of a run request: everything a fresh `todo` process would inherit."""
    from todo_cli import __version__

    enc = sys.getfilesystemencoding()
    streams = (sys.stdin, sys.stdout, sys.stderr)
    fields = [
        __version__,
        enc,
        interpreter_signature(),
        # write_through: unbuffered (PYTHONUNBUFFERED, python -u), which orders what
        # stdout and stderr write into one file as it is written.
        *(f"{s.encoding}\x1e{s.errors}\x1e{int(getattr(s, 'write_through', 0))}" for s in streams),
        str(_umask()),
        ",".join(str(s) for s in ignored),
        sys.argv[0] if sys.argv else "todo",
        _file_size_limit(),
        str(len(argv)),
        *argv,
    ]
    body = [field.encode(enc, "surrogateescape") for field in fields]
    body.extend(key + b"=" + value for key, value in os.environb.items())
    return b"\0".join(body)


def _file_size_limit() -> str:
    """``ulimit -f`` as ``soft,hard`` (-1: none): a file written past it is refused
    (exit 74) here, and must be in the server's child too.

    Read from /proc, as the client imports no module it can do without (``resource``
    is a shared library to load); "" when it cannot be read: the server's then.
    """
    try:
        with open("/proc/self/limits", "rb") as limits:
            for line in limits:
                if line.startswith(b"Max file size "):
                    soft, hard = line.split()[3:5]
                    return ",".join(
                        "-1" if value == b"unlimited" else value.decode() for value in (soft, hard)
                    )
    except (OSError, ValueError):
        pass
    return ""


def interpreter_signature() -> str:
    """What must match between client and server for a command to behave the same.

    The module search path (without its first entry, the script's directory),
    the warning options and the flags that change how code runs or decodes.
    """
    flags = sys.flags
    # -P (safe_path) adds no script directory to drop.
    path = sys.path if flags.safe_path else sys.path[1:]
    return "\x1e".join(
        (
            f"{flags.utf8_mode},{flags.optimize},{flags.dev_mode},{flags.bytes_warning}",
            "\x1f".join(sys.warnoptions),
            *path,
        )
    )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class _Forwarder:
    """Sends the signals this process gets to the command's process group.

    Until the server says which process runs the command, signals wait; if
    the command then runs here instead, they are delivered here.
    """

    def __init__(self) -> None:
        self.pid = 0
        self.pending: list[int] = []
        self.forwarded: list[int] = []
        self.ignored: list[int] = []
        self.previous: dict[int, _signal._HANDLER] = {}

    def install(self) -> None:
        for signum in FORWARDED:
            handler = _signal.getsignal(signum)
            if handler == _signal.SIG_IGN:
                # nohup or a shell's `&`: the command must ignore it too.
                self.ignored.append(signum)
                continue
            self.previous[signum] = handler
            _signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            _signal.signal(signum, handler)
        self.previous = {}

    def _handle(self, signum: int, frame: object) -> None:
        if not self.pid:
            self.pending.append(signum)
            return
        self._forward(signum)

    def start(self, pid: int) -> None:
        self.pid = pid
        pending, self.pending = self.pending, []
        for signum in pending:
            self._forward(signum)

    def _forward(self, signum: int) -> None:
        self.forwarded.append(signum)
        try:
            os.kill(-self.pid, signum)  # the child leads its own process group
        except OSError:
            return
        if signum == _signal.SIGTSTP:
            # Ctrl-Z: the command has stopped; now stop here too, as a
            # foreground job does, and carry on (SIGCONT is forwarded) on `fg`.
            _signal.signal(signum, _signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            _signal.signal(signum, self._handle)

    def redeliver(self) -> None:
        """Signals that came before the command started, delivered here after all."""
        for signum in self.pending:
            _signal.raise_signal(signum)
        self.pending = []


def _handoff(sock: "_socket.socket", argv: "list[str]") -> "int | None":
    """Send the command and return its exit code; None to run it here instead.

    Never twice. The server's child sends ``READY`` and then runs the command
    unless it finds a ``CANCEL`` from this client. This client runs the
    command itself (returns None) only when, having sent ``CANCEL``, it finds
    no ``READY``; without an answer in time it cancels first. Each side looks
    for the other's message only after sending its own, and a socket delivers
    in order: if the child found no ``CANCEL``, its ``READY`` was here before
    the ``CANCEL`` went, so this client finds it and waits for the outcome.
    After ``READY``, any failure is reported as an exit code, never run again.
    """
    forwarder = _Forwarder()
    committed = False
    cwd = -1
    try:
        if sys.stdin is None or sys.stdout is None or sys.stderr is None:
            return None  # a closed standard stream cannot be passed on
        forwarder.install()
        try:
            cwd = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            body = run_request(argv, forwarder.ignored)
            fds = (0, 1, 2, cwd)
            _send_with_fds(sock, request_header(OP_RUN, len(body)) + body, fds)
        finally:
            if cwd >= 0:
                os.close(cwd)
        try:
            kind, value = _read_message(sock)
        except TimeoutError:
            kind, value = _cancel(sock)
        if kind != READY:
            return None  # refused (stale, another version...), or nothing came
        committed = True
        forwarder.start(value)
        sock.settimeout(None)  # the command takes as long as it takes
        kind, value = _read_message(sock)
    except Exception:
        if not committed:
            return None
        kind, value = b"", 0
    finally:
        forwarder.restore()
        sock.close()
        if not committed:
            forwarder.redeliver()
    if kind == EXIT:
        return value
    if kind == SIGNALED:
        return _die_like(value)
    if kind == CANCELLED:
        return None  # our CANCEL reached the child before it started: run it here
    for signum in reversed(forwarder.forwarded):
        if signum not in (_signal.SIGTSTP, _signal.SIGCONT, _signal.SIGWINCH):
            return _die_like(signum)  # it ended the command, and the server with it
    os.write(2, b"error: the command server stopped before the command finished ")
    os.write(2, b"(it was not run again; check its outcome)\n")
    return LOST


def _cancel(sock: "_socket.socket") -> "tuple[bytes, int]":
    """No answer in time: withdraw the command; READY if it had started after all."""
    # Not contextlib.suppress: an import this module does not otherwise need.
    try:  # noqa: SIM105
        sock.sendall(CANCEL)
    except OSError:
        pass  # the child's end is closed: it cannot start the command any more
    try:
        # Non-blocking: the answer had its time (a socket with a timeout would
        # wait it out again before even trying, MSG_DONTWAIT or not).
        sock.setblocking(False)
        data = sock.recv(MESSAGE_SIZE)
    except OSError:
        return b"", 0
    if len(data) < MESSAGE_SIZE:
        return b"", 0
    return data[:1], int.from_bytes(data[1:], "little", signed=True)


def _die_like(signum: int) -> int:
    """End as the command's process ended: killed by the same signal."""
    if signum not in (_signal.SIGKILL, _signal.SIGSTOP):
        # Those two take no handler (setting one raises): theirs is the default already.
        _signal.signal(signum, _signal.SIG_DFL)
    _signal.raise_signal(signum)
    return 128 + signum  # a signal whose default is not to terminate


def _send_with_fds(sock: "_socket.socket", data: bytes, fds: "tuple[int, ...]") -> None:
    rights = b"".join(fd.to_bytes(4, sys.byteorder) for fd in fds)
    sent = sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)])
    if sent < len(data):
        sock.sendall(data[sent:])


def _read_message(sock: "_socket.socket") -> "tuple[bytes, int]":
    data = receive_exactly(sock, MESSAGE_SIZE)
    if len(data) < MESSAGE_SIZE:
        return b"", 0
    return data[:1], int.from_bytes(data[1:], "little", signed=True)


def receive_exactly(sock: "_socket.socket", size: int) -> bytes:
    """Up to ``size`` bytes: fewer only at end of file."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data
