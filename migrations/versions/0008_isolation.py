"""isolation: row-level security policies, definer journal functions, counters that only grow

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

PostgreSQL only. This revision makes isolation *possible* and changes nothing
for a database that does not use it: the policies it creates are inert until
row-level security is enabled on the tables, and that happens only in `todo db
isolate` (or the first `todo db grant`), together with the grants to the group
role. A migration must never grant members anything: on a table without row
security a grant would hand them every row.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history.
ISOLATED = (
    "users",
    "tasks",
    "task_tags",
    "task_notes",
    "task_dependencies",
    "conversations",
    "messages",
    "operations",
    "journal",
)

# Every function below pins its search_path with pg_temp last (unlisted, pg_temp
# would be searched first for tables) and names every object with its schema,
# so nothing a member can create shadows what it uses.
SESSION_USER_ID = """
CREATE FUNCTION public.todo_session_user_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- session_user, not current_user: SET ROLE and SECURITY DEFINER functions
    -- change current_user; only a superuser can change session_user.
    SELECT id FROM public.users WHERE name = session_user::text
$$
"""

# Definer: which of these ids already name a conversation or a message, anyone's.
# An import keeps the ids of the export it reads unless they are taken; a member
# cannot see another member's rows, so without this the primary key would refuse
# an export another member made. It answers ids only (random UUIDs the caller
# already holds), never whose they are or what the rows hold.
IDS_TAKEN = """
CREATE FUNCTION public.todo_chat_ids_taken(ids uuid[]) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.id FROM public.conversations AS c WHERE c.id = ANY (ids)
    UNION ALL
    SELECT m.id FROM public.messages AS m WHERE m.id = ANY (ids)
$$
"""

# Definer (owned by the admin, who bypasses row security): a member's write
# must be journaled although members may not write the journal themselves. A
# write nothing opened an operation for is the session user's own when they
# have a users row and isolation is on; otherwise it stays anonymous as before.
OPERATION_ID = """
CREATE OR REPLACE FUNCTION public.todo_operation_id() RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    found uuid;
    who uuid;
    numbered integer;
BEGIN
    SELECT id INTO found FROM public.operations
    WHERE txid = pg_catalog.txid_current()
    ORDER BY created_at LIMIT 1;
    IF found IS NULL THEN
        IF (SELECT relrowsecurity FROM pg_catalog.pg_class
            WHERE oid = 'public.tasks'::pg_catalog.regclass) THEN
            UPDATE public.users SET operation_counter = operation_counter + 1
            WHERE name = session_user::text
            RETURNING id, operation_counter INTO who, numbered;
        END IF;
        found := pg_catalog.gen_random_uuid();
        INSERT INTO public.operations (id, user_id, number, created_at, command, txid)
        VALUES (found, who, numbered, pg_catalog.now(),
                'outside todo: ' || pg_catalog.left(pg_catalog.current_query(), 200),
                pg_catalog.txid_current());
    END IF;
    RETURN found;
END
$$
"""
JOURNAL = """
CREATE OR REPLACE FUNCTION public.todo_journal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    op uuid := public.todo_operation_id();
    key text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE pg_catalog.format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''insert'', (%s)::text, NULL, pg_catalog.to_jsonb(r) FROM new_rows r',
            TG_TABLE_NAME, key) USING op;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE pg_catalog.format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''delete'', (%s)::text, pg_catalog.to_jsonb(r), NULL FROM old_rows r',
            TG_TABLE_NAME, key) USING op;
    ELSE
        EXECUTE pg_catalog.format(
            'INSERT INTO public.journal (operation_id, table_name, action, row_key, before, after) '
            'SELECT $1, %L, ''update'', (%s)::text, pg_catalog.to_jsonb(o), pg_catalog.to_jsonb(r) '
            'FROM new_rows r JOIN old_rows o ON (%s) = (%s)',
            TG_TABLE_NAME, key, key, pg_catalog.replace(key, 'r.', 'o.')) USING op;
    END IF;
    RETURN NULL;
