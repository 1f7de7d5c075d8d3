"""`todo db ...`: Alembic, wrapped.

Only this module (and migrations/env.py) imports Alembic, so everyday
commands never pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from todo_cli.db.connect import connected
from todo_cli.db.revisions import HEAD, is_newer, is_todo_revision, mismatch, read_revision
from todo_cli.db.url import DatabaseURL, parse_url
from todo_cli.errors import ConfigError, Conflict, DatabaseError, Declined, InvalidUsage

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Connection
    from sqlalchemy.engine import URL

    from todo_cli.settings import Settings


def _direct(settings: Settings) -> DatabaseURL:
    """The endpoint migrations use (see `DatabaseURL.direct`), knowing its setting."""
    return parse_url(settings.database_url, settings.database_source).direct(
        settings.direct_database_url
    )


def migrations_dir() -> Path:
    """Where the revisions are: inside the installed package, or the checkout."""
    import importlib.util

    # In a checkout, the migrations beside this very package: an editable
    # install elsewhere must not hand this code another tree's revisions.
    root = Path(__file__).resolve().parents[2]
    if (root / "alembic.ini").is_file() and (root / "migrations" / "env.py").is_file():
        return root / "migrations"
    # Installed: the wheel maps migrations/ to todo_cli.migrations.
    spec = importlib.util.find_spec("todo_cli.migrations")
    if spec is not None and spec.origin is not None:
        return Path(spec.origin).parent
    raise RuntimeError("todo's migrations are missing from this installation")


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


# --- the connection every migration runs on -------------------------------


# Taken by every migration on PostgreSQL, first thing in its transaction: two
# `todo db upgrade` at once take turns, and the second finds nothing to do.
# (SQLite's BEGIN IMMEDIATE does the same there.) Any constant works; this is
# "todo" in ASCII.
MIGRATION_LOCK_KEY = 0x746F646F


@contextmanager
def migration_connection(settings: Settings, *, writes: bool = True) -> Iterator[Connection]:
    """A connection to the migration endpoint, inside one locked transaction.

    Neon's pooled URL is swapped for its direct endpoint. On SQLite, foreign
    keys are off for the duration (batch mode needs it) and checked by hand
    before the commit, so a migration can never leave a dangling reference.
    ``writes=False``: a look that changes nothing, after a migration perhaps
    (``members.locked_out``): a Ctrl-C during it leaves that migration's commit
    said as it stands, not "interrupted (nothing was changed)".
    """
    from todo_cli.db import transaction

    db = _direct(settings)
    if writes:
        transaction.began_writing()
    held: list[Any] = []
    try:
        with connected(db, settings, for_migrations=True) as conn:
            empty = _empty_file(db)
            txn = conn.begin()
            try:
                with _first_error():
                    _lock(conn)
                    yield conn
                    _check_foreign_keys(conn)
                if empty and _sqlite_pages(conn) <= 1:  # (an empty file's count is 1)
                    # An empty file looked at (`db current`, a downgrade with nothing
                    # to do): committing writes its first page, a 4 KiB file left
                    # where a command that changed nothing found an empty one.
                    txn.rollback()
                    return
                # From the commit on the change stands: a Ctrl-C there said "nothing
                # was changed" (130) of a downgrade that had dropped its columns.
                handler = transaction.hold_interrupts()
                if handler is not None:
                    held.append(handler)
                if writes:
                    transaction.committing()
                txn.commit()
                if writes:
                    transaction.committed()
                if empty:
                    # `db upgrade` made the schema in a new, empty file: WAL from now
                    # on (engine._use_wal left it in SQLite's default mode).
                    from todo_cli.db.engine import use_wal

                    use_wal(conn)
            finally:
                if txn.is_active:
                    txn.rollback()
    finally:
        if held:
            import signal

            signal.signal(signal.SIGINT, held[0])


def _empty_file(db: DatabaseURL) -> bool:
    """Whether the database is a SQLite file of 0 bytes (a new one, to SQLite)."""
    path = db.sqlite_path
    try:
        return path is not None and path.stat().st_size == 0
    except OSError:
        return False


def _sqlite_pages(conn: Connection) -> int:
    """The pages of the SQLite database the connection is on."""
    return int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())


@contextmanager
def _first_error() -> Iterator[None]:
    """The error a migration step met, not the one its clean-up met after it.

    Alembic's batch mode (SQLite) goes on with its table copy when a step failed:
    a Ctrl-C came out as "Can't reconnect until invalid transaction is rolled
    back" (exit 3, not 130), a full disk as "no such table: _alembic_tmp_tasks".
    """
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except Exception as exc:
        first: BaseException | None = None
        seen = exc.__context__
        while seen is not None:
            if isinstance(seen, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            if isinstance(seen, DBAPIError):
                first = seen
            seen = seen.__context__
        if first is not None and isinstance(exc, DBAPIError):
            raise first from None
        raise


# How long a migration's (or grant's) statement waits for a table lock that
# another session holds. ALTER TABLE waits behind any open transaction that has
# read the table (a member's idle `psql`), and while it waits every member's
# command queues behind it: the whole team stopped, with nothing said. Past this
# the migration gives up, rolls back and names the cause; everyone goes on.
LOCK_TIMEOUT_SECONDS = 5


# How long a migration (or an admin's command) waits for todo's migration lock. A
# migration holds it while it runs, and waiting for one to end is no harm; but any
# session may take an advisory lock, a member's too, and hold it for ever: a
# `revoke` of that member hung with nothing said. Past this it gives up, naming
# the session that holds the lock.
MIGRATION_WAIT_SECONDS = 30


def _lock(conn: Connection) -> None:
    import time

    from sqlalchemy import text

    from todo_cli.errors import DatabaseError

    if conn.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + MIGRATION_WAIT_SECONDS
    taken = text("SELECT pg_try_advisory_xact_lock(:key)")
    while not conn.execute(taken, {"key": MIGRATION_LOCK_KEY}).scalar():
        if time.monotonic() >= deadline:
            # A one-bigint advisory lock is (classid, objid) = its high and low halves.
            holder = conn.execute(
                text(
                    "SELECT l.pid, a.usename::text AS role FROM pg_catalog.pg_locks l "
                    "LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                    "AND l.classid = 0 AND l.objid = :key"
                ),
                {"key": MIGRATION_LOCK_KEY},
            ).first()
            who = (
                f"session {holder.pid} (role {holder.role or 'unknown'})"
                if holder is not None
                else "another session"
            )
            raise DatabaseError(
                f"todo's migration lock is held by {who}, and was not released in "
                f"{MIGRATION_WAIT_SECONDS} s; nothing was changed",
                hint="wait for that `todo db` command to end; if none is running, end the "
                "session (SELECT pg_terminate_backend(pid))",
            )
        time.sleep(0.1)
    # (After the advisory lock: waiting for another migration to end is no harm.)
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'"))


def require_owner(conn: Connection, doing: str) -> None:
    """Refuse, naming the owner, a PostgreSQL login that does not own todo's tables.

    A member's login may read its rows and no more: a migration run with it
    would fail halfway on "must be owner of table ...", which says nothing of
    what to do instead.
    """
    from sqlalchemy import text

    if conn.dialect.name != "postgresql":
        return
    row = conn.execute(
        text(
            "SELECT current_user::text AS me, c.relowner::regrole::text AS owner, "
            "pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE') AS owns "
            "FROM pg_catalog.pg_class c WHERE c.oid = to_regclass('public.tasks')"
        )
    ).one_or_none()
    if row is not None and not row.owns:
        raise DatabaseError(
            f"refused: only the owner of todo's tables ({row.owner}) {doing}, "
            f"and you are logged in as {row.me}",
            hint="use the admin URL, the one `todo db upgrade` runs with",
        )


def _check_foreign_keys(conn: Connection) -> None:
    from sqlalchemy import text

    if conn.dialect.name == "sqlite":
        broken = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
        if broken:
            raise DatabaseError(
                f"migration would leave {len(broken)} dangling references; rolled back"
            )


def refuse_foreign_sqlite(conn: Connection, db: DatabaseURL) -> None:
    """A SQLite file with tables that are not todo's schema is someone else's.

    Creating our tables in it would mix two programs' data in one file, and
    upgrading or reading it as ours would change it. Every todo revision has
    alembic_version, users and tasks; a file of another program that Alembic
    manages too (any web app's) has its own alembic_version, and is no more
    todo's than one without.
    """
    from sqlalchemy import text

    if conn.dialect.name != "sqlite":
        return
    names = {
        row[0]
        for row in conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")
        )
    }
    from todo_cli.db.engine import TODO_COLUMNS_SQL, TODO_SQLITE_TABLES
    from todo_cli.db.revisions import is_todo_revision

    if names <= {"alembic_version"} or names >= TODO_SQLITE_TABLES:
        revision = read_revision(conn) if names else None
        if revision is not None and not is_todo_revision(revision):
            # Stamped by another program Alembic manages, whose tables may be named
            # like ours (the web back end todo grew from has users and tasks).
            raise mismatch(db, revision)
        if names >= TODO_SQLITE_TABLES and not conn.execute(text(TODO_COLUMNS_SQL)).scalar():
            # The same, stamped with an id of todo's form: its columns tell.
            raise ConfigError(
                f"{db.sqlite_path} is not a todo database: its users and tasks tables "
                "are not todo's (another program's schema)",
                hint=f"point {db.setting} at a new file",
            )
        if names >= TODO_SQLITE_TABLES and revision is None:
            # Made by todo, its stamp since deleted: upgrading would create the
            # tables again ("table users already exists").
            raise ConfigError(
                f"{db.sqlite_path} holds todo's tables, but its alembic_version names no "
                "revision: which schema they have is unknown",
                hint=f"restore a backup, or point {db.setting} at a new file",
            )
        return  # new, downgraded to base, or todo's
    if {"users", "tasks"} <= names and conn.execute(text(TODO_COLUMNS_SQL)).scalar():
        # Todo's own tables, the alembic_version table itself dropped: as above, not
        # "another program's" (which listed todo's tables as the other ones).
        raise ConfigError(
            f"{db.sqlite_path} holds todo's tables, but no alembic_version table: which "
            "schema they have is unknown",
            hint=f"restore a backup, or point {db.setting} at a new file",
        )
    others = sorted(names - {"alembic_version"}) or sorted(names)
    shown = ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")
    raise ConfigError(
        f"{db.sqlite_path} is not a todo database (it holds other tables: {shown})",
        hint=f"point {db.setting} at a new file",
    )


def refuse_foreign(conn: Connection, db: DatabaseURL, revision: str | None) -> None:
    """Another program's database (its tables, or its Alembic stamp) is not migrated:
    what `todo db upgrade` and plain Alembic (migrations/env.py) both check first."""
    from todo_cli.db.revisions import is_todo_revision

    refuse_foreign_sqlite(conn, db)
    if revision is not None and not is_todo_revision(revision):
        raise mismatch(db, revision)
    refuse_clashing_tables(conn, db, revision)
    if revision is not None and conn.dialect.name == "postgresql":
        refuse_foreign_columns(conn, db)


def refuse_foreign_columns(conn: Connection, db: DatabaseURL) -> None:
    """Another program's users and tasks, stamped with an id of todo's form ('0001'):
    its columns tell (an upgrade failed on a foreign key it could not make)."""
    from sqlalchemy import inspect

    inspector = inspect(conn)
    names = set(inspector.get_table_names())
    if not {"users", "tasks"} <= names:
        return
    if not _todos_columns(inspector):
        raise ConfigError(
            f"{db.masked} is not a todo database: its users and tasks tables are not "
            "todo's (another program's schema)",
            hint=f"point {db.setting} at a database of todo's own, or a new one",
        )


def _todos_columns(inspector: Any) -> bool:
    """Whether users and tasks have the columns every todo revision gives them."""
    users = {column["name"] for column in inspector.get_columns("users")}
    tasks = {column["name"] for column in inspector.get_columns("tasks")}
    return "name" in users and {"user_id", "number", "title"} <= tasks


def refuse_clashing_tables(conn: Connection, db: DatabaseURL, revision: str | None) -> None:
    """A PostgreSQL database with no todo schema whose tables are named like todo's
    is another program's: creating ours failed halfway with "relation users already
    exists". (Other tables beside ours are fine: a shared database holds many.)"""
    from sqlalchemy import inspect

    from todo_cli.db.schema import metadata

    if revision is not None or conn.dialect.name != "postgresql":
        return
    inspector = inspect(conn)
    clashing = sorted(set(inspector.get_table_names()) & set(metadata.tables))
    if {"users", "tasks"} <= set(clashing) and _todos_columns(inspector):
        # Made by todo, its stamp since deleted: upgrading would create the tables
        # again, and they are not another program's either.
        raise ConfigError(
            f"{db.masked} holds todo's tables, but its alembic_version names no "
            "revision: which schema they have is unknown",
            hint=f"restore a backup, or point {db.setting} at a new database",
        )
    if clashing:
        shown = ", ".join(clashing[:5]) + (" ..." if len(clashing) > 5 else "")
        raise ConfigError(
            f"{db.masked} is not a todo database: it has no todo schema but holds tables "
            f"named like todo's ({shown}), another program's",
            hint=f"point {db.setting} at a database of todo's own, or a new one",
        )


def upgrade_sqlite_in_place(db: DatabaseURL, settings: Settings) -> None:
    """Bring an embedded SQLite file to head, safely under concurrent first use."""
    from alembic import command

    from todo_cli.db.engine import use_wal

    with connected(db, settings, for_migrations=True) as conn:
        with conn.begin(), _first_error():
            # BEGIN IMMEDIATE holds the write lock: a second process that also
            # found the file behind waits here, then finds it at head.
            revision = read_revision(conn, look_first=True)
            if revision == HEAD:
                return
            refuse_foreign_sqlite(conn, db)
            if is_newer(revision):
                raise mismatch(db, revision)
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            _check_foreign_keys(conn)
        # A new (empty) file is made in SQLite's default mode (engine._use_wal): WAL
        # now, so that readers go on while one process writes from the first command.
        use_wal(conn)


def settings_for_alembic_cli(x_args: Mapping[str, str]) -> Settings:
    """Settings for plain `alembic` runs: `-x db=URL`, `-x user=NAME` act as --db and --user."""
    from todo_cli.settings import resolve

    return resolve(db=x_args.get("db"), user=x_args.get("user"))


def url_for_alembic_cli(x_args: Mapping[str, str]) -> URL:
    settings = settings_for_alembic_cli(x_args)
    return _direct(settings).url


# --- commands -------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revision: str | None
    description: str
    is_head: bool
    is_current: bool


@dataclass(frozen=True)
class DataLoss:
    """Rows a downgrade would destroy: a whole table, or a column's values.

    A revision whose downgrade changes data in place (shortens messages, say)
    says so itself, in `note`: no snapshot of tables and columns can see that.
    """

    table: str
    column: str | None
    rows: int
    note: str | None = None

    def describe(self) -> str:
        """What the downgrade does to these rows, as a verb phrase ("delete 3 rows in x")."""
        if self.note is not None:
            return self.note
        if self.column is None:
            return f"delete {self.rows} row{'s' if self.rows != 1 else ''} in {self.table}"
        noun = "value" if self.rows == 1 else "values"
        return f"delete {self.rows} {noun} of {self.table}.{self.column}"


def missing_sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file the settings name, when it does not exist yet.

    Commands that only look (`db current`, `db info`, `--sql`, a downgrade with
    nothing to undo) must not leave an empty file behind a mistyped path.
    """
    db = _direct(settings)
    path = db.sqlite_path if db.backend == "sqlite" else None
    if path is None or path.exists():
        return None
    return path


def current(settings: Settings) -> str | None:
    if missing_sqlite_file(settings) is not None:
        return None  # no file: no schema, and nothing to create just to say so
    with migration_connection(settings) as conn:
        revision = read_revision(conn, look_first=True)
        if revision is None or not (is_newer(revision) and is_todo_revision(revision)):
            # "base" for another program's tables, or for todo's own whose stamp was
            # deleted, told a script an upgrade would make the schema; every other
            # command says what it is (`db history` too, as its warning).
            refuse_foreign(conn, _direct(settings), revision)
        return revision


def history(settings: Settings | None) -> list[Revision]:
    """Every revision, newest first; marks the current one when a database is given."""
    current_rev = current(settings) if settings is not None else None
    if settings is not None and is_newer(current_rev):
        # Nothing would be marked; a script would read that as "at base".
        raise mismatch(parse_url(settings.database_url, settings.database_source), current_rev)
    script = script_directory()
    heads = set(script.get_heads())
    return [
        Revision(
            revision=rev.revision,
            down_revision=rev.down_revision if isinstance(rev.down_revision, str) else None,
            description=(rev.doc or "").strip(),
            is_head=rev.revision in heads,
            is_current=rev.revision == current_rev,
        )
        for rev in script.walk_revisions()
    ]


def _resolve_target(script: ScriptDirectory, current_rev: str | None, target: str) -> str | None:
    """A revision id (None for base) from head, base, an id, or -N / +N relative steps."""
    if target == "base":
        return None
    if target == "head" or target == "heads":
        return script.get_current_head()
    if target[:1] in "+-" and target[1:].isdigit():
        steps = int(target)
        order = [rev.revision for rev in reversed(list(script.walk_revisions()))]
        position = order.index(current_rev) if current_rev in order else -1
        wanted = position + steps
        if wanted < -1 or wanted >= len(order):
            raise InvalidUsage(
                f"cannot move {target} from revision {current_rev or 'base'}",
                hint="see `todo db history`",
            )
        return None if wanted == -1 else order[wanted]
    try:
        found = script.get_revision(target)
    except Exception:  # alembic raises several kinds for an unknown or partial id
        found = None
    if found is None:
        raise InvalidUsage(f"unknown revision {target!r}", hint="see `todo db history`")
    return found.revision


def _check_direction(
    script: ScriptDirectory, direction: str, start: str | None, end: str | None
) -> None:
    """Refuse an upgrade to below `start`, or a downgrade to above it.

    Alembic would quietly do nothing for the first and fail obscurely for the
    second. Staying where it is is fine either way ("already at ...").
    """
    order = [rev.revision for rev in reversed(list(script.walk_revisions()))]

    def position(rev: str | None) -> int:
        return -1 if rev is None else order.index(rev)

    here, there = position(start), position(end)
    if direction == "upgrade" and there < here:
        raise InvalidUsage(
            f"{end or 'base'} is below the current revision {start}",
            hint=f"use `todo db downgrade {end or 'base'}`",
        )
    if direction == "downgrade" and there > here:
        raise InvalidUsage(
            f"{end} is above the current revision {start or 'base'}",
            hint=f"use `todo db upgrade {end}`",
        )


def offline_sql(
    settings: Settings, *, direction: str, target: str, start: str | None
) -> tuple[str | None, str | None, str]:
    """(from, to, SQL) of a migration, without running it."""
    from alembic import command

    db = _direct(settings)
    script = script_directory()
    if start is None:
        start = current(settings) or "base"
        if start != "base" and is_newer(start):
            # As every other command says of it (exit 4), not "unknown revision".
            raise mismatch(db, start)
    start_rev = None if start == "base" else _resolve_target(script, None, start)
    end_rev = _resolve_target(script, start_rev, target)
    _check_direction(script, direction, start_rev, end_rev)
    config = alembic_config()
    config.attributes["url"] = db.url
    out = io.StringIO()
    config.stdout = out
    buffer = io.StringIO()
    config.output_buffer = buffer
    span = f"{start_rev or 'base'}:{end_rev or 'base'}"
    with redirect_stdout(out):
        if direction == "upgrade":
            command.upgrade(config, span, sql=True)
        else:
            command.downgrade(config, span, sql=True)
    return start_rev, end_rev, buffer.getvalue()


def upgrade(settings: Settings, target: str = "head") -> tuple[str | None, str | None]:
    """Upgrade in one transaction; returns (from, to)."""
    from alembic import command

    db = _direct(settings)
    with migration_connection(settings) as conn:
        before = read_revision(conn, look_first=True)
        refuse_foreign(conn, db, before)
        if is_newer(before):
            raise mismatch(db, before)
        script = script_directory()
        end = _resolve_target(script, before, target)
        _check_direction(script, "upgrade", before, end)
        if end != before:
            require_owner(conn, "migrates the schema")
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, end or "base")
        return before, read_revision(conn, look_first=True)


def _snapshot(conn: Connection) -> dict[str, dict[str, str | None]]:
    """Each table's columns, with their server defaults (as SQL text)."""
    from sqlalchemy import inspect

    from todo_cli.db.schema import REMADE_BY_UPGRADE, SQLITE_DERIVED

    inspector = inspect(conn)
    return {
        name: {
            col["name"]: col.get("default")
            for col in inspector.get_columns(name)
            # A generated column (PostgreSQL's search vectors) or one the
            # database keeps (SQLite's tag counts) is derived from the others:
            # dropping it loses nothing; nor one the upgrade makes again.
            if not col.get("computed")
            and col["name"] not in SQLITE_DERIVED.get(name, ())
            and col["name"] not in REMADE_BY_UPGRADE.get(name, ())
        }
        for name in inspector.get_table_names()
        # Full-text indexes (SQLite's FTS5 tables) hold no data of their own.
        if name != "alembic_version" and "_fts" not in name
    }


def _noted_losses(
    conn: Connection, script: ScriptDirectory, start: str, end: str | None
) -> list[DataLoss]:
    """What the revisions being stepped down through say their downgrades do to data."""
    found: list[DataLoss] = []
    for rev in script.iterate_revisions(start, end or "base"):
        if end is not None and rev.revision == end:
            continue
        report = getattr(rev.module, "losses", None)
        if report is not None:
            # Each: (table, rows, what the downgrade does to them).
            found += [DataLoss(table, None, rows, note) for table, rows, note in report(conn)]
    return found


def _count(conn: Connection, table: str, column: str | None, default: str | None) -> int:
    """Rows in a table, or values of a column that hold more than its default."""
    from sqlalchemy import text

    quote = conn.dialect.identifier_preparer.quote
    where = ""
    if column:
        where = f" WHERE {quote(column)} IS NOT NULL"
        if default is not None:
            # The default came from the database's own catalog.
            where += f" AND {quote(column)} <> {default}"
    return int(conn.execute(text(f"SELECT count(*) FROM {quote(table)}{where}")).scalar_one())


def _hold(conn: Connection, tables: Mapping[str, object]) -> None:
    """Keep other sessions from writing todo's tables until this transaction ends
    (reads go on). SQLite's migration transaction holds its write lock already."""
    from sqlalchemy import text

    if conn.dialect.name != "postgresql" or not tables:
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in sorted(tables))
    conn.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))


