"""Posting: create a status (with mentions, tags, media, poll, reply, quote) and deliver it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, bindparam, delete, func, insert, select, update

from townsquare.actions.errors import Invalid, NotFound
from townsquare.actions.notify import notify
from townsquare.context import Context
from townsquare.model import polls as poll_rules
from townsquare.model.text import count_chars, parse, render
from townsquare.model.visibility import OPEN, VISIBILITIES, can_see, counted_publicly
from townsquare.store.db import Tx
from townsquare.store.fast import Hot
from townsquare.store.tables import (
    accounts,
    blocks,
    follows,
    media,
    poll_options,
    poll_votes,
    polls,
    status_edits,
    status_mentions,
    status_tags,
    statuses,
    tags,
)
from townsquare.store.upsert import insert_ignore
from townsquare.timelines import events

if TYPE_CHECKING:
    from townsquare.actions.posting import Posted


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


def _count(table: Any, *where: Any) -> Any:
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


_V = bindparam("viewer", type_=BigInteger)
_A = bindparam("author", type_=BigInteger)
_S = bindparam("status", type_=BigInteger)
# What the visibility rule needs to know about a viewer and a post, in one query.
_RELATION = select(
    _count(follows, follows.c.account_id == _V, follows.c.target_account_id == _A),
    _count(status_mentions, status_mentions.c.status_id == _S,
           status_mentions.c.account_id == _V),
    _count(blocks, ((blocks.c.account_id == _V) & (blocks.c.target_account_id == _A))
           | ((blocks.c.account_id == _A) & (blocks.c.target_account_id == _V))),
)


async def viewer_can_see(tx: Tx, row: Any, viewer_id: int) -> bool:
    """The visibility rule for one status row (used by actions acting on a post)."""
    if viewer_id == row.account_id:
        return True  # one's own post, whatever its visibility (no query)
    follows_author, mentioned, blocked = (await tx.execute(
        _RELATION, {"viewer": viewer_id, "author": row.account_id, "status": row.id})).one()
    return can_see(row.visibility, row.account_id, viewer_id, follows_author=bool(follows_author),
                   mentioned=bool(mentioned), blocked=bool(blocked))


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


# Run on the driver inside the caller's transaction (store/fast.py).
_MENTIONED = Hot(
    select(accounts.c.username_lower, accounts.c.username, accounts.c.id)
    .where(accounts.c.username_lower.in_(bindparam("names", expanding=True)),
           accounts.c.suspended_at.is_(None))
)
_TAG_IDS = Hot(select(tags.c.name, tags.c.id).where(tags.c.name.in_(bindparam("names",
                                                                            expanding=True))))


async def resolve_mentions(tx: Tx, usernames: list[str]) -> dict[str, tuple[int, str]]:
    """Mentioned local usernames (lowercased) -> (account id, display-cased username)."""
    if not usernames:
        return {}
    rows = await _MENTIONED.all(tx.conn, {"names": usernames})
    return {low: (aid, name) for low, name, aid in rows}


def _tag_cache(ctx: Context) -> dict[str, int]:
    """Tag name -> id, per process. A tag row is never deleted nor renamed, so an id once
    committed stays right; entries are added only after the commit that made them visible."""
    cache: dict[str, int] = ctx.extras.setdefault("posting.tag_ids", {})
    if len(cache) > 100_000:
        cache.clear()
    return cache


async def ensure_tags(ctx: Context, tx: Tx, names: list[str]) -> dict[str, int]:
    """Tag name -> id for every name, creating the missing tags (no query when all are
    known to this process)."""
    if not names:
        return {}
    cache = _tag_cache(ctx)
    found = {n: cache[n] for n in names if n in cache}
    missing = [n for n in names if n not in found]
    if not missing:
        return found
    rows = dict(await _TAG_IDS.all(tx.conn, {"names": missing}))
    new = [n for n in missing if n not in rows]
    if new:
        now = ctx.clock.now()
        await insert_ignore(tx, tags, [{"id": ctx.ids.next(), "name": n, "display_name": n,
                                        "created_at": now} for n in new], ["name"])
        rows.update(await _TAG_IDS.all(tx.conn, {"names": new}))

    async def remember() -> None:
        cache.update(rows)

    tx.after_commit(remember)
    return {**found, **rows}


async def render_content(ctx: Context, tx: Tx, text: str) -> tuple[str, dict[str, int],
                                                                    dict[str, int]]:
    """(HTML, mentioned username -> id, tag name -> id) for a post text."""
    content, mentioned, tag_ids, _ = await render_content_named(ctx, tx, text)
    return content, mentioned, tag_ids


async def render_content_named(ctx: Context, tx: Tx, text: str
                               ) -> tuple[str, dict[str, int], dict[str, int], dict[int, str]]:
    """`render_content`, plus mentioned id -> display-cased username."""
    parsed = parse(text)
    found = await resolve_mentions(tx, parsed.mentions)
    tag_ids = await ensure_tags(ctx, tx, parsed.tags)
    base = ctx.settings.base_url
    # Profile URLs use the display-cased username, for links that read well.
    urls = {low: f"{base}/@{name}" for low, (_, name) in found.items()}
    mentioned = {low: aid for low, (aid, _) in found.items()}
    names = {aid: name for aid, name in found.values()}
    return render(text, urls, base + "/tags/{tag}"), mentioned, tag_ids, names


async def create_status(ctx: Context, author_id: int, new: NewStatus) -> int:
    """Post; returns the new status id once it is committed."""
    return (await create_post(ctx, author_id, new)).status_id


async def create_post(ctx: Context, author_id: int, new: NewStatus, *,
                      token_id: int | None = None) -> Posted:
    """Post; returns, once it is committed, what the writer knows of the post (enough for
    the API's answer, api/answer.py). What can be checked without the database is checked
    here; the rest, and the writing, is done by this process's post writer with other posts
    made at the same moment (actions/posting.py). `token_id`: the API's token, when it was
    not read for this request; the writer checks it is still live (api/auth.py Identity)."""
    from townsquare.actions.posting import writer

    validate_text(ctx, new)
    options: list[str] = []
    if new.poll is not None:
        try:
            options = poll_rules.validate(new.poll.options, new.poll.expires_in, poll_limits(ctx))
        except poll_rules.PollError as exc:
            raise Invalid(f"Validation failed: {exc}") from None
    return await writer(ctx).submit(author_id, new, options, ctx.clock.now(), token_id)


# --- delete -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Deleted:
    """The source of a deleted post, for "delete and redraft"."""

    text: str
    spoiler_text: str


async def delete_status(ctx: Context, author_id: int, status_id: int, *,
                        delete_media: bool = False) -> Deleted:
    """Delete one's own post (or repost) and correct every counter it touched.

    What hangs off the row goes with it by ON DELETE CASCADE: reposts of it (their authors'
    counts are corrected here first), likes, bookmarks, pins, mentions, tags, poll, edits,
    notifications; home-timeline entries and the search index follow by trigger. Media are
    detached and kept for a redraft (as Mastodon does; the orphan-media job removes them
    later) unless `delete_media`, which removes rows now and files after commit.
    """
    from townsquare.actions.interactions import undo_reblog_effects

    files: list[str] = []
    async with ctx.db.write() as tx:
        row = (await tx.execute(select(statuses).where(
            statuses.c.id == status_id, statuses.c.account_id == author_id).with_for_update()
        )).first()
        if row is None:
            raise NotFound("Status")
        if row.reblog_of_id is not None:
            await undo_reblog_effects(tx, row)
        else:
            public = counted_publicly(row.visibility)
            if public:
                await tx.execute(update(accounts).where(accounts.c.id == author_id)
                                 .values(statuses_count=accounts.c.statuses_count - 1))
                for column, target in ((statuses.c.replies_count, row.in_reply_to_id),
                                       (statuses.c.quotes_count, row.quote_of_id)):
                    if target is not None:
                        await tx.execute(update(statuses).where(statuses.c.id == target)
                                         .values({column.name: column - 1}))
            await _uncount_reblogs_of(tx, row.id)
            if delete_media:
                files = [n for r in (await tx.execute(
                    select(media.c.file_name, media.c.preview_name)
                    .where(media.c.status_id == row.id))).all() for n in r]
                await tx.execute(delete(media).where(media.c.status_id == row.id))
            else:
                await tx.execute(update(media).where(media.c.status_id == row.id)
                                 .values(status_id=None, position=0))
        await tx.execute(delete(statuses).where(statuses.c.id == row.id))

        async def remove_files() -> None:
            for name in files:
                ctx.files.delete(name)

        tx.after_commit(remove_files)
        tx.after_commit(lambda: events.publish_delete(ctx, row.id))  # streaming, all processes
        _forget_after_commit(ctx, tx, row.id)
    return Deleted(row.text, row.spoiler_text)


def _forget_after_commit(ctx: Context, tx: Tx, status_id: int) -> None:
    """Drop the post's cached parts in this process once the change is committed (other
    processes notice by themselves: their entries no longer match the row)."""
    from townsquare.queries.statuses import forget_status

    async def forget() -> None:
        forget_status(ctx, status_id)

    tx.after_commit(forget)


async def _uncount_reblogs_of(tx: Tx, status_id: int) -> None:
    """Reposts of a post vanish with it (cascade): take them off their authors' counts."""
    counted = statuses.alias("counted")
    per_author = (select(func.count()).select_from(counted)
                  .where(counted.c.reblog_of_id == status_id,
                         counted.c.account_id == accounts.c.id,
                         counted.c.visibility.in_(OPEN)).scalar_subquery())
    await tx.execute(update(accounts).where(accounts.c.id.in_(
        select(statuses.c.account_id).where(statuses.c.reblog_of_id == status_id,
                                            statuses.c.visibility.in_(OPEN))
    )).values(statuses_count=accounts.c.statuses_count - per_author))


