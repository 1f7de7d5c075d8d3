"""Reading ChatGPT and Claude exports and llm's logs.db, telling them apart, in bounded memory.

The fixtures in tests/fixtures/chat are hand-made to the shapes the tools
write; the llm databases are built here from the schema files beside them,
with rows written the way llm 0.31 and 0.32 write them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests import perf_chat_import
from tests.test_jsonstream import Endless
from todo_cli.errors import InvalidInput
from todo_cli.formats import chatgpt, chats, claude, llm, transcript
from todo_cli.formats.chats import ImportedConversation
from todo_cli.formats.jsonstream import MiB

FIXTURES = Path(__file__).parent / "fixtures" / "chat"
CHATGPT_EXPORT = FIXTURES / "chatgpt-conversations.json"
CLAUDE_EXPORT = FIXTURES / "claude-conversations.json"


def summary(conversations: list[ImportedConversation]) -> list[tuple[str, int, dict[str, int]]]:
    """Each conversation's id, message count and skipped counts."""
    return [(c.source_id, len(c.messages), dict(c.skipped)) for c in conversations]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- ChatGPT ------------------------------------------------------------------------


def read_chatgpt(data: bytes | Path) -> list[ImportedConversation]:
    raw = data.read_bytes() if isinstance(data, Path) else data
    return list(chatgpt.read(io.BytesIO(raw), "conversations.json"))


