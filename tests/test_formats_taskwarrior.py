"""Taskwarrior import and export: against real `task export` output, and through `task` itself.

The fixtures (tests/fixtures/taskwarrior/, made by tests/fixtures/make_fixtures.sh) were
written by Taskwarrior 2.6.2 in Europe/Berlin; these tests read them in that zone. The
round-trip tests run the real `task` and are skipped where it is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from todo_cli.domain.dates import day_end, day_start, is_all_day, local_date
from todo_cli.errors import InvalidInput
from todo_cli.formats import taskwarrior
from todo_cli.formats.interchange import ImportBatch, InvalidRecord, Note, TaskRecord
from todo_cli.formats.taskwarrior import parse_text, read, write

FIXTURES = Path(__file__).parent / "fixtures" / "taskwarrior"
# The zone the fixtures were made in (tests/fixtures/taskwarrior/README.md).
ZONE = "Europe/Berlin"


@pytest.fixture(scope="module")
def tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(ZONE)


@pytest.fixture(scope="module")
def exported() -> list[dict[str, Any]]:
    """The fixture as Taskwarrior wrote it, object by object."""
    objects: list[dict[str, Any]] = json.loads((FIXTURES / "export.json").read_text("utf-8"))
    return objects


@pytest.fixture(scope="module")
def batch(tz: Any) -> ImportBatch:
    return parse_text((FIXTURES / "export.json").read_text("utf-8"), "export.json", tz=tz)


def by_title(batch: ImportBatch, title: str, *, completed: bool = False) -> TaskRecord:
    found = [r for r in batch.records if r.title == title and r.completed == completed]
    assert len(found) == 1, f"{len(found)} records titled {title!r}"
    return found[0]


def raw(objects: list[dict[str, Any]], description: str, status: str) -> dict[str, Any]:
    found = [o for o in objects if o["description"] == description and o["status"] == status]
    assert found, f"no {status} task {description!r} in the fixture"
    return found[0]


def tw_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def obj(**fields: Any) -> dict[str, Any]:
    """A minimal valid Taskwarrior object, with ``fields`` on top."""
    base: dict[str, Any] = {
        "uuid": str(uuid4()),
        "description": "Something",
        "status": "pending",
        "entry": "20261120T080000Z",
    }
    base.update(fields)
    return base


def read_objects(tz: Any, *objects: dict[str, Any]) -> ImportBatch:
    return read(((f"task {n}", o) for n, o in enumerate(objects, 1)), tz=tz)


# -- reading what task export wrote ----------------------------------------------------------


def test_the_fixture_reads_without_problems(batch: ImportBatch) -> None:
    assert batch.problems == []


def test_array_and_line_layouts_give_the_same_records(tz: Any, batch: ImportBatch) -> None:
    lines = parse_text((FIXTURES / "export.jsonl").read_text("utf-8"), "export.jsonl", tz=tz)
    assert lines.problems == []
    assert lines.records == batch.records
    assert lines.skipped == batch.skipped


def test_a_pending_task_maps_every_field(
    batch: ImportBatch, exported: list[dict[str, Any]], tz: Any
) -> None:
    source = raw(exported, "Buy milk", "pending")
    record = by_title(batch, "Buy milk")
    assert record.id == UUID(source["uuid"])
    assert record.number is None
    assert record.description is None
    assert not record.completed
    assert record.completed_at is None
    assert record.created_at == tw_time(source["entry"])
    assert record.updated_at == tw_time(source["modified"])
    assert record.priority == "H"
    assert record.project == "home.kitchen"
    assert record.tags == ("errand", "shopping")
    assert record.due == datetime(2026, 11, 24, 9, 30, tzinfo=tz)
    assert not is_all_day(record.due, tz)
    assert record.notes == tuple(
        Note(tw_time(a["entry"]), a["description"]) for a in source["annotations"]
    )
    assert record.recur is None
    assert record.series_id is None
    assert record.attributes == {}


def test_a_due_typed_as_a_date_is_that_whole_local_day(batch: ImportBatch, tz: Any) -> None:
    record = by_title(batch, "Pay rent")
    assert record.due == day_end(date(2026, 12, 1), tz)
    assert record.priority == "M"


def test_a_waiting_task_is_open_and_keeps_its_wait(batch: ImportBatch, tz: Any) -> None:
    record = by_title(batch, "Renew passport")
    assert not record.completed
    assert record.wait == day_start(date(2027, 1, 10), tz)
    assert record.due == day_end(date(2027, 2, 1), tz)
    assert record.priority == "L"


def test_a_completed_task_is_done_at_its_end(
    batch: ImportBatch, exported: list[dict[str, Any]]
) -> None:
    source = raw(exported, "Old chore", "completed")
    record = by_title(batch, "Old chore", completed=True)
    assert record.completed_at == tw_time(source["end"])


def test_a_deleted_task_is_counted_not_imported(batch: ImportBatch) -> None:
    assert batch.skipped["deleted"] == 1
    assert not [r for r in batch.records if r.title == "Cancelled trip"]


def test_a_recurring_template_is_the_recurrence_of_its_earliest_open_instance(
    batch: ImportBatch, exported: list[dict[str, Any]]
) -> None:
    template = raw(exported, "Weekly review", "recurring")
    pending = [
        o for o in exported if o["description"] == "Weekly review" and o["status"] == "pending"
    ]
    earliest = min(pending, key=lambda o: o["due"])
    record = by_title(batch, "Weekly review")
    assert record.id == UUID(earliest["uuid"])
    assert record.recur == "weekly"
    assert record.series_id == UUID(template["uuid"])
    assert record.due == tw_time(earliest["due"])
    assert batch.skipped["recurring template"] == 1
    assert batch.skipped["later recurring instance"] == len(pending) - 1
    assert any("later pending instances" in notice for notice in batch.notices)


def test_a_completed_instance_keeps_its_series(
    batch: ImportBatch, exported: list[dict[str, Any]]
) -> None:
    template = raw(exported, "Weekly review", "recurring")
    record = by_title(batch, "Weekly review", completed=True)
    assert record.series_id == UUID(template["uuid"])
    assert record.recur == "weekly"


def test_a_dependency_is_kept(batch: ImportBatch) -> None:
    assert by_title(batch, "Write report").depends == (by_title(batch, "Buy milk").id,)


def test_udas_and_unmapped_keys_are_kept_as_they_were(
    batch: ImportBatch, exported: list[dict[str, Any]]
) -> None:
    assert by_title(batch, "Write report").attributes == {"estimate": 3}
    source = raw(exported, "Plan café ☕ menu", "pending")
    record = by_title(batch, "Plan café ☕ menu")
    assert record.attributes == {key: source[key] for key in ("scheduled", "start", "until")}
    assert record.notes[0].text == "Ünïcödé note"


def test_taskwarrior_bookkeeping_is_not_kept(batch: ImportBatch) -> None:
    for record in batch.records:
        assert not set(record.attributes) & {"id", "urgency", "imask", "mask", "parent", "rtype"}


def test_records_survive_their_own_json(batch: ImportBatch) -> None:
    for n, record in enumerate(batch.records, 1):
        assert TaskRecord.from_json(record.to_json(), f"task {n}") == record


# -- reading: mapping rules ----------------------------------------------------------------


def test_status_waiting_from_older_files_is_open(tz: Any) -> None:
    result = read_objects(tz, obj(status="waiting", wait="20270101T080000Z"))
    assert result.problems == []
    assert not result.records[0].completed
    assert result.records[0].wait == datetime(2027, 1, 1, 8, tzinfo=UTC)


def test_dates_task_import_reads_besides_its_own_form_are_read_as_it_reads_them(
    tz: Any,
) -> None:
    # Checked against `task import` 2.6 in Europe/Berlin: a day alone is its local
    # midnight (a due so given is that whole day), ISO with Z or an offset its instant.
    record = read_objects(
        tz,
        obj(
            entry="2026-12-01",
            due="20261224",
            wait="2026-12-20T08:00:00+01:00",
            scheduled="2026-12-05T10:00Z",
        ),
    ).records[0]
    assert record.created_at == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert record.due == datetime(2026, 12, 24, 22, 59, 59, 999999, tzinfo=UTC)
    assert record.wait == datetime(2026, 12, 20, 7, tzinfo=UTC)
    bad = read_objects(tz, obj(due="2026-13-01"), obj(due="01.12.2026"))
    assert [str(problem) for problem in bad.problems] == [
        "task 1: due: '2026-13-01' is not a date that exists",
        "task 2: due: '01.12.2026' is not a date such as 20261124T093000Z",
    ]


def test_a_task_without_a_status_is_pending_as_task_import_takes_it(tz: Any) -> None:
    no_status = obj()
    del no_status["status"]
    result = read_objects(tz, no_status)
    assert result.problems == []
    assert not result.records[0].completed


def test_modified_defaults_to_entry(tz: Any) -> None:
    record = read_objects(tz, obj()).records[0]
    assert record.updated_at == record.created_at == datetime(2026, 11, 20, 8, tzinfo=UTC)


def test_depends_as_a_comma_separated_string_is_read(tz: Any) -> None:
    first, second = uuid4(), uuid4()
    result = read_objects(tz, obj(depends=f"{second},{first}"))
    assert result.problems == []
    assert set(result.records[0].depends) == {first, second}


def test_a_dependency_on_a_deleted_task_is_dropped_with_a_notice(tz: Any) -> None:
    gone = obj(status="deleted", end="20261121T080000Z")
    result = read_objects(tz, gone, obj(depends=[gone["uuid"]]))
    assert result.records[0].depends == ()
    assert any("deleted" in notice for notice in result.notices)


def test_a_task_naming_itself_in_depends_keeps_it_for_the_import_to_refuse(tz: Any) -> None:
    # Also beside a dependency the reader redirects (a deleted one), which rebuilds the list.
    gone = obj(status="deleted", end="20261121T080000Z")
    itself = obj()
    itself["depends"] = [itself["uuid"], gone["uuid"]]
    result = read_objects(tz, gone, itself)
    assert result.problems == []
    assert result.records[0].depends == (UUID(itself["uuid"]),)


@pytest.mark.parametrize(
    ("description", "message"),
    [("", "is empty"), ("   ", "is empty"), (42, "is not a text"), (["x"], "is not a text")],
    ids=["empty", "blank", "number", "list"],
)
def test_a_description_that_is_no_title_says_why(tz: Any, description: Any, message: str) -> None:
    result = read_objects(tz, obj(description=description))
    assert [str(p) for p in result.problems] == [f"task 1: description: {message}"]


def test_a_task_refused_for_a_problem_is_known_by_its_uuid(tz: Any) -> None:
    bad = obj(priority=3)
    result = read_objects(tz, obj(), bad)
    assert result.rejected == {UUID(bad["uuid"])}


@pytest.mark.parametrize("imask", [2**31 - 1, 10**30, "9" * 5000, 1e300])
def test_an_instance_index_past_what_the_database_holds_is_a_problem(tz: Any, imask: Any) -> None:
    template = obj(status="recurring", recur="daily", due="20261120T080000Z", mask="-")
    instance = obj(
        status="completed",
        end="20261121T080000Z",
        due="20261120T080000Z",
        recur="daily",
        parent=template["uuid"],
        imask=imask,
    )
    result = read_objects(tz, template, instance)
    assert [(p.where, p.field) for p in result.problems] == [("task 2", "imask")]


def test_a_long_description_keeps_its_first_line_as_the_title(tz: Any) -> None:
    text = "word " * 60 + "\nsecond line"
    result = read_objects(tz, obj(description=text))
    record = result.records[0]
    assert len(record.title) <= 200
    assert record.title.endswith("\u2026")
    assert record.description == text.strip()
    assert result.notices == [
        "task 1: description does not fit a title (one line, 200 characters): "
        "the title is its first line (cut to 200 characters with \u2026 where longer), "
        "the whole text is kept as the description"
    ]


def test_spaces_around_a_description_are_left_out_and_said(tz: Any) -> None:
    # Taskwarrior keeps "  padded  "; the title here has no spaces around it, as
    # `todo add` trims them: left out, where the import said nothing of it.
    result = read_objects(tz, obj(description="  padded  "), obj(description="plain"))
    assert [record.title for record in result.records] == ["padded", "plain"]
    assert result.notices == ["task 1: spaces around the description left out"]


@pytest.mark.parametrize(
    ("tw_recur", "ours"),
    [
        ("daily", "daily"),
        ("weekly", "weekly"),
        ("monthly", "monthly"),
        ("yearly", "yearly"),
        ("annual", "yearly"),
        ("weekdays", "weekdays"),
        ("2w", "+2w"),
        ("biweekly", "+2w"),
        ("fortnight", "+2w"),
        ("bimonthly", "+2m"),
        ("quarterly", "+3m"),
        ("2q", "+6m"),
        ("semiannual", "+6m"),
        ("biannual", "+2y"),
        ("3days", "+3d"),
        ("1wk", "weekly"),
        ("2y", "+2y"),
        ("P1W", "weekly"),
        ("P2D", "+2d"),
        ("P1M", "monthly"),
        ("P1Y", "yearly"),
        ("P18M", "+18m"),
    ],
)
def test_taskwarrior_recurrences_map_to_ours(tw_recur: str, ours: str) -> None:
    assert taskwarrior.recur_from_taskwarrior(tw_recur) == (ours, None)


def test_month_words_taskwarrior_counts_in_days_map_with_a_notice() -> None:
    ours, notice = taskwarrior.recur_from_taskwarrior("2months")
    assert ours == "+2m"
    assert notice is not None
    assert "60 days" in notice


@pytest.mark.parametrize(("tw_recur", "ours"), [("24h", "daily"), ("48hours", "+2d")])
def test_hours_that_make_whole_days_are_days_with_a_notice(tw_recur: str, ours: str) -> None:
    days = int(tw_recur[:2]) // 24
    assert taskwarrior.recur_from_taskwarrior(tw_recur) == (
        ours,
        f"recur {tw_recur!r} counts hours in Taskwarrior; imported as every {days} "
        f"day{'s' if days > 1 else ''} (local days, over a change of the clocks too)",
    )


@pytest.mark.parametrize(
    ("tw_recur", "why"), [("36h", "is no whole number of days"), ("12h", "repeats within a day")]
)
def test_hours_that_are_no_whole_days_are_refused_saying_so(tw_recur: str, why: str) -> None:
    with pytest.raises(ValueError, match=f"^'{tw_recur}' {why}; the shortest recurrence is daily$"):
        taskwarrior.recur_from_taskwarrior(tw_recur)


@pytest.mark.parametrize("tw_recur", ["2h", "PT2H", "30min", "0d", "P1M2D", "sennight", "3"])
def test_recurrences_we_cannot_say_are_a_problem_on_recur(tz: Any, tw_recur: str) -> None:
    result = read_objects(tz, obj(recur=tw_recur, due="20261201T090000Z"))
    assert [(p.where, p.field) for p in result.problems] == [("task 1", "recur")]
    assert result.records == []


def test_a_recurrence_word_is_kept_to_be_written_back(tz: Any) -> None:
    template = obj(status="recurring", recur="biweekly", due="20261201T090000Z", mask="-")
    instance = obj(parent=template["uuid"], imask=0, recur="biweekly", due="20261201T090000Z")
    record = read_objects(tz, template, instance).records[0]
    assert record.recur == "+2w"
    assert record.attributes["taskwarrior.recur"] == "biweekly"
    written = json.loads("".join(write([record], tz=tz)))
    assert [o["recur"] for o in written] == ["biweekly", "biweekly"]


def test_a_series_taskwarrior_has_gone_on_with_is_kept_to_be_written_back(tz: Any) -> None:
    """Its first due, its mask, the open task's index and the later instances, as they were.

    So that `task import` of our export into the data it came from makes none of
    them again (tests/test_interchange_tools.py runs that with the real `task`).
    """
    template = obj(status="recurring", recur="weekly", due="20261102T090000Z", mask="+--")
    done = obj(
        parent=template["uuid"],
        imask=0,
        recur="weekly",
        status="completed",
        due="20261102T090000Z",
        end="20261102T100000Z",
    )
    carrier = obj(parent=template["uuid"], imask=1, recur="weekly", due="20261109T090000Z")
    later = obj(
        parent=template["uuid"],
        imask=2,
        recur="weekly",
        due="20261116T090000Z",
        id=7,
        urgency=3.2,
        priority="H",
    )
    batch = read_objects(tz, template, done, carrier, later)
    assert batch.skipped == {"recurring template": 1, "later recurring instance": 1}
    (open_task,) = [r for r in batch.records if not r.completed]
    kept = {k: v for k, v in later.items() if k not in ("id", "urgency")}
    assert open_task.attributes == {
        "taskwarrior.series": {
            "recur": "weekly",
            "due": "20261102T090000Z",
            "mask": "+--",
            "imask": 1,
            "later": [kept],
            # The template's own fields, which the series' next instances take there.
            "own": {"description": "Something", "priority": None, "project": None, "tags": None},
            "entry": template["entry"],  # when the series was made there
            "zone": ZONE,  # where Taskwarrior steps it: the import's
        }
    }
    written = json.loads("".join(write([open_task], tz=tz)))
    assert written == [
        {
            **{k: v for k, v in written[0].items() if k not in ("due", "mask")},
            "due": "20261102T090000Z",
            "mask": "+--",
        },
        {**written[1], "imask": 1},
        kept,
    ]
    assert (written[0]["uuid"], written[0]["status"]) == (template["uuid"], "recurring")
    assert written[1]["uuid"] == carrier["uuid"]


def test_a_series_template_goes_back_with_its_own_entry(tz: Any) -> None:
    """When the series was made there, not when its open instance was: the template
    went back with the open task's `entry`."""
    template = obj(
        status="recurring", recur="weekly", due="20261102T090000Z", mask="--",
        entry="20261101T080000Z",
    )  # fmt: skip
    carrier = obj(
        parent=template["uuid"], imask=0, recur="weekly", due="20261102T090000Z",
        entry="20261102T080000Z",
    )  # fmt: skip
    later = obj(
        parent=template["uuid"], imask=1, recur="weekly", due="20261109T090000Z",
        entry="20261109T080000Z",
    )  # fmt: skip
    batch = read_objects(tz, template, carrier, later)
    (open_task,) = batch.records
    written = json.loads("".join(write([open_task], tz=tz)))
    assert [(o["uuid"], o["entry"]) for o in written] == [
        (template["uuid"], template["entry"]),
        (carrier["uuid"], carrier["entry"]),
        (later["uuid"], later["entry"]),
    ]


