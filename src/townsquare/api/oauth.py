"""OAuth 2 (RFC 6749 + PKCE, RFC 7636): the sign-in page, the token and revoke endpoints, and
the server metadata (RFC 8414) that Mastodon 4.3+ clients read.

The sign-in form is protected against cross-site submission by a double-submit token: a random
nonce in an HttpOnly SameSite cookie, and in the form an HMAC of that nonce (and the time it was
issued) under the instance's secret key. Errors on /oauth/* follow RFC 6749:
`{"error": "invalid_grant", "error_description": "..."}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from townsquare.actions import oauth as oauth_actions
from townsquare.actions.accounts import check_password
from townsquare.actions.oauth import OOB, OAuthError
from townsquare.api import auth, params
from townsquare.api import scopes as scope_rules
from townsquare.api.entities import Token
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.context import Context

r = Routes()

_TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates" / "oauth"
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES),
                          autoescape=jinja2.select_autoescape(default=True))
CSRF_COOKIE = "townsquare_oauth_csrf"
CSRF_MAX_AGE = 3600  # a sign-in form is good for an hour
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
GRANT_TYPES = ["authorization_code", "password", "client_credentials"]
# The request fields carried through the sign-in form.
CARRIED = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
           "code_challenge_method")


def oauth_error(exc: OAuthError) -> Response:
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="townsquare"'
    return JSONResponse({"error": exc.error, "error_description": exc.message},
                        status_code=exc.status, headers=headers)


def _page(ctx: Context, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = _env.get_template(template).render(instance_title=ctx.settings.instance_title,
                                              **values)
    return HTMLResponse(html, status_code=status, headers={
        "Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"})


def _str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    return value if isinstance(value, str) else None


# --- CSRF ------------------------------------------------------------------------------------

def _sign(ctx: Context, nonce: str, issued: int) -> str:
    key = ctx.settings.load_secret_key().encode()
    return hmac.new(key, f"oauth-form|{nonce}|{issued}".encode(), hashlib.sha256).hexdigest()


def csrf_token(ctx: Context, nonce: str) -> str:
    issued = int(ctx.clock.now().timestamp())
    return f"{issued}.{_sign(ctx, nonce, issued)}"


def csrf_ok(ctx: Context, nonce: str | None, token: str | None) -> bool:
    if not nonce or not token or "." not in token:
        return False
    issued_raw, _, signature = token.partition(".")
    if not issued_raw.isdigit() or \
            ctx.clock.now().timestamp() - int(issued_raw) > CSRF_MAX_AGE:
        return False
    return hmac.compare_digest(signature, _sign(ctx, nonce, int(issued_raw)))


# --- the authorization request ---------------------------------------------------------------

class PageError(Exception):
    """The request cannot be sent back to the client (unknown client, bad redirect_uri)."""


@dataclass(frozen=True)
class AuthRequest:
    app: Any
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    def hidden_fields(self) -> list[tuple[str, str]]:
        values = {"response_type": "code", "client_id": self.app.client_id,
                  "redirect_uri": self.redirect_uri, "scope": " ".join(self.scopes),
                  "state": self.state, "code_challenge": self.code_challenge,
                  "code_challenge_method": self.code_challenge_method}
        return [(k, v) for k in CARRIED if (v := values[k]) is not None]


class RedirectError(Exception):
    def __init__(self, request: AuthRequest, error: str, description: str) -> None:
        super().__init__(description)
        self.request = request
        self.error = error
        self.description = description


async def _auth_request(ctx: Context, data: dict[str, Any]) -> AuthRequest:
    client_id = _str(data, "client_id")
    app = await oauth_actions.find_app(ctx, client_id) if client_id else None
    if app is None:
        raise PageError("Unknown client: this app is not registered on this server.")
    registered = oauth_actions.redirect_uris(app)
    redirect_uri = _str(data, "redirect_uri")
    if not redirect_uri and len(registered) == 1:
        redirect_uri = registered[0]
    if not redirect_uri or redirect_uri not in registered:
        raise PageError("The redirect URI is not one this app registered.")
    state = _str(data, "state")
    challenge = _str(data, "code_challenge") or None
    method = (_str(data, "code_challenge_method") or None) if challenge else None
    partial = AuthRequest(app, redirect_uri, [], state, challenge, method)
    if _str(data, "response_type") != "code":
        raise RedirectError(partial, "unsupported_response_type",
                            "Only response_type=code is supported.")
    try:
        requested = scope_rules.parse(_str(data, "scope"))
    except ValueError as exc:
        raise RedirectError(partial, "invalid_scope", str(exc)) from None
    if not scope_rules.subset(requested, app.scopes.split()):
        raise RedirectError(partial, "invalid_scope",
                            "The requested scope is invalid, unknown, or malformed.")
    if challenge is not None:
        if (method or "plain") not in oauth_actions.PKCE_METHODS:
            raise RedirectError(partial, "invalid_request",
                                "code_challenge_method must be S256 or plain.")
        if not 43 <= len(challenge) <= 128:
            raise RedirectError(partial, "invalid_request",
                                "code_challenge must be 43-128 characters.")
    return AuthRequest(app, redirect_uri, requested, state, challenge, method)


def _redirect(req: AuthRequest, **values: str) -> RedirectResponse:
    if req.state is not None:
        values["state"] = req.state
    parts = urlsplit(req.redirect_uri)
    query = "&".join(x for x in (parts.query, urlencode(values)) if x)
    return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302,
                            headers={"Cache-Control": "no-store"})


def _send_back_error(ctx: Context, exc: RedirectError) -> Response:
    if exc.request.redirect_uri == OOB:
        return _page(ctx, "error.html", 400, message=exc.description)
    return _redirect(exc.request, error=exc.error, error_description=exc.description)


def _form(ctx: Context, request: Request, req: AuthRequest, *, status: int = 200,
          error: str | None = None, username: str = "") -> Response:
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or len(nonce) > 100:
        nonce = secrets.token_urlsafe(24)
    response = _page(
        ctx, "authorize.html", status, app_name=req.app.name, app_website=req.app.website,
        scopes=req.scopes, error=error, username=username,
        hidden=[*req.hidden_fields(), ("csrf_token", csrf_token(ctx, nonce))],
        redirect_display="this page (a code to copy)" if req.redirect_uri == OOB
        else urlsplit(req.redirect_uri).netloc or req.redirect_uri)
    response.set_cookie(CSRF_COOKIE, nonce, max_age=CSRF_MAX_AGE, path="/oauth",
                        httponly=True, samesite="lax",
                        secure=ctx.settings.base_url.startswith("https://"))
    return response


@r.get("/oauth/authorize")
async def authorize_form(request: Request) -> Response:
    """The sign-in and authorization page of the authorization-code flow."""
    ctx = auth.ctx_of(request)
    data = dict(request.query_params)
    try:
        req = await _auth_request(ctx, data)
    except PageError as exc:
        return _page(ctx, "error.html", 400, message=str(exc))
    except RedirectError as exc:
        return _send_back_error(ctx, exc)
    return _form(ctx, request, req)


@r.post("/oauth/authorize")
async def authorize_submit(request: Request) -> Response:
    """Check the form's credentials and send the code back to the client."""
    ctx = auth.ctx_of(request)
    data = await params.read(request)
    try:
        req = await _auth_request(ctx, data)
    except PageError as exc:
        return _page(ctx, "error.html", 400, message=str(exc))
    except RedirectError as exc:
        return _send_back_error(ctx, exc)
    if not csrf_ok(ctx, request.cookies.get(CSRF_COOKIE), _str(data, "csrf_token")):
        return _form(ctx, request, req, status=403,
                     error="This form has expired or did not come from this site. "
                           "Please sign in again.")
    if _str(data, "decision") == "deny":
        if req.redirect_uri == OOB:
            return _page(ctx, "error.html", 403, message="You denied the authorization.")
        return _redirect(req, error="access_denied",
                         error_description="The resource owner denied the request.")
    username = (_str(data, "username") or "").strip()
    password = _str(data, "password") or ""
    account_id = await check_password(ctx, username, password) if username and password \
        else None
    if account_id is None:
        return _form(ctx, request, req, status=401, username=username[:254],
                     error="Wrong username, email or password.")
    try:
        code = await oauth_actions.create_code(ctx, req.app.id, account_id, req.scopes,
                                               req.redirect_uri, req.code_challenge,
                                               req.code_challenge_method)
    except OAuthError as exc:
        return _send_back_error(ctx, RedirectError(req, exc.error, exc.message))
    if req.redirect_uri == OOB:
        return _page(ctx, "code.html", app_name=req.app.name, code=code)
    return _redirect(req, code=code)


