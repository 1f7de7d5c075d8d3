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
    """Whether a JSON object is one of ours (Taskwarrior's have uuid and description).

    Taskwarrior's export has an ``id`` too (the working-set number), and a
    user-defined attribute may be named ``title``: an object with Taskwarrior's
    own ``uuid`` and ``description`` is Taskwarrior's, whatever else it holds
    (read as ours, its uuid, status and entry were "not a field of a task").
    """
    if not isinstance(obj, dict) or "id" not in obj or "title" not in obj:
        return False
    return not ("uuid" in obj and "description" in obj)


def read(objects: Iterable[tuple[str, Any]]) -> ImportBatch:
    """Task records from our own JSON objects, each with its position for errors."""
    batch = ImportBatch()
    seen: dict[UUID, str] = {}
    for where, obj in objects:
        try:
            record = TaskRecord.from_json(obj, where)
        except InvalidRecord as bad:
            batch.problems.extend(bad.problems)
            rejected = _id_of(obj)
            if rejected is not None:
                batch.rejected.add(rejected)
            continue
        if record.id in seen:
            batch.problem(where, "id", f"{record.id} is also {seen[record.id]}")
            continue
        seen[record.id] = where
        batch.positions[record.id] = where
        batch.records.append(record)
        # What the import makes of a hand-edited task, said rather than done in silence.
        if not record.completed and record.completed_at is not None:
            batch.notices.append(f"{where}: completed_at of a task not completed: left out")
        if record.updated_at < record.created_at:
            batch.notices.append(f"{where}: updated_at is before created_at: taken as created_at")
    return batch


def _id_of(obj: Any) -> UUID | None:
    """The id of an object refused as a task, when it has a readable one."""
    value = obj.get("id") if isinstance(obj, dict) else None
    try:
        return UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


_PIECES: Final = 256


def encode(record: TaskRecord) -> str:
    """One task's object, as a line of the export holds it."""
    return _ENCODER.encode(record.to_json())


def encode_numbered(record: TaskRecord, number: int | None) -> str:
    """:func:`encode` of the record as if it held ``number``."""
    obj = record.to_json()
    obj["number"] = number
    return _ENCODER.encode(obj)


def encode_attributes(stored: str | None) -> str:
    """The ``attributes`` object of a task whose attributes are stored as ``stored``.

    The same steps as :func:`encode` takes from a task read the usual way
    (loaded, keys sorted, encoded), for the export the database writes.
    """
    if stored is None:
        return "{}"
    attributes = dict(json.loads(stored) or {})
    return _ENCODER.encode(dict(sorted(attributes.items())))


def write(records: Iterable[TaskRecord]) -> Iterator[str]:
    """The export document, a piece at a time: "[", one object a line, "]"."""
    return write_encoded(encode(record) for record in records)


def write_encoded(objects: Iterable[str]) -> Iterator[str]:
    """The export document of objects already encoded (see :func:`encode`)."""
    # Pieces go out a few hundred objects at a time: one write per task
    # costs more than the encoding at 100,000 tasks.
    count = 0
    pending: list[str] = []
    for encoded in objects:
        pending.append(("[\n" if count == 0 else ",\n") + encoded)
        count += 1
        if len(pending) == _PIECES:
            yield "".join(pending)
            pending.clear()
    if pending:
        yield "".join(pending)
    yield "[]\n" if count == 0 else "\n]\n"