def test_a_series_is_stepped_in_the_zone_taskwarrior_keeps_it_in() -> None:
    """A Berlin series' open task done under TZ=America/New_York a week after the US
    clocks changed and before Berlin's: stepped in New York, the next whole day came
    out an hour off Taskwarrior's, the count of occurrences started over, and our
    export gave Taskwarrior a second task that day beside its own instance."""
    from dataclasses import fields as dataclass_fields

    from todo_cli.domain.fields import Task
    from todo_cli.services.tasks import successor_values

    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    template = obj(status="recurring", recur="weekly", due="20270310T230000Z", mask="+--")
    carrier = obj(parent=template["uuid"], imask=1, recur="weekly", due="20270317T230000Z")
    later = obj(parent=template["uuid"], imask=2, recur="weekly", due="20270324T230000Z")
    done = obj(
        parent=template["uuid"], imask=0, recur="weekly", due="20270310T230000Z",
        status="completed", end="20270311T110000Z",
    )  # fmt: skip
    batch = read_objects(berlin, template, done, carrier, later)
    (record,) = [r for r in batch.records if not r.completed]
    assert record.attributes["taskwarrior.series"]["zone"] == "Europe/Berlin"
    given = {
        f.name: getattr(record, f.name) for f in dataclass_fields(Task) if hasattr(record, f.name)
    }
    now = datetime(2027, 3, 21, 16, tzinfo=UTC)
    done_here = {"number": 2, "completed": True, "completed_at": now}
    task = Task(**given | done_here | {"blocked_by": (), "blocks": (), "urgency": 0.0})
    following = successor_values(task, now=now, tz=new_york)
    assert following is not None
    # Taskwarrior's instance for 25 March takes the place: its uuid and its day.
    assert str(following["id"]) == later["uuid"]
    assert following["due"] == day_end(date(2027, 3, 25), berlin)


