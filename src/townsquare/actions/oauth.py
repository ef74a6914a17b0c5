"""OAuth apps, authorization codes and tokens.

Client secrets are random; tokens and authorization codes are stored only as SHA-256 hashes,
so a leaked database leaks no session. Codes are single-use and live ten minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from townsquare.actions.errors import ActionError, Invalid
from townsquare.context import Context
from townsquare.store.db import Tx
from townsquare.store.tables import apps, oauth_codes, tokens

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)
PKCE_METHODS = ("S256", "plain")


class OAuthError(ActionError):
    """An RFC 6749 error: `error` is the machine code (invalid_grant...), the message says why."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status


@dataclass(frozen=True)
class NewApp:
    name: str
    redirect_uris: list[str]
    scopes: list[str]
    website: str | None = None


@dataclass(frozen=True)
class CreatedApp:
    id: int
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class IssuedToken:
    id: int
    token: str  # shown once, only now
    scopes: list[str]
    created_at: int  # unix seconds


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_app(ctx: Context, new: NewApp) -> CreatedApp:
    if not new.name.strip() or len(new.name) > 200:
        raise Invalid("Validation failed: client_name must be 1-200 characters")
    if not new.redirect_uris:
        raise Invalid("Validation failed: redirect_uris can't be blank")
    for uri in new.redirect_uris:
        if uri != OOB and ("://" not in uri or len(uri) > 2000 or "#" in uri):
            raise Invalid(f"Validation failed: redirect_uri {uri!r} is not an absolute URI")
    if new.website is not None and len(new.website) > 500:
        raise Invalid("Validation failed: website is too long")
    app_id = ctx.ids.next()
    client_id = secrets.token_urlsafe(32)
    client_secret = secrets.token_urlsafe(32)
    async with ctx.db.write() as tx:
        await tx.execute(insert(apps).values(
            id=app_id, name=new.name.strip(), website=new.website or None,
            redirect_uris="\n".join(new.redirect_uris), scopes=" ".join(new.scopes),
            client_id=client_id, client_secret=client_secret, created_at=ctx.clock.now()))
    return CreatedApp(app_id, client_id, client_secret)


async def _insert_token(ctx: Context, tx: Tx, app_id: int | None, account_id: int | None,
                        scopes: list[str]) -> IssuedToken:
    raw = secrets.token_urlsafe(32)
    token_id = ctx.ids.next()
    now = ctx.clock.now()
    await tx.execute(insert(tokens).values(
        id=token_id, token_hash=_hash(raw), app_id=app_id, account_id=account_id,
        scopes=" ".join(scopes), created_at=now))
    return IssuedToken(token_id, raw, list(scopes), int(now.timestamp()))


async def issue_token(ctx: Context, app_id: int | None, account_id: int | None,
                      scopes: list[str]) -> tuple[int, str]:
    """A new access token; returns (token id, the token itself, shown only now)."""
    async with ctx.db.write() as tx:
        issued = await _insert_token(ctx, tx, app_id, account_id, scopes)
    return issued.id, issued.token


async def grant_token(ctx: Context, app_id: int | None, account_id: int | None,
                      scopes: list[str]) -> IssuedToken:
    """Like issue_token, with everything the token response shows."""
    async with ctx.db.write() as tx:
        return await _insert_token(ctx, tx, app_id, account_id, scopes)


async def revoke_token(ctx: Context, raw: str, app_id: int | None = None) -> bool:
    async with ctx.db.write() as tx:
        stmt = update(tokens).where(tokens.c.token_hash == _hash(raw),
                                    tokens.c.revoked_at.is_(None))
        if app_id is not None:
            stmt = stmt.where(tokens.c.app_id == app_id)
        result = await tx.execute(stmt.values(revoked_at=ctx.clock.now()))
        return bool(result.rowcount)


async def find_app(ctx: Context, client_id: str) -> Any:
    async with ctx.db.read() as conn:
        return (await conn.execute(select(apps).where(apps.c.client_id == client_id))).first()


async def app_by_id(ctx: Context, app_id: int) -> Any:
    async with ctx.db.read() as conn:
        return (await conn.execute(select(apps).where(apps.c.id == app_id))).first()


async def authenticate_client(ctx: Context, client_id: str | None,
                              client_secret: str | None) -> Any:
    """The app row for a client id and secret; OAuthError invalid_client otherwise."""
    app = await find_app(ctx, client_id) if client_id else None
    if app is None or not client_secret or not hmac.compare_digest(
            app.client_secret.encode(), client_secret.encode()):
        raise OAuthError("invalid_client", "Client authentication failed due to unknown "
                         "client, no client authentication included, or unsupported "
                         "authentication method.", 401)
    return app


def redirect_uris(app: Any) -> list[str]:
    return [u for u in str(app.redirect_uris).splitlines() if u]


def pkce_matches(challenge: str, method: str, verifier: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        computed = verifier
    return hmac.compare_digest(computed.encode(), challenge.encode())


async def create_code(ctx: Context, app_id: int, account_id: int, scopes: list[str],
                      redirect_uri: str, code_challenge: str | None,
                      code_challenge_method: str | None) -> str:
    """A fresh authorization code for an approved request (the raw code, shown once)."""
    if code_challenge is not None:
        method = code_challenge_method or "plain"
        if method not in PKCE_METHODS:
            raise OAuthError("invalid_request", "code_challenge_method must be S256 or plain")
        if not 43 <= len(code_challenge) <= 128:
            raise OAuthError("invalid_request", "code_challenge must be 43-128 characters")
    else:
        method = None
    raw = secrets.token_urlsafe(32)
    async with ctx.db.write() as tx:
        await tx.execute(insert(oauth_codes).values(
            code_hash=_hash(raw), app_id=app_id, account_id=account_id,
            scopes=" ".join(scopes), redirect_uri=redirect_uri, code_challenge=code_challenge,
            code_challenge_method=method, expires_at=ctx.clock.now() + CODE_LIFETIME))
    return raw


def _invalid_grant(why: str) -> OAuthError:
    return OAuthError("invalid_grant", "The provided authorization grant is invalid, expired, "
                      f"revoked, or was issued to another client ({why}).")


async def redeem_code(ctx: Context, app_id: int, code: str, redirect_uri: str | None,
                      code_verifier: str | None) -> IssuedToken:
    """Exchange a code for a token, once: the code row is deleted in the same transaction."""
    from townsquare.model.clock import utc

    async with ctx.db.write() as tx:
        row = (await tx.execute(select(oauth_codes).where(
            oauth_codes.c.code_hash == _hash(code)))).first()
        if row is None or row.app_id != app_id:
            raise _invalid_grant("unknown or already used code")
        if utc(row.expires_at) <= ctx.clock.now():
            await tx.execute(delete(oauth_codes).where(oauth_codes.c.code_hash == row.code_hash))
            expired = True
        else:
            expired = False
        if not expired:
            if (redirect_uri or "") != row.redirect_uri:
                raise _invalid_grant("redirect_uri does not match")
            if row.code_challenge is not None:
                if not code_verifier:
                    raise OAuthError("invalid_request", "code_verifier is required")
                if not pkce_matches(row.code_challenge, row.code_challenge_method or "plain",
                                    code_verifier):
                    raise _invalid_grant("PKCE verification failed")
            gone = await tx.execute(delete(oauth_codes).where(
                oauth_codes.c.code_hash == row.code_hash))
            if not gone.rowcount:
                raise _invalid_grant("code already used")
            return await _insert_token(ctx, tx, app_id, row.account_id, row.scopes.split())
    # The expired code's deletion is committed before refusing.
    raise _invalid_grant("code expired")
