"""Members of a shared PostgreSQL: login roles the database itself keeps apart.

On an isolated database each member logs in as their own role, and row-level
security (policies from revision 0008) lets a session see and change only the
rows of the users row named like its ``session_user``. The admin (the owner of
the schema, who runs `todo db upgrade`) bypasses it and runs the commands
here; members own nothing and hold their privileges through one group role.

Isolation is turned on here, never by a migration: the policies are inert
until row security is enabled, so a database nobody isolated works exactly as
before, and a grant to members is only ever made together with row security.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from todo_cli.db.session import State, acting_user, read_state
from todo_cli.errors import DatabaseError, InvalidInput, NotFound

if TYPE_CHECKING:
    from psycopg import sql
    from sqlalchemy import Connection

    from todo_cli.db.url import DatabaseURL
    from todo_cli.settings import Settings

# Holds every member's privileges; NOLOGIN. Server-wide, like every role.
GROUP_ROLE: Final = "todo_member"
# The tables row security keeps apart, parents first.
ISOLATED_TABLES: Final = (
    "users",
    "tasks",
    "task_tags",
    "task_notes",
    "task_dependencies",
    "conversations",
    "messages",
    "operations",
    "journal",
)
# A todo command holds one connection; a few scripts at once stay well under.
DEFAULT_CONNECTION_LIMIT: Final = 10
# 24 random bytes: 192 bits, URL-safe as base64url.
PASSWORD_BYTES: Final = 24
# Chosen passwords (--password-stdin) must be at least this long.
PASSWORD_MIN: Final = 16
# RFC 7677's minimum, and what PostgreSQL itself uses.
SCRAM_ITERATIONS: Final = 4096
# Identifier-safe: unquoted in a URL, no case folding surprises in SQL (the
# name is always quoted), and within PostgreSQL's 63-byte identifiers.
_ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,62}")
_RESERVED = {"public", "none", "current_user", "session_user", "current_role", GROUP_ROLE}
NEON_BYPASS_ROLE: Final = "neon_superuser"
# Forced row security holds the tables' owner too, but it may turn it off.
_OWNS_TABLES: Final = "owns the tables, so may turn row security off"
# Before PostgreSQL 16, CREATEROLE may grant itself any role but a superuser.
_CREATEROLE: Final = "CREATEROLE, so may make itself a member of the tables' owner"
# A function made in public (a `lower(varchar)`) is picked by members' queries
# before pg_catalog's, and runs as the member: it can read and copy their rows.
_SCHEMA_WRITER: Final = "may create functions in schema public, which members' queries run"
# Who may create objects in schema public: its owner (from PostgreSQL 15 the
# database's owner, through pg_database_owner) and any role granted CREATE there.
_SCHEMA_WRITERS = (
    "SELECT CASE WHEN n.nspowner = (SELECT oid FROM pg_catalog.pg_roles "
    "                               WHERE rolname = 'pg_database_owner') "
    "THEN (SELECT datdba FROM pg_catalog.pg_database WHERE datname = current_database()) "
    "ELSE n.nspowner END FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public' "
    "UNION SELECT a.grantee FROM pg_catalog.pg_namespace n, aclexplode(n.nspacl) a "
    "WHERE n.nspname = 'public' AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner"
)
# A role that may create schemas in the database may make one named after a member:
# "$user" comes first in the default search_path, so a view or function there named
# as todo's tables runs in that member's queries, as them.
_SCHEMA_MAKER: Final = (
    "may create schemas in this database, and one named after a member comes first in "
    "that member's queries"
)
# Who may create schemas in the database: its owner, and any role granted CREATE on it.
_SCHEMA_MAKERS = (
    "SELECT d.datdba FROM pg_catalog.pg_database d WHERE d.datname = current_database() "
    "UNION SELECT a.grantee FROM pg_catalog.pg_database d, aclexplode(d.datacl) a "
    "WHERE d.datname = current_database() AND a.privilege_type = 'CREATE'"
)
_REVOKE_ALL: Final = (
    f"REVOKE ALL ON {', '.join(ISOLATED_TABLES)}, alembic_version FROM {GROUP_ROLE}"
)


# --- passwords ----------------------------------------------------------------


def generate_password() -> str:
    import secrets

    return secrets.token_urlsafe(PASSWORD_BYTES)


def _saslprep(password: str) -> bytes:
    """The bytes SCRAM hashes: RFC 4013 SASLprep, or the raw bytes where it fails.

    libpq prepares the password the same way before it logs in, and the server
    falls back to the raw bytes for a password SASLprep refuses; a verifier
    made here must be made from the same bytes.
    """
    import stringprep
    import unicodedata

    raw = password.encode("utf-8")
    if password.isascii() and password.isprintable():
        return raw  # SASLprep leaves printable ASCII as it is
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else "" if stringprep.in_table_b1(ch) else ch
        for ch in password
    )
    prepared = unicodedata.normalize("NFKC", mapped)
    prohibited = (
        stringprep.in_table_a1,
        stringprep.in_table_c12,
        stringprep.in_table_c21_c22,
        stringprep.in_table_c3,
        stringprep.in_table_c4,
        stringprep.in_table_c5,
        stringprep.in_table_c6,
        stringprep.in_table_c7,
        stringprep.in_table_c8,
        stringprep.in_table_c9,
    )
    if not prepared or any(test(ch) for ch in prepared for test in prohibited):
        return raw
    if any(stringprep.in_table_d1(ch) for ch in prepared) and (
        any(stringprep.in_table_d2(ch) for ch in prepared)
        or not (stringprep.in_table_d1(prepared[0]) and stringprep.in_table_d1(prepared[-1]))
    ):
        return raw
    return prepared.encode("utf-8")


def scram_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS
) -> str:
    """A SCRAM-SHA-256 verifier (RFC 5802, RFC 7677) as PostgreSQL stores it.

    `ALTER ROLE ... PASSWORD` given a verifier stores it as is: the plain
    password never reaches the server, its statement log, or its replicas.
    """
    import hashlib
    import hmac
    import os
    from base64 import b64encode

    salt = os.urandom(16) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", _saslprep(password), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return b64encode(data).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def check_password(password: str) -> str:
    """A password a member is given (--password-stdin): long enough, one line."""
    if "\n" in password or "\r" in password or "\0" in password:
        raise InvalidInput("the password must be one line with no NUL character")
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(
            f"the password is shorter than {PASSWORD_MIN} characters",
            hint="leave out --password-stdin and todo makes a 192-bit one",
        )
    return password


# --- names and URLs -------------------------------------------------------------


def validate_role_name(name: str) -> str:
    if not _ROLE_NAME.fullmatch(name):
        raise InvalidInput(
            f"{name!r} cannot be a member's login name",
            hint="use 1-63 letters, digits, _ and -, starting with a letter or _",
        )
    if name.lower() in _RESERVED or name.lower().startswith("pg_"):
        raise InvalidInput(f"{name!r} is reserved", hint="choose another name")
    return name


# URL parameters that name the admin's own credentials (see member_url).
_ADMINS_OWN = frozenset({"user", "password", "sslpassword", "sslcert", "sslkey", "passfile"})


def member_url(admin: DatabaseURL, name: str, password: str) -> str:
    """The admin's URL as given, with the member's user name and password in it.

    Host, port, database and options (sslmode, channel_binding) stay; a Neon
    pooled host (``-pooler``) stays pooled, which is what members should use.
    """
    from urllib.parse import quote, unquote

    raw = admin.raw
    scheme, rest = raw.split("://", 1)
    rest, hash_sign, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    at = rest.rfind("@")
    hostpart = rest[at + 1 :] if at != -1 else rest
    if question:
        # libpq also takes the user and password as query parameters, and the
        # admin's own client certificate, its key and the key's passphrase
        # are the admin's credentials too: none of them is the member's to
        # have. The others stay exactly as written (re-encoding could change
        # them).
        query = "&".join(
            part
            for part in query.split("&")
            if unquote(part.split("=", 1)[0]).lower() not in _ADMINS_OWN
        )
    userinfo = f"{quote(name, safe='')}:{quote(password, safe='')}"
    url = f"{scheme}://{userinfo}@{hostpart}"
    if query:
        url += "?" + query
    if hash_sign:
        url += "#" + fragment
    return url


# --- the admin's side ---------------------------------------------------------------


@dataclass(frozen=True)
class Bypass:
    """A role row-level security does not hold, and why."""

    name: str
    reasons: tuple[str, ...]
    can_login: bool

    def describe(self) -> str:
        return f"{self.name} ({', '.join(self.reasons)})"


@dataclass(frozen=True)
class Isolation:
    """What `todo db isolate` found and did."""

    group_created: bool
    turned_on: bool
    schema_create_revoked: bool
    temp_revoked: bool
    temp_left: bool
    bypass: list[Bypass] = field(default_factory=list)

    @property
    def schema_writers(self) -> list[str]:
        """Roles that bypass only by writing schema public, superusers aside: worth a
        warning, as nobody means them to see members' rows."""
        return self._bypassing_by(_SCHEMA_WRITER)

    @property
    def schema_makers(self) -> list[str]:
        """Roles that bypass only by creating schemas in the database (see _SCHEMA_MAKER),
        superusers aside: worth a warning too."""
        return self._bypassing_by(_SCHEMA_MAKER)

    def _bypassing_by(self, reason: str) -> list[str]:
        # Not those that bypass anyway: a superuser, BYPASSRLS, the tables' owner.
        return [
            b.name
            for b in self.bypass
            if reason in b.reasons and not {"superuser", "BYPASSRLS", _OWNS_TABLES} & set(b.reasons)
        ]


