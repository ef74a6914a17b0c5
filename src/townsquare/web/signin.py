"""Sign up, log in, log out."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions.accounts import NewAccount, check_password, create_account
from townsquare.actions.errors import ActionError
from townsquare.actions.web_sessions import end_session, start_session
from townsquare.web import session
from townsquare.web.render import Pages, field, page, redirect, safe_next

p = Pages()


@p.get("/signup")
async def signup_form(request: Request) -> Response:
    """The sign-up form."""
    if await session.viewer(request) is not None:
        return redirect("/home")
    ctx = session.ctx_of(request)
    return await page(request, "signup.html", values={}, error=None,
                      closed=not ctx.settings.registrations_open)


@p.post("/signup")
async def signup(request: Request, form: FormData) -> Response:
    """Create an account and sign in."""
    ctx = session.ctx_of(request)
    values = {k: field(form, k) for k in ("username", "email", "display_name")}
    if not ctx.settings.registrations_open:
        return await page(request, "signup.html", status=403, values=values, closed=True,
                          error="Registrations are closed on this server.")
    if field(form, "password") != field(form, "password_confirm"):
        return await page(request, "signup.html", status=422, values=values, closed=False,
                          error="The two passwords differ.")
    try:
        account_id = await create_account(ctx, NewAccount(
            username=values["username"].strip().lstrip("@"), email=values["email"].strip(),
            password=field(form, "password"), display_name=values["display_name"].strip()))
    except ActionError as exc:
        return await page(request, "signup.html", status=exc.status, values=values,
                          closed=False, error=exc.message.removeprefix("Validation failed: "))
    token = await start_session(ctx, account_id)
    response = redirect("/home")
    session.sign_in(request, response, token)
    return response


@p.get("/login")
async def login_form(request: Request) -> Response:
    """The log-in form."""
    nxt = safe_next(request.query_params.get("next"), "/home")
    if await session.viewer(request) is not None:
        return redirect(nxt)
    return await page(request, "login.html", login="", next=nxt, error=None)


@p.post("/login")
async def login(request: Request, form: FormData) -> Response:
    """Check the password and start a session."""
    ctx = session.ctx_of(request)
    name = field(form, "login").strip()
    nxt = safe_next(field(form, "next"), "/home")
    account_id = await check_password(ctx, name, field(form, "password")) if name else None
    if account_id is None:
        return await page(request, "login.html", status=401, login=name, next=nxt,
                          error="Wrong username, email or password.")
    old = request.cookies.get(session.SESSION_COOKIE)
    if old:
        await end_session(ctx, old)
    token = await start_session(ctx, account_id)
    response = redirect(nxt)
    session.sign_in(request, response, token)
    return response


@p.post("/logout")
async def logout(request: Request, form: FormData) -> Response:
    """End the session: the token is revoked, not just forgotten by the browser."""
    raw = request.cookies.get(session.SESSION_COOKIE)
    if raw:
        await end_session(session.ctx_of(request), raw)
    response = redirect("/")
    session.sign_out(request, response)
    return response


pages = p.routes
