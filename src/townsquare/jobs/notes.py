"""Community notes' background work: rescoring every RESCORE_EVERY_SECONDS (bursts of ratings
start extra runs from actions.notes.rate_note, debounced)."""

from __future__ import annotations

from townsquare.context import Context


def register_notes_jobs(ctx: Context) -> None:
    from townsquare.actions.notes import RESCORE_EVERY_SECONDS, rescore

    async def scheduled() -> None:
        await rescore(ctx, trigger="schedule")

    ctx.jobs.every("notes.rescore", RESCORE_EVERY_SECONDS, scheduled)
