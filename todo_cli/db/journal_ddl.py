"""The journal's triggers: the database itself records every change it is asked to make.

Each command that writes opens an *operation* (a row of ``operations``) first
in its transaction; triggers on every journaled table then add, for each row
inserted, updated or deleted, a row to ``journal`` with the table, the row's
key and its images before and after, attached to that operation. No write
path can forget it: a repository function, a migration's data step or
someone's `psql` session is journaled alike (a write no operation was opened
for gets one of its own, "outside todo", with no user).

PostgreSQL finds the operation by the writing transaction's id, so a command
costs one statement more (the operation row), and the triggers work per
statement on transition tables: a bulk add of 100,000 tasks by COPY writes
its journal in one INSERT ... SELECT. SQLite writes one transaction at a time;
the operation being written is marked ``open`` until the command commits.

This module is the live definition (``db.schema`` attaches it to the tables
for ``create_all``); migrations freeze their own copy, and a test holds the
two to the same triggers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

# Every journaled table and the columns of its key.
JOURNALED: Final[Mapping[str, tuple[str, ...]]] = {
    "tasks": ("id",),
    "task_tags": ("task_id", "tag"),
    "task_notes": ("id",),
    "task_dependencies": ("task_id", "depends_on_id"),
    "conversations": ("id",),
    "messages": ("id",),
}
ACTIONS: Final = ("insert", "update", "delete")

PG_FUNCTIONS: Final = (
    """
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
""",
    """
CREATE FUNCTION todo_journal() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    op uuid := public.todo_operation_id();
    key text := TG_ARGV[0];
    -- The stored search vectors (db.schema.pg_search_ddl) are derived from the
    -- text: left out of the images, as large as the text itself.
    derived text := CASE WHEN TG_TABLE_NAME IN ('messages', 'conversations')
                    THEN ' - ''search_vector''' ELSE '' END;
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''insert'', (%s)::text, NULL, to_jsonb(r)%s FROM new_rows r',
            TG_TABLE_NAME, key, derived) USING op;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''delete'', (%s)::text, to_jsonb(r)%s, NULL FROM old_rows r',
            TG_TABLE_NAME, key, derived) USING op;
    ELSE
        EXECUTE format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''update'', (%s)::text, to_jsonb(o)%s, to_jsonb(r)%s '
            'FROM new_rows r JOIN old_rows o ON (%s) = (%s)',
            TG_TABLE_NAME, key, derived, derived, key, replace(key, 'r.', 'o.')) USING op;
    END IF;
    RETURN NULL;
END
$$
""",
)
PG_DROP_FUNCTIONS: Final = (
    "DROP FUNCTION todo_journal()",
    "DROP FUNCTION todo_operation_id()",
)


def trigger_name(table: str, action: str) -> str:
    return f"trg_{table}_journal_{action}"


def _pg_key(key: Sequence[str]) -> str:
    return "jsonb_build_array(" + ", ".join(f"r.{column}" for column in key) + ")"


def pg_triggers(table: str, key: Sequence[str]) -> list[str]:
    """The three statement-level triggers of one table on PostgreSQL."""
    # Transition tables need one trigger per event.
    tables = {
        "insert": "NEW TABLE AS new_rows",
        "update": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
        "delete": "OLD TABLE AS old_rows",
    }
    return [
        f"CREATE TRIGGER {trigger_name(table, action)} AFTER {action.upper()} ON {table} "
        f"REFERENCING {tables[action]} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION todo_journal('{_pg_key(key)}')"
        for action in ACTIONS
    ]


def _sqlite_image(row: str, columns: Sequence[str]) -> str:
    return "json_object(" + ", ".join(f"'{c}', {row}.{c}" for c in columns) + ")"


def sqlite_triggers(table: str, columns: Sequence[str], key: Sequence[str]) -> list[str]:
    """The three row triggers of one table on SQLite, each naming every column."""
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
            f"CREATE TRIGGER {trigger_name(table, action)} AFTER {action.upper()} ON {table} "
            f"BEGIN {opened} "
            "INSERT INTO journal (operation_id, table_name, action, row_key, before, after) "
            f"VALUES ({current}, '{table}', '{action}', {row_key}, {before}, {after}); END"
        )
    return statements


def drop_triggers(table: str, dialect: str) -> list[str]:
    on = f" ON {table}" if dialect == "postgresql" else ""
    return [f"DROP TRIGGER {trigger_name(table, action)}{on}" for action in ACTIONS]