# --- edit -------------------------------------------------------------------------------

MAX_DESCRIPTION = 1500


@dataclass(frozen=True)
class MediaChange:
    id: int
    description: str | None = None
    focus: tuple[float, float] | None = None


@dataclass(frozen=True)
class StatusChange:
    """A PUT /api/v1/statuses/:id, with Mastodon's meaning: the post is replaced by what is
    sent, so leaving out `media_ids` removes the media and leaving out `poll` removes the
    poll; `language` and `sensitive` left out (None) are kept / follow the spoiler."""

    text: str = ""
    spoiler_text: str = ""
    sensitive: bool | None = None
    language: str | None = None
    media_ids: list[int] = field(default_factory=list)
    media_attributes: list[MediaChange] = field(default_factory=list)
    poll: NewPoll | None = None


def _snapshot(row: Any, media_ids: list[int], options: list[str] | None,
              created_at: Any) -> dict[str, Any]:
    return {"text": row.text, "content": row.content, "spoiler_text": row.spoiler_text,
            "sensitive": row.sensitive, "media_ids": media_ids, "poll_options": options,
            "created_at": created_at}


async def edit_status(ctx: Context, author_id: int, status_id: int, change: StatusChange) -> None:
    """Edit one's own post, keeping its history (the original becomes the first entry).

    Changing a poll's options (or single/multiple choice) resets its votes, as Mastodon does:
    votes cast for other options cannot be carried over honestly.
    """
    validate_text(ctx, NewStatus(text=change.text, spoiler_text=change.spoiler_text,
                                 language=change.language, media_ids=change.media_ids,
                                 poll=change.poll))
    options: list[str] | None = None
    if change.poll is not None:
        try:
            options = poll_rules.validate(change.poll.options, change.poll.expires_in,
                                          poll_limits(ctx))
        except poll_rules.PollError as exc:
            raise Invalid(f"Validation failed: {exc}") from None
    for m in change.media_attributes:
        if m.description is not None and len(m.description) > MAX_DESCRIPTION:
            raise Invalid(f"Validation failed: description is longer than {MAX_DESCRIPTION} "
                          "characters")
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        row = (await tx.execute(select(statuses).where(
            statuses.c.id == status_id, statuses.c.account_id == author_id,
            statuses.c.reblog_of_id.is_(None)).with_for_update())).first()
        if row is None:
            raise NotFound("Status")
        old_media = list((await tx.execute(
            select(media.c.id).where(media.c.status_id == row.id).order_by(media.c.position)
        )).scalars().all())
        poll = (await tx.execute(select(polls).where(polls.c.status_id == row.id))).first()
        old_options = None if poll is None else list((await tx.execute(
            select(poll_options.c.title).where(poll_options.c.poll_id == poll.id)
            .order_by(poll_options.c.position))).scalars().all())
        if set(change.media_ids) - set(old_media):
            usable = set((await tx.execute(select(media.c.id).where(
                media.c.id.in_(change.media_ids), media.c.account_id == author_id,
                media.c.status_id.is_(None)))).scalars().all())
            if set(change.media_ids) - set(old_media) - usable:
                raise Invalid("Validation failed: unknown or already attached media")
        if any(m.id not in change.media_ids for m in change.media_attributes):
            raise Invalid("Validation failed: media_attributes name media not in media_ids")

        content, mentioned, tag_ids = await render_content(ctx, tx, change.text)
        sensitive = change.sensitive if change.sensitive is not None \
            else bool(change.spoiler_text)
        sensitive = sensitive or bool(change.spoiler_text)
        language = change.language or row.language
        poll_changed = (change.poll is None) != (poll is None) or (
            change.poll is not None and poll is not None
            and (options != old_options or change.poll.multiple != poll.multiple
                 or change.poll.hide_totals != poll.hide_totals
                 or change.poll.expires_in != _seconds_left(poll.expires_at, now)))
        changed = (change.text != row.text or change.spoiler_text != row.spoiler_text
                   or sensitive != row.sensitive or language != row.language
                   or change.media_ids != old_media or bool(change.media_attributes)
                   or poll_changed)
        if not changed:
            return  # nothing to record (Mastodon answers with the post unchanged too)

        has_history = (await tx.execute(select(func.count()).select_from(status_edits)
                                        .where(status_edits.c.status_id == row.id))
                       ).scalar_one()
        if not has_history:
            await tx.execute(insert(status_edits).values(
                id=ctx.ids.next(), status_id=row.id,
                **_snapshot(row, old_media, old_options, row.created_at)))
        await tx.execute(update(statuses).where(statuses.c.id == row.id).values(
            text=change.text, content=content, spoiler_text=change.spoiler_text,
            sensitive=sensitive, language=language, edited_at=now))
        _forget_after_commit(ctx, tx, row.id)

        new_mentions = await _sync_mentions(tx, row.id, set(mentioned.values()))
        await tx.execute(delete(status_tags).where(status_tags.c.status_id == row.id))
        if tag_ids:
            await tx.execute(insert(status_tags), [
                {"status_id": row.id, "tag_id": tid} for tid in tag_ids.values()])
        await _sync_media(tx, row.id, old_media, change)
        final_options = old_options
        if poll_changed:
            final_options = await _sync_poll(ctx, tx, row.id, poll, old_options, change.poll,
                                             options, now)
        edited = (await tx.execute(select(statuses).where(statuses.c.id == row.id))).one()
        await tx.execute(insert(status_edits).values(
            id=ctx.ids.next(), status_id=row.id,
            **_snapshot(edited, change.media_ids, final_options, now)))

        await notify(ctx, tx, sorted(new_mentions), author_id, "mention", row.id)
        interacted = (await tx.execute(
            select(statuses.c.account_id).where(statuses.c.reblog_of_id == row.id)
            .union(select(statuses.c.account_id).where(statuses.c.quote_of_id == row.id))
        )).scalars().all()
        await notify(ctx, tx, sorted(interacted), author_id, "update", row.id)