def chatgpt_conversation(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A conversation whose mapping is one chain of ``messages`` under an empty root."""
    mapping: dict[str, Any] = {"root": {"id": "root", "message": None, "parent": None}}
    parent = "root"
    for number, message in enumerate(messages, 1):
        node_id = f"n{number}"
        mapping[node_id] = {"id": node_id, "message": {"id": node_id, **message}, "parent": parent}
        parent = node_id
    return {
        "title": "Test",
        "create_time": 1_700_000_000.0,
        "update_time": 1_700_000_100.0,
        "mapping": mapping,
        "current_node": parent,
        "conversation_id": "conv-1",
        "id": "conv-1",
        **fields,
    }


def said(
    role: str, *parts: Any, time: float | None = 1_700_000_001.0, **extra: Any
) -> dict[str, Any]:
    content = {"content_type": "text", "parts": list(parts)}
    return {"author": {"role": role}, "create_time": time, "content": content, **extra}


def one_chatgpt(*messages: dict[str, Any], **fields: Any) -> ImportedConversation:
    (conversation,) = read_chatgpt(json.dumps([chatgpt_conversation(*messages, **fields)]).encode())
    return conversation


def chatgpt_refusal(item: dict[str, Any]) -> str:
    with pytest.raises(InvalidInput) as caught:
        read_chatgpt(json.dumps([item]).encode())
    return str(caught.value)


def test_chatgpt_fixture_gives_each_conversation_along_its_current_branch() -> None:
    assert summary(read_chatgpt(CHATGPT_EXPORT)) == [
        ("665b1f58-2c1e-8003-9a0d-4f7b2e6c1a90", 4, {"hidden": 1, "system": 1, "tool": 2}),
        ("6673a681-0b1c-8007-b4e2-91d3c5a7f010", 2, {"non-text": 1, "system": 1}),
    ]


def test_chatgpt_regenerated_answer_on_a_dead_branch_is_left_out() -> None:
    sourdough, _ = read_chatgpt(CHATGPT_EXPORT)
    assert [(m.role, m.content[:22]) for m in sourdough.messages] == [
        ("user", "How often should I fee"),
        ("assistant", "About once a week. Tak"),
        ("user", "What ratio of flour to"),
        ("assistant", "That is 100% hydration"),
    ]
    assert "7d3f1c88-95b2-4c8e-a1f0-21c7e4b9a804" not in {m.source_id for m in sourdough.messages}


def test_chatgpt_message_ids_titles_and_times_come_from_the_export() -> None:
    sourdough, receipt = read_chatgpt(CHATGPT_EXPORT)
    assert sourdough.source == "chatgpt"
    assert sourdough.title == "Keeping a sourdough starter alive"
    assert sourdough.created_at == at("2024-06-01T08:10:00.521430Z")
    assert sourdough.updated_at == at("2024-06-01T08:23:32.884120Z")
    first = sourdough.messages[0]
    assert first.source_id == "aaa2d9f1-7c55-4f0e-b7a4-0e5c3b9d1e03"
    assert first.created_at == at("2024-06-01T08:10:00.610Z")
    assert first.created_at.tzinfo is UTC
    assert receipt.title is None  # "" in the export


def test_chatgpt_parts_of_a_text_message_are_joined_by_newlines() -> None:
    sourdough, _ = read_chatgpt(CHATGPT_EXPORT)
    assert sourdough.messages[1].content == (
        "About once a week. Take it out, discard all but 50 g, and feed it 50 g flour and "
        "50 g water.\nLeave it on the counter for an hour or two before it goes back in the fridge."
    )


def test_chatgpt_message_without_create_time_takes_the_time_of_the_one_before() -> None:
    sourdough, _ = read_chatgpt(CHATGPT_EXPORT)
    answer, follow_up = sourdough.messages[1:3]
    assert follow_up.content.startswith("What ratio")
    assert follow_up.created_at == answer.created_at


def test_chatgpt_first_message_without_create_time_takes_the_conversations() -> None:
    conversation = one_chatgpt(said("user", "hi", time=None), said("assistant", "hello"))
    assert conversation.messages[0].created_at == at("2023-11-14T22:13:20Z")


def test_chatgpt_image_in_a_multimodal_message_is_counted_and_its_text_kept() -> None:
    _, receipt = read_chatgpt(CHATGPT_EXPORT)
    question = receipt.messages[0]
    assert question.content == "What is the total on this receipt, and how much of it is VAT?"
    assert receipt.skipped["non-text"] == 1


def test_chatgpt_image_alone_is_counted_as_non_text_not_as_empty() -> None:
    image = {"content_type": "image_asset_pointer", "asset_pointer": "file-service://f"}
    message = said("user", image, "")
    message["content"]["content_type"] = "multimodal_text"
    conversation = one_chatgpt(message, said("assistant", "A cat."))
    assert len(conversation.messages) == 1
    assert dict(conversation.skipped) == {"non-text": 1}


def test_chatgpt_voice_conversation_keeps_what_was_said_not_the_audio() -> None:
    def spoken(role: str, text: str) -> dict[str, Any]:
        transcript = {"content_type": "audio_transcription", "text": text, "direction": "in"}
        audio = {"content_type": "audio_asset_pointer", "asset_pointer": "sediment://file_1"}
        message = said(role, transcript, audio)
        message["content"]["content_type"] = "multimodal_text"
        return message

    conversation = one_chatgpt(
        spoken("user", "What's the weather like in Paris?"),
        spoken("assistant", "It's sunny in Paris today."),
    )
    assert [(m.role, m.content) for m in conversation.messages] == [
        ("user", "What's the weather like in Paris?"),
        ("assistant", "It's sunny in Paris today."),
    ]
    assert dict(conversation.skipped) == {"non-text": 2}


def test_chatgpt_tool_calls_and_tool_output_are_counted_as_tool() -> None:
    call = said("assistant", time=1.0, recipient="python")
    call["content"] = {"content_type": "code", "text": "print(1)"}
    conversation = one_chatgpt(
        said("user", "compute"), call, said("tool", "1"), said("assistant", "It is 1.")
    )
    assert [m.content for m in conversation.messages] == ["compute", "It is 1."]
    assert dict(conversation.skipped) == {"tool": 2}


def test_chatgpt_hidden_and_reasoning_and_empty_messages_are_counted() -> None:
    hidden = said(
        "user", "custom instructions", metadata={"is_visually_hidden_from_conversation": True}
    )
    thoughts = said("assistant")
    thoughts["content"] = {"content_type": "thoughts", "thoughts": [{"content": "hmm"}]}
    conversation = one_chatgpt(
        hidden, said("user", "Q"), thoughts, said("assistant", ""), said("assistant", "A")
    )
    assert [m.content for m in conversation.messages] == ["Q", "A"]
    assert dict(conversation.skipped) == {"empty": 1, "hidden": 1, "reasoning": 1}


def test_chatgpt_conversation_id_falls_back_to_id() -> None:
    conversation = one_chatgpt(said("user", "hi"), conversation_id=None, id="abc-123")
    assert conversation.source_id == "abc-123"


def test_chatgpt_message_over_100000_characters_is_yielded_whole() -> None:
    long = "x" * 150_000
    conversation = one_chatgpt(said("user", "paste"), said("assistant", long))
    assert conversation.messages[1].content == long


def test_chatgpt_cycle_in_the_mapping_is_refused_naming_the_conversation() -> None:
    item = chatgpt_conversation(said("user", "a"), said("assistant", "b"))
    item["mapping"]["root"]["parent"] = "n2"  # n2 -> n1 -> root -> n2
    assert chatgpt_refusal(item) == (
        "conversations.json: conversation 1 (.[0]), id 'conv-1', "
        "mapping has a cycle through node 'n2'"
    )


def test_chatgpt_parent_missing_from_the_mapping_is_refused() -> None:
    item = chatgpt_conversation(said("user", "a"), said("assistant", "b"))
    del item["mapping"]["n1"]
    assert "mapping has no node 'n1'" in chatgpt_refusal(item)


def test_chatgpt_current_node_missing_from_the_mapping_is_refused() -> None:
    item = chatgpt_conversation(said("user", "a"), current_node="gone")
    assert "current_node 'gone' is not in its mapping" in chatgpt_refusal(item)


def test_chatgpt_without_a_current_node_is_refused_in_plain_words() -> None:
    item = chatgpt_conversation(said("user", "a"))
    del item["current_node"]
    assert "has no current_node (the message it ends at)" in chatgpt_refusal(item)
    item["current_node"] = None
    assert "current_node null is not in its mapping" in chatgpt_refusal(item)


def test_chatgpt_time_that_is_not_a_time_is_refused() -> None:
    item = chatgpt_conversation(said("user", "a", time=1e20))
    assert "message 'n1': 1e+20 is not a time" in chatgpt_refusal(item)


def test_chatgpt_time_of_5001_digits_is_said_to_be_too_long_a_number() -> None:
    """Python refuses to convert such an integer, with advice about its own settings
    (sys.set_int_max_str_digits) that was passed on to the user word for word."""
    text = json.dumps([chatgpt_conversation(said("user", "a"))])
    text = text.replace('"create_time": 1700000000.0', '"create_time": ' + "9" * 5001, 1)
    with pytest.raises(InvalidInput) as caught:
        read_chatgpt(text.encode())
    assert caught.value.message == (
        "conversations.json: element 1 (.[0]) holds a number of 5001 digits, too large to keep"
    )


@pytest.mark.parametrize("time", [253_402_300_799.0, 253_402_214_400.0])
def test_chatgpt_time_at_the_calendars_end_is_refused_as_out_of_range(time: float) -> None:
    """A zone ahead of UTC shows 9999-12-31 23:59 as year 10000: every list, show and
    search in it would fail on the message long after the import."""
    item = chatgpt_conversation(said("user", "a", time=time))
    assert "is out of range (a time between 0001-01-02 and 9999-12-30)" in chatgpt_refusal(item)


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+05:00"])
def test_claude_time_at_the_calendars_end_is_refused_as_out_of_range(at: str) -> None:
    message = {"uuid": "m-1", "sender": "human", "text": "hi", "created_at": at}
    with pytest.raises(InvalidInput) as caught:
        one_claude(message)
    assert "created_at: " in str(caught.value)
    assert "is out of range" in str(caught.value)


def test_chatgpt_export_that_is_not_an_array_is_refused() -> None:
    with pytest.raises(InvalidInput, match="expected a JSON array"):
        read_chatgpt(json.dumps(chatgpt_conversation()).encode())


# --- Claude -------------------------------------------------------------------------


def read_claude(data: bytes | Path) -> list[ImportedConversation]:
    raw = data.read_bytes() if isinstance(data, Path) else data
    return list(claude.read(io.BytesIO(raw), "conversations.json"))


def claude_message(sender: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "uuid": f"m-{sender}-{len(text)}",
        "sender": sender,
        "text": text,
        "content": [{"type": "text", "text": text}],
        "created_at": "2024-05-18T09:12:04Z",
        **extra,
    }


def one_claude(*messages: dict[str, Any], **fields: Any) -> ImportedConversation:
    item: dict[str, Any] = {"uuid": "c-1", "name": "Test", "created_at": "2024-05-18T09:12:03Z"}
    item.update(chat_messages=list(messages), **fields)
    (conversation,) = read_claude(json.dumps([item]).encode())
    return conversation


def test_claude_fixture_gives_each_conversation_with_its_messages() -> None:
    assert summary(read_claude(CLAUDE_EXPORT)) == [
        ("0b7c2f9e-51d4-4e8a-9a63-2f8e1c4d7b10", 4, {"reasoning": 1}),
        ("7e4d1a2b-9c8f-4b3a-a6d5-1f0e2c3b4a20", 2, {"non-text": 1}),
    ]


def test_claude_human_is_the_user_and_ids_are_the_uuids() -> None:
    hike, _ = read_claude(CLAUDE_EXPORT)
    assert hike.source == "claude"
    assert hike.title == "Packing list for a weekend hike"
    assert [(m.source_id[:8], m.role) for m in hike.messages] == [
        ("a3f1c0de", "user"),
        ("b4e2d1ef", "assistant"),
        ("c5f3e2a0", "user"),
        ("d6a4f3b1", "assistant"),
    ]


def test_claude_text_only_in_content_blocks_is_read_from_them() -> None:
    hike, _ = read_claude(CLAUDE_EXPORT)
    assert hike.messages[3].content.startswith("A sleeping-bag liner (most huts require one)")


def test_claude_two_messages_with_one_uuid_are_refused_naming_both() -> None:
    # A message is known by its uuid: the database refused the second with a bare
    # UNIQUE constraint error, naming neither the file nor the messages.
    first = claude_message("human", "one", uuid="same")
    second = claude_message("assistant", "two", uuid="same")
    with pytest.raises(InvalidInput) as refused:
        one_claude(first, second)
    assert str(refused.value) == (
        "conversations.json: conversation 1 (.[0]), uuid 'c-1', message 2 "
        "(.chat_messages[1]) has the same uuid as message 1 (.chat_messages[0]): 'same'"
    )


def test_chatgpt_two_messages_with_one_id_are_refused_naming_both() -> None:
    # As for Claude: the database refused the second with a bare UNIQUE error.
    with pytest.raises(InvalidInput) as refused:
        one_chatgpt(said("user", "one", id="same"), said("assistant", "two", id="same"))
    assert str(refused.value) == (
        "conversations.json: conversation 1 (.[0]), id 'conv-1', message 'n2' has the same "
        "id as message 'n1': 'same'"
    )


def test_claude_empty_name_is_no_title() -> None:
    _, agenda = read_claude(CLAUDE_EXPORT)
    assert agenda.title is None


def test_claude_times_with_an_offset_or_microseconds_become_utc() -> None:
    hike, agenda = read_claude(CLAUDE_EXPORT)
    assert hike.messages[0].created_at == datetime(2024, 5, 18, 9, 12, 4, 101375, tzinfo=UTC)
    assert agenda.created_at == datetime(2024, 11, 2, 15, 40, 11, tzinfo=UTC)  # 16:40+01:00
    assert agenda.updated_at == datetime(2024, 11, 2, 15, 41, 2, 500000, tzinfo=UTC)


def test_claude_attached_file_listed_twice_counts_once() -> None:
    _, agenda = read_claude(CLAUDE_EXPORT)
    assert agenda.messages[0].content == "Turn these notes into a short agenda for Monday."
    assert agenda.skipped == {"non-text": 1}


def test_claude_tool_use_blocks_are_counted_beside_the_text() -> None:
    tool_use = {"type": "tool_use", "name": "web_search", "input": {"query": "x"}}
    answer = claude_message("assistant", "Found it.")
    answer["content"].insert(0, tool_use)
    conversation = one_claude(claude_message("human", "Search x"), answer)
    assert [m.content for m in conversation.messages] == ["Search x", "Found it."]
    assert dict(conversation.skipped) == {"tool": 1}


def test_claude_message_with_nothing_in_it_is_counted_empty() -> None:
    empty = claude_message("assistant", "", content=[])
    conversation = one_claude(claude_message("human", "hi"), empty)
    assert len(conversation.messages) == 1
    assert dict(conversation.skipped) == {"empty": 1}


def test_claude_message_without_uuid_is_refused_naming_it() -> None:
    broken = claude_message("human", "hi")
    del broken["uuid"]
    with pytest.raises(InvalidInput, match=r"message 1 \(\.chat_messages\[0\]\) has no uuid"):
        one_claude(broken)


def test_claude_time_that_is_not_iso_8601_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'yesterday' is not an ISO 8601 time"):
        one_claude(claude_message("human", "hi", created_at="yesterday"))


# --- llm logs.db ----------------------------------------------------------------------

Part = tuple[str, Any]  # ("text", "..."), ("reasoning", "..."), ("tool_call", name), ...
Message = tuple[str, Sequence[Part]]  # (role, parts)


class LogsDb:
    """A logs.db from the fixture schemas, with rows written the way llm writes them."""

    def __init__(self, path: Path, *, layout: str) -> None:
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.executescript((FIXTURES / "llm-0.31-schema.sql").read_text())
        if layout == "0.32":
            self.db.executescript((FIXTURES / "llm-0.32-schema.sql").read_text())

    def response(
        self,
        response_id: str,
        conversation_id: str | None,
        prompt: str | None,
        response: str,
        when: str,
        *,
        name: str | None = None,
        system: str | None = None,
        attachments: int = 0,
        fragments: int = 0,
    ) -> None:
        """One prompt and reply, as llm up to 0.31 logs them."""
        if conversation_id is not None:
            self.db.execute(
                "INSERT OR IGNORE INTO conversations (id, name, model)"
                " VALUES (?, ?, 'gpt-4o-mini')",
                (conversation_id, name),
            )
        self.db.execute(
            "INSERT INTO responses (id, model, prompt, system, response, conversation_id,"
            " duration_ms, datetime_utc) VALUES (?, 'gpt-4o-mini', ?, ?, ?, ?, 1234, ?)",
            (response_id, prompt, system, response, conversation_id, when),
        )
        for order in range(attachments):
            attachment_id = hashlib.sha256(f"{response_id}{order}".encode()).hexdigest()
            self.db.execute(
                "INSERT INTO attachments (id, type, path) VALUES (?, 'image/jpeg', '/tmp/cat.jpg')",
                (attachment_id,),
            )
            self.db.execute(
                'INSERT INTO prompt_attachments (response_id, attachment_id, "order")'
                " VALUES (?, ?, ?)",
                (response_id, attachment_id, order),
            )
        for order in range(fragments):
            fragment_id = self._fragment(f"# notes.md\n\nfragment {order} of {response_id}")
            self.db.execute(
                'INSERT INTO prompt_fragments (response_id, fragment_id, "order") VALUES (?, ?, ?)',
                (response_id, fragment_id, order),
            )

    def _fragment(self, content: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO fragments (hash, content, datetime_utc, source)"
            " VALUES (?, ?, ?, 'notes.md')",
            (hashlib.sha256(content.encode()).hexdigest(), content, "2026-08-10 18:00:00+00:00"),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def chain(self, messages: Sequence[Message], parent: str | None = None) -> str | None:
        """Messages stored as a chain (those already there are shared); the tip's hash."""
        for role, parts in messages:
            identity = json.dumps({"parent": parent, "role": role, "parts": parts}, sort_keys=True)
            message_hash = hashlib.sha256(identity.encode()).hexdigest()
            inserted = self.db.execute(
                "INSERT OR IGNORE INTO messages (hash, parent_hash, role) VALUES (?, ?, ?)",
                (message_hash, parent, role),
            ).rowcount
            for position, (kind, value) in enumerate(parts if inserted else ()):
                self._part(message_hash, position, kind, value)
            parent = message_hash
        return parent

    def _part(self, message_hash: str, position: int, kind: str, value: Any) -> None:
        text = value if kind in ("text", "reasoning") else None
        payload: str | None = None
        if kind == "text_ref":  # text that borrows a fragment
            kind, payload = "text", json.dumps({"text_ref": value})
        elif kind in ("tool_call", "tool_result"):
            payload = json.dumps({"name": value, "arguments": {}, "tool_call_id": "call_1"})
        elif kind == "attachment":
            payload = json.dumps({"attachment": {"id": "a1", "type": value}})
        self.db.execute(
            "INSERT INTO parts (message_hash, position, type, tool_name, text, payload)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                message_hash,
                position,
                kind,
                value if kind.startswith("tool") else None,
                text,
                payload,
            ),
        )

    def turn(
        self,
        turn_id: str,
        thread_id: str,
        *,
        inputs: Sequence[Message],
        outputs: Sequence[Message],
        when: str,
        after: str | None = None,
        name: str | None = None,
    ) -> str | None:
        """One model call, as llm 0.32 logs it; the thread's new tip."""
        parent = self.chain(inputs, after)
        tip = self.chain(outputs, parent)
        self.db.execute(
            "INSERT OR IGNORE INTO threads (id, name, datetime_utc) VALUES (?, ?, ?)",
            (thread_id, name, when.replace("T", " ")),
        )
        self.db.execute("UPDATE threads SET tip_message_hash = ? WHERE id = ?", (tip, thread_id))
        self.db.execute(
            "INSERT INTO turns (id, thread_id, parent_message_hash, tip_message_hash, model,"
            " duration_ms, datetime_utc) VALUES (?, ?, ?, ?, 'gpt-4o-mini', 900, ?)",
            (turn_id, thread_id, parent, tip, when),
        )
        # turn_search: the prompt message's literal text and the reply's text.
        role, parts = inputs[-1]
        prompt = "".join(_literal(kind, value) for kind, value in parts) if role == "user" else ""
        reply = "".join(
            _literal(kind, value) for r, ps in outputs if r == "assistant" for kind, value in ps
        )
        if prompt or reply:
            self.db.execute(
                "INSERT INTO turn_search (turn_id, prompt, response) VALUES (?, ?, ?)",
                (turn_id, prompt, reply),
            )
        return tip

    def close(self) -> Path:
        self.db.commit()
        self.db.close()
        return self.path


