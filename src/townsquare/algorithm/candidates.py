"""Candidate sources for ranked feeds, read from the store in one statement.

Sources (limits in weights.toml [candidates]):
- in_network: recent posts by accounts the viewer follows;
- social_proof: recent posts liked or reposted by at least `social_proof_min_follows` of them;
- community: the most engaged recent public posts by producers of the viewer's strongest
  communities (communities.py), read from the community index (community_index.py): posts
  liked or reposted at least once, by likes + 2 * reposts;
- tags: recent public posts with given hashtags (custom feeds only).

Rules every source obeys: only original posts (reposts count as social proof), posts from the
last `window_hours`, nothing by blocked, blocking or muted accounts, only public posts from
accounts the viewer does not follow, and never an opted-out post or account, nor one whose
reach moderators limited, for a non-follower.

A page costs two statements (three while a detected campaign is active):
1. the members of active campaigns (none most of the time);
2. every source at once, each under its own limit, returning the candidates' own rows with
   everything the ranking needs about them: how many followed accounts liked or reposted
   each (social proof; the same count picks the social-proof source), whether the viewer
   follows the author, the viewer's past interactions with and "show more / less" about the
   author, the viewer's interest in the author's community, whether a helpful note is
   attached. The rules above are applied in the statement, which returns only the rows a
   viewer may be shown, newest first (a post found by two sources comes once, from the
   first in SOURCES).
3. while a campaign is active: its members' likes and reposts of the candidates, so that a
   campaign counts once.
The statements are built once per database dialect, id lists bound as one parameter each
(store/arrays.py). On PostgreSQL the in-network source is a LATERAL probe of the
(account_id, id) index per followed account, instead of letting the planner walk the whole
window backwards hoping to stop early (SETTINGS: the read transaction's settings).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    extract,
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
    community_posts,
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
# PostgreSQL settings for a page's read transaction (set_config(..., is_local => true)); no
# parallel workers is every app connection's setting already (store/db.py):
# - plans made for each page's values: a generic plan guesses that a page has a few
#   candidates and an id list ten ids, and joined the viewer's per-author signals to ~1,200
#   candidates by nested loops (200 ms for a next page); planning per page costs about
#   what the better plans save (measured on the 100k network);
# - no Memoize: its cache sits in front of the per-followed-account probes (posts, likes),
#   each keyed by a different account, so it never hits (0 of 755 for a heavy viewer) and its
#   bookkeeping cost ~10% of the statement (24.9 -> 22.0 ms median, 40 heavy viewers).
SETTINGS = (("plan_cache_mode", "force_custom_plan"), ("enable_memoize", "off"))
_VISIBLE = ("public", "unlisted", "private")  # what a follower may be shown


async def gather(conn: AsyncConnection, viewer_id: int, now: datetime, w: Weights, *,
                 sources: tuple[str, ...] = ("in_network", "social_proof", "community"),
                 tag_names: tuple[str, ...] = ()) -> list[Candidate]:
    """The candidates of one page, newest first."""
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}")
    wanted = tuple(s for s in SOURCES if s in sources and (s != "tags" or tag_names))
    if not wanted:
        return []
    q, campaign = await _begin(conn)
    cfg = w.candidates
    # Hashtags only matter to a feed that filters by them (feeds.keep); reading them costs a
    # probe per candidate, so For you does not. The community feature is only scored when
    # the community source is asked for.
    rows = await q.sources(wanted, with_tags=bool(tag_names),
                           with_community="community" in sources).values(conn, {
        **_params(viewer_id, now, w), "in_network_limit": cfg["in_network_limit"],
        "social_proof_min_follows": cfg["social_proof_min_follows"],
        "social_proof_limit": cfg["social_proof_limit"], "community_limit": cfg["community_limit"],
        "tags_limit": cfg["tags_limit"], "tag_names": [t.lower() for t in tag_names]})
    if not rows:
        return []
    if campaign:
        return await _with_campaigns(conn, q, viewer_id, campaign, rows, q.epoch)
    return _candidates(rows, q.epoch)


async def refresh(conn: AsyncConnection, viewer_id: int, now: datetime, w: Weights,
                  prior: dict[int, tuple[str, int]], *,
                  sources: tuple[str, ...] = ("in_network", "social_proof", "community"),
                  tag_names: tuple[str, ...] = ()) -> list[Candidate]:
    """The next page's candidates: `prior` (post -> source, social proof: what the previous
    page was ranked from) as they are now. Every rule is applied again (follows, blocks and
    mutes, opt-outs, limited reach, deleted posts, the window) and every signal read again
    (engagement, the viewer's interactions and "show more / less", community interest,
    notes), except what picking the candidates cost most: the set itself and its
    social-proof counts, kept from `prior` (with their sources). One statement of
    primary-key probes instead of the page's sources."""
    if not prior:
        return []
    q, campaign = await _begin(conn)
    rows = await q.refresh(with_tags=bool(tag_names),
                           with_community="community" in sources).values(conn, {
        **_params(viewer_id, now, w), "ids": list(prior)})
    if not rows:
        return []
    if campaign:
        return await _with_campaigns(conn, q, viewer_id, campaign, rows, q.epoch, prior)
    return _candidates(rows, q.epoch, prior=prior)


