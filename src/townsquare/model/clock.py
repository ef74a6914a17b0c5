"""Injected time, so tests and replays are exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock for tests: stands still until advanced."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


def utc(dt: datetime) -> datetime:
    """SQLite hands datetimes back naive; they are always stored in UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def iso(dt: datetime) -> str:
    """Mastodon's timestamp format: UTC with milliseconds and a Z (naive means UTC).

    Every entity carries a few of these, so this avoids strftime: isoformat is ~4x faster."""
    tz = dt.tzinfo
    if tz is None:
        return dt.isoformat(timespec="milliseconds") + "Z"
    if tz is not UTC and dt.utcoffset():
        dt = dt.astimezone(UTC)
    return dt.isoformat(timespec="milliseconds")[:23] + "Z"
