"""Signals of undeclared automation, computed from posting times and clients.

Each signal is evidence for a moderator, never a verdict: accounts with a timing signal go to
the moderators' integrity queue with the numbers; nothing is restricted automatically.
Accounts that declare themselves automated (the Mastodon `bot` flag) are not queued.

- clockwork: at least `MIN_POSTS` posts whose gaps have a coefficient of variation below
  `MAX_CV` (people post in bursts: their gaps have CV around 1 or more).
- around the clock: posts in at least `MIN_HOURS` of the 24 hours of the day (UTC) over the
  window observed, with at least `MIN_POSTS` posts (people sleep).
- identical client: posts through an application shared by at least `MIN_CLIENT_ACCOUNTS`
  accounts but by fewer than `MAX_CLIENT_SHARE` of all posting accounts (a niche client, not a
  popular app). Alone it does not queue anyone; with a timing signal it is shown as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MIN_POSTS = 20
MAX_CV = 0.15
MIN_HOURS = 20
MIN_CLIENT_ACCOUNTS = 5
MAX_CLIENT_SHARE = 0.01


@dataclass
class Signals:
    account_id: int
    posts: int
    cv: float | None = None
    hours_active: int = 0
    clockwork: bool = False
    around_the_clock: bool = False
    shared_client: int | None = None  # application id
    client_accounts: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def queued(self) -> bool:
        return self.clockwork or self.around_the_clock


def analyse(account: np.ndarray, ts: np.ndarray, app: np.ndarray,
            bots: set[int] | None = None) -> list[Signals]:
    """Signals per account (only accounts with a timing signal are returned).

    `account`, `ts` (seconds since epoch, UTC) and `app` (application id, -1 for none) are
    parallel arrays of original posts.
    """
    bots = bots or set()
    if len(account) == 0:
        return []
    order = np.lexsort((ts, account))
    acct, t, ap = account[order], ts[order], app[order]
    accounts_u, counts = np.unique(acct, return_counts=True)
    # Gaps within each account (the first gap of each account spans accounts: masked).
    gaps = np.diff(t)
    same = acct[1:] == acct[:-1]
    gap_owner = np.searchsorted(accounts_u, acct[1:][same])
    g = gaps[same]
    n_gaps = np.bincount(gap_owner, minlength=len(accounts_u)).astype(np.float64)
    mean = np.bincount(gap_owner, weights=g, minlength=len(accounts_u)) / np.maximum(n_gaps, 1)
    sq = np.bincount(gap_owner, weights=g * g, minlength=len(accounts_u)) / np.maximum(n_gaps, 1)
    std = np.sqrt(np.maximum(sq - mean * mean, 0))
    cv = np.where(mean > 0, std / np.maximum(mean, 1e-9), np.inf)
    hour = ((t // 3600) % 24).astype(np.int64)
    owner = np.searchsorted(accounts_u, acct)
    hours = np.unique(owner * 24 + hour)
    hours_active = np.bincount(hours // 24, minlength=len(accounts_u))
    clockwork = (counts >= MIN_POSTS) & (cv < MAX_CV)
    around = (counts >= MIN_POSTS) & (hours_active >= MIN_HOURS)
    # Niche clients shared by several accounts.
    with_app = ap >= 0
    pairs = np.unique(np.stack([ap[with_app], owner[with_app]], axis=1), axis=0)
    apps_u, app_accounts = np.unique(pairs[:, 0], return_counts=True) if len(pairs) else \
        (np.zeros(0, np.int64), np.zeros(0, np.int64))
    niche = {int(x): int(n) for x, n in zip(apps_u, app_accounts, strict=True)
             if n >= MIN_CLIENT_ACCOUNTS and n < max(MAX_CLIENT_SHARE * len(accounts_u),
                                                      MIN_CLIENT_ACCOUNTS + 1)}
    client_of: dict[int, int] = {}
    for x, o in pairs:
        if int(x) in niche:
            client_of[int(o)] = int(x)
    out: list[Signals] = []
    for i in np.flatnonzero(clockwork | around):
        account_id = int(accounts_u[i])
        if account_id in bots:
            continue
        sig = Signals(account_id, int(counts[i]),
                      cv=float(cv[i]) if np.isfinite(cv[i]) else None,
                      hours_active=int(hours_active[i]), clockwork=bool(clockwork[i]),
                      around_the_clock=bool(around[i]))
        if sig.clockwork:
            sig.reasons.append(f"clockwork: {sig.posts} posts, gaps' coefficient of variation "
                               f"{sig.cv:.3f} (< {MAX_CV})")
        if sig.around_the_clock:
            sig.reasons.append(f"around the clock: posts in {sig.hours_active} of 24 hours "
                               f"(>= {MIN_HOURS})")
        if int(i) in client_of:
            sig.shared_client = client_of[int(i)]
            sig.client_accounts = niche[sig.shared_client]
            sig.reasons.append(f"identical client: application {sig.shared_client} is used by "
                               f"{sig.client_accounts} accounts")
        out.append(sig)
    return out
