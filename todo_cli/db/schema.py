"""The tables, as SQLAlchemy Core metadata.

Only the repository imports this module (and migrations/env.py, to compare).
The migrations create the real schema; this metadata describes the same
thing, and a test checks that Alembic's autogenerate finds no difference
between the two, CHECK constraints and triggers included. The columns of
``tasks`` that hold task fields are derived from the one declaration of those
fields (:mod:`todo_cli.domain.fields`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    event,
    false,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex
from sqlalchemy.types import TypeDecorator, TypeEngine

from todo_cli.domain.fields import COLUMN_FIELDS, FieldSpec
from todo_cli.domain.limits import (
    CONVERSATION_TITLE_MAX,
    MESSAGE_CONTENT_MAX,
    MESSAGE_ROLES,
    NOTE_MAX,
    SOURCE_ID_MAX,
    SOURCE_MAX,
    TAG_MAX,
    USER_NAME_MAX,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# PostgreSQL's text search configuration for chat logs: English stemming
# ("running" finds "runs"), accents ignored ("cafe" finds "café") where the
# unaccent extension is available.
SEARCH_CONFIG = "todo_search"
# SQLite's: FTS5 with the Porter stemmer over Unicode words, diacritics removed.
SQLITE_TOKENIZE = "porter unicode61 remove_diacritics 2"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both backends.

    PostgreSQL stores ``timestamptz``. SQLite has no time type, so the value is
    stored as fixed-width ISO 8601 text in UTC: it sorts chronologically as
    text and parses back with the C-speed ``datetime.fromisoformat``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if dialect.name == "sqlite":
            if value.tzinfo is UTC:
                # Already UTC (a file's dates, the clock's now): its own text less the
                # offset, a third faster than converting it; 250,000 a 100,000-task import.
                return value.isoformat(timespec="microseconds")[:-6]
            return _sqlite_text(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            # SQLite's text is UTC without an offset. Parsing it with one is a
            # fifth of the cost of parsing, then replace(tzinfo=...): it counts
            # at 100,000 rows.
            try:
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:
                return _written_elsewhere(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def _written_elsewhere(value: str) -> datetime:
    """A SQLite time in a form todo never writes, as another program wrote it: Unix
    seconds (sqlite3's `strftime('%s')`, `unixepoch()`), or ISO 8601 with an offset
    of its own. Read as what it says (every command read the task, until then an
    internal error, `edit` and `delete` too: no todo command could repair it);
    anything else is refused naming the value."""
    text = value.strip()
    try:
        if text.replace(".", "", 1).isdigit() or (
            text[:1] == "-" and text[1:].replace(".", "", 1).isdigit()
        ):
            return datetime.fromtimestamp(float(text), UTC)
        found = datetime.fromisoformat(text)
        return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        from todo_cli.errors import DatabaseError

        raise DatabaseError(
            f"the database holds a time todo cannot read: {value!r} (written by another program)",
            hint="set it with sqlite3 in todo's form, 2026-11-24T09:30:00.000000 (UTC), or to NULL",
        ) from None


class JSONText(TypeDecorator[dict[str, Any]]):
    """A JSON object kept as text on both backends; keys sorted, so it reads back the same."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if not value:
            return None
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        import json

        loaded: dict[str, Any] = json.loads(value)
        return loaded


class RowImage(TypeDecorator[Any]):
    """A journal row image: JSONB on PostgreSQL, JSON text on SQLite.

    Not ``JSONB().with_variant(Text, "sqlite")``: importing JSONB loads
    SQLAlchemy's whole PostgreSQL dialect (asyncpg's and psycopg's modules
    included), about 25 ms of every command on SQLite.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(Text())


# A partial index's WHERE, in Index.info: the same on both backends. Not
# sqlite_where/postgresql_where: SQLAlchemy loads a dialect to check its
# keyword arguments, the PostgreSQL one on every command on SQLite.
# _create_partial_index puts it into CREATE INDEX.
WHERE = "todo_where"


@lru_cache(maxsize=16)
def _sqlite_text(value: datetime) -> str:
    # A bulk add binds the same instant 200,000 times; format it once.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


# The least step of a stored time: both backends keep microseconds.
TICK = timedelta(microseconds=1)


def changed_at(now: datetime, last: datetime) -> datetime:
    """The time of a change made at `now` to a row whose last change is at `last`.

    Now, unless this clock is behind that change (another machine's, an NTP
    step): then just after it, as :func:`just_after` says in SQL, and for the
    same reason.
    """
    return max(now, last + TICK)


def just_after(expression: str, dialect: str) -> str:
    """SQL for the time one microsecond after `expression`, a stored UTCDateTime.

    A change made now to a task whose last change reads later than now (a clock
    behind the one that wrote it) is stamped just after that change: left at its
    time, or set before it, the change read as none, or older, to an import of a
    copy taken before it, which then took the change back. SQLite's time is text
    of a fixed width (see UTCDateTime): its microseconds are counted on, carried
    into the seconds at .999999; text of another shape is left as it is.
    """
    if dialect != "sqlite":
        return f"({expression} + interval '1 microsecond')"
    e = expression
    return (
        f"(CASE WHEN length({e}) <> 26 THEN {e} "
        f"WHEN substr({e}, 21) = '999999' "
        f"THEN strftime('%Y-%m-%dT%H:%M:%S', substr({e}, 1, 19), '+1 second') || '.000000' "
        f"ELSE substr({e}, 1, 20) || printf('%06d', CAST(substr({e}, 21) AS INTEGER) + 1) END)"
    )


def not_blank_and_at_most(column: str, limit: int) -> str:
    return f"length(trim({column})) >= 1 AND length({column}) <= {limit}"


# Characters no tag or project segment holds, as the database checks them: the
# application checks the full rule (Unicode letters, digits, _ and -), which
# neither backend's pattern language can say the same way. LIKE is on both;
# none of these is a LIKE wildcard or needs quoting.
_NEVER_IN_NAMES = (" ", "+", "@", ",", ":", "#", '"')


def name_rule(column: str, limit: int, *, dotted: bool) -> str:
    """The database's structural check of a tag (or, dotted, a project path)."""
    parts = [f"length({column}) BETWEEN 1 AND {limit}"]
    parts.append(f"substr({column}, 1, 1) NOT BETWEEN '0' AND '9'")
    refused = [*_NEVER_IN_NAMES]
    if dotted:
        parts += [f"{column} NOT LIKE '.%'", f"{column} NOT LIKE '%.'", f"{column} NOT LIKE '%..%'"]
    else:
        refused.append(".")
    parts += [f"{column} NOT LIKE '%{char}%'" for char in refused]
    return " AND ".join(parts)


users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(USER_NAME_MAX), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Per-user counters hand out task and conversation numbers. A number is
    # never reused, even after a delete, so `todo done 3` can never hit a
    # newer task than the one the user meant.
    Column("task_counter", Integer, nullable=False, server_default="0"),
    Column("conversation_counter", Integer, nullable=False, server_default="0"),
    Column("operation_counter", Integer, nullable=False, server_default="0"),
    # PostgreSQL (revision 0014): whether `todo db grant` gave this row to the
    # login of its name here. Row security holds a member to their users row only
    # when it did: a login of another database on the server is nobody here,
    # whatever the names. Always false on SQLite, one person's file.
    Column("granted", Boolean, nullable=False, server_default=false()),
    # PostgreSQL (revision 0017): the oid of the role it was granted to. Roles are
    # server-wide and a name comes back: a role made again with it (for another
    # database) is not the member this row was granted to. Null on SQLite.
    Column("role_oid", BigInteger, nullable=True),
    UniqueConstraint("name"),
    CheckConstraint(not_blank_and_at_most("name", USER_NAME_MAX), name="name_length"),
    CheckConstraint("task_counter >= 0", name="task_counter"),
    CheckConstraint("conversation_counter >= 0", name="conversation_counter"),
    CheckConstraint("operation_counter >= 0", name="operation_counter"),
)


