"""Skips that cannot hide a missing tool: a pytest plugin (tests/conftest.py loads it).

A test may skip for two reasons, and they are told apart:

- it cannot apply to the backend it runs on ("prepared statements are a
  PostgreSQL matter" on the SQLite run): call `not_applicable(reason)`. That is
  a skip everywhere, CI included;
- something it needs is not installed (pgbouncer, a PostgreSQL built with TLS,
  Taskwarrior, todo.txt): call `requires(what, available, how_to_get)` or one of
  the `requires_*` helpers. Locally that skips, so a developer with nothing
  installed still gets a passing suite; under `CI=true` it fails, because CI
  installs everything and a green run must mean every test ran.

Under `CI=true` any other skip (a plain `pytest.skip`, a `skipif` marker, an
`importorskip`) fails too, so a forgotten one cannot hide a missing tool. At the
end of every session the skips are counted by reason.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Generator
from pathlib import Path
from typing import NoReturn

import pytest
from _pytest.outcomes import Failed, Skipped

NOT_APPLICABLE_PREFIX = "not applicable: "
MISSING_PREFIX = "missing: "

# Tools other tests need; None where not installed.
TASK: str | None = shutil.which("task")
TODO_TXT: str | None = shutil.which("todo-txt") or shutil.which("todo.sh")
# Debian puts pgbouncer in /usr/sbin, which a non-root PATH often lacks.
PGBOUNCER: str | None = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").is_file() else None
)

HOW_TO_GET_TASKWARRIOR = "on Debian: apt-get install taskwarrior"
HOW_TO_GET_TODOTXT = "on Debian: apt-get install todotxt-cli"
HOW_TO_GET_PGBOUNCER = "on Debian: apt-get install pgbouncer"
HOW_TO_GET_TLS_SERVER = (
    "on Debian: apt-get install postgresql openssl; elsewhere point TODO_TEST_PG_BINDIR"
    " at the bin directory of a PostgreSQL built with OpenSSL"
)


def in_ci() -> bool:
    """True under CI=true (read each time, so a test of this plugin can set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


class NotApplicable(Skipped):
    """A legitimate skip: the test has no meaning on this backend or setup."""

    # pytest shows a skip's reason by stripping "Skipped: " off the exception's
    # one-line form; under its own name the class would show up in every reason.
    __module__ = "builtins"
    __qualname__ = "Skipped"


class MissingDependency(Skipped):
    """A tool or server is not installed here (a skip only outside CI)."""

    __module__ = "builtins"
    __qualname__ = "Skipped"


class MissingUnderCI(Failed):
    """A tool or server is not installed, under CI=true: the test fails."""

    __module__ = "builtins"
    __qualname__ = "Failed"

    def __init__(self, what: str, how_to_get: str) -> None:
        super().__init__(
            f"{what} is not installed, and under CI=true a missing tool or server fails"
            f" the test instead of skipping it: {how_to_get}",
            pytrace=False,
        )
        self.what = what
        self.how_to_get = how_to_get


def not_applicable(reason: str) -> NoReturn:
    """Skip, CI included: the test cannot apply here (e.g. a PostgreSQL matter on SQLite)."""
    __tracebackhide__ = True  # report the caller's line, as pytest.skip does
    raise NotApplicable(NOT_APPLICABLE_PREFIX + reason)


def requires(what: str, available: bool, how_to_get: str) -> None:
    """Go on if `available`; else skip locally, and fail under CI=true.

    `what` names the tool or server ("pgbouncer"), `how_to_get` tells a reader
    how to install it.
    """
    __tracebackhide__ = True
    if available:
        return
    if in_ci():
        raise MissingUnderCI(what, how_to_get)
    raise MissingDependency(f"{MISSING_PREFIX}{what} ({how_to_get})")


def requires_tool(name: str, path: str | None, how_to_get: str) -> str:
    """`requires` for an executable: its path, once known to be there."""
    __tracebackhide__ = True
    requires(name, path is not None, how_to_get)
    assert path is not None
    return path


def requires_taskwarrior() -> str:
    """The `task` executable (Taskwarrior), or a skip (a failure under CI=true)."""
    __tracebackhide__ = True
    return requires_tool("Taskwarrior (`task`)", TASK, HOW_TO_GET_TASKWARRIOR)


def requires_todotxt() -> str:
    """The `todo-txt`/`todo.sh` executable, or a skip (a failure under CI=true)."""
    __tracebackhide__ = True
    return requires_tool("todo.txt-cli (`todo-txt` or `todo.sh`)", TODO_TXT, HOW_TO_GET_TODOTXT)


def requires_pgbouncer() -> str:
    """The `pgbouncer` executable, or a skip (a failure under CI=true)."""
    __tracebackhide__ = True
    return requires_tool("pgbouncer", PGBOUNCER, HOW_TO_GET_PGBOUNCER)


def requires_tls_server(tls: bool) -> None:
    """The suite's PostgreSQL serves TLS, or a skip (a failure under CI=true)."""
    __tracebackhide__ = True
    requires("a PostgreSQL server built with TLS", tls, HOW_TO_GET_TLS_SERVER)


@pytest.fixture
def taskwarrior() -> str:
    """Path of `task`; the test skips (fails under CI=true) where it is missing."""
    return requires_taskwarrior()


@pytest.fixture
def todotxt() -> str:
    """Path of `todo-txt`/`todo.sh`; the test skips (fails under CI=true) where it is missing."""
    return requires_todotxt()


# --- hooks ------------------------------------------------------------------------

_skips = pytest.StashKey[list[tuple[str, str]]]()  # (kind, reason) of each skip


def _kind(reason: str) -> str:
    if reason.startswith(NOT_APPLICABLE_PREFIX):
        return "not applicable"
    if reason.startswith(MISSING_PREFIX):
        return "missing tool or server"
    return "other"


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _ci_failure(reason: str) -> str:
    return (
        f"skipped under CI=true ({reason}). CI installs every tool and server, so a skip"
        " there must be a test that cannot apply to its backend: call"
        " tests.ci_gate.not_applicable(reason) for that, or tests.ci_gate.requires(...)"
        " for something the test needs installed."
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_skips] = []


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which tools this run found, so a log shows at once why tests skipped."""
    from tests import pgharness

    if os.environ.get("TODO_TEST_DATABASE_URL"):
        server = "TODO_TEST_DATABASE_URL"
    else:
        try:
            server = str(pgharness.binaries())
        except ImportError:
            server = "none (no system PostgreSQL, and pgserver is not installed)"
    return [
        f"todo ci gate: CI={'true' if in_ci() else 'false'} (missing tools "
        + ("fail)" if in_ci() else "skip)"),
        f"todo ci gate: PostgreSQL {server}; pgbouncer {PGBOUNCER};"
        f" task {TASK}; todo.txt {TODO_TXT}",
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, MissingUnderCI):
        missing = call.excinfo.value
        reason = f"{missing.what} ({missing.how_to_get})"
        kind = "missing tool or server (failed: CI=true)"
        item.config.stash[_skips].append((kind, reason))
        return report
    if not report.skipped or hasattr(report, "wasxfail"):
        return report  # xfail is reported as a skip, but is no skip of ours
    reason = _skip_reason(report)
    legitimate = call.excinfo is not None and call.excinfo.errisinstance(NotApplicable)
    failing = in_ci() and not legitimate
    kind = _kind(reason) + (" (failed: CI=true)" if failing else "")
    item.config.stash[_skips].append((kind, reason))
    if failing:
        report.outcome = "failed"
        report.longrepr = _ci_failure(reason)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    # A whole module skipped at import (importorskip, allow_module_level=True).
    report = yield
    if report.skipped:
        reason = _skip_reason(report)
        failing = in_ci() and _kind(reason) != "not applicable"
        kind = _kind(reason) + (" (failed: CI=true)" if failing else "")
        collector.config.stash[_skips].append((kind, reason))
        if failing:
            report.outcome = "failed"
            report.longrepr = _ci_failure(reason)
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    skips = config.stash.get(_skips, [])
    ci = "true" if in_ci() else "false"
    terminalreporter.section("todo: skips", sep="-")
    if not skips:
        terminalreporter.write_line(f"no test skipped (CI={ci})")
        return
    kinds = Counter(kind for kind, _ in skips)
    totals = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    terminalreporter.write_line(f"{len(skips)} skips (CI={ci}): {totals}")
    for (kind, reason), n in sorted(Counter(skips).items()):
        reason = reason.removeprefix(NOT_APPLICABLE_PREFIX).removeprefix(MISSING_PREFIX)
        terminalreporter.write_line(f"  {n:4d} x [{kind}] {reason}")
