"""Profile the home timeline in-process: per-request time and queries beside hello-world.

    python bench/profile_home.py [--database-url URL] [--requests 300] [--profile]
        [--keep DIR]

Seeds a small network through the actions (bench/http_bench.py's seed), then requests
`/api/v1/timelines/home` as every user in turn through the ASGI app (no sockets), and prints
the median time per request, queries per request and the ratio to hello-world. `--profile`
runs the same loop under pyinstrument (`pip install pyinstrument`) and prints where the time
goes. `--keep DIR` seeds a SQLite network into DIR once and reuses it on later runs (quicker
iterations). A benchmark and a profiling aid, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
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

ROUNDS = 6

async def timed(client: httpx.AsyncClient, path: str, tokens: list[str],
                n: int, cpu: list[float] | None = None) -> list[float]:
    """Wall ms of each request; appends the CPU ms per request of the batch to `cpu` (CPU
    time is what a loaded machine distorts least)."""
    out = []
    started = time.process_time()
    for i in range(n):
        h = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
        t = time.perf_counter()
        r = await client.get(path, headers=h)
        out.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{path}: {r.status_code} {r.text[:200]}")
    if cpu is not None:
        cpu.append((time.process_time() - started) * 1000 / n)
    return out


async def main(args: argparse.Namespace) -> None:
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ts-prof-"))
    url = args.database_url or f"sqlite:///{tmp}/prof.db"
    saved = tmp / "tokens.json"
    if args.keep and not args.database_url and saved.exists():
        tokens = json.loads(saved.read_text())
    else:
        tmp.mkdir(parents=True, exist_ok=True)
        tokens = await seed(url, tmp, args.accounts, args.follows, args.posts)
        if args.keep and not args.database_url:
            saved.write_text(json.dumps(tokens))
    settings = Settings(data_dir=tmp, database_url=url, public_url="http://bench",
                        redis_url=args.redis_url)
    app = create_app(settings, start_jobs=False)
    ctx = app.state.ctx
    gc.collect()
    gc.freeze()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        await timed(client, "/api/v1/timelines/home", tokens, len(tokens))  # warm
        hello: list[float] = []
        home: list[float] = []
        hello_cpu: list[float] = []
        home_cpu: list[float] = []
        batch = max(1, args.requests // ROUNDS)
        home_queries = 0
        for _ in range(ROUNDS):  # interleaved, so both see the same machine
            hello += await timed(client, "/api/v1/townsquare/hello", tokens, batch, hello_cpu)
            with ctx.db.counting() as counter:
                home += await timed(client, "/api/v1/timelines/home", tokens, batch, home_cpu)
            home_queries += counter[0]
        queries = home_queries / (batch * ROUNDS)
        ch, cm = statistics.median(hello_cpu), statistics.median(home_cpu)
        if args.profile:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.0002, async_mode="enabled")
            prof.start()
            await timed(client, "/api/v1/timelines/home", tokens, args.requests)
            prof.stop()
            print(prof.output_text(unicode=False, color=False, show_all=False))
    h, m = statistics.median(hello), statistics.median(home)
    print(f"hello {h:.2f} ms, home {m:.2f} ms (p99 {sorted(home)[int(len(home) * .99)]:.2f}), "
          f"{queries:.1f} queries per page, home/hello time {m / h:.1f}x")
    print(f"CPU per request: hello {ch:.2f} ms, home {cm:.2f} ms, home/hello {cm / ch:.1f}x")
    await ctx.db.dispose()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url")
    p.add_argument("--redis-url")
    p.add_argument("--accounts", type=int, default=60)
    p.add_argument("--follows", type=int, default=30)
    p.add_argument("--posts", type=int, default=10)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--keep", metavar="DIR", help="seed SQLite into DIR once, reuse it after")
    asyncio.run(main(p.parse_args()))
