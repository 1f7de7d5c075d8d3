"""The one family of errors `todo` raises on purpose, and their exit codes.

Code below the CLI raises a subclass of :class:`TodoError`; the CLI turns it
into one line on stderr and the exit code in one place (``todo_cli.cli``).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    NOT_FOUND = 1
    USAGE = 2
    DATABASE = 3
    SCHEMA = 4
    INTERRUPTED = 130


class TodoError(Exception):
    """An expected failure, told to the user as ``error: message (hint)``."""

    exit_code: ExitCode = ExitCode.USAGE
    code: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFound(TodoError):
    exit_code = ExitCode.NOT_FOUND
    code = "not_found"


class AmbiguousReference(TodoError):
    exit_code = ExitCode.NOT_FOUND
    code = "ambiguous"


class InvalidInput(TodoError):
    exit_code = ExitCode.USAGE
    code = "invalid_input"


class UsageError(TodoError):
    exit_code = ExitCode.USAGE
    code = "usage"


class ConfirmationRequired(TodoError):
    exit_code = ExitCode.USAGE
    code = "confirmation_required"


class DatabaseError(TodoError):
    """The database is unreachable, refused us, or is misconfigured."""

    exit_code = ExitCode.DATABASE
    code = "database"


class ConfigError(TodoError):
    exit_code = ExitCode.DATABASE
    code = "config"


class SchemaMismatch(TodoError):
    exit_code = ExitCode.SCHEMA
    code = "schema"
