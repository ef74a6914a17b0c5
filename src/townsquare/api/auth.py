"""Bearer-token authentication and scope checks for API handlers."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request

from townsquare.api import scopes as scope_rules
from townsquare.api.errors import ApiError, unauthorized
from townsquare.context import Context
from townsquare.queries.status_pages import Viewer
from townsquare.store.fast import Hot
from townsquare.store.tables import accounts, tokens, users


@dataclass(frozen=True)
class Auth:
    token_id: int
    account_id: int | None  # None for client_credentials (app-only) tokens
    app_id: int | None
    scopes: frozenset[str]
    # The account's cache counters (store/versions.py), read with the token.
    relations_version: int = 0
    marks_version: int = 0

    @property
    def viewer(self) -> Viewer | None:
        if self.account_id is None:
            return None
        return Viewer(self.account_id, self.relations_version, self.marks_version)


@dataclass(frozen=True)
class Identity:
    """What never changes about a token: whom it acts for, through which app, with which
    scopes. `unchecked` is the token's id when it came from this process's cache without
    a database read: the caller's own statement must then check that the token is still
    live and its account not suspended (the post writer does, in its batch)."""

    token_id: int
    account_id: int
    app_id: int | None
    scopes: frozenset[str]
    unchecked: int | None


class Identities:
    """token hash -> Identity, per process; filled by every successful token read.

    Only what a token can never change is kept: revocation and suspension are checked by
    whoever serves from it, in the statement that does the work, so a revoked token is
    refused at once in every process without invalidation messages. Bounded: the oldest
    entries go first."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._by_hash: dict[str, Identity] = {}

    def get(self, token_hash: str) -> Identity | None:
        return self._by_hash.get(token_hash)

    def put(self, token_hash: str, identity: Identity) -> None:
        if token_hash not in self._by_hash and len(self._by_hash) >= self._size:
            del self._by_hash[next(iter(self._by_hash))]
        self._by_hash[token_hash] = identity

    def drop(self, token_hash: str) -> None:
        self._by_hash.pop(token_hash, None)


def identities(ctx: Context) -> Identities:
    cache: Identities | None = ctx.extras.get("token_identities")
    if cache is None:
        cache = ctx.extras["token_identities"] = Identities()
    return cache


# Built once: every authenticated request runs it.
_TOKEN_QUERY = (
    select(tokens.c.id, tokens.c.account_id, tokens.c.app_id, tokens.c.scopes,
           accounts.c.suspended_at, users.c.relations_version, users.c.marks_version)
    .select_from(tokens.outerjoin(accounts, accounts.c.id == tokens.c.account_id)
                 .outerjoin(users, users.c.account_id == tokens.c.account_id))
    .where(tokens.c.token_hash == bindparam("hash"), tokens.c.revoked_at.is_(None))
)
_TOKEN_HOT = Hot(_TOKEN_QUERY)  # run on the driver (store/fast.py)


@functools.lru_cache(maxsize=256)
def _scopes(raw: str) -> frozenset[str]:
    return frozenset(raw.split())


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        kind, _, value = header.partition(" ")
        if kind.lower() != "bearer" or not value.strip():
            raise unauthorized("The access token is invalid")
        return value.strip()
    return request.query_params.get("access_token")


async def authenticate(request: Request, conn: AsyncConnection | None = None) -> Auth | None:
    """The request's token, or None when it sent none. A bad token is a 401, never anonymous.

    `conn`: a connection the handler already holds, to look the token up on (saves checking
    out a second one); the token is read from the database on every request either way, so
    a revoked token or a suspended account is refused at once, in every process."""
    if "auth" in request.state._state:
        cached: Auth | None = request.state.auth
        return cached
    raw = _bearer(request)
    auth = None
    if raw is not None:
        params = {"hash": hash_token(raw)}
        if conn is not None:
            row = await _TOKEN_HOT.first(conn, params)
        else:
            async with ctx_of(request).db.read() as own:
                row = await _TOKEN_HOT.first(own, params)
        if row is None:
            raise unauthorized()
        if row.suspended_at is not None:
            raise ApiError(403, "Your account is suspended")
        auth = Auth(row.id, row.account_id, row.app_id, _scopes(row.scopes),
                    row.relations_version or 0, row.marks_version or 0)
        if auth.account_id is not None:
            identities(ctx_of(request)).put(params["hash"], Identity(
                auth.token_id, auth.account_id, auth.app_id, auth.scopes, None))
    request.state.auth = auth
    return auth


async def identity(request: Request, scope: str,
                   conn: AsyncConnection | None = None) -> Identity:
    """A user token with `scope`, from this process's cache when it was seen before, with
    no database read; then `unchecked` is set, and the caller must check the token in its
    own statement (see Identities). Otherwise read (on `conn` if given) and checked as
    `require` does."""
    raw = _bearer(request) if "auth" not in request.state._state else None
    if raw is not None:
        found = identities(ctx_of(request)).get(hash_token(raw))
        if found is not None:
            if not scope_rules.allows(found.scopes, scope):
                raise ApiError(403, f"This action is outside the authorized scopes (needs {scope})")
            return dataclasses.replace(found, unchecked=found.token_id)
    auth = await require(request, scope, conn=conn)
    assert auth.account_id is not None
    return Identity(auth.token_id, auth.account_id, auth.app_id, auth.scopes, None)


def forget_token(request: Request) -> None:
    """Drop the request's token from this process's identity cache (found revoked)."""
    raw = _bearer(request)
    if raw is not None:
        identities(ctx_of(request)).drop(hash_token(raw))


async def optional(request: Request, scope: str = "read") -> Auth | None:
    """Public endpoints: anonymous is fine, but a token given must be valid and scoped."""
    auth = await authenticate(request)
    if auth is not None and not scope_rules.allows(auth.scopes, scope):
        raise ApiError(403, f"This action is outside the authorized scopes (needs {scope})")
    return auth


async def require(request: Request, scope: str, *, user: bool = True,
                  conn: AsyncConnection | None = None) -> Auth:
    """A valid token with `scope`; with `user`, one that acts for an account."""
    auth = await authenticate(request, conn)
    if auth is None:
        raise unauthorized("The access token is invalid")
    if not scope_rules.allows(auth.scopes, scope):
        raise ApiError(403, f"This action is outside the authorized scopes (needs {scope})")
    if user and auth.account_id is None:
        raise ApiError(422, "This method requires an authenticated user")
    return auth


async def require_user(request: Request, scope: str,
                       conn: AsyncConnection | None = None) -> int:
    auth = await require(request, scope, conn=conn)
    assert auth.account_id is not None
    return auth.account_id


async def viewer(request: Request, scope: str = "read:statuses") -> Viewer | None:
    """The signed-in reader with their cache counters (None: anonymous)."""
    auth = await optional(request, scope)
    return auth.viewer if auth else None


async def viewer_id(request: Request, scope: str = "read:statuses") -> int | None:
    auth = await optional(request, scope)
    return auth.account_id if auth else None


async def require_moderator(request: Request, scope: str) -> int:
    """A user token with `scope` whose account is a moderator or admin (read, not locked:
    the actions check the role again inside their own transaction)."""
    from townsquare.moderation.policy import MODERATOR_ROLES

    account_id = await require_user(request, scope)
    async with ctx_of(request).db.read() as conn:
        role = (await conn.execute(select(accounts.c.role).where(accounts.c.id == account_id))
                ).scalar()
    if role not in MODERATOR_ROLES:
        raise ApiError(403, "Only moderators can do this")
    return account_id
