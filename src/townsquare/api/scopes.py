"""OAuth scopes: `read write follow push`, their sub-scopes, and what satisfies what."""

from __future__ import annotations

READ = ["accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists",
        "mutes", "notifications", "search", "statuses"]
WRITE = ["accounts", "blocks", "bookmarks", "conversations", "favourites", "filters",
         "follows", "lists", "media", "mutes", "notifications", "reports", "statuses"]
TOP = ["read", "write", "follow", "push", "profile"]
# The legacy `follow` scope is the union of these.
FOLLOW_IMPLIES = {"read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows",
                  "write:mutes"}

# Moderators act with these (and their role); ordinary apps never need them.
ADMIN = ["admin:read", "admin:write"]

ALL: frozenset[str] = frozenset(
    TOP + ADMIN + [f"read:{s}" for s in READ] + [f"write:{s}" for s in WRITE]
)


def parse(raw: str | None, default: str = "read") -> list[str]:
    """Space- or plus-separated scope string to a list; unknown scopes raise ValueError."""
    text = (raw or default).replace("+", " ").replace(",", " ")
    out = list(dict.fromkeys(s for s in text.split() if s))
    unknown = [s for s in out if s not in ALL]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}")
    return out or [default]


def allows(granted: frozenset[str] | set[str], required: str) -> bool:
    if required in granted:
        return True
    top = required.split(":", 1)[0]
    if top != required and top in granted:
        return True
    return required in FOLLOW_IMPLIES and "follow" in granted


def subset(requested: list[str], allowed: list[str]) -> bool:
    """Every requested scope is covered by the app's registered scopes."""
    granted = set(allowed)
    return all(allows(granted, s) for s in requested)
