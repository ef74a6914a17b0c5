"""Profiles, following, follow requests, blocks, notifications, polls, search, settings."""

from __future__ import annotations

import re

from tests.helpers import row_counts


async def test_profile_follow_unfollow_and_lists(visitor):
    alice, bob = visitor(), visitor()
    await alice.signup("alice", "Alice")
    await bob.signup("bob", "Bob")
    await alice.compose("alice was here")
    profile = await bob.get("/@alice")
    assert profile.status_code == 200 and 'id="follow"' in profile.text
    assert "alice was here" in profile.text
    r = await bob.post("/@alice/follow", {"next": "/@alice"})
    assert r.status_code == 303 and r.headers["location"] == "/@alice"
    profile = await bob.get("/@alice")
    assert 'id="unfollow"' in profile.text and "<strong>1</strong> follower<" in profile.text
    followers = await bob.get("/@alice/followers")
    assert 'href="/@bob"' in followers.text
    following = await bob.get("/@bob/following")
    assert 'href="/@alice"' in following.text
    home = await bob.get("/home")
    assert "alice was here" in home.text  # the follow filled Bob's home
    await bob.post("/@alice/unfollow")
    assert 'id="follow"' in (await bob.get("/@alice")).text
    assert (await bob.get("/@nobody_here")).status_code == 404
    assert (await bob.post("/@bob/follow")).status_code == 422  # not yourself


async def test_locked_account_approves_follow_requests(visitor):
    carol, dan = visitor(), visitor()
    await carol.signup("carol")
    await dan.signup("dan")
    await carol.post("/settings/profile", {"display_name": "Carol", "note": "", "locked": "1"})
    assert "Request to follow" in (await dan.get("/@carol")).text
    await dan.post("/@carol/follow")
    assert "Withdraw request" in (await dan.get("/@carol")).text
    requests = await carol.get("/follow_requests")
    m = re.search(r'action="/follow_requests/(\d+)/authorize"', requests.text)
    assert m and "@dan" in requests.text
    r = await carol.post(f"/follow_requests/{m.group(1)}/authorize")
    assert r.status_code == 303
    assert 'id="unfollow"' in (await dan.get("/@carol")).text
    assert "No one is waiting" in (await carol.get("/follow_requests")).text


async def test_block_hides_posts_both_ways(visitor):
    alice, bob = visitor(), visitor()
    await alice.signup("alice")
    await bob.signup("bob")
    await bob.compose("bob speaks")
    await alice.post("/@bob/block")
    profile = await alice.get("/@bob")
    assert "Unblock" in profile.text and "bob speaks" not in profile.text
    assert "bob speaks" not in (await alice.get("/public")).text
    await alice.post("/@bob/unblock")
    await alice.post("/@bob/mute")
    assert "bob speaks" not in (await alice.get("/public")).text
    assert "Unmute" in (await alice.get("/@bob")).text


async def test_notifications_unread_badge_and_marker(visitor):
    alice, bob = visitor(), visitor()
    await alice.signup("alice")
    await bob.signup("bob")
    await alice.compose("notice me")
    sid = await alice.last_status_id()
    await bob.post("/@alice/follow")
    await bob.post(f"/statuses/{sid}/favourite")
    await bob.compose("@alice hello there")
    home = await alice.get("/home")
    assert re.search(r'id="unread">3<span class="sr"> unread', home.text)
    page = await alice.get("/notifications")
    assert page.text.count('class="notification unread"') == 3
    for words in ("followed you", "liked your post", "mentioned you", "hello there"):
        assert words in page.text
    assert 'id="unread"' not in page.text  # viewing them marks them read
    again = await alice.get("/notifications")
    assert 'class="notification unread"' not in again.text


async def test_poll_vote_shows_percentages_and_voters(visitor, ctx):
    alice, bob, carol = visitor(), visitor(), visitor()
    for v, name in ((alice, "alice"), (bob, "bob"), (carol, "carol")):
        await v.signup(name)
    await alice.compose("Best season?", poll_option=["Spring", "Autumn", ""],
                        poll_expires_in="3600")
    sid = await alice.last_status_id()
    page = await bob.get(f"/@alice/{sid}")
    m = re.search(r'action="/polls/(\d+)/votes"', page.text)
    assert m, "a voter sees the form"
    poll_id = m.group(1)
    assert 'type="radio" name="choices" value="1"' in page.text
    before = await row_counts(ctx)
    r = await bob.post(f"/polls/{poll_id}/votes", {"status_id": sid}, fetch=True)
    assert r.status_code == 422 and await row_counts(ctx) == before  # no choice
    r = await bob.post(f"/polls/{poll_id}/votes", {"choices": "1", "status_id": sid},
                       fetch=True)
    assert r.status_code == 200 and 'class="poll-results"' in r.text
    assert "100%" in r.text and "1 vote" in r.text and "your vote" in r.text
    await carol.post(f"/polls/{poll_id}/votes", {"choices": "0", "status_id": sid})
    page = await bob.get(f"/@alice/{sid}")
    assert page.text.count('<span class="poll-pct">50%</span>') == 2 and "2 votes" in page.text
    assert "poll-bar w50" in page.text
    r = await bob.post(f"/polls/{poll_id}/votes", {"choices": "0", "status_id": sid})
    assert r.status_code == 422  # one vote per account
    anon = visitor()
    anon_page = await anon.get(f"/@alice/{sid}")
    assert "50%" in anon_page.text and "log in to vote" in anon_page.text


async def test_search_accounts_tags_and_posts(visitor):
    alice, anon = visitor(), visitor()
    await alice.signup("alice", "Alice Wonder")
    await alice.compose("gardening is great #gardening")
    r = await anon.get("/search", params={"q": "alic"})
    assert 'href="/@alice"' in r.text and "Alice Wonder" in r.text
    assert "Log in</a> to search posts" in r.text
    r = await anon.get("/search", params={"q": "#garden"})
    assert 'href="/tags/gardening"' in r.text
    r = await alice.get("/search", params={"q": "gardening"})
    assert "gardening is great" in r.text
    r = await alice.get("/search", params={"q": "nothing-matches-this"})
    assert "No one found." in r.text and "No posts found." in r.text


async def test_profile_settings_save_and_refuse(visitor, ctx):
    alice = visitor()
    await alice.signup("alice")
    r = await alice.post("/settings/profile", {"display_name": "New Name", "note": "my bio"})
    assert r.status_code == 303
    page = await alice.get("/settings/profile")
    assert 'value="New Name"' in page.text and ">my bio</textarea>" in page.text
    assert "Saved." in (await alice.get("/settings/profile?saved=1")).text
    profile = await alice.get("/@alice")
    assert "New Name" in profile.text and "my bio" in profile.text
    before = await row_counts(ctx)
    r = await alice.post("/settings/profile", {"display_name": "x" * 200, "note": ""})
    assert r.status_code == 422 and "too long" in r.text
    assert await row_counts(ctx) == before
