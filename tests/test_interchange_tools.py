"""`todo import` and `todo export` against the real tools: Taskwarrior's `task` and `todo-txt`.

Each tool runs in a throw-away directory of its own (TASKRC/TASKDATA, a
todo.txt config), never the user's, in Europe/Berlin like `todo`. Where a tool
is missing the test skips locally and fails under CI=true (tests/ci_gate.py).

Taskwarrior: tasks made with `task`, `task export`, `todo import`, `todo export
--format taskwarrior`, `task import` into a fresh data directory and `task
export` there (rc.recurrence=off, so that Taskwarrior adds no instance of its
own): every task we import comes back field by field. What does not come back
the same, by design or because Taskwarrior recomputes it, is listed in IGNORED
and in the tests of the series and of what is not imported.

todo.txt: what `todo export --format todotxt` writes is what todo.sh lists, and
what todo.sh changes (add, pri, do) arrives with the next `todo import`.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.ci_gate import requires_taskwarrior, requires_todotxt
from tests.conftest import Result, Todo

ZONE = "Europe/Berlin"
FIXTURES = Path(__file__).parent / "fixtures"


class BerlinTodo(Todo):
    """`todo` in the zone the tools run in."""

    @property
    def env(self) -> dict[str, str]:
        return super().env | {"TZ": ZONE}


@pytest.fixture
def todo(db_url: str) -> Todo:
    return BerlinTodo(db_url)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def tool_env(root: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root),
        "TZ": ZONE,
        "LC_ALL": "C.UTF-8",
        **extra,
    }


def run_tool(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, encoding="utf-8", check=False, timeout=60
    )
    assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    return done.stdout


# --- Taskwarrior ---------------------------------------------------------------------------------


class Taskwarrior:
    """The real `task` with its own taskrc and data directory under `root`."""

    def __init__(self, root: Path) -> None:
        self.executable = requires_taskwarrior()
        self.root = root
        data = root / "task"
        data.mkdir(parents=True)
        rc = root / "taskrc"
        rc.write_text(
            f"data.location={data}\n"
            "confirmation=off\nrecurrence.confirmation=no\nverbose=nothing\nhooks=off\n"
            "news.version=2.6.0\n"
            "uda.estimate.type=numeric\nuda.estimate.label=Estimate\n",
            encoding="utf-8",
        )
        self.env = tool_env(root, TASKRC=str(rc), TASKDATA=str(data))

    def __call__(self, *args: str) -> str:
        return run_tool([self.executable, *args], self.env)

    def uuid(self, *filter_words: str) -> str:
        (found,) = self(*filter_words, "_uuids").split()
        return found

    def export(self) -> list[dict[str, Any]]:
        # recurrence=off: what is stored, without instances Taskwarrior would add up to now.
        objects: list[dict[str, Any]] = json.loads(self("rc.recurrence=off", "export"))
        return objects

    def import_file(self, path: Path) -> str:
        return self("rc.recurrence=off", "import", str(path))


def tw_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


def make_tasks(task: Taskwarrior) -> None:
    """Every kind of task the issue names, made by `task` itself."""
    now = datetime.now(UTC).replace(microsecond=0)
    task(
        "add",
        "Buy milk",
        "+shopping",
        "+errand",
        "project:home.kitchen",
        "priority:H",
        f"due:{tw_date(now + timedelta(days=3, hours=2))}",
    )
    milk = task.uuid("/Buy milk/")
    task(milk, "annotate", "organic, if they have it")
    task(milk, "annotate", "ask about the oat one")
    task("add", "Pay rent", "project:home", "priority:M", "due:2027-01-01")  # a date: 00:00 local
    task(
        "add",
        "Weekly review",
        "project:work",
        "recur:weekly",
        f"due:{tw_date(now - timedelta(days=15))}",
    )
    task("list")  # makes the instances up to now
    first = task.uuid("+INSTANCE", f"due.before:{tw_date(now - timedelta(days=14))}")
    task(first, "done")
    task("add", "Write report", "+work", "project:work", f"depends:{milk}", "estimate:3")
    task("add", "Renew passport", "priority:L", "wait:2027-01-10", "due:2027-02-01")
    task("add", "Plan café ☕ menu", "+food", "scheduled:2026-12-24", "until:2027-06-30")
    task(task.uuid("/café/"), "annotate", "Ünïcödé note")
    task("add", "Old chore")
    task(task.uuid("/Old chore/"), "done")
    task("add", "Cancelled trip", "+travel")
    task(task.uuid("/Cancelled trip/"), "delete")


# Recomputed by Taskwarrior on every export (id, urgency), or the recurrence bookkeeping
# our writer does not keep for every task (a done instance is written without its
# index; the series' own is test_the_series_comes_back_as_taskwarrior_kept_it).
IGNORED = frozenset({"id", "urgency", "imask", "mask"})


def comparable(obj: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """`obj` without what is IGNORED, and without `modified` where the source's is before entry.

    Taskwarrior copies a template's `modified` into each instance it makes, so an
    instance made in a later second than its template was changed has `modified` before
    `entry`; that case is test_an_instance_modified_before_its_entry_keeps_its_modified.
    """
    ignored = IGNORED | ({"modified"} if source["modified"] < source["entry"] else set())
    kept = {key: value for key, value in obj.items() if key not in ignored}
    if "depends" in kept:
        kept["depends"] = sorted(kept["depends"])
    return kept


@dataclass
class TaskwarriorRoundTrip:
    made: list[dict[str, Any]]  # `task export` of what `task` made
    summary: dict[str, Any]  # `todo import --json` of it
    ours: list[dict[str, Any]]  # `todo export --format taskwarrior`
    back: list[dict[str, Any]]  # `task export` after `task import` of ours, in a fresh dir
    import_output: str

    def made_by_uuid(self) -> dict[str, dict[str, Any]]:
        return {o["uuid"]: o for o in self.made}

    def back_by_uuid(self) -> dict[str, dict[str, Any]]:
        return {o["uuid"]: o for o in self.back}

    def template(self) -> dict[str, Any]:
        (found,) = [o for o in self.made if o["status"] == "recurring"]
        return found

    def open_instances(self) -> list[dict[str, Any]]:
        uuid = self.template()["uuid"]
        found = [o for o in self.made if o.get("parent") == uuid and o["status"] == "pending"]
        return sorted(found, key=lambda o: str(o["due"]))


@pytest.fixture
def through_taskwarrior(todo: Todo, tmp_path: Path) -> TaskwarriorRoundTrip:
    first = Taskwarrior(tmp_path / "made")
    make_tasks(first)
    made = first.export()
    exported = tmp_path / "task-export.json"
    exported.write_text(json.dumps(made, ensure_ascii=False), encoding="utf-8")
    summary = ok(todo("import", str(exported), "--json")).json()
    ours_text = ok(todo("export", "--format", "taskwarrior", "--all")).stdout
    ours_file = tmp_path / "todo-export.json"
    ours_file.write_text(ours_text, encoding="utf-8")
    fresh = Taskwarrior(tmp_path / "fresh")
    output = fresh.import_file(ours_file)
    return TaskwarriorRoundTrip(made, summary, json.loads(ours_text), fresh.export(), output)


def test_every_task_todo_imports_comes_back_from_task_field_by_field(
    through_taskwarrior: TaskwarriorRoundTrip,
) -> None:
    trip = through_taskwarrior
    back = trip.back_by_uuid()
    template = trip.template()
    later = trip.open_instances()[1:]
    compared = 0
    for source in trip.made:
        if source["status"] == "deleted" or source is template:
            continue
        assert comparable(back[source["uuid"]], source) == comparable(source, source), source[
            "description"
        ]
        compared += 1
    # The later pending instances of the series are not imported, but kept with its
    # open task and written back as Taskwarrior wrote them.
    assert compared == trip.summary["added"] + len(later) == 8 + len(later)


def test_an_instance_modified_before_its_entry_keeps_its_modified(
    todo: Todo, tmp_path: Path
) -> None:
    task = Taskwarrior(tmp_path / "made")
    task("add", "Water plants", "recur:weekly", "due:2026-11-02T10:00")
    time.sleep(1.1)  # the instances are made in a later second than the template
    task("list")
    made = task.export()
    instance = min((o for o in made if o.get("parent")), key=lambda o: str(o["due"]))
    assert instance["modified"] < instance["entry"]
    source = tmp_path / "task-export.json"
    source.write_text(json.dumps(made), encoding="utf-8")
    ok(todo("import", str(source)))
    ours = json.loads(ok(todo("export", "--format", "taskwarrior", "--all")).stdout)
    assert {o["uuid"]: o for o in ours}[instance["uuid"]]["modified"] == instance["modified"]


def test_a_numeric_uda_comes_back_as_taskwarrior_wrote_it(
    through_taskwarrior: TaskwarriorRoundTrip,
) -> None:
    trip = through_taskwarrior
    (report,) = [o for o in trip.made if o["description"] == "Write report"]
    assert report["estimate"] == 3
    assert trip.back_by_uuid()[report["uuid"]]["estimate"] == 3


def test_unmapped_taskwarrior_dates_come_back_as_they_were(
    through_taskwarrior: TaskwarriorRoundTrip,
) -> None:
    trip = through_taskwarrior
    (cafe,) = [o for o in trip.made if o["description"] == "Plan café ☕ menu"]
    back = trip.back_by_uuid()[cafe["uuid"]]
    assert (back["scheduled"], back["until"]) == (cafe["scheduled"], cafe["until"])


def test_the_series_comes_back_as_taskwarrior_kept_it(
    through_taskwarrior: TaskwarriorRoundTrip,
) -> None:
    trip = through_taskwarrior
    template = trip.template()
    carrier, *later = trip.open_instances()
    back = trip.back_by_uuid()
    assert later, "Taskwarrior made more than one pending instance of the series"
    kept = back[template["uuid"]]
    assert (kept["status"], kept["recur"]) == ("recurring", "weekly")
    # Its first due and its mask, not rebuilt from the open task: Taskwarrior makes
    # none of its instances again.
    assert (kept["due"], kept["mask"]) == (template["due"], template["mask"])
    assert back[carrier["uuid"]]["parent"] == template["uuid"]
    assert back[carrier["uuid"]]["imask"] == carrier["imask"]
    open_reviews = [
        o for o in trip.back if o["description"] == "Weekly review" and o["status"] == "pending"
    ]
    assert sorted(o["uuid"] for o in open_reviews) == sorted(o["uuid"] for o in [carrier, *later])
    for instance in later:
        assert back[instance["uuid"]]["imask"] == instance["imask"]


def test_what_todo_leaves_out_is_the_deleted_task_and_later_instances_counted(
    through_taskwarrior: TaskwarriorRoundTrip,
) -> None:
    trip = through_taskwarrior
    later = trip.open_instances()[1:]
    assert later, "Taskwarrior made more than one pending instance of the series"
    assert trip.summary["skipped"] == {
        "deleted": 1,
        "recurring_template": 1,
        "later_recurring_instance": len(later),
    }
    missing = {(o["description"], o["status"]) for o in trip.made} - {
        (o["description"], o["status"]) for o in trip.back
    }
    assert missing == {("Cancelled trip", "deleted")}
    assert set(trip.made_by_uuid()) - set(trip.back_by_uuid()) == {
        next(o["uuid"] for o in trip.made if o["status"] == "deleted")
    }


def made_and_imported(todo: Todo, tmp_path: Path) -> tuple[Taskwarrior, list[dict[str, Any]]]:
    """make_tasks with the real `task`, its export imported by todo: the tool and the export."""
    task = Taskwarrior(tmp_path / "made")
    make_tasks(task)
    made = task.export()
    source = tmp_path / "task-export.json"
    source.write_text(json.dumps(made, ensure_ascii=False), encoding="utf-8")
    ok(todo("import", str(source)))
    return task, made


def exported_back(todo: Todo, task: Taskwarrior, tmp_path: Path) -> list[dict[str, Any]]:
    """todo's Taskwarrior export (tmp_path/todo-export.json) imported by `task` into its own
    data, a command run there as any user would: what `task` then holds."""
    ours = tmp_path / "todo-export.json"
    ours.write_text(ok(todo("export", "--format", "taskwarrior", "--all")).stdout, "utf-8")
    task.import_file(ours)
    task("list")  # recurrence on, as every command runs it: instances up to now
    after: list[dict[str, Any]] = json.loads(task("rc.recurrence=off", "export"))
    return after


def test_a_dependency_on_a_task_deleted_there_goes_back_as_it_was(
    todo: Todo, tmp_path: Path
) -> None:
    """Taskwarrior keeps a dependency on a deleted task (`task undo` brings the task
    back). Dropped on import, the export written back took it from a task nobody had
    changed there."""
    task = Taskwarrior(tmp_path / "tw")
    task("add", "Old step")
    old = task.uuid("Old")
    task("add", "Main", f"depends:{old}")
    task(old, "delete")
    made = task.export()
    source = tmp_path / "made.json"
    source.write_text(json.dumps(made), "utf-8")
    summary = ok(todo("import", str(source), "--json")).json()
    (main,) = [o for o in made if o["description"] == "Main"]
    assert (
        f"task {made.index(main) + 1}: depends on {old}, deleted there: kept with it for "
        "Taskwarrior, not linked here"
    ) in summary["notices"]
    (here,) = ok(todo("list", "--json")).json()
    assert here["depends"] == []
    written = tmp_path / "ours.json"
    written.write_text(ok(todo("export", "--format", "taskwarrior")).stdout, "utf-8")
    assert "skip" in task.import_file(written)  # unchanged there: nothing rewritten
    (back,) = [o for o in task.export() if o["uuid"] == main["uuid"]]
    assert back["depends"] == [old]
    assert back["modified"] == main["modified"]


def test_our_export_imported_where_it_came_from_makes_no_task_twice(
    todo: Todo, tmp_path: Path
) -> None:
    """Back into the Taskwarrior data it came from: its series goes on as it was."""
    task, made = made_and_imported(todo, tmp_path)
    after = exported_back(todo, task, tmp_path)

    def pending(objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return sorted((o["description"], o["uuid"]) for o in objects if o["status"] == "pending")

    assert pending(after) == pending(made)
    assert len(after) == len(made)


def test_the_series_done_in_todo_goes_back_where_it_came_from_without_a_twin(
    todo: Todo, tmp_path: Path
) -> None:
    """Its open task done in todo, the series exported back: one task per occurrence.

    Taskwarrior had made the series' instances up to the week ahead (the one due in
    six days among them); todo's next task is that occurrence, so it takes that
    instance's place instead of standing beside it. The overdue instance todo passed
    over is deleted there too: left pending, it stood as a second open task of the
    series, and an import of Taskwarrior's data took it for the series' open task.
    """
    task, made = made_and_imported(todo, tmp_path)
    (template,) = [o for o in made if o["status"] == "recurring"]
    instances = sorted(
        (o for o in made if o.get("parent") == template["uuid"] and o["status"] == "pending"),
        key=lambda o: str(o["imask"]),
    )
    carrier, passed_over, ahead = instances  # six days late, yesterday, in six days
    shown = ok(todo("show", carrier["uuid"][:8], "--json")).json()
    (done,) = ok(todo("done", str(shown["number"]), "--json")).json()
    (successor,) = done["created"]
    assert successor["id"] == ahead["uuid"]
    assert datetime.fromisoformat(successor["due"]) == datetime.strptime(
        ahead["due"], "%Y%m%dT%H%M%S%z"
    )

    after = exported_back(todo, task, tmp_path)
    reviews = [o for o in after if o["description"] == "Weekly review"]
    pending = sorted((o["due"], o["uuid"]) for o in reviews if o["status"] == "pending")
    assert pending == [(ahead["due"], ahead["uuid"])]
    by_uuid = {o["uuid"]: o for o in after}
    assert by_uuid[carrier["uuid"]]["status"] == "completed"
    assert by_uuid[passed_over["uuid"]]["status"] == "deleted"
    assert by_uuid[template["uuid"]]["mask"] == "++X-"
    assert len(after) == len(made)

    # Into fresh data, the same: the done task, and the next one in its place.
    fresh = Taskwarrior(tmp_path / "fresh")
    fresh.import_file(tmp_path / "todo-export.json")
    fresh("list")
    anew = [
        o
        for o in json.loads(fresh("rc.recurrence=off", "export"))
        if o["description"] == "Weekly review"
    ]
    assert sorted((o["due"], o["uuid"]) for o in anew if o["status"] == "pending") == [
        (ahead["due"], ahead["uuid"])
    ]


def test_a_series_done_in_todo_and_synced_reads_unchanged_on_every_sync_after(
    todo: Todo, tmp_path: Path
) -> None:
    """`todo done` of a Taskwarrior series' open task, written back, then Taskwarrior's
    export imported (a sync), and again: nothing changed by anyone, so nothing updated
    and nothing named. The done task went there with its place in the series (which
    `task import` stamped), and the next task without the anchor and count todo keeps:
    read back, the one was "1 updated" and the other named on every sync as "left as
    they are: changed in Taskwarrior in the second they last changed here".
    """
    task = Taskwarrior(tmp_path / "made")
    made, _ = _monthly_series(task)
    source = tmp_path / "task-export.json"
    source.write_text(json.dumps(made), encoding="utf-8")
    ok(todo("import", str(source)))
    (open_task,) = ok(todo("list", "--json")).json()
    ok(todo("done", str(open_task["number"])))
    time.sleep(1.1)  # `task import` stamps what it changes in a later second
    after = exported_back(todo, task, tmp_path)
    pending = [o for o in after if o["status"] == "pending"]
    assert len({o["due"] for o in pending}) == len(pending)  # no occurrence twice
    theirs = tmp_path / "theirs.json"
    theirs.write_text(task("rc.recurrence=off", "export"), "utf-8")
    for _ in range(2):
        summary = ok(todo("import", str(theirs), "--json")).json()
        assert (summary["added"], summary["updated"]) == (0, 0), summary
        assert [n for n in summary["notices"] if "left as they are" in n] == []
    exported = tmp_path / "again.json"
    exported.write_text(ok(todo("export", "--format", "taskwarrior", "--all")).stdout, "utf-8")
    assert "skip" in task.import_file(exported)
    assert "mod " not in task.import_file(exported)


def test_each_round_trip_s_completion_in_taskwarrior_stays_done_here(
    todo: Todo, tmp_path: Path
) -> None:
    """A series whose open task is done in Taskwarrior, twice, each time brought back.

    Its template then has no pending instance, and its open task is made here. The
    second time, that task (written back and done there) and the new open task had one
    id: the new one overwrote it, and the completion was lost in both tools.
    """
    due = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%d")
    ok(todo("add", "Pay rent", f"due:{due}", "recur:monthly"))
    task = Taskwarrior(tmp_path / "tw")
    ours = tmp_path / "ours.json"
    theirs = tmp_path / "theirs.json"
    for _ in range(2):
        ours.write_text(ok(todo("export", "--all", "--format", "taskwarrior")).stdout, "utf-8")
        task.import_file(ours)
        time.sleep(1.1)  # Taskwarrior's modified has whole seconds: a change of its own
        task("rc.recurrence=off", task.uuid("status:pending", "+PENDING"), "done")
        theirs.write_text(task("rc.recurrence=off", "export"), "utf-8")
        ok(todo("import", str(theirs)))
    listed = [
        (t["number"], t["completed"], t["due"][:10])
        for t in ok(todo("list", "--all", "--sort", "number", "--json")).json()
    ]
    assert [(number, completed) for number, completed, _ in listed] == [
        (1, True),
        (2, True),
        (3, False),
    ]
    assert len({day for _, _, day in listed}) == 3  # three occurrences, one task each
    # Imported again, the same file adds nothing.
    again = ok(todo("import", str(theirs), "--json")).json()
    assert (again["added"], again["updated"]) == (0, 0)


def test_a_sync_of_what_changed_after_an_instance_done_in_taskwarrior_makes_no_twin(
    todo: Todo, tmp_path: Path
) -> None:
    """`task modified.after:X export | todo import -` after `task done` of the open instance.

    The file holds what changed: the template (its mask) and the instance done, not the
    later instances Taskwarrior made before X. The template read alone looked like a
    series with no pending instance: todo made an open task of its own beside
    Taskwarrior's, the export back wrote that occurrence twice. The next instance kept
    here since the first import is the series' open task, as a whole export gives it.
    """
    task = Taskwarrior(tmp_path / "tw")
    start = datetime.now(UTC) - timedelta(days=70)
    task("add", "Pay rent", "recur:monthly", f"due:{start.strftime('%Y-%m-%d')}")
    task("list")  # the instances up to now: three or four, the first overdue
    made = task.export()
    (template,) = [o for o in made if o["status"] == "recurring"]
    instances = sorted(
        (o for o in made if o.get("parent") == template["uuid"]), key=lambda o: str(o["due"])
    )
    assert len(instances) >= 3
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps(made), "utf-8")
    ok(todo("import", str(whole)))

    time.sleep(1.1)  # Taskwarrior's modified has whole seconds
    since = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    time.sleep(1.1)
    task("rc.recurrence=off", instances[0]["uuid"], "done")
    changed = json.loads(task("rc.recurrence=off", f"modified.after:{since}", "export"))
    assert sorted(o["uuid"] for o in changed) == sorted([template["uuid"], instances[0]["uuid"]])
    synced = tmp_path / "changed.json"
    synced.write_text(json.dumps(changed), "utf-8")
    summary = ok(todo("import", str(synced), "--json")).json()
    assert (summary["added"], summary["updated"]) == (1, 1)

    listed = ok(todo("list", "--all", "--sort", "number", "--json")).json()
    assert [(t["id"], t["completed"]) for t in listed] == [
        (instances[0]["uuid"], True),
        (instances[1]["uuid"], False),
    ]
    # Imported again, the same file changes nothing.
    again = ok(todo("import", str(synced), "--json")).json()
    assert (again["added"], again["updated"]) == (0, 0)

    after = exported_back(todo, task, tmp_path)
    pending = sorted(
        o["uuid"] for o in after if o["status"] == "pending" and o["description"] == "Pay rent"
    )
    assert pending == sorted(o["uuid"] for o in instances[1:])
    assert len(after) == len(made)


def test_a_sync_of_an_instance_done_out_of_turn_goes_back_as_taskwarrior_has_it(
    todo: Todo, tmp_path: Path
) -> None:
    """A later instance done in Taskwarrior (not the series' open task here), synced by
    what changed: the file holds the template and that instance. Written back, our
    export held the instance twice (pending among the series' later ones, and done)
    and the template's old mask; the done instance went without its index, which
    `task import` read as 0 (marking the open instance's place done)."""
    task = Taskwarrior(tmp_path / "tw")
    start = datetime.now(UTC) - timedelta(days=70)
    task("add", "Pay rent", "recur:monthly", f"due:{start.strftime('%Y-%m-%d')}")
    task("list")
    made = task.export()
    (template,) = [o for o in made if o["status"] == "recurring"]
    instances = sorted(
        (o for o in made if o.get("parent") == template["uuid"]), key=lambda o: str(o["due"])
    )
    assert len(instances) >= 3
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps(made), "utf-8")
    ok(todo("import", str(whole)))

    time.sleep(1.1)
    since = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    time.sleep(1.1)
    task("rc.recurrence=off", instances[2]["uuid"], "done")
    changed = json.loads(task("rc.recurrence=off", f"modified.after:{since}", "export"))
    (mask,) = [o["mask"] for o in changed if o["uuid"] == template["uuid"]]
    synced = tmp_path / "changed.json"
    synced.write_text(json.dumps(changed), "utf-8")
    ok(todo("import", str(synced)))

    ours = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    uuids = [o["uuid"] for o in ours]
    assert len(uuids) == len(set(uuids))
    (written,) = [o for o in ours if o["uuid"] == template["uuid"]]
    assert written["mask"] == mask
    (done,) = [o for o in ours if o["uuid"] == instances[2]["uuid"]]
    assert (done["status"], done["imask"]) == ("completed", 2)

    after = exported_back(todo, task, tmp_path)
    (back,) = [o for o in after if o["uuid"] == template["uuid"]]
    assert back["mask"][: len(mask)] == mask
    pending = sorted(o["uuid"] for o in after if o["status"] == "pending")
    assert pending == sorted(o["uuid"] for i, o in enumerate(instances) if i != 2)
    assert len(after) == len(made)


def _monthly_series(task: Taskwarrior) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A monthly series begun 70 days ago, its instances made: `task export`, the template."""
    start = datetime.now(UTC) - timedelta(days=70)
    task("add", "Pay rent", "recur:monthly", f"due:{start.strftime('%Y-%m-%d')}")
    task("list")
    made = task.export()
    (template,) = [o for o in made if o["status"] == "recurring"]
    return made, template


@pytest.mark.parametrize("sync", ["whole export", "what changed"])
@pytest.mark.parametrize("change", ["an instance renamed", "the template given fields"])
def test_a_series_keeps_its_templates_own_fields_both_ways(
    todo: Todo, tmp_path: Path, change: str, sync: str
) -> None:
    """The template is the series there: Taskwarrior makes each new instance from it.
    One instance renamed there renamed the series after a sync (the template went back
    as the open task here was); a template given a priority, a tag and a project there
    had them taken away. Now the template keeps its own fields, and the next task here
    is made from them, as Taskwarrior's next instance is."""
    task = Taskwarrior(tmp_path / "tw")
    made, template = _monthly_series(task)
    first = min((o for o in made if o.get("parent") == template["uuid"]), key=lambda o: o["due"])
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps(made), "utf-8")
    ok(todo("import", str(whole)))
    time.sleep(1.1)
    since = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    time.sleep(1.1)
    if change == "an instance renamed":
        task("rc.recurrence=off", first["uuid"], "modify", "Pay rent, this once")
        series: dict[str, Any] = {"description": "Pay rent"}
    else:
        task(
            "rc.recurrence=off", template["uuid"], "modify", "priority:H", "+bills", "project:home"
        )
        series = {"description": "Pay rent", "priority": "H", "tags": ["bills"], "project": "home"}
    what = [f"modified.after:{since}"] if sync == "what changed" else []
    changed = task("rc.recurrence=off", *what, "export")
    synced = tmp_path / "synced.json"
    synced.write_text(changed, "utf-8")
    ok(todo("import", str(synced)))
    assert ok(todo("import", str(synced), "--json")).json()["updated"] == 0

    after = exported_back(todo, task, tmp_path)
    (back,) = [o for o in after if o["uuid"] == template["uuid"]]
    assert {key: back.get(key) for key in series} == series
    assert back["entry"] == template["entry"]  # when the series was made, not an instance
    (held,) = ok(todo("list", "--json")).json()
    assert held["id"] == first["uuid"]
    if change == "an instance renamed":
        assert held["title"] == "Pay rent, this once"
    else:
        assert (held["priority"], held["tags"], held["project"]) == (None, [], None)
    (done,) = ok(todo("done", str(held["number"]), "--json")).json()
    (following,) = done["created"]
    assert following["title"] == "Pay rent"
    if change == "the template given fields":
        assert (following["priority"], following["tags"], following["project"]) == (
            "H",
            ["bills"],
            "home",
        )
    again = exported_back(todo, task, tmp_path)
    (back,) = [o for o in again if o["uuid"] == template["uuid"]]
    assert {key: back.get(key) for key in series} == series
    assert back["entry"] == template["entry"]


def test_a_sync_of_an_instance_edited_there_keeps_the_series_and_makes_nothing_twice(
    todo: Todo, tmp_path: Path
) -> None:
    """The open instance edited in Taskwarrior, synced by what changed: the file holds
    that instance alone (an edit does not touch the template). todo dropped the series
    it kept with the task ("the series starts over in Taskwarrior"), and our export
    written back made every later occurrence a second time there."""
    task = Taskwarrior(tmp_path / "tw")
    made, template = _monthly_series(task)
    pending = sorted(
        (o for o in made if o.get("parent") == template["uuid"]), key=lambda o: str(o["due"])
    )
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps(made), "utf-8")
    ok(todo("import", str(whole)))
    time.sleep(1.1)
    since = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    time.sleep(1.1)
    task("rc.recurrence=off", pending[0]["uuid"], "modify", "Pay the rent")
    changed = json.loads(task("rc.recurrence=off", f"modified.after:{since}", "export"))
    assert [o["uuid"] for o in changed] == [pending[0]["uuid"]]
    synced = tmp_path / "changed.json"
    synced.write_text(json.dumps(changed), "utf-8")
    result = ok(todo("import", str(synced)))
    assert "starts over" not in result.stderr
    (shown,) = ok(todo("list", "--json")).json()
    assert (shown["id"], shown["title"]) == (pending[0]["uuid"], "Pay the rent")

    after = exported_back(todo, task, tmp_path)
    instances = [o for o in after if o.get("parent") == template["uuid"]]
    assert sorted(o["uuid"] for o in instances) == sorted(o["uuid"] for o in pending)
    assert len({o["due"] for o in instances}) == len(instances)  # no occurrence twice
    (back,) = [o for o in after if o["uuid"] == template["uuid"]]
    assert (back["due"], back["mask"]) == (template["due"], template["mask"])


