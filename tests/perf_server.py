"""Benchmark: `todo` with and without the command server, measured in the same run.

Run it from the checkout with the project's interpreter::

    python -m tests.perf_server                 # SQLite and PostgreSQL, 15 rounds
    python -m tests.perf_server --rounds 31 --no-postgres

Not a test (the suite checks behaviour, never seconds). Every figure comes
from real processes of the installed `todo` (the one next to this Python),
started as a shell starts them, stdout and stderr to /dev/null, timed from
spawn to exit. Each round runs every pair back to back, server first one
round and last the next, so a machine that gets busier slows both sides of a
pair alike; a ratio is the median of the per-round ratios.

What it prints:

* speed-ups: `todo add`, `todo list` (10 tasks) and `todo --help` on SQLite,
  `add` and `list` on PostgreSQL, each without / with the server;
* the client's own start-up: `todo --version` through the server against
  ``python -I -S -c pass`` (the interpreter doing nothing);
* the cold path: what a command pays for trying a server that is not there;
* memory: the idle server (resident and private), its spare child, and a
  child running a command (private: what it does not share with the server).

PostgreSQL is ``TODO_TEST_DATABASE_URL`` when set (a role that may CREATE
DATABASE), else a throwaway server started like the test suite's. Nothing
outside a private temporary directory is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024
TARGETS = {"add": 8.0, "list": 8.0, "--help": 8.0, "postgresql": 6.0, "client": 2.0}


def todo_executable() -> list[str]:
    script = Path(sys.executable).with_name("todo")
    return [str(script)] if script.exists() else [sys.executable, "-m", "todo_cli"]


def timed(argv: Sequence[str], env: dict[str, str]) -> float:
    """Seconds from spawn to exit; stdin, stdout and stderr on /dev/null."""
    actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], list(argv), env, file_actions=actions)
    _, status, _ = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        detail = subprocess.run(list(argv), env=env, capture_output=True, check=False)
        raise SystemExit(f"{' '.join(argv)} failed: {detail.stderr.decode()[-400:]}")
    return seconds


@dataclass
class Pair:
    """One command line, timed without the server (``off``) and with it (``on``)."""

    label: str
    target: float
    argv: list[str]
    env: dict[str, str]
    off: list[float] = field(default_factory=list)
    on: list[float] = field(default_factory=list)

    def run(self, server_first: bool) -> None:
        sides = [("on", self.env), ("off", self.env | {"TODO_SERVER": "off"})]
        for side, env in sides if server_first else reversed(sides):
            getattr(self, side).append(timed(self.argv, env))

    @property
    def speedup(self) -> float:
        return statistics.median(off / on for off, on in zip(self.off, self.on, strict=True))


def environment(work: Path, runtime: Path, url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TODO_") and k not in ("PYTHONDONTWRITEBYTECODE", "COLUMNS")
    }
    return env | {
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "TODO_DATABASE_URL": url,
        "TODO_USER": "bench",
    }


def run(argv: Sequence[str], env: dict[str, str], stdin: bytes | None = None) -> str:
    done = subprocess.run(list(argv), env=env, input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-400:]}")
    return done.stdout.decode()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the run, dropped afterwards."""
    name = f"todo_perf_server_{os.getpid()}"
    external = os.environ.get("TODO_TEST_DATABASE_URL")
    if external:
        import psycopg
        from sqlalchemy.engine import make_url

        dsn = external.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(external).set(database=name).render_as_string(hide_password=False)
        finally:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    import warnings

    from tests.pgharness import running_server

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    with running_server() as server:
        server.admin("ALTER SYSTEM SET log_statement = 'none'")
        server.admin("SELECT pg_reload_conf()")
        yield server.create_database(name)


