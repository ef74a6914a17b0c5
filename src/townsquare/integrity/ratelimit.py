"""Rate limits per account and per IP for posting, following, liking, voting, signing up and
logging in, as an ASGI middleware.

Fixed windows counted in Redis when TOWNSQUARE_REDIS_URL is set (one atomic Lua script: INCR,
and PEXPIRE on the first hit, so every process shares the counts), in memory otherwise.
Limited routes answer with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` (ISO 8601, as Mastodon); a refused request gets HTTP 429,
`{"error": "Too many requests"}` and `Retry-After` (seconds), and never reaches the handler.

Configuration: TOWNSQUARE_RATE_LIMITS=off disables them (benchmarks); otherwise a
comma-separated list overrides defaults, e.g. `statuses=300/10800,signup_ip=5/1800`
(`name=count/seconds`, names as in DEFAULTS).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

# name -> (count, seconds). Per-account limits as Mastodon's defaults (300 posts / 3 h...);
# per-IP limits allow a household or a classroom behind one address; sign-ups are tight.
DEFAULTS: dict[str, tuple[int, int]] = {
    "statuses": (300, 3 * 3600),
    "statuses_ip": (1500, 3 * 3600),
    "follows": (400, 24 * 3600),
    "follows_ip": (2000, 24 * 3600),
    "favourites": (1000, 3600),  # likes and reposts
    "favourites_ip": (5000, 3600),
    "votes": (300, 3600),
    "votes_ip": (1500, 3600),
    "signup_ip": (30, 1800),
    "login_ip": (100, 300),
}

# (method, path pattern) -> limit group. Groups apply per account (`group`) when a token or
# session identifies one and per IP (`group_ip`).
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/api/v1/statuses/?$"), "statuses"),
    ("POST", re.compile(r"^/statuses/?$|^/compose/?$"), "statuses"),
    ("POST", re.compile(r"^/api/v1/accounts/[^/]+/follow/?$"), "follows"),
    ("POST", re.compile(r"^/api/v1/statuses/[^/]+/(favourite|reblog)/?$"), "favourites"),
    ("POST", re.compile(r"^/api/v1/polls/[^/]+/votes/?$"), "votes"),
    ("POST", re.compile(r"^/api/v1/accounts/?$|^/signup/?$"), "signup"),
    ("POST", re.compile(r"^/oauth/token/?$|^/login/?$|^/oauth/authorize/?$"), "login"),
]
ANONYMOUS_GROUPS = {"signup", "login"}  # only per IP

# Every counter a request touches, in one round trip (a post counts per account and per IP).
_LUA = """
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[i]) end
  out[#out + 1] = n
  out[#out + 1] = redis.call('PTTL', key)
end
return out
"""


def limits_from_env(env: dict[str, str] | None = None) -> dict[str, tuple[int, int]] | None:
    """None when disabled; otherwise the defaults with the environment's overrides."""
    raw = (env if env is not None else os.environ).get("TOWNSQUARE_RATE_LIMITS", "").strip()
    if raw.lower() in ("off", "0", "false", "no"):
        return None
    limits = dict(DEFAULTS)
    for part in filter(None, (p.strip() for p in raw.split(","))):
        name, _, value = part.partition("=")
        count, _, seconds = value.partition("/")
        if name.strip() not in DEFAULTS or not count.isdigit() or not seconds.isdigit():
            raise ValueError(f"TOWNSQUARE_RATE_LIMITS: bad entry {part!r} "
                             f"(name=count/seconds; names: {', '.join(DEFAULTS)})")
        limits[name.strip()] = (int(count), int(seconds))
    return limits


@dataclass
class Hit:
    count: int
    reset_at: float  # unix seconds


class MemoryCounter:
    def __init__(self, max_keys: int = 100_000) -> None:
        self.windows: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self.max_keys = max_keys

    async def hit_many(self, keys: list[tuple[str, int]]) -> list[Hit]:
        return [await self.hit(key, seconds) for key, seconds in keys]

    async def hit(self, key: str, seconds: int) -> Hit:
        now = time.time()
        count, reset = self.windows.get(key, (0, 0.0))
        if reset <= now:
            count, reset = 0, now + seconds
        count += 1
        self.windows[key] = (count, reset)
        self.windows.move_to_end(key)
        while len(self.windows) > self.max_keys:
            self.windows.popitem(last=False)
        return Hit(count, reset)


class RedisCounter:
    def __init__(self, url: str, prefix: str = "ts:") -> None:
        import redis.asyncio as aioredis

        self.prefix = prefix  # TOWNSQUARE_REDIS_PREFIX: apps sharing a Redis keep apart
        self.client: Any = aioredis.from_url(url)
        self.script: Any = self.client.register_script(_LUA)

    async def hit(self, key: str, seconds: int) -> Hit:
        return (await self.hit_many([(key, seconds)]))[0]

    async def hit_many(self, keys: list[tuple[str, int]]) -> list[Hit]:
        """Count one hit on each key (window `seconds`), all in one script call."""
        got = await self.script(keys=[f"{self.prefix}rl:{k}" for k, _ in keys],
                                args=[seconds * 1000 for _, seconds in keys])
        now = time.time()
        out = []
        for (_, seconds), count, ttl_ms in zip(keys, got[::2], got[1::2], strict=True):
            ttl = int(ttl_ms) if int(ttl_ms) > 0 else seconds * 1000
            out.append(Hit(int(count), now + ttl / 1000))
        return out


_METHODS = frozenset(m for m, _, _ in ROUTES)
_GROUPS: dict[tuple[str, str], str | None] = {}  # (method, path) -> group, as found


def _group(method: str, path: str) -> str | None:
    if method not in _METHODS:  # every limited route is a POST: the rest pass at once
        return None
    key = (method, path)
    if key in _GROUPS:
        return _GROUPS[key]
    found = None
    for m, pattern, group in ROUTES:
        if m == method and pattern.match(path):
            found = group
            break
    if len(_GROUPS) > 10_000:  # paths with ids in them: keep the table bounded
        _GROUPS.clear()
    _GROUPS[key] = found
    return found


_SESSION_RE = re.compile(r"(?:^|;\s*)townsquare_session=([^;]+)")


def _credential(scope: Scope) -> str | None:
    """Who is acting: the bearer token or the web session cookie, as sent (one account)."""
    auth = cookie = b""
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            auth = value
        elif name == b"cookie":
            cookie = value
    token = auth.decode("latin-1")
    if token[:7].lower() == "bearer " and token[7:].strip():
        return token[7:].strip()
    match = _SESSION_RE.search(cookie.decode("latin-1")) if cookie else None
    return match.group(1) if match else None


def _hashed(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()



class RateLimit:
    """ASGI middleware; settings come from the environment (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: dict[str, tuple[int, int]] | None = None,
                 redis_url: str | None = None, enabled: bool | None = None,
                 redis_prefix: str = "ts:") -> None:
        self.app = app
        env_limits = limits_from_env()
        self.limits = limits if limits is not None else env_limits
        if enabled is False:
            self.limits = None
        url = redis_url if redis_url is not None else os.environ.get("TOWNSQUARE_REDIS_URL", "")
        self.counter: MemoryCounter | RedisCounter = RedisCounter(url, redis_prefix) if url \
            else MemoryCounter()
        self._accounts: OrderedDict[str, int | None] = OrderedDict()
        # credential as sent -> its counter key: a token's account never changes
        self._keys: OrderedDict[str, str] = OrderedDict()

    async def _key_of(self, scope: Scope, credential: str) -> str:
        key = self._keys.get(credential)
        if key is None:
            key = await self._account_key(scope, _hashed(credential))
            self._keys[credential] = key
            while len(self._keys) > 50_000:
                self._keys.popitem(last=False)
        return key

    async def _account_key(self, scope: Scope, identity: str) -> str:
        """Per account, not per token: the token's (or session's) account id, cached."""
        if identity in self._accounts:
            account = self._accounts[identity]
        else:
            account = None
            app = scope.get("app")
            ctx = getattr(getattr(app, "state", None), "ctx", None)
            if ctx is not None:
                from sqlalchemy import select

                from townsquare.store.tables import tokens

                async with ctx.db.read() as conn:
                    account = (await conn.execute(select(tokens.c.account_id).where(
                        tokens.c.token_hash == identity))).scalar_one_or_none()
            self._accounts[identity] = account
            while len(self._accounts) > 50_000:
                self._accounts.popitem(last=False)
        return f"account:{account}" if account is not None else f"token:{identity}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limits is None:
            await self.app(scope, receive, send)
            return
        group = _group(scope["method"], scope["path"])
        if group is None:
            await self.app(scope, receive, send)
            return
        checks: list[tuple[str, str]] = []
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        if group not in ANONYMOUS_GROUPS:
            credential = _credential(scope)
            if credential is not None and group in self.limits:
                checks.append((group, await self._key_of(scope, credential)))
        ip_group = group + "_ip"
        if ip_group in self.limits:
            checks.append((ip_group, f"ip:{ip}"))
        worst: tuple[int, int, float] | None = None  # limit, remaining, reset
        refused = False
        hits = await self.counter.hit_many(
            [(f"{name}:{who}", self.limits[name][1]) for name, who in checks]) if checks else []
        for (name, _), hit in zip(checks, hits, strict=True):
            limit = self.limits[name][0]
            remaining = max(limit - hit.count, 0)
            if hit.count > limit:
                refused = True
            if worst is None or remaining < worst[1]:
                worst = (limit, remaining, hit.reset_at)
        if worst is None:
            await self.app(scope, receive, send)
            return
        limit, remaining, reset_at = worst
        reset_iso = datetime.fromtimestamp(reset_at, UTC).isoformat(timespec="milliseconds") \
            .replace("+00:00", "Z")
        headers = [(b"x-ratelimit-limit", str(limit).encode()),
                   (b"x-ratelimit-remaining", str(remaining).encode()),
                   (b"x-ratelimit-reset", reset_iso.encode())]
        if refused:
            retry = max(int(reset_at - time.time() + 0.999), 1)
            body = json.dumps({"error": "Too many requests"}).encode()
            await send({"type": "http.response.start", "status": 429, "headers": [
                *headers, (b"retry-after", str(retry).encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).extend(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
