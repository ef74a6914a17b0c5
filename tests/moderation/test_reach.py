"""Limited reach: the post stays up for anyone who looks, is never recommended to
non-followers, and says so on itself."""

from __future__ import annotations

from tests.algorithm.test_feeds_api import FOR_YOU, ids, world
from tests.helpers import Client
from tests.moderation.test_decisions import moderator
from townsquare.actions.relationships import follow


async def test_limited_post_leaves_ranked_feeds_of_non_followers_only(client: Client) -> None:
    w = await world(client)
    u, p = w["u"], w["posts"]
    viewer = u["viewer"]
    assert p["x"] in ids(await client.get(FOR_YOU, as_=viewer))
    mo = await moderator(client, "mo")
    r = await client.post("/api/v1/townsquare/moderation/decisions", as_=mo, json={
        "kind": "limit_reach", "status_id": p["x"], "facts": "Engagement bait.",
        "ground_type": "rule", "ground_reference": "3"})
    assert r.status_code == 200, r.text
    assert p["x"] not in ids(await client.get(FOR_YOU, as_=viewer))
    r = await client.post("/api/v1/townsquare/custom_feeds/preview", as_=viewer, json={
        "definition": {"sources": ["in_network", "social_proof", "community", "tags"],
                       "tags": ["topic"]}})
    assert p["x"] not in ids(r)
    # still there for anyone who looks, with the limit shown on the post
    seen = (await client.get(f"/api/v1/statuses/{p['x']}", as_=viewer)).json()
    assert seen["townsquare"]["moderation"]["reach_limited"] is True
    assert p["x"] in ids(await client.get("/api/v1/timelines/public", as_=viewer))
    # followers still get it in their ranked feeds
    await follow(client.ctx, viewer.id, u["x"].id)
    assert p["x"] in ids(await client.get(FOR_YOU, as_=viewer))


async def test_limited_account_leaves_ranked_feeds_of_non_followers(client: Client) -> None:
    w = await world(client)
    u, p = w["u"], w["posts"]
    mo = await moderator(client, "mo")
    r = await client.post("/api/v1/townsquare/moderation/decisions", as_=mo, json={
        "kind": "limit_account_reach", "account_id": str(u["x"].id),
        "facts": "Repeated engagement bait.", "ground_type": "rule", "ground_reference": "3"})
    assert r.status_code == 200, r.text
    assert p["x"] not in ids(await client.get(FOR_YOU, as_=u["viewer"]))
