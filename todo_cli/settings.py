"""Where `todo` finds its database and its user.

Resolution order, first match wins:

* database: ``--db URL``, ``TODO_DATABASE_URL``, ``database_url`` in the config
  file, else a SQLite file in the platformdirs user data dir;
* user: ``--user NAME``, ``TODO_USER``, ``user`` in the config file, else the OS
  login name.

The config file is ``config.toml`` in the platformdirs user config dir, or the
path in ``TODO_CONFIG``. Nothing here runs at import time.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from todo_cli.dirs import file_kind, user_dir
from todo_cli.domain.limits import USER_NAME_MAX
from todo_cli.errors import ConfigError, InvalidInput

if TYPE_CHECKING:
    from pydantic_core import SchemaValidator
    from pydantic_core import core_schema as cs

# The user source when nothing names one.
OS_LOGIN = "the OS login name"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileSettings:
    """The keys `config.toml` may hold; an unknown key is an error, not a silent typo."""

    database_url: str | None = None
    direct_database_url: str | None = None
    user: str | None = None
    connect_timeout: float = 10.0
    connect_retries: int = 2
    # Read by the command server's client before anything else is imported
    # (todo_cli.server.client); declared here so the file's keys are checked.
    server: str = "on"
    server_idle_timeout: float = 1800.0


def _file_settings_validator() -> SchemaValidator:
    # pydantic-core rather than a BaseModel, as in todo_cli.domain.models: the model
    # machinery would cost every command ~45 ms when a config file exists.
    # Imported here: with no config file there is nothing to validate.
    from pydantic_core import SchemaValidator
    from pydantic_core import core_schema as cs

    def text() -> cs.TypedDictField:
        # Empty strings pass here and are refused in `resolve` like any other
        # empty setting: never read as "use the default".
        return cs.typed_dict_field(cs.str_schema(strict=True), required=False)

    return SchemaValidator(
        cs.typed_dict_schema(
            {
                "database_url": text(),
                "direct_database_url": text(),
                "user": text(),
                # strict: TOML's `true` is not a number of seconds.
                "connect_timeout": cs.typed_dict_field(
                    cs.float_schema(gt=0, le=600, strict=True, allow_inf_nan=False),
                    required=False,
                ),
                "connect_retries": cs.typed_dict_field(
                    cs.int_schema(ge=0, le=10, strict=True), required=False
                ),
                "server": cs.typed_dict_field(
                    cs.literal_schema(["auto", "on", "off"]), required=False
                ),
                "server_idle_timeout": cs.typed_dict_field(
                    # (server.IDLE_MAX_S, not imported here: 24 days.)
                    cs.float_schema(ge=0, le=2_147_483, strict=True, allow_inf_nan=False),
                    required=False,
                ),
            },
            extra_behavior="forbid",
        )
    )


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to reach its data, already resolved."""

    database_url: str
    database_source: str
    direct_database_url: str | None
    user: str
    connect_timeout: float
    connect_retries: int
    is_default_sqlite: bool
    # The command line as typed (secrets masked), recorded with each change.
    command: str = ""
    # Where the user name came from ("--user", "TODO_USER", the config file, or
    # the OS login name). On a database that keeps members apart the login role
    # is the user: a name given on purpose must be that role's, a default is
    # simply replaced by it.
    user_source: str = OS_LOGIN
    user_explicit: bool = False


def config_path(environ: Mapping[str, str]) -> Path:
    explicit = environ.get("TODO_CONFIG")
    if explicit is not None:
        # Empty (an unset script variable) is not "the default file": that one may
        # name another user or database.
        return Path(_given(explicit, "TODO_CONFIG")).expanduser()
    return Path(user_dir("config", environ), "config.toml")


def default_sqlite_path() -> Path:
    return Path(user_dir("data", os.environ), "todo.db")


# Far more than any config file holds: what a device that never ends (/dev/zero)
# is read up to before it is refused.
CONFIG_MAX_BYTES = 1 << 20


