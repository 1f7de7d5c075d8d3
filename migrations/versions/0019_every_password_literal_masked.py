"""journal: a password given to SQL as any string constant is masked before it is stored

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

PostgreSQL only. Revision 0018 masked a password in a statement run outside
todo before the journal stored it, but only as SQL's plain literal
(`PASSWORD '...'`): PostgreSQL takes the same password as `E'...'`,
`U&'...'` or `$tag$...$tag$`, and those were stored as typed (and shown by
`todo history` once the password was no longer the one of the URL in use);
a libpq `password=''...''` inside an SQL literal (its quotes doubled) was
masked only up to its first quote. Now every string-constant form is masked
(a dollar quote a comment leaves open, to the end of the text), after white
space, comments or nothing (`PASSWORD /* new */ '...'`, `password'...'`) and
continued over lines (`'ab'` newline `'cd'` is `'abcd'`); a URL's password is
masked to its user info's last `@` (a password may hold one); and the upgrade
masks the operations already recorded. The downgrade puts revision
0018's function back; what was masked stays masked. SQLite's triggers record
no statement and are left as they are.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history. PostgreSQL's regular expressions (ARE): \m is
# the start of a word; a pattern whose first quantifier is lazy (*?) takes the
# shortest match, so a dollar quote ends at its first closing tag. The forms
# todo masks when it shows a statement (todo_cli.redact): SQL's PASSWORD as any
# string constant, a password= parameter (also inside SQL's doubled quotes), and
# the password of a URL's user info.
MASKED = (
    "pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace("
    "pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace("
    "pg_catalog.regexp_replace("
    "{0}, "
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


def _operation_id(masked: str) -> str:
    """todo_operation_id() as this revision (or, with 0018's mask, 0018) defines it."""
    return f"""
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
                    {masked.format("pg_catalog.current_query()")}, 200),
                pg_catalog.txid_current());
        PERFORM pg_catalog.set_config('todo.operation', found::text, true);
    END IF;
    RETURN found;
END
$$
"""


OPERATION_ID = _operation_id(MASKED)

# Revision 0018's mask and function, for the downgrade.
OLD_MASKED = (
    "pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace("
    "{0}, "
    "'(\\mpassword\\s+)(''(''''|[^''])*''?)', '\\1***', 'gi'), "
    "'(\\m(ssl)?password\\s*=\\s*)(''(\\\\.|[^''\\\\])*''?|[^\\s&'']*)', '\\1***', 'gi'), "
    "'(://[^/\\s:@]*:)[^@\\s/]*@', '\\1***@', 'g')"
)

OLD_OPERATION_ID = _operation_id(OLD_MASKED)

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
