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

A page costs six queries whatever its size (seven while a detected campaign is active): who
the viewer is (follows, hidden accounts, interests, campaign members), every source at once,
the candidates' rows, social proof, per-author signals, hashtags. The statements are built
once per database dialect with the id lists bound as one parameter each (store/arrays.py), so
1,500 candidates cost what 15 do to render and plan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.algorithm.candidate import SOURCES, Candidate
from townsquare.algorithm.weights import Weights
from townsquare.model.clock import utc
from townsquare.model.ids import id_floor
from townsquare.queries.notes import has_helpful_note
from townsquare.queries.visibility import hidden_account_ids
from townsquare.store.arrays import member_of
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

_SOURCE_RANK = {s: i for i, s in enumerate(SOURCES)}  # a post found twice keeps the first


async def gather(conn: AsyncConnection, viewer_id: int, now: datetime, w: Weights, *,
                 sources: tuple[str, ...] = ("in_network", "social_proof", "community"),
                 tag_names: tuple[str, ...] = ()) -> list[Candidate]:
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}")
    cfg = w.candidates
    q = _statements(conn.dialect.name)
    floor = id_floor(now - timedelta(hours=w.adjustments["window_hours"]))
    common = {"viewer": viewer_id, "floor": floor}

    following: set[int] = set()
    hidden: set[int] = set()
    interests: dict[int, float] = {}
    campaign: dict[int, int] = {}  # member -> active campaign
    for kind, a, b, x in await conn.execute(q.viewer, {
            **common, "now": now, "community_top": cfg["community_top"]}):
        if kind == "f":
            following.add(a)
        elif kind == "h":
            hidden.add(a)
        elif kind == "i":
            interests[a] = x
        else:
            campaign[a] = b

    wanted = tuple(s for s in SOURCES if s in sources
                   and (s != "tags" or tag_names)
                   and (s not in ("in_network", "social_proof") or following)
                   and (s != "community" or interests))
    if not wanted:
        return []
    found: dict[int, int] = {}  # status id -> rank of the first source that found it
    for sid, src in await conn.execute(q.sources(wanted), {
            **common, "in_network_limit": cfg["in_network_limit"],
            "social_proof_limit": cfg["social_proof_limit"],
            "min_follows": cfg["social_proof_min_follows"],
            "community_top": cfg["community_top"], "community_limit": cfg["community_limit"],
            "tags_limit": cfg["tags_limit"], "tag_names": [t.lower() for t in tag_names]}):
        if src < found.get(sid, len(SOURCES)):
            found[sid] = src
    if not found:
        return []
    return await _hydrate(conn, q, viewer_id, now, w, found, following, hidden, interests,
                          campaign)


