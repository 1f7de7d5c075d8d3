"""`todo chat-log search`, the message limit, the index kept in step, list and rename.

Every test runs on SQLite (FTS5) and PostgreSQL (GIN indexes over the
todo_search configuration): the same words must find the same messages, ranked
the same way, on both.
"""

from __future__ import annotations

import json
import sqlite3
import time
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy.exc import DBAPIError

from tests.ci_gate import not_applicable
from tests.conftest import PostgresHandle, Todo, sql_rows
from tests.test_chat_formats import CHATGPT_EXPORT
from tests.test_process import _run_on_a_terminal

CONTENT_MAX = 100_000
OLD_CONTENT_MAX = 5_000
# `todo chat-log append` on PostgreSQL before revision 0007 added the search
# index (commit 3c390bb, measured with tests/pgharness.py's statement log):
# BEGIN, the revision check, the acting user, the conversation, its
# updated_at, the INSERT, the message count, COMMIT.
APPEND_STATEMENTS_BEFORE_THE_INDEX = 8


# --- helpers ----------------------------------------------------------------------


def new(todo: Todo, title: str | None = None) -> str:
    """A new conversation's number, as a reference."""
    args = ["chat-log", "new", "--json"] + (["--title", title] if title is not None else [])
    result = todo(*args)
    assert result.exit_code == 0, result.stderr
    return str(result.json()["number"])


def say(todo: Todo, conv: str, text: str, role: str = "user") -> str:
    """Append a message; its id."""
    result = todo("chat-log", "append", conv, "--role", role, "-", "--json", input=text)
    assert result.exit_code == 0, result.stderr
    return str(result.json()["id"])


def search(todo: Todo, *query: str) -> list[dict[str, Any]]:
    result = todo("chat-log", "search", "--json", *query)
    assert result.exit_code == 0, result.stderr
    hits: list[dict[str, Any]] = result.json()
    return hits


def found(todo: Todo, *query: str) -> list[str]:
    """The ids of the messages a search finds, best first (title hits left out)."""
    return [hit["message"]["id"] for hit in search(todo, *query) if hit["message"] is not None]


def titles_found(todo: Todo, *query: str) -> list[str | None]:
    """The titles of the conversations whose title a search finds."""
    return [hit["conversation"]["title"] for hit in search(todo, *query) if hit["message"] is None]


def local(rfc3339: str) -> str:
    """An RFC 3339 time as todo shows it to people: local, to the second."""
    return datetime.fromisoformat(rfc3339).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def fold(text: str) -> str:
    """Lower case without accents: how a match is compared with the word searched for."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return bare.casefold()


def message_lengths(url: str) -> list[int]:
    return [
        int(row[0]) for row in sql_rows(url, "SELECT length(content) FROM messages ORDER BY seq")
    ]


def current_revision(todo: Todo) -> str:
    result = todo("db", "current")
    assert result.exit_code == 0, result.stderr
    return result.stdout.split()[0]


def xfail_on(backend: str, which: str, request: pytest.FixtureRequest, reason: str) -> None:
    """A known bug of one database (isolated or not): a strict xfail there, a test elsewhere."""
    if backend.split("-")[0] == which:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


# --- the message limit ------------------------------------------------------------------


def test_a_message_of_100000_characters_is_kept_whole(todo: Todo) -> None:
    new(todo)
    text = "é" * (CONTENT_MAX - 1) + "!"
    say(todo, "1", text)
    (message,) = todo("chat-log", "export", "1").json()["messages"]
    assert message["content"] == text


def test_a_message_of_100001_characters_is_refused_and_nothing_is_written(todo: Todo) -> None:
    new(todo)
    result = todo("chat-log", "append", "1", "--role", "user", "-", input="x" * (CONTENT_MAX + 1))
    assert result.exit_code == 2
    assert "100001 characters, the limit is 100000" in result.stderr
    assert message_lengths(todo.url) == []


def test_the_database_itself_refuses_a_message_over_100000_characters(todo: Todo) -> None:
    new(todo)
    say(todo, "1", "a message to copy")
    copy = (
        "INSERT INTO messages (id, conversation_id, seq, role, content, created_at) "
        "SELECT :id, conversation_id, seq + 1, role, :content, created_at FROM messages"
    )
    with pytest.raises(DBAPIError, match="ck_messages_content_length"):
        sql_rows(todo.url, copy, id=uuid4().hex, content="x" * (CONTENT_MAX + 1))


# --- the downgrade to 5,000 characters ----------------------------------------------------


@pytest.fixture
def owner(todo: Todo, backend: str) -> Todo:
    """`todo` for a test that migrates the schema, which only the schema's owner does."""
    if backend not in ("sqlite", "postgresql"):
        not_applicable("a schema is migrated by its owner, never through a member's URL")
    return todo


def fill_long_messages(todo: Todo) -> None:
    """Messages of 5,000, 5,001 and 100,000 characters: two longer than revision 0006 takes."""
    new(todo, "long answers")
    for length in (OLD_CONTENT_MAX, OLD_CONTENT_MAX + 1, CONTENT_MAX):
        say(todo, "1", "y" * length, role="assistant")


def test_downgrade_to_0006_says_how_many_messages_it_would_cut_and_needs_a_yes(owner: Todo) -> None:
    fill_long_messages(owner)
    head = current_revision(owner)
    result = owner("db", "downgrade", "0006")
    assert result.exit_code == 2
    assert (
        "cut 2 messages longer than 5,000 characters to their first 5,000 (the rest is lost)"
        in result.stderr
    )
    assert "--yes" in result.stderr
    assert current_revision(owner) == head
    assert message_lengths(owner.url) == [OLD_CONTENT_MAX, OLD_CONTENT_MAX + 1, CONTENT_MAX]


