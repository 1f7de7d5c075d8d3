"""Benchmark: how `todo` feels at the prompt, and how it holds up at 100,000 tasks.

Run it from the checkout with the project's interpreter::

    python -m tests.perf                  # the full run (about 5-10 minutes)
    python -m tests.perf --quick          # 100 and 1,000 tasks, 3 rounds
    python -m tests.perf --no-postgres --no-taskwarrior --sizes 100,10000

Not a test (its name does not start with ``test_``): the suite checks counts,
never seconds. Every number comes from real processes started the way a shell
starts them, and every comparison is measured in the same run, round-robin
(A B C A B C ...), so a machine that gets busier halfway through slows every
column alike instead of skewing one ratio.

For each command it records the wall-clock time from spawn to exit and the
child's own peak resident memory (``ru_maxrss`` from ``os.wait4``). Children
are started by a deliberately small helper process (tests/perf_spawn.py), so
the benchmark's own memory never leaks into their figures. The table shows medians,
the peak memory over all rounds, a ratio against the row's baseline and, at each
size, the ratio against Taskwarrior doing the same thing. A ratio is the median
of the per-round ratios (each round runs both sides seconds apart), which holds
steadier on a shared machine than a ratio of medians.

Nothing outside a private temporary directory is touched: every database, the
config file and the XDG dirs of `todo`, and Taskwarrior's TASKRC and TASKDATA,
live there. PostgreSQL is ``TODO_TEST_DATABASE_URL`` when set (a role that may
CREATE DATABASE), else a throwaway server started like the test suite's.
Taskwarrior is measured when the ``task`` binary is on PATH; this script never
installs anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SIZES = (100, 10_000, 100_000)
QUICK_SIZES = (100, 1_000)
DEFAULT_REPEAT = 11
QUICK_REPEAT = 3
# Tasks in the "small list" of the start-up rows: a list a person reads at a glance.
SMALL_LIST = 10
MIB = 1024 * 1024

# Taskwarrior without its interactive and decorative parts, so it is timed doing
# the same work as `todo` and never waits on a prompt or a hook script.
TASK_RC = ("rc.verbose=nothing", "rc.confirmation=off", "rc.hooks=off")
ONE_TITLE = "Bench: one more task"
# The todo command for each kind of work measured at every size; the bulk add
# reads its N titles from stdin.
TODO_ARGS = {
    "add": ["add", ONE_TITLE],
    "list50": ["list", "--limit", "50"],
    "export": ["list", "--all", "--json"],
    "table": ["list", "--all"],
    "bulk": ["add"],
}
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BenchError(RuntimeError):
    """A command the benchmark needs failed; the message carries its stderr."""


# --- running one process --------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_bytes: int


class Spawner:
    """Starts measured commands from tests/perf_spawn.py, a process kept small on purpose.

    A child's ``ru_maxrss`` also counts the resident size of whatever forked it
    (see perf_spawn.py), so children are not started from this process, which
    holds SQLAlchemy, psycopg and big import files. The spawner times each child
    from spawn to exit and returns its own ``ru_maxrss`` from ``os.wait4``.
    """

    def __init__(self, cwd: Path) -> None:
        from tests import perf_spawn  # only for its path; the spawner runs it as a script

        self._cwd = cwd
        self._proc = subprocess.Popen(
            [sys.executable, "-S", "-E", str(Path(perf_spawn.__file__)), str(cwd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._requests, self._answers = self._proc.stdin, self._proc.stdout
        _, _, floor = self._answer()
        self.floor_bytes = floor

    def _answer(self) -> tuple[int, float, int]:
        from tests.perf_spawn import read_message

        answer = read_message(self._answers)
        if not isinstance(answer, tuple) or len(answer) != 3:
            raise BenchError(f"the spawner stopped answering (got {answer!r})")
        status, seconds, peak = answer
        return int(status), float(seconds), int(peak)

    def measure(self, argv: Sequence[str], env: dict[str, str], stdin: Path | None) -> Measurement:
        """Run argv once: wall-clock seconds and the child's own peak RSS.

        stdout goes to /dev/null (a terminal would time the terminal), stderr to
        a file so a failure can say why.
        """
        import marshal

        from tests.perf_spawn import write_message

        errors = self._cwd / "last-stderr.txt"
        request = (list(argv), env, str(stdin or os.devnull), str(errors))
        write_message(self._requests, marshal.dumps(request))
        status, seconds, peak = self._answer()
        if status != 0:
            detail = errors.read_text("utf-8", "replace").strip()
            raise BenchError(f"{' '.join(argv)} exited {status}: {detail[-500:]}")
        return Measurement(seconds, peak)

    def close(self) -> None:
        self._requests.close()
        self._proc.wait(timeout=10)
        self._answers.close()


def run_setup(
    argv: Sequence[str], env: dict[str, str], cwd: Path, stdin: Path | None = None
) -> str:
    """Run an untimed preparation step; its stdout, or BenchError with its stderr."""
    with open(stdin if stdin is not None else os.devnull, "rb") as source:
        done = subprocess.run(
            list(argv), env=env, cwd=cwd, stdin=source, capture_output=True, check=False
        )
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()
        raise BenchError(f"{' '.join(argv)} exited {done.returncode}: {detail[-500:]}")
    return done.stdout.decode("utf-8", "replace")


# --- what is measured ------------------------------------------------------------


@dataclass
class Bench:
    """One command, run once per round."""

    key: str
    section: str
    label: str
    argv: list[str]
    env: dict[str, str]
    stdin: Path | None = None
    # Untimed, before every run: e.g. a fresh empty database for a bulk add.
    prepare: Callable[[], None] | None = None
    baseline: str | None = None
    rival: str | None = None  # the Taskwarrior row doing the same thing
    samples: list[Measurement] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        if not self.samples:
            return None
        return statistics.median(s.seconds for s in self.samples)

    @property
    def fastest(self) -> float | None:
        return min((s.seconds for s in self.samples), default=None)

    @property
    def peak_mib(self) -> float | None:
        if not self.samples:
            return None
        return max(s.peak_bytes for s in self.samples) / MIB


def titles(n: int) -> list[str]:
    """N distinct, realistic-length task titles (the same for todo and Taskwarrior)."""
    words = (
        "Buy milk",
        "Call the plumber",
        "Review pull request",
        "Renew passport",
        "Water the plants",
        "Write the quarterly report",
        "Book train tickets",
    )
    return [f"{words[i % len(words)]} #{i}" for i in range(n)]


def write_titles(path: Path, n: int) -> Path:
    path.write_text("".join(f"{title}\n" for title in titles(n)), encoding="utf-8")
    return path


def write_taskwarrior_import(path: Path, n: int) -> Path:
    """The same N tasks as a Taskwarrior import file (a JSON array, as `task export` writes)."""
    entry = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    tasks = [
        {"uuid": str(uuid.uuid4()), "description": title, "status": "pending", "entry": entry}
        for title in titles(n)
    ]
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def size_name(n: int) -> str:
    return f"{n:,}"


# --- the programs under test -------------------------------------------------


def todo_command() -> list[str]:
    """The `todo` console script of this interpreter's environment, else `python -m todo_cli`.

    The console script is what users run; `-m` is the fallback for an
    environment where scripts were not installed next to the interpreter.
    """
    script = Path(sys.executable).parent / ("todo.exe" if os.name == "nt" else "todo")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "todo_cli"]


def base_env(root: Path) -> dict[str, str]:
    """The environment every child gets: the user's, minus anything that changes what is timed.

    TODO_* and TASK* would point the programs at other data. PYTHON* settings
    change the interpreter itself: PYTHONDONTWRITEBYTECODE would recompile the
    package's modules from source on every run (an installed package has its
    bytecode), PYTHONUNBUFFERED turns a 100,000-line export into 100,000
    writes. Bytecode goes to a cache in the temp dir instead, filled by the
    warm-up round, so the checkout and the environment stay untouched.
    """
    kept = ("PYTHONPATH", "PYTHONHOME")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TODO_", "TASK")) and (not k.startswith("PYTHON") or k in kept)
    }
    env.update(
        PYTHONPYCACHEPREFIX=str(root / "pycache"),
        XDG_DATA_HOME=str(root / "xdg-data"),
        XDG_CONFIG_HOME=str(root / "xdg-config"),
        XDG_CACHE_HOME=str(root / "xdg-cache"),
        TODO_CONFIG=str(root / "config.toml"),  # does not exist: no config
        TODO_USER="bench",
        NO_COLOR="1",
    )
    return env


class Postgres:
    """Databases on a PostgreSQL server: an external one, or one started here."""

    def __init__(self, stack: ExitStack) -> None:
        self._external = os.environ.get("TODO_TEST_DATABASE_URL")
        self._server = None
        self._made: list[str] = []
        if self._external is None:
            import warnings

            from tests.pgharness import running_server

            # pgserver asks platformdirs for a runtime dir it does not need.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            self._server = stack.enter_context(running_server())
            # The harness logs every statement so tests can count them; a
            # benchmark would time the server's logging of 100,000-row
            # INSERTs instead of the INSERTs.
            self._server.admin("ALTER SYSTEM SET log_statement = 'none'")
            self._server.admin("SELECT pg_reload_conf()")
        stack.callback(self._drop_all)

    @property
    def where(self) -> str:
        if self._server is not None:
            return f"a private server on 127.0.0.1:{self._server.port} (fsync off)"
        return "TODO_TEST_DATABASE_URL"

    def _admin(self, sql: str) -> list[tuple[object, ...]]:
        if self._server is not None:
            return self._server.admin(sql)
        import psycopg

        assert self._external is not None
        dsn = self._external.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn, autocommit=True) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

    def url(self, database: str) -> str:
        if self._server is not None:
            return self._server.url(database)
        from sqlalchemy.engine import make_url

        assert self._external is not None
        return make_url(self._external).set(database=database).render_as_string(hide_password=False)

    def create(self, name: str, template: str | None = None) -> str:
        if name not in self._made:  # bulk-add databases are made again every round
            self._made.append(name)
        if self._server is not None:
            return self._server.create_database(name, template)
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def version(self) -> str:
        return str(self._admin("SHOW server_version")[0][0])

    def _drop_all(self) -> None:
        # A started server goes away whole; on an external one, leave nothing behind.
        if self._server is None:
            for name in reversed(self._made):
                try:
                    self.drop(name)
                except Exception as exc:  # cleanup must not hide the real outcome
                    print(f"warning: could not drop {name}: {exc}", file=sys.stderr)


# --- building the run --------------------------------------------------------------


@dataclass
class Plan:
    benches: list[Bench]
    notes: list[str]
    sizes: tuple[int, ...]
    backends: list[str]
    taskwarrior: bool


def _copy_sqlite(template: Path, target: Path) -> Callable[[], None]:
    def prepare() -> None:
        # WAL mode: a leftover -wal/-shm from the last run would be replayed
        # into the fresh copy.
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, target)

    return prepare


def _fresh_pg(pg: Postgres, name: str, template: str) -> Callable[[], None]:
    def prepare() -> None:
        pg.drop(name)
        pg.create(name, template)

    return prepare


def _fresh_dir(path: Path, taskrc: Path) -> Callable[[], None]:
    def prepare() -> None:
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        taskrc.write_text(f"data.location={path}\n", encoding="utf-8")

    return prepare


def _checkout() -> str | None:
    """The commit measured (and whether the product code had local changes), if known."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "todo_cli", "migrations"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{head}{' with local changes to todo_cli/migrations' if dirty else ''}"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _taskwarrior_benches(
    root: Path, env: dict[str, str], task_bin: str, n: int, smallest: int, section: str
) -> dict[str, Bench]:
    """Taskwarrior holding the same N tasks (untimed import), and its rows by kind of work."""
    import_file = write_taskwarrior_import(root / f"taskwarrior-{n}.json", n)
    data, taskrc = root / f"taskwarrior-{n}", root / f"taskrc-{n}"
    _fresh_dir(data, taskrc)()
    tw_env = {**env, "TASKRC": str(taskrc), "TASKDATA": str(data)}
    began = time.perf_counter()
    run_setup([task_bin, *TASK_RC, "import", str(import_file)], tw_env, root)
    _say(f"  Taskwarrior: {size_name(n)} tasks imported in {time.perf_counter() - began:.1f} s")

    bulk_data, bulk_rc = root / f"taskwarrior-bulk-{n}", root / f"taskrc-bulk-{n}"
    bulk_env = {**env, "TASKRC": str(bulk_rc), "TASKDATA": str(bulk_data)}
    cases: dict[str, tuple[str, list[str]]] = {
        "add": ("task add X", ["add", ONE_TITLE]),
        "list50": ("task limit:50 list", ["limit:50", "list"]),
        "export": ("task export", ["export"]),
        "bulk": (f"task import FILE ({size_name(n)}, empty data)", ["import", str(import_file)]),
    }
    rows = {}
    for kind, (label, args) in cases.items():
        bulk = kind == "bulk"
        # Taskwarrior's own scaling is worth seeing for the per-command rows.
        scales = kind in ("add", "list50") and n != smallest
        rows[kind] = Bench(
            f"task-{kind}-{n}",
            section,
            f"Taskwarrior: {label}",
            [task_bin, *TASK_RC, *args],
            bulk_env if bulk else tw_env,
            prepare=_fresh_dir(bulk_data, bulk_rc) if bulk else None,
            baseline=f"task-{kind}-{smallest}" if scales else None,
        )
    return rows


