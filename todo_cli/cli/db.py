"""`todo db`: schema migrations (Alembic) and database facts."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from todo_cli.cli.app import settings as settings_of
from todo_cli.cli.options import Json, OnceCommand, Yes, ask
from todo_cli.errors import InvalidUsage

if TYPE_CHECKING:
    from todo_cli.settings import Settings

db_app = typer.Typer(
    name="db",
    help="Migrate the schema and inspect the database.\n\n"
    "\b\nExamples:\n"
    "  todo db info\n"
    "  todo db upgrade\n"
    "  todo db upgrade --sql",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Sql = Annotated[bool, typer.Option("--sql", help="Print the SQL instead of running it.")]
From = Annotated[
    str | None,
    typer.Option(
        "--from",
        metavar="REV",
        help="With --sql: the revision to start from (default: the database's).",
    ),
]


@db_app.command(cls=OnceCommand)
def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target: head, an id, or +N.")] = "head",
    sql: Sql = False,
    start: From = None,
    json: Json = False,
) -> None:
    """Upgrade the schema (default: to head), all in one transaction.

    \b
    Examples:
      todo db upgrade
      todo db upgrade --sql --from base > schema.sql
    """
    from todo_cli.db import migrate
    from todo_cli.output import render

    if start is not None and not sql:
        raise InvalidUsage("--from goes with --sql", hint="add --sql, or leave --from out")
    settings = settings_of(ctx)
    if sql:
        _print_sql(
            migrate.offline_sql(settings, direction="upgrade", target=revision, start=start), json
        )
        return
    before, after = migrate.upgrade(settings, revision)
    if json:
        render.write_json({"from": before, "to": after})
    elif before == after:
        render.tell(f"already at {after or 'base'}")
    else:
        render.tell(f"upgraded {before or 'base'} -> {after or 'base'}")
    if before != after:
        _tell_locked_out(settings)


# `todo db downgrade -2`: click reads "-2" as an option; let it through as the target.
@db_app.command(cls=OnceCommand, context_settings={"ignore_unknown_options": True})
def downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target: -N steps, an id, or base.")] = "-1",
    yes: Yes = False,
    sql: Sql = False,
    start: From = None,
    json: Json = False,
) -> None:
    """Downgrade the schema (default: one step), all in one transaction.

    If rows would be lost it says how many, and asks (or needs --yes).

    \b
    Examples:
      todo db downgrade            # one step back
      todo db downgrade -2 --yes   # two steps back
      todo db downgrade base --yes
    """
    from todo_cli.db import migrate
    from todo_cli.output import render

    if revision.startswith("-") and not revision[1:].isdigit():
        # An option mistyped, let through with the steps (see the decorator).
        raise InvalidUsage(f"No such option: {revision}", hint="see `todo db downgrade --help`")
    if start is not None and not sql:
        raise InvalidUsage("--from goes with --sql", hint="add --sql, or leave --from out")
    settings = settings_of(ctx)
    if sql:
        _print_sql(
            migrate.offline_sql(settings, direction="downgrade", target=revision, start=start), json
        )
        return

    def confirm(losses: list[migrate.DataLoss]) -> bool:
        listing = "; ".join(loss.describe() for loss in losses)
        if yes:
            render.tell(f"this downgrade will {listing}")
            return True
        return ask(
            f"this downgrade will {listing}; go ahead?",
            yes,
            unasked=f"this downgrade would {listing}",
        )

    before, after, losses = migrate.downgrade(settings, revision, confirm=confirm, asks=not yes)
    if json:
        render.write_json(
            {
                "from": before,
                "to": after,
                "deleted": [
                    {"table": x.table, "column": x.column, "rows": x.rows}
                    | ({} if x.note is None else {"note": x.note})
                    for x in losses
                ],
            }
        )
    elif before == after:
        render.tell(f"already at {after or 'base'}")
    else:
        render.tell(f"downgraded {before or 'base'} -> {after or 'base'}")
    if before != after:
        _tell_locked_out(settings)


def _tell_locked_out(settings: Settings) -> None:
    """After a migration: say so when members can no longer use the database (a
    rollback drill below isolation turns it off, and nothing else would tell)."""
    from todo_cli.db import members
    from todo_cli.output import render

    count = members.locked_out(settings)
    if count:
        render.tell(
            f"warning: {render.plural(count, 'member')} of this database cannot use it while "
            "isolation is off (run `todo db isolate` at the latest revision to let them back in)"
        )


@db_app.command(cls=OnceCommand)
def current(ctx: typer.Context, json: Json = False) -> None:
    """Print the database's schema revision.

    \b
    Example:
      todo db current
    """
    from todo_cli.db import migrate
    from todo_cli.db.revisions import HEAD, is_newer
    from todo_cli.output import render

    settings = settings_of(ctx)
    _tell_missing_file(settings)
    revision = migrate.current(settings)
    if json:
        render.write_json({"current": revision, "head": HEAD, "newer": is_newer(revision)})
    else:
        # Which way it is off: behind is `todo db upgrade`; newer wants a newer todo
        # (every other command refuses it, exit 4).
        if revision == HEAD:
            mark = " (head)"
        elif is_newer(revision):
            mark = f" (newer than this todo, whose head is {HEAD}: upgrade todo)"
        else:
            mark = f" (head is {HEAD})"
        sys.stdout.write(f"{revision or 'base'}{mark}\n")


@db_app.command(cls=OnceCommand)
def history(ctx: typer.Context, json: Json = False) -> None:
    """List the schema revisions, newest first; > marks the database's.

    \b
    Example:
      todo db history
    """
    from todo_cli.db import migrate
    from todo_cli.errors import TodoError
    from todo_cli.output import render

    unread: TodoError | None = None
    try:
        revisions = migrate.history(settings_of(ctx))
    except TodoError as exc:
        # History is a property of this todo; show it even with no database, and
        # say why none is marked (a script reads "none current" as "at base").
        revisions = migrate.history(None)
        unread = exc
    if json:
        render.write_json(
            [
                {
                    "revision": r.revision,
                    "down_revision": r.down_revision,
                    "description": r.description,
                    "is_head": r.is_head,
                    "is_current": r.is_current,
                }
                for r in revisions
            ]
        )
    else:
        for r in revisions:
            mark = ">" if r.is_current else " "
            head = " (head)" if r.is_head else ""
            sys.stdout.write(f"{mark} {r.revision}  {r.description.splitlines()[0]}{head}\n")
    if unread is not None:
        render.tell(f"warning: no revision is marked as the database's: {unread}")


@db_app.command(cls=OnceCommand)
def info(ctx: typer.Context, json: Json = False) -> None:
    """Show the backend, masked URL, server version, revisions and isolation.

    On PostgreSQL it says whether the database keeps members apart
    (isolation: database-enforced) and which roles bypass that.

    \b
    Example:
      todo db info --json
    """
    from dataclasses import asdict

    from todo_cli.db import migrate
    from todo_cli.output import render

    settings = settings_of(ctx)
    _tell_missing_file(settings)
    facts = migrate.info(settings)
    up_to_date = facts.current_revision == facts.head_revision
    data = asdict(facts) | {
        "user": _acting_user(settings, facts) if up_to_date else _login_user(settings, facts),
        "up_to_date": up_to_date,
    }
    if json:
        render.write_json(data)
        return
    from todo_cli.domain.text import one_line

    width = max(len(key) for key in data)
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(value) if value else None
        # A path or a name is shown as text: an escape in it must not reach the terminal.
        shown = "-" if value is None else one_line(str(value))
        sys.stdout.write(f"{key.ljust(width)}  {shown}\n")


def _print_sql(offline: tuple[str | None, str | None, str], json: bool) -> None:
    from todo_cli.output import render

    before, after, sql = offline
    if json:
        render.write_json({"from": before, "to": after, "sql": sql})
    else:
        sys.stdout.write(sql)


def _tell_missing_file(settings: Settings) -> None:
    """Say so when a SQLite path names no file: a mistyped path reads as 'base'."""
    from todo_cli.db import migrate
    from todo_cli.output import render

    missing = migrate.missing_sqlite_file(settings)
    if missing is not None:
        render.tell(f"note: there is no database at {missing} yet (todo makes it on first use)")


def _login_user(settings: Settings, facts: Any) -> str:
    """Whose tasks, where the schema is not this todo's to read them through: on a
    database whose row security holds its members, the login role (the URL's user)."""
    from todo_cli.db.url import parse_url

    if facts.isolation == "database-enforced":
        login = parse_url(settings.database_url, settings.database_source).url.username
        if login:
            return str(login)
    return settings.user


def _acting_user(settings: Settings, facts: Any) -> str:
    """Whose tasks the commands would show: on an isolated database a member's login
    role, whatever the OS login is; where that cannot be told (a login that is no
    member here), the login all the same, as when the schema is not this todo's; it
    said the OS user ("root"), whose tasks no command there would show."""
    from todo_cli.db.transaction import acting_user, transaction
    from todo_cli.errors import TodoError

    try:
        with transaction(settings, read_only=True) as conn:
            return acting_user(conn)
    except TodoError:
        return _login_user(settings, facts)


# --- members: isolation the database enforces ---------------------------------------

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from stdin (one line) instead of generating one.",
    ),
]


