"""Keeping passwords out of everything `todo` prints.

Two layers. :func:`mask_url` and :func:`mask_text` recognise the places a
password sits (a URL's user info, a ``password=`` parameter in a URL query or
a libpq ``key=value`` string) even in text that does not parse, because the
URLs worth masking are most often the ones that failed to. And every password
`todo` was given is remembered (:func:`remember`), so :func:`scrub` can remove
it from any text at all: a driver's error, a traceback, a debug log line.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# `password=...` as a URL query parameter or a libpq keyword: a quoted value
# (libpq quoting, with backslash escapes) or everything up to a space or `&`.
# `sslpassword` (the passphrase of the client's key) is a secret as much.
# Inside an SQL literal the value's quotes are doubled (''...''): masked whole.
_PASSWORD_PARAM = re.compile(
    r"(?i)(\b(?:ssl)?password\s*=\s*)(''[^']*''|'(?:\\.|[^'\\])*'?|[^\s&]*)"
)

_remembered: set[str] = set()


def _mask_userinfo(url: str) -> str:
    """`scheme://user:secret@host/...` -> `scheme://user:***@host/...`.

    The user info ends at the LAST `@`: a password may hold unencoded `@`,
    `:` or `/`, and masking a little too much is better than too little.
    """
    match = _SCHEME.match(url)
    if match is None:
        return url
    head, rest = url[: match.end()], url[match.end() :]
    at = rest.rfind("@")
    if at == -1:
        return url
    userinfo = rest[:at]
    if ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{head}{user}:{MASK}{rest[at:]}"


def mask_url(raw: str) -> str:
    """A URL (or libpq connection string) safe to print: any password is ``***``."""
    return scrub(_PASSWORD_PARAM.sub(lambda m: m.group(1) + MASK, _mask_userinfo(raw)))


def mask_text(text: str) -> str:
    """Free text that may quote URLs: each URL in it masked, known passwords removed."""
    parts = re.split(r"(\s+)", text)
    return scrub(
        "".join(_mask_part(part) for part in parts)
        if "://" in text
        else _PASSWORD_PARAM.sub(lambda m: m.group(1) + MASK, text)
    )


# SQL's `PASSWORD 'secret'` (CREATE or ALTER ROLE): a change made outside todo is
# journaled with the statement that made it (its first 200 characters). Any
# string constant PostgreSQL takes: '...', E'...' (backslash escapes), U&'...',
# $tag$...$tag$, and a dollar quote left open (in a comment) to the end; after
# white space, comments or nothing, and continued over lines ('a'<newline>'b').
# The database masks the same forms before it stores them (db.journal_ddl);
# this masks what an older revision stored.
# A comment (one level of nesting, as PostgreSQL nests them), a string constant (also
# one inside another string, its quotes doubled, as a DO block's EXECUTE writes it),
# and what continues a string on the next line (a line comment may come between).
_SQL_INNER_COMMENT = r"/\*(?:[^*]|\*+[^*/])*\*+/"
_SQL_COMMENT = rf"/\*(?:[^*/]|\*+[^*/]|/+[^*/]|{_SQL_INNER_COMMENT})*\*+/|--[^\n]*(?:\n|$)"
_SQL_STRING = r"''[^']*''|e?'(?:''|\\.|[^'\\])*'?|u&'(?:''|[^'])*'?"
_SQL_NEXT_LINE = r"(?:\s*(?:--[^\n]*)?\n)+\s*"
_SQL_PASSWORD = re.compile(
    rf"(?is)(\bpassword(?:\s|{_SQL_COMMENT})*)"
    rf"((?:{_SQL_STRING})(?:{_SQL_NEXT_LINE}(?:{_SQL_STRING}))*"
    r"|\$(\w*)\$.*?\$\3\$|\$\w*\$.*)"
)
# What revision 0018 masked of a string continued on the next line: the rest of it.
_SQL_MASKED_CONTINUED = re.compile(
    rf"(?is)(\bpassword\s*\*\*\*)(?:{_SQL_NEXT_LINE}(?:{_SQL_STRING}))+"
)
# ... and of a string inside a string (0018 took its doubled quotes for an empty one).
_SQL_MASKED_REST = re.compile(r"(?i)(\bpassword\s*\*\*\*)[^'\s;][^']*''")


def mask_statement(text: str) -> str:
    """A recorded command line or SQL statement safe to print: as mask_text, and a
    password given to SQL as a string literal masked too.

    A command line of todo's (quoted like a shell: cli.app.command_line) is masked
    word by word and quoted again as it was: masked as text, a quoted URL's last
    `password=` would take the closing quote with its value.
    """
    if text.startswith("todo "):
        import shlex

        try:
            words = shlex.split(text)
        except ValueError:
            pass  # not as todo quotes (cut short, say): masked as text
        else:
            if shlex.join(words) == text:
                return shlex.join(mask_text(word) for word in words)
    masked = _SQL_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    masked = _SQL_MASKED_CONTINUED.sub(lambda m: m.group(1), masked)
    return mask_text(_SQL_MASKED_REST.sub(lambda m: m.group(1), masked))


def _mask_part(part: str) -> str:
    """One word of free text, a URL in it masked even behind a prefix (`--db=URL`)."""
    found = _SCHEME.search(part)
    if found is None:
        return part
    return part[: found.start()] + mask_url(part[found.start() :])


def remember(secret: str | None) -> None:
    """A password to remove from every message, in the forms it may be printed in."""
    if not secret:
        return
    for form in {secret, unquote(secret)}:
        if len(form) >= 3:  # a one- or two-character "password" would garble text
            _remembered.add(form)


def forget() -> None:
    """Drop every remembered password: for a process that runs one command after
    another (the test suite's in-process runs), where one command's password,
    `typo` say, would mask that word in the next one's messages."""
    _remembered.clear()


def remember_url(raw: str) -> None:
    """Remember whatever password `raw` carries, however it is written."""
    match = _SCHEME.match(raw)
    if match is not None:
        rest = raw[match.end() :]
        at = rest.rfind("@")
        if at != -1 and ":" in rest[:at]:
            remember(rest[:at].split(":", 1)[1])
    for param in _PASSWORD_PARAM.finditer(raw):
        value = param.group(2)
        remember(value.strip("'") if value.startswith("'") else value)


def scrub(text: str) -> str:
    """`text` with every remembered password replaced by ``***``."""
    for secret in sorted(_remembered, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text
