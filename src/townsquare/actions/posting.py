"""Writing new posts: one writer per process, several concurrent posts per transaction.

`create_post` (actions/statuses.py) checks what needs no database and hands the post to
this process's `PostWriter`, then waits for its `Posted`. The writer takes every post waiting
(up to MAX_BATCH) and writes them in one transaction (group commit):

1. checks, post by post, with reads only: the author's default visibility and follower count
   (one query for the whole batch), the reply parent and the quoted post (which the author
   must be able to see), the parent's reply policy, the media's owner. A post that fails a
   check gets its own error (a 4xx) and writes nothing, so the others are unaffected;
2. the writes of every post that passed, one statement per kind for the whole batch (an
   executemany): statuses, mentions, tags, media, counters, notifications, and delivery
   (timelines/: on SQL one INSERT ... SELECT per kind of entry, on Redis after commit);
3. what each answer needs, read after the writes: the authors' rows as they will commit,
   the apps' names (`Posted`: the API answers from it instead of reading the post back);
4. one commit. Only then does each caller get its `Posted`: an acknowledged post is
   committed. On SQLite the delivery and the commit run on a writer thread (store/db.py).

If the transaction fails for any other reason (a database error), it is rolled back whole
and its posts are written again one by one, so an error stays with the post that caused it
and nothing is left half-written. After-commit work (Redis delivery, streaming events) runs
before the callers are answered, each piece on its own so one failure cannot stop the rest.

Why: on SQLite every write transaction is serialised and its commit writes every page it
touched (a post to 100 followers dirties ~200 index pages), so sharing one commit between
posts whose followers overlap saves most of it; on both databases one statement for many
posts costs SQLAlchemy's per-statement overhead once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, false, func, insert, select, update

from townsquare.actions.errors import ActionError, Forbidden, Invalid, NotFound, Unauthorized
from townsquare.actions.notify import notify
from townsquare.actions.statuses import NewStatus, render_content_named, visible_status
from townsquare.context import Context
from townsquare.model.visibility import counted_publicly
from townsquare.store.db import Tx
from townsquare.store.fast import Hot
from townsquare.store.tables import (
    accounts,
    apps,
    media,
    poll_options,
    polls,
    status_mentions,
    status_tags,
    statuses,
    tokens,
    users,
)
from townsquare.store.tables_moderation import account_moderation, labels
from townsquare.timelines import events
from townsquare.timelines.base import Entry

log = logging.getLogger("townsquare.posting")

MAX_BATCH = 32  # posts per transaction: bounds the time the writer holds SQLite's lock

# Statements built once; each runs with a list of parameter sets (one per post). The reads
# run on the driver (store/fast.py), inside the batch's transaction.
_AUTHORS = Hot(
    select(accounts.c.id, accounts.c.followers_count, users.c.default_visibility,
           accounts.c.suspended_at,
           # Anything about the author that only load_statuses shows on a post (limited
           # reach, labels on the account): then the answer is read back (answer.py).
           func.coalesce(account_moderation.c.reach_limited, false()).label("limited"),
           select(labels.c.id).where(labels.c.account_id == accounts.c.id,
                                     labels.c.removed_at.is_(None)).exists().label("labelled"))
    .select_from(accounts.outerjoin(users, users.c.account_id == accounts.c.id)
                 .outerjoin(account_moderation, account_moderation.c.account_id == accounts.c.id))
    .where(accounts.c.id.in_(bindparam("ids", expanding=True)))
)
# Which of the tokens that posts came with are still live (api/auth.py Identities: the API
# hands over a token it did not read for this request, to be checked here, in the batch).
_LIVE_TOKENS = Hot(select(tokens.c.id).where(tokens.c.id.in_(bindparam("ids", expanding=True)),
                                             tokens.c.revoked_at.is_(None)))
# (Not on the driver: store/fast.py cannot process the float columns on asyncpg.)
_OWNED_MEDIA = select(media).where(
    media.c.id.in_(bindparam("ids", expanding=True)),
    media.c.account_id == bindparam("author"), media.c.status_id.is_(None))
# The authors' rows as they will be committed (read after the counters changed; the rows are
# locked by then, or on SQLite the whole database is): for the answer's Account.
_a = accounts.c
_AUTHOR_ROWS = Hot(
    select(_a.id, _a.username, _a.display_name, _a.note_html, _a.avatar_file, _a.header_file,
           _a.bot, _a.locked, _a.discoverable, _a.followers_count, _a.following_count,
           _a.statuses_count, _a.last_status_at, _a.suspended_at, _a.created_at)
    .where(_a.id.in_(bindparam("ids", expanding=True))))
_APPS = Hot(select(apps.c.id, apps.c.name, apps.c.website)
            .where(apps.c.id.in_(bindparam("ids", expanding=True))))
_INSERT_STATUS = insert(statuses)
_INSERT_MENTION = insert(status_mentions)
_INSERT_TAG = insert(status_tags)
_ATTACH_MEDIA = (update(media).where(media.c.id == bindparam("p_media"))
                 .values(status_id=bindparam("p_status"), position=bindparam("p_position")))
_COUNT_POSTS = (update(accounts).where(accounts.c.id == bindparam("p_account"))
                .values(statuses_count=accounts.c.statuses_count + bindparam("p_count"),
                        last_status_at=bindparam("p_at")))
_COUNT_REPLY = (update(statuses).where(statuses.c.id == bindparam("p_status"))
                .values(replies_count=statuses.c.replies_count + 1))
_COUNT_QUOTE = (update(statuses).where(statuses.c.id == bindparam("p_status"))
                .values(quotes_count=statuses.c.quotes_count + 1))


@dataclass(frozen=True)
class Posted:
    """A committed post as its writer knows it: enough to answer the request without reading
    the post back (api/answer.py builds the Status; tests/test_post_answer.py shows it is the
    one load_statuses gives its author).

    `plain` is False when something about the post shows only through load_statuses (a quote,
    whose nested post the author sees with its own counters, moderation and marks; an author
    with limited reach or labels on their account): then the answer reads the post back."""

    status_id: int
    author: Any  # the author's accounts row, as committed
    row: dict[str, Any]  # the statuses row as inserted
    mentions: tuple[tuple[int, str], ...]  # (account id, username), by account id
    tags: tuple[str, ...]  # tag names, by tag id
    media: tuple[Any, ...]  # media rows, by position
    poll: PostedPoll | None
    app: tuple[str, str | None] | None  # (name, website)
    plain: bool


@dataclass(frozen=True)
class PostedPoll:
    id: int
    expires_at: datetime
    multiple: bool
    hide_totals: bool
    options: tuple[str, ...]


@dataclass(eq=False)
class _Post:
    author_id: int
    new: NewStatus
    options: list[str]
    now: datetime
    future: asyncio.Future[Posted]
    token_id: int | None  # a token to check in the batch (not read by the request)
    # Found by the checks, then by the writes.
    error: BaseException | None = None
    visibility: str = "public"
    followers: int = 0
    plain: bool = True
    parent: Any = None
    quoted: Any = None
    media: tuple[Any, ...] = ()
    status_id: int = 0
    content: str = ""
    mentioned: dict[str, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)  # mentioned id -> username
    tag_ids: dict[str, int] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)
    poll: PostedPoll | None = None
    answer: Posted | None = None


class _BatchTx(Tx):
    """The batch's transaction, keeping its after-commit work for the writer to run."""

    def __init__(self, tx: Tx) -> None:
        super().__init__(tx.conn, tx.off_loop)

    @property
    def after(self) -> list[Callable[[], Awaitable[None]]]:
        return self._after


