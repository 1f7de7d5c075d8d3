"""chat logs: longer messages, full-text search, and import by the source's ids

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Connection
from sqlalchemy.schema import SchemaItem

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history.
OLD_CONTENT_MAX = 5000
NEW_CONTENT_MAX = 100_000
SOURCE_MAX = 16
SOURCE_ID_MAX = 200
SEARCH_CONFIG = "todo_search"
SQLITE_TOKENIZE = "porter unicode61 remove_diacritics 2"
ACTIONS = ("insert", "update", "delete")
CONVERSATIONS_BEFORE = ("id", "user_id", "number", "title", "created_at", "updated_at")
CONVERSATIONS_AFTER = (*CONVERSATIONS_BEFORE, "source", "source_id")
MESSAGES_BEFORE = ("id", "conversation_id", "seq", "role", "content", "created_at")
MESSAGES_AFTER = (*MESSAGES_BEFORE, "source_id")


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def _content_check(limit: int) -> str:
    return f"length(trim(content)) >= 1 AND length(content) <= {limit}"


def _messages(limit: int, *, with_source: bool) -> sa.Table:
    """The messages table at a content limit, for SQLite's batch rebuild."""
    extra: list[SchemaItem] = (
        [sa.Column("source_id", sa.String(SOURCE_ID_MAX), nullable=True)] if with_source else []
    )
    return sa.Table(
        "messages",
        sa.MetaData(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_messages_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_id_seq"),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_messages_seq_positive")),
        sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f("ck_messages_role")),
        sa.CheckConstraint(_content_check(limit), name=op.f("ck_messages_content_length")),
    )


def _journal_triggers(table: str, columns: Sequence[str]) -> list[str]:
    """SQLite's journal triggers of one table (see revision 0005), for a column list."""
    image = "json_object(" + ", ".join(f"'{c}', {{row}}.{c}" for c in columns) + ")"
    opened = (
        "INSERT INTO operations (id, created_at, command, open) "
        "SELECT lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%f', 'now'), "
        "'outside todo', 1 WHERE NOT EXISTS (SELECT 1 FROM operations WHERE open);"
    )
    current = "(SELECT id FROM operations WHERE open ORDER BY rowid DESC LIMIT 1)"
    statements = []
    for action in ACTIONS:
        row = "OLD" if action == "delete" else "NEW"
        before = image.format(row="OLD") if action != "insert" else "NULL"
        after = image.format(row="NEW") if action != "delete" else "NULL"
        statements.append(
            f"CREATE TRIGGER trg_{table}_journal_{action} AFTER {action.upper()} ON {table} "
            f"BEGIN {opened} "
            "INSERT INTO journal (operation_id, table_name, action, row_key, before, after) "
            f"VALUES ({current}, '{table}', '{action}', json_array({row}.id), {before}, {after});"
            " END"
        )
    return statements


IMMUTABLE_SQLITE = (
    "CREATE TRIGGER trg_messages_immutable BEFORE UPDATE ON messages "
    "BEGIN SELECT RAISE(ABORT, 'messages are immutable: UPDATE refused'); END"
)
SQLITE_SEARCH = (
    f"CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', "
    f"content_rowid='rowid', tokenize='{SQLITE_TOKENIZE}')",
    "CREATE TRIGGER trg_messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, content) VALUES (NEW.rowid, NEW.content); END",
    "CREATE TRIGGER trg_messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) "
    "VALUES ('delete', OLD.rowid, OLD.content); END",
    f"CREATE VIRTUAL TABLE conversations_fts USING fts5(title, content='conversations', "
    f"content_rowid='rowid', tokenize='{SQLITE_TOKENIZE}')",
    "CREATE TRIGGER trg_conversations_fts_insert AFTER INSERT ON conversations BEGIN "
    "INSERT INTO conversations_fts(rowid, title) VALUES (NEW.rowid, NEW.title); END",
    "CREATE TRIGGER trg_conversations_fts_delete AFTER DELETE ON conversations BEGIN "
    "INSERT INTO conversations_fts(conversations_fts, rowid, title) "
    "VALUES ('delete', OLD.rowid, OLD.title); END",
    "CREATE TRIGGER trg_conversations_fts_update AFTER UPDATE OF title ON conversations "
    "BEGIN INSERT INTO conversations_fts(conversations_fts, rowid, title) "
    "VALUES ('delete', OLD.rowid, OLD.title); "
    "INSERT INTO conversations_fts(rowid, title) VALUES (NEW.rowid, NEW.title); END",
    # Build the indexes for the messages and titles already there.
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
    "INSERT INTO conversations_fts(conversations_fts) VALUES ('rebuild')",
)
SQLITE_UNSEARCH = (
    "DROP TRIGGER trg_conversations_fts_update",
    "DROP TRIGGER trg_conversations_fts_delete",
    "DROP TRIGGER trg_conversations_fts_insert",
    "DROP TABLE conversations_fts",
    "DROP TRIGGER trg_messages_fts_delete",
    "DROP TRIGGER trg_messages_fts_insert",
    "DROP TABLE messages_fts",
)


def losses(conn: Connection) -> list[tuple[str, int, str]]:
    """What this revision's downgrade does to data beyond the columns it drops.

    Each: the table, how many of its rows, and what happens to them.
    """
    count = conn.execute(
        sa.text(f"SELECT count(*) FROM messages WHERE length(content) > {OLD_CONTENT_MAX}")
    ).scalar_one()
    if not count:
        return []
    noun = "message" if count == 1 else "messages"
    return [
        (
            "messages",
            count,
            f"cut {count} {noun} longer than {OLD_CONTENT_MAX:,} characters to their first "
            f"{OLD_CONTENT_MAX:,} (the rest is lost)",
        )
    ]


