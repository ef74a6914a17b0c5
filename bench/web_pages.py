"""How fast the web pages answer on the demo square (in-process, SQLite by default).

    python bench/web_pages.py [--runs 30] [--database-url URL] [--write]

Fills a fresh demo square (src/townsquare/demo.py), signs in as its most-followed account,
then requests each page `--runs` times through the ASGI app (no sockets: this measures
the page, its queries and its template). Prints a Markdown table of median / p95 / max in
milliseconds and the queries each page ran; `--write` puts the table into docs/web.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from townsquare.actions.web_sessions import start_session
from townsquare.app import create_app
from townsquare.config import Settings
from townsquare.context import build_context
from townsquare.demo import fill_demo
from townsquare.store.migrate import upgrade
from townsquare.store.tables import accounts, polls, statuses, tags

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "web.md"
BEGIN, END = "<!-- bench:web_pages -->", "<!-- /bench:web_pages -->"


async def pick(ctx) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The pages worth timing on this square: its busiest account, thread, tag and poll."""
    async with ctx.db.read() as conn:
        star = (await conn.execute(select(accounts).order_by(
            accounts.c.followers_count.desc()).limit(1))).one()
        thread = (await conn.execute(
            select(statuses.c.id, accounts.c.username)
            .join(accounts, accounts.c.id == statuses.c.account_id)
            .where(statuses.c.visibility == "public")
            .order_by(statuses.c.replies_count.desc()).limit(1))).one()
        poll = (await conn.execute(
            select(statuses.c.id, accounts.c.username)
            .join(polls, polls.c.status_id == statuses.c.id)
            .join(accounts, accounts.c.id == statuses.c.account_id).limit(1))).first()
        tag = (await conn.execute(select(tags.c.name).limit(1))).scalar_one()
        counts = {
            "accounts": (await conn.execute(select(func.count()).select_from(accounts))
                         ).scalar_one(),
            "posts": (await conn.execute(select(func.count()).select_from(statuses))
                      ).scalar_one(),
        }
    pages = {
        "front page (signed out)": "/",
        "public timeline": "/public",
        "home timeline": "/home",
        "profile": f"/@{star.username}",
        "thread": f"/@{thread.username}/{thread.id}",
        "hashtag": f"/tags/{tag}",
        "notifications": "/notifications",
        "search": f"/search?q={star.username[:4]}",
        "followers": f"/@{star.username}/followers",
        "login form (signed out)": "/login",
        "for you (ranked, explained)": "/home?feed=for_you",
        "post's notes": f"/@{thread.username}/{thread.id}/notes",
        "algorithm": "/algorithm",
        "transparency log": "/transparency",
        "transparency report": "/transparency/report",
        "trends": "/trends",
        "campaigns": "/campaigns",
        "state-affiliated media": "/state-affiliated-media",
        "feeds": "/feeds",
        "muted words": "/settings/filters",
        "label settings": "/settings/labels",
    }
    if poll is not None:
        pages["post with poll"] = f"/@{poll.username}/{poll.id}"
    return {"star_id": str(star.id), **{f"page:{k}": v for k, v in pages.items()},
            **{f"count:{k}": str(v) for k, v in counts.items()}}


async def run(runs: int, database_url: str | None) -> tuple[str, list[tuple[str, ...]]]:
    data = Path(tempfile.mkdtemp(prefix="townsquare-bench-web-"))
    settings = Settings(data_dir=data, database_url=database_url or "",
                        secret_key="bench", argon2_time_cost=1, argon2_memory_cost=1024)
    upgrade(settings.resolved_database_url)
    await fill_demo(settings)
    ctx = build_context(settings)
    info = await pick(ctx)
    token = await start_session(ctx, int(info["star_id"]))
    app = create_app(settings, ctx=ctx, start_jobs=False)
    rows: list[tuple[str, ...]] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for key, path in info.items():
            if not key.startswith("page:"):
                continue
            name = key[5:]
            cookies = {} if "signed out" in name else {"townsquare_session": token}
            http.cookies.clear()
            for name_, value in cookies.items():
                http.cookies.set(name_, value)
            warm = await http.get(path)
            assert warm.status_code == 200, (path, warm.status_code, warm.text[:300])
            times = []
            cpu = []
            queries = 0
            for _ in range(runs):
                before = ctx.db.query_count
                c0 = time.process_time()  # all of this process's threads (SQLite's too)
                t0 = time.perf_counter()
                r = await http.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                queries = ctx.db.query_count - before
                assert r.status_code == 200
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            items = len(re.findall(r"<article|class=\"account-row\"|class=\"notification", r.text))
            rows.append((name, f"`{re.sub(r'[0-9]{6,}', '…', path)}`",
                         f"{statistics.median(times):.1f}", f"{p95:.1f}", f"{times[-1]:.1f}",
                         f"{statistics.median(cpu):.1f}",
                         str(queries), str(items), f"{len(r.content) // 1024}"))
    await ctx.db.dispose()
    backend = "PostgreSQL" if database_url and "postgres" in database_url else "SQLite"
    head = (f"{backend}, demo square ({info['count:accounts']} accounts, "
            f"{info['count:posts']} posts), {runs} requests per page after one warm-up, "
            f"in-process ASGI; Python {platform.python_version()} on {platform.machine()}, "
            f"signed in as the most-followed account; load average during the run "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores. CPU ms = median CPU time "
            f"of the process per request (all threads), which contention does not inflate.")
    return head, rows


def table(head: str, rows: list[tuple[str, ...]]) -> str:
    out = [head, "",
           "| page | path | median ms | p95 ms | max ms | CPU ms | queries | items | KiB |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    ap.add_argument("--write", action="store_true", help="put the table into docs/web.md")
    args = ap.parse_args()
    head, rows = asyncio.run(run(args.runs, args.database_url))
    text = table(head, rows)
    print(text)
    if args.write:
        doc = DOC.read_text()
        if BEGIN in doc and END in doc:
            before, rest = doc.split(BEGIN, 1)
            after = rest.split(END, 1)[1]
            DOC.write_text(f"{before}{BEGIN}\n{text}\n{END}{after}")
            print(f"written to {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
