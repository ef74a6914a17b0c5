"""Web sessions: a browser's sign-in is an ordinary access token (app_id None, full scopes),
so it is stored hashed, revoked on logout, and lets the page's JavaScript call the API too."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from townsquare.actions.oauth import issue_token, revoke_token
from townsquare.context import Context
from townsquare.store.tables import accounts, tokens

WEB_SCOPES = ["read", "write", "follow", "push"]


async def start_session(ctx: Context, account_id: int) -> str:
    """A new session token for the account (the raw token, to put in the cookie)."""
    _, raw = await issue_token(ctx, None, account_id, WEB_SCOPES)
    return raw


async def end_session(ctx: Context, raw: str) -> None:
    await revoke_token(ctx, raw)


async def session_account(ctx: Context, raw: str) -> Any:
    """The signed-in account's row for a live session token, or None (revoked, unknown,
    suspended)."""
    if not raw or len(raw) > 200:
        return None
    digest = hashlib.sha256(raw.encode()).hexdigest()
    async with ctx.db.read() as conn:
        row = (await conn.execute(
            select(accounts)
            .select_from(tokens.join(accounts, accounts.c.id == tokens.c.account_id))
            .where(tokens.c.token_hash == digest, tokens.c.revoked_at.is_(None),
                   tokens.c.app_id.is_(None), accounts.c.suspended_at.is_(None))
        )).first()
    return row
