"""What a command's transaction learns in its first statement: revision, login, isolation.

Kept apart from todo_cli.db.members (the admin's commands) because every
command needs this and none but `todo db` needs the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from todo_cli.errors import DatabaseError, InvalidInput

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from todo_cli.settings import Settings


@dataclass(frozen=True)
class State:
    """The schema revision and, on PostgreSQL, who this session is and whether RLS holds it."""

    revision: str | None
    isolated: bool = False
    login: str | None = None
    enrolled: bool = False
    # The database's own lower() folds ASCII only (LC_CTYPE C or POSIX) and ICU's
    # root collation is there to fold the rest.
    icu_lower: bool = False
    # normalize() is there (PostgreSQL 13+) and can work (a UTF8 database): searches
    # compare text in one Unicode form, so a precomposed é finds a decomposed one.
    normalizes: bool = False


# One statement, the one a command already spends on its revision check: mode
# detection costs no round trip. `to_regclass` keeps it from failing on a
# database at an older revision, which is then told to upgrade.
# The same statement bounds how long the transaction waits for a lock another
# session holds (a forgotten `psql` transaction, a suspended `todo import`): a
# command waited for ever, saying nothing, where SQLite gives up after its busy
# timeout. Local to the transaction, so a pooler's next client is not given it.
# And without JIT: a long list (urgency and the tags, notes and dependencies of each
# task, in one statement) is costed above a stock server's JIT thresholds, and
# compiling it took 0.6-1.0 s of a 1.5 s query, for every `todo list`.
LOCK_WAIT_SECONDS: Final = 30
STATE_SQL: Final = (
    "SELECT version_num, "
    f"set_config('lock_timeout', '{LOCK_WAIT_SECONDS}s', true) AS lock_wait, "
    "set_config('jit', 'off', true) AS no_jit, "
    "coalesce(row_security_active(to_regclass('tasks')), false) AS isolated, "
    "session_user::text AS login, "
    "EXISTS (SELECT 1 FROM users WHERE name = session_user::text) AS enrolled, "
    "(SELECT datctype IN ('C', 'POSIX') FROM pg_catalog.pg_database "
    "WHERE datname = current_database()) "
    "AND EXISTS (SELECT 1 FROM pg_catalog.pg_collation WHERE collname = 'und-x-icu') "
    "AS icu_lower, "
    "current_setting('server_encoding') = 'UTF8' "
    "AND current_setting('server_version_num')::int >= 130000 AS normalizes "
    "FROM alembic_version"
)


def read_state(conn: Connection) -> State:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from todo_cli.db.revisions import only_row

    try:
        row = only_row(conn.execute(text(STATE_SQL)).fetchmany(6))
    except DBAPIError as exc:
        message = str(getattr(exc, "orig", exc)).lower()
        if "does not exist" in message:
            return State(None)
        raise
    if row is None:
        return State(None)
    return State(
        str(row.version_num),
        bool(row.isolated),
        row.login,
        bool(row.enrolled),
        bool(row.icu_lower),
        bool(row.normalizes),
    )


def acting_user(settings: Settings, state: State) -> str:
    """Whose rows a command works on: on an isolated database, the login role's."""
    if not state.isolated or state.login is None:
        return settings.user
    login = state.login
    if settings.user_explicit and settings.user != login:
        raise InvalidInput(
            f"this database keeps its members apart and you are logged in as {login!r}, "
            f"so {settings.user_source} cannot name {settings.user!r}",
            hint=f"leave {settings.user_source} out, or use {settings.user}'s own URL",
        )
    if not state.enrolled:
        raise DatabaseError(
            f"{login!r} is no member of this database (no users row here was granted to "
            "that login)",
            hint=f"ask its admin to run `todo db grant {login} --existing-role`",
        )
    return login