def build(root: Path, sizes: tuple[int, ...], pg: Postgres | None, task_bin: str | None) -> Plan:
    """Make every database (untimed) and list the benches in round-robin order."""
    py = sys.executable
    todo = todo_command()
    env = base_env(root)
    benches: list[Bench] = []
    commit = _checkout()
    notes = [f"todo: {' '.join(todo)}" + (f" (commit {commit})" if commit else "")]

    def todo_env(url: str) -> dict[str, str]:
        return {**env, "TODO_DATABASE_URL": url}

    def sqlite_url(path: Path) -> str:
        return f"sqlite:///{path}"

    # Start-up: the interpreter, the stack's own import cost, and todo on a small list.
    start = "start-up"
    small_db = root / "sqlite-small" / "todo.db"
    small_db.parent.mkdir()
    small_titles = write_titles(root / f"titles-{SMALL_LIST}.txt", SMALL_LIST)
    run_setup([*todo, "add"], todo_env(sqlite_url(small_db)), root, small_titles)
    benches += [
        Bench("pass", start, "python -c pass", [py, "-c", "pass"], env),
        Bench(
            "typer",
            start,
            'python -c "import typer"',
            [py, "-c", "import typer"],
            env,
            baseline="pass",
        ),
        Bench(
            "floor",
            start,
            "stack floor: import typer, sqlalchemy, pydantic",
            [py, "-c", "import typer, sqlalchemy, pydantic"],
            env,
            baseline="pass",
        ),
        Bench("help", start, "todo --help", [*todo, "--help"], env, baseline="typer"),
        Bench(
            "small-add",
            start,
            f"todo add X (SQLite, {SMALL_LIST} tasks)",
            [*todo, "add", ONE_TITLE],
            todo_env(sqlite_url(small_db)),
            baseline="floor",
        ),
        Bench(
            "small-list",
            start,
            f"todo list (SQLite, {SMALL_LIST} tasks)",
            [*todo, "list"],
            todo_env(sqlite_url(small_db)),
            baseline="floor",
        ),
    ]

    backends = ["sqlite"] + (["postgresql"] if pg is not None else [])
    # Empty, migrated databases: where each bulk-add run starts from.
    empty_sqlite = root / "sqlite-empty.db"
    run_setup([*todo, "db", "upgrade"], todo_env(sqlite_url(empty_sqlite)), root)
    # The pid keeps two runs against one external server apart.
    pg_prefix = f"todo_perf_{os.getpid()}"
    empty_pg = f"{pg_prefix}_empty"
    if pg is not None:
        url = pg.create(empty_pg)
        run_setup([*todo, "db", "upgrade"], todo_env(url), root)
        notes.append(f"PostgreSQL {pg.version()}: {pg.where}")
    if task_bin is not None:
        version = run_setup([task_bin, "--version"], env, root).strip()
        notes.append(f"Taskwarrior {version}: {task_bin}")

    smallest = sizes[0]
    for n in sizes:
        section = f"{size_name(n)} tasks"
        _say(f"preparing {section} ...")
        lines = write_titles(root / f"titles-{n}.txt", n)
        urls: dict[str, str] = {}
        bulk_prepare: dict[str, Callable[[], None]] = {}
        bulk_urls: dict[str, str] = {}
        for backend in backends:
            if backend == "sqlite":
                path = root / f"sqlite-{n}" / "todo.db"
                path.parent.mkdir()
                shutil.copyfile(empty_sqlite, path)
                urls[backend] = sqlite_url(path)
                bulk_path = root / f"sqlite-bulk-{n}.db"
                bulk_urls[backend] = sqlite_url(bulk_path)
                bulk_prepare[backend] = _copy_sqlite(empty_sqlite, bulk_path)
            else:
                assert pg is not None
                urls[backend] = pg.create(f"{pg_prefix}_{n}", empty_pg)
                bulk_name = f"{pg_prefix}_bulk_{n}"
                bulk_urls[backend] = pg.create(bulk_name, empty_pg)
                bulk_prepare[backend] = _fresh_pg(pg, bulk_name, empty_pg)
            # The product's own bulk path fills the list: what users would do.
            began = time.perf_counter()
            run_setup([*todo, "add"], todo_env(urls[backend]), root, lines)
            _say(
                f"  {BACKEND_NAMES[backend]}: {size_name(n)} tasks added in "
                f"{time.perf_counter() - began:.1f} s"
            )

        rivals: dict[str, Bench] = {}
        if task_bin is not None:
            rivals = _taskwarrior_benches(root, env, task_bin, n, smallest, section)

        # Order inside a round: each todo command next to its rival, so the
        # compared pairs run seconds apart.
        for kind in ("add", "list50", "export", "table", "bulk"):
            for backend in backends:
                where = BACKEND_NAMES[backend]
                if kind == "bulk":
                    # stdin is the titles file itself (`todo add < FILE`): the
                    # product reads a file and a pipe alike, and a file costs
                    # no writer process to time along with it.
                    text = f"todo add < {size_name(n)} lines ({where}, empty db)"
                    url, stdin, prepare = bulk_urls[backend], lines, bulk_prepare[backend]
                else:
                    shown = "add X" if kind == "add" else " ".join(TODO_ARGS[kind])
                    piped = " (table, piped)" if kind == "table" else ""
                    text = f"todo {shown}{piped} ({where})"
                    url, stdin, prepare = urls[backend], None, None
                scales = kind in ("add", "list50")
                benches.append(
                    Bench(
                        f"{backend}-{kind}-{n}",
                        section,
                        text,
                        [*todo, *TODO_ARGS[kind]],
                        todo_env(url),
                        stdin=stdin,
                        prepare=prepare,
                        baseline=(
                            ("floor" if n == smallest else f"{backend}-{kind}-{smallest}")
                            if scales
                            else None
                        ),
                        rival=rivals[kind].key if kind in rivals else None,
                    )
                )
            if kind in rivals:
                benches.append(rivals[kind])

    return Plan(benches, notes, sizes, backends, task_bin is not None)


