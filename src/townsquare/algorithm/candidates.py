"""Candidate sources for ranked feeds, read from the store in a fixed number of queries.

Sources (limits in weights.toml [candidates]):
- in_network: recent posts by accounts the viewer follows;
- social_proof: recent posts liked or reposted by at least `social_proof_min_follows` of them;
- community: recent public posts by producers of the viewer's strongest communities
  (communities.py), most engaged first;
- tags: recent public posts with given hashtags (custom feeds only).

Rules every source obeys: only original posts (reposts count as social proof), posts from the
last `window_hours`, nothing by blocked, blocking or muted accounts, only public posts from
accounts the viewer does not follow, and never an opted-out post or account for a non-follower.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, false, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.algorithm.candidate import SOURCES, Candidate
from townsquare.algorithm.weights import Weights
from townsquare.integrity.campaigns import campaign_of
from townsquare.model.clock import utc
from townsquare.model.ids import id_floor
from townsquare.queries.notes import statuses_with_helpful_notes
from townsquare.queries.visibility import hidden_account_ids
from townsquare.store.tables import (
    account_recommendation_optouts,
    community_interests,
    community_known_for,
    favourites,
    feed_feedback,
    follows,
    status_recommendation_optouts,
    status_tags,
    statuses,
    tags,
)
from townsquare.store.tables_integrity import integrity_campaign_members, integrity_campaigns
from townsquare.store.tables_moderation import account_moderation, status_moderation


async def _column(conn: AsyncConnection, stmt: Any) -> list[Any]:
    return list((await conn.execute(stmt)).scalars().all())


async def gather(conn: AsyncConnection, viewer_id: int, now: datetime, w: Weights, *,
                 sources: tuple[str, ...] = ("in_network", "social_proof", "community"),
                 tag_names: tuple[str, ...] = ()) -> list[Candidate]:
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}")
    cfg = w.candidates
    floor = id_floor(now - timedelta(hours=w.adjustments["window_hours"]))
    following_q = select(follows.c.target_account_id).where(follows.c.account_id == viewer_id)
    following = set(await _column(conn, following_q))
    hidden = set(await _column(conn, select(hidden_account_ids(viewer_id, now).subquery())))

    original = and_(statuses.c.reblog_of_id.is_(None), statuses.c.id >= floor)
    found: dict[int, str] = {}  # status id -> first source that found it

    def add(ids: list[int], source: str) -> None:
        for sid in ids:
            found.setdefault(sid, source)

    if "in_network" in sources and following:
        add(await _column(conn, select(statuses.c.id).where(
            original, statuses.c.account_id.in_(following_q),
            statuses.c.visibility.in_(("public", "unlisted", "private")),
        ).order_by(statuses.c.id.desc()).limit(cfg["in_network_limit"])), "in_network")

    if "social_proof" in sources and following:
        proof = _proof_query(following_q, floor, None).subquery()
        add(await _column(conn, select(proof.c.sid).group_by(proof.c.sid)
                          .having(func.count(func.distinct(proof.c.who))
                                  >= cfg["social_proof_min_follows"])
                          .order_by(func.count(func.distinct(proof.c.who)).desc(),
                                    proof.c.sid.desc())
                          .limit(cfg["social_proof_limit"])), "social_proof")

    interests: dict[int, float] = {}
    if "community" in sources:
        interests = {c: s for c, s in (await conn.execute(
            select(community_interests.c.community, community_interests.c.score)
            .where(community_interests.c.account_id == viewer_id)
            .order_by(community_interests.c.score.desc(), community_interests.c.community)
            .limit(cfg["community_top"]))).all()}
        if interests:
            producers = select(community_known_for.c.account_id).where(
                community_known_for.c.community.in_(list(interests)))
            engaged = statuses.c.favourites_count + 2 * statuses.c.reblogs_count + \
                statuses.c.replies_count
            add(await _column(conn, select(statuses.c.id).where(
                original, statuses.c.visibility == "public",
                statuses.c.account_id.in_(producers),
            ).order_by(engaged.desc(), statuses.c.id.desc()).limit(cfg["community_limit"])),
                "community")

    if "tags" in sources and tag_names:
        add(await _column(conn, select(statuses.c.id)
                          .join(status_tags, status_tags.c.status_id == statuses.c.id)
                          .join(tags, tags.c.id == status_tags.c.tag_id)
                          .where(original, statuses.c.visibility == "public",
                                 tags.c.name.in_([t.lower() for t in tag_names]))
                          .order_by(statuses.c.id.desc()).limit(cfg["tags_limit"])), "tags")

    if not found:
        return []
    return await _hydrate(conn, viewer_id, now, w, found, following, hidden, interests)


def _echoes_statement() -> Any:
    members = (select(integrity_campaign_members.c.account_id,
                      integrity_campaign_members.c.campaign_id)
               .join(integrity_campaigns,
                     integrity_campaigns.c.id == integrity_campaign_members.c.campaign_id)
               .where(integrity_campaigns.c.active.is_(True))).subquery()
    ids: Any = bindparam("ids", expanding=True)
    acts = union_all(
        select(favourites.c.status_id.label("sid"), literal("like").label("kind"),
               members.c.campaign_id)
        .join(members, members.c.account_id == favourites.c.account_id)
        .where(favourites.c.status_id.in_(ids)),
        select(statuses.c.reblog_of_id, literal("reblog"), members.c.campaign_id)
        .join(members, members.c.account_id == statuses.c.account_id)
        .where(statuses.c.reblog_of_id.in_(ids)),
    ).subquery()
    return (select(acts.c.sid, acts.c.kind, func.count())
            .group_by(acts.c.sid, acts.c.kind, acts.c.campaign_id))


_ECHOES = _echoes_statement()  # built once: runs for every ranked page


async def _campaign_echoes(conn: AsyncConnection, ids: list[int]) -> dict[tuple[int, str], int]:
    """(status, like|reblog) -> how many of its likes or reposts are a campaign repeating
    itself (a campaign of n members acting on a post counts n - 1 here)."""
    out: dict[tuple[int, str], int] = defaultdict(int)
    for sid, kind, n in (await conn.execute(_ECHOES, {"ids": ids})).all():
        out[(sid, kind)] += n - 1
    return out


def _proof_query(following_q: Any, floor: int, ids: list[int] | None) -> Any:
    likes = select(favourites.c.status_id.label("sid"), favourites.c.account_id.label("who")) \
        .where(favourites.c.account_id.in_(following_q), favourites.c.status_id >= floor)
    reposts = select(statuses.c.reblog_of_id.label("sid"), statuses.c.account_id.label("who")) \
        .where(statuses.c.account_id.in_(following_q), statuses.c.reblog_of_id >= floor)
    if ids is not None:
        likes = likes.where(favourites.c.status_id.in_(ids))
        reposts = reposts.where(statuses.c.reblog_of_id.in_(ids))
    return union_all(likes, reposts)


async def _hydrate(conn: AsyncConnection, viewer_id: int, now: datetime, w: Weights,
                   found: dict[int, str], following: set[int], hidden: set[int],
                   interests: dict[int, float]) -> list[Candidate]:
    ids = list(found)
    # Moderation's "limited reach" (docs/moderation.md) is applied here: such posts stay
    # visible to everyone who looks for them but are never recommended to non-followers.
    rows = (await conn.execute(select(
        statuses.c.id, statuses.c.account_id, statuses.c.created_at, statuses.c.visibility,
        statuses.c.in_reply_to_id, statuses.c.favourites_count, statuses.c.reblogs_count,
        statuses.c.replies_count, statuses.c.language,
        (func.coalesce(status_moderation.c.reach_limited, false())
         | func.coalesce(account_moderation.c.reach_limited, false())).label("limited"),
    ).select_from(
        statuses.outerjoin(status_moderation, status_moderation.c.status_id == statuses.c.id)
        .outerjoin(account_moderation, account_moderation.c.account_id == statuses.c.account_id)
    ).where(statuses.c.id.in_(ids), statuses.c.reblog_of_id.is_(None)))).all()
    authors = {r.account_id for r in rows}
    opted_posts = set(await _column(conn, select(status_recommendation_optouts.c.status_id)
                                    .where(status_recommendation_optouts.c.status_id.in_(ids))))
    opted_accounts = set(await _column(conn, select(account_recommendation_optouts.c.account_id)
                                       .where(account_recommendation_optouts.c.account_id
                                              .in_(authors))))

    def allowed(r: Any) -> bool:
        if r.account_id in hidden or r.account_id == viewer_id:
            return False
        if r.account_id in following:
            return r.visibility in ("public", "unlisted", "private")
        return (r.visibility == "public" and r.id not in opted_posts
                and r.account_id not in opted_accounts and not r.limited)

    rows = [r for r in rows if allowed(r)]
    if not rows:
        return []
    ids = [r.id for r in rows]
    authors = {r.account_id for r in rows}
    following_q = select(follows.c.target_account_id).where(follows.c.account_id == viewer_id)
    floor = id_floor(now - timedelta(hours=w.adjustments["window_hours"]))

    # A detected campaign (integrity/) counts once: its members' likes and reposts of a post
    # add one to engagement and social proof, not one each.
    proof_q = _proof_query(following_q, floor, ids).subquery()
    proof_pairs = (await conn.execute(select(proof_q.c.sid, proof_q.c.who).distinct())).all()
    echoes = await _campaign_echoes(conn, ids)
    campaign = await campaign_of(conn, {who for _, who in proof_pairs})
    voices: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for sid, who in proof_pairs:
        voices[sid].add(("campaign", campaign[who]) if who in campaign else ("account", who))
    proof = {sid: len(v) for sid, v in voices.items()}

    since = id_floor(now - timedelta(days=w.candidates["affinity_days"]))
    liked = statuses.alias("liked")
    replied = statuses.alias("replied")
    touch = union_all(
        select(liked.c.account_id.label("aid")).select_from(
            favourites.join(liked, liked.c.id == favourites.c.status_id))
        .where(favourites.c.account_id == viewer_id, favourites.c.id >= since,
               liked.c.account_id.in_(authors)),
        select(liked.c.account_id).select_from(
            statuses.join(liked, liked.c.id == statuses.c.reblog_of_id))
        .where(statuses.c.account_id == viewer_id, statuses.c.id >= since,
               liked.c.account_id.in_(authors)),
        select(replied.c.in_reply_to_account_id)
        .where(replied.c.account_id == viewer_id, replied.c.id >= since,
               replied.c.in_reply_to_account_id.in_(authors)),
    ).subquery()
    interactions: dict[int, int] = dict((await conn.execute(
        select(touch.c.aid, func.count()).group_by(touch.c.aid))).all())

    feedback: dict[tuple[int, str], int] = {
        (a, k): n for a, k, n in (await conn.execute(
            select(feed_feedback.c.author_id, feed_feedback.c.kind, func.count())
            .where(feed_feedback.c.account_id == viewer_id,
                   feed_feedback.c.author_id.in_(authors))
            .group_by(feed_feedback.c.author_id, feed_feedback.c.kind))).all()}

    community: dict[int, float] = defaultdict(float)
    if interests:
        for aid, c, s in (await conn.execute(
            select(community_known_for.c.account_id, community_known_for.c.community,
                   community_known_for.c.score)
            .where(community_known_for.c.account_id.in_(authors),
                   community_known_for.c.community.in_(list(interests))))).all():
            community[aid] += interests[c] * s

    noted = await statuses_with_helpful_notes(conn, ids)  # never boosted (scoring.py)

    tag_map: dict[int, list[str]] = defaultdict(list)
    for sid, name in (await conn.execute(
        select(status_tags.c.status_id, tags.c.name)
        .join(tags, tags.c.id == status_tags.c.tag_id)
        .where(status_tags.c.status_id.in_(ids)).order_by(tags.c.name))).all():
        tag_map[sid].append(name)

    out = [Candidate(
        status_id=r.id, author_id=r.account_id,
        created_at=utc(r.created_at).timestamp(),
        source=found[r.id], in_network=r.account_id in following,
        is_reply=r.in_reply_to_id is not None,
        likes=max(0, r.favourites_count - echoes.get((r.id, "like"), 0)),
        reblogs=max(0, r.reblogs_count - echoes.get((r.id, "reblog"), 0)),
        replies=r.replies_count,
        interactions=interactions.get(r.account_id, 0),
        show_more=feedback.get((r.account_id, "more"), 0),
        show_less=feedback.get((r.account_id, "less"), 0),
        social_proof=proof.get(r.id, 0),
        community=min(1.0, round(community.get(r.account_id, 0.0), 6)),
        language=r.language, tags=tuple(tag_map.get(r.id, ())),
        community_note=r.id in noted,
    ) for r in rows]
    out.sort(key=lambda c: -c.status_id)
    return out
