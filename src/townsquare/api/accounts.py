"""/api/v1/accounts: registration, the signed-in account and its profile, other accounts'
profiles and their followers/following lists. Follows, blocks and mutes are in
api/relationships.py, whose routes this module serves too.

Account ids in paths use Starlette's `int` convertor, so `/api/v1/accounts/search` and other
named sub-paths served by other modules are never taken for an id.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import func, select
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import accounts as account_actions
from townsquare.actions.accounts import NewAccount, ProfileUpdate
from townsquare.actions.oauth import grant_token
from townsquare.api import auth, params, relationships
from townsquare.api import scopes as scope_rules
from townsquare.api.entities import Account, AccountSource, CredentialAccount, Token
from townsquare.api.errors import ApiError, not_found
from townsquare.api.pagination import link_header, page_of
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.queries.accounts import account_by_username, account_entity, account_row
from townsquare.queries.relationships import blocked_pair, follow_list
from townsquare.store.tables import follow_requests, users

r = Routes()

MAX_IMAGE_UPLOAD = 16 * 1024 * 1024


async def credential_account(ctx: Context, account_id: int) -> CredentialAccount:
    async with ctx.db.read() as conn:
        row = await account_row(conn, account_id)
        if row is None:
            raise not_found("Account")
        user = (await conn.execute(select(users).where(users.c.account_id == account_id))).first()
        requests = (await conn.execute(
            select(func.count()).select_from(follow_requests)
            .where(follow_requests.c.target_account_id == account_id))).scalar_one()
    base = account_entity(row, ctx.settings)
    fields = {f: getattr(base, f) for f in base.__struct_fields__}
    return CredentialAccount(
        **fields,
        source=AccountSource(
            note=row.note,
            privacy=user.default_visibility if user else "public",
            sensitive=user.default_sensitive if user else False,
            language=user.default_language if user else None,
            follow_requests_count=requests,
            discoverable=row.discoverable,
        ),
        role={"id": "-99" if row.role == "user" else row.role, "name": row.role,
              "permissions": "0", "color": "", "highlighted": False},
    )


@r.get("/api/v1/accounts/verify_credentials", response=CredentialAccount,
       scope="read:accounts")
async def verify_credentials(request: Request) -> Response:
    """The signed-in account, with its source (scope read:accounts or profile)."""
    a = await auth.authenticate(request)
    if a is None:
        raise ApiError(401, "The access token is invalid")
    if not (scope_rules.allows(a.scopes, "read:accounts") or "profile" in a.scopes):
        raise ApiError(403, "This action is outside the authorized scopes "
                       "(needs read:accounts or profile)")
    if a.account_id is None:
        raise ApiError(422, "This method requires an authenticated user")
    return ok(await credential_account(auth.ctx_of(request), a.account_id))


class SourceParams(msgspec.Struct):
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    note: str | None = None


class UpdateParams(msgspec.Struct):
    display_name: str | None = None
    note: str | None = None
    avatar: Any = None  # a multipart file
    header: Any = None
    bot: bool | None = None
    locked: bool | None = None
    discoverable: bool | None = None
    source: SourceParams | None = None


async def _image(value: Any, name: str) -> tuple[bytes, str] | None:
    if value is None:
        return None
    if not isinstance(value, UploadFile):
        raise ApiError(422, f"Validation failed: {name} must be an uploaded image file")
    data = await value.read(MAX_IMAGE_UPLOAD + 1)
    if len(data) > MAX_IMAGE_UPLOAD:
        raise ApiError(422, f"Validation failed: {name} is too large")
    return data, value.filename or name


@r.patch("/api/v1/accounts/update_credentials", params=UpdateParams,
         response=CredentialAccount, scope="write:accounts")
async def update_credentials(request: Request) -> Response:
    """Update the signed-in account's profile and posting defaults."""
    account_id = await auth.require_user(request, "write:accounts")
    p = await params.parse(request, UpdateParams)
    source = p.source or SourceParams()
    changes = ProfileUpdate(
        display_name=p.display_name, note=p.note if p.note is not None else source.note,
        bot=p.bot, locked=p.locked, discoverable=p.discoverable, privacy=source.privacy,
        sensitive=source.sensitive, language=source.language)
    account_actions.validate_profile(changes)  # before any image is stored
    images = {"avatar": await _image(p.avatar, "avatar"),
              "header": await _image(p.header, "header")}
    ctx = auth.ctx_of(request)
    if any(images.values()):
        from townsquare.actions.media import set_profile_image  # owned by the media module

        for kind in ("avatar", "header"):
            image = images[kind]
            if image is not None:
                await set_profile_image(ctx, account_id, kind, image[0], image[1])
    await account_actions.update_profile(ctx, account_id, changes)
    return ok(await credential_account(ctx, account_id))


