"""The scale benchmark: a loaded synthetic square served by real processes, measured over
HTTP with wrk beside the hello-world endpoint of the same stack, in the same run.

    townsquare bench generate --accounts 10000 --data-dir /tmp/b10k      # once
    python bench/scale_run.py --config embedded --data-dir /tmp/b10k --accounts 10000
    python bench/scale_run.py --config scaled --database-url postgresql://.../b10k \
        --redis-url redis://127.0.0.1:6379/0 --accounts 10000

(or `townsquare bench run -- --config ...`). Writes bench/results/scale-<config>-<accounts>.json;
bench/scale_report.py turns all results
into docs/benchmarks-scale.md. Medians of --runs runs. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

# http_bench beside this file, also when `townsquare bench run` runs it (runpy)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import pg_admin

ROOT = Path(__file__).resolve().parents[1]
HELLO = "/api/v1/townsquare/hello"
HOME = "/api/v1/timelines/home"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(url: str, path: str, *, connections: int, seconds: int,
        tokens: list[str] | None = None, post: bool = False) -> dict[str, float]:
    """Run wrk; returns req/s and latency percentiles (ms)."""
    script = ""
    if tokens or post:
        toks = ",".join(f'"{t}"' for t in (tokens or []))
        if post:
            make = ('headers["Content-Type"] = "application/json"\n  return wrk.format("POST", "'
                    + path + '", headers, "{\\"status\\": \\"bench post " .. n .. "\\"}")')
        else:
            make = 'return wrk.format("GET", "' + path + '", headers)'
        script = ("local tokens = {" + toks + "}\nlocal n = 0\nrequest = function()\n"
                  "  n = n + 1\n  local headers = {}\n"
                  '  headers["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]\n'
                  "  " + make + "\nend\n")
    args = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
            "--latency", url + path]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    if script:
        args[5:5] = ["-s", f.name]
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30).stdout
    os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat: dict[str, float] = {}
    for pct, value, unit in re.findall(r"\s(50|90|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", out):
        lat[f"p{pct}"] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    # Connect and read errors and timeouts (2 s): such requests are in no latency figure.
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                     out)
    return {"rps": rps, **lat, "non2xx": float(errors.group(1)) if errors else 0.0,
            "socket_errors": float(sum(int(x) for x in sock.groups())) if sock else 0.0}


class Cluster:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, TOWNSQUARE_DATA_DIR=args.data_dir,
                        TOWNSQUARE_SECRET_KEY="bench", TOWNSQUARE_REDIS_PREFIX="bench:",
                        # one client IP posts for everyone, run after run: the per-IP post
                        # limit (1,500 in 3 h) would refuse the later runs' posts
                        TOWNSQUARE_RATE_LIMITS="off")
        if args.database_url:
            self.env["TOWNSQUARE_DATABASE_URL"] = args.database_url
        if args.redis_url:
            self.env["TOWNSQUARE_REDIS_URL"] = args.redis_url
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        cmd = [sys.executable, "-m", "townsquare.cli", "serve", "--port", str(self.port),
               "--log-level", "warning"]
        if self.args.web > 1:
            cmd += ["--workers", str(self.args.web)]
        self.procs.append(subprocess.Popen(cmd, env=self.env, cwd=ROOT,
                                           stdout=subprocess.DEVNULL))
        for _ in range(self.args.workers if self.args.redis_url else 0):
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "townsquare.cli", "worker", "--log-level", "warning"],
                env=self.env, cwd=ROOT))
        for _ in range(300):
            try:
                if httpx.get(self.url + HELLO).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit("server did not start")

    def rss_mb(self) -> float:
        total = 0
        for p in self.procs:
            pids = [p.pid] + [int(c) for c in subprocess.run(
                ["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()]
            for pid in pids:
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
                except (OSError, AttributeError):
                    pass
        return total / 1024

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


async def db_query(args: argparse.Namespace, sql: str) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    from townsquare.store.db import Database

    url = args.database_url or f"sqlite:///{Path(args.data_dir).resolve() / 'townsquare.db'}"
    db = Database(url)
    try:
        async with db.write() as tx:
            rows = (await tx.execute(text(sql))).all() if sql.lstrip().lower().startswith(
                "select") else (await tx.execute(text(sql)), [])[1]
        return [tuple(r) for r in rows]
    finally:
        await db.dispose()


def settle(args: argparse.Namespace, *, checkpoint: bool = True) -> None:
    """Bench hygiene on PostgreSQL: VACUUM the users table and CHECKPOINT, so that each phase
    starts from a settled database. The posting phase's UPDATE of every user leaves a dead
    row version per user (PostgreSQL here runs with autovacuum off: `SHOW autovacuum`), and
    its writes keep the checkpointer flushing for minutes (checkpoint_completion_target of a
    5-minute checkpoint_timeout), into the next run's home phase when runs follow each
    other."""
    if not args.database_url:
        return
    import asyncpg

    try:
        pg_admin(args.database_url, "VACUUM (ANALYZE) users")
        if checkpoint:
            pg_admin(args.database_url, "CHECKPOINT")
    except asyncpg.PostgresError as exc:  # e.g. a role that may not CHECKPOINT
        print(f"scale_run: could not settle the database ({exc}); measuring as it is",
              file=sys.stderr)


def token(args: argparse.Namespace, index: int) -> str:
    return f"synthetic-{args.seed}-{index}"


async def give_token(args: argparse.Namespace, account_id: int, index: int) -> None:
    """Bench setup: the generator's token scheme for an account it gave no token."""
    import hashlib

    digest = hashlib.sha256(token(args, index).encode()).hexdigest()
    await db_query(args, "INSERT INTO tokens (id, token_hash, account_id, scopes, created_at) "
                         f"VALUES ({account_id + (1 << 40)}, '{digest}', {account_id}, "
                         "'read write follow push', CURRENT_TIMESTAMP)")


