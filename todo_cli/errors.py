"""The one family of errors `todo` raises on purpose, and every exit code.

Code below the CLI raises a subclass of :class:`TodoError`; the CLI turns it
into one line on stderr and the exit code in one place (``todo_cli.cli.app``).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit code `todo` uses; README.md lists them all."""

    OK = 0
    NOT_FOUND = 1
    USAGE = 2
    DATABASE = 3
    SCHEMA = 4
    # sysexits.h's EX_SOFTWARE: an unexpected exception, i.e. a bug to report.
    INTERNAL = 70
    # sysexits.h's EX_IOERR: the output could not be written (a full disk,
    # a closed stdout). A reader that stops early (a broken pipe) is not this.
    OUTPUT = 74
    INTERRUPTED = 130


class TodoError(Exception):
    """An expected failure, told to the user as ``error: message (hint)``."""

    exit_code: ExitCode = ExitCode.USAGE
    code: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # More for --json's error object than its one-line message holds (a refused
        # import's every problem): key -> a JSON value, beside "code" and "message".
        self.details: dict[str, object] = {}

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFound(TodoError):
    exit_code = ExitCode.NOT_FOUND
    code = "not_found"


class AmbiguousReference(TodoError):
    exit_code = ExitCode.NOT_FOUND
    code = "ambiguous"


class Conflict(TodoError):
    """The change cannot be made as things stand (e.g. undo over a later change)."""

    exit_code = ExitCode.NOT_FOUND
    code = "conflict"


class InvalidInput(TodoError):
    exit_code = ExitCode.USAGE
    code = "invalid_input"


class Refused(InvalidInput):
    """A constraint of the database refused the change (db.connect.translate).

    ``constraint`` is its name where the driver tells it (PostgreSQL), so that a
    caller can say what a refusal means without reading the message.
    """

    def __init__(self, message: str, *, constraint: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint


class InvalidUsage(TodoError):
    """Options that do not go together, or a missing argument."""

    exit_code = ExitCode.USAGE
    code = "usage"


class ConfirmationRequired(TodoError):
    """A destructive command with no terminal to ask and no --yes."""

    exit_code = ExitCode.USAGE
    code = "confirmation_required"


class Declined(TodoError):
    """The user answered no at a prompt: nothing was done, and that is not a failure."""

    exit_code = ExitCode.OK
    code = "declined"


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


class OutputError(TodoError):
    exit_code = ExitCode.OUTPUT
    code = "output"