@dataclass(frozen=True)
class Granted:
    name: str
    url: str | None
    role_created: bool
    adopted_tasks: int | None
    isolation: Isolation


@dataclass(frozen=True)
class Member:
    name: str
    tasks: int
    conversations: int
    last_activity: datetime | None
    bypasses_rls: bool
    can_login: bool
    connection_limit: int
    enrolled: bool


@dataclass(frozen=True)
class Kept:
    """A users row that holds rows, granted to no login here (see _kept)."""

    name: str
    tasks: int
    conversations: int


@dataclass(frozen=True)
class Revoked:
    name: str
    role_dropped: bool
    purged_tasks: int | None
    purged_conversations: int | None
    # The other databases of the server that granted the role: it stays for them.
    kept_for: list[str] = field(default_factory=list)


# What `mode` says of a database that does not keep members apart.
APPLICATION_ONLY = "application only"


def mode(conn: Connection) -> str:
    """`database-enforced`, `partial` or `application only`: what row security says."""
    from sqlalchemy import text

    if conn.dialect.name != "postgresql":
        return APPLICATION_ONLY
    rows = conn.execute(
        text(
            "SELECT c.relrowsecurity AND c.relforcerowsecurity FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relname = ANY(:tables)"
        ),
        {"tables": list(ISOLATED_TABLES)},
    ).scalars()
    flags = list(rows)
    if flags and all(flags) and len(flags) == len(ISOLATED_TABLES):
        return "database-enforced"
    return "partial" if any(flags) else APPLICATION_ONLY


# PostgreSQL's predefined roles that reach the server's own files or programs
# (COPY ... TO PROGRAM, pg_read_file, COPY ... TO a file): the data files, or a
# superuser's login over the socket, are then within reach, and no policy holds
# that. PostgreSQL's documentation counts them as a superuser's equivalent.
_SERVER_REACH: Final = (
    "it reaches the server's files or programs, and through them every member's rows"
)
SERVER_ACCESS_ROLES: Final = (
    "pg_execute_server_program",
    "pg_read_server_files",
    "pg_write_server_files",
)

# Roles that see every member's rows by what they are: superusers, BYPASSRLS, the
# tables' owner (it may turn row security off), CREATEROLE (it may make itself a
# member of the owner), Neon's administrator role, whoever may create objects in
# schema public (see _SCHEMA_WRITER), and the predefined roles of the server's
# files and programs. A role that may SET ROLE to one of them (a member of it,
# however indirectly) can see as much, so it bypasses too.
_STRONG_ROLES = (
    "SELECT s.oid, s.rolname FROM pg_catalog.pg_roles s "
    "WHERE s.rolsuper OR s.rolbypassrls OR s.rolcreaterole "
    f"OR s.rolname IN ({', '.join(repr(name) for name in SERVER_ACCESS_ROLES)}) "
    "OR s.oid = (SELECT relowner FROM pg_catalog.pg_class "
    "            WHERE oid = to_regclass('public.tasks')) "
    "OR s.oid = CAST(:neon AS oid) "
    f"OR s.oid IN ({_SCHEMA_WRITERS}) "
    f"OR s.oid IN ({_SCHEMA_MAKERS})"
)


def _neon_oid(conn: Connection) -> int | None:
    from sqlalchemy import text

    found = conn.execute(
        text("SELECT oid FROM pg_catalog.pg_roles WHERE rolname = :name"),
        {"name": NEON_BYPASS_ROLE},
    ).scalar()
    return None if found is None else int(found)