def _pg_search_config() -> None:
    # Printing the SQL (--sql) there is no server to ask: write it for one that
    # has the extension, as PostgreSQL's own packages and Neon do.
    available = op.get_context().as_sql or (
        op.get_bind()
        .execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'"))
        .first()
    )
    if available:
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    mapping = "unaccent, english_stem" if available else "english_stem"
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} (COPY = pg_catalog.english)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} "
        f"ALTER MAPPING FOR hword, hword_part, word WITH {mapping}"
    )


def upgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    op.add_column("conversations", sa.Column("source", sa.String(SOURCE_MAX), nullable=True))
    op.add_column("conversations", sa.Column("source_id", sa.String(SOURCE_ID_MAX), nullable=True))
    op.create_index(
        "uq_conversations_user_id_source_source_id",
        "conversations",
        ["user_id", "source", "source_id"],
        unique=True,
    )
    if postgres:
        op.add_column("messages", sa.Column("source_id", sa.String(SOURCE_ID_MAX), nullable=True))
        op.drop_constraint(op.f("ck_messages_content_length"), "messages", type_="check")
        op.create_check_constraint(
            op.f("ck_messages_content_length"), "messages", _content_check(NEW_CONTENT_MAX)
        )
    else:
        # The rebuild drops the table's triggers; they are made again below.
        with op.batch_alter_table(
            "messages", copy_from=_messages(OLD_CONTENT_MAX, with_source=False)
        ) as batch:
            batch.add_column(sa.Column("source_id", sa.String(SOURCE_ID_MAX), nullable=True))
            batch.drop_constraint(op.f("ck_messages_content_length"), type_="check")
            batch.create_check_constraint(
                op.f("ck_messages_content_length"), _content_check(NEW_CONTENT_MAX)
            )
    op.create_index(
        "uq_messages_conversation_id_source_id",
        "messages",
        ["conversation_id", "source_id"],
        unique=True,
    )
    if postgres:
        _pg_search_config()
        op.execute(
            f"CREATE INDEX ix_messages_search ON messages "
            f"USING gin (to_tsvector('{SEARCH_CONFIG}', content))"
        )
        op.execute(
            f"CREATE INDEX ix_conversations_search ON conversations "
            f"USING gin (to_tsvector('{SEARCH_CONFIG}', coalesce(title, '')))"
        )
        return
    for action in ACTIONS:
        op.execute(f"DROP TRIGGER trg_conversations_journal_{action}")
    for statement in (
        *_journal_triggers("conversations", CONVERSATIONS_AFTER),
        *_journal_triggers("messages", MESSAGES_AFTER),
        IMMUTABLE_SQLITE,
        *SQLITE_SEARCH,
    ):
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    # A message whose first 5,000 characters are spaces is cut from its first other
    # one: cut at the start, it was blank, the old check refused it, and no downgrade
    # below this revision could be made at all (those to 0001 and base either).
    first = f"substr(content, 1, {OLD_CONTENT_MAX})"
    cut = (
        f"UPDATE messages SET content = CASE WHEN trim({first}) = '' "
        f"THEN substr(ltrim(content), 1, {OLD_CONTENT_MAX}) ELSE {first} END "
        f"WHERE length(content) > {OLD_CONTENT_MAX}"
    )
    if postgres:
        op.execute("DROP INDEX ix_conversations_search")
        op.execute("DROP INDEX ix_messages_search")
        op.execute(f"DROP TEXT SEARCH CONFIGURATION {SEARCH_CONFIG}")
        op.drop_index("uq_messages_conversation_id_source_id", table_name="messages")
        # Messages are immutable; shortening them is the one exception, as the
        # downgrade said it would be.
        op.execute("ALTER TABLE messages DISABLE TRIGGER trg_messages_immutable")
        # Only when a message is longer: the journal's trigger of this revision opens
        # an operation for an UPDATE that changes no row (an empty "outside todo" one
        # after every downgrade drill). A DO block, so that --sql prints it too.
        op.execute(
            f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM messages WHERE length(content) > "
            f"{OLD_CONTENT_MAX}) THEN {cut}; END IF; END $$"
        )
        op.execute("ALTER TABLE messages ENABLE TRIGGER trg_messages_immutable")
        op.drop_constraint(op.f("ck_messages_content_length"), "messages", type_="check")
        op.create_check_constraint(
            op.f("ck_messages_content_length"), "messages", _content_check(OLD_CONTENT_MAX)
        )
        op.drop_column("messages", "source_id")
    else:
        for statement in SQLITE_UNSEARCH:
            op.execute(statement)
        op.drop_index("uq_messages_conversation_id_source_id", table_name="messages")
        op.execute("DROP TRIGGER trg_messages_immutable")
        op.execute(cut)
        with op.batch_alter_table(
            "messages", copy_from=_messages(NEW_CONTENT_MAX, with_source=True)
        ) as batch:
            batch.drop_constraint(op.f("ck_messages_content_length"), type_="check")
            batch.create_check_constraint(
                op.f("ck_messages_content_length"), _content_check(OLD_CONTENT_MAX)
            )
            batch.drop_column("source_id")
        for action in ACTIONS:
            op.execute(f"DROP TRIGGER trg_conversations_journal_{action}")
        for statement in (
            *_journal_triggers("conversations", CONVERSATIONS_BEFORE),
            *_journal_triggers("messages", MESSAGES_BEFORE),
            IMMUTABLE_SQLITE,
        ):
            op.execute(statement)
    op.drop_index("uq_conversations_user_id_source_source_id", table_name="conversations")
    if postgres:
        op.drop_column("conversations", "source_id")
        op.drop_column("conversations", "source")
    else:
        op.execute("ALTER TABLE conversations DROP COLUMN source_id")
        op.execute("ALTER TABLE conversations DROP COLUMN source")
