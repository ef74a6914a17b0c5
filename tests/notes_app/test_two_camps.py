"""The whole loop through the app: notes and ratings in the database, the rescoring job,
statuses stored with their history, helpful notes under posts, the writer/rater record."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers import Client, User
from tests.notes_app.world import LINK, note_json, rate, two_camps
from townsquare.actions import notes as actions
from townsquare.jobs.notes import register_notes_jobs
from townsquare.notes import constants as c
from townsquare.store.tables_notes import note_scoring_runs

DAY = 86_400


@pytest.fixture(autouse=True)
def no_bursts(monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs start only when the test says so (the burst trigger has its own test below).
    monkeypatch.setattr(actions, "RESCORE_AFTER_RATINGS", 10**9)


async def _scheduled_run(client: Client) -> None:
    """Run the job exactly as the schedule does."""
    jobs = [job for name, _, job in client.ctx.jobs._periodic if name == "notes.rescore"]
    assert len(jobs) == 1
    await jobs[0]()


def _notes_under(status: dict[str, Any]) -> list[dict[str, Any]]:
    return (status.get("townsquare") or {}).get("notes", [])


async def _home_queries(client: Client, reader: User, limit: int
                        ) -> tuple[int, list[dict[str, Any]]]:
    # Warm the per-process cache of post parts first, so the count is the steady state.
    await client.get("/api/v1/timelines/home", as_=reader, params={"limit": limit})
    with client.ctx.db.counting() as n:
        r = await client.get("/api/v1/timelines/home", as_=reader, params={"limit": limit})
    assert r.status_code == 200, r.text
    return n[0], r.json()


async def test_bridging_note_becomes_helpful_one_camp_note_does_not(client: Client) -> None:
    """Display rules, the home timeline's query count and the writer/rater record, on one
    two-camp square (building it is the slow part)."""
    stranger = await client.user("stranger")
    reader = await client.user("reader")
    w = await two_camps(client, followers=(reader,))
    bridging, one_camp, bad = w.notes["bridging0"], w.notes["left0"], w.notes["bad0"]

    # Before any run: every note needs more ratings, nothing shows under the posts.
    post = (await client.get(f"/api/v1/statuses/{w.posts['bridging0']}")).json()
    assert post["townsquare"] is None
    await _home_queries(client, reader, 1)  # once-per-session work
    before = {limit: (await _home_queries(client, reader, limit))[0] for limit in (5, 20)}
    await _scheduled_run(client)

    statuses = {k: (await client.get(f"/api/v1/townsquare/notes/{n}")).json()["status"]
                for k, n in w.notes.items()}
    assert {statuses[f"bridging{i}"] for i in range(3)} == {c.CRH}
    assert {statuses[f"left{i}"] for i in range(2)} == {c.NMR}
    assert {statuses[f"right{i}"] for i in range(2)} == {c.NMR}
    assert {statuses[f"bad{i}"] for i in range(5)} == {c.CRNH}

    note = (await client.get(f"/api/v1/townsquare/notes/{bridging}")).json()
    assert [t["tag"] for t in note["top_tags"]] == ["helpfulClear", "helpfulGoodSources"]
    assert note["scoring"]["intercept"] >= c.CRH_THRESHOLD
    assert abs(note["scoring"]["factor"]) < c.FACTOR_THRESHOLD
    assert note["scoring"]["decided_by"] == c.RULE_CORE_MODEL
    one = (await client.get(f"/api/v1/townsquare/notes/{one_camp}")).json()
    assert abs(one["scoring"]["factor"]) > c.FACTOR_THRESHOLD  # the camps split on it

    # The helpful note shows under the post for everyone: anonymous, a stranger, the author.
    for viewer in (None, stranger, w.poster):
        post = (await client.get(f"/api/v1/statuses/{w.posts['bridging0']}", as_=viewer)).json()
        shown = _notes_under(post)
        assert [n["id"] for n in shown] == [str(bridging)]
        assert shown[0]["status"] == c.CRH
        assert [t["tag"] for t in shown[0]["top_tags"]] == ["helpfulClear", "helpfulGoodSources"]
        assert shown[0]["url"].endswith(f"/api/v1/townsquare/notes/{bridging}")
        assert LINK in shown[0]["content"]
    # A one-camp note and a rejected note do not show under their posts ...
    for key in ("left0", "bad0"):
        post = (await client.get(f"/api/v1/statuses/{w.posts[key]}", as_=stranger)).json()
        assert post["townsquare"] is None
    # ... but are listed, with their status, on the post's notes.
    listed = (await client.get(f"/api/v1/townsquare/statuses/{w.posts['left0']}/notes")).json()
    assert [(n["id"], n["status"], n["top_tags"]) for n in listed] == [(str(one_camp), c.NMR, [])]
    listed = (await client.get(f"/api/v1/townsquare/statuses/{w.posts['bad0']}/notes")).json()
    assert [(n["id"], n["status"]) for n in listed] == [(str(bad), c.CRNH)]
    assert [t["tag"] for t in listed[0]["top_tags"]] == [
        "notHelpfulIncorrect", "notHelpfulSourcesMissingOrUnreliable"]
    # Timelines carry the note too.
    public = (await client.get("/api/v1/timelines/public", params={"limit": 40})).json()
    noted = {s["id"] for s in public if _notes_under(s)}
    assert noted == {str(w.posts[f"bridging{i}"]) for i in range(3)}

    # The home timeline costs the same number of queries with helpful notes on the page.
    after = {}
    for limit in (5, 20):
        after[limit], page = await _home_queries(client, reader, limit)
    assert len(page) == 12
    assert sum(1 for s in page if _notes_under(s)) == 3
    assert len(set(before.values()) | set(after.values())) == 1, (before, after)

    # The ranked feed never boosts a post with a helpful note (algorithm adjustment).
    r = await client.get("/api/v1/townsquare/feeds/for_you", as_=reader, params={"limit": 40})
    assert r.status_code == 200, r.text
    ranking = {s["id"]: s["townsquare"]["ranking"] for s in r.json()}
    for key, sid in w.posts.items():
        names = [a["name"] for a in ranking[str(sid)]["adjustments"]]
        assert ("community_note" in names) == key.startswith("bridging"), (key, names)
        if key.startswith("bridging"):
            assert ranking[str(sid)]["score"] <= 0
            assert _notes_under(next(s for s in r.json() if s["id"] == str(sid)))

    # The writer's record: notes written with their statuses.
    me = (await client.get("/api/v1/townsquare/notes/me", as_=w.writer)).json()
    assert me["writer"] == {"notes": 12, "currently_rated_helpful": 3,
                            "currently_rated_not_helpful": 5, "needs_more_ratings": 4}
    assert all(n["own"] for n in me["notes"])
    assert me["ratings"] == []
    # A rater's record: helpful on the 3 helpful notes, not helpful on the 5 rejected ones.
    rater = (await client.get("/api/v1/townsquare/notes/me", as_=w.left[0])).json()
    impact = rater["rating_impact"]
    assert (impact["ratings"], impact["on_decided_notes"], impact["agreed"]) == (12, 8, 8)
    assert impact["agree_ratio"] == 1.0
    assert impact["scorer"]["above_helpfulness_threshold"] is True
    assert impact["scorer"]["rater_agree_ratio"] == 1.0
    by_note = {x["note_id"]: x for x in rater["ratings"]}
    assert by_note[str(one_camp)]["agreed"] is None  # still needs ratings
    assert by_note[str(bridging)]["agreed"] is True
    assert by_note[str(bridging)]["rating"]["helpfulness"] == c.HELPFUL
    assert rater["writer"]["notes"] == 0
    # The one-camp note's own raters: the right camp rated it not helpful; no impact yet.
    other = (await client.get("/api/v1/townsquare/notes/me", as_=w.right[0])).json()
    assert other["rating_impact"]["agreed"] == 8
    assert (await client.get("/api/v1/townsquare/notes/me")).status_code == 401


async def test_status_history_sticks_and_locks_across_runs(client: Client) -> None:
    w = await two_camps(client)
    key = "bridging0"
    await _scheduled_run(client)
    first = (await client.get(f"/api/v1/townsquare/notes/{w.notes[key]}")).json()
    assert first["status"] == c.CRH
    assert [h["status"] for h in first["history"]] == [c.CRH]

    # A later run with nothing new changes no status and keeps the first timestamps.
    client.ctx.clock.advance(3600)  # type: ignore[attr-defined]
    report = await actions.rescore(client.ctx)
    assert report.changed == 0
    again = (await client.get(f"/api/v1/townsquare/notes/{w.notes[key]}")).json()
    assert again["history"] == first["history"]
    assert again["scoring"]["first_non_nmr_at"] == first["scoring"]["first_non_nmr_at"]
    assert again["status_since"] > first["status_since"]  # current status re-stamped per run
    assert again["scoring"]["locked_status"] is None

    # Two weeks on, a run locks the status (published 14-day lock) ...
    client.ctx.clock.advance(15 * DAY)  # type: ignore[attr-defined]
    await actions.rescore(client.ctx)
    locked = (await client.get(f"/api/v1/townsquare/notes/{w.notes[key]}")).json()
    assert locked["scoring"]["locked_status"] == c.CRH
    # ... so when one camp turns against the note (the model alone would no longer call it
    # helpful: the camps split), it stays helpful by its lock (ScoringDriftGuard).
    for rater in w.right:
        await rate(client, rater, w.notes[key], helpful=False)
    client.ctx.clock.advance(60)  # type: ignore[attr-defined]
    await actions.rescore(client.ctx)
    after = (await client.get(f"/api/v1/townsquare/notes/{w.notes[key]}")).json()
    assert after["status"] == c.CRH
    assert after["scoring"]["decided_by"] == c.RULE_SCORING_DRIFT_GUARD
    assert abs(after["scoring"]["factor"]) > c.FACTOR_THRESHOLD
    assert after["your_rating"] is None  # anonymous viewer
    async with client.ctx.db.read() as conn:
        runs = (await conn.execute(select(note_scoring_runs.c.trigger)
                                   .order_by(note_scoring_runs.c.id))).scalars().all()
    assert runs == ["schedule", "manual", "manual", "manual"]


async def test_status_history_records_each_change(client: Client) -> None:
    w = await two_camps(client)
    # The right camp has not rated this new note yet: after the first run it needs ratings.
    extra_post = w.posts["left0"]
    r = await client.post("/api/v1/townsquare/notes", as_=w.left[0],
                          json=note_json(extra_post, "fresh context"))
    assert r.status_code == 200, r.text
    fresh = int(r.json()["id"])
    for rater in w.left[1:]:
        await rate(client, rater, fresh, helpful=True)
    await actions.rescore(client.ctx)
    note = (await client.get(f"/api/v1/townsquare/notes/{fresh}")).json()
    assert note["status"] == c.NMR
    client.ctx.clock.advance(600)  # type: ignore[attr-defined]
    for rater in w.right:
        await rate(client, rater, fresh, helpful=True)
    await actions.rescore(client.ctx)
    note = (await client.get(f"/api/v1/townsquare/notes/{fresh}")).json()
    assert note["status"] == c.CRH
    assert [(h["status"], h["previous_status"]) for h in note["history"]] == [
        (c.NMR, None), (c.CRH, c.NMR)]
    assert note["scoring"]["first_non_nmr_status"] == c.CRH
    assert note["scoring"]["first_non_nmr_at"] == note["history"][1]["at"]


async def test_scheduled_job_is_registered_every_ten_minutes(client: Client) -> None:
    assert [(n, s) for n, s, _ in client.ctx.jobs._periodic if n == "notes.rescore"] == [
        ("notes.rescore", actions.RESCORE_EVERY_SECONDS)]
    assert actions.RESCORE_EVERY_SECONDS == 600
    register_notes_jobs  # noqa: B018  (the function schedule.py calls)