def _seconds_left(expires_at: Any, now: Any) -> int:
    from townsquare.model.clock import utc

    return int((utc(expires_at) - now).total_seconds())


async def _sync_mentions(tx: Tx, status_id: int, wanted: set[int]) -> set[int]:
    """Make the post's mentions `wanted`; returns the accounts newly mentioned."""
    current = set((await tx.execute(select(status_mentions.c.account_id).where(
        status_mentions.c.status_id == status_id))).scalars().all())
    if current - wanted:
        await tx.execute(delete(status_mentions).where(
            status_mentions.c.status_id == status_id,
            status_mentions.c.account_id.in_(current - wanted)))
    if wanted - current:
        await tx.execute(insert(status_mentions), [
            {"status_id": status_id, "account_id": a} for a in sorted(wanted - current)])
    return wanted - current


async def _sync_media(tx: Tx, status_id: int, old: list[int], change: StatusChange) -> None:
    removed = set(old) - set(change.media_ids)
    if removed:  # detached, not deleted: the history still shows them
        await tx.execute(update(media).where(media.c.id.in_(removed))
                         .values(status_id=None, position=0))
    for position, media_id in enumerate(change.media_ids):
        await tx.execute(update(media).where(media.c.id == media_id)
                         .values(status_id=status_id, position=position))
    for m in change.media_attributes:
        values: dict[str, Any] = {}
        if m.description is not None:
            values["description"] = m.description
        if m.focus is not None:
            values["focus_x"], values["focus_y"] = m.focus
        if values:
            await tx.execute(update(media).where(media.c.id == m.id).values(**values))


