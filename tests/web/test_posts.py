"""Timelines, threads, the composer, and acting on posts in place."""

from __future__ import annotations

import re

from tests.helpers import row_counts


async def test_compose_shows_on_home_public_profile_and_thread(visitor):
    alice = visitor()
    await alice.signup("alice", "Alice A.")
    r = await alice.compose("Hello #square, first post")
    assert r.headers["location"] == "/home"
    sid = await alice.last_status_id()
    for path in ("/home", "/public", "/@alice", "/tags/square", f"/@alice/{sid}"):
        page = await alice.get(path)
        assert page.status_code == 200, path
        assert "Hello" in page.text and "first post" in page.text, path
        assert "Alice A." in page.text
        assert 'datetime="' in page.text and "just now" in page.text  # relative, exact on hover
    anonymous = visitor()
    front = await anonymous.get("/")
    assert "first post" in front.text and "Join the square" in front.text
    signed_in_front = await alice.get("/")
    assert signed_in_front.status_code == 303 and signed_in_front.headers["location"] == "/home"


async def test_composer_has_a_live_counter_and_poll_fields(visitor, ctx):
    alice = visitor()
    await alice.signup("alice")
    home = await alice.get("/home")
    assert f'data-counter="{ctx.settings.max_post_chars}"' in home.text
    assert 'class="counter"' in home.text
    assert home.text.count('name="poll_option"') == ctx.settings.max_poll_options
    assert 'name="poll_multiple"' in home.text and 'name="poll_expires_in"' in home.text


async def test_too_long_post_is_refused_and_the_text_kept(visitor, ctx):
    alice = visitor()
    await alice.signup("alice")
    before = await row_counts(ctx)
    text = "x" * (ctx.settings.max_post_chars + 1)
    r = await alice.post("/statuses", {"status": text})
    assert r.status_code == 422 and "character limit" in r.text
    assert text in r.text
    r = await alice.post("/statuses", {"status": text}, fetch=True)
    assert r.status_code == 422 and "<html" not in r.text and 'class="error"' in r.text
    assert await row_counts(ctx) == before


async def test_reply_thread_and_content_warning(visitor):
    alice, bob = visitor(), visitor()
    await alice.signup("alice")
    await bob.signup("bob")
    await alice.compose("the root post")
    root = await alice.last_status_id()
    page = await bob.get(f"/@alice/{root}")
    assert f'name="in_reply_to_id" value="{root}"' in page.text
    assert ">@alice </textarea>" in page.text  # the reply starts with a mention
    r = await bob.post("/statuses", {"status": "@alice a reply", "in_reply_to_id": root,
                                     "spoiler_text": "spoilers ahead"})
    assert r.status_code == 303
    reply = r.headers["location"].rsplit("/", 1)[1]
    assert r.headers["location"] == f"/@bob/{reply}"
    thread = await alice.get(f"/@alice/{root}")
    assert thread.text.index("the root post") < thread.text.index("a reply")
    assert '<details class="cw">' in thread.text and "spoilers ahead" in thread.text
    child = await alice.get(f"/@bob/{reply}")
    assert child.text.index("the root post") < child.text.index("a reply")  # ancestors first
    # A post under the wrong name redirects to its real address.
    wrong = await alice.get(f"/@alice/{reply}")
    assert wrong.status_code == 303 and wrong.headers["location"] == f"/@bob/{reply}"
    by_id = await alice.get(f"/statuses/{reply}")
    assert by_id.headers["location"] == f"/@bob/{reply}"


async def test_compose_in_place_returns_the_new_post_fragment(visitor):
    alice = visitor()
    await alice.signup("alice")
    r = await alice.post("/statuses", {"status": "fetched post"}, fetch=True)
    assert r.status_code == 200
    assert r.text.lstrip().startswith("<article") and "fetched post" in r.text
    assert "<html" not in r.text


async def test_like_repost_bookmark_in_place_and_without_js(visitor):
    alice, bob = visitor(), visitor()
    await alice.signup("alice")
    await bob.signup("bob")
    await alice.compose("like me")
    sid = await alice.last_status_id()
    r = await bob.post(f"/statuses/{sid}/favourite", {"next": "/public"}, fetch=True)
    assert r.status_code == 200 and r.text.lstrip().startswith("<article")
    assert re.search(r'act-unfavourite on" aria-pressed="true"', r.text)
    assert '<span class="count">1</span>' in r.text
    r = await bob.post(f"/statuses/{sid}/reblog", {"next": "/public"})
    assert r.status_code == 303 and r.headers["location"] == "/public"
    r = await bob.post(f"/statuses/{sid}/bookmark", {"next": "//evil.example"})
    assert r.headers["location"] == "/home"
    page = await bob.get(f"/@alice/{sid}")
    assert 'act-unreblog on" aria-pressed="true"' in page.text
    assert 'act-unbookmark on" aria-pressed="true"' in page.text
    # Bob's repost shows on his profile, credited.
    profile = await bob.get("/@bob")
    assert "reposted" in profile.text and "like me" in profile.text
    r = await bob.post(f"/statuses/{sid}/unfavourite", fetch=True)
    assert 'act-favourite" aria-pressed="false"' in r.text