def bypassing_roles(conn: Connection) -> list[Bypass]:
    """Roles that see every member's rows: superusers, BYPASSRLS, the tables' owner,
    Neon's, and any role that may become one of those (a member of it)."""
    from sqlalchemy import text

    if conn.dialect.name != "postgresql":
        return []
    rows = conn.execute(
        text(
            f"WITH strong AS ({_STRONG_ROLES}) "
            "SELECT r.rolname, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcanlogin, "
            "r.oid = (SELECT relowner FROM pg_catalog.pg_class "
            "         WHERE oid = to_regclass('public.tasks')) AS owner, "
            f"r.oid IN ({_SCHEMA_WRITERS}) AS schema_writer, "
            f"r.oid IN ({_SCHEMA_MAKERS}) AS schema_maker, "
            "CASE WHEN r.rolsuper THEN NULL ELSE "
            "  (SELECT string_agg(s.rolname, ' ' ORDER BY s.rolname) FROM strong s "
            "   WHERE s.oid <> r.oid AND pg_catalog.pg_has_role(r.oid, s.oid, 'MEMBER')) "
            "END AS via "
            "FROM pg_catalog.pg_roles r WHERE r.rolname NOT LIKE 'pg\\_%' ORDER BY r.rolname"
        ),
        {"neon": _neon_oid(conn)},
    )
    found = []
    for row in rows:
        reasons = [
            reason
            for reason, holds in (
                ("superuser", row.rolsuper),
                ("BYPASSRLS", row.rolbypassrls and not row.rolsuper),
                (_OWNS_TABLES, row.owner),
                (_CREATEROLE, row.rolcreaterole and not row.rolsuper),
                (_SCHEMA_WRITER, row.schema_writer and not row.rolsuper),
                (_SCHEMA_MAKER, row.schema_maker and not row.rolsuper),
            )
            if holds
        ]
        reasons += [f"member of {name}" for name in (row.via or "").split()]
        if reasons:
            found.append(Bypass(row.rolname, tuple(reasons), bool(row.rolcanlogin)))
    return found


@contextmanager
def _admin_connection(settings: Settings) -> Iterator[Connection]:
    """The admin's transaction: direct endpoint, the migrations' lock, the schema at head.

    Taking the migrations' advisory lock means a grant never interleaves with an
    upgrade that is changing the tables it grants on.
    """
    from todo_cli.db.migrate import migration_connection
    from todo_cli.db.revisions import HEAD, mismatch, read_revision
    from todo_cli.db.url import parse_url
    from todo_cli.errors import InvalidUsage

    db = parse_url(settings.database_url, settings.database_source)
    if db.backend != "postgresql":
        raise InvalidUsage(
            "members are a PostgreSQL matter: a SQLite file is one person's",
            hint="point --db or TODO_DATABASE_URL at the shared PostgreSQL",
        )
    with migration_connection(settings) as conn:
        revision = read_revision(conn, look_first=True)
        if revision != HEAD:
            raise mismatch(db.direct(settings.direct_database_url), revision)
        _require_admin(conn)
        yield conn


def _require_admin(conn: Connection) -> None:
    from todo_cli.db.migrate import require_owner

    require_owner(conn, "manages members")


def _execute(conn: Connection, statement: sql.Composable) -> None:
    """A statement naming roles, composed with identifiers quoted by psycopg.

    It goes to the driver directly, on the command's own transaction: it never
    passes through SQLAlchemy's statement log, which --debug shows.
    """
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(statement)


def _ensure_group(conn: Connection) -> bool:
    """The group role, made NOLOGIN if missing; True when made now."""
    from psycopg import sql
    from sqlalchemy import text

    row = conn.execute(
        text(
            f"WITH strong AS ({_STRONG_ROLES}) "
            "SELECT r.rolcanlogin, EXISTS (SELECT 1 FROM strong s "
            "  WHERE pg_catalog.pg_has_role(r.oid, s.oid, 'MEMBER')) AS bypasses "
            "FROM pg_catalog.pg_roles r WHERE r.rolname = :name"
        ),
        {"name": GROUP_ROLE, "neon": _neon_oid(conn)},
    ).first()
    if row is not None:
        if row.rolcanlogin or row.bypasses:
            raise DatabaseError(
                f"the role {GROUP_ROLE} exists and can log in or bypass row security "
                "(itself or through a role it is a member of), so todo will not grant "
                "through it",
                hint=f"ALTER ROLE {GROUP_ROLE} NOLOGIN NOBYPASSRLS NOSUPERUSER, or drop it",
            )
        return False
    _require_createrole(conn)
    _execute(conn, sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(GROUP_ROLE)))
    return True


def _require_createrole(conn: Connection, doing: str = "making login roles") -> None:
    """Refuse, naming the privilege, what PostgreSQL would refuse with a bare
    "permission denied" (ALTER ROLE ... PASSWORD, DROP ROLE) for want of CREATEROLE."""
    from sqlalchemy import text

    if not _may_create_roles(conn):
        me = conn.execute(text("SELECT current_user::text")).scalar_one()
        lacking, also = "CREATEROLE", ""
        if doing == "making login roles" and not any(
            found.name == me and {"superuser", "BYPASSRLS"} & set(found.reasons)
            for found in bypassing_roles(conn)
        ):
            # A grant needs both: said at once, not the other after this one is given.
            lacking, also = "CREATEROLE BYPASSRLS", " (nor does it bypass row security: BYPASSRLS)"
        raise DatabaseError(
            f"refused: {doing} needs CREATEROLE, which this admin role lacks{also}; "
            "nothing was changed",
            hint=f"as a superuser: ALTER ROLE {_role_name(me)} {lacking} (on Neon, console "
            "roles have it)",
        )


def _may_create_roles(conn: Connection) -> bool:
    from sqlalchemy import text

    # Neon's console roles create roles through their membership of neon_superuser.
    return bool(
        conn.execute(
            text(
                "SELECT rolcreaterole OR rolsuper OR coalesce(pg_catalog.pg_has_role("
                "current_user, (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = :neon), "
                "'MEMBER'), false) FROM pg_catalog.pg_roles WHERE rolname = current_user"
            ),
            {"neon": NEON_BYPASS_ROLE},
        ).scalar()
    )


def _role_name(name: str) -> str:
    """A role's name as SQL takes it: quoted unless it is a plain lower-case word."""
    import re

    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def grants() -> list[str]:
    """Exactly the privileges todo's commands need, from the live table definitions.

    UPDATE is granted column by column: the counters of users (never lowered:
    a trigger refuses it), the undo marks of operations, and every non-key
    column of the tables undo sets back, because undo sets back all of them
    (messages too: their immutability trigger refuses any real change).
    """
    from todo_cli.db import journal_ddl
    from todo_cli.db.schema import metadata

    group = GROUP_ROLE
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {group}",
        f"GRANT SELECT ON alembic_version TO {group}",
        f"GRANT SELECT, INSERT ON users TO {group}",
        f"GRANT UPDATE (task_counter, conversation_counter, operation_counter) ON users TO {group}",
        f"GRANT SELECT, INSERT, DELETE ON operations TO {group}",
        f"GRANT UPDATE (undoes, undone_by, open) ON operations TO {group}",
        f"GRANT SELECT ON journal TO {group}",
    ]
    for table, key in journal_ddl.JOURNALED.items():
        statements.append(f"GRANT SELECT, INSERT, DELETE ON {table} TO {group}")
        settable = [c.name for c in metadata.tables[table].columns if c.name not in key]
        if settable:
            statements.append(f"GRANT UPDATE ({', '.join(settable)}) ON {table} TO {group}")
    return statements


