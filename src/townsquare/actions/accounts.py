"""Accounts: create (CLI and registration), check a password, update the profile."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

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
LOCALE_RE = re.compile(r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})?$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
PRIVACIES = ("public", "unlisted", "private")  # default post visibility a profile may choose
MAX_DISPLAY_NAME = 100
MAX_NOTE = 500


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
    locale: str = "en"


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
    if not LOCALE_RE.match(new.locale):
        raise Invalid("Validation failed: locale is not a language code")


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
            locale=new.locale, default_visibility="public", default_sensitive=False, created_at=now,
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
        with contextlib.suppress(VerifyMismatchError, InvalidHashError):
            ctx.passwords.verify(_DUMMY_HASH.get(ctx), password)
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




@dataclass(frozen=True)
class ProfileUpdate:
    """Fields of PATCH update_credentials; None = leave unchanged."""

    display_name: str | None = None
    note: str | None = None
    bot: bool | None = None
    locked: bool | None = None
    discoverable: bool | None = None
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None  # "" clears it


def validate_profile(changes: ProfileUpdate) -> None:
    """Refuse bad values before anything is written (images included)."""
    if changes.display_name is not None and len(changes.display_name) > MAX_DISPLAY_NAME:
        raise Invalid("Validation failed: display_name is too long "
                      f"(at most {MAX_DISPLAY_NAME} characters)")
    if changes.note is not None and len(changes.note) > MAX_NOTE:
        raise Invalid(f"Validation failed: note is too long (at most {MAX_NOTE} characters)")
    if changes.privacy is not None and changes.privacy not in PRIVACIES:
        raise Invalid(f"Validation failed: source[privacy] must be one of {', '.join(PRIVACIES)}")
    if changes.language and not LANGUAGE_RE.match(changes.language):
        raise Invalid("Validation failed: source[language] must be an ISO 639 language code")


async def update_profile(ctx: Context, account_id: int, changes: ProfileUpdate) -> None:
    validate_profile(changes)
    account_values: dict[str, Any] = {}
    if changes.display_name is not None:
        account_values["display_name"] = changes.display_name.strip()
    if changes.note is not None:
        account_values["note"] = changes.note
        account_values["note_html"] = render_plain(changes.note)
    for name in ("bot", "locked", "discoverable"):
        if getattr(changes, name) is not None:
            account_values[name] = getattr(changes, name)
    user_values: dict[str, Any] = {}
    if changes.privacy is not None:
        user_values["default_visibility"] = changes.privacy
    if changes.sensitive is not None:
        user_values["default_sensitive"] = changes.sensitive
    if changes.language is not None:
        user_values["default_language"] = changes.language or None
    if not account_values and not user_values:
        return
    async with ctx.db.write() as tx:
        await tx.execute(update(accounts).where(accounts.c.id == account_id)
                         .values(**account_values, updated_at=ctx.clock.now()))
        if user_values:
            await tx.execute(update(users).where(users.c.account_id == account_id)
                             .values(**user_values))

