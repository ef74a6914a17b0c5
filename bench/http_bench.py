"""Core HTTP benchmark: the home timeline and posting, beside hello-world, over real HTTP.

    python bench/http_bench.py [--database-url postgresql://...] [--redis-url redis://...]
        [--workers N] [--job-workers M] [--cases hello,home,post] [--accounts 200]
        [--follows 50] [--posts 20] [--connections 16] [--duration 8] [--runs 3] [--write]

Seeds a network in-process through the action functions (accounts, each following
`--follows` others, `--posts` posts each, fanned out as posting does), then starts the real
server (`townsquare serve`: uvicorn; `--workers N` web processes) on a loopback port and
measures, with several concurrent keep-alive connections (`--cases` picks a subset; every case
runs against the same server, so its ratio to hello stays honest with N processes):

  (a) GET  /api/v1/townsquare/hello   the hello-world JSON of the same stack (the baseline)
  (b) GET  /api/v1/timelines/home     20 posts, authenticated, round-robin over every user
  (c) POST /api/v1/statuses           a new post fanned out to its author's ~50 followers
  (d) the home timeline again at half its measured throughput (paced requests on a few
      connections), for the latency the target sets at half load (p50 < 5 ms, p99 < 25 ms)

The load generator is `wrk` (with a Lua script for the per-user Authorization header) when it
is installed, otherwise a small asyncio client on raw sockets. Each endpoint is measured
`--runs` times; the table shows medians. `--write` puts the table, the machine and the
command into docs/benchmarks.md under "Core HTTP". A benchmark, not a test: nothing asserts.
On PostgreSQL a throwaway database is created on the given server and dropped afterwards.

`--redis-url` is the scaled configuration: the server gets TOWNSQUARE_REDIS_URL (Redis
timelines, jobs on Redis Streams) under a prefix of its own, `--job-workers` `townsquare
worker` processes consume the fan-out, every home timeline is built first (pushes only land in
timelines that exist), and after the posting case the bench waits for the job backlog to clear
and says how long that took (posting is only sustained if the workers keep up).

*Server CPU* is the CPU of the web process(es) per request (the supervisor and every child);
with workers, their CPU per request is shown beside it, and on PostgreSQL the CPU of the
database's backends serving the bench database.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Core HTTP"

WRK_SCRIPT = r"""
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local method = os.getenv("BENCH_METHOD")
local path = os.getenv("BENCH_PATH")
local i = math.random(#tokens)
local n = 0
request = function()
  i = i % #tokens + 1
  n = n + 1
  local headers = {["Authorization"] = "Bearer " .. tokens[i]}
  local body = nil
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    body = '{"status": "benchmark post ' .. n .. ' #bench"}'
  end
  return wrk.format(method, path, headers, body)
end
done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "p50": %f, "p99": %f, "errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.errors.status))
end
"""


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float = 0.0  # the web process(es)' CPU time per request
    worker_cpu_ms: float = 0.0  # the job workers' (scaled configuration)
    db_cpu_ms: float = 0.0  # PostgreSQL's backends serving the bench database
    drain_s: float = 0.0  # after the run, until the job backlog was empty


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) a process and all its descendants have used so far
    (Linux /proc; with `serve --workers N` the web processes are children of uvicorn's
    supervisor)."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = _stat(int(name))
        if fields is None:
            continue
        children.setdefault(int(fields[1]), []).append(int(name))  # fields[1]: the parent
        cpu[int(name)] = int(fields[11]) + int(fields[12])
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += cpu.get(p, 0)
        todo.extend(children.get(p, ()))
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu(database: str | None) -> dict[int, int]:
    """CPU ticks used so far by each PostgreSQL backend connected to `database`."""
    out: dict[int, int] = {}
    if not database:
        return out
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue
        if not cmd.startswith("postgres:") or f" {database} " not in cmd:
            continue
        fields = _stat(int(name))
        if fields is not None:
            out[int(name)] = int(fields[11]) + int(fields[12])
    return out


def postgres_cpu_since(before: dict[int, int], after: dict[int, int]) -> float:
    """Seconds of backend CPU between two readings. A backend that closed in between (the
    pools' overflow connections) is not counted, so this is a lower bound."""
    ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
    return ticks / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- seeding (in-process)

async def seed(database_url: str, data_dir: Path, accounts: int, follows: int,
               posts: int) -> list[str]:
    """The network, through the actions; returns one token per account."""
    from townsquare.actions.accounts import NewAccount, create_account
    from townsquare.actions.oauth import issue_token
    from townsquare.actions.relationships import follow
    from townsquare.actions.statuses import NewStatus, create_status
    from townsquare.config import Settings
    from townsquare.context import build_context
    from townsquare.store.migrate import upgrade

    upgrade(database_url)
    settings = Settings(data_dir=data_dir, database_url=database_url, argon2_time_cost=1,
                        argon2_memory_cost=1024, secret_key="bench")
    ctx = build_context(settings)
    rng = random.Random(1)
    started = time.monotonic()
    try:
        ids = [await create_account(ctx, NewAccount(username=f"user{i}",
                                                    email=f"user{i}@bench.example",
                                                    password="benchmark password"))
               for i in range(accounts)]
        tokens = [(await issue_token(ctx, None, a, ["read", "write", "follow"]))[1]
                  for a in ids]
        print(f"seed: {accounts} accounts ({time.monotonic() - started:.0f} s)", flush=True)
        for n, a in enumerate(ids):
            for b in rng.sample([x for x in ids if x != a], min(follows, accounts - 1)):
                await follow(ctx, a, b)
            if n % 50 == 49:
                print(f"seed: follows of {n + 1} accounts ({time.monotonic() - started:.0f} s)",
                      flush=True)
        for round_ in range(posts):
            for i, a in enumerate(ids):
                await create_status(ctx, a, NewStatus(
                    text=f"post {round_} of user{i}: #bench {rng.random():.6f}"))
            if round_ % 5 == 4:
                print(f"seed: {round_ + 1} posts each ({time.monotonic() - started:.0f} s)",
                      flush=True)
        await ctx.jobs.drain()
    finally:
        await ctx.jobs.stop()
        await ctx.db.dispose()
    return tokens


# ---------------------------------------------------------------- load generators

def run_wrk(url: str, method: str, path: str, tokens_file: Path, connections: int,
            duration: float, script: Path) -> Result:
    env = {**os.environ, "BENCH_TOKENS": str(tokens_file), "BENCH_METHOD": method,
           "BENCH_PATH": path}
    done = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(duration))}s",
         "--timeout", "10s", "-s", str(script), url + path],
        env=env, capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    data = json.loads(line[len("BENCH "):])
    return Result(data["requests"] / data["seconds"], data["p50"], data["p99"],
                  data["errors"] + data["non2xx"])


