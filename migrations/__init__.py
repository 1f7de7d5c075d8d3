"""Alembic migrations for todo (shipped in the wheel as ``todo_cli.migrations``)."""
