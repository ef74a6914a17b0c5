"""The `townsquare` command: serve | migrate | createuser | demo | notes ..."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

from townsquare.config import Settings

Registrar = Callable[[Any], None]


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        from pathlib import Path

        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return Settings.from_env(**overrides)


def _migrate(settings: Settings) -> None:
    from townsquare.store.migrate import upgrade

    upgrade(settings.resolved_database_url)


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _migrate(settings)
    print(f"database is up to date: {_safe_url(settings.resolved_database_url)}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _export(args: argparse.Namespace) -> None:
    """Pass command-line settings to worker processes, which read the environment."""
    for name in ("data_dir", "database_url", "host", "port"):
        value = getattr(args, name, None)
        if value:
            os.environ["TOWNSQUARE_" + name.upper()] = str(value)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(args)
    _export(args)
    print(f"townsquare: preparing the database ({_safe_url(settings.resolved_database_url)})",
          flush=True)
    _migrate(settings)
    if args.demo:
        from townsquare.demo import fill_demo

        asyncio.run(fill_demo(settings, quiet=False))
    from townsquare.app import create_app

    app = create_app(settings)
    print(f"townsquare is running at {settings.base_url}\n"
          f"  create an account:  townsquare createuser NAME --email YOU@EXAMPLE.ORG\n"
          f"  or sign up in the browser, or point a Mastodon app or `toot` at {settings.base_url}",
          flush=True)
    if args.workers > 1:
        # Each web process builds its own app from the environment (SO_REUSEPORT-style
        # sharing of one socket by uvicorn's supervisor).
        uvicorn.run("townsquare.app:create_app", factory=True, workers=args.workers,
                    host=settings.host, port=settings.port, log_level=args.log_level,
                    access_log=args.access_log, loop=args.loop)
        return 0
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level,
                access_log=args.access_log, loop=args.loop)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import logging

    from townsquare.jobs.worker import run_worker

    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = _settings(args)
    try:  # the same event loop as the web processes (uvicorn picks uvloop when installed)
        import uvloop
    except ImportError:
        asyncio.run(run_worker(settings, args.concurrency))
    else:
        uvloop.run(run_worker(settings, args.concurrency))
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    from townsquare.actions.accounts import NewAccount, create_account
    from townsquare.actions.errors import ActionError
    from townsquare.context import build_context

    settings = _settings(args)
    _migrate(settings)
    password = args.password or os.environ.get("TOWNSQUARE_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password (at least 8 characters): ")
    email = args.email or f"{args.username.lower()}@{settings.instance_domain.split(':')[0]}"

    async def run() -> int:
        ctx = build_context(settings)
        try:
            account_id = await create_account(ctx, NewAccount(
                username=args.username, email=email, password=password,
                display_name=args.display_name or "", bot=args.bot, role=args.role))
        except ActionError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        finally:
            await ctx.db.dispose()
        print(f"created @{args.username} (id {account_id}, email {email}, role {args.role})")
        return 0

    return asyncio.run(run())


def cmd_demo(args: argparse.Namespace) -> int:
    from townsquare.demo import fill_demo

    settings = _settings(args)
    _migrate(settings)
    asyncio.run(fill_demo(settings, quiet=False, seed=args.seed))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="data directory (default ./data, env TOWNSQUARE_DATA_DIR)")
    p.add_argument("--database-url", help="sqlite:///path or postgresql://... "
                   "(env TOWNSQUARE_DATABASE_URL)")


def build_parser(extra: list[Registrar] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="townsquare", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the server (migrates the database first)")
    _common(p)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    p.add_argument("--demo", action="store_true", help="fill an empty square with demo data")
    p.add_argument("--log-level", default="info")
    p.add_argument("--access-log", action="store_true")
    p.add_argument("--workers", type=int, default=1, help="web processes (default 1)")
    p.add_argument("--loop", choices=["auto", "uvloop", "asyncio"], default="auto",
                   help="event loop (default auto: uvloop when installed); asyncio serves "
                        "connections more evenly when overloaded (docs/deploy.md)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run background jobs from the shared queue (needs Redis)")
    _common(p)
    p.add_argument("--concurrency", type=int, default=32, help="jobs run at once")
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("migrate", help="create or upgrade the database schema")
    _common(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("createuser", help="create an account")
    _common(p)
    p.add_argument("username")
    p.add_argument("--email")
    p.add_argument("--password", help="(or env TOWNSQUARE_PASSWORD, or stdin, or a prompt)")
    p.add_argument("--display-name")
    p.add_argument("--bot", action="store_true")
    p.add_argument("--role", choices=["user", "moderator", "admin"], default="user")
    p.set_defaults(func=cmd_createuser)

    p = sub.add_parser("demo", help="fill the square with a small believable demo network")
    _common(p)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo)

    for register in extra if extra is not None else _domain_registrars():
        register(sub)
    return parser


def _domain_registrars() -> list[Registrar]:
    """Commands of the domains (notes, algorithm, bench ...), each in its own module."""
    out: list[Registrar] = []
    for module in ("townsquare.notes.cli", "townsquare.moderation.cli",
                   "townsquare.algorithm.cli", "townsquare.synthetic.cli"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ImportError:
            continue
        out.append(mod.register)
    return out


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
