"""Where todo finds its database and user, and what a broken config file does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from todo_cli.errors import ConfigError, InvalidInput
from todo_cli.settings import resolve


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_db_flag_beats_environment_and_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'database_url = "sqlite:///from-config.db"\n')
    settings = resolve(
        db="sqlite:///from-flag.db",
        user="u",
        environ={"TODO_CONFIG": str(config), "TODO_DATABASE_URL": "sqlite:///from-env.db"},
    )
    assert settings.database_url == "sqlite:///from-flag.db"
    assert settings.database_source == "--db"


def test_environment_beats_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'database_url = "sqlite:///from-config.db"\n')
    settings = resolve(
        db=None,
        user="u",
        environ={"TODO_CONFIG": str(config), "TODO_DATABASE_URL": "sqlite:///from-env.db"},
    )
    assert settings.database_url == "sqlite:///from-env.db"


def test_config_file_beats_default(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'database_url = "sqlite:///from-config.db"\n')
    settings = resolve(db=None, user="u", environ={"TODO_CONFIG": str(config)})
    # (A relative file in the config file is the one next to it.)
    assert settings.database_url == f"sqlite:///{config.parent}/from-config.db"
    assert not settings.is_default_sqlite


def test_default_is_sqlite_in_the_user_data_dir(tmp_path: Path) -> None:
    settings = resolve(db=None, user="u", environ={"TODO_CONFIG": str(tmp_path / "none.toml")})
    assert settings.is_default_sqlite
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("todo-cli/todo.db")


def test_user_resolution_order(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'user = "carol"\n')
    env = {"TODO_CONFIG": str(config), "TODO_USER": "bob"}
    assert resolve(db=None, user="alice", environ=env).user == "alice"
    assert resolve(db=None, user=None, environ=env).user == "bob"
    assert resolve(db=None, user=None, environ={"TODO_CONFIG": str(config)}).user == "carol"


def test_user_defaults_to_the_login_name(tmp_path: Path) -> None:
    import getpass

    settings = resolve(db=None, user=None, environ={"TODO_CONFIG": str(tmp_path / "none.toml")})
    assert settings.user == getpass.getuser()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("database_url = [unclosed", "is not valid TOML"),
        ("connect_timeout = 'soon'", "connect_timeout"),
        ("databse_url = 'sqlite:///typo.db'", "databse_url"),
        ("connect_timeout = -1", "connect_timeout"),
    ],
)
def test_broken_config_file_is_a_clear_error_with_exit_3(
    tmp_path: Path, content: str, expected: str
) -> None:
    config = write_config(tmp_path, content)
    result = run_cli(["list"], env={"TODO_CONFIG": str(config)})
    assert result.exit_code == 3
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_config_file_that_is_not_utf8_is_exit_3(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b"user = '\xff\xfe'\n")
    with pytest.raises(ConfigError):
        resolve(db=None, user=None, environ={"TODO_CONFIG": str(config)})


def test_a_config_file_that_begins_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    # As Notepad saves UTF-8: it was "not valid TOML: Invalid statement (at line 1, column 1)".
    config = tmp_path / "config.toml"
    config.write_bytes("\ufeffuser = 'zoë'\n".encode())
    assert resolve(db=None, user=None, environ={"TODO_CONFIG": str(config)}).user == "zoë"


def test_bad_number_in_environment_is_exit_3() -> None:
    result = run_cli(["list"], env={"TODO_CONNECT_TIMEOUT": "fast"})
    assert result.exit_code == 3
    assert "TODO_CONNECT_TIMEOUT" in result.stderr
    result = run_cli(["list"], env={"TODO_CONNECT_RETRIES": "2.5"})
    assert result.exit_code == 3
    assert "TODO_CONNECT_RETRIES='2.5' is not a whole number" in result.stderr


def test_an_empty_todo_config_is_refused_not_taken_for_the_default_file(tmp_path: Path) -> None:
    # The default file may name another user: `TODO_CONFIG=$unset todo list` listed theirs.
    home = tmp_path / "config-home"
    (home / "todo-cli").mkdir(parents=True)
    (home / "todo-cli" / "config.toml").write_text('user = "alice"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="TODO_CONFIG is empty"):
        resolve(db=None, user=None, environ={"TODO_CONFIG": "", "XDG_CONFIG_HOME": str(home)})
    result = run_cli(["list"], env={"TODO_CONFIG": "", "XDG_CONFIG_HOME": str(home)})
    assert (result.exit_code, result.stderr) == (
        3,
        "error: TODO_CONFIG is empty (give a value, or unset TODO_CONFIG)\n",
    )


@pytest.mark.parametrize(
    ("given", "refused"),
    [
        ("directory", "is a directory, not a file"),
        ("/dev/zero", "is larger than 1 MiB"),
        ("named pipe", None),
        ("/dev/null", None),
    ],
)
def test_a_config_file_that_is_no_regular_file_is_read_or_refused_never_waited_on(
    tmp_path: Path, given: str, refused: str | None
) -> None:
    # A named pipe nobody writes to hung `todo list` forever, /dev/zero ran out of memory
    # (exit 70), and a directory was "...: Is a directory (check its permissions)".
    # /dev/null is no config, and a pipe with no writer an empty one (a shell's <(...)
    # is read whole: tests/test_server.py).
    import os

    from tests.conftest import run_process

    path = Path(given) if given.startswith("/") else tmp_path / "config.toml"
    if given == "directory":
        path.mkdir()
    elif given == "named pipe":
        os.mkfifo(path)
    env = {
        "TODO_CONFIG": str(path),
        "TODO_SERVER": "off",
        "TODO_USER": "alice",
        "TODO_DATABASE_URL": f"sqlite:///{tmp_path / 'todo.db'}",
    }
    proc = run_process(["add", "Buy milk"], env=env, timeout=30)
    if refused is None:
        assert (proc.returncode, proc.stderr) == (0, b"added #1: Buy milk\n")
        return
    assert (proc.returncode, proc.stderr.decode()) == (
        3,
        f"error: config file {path} {refused} (point TODO_CONFIG at a TOML file)\n",
    )
    assert not (tmp_path / "todo.db").exists()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "TODO_CONNECT_TIMEOUT",
            "0",
            "TODO_CONNECT_TIMEOUT='0': it must be more than 0 and at most 600 seconds",
        ),
        ("TODO_CONNECT_TIMEOUT", "nan", "TODO_CONNECT_TIMEOUT='nan': it must be more than 0"),
        ("TODO_CONNECT_RETRIES", "11", "TODO_CONNECT_RETRIES='11': it must be 0 to 10"),
    ],
)
def test_a_connect_setting_out_of_range_names_the_value_and_the_range(
    name: str, value: str, expected: str
) -> None:
    result = run_cli(["list"], env={name: value})
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: {expected}")
    assert f"unset {name})" in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_timeout_in_the_config_file_must_be_a_finite_number(tmp_path: Path, value: str) -> None:
    config = write_config(tmp_path, f"connect_timeout = {value}")
    result = run_cli(["list"], env={"TODO_CONFIG": str(config)})
    assert result.exit_code == 3
    assert "connect_timeout: is not a finite number" in result.stderr


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (
            "bogus = 1",
            "bogus: is no setting (the keys are database_url, direct_database_url, user, "
            "connect_timeout, connect_retries, server, server_idle_timeout)",
        ),
        ("connect_timeout = true", "connect_timeout: is not a number"),
        ("connect_retries = 1.5", "connect_retries: is not a whole number"),
        ("user = 3", "user: is not a string"),
        ("connect_timeout = -1", "connect_timeout: must be greater than 0"),
    ],
)
def test_a_bad_config_key_is_said_in_todo_s_words(tmp_path: Path, line: str, said: str) -> None:
    # The validator's own words leaked: "Extra inputs are not permitted".
    config = write_config(tmp_path, line)
    result = run_cli(["list"], env={"TODO_CONFIG": str(config)})
    assert (result.exit_code, result.stderr) == (
        3,
        f"error: config file {config}: {said} (fix or remove the key)\n",
    )


def test_empty_user_name_is_bad_input() -> None:
    result = run_cli(["--user", "  ", "list"])
    assert result.exit_code == 2
    assert "user name" in result.stderr


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_user_flag_says_to_leave_it_out_as_an_empty_db_flag_does(value: str) -> None:
    # --user said "unset --user", as if it were an environment variable.
    result = run_cli(["--user", value, "list"])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: user name from --user is empty (give a name, or leave --user out)\n",
    )
    result = run_cli(["--db", value, "list"])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --db is empty (give a value, or leave --db out)\n",
    )
    result = run_cli(["list"], env={"TODO_USER": value})
    assert (result.exit_code, result.stderr) == (
        3,
        "error: user name from TODO_USER is empty (give a name, or unset TODO_USER)\n",
    )


def test_importing_the_cli_reads_connects_and_creates_nothing(tmp_path: Path) -> None:
    code = (
        "import sys, todo_cli.cli; "
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'psycopg', 'pydantic', 'rich.table') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    env = {
        "XDG_DATA_HOME": str(tmp_path / "d"),
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, check=True
    )
    assert out.stdout.strip() == ""
    assert not (tmp_path / "d").exists()
    assert not (tmp_path / "c").exists()


def test_a_task_command_does_not_load_the_chat_log_or_db_commands(tmp_path: Path) -> None:
    code = (
        "import sys; sys.argv = ['todo', 'list', '--json']; import gc\n"
        "from todo_cli.cli import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "print(','.join(m for m in ('todo_cli.cli.chatlog', 'todo_cli.cli.db', 'alembic', "
        "'rich', 'psycopg', 'tomllib') if m in sys.modules), file=sys.stderr)"
    )
    env = {
        "TODO_DATABASE_URL": f"sqlite:///{tmp_path / 'lean.db'}",
        "TODO_USER": "alice",
        "TODO_CONFIG": str(tmp_path / "absent.toml"),
        "PATH": "/usr/bin:/bin",
    }
    # First use creates the schema (and so needs Alembic); the second is the everyday path.
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=True,
        )
    assert out.stderr.strip() == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["add", "lean"],
        ["list"],
        ["edit", "1", "--description", "x"],
        ["chat-log", "append", "1", "--role", "user", "hi"],
    ],
    ids=["add", "list", "edit", "chat-log append"],
)
def test_everyday_commands_do_not_load_pydantics_model_machinery(
    tmp_path: Path, argv: list[str]
) -> None:
    # Defining a BaseModel or building a TypeAdapter (as typer 0.29 does per
    # parameter) loads pydantic.main: a quarter more start-up on every command.
    # Input is validated by pydantic-core validators instead (todo_cli/domain/models.py).
    watched = ("pydantic.main", "pydantic.type_adapter", "typer._adapters")
    config = write_config(tmp_path, "connect_retries = 1\n")
    assert _modules_loaded(tmp_path, argv, watched, config=config) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["done", "1"],
        ["show", "1"],
        ["add", "Buy", "milk", "+errand", "due:fri", "pri:H", "project:home"],
        ["edit", "1", "Buy oat milk", "-errand"],
    ],
    ids=" ".join,
)
def test_commands_do_not_load_a_validator_for_valid_text(tmp_path: Path, argv: list[str]) -> None:
    # With no config file, pydantic-core (~20 ms) stays unloaded: commands that take
    # no text have nothing to check, and valid task fields are checked field by field
    # (models.validate_task); only input refused there goes through the schema.
    absent = tmp_path / "absent.toml"
    assert _modules_loaded(tmp_path, argv, ("pydantic_core",), config=absent) == []


@pytest.mark.parametrize("argv", [["add", "x", "+t", "due:fri"], ["edit", "1", "y"], ["done", "1"]])
def test_task_commands_do_not_define_the_chat_log_models(tmp_path: Path, argv: list[str]) -> None:
    # Each frozen dataclass costs ~0.3 ms to create; a task command has no use
    # for the conversation and message models (todo_cli/domain/chat.py).
    config = write_config(tmp_path, "connect_retries = 1\n")
    assert _modules_loaded(tmp_path, argv, ("todo_cli.domain.chat",), config=config) == []


def _modules_loaded(
    tmp_path: Path, argv: list[str], watched: tuple[str, ...], *, config: Path
) -> list[str]:
    """Which of ``watched`` a real `todo` process has imported by the time ``argv`` is done."""
    code = (
        f"import sys; sys.argv = ['todo', *{argv!r}]\n"
        "from todo_cli.cli import app\n"
        "try:\n    app()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print('loaded=' + ','.join(m for m in {watched!r} if m in sys.modules), "
        "file=sys.stderr)"
    )
    env = {
        "TODO_DATABASE_URL": f"sqlite:///{tmp_path / 'lean.db'}",
        "TODO_USER": "alice",
        "TODO_CONFIG": str(config),
        "PATH": "/usr/bin:/bin",
    }
    for setup in (["add", "first"], ["chat-log", "new"]):
        assert run_cli(setup, env=env).exit_code == 0
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert out.returncode == 0, out.stderr
    loaded = out.stderr.splitlines()[-1].removeprefix("loaded=")
    return loaded.split(",") if loaded else []


def test_database_url_from_the_config_file_is_where_commands_write(tmp_path: Path) -> None:
    db = tmp_path / "from-config.db"
    config = write_config(tmp_path, f'database_url = "sqlite:///{db}"\nuser = "carol"\n')
    env = {"TODO_CONFIG": str(config)}
    assert run_cli(["add", "kept in the configured file"], env=env).exit_code == 0
    listed = run_cli(
        ["list", "--json"], env=env | {"TODO_DATABASE_URL": f"sqlite:///{db}", "TODO_USER": "carol"}
    )
    assert [t["title"] for t in listed.json()] == ["kept in the configured file"]
    assert not (tmp_path / "xdg-data" / "todo-cli" / "todo.db").exists()


XDG_CASES = {
    "unset": {},
    "absolute": {"XDG_DATA_HOME": "/srv/me/data", "XDG_CONFIG_HOME": "/srv/me/conf"},
    "relative (ignored, as the spec says)": {"XDG_DATA_HOME": "d", "XDG_CONFIG_HOME": "c"},
    "empty": {"XDG_DATA_HOME": "", "XDG_CONFIG_HOME": "  "},
}


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the XDG rule is Linux's")
@pytest.mark.parametrize("variables", XDG_CASES.values(), ids=XDG_CASES.keys())
def test_default_paths_are_platformdirs_own(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    # todo reads the XDG rule itself (platformdirs' import was ~3 ms of every
    # command): where it looks must stay where platformdirs says, or a user's
    # tasks seem gone after an upgrade.
    import platformdirs

    from todo_cli.server import client
    from todo_cli.settings import config_path, default_sqlite_path

    monkeypatch.setenv("HOME", "/home/someone")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "TODO_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    import os

    config = platformdirs.user_config_path("todo-cli") / "config.toml"
    assert default_sqlite_path() == platformdirs.user_data_path("todo-cli") / "todo.db"
    assert config_path(os.environ) == config
    # The command server's client reads the same file for its own keys.
    assert client.config_path(os.environ) == str(config)


def test_a_command_reads_the_default_paths_without_platformdirs(tmp_path: Path) -> None:
    code = (
        "import sys; sys.argv = ['todo', 'add', 'lean']\n"
        "from todo_cli.cli import app\n"
        "try:\n    app()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('platformdirs' in sys.modules, file=sys.stderr)"
    )
    env = {
        "XDG_DATA_HOME": str(tmp_path / "d"),
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
        "TODO_USER": "alice",
        "TODO_SERVER": "off",
        "PATH": "/usr/bin:/bin",
    }
    for _ in range(2):  # the first creates the database
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO
        )
        assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines()[-1] == "False"
    assert (tmp_path / "d" / "todo-cli" / "todo.db").exists()


@pytest.mark.parametrize(
    "name", ["\x1b[31mZZ", "a\tb", "right\u202eleft", "bell\x07"], ids=["csi", "tab", "rlo", "bel"]
)
def test_a_user_name_with_a_control_character_is_refused(tmp_path: Path, name: str) -> None:
    # It would be stored, and shown on every terminal that lists users or `db info`.
    with pytest.raises(InvalidInput, match="user name from --user holds a control character"):
        resolve(db=None, user=name, environ={"TODO_CONFIG": str(tmp_path / "none.toml")})
    db = tmp_path / "names.db"
    result = run_cli(["--user", name, "add", "x"], env={"TODO_DATABASE_URL": f"sqlite:///{db}"})
    assert (result.exit_code, result.stderr) == (
        2,
        "error: user name from --user holds a control character "
        "(use letters, digits and punctuation)\n",
    )
    assert not db.exists()


def test_a_persian_name_with_a_zero_width_non_joiner_is_a_name(tmp_path: Path) -> None:
    name = "\u0639\u0644\u06cc\u200c\u0631\u0636\u0627"
    environ = {"TODO_CONFIG": str(tmp_path / "none.toml")}
    assert resolve(db=None, user=name, environ=environ).user == name


def test_db_info_shows_an_escape_in_the_path_as_text(tmp_path: Path) -> None:
    db = tmp_path / "x\x1b[31mZZ.db"
    result = run_cli(["db", "info"], env={"TODO_DATABASE_URL": f"sqlite:///{db}"})
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "x\\x1b[31mZZ.db" in result.stdout


@pytest.mark.parametrize("home", ["100%41home", "what?home", "50% off"])
def test_the_default_database_is_in_the_data_dir_whatever_its_path_holds(
    tmp_path: Path, home: str
) -> None:
    # The path went into a URL as it was: `%41` read as "A" (the file made outside
    # the data dir), a `?` as parameters (every command refused, naming a URL
    # nobody typed).
    data = tmp_path / home
    env = {
        "XDG_DATA_HOME": str(data),
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
        "TODO_USER": "alice",
        "TODO_SERVER": "off",
        "PATH": "/usr/bin:/bin",
    }
    added = subprocess.run(
        [sys.executable, "-m", "todo_cli", "add", "x"],
        capture_output=True, text=True, env=env, cwd=REPO, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert (data / "todo-cli" / "todo.db").exists()
    assert [p.name for p in tmp_path.iterdir()] == [home]


def test_a_relative_sqlite_file_in_the_config_file_is_next_to_it(tmp_path: Path) -> None:
    # Taken from the working directory, each directory a command ran in had a
    # database of its own: `cd proj && todo add`, then `cd ~ && todo list` showed none.
    config = tmp_path / "conf dir%" / "config.toml"
    config.parent.mkdir()
    config.write_text('database_url = "sqlite:///data/todo.db"\n')
    settings = resolve(db=None, user=None, environ={"TODO_CONFIG": str(config)})
    assert settings.database_url == f"sqlite:///{tmp_path}/conf dir%25/data/todo.db"
    # A scheme is read in any case (RFC 3986), so it is next to the config file in any.
    for scheme in ("SQLITE", "Sqlite+pysqlite"):
        config.write_text(f'database_url = "{scheme}:///todo.db"\n')
        settings = resolve(db=None, user=None, environ={"TODO_CONFIG": str(config)})
        assert settings.database_url == f"{scheme}:///{tmp_path}/conf dir%25/todo.db"
    config.write_text('database_url = "sqlite:///data/todo.db"\n')
    for absolute in (f"sqlite:///{tmp_path}/abs.db", "postgresql://me@host/db"):
        config.write_text(f'database_url = "{absolute}"\n')
        settings = resolve(db=None, user=None, environ={"TODO_CONFIG": str(config)})
        assert settings.database_url == absolute
    # From the environment or --db, relative to the working directory, as before.
    env = {"TODO_CONFIG": str(config), "TODO_DATABASE_URL": "sqlite:///here.db"}
    assert resolve(db=None, user=None, environ=env).database_url == "sqlite:///here.db"
    for where in ("a", "b"):
        (tmp_path / where).mkdir()
        config.write_text('database_url = "sqlite:///todo.db"\n')
        done = subprocess.run(
            [sys.executable, "-m", "todo_cli", "add", f"from {where}"],
            capture_output=True, text=True, cwd=tmp_path / where, check=False,
            env={"TODO_CONFIG": str(config), "TODO_SERVER": "off", "TODO_USER": "alice",
                 "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert (config.parent / "todo.db").exists()
    assert not (tmp_path / "a" / "todo.db").exists()
