"""The periodic jobs a running townsquare has (poll endings, and more as issues land)."""

from __future__ import annotations

from townsquare.context import Context


def register_jobs(ctx: Context) -> None:
    """Hook for periodic jobs; each domain adds its own here."""
    return None
