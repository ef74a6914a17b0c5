"""The candidate statement and the community index against a reference computed from scratch.

`reference` reads the raw tables and applies the documented rules (docs/algorithm.md, "How
For you ranks", 1) in plain Python, without the community index; after random sequences of
writes through the actions (posts, replies, likes, reposts and their undoing, deletions,
follows, blocks, mutes, opt-outs, limited reach, feedback, the communities job, time passing
beyond the window), `gather` must return exactly the same candidates, and the maintained
community index exactly the rows a rebuild from scratch would write. Both backends.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from tests.helpers import Client, User
from townsquare.actions.errors import Invalid, NotFound
from townsquare.actions.feeds import (
    give_feedback,
    rebuild_community_index,
    set_account_recommendable,
    set_status_recommendable,
)
from townsquare.actions.interactions import favourite, reblog, unfavourite, unreblog
from townsquare.actions.relationships import block, follow, mute, unfollow
from townsquare.actions.statuses import delete_status
from townsquare.algorithm import community_index
from townsquare.algorithm.candidate import SOURCES, Candidate
from townsquare.algorithm.candidates import gather
from townsquare.algorithm.communities import run_job
from townsquare.algorithm.replay import candidates as logged
from townsquare.algorithm.weights import Weights, current
from townsquare.model.clock import utc
from townsquare.model.ids import id_floor
from townsquare.queries.visibility import hidden_account_ids
from townsquare.store.tables import (
    account_recommendation_optouts,
    community_interests,
    community_known_for,
    community_posts,
    favourites,
    feed_feedback,
    follows,
    status_recommendation_optouts,
    statuses,
)
from townsquare.store.tables_moderation import account_moderation, status_moderation

VISIBLE = ("public", "unlisted", "private")


def small_limits() -> Weights:
    """Limits small enough that every source's order and cut matter on a small network."""
    d = current().to_dict()
    d["candidates"].update(in_network_limit=6, social_proof_limit=3, community_limit=4,
                           social_proof_min_follows=2, community_top=2)
    return Weights.from_dict(d)