def _losses(
    conn: Connection,
    config: Config,
    script: ScriptDirectory,
    before: str,
    end: str | None,
    tables_before: dict[str, dict[str, str | None]],
) -> list[DataLoss]:
    """What stepping down from `before` to `end` would destroy, found by a trial run."""
    from alembic import command

    savepoint = conn.begin_nested()
    command.downgrade(config, end or "base")
    tables_after = _snapshot(conn)
    savepoint.rollback()

    losses = _noted_losses(conn, script, before, end)
    for table, columns in sorted(tables_before.items()):
        if table not in tables_after:
            rows = _count(conn, table, None, None)
            if rows:
                losses.append(DataLoss(table, None, rows))
            continue
        for column in sorted(set(columns) - set(tables_after[table])):
            rows = _count(conn, table, column, columns[column])
            if rows:
                losses.append(DataLoss(table, column, rows))
    return losses


def downgrade(
    settings: Settings,
    target: str = "-1",
    *,
    confirm: Callable[[list[DataLoss]], bool],
    asks: bool = True,
) -> tuple[str | None, str | None, list[DataLoss]]:
    """Downgrade in one transaction, asking `confirm` first if rows would be lost.

    What would be lost is found by running the downgrade inside a savepoint,
    seeing which tables and columns vanish, and rolling the savepoint back:
    no revision has to declare its own losses, so none can forget to.

    ``asks``: `confirm` may wait on a person (no --yes). The tables are not held
    while it waits; after a yes they are, and counted again: rows that changed
    meanwhile refuse the downgrade (Conflict), nothing changed.
    """
    from alembic import command

    db = _direct(settings)
    missing = missing_sqlite_file(settings)
    if missing is not None:
        if target == "base":
            return None, None, []
        raise InvalidUsage(f"nothing to downgrade: there is no database at {missing}")
    if asks and db.backend == "sqlite":
        return _asked_apart(settings, target, confirm)
    with migration_connection(settings) as conn:
        before = read_revision(conn, look_first=True)
        # Another program's schema (its tables, its stamp, its users and tasks) or
        # todo's without its stamp: no downgrade of todo's is for them.
        refuse_foreign(conn, db, before)
        if before is None:
            if target == "base":
                return None, None, []  # already there: nothing to do, nothing to ask
            raise InvalidUsage("nothing to downgrade: the database has no todo schema")
        if is_newer(before):
            raise mismatch(db, before)
        script = script_directory()
        end = _resolve_target(script, before, target)
        _check_direction(script, "downgrade", before, end)
        if end != before:
            require_owner(conn, "migrates the schema")
        config = alembic_config()
        config.attributes["connection"] = conn

        tables = _snapshot(conn)
        if not asks:
            # Nothing waits on a person: the tables are held from the start, so the
            # rows told are the rows deleted.
            _hold(conn, tables)
        losses = _losses(conn, config, script, before, end, tables)
        if losses and not confirm(losses):
            raise Declined("nothing was changed")
        if asks and conn.dialect.name == "postgresql":
            # The trial's locks went with its savepoint, so other sessions wrote on
            # while the question waited: a "yes" covers the rows it was shown, and
            # no others. (SQLite asks with no transaction open: _asked_apart.)
            _hold(conn, tables)
            now = _losses(conn, config, script, before, end, _snapshot(conn))
            if now != losses:
                raise _changed_meanwhile(now)
        command.downgrade(config, end or "base")
        return before, read_revision(conn, look_first=True), losses


