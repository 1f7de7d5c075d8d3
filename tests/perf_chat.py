"""Benchmark: chat-log search at 100,000 messages, and a 200 MB ChatGPT import.

Run it from the checkout with the project's interpreter::

    python -m tests.perf_chat                      # the full run (10-20 minutes)
    python -m tests.perf_chat --quick              # 10,000 messages, a 20 MB import
    python -m tests.perf_chat --no-postgres --import-mb 0

Not a test (its name does not start with ``test_``): the suite checks the
behaviour and a memory bound on 20 MB (tests/test_chat_import_cli.py); this
measures time and memory at the sizes the issue names, on SQLite and PostgreSQL.

1. Search against listing. About 100,000 messages (about 50 MB of English
   sentences) in a few thousand conversations go in through the product's own
   import (a Claude export written here). Then, round-robin as tests/perf.py
   does, `todo chat-log list` (every conversation, piped) and `todo chat-log
   search WORD` for a rare, a medium and a common word on the same database,
   and two phrases (one in 10% of the messages, one in none).
   Each search is compared with the list of the same round; the target is at
   most 1.3x.
2. A 200 MB ChatGPT export (tests/perf_chat_import.py writes it) imported into
   an empty database: wall-clock time and the child's own peak RSS (target:
   under 400 MiB).

Every figure comes from a real `todo` process started by tests/perf.py's
Spawner (wall clock from spawn to exit, ``ru_maxrss`` from ``os.wait4``).
PostgreSQL is ``TODO_TEST_DATABASE_URL`` when set, else a private server with
statement logging off. Nothing outside a private temporary directory is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests import perf_chat_import
from tests.perf import (
    BACKEND_NAMES,
    MIB,
    Bench,
    BenchError,
    Check,
    Plan,
    Postgres,
    Spawner,
    base_env,
    ratio,
    run_rounds,
    run_setup,
    todo_command,
)

DEFAULT_MESSAGES = 100_000
QUICK_MESSAGES = 10_000
DEFAULT_IMPORT_MB = 200.0
QUICK_IMPORT_MB = 20.0
DEFAULT_REPEAT = 7
QUICK_REPEAT = 3
# Messages per conversation, on average: 100,000 messages make 2,500 conversations.
MEAN_MESSAGES_PER_CONVERSATION = 40
SEARCH_VS_LIST = 1.3
IMPORT_PEAK_MIB = 400.0

# Words searched for, each put into a known share of the messages (none of
# them is in the vocabulary below, so the share is exact).
RARE, MEDIUM, COMMON = "xylophone", "espresso", "budget"
SHARES = {RARE: 0.0002, MEDIUM: 0.01, COMMON: 0.1}
# Phrases searched for, with what the corpus holds of them: the common word's
# sentence ("What about the budget?") as written, and two words each in some
# messages but never side by side (the search must read every message with
# both, finding none). On PostgreSQL a phrase also looks into long messages'
# text (past the positions the stored vector keeps): what that costs shows here.
PHRASES = {f'"about the {COMMON}"': COMMON, f'"{COMMON} {MEDIUM}"': None}


# --- a corpus of plausible chat messages ------------------------------------------


def _vocabulary(words: str) -> tuple[str, ...]:
    return tuple(words.split())


_TOPICS = {
    "cooking": (
        "recipe oven dough flour butter sauce garlic onion pan skillet bread soup salad "
        "pasta rice spice pepper lemon olive oil tomato basil kitchen dinner lunch"
    ),
    "travel": (
        "train ticket flight hotel station airport city museum beach mountain passport "
        "luggage map route village harbour bridge castle market street tour"
    ),
    "code": (
        "function variable database query index table server request response error "
        "test module package commit branch release build compiler loop array string"
    ),
    "garden": (
        "garden seed soil compost tomato hose water sun shade flower tree hedge lawn "
        "weed root leaf spring summer autumn winter harvest bed pot"
    ),
    "money": (
        "account invoice tax saving loan rent salary expense receipt bank card payment "
        "price cost bill insurance pension spreadsheet month year plan"
    ),
}
_VERBS = _vocabulary(
    "check make keep move write read plan cook build fix water pay book visit find "
    "start finish open close change compare choose explain add remove try use need"
)
_ADJECTIVES = _vocabulary(
    "small large quick slow cheap early late simple careful fresh old new warm cold "
    "quiet busy short long better easy hard useful"
)
_OPENERS = (
    "Sure,",
    "Good question:",
    "In short,",
    "First,",
    "Then",
    "After that,",
    "If you can,",
    "Usually",
    "As a rule,",
    "To be safe,",
)


def _sentence(rng: random.Random, nouns: Sequence[str]) -> str:
    noun, other, third = rng.choice(nouns), rng.choice(nouns), rng.choice(nouns)
    verb, adjective = rng.choice(_VERBS), rng.choice(_ADJECTIVES)
    shape = rng.randrange(5)
    if shape == 0:
        return f"{rng.choice(_OPENERS)} {verb} the {adjective} {noun} before the {other}."
    if shape == 1:
        return f"How do I {verb} a {adjective} {noun} with the {other}?"
    if shape == 2:
        return f"The {noun} and the {other} are {adjective}, so {verb} the {third} first."
    if shape == 3:
        return f"You could {verb} your {noun} every week and keep the {other} {adjective}."
    return f"Remember to {verb} the {noun}: a {adjective} {other} makes the {third} easier."


def _message_text(rng: random.Random, nouns: Sequence[str], role: str) -> str:
    # User messages are a question or two; answers run to a few paragraphs.
    count = rng.randint(1, 3) if role == "human" else rng.randint(9, 20)
    return " ".join(_sentence(rng, nouns) for _ in range(count))


@dataclass(frozen=True)
class Corpus:
    path: Path
    size: int
    conversations: int
    messages: int
    found: dict[str, int]  # messages holding each searched word


def write_corpus(path: Path, messages: int, *, seed: int = 11) -> Corpus:
    """A Claude export of about `messages` messages (about 500 characters each)."""
    rng = random.Random(seed)
    topics = [words.split() for words in _TOPICS.values()]
    found = dict.fromkeys(SHARES, 0)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    written = conversations = 0
    with path.open("w", encoding="utf-8") as file:
        file.write("[")
        while written < messages:
            nouns = rng.choice(topics)
            count = min(messages - written, rng.randint(2, 2 * MEAN_MESSAGES_PER_CONVERSATION - 2))
            at = start + timedelta(hours=conversations)
            chat = []
            for position in range(count):
                role = "human" if position % 2 == 0 else "assistant"
                text = _message_text(rng, nouns, role)
                for word, share in SHARES.items():
                    if rng.random() < share:
                        text += f" What about the {word}?"
                        found[word] += 1
                at += timedelta(seconds=rng.randint(5, 300))
                chat.append(
                    {
                        "uuid": f"m-{conversations:05d}-{position:03d}",
                        "sender": role,
                        "text": text,
                        "content": [{"type": "text", "text": text}],
                        "created_at": at.isoformat().replace("+00:00", "Z"),
                    }
                )
            item = {
                "uuid": f"c-{conversations:05d}",
                "name": f"{rng.choice(_ADJECTIVES).title()} {rng.choice(nouns)} {conversations}",
                "created_at": chat[0]["created_at"],
                "updated_at": chat[-1]["created_at"],
                "chat_messages": chat,
            }
            file.write(("," if conversations else "") + json.dumps(item))
            conversations += 1
            written += count
        file.write("]")
    return Corpus(path, path.stat().st_size, conversations, written, found)


# --- the run ------------------------------------------------------------------------


@dataclass
class ImportFigure:
    backend: str
    seconds: float | None
    peak_mib: float | None
    error: str | None = None


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def _private_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="todo-perf-chat-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _database(root: Path, pg: Postgres | None, backend: str, name: str) -> str:
    if backend == "sqlite":
        path = root / f"{name}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    assert pg is not None
    pg.drop(name)
    return pg.create(name)


def build_search_plan(
    root: Path, pg: Postgres | None, backends: list[str], messages: int
) -> tuple[Plan, Corpus]:
    """The corpus imported into each backend, and the benches (list, then each search)."""
    todo = todo_command()
    env = base_env(root)
    began = time.perf_counter()
    corpus = write_corpus(root / "corpus.json", messages)
    _say(
        f"corpus: {corpus.size / 1e6:.1f} MB, {corpus.conversations:,} conversations, "
        f"{corpus.messages:,} messages (written in {time.perf_counter() - began:.1f} s)"
    )
    notes = [
        f"corpus: a Claude export of {corpus.size / 1e6:.1f} MB, {corpus.conversations:,} "
        f"conversations, {corpus.messages:,} messages; "
        + ", ".join(f"{word!r} in {n:,} messages" for word, n in corpus.found.items())
    ]
    benches: list[Bench] = []
    for backend in backends:
        name = BACKEND_NAMES[backend]
        url = _database(root, pg, backend, f"todo_perf_chat_{os.getpid()}_search")
        child = {**env, "TODO_DATABASE_URL": url}
        run_setup([*todo, "db", "upgrade"], child, root)
        began = time.perf_counter()
        run_setup([*todo, "chat-log", "import", str(corpus.path)], child, root)
        spent = time.perf_counter() - began
        notes.append(f"{name}: corpus imported in {spent:.1f} s")
        _say(f"  {name}: corpus imported in {spent:.1f} s")
        section = f"{name}: {corpus.messages:,} messages, {corpus.conversations:,} conversations"
        listing = f"{backend}-list"
        benches.append(
            Bench(
                listing, section, f"todo chat-log list ({name})", [*todo, "chat-log", "list"], child
            )
        )
        for word in SHARES:
            benches.append(
                Bench(
                    f"{backend}-search-{word}",
                    section,
                    f"todo chat-log search {word} ({corpus.found[word]:,} hits)",
                    [*todo, "chat-log", "search", word],
                    child,
                    baseline=listing,
                )
            )
        for number, (phrase, holding) in enumerate(PHRASES.items()):
            hits = "no" if holding is None else f"{corpus.found[holding]:,}"
            benches.append(
                Bench(
                    f"{backend}-phrase-{number}",
                    section,
                    f"todo chat-log search '{phrase}' ({hits} hits)",
                    [*todo, "chat-log", "search", phrase],
                    child,
                    baseline=listing,
                )
            )
    return Plan(benches, notes, (messages,), backends, False), corpus


def measure_import(
    root: Path, pg: Postgres | None, backends: list[str], megabytes: float, spawner: Spawner
) -> tuple[list[ImportFigure], str]:
    """One import of a generated ChatGPT export per backend, into an empty database."""
    todo = todo_command()
    env = base_env(root)
    began = time.perf_counter()
    export = perf_chat_import.write_export(root / "conversations.json", megabytes)
    about = (
        f"{export.size / 1e6:.1f} MB ChatGPT export, {export.conversations:,} conversations, "
        f"{export.messages:,} messages kept"
    )
    _say(f"import: {about} (written in {time.perf_counter() - began:.1f} s)")
    figures = []
    for backend in backends:
        url = _database(root, pg, backend, f"todo_perf_chat_{os.getpid()}_import")
        child = {**env, "TODO_DATABASE_URL": url}
        run_setup([*todo, "db", "upgrade"], child, root)
        try:
            measured = spawner.measure([*todo, "chat-log", "import", str(export.path)], child, None)
        except BenchError as exc:
            figures.append(ImportFigure(backend, None, None, str(exc)))
            continue
        figures.append(ImportFigure(backend, measured.seconds, measured.peak_bytes / MIB))
        _say(
            f"  {BACKEND_NAMES[backend]}: imported in {measured.seconds:.1f} s, "
            f"peak {measured.peak_bytes / MIB:.1f} MiB"
        )
    return figures, about


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.1f}"


def print_table(plan: Plan) -> None:
    """Each command's median and fastest time, peak memory, and ratio to the list."""
    by_key = {b.key: b for b in plan.benches}
    width = max(len(b.label) for b in plan.benches) + 2
    header = f"{'command':<{width}} {'median ms':>10} {'min ms':>10} {'peak MiB':>9} {'vs list':>8}"
    print(header)
    print("-" * len(header))
    section = None
    for bench in plan.benches:
        if bench.section != section:
            section = bench.section
            print(f"[{section}]")
        if not bench.samples:
            error = bench.errors[0] if bench.errors else "not run"
            print(f"  {bench.label:<{width - 2}} FAILED: {error[:200]}")
            continue
        against = ratio(by_key, bench.key, bench.baseline)
        peak = bench.peak_mib
        print(
            f"  {bench.label:<{width - 2}} {_ms(bench.median):>10} {_ms(bench.fastest):>10} "
            f"{'-' if peak is None else f'{peak:.1f}':>9} "
            f"{'-' if against is None else f'{against:.2f}x':>8}"
        )
        if bench.errors:
            print(f"    ({len(bench.errors)} run(s) failed, e.g. {bench.errors[0][:160]})")


