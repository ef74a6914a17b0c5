"""A small synthetic network with hidden interest communities, for measuring ranking quality.

Ground truth: every account has one or two true topics; it posts mostly about its first one
and follows mostly accounts posting about its topics (plus some off-topic follows: friends,
celebrities). Likes come from people interested in a post's topic. The ranking never sees the
topics, only the follow graph, likes and past interactions. Seeded, so every figure repeats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Post:
    id: int
    author: int
    topic: int
    created_at: float
    is_reply: bool
    likers: set[int] = field(default_factory=set)


@dataclass
class Network:
    topics: list[tuple[int, ...]]  # account -> its true topics
    follows: list[set[int]]  # account -> accounts it follows
    posts: list[Post]
    past_interactions: list[dict[int, int]]  # account -> author -> count (before the window)
    show_less: list[dict[int, int]]  # account -> author -> "show less" count
    now: float


def generate(n: int = 3000, n_topics: int = 12, follows_per_user: int = 40,
             off_topic: float = 0.35, posts_per_user: float = 2.0, likes_per_user: int = 25,
             seed: int = 1, now: float = 1_800_000_000.0) -> Network:
    rng = np.random.default_rng(seed)
    first = rng.integers(0, n_topics, n)
    second = rng.integers(0, n_topics, n)
    topics: list[tuple[int, ...]] = [(int(a),) if rng.random() < 0.5 or a == b else (int(a), int(b))
              for a, b in zip(first, second, strict=True)]
    popularity = rng.pareto(1.2, n) + 1.0
    by_topic = [np.flatnonzero(first == t) for t in range(n_topics)]
    follows: list[set[int]] = []
    for u in range(n):
        chosen: set[int] = set()
        k = max(5, int(rng.poisson(follows_per_user)))
        for _ in range(k):
            if rng.random() < off_topic:
                pool = np.arange(n)
            else:
                pool = by_topic[topics[u][int(rng.integers(len(topics[u])))]]
            p = popularity[pool] / popularity[pool].sum()
            v = int(rng.choice(pool, p=p))
            if v != u:
                chosen.add(v)
        follows.append(chosen)
    posts: list[Post] = []
    for u in range(n):
        for _ in range(int(rng.poisson(posts_per_user * min(popularity[u], 5.0) / 2))):
            topic = int(first[u]) if rng.random() < 0.85 else int(rng.integers(n_topics))
            age = rng.uniform(0, 60 * 3600)  # some posts fall outside the 48-hour window
            posts.append(Post(len(posts) + 1, u, topic, now - age, bool(rng.random() < 0.2)))
    posts_by_topic = [[p for p in posts if p.topic == t] for t in range(n_topics)]
    for u in range(n):
        for _ in range(int(rng.poisson(likes_per_user))):
            t = topics[u][int(rng.integers(len(topics[u])))] if rng.random() < 0.8 \
                else int(rng.integers(n_topics))
            topic_posts = posts_by_topic[t]
            if topic_posts:
                weights = np.array([popularity[p.author] for p in topic_posts])
                post = topic_posts[int(rng.choice(len(topic_posts), p=weights / weights.sum()))]
                post.likers.add(u)
    past: list[dict[int, int]] = []
    less: list[dict[int, int]] = []
    for u in range(n):
        counts = {}
        said_less = {}
        for v in follows[u]:
            on_topic = int(first[v]) in topics[u]
            c = int(rng.poisson(2.0 if on_topic else 0.3))
            if c:
                counts[v] = c
            if not on_topic and rng.random() < 0.15:
                said_less[v] = 1
        past.append(counts)
        less.append(said_less)
    return Network(topics, follows, posts, past, less, now)
