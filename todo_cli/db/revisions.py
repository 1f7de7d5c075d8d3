"""Which schema revisions this todo knows, and what a database says it is at.

The one place the head revision is named: commands check it without importing
Alembic, and a test holds the list to the migration scripts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from todo_cli.errors import ConfigError, SchemaMismatch

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection

    from todo_cli.db.url import DatabaseURL

# Every revision this todo ships, oldest first.
REVISIONS: Final = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
    "0014",
    "0015",
    "0016",
    "0017",
    "0018",
    "0019",
)
HEAD: Final = REVISIONS[-1]


def read_revision(conn: Connection, *, look_first: bool = False) -> str | None:
    """The schema revision stamped in the database, None when there is none.

    Commands just try the SELECT (one round trip; a failure ends the command
    anyway). Migrations pass ``look_first``: on PostgreSQL a failed statement
    would poison the transaction they still need.
    """
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import DBAPIError

    if look_first and not inspect(conn).has_table("alembic_version"):
        return None
    try:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).fetchmany(6)
    except DBAPIError as exc:
        if _is_missing_table(exc):
            return None
        raise
    row = only_row(rows)
    return None if row is None else str(row[0])


def only_row(rows: Sequence[Any]) -> Any:
    """The one row of alembic_version read with fetchmany(6) (its revision first),
    None for none: more are refused, naming them.

    Alembic would take them for branches and fail in its own words (exit 70), and a
    command would go by whichever row came first.
    """
    if len(rows) <= 1:
        return rows[0] if rows else None
    stamped = ", ".join(sorted(str(row[0]) for row in rows[:5]))
    raise ConfigError(
        f"the database's alembic_version holds {'more than 5' if len(rows) > 5 else len(rows)} "
        f"revisions ({stamped}), where todo keeps one",
        hint="delete the rows that are not the schema's revision, or restore a backup",
    )


def _is_missing_table(exc: Exception) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "no such table" in text or "does not exist" in text


def is_newer(revision: str | None) -> bool:
    """Stamped by a later todo: this one does not know the revision."""
    return revision is not None and revision not in REVISIONS


def is_todo_revision(revision: str) -> bool:
    """Whether a revision is of todo's form (four digits, later todos' too): another
    program that Alembic manages stamps its own ids (`a1b2c3d4e5f6`)."""
    return len(revision) == 4 and revision.isascii() and revision.isdigit()


def mismatch(db: DatabaseURL, revision: str | None) -> SchemaMismatch | ConfigError:
    """The exit-4 error for a database that is not at HEAD (exit 3: not todo's at all)."""
    if revision is not None and not is_todo_revision(revision):
        return ConfigError(
            f"{db.masked} is not a todo database: its alembic_version is {revision!r}, "
            "no revision of todo's (another program's schema)",
            hint=f"point {db.setting} at todo's own database, or a new one",
        )
    if revision is None:
        return SchemaMismatch(
            f"{db.masked} has no todo schema", hint="run `todo db upgrade` to create it"
        )
    if is_newer(revision):
        return SchemaMismatch(
            f"{db.masked} is at schema revision {revision}, newer than this todo knows "
            f"(its newest is {HEAD})",
            hint="upgrade todo, or downgrade the database with the todo that upgraded it",
        )
    return SchemaMismatch(
        f"{db.masked} is at schema revision {revision}, this todo needs {HEAD}",
        # A member of a shared database may not migrate it: its owner does.
        hint="run `todo db upgrade`"
        + (" with the database owner's URL" if db.backend == "postgresql" else ""),
    )
