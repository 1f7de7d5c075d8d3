"""journal: a password in a statement run outside todo is masked before it is stored

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

PostgreSQL only. A change made outside todo (psql, a script) is journaled
under an "outside todo" operation that records the first 200 characters of the
statement that made it. A password in that text (`ALTER ROLE r PASSWORD
'...'` sent in the same call as an UPDATE of a task, a connection URL or a
`password=` parameter in a comment) was stored as typed and masked only when
shown: it stayed in every backup and dump of the database. Now the function
that opens the operation masks it (`***`, as todo shows it) before the text is
cut to 200 characters, and the upgrade masks the operations already recorded.
The downgrade puts revision 0010's function back; what was masked stays
masked (the passwords are gone, as they should be). SQLite's triggers record
no statement and are left as they are.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history. PostgreSQL's regular expressions (ARE): \m is
# the start of a word. The three forms todo masks when it shows a statement
# (todo_cli.redact): SQL's PASSWORD 'literal', a password= parameter, and the
# password of a URL's user info.
MASKED = (
    "pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace("
    "{0}, "
    "'(\\mpassword\\s+)(''(''''|[^''])*''?)', '\\1***', 'gi'), "
    "'(\\m(ssl)?password\\s*=\\s*)(''(\\\\.|[^''\\\\])*''?|[^\\s&'']*)', '\\1***', 'gi'), "
    "'(://[^/\\s:@]*:)[^@\\s/]*@', '\\1***@', 'g')"
)

OPERATION_ID = f"""
CREATE OR REPLACE FUNCTION public.todo_operation_id() RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    named text := pg_catalog.current_setting('todo.operation', true);
    found uuid;
    who uuid;
    numbered integer;
BEGIN
    IF named ~ '^[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}$' THEN
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
                    {MASKED.format("pg_catalog.current_query()")}, 200),
                pg_catalog.txid_current());
        PERFORM pg_catalog.set_config('todo.operation', found::text, true);
    END IF;
    RETURN found;
END
$$
"""

# Revision 0010's function, for the downgrade.
OLD_OPERATION_ID = """
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

# The operations recorded before: only outside ones hold a statement (todo's own
# record its command line, which todo masks as it writes it).
MASK_RECORDED = (
    "UPDATE operations SET command = " + MASKED.format("command") + " "
    "WHERE command LIKE 'outside todo: %' AND command ~* 'password|://'"
)


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return  # SQLite's triggers record no statement
    # CREATE OR REPLACE keeps the function's owner and its grants (0008 revoked
    # EXECUTE from PUBLIC).
    op.execute(OPERATION_ID)
    op.execute(MASK_RECORDED)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(OLD_OPERATION_ID)