def test_downgrade_with_yes_cuts_long_messages_to_their_first_5000_characters(owner: Todo) -> None:
    # Not alice: the suite makes member roles alice, bob... on its server, and a
    # downgrade below 0014 asks before it would hand a users row so named to them.
    fill_long_messages(owner.as_user("dana"))
    result = owner("db", "downgrade", "0006", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "this downgrade will cut 2 messages longer than 5,000 characters" in result.stderr
    assert current_revision(owner) == "0006"
    assert message_lengths(owner.url) == [OLD_CONTENT_MAX] * 3
    assert sql_rows(owner.url, "SELECT content FROM messages WHERE seq = 3")[0][0] == "y" * 5000


def test_upgrade_after_the_cut_takes_100000_characters_again(owner: Todo) -> None:
    fill_long_messages(owner)
    assert owner("db", "downgrade", "0006", "--yes").exit_code == 0
    assert owner("db", "upgrade").exit_code == 0
    say(owner, "1", "z" * CONTENT_MAX)
    assert message_lengths(owner.url) == [OLD_CONTENT_MAX] * 3 + [CONTENT_MAX]


def test_downgrade_json_says_how_many_messages_it_cuts(owner: Todo) -> None:
    fill_long_messages(owner)
    result = owner("db", "downgrade", "0006", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    report = result.json()["deleted"]
    assert all(entry["table"] for entry in report), report
    assert [entry["rows"] for entry in report if entry["table"] == "messages"] == [2], report


def test_a_migration_round_trip_rebuilds_the_index_for_existing_messages(owner: Todo) -> None:
    new(owner, "Orchard plans")
    apples = say(owner, "1", "The apples ripen in September")
    assert owner("db", "downgrade", "0006", "--yes").exit_code == 0
    assert owner("db", "upgrade").exit_code == 0
    assert found(owner, "apple") == [apples]
    assert titles_found(owner, "orchard") == ["Orchard plans"]


# --- the stored vectors (revision 0009, PostgreSQL) ------------------------------------------


def test_postgresql_keeps_each_vector_in_a_generated_indexed_column(
    todo: Todo, backend: str
) -> None:
    """Ranking reads stored vectors: parsing each matching text again cost seconds."""
    if backend == "sqlite":
        not_applicable("SQLite's FTS5 tables store the index")
    columns = sql_rows(
        todo.url,
        "SELECT table_name, is_generated, generation_expression FROM information_schema.columns "
        "WHERE column_name = 'search_vector' ORDER BY table_name",
    )
    assert [(table, generated) for table, generated, _ in columns] == [
        ("conversations", "ALWAYS"),
        ("messages", "ALWAYS"),
    ]
    assert "todo_search" in columns[1][2]
    indexes = sql_rows(
        todo.url,
        "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'ix_%_search' "
        "ORDER BY indexname",
    )
    assert [name for name, _ in indexes] == ["ix_conversations_search", "ix_messages_search"]
    assert all("gin (search_vector)" in definition for _, definition in indexes), indexes


def test_the_journal_leaves_the_derived_vectors_out_of_its_images(todo: Todo) -> None:
    new(todo, "Orchard plans")
    say(todo, "1", "The apples ripen in September")
    assert todo("chat-log", "rename", "1", "Apple orchard").exit_code == 0
    assert todo("chat-log", "delete", "1", "--yes").exit_code == 0
    images = sql_rows(
        todo.url,
        "SELECT before, after FROM journal WHERE table_name IN ('conversations', 'messages')",
    )
    assert len(images) == 6  # new, append, rename, and the delete of both rows
    for before, after in images:
        for image in (before, after):
            if image is not None:
                keys = json.loads(image) if isinstance(image, str) else image
                assert "search_vector" not in keys
                assert "id" in keys


def test_undo_restores_a_deleted_message_that_is_found_again(todo: Todo) -> None:
    new(todo, "Orchard plans")
    apples = say(todo, "1", "The apples ripen in September")
    assert todo("chat-log", "delete", "1", "--yes").exit_code == 0
    assert found(todo, "september") == []
    assert todo("undo").exit_code == 0
    assert found(todo, "september") == [apples]
    assert titles_found(todo, "orchard") == ["Orchard plans"]


def test_downgrade_below_the_stored_vectors_loses_nothing_and_asks_nothing(owner: Todo) -> None:
    # Not alice: the suite makes member roles alice, bob... on its server, and a
    # downgrade below 0014 asks before it would hand a users row so named to them.
    dana = owner.as_user("dana")
    new(dana, "Orchard plans")
    apples = say(dana, "1", "The apples ripen in September")
    result = owner("db", "downgrade", "0008")
    assert result.exit_code == 0, result.stderr
    assert "will delete" not in result.stderr
    assert current_revision(owner) == "0008"
    assert owner("db", "upgrade").exit_code == 0
    assert found(dana, "apple") == [apples]
    assert titles_found(dana, "orchard") == ["Orchard plans"]


# --- what a search matches --------------------------------------------------------------------


def test_running_finds_runs(todo: Todo) -> None:
    new(todo)
    runs = say(todo, "1", "She runs every morning")
    say(todo, "1", "He walks to work")
    assert found(todo, "running") == [runs]


@pytest.mark.parametrize(
    ("query", "text"),
    [("cafe", "Meet me at the café at noon"), ("Café", "Meet me at the cafe at noon")],
)
def test_accents_do_not_matter_either_way(todo: Todo, query: str, text: str) -> None:
    new(todo)
    meeting = say(todo, "1", text)
    say(todo, "1", "Meet me at the station at noon")
    assert found(todo, query) == [meeting]


# A phrase with a common word is checked against the text on PostgreSQL (the index has
# no common words): that check took its other words' accents as written, and missed.
@pytest.mark.parametrize(
    ("query", "text"),
    [
        ('"flew to zurich"', "I flew to Zürich yesterday"),
        ('"to zürich"', "we flew to Zurich"),
        ('"trip to tokyo"', "Trip to Tōkyō planning"),
        ('"ÉCOLE of the arts"', "the ecole of the arts"),
        # An accent written apart from its letter (NFD, as macOS writes text), in the
        # text or in the phrase.
        ('"flew to zurich"', "I flew to Zu\u0308rich in May"),
        ('"flew to zu\u0308rich"', "I flew to Zürich in June"),
        ('"flew to zu\u0308rich"', "I flew to Zu\u0308rich in May"),
    ],
)
def test_a_phrase_with_a_common_word_ignores_accents_either_way(
    todo: Todo, query: str, text: str
) -> None:
    new(todo)
    hit = say(todo, "1", text)
    say(todo, "1", "we flew to Paris, a trip to Rome")
    assert found(todo, query) == [hit]


def test_a_quoted_phrase_needs_its_words_side_by_side_in_order(todo: Todo) -> None:
    new(todo)
    phrase = say(todo, "1", "We moved to New York last spring")
    say(todo, "1", "York is old and new at once")
    say(todo, "1", "A new office opened; York was chosen")
    assert found(todo, '"new york"') == [phrase]
    assert len(found(todo, "new", "york")) == 3


def test_every_word_must_be_found(todo: Todo) -> None:
    new(todo)
    both = say(todo, "1", "Water the tomatoes in the garden")
    say(todo, "1", "Water the lawn")
    assert found(todo, "water", "tomato") == [both]


def test_or_takes_either_word(todo: Todo) -> None:
    new(todo)
    passport = say(todo, "1", "Renew the passport before June")
    visa = say(todo, "1", "The visa takes three weeks")
    say(todo, "1", "Book the hotel")
    assert sorted(found(todo, "passport", "OR", "visa")) == sorted([passport, visa])


def test_lowercase_and_or_not_are_words_to_find_not_operators(todo: Todo) -> None:
    # `pepper not sugar` found nothing (NOT sugar), and `and` alone was exit 2.
    new(todo)
    recipe = say(todo, "1", "salt and pepper, not sugar or honey")
    say(todo, "1", "pepper only")
    assert found(todo, "pepper", "not", "sugar") == [recipe]
    assert found(todo, "salt", "and", "pepper") == [recipe]
    assert found(todo, "sugar", "or", "honey") == [recipe]
    assert found(todo, "not") == [recipe]


@pytest.mark.parametrize(
    "query",
    [["garden -hose"], ["garden", "NOT", "hose"], ["--", "garden", "-hose"]],
    ids=["minus-in-one-argument", "not", "minus-after-double-dash"],
)
def test_a_left_out_word_leaves_out_the_messages_that_have_it(todo: Todo, query: list[str]) -> None:
    new(todo)
    kept = say(todo, "1", "The garden needs weeding")
    say(todo, "1", "The garden hose leaks")
    assert found(todo, *query) == [kept]


def test_a_left_out_word_can_be_its_own_argument(todo: Todo) -> None:
    new(todo)
    kept = say(todo, "1", "The garden needs weeding")
    say(todo, "1", "The garden hose leaks")
    assert found(todo, "garden", "-hose") == [kept]


def test_a_left_out_phrase_leaves_out_only_the_messages_with_those_words_in_order(
    todo: Todo,
) -> None:
    new(todo)
    kept = say(todo, "1", "The hose in the garden")
    say(todo, "1", "The garden hose leaks")
    assert found(todo, "garden", '-"garden hose"') == [kept]
    assert found(todo, 'garden -"garden hose"') == [kept]


def test_a_pasted_paragraph_of_a_query_is_searched_not_a_crash(todo: Todo) -> None:
    # Hundreds of words: each one a term (all of them, or any with OR).
    new(todo)
    kept = say(todo, "1", "word3 and word277 are here")
    words = [f"word{i}" for i in range(300)]
    assert found(todo, " ".join(words)) == []
    assert found(todo, " OR ".join(words)) == [kept]
    assert found(todo, " ".join(words[3::274])) == [kept]


def test_greek_words_are_found_whichever_way_their_last_sigma_is_written(todo: Todo) -> None:
    # PostgreSQL's lower() keeps a final sigma and makes a capital one the other small
    # sigma: "ΛΟΓΟΣ" found nothing stored "λογος", nor "λογος" a stored "ΛΟΓΟΣ".
    new(todo)
    lower = say(todo, "1", "ο λογος")  # noqa: RUF001 (Greek, as typed)
    upper = say(todo, "1", "ΑΛΛΟΣ ΚΟΣΜΟΣ")
    for typed in ("ΛΟΓΟΣ", "λογος", "Λογος", "λογοσ"):
        assert found(todo, typed) == [lower], typed
    for typed in ("αλλος", "ΑΛΛΟΣ", '"αλλος κοσμος"', "κοσμοσ"):
        assert found(todo, typed) == [upper], typed


def test_thai_typed_as_stored_is_found_vowel_signs_and_all(todo: Todo) -> None:
    # The query's words were cut at the vowel signs (combining marks, not \w): "สวัสดี"
    # became "สว" and "สด", and PostgreSQL's pattern made of them found nothing.
    new(todo)
    hello = say(todo, "1", "สวัสดีครับ")
    for typed in ("สวัสดีครับ", "สวัสดี", "ครับ"):
        assert found(todo, typed) == [hello], typed
    assert found(todo, "สวัสดีค่ะ") == []


def test_a_search_leaving_out_too_many_terms_is_refused_plainly(todo: Todo) -> None:
    # 99 left-out words overflowed SQLite's FTS5 parser: its own error, exit 3.
    new(todo)
    kept = say(todo, "1", "the lake at dawn")
    assert found(todo, "lake", *(f"-w{i}" for i in range(64))) == [kept]
    refused = todo("chat-log", "search", "lake", *(f"-w{i}" for i in range(99)))
    assert (refused.exit_code, refused.stderr) == (
        2,
        "error: a search that leaves out 99 terms: at most 64 "
        '(leave out a "phrase" (one term) or fewer words)\n',
    )


def test_titles_are_searched_too(todo: Todo) -> None:
    new(todo, "Sourdough starter")
    new(todo, "Tax return")
    say(todo, "2", "The starter of this talk is a form")
    hits = search(todo, "sourdough")
    assert [(hit["conversation"]["number"], hit["message"]) for hit in hits] == [(1, None)]
    assert hits[0]["conversation"]["title"] == "Sourdough starter"


def test_another_users_messages_and_titles_are_never_found(todo: Todo) -> None:
    bob = todo.as_user("bob")
    new(bob, "Secret plans")
    say(bob, "1", "The secret is in the sauce")
    new(todo, "Mine")
    mine = say(todo, "1", "No secrets here, only sauce")
    assert search(todo, "secret", "plans") == []
    assert found(todo, "sauce") == [mine]
    assert len(search(bob, "secret")) == 2


def test_limit_caps_the_number_of_results(todo: Todo) -> None:
    new(todo)
    for n in range(5):
        say(todo, "1", f"tomato number {n}")
    assert len(search(todo, "tomato")) == 5
    assert len(search(todo, "tomato", "--limit", "2")) == 2
    assert todo("chat-log", "search", "tomato", "--limit", "0").exit_code == 2


@pytest.mark.parametrize(
    "query",
    ["budget*", "(budget", "^budget", "budget'", "{budget}", "budget:", "budget%", "_budget"],
)
def test_the_databases_query_syntax_is_only_text(todo: Todo, query: str) -> None:
    new(todo)
    budget = say(todo, "1", "The budget for next year")
    assert found(todo, query) == [budget]


def test_a_phrase_of_common_words_is_found(todo: Todo) -> None:
    new(todo)
    hamlet = say(todo, "1", "To be, or not to be, that is the question")
    assert found(todo, '"to be or not to be"') == [hamlet]


def test_a_dotted_name_is_found_as_written(todo: Todo) -> None:
    new(todo)
    node = say(todo, "1", "I am learning node.js this month")
    assert found(todo, "node.js") == [node]


def test_common_words_are_found_whole_in_order_and_beside_other_terms(todo: Todo) -> None:
    new(todo)
    hamlet = say(todo, "1", "To be, or not to be, that is the question")
    other = say(todo, "1", "The question of the budget")
    garden = say(todo, "1", "Potato beds in the garden")
    assert found(todo, '"to be or not to be"', "question") == [hamlet]
    assert found(todo, "question", '-"not to be"') == [other]
    assert found(todo, '"not be"') == []
    assert found(todo, '"to be"') == [hamlet]  # not "potato beds": whole words only
    assert sorted(found(todo, "the")) == sorted([hamlet, other, garden])
    assert found(todo, '"to be"', "OR", "budget") in ([hamlet, other], [other, hamlet])


def test_a_phrase_with_a_common_word_needs_that_word_in_its_place(todo: Todo) -> None:
    new(todo)
    renewal = say(todo, "1", "Passport renewal takes weeks")
    about = say(todo, "1", "A new question about passports")
    open_question = say(todo, "1", "The question is still open")
    assert found(todo, '"about passports"') == [about]
    assert found(todo, '"about passport"') == [about]  # other forms of the word, as ever
    assert found(todo, '"the question"') == [open_question]
    assert found(todo, "passport", '-"about passports"') == [renewal]
    assert sorted(found(todo, '"the question"', "OR", "renewal")) == sorted(
        [open_question, renewal]
    )


def test_a_title_of_common_words_is_found(todo: Todo) -> None:
    new(todo, "To be or not to be")
    new(todo, "Not now")
    assert titles_found(todo, '"or not to be"') == ["To be or not to be"]


def test_a_dotted_name_is_found_inside_a_phrase(todo: Todo) -> None:
    new(todo)
    node = say(todo, "1", "I am learning node.js this month")
    knit = say(todo, "1", "learning to knit, node by node")
    assert found(todo, '"learning node.js"') == [node]
    assert found(todo, "learning", "-node.js") == [knit]


def test_a_word_inside_a_run_of_an_unspaced_script_is_found(todo: Todo) -> None:
    new(todo, "旅行の計画")
    tower = say(todo, "1", "東京タワーに行きたい, then launch the boat")
    beijing = say(todo, "1", "我爱北京天安门")
    weather = say(todo, "1", "東京の天気は晴れ")
    seoul = say(todo, "1", "서울에서 만나요")
    assert sorted(found(todo, "東京")) == sorted([tower, weather])
    assert found(todo, "北京") == [beijing]
    assert found(todo, "서울") == [seoul]
    assert found(todo, "東京", "launch") == [tower]
    assert found(todo, "東京", "-launch") == [weather]
    assert found(todo, "東京", "-天気") == [tower]
    assert sorted(found(todo, "北京", "OR", "launch")) == sorted([beijing, tower])
    assert found(todo, '"東京 タワー"') == [tower]
    assert found(todo, "大阪") == []
    assert titles_found(todo, "計画") == ["旅行の計画"]


def test_a_snippet_cuts_a_word_of_thousands_of_characters_in_its_middle(todo: Todo) -> None:
    # SQLite's snippet counts words: one of 20,000 characters was a 20,000-character line.
    new(todo)
    say(todo, "1", f"data {'A' * 20000} needle {'B' * 45}")
    (hit,) = search(todo, "needle")
    assert len(hit["snippet"]) < 120
    marked = [hit["snippet"][start:end] for start, end in hit["matches"]]
    assert marked == ["needle"]
    assert f"needle {'B' * 20}…{'B' * 20}" in hit["snippet"]
    assert "A" * 41 not in hit["snippet"]


def test_a_phrase_far_into_a_long_message_is_found_and_marked(todo: Todo) -> None:
    # PostgreSQL's vector keeps word positions up to 16,383: a phrase past them was
    # not found there (SQLite found it); its words apart, in a short message, are not.
    new(todo)
    far = say(todo, "1", "kk " * 17000 + "purple elephant", role="assistant")
    say(todo, "1", "a purple big elephant")
    (hit,) = search(todo, '"purple elephant"')
    assert hit["message"]["id"] == far
    marked = [hit["snippet"][start:end] for start, end in hit["matches"]]
    assert marked in (["purple elephant"], ["purple", "elephant"])
    assert len(found(todo, "purple", "elephant")) == 2


def test_a_phrase_left_out_is_left_out_of_a_long_message(todo: Todo) -> None:
    # Past PostgreSQL's 16,383 positions every word of a long message sits at the same
    # one: no phrase is there for the index, and `-"phrase"` left nothing out.
    new(todo)
    long = say(todo, "1", "kk " * 17000 + "purple elephant dances")
    short = say(todo, "1", "an elephant dances")
    also_long = say(todo, "1", "kk " * 17000 + "purple dances, an elephant")
    assert sorted(found(todo, "dances")) == sorted([long, short, also_long])
    assert sorted(found(todo, "dances", '-"purple elephant"')) == sorted([short, also_long])
    assert sorted(found(todo, "dances", "NOT", '"purple elephant"')) == sorted([short, also_long])
    assert sorted(found(todo, "dances", '-"purple to elephant"')) == sorted(
        [long, short, also_long]
    )


def test_a_snippet_of_a_piped_message_ends_without_its_newline(todo: Todo) -> None:
    # `echo ... | todo chat-log append 1 -` stores echo's newline; `show` leaves it out,
    # the snippet showed it as "\n".
    new(todo)
    say(todo, "1", "Rent and the passport.\n", role="assistant")
    (hit,) = search(todo, "passport")
    assert hit["snippet"] == "Rent and the passport."
    assert [hit["snippet"][start:end] for start, end in hit["matches"]] == ["passport"]
    piped = todo("chat-log", "search", "passport")
    assert piped.stdout.endswith("\n  Rent and the [passport].\n"), piped.stdout


def test_a_word_of_an_unspaced_script_is_marked_in_the_snippet(todo: Todo) -> None:
    new(todo)
    say(todo, "1", "東京タワーに行きたい")
    (hit,) = search(todo, "タワー")
    assert hit["snippet"] == "東京タワーに行きたい"
    assert hit["matches"] == [[2, 5]]
    piped = todo("chat-log", "search", "タワー")
    assert "  東京[タワー]に行きたい\n" in piped.stdout
    # Beside a word the index finds, the word found in the text is marked too.
    say(todo, "1", "launch 東京タワー")
    (mixed,) = search(todo, "タワー", "launch")
    marked = [mixed["snippet"][start:end] for start, end in mixed["matches"]]
    assert "タワー" in marked


def test_the_stop_words_todo_knows_are_the_servers(
    todo: Todo, backend: str, postgres: PostgresHandle
) -> None:
    if not backend.startswith("postgresql"):
        not_applicable("PostgreSQL's search configuration drops stop words; FTS5 keeps them")
    if postgres.server is None:
        not_applicable("needs the suite's own server to read its stop-word file")
    from todo_cli.repository.conversations import _PG_STOP_WORDS

    # Every word of the server's own list, none left out...
    ((share,),) = postgres.server.admin("SELECT setting FROM pg_config WHERE name = 'SHAREDIR'")
    listed = Path(share, "tsearch_data", "english.stop").read_text("utf-8").split()
    assert sorted(_PG_STOP_WORDS) == sorted(listed)
    # ...and each one dropped by todo's search configuration.

    words = sorted(_PG_STOP_WORDS)
    rows = sql_rows(
        todo.url,
        "SELECT w FROM unnest(CAST(:words AS text[])) AS w "
        "WHERE numnode(plainto_tsquery('todo_search', w)) = 0",
        words=words,
    )
    assert sorted(row[0] for row in rows) == words
    kept = sql_rows(todo.url, "SELECT numnode(plainto_tsquery('todo_search', 'question'))")
    assert kept[0][0] == 1


def test_a_phrase_at_the_end_of_a_100000_character_message_is_found(todo: Todo) -> None:
    # PostgreSQL's vector positions stop at 16,383: past that word, the phrase is
    # looked for in the text (_past_the_positions).
    new(todo)
    end = " and the secret word is xylophone"
    filler = ("lorem ipsum dolor sit amet " * 4000)[: CONTENT_MAX - len(end)]
    long = say(todo, "1", filler + end)
    assert found(todo, "xylophone") == [long]
    assert found(todo, '"secret word"') == [long]


# --- ranking ------------------------------------------------------------------------------


def test_the_message_with_the_words_most_often_and_closest_ranks_first(todo: Todo) -> None:
    new(todo, "Outdoor jobs")
    # Added worst first, so the order of insertion cannot pass for a ranking.
    once = say(todo, "1", "The garden looks lovely this spring, and later I must buy a new hose.")
    twice = say(todo, "1", "Coil the garden hose after use, and drain the hose before the frost.")
    thrice = say(
        todo, "1", "The garden hose by the garden gate: a garden hose on a reel, the hose."
    )
    say(todo, "1", "The garden gate needs paint.")
    assert found(todo, "garden", "hose") == [thrice, twice, once]
    assert found(todo, "hose") == [thrice, twice, once]


def test_words_side_by_side_rank_above_the_same_words_far_apart(
    todo: Todo, backend: str, request: pytest.FixtureRequest
) -> None:
    xfail_on(
        backend,
        "sqlite",
        request,
        "bug: SQLite ranks by bm25 alone, which ignores how close the words are",
    )
    new(todo)
    far = say(
        todo, "1", "the garden is lovely in spring and in summer we water it with a long hose"
    )
    near = say(
        todo, "1", "the garden hose is lovely in spring and in summer we water it with a can"
    )
    assert found(todo, "garden", "hose") == [near, far]


# --- what a result shows ----------------------------------------------------------------------


def test_a_piped_result_names_the_conversation_role_and_time_and_brackets_the_match(
    todo: Todo,
) -> None:
    new(todo, "Kitchen")
    say(todo, "1", "Preheat the oven to 220 degrees", role="assistant")
    message = todo("chat-log", "export", "1").json()["messages"][0]
    result = todo("chat-log", "search", "oven")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"#1 Kitchen · assistant · {local(message['created_at'])}\n"
        "  Preheat the [oven] to 220 degrees\n"
    )
    assert "\x1b" not in result.stdout


def test_a_title_result_says_it_is_the_title(todo: Todo) -> None:
    new(todo, "Oven repairs")
    result = todo("chat-log", "search", "oven")
    assert result.stdout == "#1 Oven repairs · title\n  [Oven] repairs\n"


def test_json_result_has_the_conversation_the_message_a_snippet_and_match_offsets(
    todo: Todo,
) -> None:
    new(todo, "Kitchen")
    message_id = say(todo, "1", "Preheat the oven to 220 degrees")
    message = todo("chat-log", "export", "1").json()["messages"][0]
    (hit,) = search(todo, "oven")
    assert list(hit) == ["conversation", "message", "snippet", "matches"]
    assert hit["conversation"] == {
        "id": todo("chat-log", "export", "1").json()["id"],
        "number": 1,
        "title": "Kitchen",
    }
    assert hit["message"] == {
        "id": message_id,
        "role": "user",
        "created_at": message["created_at"],
    }
    assert hit["snippet"] == "Preheat the oven to 220 degrees"
    assert hit["matches"] == [[12, 16]]


def test_json_match_offsets_point_at_the_words_that_matched(todo: Todo) -> None:
    new(todo)
    say(todo, "1", "She runs to the Café every morning, then runs home")
    (hit,) = search(todo, "running", "cafe")
    marked = [hit["snippet"][start:end] for start, end in hit["matches"]]
    assert sorted(marked) == ["Café", "runs", "runs"]
    assert {fold(word) for word in marked} == {"cafe", "runs"}


def test_matches_are_bold_on_a_terminal(todo: Todo) -> None:
    new(todo, "Kitchen")
    say(todo, "1", "Preheat the oven")
    screen = _run_on_a_terminal(todo, "chat-log", "search", "oven")
    assert "the \x1b[1moven\x1b[0m" in screen
    assert "[oven]" not in screen


def test_matches_are_not_bold_on_a_terminal_with_no_color(todo: Todo) -> None:
    new(todo, "Kitchen")
    say(todo, "1", "Preheat the oven")
    screen = _run_on_a_terminal(todo, "chat-log", "search", "oven", NO_COLOR="1")
    assert "\x1b[" not in screen
    assert "Preheat the [oven]" in screen


def test_escape_sequences_in_a_message_never_reach_the_terminal_from_a_snippet(
    todo: Todo,
) -> None:
    new(todo)
    say(todo, "1", "evil \x1b]0;pwned\x07 oven \x1b[2J here")
    screen = _run_on_a_terminal(todo, "chat-log", "search", "oven")
    assert "\x1b]0;" not in screen
    assert "\x1b[2J" not in screen
    assert "\x1b[1moven\x1b[0m" in screen


def test_no_match_is_an_empty_result_not_an_error(todo: Todo) -> None:
    new(todo)
    say(todo, "1", "Preheat the oven")
    result = todo("chat-log", "search", "fridge")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "no conversation matches\n"
    assert search(todo, "fridge") == []


# --- query syntax errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (['"new york'], "the search has an unbalanced quote"),
        (["AND"], "'AND' needs a word on each side"),
        (["garden", "AND"], "'AND' needs a word on each side"),
        (["garden", "OR"], "'OR' needs a word on each side"),
        (["OR", "garden"], "'OR' needs a word on each side"),
        (["garden", "OR", "OR", "hose"], "'OR' needs a word on each side"),
        (["garden", "AND", "OR", "hose"], "'OR' needs a word on each side"),
        (["garden", "AND", "AND", "hose"], "'AND' needs a word on each side"),
        (
            ["--", "-garden", "-hose"],
            "the search needs a word to find, not only words to leave out",
        ),
        (["NOT", "garden"], "the search needs a word to find, not only words to leave out"),
        (["garden", "NOT"], "NOT needs a word after it"),
        ([""], "the search is empty"),
        (["   "], "the search is empty"),
        (['""'], "holds nothing to search for"),
        (["..."], "holds nothing to search for"),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, list) else None,
)
def test_a_query_syntax_error_is_exit_2_with_a_plain_message(
    todo: Todo, query: list[str], says: str
) -> None:
    new(todo)
    say(todo, "1", "the garden hose in New York")
    result = todo("chat-log", "search", *query)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert says in line
    for database_word in ("fts5", "sqlite", "tsquery", "psycopg", "syntax error", "Traceback"):
        assert database_word not in line


