"""Where a store's database is: a SQLite file or a PostgreSQL URL, and how to show one.

Apart from `bot.store.postgres`, so that a SQLite bot never loads psycopg (11 MiB).
"""

from __future__ import annotations

import re


def is_postgres_url(location: object) -> bool:
    """Whether `location` names a PostgreSQL database (`postgresql://` or `postgres://`)."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


# A password in a URL: after the user name (user:password@host), or as a parameter.
_PASSWORDS = re.compile(
    r"^(?P<user>[a-z]+://[^:/@?]*):[^@/?]*@|(?P<parameter>[?&]password=)[^&]*", re.IGNORECASE
)


def redacted(url: str) -> str:
    """`url` without its password, fit for a log line or an error message (even if it is
    not a valid URL)."""

    def hidden(found: re.Match[str]) -> str:
        if found.group("user") is not None:
            return f"{found.group('user')}:***@"
        return f"{found.group('parameter')}***"

    return _PASSWORDS.sub(hidden, url)
