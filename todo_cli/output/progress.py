"""A progress bar on stderr for long imports and exports, only where a person watches.

Nothing is drawn when stderr is not a terminal (a pipe, a log file), and
nothing for work that ends within about a second: the bar appears only once
the work has taken that long, so short commands stay quiet.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

# Work shorter than this shows no bar.
DELAY_S = 1.0


class Advance(Protocol):
    def __call__(self, count: int = 1) -> None: ...


@contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Advance]:
    """A function to call as work is done; draws a bar when it is worth it."""
    if not sys.stderr.isatty():
        yield _nothing
        return
    started = time.monotonic()
    bar: Any = None
    task: Any = None
    done = 0

    def advance(count: int = 1) -> None:
        nonlocal bar, task, done
        done += count
        if bar is None:
            if time.monotonic() - started < DELAY_S:
                return
            from rich.progress import Progress

            bar = Progress(transient=True, console=_stderr_console())
            bar.start()
            task = bar.add_task(label, total=total, completed=done)
            return
        bar.update(task, completed=done)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.stop()


def _nothing(count: int = 1) -> None:
    return None


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False, markup=False, emoji=False)
