"""`townsquare algorithm ...`: replay a served feed, run the communities job, show the
published weights, measure ranking quality on the synthetic network."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any


def _ctx(args: argparse.Namespace) -> Any:
    from townsquare.cli import _settings
    from townsquare.context import build_context

    return build_context(_settings(args))


async def replay_report(ctx: Any, served_id: int) -> dict[str, Any] | None:
    """The replay of a served feed as the command prints it (None: no such feed)."""
    from townsquare.algorithm.replay import candidates, replay
    from townsquare.algorithm.serve import load_log

    log = await load_log(ctx, served_id)
    if log is None:
        return None
    result = replay(log)
    return {
        "served_feed_id": str(served_id), "feed": log["feed"],
        "weights_version": result.weights_version, "candidates": len(candidates(log)),
        "served": [str(i) for i in result.served],
        "recomputed": [str(i) for i in result.recomputed],
        "features_match": result.features_match, "scores_match": result.scores_match,
        "identical": result.identical}


def cmd_replay(args: argparse.Namespace) -> int:
    async def run() -> dict[str, Any] | None:
        ctx = _ctx(args)
        try:
            return await replay_report(ctx, int(args.served_id))
        finally:
            await ctx.db.dispose()

    report = asyncio.run(run())
    if report is None:
        print(f"error: no served feed {args.served_id}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    return 0 if report["identical"] else 1


def cmd_communities(args: argparse.Namespace) -> int:
    from townsquare.algorithm.communities import run_job

    async def run() -> dict[str, float]:
        ctx = _ctx(args)
        try:
            return await run_job(ctx)
        finally:
            await ctx.db.dispose()

    print(json.dumps(asyncio.run(run()), indent=2))
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from townsquare.actions.feeds import rebuild_community_index

    async def run() -> int:
        ctx = _ctx(args)
        try:
            return await rebuild_community_index(ctx)
        finally:
            await ctx.db.dispose()

    print(json.dumps({"community_posts": asyncio.run(run())}))
    return 0


def cmd_weights(args: argparse.Namespace) -> int:
    from townsquare.algorithm.weights import published_text

    print(published_text(), end="")
    return 0


def cmd_quality(args: argparse.Namespace) -> int:
    from townsquare.algorithm.quality import evaluate

    for name, value in evaluate(n=args.accounts, users=args.users, seed=args.seed).items():
        print(f"{name:42s} {value:10.3f}")
    return 0


def register(subparsers: Any) -> None:
    from townsquare.cli import _common

    p = subparsers.add_parser("algorithm", help="the open algorithm: replay, communities ...")
    sub = p.add_subparsers(dest="algorithm_command", required=True)
    q = sub.add_parser("replay", help="recompute a served feed from its log; exit 1 if the "
                       "order differs")
    _common(q)
    q.add_argument("served_id", help="the served_feed_id of a ranked page")
    q.set_defaults(func=cmd_replay)
    q = sub.add_parser("communities", help="run the communities batch job on the follow graph")
    _common(q)
    q.set_defaults(func=cmd_communities)
    q = sub.add_parser("reindex", help="rebuild the community source's index of engaged "
                       "posts from scratch (the communities job also does)")
    _common(q)
    q.set_defaults(func=cmd_reindex)
    q = sub.add_parser("weights", help="print the published weights file")
    q.set_defaults(func=cmd_weights)
    q = sub.add_parser("quality", help="precision@20 on a synthetic network with hidden topics")
    q.add_argument("--accounts", type=int, default=3000)
    q.add_argument("--users", type=int, default=300)
    q.add_argument("--seed", type=int, default=1)
    q.set_defaults(func=cmd_quality)
