"""todo's own JSON: every task with every field, lossless.

An export is a JSON array with one task object per line, keys in the order
of :meth:`~todo_cli.formats.interchange.TaskRecord.to_json`. Export, import
into an empty database and export again gives the same bytes: times carry
their microseconds, tags, notes, dependencies and attribute keys are sorted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Final
from uuid import UUID

from todo_cli.formats.interchange import ImportBatch, InvalidRecord, TaskRecord

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def looks_like(obj: Any) -> bool:
    """Whether a JSON object is one of ours (Taskwarrior's have uuid and description)."""
    return isinstance(obj, dict) and "id" in obj and "title" in obj


def read(objects: Iterable[tuple[str, Any]]) -> ImportBatch:
    """Task records from our own JSON objects, each with its position for errors."""
    batch = ImportBatch()
    seen: dict[UUID, str] = {}
    for where, obj in objects:
        try:
            record = TaskRecord.from_json(obj, where)
        except InvalidRecord as bad:
            batch.problems.extend(bad.problems)
            continue
        if record.id in seen:
            batch.problem(where, "id", f"{record.id} is also {seen[record.id]}")
            continue
        seen[record.id] = where
        batch.positions[record.id] = where
        batch.records.append(record)
    return batch


_PIECES: Final = 256


def write(records: Iterable[TaskRecord]) -> Iterator[str]:
    """The export document, a piece at a time: "[", one object a line, "]"."""
    # Pieces go out a few hundred objects at a time: one write per task
    # costs more than the encoding at 100,000 tasks.
    count = 0
    pending: list[str] = []
    for record in records:
        pending.append(("[\n" if count == 0 else ",\n") + _ENCODER.encode(record.to_json()))
        count += 1
        if len(pending) == _PIECES:
            yield "".join(pending)
            pending.clear()
    if pending:
        yield "".join(pending)
    yield "[]\n" if count == 0 else "\n]\n"
