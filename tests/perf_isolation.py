"""Benchmark: what database-enforced isolation costs, against the same database without it.

Run it from the checkout with the project's interpreter::

    python -m tests.perf_isolation               # counts, then 100,000-task bulk adds
    python -m tests.perf_isolation --quick       # 10,000 tasks, 3 rounds

Not a test. Two figures, both measured in this run:

- statements per command, counted from the server's own statement log, on a
  database without isolation (todo_app acting for alice, as a team on the
  honor system works) and on an isolated one (alice with her own login). The
  target is no difference at all: mode detection rides on the revision check.
- the bulk add of N tasks into an empty database, timed from spawn to exit:
  COPY without isolation, `INSERT ... SELECT FROM unnest(...)` with it (row
  security refuses COPY FROM). The target is within 2x. Runs alternate
  (A B A B ...), each into a freshly cloned empty database.
- `todo undo` of a bulk add of 5,000 tasks, each mode's own, timed the same
  way (the add untimed). The target is within 2x too: the member's undo once
  took 40 times the owner's.

It starts its own PostgreSQL (tests/pgharness.py, through tests/perf.py's
Postgres helper), because the isolated database needs login roles only a
superuser of a private server may make here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from tests import pgharness
from tests.perf import (
    BenchError,
    Postgres,
    Spawner,
    _private_root,
    base_env,
    run_setup,
    todo_command,
    write_titles,
)

TARGET_RATIO = 2.0
# Commands whose statements are counted, with what they read on stdin.
COUNTED: tuple[tuple[str, list[str], str | None], ...] = (
    ("add one", ["add", "Buy milk", "+errand", "pri:H"], None),
    ("add 100 from stdin", ["add"], "".join(f"task {i} +t{i % 3}\n" for i in range(100))),
    ("list", ["list"], None),
    ("list --json", ["list", "--all", "--json"], None),
    ("show", ["show", "1"], None),
    ("done", ["done", "1"], None),
    ("edit", ["edit", "2", "--title", "renamed", "+x"], None),
    ("note", ["note", "2", "a note"], None),
    ("undo", ["undo"], None),
    ("history", ["history"], None),
    ("delete", ["delete", "3", "--yes"], None),
    ("chat-log new", ["chat-log", "new", "--title", "plans"], None),
    ("chat-log append", ["chat-log", "append", "1", "--role", "user", "hello"], None),
    ("chat-log show", ["chat-log", "show", "1"], None),
    (
        "import 3 (taskwarrior)",
        ["import", "-"],
        json.dumps(
            [
                {
                    "uuid": f"00000000-0000-4000-8000-00000000000{i}",
                    "description": f"imported {i}",
                    "status": "pending",
                    "entry": "20260101T000000Z",
                    "tags": ["x"],
                }
                for i in range(3)
            ]
        ),
    ),
)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _log_statements(server: pgharness.Server, on: bool) -> None:
    server.admin(f"ALTER SYSTEM SET log_statement = '{'all' if on else 'none'}'")
    server.admin("SELECT pg_reload_conf()")
    time.sleep(0.2)  # the reload reaches the backends on their next command


def _statements(server: pgharness.Server, database: str, offset: int) -> list[str]:
    deadline = time.monotonic() + 10
    sent = server.statements_for(database, offset)
    while (not sent or sent[-1] != "COMMIT") and time.monotonic() < deadline:
        time.sleep(0.05)
        sent = server.statements_for(database, offset)
    return sent


def count_statements(
    server: pgharness.Server, root: Path, env: dict[str, str], plain: str, isolated: str
) -> list[tuple[str, int, int]]:
    """Each counted command, run in turn on both databases: (command, plain, isolated)."""
    todo = todo_command()
    targets = {
        "plain": (plain, {**env, "TODO_DATABASE_URL": server.url(plain), "TODO_USER": "alice"}),
        "isolated": (
            isolated,
            {
                **env,
                "TODO_DATABASE_URL": server.url(
                    isolated, user="alice", password=pgharness.MEMBER_PASSWORDS["alice"]
                ),
            },
        ),
    }
    rows = []
    for label, args, stdin in COUNTED:
        counts = []
        for database, target_env in targets.values():
            source = None
            if stdin is not None:
                source = root / "stdin.txt"
                source.write_text(stdin, encoding="utf-8")
            offset = server.log_offset()
            run_setup([*todo, *args], target_env, root, source)
            counts.append(len(_statements(server, database, offset)))
        rows.append((label, counts[0], counts[1]))
    return rows


def _alternating(
    pg: Postgres,
    server: pgharness.Server,
    root: Path,
    env: dict[str, str],
    templates: dict[str, str],
    repeat: int,
    suffix: str,
    measure: Callable[[str, dict[str, str], Spawner], float],
) -> dict[str, list[float]]:
    """Seconds that ``measure`` (mode, the command's environment, the spawner) gives in a
    fresh copy of each mode's template, the modes alternating round by round.

    The first round is not recorded: it warms caches and bytecode. In the isolated
    mode the command connects as member alice; in the plain one as the owner with
    TODO_USER=alice.
    """
    spawner = Spawner(root)
    samples: dict[str, list[float]] = {mode: [] for mode in templates}
    try:
        for round_no in range(repeat + 1):
            for mode, template in templates.items():
                name = f"{template}_{suffix}"
                pg.drop(name)
                owner = pgharness.ADMIN_ROLE if mode == "isolated" else pgharness.APP_ROLE
                server.create_database(name, template, owner=owner)
                if mode == "isolated":
                    url = server.url(
                        name, user="alice", password=pgharness.MEMBER_PASSWORDS["alice"]
                    )
                    target = {**env, "TODO_DATABASE_URL": url}
                else:
                    target = {**env, "TODO_DATABASE_URL": server.url(name), "TODO_USER": "alice"}
                seconds = measure(mode, target, spawner)
                if round_no:
                    samples[mode].append(seconds)
                pg.drop(name)
            if round_no:
                _say(
                    f"  round {round_no}/{repeat}: "
                    + ", ".join(f"{mode} {samples[mode][-1]:.2f} s" for mode in samples)
                )
    finally:
        spawner.close()
    return samples


def time_bulk_adds(
    pg: Postgres,
    server: pgharness.Server,
    root: Path,
    env: dict[str, str],
    templates: dict[str, str],
    n: int,
    repeat: int,
) -> dict[str, list[float]]:
    """Seconds of `todo add < N lines` into a fresh empty database, per mode, alternating."""
    todo = todo_command()
    lines = write_titles(root / f"titles-{n}.txt", n)

    def measure(mode: str, target: dict[str, str], spawner: Spawner) -> float:
        return spawner.measure([*todo, "add"], target, lines).seconds

    return _alternating(pg, server, root, env, templates, repeat, "bulk", measure)


def time_undos(
    pg: Postgres,
    server: pgharness.Server,
    root: Path,
    env: dict[str, str],
    templates: dict[str, str],
    n: int,
    repeat: int,
) -> dict[str, list[float]]:
    """Seconds of `todo undo` of a bulk add of N tasks, per mode, alternating.

    Under row security the undo reads the operation's journal rows through the
    policies, where the planner cannot estimate them: a member's undo of 5,000
    tasks once took 40 times the owner's. The bulk add before it is untimed.
    """
    todo = todo_command()
    lines = write_titles(root / f"titles-{n}.txt", n)

    def measure(mode: str, target: dict[str, str], spawner: Spawner) -> float:
        run_setup([*todo, "add", "-"], target, root, stdin=lines)
        measured = spawner.measure([*todo, "undo"], target, None)
        left = run_setup([*todo, "list", "--all", "--json"], target, root)
        if json.loads(left):
            raise BenchError(f"{mode}: the undo left tasks behind")
        return measured.seconds

    return _alternating(pg, server, root, env, templates, repeat, "undo", measure)


def make_templates(
    pg: Postgres, server: pgharness.Server, root: Path, env: dict[str, str]
) -> dict[str, str]:
    """Two empty databases at head: one plain (todo_app), one isolated with member alice."""
    todo = todo_command()
    server.ensure_isolation_roles()
    prefix = f"todo_perf_iso_{os.getpid()}"
    plain, isolated = f"{prefix}_plain", f"{prefix}_isolated"
    pg.create(plain)
    run_setup([*todo, "db", "upgrade"], {**env, "TODO_DATABASE_URL": server.url(plain)}, root)
    pg.drop(isolated)
    server.create_database(isolated, owner=pgharness.ADMIN_ROLE)
    admin = {
        **env,
        "TODO_DATABASE_URL": server.url(
            isolated, user=pgharness.ADMIN_ROLE, password=pgharness.ADMIN_PASSWORD
        ),
    }
    run_setup([*todo, "db", "upgrade"], admin, root)
    run_setup([*todo, "db", "grant", "alice", "--existing-role"], admin, root)
    return {"plain": plain, "isolated": isolated}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.perf_isolation",
        description="Statements per command and bulk-add time, with isolation and without.",
    )
    parser.add_argument("--size", type=int, default=None, help="tasks per bulk add (100000)")
    parser.add_argument("--repeat", type=int, default=None, help="recorded rounds (5)")
    parser.add_argument(
        "--undo-size", type=int, default=None, help="tasks of the bulk add undone (5000)"
    )
    parser.add_argument("--quick", action="store_true", help="10,000 tasks, 3 rounds")
    args = parser.parse_args(argv)
    args.undo_size = args.undo_size or (1_000 if args.quick else 5_000)
    args.size = args.size or (10_000 if args.quick else 100_000)
    args.repeat = args.repeat or (3 if args.quick else 5)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get("TODO_TEST_DATABASE_URL"):
        _say("error: this benchmark starts its own server (it makes login roles as superuser)")
        return 2
    began = time.perf_counter()
    with ExitStack() as stack:
        root = stack.enter_context(_private_root())
        env = base_env(root)
        env.pop("TODO_USER", None)
        _say("starting PostgreSQL ...")
        pg = Postgres(stack)
        server = pg._server  # the private server Postgres started (no external URL here)
        assert server is not None
        version = pg.version()
        try:
            templates = make_templates(pg, server, root, env)
            _say("counting statements ...")
            _log_statements(server, True)
            counted_plain = f"{templates['plain']}_count"
            counted_isolated = f"{templates['isolated']}_count"
            server.create_database(counted_plain, templates["plain"])
            server.create_database(
                counted_isolated, templates["isolated"], owner=pgharness.ADMIN_ROLE
            )
            counts = count_statements(server, root, env, counted_plain, counted_isolated)
            _log_statements(server, False)
            _say(f"timing bulk adds of {args.size:,} tasks ...")
            samples = time_bulk_adds(pg, server, root, env, templates, args.size, args.repeat)
            _say(f"timing the undo of bulk adds of {args.undo_size:,} tasks ...")
            undos = time_undos(pg, server, root, env, templates, args.undo_size, args.repeat)
        except BenchError as exc:
            _say(f"error: {exc}")
            return 1

    print(f"todo isolation benchmark: PostgreSQL {version}, {os.cpu_count()} CPUs")
    print()
    print("statements per command (server log)   plain  isolated")
    same = True
    for label, plain_count, isolated_count in counts:
        mark = "" if plain_count == isolated_count else "  DIFFERS"
        same &= plain_count == isolated_count
        print(f"  {label:36} {plain_count:5d}  {isolated_count:8d}{mark}")
    print()
    plain = statistics.median(samples["plain"])
    isolated = statistics.median(samples["isolated"])
    ratios = [i / p for p, i in zip(samples["plain"], samples["isolated"], strict=True)]
    ratio = statistics.median(ratios)
    print(f"bulk add of {args.size:,} tasks, median of {args.repeat} rounds:")
    print(f"  plain (COPY)                {plain:6.2f} s")
    print(f"  isolated (INSERT ... unnest) {isolated:6.2f} s")
    print(f"  ratio (median of per-round ratios) {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x)")
    print()
    undo_ratio = statistics.median(
        i / p for p, i in zip(undos["plain"], undos["isolated"], strict=True)
    )
    print(f"undo of a bulk add of {args.undo_size:,} tasks, median of {args.repeat} rounds:")
    print(f"  plain (the tables' owner)   {statistics.median(undos['plain']):6.2f} s")
    print(f"  isolated (a member)         {statistics.median(undos['isolated']):6.2f} s")
    print(f"  ratio (median of per-round ratios) {undo_ratio:.2f}x (target <= {TARGET_RATIO:.0f}x)")
    print()
    met = same and ratio <= TARGET_RATIO and undo_ratio <= TARGET_RATIO
    print(
        f"statements unchanged: {'yes' if same else 'NO'}; bulk add within "
        f"{TARGET_RATIO:.0f}x: {'yes' if ratio <= TARGET_RATIO else 'NO'}; undo within "
        f"{TARGET_RATIO:.0f}x: {'yes' if undo_ratio <= TARGET_RATIO else 'NO'}. "
        f"Total {time.perf_counter() - began:.0f} s."
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
