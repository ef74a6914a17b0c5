"""Moderation that hides nothing: every action has a statement, a notice and a log entry;
appeals go to a second moderator and a reversal undoes the action."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Client, User, row_counts
from townsquare.actions import moderation as mod
from townsquare.moderation.policy import KINDS

MOD_SCOPES = ["read", "write", "follow", "admin:read", "admin:write"]


async def moderator(client: Client, name: str) -> User:
    user = await client.user(name, scopes=MOD_SCOPES)
    await mod.grant_role(client.ctx, name, "moderator")
    return user


def action_for(kind: str, status_id: str, account_id: int) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "facts": f"Facts for {kind}.", "ground_type": "rule",
                            "ground_reference": "3"}
    if KINDS[kind].target == "status":
        body["status_id"] = status_id
    else:
        body["account_id"] = str(account_id)
    if KINDS[kind].requires_label:
        body["label"] = "spam"
    return body


@pytest.mark.parametrize("kind", list(KINDS))
async def test_every_action_leaves_statement_notice_and_log(client: Client, kind: str) -> None:
    alice = await client.user("alice")
    mo = await moderator(client, "mo")
    post = await client.post_status(alice, "buy now buy now")
    r = await client.post("/api/v1/townsquare/moderation/decisions", as_=mo,
                          json=action_for(kind, post["id"], alice.id))
    assert r.status_code == 200, r.text
    statement = r.json()
    # The statement of reasons, with the DSA fields.
    for key in ("decision", "visibility_effect", "facts", "ground", "automated_detection",
                "automated_decision", "source", "created_at", "duration", "territorial_scope"):
        assert key in statement
    assert statement["ground"]["text"].startswith("No spam")
    assert statement["decided_by"] == "moderator"
    # The public log, readable by anyone, without personal data.
    log = (await client.get("/api/v1/townsquare/transparency/log")).json()
    assert [e["id"] for e in log] == [statement["id"]]
    assert "moderator_id" not in log[0] and "content_snapshot" not in log[0]
    # The author's notice, with the way to appeal. (Suspension ends the author's sessions, so
    # read their decisions through the action's read path instead of their token.)
    if kind != "suspend":
        mine = (await client.get("/api/v1/townsquare/decisions", as_=alice)).json()
        assert [d["id"] for d in mine] == [statement["id"]]
        assert mine[0]["can_appeal"] is True
    from sqlalchemy import select

    from townsquare.store.tables import notifications
    from townsquare.store.tables_moderation import decision_notifications
    async with client.ctx.db.read() as conn:
        notes = (await conn.execute(
            select(notifications.c.account_id, notifications.c.type)
            .join(decision_notifications,
                  decision_notifications.c.notification_id == notifications.c.id))).all()
    assert [(n.account_id, n.type) for n in notes] == [(alice.id, "moderation_warning")]


def test_no_other_code_writes_moderation_state() -> None:
    """No silent action by construction: only actions/moderation.py writes the tables that
    change who sees what (and account suspension)."""
    import pathlib
    import re

    root = pathlib.Path(__file__).parents[2] / "src" / "townsquare"
    guarded = re.compile(r"(insert|update|delete)\(\s*(status_moderation|account_moderation|"
                         r"moderation_decisions|labels)\b|suspended_at\s*=")
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel in ("actions/moderation.py", "actions/labelers.py"):
            continue
        if guarded.search(path.read_text()):
            offenders.append(rel)
    assert offenders == []


async def test_removed_post_is_gone_for_others_but_author_is_told(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    mo = await moderator(client, "mo")
    post = await client.post_status(alice, "something illegal")
    r = await client.post("/api/v1/townsquare/moderation/decisions", as_=mo, json={
        "kind": "remove", "status_id": post["id"], "facts": "Unlawful threat.",
        "ground_type": "law", "ground_reference": "Criminal Code §241",
        "ground_text": "Whoever threatens a person with a crime ... shall be liable."})
    assert r.status_code == 200, r.text
    assert (await client.get(f"/api/v1/statuses/{post['id']}", as_=bob)).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{post['id']}")).status_code == 404
    own = (await client.get(f"/api/v1/statuses/{post['id']}", as_=alice)).json()
    assert own["townsquare"]["moderation"]["removed"] is True
    home = (await client.get("/api/v1/timelines/home", as_=alice)).json()
    assert post["id"] in [s["id"] for s in home]  # the author still sees it, marked


async def test_limited_reach_is_shown_on_the_post(client: Client) -> None:
    alice = await client.user("alice")
    mo = await moderator(client, "mo")
    post = await client.post_status(alice, "borderline")
    await client.post("/api/v1/townsquare/moderation/decisions", as_=mo,
                      json=action_for("limit_reach", post["id"], alice.id))
    seen = (await client.get(f"/api/v1/statuses/{post['id']}")).json()
    assert seen["townsquare"]["moderation"]["reach_limited"] is True


async def test_interstitial_warns_in_mastodon_terms(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    mo = await moderator(client, "mo")
    post = await client.post_status(alice, "graphic")
    await client.post("/api/v1/townsquare/moderation/decisions", as_=mo,
                      json=action_for("interstitial", post["id"], alice.id))
    seen = (await client.get(f"/api/v1/statuses/{post['id']}", as_=bob)).json()
    assert seen["sensitive"] is True
    assert seen["filtered"][0]["filter"]["filter_action"] == "warn"


async def test_appeal_by_second_moderator_reverses(client: Client) -> None:
    alice = await client.user("alice")
    mo = await moderator(client, "mo")
    mo2 = await moderator(client, "mo2")
    post = await client.post_status(alice, "satire, actually")
    decision = (await client.post("/api/v1/townsquare/moderation/decisions", as_=mo, json={
        "kind": "remove", "status_id": post["id"], "facts": "Looks like a threat.",
        "ground_type": "rule", "ground_reference": "2"})).json()
    r = await client.post(f"/api/v1/townsquare/decisions/{decision['id']}/appeal", as_=alice,
                          json={"text": "It is satire; read the thread."})
    assert r.status_code == 200, r.text
    again = await client.post(f"/api/v1/townsquare/decisions/{decision['id']}/appeal",
                              as_=alice, json={"text": "twice"})
    assert again.status_code == 409
    queue = (await client.get("/api/v1/townsquare/moderation/appeals", as_=mo2)).json()
    assert len(queue) == 1
    appeal_id = queue[0]["id"]
    same = await client.post(f"/api/v1/townsquare/moderation/appeals/{appeal_id}/decide",
                             as_=mo, json={"outcome": "reversed", "reason": "mine"})
    assert same.status_code == 403  # not the moderator who decided
    r = await client.post(f"/api/v1/townsquare/moderation/appeals/{appeal_id}/decide",
                          as_=mo2, json={"outcome": "reversed", "reason": "It is satire."})
    assert r.status_code == 200, r.text
    assert (await client.get(f"/api/v1/statuses/{post['id']}")).status_code == 200
    entry = (await client.get(f"/api/v1/townsquare/transparency/log/{decision['id']}")).json()
    assert entry["reversed_at"] is not None and entry["appeal"]["outcome"] == "reversed"
    report = (await client.get("/api/v1/townsquare/transparency/report")).json()
    month = report["months"][-1]
    assert month["appeals"] == 1 and month["reversals"] == 1 and month["reversal_rate"] == 1.0
    csv = await client.get("/api/v1/townsquare/transparency/report", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("month,actions")


async def test_report_flow_and_refusals(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    mo = await moderator(client, "mo")
    post = await client.post_status(alice, "spam spam")
    r = await client.post("/api/v1/reports", as_=bob, json={
        "account_id": str(alice.id), "status_ids": [post["id"]], "category": "spam",
        "comment": "bulk ads"})
    assert r.status_code == 200, r.text
    assert r.json()["target_account"]["id"] == str(alice.id)
    queue = (await client.get("/api/v1/townsquare/moderation/reports", as_=mo)).json()
    assert [q["comment"] for q in queue] == ["bulk ads"]
    # Not a moderator: refused, and nothing changes.
    before = await row_counts(client.ctx)
    r = await client.post("/api/v1/townsquare/moderation/decisions", as_=bob,
                          json=action_for("label", post["id"], alice.id))
    assert r.status_code == 403
    r = await client.post("/api/v1/townsquare/moderation/decisions", as_=mo,
                          json={**action_for("remove", post["id"], alice.id), "facts": ""})
    assert r.status_code == 422
    r = await client.post("/api/v1/townsquare/moderation/decisions", as_=mo,
                          json={**action_for("label", post["id"], alice.id),
                                "ground_reference": "99"})
    assert r.status_code == 422
    assert await row_counts(client.ctx) == before
    decided = await client.post("/api/v1/townsquare/moderation/decisions", as_=mo, json={
        **action_for("label", post["id"], alice.id), "report_id": queue[0]["id"]})
    assert decided.json()["source"] == "report"
    assert (await client.get("/api/v1/townsquare/moderation/reports", as_=mo)).json() == []
    log = (await client.get("/api/v1/townsquare/transparency/log")).json()
    assert str(bob.id) not in str(log)  # the reporter is never shown


async def test_automation_may_only_label(client: Client) -> None:
    alice = await client.user("alice")
    post = await client.post_status(alice, "tick tock")
    with pytest.raises(mod.Forbidden):
        await mod.decide(client.ctx, None, mod.DecisionRequest(
            kind="suspend", account_id=alice.id, facts="clockwork posting", ground_type="rule",
            ground_reference="3", source="automated"))
    decision_id = await mod.decide(client.ctx, None, mod.DecisionRequest(
        kind="label", status_id=int(post["id"]), label="automated", facts="clockwork posting",
        ground_type="rule", ground_reference="3", source="automated"))
    entry = (await client.get(f"/api/v1/townsquare/transparency/log/{decision_id}")).json()
    assert entry["automated_decision"] is True and entry["decided_by"] == "automated"


async def test_suspension_ends_sessions_and_hides_posts_until_expiry(client: Client) -> None:
    alice = await client.user("alice")
    mo = await moderator(client, "mo")
    post = await client.post_status(alice, "hello")
    r = await client.post("/api/v1/townsquare/moderation/decisions", as_=mo, json={
        **action_for("suspend", post["id"], alice.id), "duration_days": 1})
    assert r.status_code == 200, r.text
    assert (await client.get("/api/v1/timelines/home", as_=alice)).status_code == 401
    assert (await client.get(f"/api/v1/statuses/{post['id']}")).status_code == 404
    client.ctx.clock.advance(86400 + 1)  # type: ignore[attr-defined]
    assert await mod.expire_decisions(client.ctx) == 1
    assert (await client.get(f"/api/v1/statuses/{post['id']}")).status_code == 200
    assert await mod.expire_decisions(client.ctx) == 0


async def test_notice_reaches_mastodon_clients_as_account_warning(client: Client) -> None:
    alice = await client.user("alice")
    mo = await moderator(client, "mo")
    post = await client.post_status(alice, "graphic stuff")
    decision = (await client.post("/api/v1/townsquare/moderation/decisions", as_=mo, json={
        "kind": "interstitial", "status_id": post["id"], "facts": "Gore without a warning.",
        "ground_type": "rule", "ground_reference": "4"})).json()
    notes = (await client.get("/api/v1/notifications", as_=alice)).json()
    assert [n["type"] for n in notes] == ["moderation_warning"]
    warning = notes[0]["moderation_warning"]
    assert warning["action"] == "mark_statuses_as_sensitive"
    assert warning["status_ids"] == [post["id"]]
    assert "Gore without a warning." in warning["text"] and "rule 4" in warning["text"]
    assert warning["townsquare"]["appeal_url"].endswith(f"/decisions/{decision['id']}/appeal")
    await client.post(f"/api/v1/townsquare/decisions/{decision['id']}/appeal", as_=alice,
                      json={"text": "It has a content warning."})
    again = (await client.get("/api/v1/notifications", as_=alice)).json()
    assert again[0]["moderation_warning"]["appeal"] == {"text": "It has a content warning.",
                                                        "state": "pending"}
