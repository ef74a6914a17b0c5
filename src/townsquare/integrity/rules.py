"""The published rules: who counts as an established account, and the trend parameters."""

from __future__ import annotations

from datetime import datetime, timedelta

ESTABLISHED_MIN_AGE = timedelta(days=30)
ESTABLISHED_MIN_POSTS = 5
TREND_WINDOW = timedelta(hours=48)
TREND_HALF_LIFE_HOURS = 6.0
TREND_MIN_VOICES = 3
ESTABLISHED_RULE = (
    f"An account counts as established when it was created at least "
    f"{ESTABLISHED_MIN_AGE.days} days before the reference time (the poll's opening, or now "
    f"for trends) and had written at least {ESTABLISHED_MIN_POSTS} posts before it.")
TREND_RULE = (
    f"A hashtag or post trends by the number of distinct established accounts using it in the "
    f"last {int(TREND_WINDOW.total_seconds() // 3600)} hours, each weighted by how recent its "
    f"latest use is (half-life {TREND_HALF_LIFE_HOURS:g} hours), with every detected campaign "
    f"counted as one voice and only posts that still exist; at least {TREND_MIN_VOICES} "
    f"voices are needed.")


def established(created_at: datetime, posts_before: int, at: datetime) -> bool:
    return created_at <= at - ESTABLISHED_MIN_AGE and posts_before >= ESTABLISHED_MIN_POSTS
