"""Coordinated behaviour: accounts acting on the same thing within seconds or minutes, far more
often than their activity and the thing's popularity would make happen by chance.

Input is a flat table of actions (account, kind, target, time); output is groups of accounts
with the evidence for each link. Pure NumPy/SciPy, no database: the job in campaigns.py feeds
it rows, the evaluation harness feeds it a synthetic network.

Method (after Pacheco et al., ICWSM 2021, and CooRnet):

1. Co-actions. Two accounts co-act when they act on the same target (a near-duplicate text
   cluster, a reposted or liked post, a hashtag, a poll choice) in the same time window of
   `WINDOWS[kind]` seconds. Two grids offset by half a window are used, so actions less than
   half a window apart always meet. Crowded windows (a viral post's first minute) are split
   into classes of about `MAX_GROUP` accounts by a hash of the account, which bounds the work
   and keeps the same accounts together across targets.
2. Null model. For a candidate pair the expected number of co-actions under chance is
   popularity-adjusted: E(a, b) = (d_b * A_a + d_a * A_b) / 2, where d is an account's number of
   actions of that kind and A_a = sum over a's targets of n_t * q_t / D (n_t actors of target t,
   q_t the share of its actor pairs that fall in one window, D all actions; the two accounts
   compared are left out of n_t). People who share
   many popular posts get a large expectation, so sharing them is not suspicious.
3. Links. A pair is linked when it co-acted on at least `MIN_COACTIONS[kind]` distinct targets,
   at least `RATIO` times the expectation, with a Poisson tail probability below
   `FAMILY_ALPHA` divided by the number of candidate pairs tested (Bonferroni).
4. Campaigns. Connected components of the linked graph with at least `MIN_SIZE` accounts,
   after peeling members with a single link (a lone chance link cannot pull a person in).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.stats import poisson

KINDS = ("text", "reblog", "favourite", "tag", "vote")
TEXT, REBLOG, FAVOURITE, TAG, VOTE = range(5)
WINDOWS = {TEXT: 600.0, REBLOG: 120.0, FAVOURITE: 120.0, TAG: 600.0, VOTE: 120.0}
MIN_COACTIONS = {TEXT: 2, REBLOG: 3, FAVOURITE: 3, TAG: 3, VOTE: 2}
OCCASIONS = {TAG: 1200.0}  # kinds whose target is split into occasions of this many seconds
RATIO = 5.0
FAMILY_ALPHA = 0.01  # chance of any false link, split over the candidate pairs tested
MIN_SIZE = 3
MAX_GROUP = 100


@dataclass
class Actions:
    """Columns of actions; `target` ids are unique within a kind."""

    account: np.ndarray  # int64
    kind: np.ndarray  # int8, index into KINDS
    target: np.ndarray  # int64
    ts: np.ndarray  # float64, seconds

    @classmethod
    def empty(cls) -> Actions:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int64),
                   np.zeros(0, np.float64))

    @classmethod
    def concat(cls, parts: list[Actions]) -> Actions:
        parts = [p for p in parts if len(p.account)] or [cls.empty()]
        return cls(np.concatenate([p.account for p in parts]).astype(np.int64),
                   np.concatenate([p.kind for p in parts]).astype(np.int8),
                   np.concatenate([p.target for p in parts]).astype(np.int64),
                   np.concatenate([p.ts for p in parts]).astype(np.float64))


@dataclass
class Link:
    a: int
    b: int
    kind: int
    observed: int
    expected: float
    p_value: float


@dataclass
class Campaign:
    members: list[int]
    links: list[Link] = field(default_factory=list)

    @property
    def score(self) -> float:
        return float(sum(link.observed for link in self.links))

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for link in self.links:
            out[KINDS[link.kind]] = out.get(KINDS[link.kind], 0) + link.observed
        return out


def _group_pairs(group: np.ndarray, acct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j) index pairs, i < j, of rows sharing a group id (rows sorted by group)."""
    n = len(group)
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    cand = np.arange(n - 1)
    d = 1
    while len(cand):
        cand = cand[cand + d < n]
        cand = cand[group[cand] == group[cand + d]]
        if len(cand):
            firsts.append(cand)
            seconds.append(cand + d)
        d += 1
    if not firsts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    i = np.concatenate(firsts)
    j = np.concatenate(seconds)
    keep = acct[i] != acct[j]
    return i[keep], j[keep]


