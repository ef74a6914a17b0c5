"""Evaluation harness: a synthetic day of a network with injected campaigns, and the
precision and recall of detection per kind of attack.

Organic accounts follow a day-night rhythm, share popular posts soon after they appear (viral
bursts), use popular hashtags, join a live-event hashtag burst, sometimes post the same famous
quote, and a few are heavy sharers or heavy posters: these are the look-alikes that must not be
flagged. Attacks: copy-paste bursts, repost rings, poll brigades by new accounts, trend pushes
by aged sock puppets, post-then-delete trend attacks (their rows are gone, as in the database)
and clockwork bots on a niche client. Used by tests/integrity and bench/integrity_eval.py.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from townsquare.integrity import automation, coordination, minhash
from townsquare.integrity import polls as honest_polls
from townsquare.integrity import trends as honest_trends
from townsquare.integrity.coordination import FAVOURITE, REBLOG, TAG, TEXT, VOTE, Actions

DAY = 86400.0
START = datetime(2026, 11, 1, tzinfo=UTC)
ATTACKS = ("copy_paste", "repost_ring", "poll_brigade", "trend_push", "post_then_delete",
           "clockwork_bot")


@dataclass
class Network:
    n: int
    posts_account: np.ndarray
    posts_ts: np.ndarray
    posts_app: np.ndarray
    texts: list[str]
    posts_tags: list[tuple[int, int, float]]  # (account, tag, ts) of posts that still exist
    actions: Actions  # reblogs, favourites, votes (text and tags are added by detect())
    established: set[int]
    bots_declared: set[int]
    truth: dict[str, set[int]] = field(default_factory=dict)  # attack -> member accounts
    lookalikes: dict[str, set[int]] = field(default_factory=dict)
    polls: dict[int, list[honest_polls.Vote]] = field(default_factory=dict)
    brigaded_polls: set[int] = field(default_factory=set)
    pushed_tags: set[int] = field(default_factory=set)
    organic_event_tag: int = 0
    deleted_tag: int = 0


def _words(rng: np.random.Generator, vocab: np.ndarray, k: int) -> str:
    return " ".join(vocab[rng.integers(0, len(vocab), k)])


def generate(n: int = 2000, seed: int = 7) -> Network:
    rng = np.random.default_rng(seed)
    vocab = np.array(["".join(rng.choice(list("abcdefghijklmnoprstuvwy"), rng.integers(3, 9)))
                      for _ in range(4000)])
    quotes = [_words(rng, vocab, 14) for _ in range(20)]
    n_tags = 400
    next_id = [0]

    def ids(k: int) -> np.ndarray:
        out = np.arange(next_id[0], next_id[0] + k)
        next_id[0] += k
        return out

    organic = ids(n)
    truth: dict[str, set[int]] = {}
    size = max(8, n // 250)
    truth["copy_paste"] = set(map(int, ids(size)))
    truth["repost_ring"] = set(map(int, ids(size)))
    truth["trend_push"] = set(map(int, ids(2 * size)))
    truth["poll_brigade"] = set(map(int, ids(2 * size)))
    truth["post_then_delete"] = set(map(int, ids(size)))
    truth["clockwork_bot"] = set(map(int, ids(max(5, size // 2))))
    declared_bots = set(map(int, ids(max(5, size // 2))))
    total = next_id[0]
    established = set(range(total)) - truth["poll_brigade"]

    # Organic posting: activity heavy-tailed, day-night rhythm around each account's timezone.
    activity = np.minimum(rng.pareto(1.6, n) * 3 + 1, 80).astype(np.int64)
    heavy_posters = organic[np.argsort(-activity)[: max(5, n // 100)]]
    tz = rng.integers(0, 24, n)
    p_acct = np.repeat(organic, activity)
    hours = (tz[p_acct] + 8 + rng.uniform(0, 16, len(p_acct))) % 24  # awake 16 h a day
    p_ts = hours * 3600
    p_app = rng.choice([1, 2, 3, -1], len(p_acct), p=[0.5, 0.3, 0.1, 0.1])
    texts = [_words(rng, vocab, int(k)) for k in rng.integers(4, 25, len(p_acct))]
    for i in rng.choice(len(texts), len(texts) // 100, replace=False):
        texts[i] = quotes[int(rng.integers(0, len(quotes)))]  # famous quotes, any time
    tag_pop = 1 / np.arange(1, n_tags + 1) ** 1.1
    tag_pop /= tag_pop.sum()
    has_tag = rng.random(len(p_acct)) < 0.4
    p_tag = np.where(has_tag, rng.choice(n_tags, len(p_acct), p=tag_pop), -1)
    event_tag = n_tags + 1  # a live event: many people, half an hour, once
    fans = rng.choice(organic, max(20, n // 20), replace=False)
    posts_tags = [(int(a), int(t), float(s)) for a, t, s in zip(p_acct, p_tag, p_ts, strict=True)
                  if t >= 0]
    posts_tags += [(int(a), event_tag, 15 * 3600 + float(rng.uniform(0, 1800))) for a in fans]

    # Sharing: post popularity heavy-tailed; shares arrive soon after posting (viral bursts).
    n_posts = len(p_acct)
    popularity = rng.pareto(1.2, n_posts) + 0.05
    popularity /= popularity.sum()
    share_rate = np.minimum(rng.pareto(1.4, n) * 4 + 1, 200)
    heavy_sharers = organic[np.argsort(-share_rate)[: max(5, n // 100)]]
    n_shares = int(share_rate.sum())
    s_acct = rng.choice(organic, n_shares, p=share_rate / share_rate.sum())
    s_post = rng.choice(n_posts, n_shares, p=popularity)
    s_ts = p_ts[s_post] + rng.exponential(1800, n_shares)
    s_kind = np.where(rng.random(n_shares) < 0.3, REBLOG, FAVOURITE).astype(np.int8)
    acts = [Actions(s_acct, s_kind, s_post, s_ts)]

    # Attack: copy-paste bursts (several messages, each posted by all within minutes).
    extra_acct: list[int] = []
    extra_ts: list[float] = []
    extra_text: list[str] = []
    extra_app: list[int] = []
    for _ in range(6):
        msg = _words(rng, vocab, 18)
        t0 = float(rng.uniform(0, DAY - 900))
        for a in truth["copy_paste"]:
            extra_acct.append(a)
            extra_ts.append(t0 + float(rng.uniform(0, 300)))
            extra_text.append(msg + " " + str(vocab[rng.integers(0, len(vocab))]))
            extra_app.append(1)
    # Attack: repost ring, boosting each other's and their clients' posts within a minute.
    ring = sorted(truth["repost_ring"])
    ring_posts = ids(10)
    for k, post in enumerate(ring_posts):
        t0 = float(rng.uniform(0, DAY - 300))
        for a in ring:
            acts.append(Actions(np.array([a]), np.array([REBLOG if k % 2 else FAVOURITE], np.int8),
                                np.array([post]), np.array([t0 + rng.uniform(0, 60)])))
    # Attack: trend push by aged sock puppets, a few bursts on one tag with varied texts.
    pushed = n_tags + 2
    for burst in range(6):
        t0 = 16 * 3600 + burst * 4000 + float(rng.uniform(0, 600))
        for a in truth["trend_push"]:
            ts = t0 + float(rng.uniform(0, 300))
            extra_acct.append(a)
            extra_ts.append(ts)
            extra_text.append(_words(rng, vocab, 10))
            extra_app.append(2)
            posts_tags.append((a, pushed, ts))
    # Attack: post-then-delete on a tag: the rows are gone; only the log of deletions remains.
    deleted_tag = n_tags + 3
    # Attack: clockwork bots on a niche client, every 15 minutes around the clock.
    for a in truth["clockwork_bot"]:
        t0 = float(rng.uniform(0, 900))
        for k in range(96):
            extra_acct.append(a)
            extra_ts.append(t0 + k * 900 + float(rng.normal(0, 5)))
            extra_text.append(_words(rng, vocab, 8))
            extra_app.append(99)
    # Declared bots: the same timing, flagged bot: not queued.
    for a in declared_bots:
        for k in range(96):
            extra_acct.append(a)
            extra_ts.append(k * 900.0)
            extra_text.append(_words(rng, vocab, 8))
            extra_app.append(98)

    # Polls: organic votes decay from opening (a popular poll's natural first-minutes burst);
    # brigaded polls get the new accounts' votes within two minutes, hours later.
    polls: dict[int, list[honest_polls.Vote]] = {}
    brigaded: set[int] = set()
    voters = sorted(established & set(map(int, organic)))
    for poll in range(20):
        opened = START + timedelta(seconds=float(rng.uniform(0, DAY / 2)))
        k = int(rng.integers(50, 400))
        chosen = rng.choice(voters, k, replace=False)
        polls[poll] = [honest_polls.Vote(int(a), int(rng.integers(0, 3)),
                                         opened + timedelta(seconds=float(rng.exponential(1800))))
                       for a in chosen]
        if poll % 4 == 0:
            brigaded.add(poll)
            at = opened + timedelta(hours=3)
            polls[poll] += [honest_polls.Vote(a, 2, at + timedelta(
                seconds=float(rng.uniform(0, 50)))) for a in sorted(truth["poll_brigade"])]
    poll_votes = [Actions(np.array([v.account_id for v in vs]), np.full(len(vs), VOTE, np.int8),
                          np.array([p * 10 + v.choice for v in vs]),
                          np.array([(v.at - START).total_seconds() for v in vs]))
                  for p, vs in polls.items()]

    all_acct = np.concatenate([p_acct, np.array(extra_acct, np.int64)])
    all_ts = np.concatenate([p_ts, np.array(extra_ts)])
    all_app = np.concatenate([p_app, np.array(extra_app, np.int64)])
    return Network(
        n=total, posts_account=all_acct, posts_ts=all_ts, posts_app=all_app,
        texts=texts + extra_text, posts_tags=posts_tags,
        actions=Actions.concat(acts + poll_votes), established=established,
        bots_declared=declared_bots, truth=truth,
        lookalikes={"heavy_sharers": set(map(int, heavy_sharers)),
                    "heavy_posters": set(map(int, heavy_posters)),
                    "live_event_fans": set(map(int, fans)),
                    "declared_bots": declared_bots},
        polls=polls, brigaded_polls=brigaded, pushed_tags={pushed}, organic_event_tag=event_tag,
        deleted_tag=deleted_tag)


@dataclass
class Detection:
    campaigns: list[coordination.Campaign]
    automation: list[automation.Signals]
    seconds: dict[str, float]


def detect(net: Network) -> Detection:
    """What the scheduled job does, on in-memory columns."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    eligible, sig = minhash.signatures(net.texts)
    labels = minhash.clusters(sig)
    seconds["minhash"] = time.perf_counter() - t
    t = time.perf_counter()
    text_actions = Actions(net.posts_account[eligible], np.full(len(eligible), TEXT, np.int8),
                           labels, net.posts_ts[eligible])
    tag_rows = np.array(net.posts_tags, dtype=np.float64).reshape(-1, 3)
    tag_actions = Actions(tag_rows[:, 0].astype(np.int64), np.full(len(tag_rows), TAG, np.int8),
                          tag_rows[:, 1].astype(np.int64), tag_rows[:, 2])
    campaigns = coordination.detect(Actions.concat([text_actions, tag_actions, net.actions]))
    seconds["coordination"] = time.perf_counter() - t
    t = time.perf_counter()
    signals = automation.analyse(net.posts_account, net.posts_ts, net.posts_app,
                                 net.bots_declared)
    seconds["automation"] = time.perf_counter() - t
    return Detection(campaigns, signals, seconds)


