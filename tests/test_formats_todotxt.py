"""todo.txt import and export: against files todo.sh made, and through todo.sh itself.

The fixtures (tests/fixtures/todotxt/, made by tests/fixtures/make_fixtures.sh) were written
by todo.txt-cli in Europe/Berlin; these tests read them in that zone. The tests that run the
real `todo-txt` are skipped where it is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from todo_cli.domain.dates import day_end, day_start
from todo_cli.formats.interchange import ImportBatch, Note, TaskRecord
from todo_cli.formats.todotxt import LINE_HINT, Identities, read, write

FIXTURES = Path(__file__).parent / "fixtures" / "todotxt"
# The zone the fixtures were made in (tests/fixtures/todotxt/README.md).
ZONE = "Europe/Berlin"
TODAY = date(2026, 12, 3)


@pytest.fixture(scope="module")
def tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(ZONE)


def lines_of(path: Path) -> list[str]:
    return path.read_text("utf-8").splitlines()


def read_lines(tz: Any, lines: list[str], **options: Any) -> ImportBatch:
    return read(enumerate(lines, 1), tz=tz, today=TODAY, **options)


def read_one(tz: Any, line: str) -> TaskRecord:
    batch = read_lines(tz, [line])
    assert batch.problems == []
    [record] = batch.records
    return record


def write_text(tz: Any, records: list[TaskRecord], notices: list[str] | None = None) -> str:
    return "".join(write(records, tz=tz, notices=notices))


@pytest.fixture(scope="module")
def todo(tz: Any) -> ImportBatch:
    return read_lines(tz, lines_of(FIXTURES / "todo.txt"))


def by_title(batch: ImportBatch, title: str) -> TaskRecord:
    found = [r for r in batch.records if r.title == title]
    assert len(found) == 1, f"{len(found)} records titled {title!r}"
    return found[0]


def fixture_day() -> date:
    """The day the fixture script ran: todo.sh wrote it as the completion date of Call mom."""
    [line] = [x for x in lines_of(FIXTURES / "todo.txt") if "Call mom" in x]
    return date.fromisoformat(line.split()[1])


# -- reading the fixture ---------------------------------------------------------------------


def test_the_fixture_reads_without_problems(todo: ImportBatch) -> None:
    assert todo.problems == []
    assert len(todo.records) == len(lines_of(FIXTURES / "todo.txt"))


def test_priorities_a_b_c_are_high_medium_low(todo: ImportBatch) -> None:
    assert by_title(todo, "Pay rent").priority == "M"
    assert by_title(todo, "Book flights url:https://example.org/f").priority == "L"


def test_priority_d_is_low_with_a_notice_naming_the_line(todo: ImportBatch) -> None:
    assert by_title(todo, "Water plants").priority == "L"
    assert "line 3: priority (D) imported as L" in todo.notices


def test_a_done_line_has_its_completion_and_creation_dates(todo: ImportBatch, tz: Any) -> None:
    record = by_title(todo, "Sort photos")
    day = fixture_day()
    assert record.completed
    assert record.completed_at == day_start(day, tz)
    assert record.created_at == day_start(day, tz)


def test_todo_sh_do_drops_the_priority(todo: ImportBatch) -> None:
    record = by_title(todo, "Call mom")
    assert record.completed
    assert record.priority is None


def test_the_first_plus_word_is_the_project_and_the_rest_are_tags(todo: ImportBatch) -> None:
    record = by_title(todo, "Water plants")
    assert record.project == "home"
    assert record.tags == ("garden", "home")  # +garden, and the context @home


def test_contexts_are_tags(todo: ImportBatch) -> None:
    record = by_title(todo, "Pay rent")
    assert record.project == "home"
    assert record.tags == ("desk",)


def test_due_is_a_whole_day_and_t_a_wait_from_the_days_start(todo: ImportBatch, tz: Any) -> None:
    assert by_title(todo, "Pay rent").due == day_end(date(2026, 12, 1), tz)
    assert by_title(todo, "Review quarterly goals").wait == day_start(date(2026, 12, 10), tz)


def test_rec_is_the_recurrence_in_both_modes(todo: ImportBatch) -> None:
    assert by_title(todo, "Water plants").recur == "weekly"  # rec:+1w: on the cadence
    assert by_title(todo, "Fix bike").recur == "1w"  # rec:1w: after completion
    assert by_title(todo, "Water plants").series_id is not None


def test_other_keys_and_spacing_stay_in_the_title(todo: ImportBatch) -> None:
    assert by_title(todo, "Book flights url:https://example.org/f").due is not None
    assert by_title(todo, "Email Bob re: the meeting").project is None


def test_a_line_without_a_creation_date_was_created_today(todo: ImportBatch, tz: Any) -> None:
    assert by_title(todo, "Review quarterly goals").created_at == day_start(TODAY, tz)


def test_a_done_line_without_a_creation_date_was_created_when_done(
    todo: ImportBatch, tz: Any
) -> None:
    record = by_title(todo, "Call mom")
    assert record.created_at == record.completed_at == day_start(fixture_day(), tz)


def test_pri_on_a_done_line_is_its_priority(tz: Any) -> None:
    done = read_lines(tz, lines_of(FIXTURES / "done.txt"))
    assert done.problems == []
    assert by_title(done, "Renew insurance").priority == "M"


def test_the_fixture_is_written_back_line_for_line(tz: Any) -> None:
    for name in ("todo.txt", "done.txt"):
        text = (FIXTURES / name).read_text("utf-8")
        assert write_text(tz, read_lines(tz, text.splitlines()).records) == text, name


def test_an_open_line_giving_its_priority_as_pri_alone_is_written_back_as_it_came(
    tz: Any,
) -> None:
    text = "2026-11-20 Call the bank pri:A\nCall mom pri:B +family\n"
    batch = read_lines(tz, text.splitlines())
    assert [r.priority for r in batch.records] == ["H", "M"]
    assert write_text(tz, batch.records) == text


def test_a_line_of_nothing_but_its_prefix_is_refused_for_what_it_holds(tz: Any) -> None:
    lines = ["Buy milk", "x 2026-12-01", "(B) 2026-12-05", "x 2026-12-02 2026-11-30", "+p @c"]
    batch = read_lines(tz, lines)
    assert [str(problem) for problem in batch.problems] == [
        "line 2: title: the line has nothing but a done mark and a date, no words",
        "line 3: title: the line has nothing but a priority and a date, no words",
        "line 4: title: the line has nothing but a done mark and dates, no words",
        "line 5: title: the line has no words besides projects, tags and keys",
    ]


def test_a_byte_order_mark_starting_a_line_inside_the_file_is_no_part_of_it(tz: Any) -> None:
    """Two files joined with `cat`, each with its own mark."""
    batch = read_lines(tz, ["Buy milk", "\ufeff(A) 2026-11-01 Call mom +family"])
    assert batch.problems == []
    call = batch.records[1]
    assert (call.title, call.priority, call.project) == ("Call mom", "H", "family")
    assert call.created_at == day_start(date(2026, 11, 1), tz)


def test_records_survive_their_own_json(todo: ImportBatch) -> None:
    for n, record in enumerate(todo.records, 1):
        assert TaskRecord.from_json(record.to_json(), f"line {n}") == record


# -- reading: rules --------------------------------------------------------------------------


def test_blank_lines_are_skipped_and_positions_are_file_lines(tz: Any) -> None:
    batch = read(iter([(1, "Call mom"), (2, "   "), (3, "due:2026-1 Pay")]), tz=tz, today=TODAY)
    assert len(batch.records) == 1
    assert [(p.where, p.field) for p in batch.problems] == [("line 3", "due")]


def test_a_tag_written_as_plus_word_and_a_context_come_back_as_written(tz: Any) -> None:
    line = "Plan +a +b @c"
    record = read_one(tz, line)
    assert (record.project, record.tags) == ("a", ("b", "c"))
    assert write_text(tz, [record]) == line + "\n"


def test_words_that_are_no_tag_stay_in_the_title(tz: Any) -> None:
    record = read_one(tz, "Call +1-555 at @2pm about C++")
    assert record.title == "Call +1-555 at @2pm about C++"
    assert (record.project, record.tags) == (None, ())


def test_rec_without_due_stays_in_the_title_with_a_notice(tz: Any) -> None:
    batch = read_lines(tz, ["Water plants rec:1w"])
    assert batch.records[0].title == "Water plants rec:1w"
    assert batch.records[0].recur is None
    assert batch.notices == ["line 1: rec:1w kept in the title: a recurrence needs a due: date"]


@pytest.mark.parametrize(
    ("rec", "ours"),
    [
        ("1d", "1d"),
        ("+1d", "daily"),
        ("2w", "2w"),
        ("+3m", "+3m"),
        ("+1y", "yearly"),
        ("1b", "weekdays"),
        ("+1b", "weekdays"),
    ],
)
def test_rec_values_map_to_our_recurrence(tz: Any, rec: str, ours: str) -> None:
    assert read_one(tz, f"Stretch rec:{rec} due:2026-12-01").recur == ours


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("Pay rent due:2026-02-30", "due"),
        ("Pay rent due:2026-1-5", "due"),
        ("Review t:2026-13-01", "wait"),
        ("2026-13-01 Call mom", "created_at"),
        ("x 2026-02-30 Call mom", "completed_at"),
        ("x 2026-11-30 2026-11-31 Call mom", "created_at"),
        ("Stretch rec:fortnightly due:2026-12-01", "recur"),
        ("Call mom pri:AB", "priority"),
        ("Call mom due:2026-12-01 due:2026-12-02", "due"),
        ("+home @phone", "title"),
    ],
)
def test_bad_input_is_a_problem_naming_the_line_and_field(tz: Any, line: str, field: str) -> None:
    batch = read_lines(tz, ["Fine task", line])
    assert [(p.where, p.field) for p in batch.problems] == [("line 2", field)]
    assert len(batch.records) == 1


def test_a_due_or_threshold_of_words_is_title_text_with_a_notice(tz: Any) -> None:
    # todo.sh takes "due:tomorrow" as it is, and our export writes such a title as it
    # is: the task is taken, not the whole file refused. A date mistyped is refused.
    batch = read_lines(tz, ["Pay rent due:tomorrow", "Review t:soon +home"])
    assert batch.problems == []
    assert [(r.title, r.due, r.wait) for r in batch.records] == [
        ("Pay rent due:tomorrow", None, None),
        ("Review t:soon", None, None),
    ]
    assert batch.notices == [
        "line 1: due:tomorrow kept in the title: not a date such as 2026-12-24",
        "line 2: t:soon kept in the title: not a date such as 2026-12-24",
    ]


def test_a_rec_beside_a_due_of_words_is_title_text_too(tz: Any) -> None:
    # "due:soon" stays in the title, so the rec: has no due to repeat from: the line
    # was refused ("a recurring task needs a due date"), though our own export of the
    # title "Ask due:soon rec:1w" writes it, and the export said it left out a
    # recurrence the task never had.
    batch = read_lines(tz, ["Ask due:soon rec:1w"])
    assert batch.problems == []
    (record,) = batch.records
    assert (record.title, record.due, record.recur) == ("Ask due:soon rec:1w", None, None)
    assert batch.notices == [
        "line 1: due:soon kept in the title: not a date such as 2026-12-24",
        "line 1: rec:1w kept in the title: a recurrence needs a due: date",
    ]
    notices: list[str] = []
    assert write_text(tz, [replace(record, attributes={})], notices).startswith(
        "2026-12-03 Ask due:soon rec:1w "
    )
    assert notices == []


def test_a_uuid_word_that_is_no_uuid_is_title_text_with_a_notice(tz: Any) -> None:
    # Prose ("the uuid:1234 error"), and how our export writes such a title.
    batch = read_lines(tz, ["Ask about uuid:1234 error"])
    assert batch.problems == []
    (record,) = batch.records
    assert record.title == "Ask about uuid:1234 error"
    assert batch.notices == ["line 1: uuid:1234 kept in the title: not a UUID"]


def test_a_duplicate_uuid_is_a_problem(tz: Any) -> None:
    key = uuid4()
    batch = read_lines(tz, [f"One uuid:{key}", f"Two uuid:{key}"])
    assert [(p.where, p.field) for p in batch.problems] == [("line 2", "id")]
    assert "line 1" in batch.problems[0].message


def test_a_uuid_given_in_two_files_is_a_problem(tz: Any) -> None:
    key = uuid4()
    shared = Identities()
    read_lines(tz, [f"x 2026-11-20 One uuid:{key}"], identities=shared, source="done.txt")
    batch = read_lines(tz, [f"Two uuid:{key}"], identities=shared, source="todo.txt")
    assert [(p.where, p.field) for p in batch.problems] == [("todo.txt line 1", "id")]
    assert "done.txt line 1" in batch.problems[0].message


def test_a_source_name_goes_into_positions(tz: Any) -> None:
    batch = read_lines(tz, ["due:2026-02-30 x"], source="done.txt")
    assert batch.problems[0].where == "done.txt line 1"


# -- ids: importing the same file again ----------------------------------------------------


def test_the_same_file_gives_the_same_records_every_time(tz: Any) -> None:
    lines = lines_of(FIXTURES / "todo.txt")
    assert read_lines(tz, lines).records == read_lines(tz, lines).records


def test_a_uuid_key_is_the_id(tz: Any) -> None:
    key = uuid4()
    record = read_one(tz, f"Call mom uuid:{key}")
    assert record.id == key
    assert record.title == "Call mom"


def test_prioritising_and_doing_a_task_keeps_its_id(tz: Any) -> None:
    plain = read_one(tz, "2026-11-20 Call mom +family")
    prioritised = read_one(tz, "(A) 2026-11-20 Call mom +family")
    done = read_one(tz, "x 2026-11-30 2026-11-20 Call mom +family pri:A")
    assert plain.id == prioritised.id == done.id


def test_two_lines_alike_are_two_tasks(tz: Any) -> None:
    batch = read_lines(tz, ["Take out trash", "Take out trash"])
    assert batch.problems == []
    assert batch.records[0].id != batch.records[1].id


def test_an_archived_task_keeps_its_id_when_done_txt_is_read_first(tz: Any) -> None:
    before = Identities()
    read_lines(tz, ["x 2026-11-20 Take out trash"], identities=before, source="done.txt")
    open_task = read_lines(tz, ["Take out trash"], identities=before).records[0]
    after = Identities()
    archived = read_lines(
        tz,
        ["x 2026-11-20 Take out trash", "x 2026-11-27 Take out trash"],
        identities=after,
        source="done.txt",
    ).records[1]
    assert archived.id == open_task.id


def test_done_copies_and_the_next_instance_share_a_series(tz: Any) -> None:
    batch = read_lines(
        tz,
        [
            "x 2026-11-25 Water plants rec:+1w due:2026-11-25",
            "Water plants rec:+1w due:2026-12-02",
        ],
    )
    done, following = batch.records
    assert done.series_id == following.series_id is not None
    assert done.id != following.id


# -- writing -------------------------------------------------------------------------------


def record(**fields: Any) -> TaskRecord:
    base: dict[str, Any] = {
        "id": uuid4(),
        "number": 1,
        "title": "Call the bank",
        "description": None,
        "completed": False,
        "completed_at": None,
        "created_at": datetime(2026, 11, 20, 8, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 20, 8, tzinfo=UTC),
    }
    base.update(fields)
    return TaskRecord(**base)


def test_our_task_is_written_in_the_canonical_layout_with_its_uuid(tz: Any) -> None:
    task = record(
        priority="H",
        project="home.money",
        tags=("finance", "phone"),
        due=day_end(date(2026, 12, 24), tz),
        wait=day_start(date(2026, 12, 20), tz),
        recur="+2w",
        series_id=uuid4(),
    )
    assert write_text(tz, [task]) == (
        "(A) 2026-11-20 Call the bank +home.money @finance @phone due:2026-12-24 "
        f"t:2026-12-20 rec:+2w uuid:{task.id}\n"
    )


def test_what_we_write_reads_back_the_same(tz: Any) -> None:
    tasks = [
        record(priority="M", tags=("phone",), due=day_end(date(2026, 12, 24), tz)),
        record(
            title="Stretch",
            completed=True,
            completed_at=datetime(2026, 11, 25, 18, tzinfo=UTC),
            priority="L",
            recur="weekdays",
            due=day_end(date(2026, 11, 25), tz),
        ),
    ]
    again = read_lines(tz, write_text(tz, tasks).splitlines())
    assert again.problems == []
    for want, got in zip(tasks, again.records, strict=True):
        assert got.id == want.id
        assert (got.title, got.priority, got.due, got.tags, got.recur, got.completed) == (
            want.title,
            want.priority,
            want.due,
            want.tags,
            want.recur,
            want.completed,
        )
        assert got.created_at == day_start(date(2026, 11, 20), tz)


def test_an_imported_line_is_written_again_in_its_own_words_after_a_change(tz: Any) -> None:
    line = "(B) Pay rent +home due:2026-12-01 @desk"
    imported = read_one(tz, line)
    assert imported.attributes == {LINE_HINT: line}
    done = TaskRecord(
        **{
            **{n: getattr(imported, n) for n in TaskRecord.__dataclass_fields__},
            "completed": True,
            "completed_at": day_start(date(2026, 12, 1), tz),
        }
    )
    assert write_text(tz, [done]) == "x 2026-12-01 Pay rent +home due:2026-12-01 @desk pri:B\n"


def test_an_edited_title_is_written_in_the_canonical_layout(tz: Any) -> None:
    imported = read_one(tz, "(D) Water plants +home +garden @home due:2026-12-02")
    edited = TaskRecord(
        **{**{n: getattr(imported, n) for n in TaskRecord.__dataclass_fields__}, "title": "Water"}
    )
    # The +tag and the (D) of the original line are kept; no creation date, as before.
    assert write_text(tz, [edited]) == (
        f"(D) Water +home +garden @home due:2026-12-02 uuid:{imported.id}\n"
    )


def test_what_todo_txt_cannot_hold_is_reported(tz: Any) -> None:
    notices: list[str] = []
    write_text(
        tz,
        [
            record(
                notes=(Note(datetime(2026, 11, 21, tzinfo=UTC), "n"),),
                depends=(uuid4(),),
                description="More words",
                due=datetime(2026, 12, 1, 15, 30, tzinfo=UTC),
                attributes={"estimate": 3},
            )
        ],
        notices,
    )
    assert sorted(notices) == [
        "todo.txt: 1 task(s): dependencies not written (todo.txt has no place for them): #1",
        "todo.txt: 1 task(s): description not written (todo.txt has one text per task): #1",
        "todo.txt: 1 task(s): due: time of day dropped (todo.txt holds dates): #1",
        "todo.txt: 1 task(s): foreign attributes not written: #1",
        "todo.txt: 1 task(s): notes not written (todo.txt has no place for them): #1",
    ]


def test_a_title_that_would_read_back_otherwise_is_reported(tz: Any) -> None:
    notices: list[str] = []
    text = write_text(tz, [record(title="Buy +milk")], notices)
    assert text.startswith("2026-11-20 Buy +milk")
    assert notices == [
        "todo.txt: 1 task(s): title does not read back the same from todo.txt: #1",
        "todo.txt: 1 task(s): project does not read back the same from todo.txt: #1",
    ]


def test_a_title_holding_key_words_is_reported_for_what_reads_back_alone(tz: Any) -> None:
    """It has no recurrence: the line reads back with one, and a due; no loss of one."""
    notices: list[str] = []
    write_text(tz, [record(title="Read about rec:1w and due:2026-12-24")], notices)
    assert notices == [
        "todo.txt: 1 task(s): title does not read back the same from todo.txt: #1",
        "todo.txt: 1 task(s): due does not read back the same from todo.txt: #1",
        "todo.txt: 1 task(s): recur does not read back the same from todo.txt: #1",
    ]


def test_losses_name_the_first_five_tasks_of_each_kind(tz: Any) -> None:
    notices: list[str] = []
    noted = (Note(datetime(2026, 11, 21, tzinfo=UTC), "n"),)
    unnumbered = record(number=None, notes=noted)
    tasks = [record(number=n, notes=noted) for n in (3, 5, 8, 13, 21, 34, 55)]
    write_text(tz, [record(number=2), unnumbered, *tasks], notices)
    assert notices == [
        "todo.txt: 8 task(s): notes not written (todo.txt has no place for them): "
        f"{unnumbered.id}, #3, #5, #8, #13 and 3 more"
    ]


@pytest.mark.parametrize(
    ("line", "title"),
    [("(A) x marks the spot", "x marks the spot"), ("(B) 2026-11-20 x ray", "x ray")],
)
def test_a_task_whose_own_line_would_read_back_otherwise_goes_out_with_its_date_first(
    tz: Any, line: str, title: str
) -> None:
    # Without its priority, "(A) x marks the spot" as read would start with "x ": done.
    imported = read_one(tz, line)
    notices: list[str] = []
    text = write_text(tz, [replace(imported, priority=None)], notices)
    assert notices == []
    again = read_one(tz, text.rstrip("\n"))
    assert (again.id, again.title, again.completed, again.priority) == (
        imported.id,
        title,
        False,
        None,
    )


def test_a_first_plus_word_too_long_for_a_project_is_told_by_the_project_rule(tz: Any) -> None:
    long = "a" * 120
    batch = read_lines(tz, [f"+{long} work @{'b' * 60}"])
    (record,) = batch.records
    assert (record.project, record.title) == (None, f"+{long} work @{'b' * 60}")
    assert batch.notices == [
        f"line 1: +{long} kept in the title: project is 120 characters, the limit is 100",
        f"line 1: @{'b' * 60} kept in the title: tag {'b' * 60!r} is 60 characters, "
        "the limit is 50",
    ]


def test_lines_have_no_trailing_spaces(tz: Any, todo: ImportBatch) -> None:
    for line in write_text(tz, [*todo.records, record(title="  padded  ")]).splitlines():
        assert line == line.rstrip()


# -- through the real todo.sh -----------------------------------------------------------------


class TodoSh:
    """The real todo.sh with its own config and files, never the user's."""

    def __init__(self, root: Path) -> None:
        from tests.ci_gate import requires_todotxt

        self.executable = requires_todotxt()
        self.dir = root / "todo"
        self.dir.mkdir()
        self.config = root / "todo.cfg"
        self.config.write_text(
            f'export TODO_DIR="{self.dir}"\n'
            'export TODO_FILE="$TODO_DIR/todo.txt"\n'
            'export DONE_FILE="$TODO_DIR/done.txt"\n'
            'export REPORT_FILE="$TODO_DIR/report.txt"\n'
        )
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root),
            "TZ": ZONE,
            "LC_ALL": "C.UTF-8",
        }

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [self.executable, "-d", str(self.config), *args],
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    @property
    def todo_txt(self) -> Path:
        return self.dir / "todo.txt"


