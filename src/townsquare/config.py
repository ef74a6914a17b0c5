"""One Settings object, read from TOWNSQUARE_* environment variables.

Defaults are the embedded mode: SQLite in a data directory, timelines in SQL, jobs in-process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./data")
    database_url: str = ""  # empty = sqlite:///<data_dir>/townsquare.db
    redis_url: str = ""  # empty = timelines in SQL, jobs in-process
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""  # empty = http://<host>:<port>
    domain: str = ""  # empty = host:port of public_url
    instance_title: str = "townsquare"
    instance_description: str = "An open public square: open algorithm, transparent moderation."
    contact_email: str = ""
    registrations_open: bool = True
    max_post_chars: int = 500
    max_media_attachments: int = 4
    max_poll_options: int = 4
    max_poll_option_chars: int = 50
    min_poll_expiration: int = 300
    max_poll_expiration: int = 31 * 24 * 3600
    max_image_bytes: int = 16 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    preview_size: int = 640
    secret_key: str = ""  # empty = generated once and kept in <data_dir>/secret_key
    # PostgreSQL connections each process keeps (requests beyond them wait for one): on a
    # 2-core machine a few busy backends serve more than many (docs/deploy.md).
    db_pool: int = 16
    # Argon2 parameters: the library defaults are right for production; tests lower them.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get("TOWNSQUARE_" + f.name.upper())
            if raw is None:
                continue
            default = f.default
            if isinstance(default, bool):
                values[f.name] = _bool(raw)
            elif isinstance(default, int):
                values[f.name] = int(raw)
            elif isinstance(default, Path):
                values[f.name] = Path(raw)
            else:
                values[f.name] = raw
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'townsquare.db').resolve()}"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def instance_domain(self) -> str:
        if self.domain:
            return self.domain
        return self.base_url.split("://", 1)[1]

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    def load_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        import secrets

        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
