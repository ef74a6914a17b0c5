"""Home timelines in Redis (or Valkey): one capped sorted set of entry ids per reader.

Members are `<status id, 20 digits>:<author id>:<origin author id>` with score 0, so the set
is ordered by id exactly (lexicographic ranges; a float score would round 64-bit snowflakes).
Writes happen after the post's transaction commits, so a rolled-back post is never delivered:
the author and mentioned readers at once, followers by fan-out jobs in batches of
`batch_size`. Pushes only touch timelines that exist; a missing one (never built, expired
after the inactive period, Redis flushed or restarted) is rebuilt from the database on read,
and a returning inactive user's is topped up the same way. The database stays the truth.

Accounts at or above the fan-out threshold are not pushed to their followers: their posts
are merged into each follower's page at read time (hybrid fan-out). Each keeps its own list
of the entries a follower's timeline would get from it (`au:<id>`, same members, same cap),
pushed to on every post while it exists and built from the database when a reader finds it
missing, so that a page reads the big accounts' entries in the same Redis round trip as the
reader's own and checks them with its own ids, instead of asking the database for every big
account's newest posts on every page (Twitter's read-time merge, from a cache of each
author's recent posts). That needs the reader's cached relations (PageQuery: whom they
follow, hide, and whose reposts they do not want); without them the database is asked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError
from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.jobs.runner import JobRunner
from townsquare.model.clock import Clock
from townsquare.model.visibility import OPEN
from townsquare.store.db import Database, Tx
from townsquare.store.fast import Hot
from townsquare.store.tables import follows, statuses
from townsquare.timelines import truth
from townsquare.timelines.activity import Activity
from townsquare.timelines.base import (
    Entry,
    PageQuery,
    mentioned_readers,
    merge_pages,
    pushes_to_followers,
)
from townsquare.timelines.big import BigAccounts
from townsquare.timelines.redis_wire import RedisWire, Unavailable
from townsquare.timelines.sql import BACKFILL
from townsquare.timelines.tuning import Tuning

log = logging.getLogger("townsquare.timelines")

SENTINEL = f"{0:020d}:0:0"  # marks a timeline being built: pushes land in it meanwhile
BUILD_GRACE = 120  # seconds a half-built timeline lives if its builder dies

# Push one member into every listed timeline that exists, trimming each to the cap.
PUSH = """
local cap = tonumber(ARGV[#ARGV])
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    for j = 1, #ARGV - 1 do redis.call('ZADD', key, 0, ARGV[j]) end
    redis.call('ZREMRANGEBYRANK', key, 0, -(cap + 1))
  end
end
return 0
"""


# A page's read, in one round trip however many lists it merges (redis-py spends more on a
# command than Redis does). KEYS: the reader's timeline, then the big accounts' lists;
# ARGV: ascending (1/0), low, high (lex bounds), fetch, ttl, then the ids of the accounts
# whose reposts the reader turned off. Every key's TTL is renewed (an active reader's lists
# live on). Returns {missing key indexes (0-based), exhausted (1 when every key gave fewer
# than `fetch`), the window's last member ('' if none), the members kept}: the window is the
# first `fetch` of all keys' entries merged in page order; a list's entry is kept unless it
# is a repost by a quiet account (the reader's own timeline is kept whole).
READ = """
local asc = ARGV[1] == '1'
local low, high, fetch, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local quiet = {}
for i = 6, #ARGV do quiet[ARGV[i]] = true end
local missing, exhausted, seen, own, all = {}, 1, {}, {}, {}
for i, key in ipairs(KEYS) do
  if redis.call('EXPIRE', key, ttl) == 0 then missing[#missing + 1] = i - 1 end
  local got
  if asc then got = redis.call('ZRANGEBYLEX', key, low, high, 'LIMIT', 0, fetch)
  else got = redis.call('ZREVRANGEBYLEX', key, high, low, 'LIMIT', 0, fetch) end
  if #got >= fetch then exhausted = 0 end
  for _, m in ipairs(got) do
    if i == 1 then own[m] = true end
    if not seen[m] then seen[m] = true; all[#all + 1] = m end
  end
  if i == 1 and #got >= fetch then
    -- The reader's own timeline fills the page: an entry of a big account's list beyond
    -- its last one cannot make the page, so the lists are read up to it only.
    local bound = '(' .. got[fetch]
    if asc then
      if high == '+' or bound < high then high = bound end
    elseif low == '-' or bound > low then low = bound end
  end
end
if #KEYS > 1 then table.sort(all) end  -- byte order, in C (no Lua call per comparison)
local kept, last, n = {}, '', #all
for j = 1, math.min(fetch, n) do
  local m = all[j]
  if not asc and #KEYS > 1 then m = all[n + 1 - j] end
  last = m
  local author, origin = string.match(m, '^%d+:(%d+):(%d+)$')
  if own[m] or author == origin or not quiet[author] then kept[#kept + 1] = m end
end
return {missing, exhausted, last, kept}
"""

# The followers of several authors at once (reposts only to those who want them, filtered
# after), from the index alone (migration 0012), run on the driver (store/fast.py). Not
# joined with users to keep only the active ones, as the SQL store does: here a reader's
# timeline lives as long as the inactive period from their last read (its TTL, renewed on
# every page), and a push only lands in timelines that exist, so an inactive follower's push
# is a no-op in Redis. Checking each follower's activity in the database cost a users probe
# per follower (~10 us each, 3 ms for 300), most of the fan-out's database time.
_FOLLOWERS = Hot(
    select(follows.c.target_account_id, follows.c.account_id, follows.c.show_reblogs)
    .where(follows.c.target_account_id.in_(bindparam("authors", expanding=True))))


# An author's entries as their followers get them (truth._followee_posts without the
# reader's show_reblogs, which the page applies): not direct, newest first.
_AUTHOR_ROWS = Hot(truth.entries(and_(statuses.c.account_id == bindparam("author"),
                                      statuses.c.visibility != "direct"))
                   .order_by(statuses.c.id.desc()).limit(bindparam("cap")))


def member(status_id: int, author_id: int, origin_author_id: int) -> str:
    return f"{status_id:020d}:{author_id}:{origin_author_id}"


def _pad(status_id: int) -> str:
    return f"{status_id:020d}"


class RedisHomeTimelines:
    def __init__(self, db: Database, clock: Clock, redis_url: str, jobs: JobRunner,
                 tuning: Tuning | None = None) -> None:
        self.tuning = tuning or Tuning()
        self._db = db
        self._clock = clock
        self._jobs = jobs
        self.redis: aioredis.Redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
        self._push_script = self.redis.register_script(PUSH)
        self._read_script = self.redis.register_script(READ)
        self._read_sha = self._read_script.sha
        self._wire = RedisWire(redis_url)
        self._activity = Activity(db, clock, self.tuning.inactive_days)
        self._checks = truth.page_checks(self.tuning.page_checks)
        self.big = BigAccounts(self.tuning.fanout_threshold, db)
        self.ttl = self.tuning.inactive_days * 86400
        jobs.register("timelines.fanout", self._fanout_job)
        jobs.register("timelines.push", self._push_job)

    def key(self, account_id: int) -> str:
        return f"{self.tuning.redis_prefix}tl:{account_id}"

    def author_key(self, account_id: int) -> str:
        """The list of an account's entries as its followers get them (module doc)."""
        return f"{self.tuning.redis_prefix}au:{account_id}"

    async def close(self) -> None:
        await self._activity.settle()
        self._wire.close()
        await self.redis.aclose()

    async def settle(self) -> None:
        await self._activity.settle()

    # -- writes ---------------------------------------------------------------------------

    async def push(self, account_ids: list[int], members: list[str]) -> None:
        if account_ids and members:
            await self._push_script(keys=[self.key(a) for a in account_ids],
                                    args=[*members, self.tuning.cap])

    async def deliver(self, tx: Tx, entry: Entry) -> None:
        await self.deliver_many(tx, [entry])

    async def deliver_many(self, tx: Tx, entries: list[Entry]) -> None:
        """After commit: each entry into its author's (and mentioned readers') timeline in one
        pipelined round trip, then one fan-out job for all the entries pushed to followers."""
        direct: list[tuple[list[str], str]] = []  # (keys, member)
        fan_out: list[dict[str, Any]] = []
        for e in entries:
            followers = e.followers if e.followers is not None \
                else await truth.followers_count(tx, e.author_id)
            m = member(e.status_id, e.author_id, e.origin_author_id)
            direct.append(([self.key(a) for a in sorted({e.author_id, *mentioned_readers(e)})]
                           + ([self.author_key(e.author_id)] if e.visibility != "direct"
                              else []), m))
            if pushes_to_followers(e, followers, self.tuning.fanout_threshold):
                fan_out.append({"member": m, "author_id": e.author_id,
                                "repost": e.origin_author_id != e.author_id})

        async def after() -> None:
            async with self.redis.pipeline(transaction=False) as pipe:
                for keys, m in direct:
                    await self._push_script(keys=keys, args=[m, self.tuning.cap], client=pipe)
                await pipe.execute()
            if fan_out:
                await self._jobs.send("timelines.fanout", {"entries": fan_out})

        tx.after_commit(after)

    async def _fanout_job(self, payload: dict[str, Any]) -> None:
        """Find each entry's followers and push to them (to the timelines that exist: those
        of followers active within the inactive period), in batches of `batch_size`.
        The payload is one entry (`member`, `author_id`, `repost`) or several (`entries`):
        the followers of every entry come in one query, and the pushes of every entry with
        no more than `batch_size` of them go in one pipelined round trip."""
        entries = payload.get("entries") or [payload]
        authors = sorted({int(e["author_id"]) for e in entries})
        by_author: dict[int, list[tuple[int, bool]]] = {a: [] for a in authors}
        async with self._db.read() as conn:
            for author, follower, show_reblogs in await _FOLLOWERS.all(
                    conn, {"authors": authors}):
                by_author[author].append((follower, bool(show_reblogs)))
        size = self.tuning.batch_size
        small: list[tuple[list[int], str]] = []
        for e in entries:
            repost = bool(e["repost"])
            followers = [f for f, reblogs in by_author[int(e["author_id"])]
                         if reblogs or not repost]
            if len(followers) <= size:
                small.append((followers, e["member"]))
                continue
            for i in range(0, len(followers), size):
                await self._jobs.send("timelines.push", {"member": e["member"],
                                                         "ids": followers[i:i + size]})
        small = [(f, m) for f, m in small if f]
        if len(small) == 1:
            await self.push(small[0][0], [small[0][1]])
        elif small:
            async with self.redis.pipeline(transaction=False) as pipe:
                for followers, m in small:
                    await self._push_script(keys=[self.key(a) for a in followers],
                                            args=[m, self.tuning.cap], client=pipe)
                await pipe.execute()

    async def _push_job(self, payload: dict[str, Any]) -> None:
        await self.push([int(a) for a in payload["ids"]], [payload["member"]])

    async def followed(self, tx: Tx, follower_id: int, target_id: int) -> None:
        rows = (await tx.execute(
            select(statuses.c.id).where(statuses.c.account_id == target_id,
                                        statuses.c.reblog_of_id.is_(None),
                                        statuses.c.visibility.in_((*OPEN, "private")))
            .order_by(statuses.c.id.desc()).limit(BACKFILL))).all()
        members = [member(sid, target_id, target_id) for (sid,) in rows]

        async def after() -> None:
            await self.push([follower_id], members)

        tx.after_commit(after)

    async def unfollowed(self, tx: Tx, follower_id: int, target_id: int) -> None:
        # Direct posts of the target that mention the follower stay, as in the SQL store.
        direct = {sid for (sid,) in (await tx.execute(
            select(statuses.c.id).where(statuses.c.account_id == target_id,
                                        statuses.c.visibility == "direct"))).all()}

        async def after() -> None:
            key = self.key(follower_id)
            entries: list[str] = list(await self.redis.zrange(key, 0, -1))  # type: ignore[arg-type]
            drop = [m for m in entries
                    if m.split(":")[1] == str(target_id) and int(m.split(":")[0]) not in direct]
            if drop:
                await self.redis.zrem(key, *drop)

        tx.after_commit(after)

    async def rebuild(self, conn: AsyncConnection, viewer_id: int) -> None:
        """Fill the viewer's timeline from the database, keeping what was pushed meanwhile."""
        await self._fill(self.key(viewer_id),
                         lambda: truth.rebuild_rows(conn, viewer_id, self.tuning.cap))

    async def rebuild_author(self, conn: AsyncConnection, author_id: int) -> None:
        """Fill a big account's list from the database, keeping what was pushed meanwhile."""
        async def rows() -> list[Any]:
            return list(await _AUTHOR_ROWS.all(conn, {"author": author_id,
                                                      "cap": self.tuning.cap}))

        await self._fill(self.author_key(author_id), rows)

    async def _fill(self, key: str, read: Callable[[], Awaitable[list[Any]]]) -> None:
        """`key` filled with the entries `read` gives (status, author, origin author). The
        key is made to exist first, with a sentinel member, so that pushes racing with the
        database read land in it and are kept."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {SENTINEL: 0})
            pipe.expire(key, BUILD_GRACE, nx=True)
            await pipe.execute()
        rows = await read()
        async with self.redis.pipeline(transaction=True) as pipe:
            if rows:
                pipe.zadd(key, {member(*row): 0 for row in rows})
            pipe.zremrangebyrank(key, 0, -(self.tuning.cap + 2))  # the cap plus the sentinel
            pipe.expire(key, self.ttl)
            await pipe.execute()

    # -- reads ----------------------------------------------------------------------------

    async def _read(self, keys: list[str], args: list[Any]) -> Any:
        """The READ script's reply: on the shared connection (timelines/redis_wire.py),
        through redis-py when that cannot carry it or Redis lost the script (a restart),
        which redis-py loads again."""
        try:
            return await self._wire.call("EVALSHA", self._read_sha, len(keys),
                                         *keys, *args)
        except Unavailable:
            pass
        except ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self._read_script(keys=keys, args=args)

    async def page(self, conn: AsyncConnection, query: PageQuery) -> list[int]:
        key = self.key(query.viewer_id)
        if await self._activity.touch(conn, query.viewer_id):
            await self.rebuild(conn, query.viewer_id)
        now = self._clock.now()
        ascending = query.min_id is not None
        low = "(" + _pad(query.min_id) + ";" if query.min_id is not None else \
            "(" + _pad(query.since_id) + ";" if query.since_id is not None else "-"
        high = "(" + _pad(query.max_id) if query.max_id is not None else "+"
        want = query.limit
        # Nearly every entry is readable (deleted posts and hidden authors, both dropped
        # below, are rare): ask for a few more than the page, and twice as many each time
        # that falls short (25, 50, 100, 200 for a page of 20: 375 entries before giving up,
        # where 4 x 50 were read before for every page, each checked in the database).
        fetch = want + 5
        out: list[int] = []
        big = await self.big.followed_by(conn, query.viewer_id, query.following)
        # The big accounts' entries from their lists, read with the reader's (module doc).
        lists = [self.author_key(a) for a in big] if big and query.hidden is not None \
            and query.following is not None and query.quiet_reposts is not None else []
        quiet = sorted(query.quiet_reposts or ())
        for attempt in range(4):
            missing, exhausted, last, got = await self._read(
                [key, *lists], [int(ascending), low, high, fetch, self.ttl, *quiet])
            if attempt == 0 and missing:  # a list missing: built, read again
                for index in missing:
                    if index == 0:
                        await self.rebuild(conn, query.viewer_id)
                    else:
                        await self.rebuild_author(conn, big[index - 1])
                continue
            ids = [int(m.split(":", 1)[0]) for m in got]
            ids = [i for i in ids if i]
            readable = await truth.keep_readable(conn, query.viewer_id, ids, now,
                                                 query.hidden, query.following,
                                                 query.probed, query.token, self._checks)
            out.extend(i for i in ids if i in readable)
            if len(out) >= want or exhausted or not last:
                break
            if ascending:
                low = "(" + last
            else:
                high = "(" + last
            fetch *= 2
        out = out[:want]
        if big and not lists:  # without the reader's relations: the database's page of them
            out = merge_pages(out, await truth.pulled_ids(conn, query, big, now), query)
        return list(reversed(out)) if ascending else out