async def _sync_poll(ctx: Context, tx: Tx, status_id: int, poll: Any,
                     old_options: list[str] | None, new: NewPoll | None,
                     options: list[str] | None, now: Any) -> list[str] | None:
    if new is None or options is None:
        if poll is not None:
            await tx.execute(delete(polls).where(polls.c.id == poll.id))
        return None
    expires_at = now + timedelta(seconds=new.expires_in)
    if poll is None:
        poll_id = ctx.ids.next()
        await tx.execute(insert(polls).values(
            id=poll_id, status_id=status_id, multiple=new.multiple,
            hide_totals=new.hide_totals, votes_count=0, voters_count=0,
            expires_at=expires_at, created_at=now))
    else:
        poll_id = poll.id
        values: dict[str, Any] = {"hide_totals": new.hide_totals, "expires_at": expires_at,
                                  "ended_notified_at": None}
        if options != old_options or new.multiple != poll.multiple:
            await tx.execute(delete(poll_votes).where(poll_votes.c.poll_id == poll_id))
            await tx.execute(delete(poll_options).where(poll_options.c.poll_id == poll_id))
            values.update(multiple=new.multiple, votes_count=0, voters_count=0)
        else:
            options = None  # same options: the votes stand
        await tx.execute(update(polls).where(polls.c.id == poll_id).values(**values))
    if options is not None:
        await tx.execute(insert(poll_options), [
            {"poll_id": poll_id, "position": i, "title": t, "votes_count": 0}
            for i, t in enumerate(options)])
    return options if options is not None else old_options
