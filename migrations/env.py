"""Alembic environment for todo.

Run by `todo db ...` (which hands over an open connection in
``config.attributes["connection"]``) and by plain
``alembic -c alembic.ini upgrade head`` from the checkout, which resolves the
database exactly as todo does and runs through the same code.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from todo_cli.db.schema import metadata

config = context.config


def _options(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table.
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
    }


def run_offline() -> None:
    from todo_cli.db import migrate

    url = config.attributes.get("url") or migrate.url_for_alembic_cli(context.get_x_argument(True))
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_options(url.get_backend_name()),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online(connection: Connection) -> None:
    context.configure(connection=connection, **_options(connection.dialect.name))
    # When the caller already holds a transaction, Alembic joins it, so every
    # revision of one command commits or rolls back together.
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_online(connection)
        return
    from alembic.util import CommandError

    from todo_cli.db import migrate
    from todo_cli.db.revisions import read_revision
    from todo_cli.db.url import parse_url
    from todo_cli.errors import TodoError

    settings = migrate.settings_for_alembic_cli(context.get_x_argument(True))
    with migrate.migration_connection(settings) as conn:
        try:
            # As `todo db upgrade` refuses another program's database: plain
            # Alembic mixed todo's tables into a SQLite file of other tables.
            db = parse_url(settings.database_url).direct(settings.direct_database_url)
            migrate.refuse_foreign(conn, db, read_revision(conn, look_first=True))
        except TodoError as exc:
            raise CommandError(str(exc)) from None
        _run_online(conn)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