def _schema_create_holders(conn: Connection) -> list[str]:
    """Who besides the schema's owner may create objects in it (PUBLIC included)."""
    from sqlalchemy import text

    rows = conn.execute(
        text(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END "
            "FROM pg_catalog.pg_namespace n, aclexplode(n.nspacl) a "
            "WHERE n.nspname = 'public' AND a.privilege_type = 'CREATE' "
            "AND a.grantee <> n.nspowner"
        )
    ).scalars()
    return list(rows)


def _close_schema(conn: Connection) -> bool:
    """No member may create objects in the schema; True when PUBLIC's CREATE was revoked here.

    An object a member makes in public (a `lower(varchar)`, say) would be
    picked by other members' queries before pg_catalog's and run as them.
    PostgreSQL 15 and later grant nothing there by default; older ones grant
    PUBLIC CREATE, which only the schema's owner can take back.
    """
    from sqlalchemy import text

    holders = _schema_create_holders(conn)
    revoked = False
    if "PUBLIC" in holders:
        owns = conn.execute(
            text(
                "SELECT pg_catalog.pg_has_role(current_user, nspowner, 'USAGE') "
                "FROM pg_catalog.pg_namespace WHERE nspname = 'public'"
            )
        ).scalar()
        if owns:
            conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
            holders.remove("PUBLIC")
            revoked = True
    open_to_members = [name for name in holders if name in ("PUBLIC", GROUP_ROLE)]
    if open_to_members:
        raise DatabaseError(
            f"{' and '.join(open_to_members)} may create objects in schema public, and so "
            "could every member; isolation needs that closed",
            hint="as the schema's owner or a superuser: REVOKE CREATE ON SCHEMA public FROM "
            + ", ".join(open_to_members),
        )
    return revoked


def _close_temp(conn: Connection) -> tuple[bool, bool]:
    """Members create no temporary objects: (revoked now, still allowed).

    Only the database's owner can take TEMPORARY from PUBLIC. Where the admin
    is not, it stays, and is harmless to other members: temporary objects live
    in the session that made them, and todo's functions search pg_temp last.
    """
    from sqlalchemy import text

    row = conn.execute(
        text(
            "SELECT pg_catalog.pg_has_role(current_user, d.datdba, 'USAGE') AS owns, "
            "EXISTS (SELECT 1 FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a "
            "        WHERE a.grantee = 0 AND a.privilege_type = 'TEMPORARY') AS public_temp "
            "FROM pg_catalog.pg_database d WHERE d.datname = current_database()"
        )
    ).one()
    if not row.public_temp:
        return False, False
    if not row.owns:
        return False, True
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    from psycopg import sql

    _execute(
        conn,
        sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)),
    )
    return True, False


def _check_bypass(conn: Connection) -> None:
    """The admin, and the owner of the journal's definer functions, must bypass row security.

    With FORCE, the tables' owner is held to the policies unless it is a
    superuser or has BYPASSRLS: its own commands would see nothing, and the
    journal's triggers, which run as that owner, could write nothing.
    """
    from sqlalchemy import text

    active = conn.execute(text("SELECT row_security_active('public.tasks')")).scalar()
    me = conn.execute(text("SELECT current_user::text")).scalar_one()
    if active:
        # Said at once, and not after BYPASSRLS is given: the other privilege a grant
        # needs (making the member's login role), where it is missing too.
        lacking = "BYPASSRLS" if _may_create_roles(conn) else "BYPASSRLS CREATEROLE"
        also = "" if lacking == "BYPASSRLS" else " (nor may it make roles: CREATEROLE)"
        raise DatabaseError(
            f"refused: {me} owns the tables but does not bypass row-level security, so with "
            f"isolation on it would see no rows and the journal could not be written{also}",
            hint=f"as a superuser: ALTER ROLE {_role_name(me)} {lacking}; nothing was changed",
        )
    owner = conn.execute(
        text(
            "SELECT p.proowner::regrole::text AS owner "
            "FROM pg_catalog.pg_proc p WHERE p.oid = 'public.todo_journal()'::regprocedure"
        )
    ).one()
    # Its own attributes: a definer function runs with the owner's, and neither owning
    # the tables nor being a member of a role that bypasses makes row security let go.
    bypassing = {
        found.name
        for found in bypassing_roles(conn)
        if {"superuser", "BYPASSRLS"} & set(found.reasons)
    }
    if owner.owner != me and owner.owner not in bypassing:
        raise DatabaseError(
            f"refused: the journal's functions belong to {owner.owner}, which does not bypass "
            "row-level security",
            hint=f"as a superuser: ALTER ROLE {owner.owner} BYPASSRLS; nothing was changed",
        )


