"""Registration, the signed-in account, profiles and profile updates."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.helpers import Client, row_counts


async def app_token(client: Client, scopes: str = "read write follow") -> dict[str, str]:
    app = (await client.post("/api/v1/apps", data={
        "client_name": "signup", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        "scopes": scopes})).json()
    t = await client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "scope": scopes})
    assert t.status_code == 200, t.text
    return {"Authorization": f"Bearer {t.json()['access_token']}"}


SIGNUP = {"username": "carol", "email": "carol@example.org", "password": "long enough pw",
          "agreement": "true", "locale": "en"}


async def test_register_with_app_token(client: Client) -> None:
    headers = await app_token(client)
    r = await client.post("/api/v1/accounts", data=SIGNUP, headers=headers)
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "Bearer" and token["scope"]
    me = await client.get("/api/v1/accounts/verify_credentials",
                          headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "carol"
    assert me.json()["source"]["privacy"] == "public"
    before = await row_counts(client.ctx)
    taken = await client.post("/api/v1/accounts", data=SIGNUP, headers=headers)
    assert taken.status_code == 422
    no_agreement = await client.post("/api/v1/accounts", headers=headers, data={
        **SIGNUP, "username": "dave", "email": "dave@example.org", "agreement": "false"})
    assert no_agreement.status_code == 422
    short = await client.post("/api/v1/accounts", headers=headers, data={
        **SIGNUP, "username": "dave", "email": "dave@example.org", "password": "short"})
    assert short.status_code == 422
    assert await row_counts(client.ctx) == before


async def test_register_needs_write_accounts_app_token(client: Client) -> None:
    read_only = await app_token(client, "read")
    r = await client.post("/api/v1/accounts", data=SIGNUP, headers=read_only)
    assert r.status_code == 403
    assert (await client.post("/api/v1/accounts", data=SIGNUP)).status_code == 401


async def test_registrations_closed(client: Client) -> None:
    headers = await app_token(client)
    client.ctx.settings = client.ctx.settings.with_(registrations_open=False)
    before = await row_counts(client.ctx)
    r = await client.post("/api/v1/accounts", data=SIGNUP, headers=headers)
    assert r.status_code == 403 and "closed" in r.json()["error"]
    assert await row_counts(client.ctx) == before
    assert (await client.get("/api/v2/instance")).json()["registrations"]["enabled"] is False


async def test_verify_credentials_scopes(client: Client) -> None:
    alice = await client.user("alice")
    profile = await client.token(alice, ["profile"])
    assert (await client.get("/api/v1/accounts/verify_credentials",
                             as_=profile)).status_code == 200
    writer = await client.token(alice, ["write"])
    assert (await client.get("/api/v1/accounts/verify_credentials",
                             as_=writer)).status_code == 403
    assert (await client.get("/api/v1/accounts/verify_credentials/",
                             as_=alice)).status_code == 200


async def test_update_credentials(client: Client) -> None:
    alice = await client.user("alice")
    r = await client.patch("/api/v1/accounts/update_credentials", as_=alice, data={
        "display_name": "Alice A.", "note": "I like <b>tea</b>\nhttps://example.org",
        "locked": "true", "bot": "1", "discoverable": "false",
        "source[privacy]": "private", "source[sensitive]": "true", "source[language]": "de"})
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["display_name"] == "Alice A."
    assert "&lt;b&gt;tea&lt;/b&gt;" in me["note"] and "<b>" not in me["note"]
    assert 'href="https://example.org"' in me["note"]
    assert me["source"]["note"].startswith("I like <b>tea</b>")
    assert me["locked"] is True and me["bot"] is True and me["discoverable"] is False
    assert me["source"]["privacy"] == "private" and me["source"]["sensitive"] is True
    assert me["source"]["language"] == "de"
    public = (await client.get(f"/api/v1/accounts/{alice.id}")).json()
    assert public["display_name"] == "Alice A." and public["locked"] is True
    json_update = await client.patch("/api/v1/accounts/update_credentials", as_=alice,
                                     json={"display_name": "Al", "source": {"privacy": "public"}})
    assert json_update.status_code == 200
    assert json_update.json()["display_name"] == "Al"
    assert json_update.json()["source"]["privacy"] == "public"
    assert json_update.json()["locked"] is True  # untouched fields stay


@pytest.mark.parametrize("bad", [
    {"display_name": "x" * 101},
    {"note": "x" * 501},
    {"source[privacy]": "direct"},
    {"source[language]": "not a language"},
    {"locked": "maybe"},
])
async def test_update_credentials_refuses_bad_values(client: Client, bad: dict[str, str]) -> None:
    alice = await client.user("alice")
    before = (await client.get("/api/v1/accounts/verify_credentials", as_=alice)).json()
    r = await client.patch("/api/v1/accounts/update_credentials", as_=alice,
                           data={"display_name": "Changed", **bad})
    assert r.status_code == 422, r.text
    after = (await client.get("/api/v1/accounts/verify_credentials", as_=alice)).json()
    assert after == before


async def test_update_credentials_needs_write_accounts(client: Client) -> None:
    alice = await client.user("alice")
    reader = await client.token(alice, ["read"])
    r = await client.patch("/api/v1/accounts/update_credentials", as_=reader,
                           data={"display_name": "x"})
    assert r.status_code == 403


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def _has_profile_images() -> bool:
    try:
        from townsquare.actions import media
    except ImportError:
        return False
    return hasattr(media, "set_profile_image")


@pytest.mark.skipif(not _has_profile_images(),
                    reason="townsquare.actions.media.set_profile_image not there yet")
async def test_update_avatar_and_header(client: Client) -> None:
    alice = await client.user("alice")
    default = (await client.get("/api/v1/accounts/verify_credentials", as_=alice)).json()
    r = await client.patch("/api/v1/accounts/update_credentials", as_=alice, files={
        "avatar": ("me.png", _png(), "image/png"), "header": ("h.png", _png(), "image/png")})
    assert r.status_code == 200, r.text
    assert r.json()["avatar"] != default["avatar"]
    assert r.json()["header"] != default["header"]
    bad = await client.patch("/api/v1/accounts/update_credentials", as_=alice, files={
        "avatar": ("x.png", b"not an image", "image/png")})
    assert bad.status_code == 422
    assert (await client.get("/api/v1/accounts/verify_credentials",
                             as_=alice)).json()["avatar"] == r.json()["avatar"]


async def test_get_account_and_lookup(client: Client) -> None:
    alice = await client.user("Alice")
    r = await client.get(f"/api/v1/accounts/{alice.id}")
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    assert body["username"] == "Alice" and body["acct"] == "Alice"
    assert body["url"] == "http://testserver/@Alice"
    assert "source" not in body
    assert (await client.get("/api/v1/accounts/999999")).status_code == 404
    for acct in ("alice", "@Alice", "alice@testserver"):
        found = await client.get("/api/v1/accounts/lookup", params={"acct": acct})
        assert found.status_code == 200 and found.json()["id"] == str(alice.id), acct
    assert (await client.get("/api/v1/accounts/lookup",
                             params={"acct": "alice@elsewhere.example"})).status_code == 404
    assert (await client.get("/api/v1/accounts/lookup",
                             params={"acct": "nobody"})).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{alice.id}/")).status_code == 200

