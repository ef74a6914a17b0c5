"""Pages of statuses as JSON bytes, assembled from per-process caches checked on every read.

`render` gives, for a list of status ids and a viewer, the same JSON that encoding
`load_statuses`' entities gives (tests/test_status_pages.py compares them on generated
worlds), at a fraction of the cost for a page whose parts were seen before:

1. the version counters of the statuses, of what they repost or quote, and of their authors
   are read in one query (status_docs.probe; a timeline store reads them with the page's ids
   and passes them as `probed`); the shared JSON of each is taken from the doc cache when its
   counter is unchanged and loaded otherwise;
2. the viewer's relations and marks come from the viewer cache, checked against the
   counters read with the token (viewer_cache.py); only statuses the viewer's entry has not
   seen cost a query;
3. each item is assembled from bytes: the shared members, the author's Account, the repost
   and quote (assembled the same way), the poll as this viewer sees it, the viewer's fields.

Visibility is checked per item exactly as `load_statuses` checks it (the viewer's follows,
blocks, mentions, hidden posts). Items that do not look the same to everyone (moderation
that removes or warns, labels, a suspended or limited author) and every item of a viewer with
muted words are left to `load_statuses` itself; their bytes are merged in page order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.context import Context
from townsquare.model.visibility import OPEN, can_see
from townsquare.queries.status_docs import (
    AuthorDoc,
    DocCache,
    StatusDoc,
    doc_cache,
    docs,
    probe,
)
from townsquare.queries.statuses import MAX_DEPTH, load_statuses, poll_entity
from townsquare.queries.viewer_cache import (
    BOOKMARKED,
    FAVOURITED,
    HIDDEN,
    PINNED,
    REBLOGGED,
    Marks,
    Relations,
    viewer_cache,
)
from townsquare.store.probes import Probe

_encoder = msgspec.json.Encoder()


class Viewer(NamedTuple):
    """A signed-in reader and the counters read with their token."""

    id: int
    relations_version: int
    marks_version: int


def _tail(flags: int, own: bool) -> bytes:
    def b(on: bool) -> str:
        return "true" if on else "false"

    pinned = b(bool(flags & PINNED)) if own else "null"
    return (f',"favourited":{b(bool(flags & FAVOURITED))},"reblogged":'
            f'{b(bool(flags & REBLOGGED))},"muted":false,"bookmarked":'
            f'{b(bool(flags & BOOKMARKED))},"pinned":{pinned},"filtered":[]}}').encode()


# The viewer's fields, closing the object: by (flags & 15, own post).
_TAILS = {(f, own): _tail(f, own) for f in range(16) for own in (False, True)}
_ANON_TAIL = (b',"favourited":null,"reblogged":null,"muted":null,"bookmarked":null,'
              b'"pinned":null,"filtered":[]}')
_FALLBACK: Any = object()  # an item load_statuses must build


class _Page:
    def __init__(self, ctx: Context, cache: DocCache, viewer: Viewer | None,
                 status_docs: dict[int, StatusDoc],
                 author_docs: dict[int, AuthorDoc], relations: Relations | None,
                 marks: Marks | None) -> None:
        self.now = ctx.clock.now()
        self.viewer_id = viewer.id if viewer is not None else None
        self.status_docs = status_docs
        self.author_docs = author_docs
        self.relations = relations
        self.marks = marks
        self.flags = marks.flags if marks is not None else {}
        self.cache = cache
        self.built: dict[tuple[int, int], Any] = {}

    def visible(self, doc: StatusDoc, flags: int) -> bool:
        vid = self.viewer_id
        if vid is None:
            return doc.visibility in OPEN
        if flags & HIDDEN:
            return False
        assert self.relations is not None
        blocked = doc.account_id in self.relations.blocked
        if doc.visibility in OPEN and not blocked:  # the common case, as can_see has it
            return True
        return can_see(doc.visibility, doc.account_id, vid,
                       follows_author=doc.account_id in self.relations.following,
                       mentioned=vid in doc.mention_ids, blocked=blocked)

    def top(self, ids: list[int]) -> dict[int, Any]:
        """`item(sid, 0)` for each id; the commonest case (a plain post with no repost,
        quote or poll, open to everyone or the viewer's own) inline, as the loop's cost is
        mostly Python's per-call overhead."""
        out: dict[int, Any] = {}
        docs, authors, flags, vid = self.status_docs, self.author_docs, self.flags, self.viewer_id
        blocked = self.relations.blocked if self.relations is not None else frozenset()
        plain_item = self.cache.plain_item
        for sid in ids:
            doc = docs.get(sid)
            author = authors.get(doc.account_id) if doc is not None else None
            if (doc is None or author is None or not doc.plain or not author.plain
                    or doc.reblog_of_id is not None or doc.quote_of_id is not None
                    or doc.poll is not None):
                out[sid] = self.item(sid, 0)
                continue
            aid = doc.account_id
            f = flags.get(sid, 0)
            if vid is None:
                if doc.visibility not in OPEN:
                    out[sid] = None
                    continue
                tail = _ANON_TAIL
            elif f & HIDDEN or aid in blocked or (doc.visibility not in OPEN and aid != vid):
                out[sid] = self.item(sid, 0)  # the full check (own, follows, mentions)
                continue
            else:
                tail = _TAILS[(f & 15, aid == vid)]
            out[sid] = plain_item(sid, doc, author) + tail
        return out

    def item(self, sid: int, depth: int) -> Any:
        """The item's bytes, None when the viewer may not see it, or _FALLBACK."""
        key = (sid, depth)
        if key in self.built:
            return self.built[key]
        out = self.built[key] = self._item(sid, depth)
        return out

    def _item(self, sid: int, depth: int) -> Any:
        if depth >= MAX_DEPTH:
            return None
        doc = self.status_docs.get(sid)
        if doc is None:
            return _FALLBACK  # no row (then load_statuses leaves it out too) or no author
        author = self.author_docs.get(doc.account_id)
        if author is None or not doc.plain or not author.plain:
            return _FALLBACK
        flags = self.flags.get(sid, 0)
        if not self.visible(doc, flags):
            return None
        vid = self.viewer_id
        tail = _ANON_TAIL if vid is None else _TAILS[(flags & 15, doc.account_id == vid)]
        if doc.reblog_of_id is None and doc.quote_of_id is None and doc.poll is None:
            return self.cache.plain_item(sid, doc, author) + tail
        reblog = b"null"
        if doc.reblog_of_id is not None:
            inner = self.item(doc.reblog_of_id, depth + 1)
            if inner is None or inner is _FALLBACK:
                return inner  # a repost of something the viewer cannot see is left out
            reblog = inner
        quote = b"null"
        if doc.quote_of_id is not None and depth < MAX_DEPTH - 1:
            inner = self.item(doc.quote_of_id, depth + 1)
            if inner is _FALLBACK:
                return inner
            if inner is not None:
                quote = inner
        poll = b"null"
        if doc.poll is not None:
            prow, options = doc.poll
            votes = self.marks.votes.get(prow.id, ()) if self.marks is not None else ()
            poll = _encoder.encode(poll_entity(prow, options, self.now, votes, vid,
                                               doc.account_id))
        return b"".join((b"{", doc.head, b',"account":', author.json, b',"reblog":', reblog,
                         b',"quote":', quote, b',"poll":', poll, tail))


async def render(ctx: Context, conn: AsyncConnection, ids: list[int],
                 viewer: Viewer | None, context: str | None = None,
                 probed: dict[int, Probe] | None = None) -> list[bytes]:
    """The JSON of each status the viewer may see, in the order of `ids` (the others are
    left out), exactly as `load_statuses` would give them. `context` as there; `probed`:
    version counters the caller read already (store/probes.py)."""
    found = await render_map(ctx, conn, ids, viewer, context, probed)
    return [found[sid] for sid in ids if sid in found]


async def render_map(ctx: Context, conn: AsyncConnection, ids: list[int],
                     viewer: Viewer | None, context: str | None = None,
                     probed: dict[int, Probe] | None = None) -> dict[int, bytes]:
    """`render` by id: the statuses the viewer may see (for entities that embed them)."""
    if not ids:
        return {}
    probed = await probe(conn, ids, probed)
    status_docs, author_docs = await docs(ctx, conn, probed)
    relations = marks = None
    if viewer is not None:
        cache = viewer_cache(ctx.extras)
        relations = await cache.relations(conn, viewer.id, viewer.relations_version)
        if relations.has_filters(ctx.clock.now()):
            return {sid: b for sid, b in zip(ids, await _fallback(ctx, conn, ids, viewer,
                                                                  context), strict=True)
                    if b is not None}
        polls = [d.poll[0].id for d in status_docs.values() if d.poll is not None]
        marks = await cache.marks(conn, viewer.id, viewer.marks_version, probed, polls)
    page = _Page(ctx, doc_cache(ctx), viewer, status_docs, author_docs, relations, marks)
    items = page.top(ids)
    slow = [sid for sid, b in items.items() if b is _FALLBACK]
    if slow:
        items.update(zip(slow, await _fallback(ctx, conn, slow, viewer, context), strict=True))
    return {sid: b for sid, b in items.items() if b is not None}


async def _fallback(ctx: Context, conn: AsyncConnection, ids: list[int],
                    viewer: Viewer | None, context: str | None) -> list[bytes | None]:
    """`load_statuses`' entities, encoded: one entry per id, None when left out."""
    loaded = await load_statuses(ctx, conn, ids, viewer.id if viewer else None, context)
    return [_encoder.encode(loaded[sid]) if sid in loaded else None for sid in ids]


def reset_caches(ctx: Context) -> None:
    """Forget every cached status, author and reader of this process (tests that count the
    queries of a cold page)."""
    for name in ("doc_cache", "viewer_cache", "status_static"):
        ctx.extras.pop(name, None)


def page_json(items: list[bytes]) -> bytes:
    return b"[" + b",".join(items) + b"]"
