"""OAuth apps and tokens. Secrets are random; tokens are stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from townsquare.actions.errors import Invalid
from townsquare.context import Context
from townsquare.store.tables import apps, tokens

OOB = "urn:ietf:wg:oauth:2.0:oob"


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


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_app(ctx: Context, new: NewApp) -> CreatedApp:
    if not new.name.strip() or len(new.name) > 200:
        raise Invalid("Validation failed: client_name must be 1-200 characters")
    if not new.redirect_uris:
        raise Invalid("Validation failed: redirect_uris can't be blank")
    for uri in new.redirect_uris:
        if uri != OOB and "://" not in uri:
            raise Invalid(f"Validation failed: redirect_uri {uri!r} is not a URI")
    app_id = ctx.ids.next()
    client_id = secrets.token_urlsafe(32)
    client_secret = secrets.token_urlsafe(32)
    async with ctx.db.write() as tx:
        await tx.execute(insert(apps).values(
            id=app_id, name=new.name.strip(), website=new.website or None,
            redirect_uris="\n".join(new.redirect_uris), scopes=" ".join(new.scopes),
            client_id=client_id, client_secret=client_secret, created_at=ctx.clock.now()))
    return CreatedApp(app_id, client_id, client_secret)


async def issue_token(ctx: Context, app_id: int | None, account_id: int | None,
                      scopes: list[str]) -> tuple[int, str]:
    """A new access token; returns (token id, the token itself, shown only now)."""
    raw = secrets.token_urlsafe(32)
    token_id = ctx.ids.next()
    async with ctx.db.write() as tx:
        await tx.execute(insert(tokens).values(
            id=token_id, token_hash=_hash(raw), app_id=app_id, account_id=account_id,
            scopes=" ".join(scopes), created_at=ctx.clock.now()))
    return token_id, raw


async def revoke_token(ctx: Context, raw: str, app_id: int | None = None) -> bool:
    async with ctx.db.write() as tx:
        stmt = update(tokens).where(tokens.c.token_hash == _hash(raw),
                                    tokens.c.revoked_at.is_(None))
        if app_id is not None:
            stmt = stmt.where(tokens.c.app_id == app_id)
        result = await tx.execute(stmt.values(revoked_at=ctx.clock.now()))
        return bool(result.rowcount)


async def find_app(ctx: Context, client_id: str) -> object | None:
    async with ctx.db.read() as conn:
        return (await conn.execute(select(apps).where(apps.c.client_id == client_id))).first()