async def bench_keys_mb(redis: Any) -> float:
    """Memory of this run's keys (MEMORY USAGE of every bench:* key), not the whole server."""
    total, batch = 0, []
    async for key in redis.scan_iter(match="bench:*", count=10_000):
        batch.append(key)
        if len(batch) >= 10_000:
            total += await _usage(redis, batch)
            batch = []
    return round((total + await _usage(redis, batch)) / 2**20, 1)


async def _usage(redis: Any, keys: list[str]) -> int:
    async with redis.pipeline(transaction=False) as pipe:
        for k in keys:
            pipe.memory_usage(k, samples=0)
        return sum(int(v or 0) for v in await pipe.execute())


async def posting_figures(args: argparse.Namespace, cluster: Cluster) -> dict[str, Any]:
    """Posting throughput (authors with ~100 followers), delivery time, cost by followers."""
    # Bench setup, not a server path: everyone active, every Redis timeline present, so
    # pushes do their full work.
    now = "CURRENT_TIMESTAMP"
    await db_query(args, f"UPDATE users SET last_active_at = {now}")
    await asyncio.to_thread(settle, args, checkpoint=False)  # pg_admin runs its own loop
    ids = [r[0] for r in await db_query(args, "SELECT id FROM accounts ORDER BY id")]
    index = {aid: i for i, aid in enumerate(ids)}
    redis = None
    out_mb = 0.0
    if args.redis_url:
        import redis.asyncio as aioredis

        redis = aioredis.Redis.from_url(args.redis_url, decode_responses=True)
        out_mb = await bench_keys_mb(redis)
        for k in range(0, len(ids), 50_000):
            async with redis.pipeline(transaction=False) as pipe:
                for aid in ids[k:k + 50_000]:
                    pipe.zadd(f"bench:tl:{aid}", {f"{0:020d}:0:0": 0})
                await pipe.execute()
    # Accounts with a bench token: the first --tokens indexes and (since the generator gives
    # them tokens too) the most-followed accounts, so the curve reaches the largest audience.
    has_token = {r[0] for r in await db_query(
        args, "SELECT account_id FROM tokens WHERE app_id IS NULL")}
    rows = await db_query(args, "SELECT id, followers_count FROM accounts")
    # The target's authors average 100 followers: the 200 accounts nearest 100 of all, each
    # given a bench token if it has none (the tokened ones alone averaged 49-63).
    around100 = sorted(rows, key=lambda r: (abs(r[1] - 100), r[0]))[:200]
    for aid, _ in around100:
        if aid not in has_token:
            await give_token(args, aid, index[aid])
            has_token.add(aid)
    mean_followers = statistics.mean(n for _, n in around100)
    out: dict[str, Any] = {"post_authors": len(around100),
                           "post_mean_followers": round(mean_followers, 1),
                           "load_average_posting": os.getloadavg()[0]}
    if redis is not None:
        out["redis_used_mb_after_reads"] = out_mb
    toks = [token(args, index[a]) for a, _ in around100]
    out["posting"] = wrk(cluster.url, "/api/v1/statuses", connections=args.post_connections,
                         seconds=args.seconds, tokens=toks, post=True)
    out["posting"]["connections"] = args.post_connections
    if redis is not None:  # wait for the fan-out backlog to clear; how long it took
        t0 = time.monotonic()
        while True:
            info = await redis.xinfo_groups("bench:jobs")
            left = sum(int(g.get("lag") or 0) + int(g["pending"]) for g in info)
            if left == 0 or time.monotonic() - t0 > 120:
                break
            await asyncio.sleep(0.05)
        out["posting_backlog_drain_s"] = round(time.monotonic() - t0, 2)

    # Delivery time and cost per post by follower count.
    curve = []
    async with httpx.AsyncClient(base_url=cluster.url, timeout=60) as http:
        for target in (10, 100, 1_000, 10_000, 100_000, 1_000_000):
            # Any account may be the author: the one whose audience is nearest the target
            # (the largest audience for the last), given a bench token if it has none.
            cand = min(rows, key=lambda r: (abs(r[1] - target), r[0]))
            if curve and cand[1] == curve[-1]["followers"]:
                continue
            aid, n = cand
            if aid not in has_token:
                await give_token(args, aid, index[aid])
            followers = [r[0] for r in await db_query(
                args, f"SELECT account_id FROM follows WHERE target_account_id = {aid}")]
            lat, deliver = [], []
            for k in range(args.delivery_posts):
                t0 = time.monotonic()
                r = await http.post("/api/v1/statuses", json={"status": f"curve {k}"},
                                    headers={"Authorization": f"Bearer {token(args, index[aid])}"})
                lat.append((time.monotonic() - t0) * 1000)
                if r.status_code != 200:
                    raise SystemExit(f"POST as {aid} ({n} followers): {r.status_code} {r.text}")
                sid = int(r.json()["id"])
                if redis is not None and n < args.threshold:
                    m = f"{sid:020d}:{aid}:{aid}"
                    while True:
                        async with redis.pipeline(transaction=False) as pipe:
                            for f in followers:
                                pipe.zscore(f"bench:tl:{f}", m)
                            got = await pipe.execute()
                        if all(g is not None for g in got) or time.monotonic() - t0 > 30:
                            break
                        await asyncio.sleep(0.005)
                deliver.append((time.monotonic() - t0) * 1000)
            lat.sort()
            deliver.sort()
            curve.append({"followers": n, "share": round(n / len(ids), 4),
                          "pushed": n < args.threshold,
                          "post_ms_p50": round(statistics.median(lat), 2),
                          "delivered_ms_p50": round(statistics.median(deliver), 1),
                          "delivered_ms_max": round(deliver[-1], 1)})
    out["curve"] = curve
    if redis is not None:
        out["redis_used_mb"] = await bench_keys_mb(redis)
        # the whole Redis server, which other programs on the machine may share
        out["redis_server_used_mb"] = round(
            int((await redis.info("memory"))["used_memory"]) / 2**20, 1)
        await redis.aclose()
    return out


