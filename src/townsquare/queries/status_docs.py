"""The parts of statuses and authors that every viewer sees alike, encoded once per process.

A page of statuses is mostly the same bytes for everyone: the text, the author's profile,
the counters. `StatusDoc` keeps a status's shared JSON members (everything but its author,
repost, quote, poll and the viewer's own fields) and `AuthorDoc` the author's Account JSON,
each stored with the version counter it was read under (store/versions.py: database
triggers move the counter on any change of the row or of the rows that shape it). A page
reads the counters of its statuses and authors in one query (`probe`) and loads only what
changed or was never seen, with the same code `load_statuses` uses (`shared_status`).

A doc is *plain* when nothing about it depends on who looks: no moderation that hides or
warns (removal, interstitial), no labels from any labeler, and, for authors, not suspended,
not reach-limited, no account labels. queries/status_pages.py serves plain items from these
docs and hands every other item to `load_statuses`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.api.entities import Account, Status
from townsquare.context import Context
from townsquare.queries.accounts import load_accounts
from townsquare.queries.moderation_view import overlay
from townsquare.queries.notes_view import helpful_notes, with_notes
from townsquare.queries.statuses import (
    MAX_DEPTH,
    OPTIONS_HOT,
    ROWS_HOT,
    PollOptionRow,
    PollRow,
    load_static,
    shared_status,
)
from townsquare.store.fast import Hot
from townsquare.store.probes import Probe, author_join, probe_columns
from townsquare.store.tables import accounts, statuses
from townsquare.store.tables_moderation import account_moderation, labels

# Status members a viewer changes, or that are spliced in per request.
_NOT_SHARED = {"account", "reblog", "quote", "poll", "favourited", "reblogged", "muted",
               "bookmarked", "pinned", "filtered"}
HEAD_FIELDS = tuple(f for f in Status.__struct_fields__ if f not in _NOT_SHARED)

_encoder = msgspec.json.Encoder()


class StatusDoc(NamedTuple):
    version: int
    account_id: int
    visibility: str
    reblog_of_id: int | None
    quote_of_id: int | None
    mention_ids: frozenset[int]
    plain: bool
    head: bytes  # JSON members without braces, e.g. b'"id":"1","uri":...'
    poll: tuple[PollRow, list[PollOptionRow]] | None


class AuthorDoc(NamedTuple):
    version: int
    plain: bool
    json: bytes  # the Account entity


PROBE = Hot(
    select(*probe_columns())
    .select_from(statuses.join(accounts, author_join()))
    .where(statuses.c.id.in_(bindparam("ids", expanding=True))))

# What makes a status or an author look different to different readers: labels from any
# labeler (a reader may subscribe to any) on statuses ("s") or authors ("a"), and authors
# whose reach is limited ("l").
_FLAGS = Hot(union_all(
    select(literal("s").label("k"), labels.c.status_id.label("x"))
    .where(labels.c.status_id.in_(bindparam("ids", expanding=True)),
           labels.c.removed_at.is_(None)),
    select(literal("a"), labels.c.account_id)
    .where(labels.c.account_id.in_(bindparam("aids", expanding=True)),
           labels.c.removed_at.is_(None)),
    select(literal("l"), account_moderation.c.account_id)
    .where(account_moderation.c.account_id.in_(bindparam("aids", expanding=True)),
           account_moderation.c.reach_limited.is_(True)),
))


class DocCache:
    """Bounded: the oldest entries go first. A status's doc and its whole item are ~1.5 kB
    each, so the default holds the recent posts most pages show in ~60 MB a process."""

    def __init__(self, size: int = 20_000) -> None:
        self.statuses: dict[int, StatusDoc] = {}
        self.authors: dict[int, AuthorDoc] = {}
        self._items: dict[int, tuple[int, int, bytes]] = {}
        self._size = size

    def put(self, store: dict[int, Any], key: int, doc: Any) -> None:
        old = store.get(key)
        if old is not None and old.version > doc.version:
            return  # a request that read an older counter: keep the newer entry
        store.pop(key, None)
        if len(store) >= self._size:
            del store[next(iter(store))]
        store[key] = doc

    def plain_item(self, sid: int, doc: StatusDoc, author: AuthorDoc) -> bytes:
        """The item of a status with no repost, quote or poll, up to the viewer's fields:
        the same for every viewer while the status and its author are unchanged."""
        hit = self._items.get(sid)
        if hit is not None and hit[0] == doc.version and hit[1] == author.version:
            return hit[2]
        item = b"".join((b"{", doc.head, b',"account":', author.json,
                         b',"reblog":null,"quote":null,"poll":null'))
        if len(self._items) >= self._size:
            del self._items[next(iter(self._items))]
        self._items[sid] = (doc.version, author.version, item)
        return item

    def forget(self, status_id: int) -> None:
        self.statuses.pop(status_id, None)
        self._items.pop(status_id, None)


def doc_cache(ctx: Context) -> DocCache:
    cache = ctx.extras.get("doc_cache")
    if cache is None:
        cache = ctx.extras["doc_cache"] = DocCache()
    assert isinstance(cache, DocCache)
    return cache


async def probe(conn: AsyncConnection, ids: list[int],
                known: dict[int, Probe] | None = None) -> dict[int, Probe]:
    """Counters of the statuses, of what they repost and quote (as deep as pages nest), and
    of their authors. `known`: probes the caller read already (with the page's ids)."""
    found: dict[int, Probe] = {}
    rows: list[Any] = []
    wanted = set(ids)
    if known:  # the known probes, and what they repost or quote as far as that is known
        unknown: set[int] = set()
        while wanted:
            rows = [known[i] for i in wanted if i in known]
            unknown |= {i for i in wanted if i not in known}
            found.update((r.id, r) for r in rows)
            wanted = {x for r in rows for x in (r.reblog_of_id, r.quote_of_id)
                      if x is not None and x not in found}
        wanted = unknown - found.keys()
    for _ in range(MAX_DEPTH):
        if not wanted:
            break
        rows = await PROBE.all(conn, {"ids": list(wanted)})
        found.update((r.id, r) for r in rows)
        wanted = {x for r in rows for x in (r.reblog_of_id, r.quote_of_id)
                  if x is not None and x not in found}
    return found


async def docs(ctx: Context, conn: AsyncConnection, probed: dict[int, Probe]
               ) -> tuple[dict[int, StatusDoc], dict[int, AuthorDoc]]:
    """The docs of every probed status and author, current as of their counters."""
    cache = doc_cache(ctx)
    status_docs: dict[int, StatusDoc] = {}
    author_docs: dict[int, AuthorDoc] = {}
    missing: list[int] = []
    missing_authors: dict[int, int] = {}
    for sid, p in probed.items():
        doc = cache.statuses.get(sid)
        if doc is not None and doc.version == p.version:
            status_docs[sid] = doc
        else:
            missing.append(sid)
        if p.account_id not in author_docs:
            adoc = cache.authors.get(p.account_id)
            if adoc is not None and adoc.version == p.author_version:
                author_docs[p.account_id] = adoc
            else:
                missing_authors[p.account_id] = p.author_version
    if missing or missing_authors:
        await _load(ctx, conn, {sid: probed[sid].version for sid in missing}, missing_authors,
                    status_docs, author_docs)
    return status_docs, author_docs


async def _load(ctx: Context, conn: AsyncConnection, versions: dict[int, int],
                author_versions: dict[int, int], status_docs: dict[int, StatusDoc],
                author_docs: dict[int, AuthorDoc]) -> None:
    """Load the missing docs of statuses and authors together: one query for every account
    either needs (authors, mentioned accounts), one for every label or limit that makes
    them look different to different readers."""
    cache = doc_cache(ctx)
    rows = {r.id: r for r in await ROWS_HOT.all(conn, {"ids": list(versions)})} \
        if versions else {}
    static = await load_static(ctx, conn, rows) if rows else {}
    account_map: dict[int, Account] = await load_accounts(
        conn, ctx.settings,
        set(author_versions) | {r.account_id for r in rows.values()}
        | {a for item in static.values() for a in item.mention_ids})
    flags = await _FLAGS.all(conn, {"ids": list(rows) or [0],
                                    "aids": list(author_versions) or [0]})
    labelled = {x for k, x in flags if k == "s"}
    flagged = {x for k, x in flags if k != "s"}
    for aid, version in author_versions.items():
        account = account_map.get(aid)
        if account is not None:
            adoc = AuthorDoc(version, not account.suspended and aid not in flagged,
                             _encoder.encode(account))
            cache.put(cache.authors, aid, adoc)
            author_docs[aid] = adoc
    if not rows:
        return
    # Without a viewer, the overlay holds only what is the same for everyone (limited
    # reach, a detached quote); anything viewer-dependent makes the doc not plain below.
    shared = await overlay(conn, ctx.clock.now(), rows, None, set(), None)
    notes = await helpful_notes(ctx, conn, rows)
    polls: dict[int, tuple[PollRow, list[PollOptionRow]]] = {}
    poll_rows = {r.poll_id: r for r in rows.values() if r.poll_id is not None}
    if poll_rows:
        options: dict[int, list[PollOptionRow]] = defaultdict(list)
        for pid, title, votes in await OPTIONS_HOT.all(conn, {"pids": list(poll_rows)}):
            options[pid].append(PollOptionRow(title, votes))
        for pid, r in poll_rows.items():
            polls[r.id] = (PollRow(pid, r.poll_expires_at, r.poll_multiple, r.poll_hide_totals,
                                    r.poll_votes_count, r.poll_voters_count), options[pid])
    for sid, row in rows.items():
        if row.account_id not in account_map:
            continue
        entity = shared_status(sid, row, static[sid], account_map,
                               row.sensitive or sid in shared.sensitive,
                               with_notes(shared.townsquare.get(sid), notes.get(sid)))
        head = _encoder.encode({f: getattr(entity, f) for f in HEAD_FIELDS})[1:-1]
        plain = not (row.mod_removed or row.mod_interstitial or row.author_limited
                     or sid in labelled)
        doc = StatusDoc(versions[sid], row.account_id, row.visibility, row.reblog_of_id,
                        row.quote_of_id, frozenset(static[sid].mention_ids), plain, head,
                        polls.get(sid))
        # Kept unless its shared part depends on the author's state (limited reach), which
        # the status's own counter does not follow.
        if not row.author_limited:
            cache.put(cache.statuses, sid, doc)
        status_docs[sid] = doc