# --- running and reporting ------------------------------------------------------


def run_rounds(plan: Plan, spawner: Spawner, repeat: int) -> None:
    """One unrecorded warm-up round, then `repeat` recorded rounds, round-robin."""
    for round_no in range(repeat + 1):
        warm_up = round_no == 0
        began = time.perf_counter()
        for bench in plan.benches:
            try:
                if bench.prepare is not None:
                    bench.prepare()
                sample = spawner.measure(bench.argv, bench.env, bench.stdin)
            except BenchError as exc:
                # Recorded, and tried again next round: one failure (say, a
                # half-saved source file) should not cost the rest of the run.
                bench.errors.append(str(exc))
                _say(f"  FAILED {bench.label}: {exc}")
                continue
            if not warm_up:
                bench.samples.append(sample)
        what = "warm-up round" if warm_up else f"round {round_no}/{repeat}"
        _say(f"{what} done in {time.perf_counter() - began:.1f} s")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.1f}"


def ratio(
    benches: dict[str, Bench], key: str, against: str | None, *, fastest: bool = False
) -> float | None:
    """The median of the per-round ratios (or, with `fastest`, best run over best run).

    Both commands ran in the same round, seconds apart, so a ratio within a
    round cancels the slow drift of a shared, noisy machine; the median of
    those ratios then drops the rounds a neighbour disturbed.
    """
    if against is None or against not in benches:
        return None
    mine, theirs = benches[key], benches[against]
    if (
        not fastest
        and mine.samples
        and len(mine.samples) == len(theirs.samples)
        and all(t.seconds > 0 for t in theirs.samples)
    ):
        return statistics.median(
            m.seconds / t.seconds for m, t in zip(mine.samples, theirs.samples, strict=True)
        )
    a, b = (mine.fastest, theirs.fastest) if fastest else (mine.median, theirs.median)
    if a is None or b is None or b == 0:
        return None
    return a / b


