"""Ids of new rows: random ones for what people name, time-ordered ones for the rest.

A task or conversation is named by a prefix of its id (``todo show 3f2a91c0``), so its
id is random (version 4): eight hex digits tell two tasks apart however close in time
they were made (among 10,000 tasks two share eight digits once in about 90 databases).

Ids nobody types (notes, messages, operations, series) are time-ordered (RFC 9562,
version 7: the millisecond they were made, then random bits). A random id lands
anywhere in every index it is a key of, so writing many rows rewrites pages all over
each B-tree; ids that grow with time append at the end instead (a chat-log import's
messages, an import's notes, the journal's operations). Ids made in one call share
the millisecond and count up from a random start in the 74 bits below it, so a batch
is strictly increasing however large it is, and two processes in the same millisecond
still differ in 73 random bits.
"""

from __future__ import annotations

import os
import time
from uuid import UUID, uuid4, uuid5

_RANDOM_BITS = 74  # rand_a (12 bits) and rand_b (62 bits) of RFC 9562's layout
_VERSION = 7 << 76
_VARIANT = 0b10 << 62
_LOW_62 = (1 << 62) - 1


def new_ids(count: int, *, now_ms: int | None = None) -> list[UUID]:
    """`count` new ids, strictly increasing, made at `now_ms` (the clock's by default)."""
    stamp = (time.time_ns() // 1_000_000 if now_ms is None else now_ms) & ((1 << 48) - 1)
    # The top bit clear leaves room to count up by any possible count without carrying
    # into the time.
    start = int.from_bytes(os.urandom(10), "big") >> (80 - _RANDOM_BITS + 1)
    high = stamp << 80 | _VERSION
    ids = []
    for offset in range(count):
        bits = start + offset
        ids.append(UUID(int=high | (bits >> 62) << 64 | _VARIANT | bits & _LOW_62))
    return ids


def new_id() -> UUID:
    """One new id (see `new_ids`)."""
    return new_ids(1)[0]


def reference_ids(count: int) -> list[UUID]:
    """`count` random (version 4) ids, for rows people name by a prefix of their id.

    Time-ordered ids made close together share their leading digits (the same
    minute shares eight), which would make `todo show 01a2308f` ambiguous.
    """
    # One read of the system's randomness for all of them, not one each as uuid4
    # does: 0.14 s instead of 0.28 s for 100,000 ids.
    random = os.urandom(16 * count)
    return [UUID(bytes=random[at : at + 16], version=4) for at in range(0, 16 * count, 16)]


def reference_id() -> UUID:
    """One random id for a row people name by a prefix of its id."""
    return uuid4()


# The namespace of successor_id's ids: fixed, so every database derives the same one.
_SUCCESSOR: UUID = UUID("9d3b6c1e-52a4-4f0e-8c71-3e5a9b2d7f40")


def successor_id(task_id: UUID) -> UUID:
    """The id the next task of a recurring task's series takes when it is completed.

    Derived from the completed task's id, not random: two databases kept in step by
    exports of our JSON, each completing the same task, make the same next task, and
    importing one's file into the other updates it instead of adding a second open
    copy of the occurrence. Where a task holds it already (the task made by an
    earlier completion, reopened since), the next task gets a random id.
    """
    return uuid5(_SUCCESSOR, str(task_id))


def is_uuid(text: str) -> bool:
    """Whether ``text`` is a UUID as UUID() reads one (with or without dashes, braces)."""
    try:
        UUID(text)
    except ValueError:
        return False
    return True
