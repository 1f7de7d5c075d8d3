"""journal: operations and the row images the database records for each

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.schema import SchemaItem

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history. The columns each trigger records are those
# the tables have at this revision; a later revision that adds a column
# replaces the SQLite triggers (PostgreSQL's record whole rows).
USER_NAME_MAX = 100
JOURNALED = {
    "tasks": (
        ("id",),
        (
            "id",
            "user_id",
            "number",
            "title",
            "description",
            "completed",
            "completed_at",
            "created_at",
            "updated_at",
            "priority",
            "due",
            "wait",
            "project",
            "recur",
            "series_id",
            "recur_anchor",
            "recur_index",
        ),
    ),
    "task_tags": (("task_id", "tag"), ("task_id", "tag")),
    "task_notes": (("id",), ("id", "task_id", "created_at", "text")),
    "task_dependencies": (("task_id", "depends_on_id"), ("task_id", "depends_on_id")),
    "conversations": (
        ("id",),
        ("id", "user_id", "number", "title", "created_at", "updated_at"),
    ),
    "messages": (
        ("id",),
        ("id", "conversation_id", "seq", "role", "content", "created_at"),
    ),
}
ACTIONS = ("insert", "update", "delete")

PG_OPERATION_ID = """
CREATE FUNCTION todo_operation_id() RETURNS uuid
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    found uuid;
BEGIN
    SELECT id INTO found FROM public.operations WHERE txid = txid_current();
    IF found IS NULL THEN
        -- A write no todo command opened an operation for: it gets its own.
        found := gen_random_uuid();
        INSERT INTO public.operations (id, created_at, command, txid)
        VALUES (found, now(), 'outside todo: ' || left(current_query(), 200), txid_current());
    END IF;
    RETURN found;
END
$$
"""
PG_JOURNAL = """
CREATE FUNCTION todo_journal() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    op uuid := public.todo_operation_id();
    key text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''insert'', (%s)::text, NULL, to_jsonb(r) FROM new_rows r',
            TG_TABLE_NAME, key) USING op;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''delete'', (%s)::text, to_jsonb(r), NULL FROM old_rows r',
            TG_TABLE_NAME, key) USING op;
    ELSE
        EXECUTE format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''update'', (%s)::text, to_jsonb(o), to_jsonb(r) '
            'FROM new_rows r JOIN old_rows o ON (%s) = (%s)',
            TG_TABLE_NAME, key, key, replace(key, 'r.', 'o.')) USING op;
    END IF;
    RETURN NULL;