async def _hydrate(conn: AsyncConnection, q: _Statements, viewer_id: int, now: datetime,
                   w: Weights, found: dict[int, int], following: set[int], hidden: set[int],
                   interests: dict[int, float], campaign: dict[int, int]) -> list[Candidate]:
    rows = (await conn.execute(q.rows, {"ids": list(found)})).all()

    def allowed(r: Any) -> bool:
        if r.account_id in hidden or r.account_id == viewer_id:
            return False
        if r.account_id in following:
            return r.visibility in ("public", "unlisted", "private")
        # Moderation's "limited reach" (docs/moderation.md): such posts stay visible to
        # everyone who looks for them but are never recommended to non-followers.
        return (r.visibility == "public" and not r.opted_post and not r.opted_account
                and not r.limited)

    rows = [r for r in rows if allowed(r)]
    if not rows:
        return []
    ids = [r.id for r in rows]
    authors = list({r.account_id for r in rows})
    floor = id_floor(now - timedelta(hours=w.adjustments["window_hours"]))

    # A detected campaign (integrity/) counts once: its members' likes and reposts of a post
    # add one to engagement and social proof, not one each.
    voices: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for sid, who in await conn.execute(q.proof, {"viewer": viewer_id, "floor": floor,
                                                 "ids": ids}):
        voices[sid].add(("campaign", campaign[who]) if who in campaign else ("account", who))
    proof = {sid: len(v) for sid, v in voices.items()}
    echoes: dict[tuple[int, int], int] = defaultdict(int)  # (status, 0 like | 1 reblog)
    if campaign:
        acted: dict[tuple[int, int, int], int] = defaultdict(int)
        for sid, kind, who in await conn.execute(q.echoes, {"ids": ids,
                                                            "members": list(campaign)}):
            acted[(sid, kind, campaign[who])] += 1
        for (sid, kind, _), n in acted.items():
            echoes[(sid, kind)] += n - 1

    interactions: dict[int, int] = {}
    feedback: dict[tuple[int, str], int] = {}
    community: dict[int, float] = defaultdict(float)
    since = id_floor(now - timedelta(days=w.candidates["affinity_days"]))
    for kind, aid, key, x in await conn.execute(q.authors, {
            "viewer": viewer_id, "since": since, "authors": authors,
            "communities": list(interests)}):
        if kind == "t":
            interactions[aid] = int(x)
        elif kind == "c":
            community[aid] += interests[key] * x
        else:
            feedback[(aid, kind)] = int(x)

    tag_map: dict[int, list[str]] = defaultdict(list)
    for sid, name in await conn.execute(q.tags, {"ids": ids}):
        tag_map[sid].append(name)

    out = [Candidate(
        status_id=r.id, author_id=r.account_id,
        created_at=utc(r.created_at).timestamp(),
        source=SOURCES[found[r.id]], in_network=r.account_id in following,
        is_reply=r.in_reply_to_id is not None,
        likes=max(0, r.favourites_count - echoes.get((r.id, 0), 0)),
        reblogs=max(0, r.reblogs_count - echoes.get((r.id, 1), 0)),
        replies=r.replies_count,
        interactions=interactions.get(r.account_id, 0),
        show_more=feedback.get((r.account_id, "more"), 0),
        show_less=feedback.get((r.account_id, "less"), 0),
        social_proof=proof.get(r.id, 0),
        community=min(1.0, round(community.get(r.account_id, 0.0), 6)),
        language=r.language, tags=tuple(tag_map.get(r.id, ())),
        community_note=bool(r.noted),  # never boosted (scoring.py)
    ) for r in rows]
    out.sort(key=lambda c: -c.status_id)
    return out


# --- statements, built once per dialect -----------------------------------------------------

class _Statements:
    def __init__(self, dialect: str) -> None:
        def among(col: Any, name: str, item: Any = BigInteger) -> Any:
            return member_of(col, name, dialect, item)

        viewer: Any = bindparam("viewer")
        self._among = among
        self._following = select(follows.c.target_account_id).where(
            follows.c.account_id == viewer)
        self._source_cache: dict[tuple[str, ...], Any] = {}
        self.viewer = _viewer_statement(viewer)
        self.rows = _rows_statement(among)
        self.proof = select(*_proof_parts(self._following, among).c).distinct()
        self.echoes = _echoes_statement(among)
        self.authors = _authors_statement(viewer, among)
        self.tags = (select(status_tags.c.status_id, tags.c.name)
                     .join(tags, tags.c.id == status_tags.c.tag_id)
                     .where(among(status_tags.c.status_id, "ids")).order_by(tags.c.name))

    def sources(self, wanted: tuple[str, ...]) -> Any:
        if wanted not in self._source_cache:
            self._source_cache[wanted] = _sources_statement(wanted, self._following,
                                                            self._among)
        return self._source_cache[wanted]


_BUILT: dict[str, _Statements] = {}


def _statements(dialect: str) -> _Statements:
    if dialect not in _BUILT:
        _BUILT[dialect] = _Statements(dialect)
    return _BUILT[dialect]


