"""Statuses as the API shows them, hydrated in batches.

`load_statuses` turns any list of ids into Status entities in a fixed number of queries,
whatever the page size: the statuses (with counters, moderation state and poll totals) and
what they repost or quote; the poll options if any; the accounts; one query for everything
about the viewer; labels; helpful notes. The parts that change only on edit (mentions, tags,
media) come from a per-process cache checked against each row, and are queried only for
misses. It re-checks visibility, so even a listing with a bug cannot leak a post.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, cast, false, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.api.entities import (
    Application,
    MediaAttachment,
    MediaMeta,
    Mention,
    Poll,
    PollOption,
    Status,
    Tag,
)
from townsquare.context import Context
from townsquare.model.clock import iso, utc
from townsquare.model.visibility import can_see
from townsquare.queries.accounts import load_accounts
from townsquare.queries.moderation_view import ViewerChoices, overlay
from townsquare.queries.notes_view import helpful_notes, with_notes
from townsquare.store.fast import Hot
from townsquare.store.tables import (
    apps,
    blocks,
    bookmarks,
    favourites,
    follows,
    media,
    mutes,
    pins,
    poll_options,
    poll_votes,
    polls,
    status_mentions,
    status_tags,
    statuses,
    tags,
)
from townsquare.store.tables_moderation import (
    account_moderation,
    filters,
    hidden_statuses,
    label_preferences,
    labeler_subscriptions,
    quote_detachments,
    status_moderation,
)

MAX_DEPTH = 3  # a page's statuses, what they repost, what those quote


@dataclass
class ViewerState:
    favourited: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)
    pinned: set[int] = field(default_factory=set)
    reblogged: set[int] = field(default_factory=set)
    votes: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    following: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)  # either direction
    muted: set[int] = field(default_factory=set)
    choices: ViewerChoices = field(default_factory=ViewerChoices)


def media_entity(ctx: Context, row: Any) -> MediaAttachment:
    base = ctx.settings.base_url
    return MediaAttachment(
        id=str(row.id),
        type=row.type,
        url=f"{base}/media/{row.file_name}",
        preview_url=f"{base}/media/{row.preview_name}",
        meta=MediaMeta(
            original={"width": row.width, "height": row.height,
                      "size": f"{row.width}x{row.height}",
                      "aspect": round(row.width / max(row.height, 1), 4)},
            small={"width": row.preview_width, "height": row.preview_height,
                   "size": f"{row.preview_width}x{row.preview_height}",
                   "aspect": round(row.preview_width / max(row.preview_height, 1), 4)},
            focus={"x": row.focus_x, "y": row.focus_y},
        ),
        description=row.description,
        blurhash=row.blurhash,
    )


def poll_entity(poll: Any, options: list[Any], now: datetime, own_votes: Iterable[int],
                viewer_id: int | None, author_id: int) -> Poll:
    """The poll as `viewer_id` sees it; `own_votes`: the viewer's choices."""
    expired = utc(poll.expires_at) <= now
    hide = poll.hide_totals and not expired and viewer_id != author_id
    own = sorted(own_votes)
    return Poll(
        id=str(poll.id),
        expires_at=iso(utc(poll.expires_at)),
        expired=expired,
        multiple=poll.multiple,
        votes_count=poll.votes_count,
        voters_count=poll.voters_count if poll.multiple else None,
        options=[PollOption(title=o.title, votes_count=None if hide else o.votes_count)
                 for o in options],
        voted=(bool(own) or viewer_id == author_id) if viewer_id is not None else None,
        own_votes=own if viewer_id is not None else None,
        townsquare=poll_percentages(poll, options, hide),
    )


def poll_percentages(poll: Any, options: list[Any], hide: bool) -> dict[str, Any]:
    """Each option's share, saying how it was computed (null while totals are hidden)."""
    total = poll.voters_count if poll.multiple else poll.votes_count
    shares = None if hide else [round(100 * o.votes_count / total, 1) if total else 0.0
                                for o in options]
    how = ("votes per option / voters (each voter may pick several)" if poll.multiple
           else "votes per option / total votes")
    return {"percentages": shares, "computed": how}


