"""Benchmark: what the journal costs a bulk add, what undoing it costs, and its size.

Run it from the checkout with the project's interpreter::

    python -m tests.perf_journal                 # 100,000 tasks, 3 rounds
    python -m tests.perf_journal --quick         # 1,000 tasks, 1 round
    python -m tests.perf_journal --no-postgres --no-taskwarrior --size 10000

Not a test (its name does not start with ``test_``). It measures, side by side
in one run and round-robin (tests/perf.py explains why; its helpers are reused
here), each command a real process started the way a shell starts it:

* ``todo add < FILE`` of N tasks into an empty database, journal and all, on
  SQLite and PostgreSQL, next to Taskwarrior's ``task import`` of the same N
  tasks into an empty data directory (when ``task`` is on PATH);
* ``todo undo`` of that very bulk add, right after it, on the same database.

Targets: the bulk add faster than ``task import`` (ratio < 1), and its undo
within 3x of the bulk add. A ratio is the median of the per-round ratios.
A command that runs past ``--timeout`` is stopped and not run again: the
target fails with "did not finish", which is a finding, not a benchmark error.

Then, untimed, the journal's size on each backend: bytes of the ``journal``
and ``operations`` tables with their indexes (SQLite's ``dbstat``,
PostgreSQL's ``pg_total_relation_size``) grown by a bulk add of 1,000 tasks
and by completing those 1,000 tasks in one command; and what the last timed
bulk add and its undo left, when the undo finished.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.perf import (
    BACKEND_NAMES,
    TASK_RC,
    Bench,
    BenchError,
    Check,
    Postgres,
    Spawner,
    _copy_sqlite,
    _fresh_dir,
    _fresh_pg,
    _say,
    base_env,
    print_table,
    ratio,
    run_setup,
    size_name,
    todo_command,
    write_taskwarrior_import,
    write_titles,
)
from tests.perf import Plan as TablePlan

DEFAULT_SIZE = 100_000
QUICK_SIZE = 1_000
DEFAULT_REPEAT = 3
QUICK_REPEAT = 1
DEFAULT_TIMEOUT = 600.0  # seconds one measured command may take
SIZE_SAMPLE = 1_000  # tasks in the size measurement
JOURNAL_TABLES = ("journal", "operations")
# Exit statuses of coreutils' `timeout` when it stopped the command (TERM, then KILL).
TIMED_OUT = (124, 137)


# --- reading a database, untimed ------------------------------------------------------


def journal_bytes(backend: str, url: str) -> int:
    """Bytes of the journal and operations tables, their indexes (and TOAST) included."""
    if backend == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            row = conn.execute(
                "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN "
                "(SELECT name FROM sqlite_master WHERE tbl_name IN (?, ?))",
                JOURNAL_TABLES,
            ).fetchone()
        return int(row[0])
    import psycopg

    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT pg_total_relation_size('journal') + pg_total_relation_size('operations')"
        ).fetchone()
    assert found is not None
    return int(found[0])


def count_rows(backend: str, url: str, table: str) -> int:
    if backend == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    import psycopg

    with psycopg.connect(url) as conn:
        found = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert found is not None
    return int(found[0])


# --- the journal's size -------------------------------------------------------------


@dataclass(frozen=True)
class SizeRow:
    backend: str
    what: str
    changes: int
    grew: int

    def line(self) -> str:
        per = self.grew / self.changes if self.changes else 0.0
        return (
            f"  {BACKEND_NAMES[self.backend]:<11} {self.what:<42} {self.changes:>9,} "
            f"{self.grew:>13,} {per:>9,.0f} {per * 1000 / 1024:>10,.0f}"
        )


def measure_sizes(
    root: Path, backend: str, url: str, todo: list[str], env: dict[str, str]
) -> list[SizeRow]:
    """A bulk add of SIZE_SAMPLE tasks, then completing them all by filter: bytes per change."""
    lines = root / f"size-{backend}.txt"
    lines.write_text(
        "".join(f"Size sample {i} project:sizing\n" for i in range(SIZE_SAMPLE)), "utf-8"
    )
    todo_env = {**env, "TODO_DATABASE_URL": url}
    start = journal_bytes(backend, url)
    run_setup([*todo, "add"], todo_env, root, lines)
    added = journal_bytes(backend, url)
    run_setup([*todo, "done", "project:sizing"], todo_env, root)
    done = journal_bytes(backend, url)
    journal_rows = count_rows(backend, url, "journal")
    if journal_rows != 2 * SIZE_SAMPLE:
        raise BenchError(f"expected {2 * SIZE_SAMPLE} journal rows, found {journal_rows}")
    return [
        SizeRow(backend, f"bulk add of {SIZE_SAMPLE:,} tasks", SIZE_SAMPLE, added - start),
        SizeRow(backend, f"done of those {SIZE_SAMPLE:,} (one command)", SIZE_SAMPLE, done - added),
    ]


# --- building the run ---------------------------------------------------------------


@dataclass
class Timed(Bench):
    """A bench that is stopped after a timeout and then left out of later rounds."""

    timed_out: float | None = None
    setup_errors: list[str] = field(default_factory=list)


@dataclass
class Run:
    plan: TablePlan
    bulk_urls: dict[str, str]
    empty_pg: str | None  # the migrated, empty PostgreSQL database the others are copies of
    warm_up: list[tuple[list[str], dict[str, str], Path | None]]


def _drop_insert_triggers(backend: str, url: str) -> None:
    """The journal's triggers for the rows a bulk add writes, gone: todo without its journal."""
    statements = [f"DROP TRIGGER trg_{table}_journal_insert" for table in ("tasks", "task_tags")]
    if backend == "sqlite":
        path = url.removeprefix("sqlite:///")
        lite = sqlite3.connect(path)
        try:
            with lite:
                for statement in statements:
                    lite.execute(statement)
        finally:
            # Closed here, not whenever the object is freed: closing moves the change
            # from the WAL into the file, and the runs copy the file alone.
            lite.close()
        if Path(f"{path}-wal").exists():
            raise BenchError(f"{path}: the dropped triggers are still in its WAL")
        return
    import psycopg

    with psycopg.connect(url) as conn:
        for statement, table in zip(statements, ("tasks", "task_tags"), strict=True):
            conn.execute(f"{statement} ON {table}")


