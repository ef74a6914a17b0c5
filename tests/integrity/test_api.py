"""Honest trends and polls, campaigns and their evidence, the automation queue, the
state-affiliated media list, over the API."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select

from tests.helpers import Client, User
from townsquare.actions import moderation as mod
from townsquare.actions.integrity import run_detection
from townsquare.integrity.campaigns import campaign_of
from townsquare.model.clock import FrozenClock
from townsquare.store.tables_moderation import moderation_decisions

MOD_SCOPES = ["read", "write", "follow", "admin:read", "admin:write"]


async def established(client: Client, clock: FrozenClock, names: list[str]) -> list[User]:
    """Accounts 31 days old with 5 posts each: they count under the published rule."""
    users = [await client.user(n) for n in names]
    for u in users:
        for k in range(5):
            await client.post_status(u, f"ordinary post {k} by {u.username}")
    clock.advance(31 * 86400)
    return users


async def tags(client: Client) -> dict[str, Any]:
    r = await client.get("/api/v1/trends/tags")
    assert r.status_code == 200, r.text
    return {t["name"]: t for t in r.json()}


async def test_post_then_delete_burst_adds_nothing_and_new_accounts_do_not_count(
        client: Client, clock: FrozenClock) -> None:
    people = await established(client, clock, [f"p{i}" for i in range(6)])
    for u in people[:4]:
        await client.post_status(u, "the river festival tonight #riverfest")
    before = await tags(client)
    assert before["riverfest"]["townsquare"]["voices"] == 4
    # A burst: the six established accounts post a tag and delete it at once.
    for u in people:
        status = await client.post_status(u, "push this everywhere #deleteburst")
        r = await client.delete(f"/api/v1/statuses/{status['id']}", as_=u)
        assert r.status_code == 200
    # Twenty fresh accounts push another tag: raw volume, no established voice.
    for i in range(20):
        await client.post_status(await client.user(f"fresh{i}"), "#freshpush now")
    after = await tags(client)
    assert "deleteburst" not in after and "freshpush" not in after
    assert after["riverfest"]["townsquare"]["score"] == before["riverfest"]["townsquare"]["score"]
    why = (await client.get("/api/v1/townsquare/trends/why/freshpush")).json()
    assert why["trending"] is False and "established" in why["established_rule"]
    why = (await client.get("/api/v1/townsquare/trends/why/riverfest")).json()
    assert why["trending"] is True and why["voices"] == 4 and "4 distinct voices" in why["why"]


async def test_brigade_of_new_accounts_moves_raw_result_not_established(
        client: Client, clock: FrozenClock) -> None:
    voters = await established(client, clock, [f"v{i}" for i in range(6)])
    status = await client.post_status(voters[0], "Which bridge should be repaired first?",
                                      poll={"options": ["north", "south", "east"],
                                            "expires_in": 86400})
    poll_id = status["poll"]["id"]
    for k, u in enumerate(voters):
        clock.advance(300)
        r = await client.post(f"/api/v1/polls/{poll_id}/votes", as_=u,
                              json={"choices": [k % 2]})
        assert r.status_code == 200, r.text
    before = (await client.get(f"/api/v1/townsquare/polls/{poll_id}/integrity")).json()
    assert before["raw"]["votes"] == [3, 3, 0] and before["established"]["votes"] == [3, 3, 0]
    assert before["anomalous"] is False
    brigade = [await client.user(f"b{i}") for i in range(15)]
    clock.advance(3600)
    for u in brigade:
        clock.advance(2)
        r = await client.post(f"/api/v1/polls/{poll_id}/votes", as_=u, json={"choices": [2]})
        assert r.status_code == 200, r.text
    after = (await client.get(f"/api/v1/townsquare/polls/{poll_id}/integrity")).json()
    assert after["raw"]["votes"] == [3, 3, 15]
    assert after["established"] == before["established"]
    assert after["votes_from_new_accounts"] == 15 and after["new_account_voters"] == 15
    assert after["anomalous"] is True and after["bursts"][0]["from_new_accounts"] >= 10
    assert (await client.get("/api/v1/townsquare/polls/999/integrity")).status_code == 404


async def test_copy_paste_campaign_is_found_labelled_and_shown(
        client: Client, clock: FrozenClock) -> None:
    crew = await established(client, clock, [f"c{i}" for i in range(5)])
    bystanders = await established(client, clock, [f"o{i}" for i in range(30)])
    rng = random.Random(5)
    words = ["lunch", "river", "weather", "tram", "bakery", "garden", "concert", "library",
             "bicycle", "market", "school", "harbour", "rain", "coffee", "ferry", "museum"]
    messages = ["The harbour vote was rigged, everyone must share this before it is deleted",
                "Mayor Lind secretly sold the park to developers, the documents prove it all",
                "Do not trust the river report, the water numbers were invented by officials",
                "The new tram line is a scam to enrich the council, boycott the opening day"]
    for text in messages:
        for u in crew:
            clock.advance(20)
            await client.post_status(u, text + " #truth")
        clock.advance(3600)
        for u in bystanders:
            clock.advance(7)
            await client.post_status(u, " ".join(rng.choices(words, k=12)))
    result = await run_detection(client.ctx)
    assert result.campaigns == 1 and result.members == 5
    listed = (await client.get("/api/v1/townsquare/campaigns")).json()
    assert len(listed) == 1
    page = (await client.get(f"/api/v1/townsquare/campaigns/{listed[0]['id']}")).json()
    assert sorted(m["username"] for m in page["members"]) == sorted(u.username for u in crew)
    assert page["links"] and all(lk["co_actions"] >= 2 for lk in page["links"])
    assert page["shared_actions"][0]["at"] and "text" in page["kinds"]
    async with client.ctx.db.read() as conn:
        found = await campaign_of(conn, [u.id for u in crew + bystanders])
        decisions = (await conn.execute(select(moderation_decisions))).all()
    assert set(found) == {u.id for u in crew}
    assert decisions and all(d.automated_decision and d.label == "coordinated"
                             and d.kind in ("label", "label_account") for d in decisions)
    assert {d.target_account_id for d in decisions} == {u.id for u in crew}
    # Posts stay up (labelled, not removed), and a second run does not label twice.
    r = await client.get(f"/api/v1/accounts/{crew[0].id}/statuses")
    assert len(r.json()) == 9
    again = await run_detection(client.ctx)
    assert again.labelled_posts == 0


async def test_clockwork_account_goes_to_the_moderators_queue(
        client: Client, clock: FrozenClock) -> None:
    bot = await client.user("tick")
    declared = await client.user("declared", bot=True)
    for _ in range(30):
        clock.advance(900)
        await client.post_status(bot, "tick")
        await client.post_status(declared, "tock")
    result = await run_detection(client.ctx)
    assert result.queued == 1
    mona = await client.user("mona", scopes=MOD_SCOPES)
    r = await client.get("/api/v1/townsquare/moderation/integrity_queue", as_=mona)
    assert r.status_code == 403
    await mod.grant_role(client.ctx, "mona", "moderator")
    queue = (await client.get("/api/v1/townsquare/moderation/integrity_queue", as_=mona)).json()
    assert [e["account"]["username"] for e in queue] == ["tick"]
    assert queue[0]["signals"]["clockwork"] is True and "clockwork" in queue[0]["reasons"][0]
    # Queued, never restricted: the account still posts.
    await client.post_status(bot, "still here")
    r = await client.post(f"/api/v1/townsquare/moderation/integrity_queue/{queue[0]['id']}"
                          "/resolve", as_=mona)
    assert r.status_code == 200
    assert (await client.get("/api/v1/townsquare/moderation/integrity_queue",
                             as_=mona)).json() == []


async def test_state_affiliated_media_list(client: Client) -> None:
    outlet = await client.user("statenews")
    mona = await client.user("mona")
    await mod.grant_role(client.ctx, "mona", "moderator")
    await mod.decide(client.ctx, mona.id, mod.DecisionRequest(
        kind="label_account", label="state-affiliated-media", account_id=outlet.id,
        facts="Editorial line set by the ministry of information.", ground_type="rule",
        ground_reference="5"))
    body = (await client.get("/api/v1/townsquare/state_affiliated_media")).json()
    assert [a["account"]["username"] for a in body["accounts"]] == ["statenews"]
    assert "editorial" in body["definition"].lower() and "appeal" in body["contest"]