_VIEWER: Any = bindparam("viewer")
_SIDS: Any = bindparam("sids", expanding=True)
_AIDS: Any = bindparam("aids", expanding=True)
_PIDS: Any = bindparam("pids", expanding=True)
_NOW: Any = bindparam("now")


def _arm(kind: str, a: Any, b: Any = None, s: Any = None) -> Any:
    return select(literal(kind).label("k"), a.label("a"),
                  (b if b is not None else literal(0)).label("b"),
                  (s if s is not None else cast(literal(""), String)).label("s"))


# Everything about the viewer a page needs, in one round trip. Built once: only the bound
# values change between requests, so SQLAlchemy's compiled cache always hits.
VIEWER_QUERY = union_all(
    _arm("f", favourites.c.status_id)
    .where(favourites.c.account_id == _VIEWER, favourites.c.status_id.in_(_SIDS)),
    _arm("b", bookmarks.c.status_id)
    .where(bookmarks.c.account_id == _VIEWER, bookmarks.c.status_id.in_(_SIDS)),
    _arm("p", pins.c.status_id).where(pins.c.account_id == _VIEWER, pins.c.status_id.in_(_SIDS)),
    _arm("r", statuses.c.reblog_of_id)
    .where(statuses.c.account_id == _VIEWER, statuses.c.reblog_of_id.in_(_SIDS)),
    _arm("F", follows.c.target_account_id)
    .where(follows.c.account_id == _VIEWER, follows.c.target_account_id.in_(_AIDS)),
    _arm("B", blocks.c.target_account_id)
    .where(blocks.c.account_id == _VIEWER, blocks.c.target_account_id.in_(_AIDS)),
    _arm("B", blocks.c.account_id)
    .where(blocks.c.target_account_id == _VIEWER, blocks.c.account_id.in_(_AIDS)),
    _arm("M", mutes.c.target_account_id)
    .where(mutes.c.account_id == _VIEWER, mutes.c.target_account_id.in_(_AIDS),
           or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > _NOW)),
    _arm("v", poll_votes.c.poll_id, poll_votes.c.choice)
    .where(poll_votes.c.account_id == _VIEWER, poll_votes.c.poll_id.in_(_PIDS)),
    # the viewer's own moderation choices (queries/moderation_view.py applies them)
    _arm("S", labeler_subscriptions.c.labeler_id)
    .where(labeler_subscriptions.c.account_id == _VIEWER),
    _arm("P", label_preferences.c.labeler_id,
         s=label_preferences.c.value + literal("=") + label_preferences.c.setting)
    .where(label_preferences.c.account_id == _VIEWER),
    _arm("H", hidden_statuses.c.status_id)
    .where(hidden_statuses.c.account_id == _VIEWER, hidden_statuses.c.status_id.in_(_SIDS)),
    _arm("N", func.count(filters.c.id))
    .where(filters.c.account_id == _VIEWER,
           or_(filters.c.expires_at.is_(None), filters.c.expires_at > _NOW)),
)


_VIEWER_HOT = Hot(VIEWER_QUERY)


async def _viewer_state(conn: AsyncConnection, viewer_id: int, status_ids: set[int],
                        author_ids: set[int], poll_ids: set[int], now: datetime) -> ViewerState:
    state = ViewerState()
    sets = {"f": state.favourited, "b": state.bookmarked, "p": state.pinned,
            "r": state.reblogged, "F": state.following, "B": state.blocked, "M": state.muted,
            "S": state.choices.subscribed, "H": state.choices.hidden}
    found = await _VIEWER_HOT.all(conn, {
        "viewer": viewer_id, "sids": list(status_ids), "aids": list(author_ids),
        "pids": list(poll_ids), "now": now})
    for k, a, b, s in found:
        if k == "v":
            state.votes[a].append(b)
        elif k == "P":
            value, _, setting = s.rpartition("=")
            state.choices.prefs[(a, value)] = setting
        elif k == "N":
            state.choices.has_filters = bool(a)
        else:
            sets[k].add(a)
    return state