def build(
    root: Path,
    n: int,
    pg: Postgres | None,
    task_bin: str | None,
    timeout: float,
    *,
    without_journal: bool = False,
) -> Run:
    todo = todo_command()
    env = base_env(root)
    stop = shutil.which("timeout")
    limit = [stop, "--kill-after=10", f"{timeout:g}"] if stop else []
    benches: list[Bench] = []
    notes = [f"todo: {' '.join(todo)}"]
    lines = write_titles(root / f"titles-{n}.txt", n)
    few = write_titles(root / "titles-10.txt", 10)
    section = f"{size_name(n)} tasks"

    def todo_env(url: str) -> dict[str, str]:
        return {**env, "TODO_DATABASE_URL": url}

    backends = ["sqlite"] + (["postgresql"] if pg is not None else [])
    empty_sqlite = root / "sqlite-empty.db"
    run_setup([*todo, "db", "upgrade"], todo_env(f"sqlite:///{empty_sqlite}"), root)
    prefix = f"todo_perf_journal_{os.getpid()}"
    empty_pg = f"{prefix}_empty"
    if pg is not None:
        run_setup([*todo, "db", "upgrade"], todo_env(pg.create(empty_pg)), root)
        notes.append(f"PostgreSQL {pg.version()}: {pg.where}")
    notes.append(f"SQLite {sqlite3.sqlite_version}")
    notes.append(f"each measured command is stopped after {timeout:g} s and not run again")

    task_key: str | None = None
    task_bench: Bench | None = None
    if task_bin is not None:
        version = run_setup([task_bin, "--version"], env, root).strip()
        notes.append(f"Taskwarrior {version}: {task_bin}")
        import_file = write_taskwarrior_import(root / f"taskwarrior-{n}.json", n)
        data, taskrc = root / "taskwarrior-bulk", root / "taskrc-bulk"
        task_key = "task-import"
        task_bench = Timed(
            task_key,
            section,
            f"Taskwarrior: task import FILE ({size_name(n)}, empty data)",
            [*limit, task_bin, *TASK_RC, "import", str(import_file)],
            {**env, "TASKRC": str(taskrc), "TASKDATA": str(data)},
            prepare=_fresh_dir(data, taskrc),
        )

    bulk_urls: dict[str, str] = {}
    warm_up: list[tuple[list[str], dict[str, str], Path | None]] = []
    for backend in backends:
        where = BACKEND_NAMES[backend]
        if backend == "sqlite":
            path = root / "sqlite-bulk.db"
            url = f"sqlite:///{path}"
            prepare = _copy_sqlite(empty_sqlite, path)
            scratch = root / "sqlite-warm-up.db"
            shutil.copyfile(empty_sqlite, scratch)
            scratch_url = f"sqlite:///{scratch}"
        else:
            assert pg is not None
            name = f"{prefix}_bulk"
            url = pg.create(name, empty_pg)
            prepare = _fresh_pg(pg, name, empty_pg)
            scratch_url = pg.create(f"{prefix}_warm_up", empty_pg)
        if without_journal:
            if backend == "sqlite":
                bare_template = root / "sqlite-empty-no-journal.db"
                shutil.copyfile(empty_sqlite, bare_template)
                _drop_insert_triggers(backend, f"sqlite:///{bare_template}")
                bare_path = root / "sqlite-bulk-no-journal.db"
                bare_url = f"sqlite:///{bare_path}"
                bare_prepare = _copy_sqlite(bare_template, bare_path)
            else:
                assert pg is not None
                bare_template_name = f"{prefix}_empty_no_journal"
                _drop_insert_triggers(backend, pg.create(bare_template_name, empty_pg))
                bare_name = f"{prefix}_bulk_no_journal"
                bare_url = pg.create(bare_name, bare_template_name)
                bare_prepare = _fresh_pg(pg, bare_name, bare_template_name)
            benches.append(
                Timed(
                    f"{backend}-bulk-bare",
                    section,
                    f"todo add < {size_name(n)} lines ({where}, journal triggers dropped)",
                    [*limit, *todo, "add"],
                    todo_env(bare_url),
                    stdin=lines,
                    prepare=bare_prepare,
                    rival=task_key,
                )
            )
        # Untimed, once: every module these commands import gets its bytecode cached.
        warm_up += [
            ([*todo, "add"], todo_env(scratch_url), few),
            ([*todo, "undo", "--dry-run"], todo_env(scratch_url), None),
            ([*todo, "undo"], todo_env(scratch_url), None),
        ]
        bulk_urls[backend] = url
        bulk_key = f"{backend}-bulk"
        benches.append(
            Timed(
                bulk_key,
                section,
                f"todo add < {size_name(n)} lines ({where}, empty db, journaled)",
                [*limit, *todo, "add"],
                todo_env(url),
                stdin=lines,
                prepare=prepare,
                rival=task_key,
            )
        )
        benches.append(
            Timed(
                f"{backend}-undo",
                section,
                f"todo undo of that bulk add ({where})",
                [*limit, *todo, "undo"],
                todo_env(url),
                baseline=bulk_key,
            )
        )
    if task_bench is not None:
        benches.append(task_bench)
    plan = TablePlan(benches, notes, (n,), backends, task_bin is not None)
    return Run(plan, bulk_urls, empty_pg if pg is not None else None, warm_up)