def _isolate(conn: Connection) -> Isolation:
    from sqlalchemy import text

    group_created = _ensure_group(conn)
    schema_revoked = _close_schema(conn)
    temp_revoked, temp_left = _close_temp(conn)
    turned_on = mode(conn) != "database-enforced"
    # Row security first, grants after: at no moment do members hold a grant
    # on a table that shows them everyone's rows.
    for table in ISOLATED_TABLES:
        conn.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
        conn.execute(text(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY"))
    _check_bypass(conn)
    conn.execute(text(_REVOKE_ALL))
    for statement in grants():
        conn.execute(text(statement))
    return Isolation(
        group_created=group_created,
        turned_on=turned_on,
        schema_create_revoked=schema_revoked,
        temp_revoked=temp_revoked,
        temp_left=temp_left,
        bypass=bypassing_roles(conn),
    )


def isolate(settings: Settings) -> Isolation:
    """Turn isolation on (or re-apply its grants after an upgrade): row security, group, grants."""
    with _admin_connection(settings) as conn:
        return _isolate(conn)


def unisolate(settings: Settings) -> list[str]:
    """Turn isolation off: members lose every grant first, then row security goes.

    Returns the members, who can no longer use the database at all: without
    row security a grant would show them every row.
    """
    from sqlalchemy import text

    with _admin_connection(settings) as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :name"), {"name": GROUP_ROLE}
        ).first()
        if exists:
            conn.execute(text(_REVOKE_ALL))
            conn.execute(text(f"REVOKE ALL ON SCHEMA public FROM {GROUP_ROLE}"))
        for table in ISOLATED_TABLES:
            conn.execute(text(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"))
            conn.execute(text(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"))
        # Members of this database: a member role of another database on the server
        # lost nothing here (told to revoke it, the admin would cut it off there).
        return [member.name for member in _members(conn) if member.enrolled] if exists else []


# Whether users row `u` is a member's here: granted here, to the very role of its
# name (revision 0017: a role made again with a dropped member's name is not it).
# (coalesce: with no role of the name, dropped or renamed outside todo, the comparison
# is NULL, and `NOT` of it left those rows out of `db members`' "held by no member".)
_HELD = (
    "coalesce(u.granted AND u.role_oid = "
    "(SELECT r.oid::bigint FROM pg_catalog.pg_roles r WHERE r.rolname = u.name), false)"
)
# The oid of the role :name, as users.role_oid keeps it.
# (A parameter of its own: one used as a users.name value and as a role name both
# is given two types, which PostgreSQL refuses.)
_ROLE_OID = "(SELECT oid::bigint FROM pg_catalog.pg_roles WHERE rolname = :role_name)"


def _role(conn: Connection, name: str) -> Any:
    """The role NAME: whether it can log in, is a member already, and what it may
    become that no policy holds (``bypasses``: itself, or a role it is a member of)."""
    from sqlalchemy import text

    return conn.execute(
        text(
            f"WITH strong AS ({_STRONG_ROLES}) "
            "SELECT r.oid, r.rolcanlogin, "
            "(SELECT s.rolname FROM strong s "
            " WHERE pg_catalog.pg_has_role(r.oid, s.oid, 'MEMBER') "
            " ORDER BY s.oid = r.oid DESC, s.rolname LIMIT 1) AS bypasses, "
            "EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m "
            "        JOIN pg_catalog.pg_roles g ON g.oid = m.roleid "
            "        WHERE g.rolname = :group AND m.member = r.oid) AS member "
            "FROM pg_catalog.pg_roles r WHERE r.rolname = :name"
        ),
        {"name": name, "group": GROUP_ROLE, "neon": _neon_oid(conn)},
    ).first()


def _task_count(conn: Connection, name: str) -> int | None:
    from sqlalchemy import text

    row = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM tasks t WHERE t.user_id = u.id) AS tasks "
            "FROM users u WHERE u.name = :name"
        ),
        {"name": name},
    ).first()
    return None if row is None else int(row.tasks)


def _granted_here(conn: Connection, name: str) -> bool:
    from sqlalchemy import text

    found = conn.execute(
        text(f"SELECT {_HELD} FROM users u WHERE u.name = :name"), {"name": name}
    ).scalar_one_or_none()
    return bool(found)


def grant(
    settings: Settings,
    name: str,
    *,
    password: str | None,
    adopt: bool,
    existing_role: bool,
    connection_limit: int | None = None,
    hand_out: Callable[[Granted], None] | None = None,
) -> Granted:
    """Make NAME a member: a login role in the group, and their users row.

    The first grant turns isolation on. Returns the member's URL when a
    password was set (a new role); an existing role keeps its password.
    ``hand_out`` shows the result before the commit: the URL is the only copy
    of the password, so when it cannot be written nothing is granted.
    """
    from psycopg import sql
    from sqlalchemy import text

    from todo_cli.db.url import parse_url
    from todo_cli.redact import remember

    name = validate_role_name(name)
    with _admin_connection(settings) as conn:
        me = conn.execute(text("SELECT current_user::text")).scalar_one()
        if name == me:
            raise InvalidInput(f"{name} is the admin role itself", hint="grant another name")
        known = _role(conn, name)
        if known is not None and known.member and _granted_here(conn, name):
            raise InvalidInput(
                f"{name} is a member of this database already; nothing was changed",
                hint=f"`todo db rotate {name}` sets a new password; see `todo db members`",
            )
        isolation = _isolate(conn)
        adopted = _task_count(conn, name)
        if adopted is not None and not adopt:
            raise InvalidInput(
                f"this database already has a user named {name!r} "
                f"({adopted} task{'s' if adopted != 1 else ''}); nothing was changed",
                hint=f"pass --adopt to give that user's rows to the new login {name}",
            )
        role = _role(conn, name)
        url = None
        if role is None and existing_role:
            # A typo in an existing role's name made a new login role, server-wide,
            # and handed out its password.
            raise NotFound(
                f"no role named {name!r} on this server; nothing was changed",
                hint="leave --existing-role out to make a new login role",
            )
        if role is None:
            _require_createrole(conn)
            chosen = password if password is not None else generate_password()
            verifier = scram_verifier(chosen)
            remember(verifier)
            _execute(
                conn,
                sql.SQL(
                    "CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    "NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT {limit} "
                    "PASSWORD {verifier} IN ROLE {group}"
                ).format(
                    name=sql.Identifier(name),
                    limit=sql.Literal(connection_limit or DEFAULT_CONNECTION_LIMIT),
                    verifier=sql.Literal(verifier),
                    group=sql.Identifier(GROUP_ROLE),
                ),
            )
            url = member_url(
                parse_url(settings.database_url, settings.database_source), name, chosen
            )
        else:
            if not existing_role and role.bypasses is not None:
                # --existing-role would be refused too: no hint towards it.
                raise InvalidInput(
                    f"a role named {name!r} exists on this server already, and it cannot "
                    f"be a member ({_why_not_a_member(conn, name, role.bypasses)}); "
                    "nothing was changed",
                    hint="choose another name",
                )
            if not existing_role:
                raise InvalidInput(
                    f"a role named {name!r} exists on this server already; nothing was changed",
                    hint="pass --existing-role to make that login a member here (its password "
                    f"stays; `todo db rotate {name}` sets a new one), or choose another name",
                )
            if password is not None:
                raise InvalidInput(
                    "--password-stdin sets a new role's password; an existing role keeps its own",
                    hint=f"use `todo db rotate {name} --password-stdin`",
                )
            if role.bypasses == name:
                reasons = next((b.reasons for b in bypassing_roles(conn) if b.name == name), ())
                raise InvalidInput(
                    f"{name} cannot be a member: no policy holds it "
                    f"({'; '.join(reasons) or 'it bypasses row security'})",
                    hint="grant a role without those attributes",
                )
            if role.bypasses in SERVER_ACCESS_ROLES:
                raise InvalidInput(
                    f"{name} cannot be a member: it is a member of {role.bypasses} "
                    f"({_SERVER_REACH})",
                    hint=f"end {name}'s membership in {role.bypasses} (REVOKE it, or the role "
                    "through which it has it), or grant another role",
                )
            if role.bypasses is not None:
                raise InvalidInput(
                    f"{name} may SET ROLE {role.bypasses}, which no policy holds "
                    "(a superuser, BYPASSRLS, CREATEROLE, the tables' owner, a creator of "
                    "functions in schema public or of schemas in this database): as a member "
                    "it would see everyone's rows",
                    hint=f"end {name}'s membership in {role.bypasses} (REVOKE it, or the role "
                    "through which it has it), or grant another role",
                )
            if not role.member:
                _execute(
                    conn,
                    sql.SQL("GRANT {} TO {}").format(
                        sql.Identifier(GROUP_ROLE), sql.Identifier(name)
                    ),
                )
            if connection_limit is not None:
                # Asked for: set, not left as it was in silence.
                _require_createrole(conn)
                _execute(
                    conn,
                    sql.SQL("ALTER ROLE {} CONNECTION LIMIT {}").format(
                        sql.Identifier(name), sql.Literal(connection_limit)
                    ),
                )
        if adopted is None:
            from uuid import uuid4

            conn.execute(
                text(
                    "INSERT INTO users (id, name, created_at, task_counter, "
                    "conversation_counter, operation_counter, granted, role_oid) "
                    f"VALUES (:id, :name, now(), 0, 0, 0, true, {_ROLE_OID})"
                ),
                {"id": uuid4(), "name": name, "role_name": name},
            )
        else:
            # Only now is the row theirs: a login of the same name that nobody
            # granted here (a member of another database) was shown nothing of it.
            conn.execute(
                text(f"UPDATE users SET granted = true, role_oid = {_ROLE_OID} WHERE name = :name"),
                {"name": name, "role_name": name},
            )
        _note_database(conn, name, add=True)
        granted = Granted(name, url, role is None, adopted, isolation)
        if hand_out is not None:
            hand_out(granted)
        return granted


# A member role's comment names the databases that granted it (their oids, JSON:
# a database renamed is the same one, one dropped is gone), so that a revoke in
# one of them leaves the login to the others: roles are server-wide, and one
# database cannot see another's users.
_DATABASES_NOTE = "todo member of databases "


def _role_note(conn: Connection, name: str) -> tuple[bool, list[int] | None]:
    """Whether the role has a comment, and the databases (oids) it says granted the
    role; None when it says nothing of them (a role granted before todo kept the
    note, or one with a comment of someone else's)."""
    from sqlalchemy import text

    note = conn.execute(
        text(
            "SELECT pg_catalog.shobj_description(oid, 'pg_authid') "
            "FROM pg_catalog.pg_roles WHERE rolname = :name"
        ),
        {"name": name},
    ).scalar_one_or_none()
    if not isinstance(note, str) or not note.startswith(_DATABASES_NOTE):
        return note is not None, None
    try:
        found = json.loads(note.removeprefix(_DATABASES_NOTE))
    except ValueError:
        return True, None
    if not isinstance(found, list) or not all(type(d) is int for d in found):
        return True, None
    return True, found


def _granted_by_gone_databases(conn: Connection, name: str) -> bool:
    """Whether every database the role's note says granted it is gone (dropped):
    then no database's admin could revoke it, and the login stayed a member role
    of the server for good, able to connect to every todo database on it. Any
    todo database's admin may drop it then."""
    from sqlalchemy import text

    _, known = _role_note(conn, name)
    if not known:
        return False  # no note of todo's: whose it is cannot be told
    left = conn.execute(
        text("SELECT count(*) FROM pg_catalog.pg_database WHERE oid::bigint = ANY(:oids)"),
        {"oids": known},
    ).scalar_one()
    return int(left) == 0


def _noted_here(conn: Connection, name: str) -> bool:
    """Whether the role's note says this database granted it: a member whose users
    row went with the tables (`db downgrade base`, then `db upgrade`) is still this
    database's to revoke, which no other database's admin could do."""
    from sqlalchemy import text

    _, known = _role_note(conn, name)
    if not known:
        return False
    here = conn.execute(
        text("SELECT oid::bigint FROM pg_catalog.pg_database WHERE datname = current_database()")
    ).scalar_one()
    return int(here) in known


def _note_database(conn: Connection, name: str, *, add: bool) -> list[str]:
    """Add this database to the role's note (grant), or take it out (revoke); returns
    the names of the other databases it names that still exist. A comment of
    someone else's is left as it is, and so is the note when this admin may not
    write it (no CREATEROLE): a revoke then drops the role, as it did before the
    note was kept."""
    from psycopg import sql
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    commented, known = _role_note(conn, name)
    if known is None:
        if commented or not add:
            return []
        known = []
    # This database, and those of the note that still exist (one query).
    found = conn.execute(
        text(
            "SELECT oid::bigint, datname::text, datname = current_database() "
            "FROM pg_catalog.pg_database "
            "WHERE oid::bigint = ANY(:oids) OR datname = current_database()"
        ),
        {"oids": known},
    ).all()
    here = next(oid for oid, _, current in found if current)
    existing = {oid: datname for oid, datname, _ in found}
    others = [oid for oid in known if oid != here and oid in existing]
    wanted = [*others, here] if add else others
    if wanted != known and wanted:
        savepoint = conn.begin_nested()
        try:
            _execute(
                conn,
                sql.SQL("COMMENT ON ROLE {} IS {}").format(
                    sql.Identifier(name), sql.Literal(_DATABASES_NOTE + json.dumps(wanted))
                ),
            )
        except DBAPIError:
            savepoint.rollback()
        else:
            savepoint.commit()
    return [existing[oid] for oid in others]


def _why_not_a_member(conn: Connection, name: str, bypasses: str) -> str:
    """Why no policy would hold the role: its own attributes, or a role it may become."""
    if bypasses in SERVER_ACCESS_ROLES:
        return f"it is a member of {bypasses}: {_SERVER_REACH}"
    if bypasses != name:
        return f"it may SET ROLE {bypasses}, which no policy holds"
    reasons = next((b.reasons for b in bypassing_roles(conn) if b.name == name), ())
    return "; ".join(reasons) or "it bypasses row security"


def _require_member(conn: Connection, name: str) -> Any:
    role = _role(conn, name)
    if role is None:
        raise NotFound(f"no role named {name!r} on this server", hint="see `todo db members`")
    if not role.member:
        raise InvalidInput(
            f"{name!r} is a role but no todo member (not in {GROUP_ROLE}); todo leaves it alone",
            hint="see `todo db members`",
        )
    return role


def rotate(
    settings: Settings,
    name: str,
    *,
    password: str | None,
    hand_out: Callable[[str], None] | None = None,
) -> Rotated:
    """A new password for a member; the old one stops working. Returns their URL,
    and how many of the role's sessions were ended.

    ``hand_out`` shows the URL before the commit: when it cannot be written the
    old password stays (a new one nobody saw would lock the member out).
    """
    from psycopg import sql

    from todo_cli.db.url import parse_url
    from todo_cli.redact import remember

    name = validate_role_name(name)
    with _admin_connection(settings) as conn:
        _require_member(conn, name)
        if not _granted_here(conn, name):
            # The password is the role's, server-wide: changing it here locked the
            # member of another database out, and handed a URL no member here can use.
            raise InvalidInput(
                f"{name} is no member of this database, and its role is a todo member "
                "role of the server (of another database, or none): a new password "
                "would change its login everywhere; nothing was changed",
                hint=f"rotate it with the URL of the database that granted it, or "
                f"`todo db grant {name} --existing-role` here first",
            )
        _require_createrole(conn, "a new password for a member")
        chosen = password if password is not None else generate_password()
        verifier = scram_verifier(chosen)
        remember(verifier)
        _execute(
            conn,
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(verifier)
            ),
        )
        url = member_url(parse_url(settings.database_url, settings.database_source), name, chosen)
        if hand_out is not None:
            hand_out(url)
    # Once the new password is committed: a session ended before that could log in
    # again at once with the old one, and stay.
    with _admin_connection(settings) as conn:
        return Rotated(url, *_end_sessions(conn, name))


@dataclass(frozen=True)
class Rotated:
    url: str
    # The role's sessions open at the rotation, and how many of them were ended
    # (None: this admin may not end them).
    open_sessions: int
    ended: int | None


def _end_sessions(conn: Connection, name: str) -> tuple[int, int | None]:
    """End the role's open sessions, on every database of the server: a password is
    rotated because it leaked, and a session opened with it went on reading and
    writing. Returns how many were open, and how many were ended (None: not allowed).

    Ending another role's session needs its privileges (or pg_signal_backend),
    which the admin, making roles with CREATEROLE, may give itself: for this
    transaction alone, taken back before the commit. (An admin that has them
    already keeps its membership as it was.)
    """
    from psycopg import sql
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    others = (
        "FROM pg_catalog.pg_stat_activity WHERE usename = :name "
        "AND pid <> pg_catalog.pg_backend_pid()"
    )
    opened = int(conn.execute(text(f"SELECT count(*) {others}"), {"name": name}).scalar_one())
    if not opened:
        return 0, 0
    borrowed = not conn.execute(
        text("SELECT pg_catalog.pg_has_role(current_user, :name, 'USAGE')"), {"name": name}
    ).scalar_one()
    savepoint = conn.begin_nested()
    try:
        if borrowed:
            _execute(conn, sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(name)))
        ended = conn.execute(
            text(f"SELECT count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(pid)) {others}"),
            {"name": name},
        ).scalar_one()
        if borrowed:
            _execute(conn, sql.SQL("REVOKE {} FROM CURRENT_USER").format(sql.Identifier(name)))
    except DBAPIError:
        savepoint.rollback()
        return opened, None
    savepoint.commit()
    return opened, int(ended)