def test_a_query_syntax_error_with_json_is_a_json_error(todo: Todo) -> None:
    result = todo("chat-log", "search", '"new york', "--json")
    assert result.exit_code == 2
    assert json.loads(result.stderr) == {
        "error": {
            "code": "invalid_input",
            "message": "the search has an unbalanced quote "
            '(e.g. planning "next week" -holiday, or budget OR finance)',
        }
    }


def test_a_query_syntax_error_in_a_real_process_is_exit_2_without_a_traceback(
    todo: Todo,
) -> None:
    proc = todo.process("chat-log", "search", "garden", "OR")
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("error: 'OR' needs a word on each side")
    assert b"Traceback" not in proc.stderr


# --- the index stays in step ------------------------------------------------------------------


def test_an_appended_message_is_found_at_once(todo: Todo) -> None:
    new(todo)
    assert found(todo, "zucchini") == []
    zucchini = say(todo, "1", "Zucchini grow fast")
    assert found(todo, "zucchini") == [zucchini]


def test_undo_of_an_append_makes_its_message_unfound(todo: Todo) -> None:
    new(todo)
    tomatoes = say(todo, "1", "Tomatoes need sun")
    say(todo, "1", "Zucchini grow fast")
    assert todo("undo").exit_code == 0
    assert found(todo, "zucchini") == []
    assert found(todo, "tomato") == [tomatoes]
    # The next message may take the undone one's place in the table: still not a zucchini.
    carrots = say(todo, "1", "Carrots grow slowly")
    assert found(todo, "zucchini") == []
    assert found(todo, "carrot") == [carrots]


