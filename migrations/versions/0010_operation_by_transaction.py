"""journal: a transaction names its operation itself

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

PostgreSQL only. The journal's triggers found the operation being written by
the transaction id alone (``txid = txid_current()``, the oldest first). A
journal copied from another server (pg_dump, a move to Neon) carries that
server's transaction ids, which this server's reach in time: a command's
changes were then recorded under an old operation of the copy.

Now the transaction names its operation: todo's INSERT of the operation row
sets the transaction-local setting ``todo.operation`` to its id (in the same
statement, so no round trip more), and so does the function when it opens an
"outside todo" operation for a write nobody opened one for. The name counts
only for an operation made by this very transaction (its txid), so neither a
copied journal nor a name set by hand to someone else's operation is ever
written to. Nothing is dropped either way: the downgrade puts 0008's function
back. SQLite finds the operation by its ``open`` flag and is left as it is.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history.
OPERATION_ID = """
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
        INSERT INTO public.operations (id, user_id, number, created_at, command, txid)
        VALUES (found, who, numbered, pg_catalog.now(),
                'outside todo: ' || pg_catalog.left(pg_catalog.current_query(), 200),
                pg_catalog.txid_current());
        PERFORM pg_catalog.set_config('todo.operation', found::text, true);
    END IF;
    RETURN found;
END
$$
"""

# Revision 0008's function, for the downgrade.
OLD_OPERATION_ID = """
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


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return  # SQLite's triggers find the operation by its `open` flag
    # CREATE OR REPLACE keeps the function's owner and its grants (0008 revoked
    # EXECUTE from PUBLIC).
    op.execute(OPERATION_ID)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(OLD_OPERATION_ID)