def test_a_sync_of_a_later_instance_edited_there_keeps_the_edit_both_ways(
    todo: Todo, tmp_path: Path
) -> None:
    """A later instance (not the series' open task) renamed and moved in Taskwarrior,
    synced by what changed: left out here as "a second open task", and our export
    written back took the rename and the new due away there."""
    task = Taskwarrior(tmp_path / "tw")
    made, template = _monthly_series(task)
    pending = sorted(
        (o for o in made if o.get("parent") == template["uuid"]), key=lambda o: str(o["due"])
    )
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps(made), "utf-8")
    ok(todo("import", str(whole)))
    time.sleep(1.1)
    since = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    time.sleep(1.1)
    moved = pending[1]
    new_due = (datetime.strptime(moved["due"], "%Y%m%dT%H%M%SZ") + timedelta(days=2)).strftime(
        "%Y-%m-%d"
    )
    task("rc.recurrence=off", moved["uuid"], "modify", "Pay rent, late", f"due:{new_due}")
    changed = task("rc.recurrence=off", f"modified.after:{since}", "export")
    (edited,) = json.loads(changed)
    synced = tmp_path / "changed.json"
    synced.write_text(changed, "utf-8")
    result = ok(todo("import", str(synced), "--json"))
    assert "second open task" not in result.stdout
    assert ok(todo("import", str(synced), "--json")).json()["updated"] == 0
    after = exported_back(todo, task, tmp_path)
    (back,) = [o for o in after if o["uuid"] == moved["uuid"]]
    assert (back["description"], back["due"], back["status"]) == (
        "Pay rent, late",
        edited["due"],
        "pending",
    )
    instances = [o for o in after if o.get("parent") == template["uuid"]]
    assert sorted(o["uuid"] for o in instances) == sorted(o["uuid"] for o in pending)


