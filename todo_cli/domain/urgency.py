"""Urgency: one number saying what to do first. `todo list` sorts by it.

The formula (also in README.md), a sum of terms:

=============  ==========================================================
priority       H 6.0, M 3.9, L 1.8, none 0
due            12.0 x a factor rising with the due date: 0.2 when it is
               14 days away or more, growing linearly to 1.0 when it is
               7 days overdue or more (about 0.73 on the day it is
               due); no due 0
age            2.0 x the task's age in days / 365, at most 2.0
tags           1.0 x 0.8 for one tag, 0.9 for two, 1.0 for three or more
project        1.0 when the task is in a project
blocking       8.0 when an open task waits on this one
blocked        -5.0 when this task waits on an open task
=============  ==========================================================

The weights follow Taskwarrior's defaults, so a list sorted by `todo` looks
familiar to its users. The same formula is computed by the database when a
list is sorted (``repository.tasks``, from these constants) and here in
Python for a task just written; a test holds the two to the same numbers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

PRIORITY: Final = {"H": 6.0, "M": 3.9, "L": 1.8}
DUE: Final = 12.0
AGE: Final = 2.0
AGE_DAYS: Final = 365.0
TAGS: Final = 1.0
TAG_STEPS: Final = (0.0, 0.8, 0.9, 1.0)  # by count: none, one, two, three or more
PROJECT: Final = 1.0
BLOCKING: Final = 8.0
BLOCKED: Final = -5.0

# The due factor: 0.2 at 14 days away or more, 1.0 at 7 days overdue or more,
# linear in between (21 days from one to the other).
DUE_FAR_DAYS: Final = 14.0
DUE_LATE_DAYS: Final = 7.0
DUE_MIN: Final = 0.2
DUE_SPAN: Final = 0.8
SECONDS_PER_DAY: Final = 86400.0


def due_factor(days_overdue: float) -> float:
    """0.2 to 1.0 from how many days past due (negative: days still to go)."""
    if days_overdue >= DUE_LATE_DAYS:
        return 1.0
    if days_overdue >= -DUE_FAR_DAYS:
        return (days_overdue + DUE_FAR_DAYS) * DUE_SPAN / (DUE_FAR_DAYS + DUE_LATE_DAYS) + DUE_MIN
    return DUE_MIN


def urgency(
    *,
    priority: str | None,
    due: datetime | None,
    created_at: datetime,
    tag_count: int,
    has_project: bool,
    blocking: bool = False,
    blocked: bool = False,
    completed: bool = False,
    now: datetime,
) -> float:
    if completed:
        # Urgency ranks the work still to do: a done task has none, and sorts after it.
        return 0.0
    score = PRIORITY.get(priority or "", 0.0)
    if due is not None:
        score += DUE * due_factor((now - due).total_seconds() / SECONDS_PER_DAY)
    age_days = (now - created_at).total_seconds() / SECONDS_PER_DAY
    score += AGE * min(max(age_days, 0.0) / AGE_DAYS, 1.0)
    score += TAGS * TAG_STEPS[min(tag_count, len(TAG_STEPS) - 1)]
    score += PROJECT if has_project else 0.0
    score += BLOCKING if blocking else 0.0
    score += BLOCKED if blocked else 0.0
    return rounded(score)


def rounded(score: float) -> float:
    """Urgency as shown and sorted on: 4 decimals, so both backends agree exactly."""
    return round(score, 4)
