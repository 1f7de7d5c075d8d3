"""Long lists of values, cut to fit one ``IN (...)`` each."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

# Values per IN (...). Every value is a bound parameter, and a statement may bind
# only so many: PostgreSQL's protocol 65,535, SQLite 32,766 as built by default
# (250,000 as some systems build it). A command may name every task a user has
# (`todo done +tag` on 70,000 tasks, a re-import of a whole file): one statement
# of them all would fail past the limit. A thousand at a time stays far inside it,
# with room for the statement's own parameters.
IN_LIMIT = 1000


def chunked(values: Sequence[T], size: int | None = None) -> Iterator[Sequence[T]]:
    """`values` in order, `size` (IN_LIMIT, read at the call) at a time; none for none."""
    size = size or IN_LIMIT
    for start in range(0, len(values), size):
        yield values[start : start + size]