def test_the_template_written_back_keeps_its_wait_before_its_due(
    todo: Todo, tmp_path: Path
) -> None:
    """A series waiting two days before each due, its open instance done in Taskwarrior:
    the template went back with its own due and the next instance's wait, five days
    after that due, and every instance Taskwarrior made then waited until after it was
    due."""
    task = Taskwarrior(tmp_path / "tw")
    start = datetime.now(UTC) - timedelta(days=35)
    task("add", "Review week", "recur:weekly", f"due:{start.strftime('%Y-%m-%d')}", "wait:due-2d")
    task("list")
    made = task.export()
    (template,) = [o for o in made if o["status"] == "recurring"]
    first = min((o for o in made if o.get("parent") == template["uuid"]), key=lambda o: o["due"])
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps(made), "utf-8")
    ok(todo("import", str(whole)))
    time.sleep(1.1)  # Taskwarrior's modified has whole seconds: a change of its own
    task("rc.recurrence=off", first["uuid"], "done")
    whole.write_text(task("rc.recurrence=off", "export"), "utf-8")
    assert ok(todo("import", str(whole), "--json")).json()["updated"] == 1
    ours = json.loads(ok(todo("export", "--all", "--format", "taskwarrior")).stdout)
    (written,) = [o for o in ours if o["uuid"] == template["uuid"]]
    assert (written["due"], written["wait"]) == (template["due"], template["wait"])
    after = exported_back(todo, task, tmp_path)
    for instance in (o for o in after if o.get("parent") == template["uuid"]):
        assert instance["wait"] < instance["due"], instance


