"""Twenty processes complete the same recurring task at once: the series gets one successor.

On SQLite (BEGIN IMMEDIATE serialises the writers), on PostgreSQL (the UPDATE
waits for the first process's row lock, then finds nothing left to change), and
on PostgreSQL through PgBouncer in transaction mode, as Neon's pooled endpoint.
Every process exits 0: the one that completed the task reports the successor
under `created`, the others find the task already done and create nothing.
Run with ``-s`` to print the outcome per backend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from tests import test_pgbouncer
from tests.conftest import REPO, Todo, sql_rows

PROCESSES = 20
BERLIN = ZoneInfo("Europe/Berlin")

# The pooler of tests/test_pgbouncer.py, started for this module, and `todo` through it.
bouncer = test_pgbouncer.bouncer
pooled = test_pgbouncer.pooled


class BerlinTodo(Todo):
    """`todo` run with TZ=Europe/Berlin: the due typed and the successor's are Berlin days."""

    @property
    def env(self) -> dict[str, str]:
        return super().env | {"TZ": "Europe/Berlin"}


def _due() -> str:
    day = datetime.now(BERLIN).date()
    return (day + timedelta(days=14 - day.weekday())).isoformat()  # a Monday, 8-14 days on


def _series_counts(url: str, series_id: str) -> tuple[int, int]:
    """(tasks, open tasks) in a series, read from the `tasks` table itself."""
    key = UUID(series_id).hex if url.startswith("sqlite") else series_id
    ((total, still_open),) = sql_rows(
        url,
        "SELECT count(*), coalesce(sum(CASE WHEN completed THEN 0 ELSE 1 END), 0)"
        " FROM tasks WHERE series_id = :series",
        series=key,
    )
    return int(total), int(still_open)


# A real `todo` process that loads its modules, says it is ready, and waits for
# a byte on stdin (the start line), so that all of them reach the database
# together instead of one after the other as their imports finish.
_AT_THE_LINE = """
import sys
from pathlib import Path
ready, *args = sys.argv[1:]
import psycopg, sqlalchemy
import todo_cli.cli, todo_cli.services.tasks
from todo_cli.__main__ import main
Path(ready).touch()
sys.stdin.buffer.read(1)
sys.argv = ["todo", *args]
main()
"""


def _complete_at_once(todo: Todo, ref: str, base: Path) -> list[tuple[int, str, str]]:
    """`done REF --json` from PROCESSES processes released together: (exit, stdout, stderr)."""
    env = dict(os.environ) | todo.env | {"TODO_CONNECT_RETRIES": "3"}
    readies = [base / f"ready-{i}" for i in range(PROCESSES)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _AT_THE_LINE, str(ready), "done", ref, "--json"],
            env=env,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for ready in readies
    ]
    deadline = time.monotonic() + 120
    while not all(ready.exists() for ready in readies) and time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in procs):
            break  # one died before the line: its output says why
        time.sleep(0.01)
    for proc in procs:  # go
        assert proc.stdin is not None
        proc.stdin.write(b"g")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=180) for proc in procs]
    return [
        (proc.returncode, out.decode(), err.decode())
        for proc, (out, err) in zip(procs, outputs, strict=True)
    ]


def _check_one_successor(label: str, todo: Todo, direct_url: str, base: Path) -> None:
    todo = BerlinTodo(todo.url, todo.user)
    added = todo("add", "Water the plants", f"due:{_due()}", "recur:weekly", "--json")
    assert added.exit_code == 0, added.stderr
    first: dict[str, Any] = added.json()
    results = _complete_at_once(todo, "1", base)
    exits = Counter(code for code, _, _ in results)
    assert exits == {0: PROCESSES}, [err for code, _, err in results if code != 0]
    reports = [json.loads(out)[0] for _, out, _ in results]
    assert all(report["completed"] for report in reports)
    created = [task for report in reports for task in report["created"]]
    total, still_open = _series_counts(direct_url, first["series_id"])
    print(
        f"\n{label}: {exits[0]} of {PROCESSES} exit 0, {len(created)} created a successor,"
        f" the series has {total} tasks of which {still_open} open"
    )
    assert len(created) == 1
    assert (total, still_open) == (2, 1)
    listed = todo("list", "--json")
    assert [task["number"] for task in listed.json()] == [created[0]["number"]]
    expected_due = date.fromisoformat(_due()) + timedelta(days=7)
    due = datetime.fromisoformat(created[0]["due"]).astimezone(BERLIN).date()
    assert due == expected_due


def test_twenty_processes_completing_one_recurring_task_make_one_successor(
    todo: Todo, backend: str, tmp_path: Path
) -> None:
    _check_one_successor(backend, todo, todo.url, tmp_path)


def test_twenty_processes_through_pgbouncer_make_one_successor(
    pooled: Todo, db_url: str, tmp_path: Path
) -> None:
    label = "postgresql through pgbouncer (transaction mode)"
    _check_one_successor(label, pooled, db_url, tmp_path)