async def _begin(conn: AsyncConnection) -> tuple[_Statements, dict[int, int]]:
    """The page's statements and the members of active campaigns (member -> campaign, the
    smallest id if several); on PostgreSQL, begins the read transaction with its settings."""
    q = _statements(conn.dialect.name)
    if q.serial is not None:  # also begins the read transaction every statement shares
        await conn.execute(q.serial)
    campaign: dict[int, int] = {}
    for who, cid in await q.campaigns.all(conn):
        campaign.setdefault(who, cid)
    return q, campaign


def _params(viewer_id: int, now: datetime, w: Weights) -> dict[str, Any]:
    return {"viewer": viewer_id, "now": now,
            "floor": id_floor(now - timedelta(hours=w.adjustments["window_hours"])),
            "since": id_floor(now - timedelta(days=w.candidates["affinity_days"])),
            "community_top": w.candidates["community_top"]}


def _candidates(rows: Sequence[Sequence[Any]], epoch: bool,
                fix: Callable[[int, int, int, int], tuple[int, int, int]] | None = None,
                prior: dict[int, tuple[str, int]] | None = None) -> list[Candidate]:
    """Candidates from the sources statement's rows (newest first, a post's best source
    first). `fix(post, likes, reposts, proof)` corrects them for campaigns; `prior` gives
    each post's source and social proof (refresh)."""
    out: list[Candidate] = []
    append = out.append
    new = tuple.__new__  # Candidate(...) without the keyword handling: ~1,500 a page
    previous = None
    for (sid, author, created_at, in_reply_to_id, likes, reblogs, replies, language, src,
         proof, followed, interactions, more, less, community, noted, tag_names) in rows:
        if sid == previous:  # the same post from a later source
            continue
        previous = sid
        if prior is not None:
            source, proof = prior[sid]
        else:
            source = SOURCES[src]
        if fix is not None:
            likes, reblogs, proof = fix(sid, likes, reblogs, proof)
        append(new(Candidate, (
            # PostgreSQL sends created_at as seconds since the epoch, exactly what
            # datetime.timestamp() gives (both round the exact microseconds to a double)
            sid, author, created_at if epoch else utc(created_at).timestamp(), source,
            bool(followed), in_reply_to_id is not None, likes, reblogs, replies, interactions,
            more, less, proof, min(1.0, round(community, 6)) if community else 0.0,
            language, tuple(sorted(tag_names.split())) if tag_names else (),
            bool(noted),  # community_note: never boosted (scoring.py)
        )))
    return out


