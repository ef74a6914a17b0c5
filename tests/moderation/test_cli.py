"""`townsquare role` grants moderation rights from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOWNSQUARE_ARGON2_TIME_COST": "1",
           "TOWNSQUARE_ARGON2_MEMORY_COST": "1024", "TOWNSQUARE_PASSWORD": "correct horse battery"}
    env.pop("TOWNSQUARE_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "townsquare.cli", *args, "--data-dir", str(data)],
                          capture_output=True, text=True, env=env, timeout=120)


def test_role_command(tmp_path: Path) -> None:
    made = run("createuser", "mona", "--email", "mona@example.org", data=tmp_path)
    assert made.returncode == 0, made.stderr
    granted = run("role", "mona", "moderator", data=tmp_path)
    assert granted.returncode == 0, granted.stderr
    assert "now moderator" in granted.stdout
    missing = run("role", "nobody", "admin", data=tmp_path)
    assert missing.returncode == 2 and "not found" in missing.stderr
