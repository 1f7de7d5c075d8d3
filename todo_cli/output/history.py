"""History for people and scripts: what each operation did, a task's changes field by field."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from todo_cli.db.journal_ddl import JOURNALED
from todo_cli.domain.text import one_line
from todo_cli.output.render import plural, rfc3339
from todo_cli.output.table import Column, Table
from todo_cli.repository.journal import SAMPLE

if TYPE_CHECKING:
    from todo_cli.repository.journal import Change, Operation, Summary
    from todo_cli.services.history import Undone

# Fields that say nothing to a person reading a task's history.
_QUIET = {"updated_at", "user_id", "id", "recur_anchor", "recur_index", "series_id"}


def _numbers(changes: Sequence[Change], wanted: Any) -> str:
    return " ".join(
        f"#{image['number']}"
        for change in changes
        if wanted(change) and (image := change.after or change.before) and "number" in image
    )


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true")


def describe(
    operation: Operation, summary: Summary, *, text: Callable[[str], str] = one_line
) -> str:
    """One line on what an operation changed: "completed #3 #4", "deleted #7 (Buy milk)".

    ``text`` shows a title: escaped for a screen by default; JSON gives it as it is.
    """
    if operation.undoes is not None:
        which = f"#{operation.undoes_number}: " if operation.undoes_number is not None else ""
        return f"undid {which}{_what_undo(summary)}"
    counts = summary.counts
    tasks = [c for c in summary.samples if c.table == "tasks"]
    parts: list[str] = []
    added = counts.get(("tasks", "insert"), 0)
    if added:
        first = next((c for c in tasks if c.action == "insert"), None)
        if added == 1 and first and first.after:
            parts.append(f"added #{first.after['number']} ({text(first.after['title'])})")
        else:
            parts.append(f"added {plural(added, 'task')}")
    updated = counts.get(("tasks", "update"), 0)
    if updated:
        parts.append(_updates(tasks, updated, counts, summary.last_update))
    deleted = counts.get(("tasks", "delete"), 0)
    if deleted:
        first = next((c for c in tasks if c.action == "delete"), None)
        if deleted == 1 and first and first.before:
            parts.append(f"deleted #{first.before['number']} ({text(first.before['title'])})")
        else:
            parts.append(f"deleted {plural(deleted, 'task')}")
    parts += _chat(summary)
    return "; ".join(parts) if parts else _counted(counts)


def _merged(changes: list[Change]) -> list[Change]:
    """One change per row: a row updated twice in one operation (reopening a recurring
    task clears its series too) reads as its first image before and its last after."""
    from dataclasses import replace

    by_key: dict[str, Change] = {}
    for change in changes:
        key = repr(change.key)
        first = by_key.get(key)
        by_key[key] = change if first is None else replace(first, after=change.after)
    return list(by_key.values())


def _updates(
    tasks: list[Change],
    updated: int,
    counts: dict[tuple[str, str], int],
    last: Change | None = None,
) -> str:
    """``updated``: how many tasks the operation changed; ``tasks``, the first few of its
    task rows (JournalRepository._samples); ``last``, its last task update. A verb
    that holds for the first few holds for all only if it holds for the last too:
    an import completing 5 tasks and editing 7 was "completed #1 ... and 7 more"."""
    recorded = [c for c in tasks if c.action == "update" and c.before and c.after]
    changes = _merged(recorded)
    if len(recorded) >= 2 * SAMPLE and len(changes) > 1:
        # The sample ended somewhere: the last row's later update may be left out of it
        # (a reopened task seen leaving its series, not opening).
        changes.pop()
    changes = sorted(changes, key=_number_of)[:SAMPLE]

    def became(change: Change, done: bool) -> bool:
        assert change.before is not None
        assert change.after is not None
        return (
            _truthy(change.after["completed"]) == done
            and _truthy(change.before["completed"]) != done
        )

    def ends(done: bool) -> bool:
        # By where it ends alone: its row may be updated twice, its first image unseen.
        return last is None or last.after is None or _truthy(last.after["completed"]) == done

    verb = "edited"
    chosen = changes
    if changes and all(became(c, True) for c in changes) and ends(True):
        verb = "completed"
    elif changes and all(became(c, False) for c in changes) and ends(False):
        verb = "reopened"
    elif (
        counts.get(("task_notes", "insert"))
        and all(_only_touched(c) for c in changes)
        and (last is None or _only_touched(last))
    ):
        verb = "noted"
    shown = _numbers(chosen, lambda change: True)
    more = f" and {updated - len(chosen)} more" if updated > len(chosen) else ""
    return f"{verb} {shown}{more}".strip()


def _number_of(change: Change) -> int:
    image = change.after or change.before or {}
    number = image.get("number")
    return number if isinstance(number, int) else 0


def _only_touched(change: Change) -> bool:
    """An update that changed nothing but updated_at (a note added, say)."""
    before, after = change.before or {}, change.after or {}
    return all(before.get(key) == value for key, value in after.items() if key != "updated_at")


def _chat(summary: Summary) -> list[str]:
    counts = summary.counts
    conversations = _merged([c for c in summary.samples if c.table == "conversations"])
    messages = counts.get(("messages", "insert"), 0)
    started = [c for c in conversations if c.action == "insert" and c.after]
    renamed = [
        c
        for c in conversations
        if c.action == "update" and c.before and c.after
        and c.before.get("title") != c.after.get("title")
    ]  # fmt: skip
    # A conversation that got messages (an append, or an import that extends one):
    # each is one update of its row. An import may do both: it said only the first.
    extended = [c for c in conversations if c.action == "update" and c.after and c not in renamed]
    said = f" ({plural(messages, 'message')})" if messages else ""
    # The samples are a few rows of the operation's: counts say how many there were
    # (a row left out of the samples, crowded out by others, is still counted).
    new_total = counts.get(("conversations", "insert"), 0)
    grown_total = max(counts.get(("conversations", "update"), 0) - len(renamed), len(extended))
    if not messages:
        grown_total = 0
    parts = []
    if new_total:
        verb = "imported" if messages else "started"
        also = (
            f", appended to {_some(extended, grown_total, 'conversation')}" if grown_total else ""
        )
        parts.append(f"{verb} {_some(started, new_total, 'conversation')}{also}{said}")
    elif messages:
        where = f" to {_some(extended, grown_total, 'conversation')}" if grown_total else ""
        parts.append(f"appended {plural(messages, 'message')}{where}")
    if renamed:
        parts.append(f"renamed conversation {_numbers(renamed, lambda change: True)}")
    gone = [c for c in conversations if c.action == "delete" and c.before]
    if gone:
        parts.append(f"deleted conversation {_numbers(gone, lambda change: True)}")
    return parts


def _some(shown: list[Change], total: int, noun: str) -> str:
    """ "conversation #1 #2 and 3 more", or "5 conversations" when none was sampled."""
    numbers = _numbers(shown, lambda change: True)
    if not numbers:
        return plural(total, noun)
    more = f" and {total - len(shown):,} more" if total > len(shown) else ""
    return f"{noun} {numbers}{more}"


# What an undo's own writes did, in the words `todo undo` printed: deleting a row
# removed it, updating set it back, inserting restored it.
_UNDO_VERBS = (("delete", "removed"), ("update", "set back"), ("insert", "restored"))


def _rows(n: int, table: str) -> str:
    """`n` rows of a journaled table in words: "1 task dependency", "2 task tags"."""
    many = table.replace("_", " ")  # every table is named in the plural
    if n != 1:
        return f"{n:,} {many}"
    return f"1 {many[:-3]}y" if many.endswith("ies") else f"1 {many[:-1]}"


def _what_undo(summary: Summary) -> str:
    parts = []
    for action, verb in _UNDO_VERBS:
        counted = {t: n for (t, a), n in summary.counts.items() if a == action}
        ordered = [t for t in JOURNALED if t in counted] + sorted(
            t for t in counted if t not in JOURNALED
        )
        if ordered:
            parts.append(f"{verb} " + ", ".join(_rows(counted[t], t) for t in ordered))
    return "; ".join(parts) or "nothing"


# What an operation did to rows no task change names (a dependency alone, linked by
# an import), in words: "added 1 task dependency", not the table's name.
_ROW_VERBS = {"insert": "added", "update": "changed", "delete": "removed"}


def _counted(counts: dict[tuple[str, str], int]) -> str:
    return ", ".join(
        f"{_ROW_VERBS.get(action, action)} {_rows(n, table)}"
        for (table, action), n in sorted(counts.items())
    )


def _when(instant: datetime, tz: tzinfo) -> str:
    # isoformat, not strftime's %Y, which does not pad years before 1000 on every platform.
    from todo_cli.domain.dates import wall_clock

    local = instant.astimezone(tz)
    return f"{local.date().isoformat()} {wall_clock(local)}"


def history_table(rows: Sequence[tuple[Operation, Summary]], tz: tzinfo) -> None:
    """The operations as a table, their times in ``tz`` (the command's local zone)."""
    table = Table(
        [
            Column("#", align="right"),
            Column("when"),
            Column("command", flexible=True),
            Column("what changed"),
        ]
    )
    for operation, summary in rows:
        undone = " (undone)" if operation.undone_by is not None else ""
        table.add(
            [
                str(operation.number or ""),
                _when(operation.created_at, tz),
                one_line(operation.command_shown),
                describe(operation, summary) + undone,
            ]
        )
    table.write()


def operation_json(operation: Operation, summary: Summary | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(operation.id),
        "number": operation.number,
        "created_at": rfc3339(operation.created_at),
        "command": operation.command,
        "undone": operation.undone_by is not None,
        "undoes": str(operation.undoes) if operation.undoes else None,
    }
    if summary is not None:
        data["summary"] = describe(operation, summary, text=str)
        data["changes"] = [
            {"table": table, "action": action, "rows": n}
            for (table, action), n in sorted(summary.counts.items())
        ]
    return data


def _value(name: str, value: Any, tz: tzinfo) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return one_line(value)
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        from todo_cli.domain.dates import is_all_day, local_date, starts_day

        # A date with no time is shown as a date, as `show` and `list` show it: a due
        # given as a day (due:fri) ends the day, a wait given as one (wait:fri) begins it.
        if is_all_day(parsed, tz) or (name == "wait" and starts_day(parsed, tz)):
            return local_date(parsed, tz).isoformat()
        return _when(parsed, tz)
    if value in (True, False):
        return "yes" if value else "no"
    return one_line(str(value))


def field_changes(change: Change, tz: tzinfo, names: Mapping[UUID, str] | None = None) -> list[str]:
    """What one recorded change did to a task, field by field ("title: A -> B").

    Times are shown in ``tz`` (the command's local zone). ``names``: how to name, by id,
    the tasks a dependency names ("#3"); one the journal cannot name either is named by
    the start of its id.
    """
    if change.table == "task_tags":
        tag = change.key[1]
        return [f"+{tag}" if change.action == "insert" else f"-{tag}"]
    if change.table == "task_notes":
        text = (change.after or change.before or {}).get("text", "")
        return [f"note {'added' if change.action == 'insert' else 'removed'}: {one_line(text)}"]
    if change.table == "task_dependencies":
        other = UUID(str(change.key[1]))
        named = (names or {}).get(other) or other.hex[:8]
        return [f"{'waits on' if change.action == 'insert' else 'no longer waits on'} {named}"]
    if change.action == "insert":
        return ["added"]
    if change.action == "delete":
        return ["deleted"]
    before, after = change.before or {}, change.after or {}
    lines = []
    for name in _in_column_order(change.table, after):
        if name in _QUIET or before.get(name) == after.get(name):
            continue
        old, new = before.get(name), after.get(name)
        if name == "attributes":
            old, new = _attributes_shown(old), _attributes_shown(new)
            if old == new:
                continue
            # As JSON on both backends (PostgreSQL's image holds an object, SQLite's text).
            old, new = _json_text(old), _json_text(new)
        if name == "completed":
            old, new = _truthy(old), _truthy(new)
        lines.append(f"{name}: {_value(name, old, tz)} -> {_value(name, new, tz)}")
    return lines


def _in_column_order(table: str, image: Mapping[str, Any]) -> list[str]:
    """The image's keys in its table's column order: PostgreSQL's jsonb keeps its keys
    shortest first, SQLite's JSON as written, and `history` must read the same on both
    (keys no column has, from an older revision's image, come last, by name)."""
    order = _column_order(table)
    return sorted(image, key=lambda name: (order.get(name, len(order)), name))


@cache
def _column_order(table: str) -> dict[str, int]:
    from todo_cli.db.schema import metadata

    found = metadata.tables.get(table)
    return {} if found is None else {column.name: i for i, column in enumerate(found.c)}


# A task's times as the journal's images hold them (each backend's own text).
_TIMES = frozenset({"completed_at", "created_at", "updated_at", "due", "wait", "recur_anchor"})


def field_values(change: Change) -> list[dict[str, Any]]:
    """What one recorded change did to a task, as data: each field's value before and
    after (null where it had none), times RFC 3339 UTC, as every JSON output has them.

    The same fields as field_changes, with every field an added or deleted task
    had; a tag, a note or a dependency is one field (``tag``, ``note``,
    ``depends``: the id of the task waited on) gained or lost.
    """
    if change.table in ("task_tags", "task_notes", "task_dependencies"):
        if change.table == "task_tags":
            name, value = "tag", change.key[1]
        elif change.table == "task_notes":
            name, value = "note", (change.after or change.before or {}).get("text", "")
        else:
            name, value = "depends", str(UUID(str(change.key[1])))
        added = change.action == "insert"
        return [
            {"field": name, "before": None if added else value, "after": value if added else None}
        ]
    before, after = change.before or {}, change.after or {}
    found = []
    for name in _in_column_order(change.table, after or before):
        if name in _QUIET:
            continue
        old, new = _data(name, before.get(name)), _data(name, after.get(name))
        if old != new:
            found.append({"field": name, "before": old, "after": new})
    return found


def _data(name: str, value: Any) -> Any:
    """A field's value from a journal image as the JSON of a task has it."""
    if value is None or value == "":
        return None
    if name == "completed":
        return _truthy(value)
    if name in _TIMES and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return rfc3339((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC))
    if name == "attributes":
        return _attributes_shown(value)
    return value


def _json_text(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _attributes_shown(value: Any) -> Any:
    """A task's attributes from a journal image, without todo's own notes for other
    tools (ENDED_HINTS: `recur:` set them, not the user); None when nothing is left."""
    from todo_cli.domain.fields import ENDED_HINTS

    if isinstance(value, str):
        import json

        try:
            value = json.loads(value)
        except ValueError:
            return value
    if not isinstance(value, dict):
        return value
    kept = {key: item for key, item in value.items() if key not in ENDED_HINTS}
    return kept or None


def task_history(
    task_number: int,
    changes: Sequence[tuple[Operation, Change]],
    tz: tzinfo,
    names: Mapping[UUID, str] | None = None,
) -> None:
    """One task's changes, oldest first, their times in ``tz`` (the command's local zone)."""
    import sys

    out = sys.stdout
    if not changes:
        out.write(f"#{task_number}: no recorded changes\n")
        return
    # One id that held several numbers (the next task of a series, made again with
    # the same id after an undo took the first back): each add and delete says which.
    held = {
        (change.after or change.before or {}).get("number")
        for _, change in changes
        if change.table == "tasks" and change.action != "update"
    }
    last: Any = None
    for operation, change in changes:
        if operation.id != last:
            when = _when(operation.created_at, tz)
            undone = " (undone)" if operation.undone_by else ""
            out.write(
                f"#{operation.number or '-'}  {when}  {one_line(operation.command_shown)}{undone}\n"
            )
            last = operation.id
        lines = field_changes(change, tz, names)
        if len(held) > 1 and change.table == "tasks" and change.action != "update":
            number = (change.after or change.before or {}).get("number")
            lines = [f"added as #{number}" if change.action == "insert" else f"deleted (#{number})"]
        for line in lines:
            out.write(f"    {line}\n")


def undone_text(result: Undone) -> str:
    plan = result.plan
    parts = []
    for label, counts in (
        ("removed", plan.removed),
        ("set back", plan.reverted),
        ("restored", plan.restored),
    ):
        if counts:
            parts.append(f"{label} " + ", ".join(_rows(n, table) for table, n in counts.items()))
    verb = "would undo" if result.dry_run else "undid"
    operation = result.operation
    return f"{verb} #{operation.number} ({operation.command_shown}): " + (
        "; ".join(parts) or "nothing"
    )


def undone_json(result: Undone) -> dict[str, Any]:
    plan = result.plan
    return {
        "dry_run": result.dry_run,
        "undone": operation_json(result.operation),
        "removed": plan.removed,
        "set_back": plan.reverted,
        "restored": plan.restored,
    }
