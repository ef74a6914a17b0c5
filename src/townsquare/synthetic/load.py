"""Bulk-load a synthetic network: COPY on PostgreSQL (asyncpg), one executemany transaction
per table on SQLite, with a progress bar on stderr. Writes the ground truth beside it.

Every user starts with no home-timeline entries and no recent activity, so the first read
of each user builds their timeline from the database (the rebuild path), on either store.
Bench clients authenticate with the token `synthetic-<seed>-<account index>`.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Table
from sqlalchemy.engine import make_url

from townsquare.store import tables as t
from townsquare.synthetic.network import WORDS, Network

CHUNK = 50_000


def token_for(seed: int, index: int) -> str:
    return f"synthetic-{seed}-{index}"


class Progress:
    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.start = time.monotonic()

    def __call__(self, label: str, done: int, total: int) -> None:
        if self.quiet:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{label:>16} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done:>11,}/{total:,}  {time.monotonic() - self.start:6.1f}s")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


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

    def accounts(self) -> Iterator[dict[str, Any]]:
        created = self.created
        celebs = {int(c): j for j, c in enumerate(self.net.celebrities)}
        for i in range(self.n):
            name = f"u{i}"
            j = celebs.get(i)
            yield {"id": int(self.account_ids[i]), "username": name, "username_lower": name,
                   "display_name": f"Celebrity {j}" if j is not None else f"User {i}",
                   "note": "", "note_html": "", "bot": False, "locked": False,
                   "discoverable": True, "role": "user",
                   "followers_count": int(self.followers[i]),
                   "following_count": int(self.following[i]),
                   "statuses_count": int(self.statuses[i]), "created_at": created,
                   "updated_at": created}

    def users(self, password_hash: str) -> Iterator[dict[str, Any]]:
        for i in range(self.n):
            yield {"account_id": int(self.account_ids[i]), "email": f"u{i}@synthetic.invalid",
                   "password_hash": password_hash, "locale": "en",
                   "default_visibility": "public", "default_sensitive": False,
                   "created_at": self.created, "last_active_at": None}

    def tokens_rows(self) -> Iterator[dict[str, Any]]:
        for i in range(self.tokens):
            yield {"id": int(self.account_ids[i]) + (1 << 40),
                   "token_hash": hashlib.sha256(
                       token_for(self.net.spec.seed, i).encode()).hexdigest(),
                   "account_id": int(self.account_ids[i]), "app_id": None,
                   "scopes": "read write follow push", "created_at": self.created}

    def follows(self) -> Iterator[dict[str, Any]]:
        base = (_ms(self.created) + 1000) << 16
        ids, src, dst = self.account_ids, self.net.follow_src, self.net.follow_dst
        at = self.created + timedelta(seconds=1)
        for k in range(len(src)):
            yield {"id": base + k, "account_id": int(ids[src[k]]),
                   "target_account_id": int(ids[dst[k]]), "show_reblogs": True,
                   "notify": False, "created_at": at}

    def statuses_rows(self) -> Iterator[dict[str, Any]]:
        net, pid, aid = self.net, self.post_ids, self.account_ids
        vis = ("public", "unlisted", "private")
        tags = net.community_tags
        for k in range(len(pid)):
            author = int(net.post_author[k])
            rep = int(net.repost_of[k])
            if rep >= 0:
                text = ""
            else:
                w = net.post_words[k]
                text = f"{WORDS[w[0]]} {WORDS[w[1]]} {WORDS[w[2]]} post {k}"
                if self.tagged[k]:
                    text += f" #{tags[int(net.community[author])]}"
            yield {"id": int(pid[k]), "account_id": int(aid[author]), "text": text,
                   "content": f"<p>{text}</p>" if text else "", "spoiler_text": "",
                   "visibility": vis[int(self.visibility[k])], "sensitive": False,
                   "language": "en", "in_reply_to_id": None, "in_reply_to_account_id": None,
                   "reblog_of_id": int(pid[rep]) if rep >= 0 else None, "quote_of_id": None,
                   "conversation_id": int(pid[k]), "application_id": None,
                   "replies_count": 0, "reblogs_count": int(self.reposts_per_post[k]),
                   "favourites_count": int(self.likes_per_post[k]), "quotes_count": 0,
                   "created_at": _at(int(net.post_ms[k])), "edited_at": None}

    def tags_rows(self) -> Iterator[dict[str, Any]]:
        for j, name in enumerate(self.net.community_tags):
            yield {"id": int(self.tag_ids[j]), "name": name, "display_name": name,
                   "created_at": self.created}

    def status_tags_rows(self) -> Iterator[dict[str, Any]]:
        for k in np.flatnonzero(self.tagged):
            c = int(self.net.community[self.net.post_author[k]])
            yield {"status_id": int(self.post_ids[k]), "tag_id": int(self.tag_ids[c])}

    def favourites(self) -> Iterator[dict[str, Any]]:
        net = self.net
        like_ms = net.post_ms[net.like_post].astype(np.int64) + 60_000
        order = np.argsort(like_ms, kind="stable")
        sorted_ms = like_ms[order]
        seq = np.arange(len(order)) - np.searchsorted(sorted_ms, sorted_ms, side="left")
        ids = np.empty(len(order), dtype=np.int64)
        ids[order] = (sorted_ms << 16) + seq  # snowflakes in like-time order, distinct
        for k in range(len(net.like_post)):
            p = int(net.like_post[k])
            ms = int(like_ms[k])
            yield {"id": int(ids[k]),
                   "account_id": int(self.account_ids[net.like_account[k]]),
                   "status_id": int(self.post_ids[p]), "created_at": _at(ms)}

    def polls(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
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
        return polls, options, votes


def _columns(table: Table, sample: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The columns to load: the sample's, plus columns other issues added, at their defaults."""
    names = list(sample)
    extra: dict[str, Any] = {}
    for col in table.columns:
        if col.name in sample:
            continue
        default = getattr(col.default, "arg", None) if col.default is not None else None
        if default is not None and not callable(default):
            extra[col.name] = default
        elif not col.nullable:
            raise ValueError(f"{table.name}.{col.name} needs a value for bulk loading")
    return names + list(extra), extra