def _type(spec: FieldSpec) -> TypeEngine[Any]:
    if spec.kind == "uuid":
        return Uuid()
    if spec.kind == "int":
        return Integer()
    if spec.kind == "bool":
        return Boolean()
    if spec.kind == "instant":
        return UTCDateTime()
    if spec.kind == "object":
        return JSONText()
    # Short text is a VARCHAR (PostgreSQL checks its length too); long text is
    # TEXT, its limit kept by the CHECK alone.
    if spec.limit is not None and spec.limit <= 255:
        return String(spec.limit)
    return Text()


def _column(spec: FieldSpec) -> Column[Any]:
    server_default = false() if spec.kind == "bool" else None
    return Column(
        spec.name,
        _type(spec),
        primary_key=spec.name == "id",
        nullable=spec.nullable,
        server_default=server_default,
    )


def _checks(spec: FieldSpec) -> list[CheckConstraint]:
    """The database's own copy of a field's rules: ck_tasks_<field>_length or _<field>."""
    name = spec.name
    if spec.choices:
        allowed = ", ".join(f"'{choice}'" for choice in spec.choices)
        return [CheckConstraint(f"{name} IS NULL OR {name} IN ({allowed})", name=name)]
    if spec.rule is not None and spec.limit is not None:
        rule = name_rule(name, spec.limit, dotted=spec.rule == "path")
        return [CheckConstraint(f"{name} IS NULL OR ({rule})", name=name)]
    if spec.kind != "text" or spec.limit is None:
        return []
    rule = (
        f"{name} IS NULL OR length({name}) <= {spec.limit}"
        if spec.nullable
        else not_blank_and_at_most(name, spec.limit)
    )
    return [CheckConstraint(rule, name=f"{name}_length")]


