"""Peak memory of reading a large ChatGPT export, in a child process.

    .venv/bin/python -m tests.perf_chat_import            # 200 MB
    .venv/bin/python -m tests.perf_chat_import --mb 20 --compare

Writes a generated ``conversations.json`` of about the given size to a
temporary directory, reads it with ``todo_cli.formats.chatgpt.read`` in a
child process and prints that child's peak RSS, beside a child that only
imports the reader (the interpreter's own share) and, with ``--compare``, one
that reads the file with ``json.load`` (what holding it all would cost). The
suite runs the same measurement on 20 MB (tests/test_chat_formats.py).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 1_000_000
_WORDS = [
    "the",
    "starter",
    "flour",
    "water",
    "hydration",
    "oven",
    "loaf",
    "crust",
    "crumb",
    "proof",
    "dough",
    "bake",
    "levain",
    "rye",
    "spelt",
    "overnight",
    "fridge",
    "counter",
    "jar",
    "lid",
    "bubbles",
    "rise",
    "fold",
    "shape",
    "score",
    "steam",
    "función",
    "año",
    "café",
    "naïve",
    "straße",
    "東京",
    "🍞",
    "{braces}",
    "[brackets]",
    '"quotes"',
    "back\\slash",
]


@dataclass(frozen=True)
class Export:
    path: Path
    size: int
    conversations: int
    messages: int  # user and assistant messages on the current branches


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(low, high)))


def _node(node_id: str, parent: str | None, message: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": node_id, "message": message, "parent": parent, "children": []}


def _message(node_id: str, role: str, at: float | None, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": node_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": at,
        "update_time": None,
        "content": content,
        "status": "finished_successfully",
        "end_turn": role == "assistant",
        "weight": 1.0,
        "metadata": {"model_slug": "gpt-4o", "request_id": f"req-{node_id[-8:]}"},
        "recipient": "all",
        "channel": None,
    }


def conversation(rng: random.Random, number: int, turns: int) -> tuple[dict[str, Any], int]:
    """A conversation in the export's shape, and how many messages its current branch keeps.

    Each has a hidden system root; some turns have a regenerated answer (a
    second branch), an image, or a tool call.
    """
    start = 1_700_000_000.0 + number * 3600
    mapping: dict[str, Any] = {}
    root = f"root-{number}"
    mapping[root] = _node(
        root, None, _message(root, "system", None, {"content_type": "text", "parts": [""]})
    )
    mapping[root]["message"]["metadata"]["is_visually_hidden_from_conversation"] = True
    parent, kept, at = root, 0, start

    def add(role: str, content: dict[str, Any], *, current: bool = True) -> str:
        nonlocal parent, at
        at += rng.uniform(5, 90)
        node_id = f"{number:06d}-{len(mapping):05d}-{role}"
        mapping[node_id] = _node(node_id, parent, _message(node_id, role, at, content))
        mapping[parent]["children"].append(node_id)
        if current:
            parent = node_id
        return node_id

    for _ in range(turns):
        if rng.random() < 0.1:
            image = {"content_type": "image_asset_pointer", "asset_pointer": "file-service://x"}
            add("user", {"content_type": "multimodal_text", "parts": [image, _text(rng, 5, 40)]})
        else:
            add("user", {"content_type": "text", "parts": [_text(rng, 5, 60)]})
        if rng.random() < 0.15:  # a regenerated answer: the first one is a dead branch
            add(
                "assistant", {"content_type": "text", "parts": [_text(rng, 20, 400)]}, current=False
            )
        if rng.random() < 0.05:
            add("tool", {"content_type": "execution_output", "text": _text(rng, 1, 30)})
        add("assistant", {"content_type": "text", "parts": [_text(rng, 20, 400)]})
        kept += 2
    item = {
        "title": f"Conversation {number}",
        "create_time": start,
        "update_time": at,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": parent,
        "plugin_ids": None,
        "conversation_id": f"conv-{number:06d}",
        "conversation_template_id": None,
        "gizmo_id": None,
        "is_archived": False,
        "safe_urls": [],
        "default_model_slug": "gpt-4o",
        "id": f"conv-{number:06d}",
    }
    return item, kept


def write_export(path: Path, megabytes: float, *, seed: int = 7) -> Export:
    """An export of about ``megabytes`` MB, minified on one line as ChatGPT writes it.

    Most conversations have a few turns; every 500th has 1,000 (a long working
    session), so the largest single element is a few MB, as in real exports.
    """
    rng = random.Random(seed)
    target = int(megabytes * MB)
    size = conversations = messages = 0
    with path.open("w", encoding="utf-8") as file:
        file.write("[")
        while size < target:
            turns = 1000 if conversations % 500 == 250 else rng.randint(1, 25)
            item, kept = conversation(rng, conversations, turns)
            text = ("," if conversations else "") + json.dumps(item, ensure_ascii=False)
            file.write(text)
            size += len(text.encode())
            conversations += 1
            messages += kept
        file.write("]")
    return Export(path, path.stat().st_size, conversations, messages)


READ = """
import sys
from todo_cli.formats import chatgpt
conversations = messages = 0
with open(sys.argv[1], "rb") as stream:
    for item in chatgpt.read(stream, "conversations.json"):
        conversations += 1
        messages += len(item.messages)
print(conversations, messages)
"""
IMPORT_ONLY = "import sys\nfrom todo_cli.formats import chatgpt\nprint(0, 0)"
JSON_LOAD = "import json, sys\nprint(len(json.load(open(sys.argv[1], 'rb'))), 0)"

# A middle process runs the child, so RUSAGE_CHILDREN sees that child alone
# and not every process the calling test run has waited for before.
_MEASURE = """
import resource, subprocess, sys
out = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]],
                     check=True, capture_output=True, text=True).stdout
print(out.strip(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss(code: str, *args: str) -> tuple[float, list[int]]:
    """The peak RSS in MiB of a child process running ``code``, and the numbers it printed."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, code, *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    *printed, kib = out
    return int(kib) / 1024, [int(value) for value in printed]  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="export size in MB")
    parser.add_argument("--compare", action="store_true", help="also measure json.load")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        export = write_export(Path(tmp) / "conversations.json", options.mb)
        print(
            f"export: {export.size / MB:.1f} MB, {export.conversations} conversations, "
            f"{export.messages} messages kept (written in {time.perf_counter() - began:.1f} s)"
        )
        baseline, _ = peak_rss(IMPORT_ONLY)
        print(f"interpreter and reader imported: peak RSS {baseline:.1f} MiB")
        began = time.perf_counter()
        peak, (conversations, messages) = peak_rss(READ, str(export.path))
        assert (conversations, messages) == (export.conversations, export.messages)
        print(
            f"chatgpt.read: peak RSS {peak:.1f} MiB (read in {time.perf_counter() - began:.1f} s)"
        )
        if options.compare:
            whole, _ = peak_rss(JSON_LOAD, str(export.path))
            print(f"json.load of the whole file: peak RSS {whole:.1f} MiB")


if __name__ == "__main__":
    main()
