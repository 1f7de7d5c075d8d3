"""New rows get time-ordered UUIDs (version 7), so indexes grow at their end."""

from __future__ import annotations

import time
from uuid import UUID

from tests.conftest import Todo, sql_rows
from todo_cli.domain.ids import new_id, new_ids, reference_ids


def _millis(value: UUID) -> int:
    return value.int >> 80


def test_an_id_is_a_version_7_uuid_stamped_with_the_millisecond_it_was_made() -> None:
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert made.version == 7
    assert made.variant == "specified in RFC 4122"
    assert before <= _millis(made) <= after


def test_a_batch_counts_up_within_one_millisecond_and_never_repeats() -> None:
    batch = new_ids(50_000, now_ms=1_764_547_200_000)
    assert all(_millis(each) == 1_764_547_200_000 for each in batch)
    # The counter lives in rand_b's 62 bits and carries into rand_a's 12.
    counters = [(b.int >> 64 & 0xFFF) << 62 | b.int & ((1 << 62) - 1) for b in batch]
    assert counters == list(range(counters[0], counters[0] + 50_000))
    assert batch == sorted(batch)
    assert len(set(batch)) == 50_000
    assert {each.version for each in batch} == {7}


def test_two_batches_of_the_same_millisecond_differ() -> None:
    one = new_ids(1_000, now_ms=5)
    two = new_ids(1_000, now_ms=5)
    assert not set(one) & set(two)


def test_the_random_part_starts_low_enough_never_to_carry_into_the_time() -> None:
    for _ in range(200):
        first = new_ids(1, now_ms=7)[0]
        counter = (first.int >> 64 & 0xFFF) << 62 | first.int & ((1 << 62) - 1)
        assert counter < 1 << 73


def test_reference_ids_are_random_version_4_uuids_each_its_own() -> None:
    batch = reference_ids(20_000)
    assert len(batch) == 20_000
    assert len(set(batch)) == 20_000
    assert {each.version for each in batch} == {4}
    assert {each.variant for each in batch} == {"specified in RFC 4122"}
    # Random, not counted: no run of neighbours sharing their first eight digits.
    assert len({each.hex[:8] for each in batch}) > 19_900
    assert reference_ids(0) == []
    assert not set(reference_ids(1_000)) & set(reference_ids(1_000))


def test_tasks_added_together_are_told_apart_by_eight_hex_digits(todo: Todo) -> None:
    result = todo("add", input="".join(f"task {n}\n" for n in range(300)))
    assert result.exit_code == 0, result.stderr
    rows = sql_rows(todo.url, "SELECT id, number FROM tasks ORDER BY number")
    ids = [UUID(str(row[0])) for row in rows]
    assert {each.version for each in ids} == {4}
    assert len({each.hex[:8] for each in ids}) == 300
    # Eight decimal digits are a task number, not a prefix: take ids with a letter in them.
    lettered = [n for n, each in enumerate(ids, 1) if not each.hex[:8].isdigit()]
    for number in (lettered[0], lettered[len(lettered) // 2], lettered[-1]):
        shown = todo("show", ids[number - 1].hex[:8], "--json")
        assert shown.exit_code == 0, shown.stderr
        assert shown.json()["number"] == number


def test_conversations_made_together_are_told_apart_by_eight_hex_digits(todo: Todo) -> None:
    for _ in range(3):
        assert todo("chat-log", "new").exit_code == 0
    rows = sql_rows(todo.url, "SELECT id FROM conversations ORDER BY number")
    assert {UUID(str(row[0])).version for row in rows} == {4}
    assert len({UUID(str(row[0])).hex[:8] for row in rows}) == 3


def test_notes_and_operations_get_time_ordered_ids(todo: Todo) -> None:
    assert todo("add", "Buy milk").exit_code == 0
    for text in ("one", "two", "three"):
        assert todo("note", "1", text).exit_code == 0
    notes = sql_rows(todo.url, "SELECT id FROM task_notes ORDER BY created_at")
    operations = sql_rows(todo.url, "SELECT id FROM operations ORDER BY number")
    for rows in (notes, operations):
        ids = [UUID(str(row[0])) for row in rows]
        assert {each.version for each in ids} == {7}
        assert ids == sorted(ids)
