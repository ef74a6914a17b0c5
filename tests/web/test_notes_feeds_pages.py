"""Community notes, the algorithm page, feeds (switcher, "Why am I seeing this?", show more /
less, custom feeds, opt-outs), integrity pages, and image uploads in the web interface."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import insert

from tests.helpers import row_counts
from tests.web.test_xss import HOSTILE, assert_inert
from townsquare.actions import moderation as mod
from townsquare.actions.moderation import DecisionRequest
from townsquare.notes import constants as c
from townsquare.queries.accounts import account_by_username
from townsquare.store.tables_notes import note_status

SOURCE = "https://example.org/report"


async def _pair(visitor):
    alice, bob = visitor(), visitor()
    await alice.signup("alice", "Alice")
    await bob.signup("bob", "Bob")
    await bob.compose("the moon is made of cheese")
    return alice, bob, await bob.last_status_id()


async def test_write_rate_and_show_a_helpful_note(visitor, ctx):
    alice, bob, sid = await _pair(visitor)
    page = await alice.get(f"/@bob/{sid}/notes")
    assert page.status_code == 200 and "Write a note" in page.text
    assert "Write a note" not in (await bob.get(f"/@bob/{sid}/notes")).text  # not your own
    before = await row_counts(ctx)
    r = await alice.post("/notes", {"status_id": sid, "classification": c.MISLEADING,
                                    "reasons": "misleadingFactualError",
                                    "summary": "No source here " + HOSTILE[0]})
    assert r.status_code == 422 and "source link" in r.text and await row_counts(ctx) == before
    assert_inert(r.text)
    assert "misleadingFactualError\" checked" in r.text  # the form keeps what was chosen
    r = await alice.post("/notes", {"status_id": sid, "classification": c.MISLEADING,
                                    "reasons": "misleadingFactualError",
                                    "summary": f"It is rock {HOSTILE[1]} {SOURCE}"})
    assert r.status_code == 303 and r.headers["location"].endswith("/notes#notes")
    page = await alice.get(f"/@bob/{sid}/notes")
    assert "Needs more ratings" in page.text and "your note" in page.text
    assert_inert(page.text)
    note_id = re.search(r'id="note-(\d+)"', page.text).group(1)
    carol = visitor()
    await carol.signup("carol")
    r = await carol.post(f"/notes/{note_id}/rate", {"helpfulness": c.HELPFUL,
                                                    "tags": ["helpfulGoodSources",
                                                             "notHelpfulOffTopic"]})
    assert r.status_code == 303
    page = await carol.get(f"/@bob/{sid}/notes")
    assert "You rated it helpful" in page.text
    assert 'value="helpfulGoodSources" checked' in page.text
    assert 'value="notHelpfulOffTopic" checked' not in page.text  # tags follow the level
    # Not shown under the post until the scorer rates it helpful (simulated here).
    assert "Readers added context" not in (await carol.get("/public")).text
    async with ctx.db.write() as tx:
        await tx.execute(insert(note_status).values(
            note_id=int(note_id), status_id=int(sid), current_status=c.CRH,
            first_tag="helpfulGoodSources", second_tag="helpfulClear", num_ratings=5,
            run_id=1))
    for who in (carol, visitor()):
        page = await who.get("/public")
        assert "Readers added context" in page.text and "It is rock" in page.text
        assert "Cites high-quality sources, Easy to understand" in page.text
        assert_inert(page.text)
    record = await alice.get("/notes/me")
    assert "1 note" in record.text and "Rated helpful" in record.text
    assert "agreed" in (await carol.get("/notes/me")).text


async def test_algorithm_page_feed_switcher_and_why(visitor, ctx):
    alice, bob, sid = await _pair(visitor)
    page = await visitor().get("/algorithm")
    assert page.status_code == 200 and "Change log" in page.text
    assert re.search(r"<th scope=\"row\">recency</th><td>[\d.]+</td>", page.text)
    await alice.post("/@bob/follow")
    home = await alice.get("/home")
    assert 'aria-pressed="true">Following<' in home.text and "Why am I seeing this?" not in \
        home.text
    r = await alice.post("/home/feed", {"feed": "for_you"})
    assert r.status_code == 303
    home = await alice.get("/home")  # remembered
    assert 'aria-pressed="true">For you<' in home.text
    assert "Why am I seeing this?" in home.text and "the moon is made of cheese" in home.text
    assert "= contribution" in home.text and re.search(r"Score -?[\d.]+", home.text)
    r = await alice.post(f"/statuses/{sid}/show_less", {"next": "/home"}, fetch=True)
    assert r.status_code == 200
    r = await alice.post(f"/statuses/{sid}/show_more", {"next": "/home"})
    assert r.status_code == 303
    assert (await alice.post("/home/feed", {"feed": "nope"})).status_code == 422
    # Opt out: the author's post, and the whole account.
    assert (await alice.post(f"/statuses/{sid}/unrecommend")).status_code == 403
    assert (await bob.post(f"/statuses/{sid}/unrecommend")).status_code == 303
    assert "Allow recommending" in (await bob.get(f"/@bob/{sid}")).text
    await bob.post("/settings/recommendation", {"recommend": "0"})
    assert 'value="0" checked' in (await bob.get("/settings/recommendation")).text


async def test_custom_feed_preview_publish_subscribe_share(visitor, ctx):
    alice, bob, _ = await _pair(visitor)
    await bob.compose("#gardening tomatoes are up")
    form = {"title": HOSTILE[2][:60], "description": HOSTILE[0], "sources": "tags",
            "tags": "gardening", "replies": "1", "min_engagement": "0"}
    r = await alice.post("/feeds", {**form, "preview": "1"})
    assert r.status_code == 200 and "tomatoes are up" in r.text and "Preview (1" in r.text
    r = await alice.post("/feeds", {**form, "tags": ""})
    assert r.status_code == 422 and "needs at least one tag" in r.text
    r = await alice.post("/feeds", {**form, "w_recency": "x"})
    assert r.status_code == 422
    r = await alice.post("/feeds", form)
    assert r.status_code == 303
    path = r.headers["location"]
    page = await alice.get(path)
    assert page.status_code == 200 and "tomatoes are up" in page.text
    assert_inert(page.text)
    assert (await bob.get(path)).status_code == 404  # not published yet
    await alice.post(path + "/publish")
    anon = await visitor().get(path)
    assert anon.status_code == 200 and "#gardening" in anon.text and "Log in" in anon.text
    await bob.post(path + "/pin")
    home = await bob.get("/home")
    feed_id = path.rsplit("/", 1)[1]
    assert f'value="{feed_id}"' in home.text
    await alice.compose("#gardening seeds sown")
    await bob.post("/home/feed", {"feed": feed_id})
    assert "seeds sown" in (await bob.get("/home")).text  # (own posts are never ranked)
    assert (await bob.post(path + "/delete")).status_code == 403
    await alice.post(path + "/delete")
    assert (await alice.get(path)).status_code == 404
    assert 'aria-pressed="true">Following<' in (await bob.get("/home")).text


async def test_trends_campaigns_state_media_and_honest_poll(visitor, ctx):
    alice, bob, _ = await _pair(visitor)
    for path in ("/trends", "/campaigns", "/state-affiliated-media"):
        r = await visitor().get(path)
        assert r.status_code == 200, path
    assert (await visitor().get("/campaigns/99")).status_code == 404
    await mod.grant_role(ctx, "alice", "moderator")
    async with ctx.db.read() as conn:
        a = await account_by_username(conn, "alice")
        b = await account_by_username(conn, "bob")
    await mod.decide(ctx, a.id, DecisionRequest(
        kind="label_account", facts="State broadcaster.", ground_type="rule",
        ground_reference="5", account_id=b.id, label="state-affiliated-media"))
    page = await visitor().get("/state-affiliated-media")
    assert 'href="/@bob"' in page.text and "editorial" in page.text
    await bob.compose("which?", poll_option=["yes", "no"])
    sid = await bob.last_status_id()
    await alice.post(f"/polls/{await _poll_id(alice, sid)}/votes",
                     {"choices": "0", "status_id": sid})
    thread = await alice.get(f"/@bob/{sid}")
    assert "Honest result" in thread.text and "1 vote from 1 new account" in thread.text


async def _poll_id(v, sid):
    page = await v.get(f"/@bob/{sid}")
    return re.search(r'action="/polls/(\d+)/votes"', page.text).group(1)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


async def test_image_upload_with_alt_text_and_avatar(visitor, ctx):
    alice = visitor()
    await alice.signup("alice")
    files = {"media": ("red.png", _png(), "image/png")}
    data = {"csrf_token": alice.csrf, "status": "a red square", "next": "/home"}
    before = await row_counts(ctx)
    r = await alice.http.post("/statuses", data=data, files=files)
    assert r.status_code == 422 and "describe each image" in r.text
    assert await row_counts(ctx) == before
    r = await alice.http.post("/statuses", data={**data, "media_description": "A red "
                                                 + HOSTILE[0]}, files=files)
    assert r.status_code == 303
    page = await alice.get(r.headers["location"])
    assert 'alt="A red &lt;script&gt;alert(1)&lt;/script&gt;"' in page.text
    assert_inert(page.text)
    big = re.compile(r'class="avatar big" src="([^"]+)"')
    default = big.search((await alice.get("/@alice")).text).group(1)
    r = await alice.http.post("/settings/profile", data={
        "csrf_token": alice.csrf, "display_name": "Alice", "note": ""},
        files={"avatar": ("me.png", _png(), "image/png")})
    assert r.status_code == 303
    avatar = big.search((await alice.get("/@alice")).text).group(1)
    assert (avatar != default and avatar.endswith(".webp")) or avatar.endswith((".png", ".jpg"))
    assert (await alice.http.get(avatar)).status_code == 200