tasks = Table(
    "tasks",
    metadata,
    *(_column(spec) for spec in COLUMN_FIELDS if spec.name == "id"),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    *(_column(spec) for spec in COLUMN_FIELDS if spec.name != "id"),
    *(check for spec in COLUMN_FIELDS for check in _checks(spec)),
    # Leads with user_id, so it also serves the foreign key and `list --all`.
    UniqueConstraint("user_id", "number"),
    CheckConstraint("number >= 1", name="number_positive"),
    CheckConstraint(
        "(completed AND completed_at IS NOT NULL) OR (NOT completed AND completed_at IS NULL)",
        name="completed_at_matches",
    ),
    CheckConstraint("updated_at >= created_at", name="updated_after_created"),
    # A recurrence counts from a due date, within a series.
    CheckConstraint(
        "recur IS NULL OR (due IS NOT NULL AND series_id IS NOT NULL "
        "AND recur_anchor IS NOT NULL AND recur_index IS NOT NULL)",
        name="recur_complete",
    ),
    # `todo list` (open) and `todo list --done`, in number order.
    Index(None, "user_id", "completed", "number"),
    # A series never has two open tasks: completing one twice, or from two
    # terminals at once, cannot make two successors. The database says so. Per
    # user: a series id comes with a task into another user's list (an import),
    # and there it is that user's series alone (revision 0016).
    Index(
        "uq_tasks_series_id_open",
        "user_id",
        "series_id",
        unique=True,
        info={WHERE: "series_id IS NOT NULL AND NOT completed"},
    ),
    # `project:home` (and its sub-projects, by prefix) and `todo projects`.
    Index(None, "user_id", "project"),
    # `due:`, `due.before:`, `+overdue` and --sort due.
    Index(None, "user_id", "due"),
)

task_tags = Table(
    "task_tags",
    metadata,
    Column("task_id", Uuid, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(TAG_MAX), primary_key=True),
    CheckConstraint(name_rule("tag", TAG_MAX, dotted=False), name="tag"),
    # `+tag` finds its tasks without reading every task.
    Index(None, "tag", "task_id"),
)

