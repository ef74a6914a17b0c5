"""Fixtures for the web pages: browsers-in-a-test (one httpx client with its own cookies per
person) against the in-process app, on SQLite and PostgreSQL like every other test."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from starlette.applications import Starlette

from townsquare.app import create_app
from townsquare.context import Context

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


class Visitor:
    """One person's browser: cookies, and the CSRF token of the last page it saw."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""
        self.username = ""

    def _remember(self, r: httpx.Response) -> httpx.Response:
        m = CSRF_RE.search(r.text) if r.headers.get("content-type", "").startswith(
            "text/html") else None
        if m:
            self.csrf = m.group(1)
        return r

    async def get(self, path: str, *, fetch: bool = False, **kw: object) -> httpx.Response:
        headers = {"X-Requested-With": "fetch"} if fetch else {}
        return self._remember(await self.http.get(path, headers=headers, **kw))  # type: ignore[arg-type]

    async def post(self, path: str, data: dict[str, object] | None = None, *,
                   fetch: bool = False, csrf: str | None = None) -> httpx.Response:
        if not self.csrf and csrf is None:
            await self.get("/login")
        form = {"csrf_token": self.csrf if csrf is None else csrf, **(data or {})}
        headers = {"X-Requested-With": "fetch"} if fetch else {}
        return self._remember(await self.http.post(path, data=form, headers=headers))

    async def signup(self, username: str, display_name: str = "") -> httpx.Response:
        await self.get("/signup")
        r = await self.post("/signup", {"username": username, "email": f"{username}@example.org",
                                        "password": PASSWORD, "password_confirm": PASSWORD,
                                        "display_name": display_name})
        assert r.status_code == 303, r.text
        self.username = username
        await self.get("/home")
        return r

    async def compose(self, text: str, **fields: object) -> httpx.Response:
        r = await self.post("/statuses", {"status": text, "next": "/home", **fields})
        assert r.status_code == 303, r.text
        return r

    async def last_status_id(self) -> str:
        """The id of the newest post on this person's profile."""
        r = await self.get(f"/@{self.username}?tab=replies")
        m = re.search(r'data-status="(\d+)"', r.text)
        assert m, r.text
        return m.group(1)


@pytest.fixture
async def app(ctx: Context) -> Starlette:
    return create_app(ctx.settings, ctx=ctx, start_jobs=False)


@pytest.fixture
async def visitor(app: Starlette) -> AsyncIterator[Callable[..., Visitor]]:
    clients: list[httpx.AsyncClient] = []

    def make(base_url: str = "http://testserver") -> Visitor:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
        clients.append(http)
        return Visitor(http)

    yield make
    for http in clients:
        await http.aclose()
