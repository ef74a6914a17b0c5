"""Profile posting in-process: per-post time and queries beside hello-world.

    python bench/profile_post.py [--database-url URL] [--redis-url URL] [--posts 300]
        [--concurrency 1] [--profile] [--seed-cache DIR]

Seeds a small network through the actions (bench/http_bench.py's seed; by default 150
accounts each following 100, so a post reaches ~100 followers), then posts
`POST /api/v1/statuses` ("benchmark post N #bench", as bench/http_bench.py's load does) as
every user in turn through the ASGI app (no sockets), and prints the median time per post,
queries per post (the request's own, and with `--redis-url` the fan-out job's too: a worker
runs beside the app in the same process, and every home timeline is built first so that
pushes land) and the ratio to hello-world. `--concurrency N` keeps N posts in flight
(posts/s is then the figure to read). `--profile` runs the posting loop under pyinstrument
and prints where the time goes. Rate limits are raised out of the way (their check still
runs). A benchmark and a profiling aid, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import seed

from townsquare.app import create_app
from townsquare.config import Settings

os.environ.setdefault("TOWNSQUARE_RATE_LIMITS",
                      "statuses=10000000/10800,statuses_ip=10000000/10800")


class Poster:
    def __init__(self, client: httpx.AsyncClient, tokens: list[str]) -> None:
        self.client = client
        self.tokens = tokens
        self.n = 0

    async def one(self, path: str, body: bool) -> float:
        self.n += 1
        h = {"Authorization": f"Bearer {self.tokens[self.n % len(self.tokens)]}"}
        t = time.perf_counter()
        if body:
            r = await self.client.post(path, headers=h,
                                       json={"status": f"benchmark post {self.n} #bench"})
        else:
            r = await self.client.get(path, headers=h)
        ms = (time.perf_counter() - t) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{path}: {r.status_code} {r.text[:200]}")
        return ms

    async def run(self, path: str, n: int, concurrency: int = 1,
                  body: bool = True) -> tuple[list[float], float]:
        """Per-request milliseconds and the wall time of the whole run."""
        out: list[float] = []
        left = n

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                out.append(await self.one(path, body))

        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return out, time.perf_counter() - t


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ts-prof-"))
    url = args.database_url or f"sqlite:///{tmp}/prof.db"
    cache = Path(args.seed_cache) if args.seed_cache else None
    if cache is not None and (cache / "tokens.txt").exists():
        if not args.database_url:  # PostgreSQL: the database at the URL is the seeded one
            shutil.copy(cache / "prof.db", tmp / "prof.db")
        tokens = (cache / "tokens.txt").read_text().split()
    else:
        tokens = await seed(url, tmp, args.accounts, args.follows, args.seed_posts)
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            if not args.database_url:
                shutil.copy(tmp / "prof.db", cache / "prof.db")
            (cache / "tokens.txt").write_text("\n".join(tokens) + "\n")
    settings = Settings(data_dir=tmp, database_url=url, public_url="http://bench",
                        redis_url=args.redis_url or "")
    app = create_app(settings, start_jobs=False)
    ctx = app.state.ctx
    await ctx.jobs.queue.start()
    stop = asyncio.Event()
    worker = None
    if ctx.jobs.queue.distributed:  # a worker beside the server, as `townsquare worker`
        worker = asyncio.create_task(ctx.jobs.queue.work(stop))
    gc.collect()
    gc.freeze()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        p = Poster(client, tokens)
        post = "/api/v1/statuses"
        for _ in range(len(tokens)):  # warm; builds every home timeline (Redis)
            await p.one("/api/v1/timelines/home", body=False)
        await p.run(post, len(tokens), args.concurrency)
        await ctx.jobs.drain()
        hello, _ = await p.run("/api/v1/townsquare/hello", args.posts, body=False)
        cpu0 = time.process_time()  # every thread of this process (the SQLite writer's too)
        with ctx.db.counting() as req_counter:
            posts, wall = await p.run(post, args.posts, args.concurrency)
        with ctx.db.counting() as job_counter:
            await ctx.jobs.drain()
        cpu = (time.process_time() - cpu0) * 1000 / args.posts
        queries = req_counter[0] / args.posts
        job_queries = job_counter[0] / args.posts
        if args.profile:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.0002, async_mode="enabled")
            prof.start()
            await p.run(post, args.posts, args.concurrency)
            await ctx.jobs.drain()
            prof.stop()
            print(prof.output_text(unicode=False, color=False, show_all=False))
    h, m = statistics.median(hello), statistics.median(posts)
    p99 = sorted(posts)[int(len(posts) * .99)]
    print(f"hello {h:.2f} ms, post {m:.2f} ms (p99 {p99:.2f}), {queries:.1f} queries per post"
          + (f" (+{job_queries:.1f} in jobs)" if job_queries else "")
          + f", post/hello time {m / h:.1f}x; {args.posts / wall:.0f} posts/s at concurrency "
          f"{args.concurrency}; CPU {cpu:.2f} ms per post (client, app and jobs, all threads)")
    stop.set()
    if worker is not None:
        await worker
    await ctx.jobs.stop()
    close = getattr(ctx.timelines, "close", None)
    if close is not None:
        await close()
    await ctx.db.dispose()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url")
    p.add_argument("--redis-url")
    p.add_argument("--accounts", type=int, default=150)
    p.add_argument("--follows", type=int, default=100)
    p.add_argument("--seed-posts", type=int, default=2)
    p.add_argument("--posts", type=int, default=300)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--seed-cache", help="seed once, keeping the tokens in this directory; "
                   "SQLite: every run starts from a copy of the seeded database; PostgreSQL: "
                   "later runs reuse the database at --database-url as it is")
    asyncio.run(main(p.parse_args()))