def _changed_meanwhile(now: list[DataLoss]) -> Conflict:
    listing = "; ".join(loss.describe() for loss in now) or "delete nothing"
    return Conflict(
        f"rows changed while the downgrade waited for its answer: it would now {listing}",
        hint="nothing was changed; run it again",
    )


class _Shown(Exception):
    """The first look of a SQLite downgrade that asks: what it would delete."""

    def __init__(self, losses: list[DataLoss]) -> None:
        self.losses = losses


def _asked_apart(
    settings: Settings, target: str, confirm: Callable[[list[DataLoss]], bool]
) -> tuple[str | None, str | None, list[DataLoss]]:
    """A SQLite downgrade whose question waits with no transaction open.

    SQLite has one writer, and the trial that finds the losses needs the write
    lock: asked inside it, the question held the file while a person read it,
    and every other shell's write failed after its 30 s wait (exit 3). The first
    look is rolled back (nothing to lose: it was the downgrade, and nothing is
    asked); after a yes the downgrade runs anew holding the file from the start,
    and what it would delete then must be what was shown (Conflict otherwise,
    nothing changed), as on PostgreSQL.
    """

    def look(losses: list[DataLoss]) -> bool:
        raise _Shown(losses)

    try:
        return downgrade(settings, target, confirm=look, asks=False)
    except _Shown as shown:
        losses = shown.losses
    if not confirm(losses):
        raise Declined("nothing was changed")

    def as_shown(now: list[DataLoss]) -> bool:
        if now != losses:
            raise _changed_meanwhile(now)
        return True

    return downgrade(settings, target, confirm=as_shown, asks=False)