# The statuses of a page with what every viewer sees alike that changes often: counters,
# moderation state, the poll's totals. Built once (see VIEWER_QUERY).
ROWS_QUERY = (
    select(*[c for c in statuses.c if c.name not in ("conversation_id", "application_id")],
           apps.c.name.label("app_name"), apps.c.website.label("app_website"),
           func.coalesce(status_moderation.c.removed, false()).label("mod_removed"),
           func.coalesce(status_moderation.c.reach_limited, false()).label("mod_limited"),
           func.coalesce(status_moderation.c.interstitial, false()).label("mod_interstitial"),
           func.coalesce(account_moderation.c.reach_limited, false()).label("author_limited"),
           quote_detachments.c.detached_status_id.label("quote_detached"),
           polls.c.id.label("poll_id"), polls.c.expires_at.label("poll_expires_at"),
           polls.c.multiple.label("poll_multiple"), polls.c.hide_totals.label("poll_hide_totals"),
           polls.c.votes_count.label("poll_votes_count"),
           polls.c.voters_count.label("poll_voters_count"))
    .select_from(
        statuses.outerjoin(apps, apps.c.id == statuses.c.application_id)
        .outerjoin(status_moderation, status_moderation.c.status_id == statuses.c.id)
        .outerjoin(account_moderation, account_moderation.c.account_id == statuses.c.account_id)
        .outerjoin(quote_detachments, quote_detachments.c.status_id == statuses.c.id)
        .outerjoin(polls, polls.c.status_id == statuses.c.id))
    .where(statuses.c.id.in_(bindparam("ids", expanding=True)))
)
OPTIONS_QUERY = (
    select(poll_options.c.poll_id, poll_options.c.title, poll_options.c.votes_count)
    .where(poll_options.c.poll_id.in_(bindparam("pids", expanding=True)))
    .order_by(poll_options.c.poll_id, poll_options.c.position)
)
ROWS_HOT = Hot(ROWS_QUERY)
OPTIONS_HOT = Hot(OPTIONS_QUERY)


@dataclass(frozen=True)
class Static:
    """The parts of a status that change only when it is edited: cached per process and
    checked against the row on every read, so a stale entry is never served (an edit changes
    edited_at and the text; edits and deletes also drop the entry in their own process)."""

    key: tuple[Any, ...]
    mention_ids: tuple[int, ...]
    tags: tuple[Tag, ...]
    media: tuple[MediaAttachment, ...]


class StaticCache:
    def __init__(self, size: int = 50_000) -> None:
        self._items: OrderedDict[int, Static] = OrderedDict()
        self._size = size

    def get(self, sid: int, key: tuple[Any, ...]) -> Static | None:
        item = self._items.get(sid)
        if item is None or item.key != key:
            return None
        self._items.move_to_end(sid)
        return item

    def put(self, sid: int, item: Static) -> None:
        self._items[sid] = item
        self._items.move_to_end(sid)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def forget(self, sid: int) -> None:
        self._items.pop(sid, None)


def static_cache(ctx: Context) -> StaticCache:
    cache = ctx.extras.get("status_static")
    if cache is None:
        cache = ctx.extras["status_static"] = StaticCache()
    assert isinstance(cache, StaticCache)
    return cache


def forget_status(ctx: Context, status_id: int) -> None:
    """Drop a post's cached parts (called by edit and delete after they commit)."""
    static_cache(ctx).forget(status_id)


def _static_key(row: Any) -> tuple[Any, ...]:
    return (row.edited_at, row.text, row.spoiler_text)


