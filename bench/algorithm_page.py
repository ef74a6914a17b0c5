"""Benchmark: whole For you pages (candidate queries, features, ranking, explanations,
hydration, the served-feed log) on a generated network, in-process.

    townsquare bench generate --accounts 100000 --tokens 200 --database-url URL ...
    townsquare algorithm communities --database-url URL
    .venv/bin/python bench/algorithm_page.py --database-url URL [--seed 3] [--users 200]

Signs in as the generator's bench accounts (tokens `synthetic-<seed>-<index>`), warms each
once, then requests `/api/v1/townsquare/feeds/for_you?limit=20` for every one of them and
prints p50/p99 latency and the candidates each page was ranked from. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from townsquare.algorithm.candidates import gather
from townsquare.algorithm.weights import current
from townsquare.app import create_app
from townsquare.config import Settings
from townsquare.store.tables import tokens


async def main(args: argparse.Namespace) -> None:
    settings = Settings(data_dir=Path(args.data_dir), database_url=args.database_url,
                        public_url="http://bench")
    app = create_app(settings, start_jobs=False)
    ctx = app.state.ctx
    tokens_raw = [f"synthetic-{args.seed}-{i}" for i in range(args.users)]
    async with ctx.db.read() as conn:
        owners = dict((await conn.execute(select(tokens.c.id, tokens.c.account_id))).all())
    gc.collect()
    gc.freeze()  # as the server does at startup
    times: list[float] = []
    sizes: list[int] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        for raw in tokens_raw:
            h = {"Authorization": f"Bearer {raw}"}
            r = await client.get("/api/v1/townsquare/feeds/for_you", params={"limit": 20},
                                 headers=h)
            if r.status_code != 200:
                raise SystemExit(f"{r.status_code} {r.text[:200]}")
        for raw in tokens_raw:
            h = {"Authorization": f"Bearer {raw}"}
            t = time.perf_counter()
            r = await client.get("/api/v1/townsquare/feeds/for_you", params={"limit": 20},
                                 headers=h)
            times.append((time.perf_counter() - t) * 1000)
        viewer_ids = [v for v in owners.values() if v is not None][: args.users]
        async with ctx.db.read() as conn:
            for viewer in viewer_ids[:50]:
                sizes.append(len(await gather(conn, viewer, ctx.clock.now(), current())))
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"| For you page, {len(times)} users | p50 {statistics.median(times):.1f} ms | "
          f"p99 {p99:.1f} ms | max {times[-1]:.1f} ms |")
    print(f"| candidates per page (50 users) | median {statistics.median(sizes):.0f} | "
          f"max {max(sizes)} |")
    await ctx.db.dispose()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--data-dir", default="/tmp/townsquare-bench")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--users", type=int, default=200)
    asyncio.run(main(ap.parse_args()))