def _viewer_statement(viewer: Any) -> Any:
    """(kind, a, b, x) rows: f = a followed account, h = a hidden one (blocks both ways,
    mutes), i = interest in community a with score x, c = account a is a member of active
    campaign b (few, and none most of the time)."""
    def row(kind: str, a: Any, b: Any = None, x: Any = None) -> list[Any]:
        return [literal(kind, String).label("kind"), cast(a, BigInteger).label("a"),
                cast(null() if b is None else b, BigInteger).label("b"),
                cast(null() if x is None else x, Float).label("x")]

    hidden = hidden_account_ids(viewer, bindparam("now")).subquery()
    top = (select(community_interests.c.community, community_interests.c.score)
           .where(community_interests.c.account_id == viewer)
           .order_by(community_interests.c.score.desc(), community_interests.c.community)
           .limit(bindparam("community_top", type_=Integer))).subquery()
    members = integrity_campaign_members
    return union_all(
        select(*row("f", follows.c.target_account_id)).where(follows.c.account_id == viewer),
        select(*row("h", hidden.c.aid)),
        select(*row("i", top.c.community, None, top.c.score)),
        select(*row("c", members.c.account_id, members.c.campaign_id))
        .join(integrity_campaigns, integrity_campaigns.c.id == members.c.campaign_id)
        .where(integrity_campaigns.c.active.is_(True)),
    )


def _sources_statement(wanted: tuple[str, ...], following: Any,
                       among: Callable[..., Any]) -> Any:
    """(status id, source rank) for every source in `wanted`, each under its own limit."""
    original = and_(statuses.c.reblog_of_id.is_(None), statuses.c.id >= bindparam("floor"))

    def limit(name: str) -> Any:
        return bindparam(name, type_=Integer)

    parts: dict[str, Any] = {}
    parts["in_network"] = select(statuses.c.id.label("sid")).where(
        original, statuses.c.account_id.in_(following),
        statuses.c.visibility.in_(("public", "unlisted", "private")),
    ).order_by(statuses.c.id.desc()).limit(limit("in_network_limit"))

    proof = _proof_parts(following, None)
    voices = func.count(func.distinct(proof.c.who))
    parts["social_proof"] = (select(proof.c.sid).group_by(proof.c.sid)
                             .having(voices >= bindparam("min_follows", type_=Integer))
                             .order_by(voices.desc(), proof.c.sid.desc())
                             .limit(limit("social_proof_limit")))

    top = (select(community_interests.c.community)
           .where(community_interests.c.account_id == bindparam("viewer"))
           .order_by(community_interests.c.score.desc(), community_interests.c.community)
           .limit(limit("community_top")))
    producers = select(community_known_for.c.account_id).where(
        community_known_for.c.community.in_(top))
    engaged = statuses.c.favourites_count + 2 * statuses.c.reblogs_count + \
        statuses.c.replies_count
    parts["community"] = select(statuses.c.id.label("sid")).where(
        original, statuses.c.visibility == "public", statuses.c.account_id.in_(producers),
    ).order_by(engaged.desc(), statuses.c.id.desc()).limit(limit("community_limit"))

    parts["tags"] = (select(statuses.c.id.label("sid"))
                     .join(status_tags, status_tags.c.status_id == statuses.c.id)
                     .join(tags, tags.c.id == status_tags.c.tag_id)
                     .where(original, statuses.c.visibility == "public",
                            among(tags.c.name, "tag_names", String))
                     .order_by(statuses.c.id.desc()).limit(limit("tags_limit")))

    selects = []
    for name in wanted:
        sub = parts[name].subquery()
        selects.append(select(sub.c.sid, literal(_SOURCE_RANK[name], Integer).label("src")))
    return union_all(*selects)


def _proof_parts(following: Any, among: Callable[..., Any] | None) -> Any:
    """(sid, who): likes and reposts by followed accounts of posts in the window (of the
    posts bound as `ids`, when `among` is given)."""
    likes = select(favourites.c.status_id.label("sid"), favourites.c.account_id.label("who")) \
        .where(favourites.c.account_id.in_(following),
               favourites.c.status_id >= bindparam("floor"))
    reposts = select(statuses.c.reblog_of_id.label("sid"), statuses.c.account_id.label("who")) \
        .where(statuses.c.account_id.in_(following),
               statuses.c.reblog_of_id >= bindparam("floor"))
    if among is not None:
        likes = likes.where(among(favourites.c.status_id, "ids"))
        reposts = reposts.where(among(statuses.c.reblog_of_id, "ids"))
    return union_all(likes, reposts).subquery()