def _password(from_stdin: bool) -> str | None:
    """A chosen password from stdin, or None for a generated one."""
    if not from_stdin:
        return None
    from todo_cli.db.members import check_password

    if sys.stdin.isatty():
        import getpass

        # Typed at a terminal: not echoed, not left on the screen.
        return check_password(getpass.getpass("password: ", stream=sys.stderr))
    line = sys.stdin.readline()
    return check_password(line.removesuffix("\n").removesuffix("\r"))


def _hand_out(name: str, url: str, json: bool, *, undone: str) -> None:
    """The member's URL, once, on stdout: it is the only copy of their password.

    Called before the commit and pushed out at once: when it cannot be written
    (a full disk, a closed stdout, a reader gone before reading it) the error
    rolls the change back, so no password exists that nobody has seen.
    """
    from todo_cli.errors import OutputError
    from todo_cli.output import render

    try:
        if json:
            render.write_json({"name": name, "url": url})
        else:
            sys.stdout.write(url + "\n")
        render.flush_stdout()
    except (OSError, OutputError) as exc:
        render.reader_gone()  # what stays buffered must not fail again at exit
        reason = exc.message if isinstance(exc, OutputError) else "the reader went away"
        raise OutputError(f"{reason}: the URL was not handed out", hint=undone) from None


