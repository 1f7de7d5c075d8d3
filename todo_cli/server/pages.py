"""Copy ahead the memory pages a command will write (Linux).

A forked child shares the server's memory until it writes to it; its first
write to each page copies that page (copy-on-write). CPython writes to every
object it touches (reference counts), so a command copies a few thousand
pages, and on a virtual machine each copy costs about 10 microseconds: half
the time a warm `todo list` takes in its child.

So children learn and spares rehearse. A child that has served a command
records which pages it had to copy (``/proc/self/pagemap``: present and
exclusively mapped) in a file next to the socket, merged with what earlier
children recorded. A spare, forked while no command runs, asks the kernel to
copy those pages now (``madvise(MADV_POPULATE_WRITE)``: a write fault without
a write; the data is untouched), a slice at a time, and stops as soon as its
connection arrives. The cost is memory: a spare holds the copies (the
``pages`` figure of `todo server status`), as the child would have after its
first command anyway.

Everything here is an optimisation: any failure leaves the pages to be copied
on demand, as they always would be.
"""

from __future__ import annotations

import array
import contextlib
import os
import select
import time
from collections.abc import Iterator, Sequence

PAGE = os.sysconf("SC_PAGE_SIZE")
# Linux 5.14+; older kernels answer EINVAL and nothing is copied ahead.
MADV_POPULATE_WRITE = 23
# The first commands of a server all add to the record; after that it is
# refreshed at most this often (a child spends ~3 ms on it)...
EAGER_COMMANDS = 32
LEARN_EVERY_S = 10.0
# ...and holds at most this many pages (32 MiB), so that every spare and every
# child does not end up with a private copy of the whole server.
MOST_PAGES = 8192
# Pages copied per madvise call between two looks for a connection (~2 ms).
SLICE = 192


def writable_private_ranges() -> list[tuple[int, int]]:
    """This process's private writable mappings, as (first page, end page)."""
    ranges = []
    with open("/proc/self/maps", "rb") as maps:
        for line in maps:
            fields = line.split(maxsplit=2)
            if len(fields) > 1 and fields[1] == b"rw-p":
                start, end = (int(x, 16) for x in fields[0].split(b"-"))
                ranges.append((start // PAGE, end // PAGE))
    return ranges


def copied_pages() -> set[int]:
    """The pages this process has its own copy of: written since the fork, or new."""
    found: set[int] = set()
    with open("/proc/self/pagemap", "rb") as pagemap:
        for first, end in writable_private_ranges():
            pagemap.seek(first * 8)
            entries = array.array("Q")
            entries.frombytes(pagemap.read((end - first) * 8))
            # Bit 63: present; bit 56: exclusively mapped (readable unprivileged).
            found.update(first + i for i, e in enumerate(entries) if e >> 56 & 0x81 == 0x81)
    return found


def read_record(path: str) -> set[int]:
    try:
        with open(path, "rb") as record:
            pages = array.array("Q")
            pages.frombytes(record.read())
    except (OSError, ValueError):
        return set()
    return set(pages)


def learn(path: str, *, eager: bool) -> None:
    """Merge this child's copied pages into the record, unless it is recent."""
    with contextlib.suppress(OSError):
        if not eager and time.time() - os.stat(path).st_mtime < LEARN_EVERY_S:
            return
    pages = copied_pages()
    merged = pages | read_record(path)
    if len(merged) <= MOST_PAGES:
        pages = merged
    elif len(pages) > MOST_PAGES:
        pages = set(sorted(pages)[:MOST_PAGES])
    partial = f"{path}.{os.getpid()}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(partial, flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(array.array("Q", sorted(pages)).tobytes())
    os.replace(partial, path)


def runs(pages: set[int], ranges: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The recorded pages still mapped private and writable here, as (first, count)
    runs of at most SLICE pages: an unmapped page would fail the whole call."""
    if not pages:
        return
    ordered = sorted(pages)
    index = 0
    for first, end in sorted(ranges):
        while index < len(ordered) and ordered[index] < first:
            index += 1
        while index < len(ordered) and ordered[index] < end:
            start = ordered[index]
            count = 1
            index += 1
            while (
                index < len(ordered)
                and ordered[index] == start + count
                and ordered[index] < end
                and count < SLICE
            ):
                count += 1
                index += 1
            yield start, count


def copy_ahead(path: str, watch: Sequence[int]) -> int:
    """Copy the recorded pages until one of the ``watch`` fds is readable; how many."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    madvise = libc.madvise
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    madvise.restype = ctypes.c_int
    waiting = select.poll()
    for fd in watch:
        waiting.register(fd, select.POLLIN)
    done = 0
    for start, count in runs(read_record(path), writable_private_ranges()):
        if waiting.poll(0):
            break  # the connection is here: serve it, the rest copies on demand
        if madvise(start * PAGE, count * PAGE, MADV_POPULATE_WRITE) != 0:
            if ctypes.get_errno() == 22:  # EINVAL: a kernel without it
                break
            continue  # one run changed under us (ENOMEM, EFAULT): skip it
        done += count
    return done
