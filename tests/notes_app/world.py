"""A small square with two opposed camps of raters, built through the actions (fast)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.helpers import Client, User
from townsquare.actions import notes as actions
from townsquare.actions.statuses import NewStatus, create_status
from townsquare.notes import constants as c

LINK = "https://example.org/source"
HELPFUL_TAGS = ["helpfulGoodSources", "helpfulClear"]
NOT_HELPFUL_TAGS = ["notHelpfulIncorrect", "notHelpfulSourcesMissingOrUnreliable"]


def note_json(status_id: int | str, text: str = "Context", **kw: object) -> dict[str, object]:
    return {"status_id": str(status_id),
            "classification": kw.pop("classification", c.MISLEADING),
            "reasons": kw.pop("reasons", ["misleadingFactualError"]),
            "summary": kw.pop("summary", f"{text} {LINK}"), **kw}


async def post(client: Client, who: User, text: str, visibility: str = "public") -> int:
    return await create_status(client.ctx, who.id, NewStatus(text=text, visibility=visibility))


async def write(client: Client, writer: User, status_id: int, text: str = "Context") -> int:
    return await actions.write_note(client.ctx, writer.id, actions.NewNote(
        status_id=status_id, classification=c.MISLEADING, reasons=["misleadingFactualError"],
        summary=f"{text} {LINK}"))


async def rate(client: Client, rater: User, note_id: int, helpful: bool) -> None:
    new = (actions.NewRating(c.HELPFUL, HELPFUL_TAGS) if helpful
           else actions.NewRating(c.NOT_HELPFUL, NOT_HELPFUL_TAGS))
    await actions.rate_note(client.ctx, rater.id, note_id, new)


@dataclass
class Camps:
    poster: User
    writer: User
    left: list[User]
    right: list[User]
    posts: dict[str, int] = field(default_factory=dict)  # kind+index -> status id
    notes: dict[str, int] = field(default_factory=dict)  # kind+index -> note id


# Note kinds: both camps find it helpful, one camp only (each side), both reject it.
KINDS = {"bridging": 3, "left": 2, "right": 2, "bad": 5}
CAMP_SIZE = 5


async def two_camps(client: Client, followers: tuple[User, ...] = ()) -> Camps:
    """12 notes (one per post), 10 raters who each rate every note: 120 ratings (raters need
    10 ratings and notes 5 to take part in the published fit).
    `followers` follow the poster first (so the posts land in their home timelines)."""
    poster = await client.user("poster")
    for follower in followers:
        await client.follow(follower, poster)
    writer = await client.user("writer")
    left = [await client.user(f"left{i}") for i in range(CAMP_SIZE)]
    right = [await client.user(f"right{i}") for i in range(CAMP_SIZE)]
    w = Camps(poster, writer, left, right)
    for kind, n in KINDS.items():
        for i in range(n):
            key = f"{kind}{i}"
            w.posts[key] = await post(client, poster, f"claim {key}")
            w.notes[key] = await write(client, writer, w.posts[key], f"note {key}")
    for key, note_id in w.notes.items():
        for rater in left:
            await rate(client, rater, note_id, key.startswith(("bridging", "left")))
        for rater in right:
            await rate(client, rater, note_id, key.startswith(("bridging", "right")))
    # Ratings come before the run that scores them (a rating made after a note's status was
    # decided does not count towards rater helpfulness, as published).
    client.ctx.clock.advance(60)  # type: ignore[attr-defined]
    return w
