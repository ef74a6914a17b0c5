"""Benchmark: a For you page (20 items) ranked from 1,500 candidates, and the communities job.

    .venv/bin/python bench/algorithm_rank.py [--accounts 100000] [--follows 30]

Ranking: the pure scoring + adjustments + explanations of the page (what a request does after
the candidate queries). Communities: `detect` on a synthetic follow graph of --accounts
accounts with --follows follows each (power-law popularity, 50 hidden topics).
Prints a table; figures go to docs/benchmarks-algorithm.md.
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np

from townsquare.algorithm.candidate import Candidate
from townsquare.algorithm.communities import detect
from townsquare.algorithm.explain import explanation
from townsquare.algorithm.scoring import rank
from townsquare.algorithm.weights import current

NOW = 1_800_000_000.0


def candidates(rng: np.random.Generator, n: int = 1500) -> list[Candidate]:
    out = []
    for i in range(n):
        in_net = bool(rng.random() < 0.5)
        out.append(Candidate(
            i + 1, int(rng.integers(0, 300)), NOW - float(rng.uniform(0, 50 * 3600)),
            "in_network" if in_net else ("social_proof", "community")[int(rng.integers(2))],
            in_net, bool(rng.random() < 0.2), int(rng.pareto(1.2) * 5), int(rng.pareto(1.5)),
            int(rng.pareto(1.5)), int(rng.poisson(1)), 0, int(rng.random() < 0.02),
            int(rng.poisson(0.5)), float(rng.random())))
    return out


def bench_rank(runs: int = 300) -> dict[str, float]:
    rng = np.random.default_rng(1)
    w = current()
    gc.collect()
    gc.freeze()  # as the server does at startup (app.py), so full collections stay short
    times = []
    cpu = time.process_time()
    cs: list[Candidate] = []
    for r in range(runs):
        cs = candidates(rng) if r % 30 == 0 else cs  # reused between refreshes
        t = time.perf_counter()
        page = rank(cs, NOW, w, 20)
        for item in page:
            explanation(item, w, feed="for_you", served_feed_id=1)
        times.append((time.perf_counter() - t) * 1000)
    cpu = (time.process_time() - cpu) * 1000 / runs
    a = np.array(times)
    return {"p50_ms": float(np.percentile(a, 50)), "p99_ms": float(np.percentile(a, 99)),
            "max_ms": float(a.max()), "cpu_ms": cpu}


def bench_communities(accounts: int, follows: int, topics: int = 50) -> dict[str, float]:
    rng = np.random.default_rng(2)
    topic = rng.integers(0, topics, accounts)
    popularity = rng.pareto(1.1, accounts) + 1
    members = [np.flatnonzero(topic == t) for t in range(topics)]
    probs = [popularity[m] / popularity[m].sum() for m in members]
    all_p = popularity / popularity.sum()
    src, dst = [], []
    for u in range(accounts):
        k = follows
        on = int(k * 0.7)
        t = topic[u]
        dst.append(rng.choice(members[t], on, p=probs[t]))
        dst.append(rng.choice(accounts, k - on, p=all_p))
        src.append(np.full(k, u))
    s, d = np.concatenate(src), np.concatenate(dst)
    t0 = time.perf_counter()
    result = detect(s, d, current())
    secs = time.perf_counter() - t0
    return {"accounts": accounts, "edges": float(len(s)), "producers": float(len(result.known_for)),
            "communities": float(result.count), "seconds": secs}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--follows", type=int, default=30)
    ap.add_argument("--rank-only", action="store_true", help="skip the communities job")
    args = ap.parse_args()
    r = bench_rank()
    print("| measure | value |\n| --- | --- |")
    print(f"| For you page from 1,500 candidates, p50 | {r['p50_ms']:.1f} ms |")
    print(f"| For you page from 1,500 candidates, p99 | {r['p99_ms']:.1f} ms |")
    print(f"| For you page from 1,500 candidates, CPU (mean) | {r['cpu_ms']:.1f} ms |")
    if args.rank_only:
        raise SystemExit(0)
    c = bench_communities(args.accounts, args.follows)
    print(f"| communities job: {c['accounts']:,} accounts, {c['edges']:,.0f} follows, "
          f"{c['producers']:,.0f} producers, {c['communities']:,.0f} communities "
          f"| {c['seconds']:.1f} s |")
