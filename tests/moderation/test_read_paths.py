"""Removals, suspensions, hidden labels and muted words hold on every read path, not just
when a single post is fetched: timelines, tag, account pages, threads, search, notifications,
bookmarks and favourites."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Client, User
from tests.moderation.test_decisions import moderator


async def everywhere(client: Client, reader: User, author: User, tag: str,
                     word: str) -> dict[str, list[str]]:
    """Status ids the reader sees on each read path."""
    async def ids(path: str, **params: Any) -> list[str]:
        r = await client.get(path, as_=reader, params=params or None)
        assert r.status_code == 200, (path, r.text)
        body = r.json()
        if path.endswith("/search"):
            body = body["statuses"]
        if path.endswith("/notifications"):
            return [n["status"]["id"] for n in body if n.get("status")]
        return [s["id"] for s in body]

    return {
        "home": await ids("/api/v1/timelines/home"),
        "public": await ids("/api/v1/timelines/public"),
        "tag": await ids(f"/api/v1/timelines/tag/{tag}"),
        "account": await ids(f"/api/v1/accounts/{author.id}/statuses"),
        "search": await ids("/api/v2/search", q=word, type="statuses"),
        "notifications": await ids("/api/v1/notifications"),
        "bookmarks": await ids("/api/v1/bookmarks"),
        "favourites": await ids("/api/v1/favourites"),
    }


async def setup(client: Client) -> tuple[User, User, dict[str, Any], dict[str, Any]]:
    author = await client.user("author")
    reader = await client.user("reader")
    await client.follow(reader, author)
    post = await client.post_status(author, "@reader zebra facts #topic")
    # the reader answers, so the post is an ancestor in that reply's thread
    root = await client.post_status(reader, "@author really?", in_reply_to_id=post["id"])
    for action in ("bookmark", "favourite"):
        r = await client.post(f"/api/v1/statuses/{post['id']}/{action}", as_=reader)
        assert r.status_code == 200, r.text
    return author, reader, root, post


async def test_the_setup_is_visible_everywhere_first(client: Client) -> None:
    author, reader, root, post = await setup(client)
    seen = await everywhere(client, reader, author, "topic", "zebra")
    for path, found in seen.items():
        assert post["id"] in found, path
    context = (await client.get(f"/api/v1/statuses/{root['id']}/context", as_=reader)).json()
    assert post["id"] in [s["id"] for s in context["ancestors"]]


@pytest.mark.parametrize("kind", ["remove", "suspend"])
async def test_removed_or_suspended_is_gone_everywhere(client: Client, kind: str) -> None:
    author, reader, root, post = await setup(client)
    mo = await moderator(client, "mo")
    body = {"kind": kind, "facts": "Unlawful.", "ground_type": "rule", "ground_reference": "1"}
    body.update({"status_id": post["id"]} if kind == "remove" else {"account_id": str(author.id)})
    assert (await client.post("/api/v1/townsquare/moderation/decisions", as_=mo,
                              json=body)).status_code == 200
    seen = await everywhere(client, reader, author, "topic", "zebra")
    for path, found in seen.items():
        assert post["id"] not in found, path
    context = (await client.get(f"/api/v1/statuses/{root['id']}/context", as_=reader)).json()
    assert post["id"] not in [s["id"] for s in context["ancestors"]]


async def test_hidden_label_and_muted_word_hold_everywhere(client: Client) -> None:
    author, reader, _root, post = await setup(client)
    mo = await moderator(client, "mo")
    await client.post("/api/v1/townsquare/moderation/decisions", as_=mo, json={
        "kind": "label", "label": "spam", "status_id": post["id"], "facts": "Bulk.",
        "ground_type": "rule", "ground_reference": "3"})
    await client.put("/api/v1/townsquare/label_preferences", as_=reader,
                     json={"labeler_id": "0", "value": "spam", "setting": "hide"})
    for path, found in (await everywhere(client, reader, author, "topic", "zebra")).items():
        assert post["id"] not in found, path
    await client.put("/api/v1/townsquare/label_preferences", as_=reader,
                     json={"labeler_id": "0", "value": "spam", "setting": "show"})
    r = await client.post("/api/v2/filters", as_=reader, json={
        "title": "no zebras", "context": ["home", "public", "thread", "account", "notifications"],
        "filter_action": "hide", "keywords_attributes": [{"keyword": "zebra"}]})
    assert r.status_code == 200, r.text
    for path, found in (await everywhere(client, reader, author, "topic", "zebra")).items():
        assert post["id"] not in found, path