def print_table(plan: Plan) -> None:
    by_key = {b.key: b for b in plan.benches}
    label_width = max(len(b.label) for b in plan.benches) + 2
    base_width = 22
    header = (
        f"{'command':<{label_width}} {'median ms':>10} {'min ms':>10} {'peak MiB':>9} "
        f"{'ratio':>7}  {'baseline':<{base_width}} {'vs task':>8}"
    )
    print(header)
    print("-" * len(header))
    section = None
    for bench in plan.benches:
        if bench.section != section:
            section = bench.section
            print(f"[{section}]")
        if not bench.samples:
            error = bench.errors[0] if bench.errors else "not run"
            print(f"  {bench.label:<{label_width - 2}} FAILED: {error[:200]}")
            continue
        low = bench.fastest
        peak = bench.peak_mib
        base = ratio(by_key, bench.key, bench.baseline)
        base_name = ""
        if bench.baseline is not None and bench.baseline in by_key:
            base_name = _short(by_key[bench.baseline])
        rival = ratio(by_key, bench.key, bench.rival)
        print(
            f"  {bench.label:<{label_width - 2}} {_ms(bench.median):>10} {_ms(low):>10} "
            f"{'-' if peak is None else f'{peak:.1f}':>9} "
            f"{'-' if base is None else f'{base:.2f}x':>7}  {base_name:<{base_width}} "
            f"{'-' if rival is None else f'{rival:.2f}x':>8}"
        )
        if bench.errors:
            print(f"    ({len(bench.errors)} run(s) failed, e.g. {bench.errors[0][:160]})")