async def reference(client: Client, viewer: int, now: datetime, w: Weights,
                    only: dict[int, tuple[str, int]] | None = None) -> list[Candidate]:
    """The candidates by the documented rules, from the raw tables. With `only` (post ->
    source, social proof, as a next page keeps them from its first page): those posts, if
    the viewer may still be shown them, with everything else as it is now."""
    cfg = w.candidates
    floor = id_floor(now - timedelta(hours=w.adjustments["window_hours"]))
    since = id_floor(now - timedelta(days=cfg["affinity_days"]))
    async with client.ctx.db.read() as conn:
        posts = {r.id: r for r in (await conn.execute(select(statuses))).all()}
        likes = (await conn.execute(select(favourites.c.id, favourites.c.account_id,
                                           favourites.c.status_id))).all()
        following = set((await conn.execute(select(follows.c.target_account_id).where(
            follows.c.account_id == viewer))).scalars())
        hidden = set((await conn.execute(
            select(hidden_account_ids(viewer, now).subquery()))).scalars())
        interests = (await conn.execute(select(community_interests.c.community,
                                               community_interests.c.score).where(
            community_interests.c.account_id == viewer))).all()
        known_for = (await conn.execute(select(community_known_for))).all()
        opted_posts = set((await conn.execute(
            select(status_recommendation_optouts.c.status_id))).scalars())
        opted_accounts = set((await conn.execute(
            select(account_recommendation_optouts.c.account_id))).scalars())
        limited_posts = set((await conn.execute(select(status_moderation.c.status_id).where(
            status_moderation.c.reach_limited.is_(True)))).scalars())
        limited_accounts = set((await conn.execute(select(account_moderation.c.account_id)
                                                   .where(account_moderation.c.reach_limited
                                                          .is_(True)))).scalars())
        feedback = (await conn.execute(select(feed_feedback.c.author_id, feed_feedback.c.kind)
                                       .where(feed_feedback.c.account_id == viewer))).all()

    def original(p: Any) -> bool:
        return p.reblog_of_id is None and p.id >= floor

    # in-network: the newest originals of followed accounts a follower may see
    in_network = sorted((p.id for p in posts.values() if p.account_id in following
                         and original(p) and p.visibility in VISIBLE),
                        reverse=True)[:cfg["in_network_limit"]]
    # social proof: distinct followed accounts that liked or reposted a post of the window
    voices: dict[int, set[int]] = defaultdict(set)
    for _, who, sid in likes:
        if who in following and sid >= floor:
            voices[sid].add(who)
    for p in posts.values():
        if p.account_id in following and p.reblog_of_id is not None and p.id >= floor \
                and p.reblog_of_id >= floor:
            voices[p.reblog_of_id].add(p.account_id)
    strong = sorted(((len(v), sid) for sid, v in voices.items()
                     if len(v) >= cfg["social_proof_min_follows"]), reverse=True)
    social = [sid for _, sid in strong[:cfg["social_proof_limit"]]
              if posts[sid].reblog_of_id is None]
    # community: the most engaged (likes + 2 reposts, at least 1) public originals of the
    # window by producers of the viewer's strongest communities, straight from statuses
    top = dict(sorted(interests, key=lambda r: (-r.score, r.community))[:cfg["community_top"]])
    producers = {r.account_id for r in known_for if r.community in top}
    pool = [(p.favourites_count + 2 * p.reblogs_count, p.id) for p in posts.values()
            if p.account_id in producers and original(p) and p.visibility == "public"
            and p.favourites_count + 2 * p.reblogs_count > 0]
    community = [sid for _, sid in sorted(pool, reverse=True)[:cfg["community_limit"]]]

    source: dict[int, str] = {}
    for name, found in (("in_network", in_network), ("social_proof", social),
                        ("community", community)):
        for sid in found:
            source.setdefault(sid, name)
    proof = {sid: len(v) for sid, v in voices.items()}
    if only is not None:
        source = {sid: name for sid, (name, _) in only.items()
                  if sid in posts and original(posts[sid])}
        proof = {sid: n for sid, (_, n) in only.items()}

    def allowed(p: Any) -> bool:
        if p.account_id in hidden or p.account_id == viewer:
            return False
        if p.account_id in following:
            return p.visibility in VISIBLE
        return (p.visibility == "public" and p.id not in opted_posts
                and p.account_id not in opted_accounts and p.id not in limited_posts
                and p.account_id not in limited_accounts)

    touched: dict[int, int] = defaultdict(int)
    for fid, who, sid in likes:
        if who == viewer and fid >= since:
            touched[posts[sid].account_id] += 1
    for p in posts.values():
        if p.account_id == viewer and p.id >= since:
            if p.reblog_of_id is not None:
                touched[posts[p.reblog_of_id].account_id] += 1
            elif p.in_reply_to_account_id is not None:
                touched[p.in_reply_to_account_id] += 1
    said: dict[tuple[int, str], int] = defaultdict(int)
    for author, kind in feedback:
        said[(author, kind)] += 1
    share: dict[int, float] = defaultdict(float)
    for r in known_for:
        if r.community in top:
            share[r.account_id] += top[r.community] * r.score
    out = []
    for sid, name in source.items():
        p = posts[sid]
        if not allowed(p):
            continue
        a = p.account_id
        out.append(Candidate(
            status_id=sid, author_id=a, created_at=utc(p.created_at).timestamp(), source=name,
            in_network=a in following, is_reply=p.in_reply_to_id is not None,
            likes=p.favourites_count, reblogs=p.reblogs_count, replies=p.replies_count,
            interactions=touched[a], show_more=said[(a, "more")], show_less=said[(a, "less")],
            social_proof=proof.get(sid, 0),
            community=min(1.0, round(share.get(a, 0.0), 6)), language=p.language))
    return sorted(out, key=lambda c: -c.status_id)


