"""Instance v1/v2, NodeInfo and WebFinger: the shape clients parse, and honest numbers."""

from __future__ import annotations

import re

from tests.helpers import Client


async def test_instance_v1_shape_and_counts(client: Client) -> None:
    alice = await client.user("alice")
    await client.user("bob")
    await client.post_status(alice, "one")
    await client.post_status(alice, "two")
    await client.post_status(alice, "only followers", visibility="private")
    r = await client.get("/api/v1/instance")
    assert r.status_code == 200
    body = r.json()
    assert re.fullmatch(r"\d+\.\d+\.\d+", body["version"]), body["version"]
    assert body["uri"] == "testserver"
    assert body["urls"]["streaming_api"] == "ws://testserver"
    assert body["stats"] == {"user_count": 2, "status_count": 2, "domain_count": 0}
    conf = body["configuration"]
    assert conf["statuses"]["max_characters"] == 500
    assert conf["statuses"]["characters_reserved_per_url"] == 23
    assert conf["statuses"]["max_media_attachments"] == 4
    assert "image/webp" in conf["media_attachments"]["supported_mime_types"]
    assert conf["polls"]["max_options"] == 4
    assert conf["accounts"]["max_featured_tags"] >= 0
    assert body["registrations"] is True
    assert [r["id"] for r in body["rules"]] == ["1", "2", "3", "4", "5"]
    assert (await client.get("/api/v1/instance/")).status_code == 200


async def test_instance_v2_shape(client: Client) -> None:
    await client.user("alice")
    r = await client.get("/api/v2/instance")
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == "4.3.0"
    assert body["api_versions"] == {"mastodon": 2}
    assert body["domain"] == "testserver"
    assert body["configuration"]["urls"]["streaming"] == "ws://testserver"
    assert body["configuration"]["statuses"]["max_characters"] == 500
    assert body["configuration"]["media_attachments"]["image_size_limit"] > 0
    assert body["configuration"]["polls"]["max_expiration"] > 0
    assert body["registrations"]["enabled"] is True
    assert body["usage"]["users"]["active_month"] == 1
    assert body["thumbnail"]["url"].startswith("http://testserver/")
    assert body["contact"]["email"] == ""


async def test_small_instance_endpoints(client: Client) -> None:
    for path in ("/api/v1/instance/peers", "/api/v1/instance/activity",
                 "/api/v1/custom_emojis"):
        r = await client.get(path)
        assert r.status_code == 200 and r.json() == [], path
    rules = (await client.get("/api/v1/instance/rules")).json()
    assert rules[0] == {"id": "1", "text": "No illegal content.", "hint": rules[0]["hint"]}


async def test_nodeinfo(client: Client) -> None:
    await client.user("alice")
    links = (await client.get("/.well-known/nodeinfo")).json()["links"]
    assert links[0]["href"] == "http://testserver/nodeinfo/2.0"
    info = (await client.get("/nodeinfo/2.0")).json()
    assert info["software"]["name"] == "townsquare"
    assert info["usage"]["users"]["total"] == 1
    assert info["openRegistrations"] is True


async def test_webfinger(client: Client) -> None:
    await client.user("Alice")
    r = await client.get("/.well-known/webfinger", params={"resource": "acct:alice@testserver"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/jrd+json")
    body = r.json()
    assert body["subject"] == "acct:Alice@testserver"
    assert "http://testserver/@Alice" in body["aliases"]
    by_url = await client.get("/.well-known/webfinger",
                              params={"resource": "http://testserver/@Alice"})
    assert by_url.status_code == 200
    assert (await client.get("/.well-known/webfinger", params={
        "resource": "acct:alice@elsewhere.example"})).status_code == 404
    assert (await client.get("/.well-known/webfinger", params={
        "resource": "acct:nobody@testserver"})).status_code == 404
    assert (await client.get("/.well-known/webfinger")).status_code == 400


async def test_preferences(client: Client) -> None:
    alice = await client.user("alice")
    r = await client.patch("/api/v1/accounts/update_credentials", as_=alice,
                           data={"source[privacy]": "unlisted", "source[language]": "fr"})
    assert r.status_code == 200, r.text
    prefs = (await client.get("/api/v1/preferences", as_=alice)).json()
    assert prefs["posting:default:visibility"] == "unlisted"
    assert prefs["posting:default:language"] == "fr"
    assert prefs["posting:default:sensitive"] is False
    assert (await client.get("/api/v1/preferences")).status_code == 401