def _short(bench: Bench) -> str:
    """A baseline's name short enough for the baseline column."""
    if bench.key == "floor":
        return "stack floor"
    if bench.key == "pass":
        return "python -c pass"
    if bench.key == "typer":
        return "import typer"
    return f"same at {bench.section.split()[0]}"


@dataclass(frozen=True)
class Check:
    name: str
    value: float | None
    limit: float
    unit: str  # "x" for a ratio, " MiB" for memory
    strict: bool = False  # "faster than": below the limit, a tie is not enough
    # The same ratio from each side's fastest run: on a noisy machine the
    # median moves with the neighbours, the best run much less.
    best: float | None = None

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        return self.value < self.limit if self.strict else self.value <= self.limit

    def line(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "N/A "}[self.passed]
        shown = "not measured" if self.value is None else f"{self.value:.2f}{self.unit}"
        bound = "<" if self.strict else "<="
        best = "" if self.best is None else f"; best runs {self.best:.2f}{self.unit}"
        return f"{verdict}  {self.name}: {shown} (target {bound} {self.limit:g}{self.unit}{best})"


def checks(plan: Plan) -> list[Check]:
    """The targets of the performance issue, from this run's medians."""
    by_key = {b.key: b for b in plan.benches}

    def timed(name: str, a: str, b: str, limit: float, strict: bool = False) -> Check:
        if a not in by_key or b not in by_key:
            return Check(name, None, limit, "x", strict)
        return Check(
            name, ratio(by_key, a, b), limit, "x", strict, best=ratio(by_key, a, b, fastest=True)
        )

    found = [
        timed('todo --help vs python -c "import typer"', "help", "typer", 1.5),
        timed(f"todo add (SQLite, {SMALL_LIST} tasks) vs stack floor", "small-add", "floor", 1.15),
        timed(f"todo list (SQLite, {SMALL_LIST} tasks) vs stack floor", "small-list", "floor", 1.3),
    ]
    big, small = plan.sizes[-1], plan.sizes[0]
    for backend in plan.backends:
        label = BACKEND_NAMES[backend]
        if big != small:
            for kind, text in (("add", "todo add"), ("list50", "todo list --limit 50")):
                found.append(
                    timed(
                        f"{text} ({label}) at {size_name(big)} vs at {size_name(small)}",
                        f"{backend}-{kind}-{big}",
                        f"{backend}-{kind}-{small}",
                        1.1,
                    )
                )
        for kind, text in (
            ("bulk", "bulk add (stdin) vs task import"),
            ("export", "list --all --json vs task export"),
            ("list50", "list --limit 50 vs task limit:50 list"),
            ("add", "add vs task add"),
        ):
            found.append(
                timed(
                    f"{label} {text} at {size_name(big)} (faster than Taskwarrior)",
                    f"{backend}-{kind}-{big}",
                    f"task-{kind}-{big}",
                    1,
                    strict=True,
                )
            )
        export = by_key.get(f"{backend}-export-{big}")
        found.append(
            Check(
                f"todo list --all --json ({label}) of {size_name(big)} tasks: peak memory",
                export.peak_mib if export else None,
                100,
                " MiB",
            )
        )
        found.append(
            timed(
                f"todo list --all, the table ({label}), vs --json at {size_name(big)}",
                f"{backend}-table-{big}",
                f"{backend}-export-{big}",
                2.5,
            )
        )
        table = by_key.get(f"{backend}-table-{big}")
        found.append(
            Check(
                f"todo list --all, the table ({label}), of {size_name(big)} tasks: peak memory",
                table.peak_mib if table else None,
                120,
                " MiB",
            )
        )
    return found


