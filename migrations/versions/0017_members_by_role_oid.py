"""users: a member is the very role granted here, not a later role of its name

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

Revision 0014 holds a login to the users row of its name that `todo db grant`
granted here. Roles are server-wide and their names come back: a member of
this database whose role was dropped elsewhere (`todo db revoke` in another
database of the server) left its row granted here, and the next role made
with that name, for any database, was shown that member's rows. A users row
now keeps the oid of the role it was granted to (``role_oid``), and row
security holds a session to it only while its login is that very role: a role
made again with the name is nobody here until granted here (`--adopt`).

The upgrade binds each granted row to the role of its name as it is now. The
downgrade marks a row granted to a role that is gone (or made again) as
granted to nobody, as it is, so that neither 0016 nor this upgrade run again
hands it to the role now of that name; then it drops the column and puts back
revision 0014's function and policies. SQLite gets the column too (the tables
are declared once), always null: nobody to keep apart.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen: a revision is history.
COLUMN = "role_oid"


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


OLD = "name = session_user::text AND granted"
NEW = (
    f"name = session_user::text AND granted AND {COLUMN} = "
    "(SELECT r.oid::bigint FROM pg_catalog.pg_roles r WHERE r.rolname = session_user)"
)


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        # One person's file: nobody to keep apart; the column is always null.
        op.execute(f"ALTER TABLE users ADD COLUMN {COLUMN} BIGINT")
        return
    op.execute(f"ALTER TABLE users ADD COLUMN {COLUMN} bigint")
    op.execute(
        f"UPDATE users SET {COLUMN} = r.oid::bigint FROM pg_catalog.pg_roles r "
        "WHERE r.rolname = users.name AND users.granted"
    )
    op.execute(_session_user_id(NEW))
    for statement in _users_policies(NEW):
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        op.execute(f"ALTER TABLE users DROP COLUMN {COLUMN}")
        return
    # A row granted to a role dropped since (or made again with its name) is nobody's
    # here. At 0016, and at this revision's upgrade back, "granted" goes by the name
    # alone and would hand it to whichever role now has that name: it is marked as
    # granted to nobody, which is what it is (`db members` lists it as held by no
    # member; `grant NAME --adopt` gives it to a login on purpose).
    op.execute(
        "UPDATE users SET granted = false WHERE granted AND "
        f"{COLUMN} IS DISTINCT FROM (SELECT r.oid::bigint FROM pg_catalog.pg_roles r "
        "WHERE r.rolname = users.name)"
    )
    for statement in _users_policies(OLD):
        op.execute(statement)
    op.execute(_session_user_id(OLD))
    op.execute(f"ALTER TABLE users DROP COLUMN {COLUMN}")