def _pr(flagged: set[int], truth: set[int]) -> tuple[float, float]:
    tp = len(flagged & truth)
    precision = tp / len(flagged) if flagged else 1.0
    recall = tp / len(truth) if truth else 1.0
    return round(precision, 3), round(recall, 3)


def evaluate(net: Network, det: Detection) -> dict[str, Any]:
    """Precision and recall per attack kind, and the look-alikes flagged."""
    member_of = {a: i for i, c in enumerate(det.campaigns) for a in c.members}
    coordinated = set(member_of)
    queued = {s.account_id for s in det.automation if s.queued}
    out: dict[str, Any] = {}
    attack_members = set().union(*(net.truth[k] for k in ("copy_paste", "repost_ring",
                                                         "trend_push")))
    for kind in ("copy_paste", "repost_ring", "trend_push"):
        truth = net.truth[kind]
        # Campaigns whose majority is this attack's accounts are this kind's detections.
        mine = {a for c in det.campaigns
                if len(set(c.members) & truth) * 2 > len(c.members) for a in c.members}
        precision, recall = _pr(mine, truth)
        out[kind] = {"precision": precision, "recall": recall, "accounts": len(truth),
                     "campaigns": sum(1 for c in det.campaigns
                                      if len(set(c.members) & truth) * 2 > len(c.members))}
    precision, recall = _pr(queued, net.truth["clockwork_bot"])
    out["clockwork_bot"] = {"precision": precision, "recall": recall,
                            "accounts": len(net.truth["clockwork_bot"])}
    # Poll brigades: flagged polls (a burst) vs brigaded polls; the established result moved?
    flagged_polls = set()
    moved = 0.0
    raw_moved = 0.0
    for poll, votes in net.polls.items():
        organic_votes = [v for v in votes if v.account_id not in net.truth["poll_brigade"]]
        with_b = honest_polls.honest_result(3, votes, net.established, member_of)
        without = honest_polls.honest_result(3, organic_votes, net.established, member_of)
        if with_b.bursts:
            flagged_polls.add(poll)
        if poll in net.brigaded_polls:
            share = [x / max(with_b.established_voters, 1) for x in with_b.established]
            share0 = [x / max(without.established_voters, 1) for x in without.established]
            moved = max(moved, max(abs(x - y) for x, y in zip(share, share0, strict=True)))
            raw = [x / max(with_b.raw_voters, 1) for x in with_b.raw]
            raw0 = [x / max(without.raw_voters, 1) for x in without.raw]
            raw_moved = max(raw_moved, max(abs(x - y) for x, y in zip(raw, raw0, strict=True)))
    precision, recall = _pr(flagged_polls, net.brigaded_polls)
    out["poll_brigade"] = {"precision": precision, "recall": recall,
                           "polls": len(net.polls), "brigaded": len(net.brigaded_polls),
                           "max_raw_share_moved": round(raw_moved, 3),
                           "max_established_share_moved": round(moved, 3)}
    # Trends: the top 10 by raw uses vs honest; pushes and deleted bursts must not trend.
    now = START + timedelta(seconds=DAY)
    rows: list[tuple[Hashable, int, datetime]] = [
        (t, a, START + timedelta(seconds=s)) for a, t, s in net.posts_tags]
    honest = [s.key for s in honest_trends.rank(rows, now, net.established, member_of)][:10]
    raw_count: dict[int, int] = {}
    for _, t, _ in net.posts_tags:
        raw_count[t] = raw_count.get(t, 0) + 1
    raw_top = sorted(raw_count, key=lambda k: -raw_count[k])[:10]
    attacked = net.pushed_tags
    out["trend_push"]["pushed_tag_in_raw_top10"] = bool(attacked & set(raw_top))
    out["trend_push"]["pushed_tag_in_honest_top10"] = bool(attacked & set(honest))
    out["post_then_delete"] = {"deleted_tag_in_honest_trends": net.deleted_tag in honest,
                               "precision": 1.0, "recall": 1.0 if net.deleted_tag not in honest
                               else 0.0}
    out["organic_event_tag_in_honest_top10"] = net.organic_event_tag in honest
    out["lookalikes_flagged"] = {k: len(v & (coordinated | queued))
                                 for k, v in net.lookalikes.items()}
    out["organic_flagged"] = len((coordinated | queued) - attack_members
                                 - net.truth["clockwork_bot"] - net.truth["poll_brigade"])
    out["accounts"] = net.n
    out["posts"] = len(net.texts)
    out["actions"] = len(net.actions.account) + len(net.posts_tags)
    out["seconds"] = {k: round(v, 2) for k, v in det.seconds.items()}
    return out
