"""Search: accounts and hashtags by prefix, statuses by full text, local URLs."""

from __future__ import annotations

from tests.api.readpath_helpers import block, follow
from tests.helpers import Client


async def test_accounts_and_hashtags(client: Client) -> None:
    alice = await client.user("alice")
    await client.user("alicia")
    bob = await client.user("bob")
    await client.post_status(bob, "#python and #pythonista and #rust")
    r = await client.get("/api/v2/search", params={"q": "ali"})
    assert r.status_code == 200
    assert [a["username"] for a in r.json()["accounts"]] == ["alice", "alicia"] or \
        {a["username"] for a in r.json()["accounts"]} == {"alice", "alicia"}
    assert r.json()["statuses"] == []
    r = await client.get("/api/v2/search", params={"q": "@alice"})
    assert r.json()["accounts"][0]["username"] == "alice"  # exact match first
    r = await client.get("/api/v2/search", params={"q": "alice@testserver", "type": "accounts"})
    assert [a["username"] for a in r.json()["accounts"]] == ["alice"]
    r = await client.get("/api/v2/search", params={"q": "alice@elsewhere.example"})
    assert r.json()["accounts"] == []
    r = await client.get("/api/v2/search", params={"q": "#pyth", "type": "hashtags"})
    assert [t["name"] for t in r.json()["hashtags"]] == ["python", "pythonista"]
    assert r.json()["hashtags"][0]["url"] == "http://testserver/tags/python"
    assert r.json()["accounts"] == []
    r = await client.get("/api/v2/search", params={"q": "al%", "type": "accounts"})
    assert r.json()["accounts"] == []  # LIKE wildcards are literal
    r = await client.get("/api/v2/search", params={"q": "a", "following": "true"}, as_=bob)
    assert r.json()["accounts"] == []
    await follow(client, bob, alice)
    r = await client.get("/api/v2/search", params={"q": "a", "following": "true"}, as_=bob)
    assert [a["username"] for a in r.json()["accounts"]] == ["alice"]
    r = await client.get("/api/v1/accounts/search", params={"q": "bo"}, as_=alice)
    assert [a["username"] for a in r.json()] == ["bob"]
    assert (await client.get("/api/v1/accounts/search", params={"q": "bo"})).status_code == 401
    await block(client, bob, alice)
    r = await client.get("/api/v1/accounts/search", params={"q": "bo"}, as_=alice)
    assert r.json() == []


async def test_statuses_full_text(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    old = await client.post_status(alice, "The quick brown fox")
    new = await client.post_status(bob, "a quick Brown dog")
    await client.post_status(alice, "nothing to see")
    hidden = await client.post_status(alice, "quick brown secret", visibility="private")
    r = await client.get("/api/v2/search", params={"q": "quick brown", "type": "statuses"},
                         as_=bob)
    assert [s["id"] for s in r.json()["statuses"]] == [new["id"], old["id"]]
    r = await client.get("/api/v2/search", params={"q": "quick brown", "type": "statuses"},
                         as_=alice)
    assert [s["id"] for s in r.json()["statuses"]] == [hidden["id"], new["id"], old["id"]]
    r = await client.get("/api/v2/search", params={"q": "quick", "account_id": str(alice.id),
                                                   "type": "statuses"}, as_=bob)
    assert [s["id"] for s in r.json()["statuses"]] == [old["id"]]
    r = await client.get("/api/v2/search",
                         params={"q": "quick", "type": "statuses", "limit": 1, "offset": 1},
                         as_=bob)
    assert [s["id"] for s in r.json()["statuses"]] == [old["id"]]
    # Anonymous: no statuses, and no pagination.
    r = await client.get("/api/v2/search", params={"q": "quick"})
    assert r.status_code == 200 and r.json()["statuses"] == []
    assert (await client.get("/api/v2/search", params={"q": "quick", "offset": 1})
            ).status_code == 401


HOSTILE = [
    ('"', 0), ("AND(", 0), ('quick"', 1), ("NOT OR *", 0), ("NEAR(quick fox)", 0),
    ("'; --", 0), ("text:quick", 0), ("^quick", 1), ("\\", 0), ("(((", 0), ("%_", 0),
    ("fox AND(", 0), ('"quick" fox', 1)]


async def test_hostile_queries_never_error(client: Client) -> None:
    alice = await client.user("alice")
    await client.post_status(alice, "quick fox")
    for q, hits in HOSTILE:
        r = await client.get("/api/v2/search", params={"q": q}, as_=alice)
        assert r.status_code == 200, (q, r.text)
        # Every word must occur: operators are words like any other, not syntax.
        assert len(r.json()["statuses"]) == hits, q


async def test_urls_and_bad_input(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    post = await client.post_status(alice, "linked")
    secret = await client.post_status(alice, "secret", visibility="private")
    url = f"http://testserver/@alice/{post['id']}"
    r = await client.get("/api/v2/search", params={"q": url, "resolve": "true"}, as_=bob)
    assert [s["id"] for s in r.json()["statuses"]] == [post["id"]]
    r = await client.get("/api/v2/search",
                         params={"q": f"http://testserver/@alice/{secret['id']}"}, as_=bob)
    assert r.json() == {"accounts": [], "statuses": [], "hashtags": []}
    r = await client.get("/api/v2/search", params={"q": "http://testserver/@alice"}, as_=bob)
    assert [a["username"] for a in r.json()["accounts"]] == ["alice"]
    assert (await client.get("/api/v2/search")).status_code == 400
    assert (await client.get("/api/v2/search", params={"q": "  "})).status_code == 400
    assert (await client.get("/api/v2/search", params={"q": "x", "limit": "many"})
            ).status_code == 422
