"""Serving a ranked page: gather candidates, filter by the feed's definition, rank, log.

The log (replay.py) is written before the page is returned, and the explanation attached to
each status names it (`served_feed_id`), so any page a person saw can be recomputed. With
`log_concurrently` the write runs while the caller loads the page's statuses: the caller
awaits `ServedPage.logged()` before it answers.
A page's `cursor` is its served-feed id: the next page excludes everything served before it
in the chain, and is ranked afresh (so "show more / show less" in between changes it) from
the previous page's candidates as they are now (candidates.refresh: every rule and signal
read again, but not the costly choice of the candidates nor their social proof); a first
page, or a next page whose feed definition changed meanwhile, gathers its candidates anew.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from townsquare.actions.errors import NotFound
from townsquare.actions.feeds import log_served_feed
from townsquare.algorithm import candidates as sources
from townsquare.algorithm.explain import explanation
from townsquare.algorithm.feeds import (
    FeedDefinition,
    definition_dict,
    filters,
    keep,
    weights_for,
)
from townsquare.algorithm.replay import columns as logged_columns
from townsquare.algorithm.replay import decode_log, encode_log
from townsquare.algorithm.scoring import Ranked, rank
from townsquare.algorithm.weights import Weights, current
from townsquare.context import Context
from townsquare.store.tables import served_feeds


@dataclass(frozen=True)
class ServedPage:
    served_id: int
    page: list[Ranked]
    weights: Weights
    feed: str
    writing: asyncio.Task[int] | None = None  # the log's write, with log_concurrently

    async def logged(self) -> None:
        """Wait until the page's log is stored (at once unless written concurrently)."""
        if self.writing is not None:
            await self.writing

    def explanations(self) -> dict[int, dict[str, Any]]:
        return {r.candidate.status_id: explanation(r, self.weights, feed=self.feed,
                                                   served_feed_id=self.served_id)
                for r in self.page}


async def serve(ctx: Context, viewer_id: int, *, feed: str, definition: FeedDefinition,
                limit: int, cursor: int | None = None, log: bool = True,
                base: Weights | None = None, log_concurrently: bool = False) -> ServedPage:
    w = weights_for(definition, base or current())
    now = ctx.clock.now()
    exclude: list[int] = []
    previous: dict[str, Any] | None = None
    d = definition_dict(definition)
    wanted, tag_names = tuple(definition.sources), tuple(definition.tags)
    async with ctx.db.read() as conn:
        if cursor is not None:
            row = (await conn.execute(select(served_feeds.c.log).where(
                served_feeds.c.id == cursor, served_feeds.c.account_id == viewer_id,
                served_feeds.c.feed == feed))).first()
            if row is None:
                raise NotFound("Cursor")
            previous = decode_log(row.log)
            exclude = sorted(set(previous["exclude"]) | set(previous["result"]))
        if previous is not None and previous.get("definition") == d:
            served = set(exclude)
            # source and social proof of the previous page's candidates, from its log
            cols = logged_columns(previous)
            prior = {sid: (source, proof) for sid, source, proof in zip(
                cols["status_id"], cols["source"], cols["social_proof"], strict=True)
                if sid not in served}
            found = await sources.refresh(conn, viewer_id, now, w, prior, sources=wanted,
                                          tag_names=tag_names)
        else:
            found = await sources.gather(conn, viewer_id, now, w, sources=wanted,
                                         tag_names=tag_names, db=ctx.db)
    if filters(definition):
        found = [c for c in found if keep(c, definition)]
    stamp = now.timestamp()
    page = rank(found, stamp, w, limit, frozenset(exclude))
    served_id = 0
    writing = None
    if log:
        blob = encode_log(feed=feed, viewer_id=viewer_id, now=stamp, limit=limit, weights=w,
                          definition=d, exclude=exclude,
                          candidates=found, page=page)
        served_id = ctx.ids.next()
        write = log_served_feed(
            ctx, viewer_id, feed=feed, weights_version=w.version, weights_digest=w.digest(),
            previous_id=cursor, status_ids=[r.candidate.status_id for r in page], log=blob,
            served_id=served_id)
        if log_concurrently:
            writing = asyncio.ensure_future(write)
        else:
            await write
    return ServedPage(served_id, page, w, feed, writing)


async def load_log(ctx: Context, served_id: int) -> dict[str, Any] | None:
    async with ctx.db.read() as conn:
        row = (await conn.execute(select(served_feeds.c.log)
                                  .where(served_feeds.c.id == served_id))).first()
    return decode_log(row.log) if row is not None else None