def _a_sync_of_what_changed() -> tuple[dict[str, Any], ...]:
    """A weekly series of four instances; the first done in Taskwarrior after the last
    sync: `task modified.after:X export` holds the template and that instance alone."""
    template = obj(status="recurring", recur="weekly", due="20261102T090000Z", mask="+---")
    instances = [
        obj(
            parent=template["uuid"],
            imask=index,
            recur="weekly",
            due=f"202611{2 + 7 * index:02d}T090000Z",
            modified="20261101T090000Z",
        )
        for index in range(4)
    ]
    done = {**instances[0], "status": "completed", "end": "20261103T100000Z"}
    return template, done, *instances


def test_a_synced_template_goes_on_with_the_instance_kept_here(tz: Any) -> None:
    """The series' open task here done in the file, its later instances not in it
    (unchanged in Taskwarrior): the next kept one is the series' open task, the rest
    kept after it, as a whole export would have given them. Nothing is counted as
    skipped but the template, the one task the file has and does not import."""
    template, done, first, second, third, fourth = _a_sync_of_what_changed()
    kept = {
        "recur": "weekly",
        "due": template["due"],
        "mask": "----",
        "imask": 0,
        "later": [second, third, fourth],
    }
    asked: list[list[UUID]] = []

    def held(series: Any) -> dict[UUID, tuple[UUID, Any]]:
        asked.append(list(series))
        return {UUID(template["uuid"]): (UUID(first["uuid"]), kept)}

    batch = read(((f"task {n}", o) for n, o in enumerate([template, done], 1)), tz=tz, held=held)
    assert asked == [[UUID(template["uuid"])]]
    assert batch.problems == []
    assert batch.skipped == {"recurring template": 1}
    by_id = {str(r.id): r for r in batch.records}
    assert sorted(by_id) == sorted([first["uuid"], second["uuid"]])
    assert by_id[first["uuid"]].completed
    following = by_id[second["uuid"]]
    assert not following.completed
    assert following.due == tw_time(second["due"])
    assert str(following.series_id) == template["uuid"]
    assert following.recur == "weekly"
    assert following.attributes["taskwarrior.series"] == {
        "recur": "weekly",
        "due": template["due"],
        "mask": "+---",
        "imask": 1,
        "later": [third, fourth],
        "own": {"description": "Something", "priority": None, "project": None, "tags": None},
        "entry": template["entry"],
        "zone": ZONE,
    }
    assert batch.notices == [
        "task 1: the recurring task's open task here is done in the file: its series goes "
        "on with the instances Taskwarrior had made, kept here since the last import"
    ]


def test_a_synced_series_goes_on_with_the_kept_instance_before_a_new_one(tz: Any) -> None:
    """Taskwarrior made an instance after the last sync as well (its recurrence runs
    on every command): the file has it, pending, beside the done one. The series'
    open task is still the earliest pending instance, kept here, not that new one."""
    template, done, first, second, third, fourth = _a_sync_of_what_changed()
    template = {**template, "mask": "+----"}
    fifth = obj(
        parent=template["uuid"],
        imask=4,
        recur="weekly",
        due="20261130T090000Z",
        entry="20261129T080000Z",
    )
    kept = {
        "recur": "weekly",
        "due": template["due"],
        "mask": "----",
        "imask": 0,
        "later": [second, third, fourth],
    }
    batch = read(
        [("task 1", template), ("task 2", done), ("task 3", fifth)],
        tz=tz,
        held=lambda series: {UUID(template["uuid"]): (UUID(first["uuid"]), kept)},
    )
    assert batch.problems == []
    assert batch.skipped == {"recurring template": 1, "later recurring instance": 1}
    (following,) = [r for r in batch.records if not r.completed]
    assert str(following.id) == second["uuid"]
    hint = following.attributes["taskwarrior.series"]
    assert (hint["mask"], hint["imask"]) == ("+----", 1)
    assert [o["uuid"] for o in hint["later"]] == [third["uuid"], fourth["uuid"], fifth["uuid"]]
    assert batch.notices[-1] == (
        f"task 3: later pending instances of the recurring task at instance {second['uuid']} "
        "(kept here) not imported: one open task per series, the next one comes when it is "
        "done"
    )


def test_a_synced_template_whose_open_task_here_is_not_in_the_file_makes_none(tz: Any) -> None:
    """The series' open task here unchanged in Taskwarrior (not in the file): the
    series stays at it, no open task is made of the template."""
    template, done, first, second, *_ = _a_sync_of_what_changed()
    batch = read(
        [("task 1", template), ("task 2", done)],
        tz=tz,
        held=lambda series: {UUID(template["uuid"]): (UUID(second["uuid"]), None)},
    )
    assert batch.skipped == {"recurring template": 1}
    assert [(str(r.id), r.completed) for r in batch.records] == [(first["uuid"], True)]


def test_a_later_instance_done_out_of_turn_leaves_the_series_kept_here(tz: Any) -> None:
    """The third instance done in Taskwarrior, the series' open task here (the first)
    untouched: the file holds the template and that instance. The series kept with
    the open task here moves on as the file has it (the template's mask, the done
    instance no longer among the later ones): written back, its uuid went to
    Taskwarrior twice, pending and done, under the old mask."""
    template, _, first, second, third, fourth = _a_sync_of_what_changed()
    template = {**template, "mask": "--+-"}
    done = {**third, "status": "completed", "end": "20261117T100000Z"}
    kept = {
        "recur": "weekly",
        "due": template["due"],
        "mask": "----",
        "imask": 0,
        "later": [second, third, fourth],
    }
    batch = read(
        [("task 1", template), ("task 2", done)],
        tz=tz,
        held=lambda series: {UUID(template["uuid"]): (UUID(first["uuid"]), kept)},
    )
    assert batch.problems == []
    assert batch.skipped == {"recurring template": 1}
    assert [(str(r.id), r.completed) for r in batch.records] == [(third["uuid"], True)]
    assert batch.series_moved == {
        UUID(first["uuid"]): {
            **kept,
            "mask": "--+-",
            "later": [second, fourth],
            "entry": template["entry"],
        }
    }
    # Its place in the series goes back with it.
    (record,) = batch.records
    assert record.attributes["taskwarrior.imask"] == 2
    (written,) = [
        o for o in json.loads("".join(write([record], tz=tz))) if o["uuid"] == third["uuid"]
    ]
    assert (written["status"], written["imask"], written["parent"]) == (
        "completed",
        2,
        template["uuid"],
    )


