"""Where todo keeps its files when nothing names them: platformdirs' answer.

On Linux and the other XDG systems that answer is one rule, the XDG base
directory spec, read here directly: importing platformdirs cost every
command ~3 ms, and the command server's client (which must import next to
nothing) needs the config file too. macOS, Windows and Android apps ask
platformdirs itself, whose rules there have changed between its versions.

Imports ``os`` and ``sys`` only, like todo_cli.server.client, which uses it.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

APP_NAME = "todo-cli"

# The XDG variable of each kind of directory and its default under the home.
_XDG = {
    "config": ("XDG_CONFIG_HOME", "~/.config"),
    "data": ("XDG_DATA_HOME", "~/.local/share"),
}


def _xdg_system(environ: "Mapping[str, str]") -> bool:
    if sys.platform in ("win32", "darwin"):
        return False
    # An Android app (not a shell such as Termux, which is XDG) keeps its
    # files where Android says: platformdirs knows where.
    android = hasattr(sys, "getandroidapilevel") or (
        environ.get("ANDROID_DATA") == "/data" and environ.get("ANDROID_ROOT") == "/system"
    )
    return not android or bool(environ.get("SHELL") or environ.get("PREFIX"))


def user_dir(kind: str, environ: "Mapping[str, str]") -> str:
    """todo's own directory of this kind ("config" or "data"), not created."""
    if not _xdg_system(environ):
        import platformdirs

        if kind == "config":
            return platformdirs.user_config_dir(APP_NAME)
        return platformdirs.user_data_dir(APP_NAME)
    variable, default = _XDG[kind]
    base = environ.get(variable, "")
    # The spec: a relative value is invalid and ignored.
    if not os.path.isabs(base):
        base = os.path.expanduser(default)
    return os.path.join(base, APP_NAME)


def file_kind(mode: int) -> str:
    """What a path that is no regular file is, from its st_mode: "directory",
    "named pipe"... (said when a database or config file names one)."""
    import stat

    for test, kind in (
        (stat.S_ISDIR, "directory"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISFIFO, "named pipe"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return kind
    return "special file"