def _coactions(acct: np.ndarray, target: np.ndarray, ts: np.ndarray, window: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (a, b, target) with a < b acting on target within a shared window."""
    out_a: list[np.ndarray] = []
    out_b: list[np.ndarray] = []
    out_t: list[np.ndarray] = []
    for offset in (0.0, window / 2):
        bucket = np.floor((ts + offset) / window).astype(np.int64)
        # One row per (target, bucket, account): its first action there.
        order = np.lexsort((ts, acct, bucket, target))
        t, b, a, s = target[order], bucket[order], acct[order], ts[order]
        first = np.concatenate(([True], (t[1:] != t[:-1]) | (b[1:] != b[:-1])
                                | (a[1:] != a[:-1])))
        t, b, a, s = t[first], b[first], a[first], s[first]
        # Groups: (target, bucket). A crowded group is split into ceil(size / MAX_GROUP)
        # classes by a hash of the account, so the same accounts meet again on every crowded
        # target of that size (a big campaign is found as several campaigns, not lost).
        order = np.lexsort((a, b, t))
        t, b, a = t[order], b[order], a[order]
        new = np.concatenate(([True], (t[1:] != t[:-1]) | (b[1:] != b[:-1])))
        gid = np.cumsum(new) - 1
        size = np.bincount(gid)[gid]
        classes = -(-size // MAX_GROUP)
        with np.errstate(over="ignore"):
            mixed = (a.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)
        cls = (mixed % classes.astype(np.uint64)).astype(np.int64)
        order = np.lexsort((cls, gid))
        t, a, gid, cls = t[order], a[order], gid[order], cls[order]
        group = np.cumsum(np.concatenate(([True], (gid[1:] != gid[:-1]) | (cls[1:] != cls[:-1]))))

        i, j = _group_pairs(group, a)
        out_a.append(np.minimum(a[i], a[j]))
        out_b.append(np.maximum(a[i], a[j]))
        out_t.append(t[i])
    a_all = np.concatenate(out_a)
    b_all = np.concatenate(out_b)
    t_all = np.concatenate(out_t)
    if len(a_all) == 0:
        return a_all, b_all, t_all
    stacked = np.unique(np.stack([a_all, b_all, t_all], axis=1), axis=0)
    return stacked[:, 0], stacked[:, 1], stacked[:, 2]


def find_links(actions: Actions, *, ratio: float = RATIO,
               family_alpha: float = FAMILY_ALPHA) -> list[Link]:
    found: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for kind in range(len(KINDS)):
        mask = actions.kind == kind
        if mask.sum() < 2:
            continue
        acct, target, ts = actions.account[mask], actions.target[mask], actions.ts[mask]
        if kind in OCCASIONS:
            # A hashtag is used again and again: each 20 minutes of it are a separate occasion.
            # (Targets are re-numbered densely first: ids may be 64-bit snowflakes.)
            dense = np.unique(target, return_inverse=True)[1].astype(np.int64).ravel()
            target = dense * 1_000_000 + (ts // OCCASIONS[kind]).astype(np.int64) % 1_000_000
        a, b, t = _coactions(acct, target, ts, WINDOWS[kind])
        if len(a) == 0:
            continue
        # Observed distinct co-acted targets per pair.
        pairs, counts = np.unique(np.stack([a, b], axis=1), axis=0, return_counts=True)
        cand = counts >= MIN_COACTIONS[kind]
        if not cand.any():
            continue
        # Popularity-adjusted expectation (module docstring, step 2).
        targets_u, tinv = np.unique(target, return_inverse=True)
        # n_t: distinct actors per target; q_t: share of its actor pairs that co-acted.
        at = np.unique(np.stack([acct, tinv], axis=1), axis=0)
        n_t = np.bincount(at[:, 1], minlength=len(targets_u)).astype(np.float64)
        c_t = np.bincount(np.searchsorted(targets_u, t),
                          minlength=len(targets_u)).astype(np.float64)
        possible = np.maximum(n_t * (n_t - 1) / 2, 1)
        q_t = np.minimum(c_t / possible, 1.0)
        total = float(len(at))
        # Leave the pair out: of a target's actors, the two accounts compared do not count.
        contrib = np.maximum(n_t[at[:, 1]] - 2, 0) * q_t[at[:, 1]] / total
        accounts_u, ainv = np.unique(at[:, 0], return_inverse=True)
        big_a = np.bincount(ainv, weights=contrib)
        deg = np.bincount(ainv).astype(np.float64)
        pa = np.searchsorted(accounts_u, pairs[cand, 0])
        pb = np.searchsorted(accounts_u, pairs[cand, 1])
        expected = (deg[pb] * big_a[pa] + deg[pa] * big_a[pb]) / 2
        observed = counts[cand]
        pval = poisson.sf(observed - 1, np.maximum(expected, 1e-12))
        found.append((kind, pairs[cand], observed, expected, pval))
    # Bonferroni over every candidate pair tested, so big networks need stronger evidence.
    alpha = family_alpha / max(sum(len(f[1]) for f in found), 1)
    links: list[Link] = []
    for kind, pairs_k, observed, expected, pval in found:
        ok = (observed >= ratio * expected) & (pval < alpha)
        for (x, y), o, e, p in zip(pairs_k[ok], observed[ok], expected[ok], pval[ok],
                                   strict=True):
            links.append(Link(int(x), int(y), kind, int(o), float(e), float(p)))
    return links


def campaigns_from_links(links: list[Link], *, min_size: int = MIN_SIZE) -> list[Campaign]:
    if not links:
        return []
    nodes = np.unique(np.array([[lk.a, lk.b] for lk in links]).ravel())
    index = {int(n): i for i, n in enumerate(nodes)}
    pair_set = {(lk.a, lk.b) for lk in links}
    # Peel accounts with a single distinct neighbour, repeatedly (step 4).
    alive = set(index)
    while True:
        degree: dict[int, int] = {}
        for x, y in pair_set:
            if x in alive and y in alive:
                degree[x] = degree.get(x, 0) + 1
                degree[y] = degree.get(y, 0) + 1
        drop = {n for n in alive if degree.get(n, 0) < 2}
        if not drop:
            break
        alive -= drop
    kept = [(x, y) for x, y in pair_set if x in alive and y in alive]
    if not kept:
        return []
    src = np.array([index[x] for x, _ in kept])
    dst = np.array([index[y] for _, y in kept])
    graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list[int]] = {}
    for n in alive:
        groups.setdefault(int(labels[index[n]]), []).append(n)
    out: list[Campaign] = []
    for members in groups.values():
        if len(members) < min_size:
            continue
        member_set = set(members)
        out.append(Campaign(sorted(members), [lk for lk in links
                                              if lk.a in member_set and lk.b in member_set]))
    out.sort(key=lambda c: -c.score)
    return out


def detect(actions: Actions) -> list[Campaign]:
    return campaigns_from_links(find_links(actions))