async def _connection(host: str, port: int, method: str, path: str, tokens: list[str],
                      deadline: float, latencies: list[float], errors: list[int],
                      offset: int, interval: float = 0.0) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    n = offset
    next_at = time.perf_counter() + interval * (offset % 97) / 97  # spread the connections
    try:
        while time.perf_counter() < deadline:
            if interval:  # paced: one request per interval (sent late if the last was slow)
                wait = next_at - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                next_at += interval
            n += 1
            token = tokens[n % len(tokens)]
            body = (b'{"status": "benchmark post %d #bench"}' % n) if method == "POST" else b""
            head = (f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n"
                    + ("Content-Type: application/json\r\n" if body else "") + "\r\n")
            t0 = time.perf_counter()
            writer.write(head.encode() + body)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if not status_line.split(b" ")[1].startswith(b"2"):
                errors.append(1)
    finally:
        writer.close()


def run_asyncio(url: str, method: str, path: str, tokens: list[str], connections: int,
                duration: float, rate: float = 0.0) -> Result:
    """Closed loop (each connection sends as soon as it has its answer), or with `rate`,
    paced to that many requests per second over all connections."""
    host, port = url.split("://", 1)[1].split(":")
    interval = connections / rate if rate else 0.0
    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> float:
        start = time.perf_counter()
        deadline = start + duration
        await asyncio.gather(*(_connection(host, int(port), method, path, tokens, deadline,
                                           latencies, errors, i * 7919, interval)
                               for i in range(connections)))
        return time.perf_counter() - start

    seconds = asyncio.run(main())
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Result(len(latencies) / seconds, pct(0.5), pct(0.99), len(errors))


# ---------------------------------------------------------------- the run

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pg_admin(url: str, sql: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)

    async def run() -> None:
        conn = await asyncpg.connect(host=u.host, port=u.port or 5432,
                                     user=u.username or "postgres", password=u.password,
                                     database=u.database)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def machine() -> str:
    cpus = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    model = ""
    if shutil.which("lscpu"):
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    return f"{cpus} CPUs ({model or 'unknown model'}), Python {sys.version.split()[0]}"