def test_an_older_export_imported_again_leaves_the_series_as_it_is(
    todo: Todo, tmp_path: Path
) -> None:
    """An instance deleted in Taskwarrior and synced, then an export taken before that
    imported again: its tasks are all older than ours, yet the series it keeps was
    taken ("1 updated"), and our export brought the deleted instance back."""
    task = Taskwarrior(tmp_path / "tw")
    made, template = _monthly_series(task)
    old = tmp_path / "old.json"
    old.write_text(json.dumps(made), "utf-8")
    ok(todo("import", str(old)))
    later = sorted(
        (o for o in made if o.get("parent") == template["uuid"]), key=lambda o: str(o["due"])
    )[1]
    time.sleep(1.1)
    task("rc.recurrence=off", later["uuid"], "delete")
    now = tmp_path / "now.json"
    now.write_text(task("rc.recurrence=off", "export"), "utf-8")
    ok(todo("import", str(now)))
    before = ok(todo("export", "--all", "--format", "taskwarrior")).stdout
    again = ok(todo("import", str(old), "--json")).json()
    assert (again["added"], again["updated"]) == (0, 0)
    assert ok(todo("export", "--all", "--format", "taskwarrior")).stdout == before
    after = exported_back(todo, task, tmp_path)
    (gone,) = [o for o in after if o["uuid"] == later["uuid"]]
    assert gone["status"] == "deleted"


