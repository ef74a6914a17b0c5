"""Search: /api/v2/search (accounts, hashtags, statuses) and /api/v1/accounts/search."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.api import auth, params
from townsquare.api.entities import Account, Search, Tag
from townsquare.api.errors import ApiError, unauthorized
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.queries import search as queries
from townsquare.queries.accounts import load_accounts
from townsquare.queries.statuses import load_one, load_ordered

r = Routes()
TYPES = ("accounts", "hashtags", "statuses")


class SearchParams(msgspec.Struct):
    q: str = ""
    type: str | None = None
    resolve: bool = False
    following: bool = False
    account_id: str | None = None
    exclude_unreviewed: bool = False
    limit: int = 20
    offset: int = 0


class AccountSearchParams(msgspec.Struct):
    q: str = ""
    limit: int = 40
    offset: int = 0
    resolve: bool = False
    following: bool = False


def _query(q: str) -> str:
    q = q.strip()
    if not q:
        raise ApiError(400, "Missing parameter: q")
    if len(q) > 500:
        raise ApiError(422, "Validation failed: q is too long")
    return q


async def _accounts(ctx: Context, q: str, viewer: int | None, *, limit: int, offset: int,
                    following: bool) -> list[Account]:
    async with ctx.db.read() as conn:
        ids = await queries.account_ids(conn, ctx.settings, q, viewer, limit=limit,
                                        offset=offset, following=following)
        loaded = await load_accounts(conn, ctx.settings, ids)
    return [loaded[i] for i in ids if i in loaded]


async def _from_url(ctx: Context, q: str, viewer: int | None, kinds: set[str]) -> Search | None:
    """A pasted local URL resolves to that status (if visible) or that profile."""
    url = queries.local_url(ctx.settings, q)
    if url is None:
        return None
    found = Search(accounts=[], statuses=[], hashtags=[])
    async with ctx.db.read() as conn:
        if url.status_id is not None:
            if viewer is not None and "statuses" in kinds:
                status = await load_one(ctx, conn, url.status_id, viewer)
                if status is not None and status.account.username.lower() == url.username:
                    found.statuses.append(status)
            return found
        aid = await queries.account_id_by_username(conn, url.username)
        if aid is not None and "accounts" in kinds:
            found.accounts.extend((await load_accounts(conn, ctx.settings, [aid])).values())
    return found


@r.get("/api/v2/search", params=SearchParams, response=Search, scope="read:search")
async def search(request: Request) -> Response:
    """Search accounts, hashtags and (signed in) statuses."""
    viewer = await auth.viewer_id(request, "read:search")
    p = await params.parse(request, SearchParams)
    q = _query(p.q)
    if viewer is None and (p.offset or p.resolve):
        raise unauthorized("Search queries pagination is not supported without authentication")
    limit = max(1, min(p.limit, 40))
    offset = max(0, p.offset)
    kinds = {p.type} if p.type else set(TYPES)
    ctx = auth.ctx_of(request)
    by_url = await _from_url(ctx, q, viewer, kinds)
    if by_url is not None:
        return ok(by_url)
    result = Search(accounts=[], statuses=[], hashtags=[])
    if "accounts" in kinds and not q.startswith("#"):
        result.accounts = await _accounts(ctx, q, viewer, limit=limit, offset=offset,
                                          following=p.following)
    async with ctx.db.read() as conn:
        if "hashtags" in kinds:
            names = await queries.hashtags(conn, q, limit=limit, offset=offset)
            result.hashtags = [Tag(name=n, url=f"{ctx.settings.base_url}/tags/{n}")
                               for n in names]
        if "statuses" in kinds and viewer is not None:
            author = None
            if p.account_id:
                author = params.parse_id(p.account_id, "Account")
            ids = await queries.status_ids(conn, q, viewer, limit=limit, offset=offset,
                                           account_id=author)
            result.statuses = await load_ordered(ctx, conn, ids, viewer)
    return ok(result)


@r.get("/api/v1/accounts/search", params=AccountSearchParams, response=list[Account],
       scope="read:accounts")
async def account_search(request: Request) -> Response:
    """Accounts whose username or display name starts with q."""
    viewer = await auth.require_user(request, "read:accounts")
    p = await params.parse(request, AccountSearchParams)
    q = _query(p.q)
    ctx = auth.ctx_of(request)
    return ok(await _accounts(ctx, q, viewer, limit=max(1, min(p.limit, 80)),
                              offset=max(0, p.offset), following=p.following))


routes = r.routes