def test_a_file_edited_by_todo_sh_reads_back_the_same(tmp_path: Path, tz: Any) -> None:
    todo_sh = TodoSh(tmp_path)
    shutil.copy(FIXTURES / "todo.txt", todo_sh.todo_txt)
    before = read_lines(tz, lines_of(todo_sh.todo_txt)).records
    todo_sh.run("add", "Buy stamps +errands @post due:2026-12-09")
    todo_sh.run("-t", "add", "Plan trip rec:+1m due:2027-01-15 +travel")
    todo_sh.run("pri", "4", "A")  # Review quarterly goals
    todo_sh.run("-a", "do", "2")  # Pay rent

    text = todo_sh.todo_txt.read_text("utf-8")
    after = read_lines(tz, text.splitlines())
    assert after.problems == []
    assert write_text(tz, after.records) == text
    assert by_title(after, "Review quarterly goals").priority == "H"
    assert by_title(after, "Pay rent").completed
    assert by_title(after, "Buy stamps").tags == ("post",)
    assert by_title(after, "Plan trip").recur == "monthly"
    # Prioritised and done tasks are the same tasks as before the edits.
    ids = {r.title: r.id for r in before}
    assert by_title(after, "Review quarterly goals").id == ids["Review quarterly goals"]
    assert by_title(after, "Pay rent").id == ids["Pay rent"]