@pytest.mark.parametrize("end", ["edit recur:", "delete the open task"])
def test_a_series_ended_in_todo_ends_where_it_came_from(
    todo: Todo, tmp_path: Path, end: str
) -> None:
    """A series ended in todo, exported back: `task import` takes it, and the series is over.

    Taskwarrior refuses an update that takes `recur` from a task it holds as an
    instance, and then imports nothing of the file. Written as an instance of a
    deleted template, the task is taken; Taskwarrior makes no more instances.
    """
    task, made = made_and_imported(todo, tmp_path)
    (template,) = [o for o in made if o["status"] == "recurring"]
    carrier, passed_over, ahead = sorted(
        (o for o in made if o.get("parent") == template["uuid"] and o["status"] == "pending"),
        key=lambda o: str(o["imask"]),
    )
    number = str(ok(todo("show", carrier["uuid"][:8], "--json")).json()["number"])
    if end == "edit recur:":
        ok(todo("edit", number, "recur:"))
    else:
        ok(todo("delete", number, "--yes"))

    after = exported_back(todo, task, tmp_path)  # `task import` exited 0
    by_uuid = {o["uuid"]: o for o in after}
    assert by_uuid[template["uuid"]]["status"] == "deleted"
    assert len(after) == len(made)  # no instance made after the import
    reviews = {o["uuid"]: o["status"] for o in after if o["description"] == "Weekly review"}
    if end == "edit recur:":
        # The open task stays; the instances Taskwarrior had made after it go with the series.
        assert (reviews[carrier["uuid"]], reviews[passed_over["uuid"]]) == ("pending", "deleted")
        assert reviews[ahead["uuid"]] == "deleted"
    # What Taskwarrior then holds, imported here again: the series stays over.
    again = tmp_path / "again.json"
    again.write_text(json.dumps(after, ensure_ascii=False), encoding="utf-8")
    summary = ok(todo("import", str(again), "--json")).json()
    # (Updated, or not: `task import` stamps what it changed with its own `modified`.)
    assert summary["added"] == 0
    listed = ok(todo("list", "--all", "--json")).json()
    reviews_here = [t["recur"] for t in listed if t["title"] == "Weekly review"]
    assert reviews_here == [None] * (2 if end == "edit recur:" else 1)
    if end != "edit recur:":
        # The open task deleted here stays deleted; the two instances Taskwarrior keeps
        # of the ended series are not taken for series of their own.
        assert summary["skipped"] == {"deleted": 2, "later_recurring_instance": 2}
        assert (
            "2 Taskwarrior instance(s) of the series of a task deleted here left out, as "
            f"they went with it: #{number}"
        ) in summary["notices"]


def test_every_instance_task_left_pending_of_a_deleted_template_comes_in_and_goes_back(
    todo: Todo, tmp_path: Path
) -> None:
    """`task delete` of a recurring template alone (recurrence.confirmation=no) leaves
    its instances pending: `task list` shows each, and none is made any more. Each is a
    task here; exported back, `task` holds them as it did and makes no new one."""
    task = Taskwarrior(tmp_path / "made")
    now = datetime.now(UTC).replace(microsecond=0)
    task("add", "Stand-up", "recur:weekly", f"due:{tw_date(now - timedelta(days=15))}")
    task("list")  # the instances up to now
    template = task.uuid("+PARENT")
    task(template, "delete")
    made = task.export()
    pending = sorted(o["uuid"] for o in made if o["status"] == "pending")
    assert len(pending) >= 3, "Taskwarrior made an instance a week up to now"
    source = tmp_path / "task-export.json"
    source.write_text(json.dumps(made), encoding="utf-8")

    summary = ok(todo("import", str(source), "--json")).json()
    assert (summary["added"], summary["skipped"]) == (len(pending), {"deleted": 1})
    listed = ok(todo("list", "--json")).json()
    assert sorted(t["id"] for t in listed) == pending
    assert [t["recur"] for t in listed] == [None] * len(pending)
    # None of them starts the series again.
    ok(todo("done", str(listed[-1]["number"])))
    assert len(ok(todo("list", "--json")).json()) == len(pending) - 1

    after = exported_back(todo, task, tmp_path)  # `task import` exited 0
    by_uuid = {o["uuid"]: o for o in after}
    # The deleted template goes back as Taskwarrior had it: its mask was rewritten as
    # "-" and its end moved. (Taskwarrior itself marks the instance done here in it.)
    (was,) = [o for o in made if o["uuid"] == template]
    back = by_uuid[template]
    assert (back["end"], back["entry"], back["due"]) == (was["end"], was["entry"], was["due"])
    assert (len(back["mask"]), back["mask"].count("+")) == (len(was["mask"]), 1)
    assert len(after) == len(made)  # no instance made after the import
    statuses = sorted(by_uuid[uuid]["status"] for uuid in pending)
    assert statuses == ["completed"] + ["pending"] * (len(pending) - 1)
    assert {by_uuid[uuid]["parent"] for uuid in pending} == {template}

    # Imported again: the same tasks, none added.
    again = tmp_path / "again.json"
    again.write_text(json.dumps(after), encoding="utf-8")
    summary = ok(todo("import", str(again), "--json")).json()
    assert summary["added"] == 0
    assert len(ok(todo("list", "--all", "--json")).json()) == len(pending)


def test_a_series_that_reached_its_until_in_todo_makes_no_task_again_in_taskwarrior(
    todo: Todo, tmp_path: Path
) -> None:
    """Its last task done here, the series is over: exported back, Taskwarrior holds
    its template deleted, and makes none of the occurrences done here again."""
    task = Taskwarrior(tmp_path / "made")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    task(
        "add",
        "Course session",
        "recur:weekly",
        f"due:{tw_date(start)}",
        f"until:{tw_date(start + timedelta(days=10))}",
    )
    task("export")  # makes its first instance (recurrence on)
    made = task.export()
    source = tmp_path / "task-export.json"
    source.write_text(json.dumps(made), encoding="utf-8")
    ok(todo("import", str(source)))
    assert "next: #2" in ok(todo("done", "1")).stderr
    last = ok(todo("done", "2"))
    assert "next:" not in last.stderr
    listed = ok(todo("list", "--all", "--json", "--sort", "number")).json()
    assert [(t["number"], t["recur"]) for t in listed] == [
        (1, None),
        (2, None),
    ]
    ours = tmp_path / "todo-export.json"
    ours.write_text(ok(todo("export", "--format", "taskwarrior", "--all")).stdout, "utf-8")
    task.import_file(ours)  # exits 0
    task("export")  # recurrence on, as every command runs it: instances up to now
    after = task.export()
    (template,) = [o for o in after if "parent" not in o and "recur" in o]
    assert template["status"] == "deleted"
    courses = sorted(o["status"] for o in after if o is not template)
    assert courses == ["completed", "completed"]  # none made again


def test_a_dependency_outside_a_filtered_export_stays_in_taskwarrior(
    todo: Todo, tmp_path: Path
) -> None:
    """`task project:work export`: a task waits on one of another project. Exported
    back, Taskwarrior keeps the dependency (it was written without it, and lost it)."""
    task = Taskwarrior(tmp_path / "made")
    task("add", "Get quote", "project:home")
    quote = task.uuid("/Get quote/")
    task("add", "Send invoice", "project:work", f"depends:{quote}")
    source = tmp_path / "work.json"
    source.write_text(task("project:work", "export"), encoding="utf-8")
    summary = ok(todo("import", str(source), "--json")).json()
    assert summary["added"] == 1
    assert any("kept with it for Taskwarrior, not linked here" in n for n in summary["notices"])
    assert ok(todo("list", "--json")).json()[0]["depends"] == []  # nothing here to wait on
    ok(todo("edit", "1", "+billing"))
    ours = tmp_path / "todo-export.json"
    ours.write_text(ok(todo("export", "--format", "taskwarrior", "--all")).stdout, "utf-8")
    task.import_file(ours)
    (invoice,) = [o for o in task.export() if o["description"] == "Send invoice"]
    assert (invoice["depends"], invoice["tags"]) == ([quote], ["billing"])
    # Imported again, nothing changes and nothing is lost.
    again = ok(todo("import", str(ours), "--json")).json()
    assert (again["added"], again["updated"]) == (0, 0)


