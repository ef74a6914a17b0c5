"""The answer to POST /api/v1/statuses, built from what the post writer knows.

Reading a new post back with `load_one` cost ~40% of a post's server time (a connection and
eight queries for facts the writer had in hand). `Posted` (actions/posting.py) carries them:
the statuses row as inserted, the author's row as committed, the mentioned usernames, the
tag names, the media rows, the poll and the app. Built here, the Status is the one
`load_statuses` gives the author for the same post (tests/test_post_answer.py compares the
two, field by field, for mentions, tags, polls, media, replies, quotes and every visibility,
on both databases).

What only `load_statuses` knows is left to it (`Posted.plain` is False): a quote (the quoted
post is nested as its author's reader sees it: its counters, moderation, notes, their marks
on it) and an author with limited reach or labels on their account (the moderation overlay).
A new post has nothing else that differs by reader: no likes, reposts, bookmarks, notes,
labels or moderation of its own yet, and the reader is its author, whom muted words, hidden
posts and label choices never hide their own posts from.
"""

from __future__ import annotations

from typing import NamedTuple

from townsquare.actions.posting import Posted
from townsquare.api.entities import Application, Mention, Poll, PollOption, Status, Tag
from townsquare.context import Context
from townsquare.model.clock import iso, utc
from townsquare.queries.accounts import account_entity, account_urls
from townsquare.queries.statuses import load_one, media_entity, poll_percentages


class _PollTotals(NamedTuple):
    multiple: bool
    votes_count: int
    voters_count: int


class _OptionTotal(NamedTuple):
    title: str
    votes_count: int


async def answer(ctx: Context, posted: Posted, viewer_id: int) -> Status | None:
    """The new post as its author (`viewer_id`) sees it."""
    if not posted.plain or viewer_id != posted.author.id:
        async with ctx.db.read() as conn:
            return await load_one(ctx, conn, posted.status_id, viewer_id)
    return built(ctx, posted)


def built(ctx: Context, posted: Posted) -> Status:
    settings = ctx.settings
    base = settings.base_url
    author = account_entity(posted.author, settings)
    row = posted.row
    sid = posted.status_id
    mentions = []
    for aid, username in posted.mentions:
        url, _ = account_urls(settings, username)
        mentions.append(Mention(id=str(aid), username=username, url=url, acct=username))
    poll = None
    if posted.poll is not None:
        p = posted.poll
        totals = _PollTotals(p.multiple, 0, 0)
        options = [_OptionTotal(title, 0) for title in p.options]
        # As its author sees it: totals shown, `voted` true, no votes of their own.
        poll = Poll(
            id=str(p.id),
            expires_at=iso(utc(p.expires_at)),
            expired=utc(p.expires_at) <= ctx.clock.now(),
            multiple=p.multiple,
            votes_count=0,
            voters_count=0 if p.multiple else None,
            options=[PollOption(title=o.title, votes_count=0) for o in options],
            voted=True,
            own_votes=[],
            townsquare=poll_percentages(totals, options, False),
        )
    return Status(
        id=str(sid),
        uri=f"{author.uri}/statuses/{sid}",
        url=f"{author.url}/{sid}",
        created_at=iso(row["created_at"]),
        account=author,
        content=row["content"],
        visibility=row["visibility"],
        sensitive=bool(row["sensitive"]),
        spoiler_text=row["spoiler_text"],
        media_attachments=[media_entity(ctx, m) for m in posted.media],
        application=Application(name=posted.app[0], website=posted.app[1])
        if posted.app is not None and posted.app[0] else None,
        mentions=mentions,
        tags=[Tag(name=t, url=f"{base}/tags/{t}") for t in posted.tags],
        reblogs_count=0,
        favourites_count=0,
        replies_count=0,
        quotes_count=0,
        in_reply_to_id=str(row["in_reply_to_id"]) if row["in_reply_to_id"] else None,
        in_reply_to_account_id=str(row["in_reply_to_account_id"])
        if row["in_reply_to_account_id"] else None,
        poll=poll,
        language=row["language"],
        edited_at=None,
        favourited=False,
        reblogged=False,
        bookmarked=False,
        pinned=False,
        muted=False,
        filtered=[],
        townsquare=None,
    )
