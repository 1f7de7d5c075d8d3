"""Conversations of one user, and their messages."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from todo_cli.db.schema import SEARCH_VECTOR, conversations, messages
from todo_cli.domain.chat import Conversation, ConversationCreate, Message, MessageCreate, Role
from todo_cli.domain.ids import new_id, reference_id
from todo_cli.domain.search import Query, Term
from todo_cli.repository.refs import Ref, resolve
from todo_cli.repository.users import take_numbers, user_id_of

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row
    from sqlalchemy.sql.elements import ColumnElement


NOUN = "conversation"


@dataclass(frozen=True)
class Hit:
    """A search result: a message (or, with no message, a conversation's title)."""

    conversation_id: UUID
    conversation_number: int
    conversation_title: str | None
    message_id: UUID | None
    role: Role | None
    created_at: datetime | None
    # The matching passage, matches between MATCH_START and MATCH_END marks.
    snippet: str


def _config() -> ColumnElement[Any]:
    """The search configuration, as the regconfig the full-text indexes were built with."""
    from sqlalchemy import literal_column

    from todo_cli.db.schema import SEARCH_CONFIG

    # A constant of ours, never user input: safe to write into the SQL.
    return literal_column(f"'{SEARCH_CONFIG}'::regconfig")


# PostgreSQL's English stop words (share/tsearch_data/english.stop), which the search
# configuration drops from the text and from a query alike. A term made of nothing else
# ("to be or not to be") is an empty tsquery, which matches no row; such a term is
# matched as those words in that order in the text instead.
_PG_STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for
    with about against between into through during before after above below to from up
    down in out on off over under again further then once here there when where why how
    all any both each few more most other some such no nor not only own same so than too
    very s t can will just don should now""".split()  # noqa: SIM905 (the file's own layout, 127 words)
)


def _stop_words_only(term: Term) -> bool:
    return all(word.lower() in _PG_STOP_WORDS for word in term.words)


def _term_tsquery(term: Term) -> ColumnElement[Any]:
    """One term as a tsquery (its words bound, never pasted)."""
    from sqlalchemy import func

    words = " ".join(term.words)
    built = (
        func.phraseto_tsquery(_config(), words)
        if term.phrase
        else func.plainto_tsquery(_config(), words)
    )
    if term.typed and term.typed != words:
        # "node.js" is one token (a host) to PostgreSQL's parser, in the text too: the
        # term as typed finds it, its words alone ('node' then 'js') would not.
        built = func.tsquery_or(built, func.phraseto_tsquery(_config(), term.typed))
    for variant in _sigma_variants(words):
        built = func.tsquery_or(built, func.phraseto_tsquery(_config(), variant))
    return built


_FINAL_SIGMA = re.compile(r"[\u03c3\u03a3](?!\w)")


def _sigma_variants(text: str) -> list[str]:
    """`text` with a word's last sigma written the other way. PostgreSQL's lower() keeps
    a final sigma (U+03C2) and makes a capital one the other small sigma (U+03C3): a
    word stored "ΛΟΓΟΣ" is lexeme 'λογοσ', typed "λογος" it is 'λογος', and neither
    found the other. Both forms are looked for. (SQLite's index folds them alike.)"""
    if not any(letter in text for letter in "\u03c2\u03c3\u03a3"):
        return []
    variants = {_FINAL_SIGMA.sub("\u03c2", text), text.replace("\u03c2", "\u03c3")}
    return sorted(variants - {text})


def _partly_stop_words(term: Term) -> bool:
    """A phrase with a stop word among other words ("about passports"): its tsquery has
    the stop word dropped ('passport'), so the text must show the phrase as well."""
    return (
        term.phrase
        and not _stop_words_only(term)
        and any(word.lower() in _PG_STOP_WORDS for word in term.words)
    )


def _phrase_in_text(term: Term) -> str:
    """A PostgreSQL regular expression for a phrase with stop words: each stop word
    whole, each other word by its first three letters, with or without their accents
    (the tsquery, matched as well, checks the rest by stem and without accents:
    "passport" finds "passports", "zurich" finds "Zürich"), in order, side by side."""
    parts = [
        rf"\m{word}\M"
        if word.lower() in _PG_STOP_WORDS
        else rf"\m{_accent_blind(_bare(word)[:3])}\w*"
        for word in term.words
    ]
    return "[^[:alnum:]]+".join(parts)


@functools.cache
def _accented() -> dict[str, str]:
    """Each ASCII letter -> the Latin letters that are it with accents, both cases
    ("u" -> "ùúûüũūŭůűųÙÚ..."): those whose canonical decomposition starts with it, as
    the search configuration's unaccent (and SQLite's index) take them as that letter."""
    import unicodedata

    found: dict[str, list[str]] = {}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        letter = chr(code)
        base = unicodedata.normalize("NFD", letter)[0]
        if base != letter and base.isascii() and base.isalpha():
            found.setdefault(base.lower(), []).append(letter)
    return {base: "".join(letters) for base, letters in found.items()}


def _bare(word: str) -> str:
    """`word` without its combining marks: "Zu\u0308rich" (as macOS writes it) is "Zurich"."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


# Combining diacritical marks: an accent the text writes apart from its letter (NFD).
_MARKS = "[\u0300-\u036f]*"


def _accent_blind(word: str) -> str:
    """A PostgreSQL pattern for `word` (a \\w+ run: no operator in it) with or without
    accents on its Latin letters, in either case, an accent written with its letter
    (NFC) or apart from it (NFD), in the text or in the word. The text is matched as
    stored: a phrase's words were found without their accents by the index, and the
    text check of the same phrase then missed "flew to Zürich" for "flew to zurich"."""
    parts = []
    for letter in _bare(word):
        base = letter.lower()
        if base.isascii() and base.isalpha():
            parts.append(f"[{base}{base.upper()}{_accented().get(base, '')}]{_MARKS}")
        else:
            parts.append(letter + _MARKS)
    return "".join(parts)


def _by_text(term: Term) -> bool:
    """Whether PostgreSQL finds the term in the text rather than through its index: a
    term of stop words only (the index has none of them), or one with a word of an
    unspaced script (the index holds the whole run it sits in)."""
    return term.unspaced or _stop_words_only(term)


def _text_patterns(query: Query) -> list[str]:
    """Python patterns of the terms a search looks for (not those it leaves out)."""
    from todo_cli.domain.search import text_pattern

    return [text_pattern(term) for group in query.groups for term in group if not term.negated]


def _balanced(
    items: list[ColumnElement[Any]], combine: Callable[..., ColumnElement[Any]]
) -> ColumnElement[Any]:
    """``combine`` of all the items, as a balanced tree of pairs.

    A chain (((a & b) & c) & ...) is as deep as the query is long, and compiling
    it recursed past Python's limit at about 85 words pasted as a query; a
    balanced tree is log2 of that deep.
    """
    while len(items) > 1:
        paired = [combine(a, b) for a, b in zip(items[::2], items[1::2], strict=False)]
        items = paired + items[len(paired) * 2 :]
    return items[0]


def _pg_match(
    query: Query, vector: ColumnElement[Any], text: ColumnElement[Any]
) -> tuple[ColumnElement[Any], ColumnElement[Any] | None, ColumnElement[Any] | None]:
    """The condition a row's stored vector (and text) must meet, the tsquery to rank by,
    and the one to mark a snippet's matches by.

    Groups of ordinary terms make one tsquery, matched through the GIN index. A group
    holding a term found by its text (`_by_text`) is a condition of its own, that term
    matched in the text; the rank then comes from the other groups (None when there are
    none). The marks come from the terms looked for alone: ts_headline marks every word
    of its tsquery, the words left out (`-"green grape"`) too.
    """
    from sqlalchemy import and_, bindparam, func, not_, or_

    from todo_cli.domain.search import text_pattern

    def in_text(pattern: str) -> ColumnElement[Any]:
        return text.op("~*", is_comparison=True)(bindparam(None, pattern))

    parts: list[ColumnElement[Any]] = []
    wanted: list[ColumnElement[Any]] = []
    conditions: list[ColumnElement[Any]] = []
    for group in query.groups:
        exact = [term for term in group if _partly_stop_words(term)]
        if any(_by_text(term) for term in group) or (
            exact and (len(group) > 1 or group[0].negated)
        ):
            alternatives = []
            for term in group:
                if _by_text(term):
                    found = in_text(text_pattern(term, postgres=True))
                else:
                    found = vector.op("@@", is_comparison=True)(_term_tsquery(term))
                    if _partly_stop_words(term):
                        found = and_(found, in_text(_phrase_in_text(term)))
                alternatives.append(not_(found) if term.negated else found)
            conditions.append(or_(*alternatives))
            continue
        if exact:
            # One phrase to find: ranked through the index as any term, and
            # shown by the text to have its stop words where they belong.
            conditions.append(in_text(_phrase_in_text(exact[0])))
        built = [
            func.tsquery_not(_term_tsquery(term)) if term.negated else _term_tsquery(term)
            for term in group
        ]
        parts.append(_balanced(built, func.tsquery_or))
        looked_for = [_term_tsquery(term) for term in group if not term.negated]
        if looked_for:
            wanted.append(_balanced(looked_for, func.tsquery_or))
    for group in query.groups:
        (term, *others) = group
        if term.negated and term.phrase and not others and not _by_text(term):
            # A phrase left out is left out of a long message too, where its words lie
            # past the positions the vector keeps (every one at 16,383: no phrase).
            conditions.append(
                not_(
                    and_(
                        func.octet_length(text) > _POSITIONS_END_AFTER,
                        in_text(text_pattern(term, postgres=True, spell=_accent_blind)),
                    )
                )
            )
    ranked = _balanced(parts, func.tsquery_and) if parts else None
    if ranked is not None:
        found_by_index = vector.op("@@", is_comparison=True)(ranked)
        far = _past_the_positions(query, vector, text, in_text)
        conditions.insert(0, found_by_index if far is None else or_(found_by_index, far))
    marked = _balanced(wanted, func.tsquery_and) if wanted else None
    return and_(*conditions), ranked, marked


# A stored vector keeps a word's positions up to 16,383: a phrase further into a long
# message is not found by it (its words are). No text of fewer characters (so of fewer
# bytes) than this has words past that position. Its size in bytes is what is asked:
# PostgreSQL knows it without reading a long text back from its TOAST table.
_POSITIONS_END_AFTER = 32_000


def _past_the_positions(
    query: Query,
    vector: ColumnElement[Any],
    text: ColumnElement[Any],
    in_text: Callable[[str], ColumnElement[Any]],
) -> ColumnElement[Any] | None:
    """The condition a long message meets when its phrase lies past the positions its
    vector keeps: every word of the query in the vector (through the index, as any
    search), each phrase found in the text itself. None for a query without a phrase."""
    from sqlalchemy import and_, func, not_, or_

    from todo_cli.domain.search import text_pattern

    groups = [group for group in query.groups if not any(_by_text(term) for term in group)]
    if not any(term.phrase and not term.negated for group in groups for term in group):
        return None
    words: list[ColumnElement[Any]] = []
    checks: list[ColumnElement[Any]] = []
    for group in groups:
        alternatives = []
        loose: list[ColumnElement[Any]] = []
        for term in group:
            if term.phrase and not term.negated:
                found = in_text(text_pattern(term, postgres=True, spell=_accent_blind))
                loose.append(func.plainto_tsquery(_config(), " ".join(term.words)))
            else:
                found = vector.op("@@", is_comparison=True)(_term_tsquery(term))
                loose.append(
                    func.tsquery_not(_term_tsquery(term)) if term.negated else _term_tsquery(term)
                )
            alternatives.append(not_(found) if term.negated else found)
        words.append(_balanced(loose, func.tsquery_or))
        checks.append(or_(*alternatives))
    return and_(
        vector.op("@@", is_comparison=True)(_balanced(words, func.tsquery_and)),
        func.octet_length(text) > _POSITIONS_END_AFTER,
        *checks,
    )


def _sqlite_split(query: Query) -> tuple[Query | None, list[tuple[Term, ...]]]:
    """The groups FTS5's MATCH answers, and those that become conditions of their own.

    A group holding a term of an unspaced script is a condition (that term found in the
    text). When no group to find is left for MATCH, every group is a condition: MATCH
    cannot stand on words to leave out alone.
    """
    by_text = [group for group in query.groups if any(term.unspaced for term in group)]
    rest = [group for group in query.groups if not any(term.unspaced for term in group)]
    if not any(not group[0].negated for group in rest):
        return None, list(query.groups)
    return Query(tuple(rest)), by_text


def _sqlite_conditions(
    groups: list[tuple[Term, ...]], column: str, rowid: str, fts: str, params: dict[str, Any]
) -> str:
    """SQL (each value bound) that `groups` hold for a row: " AND ..." or ""."""
    from todo_cli.domain.search import fts5_match, text_pattern

    clauses = []
    for group in groups:
        alternatives = []
        for term in group:
            key = f"t{len(params)}"
            if term.unspaced:
                params[key] = text_pattern(term)
                found = f"todo_find({column}, :{key})"
            else:
                params[key] = fts5_match(Query(((Term(term.words, typed=term.typed),),)))
                found = f"{rowid} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH :{key})"
            alternatives.append(f"NOT {found}" if term.negated else found)
        clauses.append("(" + " OR ".join(alternatives) + ")")
    return "".join(f" AND {clause}" for clause in clauses)


def _now() -> datetime:
    return datetime.now(UTC)


def _title_hit(row: Any, patterns: list[str] | None) -> Hit:
    """A conversation found by its title; its snippet marked by `patterns` when given
    (terms found in the text, which the database's own snippet does not mark)."""
    from todo_cli.domain.search import text_snippet

    snippet = row.snip if patterns is None else text_snippet(row.title or "", patterns)
    return Hit(row.id, row.number, row.title, None, None, None, snippet)


def _cut_marked(text: str, snippet: str) -> str:
    """ts_headline's passage of `text` with "…" where it is cut, as SQLite's snippet and
    text_snippet have (ts_headline adds none)."""
    from todo_cli.domain.search import snippet_parts

    plain, _ = snippet_parts(snippet)
    at = text.find(plain) if plain else -1
    if at < 0:
        return snippet  # not a passage of the text as it stands: left as it is
    return ("…" if at > 0 else "") + snippet + ("…" if at + len(plain) < len(text) else "")


def _message_hit(row: Row[Any]) -> Hit:
    return Hit(
        row.conversation_id,
        row.number,
        row.title,
        row.id,
        Role(row.role),
        row.created_at,
        row.snip,
    )


def _message_count() -> ColumnElement[int]:
    from sqlalchemy import func, select

    return (
        select(func.count())
        .where(messages.c.conversation_id == conversations.c.id)
        .scalar_subquery()
    )


def _conversation(row: Row[Any], message_count: int) -> Conversation:
    # Rows come from our own CHECKed tables: no need to validate them again.
    return Conversation(
        id=row.id,
        number=row.number,
        title=row.title,
        message_count=message_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _message(row: Row[Any]) -> Message:
    return Message(id=row.id, role=Role(row.role), content=row.content, created_at=row.created_at)


class ConversationRepository:
    """The current user's conversations, over the caller's connection and transaction."""

    def __init__(self, conn: Connection, user: str) -> None:
        self.conn = conn
        self.user = user
        self._owner = conversations.c.user_id == user_id_of(user)

    # --- writes -----------------------------------------------------------

    def create(self, new: ConversationCreate) -> Conversation:
        return self.import_(new, [])

    def import_(
        self,
        new: ConversationCreate,
        items: Sequence[MessageCreate],
        *,
        conversation_id: UUID | None = None,
        created_at: datetime | None = None,
    ) -> Conversation:
        """A new conversation holding `items` in order, written in one go.

        A transcript is a record: each message keeps its own time and id when
        it has them (an id already taken in this database, e.g. by the
        conversation this one was exported from, is replaced by a new one).
        Messages without a time take the moment of the import; ``seq`` keeps
        the order either way.
        """
        now = _now()
        times = [item.created_at or now for item in items]
        started = min([created_at or now, *times])
        updated = max([started, *times])
        wanted = [conversation_id] if conversation_id else []
        wanted_messages = [item.id for item in items if item.id is not None]
        taken = self._taken(wanted, wanted_messages)
        user_id, number = take_numbers(self.conn, self.user, "conversation_counter", 1, now)
        if conversation_id is None or conversation_id in taken:
            conversation_id = reference_id()
        self.conn.execute(
            conversations.insert().values(
                id=conversation_id,
                user_id=user_id,
                number=number,
                title=new.title,
                created_at=started,
                updated_at=updated,
            )
        )
        if items:
            # One executemany: SQLAlchemy batches it into multi-row INSERTs.
            self.conn.execute(
                messages.insert(),
                [
                    {
                        "id": item.id if item.id is not None and item.id not in taken else new_id(),
                        "conversation_id": conversation_id,
                        "seq": seq,
                        "role": item.role,
                        "content": item.content,
                        "created_at": when,
                    }
                    for seq, (item, when) in enumerate(zip(items, times, strict=True), 1)
                ],
            )
        return Conversation(
            id=conversation_id,
            number=number,
            title=new.title,
            message_count=len(items),
            created_at=started,
            updated_at=updated,
        )

    def _taken(self, conversation_ids: list[UUID], message_ids: list[UUID]) -> set[UUID]:
        """Which of these ids already name a row in this database (anyone's)."""
        from sqlalchemy import select, union_all

        from todo_cli.db.transaction import isolated

        if not conversation_ids and not message_ids:
            return set()
        if isolated(self.conn):
            # Another member's rows are invisible here; the database's own
            # function answers for every row (ids only).
            from sqlalchemy import text

            found = self.conn.execute(
                text("SELECT public.todo_chat_ids_taken(CAST(:ids AS uuid[]))"),
                {"ids": [*conversation_ids, *message_ids]},
            )
            return {UUID(str(row[0])) for row in found}
        queries = []
        if conversation_ids:
            queries.append(
                select(conversations.c.id).where(conversations.c.id.in_(conversation_ids))
            )
        if message_ids:
            queries.append(select(messages.c.id).where(messages.c.id.in_(message_ids)))
        return {row[0] for row in self.conn.execute(union_all(*queries))}

    def append(self, ref: Ref, new: MessageCreate) -> tuple[Conversation, Message]:
        """Add a message at the end of a conversation and move its updated_at."""
        from sqlalchemy import case, func, literal, select, update

        (found,) = self._resolve(ref)
        now = _now()
        # The UPDATE comes first: on PostgreSQL its row lock makes concurrent
        # appends to one conversation take turns, so each sees the other's
        # seq. (SQLite's BEGIN IMMEDIATE already serialises writers.) Another
        # machine's clock may run behind; updated_at still never goes back.
        stamp = literal(now, conversations.c.updated_at.type)
        row = self.conn.execute(
            update(conversations)
            .where(conversations.c.id == found.id)
            .values(
                updated_at=case(
                    (conversations.c.updated_at > stamp, conversations.c.updated_at),
                    else_=stamp,
                )
            )
            .returning(*conversations.c)
        ).one()
        message_id = new_id()
        next_seq = (
            select(func.coalesce(func.max(messages.c.seq), 0) + 1)
            .where(messages.c.conversation_id == found.id)
            .scalar_subquery()
        )
        self.conn.execute(
            messages.insert().values(
                id=message_id,
                conversation_id=found.id,
                seq=next_seq,
                role=new.role,
                content=new.content,
                created_at=now,
            )
        )
        message = Message(id=message_id, role=new.role, content=new.content, created_at=now)
        return _conversation(row, self._count(found.id)), message

    def delete(self, ref: Ref) -> Conversation:
        """Delete a conversation; the database's ON DELETE CASCADE takes its messages."""
        from sqlalchemy import delete

        conversation = self.get(ref)
        self.conn.execute(delete(conversations).where(conversations.c.id == conversation.id))
        return conversation

    # --- reads ------------------------------------------------------------

    def get(self, ref: Ref) -> Conversation:
        (row,) = self._resolve(ref)
        return _conversation(row, self._count(row.id))

    def get_with_messages(self, ref: Ref) -> tuple[Conversation, list[Message]]:
        (row,) = self._resolve(ref)
        found = self.messages(row.id)
        return _conversation(row, len(found)), found

    def messages(self, conversation_id: UUID) -> list[Message]:
        """The messages of one of the user's conversations, oldest first."""
        from sqlalchemy import select

        owned = select(conversations.c.id).where(self._owner, conversations.c.id == conversation_id)
        stmt = (
            select(messages).where(messages.c.conversation_id.in_(owned)).order_by(messages.c.seq)
        )
        return [_message(row) for row in self.conn.execute(stmt)]

    def find(self, *, limit: int | None = None, title: str | None = None) -> list[Conversation]:
        """The user's conversations, most recent activity first; `title`: whose title has it."""
        from sqlalchemy import select

        stmt = (
            select(conversations, _message_count().label("message_count"))
            .where(self._owner)
            .order_by(conversations.c.updated_at.desc(), conversations.c.number.desc())
        )
        if title:
            from todo_cli.db.transaction import folded, lowered

            in_title = lowered(self.conn, conversations.c.title)
            stmt = stmt.where(in_title.contains(folded(title), autoescape=True))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_conversation(row, row.message_count) for row in self.conn.execute(stmt)]

    def rename(self, ref: Ref, title: str | None) -> Conversation:
        from sqlalchemy import update

        (row,) = self._resolve(ref)
        if row.title != title:
            # The title it has already is no change: nothing to journal, nor undo.
            self.conn.execute(
                update(conversations).where(conversations.c.id == row.id).values(title=title)
            )
        found = _conversation(row, self._count(row.id))
        return Conversation(
            id=found.id,
            number=found.number,
            title=title,
            message_count=found.message_count,
            created_at=found.created_at,
            updated_at=found.updated_at,
        )

    # --- search ---------------------------------------------------------------

    def search(self, query: Query, *, limit: int) -> list[Hit]:
        """Messages (and conversation titles) that match, best first, with a snippet."""
        from todo_cli.domain.search import short_words

        if self.conn.dialect.name == "sqlite":
            found = self._search_sqlite(query, limit)
        else:
            found = self._search_postgres(query, limit)
        # Without the white space around it: a message piped in (`echo ... | append -`)
        # ends in a newline, which a snippet of its end showed as "\n".
        return [
            replace(hit, snippet=short_words(hit.snippet).strip()) if hit.snippet else hit
            for hit in found
        ]

    def _search_sqlite(self, query: Query, limit: int) -> list[Hit]:
        from sqlalchemy import text

        from todo_cli.domain.search import MATCH_END, MATCH_START, fts5_match, text_snippet

        indexed, by_text = _sqlite_split(query)
        owner = "(SELECT id FROM users WHERE name = :user)"
        params: dict[str, Any] = {
            "user": self.user,
            "limit": limit,
            "start": MATCH_START,
            "end": MATCH_END,
        }
        title_where = _sqlite_conditions(by_text, "c.title", "c.rowid", "conversations_fts", params)
        body_where = _sqlite_conditions(by_text, "m.content", "m.rowid", "messages_fts", params)
        if indexed is not None:
            params["match"] = fts5_match(indexed)
            titles = text(
                "SELECT c.id, c.number, c.title, snippet(conversations_fts, 0, :start, :end, "
                "'…', 16) AS snip FROM conversations_fts "
                "JOIN conversations AS c ON c.rowid = conversations_fts.rowid "
                f"WHERE conversations_fts MATCH :match AND c.user_id = {owner}{title_where} "
                "ORDER BY bm25(conversations_fts), c.number LIMIT :limit"
            )
            bodies = text(
                "SELECT c.id AS conversation_id, c.number, c.title, m.id, m.role, m.created_at, "
                "m.content, snippet(messages_fts, 0, :start, :end, '…', 16) AS snip "
                "FROM messages_fts JOIN messages AS m ON m.rowid = messages_fts.rowid "
                "JOIN conversations AS c ON c.id = m.conversation_id "
                f"WHERE messages_fts MATCH :match AND c.user_id = {owner}{body_where} "
                "ORDER BY bm25(messages_fts), c.number, m.seq LIMIT :limit"
            )
        else:
            # No term the index can answer alone: the texts are read, in order.
            titles = text(
                "SELECT c.id, c.number, c.title, c.title AS snip FROM conversations AS c "
                f"WHERE c.user_id = {owner}{title_where} ORDER BY c.number LIMIT :limit"
            )
            bodies = text(
                "SELECT c.id AS conversation_id, c.number, c.title, m.id, m.role, m.created_at, "
                "m.content, m.content AS snip FROM messages AS m "
                "JOIN conversations AS c ON c.id = m.conversation_id "
                f"WHERE c.user_id = {owner}{body_where} "
                "ORDER BY c.number, m.seq LIMIT :limit"
            )
        # The index marks only its own words: with a term found by its text, we mark.
        patterns = _text_patterns(query) if by_text else None
        found = [
            _title_hit(row, patterns)
            for row in self.conn.execute(titles.columns(id=conversations.c.id.type), params)
        ]
        typed = bodies.columns(
            created_at=messages.c.created_at.type,
            id=messages.c.id.type,
            conversation_id=conversations.c.id.type,
        )
        for row in self.conn.execute(typed, params):
            hit = _message_hit(row)
            if patterns is not None:
                hit = replace(hit, snippet=text_snippet(row.content, patterns))
            found.append(hit)
        return found[:limit]

    def _search_postgres(self, query: Query, limit: int) -> list[Hit]:
        from sqlalchemy import func, literal_column, select
        from sqlalchemy.dialects.postgresql import TSVECTOR

        from todo_cli.domain.search import MATCH_END, MATCH_START, text_snippet

        options = f"StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=30, MinWords=12"
        # The vectors PostgreSQL stores (revision 0009): ranking reads them
        # instead of parsing every matching text again.
        title_vector = literal_column(f"conversations.{SEARCH_VECTOR}", TSVECTOR)
        title_match, ranked, marked = _pg_match(query, title_vector, conversations.c.title)
        # Without a term the index knows (stop words only) every match ranks alike, and
        # a snippet is the text's start.
        nothing = func.plainto_tsquery(_config(), "")
        tsquery = ranked if ranked is not None else nothing
        shown = marked if marked is not None else nothing
        titles = (
            select(
                conversations.c.id,
                conversations.c.number,
                conversations.c.title,
                func.ts_headline(
                    _config(),
                    conversations.c.title,
                    shown,
                    options,
                ).label("snip"),
            )
            .where(self._owner, title_match)
            .order_by(func.ts_rank_cd(title_vector, tsquery).desc(), conversations.c.number)
            .limit(limit)
        )
        # A term found by its text is one ts_headline does not mark: we mark, as on SQLite.
        # So is a phrase with a stop word, which ts_headline would mark word by word,
        # the stop word left out ("visa for you" as [visa] for you).
        by_text = any(
            _by_text(term) or (_partly_stop_words(term) and not term.negated)
            for group in query.groups
            for term in group
        )
        patterns = _text_patterns(query) if by_text or ranked is None else None
        found = [_title_hit(row, patterns) for row in self.conn.execute(titles)]
        vector = literal_column(f"messages.{SEARCH_VECTOR}", TSVECTOR)
        message_match, _, _ = _pg_match(query, vector, messages.c.content)
        best = (
            select(
                messages.c.id,
                messages.c.role,
                messages.c.created_at,
                messages.c.content,
                messages.c.seq,
                conversations.c.id.label("conversation_id"),
                conversations.c.number,
                conversations.c.title,
                func.ts_rank_cd(vector, tsquery).label("rank"),
            )
            .join(conversations, conversations.c.id == messages.c.conversation_id)
            .where(self._owner, message_match)
            .order_by(
                func.ts_rank_cd(vector, tsquery).desc(), conversations.c.number, messages.c.seq
            )
            .limit(limit)
            .subquery()
        )
        # The snippet only for the rows kept: ts_headline reads the whole text.
        with_snippets = select(
            best,
            func.ts_headline(_config(), best.c.content, shown, options).label("snip"),
        ).order_by(best.c.rank.desc(), best.c.number, best.c.seq)
        for row in self.conn.execute(with_snippets):
            hit = _message_hit(row)
            if patterns is None and MATCH_START not in (hit.snippet or ""):
                # Found past the positions the vector keeps (_past_the_positions): the
                # headline, reading them too, marks nothing there. The text does.
                hit = replace(hit, snippet=text_snippet(row.content, _text_patterns(query)))
            elif patterns is not None:
                hit = replace(hit, snippet=text_snippet(row.content, patterns))
            else:
                hit = replace(hit, snippet=_cut_marked(row.content, hit.snippet))
            found.append(hit)
        return found[:limit]

    # --- imports by the source's ids --------------------------------------------

    def by_source(
        self, source: str, source_id: str
    ) -> tuple[Conversation, dict[str, str], int] | None:
        """The user's conversation imported from (source, id): it, its messages' ids
        (each with its content, to tell one the export changed since), last seq."""
        from sqlalchemy import func, select

        row = self.conn.execute(
            select(conversations).where(
                self._owner,
                conversations.c.source == source,
                conversations.c.source_id == source_id,
            )
        ).first()
        if row is None:
            return None
        ids = {
            r[0]: r[1]
            for r in self.conn.execute(
                select(messages.c.source_id, messages.c.content).where(
                    messages.c.conversation_id == row.id, messages.c.source_id.is_not(None)
                )
            )
        }
        last = self.conn.execute(
            select(func.coalesce(func.max(messages.c.seq), 0)).where(
                messages.c.conversation_id == row.id
            )
        ).scalar_one()
        return _conversation(row, 0), ids, int(last)

    def add_imported(
        self,
        *,
        source: str,
        source_id: str,
        title: str | None,
        created_at: datetime,
        items: Sequence[MessageCreate],
        source_ids: Sequence[str],
    ) -> Conversation:
        """A new conversation from an export, each message with its own time and source id."""
        now = _now()
        times = [item.created_at or created_at for item in items]
        updated = max([created_at, *times])
        user_id, number = take_numbers(self.conn, self.user, "conversation_counter", 1, now)
        conversation_id = reference_id()
        self.conn.execute(
            conversations.insert().values(
                id=conversation_id,
                user_id=user_id,
                number=number,
                title=title,
                created_at=created_at,
                updated_at=updated,
                source=source,
                source_id=source_id,
            )
        )
        self._insert_messages(conversation_id, items, source_ids, times, first_seq=1)
        return Conversation(
            id=conversation_id,
            number=number,
            title=title,
            message_count=len(items),
            created_at=created_at,
            updated_at=updated,
        )

    def extend(
        self,
        conversation: Conversation,
        items: Sequence[MessageCreate],
        source_ids: Sequence[str],
        *,
        after_seq: int,
    ) -> None:
        """Messages added to an imported conversation since its last import, at its end."""
        from sqlalchemy import case, literal, update

        times = [item.created_at or _now() for item in items]
        self._insert_messages(conversation.id, items, source_ids, times, first_seq=after_seq + 1)
        latest = literal(max(times), conversations.c.updated_at.type)
        self.conn.execute(
            update(conversations)
            .where(conversations.c.id == conversation.id)
            .values(
                updated_at=case(
                    (conversations.c.updated_at > latest, conversations.c.updated_at),
                    else_=latest,
                )
            )
        )

    def _insert_messages(
        self,
        conversation_id: UUID,
        items: Sequence[MessageCreate],
        source_ids: Sequence[str | None],
        times: Sequence[datetime],
        *,
        first_seq: int,
    ) -> None:
        if not items:
            return
        self.conn.execute(
            messages.insert(),
            [
                {
                    "id": new_id(),
                    "conversation_id": conversation_id,
                    "seq": seq,
                    "role": item.role,
                    "content": item.content,
                    "created_at": when,
                    "source_id": source_id,
                }
                for seq, (item, when, source_id) in enumerate(
                    zip(items, times, source_ids, strict=True), first_seq
                )
            ],
        )

    def _count(self, conversation_id: UUID) -> int:
        from sqlalchemy import func, select

        stmt = select(func.count()).where(messages.c.conversation_id == conversation_id)
        return int(self.conn.execute(stmt).scalar_one())

    def _resolve(self, ref: Ref) -> list[Row[Any]]:
        return resolve(self.conn, conversations, list(conversations.c), self._owner, [ref], NOUN)
