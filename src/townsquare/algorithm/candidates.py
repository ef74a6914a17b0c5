"""Candidate sources for ranked feeds, read from the store in three queries.

Sources (limits in weights.toml [candidates]):
- in_network: recent posts by accounts the viewer follows;
- social_proof: recent posts liked or reposted by at least `social_proof_min_follows` of them;
- community: recent public posts by producers of the viewer's strongest communities
  (communities.py), most engaged first;
- tags: recent public posts with given hashtags (custom feeds only).

Rules every source obeys: only original posts (reposts count as social proof), posts from the
last `window_hours`, nothing by blocked, blocking or muted accounts, only public posts from
accounts the viewer does not follow, and never an opted-out post or account for a non-follower.

A page costs three queries whatever its size (four while a detected campaign is active):
1. the viewer: follows, hidden accounts, interests, campaign members, and the per-author
   signals (past interactions, "show more / less", the producers of the viewer's communities);
2. social proof: every like and repost by a followed account in the window, (post, who);
   it both picks the social-proof source and gives every candidate its count;
3. every other source at once, each returning the candidates' own rows, with the flags that
   decide whether a non-follower may be shown them (and, for a feed that filters by hashtags,
   their hashtags).
The statements are built once per database dialect, id lists bound as one parameter each
(store/arrays.py). On PostgreSQL the per-account sources are LATERAL joins, which read each
followed account's (or producer's) recent posts from the (account_id, id) index instead of
letting the planner walk the whole window backwards hoping to stop early.
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
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import NullType

from townsquare.algorithm.candidate import SOURCES, Candidate
from townsquare.algorithm.weights import Weights
from townsquare.model.clock import utc
from townsquare.model.ids import id_floor
from townsquare.queries.notes import has_helpful_note
from townsquare.queries.visibility import hidden_account_ids
from townsquare.store.arrays import member_of
from townsquare.store.fast import Hot
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


class _Viewer:
    """What query 1 says about the viewer."""

    def __init__(self) -> None:
        self.following: set[int] = set()
        self.hidden: set[int] = set()
        self.interests: dict[int, float] = {}  # community -> share
        self.campaign: dict[int, int] = {}  # member -> active campaign
        self.interactions: dict[int, int] = {}  # author -> likes, reposts, replies
        self.feedback: dict[tuple[int, str], int] = {}  # (author, more | less) -> count
        self.known_for: list[tuple[int, int, float]] = []  # producer, community, score


async def gather(conn: AsyncConnection, viewer_id: int, now: datetime, w: Weights, *,
                 sources: tuple[str, ...] = ("in_network", "social_proof", "community"),
                 tag_names: tuple[str, ...] = ()) -> list[Candidate]:
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}")
    cfg = w.candidates
    q = _statements(conn.dialect.name)
    floor = id_floor(now - timedelta(hours=w.adjustments["window_hours"]))
    since = id_floor(now - timedelta(days=cfg["affinity_days"]))

    if q.serial is not None:
        await conn.execute(q.serial)
    me = _Viewer()
    communities = "community" in sources  # the community feature is only scored with them
    for kind, a, b, x in await q.viewer.all(conn, {
            "viewer": viewer_id, "now": now, "since": since,
            "community_top": cfg["community_top"]}):
        if kind == "f":
            me.following.add(a)
        elif kind == "h":
            me.hidden.add(a)
        elif kind == "i":
            if communities:
                me.interests[a] = x
        elif kind == "c":
            me.campaign[a] = b
        elif kind == "t":
            me.interactions[a] = int(x)
        elif kind == "k":
            if communities:
                me.known_for.append((a, b, x))
        else:  # more | less
            me.feedback[(a, kind)] = int(x)

    # Likes and reposts by followed accounts, once: the social-proof source and every
    # candidate's social proof both come from them.
    liked_by: dict[int, set[int]] = defaultdict(set)  # post -> followed accounts
    if me.following:
        for sid, who in await q.proof.all(conn, {"viewer": viewer_id, "floor": floor}):
            liked_by[sid].add(who)
    proof_ids: list[int] = []
    if "social_proof" in sources and liked_by:
        ranked = sorted(((len(v), sid) for sid, v in liked_by.items()
                         if len(v) >= cfg["social_proof_min_follows"]), reverse=True)
        proof_ids = [sid for _, sid in ranked[:cfg["social_proof_limit"]]]

    wanted = tuple(s for s in SOURCES if s in sources
                   and (s != "in_network" or me.following)
                   and (s != "social_proof" or proof_ids)
                   and (s != "community" or me.interests)
                   and (s != "tags" or tag_names))
    if not wanted:
        return []
    rows: dict[int, Any] = {}  # id -> row of the sources statement
    # Hashtags only matter to a feed that filters by them (feeds.keep); reading them costs a
    # probe per candidate, so For you does not.
    for r in await q.sources(wanted, with_tags=bool(tag_names)).all(conn, {
            "viewer": viewer_id, "floor": floor, "proof_ids": proof_ids,
            "in_network_limit": cfg["in_network_limit"],
            "community_top": cfg["community_top"], "community_limit": cfg["community_limit"],
            "tags_limit": cfg["tags_limit"], "tag_names": [t.lower() for t in tag_names]}):
        if r.id not in rows or r.src < rows[r.id].src:
            rows[r.id] = r

    def allowed(r: Any) -> bool:
        if r.account_id in me.hidden or r.account_id == viewer_id:
            return False
        if r.account_id in me.following:
            return r.visibility in ("public", "unlisted", "private")
        # Moderation's "limited reach" (docs/moderation.md): such posts stay visible to
        # everyone who looks for them but are never recommended to non-followers.
        return (r.visibility == "public" and not r.opted_post and not r.opted_account
                and not r.limited)

    kept = [r for r in rows.values() if allowed(r)]
    if not kept:
        return []
    return await _candidates(conn, q, me, kept, liked_by)


async def _candidates(conn: AsyncConnection, q: _Statements, me: _Viewer, rows: list[Any],
                      liked_by: dict[int, set[int]]) -> list[Candidate]:
    ids = {r.id for r in rows}
    # A detected campaign (integrity/) counts once: its members' likes and reposts of a post
    # add one to engagement and social proof, not one each.
    proof = {sid: len(liked_by[sid]) for sid in ids if sid in liked_by}
    if me.campaign:
        for sid in proof:
            proof[sid] = len({("campaign", me.campaign[who]) if who in me.campaign
                              else ("account", who) for who in liked_by[sid]})
    echoes: dict[tuple[int, int], int] = defaultdict(int)  # (status, 0 like | 1 reblog)
    if me.campaign:
        acted: dict[tuple[int, int, int], int] = defaultdict(int)
        for sid, kind, who in await q.echoes.all(conn, {"ids": list(ids),
                                                        "members": list(me.campaign)}):
            acted[(sid, kind, me.campaign[who])] += 1
        for (sid, kind, _), n in acted.items():
            echoes[(sid, kind)] += n - 1

    community: dict[int, float] = defaultdict(float)
    for aid, c, s in me.known_for:
        community[aid] += me.interests[c] * s
    # What the viewer's history says about each author, worked out once per author.
    about: dict[int, tuple[bool, int, int, int, float]] = {
        aid: (aid in me.following, me.interactions.get(aid, 0),
              me.feedback.get((aid, "more"), 0), me.feedback.get((aid, "less"), 0),
              min(1.0, round(community.get(aid, 0.0), 6)))
        for aid in {r.account_id for r in rows}}

    out = []
    for r in rows:
        followed, interactions, more, less, shared = about[r.account_id]
        out.append(Candidate(
            status_id=r.id, author_id=r.account_id,
            created_at=utc(r.created_at).timestamp(),
            source=SOURCES[r.src], in_network=followed,
            is_reply=r.in_reply_to_id is not None,
            likes=max(0, r.favourites_count - echoes[(r.id, 0)]) if echoes
            else r.favourites_count,
            reblogs=max(0, r.reblogs_count - echoes[(r.id, 1)]) if echoes
            else r.reblogs_count,
            replies=r.replies_count, interactions=interactions, show_more=more, show_less=less,
            social_proof=proof.get(r.id, 0), community=shared, language=r.language,
            tags=tuple(sorted(r.tag_names.split())) if r.tag_names else (),
            community_note=bool(r.noted),  # never boosted (scoring.py)
        ))
    out.sort(key=lambda c: -c.status_id)
    return out


# --- statements, built once per dialect -----------------------------------------------------

class _Statements:
    def __init__(self, dialect: str) -> None:
        def among(col: Any, name: str, item: Any = BigInteger) -> Any:
            return member_of(col, name, dialect, item)

        viewer: Any = bindparam("viewer")
        self._dialect = dialect
        self._among = among
        self._source_cache: dict[tuple[str, ...], Hot] = {}  # by sources and with_tags
        # Run on the raw driver (store/fast.py): these return thousands of rows a page, and
        # SQLAlchemy's per-row result machinery cost more than the queries themselves.
        self.viewer = Hot(_viewer_statement(viewer))
        self.proof = Hot(_proof_statement(viewer))
        self.echoes = Hot(_echoes_statement(among))
        # A page is a few thousand index probes: on PostgreSQL, parallel workers take longer
        # to start (5-15 ms here) than they save, so this read transaction runs without them.
        self.serial = (text("SET LOCAL max_parallel_workers_per_gather = 0")
                       if dialect == "postgresql" else None)

    def sources(self, wanted: tuple[str, ...], *, with_tags: bool) -> Hot:
        key = (*wanted, str(with_tags))
        if key not in self._source_cache:
            self._source_cache[key] = Hot(_sources_statement(wanted, with_tags, self._dialect,
                                                             self._among))
        return self._source_cache[key]


_BUILT: dict[str, _Statements] = {}


def _statements(dialect: str) -> _Statements:
    if dialect not in _BUILT:
        _BUILT[dialect] = _Statements(dialect)
    return _BUILT[dialect]


def _top_communities(viewer: Any) -> Any:
    return (select(community_interests.c.community, community_interests.c.score)
            .where(community_interests.c.account_id == viewer)
            .order_by(community_interests.c.score.desc(), community_interests.c.community)
            .limit(bindparam("community_top", type_=Integer)))


def _viewer_statement(viewer: Any) -> Any:
    """(kind, a, b, x) rows about the viewer:
    f = follows account a; h = account a is hidden (blocks both ways, mutes);
    i = interest in community a with share x; k = producer a is known for community b (one
    of the viewer's top communities) with score x; c = account a is a member of active
    campaign b (few, and none most of the time); t = the viewer liked, reposted or replied to
    author a x times since `since`; more / less = the viewer's "show more / less" on author
    a's posts, x times."""
    def row(kind: Any, a: Any, b: Any = None, x: Any = None) -> list[Any]:
        if isinstance(kind, str):
            kind = literal(kind, String)
        return [kind.label("kind"), cast(a, BigInteger).label("a"),
                cast(null() if b is None else b, BigInteger).label("b"),
                # A float in SQL; untyped in Python, as the driver path (store/fast.py) has no
                # result processor for floats on asyncpg (it returns Python floats anyway).
                type_coerce(cast(null() if x is None else x, Float), NullType()).label("x")]

    hidden = hidden_account_ids(viewer, bindparam("now")).subquery()
    top = _top_communities(viewer).subquery()
    kf = community_known_for
    members = integrity_campaign_members
    since: Any = bindparam("since")
    liked = statuses.alias("liked")
    replied = statuses.alias("replied")
    touch = union_all(
        select(liked.c.account_id.label("aid")).select_from(
            favourites.join(liked, liked.c.id == favourites.c.status_id))
        .where(favourites.c.account_id == viewer, favourites.c.id >= since),
        select(liked.c.account_id).select_from(
            statuses.join(liked, liked.c.id == statuses.c.reblog_of_id))
        .where(statuses.c.account_id == viewer, statuses.c.id >= since),
        select(replied.c.in_reply_to_account_id)
        .where(replied.c.account_id == viewer, replied.c.id >= since,
               replied.c.in_reply_to_account_id.is_not(None)),
    ).subquery()
    return union_all(
        select(*row("f", follows.c.target_account_id)).where(follows.c.account_id == viewer),
        select(*row("h", hidden.c.aid)),
        select(*row("i", top.c.community, None, top.c.score)),
        select(*row("k", kf.c.account_id, kf.c.community, kf.c.score))
        .where(kf.c.community.in_(select(top.c.community))),
        select(*row("c", members.c.account_id, members.c.campaign_id))
        .join(integrity_campaigns, integrity_campaigns.c.id == members.c.campaign_id)
        .where(integrity_campaigns.c.active.is_(True)),
        select(*row("t", touch.c.aid, None, func.count())).group_by(touch.c.aid),
        select(*row(feed_feedback.c.kind, feed_feedback.c.author_id, None, func.count()))
        .where(feed_feedback.c.account_id == viewer)
        .group_by(feed_feedback.c.author_id, feed_feedback.c.kind),
    )


def _proof_statement(viewer: Any) -> Any:
    """(sid, who): likes and reposts by followed accounts of posts in the window."""
    following = select(follows.c.target_account_id).where(follows.c.account_id == viewer)
    floor: Any = bindparam("floor")
    return union_all(
        select(favourites.c.status_id.label("sid"), favourites.c.account_id.label("who"))
        .where(favourites.c.account_id.in_(following), favourites.c.status_id >= floor),
        # A repost is newer than its post, so `id >= floor` adds nothing to the result but
        # lets the (account_id, id) index find the window (otherwise PostgreSQL intersects
        # each followed account's whole history with every recent repost: 58 of 72 ms).
        select(statuses.c.reblog_of_id, statuses.c.account_id)
        .where(statuses.c.account_id.in_(following), statuses.c.id >= floor,
               statuses.c.reblog_of_id >= floor),
    )


_ROW = (statuses.c.id, statuses.c.account_id, statuses.c.created_at, statuses.c.visibility,
        statuses.c.in_reply_to_id, statuses.c.favourites_count, statuses.c.reblogs_count,
        statuses.c.replies_count, statuses.c.language)


def _sources_statement(wanted: tuple[str, ...], with_tags: bool, dialect: str,
                       among: Callable[..., Any]) -> Any:
    """The candidates' rows from every source in `wanted`, each under its own limit:
    id, account_id, created_at, visibility, in_reply_to_id, favourites_count, reblogs_count,
    replies_count, language; src (the source's rank in SOURCES); the flags for non-followers
    limited (reach), opted_post, opted_account; noted (a helpful note is attached); tag_names
    (space-separated, only `with_tags`)."""
    viewer: Any = bindparam("viewer")
    original = and_(statuses.c.reblog_of_id.is_(None), statuses.c.id >= bindparam("floor"))

    def limit(name: str) -> Any:
        return bindparam(name, type_=Integer)

    def engaged(t: Any) -> Any:
        return t.c.favourites_count + 2 * t.c.reblogs_count + t.c.replies_count

    lateral = dialect == "postgresql"
    parts: dict[str, Any] = {}
    # Equalities rather than IN (...): the driver path takes no fixed expanding lists.
    visible = or_(*(statuses.c.visibility == v for v in ("public", "unlisted", "private")))
    if lateral:
        fol = follows.alias("fol")
        recent = (select(*_ROW).where(statuses.c.account_id == fol.c.target_account_id,
                                      original, visible)
                  .order_by(statuses.c.id.desc()).limit(limit("in_network_limit"))
                  .lateral("recent"))
        parts["in_network"] = (select(*recent.c).select_from(fol.join(recent, true()))
                               .where(fol.c.account_id == viewer)
                               .order_by(recent.c.id.desc()).limit(limit("in_network_limit")))
    else:
        following = select(follows.c.target_account_id).where(follows.c.account_id == viewer)
        parts["in_network"] = (select(*_ROW).where(original, visible,
                                                   statuses.c.account_id.in_(following))
                               .order_by(statuses.c.id.desc()).limit(limit("in_network_limit")))

    parts["social_proof"] = select(*_ROW).where(among(statuses.c.id, "proof_ids"),
                                                statuses.c.reblog_of_id.is_(None))

    top = _top_communities(viewer).subquery()
    producers = (select(community_known_for.c.account_id)
                 .where(community_known_for.c.community.in_(select(top.c.community))))
    public = statuses.c.visibility == "public"
    if lateral:
        prod = producers.distinct().subquery("prod")
        # The per-producer LIMIT keeps PostgreSQL from flattening the LATERAL into a hash
        # join over the whole window (220 ms instead of ~5 on the 4M-post network).
        theirs = (select(*_ROW).where(statuses.c.account_id == prod.c.account_id, original,
                                      public)
                  .order_by(engaged(statuses).desc(), statuses.c.id.desc())
                  .limit(limit("community_limit")).lateral("theirs"))
        parts["community"] = (select(*theirs.c).select_from(prod.join(theirs, true()))
                              .order_by(engaged(theirs).desc(), theirs.c.id.desc())
                              .limit(limit("community_limit")))
    else:
        parts["community"] = (select(*_ROW).where(original, public,
                                                  statuses.c.account_id.in_(producers))
                              .order_by(engaged(statuses).desc(), statuses.c.id.desc())
                              .limit(limit("community_limit")))

    parts["tags"] = (select(*_ROW)
                     .join(status_tags, status_tags.c.status_id == statuses.c.id)
                     .join(tags, tags.c.id == status_tags.c.tag_id)
                     .where(original, public, among(tags.c.name, "tag_names", String))
                     .order_by(statuses.c.id.desc()).limit(limit("tags_limit")))

    found = union_all(*(select(*sub.c, literal(_SOURCE_RANK[name], Integer).label("src"))
                        for name in wanted for sub in [parts[name].subquery()])).subquery("u")
    sro, aro = status_recommendation_optouts, account_recommendation_optouts
    sm, am = status_moderation, account_moderation
    # string_agg / group_concat by hand: aggregate_strings binds its separator as a
    # literal-execute parameter, which the driver path does not take.
    joined = (func.string_agg if dialect == "postgresql" else func.group_concat)(
        tags.c.name, literal_column("' '"))
    tag_names = (select(joined)
                 .select_from(status_tags.join(tags, tags.c.id == status_tags.c.tag_id))
                 .where(status_tags.c.status_id == found.c.id).scalar_subquery()
                 if with_tags else cast(null(), String))
    return select(
        *found.c,
        (func.coalesce(sm.c.reach_limited, false())
         | func.coalesce(am.c.reach_limited, false())).label("limited"),
        sro.c.status_id.is_not(None).label("opted_post"),
        aro.c.account_id.is_not(None).label("opted_account"),
        has_helpful_note(found.c.id).label("noted"),
        tag_names.label("tag_names"),
    ).select_from(
        found.outerjoin(sm, sm.c.status_id == found.c.id)
        .outerjoin(am, am.c.account_id == found.c.account_id)
        .outerjoin(sro, sro.c.status_id == found.c.id)
        .outerjoin(aro, aro.c.account_id == found.c.account_id))


def _echoes_statement(among: Callable[..., Any]) -> Any:
    """(status, 0 like | 1 repost, member) for campaign members' actions on the posts."""
    return union_all(
        select(favourites.c.status_id.label("sid"), literal(0, Integer).label("kind"),
               favourites.c.account_id.label("who"))
        .where(among(favourites.c.status_id, "ids"), among(favourites.c.account_id, "members")),
        select(statuses.c.reblog_of_id, literal(1, Integer), statuses.c.account_id)
        .where(among(statuses.c.reblog_of_id, "ids"), among(statuses.c.account_id, "members")),
    )
