"""Database URLs as users write them, parsed and normalised.

URLs are accepted as Neon and libpq print them (`postgresql://`, `postgres://`,
`postgresql+psycopg://`), and shown back as they were typed, masked: a user
who wrote `postgres://` never sees a driver name they did not choose.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from todo_cli.errors import ConfigError
from todo_cli.redact import mask_url, remember_url

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg3"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite"}
_HINT = "use postgresql://user:password@host/db or sqlite:///path/to/todo.db"


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed, normalised database URL, and the text the user gave."""

    url: URL
    backend: str  # "sqlite" or "postgresql"
    raw: str
    # Where the text came from (``Settings.database_source``: ``--db``,
    # ``TODO_DATABASE_URL``, ``database_url in <file>``, ``default``), so that a hint
    # names the setting this user changes; not part of which database it is.
    source: str | None = field(default=None, compare=False)
    # Given as the direct endpoint (TODO_DIRECT_DATABASE_URL, direct_database_url):
    # masked, it reads like the main URL, so an error says which of the two failed.
    given_as_direct: bool = field(default=False, compare=False)

    @property
    def setting(self) -> str:
        """The setting a user changes to name another database: the one the URL came
        from; for the default file, or when not told, each of them in the order they
        are looked at."""
        return setting_named(self.source)

    @property
    def masked(self) -> str:
        return mask_url(self.raw)

    @property
    def sqlite_path(self) -> Path | None:
        if self.backend != "sqlite" or not self.url.database:
            return None
        return Path(self.url.database)

    @property
    def is_neon_pooler(self) -> bool:
        return self.backend == "postgresql" and "-pooler" in (self.url.host or "")

    def direct(self, explicit: str | None) -> DatabaseURL:
        """The endpoint migrations must use.

        PgBouncer in transaction mode cannot hold the session a migration needs,
        so a Neon pooled host (``ep-x-pooler.region...``) becomes its direct host
        (``ep-x.region...``), unless ``TODO_DIRECT_DATABASE_URL`` says otherwise.

        That URL is another way to the same database: a SQLite file has no other
        (it is ignored), and one naming another database or backend is refused.
        Taken as given, `todo --db OTHER db downgrade` with a direct URL left in
        the environment would have migrated, or wiped, that other database.
        """
        if explicit and self.backend == "postgresql":
            direct = parse_url(explicit)
            if direct.backend != "postgresql" or direct.url.database != self.url.database:
                named = (
                    f"database {direct.url.database!r}"
                    if direct.backend == "postgresql"
                    else "a SQLite file"
                )
                raise ConfigError(
                    f"the direct URL ({direct.masked}) names {named}, not the database "
                    f"{self.url.database!r} of {self.masked}: migrations would go elsewhere",
                    hint="make TODO_DIRECT_DATABASE_URL (or direct_database_url) the direct "
                    "endpoint of the same database, or unset it",
                )
            return replace(direct, source=self.source, given_as_direct=True)
        if not self.is_neon_pooler:
            return self
        host = self.url.host or ""
        direct_host = host.replace("-pooler", "", 1)
        return DatabaseURL(
            self.url.set(host=direct_host),
            self.backend,
            self.raw.replace(host, direct_host, 1),
            self.source,
        )


def _encode_ats_in_userinfo(rest: str) -> str:
    """`u:p@ss@host/db` as the user meant it: the user info ends at the host's `@`.

    A password copied from a console often holds an unencoded `@`. SQLAlchemy
    (and libpq) end the user info at the first `@`, so the rest of the
    password became the host, and the driver's error printed it. As Python's
    urllib does, the host part is what follows the last `@` before the first
    `/`, `?` or `#`; the `@` before it are encoded, so the URL connects with
    the password as typed (and masking never shows a piece of it).
    """
    end = min((i for i in (rest.find(c) for c in "/?#") if i != -1), default=len(rest))
    tail = rest[end:]
    if "@" in tail and not _in_a_parameter(tail, tail.index("@")):
        # `u:abc@def/ghi@host/db`: an `@` after the first `/`, `?` or `#`, and not in
        # a parameter's value (`?application_name=me@work`). The password holds one
        # of those unencoded; read as a URL, its end would become the host (sent to
        # the resolver, printed in the driver's error). Which `/` ends it cannot be
        # told: refused (parse_url), asking for it encoded.
        raise ValueError("a password with an unencoded / ? or #")
    userinfo, at, host = rest[:end].rpartition("@")
    if not at or "@" not in userinfo:
        return rest
    return userinfo.replace("@", "%40") + at + host + rest[end:]


def _in_a_parameter(tail: str, at: int) -> bool:
    """Whether ``tail[at]`` is in the value of a query parameter of the path
    (`/db?application_name=me@work`), not in a password's `/`, `?` or `=` before its
    own `@` (`Key=1@host/db`, `a@b?c=d@host/db`): a value goes on to `&` or the end,
    never to a `host/db` of its own."""
    query = tail.find("?")
    if not tail.startswith("/") or query == -1 or "=" not in tail[query:at]:
        return False
    value_end = min((i for i in (tail.find(c, at) for c in "&#") if i != -1), default=len(tail))
    return "/" not in tail[at:value_end]


