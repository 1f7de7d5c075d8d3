"""The only code that speaks SQL.

Every function takes a connection inside the caller's transaction, scopes
every read and write to the named user, returns domain models (never rows),
raises :class:`~todo_cli.errors.NotFound` rather than returning None, and
never commits.
"""