def test_an_instance_edited_there_keeps_the_series_kept_here(tz: Any) -> None:
    """The open instance edited in Taskwarrior, alone in the file (its template did not
    change): the series kept with it here stays, the later instances as the file has
    them, and no notice says the series starts over."""
    template, _, first, second, third, fourth = _a_sync_of_what_changed()
    edited = {**first, "description": "Pay the rent", "modified": "20261105T090000Z"}
    third_edited = {**third, "description": "Third, moved", "modified": "20261105T090000Z"}
    kept = {
        "recur": "weekly",
        "due": template["due"],
        "mask": "----",
        "imask": 0,
        "later": [second, third, fourth],
    }
    batch = read(
        [("task 1", edited), ("task 2", third_edited)],
        tz=tz,
        held=lambda series: {UUID(template["uuid"]): (UUID(first["uuid"]), kept)},
    )
    assert batch.problems == []
    (record,) = batch.records
    assert (str(record.id), record.title) == (first["uuid"], "Pay the rent")
    assert record.attributes["taskwarrior.series"] == {
        **kept,
        "later": [second, {k: v for k, v in third_edited.items() if k != "id"}, fourth],
    }
    assert not any("starts over" in notice for notice in batch.notices)


def test_a_synced_template_and_open_task_keep_the_instances_the_file_left_out(tz: Any) -> None:
    """The open instance edited and a new instance made in Taskwarrior: the file holds
    the template (its mask grew), the open task and the new instance, not the later
    instances made before. Those stay kept after the open task: dropped, the next task
    here took an id of its own beside Taskwarrior's instance for that occurrence."""
    template, _, first, second, third, fourth = _a_sync_of_what_changed()
    kept = {
        "recur": "weekly",
        "due": template["due"],
        "mask": "---",
        "imask": 0,
        "later": [second, third],
    }
    edited = {**first, "description": "Edited there", "modified": "20261105T090000Z"}
    batch = read(
        [("task 1", {**template, "mask": "----"}), ("task 2", edited), ("task 3", fourth)],
        tz=tz,
        held=lambda series: {UUID(template["uuid"]): (UUID(first["uuid"]), kept)},
    )
    assert batch.problems == []
    assert batch.skipped == {"recurring template": 1, "later recurring instance": 1}
    (record,) = batch.records
    assert (str(record.id), record.title) == (first["uuid"], "Edited there")
    hint = record.attributes["taskwarrior.series"]
    assert (hint["mask"], hint["imask"]) == ("----", 0)
    assert [o["uuid"] for o in hint["later"]] == [second["uuid"], third["uuid"], fourth["uuid"]]


def test_a_later_instance_edited_there_goes_with_the_series_kept_here(tz: Any) -> None:
    """A later instance (not the series' open task here) edited in Taskwarrior, alone in
    a filtered file: it was read as a second open task and left out, and the export
    written back took the edit away there. It goes with the series kept beside the
    open task here, as the file has it."""
    template, _, first, second, third, fourth = _a_sync_of_what_changed()
    kept = {
        "recur": "weekly",
        "due": template["due"],
        "mask": "----",
        "imask": 0,
        "later": [second, third, fourth],
    }
    edited = {**third, "description": "Third, moved", "due": "20261117T090000Z", "id": 4}
    batch = read(
        [("task 1", edited)],
        tz=tz,
        held=lambda series: {UUID(template["uuid"]): (UUID(first["uuid"]), kept)},
    )
    assert batch.problems == []
    assert batch.records == []
    assert batch.skipped == {"later recurring instance": 1}
    copy = {k: v for k, v in edited.items() if k != "id"}
    assert batch.series_moved == {UUID(first["uuid"]): {**kept, "later": [second, copy, fourth]}}
    assert not any("starts over" in notice for notice in batch.notices)


def test_the_template_keeps_the_distance_of_its_wait_before_its_due(tz: Any) -> None:
    """Taskwarrior gives each new instance the template's wait as a distance from its
    due: written with the open task's wait beside the series' first due, every later
    instance waited until days after it was due."""
    template = obj(
        status="recurring",
        recur="weekly",
        due="20261102T090000Z",
        wait="20261031T090000Z",
        mask="+-",
    )
    done = obj(
        parent=template["uuid"],
        imask=0,
        recur="weekly",
        status="completed",
        due="20261102T090000Z",
        wait="20261031T090000Z",
        end="20261102T100000Z",
    )
    carrier = obj(
        parent=template["uuid"],
        imask=1,
        recur="weekly",
        due="20261109T090000Z",
        wait="20261107T090000Z",
    )
    batch = read_objects(tz, template, done, carrier)
    (open_task,) = [r for r in batch.records if not r.completed]
    written = json.loads("".join(write([open_task], tz=tz)))
    assert (written[0]["status"], written[0]["due"], written[0]["wait"]) == (
        "recurring",
        "20261102T090000Z",
        "20261031T090000Z",
    )
    assert (written[1]["due"], written[1]["wait"]) == ("20261109T090000Z", "20261107T090000Z")


def test_a_synced_template_with_nothing_kept_here_is_read_as_its_open_task(tz: Any) -> None:
    """Nothing kept of the series (its open task was made here): as without the database."""
    template, done, first, *_ = _a_sync_of_what_changed()
    alone = read([("task 1", template), ("task 2", done)], tz=tz)
    asked = read(
        [("task 1", template), ("task 2", done)],
        tz=tz,
        held=lambda series: {UUID(template["uuid"]): (UUID(first["uuid"]), None)},
    )
    assert asked.records == alone.records
    assert len([r for r in asked.records if not r.completed]) == 1


def test_a_kept_series_is_not_written_once_its_recurrence_changed(tz: Any) -> None:
    template = obj(status="recurring", recur="weekly", due="20261102T090000Z", mask="+-")
    carrier = obj(parent=template["uuid"], imask=1, recur="weekly", due="20261109T090000Z")
    later = obj(parent=template["uuid"], imask=2, recur="weekly", due="20261116T090000Z")
    (open_task,) = read_objects(tz, template, carrier, later).records
    changed = replace(open_task, recur="+2w")
    written = json.loads("".join(write([changed], tz=tz)))
    assert [o["uuid"] for o in written] == [template["uuid"], carrier["uuid"]]
    assert (written[0]["due"], written[0]["mask"], written[1]["imask"]) == (carrier["due"], "-", 0)


def test_the_series_goes_on_with_the_next_task_in_the_instance_s_place(tz: Any) -> None:
    later: list[dict[str, Any]] = [
        {"uuid": str(uuid4()), "imask": 2, "due": "20261116T090000Z"},
        {"uuid": str(uuid4()), "imask": 3.0, "due": "20261123T090000Z"},  # as 2.6 rewrites it
        {"uuid": str(uuid4()), "imask": 4, "due": "20261130T090000Z"},
    ]
    hint = {"recur": "weekly", "due": "20261102T090000Z", "mask": "+----", "imask": 1}
    taken, kept = taskwarrior.series_after({**hint, "later": later}, 1)
    assert taken == UUID(later[0]["uuid"])
    assert kept == {**hint, "mask": "++---", "imask": 2, "later": later[1:]}
    # Three on: the instances in between are passed over, deleted there too ("X").
    taken, kept = taskwarrior.series_after({**hint, "later": later}, 3)
    assert taken == UUID(later[2]["uuid"])
    assert kept == {**hint, "mask": "++XX-", "imask": 4, "later": [], "gone": later[:2]}
    # And so written: deleted, with the open task, after the template.
    task = record(
        recur="weekly",
        series_id=UUID(str(uuid4())),
        due=datetime(2026, 11, 30, 9, tzinfo=UTC),
        attributes={"taskwarrior.series": kept},
        id=taken,
    )
    template, _, *gone = written(tz, task)
    assert template["mask"] == "++XX-"
    assert [(o["uuid"], o["status"]) for o in gone] == [(i["uuid"], "deleted") for i in later[:2]]


def test_the_series_goes_on_past_the_instances_taskwarrior_made() -> None:
    """Places Taskwarrior never filled and we passed over are "X": it makes no task for them."""
    hint = {"recur": "weekly", "due": "20261102T090000Z", "mask": "+-", "imask": 1, "later": []}
    assert taskwarrior.series_after(hint, 1) == (None, {**hint, "mask": "++-", "imask": 2})
    assert taskwarrior.series_after(hint, 4) == (None, {**hint, "mask": "++XXX-", "imask": 5})


