"""A non-editable install works from any directory, migrations included."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.ci_gate import not_applicable
from tests.conftest import REPO, run_process
from todo_cli.db.revisions import HEAD


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("todo_cli-*.whl")
    return built


def test_wheel_ships_the_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "todo_cli/migrations/env.py" in names
    assert "todo_cli/migrations/script.py.mako" in names
    for script in (REPO / "migrations" / "versions").glob("0*.py"):
        assert f"todo_cli/migrations/versions/{script.name}" in names
    assert "todo_cli/py.typed" in names
    assert not any(name.startswith("migrations/") for name in names)


def test_installed_wheel_upgrades_and_adds_from_another_directory(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = f"sqlite:///{tmp_path / 'installed.db'}"
    env = {"PYTHONPATH": str(target), "TODO_DATABASE_URL": db}

    def todo(*args: str) -> subprocess.CompletedProcess[bytes]:
        return run_process(list(args), env=env, cwd=elsewhere)

    where = subprocess.run(
        [sys.executable, "-c", "import todo_cli; print(todo_cli.__file__)"],
        cwd=elsewhere,
        env=dict(os.environ) | env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(target))
    upgraded = todo("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert todo("db", "current").stdout.startswith(HEAD.encode())
    assert todo("add", "from the wheel").returncode == 0


def _script_imports(source: str) -> set[str]:
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_todo_script_imports_only_what_the_client_needs() -> None:
    """Not pip's entry-point wrapper: that one imports `re`, as costly as the whole client."""
    source = (REPO / "bin" / "todo").read_text("utf-8")
    assert source.startswith("#!python\n")  # pip writes the interpreter's path there
    assert _script_imports(source) == {"sys", "todo_cli.__main__"}


def test_the_wheel_installs_that_script_as_todo(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    (script,) = [name for name in archive.namelist() if name.endswith(".data/scripts/todo")]
    assert archive.read(script).decode("utf-8") == (REPO / "bin" / "todo").read_text("utf-8")
    entry_points = [name for name in archive.namelist() if name.endswith("entry_points.txt")]
    assert not any(b"todo" in archive.read(name) for name in entry_points)


def test_the_todo_next_to_this_python_is_that_script() -> None:
    installed = Path(sys.executable).with_name("todo")
    if not installed.exists():
        not_applicable("todo is not installed next to this Python")
    first, _, body = installed.read_text("utf-8").partition("\n")
    assert first.startswith("#!")
    assert "python" in first
    assert body == (REPO / "bin" / "todo").read_text("utf-8").partition("\n")[2]
