"""Moderation in the web interface: reporting, the moderators' page (role checks, acting on a
report citing a rule, appeals decided by another moderator), the public log and report, the
author's notices and appeal, labels and muted words on posts, and each person's controls."""

from __future__ import annotations

import re

from tests.helpers import row_counts
from tests.web.test_xss import HOSTILE, assert_inert
from townsquare.actions import moderation as mod
from townsquare.actions.moderation import DecisionRequest
from townsquare.queries.accounts import account_by_username


async def _world(visitor, ctx):
    alice, bob, mia, max_ = visitor(), visitor(), visitor(), visitor()
    await alice.signup("alice", "Alice")
    await bob.signup("bob", "Bob")
    await mia.signup("mia", "Mia")
    await max_.signup("max", "Max")
    await mod.grant_role(ctx, "mia", "moderator")
    await mod.grant_role(ctx, "max", "moderator")
    await bob.compose("buy cheap pills now")
    return alice, bob, mia, max_, await bob.last_status_id()


async def test_report_act_publish_appeal_reverse(visitor, ctx):
    alice, bob, mia, max_, sid = await _world(visitor, ctx)
    form = await alice.get(f"/report?status_id={sid}")
    assert form.status_code == 200 and "buy cheap pills now" in form.text
    account_id = re.search(r'name="account_id" value="(\d+)"', form.text).group(1)
    r = await alice.post("/reports", {"account_id": account_id, "status_id": sid,
                                      "category": "spam", "rule_ids": "3",
                                      "comment": HOSTILE[0]})
    assert r.status_code == 200 and "Thank you" in r.text
    # Only moderators see the queue; a refused action writes nothing.
    assert (await alice.get("/moderation")).status_code == 403
    before = await row_counts(ctx)
    r = await alice.post("/moderation/decisions", {"kind": "remove", "facts": "x",
                                                   "ground_type": "rule", "rule": "3",
                                                   "status_id": sid, "account_id": account_id})
    assert r.status_code == 403 and await row_counts(ctx) == before
    queue = await mia.get("/moderation")
    assert queue.status_code == 200 and "buy cheap pills now" in queue.text
    assert_inert(queue.text)  # the reporter's hostile comment is text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in queue.text
    report_id = re.search(r'name="report_id" value="(\d+)"', queue.text).group(1)
    # No ground, no decision.
    r = await mia.post("/moderation/decisions", {"kind": "remove", "facts": "Spam.",
                                                 "ground_type": "rule", "rule": "99",
                                                 "report_id": report_id, "status_id": sid,
                                                 "account_id": account_id})
    assert r.status_code == 422 and "unknown rule" in r.text
    r = await mia.post("/moderation/decisions", {"kind": "remove", "facts": "Bulk spam links.",
                                                 "ground_type": "rule", "rule": "3",
                                                 "report_id": report_id, "status_id": sid,
                                                 "account_id": account_id})
    assert r.status_code == 303 and r.headers["location"].startswith("/moderation?done=")
    decision_id = r.headers["location"].split("=")[1]
    # Public log, filterable, each decision with its own page; no reporter or moderator.
    log = await visitor().get("/transparency?kind=remove")
    assert log.status_code == 200 and "Bulk spam links." in log.text and "@bob" in log.text
    assert "alice" not in log.text and "mia" not in log.text
    assert "Bulk spam links." not in (await visitor().get("/transparency?kind=label")).text
    page = await visitor().get(f"/transparency/{decision_id}")
    assert page.status_code == 200 and "Rule 3" in page.text
    assert (await visitor().get("/transparency/123")).status_code == 404
    numbers = await visitor().get("/transparency/report")
    assert numbers.status_code == 200 and "format=csv" in numbers.text
    assert re.search(r"Actions</th><td>1<", numbers.text)
    # The post is gone for others; its author sees it marked, with the way to appeal.
    assert "buy cheap pills now" not in (await alice.get("/public")).text
    own = await bob.get(f"/@bob/{sid}")
    assert "Removed by the moderators" in own.text
    mine = await bob.get("/decisions")
    assert "Bulk spam links." in mine.text and f"/decisions/{decision_id}/appeal" in mine.text
    r = await bob.post(f"/decisions/{decision_id}/appeal", {"text": "It was a joke"})
    assert r.status_code == 303
    # The deciding moderator may not decide the appeal; another one may.
    queue = await mia.get("/moderation")
    assert "It was a joke" in queue.text and "a different moderator" in queue.text
    appeal_id = re.search(r'appeal-(\d+)', queue.text).group(1)
    r = await mia.post(f"/moderation/appeals/{appeal_id}/decide",
                       {"outcome": "reversed", "reason": "ok"})
    assert r.status_code == 403
    r = await max_.post(f"/moderation/appeals/{appeal_id}/decide",
                        {"outcome": "reversed", "reason": "Satire, not spam."})
    assert r.status_code == 303
    assert "buy cheap pills now" in (await alice.get("/public")).text
    assert "reversed on appeal" in (await visitor().get(f"/transparency/{decision_id}")).text


async def test_report_needs_csrf_and_a_session(visitor, ctx):
    alice, bob, *_ , sid = await _world(visitor, ctx)
    form = await alice.get(f"/report?status_id={sid}")
    account_id = re.search(r'name="account_id" value="(\d+)"', form.text).group(1)
    before = await row_counts(ctx)
    r = await alice.post("/reports", {"account_id": account_id, "category": "spam"},
                         csrf="nope")
    assert r.status_code == 403 and await row_counts(ctx) == before
    anon = visitor()
    r = await anon.get(f"/report?status_id={sid}")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert (await bob.get("/report?account=bob")).status_code == 422  # not yourself


