"""Ids of new rows: UUIDs whose first 48 bits are the time they were made (version 7).

A random (version 4) id lands anywhere in every index it is a key of: the table's
primary key, the journal's row key, the tags' and notes' task key. Adding 100,000
tasks then rewrites pages all over each B-tree. Ids that grow with time append at
the end instead, which is what makes a journaled bulk add and an import markedly
faster (see tests/perf_journal.py). They are still UUIDs (RFC 9562, version 7): an
id made here never collides with one made elsewhere, and nothing reads meaning
into them beyond their order.

Ids made in one call share the millisecond and count up from a random start in the
74 bits below it, so a batch is strictly increasing however large it is, and two
processes in the same millisecond still differ in 73 random bits.
"""

from __future__ import annotations

import os
import time
from uuid import UUID

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
