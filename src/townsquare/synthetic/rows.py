"""The rows of each table of a synthetic network, produced column-wise a chunk at a time,
so a 1,000,000-account network never exists as Python objects all at once.

Counters (followers, following, statuses, likes and reposts per post) are computed once with
numpy from the arrays: the database never has to recount them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from townsquare.synthetic.columns import Chunk, Nullable
from townsquare.synthetic.network import WORDS, Network

# Besides the accounts with index below --tokens, the most-followed accounts get bench
# tokens too, so the cost of a post can be measured up to the largest audience.
TOP_TOKENS = 100


def token_for(seed: int, index: int) -> str:
    return f"synthetic-{seed}-{index}"


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _times(ms: np.ndarray) -> np.ndarray:
    return np.asarray(ms, np.int64).astype("datetime64[ms]")


@dataclass
class TableRows:
    """One table's rows: how many, and a producer of the chunk of rows [start, stop)."""

    name: str
    total: int
    chunk: Callable[[int, int], Chunk]


class Plan:
    """Row producers for each table, from a Network."""

    def __init__(self, net: Network, tokens: int) -> None:
        self.net = net
        s = net.spec
        self.n = s.accounts
        self.created = s.now - timedelta(days=s.days + 30)
        base = _ms(self.created) << 16
        self.account_ids = base + np.arange(self.n, dtype=np.int64)
        first = np.searchsorted(net.post_ms, net.post_ms, side="left")
        self.post_ids = (net.post_ms.astype(np.int64) << 16) + (np.arange(len(net.post_ms))
                                                                  - first)
        self.tokens = min(tokens, self.n)
        rng = np.random.default_rng(s.seed + 1)
        self.visibility = np.where(rng.random(len(self.post_ids)) < 0.9, 0,
                                   np.where(rng.random(len(self.post_ids)) < 0.7, 1, 2))
        self.visibility[net.repost_of >= 0] = 0
        self.tagged = (rng.random(len(self.post_ids)) < 0.3) & (net.repost_of < 0)
        self.likes_per_post = np.bincount(net.like_post, minlength=len(self.post_ids))
        reposted = net.repost_of[net.repost_of >= 0]
        self.reposts_per_post = np.bincount(reposted, minlength=len(self.post_ids))
        self.followers = np.bincount(net.follow_dst, minlength=self.n)
        self.following = np.bincount(net.follow_src, minlength=self.n)
        public = self.visibility < 2
        self.statuses = np.bincount(net.post_author[public], minlength=self.n)
        self.tag_ids = _ms(self.created) << 16 | 0xFFF0 - np.arange(len(net.community_tags))
        top = np.argsort(-self.followers, kind="stable")[:TOP_TOKENS]
        self.token_indexes = np.union1d(np.arange(self.tokens), top)
        self._like_ids: np.ndarray | None = None
        self._polls: tuple[list[dict[str, Any]], ...] | None = None

    def tables(self, password_hash: str) -> list[TableRows]:
        net = self.net
        polls, options, votes = self.polls()
        return [
            TableRows("accounts", self.n, self.accounts),
            TableRows("users", self.n, lambda a, b: self.users(a, b, password_hash)),
            TableRows("tokens", len(self.token_indexes), self.tokens_rows),
            TableRows("follows", len(net.follow_src), self.follows),
            TableRows("statuses", len(self.post_ids), self.statuses_rows),
            TableRows("tags", len(net.community_tags), self.tags_rows),
            TableRows("status_tags", int(self.tagged.sum()), self.status_tags_rows),
            TableRows("favourites", len(net.like_post), self.favourites),
            TableRows("polls", len(polls), _from_dicts(polls)),
            TableRows("poll_options", len(options), _from_dicts(options)),
            TableRows("poll_votes", len(votes), _from_dicts(votes)),
        ]

    def accounts(self, a: int, b: int) -> Chunk:
        celebs = {int(c): j for j, c in enumerate(self.net.celebrities)}
        names = [f"u{i}" for i in range(a, b)]
        display = [f"User {i}" for i in range(a, b)]
        for i, j in celebs.items():
            if a <= i < b:
                display[i - a] = f"Celebrity {j}"
        return {"id": self.account_ids[a:b], "username": names, "username_lower": names,
                "display_name": display, "note": "", "note_html": "", "bot": False,
                "locked": False, "discoverable": True, "role": "user",
                "followers_count": self.followers[a:b],
                "following_count": self.following[a:b],
                "statuses_count": self.statuses[a:b], "created_at": self.created,
                "updated_at": self.created}

    def users(self, a: int, b: int, password_hash: str) -> Chunk:
        return {"account_id": self.account_ids[a:b],
                "email": [f"u{i}@synthetic.invalid" for i in range(a, b)],
                "password_hash": password_hash, "locale": "en",
                "default_visibility": "public", "default_sensitive": False,
                "created_at": self.created, "last_active_at": None}

    def tokens_rows(self, a: int, b: int) -> Chunk:
        idx = self.token_indexes[a:b]
        ids = self.account_ids[idx]
        seed = self.net.spec.seed
        return {"id": ids + (1 << 40),
                "token_hash": [hashlib.sha256(token_for(seed, int(i)).encode()).hexdigest()
                               for i in idx],
                "account_id": ids, "app_id": None, "scopes": "read write follow push",
                "created_at": self.created}

    def follows(self, a: int, b: int) -> Chunk:
        base = (_ms(self.created) + 1000) << 16
        ids, net = self.account_ids, self.net
        return {"id": base + np.arange(a, b, dtype=np.int64),
                "account_id": ids[net.follow_src[a:b]],
                "target_account_id": ids[net.follow_dst[a:b]], "show_reblogs": True,
                "notify": False, "created_at": self.created + timedelta(seconds=1)}

    def statuses_rows(self, a: int, b: int) -> Chunk:
        net, pid = self.net, self.post_ids
        tags = [f" #{tag}" for tag in net.community_tags]
        author = net.post_author[a:b]
        rep = net.repost_of[a:b]
        words = net.post_words[a:b].tolist()
        tag_of = np.where(self.tagged[a:b], net.community[author], -1).tolist()
        texts = [
            "" if r >= 0 else
            f"{WORDS[w[0]]} {WORDS[w[1]]} {WORDS[w[2]]} post {k}" + (tags[c] if c >= 0 else "")
            for k, r, w, c in zip(range(a, b), rep.tolist(), words, tag_of, strict=True)]
        vis = np.array(["public", "unlisted", "private"])[self.visibility[a:b]].tolist()
        return {"id": pid[a:b], "account_id": self.account_ids[author], "text": texts,
                "content": [f"<p>{x}</p>" if x else "" for x in texts], "spoiler_text": "",
                "visibility": vis, "sensitive": False, "language": "en",
                "in_reply_to_id": None, "in_reply_to_account_id": None,
                "reblog_of_id": Nullable(pid[np.maximum(rep, 0)], rep < 0),
                "quote_of_id": None, "conversation_id": pid[a:b], "application_id": None,
                "replies_count": 0, "reblogs_count": self.reposts_per_post[a:b],
                "favourites_count": self.likes_per_post[a:b], "quotes_count": 0,
                "created_at": _times(net.post_ms[a:b]), "edited_at": None}

    def tags_rows(self, a: int, b: int) -> Chunk:
        names = self.net.community_tags[a:b]
        return {"id": np.asarray(self.tag_ids[a:b], np.int64), "name": names,
                "display_name": names, "created_at": self.created}

    def status_tags_rows(self, a: int, b: int) -> Chunk:
        k = np.flatnonzero(self.tagged)[a:b]
        c = self.net.community[self.net.post_author[k]]
        return {"status_id": self.post_ids[k],
                "tag_id": np.asarray(self.tag_ids, np.int64)[c]}

    def like_ids(self) -> np.ndarray:
        """Snowflakes in like-time order, distinct (a like is a minute after its post)."""
        if self._like_ids is None:
            like_ms = self.net.post_ms[self.net.like_post].astype(np.int64) + 60_000
            order = np.argsort(like_ms, kind="stable")
            sorted_ms = like_ms[order]
            seq = np.arange(len(order)) - np.searchsorted(sorted_ms, sorted_ms, side="left")
            ids = np.empty(len(order), dtype=np.int64)
            ids[order] = (sorted_ms << 16) + seq
            self._like_ids = ids
        return self._like_ids

    def favourites(self, a: int, b: int) -> Chunk:
        net = self.net
        post = net.like_post[a:b]
        return {"id": self.like_ids()[a:b],
                "account_id": self.account_ids[net.like_account[a:b]],
                "status_id": self.post_ids[post],
                "created_at": _times(net.post_ms[post].astype(np.int64) + 60_000)}

    def polls(self) -> tuple[list[dict[str, Any]], ...]:
        if self._polls is not None:
            return self._polls
        rng = np.random.default_rng(self.net.spec.seed + 2)
        s_now = self.net.spec.now
        polls: list[dict[str, Any]] = []
        options: list[dict[str, Any]] = []
        votes: list[dict[str, Any]] = []
        for k in self.net.poll_posts:
            pid = int(self.post_ids[k]) + 7
            n_opt = int(rng.integers(2, 5))
            voters = rng.integers(0, self.n, int(rng.integers(0, 12)))
            voters = np.unique(voters)
            choices = rng.integers(0, n_opt, len(voters))
            counts = np.bincount(choices, minlength=n_opt)
            created = _at(int(self.net.post_ms[k]))
            polls.append({"id": pid, "status_id": int(self.post_ids[k]),
                          "expires_at": created + timedelta(days=1), "multiple": False,
                          "hide_totals": False, "votes_count": len(voters),
                          "voters_count": len(voters),
                          # polls that ended before the load are history, not news: their
                          # "poll ended" notices are not sent again by the poll job
                          "ended_notified_at": (created + timedelta(days=1)
                                                if created + timedelta(days=1) < s_now
                                                else None),
                          "created_at": created})
            for j in range(n_opt):
                options.append({"poll_id": pid, "position": j, "title": f"option {j + 1}",
                                "votes_count": int(counts[j])})
            for v, c in zip(voters, choices, strict=True):
                votes.append({"id": (_ms(self.net.spec.now) << 16) + len(votes),
                              "poll_id": pid,
                              "account_id": int(self.account_ids[v]), "choice": int(c),
                              "created_at": created + timedelta(minutes=5)})
        self._polls = (polls, options, votes)
        return self._polls


def _from_dicts(rows: list[dict[str, Any]]) -> Callable[[int, int], Chunk]:
    """A chunk producer over a (small) list of row dicts."""

    def chunk(a: int, b: int) -> Chunk:
        part = rows[a:b]
        out: Chunk = {}
        for c in part[0]:
            values = [r[c] for r in part]
            if isinstance(values[0], datetime) or any(v is None for v in values):
                null = np.array([v is None for v in values])
                times = np.array([0 if v is None else round(v.timestamp() * 1e6)
                                  for v in values], np.int64).astype("datetime64[us]")
                out[c] = Nullable(times, null) if null.any() else times
            elif isinstance(values[0], str):
                out[c] = values
            else:
                out[c] = np.array(values)
        return out

    return chunk


def chunks(table: TableRows, size: int) -> Iterator[tuple[int, Chunk]]:
    for a in range(0, table.total, size):
        b = min(a + size, table.total)
        yield b - a, table.chunk(a, b)
