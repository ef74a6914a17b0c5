"""Apps and OAuth 2: every grant, through the real sign-in form, with the refusals."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers import Client, row_counts

REDIRECT = "https://app.example/callback"
OOB = "urn:ietf:wg:oauth:2.0:oob"
VERIFIER = "v" * 20 + "erifier-of-forty-three-characters-x"


async def register(client: Client, scopes: str = "read write follow",
                   redirect: Any = REDIRECT) -> dict[str, Any]:
    r = await client.post("/api/v1/apps", json={"client_name": "Test app",
                                                "redirect_uris": redirect, "scopes": scopes,
                                                "website": "https://app.example"})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"=").decode()


async def authorize(client: Client, app: dict[str, Any], *, login: str = "alice",
                    password: str = "correct horse", redirect: str = REDIRECT,
                    scope: str = "read write", **extra: str) -> Any:
    page = await client.get("/oauth/authorize", params={
        "response_type": "code", "client_id": app["client_id"], "redirect_uri": redirect,
        "scope": scope, "state": "xyz", **extra})
    assert page.status_code == 200, page.text
    assert "Test app" in page.text
    fields = form_fields(page.text)
    assert fields["client_id"] == app["client_id"]
    return await client.post("/oauth/authorize", data={
        **fields, "username": login, "password": password, "decision": "allow"})


async def token(client: Client, app: dict[str, Any], **fields: str) -> Any:
    return await client.post("/oauth/token", data={
        "client_id": app["client_id"], "client_secret": app["client_secret"], **fields})


async def test_register_app_and_verify(client: Client) -> None:
    app = await register(client, redirect=[REDIRECT, OOB])
    assert app["name"] == "Test app" and app["website"] == "https://app.example"
    assert app["scopes"] == ["read", "write", "follow"]
    assert app["redirect_uris"] == [REDIRECT, OOB]
    assert app["client_id"] and app["client_secret"]
    bad = await client.post("/api/v1/apps", data={"client_name": "x", "redirect_uris": REDIRECT,
                                                  "scopes": "read nonsense"})
    assert bad.status_code == 422
    blank = await client.post("/api/v1/apps/", data={"client_name": "x"})
    assert blank.status_code == 422
    r = await token(client, app, grant_type="client_credentials", scope="read")
    assert r.status_code == 200, r.text
    me = await client.get("/api/v1/apps/verify_credentials",
                          headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.status_code == 200
    assert me.json()["name"] == "Test app" and me.json()["client_secret"] is None


async def test_authorization_code_flow_with_pkce(client: Client) -> None:
    alice = await client.user("alice")
    app = await register(client)
    r = await authorize(client, app, code_challenge=s256(VERIFIER),
                        code_challenge_method="S256")
    assert r.status_code == 302
    location = urlsplit(r.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    code = query["code"][0]

    missing = await token(client, app, grant_type="authorization_code", code=code,
                          redirect_uri=REDIRECT)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    other_app = await register(client)
    foreign = await token(client, other_app, grant_type="authorization_code", code=code,
                          redirect_uri=REDIRECT, code_verifier=VERIFIER)
    assert foreign.status_code == 400 and foreign.json()["error"] == "invalid_grant"
    wrong = await token(client, app, grant_type="authorization_code", code=code,
                        redirect_uri=REDIRECT, code_verifier="x" * 43)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    r = await token(client, app, grant_type="authorization_code", code=code,
                    redirect_uri=REDIRECT, code_verifier=VERIFIER)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read write"
    me = await client.get("/api/v1/accounts/verify_credentials",
                          headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == str(alice.id)

    again = await token(client, app, grant_type="authorization_code", code=code,
                        redirect_uri=REDIRECT, code_verifier=VERIFIER)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_code_expires_and_redirect_uri_must_match(client: Client, clock: Any) -> None:
    await client.user("alice")
    app = await register(client, redirect=[REDIRECT, "https://app.example/other"])
    r = await authorize(client, app)
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    mismatch = await token(client, app, grant_type="authorization_code", code=code,
                           redirect_uri="https://app.example/other")
    assert mismatch.status_code == 400 and mismatch.json()["error"] == "invalid_grant"
    clock.advance(601)
    late = await token(client, app, grant_type="authorization_code", code=code,
                       redirect_uri=REDIRECT)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


async def test_oob_shows_code_and_basic_auth(client: Client) -> None:
    await client.user("alice")
    app = await register(client, redirect=OOB)
    r = await authorize(client, app, redirect=OOB, scope="read")
    assert r.status_code == 200
    code = re.search(r'<code class="grant" id="code">([^<]+)</code>', r.text)
    assert code is not None
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    t = await client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code.group(1), "redirect_uri": OOB},
        headers={"Authorization": f"Basic {basic}"})
    assert t.status_code == 200, t.text
    assert t.json()["scope"] == "read"


async def test_sign_in_form_refusals(client: Client) -> None:
    await client.user("alice")
    app = await register(client)
    before = await row_counts(client.ctx)
    wrong = await authorize(client, app, password="wrong password")
    assert wrong.status_code == 401 and "Wrong username" in wrong.text
    page = await client.get("/oauth/authorize", params={
        "response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT})
    fields = form_fields(page.text)
    forged = await client.post("/oauth/authorize", data={
        **fields, "csrf_token": "1." + "0" * 64, "username": "alice",
        "password": "correct horse"})
    assert forged.status_code == 403
    client.http.cookies.clear()
    no_cookie = await client.post("/oauth/authorize", data={
        **fields, "username": "alice", "password": "correct horse"})
    assert no_cookie.status_code == 403
    assert await row_counts(client.ctx) == before

    unknown = await client.get("/oauth/authorize", params={"response_type": "code",
                                                          "client_id": "nope"})
    assert unknown.status_code == 400
    bad_redirect = await client.get("/oauth/authorize", params={
        "response_type": "code", "client_id": app["client_id"],
        "redirect_uri": "https://evil.example/"})
    assert bad_redirect.status_code == 400 and "evil" not in bad_redirect.headers.get(
        "location", "")
    too_wide = await client.get("/oauth/authorize", params={
        "response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT,
        "scope": "read push"})
    assert too_wide.status_code == 302
    assert parse_qs(urlsplit(too_wide.headers["location"]).query)["error"] == ["invalid_scope"]

    page = await client.get("/oauth/authorize", params={
        "response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT})
    denied = await client.post("/oauth/authorize", data={**form_fields(page.text),
                                                         "decision": "deny"})
    assert denied.status_code == 302
    assert "error=access_denied" in denied.headers["location"]


async def test_password_grant_with_username_or_email(client: Client) -> None:
    alice = await client.user("alice")
    app = await register(client)
    for login in ("alice", "alice@example.org", "ALICE@example.org"):
        r = await token(client, app, grant_type="password", username=login,
                        password="correct horse", scope="read write")
        assert r.status_code == 200, r.text
        assert r.json()["scope"] == "read write"
        me = await client.get("/api/v1/accounts/verify_credentials",
                              headers={"Authorization": f"Bearer {r.json()['access_token']}"})
        assert me.json()["id"] == str(alice.id)
    before = await row_counts(client.ctx)
    wrong = await token(client, app, grant_type="password", username="alice",
                        password="not it")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    nobody = await token(client, app, grant_type="password", username="nobody",
                         password="correct horse")
    assert nobody.status_code == 400
    bad_client = await client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": "x",
        "username": "alice", "password": "correct horse"})
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    outside = await token(client, app, grant_type="password", username="alice",
                          password="correct horse", scope="read push")
    assert outside.status_code == 400 and outside.json()["error"] == "invalid_scope"
    unsupported = await token(client, app, grant_type="refresh_token")
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"
    assert await row_counts(client.ctx) == before


async def test_token_scopes_echo_and_enforced(client: Client) -> None:
    await client.user("alice")
    app = await register(client, scopes="read write:statuses follow")
    r = await token(client, app, grant_type="password", username="alice",
                    password="correct horse", scope="read:accounts write:statuses")
    assert r.json()["scope"] == "read:accounts write:statuses"
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await client.get("/api/v1/accounts/verify_credentials",
                             headers=headers)).status_code == 200
    assert (await client.get("/api/v1/accounts/relationships",
                             headers=headers)).status_code == 403
    default = await token(client, app, grant_type="password", username="alice",
                          password="correct horse")
    assert default.json()["scope"] == "read"


async def test_client_credentials_token_has_no_account(client: Client) -> None:
    app = await register(client)
    r = await token(client, app, grant_type="client_credentials", scope="read")
    assert r.status_code == 200
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert me.status_code == 422


async def test_revoke_makes_token_invalid(client: Client) -> None:
    await client.user("alice")
    app = await register(client)
    r = await token(client, app, grant_type="password", username="alice",
                    password="correct horse")
    raw = r.json()["access_token"]
    headers = {"Authorization": f"Bearer {raw}"}
    assert (await client.get("/api/v1/accounts/verify_credentials",
                             headers=headers)).status_code == 200
    other = await register(client)
    foreign = await client.post("/oauth/revoke", data={
        "token": raw, "client_id": other["client_id"], "client_secret": other["client_secret"]})
    assert foreign.status_code == 200  # RFC 7009: same answer, but nothing revoked
    assert (await client.get("/api/v1/accounts/verify_credentials",
                             headers=headers)).status_code == 200
    rv = await client.post("/oauth/revoke", data={
        "token": raw, "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert rv.status_code == 200 and rv.json() == {}
    assert (await client.get("/api/v1/accounts/verify_credentials",
                             headers=headers)).status_code == 401


async def test_server_metadata(client: Client) -> None:
    r = await client.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200
    body = r.json()
    assert body["token_endpoint"] == "http://testserver/oauth/token"
    assert "S256" in body["code_challenge_methods_supported"]
    assert body["app_registration_endpoint"] == "http://testserver/api/v1/apps"