task_dependencies = Table(
    "task_dependencies",
    metadata,
    # task_id waits on depends_on_id; deleting either ends the dependency.
    Column("task_id", Uuid, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("depends_on_id", Uuid, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    CheckConstraint("task_id <> depends_on_id", name="not_itself"),
    # "What waits on this task?": blocking, and the urgency it adds.
    Index(None, "depends_on_id", "task_id"),
)

task_notes = Table(
    "task_notes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("task_id", Uuid, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("text", Text, nullable=False),
    CheckConstraint(not_blank_and_at_most("text", NOTE_MAX), name="text_length"),
    Index(None, "task_id", "created_at"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(CONVERSATION_TITLE_MAX), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Where an imported conversation came from (chatgpt, claude, llm, todo)
    # and its id there: importing a newer export extends it, never twice.
    Column("source", String(SOURCE_MAX), nullable=True),
    Column("source_id", String(SOURCE_ID_MAX), nullable=True),
    UniqueConstraint("user_id", "number"),
    CheckConstraint("number >= 1", name="number_positive"),
    CheckConstraint(
        f"title IS NULL OR ({not_blank_and_at_most('title', CONVERSATION_TITLE_MAX)})",
        name="title_length",
    ),
    CheckConstraint("updated_at >= created_at", name="updated_after_created"),
    # `todo chat-log`: newest activity first.
    Index(None, "user_id", "updated_at"),
    Index(
        "uq_conversations_user_id_source_source_id",
        "user_id",
        "source",
        "source_id",
        unique=True,
    ),
    # Titles by words: see pg_search_ddl (SQLite: an FTS5 table).
)

_roles = ", ".join(f"'{role}'" for role in MESSAGE_ROLES)

messages = Table(
    "messages",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "conversation_id",
        Uuid,
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Order within the conversation; timestamps can tie in a bulk import.
    Column("seq", Integer, nullable=False),
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The message's id in the export it was imported from.
    Column("source_id", String(SOURCE_ID_MAX), nullable=True),
    # Leads with conversation_id, so it also serves the foreign key.
    UniqueConstraint("conversation_id", "seq"),
    CheckConstraint("seq >= 1", name="seq_positive"),
    CheckConstraint(f"role IN ({_roles})", name="role"),
    CheckConstraint(not_blank_and_at_most("content", MESSAGE_CONTENT_MAX), name="content_length"),
    Index("uq_messages_conversation_id_source_id", "conversation_id", "source_id", unique=True),
    # Full text of every message: see pg_search_ddl (SQLite: FTS5).
)


# --- the journal -------------------------------------------------------------------

operations = Table(
    "operations",
    metadata,
    # A stable id: the unit a later sync between two databases replays.
    Column("id", Uuid, primary_key=True),
    # Null for a write made outside todo (no user to give it to).
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    # Per user, counting up: `todo history` shows it.
    Column("number", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # The command line as typed, secrets masked.
    Column("command", Text, nullable=False),
    # PostgreSQL: the transaction that wrote it, which is how the triggers
    # find it. SQLite: `open` while its command is being written.
    Column("txid", BigInteger, nullable=True),
    Column("open", Boolean, nullable=False, server_default=false()),
    # An undo and the operation it reverted point at each other.
    Column("undoes", Uuid, ForeignKey("operations.id", ondelete="SET NULL"), nullable=True),
    Column("undone_by", Uuid, ForeignKey("operations.id", ondelete="SET NULL"), nullable=True),
    UniqueConstraint("user_id", "number"),
    Index(None, "txid"),
    Index(
        "ix_operations_open",
        "open",
        info={WHERE: "open"},
    ),
    Index(None, "created_at"),
)

journal = Table(
    "journal",
    metadata,
    # Order of the changes (within an operation and across them).
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    # Of an operation, but no foreign key: a trigger on operations deletes an
    # operation's rows with it (journal_ddl.JOURNAL_CASCADE says why).
    Column("operation_id", Uuid, nullable=False),
    # Machine text, compared byte by byte on PostgreSQL too (collation "C",
    # migration 0013): the index on (table_name, row_key) takes every journal
    # row, and under a language's collation each comparison of its descent is
    # a strcoll() call. It also lets `LIKE 'prefix%'` use that index.
    Column(
        "table_name",
        String(40).with_variant(String(40, collation="C"), "postgresql"),
        nullable=False,
    ),
    Column("action", String(6), nullable=False),
    # The row's key as a JSON array (["<uuid>"], or ["<task>", "<tag>"]).
    Column("row_key", Text().with_variant(Text(collation="C"), "postgresql"), nullable=False),
    # The row before and after, as JSON objects of its columns.
    Column("before", RowImage(), nullable=True),
    Column("after", RowImage(), nullable=True),
    CheckConstraint("action IN ('insert', 'update', 'delete')", name="action"),
    Index(None, "operation_id", "id"),
    # "Which later operation touched this row?" when an undo would overwrite.
    Index(None, "table_name", "row_key"),
)


def _create_triggers(target: MetaData, connection: Connection, **_: Any) -> None:
    """The database-side rules create_all must make too: journal and immutable messages."""
    from todo_cli.db import journal_ddl

    dialect = connection.dialect.name
    statements: list[str] = []
    if dialect == "postgresql":
        statements += [*journal_ddl.PG_FUNCTIONS, MESSAGES_IMMUTABLE_PG_FUNCTION]
        for name, key in journal_ddl.JOURNALED.items():
            statements += journal_ddl.pg_triggers(name, key)
        statements.append(MESSAGES_IMMUTABLE_PG_TRIGGER)
        statements += journal_ddl.PG_USERS_TRIGGERS
        statements += journal_ddl.PG_OPERATIONS_TRIGGERS
        statements += pg_search_ddl()
    else:
        for name, key in journal_ddl.JOURNALED.items():
            columns = [column.name for column in target.tables[name].columns]
            statements += journal_ddl.sqlite_triggers(
                name, columns, key, update_of=name in SQLITE_DERIVED
            )
        statements.append(MESSAGES_IMMUTABLE_SQLITE_TRIGGER)
        statements += journal_ddl.SQLITE_OPERATIONS_TRIGGERS
        statements += sqlite_search_ddl()
        statements += sqlite_tag_count_ddl()
        statements += sqlite_dependency_links_ddl()
    for statement in statements:
        _execute_ddl(connection, statement)


def _execute_ddl(connection: Connection, statement: str) -> None:
    """One DDL statement as written, on the connection's transaction.

    Not exec_driver_sql: it hands psycopg a parameter list (an empty one),
    and psycopg then reads the trigger functions' own % (format()'s %L,
    RAISE's %) as placeholders. Without parameters, the text goes as it is.
    """
    cursor = connection.connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _create_search_config(target: Table, connection: Connection, **_: Any) -> None:
    """PostgreSQL: the text search configuration the search indexes are built with."""
    if connection.dialect.name == "postgresql":
        for statement in pg_search_config_ddl(connection):
            _execute_ddl(connection, statement)


def pg_search_config_ddl(connection: Connection) -> list[str]:
    """The `todo_search` configuration: English stems, accents ignored where possible."""
    available = connection.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'"
    ).first()
    mapping = "unaccent, english_stem" if available else "english_stem"
    return [
        *(["CREATE EXTENSION IF NOT EXISTS unaccent"] if available else []),
        f"CREATE TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} (COPY = pg_catalog.english)",
        f"ALTER TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} "
        f"ALTER MAPPING FOR hword, hword_part, word WITH {mapping}",
    ]


# PostgreSQL's stored search vectors (revision 0009): a generated column per
# searchable table, derived by PostgreSQL from the text, GIN-indexed. Not in
# the metadata (SQLite has no such column: its FTS5 tables hold the index), so
# no query of todo's reads or writes it but the search; the journal leaves it
# out of its row images.
SEARCH_VECTOR = "search_vector"
PG_SEARCH_VECTORS: dict[str, str] = {
    "messages": f"to_tsvector('{SEARCH_CONFIG}'::regconfig, content)",
    "conversations": f"to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce(title, ''))",
}


def pg_search_ddl() -> list[str]:
    """PostgreSQL: the search vector columns and their GIN indexes."""
    statements = []
    for table, vector in PG_SEARCH_VECTORS.items():
        statements += [
            f"ALTER TABLE {table} ADD COLUMN {SEARCH_VECTOR} tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED",
            f"CREATE INDEX ix_{table}_search ON {table} USING gin ({SEARCH_VECTOR})",
        ]
    return statements


def sqlite_search_ddl() -> list[str]:
    """SQLite: FTS5 indexes of message content and conversation titles, kept by triggers."""
    return [
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
    ]


# SQLite's stored tag count (revision 0011): each task's number of tags, kept
# by triggers on task_tags, so that sorting 100,000 tasks by urgency reads it
# from the row instead of looking up each task's tags (0.17 s of a 0.25 s
# list; SQLite runs that lookup once a task). Derived, like the search
# vectors: not in the metadata (no query of todo's writes it), left out of the
# journal's row images, and a downgrade drops it without asking. PostgreSQL
# counts the tags in the query (its bulk writes would pay an UPDATE of every
# task they add).
TAG_COUNT = "tag_count"
# SQLite's stored count of dependency links (revision 0012): how many
# dependencies name the task, at either end, kept by triggers on
# task_dependencies. Ranking 100,000 tasks asks of each whether it blocks or is
# blocked, two lookups a task; a task with no link at all, most of them, is
# ranked without them. Derived in the same way as the tag count.
DEPENDENCY_LINKS = "dependency_links"
SQLITE_DERIVED: dict[str, tuple[str, ...]] = {"tasks": (TAG_COUNT, DEPENDENCY_LINKS)}
# Columns a downgrade drops without asking, though not derived by the database:
# users.granted (revision 0014) goes back to what it stood for before, a users row
# named like a member role, and the upgrade makes it again from the roles.
# users.role_oid (revision 0017) likewise: the upgrade binds each granted row again.
REMADE_BY_UPGRADE: dict[str, tuple[str, ...]] = {"users": ("granted", "role_oid")}


def sqlite_tag_count_ddl() -> list[str]:
    """SQLite: the tag count column, the triggers that keep it, and its first values."""
    more = f"UPDATE tasks SET {TAG_COUNT} = {TAG_COUNT} + 1 WHERE id = NEW.task_id;"
    less = f"UPDATE tasks SET {TAG_COUNT} = {TAG_COUNT} - 1 WHERE id = OLD.task_id;"
    return [
        f"ALTER TABLE tasks ADD COLUMN {TAG_COUNT} INTEGER NOT NULL DEFAULT 0",
        f"CREATE TRIGGER trg_task_tags_count_insert AFTER INSERT ON task_tags BEGIN {more} END",
        f"CREATE TRIGGER trg_task_tags_count_delete AFTER DELETE ON task_tags BEGIN {less} END",
        "CREATE TRIGGER trg_task_tags_count_update AFTER UPDATE OF task_id ON task_tags "
        f"BEGIN {less} {more} END",
        f"UPDATE tasks SET {TAG_COUNT} = "
        "(SELECT count(*) FROM task_tags WHERE task_tags.task_id = tasks.id)",
    ]


def sqlite_tag_count_bulk() -> tuple[str, str]:
    """The tag count's insert trigger, and one UPDATE doing its work for many rows at once.

    The UPDATE counts in every task_tags row past a rowid (its parameter ?1):
    a bulk insert that takes the trigger off for its own statement runs it
    after (repository.tasks._with_row_triggers_set_based).
    """
    return (
        "trg_task_tags_count_insert",
        f"UPDATE tasks SET {TAG_COUNT} = {TAG_COUNT} + (SELECT count(*) FROM task_tags AS t "
        "WHERE t.task_id = tasks.id AND t.rowid > ?1) "
        "WHERE id IN (SELECT task_id FROM task_tags WHERE rowid > ?1)",
    )


def sqlite_dependency_links_ddl() -> list[str]:
    """SQLite: the dependency link count, the triggers that keep it, and its first values."""
    links = DEPENDENCY_LINKS
    more = f"UPDATE tasks SET {links} = {links} + 1 WHERE id IN (NEW.task_id, NEW.depends_on_id);"
    less = f"UPDATE tasks SET {links} = {links} - 1 WHERE id IN (OLD.task_id, OLD.depends_on_id);"
    return [
        f"ALTER TABLE tasks ADD COLUMN {links} INTEGER NOT NULL DEFAULT 0",
        "CREATE TRIGGER trg_task_dependencies_links_insert AFTER INSERT ON task_dependencies "
        f"BEGIN {more} END",
        "CREATE TRIGGER trg_task_dependencies_links_delete AFTER DELETE ON task_dependencies "
        f"BEGIN {less} END",
        "CREATE TRIGGER trg_task_dependencies_links_update "
        "AFTER UPDATE OF task_id, depends_on_id ON task_dependencies "
        f"BEGIN {less} {more} END",
        f"UPDATE tasks SET {links} = (SELECT count(*) FROM task_dependencies d "
        "WHERE d.task_id = tasks.id OR d.depends_on_id = tasks.id)",
    ]


MESSAGES_IMMUTABLE_PG_FUNCTION = """
CREATE FUNCTION todo_refuse_message_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'messages are immutable: UPDATE of message % refused', OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$
"""
MESSAGES_IMMUTABLE_PG_TRIGGER = (
    "CREATE TRIGGER trg_messages_immutable BEFORE UPDATE ON messages "
    "FOR EACH ROW EXECUTE FUNCTION todo_refuse_message_update()"
)
MESSAGES_IMMUTABLE_SQLITE_TRIGGER = (
    "CREATE TRIGGER trg_messages_immutable BEFORE UPDATE ON messages "
    "BEGIN SELECT RAISE(ABORT, 'messages are immutable: UPDATE refused'); END"
)


@compiles(CreateIndex)
def _create_partial_index(create: CreateIndex, compiler: Any, **kw: Any) -> str:
    """CREATE INDEX, with the WHERE of a partial index (see WHERE) on either backend."""
    sql: str = compiler.visit_create_index(create, **kw)
    where = create.element.info.get(WHERE)
    return sql if where is None else f"{sql} WHERE {where}"


event.listen(metadata, "after_create", _create_triggers)
# Before the tables: their search indexes are built with this configuration.
event.listen(metadata, "before_create", _create_search_config)