def run_rounds(run: Run, spawner: Spawner, repeat: int, timeout: float) -> None:
    """An untimed warm-up on small data, then `repeat` rounds, round-robin.

    An undo runs right after its bulk add, on the same database; when the add
    failed or was left out, so is the undo of that round.
    """
    root = Path(tempfile.gettempdir())
    for argv, env, stdin in run.warm_up:
        run_setup(argv, env, root, stdin)
    for round_no in range(1, repeat + 1):
        began = time.perf_counter()
        ran: set[str] = set()
        for bench in run.plan.benches:
            assert isinstance(bench, Timed)
            if bench.timed_out is not None:
                continue
            if bench.baseline is not None and bench.baseline not in ran:
                continue
            try:
                if bench.prepare is not None:
                    bench.prepare()
                sample = spawner.measure(bench.argv, bench.env, bench.stdin)
            except BenchError as exc:
                if any(f"exited {status}:" in str(exc) for status in TIMED_OUT):
                    bench.timed_out = timeout
                    _say(f"  STOPPED {bench.label}: still running after {timeout:g} s")
                else:
                    bench.errors.append(str(exc))
                    _say(f"  FAILED {bench.label}: {exc}")
                continue
            bench.samples.append(sample)
            ran.add(bench.key)
            _say(f"  {bench.label}: {sample.seconds:.1f} s")
        _say(f"round {round_no}/{repeat} done in {time.perf_counter() - began:.1f} s")


def checks(run: Run, n: int) -> list[Check]:
    by_key = {b.key: b for b in run.plan.benches}

    def timed(name: str, mine: str, theirs: str, limit: float, strict: bool) -> Check:
        if mine not in by_key or theirs not in by_key:
            return Check(name, None, limit, "x", strict)
        stopped = by_key[mine]
        assert isinstance(stopped, Timed)
        if stopped.timed_out is not None and by_key[theirs].samples:
            # It never finished: at least the timeout over the other side's median.
            other = statistics.median(s.seconds for s in by_key[theirs].samples)
            floor = stopped.timed_out / other
            if floor > limit:
                return Check(f"{name} (did not finish: more than)", floor, limit, "x", strict)
            return Check(f"{name} (did not finish; raise --timeout)", None, limit, "x", strict)
        return Check(
            name,
            ratio(by_key, mine, theirs),
            limit,
            "x",
            strict,
            best=ratio(by_key, mine, theirs, fastest=True),
        )

    found = []
    for backend in run.plan.backends:
        where = BACKEND_NAMES[backend]
        bulk, undo = f"{backend}-bulk", f"{backend}-undo"
        found.append(
            timed(
                f"{where}: bulk add of {size_name(n)} (journaled) vs task import",
                bulk,
                "task-import",
                1,
                True,
            )
        )
        found.append(timed(f"{where}: undo of the bulk add vs the bulk add", undo, bulk, 3, False))
    return found


