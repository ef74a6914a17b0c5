"""`townsquare role NAME moderator|admin|user` and `townsquare moderation expire`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


def _settings(args: argparse.Namespace) -> Any:
    from pathlib import Path

    from townsquare.config import Settings

    overrides: dict[str, Any] = {}
    if args.data_dir:
        overrides["data_dir"] = Path(args.data_dir)
    if args.database_url:
        overrides["database_url"] = args.database_url
    return Settings.from_env(**overrides)


def cmd_role(args: argparse.Namespace) -> int:
    from townsquare.actions.errors import ActionError
    from townsquare.actions.moderation import grant_role
    from townsquare.context import build_context
    from townsquare.store.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.resolved_database_url)

    async def run() -> int:
        ctx = build_context(settings)
        try:
            await grant_role(ctx, args.username, args.role)
        except ActionError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        finally:
            await ctx.db.dispose()
        print(f"@{args.username.lstrip('@')} is now {args.role}")
        return 0

    return asyncio.run(run())


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("role", help="make an account a user, moderator or admin")
    p.add_argument("username")
    p.add_argument("role", choices=["user", "moderator", "admin"])
    p.add_argument("--data-dir")
    p.add_argument("--database-url")
    p.set_defaults(func=cmd_role)