# --- token and revoke --------------------------------------------------------------------------

def _client_credentials(request: Request, data: dict[str, Any]) -> tuple[str | None, str | None]:
    """client_id/client_secret from the form, or from HTTP Basic (RFC 6749 2.3.1)."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client", "Malformed HTTP Basic credentials.",
                             401) from None
        cid, _, secret = decoded.partition(":")
        return unquote(cid), unquote(secret)
    return _str(data, "client_id"), _str(data, "client_secret")


def _requested_scopes(data: dict[str, Any], app: Any) -> list[str]:
    try:
        requested = scope_rules.parse(_str(data, "scope"))
    except ValueError as exc:
        raise OAuthError("invalid_scope", f"The requested scope is invalid: {exc}.") from None
    if not scope_rules.subset(requested, app.scopes.split()):
        raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or "
                         "malformed: it is outside the scopes the app registered.")
    return requested


async def _token(ctx: Context, request: Request, data: dict[str, Any]) -> Token:
    grant_type = _str(data, "grant_type")
    if grant_type is None:
        raise OAuthError("invalid_request", "grant_type is required.")
    if grant_type not in GRANT_TYPES:
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not "
                         f"supported (use one of {', '.join(GRANT_TYPES)}).")
    cid, secret = _client_credentials(request, data)
    app = await oauth_actions.authenticate_client(ctx, cid, secret)
    if grant_type == "authorization_code":
        code = _str(data, "code")
        if not code:
            raise OAuthError("invalid_request", "code is required.")
        issued = await oauth_actions.redeem_code(ctx, app.id, code, _str(data, "redirect_uri"),
                                                 _str(data, "code_verifier"))
    elif grant_type == "password":
        scopes = _requested_scopes(data, app)
        login, password = _str(data, "username"), _str(data, "password")
        if not login or not password:
            raise OAuthError("invalid_request", "username and password are required.")
        account_id = await check_password(ctx, login, password)
        if account_id is None:
            raise OAuthError("invalid_grant", "The provided authorization grant is invalid: "
                             "wrong username, email or password.")
        issued = await oauth_actions.grant_token(ctx, app.id, account_id, scopes)
    else:  # client_credentials: a token for the app itself
        issued = await oauth_actions.grant_token(ctx, app.id, None, _requested_scopes(data, app))
    return Token(access_token=issued.token, token_type="Bearer", scope=" ".join(issued.scopes),
                 created_at=issued.created_at)


@r.post("/oauth/token", response=Token)
async def token(request: Request) -> Response:
    """Obtain a token (authorization_code with PKCE, password, client_credentials)."""
    ctx = auth.ctx_of(request)
    try:
        data = await params.read(request)
        result = await _token(ctx, request, data)
    except OAuthError as exc:
        return oauth_error(exc)
    return ok(result, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@r.post("/oauth/revoke")
async def revoke(request: Request) -> Response:
    """Revoke an access token issued to this client (RFC 7009)."""
    ctx = auth.ctx_of(request)
    try:
        data = await params.read(request)
        cid, secret = _client_credentials(request, data)
        app = await oauth_actions.authenticate_client(ctx, cid, secret)
        raw = _str(data, "token")
        if not raw:
            raise OAuthError("invalid_request", "token is required.")
    except OAuthError as exc:
        return oauth_error(exc)
    # Unknown or already revoked tokens are fine (RFC 7009 2.2): the answer is the same.
    await oauth_actions.revoke_token(ctx, raw, app.id)
    return ok({})


@r.get("/.well-known/oauth-authorization-server")
async def server_metadata(request: Request) -> Response:
    """OAuth 2 authorization server metadata (RFC 8414)."""
    ctx = auth.ctx_of(request)
    base = ctx.settings.base_url
    return ok({
        "issuer": base + "/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": base + "/oauth/authorize",
        "token_endpoint": base + "/oauth/token",
        "app_registration_endpoint": base + "/api/v1/apps",
        "revocation_endpoint": base + "/oauth/revoke",
        "scopes_supported": sorted(scope_rules.ALL),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": list(oauth_actions.PKCE_METHODS),
        "grant_types_supported": GRANT_TYPES,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    })


routes = r.routes