async def test_labels_warn_and_interstitial_click_through(visitor, ctx):
    alice, bob, _mia, _, sid = await _world(visitor, ctx)
    async with ctx.db.read() as conn:
        mia_row = await account_by_username(conn, "mia")
    await mod.decide(ctx, mia_row.id, DecisionRequest(
        kind="label", facts="Graphic.", ground_type="rule", ground_reference="4",
        status_id=int(sid), label="graphic"))
    page = await alice.get("/public")
    # "graphic" warns by default: the post is behind a click-through with the label named.
    assert re.search(r'<details class="cw warned">\s*<summary><span class="cw-label">Hidden:'
                     r'</span> Label: graphic', page.text)
    assert 'class="label label-warn"' in page.text
    # The reader chooses: show, or hide.
    r = await alice.post("/settings/labels", {"labeler_id": "0", "value": "graphic",
                                              "setting": "hide"})
    assert r.status_code == 303
    assert "buy cheap pills now" not in (await alice.get("/public")).text
    assert 'value="hide" selected' in (await alice.get("/settings/labels")).text
    await alice.post("/settings/labels", {"labeler_id": "0", "value": "graphic",
                                          "setting": "show"})
    page = await alice.get("/public")
    assert "buy cheap pills now" in page.text and "cw warned" not in page.text
    # A moderator's interstitial warns everyone but the author, who is told.
    await mod.decide(ctx, mia_row.id, DecisionRequest(
        kind="interstitial", facts="Disturbing.", ground_type="rule", ground_reference="4",
        status_id=int(sid)))
    assert "Content warning from the moderators" in (await alice.get("/public")).text
    assert "Shown behind a warning from the moderators" in (await bob.get(f"/@bob/{sid}")).text


async def test_muted_words_warn_hide_and_except_following(visitor, ctx):
    alice, _bob, *_ = await _world(visitor, ctx)
    page = await alice.get("/settings/filters")
    assert page.status_code == 200
    r = await alice.post("/settings/filters", {"keywords": "", "context": "public"})
    assert r.status_code == 422 and "at least one word" in r.text
    r = await alice.post("/settings/filters", {"keywords": "pills, " + HOSTILE[0],
                                               "whole_word": "1", "filter_action": "warn",
                                               "context": ["public", "home", "thread"]})
    assert r.status_code == 303
    listing = await alice.get("/settings/filters")
    assert_inert(listing.text)
    page = await alice.get("/public")
    assert "cw warned" in page.text and "(pills)" in page.text
    filter_id = re.search(r"/settings/filters/(\d+)/delete", listing.text).group(1)
    await alice.post(f"/settings/filters/{filter_id}/delete")
    await alice.post("/settings/filters", {"keywords": "pills", "filter_action": "hide",
                                           "context": "public", "except_following": "1"})
    assert "buy cheap pills now" not in (await alice.get("/public")).text
    await alice.post("/@bob/follow")
    assert "buy cheap pills now" in (await alice.get("/public")).text  # except people I follow


async def test_hide_reply_policy_detach_and_lists(visitor, ctx):
    alice, bob, *_, sid = await _world(visitor, ctx)
    r = await alice.post(f"/statuses/{sid}/hide", {"next": "/public"}, fetch=True)
    assert r.status_code == 200 and r.text == ""
    assert "buy cheap pills now" not in (await alice.get("/public")).text
    assert "buy cheap pills now" in (await bob.get("/public")).text
    # Reply policy: only the author chooses; then a non-follower cannot reply.
    thread = await bob.get(f"/@bob/{sid}")
    assert 'id="post-settings"' in thread.text
    assert (await alice.post(f"/statuses/{sid}/reply_policy",
                             {"policy": "followers"})).status_code == 403
    r = await bob.post(f"/statuses/{sid}/reply_policy", {"policy": "followers"})
    assert r.status_code == 303
    assert 'value="followers" selected' in (await bob.get(f"/@bob/{sid}")).text
    r = await alice.post("/statuses", {"status": "@bob no", "in_reply_to_id": sid})
    assert r.status_code in (403, 422)
    # Detach: the quoted author takes their post out of a quote.
    await alice.compose("quoting bob", quote_id=sid)
    quote_id = await alice.last_status_id()
    page = await bob.get(f"/@alice/{quote_id}")
    assert f"/statuses/{quote_id}/detach_quote" in page.text
    assert (await alice.post(f"/statuses/{quote_id}/detach_quote")).status_code == 403
    assert (await bob.post(f"/statuses/{quote_id}/detach_quote")).status_code == 303
    assert "detached it from this quote" in (await bob.get(f"/@alice/{quote_id}")).text
    # Mute and block lists, with undo.
    await alice.post("/@bob/mute")
    assert 'href="/@bob"' in (await alice.get("/settings/mutes")).text
    await alice.post("/@bob/unmute", {"next": "/settings/mutes"})
    assert 'href="/@bob"' not in (await alice.get("/settings/mutes")).text
    await alice.post("/@bob/block")
    assert "/@bob/unblock" in (await alice.get("/settings/blocks")).text
