"""Who may see a post. The single rule every read path applies (in SQL or in Python)."""

from __future__ import annotations

from typing import Literal

Visibility = Literal["public", "unlisted", "private", "direct"]
VISIBILITIES: tuple[Visibility, ...] = ("public", "unlisted", "private", "direct")
# Visibilities whose posts anyone may read (the others need a follow or a mention).
OPEN: tuple[str, ...] = ("public", "unlisted")


def can_see(visibility: str, author_id: int, viewer_id: int | None, *, follows_author: bool,
            mentioned: bool, blocked: bool) -> bool:
    """`blocked`: the author blocks the viewer (or the viewer the author, for listings)."""
    if viewer_id is not None and viewer_id == author_id:
        return True
    if blocked:
        return False
    if visibility in OPEN:
        return True
    if viewer_id is None:
        return False
    if visibility == "private":
        return follows_author or mentioned
    return mentioned  # direct


def can_reblog(visibility: str) -> bool:
    return visibility in OPEN


def counted_publicly(visibility: str) -> bool:
    """Counters everyone sees (statuses, replies) count only posts everyone may see, so that a
    number can never reveal a followers-only or direct post."""
    return visibility in OPEN