class PostWriter:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._queue: list[_Post] = []
        self._task: asyncio.Task[None] | None = None  # the running writer, if any

    async def submit(self, author_id: int, new: NewStatus, options: list[str],
                     now: datetime, token_id: int | None = None) -> Posted:
        """Queue a post (validated without the database) and wait until it is committed.
        `token_id`: the token the post came with, when the request did not read it: the
        post is refused (Unauthorized, Forbidden) if it was revoked or its account
        suspended, as the request's own read would have."""
        loop = asyncio.get_running_loop()
        post = _Post(author_id, new, options, now, loop.create_future(), token_id)
        if self._task is not None and self._task.get_loop() is not loop:
            self._queue, self._task = [], None  # left behind by a closed event loop
        self._queue.append(post)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())
        # A caller that goes away does not cancel a post already being written.
        return await asyncio.shield(post.future)

    async def _run(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._write(batch)
                await asyncio.sleep(0)  # let the requests just answered and new ones run
        finally:
            for post in self._queue:  # only if this task itself was cancelled
                if not post.future.done():
                    post.future.set_exception(RuntimeError("the post writer stopped"))
            self._queue = []

    async def _write(self, batch: list[_Post]) -> None:
        try:
            await self._transaction(batch)
        except Exception as exc:
            if len(batch) > 1:
                # Rolled back whole: write each post alone, so the error stays with its post.
                log.warning("a batch of %d posts failed (%s); writing them one by one",
                            len(batch), exc)
                for post in batch:
                    post.error = None
                    await self._write([post])
                return
            _settle(batch[0], exc)
        except BaseException as exc:
            for post in batch:
                _settle(post, exc)
            raise

    async def _transaction(self, batch: list[_Post]) -> None:
        ctx = self._ctx
        # Off the loop (SQLite): the delivery and the commit, most of a batch's SQLite work,
        # run on a thread while the loop serves the requests around them (store/db.py Tx).
        async with ctx.db.write(off_loop=True) as real:
            tx = _BatchTx(real)
            authors = {r.id: r for r in await _AUTHORS.all(
                tx.conn, {"ids": sorted({p.author_id for p in batch})})}
            given = sorted({p.token_id for p in batch if p.token_id is not None})
            live = {t for (t,) in await _LIVE_TOKENS.all(tx.conn, {"ids": given})} \
                if given else set()
            for post in batch:
                try:
                    if post.token_id is not None:
                        _check_token(post, authors.get(post.author_id), live)
                    await _check(tx, post, authors.get(post.author_id))
                except ActionError as exc:
                    post.error = exc
            ready = [p for p in batch if p.error is None]
            if ready:
                await _write_posts(ctx, tx, ready)
                await _answers(ctx, tx, ready)
        # Committed: every post of `ready` exists. Finish the after-commit work, then answer.
        for fn in tx.after:
            try:
                await fn()
            except Exception:
                log.exception("after-commit work of a post failed")
        for post in batch:
            _settle(post, post.error)


def _settle(post: _Post, error: BaseException | None) -> None:
    if post.future.done():
        return
    if error is None:
        assert post.answer is not None
        post.future.set_result(post.answer)
    else:
        post.future.set_exception(error)


def _check_token(post: _Post, author: Any, live: set[int]) -> None:
    """What reading the token would have refused (api/auth.py authenticate)."""
    if post.token_id not in live:
        raise Unauthorized("The access token is invalid")
    if author is not None and author.suspended_at is not None:
        raise Forbidden("Your account is suspended")


async def _check(tx: Tx, post: _Post, author: Any) -> None:
    """Everything about a post that needs the database and can refuse it; reads only."""
    from townsquare.actions.user_controls import check_reply_allowed

    new = post.new
    if author is None:
        raise NotFound("Account")
    post.followers = int(author.followers_count or 0)
    post.visibility = new.visibility or author.default_visibility or "public"
    post.plain = not (author.limited or author.labelled)
    if new.in_reply_to_id is not None:
        parent = await visible_status(tx, new.in_reply_to_id, post.author_id)
        await check_reply_allowed(tx, parent, post.author_id)
        if parent.reblog_of_id is not None:
            raise Invalid("Validation failed: cannot reply to a repost; reply to the post")
        post.parent = parent
    if new.quote_id is not None:
        quoted = await visible_status(tx, new.quote_id, post.author_id)
        if quoted.reblog_of_id is not None:
            quoted = await visible_status(tx, quoted.reblog_of_id, post.author_id)
        if quoted.visibility not in ("public", "unlisted") and quoted.account_id != post.author_id:
            raise Invalid("Validation failed: only public and unlisted posts can be quoted")
        post.quoted = quoted
        post.plain = False
    if new.media_ids:
        owned = {r.id: r for r in (await tx.execute(
            _OWNED_MEDIA, {"ids": new.media_ids, "author": post.author_id})).all()}
        if len(owned) != len(set(new.media_ids)):
            raise Invalid("Validation failed: unknown or already attached media")
        # In the order they will be shown: by position (a repeated id keeps its last place).
        position = {mid: i for i, mid in enumerate(new.media_ids)}
        post.media = tuple(owned[mid] for mid in sorted(position, key=position.__getitem__))


async def _write_posts(ctx: Context, tx: Tx, posts: list[_Post]) -> None:
    """The writes of posts that passed their checks; nothing here refuses a post."""
    rows = []
    for p in posts:
        p.content, p.mentioned, p.tag_ids, p.names = await render_content_named(
            ctx, tx, p.new.text)
        p.status_id = ctx.ids.next()
        new, parent = p.new, p.parent
        p.row = {
            "id": p.status_id, "account_id": p.author_id, "text": new.text,
            "content": p.content, "spoiler_text": new.spoiler_text, "visibility": p.visibility,
            "sensitive": new.sensitive or bool(new.spoiler_text), "language": new.language,
            "in_reply_to_id": parent.id if parent is not None else None,
            "in_reply_to_account_id": parent.account_id if parent is not None else None,
            "quote_of_id": p.quoted.id if p.quoted is not None else None,
            "conversation_id": (parent.conversation_id or parent.id) if parent is not None
            else p.status_id,
            "application_id": new.application_id, "replies_count": 0, "reblogs_count": 0,
            "favourites_count": 0, "quotes_count": 0, "created_at": p.now}
        rows.append(p.row)
    await tx.execute(_INSERT_STATUS, rows)

    # Mentions and tags in id order, the order their primary keys read them back in (and
    # on PostgreSQL the order of the table itself), which the answer shows them in.
    mentions = [{"status_id": p.status_id, "account_id": aid}
                for p in posts for aid in sorted(set(p.mentioned.values()))]
    if mentions:
        await tx.execute(_INSERT_MENTION, mentions)
    tagged = [{"status_id": p.status_id, "tag_id": tid}
              for p in posts for tid in sorted(set(p.tag_ids.values()))]
    if tagged:
        await tx.execute(_INSERT_TAG, tagged)
    attached = [{"p_media": mid, "p_status": p.status_id, "p_position": i}
                for p in posts for i, mid in enumerate(p.new.media_ids)]
    if attached:
        await tx.execute(_ATTACH_MEDIA, attached)
    for p in posts:
        if p.new.poll is not None:
            await _insert_poll(ctx, tx, p)

    # Counters: only of posts everyone may see (a number must not reveal a private post);
    # rows in id order, so concurrent transactions lock them in the same order.
    counts: dict[int, tuple[int, datetime]] = {}
    for p in posts:
        n, at = counts.get(p.author_id, (0, p.now))
        counts[p.author_id] = (n + counted_publicly(p.visibility), max(at, p.now))
    await tx.execute(_COUNT_POSTS, [{"p_account": a, "p_count": n, "p_at": at}
                                    for a, (n, at) in sorted(counts.items())])
    public = [p for p in posts if counted_publicly(p.visibility)]
    replied = sorted(p.parent.id for p in public if p.parent is not None)
    if replied:
        await tx.execute(_COUNT_REPLY, [{"p_status": i} for i in replied])
    quoted = sorted(p.quoted.id for p in public if p.quoted is not None)
    if quoted:
        await tx.execute(_COUNT_QUOTE, [{"p_status": i} for i in quoted])

    for p in posts:
        mentioned = list(p.mentioned.values())
        if mentioned:
            await notify(ctx, tx, mentioned, p.author_id, "mention", p.status_id)
        if p.quoted is not None and p.quoted.account_id not in mentioned:
            await notify(ctx, tx, [p.quoted.account_id], p.author_id, "quote", p.status_id)

    await ctx.timelines.deliver_many(tx, [
        Entry(p.status_id, p.author_id, p.author_id, p.visibility,
              tuple(p.mentioned.values()), followers=p.followers) for p in posts])
    for p in posts:
        tx.after_commit(_publisher(ctx, p.status_id))  # streaming, all processes


def _publisher(ctx: Context, status_id: int) -> Callable[[], Awaitable[None]]:
    return lambda: events.publish_update(ctx, status_id)


async def _insert_poll(ctx: Context, tx: Tx, p: _Post) -> None:
    assert p.new.poll is not None
    poll = p.poll = PostedPoll(ctx.ids.next(), p.now + timedelta(seconds=p.new.poll.expires_in),
                               p.new.poll.multiple, p.new.poll.hide_totals, tuple(p.options))
    await tx.execute(insert(polls).values(
        id=poll.id, status_id=p.status_id, multiple=poll.multiple,
        hide_totals=poll.hide_totals, votes_count=0, voters_count=0,
        expires_at=poll.expires_at, created_at=p.now))
    await tx.execute(insert(poll_options), [
        {"poll_id": poll.id, "position": i, "title": title, "votes_count": 0}
        for i, title in enumerate(poll.options)])


def _app_cache(ctx: Context) -> dict[int, tuple[str, str | None]]:
    """App id -> (name, website), per process: no code path renames or deletes an app."""
    cache: dict[int, tuple[str, str | None]] = ctx.extras.setdefault("posting.apps", {})
    if len(cache) > 10_000:
        cache.clear()
    return cache


async def _answers(ctx: Context, tx: Tx, posts: list[_Post]) -> None:
    """What each post's answer needs, read inside the transaction after every write: the
    authors' rows as they will be committed (one query for the batch), the apps."""
    authors = {r.id: r for r in await _AUTHOR_ROWS.all(
        tx.conn, {"ids": sorted({p.author_id for p in posts})})}
    app_names = _app_cache(ctx)
    missing = sorted({p.new.application_id for p in posts
                      if p.new.application_id is not None} - app_names.keys())
    if missing:
        for r in await _APPS.all(tx.conn, {"ids": missing}):
            app_names[r.id] = (r.name, r.website)
    for p in posts:
        tag_ids = p.tag_ids
        p.answer = Posted(
            status_id=p.status_id, author=authors[p.author_id], row=p.row,
            mentions=tuple((aid, p.names[aid]) for aid in sorted(set(p.mentioned.values()))),
            tags=tuple(sorted(tag_ids, key=tag_ids.__getitem__)),
            media=p.media, poll=p.poll,
            app=app_names.get(p.new.application_id)
            if p.new.application_id is not None else None,
            plain=p.plain)


def writer(ctx: Context) -> PostWriter:
    """This process's post writer for `ctx`."""
    found = ctx.extras.get("posting.writer")
    if found is None:
        found = ctx.extras["posting.writer"] = PostWriter(ctx)
    assert isinstance(found, PostWriter)
    return found
