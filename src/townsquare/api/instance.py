"""What a client asks a server before anything else: /api/v1 and /api/v2/instance, rules,
peers, activity, custom emojis, NodeInfo and WebFinger.

`version` is the Mastodon API level townsquare implements, as plain MAJOR.MINOR.PATCH: clients
parse it to decide which endpoints to call. townsquare's own version is under `townsquare`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare import __version__
from townsquare.api import auth, params
from townsquare.api.entities import Account, CustomEmoji, Entity
from townsquare.api.errors import ApiError, not_found
from townsquare.api.respond import JSON, ok
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.queries.accounts import account_by_username, account_entity, load_accounts
from townsquare.queries.instance import InstanceStats, contact_account_id, instance_stats

r = Routes()

MASTODON_API_VERSION = "4.3.0"
IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"]
MAX_FEATURED_TAGS = 10
MAX_PINNED_STATUSES = 5
DESCRIPTION_LIMIT = 1500


class StatusesConfig(Entity, kw_only=True):
    max_characters: int
    max_media_attachments: int
    characters_reserved_per_url: int = 23


class MediaConfig(Entity, kw_only=True):
    supported_mime_types: list[str]
    image_size_limit: int
    image_matrix_limit: int
    video_size_limit: int = 0
    video_frame_rate_limit: int = 0
    video_matrix_limit: int = 0
    description_limit: int = DESCRIPTION_LIMIT


class PollsConfig(Entity, kw_only=True):
    max_options: int
    max_characters_per_option: int
    min_expiration: int
    max_expiration: int


class AccountsConfig(Entity, kw_only=True):
    max_featured_tags: int = MAX_FEATURED_TAGS
    max_pinned_statuses: int = MAX_PINNED_STATUSES


class V1Configuration(Entity, kw_only=True):
    accounts: AccountsConfig
    statuses: StatusesConfig
    media_attachments: MediaConfig
    polls: PollsConfig


class V1Stats(Entity, kw_only=True):
    user_count: int
    status_count: int
    domain_count: int


class V1Instance(Entity, kw_only=True):
    uri: str
    title: str
    short_description: str
    description: str
    email: str
    version: str
    urls: dict[str, str]
    stats: V1Stats
    thumbnail: str | None
    languages: list[str]
    registrations: bool
    approval_required: bool = False
    invites_enabled: bool = False
    configuration: V1Configuration
    contact_account: Account | None
    rules: list[dict[str, str]] = []
    townsquare: dict[str, Any] | None = None


class V2Configuration(Entity, kw_only=True):
    urls: dict[str, str]
    vapid: dict[str, str]
    accounts: AccountsConfig
    statuses: StatusesConfig
    media_attachments: MediaConfig
    polls: PollsConfig
    translation: dict[str, bool]


class V2Instance(Entity, kw_only=True):
    domain: str
    title: str
    version: str
    source_url: str
    description: str
    usage: dict[str, dict[str, int]]
    thumbnail: dict[str, Any]
    icon: list[dict[str, str]] = []
    languages: list[str]
    configuration: V2Configuration
    registrations: dict[str, Any]
    api_versions: dict[str, int]
    contact: dict[str, Any]
    rules: list[dict[str, str]] = []
    stats: V1Stats  # not in Mastodon's v2, kept for clients that read it from either version
    townsquare: dict[str, Any] | None = None


def _streaming_url(ctx: Context) -> str:
    base = ctx.settings.base_url
    return ("wss://" + base[len("https://"):]) if base.startswith("https://") \
        else ("ws://" + base.split("://", 1)[1])


def _limits(ctx: Context) -> tuple[StatusesConfig, MediaConfig, PollsConfig]:
    s = ctx.settings
    return (
        StatusesConfig(max_characters=s.max_post_chars,
                       max_media_attachments=s.max_media_attachments),
        MediaConfig(supported_mime_types=IMAGE_TYPES, image_size_limit=s.max_image_bytes,
                    image_matrix_limit=s.max_image_pixels),
        PollsConfig(max_options=s.max_poll_options,
                    max_characters_per_option=s.max_poll_option_chars,
                    min_expiration=s.min_poll_expiration, max_expiration=s.max_poll_expiration),
    )


async def _facts(ctx: Context) -> tuple[InstanceStats, Account | None]:
    async with ctx.db.read() as conn:
        stats = await instance_stats(conn, ctx.clock.now())
        contact_id = await contact_account_id(conn)
        contact = (await load_accounts(conn, ctx.settings, [contact_id])).get(contact_id) \
            if contact_id is not None else None
    return stats, contact


def _own() -> dict[str, Any]:
    return {"version": __version__,
            "stats_note": "status_count counts public and unlisted posts of local accounts"}


@r.get("/api/v1/instance", response=V1Instance)
async def instance_v1(request: Request) -> Response:
    """Server information (v1)."""
    ctx = auth.ctx_of(request)
    s = ctx.settings
    stats, contact = await _facts(ctx)
    statuses, media, polls = _limits(ctx)
    return ok(V1Instance(
        uri=s.instance_domain, title=s.instance_title, short_description=s.instance_description,
        description=s.instance_description, email=s.contact_email,
        version=MASTODON_API_VERSION, urls={"streaming_api": _streaming_url(ctx)},
        stats=V1Stats(user_count=stats.user_count, status_count=stats.status_count,
                      domain_count=0),
        thumbnail=ctx.url("/static/header.png"), languages=["en"],
        registrations=s.registrations_open,
        configuration=V1Configuration(accounts=AccountsConfig(), statuses=statuses,
                                      media_attachments=media, polls=polls),
        contact_account=contact, rules=_rules(), townsquare=_own(),
    ))


@r.get("/api/v2/instance", response=V2Instance)
async def instance_v2(request: Request) -> Response:
    """Server information (v2)."""
    ctx = auth.ctx_of(request)
    s = ctx.settings
    stats, contact = await _facts(ctx)
    statuses, media, polls = _limits(ctx)
    return ok(V2Instance(
        domain=s.instance_domain, title=s.instance_title, version=MASTODON_API_VERSION,
        source_url=str(s.extra.get("source_url", s.base_url)), description=s.instance_description,
        usage={"users": {"active_month": stats.active_month}},
        thumbnail={"url": ctx.url("/static/header.png"), "blurhash": None, "versions": {}},
        languages=["en"],
        configuration=V2Configuration(
            urls={"streaming": _streaming_url(ctx)}, vapid={"public_key": ""},
            accounts=AccountsConfig(), statuses=statuses, media_attachments=media,
            polls=polls, translation={"enabled": False}),
        registrations={"enabled": s.registrations_open, "approval_required": False,
                       "message": None, "url": None},
        api_versions={"mastodon": 2},
        contact={"email": s.contact_email, "account": contact}, rules=_rules(),
        stats=V1Stats(user_count=stats.user_count, status_count=stats.status_count,
                      domain_count=0),
        townsquare=_own(),
    ))


def _rules() -> list[dict[str, str]]:
    from townsquare.moderation.policy import RULES

    return [{"id": r.id, "text": r.text, "hint": r.hint} for r in RULES.values()]


@r.get("/api/v1/instance/rules", response=list[dict[str, str]])
async def rules(request: Request) -> Response:
    """The server's rules (moderation/policy.py; reports and decisions cite them)."""
    return ok(_rules())


