"""What the server imports before it forks, and what says that code is still current."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence

from todo_cli.server import client as wire
from todo_cli.server.state import Snapshot, import_time_variables, place_of

# What the commands import lazily (heavy imports happen inside the code path
# that needs them), imported here once. Every todo_cli module is imported too
# (see package_modules), so this lists third-party and standard modules only.
# A missing or failing one is skipped: it costs the child its import, no more.
WARM_MODULES = (
    "typer",
    "typer.main",
    "typer.core",
    "typer.completion",
    "typer._click.decorators",
    "typer._click._textwrap",
    "rich.console",
    "rich.table",
    "rich.text",
    "rich.markup",
    "rich.progress",
    "sqlalchemy",
    "sqlalchemy.engine.default",
    "sqlalchemy.pool",
    "sqlalchemy.sql.default_comparator",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.ext.compiler",
    "psycopg",
    "psycopg.pq",
    "psycopg.types.json",
    "pydantic_core",
    "platformdirs",
    "tomllib",
    "sqlite3",
    "json",
    "uuid",
    "getpass",
    "pwd",
    "encodings.ascii",
    "zoneinfo",
    "decimal",
    "locale",
    "traceback",
    "ctypes",
    "alembic.command",
    "alembic.config",
    "alembic.script",
    "alembic.runtime.migration",
    "alembic.runtime.environment",
    "alembic.operations",
    "alembic.autogenerate",
    "alembic.ddl.sqlite",
    "alembic.ddl.postgresql",
)


# Never imported here: the Alembic environment runs migrations when imported,
# and this package is the server itself.
COLD_PACKAGES = ("todo_cli.migrations", "todo_cli.server", "todo_cli.__main__")


def warm_up() -> list[str]:
    """Import what the commands will; the names that failed."""
    import importlib

    failed = []
    for name in (*WARM_MODULES, *package_modules()):
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name)
    return failed


def build_command() -> bool:
    """Build the CLI's click command once, command groups loaded on demand included.

    Typer builds it by inspecting every command's signature (~25 ms, and
    ~10 ms more per group that `todo --help` loads to list it); built here,
    before any fork, no child pays for it. Needs ``todo_cli.cli.command`` (a
    cached builder); without it each child builds its own.
    """
    from todo_cli import cli

    command = getattr(cli, "command", None)
    if not callable(command):
        return False
    group = command()
    commands = getattr(group, "commands", None)
    if not isinstance(commands, dict):
        return True
    context = group.context_class(group, info_name="todo")
    before = dict(commands)
    listed = group.list_commands(context)
    for name in listed:
        group.get_command(context, name)
    if group.list_commands(context) != listed:
        # Loading them changed how the group lists its commands (a group that
        # lists loaded ones twice): what children print must not change.
        commands.clear()
        commands.update(before)
        return True
    # Every help page, laid out for a wide terminal (or none): a served
    # `todo ... --help` then writes out a page rendered once, here.
    from todo_cli.cli.app import render_help_pages

    render_help_pages(group)
    return True


def package_modules() -> Iterator[str]:
    """Every module of todo_cli on disk, but the cold ones."""
    import todo_cli

    root = os.path.dirname(os.path.abspath(todo_cli.__file__))
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d.isidentifier())
        relative = os.path.relpath(directory, root)
        prefix = "todo_cli" if relative == "." else "todo_cli." + relative.replace(os.sep, ".")
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            module = prefix if name == "__init__.py" else f"{prefix}.{name[:-3]}"
            if not any(module == cold or module.startswith(cold + ".") for cold in COLD_PACKAGES):
                yield module


def take_snapshot() -> Snapshot:
    import todo_cli

    package_dir = os.path.dirname(os.path.abspath(todo_cli.__file__))
    path_dirs = tuple(p for p in sys.path if p and os.path.isdir(p))
    return Snapshot(
        version=todo_cli.__version__,
        fingerprint=fingerprint(package_dir, path_dirs),
        interpreter=wire.interpreter_signature(),
        encoding=sys.getfilesystemencoding(),
        package_dir=package_dir,
        path_dirs=path_dirs,
        environment=import_time_variables(k + b"=" + v for k, v in os.environb.items()),
        place=place_of("self"),
    )


def fingerprint(package_dir: str, path_dirs: Sequence[str]) -> tuple[tuple[str, int, int], ...]:
    """What says the code on disk is still the code in memory.

    Each file of the package (size and modification time) and each of its
    directories (a new one, even empty, is new code on the way), and each
    directory on the module search path: installing, upgrading or removing
    any distribution there renames a ``.dist-info`` directory, which changes
    the directory's modification time. About 0.6 ms: a request pays it only
    when the watch (see :func:`watch_code`) saw something change.
    """
    entries: list[tuple[str, int, int]] = []
    for directory, subdirs, files in os.walk(package_dir):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        entries.append((directory, -2, 0))
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(directory, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            entries.append((path, st.st_size, st.st_mtime_ns))
    for directory in path_dirs:
        try:
            entries.append((directory, -1, os.stat(directory).st_mtime_ns))
        except OSError:
            entries.append((directory, -1, -1))
    return tuple(entries)


# inotify(7): what changes a directory's entries or their contents.
_IN_MODIFY, _IN_ATTRIB, _IN_CLOSE_WRITE = 0x2, 0x4, 0x8
_IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = 0x40, 0x80, 0x100, 0x200
_IN_DELETE_SELF, _IN_MOVE_SELF = 0x400, 0x800
_IN_CHANGES = (
    _IN_MODIFY
    | _IN_ATTRIB
    | _IN_CLOSE_WRITE
    | _IN_MOVED_FROM
    | _IN_MOVED_TO
    | _IN_CREATE
    | _IN_DELETE
    | _IN_DELETE_SELF
    | _IN_MOVE_SELF
)


def watch_code(snapshot: Snapshot) -> bool:
    """Watch what the fingerprint covers, so a request need not re-read it (Linux).

    Sets ``snapshot.watch_fd``: an inotify descriptor that turns readable at
    the first change in any of the package's directories or on the module
    search path. Nothing in it is ever read, so it stays readable for every
    child forked later, and from then on each request compares fingerprints
    as if there were no watch: an event the fingerprint does not see (a
    ``chmod``, a ``__pycache__`` made) costs speed, never correctness. Set up
    after the imports of warm-up (which may write ``__pycache__``), then the
    fingerprint checked again: a change made before the watch began is seen
    there. False when there is no watch.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fd = int(libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC))
    except (OSError, AttributeError):
        return False
    if fd < 0:
        return False  # no inotify, or its per-user limit reached
    # The fingerprint lists them already: the package's directories (size -2)
    # and the search path's (size -1).
    directories = [path for path, size, _ in snapshot.fingerprint if size < 0]
    for directory in directories:
        if libc.inotify_add_watch(fd, os.fsencode(directory), _IN_CHANGES) < 0:
            os.close(fd)
            return False
    if fingerprint(snapshot.package_dir, snapshot.path_dirs) != snapshot.fingerprint:
        os.close(fd)  # changed while warming up: the first request is refused
        return False
    snapshot.watch_fd = fd
    return True


def code_unchanged(snapshot: Snapshot) -> bool:
    """Whether the code on disk is still the code the server imported."""
    if snapshot.watch_fd >= 0:
        import select

        waiting = select.poll()
        waiting.register(snapshot.watch_fd, select.POLLIN)
        if not waiting.poll(0):
            return True  # nothing changed in any watched directory
    return fingerprint(snapshot.package_dir, snapshot.path_dirs) == snapshot.fingerprint


def dependency_versions() -> dict[str, str]:
    """Each distribution todo-cli needs, with its version (for `todo server status`)."""
    import re
    from importlib import metadata

    versions: dict[str, str] = {}
    pending = ["todo-cli"]
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in versions:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        versions[key] = dist.version
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            if match:
                pending.append(match.group(0))
    return versions
