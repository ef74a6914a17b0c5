"""Rescoring after a burst of ratings (debounced), and `townsquare notes export` feeding
`townsquare notes score` (round trip through the published TSV files)."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers import Client
from tests.notes_app.world import post, rate, two_camps, write
from townsquare.actions import notes as actions
from townsquare.notes import constants as c
from townsquare.notes.cli import main as notes_cli
from townsquare.store.tables_notes import note_scoring_runs, note_status


async def _runs(client: Client) -> list[tuple[str, int]]:
    async with client.ctx.db.read() as conn:
        rows = (await conn.execute(select(note_scoring_runs.c.trigger,
                                          note_scoring_runs.c.ratings_count)
                                   .order_by(note_scoring_runs.c.id))).all()
    return [(t, n) for t, n in rows]


async def test_a_burst_of_ratings_starts_a_run_debounced(
        client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "RESCORE_AFTER_RATINGS", 3)
    author, writer = await client.user("author"), await client.user("writer")
    raters = [await client.user(f"r{i}") for i in range(7)]
    note = await write(client, writer, await post(client, author, "claim"))
    for rater in raters[:2]:
        await rate(client, rater, note, helpful=True)
    await client.ctx.jobs.drain()
    assert await _runs(client) == []  # two new ratings: not a burst yet
    await rate(client, raters[2], note, helpful=True)
    await client.ctx.jobs.drain()
    assert await _runs(client) == [("ratings", 3)]
    # Within the debounce interval, another burst waits for the schedule ...
    for rater in raters[3:6]:
        await rate(client, rater, note, helpful=True)
    await client.ctx.jobs.drain()
    assert await _runs(client) == [("ratings", 3)]
    assert await actions.pending_ratings(client.ctx) == 3
    # ... and after it, the next rating starts a run that takes every waiting rating.
    client.ctx.clock.advance(actions.RESCORE_DEBOUNCE_SECONDS)  # type: ignore[attr-defined]
    await rate(client, raters[6], note, helpful=True)
    await client.ctx.jobs.drain()
    assert await _runs(client) == [("ratings", 3), ("ratings", 7)]
    assert await actions.pending_ratings(client.ctx) == 0


async def test_export_then_score_gives_the_same_statuses(
        client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "RESCORE_AFTER_RATINGS", 10**9)
    w = await two_camps(client)
    await actions.rescore(client.ctx)
    exported = tmp_path / "export"
    url = client.ctx.settings.database_url
    code = await asyncio.to_thread(notes_cli, ["export", "--outdir", str(exported),
                                               "--database-url", url])
    assert code == 0
    names = sorted(p.name for p in exported.iterdir())
    assert names == ["noteStatusHistory-00000.tsv", "notes-00000.tsv", "ratings-00000.tsv"]
    with open(exported / "notes-00000.tsv", newline="") as f:
        notes = {int(row["noteId"]): row for row in csv.DictReader(f, delimiter="\t")}
    row = notes[w.notes["bridging0"]]
    assert row["tweetId"] == str(w.posts["bridging0"])
    assert row["noteAuthorParticipantId"] == str(w.writer.id)
    assert row["classification"] == c.MISLEADING
    assert (row["misleadingFactualError"], row["misleadingOther"]) == ("1", "0")
    assert row["summary"].startswith("note bridging0 https://")

    out = tmp_path / "scored"
    now_ms = int(client.ctx.clock.now().timestamp() * 1000) + 60_000
    code = await asyncio.to_thread(notes_cli, [
        "score", "--notes", str(exported / "notes-00000.tsv"),
        "--ratings", str(exported / "ratings-00000.tsv"),
        "--status", str(exported / "noteStatusHistory-00000.tsv"),
        "--outdir", str(out), "--now-millis", str(now_ms)])
    assert code == 0
    with open(out / "scored_notes.tsv", newline="") as f:
        scored = {int(r["noteId"]): r for r in csv.DictReader(f, delimiter="\t")}
    async with client.ctx.db.read() as conn:
        stored = {r.note_id: r for r in (await conn.execute(select(note_status))).all()}
    assert set(scored) == set(stored) == set(w.notes.values())
    for note_id, r in scored.items():
        assert r["finalRatingStatus"] == stored[note_id].current_status
        assert r["numRatings"] == str(stored[note_id].num_ratings) == "10"
        # Same fit up to the optimiser's stopping point (participants are numbered in file
        # order by the reader, so the seeded initialisation differs).
        assert float(r["coreNoteIntercept"]) == pytest.approx(stored[note_id].intercept,
                                                              abs=2e-3)
    # The history the CLI wrote carries the app's first-status timestamps forward.
    with open(out / "note_status_history.tsv", newline="") as f:
        history = {int(r["noteId"]): r for r in csv.DictReader(f, delimiter="\t")}
    first = history[w.notes["bridging0"]]
    assert first["firstNonNMRStatus"] == c.CRH
    assert float(first["timestampMillisOfFirstNonNMRStatus"]) == stored[
        w.notes["bridging0"]].first_non_nmr_ms
