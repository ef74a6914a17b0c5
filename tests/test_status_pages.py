"""The cached page renderer (queries/status_pages.py) gives exactly what `load_statuses`
gives, for every viewer, before and after every kind of change.

A small square with everything that shapes a status (visibilities, replies, reposts, quotes
of quotes, polls of each kind, media, mentions, likes, bookmarks, pins, hidden posts,
labels from the platform and from a labeler, limited reach, interstitials, removals, a
suspension, a detached quote, muted words) is read by every account and by an anonymous
reader, through both paths, and the decoded JSON must be equal. Then each change is made
through its action and everything is compared again, with the caches warm: a stale entry
would show up as a difference.
"""

from __future__ import annotations

import random
from contextlib import suppress
from typing import Any

import msgspec
from sqlalchemy import select

from tests.api.readpath_helpers import attach_media
from tests.helpers import Client, User
from tests.moderation.test_decisions import moderator
from townsquare.actions import (
    accounts,
    filters,
    interactions,
    labelers,
    polls,
    relationships,
    user_controls,
)
from townsquare.actions import moderation as mod
from townsquare.actions.errors import ActionError
from townsquare.actions.statuses import (
    NewPoll,
    NewStatus,
    StatusChange,
    create_status,
    delete_status,
    edit_status,
)
from townsquare.queries.status_docs import doc_cache
from townsquare.queries.status_pages import Viewer, render
from townsquare.queries.statuses import load_ordered
from townsquare.store.tables import polls as polls_table
from townsquare.store.tables import users


class World:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.ctx = client.ctx
        self.users: list[User] = []
        self.posts: list[int] = []
        self.quote_of_ben = 0

    async def post(self, who: User, text: str, **kw: Any) -> int:
        sid = await create_status(self.ctx, who.id, NewStatus(text=text, **kw))
        self.posts.append(sid)
        return sid


async def build(client: Client) -> World:
    w = World(client)
    ctx = client.ctx
    rng = random.Random(5)
    names = ["ann", "ben", "cat", "dan", "eve", "fay"]
    w.users = [await client.user(n, locked=(n == "fay")) for n in names]
    ann, ben, cat, dan, eve, fay = w.users
    for a, b in [(ann, ben), (ann, cat), (ben, ann), (cat, dan), (dan, ann), (eve, ben),
                 (ann, fay), (ben, cat), (fay, ann)]:
        await relationships.follow(ctx, a.id, b.id)
    await relationships.block(ctx, eve.id, dan.id)
    for u in w.users:
        await w.post(u, f"public from {u.username} #sq")
        await w.post(u, f"unlisted from {u.username}", visibility="unlisted")
        await w.post(u, f"private from {u.username} @{rng.choice(names)}", visibility="private")
        await w.post(u, f"direct @{rng.choice(names)} from {u.username}", visibility="direct")
    publics = [p for p in w.posts[::4]]
    for u in w.users:
        parent = rng.choice(w.posts)
        with suppress(ActionError):  # a parent they may not see: one reply less
            await w.post(u, f"reply by {u.username}", in_reply_to_id=parent)
    q1 = w.quote_of_ben = await w.post(ann, "quoting ben", quote_id=publics[1])
    q2 = await w.post(cat, "quoting a quote", quote_id=q1)
    await w.post(dan, "quoting the quote of a quote", quote_id=q2)
    await w.post(ben, "single poll", poll=NewPoll(["yes", "no"], 3600))
    await w.post(cat, "multiple poll", poll=NewPoll(["a", "b", "c"], 600, multiple=True))
    await w.post(dan, "hidden totals", poll=NewPoll(["x", "y"], 3600, hide_totals=True))
    pic = await w.post(eve, "a picture")
    await attach_media(client, eve, str(pic))
    for u in w.users:
        for target in rng.sample([*publics, q1, q2], 3):
            with suppress(ActionError):  # own post or already reposted
                w.posts.append(await interactions.reblog(ctx, u.id, target))
        for target in rng.sample(w.posts, 5):
            for act in (interactions.favourite, interactions.bookmark):
                with suppress(ActionError):  # not visible to them
                    await act(ctx, u.id, target)
    await interactions.pin(ctx, ann.id, publics[0])
    await user_controls.hide_status(ctx, ben.id, publics[2])
    return w


async def viewer_of(conn: Any, user: User | None) -> Viewer | None:
    if user is None:
        return None
    row = (await conn.execute(select(users.c.relations_version, users.c.marks_version)
                              .where(users.c.account_id == user.id))).one()
    return Viewer(user.id, row.relations_version, row.marks_version)