@pytest.mark.parametrize(
    ("hint", "steps"),
    [
        (None, 1),
        ({"recur": "weekly", "due": "20261102T090000Z", "mask": "+-", "imask": 1, "later": []}, 0),
        ({"recur": 7, "due": "20261102T090000Z", "mask": "+-", "imask": 1, "later": []}, 1),
        ({"recur": "weekly", "due": "20261102T090000Z", "mask": "+-", "imask": 2, "later": []}, 1),
        ({"recur": "weekly", "due": "20261102T090000Z", "mask": "+-", "imask": 1}, 1),
        ({"recur": "weekly", "mask": "+-", "imask": 1, "later": [{"imask": 2}]}, 1),
    ],
)
def test_a_broken_kept_series_goes_on_with_nothing(hint: Any, steps: int) -> None:
    assert taskwarrior.series_after(hint, steps) == (None, None)


def test_a_series_just_begun_keeps_its_first_due_count_and_zone(tz: Any) -> None:
    """Its first instance alone: what Taskwarrior keeps of it is kept too. Written from
    the open task once it was done here, a monthly series from the 31st started over
    from the next month's last day, and one done under another zone moved a day."""
    template = obj(status="recurring", recur="monthly", due="20270130T230000Z", mask="-")
    carrier = obj(parent=template["uuid"], imask=0, recur="monthly", due="20270130T230000Z")
    (open_task,) = read_objects(tz, template, carrier).records
    kept = open_task.attributes["taskwarrior.series"]
    assert (kept["due"], kept["mask"], kept["imask"], kept["later"]) == (
        template["due"],
        "-",
        0,
        [],
    )
    assert kept["zone"] == ZONE


def test_a_template_without_a_pending_instance_becomes_its_open_task(tz: Any) -> None:
    template = obj(status="recurring", recur="weekly", due="20261201T090000Z", mask="+")
    first = read_objects(tz, template)
    again = read_objects(tz, template)
    assert len(first.records) == 1
    record = first.records[0]
    assert record.recur == "weekly"
    assert record.series_id == UUID(template["uuid"])
    assert record.id != record.series_id
    assert again.records[0].id == record.id  # importing the file again finds it
    assert any("no pending instance" in notice for notice in first.notices)
    # Imported as that task: counted with the added, not also as skipped.
    assert first.skipped == {}


def test_a_whole_day_series_whose_instance_was_deleted_goes_on_a_whole_day(tz: Any) -> None:
    # `task add Rec due:2030-01-07 recur:weekly; task 2 delete`: the template keeps mask
    # "X". The next task was due at 00:00, timed, where a done instance gives a day.
    midnight = "20300106T230000Z"  # 2030-01-07 00:00 in Berlin: a date typed alone
    template = obj(status="recurring", recur="weekly", due=midnight, mask="X", description="Rec")
    deleted = obj(
        status="deleted", parent=template["uuid"], imask=0, recur="weekly", due=midnight,
        end="20300101T100000Z", description="Rec",
    )  # fmt: skip
    (open_one,) = read_objects(tz, template, deleted).records
    assert open_one.due is not None
    assert is_all_day(open_one.due, tz)
    assert open_one.due == day_end(date(2030, 1, 14), tz)


def test_a_template_past_its_until_makes_no_open_task(tz: Any) -> None:
    # Taskwarrior deleted the instances once `until` passed: the series is over there,
    # and was started again here, its next task due after the until.
    template = obj(
        status="recurring", recur="weekly", due="20261101T000000Z", mask="X",
        until="20261120T000000Z", description="Expired",
    )  # fmt: skip
    deleted = obj(
        status="deleted", parent=template["uuid"], imask=0, recur="weekly",
        due="20261101T000000Z", end="20261121T000000Z", until="20261120T000000Z",
        description="Expired",
    )  # fmt: skip
    found = read_objects(tz, template, deleted)
    assert (found.records, found.problems) == ([], [])
    assert found.skipped == {"deleted": 1, "recurring template": 1}
    assert found.notices == [
        "task 1: recurring template whose series ended at its until (20261120T000000Z): "
        "no open task made"
    ]
    # One whose until is still ahead goes on.
    later = template | {"until": "20261220T000000Z"}
    (open_one,) = read_objects(tz, later, deleted | {"parent": later["uuid"]}).records
    assert open_one.title == "Expired"


def test_a_template_whose_instances_are_done_opens_the_one_after_the_last(tz: Any) -> None:
    """What real `task N done` on a monthly instance leaves: mask "+", no pending child."""
    template = obj(
        status="recurring", recur="monthly", due="20300131T090000Z", mask="++", description="Rent"
    )
    done = [
        obj(
            status="completed",
            parent=template["uuid"],
            imask=index,
            recur="monthly",
            due=due,
            end="20300201T100000Z",
            description="Rent",
        )
        for index, due in enumerate(("20300131T090000Z", "20300228T090000Z"))
    ]
    found = read_objects(tz, template, *done)
    (open_one,) = [r for r in found.records if not r.completed]
    # Not January 31st again: March 31st, at the same local time (summer time by then).
    assert open_one.due is not None
    assert open_one.due.astimezone(tz).isoformat() == "2030-03-31T10:00:00+02:00"
    assert (open_one.recur_anchor, open_one.recur_index) == (tw_time(template["due"]), 2)
    assert sorted(r.due for r in found.records if r.completed) == [  # type: ignore[type-var]
        tw_time(done[0]["due"]),
        tw_time(done[1]["due"]),
    ]


def test_a_template_whose_last_instance_was_deleted_opens_the_one_after_it(tz: Any) -> None:
    """`task N delete` of one occurrence (not the series): mask "X", the instance deleted.
    The date deleted does not come back; the series goes on from the one after it."""
    template = obj(status="recurring", recur="weekly", due="20261210T090000Z", mask="X")
    deleted = obj(
        status="deleted",
        parent=template["uuid"],
        imask=0,
        recur="weekly",
        due="20261210T090000Z",
        end="20261204T100000Z",
    )
    (open_one,) = read_objects(tz, template, deleted).records
    assert open_one.due == tw_time("20261217T090000Z")
    assert open_one.recur_index == 1


# -- reading: bad input ----------------------------------------------------------------------


def test_a_duplicate_uuid_is_a_problem_naming_both_positions(tz: Any) -> None:
    first = obj()
    result = read_objects(tz, first, obj(uuid=first["uuid"], description="Other"))
    assert [(p.where, p.field) for p in result.problems] == [("task 2", "uuid")]
    assert "task 1" in result.problems[0].message


def test_a_bad_date_is_a_problem_naming_the_position_and_field(tz: Any) -> None:
    result = read_objects(tz, obj(), obj(due="20261331T090000Z"), obj(wait="tomorrow"))
    assert [(p.where, p.field) for p in result.problems] == [
        ("task 2", "due"),
        ("task 3", "wait"),
    ]
    assert len(result.records) == 1


def test_an_unknown_status_is_a_problem(tz: Any) -> None:
    result = read_objects(tz, obj(status="someday"))
    assert [(p.where, p.field) for p in result.problems] == [("task 1", "status")]
    assert "'someday'" in result.problems[0].message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"uuid": "not-a-uuid"}, "uuid"),
        ({"description": "  "}, "description"),
        ({"priority": 3}, "priority"),
        ({"project": 2026}, "project"),
        ({"tags": ["ok", 3]}, "tags"),
        ({"annotations": [{"entry": "20261120T080000Z"}]}, "annotations"),
        ({"depends": ["nope"]}, "depends"),
        ({"recur": "weekly"}, "recur"),  # no due
    ],
)
def test_a_bad_value_is_a_problem_naming_its_field(
    tz: Any, fields: dict[str, Any], field: str
) -> None:
    o = obj(**fields)
    if fields.get("entry", "") is None:
        del o["entry"]
    result = read_objects(tz, o)
    assert [(p.where, p.field) for p in result.problems] == [("task 1", field)]


def test_tags_and_a_project_taskwarrior_takes_that_are_none_here_are_kept(tz: Any) -> None:
    # `task add +@home +a.b project:'My Project'` is valid there: the task is taken,
    # what todo cannot hold as a tag or project is kept with it and said so.
    result = read_objects(
        tz,
        obj(tags=["ok", "@home", "a.b"], project="My Project"),
        obj(tags=["a.b"], project="2024.Q1"),
        obj(tags=["fine"], project="home.garden"),
    )
    assert result.problems == []
    first, second, third = result.records
    assert (first.tags, first.project) == (("ok",), None)
    assert first.attributes == {
        "taskwarrior.tags": ["@home", "a.b"],
        "taskwarrior.project": "My Project",
    }
    assert (second.tags, second.project) == ((), None)
    assert second.attributes == {"taskwarrior.tags": ["a.b"], "taskwarrior.project": "2024.Q1"}
    assert (third.tags, third.project, third.attributes) == (("fine",), "home.garden", {})
    kept = "kept with the task, shown by todo show and written back on Taskwarrior export"
    assert result.notices == [
        f"task 1: project 'My Project' is no project here: {kept}",
        f"task 1: tag '@home' is no tag here: {kept}",
        f"task 1, task 2: tag 'a.b' is no tag here: {kept}",
        f"task 2: project '2024.Q1' is no project here: {kept}",
    ]
    written = json.loads("".join(write(result.records, tz=tz)))
    assert [(o.get("tags"), o.get("project")) for o in written] == [
        (["@home", "a.b", "ok"], "My Project"),
        (["a.b"], "2024.Q1"),
        (["fine"], "home.garden"),
    ]
    assert all(not key.startswith("taskwarrior.") for o in written for key in o)