async def load_static(ctx: Context, conn: AsyncConnection,
                       rows: dict[int, Any]) -> dict[int, Static]:
    cache = static_cache(ctx)
    out: dict[int, Static] = {}
    missing: list[int] = []
    for sid, row in rows.items():
        hit = cache.get(sid, _static_key(row))
        if hit is None:
            missing.append(sid)
        else:
            out[sid] = hit
    if not missing:
        return out
    mention_map: dict[int, list[int]] = defaultdict(list)
    for sid, aid in (await conn.execute(
        select(status_mentions.c.status_id, status_mentions.c.account_id)
        .where(status_mentions.c.status_id.in_(missing))
    )).all():
        mention_map[sid].append(aid)
    tag_map: dict[int, list[str]] = defaultdict(list)
    for sid, name in (await conn.execute(
        select(status_tags.c.status_id, tags.c.name)
        .join(tags, tags.c.id == status_tags.c.tag_id)
        .where(status_tags.c.status_id.in_(missing))
    )).all():
        tag_map[sid].append(name)
    media_map: dict[int, list[MediaAttachment]] = defaultdict(list)
    for mrow in (await conn.execute(
        select(media).where(media.c.status_id.in_(missing)).order_by(media.c.position)
    )).all():
        media_map[mrow.status_id].append(media_entity(ctx, mrow))
    base = ctx.settings.base_url
    for sid in missing:
        item = Static(
            key=_static_key(rows[sid]),
            mention_ids=tuple(mention_map.get(sid, ())),
            tags=tuple(Tag(name=t, url=f"{base}/tags/{t}") for t in tag_map.get(sid, ())),
            media=tuple(media_map.get(sid, ())),
        )
        cache.put(sid, item)
        out[sid] = item
    return out


def shared_status(sid: int, row: Any, item: Static, account_map: dict[int, Any],
                  sensitive: bool, townsquare: dict[str, Any] | None) -> Status:
    """A status as every viewer sees it: no repost, quote or poll, viewer fields unset."""
    author = account_map[row.account_id]
    return Status(
        id=str(sid),
        uri=f"{author.uri}/statuses/{sid}",
        url=f"{author.url}/{sid}",
        created_at=iso(row.created_at),
        account=author,
        content=row.content,
        visibility=row.visibility,
        sensitive=sensitive,
        spoiler_text=row.spoiler_text,
        media_attachments=list(item.media),
        application=Application(name=row.app_name, website=row.app_website)
        if row.app_name else None,
        mentions=[Mention(id=str(a), username=account_map[a].username,
                          url=account_map[a].url, acct=account_map[a].acct)
                  for a in item.mention_ids if a in account_map],
        tags=list(item.tags),
        reblogs_count=row.reblogs_count,
        favourites_count=row.favourites_count,
        replies_count=row.replies_count,
        quotes_count=row.quotes_count,
        in_reply_to_id=str(row.in_reply_to_id) if row.in_reply_to_id else None,
        in_reply_to_account_id=str(row.in_reply_to_account_id)
        if row.in_reply_to_account_id else None,
        language=row.language,
        edited_at=iso(row.edited_at) if row.edited_at else None,
        townsquare=townsquare,
    )


@dataclass(frozen=True)
class PollRow:
    id: int
    expires_at: datetime
    multiple: bool
    hide_totals: bool
    votes_count: int
    voters_count: int