async def network_figures(args: argparse.Namespace) -> dict[str, Any]:
    """Size of the loaded network: rows, database size, and the generator's load.json."""
    out: dict[str, Any] = {}
    for name in ("accounts", "follows", "statuses", "favourites"):
        out[name] = (await db_query(args, f"SELECT count(*) FROM {name}"))[0][0]
    out["max_followers"] = (await db_query(args, "SELECT max(followers_count) FROM accounts"))[0][0]
    if args.database_url.startswith("postgresql"):
        size = await db_query(args, "SELECT pg_database_size(current_database())")
        out["database_mb"] = round(size[0][0] / 2**20)
    else:
        out["database_mb"] = round(
            (Path(args.data_dir).resolve() / "townsquare.db").stat().st_size / 2**20)
    if args.truth_dir and (Path(args.truth_dir) / "load.json").exists():
        out["load"] = json.loads((Path(args.truth_dir) / "load.json").read_text())
    return out


def home_figures(args: argparse.Namespace, cluster: Cluster) -> dict[str, Any]:
    viewers = [token(args, i) for i in range(min(args.viewers, args.tokens))]
    t0 = time.monotonic()
    first = []
    with httpx.Client(base_url=cluster.url, timeout=60) as http:
        for tok in viewers:  # first read of each viewer: the rebuild path
            s = time.monotonic()
            r = http.get(HOME, headers={"Authorization": f"Bearer {tok}"})
            assert r.status_code == 200, r.text
            first.append((time.monotonic() - s) * 1000)
        sample = http.get(HOME, headers={"Authorization": f"Bearer {viewers[0]}"}).json()
    first.sort()
    out: dict[str, Any] = {"viewers": len(viewers), "page_len_viewer0": len(sample),
                           "rebuild_ms_p50": round(statistics.median(first), 1),
                           "rebuild_ms_p99": round(first[int(len(first) * 0.99) - 1], 1),
                           "warmup_s": round(time.monotonic() - t0, 1)}
    hello_runs, home_runs = [], []
    out["load_average_home"] = os.getloadavg()[0]
    for _ in range(args.runs):
        hello_runs.append(wrk(cluster.url, HELLO, connections=64, seconds=args.seconds))
        home_runs.append(wrk(cluster.url, HOME, connections=64, seconds=args.seconds,
                             tokens=viewers))
    out["hello"] = {k: statistics.median(r[k] for r in hello_runs) for k in hello_runs[0]}
    out["home"] = {k: statistics.median(r[k] for r in home_runs) for k in home_runs[0]}
    # Latency at about half the home throughput: fewer connections until under half.
    half = out["home"]["rps"] / 2
    for c in (1, 2, 4, 8, 16):
        res = wrk(cluster.url, HOME, connections=c, seconds=args.seconds, tokens=viewers)
        out["home_half"] = {"connections": c, **res}
        if res["rps"] >= half * 0.8:
            break
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", choices=["embedded", "scaled"], required=True)
    p.add_argument("--data-dir", default="./data")
    p.add_argument("--database-url", default="")
    p.add_argument("--redis-url", default="")
    p.add_argument("--accounts", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tokens", type=int, default=20_000)
    p.add_argument("--viewers", type=int, default=500)
    p.add_argument("--web", type=int, default=1, help="web processes")
    p.add_argument("--workers", type=int, default=1, help="job workers (scaled)")
    p.add_argument("--threshold", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--delivery-posts", type=int, default=10)
    p.add_argument("--skip-posting", action="store_true")
    p.add_argument("--post-connections", type=int, default=32,
                   help="concurrent clients posting (wrk connections)")
    p.add_argument("--truth-dir", default="",
                   help="the generator's output directory: its load.json (load time, rows, "
                        "peak memory) goes into the results")
    p.add_argument("--out", default="", help="results file (default "
                   "bench/results/scale-<config>-<accounts>.json)")
    args = p.parse_args(argv)
    if args.redis_url:
        import redis

        r = redis.Redis.from_url(args.redis_url)
        keys = list(r.scan_iter(match="bench:*", count=10_000))
        for i in range(0, len(keys), 10_000):
            r.delete(*keys[i:i + 10_000])
    settle(args)
    cluster = Cluster(args)
    cluster.start()
    result: dict[str, Any] = {"config": args.config, "accounts": args.accounts,
                              "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                              "web_processes": args.web,
                              "workers": args.workers if args.redis_url else 0,
                              "date": time.strftime("%Y-%m-%d"),
                              "load_average_start": os.getloadavg()[0],
                              # the code measured: the server runs from this working tree
                              "commit": subprocess.run(
                                  ["git", "describe", "--always", "--dirty"], cwd=ROOT,
                                  capture_output=True, text=True).stdout.strip()}
    result["network"] = asyncio.run(network_figures(args))
    try:
        result.update(home_figures(args, cluster))
        if not args.skip_posting:
            result.update(asyncio.run(posting_figures(args, cluster)))
        result["server_rss_mb"] = round(cluster.rss_mb(), 1)
        result["load_average_1m"] = os.getloadavg()[0]  # other work on the machine
    finally:
        cluster.stop()
    path = (Path(args.out) if args.out
            else ROOT / "bench" / "results" / f"scale-{args.config}-{args.accounts}.json")
    path.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