def test_a_kept_dependency_becomes_ours_when_its_task_comes_and_can_be_removed(
    todo: Todo, tmp_path: Path
) -> None:
    """The two projects' exports one after the other: the dependency is linked when the
    second brings its task; removed here, Taskwarrior loses it too (it came back)."""
    task = Taskwarrior(tmp_path / "made")
    task("add", "Get quote", "project:home")
    quote = task.uuid("/Get quote/")
    task("add", "Send invoice", "project:work", f"depends:{quote}")
    for project in ("work", "home"):
        (tmp_path / f"{project}.json").write_text(task(f"project:{project}", "export"), "utf-8")
    ok(todo("import", str(tmp_path / "work.json")))
    summary = ok(todo("import", str(tmp_path / "home.json"), "--json")).json()
    assert (summary["added"], summary["updated"]) == (1, 1)
    invoice = next(t for t in ok(todo("list", "--json")).json() if t["title"] == "Send invoice")
    assert invoice["depends"] == [quote]
    ok(todo("edit", "1", "dep:-2"))
    ours = tmp_path / "todo-export.json"
    ours.write_text(ok(todo("export", "--format", "taskwarrior")).stdout, "utf-8")
    task.import_file(ours)
    back = {o["description"]: o.get("depends") for o in task.export()}
    assert back == {"Get quote": None, "Send invoice": None}


def test_task_imports_our_export_without_a_complaint(
    through_taskwarrior: TaskwarriorRoundTrip,
) -> None:
    heading, *lines = through_taskwarrior.import_output.splitlines()
    assert heading.startswith("Importing ")
    # One " add  UUID description" per object: no warning, no object skipped or merged.
    assert sorted(line.split()[1] for line in lines if line.split()[0] == "add") == sorted(
        o["uuid"] for o in through_taskwarrior.ours
    )
    assert all(line.split()[0] == "add" for line in lines)


def test_importing_what_task_exported_back_changes_nothing(
    todo: Todo, through_taskwarrior: TaskwarriorRoundTrip, tmp_path: Path
) -> None:
    before = ok(todo("export", "--all")).stdout
    again = tmp_path / "again.json"
    again.write_text(json.dumps(through_taskwarrior.back, ensure_ascii=False), encoding="utf-8")
    summary = ok(todo("import", str(again), "--json")).json()
    assert (summary["added"], summary["updated"]) == (0, 0)
    assert summary["unchanged"] == 8
    assert ok(todo("export", "--all")).stdout == before


def test_a_task_of_ours_changed_in_taskwarrior_comes_back_with_its_description_and_times(
    todo: Todo, tmp_path: Path
) -> None:
    # Taskwarrior holds one text and whole seconds: the description went there as an
    # annotation, the times to the second. Changed there, the task comes back with its
    # description (not a new note), its own times, the change and the new annotation.
    ok(todo("add", "Renew passport", "-d", "Photos first, then form DS-82"))
    ok(todo("note", "1", "called the office"))
    before = ok(todo("show", "1", "--json")).json()
    task = Taskwarrior(tmp_path / "tw")
    ours = tmp_path / "ours.json"
    ours.write_text(ok(todo("export", "--format", "taskwarrior")).stdout, encoding="utf-8")
    task.import_file(ours)
    time.sleep(1.1)  # a change there is a later second than ours
    task(before["id"], "modify", "+urgent")
    task(before["id"], "annotate", "asked for the form")
    back = tmp_path / "back.json"
    back.write_text(json.dumps(task.export()), encoding="utf-8")
    summary = ok(todo("import", str(back), "--json")).json()
    assert (summary["added"], summary["updated"]) == (0, 1)
    after = ok(todo("show", "1", "--json")).json()
    assert after["description"] == "Photos first, then form DS-82"
    assert after["created_at"] == before["created_at"]
    assert after["tags"] == ["urgent"]
    assert [note["text"] for note in after["notes"]] == ["called the office", "asked for the form"]
    assert after["notes"][0] == before["notes"][0]


def test_a_task_deleted_in_taskwarrior_is_deleted_here_and_stays_deleted_there(
    todo: Todo, tmp_path: Path
) -> None:
    # Kept open here, the next export would bring it back to life in Taskwarrior.
    ok(todo("add", "Cancelled trip"))
    ok(todo("add", "Renew passport"))
    task = Taskwarrior(tmp_path / "tw")
    ours = tmp_path / "ours.json"
    ours.write_text(ok(todo("export", "--format", "taskwarrior")).stdout, encoding="utf-8")
    task.import_file(ours)
    time.sleep(1.1)  # the deletion there is a later second than ours
    task(task.uuid("/Cancelled trip/"), "delete")
    back = tmp_path / "back.json"
    back.write_text(json.dumps(task.export()), encoding="utf-8")
    summary = ok(todo("import", str(back), "--json")).json()
    assert (summary["added"], summary["updated"], summary["deleted"]) == (0, 0, 1)
    assert (summary["unchanged"], summary["skipped"]) == (1, {})
    assert summary["notices"] == ["deleted here, as the file has them deleted: #1"]
    assert [t["title"] for t in ok(todo("list", "--all", "--json")).json()] == ["Renew passport"]
    again = tmp_path / "again.json"
    again.write_text(ok(todo("export", "--format", "taskwarrior", "--all")).stdout, "utf-8")
    task.import_file(again)
    statuses = {o["description"]: o["status"] for o in task.export()}
    assert statuses == {"Cancelled trip": "deleted", "Renew passport": "pending"}
    # The file read again: the task is gone here, the deletion one skipped as ever.
    summary = ok(todo("import", str(back), "--json")).json()
    assert (summary["deleted"], summary["skipped"]) == (0, {"deleted": 1})


def test_tags_and_projects_taskwarrior_takes_but_todo_does_not_survive_the_round_trip(
    todo: Todo, tmp_path: Path
) -> None:
    # `+@home`, `+a.b`, a project with a space or starting with a digit: valid there, no
    # tag or project here. The tasks are imported all the same and go back as they came.
    task = Taskwarrior(tmp_path / "made")
    task("add", "Call mom", "+@phone", "+family")
    task("add", "File taxes", "project:2024.Q1", "+a.b")
    task("add", "Plan offsite", "project:Team Offsite")
    made = task.export()
    source = tmp_path / "made.json"
    source.write_text(json.dumps(made), encoding="utf-8")
    summary = ok(todo("import", str(source), "--json")).json()
    assert (summary["added"], summary["skipped"], summary["problems"]) == (3, {}, [])
    here = {t["title"]: (t["tags"], t["project"]) for t in ok(todo("list", "--json")).json()}
    assert here == {
        "Call mom": (["family"], None),
        "File taxes": ([], None),
        "Plan offsite": ([], None),
    }
    fresh = Taskwarrior(tmp_path / "fresh")
    ours = tmp_path / "ours.json"
    ours.write_text(ok(todo("export", "--format", "taskwarrior")).stdout, encoding="utf-8")
    fresh.import_file(ours)
    back = {o["uuid"]: (sorted(o.get("tags", [])), o.get("project")) for o in fresh.export()}
    assert back == {o["uuid"]: (sorted(o.get("tags", [])), o.get("project")) for o in made}
    assert sorted(fresh("+@phone", "_uuids").split()) == [task.uuid("/Call mom/")]


def test_a_priority_of_its_own_and_tags_past_thirty_survive_the_round_trip(
    todo: Todo, tmp_path: Path
) -> None:
    # `uda.priority.values` may list other words; Taskwarrior has no limit on tags.
    # Either refused the task (and the import) here; now kept and written back.
    own = "rc.uda.priority.values=H,M,L,1,"
    many = [f"+t{n:02}" for n in range(34)]
    task = Taskwarrior(tmp_path / "made")
    task(own, "add", "Ship it", "priority:1")
    task("add", "Label boxes", *many)
    made = task.export()
    assert {o["description"]: o.get("priority") for o in made}["Ship it"] == "1"
    source = tmp_path / "made.json"
    source.write_text(json.dumps(made), encoding="utf-8")
    summary = ok(todo("import", str(source), "--json")).json()
    assert (summary["added"], summary["problems"]) == (2, [])
    here = {t["title"]: t for t in ok(todo("list", "--json")).json()}
    assert here["Ship it"]["priority"] is None
    assert len(here["Label boxes"]["tags"]) == 30
    ours = tmp_path / "ours.json"
    ours.write_text(ok(todo("export", "--format", "taskwarrior")).stdout, encoding="utf-8")
    fresh = Taskwarrior(tmp_path / "fresh")
    fresh.import_file(ours)
    back = {o["uuid"]: (o.get("priority"), sorted(o.get("tags", []))) for o in fresh.export()}
    assert back == {o["uuid"]: (o.get("priority"), sorted(o.get("tags", []))) for o in made}
    # A priority given here is the task's from then on.
    ok(todo("edit", str(here["Ship it"]["number"]), "pri:H"))
    (shipped,) = [
        o
        for o in json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
        if o["description"] == "Ship it"
    ]
    assert shipped["priority"] == "H"
    ok(todo("edit", str(here["Ship it"]["number"]), "pri:"))
    (cleared,) = [
        o
        for o in json.loads(ok(todo("export", "--format", "taskwarrior")).stdout)
        if o["description"] == "Ship it"
    ]
    assert "priority" not in cleared


