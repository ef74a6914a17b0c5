"""(placeholder) the demo square."""

from __future__ import annotations

from townsquare.config import Settings


async def fill_demo(settings: Settings, *, quiet: bool = True, seed: int = 7) -> None:
    raise NotImplementedError("the demo square is being written")
