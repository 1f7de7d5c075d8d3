"""The journal's triggers: the database itself records every change it is asked to make.

Each command that writes opens an *operation* (a row of ``operations``) first
in its transaction; triggers on every journaled table then add, for each row
inserted, updated or deleted, a row to ``journal`` with the table, the row's
key and its images before and after, attached to that operation. No write
path can forget it: a repository function, a migration's data step or
someone's `psql` session is journaled alike (a write no operation was opened
for gets one of its own, "outside todo", with no user).

PostgreSQL finds the operation by the name its transaction gave it (the
transaction-local setting ``todo.operation``, set by the statement that makes
the operation row and honoured only for an operation of the same transaction
id), so a command costs one statement more (the operation row), and the
triggers work per
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

# A statement run outside todo, masked before it is stored (revisions 0018 and
# 0019): SQL's PASSWORD given as any string constant ('...', E'...', U&'...',
# $tag$...$tag$, or one a comment leaves open, masked to the end; a string inside
# a string, its quotes doubled, as a DO block's EXECUTE has it), after white space,
# comments (one level nested) or nothing, and continued over lines (a line comment
# between), a password=
# parameter (quoted, also as a literal inside SQL's own quotes: ''...''), and a
# URL's password (to the user info's last @): the forms todo_cli.redact masks
# when it shows one.
# PostgreSQL's regular expressions (ARE): \m is the start of a word; a pattern
# whose first quantifier is lazy (*?) takes the shortest match, so a dollar
# quote ends at its first closing tag.
_MASKED_QUERY: Final = (
    "pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace("
    "pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace("
    "pg_catalog.regexp_replace("
    "pg_catalog.current_query(), "
    r"'(\mpassword(?:\s|/\*(?:[^*/]|\*+[^*/]|/+[^*/]|/\*(?:[^*]|\*+[^*/])*\*+/)*\*+/|-"
    r"-[^\n]*(?:\n|$))*)((?:''''[^'']*''''|[eE]?''(?:''''|\\.|[^''\\])*''?|[uU]&''(?:'"
    r"'''|[^''])*''?)(?:(?:\s*(?:--[^\n]*)?\n)+\s*(?:''''[^'']*''''|[eE]?''(?:''''|\\."
    r"|[^''\\])*''?|[uU]&''(?:''''|[^''])*''?))*)', "
    r"'\1***', 'gi'), "
    r"'(\mpassword\s*\*\*\*)(?:(?:\s*(?:--[^\n]*)?\n)+\s*(?:''''[^'']*''''|[eE]?''(?:'"
    r"'''|\\.|[^''\\])*''?|[uU]&''(?:''''|[^''])*''?))+', "
    r"'\1', 'gi'), "
    r"'(\mpassword\s*\*\*\*)[^''\s;][^'']*''''', "
    r"'\1', 'gi'), "
    r"'(\mpassword(?:\s|/\*(?:[^*/]|\*+[^*/]|/+[^*/]|/\*(?:[^*]|\*+[^*/])*\*+/)*\*+/|-"
    r"-[^\n]*(?:\n|$))*?)\$(\w*?)\$.*?\$\2\$', "
    r"'\1***', 'gi'), "
    r"'(\mpassword(?:\s|/\*(?:[^*/]|\*+[^*/]|/+[^*/]|/\*(?:[^*]|\*+[^*/])*\*+/)*\*+/|-"
    r"-[^\n]*(?:\n|$))*)\$\w*\$.*', "
    r"'\1***', 'gi'), "
    r"'(\m(ssl)?password\s*=\s*)(''''[^'']*''''|''(\\.|[^''\\])*''?|[^\s&'']*)', "
    r"'\1***', 'gi'), "
    r"'(://[^/\s:@]*:)[^\s/]*@', "
    r"'\1***@', 'g')"
)

# The functions as migrations 0008 (isolation: definer functions, every name
# schema-qualified, the search path ending in pg_temp), 0009 (row images
# without the stored search vectors), 0010 (the transaction names its
# operation in the setting todo.operation), 0013 (the journal's cascade), 0015
# (a statement that changed no row opens no operation), 0018 and 0019 (a password in
# an outside statement masked before it is stored) left them: a schema made
# from the models is the one the migrations make.
PG_FUNCTIONS: Final = (
    """
CREATE OR REPLACE FUNCTION public.todo_operation_id() RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    named text := pg_catalog.current_setting('todo.operation', true);
    found uuid;
    who uuid;
    numbered integer;
