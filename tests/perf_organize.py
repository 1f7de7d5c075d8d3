"""Benchmark: what organizing tasks and dependencies cost, as ratios measured in one run.

Run it from the checkout with the project's interpreter::

    python -m tests.perf_organize                 # 100,000 tasks, 5 rounds
    python -m tests.perf_organize --size 10000 --repeat 3

Not a test (the suite checks behaviour, never seconds). Every command is a
real `todo` process on SQLite, started by tests/perf.py's spawner, round-robin
with its baseline so a busier machine slows both alike; a ratio is the median
of the per-round ratios. It measures:

* `todo add` with four modifiers (`+tag project: due: pri:`) against the stack
  floor (`python -c "import typer, sqlalchemy, pydantic"`): the date parser
  and the filter language must import nothing heavy (target <= 1.15x);
* at N open tasks with tags, projects and due dates against the same at 100:
  `list --limit 50` (urgency order) and `list +tag project:x --limit 50`
  (target <= 1.3x each; tests/test_organize_process.py checks the query plan);
* `list --limit 50` and `list --all --json` at N tasks of which 10,000 have a
  dependency, against the same database without them (target <= 1.3x);
* `done +phone` and `reopen +phone` in turns on N/5 tasks, against `list
  +phone --all --json` of the same tasks (target <= 4x: linear in the tasks).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.perf import Spawner, todo_command

FLOOR = [sys.executable, "-c", "import typer, sqlalchemy, pydantic"]
# done/reopen of N tasks against listing them: it writes each row and its journal
# image too, so a few times the listing; quadratic work would be hundreds of times.
BULK_TARGET = 4.0
PROJECTS = ("home", "home.garden", "work", "work.admin", "errands")
TAGS = ("phone", "errand", "garden", "email", "read")


def task_lines(n: int) -> str:
    """N tasks with a tag, a project, a due date and (every third) a priority."""
    lines = []
    for i in range(n):
        due = f"2027-{1 + i % 12:02d}-{1 + i % 28:02d}"
        pri = " pri:H" if i % 3 == 0 else ""
        lines.append(
            f"Task {i} +{TAGS[i % len(TAGS)]} project:{PROJECTS[i % len(PROJECTS)]} due:{due}{pri}"
        )
    return "\n".join(lines) + "\n"


def make_database(path: Path, n: int, env: dict[str, str]) -> None:
    source = path.with_suffix(".txt")
    source.write_text(task_lines(n), encoding="utf-8")
    with source.open("rb") as stdin:
        subprocess.run(
            [*todo_command(), "add"],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            env=env | {"TODO_DATABASE_URL": f"sqlite:///{path}"},
            check=True,
        )


def add_dependencies(path: Path, count: int) -> None:
    """`count` tasks each waiting on the task after them (written outside todo)."""
    with sqlite3.connect(path) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM tasks ORDER BY number")]
        pairs = [(ids[i], ids[i + 1]) for i in range(0, min(count * 2, len(ids) - 1), 2)]
        conn.executemany(
            "INSERT INTO task_dependencies (task_id, depends_on_id) VALUES (?, ?)",
            pairs[:count],
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="todo-perf-organize-"))
    try:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "TODO_USER": "alice",
            "TODO_SERVER": "off",
            "TODO_CONFIG": str(root / "none.toml"),
            "TZ": "Europe/Berlin",
            "PYTHONDONTWRITEBYTECODE": "",
        }
        env = {k: v for k, v in env.items() if v}
        small, big, deps = root / "small.db", root / "big.db", root / "deps.db"
        print(f"preparing {args.size:,} tasks ...", flush=True)
        make_database(small, 100, env)
        make_database(big, args.size, env)
        shutil.copy(big, deps)
        add_dependencies(deps, 10_000)
        todo = todo_command()

        def at(path: Path) -> dict[str, str]:
            return env | {"TODO_DATABASE_URL": f"sqlite:///{path}"}

        scratch = root / "scratch.db"
        shutil.copy(small, scratch)
        modifiers = ["add", "Call the bank", "+finance", "project:home.admin", "due:fri", "pri:H"]
        pairs = {
            "add with four modifiers vs the stack floor": (
                (FLOOR, env),
                ([*todo, *modifiers], at(scratch)),
                1.15,
            ),
            f"list --limit 50 at {args.size:,} vs at 100": (
                ([*todo, "list", "--limit", "50"], at(small)),
                ([*todo, "list", "--limit", "50"], at(big)),
                1.3,
            ),
            f"list +phone project:home --limit 50 at {args.size:,} vs at 100": (
                ([*todo, "list", "+phone", "project:home", "--limit", "50"], at(small)),
                ([*todo, "list", "+phone", "project:home", "--limit", "50"], at(big)),
                1.3,
            ),
            "list --limit 50 with 10,000 dependencies vs without": (
                ([*todo, "list", "--limit", "50"], at(big)),
                ([*todo, "list", "--limit", "50"], at(deps)),
                1.3,
            ),
            "list --all --json with 10,000 dependencies vs without": (
                ([*todo, "list", "--all", "--json"], at(big)),
                ([*todo, "list", "--all", "--json"], at(deps)),
                1.3,
            ),
        }
        spawner = Spawner(root)
        times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in pairs}
        for round_ in range(args.repeat + 1):  # the first is a warm-up
            for name, ((base, base_env), (cmd, cmd_env), _) in pairs.items():
                order = [(0, base, base_env), (1, cmd, cmd_env)]
                if round_ % 2:
                    order.reverse()
                for side, argv_, env_ in order:
                    seconds = spawner.measure(argv_, env_, None).seconds
                    if round_:
                        times[name][side].append(seconds)
        targets = {name: target for name, (_, _, target) in pairs.items()}
        # A fifth of the tasks (+phone) completed and reopened by filter, in turns
        # (each takes back the other), against listing the same tasks as JSON: a
        # command on many tasks must stay linear in them (reading who waits on whom
        # was quadratic, minutes for 65,000 tasks).
        bulk = f"done/reopen +phone on {args.size // 5:,} vs listing them"
        targets[bulk] = BULK_TARGET
        times[bulk] = ([], [])
        turns = root / "turns.db"
        shutil.copy(big, turns)
        listing = [*todo, "list", "+phone", "--all", "--json"]
        for round_ in range(args.repeat + 1):
            verb = "reopen" if round_ % 2 else "done"
            base_s = spawner.measure(listing, at(turns), None).seconds
            cmd_s = spawner.measure([*todo, verb, "+phone"], at(turns), None).seconds
            if round_:
                times[bulk][0].append(base_s)
                times[bulk][1].append(cmd_s)
        print(f"todo organize benchmark: {args.size:,} tasks, {args.repeat} rounds, SQLite")
        print(f"{'':60} {'baseline':>10} {'measured':>10} {'ratio':>7}  target")
        met = True
        for name, target in targets.items():
            base_t, cmd_t = times[name]
            ratio = statistics.median(c / b for b, c in zip(base_t, cmd_t, strict=True))
            ok = ratio <= target
            met &= ok
            print(
                f"{name:60} {statistics.median(base_t) * 1000:8.1f}ms "
                f"{statistics.median(cmd_t) * 1000:8.1f}ms {ratio:6.2f}x  <= {target}x"
                f"{'' if ok else '  (missed)'}"
            )
        print(f"\nTotal {time.perf_counter() - began:.0f} s.")
        return 0 if met else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