async def load_statuses(ctx: Context, conn: AsyncConnection, ids: list[int],
                        viewer_id: int | None, context: str | None = None) -> dict[int, Status]:
    """Status entities for the ids the viewer may see (others are left out).

    `context` (home, notifications, public, thread, account) selects which of the viewer's
    muted-word filters apply; None applies them all."""
    if not ids:
        return {}
    now = ctx.clock.now()
    rows: dict[int, Any] = {}
    wanted = set(ids)
    for _ in range(MAX_DEPTH):
        if not wanted:
            break
        fetched = await ROWS_HOT.all(conn, {"ids": list(wanted)})
        for row in fetched:
            rows[row.id] = row
        wanted = {x for row in fetched for x in (row.reblog_of_id, row.quote_of_id)
                  if x is not None and x not in rows}
    if not rows:
        return {}
    all_ids = set(rows)
    static = await load_static(ctx, conn, rows)

    poll_map: dict[int, tuple[PollRow, list[PollOptionRow]]] = {}
    poll_ids = {r.poll_id: sid for sid, r in rows.items() if r.poll_id is not None}
    if poll_ids:
        for pid, title, votes in await OPTIONS_HOT.all(conn, {"pids": list(poll_ids)}):
            sid = poll_ids[pid]
            if sid not in poll_map:
                r = rows[sid]
                poll_map[sid] = (PollRow(pid, r.poll_expires_at, r.poll_multiple,
                                          r.poll_hide_totals, r.poll_votes_count,
                                          r.poll_voters_count), [])
            poll_map[sid][1].append(PollOptionRow(title, votes))

    author_ids = {r.account_id for r in rows.values()}
    mentioned_ids = {a for item in static.values() for a in item.mention_ids}
    account_map = await load_accounts(conn, ctx.settings, author_ids | mentioned_ids)

    viewer = None
    if viewer_id is not None:
        viewer = await _viewer_state(conn, viewer_id, all_ids, author_ids, set(poll_ids), now)

    moderation = await overlay(conn, now, rows, viewer_id,
                               viewer.following if viewer is not None else set(),
                               viewer.choices if viewer is not None else None, context)
    notes = await helpful_notes(ctx, conn, all_ids)  # one query: helpful community notes

    def visible(row: Any) -> bool:
        if row.id in moderation.drop:
            return False
        if account_map[row.account_id].suspended and row.account_id != viewer_id:
            return False
        return can_see(
            row.visibility, row.account_id, viewer_id,
            follows_author=viewer is not None and row.account_id in viewer.following,
            mentioned=viewer_id is not None and viewer_id in static[row.id].mention_ids,
            blocked=viewer is not None and row.account_id in viewer.blocked,
        )

    # Keyed by (id, depth): how deep a post nests depends on its depth only, never on what
    # else is on the page, so each item comes out the same in any listing (and the cached
    # renderer, queries/status_pages.py, can build items one by one).
    built: dict[tuple[int, int], Status | None] = {}

    def build(sid: int, depth: int) -> Status | None:
        key = (sid, depth)
        if key in built:
            return built[key]
        row = rows.get(sid) if depth < MAX_DEPTH else None
        if row is None or row.account_id not in account_map or not visible(row):
            built[key] = None
            return None
        reblog = None
        if row.reblog_of_id is not None:
            reblog = build(row.reblog_of_id, depth + 1)
            if reblog is None:
                built[key] = None  # a repost of something the viewer cannot see
                return None
        quote = None
        if row.quote_of_id is not None and depth < MAX_DEPTH - 1:
            quote = build(row.quote_of_id, depth + 1)
        poll = None
        if sid in poll_map:
            prow, options = poll_map[sid]
            votes = viewer.votes.get(prow.id, ()) if viewer is not None else ()
            poll = poll_entity(prow, options, now, votes, viewer_id, row.account_id)
        entity = shared_status(sid, row, static[sid], account_map,
                               row.sensitive or sid in moderation.sensitive,
                               with_notes(moderation.townsquare.get(sid), notes.get(sid)))
        entity.reblog = reblog
        entity.quote = quote
        entity.poll = poll
        if viewer is not None:
            entity.favourited = sid in viewer.favourited
            entity.reblogged = sid in viewer.reblogged
            entity.bookmarked = sid in viewer.bookmarked
            entity.pinned = (sid in viewer.pinned) if row.account_id == viewer_id else None
            entity.muted = False
        entity.filtered = moderation.filtered.get(sid, [])
        built[key] = entity
        return entity

    out: dict[int, Status] = {}
    for sid in ids:
        entity = build(sid, 0)
        if entity is not None:
            out[sid] = entity
    return out


@dataclass(frozen=True)
class PollOptionRow:
    title: str
    votes_count: int


async def load_ordered(ctx: Context, conn: AsyncConnection, ids: list[int],
                       viewer_id: int | None) -> list[Status]:
    loaded = await load_statuses(ctx, conn, ids, viewer_id)
    return [loaded[i] for i in ids if i in loaded]


async def load_one(ctx: Context, conn: AsyncConnection, status_id: int,
                   viewer_id: int | None) -> Status | None:
    return (await load_statuses(ctx, conn, [status_id], viewer_id)).get(status_id)