def test_a_deleted_conversations_messages_and_title_are_no_longer_found(todo: Todo) -> None:
    new(todo, "Garden")
    say(todo, "1", "Tomatoes need sun")
    assert todo("chat-log", "delete", "1", "--yes").exit_code == 0
    assert search(todo, "tomato") == []
    assert search(todo, "garden") == []
    # New rows may take the deleted ones' places in the tables: they are not found by old words.
    new(todo, "Orchard")
    apples = say(todo, "2", "Apples need rain")
    assert search(todo, "tomato") == []
    assert search(todo, "garden") == []
    assert found(todo, "apple") == [apples]


def test_undo_of_a_delete_brings_the_messages_back_into_search(todo: Todo) -> None:
    new(todo, "Garden")
    tomatoes = say(todo, "1", "Tomatoes need sun")
    assert todo("chat-log", "delete", "1", "--yes").exit_code == 0
    assert todo("undo").exit_code == 0
    assert found(todo, "tomato") == [tomatoes]
    assert titles_found(todo, "garden") == ["Garden"]


def test_a_renamed_conversation_is_found_by_its_new_title_not_its_old(todo: Todo) -> None:
    new(todo, "Garden")
    assert todo("chat-log", "rename", "1", "Orchard").exit_code == 0
    assert titles_found(todo, "orchard") == ["Orchard"]
    assert search(todo, "garden") == []