END
$$
"""


def _instant() -> sa.DateTime:
    """A UTC instant: timestamptz on PostgreSQL, fixed-width ISO 8601 text on SQLite."""
    return sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def _json() -> JSONB:
    return JSONB().with_variant(sa.Text(), "sqlite")


def _users(*extra: SchemaItem) -> sa.Table:
    """The users table as revision 0002 left it (plus `extra`), for SQLite's batch mode."""
    return sa.Table(
        "users",
        sa.MetaData(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(USER_NAME_MAX), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("task_counter", sa.Integer(), server_default="0", nullable=False),
        sa.Column("conversation_counter", sa.Integer(), server_default="0", nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.CheckConstraint(
            f"length(trim(name)) >= 1 AND length(name) <= {USER_NAME_MAX}",
            name=op.f("ck_users_name_length"),
        ),
        sa.CheckConstraint("task_counter >= 0", name=op.f("ck_users_task_counter")),
        sa.CheckConstraint("conversation_counter >= 0", name=op.f("ck_users_conversation_counter")),
    )


def _counter() -> list[SchemaItem]:
    return [
        sa.Column("operation_counter", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("operation_counter >= 0", name=op.f("ck_users_operation_counter")),
    ]


def _trigger_name(table: str, action: str) -> str:
    return f"trg_{table}_journal_{action}"


def _pg_triggers(table: str, key: Sequence[str]) -> list[str]:
    row_key = "jsonb_build_array(" + ", ".join(f"r.{column}" for column in key) + ")"
    tables = {
        "insert": "NEW TABLE AS new_rows",
        "update": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
        "delete": "OLD TABLE AS old_rows",
    }
    return [
        f"CREATE TRIGGER {_trigger_name(table, action)} AFTER {action.upper()} ON {table} "
        f"REFERENCING {tables[action]} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION todo_journal('{row_key}')"
        for action in ACTIONS
    ]


def _sqlite_image(row: str, columns: Sequence[str]) -> str:
    return "json_object(" + ", ".join(f"'{c}', {row}.{c}" for c in columns) + ")"


def _sqlite_triggers(table: str, columns: Sequence[str], key: Sequence[str]) -> list[str]:
    opened = (
        "INSERT INTO operations (id, created_at, command, open) "
        "SELECT lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%f', 'now'), "
        "'outside todo', 1 WHERE NOT EXISTS (SELECT 1 FROM operations WHERE open);"
    )
    current = "(SELECT id FROM operations WHERE open ORDER BY rowid DESC LIMIT 1)"
    statements = []
    for action in ACTIONS:
        row = "OLD" if action == "delete" else "NEW"
        before = _sqlite_image("OLD", columns) if action != "insert" else "NULL"
        after = _sqlite_image("NEW", columns) if action != "delete" else "NULL"
        row_key = "json_array(" + ", ".join(f"{row}.{c}" for c in key) + ")"
        statements.append(
            f"CREATE TRIGGER {_trigger_name(table, action)} AFTER {action.upper()} ON {table} "
            f"BEGIN {opened} "
            "INSERT INTO journal (operation_id, table_name, action, row_key, before, after) "
            f"VALUES ({current}, '{table}', '{action}', {row_key}, {before}, {after}); END"
        )
    return statements


def upgrade() -> None:
    with op.batch_alter_table("users", copy_from=_users()) as batch:
        column, check = _counter()
        batch.add_column(column)  # type: ignore[arg-type]
        batch.create_check_constraint(check.name, check.sqltext)  # type: ignore[attr-defined]
    op.create_table(
        "operations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sa.Column("open", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("undoes", sa.Uuid(), nullable=True),
        sa.Column("undone_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_operations"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_operations_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["undoes"],
            ["operations.id"],
            name="fk_operations_undoes_operations",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["undone_by"],
            ["operations.id"],
            name="fk_operations_undone_by_operations",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("user_id", "number", name="uq_operations_user_id_number"),
    )
    op.create_index("ix_operations_txid", "operations", ["txid"])
    op.create_index(
        "ix_operations_open",
        "operations",
        ["open"],
        sqlite_where=sa.text("open"),
        postgresql_where=sa.text("open"),
    )
    op.create_index("ix_operations_created_at", "operations", ["created_at"])
    op.create_table(
        "journal",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operation_id", sa.Uuid(), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("action", sa.String(6), nullable=False),
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_journal"),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name="fk_journal_operation_id_operations",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "action IN ('insert', 'update', 'delete')", name=op.f("ck_journal_action")
        ),
    )
    op.create_index("ix_journal_operation_id_id", "journal", ["operation_id", "id"])
    op.create_index("ix_journal_table_name_row_key", "journal", ["table_name", "row_key"])
    if op.get_context().dialect.name == "postgresql":
        op.execute(PG_OPERATION_ID)
        op.execute(PG_JOURNAL)
        for table, (key, _) in JOURNALED.items():
            for statement in _pg_triggers(table, key):
                op.execute(statement)
    else:
        for table, (key, columns) in JOURNALED.items():
            for statement in _sqlite_triggers(table, columns, key):
                op.execute(statement)


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    for table in JOURNALED:
        for action in ACTIONS:
            on = f" ON {table}" if postgres else ""
            op.execute(f"DROP TRIGGER {_trigger_name(table, action)}{on}")
    if postgres:
        op.execute("DROP FUNCTION todo_journal()")
        op.execute("DROP FUNCTION todo_operation_id()")
    op.drop_index("ix_journal_table_name_row_key", table_name="journal")
    op.drop_index("ix_journal_operation_id_id", table_name="journal")
    op.drop_table("journal")
    op.drop_index("ix_operations_created_at", table_name="operations")
    op.drop_index("ix_operations_open", table_name="operations")
    op.drop_index("ix_operations_txid", table_name="operations")
    op.drop_table("operations")
    with op.batch_alter_table("users", copy_from=_users(*_counter())) as batch:
        batch.drop_constraint(op.f("ck_users_operation_counter"), type_="check")
        batch.drop_column("operation_counter")