BEGIN
    IF named ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT id INTO found FROM public.operations
        WHERE id = named::uuid AND txid = pg_catalog.txid_current();
    END IF;
    IF found IS NULL THEN
        IF (SELECT relrowsecurity FROM pg_catalog.pg_class
            WHERE oid = 'public.tasks'::pg_catalog.regclass) THEN
            UPDATE public.users SET operation_counter = operation_counter + 1
            WHERE name = session_user::text
            RETURNING id, operation_counter INTO who, numbered;
        END IF;
        found := pg_catalog.gen_random_uuid();
        -- Masked whole, then cut: a password across the 200th character is
        -- masked too.
        INSERT INTO public.operations (id, user_id, number, created_at, command, txid)
        VALUES (found, who, numbered, pg_catalog.now(),
                'outside todo: ' || pg_catalog.left(
                    """
    + _MASKED_QUERY
    + """, 200),
                pg_catalog.txid_current());
        PERFORM pg_catalog.set_config('todo.operation', found::text, true);
    END IF;
    RETURN found;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION public.todo_journal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    op uuid;
    key text := TG_ARGV[0];
    derived text := CASE WHEN TG_TABLE_NAME IN ('messages', 'conversations')
                    THEN ' - ''search_vector''' ELSE '' END;
BEGIN
    -- A statement that changed no row is no change: nothing to journal, and no
    -- operation opened for it. (A login that is nobody here, shown no row by row
    -- security, made an "outside todo" operation with each statement it ran.)
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL;
    END IF;
    op := public.todo_operation_id();
    IF TG_OP = 'INSERT' THEN
        EXECUTE pg_catalog.format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''insert'', (%s)::text, NULL, pg_catalog.to_jsonb(r)%s '
            'FROM new_rows r',
            TG_TABLE_NAME, key, derived) USING op;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE pg_catalog.format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''delete'', (%s)::text, pg_catalog.to_jsonb(r)%s, NULL '
            'FROM old_rows r',
            TG_TABLE_NAME, key, derived) USING op;
    ELSE
        EXECUTE pg_catalog.format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''update'', (%s)::text, pg_catalog.to_jsonb(o)%s, '
            'pg_catalog.to_jsonb(r)%s FROM new_rows r JOIN old_rows o ON (%s) = (%s)',
            TG_TABLE_NAME, key, derived, derived, key, pg_catalog.replace(key, 'r.', 'o.'))
            USING op;
    END IF;
    RETURN NULL;
END
$$
""",
    # Called by the definer trigger function only; a member calling it would
    # open operations at will.
    "REVOKE EXECUTE ON FUNCTION public.todo_operation_id() FROM PUBLIC",
    "REVOKE EXECUTE ON FUNCTION public.todo_journal() FROM PUBLIC",
    # No number is handed out twice, whoever writes a users row.
    """
CREATE FUNCTION public.todo_counters_only_grow() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.task_counter < OLD.task_counter
       OR NEW.conversation_counter < OLD.conversation_counter
       OR NEW.operation_counter < OLD.operation_counter THEN
        RAISE EXCEPTION 'counters of user % only grow: no number is handed out twice',
            OLD.name USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$
""",
    "REVOKE EXECUTE ON FUNCTION public.todo_counters_only_grow() FROM PUBLIC",
    # Migration 0013: an operation's journal goes with it (see JOURNAL_CASCADE).
    """
CREATE FUNCTION public.todo_journal_cascade() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM public.journal j USING old_rows o WHERE j.operation_id = o.id;
    RETURN NULL;
