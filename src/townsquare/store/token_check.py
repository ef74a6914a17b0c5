"""A token checked inside another statement: one round trip fewer for a request that came
with a token this process has seen before (api/auth.py Identities).

`token_rows()` is a part any page statement can add to its UNION ALL: one row when the
token is live, with its account's cache counters (store/versions.py) and whether the
account is suspended; no row when it is revoked or unknown, or when `:token` is NULL (a
request whose token was read already). Its columns line up with the probe columns
(store/probes.py) the page parts select.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, bindparam, case, cast, literal, null, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.store.arrays import member_of
from townsquare.store.fast import Hot
from townsquare.store.tables import accounts, tokens, users

TOKEN_PART = 3  # the part number of token_rows() in a page statement


@dataclass
class TokenCheck:
    """The token to check, and what its check found (`done` once a statement ran it)."""

    token_id: int
    done: bool = False
    live: bool = False
    suspended: bool = False
    relations_version: int = 0
    marks_version: int = 0

    def take(self, rows: Any) -> None:
        """Fill from a statement's rows: part, then token_rows()'s columns."""
        self.done = True
        for row in rows:
            if row[0] == TOKEN_PART:
                self._found(row[1:])

    def _found(self, row: Any) -> None:
        _token, relations, _none, suspended, marks = row[:5]
        self.live = True
        self.relations_version = int(relations or 0)
        self.marks_version = int(marks or 0)
        self.suspended = bool(suspended)

    async def run(self, conn: AsyncConnection) -> None:
        """The check on its own, for a page that ran no statement (an empty timeline)."""
        self.done = True
        for row in await _ALONE.all(conn, {"token": self.token_id}):
            self._found(row)


def token_rows(pad: int, *, many: bool = False) -> Any:
    """TOKEN_PART; token id, relations_version, NULL, suspended (0/1), marks_version, NULL
    in the probe columns' places (id, version, account_id, author_version, reblog_of_id,
    quote_of_id); then `pad` NULLs for the page's extra columns. `many`: one row per live
    token of the array `:tokens` (PostgreSQL) instead of `:token`'s."""
    where = ((member_of(tokens.c.id, "tokens", "postgresql"), tokens.c.revoked_at.is_(None))
             if many else _WHERE)
    return (select(literal(TOKEN_PART, Integer), *_columns(), *[null()] * pad)
            .select_from(_FROM).where(*where))


def _columns() -> list[Any]:
    return [tokens.c.id, cast(users.c.relations_version, BigInteger).label("relations"),
            cast(null(), BigInteger).label("unused"),
            case((accounts.c.suspended_at.is_(None), 0), else_=1).label("suspended"),
            cast(users.c.marks_version, BigInteger).label("marks"),
            cast(null(), BigInteger).label("unused_too")]


_FROM = (tokens.join(accounts, accounts.c.id == tokens.c.account_id)
         .join(users, users.c.account_id == tokens.c.account_id))
_WHERE = (tokens.c.id == bindparam("token", type_=BigInteger), tokens.c.revoked_at.is_(None))
_ALONE = Hot(select(*_columns()).select_from(_FROM).where(*_WHERE))
