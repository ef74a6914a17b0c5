"""Muted words and phrases: Mastodon's filters v2, plus "except people I follow"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from townsquare.actions.errors import Invalid, NotFound
from townsquare.context import Context
from townsquare.store.db import Tx
from townsquare.store.tables_moderation import filter_keywords, filters

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("warn", "hide")
MAX_KEYWORDS = 100


@dataclass(frozen=True)
class Keyword:
    keyword: str
    whole_word: bool = True
    id: int | None = None
    destroy: bool = False


@dataclass(frozen=True)
class FilterInput:
    title: str | None = None
    context: list[str] | None = None
    filter_action: str | None = None
    expires_in: int | None = None  # seconds; 0 or None with `clear_expiry` = never
    clear_expiry: bool = False
    except_following: bool | None = None
    keywords: list[Keyword] = field(default_factory=list)


def _validate(new: FilterInput, creating: bool) -> None:
    title = new.title or ""
    if (creating or new.title is not None) and (not title.strip() or len(title) > 200):
        raise Invalid("Validation failed: title must be 1-200 characters")
    if creating or new.context is not None:
        ctxs = new.context or []
        if not ctxs or any(c not in CONTEXTS for c in ctxs):
            raise Invalid(f"Validation failed: context must be some of {', '.join(CONTEXTS)}")
    if new.filter_action is not None and new.filter_action not in ACTIONS:
        raise Invalid("Validation failed: filter_action must be warn or hide")
    if new.expires_in is not None and new.expires_in < 0:
        raise Invalid("Validation failed: expires_in must be positive")
    for k in new.keywords:
        if not k.destroy and (not k.keyword.strip() or len(k.keyword) > 200):
            raise Invalid("Validation failed: keywords must be 1-200 characters")
    if len(new.keywords) > MAX_KEYWORDS:
        raise Invalid(f"Validation failed: at most {MAX_KEYWORDS} keywords per filter")


async def _own(tx: Tx, account_id: int, filter_id: int) -> None:
    found = (await tx.execute(select(filters.c.id).where(
        filters.c.id == filter_id, filters.c.account_id == account_id))).first()
    if found is None:
        raise NotFound("Filter")


async def create_filter(ctx: Context, account_id: int, new: FilterInput) -> int:
    _validate(new, creating=True)
    now = ctx.clock.now()
    filter_id = ctx.ids.next()
    async with ctx.db.write() as tx:
        await tx.execute(insert(filters).values(
            id=filter_id, account_id=account_id, title=(new.title or "").strip(),
            context=list(dict.fromkeys(new.context or [])),
            filter_action=new.filter_action or "warn",
            except_following=bool(new.except_following),
            expires_at=now + timedelta(seconds=new.expires_in) if new.expires_in else None,
            created_at=now))
        await _apply_keywords(ctx, tx, filter_id, new.keywords)
    return filter_id


async def update_filter(ctx: Context, account_id: int, filter_id: int,
                        change: FilterInput) -> None:
    _validate(change, creating=False)
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        await _own(tx, account_id, filter_id)
        values: dict[str, object] = {}
        if change.title is not None:
            values["title"] = change.title.strip()
        if change.context is not None:
            values["context"] = list(dict.fromkeys(change.context))
        if change.filter_action is not None:
            values["filter_action"] = change.filter_action
        if change.except_following is not None:
            values["except_following"] = change.except_following
        if change.expires_in:
            values["expires_at"] = now + timedelta(seconds=change.expires_in)
        elif change.clear_expiry:
            values["expires_at"] = None
        if values:
            await tx.execute(update(filters).where(filters.c.id == filter_id).values(**values))
        await _apply_keywords(ctx, tx, filter_id, change.keywords)


async def _apply_keywords(ctx: Context, tx: Tx, filter_id: int, keywords: list[Keyword]) -> None:
    for k in keywords:
        if k.id is not None:
            owned = filter_keywords.c.filter_id == filter_id
            if k.destroy:
                await tx.execute(delete(filter_keywords).where(filter_keywords.c.id == k.id,
                                                               owned))
            else:
                await tx.execute(update(filter_keywords)
                                 .where(filter_keywords.c.id == k.id, owned)
                                 .values(keyword=k.keyword.strip(), whole_word=k.whole_word))
        elif not k.destroy:
            await tx.execute(insert(filter_keywords).values(
                id=ctx.ids.next(), filter_id=filter_id, keyword=k.keyword.strip(),
                whole_word=k.whole_word))


async def delete_filter(ctx: Context, account_id: int, filter_id: int) -> None:
    async with ctx.db.write() as tx:
        await _own(tx, account_id, filter_id)
        await tx.execute(delete(filters).where(filters.c.id == filter_id))


async def add_keyword(ctx: Context, account_id: int, filter_id: int, keyword: Keyword) -> int:
    _validate(FilterInput(keywords=[keyword]), creating=False)
    keyword_id = ctx.ids.next()
    async with ctx.db.write() as tx:
        await _own(tx, account_id, filter_id)
        await tx.execute(insert(filter_keywords).values(
            id=keyword_id, filter_id=filter_id, keyword=keyword.keyword.strip(),
            whole_word=keyword.whole_word))
    return keyword_id


async def delete_keyword(ctx: Context, account_id: int, keyword_id: int) -> None:
    async with ctx.db.write() as tx:
        row = (await tx.execute(select(filter_keywords.c.filter_id)
                                .where(filter_keywords.c.id == keyword_id))).first()
        if row is None:
            raise NotFound("Keyword")
        await _own(tx, account_id, row.filter_id)
        await tx.execute(delete(filter_keywords).where(filter_keywords.c.id == keyword_id))