END
$$
""",
    "REVOKE EXECUTE ON FUNCTION public.todo_journal_cascade() FROM PUBLIC",
)
# After the tables: the users table's own trigger.
PG_USERS_TRIGGERS: Final = (
    "CREATE TRIGGER trg_users_counters_only_grow "
    "BEFORE UPDATE OF task_counter, conversation_counter, operation_counter ON users "
    "FOR EACH ROW EXECUTE FUNCTION public.todo_counters_only_grow()",
)
# An operation's journal rows go with it: a prune, a purged member (the cascade
# from users), whatever deletes operations. This was a foreign key from
# journal.operation_id until migration 0013; its check, one index probe and row
# lock per journal row, was a fifth of a 100,000-task bulk add on PostgreSQL,
# and it checked nothing the writers do not already ensure: journal rows are
# written by the triggers alone (members may only read them), always with the
# operation todo_operation_id() or SQLITE_OPEN_OPERATION has just found or made.
# Statement-level on PostgreSQL (definer: members may not delete journal rows).
JOURNAL_CASCADE: Final = "trg_operations_journal_cascade"
PG_OPERATIONS_TRIGGERS: Final = (
    f"CREATE TRIGGER {JOURNAL_CASCADE} AFTER DELETE ON operations "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION public.todo_journal_cascade()",
)
SQLITE_OPERATIONS_TRIGGERS: Final = (
    f"CREATE TRIGGER {JOURNAL_CASCADE} AFTER DELETE ON operations "
    "BEGIN DELETE FROM journal WHERE operation_id = OLD.id; END",
)
PG_DROP_FUNCTIONS: Final = (
    "DROP FUNCTION todo_journal()",
    "DROP FUNCTION todo_operation_id()",
)


def trigger_name(table: str, action: str) -> str:
    return f"trg_{table}_journal_{action}"


def _pg_key(key: Sequence[str], row: str = "r") -> str:
    return "jsonb_build_array(" + ", ".join(f"{row}.{column}" for column in key) + ")"


def row_key_of(row: str, key: Sequence[str], *, sqlite: bool) -> str:
    """SQL: the row_key text the triggers record for the row `row` (whose key columns
    are `key`): equal to it, so that the journal's index finds that row's entries."""
    return _sqlite_key(row, key) if sqlite else f"({_pg_key(key, row)})::text"


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


# SQLite: the operation a journal row belongs to is the open one; a write no
# command opened an operation for gets one of its own, "outside todo".
SQLITE_OPEN_OPERATION: Final = (
    "INSERT INTO operations (id, created_at, command, open) "
    "SELECT lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%f', 'now'), "
    "'outside todo', 1 WHERE NOT EXISTS (SELECT 1 FROM operations WHERE open)"
)
_SQLITE_CURRENT: Final = "(SELECT id FROM operations WHERE open ORDER BY rowid DESC LIMIT 1)"


def _sqlite_image(row: str, columns: Sequence[str]) -> str:
    return "json_object(" + ", ".join(f"'{c}', {row}.{c}" for c in columns) + ")"


def _sqlite_key(row: str, key: Sequence[str]) -> str:
    return "json_array(" + ", ".join(f"{row}.{c}" for c in key) + ")"


def sqlite_triggers(
    table: str, columns: Sequence[str], key: Sequence[str], *, update_of: bool = False
) -> list[str]:
    """The three row triggers of one table on SQLite, each naming every column.

    With ``update_of`` the update trigger fires only for an UPDATE that sets
    one of these columns: a table with a derived column (the tasks' stored
    tag count, db.schema) does not journal the database keeping it.
    """
    opened = SQLITE_OPEN_OPERATION + ";"
    current = _SQLITE_CURRENT
    statements = []
    for action in ACTIONS:
        row = "OLD" if action == "delete" else "NEW"
        before = _sqlite_image("OLD", columns) if action != "insert" else "NULL"
        after = _sqlite_image("NEW", columns) if action != "delete" else "NULL"
        row_key = _sqlite_key(row, key)
        event = action.upper()
        if action == "update" and update_of:
            event += " OF " + ", ".join(columns)
        statements.append(
            f"CREATE TRIGGER {trigger_name(table, action)} AFTER {event} ON {table} "
            f"BEGIN {opened} "
            "INSERT INTO journal (operation_id, table_name, action, row_key, before, after) "
            f"VALUES ({current}, '{table}', '{action}', {row_key}, {before}, {after}); END"
        )
    return statements


def drop_triggers(table: str, dialect: str) -> list[str]:
    on = f" ON {table}" if dialect == "postgresql" else ""
    return [f"DROP TRIGGER {trigger_name(table, action)}{on}" for action in ACTIONS]


def sqlite_journal_inserted(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """The journal rows of every row of `table` past a rowid (parameter ?1), at once.

    What the insert trigger writes row by row, in one INSERT ... SELECT: the
    same images of the stored rows, to the same open operation (run
    SQLITE_OPEN_OPERATION first, as the trigger does). A bulk writer that
    holds the write lock and takes the insert trigger off for its own
    statement journals its rows with this: rows of a rowid table inserted
    without a rowid get ones past the largest there was.
    """
    return (
        "INSERT INTO journal (operation_id, table_name, action, row_key, before, after) "
        f"SELECT {_SQLITE_CURRENT}, '{table}', 'insert', {_sqlite_key('NEW', key)}, NULL, "
        f"{_sqlite_image('NEW', columns)} FROM {table} AS NEW WHERE NEW.rowid > ?1 "
        "ORDER BY NEW.rowid"
    )