def test_undo_of_a_rename_finds_the_old_title_again(todo: Todo) -> None:
    new(todo, "Garden")
    assert todo("chat-log", "rename", "1", "Orchard").exit_code == 0
    assert todo("undo").exit_code == 0
    assert titles_found(todo, "garden") == ["Garden"]
    assert search(todo, "orchard") == []


def test_a_title_removed_by_rename_is_no_longer_found(todo: Todo) -> None:
    new(todo, "Garden")
    assert todo("chat-log", "rename", "1", "").exit_code == 0
    assert search(todo, "garden") == []


def test_imported_messages_and_titles_are_found(todo: Todo) -> None:
    assert todo("chat-log", "import", str(CHATGPT_EXPORT)).exit_code == 0
    hits = search(todo, "hydration")
    assert [hit["snippet"] for hit in hits] == [
        "That is 100% hydration: the same weight of water as flour."
    ]
    assert titles_found(todo, "sourdough") == ["Keeping a sourdough starter alive"]


def test_undo_of_an_import_makes_its_messages_unfound(todo: Todo) -> None:
    assert todo("chat-log", "import", str(CHATGPT_EXPORT)).exit_code == 0
    assert todo("undo").exit_code == 0
    assert search(todo, "sourdough") == []


def test_a_failed_import_leaves_nothing_in_the_index(todo: Todo, tmp_path: Any) -> None:
    conversations = json.loads(CHATGPT_EXPORT.read_text(encoding="utf-8"))
    conversations.append({"title": "broken", "mapping": {}, "current_node": "gone", "id": "x"})
    broken = tmp_path / "conversations.json"
    broken.write_text(json.dumps(conversations), encoding="utf-8")
    assert todo("chat-log", "import", str(broken)).exit_code == 2
    new(todo, "After")
    say(todo, "1", "flour and water")
    assert [hit["conversation"]["title"] for hit in search(todo, "flour")] == ["After"]
    assert search(todo, "sourdough") == []


