"""Rate limits: headers on limited routes, 429 with Retry-After, per account and per IP, and
counts shared by two server processes through Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import missing
from tests.helpers import Client, free_port
from townsquare.app import create_app
from townsquare.context import Context
from townsquare.integrity.ratelimit import limits_from_env


@pytest.fixture
async def limited(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    monkeypatch.setenv("TOWNSQUARE_RATE_LIMITS", "statuses=3/3600,signup_ip=2/1800,"
                       "login_ip=3/300,favourites=2/3600")
    app = create_app(ctx.settings, ctx=ctx, start_jobs=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Client(http, ctx)


async def test_posting_limit_headers_and_429(limited: Client) -> None:
    alice = await limited.user("alice")
    bob = await limited.user("bob")
    for left in (2, 1, 0):
        r = await limited.post("/api/v1/statuses", as_=alice, json={"status": "hi"})
        assert r.status_code == 200
        assert r.headers["x-ratelimit-limit"] == "3"
        assert r.headers["x-ratelimit-remaining"] == str(left)
        assert r.headers["x-ratelimit-reset"].endswith("Z")
    before = await limited.get(f"/api/v1/accounts/{alice.id}")
    r = await limited.post("/api/v1/statuses", as_=alice, json={"status": "one too many"})
    assert r.status_code == 429 and r.json() == {"error": "Too many requests"}
    assert int(r.headers["retry-after"]) > 3000 and r.headers["x-ratelimit-remaining"] == "0"
    after = await limited.get(f"/api/v1/accounts/{alice.id}")
    assert after.json()["statuses_count"] == before.json()["statuses_count"] == 3
    # A second token of the same account shares the account's count; another account doesn't.
    again = await limited.token(alice, ["read", "write"])
    assert (await limited.post("/api/v1/statuses", as_=again,
                               json={"status": "x"})).status_code == 429
    assert (await limited.post("/api/v1/statuses", as_=bob, json={"status": "x"})).status_code \
        == 200
    # Unlimited routes carry no rate-limit headers.
    assert "x-ratelimit-limit" not in (await limited.get("/api/v1/timelines/public")).headers


async def test_signup_and_login_limited_per_ip(limited: Client) -> None:
    codes = []
    for i in range(3):
        r = await limited.post("/api/v1/accounts", data={"username": f"new{i}"})
        codes.append(r.status_code)
    assert codes[:2] != [429, 429] and codes[2] == 429
    codes = [(await limited.post("/oauth/token", data={
        "grant_type": "password", "username": "nobody@example.org", "password": "x",
        "client_id": "none", "client_secret": "none"})).status_code for _ in range(4)]
    assert 429 not in codes[:3] and codes[3] == 429
    r = await limited.post("/login", data={"username": "a", "password": "b"})
    assert r.status_code == 429 and "retry-after" in r.headers


def test_configuration() -> None:
    assert limits_from_env({"TOWNSQUARE_RATE_LIMITS": "off"}) is None
    limits = limits_from_env({"TOWNSQUARE_RATE_LIMITS": "votes=5/60"})
    assert limits is not None and limits["votes"] == (5, 60) and limits["statuses"][0] == 300
    with pytest.raises(ValueError):
        limits_from_env({"TOWNSQUARE_RATE_LIMITS": "nonsense=1/1"})


def _wait(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise TimeoutError(url)


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[list[str]]:
    server = shutil.which("redis-server")
    if server is None:
        missing("Redis", "install redis-server to test limits shared across processes")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        redis_port = free_port()
        procs.append(subprocess.Popen([server, "--port", str(redis_port), "--save", "",
                                       "--appendonly", "no"], stdout=subprocess.DEVNULL))
        env = {**os.environ, "TOWNSQUARE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
               "TOWNSQUARE_DATA_DIR": str(tmp_path / "data"),
               "TOWNSQUARE_RATE_LIMITS": "login_ip=4/300",
               "TOWNSQUARE_ARGON2_TIME_COST": "1", "TOWNSQUARE_ARGON2_MEMORY_COST": "1024"}
        subprocess.run([sys.executable, "-m", "townsquare.cli", "migrate"], env=env,
                       check=True, capture_output=True)
        urls = []
        for _ in range(2):
            port = free_port()
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "townsquare.cli", "serve", "--port", str(port),
                 "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))
            urls.append(f"http://127.0.0.1:{port}")
            _wait(urls[-1] + "/api/v1/instance", procs[-1])
        yield urls
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_limits_are_shared_by_two_processes_through_redis(two_servers: list[str]) -> None:
    codes = []
    for i in range(6):
        r = httpx.post(two_servers[i % 2] + "/oauth/token", data={
            "grant_type": "password", "username": "x", "password": "y",
            "client_id": "none", "client_secret": "none"}, timeout=10)
        codes.append(r.status_code)
        assert r.headers["x-ratelimit-limit"] == "4"
    assert 429 not in codes[:4] and codes[4:] == [429, 429], codes