# --- todo.txt ------------------------------------------------------------------------------------


class TodoTxt:
    """The real todo.sh (`todo-txt`) with its own config and TODO_DIR under `root`."""

    def __init__(self, root: Path) -> None:
        self.executable = requires_todotxt()
        self.dir = root / "todo"
        self.dir.mkdir(parents=True)
        self.config = root / "todo.cfg"
        self.config.write_text(
            f'export TODO_DIR="{self.dir}"\n'
            'export TODO_FILE="$TODO_DIR/todo.txt"\n'
            'export DONE_FILE="$TODO_DIR/done.txt"\n'
            'export REPORT_FILE="$TODO_DIR/report.txt"\n',
            encoding="utf-8",
        )
        self.env = tool_env(root)

    @property
    def todo_file(self) -> Path:
        return self.dir / "todo.txt"

    @property
    def done_file(self) -> Path:
        return self.dir / "done.txt"

    def __call__(self, *args: str) -> str:
        # -p: plain, no colours; -f: never ask.
        return run_tool([self.executable, "-p", "-f", "-d", str(self.config), *args], self.env)

    def listed(self, *args: str) -> dict[int, str]:
        """A listing (ls, listpri...) as line number -> text."""
        found: dict[int, str] = {}
        for line in self(*args).splitlines():
            number, _, text = line.partition(" ")
            if number.isdigit():
                found[int(number)] = text
        return found


def make_todo_tasks(todo: Todo) -> None:
    ok(todo("add", "Call mom", "+phone", "project:family", "pri:H"))
    ok(todo("add", "Pay rent", "project:home", "pri:M", "--due", "2026-12-01", "+desk"))
    ok(
        todo(
            "add",
            "Water plants",
            "project:home.garden",
            "pri:L",
            "--due",
            "2026-12-02",
            "recur:+1w",
        )
    )
    ok(todo("add", "Review quarterly goals", "project:work", "--wait", "2026-12-10"))
    ok(todo("add", "Fix bike", "+garage", "--due", "2026-12-05", "recur:1w"))


@pytest.fixture
def todotxt(todo: Todo, tmp_path: Path) -> TodoTxt:
    """todo.sh with todo's open tasks exported into its todo.txt."""
    tool = TodoTxt(tmp_path)
    make_todo_tasks(todo)
    ok(todo("export", "--format", "todotxt", "-o", str(tool.todo_file)))
    return tool


def every_task(todo: Todo) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(todo("list", "--all", "--json", "--sort", "number")).json()
    return found


def open_tasks(todo: Todo) -> list[dict[str, Any]]:
    """Open tasks, waiting ones included."""
    return [t for t in every_task(todo) if not t["completed"]]


def line_of(tool: TodoTxt, words: str) -> int:
    """The todo.sh number of the line holding `words`."""
    (number,) = [n for n, text in tool.listed("ls").items() if words in text]
    return number


def test_todo_sh_lists_every_exported_line_as_written(todo: Todo, todotxt: TodoTxt) -> None:
    written = todotxt.todo_file.read_text("utf-8").splitlines()
    assert len(written) == len(open_tasks(todo)) == 5
    assert todotxt.listed("ls") == dict(enumerate(written, 1))


def test_todo_sh_lists_our_priorities_as_letters(todotxt: TodoTxt) -> None:
    prioritised = sorted(text.split(" ")[0] for text in todotxt.listed("listpri").values())
    assert prioritised == ["(A)", "(B)", "(C)"]
    assert [t for t in todotxt.listed("listpri", "A").values() if "Call mom" in t]


def test_todo_sh_lists_our_projects_and_tags(todotxt: TodoTxt) -> None:
    assert todotxt("listproj").split() == ["+family", "+home", "+home.garden", "+work"]
    assert todotxt("listcon").split() == ["@desk", "@garage", "@phone"]


def test_the_todotxt_fixture_goes_out_to_todo_sh_as_it_came_in(todo: Todo, tmp_path: Path) -> None:
    tool = TodoTxt(tmp_path)
    # The fixture alone: beside its done.txt, that would be imported too.
    alone = tmp_path / "alone" / "todo.txt"
    alone.parent.mkdir()
    alone.write_bytes((FIXTURES / "todotxt" / "todo.txt").read_bytes())
    ok(todo("import", str(alone)))
    ok(todo("export", "--format", "todotxt", "--all", "-o", str(tool.todo_file)))
    fixture = (FIXTURES / "todotxt" / "todo.txt").read_text("utf-8").splitlines()
    assert sorted(tool.listed("ls").values()) == sorted(fixture)


def test_a_task_added_with_todo_sh_is_imported_once(todo: Todo, todotxt: TodoTxt) -> None:
    todotxt("add", "Book flights +travel @laptop due:2026-12-15")
    first = ok(todo("import", str(todotxt.todo_file), "--json")).json()
    second = ok(todo("import", str(todotxt.todo_file), "--json")).json()
    assert (first["added"], first["unchanged"]) == (1, 5)
    assert (second["added"], second["unchanged"]) == (0, 6)
    (flights,) = [t for t in open_tasks(todo) if t["title"] == "Book flights"]
    assert (flights["project"], flights["tags"]) == ("travel", ["laptop"])
    assert flights["due"] == "2026-12-15T22:59:59.999999Z"


def test_importing_a_file_todo_sh_edited_duplicates_nothing(todo: Todo, todotxt: TodoTxt) -> None:
    todotxt("add", "Book flights +travel")
    todotxt("pri", str(line_of(todotxt, "Review quarterly goals")), "A")
    todotxt("-a", "do", str(line_of(todotxt, "Pay rent")))
    ok(todo("import", str(todotxt.todo_file)))
    titles = [t["title"] for t in every_task(todo)]
    assert sorted(titles) == sorted(set(titles))
    assert len(titles) == 6


def test_a_task_done_with_todo_sh_is_completed_by_the_import(todo: Todo, todotxt: TodoTxt) -> None:
    todotxt("-a", "do", str(line_of(todotxt, "Pay rent")))  # -a: kept in todo.txt
    summary = ok(todo("import", str(todotxt.todo_file), "--json")).json()
    assert summary["updated"] == 1
    (rent,) = [t for t in every_task(todo) if t["title"] == "Pay rent"]
    assert rent["completed"] is True


def test_the_next_task_of_a_series_done_with_todo_sh_keeps_its_priority(
    todo: Todo, todotxt: TodoTxt
) -> None:
    # `todo.sh do` takes `(A)` off the line it completes; the series' next task is as
    # `todo done` makes it, priority and all.
    todotxt("-a", "do", str(line_of(todotxt, "Water plants")))
    assert "(" not in next(
        line for line in todotxt.todo_file.read_text("utf-8").splitlines() if "Water" in line
    )
    summary = ok(todo("import", str(todotxt.todo_file), "--json")).json()
    assert summary["updated"] == 1
    plants = sorted(
        (t for t in every_task(todo) if t["title"] == "Water plants"), key=lambda t: t["number"]
    )
    # The done one keeps its priority too, as with `todo done`.
    assert [(t["completed"], t["priority"]) for t in plants] == [(True, "L"), (False, "L")]


def test_a_task_done_with_todo_sh_keeps_its_priority_and_a_reopen_gives_it_back(
    todo: Todo, todotxt: TodoTxt
) -> None:
    # `todo.sh do` takes `(A)` off the line: read as the priority cleared, the task lost
    # it for good (reopened without it, exported without it), where `todo done` keeps it.
    todotxt("-a", "do", str(line_of(todotxt, "Call mom")))
    done_line = next(
        line for line in todotxt.todo_file.read_text("utf-8").splitlines() if "Call mom" in line
    )
    assert done_line.startswith("x ")
    assert "(A)" not in done_line
    summary = ok(todo("import", str(todotxt.todo_file), "--json")).json()
    assert summary["updated"] == 1
    (mom,) = [t for t in every_task(todo) if t["title"] == "Call mom"]
    assert (mom["completed"], mom["priority"]) == (True, "H")
    again = ok(todo("import", str(todotxt.todo_file), "--json")).json()
    assert again["updated"] == 0
    ok(todo("reopen", str(mom["number"])))
    exported = ok(todo("export", "--format", "todotxt", str(mom["number"]))).stdout
    assert exported.startswith("(A) ")