def sqlite_index_problems(url: str) -> list[str]:
    """What FTS5's integrity check finds wrong with each index against its table."""
    problems = []
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        for table in ("messages_fts", "conversations_fts"):
            try:
                db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as exc:
                problems.append(f"{table}: {exc}")
    finally:
        db.rollback()
        db.close()
    return problems


def test_sqlite_index_agrees_with_the_tables_after_every_kind_of_change(
    todo: Todo, backend: str
) -> None:
    if backend != "sqlite":
        not_applicable("PostgreSQL derives each row's vector on every write: it cannot drift")
    steps = [
        ("chat-log", "new", "--title", "Garden"),
        ("chat-log", "append", "1", "--role", "user", "Tomatoes need sun"),
        ("chat-log", "append", "1", "--role", "assistant", "Zucchini grow fast"),
        ("undo",),
        ("chat-log", "rename", "1", "Orchard"),
        ("chat-log", "rename", "1", ""),
        ("undo",),
        ("chat-log", "import", str(CHATGPT_EXPORT)),
        ("chat-log", "delete", "2", "--yes"),
        ("undo",),
        ("chat-log", "delete", "1", "--yes"),
        ("db", "downgrade", "0006", "--yes"),  # no index at 0006: checked after the upgrade
        ("db", "upgrade"),
    ]
    for step in steps:
        result = todo(*step)
        assert result.exit_code == 0, (step, result.stderr)
        if step[:2] != ("db", "downgrade"):
            assert sqlite_index_problems(todo.url) == [], step