def search_checks(plan: Plan) -> list[Check]:
    by_key = {b.key: b for b in plan.benches}
    found = []
    for backend in plan.backends:
        for word in SHARES:
            key = f"{backend}-search-{word}"
            found.append(
                Check(
                    f"{BACKEND_NAMES[backend]}: search {word} vs list",
                    ratio(by_key, key, f"{backend}-list"),
                    SEARCH_VS_LIST,
                    "x",
                    best=ratio(by_key, key, f"{backend}-list", fastest=True),
                )
            )
        for number, phrase in enumerate(PHRASES):
            key = f"{backend}-phrase-{number}"
            found.append(
                Check(
                    f"{BACKEND_NAMES[backend]}: search {phrase} vs list",
                    ratio(by_key, key, f"{backend}-list"),
                    SEARCH_VS_LIST,
                    "x",
                    best=ratio(by_key, key, f"{backend}-list", fastest=True),
                )
            )
    return found


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.perf_chat",
        description="Time chat-log search against list, and a large ChatGPT import.",
    )
    parser.add_argument("--messages", type=int, metavar="N", help="messages in the corpus")
    parser.add_argument(
        "--import-mb", type=float, metavar="MB", help="size of the export imported (0: skip)"
    )
    parser.add_argument("--repeat", type=int, metavar="N", help="recorded rounds")
    parser.add_argument("--quick", action="store_true", help="10,000 messages, a 20 MB import")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    if args.messages is None:
        args.messages = QUICK_MESSAGES if args.quick else DEFAULT_MESSAGES
    if args.import_mb is None:
        args.import_mb = QUICK_IMPORT_MB if args.quick else DEFAULT_IMPORT_MB
    if args.repeat is None:
        args.repeat = QUICK_REPEAT if args.quick else DEFAULT_REPEAT
    if args.messages < 1 or args.repeat < 1 or args.import_mb < 0:
        parser.error("--messages and --repeat must be at least 1, --import-mb at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    with ExitStack() as stack:
        root = stack.enter_context(_private_root())
        pg = None
        if not args.no_postgres:
            _say("starting PostgreSQL ...")
            pg = Postgres(stack)
        backends = ["sqlite"] + (["postgresql"] if pg is not None else [])
        try:
            plan, _ = build_search_plan(root, pg, backends, args.messages)
        except BenchError as exc:
            _say(f"error: setting up failed: {exc}")
            return 1
        spawner = Spawner(root)
        stack.callback(spawner.close)
        run_rounds(plan, spawner, args.repeat)
        imports: list[ImportFigure] = []
        about = ""
        if args.import_mb > 0:
            imports, about = measure_import(root, pg, backends, args.import_mb, spawner)

        print(
            f"todo chat benchmark: {args.repeat} rounds after a warm-up, medians; "
            f"{os.cpu_count()} CPUs, {platform.platform()}"
        )
        print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
        if pg is not None:
            print(f"PostgreSQL {pg.version()}: {pg.where}")
        for note in plan.notes:
            print(note)
        print("ratio: the search's time over the list's, median of per-round ratios")
        print()
        print_table(plan)
        results = search_checks(plan)
        if args.import_mb > 0:
            print()
            print(f"[import of a {about}]")
            for figure in imports:
                name = BACKEND_NAMES[figure.backend]
                if figure.error is not None:
                    print(f"  {name}: FAILED: {figure.error[:300]}")
                else:
                    print(f"  {name}: {figure.seconds:.1f} s, peak RSS {figure.peak_mib:.1f} MiB")
                results.append(
                    Check(
                        f"{name}: import of {args.import_mb:g} MB, peak memory",
                        figure.peak_mib,
                        IMPORT_PEAK_MIB,
                        " MiB",
                        strict=True,
                    )
                )
        print()
        for check in results:
            print(check.line())
        failed = sum(1 for c in results if c.passed is False)
        print(
            f"\n{len(results) - failed} of {len(results)} targets met or not measured; "
            f"{failed} failed. Total {time.perf_counter() - began:.0f} s."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
