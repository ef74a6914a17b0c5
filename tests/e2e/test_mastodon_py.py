"""Mastodon.py, unchanged, against a live server: what a Python app built on it does.

Mastodon.py refuses plain-http OAuth endpoints unless `log_in(..., allow_http=True)` (its
documented switch for testing); the test server is loopback http, so the tests pass it.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonServerError

from tests.e2e.conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.e2e

SCOPES = ["read", "write", "follow", "push"]
_apps: dict[str, tuple[str, str]] = {}


def app_for(server: LiveServer) -> tuple[str, str]:
    if server.url not in _apps:
        _apps[server.url] = Mastodon.create_app("townsquare e2e", scopes=SCOPES,
                                                api_base_url=server.url,
                                                website="https://example.org")
    return _apps[server.url]


def login(server: LiveServer, login_name: str, password: str = PASSWORD) -> Mastodon:
    client_id, client_secret = app_for(server)
    m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.url)
    m.log_in(login_name, password, scopes=SCOPES, allow_http=True)
    return m


def png(width: int = 64, height: int = 48) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    image = Image.new("RGB", (width, height), (30, 120, 200))
    image.save(buf, "PNG")
    return buf.getvalue()


def quoted_id(status: Any) -> str | None:
    """Mastodon 4.5 nests the quoted post in a Quote entity; the older extension inlines it."""
    quote = status.get("quote")
    if not quote:
        return None
    inner = quote.get("quoted_status") or quote
    return str(inner["id"])


def api_status(exc: MastodonAPIError) -> int:
    code: int = exc.args[1]
    return code


def test_app_and_password_login_with_username_and_email(live_server: LiveServer) -> None:
    by_name = login(live_server, "alice")
    me = by_name.account_verify_credentials()
    assert me.username == "alice" and me.acct == "alice"
    by_email = login(live_server, live_server.emails["alice"])
    assert by_email.account_verify_credentials().id == me.id
    with pytest.raises(Exception) as refused:
        login(live_server, "alice", "wrong password!")
    assert not isinstance(refused.value, MastodonServerError)


def test_instance(live_server: LiveServer) -> None:
    m = login(live_server, "alice")
    info = m.instance()
    # Clients parse `version` to decide which endpoints exist: a plain MAJOR.MINOR.PATCH.
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(info.version)), info.version
    assert m.verify_minimum_version("3.0.0", cached=False)
    v2 = m.instance_v2()
    assert v2.configuration.statuses.max_characters == 500
    assert "mastodon" in v2.api_versions


def test_post_with_image_reply_context_edit_delete(live_server: LiveServer) -> None:
    alice, bob = login(live_server, "alice"), login(live_server, "bob")
    media = alice.media_post(io.BytesIO(png()), mime_type="image/png", file_name="sky.png",
                             description="a blue sky", focus=(0.25, -0.5))
    assert media.type == "image" and media.description == "a blue sky"
    post = alice.status_post("The sky today #weather", media_ids=[media])
    assert [m.id for m in post.media_attachments] == [media.id]
    assert post.media_attachments[0].meta.focus.x == pytest.approx(0.25)
    assert "weather" in [t.name for t in post.tags]

    reply = bob.status_post("@alice lovely!", in_reply_to_id=post)
    assert str(reply.in_reply_to_id) == str(post.id)
    context = alice.status_context(post)
    assert [s.id for s in context.descendants] == [reply.id]
    assert bob.status_context(reply).ancestors[0].id == post.id

    edited = bob.status_update(reply, "@alice lovely, really!")
    assert "really" in edited.content and edited.edited_at is not None
    history = bob.status_history(reply)
    assert len(history) == 2 and "really" in history[-1].content

    bob.status_delete(reply)
    assert alice.status_context(post).descendants == []


def test_poll_vote_and_voting_twice_is_refused(live_server: LiveServer) -> None:
    alice, bob, carol = (login(live_server, n) for n in ("alice", "bob", "carol"))
    post = alice.status_post("Tea or coffee?", poll=alice.make_poll(["tea", "coffee"], 3600))
    poll = post.poll
    assert [o.title for o in poll.options] == ["tea", "coffee"]
    voted = bob.poll_vote(poll, [1])
    assert voted.voted is True and voted.own_votes == [1] and voted.votes_count == 1
    with pytest.raises(MastodonAPIError) as again:
        bob.poll_vote(poll, [0])
    assert not isinstance(again.value, MastodonServerError)
    assert 400 <= api_status(again.value) < 500
    carol.poll_vote(poll, [0])
    assert [o.votes_count for o in alice.poll(poll).options] == [1, 1]


def test_follow_like_reblog_quote_and_notifications(live_server: LiveServer) -> None:
    dave, erin = login(live_server, "dave"), login(live_server, "erin")
    dave_id = dave.account_verify_credentials().id
    relationship = erin.account_follow(dave_id)
    assert relationship.following is True
    post = dave.status_post("A thought worth sharing")
    assert erin.status_favourite(post).favourited is True
    boost = erin.status_reblog(post)
    assert boost.reblog.id == post.id
    quote = erin.status_post("Well said", quoted_status_id=post)
    assert quoted_id(quote) == str(post.id)
    erin.status_post("@dave hello there")

    kinds = {n.type for n in dave.notifications()}
    assert {"follow", "favourite", "reblog", "mention"} <= kinds, kinds
    assert kinds & {"quote", "status", "mention"}

    home = erin.timeline_home()
    assert post.id in {s.reblog.id if s.reblog else s.id for s in home}


def test_home_timeline_page_by_page(live_server: LiveServer) -> None:
    frank, carol = login(live_server, "frank"), login(live_server, "carol")
    frank.account_follow(carol.account_verify_credentials().id)
    posted = [carol.status_post(f"numbered post {i}").id for i in range(23)]
    posted += [frank.status_post("my own post").id]

    seen: list[Any] = []
    page = frank.timeline_home(limit=5)
    pages = 0
    while page:
        seen.extend(s.id for s in page)
        pages += 1
        assert pages < 50, "pagination does not end"
        page = frank.fetch_next(page)
    assert len(seen) == len(set(seen)), "a post came twice"
    assert set(posted) <= set(seen)
    assert seen == sorted(seen, key=int, reverse=True)
    assert pages >= 5


def test_search(live_server: LiveServer) -> None:
    alice = login(live_server, "alice")
    alice.status_post("Bread from the #bakery smells of cardamom")
    found = alice.search_v2("cardamom", result_type="statuses")
    assert any("cardamom" in s.content for s in found.statuses)
    people = alice.search_v2("bob", result_type="accounts")
    assert "bob" in [a.username for a in people.accounts]
    tags = alice.search_v2("#bakery", result_type="hashtags")
    assert "bakery" in [t.name for t in tags.hashtags]
