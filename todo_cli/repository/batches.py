"""Long lists of values, cut to fit one ``IN (...)`` each."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.engine import Connection

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


def ids_in(
    conn: Connection, column: ColumnElement[Any], ids: Sequence[UUID]
) -> ColumnElement[bool]:
    """`column IN ids` for a set a statement cannot be cut into parts for (one ordered,
    limited list): past IN_LIMIT, all of them in one parameter, an array on
    PostgreSQL and a JSON array of the stored hex on SQLite."""
    from sqlalchemy import any_, bindparam, func, literal_column, select

    if len(ids) <= IN_LIMIT:
        return column.in_(ids)
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam("ids", list(ids), type_=ARRAY(column.type)))
    import json

    # SQLite keeps ids as 32 hex digits (SQLAlchemy's Uuid without a native type).
    listed = json.dumps([task_id.hex for task_id in ids])
    return column.in_(select(literal_column("value")).select_from(func.json_each(listed)))