def test_a_priority_taskwarrior_takes_that_is_none_here_is_kept(tz: Any) -> None:
    # `uda.priority.values=H,M,L,1,2` lets `task add priority:1`, and `task import`
    # takes any word: refused, the task (and the whole import) could not come in.
    result = read_objects(tz, obj(priority="1"), obj(priority="1"), obj(priority="H"))
    assert result.problems == []
    first, second, third = result.records
    assert (first.priority, first.attributes) == (None, {"taskwarrior.priority": "1"})
    assert (second.priority, second.attributes) == (None, {"taskwarrior.priority": "1"})
    assert (third.priority, third.attributes) == ("H", {})
    assert result.notices == [
        "task 1, task 2: priority '1' is no priority here: kept with the task, "
        "shown by todo show and written back on Taskwarrior export"
    ]
    assert [o.get("priority") for o in written(tz, *result.records)] == ["1", "1", "H"]
    # A priority given here is the task's: it is written, not the one kept.
    given = replace(first, priority="L")
    assert [o["priority"] for o in written(tz, given)] == ["L"]


def test_tags_past_the_most_a_task_has_here_are_kept(tz: Any) -> None:
    # Taskwarrior has no limit on tags: the task comes in with the first 30, the
    # rest are kept with it and written back.
    names = [f"t{n:02}" for n in range(34)]
    result = read_objects(tz, obj(tags=[*names, "@home"]))
    assert result.problems == []
    (record_read,) = result.records
    assert record_read.tags == tuple(names[:30])
    assert record_read.attributes == {"taskwarrior.tags": ["@home", *names[30:]]}
    kept = "kept with the task, shown by todo show and written back on Taskwarrior export"
    assert result.notices == [
        "task 1: 34 tags, 30 the most a task has here: the other 4 (t30, t31, t32, t33) "
        "are kept with the task, shown by todo show and written back on Taskwarrior export",
        f"task 1: tag '@home' is no tag here: {kept}",
    ]
    (back,) = written(tz, record_read)
    assert back["tags"] == sorted([*names, "@home"])


def test_a_date_of_json_null_is_no_date(tz: Any) -> None:
    # Hand-made and script-made files write null for none: not "None is not a date".
    result = read_objects(tz, obj(due=None, wait=None, end=None))
    assert result.problems == []
    (record,) = result.records
    assert (record.due, record.wait) == (None, None)


