"""Posting: create a status (with mentions, tags, media, poll, reply, quote) and deliver it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from townsquare.actions.errors import Invalid, NotFound
from townsquare.actions.notify import notify
from townsquare.context import Context
from townsquare.model import polls as poll_rules
from townsquare.model.text import count_chars, parse, render
from townsquare.model.visibility import VISIBILITIES, can_see, counted_publicly
from townsquare.store.db import Tx
from townsquare.store.tables import (
    accounts,
    blocks,
    follows,
    media,
    poll_options,
    polls,
    status_mentions,
    status_tags,
    statuses,
    tags,
    users,
)
from townsquare.store.upsert import insert_ignore
from townsquare.timelines.base import Entry


@dataclass(frozen=True)
class NewPoll:
    options: list[str]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False


@dataclass(frozen=True)
class NewStatus:
    text: str = ""
    visibility: str | None = None  # None = the author's default
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    in_reply_to_id: int | None = None
    quote_id: int | None = None
    media_ids: list[int] = field(default_factory=list)
    poll: NewPoll | None = None
    application_id: int | None = None


def poll_limits(ctx: Context) -> poll_rules.PollLimits:
    s = ctx.settings
    return poll_rules.PollLimits(s.max_poll_options, s.max_poll_option_chars,
                                 s.min_poll_expiration, s.max_poll_expiration)


def validate_text(ctx: Context, new: NewStatus) -> None:
    if not new.text.strip() and not new.media_ids and new.poll is None:
        raise Invalid("Validation failed: Text can't be blank")
    length = count_chars(new.text) + len(new.spoiler_text)
    if length > ctx.settings.max_post_chars:
        raise Invalid(f"Validation failed: Text character limit of "
                      f"{ctx.settings.max_post_chars} exceeded ({length})")
    if new.visibility is not None and new.visibility not in VISIBILITIES:
        raise Invalid(f"Validation failed: visibility must be one of {', '.join(VISIBILITIES)}")
    if new.media_ids and new.poll is not None:
        raise Invalid("Validation failed: a post cannot have both media and a poll")
    if len(new.media_ids) > ctx.settings.max_media_attachments:
        raise Invalid(f"Validation failed: at most {ctx.settings.max_media_attachments} "
                      "attachments per post")
    if new.language is not None and len(new.language) > 8:
        raise Invalid("Validation failed: language is not a language code")


async def viewer_can_see(tx: Tx, row: Any, viewer_id: int) -> bool:
    """The visibility rule for one status row (used by actions acting on a post)."""
    follows_author = bool((await tx.execute(
        select(func.count()).select_from(follows).where(
            follows.c.account_id == viewer_id, follows.c.target_account_id == row.account_id))
    ).scalar_one())
    mentioned = bool((await tx.execute(
        select(func.count()).select_from(status_mentions).where(
            status_mentions.c.status_id == row.id, status_mentions.c.account_id == viewer_id))
    ).scalar_one())
    blocked = bool((await tx.execute(
        select(func.count()).select_from(blocks).where(
            ((blocks.c.account_id == viewer_id) & (blocks.c.target_account_id == row.account_id))
            | ((blocks.c.account_id == row.account_id)
               & (blocks.c.target_account_id == viewer_id))))
    ).scalar_one())
    return can_see(row.visibility, row.account_id, viewer_id, follows_author=follows_author,
                   mentioned=mentioned, blocked=blocked)


async def visible_status(tx: Tx, status_id: int, viewer_id: int, *,
                         for_update: bool = False) -> Any:
    """The status row if it exists and the viewer may see it; otherwise NotFound (never 403,
    which would confirm that a private post exists). `for_update` locks the row on PostgreSQL
    (SQLite serialises writers already), so concurrent acts on one post queue up."""
    stmt = select(statuses).where(statuses.c.id == status_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await tx.execute(stmt)).first()
    if row is None or not await viewer_can_see(tx, row, viewer_id):
        raise NotFound("Status")
    return row


async def resolve_mentions(tx: Tx, usernames: list[str]) -> dict[str, int]:
    if not usernames:
        return {}
    rows = (await tx.execute(
        select(accounts.c.username_lower, accounts.c.id)
        .where(accounts.c.username_lower.in_(usernames), accounts.c.suspended_at.is_(None))
    )).all()
    return {name: aid for name, aid in rows}


async def ensure_tags(ctx: Context, tx: Tx, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    now = ctx.clock.now()
    await insert_ignore(tx, tags, [{"id": ctx.ids.next(), "name": n, "display_name": n,
                                    "created_at": now} for n in names], ["name"])
    rows = (await tx.execute(select(tags.c.name, tags.c.id).where(tags.c.name.in_(names)))).all()
    return {name: tid for name, tid in rows}


async def render_content(ctx: Context, tx: Tx, text: str) -> tuple[str, dict[str, int],
                                                                    dict[str, int]]:
    """(HTML, mentioned username -> id, tag name -> id) for a post text."""
    parsed = parse(text)
    mentioned = await resolve_mentions(tx, parsed.mentions)
    tag_ids = await ensure_tags(ctx, tx, parsed.tags)
    base = ctx.settings.base_url
    urls = {name: f"{base}/@{name}" for name in mentioned}
    # Profile URLs use the display-cased username; fetch it for links that read well.
    if mentioned:
        rows = (await tx.execute(select(accounts.c.username_lower, accounts.c.username)
                                 .where(accounts.c.id.in_(mentioned.values())))).all()
        urls = {low: f"{base}/@{name}" for low, name in rows}
    return render(text, urls, base + "/tags/{tag}"), mentioned, tag_ids


async def create_status(ctx: Context, author_id: int, new: NewStatus) -> int:
    validate_text(ctx, new)
    options: list[str] = []
    if new.poll is not None:
        try:
            options = poll_rules.validate(new.poll.options, new.poll.expires_in, poll_limits(ctx))
        except poll_rules.PollError as exc:
            raise Invalid(f"Validation failed: {exc}") from None
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        visibility = new.visibility
        if visibility is None:
            visibility = (await tx.execute(select(users.c.default_visibility)
                                           .where(users.c.account_id == author_id))
                          ).scalar_one_or_none() or "public"
        parent = None
        if new.in_reply_to_id is not None:
            parent = await visible_status(tx, new.in_reply_to_id, author_id)
            if parent.reblog_of_id is not None:
                raise Invalid("Validation failed: cannot reply to a repost; reply to the post")
        quoted = None
        if new.quote_id is not None:
            quoted = await visible_status(tx, new.quote_id, author_id)
            if quoted.reblog_of_id is not None:
                quoted = await visible_status(tx, quoted.reblog_of_id, author_id)
            if quoted.visibility not in ("public", "unlisted") and quoted.account_id != author_id:
                raise Invalid("Validation failed: only public and unlisted posts can be quoted")
        if new.media_ids:
            owned = (await tx.execute(
                select(media.c.id).where(media.c.id.in_(new.media_ids),
                                         media.c.account_id == author_id,
                                         media.c.status_id.is_(None))
            )).scalars().all()
            if len(set(owned)) != len(set(new.media_ids)):
                raise Invalid("Validation failed: unknown or already attached media")

        content, mentioned, tag_ids = await render_content(ctx, tx, new.text)
        status_id = ctx.ids.next()
        conversation_id = (parent.conversation_id or parent.id) if parent is not None \
            else status_id
        await tx.execute(insert(statuses).values(
            id=status_id, account_id=author_id, text=new.text, content=content,
            spoiler_text=new.spoiler_text, visibility=visibility,
            sensitive=new.sensitive or bool(new.spoiler_text), language=new.language,
            in_reply_to_id=parent.id if parent is not None else None,
            in_reply_to_account_id=parent.account_id if parent is not None else None,
            quote_of_id=quoted.id if quoted is not None else None,
            conversation_id=conversation_id, application_id=new.application_id,
            replies_count=0, reblogs_count=0, favourites_count=0, quotes_count=0,
            created_at=now,
        ))
        if mentioned:
            await tx.execute(insert(status_mentions), [
                {"status_id": status_id, "account_id": aid} for aid in mentioned.values()])
        if tag_ids:
            await tx.execute(insert(status_tags), [
                {"status_id": status_id, "tag_id": tid} for tid in tag_ids.values()])
        for position, media_id in enumerate(new.media_ids):
            await tx.execute(update(media).where(media.c.id == media_id)
                             .values(status_id=status_id, position=position))
        if new.poll is not None:
            poll_id = ctx.ids.next()
            await tx.execute(insert(polls).values(
                id=poll_id, status_id=status_id, multiple=new.poll.multiple,
                hide_totals=new.poll.hide_totals, votes_count=0, voters_count=0,
                expires_at=now + timedelta(seconds=new.poll.expires_in), created_at=now))
            await tx.execute(insert(poll_options), [
                {"poll_id": poll_id, "position": i, "title": title, "votes_count": 0}
                for i, title in enumerate(options)])

        public = counted_publicly(visibility)
        await tx.execute(update(accounts).where(accounts.c.id == author_id).values(
            statuses_count=accounts.c.statuses_count + (1 if public else 0),
            last_status_at=now))
        if parent is not None and public:
            await tx.execute(update(statuses).where(statuses.c.id == parent.id)
                             .values(replies_count=statuses.c.replies_count + 1))
        if quoted is not None and public:
            await tx.execute(update(statuses).where(statuses.c.id == quoted.id)
                             .values(quotes_count=statuses.c.quotes_count + 1))

        await notify(ctx, tx, list(mentioned.values()), author_id, "mention", status_id)
        if quoted is not None and quoted.account_id not in mentioned.values():
            await notify(ctx, tx, [quoted.account_id], author_id, "quote", status_id)
        await ctx.timelines.deliver(tx, Entry(status_id, author_id, author_id, visibility,
                                              tuple(mentioned.values())))
    return status_id
