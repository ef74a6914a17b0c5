"""Sign up, log in, log out: the session cookie, CSRF on every form, security headers."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from tests.helpers import row_counts
from tests.web.conftest import PASSWORD
from townsquare.store.tables import tokens
from townsquare.web.render import CSP

PUBLIC_PAGES = ["/", "/public", "/tags/anything", "/search", "/search?q=a", "/login", "/signup"]
PRIVATE_PAGES = ["/home", "/notifications", "/settings/profile", "/compose", "/follow_requests"]


async def test_pages_carry_csp_and_no_store(visitor):
    v = visitor()
    for path in PUBLIC_PAGES:
        r = await v.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-security-policy"] == CSP
        assert "'unsafe-inline'" not in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert "<script>" not in r.text and " style=" not in r.text  # CSP: nothing inline
        assert '<script src="/static/townsquare.js' in r.text


async def test_private_pages_send_visitors_to_login(visitor):
    v = visitor()
    for path in PRIVATE_PAGES:
        r = await v.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/login?next=" + path


async def test_signup_sets_a_safe_session_cookie_stored_hashed(visitor, ctx):
    v = visitor()
    r = await v.signup("alice", "Alice")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("townsquare_session=")
    flags = [f.strip().lower() for f in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # http://testserver: a Secure cookie would never come back
    raw = cookie.split(";")[0].split("=", 1)[1]
    async with ctx.db.read() as conn:
        hashes = (await conn.execute(select(tokens.c.token_hash))).scalars().all()
    assert hashlib.sha256(raw.encode()).hexdigest() in hashes
    assert raw not in hashes
    home = await v.get("/home")
    assert home.status_code == 200
    assert 'href="/@alice"' in home.text and "Log out" in home.text


async def test_cookie_is_secure_when_the_site_is_https(ctx, visitor):
    from dataclasses import replace

    ctx.settings = replace(ctx.settings, public_url="https://square.example")
    v = visitor("https://testserver")
    r = await v.signup("bob")
    assert "secure" in [f.strip().lower() for f in r.headers["set-cookie"].split(";")]


async def test_login_wrong_password_then_right(visitor):
    v = visitor()
    await v.signup("carol")
    await v.post("/logout")
    await v.get("/login")
    r = await v.post("/login", {"login": "carol", "password": "nope nope nope"})
    assert r.status_code == 401
    assert "Wrong username, email or password." in r.text
    assert "townsquare_session" not in r.headers.get("set-cookie", "")
    r = await v.post("/login", {"login": "carol@example.org", "password": PASSWORD,
                                "next": "/@carol"})
    assert r.status_code == 303 and r.headers["location"] == "/@carol"
    assert (await v.get("/home")).status_code == 200


async def test_login_never_redirects_off_site(visitor):
    v = visitor()
    await v.signup("dave")
    await v.post("/logout")
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        await v.get("/login")
        r = await v.post("/login", {"login": "dave", "password": PASSWORD, "next": evil})
        assert r.headers["location"] == "/home", evil
        await v.post("/logout")


async def test_logout_revokes_the_session(visitor, ctx):
    v = visitor()
    await v.signup("erin")
    cookie = v.http.cookies.get("townsquare_session")
    r = await v.post("/logout")
    assert r.status_code == 303
    async with ctx.db.read() as conn:
        row = (await conn.execute(select(tokens.c.revoked_at).where(
            tokens.c.token_hash == hashlib.sha256(cookie.encode()).hexdigest()))).one()
    assert row.revoked_at is not None
    # Even a browser that kept the old cookie is signed out.
    v2 = visitor()
    v2.http.cookies.set("townsquare_session", cookie)
    assert (await v2.get("/home")).status_code == 303
    # And the token no longer opens the API either.
    api = await v2.http.get("/api/v1/accounts/verify_credentials",
                            headers={"Authorization": f"Bearer {cookie}"})
    assert api.status_code == 401


async def test_posts_without_or_with_a_wrong_csrf_token_are_refused(visitor, ctx):
    alice = visitor()
    await alice.signup("alice")
    bob = visitor()
    await bob.signup("bob")
    before = await row_counts(ctx)
    for token in ("", "0" * 64, bob.csrf):
        r = await alice.post("/statuses", {"status": "forged"}, csrf=token)
        assert r.status_code == 403, token
        assert "expired" in r.text
        r = await alice.post("/logout", csrf=token)
        assert r.status_code == 403
    assert await row_counts(ctx) == before
    assert (await alice.get("/home")).status_code == 200  # still signed in


async def test_login_form_needs_its_csrf_cookie(visitor):
    v = visitor()
    await v.signup("frank")
    await v.post("/logout")
    await v.get("/login")
    stranger = visitor()  # never loaded the form: no CSRF cookie, token from elsewhere
    r = await stranger.post("/login", {"login": "frank", "password": PASSWORD}, csrf=v.csrf)
    assert r.status_code == 403
    assert "townsquare_session" not in r.headers.get("set-cookie", "")


async def test_signup_errors_are_shown_and_nothing_is_written(visitor, ctx):
    v = visitor()
    await v.get("/signup")
    before = await row_counts(ctx)
    r = await v.post("/signup", {"username": "bad name!", "email": "x@example.org",
                                 "password": PASSWORD, "password_confirm": PASSWORD})
    assert r.status_code == 422 and "username" in r.text
    r = await v.post("/signup", {"username": "ok", "email": "x@example.org",
                                 "password": PASSWORD, "password_confirm": "different"})
    assert r.status_code == 422 and "passwords differ" in r.text
    assert 'value="ok"' in r.text  # the form keeps what was typed
    assert await row_counts(ctx) == before
