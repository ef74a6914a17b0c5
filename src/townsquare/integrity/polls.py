"""Honest poll results: the raw count beside the count of established accounts with each
detected campaign as one voter, where the votes came from, and anomalous bursts.

A campaign's vote is its members' majority choice (ties: every tied choice gets a share), so
a campaign weighs exactly one voter however many accounts it runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

BURST_MIN_VOTES = 10  # a minute needs at least this many votes to be a burst...
BURST_FACTOR = 5.0  # ...and this many times the poll's own baseline rate
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
    """Minutes whose vote count is far above the poll's own rate in the surrounding hour."""
    if not votes:
        return []
    start = min(v.at for v in votes)
    per_minute: Counter[int] = Counter()
    new_per_minute: Counter[int] = Counter()
    for v in votes:
        m = int((v.at - start).total_seconds() // 60)
        per_minute[m] += 1
        if v.account_id not in established:
            new_per_minute[m] += 1
    out: list[Burst] = []
    half = BASELINE_MINUTES // 2
    for m, n in sorted(per_minute.items()):
        if n < BURST_MIN_VOTES:
            continue
        around = sum(per_minute.get(x, 0) for x in range(m - half, m + half + 1) if x != m)
        baseline = around / (2 * half)
        if n >= BURST_FACTOR * max(baseline, 1.0):

            out.append(Burst(start + timedelta(minutes=m), n, round(baseline, 2),
                             new_per_minute.get(m, 0)))
    return out