def read_config_file(path: Path) -> FileSettings:
    import stat

    # Looked at before it is opened: of a directory the OS says only "Is a directory",
    # which a hint about permissions would not fix. A pipe (a shell's `<(...)`) and
    # /dev/null are read; see _read_at_most for why none can hang or fill memory.
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return FileSettings()
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    if stat.S_ISDIR(mode) or stat.S_ISSOCK(mode) or stat.S_ISBLK(mode):
        raise ConfigError(
            f"config file {path} is a {file_kind(mode)}, not a file",
            hint="point TODO_CONFIG at a TOML file",
        )
    try:
        raw = _read_at_most(path, CONFIG_MAX_BYTES)
    except FileNotFoundError:
        return FileSettings()  # removed since it was looked at
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    if raw is None:
        raise ConfigError(
            f"config file {path} is larger than {CONFIG_MAX_BYTES // (1 << 20)} MiB",
            hint="point TODO_CONFIG at a TOML file",
        )
    import tomllib  # only when there is a file to parse

    try:
        # utf-8-sig: a byte-order mark, as some Windows editors begin a file with, is no
        # TOML ("Invalid statement (at line 1, column 1)"), and says nothing of its own.
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}", hint="fix or remove the file"
        ) from None
    from pydantic_core import ValidationError

    try:
        return FileSettings(**_file_settings_validator().validate_python(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(
            f"config file {path}: {where}: {_said(first['type'], first['msg'])}",
            hint="fix or remove the key",
        ) from None


# What a config file's value is not, in todo's words rather than the validator's.
_NOT_A: Final = {
    "string_type": "is not a string",
    "float_type": "is not a number",
    "float_parsing": "is not a number",
    "finite_number": "is not a finite number",
    "int_type": "is not a whole number",
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
}


def _said(kind: str, message: str) -> str:
    if kind == "extra_forbidden":
        known = ", ".join(f.name for f in dataclasses.fields(FileSettings))
        return f"is no setting (the keys are {known})"
    return _NOT_A.get(kind) or message.replace("Input should be", "must be", 1)


def _read_at_most(path: Path, limit: int) -> bytes | None:
    """The file's bytes, None past `limit`.

    Opened without blocking: a named pipe nobody writes to would hold the open
    forever (and read as empty once opened: no writer, end of file at once). Read in
    blocking mode after, so a shell's `<(...)` still gives all its writer writes.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 65536):
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _env_number(environ: Mapping[str, str], name: str, kind: type[float] | type[int]) -> Any:
    raw = environ.get(name)
    if raw is None or raw == "":
        return None
    try:
        return kind(raw)
    except ValueError:
        # As the config file says it of the same value (`connect_retries = 2.5`).
        said = "is not a whole number" if kind is int else "is not a number"
        raise ConfigError(f"{name}={raw!r} {said}", hint=f"unset {name}") from None


def _login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # getpass raises OSError or KeyError depending on the platform
        raise ConfigError(
            "cannot tell who you are from the OS", hint="pass --user NAME or set TODO_USER"
        ) from None


def _direct(env: Mapping[str, str], file: FileSettings, path: Path) -> str | None:
    if env.get("TODO_DIRECT_DATABASE_URL") is not None:
        return _given(env["TODO_DIRECT_DATABASE_URL"], "TODO_DIRECT_DATABASE_URL")
    if file.direct_database_url is not None:
        return _given(file.direct_database_url, f"direct_database_url in {path}")
    return None


def _beside(url: str, config: Path) -> str:
    """A relative SQLite file in the config file is the file next to it: taken from
    the working directory, each directory a command ran in had a database of its
    own (`cd ~/proj && todo add` wrote one, `cd ~ && todo list` showed another)."""
    import re

    found = re.fullmatch(r"(sqlite(?:\+\w+)?:///)([^/].*)", url, re.DOTALL | re.IGNORECASE)
    if found is None or found[2].startswith(":memory:"):
        return url
    where = str(config.absolute().parent).replace("%", "%25").replace("?", "%3F")
    return f"{found[1]}{where}/{found[2]}"


def _given(value: str, source: str) -> str:
    if not value.strip():
        raise _refused(source, f"{source} is empty", hint=f"give a value, or {_leave(source)}")
    return value


def _leave(source: str) -> str:
    """How to stop giving a setting: a flag is left out, a variable or a key unset."""
    return f"leave {source} out" if source.startswith("--") else f"unset {source}"


def _refused(source: str, message: str, *, hint: str | None) -> InvalidInput | ConfigError:
    """A bad setting: bad usage (exit 2) when typed as a flag, and the environment's or
    the config file's misconfiguration (exit 3, as SPEC has it) when set there."""
    if source.startswith("--"):
        return InvalidInput(message, hint=hint)
    return ConfigError(message, hint=hint)


def validate_user_name(name: str, source: str) -> str:
    from todo_cli.domain.text import check_text, shows_escaped

    name = name.strip()
    if not name:
        raise _refused(
            source, f"user name from {source} is empty", hint=f"give a name, or {_leave(source)}"
        )
    try:
        check_text(name, f"user name from {source}")
    except InvalidInput as exc:
        raise _refused(source, exc.message, hint=exc.hint) from None
    if shows_escaped(name):
        # An escape sequence in a name would reach every terminal it is shown on.
        raise _refused(
            source,
            f"user name from {source} holds a control character",
            hint="use letters, digits and punctuation",
        )
    if len(name) > USER_NAME_MAX:
        raise _refused(
            source,
            f"user name from {source} is longer than {USER_NAME_MAX} characters",
            hint="use a shorter name",
        )
    return name


def resolve(
    *, db: str | None, user: str | None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Apply the resolution order of the docs to flags, environment and config file."""
    env = os.environ if environ is None else environ
    path = config_path(env)
    file = read_config_file(path)

    # Given but empty (`--user ""`, `TODO_USER=` from an unset script
    # variable) is an error, not "use the next source": the next source may
    # name someone else's tasks or database.
    url: str | None
    if db is not None:
        url, url_source = _given(db, "--db"), "--db"
    elif env.get("TODO_DATABASE_URL") is not None:
        url, url_source = _given(env["TODO_DATABASE_URL"], "TODO_DATABASE_URL"), "TODO_DATABASE_URL"
    elif file.database_url is not None:
        url_source = f"database_url in {path}"
        url = _beside(_given(file.database_url, url_source), path)
    else:
        url, url_source = None, "default"

    is_default = url is None
    if url is None:
        # The path in a URL: a % or ? in it (a home of `100%41home`) would be read as
        # an escape or the parameters, the file made elsewhere or refused.
        in_url = str(default_sqlite_path()).replace("%", "%25").replace("?", "%3F")
        url = f"sqlite:///{in_url}"

    if user is not None:
        name, user_source = user, "--user"
    elif env.get("TODO_USER") is not None:
        name, user_source = env["TODO_USER"], "TODO_USER"
    elif file.user is not None:
        name, user_source = file.user, f"user in {path}"
    else:
        name, user_source = _login_name(), OS_LOGIN

    timeout = _env_number(env, "TODO_CONNECT_TIMEOUT", float)
    retries = _env_number(env, "TODO_CONNECT_RETRIES", int)
    if timeout is not None and not 0 < timeout <= 600:
        raise ConfigError(
            f"TODO_CONNECT_TIMEOUT={env['TODO_CONNECT_TIMEOUT']!r}: it must be more than 0 "
            "and at most 600 seconds",
            hint="give seconds such as 10, or unset TODO_CONNECT_TIMEOUT",
        )
    if retries is not None and not 0 <= retries <= 10:
        raise ConfigError(
            f"TODO_CONNECT_RETRIES={env['TODO_CONNECT_RETRIES']!r}: it must be 0 to 10",
            hint="give a count such as 3, or unset TODO_CONNECT_RETRIES",
        )

    return Settings(
        database_url=url.strip(),
        database_source=url_source,
        direct_database_url=_direct(env, file, path),
        user=validate_user_name(name, user_source),
        user_source=user_source,
        user_explicit=user_source != OS_LOGIN,
        connect_timeout=timeout if timeout is not None else file.connect_timeout,
        connect_retries=retries if retries is not None else file.connect_retries,
        is_default_sqlite=is_default,
    )