class RegisterParams(msgspec.Struct):
    username: str = ""
    email: str = ""
    password: str = ""
    agreement: bool = False
    locale: str = "en"
    reason: str | None = None


@r.post("/api/v1/accounts", params=RegisterParams, response=Token, scope="write:accounts")
async def register(request: Request) -> Response:
    """Register an account (with an app token); answers with the new account's token."""
    a = await auth.require(request, "write:accounts", user=False)
    ctx = auth.ctx_of(request)
    if not ctx.settings.registrations_open:
        raise ApiError(403, "Registrations are closed on this server")
    p = await params.parse(request, RegisterParams)
    if not p.agreement:
        raise ApiError(422, "Validation failed: agreement must be accepted")
    account_id = await account_actions.create_account(ctx, NewAccount(
        username=p.username, email=p.email.strip(), password=p.password,
        locale=p.locale or "en"))
    issued = await grant_token(ctx, a.app_id, account_id, sorted(a.scopes))
    return ok(Token(access_token=issued.token, token_type="Bearer",
                    scope=" ".join(issued.scopes), created_at=issued.created_at))


class LookupParams(msgspec.Struct):
    acct: str = ""


@r.get("/api/v1/accounts/lookup", params=LookupParams, response=Account)
async def lookup(request: Request) -> Response:
    """Find a local account by its username (`acct`, with or without the domain)."""
    await auth.optional(request, "read:accounts")
    p = await params.parse(request, LookupParams)
    ctx = auth.ctx_of(request)
    name, _, domain = p.acct.strip().lstrip("@").partition("@")
    if not name or (domain and domain.lower() != ctx.settings.instance_domain.lower()):
        raise not_found("Account")
    async with ctx.db.read() as conn:
        row = await account_by_username(conn, name)
    if row is None or row.suspended_at is not None:
        raise not_found("Account")
    return ok(account_entity(row, ctx.settings))


def account_id_of(request: Request) -> int:
    return params.parse_id(str(request.path_params["id"]), "Account")


@r.get("/api/v1/accounts/{id:int}", response=Account)
async def get_account(request: Request) -> Response:
    """A profile."""
    await auth.optional(request, "read:accounts")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        row = await account_row(conn, account_id_of(request))
    if row is None:
        raise not_found("Account")
    return ok(account_entity(row, ctx.settings))


class ListParams(msgspec.Struct):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


async def _follow_list(request: Request, *, followers: bool) -> Response:
    a = await auth.optional(request, "read:accounts")
    viewer = a.account_id if a else None
    ctx = auth.ctx_of(request)
    account_id = account_id_of(request)
    page = page_of(request, default=40, maximum=80)
    async with ctx.db.read() as conn:
        row = await account_row(conn, account_id)
        if row is None or row.suspended_at is not None:
            raise not_found("Account")
        if viewer is not None and viewer != account_id and await blocked_pair(
                conn, viewer, account_id):
            return ok([])  # lists of an account blocking (or blocked by) the viewer are empty
        result = await follow_list(conn, ctx.settings, account_id, viewer, page,
                                   ctx.clock.now(), followers=followers)
    return ok(result.accounts, headers=link_header(request, page, result.row_ids))


@r.get("/api/v1/accounts/{id:int}/followers", params=ListParams, response=list[Account])
async def followers(request: Request) -> Response:
    """Accounts following this account, newest follow first."""
    return await _follow_list(request, followers=True)


@r.get("/api/v1/accounts/{id:int}/following", params=ListParams, response=list[Account])
async def following(request: Request) -> Response:
    """Accounts this account follows, newest follow first."""
    return await _follow_list(request, followers=False)


@r.get("/api/v1/preferences", response=dict[str, Any], scope="read:accounts")
async def preferences(request: Request) -> Response:
    """The signed-in user's posting and reading preferences."""
    account_id = await auth.require_user(request, "read:accounts")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        user = (await conn.execute(select(users).where(users.c.account_id == account_id))
                ).first()
    return ok({
        "posting:default:visibility": user.default_visibility if user else "public",
        "posting:default:sensitive": user.default_sensitive if user else False,
        "posting:default:language": user.default_language if user else None,
        "posting:default:quote_policy": "public",
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    })


routes = r.routes + relationships.routes