def revoke(
    settings: Settings,
    name: str,
    *,
    purge: bool,
    confirm: Callable[[int, int], bool],
) -> Revoked:
    """Drop a member's role; with `purge`, delete their rows too (after `confirm`).

    Roles are server-wide: the login goes for every database on the server. A
    session it still holds fails from its next statement on (its session_user
    names no role any more), so it can see nothing after the commit.
    """
    from psycopg import sql
    from sqlalchemy import text

    from todo_cli.errors import Declined

    name = validate_role_name(name)
    with _admin_connection(settings) as conn:
        role = _role(conn, name)
        if role is not None and not role.member and purge:
            # A login of the name that is no todo member (made outside todo, or for
            # something else): not todo's to drop, but the rows of the user named
            # so here go, as `db members` offers ("--purge deletes them"). Refused,
            # they could be deleted by no command.
            if _task_count(conn, name) is None:
                raise NotFound(
                    f"no user named {name!r} in this database, and its role is no todo "
                    "member; nothing was changed",
                    hint="see `todo db members`",
                )
            role = None
        elif role is not None:
            _require_member(conn, name)
            if (
                not _granted_here(conn, name)
                and not _granted_by_gone_databases(conn, name)
                and not _noted_here(conn, name)
            ):
                # The role is server-wide: dropping it cut off the member of another
                # database of the server, whose rows there stayed granted to the name
                # (and so to the next role of that name, before revision 0017). With
                # --purge the rows of the user named so here go, and the role stays.
                if not purge:
                    raise InvalidInput(
                        f"{name} is no member of this database, and its role is a todo "
                        "member role of the server (of another database, or none): "
                        "revoking here would drop it everywhere; nothing was changed",
                        hint=f"revoke it with the URL of the database that granted it; "
                        f"`todo db revoke {name} --purge` deletes the rows of the user "
                        "named so here, and leaves the role",
                    )
                if _task_count(conn, name) is None:
                    raise NotFound(
                        f"no user named {name!r} in this database, and its role is no "
                        "member here; nothing was changed",
                        hint="see `todo db members`",
                    )
                role = None  # not this database's to drop
        elif not purge or _task_count(conn, name) is None:
            raise NotFound(f"no role named {name!r} on this server", hint="see `todo db members`")
        kept_for: list[str] = []
        if role is not None:
            # Granted by other databases of the server too: the login stays theirs.
            kept_for = _note_database(conn, name, add=False)
            if kept_for:
                role = None
        if role is not None:
            _require_createrole(conn, "dropping a member's role")
        tasks = conversations = None
        if purge:
            counts = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM tasks t WHERE t.user_id = u.id), "
                    "(SELECT count(*) FROM conversations c WHERE c.user_id = u.id) "
                    "FROM users u WHERE u.name = :name"
                ),
                {"name": name},
            ).first()
            tasks, conversations = (int(counts[0]), int(counts[1])) if counts else (0, 0)
            if not confirm(tasks, conversations):
                raise Declined("nothing was changed")
            # The cascade from users takes their tasks, conversations and
            # operations (with their journal). The journal this very purge
            # writes would keep an image of every deleted row: it goes too.
            # So do the images of their rows that changes made outside todo
            # (psql, as the admin) left: those operations are no user's, and
            # kept the member's tasks after the purge, seen by no one.
            conn.execute(text(_PURGE_OUTSIDE_IMAGES), {"name": name})
            conn.execute(
                text(
                    "DELETE FROM operations o WHERE o.user_id IS NULL AND NOT EXISTS "
                    "(SELECT 1 FROM journal j WHERE j.operation_id = o.id)"
                )
            )
            conn.execute(text("DELETE FROM users WHERE name = :name"), {"name": name})
            conn.execute(text("DELETE FROM operations WHERE txid = txid_current()"))
        if not purge:
            # Kept rows stay nobody's: a login made later with this name, here or
            # for another database of the server, is not given them (--adopt is).
            conn.execute(
                text("UPDATE users SET granted = false, role_oid = NULL WHERE name = :name"),
                {"name": name},
            )
        if role is not None:
            _execute(conn, sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
        return Revoked(name, role is not None, tasks, conversations, kept_for)


# The journal rows of changes made outside todo (operations of no user) to one
# user's rows, by the images they hold: tasks and conversations by their user,
# the rows under them by their task or conversation (that user's now, or in an
# image of it); then such operations left with no rows.
_PURGE_OUTSIDE_IMAGES: Final = """
WITH her AS (SELECT id::text AS id FROM users WHERE name = :name),
outside AS (
    SELECT j.id, j.table_name, coalesce(j.after, j.before) AS image
    FROM journal j JOIN operations o ON o.id = j.operation_id
    WHERE o.user_id IS NULL
),
owned AS (
    SELECT id, table_name, image FROM outside
    WHERE table_name IN ('tasks', 'conversations') AND image->>'user_id' IN (SELECT id FROM her)
),
her_tasks AS (
    SELECT id::text AS id FROM tasks WHERE user_id::text IN (SELECT id FROM her)
    UNION SELECT image->>'id' FROM owned WHERE table_name = 'tasks'
),
her_conversations AS (
    SELECT id::text AS id FROM conversations WHERE user_id::text IN (SELECT id FROM her)
    UNION SELECT image->>'id' FROM owned WHERE table_name = 'conversations'
),
gone AS (
    SELECT id FROM owned
    UNION SELECT id FROM outside
    WHERE (table_name IN ('task_tags', 'task_notes', 'task_dependencies')
           AND image->>'task_id' IN (SELECT id FROM her_tasks))
       OR (table_name = 'task_dependencies'
           AND image->>'depends_on_id' IN (SELECT id FROM her_tasks))
       OR (table_name = 'messages'
           AND image->>'conversation_id' IN (SELECT id FROM her_conversations))
)
DELETE FROM journal WHERE id IN (SELECT id FROM gone)
"""


def _members(conn: Connection) -> list[Member]:
    from sqlalchemy import text

    bypass = {b.name for b in bypassing_roles(conn)}
    rows = conn.execute(
        text(
            "SELECT r.rolname AS name, r.rolcanlogin, r.rolconnlimit, "
            "u.id IS NOT NULL AS enrolled, "
            "(SELECT count(*) FROM tasks t WHERE t.user_id = u.id) AS tasks, "
            "(SELECT count(*) FROM conversations c WHERE c.user_id = u.id) AS conversations, "
            "(SELECT max(o.created_at) FROM operations o WHERE o.user_id = u.id) AS last_activity "
            "FROM pg_catalog.pg_auth_members m "
            "JOIN pg_catalog.pg_roles g ON g.oid = m.roleid AND g.rolname = :group "
            "JOIN pg_catalog.pg_roles r ON r.oid = m.member "
            "LEFT JOIN users u ON u.name = r.rolname::text AND u.granted "
            "AND u.role_oid = r.oid::bigint "
            "ORDER BY r.rolname"
        ),
        {"group": GROUP_ROLE},
    )
    return [
        Member(
            name=row.name,
            tasks=int(row.tasks),
            conversations=int(row.conversations),
            last_activity=row.last_activity,
            bypasses_rls=row.name in bypass,
            can_login=bool(row.rolcanlogin),
            connection_limit=int(row.rolconnlimit),
            enrolled=bool(row.enrolled),
        )
        for row in rows
    ]


def locked_out(settings: Settings) -> int:
    """How many members the database keeps out: isolation is off (a downgrade below
    the revision that brought it took it off, and an upgrade does not turn it back
    on), so the tables hold no member's grants. 0 off PostgreSQL."""
    from sqlalchemy import text

    from todo_cli.db.migrate import migration_connection
    from todo_cli.db.url import parse_url

    if parse_url(settings.database_url, settings.database_source).backend != "postgresql":
        return 0
    with migration_connection(settings, writes=False) as conn:
        if mode(conn) == "database-enforced":
            return 0
        if conn.execute(text("SELECT to_regclass('public.users') IS NULL")).scalar():
            return 0  # no todo tables at all (base): no user of this database is left
        # The group is the cluster's: its members that are users of this database,
        # granted here where the schema says so (0014 on): a member of another todo
        # database of the server is no member of this one, whatever the names.
        granted = conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute "
                "WHERE attrelid = 'public.users'::pg_catalog.regclass "
                "AND attname = 'granted' AND NOT attisdropped)"
            )
        ).scalar()
        found = conn.execute(
            text(
                "SELECT count(*) FROM pg_catalog.pg_auth_members m "
                "JOIN pg_catalog.pg_roles g ON g.oid = m.roleid AND g.rolname = :group "
                "JOIN pg_catalog.pg_roles r ON r.oid = m.member "
                "WHERE EXISTS (SELECT 1 FROM public.users u WHERE u.name = r.rolname::text"
                + (" AND u.granted" if granted else "")
                + ")"
            ),
            {"group": GROUP_ROLE},
        ).scalar()
        return int(found or 0)


