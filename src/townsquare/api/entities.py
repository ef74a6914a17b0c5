"""Mastodon API entities as msgspec Structs: the handlers encode these, and the OpenAPI
document is generated from them, so the document cannot drift from the responses.

Field names and meanings are Mastodon's; townsquare's additions live under `townsquare`.
"""

from __future__ import annotations

from typing import Any

import msgspec


class Entity(msgspec.Struct, kw_only=True, omit_defaults=False):
    pass


class Field(Entity, kw_only=True):
    name: str
    value: str
    verified_at: str | None = None


class CustomEmoji(Entity, kw_only=True):
    shortcode: str
    url: str
    static_url: str
    visible_in_picker: bool = True


class Account(Entity, kw_only=True):
    id: str
    username: str
    acct: str
    url: str
    uri: str
    display_name: str
    note: str
    avatar: str
    avatar_static: str
    header: str
    header_static: str
    locked: bool
    bot: bool
    group: bool = False
    discoverable: bool | None = True
    indexable: bool = True
    noindex: bool = False
    hide_collections: bool = False
    created_at: str
    last_status_at: str | None
    statuses_count: int
    followers_count: int
    following_count: int
    fields: list[Field] = []
    emojis: list[CustomEmoji] = []
    roles: list[dict[str, Any]] = []
    suspended: bool | None = None
    limited: bool | None = None
    townsquare: dict[str, Any] | None = None


class AccountSource(Entity, kw_only=True):
    note: str
    fields: list[Field] = []
    privacy: str = "public"
    sensitive: bool = False
    language: str | None = None
    follow_requests_count: int = 0
    discoverable: bool | None = True
    indexable: bool = True
    hide_collections: bool = False


class CredentialAccount(Account, kw_only=True):
    source: AccountSource
    role: dict[str, Any] | None = None


class MediaMeta(Entity, kw_only=True):
    original: dict[str, Any] | None = None
    small: dict[str, Any] | None = None
    focus: dict[str, float] | None = None


class MediaAttachment(Entity, kw_only=True):
    id: str
    type: str
    url: str | None
    preview_url: str | None
    remote_url: str | None = None
    text_url: str | None = None
    meta: MediaMeta | None = None
    description: str | None = None
    blurhash: str | None = None


class Mention(Entity, kw_only=True):
    id: str
    username: str
    url: str
    acct: str


class Tag(Entity, kw_only=True):
    name: str
    url: str
    history: list[dict[str, str]] = []
    following: bool | None = None


class PollOption(Entity, kw_only=True):
    title: str
    votes_count: int | None


class Poll(Entity, kw_only=True):
    id: str
    expires_at: str | None
    expired: bool
    multiple: bool
    votes_count: int
    voters_count: int | None
    options: list[PollOption]
    emojis: list[CustomEmoji] = []
    voted: bool | None = None
    own_votes: list[int] | None = None
    townsquare: dict[str, Any] | None = None


class Application(Entity, kw_only=True):
    name: str
    website: str | None = None


class Status(Entity, kw_only=True):
    id: str
    uri: str
    url: str | None
    created_at: str
    account: Account
    content: str
    visibility: str
    sensitive: bool
    spoiler_text: str
    media_attachments: list[MediaAttachment] = []
    application: Application | None = None
    mentions: list[Mention] = []
    tags: list[Tag] = []
    emojis: list[CustomEmoji] = []
    reblogs_count: int = 0
    favourites_count: int = 0
    replies_count: int = 0
    quotes_count: int = 0
    in_reply_to_id: str | None = None
    in_reply_to_account_id: str | None = None
    reblog: Status | None = None
    quote: Status | None = None
    poll: Poll | None = None
    card: dict[str, Any] | None = None
    language: str | None = None
    text: str | None = None
    edited_at: str | None = None
    favourited: bool | None = None
    reblogged: bool | None = None
    muted: bool | None = None
    bookmarked: bool | None = None
    pinned: bool | None = None
    filtered: list[dict[str, Any]] = []
    townsquare: dict[str, Any] | None = None


class StatusSource(Entity, kw_only=True):
    id: str
    text: str
    spoiler_text: str


class StatusEdit(Entity, kw_only=True):
    content: str
    spoiler_text: str
    sensitive: bool
    created_at: str
    account: Account
    poll: dict[str, Any] | None = None
    media_attachments: list[MediaAttachment] = []
    emojis: list[CustomEmoji] = []


class Context(Entity, kw_only=True):
    ancestors: list[Status]
    descendants: list[Status]


class Relationship(Entity, kw_only=True):
    id: str
    following: bool
    showing_reblogs: bool
    notifying: bool
    languages: list[str] | None = None
    followed_by: bool
    blocking: bool
    blocked_by: bool
    muting: bool
    muting_notifications: bool
    requested: bool
    requested_by: bool
    domain_blocking: bool = False
    endorsed: bool = False
    note: str = ""


class Notification(Entity, kw_only=True):
    id: str
    type: str
    group_key: str
    created_at: str
    account: Account
    status: Status | None = None
    # type "moderation_warning": Mastodon's AccountWarning, with townsquare's statement of
    # reasons and appeal link under its `townsquare` key
    moderation_warning: dict[str, Any] | None = None


class Marker(Entity, kw_only=True):
    last_read_id: str
    version: int
    updated_at: str


class Search(Entity, kw_only=True):
    accounts: list[Account]
    statuses: list[Status]
    hashtags: list[Tag]


class App(Entity, kw_only=True):
    id: str
    name: str
    website: str | None
    scopes: list[str]
    redirect_uri: str
    redirect_uris: list[str]
    vapid_key: str = ""
    client_id: str | None = None
    client_secret: str | None = None
    client_secret_expires_at: int = 0


class Token(Entity, kw_only=True):
    access_token: str
    token_type: str
    scope: str
    created_at: int


class FilterKeyword(Entity, kw_only=True):
    id: str
    keyword: str
    whole_word: bool


class FilterStatus(Entity, kw_only=True):
    id: str
    status_id: str


class Filter(Entity, kw_only=True):
    id: str
    title: str
    context: list[str]
    expires_at: str | None
    filter_action: str
    keywords: list[FilterKeyword]
    statuses: list[FilterStatus]
    townsquare: dict[str, Any] | None = None


class Error(Entity, kw_only=True):
    error: str
    error_description: str | None = None


class Empty(Entity, kw_only=True):
    pass