async def test_actions_need_a_session(visitor, ctx):
    alice, anon = visitor(), visitor()
    await alice.signup("alice")
    await alice.compose("hands off")
    sid = await alice.last_status_id()
    await anon.get("/public")
    before = await row_counts(ctx)
    r = await anon.post(f"/statuses/{sid}/favourite")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = await anon.post(f"/statuses/{sid}/favourite", fetch=True)
    assert r.status_code == 401
    r = await alice.post("/statuses/123/nonsense")
    assert r.status_code == 404
    assert await row_counts(ctx) == before


async def test_load_more_pages_and_fragments(visitor):
    alice = visitor()
    await alice.signup("alice")
    for i in range(23):
        await alice.compose(f"post number {i}")
    first = await alice.get("/public")
    assert first.text.count("<article") == 20
    more = re.search(r'href="(/public\?max_id=\d+)" data-more', first.text)
    assert more, "a full page has a Load more link"
    rest = await alice.get(more.group(1).replace("&amp;", "&"), fetch=True)
    assert "<html" not in rest.text and rest.text.count("<article") == 3
    assert "post number 0" in rest.text and "data-more" not in rest.text
    full = await alice.get(more.group(1))  # without JavaScript: a whole page
    assert "<html" in full.text and full.text.count("<article") == 3


async def test_private_and_direct_posts_stay_private(visitor):
    alice, bob, anon = visitor(), visitor(), visitor()
    await alice.signup("alice")
    await bob.signup("bob")
    await alice.compose("followers only secret", visibility="private")
    private = await alice.last_status_id()
    await alice.compose("@bob direct secret", visibility="direct")
    direct = await alice.last_status_id()
    await alice.compose("public hello")
    for v in (anon, bob):
        profile = await v.get("/@alice")
        assert "public hello" in profile.text
        assert "followers only secret" not in profile.text
        assert (await v.get(f"/@alice/{private}")).status_code == 404
    for path in ("/", "/public", "/@alice"):
        assert "secret" not in (await anon.get(path)).text
    assert (await anon.get(f"/@alice/{direct}")).status_code == 404
    assert "direct secret" in (await bob.get(f"/@alice/{direct}")).text
    own = await alice.get(f"/@alice/{private}")
    assert own.status_code == 200 and "vis-private" in own.text


async def test_delete_in_place_and_without_js(visitor, ctx):
    alice, bob = visitor(), visitor()
    await alice.signup("alice")
    await bob.signup("bob")
    await alice.compose("delete me softly")
    first = await alice.last_status_id()
    r = await bob.post(f"/statuses/{first}/delete", fetch=True)
    assert r.status_code == 404  # not Bob's to delete
    r = await alice.post(f"/statuses/{first}/delete", fetch=True)
    assert r.status_code == 200 and r.text == ""
    assert (await alice.get(f"/@alice/{first}")).status_code == 404
    await alice.compose("delete me from the thread page")
    second = await alice.last_status_id()
    r = await alice.post(f"/statuses/{second}/delete", {"next": f"/@alice/{second}"})
    assert r.status_code == 303 and r.headers["location"] == "/@alice"  # not the dead page


async def test_edit_marks_the_post_and_keeps_the_history(visitor, clock):
    alice, bob = visitor(), visitor()
    await alice.signup("alice")
    await bob.signup("bob")
    await alice.compose("first version")
    sid = await alice.last_status_id()
    assert (await bob.get(f"/@alice/{sid}/edit")).status_code == 403
    form = await alice.get(f"/@alice/{sid}/edit")
    assert form.status_code == 200 and ">first version</textarea>" in form.text
    clock.advance(120)
    r = await bob.post(f"/statuses/{sid}/edit", {"status": "hijacked"})
    assert r.status_code in (403, 404)
    r = await alice.post(f"/statuses/{sid}/edit", {"status": "second version",
                                                   "spoiler_text": ""})
    assert r.status_code == 303 and r.headers["location"] == f"/@alice/{sid}"
    page = await bob.get(f"/@alice/{sid}")
    assert "second version" in page.text and "hijacked" not in page.text
    assert f'href="/@alice/{sid}/history"' in page.text and ">edited</a>" in page.text
    history = await bob.get(f"/@alice/{sid}/history")
    assert history.status_code == 200
    assert history.text.index("second version") < history.text.index("first version")


async def test_pages_cost_a_fixed_number_of_queries(visitor, ctx):
    """Ten more posts (and a longer thread) do not add a single query to any page."""
    alice, bob = visitor(), visitor()
    await alice.signup("alice")
    await bob.signup("bob")
    await bob.post("/@alice/follow")
    await alice.compose("the root")
    root = await alice.last_status_id()

    async def measure() -> dict[str, int]:
        out = {}
        for path in ("/public", "/home", "/@alice", f"/@alice/{root}", "/notifications",
                     "/search?q=post"):
            with ctx.db.counting() as used:
                assert (await bob.get(path)).status_code == 200
            out[path] = used[0]
        return out

    await alice.compose("post 0")
    await bob.compose("@alice reply 0", in_reply_to_id=root)
    small = await measure()
    for i in range(1, 11):
        await alice.compose(f"post {i}")
        await bob.post(f"/statuses/{root}/favourite" if i == 1 else "/statuses",
                       {} if i == 1 else {"status": f"@alice reply {i}",
                                          "in_reply_to_id": root})
    assert await measure() == small
