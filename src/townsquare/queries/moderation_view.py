"""What moderation and each person's own choices do to a page of statuses.

Applied inside `load_statuses`, so every read path (timelines, threads, search, notifications,
account pages, ranked feeds) gets the same treatment, in at most three extra queries:
- removed posts and posts of suspended accounts are left out (authors still see their own
  removed post, marked as such);
- labels (platform and subscribed labelers) are attached; per label the reader's choice of
  show / warn / hide applies (warn = Mastodon's `filtered` with action "warn", which clients
  show as a click-through; hide = left out);
- moderator interstitials become a "warn" filter result, and the post is marked sensitive;
- the reader's muted words (filters v2) warn or hide, optionally except for people they follow;
- posts the reader hid are left out;
(The reader's subscriptions, label choices and hidden posts arrive with the viewer state read
by queries/statuses.py, so this costs one query for labels, plus one for muted words only
when the reader has any.)
- a post with limited reach says so on the post itself, to everyone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.model.clock import iso, utc
from townsquare.moderation.policy import LABELS, PLATFORM_LABELER
from townsquare.store.fast import Hot
from townsquare.store.tables_moderation import (
    filter_keywords,
    filters,
    labeler_definitions,
    labels,
)


@dataclass
class Overlay:
    drop: set[int] = field(default_factory=set)
    filtered: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    sensitive: set[int] = field(default_factory=set)
    townsquare: dict[int, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))


def _filter_result(fid: str, title: str, action: str, context: list[str],
                   expires_at: str | None = None, keywords: list[str] | None = None,
                   matches: list[str] | None = None) -> dict[str, Any]:
    return {
        "filter": {"id": fid, "title": title, "context": context, "expires_at": expires_at,
                   "filter_action": action, "keywords": [], "statuses": []},
        "keyword_matches": matches if matches else None,
        "status_matches": None,
    }


ALL_CONTEXTS = ["home", "notifications", "public", "thread", "account"]

# Built once (every status page runs it): only the bound values change between requests.
LABELS_QUERY = (
    select(labels.c.labeler_id, labels.c.value, labels.c.status_id, labels.c.account_id,
           labels.c.decision_id, labeler_definitions.c.description,
           labeler_definitions.c.default_setting)
    .outerjoin(labeler_definitions, (labeler_definitions.c.labeler_id == labels.c.labeler_id)
               & (labeler_definitions.c.value == labels.c.value))
    .where(labels.c.removed_at.is_(None),
           labels.c.labeler_id.in_(bindparam("labelers", expanding=True)),
           or_(labels.c.status_id.in_(bindparam("sids", expanding=True)),
               labels.c.account_id.in_(bindparam("aids", expanding=True))))
)
_LABELS_HOT = Hot(LABELS_QUERY)  # run on the driver (store/fast.py)


@dataclass
class ViewerChoices:
    """The reader's own moderation choices, read with the rest of the viewer's state."""

    subscribed: set[int] = field(default_factory=set)  # labeler ids
    prefs: dict[tuple[int, str], str] = field(default_factory=dict)  # (labeler, value) -> setting
    hidden: set[int] = field(default_factory=set)  # status ids
    has_filters: bool = False


async def overlay(conn: AsyncConnection, now: datetime, rows: dict[int, Any],
                  viewer_id: int | None, viewer_following: set[int],
                  choices: ViewerChoices | None, context: str | None = None) -> Overlay:
    out = Overlay()
    if not rows:
        return out
    status_ids = set(rows)
    author_ids = {r.account_id for r in rows.values()}

    for sid, row in rows.items():
        if row.mod_removed and row.account_id != viewer_id:
            out.drop.add(sid)
        if row.mod_removed or row.mod_limited or row.author_limited or row.mod_interstitial:
            out.townsquare[sid]["moderation"] = {
                "removed": bool(row.mod_removed),
                "reach_limited": bool(row.mod_limited or row.author_limited),
                "interstitial": bool(row.mod_interstitial),
                "log": f"/api/v1/townsquare/transparency/log?status_id={sid}",
            }
        if row.quote_detached is not None:
            out.townsquare[sid]["quote_detached"] = {
                "status_id": str(row.quote_detached),
                "reason": "the quoted post's author detached it from this quote"}
        if row.mod_interstitial:
            out.sensitive.add(sid)
            out.filtered[sid].append(_filter_result(
                "moderation", "Content warning from the moderators", "warn", ALL_CONTEXTS))

    subscribed: set[int] = {PLATFORM_LABELER}
    prefs: dict[tuple[int, str], str] = {}
    if choices is not None:
        subscribed |= choices.subscribed
        prefs = choices.prefs
        out.drop |= choices.hidden & status_ids

    label_rows = await _LABELS_HOT.all(conn, {
        "labelers": list(subscribed), "sids": list(status_ids), "aids": list(author_ids)})
    by_status: dict[int, list[Any]] = defaultdict(list)
    by_account: dict[int, list[Any]] = defaultdict(list)
    for lr in label_rows:
        if lr.status_id is not None:
            by_status[lr.status_id].append(lr)
        else:
            by_account[lr.account_id].append(lr)
    for sid, row in rows.items():
        attached = by_status.get(sid, []) + by_account.get(row.account_id, [])
        if not attached:
            continue
        shown = []
        for lr in attached:
            platform = LABELS.get(lr.value) if lr.labeler_id == PLATFORM_LABELER else None
            description = platform.description if platform else (lr.description or lr.value)
            default = platform.default_setting if platform else (lr.default_setting or "warn")
            setting = prefs.get((lr.labeler_id, lr.value), default)
            shown.append({"value": lr.value, "labeler_id": str(lr.labeler_id),
                          "description": description, "setting": setting,
                          "on": "status" if lr.status_id is not None else "account",
                          "decision_id": str(lr.decision_id) if lr.decision_id else None})
            if row.account_id == viewer_id:
                continue  # authors always see their own posts, with the labels on them
            if setting == "hide":
                out.drop.add(sid)
            elif setting == "warn":
                out.filtered[sid].append(_filter_result(
                    f"label:{lr.labeler_id}:{lr.value}", f"Label: {lr.value}", "warn",
                    ALL_CONTEXTS))
        out.townsquare[sid]["labels"] = shown

    if viewer_id is not None and choices is not None and choices.has_filters:
        await _keyword_filters(conn, now, rows, viewer_id, viewer_following, context, out)
    return out


async def _keyword_filters(conn: AsyncConnection, now: datetime, rows: dict[int, Any],
                           viewer_id: int, viewer_following: set[int], context: str | None,
                           out: Overlay) -> None:
    found = (await conn.execute(
        select(filters, filter_keywords.c.keyword, filter_keywords.c.whole_word)
        .join(filter_keywords, filter_keywords.c.filter_id == filters.c.id)
        .where(filters.c.account_id == viewer_id,
               or_(filters.c.expires_at.is_(None), filters.c.expires_at > now))
    )).all()
    if not found:
        return
    grouped: dict[int, list[Any]] = defaultdict(list)
    for r in found:
        if context is None or context in r.context:
            grouped[r.id].append(r)
    for rows_of_filter in grouped.values():
        first = rows_of_filter[0]
        patterns = [(r.keyword, re.compile(
            (r"(?<!\w)" + re.escape(r.keyword) + r"(?!\w)") if r.whole_word
            else re.escape(r.keyword), re.IGNORECASE)) for r in rows_of_filter]
        for sid, row in rows.items():
            if row.account_id == viewer_id:
                continue
            if first.except_following and row.account_id in viewer_following:
                continue
            haystack = f"{row.spoiler_text}\n{row.text}"
            matches = [kw for kw, rx in patterns if rx.search(haystack)]
            if not matches:
                continue
            if first.filter_action == "hide":
                out.drop.add(sid)
            else:
                out.filtered[sid].append(_filter_result(
                    str(first.id), first.title, first.filter_action, list(first.context),
                    iso(utc(first.expires_at)) if first.expires_at else None,
                    matches=matches))