def _rows_statement(among: Callable[..., Any]) -> Any:
    """The candidates' own rows, with what decides whether a non-follower may be shown them
    (limited reach, opt-outs) and whether they carry a helpful community note."""
    sro, aro = status_recommendation_optouts, account_recommendation_optouts
    return select(
        statuses.c.id, statuses.c.account_id, statuses.c.created_at, statuses.c.visibility,
        statuses.c.in_reply_to_id, statuses.c.favourites_count, statuses.c.reblogs_count,
        statuses.c.replies_count, statuses.c.language,
        (func.coalesce(status_moderation.c.reach_limited, false())
         | func.coalesce(account_moderation.c.reach_limited, false())).label("limited"),
        sro.c.status_id.is_not(None).label("opted_post"),
        aro.c.account_id.is_not(None).label("opted_account"),
        has_helpful_note(statuses.c.id).label("noted"),
    ).select_from(
        statuses.outerjoin(status_moderation, status_moderation.c.status_id == statuses.c.id)
        .outerjoin(account_moderation, account_moderation.c.account_id == statuses.c.account_id)
        .outerjoin(sro, sro.c.status_id == statuses.c.id)
        .outerjoin(aro, aro.c.account_id == statuses.c.account_id)
    ).where(among(statuses.c.id, "ids"), statuses.c.reblog_of_id.is_(None))


def _echoes_statement(among: Callable[..., Any]) -> Any:
    """(status, 0 like | 1 repost, member) for campaign members' actions on the posts."""
    return union_all(
        select(favourites.c.status_id.label("sid"), literal(0, Integer).label("kind"),
               favourites.c.account_id.label("who"))
        .where(among(favourites.c.status_id, "ids"), among(favourites.c.account_id, "members")),
        select(statuses.c.reblog_of_id, literal(1, Integer), statuses.c.account_id)
        .where(among(statuses.c.reblog_of_id, "ids"), among(statuses.c.account_id, "members")),
    )


def _authors_statement(viewer: Any, among: Callable[..., Any]) -> Any:
    """(kind, author, key, x) rows about the candidates' authors:
    t = the viewer's likes, reposts and replies to the author since `since` (x = count);
    more / less = the viewer's "show more / less" on the author's posts (x = count);
    c = the author is known for community `key` with score x (of the bound `communities`)."""
    liked = statuses.alias("liked")
    replied = statuses.alias("replied")
    touch = union_all(
        select(liked.c.account_id.label("aid")).select_from(
            favourites.join(liked, liked.c.id == favourites.c.status_id))
        .where(favourites.c.account_id == viewer, favourites.c.id >= bindparam("since"),
               among(liked.c.account_id, "authors")),
        select(liked.c.account_id).select_from(
            statuses.join(liked, liked.c.id == statuses.c.reblog_of_id))
        .where(statuses.c.account_id == viewer, statuses.c.id >= bindparam("since"),
               among(liked.c.account_id, "authors")),
        select(replied.c.in_reply_to_account_id)
        .where(replied.c.account_id == viewer, replied.c.id >= bindparam("since"),
               among(replied.c.in_reply_to_account_id, "authors")),
    ).subquery()
    kf = community_known_for
    return union_all(
        select(literal("t", String).label("kind"), touch.c.aid,
               cast(null(), BigInteger).label("key"), cast(func.count(), Float).label("x"))
        .group_by(touch.c.aid),
        select(feed_feedback.c.kind, feed_feedback.c.author_id, cast(null(), BigInteger),
               cast(func.count(), Float))
        .where(feed_feedback.c.account_id == viewer, among(feed_feedback.c.author_id, "authors"))
        .group_by(feed_feedback.c.author_id, feed_feedback.c.kind),
        select(literal("c", String), kf.c.account_id, cast(kf.c.community, BigInteger),
               cast(kf.c.score, Float))
        .where(among(kf.c.account_id, "authors"), among(kf.c.community, "communities", Integer)),
    )
