"""journal: a statement that changed no row opens no operation

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

PostgreSQL only. The journal's triggers run once per statement, a statement
that changed no row included, and opened the transaction's operation first
thing: an "outside todo" one where todo had opened none. A login that is
nobody in this database (a member of another database on the server, shown
no row by row security) could so add operations rows at will, each with up
to 200 characters of its own text, by running statements that touch nothing
(`DELETE FROM task_notes`). Now the trigger looks at its transition table
first and does nothing for an empty one. Nothing a command does changes: its
operation is opened by todo itself, and a statement that changes rows is
journaled as before. The downgrade puts revision 0009's function back. SQLite
journals row by row (a trigger per changed row) and is left as it is.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history.
JOURNAL = """
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
"""
# As revisions 0009 to 0014 left it.
JOURNAL_BEFORE = """
CREATE OR REPLACE FUNCTION public.todo_journal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    op uuid := public.todo_operation_id();
    key text := TG_ARGV[0];
    derived text := CASE WHEN TG_TABLE_NAME IN ('messages', 'conversations')
                    THEN ' - ''search_vector''' ELSE '' END;
BEGIN
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
"""


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(JOURNAL)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(JOURNAL_BEFORE)
