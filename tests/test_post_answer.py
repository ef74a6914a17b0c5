"""The answer to POST /api/v1/statuses is built from what the post writer knows
(api/answer.py), not read back: it must be, field for field, what `load_one` gives the author
for the same post. Every kind of post is checked both ways: through the API (the answer as
sent) and through `create_post` + `built` directly (so that the built path, not the read-back
fallback, is what is compared for every post that takes it). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from tests.api.test_media import image_bytes, upload
from tests.helpers import ALL_SCOPES, Client, User
from townsquare.actions import labelers
from townsquare.actions import moderation as mod
from townsquare.actions.oauth import NewApp, create_app, issue_token
from townsquare.actions.statuses import NewPoll, NewStatus, create_post
from townsquare.api.answer import answer, built
from townsquare.queries.statuses import load_one


def as_json(entity: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(entity))


async def loaded(client: Client, status_id: int | str, viewer: int) -> Any:
    async with client.ctx.db.read() as conn:
        status = await load_one(client.ctx, conn, int(status_id), viewer)
    assert status is not None
    return as_json(status)


async def post_and_compare(client: Client, user: User, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post("/api/v1/statuses", as_=user, json=body)
    assert r.status_code == 200, r.text
    sent: dict[str, Any] = r.json()
    assert sent == await loaded(client, sent["id"], user.id), body
    return sent


async def built_and_compare(client: Client, author: int, new: NewStatus, *,
                            plain: bool = True) -> Any:
    """The writer's answer, built without the database, against load_one."""
    posted = await create_post(client.ctx, author, new)
    assert posted.plain is plain, new
    got = as_json(built(client.ctx, posted) if plain
                  else await answer(client.ctx, posted, author))
    assert got == await loaded(client, posted.status_id, author), new
    return got


async def test_every_kind_of_post_is_answered_as_load_one_shows_it(client: Client) -> None:
    ctx = client.ctx
    alice = await client.user("alice")
    bob = await client.user("bob")
    await client.user("CarolX")
    await client.follow(bob, alice)
    await client.follow(alice, bob)
    # Tags that exist already (their ids are older than the new ones in the posts below).
    await client.post_status(bob, "#zeta #Mid")

    bodies: list[dict[str, Any]] = [
        {"status": "hello"},
        {"status": "hi @bob and @carolx and @nobody and @Bob again, #Tag1 #tag1 #alpha "
                   "#zeta #mid #new_one https://example.org/a?b=c&d"},
        {"status": "followers only @bob", "visibility": "private"},
        {"status": "just for @CarolX", "visibility": "direct"},
        {"status": "quietly", "visibility": "unlisted"},
        {"status": "spoiled", "spoiler_text": "cw: food", "language": "de"},
        {"status": "sensitive", "sensitive": True},
        {"status": "para one\n\npara <two> & \"three\"\nline"},
        {"status": "which?", "poll": {"options": ["a", "b", "c"], "expires_in": 600}},
        {"status": "several", "poll": {"options": ["x", "y"], "expires_in": 3600,
                                       "multiple": True, "hide_totals": True}},
    ]
    for body in bodies:
        await post_and_compare(client, alice, body)

    # Replies: to someone else's post, to one's own, and a followers-only reply.
    theirs = await client.post_status(bob, "a question")
    mine = await client.post_status(alice, "thinking aloud")
    for parent, visibility in ((theirs, "public"), (mine, "public"), (theirs, "private")):
        sent = await post_and_compare(client, alice, {
            "status": "@bob an answer", "in_reply_to_id": parent["id"],
            "visibility": visibility})
        assert sent["in_reply_to_id"] == parent["id"]

    # Media: two attachments, one described and focused, and an id repeated.
    m1 = (await upload(client, alice, image_bytes(), description="a red square")).json()
    m2 = (await upload(client, alice, image_bytes(size=(10, 30)), focus="0.5,-0.25")).json()
    sent = await post_and_compare(client, alice, {"status": "pictures",
                                                  "media_ids": [m1["id"], m2["id"]]})
    assert [m["id"] for m in sent["media_attachments"]] == [m1["id"], m2["id"]]
    m3 = (await upload(client, alice, image_bytes())).json()
    m4 = (await upload(client, alice, image_bytes())).json()
    sent = await post_and_compare(client, alice, {"media_ids": [m3["id"], m4["id"], m3["id"]]})
    assert [m["id"] for m in sent["media_attachments"]] == [m4["id"], m3["id"]]

    # A quote nests the quoted post as the author sees it: read back (not plain).
    quoted = await client.post_status(bob, "quotable #zeta")
    sent = await post_and_compare(client, alice, {"status": "this", "quote_id": quoted["id"]})
    assert sent["quote"]["id"] == quoted["id"]

    # The author's default visibility applies when none is given.
    r = await client.patch("/api/v1/accounts/update_credentials", as_=alice,
                           data={"source[privacy]": "private"})
    assert r.status_code == 200, r.text
    sent = await post_and_compare(client, alice, {"status": "by default"})
    assert sent["visibility"] == "private"

    # Posted through an app: its name and website.
    app = await create_app(ctx, NewApp("Tooter", ["urn:ietf:wg:oauth:2.0:oob"], ALL_SCOPES,
                                       "https://tooter.example"))
    _, token = await issue_token(ctx, app.id, alice.id, ALL_SCOPES)
    via_app = User(alice.id, alice.username, token)
    sent = await post_and_compare(client, via_app, {"status": "from my phone"})
    assert sent["application"] == {"name": "Tooter", "website": "https://tooter.example"}


