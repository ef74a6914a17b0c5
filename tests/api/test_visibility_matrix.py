"""THE proof that followers-only and direct posts never leak.

One author posts at each visibility; seven readers stand in every relationship to them.
Each test function checks one read path for every (visibility, reader) pair against the
single table below. Whoever may not see a post gets a 404 for it, never a 403, and finds
no trace of it in any listing, search, count or notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from tests.api.readpath_helpers import bookmark, ids
from tests.helpers import Client, User
from townsquare.actions import interactions, relationships
from townsquare.actions.statuses import NewPoll, NewStatus, create_status
from townsquare.queries.statuses import load_statuses

VISIBILITIES = ("public", "unlisted", "private", "direct")
READERS = ("anonymous", "stranger", "follower", "mentioned", "author", "blocked", "blocker")

# Who may see a post of each visibility (blocked: the author blocks them; blocker: they
# block the author).
MAY_SEE = {
    "anonymous": {"public", "unlisted"},
    "stranger": {"public", "unlisted"},
    "follower": {"public", "unlisted", "private"},
    "mentioned": {"public", "unlisted", "private", "direct"},
    "author": {"public", "unlisted", "private", "direct"},
    "blocked": set(),
    "blocker": set(),
}
# What arrives in each reader's home timeline (mentions deliver only non-public posts).
IN_HOME = {
    "stranger": set(),
    "follower": {"public", "unlisted", "private"},
    "mentioned": {"private", "direct"},
    "author": {"public", "unlisted", "private", "direct"},
    "blocked": set(),
    "blocker": set(),
}
SIGNED_IN = [r for r in READERS if r != "anonymous"]
WORD = "matrixword"


@dataclass
class World:
    client: Client
    users: dict[str, User]
    posts: dict[str, dict[str, Any]]  # visibility -> top-level post (with a poll)
    children: dict[str, str]  # visibility -> id of the author's public reply to that post
    replies: dict[str, str]  # visibility -> id of the author's reply to op's root
    root: str  # op's public post that the author replies to

    def who(self, reader: str) -> User | None:
        return None if reader == "anonymous" else self.users[reader]

    async def get(self, reader: str, path: str, **params: Any) -> Any:
        return await self.client.get(path, as_=self.who(reader), params=params or None)

    def visible(self, reader: str) -> set[str]:
        """The ids of the top-level posts this reader may see."""
        return {self.posts[v]["id"] for v in MAY_SEE[reader]}


async def build(client: Client) -> World:
    """Set up through the action functions (the one write path the endpoints call) rather
    than over HTTP: the same rows, at a fraction of the cost of a hydrated response each."""
    ctx = client.ctx
    users = {name: await client.user(name) for name in (*SIGNED_IN, "op")}
    author, op = users["author"].id, users["op"].id

    async def post(who: int, text: str, visibility: str, **kw: Any) -> int:
        return await create_status(ctx, who, NewStatus(text=text, visibility=visibility, **kw))

    await relationships.follow(ctx, users["follower"].id, author)
    root = await post(op, "the root", "public")
    top, children, replies = {}, {}, {}
    for v in VISIBILITIES:
        top[v] = await post(author, f"#matrix {WORD} {v} @mentioned", v,
                            poll=NewPoll(["yes", "no"], 3600))
        children[v] = str(await post(author, "and more", "public", in_reply_to_id=top[v]))
        replies[v] = str(await post(author, f"@mentioned reply {v}", v, in_reply_to_id=root))
        await interactions.favourite(ctx, author, top[v])
        if v in ("public", "unlisted"):
            await interactions.reblog(ctx, op, top[v])
    await relationships.block(ctx, author, users["blocked"].id)
    await relationships.block(ctx, users["blocker"].id, author)
    async with ctx.db.read() as conn:
        loaded = await load_statuses(ctx, conn, list(top.values()), author)
    posts = {v: msgspec.to_builtins(loaded[sid]) for v, sid in top.items()}
    return World(client, users, posts, children, replies, str(root))


@pytest.fixture
async def world(client: Client) -> World:
    return await build(client)


def table() -> list[tuple[str, str, bool]]:
    return [(v, r, v in MAY_SEE[r]) for v in VISIBILITIES for r in READERS]


async def test_get_status_and_poll(world: World) -> None:
    for v, reader, may in table():
        post = world.posts[v]
        r = await world.get(reader, f"/api/v1/statuses/{post['id']}")
        assert r.status_code == (200 if may else 404), (v, reader)
        r = await world.get(reader, f"/api/v1/polls/{post['poll']['id']}")
        assert r.status_code == (200 if may else 404), (v, reader, "poll")
        if not may:
            assert WORD not in r.text


async def test_context_as_ancestor_and_descendant(world: World) -> None:
    for v, reader, may in table():
        # The author's public self-reply to the post: its ancestors hold the post iff visible.
        r = await world.get(reader, f"/api/v1/statuses/{world.children[v]}/context")
        if reader in ("blocked", "blocker"):
            assert r.status_code == 404, (v, reader)
        else:
            assert r.status_code == 200, (v, reader)
            assert (world.posts[v]["id"] in ids(r.json()["ancestors"])) == may, (v, reader)
        # The author's reply (at visibility v) to op's root: among its descendants iff visible.
        r = await world.get(reader, f"/api/v1/statuses/{world.root}/context")
        assert r.status_code == 200, (v, reader)
        assert (world.replies[v] in ids(r.json()["descendants"])) == may, (v, reader)


async def test_home_timeline(world: World) -> None:
    for reader in SIGNED_IN:
        r = await world.get(reader, "/api/v1/timelines/home", limit=40)
        got = set(ids(r.json())) & {p["id"] for p in world.posts.values()}
        assert got == {world.posts[v]["id"] for v in IN_HOME[reader]}, reader
        assert got <= world.visible(reader), reader
    assert (await world.get("anonymous", "/api/v1/timelines/home")).status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/timelines/public", "/api/v1/timelines/tag/matrix"])
async def test_public_and_tag_timelines(world: World, path: str) -> None:
    for reader in READERS:
        r = await world.get(reader, path, limit=40)
        got = set(ids(r.json())) & {p["id"] for p in world.posts.values()}
        expected = {world.posts["public"]["id"]} if "public" in MAY_SEE[reader] else set()
        assert got == expected, reader


async def test_account_statuses(world: World) -> None:
    author = world.users["author"]
    for reader in READERS:
        r = await world.get(reader, f"/api/v1/accounts/{author.id}/statuses", limit=40)
        assert r.status_code == 200
        got = set(ids(r.json()))
        assert got & {p["id"] for p in world.posts.values()} == world.visible(reader), reader
        assert got & set(world.replies.values()) == \
            {world.replies[v] for v in MAY_SEE[reader]}, reader


async def test_search(world: World) -> None:
    for reader in READERS:
        r = await world.get(reader, "/api/v2/search", q=WORD, type="statuses", limit=40)
        assert r.status_code == 200
        got = set(ids(r.json()["statuses"]))
        expected = set() if reader == "anonymous" else world.visible(reader)
        assert got == expected, reader
        # A pasted URL of a post resolves only for those who may see it.
        for v in VISIBILITIES:
            url = world.posts[v]["url"]
            r = await world.get(reader, "/api/v2/search", q=url)
            found = ids(r.json()["statuses"])
            may = v in MAY_SEE[reader] and reader != "anonymous"
            assert found == ([world.posts[v]["id"]] if may else []), (v, reader)


async def test_notifications(world: World) -> None:
    for reader in SIGNED_IN:
        r = await world.get(reader, "/api/v1/notifications", limit=80)
        statuses = {n["status"]["id"] for n in r.json() if n["status"]}
        tops = {p["id"] for p in world.posts.values()}
        assert statuses & tops <= world.visible(reader), reader
        if reader == "mentioned":
            mentions = {n["status"]["id"] for n in r.json() if n["type"] == "mention"}
            assert mentions == tops | set(world.replies.values())


async def test_favourited_and_reblogged_by(world: World) -> None:
    for v, reader, may in table():
        for what in ("favourited_by", "reblogged_by"):
            r = await world.get(reader, f"/api/v1/statuses/{world.posts[v]['id']}/{what}")
            assert r.status_code == (200 if may else 404), (v, reader, what)
        if may:
            r = await world.get(reader, f"/api/v1/statuses/{world.posts[v]['id']}/favourited_by")
            assert [a["username"] for a in r.json()] == ["author"]


async def test_bookmarks(world: World) -> None:
    for v, reader, may in table():
        if reader == "anonymous":
            continue
        user = world.users[reader]
        post_id = world.posts[v]["id"]
        if may:
            await bookmark(world.client, user, post_id)
        else:
            r = await world.client.post(f"/api/v1/statuses/{post_id}/bookmark", as_=user)
            assert r.status_code == 404, (v, reader)
    for reader in SIGNED_IN:
        r = await world.get(reader, "/api/v1/bookmarks", limit=40)
        assert set(ids(r.json())) == world.visible(reader), reader


async def test_counts_never_reveal_hidden_posts(world: World) -> None:
    # Replies to op's root at every visibility: only public and unlisted ones are counted.
    for reader in READERS:
        r = await world.get(reader, f"/api/v1/statuses/{world.root}")
        if r.status_code == 200:
            assert r.json()["replies_count"] == 2, reader
    r = await world.get("stranger", f"/api/v1/accounts/{world.users['author'].id}")
    # Counted: the public and unlisted posts, the four public self-replies, and the public
    # and unlisted replies to op.
    assert r.json()["statuses_count"] == 8
