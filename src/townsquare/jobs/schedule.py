"""The periodic jobs a running townsquare has (poll endings, and more as issues land)."""

from __future__ import annotations

from townsquare.context import Context


def register_jobs(ctx: Context) -> None:
    """Hook for periodic jobs; each domain adds its own here."""
    from townsquare.actions.media import delete_orphan_media
    from townsquare.actions.polls import end_polls
    from townsquare.jobs.notes import register_notes_jobs

    ctx.jobs.every("polls.end", 5, lambda: end_polls(ctx))
    ctx.jobs.every("media.orphans", 3600, lambda: delete_orphan_media(ctx))
    register_notes_jobs(ctx)  # community notes rescoring (jobs/notes.py)
    __import__("townsquare.integrity.jobs").integrity.jobs.register_integrity_jobs(ctx)