def status(todo: list[str], env: dict[str, str]) -> dict[str, object]:
    found = json.loads(run([*todo, "server", "status", "--json"], env | {"TODO_SERVER": "off"}))
    assert isinstance(found, dict)
    return found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args(argv)
    todo = todo_executable()
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="todo-perf-")))
        runtime = Path(tempfile.mkdtemp(prefix="todo-rt-", dir="/tmp"))
        stack.callback(shutil.rmtree, runtime, ignore_errors=True)
        os.chdir(work)
        env = environment(work, runtime, f"sqlite:///{work / 'todo.db'}")
        off = env | {"TODO_SERVER": "off"}
        run([*todo, "add", "-"], off, stdin=b"".join(b"task %d\n" % i for i in range(10)))
        run([*todo, "server", "start", "--idle", "0"], off)
        stack.callback(run, [*todo, "server", "stop"], off)
        pairs = [
            Pair("todo add (SQLite)", TARGETS["add"], [*todo, "add", "one more"], env),
            Pair("todo list (SQLite)", TARGETS["list"], [*todo, "list", "--limit", "10"], env),
            Pair("todo --help", TARGETS["--help"], [*todo, "--help"], env),
        ]
        if not options.no_postgres:
            url = stack.enter_context(postgres_database())
            pg = env | {"TODO_DATABASE_URL": url}
            run([*todo, "db", "upgrade"], pg | {"TODO_SERVER": "off"})
            run([*todo, "add", "-"], pg, stdin=b"".join(b"task %d\n" % i for i in range(10)))
            pairs += [
                Pair("todo add (PostgreSQL)", TARGETS["postgresql"], [*todo, "add", "x"], pg),
                Pair("todo list (PostgreSQL)", TARGETS["postgresql"], [*todo, "list"], pg),
            ]
        client = Pair("client", TARGETS["client"], [*todo, "--version"], env)
        bare = [sys.executable, "-I", "-S", "-c", "pass"]
        with_site = [sys.executable, "-c", "pass"]
        bare_times: list[float] = []
        site_times: list[float] = []
        served_before = int(status(todo, env)["commands_served"])  # type: ignore[call-overload]
        for pair in [*pairs, client]:  # warm-up: bytecode written, caches filled
            pair.run(server_first=True)
            pair.off.clear()
            pair.on.clear()
        for round_ in range(options.rounds):
            for pair in pairs:
                pair.run(server_first=round_ % 2 == 0)
            client.run(server_first=round_ % 2 == 0)
            bare_times.append(timed(bare, env))
            site_times.append(timed(with_site, env))
        served = int(status(todo, env)["commands_served"]) - served_before  # type: ignore[call-overload]
        expected = (len(pairs) + 1) * (options.rounds + 1)
        if served != expected:
            raise SystemExit(f"only {served} of {expected} runs went through the server")
        report(pairs, client, bare_times, site_times, options.rounds)
        memory(todo, env, work)
        cold_path(env)


def report(
    pairs: list[Pair], client: Pair, bare: list[float], site: list[float], rounds: int
) -> None:
    print(f"{rounds} rounds; medians; a ratio is the median of the per-round ratios\n")
    print(f"{'command':<26}{'without':>10}{'with':>10}{'speed-up':>10}  target")
    for pair in pairs:
        print(
            f"{pair.label:<26}{_ms(pair.off):>10}{_ms(pair.on):>10}"
            f"{pair.speedup:>9.1f}x  >= {pair.target:g}x"
            + ("" if pair.speedup >= pair.target else "  (missed)")
        )
    ratios = [on / b for on, b in zip(client.on, bare, strict=True)]
    ratio = statistics.median(ratios)
    print(
        f"\nclient start-up: todo --version through the server {_ms(client.on)}, "
        f"python -I -S -c pass {_ms(bare)} (python -c pass {_ms(site)}): "
        f"{ratio:.2f}x (target <= {TARGETS['client']:g}x)"
        + ("" if ratio <= TARGETS["client"] else "  (missed)")
    )
    print(f"todo --version without the server: {_ms(client.off)}")


def memory(todo: list[str], env: dict[str, str], work: Path) -> None:
    time.sleep(1.0)  # let the spare copy its pages
    idle = status(todo, env)
    proc = subprocess.Popen(
        [*todo, "add"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=work,
    )
    running: list[dict[str, int]] = []
    deadline = time.monotonic() + 30
    while not running and time.monotonic() < deadline:
        running = status(todo, env)["running"]  # type: ignore[assignment]
        time.sleep(0.1)
    time.sleep(0.3)  # the command is waiting on stdin by now
    running = status(todo, env)["running"]  # type: ignore[assignment]
    proc.communicate(b"memory probe\n", timeout=60)
    print(
        f"\nmemory: idle server {_mib(idle['rss_bytes'])} resident, "
        f"{_mib(idle['private_bytes'])} private; its spare child "
        f"{_mib(idle.get('spare_private_bytes'))} private; "
        f"a running `todo add` {_mib(running[0]['private_bytes'] if running else None)} private"
    )
    usage = _peak_without_server(todo, env)
    print(f"a `todo list` without the server peaks at {usage / MIB:.1f} MiB resident")


def _peak_without_server(todo: list[str], env: dict[str, str]) -> int:
    actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    argv = [*todo, "list"]
    pid = os.posix_spawn(argv[0], argv, env | {"TODO_SERVER": "off"}, file_actions=actions)
    _, _, usage = os.wait4(pid, 0)
    return int(usage.ru_maxrss) * 1024


def cold_path(env: dict[str, str]) -> None:
    """What `todo` pays to learn there is no server: timed in this process."""
    from todo_cli.server import client

    empty = Path(tempfile.mkdtemp(prefix="todo-rt-", dir="/tmp"))
    saved = dict(os.environ)
    os.environ.update(env | {"XDG_RUNTIME_DIR": str(empty)})
    try:
        (empty / "todo-cli").mkdir(mode=0o700)
        times = []
        for _ in range(200):
            start = time.perf_counter()
            assert client.run(["--version"]) is None
            times.append(time.perf_counter() - start)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(empty, ignore_errors=True)
    print(
        f"cold path (no server): the client gives up after {statistics.median(times) * 1e3:.3f} ms"
    )


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def _mib(value: object) -> str:
    return "?" if not isinstance(value, int) else f"{value / MIB:.1f} MiB"


if __name__ == "__main__":
    main()