@pytest.mark.parametrize(
    ("given", "taken"),
    [
        ({"modified": "20261121T090000Z"}, "modified"),
        ({"status": "completed", "end": "20261122T090000Z"}, "end"),
        ({}, "now"),
    ],
)
def test_a_task_without_entry_is_taken_as_task_import_takes_it(
    tz: Any, given: dict[str, Any], taken: str
) -> None:
    """`task import` makes one now; here its last change, else its end, else now."""
    source = obj(**given)
    del source["entry"]
    result = read_objects(tz, source)
    assert result.problems == []
    assert result.notices == [f"task 1: no entry (when it was made): taken as {taken}"]
    (record,) = result.records
    if taken != "now":
        expected = datetime.strptime(given[taken], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        assert record.created_at == expected
    else:
        assert abs(record.created_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_an_empty_annotation_is_left_out_as_taskwarrior_drops_it(tz: Any) -> None:
    notes = [
        {"entry": "20261120T080000Z", "description": " "},
        {"entry": "20261120T090000Z", "description": "kept"},
    ]
    result = read_objects(tz, obj(annotations=notes))
    assert result.problems == []
    assert result.notices == ["task 1: annotation 1 is empty: left out"]
    assert [note.text for note in result.records[0].notes] == ["kept"]


def test_a_missing_key_is_a_problem_naming_it(tz: Any) -> None:
    result = read_objects(tz, {"uuid": str(uuid4()), "status": "pending"})
    assert {(p.where, p.field) for p in result.problems} == {("task 1", "description")}


def test_a_syntax_error_names_the_line(tz: Any) -> None:
    text = '{"uuid": "x"}\n\n{"broken": \n'
    result = parse_text(text, "tasks.json", tz=tz)
    assert result.problems[0].where == "line 3"
    assert result.problems[0].field is None


def test_a_syntax_error_in_an_array_names_the_line(tz: Any) -> None:
    result = parse_text('\n[\n{"uuid": 1},\n{bad}\n]\n', "tasks.json", tz=tz)
    assert [(p.where, p.field) for p in result.problems] == [("line 4", None)]


def test_something_not_an_object_is_a_problem(tz: Any) -> None:
    result = parse_text("[1]", "tasks.json", tz=tz)
    assert [(p.where, p.field) for p in result.problems] == [("task 1", None)]


# -- writing -----------------------------------------------------------------------------


def record(**fields: Any) -> TaskRecord:
    base: dict[str, Any] = {
        "id": uuid4(),
        "number": 3,
        "title": "Water the plants",
        "description": None,
        "completed": False,
        "completed_at": None,
        "created_at": datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 21, 9, 0, 0, tzinfo=UTC),
    }
    base.update(fields)
    return TaskRecord(**base)


def written(tz: Any, *records: TaskRecord, notices: list[str] | None = None) -> Any:
    return json.loads("".join(write(records, tz=tz, notices=notices)))


def test_a_started_task_goes_back_started_done_or_not_as_taskwarrior_kept_it(tz: Any) -> None:
    # `task modify status:completed` keeps `start` (`todo done` takes it away, as
    # `task done` does): written without it, `task import` changed the task there.
    started = {"start": "20261121T080000Z"}
    [open_one] = written(tz, record(attributes=started))
    assert open_one["start"] == "20261121T080000Z"
    done = record(
        attributes=started, completed=True, completed_at=datetime(2026, 11, 22, tzinfo=UTC)
    )
    [done_one] = written(tz, done)
    assert (done_one["status"], done_one["start"]) == ("completed", "20261121T080000Z")


def test_a_whole_day_due_is_written_as_local_midnight(tz: Any) -> None:
    [out] = written(tz, record(due=day_end(date(2026, 12, 1), tz)))
    assert out["due"] == "20261130T230000Z"


def test_times_are_written_to_the_second(tz: Any) -> None:
    due = datetime(2026, 12, 1, 9, 30, 59, 999999, tzinfo=UTC)
    [out] = written(tz, record(due=due))
    assert out["due"] == "20261201T093059Z"
    assert out["entry"] == "20261120T080000Z"
    assert out["modified"] == "20261121T090000Z"


def test_a_done_task_is_completed_with_its_end(tz: Any) -> None:
    done_at = datetime(2026, 11, 22, 10, tzinfo=UTC)
    [out] = written(tz, record(completed=True, completed_at=done_at))
    assert out["status"] == "completed"
    assert out["end"] == "20261122T100000Z"


def test_an_open_task_is_pending_even_when_waiting(tz: Any) -> None:
    [out] = written(tz, record(wait=datetime(2027, 1, 1, tzinfo=UTC)))
    assert out["status"] == "pending"
    assert out["wait"] == "20270101T000000Z"


def test_a_recurring_open_task_is_written_as_template_and_instance(tz: Any) -> None:
    series = uuid4()
    task = record(recur="+2w", series_id=series, due=datetime(2026, 12, 1, 9, tzinfo=UTC))
    template, instance = written(tz, task)
    assert template["uuid"] == str(series)
    assert template["status"] == "recurring"
    assert template["mask"] == "-"
    assert template["recur"] == instance["recur"] == "2w"
    assert instance["uuid"] == str(task.id)
    assert instance["parent"] == str(series)
    assert instance["imask"] == 0
    assert instance["status"] == "pending"


def test_a_task_of_a_series_ended_here_is_written_as_an_instance_of_a_deleted_template(
    tz: Any,
) -> None:
    """Taskwarrior refuses an instance without `recur` (and the whole `task import` with it):
    the task keeps the recurrence it had, its template is deleted, and so are the later
    instances Taskwarrior had made."""
    template = obj(status="recurring", recur="biweekly", due="20261102T090000Z", mask="+-")
    carrier = obj(parent=template["uuid"], imask=1, recur="biweekly", due="20261116T090000Z")
    later = obj(parent=template["uuid"], imask=2, recur="biweekly", due="20261130T090000Z")
    (open_task,) = read_objects(tz, template, carrier, later).records
    ended = replace(
        open_task,
        recur=None,
        updated_at=datetime(2026, 11, 25, 12, tzinfo=UTC),
        attributes={**open_task.attributes, "todo.ended_recur": open_task.recur},
    )
    dead, instance, gone = written(tz, ended)
    assert (dead["uuid"], dead["status"], dead["end"]) == (
        template["uuid"],
        "deleted",
        "20261125T120000Z",
    )
    assert (dead["recur"], dead["due"], dead["mask"]) == ("biweekly", "20261102T090000Z", "+-")
    assert (instance["uuid"], instance["status"]) == (carrier["uuid"], "pending")
    assert (instance["parent"], instance["imask"], instance["recur"]) == (
        template["uuid"],
        1,
        "biweekly",
    )
    assert (gone["uuid"], gone["status"], gone["end"]) == (
        later["uuid"],
        "deleted",
        "20261125T120000Z",
    )


def test_a_done_task_of_an_ended_series_is_written_with_its_deleted_template_once(
    tz: Any,
) -> None:
    series = uuid4()
    due = datetime(2026, 12, 1, 9, tzinfo=UTC)
    hint = {"todo.ended_recur": "+3d"}
    first = record(series_id=series, due=due, completed=True, completed_at=due, attributes=hint)
    second = record(
        number=4, series_id=series, due=due, completed=True, completed_at=due, attributes=hint
    )
    dead, one, two = written(tz, first, second)
    assert (dead["uuid"], dead["status"], dead["recur"], dead["mask"]) == (
        str(series),
        "deleted",
        "3d",
        "-",
    )
    for out, task in ((one, first), (two, second)):
        assert (out["uuid"], out["status"], out["parent"], out["recur"]) == (
            str(task.id),
            "completed",
            str(series),
            "3d",
        )
        assert "imask" not in out


def test_an_ended_series_without_a_due_is_written_plain_and_reported(tz: Any) -> None:
    notices: list[str] = []
    task = record(series_id=uuid4(), attributes={"todo.ended_recur": "weekly"})
    [out] = written(tz, task, notices=notices)
    assert "parent" not in out
    assert "recur" not in out
    assert notices == [
        "Taskwarrior: 1 task(s): recurrence of an ended series not written: "
        "Taskwarrior needs a due: #3"
    ]


def test_a_task_without_a_series_is_written_plain_whatever_its_attributes(tz: Any) -> None:
    task = record(due=datetime(2026, 12, 1, 9, tzinfo=UTC), attributes={"todo.ended_recur": "x"})
    [out] = written(tz, task)
    assert "parent" not in out
    assert "recur" not in out


def test_an_instance_of_a_deleted_template_is_read_as_a_series_that_ended(tz: Any) -> None:
    """What `task delete` of a template leaves, or our export of a series ended here:
    Taskwarrior makes no more tasks of it, and neither does todo."""
    template = obj(status="deleted", recur="weekly", due="20261102T090000Z", mask="+-")
    done = obj(
        parent=template["uuid"],
        recur="weekly",
        status="completed",
        due="20261102T090000Z",
        end="20261102T100000Z",
    )
    carrier = obj(parent=template["uuid"], imask=1, recur="weekly", due="20261109T090000Z")
    batch = read_objects(tz, template, done, carrier)
    assert batch.problems == []
    assert batch.skipped == {"deleted": 1}
    # Its template and each one's index as Taskwarrior has them, to write back unchanged.
    kept = {k: v for k, v in template.items() if k not in ("id", "urgency")}
    ended = {"todo.ended_recur": "weekly", "taskwarrior.template": kept}
    assert [(r.recur, r.series_id, r.attributes) for r in batch.records] == [
        (None, UUID(template["uuid"]), ended),  # the done one, written with no index
        (None, UUID(template["uuid"]), ended | {"taskwarrior.imask": 1}),
    ]
    # And written back, it is the instance of its deleted template it was.
    dead, back_done, back_open = written(tz, *batch.records)
    assert (dead["uuid"], dead["status"]) == (template["uuid"], "deleted")
    assert (back_open["uuid"], back_open["recur"], back_open["parent"]) == (
        carrier["uuid"],
        "weekly",
        template["uuid"],
    )
    assert back_done["uuid"] == done["uuid"]


def test_every_pending_instance_of_a_deleted_template_is_imported(tz: Any) -> None:
    """`task delete` of a template alone (rc.recurrence.confirmation=no) leaves its
    instances pending: Taskwarrior lists each, and makes no more. Each is a task here;
    one keeps the series, the others keep it in a hint, and all go back as instances."""
    template = obj(status="deleted", recur="weekly", due="20261102T090000Z", mask="---")
    instances = [
        obj(parent=template["uuid"], imask=i, recur="weekly", due=f"202611{2 + 7 * i:02}T090000Z")
        for i in range(3)
    ]
    batch = read_objects(tz, template, *reversed(instances))
    assert batch.problems == []
    assert batch.skipped == {"deleted": 1}
    assert batch.notices == []
    by_id = {r.id: r for r in batch.records}
    records = [by_id[UUID(i["uuid"])] for i in instances]
    assert [(r.series_id, r.recur) for r in records] == [
        (UUID(template["uuid"]), None),
        (None, None),
        (None, None),
    ]
    assert [r.attributes for r in records[1:]] == [
        {"todo.ended_recur": "weekly", "todo.ended_series": template["uuid"]}
        | {"taskwarrior.template": template, "taskwarrior.imask": index}
        for index in (1, 2)
    ]
    dead, *back = written(tz, *records)
    assert (dead["uuid"], dead["status"]) == (template["uuid"], "deleted")
    assert [(o["uuid"], o["status"], o["parent"], o["recur"]) for o in back] == [
        (i["uuid"], "pending", template["uuid"], "weekly") for i in instances
    ]
    assert [o["imask"] for o in back] == [0, 1, 2]  # as Taskwarrior had them
    assert dead == template  # written back unchanged


def test_an_instance_whose_template_is_not_in_the_file_says_so(tz: Any) -> None:
    """`task status:pending export`: written back, its series would start over."""
    parent = str(uuid4())
    instance = obj(parent=parent, imask=2, recur="weekly", due="20261116T090000Z")
    batch = read_objects(tz, instance)
    assert batch.problems == []
    assert batch.notices == [
        "task 1: the recurring template it is an instance of is not in the file: written "
        "back, the series starts over in Taskwarrior (export with the templates: task "
        "status:pending or status:recurring export)"
    ]
    with_template = obj(uuid=parent, status="recurring", recur="weekly", mask="--+")
    assert read_objects(tz, with_template | {"due": "20261102T090000Z"}, instance).notices == []


def test_a_recurrence_after_completion_is_written_as_cadence_and_reported(tz: Any) -> None:
    notices: list[str] = []
    due = datetime(2026, 12, 1, 9, tzinfo=UTC)
    written(tz, record(recur="1w", series_id=uuid4(), due=due), notices=notices)
    assert notices == [
        "Taskwarrior: 1 task(s): recurrence after completion written as Taskwarrior's "
        "(on the due cadence): #3"
    ]


def test_a_description_of_its_own_becomes_an_annotation(tz: Any) -> None:
    notices: list[str] = []
    [out] = written(tz, record(description="Twice a week"), notices=notices)
    assert out["description"] == "Water the plants"
    assert out["annotations"] == [{"entry": "20261120T080000Z", "description": "Twice a week"}]
    assert len(notices) == 1


def test_numbers_in_attributes_are_written_as_taskwarrior_keeps_them(tz: Any) -> None:
    [out] = written(tz, record(attributes={"estimate": 3, "ratio": 2.5, "todotxt.line": "x"}))
    assert out["estimate"] == "3"
    assert out["ratio"] == "2.5"
    assert "todotxt.line" not in out


def test_json_lines_are_one_object_a_line(tz: Any) -> None:
    text = "".join(write([record(), record()], tz=tz, json_lines=True))
    assert [json.loads(line)["description"] for line in text.splitlines()] == [
        "Water the plants",
        "Water the plants",
    ]


def test_the_writer_streams_object_by_object(tz: Any) -> None:
    chunks = list(write([record(), record()], tz=tz))
    assert len(chunks) == 4  # "[", two objects, "]"


# -- through the real task ---------------------------------------------------------------


def taskwarrior_installed() -> str:
    from tests.ci_gate import requires_taskwarrior

    return requires_taskwarrior()


class Taskwarrior:
    """The real `task` in its own data directory, never the user's."""

    def __init__(self, root: Path) -> None:
        self.executable = taskwarrior_installed()
        self.data = root / "task"
        self.data.mkdir()
        self.rc = root / "taskrc"
        self.rc.write_text(
            f"data.location={self.data}\n"
            "confirmation=off\nverbose=nothing\nhooks=off\nnews.version=2.6.0\n"
            "uda.estimate.type=numeric\nuda.estimate.label=Estimate\n"
        )
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root),
            "TZ": ZONE,
            "TASKRC": str(self.rc),
            "TASKDATA": str(self.data),
            "LC_ALL": "C.UTF-8",
        }

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [self.executable, *args],
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def import_text(self, text: str, name: str) -> None:
        path = self.data.parent / name
        path.write_text(text, encoding="utf-8")
        self.run("import", str(path))

    def export(self) -> list[dict[str, Any]]:
        # recurrence=off: the export must show what was imported, not the instances
        # Taskwarrior would add to a series up to now.
        exported: list[dict[str, Any]] = json.loads(self.run("rc.recurrence=off", "export"))
        return exported


