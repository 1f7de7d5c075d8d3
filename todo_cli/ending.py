"""How a `todo` process ends: what Python does last, without the interpreter's teardown.

Once a command is done, Python would still wait for its threads, run the
atexit handlers, flush stdout and stderr, and then tear the interpreter
down: clear hundreds of modules, run finalizers and weakref callbacks, and
collect everything the command left (the cyclic collector is off for the
command, see todo_cli.__main__). That teardown was about a quarter of a
`todo add` (~100 ms measured against the same command ending normally) and
frees memory the operating system takes back anyway. Everything that matters
has happened by then: each command commits or rolls back and closes its
connection before it returns, and files are written in `with` blocks.

Imports ``contextlib``, ``os`` and ``sys`` only (``threading`` is looked at
only when it was imported); the command server's child ends its commands
with the same two steps.
"""

import contextlib
import os
import sys


def exit_code(value: object) -> int:
    """The status Python gives ``SystemExit(value)``: None is 0, text is printed and 1."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def flush_standard_streams(code: int) -> int:
    """What Python does last: flush stdout (a failure is exit 120) and stderr."""
    try:
        sys.stdout.flush()
    except Exception as exc:  # what Python itself reports, and how
        with contextlib.suppress(Exception):
            sys.stderr.write(f"Exception ignored in: {sys.stdout!r}\n")
            sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        code = 120
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    return code


def end_process(value: object) -> None:
    """Exit with ``SystemExit(value)``'s status, as Python would, minus the teardown.

    A thread still running that is not a daemon is waited for by Python
    before it exits: then this exits the usual way, which does that.
    """
    code = exit_code(value)
    threading = sys.modules.get("threading")
    if threading is not None and any(
        thread.is_alive() and not thread.daemon and thread is not threading.main_thread()
        for thread in threading.enumerate()
    ):
        sys.exit(code)
    import atexit

    atexit._run_exitfuncs()
    code = flush_standard_streams(code)
    # os._exit takes the status as the shell sees it: Python's exit(256) is 0.
    os._exit(code & 0xFF)