def backend_of(raw: str) -> str | None:
    """ "postgresql" or "sqlite" by the URL's scheme alone (None for neither), unchecked."""
    scheme = raw.strip().split("://", 1)[0].lower()
    if scheme in _POSTGRES_SCHEMES:
        return "postgresql"
    return "sqlite" if scheme in _SQLITE_SCHEMES else None


def setting_named(source: str | None) -> str:
    """See `DatabaseURL.setting`."""
    if source is None or source == "default":
        return "--db, TODO_DATABASE_URL or database_url in the config file"
    return source


def parse_url(raw: str, source: str | None = None) -> DatabaseURL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    remember_url(raw)
    text = raw.strip()
    if "://" not in text:
        raise ConfigError(f"not a database URL: {mask_url(text)!r}", hint=_HINT)
    backend = backend_of(text)
    if backend not in ("postgresql", "sqlite"):
        scheme = text.split("://", 1)[0].lower()
        raise ConfigError(f"unsupported database URL scheme {scheme!r}", hint=_HINT)
    try:
        if backend == "postgresql":
            rest = _encode_ats_in_userinfo(text.split("://", 1)[1])
            normalised = "postgresql+psycopg://" + rest
        else:
            # The scheme as SQLAlchemy's plugin names it (`SQLITE://` found no plugin).
            scheme, rest = text.split("://", 1)
            normalised = f"{scheme.lower()}://{rest}"
        url = make_url(normalised)
    except (ArgumentError, ValueError):
        # The hosts are what follows the last @ (a password may hold / and ,
        # unencoded: that one is the percent-encoding error below).
        hosts = text.split("://", 1)[1].split("?", 1)[0].rpartition("@")[2].split("/", 1)[0]
        if backend == "postgresql" and "," in hosts:
            # libpq's host1:port1,host2:port2: todo connects to one server (its
            # engine, pool and retries are for one), so it is said as such.
            raise ConfigError(
                f"database URL {mask_url(text)!r} names several hosts; todo connects to one",
                hint="give one host:port (the primary's)",
            ) from None
        raise ConfigError(
            f"cannot parse database URL {mask_url(text)!r}",
            hint="percent-encode @ : / ? # in the password as %40 %3A %2F %3F %23; " + _HINT,
        ) from None
    if backend == "postgresql" and url.host and url.host[:3].upper() == "%2F":
        # libpq's URL of a local socket: its directory, percent-encoded, as the host
        # (`postgresql://me@%2Fvar%2Frun%2Fpostgresql/db`), as psql takes it.
        from urllib.parse import unquote

        url = url.set(host=unquote(url.host))
    twice = sorted(name for name, value in url.query.items() if isinstance(value, tuple))
    if backend == "postgresql" and twice:
        # SQLAlchemy keeps both values as a tuple, which reached libpq as its text
        # ("invalid sslmode value: \"('require', 'verify-full')\"", as if the server
        # were down); which of the two was meant, todo cannot tell.
        raise ConfigError(
            f"database URL {mask_url(text)!r} gives {', '.join(map(repr, twice))} more than once",
            hint="keep one value of each parameter",
        )
    if backend == "postgresql" and not (url.host or url.query.get("host")):
        # libpq would silently fall back to a local socket; be explicit instead.
        raise ConfigError(f"database URL {mask_url(text)!r} names no host", hint=_HINT)
    if backend == "sqlite" and text.split("://", 1)[1].split("/", 1)[0]:
        # `sqlite://host/x.db`, `sqlite://:pw@/x.db`: the driver refused them only when
        # connecting, with a many-line ArgumentError (exit 70), and the file had been
        # made empty first; `sqlite://@/x.db` was taken as x.db, its @ unsaid.
        raise ConfigError(
            f"{mask_url(text)!r} names a host, user or password: a SQLite database is a "
            "file on this machine",
            hint="three slashes, then the path: sqlite:///relative/todo.db or "
            "sqlite:////absolute/path/todo.db",
        )
    if backend == "sqlite" and (not url.database or url.database == ":memory:"):
        raise ConfigError(
            f"{mask_url(text)!r} is an in-memory SQLite database, gone when the command ends",
            hint="give a file: sqlite:///path/to/todo.db",
        )
    if backend == "sqlite" and "?" in text:
        # The driver would ignore them with a warning on stderr; none of them
        # means anything to todo, which opens the file itself (a password in
        # one protects nothing). One without a value (`todo.db?backup`) is not
        # even parsed as one: the file would silently be the name before the ?.
        from urllib.parse import parse_qsl

        query = text.split("?", 1)[1]
        found = sorted({name for name, _ in parse_qsl(query, keep_blank_values=True)})
        names = ", ".join(repr(name) for name in found) if found else "a '?' and nothing after it"
        raise ConfigError(
            f"a SQLite database URL takes no parameters, and {mask_url(text)!r} has {names}",
            hint="give the file alone: sqlite:///path/to/todo.db, a ? in its name as %3F",
        )
    return DatabaseURL(url, backend, text, source)