def _literal(kind: str, value: Any) -> str:
    if kind == "text":
        return str(value)
    if kind == "text_ref":
        return "".join(piece.get("literal", "") for piece in value)
    return ""


def user(text: str) -> Message:
    return ("user", [("text", text)])


def assistant(*parts: Part | str) -> Message:
    return ("assistant", [("text", part) if isinstance(part, str) else part for part in parts])


# Ids are ULIDs, lower case, as llm writes them; they sort by time.
C_NOTES, R_NOTES = "01h7x2v9k8j7h6g5f4e3d2c1b0", "01h7x2v9kbqbqbqbqbqbqbqbqb"
C_REGEX, R_REGEX_1, R_REGEX_2 = (
    "01hzx3k0d9f3q2m4n5p6r7s8t0",
    "01hzx3k0dbq8w1e2r3t4y5u6i7",
    "01hzx3m7a1b2c3d4e5f6g7h8j9",
)
C_PHOTO, R_PHOTO = "01j2b3c4d5e6f7g8h9j0k1m2n3", "01j2b3c4d5e6f7g8h9j0k1m2n4"
C_PING, R_PING = "01j3c4d5e6f7g8h9j0k1m2n3p4", "01j3c4d5e6f7g8h9j0k1m2n3p5"


def build_old_layout(path: Path) -> Path:
    """A logs.db written by llm 0.31: four conversations, one of them with two calls."""
    logs = LogsDb(path, layout="0.31")
    # An older llm wrote times without an offset (UTC).
    logs.response(
        R_NOTES, C_NOTES, "Summarize this file in one sentence",
        "It lists what to pack for a two-day hike.", "2023-08-14T19:25:03.918219",
        name="Summarize this file in one sentence", fragments=1,
    )  # fmt: skip
    logs.response(
        R_REGEX_1, C_REGEX, "Write a regex that matches ISO 8601 dates", r"\d{4}-\d{2}-\d{2}",
        "2024-06-01T10:00:00.123456+00:00", name="Regex for ISO dates",
        system="Answer with the regex only.",
    )  # fmt: skip
    logs.response(
        R_REGEX_2, C_REGEX, "And with an optional time?",
        r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?", "2024-06-01T10:01:30.500000+00:00",
    )  # fmt: skip
    logs.response(
        R_PHOTO, C_PHOTO, None, "A grey cat asleep on a windowsill.",
        "2024-09-09T08:00:00+00:00", name="", attachments=1,
    )  # fmt: skip
    logs.response(R_PING, C_PING, "ping", "", "2024-10-10T10:10:10+00:00", name="ping")
    return logs.close()


