"""Honest trend scores: distinct established voices over time, a campaign counting once.

Pure functions over rows already loaded (queries/trends.py loads them from current rows, so
deleted posts have already stopped counting).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime

from townsquare.integrity.rules import TREND_HALF_LIFE_HOURS, TREND_MIN_VOICES


@dataclass
class TrendScore:
    key: Hashable
    score: float
    voices: int  # distinct established accounts, campaigns collapsed to one each
    established_accounts: int
    uses: int  # raw uses, for comparison
    accounts: int  # raw distinct accounts
    new_accounts: int  # accounts not counted because not established
    campaigns: dict[int, int] = field(default_factory=dict)  # campaign id -> members collapsed


def rank(rows: list[tuple[Hashable, int, datetime]], now: datetime, established: set[int],
         campaign_of: dict[int, int], *, min_voices: int = TREND_MIN_VOICES) -> list[TrendScore]:
    """rows: (key, account_id, when). Each voice adds exp-decay of its latest use's age."""
    latest: dict[Hashable, dict[tuple[str, int], datetime]] = {}
    stats: dict[Hashable, TrendScore] = {}
    raw_accounts: dict[Hashable, set[int]] = {}
    for key, account_id, when in rows:
        st = stats.get(key)
        if st is None:
            st = stats[key] = TrendScore(key, 0.0, 0, 0, 0, 0, 0)
            raw_accounts[key] = set()
            latest[key] = {}
        st.uses += 1
        if account_id in raw_accounts[key]:
            continue
        raw_accounts[key].add(account_id)
        if account_id not in established:
            st.new_accounts += 1
            continue
        st.established_accounts += 1
        campaign = campaign_of.get(account_id)
        voice = ("campaign", campaign) if campaign is not None else ("account", account_id)
        if campaign is not None:
            st.campaigns[campaign] = st.campaigns.get(campaign, 0) + 1
        seen = latest[key].get(voice)
        if seen is None or when > seen:
            latest[key][voice] = when
    decay = math.log(2) / (TREND_HALF_LIFE_HOURS * 3600)
    out: list[TrendScore] = []
    for key, st in stats.items():
        st.accounts = len(raw_accounts[key])
        st.voices = len(latest[key])
        st.score = sum(math.exp(-decay * max((now - w).total_seconds(), 0.0))
                       for w in latest[key].values())
        if st.voices >= min_voices:
            out.append(st)
    out.sort(key=lambda s: (-s.score, str(s.key)))
    return out
