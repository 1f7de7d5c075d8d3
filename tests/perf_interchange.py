"""Benchmark: `todo import` and `todo export` of 100,000 tasks, beside Taskwarrior doing the same.

Run it from the checkout with the project's interpreter::

    python -m tests.perf_interchange                 # 100,000 tasks, 3 rounds
    python -m tests.perf_interchange --quick         # 10,000 tasks, 1 round
    python -m tests.perf_interchange --no-postgres --size 50000

Not a test: it measures, and checks the issue's targets at the end.

- import: ``todo import FILE`` of a Taskwarrior export of N tasks (a JSON array,
  as ``task export`` writes; tags, a project, a due and annotations on some)
  into an empty database, against ``task import FILE`` of the same file into an
  empty data directory. Target: todo's peak memory under 300 MiB.
- update: ``todo import FILE2`` of a tenth of those tasks, each changed later in
  Taskwarrior (a longer description, a newer ``modified``, a tag more), into a
  copy of the database holding the first import, against ``task import FILE2``
  into a copy of Taskwarrior's data holding it: a sync of what changed. No
  target: measured so that an import which updates is seen beside one that adds.
  (Taskwarrior's update of an existing task grows with the tasks it holds: all
  100,000 changed took it over eight minutes, 10,000 of 100,000 about 8 s.)
- export: ``todo export --all`` (our own JSON) of N tasks against ``task
  export`` of the same N tasks. Targets: todo's peak memory under 100 MiB, and
  faster than Taskwarrior.

It reuses tests/perf.py: the small spawner process that starts each command and
reads that child's own peak RSS (``os.wait4``), the private PostgreSQL server
(or ``TODO_TEST_DATABASE_URL``), the child environment, round-robin rounds after
an unrecorded warm-up, and the table. Everything lives in a private temporary
directory: databases, config, Taskwarrior's TASKRC and TASKDATA.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.perf import (
    BACKEND_NAMES,
    TASK_RC,
    Bench,
    BenchError,
    Check,
    Plan,
    Postgres,
    Spawner,
    _copy_sqlite,
    _fresh_dir,
    _fresh_pg,
    _private_root,
    _say,
    base_env,
    print_table,
    ratio,
    run_rounds,
    run_setup,
    size_name,
    titles,
    todo_command,
)

DEFAULT_SIZE = 100_000
QUICK_SIZE = 10_000
DEFAULT_REPEAT = 3
IMPORT_PEAK_MIB = 300
EXPORT_PEAK_MIB = 100
_TAGS = ("work", "home", "errand", "phone", "urgent", "someday", "reading")
_PROJECTS = ("home.kitchen", "home.garden", "work.reports", "work.hiring", "travel")


def write_import_file(path: Path, n: int, *, seed: int = 7) -> Path:
    """N Taskwarrior tasks as `task export` writes them, some with tags, project, due, notes.

    Like tests/perf.py's ``write_taskwarrior_import``, with fields on some tasks: a third
    have tags, a fifth a project, a quarter a due (timed, or a whole day at 00:00 local),
    a seventh one or two annotations.
    """
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y%m%dT%H%M%SZ")

    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for index, title in enumerate(titles(n)):
            entry = start + timedelta(minutes=index)
            task: dict[str, object] = {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "description": title,
                "status": "pending",
                "entry": stamp(entry),
                "modified": stamp(entry + timedelta(hours=1)),
            }
            if index % 3 == 0:
                task["tags"] = sorted(rng.sample(_TAGS, rng.randint(1, 3)))
            if index % 5 == 0:
                task["project"] = rng.choice(_PROJECTS)
            if index % 4 == 0:
                due = entry + timedelta(days=rng.randint(1, 90))
                whole_day = index % 8 == 0
                task["due"] = stamp(due.replace(hour=23, minute=0, second=0) if whole_day else due)
            if index % 7 == 0:
                task["annotations"] = [
                    {"entry": stamp(entry + timedelta(hours=k + 2)), "description": f"note {k}"}
                    for k in range(rng.randint(1, 2))
                ]
            out.write(("" if index == 0 else ",\n") + json.dumps(task))
        out.write("\n]\n")
    return path


def write_update_file(source: Path, path: Path) -> Path:
    """Every tenth task of `source`, changed a month later (a longer description, a
    tag more), as `task modified.after:... export` would give the tasks changed since
    the last sync."""
    tasks = json.loads(source.read_text(encoding="utf-8"))[::10]
    for task in tasks:
        task["description"] += " (revised)"
        modified = datetime.strptime(task["modified"], "%Y%m%dT%H%M%SZ") + timedelta(days=30)
        task["modified"] = modified.strftime("%Y%m%dT%H%M%SZ")
        task["tags"] = sorted({*task.get("tags", []), "revised"})
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n" + ",\n".join(map(json.dumps, tasks)) + "\n]\n")
    return path


def _copy_dir(template: Path, path: Path, taskrc: Path) -> Callable[[], None]:
    """A fresh copy of a Taskwarrior data directory, and a TASKRC pointing at it."""

    def prepare() -> None:
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(template, path)
        taskrc.write_text(f"data.location={path}\n", encoding="utf-8")

    return prepare


def build(
    root: Path,
    n: int,
    pg: Postgres | None,
    task_bin: str | None,
    import_file: Path,
    update_file: Path,
) -> Plan:
    """The databases and data directories (filled untimed) and the benches, round-robin."""
    todo = todo_command()
    env = base_env(root)
    section = f"{size_name(n)} tasks"
    notes = [f"todo: {' '.join(todo)}", f"import file: {import_file.stat().st_size / 1e6:.1f} MB"]
    backends = ["sqlite"] + (["postgresql"] if pg is not None else [])

    def todo_env(url: str) -> dict[str, str]:
        return {**env, "TODO_DATABASE_URL": url}

    empty_sqlite = root / "empty.db"
    run_setup([*todo, "db", "upgrade"], todo_env(f"sqlite:///{empty_sqlite}"), root)
    prefix = f"todo_perf_ix_{os.getpid()}"
    if pg is not None:
        run_setup([*todo, "db", "upgrade"], todo_env(pg.create(f"{prefix}_empty")), root)
        notes.append(f"PostgreSQL {pg.version()}: {pg.where}")

    imports: list[Bench] = []
    updates: list[Bench] = []
    exports: list[Bench] = []
    for backend in backends:
        where = BACKEND_NAMES[backend]
        if backend == "sqlite":
            fresh = root / "import-target.db"
            fresh_url, prepare = f"sqlite:///{fresh}", _copy_sqlite(empty_sqlite, fresh)
            full = root / "full.db"
            shutil.copyfile(empty_sqlite, full)
            full_url = f"sqlite:///{full}"
            changed = root / "update-target.db"
            changed_url, prepare_changed = f"sqlite:///{changed}", _copy_sqlite(full, changed)
        else:
            assert pg is not None
            fresh_url = pg.create(f"{prefix}_target", f"{prefix}_empty")
            prepare = _fresh_pg(pg, f"{prefix}_target", f"{prefix}_empty")
            full_url = pg.create(f"{prefix}_full", f"{prefix}_empty")
            changed_url = pg.create(f"{prefix}_update", f"{prefix}_empty")
            prepare_changed = _fresh_pg(pg, f"{prefix}_update", f"{prefix}_full")
        began = time.perf_counter()
        run_setup([*todo, "import", str(import_file)], todo_env(full_url), root)
        _say(f"  {where}: {size_name(n)} tasks imported in {time.perf_counter() - began:.1f} s")
        updates.append(
            Bench(
                f"{backend}-update",
                section,
                f"todo import FILE2 ({where}, {size_name(n // 10)} of them changed)",
                [*todo, "import", str(update_file)],
                todo_env(changed_url),
                prepare=prepare_changed,
                rival="task-update" if task_bin else None,
            )
        )
        imports.append(
            Bench(
                f"{backend}-import",
                section,
                f"todo import FILE ({where}, empty db)",
                [*todo, "import", str(import_file)],
                todo_env(fresh_url),
                prepare=prepare,
                rival="task-import" if task_bin else None,
            )
        )
        exports.append(
            Bench(
                f"{backend}-export",
                section,
                f"todo export --all ({where}, own JSON)",
                [*todo, "export", "--all"],
                todo_env(full_url),
                rival="task-export" if task_bin else None,
            )
        )

    benches = [*imports]
    if task_bin is not None:
        notes.append(f"Taskwarrior {run_setup([task_bin, '--version'], env, root).strip()}")
        fresh_data, fresh_rc = root / "task-import", root / "taskrc-import"
        full_data, full_rc = root / "task-full", root / "taskrc-full"
        _fresh_dir(full_data, full_rc)()
        full_env = {**env, "TASKRC": str(full_rc), "TASKDATA": str(full_data)}
        began = time.perf_counter()
        run_setup([task_bin, *TASK_RC, "import", str(import_file)], full_env, root)
        _say(f"  Taskwarrior: {size_name(n)} tasks imported in {time.perf_counter() - began:.1f} s")
        benches.append(
            Bench(
                "task-import",
                section,
                "Taskwarrior: task import FILE (empty data)",
                [task_bin, *TASK_RC, "import", str(import_file)],
                {**env, "TASKRC": str(fresh_rc), "TASKDATA": str(fresh_data)},
                prepare=_fresh_dir(fresh_data, fresh_rc),
            )
        )
        benches += updates
        changed_data, changed_rc = root / "task-update", root / "taskrc-update"
        benches.append(
            Bench(
                "task-update",
                section,
                "Taskwarrior: task import FILE2 (the same changes)",
                [task_bin, *TASK_RC, "import", str(update_file)],
                {**env, "TASKRC": str(changed_rc), "TASKDATA": str(changed_data)},
                prepare=_copy_dir(full_data, changed_data, changed_rc),
            )
        )
        benches += exports
        benches.append(
            Bench(
                "task-export",
                section,
                "Taskwarrior: task export",
                [task_bin, *TASK_RC, "export"],
                full_env,
            )
        )
    else:
        benches += updates + exports
    return Plan(benches, notes, (n,), backends, task_bin is not None)


def checks(plan: Plan) -> list[Check]:
    by_key = {bench.key: bench for bench in plan.benches}
    found: list[Check] = []
    for backend in plan.backends:
        where = BACKEND_NAMES[backend]
        for verb, peak in (("import", IMPORT_PEAK_MIB), ("export", EXPORT_PEAK_MIB)):
            ours, theirs = by_key[f"{backend}-{verb}"], f"task-{verb}"
            found.append(Check(f"todo {verb} ({where}): peak memory", ours.peak_mib, peak, " MiB"))
            found.append(
                Check(
                    f"todo {verb} ({where}) vs task {verb} (faster than Taskwarrior)",
                    ratio(by_key, ours.key, theirs),
                    1,
                    "x",
                    strict=True,
                    best=ratio(by_key, ours.key, theirs, fastest=True),
                )
            )
    return found


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.perf_interchange",
        description="Time todo import/export of many tasks beside Taskwarrior, side by side.",
    )
    parser.add_argument("--size", type=int, help=f"tasks (default {DEFAULT_SIZE:,})")
    parser.add_argument("--repeat", type=int, help=f"recorded rounds (default {DEFAULT_REPEAT})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE:,} tasks, 1 round")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-taskwarrior", action="store_true", help="do not run `task`")
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = QUICK_SIZE if args.quick else DEFAULT_SIZE
    if args.repeat is None:
        args.repeat = 1 if args.quick else DEFAULT_REPEAT
    if args.size < 1 or args.repeat < 1:
        parser.error("--size and --repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    task_bin = None if args.no_taskwarrior else shutil.which("task")
    began = time.perf_counter()
    with ExitStack() as stack:
        root = stack.enter_context(_private_root())
        pg = None
        if not args.no_postgres:
            _say("starting PostgreSQL ...")
            pg = Postgres(stack)
        import_file = write_import_file(root / "taskwarrior-export.json", args.size)
        _say(f"preparing {size_name(args.size)} tasks ...")
        try:
            update_file = write_update_file(import_file, root / "taskwarrior-changed.json")
            plan = build(root, args.size, pg, task_bin, import_file, update_file)
        except BenchError as exc:
            _say(f"error: setting up failed: {exc}")
            return 1
        spawner = Spawner(root)
        stack.callback(spawner.close)
        run_rounds(plan, spawner, args.repeat)

        print(
            f"todo import/export benchmark: {args.repeat} round(s) after a warm-up, medians; "
            f"{os.cpu_count()} CPUs, {platform.platform()}"
        )
        print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
        for note in plan.notes:
            print(note)
        if task_bin is None:
            print("Taskwarrior: not measured (--no-taskwarrior, or no `task` on PATH)")
        print(
            f"peak MiB: the child's own max RSS over all rounds (the spawner's floor is "
            f"{spawner.floor_bytes / (1024 * 1024):.1f} MiB); vs task: median of per-round "
            "ratios to Taskwarrior doing the same"
        )
        print()
        print_table(plan)
        print()
        results = checks(plan)
        for check in results:
            print(check.line())
        failed = sum(1 for check in results if check.passed is False)
        print(
            f"\n{len(results) - failed} of {len(results)} targets met or not measured; "
            f"{failed} failed. Total {time.perf_counter() - began:.0f} s."
        )
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
