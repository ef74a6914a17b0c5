"""Labelers: any account may publish label definitions and apply them to posts or accounts.

Labels from a labeler reach only the people who subscribe to it, and each subscriber picks
show, warn or hide per label: they change what that person chose to see, nobody else's view.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, insert, select, update

from townsquare.actions.errors import Invalid, NotFound
from townsquare.context import Context
from townsquare.moderation.policy import LABEL_SETTINGS, LABELS, PLATFORM_LABELER
from townsquare.store.db import Tx
from townsquare.store.tables import accounts, statuses
from townsquare.store.tables_moderation import (
    label_preferences,
    labeler_definitions,
    labeler_subscriptions,
    labels,
)
from townsquare.store.upsert import insert_ignore

VALUE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


async def define_label(ctx: Context, labeler_id: int, value: str, description: str,
                       default_setting: str = "warn") -> None:
    if not VALUE_RE.match(value):
        raise Invalid("Validation failed: label values are 1-40 lowercase letters, digits, '-'")
    if not description.strip() or len(description) > 1000:
        raise Invalid("Validation failed: a label needs a description (1-1000 characters)")
    if default_setting not in LABEL_SETTINGS:
        raise Invalid("Validation failed: default_setting must be show, warn or hide")
    async with ctx.db.write() as tx:
        inserted = await insert_ignore(tx, labeler_definitions, [{
            "labeler_id": labeler_id, "value": value, "description": description.strip(),
            "default_setting": default_setting, "created_at": ctx.clock.now()}],
            ["labeler_id", "value"])
        if not inserted:
            await tx.execute(update(labeler_definitions).where(
                labeler_definitions.c.labeler_id == labeler_id,
                labeler_definitions.c.value == value).values(
                description=description.strip(), default_setting=default_setting))


async def _defined(tx: Tx, labeler_id: int, value: str) -> None:
    found = (await tx.execute(select(labeler_definitions.c.value).where(
        labeler_definitions.c.labeler_id == labeler_id,
        labeler_definitions.c.value == value))).first()
    if found is None:
        raise Invalid(f"Validation failed: define the label {value!r} before applying it")


async def apply_label(ctx: Context, labeler_id: int, value: str, *, status_id: int | None = None,
                      account_id: int | None = None) -> int:
    if (status_id is None) == (account_id is None):
        raise Invalid("Validation failed: label either a status_id or an account_id")
    async with ctx.db.write() as tx:
        await _defined(tx, labeler_id, value)
        if status_id is not None:
            if (await tx.execute(select(statuses.c.id).where(statuses.c.id == status_id))
                    ).first() is None:
                raise NotFound("Status")
        elif (await tx.execute(select(accounts.c.id).where(accounts.c.id == account_id))
              ).first() is None:
            raise NotFound("Account")
        label_id = ctx.ids.next()
        await tx.execute(insert(labels).values(
            id=label_id, labeler_id=labeler_id, value=value, status_id=status_id,
            account_id=account_id, created_at=ctx.clock.now()))
    return label_id


async def remove_label(ctx: Context, labeler_id: int, label_id: int) -> None:
    async with ctx.db.write() as tx:
        result = await tx.execute(update(labels).where(
            labels.c.id == label_id, labels.c.labeler_id == labeler_id,
            labels.c.decision_id.is_(None), labels.c.removed_at.is_(None))
            .values(removed_at=ctx.clock.now()))
        if not result.rowcount:
            raise NotFound("Label")


async def subscribe(ctx: Context, account_id: int, labeler_id: int, on: bool = True) -> None:
    if labeler_id == account_id:
        raise Invalid("Validation failed: your own labels always apply to you")
    async with ctx.db.write() as tx:
        if (await tx.execute(select(accounts.c.id).where(accounts.c.id == labeler_id))
                ).first() is None:
            raise NotFound("Account")
        if on:
            await insert_ignore(tx, labeler_subscriptions, [{
                "account_id": account_id, "labeler_id": labeler_id,
                "created_at": ctx.clock.now()}], ["account_id", "labeler_id"])
        else:
            await tx.execute(delete(labeler_subscriptions).where(
                labeler_subscriptions.c.account_id == account_id,
                labeler_subscriptions.c.labeler_id == labeler_id))


async def set_preference(ctx: Context, account_id: int, labeler_id: int, value: str,
                         setting: str) -> None:
    if setting not in LABEL_SETTINGS:
        raise Invalid("Validation failed: setting must be show, warn or hide")
    async with ctx.db.write() as tx:
        if labeler_id == PLATFORM_LABELER:
            if value not in LABELS:
                raise Invalid(f"Validation failed: unknown label {value!r}")
        else:
            await _defined(tx, labeler_id, value)
        inserted = await insert_ignore(tx, label_preferences, [{
            "account_id": account_id, "labeler_id": labeler_id, "value": value,
            "setting": setting}], ["account_id", "labeler_id", "value"])
        if not inserted:
            await tx.execute(update(label_preferences).where(
                label_preferences.c.account_id == account_id,
                label_preferences.c.labeler_id == labeler_id,
                label_preferences.c.value == value).values(setting=setting))
