"""The integrity domain's periodic jobs."""

from __future__ import annotations

from townsquare.context import Context

DETECTION_EVERY = 3600  # seconds; each run looks at the last 24 hours


def register_integrity_jobs(ctx: Context) -> None:
    from townsquare.actions.integrity import run_detection

    ctx.jobs.every("integrity.detect", DETECTION_EVERY, lambda: run_detection(ctx))
