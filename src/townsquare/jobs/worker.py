"""`townsquare worker`: consume the shared job queue until SIGTERM or SIGINT.

Run any number of them, on any machine that reaches the database and Redis. A worker that
dies leaves its unacknowledged jobs to the others (claimed after `claim_idle_ms`).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from townsquare.config import Settings

log = logging.getLogger("townsquare.worker")


async def run_worker(settings: Settings, concurrency: int = 32) -> None:
    from townsquare.context import build_context
    from townsquare.jobs.schedule import register_jobs

    ctx = build_context(settings)
    if not ctx.jobs.queue.distributed:
        raise SystemExit("townsquare worker needs TOWNSQUARE_REDIS_URL (without it, jobs run "
                         "inside `townsquare serve`)")
    register_jobs(ctx)
    ctx.jobs.start_periodic()  # each run taken by one worker (jobs/periodic.py)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker consuming %s", ctx.jobs.queue.broker)
    try:
        await ctx.jobs.queue.work(stop, concurrency)
    finally:
        await ctx.jobs.stop_periodic()
        close = getattr(ctx.timelines, "close", None)
        if close is not None:
            await close()
        await ctx.db.dispose()