async def index_matches_rebuild(client: Client, now: datetime) -> None:
    floor = community_index.window_floor(now, current())
    async with client.ctx.db.read() as conn:
        kept = set((await conn.execute(
            select(community_posts.c.community, community_posts.c.status_id,
                   community_posts.c.engaged)
            .where(community_posts.c.status_id >= floor, community_posts.c.engaged > 0)
        )).all())
        scratch = set((await conn.execute(community_index.expected(floor))).all())
    assert kept == scratch


class World:
    """A small network that random steps change through the actions."""

    def __init__(self, client: Client, users: list[User], rng: random.Random) -> None:
        self.client = client
        self.users = users
        self.rng = rng
        self.posts: list[tuple[int, int]] = []  # (status id, author)
        self.reposts: list[tuple[int, int]] = []

    @property
    def ctx(self) -> Any:
        return self.client.ctx

    def someone(self) -> User:
        return self.rng.choice(self.users)

    async def step(self) -> None:
        rng, ctx = self.rng, self.ctx
        kind = rng.choices(["post", "reply", "like", "unlike", "repost", "unrepost", "delete",
                            "follow", "unfollow", "feedback", "optout", "limit", "later"],
                           [6, 2, 12, 2, 4, 1, 1, 2, 1, 3, 1, 1, 1])[0]
        ctx.clock.advance(rng.randint(1, 600))
        try:
            if kind == "post" or (kind == "reply" and self.posts):
                u = self.someone()
                fields: dict[str, Any] = {"visibility": rng.choice(
                    ["public"] * 6 + ["unlisted", "private", "direct"])}
                if kind == "reply":
                    fields["in_reply_to_id"] = str(rng.choice(self.posts)[0])
                r = await self.client.post("/api/v1/statuses", as_=u, json={
                    "status": f"{kind} by {u.username}", **fields})
                if r.status_code == 200:  # else a reply to a post the replier cannot see
                    self.posts.append((int(r.json()["id"]), u.id))
            elif kind in ("like", "unlike", "repost") and self.posts:
                sid, _ = rng.choice(self.posts)
                u = self.someone()
                if kind == "like":
                    await favourite(ctx, u.id, sid)
                elif kind == "unlike":
                    await unfavourite(ctx, u.id, sid)
                else:
                    self.reposts.append((await reblog(ctx, u.id, sid), u.id))
            elif kind == "unrepost" and self.reposts:
                rid, who = self.reposts.pop(rng.randrange(len(self.reposts)))
                if rng.random() < 0.5:
                    await delete_status(ctx, who, rid)
                else:
                    async with ctx.db.read() as conn:
                        of = (await conn.execute(select(statuses.c.reblog_of_id).where(
                            statuses.c.id == rid))).scalar()
                    if of is not None:
                        await unreblog(ctx, who, of)
            elif kind == "delete" and self.posts:
                sid, author = self.posts.pop(rng.randrange(len(self.posts)))
                await delete_status(ctx, author, sid)
            elif kind == "follow":
                await follow(ctx, self.someone().id, self.someone().id)
            elif kind == "unfollow":
                await unfollow(ctx, self.someone().id, self.someone().id)
            elif kind == "feedback" and self.posts:
                await give_feedback(ctx, rng.choice(self.users[:3]).id,
                                    rng.choice(self.posts)[0],
                                    rng.choice(["more", "less", "less", None]))
            elif kind == "optout" and self.posts:
                sid, author = rng.choice(self.posts)
                if rng.random() < 0.5:
                    await set_status_recommendable(ctx, author, sid, False)
                else:
                    await set_account_recommendable(ctx, author, rng.random() < 0.5)
            elif kind == "limit" and self.posts:
                await self.limit_reach(*rng.choice(self.posts))
            elif kind == "later":
                ctx.clock.advance(rng.choice([3600 * 10, 3600 * 30]))
        except (Invalid, NotFound):
            pass  # a step the rules refuse (a post one cannot see, a self-follow ...)

    async def limit_reach(self, sid: int, author: int) -> None:
        """Stand in for a moderator's decision (actions/moderation.py writes these rows)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as tx:
            if self.rng.random() < 0.5:
                await tx.execute(delete(status_moderation)
                                 .where(status_moderation.c.status_id == sid))
                await tx.execute(insert(status_moderation).values(
                    status_id=sid, reach_limited=True, interstitial=False, removed=False,
                    updated_at=now))
            else:
                await tx.execute(delete(account_moderation)
                                 .where(account_moderation.c.account_id == author))
                await tx.execute(insert(account_moderation).values(
                    account_id=author, reach_limited=True, updated_at=now))


@pytest.mark.parametrize("seed", [1, 2])
async def test_gather_equals_the_reference_and_the_index_a_rebuild(client: Client,
                                                                   seed: int) -> None:
    rng = random.Random(seed)
    users = [await client.user(f"u{i}") for i in range(12)]
    world = World(client, users, rng)
    # two camps who follow their own producers, so that the job finds communities
    for i, u in enumerate(users):
        for v in users:
            if u is not v and (i % 2 == users.index(v) % 2 or rng.random() < 0.15):
                await follow(client.ctx, u.id, v.id)
    viewers = users[:3]
    await block(client.ctx, viewers[0].id, users[5].id)
    await mute(client.ctx, viewers[1].id, users[6].id)
    await unfollow(client.ctx, viewers[2].id, users[4].id)
    w = small_limits()
    for round_ in range(8):
        for _ in range(25):
            await world.step()
        if round_ == 2:
            await run_job(client.ctx)  # communities (and the index) from scratch
        now = client.ctx.clock.now()
        if round_ == 4:  # opinions about authors the viewers are shown
            for v in viewers:
                shown = await reference(client, v.id, now, w)
                for c, kind in zip(shown[::2], ("less", "more", "less"), strict=False):
                    await give_feedback(client.ctx, v.id, c.status_id, kind)
        await index_matches_rebuild(client, now)
        for v in viewers:
            async with client.ctx.db.read() as conn:
                got = await gather(conn, v.id, now, w)
                # on PostgreSQL the social-proof half on a second connection, concurrently
                beside = await gather(conn, v.id, now, w, db=client.ctx.db)
            assert got == await reference(client, v.id, now, w), (round_, v.username)
            assert beside == got, (round_, v.username)
    assert {c.source for v in viewers for c in await reference(
        client, v.id, client.ctx.clock.now(), w)} <= set(SOURCES)


async def test_lost_index_is_rebuilt(client: Client) -> None:
    rng = random.Random(5)
    users = [await client.user(f"u{i}") for i in range(8)]
    for u in users:
        for v in users:
            if u is not v and rng.random() < 0.6:
                await follow(client.ctx, u.id, v.id)
    world = World(client, users, rng)
    for _ in range(40):
        await world.step()
    await run_job(client.ctx)
    for _ in range(40):
        await world.step()
    now = client.ctx.clock.now()
    async with client.ctx.db.read() as conn:
        before = await gather(conn, users[0].id, now, small_limits())
    async with client.ctx.db.write() as tx:
        await tx.execute(delete(community_posts))  # lost
    assert await rebuild_community_index(client.ctx) >= 0
    await index_matches_rebuild(client, now)
    assert await rebuild_community_index(client.ctx) >= 0  # idempotent
    async with client.ctx.db.read() as conn:
        assert await gather(conn, users[0].id, now, small_limits()) == before


async def test_next_page_refreshes_the_first_pages_candidates(client: Client) -> None:
    """A next page ranks the previous page's candidates as they are now: the same posts and
    social proof, every rule and every other signal read again."""
    from townsquare.algorithm.replay import decode_log
    from townsquare.store.tables import served_feeds

    rng = random.Random(9)
    users = [await client.user(f"u{i}") for i in range(10)]
    for u in users:
        for v in users:
            if u is not v and rng.random() < 0.6:
                await follow(client.ctx, u.id, v.id)
    world = World(client, users, rng)
    for _ in range(120):
        await world.step()
    await run_job(client.ctx)
    for _ in range(60):
        await world.step()
    viewer = users[0]

    async def log_of(r: Any) -> dict[str, Any]:
        assert r.status_code == 200, r.text
        served_id = int(r.json()[0]["townsquare"]["ranking"]["served_feed_id"])
        async with client.ctx.db.read() as conn:
            blob = (await conn.execute(select(served_feeds.c.log)
                                       .where(served_feeds.c.id == served_id))).scalar_one()
        return decode_log(blob)

    first = await client.get("/api/v1/townsquare/feeds/for_you", as_=viewer,
                             params={"limit": 3})
    page1 = await log_of(first)
    assert len(logged(page1)) > 6
    cursor = first.headers["link"].split("cursor=")[1].split(">")[0]
    # meanwhile: opinions, a block, an opt-out, limited reach, likes, a deletion, time
    shown = logged(page1)
    await give_feedback(client.ctx, viewer.id, shown[-1].status_id, "less")
    await give_feedback(client.ctx, viewer.id, shown[-2].status_id, "more")
    strangers = [c for c in shown if c.author_id != shown[-1].author_id]
    await block(client.ctx, viewer.id, strangers[0].author_id)
    await set_status_recommendable(client.ctx, shown[1].author_id, shown[1].status_id, False)
    await world.limit_reach(shown[2].status_id, shown[2].author_id)
    for c in shown[:4]:
        await favourite(client.ctx, users[-1].id, c.status_id)
    await delete_status(client.ctx, shown[3].author_id, shown[3].status_id)
    client.ctx.clock.advance(3600)  # type: ignore[attr-defined]
    second = await client.get("/api/v1/townsquare/feeds/for_you", as_=viewer,
                              params={"limit": 3, "cursor": cursor})
    page2 = await log_of(second)
    served = set(page1["exclude"]) | set(page1["result"])
    assert page2["exclude"] == sorted(served)
    only = {c.status_id: (c.source, c.social_proof) for c in shown
            if c.status_id not in served}
    expected = await reference(client, viewer.id, client.ctx.clock.now(), current(), only)
    got = logged(page2)
    assert got == expected
    assert len(got) < len(only)  # the block, the opt-out or the deletion took some away
    assert not {int(s["id"]) for s in second.json()} & served


async def test_next_page_counts_a_campaign_once(client: Client) -> None:
    from tests.integrity.test_ranking_collapse import mark_campaign
    from townsquare.algorithm.replay import decode_log
    from townsquare.store.tables import served_feeds

    viewer = await client.user("viewer")
    author = await client.user("author")
    ring = [await client.user(f"ring{i}") for i in range(4)]
    friend = await client.user("friend")
    posts = [int((await client.post_status(author, f"boost me {i}"))["id"]) for i in range(2)]
    for member in ring:
        await follow(client.ctx, viewer.id, member.id)
    await follow(client.ctx, viewer.id, friend.id)
    for sid in posts:
        for member in ring:
            await favourite(client.ctx, member.id, sid)
            await reblog(client.ctx, member.id, sid)
        await favourite(client.ctx, friend.id, sid)
    await mark_campaign(client, [m.id for m in ring])

    async def page(params: dict[str, Any]) -> tuple[Any, list[Candidate]]:
        r = await client.get("/api/v1/townsquare/feeds/for_you", as_=viewer, params=params)
        assert r.status_code == 200, r.text
        served_id = int(r.json()[0]["townsquare"]["ranking"]["served_feed_id"])
        async with client.ctx.db.read() as conn:
            blob = (await conn.execute(select(served_feeds.c.log)
                                       .where(served_feeds.c.id == served_id))).scalar_one()
        return r, logged(decode_log(blob))

    first, cands = await page({"limit": 1})
    assert {(c.likes, c.reblogs, c.social_proof) for c in cands} == {(2, 1, 2)}
    cursor = first.headers["link"].split("cursor=")[1].split(">")[0]
    _, cands = await page({"limit": 1, "cursor": cursor})
    assert [(c.likes, c.reblogs, c.social_proof) for c in cands] == [(2, 1, 2)]
