"""Files `todo` writes: whole or not at all, readable by their owner alone."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO

from todo_cli.errors import OutputError


@contextmanager
def atomic_text(path: str) -> Iterator[IO[str]]:
    """A file written beside `path` and moved over it only once complete (0600).

    An export interrupted half way (Ctrl-C, a full disk) leaves the old file,
    never a truncated one. What is not a regular file (a device such as
    /dev/null, a FIFO or `>(gzip > x.gz)`, a socket) is written into as it
    is: renaming over it would replace the device or pipe with a private
    file, and the reader would get nothing. A symlink is followed: its
    target is written (atomically), the link stays.
    """
    descriptor = _descriptor(path)
    if descriptor is not None:
        with _into_descriptor(path, descriptor) as out:
            yield out
        return
    try:
        # stat follows symlinks: what counts is what the path leads to.
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None  # a new path, or a symlink to one: made below
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"cannot write {path}: it is a directory")
    if path.endswith("/"):
        # `-o backups/` for a directory not made yet: a file named backups was
        # written, where the user meant a directory.
        raise OutputError(
            f"cannot write {path}: a path ending in / names a directory, and there is none "
            "(give a file name)"
        )
    if mode is not None and not stat.S_ISREG(mode):
        with _in_place(path) as out:
            yield out
        return
    if mode is not None and (not mode & 0o222 or not os.access(path, os.W_OK)):
        if mode & 0o222 and _on_read_only_file_system(path):
            # Making the file writable would change nothing.
            raise OutputError(f"cannot write {path}: it is on a read-only file system")
        # A backup made read-only is kept so: replacing it (the rename needs only the
        # directory) would take no notice of what the user said.
        raise OutputError(f"cannot write {path}: it is read-only (make it writable to replace it)")
    # The link's target is the file to replace, in its own directory, so the
    # rename stays on one file system and the link keeps pointing at it.
    try:
        target = Path(os.path.realpath(path))
    except OSError:
        # realpath asks for the working directory of a relative path: gone when
        # the directory the command runs in was deleted.
        raise OutputError(f"cannot write {path}: the working directory no longer exists") from None
    try:
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{_shortened(target.name)}.")
    except PermissionError as exc:
        # The file is written beside its target and moved over it: the directory
        # must take a new file, whatever the file itself allows.
        raise OutputError(
            f"cannot write {path}: {exc.strerror} to make a file in {target.parent}",
            hint="the file is written there and then moved over the old one: "
            "write into a directory you may change, or make this one writable",
        ) from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with _terminations_raised():
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    except _Terminated as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        # Ended as the signal would have ended it, once the temporary is gone.
        signal.signal(exc.signum, signal.SIG_DFL)
        os.kill(os.getpid(), exc.signum)
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _on_read_only_file_system(path: str) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


# Of the 255 bytes a file name may have, what the temporary beside it keeps of the
# name: its dots and mkstemp's eight random characters take the rest. A name of
# 246 bytes or more was refused as "File name too long" (exit 74).
_TEMPORARY_NAME_BYTES = 200


def _shortened(name: str) -> str:
    while len(os.fsencode(name)) > _TEMPORARY_NAME_BYTES:
        name = name[:-1]
    return name


class _Terminated(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _terminations_raised() -> Iterator[None]:
    """SIGTERM and SIGHUP (`timeout`, a closed terminal, systemd) raise here, so
    that a half-written temporary is removed before the process ends by them.

    Their default ends the process at once, leaving the hidden temporary behind
    for good. A signal someone set to be ignored (nohup) stays ignored.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raised(signum: int, frame: object) -> None:
        raise _Terminated(signum)

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, raised)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# Paths that name a descriptor this process has open: /dev/stdout, /dev/fd/4,
# /proc/self/fd/4 (and /proc/PID/fd/4 of our own PID).
_DESCRIPTOR = re.compile(r"/dev/(?:std(out|err)|fd/([0-9]+))|/proc/(self|[0-9]+)/fd/([0-9]+)")


def _descriptor(path: str) -> int | None:
    """The open descriptor `path` names, through any symlinks to it, or None.

    /dev/stdout leads to whatever the shell opened, a regular file too: stat says
    "a file", and the atomic write replaced that file by name (the content of a
    `>>` log before it lost, a `{ ...; } > out` group's other output gone).
    """
    seen = 0
    while True:
        match = _DESCRIPTOR.fullmatch(os.path.normpath(path))
        if match is not None:
            std, fd, pid, proc_fd = match.groups()
            if pid is not None and pid != "self" and int(pid) != os.getpid():
                return None  # another process's: a path like any other
            number = {"out": 1, "err": 2}[std] if std else int(fd or proc_fd)
            return number
        try:
            link = os.readlink(path)
        except OSError:
            return None  # not a symlink (or not there): no descriptor's name
        seen += 1
        if seen > 40:
            return None  # a loop: the write says so
        path = os.path.join(os.path.dirname(path), link)


def _into_descriptor(path: str, descriptor: int) -> AbstractContextManager[IO[str]]:
    """Written into the open descriptor as `-o -` writes stdout: where it stands,
    appending if it appends, nothing replaced or truncated."""
    return _in_place(path, lambda: os.fdopen(os.dup(descriptor), "w", encoding="utf-8", newline=""))


@contextmanager
def _in_place(path: str, opened: Callable[[], IO[str]] | None = None) -> Iterator[IO[str]]:
    """A device, FIFO or socket opened for writing as it is (or what `opened` opens):
    no temporary, no chmod."""
    try:
        out = opened() if opened else open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with out:
            yield out
            out.flush()
    except BrokenPipeError:
        # A pipe's reader that left early (`-o /dev/stdout | head`, a FIFO) is no
        # error, as on stdout itself (`-o -`): callers take it as success.
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
