"""Voting in polls, and telling voters and authors when a poll has ended.

One vote per account per poll, enforced here: the poll row is locked for the vote (so two
concurrent votes by one account queue, on PostgreSQL; SQLite serialises writers), and the
unique (poll, account, choice) constraint catches anything that slips past — the whole vote is
then rolled back, never half-written.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from townsquare.actions.errors import Invalid, NotFound
from townsquare.actions.notify import notify
from townsquare.actions.statuses import visible_status
from townsquare.context import Context
from townsquare.model import polls as poll_rules
from townsquare.model.clock import utc
from townsquare.store.tables import notifications, poll_options, poll_votes, polls, statuses

ALREADY_VOTED = "You have already voted on this poll"
END_BATCH = 200


async def vote(ctx: Context, account_id: int, poll_id: int, choices: list[int]) -> int:
    """Cast the account's vote; returns the poll's status id."""
    try:
        return await _vote(ctx, account_id, poll_id, choices)
    except IntegrityError:
        raise Invalid(f"Validation failed: {ALREADY_VOTED}") from None


async def _vote(ctx: Context, account_id: int, poll_id: int, choices: list[int]) -> int:
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        poll = (await tx.execute(select(polls).where(polls.c.id == poll_id).with_for_update())
                ).first()
        if poll is None:
            raise NotFound("Poll")
        try:
            await visible_status(tx, poll.status_id, account_id)
        except NotFound:
            raise NotFound("Poll") from None
        if utc(poll.expires_at) <= now:
            raise Invalid("Validation failed: The poll has already ended")
        voted = (await tx.execute(select(func.count()).select_from(poll_votes).where(
            poll_votes.c.poll_id == poll_id, poll_votes.c.account_id == account_id))
        ).scalar_one()
        if voted:
            raise Invalid(f"Validation failed: {ALREADY_VOTED}")
        option_count = (await tx.execute(select(func.count()).select_from(poll_options)
                                         .where(poll_options.c.poll_id == poll_id))
                        ).scalar_one()
        if len(choices) != len(set(choices)):
            raise Invalid("Validation failed: a choice was given twice")
        try:
            chosen = poll_rules.validate_choices(choices, option_count, poll.multiple)
        except poll_rules.PollError as exc:
            raise Invalid(f"Validation failed: {exc}") from None
        await tx.execute(insert(poll_votes), [
            {"id": ctx.ids.next(), "poll_id": poll_id, "account_id": account_id,
             "choice": c, "created_at": now} for c in chosen])
        await tx.execute(update(poll_options).where(poll_options.c.poll_id == poll_id,
                                                    poll_options.c.position.in_(chosen))
                         .values(votes_count=poll_options.c.votes_count + 1))
        await tx.execute(update(polls).where(polls.c.id == poll_id).values(
            votes_count=polls.c.votes_count + len(chosen),
            voters_count=polls.c.voters_count + 1))
    return int(poll.status_id)


async def end_polls(ctx: Context) -> int:
    """Notify (type "poll") the author and every voter of each poll that has ended and was
    not announced yet; returns how many polls were announced.

    Each batch claims its polls with `UPDATE ... WHERE ended_notified_at IS NULL RETURNING`
    in the same transaction as the notices, so a poll is announced exactly once even when
    two workers run this at the same time, or after a crash.
    """
    total = 0
    while True:
        now = ctx.clock.now()
        async with ctx.db.write() as tx:
            due = (select(polls.c.id).where(polls.c.expires_at <= now,
                                            polls.c.ended_notified_at.is_(None))
                   .order_by(polls.c.expires_at).limit(END_BATCH))
            claimed = (await tx.execute(
                update(polls).where(polls.c.id.in_(due.scalar_subquery()),
                                    polls.c.ended_notified_at.is_(None))
                .values(ended_notified_at=now).returning(polls.c.id, polls.c.status_id)
            )).all()
            if not claimed:
                return total
            status_ids = {pid: sid for pid, sid in claimed}
            authors = dict((await tx.execute(
                select(statuses.c.id, statuses.c.account_id)
                .where(statuses.c.id.in_(status_ids.values())))).all())
            voters: dict[int, list[int]] = {pid: [] for pid in status_ids}
            for pid, aid in (await tx.execute(
                select(poll_votes.c.poll_id, poll_votes.c.account_id).distinct()
                .where(poll_votes.c.poll_id.in_(status_ids))
                .order_by(poll_votes.c.poll_id, poll_votes.c.account_id))).all():
                voters[pid].append(aid)
            own = []
            for pid, sid in status_ids.items():
                author = authors[sid]
                # The author's own notice comes "from" the author, which notify() skips.
                own.append({"id": ctx.ids.next(), "account_id": author,
                            "from_account_id": author, "type": "poll", "status_id": sid,
                            "created_at": now})
                await notify(ctx, tx, voters[pid], author, "poll", sid)
            await tx.execute(insert(notifications), own)
            total += len(claimed)
