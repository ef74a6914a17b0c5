"""Communities from the follow graph, a batch job in the spirit of Twitter's SimClusters.

1. Producers are accounts with at least `min_followers` followers.
2. Two producers are similar when the same people follow them: cosine similarity of their
   follower sets; each producer keeps its `neighbours` most similar producers.
3. Producers are grouped by label propagation on that similarity graph (each takes the label
   with the most similarity among its neighbours, `iterations` rounds, ties to the smaller
   label): a producer is "known for" its community.
4. A user's interests are the share of the producers they follow in each community (top
   `max_communities_per_user`, summing to at most 1).
Pure: edges in, vectors out; the job (`run_job`) reads follows and stores the result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select

from townsquare.algorithm.weights import Weights, current
from townsquare.context import Context
from townsquare.store.tables import follows


@dataclass(frozen=True)
class Communities:
    known_for: dict[int, int]  # producer -> community
    interests: dict[int, dict[int, float]]  # user -> community -> share
    count: int


def detect(followers: np.ndarray, followees: np.ndarray, w: Weights) -> Communities:
    cfg = w.communities
    if len(followers) == 0:
        return Communities({}, {}, 0)
    producers, p_idx, p_counts = np.unique(followees, return_inverse=True, return_counts=True)
    users, u_idx = np.unique(followers, return_inverse=True)
    a = sp.csr_matrix((np.ones(len(u_idx)), (u_idx, p_idx)),
                      shape=(len(users), len(producers)))
    a.data[:] = 1.0  # duplicate edges count once
    keep = np.flatnonzero(p_counts >= cfg["min_followers"])
    if len(keep) == 0:
        return Communities({}, {}, 0)
    ak = a[:, keep].tocsc()
    norms = np.sqrt(np.asarray(ak.sum(axis=0)).ravel())
    an = ak @ sp.diags(1.0 / norms)
    sim = (an.T @ an).tocsr()
    sim.setdiag(0.0)
    sim.eliminate_zeros()
    knn = _top_k(sim, cfg["neighbours"])
    knn = (knn + knn.T).tocsr()  # similarity is mutual
    labels = _propagate(knn, cfg["iterations"])
    _, community = np.unique(labels, return_inverse=True)
    known_for = {int(producers[keep[i]]): int(community[i]) for i in range(len(keep))}
    count = int(community.max()) + 1
    # interests: the share of each user's follows (of producers) per community
    member = sp.csr_matrix((np.ones(len(keep)), (np.arange(len(keep)), community)),
                           shape=(len(keep), count))
    per_user = (ak.tocsr() @ member).tocsr()
    totals = np.asarray(ak.sum(axis=1)).ravel()
    top = cfg["max_communities_per_user"]
    interests: dict[int, dict[int, float]] = {}
    for u in np.flatnonzero(totals > 0):
        row = per_user.getrow(u)
        order = np.lexsort((row.indices, -row.data))[:top]
        interests[int(users[u])] = {int(row.indices[j]): float(row.data[j] / totals[u])
                                    for j in order}
    return Communities(known_for, interests, count)


def _top_k(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for i in range(m.shape[0]):
        start, end = m.indptr[i], m.indptr[i + 1]
        if start == end:
            continue
        data, idx = m.data[start:end], m.indices[start:end]
        pick = np.lexsort((idx, -data))[:k]
        rows.append(np.full(len(pick), i))
        cols.append(idx[pick])
        vals.append(data[pick])
    if not rows:
        return sp.csr_matrix(m.shape)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=m.shape)


def _propagate(g: sp.csr_matrix, iterations: int) -> np.ndarray:
    """Asynchronous label propagation in a fixed order (deterministic, no oscillation): a
    producer takes the label its neighbours' similarity favours most; on a tie it keeps its
    own label if that is among the best, else takes the smallest."""
    n = g.shape[0]
    labels = np.arange(n)
    for _ in range(iterations):
        changed = False
        for i in range(n):
            start, end = g.indptr[i], g.indptr[i + 1]
            if start == end:
                continue
            neighbour_labels = labels[g.indices[start:end]]
            uniq, inverse = np.unique(neighbour_labels, return_inverse=True)
            votes = np.bincount(inverse, weights=g.data[start:end])
            best = uniq[votes >= votes.max() - 1e-12]
            pick = labels[i] if labels[i] in best else best.min()
            if pick != labels[i]:
                labels[i] = pick
                changed = True
        if not changed:
            break
    return labels


async def run_job(ctx: Context, w: Weights | None = None) -> dict[str, float]:
    """Recompute communities from the follow graph and store them; returns timings."""
    from townsquare.actions.feeds import store_communities

    w = w or current()
    start = time.perf_counter()
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(follows.c.account_id, follows.c.target_account_id))
                ).all()
    loaded = time.perf_counter()
    edges = np.array(rows, dtype=np.int64).reshape(-1, 2)
    result = detect(edges[:, 0], edges[:, 1], w)
    computed = time.perf_counter()
    known = [(a, c, 1.0) for a, c in result.known_for.items()]
    interests = [(u, c, s) for u, cs in result.interests.items() for c, s in cs.items()]
    await store_communities(ctx, known_for=known, interests=interests,
                            producers=len(known), users=len(result.interests),
                            communities=result.count, seconds=computed - loaded,
                            params=dict(w.communities))
    done = time.perf_counter()
    return {"edges": float(len(rows)), "producers": float(len(known)),
            "communities": float(result.count), "load_s": loaded - start,
            "compute_s": computed - loaded, "store_s": done - computed}
