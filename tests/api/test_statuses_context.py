"""GET /api/v1/statuses/:id/context: ancestors root first, descendants depth-first, each
filtered by what the viewer may see, blocks and mutes; in a fixed number of queries."""

from __future__ import annotations

from tests.helpers import Client
from townsquare.actions import relationships


async def test_context_order_and_visibility(client: Client) -> None:
    alice, bob, carol, dan = (await client.user("alice"), await client.user("bob"),
                              await client.user("carol"), await client.user("dan"))
    await relationships.follow(client.ctx, carol.id, bob.id)

    async def reply(user: object, to: dict[str, str], text: str, **kw: str) -> dict[str, str]:
        return await client.post_status(user, text, in_reply_to_id=to["id"], **kw)  # type: ignore[arg-type]

    root = await client.post_status(alice, "root")
    a = await reply(bob, root, "a")
    a1 = await reply(alice, a, "a1")
    secret = await reply(bob, root, "followers only", visibility="private")
    b = await reply(carol, root, "b")
    a2 = await reply(carol, a, "a2")
    a1x = await reply(dan, a1, "a1x")

    def ids(items: list[dict[str, str]]) -> list[str]:
        return [s["id"] for s in items]

    r = await client.get(f"/api/v1/statuses/{root['id']}/context", as_=carol)
    assert r.json()["ancestors"] == []
    assert ids(r.json()["descendants"]) == ids([a, a1, a1x, a2, secret, b])
    # A stranger (and anonymous) does not see the followers-only reply.
    for viewer in (dan, None):
        r = await client.get(f"/api/v1/statuses/{root['id']}/context", as_=viewer)
        assert ids(r.json()["descendants"]) == ids([a, a1, a1x, a2, b])
    r = await client.get(f"/api/v1/statuses/{a1x['id']}/context", as_=dan)
    assert ids(r.json()["ancestors"]) == ids([root, a, a1])
    assert r.json()["descendants"] == []
    r = await client.get(f"/api/v1/statuses/{secret['id']}/context", as_=dan)
    assert r.status_code == 404

    # Blocks and mutes take their posts out.
    await relationships.block(client.ctx, dan.id, alice.id)
    await relationships.mute(client.ctx, carol.id, dan.id)
    r = await client.get(f"/api/v1/statuses/{a['id']}/context", as_=carol)
    assert ids(r.json()["ancestors"]) == ids([root])
    assert ids(r.json()["descendants"]) == ids([a1, a2])
    r = await client.get(f"/api/v1/statuses/{a['id']}/context", as_=dan)
    # alice's posts are gone for dan; his own reply below hers keeps its place.
    assert r.json()["ancestors"] == [] and ids(r.json()["descendants"]) == ids([a1x, a2])


async def test_context_costs_a_fixed_number_of_queries(client: Client) -> None:
    alice = await client.user("alice")
    root = await client.post_status(alice, "root")

    async def count() -> int:
        with client.ctx.db.counting() as n:
            r = await client.get(f"/api/v1/statuses/{root['id']}/context", as_=alice)
            assert r.status_code == 200
        return n[0]

    parent = root
    for i in range(3):
        parent = await client.post_status(alice, f"r{i}", in_reply_to_id=parent["id"])
    small = await count()
    for i in range(12):
        parent = await client.post_status(alice, f"s{i}", in_reply_to_id=parent["id"])
    assert await count() == small