async def _load_pg(url: str, batches: Sequence[tuple[Table, Iterable[dict[str, Any]], int]],
                   progress: Progress) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username,
                                 password=u.password, database=u.database)
    try:
        async with conn.transaction():
            for table, rows, total in batches:
                it = iter(rows)
                first = next(it, None)
                if first is None:
                    continue
                cols, extra = _columns(table, first)
                done = 0

                for records in _records(first, it, cols, extra, lambda v: v):
                    await conn.copy_records_to_table(table.name, records=records, columns=cols)
                    done += len(records)
                    progress(table.name, done, total)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def _records(first: dict[str, Any], rest: Iterator[dict[str, Any]], cols: list[str],
             extra: dict[str, Any], convert: Any) -> Iterator[list[tuple[Any, ...]]]:
    """Rows as tuples in column order, CHUNK at a time."""
    chunk = [first]
    for row in rest:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield [tuple(convert(r[c] if c in r else extra[c]) for c in cols) for r in chunk]
            chunk = []
    if chunk:
        yield [tuple(convert(r[c] if c in r else extra[c]) for c in cols) for r in chunk]


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(v, bool):
        return int(v)
    return v


def _load_sqlite(path: str, batches: Sequence[tuple[Table, Iterable[dict[str, Any]], int]],
                 progress: Progress) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    try:
        conn.execute("BEGIN")
        for table, rows, total in batches:
            it = iter(rows)
            first = next(it, None)
            if first is None:
                continue
            cols, extra = _columns(table, first)
            sql = (f'INSERT INTO "{table.name}" ({", ".join(cols)}) '
                   f'VALUES ({", ".join("?" * len(cols))})')
            done = 0
            for records in _records(first, it, cols, extra, _sqlite_value):
                conn.executemany(sql, records)
                done += len(records)
                progress(table.name, done, total)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()


def write_truth(net: Network, plan: Plan, out: Path) -> None:
    """The hidden structure, for the algorithm and integrity work to check themselves against."""
    out.mkdir(parents=True, exist_ok=True)
    s = net.spec
    sizes = np.bincount(net.community, minlength=len(net.community_tags))
    (out / "truth.json").write_text(json.dumps({
        "seed": s.seed, "accounts": s.accounts, "now": s.now.isoformat(),
        "communities": [{"community": c, "tag": tag, "size": int(sizes[c])}
                        for c, tag in enumerate(net.community_tags)],
        "celebrities": [int(plan.account_ids[c]) for c in net.celebrities],
        "token": "synthetic-<seed>-<index> for account indexes below " + str(plan.tokens),
        "files": {"accounts.csv": "account_id,username,community,activity,popularity"},
    }, indent=2))
    with (out / "accounts.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["account_id", "username", "community", "activity", "popularity"])
        for i in range(s.accounts):
            w.writerow([int(plan.account_ids[i]), f"u{i}", int(net.community[i]),
                        f"{net.activity[i]:.4f}", f"{net.popularity[i]:.6g}"])


def load(net: Network, database_url: str, out: Path, *, tokens: int = 20_000,
         quiet: bool = False) -> Plan:
    from argon2 import PasswordHasher

    progress = Progress(quiet)
    plan = Plan(net, tokens)
    password_hash = PasswordHasher().hash("synthetic-password")
    polls, options, votes = plan.polls()
    n_posts = len(plan.post_ids)
    batches: list[tuple[Table, Iterable[dict[str, Any]], int]] = [
        (t.accounts, plan.accounts(), plan.n),
        (t.users, plan.users(password_hash), plan.n),
        (t.tokens, plan.tokens_rows(), plan.tokens),
        (t.follows, plan.follows(), len(net.follow_src)),
        (t.statuses, plan.statuses_rows(), n_posts),
        (t.tags, plan.tags_rows(), len(net.community_tags)),
        (t.status_tags, plan.status_tags_rows(), int(plan.tagged.sum())),
        (t.favourites, plan.favourites(), len(net.like_post)),
        (t.polls, polls, len(polls)),
        (t.poll_options, options, len(options)),
        (t.poll_votes, votes, len(votes)),
    ]
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        _load_sqlite(url.database, batches, progress)
    else:
        asyncio.run(_load_pg(database_url, batches, progress))
    write_truth(net, plan, out)
    return plan
