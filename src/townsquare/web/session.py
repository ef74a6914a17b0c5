"""Who is signed in (a session cookie holding an access token), and CSRF tokens.

The CSRF token is an HMAC, under the instance's secret key, of the session token (or, for a
visitor not signed in, of a random nonce in its own cookie): a form from another site cannot
know it, and it changes with every sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions.web_sessions import session_account
from townsquare.api.entities import Account
from townsquare.context import Context
from townsquare.moderation.policy import MODERATOR_ROLES
from townsquare.queries.accounts import account_entity

SESSION_COOKIE = "townsquare_session"
ANON_COOKIE = "townsquare_csrf"
SESSION_MAX_AGE = 60 * 60 * 24 * 30  # a month
CSRF_FIELD = "csrf_token"


class WebError(Exception):
    """A page-level refusal: rendered as an HTML error page (or fragment) with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Viewer:
    id: int
    account: Account
    token: str
    role: str = "user"  # moderator / admin see the moderators' page

    @property
    def moderator(self) -> bool:
        return self.role in MODERATOR_ROLES


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def viewer(request: Request) -> Viewer | None:
    """The signed-in account, looked up once per request."""
    if "viewer" in request.state._state:
        cached: Viewer | None = request.state.viewer
        return cached
    raw = request.cookies.get(SESSION_COOKIE, "")
    found = None
    if raw:
        ctx = ctx_of(request)
        row = await session_account(ctx, raw)
        if row is not None:
            found = Viewer(row.id, account_entity(row, ctx.settings), raw,
                           str(getattr(row, "role", None) or "user"))
    request.state.viewer = found
    return found


async def require_viewer(request: Request) -> Viewer:
    v = await viewer(request)
    if v is None:
        raise WebError(401, "Please log in first.")
    return v


def _sign(ctx: Context, value: str) -> str:
    key = ctx.settings.load_secret_key().encode()
    return hmac.new(key, b"townsquare-csrf|" + value.encode(), hashlib.sha256).hexdigest()


def _anon_nonce(request: Request) -> str:
    """The visitor's CSRF nonce; a new one is made (and set by `set_cookies`) if missing."""
    nonce = request.cookies.get(ANON_COOKIE) or request.state._state.get("new_anon_nonce")
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        request.state.new_anon_nonce = nonce
    return str(nonce)


async def csrf_token(request: Request) -> str:
    v = await viewer(request)
    base = "s|" + v.token if v is not None else "a|" + _anon_nonce(request)
    return _sign(ctx_of(request), base)


async def check_csrf(request: Request, sent: str) -> None:
    v = await viewer(request)
    if v is not None:
        expected = _sign(ctx_of(request), "s|" + v.token)
    else:
        nonce = request.cookies.get(ANON_COOKIE)
        if not nonce:
            raise WebError(403, "This form has expired. Reload the page and try again.")
        expected = _sign(ctx_of(request), "a|" + nonce)
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise WebError(403, "This form has expired. Reload the page and try again.")


def secure(request: Request) -> bool:
    return ctx_of(request).settings.base_url.startswith("https://")


def set_cookies(request: Request, response: Response) -> None:
    """Set the visitor's CSRF nonce cookie if this request made one."""
    nonce = request.state._state.get("new_anon_nonce")
    if nonce and request.cookies.get(ANON_COOKIE) != nonce:
        response.set_cookie(ANON_COOKIE, nonce, httponly=True, samesite="lax",
                            secure=secure(request), path="/")


def sign_in(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_MAX_AGE, httponly=True,
                        samesite="lax", secure=secure(request), path="/")


def sign_out(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=secure(request))