CASES = {
    "hello": ("hello", "GET", "/api/v1/townsquare/hello"),
    "home": ("home timeline (20 posts)", "GET", "/api/v1/timelines/home?limit=20"),
    "post": ("post a status (fan-out)", "POST", "/api/v1/statuses"),
}


class Server:
    """`townsquare serve` (N web processes) and, scaled, `townsquare worker`s."""

    def __init__(self, args: Any, tmp: Path, database_url: str, url: str, port: int,
                 redis_prefix: str) -> None:
        # Posting limits raised (not switched off: the middleware does the same work), so
        # that a fast run does not hit the 1,500 posts per IP per 3 h from the one bench IP.
        env = {**os.environ, "TOWNSQUARE_PUBLIC_URL": url, "TOWNSQUARE_SECRET_KEY": "bench",
               "TOWNSQUARE_RATE_LIMITS": "statuses=1000000/10800,statuses_ip=1000000/10800",
               "TOWNSQUARE_DATA_DIR": str(tmp), "TOWNSQUARE_DATABASE_URL": database_url}
        if args.redis_url:
            env.update(TOWNSQUARE_REDIS_URL=args.redis_url, TOWNSQUARE_REDIS_PREFIX=redis_prefix)
        else:
            env.pop("TOWNSQUARE_REDIS_URL", None)
        cmd = [sys.executable, "-m", "townsquare.cli", "serve", "--port", str(port),
               "--data-dir", str(tmp), "--database-url", database_url, "--log-level", "warning"]
        if args.workers > 1:
            cmd += ["--workers", str(args.workers)]
        self.web = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        self.workers = [subprocess.Popen(
            [sys.executable, "-m", "townsquare.cli", "worker", "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(args.job_workers if args.redis_url else 0)]

    def web_cpu(self) -> float:
        return process_cpu(self.web.pid)

    def worker_cpu(self) -> float:
        return sum(process_cpu(w.pid) for w in self.workers)

    def stop(self) -> None:
        for p in [self.web, *self.workers]:
            p.terminate()
        for p in [self.web, *self.workers]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def job_backlog(redis_url: str, prefix: str) -> int:
    """Fan-out jobs not yet acknowledged by the workers (unread plus in progress)."""
    import redis

    r = redis.Redis.from_url(redis_url)
    try:
        groups = r.xinfo_groups(prefix + "jobs")
    except redis.ResponseError:
        return 0
    finally:
        r.close()
    for g in groups:
        if g["name"].decode() == prefix + "workers":
            return int(g.get("lag") or 0) + int(g["pending"])
    return 0


def drop_redis_keys(redis_url: str, prefix: str) -> None:
    import redis

    r = redis.Redis.from_url(redis_url)
    try:
        batch = list(r.scan_iter(match=prefix + "*", count=10_000))
        for i in range(0, len(batch), 1000):
            r.unlink(*batch[i:i + 1000])
    finally:
        r.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="postgresql://... (default SQLite)")
    parser.add_argument("--redis-url", default="", help="redis://... (scaled: Redis timelines "
                        "and jobs, with --job-workers `townsquare worker` processes)")
    parser.add_argument("--workers", type=int, default=1,
                        help="web processes (`townsquare serve --workers N`)")
    parser.add_argument("--job-workers", type=int, default=1,
                        help="`townsquare worker` processes (with --redis-url)")
    parser.add_argument("--cases", default="hello,home,post",
                        help="comma-separated subset of hello,home,post (default all; the "
                        "half-load row comes with home)")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--follows", type=int, default=50)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=8, help="seconds per measurement")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--client", choices=["auto", "wrk", "asyncio"], default="auto")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--keep", metavar="DIR", help="seed once and start each later run from "
                        "a copy (SQLite: a file in DIR; PostgreSQL: a template database "
                        "townsquare_bench_seed_*, tokens in DIR) for quicker iterations")
    args = parser.parse_args()
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk")
                                                        else "asyncio")
    wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in CASES]
    if unknown or not wanted:
        parser.error(f"--cases: choose from {', '.join(CASES)} (got {args.cases!r})")
    cases = [CASES[c] for c in CASES if c in wanted]

    tmp = Path(tempfile.mkdtemp(prefix="townsquare-bench-"))
    pg_name = None
    if args.database_url.startswith("postgres"):
        from sqlalchemy.engine import make_url

        pg_name = f"townsquare_bench_{uuid.uuid4().hex[:8]}"
        pg_admin(args.database_url, f'CREATE DATABASE "{pg_name}"')
        database_url = make_url(args.database_url).set(database=pg_name).render_as_string(
            hide_password=False)
        backend = "PostgreSQL"
    else:
        database_url = f"sqlite:///{tmp / 'townsquare.db'}"
        backend = "SQLite"
    if args.redis_url:
        backend += " + Redis"
    if args.workers > 1:
        backend += f", {args.workers} web processes"
    redis_prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    server = None
    results: dict[str, list[Result]] = {name: [] for name, _, _ in cases}
    try:
        seed_name = f"seed-{args.accounts}-{args.follows}-{args.posts}"
        kept = Path(args.keep) / (seed_name if pg_name is None else "pg-" + seed_name) \
            if args.keep else None
        # PostgreSQL keeps the seeded database as a template on the same server (one per
        # --keep directory).
        keep_tag = hashlib.sha256(str(Path(args.keep or ".").resolve()).encode()).hexdigest()
        template = f"townsquare_bench_{seed_name.replace('-', '_')}_{keep_tag[:6]}"
        if kept is not None and (kept / "tokens.json").exists():
            if pg_name is None:
                shutil.copy(kept / "townsquare.db", tmp / "townsquare.db")
            else:
                pg_admin(args.database_url, f'DROP DATABASE "{pg_name}"')
                pg_admin(args.database_url, f'CREATE DATABASE "{pg_name}" TEMPLATE "{template}"')
            tokens = json.loads((kept / "tokens.json").read_text())
        else:
            tokens = asyncio.run(seed(database_url, tmp, args.accounts, args.follows,
                                      args.posts))
            if kept is not None:
                kept.mkdir(parents=True, exist_ok=True)
                if pg_name is None:
                    shutil.copy(tmp / "townsquare.db", kept / "townsquare.db")
                else:
                    pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{template}"')
                    pg_admin(args.database_url,
                             f'CREATE DATABASE "{template}" TEMPLATE "{pg_name}"')
                (kept / "tokens.json").write_text(json.dumps(tokens))
        tokens_file = tmp / "tokens.txt"
        tokens_file.write_text("\n".join(tokens) + "\n")
        script = tmp / "bench.lua"
        script.write_text(WRK_SCRIPT)

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = Server(args, tmp, database_url, url, port, redis_prefix)
        import httpx

        for _ in range(300):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        if args.redis_url:  # build every home timeline, so that pushes land (as in use)
            with httpx.Client(base_url=url, timeout=30) as c:
                for t in tokens:
                    c.get("/api/v1/timelines/home?limit=1",
                          headers={"Authorization": f"Bearer {t}"})

        def measure(method: str, path: str, connections: int, rate: float = 0.0,
                    force_asyncio: bool = False) -> Result:
            assert server is not None
            web0, work0, db0 = server.web_cpu(), server.worker_cpu(), postgres_cpu(pg_name)
            if client == "wrk" and not force_asyncio:
                res = run_wrk(url, method, path, tokens_file, connections, args.duration,
                              script)
            else:
                res = run_asyncio(url, method, path, tokens, connections, args.duration,
                                  rate=rate)
            if args.redis_url and method == "POST":  # sustained only if the workers keep up
                t0 = time.monotonic()
                while job_backlog(args.redis_url, redis_prefix) and time.monotonic() - t0 < 120:
                    time.sleep(0.05)
                res.drain_s = time.monotonic() - t0
            n = max(1, round(res.rps * args.duration))
            res.cpu_ms = (server.web_cpu() - web0) * 1000 / n
            res.worker_cpu_ms = (server.worker_cpu() - work0) * 1000 / n
            res.db_cpu_ms = postgres_cpu_since(db0, postgres_cpu(pg_name)) * 1000 / n
            return res

        def show(run: int, name: str, res: Result) -> None:
            extra = ""
            if args.redis_url:
                extra += f", workers {res.worker_cpu_ms:.2f} ms/request"
            if pg_name:
                extra += f", PostgreSQL {res.db_cpu_ms:.2f} ms/request"
            if res.drain_s:
                extra += f", job backlog cleared {res.drain_s:.1f} s after the run"
            print(f"run {run + 1}: {name}: {res.rps:.0f} req/s, p50 {res.p50_ms:.1f} ms, "
                  f"p99 {res.p99_ms:.1f} ms, errors {res.errors}, "
                  f"server CPU {res.cpu_ms:.2f} ms/request{extra}", flush=True)

        for run in range(args.runs):
            for name, method, path in cases:
                res = measure(method, path, args.connections)
                results[name].append(res)
                show(run, name, res)
        if "home" in wanted:
            # Latency at half the measured home throughput: fewer connections, paced requests.
            home_name, home_path = CASES["home"][0], CASES["home"][2]
            half_rate = statistics.median(r.rps for r in results[home_name]) / 2
            half_conns = max(1, min(4, args.connections // 4))
            half_name = (f"home timeline at half load ({half_rate:,.0f} req/s offered, "
                         f"{half_conns} connections)")
            results[half_name] = []
            for run in range(args.runs):
                res = measure("GET", home_path, half_conns, rate=half_rate, force_asyncio=True)
                results[half_name].append(res)
                show(run, half_name, res)
    finally:
        if server is not None:
            server.stop()
        if pg_name is not None:
            pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        if args.redis_url:
            drop_redis_keys(args.redis_url, redis_prefix)
        shutil.rmtree(tmp, ignore_errors=True)

    hello_rps = statistics.median(r.rps for r in results["hello"]) if "hello" in results \
        else 0.0
    head = (f"| endpoint ({backend}) | req/s | p50 ms | p99 ms | vs hello | errors "
            "| server CPU ms/request |")
    rule = "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    if args.redis_url:
        head += " workers CPU ms/request | job backlog cleared after (s) |"
        rule += " ---: | ---: |"
    if pg_name:
        head += " PostgreSQL CPU ms/request |"
        rule += " ---: |"
    lines = [head, rule]
    for name, rs in results.items():
        rps = statistics.median(r.rps for r in rs)
        ratio = "-" if name.startswith("home timeline at half") or not hello_rps \
            else f"{rps / hello_rps:.1%}"
        line = (f"| {name} | {rps:,.0f} | {statistics.median(r.p50_ms for r in rs):.1f} | "
                f"{statistics.median(r.p99_ms for r in rs):.1f} | "
                f"{ratio} | {sum(r.errors for r in rs)} | "
                f"{statistics.median(r.cpu_ms for r in rs):.2f} |")
        if args.redis_url:
            line += (f" {statistics.median(r.worker_cpu_ms for r in rs):.2f} |"
                     f" {max(r.drain_s for r in rs):.1f} |")
        if pg_name:
            line += f" {statistics.median(r.db_cpu_ms for r in rs):.2f} |"
        lines.append(line)
    table = "\n".join(lines)
    print()
    print(table)
    print(f"load average {os.getloadavg()[0]:.1f}, {os.getloadavg()[1]:.1f}, "
          f"{os.getloadavg()[2]:.1f}")
    if args.write:
        command = "python bench/http_bench.py " + " ".join(
            a for a in sys.argv[1:] if not a.startswith(("postgresql", "redis")))
        write_doc(backend, table, args, client, command)
    return 0


def write_doc(backend: str, table: str, args: Any, client: str, command: str) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = "load average {:.1f}, {:.1f}, {:.1f} at the end".format(*os.getloadavg())
    body = (f"### {backend}\n\n{table}\n\n"
            f"{when}; {machine()}; {load}. Network: {args.accounts} accounts each following "
            f"{args.follows}, {args.posts} posts each. Server: `townsquare serve` (uvicorn, "
            f"{args.workers} web process{'es' if args.workers > 1 else ''}) on loopback; "
            f"load: {client}, {args.connections} keep-alive connections, "
            f"{args.duration:g} s per measurement, median of {args.runs} runs (the half-load "
            f"row: the asyncio client, requests paced at half the measured home throughput); "
            f"the load generator shares the machine's CPUs with the server. "
            f"Command: `{command}`.\n")
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if HEADING not in text:
        text = text.rstrip() + (
            f"\n\n{HEADING}\n\nRequests per second and latency of the home timeline and of "
            "posting over real HTTP, beside the hello-world endpoint of the same stack "
            "measured in the same run (`bench/http_bench.py`).\n")
    start = text.index(HEADING) + len(HEADING)
    nxt = text.find("\n## ", start)
    section, rest = (text[start:], "") if nxt < 0 else (text[start:nxt], text[nxt:])
    marker = f"### {backend}\n"
    if marker in section:  # replace this backend's previous figures
        a = section.index(marker)
        b = section.find("\n### ", a + 1)
        section = section[:a] + body + ("" if b < 0 else section[b:])
    else:
        section = section.rstrip() + "\n\n" + body
    DOC.write_text(text[:start] + section.rstrip() + "\n" + rest)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    sys.exit(main())