def _tell_isolation(isolation: Any) -> None:
    from todo_cli.db.members import GROUP_ROLE
    from todo_cli.output import render

    if isolation.group_created:
        render.tell(f"made the group role {GROUP_ROLE} (NOLOGIN): members hold grants through it")
    if isolation.turned_on:
        render.tell("isolation is on: row-level security now keeps members apart")
    if isolation.schema_create_revoked:
        render.tell("revoked CREATE on schema public from PUBLIC")
    if isolation.temp_revoked:
        render.tell(
            "revoked TEMPORARY on this database from PUBLIC "
            "(grant it back to roles that need temporary tables)"
        )
    if isolation.temp_left:
        render.tell(
            "members may still make temporary tables (only the database's owner can revoke "
            "TEMPORARY from PUBLIC); that exposes nothing of other members"
        )
    for name in isolation.schema_writers:
        # Not a role anyone would expect to see everything (the database's owner
        # who is not the admin, a role granted CREATE): said at every grant.
        render.tell(
            f"warning: {name} may create functions in schema public, which members' "
            "queries run, so it can read every member's rows; make the admin own the "
            "schema (ALTER SCHEMA public OWNER TO <admin>) or revoke CREATE on it from "
            f"{name}"
        )
    for name in isolation.schema_makers:
        render.tell(
            f"warning: {name} may create schemas in this database, and a schema named after "
            "a member comes first in that member's queries, so it can read every member's "
            f"rows; revoke CREATE on the database from {name} (REVOKE CREATE ON DATABASE "
            f"... FROM {name}), or make the admin own the database"
        )


