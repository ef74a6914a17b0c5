"""Accounts: create (CLI and registration), check a password, update the profile."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, insert, or_, select, update

from townsquare.actions.errors import Invalid
from townsquare.context import Context
from townsquare.model.text import render_plain
from townsquare.store.tables import accounts, users

USERNAME_RE = re.compile(r"^[a-zA-Z0-9_]{1,30}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESERVED = {"admin", "root", "api", "oauth", "web", "static", "media", "settings", "about",
            "instance", "townsquare", "well-known", "users", "tags", "notes"}
MIN_PASSWORD = 8


@dataclass(frozen=True)
class NewAccount:
    username: str
    email: str
    password: str
    display_name: str = ""
    bot: bool = False
    locked: bool = False
    role: str = "user"
    note: str = ""


def validate_new(new: NewAccount) -> None:
    if not USERNAME_RE.match(new.username):
        raise Invalid("Validation failed: username must be 1-30 letters, digits or underscores")
    if new.username.lower() in RESERVED:
        raise Invalid("Validation failed: username is reserved")
    if not EMAIL_RE.match(new.email) or len(new.email) > 254:
        raise Invalid("Validation failed: email is not a valid address")
    if len(new.password) < MIN_PASSWORD:
        raise Invalid(f"Validation failed: password must be at least {MIN_PASSWORD} characters")
    if len(new.password) > 1024:
        raise Invalid("Validation failed: password is too long")
    if len(new.display_name) > 100:
        raise Invalid("Validation failed: display name is too long (at most 100 characters)")


async def create_account(ctx: Context, new: NewAccount) -> int:
    validate_new(new)
    # Hash before the transaction: argon2 is deliberately slow and must not hold the writer.
    password_hash = ctx.passwords.hash(new.password)
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        taken = (await tx.execute(
            select(func.count()).select_from(accounts)
            .where(accounts.c.username_lower == new.username.lower())
        )).scalar_one()
        if taken:
            raise Invalid("Validation failed: username is already taken")
        email_taken = (await tx.execute(
            select(func.count()).select_from(users).where(users.c.email == new.email.lower())
        )).scalar_one()
        if email_taken:
            raise Invalid("Validation failed: email is already in use")
        account_id = ctx.ids.next()
        await tx.execute(insert(accounts).values(
            id=account_id, username=new.username, username_lower=new.username.lower(),
            display_name=new.display_name, note=new.note, note_html=render_plain(new.note),
            bot=new.bot, locked=new.locked, discoverable=True, role=new.role,
            followers_count=0, following_count=0, statuses_count=0,
            created_at=now, updated_at=now,
        ))
        await tx.execute(insert(users).values(
            account_id=account_id, email=new.email.lower(), password_hash=password_hash,
            locale="en", default_visibility="public", default_sensitive=False, created_at=now,
            last_active_at=now,
        ))
    return account_id


async def check_password(ctx: Context, login: str, password: str) -> int | None:
    """The account id for a username-or-email and password, or None."""
    login = login.strip().lower().lstrip("@")
    async with ctx.db.read() as conn:
        row = (await conn.execute(
            select(users.c.account_id, users.c.password_hash, accounts.c.suspended_at)
            .join(accounts, accounts.c.id == users.c.account_id)
            .where(or_(users.c.email == login, accounts.c.username_lower == login))
        )).first()
    if row is None:
        # Spend the same time as a real check, so response time does not reveal accounts.
        try:
            ctx.passwords.verify(_DUMMY_HASH.get(ctx), password)
        except (VerifyMismatchError, InvalidHashError):
            pass
        return None
    try:
        ctx.passwords.verify(row.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    if row.suspended_at is not None:
        return None
    if ctx.passwords.check_needs_rehash(row.password_hash):
        async with ctx.db.write() as tx:
            await tx.execute(update(users).where(users.c.account_id == row.account_id)
                             .values(password_hash=ctx.passwords.hash(password)))
    account_id: int = row.account_id
    return account_id


class _DummyHash:
    def __init__(self) -> None:
        self._cache: dict[int, str] = {}

    def get(self, ctx: Context) -> str:
        key = id(ctx.passwords)
        if key not in self._cache:
            self._cache[key] = ctx.passwords.hash("not a real password")
        return self._cache[key]


_DUMMY_HASH = _DummyHash()