def test_todo_sh_understands_what_we_write(tmp_path: Path, tz: Any) -> None:
    todo_sh = TodoSh(tmp_path)
    tasks = [
        record(title="Call the bank", priority="H", project="home", tags=("phone",)),
        record(title="File taxes", project="admin", due=day_end(date(2026, 12, 31), tz)),
    ]
    todo_sh.todo_txt.write_text(write_text(tz, tasks), encoding="utf-8")
    assert todo_sh.run("-p", "listproj").split() == ["+admin", "+home"]
    assert todo_sh.run("-p", "listcon").split() == ["@phone"]
    assert todo_sh.run("-p", "listpri", "A").splitlines()[0].startswith("1 (A) 2026-11-20 Call")
    todo_sh.run("-a", "do", "1")
    again = read_lines(tz, lines_of(todo_sh.todo_txt))
    assert again.records[0].completed
    assert [r.id for r in again.records] == [t.id for t in tasks]


def test_an_uuid_in_a_line_survives_todo_sh(tmp_path: Path, tz: Any) -> None:
    todo_sh = TodoSh(tmp_path)
    key = UUID("0b6f2c8e-9d1a-4f3e-8c7b-5a4d3e2f1a0b")
    todo_sh.run("add", f"Call mom uuid:{key}")
    todo_sh.run("pri", "1", "B")
    assert read_lines(tz, lines_of(todo_sh.todo_txt)).records[0].id == key