async def compare(w: World, label: str) -> int:
    """Both paths for every reader; returns how many items were compared."""
    ctx = w.ctx
    rng = random.Random(len(w.posts))
    lists = [list(w.posts), list(reversed(w.posts)), rng.sample(w.posts, len(w.posts) // 2)]
    compared = 0
    for reader in [None, *w.users]:
        for ids in lists:
            async with ctx.db.read() as conn:
                viewer = await viewer_of(conn, reader)
                got = [msgspec.json.decode(b) for b in await render(ctx, conn, ids, viewer)]
                want = [msgspec.json.decode(msgspec.json.encode(s)) for s in
                        await load_ordered(ctx, conn, ids, reader.id if reader else None)]
            who = reader.username if reader else "anonymous"
            assert [x["id"] for x in got] == [x["id"] for x in want], (label, who)
            for a, b in zip(got, want, strict=True):
                assert a == b, (label, who, a["id"])
            compared += len(want)
    return compared


async def test_cached_pages_equal_load_statuses_through_every_change(client: Client) -> None:
    w = await build(client)
    ctx = client.ctx
    ann, ben, cat, dan, eve, fay = w.users
    assert await compare(w, "cold") > 200
    assert doc_cache(ctx).statuses, "the first pass filled the cache"
    await compare(w, "warm")

    target = w.posts[0]  # ann's public post
    changes: list[tuple[str, Any]] = [
        ("like", lambda: interactions.favourite(ctx, dan.id, target)),
        ("unlike", lambda: interactions.unfavourite(ctx, dan.id, target)),
        ("bookmark", lambda: interactions.bookmark(ctx, cat.id, target)),
        ("reblog", lambda: interactions.reblog(ctx, eve.id, w.posts[4])),
        ("pin", lambda: interactions.pin(ctx, ben.id, w.posts[4])),
        ("hide", lambda: user_controls.hide_status(ctx, ann.id, w.posts[8])),
        ("edit", lambda: edit_status(ctx, ann.id, target, StatusChange(
            text="edited #sq @ben", spoiler_text="cw"))),
        ("profile", lambda: accounts.update_profile(ctx, ben.id, accounts.ProfileUpdate(
            display_name="Ben B."))),
        ("follow", lambda: relationships.follow(ctx, dan.id, ben.id)),
        ("unfollow", lambda: relationships.unfollow(ctx, ann.id, cat.id)),
        ("block", lambda: relationships.block(ctx, ben.id, cat.id)),
        ("unblock", lambda: relationships.unblock(ctx, eve.id, dan.id)),
        ("detach quote", lambda: user_controls.detach_quote(ctx, ben.id, w.quote_of_ben)),
        ("delete", lambda: delete_status(ctx, cat.id, w.posts[8])),
        ("muted word", lambda: filters.create_filter(ctx, dan.id, filters.FilterInput(
            title="no polls", context=["home", "public"], filter_action="warn",
            keywords=[filters.Keyword("poll")]))),
    ]
    for label, change in changes:
        await change()
        await compare(w, label)

    with_polls = await _poll_statuses(ctx)
    poll_status = next(p for p in w.posts if p in with_polls)
    async with ctx.db.read() as conn:
        poll_id = (await conn.execute(select(polls_table.c.id).where(
            polls_table.c.status_id == poll_status))).scalar_one()
    await polls.vote(ctx, ann.id, poll_id, [0])
    await compare(w, "vote")
    ctx.clock.advance(3601)  # type: ignore[attr-defined]
    await compare(w, "polls expired")

    mo = await moderator(client, "mo")
    decisions = [
        mod.DecisionRequest(kind="label", status_id=w.posts[1], label="graphic",
                            facts="gore", ground_type="rule", ground_reference="4"),
        mod.DecisionRequest(kind="interstitial", status_id=w.posts[5], facts="shock",
                            ground_type="rule", ground_reference="4"),
        mod.DecisionRequest(kind="limit_reach", status_id=w.posts[9], facts="spammy",
                            ground_type="rule", ground_reference="3"),
        mod.DecisionRequest(kind="limit_account_reach", account_id=cat.id, facts="spam",
                            ground_type="rule", ground_reference="3"),
        mod.DecisionRequest(kind="label_account", account_id=dan.id,
                            label="state-affiliated-media", facts="outlet",
                            ground_type="rule", ground_reference="5"),
        mod.DecisionRequest(kind="remove", status_id=w.posts[12], facts="illegal",
                            ground_type="rule", ground_reference="1"),
        mod.DecisionRequest(kind="suspend", account_id=fay.id, facts="impersonation",
                            ground_type="rule", ground_reference="5"),
    ]
    for req in decisions:
        await mod.decide(ctx, mo.id, req)
        await compare(w, req.kind)

    await labelers.define_label(ctx, eve.id, "satire", "Satire, not news.", "hide")
    await labelers.apply_label(ctx, eve.id, "satire", status_id=w.posts[16])
    await compare(w, "labeler label")
    await labelers.subscribe(ctx, ann.id, eve.id)
    await compare(w, "subscribed to the labeler")


async def _poll_statuses(ctx: Any) -> set[int]:
    async with ctx.db.read() as conn:
        return {s for (s,) in await conn.execute(select(polls_table.c.status_id))}