def test_a_task_of_a_letter_past_c_done_with_todo_sh_keeps_its_letter(
    todo: Todo, tmp_path: Path
) -> None:
    """(D) to (Z) are all L here; the line says which. `todo.sh do` takes the (D) off:
    the task kept L, but its line went back `pri:C`, and reopened it was (C)."""
    tool = TodoTxt(tmp_path)
    tool("add", "(D) Dee task")
    tool("add", "(E) Eee task")
    ok(todo("import", str(tool.todo_file)))
    tool("-a", "do", "1")
    summary = ok(todo("import", str(tool.todo_file), "--json")).json()
    assert (summary["updated"], summary["unchanged"]) == (1, 1)
    (dee,) = [t for t in every_task(todo) if t["title"] == "Dee task"]
    assert (dee["completed"], dee["priority"]) == (True, "L")
    done_line = ok(todo("export", "--format", "todotxt", "--all", str(dee["number"]))).stdout
    assert done_line.startswith("x ")
    assert done_line.split(" ", 2)[2] == "Dee task pri:D\n"
    assert ok(todo("import", str(tool.todo_file), "--json")).json()["updated"] == 0
    ok(todo("reopen", str(dee["number"])))
    reopened = ok(todo("export", "--format", "todotxt", str(dee["number"]))).stdout
    assert reopened.startswith("(D) "), reopened


def test_a_priority_set_with_todo_sh_arrives_with_the_import(todo: Todo, todotxt: TodoTxt) -> None:
    todotxt("pri", str(line_of(todotxt, "Review quarterly goals")), "A")
    summary = ok(todo("import", str(todotxt.todo_file), "--json")).json()
    assert summary["updated"] == 1
    (goals,) = [t for t in open_tasks(todo) if t["title"] == "Review quarterly goals"]
    assert goals["priority"] == "H"


def test_a_task_added_again_after_todo_sh_archived_the_first_is_a_second_task(
    todo: Todo, tmp_path: Path
) -> None:
    tool = TodoTxt(tmp_path)
    tool("-t", "add", "Water plants +home")
    tool("do", "1")  # archived into done.txt
    tool("-t", "add", "Water plants +home")  # the same words, the same day
    assert "Water plants" in tool.done_file.read_text("utf-8")
    summary = ok(todo("import", str(tool.todo_file), "--json")).json()
    assert summary["added"] == 2
    plants = [t["completed"] for t in every_task(todo) if t["title"] == "Water plants"]
    assert sorted(plants) == [False, True]
    tool("do", "1")
    summary = ok(todo("import", str(tool.todo_file), "--json")).json()
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 1, 1)
    plants = [t["completed"] for t in every_task(todo) if t["title"] == "Water plants"]
    assert plants == [True, True]


def test_lines_alike_keep_their_tasks_when_todo_sh_archives_one_of_them(
    todo: Todo, tmp_path: Path
) -> None:
    tool = TodoTxt(tmp_path)
    for _ in range(3):
        tool("-t", "add", "Water plants +home")
    assert ok(todo("import", str(tool.todo_file), "--json")).json()["added"] == 3

    def plants() -> list[tuple[int, bool]]:
        return sorted(
            (t["number"], t["completed"]) for t in every_task(todo) if t["title"] == "Water plants"
        )

    tool("-a", "do", "2")  # done, kept in todo.txt
    summary = ok(todo("import", str(tool.todo_file), "--json")).json()
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 1, 2)
    assert plants() == [(1, False), (2, True), (3, False)]
    # The archive moves it to done.txt, read first: the lines alike are in another order.
    tool("archive")
    assert "Water plants" in tool.done_file.read_text("utf-8")
    summary = ok(todo("import", str(tool.todo_file), "--json")).json()
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 3)
    assert plants() == [(1, False), (2, True), (3, False)]


def test_a_task_todo_sh_did_and_archived_is_completed_by_importing_done_txt(
    todo: Todo, todotxt: TodoTxt
) -> None:
    todotxt("do", str(line_of(todotxt, "Pay rent")))  # archived into done.txt
    assert "Pay rent" in todotxt.done_file.read_text("utf-8")
    assert "Pay rent" not in todotxt.todo_file.read_text("utf-8")
    ok(todo("import", str(todotxt.done_file)))
    ok(todo("import", str(todotxt.todo_file)))
    rents = [t for t in every_task(todo) if t["title"] == "Pay rent"]
    assert [t["completed"] for t in rents] == [True]


def test_an_instance_taskwarrior_made_after_the_import_is_the_task_todo_made_for_its_date(
    todo: Todo, tmp_path: Path
) -> None:
    """Taskwarrior makes the next instances of a series as time goes on; todo makes the
    next task of it when the one before is done. The instance for a date that
    Taskwarrior made after the last import, and todo's task for that date, were both
    written back: two pending tasks for one date. Now the task here takes the
    instance's uuid at the next import: one pending task a date, in both tools."""
    task = Taskwarrior(tmp_path / "tw")
    start = datetime.now(UTC) - timedelta(days=1)
    task("add", "Weekly sync", "recur:weekly", f"due:{start.strftime('%Y-%m-%d')}")
    task("list")  # the instances up to now, and the next
    first = tmp_path / "first.json"
    first.write_text(task("rc.recurrence=off", "export"), "utf-8")
    ok(todo("import", str(first)))
    task("rc.recurrence.limit=4", "list")  # instances todo has not read
    known = {o["uuid"] for o in json.loads(first.read_text("utf-8"))}
    made_here: dict[str, Any] | None = None
    for _ in range(4):  # done here until the open task is one todo made itself
        (open_task,) = ok(todo("list", "--json")).json()
        if open_task["id"] not in known:
            made_here = open_task
            break
        ok(todo("done", str(open_task["number"])))
    assert made_here is not None
    theirs = tmp_path / "theirs.json"
    theirs.write_text(task("rc.recurrence=off", "export"), "utf-8")
    summary = ok(todo("import", str(theirs), "--json")).json()
    assert summary["added"] == 0
    assert len([n for n in summary["notices"] if "takes its uuid" in n]) == 1
    (now_open,) = ok(todo("list", "--json")).json()
    assert now_open["number"] == made_here["number"]
    instances = {o["uuid"]: o for o in json.loads(theirs.read_text("utf-8"))}
    assert instances[now_open["id"]]["status"] == "pending"
    after = exported_back(todo, task, tmp_path)
    pending = [o for o in after if o["description"] == "Weekly sync" and o["status"] == "pending"]
    assert len({o["due"] for o in pending}) == len(pending)  # no date twice
    assert now_open["id"] in {o["uuid"] for o in pending}
    assert made_here["id"] not in {o["uuid"] for o in after}


def test_a_series_edited_here_reaches_the_instances_taskwarrior_had_made(
    todo: Todo, tmp_path: Path
) -> None:
    """`todo edit` of a series' open task is the series: the template goes back with it,
    and so do the later instances Taskwarrior had made (as `task modify` of a recurring
    task carries a change to them). Written back as Taskwarrior had them, the priority
    was lost there once the open task was done there, and so here at the next sync."""
    task = Taskwarrior(tmp_path / "tw")
    made, template = _monthly_series(task)
    source = tmp_path / "made.json"
    source.write_text(json.dumps(made), "utf-8")
    ok(todo("import", str(source)))
    (open_task,) = ok(todo("list", "--json")).json()
    ok(todo("edit", str(open_task["number"]), "pri:H"))
    ours = tmp_path / "ours.json"
    ours.write_text(ok(todo("export", "--all", "--format", "taskwarrior")).stdout, "utf-8")
    task.import_file(ours)
    there = json.loads(task("rc.recurrence=off", "export"))
    pending = [o for o in there if o.get("parent") == template["uuid"] and o["status"] == "pending"]
    assert len(pending) > 1  # the open one, and the ones Taskwarrior made after it
    assert {o.get("priority") for o in pending} == {"H"}
    time.sleep(1.1)  # Taskwarrior's modified has whole seconds: a change of its own
    task("rc.recurrence=off", open_task["id"], "done")
    theirs = tmp_path / "theirs.json"
    theirs.write_text(task("rc.recurrence=off", "export"), "utf-8")
    ok(todo("import", str(theirs)))
    (following,) = ok(todo("list", "--json")).json()
    assert following["id"] != open_task["id"]
    assert following["priority"] == "H"