T_HAIKU, TURN_HAIKU_1, TURN_HAIKU_2 = (
    "01k2a0b1c2d3e4f5g6h7j8k9m0",
    "01k2a0b1c2d3e4f5g6h7j8k9m1",
    "01k2a0b1c2d3e4f5g6h7j8k9m2",
)
T_TOKYO, TURN_TOKYO_1, TURN_TOKYO_2 = (
    "01k2b0b1c2d3e4f5g6h7j8k9m0",
    "01k2b0b1c2d3e4f5g6h7j8k9m1",
    "01k2b0b1c2d3e4f5g6h7j8k9m2",
)
T_SCRIPT, TURN_SCRIPT = "01k2c0b1c2d3e4f5g6h7j8k9m0", "01k2c0b1c2d3e4f5g6h7j8k9m1"
HAIKU_AUTUMN = "Crisp leaves underfoot\nthe maple lets go of red\nsmoke from a chimney"


def build_new_layout(path: Path) -> Path:
    """A logs.db written by llm 0.32: three threads (a system prompt, tools, a fragment)."""
    logs = LogsDb(path, layout="0.32")
    tip = logs.turn(
        TURN_HAIKU_1, T_HAIKU, name="Haiku about autumn", when="2026-08-10T18:00:00.500000+00:00",
        inputs=[("system", [("text", "You write haiku.")]), user("A haiku about autumn, please")],
        outputs=[assistant(("reasoning", "Five, seven, five."), HAIKU_AUTUMN)],
    )  # fmt: skip
    logs.turn(
        TURN_HAIKU_2, T_HAIKU, after=tip, when="2026-08-10T18:02:11.250000+00:00",
        inputs=[user("Now one about winter")],
        outputs=[assistant("Still pond, white breath\nfootprints end where the snow does")],
    )  # fmt: skip
    tip = logs.turn(
        TURN_TOKYO_1, T_TOKYO, name="What time is it in Tokyo?", when="2026-08-10T19:00:00+00:00",
        inputs=[user("What time is it in Tokyo?")],
        outputs=[assistant(("tool_call", "local_time"))],
    )  # fmt: skip
    logs.turn(
        TURN_TOKYO_2, T_TOKYO, after=tip, when="2026-08-10T19:00:02+00:00",
        inputs=[("tool", [("tool_result", "local_time")])],
        outputs=[assistant("It is 21:04 in Tokyo.")],
    )  # fmt: skip
    script = [{"fragment": 1}, {"literal": "\nWhat does this script do?"}]
    logs.turn(
        TURN_SCRIPT, T_SCRIPT, name="What does this script do?", when="2026-08-10T20:00:00+00:00",
        inputs=[("user", [("text_ref", script), ("attachment", "image/png")])],
        outputs=[assistant("It renames photos by the date they were taken.")],
    )  # fmt: skip
    return logs.close()