async def _with_campaigns(conn: AsyncConnection, q: _Statements, viewer_id: int,
                          campaign: dict[int, int], rows: Sequence[Sequence[Any]], epoch: bool,
                          prior: dict[int, tuple[str, int]] | None = None) -> list[Candidate]:
    """A detected campaign (integrity/) counts once: its members' likes and reposts of a post
    add one to engagement and one voice to social proof, not one each."""
    acted: dict[tuple[int, int, int], int] = defaultdict(int)  # (post, kind, campaign)
    voices: dict[int, set[int]] = defaultdict(set)  # post -> followed members acting
    for sid, kind, who, followed in await q.echoes.all(conn, {
            "viewer": viewer_id, "ids": list({r[0] for r in rows}),
            "members": list(campaign)}):
        acted[(sid, kind, campaign[who])] += 1
        if followed:
            voices[sid].add(who)
    echoes: dict[tuple[int, int], int] = defaultdict(int)  # (post, 0 like | 1 repost)
    for (sid, kind, _), n in acted.items():
        echoes[(sid, kind)] += n - 1
    # The social-proof count holds each followed member once; their campaigns count once.
    merged = {sid: len({campaign[who] for who in members}) - len(members)
              for sid, members in voices.items()}

    def fix(sid: int, likes: int, reblogs: int, proof: int) -> tuple[int, int, int]:
        return (max(0, likes - echoes[(sid, 0)]), max(0, reblogs - echoes[(sid, 1)]),
                # a refreshed post keeps its (corrected) social proof
                proof if prior is not None else proof + merged.get(sid, 0))

    return _candidates(rows, epoch, fix, prior)


# --- statements, built once per dialect -----------------------------------------------------

class _Statements:
    def __init__(self, dialect: str) -> None:
        def among(col: Any, name: str, item: Any = BigInteger) -> Any:
            return member_of(col, name, dialect, item)

        self._dialect = dialect
        self._among = among
        self.epoch = dialect == "postgresql"  # created_at comes as seconds since the epoch
        self._source_cache: dict[tuple[str, ...], Hot] = {}
        # Run on the raw driver (store/fast.py): these return thousands of rows a page, and
        # SQLAlchemy's per-row result machinery cost more than the queries themselves.
        self.campaigns = Hot(
            select(integrity_campaign_members.c.account_id,
                   integrity_campaign_members.c.campaign_id)
            .join(integrity_campaigns,
                  integrity_campaigns.c.id == integrity_campaign_members.c.campaign_id)
            .where(integrity_campaigns.c.active.is_(True))
            .order_by(integrity_campaign_members.c.campaign_id))
        self.echoes = Hot(_echoes_statement(among))
        self.serial = (text("SELECT " + ", ".join(f"set_config('{k}', '{v}', true)"
                                                  for k, v in SETTINGS))
                       if dialect == "postgresql" else None)

    def refresh(self, *, with_tags: bool, with_community: bool) -> Hot:
        key = ("refresh", str(with_tags), str(with_community))
        if key not in self._source_cache:
            self._source_cache[key] = Hot(_refresh_statement(
                with_tags, with_community, self._dialect, self._among))
        return self._source_cache[key]

    def sources(self, wanted: tuple[str, ...], *, with_tags: bool, with_community: bool) -> Hot:
        key = (*wanted, str(with_tags), str(with_community))
        if key not in self._source_cache:
            self._source_cache[key] = Hot(_sources_statement(
                wanted, with_tags, with_community, self._dialect, self._among))
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


_ROW = (statuses.c.id, statuses.c.account_id, statuses.c.created_at, statuses.c.visibility,
        statuses.c.in_reply_to_id, statuses.c.favourites_count, statuses.c.reblogs_count,
        statuses.c.replies_count, statuses.c.language)


def _theirs(viewer: Any, dialect: str) -> Any:
    """Every status of the window by an account the viewer follows, originals and reposts:
    the in-network source's posts and half of the social proof, read in one pass. On
    PostgreSQL a LATERAL probe of the (account_id, id) index per followed account (OFFSET 0
    keeps the planner from flattening it into a walk of the whole window)."""
    floor: Any = bindparam("floor")
    cols = (*_ROW, statuses.c.reblog_of_id)
    if dialect == "postgresql":
        fol = follows.alias("fol")
        recent = (select(*cols).where(statuses.c.account_id == fol.c.target_account_id,
                                      statuses.c.id >= floor)
                  .offset(0).lateral("recent"))
        return (select(*recent.c).select_from(fol.join(recent, true()))
                .where(fol.c.account_id == viewer).cte("theirs"))
    following = select(follows.c.target_account_id).where(follows.c.account_id == viewer)
    return select(*cols).where(statuses.c.account_id.in_(following),
                               statuses.c.id >= floor).cte("theirs")


