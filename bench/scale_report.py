"""Turn bench/results/scale-*.json into docs/benchmarks-scale.md (the lead merges it into
docs/benchmarks.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _f(x: Any, nd: int = 1) -> str:
    return "-" if x is None else f"{x:,.{nd}f}"


def size_table(results: list[dict[str, Any]]) -> list[str]:
    """How latency and memory grow with network size: the runs that recorded the network."""
    runs = sorted((r for r in results if "network" in r),
                  key=lambda r: (r["config"], r["accounts"]))
    if not runs:
        return []
    lines = ["", "## How latency and memory grow with network size", "",
             "Same flags for every size (`--web 1 --workers 1 --viewers 200 --runs 3 --seconds 8`; "
             "`--workers 0` embedded), measured one after the other in one session. *Load* is "
             "`townsquare bench generate` (generate + COPY + indexes and keys + VACUUM "
             "ANALYZE, not the migration) on this 2-core box; *peak RSS* is the generator's; *DB "
             "size* is right after the load (the runs then add posts and rewrite "
             "`users.last_active_at`). Home figures are "
             "for 200 bench viewers; *at half load* is the fewest connections that reach "
             "half the 64-connection throughput. *Redis MB* is after the reads (the "
             "timelines the 200 viewers built), before the posting phase's setup creates "
             "one key per account. Load average: at the home phase / at the posting phase.",
             "",
             "| config | accounts | follows | posts | likes | max followers | DB size MB "
             "| load (s) | generator peak RSS MB | hello req/s | home req/s | home/hello "
             "| home p50 / p99 ms at ~half load (conns) | first read p50 / p99 ms "
             "| posting req/s | server RSS MB | Redis MB | load avg | date |",
             "| --- " * 19 + "|"]
    for r in runs:
        net, load = r["network"], r["network"].get("load", {})
        half, hello, home = r.get("home_half", {}), r["hello"], r["home"]
        posts = load.get("rows", {}).get("statuses", net["statuses"])  # before bench posts
        db_mb = (round(load["database_bytes"] / 2**20) if "database_bytes" in load
                 else net["database_mb"])
        lines.append(
            f"| {r['config']} | {r['accounts']:,} | {net['follows']:,} | {posts:,} "
            f"| {net['favourites']:,} | {net['max_followers']:,} "
            f"| {db_mb:,} "
            f"| {_f(load.get('total_s', load.get('load_s')), 0)} "
            f"| {_f(load.get('peak_rss_mb'), 0)} | {_f(hello['rps'], 0)} | {_f(home['rps'], 0)} "
            f"| {100 * home['rps'] / hello['rps']:.1f}% "
            f"| {_f(half.get('p50'))} / {_f(half.get('p99'))} ({half.get('connections', '-')}) "
            f"| {_f(r.get('rebuild_ms_p50'))} / {_f(r.get('rebuild_ms_p99'))} "
            f"| {_f(r.get('posting', {}).get('rps'), 0)} | {_f(r.get('server_rss_mb'), 0)} "
            f"| {_f(r.get('redis_used_mb_after_reads'))} "
            f"| {_f(r.get('load_average_home'))} / {_f(r.get('load_average_posting'))} "
            f"| {r.get('date', '-')} |")
    return lines


def main() -> int:
    results = [json.loads(p.read_text())
               for p in sorted((ROOT / "bench" / "results").glob("scale-*.json"))]
    results.sort(key=lambda r: (r["config"], r["accounts"]))
    lines = ["# Scale benchmarks", "",
             "Produced by `bench/scale_run.py` (see its docstring for the commands) and "
             "`python bench/scale_report.py`. Real HTTP over loopback with wrk (2 threads, 64 "
             "connections unless said), medians of the runs; the hello endpoint "
             "(`GET /api/v1/townsquare/hello`) of the same server in the same run is the "
             "baseline. Load average is what else the shared 2-core machine was doing.", "",
             "| config | accounts | web procs | workers | hello req/s | home req/s | home/hello "
             "| home p50 / p99 ms (64 conns) | at ~half load: conns, req/s, p50 / p99 ms "
             "| first read (rebuild) p50 ms | posting req/s (mean followers) "
             "| fan-out backlog drained (s) | server RSS MB | Redis MB | load avg | date |",
             "| --- " * 16 + "|"]
    for r in results:
        hello, home, half = r["hello"], r["home"], r.get("home_half", {})
        posting = r.get("posting", {})
        lines.append(
            f"| {r['config']} | {r['accounts']:,} | {r['web_processes']} | {r['workers']} "
            f"| {_f(hello['rps'], 0)} | {_f(home['rps'], 0)} "
            f"| {100 * home['rps'] / hello['rps']:.1f}% "
            f"| {_f(home.get('p50'))} / {_f(home.get('p99'))} "
            f"| {half.get('connections', '-')}, {_f(half.get('rps'), 0)}, "
            f"{_f(half.get('p50'))} / {_f(half.get('p99'))} "
            f"| {_f(r.get('rebuild_ms_p50'))} "
            f"| {_f(posting.get('rps'), 0)} ({_f(r.get('post_mean_followers'), 0)}) "
            f"| {_f(r.get('posting_backlog_drain_s'), 2)} | {_f(r.get('server_rss_mb'), 0)} "
            f"| {_f(r.get('redis_used_mb'))} | {_f(r.get('load_average_1m'))} "
            f"| {r.get('date', '-')} |")
    lines += size_table(results)
    lines += ["", "## Cost of a post and delivery time by the author's follower count", "",
              "Sequential posts by one author (median of the posts); *delivered* is from "
              "sending the post to the entry being in every follower's stored timeline "
              "(SQL: in the post's transaction; Redis: polled after the workers' fan-out). "
              "Above the threshold (10,000) nothing is pushed: the post is merged at read time, "
              "so it is visible to every follower as soon as it commits.", "",
              "| config | accounts | followers | pushed | POST p50 ms | delivered p50 ms "
              "| delivered max ms |", "| --- " * 7 + "|"]
    for r in results:
        for c in r.get("curve", []):
            share = f" ({100 * c['share']:.0f}% of accounts)" if c.get("share", 0) >= 0.1 else ""
            lines.append(f"| {r['config']} | {r['accounts']:,} | {c['followers']:,}{share} "
                         f"| {'push' if c['pushed'] else 'pull'} | {_f(c['post_ms_p50'])} "
                         f"| {_f(c['delivered_ms_p50'])} | {_f(c['delivered_ms_max'])} |")
    notes = ROOT / "bench" / "scale_notes.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    (ROOT / "docs" / "benchmarks-scale.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