@dataclass(frozen=True)
class Info:
    backend: str
    url: str
    url_source: str
    migration_url: str
    server_version: str
    current_revision: str | None
    head_revision: str
    # "database-enforced" (row-level security keeps members apart),
    # "partial", or "application only" (todo's own scoping, the honor system).
    isolation: str = "application only"
    # Roles no policy holds, each with why ("superuser", "BYPASSRLS", ...).
    bypass_rls: list[str] = field(default_factory=list)


def info(settings: Settings) -> Info:
    from todo_cli.db import members

    db = parse_url(settings.database_url, settings.database_source)
    direct = db.direct(settings.direct_database_url)
    if missing_sqlite_file(settings) is not None:
        version: Any = ()
        revision, isolation, bypass = None, members.APPLICATION_ONLY, []
    else:
        with migration_connection(settings) as conn:
            version = conn.dialect.server_version_info or ()
            revision = read_revision(conn, look_first=True)
            isolation = members.mode(conn)
            bypass = [found.describe() for found in members.bypassing_roles(conn)]
    if db.backend == "sqlite":
        import sqlite3

        server = f"SQLite {sqlite3.sqlite_version}"
    else:
        server = "PostgreSQL " + ".".join(str(part) for part in version)
    return Info(
        backend=db.backend,
        url=db.masked,
        url_source=settings.database_source,
        migration_url=direct.masked,
        server_version=server,
        current_revision=revision,
        head_revision=HEAD,
        isolation=isolation,
        bypass_rls=bypass,
    )