def _proof(viewer: Any, theirs: Any) -> Any:
    """(sid, n): how many followed accounts liked or reposted each post of the window."""
    following = select(follows.c.target_account_id).where(follows.c.account_id == viewer)
    floor: Any = bindparam("floor")
    # Each (post, account) pair once: a like is unique per pair, and a repost counts only
    # when its author did not also like the post (their like counts already). One hashed
    # count then, not a distinct pass over every pair nor count(DISTINCT), which PostgreSQL
    # sorts group by group (10 ms for a heavy viewer's ~4,500 pairs).
    liked = favourites.alias("liked")
    reposted = (select(theirs.c.reblog_of_id.label("sid"), theirs.c.account_id.label("who"))
                .where(theirs.c.reblog_of_id >= floor,
                       ~exists().where(liked.c.account_id == theirs.c.account_id,
                                       liked.c.status_id == theirs.c.reblog_of_id))
                .distinct())
    pairs = union_all(
        select(favourites.c.status_id.label("sid"), favourites.c.account_id.label("who"))
        .where(favourites.c.account_id.in_(following), favourites.c.status_id >= floor),
        # A repost is newer than its post: the reposts of the window's posts are among the
        # window's statuses of the followed accounts.
        reposted,
    ).subquery("pairs")
    return (select(pairs.c.sid, func.count().label("n"))
            .group_by(pairs.c.sid).cte("proof"))


def _about_authors(viewer: Any) -> tuple[Any, Any]:
    """What the viewer's history says per author: (aid, n) the viewer's likes, reposts and
    replies to the author since `since`; (aid, more, less) their "show more / less"."""
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
    ).subquery("touch")
    touched = (select(touch.c.aid, func.count().label("n")).group_by(touch.c.aid)
               .cte("touched"))
    fb = feed_feedback

    def times(kind: str) -> Any:
        return func.sum(case((fb.c.kind == kind, 1), else_=0))

    feedback = (select(fb.c.author_id.label("aid"), times("more").label("more"),
                       times("less").label("less"))
                .where(fb.c.account_id == viewer).group_by(fb.c.author_id).cte("feedback"))
    return touched, feedback


