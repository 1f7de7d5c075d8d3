"""chat-log search: stored search vectors on PostgreSQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

PostgreSQL only. Revision 0007 indexed ``to_tsvector(content)`` as an
expression: the index finds the matching messages, but ranking them
(``ts_rank_cd``) parsed every matching message again, so a common word over
100,000 messages cost seconds. Each message and conversation now keeps its
vector in a generated column (computed by PostgreSQL on insert and update,
never written by todo), and the GIN indexes are on those columns.

The vectors are derived, not data: the journal's row images leave them out
(undo restores a message and PostgreSQL derives its vector again), and the
downgrade drops them without asking. SQLite keeps its FTS5 tables as they are.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history.
SEARCH_CONFIG = "todo_search"
COLUMN = "search_vector"
VECTORS = {
    "messages": f"to_tsvector('{SEARCH_CONFIG}'::regconfig, content)",
    "conversations": f"to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce(title, ''))",
}
OLD_INDEXES = {
    "messages": f"to_tsvector('{SEARCH_CONFIG}', content)",
    "conversations": f"to_tsvector('{SEARCH_CONFIG}', coalesce(title, ''))",
}

# Revision 0008's journal function, for the downgrade.
OLD_JOURNAL = """
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


def _journal() -> str:
    """Revision 0008's journal function, its row images without the vectors.

    A vector is about as large as the text it indexes: recorded, it would
    double the journal of every chat-log import; and undo restores the columns
    todo writes, from which PostgreSQL derives the vector again.
    """
    derived = (
        f"CASE WHEN TG_TABLE_NAME IN ('messages', 'conversations') "
        f"THEN ' - ''{COLUMN}''' ELSE '' END"
    )
    return f"""
CREATE OR REPLACE FUNCTION public.todo_journal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    op uuid := public.todo_operation_id();
    key text := TG_ARGV[0];
    derived text := {derived};
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
    if op.get_context().dialect.name != "postgresql":
        return  # SQLite's FTS5 tables store their index already
    # Before the columns exist: no image recorded from here on carries one.
    op.execute(_journal())
    for table, vector in VECTORS.items():
        # Adding a stored generated column rewrites the table once, computing
        # every row's vector; no trigger fires (messages stay immutable).
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {COLUMN} tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED"
        )
        op.execute(f"DROP INDEX ix_{table}_search")
        op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin ({COLUMN})")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table, expression in OLD_INDEXES.items():
        op.execute(f"DROP INDEX ix_{table}_search")
        op.execute(f"ALTER TABLE {table} DROP COLUMN {COLUMN}")
        op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin ({expression})")
    op.execute(OLD_JOURNAL)