def statements_sent(postgres: PostgresHandle, todo: Todo, *args: str) -> list[str]:
    """What the suite's server logged for one command (`log_statement = 'all'`), in order."""
    server = postgres.server
    assert server is not None
    database = todo.url.rsplit("/", 1)[1].split("?")[0]
    offset = server.log_offset()
    proc = todo.process(*args)
    assert proc.returncode == 0, proc.stderr
    sent: list[str] = []
    deadline = time.monotonic() + 5
    while (not sent or sent[-1] != "COMMIT") and time.monotonic() < deadline:
        with server.log.open("rb") as log:
            log.seek(offset)
            lines = log.read().decode("utf-8", "replace").splitlines()
        sent = [
            line.split("LOG:  ", 1)[1].removeprefix("statement: ").removeprefix("execute ")
            for line in lines
            if line.startswith(f"db={database} ")
            and ("LOG:  statement: " in line or "LOG:  execute " in line)
        ]
        sent = [s.split(": ", 1)[1] if s.startswith("<") else s for s in sent]
    return sent


def test_append_sends_no_more_statements_than_before_the_search_index(
    todo: Todo, backend: str, postgres: PostgresHandle
) -> None:
    if backend != "postgresql":
        not_applicable("statements are counted at a PostgreSQL server")
    if postgres.server is None:
        not_applicable("needs the suite's own server and its statement log")
    new(todo)
    say(todo, "1", "the first message")
    sent = statements_sent(postgres, todo, "chat-log", "append", "1", "--role", "user", "one more")
    assert sent[0] == "BEGIN"
    assert sent[-1] == "COMMIT"
    assert len(sent) <= APPEND_STATEMENTS_BEFORE_THE_INDEX, sent
    assert not [s for s in sent if "tsvector" in s or "_fts" in s], sent