def test_a_recurrence_out_of_range_names_its_field_once(tz: Any) -> None:
    result = read_lines(tz, ["Zero rec:0d due:2026-12-04"])
    assert [(p.field, p.message) for p in result.problems] == [
        ("recur", "'0d' is not a recurrence: the count must be from 1 to 999")
    ]
    assert str(result.problems[0]).count("recur:") == 1


def test_a_recurrence_of_several_business_days_is_kept_in_the_title(tz: Any) -> None:
    # rec:2b is todo.txt's (the recurrence add-on's), no recurrence here: the task is
    # taken, not the whole file refused, and the word kept where it was.
    result = read_lines(tz, ["Standup rec:2b due:2026-12-07", "Daily rec:1b due:2026-12-07"])
    assert result.problems == []
    standup, daily = result.records
    assert (standup.title, standup.recur) == ("Standup rec:2b", None)
    assert (daily.title, daily.recur) == ("Daily", "weekdays")
    assert result.notices == [
        "line 1: rec:2b kept in the title: every 2 business days is no recurrence todo has "
        "(rec:1b, weekdays, is)",
        # The add-on counts rec:1b from the completion: taken on the cadence, and said.
        "line 2: rec:1b taken as weekdays, on the due's cadence (as rec:+1b): todo has no "
        "business days counted from the completion",
    ]
    cadence = read_lines(tz, ["Daily rec:+1b due:2026-12-07", "Daily rec:+1B due:2026-12-07"])
    assert [r.recur for r in cadence.records] == ["weekdays", "weekdays"]
    assert cadence.notices == []
    refused = read_lines(tz, ["Odd rec:0b due:2026-12-07"])
    assert [p.field for p in refused.problems] == ["recur"]
