"""A candidate post and the raw signals the ranking reads about it.

Everything the ranking needs is on this record, so a served feed can be replayed from a log
of these records alone (`to_row` / `from_row` are the log format).
"""

from __future__ import annotations

from typing import NamedTuple

SOURCES = ("in_network", "social_proof", "community", "tags")


class Candidate(NamedTuple):
    # A named tuple rather than a frozen dataclass: a page builds ~1,500 of these, and a
    # frozen dataclass's __init__ (one object.__setattr__ per field) cost ~15 us each.
    status_id: int
    author_id: int
    created_at: float  # seconds since the epoch
    source: str  # one of SOURCES: where the candidate came from
    in_network: bool  # the viewer follows the author
    is_reply: bool
    likes: int
    reblogs: int
    replies: int
    interactions: int  # the viewer's past likes, reposts and replies to the author
    show_more: int  # the viewer's "show more like this" on the author's posts
    show_less: int  # the viewer's "show less like this" on the author's posts
    social_proof: int  # accounts the viewer follows that liked or reposted the post
    community: float  # overlap of the viewer's interests and the author's communities, 0..1
    language: str | None = None
    tags: tuple[str, ...] = ()
    # The post carries a community note rated helpful (queries/notes.py); such posts are never
    # boosted (scoring.py, adjustment "community_note").  Last, so older logs still load.
    community_note: bool = False

    def to_row(self) -> list[object]:
        row: list[object] = list(self)
        row[_TAGS] = list(self.tags)
        return row

    @classmethod
    def from_row(cls, row: list[object]) -> Candidate:
        values = list(row)
        values[_TAGS] = tuple(values[_TAGS])  # type: ignore[arg-type]
        return cls(*values)  # type: ignore[arg-type]


_TAGS = 15  # position of `tags` in a log row
