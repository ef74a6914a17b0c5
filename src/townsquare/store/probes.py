"""The version counters a page of statuses is checked with (queries/status_docs.py), as
columns any statement can select beside its own: the timeline stores select them with the
ids of a page, so the page's statuses need no query of their own to be checked."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import FromClause

from townsquare.store.tables import accounts, statuses


class Probe(NamedTuple):
    id: int
    version: int
    account_id: int
    author_version: int
    reblog_of_id: int | None
    quote_of_id: int | None


def probe_columns(s: FromClause = statuses, a: FromClause = accounts) -> list[Any]:
    """Probe's columns, from `s` (statuses or an alias) joined with `a` (its author's
    account)."""
    return [s.c.id, s.c.version, s.c.account_id, a.c.version.label("author_version"),
            s.c.reblog_of_id, s.c.quote_of_id]


def author_join(s: FromClause = statuses, a: FromClause = accounts) -> Any:
    return a.c.id == s.c.account_id