# --- entry point -------------------------------------------------------------------


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part.replace("_", "")) for part in text.split(",") if part}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be positive numbers, e.g. 100,10000")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.perf",
        description="Time todo against the Python stack floor and Taskwarrior, side by side.",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        metavar="N",
        help=f"recorded rounds (default {DEFAULT_REPEAT}; --quick {QUICK_REPEAT})",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        metavar="N,N,...",
        help="list sizes (default 100,10000,100000; --quick 100,1000)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short run: sizes 100,1000 and 3 rounds"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-taskwarrior", action="store_true", help="do not run `task`")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = QUICK_REPEAT if args.quick else DEFAULT_REPEAT
    if args.sizes is None:
        args.sizes = QUICK_SIZES if args.quick else DEFAULT_SIZES
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


@contextmanager
def _private_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="todo-perf-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    task_bin = None if args.no_taskwarrior else shutil.which("task")
    began = time.perf_counter()
    with ExitStack() as stack:
        root = stack.enter_context(_private_root())
        pg = None
        if not args.no_postgres:
            _say(
                "starting PostgreSQL ..."
                if "TODO_TEST_DATABASE_URL" not in os.environ
                else "using TODO_TEST_DATABASE_URL ..."
            )
            pg = Postgres(stack)
        try:
            plan = build(root, args.sizes, pg, task_bin)
        except BenchError as exc:
            _say(f"error: setting up failed: {exc}")
            return 1
        spawner = Spawner(root)
        stack.callback(spawner.close)
        run_rounds(plan, spawner, args.repeat)

        print(
            f"todo benchmark: {args.repeat} rounds after a warm-up, medians; "
            f"{os.cpu_count()} CPUs, {platform.platform()}"
        )
        print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
        for note in plan.notes:
            print(note)
        if args.no_taskwarrior:
            print("Taskwarrior: skipped (--no-taskwarrior)")
        elif task_bin is None:
            print("Taskwarrior: taskwarrior not installed (no `task` on PATH)")
        if pg is None:
            print("PostgreSQL: skipped (--no-postgres)")
        print(
            "children: PYTHON* variables other than PYTHONPATH/PYTHONHOME removed; "
            "bytecode cached in the temp dir (warm-up round)"
        )
        print(
            "ratio: median / the baseline's median; vs task: median / Taskwarrior's median "
            "for the same work at the same size"
        )
        print(
            f"peak MiB: the child's own max RSS over all rounds; figures under "
            f"{spawner.floor_bytes / MIB:.1f} MiB read as that (the spawner's own size)"
        )
        print()
        print_table(plan)
        print()
        results = checks(plan)
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
