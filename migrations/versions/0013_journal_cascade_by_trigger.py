"""journal: an operation's rows go with it by trigger, not by foreign key; keys bytewise

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

The foreign key from journal.operation_id to operations checked every journal
row as it was written: on PostgreSQL an index probe and a row lock each, a
fifth of a 100,000-task bulk add (0.7-0.9 s of 4.4 s). It checked nothing the
writers do not already ensure: journal rows are written by the journal's
triggers alone (members may only read them), always with the operation the
trigger has just found or made in the same transaction. What the key did that
still matters, deleting an operation's rows with it (a prune, a purged
member), a trigger on operations now does: statement-level on PostgreSQL, as a
definer function since members may not delete journal rows.

On PostgreSQL the journal's table name and row key take collation "C": the
index on them takes every journal row (0.6-0.8 s of a 100,000-task bulk add
went into it), and under the database's language collation each comparison
while descending it is a strcoll() call; bytewise, the insert alone took a
median 0.3 s less in a side-by-side of five (this machine's timings are
noisy). Their values are ids and tags as JSON text, whose order means
nothing; a `LIKE 'prefix%'` on them can now use the index as well.

SQLite has no ALTER TABLE DROP CONSTRAINT: the journal table is made again
without the key, its rows copied with their ids (the journal's order). Nothing
is lost either way; the downgrade puts the key back (first deleting journal
rows of no operation, which the key would refuse and nothing could read).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history.
FOREIGN_KEY = "fk_journal_operation_id_operations"
TRIGGER = "trg_operations_journal_cascade"
PG_FUNCTION = """
CREATE FUNCTION public.todo_journal_cascade() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM public.journal j USING old_rows o WHERE j.operation_id = o.id;
    RETURN NULL;
END
$$
"""
PG_TRIGGER = (
    f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON operations "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION public.todo_journal_cascade()"
)
SQLITE_TRIGGER = (
    f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON operations "
    "BEGIN DELETE FROM journal WHERE operation_id = OLD.id; END"
)
# PostgreSQL: the journal's table name and row key compared byte by byte.
BYTEWISE = (
    'ALTER COLUMN table_name TYPE varchar(40) COLLATE "C", '
    'ALTER COLUMN row_key TYPE text COLLATE "C"'
)
BY_DEFAULT = (
    'ALTER COLUMN table_name TYPE varchar(40) COLLATE "default", '
    'ALTER COLUMN row_key TYPE text COLLATE "default"'
)
# The journal table's parts as SQLAlchemy makes them on SQLite, the key between.
_SQLITE_COLUMNS = (
    "id INTEGER NOT NULL",
    "operation_id CHAR(32) NOT NULL",
    "table_name VARCHAR(40) NOT NULL",
    "action VARCHAR(6) NOT NULL",
    "row_key TEXT NOT NULL",
    '"before" TEXT',
    '"after" TEXT',
    "CONSTRAINT pk_journal PRIMARY KEY (id)",
)
_SQLITE_KEY = (
    f"CONSTRAINT {FOREIGN_KEY} FOREIGN KEY(operation_id) "
    "REFERENCES operations (id) ON DELETE CASCADE"
)
_SQLITE_CHECK = "CONSTRAINT ck_journal_action CHECK (action IN ('insert', 'update', 'delete'))"
INDEXES = {
    "ix_journal_operation_id_id": "operation_id, id",
    "ix_journal_table_name_row_key": "table_name, row_key",
}
ORPHANS = (
    "DELETE FROM journal "
    "WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.id = journal.operation_id)"
)


def _sqlite_rebuild(with_key: bool) -> None:
    """The journal table made again, its rows (ids and all) and indexes kept.

    The other tables' triggers write into `journal` by name: with SQLite's
    legacy rename, renaming the new table to that name leaves them as they are
    instead of refusing them for naming a table that, for a moment, is gone.
    """
    op.execute("PRAGMA legacy_alter_table = ON")
    parts = [*_SQLITE_COLUMNS, *([_SQLITE_KEY] if with_key else []), _SQLITE_CHECK]
    body = ", \n\t".join(parts)
    op.execute(f"CREATE TABLE journal_rebuilt (\n\t{body}\n)")
    op.execute(
        "INSERT INTO journal_rebuilt (id, operation_id, table_name, action, row_key, "
        '"before", "after") SELECT id, operation_id, table_name, action, row_key, '
        '"before", "after" FROM journal ORDER BY id'
    )
    op.execute("DROP TABLE journal")
    op.execute("ALTER TABLE journal_rebuilt RENAME TO journal")
    op.execute("PRAGMA legacy_alter_table = OFF")
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON journal ({columns})")


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE journal DROP CONSTRAINT {FOREIGN_KEY}")
        op.execute(PG_FUNCTION)
        op.execute("REVOKE EXECUTE ON FUNCTION public.todo_journal_cascade() FROM PUBLIC")
        op.execute(PG_TRIGGER)
        op.execute(f"ALTER TABLE journal {BYTEWISE}")
        return
    _sqlite_rebuild(with_key=False)
    op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE journal {BY_DEFAULT}")
        op.execute(f"DROP TRIGGER {TRIGGER} ON operations")
        op.execute("DROP FUNCTION public.todo_journal_cascade()")
        op.execute(ORPHANS)
        op.execute(
            f"ALTER TABLE journal ADD CONSTRAINT {FOREIGN_KEY} FOREIGN KEY (operation_id) "
            "REFERENCES operations (id) ON DELETE CASCADE"
        )
        return
    op.execute(f"DROP TRIGGER {TRIGGER}")
    op.execute(ORPHANS)
    _sqlite_rebuild(with_key=True)
