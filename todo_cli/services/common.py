"""What every service shares: handing results to the caller inside the transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
# Shows a command's result (the CLI renders and flushes it). Called inside the
# command's transaction, before the commit: output that cannot be written (a
# full disk) rolls the change back, so a script never loses the only copy of
# a new task's number while the task stays behind.
Report = Callable[[T], None]


def deliver(report: Report[T] | None, result: T) -> T:
    """Show `result`; a reader that went away (a broken pipe) is not a failure."""
    if report is not None:
        from todo_cli.errors import OutputError

        try:
            report(result)
        except BrokenPipeError:
            from todo_cli.output.render import reader_gone

            reader_gone()
        except (OutputError, OSError, UnicodeEncodeError) as exc:
            from todo_cli.output.render import as_output_error, reader_gone

            failed = exc if isinstance(exc, OutputError) else as_output_error(exc)
            if not isinstance(failed, OutputError):
                raise
            # What stayed in stdout's buffer must not fail again at exit.
            reader_gone()
            undone = f"{failed.hint}; nothing was changed" if failed.hint else "nothing was changed"
            raise OutputError(failed.message, hint=undone) from None
    return result
