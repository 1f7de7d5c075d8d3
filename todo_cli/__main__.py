"""Entry point of the `todo` executable and of `python -m todo_cli`.

No ``from __future__ import annotations`` here: importing ``__future__`` is a
tenth of a millisecond of every command the command server answers, and
nothing in this module needs it.
"""


def main() -> None:
    import sys

    # A Ctrl-C while the command is still being loaded (a quarter of a `todo list`
    # is imports) changed nothing: said as the command says it, not as a traceback.
    try:
        if sys.stdin is None:
            _stdin_from_devnull()
        made_blocking = _blocking_streams()
        # A running command server (`todo server start`) runs the command in a warm
        # child of its own; the client costs a few milliseconds and answers None
        # whenever the command must run here instead (no server, a stale one...).
        from todo_cli.server.client import run as run_on_server

        code = run_on_server(sys.argv[1:])
        if code is not None:
            # The command ran in the server's child, which wrote to our streams
            # itself: this process has nothing to flush or clean up, and the
            # interpreter's teardown would cost a tenth of a served command.
            import os

            _nonblocking_again(made_blocking)
            os._exit(code & 0xFF)

        import gc

        # One short-lived process: reference counting frees nearly everything, and
        # the cyclic collector's passes over hundreds of thousands of freshly
        # imported objects cost 30-50 ms a command (a second per 100,000 tasks of
        # bulk add) while finding almost nothing to free.
        gc.disable()
        from todo_cli.cli import command
        from todo_cli.cli import main as run
        from todo_cli.ending import end_process

        # Built here (once a process, cached) and not in run(): still loading, where
        # a Ctrl-C is said as one line (typer builds the group in a few ms).
        command()
    except KeyboardInterrupt:
        _interrupted_while_loading()

    try:
        run()
    except SystemExit as exc:
        # How every command line ends (click's standalone mode): the status
        # Python would give, without its teardown (todo_cli/ending.py says why).
        end_process(exc.code)
    end_process(0)


def _blocking_streams() -> "list[int]":
    """Make stdin, stdout and stderr blocking for the command, where the parent left them
    non-blocking (a pipe or terminal shared with an event loop, Node's): the fds they
    return to it, non-blocking again, when the command ends.

    Python's streams are not written for non-blocking fds: a write the pipe has no
    room for raised BlockingIOError, and with PYTHONUNBUFFERED output was cut short
    while the command said nothing and exited 0; a read took what the pipe held at
    that moment as all of stdin. Blocking, a pipe's reader sets the pace, as with cat.
    """
    import os

    made = []
    for fd in (0, 1, 2):
        try:
            if not os.get_blocking(fd):
                os.set_blocking(fd, True)
                made.append(fd)
        except OSError:
            pass  # closed: the command says so where it uses the stream
    if made:
        import atexit

        atexit.register(_nonblocking_again, made)
    return made


def _nonblocking_again(fds: "list[int]") -> None:
    """The parent's non-blocking fds as it left them (its event loop expects them so)."""
    import os

    for fd in fds:
        # (No contextlib here: this module imports nothing a served command need not.)
        try:  # noqa: SIM105
            os.set_blocking(fd, False)
        except OSError:
            pass


def _interrupted_while_loading() -> None:
    """Exit 130 with the one line every interrupted command prints (cli.app), as
    JSON under --json; a second Ctrl-C meanwhile is ignored, not a traceback.

    (It never returns; not annotated NoReturn: importing ``typing`` would cost
    every served command more than this whole module.)"""
    import os
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    message = "interrupted (nothing was changed)"
    if "--json" in sys.argv[1:]:
        line = '{"error":{"code":"interrupted","message":"' + message + '"}}'
    else:
        line = f"error: {message}"
    try:
        if sys.stderr.isatty():
            # The terminal echoed ^C where the cursor was: the error starts a line.
            sys.stderr.write("\n")
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass  # no stderr to tell: the status says it
    os._exit(130)


def _stdin_from_devnull() -> None:
    """A closed standard input (`todo add <&-`) reads as an empty one, not a terminal.

    Python leaves sys.stdin None then, and every command that asks "is stdin a
    terminal?" or reads it would fail on None. Empty is what the user meant: no
    tasks on stdin, no one to answer a prompt, exactly as with </dev/null. Opening
    /dev/null also takes descriptor 0 back, so that no file the command opens
    later (its database) becomes "standard input" by accident.
    """
    import os
    import sys

    fd = os.open(os.devnull, os.O_RDONLY)
    sys.stdin = open(fd, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115 (kept open)


if __name__ == "__main__":
    main()
