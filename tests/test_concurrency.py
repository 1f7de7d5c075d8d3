"""Many processes at once: numbers stay distinct, nothing fails with "locked"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, Todo

PROCESSES = 20


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "todo_cli", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_twenty_processes_adding_at_once_get_distinct_numbers(todo: Todo) -> None:
    env = dict(os.environ) | todo.env | {"TODO_CONNECT_RETRIES": "3"}
    procs = [_spawn(["add", f"task {i}", "--json"], env) for i in range(PROCESSES)]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    failures = [
        err.decode() for proc, (_, err) in zip(procs, outputs, strict=True) if proc.returncode != 0
    ]
    assert failures == []
    numbers = sorted(json.loads(out)["number"] for out, _ in outputs)
    assert numbers == list(range(1, PROCESSES + 1))


def test_twenty_processes_creating_a_new_user_at_once(todo: Todo) -> None:
    env = dict(os.environ) | todo.env | {"TODO_USER": "newcomer", "TODO_CONNECT_RETRIES": "3"}
    procs = [_spawn(["add", f"task {i}"], env) for i in range(PROCESSES)]
    for proc in procs:
        proc.communicate(timeout=120)
        assert proc.returncode == 0
    listed = json.loads(todo.as_user("newcomer").process("list", "--json").stdout)
    assert sorted(t["number"] for t in listed) == list(range(1, PROCESSES + 1))


def test_first_use_of_a_new_sqlite_file_from_many_processes(tmp_path: Path) -> None:
    env = dict(os.environ) | {
        "TODO_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "TODO_USER": "alice",
    }
    procs = [_spawn(["add", f"task {i}"], env) for i in range(10)]
    errors = []
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            errors.append(err.decode())
    assert errors == []
    listed = subprocess.run(
        [sys.executable, "-m", "todo_cli", "list", "--json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    assert len(json.loads(listed.stdout)) == 10
