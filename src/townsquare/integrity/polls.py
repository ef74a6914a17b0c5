"""Honest poll results: the raw count beside the count of established accounts with each
detected campaign as one voter, where the votes came from, and anomalous bursts.

A campaign's vote is its members' majority choice (ties: every tied choice gets a share), so
a campaign weighs exactly one voter however many accounts it runs.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from scipy.stats import poisson

BURST_MIN_VOTES = 10  # a minute needs at least this many votes to be a burst...
BURST_FACTOR = 5.0  # ...and this many times the poll's own baseline rate
BURST_P_VALUE = 1e-6  # ...and be that unlikely under the baseline rate (Poisson)
BASELINE_MINUTES = 60  # baseline: the mean rate of the surrounding hour, the minute excluded

@dataclass
class Vote:
    account_id: int
    choice: int
    at: datetime

@dataclass
class Burst:
    minute: datetime
    votes: int
    baseline_per_minute: float
    new_account_votes: int

@dataclass
class HonestResult:
    options: int
    raw: list[int]
    raw_voters: int
    established: list[float]
    established_voters: float
    votes_from_new_accounts: int
    voters_new: int
    votes_from_campaigns: int
    campaigns: dict[int, int] = field(default_factory=dict)  # campaign id -> member voters
    bursts: list[Burst] = field(default_factory=list)

def honest_result(options: int, votes: list[Vote], established: set[int],
                  campaign_of: dict[int, int]) -> HonestResult:
    raw = [0] * options
    for v in votes:
        raw[v.choice] += 1
    voters = {v.account_id for v in votes}
    honest = [0.0] * options
    new_votes = sum(1 for v in votes if v.account_id not in established)
    new_voters = {v.account_id for v in votes if v.account_id not in established}
    by_campaign: dict[int, Counter[int]] = {}
    members: dict[int, set[int]] = {}
    campaign_votes = 0
    counted = 0.0
    by_account: dict[int, list[int]] = {}
    for v in votes:
        if v.account_id not in established:
            continue
        campaign = campaign_of.get(v.account_id)
        if campaign is not None:
            by_campaign.setdefault(campaign, Counter())[v.choice] += 1
            members.setdefault(campaign, set()).add(v.account_id)
            campaign_votes += 1
        else:
            by_account.setdefault(v.account_id, []).append(v.choice)
    for choices in by_account.values():
        for c in choices:
            honest[c] += 1
        counted += 1
    for counts in by_campaign.values():
        top = max(counts.values())
        tied = [c for c, n in counts.items() if n == top]
        for c in tied:
            honest[c] += 1 / len(tied)
        counted += 1
    return HonestResult(options, raw, len(voters), honest, counted, new_votes, len(new_voters),
                        campaign_votes, {c: len(m) for c, m in members.items()},
                        bursts(votes, established))

def bursts(votes: list[Vote], established: set[int]) -> list[Burst]:
    """Sliding minutes whose vote count is far above the poll's own rate in the surrounding
    hour (only the time the poll has been receiving votes counts in that baseline)."""
    if not votes:
        return []
    ordered = sorted(votes, key=lambda v: v.at)
    start = ordered[0].at
    secs = [(v.at - start).total_seconds() for v in ordered]
    last = secs[-1]
    half = BASELINE_MINUTES * 30.0
    out: list[Burst] = []
    i = 0
    while i < len(secs):
        j = bisect_left(secs, secs[i] + 60.0)
        n = j - i
        if n >= BURST_MIN_VOTES:
            lo, hi = max(secs[i] - half, 0.0), min(secs[i] + 60.0 + half, last)
            around = bisect_left(secs, hi) - bisect_left(secs, lo) - n
            minutes = max((hi - lo) / 60.0 - 1.0, 1.0)
            baseline = around / minutes
            if n >= BURST_FACTOR * max(baseline, 1.0) and \
                    poisson.sf(n - 1, max(baseline, 0.1)) < BURST_P_VALUE:
                new = sum(1 for v in ordered[i:j] if v.account_id not in established)
                out.append(Burst(ordered[i].at, n, round(baseline, 2), new))
                i = j
                continue
        i += 1
    return out