# Recomputed by Taskwarrior on every export, or recurrence bookkeeping the writer numbers
# again (an open instance becomes index 0 of a template whose mask is "-").
IGNORED = {"id", "urgency", "imask", "mask"}


def comparable(o: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in o.items() if key not in IGNORED}
    if "depends" in out:
        out["depends"] = sorted(out["depends"])
    return out


def test_the_fixture_comes_back_from_task_import_field_by_field(
    tmp_path: Path, tz: Any, batch: ImportBatch, exported: list[dict[str, Any]]
) -> None:
    task = Taskwarrior(tmp_path)
    task.import_text("".join(write(batch.records, tz=tz)), "import.json")
    after = {o["uuid"]: o for o in task.export()}

    imported = {str(r.id) for r in batch.records}
    template = raw(exported, "Weekly review", "recurring")
    # The later pending instances are not imported but kept, and written back as they were.
    later = {
        o["uuid"]
        for o in exported
        if o.get("parent") == template["uuid"] and o["status"] == "pending"
    } - imported
    assert len(later) == batch.skipped["later recurring instance"] > 0
    for source in exported:
        if source["uuid"] not in imported | later:
            continue
        assert comparable(after[source["uuid"]]) == comparable(source), source["description"]
    assert after[template["uuid"]]["status"] == "recurring"
    assert after[template["uuid"]]["recur"] == "weekly"
    assert (after[template["uuid"]]["due"], after[template["uuid"]]["mask"]) == (
        template["due"],
        template["mask"],
    )
    assert len(after) == len(imported) + 1 + len(later)  # and the template


def test_reading_task_export_after_our_import_gives_the_same_records(
    tmp_path: Path, tz: Any, batch: ImportBatch
) -> None:
    task = Taskwarrior(tmp_path)
    task.import_text("".join(write(batch.records, tz=tz)), "import.json")
    again = read(((f"task {n}", o) for n, o in enumerate(task.export(), 1)), tz=tz)
    assert again.problems == []
    assert sorted(again.records, key=lambda r: str(r.id)) == sorted(
        batch.records, key=lambda r: str(r.id)
    )


def test_our_own_tasks_survive_task_import_and_export(tmp_path: Path, tz: Any) -> None:
    first = record(
        title="Call the bank",
        priority="H",
        project="home.money",
        tags=("finance", "phone"),
        due=day_end(date(2026, 12, 24), tz),
        notes=(Note(datetime(2026, 11, 21, 8, tzinfo=UTC), "ask about fees"),),
        attributes={"estimate": 2},
    )
    records = [
        first,
        record(
            title="Pay invoice",
            due=datetime(2026, 12, 2, 16, 45, tzinfo=UTC),
            wait=day_start(date(2026, 12, 1), tz),
            depends=(first.id,),
        ),
        record(
            title="Stretch", recur="weekdays", series_id=uuid4(), due=day_end(date(2026, 12, 1), tz)
        ),
        record(
            title="Old thing",
            completed=True,
            completed_at=datetime(2026, 11, 25, 18, tzinfo=UTC),
            tags=("done-before",),
        ),
    ]
    task = Taskwarrior(tmp_path)
    task.import_text("".join(write(records, tz=tz, json_lines=True)), "import.jsonl")
    again = read(((f"task {n}", o) for n, o in enumerate(task.export(), 1)), tz=tz)
    assert again.problems == []
    expected = {r.id: r for r in records}
    got = {r.id: r for r in again.records}
    assert got.keys() == expected.keys()
    for task_id, want in expected.items():
        # Taskwarrior has no task numbers: they are the product's to give. A whole-day
        # due comes back with Taskwarrior's own (its 00:00), kept to be written back.
        attributes = dict(got[task_id].attributes)
        if "taskwarrior.due" in attributes:
            assert want.due is not None
            assert want.due == day_end(local_date(want.due, tz), tz), want.title
            midnight = day_start(local_date(want.due, tz), tz)
            assert attributes.pop("taskwarrior.due") == midnight.strftime("%Y%m%dT%H%M%SZ")
        if want.recur is not None:
            # A series comes back with what Taskwarrior keeps of it (its first due, count,
            # zone): the template as written.
            kept = attributes.pop("taskwarrior.series")
            assert (kept["mask"], kept["imask"], kept["later"]) == ("-", 0, []), want.title
        back = replace(got[task_id], attributes=attributes)
        assert back == TaskRecord(**{**_fields(want), "number": None}), want.title


def _fields(record: TaskRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in TaskRecord.__dataclass_fields__}


def test_taskwarrior_reads_what_we_write_in_both_layouts(tmp_path: Path, tz: Any) -> None:
    task = Taskwarrior(tmp_path)
    ours: Iterable[TaskRecord] = [record(title="One"), record(title="Two")]
    task.import_text("".join(write(ours, tz=tz)), "array.json")
    task.import_text("".join(write([record(title="Three")], tz=tz, json_lines=True)), "l.json")
    assert sorted(o["description"] for o in task.export()) == ["One", "Three", "Two"]


# -- the shared record (interchange) ----------------------------------------------------------


def test_to_json_has_the_product_keys_in_order(tz: Any) -> None:
    out = record(due=day_end(date(2026, 12, 1), tz)).to_json()
    assert list(out) == [
        "id",
        "number",
        "title",
        "description",
        "completed",
        "completed_at",
        "created_at",
        "updated_at",
        "priority",
        "due",
        "wait",
        "project",
        "tags",
        "notes",
        "depends",
        "recur",
        "series_id",
        "recur_anchor",
        "recur_index",
        "attributes",
    ]
    assert out["created_at"] == "2026-11-20T08:00:00.000000Z"
    assert out["due"] == "2026-12-01T22:59:59.999999Z"


def test_from_json_names_every_bad_field_at_its_position() -> None:
    good = record(recur="+1w", series_id=uuid4()).to_json()
    bad = {
        **good,
        "title": " ",
        "priority": "X",
        "due": "2026-12-01 10:00",
        "tags": ["fine", "9lives"],
        "recur": "fortnightly",
        "extra": 1,
    }
    with pytest.raises(InvalidRecord) as caught:
        TaskRecord.from_json(bad, "task 7")
    assert {(p.where, p.field) for p in caught.value.problems} == {
        ("task 7", "title"),
        ("task 7", "priority"),
        ("task 7", "due"),
        ("task 7", "tags"),
        ("task 7", "recur"),
        ("task 7", "extra"),
    }


def test_from_json_stores_the_canonical_recurrence() -> None:
    obj = {**record().to_json(), "recur": "+1w"}
    assert TaskRecord.from_json(obj, "task 1").recur == "weekly"


def test_from_json_needs_the_required_keys() -> None:
    with pytest.raises(InvalidRecord) as caught:
        TaskRecord.from_json({"title": "x"}, "line 2")
    assert {p.field for p in caught.value.problems} == {
        "id",
        "completed",
        "created_at",
        "updated_at",
    }


def test_a_batch_with_problems_raises_invalid_input_listing_them() -> None:
    batch = ImportBatch()
    batch.problem("line 3", "due", "'2026-02-30' is not a date that exists")
    with pytest.raises(InvalidInput) as caught:
        batch.raise_for_problems("todo.txt")
    assert "line 3: due: '2026-02-30' is not a date that exists" in caught.value.message


def test_an_instance_done_here_goes_back_with_its_place_in_the_series(tz: Any) -> None:
    """Done with `todo done`, the task keeps the series as Taskwarrior had it beside it:
    written without its index, `task import` read it as 0 and marked that place done."""
    hint = {"recur": "weekly", "due": "20261102T090000Z", "mask": "++--", "imask": 2, "later": []}
    done = record(
        recur="weekly",
        series_id=uuid4(),
        due=datetime(2026, 11, 16, 9, tzinfo=UTC),
        completed=True,
        completed_at=datetime(2026, 11, 16, 10, tzinfo=UTC),
        attributes={"taskwarrior.series": hint},
    )
    [written_done] = written(tz, done)
    assert (written_done["status"], written_done["imask"]) == ("completed", 2)
    # Done in Taskwarrior, its own index (taskwarrior.imask) is the one written.
    there = replace(done, attributes={"taskwarrior.imask": 1})
    [written_there] = written(tz, there)
    assert written_there["imask"] == 1