def _sources_statement(wanted: tuple[str, ...], with_tags: bool, with_community: bool,
                       dialect: str, among: Callable[..., Any]) -> Any:
    """The candidates a viewer may be shown, from every source in `wanted`, each under its
    own limit, newest first and a post's best source first: id, account_id, created_at
    (seconds since the epoch on PostgreSQL, a datetime elsewhere), in_reply_to_id,
    favourites_count, reblogs_count, replies_count, language; src (the source's rank in
    SOURCES); proof (followed accounts that liked or reposted it); followed (the viewer
    follows the author); interactions, more, less (the viewer's past interactions with the
    author and "show more / less" about them); community (the viewer's interest in the
    author's communities, only `with_community`; NULL for none);
    noted (a helpful note is attached); tag_names (space-separated, only `with_tags`)."""
    viewer: Any = bindparam("viewer")
    floor: Any = bindparam("floor")
    original = and_(statuses.c.reblog_of_id.is_(None), statuses.c.id >= floor)

    def limit(name: str) -> Any:
        return bindparam(name, type_=Integer)

    theirs = _theirs(viewer, dialect)
    proof = _proof(viewer, theirs)
    top = _top_communities(viewer).cte("top")
    parts: dict[str, Any] = {}
    # Equalities rather than IN (...): the driver path takes no fixed expanding lists.
    parts["in_network"] = (select(*(theirs.c[c.key] for c in _ROW))
                           .where(theirs.c.reblog_of_id.is_(None),
                                  or_(*(theirs.c.visibility == v for v in _VISIBLE)))
                           .order_by(theirs.c.id.desc()).limit(limit("in_network_limit")))

    # Liked or reposted by the most followed accounts, at least social_proof_min_follows.
    strong = (select(proof.c.sid).where(proof.c.n >= limit("social_proof_min_follows"))
              .order_by(proof.c.n.desc(), proof.c.sid.desc())
              .limit(limit("social_proof_limit")).subquery("strong"))
    # IN rather than a join: SQLite otherwise walks every status probing the few picked.
    parts["social_proof"] = select(*_ROW).where(statuses.c.id.in_(select(strong.c.sid)),
                                                statuses.c.reblog_of_id.is_(None))

    # The most engaged posts of the viewer's communities, from their index
    # (community_index.py): a range scan per community, not a probe per producer.
    cp = community_posts
    picked = (select(cp.c.status_id)
              .where(cp.c.community.in_(select(top.c.community)), cp.c.status_id >= floor,
                     cp.c.engaged > 0)
              .order_by(cp.c.engaged.desc(), cp.c.status_id.desc())
              .limit(limit("community_limit")).subquery("picked"))
    parts["community"] = select(*_ROW).where(statuses.c.id.in_(select(picked.c.status_id)),
                                             original, statuses.c.visibility == "public")

    parts["tags"] = (select(*_ROW)
                     .join(status_tags, status_tags.c.status_id == statuses.c.id)
                     .join(tags, tags.c.id == status_tags.c.tag_id)
                     .where(original, statuses.c.visibility == "public",
                            among(tags.c.name, "tag_names", String))
                     .order_by(statuses.c.id.desc()).limit(limit("tags_limit")))

    found = union_all(*(select(*sub.c, literal(_SOURCE_RANK[name], Integer).label("src"))
                        for name in wanted for sub in [parts[name].subquery()])).subquery("u")
    return _shown(found, proof.c.n, proof, top if with_community else None, with_tags, dialect,
                  followed_known=found.c.src == _SOURCE_RANK["in_network"])


def _refresh_statement(with_tags: bool, with_community: bool, dialect: str,
                       among: Callable[..., Any]) -> Any:
    """The posts `ids` as the sources statement would return them now, if the viewer may still
    be shown them (src 0 and proof 0: the caller keeps what it knew)."""
    floor: Any = bindparam("floor")
    found = (select(*_ROW, literal(0, Integer).label("src"))
             .where(among(statuses.c.id, "ids"), statuses.c.reblog_of_id.is_(None),
                    statuses.c.id >= floor).subquery("u"))
    top = _top_communities(bindparam("viewer")).cte("top") if with_community else None
    return _shown(found, literal(0, Integer), None, top, with_tags, dialect)


