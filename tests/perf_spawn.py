"""The benchmark's spawner: a small process that starts each measured command.

Why a separate process: on Linux a child's ``ru_maxrss`` is the larger of its
own peak and the resident size of the process it was forked from at the moment
it called exec (the kernel carries the old address space's high-water mark
across exec). Started straight from the benchmark, which holds SQLAlchemy,
psycopg and the 100,000-task import file, `python -c pass` would "peak" at the
benchmark's own 40+ MiB. Started from here, a child's figure is its own peak,
or this process's resident size (reported as the floor) if that is larger.

Run as ``python -S -E perf_spawn.py CWD``: no site packages, only built-in
modules, so it stays at the interpreter's bare minimum. It reads requests from
stdin and answers on stdout, each a 4-byte big-endian length and a marshal
payload (marshal is built in, json would cost an import):

* request ``(argv, env, stdin_path, stderr_path)``; ``argv[0]`` is an absolute path;
* answer ``(exit_status, seconds, peak_rss_bytes)``, exit status as
  ``os.waitstatus_to_exitcode`` gives it. The first answer, unasked, is
  ``(0, 0.0, own_rss_bytes)``: the floor below which figures mean nothing.
"""

from __future__ import annotations

import marshal
import os
import sys
import time

# Not `typing.TYPE_CHECKING`: importing typing would add 1.7 MiB to the floor
# this process puts under every measured child. Type checkers honour the name.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO


def read_message(stream: IO[bytes]) -> object | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    message: object = marshal.loads(stream.read(int.from_bytes(header, "big")))
    return message


def write_message(stream: IO[bytes], payload: bytes) -> None:
    """Send one marshalled message (framed: 4-byte big-endian length first)."""
    stream.write(len(payload).to_bytes(4, "big") + payload)
    stream.flush()


def maxrss_bytes(ru_maxrss: int) -> int:
    # Linux reports KiB, macOS bytes.
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024


def own_rss_bytes() -> int:
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run(argv: list[str], env: dict[str, str], stdin: str, stderr: str) -> tuple[int, float, int]:
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    # wait4 gives this child's own rusage, not a sum over every child so far.
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    return os.waitstatus_to_exitcode(status), elapsed, maxrss_bytes(usage.ru_maxrss)


def main() -> None:
    # posix_spawn has no chdir action before Python 3.13: every child starts here.
    os.chdir(sys.argv[1])
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    write_message(answers, marshal.dumps((0, 0.0, own_rss_bytes())))
    while (request := read_message(requests)) is not None:
        if not isinstance(request, tuple) or len(request) != 4:
            raise SystemExit(f"perf_spawn: bad request {request!r}")
        argv, env, stdin, stderr = request
        try:
            answer = run(argv, env, stdin, stderr)
        except OSError as exc:
            # Could not start it at all (a missing binary): say so as exit 127, as a shell would.
            with open(stderr, "w", encoding="utf-8") as err:
                err.write(f"cannot start {argv[0]}: {exc}\n")
            answer = (127, 0.0, 0)
        write_message(answers, marshal.dumps(answer))


if __name__ == "__main__":
    main()
