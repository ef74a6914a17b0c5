"""Candidate sources for ranked feeds, read from the store in a few statements.

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

A first page costs four statements (five while a detected campaign is active):
1. the members of active campaigns (none most of the time);
2. every source but social proof at once, each under its own limit, returning the
   candidates' own rows with everything the ranking needs about them: whether the viewer
   follows the author, the viewer's past interactions with and "show more / less" about the
   author, the viewer's interest in the author's community, whether a helpful note is
   attached. The rules above are applied in the statement, which returns only the rows a
   viewer may be shown, newest first;
3. how many followed accounts liked or reposted each post of the window (social proof: a
   feature of every candidate, and what picks the social-proof source), and then
4. the posts the social-proof source picks, as statement 2 returns its rows.
   Statements 3 and 4 run on a second connection at the same time as statement 2 on
   PostgreSQL (when the process has one to spare at once: Database.spare), since the
   followed accounts' likes are the other half of a heavy page's reading (the heaviest
   viewer's 10,754 pairs beside their follows' 3,222 posts); on SQLite one after the other.
   The rows are merged newest first; a post found by two sources comes once, from the
   first in SOURCES;
5. while a campaign is active: its members' likes and reposts of the candidates, so that a
   campaign counts once.
The statements are built once per database dialect, id lists bound as one parameter each
(store/arrays.py). On PostgreSQL the in-network source is a LATERAL probe of the
(account_id, id) index per followed account, instead of letting the planner walk the whole
window backwards hoping to stop early (SETTINGS: the read transaction's settings).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from contextlib import nullcontext
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
from townsquare.store.db import Database
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
                 tag_names: tuple[str, ...] = (), db: Database | None = None) -> list[Candidate]:
    """The candidates of one page, newest first. With `db` (PostgreSQL), the social-proof
    half runs on a second connection at the same time as the other sources, when the
    process has one to spare at once (Database.spare); otherwise after them on `conn`.
    (Two connections read two snapshots a few milliseconds apart: a like made in between
    may count or not, as if the page had come a moment earlier or later. What was served
    is logged as read, so replay is unaffected.)"""
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
    with_tags, with_community = bool(tag_names), "community" in sources
    params = {**_params(viewer_id, now, w), "in_network_limit": cfg["in_network_limit"],
              "community_limit": cfg["community_limit"], "tags_limit": cfg["tags_limit"],
              "tag_names": [t.lower() for t in tag_names]}
    rest = tuple(s for s in wanted if s != "social_proof")

    async def others() -> Sequence[Sequence[Any]]:
        if not rest:
            return []
        return await q.sources(rest, with_tags=with_tags,
                               with_community=with_community).values(conn, params)

    async def social(c: AsyncConnection) -> tuple[dict[int, int], Sequence[Sequence[Any]]]:
        """The social-proof counts of every post of the window, and the rows of the posts
        the social-proof source picks from them."""
        counts = await q.proof_counts(c, params)
        if "social_proof" not in wanted:
            return counts, []
        strong = _strongest(counts, cfg["social_proof_min_follows"], cfg["social_proof_limit"])
        if not strong:
            return counts, []
        return counts, await q.refresh(with_tags=with_tags, with_community=with_community,
                                       src=_SOURCE_RANK["social_proof"]).values(
            c, {**params, "ids": strong})

    async with db.spare() if db is not None else nullcontext() as other:
        if other is None:
            found = await others()
            counts, strong_rows = await social(conn)
        else:
            if q.serial is not None:
                await other.execute(q.serial)
            try:
                async with asyncio.TaskGroup() as group:  # one fails: the other is cancelled
                    main = group.create_task(others())
                    side = group.create_task(social(other))
            except ExceptionGroup as failed:  # the error itself, as without a second one
                raise failed.exceptions[0] from None
            found, (counts, strong_rows) = main.result(), side.result()
    # Newest first, a post's best source first (each half is so ordered already: the sort
    # merges two runs)
    rows = sorted([*found, *strong_rows], key=_newest_first) if strong_rows else found
    if not rows:
        return []
    if campaign:
        return await _with_campaigns(conn, q, viewer_id, campaign, rows, q.epoch,
                                     counts=counts)
    return _candidates(rows, q.epoch, counts=counts)


def _newest_first(row: Sequence[Any]) -> tuple[int, int]:
    return -row[0], row[8]  # id, src


def _strongest(counts: dict[int, int], least: int, limit: int) -> list[int]:
    """The social-proof source: the posts liked or reposted by the most followed accounts,
    at least `least`, the newest first among equals; at most `limit`."""
    picked = [sid for sid, n in counts.items() if n >= least]
    picked.sort(key=lambda sid: (counts[sid], sid), reverse=True)
    return picked[:limit]


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
    params = _params(viewer_id, now, w)
    # The window, on the ids themselves (their time is in them, model/ids.py)
    ids = [sid for sid in prior if sid >= params["floor"]]
    if not ids:
        return []
    q, campaign = await _begin(conn)
    rows = await q.refresh(with_tags=bool(tag_names),
                           with_community="community" in sources).values(conn, {
        **params, "ids": ids})
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
                prior: dict[int, tuple[str, int]] | None = None,
                counts: dict[int, int] | None = None) -> list[Candidate]:
    """Candidates from the sources statements' rows (newest first, a post's best source
    first). `fix(post, likes, reposts, proof)` corrects them for campaigns; `prior` gives
    each post's source and social proof (refresh), `counts` each post's social proof
    (gather: the rows have none)."""
    get = (counts or {}).get
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
            source, proof = SOURCES[src], get(sid, 0)
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
                          prior: dict[int, tuple[str, int]] | None = None,
                          counts: dict[int, int] | None = None) -> list[Candidate]:
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

    return _candidates(rows, epoch, fix, prior, counts)


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
        self.proof = Hot(_proof_statement(dialect))
        self.serial = (text("SELECT " + ", ".join(f"set_config('{k}', '{v}', true)"
                                                  for k, v in SETTINGS))
                       if dialect == "postgresql" else None)

    def refresh(self, *, with_tags: bool, with_community: bool, src: int = 0) -> Hot:
        key = ("refresh", str(with_tags), str(with_community), str(src))
        if key not in self._source_cache:
            self._source_cache[key] = Hot(_refresh_statement(
                with_tags, with_community, self._dialect, self._among, src))
        return self._source_cache[key]

    async def proof_counts(self, conn: AsyncConnection, params: dict[str, Any]
                           ) -> dict[int, int]:
        """Post -> how many followed accounts liked or reposted it, for every post of the
        window that has any (PostgreSQL sends the posts of every pair as one array: ~10,000
        for a heavy viewer, decoded by the driver instead of row by row)."""
        if self.epoch:
            row = await self.proof.first(conn, params)
            return Counter(row[0]) if row and row[0] else {}
        return Counter(sid for sid, in await self.proof.values(conn, params))

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


def _original(dialect: str) -> Any:
    """The status is an original post, not a repost. On SQLite as an expression rather than
    the bare column: SQLite took `reblog_of_id IS NULL` to the index on reblog_of_id, which
    held every original post under NULL before migration 0016 made it partial (55 ms for a
    heavy viewer's in-network posts, instead of a probe per followed account)."""
    if dialect == "sqlite":
        return (statuses.c.reblog_of_id + literal_column("0")).is_(None)
    return statuses.c.reblog_of_id.is_(None)


def _in_network(viewer: Any, dialect: str) -> Any:
    """The newest posts of the window by the accounts the viewer follows (originals a
    follower may see). On PostgreSQL a LATERAL probe of the (account_id, id) index per
    followed account (OFFSET 0 keeps the planner from flattening it into a walk of the whole
    window)."""
    floor: Any = bindparam("floor")
    wanted = (statuses.c.id >= floor, _original(dialect),
              or_(*(statuses.c.visibility == v for v in _VISIBLE)))
    newest = bindparam("in_network_limit", type_=Integer)
    if dialect == "postgresql":
        fol = follows.alias("fol")
        recent = (select(*_ROW).where(statuses.c.account_id == fol.c.target_account_id,
                                      *wanted)
                  .offset(0).lateral("recent"))
        return (select(*recent.c).select_from(fol.join(recent, true()))
                .where(fol.c.account_id == viewer).order_by(recent.c.id.desc()).limit(newest))
    following = select(follows.c.target_account_id).where(follows.c.account_id == viewer)
    return (select(*_ROW).where(statuses.c.account_id.in_(following), *wanted)
            .order_by(statuses.c.id.desc()).limit(newest))


def _proof_statement(dialect: str) -> Any:
    """The post of every (post, account) pair in which an account the viewer follows liked or
    reposted a post of the window (sid); on PostgreSQL as one array (sids)."""
    viewer: Any = bindparam("viewer")
    floor: Any = bindparam("floor")
    following = select(follows.c.target_account_id).where(follows.c.account_id == viewer)
    # Each (post, account) pair once: a like is unique per pair, and a repost counts only
    # when its author did not also like the post (their like counts already). One hashed
    # count then, not a distinct pass over every pair nor count(DISTINCT), which PostgreSQL
    # sorts group by group (10 ms for a heavy viewer's ~4,500 pairs). The reposts are read
    # from their own index (ix_statuses_reposts: the followed accounts' reposts of the
    # window's posts, without visiting their rows).
    liked = favourites.alias("liked")
    again = statuses.alias("reposted")
    reposted = (select(again.c.reblog_of_id.label("sid"), again.c.account_id.label("who"))
                .where(again.c.account_id.in_(following), again.c.reblog_of_id.is_not(None),
                       again.c.reblog_of_id >= floor,
                       ~exists().where(liked.c.account_id == again.c.account_id,
                                       liked.c.status_id == again.c.reblog_of_id))
                .distinct())
    pairs = union_all(
        select(favourites.c.status_id.label("sid"), favourites.c.account_id.label("who"))
        .where(favourites.c.account_id.in_(following), favourites.c.status_id >= floor),
        reposted,
    ).subquery("pairs")
    # Counted by the caller (a C loop over ~10,000 ids), not grouped here: PostgreSQL's
    # hash aggregate cost a heavy viewer's count a third of its time.
    if dialect != "postgresql":
        return select(pairs.c.sid)
    return select(untyped(func.array_agg(pairs.c.sid)).label("sids"))


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
    """The candidates a viewer may be shown, from every source in `wanted` but social proof
    (gather reads that one on its own), each under its own limit, newest first and a post's
    best source first: id, account_id, created_at (seconds since the epoch on PostgreSQL, a
    datetime elsewhere), in_reply_to_id, favourites_count, reblogs_count, replies_count,
    language; src (the source's rank in SOURCES); proof (0: gather counts it); followed (the
    viewer follows the author); interactions, more, less (the viewer's past interactions
    with the author and "show more / less" about them); community (the viewer's interest in
    the author's communities, only `with_community`; NULL for none); noted (a helpful note
    is attached); tag_names (space-separated, only `with_tags`)."""
    viewer: Any = bindparam("viewer")
    floor: Any = bindparam("floor")
    original = and_(_original(dialect), statuses.c.id >= floor)

    def limit(name: str) -> Any:
        return bindparam(name, type_=Integer)

    top = _top_communities(viewer).cte("top")
    parts: dict[str, Any] = {}
    parts["in_network"] = _in_network(viewer, dialect)

    # The most engaged posts of the viewer's communities, from their index
    # (community_index.py): a range scan per community, not a probe per producer.
    cp = community_posts
    picked = (select(cp.c.status_id)
              .where(cp.c.community.in_(select(top.c.community)), cp.c.status_id >= floor,
                     cp.c.engaged > 0)
              .order_by(cp.c.engaged.desc(), cp.c.status_id.desc())
              .limit(limit("community_limit")).subquery("picked"))
    # IN rather than a join: SQLite otherwise walks every status probing the few picked.
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
    return _shown(found, top if with_community else None, with_tags, dialect,
                  followed_known=found.c.src == _SOURCE_RANK["in_network"])


def _refresh_statement(with_tags: bool, with_community: bool, dialect: str,
                       among: Callable[..., Any], src: int = 0) -> Any:
    """The posts `ids` (of the window: the caller checks their ids) as the sources statement
    would return them now, if the viewer may still be shown them, with `src` (proof 0: the
    caller knows it). The window is not checked here: PostgreSQL would count a post
    among the ids and in the window as two chances, and guessing a few rows where there
    are hundreds, join the viewer's per-author signals by nested loops (13 ms instead of
    4 for 200 ids)."""
    found = (select(*_ROW, literal(src, Integer).label("src"))
             .where(among(statuses.c.id, "ids"), _original(dialect))
             .subquery("u"))
    top = _top_communities(bindparam("viewer")).cte("top") if with_community else None
    return _shown(found, top, with_tags, dialect)


def _shown(found: Any, top: Any, with_tags: bool, dialect: str,
           followed_known: Any = None) -> Any:
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
    joins = (found.outerjoin(touched, touched.c.aid == found.c.account_id)
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
        literal(0, Integer).label("proof"), followed.label("followed"),
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