async def test_the_built_answer_is_the_one_load_one_gives(client: Client) -> None:
    """The same kinds of post through create_post + built, so the comparison is known to be
    of the built answer (the API test above would pass with a read-back too)."""
    ctx = client.ctx
    alice = await client.user("alice")
    bob = await client.user("bob")
    await client.user("CarolX")
    await client.follow(bob, alice)
    await client.post_status(bob, "#zeta")
    parent = await client.post_status(bob, "a question")
    m1 = (await upload(client, alice, image_bytes(), description="red")).json()
    m2 = (await upload(client, alice, image_bytes(), focus="0.1,0.2")).json()
    cases = [
        NewStatus(text="hi @bob @carolx @ghost #new #zeta #Zeta https://example.org"),
        NewStatus(text="to @bob", visibility="private"),
        NewStatus(text="to @carolx", visibility="direct"),
        NewStatus(text="quiet", visibility="unlisted", spoiler_text="cw", language="fr"),
        NewStatus(text="@bob yes", in_reply_to_id=int(parent["id"])),
        NewStatus(text="media", media_ids=[int(m1["id"]), int(m2["id"])], sensitive=True),
        NewStatus(text="poll", poll=NewPoll(["one", "two"], 900, multiple=True)),
        NewStatus(text="poll", poll=NewPoll(["one", "two", "three"], 300, hide_totals=True)),
    ]
    for new in cases:
        await built_and_compare(client, alice.id, new)
    got = await built_and_compare(client, alice.id, NewStatus(text="q", quote_id=int(
        parent["id"])), plain=False)
    assert got["quote"]["id"] == parent["id"]

    # Many at once: one transaction for all (group commit), each answer its own.
    news = [NewStatus(text=f"burst {i} @bob #burst{i % 3}",
                      visibility=("public", "private", "unlisted", "direct")[i % 4])
            for i in range(12)]
    posted = await asyncio.gather(*(create_post(ctx, alice.id if i % 2 else bob.id, new)
                                    for i, new in enumerate(news)))
    for p in posted:
        assert p.plain
        assert as_json(built(ctx, p)) == await loaded(client, p.status_id, p.author.id)


async def test_authors_under_moderation_or_labels_are_read_back(client: Client) -> None:
    """What only load_statuses shows (limited reach, labels on the account) is not built."""
    from tests.moderation.test_decisions import moderator

    ctx = client.ctx
    cat = await client.user("cat")
    dan = await client.user("dan")
    eve = await client.user("eve")
    mo = await moderator(client, "mo")
    await built_and_compare(client, cat.id, NewStatus(text="before"))

    await mod.decide(ctx, mo.id, mod.DecisionRequest(
        kind="limit_account_reach", account_id=cat.id, facts="spam", ground_type="rule",
        ground_reference="3"))
    got = await built_and_compare(client, cat.id, NewStatus(text="limited"), plain=False)
    assert got["townsquare"]["moderation"]["reach_limited"] is True
    await post_and_compare(client, cat, {"status": "limited, over HTTP"})

    await mod.decide(ctx, mo.id, mod.DecisionRequest(
        kind="label_account", account_id=dan.id, label="state-affiliated-media",
        facts="outlet", ground_type="rule", ground_reference="5"))
    got = await built_and_compare(client, dan.id, NewStatus(text="news"), plain=False)
    assert [x["value"] for x in got["townsquare"]["labels"]] == ["state-affiliated-media"]

    # A labeler's label on an account the author subscribes to shows on their own posts.
    await labelers.define_label(ctx, eve.id, "satire", "Satire, not news.", "hide")
    await labelers.apply_label(ctx, eve.id, "satire", account_id=cat.id)
    await labelers.subscribe(ctx, cat.id, eve.id)
    await post_and_compare(client, cat, {"status": "satire?"})