# --- entry point --------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.perf_journal",
        description="Time a journaled bulk add and its undo against Taskwarrior's import.",
    )
    parser.add_argument("--size", type=int, metavar="N", help=f"tasks (default {DEFAULT_SIZE:,})")
    parser.add_argument(
        "--repeat", type=int, metavar="N", help=f"recorded rounds (default {DEFAULT_REPEAT})"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop a measured command after this long (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--without-journal",
        action="store_true",
        help="also time the bulk add with the journal's insert triggers dropped (its cost)",
    )
    parser.add_argument("--quick", action="store_true", help="1,000 tasks, 1 round")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-taskwarrior", action="store_true", help="do not run `task`")
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = QUICK_SIZE if args.quick else DEFAULT_SIZE
    if args.repeat is None:
        args.repeat = QUICK_REPEAT if args.quick else DEFAULT_REPEAT
    if args.size < 1 or args.repeat < 1 or args.timeout <= 0:
        parser.error("--size, --repeat and --timeout must be positive")
    return args


@contextmanager
def _private_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="todo-perf-journal-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _sizes(root: Path, pg: Postgres | None, run: Run, n: int) -> list[SizeRow]:
    todo = todo_command()
    env = base_env(root)
    rows: list[SizeRow] = []
    target = root / "sqlite-size.db"
    shutil.copyfile(root / "sqlite-empty.db", target)
    rows += measure_sizes(root, "sqlite", f"sqlite:///{target}", todo, env)
    if pg is not None and run.empty_pg is not None:
        url = pg.create(f"{run.empty_pg}_size", run.empty_pg)
        rows += measure_sizes(root, "postgresql", url, todo, env)
    # What the timed runs left: the last round's bulk add and, if it finished, its undo.
    for backend, url in run.bulk_urls.items():
        journal_rows = count_rows(backend, url, "journal")
        if journal_rows == 2 * n:
            what = f"bulk add of {size_name(n)} and its undo"
            rows.append(SizeRow(backend, what, journal_rows, journal_bytes(backend, url)))
        elif journal_rows == n:
            what = f"bulk add of {size_name(n)}"
            rows.append(SizeRow(backend, what, journal_rows, journal_bytes(backend, url)))
    return rows


def report(run: Run, args: argparse.Namespace, sizes: list[SizeRow], task_bin: str | None) -> None:
    print(
        f"todo journal benchmark: {args.size:,} tasks, {args.repeat} rounds, medians; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end"
    )
    for note in run.plan.notes:
        print(note)
    if args.no_taskwarrior:
        print("Taskwarrior: skipped (--no-taskwarrior)")
    elif task_bin is None:
        print("Taskwarrior: not installed (no `task` on PATH)")
    if args.no_postgres:
        print("PostgreSQL: skipped (--no-postgres)")
    print(
        "ratio: the undo over the bulk add just before it; vs task: the bulk add over "
        "`task import` of the same tasks (medians of per-round ratios)"
    )
    print()
    print_table(run.plan)
    for bench in run.plan.benches:
        if isinstance(bench, Timed) and bench.timed_out is not None:
            print(f"  STOPPED: {bench.label} still ran after {bench.timed_out:g} s")
    by_key = {b.key: b for b in run.plan.benches}
    for backend in run.plan.backends:
        cost = ratio(by_key, f"{backend}-bulk", f"{backend}-bulk-bare")
        if cost is not None:
            print(
                f"  the journal's cost to the bulk add ({BACKEND_NAMES[backend]}): {cost:.2f}x "
                "the same add with its insert triggers dropped"
            )
    print()
    print("journal size (journal + operations tables, indexes included):")
    print(
        f"  {'backend':<11} {'what':<42} {'changes':>9} {'bytes':>13} "
        f"{'B/change':>9} {'KiB/1,000':>10}"
    )
    for row in sizes:
        print(row.line())
    print()


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
        try:
            run = build(
                root, args.size, pg, task_bin, args.timeout, without_journal=args.without_journal
            )
        except BenchError as exc:
            _say(f"error: setting up failed: {exc}")
            return 1
        spawner = Spawner(root)
        stack.callback(spawner.close)
        run_rounds(run, spawner, args.repeat, args.timeout)
        try:
            sizes = _sizes(root, pg, run, args.size)
        except BenchError as exc:
            _say(f"error: measuring the journal's size failed: {exc}")
            sizes = []
        report(run, args, sizes, task_bin)
        results = checks(run, args.size)
        for check in results:
            print(check.line())
        failed = sum(1 for c in results if c.passed is False)
        print(
            f"\n{len(results) - failed} of {len(results)} targets met or not measured; "
            f"{failed} failed. Total {time.perf_counter() - began:.0f} s."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
