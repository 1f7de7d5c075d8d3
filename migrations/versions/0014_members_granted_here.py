"""users: a member is whom `todo db grant` made one here, not whoever shares the name

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

Row security showed a session the users row named like its
login. Roles are server-wide: a member granted in one todo database could log
in to another on the same server and be shown the rows of a user of the same
name there, one that database's admin had made (`--user alice`) and never
granted. A users row now says whether it was granted here (``granted``: set by
`todo db grant`, and `--adopt`, cleared by `todo db revoke`), and row security
holds a session to its users row only when it was: a login of another database
is nobody here, whatever the names.

The upgrade takes a users row named like a role of the member group as granted:
that is what a grant made before this revision left. The downgrade drops the
column and puts back revision 0008's function and policies. SQLite gets the
column too (the tables are declared once), always false: nobody to keep apart.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history.
GROUP_ROLE = "todo_member"
COLUMN = "granted"


def _session_user_id(condition: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION public.todo_session_user_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- session_user, not current_user: SET ROLE and SECURITY DEFINER functions
    -- change current_user; only a superuser can change session_user.
    SELECT id FROM public.users WHERE {condition}
$$
"""


def _users_policies(condition: str) -> list[str]:
    return [
        "DROP POLICY todo_users_select ON users",
        "DROP POLICY todo_users_update ON users",
        f"CREATE POLICY todo_users_select ON users AS PERMISSIVE FOR SELECT TO PUBLIC "
        f"USING ({condition})",
        f"CREATE POLICY todo_users_update ON users AS PERMISSIVE FOR UPDATE TO PUBLIC "
        f"USING ({condition}) WITH CHECK ({condition})",
    ]


OLD = "name = session_user::text"
NEW = f"name = session_user::text AND {COLUMN}"


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        # One person's file: nobody to keep apart; the column is always false.
        op.execute(f"ALTER TABLE users ADD COLUMN {COLUMN} BOOLEAN NOT NULL DEFAULT 0")
        return
    op.execute(f"ALTER TABLE users ADD COLUMN {COLUMN} boolean NOT NULL DEFAULT false")
    op.execute(
        f"UPDATE users SET {COLUMN} = true WHERE name IN ("
        "SELECT r.rolname::text FROM pg_catalog.pg_auth_members m "
        "JOIN pg_catalog.pg_roles g ON g.oid = m.roleid "
        "JOIN pg_catalog.pg_roles r ON r.oid = m.member "
        f"WHERE g.rolname = '{GROUP_ROLE}')"
    )
    op.execute(_session_user_id(NEW))
    for statement in _users_policies(NEW):
        op.execute(statement)


def losses(conn: Connection) -> list[tuple[str, int, str]]:
    """Users rows this downgrade would hand to a stranger: not granted here, yet named
    like a member role of the server (granted in another database, or revoked here
    while a member elsewhere). Revision 0013 holds a login to the users row of its
    name, and the upgrade back takes such a row as granted: said, and asked.

    Isolation off as well: at 0013 no policy holds anyone, but the upgrade back marks
    the row granted all the same, and turning isolation on (any grant) then holds
    that login to it."""
    if conn.dialect.name != "postgresql":
        return []
    names = list(
        conn.execute(
            sa.text(
                f"SELECT u.name FROM users u WHERE NOT u.{COLUMN} AND u.name IN ("
                "SELECT r.rolname::text FROM pg_catalog.pg_auth_members m "
                "JOIN pg_catalog.pg_roles g ON g.oid = m.roleid "
                "JOIN pg_catalog.pg_roles r ON r.oid = m.member "
                "WHERE g.rolname = :group) ORDER BY u.name"
            ),
            {"group": GROUP_ROLE},
        ).scalars()
    )
    if not names:
        return []
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return [
        (
            "users",
            len(names),
            f"show the rows of {len(names)} user(s) not granted here ({shown}) to the "
            "member login of the same name from another database on this server, at "
            "0013 and after upgrading again, with isolation on (then `todo db revoke` "
            "each to take it back)",
        )
    ]


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        op.execute(f"ALTER TABLE users DROP COLUMN {COLUMN}")
        return
    for statement in _users_policies(OLD):
        op.execute(statement)
    op.execute(_session_user_id(OLD))
    op.execute(f"ALTER TABLE users DROP COLUMN {COLUMN}")
