"""Rendering pages: the Jinja2 environment (autoescape on), the headers every page carries,
and `Pages`, which registers page handlers and turns refusals into HTML error pages.

A request sent by our own JavaScript (`X-Requested-With: fetch`) gets just the fragment it
asked for; every other request gets the full page, so everything works without JavaScript.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townsquare.actions.errors import ActionError
from townsquare.api.errors import ApiError
from townsquare.web import session
from townsquare.web.session import WebError

log = logging.getLogger("townsquare.web")

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
STATIC_VERSION = "6"  # bump to make browsers fetch a changed stylesheet or script

Handler = Callable[[Request], Awaitable[Response]]
FormHandler = Callable[[Request, FormData], Awaitable[Response]]


def parse_time(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ago(value: str | datetime, now: datetime) -> str:
    """"3 min ago"; older than a week, the date."""
    then = parse_time(value)
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return until(value, now)
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    if seconds < 7 * 86400:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''} ago"
    if then.year == now.year:
        return f"{then:%b} {then.day}"
    return f"{then:%b} {then.day}, {then.year}"


def until(value: str | datetime, now: datetime) -> str:
    seconds = int((parse_time(value) - now).total_seconds())
    if seconds <= 0:
        return "now"
    if seconds < 3600:
        return f"in {max(1, round(seconds / 60))} min"
    if seconds < 86400:
        return f"in {seconds // 3600} h"
    days = seconds // 86400
    return f"in {days} day{'s' if days != 1 else ''}"


def exact(value: str | datetime) -> str:
    return parse_time(value).strftime("%Y-%m-%d %H:%M UTC")


def compact(n: int | None) -> str:
    n = n or 0
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}".rstrip("0").rstrip(".") + "K"
    return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"


def plural(n: int | None, word: str, many: str | None = None) -> str:
    n = n or 0
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def display_name(account: Any) -> str:
    return str(account.display_name or account.username)


def status_path(status: Any) -> str:
    return f"/@{quote(status.account.username)}/{status.id}"


def poll_percent(votes: int | None, poll: Any) -> int:
    """Share of the poll as Mastodon's clients show it: of voters for multiple choice."""
    total = (poll.voters_count if poll.multiple else poll.votes_count) or 0
    if not total or votes is None:
        return 0
    return round(100 * votes / total)


env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,  # every template, whatever its name
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(exact=exact, compact=compact, name=display_name, status_path=status_path,
                   plural=plural, percent=poll_percent)
env.globals.update(static_version=STATIC_VERSION)


def is_fetch(request: Request) -> bool:
    return request.headers.get("x-requested-with", "").lower() == "fetch"


def page_headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "Cache-Control": "no-store", "Vary": "Cookie"}


async def base_values(request: Request) -> dict[str, Any]:
    ctx = session.ctx_of(request)
    now = ctx.clock.now()
    viewer = await session.viewer(request)
    unread = 0
    if viewer is not None:
        from townsquare.web import unread as unread_counts

        unread = await unread_counts.count(ctx, viewer.id)
    return {
        "viewer": viewer,
        "csrf": await session.csrf_token(request),
        "now": now,
        "ago": lambda v: ago(v, now),
        "until": lambda v: until(v, now),
        "settings": ctx.settings,
        "path": request.url.path,
        "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "unread": unread,
        "max_chars": ctx.settings.max_post_chars,
    }


async def render(request: Request, template: str, status: int = 200,
                 **values: Any) -> HTMLResponse:
    merged = await base_values(request)
    merged.update(values)
    html = env.get_template(template).render(merged)
    response = HTMLResponse(html, status_code=status, headers=page_headers())
    session.set_cookies(request, response)
    return response


async def page(request: Request, template: str, fragment: str | None = None,
               status: int = 200, **values: Any) -> HTMLResponse:
    """The full page, or only `fragment` (a template) when our JavaScript asks for it."""
    if fragment is not None and is_fetch(request):
        return await render(request, fragment, status, **values)
    return await render(request, template, status, **values)


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths: never `//evil.example` or `https://...`."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=page_headers())


def field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return default
    return value


def fields(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


async def error_page(request: Request, status: int, message: str) -> Response:
    if status == 401 and not is_fetch(request):
        here = request.url.path if request.method == "GET" else request.headers.get(
            "referer", "/")
        if here.startswith(("http://", "https://")):
            here = "/" + here.split("://", 1)[1].partition("/")[2]
        return redirect("/login?next=" + quote(safe_next(here), safe="/"))
    template = "_error.html" if is_fetch(request) else "error.html"
    return await render(request, template, status, status_code=status, message=message)


def _guard(fn: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            return await fn(request)
        except WebError as exc:
            return await error_page(request, exc.status, exc.message)
        except ActionError as exc:
            return await error_page(request, exc.status, exc.message)
        except ApiError as exc:
            return await error_page(request, exc.status, exc.message)
    endpoint.__name__ = fn.__name__
    endpoint.__doc__ = fn.__doc__
    return endpoint


class Pages:
    """Collects a module's page routes. POST handlers receive the form, CSRF already checked."""

    def __init__(self) -> None:
        self.routes: list[BaseRoute] = []

    def get(self, path: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.routes.append(Route(path, _guard(fn), methods=["GET", "HEAD"]))
            return fn
        return deco

    def post(self, path: str) -> Callable[[FormHandler], FormHandler]:
        def deco(fn: FormHandler) -> FormHandler:
            async def with_form(request: Request) -> Response:
                form = await request.form(max_files=4, max_fields=100)
                await session.check_csrf(request, field(form, session.CSRF_FIELD))
                return await fn(request, form)
            with_form.__name__ = fn.__name__
            self.routes.append(Route(path, _guard(with_form), methods=["POST"]))
            return fn
        return deco