@db_app.command(cls=OnceCommand)
def grant(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The member's login name (a new role).")],
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt",
            help="Give the member the existing todo user of that name (its tasks stay theirs).",
        ),
    ] = False,
    existing_role: Annotated[
        bool,
        typer.Option(
            "--existing-role",
            help="NAME is a login role already (e.g. a member of another database on this "
            "server): make it a member here; its password is left as it is.",
        ),
    ] = False,
    password_stdin: PasswordStdin = False,
    connection_limit: Annotated[
        int | None,
        typer.Option(
            "--connection-limit",
            min=1,
            max=1000,
            metavar="N",
            help="Connections the member may hold at once (10 for a new role; an existing "
            "role keeps its own unless this is given).",
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Make NAME a member: a login role that sees only its own rows (admin only).

    The first grant turns isolation on. The member's URL (the admin URL with
    their name and a new 192-bit password) is printed once, on stdout: hand it
    over; todo keeps no copy. The password reaches the server only as a SCRAM
    verifier.

    \b
    Examples:
      todo db grant alice
      todo db grant bob --adopt          # bob used this database before isolation
      printf '%s\\n' "$PW" | todo db grant carol --password-stdin
    """
    from todo_cli.db import members
    from todo_cli.output import render

    def granted(result: members.Granted) -> None:
        _tell_isolation(result.isolation)
        if result.adopted_tasks is not None:
            render.tell(
                f"{name} keeps the existing user and its "
                f"{render.plural(result.adopted_tasks, 'task')}"
            )
        if result.url is not None:
            render.tell(f"granted {name}; their URL follows, shown this once")
            _hand_out(name, result.url, json, undone=f"no role {name} was made")
            return
        render.tell(f"granted {name} (an existing role: its password is unchanged)")
        if json:
            render.write_json({"name": name, "url": None})

    members.grant(
        settings_of(ctx),
        name,
        password=_password(password_stdin),
        adopt=adopt,
        existing_role=existing_role,
        connection_limit=connection_limit,
        hand_out=granted,
    )


@db_app.command(cls=OnceCommand)
def revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The member's login name.")],
    purge: Annotated[
        bool, typer.Option("--purge", help="Delete the member's tasks, chat logs and history too.")
    ] = False,
    yes: Yes = False,
    json: Json = False,
) -> None:
    """Drop a member's login role (admin only); --purge deletes their rows as well.

    Roles belong to the server: the login stops working for every database on
    it, unless another database granted it too (then it stays, theirs). Without
    --purge their rows stay, and `todo db grant NAME --adopt` gives them back.

    \b
    Examples:
      todo db revoke alice
      todo db revoke alice --purge --yes
    """
    from todo_cli.db import members
    from todo_cli.output import render

    def confirm(tasks: int, conversations: int) -> bool:
        what = f"{render.plural(tasks, 'task')} and {render.plural(conversations, 'conversation')}"
        return ask(
            f"delete {name}'s {what} for good?",
            yes,
            unasked=f"purging {name} would delete {what}",
        )

    revoked = members.revoke(settings_of(ctx), name, purge=purge, confirm=confirm)
    if json:
        render.write_json(
            {
                "name": revoked.name,
                "role_dropped": revoked.role_dropped,
                "role_kept_for": revoked.kept_for,
                "purged": None
                if revoked.purged_tasks is None
                else {"tasks": revoked.purged_tasks, "conversations": revoked.purged_conversations},
            }
        )
        return
    if revoked.role_dropped:
        render.tell(f"dropped the role {name}: that login no longer works")
    elif revoked.kept_for:
        render.tell(
            f"{name} is no member here any more; the role stays, granted by "
            f"{'database' if len(revoked.kept_for) == 1 else 'databases'} "
            f"{', '.join(revoked.kept_for)} of this server too"
        )
    if revoked.purged_tasks is not None:
        render.tell(
            f"deleted {name}'s {render.plural(revoked.purged_tasks, 'task')} and "
            f"{render.plural(revoked.purged_conversations or 0, 'conversation')}"
        )


@db_app.command(cls=OnceCommand)
def rotate(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The member's login name.")],
    password_stdin: PasswordStdin = False,
    json: Json = False,
) -> None:
    """Give a member a new password (admin only); the old one stops working.

    Prints their new URL once, on stdout. Sessions opened with the old password
    are ended, on every database of the server.

    \b
    Example:
      todo db rotate alice
    """
    from todo_cli.db import members
    from todo_cli.output import render

    def rotated(url: str) -> None:
        render.tell(f"new password for {name}; their URL follows, shown this once")
        _hand_out(name, url, json, undone=f"{name}'s password is unchanged")

    done = members.rotate(
        settings_of(ctx), name, password=_password(password_stdin), hand_out=rotated
    )
    if done.ended is None:
        render.tell(
            f"warning: sessions of {name} opened with the old password stay open until they "
            f"end ({done.open_sessions:,} now): this admin may not end them (a superuser can: "
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = "
            f"'{name}')"
        )
    elif done.ended:
        render.tell(f"ended {render.plural(done.ended, 'session')} of {name} opened before")


@db_app.command("members", cls=OnceCommand)
def members_(ctx: typer.Context, json: Json = False) -> None:
    """List the members: tasks, last activity, and whether row security holds them (admin only).

    \b
    Example:
      todo db members --json
    """
    from todo_cli.db import members
    from todo_cli.output import render

    settings = settings_of(ctx)
    found, kept = members.members(settings)
    # Row security holds none of them while isolation is off: said beside the list.
    _tell_locked_out(settings)
    if kept:
        from todo_cli.domain.text import one_line

        held = ", ".join(
            f"{one_line(k.name)} ({render.plural(k.tasks, 'task')}, "
            f"{render.plural(k.conversations, 'conversation')})"
            for k in kept
        )
        render.tell(
            f"held by no member here: {held} (`todo db grant NAME --adopt` gives them to a "
            "login of that name; `todo db revoke NAME --purge` deletes them)"
        )
    rows = [
        {
            "name": m.name,
            "tasks": m.tasks,
            "conversations": m.conversations,
            "last_activity": render.rfc3339(m.last_activity),
            "bypasses_rls": m.bypasses_rls,
            "can_login": m.can_login,
            "connection_limit": m.connection_limit,
            "enrolled": m.enrolled,
        }
        for m in found
    ]
    if json:
        render.write_json(rows)
        return
    if not rows:
        render.tell("no members yet (todo db grant NAME makes one)")
        return
    from todo_cli.domain.text import one_line

    for member, row in zip(found, rows, strict=True):
        notes = []
        if row["bypasses_rls"]:
            notes.append("BYPASSES row security")
        if not row["can_login"]:
            notes.append("cannot log in")
        if not row["enrolled"]:
            notes.append("not granted here")
        sys.stdout.write(
            f"{one_line(str(row['name']))}\t{render.plural(member.tasks, 'task')}\t"
            f"{row['last_activity'] or 'never'}" + (f"\t{'; '.join(notes)}" if notes else "") + "\n"
        )


@db_app.command(cls=OnceCommand)
def isolate(
    ctx: typer.Context,
    off: Annotated[
        bool,
        typer.Option(
            "--off",
            help="Turn isolation off: members lose every grant (they can no longer connect to "
            "their rows), and row security goes.",
        ),
    ] = False,
    json: Json = False,
) -> None:
    """Turn database-enforced isolation on, or re-apply its grants after an upgrade (admin only).

    `todo db grant` does this by itself the first time.

    \b
    Examples:
      todo db isolate
      todo db isolate --off
    """
    from todo_cli.db import members
    from todo_cli.output import render

    settings = settings_of(ctx)
    if off:
        cut_off = members.unisolate(settings)
        if json:
            render.write_json({"isolation": "application only", "members_cut_off": cut_off})
            return
        render.tell("isolation is off; the tables hold no member's grants any more")
        if cut_off:
            render.tell(
                f"these members can no longer use this database: {', '.join(cut_off)} "
                "(todo db revoke NAME drops their roles)"
            )
        return
    isolation = members.isolate(settings)
    if json:
        render.write_json(
            {
                "isolation": "database-enforced",
                "bypass_rls": [b.describe() for b in isolation.bypass],
            }
        )
        return
    _tell_isolation(isolation)
    if not isolation.turned_on:
        render.tell("isolation was on already; grants re-applied")