C_LISBON, R_LISBON_1, R_LISBON_2, TURN_LISBON = (
    "01hq1a2b3c4d5e6f7g8h9j0k1m",
    "01hq1a2b3c4d5e6f7g8h9j0k1n",
    "01hq1a2b3c4d5e6f7g8h9j0k1p",
    "01k3a2b3c4d5e6f7g8h9j0k1m2",
)
C_UNITS, R_UNITS = "01hr5a2b3c4d5e6f7g8h9j0k1m", "01hr5a2b3c4d5e6f7g8h9j0k1n"
T_GREETING, TURN_GREETING = "01k9a2b3c4d5e6f7g8h9j0k1m2", "01k9a2b3c4d5e6f7g8h9j0k1m3"
LISBON = [
    ("Plan two days in Lisbon", "Day 1: Alfama and the castle. Day 2: Belém."),
    ("Where should we eat?", "Try a tasca in Mouraria."),
]


def build_mixed(path: Path) -> Path:
    """A logs.db used with 0.31, then upgraded to 0.32 and one conversation continued."""
    logs = LogsDb(path, layout="0.32")
    times = ("2024-03-02T09:00:00+00:00", "2024-03-02T09:05:00+00:00")
    for (prompt, reply), response_id, when in zip(
        LISBON, (R_LISBON_1, R_LISBON_2), times, strict=True
    ):
        logs.response(response_id, C_LISBON, prompt, reply, when, name="Weekend in Lisbon")
    logs.response(R_UNITS, C_UNITS, "How many grams in an ounce?", "About 28.35 g.",
                  "2024-04-01T12:00:00+00:00", name="How many grams in an ounce?")  # fmt: skip
    # `llm -c` on the old conversation: 0.32 re-sends the history rebuilt from
    # the old rows, which the message store keeps as the chain before the turn.
    history = logs.chain([m for prompt, reply in LISBON for m in (user(prompt), assistant(reply))])
    logs.turn(
        TURN_LISBON, C_LISBON, after=history, name="And if it rains?",
        when="2026-08-11T12:00:00+00:00", inputs=[user("And if it rains?")],
        outputs=[assistant("The tile museum and the Gulbenkian.")],
    )  # fmt: skip
    logs.turn(
        TURN_GREETING, T_GREETING, name="Translate", when="2026-08-11T13:00:00+00:00",
        inputs=[user("Translate 'good morning' into Portuguese")], outputs=[assistant("Bom dia.")],
    )  # fmt: skip
    # A pre-release 0.32 wrote each call to both layouts, with the same id.
    logs.response(TURN_GREETING, T_GREETING, "Translate 'good morning' into Portuguese",
                  "Bom dia.", "2026-08-11T13:00:00+00:00", name="Translate")  # fmt: skip
    return logs.close()


@pytest.fixture
def old_logs(tmp_path: Path) -> Path:
    return build_old_layout(tmp_path / "logs.db")


@pytest.fixture
def new_logs(tmp_path: Path) -> Path:
    return build_new_layout(tmp_path / "logs.db")


@pytest.fixture
def mixed_logs(tmp_path: Path) -> Path:
    return build_mixed(tmp_path / "logs.db")


def read_llm(path: Path) -> list[ImportedConversation]:
    return list(llm.read(path))


def messages_of(conversation: ImportedConversation) -> list[tuple[str, str, str]]:
    return [(m.source_id, m.role, m.content) for m in conversation.messages]


def test_llm_old_layout_conversations_and_counts(old_logs: Path) -> None:
    assert summary(read_llm(old_logs)) == [
        (C_NOTES, 2, {"fragment": 1}),
        (C_REGEX, 4, {"system": 1}),
        (C_PHOTO, 1, {"non-text": 1}),
        (C_PING, 1, {"empty": 1}),
    ]


