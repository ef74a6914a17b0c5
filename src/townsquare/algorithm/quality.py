"""Ranking quality on the synthetic network: precision@20 of Following and For you (and For
you with each adjustment switched off), against the hidden topics as ground truth.

Candidates are gathered in memory with the same rules as candidates.py (in-network, social
proof from >= social_proof_min_follows follows, community from the batch job's output); the
features, weights, adjustments and ranking are the production code.
"""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np

from townsquare.algorithm.candidate import Candidate
from townsquare.algorithm.communities import detect
from townsquare.algorithm.scoring import rank
from townsquare.algorithm.synthetic import Network, Post, generate
from townsquare.algorithm.weights import ADJUSTMENTS, Weights, current

K = 20


def candidates_for(net: Network, u: int, w: Weights, known_for: dict[int, int],
                   interests: dict[int, dict[int, float]],
                   by_author: dict[int, list[Post]]) -> list[Candidate]:
    cfg = w.candidates
    horizon = net.now - w.adjustments["window_hours"] * 3600
    found: dict[int, tuple[Post, str]] = {}
    mine = net.follows[u]
    recent = sorted((p for v in mine for p in by_author.get(v, ()) if p.created_at >= horizon),
                    key=lambda p: -p.id)[:cfg["in_network_limit"]]
    for p in recent:
        found.setdefault(p.id, (p, "in_network"))
    proof: dict[int, int] = {}
    for p in net.posts:
        if p.created_at >= horizon and p.likers:
            n = len(p.likers & mine)
            if n:
                proof[p.id] = n
    by_id = {p.id: p for p in net.posts}
    strong = sorted((pid for pid, n in proof.items() if n >= cfg["social_proof_min_follows"]),
                    key=lambda pid: (-proof[pid], -pid))[:cfg["social_proof_limit"]]
    for pid in strong:
        found.setdefault(pid, (by_id[pid], "social_proof"))
    mine_c = dict(sorted(interests.get(u, {}).items(), key=lambda kv: (-kv[1], kv[0]))
                  [:cfg["community_top"]])
    if mine_c:
        # the community index (community_index.py) holds posts liked at least once
        pool = [p for a, c in known_for.items() if c in mine_c for p in by_author.get(a, ())
                if p.created_at >= horizon and p.likers]
        pool.sort(key=lambda p: (-len(p.likers), -p.id))
        for p in pool[:cfg["community_limit"]]:
            found.setdefault(p.id, (p, "community"))
    out = []
    for p, source in found.values():
        if p.author == u:
            continue
        c = mine_c.get(known_for.get(p.author, -1), 0.0)
        out.append(Candidate(
            p.id, p.author, p.created_at, source, p.author in mine, p.is_reply,
            len(p.likers), 0, 0, net.past_interactions[u].get(p.author, 0), 0,
            net.show_less[u].get(p.author, 0), proof.get(p.id, 0), min(1.0, c)))
    return out


def precision(items: list[int], topics: tuple[int, ...], by_id: dict[int, Post]) -> float:
    if not items:
        return 0.0
    return sum(1 for i in items if by_id[i].topic in topics) / len(items)


def evaluate(n: int = 3000, users: int = 300, seed: int = 1) -> dict[str, float]:
    net = generate(n=n, seed=seed)
    w = current()
    edges = np.array([(u, v) for u in range(n) for v in net.follows[u]], dtype=np.int64)
    t0 = time.perf_counter()
    comm = detect(edges[:, 0], edges[:, 1], w)
    community_s = time.perf_counter() - t0
    by_author: dict[int, list[Post]] = defaultdict(list)
    for p in net.posts:
        by_author[p.author].append(p)
    by_id = {p.id: p for p in net.posts}
    variants = {"for_you": w, **{f"for_you without {a}": w.without(a)
                                 for a in ("window", *ADJUSTMENTS)}}
    scores: dict[str, list[float]] = defaultdict(list)
    rng = np.random.default_rng(seed + 1)
    for u in rng.choice(n, size=min(users, n), replace=False):
        u = int(u)
        horizon = net.now - w.adjustments["window_hours"] * 3600
        following = sorted((p for v in net.follows[u] for p in by_author.get(v, ())
                            if p.created_at >= horizon), key=lambda p: -p.created_at)[:K]
        scores["following"].append(precision([p.id for p in following], net.topics[u], by_id))
        cands = candidates_for(net, u, w, comm.known_for, comm.interests, by_author)
        for name, wv in variants.items():
            page = rank(cands, net.now, wv, K)
            scores[name].append(precision([r.candidate.status_id for r in page],
                                          net.topics[u], by_id))
    out = {name: float(np.mean(v)) for name, v in scores.items()}
    out.update(accounts=float(n), users_measured=float(len(scores["following"])),
               posts=float(len(net.posts)), follows=float(len(edges)),
               communities=float(comm.count), community_job_s=community_s,
               topics=float(len({t for ts in net.topics for t in ts})))
    return out