# --- list and rename -------------------------------------------------------------------------


def test_list_limit_shows_the_most_recently_active_conversations(todo: Todo) -> None:
    for title in ("one", "two", "three"):
        new(todo, title)
    say(todo, "1", "one is active again")
    listed = todo("chat-log", "list", "--limit", "2", "--json").json()
    assert [c["title"] for c in listed] == ["one", "three"]


def test_list_search_finds_titles_in_any_case(todo: Todo) -> None:
    new(todo, "Weekend in LISBON")
    new(todo, "Lisbon again")
    new(todo, "Porto")
    listed = todo("chat-log", "list", "--search", "lisBon", "--json").json()
    assert sorted(c["title"] for c in listed) == ["Lisbon again", "Weekend in LISBON"]


def test_list_search_matches_a_part_of_a_title_as_typed(todo: Todo) -> None:
    new(todo, "100% sure")
    new(todo, "1000 things")
    listed = todo("chat-log", "list", "--search", "0%", "--json").json()
    assert [c["title"] for c in listed] == ["100% sure"]


def test_list_search_that_matches_nothing_says_so_not_that_there_are_none(todo: Todo) -> None:
    new(todo, "Porto")
    result = todo("chat-log", "list", "--search", "zzz")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "no conversations with 'zzz' in the title\n"
    assert todo("chat-log", "list", "--search", "zzz", "--json").json() == []


def test_list_json_has_the_conversation_keys(todo: Todo) -> None:
    new(todo, "Plan")
    say(todo, "1", "hello")
    (conversation,) = todo("chat-log", "list", "--json").json()
    assert list(conversation) == [
        "id",
        "number",
        "title",
        "message_count",
        "created_at",
        "updated_at",
    ]
    assert (conversation["title"], conversation["message_count"]) == ("Plan", 1)


def test_rename_gives_a_new_title(todo: Todo) -> None:
    new(todo, "Plan")
    result = todo("chat-log", "rename", "1", "Plan for December", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["title"] == "Plan for December"
    assert todo("chat-log", "export", "1").json()["title"] == "Plan for December"


def test_rename_to_an_empty_title_removes_it(todo: Todo) -> None:
    new(todo, "Plan")
    result = todo("chat-log", "rename", "1", "")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "renamed conversation #1\n"
    assert todo("chat-log", "export", "1").json()["title"] is None


def test_rename_of_another_users_conversation_is_not_found(todo: Todo) -> None:
    new(todo, "Mine")
    assert todo.as_user("bob")("chat-log", "rename", "1", "Bob's now").exit_code == 1
    assert todo("chat-log", "export", "1").json()["title"] == "Mine"


def test_a_title_over_200_characters_is_refused(todo: Todo) -> None:
    new(todo, "Plan")
    assert todo("chat-log", "rename", "1", "x" * 201).exit_code == 2
    assert todo("chat-log", "export", "1").json()["title"] == "Plan"


def marked_words(hit: dict[str, Any]) -> list[str]:
    return [hit["snippet"][start:end] for start, end in hit["matches"]]


@pytest.mark.parametrize(
    ("query", "text", "marks"),
    [
        # A word left out is not marked (PostgreSQL's headline marked every word it had).
        (("apple", '-"green grape"'), "red apple and green pear", ["apple"]),
        (("apple", "NOT", "green"), "red apple and brown pear", ["apple"]),
        # Found without its accent, marked without it too, whatever else the query holds:
        # a stop word left out, or a word of an unspaced script (those are marked by text).
        (("zurich", "-the"), "Zürich ist schön", ["Zürich"]),
        (("東京", "cafe"), "東京 near the Café", ["東京", "Café"]),
        (("cafe", "-is"), "Cafe\u0301 au lait", ["Cafe\u0301"]),
        # A phrase with a stop word is marked as written, on both backends.
        (('"visa for you"',), "a visa for you", ["visa for you"]),
    ],
)
def test_a_snippet_marks_what_was_looked_for_alike_on_both_backends(
    todo: Todo, query: tuple[str, ...], text: str, marks: list[str]
) -> None:
    conv = new(todo, "Notes")
    say(todo, conv, text)
    (hit,) = search(todo, *query)
    assert marked_words(hit) == marks


def test_a_long_message_s_snippet_says_where_it_is_cut(todo: Todo) -> None:
    # PostgreSQL's passage had no "…" where the text went on, SQLite's had.
    conv = new(todo, "Notes")
    say(todo, conv, "filler " * 300 + "quokka " + "tail " * 300)
    (hit,) = search(todo, "quokka")
    assert hit["snippet"].startswith("…")
    assert hit["snippet"].endswith("…")
    assert marked_words(hit) == ["quokka"]
    say(todo, new(todo, "Short"), "a quokka")
    short = [h for h in search(todo, "quokka") if h["conversation"]["title"] == "Short"]
    assert short[0]["snippet"] == "a quokka"