def test_llm_old_layout_rows_become_user_and_assistant_messages(old_logs: Path) -> None:
    regex = read_llm(old_logs)[1]
    assert regex.source == "llm"
    assert regex.title == "Regex for ISO dates"
    assert messages_of(regex) == [
        (f"{R_REGEX_1}:prompt", "user", "Write a regex that matches ISO 8601 dates"),
        (f"{R_REGEX_1}:response", "assistant", r"\d{4}-\d{2}-\d{2}"),
        (f"{R_REGEX_2}:prompt", "user", "And with an optional time?"),
        (f"{R_REGEX_2}:response", "assistant", r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?"),
    ]
    assert [m.created_at for m in regex.messages] == [
        at("2024-06-01T10:00:00.123456Z"),
        at("2024-06-01T10:00:00.123456Z"),
        at("2024-06-01T10:01:30.5Z"),
        at("2024-06-01T10:01:30.5Z"),
    ]
    assert regex.created_at == at("2024-06-01T10:00:00.123456Z")
    assert regex.updated_at == at("2024-06-01T10:01:30.5Z")


def test_llm_time_without_an_offset_is_utc(old_logs: Path) -> None:
    notes = read_llm(old_logs)[0]
    assert notes.messages[0].created_at == datetime(2023, 8, 14, 19, 25, 3, 918219, tzinfo=UTC)


def test_llm_prompt_of_only_an_attachment_gives_just_the_response(old_logs: Path) -> None:
    photo = read_llm(old_logs)[2]
    assert photo.title is None
    assert messages_of(photo) == [
        (f"{R_PHOTO}:response", "assistant", "A grey cat asleep on a windowsill.")
    ]


def test_llm_new_layout_conversations_and_counts(new_logs: Path) -> None:
    assert summary(read_llm(new_logs)) == [
        (T_HAIKU, 4, {"reasoning": 1, "system": 1}),
        (T_TOKYO, 2, {"tool": 2}),
        (T_SCRIPT, 2, {"fragment": 1, "non-text": 1}),
    ]


def test_llm_new_layout_turns_become_prompt_and_response(new_logs: Path) -> None:
    haiku = read_llm(new_logs)[0]
    assert haiku.title == "Haiku about autumn"
    assert messages_of(haiku) == [
        (f"{TURN_HAIKU_1}:prompt", "user", "A haiku about autumn, please"),
        (f"{TURN_HAIKU_1}:response", "assistant", HAIKU_AUTUMN),
        (f"{TURN_HAIKU_2}:prompt", "user", "Now one about winter"),
        (
            f"{TURN_HAIKU_2}:response",
            "assistant",
            "Still pond, white breath\nfootprints end where the snow does",
        ),
    ]
    assert haiku.messages[2].created_at == at("2026-08-10T18:02:11.25Z")


def test_llm_tool_loop_gives_the_question_and_the_final_answer(new_logs: Path) -> None:
    tokyo = read_llm(new_logs)[1]
    assert messages_of(tokyo) == [
        (f"{TURN_TOKYO_1}:prompt", "user", "What time is it in Tokyo?"),
        (f"{TURN_TOKYO_2}:response", "assistant", "It is 21:04 in Tokyo."),
    ]


def test_llm_fragment_is_left_out_of_the_typed_prompt(new_logs: Path) -> None:
    script = read_llm(new_logs)[2]
    assert script.messages[0].content == "What does this script do?"


def test_llm_continued_conversation_is_one_conversation_without_repeats(mixed_logs: Path) -> None:
    lisbon = read_llm(mixed_logs)[0]
    assert lisbon.source_id == C_LISBON
    assert lisbon.title == "Weekend in Lisbon"  # the old name, not the thread's
    assert [(m.source_id, m.content) for m in lisbon.messages] == [
        (f"{R_LISBON_1}:prompt", "Plan two days in Lisbon"),
        (f"{R_LISBON_1}:response", "Day 1: Alfama and the castle. Day 2: Belém."),
        (f"{R_LISBON_2}:prompt", "Where should we eat?"),
        (f"{R_LISBON_2}:response", "Try a tasca in Mouraria."),
        (f"{TURN_LISBON}:prompt", "And if it rains?"),
        (f"{TURN_LISBON}:response", "The tile museum and the Gulbenkian."),
    ]
    assert lisbon.created_at == at("2024-03-02T09:00:00Z")
    assert lisbon.updated_at == at("2026-08-11T12:00:00Z")


def test_llm_mixed_file_gives_old_new_and_continued_conversations(mixed_logs: Path) -> None:
    assert summary(read_llm(mixed_logs)) == [
        (C_LISBON, 6, {}),
        (C_UNITS, 2, {}),
        (T_GREETING, 2, {}),
    ]


def test_llm_call_written_to_both_layouts_is_read_once_from_its_turn(mixed_logs: Path) -> None:
    greeting = read_llm(mixed_logs)[2]
    assert [m.source_id for m in greeting.messages] == [
        f"{TURN_GREETING}:prompt",
        f"{TURN_GREETING}:response",
    ]


def test_llm_new_layout_without_the_message_store_reads_turn_search(new_logs: Path) -> None:
    with sqlite3.connect(new_logs) as db:
        db.execute("DROP TABLE parts")
        db.execute("DROP TABLE messages")
    haiku, tokyo, script = read_llm(new_logs)
    assert [m.content for m in haiku.messages] == [
        "A haiku about autumn, please",
        HAIKU_AUTUMN,
        "Now one about winter",
        "Still pond, white breath\nfootprints end where the snow does",
    ]
    assert [m.source_id for m in tokyo.messages] == [
        f"{TURN_TOKYO_1}:prompt",
        f"{TURN_TOKYO_2}:response",
    ]
    assert script.messages[0].content == "\nWhat does this script do?"


def test_llm_old_layout_needs_only_the_responses_table(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE responses (id TEXT PRIMARY KEY, prompt TEXT, system TEXT,"
            " response TEXT, conversation_id TEXT, datetime_utc TEXT)"
        )
        db.execute(
            "INSERT INTO responses VALUES ('r1', 'hi', NULL, 'hello', 'c1', '2024-01-01T00:00:00')"
        )
    (only,) = read_llm(path)
    assert (only.source_id, only.title, [m.content for m in only.messages]) == (
        "c1",
        None,
        ["hi", "hello"],
    )


def test_llm_response_without_a_conversation_is_its_own(tmp_path: Path) -> None:
    logs = LogsDb(tmp_path / "logs.db", layout="0.31")
    logs.response("r1", None, "alone", "yes", "2024-01-01T00:00:00+00:00")
    (only,) = read_llm(logs.close())
    assert only.source_id == "r1"
    assert [m.source_id for m in only.messages] == ["r1:prompt", "r1:response"]


def test_llm_call_without_a_time_takes_the_one_before(tmp_path: Path) -> None:
    logs = LogsDb(tmp_path / "logs.db", layout="0.31")
    logs.response("r1", "c1", "one", "1", "2024-01-01T00:00:00+00:00")
    logs.response("r2", "c1", "two", "2", "")
    (conversation,) = read_llm(logs.close())
    assert {m.created_at for m in conversation.messages} == {at("2024-01-01T00:00:00Z")}


def logs_with_bytes(path: Path, column: str, stored: str) -> Path:
    """Three calls, the second's ``column`` the bytes A, 0xFF, B stored as ``stored``."""
    logs = LogsDb(path, layout="0.31")
    logs.response("r1", "c1", "one", "1", "2024-01-01T00:00:00+00:00")
    logs.response("r2", "c1", "two", "2", "2024-01-01T00:01:00+00:00", system="Be brief.")
    logs.response("r3", "c1", "three", "3", "2024-01-01T00:02:00+00:00")
    with sqlite3.connect(logs.close()) as db:
        db.execute(f"UPDATE responses SET {column} = CAST(X'41FF42' AS {stored}) WHERE id = 'r2'")
    db.close()
    return path


@pytest.mark.parametrize(
    ("column", "stored"),
    [
        ("prompt", "TEXT"),
        ("system", "TEXT"),
        ("response", "TEXT"),
        ("prompt", "BLOB"),
        ("response", "BLOB"),
    ],
)
def test_llm_text_that_is_not_utf8_is_named_by_its_response_and_column(
    tmp_path: Path, column: str, stored: str
) -> None:
    """As TEXT, sqlite3 refuses it while making the row, before its id is known: the
    whole file was blamed ("logs.db holds text that is not valid UTF-8")."""
    path = logs_with_bytes(tmp_path / "logs.db", column, stored)
    with pytest.raises(InvalidInput) as caught:
        read_llm(path)
    assert caught.value.message == (
        f"{path}: response 'r2' {column} holds text that is not valid UTF-8"
    )


def test_llm_part_text_that_is_not_utf8_is_named_by_its_message_and_part(new_logs: Path) -> None:
    with sqlite3.connect(new_logs) as db:
        (message_hash,) = db.execute(
            "SELECT message_hash FROM parts WHERE text = ?", (HAIKU_AUTUMN,)
        ).fetchone()
        db.execute(
            "UPDATE parts SET text = CAST(X'41FF42' AS TEXT) WHERE text = ?", (HAIKU_AUTUMN,)
        )
    db.close()
    with pytest.raises(InvalidInput) as caught:
        read_llm(new_logs)
    assert caught.value.message == (
        f"{new_logs}: message {message_hash!r} part 1 text holds text that is not valid UTF-8"
    )


def break_script_turn(logs: Path, *, parent_from: str, cycle: bool = False) -> None:
    """Point the script turn's prompt at another turn's (and close its chain in a loop)."""
    with sqlite3.connect(logs) as db:
        (elsewhere,) = db.execute(
            "SELECT parent_message_hash FROM turns WHERE id = ?", (parent_from,)
        ).fetchone()
        (prompt, tip) = db.execute(
            "SELECT parent_message_hash, tip_message_hash FROM turns WHERE id = ?", (TURN_SCRIPT,)
        ).fetchone()
        db.execute(
            "UPDATE turns SET parent_message_hash = ? WHERE id = ?", (elsewhere, TURN_SCRIPT)
        )
        if cycle:
            db.execute("UPDATE messages SET parent_hash = ? WHERE hash = ?", (tip, prompt))


def test_llm_turn_whose_answer_does_not_lead_back_to_its_prompt_is_refused(
    new_logs: Path,
) -> None:
    break_script_turn(new_logs, parent_from=TURN_HAIKU_1)
    with pytest.raises(InvalidInput, match=f"turn '{TURN_SCRIPT}': its messages do not lead back"):
        read_llm(new_logs)


def test_llm_cycle_in_the_message_chain_is_refused_not_followed(new_logs: Path) -> None:
    break_script_turn(new_logs, parent_from=TURN_HAIKU_1, cycle=True)
    with pytest.raises(InvalidInput, match=f"turn '{TURN_SCRIPT}': its messages form a cycle"):
        read_llm(new_logs)


def test_llm_turn_naming_a_message_that_is_not_there_is_refused(new_logs: Path) -> None:
    with sqlite3.connect(new_logs) as db:
        db.execute("UPDATE turns SET tip_message_hash = 'gone' WHERE id = ?", (TURN_SCRIPT,))
    with pytest.raises(InvalidInput, match="message 'gone' is missing"):
        read_llm(new_logs)


def test_llm_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    path.write_text("[]")
    with pytest.raises(InvalidInput, match=r"is not an llm logs database \(it is not SQLite\)"):
        read_llm(path)


def damaged_schema(path: Path) -> Path:
    """An SQLite file whose schema holds a table name that is not UTF-8 (damaged bytes):
    SQLite's "malformed database schema (NAME)" then quotes them."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE responses(id, prompt)")
    db.close()
    data = path.read_bytes()
    data = data.replace(b"responsesresponses", b"respons\xd9sresponses")
    data = data.replace(
        b"CREATE TABLE responses(id, prompt)", b"CREATE TABLE responses(id, pr\xd9mpt "
    )
    path.write_bytes(data)
    return path


# sqlite3 could not decode SQLite's message, and its UnicodeDecodeError was "a bug".
def test_llm_file_with_a_damaged_schema_is_refused_by_name(tmp_path: Path) -> None:
    path = damaged_schema(tmp_path / "logs.db")
    with pytest.raises(InvalidInput) as refused:
        read_llm(path)
    assert refused.value.message == (
        f"{path}: cannot read it as a database: malformed database schema (respons\\xd9s)"
    )


def test_llm_sqlite_file_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "todo.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY)")
    with pytest.raises(InvalidInput, match="neither a responses nor a turns table"):
        read_llm(path)


def test_llm_table_without_a_column_it_needs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE responses (id TEXT, prompt TEXT)")
    with pytest.raises(InvalidInput, match="its responses table has no system column"):
        read_llm(path)


def test_llm_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_llm(tmp_path / "nope.db")


# --- llm: the user's file is never changed --------------------------------------------


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_llm_reading_changes_no_byte_mtime_or_file_beside_it(tmp_path: Path, journal: str) -> None:
    path = build_mixed(tmp_path / "logs.db")
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA journal_mode = {journal}")
    # Closing the last connection checkpoints the WAL and removes -wal and -shm.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs.db"]
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # an mtime a write would move
    before = snapshot(tmp_path)
    assert len(read_llm(path)) == 3
    assert snapshot(tmp_path) == before


def test_llm_reads_rows_still_in_the_wal_file(tmp_path: Path) -> None:
    path = build_old_layout(tmp_path / "logs.db")
    writer = sqlite3.connect(path)
    try:
        writer.execute("PRAGMA journal_mode = wal")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute(
            "INSERT INTO responses (id, prompt, response, conversation_id, datetime_utc)"
            " VALUES ('01zz', 'fresh', 'in the wal', '01zz', '2026-01-01T00:00:00+00:00')"
        )
        writer.commit()
        assert Path(f"{path}-wal").stat().st_size > 0
        assert read_llm(path)[-1].messages[1].content == "in the wal"
    finally:
        writer.close()


def test_llm_path_with_spaces_and_uri_characters_is_the_file_read(tmp_path: Path) -> None:
    directory = tmp_path / "my logs?mode=rw#1"
    directory.mkdir()
    path = build_old_layout(directory / "logs 100%.db")
    assert len(read_llm(path)) == 4


# --- detection --------------------------------------------------------------------------


def write(tmp_path: Path, data: bytes | str) -> Path:
    path = tmp_path / "input.json"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_detect_tells_the_fixtures_apart(old_logs: Path) -> None:
    assert chats.detect(CHATGPT_EXPORT) == "chatgpt"
    assert chats.detect(CLAUDE_EXPORT) == "claude"
    assert chats.detect(old_logs) == "llm"


@pytest.mark.parametrize(
    "data",
    [
        '[{"role": "user", "content": "hi"}]',
        "[]",
        '{"title": "t", "messages": []}',
        '{"role": "user", "content": "a"}\n{"role": "assistant", "content": "b"}\n',
        '\ufeff [{"content": "no role yet"}]',
    ],
)
def test_detect_sees_a_transcript(tmp_path: Path, data: str) -> None:
    assert chats.detect(write(tmp_path, data)) == "transcript"


def test_detect_refuses_an_array_of_something_else_naming_the_formats(tmp_path: Path) -> None:
    path = write(tmp_path, '[{"uuid": "x", "description": "a task", "status": "pending"}]')
    with pytest.raises(InvalidInput) as caught:
        chats.detect(path)
    assert "is not a chat log this reads" in caught.value.message
    assert caught.value.hint is not None
    assert "ChatGPT" in caught.value.hint
    assert "--format" in caught.value.hint


def test_detect_refuses_a_first_element_that_fits_two_formats(tmp_path: Path) -> None:
    both = {"mapping": {}, "current_node": "x", "chat_messages": [], "uuid": "u"}
    with pytest.raises(InvalidInput, match="looks like both chatgpt and claude"):
        chats.detect(write(tmp_path, json.dumps([both])))


@pytest.mark.parametrize(
    ("data", "message"),
    [("", "is empty"), (" \n", "is empty"), ("hello", "it is not JSON"), (b"[\xff]", "UTF-8")],
)
def test_detect_refuses_what_is_no_format(tmp_path: Path, data: str | bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        chats.detect(write(tmp_path, data))


def test_detect_of_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        chats.detect(tmp_path / "nope.json")


# --- transcripts ------------------------------------------------------------------------

MESSAGE = {"role": "user", "content": "hi"}


@pytest.mark.parametrize(
    ("text", "title", "count"),
    [
        pytest.param(json.dumps([MESSAGE, MESSAGE]), None, 2, id="array"),
        pytest.param(f"\n{json.dumps(MESSAGE)}\r\n\n{json.dumps(MESSAGE)}", None, 2, id="lines"),
        pytest.param(json.dumps({"title": "t", "messages": [MESSAGE]}), "t", 1, id="one-line"),
        pytest.param(
            json.dumps({"title": "t", "messages": [MESSAGE]}, indent=2), "t", 1, id="pretty"
        ),
        pytest.param('\n{"title": "t",\n "messages": [\n]}', "t", 0, id="lines-of-one-object"),
        pytest.param(json.dumps(MESSAGE, indent=1), None, 1, id="one-message"),
    ],
)
def test_a_transcript_is_read_in_each_shape(text: str, title: str | None, count: int) -> None:
    read = transcript.read(io.BytesIO(text.encode()), "chat.json", None)
    assert (read.conversation.title, len(read.messages)) == (title, count)


TOO_LARGE = "it is too large to import; nothing was imported"


@pytest.mark.parametrize(
    ("head", "filler", "says", "within"),
    [
        pytest.param(
            b'{"role": "user", "content": "hi"}\n{"role": "user", "content": "hi"',
            b" ",
            "chat.json: line 2 is longer than 8 MiB",
            10 * MiB,
            id="a-line",
        ),
        pytest.param(
            b'{"title": "t"',
            b" ",
            "chat.json: line 1 is longer than 8 MiB",
            10 * MiB,
            id="an-object-on-one-line",
        ),
        pytest.param(
            b'{\n  "title": "t",\n',
            b" " * 63 + b"\n",
            "chat.json is larger than 32 MiB",
            34 * MiB,
            id="an-object-over-many-lines",
        ),
        pytest.param(
            b'[{"role": "user", "content": "hi"}, {"role": "user", "content": "hi"',
            b" ",
            "chat.json: element 2 (.[1]), starting on line 1, is larger than 32 MiB",
            # jsonstream reads as much again as it holds of an element (see _Source.fill).
            64 * MiB,
            id="an-element-after-the-first",
        ),
    ],
)
def test_a_transcript_piece_past_its_limit_is_refused_before_it_is_all_read(
    head: bytes, filler: bytes, says: str, within: int
) -> None:
    """The limits of every import, which a transcript did not have: a line of JSON
    Lines, an object, a later element were read whole however large (a 150 MB line
    was imported, at 350 MB of memory)."""
    stream = Endless(head, filler)  # no end: only a refusal stops the reading
    with pytest.raises(InvalidInput) as caught:
        transcript.read(stream, "chat.json", None)
    assert (caught.value.message, caught.value.hint) == (says, TOO_LARGE)
    assert stream.read_bytes <= within


def test_a_transcript_of_small_lines_is_bounded_as_a_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every message is held until the import writes them all: the file is bounded too."""
    monkeypatch.setattr(transcript, "MAX_WHOLE_INPUT", 2 * MiB)
    # 64 bytes a line, so that each MiB the stream gives ends at the end of one.
    stream = Endless(b"", b'{"role": "user", "content": "hi"}'.ljust(63) + b"\n")
    with pytest.raises(InvalidInput) as caught:
        transcript.read(stream, "chat.json", None)
    assert (caught.value.message, caught.value.hint) == (
        "chat.json is larger than 2 MiB",
        "nothing was imported",
    )
    assert stream.read_bytes == 2 * MiB + 1


def test_broken_json_lines_past_32_mib_are_said_to_be_broken_not_too_large() -> None:
    """A first line that is not a whole value may start an object over many lines,
    read whole up to 32 MiB; a first line wrong before its end is JSON Lines broken."""
    stream = Endless(b'{"role": "user", "content": "hi"} oops\n', b"{}".ljust(63) + b"\n")
    with pytest.raises(InvalidInput) as caught:
        transcript.read(stream, "chat.json", None)
    assert caught.value.message == "chat.json is not JSON: Extra data at line 1 column 35"


# --- bounded memory ---------------------------------------------------------------------


def test_reading_a_20_mb_export_holds_one_conversation_not_the_file(tmp_path: Path) -> None:
    """A 200 MB export is measured by tests/perf_chat_import.py; the suite reads 20 MB."""
    export = perf_chat_import.write_export(tmp_path / "conversations.json", 20)
    baseline, _ = perf_chat_import.peak_rss(perf_chat_import.IMPORT_ONLY)
    peak, counts = perf_chat_import.peak_rss(perf_chat_import.READ, str(export.path))
    assert counts == [export.conversations, export.messages]
    # json.load of this file peaks near 180 MiB; one conversation at a time,
    # about the interpreter plus the largest conversation (a few MB) parsed.
    assert peak - baseline < 60, f"peak RSS {peak:.0f} MiB, baseline {baseline:.0f} MiB"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(True, "not true"), (None, None), ([1, 2], "not [1, 2]"), ("soon", "not 'soon'")],
)
def test_a_time_of_the_wrong_type_is_quoted_as_the_file_writes_it(
    value: object, shown: str | None
) -> None:
    """`true` in the file was quoted as Python's `True`, which a search of it misses."""
    from todo_cli.formats.chats import from_unix

    if shown is None:
        assert from_unix(value, "f.json: message 'b'") is None
        return
    with pytest.raises(InvalidInput) as caught:
        from_unix(value, "f.json: message 'b'")
    expected = f"f.json: message 'b': a time must be a number of seconds, {shown}"
    assert caught.value.message == expected
