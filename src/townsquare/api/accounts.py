"""/api/v1/accounts: the signed-in account, profiles, relationships, follows, blocks, mutes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from townsquare.api import auth
from townsquare.api.entities import AccountSource, CredentialAccount
from townsquare.api.errors import not_found
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.queries.accounts import account_entity, account_row
from townsquare.store.tables import users

r = Routes()


async def credential_account(ctx: Context, account_id: int) -> CredentialAccount:
    from sqlalchemy import func, select

    from townsquare.store.tables import follow_requests

    async with ctx.db.read() as conn:
        row = await account_row(conn, account_id)
        if row is None:
            raise not_found("Account")
        user = (await conn.execute(select(users).where(users.c.account_id == account_id))).first()
        requests = (await conn.execute(
            select(func.count()).select_from(follow_requests)
            .where(follow_requests.c.target_account_id == account_id))).scalar_one()
    base = account_entity(row, ctx.settings)
    fields = {f: getattr(base, f) for f in base.__struct_fields__}
    return CredentialAccount(
        **fields,
        source=AccountSource(
            note=row.note,
            privacy=user.default_visibility if user else "public",
            sensitive=user.default_sensitive if user else False,
            language=user.default_language if user else None,
            follow_requests_count=requests,
            discoverable=row.discoverable,
        ),
        role={"id": "-99" if row.role == "user" else row.role, "name": row.role,
              "permissions": "0", "color": "", "highlighted": False},
    )


@r.get("/api/v1/accounts/verify_credentials", response=CredentialAccount,
       scope="read:accounts")
async def verify_credentials(request: Request) -> Response:
    """The signed-in account, with its source."""
    account_id = await auth.require_user(request, "read:accounts")
    return ok(await credential_account(auth.ctx_of(request), account_id))


routes = r.routes