@r.get("/api/v1/instance/peers", response=list[str])
async def peers(request: Request) -> Response:
    """Domains this server knows (none: it does not federate yet)."""
    return ok([])


@r.get("/api/v1/instance/activity", response=list[dict[str, str]])
async def activity(request: Request) -> Response:
    """Weekly activity (not published: townsquare does not record logins per week)."""
    return ok([])


@r.get("/api/v1/custom_emojis", response=list[CustomEmoji])
async def custom_emojis(request: Request) -> Response:
    """Custom emojis (none)."""
    return ok([])


@r.get("/.well-known/nodeinfo")
async def nodeinfo_links(request: Request) -> Response:
    """Where the NodeInfo document is."""
    ctx = auth.ctx_of(request)
    return ok({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                          "href": ctx.url("/nodeinfo/2.0")}]})


@r.get("/nodeinfo/2.0")
async def nodeinfo(request: Request) -> Response:
    """NodeInfo 2.0: software, registrations and usage."""
    ctx = auth.ctx_of(request)
    stats, _ = await _facts(ctx)
    return JSON({
        "version": "2.0",
        "software": {"name": "townsquare", "version": __version__},
        "protocols": [],  # no ActivityPub yet: claiming it would send other servers here
        "services": {"outbound": [], "inbound": []},
        "usage": {"users": {"total": stats.user_count, "activeMonth": stats.active_month,
                            "activeHalfyear": stats.active_halfyear},
                  "localPosts": stats.status_count},
        "openRegistrations": ctx.settings.registrations_open,
        "metadata": {"nodeName": ctx.settings.instance_title,
                     "nodeDescription": ctx.settings.instance_description},
    }, headers={"Content-Type": "application/json; profile="
                "\"http://nodeinfo.diaspora.software/ns/schema/2.0#\""})


class WebfingerParams(msgspec.Struct):
    resource: str = ""


@r.get("/.well-known/webfinger", params=WebfingerParams)
async def webfinger(request: Request) -> Response:
    """WebFinger for local accounts (acct:user@domain or the profile URL)."""
    ctx = auth.ctx_of(request)
    resource = (await params.parse(request, WebfingerParams)).resource.strip()
    if not resource:
        raise ApiError(400, "resource is required")
    domain = ctx.settings.instance_domain.lower()
    base = ctx.settings.base_url
    username: str | None = None
    if resource.lower().startswith("acct:"):
        name, _, host = resource[5:].lstrip("@").partition("@")
        if host.lower() == domain:
            username = name
    else:
        for prefix in (base + "/@", base + "/users/"):
            if resource.startswith(prefix):
                username = resource[len(prefix):]
    if not username:
        raise not_found("Account")
    async with ctx.db.read() as conn:
        row = await account_by_username(conn, username)
    if row is None or row.suspended_at is not None:
        raise not_found("Account")
    account = account_entity(row, ctx.settings)
    return JSON({
        "subject": f"acct:{row.username}@{ctx.settings.instance_domain}",
        "aliases": [account.url, account.uri],
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
             "href": account.url},
        ],
    }, headers={"Content-Type": "application/jrd+json; charset=utf-8",
                "Access-Control-Allow-Origin": "*"})


routes = r.routes