END
$$
"""
COUNTERS_ONLY_GROW = """
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
"""
COUNTERS_TRIGGER = (
    "CREATE TRIGGER trg_users_counters_only_grow "
    "BEFORE UPDATE OF task_counter, conversation_counter, operation_counter ON users "
    "FOR EACH ROW EXECUTE FUNCTION public.todo_counters_only_grow()"
)

# The session user's id, computed once per statement: an uncorrelated
# subquery is an InitPlan, where a bare call would run for every row.
ME = "(SELECT public.todo_session_user_id())"


def _owned_task(column: str) -> str:
    return f"EXISTS (SELECT 1 FROM public.tasks t WHERE t.id = {column} AND t.user_id = {ME})"


def _owned_conversation(column: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM public.conversations c WHERE c.id = {column} AND c.user_id = {ME})"
    )


def _owned_operation(column: str) -> str:
    return f"EXISTS (SELECT 1 FROM public.operations o WHERE o.id = {column} AND o.user_id = {ME})"


# (name, table, command, USING, WITH CHECK). Policies apply to PUBLIC: every
# role that row security applies to is held to them, and a role that is no
# member has no users row, so they give it nothing.
POLICIES: tuple[tuple[str, str, str, str | None, str | None], ...] = (
    ("todo_users_select", "users", "SELECT", "name = session_user::text", None),
    # A member's row is made by `todo db grant`; the INSERT half of the upsert
    # that takes numbers is checked too, and passes only for an existing row,
    # which it then updates. A member can never make a users row: a login on
    # the server is no membership of this database.
    (
        "todo_users_insert",
        "users",
        "INSERT",
        None,
        "name = session_user::text AND public.todo_session_user_id() IS NOT NULL",
    ),
    (
        "todo_users_update",
        "users",
        "UPDATE",
        "name = session_user::text",
        "name = session_user::text",
    ),
    ("todo_tasks_own", "tasks", "ALL", f"user_id = {ME}", f"user_id = {ME}"),
    (
        "todo_task_tags_own",
        "task_tags",
        "ALL",
        _owned_task("task_tags.task_id"),
        _owned_task("task_tags.task_id"),
    ),
    (
        "todo_task_notes_own",
        "task_notes",
        "ALL",
        _owned_task("task_notes.task_id"),
        _owned_task("task_notes.task_id"),
    ),
    (
        "todo_task_dependencies_own",
        "task_dependencies",
        "ALL",
        f"{_owned_task('task_dependencies.task_id')} "
        f"AND {_owned_task('task_dependencies.depends_on_id')}",
        f"{_owned_task('task_dependencies.task_id')} "
        f"AND {_owned_task('task_dependencies.depends_on_id')}",
    ),
    ("todo_conversations_own", "conversations", "ALL", f"user_id = {ME}", f"user_id = {ME}"),
    (
        "todo_messages_own",
        "messages",
        "ALL",
        _owned_conversation("messages.conversation_id"),
        _owned_conversation("messages.conversation_id"),
    ),
    ("todo_operations_select", "operations", "SELECT", f"user_id = {ME}", None),
    # Stamped with the member's own transaction: an operation stamped with a
    # transaction id still to come would collect someone else's changes.
    (
        "todo_operations_insert",
        "operations",
        "INSERT",
        None,
        f"user_id = {ME} AND txid = pg_catalog.txid_current()",
    ),
    ("todo_operations_update", "operations", "UPDATE", f"user_id = {ME}", f"user_id = {ME}"),
    ("todo_operations_delete", "operations", "DELETE", f"user_id = {ME}", None),
    # Written by the definer trigger alone; read through the member's operations.
    (
        "todo_journal_select",
        "journal",
        "SELECT",
        _owned_operation("journal.operation_id"),
        None,
    ),
)

# Revision 0005's functions, for the downgrade.
OLD_OPERATION_ID = """
CREATE OR REPLACE FUNCTION todo_operation_id() RETURNS uuid
LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, public AS $$
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
OLD_JOURNAL = """
CREATE OR REPLACE FUNCTION todo_journal() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, public AS $$
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
GROUP_ROLE = "todo_member"


def _policy(name: str, table: str, command: str, using: str | None, check: str | None) -> str:
    statement = f"CREATE POLICY {name} ON {table} AS PERMISSIVE FOR {command} TO PUBLIC"
    if using is not None:
        statement += f" USING ({using})"
    if check is not None:
        statement += f" WITH CHECK ({check})"
    return statement


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return  # SQLite is one person's file: there is nobody to keep apart
    op.execute(SESSION_USER_ID)
    op.execute(IDS_TAKEN)
    op.execute(OPERATION_ID)
    op.execute(JOURNAL)
    # Called by the definer trigger function only; a member calling it would
    # open operations at will.
    op.execute("REVOKE EXECUTE ON FUNCTION public.todo_operation_id() FROM PUBLIC")
    op.execute("REVOKE EXECUTE ON FUNCTION public.todo_journal() FROM PUBLIC")
    op.execute(COUNTERS_ONLY_GROW)
    op.execute("REVOKE EXECUTE ON FUNCTION public.todo_counters_only_grow() FROM PUBLIC")
    op.execute(COUNTERS_TRIGGER)
    for policy in POLICIES:
        op.execute(_policy(*policy))


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    # Members first lose every grant (fail closed): without policies and row
    # security, a grant would show them every member's rows.
    op.execute(
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{GROUP_ROLE}') "
        f"THEN EXECUTE 'REVOKE ALL ON {', '.join(ISOLATED)}, alembic_version FROM {GROUP_ROLE}'; "
        f"EXECUTE 'REVOKE ALL ON SCHEMA public FROM {GROUP_ROLE}'; END IF; END $$"
    )
    for table in ISOLATED:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for name, table, *_ in reversed(POLICIES):
        op.execute(f"DROP POLICY {name} ON {table}")
    op.execute("DROP TRIGGER trg_users_counters_only_grow ON users")
    op.execute("DROP FUNCTION public.todo_counters_only_grow()")
    op.execute(OLD_JOURNAL)
    op.execute(OLD_OPERATION_ID)
    op.execute("GRANT EXECUTE ON FUNCTION public.todo_operation_id() TO PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION public.todo_journal() TO PUBLIC")
    op.execute("DROP FUNCTION public.todo_chat_ids_taken(uuid[])")
    op.execute("DROP FUNCTION public.todo_session_user_id()")
