"""A deterministic synthetic public square, as numpy arrays (no I/O).

- Hidden interest communities (Zipf-sized) with their own hashtags and words: the ground truth
  the algorithm and integrity work can be checked against.
- A power-law follower graph: each account has a popularity weight ~ 1/rank^alpha; follows
  are drawn 60% inside the follower's community and 40% across the square by popularity, and
  a few celebrity accounts are followed by most users.
- Habits: posting rate (log-normal), likes and reposts drawn mostly from the author's
  community, a few polls with votes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

WORDS = ["river", "city", "vote", "market", "climate", "game", "song", "school", "road",
         "harbour", "field", "science", "garden", "train", "budget", "festival", "health",
         "film", "data", "forest", "ocean", "history", "mountain", "bridge", "coffee",
         "league", "theatre", "museum", "energy", "housing"]


@dataclass(frozen=True)
class Spec:
    accounts: int
    seed: int = 1
    communities: int = 0  # 0 = about one per 2,000 accounts, between 4 and 60
    mean_following: float = 40.0
    celebrities: int = 3
    celebrity_reach: float = 0.85  # share of users following each celebrity
    posts_per_account: float = 5.0
    likes_per_post: float = 2.0
    reposts_per_post: float = 0.2
    poll_share: float = 0.01
    days: int = 30
    alpha: float = 1.1  # popularity exponent
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(
        hour=0, minute=0, second=0, microsecond=0))


@dataclass
class Network:
    spec: Spec
    community: np.ndarray  # per account
    popularity: np.ndarray  # weight per account
    celebrities: np.ndarray  # account indexes
    activity: np.ndarray  # posting rate multiplier per account
    follow_src: np.ndarray
    follow_dst: np.ndarray
    post_author: np.ndarray  # posts sorted by time
    post_ms: np.ndarray  # epoch milliseconds
    post_words: np.ndarray  # (posts, 3) word indexes
    repost_of: np.ndarray  # -1 or the index of the reposted post
    like_account: np.ndarray
    like_post: np.ndarray
    poll_posts: np.ndarray
    community_tags: list[str]


def _draw(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    cum = np.cumsum(weights)
    x = rng.random(n) * cum[-1]
    if len(cum) < 65_536 or n < 65_536:
        return np.searchsorted(cum, x, side="right").clip(0, len(weights) - 1)
    # Same result, but the binary searches run in key order: random keys into a large table
    # miss the cache on every probe (60 s of a 1M-account network's 70 s); sorted keys walk it.
    order = np.argsort(x)
    out = np.empty(n, np.int64)
    out[order] = np.searchsorted(cum, x[order], side="right")
    return out.clip(0, len(weights) - 1)


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sorting beats numpy's hash-based unique on large int arrays)."""
    out = np.sort(values)
    return out[np.concatenate(([True], out[1:] != out[:-1]))] if len(out) else out


def generate(spec: Spec) -> Network:
    rng = np.random.default_rng(spec.seed)
    n = spec.accounts
    k = spec.communities or int(np.clip(n // 2000, 4, 60))
    sizes = 1.0 / np.arange(1, k + 1) ** 0.8
    community = _draw(rng, sizes, n)
    rank = rng.permutation(n)
    popularity = 1.0 / (rank + 1.0) ** spec.alpha
    celebrities = np.argsort(rank)[:spec.celebrities]

    # Out-degrees: log-normal around the mean, at least 1.
    deg: np.ndarray = np.clip(rng.lognormal(np.log(spec.mean_following) - 0.5, 1.0, n), 1,
                              max(1, n - 1)).astype(np.int64)
    local = rng.binomial(deg, 0.6).astype(np.int64)
    glob = (deg - local).astype(np.int64)
    src_g = np.repeat(np.arange(n), glob)
    dst_g = _draw(rng, popularity, len(src_g))
    src_l_parts, dst_l_parts = [], []
    for c in range(k):
        members = np.flatnonzero(community == c)
        if len(members) == 0:
            continue
        counts = local[members]
        src = np.repeat(members, counts)
        dst = members[_draw(rng, popularity[members], len(src))]
        src_l_parts.append(src)
        dst_l_parts.append(dst)
    fans = [np.flatnonzero(rng.random(n) < spec.celebrity_reach) for _ in celebrities]
    src = np.concatenate([src_g, *src_l_parts, *fans])
    dst = np.concatenate([dst_g, *dst_l_parts,
                          *[np.full(len(f), c) for f, c in zip(fans, celebrities, strict=True)]])
    keep = src != dst
    pairs = _unique(src[keep].astype(np.int64) * n + dst[keep])
    follow_src, follow_dst = pairs // n, pairs % n

    activity = rng.lognormal(0.0, 1.2, n)
    n_posts = int(n * spec.posts_per_account)
    post_author = _draw(rng, activity, n_posts)
    end = int(spec.now.timestamp() * 1000)
    post_ms = np.sort(rng.integers(end - spec.days * 86_400_000, end, n_posts))
    post_words = rng.integers(0, len(WORDS), (n_posts, 3))
    # Reposts: a share of posts repost an earlier post, preferring popular authors.
    repost_of = np.full(n_posts, -1, dtype=np.int64)
    n_reposts = int(n_posts * spec.reposts_per_post / (1 + spec.reposts_per_post))
    which = rng.choice(np.arange(1, n_posts), size=min(n_reposts, n_posts - 1), replace=False)
    repost_of[which] = (rng.random(len(which)) * which).astype(np.int64)
    nested = repost_of >= 0
    nested[nested] = repost_of[repost_of[nested]] >= 0
    repost_of[nested] = -1  # a repost of a repost becomes an original post
    # Likes: likers mostly from the author's community.
    n_likes = int(n_posts * spec.likes_per_post)
    like_post = _draw(rng, popularity[post_author] ** 0.5, n_likes)
    same = rng.random(n_likes) < 0.7
    like_account = _draw(rng, popularity ** 0.3, n_likes)
    authors_comm = community[post_author[like_post]]
    for c in range(k):
        members = np.flatnonzero(community == c)
        sel = np.flatnonzero(same & (authors_comm == c))
        if len(members) and len(sel):
            like_account[sel] = members[rng.integers(0, len(members), len(sel))]
    pairs = _unique(like_account.astype(np.int64) * n_posts + like_post)
    like_account, like_post = pairs // n_posts, pairs % n_posts
    originals = np.flatnonzero(repost_of < 0)
    poll_posts = np.sort(rng.choice(originals, size=int(len(originals) * spec.poll_share),
                                    replace=False))
    tags = [f"{WORDS[c % len(WORDS)]}{c}" for c in range(k)]
    return Network(spec, community, popularity, celebrities, activity, follow_src, follow_dst,
                   post_author, post_ms, post_words, repost_of, like_account, like_post,
                   poll_posts, tags)