def members(settings: Settings) -> tuple[list[Member], list[Kept]]:
    """The members, and the users here that hold rows but are no member (see Kept)."""
    with _admin_connection(settings) as conn:
        return _members(conn), _kept(conn)


def _kept(conn: Connection) -> list[Kept]:
    """Users rows granted to nobody that hold tasks or conversations: a revoked
    member's (without --purge), or one the admin made with `--user`. No login
    sees them, so `db members` lists no one for them; the admin still decides
    (`grant --adopt`, `revoke --purge`). Without isolation every user is one of
    these, and none is kept from anyone: nothing to say."""
    from sqlalchemy import text

    if mode(conn) != "database-enforced":
        return []
    rows = conn.execute(
        text(
            "SELECT name, tasks, conversations FROM ("
            "SELECT u.name, "
            "(SELECT count(*) FROM tasks t WHERE t.user_id = u.id) AS tasks, "
            "(SELECT count(*) FROM conversations c WHERE c.user_id = u.id) AS conversations "
            f"FROM users u WHERE NOT {_HELD}) AS held "
            "WHERE tasks > 0 OR conversations > 0 ORDER BY name"
        )
    )
    return [Kept(row.name, int(row.tasks), int(row.conversations)) for row in rows]


__all__ = [
    "DEFAULT_CONNECTION_LIMIT",
    "GROUP_ROLE",
    "Bypass",
    "Granted",
    "Isolation",
    "Member",
    "Revoked",
    "State",
    "acting_user",
    "bypassing_roles",
    "grant",
    "isolate",
    "locked_out",
    "members",
    "mode",
    "read_state",
    "revoke",
    "rotate",
    "scram_verifier",
    "unisolate",
]
