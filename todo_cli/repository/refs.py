"""References: how a user names a task or conversation.

``12`` or ``#12`` is a per-user number; a full UUID is itself; 4 or more hex
digits are a UUID prefix. A prefix is looked up as an index range
(``id BETWEEN prefix-000... AND prefix-fff...``), which works the same on
PostgreSQL's uuid type and SQLite's hex text, and uses the primary key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from todo_cli.domain.limits import COUNT_MAX, UUID_PREFIX_MIN
from todo_cli.errors import AmbiguousReference, InvalidInput, NotFound

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row, Table
    from sqlalchemy.sql.elements import ColumnElement

_NUMBER = re.compile(r"#?([0-9]+)")
_HEX = re.compile(r"[0-9a-f]+")
_MAX_CANDIDATES = 5
# Missing references one error names (a range may miss thousands: the line stays short).
_MISSING_NAMED = 10
# An id's first eight hex digits are how it is shown and copied (`todo show
# 3f2a91c0`), and one id in forty starts with eight decimal digits. Such a
# reference, written without `#`, is a number first and, when no row has that
# number, that id prefix. Not shorter: a typo for a number that is not there
# would then too often find some other task's id (and complete or delete it).
_DIGITS_AS_PREFIX_MIN = 8


@dataclass(frozen=True)
class Ref:
    raw: str
    number: int | None = None
    uuid: UUID | None = None
    # Lowercase hex, no dashes; with a number, what it is when no row has that number.
    prefix: str | None = None
    # Zero-padded digits (`0629`): the id prefix first, the number when no id has it.
    prefix_first: bool = False

    @classmethod
    def to(cls, uuid: UUID) -> Ref:
        """A reference to exactly this row: what a confirmed delete acts on."""
        return cls(str(uuid), uuid=uuid)


def parse_ref(raw: str, noun: str) -> Ref:
    text = raw.strip()
    match = _NUMBER.fullmatch(text)
    if match and _zero_padded(text):
        # No one writes task 629 as 0629, but one id in sixteen starts with a 0:
        # copied digits of an id, looked up as one (and as a number only when no
        # id starts so). Taken as the number first, `00000002` completed task #2
        # while the task whose id it starts was meant.
        digits = text.lstrip("0")
        number = int(digits) if 0 < len(digits) <= len(str(COUNT_MAX)) else 0
        held = number if 1 <= number <= COUNT_MAX else None
        return Ref(raw, number=held, prefix=text, prefix_first=True)
    if match:
        digits = match.group(1).lstrip("0")
        # Thousands of digits are more than int() converts (a ValueError, not our
        # refusal); any number longer than the largest is out of range unread.
        number = int(digits) if 0 < len(digits) <= len(str(COUNT_MAX)) else 0
        prefix = text if _DIGITS_AS_PREFIX_MIN <= len(text) < 32 and text.isdigit() else None
        past_largest = number > COUNT_MAX or len(digits) > len(str(COUNT_MAX))
        if past_largest and prefix is not None:
            # No task has a number past the largest: the digits are an id's start.
            return Ref(raw, prefix=prefix)
        if number < 1 or number > COUNT_MAX:
            shown = raw if len(raw) <= 24 else f"{raw[:20]}... ({len(raw)} characters)"
            raise InvalidInput(
                f"{noun} number {shown!r} is out of range",
                hint=f"a {noun} number is 1 to {COUNT_MAX:,}",
            )
        return Ref(raw, number=number, prefix=prefix)
    lowered = text.lower()
    compact = lowered.replace("-", "")
    if compact != lowered and not _dashed_as_a_uuid(lowered):
        compact = ""  # `10-20` is no id (a range, to `done`), whatever its digits
    if len(compact) == 32 and _HEX.fullmatch(compact):
        return Ref(raw, uuid=UUID(compact))
    if len(compact) >= UUID_PREFIX_MIN and len(compact) < 32 and _HEX.fullmatch(compact):
        return Ref(raw, prefix=compact)
    raise InvalidInput(
        f"{raw!r} is not a {noun} reference",
        hint=f"use a number like 12 or #12, a UUID, or {UUID_PREFIX_MIN}+ hex digits of one",
    )


def _zero_padded(text: str) -> bool:
    """Digits starting with 0, as many as an id prefix has (`#` means a number only)."""
    return text[:1] == "0" and UUID_PREFIX_MIN <= len(text) < 32


def looks_like_ref(word: str) -> bool:
    """Whether `word` reads as a task number (``12``, ``#12``): said when a filter took it
    as text. (A hex prefix is left out: ``cafe`` and ``beef`` are words too.)"""
    return _NUMBER.fullmatch(word.strip()) is not None


# Where a written UUID has its dashes (8-4-4-4-12).
_DASHES = (8, 13, 18, 23)


def _dashed_as_a_uuid(text: str) -> bool:
    """Whether `text`'s dashes stand where a UUID's do: a copied id, or the start of one."""
    return len(text) <= 36 and all(
        (char == "-") == (index in _DASHES) for index, char in enumerate(text)
    )


# Taskwarrior's way of naming several tasks at once: `1,3,5`, `2-4`, `1-3,7`.
_NUMBER_LIST = re.compile(r"#?[0-9]+(?:-#?[0-9]+)?(?:,#?[0-9]+(?:-#?[0-9]+)?)*")
# A range names at most this many tasks: `1-99999999` is a typo, not a request.
RANGE_MAX = 10_000


def number_list(word: str, *, more: str = "use a filter for more") -> list[str] | None:
    """The task numbers a list or range (`1,3`, `2-4`, `1-3,7`) names, in order; None
    for a word of any other shape (a single reference included). `more`: what to do
    instead of a range too long, for the command at hand."""
    text = word.strip()
    if ("," not in text and "-" not in text) or not _NUMBER_LIST.fullmatch(text):
        return None
    if is_ref_shaped(text):
        return None  # `12345678-1234`: the start of a copied id
    numbers: list[str] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        padded = next((end for end in (low, high) if _zero_padded(end)), None)
        if padded is not None:
            # Alone, 00000002 is the start of an id first; in a list it would be the
            # number 2: the same digits naming two tasks by a comma. Refused.
            raise InvalidInput(
                f"{padded!r} in {text!r}: digits with a leading zero start an id, "
                "and a list or range holds numbers",
                hint=f"write the number without its zeros, or {padded!r} on its own",
            )
        first = _listed_number(low, text)
        if not high:
            numbers.append(str(first))
            continue
        last = _listed_number(high, text)
        if first > last:
            raise InvalidInput(
                f"the range {part!r} runs backwards", hint=f"write it low to high: {last}-{first}"
            )
        if last - first >= RANGE_MAX:
            raise InvalidInput(
                f"the range {part!r} names {last - first + 1:,} tasks",
                hint=f"a range names at most {RANGE_MAX:,}; {more}",
            )
        numbers.extend(str(number) for number in range(first, last + 1))
    return numbers


def _listed_number(end: str, text: str) -> int:
    """One number of a list or range. Alone, digits past the largest number are an
    id's start; in a list they can only be a number, and one no task has."""
    number = parse_ref(end, "task").number
    if number is None:
        shown = end if len(end) <= 24 else f"{end[:20]}... ({len(end)} characters)"
        raise InvalidInput(
            f"task number {shown!r} in {text[:60]!r} is out of range",
            hint=f"a task number is 1 to {COUNT_MAX:,}",
        )
    return number


_LIST_CHARACTERS = re.compile(r"[#0-9,-]*[0-9][#0-9,-]*")


def broken_list(word: str) -> bool:
    """Whether `word` is a list or range of task numbers with a part missing: `1,`,
    `1,,3`, `1-2,`, `3-`. Taken as text, it found the tasks whose words hold it (`todo
    done 1,` completed "Pay rent 1,200 EUR"); a script that builds `1,2,3,` means
    references. (A date, `2026-12-06`, has no comma and no trailing dash: text.)"""
    text = word.strip()
    if not _LIST_CHARACTERS.fullmatch(text) or not ("," in text or text.endswith("-")):
        return False
    try:
        return number_list(text) is None
    except InvalidInput:
        return False  # a list, refused for what it names (backwards, too long)


def refuse_broken_list(
    word: str, command: str, *, searches: bool = True, writes: bool = True
) -> None:
    """The refusal of a :func:`broken_list` word, naming it (`searches`: the command
    takes a filter, and the word after -- is text to search for; `writes`: it would
    have changed tasks, and says it changed nothing)."""
    if broken_list(word):
        from shlex import quote

        text = word.strip()
        search = (
            f"; to search for it as text: `todo {command} -- {quote(text)}`" if searches else ""
        )
        raise InvalidInput(
            f"{text!r} is a list of task numbers with a part missing",
            hint=f"write it whole, as 1,3 or 2-4{search}{'; nothing was changed' * writes}",
        )


def is_ref_shaped(word: str) -> bool:
    """Whether `word` is written as a reference (a number, a UUID or 4+ hex digits of one).

    A command that takes references or a filter (`done`, `delete`, `reopen`)
    reads a word of any other shape as text to search for: `todo done milk`.
    """
    try:
        parse_ref(word, "task")
    except InvalidInput:
        # A number out of range is still written as one (and refused as one).
        return looks_like_ref(word)
    return True


def one_task(raw: str, command: str) -> Ref:
    """The one task a command of one task names (`show`, `note`, `history`): a list or
    range (`1-3`) is refused as naming several, not as no reference."""
    numbers = number_list(raw, more=f"todo {command} takes one task")
    if numbers is not None and len(set(numbers)) > 1:
        raise InvalidInput(
            f"{raw.strip()!r} names {len(set(numbers)):,} tasks: todo {command} takes one",
            hint=f"give one, e.g. todo {command} {numbers[0]}",
        )
    return parse_ref(numbers[0] if numbers else raw, "task")


def parse_refs(raws: Sequence[str], noun: str) -> list[Ref]:
    return [parse_ref(raw, noun) for raw in raws]


def _prefix_bounds(prefix: str) -> tuple[UUID, UUID]:
    return UUID(prefix.ljust(32, "0")), UUID(prefix.ljust(32, "f"))


def resolve(
    conn: Connection,
    table: Table,
    columns: Sequence[ColumnElement[Any]],
    user_id_clause: Any,
    refs: Sequence[Ref],
    noun: str,
) -> list[Row[Any]]:
    """The user's rows for `refs`, in the order given, each at most once.

    One query for all numbers and full UUIDs, one per prefix. Any reference
    that matches nothing is NotFound; a prefix matching several rows is
    AmbiguousReference naming the candidates. Rows of other users are never
    matched, so another user's UUID is simply "not found". Each row holds
    ``columns`` (which must include ``id`` and ``number``).
    """
    from sqlalchemy import and_, select

    from todo_cli.repository.batches import chunked

    numbers = sorted({ref.number for ref in refs if ref.number is not None})
    uuids = sorted({ref.uuid for ref in refs if ref.uuid is not None}, key=str)
    by_number: dict[int, Row[Any]] = {}
    by_uuid: dict[UUID, Row[Any]] = {}
    # A thousand at a time: `todo done $(seq 70000)` must not pass the driver's limit
    # on one statement's parameters (the database error it was, exit 3).
    for wanted in [
        *(table.c.number.in_(part) for part in chunked(numbers)),
        *(table.c.id.in_(part) for part in chunked(uuids)),
    ]:
        for each in conn.execute(select(*columns).where(and_(user_id_clause, wanted))):
            by_number[each.number] = each
            by_uuid[each.id] = each

    def by_prefix(ref: Ref, prefix: str) -> Row[Any] | None:
        low, high = _prefix_bounds(prefix)
        matches = conn.execute(
            select(*columns)
            .where(and_(user_id_clause, table.c.id.between(low, high)))
            .order_by(table.c.number)
            .limit(_MAX_CANDIDATES + 1)
        ).all()
        if len(matches) > 1:
            raise ambiguous(ref.raw, f"{noun}s", [(m.number, m.id) for m in matches])
        return matches[0] if matches else None

    found: list[Row[Any]] = []
    seen: set[UUID] = set()
    missing: list[str] = []
    missed: set[str] = set()
    unclear: AmbiguousReference | None = None
    for ref in refs:
        row: Row[Any] | None
        try:
            if ref.prefix_first and ref.prefix is not None:
                row = by_prefix(ref, ref.prefix)
                if row is None and ref.number is not None:
                    row = by_number.get(ref.number)
            elif ref.number is not None:
                row = by_number.get(ref.number)
            elif ref.uuid is not None:
                row = by_uuid.get(ref.uuid)
            else:
                row = None
            if row is None and ref.uuid is None and ref.prefix is not None and not ref.prefix_first:
                row = by_prefix(ref, ref.prefix)
        except AmbiguousReference as exc:
            # The first one said, and the references that match nothing with it: fixing
            # the prefix should not lead to a second error about the others.
            unclear = unclear or exc
            continue
        if row is None:
            if ref.raw not in missed:  # a set: 260,000 references missing, said in a second
                missed.add(ref.raw)
                missing.append(ref.raw)
        elif row.id not in seen:
            seen.add(row.id)
            found.append(row)
    if missing:
        # Every one named: a script should not have to find them one run at a time.
        named = ", ".join(map(repr, missing[:_MISSING_NAMED]))
        if len(missing) > _MISSING_NAMED:
            named += f" and {len(missing) - _MISSING_NAMED:,} more"
        nouns = noun if len(missing) == 1 else f"{noun}s"
        if unclear is not None:
            raise AmbiguousReference(f"{unclear.message}; no {nouns} {named}", hint=unclear.hint)
        raise NotFound(f"no {nouns} {named}", hint=f"see `todo {_list_cmd(noun)}`")
    if unclear is not None:
        raise unclear
    return found


def ambiguous(raw: str, nouns: str, matches: Sequence[tuple[int, UUID]]) -> AmbiguousReference:
    """The error for a prefix that several rows share: the first few, by number and id."""
    listed = matches[:_MAX_CANDIDATES]
    # Eight digits, as ids are shown, or as many more as tell these apart.
    digits = 8
    while digits < 32 and len({row_id.hex[:digits] for _, row_id in listed}) < len(listed):
        digits += 1
    shown = ", ".join(f"#{number} ({_dashed(row_id, digits)})" for number, row_id in listed)
    more = " and more" if len(matches) > _MAX_CANDIDATES else ""
    return AmbiguousReference(
        f"{raw!r} matches several {nouns}: {shown}{more}", hint="give more digits or the number"
    )


def _dashed(row_id: UUID, digits: int) -> str:
    """The start of an id as it is written, dashes included, holding `digits` hex digits."""
    # The digits before each dash: 8, 12, 16, 20. A dash is written once more follow.
    before = [dash - index for index, dash in enumerate(_DASHES)]
    return str(row_id)[: digits + sum(1 for count in before if digits > count)]


def _list_cmd(noun: str) -> str:
    return "list --all" if noun == "task" else "chat-log"