def _shown(found: Any, proof_n: Any, proof: Any, top: Any, with_tags: bool,
           dialect: str, followed_known: Any = None) -> Any:
    """The rows of `found` (statuses rows with their src) that the viewer may be shown, with
    everything the ranking needs about each (the columns of _sources_statement).
    `followed_known`: a condition on `found` true where the source already knows the viewer
    follows the author (in-network posts: ~800 of a heavy page's follow probes saved)."""
    viewer: Any = bindparam("viewer")
    # Who may be shown what: a follower any post but a direct one; anyone else only public
    # posts whose author did not opt out of recommendation (account or post) and whose
    # reach moderators did not limit (docs/moderation.md: such posts stay visible to
    # whoever looks for them, but are never recommended to non-followers). The flags are
    # only looked up for authors the viewer does not follow (CASE is evaluated lazily).
    fol = follows.alias("followed")
    follows_author = exists().where(fol.c.account_id == viewer,
                                    fol.c.target_account_id == found.c.account_id)
    # Computed once per row below a fence (OFFSET 0), as it is read twice.
    found = select(*found.c, (follows_author if followed_known is None else case(
        (followed_known, true()), else_=follows_author)).label("followed")
    ).offset(0).subquery("f")
    followed = found.c.followed
    sm, am = status_moderation, account_moderation
    sro, aro = status_recommendation_optouts, account_recommendation_optouts
    limited = or_(
        func.coalesce(select(sm.c.reach_limited).where(sm.c.status_id == found.c.id)
                      .scalar_subquery(), false()),
        func.coalesce(select(am.c.reach_limited).where(am.c.account_id == found.c.account_id)
                      .scalar_subquery(), false()))
    may_see = case(
        (followed, or_(*(found.c.visibility == v for v in _VISIBLE))),
        else_=and_(found.c.visibility == "public",
                   ~exists().where(sro.c.status_id == found.c.id),
                   ~exists().where(aro.c.account_id == found.c.account_id),
                   ~limited))
    hidden = hidden_account_ids(viewer, bindparam("now")).subquery("hidden")

    touched, feedback = _about_authors(viewer)
    joins: Any = found
    if proof is not None:
        joins = joins.outerjoin(proof, proof.c.sid == found.c.id)
    joins = (joins.outerjoin(touched, touched.c.aid == found.c.account_id)
             .outerjoin(feedback, feedback.c.aid == found.c.account_id))
    if top is not None:
        # Each producer's share of the viewer's interests: interest in its community times
        # how strongly it is known for it (summed over its communities).
        kf = community_known_for
        shares = (select(kf.c.account_id.label("aid"),
                         func.sum(top.c.score * kf.c.score).label("share"))
                  .select_from(kf.join(top, top.c.community == kf.c.community))
                  .group_by(kf.c.account_id).cte("shares"))
        joins = joins.outerjoin(shares, shares.c.aid == found.c.account_id)
        community: Any = untyped(shares.c.share)
    else:
        community = untyped(cast(null(), Float))
    # string_agg / group_concat by hand: aggregate_strings binds its separator as a
    # literal-execute parameter, which the driver path does not take.
    joined = (func.string_agg if dialect == "postgresql" else func.group_concat)(
        tags.c.name, literal_column("' '"))
    tag_names = (select(joined)
                 .select_from(status_tags.join(tags, tags.c.id == status_tags.c.tag_id))
                 .where(status_tags.c.status_id == found.c.id).scalar_subquery()
                 if with_tags else cast(null(), String))
    created = (untyped(cast(extract("epoch", found.c.created_at), Float))
               if dialect == "postgresql" else found.c.created_at)
    return (select(
        found.c.id, found.c.account_id, created.label("created_at"),
        found.c.in_reply_to_id, found.c.favourites_count, found.c.reblogs_count,
        found.c.replies_count, found.c.language, found.c.src,
        func.coalesce(proof_n, 0).label("proof"), followed.label("followed"),
        func.coalesce(touched.c.n, 0).label("interactions"),
        func.coalesce(feedback.c.more, 0).label("more"),
        func.coalesce(feedback.c.less, 0).label("less"),
        community.label("community"), has_helpful_note(found.c.id).label("noted"),
        tag_names.label("tag_names"))
        .select_from(joins)
        .where(found.c.account_id != viewer, found.c.account_id.not_in(select(hidden.c.aid)),
               may_see)
        .order_by(found.c.id.desc(), found.c.src))


def untyped(x: Any) -> Any:
    """A float in SQL, untyped in Python: the driver path (store/fast.py) has no result
    processor for floats on asyncpg (which returns Python floats anyway)."""
    return type_coerce(x, NullType())


def _echoes_statement(among: Callable[..., Any]) -> Any:
    """(status, 0 like | 1 repost, member, followed) for campaign members' actions on the
    posts; followed: the viewer follows the member."""
    viewer: Any = bindparam("viewer")

    def followed(who: Any) -> Any:
        return exists().where(follows.c.account_id == viewer,
                              follows.c.target_account_id == who)

    return union_all(
        select(favourites.c.status_id.label("sid"), literal(0, Integer).label("kind"),
               favourites.c.account_id.label("who"),
               followed(favourites.c.account_id).label("followed"))
        .where(among(favourites.c.status_id, "ids"), among(favourites.c.account_id, "members")),
        select(statuses.c.reblog_of_id, literal(1, Integer), statuses.c.account_id,
               followed(statuses.c.account_id))
        .where(among(statuses.c.reblog_of_id, "ids"), among(statuses.c.account_id, "members")),
    )
